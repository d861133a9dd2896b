/* confab-window.c
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
#include <string.h>

#include "confab-agents-page.h"
#include "confab-chats-page.h"
#include "confab-escalations-page.h"
#include "confab-knowledge-page.h"
#include "confab-preferences-window.h"
#include "confab-prompts-page.h"
#include "confab-search-dialog.h"
#include "confab-sidebar-row.h"
#include "confab-teams-page.h"
#include "confab-users-page.h"
#include "confab-window.h"

G_DEFINE_ENUM_TYPE (ConfabSection, confab_section,
  G_DEFINE_ENUM_VALUE (CONFAB_SECTION_CHATS, "chats"),
  G_DEFINE_ENUM_VALUE (CONFAB_SECTION_AGENTS, "agents"),
  G_DEFINE_ENUM_VALUE (CONFAB_SECTION_TEAMS, "teams"),
  G_DEFINE_ENUM_VALUE (CONFAB_SECTION_PROMPTS, "prompts"),
  G_DEFINE_ENUM_VALUE (CONFAB_SECTION_KNOWLEDGE, "knowledge"),
  G_DEFINE_ENUM_VALUE (CONFAB_SECTION_USERS, "users"),
  G_DEFINE_ENUM_VALUE (CONFAB_SECTION_ESCALATIONS, "escalations"))

typedef struct
{
  const char *icon_name;
  const char *table;       /* a change to it refreshes the count */
  const char *count_sql;
} SectionInfo;

static const SectionInfo section_info[CONFAB_N_SECTIONS] = {
  [CONFAB_SECTION_CHATS] = {
    "confab-chats-symbolic", "conversations",
    "SELECT count(*) FROM conversations" },
  [CONFAB_SECTION_AGENTS] = {
    "confab-agents-symbolic", "agents",
    "SELECT count(*) FROM agents" },
  [CONFAB_SECTION_TEAMS] = {
    "confab-teams-symbolic", "teams",
    "SELECT count(*) FROM teams" },
  [CONFAB_SECTION_PROMPTS] = {
    "confab-prompts-symbolic", "prompts",
    "SELECT count(*) FROM prompts" },
  [CONFAB_SECTION_KNOWLEDGE] = {
    "confab-knowledge-symbolic", "knowledge_bases",
    "SELECT count(*) FROM knowledge_bases" },
  [CONFAB_SECTION_USERS] = {
    "confab-users-symbolic", "users",
    "SELECT count(*) FROM users" },
  [CONFAB_SECTION_ESCALATIONS] = {
    "confab-escalations-symbolic", "escalations",
    "SELECT count(*) FROM escalations WHERE status = 'pending'" },
};

struct _ConfabWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  GtkRevealer          *read_only_revealer;
  AdwLeaflet           *leaflet;
  GtkListBox           *sidebar;
  GtkWidget            *sidebar_pane;
  ConfabSidebarRow     *rows[CONFAB_N_SECTIONS];
  GtkStack             *content_stack;
  GtkWidget            *content_pane;
  AdwWindowTitle       *content_title;
  AdwStatusPage        *section_page;
  AdwStatusPage        *error_page;
  GtkWidget            *welcome_box;
  GtkWidget            *demo_button;

  GSettings            *settings;
  ConfabPage           *pages[CONFAB_N_SECTIONS];
  ConfabDatabase       *database;
  ConfabAgentRuntime   *runtime;
  GFile                *file;
  gulong                changed_handler;
  guint                 refresh_source;
  ConfabSection         section;
  gint64                counts[CONFAB_N_SECTIONS];
  guint                 refresh_failed : 1;
};

