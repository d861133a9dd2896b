#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "confab-test-util.h"

static char *
read_bytes (const char *path,
            gsize      *len)
{
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  g_file_get_contents (path, &contents, len, &error);
  g_assert_no_error (error);
  return contents;
}

static void
write_bytes (const char *path,
             const char *data,
             gsize       len)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
}

static void
test_fresh (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;
  const char *tables[] = {
    "users", "providers", "agents", "teams", "team_members", "prompts", "prompt_versions",
    "prompt_labels", "conversations", "messages", "messages_fts", "knowledge_bases", "documents",
    "chunks", "chunks_fts", "agent_knowledge", "escalations", "audit_log", "workspace",
  };

  g_assert_cmpuint (confab_database_get_schema_version (ws->db), ==,
                    confab_database_get_latest_schema_version ());
  g_assert_cmpuint (confab_database_get_latest_schema_version (), >=, 1);
  g_assert_cmpint (confab_test_count_rows (ws->db, "PRAGMA user_version"), ==,
                   confab_database_get_latest_schema_version ());
  g_assert_cmpint (confab_test_count_rows (ws->db, "PRAGMA application_id"), ==, CONFAB_APPLICATION_ID);
  g_assert_cmpint (confab_test_count_rows (ws->db, "PRAGMA foreign_keys"), ==, 1);
  g_assert_cmpint (confab_test_count_rows (ws->db, "PRAGMA busy_timeout"), >, 0);

  stmt = confab_database_prepare (ws->db, "PRAGMA journal_mode", &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "wal");
  sqlite3_reset (stmt);

  for (guint i = 0; i < G_N_ELEMENTS (tables); i++)
    {
      g_autoptr (ConfabStmt) q = confab_database_prepare (ws->db,
                                                          "SELECT count(*) FROM sqlite_master WHERE name = ?",
                                                          &error);
      g_assert_no_error (error);
      sqlite3_bind_text (q, 1, tables[i], -1, SQLITE_STATIC);
      g_assert_cmpint (sqlite3_step (q), ==, SQLITE_ROW);
      if (sqlite3_column_int (q, 0) != 1)
        g_error ("table %s is missing", tables[i]);
    }

  /* The indexes the seeds name. */
  g_assert_cmpint (confab_test_count_rows (ws->db,
                                           "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name IN "
                                           "('conversations_user_idx', 'conversations_updated_idx', "
                                           "'messages_conversation_seq_idx', 'messages_created_idx')"), ==, 4);
  g_assert_cmpint (confab_test_count_rows (ws->db, "PRAGMA integrity_check = 1"), ==, 0);
}

static void
test_reopen (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) user = confab_test_add_user (ws->db, "keeper");
  g_autoptr (ConfabDatabase) again = NULL;
  g_autoptr (GError) error = NULL;

  g_clear_object (&ws->db);
  again = confab_database_open (ws->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_repository_count (again, CONFAB_TYPE_USER, NULL, NULL, &error), ==, 1);
  g_assert_cmpuint (confab_database_get_schema_version (again), ==,
                    confab_database_get_latest_schema_version ());
}

/* Opening must fail with @code and leave the file byte for byte as it was. */
static void
expect_refused (const char *path,
                int         code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabDatabase) db = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  gsize len_before = 0, len_after = 0;

  before = read_bytes (path, &len_before);
  db = confab_database_open (path, &error);
  g_assert_null (db);
  g_assert_error (error, CONFAB_ERROR, code);
  g_assert_nonnull (strstr (error->message, "”")); /* names the file */
  after = read_bytes (path, &len_after);
  g_assert_cmpmem (before, len_before, after, len_after);
  g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
}

static void
test_not_sqlite (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = g_build_filename (ws->dir, "notes.confab", NULL);
  const char text[] = "These are my meeting notes, not a database.\n";

  write_bytes (path, text, sizeof text - 1);
  expect_refused (path, CONFAB_ERROR_NOT_A_WORKSPACE);
}

static void
test_other_sqlite (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = g_build_filename (ws->dir, "other.db", NULL);
  sqlite3 *raw = NULL;

  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "CREATE TABLE songs (title TEXT); INSERT INTO songs VALUES ('x');",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);
  expect_refused (path, CONFAB_ERROR_NOT_A_WORKSPACE);
}

static char *
make_closed_workspace (ConfabTestWorkspace *ws,
                       const char          *name)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (ws->dir, name, NULL);
  ConfabDatabase *db = confab_database_open (path, &error);
  sqlite3 *raw = NULL;

  g_assert_no_error (error);
  g_object_unref (confab_test_add_user (db, "someone"));
  g_object_unref (db);

  /* Fold the WAL back in so the main file holds everything. */
  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);
  return path;
}

static void
test_newer_version (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = make_closed_workspace (ws, "future.confab");
  g_autofree char *sql = g_strdup_printf ("PRAGMA user_version = %u",
                                          confab_database_get_latest_schema_version () + 1);
  g_autoptr (GError) error = NULL;
  sqlite3 *raw = NULL;

  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);

  expect_refused (path, CONFAB_ERROR_NEWER_VERSION);
}

static void
test_corrupt (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = make_closed_workspace (ws, "broken.confab");
  g_autofree char *data = NULL;
  gsize len = 0;

  /* Keep the 100-byte header, scramble the rest of the first page (the schema). */
  data = read_bytes (path, &len);
  g_assert_cmpuint (len, >, 4096);
  for (gsize i = 100; i < 4096; i++)
    data[i] = (char) (i * 7 + 3);
  write_bytes (path, data, len);

  expect_refused (path, CONFAB_ERROR_CORRUPT);
}

