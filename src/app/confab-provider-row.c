/* confab-provider-row.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-provider-client.h"
#include "confab-provider-row.h"

/* Edits are saved field by field, as libadwaita preferences are: text rows
 * when applied (Enter or the apply button), switches, spins and the type at
 * once. Each save writes a fresh copy of the provider, so a refused value
 * never reaches the object the list shares; the list reloads after the
 * commit and the row follows the provider's notify signals.
 *
 * The API key only ever travels from the key row to ConfabSecretStore: the
 * row asks the keyring whether a key exists, never for the key. */

G_DEFINE_ENUM_TYPE (ConfabProviderKeyState, confab_provider_key_state,
  G_DEFINE_ENUM_VALUE (CONFAB_PROVIDER_KEY_UNKNOWN, "unknown"),
  G_DEFINE_ENUM_VALUE (CONFAB_PROVIDER_KEY_NONE, "none"),
  G_DEFINE_ENUM_VALUE (CONFAB_PROVIDER_KEY_SAVED, "saved"),
  G_DEFINE_ENUM_VALUE (CONFAB_PROVIDER_KEY_NO_KEYRING, "no-keyring"))

G_DEFINE_ENUM_TYPE (ConfabProviderConnection, confab_provider_connection,
  G_DEFINE_ENUM_VALUE (CONFAB_PROVIDER_CONNECTION_UNTESTED, "untested"),
  G_DEFINE_ENUM_VALUE (CONFAB_PROVIDER_CONNECTION_TESTING, "testing"),
  G_DEFINE_ENUM_VALUE (CONFAB_PROVIDER_CONNECTION_OK, "ok"),
  G_DEFINE_ENUM_VALUE (CONFAB_PROVIDER_CONNECTION_FAILED, "failed"))

static const struct
{
  const char *kind;
  const char *label;
  const char *default_url;
} kinds[] = {
  /* In the order the type menus show them; the well-known services first. */
  { "openai", N_("OpenAI"), "https://api.openai.com/v1" },
  { "anthropic", N_("Anthropic"), "https://api.anthropic.com/v1" },
  { "gemini", N_("Google Gemini"), "https://generativelanguage.googleapis.com/v1beta" },
  { "ollama", N_("Ollama"), "http://127.0.0.1:11434" },
  { "openai_compatible", N_("OpenAI-Compatible Server"), "http://127.0.0.1:8080/v1" },
};

struct _ConfabProviderRow
{
  AdwExpanderRow            parent_instance;

  /* Template widgets */
  AdwEntryRow              *name_row;
  AdwComboRow              *kind_row;
  AdwEntryRow              *url_row;
  AdwEntryRow              *key_row;
  GtkWidget                *save_key_button;
  AdwActionRow             *key_state_row;
  GtkImage                 *key_state_icon;
  GtkWidget                *remove_key_button;
  AdwEntryRow              *model_row;
  GtkMenuButton            *models_button;
  GtkPopover               *models_popover;
  GtkSearchEntry           *models_search;
  GtkStack                 *models_stack;
  GtkSpinner               *models_spinner;
  GtkFilterListModel       *models_filter_model;
  GtkStringList            *models;
  GtkLabel                 *models_message;
  AdwActionRow             *test_row;
  GtkImage                 *test_icon;
  GtkSpinner               *test_spinner;
  GtkSpinButton            *context_spin;
  GtkSpinButton            *idle_spin;
  GtkSwitch                *streaming_switch;

  ConfabDatabase           *database;
  ConfabSecretStore        *store;
  ConfabProvider           *provider;
  /* Everything in flight; cancelled when the row goes away. */
  GCancellable             *cancellable;
  /* The latest "has it a key?" question: an older answer may arrive after
   * a newer one, or after the key was saved, and must not count. */
  GCancellable             *key_query;

  ConfabProviderKeyState    key_state;
  ConfabProviderConnection  connection;
  char                     *connection_message;
  guint                     syncing : 1;
  guint                     key_busy : 1;
  guint                     fetching_models : 1;
  guint                     models_fetched : 1;
};

G_DEFINE_FINAL_TYPE (ConfabProviderRow, confab_provider_row, ADW_TYPE_EXPANDER_ROW)

enum {
  PROP_0,
  PROP_DATABASE,
  PROP_SECRET_STORE,
  PROP_PROVIDER,
  PROP_KEY_STATE,
  PROP_CONNECTION,
  PROP_FETCHING_MODELS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char *
confab_provider_kind_to_label (const char *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (kind, kinds[i].kind) == 0)
      return _(kinds[i].label);
  return kind;
}