G_DEFINE_FINAL_TYPE (ConfabWindow, confab_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_DATABASE,
  PROP_FILE,
  PROP_SECTION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The schema is optional: without it (an uninstalled test, say) nothing is remembered. */
static GSettings *
settings_new_if_installed (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    {
      g_debug ("Schema %s is not installed; window state will not be saved", APP_ID);
      return NULL;
    }
  return g_settings_new_full (schema, NULL, NULL);
}

static int
clamp_count (gint64 n)
{
  return (int) CLAMP (n, 0, G_MAXINT);
}

/* The status page's title and description for @section holding @n things
 * (-1: unknown). Each plural is spelled out so xgettext finds it. */
static char *
describe_section (ConfabSection   section,
                  gint64          n,
                  const char    **description)
{
  int count = clamp_count (n);

  switch (section)
    {
    case CONFAB_SECTION_CHATS:
      if (n == 0)
        {
          *description = _("Conversations between users and agents will appear here.");
          return g_strdup (_("No Chats Yet"));
        }
      *description = _("Conversations between your users and your agents or teams.");
      if (n < 0)
        return g_strdup (_("Chats"));
      return g_strdup_printf (ngettext ("%'d Chat", "%'d Chats", count), count);

    case CONFAB_SECTION_AGENTS:
      if (n == 0)
        {
          *description = _("Agents answer chats with rules, a language model, or both.");
          return g_strdup (_("No Agents Yet"));
        }
      *description = _("Rule-based, LLM and hybrid chatbots that answer your users.");
      if (n < 0)
        return g_strdup (_("Agents"));
      return g_strdup_printf (ngettext ("%'d Agent", "%'d Agents", count), count);

    case CONFAB_SECTION_TEAMS:
      if (n == 0)
        {
          *description = _("Teams let several agents share one conversation.");
          return g_strdup (_("No Teams Yet"));
        }
      *description = _("Agents working together: routed, in sequence or taking turns.");
      if (n < 0)
        return g_strdup (_("Teams"));
      return g_strdup_printf (ngettext ("%'d Team", "%'d Teams", count), count);

    case CONFAB_SECTION_PROMPTS:
      if (n == 0)
        {
          *description = _("Keep reusable system prompts here, with every version and its labels.");
          return g_strdup (_("No Prompts Yet"));
        }
      *description = _("Versioned system prompts with labels and side-by-side comparison.");
      if (n < 0)
        return g_strdup (_("Prompts"));
      return g_strdup_printf (ngettext ("%'d Prompt", "%'d Prompts", count), count);

    case CONFAB_SECTION_KNOWLEDGE:
      if (n == 0)
        {
          *description = _("Add documents to a knowledge base so agents can answer from them.");
          return g_strdup (_("No Knowledge Bases Yet"));
        }
      *description = _("Documents your agents search and cite when they answer.");
      if (n < 0)
        return g_strdup (_("Knowledge"));
      return g_strdup_printf (ngettext ("%'d Knowledge Base", "%'d Knowledge Bases", count), count);

    case CONFAB_SECTION_USERS:
      if (n == 0)
        {
          *description = _("Add the people of this workspace: its admins, operators and clients.");
          return g_strdup (_("No Users Yet"));
        }
      *description = _("Admins, operators and the clients who chat with your agents.");
      if (n < 0)
        return g_strdup (_("Users"));
      return g_strdup_printf (ngettext ("%'d User", "%'d Users", count), count);

    case CONFAB_SECTION_ESCALATIONS:
      if (n == 0)
        {
          *description = _("Conversations an agent hands over to a person will wait here.");
          return g_strdup (_("No Pending Escalations"));
        }
      *description = _("Conversations waiting for a human operator to take over.");
      if (n < 0)
        return g_strdup (_("Escalations"));
      return g_strdup_printf (ngettext ("%'d Pending Escalation", "%'d Pending Escalations", count),
                              count);

    default:
      g_assert_not_reached ();
    }
}

/* A workspace with nothing in it at all: a first start, most likely. */
static gboolean
workspace_is_empty (ConfabWindow *self)
{
  if (self->database == NULL)
    return FALSE;
  for (guint i = 0; i < CONFAB_N_SECTIONS; i++)
    if (self->counts[i] != 0)
      return FALSE;
  return TRUE;
}

static void
update_content (ConfabWindow *self)
{
  ConfabSection section = self->section;
  const char *description = NULL;
  g_autofree char *title = describe_section (section, self->counts[section], &description);
  gboolean welcome = workspace_is_empty (self);

  if (welcome)
    {
      g_clear_pointer (&title, g_free);
      title = g_strdup (_("Welcome to Confab"));
      description = confab_window_find_demo_data () != NULL
                      ? _("This workspace is empty. Explore a sample bakery with agents, a team, "
                          "a knowledge base and conversations — it works offline — or open "
                          "a workspace of your own.")
                      : _("This workspace is empty. Add users and agents, or open a workspace "
                          "of your own.");
    }
  gtk_widget_set_visible (self->welcome_box, welcome);
  gtk_widget_set_visible (self->demo_button, confab_window_find_demo_data () != NULL);

  adw_status_page_set_icon_name (self->section_page,
                                 welcome ? APP_ID "-symbolic" : section_info[section].icon_name);
  adw_status_page_set_title (self->section_page, title);
  adw_status_page_set_description (self->section_page, description);
  adw_window_title_set_title (self->content_title,
                              confab_sidebar_row_get_title (self->rows[section]));

  if (welcome || self->database == NULL)
    gtk_stack_set_visible_child (self->content_stack, self->content_pane);
  else
    gtk_stack_set_visible_child (self->content_stack, GTK_WIDGET (self->pages[section]));
}

static void
update_titles (ConfabWindow *self)
{
  g_autofree char *name = NULL;
  g_autofree char *path = NULL;

  if (self->file != NULL)
    {
      path = g_file_get_parse_name (self->file);
      name = g_path_get_basename (path);
    }

  adw_window_title_set_subtitle (self->content_title, name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->content_title), path);
  gtk_window_set_title (GTK_WINDOW (self), name ? name : _("Confab"));
}

