#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-test-util.h"

static void
exec_sql (ConfabDatabase *db,
          const char     *sql)
{
  char *msg = NULL;

  if (sqlite3_exec (confab_database_get_handle (db), sql, NULL, NULL, &msg) != SQLITE_OK)
    g_error ("%s: %s", sql, msg);
}

/* A workspace with a row in every table, including floats, NULLs, a BLOB,
 * non-ASCII text, control characters and a message thread. */
static void
fill_workspace (ConfabDatabase *db)
{
  g_autoptr (ConfabUser) owner = confab_test_add_user (db, "owner");
  g_autofree char *sql = NULL;
  const char *uid = confab_entity_get_id (CONFAB_ENTITY (owner));

  sql = g_strdup_printf (
    "INSERT INTO workspace VALUES ('name', 'Café Démo');"
    "INSERT INTO providers (id, name, kind, base_url, default_model, context_window, supports_streaming, idle_timeout_s, created_at, updated_at) "
    "  VALUES ('p1', 'Local', 'ollama', 'http://127.0.0.1:11434', 'llama3', 8192, 1, 300, 't', 't');"
    "INSERT INTO prompts VALUES ('pr1', 'support/greeting', 'Greets', '[\"support\"]', '%s', 't', 't');"
    "INSERT INTO prompt_versions VALUES ('pv1', 'pr1', 1, 'Hello {{user.name}}\n\ttab', '[]', 'first', '%s', 'p1', 'llama3', 0.25, 256, 't', 't');"
    "INSERT INTO prompt_labels VALUES ('pr1', 'production', 'pv1', 't');"
    "INSERT INTO agents (id, name, type, provider_id, temperature, prompt_id, prompt_label, config, owner_id, created_at, updated_at) "
    "  VALUES ('a1', 'Concierge 🛎', 'hybrid', 'p1', 0.7, 'pr1', 'production', '{\"rules\":[]}', '%s', 't', 't');"
    "INSERT INTO teams VALUES ('t1', 'Front desk', NULL, 'router', 3, '%s', 't', 't', '{}');"
    "INSERT INTO team_members VALUES ('t1', 'a1', 0, 'greeter');"
    "INSERT INTO knowledge_bases VALUES ('kb1', '%s', 'FAQ', 'Answers', 1, 't', 't', 'p1', 'nomic-embed-text');"
    "INSERT INTO documents VALUES ('d1', 'kb1', 'faq.md', 'text/markdown', 'indexed', NULL, 42, 't', 't');"
    "INSERT INTO chunks VALUES ('ch1', 'd1', 'kb1', 0, 'Opening hours are nine to five', x'00ff10', 't', 't', 'nomic-embed-text');"
    "INSERT INTO agent_knowledge VALUES ('a1', 'kb1');"
    "INSERT INTO conversations VALUES ('c1', '%s', 'a1', NULL, 'Opening hours', 'escalated', 't', 't');"
    "INSERT INTO messages (id, conversation_id, seq, role, user_id, content, created_at, updated_at) "
    "  VALUES ('m1', 'c1', 0, 'user', '%s', 'When do you \"open\"?\\ \x01', 't', 't');"
    "INSERT INTO messages (id, conversation_id, seq, depth, parent_message_id, role, agent_id, content, source_references, model, tokens_in, tokens_out, latency_ms, created_at, updated_at) "
    "  VALUES ('m2', 'c1', 1, 1, 'm1', 'assistant', 'a1', 'Nine to five.', '[{\"chunk\":\"ch1\"}]', 'llama3', 12, 4, 350, 't', 't');"
    "INSERT INTO escalations VALUES ('e1', 'c1', '%s', 'angry', 'pending', NULL, 't', 't');"
    "INSERT INTO prompt_test_cases (id, prompt_id, name, variables, input, assertions, created_at, updated_at) "
    "  VALUES ('tc1', 'pr1', 'Greets by name', '{\"name\":\"Ana\"}', 'hi', '[{\"type\":\"contains\",\"value\":\"Ana\"}]', 't', 't');"
    "INSERT INTO prompt_runs (id, prompt_id, version_id, provider_id, agent_id, model, variables, input, output, status, tokens_in, tokens_out, latency_ms, test_case_id, passed, assertion_results, created_at, updated_at) "
    "  VALUES ('r1', 'pr1', 'pv1', 'p1', NULL, 'llama3', '{}', 'hi', 'Hello Ana', 'complete', 5, 3, 120, 'tc1', 1, '[]', 't', 't');",
    uid, uid, uid, uid, uid, uid, uid, uid);
  exec_sql (db, sql);
}

