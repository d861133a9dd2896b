/* confab-preferences-window.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-preferences-window.h"

/* The providers page lists the workspace's providers live (a
 * ConfabEntityList, so a provider added with confab-cli shows up too) as
 * ConfabProviderRows; the Add Provider form is a subpage that validates as
 * people type. The appearance page is a GSettings action. */

struct _ConfabPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* Template widgets */
  GtkWidget            *keyring_group;
  GtkListBox           *providers_list;
  GtkWidget            *style_group;
  GtkWidget            *add_page;
  GtkWidget            *add_button;
  AdwComboRow          *add_kind_row;
  AdwEntryRow          *add_name_row;
  AdwEntryRow          *add_url_row;
  AdwEntryRow          *add_model_row;
  AdwEntryRow          *add_key_row;
  GtkLabel             *add_error_label;

  ConfabDatabase       *database;
  ConfabSecretStore    *store;
  ConfabEntityList     *providers;
  GSettings            *settings;
  GCancellable         *cancellable;
  /* Ids of the providers whose rows are open: a rename re-sorts the list,
   * which makes new rows, and those should stay open. */
  GHashTable           *expanded;
  /* What the form filled in itself, so a new type may replace it. */
  char                 *suggested_name;
  char                 *suggested_url;
  guint                 filling_form : 1;
};

G_DEFINE_FINAL_TYPE (ConfabPreferencesWindow, confab_preferences_window,
                     ADW_TYPE_PREFERENCES_WINDOW)

enum {
  PROP_0,
  PROP_DATABASE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Any id: the answer only tells whether a keyring is there. */
#define KEYRING_PROBE_ID "00000000-0000-4000-8000-000000000000"

/* The schema is optional: without it (an uninstalled test) there is no
 * appearance to choose. */
static GSettings *
settings_new_if_installed (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL || !g_settings_schema_has_key (schema, "color-scheme"))
    return NULL;
  return g_settings_new_full (schema, NULL, NULL);
}

static void
toast (ConfabPreferencesWindow *self,
       const char              *message)
{
  g_autofree char *escaped = g_markup_escape_text (message, -1);

  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (escaped));
}

/* The list */

static void
row_expanded_cb (ConfabProviderRow       *row,
                 GParamSpec              *pspec,
                 ConfabPreferencesWindow *self)
{
  const char *id = confab_entity_get_id (CONFAB_ENTITY (confab_provider_row_get_provider (row)));

  if (adw_expander_row_get_expanded (ADW_EXPANDER_ROW (row)))
    g_hash_table_add (self->expanded, g_strdup (id));
  else
    g_hash_table_remove (self->expanded, id);
}

static GtkWidget *
create_provider_row (gpointer item,
                     gpointer user_data)
{
  ConfabPreferencesWindow *self = user_data;
  ConfabProvider *provider = item;
  ConfabProviderRow *row = confab_provider_row_new (self->database, self->store, provider);

  if (g_hash_table_contains (self->expanded, confab_entity_get_id (CONFAB_ENTITY (provider))))
    adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), TRUE);
  g_signal_connect_object (row, "notify::expanded", G_CALLBACK (row_expanded_cb), self, 0);
  return GTK_WIDGET (row);
}

static GtkWidget *
make_placeholder (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *title = gtk_label_new (_("No Providers"));
  GtkWidget *body = gtk_label_new (_("Add OpenAI, Anthropic, Google Gemini, or a server on this "
                                     "computer such as Ollama, so LLM agents can answer."));

  gtk_widget_set_margin_top (box, 24);
  gtk_widget_set_margin_bottom (box, 24);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_wrap (GTK_LABEL (body), TRUE);
  gtk_label_set_justify (GTK_LABEL (body), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (body, "dim-label");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), body);
  return box;
}

/* Window callbacks hold no reference: a window kept alive past its
 * transient parent's end would point at the freed parent. The window's
 * cancellable, cancelled in dispose, tells them it is gone. */
