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

/* Crash recovery: a streaming reply whose writer is gone becomes an error;
 * one whose writer lives is left alone. */
static ConfabMessage *
add_streaming_reply (ConfabDatabase *db,
                     const char     *text)
{
  static guint n;
  g_autoptr (GError) error = NULL;
  g_autofree char *username = g_strdup_printf ("asker-%u", n++);
  g_autoptr (ConfabUser) user = confab_test_add_user (db, username);
  g_autoptr (ConfabConversation) conversation =
    confab_conversation_new (confab_entity_get_id (CONFAB_ENTITY (user)));
  ConfabMessage *reply;

  confab_repository_create (db, CONFAB_ENTITY (conversation), NULL, &error);
  g_assert_no_error (error);
  reply = confab_message_new (confab_entity_get_id (CONFAB_ENTITY (conversation)), "assistant",
                              text);
  confab_message_set_status (reply, "streaming");
  confab_repository_create (db, CONFAB_ENTITY (reply), NULL, &error);
  g_assert_no_error (error);
  return reply;
}

static char *
status_of (ConfabDatabase *db,
           ConfabMessage  *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabMessage) fresh =
    confab_repository_get (db, CONFAB_TYPE_MESSAGE, confab_entity_get_id (CONFAB_ENTITY (message)),
                           &error);

  g_assert_no_error (error);
  return g_strdup (confab_message_get_status (fresh));
}

static void
test_recover_interrupted (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabMessage) reply = add_streaming_reply (ws->db, "The bread is");
  g_autoptr (ConfabDatabase) other = NULL;
  g_autoptr (ConfabDatabase) later = NULL;
  g_autoptr (ConfabMessage) recovered = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *status = NULL;

  /* Its writer is alive (this connection): another open leaves it. */
  other = confab_database_open (ws->path, &error);
  g_assert_no_error (error);
  status = status_of (other, reply);
  g_assert_cmpstr (status, ==, "streaming");
  g_assert_cmpint (confab_database_recover_interrupted (other, &error), ==, 0);
  g_assert_no_error (error);
  g_clear_object (&other);

  /* The writer goes away without finishing: the next open recovers it. */
  g_clear_object (&ws->db);
  later = confab_database_open (ws->path, &error);
  g_assert_no_error (error);
  recovered = confab_repository_get (later, CONFAB_TYPE_MESSAGE,
                                     confab_entity_get_id (CONFAB_ENTITY (reply)), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_message_get_status (recovered), ==, "error");
  g_assert_cmpstr (confab_message_get_error (recovered), ==, CONFAB_DATABASE_INTERRUPTED_ERROR);
  g_assert_cmpstr (confab_message_get_content (recovered), ==, "The bread is");
  g_assert_cmpint (confab_test_count_rows (later, "SELECT count(*) FROM audit_log "
                                                  "WHERE entity = 'message' AND action = 'update' "
                                                  "AND details LIKE '%interrupted%'"), ==, 1);
  /* Once is enough. */
  g_assert_cmpint (confab_database_recover_interrupted (later, &error), ==, 0);
}

static gboolean
wait_for_status (ConfabDatabase *db,
                 ConfabMessage  *message,
                 const char     *status,
                 guint           timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *now = status_of (db, message);

      if (g_strcmp0 (now, status) == 0)
        return TRUE;
      g_main_context_iteration (NULL, TRUE);
    }
  return FALSE;
}

static void
count_changes (ConfabDatabase *db,
               const char     *table,
               const char     *id,
               const char     *action,
               gpointer        data)
{
  (*(guint *) data)++;
}

/* A program that stays open (the app, with lists listening) recovers a
 * reply whose writer died meanwhile, without being reopened. */
static void
test_recover_while_open (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabDatabase) writer = NULL;
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *status = NULL;
  guint n_changes = 0;

  g_signal_connect (ws->db, "changed::messages", G_CALLBACK (count_changes), &n_changes);
  writer = confab_database_open (ws->path, &error);
  g_assert_no_error (error);
  reply = add_streaming_reply (writer, "Half a sen");

  /* Its writer lives: a few watches go by and it stays streaming. */
  for (guint i = 0; i < 3; i++)
    g_assert_false (wait_for_status (ws->db, reply, "error", 400));
  status = status_of (ws->db, reply);
  g_assert_cmpstr (status, ==, "streaming");

  /* The writer goes away. */
  g_clear_object (&writer);
  if (!wait_for_status (ws->db, reply, "error", 10000))
    g_error ("the open workspace did not recover the interrupted reply");
  g_assert_cmpuint (n_changes, >, 0);
}