const char *
confab_provider_kind_default_url (const char *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (kind, kinds[i].kind) == 0)
      return kinds[i].default_url;
  return NULL;
}

/**
 * confab_provider_kinds_model_new:
 *
 * The labels of the provider kinds, in the order of
 * confab_provider_kind_at(), for a type menu.
 *
 * Returns: (transfer full): a #GtkStringList
 */
GListModel *
confab_provider_kinds_model_new (void)
{
  GtkStringList *labels = gtk_string_list_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    gtk_string_list_append (labels, _(kinds[i].label));
  return G_LIST_MODEL (labels);
}

/* The kind at position of confab_provider_kinds_model_new(), or NULL. */
const char *
confab_provider_kind_at (guint position)
{
  return position < G_N_ELEMENTS (kinds) ? kinds[position].kind : NULL;
}

static guint
kind_index (const char *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (kind, kinds[i].kind) == 0)
      return i;
  return GTK_INVALID_LIST_POSITION;
}

static void
toast (ConfabProviderRow *self,
       const char        *message)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char *escaped = g_markup_escape_text (message, -1);

  if (ADW_IS_PREFERENCES_WINDOW (root))
    adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (root), adw_toast_new (escaped));
  else
    g_debug ("%s", message);
}

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static const char *
entry_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

/* Sets the text unless someone is typing in it. */
static void
sync_entry (AdwEntryRow *row,
            const char  *text)
{
  if (gtk_widget_get_state_flags (GTK_WIDGET (row)) & GTK_STATE_FLAG_FOCUS_WITHIN)
    return;
  if (g_strcmp0 (entry_text (row), text ? text : "") != 0)
    gtk_editable_set_text (GTK_EDITABLE (row), text ? text : "");
  gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
}

static void
update_actions (ConfabProviderRow *self)
{
  gboolean keyring = self->key_state != CONFAB_PROVIDER_KEY_NO_KEYRING &&
                     self->key_state != CONFAB_PROVIDER_KEY_UNKNOWN;
  gboolean has_text = *gtk_editable_get_text (GTK_EDITABLE (self->key_row)) != '\0';

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provider.save-key",
                                 keyring && has_text && !self->key_busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provider.remove-key",
                                 self->key_state == CONFAB_PROVIDER_KEY_SAVED && !self->key_busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provider.test",
                                 self->connection != CONFAB_PROVIDER_CONNECTION_TESTING);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "provider.fetch-models",
                                 !self->fetching_models);
}

static void
update_key_state (ConfabProviderRow *self)
{
  const char *title = NULL;
  const char *subtitle = NULL;
  const char *icon = "channel-secure-symbolic";

  switch (self->key_state)
    {
    case CONFAB_PROVIDER_KEY_UNKNOWN:
      break;
    case CONFAB_PROVIDER_KEY_NONE:
      title = _("No API key saved");
      subtitle = _("Local servers such as Ollama need none");
      icon = "dialog-password-symbolic";
      break;
    case CONFAB_PROVIDER_KEY_SAVED:
      title = _("Key saved in the keyring");
      subtitle = _("Type a new key above to replace it");
      break;
    case CONFAB_PROVIDER_KEY_NO_KEYRING:
      title = _("No keyring available");
      subtitle = _("API keys cannot be saved until a keyring such as GNOME Keyring is running");
      icon = "dialog-warning-symbolic";
      break;
    default:
      g_assert_not_reached ();
    }

  gtk_widget_set_visible (GTK_WIDGET (self->key_state_row), title != NULL);
  if (title != NULL)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->key_state_row), title);
      adw_action_row_set_subtitle (self->key_state_row, subtitle);
      gtk_image_set_from_icon_name (self->key_state_icon, icon);
    }
  gtk_widget_set_visible (self->remove_key_button, self->key_state == CONFAB_PROVIDER_KEY_SAVED);
  if (self->key_state == CONFAB_PROVIDER_KEY_NO_KEYRING)
    gtk_widget_add_css_class (GTK_WIDGET (self->key_state_icon), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->key_state_icon), "warning");

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->key_row),
                                 self->key_state == CONFAB_PROVIDER_KEY_SAVED
                                   ? _("New API Key")
                                   : _("API Key"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->key_row),
                            self->key_state != CONFAB_PROVIDER_KEY_NO_KEYRING);
  update_actions (self);
}

static void
set_key_state (ConfabProviderRow      *self,
               ConfabProviderKeyState  state)
{
  if (self->key_state == state)
    return;
  self->key_state = state;
  update_key_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEY_STATE]);
}