static void
keyring_probed_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  ConfabPreferencesWindow *self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean has_key = FALSE;

  if (confab_secret_store_has_key_finish (CONFAB_SECRET_STORE (source), result, &has_key, &error))
    return;
  if (g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_KEYRING))
    gtk_widget_set_visible (self->keyring_group, TRUE);
}

/* The Add Provider form */

static const char *
add_kind (ConfabPreferencesWindow *self)
{
  return confab_provider_kind_at (adw_combo_row_get_selected (self->add_kind_row));
}

/* The kind's name, or "Name 2", "Name 3"... when it is taken. */
static char *
suggest_name (ConfabPreferencesWindow *self,
              const char              *kind)
{
  const char *label = confab_provider_kind_to_label (kind);

  if (self->database == NULL)
    return g_strdup (label);
  for (guint n = 1; n < 100; n++)
    {
      /* Translators: a suggested provider name when "%s" is taken: "OpenAI 2" */
      g_autofree char *name = n == 1 ? g_strdup (label) : g_strdup_printf (_("%s %u"), label, n);

      if (!confab_repository_exists (self->database, "providers", "name", name, NULL, NULL))
        return g_steal_pointer (&name);
    }
  return g_strdup ("");
}

static void
set_field (AdwEntryRow *row,
           const char  *text)
{
  gtk_editable_set_text (GTK_EDITABLE (row), text ? text : "");
}

/* Checks the form; shows what is wrong under it and on the rows. */
static gboolean
validate_form (ConfabPreferencesWindow *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->add_name_row))));
  g_autofree char *url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->add_url_row))));
  GtkWidget *bad_row = NULL;

  gtk_widget_remove_css_class (GTK_WIDGET (self->add_name_row), "error");
  gtk_widget_remove_css_class (GTK_WIDGET (self->add_url_row), "error");

  if (!confab_check_text (_("name"), name, 1, 100, &error))
    bad_row = GTK_WIDGET (self->add_name_row);
  else if (self->database != NULL &&
           confab_repository_exists (self->database, "providers", "name", name, NULL, NULL))
    {
      g_set_error (&error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                   _("The name “%s” is already used by another provider"), name);
      bad_row = GTK_WIDGET (self->add_name_row);
    }
  else if (!confab_provider_check_base_url (url, &error))
    bad_row = GTK_WIDGET (self->add_url_row);

  if (bad_row != NULL)
    gtk_widget_add_css_class (bad_row, "error");
  gtk_label_set_text (self->add_error_label, error ? error->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->add_error_label), error != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.confirm-add",
                                 error == NULL && self->database != NULL);
  return error == NULL;
}

static void
add_kind_selected_cb (ConfabPreferencesWindow *self)
{
  const char *kind = add_kind (self);
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->add_name_row));
  const char *url = gtk_editable_get_text (GTK_EDITABLE (self->add_url_row));

  if (kind == NULL)
    return;

  /* What the form suggested follows the type; what people typed stays. */
  self->filling_form = TRUE;
  if (*name == '\0' || g_strcmp0 (name, self->suggested_name) == 0)
    {
      g_free (self->suggested_name);
      self->suggested_name = suggest_name (self, kind);
      set_field (self->add_name_row, self->suggested_name);
    }
  if (*url == '\0' || g_strcmp0 (url, self->suggested_url) == 0)
    {
      g_free (self->suggested_url);
      self->suggested_url = g_strdup (confab_provider_kind_default_url (kind));
      set_field (self->add_url_row, self->suggested_url);
    }
  self->filling_form = FALSE;
  validate_form (self);
}

static void
add_name_changed_cb (ConfabPreferencesWindow *self)
{
  if (!self->filling_form)
    validate_form (self);
}

static void
add_url_changed_cb (ConfabPreferencesWindow *self)
{
  if (!self->filling_form)
    validate_form (self);
}

static void
clear_form (ConfabPreferencesWindow *self)
{
  self->filling_form = TRUE;
  g_clear_pointer (&self->suggested_name, g_free);
  g_clear_pointer (&self->suggested_url, g_free);
  set_field (self->add_name_row, NULL);
  set_field (self->add_url_row, NULL);
  set_field (self->add_model_row, NULL);
  set_field (self->add_key_row, NULL);
  self->filling_form = FALSE;
}

