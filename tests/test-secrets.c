/* ConfabSecretStore against a real gnome-keyring, and confab-cli providers.
 *
 * Run through tools/run-tests, which starts a private session bus and an
 * unlocked throwaway gnome-keyring. Every test stores keys under fresh
 * random provider ids and removes them again. */

#define _GNU_SOURCE /* memmem */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <json-glib/json-glib.h>

#include "confab-secret-store.h"
#include "confab-test-util.h"

#define CANARY "sk-canary-0123456789abcdef"
#define DEAD_BUS "unix:path=/nonexistent"
#define NO_KEYRING_STORE_MESSAGE \
  "No keyring is available to store the API key for “%s”. Start a Secret Service such as " \
  "GNOME Keyring and try again."

/* Log capture: every message of this process, at any level, whatever
 * G_MESSAGES_DEBUG says, so the canary test can scan it. */

static GMutex log_lock;
static GString *log_text;

static GLogWriterOutput
capture_log (GLogLevelFlags   level,
             const GLogField *fields,
             gsize            n_fields,
             gpointer         user_data)
{
  g_mutex_lock (&log_lock);
  for (gsize i = 0; i < n_fields; i++)
    if (fields[i].length < 0)
      g_string_append_printf (log_text, "%s=%s\n", fields[i].key, (const char *) fields[i].value);
    else
      {
        g_string_append_printf (log_text, "%s=", fields[i].key);
        g_string_append_len (log_text, fields[i].value, fields[i].length);
        g_string_append_c (log_text, '\n');
      }
  g_mutex_unlock (&log_lock);
  return g_log_writer_default (level, fields, n_fields, user_data);
}

static gboolean
bytes_contain (const void *data,
               gsize       len,
               const char *needle)
{
  return data != NULL && memmem (data, len, needle, strlen (needle)) != NULL;
}

static void
assert_no_canary (const char *what,
                  const void *data,
                  gsize       len)
{
  if (bytes_contain (data, len, CANARY))
    g_error ("The API key leaked into %s", what);
}

/* Files (recursively) under dir, each read as bytes and scanned. */
static guint
assert_no_canary_in_tree (const char *dir)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n_files = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;
      g_autoptr (GError) error = NULL;

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          n_files += assert_no_canary_in_tree (path);
          continue;
        }
      g_file_get_contents (path, &contents, &len, &error);
      g_assert_no_error (error);
      assert_no_canary (path, contents, len);
      n_files++;
    }
  return n_files;
}

/* Keyring helpers */

static char *
new_provider_id (void)
{
  return g_uuid_string_random ();
}

static void
on_result (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
  g_main_context_wakeup (NULL);
}

static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

static gboolean
store_key (ConfabSecretStore  *store,
           const char         *id,
           const char         *name,
           const char         *key,
           GCancellable       *cancellable,
           GError            **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  confab_secret_store_store_async (store, id, name, key, cancellable, on_result, &result);
  return confab_secret_store_store_finish (store, wait_for (&result), error);
}

static char *
lookup_key (ConfabSecretStore  *store,
            const char         *id,
            GCancellable       *cancellable,
            GError            **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  confab_secret_store_lookup_async (store, id, cancellable, on_result, &result);
  return confab_secret_store_lookup_finish (store, wait_for (&result), error);
}

static gboolean
delete_key (ConfabSecretStore  *store,
            const char         *id,
            GError            **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  confab_secret_store_delete_async (store, id, NULL, on_result, &result);
  return confab_secret_store_delete_finish (store, wait_for (&result), error);
}

static gboolean
has_key (ConfabSecretStore *store,
         const char        *id)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  gboolean found = TRUE;

  confab_secret_store_has_key_async (store, id, NULL, on_result, &result);
  g_assert_true (confab_secret_store_has_key_finish (store, wait_for (&result), &found, &error));
  g_assert_no_error (error);
  return found;
}

static void
assert_key (ConfabSecretStore *store,
            const char        *id,
            const char        *expected)
{
  g_autoptr (GError) error = NULL;
  char *key = lookup_key (store, id, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, expected);
  confab_secret_store_free_key (key);
  g_assert_true (has_key (store, id) == (expected != NULL));
}

/* How many keyring items this provider id has, and the label of the first,
 * asked of the Secret Service over D-Bus: this checks the schema name and
 * the attribute as they are stored. (Not through libsecret's search, whose
 * SecretItem proxies leak a little under LeakSanitizer.) */
static guint
keyring_items (const char  *id,
               char       **label)
{
  g_autoptr (GDBusConnection) bus = NULL;
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GVariant) value = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) unlocked = NULL;
  g_auto (GStrv) locked = NULL;
  GVariantBuilder attributes;
  guint n;

  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  g_variant_builder_init (&attributes, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&attributes, "{ss}", "xdg:schema", "io.github.confab.Confab.ApiKey");
  g_variant_builder_add (&attributes, "{ss}", "provider-id", id);
  reply = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
                                       "org.freedesktop.Secret.Service", "SearchItems",
                                       g_variant_new ("(a{ss})", &attributes),
                                       G_VARIANT_TYPE ("(aoao)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                       NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(^ao^ao)", &unlocked, &locked);
  n = g_strv_length (unlocked) + g_strv_length (locked);

  if (label != NULL)
    {
      const char *path = unlocked[0] != NULL ? unlocked[0] : locked[0];

      *label = NULL;
      if (path != NULL)
        {
          g_clear_pointer (&reply, g_variant_unref);
          reply = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", path,
                                               "org.freedesktop.DBus.Properties", "Get",
                                               g_variant_new ("(ss)", "org.freedesktop.Secret.Item",
                                                              "Label"),
                                               G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                               NULL, &error);
          g_assert_no_error (error);
          g_variant_get (reply, "(v)", &value);
          *label = g_variant_dup_string (value, NULL);
        }
    }
  return n;
}

