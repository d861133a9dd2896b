/* Two writers on one workspace: two connections in threads, two processes
 * (this program run again as a writer, and confab-cli) writing at once.
 * Nobody gets "locked", nothing is lost. And the other side's lists
 * refresh: ConfabDatabase notices another connection's commits. */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "confab-test-util.h"

#define N_ROWS 150

/* Writes n users, each with a conversation and two messages, as "prefix-i";
 * the first error stops it. Runs in whatever thread calls it. */
static gboolean
write_rows (ConfabDatabase *db, const char *prefix, guint n, GError **error)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *username = g_strdup_printf ("%s-%u", prefix, i);
      g_autofree char *email = g_strdup_printf ("%s-%u@example.com", prefix, i);
      g_autoptr (ConfabUser) user = confab_user_new (username, email);
      g_autoptr (ConfabConversation) conversation = NULL;
      g_autoptr (ConfabMessage) question = NULL;
      g_autoptr (ConfabMessage) answer = NULL;
      const char *cid;

      if (!confab_repository_create (db, CONFAB_ENTITY (user), NULL, error))
        return FALSE;
      conversation = confab_conversation_new (confab_entity_get_id (CONFAB_ENTITY (user)));
      if (!confab_repository_create (db, CONFAB_ENTITY (conversation), NULL, error))
        return FALSE;
      cid = confab_entity_get_id (CONFAB_ENTITY (conversation));
      question = confab_message_new (cid, "user", username);
      if (!confab_repository_create (db, CONFAB_ENTITY (question), NULL, error))
        return FALSE;
      answer = confab_message_new (cid, "assistant", "noted");
      confab_message_set_parent_message_id (answer,
                                            confab_entity_get_id (CONFAB_ENTITY (question)));
      if (!confab_repository_create (db, CONFAB_ENTITY (answer), NULL, error))
        return FALSE;
      /* Reads between the writes, as a GUI does. */
      if (confab_repository_count (db, CONFAB_TYPE_USER, NULL, NULL, error) < 0)
        return FALSE;
    }
  return TRUE;
}

/* Two threads */

typedef struct
{
  const char *path;
  const char *prefix;
  GError     *error;
} Writer;

static gpointer
writer_thread (gpointer data)
{
  Writer *writer = data;
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (ConfabDatabase) db = NULL;

  /* A workspace belongs to the thread that opens it, with its own context. */
  g_main_context_push_thread_default (context);
  db = confab_database_open (writer->path, &writer->error);
  if (db != NULL)
    write_rows (db, writer->prefix, N_ROWS, &writer->error);
  g_clear_object (&db);
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
assert_all_rows (ConfabDatabase *db, const char *prefix, guint n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *username = g_strdup_printf ("%s-%u", prefix, i);
      g_autoptr (ConfabStmt) stmt = NULL;
      g_autoptr (GError) error = NULL;

      stmt =
          confab_database_prepare (db,
                                   "SELECT (SELECT count(*) FROM users WHERE username = ?1), "
                                   "(SELECT count(*) FROM messages m JOIN conversations c "
                                   " ON c.id = m.conversation_id JOIN users u ON u.id = c.user_id "
                                   " WHERE u.username = ?1)",
                                   &error);
      g_assert_no_error (error);
      sqlite3_bind_text (stmt, 1, username, -1, SQLITE_TRANSIENT);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      if (sqlite3_column_int (stmt, 0) != 1 || sqlite3_column_int (stmt, 1) != 2)
        g_error ("%s: %d users, %d messages", username, sqlite3_column_int (stmt, 0),
                 sqlite3_column_int (stmt, 1));
    }
}

static void
test_two_threads (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  Writer   a = { ws->path, "thread-a", NULL };
  Writer   b = { ws->path, "thread-b", NULL };
  GThread *ta, *tb;

  ta = g_thread_new ("writer-a", writer_thread, &a);
  tb = g_thread_new ("writer-b", writer_thread, &b);
  /* And this thread's connection writes meanwhile too. */
  {
    g_autoptr (GError) error = NULL;

    write_rows (ws->db, "main", N_ROWS / 3, &error);
    g_assert_no_error (error);
  }
  g_thread_join (ta);
  g_thread_join (tb);
  g_assert_no_error (a.error);
  g_assert_no_error (b.error);

  assert_all_rows (ws->db, "thread-a", N_ROWS);
  assert_all_rows (ws->db, "thread-b", N_ROWS);
  assert_all_rows (ws->db, "main", N_ROWS / 3);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users"), ==,
                   2 * N_ROWS + N_ROWS / 3);
  g_assert_cmpint (confab_test_count_rows (ws->db, "PRAGMA integrity_check = 1"), ==, 0);
}

/* Two processes */

static GSubprocess *
spawn_writer (const char *self_exe, const char *path, const char *prefix, const char *hold_ms)
{
  g_autoptr (GError) error = NULL;
  GSubprocess *process;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                              &error, self_exe, "--writer", path, prefix, hold_ms, NULL);
  g_assert_no_error (error);
  return process;
}

static void
finish (GSubprocess *process, const char *what)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    g_error ("%s failed:\n%s%s", what, out, err);
  if (strstr (err, "locked") != NULL || strstr (out, "locked") != NULL)
    g_error ("%s reported a lock:\n%s%s", what, out, err);
}

static char *self_exe;