static char *
export_string (ConfabDatabase *db)
{
  g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
  g_autoptr (GError) error = NULL;

  g_assert_true (confab_export_write (db, out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (out, "", 1, NULL, NULL, NULL));
  g_output_stream_close (out, NULL, NULL);
  return g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
}

static JsonObject *
parse_tables (JsonParser *parser,
              const char *text)
{
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  return json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "tables");
}

static GFile *
write_temp (ConfabTestWorkspace *ws,
            const char          *name,
            const char          *text)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (ws->dir, name, NULL);

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  return g_file_new_for_path (path);
}

static void
test_round_trip (void)
{
  g_autoptr (ConfabTestWorkspace) a = confab_test_workspace_new ();
  g_autoptr (ConfabTestWorkspace) b = confab_test_workspace_new ();
  g_autoptr (JsonParser) pa = json_parser_new ();
  g_autoptr (JsonParser) pb = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  const char * const *tables = confab_export_tables ();
  JsonObject *ta, *tb;
  guint64 n_rows = 0;

  fill_workspace (a->db);
  first = export_string (a->db);

  file = g_file_new_build_filename (a->dir, "export.json", NULL);
  g_assert_true (confab_export_to_file (a->db, file, NULL, &error));
  g_assert_no_error (error);

  g_assert_true (confab_import_from_file (b->db, file, NULL, &n_rows, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_rows, ==, 20);
  second = export_string (b->db);

  ta = parse_tables (pa, first);
  tb = parse_tables (pb, second);
  for (guint i = 0; tables[i] != NULL; i++)
    {
      JsonArray *ra = json_object_get_array_member (ta, tables[i]);
      JsonArray *rb = json_object_get_array_member (tb, tables[i]);

      if (strcmp (tables[i], "audit_log") == 0)
        {
          /* Everything, plus the import itself. */
          JsonObject *last = json_array_get_object_element (rb, json_array_get_length (rb) - 1);

          g_assert_cmpuint (json_array_get_length (rb), ==, json_array_get_length (ra) + 1);
          g_assert_cmpstr (json_object_get_string_member (last, "action"), ==, "import");
          for (guint j = 0; j < json_array_get_length (ra); j++)
            g_assert_true (json_node_equal (json_array_get_element (ra, j), json_array_get_element (rb, j)));
          continue;
        }
      if (!json_node_equal (json_object_get_member (ta, tables[i]), json_object_get_member (tb, tables[i])))
        g_error ("table %s differs after the round trip", tables[i]);
      g_assert_cmpuint (json_array_get_length (ra), >=, 1);
    }

  /* Exact values survive: float, blob, control characters. */
  g_assert_cmpint (confab_test_count_rows (b->db, "SELECT count(*) FROM prompt_versions WHERE temperature = 0.25"), ==, 1);
  g_assert_cmpint (confab_test_count_rows (b->db, "SELECT count(*) FROM chunks WHERE embedding = x'00ff10'"), ==, 1);
  g_assert_cmpint (confab_test_count_rows (b->db, "SELECT count(*) FROM messages WHERE content LIKE '%' || char(1)"), ==, 1);
  /* The full-text indexes are rebuilt by the triggers. */
  g_assert_cmpint (confab_test_count_rows (b->db, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'open'"), ==, 1);
  g_assert_cmpint (confab_test_count_rows (b->db, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'hours'"), ==, 1);
}

static void
test_tables_complete (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;

  /* Every table a migration adds must be exported (FTS indexes excepted). */
  stmt = confab_database_prepare (ws->db,
                                  "SELECT name FROM sqlite_master WHERE type = 'table' "
                                  "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '%_fts' "
                                  "AND name NOT LIKE '%_fts_%'",
                                  &error);
  g_assert_no_error (error);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);

      if (!g_strv_contains (confab_export_tables (), name))
        g_error ("table %s is not exported", name);
    }
}

static void
test_no_secrets (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *text = NULL;
  g_autofree char *lower = NULL;

  fill_workspace (ws->db);
  text = export_string (ws->db);
  lower = g_ascii_strdown (text, -1);
  g_assert_null (strstr (lower, "api_key"));
  g_assert_null (strstr (lower, "password"));
  g_assert_null (strstr (lower, "secret"));
  g_assert_null (strstr (lower, "token\""));
}

static void
expect_import_error (const char *text,
                     gboolean    fill_target,
                     int         code)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GFile) file = write_temp (ws, "in.json", text);
  g_autoptr (GError) error = NULL;
  gint64 before;

  if (fill_target)
    fill_workspace (ws->db);
  before = confab_test_count_rows (ws->db, "SELECT count(*) FROM users") +
           confab_test_count_rows (ws->db, "SELECT count(*) FROM audit_log");
  g_assert_false (confab_import_from_file (ws->db, file, NULL, NULL, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, code);
  g_assert_nonnull (error->message);
  /* Nothing half-imported. */
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users") +
                   confab_test_count_rows (ws->db, "SELECT count(*) FROM audit_log"), ==, before);
}

static void
test_import_errors (void)
{
  expect_import_error ("{ not json", FALSE, CONFAB_ERROR_INVALID);
  expect_import_error ("[1, 2, 3]", FALSE, CONFAB_ERROR_INVALID);
  expect_import_error ("{\"format\": \"something-else\", \"tables\": {}}", FALSE, CONFAB_ERROR_INVALID);
  expect_import_error ("{\"format\": \"confab-workspace\", \"format_version\": 99, \"tables\": {}}",
                       FALSE, CONFAB_ERROR_NEWER_VERSION);
  expect_import_error ("{\"format\": \"confab-workspace\", \"format_version\": 1, \"tables\": {\"users\": []}}",
                       TRUE, CONFAB_ERROR_CONFLICT);
  expect_import_error ("{\"format\": \"confab-workspace\", \"format_version\": 1, \"tables\": {\"evil; DROP TABLE users\": []}}",
                       FALSE, CONFAB_ERROR_INVALID);
  expect_import_error ("{\"format\": \"confab-workspace\", \"format_version\": 1, \"tables\": "
                       "{\"users\": [{\"id\": \"u\", \"username\": \"abc\", \"email\": \"a@b.c\", \"hacked\\\") --\": 1, "
                       "\"created_at\": \"t\", \"updated_at\": \"t\"}]}}",
                       FALSE, CONFAB_ERROR_INVALID);
  /* A conversation whose user is not in the file. */
  expect_import_error ("{\"format\": \"confab-workspace\", \"format_version\": 1, \"tables\": "
                       "{\"users\": [{\"id\": \"u\", \"username\": \"abc\", \"email\": \"a@b.c\", \"created_at\": \"t\", \"updated_at\": \"t\"}], "
                       "\"conversations\": [{\"id\": \"c\", \"user_id\": \"ghost\", \"created_at\": \"t\", \"updated_at\": \"t\"}]}}",
                       FALSE, CONFAB_ERROR_INVALID);
  /* A row the schema refuses (bad role). */
  expect_import_error ("{\"format\": \"confab-workspace\", \"format_version\": 1, \"tables\": "
                       "{\"users\": [{\"id\": \"u\", \"username\": \"abc\", \"email\": \"a@b.c\", \"role\": \"king\", \"created_at\": \"t\", \"updated_at\": \"t\"}]}}",
                       FALSE, CONFAB_ERROR_INVALID);
}

static void
test_export_file_error (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GFile) file = g_file_new_build_filename (ws->dir, "no", "such", "dir", "out.json", NULL);
  g_autoptr (GError) error = NULL;

  g_assert_false (confab_export_to_file (ws->db, file, NULL, &error));
  g_assert_nonnull (error);
}

static void
test_demo_workspace (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "demo", "demo-workspace.json", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  guint64 n_rows = 0;

  /* `make run` opens this: it must import cleanly into the current schema. */
  g_assert_true (confab_import_from_file (ws->db, file, NULL, &n_rows, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_rows, >, 30);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM agents WHERE type = 'rule_based'"), >=, 1);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM conversations"), >=, 3);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'gluten'"), >=, 1);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM pragma_foreign_key_check"), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/export/round-trip", test_round_trip);
  g_test_add_func ("/confab/export/tables-complete", test_tables_complete);
  g_test_add_func ("/confab/export/no-secrets", test_no_secrets);
  g_test_add_func ("/confab/export/import-errors", test_import_errors);
  g_test_add_func ("/confab/export/file-error", test_export_file_error);
  g_test_add_func ("/confab/export/demo-workspace", test_demo_workspace);
  return g_test_run ();
}
