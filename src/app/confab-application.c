/* confab-application.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "confab-application.h"
#include "confab-preferences-window.h"
#include "confab-window.h"

struct _ConfabApplication
{
  AdwApplication  parent_instance;

  gint64          start_time;
  gboolean        profiled;
};

G_DEFINE_FINAL_TYPE (ConfabApplication, confab_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_START_TIME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const GOptionEntry option_entries[] = {
  { "workspace", 'w', G_OPTION_FLAG_NONE, G_OPTION_ARG_FILENAME, NULL,
    N_("Open the workspace FILE"), N_("FILE") },
  { "version", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("Show the version and exit"), NULL },
  { NULL }
};

GFile *
confab_application_get_default_workspace (void)
{
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "confab", NULL);
  g_autofree char *path = g_build_filename (dir, "default.confab", NULL);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    g_warning ("Could not create the folder %s: %s", dir, g_strerror (errno));

  return g_file_new_for_path (path);
}

/* Profiling: CONFAB_PROFILE=1 reports when the first window's first frame is painted. */

static void
first_frame_painted_cb (GdkFrameClock *frame_clock,
                        ConfabWindow  *window)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (window));
  gint64 start_time = CONFAB_IS_APPLICATION (app)
    ? confab_application_get_start_time (CONFAB_APPLICATION (app))
    : 0;

  g_signal_handlers_disconnect_by_func (frame_clock, first_frame_painted_cb, window);
  g_printerr ("confab-profile: first-frame-ms=%.1f\n",
              (g_get_monotonic_time () - start_time) / 1000.0);
}

static void
window_mapped_cb (GtkWidget *window,
                  gpointer   user_data)
{
  GdkFrameClock *frame_clock = gtk_widget_get_frame_clock (window);

  g_signal_handlers_disconnect_by_func (window, window_mapped_cb, user_data);
  if (frame_clock != NULL)
    g_signal_connect_object (frame_clock, "after-paint",
                             G_CALLBACK (first_frame_painted_cb), window, 0);
}

static void
maybe_profile (ConfabApplication *self,
               ConfabWindow      *window)
{
  if (self->profiled || g_strcmp0 (g_getenv ("CONFAB_PROFILE"), "1") != 0)
    return;

  self->profiled = TRUE;
  g_signal_connect_after (window, "map", G_CALLBACK (window_mapped_cb), NULL);
}

static ConfabWindow *
find_window_for_file (ConfabApplication *self,
                      GFile             *file)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    {
      GFile *window_file;

      if (!CONFAB_IS_WINDOW (l->data))
        continue;
      window_file = confab_window_get_file (l->data);
      if (window_file != NULL && g_file_equal (window_file, file))
        return l->data;
    }
  return NULL;
}

static void
open_in_new_window (ConfabApplication *self,
                    GFile             *file)
{
  ConfabWindow *window = confab_window_new (GTK_APPLICATION (self));

  maybe_profile (self, window);
  confab_window_open (window, file);
  gtk_window_present (GTK_WINDOW (window));
}

static void
confab_application_activate (GApplication *app)
{
  ConfabApplication *self = CONFAB_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));
  g_autoptr (GFile) file = NULL;

  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }

  file = confab_application_get_default_workspace ();
  open_in_new_window (self, file);
}

static void
confab_application_open (GApplication  *app,
                         GFile        **files,
                         int            n_files,
                         const char    *hint)
{
  ConfabApplication *self = CONFAB_APPLICATION (app);

  for (int i = 0; i < n_files; i++)
    {
      ConfabWindow *window = find_window_for_file (self, files[i]);

      if (window != NULL)
        gtk_window_present (GTK_WINDOW (window));
      else
        open_in_new_window (self, files[i]);
    }
}

