#include "config.h"

#include <math.h>
#include <string.h>

#include "confab-test-util.h"

static ConfabProvider *
add_provider (ConfabDatabase *db,
              const char     *name)
{
  g_autoptr (GError) error = NULL;
  ConfabProvider *provider = confab_provider_new (name, "ollama", "http://127.0.0.1:11434");

  g_assert_true (confab_repository_create (db, CONFAB_ENTITY (provider), NULL, &error));
  g_assert_no_error (error);
  return provider;
}

static gint64
count_where (ConfabDatabase *db,
             const char     *format,
             ...) G_GNUC_PRINTF (2, 3);

static gint64
count_where (ConfabDatabase *db,
             const char     *format,
             ...)
{
  g_autofree char *sql = NULL;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return confab_test_count_rows (db, sql);
}

static void
test_create_get (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabProvider) provider = confab_provider_new ("OpenAI", "openai", "https://api.openai.com/v1");
  g_autoptr (ConfabProvider) loaded = NULL;
  const char *id;

  confab_provider_set_default_model (provider, "gpt-4o-mini");
  confab_provider_set_context_window (provider, 128000);
  confab_provider_set_supports_streaming (provider, FALSE);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (provider), NULL, &error));
  g_assert_no_error (error);
  id = confab_entity_get_id (CONFAB_ENTITY (provider));
  g_assert_true (g_uuid_string_is_valid (id));

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_PROVIDER, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_provider_get_name (loaded), ==, "OpenAI");
  g_assert_cmpstr (confab_provider_get_kind (loaded), ==, "openai");
  g_assert_cmpstr (confab_provider_get_base_url (loaded), ==, "https://api.openai.com/v1");
  g_assert_cmpstr (confab_provider_get_default_model (loaded), ==, "gpt-4o-mini");
  g_assert_cmpint (confab_provider_get_context_window (loaded), ==, 128000);
  g_assert_false (confab_provider_get_supports_streaming (loaded));
  g_assert_cmpstr (confab_entity_get_created_at (CONFAB_ENTITY (loaded)), ==,
                   confab_entity_get_created_at (CONFAB_ENTITY (provider)));

  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity = 'provider' "
                                        "AND entity_id = '%s' AND action = 'create' "
                                        "AND json_extract (details, '$.fields.base_url') = "
                                        "'https://api.openai.com/v1' "
                                        "AND json_extract (details, '$.fields.context_window') = 128000",
                                id), ==, 1);
}

static void
test_defaults (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabProvider) provider = g_object_new (CONFAB_TYPE_PROVIDER,
                                                      "name", "Local",
                                                      "base-url", "http://localhost:8080",
                                                      NULL);
  g_autoptr (ConfabProvider) loaded = NULL;
  g_autoptr (GTypeClass) type_class = g_type_class_ref (CONFAB_TYPE_PROVIDER);
  GObjectClass *klass = G_OBJECT_CLASS (type_class);

  g_assert_cmpstr (confab_provider_get_kind (provider), ==, "openai_compatible");
  g_assert_cmpint (confab_provider_get_context_window (provider), ==, 8192);
  g_assert_true (confab_provider_get_supports_streaming (provider));
  g_assert_null (confab_provider_get_default_model (provider));

  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (provider), NULL, &error));
  g_assert_no_error (error);
  loaded = confab_repository_get (ws->db, CONFAB_TYPE_PROVIDER,
                                  confab_entity_get_id (CONFAB_ENTITY (provider)), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_provider_get_kind (loaded), ==, "openai_compatible");
  g_assert_cmpint (confab_provider_get_context_window (loaded), ==, 8192);
  g_assert_true (confab_provider_get_supports_streaming (loaded));
  g_assert_null (confab_provider_get_default_model (loaded));

  /* Keys live in the keyring only: there is no property, and so no column, for one. */
  g_assert_null (g_object_class_find_property (klass, "api-key"));
  g_assert_null (g_object_class_find_property (klass, "key"));
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM pragma_table_info ('providers') "
                                                   "WHERE name LIKE '%key%'"), ==, 0);
}