static void
refresh_counts (ConfabWindow *self)
{
  g_autoptr (GError) first_error = NULL;

  for (guint i = 0; i < CONFAB_N_SECTIONS; i++)
    {
      g_autoptr (GError) error = NULL;
      gint64 n = -1;

      if (self->database != NULL)
        n = confab_database_query_int (self->database, section_info[i].count_sql, NULL, &error);

      /* A busy workspace keeps showing the last counts it gave. */
      if (error != NULL)
        {
          g_debug ("Could not count %s: %s", section_info[i].table, error->message);
          if (first_error == NULL)
            first_error = g_steal_pointer (&error);
          continue;
        }

      self->counts[i] = n;
      confab_sidebar_row_set_count (self->rows[i], n);
    }

  if (first_error != NULL && !self->refresh_failed)
    {
      g_autofree char *title = g_markup_escape_text (first_error->message, -1);
      AdwToast *toast = adw_toast_new (title);

      adw_toast_set_timeout (toast, 0);
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
    }
  self->refresh_failed = first_error != NULL;

  update_content (self);
}

static gboolean
refresh_idle_cb (gpointer user_data)
{
  ConfabWindow *self = user_data;

  self->refresh_source = 0;
  refresh_counts (self);
  return G_SOURCE_REMOVE;
}

/* Many changes in a row (an import, a cascade) cost one refresh. */
static void
queue_refresh (ConfabWindow *self)
{
  if (self->refresh_source != 0 || self->database == NULL)
    return;

  self->refresh_source = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, refresh_idle_cb, self, NULL);
  g_source_set_static_name (g_main_context_find_source_by_id (NULL, self->refresh_source),
                            "[confab] refresh counts");
}

static void
database_changed_cb (ConfabDatabase *database,
                     const char     *table,
                     const char     *id,
                     const char     *action,
                     ConfabWindow   *self)
{
  for (guint i = 0; i < CONFAB_N_SECTIONS; i++)
    if (g_strcmp0 (table, section_info[i].table) == 0)
      {
        queue_refresh (self);
        return;
      }
}

/* Another program (confab-cli) may have changed the file meanwhile. */
static void
notify_is_active_cb (ConfabWindow *self)
{
  if (!gtk_window_is_active (GTK_WINDOW (self)))
    return;
  /* Another program's commits are seen at once, not at the next poll. */
  if (self->database != NULL)
    confab_database_check_for_changes (self->database);
  queue_refresh (self);
}

static void
show_error (ConfabWindow *self,
            const GError *error)
{
  g_autofree char *markup = g_markup_escape_text (error->message, -1);

  adw_status_page_set_description (self->error_page, markup);
  gtk_stack_set_visible_child_name (self->main_stack, "error");
}

static void
sidebar_row_selected_cb (ConfabWindow  *self,
                         GtkListBoxRow *row,
                         GtkListBox    *list_box)
{
  if (row != NULL)
    confab_window_set_section (self, gtk_list_box_row_get_index (row));
}

static void
sidebar_row_activated_cb (ConfabWindow  *self,
                          GtkListBoxRow *row,
                          GtkListBox    *list_box)
{
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->content_stack));
}

static void
show_sidebar_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->sidebar_pane));
}

static ConfabChatsPage *
show_chats (ConfabWindow *self)
{
  confab_window_set_section (self, CONFAB_SECTION_CHATS);
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->content_stack));
  return CONFAB_CHATS_PAGE (self->pages[CONFAB_SECTION_CHATS]);
}