static void
set_connection (ConfabProviderRow        *self,
                ConfabProviderConnection  connection,
                const char               *message)
{
  const char *icon = "network-server-symbolic";
  const char *style = NULL;

  g_free (self->connection_message);
  self->connection_message = g_strdup (message);
  adw_action_row_set_subtitle (self->test_row, message);

  if (connection == CONFAB_PROVIDER_CONNECTION_OK)
    {
      icon = "emblem-ok-symbolic";
      style = "success";
    }
  else if (connection == CONFAB_PROVIDER_CONNECTION_FAILED)
    {
      icon = "dialog-error-symbolic";
      style = "error";
    }
  gtk_image_set_from_icon_name (self->test_icon, icon);
  gtk_widget_remove_css_class (GTK_WIDGET (self->test_icon), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (self->test_icon), "error");
  if (style != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->test_icon), style);

  gtk_widget_set_visible (GTK_WIDGET (self->test_spinner),
                          connection == CONFAB_PROVIDER_CONNECTION_TESTING);
  gtk_spinner_set_spinning (self->test_spinner, connection == CONFAB_PROVIDER_CONNECTION_TESTING);

  if (self->connection != connection)
    {
      self->connection = connection;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTION]);
    }
  update_actions (self);
}

/* The provider's values into the widgets. */
static void
sync_from_provider (ConfabProviderRow *self)
{
  ConfabProvider *provider = self->provider;
  const char *kind = confab_provider_get_kind (provider);
  g_autofree char *subtitle = NULL;
  guint index = kind_index (kind);

  self->syncing = TRUE;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), confab_provider_get_name (provider));
  /* Translators: a provider's type and address, e.g. "Ollama · http://127.0.0.1:11434" */
  subtitle = g_strdup_printf (_("%s · %s"), confab_provider_kind_to_label (kind),
                              confab_provider_get_base_url (provider));
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (self), subtitle);

  sync_entry (self->name_row, confab_provider_get_name (provider));
  sync_entry (self->url_row, confab_provider_get_base_url (provider));
  sync_entry (self->model_row, confab_provider_get_default_model (provider));
  if (index != GTK_INVALID_LIST_POSITION)
    adw_combo_row_set_selected (self->kind_row, index);
  gtk_spin_button_set_value (self->context_spin, confab_provider_get_context_window (provider));
  gtk_spin_button_set_value (self->idle_spin, confab_provider_get_idle_timeout_s (provider));
  gtk_switch_set_active (self->streaming_switch,
                         confab_provider_get_supports_streaming (provider));

  self->syncing = FALSE;
}

/* Saves property=value pairs (NULL-terminated, as g_object_set()) on a
 * fresh copy of the provider. A refused value is shown in a toast and the
 * widgets go back to what is saved. */
static gboolean
save_changes (ConfabProviderRow *self,
              const char        *first_property,
              ...)
{
  g_autoptr (ConfabProvider) copy = NULL;
  g_autoptr (GError) error = NULL;
  va_list args;

  copy = confab_repository_get (self->database, CONFAB_TYPE_PROVIDER,
                                confab_entity_get_id (CONFAB_ENTITY (self->provider)), &error);
  if (copy != NULL)
    {
      va_start (args, first_property);
      g_object_set_valist (G_OBJECT (copy), first_property, args);
      va_end (args);
      confab_repository_update (self->database, CONFAB_ENTITY (copy), NULL, &error);
    }

  if (error != NULL)
    {
      toast (self, error->message);
      sync_from_provider (self);
      return FALSE;
    }
  return TRUE;
}

/* What was tested is not what is saved any more. */
static void
forget_test_result (ConfabProviderRow *self)
{
  if (self->connection != CONFAB_PROVIDER_CONNECTION_TESTING)
    set_connection (self, CONFAB_PROVIDER_CONNECTION_UNTESTED,
                    _("Check the address and the API key"));
}

static void
provider_notify_cb (ConfabProviderRow *self,
                    GParamSpec        *pspec)
{
  if (g_strcmp0 (pspec->name, "base-url") == 0 || g_strcmp0 (pspec->name, "kind") == 0)
    forget_test_result (self);
  sync_from_provider (self);
}

/* Name and base URL: checked as people type, the row turns red with the
 * reason in its tooltip; applying a wrong value says why in a toast. */

static gboolean
check_name (ConfabProviderRow  *self,
            const char         *name,
            GError            **error)
{
  g_autoptr (GError) local_error = NULL;

  if (!confab_check_text (_("name"), name, 1, 100, error))
    return FALSE;
  if (confab_repository_exists (self->database, "providers", "name", name,
                                confab_entity_get_id (CONFAB_ENTITY (self->provider)),
                                &local_error))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                   _("The name “%s” is already used by another provider"), name);
      return FALSE;
    }
  /* A failed lookup (busy workspace) is left to the save to report. */
  return TRUE;
}