/* A reply that finished is no longer held, and one rolled back never was. */
static void
test_recover_released (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabMessage) done = add_streaming_reply (ws->db, "Finished");
  g_autoptr (ConfabMessage) rolled_back = NULL;
  g_autoptr (ConfabDatabase) other = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *status = NULL;

  confab_message_set_status (done, "complete");
  confab_repository_update (ws->db, CONFAB_ENTITY (done), NULL, &error);
  g_assert_no_error (error);

  /* Set back to streaming by another connection behind this one's back,
   * as a crashed writer would have left it: nobody holds it. */
  other = confab_database_open (ws->path, &error);
  g_assert_no_error (error);
  g_assert_true (confab_database_exec (other, "UPDATE messages SET status = 'streaming'", &error));
  g_clear_object (&other);
  other = confab_database_open (ws->path, &error);
  g_assert_no_error (error);
  status = status_of (other, done);
  g_assert_cmpstr (status, ==, "error");
  g_clear_object (&other);

  g_assert_true (confab_database_begin (ws->db, &error));
  rolled_back = add_streaming_reply (ws->db, "Never saved");
  confab_database_rollback (ws->db);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM messages "
                                                   "WHERE status = 'streaming'"), ==, 0);
}

/* Disk full: PRAGMA max_page_count stands for a full disk. */
static void
test_disk_full (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *persona = g_strnfill (3000, 'p');
  g_autofree char *sql = NULL;
  g_autofree char *name = NULL;
  gint64 pages, before;
  guint n_saved = 0;

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *username = g_strdup_printf ("early-%u", i);
      g_object_unref (confab_test_add_user (ws->db, username));
    }
  pages = confab_test_count_rows (ws->db, "PRAGMA page_count");
  sql = g_strdup_printf ("PRAGMA max_page_count = %" G_GINT64_FORMAT, pages + 8);
  g_assert_true (confab_database_exec (ws->db, sql, &error));

  /* One row at a time, until the disk is "full". */
  while (TRUE)
    {
      g_autofree char *username = g_strdup_printf ("filler-%u", n_saved);
      g_autofree char *email = g_strdup_printf ("filler-%u@example.com", n_saved);
      g_autoptr (ConfabUser) user = confab_user_new (username, email);

      confab_user_set_persona (user, persona);
      if (!confab_repository_create (ws->db, CONFAB_ENTITY (user), NULL, &error))
        {
          name = g_strdup (username);
          break;
        }
      n_saved++;
      g_assert_cmpuint (n_saved, <, 1000);
    }
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_DISK_FULL);
  g_assert_nonnull (strstr (error->message, "test.confab"));
  g_assert_nonnull (strstr (error->message, "full"));
  g_assert_nonnull (strstr (error->message, "not saved"));
  g_clear_error (&error);

  /* Nothing half-written: not the user, not its audit row. */
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users"), ==, 5 + n_saved);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM audit_log"), ==,
                   5 + n_saved);
  {
    g_autoptr (ConfabStmt) stmt =
      confab_database_prepare (ws->db, "SELECT count(*) FROM users WHERE username = ?", &error);
    g_assert_no_error (error);
    sqlite3_bind_text (stmt, 1, name, -1, SQLITE_TRANSIENT);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, 0);
  }

  /* A bigger transaction fails whole, and the transaction state is sane. */
  before = confab_test_count_rows (ws->db, "SELECT count(*) FROM users");
  g_assert_true (confab_database_begin (ws->db, &error));
  for (guint i = 0; i < 50 && error == NULL; i++)
    {
      g_autofree char *username = g_strdup_printf ("batch-%u", i);
      g_autofree char *email = g_strdup_printf ("batch-%u@example.com", i);
      g_autoptr (ConfabUser) user = confab_user_new (username, email);

      confab_user_set_persona (user, persona);
      confab_repository_create (ws->db, CONFAB_ENTITY (user), NULL, &error);
    }
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_DISK_FULL);
  g_clear_error (&error);
  confab_database_rollback (ws->db);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users"), ==, before);

  /* Still readable, undamaged; and writable again once there is room. */
  g_assert_cmpint (confab_test_count_rows (ws->db, "PRAGMA integrity_check = 1"), ==, 0);
  g_assert_cmpint (confab_repository_count (ws->db, CONFAB_TYPE_USER, NULL, NULL, &error), ==,
                   before);
  g_assert_true (confab_database_exec (ws->db, "PRAGMA max_page_count = 1073741823", &error));
  g_object_unref (confab_test_add_user (ws->db, "roomy"));
}