static void
test_truncated_header (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = g_build_filename (ws->dir, "short.confab", NULL);

  write_bytes (path, "SQLite for", 10);
  expect_refused (path, CONFAB_ERROR_NOT_A_WORKSPACE);
}

static void
test_read_only (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = make_closed_workspace (ws, "locked-down.confab");
  g_autofree char *cmd = NULL;
  gboolean immutable = FALSE;

  if (getuid () == 0)
    {
      /* root ignores permission bits; the immutable attribute binds it too. */
      int status = 0;

      cmd = g_strdup_printf ("chattr +i '%s'", path);
      immutable = g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL) &&
                  g_spawn_check_wait_status (status, NULL);
      if (!immutable)
        {
          g_test_skip ("running as root where chattr +i is not supported");
          return;
        }
    }
  else
    g_chmod (path, 0444);

  expect_refused (path, CONFAB_ERROR_READ_ONLY);

  if (immutable)
    {
      g_autofree char *undo = g_strdup_printf ("chattr -i '%s'", path);
      g_spawn_command_line_sync (undo, NULL, NULL, NULL, NULL);
    }
  g_chmod (path, 0644);
}

static void
test_locked (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = make_closed_workspace (ws, "busy.confab");
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabDatabase) db = NULL;
  sqlite3 *holder = NULL;

  /* Another program holds an exclusive lock on a rollback-journal file. */
  g_assert_cmpint (sqlite3_open (path, &holder), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (holder, "BEGIN EXCLUSIVE; UPDATE users SET sector = 'x';",
                                 NULL, NULL, NULL), ==, SQLITE_OK);

  db = confab_database_open_full (path, 50, &error);
  g_assert_null (db);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_LOCKED);

  sqlite3_exec (holder, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_close (holder);

  g_clear_error (&error);
  db = confab_database_open (path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (db);
}

static void
on_changed (ConfabDatabase *db,
            const char     *table,
            const char     *id,
            const char     *action,
            gpointer        data)
{
  GPtrArray *seen = data;

  g_ptr_array_add (seen, g_strdup_printf ("%s:%s", table, action));
}

static void
test_transactions (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;

  g_signal_connect (ws->db, "changed::users", G_CALLBACK (on_changed), seen);

  /* Changes are announced only once the outer transaction commits. */
  g_assert_true (confab_database_begin (ws->db, &error));
  g_object_unref (confab_test_add_user (ws->db, "first"));
  g_assert_cmpuint (seen->len, ==, 0);

  /* A nested level rolled back takes its rows and announcements with it. */
  g_assert_true (confab_database_begin (ws->db, &error));
  g_object_unref (confab_test_add_user (ws->db, "second"));
  confab_database_rollback (ws->db);

  g_assert_true (confab_database_commit (ws->db, &error));
  g_assert_cmpuint (seen->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (seen, 0), ==, "users:create");
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users"), ==, 1);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM audit_log"), ==, 1);

  /* An outer rollback announces nothing. */
  g_assert_true (confab_database_begin (ws->db, &error));
  g_object_unref (confab_test_add_user (ws->db, "third"));
  confab_database_rollback (ws->db);
  g_assert_cmpuint (seen->len, ==, 1);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users"), ==, 1);
}

static void
test_constraints_in_sql (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  sqlite3 *raw = confab_database_get_handle (ws->db);

  /* The schema guards the rules even against writers that skip validation. */
  g_assert_cmpint (sqlite3_exec (raw, "INSERT INTO users (id, username, email, role, created_at, updated_at) "
                                      "VALUES ('u1', 'ab', 'a@b.c', 'client', 'x', 'x')",
                                 NULL, NULL, NULL), !=, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "INSERT INTO users (id, username, email, role, created_at, updated_at) "
                                      "VALUES ('u1', 'abc', 'a@b.c', 'king', 'x', 'x')",
                                 NULL, NULL, NULL), !=, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "INSERT INTO conversations (id, user_id, created_at, updated_at) "
                                      "VALUES ('c1', 'nobody', 'x', 'x')",
                                 NULL, NULL, NULL), !=, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "INSERT INTO agents (id, name, config, created_at, updated_at) "
                                      "VALUES ('a1', 'A', '{not json', 'x', 'x')",
                                 NULL, NULL, NULL), !=, SQLITE_OK);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/database/fresh", test_fresh);
  g_test_add_func ("/confab/database/reopen", test_reopen);
  g_test_add_func ("/confab/database/refuse-not-sqlite", test_not_sqlite);
  g_test_add_func ("/confab/database/refuse-other-sqlite", test_other_sqlite);
  g_test_add_func ("/confab/database/refuse-newer-version", test_newer_version);
  g_test_add_func ("/confab/database/refuse-corrupt", test_corrupt);
  g_test_add_func ("/confab/database/refuse-truncated", test_truncated_header);
  g_test_add_func ("/confab/database/refuse-read-only", test_read_only);
  g_test_add_func ("/confab/database/locked", test_locked);
  g_test_add_func ("/confab/database/transactions", test_transactions);
  g_test_add_func ("/confab/database/sql-constraints", test_constraints_in_sql);
  return g_test_run ();
}
