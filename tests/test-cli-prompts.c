/* confab-cli prompts end to end: add, edit, show, label, restore, history,
 * diff, render, run (a mock model and a rule-based agent), cases and test
 * grids, export and import; errors on standard error with exit status 1,
 * a wrong command line with 2. */

#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "confab-mock-llm-server.h"
#include "confab-test-util.h"

#define RUN_TIMEOUT_MS 60000

static const char rules[] =
    "{\"rules\": [{\"name\": \"Hours\", \"match\": \"keywords_any\", \"patterns\": [\"open\"],"
    " \"responses\": [\"We open at 7.\"]}], \"fallback\": [\"Sorry?\"]}";

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

typedef struct
{
  gboolean done;
  GBytes  *out;
  GBytes  *err;
  GError  *error;
} Communicate;

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Communicate *c = user_data;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), result, &c->out, &c->err, &c->error);
  c->done = TRUE;
}

static gboolean
is_done (gpointer data)
{
  return *(gboolean *) data;
}

static char *
bytes_to_string (GBytes *bytes)
{
  gsize size = bytes != NULL ? g_bytes_get_size (bytes) : 0;
  char *text = g_malloc (size + 1);

  if (size > 0)
    memcpy (text, g_bytes_get_data (bytes, NULL), size);
  text[size] = '\0';
  return text;
}

/* Runs confab-cli on workspace with the arguments (NULL-terminated), input
 * on standard input, while the main loop runs (a mock server may answer). */
static void
cli_with_input (Run *r, const char *workspace, const char *input, ...)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GBytes) in = g_bytes_new (input, input != NULL ? strlen (input) : 0);
  g_autoptr (GError) error = NULL;
  Communicate c = { 0 };
  const char *arg;
  va_list     args;

  g_ptr_array_add (argv, (char *) g_getenv ("CONFAB_CLI"));
  g_assert_nonnull (argv->pdata[0]);
  g_ptr_array_add (argv, (char *) "--workspace");
  g_ptr_array_add (argv, (char *) workspace);
  va_start (args, input);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                 G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_async (process, in, NULL, on_communicated, &c);
  if (!confab_mock_wait_until (is_done, &c.done, RUN_TIMEOUT_MS))
    {
      g_subprocess_force_exit (process);
      confab_mock_wait_until (is_done, &c.done, RUN_TIMEOUT_MS);
      g_error ("confab-cli did not finish within %d s", RUN_TIMEOUT_MS / 1000);
    }
  g_assert_no_error (c.error);

  run_clear (r);
  r->out = bytes_to_string (c.out);
  r->err = bytes_to_string (c.err);
  if (!g_subprocess_get_if_exited (process))
    g_error ("confab-cli was killed by signal %d:\n%s", g_subprocess_get_term_sig (process),
             r->err);
  r->status = g_subprocess_get_exit_status (process);
  g_clear_pointer (&c.out, g_bytes_unref);
  g_clear_pointer (&c.err, g_bytes_unref);
}

#define cli(r, workspace, ...) cli_with_input (r, workspace, NULL, __VA_ARGS__)

static void
expect (Run *r, int status, const char *out_part, const char *err_part)
{
  if (r->status != status || (out_part != NULL && strstr (r->out, out_part) == NULL) ||
      (err_part != NULL && strstr (r->err, err_part) == NULL))
    g_error ("exit %d (expected %d)\nstdout: %s\nstderr: %s\nexpected out: %s\nexpected err: %s",
             r->status, status, r->out, r->err, out_part ? out_part : "-",
             err_part ? err_part : "-");
}

static char *
write_temp (const char *dir, const char *name, const char *contents, gssize length)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, length, NULL));
  return path;
}