static void
open_conversation_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  const char *conversation_id, *message_id;

  if (self->database == NULL)
    return;
  g_variant_get (parameter, "(&s&s)", &conversation_id, &message_id);
  confab_chats_page_open_conversation (show_chats (self), conversation_id,
                                       message_id[0] != '\0' ? message_id : NULL);
}

static void
chat_with_agent_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  if (self->database == NULL)
    return;
  confab_chats_page_start_chat (show_chats (self), g_variant_get_string (parameter, NULL), NULL);
}

static void
chat_with_team_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  if (self->database == NULL)
    return;
  confab_chats_page_start_chat (show_chats (self), NULL, g_variant_get_string (parameter, NULL));
}

static void
new_chat_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  if (self->database == NULL)
    return;
  confab_chats_page_new_chat (show_chats (self));
}

static void
open_response_cb (GtkNativeDialog *dialog,
                  int              response,
                  ConfabWindow    *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));

      if (file != NULL)
        confab_window_open (self, file);
    }
  g_object_unref (dialog);
}

/* Ctrl+comma: Preferences for this window's workspace. */
static void
preferences_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  gtk_window_present (GTK_WINDOW (confab_preferences_window_new (GTK_WINDOW (self),
                                                                 self->database)));
}

/* Ctrl+K: search every conversation; a result opens through
 * win.open-conversation. */
static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);

  if (self->database == NULL)
    return;
  gtk_window_present (GTK_WINDOW (confab_search_dialog_new (GTK_WINDOW (self), self->database)));
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  GtkFileChooserNative *native;

  native = gtk_file_chooser_native_new (_("Open Workspace"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Open"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);

  gtk_file_filter_set_name (filter, _("Confab Workspaces"));
  gtk_file_filter_add_pattern (filter, "*.confab");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);

  if (self->file != NULL)
    {
      g_autoptr (GFile) folder = g_file_get_parent (self->file);

      if (folder != NULL)
        gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (native), folder, NULL);
    }

  g_signal_connect_object (native, "response", G_CALLBACK (open_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/**
 * confab_window_find_demo_data:
 *
 * Where the demo workspace's data is installed: $CONFAB_DEMO_DATA, then
 * confab/demo/ in the XDG data folders (which the Flatpak sets), then the
 * build-time data folder.
 *
 * Returns: (nullable): the path, or %NULL when it is not installed
 */
const char *
confab_window_find_demo_data (void)
{
  static char *found;
  static gsize once;

  if (g_once_init_enter (&once))
    {
      const char *env = g_getenv ("CONFAB_DEMO_DATA");
      const char * const *dirs = g_get_system_data_dirs ();

      if (env != NULL && g_file_test (env, G_FILE_TEST_IS_REGULAR))
        found = g_strdup (env);
      for (guint i = 0; found == NULL && dirs[i] != NULL; i++)
        {
          g_autofree char *path = g_build_filename (dirs[i], "confab", "demo",
                                                    "demo-workspace.json", NULL);
          if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
            found = g_steal_pointer (&path);
        }
      if (found == NULL)
        {
          g_autofree char *path = g_build_filename (PKGDATADIR, "demo", "demo-workspace.json", NULL);
          if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
            found = g_steal_pointer (&path);
        }
      g_once_init_leave (&once, 1);
    }
  return found;
}

/* Copies the installed demo into the user's data folder (once) and opens it:
 * no network, so it works for an offline demo and inside the sandbox. */
static void
open_demo_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  const char *data = confab_window_find_demo_data ();
  g_autofree char *dir = g_build_filename (g_get_user_data_dir (), "confab", NULL);
  g_autofree char *path = g_build_filename (dir, "demo.confab", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;

  if (data == NULL)
    return;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autoptr (ConfabDatabase) demo = NULL;
      g_autoptr (GFile) source = g_file_new_for_path (data);

      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved = errno;
          g_set_error (&error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       _("Could not create the folder “%s”: %s"), dir, g_strerror (saved));
        }
      else if ((demo = confab_database_open (path, &error)) != NULL)
        {
          if (!confab_import_from_file (demo, source, NULL, NULL, NULL, &error))
            {
              g_clear_object (&demo);
              g_unlink (path);
            }
        }

      if (error != NULL)
        {
          g_autofree char *message = g_markup_escape_text (error->message, -1);
          adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
          return;
        }
    }

  confab_window_open (self, file);
}