static void
add_provider_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  ConfabPreferencesWindow *self = CONFAB_PREFERENCES_WINDOW (widget);

  if (self->database == NULL)
    return;

  clear_form (self);
  if (adw_combo_row_get_selected (self->add_kind_row) != 0)
    adw_combo_row_set_selected (self->add_kind_row, 0); /* fills the form */
  else
    add_kind_selected_cb (self);

  adw_preferences_window_present_subpage (ADW_PREFERENCES_WINDOW (self), self->add_page);
  gtk_window_set_default_widget (GTK_WINDOW (self), self->add_button);
  gtk_widget_grab_focus (GTK_WIDGET (self->add_name_row));
}

static void
close_form (ConfabPreferencesWindow *self)
{
  /* The key must not linger in the hidden form. */
  clear_form (self);
  gtk_window_set_default_widget (GTK_WINDOW (self), NULL);
  adw_preferences_window_close_subpage (ADW_PREFERENCES_WINDOW (self));
}

static void
cancel_add_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  close_form (CONFAB_PREFERENCES_WINDOW (widget));
}

typedef struct
{
  ConfabPreferencesWindow *self; /* no reference; see keyring_probed_cb() */
  GCancellable            *cancellable; /* the window's */
  char                    *provider_id;
} NewKey;

static void
new_key_free (NewKey *new_key)
{
  g_clear_object (&new_key->cancellable);
  g_free (new_key->provider_id);
  g_free (new_key);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NewKey, new_key_free)

static void
key_of_new_provider_stored_cb (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr (NewKey) new_key = user_data;
  ConfabPreferencesWindow *self = new_key->self;
  g_autoptr (GError) error = NULL;
  ConfabProviderRow *row;

  confab_secret_store_store_finish (CONFAB_SECRET_STORE (source), result, &error);
  /* The window went away meanwhile: nobody to tell. */
  if (g_cancellable_is_cancelled (new_key->cancellable))
    return;
  if (error != NULL)
    {
      toast (self, error->message);
      return;
    }
  row = confab_preferences_window_find_provider_row (self, new_key->provider_id);
  if (row != NULL)
    confab_provider_row_refresh_key_state (row);
}

static void
confirm_add_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  ConfabPreferencesWindow *self = CONFAB_PREFERENCES_WINDOW (widget);
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *url = NULL;
  g_autofree char *model = NULL;
  g_autofree char *message = NULL;
  const char *key = gtk_editable_get_text (GTK_EDITABLE (self->add_key_row));
  const char *id;

  if (self->database == NULL || !validate_form (self))
    return;

  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->add_name_row))));
  url = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->add_url_row))));
  model = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->add_model_row))));

  provider = confab_provider_new (name, add_kind (self), url);
  if (*model != '\0')
    confab_provider_set_default_model (provider, model);
  if (!confab_repository_create (self->database, CONFAB_ENTITY (provider), NULL, &error))
    {
      gtk_label_set_text (self->add_error_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->add_error_label), TRUE);
      return;
    }
  id = confab_entity_get_id (CONFAB_ENTITY (provider));

  /* Shown at once and open, rather than after the list's idle reload. */
  g_hash_table_add (self->expanded, g_strdup (id));
  if (!confab_entity_list_refresh (self->providers, &error))
    {
      g_debug ("Could not reload the providers: %s", error->message);
      g_clear_error (&error);
    }

  /* The key goes to the keyring once the provider exists, so a key never
   * outlives its provider; the store copies it before returning. */
  if (*key != '\0')
    {
      NewKey *new_key = g_new0 (NewKey, 1);

      new_key->self = self;
      new_key->cancellable = g_object_ref (self->cancellable);
      new_key->provider_id = g_strdup (id);
      /* Not cancelled with the window: a key typed and added is stored. */
      confab_secret_store_store_async (self->store, id, name, key, NULL,
                                       key_of_new_provider_stored_cb, new_key);
    }

  close_form (self);
  message = g_strdup_printf (_("“%s” was added"), name);
  toast (self, message);
}

/* GObject */