static void
show_validity (AdwEntryRow  *row,
               const GError *error)
{
  if (error != NULL)
    {
      gtk_widget_add_css_class (GTK_WIDGET (row), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (row), error->message);
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (row), NULL);
    }
}

static void
name_changed_cb (ConfabProviderRow *self)
{
  g_autoptr (GError) error = NULL;

  if (self->syncing)
    return;
  check_name (self, entry_text (self->name_row), &error);
  show_validity (self->name_row, error);
}

static void
name_apply_cb (ConfabProviderRow *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_strstrip (g_strdup (entry_text (self->name_row)));

  if (!check_name (self, name, &error))
    {
      show_validity (self->name_row, error);
      toast (self, error->message);
      return;
    }
  save_changes (self, "name", name, NULL);
}

static void
url_changed_cb (ConfabProviderRow *self)
{
  g_autoptr (GError) error = NULL;

  if (self->syncing)
    return;
  confab_provider_check_base_url (entry_text (self->url_row), &error);
  show_validity (self->url_row, error);
}

static void
url_apply_cb (ConfabProviderRow *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = g_strstrip (g_strdup (entry_text (self->url_row)));

  if (!confab_provider_check_base_url (url, &error))
    {
      show_validity (self->url_row, error);
      toast (self, error->message);
      return;
    }
  save_changes (self, "base-url", url, NULL);
}

static void
model_apply_cb (ConfabProviderRow *self)
{
  g_autofree char *model = g_strstrip (g_strdup (entry_text (self->model_row)));

  save_changes (self, "default-model", *model != '\0' ? model : NULL, NULL);
}

static void
kind_selected_cb (ConfabProviderRow *self)
{
  guint index = adw_combo_row_get_selected (self->kind_row);
  const char *old_kind;
  const char *url;

  if (self->syncing || self->provider == NULL || index >= G_N_ELEMENTS (kinds))
    return;
  old_kind = confab_provider_get_kind (self->provider);
  url = confab_provider_get_base_url (self->provider);
  if (g_strcmp0 (kinds[index].kind, old_kind) == 0)
    return;

  /* An address that was the old type's usual one follows the type. */
  if (g_strcmp0 (url, confab_provider_kind_default_url (old_kind)) == 0)
    url = kinds[index].default_url;
  save_changes (self, "kind", kinds[index].kind, "base-url", url, NULL);
}

static void
context_changed_cb (ConfabProviderRow *self)
{
  int value = gtk_spin_button_get_value_as_int (self->context_spin);

  if (!self->syncing && value != confab_provider_get_context_window (self->provider))
    save_changes (self, "context-window", value, NULL);
}

static void
idle_changed_cb (ConfabProviderRow *self)
{
  int value = gtk_spin_button_get_value_as_int (self->idle_spin);

  if (!self->syncing && value != confab_provider_get_idle_timeout_s (self->provider))
    save_changes (self, "idle-timeout-s", value, NULL);
}

static void
streaming_changed_cb (ConfabProviderRow *self)
{
  gboolean value = gtk_switch_get_active (self->streaming_switch);

  if (!self->syncing && value != confab_provider_get_supports_streaming (self->provider))
    save_changes (self, "supports-streaming", value, NULL);
}

/* The API key */

static void
has_key_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (ConfabProviderRow) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean has_key = FALSE;

  if (!confab_secret_store_has_key_finish (CONFAB_SECRET_STORE (source), result, &has_key,
                                           &error))
    {
      if (is_cancelled (error))
        return;
      g_debug ("Could not ask the keyring about “%s”: %s",
               confab_provider_get_name (self->provider), error->message);
      set_key_state (self, CONFAB_PROVIDER_KEY_NO_KEYRING);
      return;
    }
  set_key_state (self, has_key ? CONFAB_PROVIDER_KEY_SAVED : CONFAB_PROVIDER_KEY_NONE);
}

static void
forget_key_query (ConfabProviderRow *self)
{
  g_cancellable_cancel (self->key_query);
  g_clear_object (&self->key_query);
}

static void
refresh_key_state (ConfabProviderRow *self)
{
  forget_key_query (self);
  self->key_query = g_cancellable_new ();
  confab_secret_store_has_key_async (self->store,
                                     confab_entity_get_id (CONFAB_ENTITY (self->provider)),
                                     self->key_query, has_key_cb, g_object_ref (self));
}

static void
key_changed_cb (ConfabProviderRow *self)
{
  update_actions (self);
}

