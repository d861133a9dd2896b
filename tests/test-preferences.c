/* test-preferences.c: providers and their keys, the Add Provider form and
 * the appearance, driven through the preferences window.
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define _GNU_SOURCE /* memmem */

#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "confab-mock-llm-server.h"
#include "confab-preferences-window.h"
#include "confab-secret-store.h"
#include "confab-test-util.h"
#include "confab-window.h"

#define CANARY     "sk-prefs-canary-0123456789abcdef"
#define ADD_CANARY "sk-added-canary-fedcba9876543210"
#define ID(entity) confab_entity_get_id (CONFAB_ENTITY (entity))

typedef struct
{
  ConfabTestWorkspace     *ws;
  ConfabMockLlmServer     *server;
  ConfabSecretStore       *store;
  ConfabPreferencesWindow *window;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->ws = confab_test_workspace_new ();
  f->server = confab_mock_llm_server_new ();
  f->store = confab_secret_store_new ();
  f->window = confab_preferences_window_new (NULL, f->ws->db);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  confab_test_drain_main_loop ();
  g_clear_object (&f->store);
  g_clear_object (&f->server);
  g_clear_pointer (&f->ws, confab_test_workspace_free);
}

/* Runs the main loop until func (data) holds, or fails after a while. */
static void
wait_for (gboolean   (*func) (gpointer),
          gpointer     data,
          const char  *what)
{
  if (!confab_mock_wait_until (func, data, 20000))
    g_error ("Timed out waiting until %s", what);
}

static ConfabProvider *
add_provider (Fixture    *f,
              const char *name)
{
  g_autofree char *url = confab_mock_llm_server_get_url (f->server, "/v1");
  g_autoptr (GError) error = NULL;
  ConfabProvider *provider = confab_provider_new (name, "openai_compatible", url);

  confab_repository_create (f->ws->db, CONFAB_ENTITY (provider), NULL, &error);
  g_assert_no_error (error);
  return provider;
}

typedef struct
{
  Fixture    *f;
  const char *id;
} RowWait;

static gboolean
row_shown (gpointer data)
{
  RowWait *wait = data;

  return confab_preferences_window_find_provider_row (wait->f->window, wait->id) != NULL;
}

static ConfabProviderRow *
wait_for_row (Fixture    *f,
              const char *provider_id)
{
  RowWait wait = { f, provider_id };

  wait_for (row_shown, &wait, "the provider's row is shown");
  return confab_preferences_window_find_provider_row (f->window, provider_id);
}

static gboolean
key_state_known (gpointer row)
{
  return confab_provider_row_get_key_state (row) != CONFAB_PROVIDER_KEY_UNKNOWN;
}

typedef struct
{
  ConfabProviderRow      *row;
  ConfabProviderKeyState  state;
} KeyWait;

static gboolean
key_state_is (gpointer data)
{
  KeyWait *wait = data;

  return confab_provider_row_get_key_state (wait->row) == wait->state;
}

static void
wait_for_key_state (ConfabProviderRow      *row,
                    ConfabProviderKeyState  state)
{
  KeyWait wait = { row, state };

  if (!confab_mock_wait_until (key_state_is, &wait, 20000))
    g_error ("The row shows key state %d, not %d", confab_provider_row_get_key_state (row), state);
}

static gboolean
tested (gpointer row)
{
  return confab_provider_row_get_connection (row) != CONFAB_PROVIDER_CONNECTION_TESTING;
}

static gboolean
models_fetched (gpointer row)
{
  return !confab_provider_row_get_fetching_models (row);
}

static char *
lookup_key (Fixture    *f,
            const char *provider_id)
{
  g_autoptr (GError) error = NULL;
  char *key = confab_secret_store_lookup_sync (f->store, provider_id, NULL, &error);

  g_assert_no_error (error);
  return key;
}

static gboolean
bytes_contain (const char *data,
               gsize       len,
               const char *needle)
{
  return data != NULL && memmem (data, len, needle, strlen (needle)) != NULL;
}

