/* Crash safety: `confab-cli chat` streams a slow reply from the mock LLM
 * server running in this process, and is killed with SIGKILL at a random
 * moment, 50 times (CONFAB_CRASH_ITERATIONS). After every kill:
 *   - PRAGMA integrity_check is ok;
 *   - the user message is there whenever the CLI got as far as asking the
 *     model (the request reached the server), word for word;
 *   - a reply cut off mid-stream is still `streaming` in the file (the
 *     crash really interrupted it), and once the workspace is opened again
 *     (by the next CLI run, or by this test) it is `error` with
 *     CONFAB_DATABASE_INTERRUPTED_ERROR and the text saved so far;
 *   - no message stays `streaming` after an open.
 * The moments come from a seeded generator: the seed is printed, and
 * CONFAB_CRASH_SEED=N runs the same moments again. */

#include "config.h"

#include <signal.h>
#include <string.h>

#include "confab-mock-llm-server.h"
#include "confab-test-util.h"

#define DEFAULT_ITERATIONS 50
#define N_DELTAS           30
#define DELTA_MS           30
/* Generous: only reached when something hangs. */
#define WAIT_MS 60000

typedef struct
{
  ConfabMockLlmServer *server;
  ConfabTestWorkspace *ws;
  char                *agent_id;
  GRand               *rand;
  /* What the runs did, for the report. */
  guint killed_mid_stream;
  guint killed_before_request;
  guint killed_after_reply;
  guint finished;
  guint recovered_by_cli;
  guint recovered_by_test;
} Crash;

static ConfabMockResponse *
slow_reply (void)
{
  ConfabMockResponse *response = confab_mock_response_new (200, "text/event-stream");

  for (guint i = 0; i < N_DELTAS; i++)
    {
      g_autofree char *chunk =
          g_strdup_printf ("data: {\"model\":\"mock\",\"choices\":[{\"index\":0,"
                           "\"delta\":{\"content\":\"word%u \"}}]}\n\n",
                           i);

      confab_mock_response_add_chunk (response, DELTA_MS, chunk, -1);
    }
  confab_mock_response_add_chunk (response, 10,
                                  "data: {\"model\":\"mock\",\"choices\":[{\"index\":0,"
                                  "\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
                                  -1);
  confab_mock_response_add_chunk (response, 10, "data: [DONE]\n\n", -1);
  return response;
}

static void
set_up (Crash *crash)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) admin = NULL;
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autofree char *url = NULL;

  crash->server = confab_mock_llm_server_new ();
  crash->ws = confab_test_workspace_new ();

  admin = confab_user_new ("owner", "owner@example.com");
  confab_user_set_role (admin, "admin");
  confab_repository_create (crash->ws->db, CONFAB_ENTITY (admin), NULL, &error);
  g_assert_no_error (error);

  url = confab_mock_llm_server_get_url (crash->server, "/v1");
  provider = confab_provider_new ("Mock", "openai_compatible", url);
  confab_provider_set_default_model (provider, "mock");
  confab_repository_create (crash->ws->db, CONFAB_ENTITY (provider), NULL, &error);
  g_assert_no_error (error);

  agent = confab_agent_new ("Streamer");
  confab_agent_set_agent_type (agent, "llm");
  confab_agent_set_provider_id (agent, confab_entity_get_id (CONFAB_ENTITY (provider)));
  confab_agent_set_model (agent, "mock");
  confab_repository_create (crash->ws->db, CONFAB_ENTITY (agent), NULL, &error);
  g_assert_no_error (error);
  crash->agent_id = g_strdup (confab_entity_get_id (CONFAB_ENTITY (agent)));

  /* The CLI runs alone on the file; this test opens it between runs. */
  g_clear_object (&crash->ws->db);
}

static void
tear_down (Crash *crash)
{
  g_clear_object (&crash->server);
  g_clear_pointer (&crash->ws, confab_test_workspace_free);
  g_clear_pointer (&crash->agent_id, g_free);
  g_clear_pointer (&crash->rand, g_rand_free);
}

typedef struct
{
  ConfabMockLlmServer *server;
  guint                n_requests;
  GSubprocess         *process;
  gboolean             exited;
} Watch;

static void
on_exited (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Watch *watch = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  watch->exited = TRUE;
}