static void
key_stored_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (ConfabProviderRow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;

  if (!confab_secret_store_store_finish (CONFAB_SECRET_STORE (source), result, &error))
    {
      if (is_cancelled (error))
        return;
      self->key_busy = FALSE;
      toast (self, error->message);
      if (g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_KEYRING))
        set_key_state (self, CONFAB_PROVIDER_KEY_NO_KEYRING);
      update_actions (self);
      return;
    }

  /* Saved: the field forgets it. */
  self->key_busy = FALSE;
  gtk_editable_set_text (GTK_EDITABLE (self->key_row), "");
  set_key_state (self, CONFAB_PROVIDER_KEY_SAVED);
  forget_test_result (self);
  update_actions (self);
  message = g_strdup_printf (_("The API key for “%s” was saved in the keyring"),
                             confab_provider_get_name (self->provider));
  toast (self, message);
}

static void
save_key_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  ConfabProviderRow *self = CONFAB_PROVIDER_ROW (widget);
  const char *key = gtk_editable_get_text (GTK_EDITABLE (self->key_row));

  if (*key == '\0' || self->key_busy)
    return;

  self->key_busy = TRUE;
  forget_key_query (self);
  update_actions (self);
  /* The store copies the key before returning. */
  confab_secret_store_store_async (self->store,
                                   confab_entity_get_id (CONFAB_ENTITY (self->provider)),
                                   confab_provider_get_name (self->provider), key,
                                   self->cancellable, key_stored_cb, g_object_ref (self));
}

static void
key_activated_cb (ConfabProviderRow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "provider.save-key", NULL);
}

static void
key_removed_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (ConfabProviderRow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;

  if (!confab_secret_store_delete_finish (CONFAB_SECRET_STORE (source), result, &error))
    {
      if (is_cancelled (error))
        return;
      self->key_busy = FALSE;
      toast (self, error->message);
      update_actions (self);
      return;
    }

  self->key_busy = FALSE;
  set_key_state (self, CONFAB_PROVIDER_KEY_NONE);
  forget_test_result (self);
  update_actions (self);
  message = g_strdup_printf (_("The API key for “%s” was removed from the keyring"),
                             confab_provider_get_name (self->provider));
  toast (self, message);
}

static void
remove_key_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ConfabProviderRow *self = CONFAB_PROVIDER_ROW (widget);

  if (self->key_busy)
    return;
  self->key_busy = TRUE;
  forget_key_query (self);
  update_actions (self);
  confab_secret_store_delete_async (self->store,
                                    confab_entity_get_id (CONFAB_ENTITY (self->provider)),
                                    self->cancellable, key_removed_cb, g_object_ref (self));
}

/* Test connection */

static void
tested_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (ConfabProviderRow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!confab_llm_client_test_connection_finish (CONFAB_LLM_CLIENT (source), result, &error))
    {
      if (!is_cancelled (error))
        set_connection (self, CONFAB_PROVIDER_CONNECTION_FAILED, error->message);
      return;
    }
  set_connection (self, CONFAB_PROVIDER_CONNECTION_OK, _("Connected"));
}

static void
test_client_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (ConfabProviderRow) self = user_data;
  g_autoptr (ConfabLlmClient) client = NULL;
  g_autoptr (GError) error = NULL;

  client = confab_provider_new_client_finish (CONFAB_PROVIDER (source), result, NULL, &error);
  if (client == NULL)
    {
      if (!is_cancelled (error))
        set_connection (self, CONFAB_PROVIDER_CONNECTION_FAILED, error->message);
      return;
    }
  confab_llm_client_test_connection_async (client, self->cancellable, tested_cb,
                                           g_object_ref (self));
}

static void
test_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  ConfabProviderRow *self = CONFAB_PROVIDER_ROW (widget);

  if (self->connection == CONFAB_PROVIDER_CONNECTION_TESTING)
    return;
  set_connection (self, CONFAB_PROVIDER_CONNECTION_TESTING, _("Connecting…"));
  confab_provider_new_client_async (self->provider, self->store, self->cancellable,
                                    test_client_cb, g_object_ref (self));
}

/* Models */

static void
show_models_page (ConfabProviderRow *self,
                  const char        *name)
{
  /* The filter only makes sense above a list. */
  gtk_widget_set_visible (GTK_WIDGET (self->models_search), g_strcmp0 (name, "list") == 0);
  gtk_stack_set_visible_child_name (self->models_stack, name);
}

static void
set_fetching_models (ConfabProviderRow *self,
                     gboolean           fetching)
{
  self->fetching_models = fetching;
  gtk_spinner_set_spinning (self->models_spinner, fetching);
  if (fetching)
    show_models_page (self, "loading");
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FETCHING_MODELS]);
}