static void
test_two_processes (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GSubprocess) a = NULL;
  g_autoptr (GSubprocess) b = NULL;
  g_autoptr (GPtrArray) cli_runs = g_ptr_array_new_with_free_func (g_object_unref);
  const char *cli = g_getenv ("CONFAB_CLI");

  g_assert_nonnull (cli);
  a = spawn_writer (self_exe, ws->path, "process-a", "0");
  b = spawn_writer (self_exe, ws->path, "process-b", "0");

  /* confab-cli adds users meanwhile, one process after the other. */
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *username = g_strdup_printf ("cli-%u", i);
      g_autofree char *email = g_strdup_printf ("cli-%u@example.com", i);
      g_autoptr (GError) error = NULL;
      g_autoptr (GSubprocess) run = g_subprocess_new (
          G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, cli,
          "--workspace", ws->path, "users", "add", "--username", username, "--email", email, NULL);

      g_assert_no_error (error);
      finish (run, "confab-cli users add");
    }
  finish (a, "writer a");
  finish (b, "writer b");

  assert_all_rows (ws->db, "process-a", N_ROWS);
  assert_all_rows (ws->db, "process-b", N_ROWS);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users "
                                                   "WHERE username LIKE 'cli-%'"),
                   ==, 8);
  g_assert_cmpint (confab_test_count_rows (ws->db, "PRAGMA integrity_check = 1"), ==, 0);
}

/* One process holds the write lock for a while (a big import): the other
 * waits for it instead of failing. */
static void
test_waits_for_a_long_write (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GSubprocess) holder = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) out = NULL;
  char  ready[6] = { 0 };
  gsize n_read = 0;

  holder = spawn_writer (self_exe, ws->path, "holder", "1500");
  /* It says "ready" once it holds the lock. */
  out = g_object_ref (g_subprocess_get_stdout_pipe (holder));
  g_input_stream_read_all (out, ready, 5, &n_read, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ready, ==, "ready");

  g_object_unref (confab_test_add_user (ws->db, "patient"));
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users "
                                                   "WHERE username = 'holder-0'"),
                   ==, 1);
  finish (holder, "lock holder");
}

/* Lists refresh when another connection commits */

static void
on_items_changed (GListModel *model, guint position, guint removed, guint added, gpointer data)
{
  (*(guint *) data)++;
}

static void
on_changed (
    ConfabDatabase *db, const char *table, const char *id, const char *action, gpointer data)
{
  g_ptr_array_add (data, g_strdup_printf ("%s:%s:%s", table, id ? id : "-", action));
}

static gboolean
wait_for_items (GListModel *model, guint n, guint timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (g_list_model_get_n_items (model) != n && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  return g_list_model_get_n_items (model) == n;
}

static void
test_other_connection_refreshes (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabDatabase) other = NULL;
  g_autoptr (GListModel) users = NULL;
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  guint n_changes = 0;

  other = confab_database_open (ws->path, &error);
  g_assert_no_error (error);

  users = confab_repository_list_model (ws->db, CONFAB_TYPE_USER, NULL, NULL);
  g_signal_connect (users, "items-changed", G_CALLBACK (on_items_changed), &n_changes);
  g_signal_connect (ws->db, "changed", G_CALLBACK (on_changed), seen);
  g_assert_cmpuint (g_list_model_get_n_items (users), ==, 0);

  /* The other connection commits; the list sees it after the poll, with
   * nobody telling it. */
  g_object_unref (confab_test_add_user (other, "elsewhere"));
  if (!wait_for_items (users, 1, 10000))
    g_error ("the list did not see the other connection's user");
  g_assert_cmpuint (n_changes, ==, 1);
  {
    g_autoptr (ConfabUser) user = g_list_model_get_item (users, 0);
    g_assert_cmpstr (confab_user_get_username (user), ==, "elsewhere");
  }
  /* Announced for every table, without an id. */
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "users:-:update", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "messages:-:update", g_str_equal, NULL));
  g_assert_false (
      g_ptr_array_find_with_equal_func (seen, "messages_fts:-:update", g_str_equal, NULL));

  /* A look right away finds nothing new; own commits are announced
   * directly and not a second time. */
  g_assert_false (confab_database_check_for_changes (ws->db));
  g_ptr_array_set_size (seen, 0);
  g_object_unref (confab_test_add_user (ws->db, "here"));
  g_assert_false (confab_database_check_for_changes (ws->db));
  g_assert_true (g_ptr_array_find_with_equal_func (seen, "users:-:update", g_str_equal, NULL) ==
                 FALSE);

  /* The other connection learns of this one's commit. */
  g_assert_true (confab_database_check_for_changes (other));
  g_assert_false (confab_database_check_for_changes (other));
  if (!wait_for_items (users, 2, 5000))
    g_error ("the list lost a user");
}

/* --writer PATH PREFIX HOLD_MS: this program as a second process. */
static int
run_writer (const char *path, const char *prefix, guint hold_ms)
{
  g_autoptr (ConfabDatabase) db = NULL;
  g_autoptr (GError) error = NULL;

  db = confab_database_open (path, &error);
  if (db == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (hold_ms > 0)
    {
      /* Holds the write lock (after writing one row) for hold_ms. */
      if (!confab_database_begin (db, &error) || !write_rows (db, prefix, 1, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      g_print ("ready");
      fflush (stdout);
      g_usleep (hold_ms * 1000);
      if (!confab_database_commit (db, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      return 0;
    }
  if (!write_rows (db, prefix, N_ROWS, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  int status;

  if (argc == 5 && g_str_equal (argv[1], "--writer"))
    return run_writer (argv[2], argv[3], (guint) g_ascii_strtoull (argv[4], NULL, 10));

  self_exe = g_canonicalize_filename (argv[0], NULL);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/concurrency/two-threads", test_two_threads);
  g_test_add_func ("/confab/concurrency/two-processes", test_two_processes);
  g_test_add_func ("/confab/concurrency/waits-for-a-long-write", test_waits_for_a_long_write);
  g_test_add_func ("/confab/concurrency/other-connection-refreshes",
                   test_other_connection_refreshes);
  status = g_test_run ();
  g_free (self_exe);
  return status;
}