/* The keyring tests need the throwaway keyring of tools/run-tests; without
 * one they fail loudly rather than pass without testing anything. */
static gboolean
require_keyring (void)
{
  g_autoptr (ConfabSecretStore) store = confab_secret_store_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *id = new_provider_id ();
  gboolean found;

  if (confab_secret_store_has_key_sync (store, id, &found, NULL, &error))
    return TRUE;
  g_test_message ("No Secret Service is reachable (%s): run this test through "
                  "tools/run-tests, which starts a throwaway gnome-keyring", error->message);
  g_test_fail ();
  return FALSE;
}

/* Store, lookup, replace, delete */

static void
test_round_trip (void)
{
  g_autoptr (ConfabSecretStore) store = confab_secret_store_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *id = new_provider_id ();
  g_autofree char *label = NULL;

  if (!require_keyring ())
    return;

  assert_key (store, id, NULL);

  g_assert_true (store_key (store, id, "Round Trip", "sk-first-key", NULL, &error));
  g_assert_no_error (error);
  assert_key (store, id, "sk-first-key");

  /* The item is labelled for people, under our schema and attribute. */
  g_assert_cmpuint (keyring_items (id, &label), ==, 1);
  g_assert_cmpstr (label, ==, "Confab API key for “Round Trip”");
  g_clear_pointer (&label, g_free);

  /* Storing again replaces: still one item, with the new key and label. */
  g_assert_true (store_key (store, id, "Renamed", "sk-second-key", NULL, &error));
  g_assert_no_error (error);
  assert_key (store, id, "sk-second-key");
  g_assert_cmpuint (keyring_items (id, &label), ==, 1);
  g_assert_cmpstr (label, ==, "Confab API key for “Renamed”");
  g_clear_pointer (&label, g_free);

  /* Unicode and spaces survive. */
  g_assert_true (store_key (store, id, "Renamed", "clé ✓ with spaces ", NULL, &error));
  g_assert_no_error (error);
  assert_key (store, id, "clé ✓ with spaces ");

  g_assert_true (delete_key (store, id, &error));
  g_assert_no_error (error);
  assert_key (store, id, NULL);
  g_assert_cmpuint (keyring_items (id, NULL), ==, 0);

  /* Deleting a key that is not there is not an error. */
  g_assert_true (delete_key (store, id, &error));
  g_assert_no_error (error);
}