static void
show_models_message (ConfabProviderRow *self,
                     const char        *message)
{
  gtk_label_set_text (self->models_message, message);
  show_models_page (self, "message");
}

static void
models_listed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (ConfabProviderRow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) names = NULL;

  names = confab_llm_client_list_models_finish (CONFAB_LLM_CLIENT (source), result, &error);
  if (is_cancelled (error))
    return;

  gtk_string_list_splice (self->models, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->models)),
                          (const char * const *) names);
  self->models_fetched = error == NULL;
  set_fetching_models (self, FALSE);

  if (error != NULL)
    show_models_message (self, error->message);
  else if (names == NULL || names[0] == NULL)
    show_models_message (self, _("The provider lists no models. Type the name of one in "
                                 "Default Model instead."));
  else
    show_models_page (self, "list");
}

static void
models_client_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (ConfabProviderRow) self = user_data;
  g_autoptr (ConfabLlmClient) client = NULL;
  g_autoptr (GError) error = NULL;

  client = confab_provider_new_client_finish (CONFAB_PROVIDER (source), result, NULL, &error);
  if (client == NULL)
    {
      if (is_cancelled (error))
        return;
      set_fetching_models (self, FALSE);
      show_models_message (self, error->message);
      return;
    }
  confab_llm_client_list_models_async (client, self->cancellable, models_listed_cb,
                                       g_object_ref (self));
}

static void
fetch_models_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  ConfabProviderRow *self = CONFAB_PROVIDER_ROW (widget);

  if (self->fetching_models)
    return;
  set_fetching_models (self, TRUE);
  confab_provider_new_client_async (self->provider, self->store, self->cancellable,
                                    models_client_cb, g_object_ref (self));
}

static void
models_popover_show_cb (ConfabProviderRow *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->models_search), "");
  /* Fetched each time it opens, so the list is live; an earlier list
   * stays on screen meanwhile. */
  if (self->models_fetched)
    {
      if (!self->fetching_models)
        {
          self->fetching_models = TRUE;
          confab_provider_new_client_async (self->provider, self->store, self->cancellable,
                                            models_client_cb, g_object_ref (self));
          update_actions (self);
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FETCHING_MODELS]);
        }
    }
  else
    gtk_widget_activate_action (GTK_WIDGET (self), "provider.fetch-models", NULL);
  if (gtk_widget_get_visible (GTK_WIDGET (self->models_search)))
    gtk_widget_grab_focus (GTK_WIDGET (self->models_search));
}

static void
choose_model_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  ConfabProviderRow *self = CONFAB_PROVIDER_ROW (widget);
  const char *model = g_variant_get_string (parameter, NULL);

  gtk_popover_popdown (self->models_popover);
  gtk_editable_set_text (GTK_EDITABLE (self->model_row), model);
  save_changes (self, "default-model", *model != '\0' ? model : NULL, NULL);
}

static void
choose_filtered_model (ConfabProviderRow *self,
                       guint              position)
{
  g_autoptr (GtkStringObject) item = NULL;

  item = g_list_model_get_item (G_LIST_MODEL (self->models_filter_model), position);
  if (item != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "provider.choose-model", "s",
                                gtk_string_object_get_string (item));
}

static void
models_view_activate_cb (ConfabProviderRow *self,
                         guint              position)
{
  choose_filtered_model (self, position);
}

static void
models_search_activate_cb (ConfabProviderRow *self)
{
  choose_filtered_model (self, 0);
}

/* Remove */

static void
removed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data);

static void
remove_anyway_response_cb (AdwMessageDialog  *dialog,
                           const char        *response,
                           ConfabProviderRow *self)
{
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (response, "remove") != 0)
    return;
  if (!confab_repository_delete (self->database, CONFAB_TYPE_PROVIDER,
                                 confab_entity_get_id (CONFAB_ENTITY (self->provider)), NULL,
                                 &error))
    toast (self, error->message);
}

/* No keyring: the user may remove the provider anyway, knowing that a key
 * it may have stays behind (as confab-cli providers remove --force). */
static void
ask_remove_anyway (ConfabProviderRow *self,
                   const GError      *error)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwMessageDialog *dialog;
  g_autofree char *body = NULL;

  body = g_strdup_printf (_("%s\n\nRemove it anyway? An API key it may have stays in the keyring, "
                            "where Passwords and Keys can remove it later."),
                          error->message);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (root),
                                                       _("Keyring Not Available"), body));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "remove", _("Remove _Anyway"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_anyway_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
removed_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (ConfabProviderRow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (confab_provider_delete_with_key_finish (CONFAB_SECRET_STORE (source), result, &error))
    return;
  if (is_cancelled (error))
    return;
  if (g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_KEYRING))
    ask_remove_anyway (self, error);
  else
    toast (self, error->message);
}