/* The workspace's folder (the file, its -wal and -shm) never holds the key. */
static void
assert_not_in_workspace (Fixture    *f,
                         const char *key)
{
  g_autoptr (GDir) dir = g_dir_open (f->ws->dir, 0, NULL);
  const char *name;
  guint n_files = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->ws->dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      if (bytes_contain (contents, len, key))
        g_error ("The API key was written to %s", path);
      n_files++;
    }
  g_assert_cmpuint (n_files, >=, 1);
}

/* Some AdwMessageDialog the row presented, answered as a user would. */
static void
respond_to_dialog (const char *heading_start,
                   const char *response)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) &&
          gtk_widget_get_visible (GTK_WIDGET (window)) &&
          g_str_has_prefix (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (window)),
                            heading_start))
        {
          adw_message_dialog_response (ADW_MESSAGE_DIALOG (window), response);
          return;
        }
    }
  g_error ("No dialog “%s…” is shown", heading_start);
}

static gboolean
dialog_shown (gpointer data)
{
  const char *heading_start = data;
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) &&
          gtk_widget_get_visible (GTK_WIDGET (window)) &&
          g_str_has_prefix (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (window)),
                            heading_start))
        return TRUE;
    }
  return FALSE;
}

static gboolean
provider_gone (gpointer data)
{
  RowWait *wait = data;
  gint64 n = confab_database_query_int (wait->f->ws->db,
                                        "SELECT count(*) FROM providers WHERE id = ?",
                                        wait->id, NULL);

  return n == 0 && !row_shown (wait);
}