static void
test_kinds (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  const char *expected[] = { "openai_compatible", "openai", "anthropic", "gemini", "ollama", NULL };

  g_assert_cmpuint (g_strv_length ((char **) confab_provider_kinds), ==, 5);
  for (guint i = 0; expected[i] != NULL; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *name = g_strdup_printf ("provider %u", i);
      g_autoptr (ConfabProvider) provider = confab_provider_new (name, expected[i], "https://example.com");

      g_assert_true (g_strv_contains (confab_provider_kinds, expected[i]));
      g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (provider), NULL, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpint (confab_repository_count (ws->db, CONFAB_TYPE_PROVIDER, "kind", "gemini", NULL), ==, 1);
}

typedef struct
{
  const char *name;
  const char *kind;
  const char *base_url;
  int         context_window;
  int         code;
  const char *needle;
} InvalidCase;

static void
expect_refused (ConfabDatabase    *db,
                const InvalidCase *c)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabProvider) provider = confab_provider_new (c->name, c->kind, c->base_url);
  gint64 before = confab_test_count_rows (db, "SELECT count(*) FROM providers");
  gint64 audit_before = confab_test_count_rows (db, "SELECT count(*) FROM audit_log");

  if (c->context_window != 0)
    confab_provider_set_context_window (provider, c->context_window);
  g_assert_false (confab_repository_create (db, CONFAB_ENTITY (provider), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, c->code);
  if (c->needle != NULL && strstr (error->message, c->needle) == NULL)
    g_error ("“%s” does not name “%s”", error->message, c->needle);
  g_assert_cmpint (confab_test_count_rows (db, "SELECT count(*) FROM providers"), ==, before);
  g_assert_cmpint (confab_test_count_rows (db, "SELECT count(*) FROM audit_log"), ==, audit_before);
  g_assert_null (confab_entity_get_id (CONFAB_ENTITY (provider)));
}

static void
test_validation (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabProvider) existing = add_provider (ws->db, "Ollama");
  g_autofree char *long_name = g_strnfill (101, 'n');
  g_autofree char *name_100 = g_strnfill (100, 'm');
  const char *url = "http://127.0.0.1:11434";
  const InvalidCase cases[] = {
    { "", "ollama", url, 0, CONFAB_ERROR_INVALID, "name" },
    { NULL, "ollama", url, 0, CONFAB_ERROR_INVALID, "name" },
    { long_name, "ollama", url, 0, CONFAB_ERROR_INVALID, "101" },
    { "P", "bogus", url, 0, CONFAB_ERROR_INVALID, "bogus" },
    { "P", "OpenAI", url, 0, CONFAB_ERROR_INVALID, "OpenAI" },
    { "P", "openai", "ftp://example.com/v1", 0, CONFAB_ERROR_INVALID, "ftp://example.com/v1" },
    { "P", "openai", "localhost:11434", 0, CONFAB_ERROR_INVALID, "localhost:11434" },
    { "P", "openai", "/v1/chat", 0, CONFAB_ERROR_INVALID, "/v1/chat" },
    { "P", "openai", "http://", 0, CONFAB_ERROR_INVALID, "http://" },
    { "P", "openai", "not a url", 0, CONFAB_ERROR_INVALID, "not a url" },
    { "P", "openai", "", 0, CONFAB_ERROR_INVALID, "base URL" },
    { "P", "openai", NULL, 0, CONFAB_ERROR_INVALID, "base URL" },
    { "P", "openai", url, -5, CONFAB_ERROR_INVALID, "-5" },
    { "Ollama", "openai", url, 0, CONFAB_ERROR_CONFLICT, "Ollama" },
  };
  g_autoptr (ConfabProvider) edge = NULL;
  g_autoptr (ConfabProvider) zero = confab_provider_new ("Zero", "openai", url);
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    expect_refused (ws->db, &cases[i]);

  /* The context window is checked with 0 too (the table above uses 0 for "leave it"). */
  confab_provider_set_context_window (zero, 0);
  g_assert_false (confab_repository_create (ws->db, CONFAB_ENTITY (zero), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "context window"));
  g_clear_error (&error);

  /* Boundaries that are allowed; names are case-sensitive like the UNIQUE index. */
  edge = confab_provider_new (name_100, "anthropic", "HTTPS://api.anthropic.com");
  confab_provider_set_context_window (edge, 1);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (edge), NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&edge);
  edge = confab_provider_new ("ollama", "ollama", "http://[::1]:11434/api");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (edge), NULL, &error));
  g_assert_no_error (error);
}