static void
test_help (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_auto (Run) r = { 0 };
  const char *const commands[] = {
    "list", "show",   "add", "edit", "label",  "restore", "history",
    "diff", "render", "run", "test", "export", "import",
  };

  cli (&r, ws->path, "--help", NULL);
  expect (&r, 0, "prompts", NULL);
  cli (&r, ws->path, "prompts", "--help", NULL);
  expect (&r, 0, "label NAME VERSION LABEL", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      cli (&r, ws->path, "prompts", commands[i], "--help", NULL);
      expect (&r, 0, "Usage", NULL);
    }
  cli (&r, ws->path, "prompts", "cases", "add", "--help", NULL);
  expect (&r, 0, "--not-contains", NULL);

  /* Wrong command lines. */
  cli (&r, ws->path, "prompts", NULL);
  expect (&r, 2, NULL, "needs a command");
  cli (&r, ws->path, "prompts", "frobnicate", NULL);
  expect (&r, 2, NULL, "frobnicate");
  cli (&r, ws->path, "prompts", "add", "x", NULL);
  expect (&r, 2, NULL, "--body");
  cli (&r, ws->path, "prompts", "add", "x", "--body", "a", "--body-file", "b", NULL);
  expect (&r, 2, NULL, "not both");
  cli (&r, ws->path, "prompts", "edit", "x", "--body", "a", NULL);
  expect (&r, 2, NULL, "--message");
  cli (&r, ws->path, "prompts", "label", "x", "one", "production", NULL);
  expect (&r, 2, NULL, "“one” is not a version number");
  cli (&r, ws->path, "prompts", "render", "x", "--var", "novalue", NULL);
  expect (&r, 2, NULL, "NAME=VALUE");
  cli (&r, ws->path, "prompts", "diff", "x", "1", NULL);
  expect (&r, 2, NULL, "NAME V1 V2");
  cli (&r, ws->path, "prompts", "add", "x", "--body", "a", "--temperature", "3", NULL);
  expect (&r, 2, NULL, "temperature");

  /* A workspace that is not there is not created. */
  {
    g_autofree char *missing = g_build_filename (ws->dir, "missing.confab", NULL);

    cli (&r, missing, "prompts", "list", NULL);
    expect (&r, 1, NULL, "does not exist");
    g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  }
}