static void
test_provider_key (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr (ConfabProvider) provider = add_provider (f, "Mock");
  g_autofree char *stored = NULL;
  GtkEditable *key_field;
  ConfabProviderRow *row;
  const char *id = ID (provider);

  row = wait_for_row (f, id);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Mock");
  wait_for (key_state_known, row, "the row knows whether a key is stored");
  g_assert_cmpint (confab_provider_row_get_key_state (row), ==, CONFAB_PROVIDER_KEY_NONE);

  /* Nothing typed: nothing to save. */
  gtk_widget_activate_action (GTK_WIDGET (row), "provider.save-key", NULL);
  confab_test_drain_main_loop ();
  g_assert_cmpint (confab_provider_row_get_key_state (row), ==, CONFAB_PROVIDER_KEY_NONE);
  g_assert_null (lookup_key (f, id));

  /* Typed and saved: the keyring has it, the field forgets it. */
  key_field = confab_provider_row_get_key_editable (row);
  gtk_editable_set_text (key_field, CANARY);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "provider.save-key", NULL));
  wait_for_key_state (row, CONFAB_PROVIDER_KEY_SAVED);
  g_assert_cmpstr (gtk_editable_get_text (key_field), ==, "");
  stored = lookup_key (f, id);
  g_assert_cmpstr (stored, ==, CANARY);
  confab_secret_store_free_key (g_steal_pointer (&stored));

  /* Never in the workspace, even after a checkpoint. */
  assert_not_in_workspace (f, CANARY);
  g_assert_true (confab_database_exec (f->ws->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL));
  assert_not_in_workspace (f, CANARY);

  /* A row made afresh (another window) finds the stored key. */
  {
    ConfabPreferencesWindow *other = confab_preferences_window_new (NULL, f->ws->db);
    ConfabProviderRow *other_row;

    gtk_window_present (GTK_WINDOW (other));
    other_row = confab_preferences_window_find_provider_row (other, id);
    g_assert_nonnull (other_row);
    wait_for_key_state (other_row, CONFAB_PROVIDER_KEY_SAVED);
    gtk_window_destroy (GTK_WINDOW (other));
  }

  /* Removed from the keyring. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "provider.remove-key", NULL));
  wait_for_key_state (row, CONFAB_PROVIDER_KEY_NONE);
  stored = lookup_key (f, id);
  g_assert_null (stored);
}

static void
test_connection (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr (ConfabProvider) provider = add_provider (f, "Mock");
  const ConfabMockRequest *request;
  ConfabProviderRow *row;
  const char *message;

  row = wait_for_row (f, ID (provider));
  wait_for (key_state_known, row, "the row knows whether a key is stored");
  gtk_editable_set_text (confab_provider_row_get_key_editable (row), CANARY);
  gtk_widget_activate_action (GTK_WIDGET (row), "provider.save-key", NULL);
  wait_for_key_state (row, CONFAB_PROVIDER_KEY_SAVED);
  g_assert_cmpint (confab_provider_row_get_connection (row), ==,
                   CONFAB_PROVIDER_CONNECTION_UNTESTED);

  /* Success, with the key from the keyring. */
  confab_mock_llm_server_push (f->server, confab_mock_response_new_json (200,
    "{\"object\":\"list\",\"data\":[{\"id\":\"mock-large\"},{\"id\":\"mock-small\"}]}"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "provider.test", NULL));
  g_assert_cmpint (confab_provider_row_get_connection (row), ==,
                   CONFAB_PROVIDER_CONNECTION_TESTING);
  wait_for (tested, row, "the connection test ends");
  g_assert_cmpint (confab_provider_row_get_connection (row), ==, CONFAB_PROVIDER_CONNECTION_OK);
  g_assert_cmpstr (confab_provider_row_get_connection_message (row), ==, "Connected");
  request = confab_mock_llm_server_get_request (f->server, 0);
  g_assert_cmpstr (request->path, ==, "/v1/models");
  g_assert_cmpstr (confab_mock_request_get_header (request, "Authorization"), ==,
                   "Bearer " CANARY);

  /* A rejected key is said plainly, without the key. */
  confab_mock_llm_server_push (f->server, confab_mock_response_new_json (401,
    "{\"error\":{\"message\":\"Incorrect API key provided: " CANARY "\"}}"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "provider.test", NULL));
  wait_for (tested, row, "the connection test ends");
  g_assert_cmpint (confab_provider_row_get_connection (row), ==,
                   CONFAB_PROVIDER_CONNECTION_FAILED);
  message = confab_provider_row_get_connection_message (row);
  g_assert_true (g_str_has_prefix (message, "The API key for “Mock” was rejected"));
  g_assert_null (strstr (message, CANARY));

  /* Too many requests: the wait is named. */
  {
    ConfabMockResponse *response = confab_mock_response_new_json (429,
      "{\"error\":{\"message\":\"Rate limit reached\"}}");

    confab_mock_response_add_header (response, "Retry-After", "120");
    confab_mock_llm_server_push (f->server, response);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "provider.test", NULL));
    wait_for (tested, row, "the connection test ends");
    g_assert_cmpint (confab_provider_row_get_connection (row), ==,
                     CONFAB_PROVIDER_CONNECTION_FAILED);
    g_assert_nonnull (strstr (confab_provider_row_get_connection_message (row), "Mock"));
  }

  /* The models: fetched live, one picked as the default. */
  confab_mock_llm_server_push (f->server, confab_mock_response_new_json (200,
    "{\"object\":\"list\",\"data\":[{\"id\":\"mock-small\"},{\"id\":\"mock-large\"}]}"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "provider.fetch-models", NULL));
  g_assert_true (confab_provider_row_get_fetching_models (row));
  wait_for (models_fetched, row, "the models are listed");
  {
    GListModel *models = confab_provider_row_get_models (row);
    g_autoptr (ConfabProvider) saved = NULL;
    g_autoptr (GError) error = NULL;

    g_assert_cmpuint (g_list_model_get_n_items (models), ==, 2);
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (models), 0), ==, "mock-large");
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (models), 1), ==, "mock-small");

    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "provider.choose-model", "s",
                                               "mock-small"));
    saved = confab_repository_get (f->ws->db, CONFAB_TYPE_PROVIDER, ID (provider), &error);
    g_assert_no_error (error);
    g_assert_cmpstr (confab_provider_get_default_model (saved), ==, "mock-small");
  }

  /* No server at all. */
  {
    g_autoptr (ConfabProvider) saved = NULL;
    g_autoptr (GError) error = NULL;

    saved = confab_repository_get (f->ws->db, CONFAB_TYPE_PROVIDER, ID (provider), &error);
    confab_provider_set_base_url (saved, "http://127.0.0.1:1/v1");
    g_assert_true (confab_repository_update (f->ws->db, CONFAB_ENTITY (saved), NULL, &error));
    g_assert_no_error (error);
    confab_test_drain_main_loop ();
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "provider.test", NULL));
    wait_for (tested, row, "the connection test ends");
    g_assert_cmpint (confab_provider_row_get_connection (row), ==,
                     CONFAB_PROVIDER_CONNECTION_FAILED);
    g_assert_nonnull (strstr (confab_provider_row_get_connection_message (row), "127.0.0.1"));
  }
}