static void
toast (ConfabWindow *self,
       const char   *message,
       gboolean      sticky)
{
  g_autofree char *markup = g_markup_escape_text (message, -1);
  AdwToast *toast = adw_toast_new (markup);

  if (sticky)
    adw_toast_set_timeout (toast, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
backup_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (ConfabWindow) self = user_data;
  g_autofree char *path = g_object_steal_data (G_OBJECT (self), "confab-backup-path");
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;

  if (!confab_database_backup_finish (CONFAB_DATABASE (source), result, &error))
    {
      toast (self, error->message, TRUE);
      return;
    }
  name = path != NULL ? g_path_get_basename (path) : g_strdup ("");
  message = g_strdup_printf (_("Backed up to “%s”"), name);
  toast (self, message, FALSE);
}

static void
backup_response_cb (GtkNativeDialog *dialog,
                    int              response,
                    ConfabWindow    *self)
{
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_object_unref (dialog);
  if (file == NULL || self->database == NULL)
    return;

  path = g_file_get_path (file);
  if (path == NULL)
    {
      toast (self, _("Backups can only be written to a folder on this computer"), TRUE);
      return;
    }
  g_object_set_data_full (G_OBJECT (self), "confab-backup-path", g_strdup (path), g_free);
  confab_database_backup_async (self->database, path, NULL, backup_done_cb,
                                g_object_ref (self));
}

/* Saves a consistent copy of the open workspace, even while replies are
 * being written (SQLite's online backup, on a worker thread). */
static void
backup_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *date = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *base = NULL;
  g_autofree char *suggested = NULL;
  GtkFileChooserNative *native;

  if (self->database == NULL)
    return;

  base = g_path_get_basename (confab_database_get_path (self->database));
  if (g_str_has_suffix (base, ".confab"))
    base[strlen (base) - strlen (".confab")] = '\0';
  /* TRANSLATORS: the file name of a backup: workspace name, then date */
  suggested = g_strdup_printf (_("%s backup %s.confab"), base, date);

  native = gtk_file_chooser_native_new (_("Back Up Workspace"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _("_Back Up"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), suggested);
  g_signal_connect_object (native, "response", G_CALLBACK (backup_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
restore_confirmed_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      ConfabWindow     *self)
{
  const char *backup = g_object_get_data (G_OBJECT (dialog), "confab-backup");
  g_autoptr (ConfabDatabase) database = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = NULL;
  g_autofree char *copy = NULL;
  g_autofree char *copy_name = NULL;
  g_autofree char *message = NULL;

  if (g_strcmp0 (response, "restore") != 0 || self->database == NULL)
    return;

  database = g_object_ref (self->database);
  if (!confab_database_restore (database, backup, &copy, NULL, &error))
    {
      toast (self, error->message, TRUE);
      return;
    }

  /* Every page shows what was there before: open the workspace afresh. */
  file = g_file_new_for_path (confab_database_get_path (database));
  confab_window_set_database (self, NULL);
  g_clear_object (&database);
  confab_window_open (self, file);

  copy_name = copy != NULL ? g_path_get_basename (copy) : NULL;
  if (copy_name != NULL)
    message = g_strdup_printf (_("Restored from the backup. The previous contents were kept in “%s”."),
                               copy_name);
  else
    message = g_strdup (_("Restored from the backup"));
  toast (self, message, FALSE);
}

static void
restore_response_cb (GtkNativeDialog *native,
                     int              response,
                     ConfabWindow    *self)
{
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autofree char *name = NULL;
  g_autofree char *body = NULL;
  AdwMessageDialog *dialog;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));
  g_object_unref (native);
  if (file == NULL || self->database == NULL)
    return;
  path = g_file_get_path (file);
  if (path == NULL)
    {
      toast (self, _("Only a backup on this computer can be restored"), TRUE);
      return;
    }

  name = g_path_get_basename (path);
  body = g_strdup_printf (_("Everything in this workspace is replaced with the contents of “%s”. "
                            "A copy of the current contents is kept next to the workspace."),
                          name);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                       _("Restore From Backup?"), body));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "restore", _("_Restore"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "restore", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "confab-backup", g_steal_pointer (&path), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (restore_confirmed_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
restore_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  GtkFileChooserNative *native;

  if (self->database == NULL)
    return;

  native = gtk_file_chooser_native_new (_("Restore From Backup"), GTK_WINDOW (self),
                                        GTK_FILE_CHOOSER_ACTION_OPEN,
                                        _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);
  gtk_file_filter_set_name (filter, _("Confab Workspaces"));
  gtk_file_filter_add_pattern (filter, "*.confab");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  g_signal_connect_object (native, "response", G_CALLBACK (restore_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

static void
select_section_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  ConfabWindow *self = CONFAB_WINDOW (widget);
  int section = g_variant_get_int32 (parameter);

  if (section < 0 || section >= CONFAB_N_SECTIONS)
    return;
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "workspace") != 0)
    return;

  confab_window_set_section (self, section);
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->content_stack));
}