static void
confab_preferences_window_dispose (GObject *object)
{
  ConfabPreferencesWindow *self = CONFAB_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  if (self->providers_list != NULL)
    gtk_list_box_bind_model (self->providers_list, NULL, NULL, NULL, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->providers);
  g_clear_object (&self->database);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (confab_preferences_window_parent_class)->dispose (object);
}

static void
confab_preferences_window_finalize (GObject *object)
{
  ConfabPreferencesWindow *self = CONFAB_PREFERENCES_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->expanded, g_hash_table_unref);
  g_clear_pointer (&self->suggested_name, g_free);
  g_clear_pointer (&self->suggested_url, g_free);

  G_OBJECT_CLASS (confab_preferences_window_parent_class)->finalize (object);
}

static void
confab_preferences_window_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  ConfabPreferencesWindow *self = CONFAB_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      g_value_set_object (value, self->database);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_preferences_window_set_property (GObject      *object,
                                        guint         prop_id,
                                        const GValue *value,
                                        GParamSpec   *pspec)
{
  ConfabPreferencesWindow *self = CONFAB_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      confab_preferences_window_set_database (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_preferences_window_class_init (ConfabPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_preferences_window_dispose;
  object_class->finalize = confab_preferences_window_finalize;
  object_class->get_property = confab_preferences_window_get_property;
  object_class->set_property = confab_preferences_window_set_property;

  properties[PROP_DATABASE] =
    g_param_spec_object ("database", NULL, NULL,
                         CONFAB_TYPE_DATABASE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, keyring_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, providers_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, style_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, add_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, add_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, add_kind_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, add_name_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, add_url_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, add_model_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, add_key_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPreferencesWindow, add_error_label);
  gtk_widget_class_bind_template_callback (widget_class, add_kind_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_name_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_url_changed_cb);

  gtk_widget_class_install_action (widget_class, "prefs.add-provider", NULL, add_provider_action);
  gtk_widget_class_install_action (widget_class, "prefs.cancel-add", NULL, cancel_add_action);
  gtk_widget_class_install_action (widget_class, "prefs.confirm-add", NULL, confirm_add_action);

  g_type_ensure (CONFAB_TYPE_PROVIDER_ROW);
}

static void
confab_preferences_window_init (ConfabPreferencesWindow *self)
{
  g_autoptr (GListModel) kinds = confab_provider_kinds_model_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->expanded = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->store = confab_secret_store_new ();

  self->filling_form = TRUE;
  adw_combo_row_set_model (self->add_kind_row, kinds);
  self->filling_form = FALSE;
  gtk_list_box_set_placeholder (self->providers_list, make_placeholder ());
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.add-provider", FALSE);

  self->settings = settings_new_if_installed ();
  if (self->settings != NULL)
    {
      g_autoptr (GSimpleActionGroup) group = g_simple_action_group_new ();
      g_autoptr (GAction) action = g_settings_create_action (self->settings, "color-scheme");

      g_action_map_add_action (G_ACTION_MAP (group), action);
      gtk_widget_insert_action_group (GTK_WIDGET (self), "settings", G_ACTION_GROUP (group));
      /* Outside the app (tests), the window applies what it sets. */
      confab_preferences_apply_style (self->settings);
    }
  else
    gtk_widget_set_sensitive (self->style_group, FALSE);

  confab_secret_store_has_key_async (self->store, KEYRING_PROBE_ID, self->cancellable,
                                     keyring_probed_cb, self);
}

/**
 * confab_preferences_window_new:
 * @parent: (nullable): the window it belongs to
 * @database: (nullable): the workspace whose providers it shows
 *
 * Returns: (transfer floating): a new preferences window
 */
ConfabPreferencesWindow *
confab_preferences_window_new (GtkWindow      *parent,
                               ConfabDatabase *database)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (database == NULL || CONFAB_IS_DATABASE (database), NULL);

  return g_object_new (CONFAB_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "database", database,
                       NULL);
}

ConfabDatabase *
confab_preferences_window_get_database (ConfabPreferencesWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_PREFERENCES_WINDOW (self), NULL);

  return self->database;
}