static void
test_remove_provider (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr (ConfabProvider) provider = add_provider (f, "Doomed");
  g_autofree char *id = g_strdup (ID (provider));
  g_autofree char *stored = NULL;
  RowWait wait = { f, id };
  ConfabProviderRow *row;

  row = wait_for_row (f, id);
  wait_for (key_state_known, row, "the row knows whether a key is stored");
  gtk_editable_set_text (confab_provider_row_get_key_editable (row), CANARY);
  gtk_widget_activate_action (GTK_WIDGET (row), "provider.save-key", NULL);
  wait_for_key_state (row, CONFAB_PROVIDER_KEY_SAVED);

  /* Asked first: cancelling keeps everything. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "provider.remove", NULL));
  respond_to_dialog ("Remove “Doomed”", "cancel");
  confab_test_drain_main_loop ();
  g_assert_nonnull (confab_preferences_window_find_provider_row (f->window, id));
  stored = lookup_key (f, id);
  g_assert_cmpstr (stored, ==, CANARY);
  confab_secret_store_free_key (g_steal_pointer (&stored));

  /* Confirmed: the provider and its key are gone. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "provider.remove", NULL));
  respond_to_dialog ("Remove “Doomed”", "remove");
  wait_for (provider_gone, &wait, "the provider is removed");
  stored = lookup_key (f, id);
  g_assert_null (stored);
}

/* The first row under root titled title (depth first). */
static GtkWidget *
find_row (GtkWidget  *root,
          const char *title)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (ADW_IS_PREFERENCES_ROW (child) &&
          g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (child)), title) == 0)
        return child;
      found = find_row (child, title);
      if (found != NULL)
        return found;
    }
  return NULL;
}

static ConfabProvider *
reload (Fixture        *f,
        ConfabProvider *provider)
{
  g_autoptr (GError) error = NULL;
  ConfabProvider *saved = confab_repository_get (f->ws->db, CONFAB_TYPE_PROVIDER, ID (provider),
                                                 &error);

  g_assert_no_error (error);
  return saved;
}

