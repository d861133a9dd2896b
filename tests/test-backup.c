/* Backup and restore: confab_database_backup_async() copies a consistent
 * snapshot while another connection writes, confab_database_restore()
 * puts a backup back (refusing what is not a Confab workspace), and
 * `confab-cli backup` / `confab-cli restore` do both from the shell. */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "confab-test-util.h"

static sqlite3 *
open_raw (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  return db;
}

static gint64
raw_int (const char *path, const char *sql)
{
  sqlite3      *db = open_raw (path);
  sqlite3_stmt *stmt = NULL;
  gint64        n = -1;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return n;
}

static char *
raw_text (const char *path, const char *sql)
{
  sqlite3      *db = open_raw (path);
  sqlite3_stmt *stmt = NULL;
  char         *text = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return text;
}

static void
add_users (ConfabDatabase *db, const char *prefix, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("%s-%u", prefix, i);

      g_object_unref (confab_test_add_user (db, name));
    }
}

/* Writes in one transaction both a user and its audit row, and a counter
 * row: a consistent copy has as many users as the counter says. */
typedef struct
{
  const char *path;
  gint        stop;
  guint       n_written;
  GError     *error;
} Writer;

static gpointer
writer_thread (gpointer data)
{
  Writer *writer = data;
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (ConfabDatabase) db = NULL;

  g_main_context_push_thread_default (context);
  db = confab_database_open (writer->path, &writer->error);
  while (db != NULL && !g_atomic_int_get (&writer->stop))
    {
      g_autofree char *name = g_strdup_printf ("busy-%u", writer->n_written);
      g_autofree char *email = g_strdup_printf ("busy-%u@example.com", writer->n_written);
      g_autoptr (ConfabUser) user = confab_user_new (name, email);
      g_autoptr (ConfabStmt) stmt = NULL;

      if (!confab_database_begin (db, &writer->error))
        break;
      stmt = confab_database_prepare (db,
                                      "INSERT INTO workspace (key, value) VALUES ('written', ?1) "
                                      "ON CONFLICT (key) DO UPDATE SET value = ?1",
                                      &writer->error);
      if (stmt == NULL ||
          !confab_repository_create (db, CONFAB_ENTITY (user), NULL, &writer->error))
        {
          confab_database_rollback (db);
          break;
        }
      sqlite3_bind_int64 (stmt, 1, writer->n_written + 1);
      if (!confab_database_step_done (db, stmt, &writer->error) ||
          !confab_database_commit (db, &writer->error))
        break;
      writer->n_written++;
    }
  g_clear_object (&db);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
on_backup_done (GObject *source, GAsyncResult *result, gpointer data)
{
  GError **error = data;
  gboolean ok = confab_database_backup_finish (CONFAB_DATABASE (source), result, error);

  g_assert_true (ok == (*error == NULL));
  g_object_set_data (source, "done", GINT_TO_POINTER (TRUE));
}

static void
backup_and_wait (ConfabDatabase *db,
                 const char     *destination,
                 GCancellable   *cancellable,
                 GError        **error)
{
  confab_database_backup_async (db, destination, cancellable, on_backup_done, error);
  while (g_object_get_data (G_OBJECT (db), "done") == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_object_set_data (G_OBJECT (db), "done", NULL);
}

static void
test_backup_while_writing (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *copy = g_build_filename (ws->dir, "copy.confab", NULL);
  g_autofree char *check = NULL;
  g_autoptr (GError) error = NULL;
  Writer   writer = { ws->path, 0, 0, NULL };
  GThread *thread;
  gint64   users, written;
  guint    before;

  /* Enough pages that the copy takes many steps. */
  add_users (ws->db, "seed", 300);
  thread = g_thread_new ("writer", writer_thread, &writer);
  while (g_atomic_int_get (&writer.n_written) < 20 && writer.error == NULL)
    g_usleep (1000);

  before = g_atomic_int_get (&writer.n_written);
  backup_and_wait (ws->db, copy, NULL, &error);
  g_assert_no_error (error);
  g_atomic_int_set (&writer.stop, 1);
  g_thread_join (thread);
  g_assert_no_error (writer.error);

  /* A whole, single file: no WAL beside it. */
  check = raw_text (copy, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
  g_clear_pointer (&check, g_free);
  check = raw_text (copy, "PRAGMA journal_mode");
  g_assert_cmpstr (check, ==, "delete");
  {
    g_autofree char *wal = g_strconcat (copy, "-wal", NULL);
    g_assert_false (g_file_test (wal, G_FILE_TEST_EXISTS));
  }

  /* One snapshot: the counter and the users agree. */
  users = raw_int (copy, "SELECT count(*) FROM users WHERE username LIKE 'busy-%'");
  written = raw_int (copy, "SELECT value FROM workspace WHERE key = 'written'");
  g_assert_cmpint (users, ==, written);
  g_assert_cmpint (users, >=, before);
  g_assert_cmpint (raw_int (copy, "SELECT count(*) FROM users WHERE username LIKE 'seed-%'"), ==,
                   300);
  g_assert_cmpint (raw_int (copy, "SELECT count(*) FROM audit_log WHERE entity = 'user'"), ==,
                   300 + users);
  g_test_message ("backup taken while %u users were written: it holds %" G_GINT64_FORMAT,
                  writer.n_written, users);

  /* The copy opens as a workspace. */
  {
    g_autoptr (ConfabDatabase) opened = confab_database_open (copy, &error);

    g_assert_no_error (error);
    g_assert_cmpint (confab_repository_count (opened, CONFAB_TYPE_USER, NULL, NULL, &error), ==,
                     300 + users);
  }
}

static void
test_backup_refusals (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *missing = g_build_filename (ws->dir, "no", "such", "dir", "x.confab", NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *cancelled = g_build_filename (ws->dir, "cancelled.confab", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *name;

  /* Onto itself. */
  g_assert_false (confab_database_backup (ws->db, ws->path, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);

  /* Into a folder that does not exist. */
  backup_and_wait (ws->db, missing, NULL, &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "x.confab"));
  g_clear_error (&error);

  /* Cancelled: nothing is left behind. */
  g_cancellable_cancel (cancellable);
  backup_and_wait (ws->db, cancelled, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  dir = g_dir_open (ws->dir, 0, NULL);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_true (g_str_has_prefix (name, "test.confab"));
}

static void
test_restore_round_trip (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *copy = g_build_filename (ws->dir, "copy.confab", NULL);
  g_autofree char *safety = NULL;
  g_autoptr (ConfabDatabase) other = NULL;
  g_autoptr (GListModel) users = NULL;
  g_autoptr (GError) error = NULL;

  add_users (ws->db, "kept", 5);
  g_assert_true (confab_database_backup (ws->db, copy, NULL, &error));
  g_assert_no_error (error);

  /* Later changes, which the restore undoes. */
  add_users (ws->db, "later", 3);
  g_assert_true (
      confab_database_exec (ws->db, "DELETE FROM users WHERE username = 'kept-0'", &error));

  other = confab_database_open (ws->path, &error);
  g_assert_no_error (error);
  users = confab_repository_list_model (ws->db, CONFAB_TYPE_USER, NULL, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (users), ==, 7);

  g_assert_true (confab_database_restore (ws->db, copy, &safety, NULL, &error));
  g_assert_no_error (error);

  /* This connection, a list on it and another connection all see it. */
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users"), ==, 5);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users "
                                                   "WHERE username = 'kept-0'"),
                   ==, 1);
  confab_test_drain_main_loop ();
  g_assert_cmpuint (g_list_model_get_n_items (users), ==, 5);
  g_assert_cmpint (confab_test_count_rows (other, "SELECT count(*) FROM users"), ==, 5);
  g_assert_cmpint (confab_test_count_rows (ws->db, "PRAGMA integrity_check = 1"), ==, 0);

  /* The contents it replaced were kept. */
  g_assert_nonnull (safety);
  g_assert_true (g_str_has_prefix (safety, ws->path));
  g_assert_true (g_str_has_suffix (safety, ".bak"));
  g_assert_cmpint (raw_int (safety, "SELECT count(*) FROM users"), ==, 7);

  /* The workspace goes on working: writes, and its streaming replies are
   * still known to be its own. */
  add_users (ws->db, "after", 2);
  g_assert_cmpint (confab_test_count_rows (other, "SELECT count(*) FROM users"), ==, 7);
  {
    g_autoptr (ConfabUser) user = confab_test_add_user (ws->db, "streamer");
    g_autoptr (ConfabConversation) conversation =
        confab_conversation_new (confab_entity_get_id (CONFAB_ENTITY (user)));
    g_autoptr (ConfabMessage) reply = NULL;
    g_autoptr (ConfabDatabase) third = NULL;

    g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (conversation), NULL, &error));
    reply =
        confab_message_new (confab_entity_get_id (CONFAB_ENTITY (conversation)), "assistant", "");
    confab_message_set_status (reply, "streaming");
    g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (reply), NULL, &error));
    third = confab_database_open (ws->path, &error);
    g_assert_no_error (error);
    g_assert_cmpint (confab_test_count_rows (third, "SELECT count(*) FROM messages "
                                                    "WHERE status = 'streaming'"),
                     ==, 1);
  }
}