/* Read-only: every read works, every write fails clearly, the file stays. */
static void
assert_reads_but_refuses_writes (ConfabDatabase *db)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) user = confab_user_new ("newbie", "newbie@example.com");
  g_autoptr (GListModel) users = NULL;

  g_assert_true (confab_database_is_read_only (db));
  {
    gboolean read_only = FALSE;
    g_object_get (db, "read-only", &read_only, NULL);
    g_assert_true (read_only);
  }
  g_assert_cmpint (confab_repository_count (db, CONFAB_TYPE_USER, NULL, NULL, &error), ==, 1);
  g_assert_no_error (error);
  users = confab_repository_list_model (db, CONFAB_TYPE_USER, NULL, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (users), ==, 1);

  g_assert_false (confab_repository_create (db, CONFAB_ENTITY (user), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_READ_ONLY);
  g_assert_nonnull (strstr (error->message, "read-only"));
  g_clear_error (&error);
  g_assert_false (confab_database_exec (db, "UPDATE users SET sector = 'x'", &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_READ_ONLY);
  g_clear_error (&error);
  g_assert_cmpint (confab_database_recover_interrupted (db, &error), ==, 0);
  g_assert_no_error (error);
}

static void
test_open_read_only (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = make_closed_workspace (ws, "reference.confab");
  g_autofree char *missing = g_build_filename (ws->dir, "missing.confab", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (ConfabDatabase) db = NULL;
  g_autoptr (GError) error = NULL;
  gsize len_before = 0, len_after = 0;

  before = read_bytes (path, &len_before);
  db = confab_database_open_with_flags (path, CONFAB_DATABASE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  assert_reads_but_refuses_writes (db);
  g_clear_object (&db);
  after = read_bytes (path, &len_after);
  g_assert_cmpmem (before, len_before, after, len_after);

  db = confab_database_open_with_flags (missing, CONFAB_DATABASE_OPEN_READ_ONLY, &error);
  g_assert_null (db);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
}

/* A file (or folder) that cannot be written: refused for writing, opened
 * read-only with the fallback flag. */
static gboolean
make_unwritable (const char *path,
                 gboolean    on)
{
  if (getuid () == 0)
    {
      /* root ignores permission bits; the immutable attribute binds it too. */
      g_autofree char *cmd = g_strdup_printf ("chattr %ci '%s'", on ? '+' : '-', path);
      int status = 0;

      return g_spawn_command_line_sync (cmd, NULL, NULL, &status, NULL) &&
             g_spawn_check_wait_status (status, NULL);
    }
  return g_chmod (path, on ? (g_file_test (path, G_FILE_TEST_IS_DIR) ? 0555 : 0444)
                           : (g_file_test (path, G_FILE_TEST_IS_DIR) ? 0755 : 0644)) == 0;
}

static void
test_read_only_fallback (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = NULL;
  g_autoptr (ConfabDatabase) db = NULL;
  g_autoptr (GError) error = NULL;

  /* A workspace in WAL mode, as Confab leaves it. */
  path = g_build_filename (ws->dir, "locked-down.confab", NULL);
  db = confab_database_open (path, &error);
  g_assert_no_error (error);
  g_object_unref (confab_test_add_user (db, "someone"));
  g_clear_object (&db);

  if (!make_unwritable (path, TRUE))
    {
      g_test_skip ("cannot make a file read-only here");
      return;
    }
  db = confab_database_open (path, &error);
  g_assert_null (db);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_READ_ONLY);
  g_clear_error (&error);

  db = confab_database_open_with_flags (path, CONFAB_DATABASE_OPEN_READ_ONLY_FALLBACK, &error);
  g_assert_no_error (error);
  assert_reads_but_refuses_writes (db);
  g_clear_object (&db);
  make_unwritable (path, FALSE);

  /* A folder nobody may write to: not even the -shm file can be made. */
  if (!make_unwritable (ws->dir, TRUE))
    return;
  db = confab_database_open_with_flags (path, CONFAB_DATABASE_OPEN_READ_ONLY_FALLBACK, &error);
  g_assert_no_error (error);
  assert_reads_but_refuses_writes (db);
  g_clear_object (&db);
  make_unwritable (ws->dir, FALSE);
}

/* An older workspace cannot be upgraded without writing it. */
static void
test_read_only_older (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = make_closed_workspace (ws, "old.confab");
  g_autoptr (ConfabDatabase) db = NULL;
  g_autoptr (GError) error = NULL;
  sqlite3 *raw = NULL;

  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "PRAGMA user_version = 1", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);

  db = confab_database_open_with_flags (path, CONFAB_DATABASE_OPEN_READ_ONLY, &error);
  g_assert_null (db);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_READ_ONLY);
  g_assert_nonnull (strstr (error->message, "older version"));
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
  g_test_add_func ("/confab/database/recover-interrupted", test_recover_interrupted);
  g_test_add_func ("/confab/database/recover-released", test_recover_released);
  g_test_add_func ("/confab/database/recover-while-open", test_recover_while_open);
  g_test_add_func ("/confab/database/disk-full", test_disk_full);
  g_test_add_func ("/confab/database/open-read-only", test_open_read_only);
  g_test_add_func ("/confab/database/read-only-fallback", test_read_only_fallback);
  g_test_add_func ("/confab/database/read-only-older", test_read_only_older);
  return g_test_run ();
}