static void
test_edit_fields (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr (ConfabProvider) provider = add_provider (f, "Mock");
  g_autoptr (ConfabProvider) other = add_provider (f, "Other");
  g_autoptr (ConfabProvider) saved = NULL;
  g_autoptr (GError) error = NULL;
  ConfabProviderRow *row = wait_for_row (f, ID (provider));
  GtkWidget *name_row, *url_row, *streaming_row;
  GtkSpinButton *idle_spin;

  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), TRUE);
  name_row = find_row (GTK_WIDGET (row), "Name");
  url_row = find_row (GTK_WIDGET (row), "Base URL");
  streaming_row = find_row (GTK_WIDGET (row), "Stream Replies");
  idle_spin = GTK_SPIN_BUTTON (adw_action_row_get_activatable_widget (
    ADW_ACTION_ROW (find_row (GTK_WIDGET (row), "Idle Timeout"))));
  g_assert_nonnull (name_row);
  g_assert_nonnull (url_row);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (name_row)), ==, "Mock");

  /* A name in use is refused as it is typed, and not saved when applied. */
  gtk_editable_set_text (GTK_EDITABLE (name_row), "Other");
  g_assert_true (gtk_widget_has_css_class (name_row, "error"));
  g_signal_emit_by_name (name_row, "apply");
  saved = reload (f, provider);
  g_assert_cmpstr (confab_provider_get_name (saved), ==, "Mock");
  g_clear_object (&saved);

  /* A good one is saved, and the row's title follows. */
  gtk_editable_set_text (GTK_EDITABLE (name_row), "Renamed");
  g_assert_false (gtk_widget_has_css_class (name_row, "error"));
  g_signal_emit_by_name (name_row, "apply");
  saved = reload (f, provider);
  g_assert_cmpstr (confab_provider_get_name (saved), ==, "Renamed");
  g_clear_object (&saved);
  confab_test_drain_main_loop ();
  row = wait_for_row (f, ID (provider));
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "Renamed");
  /* Open before the list re-sorted, open after. */
  g_assert_true (adw_expander_row_get_expanded (ADW_EXPANDER_ROW (row)));
  url_row = find_row (GTK_WIDGET (row), "Base URL");
  streaming_row = find_row (GTK_WIDGET (row), "Stream Replies");
  idle_spin = GTK_SPIN_BUTTON (adw_action_row_get_activatable_widget (
    ADW_ACTION_ROW (find_row (GTK_WIDGET (row), "Idle Timeout"))));

  /* A wrong address is not saved. */
  gtk_editable_set_text (GTK_EDITABLE (url_row), "ftp://example.com");
  g_assert_true (gtk_widget_has_css_class (url_row, "error"));
  g_signal_emit_by_name (url_row, "apply");
  saved = reload (f, provider);
  g_assert_true (g_str_has_prefix (confab_provider_get_base_url (saved), "http://127.0.0.1:"));
  g_clear_object (&saved);

  /* Spins and switches save at once. */
  gtk_spin_button_set_value (idle_spin, 300);
  gtk_switch_set_active (GTK_SWITCH (adw_action_row_get_activatable_widget (
                           ADW_ACTION_ROW (streaming_row))), FALSE);
  saved = reload (f, provider);
  g_assert_cmpint (confab_provider_get_idle_timeout_s (saved), ==, 300);
  g_assert_false (confab_provider_get_supports_streaming (saved));
  g_clear_object (&saved);

  /* Changed elsewhere (confab-cli, another window): the row follows. */
  saved = reload (f, provider);
  confab_provider_set_kind (saved, "ollama");
  g_assert_true (confab_repository_update (f->ws->db, CONFAB_ENTITY (saved), NULL, &error));
  g_assert_no_error (error);
  confab_test_drain_main_loop ();
  row = wait_for_row (f, ID (provider));
  g_assert_nonnull (strstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (row)), "Ollama"));
  g_assert_cmpint (gtk_spin_button_get_value_as_int (idle_spin), ==, 300);
}