static void
test_sync (void)
{
  g_autoptr (ConfabSecretStore) store = confab_secret_store_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *id = new_provider_id ();
  gboolean found = TRUE;
  char *key;

  if (!require_keyring ())
    return;

  key = confab_secret_store_lookup_sync (store, id, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (key);
  g_assert_true (confab_secret_store_has_key_sync (store, id, &found, NULL, &error));
  g_assert_false (found);

  g_assert_true (confab_secret_store_store_sync (store, id, "Sync", "sk-sync", NULL, &error));
  g_assert_no_error (error);
  key = confab_secret_store_lookup_sync (store, id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, "sk-sync");
  confab_secret_store_free_key (key);
  g_assert_true (confab_secret_store_has_key_sync (store, id, &found, NULL, &error));
  g_assert_true (found);

  g_assert_true (confab_secret_store_delete_sync (store, id, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (confab_secret_store_delete_sync (store, id, NULL, &error));
  g_assert_no_error (error);
  key = confab_secret_store_lookup_sync (store, id, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (key);
}

static void
test_missing (void)
{
  g_autoptr (ConfabSecretStore) store = confab_secret_store_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *id = new_provider_id ();
  char *key;

  if (!require_keyring ())
    return;

  key = lookup_key (store, id, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (key);
  g_assert_false (has_key (store, id));
}

static void
test_invalid_key (void)
{
  g_autoptr (ConfabSecretStore) store = confab_secret_store_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *id = new_provider_id ();

  /* Refused before the keyring is asked, naming the provider. */
  g_assert_false (store_key (store, id, "Empty", "", NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "“Empty”"));
  g_clear_error (&error);

  g_assert_false (confab_secret_store_store_sync (store, id, "Bad", "sk-\xff\xfe", NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_null (strstr (error->message, "sk-"));
}

static void
test_separate_providers (void)
{
  g_autoptr (ConfabSecretStore) store = confab_secret_store_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *a = new_provider_id ();
  g_autofree char *b = new_provider_id ();

  if (!require_keyring ())
    return;

  g_assert_true (store_key (store, a, "Alpha", "sk-alpha", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (store_key (store, b, "Beta", "sk-beta", NULL, &error));
  g_assert_no_error (error);
  assert_key (store, a, "sk-alpha");
  assert_key (store, b, "sk-beta");

  /* Replacing one leaves the other alone. */
  g_assert_true (store_key (store, a, "Alpha", "sk-alpha-2", NULL, &error));
  g_assert_no_error (error);
  assert_key (store, a, "sk-alpha-2");
  assert_key (store, b, "sk-beta");

  /* So does deleting one. */
  g_assert_true (delete_key (store, a, &error));
  g_assert_no_error (error);
  assert_key (store, a, NULL);
  assert_key (store, b, "sk-beta");

  g_assert_true (delete_key (store, b, &error));
  g_assert_no_error (error);
  assert_key (store, b, NULL);
}

static void
test_cancelled (void)
{
  g_autoptr (ConfabSecretStore) store = confab_secret_store_new ();
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *id = new_provider_id ();
  char *key;

  if (!require_keyring ())
    return;

  g_cancellable_cancel (cancellable);
  g_assert_false (store_key (store, id, "Cancelled", "sk-never", cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  key = lookup_key (store, id, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (key);
  g_clear_error (&error);

  assert_key (store, id, NULL);
}

/* Deleting a provider deletes its key */

static ConfabProvider *
add_provider (ConfabDatabase *db,
              const char     *name)
{
  g_autoptr (GError) error = NULL;
  ConfabProvider *provider = confab_provider_new (name, "openai_compatible",
                                                  "http://127.0.0.1:1/v1");

  confab_repository_create (db, CONFAB_ENTITY (provider), NULL, &error);
  g_assert_no_error (error);
  return provider;
}

static void
test_delete_with_key (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabSecretStore) store = confab_secret_store_new ();
  g_autoptr (ConfabProvider) keep = NULL;
  g_autoptr (ConfabProvider) gone = NULL;
  g_autoptr (ConfabProvider) keyless = NULL;
  g_autoptr (ConfabEntity) fetched = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *ghost = new_provider_id ();
  const char *keep_id;
  const char *gone_id;
  const char *keyless_id;

  if (!require_keyring ())
    return;

  keep = add_provider (ws->db, "Keep");
  gone = add_provider (ws->db, "Gone");
  keyless = add_provider (ws->db, "Keyless");
  keep_id = confab_entity_get_id (CONFAB_ENTITY (keep));
  gone_id = confab_entity_get_id (CONFAB_ENTITY (gone));
  keyless_id = confab_entity_get_id (CONFAB_ENTITY (keyless));

  g_assert_true (store_key (store, keep_id, "Keep", "sk-keep", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (store_key (store, gone_id, "Gone", "sk-gone", NULL, &error));
  g_assert_no_error (error);

  g_assert_true (confab_provider_delete_with_key (ws->db, store, gone_id, NULL, &error));
  g_assert_no_error (error);
  fetched = confab_repository_get (ws->db, CONFAB_TYPE_PROVIDER, gone_id, &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_null (fetched);
  g_clear_error (&error);
  assert_key (store, gone_id, NULL);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM audit_log WHERE "
                                                   "entity = 'provider' AND action = 'delete'"),
                   ==, 1);

  /* The other provider and its key are untouched. */
  fetched = confab_repository_get (ws->db, CONFAB_TYPE_PROVIDER, keep_id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fetched);
  assert_key (store, keep_id, "sk-keep");

  /* A provider without a key is removed too. */
  g_assert_true (confab_provider_delete_with_key (ws->db, store, keyless_id, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM providers"), ==, 1);

  /* An unknown id is NOT_FOUND, and nothing changes. */
  g_assert_false (confab_provider_delete_with_key (ws->db, store, ghost, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  assert_key (store, keep_id, "sk-keep");

  g_assert_true (confab_provider_delete_with_key (ws->db, store, keep_id, NULL, &error));
  g_assert_no_error (error);
  assert_key (store, keep_id, NULL);
}

/* No secret service: runs in a subprocess whose session bus is a dead
 * socket, and reports what it saw on stdout for the parent to check. */

/* Raw bytes on stdout: g_print() would turn “ into ? in the C locale. */
static void
report (const char *what,
        const char *message)
{
  fprintf (stdout, "%s: %s\n", what, message);
  fflush (stdout);
}

static void
no_keyring_child (void)
{
  g_autoptr (ConfabTestWorkspace) ws = NULL;
  g_autoptr (ConfabSecretStore) store = confab_secret_store_new ();
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (ConfabEntity) fetched = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *id = new_provider_id ();
  g_autofree char *expected = g_strdup_printf (NO_KEYRING_STORE_MESSAGE, "Canary");
  gboolean found = FALSE;
  char *key;

  g_setenv ("DBUS_SESSION_BUS_ADDRESS", DEAD_BUS, TRUE);
  g_unsetenv ("DBUS_STARTER_ADDRESS");
  g_setenv ("SECRET_BACKEND", "service", TRUE);

  g_assert_false (store_key (store, id, "Canary", CANARY, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_KEYRING);
  g_assert_cmpstr (error->message, ==, expected);
  report ("store-async", error->message);
  g_clear_error (&error);

  g_assert_false (confab_secret_store_store_sync (store, id, "Canary", CANARY, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_KEYRING);
  g_assert_cmpstr (error->message, ==, expected);
  report ("store-sync", error->message);
  g_clear_error (&error);

  key = lookup_key (store, id, NULL, &error);
  g_assert_null (key);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_KEYRING);
  report ("lookup", error->message);
  g_clear_error (&error);

  key = confab_secret_store_lookup_sync (store, id, NULL, &error);
  g_assert_null (key);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_KEYRING);
  g_clear_error (&error);

  g_assert_false (confab_secret_store_has_key_sync (store, id, &found, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_KEYRING);
  g_clear_error (&error);

  g_assert_false (delete_key (store, id, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_KEYRING);
  report ("delete", error->message);
  g_clear_error (&error);

  /* The provider is kept when its key cannot be removed. */
  ws = confab_test_workspace_new ();
  provider = add_provider (ws->db, "Canary");
  g_assert_false (confab_provider_delete_with_key (ws->db, store,
                                                   confab_entity_get_id (CONFAB_ENTITY (provider)),
                                                   NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_KEYRING);
  g_assert_nonnull (strstr (error->message, "“Canary”"));
  report ("delete-with-key", error->message);
  g_clear_error (&error);
  fetched = confab_repository_get (ws->db, CONFAB_TYPE_PROVIDER,
                                   confab_entity_get_id (CONFAB_ENTITY (provider)), &error);
  g_assert_no_error (error);
  g_assert_nonnull (fetched);

  /* Nothing this process logged holds the key. */
  g_mutex_lock (&log_lock);
  assert_no_canary ("the log", log_text->str, log_text->len);
  g_mutex_unlock (&log_lock);
  report ("no-keyring child", "done");
}

static void
test_no_keyring (void)
{
  if (g_test_subprocess ())
    {
      no_keyring_child ();
      return;
    }

  g_test_trap_subprocess (NULL, 30 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*store-async: No keyring is available to store the API key "
                             "for “Canary”*");
  g_test_trap_assert_stdout ("*lookup: No keyring is available*");
  g_test_trap_assert_stdout ("*delete: No keyring is available*");
  g_test_trap_assert_stdout ("*delete-with-key: The provider “Canary” was not removed*");
  g_test_trap_assert_stdout ("*no-keyring child: done*");
  g_test_trap_assert_stdout_unmatched ("*" CANARY "*");
  g_test_trap_assert_stderr_unmatched ("*" CANARY "*");
}

/* confab-cli providers */

typedef struct
{
  int     status;
  GBytes *out;
  GBytes *err;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_bytes_unref);
  g_clear_pointer (&r->err, g_bytes_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static const char *
run_out (Run *r)
{
  return g_bytes_get_data (r->out, NULL);
}

static const char *
run_err (Run *r)
{
  return g_bytes_get_data (r->err, NULL);
}

/* A copy with a NUL after the data, so it can be read with strstr. */
static GBytes *
nul_terminated (GBytes *bytes)
{
  gsize len = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;
  char *copy = g_malloc (len + 1);

  if (len > 0)
    memcpy (copy, data, len);
  copy[len] = '\0';
  return g_bytes_new_take (copy, len + 1);
}

/* Every stdout and stderr the canary test captured. */
static GPtrArray *captured;

/* Runs confab-cli --workspace WORKSPACE ARGS… with INPUT (nullable) on its
 * standard input; with dead_bus the session bus is unreachable. Output is
 * kept NUL-terminated so it can be read as text. */
static void
cli_full (Run        *r,
          const char *input,
          gboolean    dead_bus,
          const char *workspace,
          ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GBytes) nothing = NULL;
  g_autoptr (GBytes) out = NULL;
  g_autoptr (GBytes) err = NULL;
  g_autoptr (GError) error = NULL;
  const char *exe = g_getenv ("CONFAB_CLI");
  const char *arg;
  va_list args;

  g_assert_nonnull (exe);
  g_ptr_array_add (argv, (char *) exe);
  g_ptr_array_add (argv, (char *) "--workspace");
  g_ptr_array_add (argv, (char *) workspace);
  va_start (args, workspace);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* In the canary test, every debug message of every domain goes to the
   * captured output (GLib writes them to stdout, so not otherwise). */
  if (captured != NULL)
    g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  if (dead_bus)
    {
      g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", DEAD_BUS, TRUE);
      g_subprocess_launcher_unsetenv (launcher, "DBUS_STARTER_ADDRESS");
      g_subprocess_launcher_setenv (launcher, "SECRET_BACKEND", "service", TRUE);
    }

  run_clear (r);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  /* The input is far smaller than a pipe's buffer, so this cannot block. A
   * command that fails before reading it closes the pipe: that is fine. */
  if (input != NULL)
    {
      GOutputStream *in = g_subprocess_get_stdin_pipe (process);

      if (!g_output_stream_write_all (in, input, strlen (input), NULL, NULL, &error) &&
          !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
        g_assert_no_error (error);
      g_clear_error (&error);
    }
  /* Nothing more to write; communicate() closes standard input. */
  nothing = g_bytes_new_static ("", 0);
  g_subprocess_communicate (process, nothing, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process))
    {
      g_autoptr (GBytes) text = nul_terminated (err);
      g_autofree char *command = g_strjoinv (" ", (char **) argv->pdata);

      g_error ("%s was killed by signal %d:\n%s", command,
               g_subprocess_get_term_sig (process), (const char *) g_bytes_get_data (text, NULL));
    }
  r->status = g_subprocess_get_exit_status (process);

  r->out = nul_terminated (out);
  r->err = nul_terminated (err);

  if (captured != NULL)
    {
      g_ptr_array_add (captured, g_bytes_ref (r->out));
      g_ptr_array_add (captured, g_bytes_ref (r->err));
    }
}

#define cli(r, workspace, ...) cli_full (r, NULL, FALSE, workspace, __VA_ARGS__)

static char *
stripped_out (Run *r)
{
  return g_strstrip (g_strdup (run_out (r)));
}

static void
assert_status (Run        *r,
               int         expected,
               const char *what)
{
  if (r->status != expected)
    g_error ("“%s” exited %d, not %d\nstdout: %s\nstderr: %s",
             what, r->status, expected, run_out (r), run_err (r));
}

/* The list line of the provider with this id. */
static char *
list_line (Run        *r,
           const char *id)
{
  g_auto (GStrv) lines = g_strsplit (run_out (r), "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    if (g_str_has_prefix (lines[i], id))
      return g_strdup (lines[i]);
  return NULL;
}

static void
test_cli_help (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_auto (Run) r = { 0 };
  const char *commands[] = { "list", "add", "remove", "set-key", "remove-key" };

  cli (&r, ws->path, "providers", "--help", NULL);
  assert_status (&r, 0, "providers --help");
  g_assert_nonnull (strstr (run_out (&r), "Usage"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_assert_nonnull (strstr (run_out (&r), commands[i]));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      cli (&r, ws->path, "providers", commands[i], "--help", NULL);
      assert_status (&r, 0, commands[i]);
      g_assert_nonnull (strstr (run_out (&r), "Usage"));
    }

  cli (&r, ws->path, "providers", NULL);
  assert_status (&r, 2, "providers");
  cli (&r, ws->path, "providers", "frobnicate", NULL);
  assert_status (&r, 2, "providers frobnicate");
  cli (&r, ws->path, "providers", "add", "--name", "X", NULL);
  assert_status (&r, 2, "providers add without --kind");
  cli (&r, ws->path, "providers", "add", "--name", "X", "--kind", "telepathy",
       "--base-url", "http://x", NULL);
  assert_status (&r, 2, "providers add --kind telepathy");
  g_assert_nonnull (strstr (run_err (&r), "telepathy"));
  cli (&r, ws->path, "providers", "add", "--name", "X", "--kind", "openai",
       "--base-url", "http://x", "--context-window", "lots", NULL);
  assert_status (&r, 2, "providers add --context-window lots");
  cli (&r, ws->path, "providers", "remove", NULL);
  assert_status (&r, 2, "providers remove");
  cli (&r, ws->path, "providers", "list", "extra", NULL);
  assert_status (&r, 2, "providers list extra");

  /* A key on the command line is refused and never repeated. */
  cli (&r, ws->path, "providers", "set-key", "X", "sk-on-the-command-line", NULL);
  assert_status (&r, 2, "providers set-key X KEY");
  g_assert_null (strstr (run_err (&r), "sk-on-the-command-line"));
  g_assert_nonnull (strstr (run_err (&r), "standard input"));
  cli (&r, ws->path, "providers", "set-key", "X", "--key=sk-on-the-command-line", NULL);
  assert_status (&r, 2, "providers set-key X --key=KEY");
  g_assert_null (strstr (run_err (&r), "sk-on-the-command-line"));
  g_assert_nonnull (strstr (run_err (&r), "--key"));
  cli (&r, ws->path, "providers", "add", "--name", "X", "--kind", "openai",
       "--base-url", "http://x", "--api-key=sk-on-the-command-line", NULL);
  assert_status (&r, 2, "providers add --api-key=KEY");
  g_assert_null (strstr (run_err (&r), "sk-on-the-command-line"));
}

static void
test_cli_providers (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabSecretStore) store = confab_secret_store_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (Run) r = { 0 };
  g_autofree char *id = NULL;
  g_autofree char *other = NULL;
  g_autofree char *line = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *label = NULL;
  JsonArray *array;
  JsonObject *object;

  if (!require_keyring ())
    return;

  cli (&r, ws->path, "providers", "add", "--name", "Local Llama", "--kind", "openai_compatible",
       "--base-url", "http://127.0.0.1:8080/v1", "--model", "llama-3", "--context-window", "4096",
       "--no-streaming", NULL);
  assert_status (&r, 0, "providers add");
  id = stripped_out (&r);
  g_assert_true (g_uuid_string_is_valid (id));

  cli (&r, ws->path, "providers", "add", "--name", "Claude", "--kind", "anthropic",
       "--base-url", "https://api.anthropic.com", NULL);
  assert_status (&r, 0, "providers add");
  other = stripped_out (&r);

  /* Validation errors: exit 1, naming the value. */
  cli (&r, ws->path, "providers", "add", "--name", "Claude", "--kind", "anthropic",
       "--base-url", "https://api.anthropic.com", NULL);
  assert_status (&r, 1, "providers add (duplicate)");
  g_assert_nonnull (strstr (run_err (&r), "Claude"));
  cli (&r, ws->path, "providers", "add", "--name", "Bad", "--kind", "openai",
       "--base-url", "ftp://example.com", NULL);
  assert_status (&r, 1, "providers add (bad URL)");
  g_assert_nonnull (strstr (run_err (&r), "ftp://example.com"));

  cli (&r, ws->path, "providers", "list", NULL);
  assert_status (&r, 0, "providers list");
  line = list_line (&r, id);
  expected = g_strdup_printf ("%s\tLocal Llama\topenai_compatible\thttp://127.0.0.1:8080/v1\t"
                              "llama-3\tstreaming: no\tkey: no", id);
  g_assert_cmpstr (line, ==, expected);
  g_clear_pointer (&line, g_free);

  /* set-key reads the key from standard input; by name here. */
  cli_full (&r, "sk-cli-key\n", FALSE, ws->path, "providers", "set-key", "Local Llama", NULL);
  assert_status (&r, 0, "providers set-key");
  g_assert_null (strstr (run_out (&r), "sk-cli-key"));
  g_assert_null (strstr (run_err (&r), "sk-cli-key"));
  assert_key (store, id, "sk-cli-key");
  assert_key (store, other, NULL);
  g_assert_cmpuint (keyring_items (id, &label), ==, 1);
  g_assert_cmpstr (label, ==, "Confab API key for “Local Llama”");
  g_clear_pointer (&label, g_free);

  cli (&r, ws->path, "providers", "list", NULL);
  assert_status (&r, 0, "providers list");
  line = list_line (&r, id);
  g_assert_true (g_str_has_suffix (line, "\tkey: yes"));
  g_clear_pointer (&line, g_free);
  line = list_line (&r, other);
  g_free (expected);
  expected = g_strdup_printf ("%s\tClaude\tanthropic\thttps://api.anthropic.com\t"
                              "\tstreaming: yes\tkey: no", other);
  g_assert_cmpstr (line, ==, expected);
  g_clear_pointer (&line, g_free);

  cli (&r, ws->path, "providers", "list", "--json", NULL);
  assert_status (&r, 0, "providers list --json");
  json_parser_load_from_data (parser, run_out (&r), -1, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      object = json_array_get_object_element (array, i);
      if (g_strcmp0 (json_object_get_string_member (object, "id"), id) == 0)
        {
          g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "Local Llama");
          g_assert_cmpstr (json_object_get_string_member (object, "kind"), ==, "openai_compatible");
          g_assert_cmpstr (json_object_get_string_member (object, "default_model"), ==, "llama-3");
          g_assert_cmpint (json_object_get_int_member (object, "context_window"), ==, 4096);
          g_assert_false (json_object_get_boolean_member (object, "supports_streaming"));
          g_assert_true (json_object_get_boolean_member (object, "has_key"));
        }
      else
        {
          g_assert_cmpstr (json_object_get_string_member (object, "id"), ==, other);
          g_assert_true (json_object_get_null_member (object, "default_model"));
          g_assert_false (json_object_get_boolean_member (object, "has_key"));
        }
    }

  /* By id, with a CRLF line: only the first line counts, "\r\n" stripped. */
  cli_full (&r, "sk-cli-key-2\r\nnot part of the key\n", FALSE, ws->path,
            "providers", "set-key", id, NULL);
  assert_status (&r, 0, "providers set-key ID");
  assert_key (store, id, "sk-cli-key-2");
  /* No final newline is fine too. */
  cli_full (&r, "sk-cli-key-3", FALSE, ws->path, "providers", "set-key", id, NULL);
  assert_status (&r, 0, "providers set-key ID");
  assert_key (store, id, "sk-cli-key-3");

  /* An empty standard input, or an empty line, fails and keeps the key. */
  cli_full (&r, "", FALSE, ws->path, "providers", "set-key", id, NULL);
  assert_status (&r, 1, "providers set-key < /dev/null");
  g_assert_nonnull (strstr (run_err (&r), "no API key"));
  cli_full (&r, "\n", FALSE, ws->path, "providers", "set-key", id, NULL);
  assert_status (&r, 1, "providers set-key < empty line");
  cli_full (&r, "\r\nsk-second-line\n", FALSE, ws->path, "providers", "set-key", id, NULL);
  assert_status (&r, 1, "providers set-key < empty first line");
  assert_key (store, id, "sk-cli-key-3");

  /* An unknown provider fails before standard input is read. */
  cli_full (&r, "sk-nobody\n", FALSE, ws->path, "providers", "set-key", "Nobody", NULL);
  assert_status (&r, 1, "providers set-key Nobody");
  g_assert_nonnull (strstr (run_err (&r), "Nobody"));
  g_assert_null (strstr (run_err (&r), "sk-nobody"));

  /* A workspace that does not exist is not created by set-key. */
  {
    g_autofree char *ghost = g_build_filename (ws->dir, "ghost.confab", NULL);

    cli_full (&r, "sk-ghost\n", FALSE, ghost, "providers", "set-key", "Claude", NULL);
    assert_status (&r, 1, "providers set-key in a missing workspace");
    g_assert_false (g_file_test (ghost, G_FILE_TEST_EXISTS));
  }

  cli (&r, ws->path, "providers", "remove-key", "Local Llama", NULL);
  assert_status (&r, 0, "providers remove-key");
  assert_key (store, id, NULL);
  cli (&r, ws->path, "providers", "list", NULL);
  line = list_line (&r, id);
  g_assert_true (g_str_has_suffix (line, "\tkey: no"));
  g_clear_pointer (&line, g_free);
  cli (&r, ws->path, "providers", "remove-key", id, NULL);
  assert_status (&r, 0, "providers remove-key (no key)");
  cli (&r, ws->path, "providers", "remove-key", "Nobody", NULL);
  assert_status (&r, 1, "providers remove-key Nobody");

  /* remove deletes the row and the key. */
  cli_full (&r, "sk-cli-key-4\n", FALSE, ws->path, "providers", "set-key", id, NULL);
  assert_status (&r, 0, "providers set-key");
  assert_key (store, id, "sk-cli-key-4");
  cli (&r, ws->path, "providers", "remove", "Local Llama", NULL);
  assert_status (&r, 0, "providers remove");
  assert_key (store, id, NULL);
  g_assert_cmpuint (keyring_items (id, NULL), ==, 0);
  cli (&r, ws->path, "providers", "list", NULL);
  assert_status (&r, 0, "providers list");
  g_assert_null (list_line (&r, id));
  g_assert_nonnull ((line = list_line (&r, other)));
  g_clear_pointer (&line, g_free);
  cli (&r, ws->path, "providers", "remove", id, NULL);
  assert_status (&r, 1, "providers remove (gone)");

  cli (&r, ws->path, "providers", "remove", other, NULL);
  assert_status (&r, 0, "providers remove ID");
  cli (&r, ws->path, "providers", "list", NULL);
  assert_status (&r, 0, "providers list");
  g_assert_cmpstr (run_out (&r), ==, "");
}

/* Without a keyring the CLI says so, stores nothing, and keeps the provider
 * unless --force is given. */
static void
test_cli_no_keyring (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_auto (Run) r = { 0 };
  g_autofree char *id = NULL;
  g_autofree char *line = NULL;

  cli (&r, ws->path, "providers", "add", "--name", "Offline", "--kind", "ollama",
       "--base-url", "http://127.0.0.1:11434", NULL);
  assert_status (&r, 0, "providers add");
  id = stripped_out (&r);

  cli_full (&r, "sk-offline\n", TRUE, ws->path, "providers", "set-key", "Offline", NULL);
  assert_status (&r, 1, "providers set-key without a keyring");
  g_assert_nonnull (strstr (run_err (&r), "No keyring is available to store the API key for "
                                          "“Offline”. Start a Secret Service such as GNOME "
                                          "Keyring and try again."));
  g_assert_null (strstr (run_err (&r), "sk-offline"));
  g_assert_null (strstr (run_out (&r), "sk-offline"));

  cli_full (&r, NULL, TRUE, ws->path, "providers", "list", NULL);
  assert_status (&r, 0, "providers list without a keyring");
  line = list_line (&r, id);
  g_assert_true (g_str_has_suffix (line, "\tkey: unknown"));
  g_assert_nonnull (strstr (run_err (&r), "No keyring is available"));

  cli_full (&r, NULL, TRUE, ws->path, "providers", "remove-key", "Offline", NULL);
  assert_status (&r, 1, "providers remove-key without a keyring");
  g_assert_nonnull (strstr (run_err (&r), "No keyring is available"));

  cli_full (&r, NULL, TRUE, ws->path, "providers", "remove", "Offline", NULL);
  assert_status (&r, 1, "providers remove without a keyring");
  g_assert_nonnull (strstr (run_err (&r), "“Offline” was not removed"));
  g_assert_nonnull (strstr (run_err (&r), "--force"));
  cli (&r, ws->path, "providers", "list", NULL);
  g_assert_nonnull (strstr (run_out (&r), id));

  cli_full (&r, NULL, TRUE, ws->path, "providers", "remove", "--force", "Offline", NULL);
  assert_status (&r, 0, "providers remove --force without a keyring");
  g_assert_nonnull (strstr (run_err (&r), "warning"));
  cli (&r, ws->path, "providers", "list", NULL);
  g_assert_null (strstr (run_out (&r), id));
}

/* On a terminal, set-key turns echo off before its prompt and back on. */
static void
test_cli_set_key_tty (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabSecretStore) store = confab_secret_store_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GString) err = g_string_new (NULL);
  g_autoptr (GString) echoed = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *out = NULL;
  g_autofree char *rest = NULL;
  const char *exe = g_getenv ("CONFAB_CLI");
  const char *typed = "sk-typed-on-a-terminal\n";
  struct termios attributes;
  GInputStream *err_pipe;
  g_auto (Run) r = { 0 };
  int master = -1;
  int slave = -1;
  char buf[256];

  if (!require_keyring ())
    return;

  cli (&r, ws->path, "providers", "add", "--name", "Terminal", "--kind", "openai",
       "--base-url", "https://api.openai.com/v1", NULL);
  assert_status (&r, 0, "providers add");
  id = stripped_out (&r);

  g_assert_cmpint (openpty (&master, &slave, NULL, NULL, NULL), ==, 0);
  g_assert_cmpint (tcgetattr (master, &attributes), ==, 0);
  g_assert_true (attributes.c_lflag & ECHO);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_take_stdin_fd (launcher, slave);
  process = g_subprocess_launcher_spawn (launcher, &error, exe, "--workspace", ws->path,
                                         "providers", "set-key", "Terminal", NULL);
  g_assert_no_error (error);

  /* Type only once the prompt is out: echo is off by then. */
  err_pipe = g_subprocess_get_stderr_pipe (process);
  while (strstr (err->str, "API key for “Terminal”: ") == NULL)
    {
      gssize n = g_input_stream_read (err_pipe, buf, sizeof buf, NULL, &error);

      g_assert_no_error (error);
      if (n <= 0)
        g_error ("set-key ended before prompting: %s", err->str);
      g_string_append_len (err, buf, n);
    }
  g_assert_cmpint (write (master, typed, strlen (typed)), ==, (gssize) strlen (typed));

  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &rest, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_nonnull (strstr (out, "Terminal"));
  g_assert_null (strstr (out, "sk-typed"));
  g_assert_null (strstr (rest, "sk-typed"));
  g_assert_null (strstr (err->str, "sk-typed"));

  /* Whatever the terminal echoed back to its master side. */
  g_assert_cmpint (fcntl (master, F_SETFL, fcntl (master, F_GETFL) | O_NONBLOCK), ==, 0);
  for (;;)
    {
      gssize n = read (master, buf, sizeof buf);

      if (n <= 0)
        break;
      g_string_append_len (echoed, buf, n);
    }
  g_assert_null (strstr (echoed->str, "sk-typed"));

  /* Echo is back on. */
  g_assert_cmpint (tcgetattr (master, &attributes), ==, 0);
  g_assert_true (attributes.c_lflag & ECHO);
  close (master);

  assert_key (store, id, "sk-typed-on-a-terminal");
  g_assert_true (confab_secret_store_delete_sync (store, id, NULL, &error));
  g_assert_no_error (error);
}

/* The canary: a key set through the CLI appears in the keyring and nowhere
 * else: not in the workspace file or its WAL, not in an export, not in any
 * output or log of any command, failing ones included. */
static void
test_cli_canary (void)
{
  /* The test keeps the workspace open, so the CLI's writes stay in the WAL. */
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabSecretStore) store = confab_secret_store_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *export_file = g_build_filename (ws->dir, "export.json", NULL);
  g_autofree char *wal = g_strconcat (ws->path, "-wal", NULL);
  g_autofree char *id = NULL;
  g_autofree char *line = NULL;
  g_autofree char *key = NULL;
  g_auto (Run) r = { 0 };
  guint n_files;

  if (!require_keyring ())
    return;

  captured = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  cli (&r, ws->path, "providers", "add", "--name", "Canary", "--kind", "openai",
       "--base-url", "http://127.0.0.1:1/v1", "--model", "gpt-canary", NULL);
  assert_status (&r, 0, "providers add");
  id = stripped_out (&r);

  cli_full (&r, CANARY "\n", FALSE, ws->path, "providers", "set-key", "Canary", NULL);
  assert_status (&r, 0, "providers set-key");

  /* The key is really there, so the scans below mean something. */
  key = confab_secret_store_lookup_sync (store, id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, CANARY);
  g_assert_true (bytes_contain (key, strlen (key), CANARY));
  confab_secret_store_free_key (g_steal_pointer (&key));

  cli (&r, ws->path, "providers", "list", NULL);
  assert_status (&r, 0, "providers list");
  line = list_line (&r, id);
  g_assert_true (g_str_has_suffix (line, "\tkey: yes"));
  cli (&r, ws->path, "providers", "list", "--json", NULL);
  assert_status (&r, 0, "providers list --json");
  g_assert_nonnull (strstr (run_out (&r), "\"has_key\" : true"));

  cli (&r, ws->path, "export", NULL);
  assert_status (&r, 0, "export");
  g_assert_nonnull (strstr (run_out (&r), "gpt-canary"));
  cli (&r, ws->path, "export", "--output", export_file, NULL);
  assert_status (&r, 0, "export --output");

  /* Failing commands that touch the provider (and its key). */
  cli (&r, ws->path, "providers", "add", "--name", "Canary", "--kind", "openai",
       "--base-url", "http://127.0.0.1:1/v1", NULL);
  assert_status (&r, 1, "providers add (duplicate)");
  cli_full (&r, CANARY "\n", TRUE, ws->path, "providers", "set-key", "Canary", NULL);
  assert_status (&r, 1, "providers set-key without a keyring");
  cli_full (&r, CANARY "\n", FALSE, ws->path, "providers", "set-key", "No Such Provider", NULL);
  assert_status (&r, 1, "providers set-key No Such Provider");
  cli_full (&r, NULL, TRUE, ws->path, "providers", "remove", "Canary", NULL);
  assert_status (&r, 1, "providers remove without a keyring");
  cli_full (&r, NULL, TRUE, ws->path, "providers", "remove-key", "Canary", NULL);
  assert_status (&r, 1, "providers remove-key without a keyring");
  cli_full (&r, NULL, TRUE, ws->path, "providers", "list", "--json", NULL);
  assert_status (&r, 0, "providers list without a keyring");
  /* Nothing listens on 127.0.0.1:1: the request fails. */
  cli (&r, ws->path, "ask", "--provider", "Canary", "Say hello", NULL);
  g_assert_cmpint (r.status, !=, 0);
  cli (&r, ws->path, "agents", "add", "--name", "Canary bot", "--type", "llm",
       "--provider", "Canary", "--temperature", "hot", NULL);
  assert_status (&r, 2, "agents add --temperature hot");

  /* The key is still in the keyring, unchanged by all that. */
  key = confab_secret_store_lookup_sync (store, id, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, CANARY);
  confab_secret_store_free_key (g_steal_pointer (&key));

  /* Scan: the workspace, its WAL (kept by the open connection), the export. */
  g_assert_true (g_file_test (ws->path, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (export_file, G_FILE_TEST_EXISTS));
  n_files = assert_no_canary_in_tree (ws->dir);
  g_assert_cmpuint (n_files, >=, 3);

  /* Remove the provider, then scan everything written, including the
   * database once closed and every captured output. */
  cli (&r, ws->path, "providers", "remove", "Canary", NULL);
  assert_status (&r, 0, "providers remove");
  key = confab_secret_store_lookup_sync (store, id, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (key);

  g_clear_object (&ws->db);
  assert_no_canary_in_tree (ws->dir);
  g_assert_cmpuint (captured->len, >=, 2 * 13);
  for (guint i = 0; i < captured->len; i++)
    {
      gsize len;
      const char *data = g_bytes_get_data (g_ptr_array_index (captured, i), &len);
      g_autofree char *what = g_strdup_printf ("captured output %u: %s", i, data);

      if (bytes_contain (data, len, CANARY))
        g_error ("The API key leaked into %s", what);
    }
  g_clear_pointer (&captured, g_ptr_array_unref);

  g_mutex_lock (&log_lock);
  assert_no_canary ("this process's log", log_text->str, log_text->len);
  g_mutex_unlock (&log_lock);
}

int
main (int    argc,
      char **argv)
{
  /* A command that exits before reading its input must not kill us. */
  signal (SIGPIPE, SIG_IGN);
  log_text = g_string_new (NULL);
  g_log_set_writer_func (capture_log, NULL, NULL);

  g_test_init (&argc, &argv, NULL);
  /* meson sets CONFAB_CLI; by hand, use the one of this build. */
  if (g_getenv ("CONFAB_CLI") == NULL)
    {
      g_autofree char *cli_path = g_test_build_filename (G_TEST_BUILT, "..", "src", "cli",
                                                         "confab-cli", NULL);

      g_setenv ("CONFAB_CLI", cli_path, TRUE);
    }
  g_test_add_func ("/confab/secrets/round-trip", test_round_trip);
  g_test_add_func ("/confab/secrets/sync", test_sync);
  g_test_add_func ("/confab/secrets/missing", test_missing);
  g_test_add_func ("/confab/secrets/invalid-key", test_invalid_key);
  g_test_add_func ("/confab/secrets/separate-providers", test_separate_providers);
  g_test_add_func ("/confab/secrets/cancelled", test_cancelled);
  g_test_add_func ("/confab/secrets/delete-with-key", test_delete_with_key);
  g_test_add_func ("/confab/secrets/no-keyring", test_no_keyring);
  g_test_add_func ("/confab/secrets/cli/help", test_cli_help);
  g_test_add_func ("/confab/secrets/cli/providers", test_cli_providers);
  g_test_add_func ("/confab/secrets/cli/no-keyring", test_cli_no_keyring);
  g_test_add_func ("/confab/secrets/cli/set-key-tty", test_cli_set_key_tty);
  g_test_add_func ("/confab/secrets/cli/canary", test_cli_canary);
  return g_test_run ();
}