static gboolean
request_arrived_or_exited (gpointer data)
{
  Watch *watch = data;

  return watch->exited || confab_mock_llm_server_get_n_requests (watch->server) > watch->n_requests;
}

static gboolean
exited (gpointer data)
{
  return ((Watch *) data)->exited;
}

/* Raw access that runs no recovery. */
static char *
raw_text (const char *path, const char *sql, const char *arg)
{
  sqlite3      *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char         *text = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  if (arg != NULL)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return text;
}

static gint64
raw_count (const char *path, const char *sql)
{
  g_autofree char *text = raw_text (path, sql, NULL);

  return text != NULL ? g_ascii_strtoll (text, NULL, 10) : 0;
}

/* Opens the workspace (which recovers interrupted replies) and checks the
 * replies left streaming so far. */
static void
open_and_check (Crash *crash, GPtrArray *left_streaming)
{
  g_autoptr (ConfabDatabase) db = NULL;
  g_autoptr (GError) error = NULL;

  db = confab_database_open (crash->ws->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_test_count_rows (db, "SELECT count(*) FROM messages "
                                               "WHERE status = 'streaming'"),
                   ==, 0);
  for (guint i = 0; i < left_streaming->len; i++)
    {
      g_autoptr (ConfabMessage) reply = confab_repository_get (
          db, CONFAB_TYPE_MESSAGE, g_ptr_array_index (left_streaming, i), &error);

      g_assert_no_error (error);
      g_assert_cmpstr (confab_message_get_status (reply), ==, "error");
      g_assert_cmpstr (confab_message_get_error (reply), ==, CONFAB_DATABASE_INTERRUPTED_ERROR);
      /* The text saved before the crash is kept: whole words only. */
      g_assert_true (confab_message_get_content (reply)[0] == '\0' ||
                     g_str_has_prefix (confab_message_get_content (reply), "word0 "));
    }
  crash->recovered_by_test += left_streaming->len;
  g_ptr_array_set_size (left_streaming, 0);
}

static void
run_once (Crash *crash, guint iteration, GPtrArray *left_streaming)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = g_strdup_printf ("question %u: is the sourdough ready?", iteration);
  g_autofree char *check = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *reply_id = NULL;
  g_autofree char *reply_status = NULL;
  const char      *exe = g_getenv ("CONFAB_CLI");
  gboolean         early = g_rand_int_range (crash->rand, 0, 100) < 15;
  guint            delay_ms;
  gboolean         requested;
  gboolean         finished;
  Watch            watch = { 0 };

  g_assert_nonnull (exe);
  if (confab_mock_llm_server_get_n_pending (crash->server) == 0)
    confab_mock_llm_server_push (crash->server, slow_reply ());

  watch.server = crash->server;
  watch.n_requests = confab_mock_llm_server_get_n_requests (crash->server);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  process = g_subprocess_launcher_spawn (launcher, &error, exe, "--workspace", crash->ws->path,
                                         "chat", "--agent", "Streamer", "--new", text, NULL);
  g_assert_no_error (error);
  watch.process = process;
  g_subprocess_wait_async (process, NULL, on_exited, &watch);

  /* A moment anywhere from start-up on, or one while the reply streams. */
  if (early)
    delay_ms = g_rand_int_range (crash->rand, 0, 80);
  else
    {
      if (!confab_mock_wait_until (request_arrived_or_exited, &watch, WAIT_MS))
        g_error ("run %u: confab-cli never asked the model", iteration);
      delay_ms = g_rand_int_range (crash->rand, 0, N_DELTAS * DELTA_MS + 150);
    }
  confab_mock_wait_until (exited, &watch, delay_ms);

  if (!watch.exited)
    {
      g_subprocess_send_signal (process, SIGKILL);
      if (!confab_mock_wait_until (exited, &watch, WAIT_MS))
        g_error ("run %u: confab-cli did not die", iteration);
    }
  /* It may have finished first (even just before the signal): then it
   * must have finished well. */
  finished = !g_subprocess_get_if_signaled (process);
  if (finished)
    {
      if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
        g_error ("run %u: confab-cli failed on its own", iteration);
      crash->finished++;
    }

  /* Before anyone opens the file again: the raw state the crash left. */
  check = raw_text (crash->ws->path, "PRAGMA integrity_check", NULL);
  g_assert_cmpstr (check, ==, "ok");

  requested = confab_mock_llm_server_get_n_requests (crash->server) > watch.n_requests;
  user_id = raw_text (crash->ws->path,
                      "SELECT id FROM messages WHERE role = 'user' AND content = ?1", text);
  if (requested && user_id == NULL)
    g_error ("run %u: the model was asked, but the user message is not in the workspace",
             iteration);
  if (user_id != NULL)
    {
      reply_id = raw_text (crash->ws->path, "SELECT id FROM messages WHERE parent_message_id = ?1",
                           user_id);
      if (reply_id != NULL)
        reply_status =
            raw_text (crash->ws->path, "SELECT status FROM messages WHERE id = ?1", reply_id);
    }

  /* The CLI that asked the model had opened the workspace, and so
   * recovered what earlier runs left. */
  if (requested && left_streaming->len > 0)
    {
      for (guint i = 0; i < left_streaming->len; i++)
        {
          g_autofree char *status =
              raw_text (crash->ws->path, "SELECT status FROM messages WHERE id = ?1",
                        g_ptr_array_index (left_streaming, i));
          g_autofree char *message =
              raw_text (crash->ws->path, "SELECT error FROM messages WHERE id = ?1",
                        g_ptr_array_index (left_streaming, i));

          g_assert_cmpstr (status, ==, "error");
          g_assert_cmpstr (message, ==, CONFAB_DATABASE_INTERRUPTED_ERROR);
        }
      crash->recovered_by_cli += left_streaming->len;
      g_ptr_array_set_size (left_streaming, 0);
    }

  if (finished)
    g_assert_cmpstr (reply_status, ==, "complete");
  else if (g_strcmp0 (reply_status, "streaming") == 0)
    {
      crash->killed_mid_stream++;
      g_ptr_array_add (left_streaming, g_steal_pointer (&reply_id));
    }
  else if (g_strcmp0 (reply_status, "complete") == 0)
    crash->killed_after_reply++;
  else
    {
      /* Killed before the reply row existed: at most the user message. */
      g_assert_null (reply_status);
      crash->killed_before_request++;
    }

  /* Every few runs this test opens the workspace itself; otherwise the
   * next CLI run must recover. */
  if (iteration % 5 == 4)
    open_and_check (crash, left_streaming);
}