static void
test_restore_refusals (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *text = g_build_filename (ws->dir, "notes.txt", NULL);
  g_autofree char *other_db = g_build_filename (ws->dir, "songs.db", NULL);
  g_autofree char *missing = g_build_filename (ws->dir, "missing.confab", NULL);
  g_autofree char *safety = NULL;
  g_autoptr (GError) error = NULL;
  sqlite3 *raw = NULL;

  add_users (ws->db, "mine", 2);
  g_file_set_contents (text, "Meeting notes, not a workspace\n", -1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (other_db, &raw), ==, SQLITE_OK);
  sqlite3_exec (raw, "CREATE TABLE songs (title TEXT); INSERT INTO songs VALUES ('x')", NULL, NULL,
                NULL);
  sqlite3_close (raw);

  g_assert_false (confab_database_restore (ws->db, text, &safety, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_A_WORKSPACE);
  g_assert_nonnull (strstr (error->message, "“notes.txt” is not a Confab workspace"));
  g_assert_null (safety);
  g_clear_error (&error);

  g_assert_false (confab_database_restore (ws->db, other_db, NULL, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_A_WORKSPACE);
  g_clear_error (&error);

  g_assert_false (confab_database_restore (ws->db, missing, NULL, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_false (confab_database_restore (ws->db, ws->path, NULL, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);

  /* Nothing changed, and no copy was made. */
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users"), ==, 2);
  {
    g_autoptr (GDir) dir = g_dir_open (ws->dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (dir)) != NULL)
      g_assert_false (g_str_has_suffix (name, ".bak"));
  }
}

/* A backup written by an older schema is upgraded on the way in. */
static void
test_restore_older_backup (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *old = g_build_filename (ws->dir, "old.confab", NULL);
  g_autofree char *fixture = g_test_build_filename (G_TEST_DIST, "data", "workspace-v1.sql", NULL);
  g_autofree char *sql = NULL;
  g_autofree char *safety = NULL;
  g_autoptr (GError) error = NULL;
  sqlite3 *raw = NULL;

  g_file_get_contents (fixture, &sql, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (old, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);

  /* The workspace is empty: there is nothing to keep a copy of. */
  g_assert_true (confab_database_restore (ws->db, old, &safety, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (safety);
  g_assert_cmpuint (confab_database_get_schema_version (ws->db), ==,
                    confab_database_get_latest_schema_version ());
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users"), ==, 4);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM messages "
                                                   "WHERE status = 'streaming'"),
                   ==, 0);
  /* The backup file itself is never written to. */
  g_assert_cmpint (raw_int (old, "PRAGMA user_version"), ==, 1);
}

/* confab-cli backup and restore */

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *run)
{
  g_clear_pointer (&run->out, g_free);
  g_clear_pointer (&run->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
cli (Run *run, const char *workspace, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  const char *arg;
  va_list     ap;

  g_ptr_array_add (argv, (char *) g_getenv ("CONFAB_CLI"));
  g_assert_nonnull (argv->pdata[0]);
  g_ptr_array_add (argv, (char *) "--workspace");
  g_ptr_array_add (argv, (char *) workspace);
  va_start (ap, workspace);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  run_clear (run);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (process));
  run->status = g_subprocess_get_exit_status (process);
}

static void
assert_run (Run *run, int status, const char *in_err)
{
  if (run->status != status || (in_err != NULL && strstr (run->err, in_err) == NULL))
    g_error ("exit %d (wanted %d), stderr lacks “%s”:\nstdout:\n%s\nstderr:\n%s", run->status,
             status, in_err ? in_err : "", run->out, run->err);
}

static void
test_cli (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *backup = g_build_filename (ws->dir, "backup.confab", NULL);
  g_autofree char *fresh = g_build_filename (ws->dir, "fresh.confab", NULL);
  g_autofree char *text = g_build_filename (ws->dir, "notes.txt", NULL);
  g_autoptr (GError) error = NULL;
  g_auto (Run) run = { 0 };

  add_users (ws->db, "cli", 4);

  cli (&run, ws->path, "backup", backup, NULL);
  assert_run (&run, 0, NULL);
  g_assert_nonnull (strstr (run.out, "backup.confab"));
  g_assert_cmpint (raw_int (backup, "SELECT count(*) FROM users"), ==, 4);

  /* An existing file is not replaced without --force. */
  cli (&run, ws->path, "backup", backup, NULL);
  assert_run (&run, 1, "already exists");
  cli (&run, ws->path, "backup", "--force", backup, NULL);
  assert_run (&run, 0, NULL);

  /* Restoring over a workspace with data needs --force, and keeps a copy. */
  add_users (ws->db, "later", 2);
  cli (&run, ws->path, "restore", backup, NULL);
  assert_run (&run, 1, "--force");
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users"), ==, 6);
  cli (&run, ws->path, "restore", "--force", backup, NULL);
  assert_run (&run, 0, NULL);
  g_assert_nonnull (strstr (run.out, ".bak"));
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users"), ==, 4);

  /* Into a workspace that does not exist yet: no --force needed. */
  cli (&run, fresh, "restore", backup, NULL);
  assert_run (&run, 0, NULL);
  g_assert_cmpint (raw_int (fresh, "SELECT count(*) FROM users"), ==, 4);

  /* Not a workspace: refused with a clear message, exit status 1. */
  g_file_set_contents (text, "hello\n", -1, &error);
  g_assert_no_error (error);
  cli (&run, ws->path, "restore", "--force", text, NULL);
  assert_run (&run, 1, "“notes.txt” is not a Confab workspace");
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users"), ==, 4);

  /* Wrong command lines. */
  cli (&run, ws->path, "backup", NULL);
  assert_run (&run, 2, NULL);
  cli (&run, ws->path, "restore", "a", "b", NULL);
  assert_run (&run, 2, NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/backup/while-writing", test_backup_while_writing);
  g_test_add_func ("/confab/backup/refusals", test_backup_refusals);
  g_test_add_func ("/confab/backup/restore-round-trip", test_restore_round_trip);
  g_test_add_func ("/confab/backup/restore-refusals", test_restore_refusals);
  g_test_add_func ("/confab/backup/restore-older-backup", test_restore_older_backup);
  g_test_add_func ("/confab/backup/cli", test_cli);
  return g_test_run ();
}