static void
test_update_and_audit (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) admin = confab_test_add_user (ws->db, "admin");
  g_autoptr (ConfabProvider) other = add_provider (ws->db, "Other");
  g_autoptr (ConfabProvider) provider = add_provider (ws->db, "Local");
  g_autoptr (ConfabProvider) loaded = NULL;
  g_autoptr (GError) error = NULL;
  const char *id = confab_entity_get_id (CONFAB_ENTITY (provider));
  const char *admin_id = confab_entity_get_id (CONFAB_ENTITY (admin));

  confab_provider_set_name (provider, "Gemini");
  confab_provider_set_kind (provider, "gemini");
  confab_provider_set_base_url (provider, "https://generativelanguage.googleapis.com");
  confab_provider_set_default_model (provider, "gemini-1.5-flash");
  confab_provider_set_context_window (provider, 1000000);
  confab_provider_set_supports_streaming (provider, FALSE);
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (provider), admin_id, &error));
  g_assert_no_error (error);

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_PROVIDER, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_provider_get_name (loaded), ==, "Gemini");
  g_assert_cmpstr (confab_provider_get_kind (loaded), ==, "gemini");
  g_assert_cmpstr (confab_provider_get_base_url (loaded), ==, "https://generativelanguage.googleapis.com");
  g_assert_cmpstr (confab_provider_get_default_model (loaded), ==, "gemini-1.5-flash");
  g_assert_cmpint (confab_provider_get_context_window (loaded), ==, 1000000);
  g_assert_false (confab_provider_get_supports_streaming (loaded));

  g_assert_cmpint (count_where (ws->db,
                                "SELECT count(*) FROM audit_log WHERE entity = 'provider' "
                                "AND entity_id = '%s' AND action = 'update' AND actor_id = '%s' "
                                "AND json_extract (details, '$.changed.name.from') = 'Local' "
                                "AND json_extract (details, '$.changed.name.to') = 'Gemini' "
                                "AND json_extract (details, '$.changed.kind.to') = 'gemini' "
                                "AND json_extract (details, '$.changed.context_window.from') = 8192 "
                                "AND json_extract (details, '$.changed.supports_streaming.to') = 0 "
                                "AND json_extract (details, '$.changed.default_model.from') IS NULL",
                                id, admin_id), ==, 1);

  /* Saving with its own name is not a conflict with itself. */
  confab_provider_set_context_window (loaded, 32768);
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (loaded), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_where (ws->db,
                                "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND action = 'update' "
                                "AND json_extract (details, '$.changed.name') IS NULL "
                                "AND json_extract (details, '$.changed.context_window.to') = 32768",
                                id), ==, 1);

  /* Invalid updates are refused and leave the row as it was. */
  confab_provider_set_name (loaded, "Other");
  g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (loaded), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "Other"));
  g_clear_error (&error);

  confab_provider_set_name (loaded, "Gemini");
  confab_provider_set_base_url (loaded, "generativelanguage.googleapis.com");
  g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (loaded), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "generativelanguage.googleapis.com"));
  g_clear_error (&error);

  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM providers WHERE id = '%s' AND name = 'Gemini' "
                                        "AND base_url = 'https://generativelanguage.googleapis.com'", id), ==, 1);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity_id = '%s' "
                                        "AND action = 'update'", id), ==, 2);
}

static void
test_delete (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabProvider) provider = add_provider (ws->db, "Ollama");
  g_autoptr (ConfabAgent) agent = confab_agent_new ("Helper");
  g_autoptr (ConfabAgent) loaded = NULL;
  g_autoptr (GError) error = NULL;
  const char *id = confab_entity_get_id (CONFAB_ENTITY (provider));

  confab_agent_set_agent_type (agent, "llm");
  confab_agent_set_provider_id (agent, id);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (agent), NULL, &error));
  g_assert_no_error (error);

  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_PROVIDER, id, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_repository_count (ws->db, CONFAB_TYPE_PROVIDER, NULL, NULL, NULL), ==, 0);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity = 'provider' "
                                        "AND entity_id = '%s' AND action = 'delete' "
                                        "AND json_extract (details, '$.fields.name') = 'Ollama'", id), ==, 1);

  /* The agent stays, without a provider. */
  loaded = confab_repository_get (ws->db, CONFAB_TYPE_AGENT,
                                  confab_entity_get_id (CONFAB_ENTITY (agent)), &error);
  g_assert_no_error (error);
  g_assert_null (confab_agent_get_provider_id (loaded));

  g_assert_false (confab_repository_delete (ws->db, CONFAB_TYPE_PROVIDER, id, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, id));
}

static void
test_list_order (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabProvider) c = add_provider (ws->db, "charlie");
  g_autoptr (ConfabProvider) a = add_provider (ws->db, "Alpha");
  g_autoptr (ConfabProvider) b = add_provider (ws->db, "bravo");
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (ConfabProvider) found = NULL;
  g_autoptr (GError) error = NULL;

  all = confab_repository_list (ws->db, CONFAB_TYPE_PROVIDER, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);
  g_assert_cmpstr (confab_provider_get_name (g_ptr_array_index (all, 0)), ==, "Alpha");
  g_assert_cmpstr (confab_provider_get_name (g_ptr_array_index (all, 1)), ==, "bravo");
  g_assert_cmpstr (confab_provider_get_name (g_ptr_array_index (all, 2)), ==, "charlie");

  found = confab_repository_find (ws->db, CONFAB_TYPE_PROVIDER, "name", "bravo", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_entity_get_id (CONFAB_ENTITY (found)), ==, confab_entity_get_id (CONFAB_ENTITY (b)));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/providers/create-get", test_create_get);
  g_test_add_func ("/confab/providers/defaults", test_defaults);
  g_test_add_func ("/confab/providers/kinds", test_kinds);
  g_test_add_func ("/confab/providers/validation", test_validation);
  g_test_add_func ("/confab/providers/update-audit", test_update_and_audit);
  g_test_add_func ("/confab/providers/delete", test_delete);
  g_test_add_func ("/confab/providers/list-order", test_list_order);
  return g_test_run ();
}