static void
remove_response_cb (AdwMessageDialog  *dialog,
                    const char        *response,
                    ConfabProviderRow *self)
{
  if (g_strcmp0 (response, "remove") != 0)
    return;
  /* Not self->cancellable: the row goes away with the provider. */
  confab_provider_delete_with_key_async (self->database, self->store,
                                         confab_entity_get_id (CONFAB_ENTITY (self->provider)),
                                         NULL, NULL, removed_cb, g_object_ref (self));
}

static void
remove_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  ConfabProviderRow *self = CONFAB_PROVIDER_ROW (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  AdwMessageDialog *dialog;
  g_autofree char *heading = NULL;

  heading = g_strdup_printf (_("Remove “%s”?"), confab_provider_get_name (self->provider));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (root), heading,
                                                       _("Its API key is removed from the "
                                                         "keyring. Agents that use it keep their "
                                                         "settings but cannot answer until they "
                                                         "are given another provider.")));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (remove_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* GObject */

static void
confab_provider_row_constructed (GObject *object)
{
  ConfabProviderRow *self = CONFAB_PROVIDER_ROW (object);

  G_OBJECT_CLASS (confab_provider_row_parent_class)->constructed (object);

  g_assert (CONFAB_IS_DATABASE (self->database));
  g_assert (CONFAB_IS_PROVIDER (self->provider));
  if (self->store == NULL)
    self->store = confab_secret_store_new ();

  g_signal_connect_object (self->provider, "notify", G_CALLBACK (provider_notify_cb), self,
                           G_CONNECT_SWAPPED);
  sync_from_provider (self);
  update_key_state (self);
  set_connection (self, CONFAB_PROVIDER_CONNECTION_UNTESTED,
                  _("Check the address and the API key"));
  refresh_key_state (self);
}

static void
confab_provider_row_dispose (GObject *object)
{
  ConfabProviderRow *self = CONFAB_PROVIDER_ROW (object);

  g_cancellable_cancel (self->cancellable);
  forget_key_query (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_PROVIDER_ROW);
  g_clear_object (&self->provider);
  g_clear_object (&self->store);
  g_clear_object (&self->database);

  G_OBJECT_CLASS (confab_provider_row_parent_class)->dispose (object);
}

static void
confab_provider_row_finalize (GObject *object)
{
  ConfabProviderRow *self = CONFAB_PROVIDER_ROW (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->connection_message, g_free);

  G_OBJECT_CLASS (confab_provider_row_parent_class)->finalize (object);
}

static void
confab_provider_row_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabProviderRow *self = CONFAB_PROVIDER_ROW (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      g_value_set_object (value, self->database);
      break;
    case PROP_SECRET_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_PROVIDER:
      g_value_set_object (value, self->provider);
      break;
    case PROP_KEY_STATE:
      g_value_set_enum (value, self->key_state);
      break;
    case PROP_CONNECTION:
      g_value_set_enum (value, self->connection);
      break;
    case PROP_FETCHING_MODELS:
      g_value_set_boolean (value, self->fetching_models);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_provider_row_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ConfabProviderRow *self = CONFAB_PROVIDER_ROW (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      self->database = g_value_dup_object (value);
      break;
    case PROP_SECRET_STORE:
      self->store = g_value_dup_object (value);
      break;
    case PROP_PROVIDER:
      self->provider = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_provider_row_class_init (ConfabProviderRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = confab_provider_row_constructed;
  object_class->dispose = confab_provider_row_dispose;
  object_class->finalize = confab_provider_row_finalize;
  object_class->get_property = confab_provider_row_get_property;
  object_class->set_property = confab_provider_row_set_property;

  properties[PROP_DATABASE] =
    g_param_spec_object ("database", NULL, NULL,
                         CONFAB_TYPE_DATABASE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SECRET_STORE] =
    g_param_spec_object ("secret-store", NULL, NULL,
                         CONFAB_TYPE_SECRET_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_PROVIDER] =
    g_param_spec_object ("provider", NULL, NULL,
                         CONFAB_TYPE_PROVIDER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_KEY_STATE] =
    g_param_spec_enum ("key-state", NULL, NULL,
                       CONFAB_TYPE_PROVIDER_KEY_STATE, CONFAB_PROVIDER_KEY_UNKNOWN,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_CONNECTION] =
    g_param_spec_enum ("connection", NULL, NULL,
                       CONFAB_TYPE_PROVIDER_CONNECTION, CONFAB_PROVIDER_CONNECTION_UNTESTED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_FETCHING_MODELS] =
    g_param_spec_boolean ("fetching-models", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-provider-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, name_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, kind_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, url_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, key_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, save_key_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, key_state_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, key_state_icon);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, remove_key_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, model_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, models_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, models_popover);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, models_search);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, models_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, models_spinner);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, models_filter_model);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, models);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, models_message);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, test_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, test_icon);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, test_spinner);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, context_spin);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, idle_spin);
  gtk_widget_class_bind_template_child (widget_class, ConfabProviderRow, streaming_switch);
  gtk_widget_class_bind_template_callback (widget_class, name_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, name_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, kind_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, url_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, url_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, key_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, key_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, model_apply_cb);
  gtk_widget_class_bind_template_callback (widget_class, context_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, idle_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, streaming_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, models_popover_show_cb);
  gtk_widget_class_bind_template_callback (widget_class, models_view_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, models_search_activate_cb);

  gtk_widget_class_install_action (widget_class, "provider.save-key", NULL, save_key_action);
  gtk_widget_class_install_action (widget_class, "provider.remove-key", NULL, remove_key_action);
  gtk_widget_class_install_action (widget_class, "provider.test", NULL, test_action);
  gtk_widget_class_install_action (widget_class, "provider.fetch-models", NULL,
                                   fetch_models_action);
  gtk_widget_class_install_action (widget_class, "provider.choose-model", "s",
                                   choose_model_action);
  gtk_widget_class_install_action (widget_class, "provider.remove", NULL, remove_action);
}