static void
save_window_state (ConfabWindow *self)
{
  int width, height;

  if (self->settings == NULL)
    return;

  gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized",
                          gtk_window_is_maximized (GTK_WINDOW (self)));
  g_settings_apply (self->settings);
}

static void
restore_window_state (ConfabWindow *self)
{
  if (self->settings == NULL)
    return;

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  confab_window_set_section (self, g_settings_get_enum (self->settings, "last-section"));
}

static gboolean
confab_window_close_request (GtkWindow *window)
{
  save_window_state (CONFAB_WINDOW (window));

  return GTK_WINDOW_CLASS (confab_window_parent_class)->close_request (window);
}

static void
confab_window_dispose (GObject *object)
{
  ConfabWindow *self = CONFAB_WINDOW (object);

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (self->database != NULL)
    g_clear_signal_handler (&self->changed_handler, self->database);
  g_clear_object (&self->runtime);
  g_clear_object (&self->database);
  g_clear_object (&self->file);
  g_clear_object (&self->settings);

  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_WINDOW);

  G_OBJECT_CLASS (confab_window_parent_class)->dispose (object);
}

static void
confab_window_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  ConfabWindow *self = CONFAB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      g_value_set_object (value, self->database);
      break;
    case PROP_FILE:
      g_value_set_object (value, self->file);
      break;
    case PROP_SECTION:
      g_value_set_enum (value, self->section);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_window_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  ConfabWindow *self = CONFAB_WINDOW (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      confab_window_set_database (self, g_value_get_object (value));
      break;
    case PROP_SECTION:
      confab_window_set_section (self, g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

#define BIND_ROW(name, section) \
  gtk_widget_class_bind_template_child_full (widget_class, name, FALSE, \
                                             G_STRUCT_OFFSET (ConfabWindow, rows[section]))

static void
confab_window_class_init (ConfabWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = confab_window_dispose;
  object_class->get_property = confab_window_get_property;
  object_class->set_property = confab_window_set_property;

  window_class->close_request = confab_window_close_request;

  properties[PROP_DATABASE] =
    g_param_spec_object ("database", NULL, NULL,
                         CONFAB_TYPE_DATABASE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_FILE] =
    g_param_spec_object ("file", NULL, NULL,
                         G_TYPE_FILE,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SECTION] =
    g_param_spec_enum ("section", NULL, NULL,
                       CONFAB_TYPE_SECTION, CONFAB_SECTION_CHATS,
                       G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CONFAB_TYPE_SIDEBAR_ROW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, read_only_revealer);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, sidebar_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, content_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, section_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, welcome_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabWindow, demo_button);
  BIND_ROW ("chats_row", CONFAB_SECTION_CHATS);
  BIND_ROW ("agents_row", CONFAB_SECTION_AGENTS);
  BIND_ROW ("teams_row", CONFAB_SECTION_TEAMS);
  BIND_ROW ("prompts_row", CONFAB_SECTION_PROMPTS);
  BIND_ROW ("knowledge_row", CONFAB_SECTION_KNOWLEDGE);
  BIND_ROW ("users_row", CONFAB_SECTION_USERS);
  BIND_ROW ("escalations_row", CONFAB_SECTION_ESCALATIONS);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, notify_is_active_cb);

  gtk_widget_class_install_action (widget_class, "win.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "win.open-demo", NULL, open_demo_action);
  gtk_widget_class_install_action (widget_class, "win.show-sidebar", NULL, show_sidebar_action);
  gtk_widget_class_install_action (widget_class, "win.backup", NULL, backup_action);
  gtk_widget_class_install_action (widget_class, "win.restore", NULL, restore_action);
  gtk_widget_class_install_action (widget_class, "win.open-conversation", "(ss)",
                                   open_conversation_action);
  gtk_widget_class_install_action (widget_class, "win.chat-with-agent", "s",
                                   chat_with_agent_action);
  gtk_widget_class_install_action (widget_class, "win.chat-with-team", "s",
                                   chat_with_team_action);
  gtk_widget_class_install_action (widget_class, "win.new-chat", NULL, new_chat_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "win.new-chat", NULL);
  gtk_widget_class_install_action (widget_class, "win.preferences", NULL, preferences_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_comma, GDK_CONTROL_MASK,
                                       "win.preferences", NULL);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_k, GDK_CONTROL_MASK,
                                       "win.search", NULL);
  gtk_widget_class_install_action (widget_class, "win.select-section", "i",
                                   select_section_action);

  for (int i = 0; i < CONFAB_N_SECTIONS; i++)
    gtk_widget_class_add_binding_action (widget_class, GDK_KEY_1 + i, GDK_CONTROL_MASK,
                                         "win.select-section", "i", i);
}