static void
test_add_provider (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr (ConfabProvider) taken = add_provider (f, "Taken");
  g_autoptr (ConfabProvider) added = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *stored = NULL;
  GtkEditable *name = confab_preferences_window_get_add_field (f->window, "name");
  GtkEditable *url = confab_preferences_window_get_add_field (f->window, "url");
  GtkEditable *model = confab_preferences_window_get_add_field (f->window, "model");
  GtkEditable *key = confab_preferences_window_get_add_field (f->window, "key");
  GtkLabel *problem = confab_preferences_window_get_add_error (f->window);
  g_autofree char *mock_url = confab_mock_llm_server_get_url (f->server, "/v1");
  ConfabProviderRow *row;

  /* The form opens filled in for the first type, with nothing wrong. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "prefs.add-provider", NULL));
  g_assert_cmpstr (gtk_editable_get_text (name), ==, "OpenAI");
  g_assert_cmpstr (gtk_editable_get_text (url), ==, "https://api.openai.com/v1");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (problem)));

  /* Checked as people type. */
  gtk_editable_set_text (name, "");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (problem)));
  g_assert_cmpstr (gtk_label_get_text (problem), ==, "The name cannot be empty");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "prefs.confirm-add", NULL);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM providers"), ==, 1);

  gtk_editable_set_text (name, "Taken");
  g_assert_cmpstr (gtk_label_get_text (problem), ==,
                   "The name “Taken” is already used by another provider");
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (name), "error"));

  gtk_editable_set_text (name, "Local");
  gtk_editable_set_text (url, "localhost:8080");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (problem)));
  g_assert_nonnull (strstr (gtk_label_get_text (problem), "is not a valid base URL"));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (url), "error"));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (name), "error"));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "prefs.confirm-add", NULL);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM providers"), ==, 1);

  gtk_editable_set_text (url, mock_url);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (problem)));
  gtk_editable_set_text (model, "mock-large");
  gtk_editable_set_text (key, ADD_CANARY);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "prefs.confirm-add", NULL));

  /* Saved, shown open, and its key in the keyring only. */
  added = confab_repository_find (f->ws->db, CONFAB_TYPE_PROVIDER, "name", "Local", &error);
  g_assert_no_error (error);
  g_assert_nonnull (added);
  g_assert_cmpstr (confab_provider_get_kind (added), ==, "openai");
  g_assert_cmpstr (confab_provider_get_base_url (added), ==, mock_url);
  g_assert_cmpstr (confab_provider_get_default_model (added), ==, "mock-large");
  row = confab_preferences_window_find_provider_row (f->window, ID (added));
  g_assert_nonnull (row);
  g_assert_true (adw_expander_row_get_expanded (ADW_EXPANDER_ROW (row)));
  wait_for_key_state (row, CONFAB_PROVIDER_KEY_SAVED);
  stored = lookup_key (f, ID (added));
  g_assert_cmpstr (stored, ==, ADD_CANARY);
  confab_secret_store_free_key (g_steal_pointer (&stored));
  assert_not_in_workspace (f, ADD_CANARY);

  /* The form forgot the key. */
  g_assert_cmpstr (gtk_editable_get_text (key), ==, "");

  /* Opened again, the suggested name is free. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "prefs.add-provider", NULL));
  g_assert_cmpstr (gtk_editable_get_text (name), ==, "OpenAI");
  gtk_editable_set_text (name, "Local");
  g_assert_cmpstr (gtk_label_get_text (problem), ==,
                   "The name “Local” is already used by another provider");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "prefs.cancel-add", NULL));

  /* Clean up the keyring for the next tests. */
  g_assert_true (confab_secret_store_delete_sync (f->store, ID (added), NULL, &error));
}

static void
test_appearance (Fixture       *f,
                 gconstpointer  data)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GSettings) settings = NULL;
  g_autofree char *scheme = NULL;
  AdwStyleManager *style = adw_style_manager_get_default ();

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, APP_ID, TRUE);
  if (schema == NULL)
    {
      g_test_skip ("The settings schema is not compiled");
      return;
    }
  settings = g_settings_new (APP_ID);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "settings.color-scheme", "s",
                                             "dark"));
  scheme = g_settings_get_string (settings, "color-scheme");
  g_assert_cmpstr (scheme, ==, "dark");
  g_assert_cmpint (adw_style_manager_get_color_scheme (style), ==, ADW_COLOR_SCHEME_FORCE_DARK);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->window), "settings.color-scheme", "s",
                                             "light"));
  g_assert_cmpint (adw_style_manager_get_color_scheme (style), ==, ADW_COLOR_SCHEME_FORCE_LIGHT);

  /* Set elsewhere (another window, dconf), it applies too. */
  g_settings_set_string (settings, "color-scheme", "default");
  g_assert_cmpint (adw_style_manager_get_color_scheme (style), ==, ADW_COLOR_SCHEME_DEFAULT);
}

/* No Secret Service at all: the window says so, keys cannot be typed in,
 * and a provider can still be removed, after a clear warning. Runs in a
 * process of its own, whose session bus is a dead address (see main()). */