void
confab_preferences_window_set_database (ConfabPreferencesWindow *self,
                                        ConfabDatabase          *database)
{
  g_return_if_fail (CONFAB_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (database == NULL || CONFAB_IS_DATABASE (database));

  if (!g_set_object (&self->database, database))
    return;

  gtk_list_box_bind_model (self->providers_list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->providers);
  g_hash_table_remove_all (self->expanded);
  if (database != NULL)
    {
      self->providers = confab_entity_list_new (database, CONFAB_TYPE_PROVIDER, NULL, NULL);
      gtk_list_box_bind_model (self->providers_list, G_LIST_MODEL (self->providers),
                               create_provider_row, self, NULL);
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "prefs.add-provider", database != NULL);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATABASE]);
}

ConfabProviderRow *
confab_preferences_window_find_provider_row (ConfabPreferencesWindow *self,
                                             const char              *provider_id)
{
  g_return_val_if_fail (CONFAB_IS_PREFERENCES_WINDOW (self), NULL);
  g_return_val_if_fail (provider_id != NULL, NULL);

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->providers_list));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      ConfabProvider *provider;

      if (!CONFAB_IS_PROVIDER_ROW (child))
        continue;
      provider = confab_provider_row_get_provider (CONFAB_PROVIDER_ROW (child));
      if (g_strcmp0 (confab_entity_get_id (CONFAB_ENTITY (provider)), provider_id) == 0)
        return CONFAB_PROVIDER_ROW (child);
    }
  return NULL;
}

/**
 * confab_preferences_window_get_add_field:
 * @self: a #ConfabPreferencesWindow
 * @field: "name", "url", "model" or "key"
 *
 * For tests: a field of the Add Provider form.
 *
 * Returns: (transfer none): the field
 */
GtkEditable *
confab_preferences_window_get_add_field (ConfabPreferencesWindow *self,
                                         const char              *field)
{
  g_return_val_if_fail (CONFAB_IS_PREFERENCES_WINDOW (self), NULL);

  if (g_strcmp0 (field, "name") == 0)
    return GTK_EDITABLE (self->add_name_row);
  if (g_strcmp0 (field, "url") == 0)
    return GTK_EDITABLE (self->add_url_row);
  if (g_strcmp0 (field, "model") == 0)
    return GTK_EDITABLE (self->add_model_row);
  if (g_strcmp0 (field, "key") == 0)
    return GTK_EDITABLE (self->add_key_row);
  g_return_val_if_reached (NULL);
}

GtkLabel *
confab_preferences_window_get_add_error (ConfabPreferencesWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_PREFERENCES_WINDOW (self), NULL);

  return self->add_error_label;
}

/* Appearance */

static void
apply_color_scheme (GSettings *settings)
{
  static const AdwColorScheme schemes[] = {
    ADW_COLOR_SCHEME_DEFAULT,     /* "default": follow the system */
    ADW_COLOR_SCHEME_FORCE_LIGHT, /* "light" */
    ADW_COLOR_SCHEME_FORCE_DARK,  /* "dark" */
  };
  int value = g_settings_get_enum (settings, "color-scheme");

  if (value >= 0 && value < (int) G_N_ELEMENTS (schemes))
    adw_style_manager_set_color_scheme (adw_style_manager_get_default (), schemes[value]);
}

static void
color_scheme_changed_cb (GSettings  *settings,
                         const char *key,
                         gpointer    user_data)
{
  apply_color_scheme (settings);
}

void
confab_preferences_apply_style (GSettings *settings)
{
  /* The settings watched for the rest of the process. */
  static GSettings *watched;
  g_autoptr (GSettings) own = NULL;

  g_return_if_fail (settings == NULL || G_IS_SETTINGS (settings));

  if (watched != NULL)
    return;
  if (settings == NULL)
    settings = own = settings_new_if_installed ();
  if (settings == NULL)
    return;

  watched = g_object_ref (settings);
  g_signal_connect (watched, "changed::color-scheme", G_CALLBACK (color_scheme_changed_cb), NULL);
  apply_color_scheme (watched);
}