static void
test_versions (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *tricky = NULL;
  g_autofree char *bad = NULL;
  g_auto (Run) r = { 0 };
  const char body[] = "Hello {{name|there}}!\n---\nAsk about {{topic}}.\n\n";

  tricky = write_temp (ws->dir, "body.txt", body, -1);
  bad = write_temp (ws->dir, "bad.txt", "caf\xe9", -1);

  cli (&r, ws->path, "prompts", "add", "support/greeting", "--body-file", tricky, "--description",
       "Greets", "--tag", "faq", "--tag", "billing", "--message", "First", NULL);
  expect (&r, 0, "Saved “support/greeting” version 1", NULL);

  /* The text comes back byte for byte. */
  cli (&r, ws->path, "prompts", "show", "support/greeting", "--body", NULL);
  expect (&r, 0, NULL, NULL);
  g_assert_cmpstr (r.out, ==, body);

  /* Standard input, no line break at the end; settings carried over. */
  cli_with_input (&r, ws->path, "Hi {{name|there}}!", "prompts", "edit", "support/greeting",
                  "--body-file", "-", "--message", "Shorter", "--model", "llama3", "--temperature",
                  "0.2", NULL);
  expect (&r, 0, "version 2", NULL);
  cli (&r, ws->path, "prompts", "edit", "support/greeting", "--message", "Longer replies",
       "--max-tokens", "2048", NULL);
  expect (&r, 0, "version 3", NULL);
  cli (&r, ws->path, "prompts", "show", "support/greeting@3", NULL);
  expect (&r, 0,
          "version: 3\ntags: faq, billing\ndescription: Greets\nmodel: llama3\n"
          "temperature: 0.2\nmax_tokens: 2048\nmessage: Longer replies\n",
          NULL);
  g_assert_true (g_str_has_suffix (r.out, "\n---\nHi {{name|there}}!"));
  g_assert_nonnull (strstr (r.out, "# variables: name (default “there”)\n"));

  /* Nothing changed. */
  cli (&r, ws->path, "prompts", "edit", "support/greeting", "--message", "Again", NULL);
  expect (&r, 1, NULL, "Nothing changed since version 3");

  /* Not UTF-8, a bad template, an unknown prompt. */
  cli (&r, ws->path, "prompts", "edit", "support/greeting", "--message", "x", "--body-file", bad,
       NULL);
  expect (&r, 1, NULL, "not UTF-8");
  cli (&r, ws->path, "prompts", "edit", "support/greeting", "--message", "x", "--body", "{{oops",
       NULL);
  expect (&r, 1, NULL, "not a valid template");
  cli (&r, ws->path, "prompts", "show", "nope", NULL);
  expect (&r, 1, NULL, "No prompt named “nope”");

  /* Labels. */
  cli (&r, ws->path, "prompts", "label", "support/greeting", "1", "production", NULL);
  expect (&r, 0, "is on version 1", NULL);
  cli (&r, ws->path, "prompts", "show", "support/greeting:production", "--body", NULL);
  g_assert_cmpstr (r.out, ==, body);
  cli (&r, ws->path, "prompts", "label", "support/greeting", "2", "production", NULL);
  expect (&r, 0, NULL, NULL);
  cli (&r, ws->path, "prompts", "label", "support/greeting", "9", "production", NULL);
  expect (&r, 1, NULL, "no version 9");
  cli (&r, ws->path, "prompts", "label", "support/greeting", "1", "latest", NULL);
  expect (&r, 1, NULL, "reserved");

  cli (&r, ws->path, "prompts", "list", NULL);
  expect (&r, 0, "support/greeting\t3\tproduction=2\tfaq,billing\n", NULL);
  cli (&r, ws->path, "prompts", "list", "--json", NULL);
  expect (&r, 0, "\"latest\" : 3", NULL);
  cli (&r, ws->path, "prompts", "list", "other", NULL);
  expect (&r, 0, NULL, NULL);
  g_assert_cmpstr (r.out, ==, "");

  /* Restore, then the history tells it all. */
  cli (&r, ws->path, "prompts", "restore", "support/greeting", "1", NULL);
  expect (&r, 0, "Restored version 1 of “support/greeting” as version 4", NULL);
  cli (&r, ws->path, "prompts", "show", "support/greeting", "--body", NULL);
  g_assert_cmpstr (r.out, ==, body);
  cli (&r, ws->path, "prompts", "history", "support/greeting", NULL);
  expect (&r, 0, "Restored version 1 as version 4", NULL);
  expect (&r, 0, "Moved the label “production” from version 1 to version 2", NULL);
  expect (&r, 0, "Saved version 2: “Shorter”", NULL);
  expect (&r, 0, "Created the prompt “support/greeting”", NULL);
  g_assert_true (strstr (r.out, "Restored version 1 as") < strstr (r.out, "Created the prompt"));

  /* Diff of two versions, by number and by label. */
  cli (&r, ws->path, "prompts", "diff", "support/greeting", "1", "production", "--color", "never",
       "--word-diff", NULL);
  expect (&r, 0, NULL, NULL);
  g_assert_cmpstr (r.out, ==,
                   "Model: (none) → llama3\nTemperature: 0.7 → 0.2\n\n"
                   "--- support/greeting@1\n+++ support/greeting@2\n"
                   "@@ -1,4 +1 @@\n"
                   "-[-Hello-] {{name|there}}!\n"
                   "----\n"
                   "-Ask about {{topic}}.\n"
                   "-\n"
                   "+{+Hi+} {{name|there}}!\n"
                   "\\ No newline at end of file\n");
  cli (&r, ws->path, "prompts", "diff", "support/greeting", "1", "4", NULL);
  expect (&r, 0, NULL, "are the same");
  g_assert_cmpstr (r.out, ==, "");

  /* Render. */
  cli (&r, ws->path, "prompts", "render", "support/greeting@1", "--var", "topic=bread", NULL);
  expect (&r, 0, NULL, NULL);
  g_assert_cmpstr (r.out, ==, "Hello there!\n---\nAsk about bread.\n\n");
  cli (&r, ws->path, "prompts", "render", "support/greeting@1", NULL);
  expect (&r, 1, NULL, "needs a value for: topic");
}