static int
confab_application_handle_local_options (GApplication *app,
                                         GVariantDict *options)
{
  const char *workspace = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("confab %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (g_variant_dict_lookup (options, "workspace", "^&ay", &workspace))
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (workspace);
      g_autoptr (GError) error = NULL;

      if (!g_application_register (app, NULL, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }

      /* A running instance opens it; here, it opens now and activate()
       * presents that window instead of the default workspace. */
      g_application_open (app, &file, 1, "");
      if (g_application_get_is_remote (app))
        return 0;
    }

  return -1;
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  ConfabApplication *self = user_data;
  g_autolist (GtkWindow) windows = NULL;

  /* Closing each window saves its state, which quitting alone would skip. */
  windows = g_list_copy_deep (gtk_application_get_windows (GTK_APPLICATION (self)),
                              (GCopyFunc) g_object_ref, NULL);
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);

  g_application_quit (G_APPLICATION (self));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  ConfabApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));
  static const char *developers[] = { "The Confab Developers", NULL };
  AdwAboutWindow *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", window,
                        "modal", TRUE,
                        "application-name", _("Confab"),
                        "application-icon", APP_ID,
                        "comments", _("Build, test and run chatbot agents"),
                        "developer-name", _("The Confab Developers"),
                        "developers", developers,
                        "version", PACKAGE_VERSION,
                        "website", "https://github.com/confab/confab",
                        "issue-url", "https://github.com/confab/confab/issues",
                        "copyright", _("© 2026 The Confab Developers"),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        /* Translators: Replace "translator-credits" with your names, one name per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
shortcuts_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  ConfabApplication *self = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  /* GtkApplicationWindow owns the help overlay loaded from gtk/help-overlay.ui. */
  if (window != NULL)
    gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
}

static const GActionEntry app_actions[] = {
  { "quit", quit_action },
  { "about", about_action },
  { "shortcuts", shortcuts_action },
};

static void
apply_color_scheme_from_env (void)
{
  const char *scheme = g_getenv ("CONFAB_COLOR_SCHEME");
  AdwStyleManager *style_manager = adw_style_manager_get_default ();

  if (g_strcmp0 (scheme, "dark") == 0)
    adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_DARK);
  else if (g_strcmp0 (scheme, "light") == 0)
    adw_style_manager_set_color_scheme (style_manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
}

static void
confab_application_startup (GApplication *app)
{
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *open_accels[] = { "<Control>o", NULL };
  static const char *close_accels[] = { "<Control>w", NULL };
  static const char *shortcuts_accels[] = { "<Control>question", NULL };
  static const char *no_accels[] = { NULL };
  ConfabApplication *self = CONFAB_APPLICATION (app);

  G_APPLICATION_CLASS (confab_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (self), app_actions,
                                   G_N_ELEMENTS (app_actions), self);

  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.open", open_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "window.close", close_accels);
  /* Ctrl+? goes through app.shortcuts, so the menu item shows it too. */
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "win.show-help-overlay",
                                         no_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.shortcuts",
                                         shortcuts_accels);

  gtk_window_set_default_icon_name (APP_ID);
  /* The style chosen in Preferences; CONFAB_COLOR_SCHEME still overrides it. */
  confab_preferences_apply_style (NULL);
  apply_color_scheme_from_env ();
}

static void
confab_application_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ConfabApplication *self = CONFAB_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_START_TIME:
      g_value_set_int64 (value, self->start_time);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_application_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  ConfabApplication *self = CONFAB_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_START_TIME:
      self->start_time = g_value_get_int64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_application_class_init (ConfabApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->get_property = confab_application_get_property;
  object_class->set_property = confab_application_set_property;

  app_class->activate = confab_application_activate;
  app_class->open = confab_application_open;
  app_class->startup = confab_application_startup;
  app_class->handle_local_options = confab_application_handle_local_options;

  /**
   * ConfabApplication:start-time:
   *
   * The monotonic time (µs) at which the process started, for profiling.
   */
  properties[PROP_START_TIME] =
    g_param_spec_int64 ("start-time", NULL, NULL,
                        0, G_MAXINT64, 0,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_application_init (ConfabApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _("[FILE…]"));
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Build, test and run chatbot agents."));
}

ConfabApplication *
confab_application_new (gint64 start_time)
{
  return g_object_new (CONFAB_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_OPEN,
                       "resource-base-path", "/io/github/confab/Confab",
                       "start-time", start_time,
                       NULL);
}

gint64
confab_application_get_start_time (ConfabApplication *self)
{
  g_return_val_if_fail (CONFAB_IS_APPLICATION (self), 0);

  return self->start_time;
}