static void
confab_provider_row_init (ConfabProviderRow *self)
{
  g_autoptr (GListModel) labels = confab_provider_kinds_model_new ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  /* No provider yet: nothing to save when the selection settles. */
  self->syncing = TRUE;
  adw_combo_row_set_model (self->kind_row, labels);
  self->syncing = FALSE;
}

/* After the key was stored or removed elsewhere (the Add Provider form). */
void
confab_provider_row_refresh_key_state (ConfabProviderRow *self)
{
  g_return_if_fail (CONFAB_IS_PROVIDER_ROW (self));

  refresh_key_state (self);
}

ConfabProviderRow *
confab_provider_row_new (ConfabDatabase    *database,
                         ConfabSecretStore *store,
                         ConfabProvider    *provider)
{
  g_return_val_if_fail (CONFAB_IS_DATABASE (database), NULL);
  g_return_val_if_fail (store == NULL || CONFAB_IS_SECRET_STORE (store), NULL);
  g_return_val_if_fail (CONFAB_IS_PROVIDER (provider), NULL);

  return g_object_new (CONFAB_TYPE_PROVIDER_ROW,
                       "database", database,
                       "secret-store", store,
                       "provider", provider,
                       NULL);
}

ConfabProvider *
confab_provider_row_get_provider (ConfabProviderRow *self)
{
  g_return_val_if_fail (CONFAB_IS_PROVIDER_ROW (self), NULL);

  return self->provider;
}

ConfabProviderKeyState
confab_provider_row_get_key_state (ConfabProviderRow *self)
{
  g_return_val_if_fail (CONFAB_IS_PROVIDER_ROW (self), CONFAB_PROVIDER_KEY_UNKNOWN);

  return self->key_state;
}

ConfabProviderConnection
confab_provider_row_get_connection (ConfabProviderRow *self)
{
  g_return_val_if_fail (CONFAB_IS_PROVIDER_ROW (self), CONFAB_PROVIDER_CONNECTION_UNTESTED);

  return self->connection;
}

const char *
confab_provider_row_get_connection_message (ConfabProviderRow *self)
{
  g_return_val_if_fail (CONFAB_IS_PROVIDER_ROW (self), NULL);

  return self->connection_message;
}

gboolean
confab_provider_row_get_fetching_models (ConfabProviderRow *self)
{
  g_return_val_if_fail (CONFAB_IS_PROVIDER_ROW (self), FALSE);

  return self->fetching_models;
}

GListModel *
confab_provider_row_get_models (ConfabProviderRow *self)
{
  g_return_val_if_fail (CONFAB_IS_PROVIDER_ROW (self), NULL);

  return G_LIST_MODEL (self->models);
}

GtkEditable *
confab_provider_row_get_key_editable (ConfabProviderRow *self)
{
  g_return_val_if_fail (CONFAB_IS_PROVIDER_ROW (self), NULL);

  return GTK_EDITABLE (self->key_row);
}