static void
test_cases_and_runs (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autofree char *url = confab_mock_llm_server_get_url (server, "/v1");
  g_auto (Run) r = { 0 };

  cli (&r, ws->path, "agents", "add", "--name", "Bakery", "--type", "rule_based", "--config", rules,
       NULL);
  expect (&r, 0, NULL, NULL);
  cli (&r, ws->path, "prompts", "add", "ask", "--body", "Customer: {{question}}", NULL);
  expect (&r, 0, NULL, NULL);

  cli (&r, ws->path, "prompts", "cases", "add", "ask", "--name", "Hours", "--var",
       "question=are you open?", "--contains", "7", "--not-contains", "Sorry", "--regex",
       "open (at|from)", "--max-latency-ms", "60000", NULL);
  expect (&r, 0, "Added the test case “Hours”", NULL);
  cli (&r, ws->path, "prompts", "cases", "add", "ask", "--name", "Cake", "--var",
       "question=any cake?", "--equals", "We have cake.", NULL);
  expect (&r, 0, NULL, NULL);
  cli (&r, ws->path, "prompts", "cases", "add", "ask", "--name", "Bad", "--regex", "(a", NULL);
  expect (&r, 1, NULL, "Assertion 1 (regex)");
  cli (&r, ws->path, "prompts", "cases", "add", "ask", "--name", "Hours", NULL);
  expect (&r, 1, NULL, "already has a test case named “Hours”");
  cli (&r, ws->path, "prompts", "cases", "list", "ask", NULL);
  expect (&r, 0,
          "Hours\t{\"question\":\"are you open?\"}\t\tcontains “7”; not_contains “Sorry”; "
          "regex “open (at|from)”; max_latency_ms 60000\n",
          NULL);

  /* Offline, with the rules: one passes, one fails, exit 1. */
  cli (&r, ws->path, "prompts", "test", "ask", "--agent", "Bakery", NULL);
  expect (&r, 1, "CASE\tv1\nCake\tFAIL\nHours\tpass\n", "The output is not “We have cake.”");
  expect (&r, 1, NULL, "1 of 2 passed");
  cli (&r, ws->path, "prompts", "cases", "remove", "ask", "Cake", NULL);
  expect (&r, 0, NULL, NULL);
  cli (&r, ws->path, "prompts", "test", "ask", "--versions", "1", "--agent", "Bakery", NULL);
  expect (&r, 0, "Hours\tpass\n", "1 of 1 passed");
  cli (&r, ws->path, "prompts", "test", "ask", "--versions", "1,7", "--agent", "Bakery", NULL);
  expect (&r, 1, NULL, "no version 7");
  cli (&r, ws->path, "prompts", "run", "ask", "--agent", "Bakery", "--var", "question=open?", NULL);
  expect (&r, 0, "We open at 7.\n", "rules");

  /* A model, through the mock server, streamed. */
  cli (&r, ws->path, "providers", "add", "--name", "Mock", "--kind", "openai_compatible",
       "--base-url", url, "--model", "mock-model", NULL);
  expect (&r, 0, NULL, NULL);
  {
    ConfabMockResponse *response = confab_mock_response_new (200, "text/event-stream");

    confab_mock_response_add_chunk (response, 0,
                                    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                                    "\"We open \"}}]}\n\n",
                                    -1);
    confab_mock_response_add_chunk (response, 10,
                                    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                                    "\"at 7.\"},\"finish_reason\":\"stop\"}]}\n\n"
                                    "data: [DONE]\n\n",
                                    -1);
    confab_mock_llm_server_push (server, response);
  }
  cli (&r, ws->path, "prompts", "run", "ask", "--provider", "Mock", "--var", "question=when?",
       "--input", "Be brief", NULL);
  expect (&r, 0, "We open at 7.\n", "mock-model");
  {
    g_autoptr (JsonNode) root =
        confab_mock_request_get_json (confab_mock_llm_server_get_request (server, 0));
    JsonArray *messages = json_object_get_array_member (json_node_get_object (root), "messages");

    g_assert_cmpstr (
        json_object_get_string_member (json_array_get_object_element (messages, 0), "content"), ==,
        "Customer: when?");
    g_assert_cmpstr (
        json_object_get_string_member (json_array_get_object_element (messages, 1), "content"), ==,
        "Be brief");
  }
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM prompt_runs"), >=, 5);

  /* The provider fails: the run is kept with the error, exit 1. */
  confab_mock_llm_server_push (server,
                               confab_mock_response_new_json (401, "{\"error\":{"
                                                                   "\"message\":\"bad key\"}}"));
  cli (&r, ws->path, "prompts", "run", "ask", "--provider", "Mock", "--var", "question=x", NULL);
  expect (&r, 1, NULL, "bad key");
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM prompt_runs "
                                                   "WHERE status = 'error'"),
                   ==, 1);

  cli (&r, ws->path, "prompts", "run", "ask", "--agent", "Bakery", "--provider", "Mock", NULL);
  expect (&r, 2, NULL, "--agent");
}