#undef BIND_ROW

static void
confab_window_init (ConfabWindow *self)
{
  g_autoptr (GEnumClass) sections = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->pages[CONFAB_SECTION_CHATS] = CONFAB_PAGE (confab_chats_page_new ());
  self->pages[CONFAB_SECTION_AGENTS] = CONFAB_PAGE (confab_agents_page_new ());
  self->pages[CONFAB_SECTION_TEAMS] = CONFAB_PAGE (confab_teams_page_new ());
  self->pages[CONFAB_SECTION_PROMPTS] = CONFAB_PAGE (confab_prompts_page_new ());
  self->pages[CONFAB_SECTION_KNOWLEDGE] = CONFAB_PAGE (confab_knowledge_page_new ());
  self->pages[CONFAB_SECTION_USERS] = CONFAB_PAGE (confab_users_page_new ());
  self->pages[CONFAB_SECTION_ESCALATIONS] = CONFAB_PAGE (confab_escalations_page_new ());

  sections = g_type_class_ref (CONFAB_TYPE_SECTION);
  for (guint i = 0; i < CONFAB_N_SECTIONS; i++)
    {
      GEnumValue *value = g_enum_get_value (sections, i);

      gtk_stack_add_named (self->content_stack, GTK_WIDGET (self->pages[i]), value->value_nick);
      g_object_bind_property (self->leaflet, "folded", self->pages[i], "folded",
                              G_BINDING_SYNC_CREATE);
    }

  for (guint i = 0; i < CONFAB_N_SECTIONS; i++)
    {
      self->counts[i] = -1;
      confab_sidebar_row_set_icon_name (self->rows[i], section_info[i].icon_name);
    }

  gtk_list_box_select_row (self->sidebar, GTK_LIST_BOX_ROW (self->rows[self->section]));
  update_content (self);
  update_titles (self);

  self->settings = settings_new_if_installed ();
  restore_window_state (self);

  gtk_widget_grab_focus (GTK_WIDGET (self->rows[self->section]));
}

ConfabWindow *
confab_window_new (GtkApplication *application)
{
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);

  return g_object_new (CONFAB_TYPE_WINDOW,
                       "application", application,
                       NULL);
}

/**
 * confab_window_open:
 * @self: a #ConfabWindow
 * @file: the workspace to show
 *
 * Opens @file and shows its sections. A file that cannot be opened (damaged,
 * from a newer Confab, not a workspace, locked) shows why in the window, or,
 * when a workspace is already shown, in a dialog that leaves it in place.
 */
void
confab_window_open (ConfabWindow *self,
                    GFile        *file)
{
  g_autoptr (ConfabDatabase) database = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (CONFAB_IS_WINDOW (self));
  g_return_if_fail (G_IS_FILE (file));

  if (self->database != NULL && self->file != NULL && g_file_equal (file, self->file))
    return;

  path = g_file_get_path (file);
  if (path == NULL)
    {
      g_autofree char *name = g_file_get_parse_name (file);

      g_set_error (&error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("“%s” is not on this computer; only local workspaces can be opened"),
                   name);
    }
  else
    database = confab_database_open_with_flags (path, CONFAB_DATABASE_OPEN_READ_ONLY_FALLBACK,
                                                &error);

  if (database == NULL)
    {
      g_debug ("Could not open workspace: %s", error->message);

      if (self->database != NULL)
        {
          AdwMessageDialog *dialog;

          dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                               _("Cannot Open Workspace"),
                                                               error->message));
          adw_message_dialog_add_response (dialog, "close", _("_Close"));
          gtk_window_present (GTK_WINDOW (dialog));
          return;
        }

      if (g_set_object (&self->file, file))
        g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE]);
      update_titles (self);
      show_error (self, error);
      return;
    }

  confab_window_set_database (self, database);
}