static void
test_kill_during_replies (void)
{
  Crash crash = { 0 };
  g_autoptr (GPtrArray) left_streaming = g_ptr_array_new_with_free_func (g_free);
  const char *seed_env = g_getenv ("CONFAB_CRASH_SEED");
  const char *n_env = g_getenv ("CONFAB_CRASH_ITERATIONS");
  guint32     seed =
      seed_env != NULL ? (guint32) g_ascii_strtoull (seed_env, NULL, 10) : g_random_int ();
  guint  n = n_env != NULL ? (guint) g_ascii_strtoull (n_env, NULL, 10) : DEFAULT_ITERATIONS;
  gint64 users;

  g_test_message ("crash seed: %u (CONFAB_CRASH_SEED=%u repeats these kills)", seed, seed);
  crash.rand = g_rand_new_with_seed (seed);
  set_up (&crash);

  for (guint i = 0; i < n; i++)
    run_once (&crash, i, left_streaming);
  open_and_check (&crash, left_streaming);

  /* The file is sound and took every run. */
  users = raw_count (crash.ws->path, "SELECT count(*) FROM messages WHERE role = 'user'");
  g_assert_cmpint (users, >=, n - crash.killed_before_request);
  g_assert_cmpint (users, <=, n);

  g_test_message ("crash iterations: %u (seed %u): %u killed mid-stream, %u killed before the "
                  "reply started, %u killed after the reply was saved, %u finished first; "
                  "interrupted replies recovered by the next confab-cli: %u, by this test: %u",
                  n, seed, crash.killed_mid_stream, crash.killed_before_request,
                  crash.killed_after_reply, crash.finished, crash.recovered_by_cli,
                  crash.recovered_by_test);
  /* The kills must really have landed mid-stream, or nothing was tested. */
  g_assert_cmpuint (crash.killed_mid_stream, >=, n / 4);
  tear_down (&crash);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/crash/kill-during-replies", test_kill_during_replies);
  return g_test_run ();
}