static void
test_export_import (void)
{
  g_autoptr (ConfabTestWorkspace) a = confab_test_workspace_new ();
  g_autoptr (ConfabTestWorkspace) b = confab_test_workspace_new ();
  g_autoptr (ConfabTestWorkspace) c = confab_test_workspace_new ();
  g_autofree char *dir = g_build_filename (a->dir, "prompts", NULL);
  g_autofree char *json = g_build_filename (a->dir, "library.json", NULL);
  g_autofree char *body_file = NULL;
  g_autofree char *v2_path = NULL;
  g_auto (Run) r = { 0 };
  const char body[] = "---\nTricky\n---";

  body_file = write_temp (a->dir, "body.txt", body, -1);
  cli (&r, a->path, "prompts", "add", "team/tricky", "--body-file", body_file, NULL);
  expect (&r, 0, NULL, NULL);
  cli (&r, a->path, "prompts", "edit", "team/tricky", "--message", "Two", "--body", "Two\n", NULL);
  cli (&r, a->path, "prompts", "label", "team/tricky", "1", "production", NULL);
  cli (&r, a->path, "prompts", "cases", "add", "team/tricky", "--name", "Says two", "--contains",
       "Two", NULL);
  expect (&r, 0, NULL, NULL);

  cli (&r, a->path, "prompts", "export", dir, NULL);
  expect (&r, 0, "Wrote 2 files", NULL);
  v2_path = g_build_filename (dir, "team", "tricky.v2.prompt", NULL);
  g_assert_true (g_file_test (v2_path, G_FILE_TEST_IS_REGULAR));
  cli (&r, a->path, "prompts", "export", "--json", json, NULL);
  expect (&r, 0, NULL, NULL);

  cli (&r, b->path, "prompts", "import", dir, NULL);
  expect (&r, 0, "created\tteam/tricky\tv1\tteam/tricky.v1.prompt\tNew version\n",
          "3 created, 1 updated, 0 already there, 0 skipped with a problem");
  cli (&r, b->path, "prompts", "show", "team/tricky:production", "--body", NULL);
  g_assert_cmpstr (r.out, ==, body);
  cli (&r, b->path, "prompts", "import", dir, NULL);
  expect (&r, 0, NULL, "0 created, 0 updated, 2 already there");
  g_assert_cmpstr (r.out, ==, "");

  /* An edited saved version is refused, with exit 1. */
  g_assert_true (
      g_file_set_contents (v2_path, "name: team/tricky\nversion: 2\n---\nTWO\n", -1, NULL));
  cli (&r, b->path, "prompts", "import", dir, NULL);
  expect (&r, 1, "skipped\tteam/tricky\tv2", "1 skipped with a problem");
  cli (&r, b->path, "prompts", "show", "team/tricky", "--body", NULL);
  g_assert_cmpstr (r.out, ==, "Two\n");

  /* JSON brings the test cases too. */
  cli (&r, c->path, "prompts", "import", json, NULL);
  expect (&r, 0, "New test case “Says two”", NULL);
  cli (&r, c->path, "prompts", "cases", "list", "team/tricky", NULL);
  expect (&r, 0, "Says two", NULL);
  cli (&r, c->path, "prompts", "import", body_file, NULL);
  expect (&r, 1, NULL, "not a readable prompt library");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/cli-prompts/help", test_help);
  g_test_add_func ("/confab/cli-prompts/versions", test_versions);
  g_test_add_func ("/confab/cli-prompts/cases-and-runs", test_cases_and_runs);
  g_test_add_func ("/confab/cli-prompts/export-import", test_export_import);
  return g_test_run ();
}