ConfabDatabase *
confab_window_get_database (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return self->database;
}

/**
 * confab_window_set_database:
 * @self: a #ConfabWindow
 * @database: (nullable): an open workspace
 *
 * Shows @database's sections and keeps their counts up to date.
 */
void
confab_window_set_database (ConfabWindow   *self,
                            ConfabDatabase *database)
{
  g_autoptr (GFile) file = NULL;

  g_return_if_fail (CONFAB_IS_WINDOW (self));
  g_return_if_fail (database == NULL || CONFAB_IS_DATABASE (database));

  if (self->database == database)
    return;

  if (self->database != NULL)
    g_clear_signal_handler (&self->changed_handler, self->database);
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_set_object (&self->database, database);

  if (database != NULL)
    {
      self->changed_handler = g_signal_connect (database, "changed",
                                                G_CALLBACK (database_changed_cb), self);
      file = g_file_new_for_path (confab_database_get_path (database));
    }

  if (g_set_object (&self->file, file))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FILE]);

  /* One runtime for the workspace, so a reply streaming in one page is the
   * same run everywhere. */
  g_clear_object (&self->runtime);
  if (database != NULL)
    self->runtime = confab_agent_runtime_new (database, NULL);
  for (guint i = 0; i < CONFAB_N_SECTIONS; i++)
    {
      confab_page_set_runtime (self->pages[i], self->runtime);
      confab_page_set_database (self->pages[i], database);
    }

  gtk_revealer_set_reveal_child (self->read_only_revealer,
                                 database != NULL && confab_database_is_read_only (database));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.backup", database != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.restore",
                                 database != NULL && !confab_database_is_read_only (database));

  self->refresh_failed = FALSE;
  for (guint i = 0; i < CONFAB_N_SECTIONS; i++)
    self->counts[i] = -1;
  refresh_counts (self);
  update_titles (self);
  gtk_stack_set_visible_child_name (self->main_stack, "workspace");

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATABASE]);
}

GFile *
confab_window_get_file (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return self->file;
}

ConfabSection
confab_window_get_section (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), CONFAB_SECTION_CHATS);

  return self->section;
}

void
confab_window_set_section (ConfabWindow  *self,
                           ConfabSection  section)
{
  g_return_if_fail (CONFAB_IS_WINDOW (self));
  g_return_if_fail (section < CONFAB_N_SECTIONS);

  gtk_list_box_select_row (self->sidebar, GTK_LIST_BOX_ROW (self->rows[section]));

  if (self->section == section)
    return;

  self->section = section;
  update_content (self);
  if (self->settings != NULL)
    g_settings_set_enum (self->settings, "last-section", section);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SECTION]);
}

/**
 * confab_window_get_count_label:
 * @self: a #ConfabWindow
 * @section: a section of the sidebar
 *
 * For tests: the label showing @section's count in the sidebar.
 *
 * Returns: (transfer none): a #GtkLabel
 */
GtkLabel *
confab_window_get_count_label (ConfabWindow  *self,
                               ConfabSection  section)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);
  g_return_val_if_fail (section < CONFAB_N_SECTIONS, NULL);

  return confab_sidebar_row_get_count_label (self->rows[section]);
}

/**
 * confab_window_get_status_page:
 * @self: a #ConfabWindow
 *
 * For tests: the status page the window shows now, the current section's
 * or the one saying why the workspace could not be opened.
 *
 * Returns: (transfer none): an #AdwStatusPage
 */
AdwStatusPage *
confab_window_get_status_page (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "error") == 0)
    return self->error_page;
  return self->section_page;
}

/**
 * confab_window_get_visible_page:
 * @self: a #ConfabWindow
 *
 * For tests: what the content pane shows, the current section's page or
 * the welcome pane.
 *
 * Returns: (transfer none): a #GtkWidget
 */
GtkWidget *
confab_window_get_visible_page (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return gtk_stack_get_visible_child (self->content_stack);
}

/**
 * confab_window_get_read_only_notice:
 * @self: a #ConfabWindow
 *
 * For tests: the notice saying the workspace cannot be changed.
 *
 * Returns: (transfer none): a #GtkRevealer, revealed for a read-only workspace
 */
GtkRevealer *
confab_window_get_read_only_notice (ConfabWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_WINDOW (self), NULL);

  return self->read_only_revealer;
}