static void
test_no_keyring (void)
{
  if (g_test_subprocess ())
    {
      Fixture fixture = { 0 };
      Fixture *f = &fixture;
      g_autoptr (ConfabProvider) provider = NULL;
      g_autofree char *id = NULL;
      ConfabProviderRow *row;
      GtkWidget *notice;
      RowWait wait;

      fixture_set_up (f, NULL);
      provider = add_provider (f, "Keyless");
      id = g_strdup (ID (provider));
      wait = (RowWait) { f, id };

      row = wait_for_row (f, id);
      wait_for_key_state (row, CONFAB_PROVIDER_KEY_NO_KEYRING);
      notice = find_row (GTK_WIDGET (f->window), "No Keyring Available");
      g_assert_nonnull (notice);
      confab_test_drain_main_loop ();
      g_assert_true (gtk_widget_is_visible (notice));
      g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (confab_provider_row_get_key_editable (row))));

      /* Removing asks twice: once as always, once about the keyring. */
      gtk_widget_activate_action (GTK_WIDGET (row), "provider.remove", NULL);
      respond_to_dialog ("Remove “Keyless”", "remove");
      wait_for (dialog_shown, (gpointer) "Keyring Not Available", "the keyring warning is shown");
      respond_to_dialog ("Keyring Not Available", "remove");
      wait_for (provider_gone, &wait, "the provider is removed");

      fixture_tear_down (f, NULL);
      return;
    }

  g_setenv ("CONFAB_TEST_DEAD_BUS", "1", TRUE);
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_unsetenv ("CONFAB_TEST_DEAD_BUS");
  g_test_trap_assert_passed ();
}

/* Ctrl+comma in the main window opens Preferences on its workspace. */
static void
test_window_action (Fixture       *f,
                    gconstpointer  data)
{
  ConfabWindow *window = confab_window_new (NULL);
  GListModel *toplevels = NULL;
  ConfabPreferencesWindow *found = NULL;

  confab_window_set_database (window, f->ws->db);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.preferences", NULL));

  toplevels = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (CONFAB_IS_PREFERENCES_WINDOW (toplevel) &&
          gtk_window_get_transient_for (toplevel) == GTK_WINDOW (window))
        found = CONFAB_PREFERENCES_WINDOW (toplevel);
    }
  g_assert_nonnull (found);
  g_assert_true (confab_preferences_window_get_database (found) == f->ws->db);

  /* Closed with its window. */
  g_object_add_weak_pointer (G_OBJECT (found), (gpointer *) &found);
  gtk_window_destroy (GTK_WINDOW (window));
  confab_test_drain_main_loop ();
  g_assert_null (found);
}

static void
use_uninstalled_schema (const char *argv0)
{
  const char *builddir = g_getenv ("G_TEST_BUILDDIR");
  g_autofree char *testdir = builddir ? g_strdup (builddir) : g_path_get_dirname (argv0);
  g_autofree char *dir = g_build_filename (testdir, "..", "data", NULL);
  g_autofree char *compiled = g_build_filename (dir, "gschemas.compiled", NULL);

  if (g_file_test (compiled, G_FILE_TEST_EXISTS))
    g_setenv ("GSETTINGS_SCHEMA_DIR", dir, FALSE);
  g_setenv ("GSETTINGS_BACKEND", "memory", FALSE);
}

int
main (int    argc,
      char **argv)
{
  /* test_no_keyring's own process: no session bus, so no keyring. */
  if (g_getenv ("CONFAB_TEST_DEAD_BUS") != NULL)
    {
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent", TRUE);
      g_unsetenv ("DBUS_STARTER_ADDRESS");
      g_setenv ("SECRET_BACKEND", "service", TRUE);
    }
  use_uninstalled_schema (argv[0]);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

#define ADD(path, func) \
  g_test_add ("/confab/preferences/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("provider-key", test_provider_key);
  ADD ("connection", test_connection);
  ADD ("remove-provider", test_remove_provider);
  ADD ("edit-fields", test_edit_fields);
  ADD ("add-provider", test_add_provider);
  ADD ("appearance", test_appearance);
  g_test_add_func ("/confab/preferences/no-keyring", test_no_keyring);
  ADD ("window-action", test_window_action);
#undef ADD

  return g_test_run ();
}
