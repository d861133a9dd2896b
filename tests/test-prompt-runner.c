/* Running prompt versions (confab-prompt-runner.h): rendering, a run
 * against the mock OpenAI-style server (streaming, errors, cancel, another
 * model), offline runs by a rule-based agent, test cases and every
 * assertion type, and "Run all" grids both ways.
 *
 * Run through tools/run-tests: provider keys are looked up in the
 * (throwaway) keyring; the mock server needs none. */

#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-mock-llm-server.h"
#include "confab-prompt-library.h"
#include "confab-prompt-runner.h"
#include "confab-test-util.h"

#define RUN_TIMEOUT_MS 60000

static const char rules[] = "{\"rules\": ["
                            " {\"name\": \"Opening hours\", \"match\": \"keywords_any\", "
                            "\"patterns\": [\"open\", \"hours\"],"
                            "  \"responses\": [\"{{agent.name}}: we open at 7.\"]},"
                            " {\"name\": \"Order\", \"match\": \"regex\", \"patterns\": "
                            "[\"order\\\\s*#?(?<order>\\\\d{4,})\"],"
                            "  \"responses\": [\"{\\\"order\\\": {{order}}}\"]}"
                            "], \"fallback\": [\"Sorry, I did not catch that.\"]}";

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static void
assert_rows (ConfabDatabase *db, gint64 expected, const char *sql)
{
  gint64 n = confab_test_count_rows (db, sql);

  if (n != expected)
    g_error ("%s: %" G_GINT64_FORMAT " rows, expected %" G_GINT64_FORMAT, sql, n, expected);
}

static GHashTable *
vars (const char *first, ...)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *name = first;
  va_list     args;

  va_start (args, first);
  while (name != NULL)
    {
      g_hash_table_insert (table, g_strdup (name), g_strdup (va_arg (args, const char *)));
      name = va_arg (args, const char *);
    }
  va_end (args);
  return table;
}

/* Scripted replies */

static char *
sse_delta (const char *content)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *quoted = NULL;

  json_node_set_string (node, content);
  quoted = json_to_string (node, FALSE);
  return g_strdup_printf ("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
                          "\"model\":\"served-model\",\"choices\":[{\"index\":0,"
                          "\"delta\":{\"content\":%s},\"finish_reason\":null}]}\n\n",
                          quoted);
}

/* A streamed reply in pieces, with usage 12 in / 5 out. */
static void
push_stream (ConfabMockLlmServer *server, const char *const *pieces)
{
  ConfabMockResponse *r = confab_mock_response_new (200, "text/event-stream");

  for (guint i = 0; pieces[i] != NULL; i++)
    {
      g_autofree char *event = sse_delta (pieces[i]);

      confab_mock_response_add_chunk (r, i == 0 ? 0 : 5, event, -1);
    }
  confab_mock_response_add_chunk (r, 0,
                                  "data: {\"id\":\"c1\",\"choices\":[{\"index\":0,\"delta\":{},"
                                  "\"finish_reason\":\"stop\"}]}\n\n"
                                  "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{"
                                  "\"prompt_tokens\":12,\"completion_tokens\":5,"
                                  "\"total_tokens\":17}}\n\n"
                                  "data: [DONE]\n\n",
                                  -1);
  confab_mock_llm_server_push (server, r);
}

static void
push_text (ConfabMockLlmServer *server, const char *text)
{
  const char *const pieces[] = { text, NULL };

  push_stream (server, pieces);
}

/* Workspace */

typedef struct
{
  ConfabTestWorkspace *ws;
  ConfabMockLlmServer *server;
  ConfabProvider      *provider;
  ConfabProvider      *other;
  ConfabPrompt        *prompt;
  ConfabPromptRunner  *runner;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPromptVersion) first = NULL;
  g_autofree char *url = NULL;

  f->ws = confab_test_workspace_new ();
  f->server = confab_mock_llm_server_new ();
  url = confab_mock_llm_server_get_url (f->server, "/v1");

  f->provider = confab_provider_new ("Mock", "openai_compatible", url);
  confab_provider_set_default_model (f->provider, "default-model");
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (f->provider), NULL, &error));
  f->other = confab_provider_new ("Other", "openai_compatible", url);
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (f->other), NULL, &error));
  g_assert_no_error (error);

  f->prompt = confab_prompt_new ("greeting");
  first = confab_prompt_version_new (NULL, "Greet {{name}} about {{topic|bread}}.");
  confab_prompt_version_set_provider_id (first, id_of (f->provider));
  confab_prompt_version_set_model (first, "version-model");
  confab_prompt_version_set_temperature (first, 0.3);
  confab_prompt_version_set_max_tokens (first, 77);
  g_assert_true (confab_prompt_library_add (f->ws->db, f->prompt, first, &error));
  g_assert_no_error (error);

  f->runner = confab_prompt_runner_new (f->ws->db, NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->runner);
  g_clear_object (&f->prompt);
  g_clear_object (&f->provider);
  g_clear_object (&f->other);
  g_clear_object (&f->server);
  confab_test_drain_main_loop ();
  g_clear_pointer (&f->ws, confab_test_workspace_free);
}

static ConfabPromptVersion *
get_version (Fixture *f, int number)
{
  g_autoptr (GError) error = NULL;
  ConfabPromptVersion *version =
      confab_prompt_get_version (f->ws->db, id_of (f->prompt), number, &error);

  g_assert_no_error (error);
  return version;
}

static ConfabAgent *
add_agent (ConfabDatabase *db, const char *name, const char *type, const char *config)
{
  g_autoptr (GError) error = NULL;
  ConfabAgent *agent = confab_agent_new (name);

  confab_agent_set_agent_type (agent, type);
  if (config != NULL)
    confab_agent_set_config (agent, config);
  g_assert_true (confab_repository_create (db, CONFAB_ENTITY (agent), NULL, &error));
  g_assert_no_error (error);
  return agent;
}

/* One run */

typedef struct
{
  GString         *events;
  GString         *output;
  char            *rendered;
  ConfabPromptRun *run;
  GError          *error;
  gboolean         done;
  GCancellable    *cancel_on_delta;
} Run;

static void
run_clear (Run *run)
{
  if (run->events != NULL)
    g_string_free (run->events, TRUE);
  if (run->output != NULL)
    g_string_free (run->output, TRUE);
  g_clear_pointer (&run->rendered, g_free);
  g_clear_object (&run->run);
  g_clear_error (&run->error);
  memset (run, 0, sizeof *run);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
on_event (ConfabPromptRunEvent event, const char *text, gpointer user_data)
{
  Run *run = user_data;

  if (event == CONFAB_PROMPT_RUN_EVENT_STARTED)
    {
      g_string_append (run->events, "S");
      g_free (run->rendered);
      run->rendered = g_strdup (text);
      return;
    }
  g_string_append (run->events, "D");
  g_string_append (run->output, text);
  if (run->cancel_on_delta != NULL)
    g_cancellable_cancel (run->cancel_on_delta);
}

static void
on_run_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Run *run = user_data;

  run->run = confab_prompt_runner_run_finish (CONFAB_PROMPT_RUNNER (source), result, &run->error);
  run->done = TRUE;
}

static gboolean
is_done (gpointer data)
{
  return *(gboolean *) data;
}

static void
run_version (Fixture                  *f,
             ConfabPromptVersion      *version,
             GHashTable               *variables,
             const char               *input,
             const ConfabPromptTarget *target,
             ConfabPromptTestCase     *test_case,
             GCancellable             *cancellable,
             Run                      *run)
{
  run_clear (run);
  run->events = g_string_new (NULL);
  run->output = g_string_new (NULL);
  run->cancel_on_delta = cancellable;
  confab_prompt_runner_run_async (f->runner, version, variables, input, target, test_case, on_event,
                                  run, cancellable, on_run_done, run);
  /* Nothing happens inside the call. */
  g_assert_false (run->done);
  g_assert_cmpstr (run->events->str, ==, "");
  if (!confab_mock_wait_until (is_done, &run->done, RUN_TIMEOUT_MS))
    g_error ("The run did not finish within %d s", RUN_TIMEOUT_MS / 1000);
}

static JsonObject *
request_json (Fixture *f, guint i, JsonNode **out_root)
{
  *out_root = confab_mock_request_get_json (confab_mock_llm_server_get_request (f->server, i));
  return json_node_get_object (*out_root);
}

/* Tests */

static void
test_render (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabPromptVersion) version = get_version (f, 1);
  g_autoptr (ConfabPromptVersion) builtins =
      confab_prompt_version_new ("p", "{{agent.name}}|{{user.name}}|{{x}}");
  g_autoptr (ConfabAgent) agent = confab_agent_new ("Concierge");
  g_autoptr (GHashTable) given = vars ("name", "Ana", NULL);
  g_autoptr (GHashTable) both = vars ("name", "Ana", "topic", "cake", NULL);
  g_autoptr (GHashTable) x = vars ("x", "X", NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *other = NULL;
  g_autofree char *with_builtins = NULL;
  g_autofree char *missing = NULL;

  text = confab_prompt_render (version, given, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "Greet Ana about bread.");
  other = confab_prompt_render (version, both, NULL, &error);
  g_assert_cmpstr (other, ==, "Greet Ana about cake.");

  /* Built-ins always have a value. */
  with_builtins = confab_prompt_render (builtins, x, agent, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (with_builtins, ==, "Concierge||X");

  /* Every missing variable, in one error. */
  missing = confab_prompt_render (builtins, NULL, NULL, &error);
  g_assert_null (missing);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "x"));
  g_clear_error (&error);
  {
    g_autoptr (ConfabPromptVersion) two = confab_prompt_version_new ("p", "{{a}} {{b}} {{a}}");
    g_autofree char *none = confab_prompt_render (two, NULL, NULL, &error);

    g_assert_null (none);
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
    g_assert_cmpstr (error->message, ==, "The template needs values for: a, b");
  }
}

static void
test_run_model (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabPromptVersion) version = get_version (f, 1);
  g_autoptr (GHashTable) variables = vars ("name", "Ana", NULL);
  g_autoptr (ConfabPromptRun) stored = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) root2 = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (Run) run = { 0 };
  const char *const pieces[] = { "Hello ", "Ana, ", "fresh bread!", NULL };
  JsonObject       *body;
  JsonArray        *messages;

  push_stream (f->server, pieces);
  run_version (f, version, variables, NULL, NULL, NULL, NULL, &run);
  g_assert_no_error (run.error);
  g_assert_nonnull (run.run);
  g_assert_cmpstr (run.events->str, ==, "SDDD");
  g_assert_cmpstr (run.rendered, ==, "Greet Ana about bread.");
  g_assert_cmpstr (run.output->str, ==, "Hello Ana, fresh bread!");

  /* What was sent: the version's model and settings, the text as the user's message. */
  body = request_json (f, 0, &root);
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "version-model");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (body, "temperature"), 0.3, 1e-9);
  g_assert_cmpint (json_object_get_int_member (body, "max_tokens"), ==, 77);
  messages = json_object_get_array_member (body, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 1);
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (messages, 0), "role"), ==,
      "user");
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (messages, 0), "content"), ==,
      "Greet Ana about bread.");

  /* What was kept. */
  stored = confab_repository_get (f->ws->db, CONFAB_TYPE_PROMPT_RUN, id_of (run.run), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_prompt_run_get_status (stored), ==, "complete");
  g_assert_cmpstr (confab_prompt_run_get_output (stored), ==, "Hello Ana, fresh bread!");
  g_assert_cmpstr (confab_prompt_run_get_prompt_id (stored), ==, id_of (f->prompt));
  g_assert_cmpstr (confab_prompt_run_get_version_id (stored), ==, id_of (version));
  g_assert_cmpstr (confab_prompt_run_get_provider_id (stored), ==, id_of (f->provider));
  g_assert_cmpstr (confab_prompt_run_get_model (stored), ==, "version-model");
  g_assert_cmpstr (confab_prompt_run_get_variables (stored), ==, "{\"name\":\"Ana\"}");
  g_assert_cmpint (confab_prompt_run_get_tokens_in (stored), ==, 12);
  g_assert_cmpint (confab_prompt_run_get_tokens_out (stored), ==, 5);
  g_assert_cmpint (confab_prompt_run_get_latency_ms (stored), >=, 0);
  g_assert_null (confab_prompt_run_get_test_case_id (stored));
  g_assert_cmpint (confab_prompt_run_get_verdict (stored), ==, CONFAB_PROMPT_VERDICT_NONE);
  assert_rows (f->ws->db, 1, "SELECT count(*) FROM prompt_runs WHERE passed IS NULL");

  /* With an input, the text is the system prompt; another provider and model. */
  {
    ConfabPromptTarget target = { id_of (f->other), "other-model", NULL };

    push_text (f->server, "Sure.");
    run_version (f, version, variables, "Can I order a cake?", &target, NULL, NULL, &run);
    g_assert_no_error (run.error);
    body = request_json (f, 1, &root2);
    g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "other-model");
    messages = json_object_get_array_member (body, "messages");
    g_assert_cmpuint (json_array_get_length (messages), ==, 2);
    g_assert_cmpstr (
        json_object_get_string_member (json_array_get_object_element (messages, 0), "content"), ==,
        "Greet Ana about bread.");
    g_assert_cmpstr (
        json_object_get_string_member (json_array_get_object_element (messages, 0), "role"), ==,
        "system");
    g_assert_cmpstr (
        json_object_get_string_member (json_array_get_object_element (messages, 1), "content"), ==,
        "Can I order a cake?");
    g_assert_cmpstr (confab_prompt_run_get_provider_id (run.run), ==, id_of (f->other));
    g_assert_cmpstr (confab_prompt_run_get_input (run.run), ==, "Can I order a cake?");
  }

  /* Kept and listed newest first. */
  {
    g_autoptr (GPtrArray) runs = confab_repository_list (f->ws->db, CONFAB_TYPE_PROMPT_RUN,
                                                         "prompt_id", id_of (f->prompt), &error);

    g_assert_no_error (error);
    g_assert_cmpuint (runs->len, ==, 2);
    g_assert_cmpstr (confab_prompt_run_get_output (g_ptr_array_index (runs, 0)), ==, "Sure.");
  }
}

static void
test_run_failures (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabPromptVersion) version = get_version (f, 1);
  g_autoptr (ConfabPromptVersion) bare = NULL;
  g_autoptr (GHashTable) variables = vars ("name", "Ana", NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (ConfabAgent) llm = add_agent (f->ws->db, "Writer", "llm", NULL);
  g_autoptr (GError) error = NULL;
  g_auto (Run) run = { 0 };
  const char *const pieces[] = { "Partial ", "reply ", "never ", "finished", NULL };

  /* The provider fails: the run is kept, with the error. */
  confab_mock_llm_server_push (f->server,
                               confab_mock_response_new_json (400, "{\"error\":{\"message\":"
                                                                   "\"the oven is cold\"}}"));
  run_version (f, version, variables, NULL, NULL, NULL, NULL, &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_prompt_run_get_status (run.run), ==, "error");
  g_assert_nonnull (strstr (confab_prompt_run_get_error (run.run), "the oven is cold"));
  assert_rows (f->ws->db, 1,
               "SELECT count(*) FROM prompt_runs WHERE status = 'error' "
               "AND error LIKE '%oven is cold%'");

  /* Cancelled after the first piece: kept as cancelled with what came. */
  push_stream (f->server, pieces);
  run_version (f, version, variables, NULL, NULL, NULL, cancellable, &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_prompt_run_get_status (run.run), ==, "cancelled");
  g_assert_true (
      g_str_has_prefix ("Partial reply never finished", confab_prompt_run_get_output (run.run)));
  g_assert_cmpstr (confab_prompt_run_get_output (run.run), !=, "");

  /* A variable without a value: nothing is sent or kept. */
  run_version (f, version, NULL, NULL, NULL, NULL, NULL, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (run.error->message, "name"));
  g_assert_null (run.run);
  g_assert_cmpstr (run.events->str, ==, "");

  /* No provider anywhere. */
  bare = confab_prompt_version_new (id_of (f->prompt), "Plain");
  g_assert_true (confab_prompt_library_save (f->ws->db, bare, &error));
  run_version (f, bare, NULL, NULL, NULL, NULL, NULL, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (run.error->message, "provider"));

  /* A provider without a model. */
  {
    ConfabPromptTarget target = { id_of (f->other), NULL, NULL };

    run_version (f, bare, NULL, NULL, &target, NULL, NULL, &run);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
    g_assert_nonnull (strstr (run.error->message, "Other"));
  }

  /* A missing provider or agent, an agent without rules. */
  {
    ConfabPromptTarget gone = { "no-such-provider", NULL, NULL };
    ConfabPromptTarget ghost = { NULL, NULL, "no-such-agent" };
    ConfabPromptTarget writer = { NULL, NULL, id_of (llm) };

    run_version (f, bare, NULL, NULL, &gone, NULL, NULL, &run);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
    run_version (f, bare, NULL, NULL, &ghost, NULL, NULL, &run);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
    run_version (f, bare, NULL, NULL, &writer, NULL, NULL, &run);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
    g_assert_nonnull (strstr (run.error->message, "Writer"));
  }
  assert_rows (f->ws->db, 2, "SELECT count(*) FROM prompt_runs");
}

static void
test_run_rules (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabAgent) agent = add_agent (f->ws->db, "Bakery", "rule_based", rules);
  g_autoptr (ConfabPromptVersion) ask = NULL;
  g_autoptr (GHashTable) question = vars ("question", "When do you open?", NULL);
  g_autoptr (GHashTable) greeting = vars ("question", "Hi", NULL);
  g_autoptr (GError) error = NULL;
  ConfabPromptTarget target = { NULL, NULL, id_of (agent) };
  g_auto (Run) run = { 0 };

  ask = confab_prompt_version_new (id_of (f->prompt), "{{question}}");
  g_assert_true (confab_prompt_library_save (f->ws->db, ask, &error));
  g_assert_no_error (error);

  run_version (f, ask, question, NULL, &target, NULL, NULL, &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (run.events->str, ==, "SD");
  g_assert_cmpstr (run.output->str, ==, "Bakery: we open at 7.");
  g_assert_cmpstr (confab_prompt_run_get_output (run.run), ==, "Bakery: we open at 7.");
  g_assert_cmpstr (confab_prompt_run_get_model (run.run), ==, "rules");
  g_assert_cmpstr (confab_prompt_run_get_agent_id (run.run), ==, id_of (agent));
  g_assert_null (confab_prompt_run_get_provider_id (run.run));
  g_assert_cmpint (confab_prompt_run_get_tokens_out (run.run), ==, 0);

  /* The input follows the rendered text. */
  run_version (f, ask, greeting, "my order #12345", &target, NULL, NULL, &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_prompt_run_get_output (run.run), ==, "{\"order\": 12345}");

  /* Offline: the server was never asked. */
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (f->server), ==, 0);
}

/* Assertions */

static void
assert_judged (const char *assertions,
               const char *output,
               gint64      latency_ms,
               gint64      tokens_out,
               gboolean    expected,
               const char *message)
{
  g_autoptr (GPtrArray) results = NULL;
  g_autofree char *json = NULL;
  gboolean         passed = !expected;

  json = confab_prompt_assertions_evaluate (assertions, output, latency_ms, tokens_out, &passed);
  if (passed != expected)
    g_error ("%s on “%s”: %s, expected %s (%s)", assertions, output, passed ? "passed" : "failed",
             expected ? "to pass" : "to fail", json);
  results = confab_prompt_assertion_results_parse (json);
  if (message != NULL)
    g_assert_cmpstr (((ConfabPromptAssertionResult *) g_ptr_array_index (results, 0))->message, ==,
                     message);
}

static void
assert_refused (const char *assertions, const char *needle)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (confab_prompt_assertions_validate (assertions, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  if (strstr (error->message, needle) == NULL)
    g_error ("“%s” does not name “%s”", error->message, needle);
}

static void
test_assertions (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *as = g_strnfill (60, 'a');
  g_autofree char *pathological = g_strconcat (as, "!", NULL);
  g_autofree char *stored = NULL;
  g_autoptr (GPtrArray) parsed = NULL;
  ConfabPromptAssertionResult *result;

  assert_judged ("[{\"type\":\"contains\",\"value\":\"Sunday\"}]", "Open on Sunday", 0, 0, TRUE,
                 "The output contains “Sunday”");
  assert_judged ("[{\"type\":\"contains\",\"value\":\"Sunday\"}]", "open on sunday", 0, 0, FALSE,
                 "The output does not contain “Sunday”");
  assert_judged ("[{\"type\":\"not_contains\",\"value\":\"sorry\"}]", "Yes!", 0, 0, TRUE, NULL);
  assert_judged ("[{\"type\":\"not_contains\",\"value\":\"sorry\"}]", "I am sorry", 0, 0, FALSE,
                 "The output contains “sorry”");
  assert_judged ("[{\"type\":\"regex\",\"value\":\"open (at|from) \\\\d\"}]", "We open at 7", 0, 0,
                 TRUE, "The output matches “open (at|from) \\d”");
  assert_judged ("[{\"type\":\"regex\",\"value\":\"(?i)SUNDAY\"}]", "sunday", 0, 0, TRUE, NULL);
  assert_judged ("[{\"type\":\"regex\",\"value\":\"^\\\\d+$\"}]", "12a", 0, 0, FALSE, NULL);
  assert_judged ("[{\"type\":\"equals\",\"value\":\"Yes\"}]", "  Yes\n", 0, 0, TRUE,
                 "The output is “Yes”");
  assert_judged ("[{\"type\":\"equals\",\"value\":\"Yes\"}]", "Yes.", 0, 0, FALSE,
                 "The output is not “Yes”");
  assert_judged ("[{\"type\":\"valid_json\"}]", " {\"a\": [1, 2]}\n", 0, 0, TRUE,
                 "The output is valid JSON");
  assert_judged ("[{\"type\":\"valid_json\"}]", "{\"a\": ", 0, 0, FALSE, NULL);
  assert_judged ("[{\"type\":\"valid_json\"}]", "", 0, 0, FALSE, NULL);
  assert_judged ("[{\"type\":\"max_latency_ms\",\"value\":2000}]", "x", 1999, 0, TRUE,
                 "The run took 1999 ms, within 2000 ms");
  assert_judged ("[{\"type\":\"max_latency_ms\",\"value\":2000}]", "x", 2001, 0, FALSE,
                 "The run took 2001 ms, more than 2000 ms");
  assert_judged ("[{\"type\":\"max_tokens\",\"value\":5}]", "x", 0, 5, TRUE, NULL);
  assert_judged ("[{\"type\":\"max_tokens\",\"value\":5}]", "x", 0, 6, FALSE,
                 "The output is 6 tokens, more than 5");
  /* Without reported usage, (characters + 3) / 4. */
  assert_judged ("[{\"type\":\"max_tokens\",\"value\":2}]", "12345678", 0, 0, TRUE, NULL);
  assert_judged ("[{\"type\":\"max_tokens\",\"value\":2}]", "123456789", 0, 0, FALSE, NULL);
  /* No assertions: passed. All must pass. */
  assert_judged ("[]", "anything", 0, 0, TRUE, NULL);
  assert_judged (
      "[{\"type\":\"contains\",\"value\":\"a\"},{\"type\":\"contains\",\"value\":\"z\"}]", "abc", 0,
      0, FALSE, NULL);

  /* Catastrophic backtracking gives up instead of hanging, and fails. */
  assert_judged ("[{\"type\":\"regex\",\"value\":\"^(a+)+$\"}]", pathological, 0, 0, FALSE,
                 "Searching for “^(a+)+$” took too long (the pattern backtracks too much), so "
                 "it counts as not found");

  /* Validation names the assertion. */
  g_assert_true (confab_prompt_assertions_validate (
      "[{\"type\":\"contains\",\"value\":\"x\"},{\"type\":\"valid_json\"},"
      "{\"type\":\"max_tokens\",\"value\":10}]",
      &error));
  g_assert_no_error (error);
  assert_refused ("{}", "list");
  assert_refused ("[1]", "Assertion 1");
  assert_refused ("[{\"type\":\"contains\",\"value\":\"x\"},{\"type\":\"smells_nice\"}]",
                  "Assertion 2: unknown type “smells_nice”");
  assert_refused ("[{\"type\":\"contains\"}]", "Assertion 1 (contains)");
  assert_refused ("[{\"type\":\"equals\",\"value\":\"\"}]", "Assertion 1 (equals)");
  assert_refused ("[{\"type\":\"regex\",\"value\":\"(unclosed\"}]", "Assertion 1 (regex)");
  assert_refused ("[{\"type\":\"regex\",\"value\":\"(*LIMIT_MATCH=999999999)a\"}]",
                  "Assertion 1 (regex)");
  assert_refused ("[{\"type\":\"max_latency_ms\",\"value\":0}]", "Assertion 1 (max_latency_ms)");
  assert_refused ("[{\"type\":\"max_tokens\",\"value\":\"10\"}]", "Assertion 1 (max_tokens)");

  /* The stored results read back. */
  stored = confab_prompt_assertions_evaluate ("[{\"type\":\"max_tokens\",\"value\":3}]", "xy", 0, 1,
                                              NULL);
  parsed = confab_prompt_assertion_results_parse (stored);
  g_assert_cmpuint (parsed->len, ==, 1);
  result = g_ptr_array_index (parsed, 0);
  g_assert_cmpstr (result->type, ==, "max_tokens");
  g_assert_cmpstr (result->value, ==, "3");
  g_assert_true (result->passed);
}

static void
test_test_cases (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabPromptTestCase) test_case = NULL;
  g_autoptr (ConfabPromptTestCase) twin = NULL;
  g_autoptr (ConfabPromptTestCase) bad = NULL;
  g_autoptr (ConfabPromptTestCase) loaded = NULL;
  g_autoptr (GHashTable) variables = NULL;
  g_autoptr (GError) error = NULL;

  test_case = confab_prompt_test_case_new (id_of (f->prompt), "Greets Ana");
  confab_prompt_test_case_set_variables (test_case, "{\"name\":\"Ana\"}");
  confab_prompt_test_case_set_assertions (test_case, "[{\"type\":\"contains\",\"value\":\"Ana\"}]");
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (test_case), NULL, &error));
  g_assert_no_error (error);
  assert_rows (f->ws->db, 1,
               "SELECT count(*) FROM audit_log WHERE entity = 'prompt_test_case' "
               "AND action = 'create'");

  loaded =
      confab_repository_get (f->ws->db, CONFAB_TYPE_PROMPT_TEST_CASE, id_of (test_case), &error);
  variables = confab_prompt_test_case_dup_variables (loaded);
  g_assert_cmpstr (g_hash_table_lookup (variables, "name"), ==, "Ana");

  /* Names are unique per prompt. */
  twin = confab_prompt_test_case_new (id_of (f->prompt), "Greets Ana");
  g_assert_false (confab_repository_create (f->ws->db, CONFAB_ENTITY (twin), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT);
  g_clear_error (&error);

  /* Bad variables and assertions are refused, naming what is wrong. */
  bad = confab_prompt_test_case_new (id_of (f->prompt), "Bad");
  confab_prompt_test_case_set_variables (bad, "[1]");
  g_assert_false (confab_repository_create (f->ws->db, CONFAB_ENTITY (bad), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);
  confab_prompt_test_case_set_variables (bad, "{\"n\": 3}");
  g_assert_false (confab_repository_create (f->ws->db, CONFAB_ENTITY (bad), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "“n”"));
  g_clear_error (&error);
  confab_prompt_test_case_set_variables (bad, "{}");
  confab_prompt_test_case_set_assertions (bad, "[{\"type\":\"regex\",\"value\":\"(\"}]");
  g_assert_false (confab_repository_create (f->ws->db, CONFAB_ENTITY (bad), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Assertion 1 (regex)"));
  g_clear_error (&error);
  confab_prompt_test_case_set_assertions (bad, "[]");
  confab_prompt_test_case_set_prompt_id (bad, "no-such-prompt");
  g_assert_false (confab_repository_create (f->ws->db, CONFAB_ENTITY (bad), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  assert_rows (f->ws->db, 1, "SELECT count(*) FROM prompt_test_cases");
}

/* Run all */

static ConfabPromptTestCase *
add_case (ConfabDatabase *db,
          const char     *prompt_id,
          const char     *name,
          const char     *variables,
          const char     *input,
          const char     *assertions)
{
  g_autoptr (GError) error = NULL;
  ConfabPromptTestCase *test_case = confab_prompt_test_case_new (prompt_id, name);

  confab_prompt_test_case_set_variables (test_case, variables);
  confab_prompt_test_case_set_input (test_case, input);
  confab_prompt_test_case_set_assertions (test_case, assertions);
  g_assert_true (confab_repository_create (db, CONFAB_ENTITY (test_case), NULL, &error));
  g_assert_no_error (error);
  return test_case;
}

typedef struct
{
  ConfabPromptGrid *grid;
  GError           *error;
  gboolean          done;
  GString          *cells;
  GCancellable     *cancel_after_first;
} Grid;

static void
grid_clear (Grid *g)
{
  g_clear_object (&g->grid);
  g_clear_error (&g->error);
  if (g->cells != NULL)
    g_string_free (g->cells, TRUE);
  memset (g, 0, sizeof *g);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Grid, grid_clear)

static void
on_cell (ConfabPromptGrid *grid, guint version_index, guint case_index, gpointer user_data)
{
  Grid *g = user_data;

  g_string_append_printf (g->cells, "%u%u%c ", version_index, case_index,
                          confab_prompt_grid_get_passed (grid, version_index, case_index) ? '+'
                                                                                          : '-');
  if (g->cancel_after_first != NULL)
    g_cancellable_cancel (g->cancel_after_first);
}

static void
on_grid_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Grid *g = user_data;

  g->grid = confab_prompt_runner_run_all_finish (CONFAB_PROMPT_RUNNER (source), result, &g->error);
  g->done = TRUE;
}

static void
run_all (Fixture                  *f,
         const int                *versions,
         guint                     n_versions,
         const ConfabPromptTarget *target,
         GCancellable             *cancellable,
         Grid                     *g)
{
  grid_clear (g);
  g->cells = g_string_new (NULL);
  g->cancel_after_first = cancellable;
  confab_prompt_runner_run_all_async (f->runner, id_of (f->prompt), versions, n_versions, target,
                                      G_CALLBACK (on_cell), g, cancellable, on_grid_done, g);
  if (!confab_mock_wait_until (is_done, &g->done, RUN_TIMEOUT_MS))
    g_error ("Run all did not finish within %d s", RUN_TIMEOUT_MS / 1000);
}

static void
test_run_all_models (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabPromptVersion) v2 = NULL;
  g_autoptr (ConfabPromptTestCase) a = NULL;
  g_autoptr (ConfabPromptTestCase) b = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (Grid) g = { 0 };
  const int        versions[] = { 1, 2 };
  ConfabPromptRun *run;

  v2 = confab_prompt_version_new (id_of (f->prompt), "Greet {{name}} warmly.");
  confab_prompt_version_set_provider_id (v2, id_of (f->provider));
  g_assert_true (confab_prompt_library_save (f->ws->db, v2, &error));
  g_assert_no_error (error);

  /* Cases by name: "Ana" first, then "Bo". */
  b = add_case (
      f->ws->db, id_of (f->prompt), "Bo", "{\"name\":\"Bo\"}", "",
      "[{\"type\":\"contains\",\"value\":\"Bo\"},{\"type\":\"max_tokens\",\"value\":10}]");
  a = add_case (f->ws->db, id_of (f->prompt), "Ana", "{\"name\":\"Ana\"}", "hi",
                "[{\"type\":\"contains\",\"value\":\"Ana\"}]");

  /* Version 1 × (Ana, Bo), then version 2 × (Ana, Bo). */
  push_text (f->server, "Hello Ana!");
  push_text (f->server, "Hello there!");
  push_text (f->server, "Welcome, Ana.");
  push_text (f->server, "Welcome, Bo.");
  run_all (f, versions, 2, NULL, NULL, &g);
  g_assert_no_error (g.error);
  g_assert_cmpstr (g.cells->str, ==, "00+ 01- 10+ 11+ ");

  g_assert_cmpuint (confab_prompt_grid_get_n_versions (g.grid), ==, 2);
  g_assert_cmpuint (confab_prompt_grid_get_n_cases (g.grid), ==, 2);
  g_assert_cmpstr (confab_prompt_test_case_get_name (confab_prompt_grid_get_case (g.grid, 0)), ==,
                   "Ana");
  g_assert_cmpint (confab_prompt_version_get_version (confab_prompt_grid_get_version (g.grid, 1)),
                   ==, 2);
  g_assert_true (confab_prompt_grid_get_passed (g.grid, 0, 0));
  g_assert_false (confab_prompt_grid_get_passed (g.grid, 0, 1));
  g_assert_cmpuint (confab_prompt_grid_count_passed (g.grid, 0), ==, 1);
  g_assert_cmpuint (confab_prompt_grid_count_passed (g.grid, 1), ==, 2);
  g_assert_false (confab_prompt_grid_all_passed (g.grid));

  run = confab_prompt_grid_get_run (g.grid, 0, 1);
  g_assert_cmpstr (confab_prompt_run_get_output (run), ==, "Hello there!");
  g_assert_cmpstr (confab_prompt_run_get_test_case_id (run), ==, id_of (b));
  g_assert_cmpint (confab_prompt_run_get_verdict (run), ==, CONFAB_PROMPT_VERDICT_FAILED);
  g_assert_nonnull (
      strstr (confab_prompt_run_get_assertion_results (run), "The output does not contain “Bo”"));
  g_assert_null (confab_prompt_grid_get_error (g.grid, 0, 1));

  /* The case's input went along: Ana's run has the text as its system prompt. */
  {
    g_autoptr (JsonNode) root =
        confab_mock_request_get_json (confab_mock_llm_server_get_request (f->server, 0));
    JsonArray *messages = json_object_get_array_member (json_node_get_object (root), "messages");

    g_assert_cmpuint (json_array_get_length (messages), ==, 2);
    g_assert_cmpstr (
        json_object_get_string_member (json_array_get_object_element (messages, 1), "content"), ==,
        "hi");
  }

  /* Every cell is a kept run, judged. */
  assert_rows (f->ws->db, 4, "SELECT count(*) FROM prompt_runs WHERE test_case_id IS NOT NULL");
  assert_rows (f->ws->db, 3, "SELECT count(*) FROM prompt_runs WHERE passed = 1");
  assert_rows (f->ws->db, 1, "SELECT count(*) FROM prompt_runs WHERE passed = 0");

  /* A provider error fails its cell, the rest go on; the newest version by default. */
  confab_mock_llm_server_push (f->server,
                               confab_mock_response_new_json (500, "{\"error\":\"down\"}"));
  push_text (f->server, "Hi Bo");
  run_all (f, NULL, 0, NULL, NULL, &g);
  g_assert_no_error (g.error);
  g_assert_cmpint (confab_prompt_version_get_version (confab_prompt_grid_get_version (g.grid, 0)),
                   ==, 2);
  run = confab_prompt_grid_get_run (g.grid, 0, 0);
  g_assert_cmpstr (confab_prompt_run_get_status (run), ==, "error");
  g_assert_false (confab_prompt_grid_get_passed (g.grid, 0, 0));
  g_assert_true (confab_prompt_grid_get_passed (g.grid, 0, 1));
}

static void
test_run_all_rules (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabAgent) agent = add_agent (f->ws->db, "Bakery", "rule_based", rules);
  g_autoptr (ConfabPromptVersion) ask = NULL;
  g_autoptr (ConfabPromptTestCase) hours = NULL;
  g_autoptr (ConfabPromptTestCase) order = NULL;
  g_autoptr (ConfabPromptTestCase) broken = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  ConfabPromptTarget target = { NULL, NULL, id_of (agent) };
  const int          versions[] = { 2 };
  const int          missing[] = { 2, 9 };
  g_auto (Grid) g = { 0 };

  ask = confab_prompt_version_new (id_of (f->prompt), "{{question}}");
  g_assert_true (confab_prompt_library_save (f->ws->db, ask, &error));
  g_assert_no_error (error);

  /* Without cases there is nothing to run. */
  run_all (f, versions, 1, &target, NULL, &g);
  g_assert_error (g.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (g.error->message, "greeting"));

  hours = add_case (f->ws->db, id_of (f->prompt), "Hours", "{\"question\":\"are you open?\"}", "",
                    "[{\"type\":\"contains\",\"value\":\"open at 7\"},"
                    "{\"type\":\"max_latency_ms\",\"value\":60000}]");
  order = add_case (f->ws->db, id_of (f->prompt), "Order", "{\"question\":\"order 12345\"}", "",
                    "[{\"type\":\"valid_json\"},{\"type\":\"regex\",\"value\":\"12345\"}]");
  broken = add_case (f->ws->db, id_of (f->prompt), "Broken", "{}", "", "[]");

  run_all (f, versions, 1, &target, NULL, &g);
  g_assert_no_error (g.error);
  /* Broken (no question) could not run; Hours and Order pass. */
  g_assert_cmpstr (g.cells->str, ==, "00- 01+ 02+ ");
  g_assert_null (confab_prompt_grid_get_run (g.grid, 0, 0));
  g_assert_error (confab_prompt_grid_get_error (g.grid, 0, 0), CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (confab_prompt_grid_get_error (g.grid, 0, 0)->message, "question"));
  g_assert_cmpstr (confab_prompt_run_get_output (confab_prompt_grid_get_run (g.grid, 0, 2)), ==,
                   "{\"order\": 12345}");
  g_assert_cmpuint (confab_prompt_grid_count_passed (g.grid, 0), ==, 2);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (f->server), ==, 0);
  assert_rows (f->ws->db, 2,
               "SELECT count(*) FROM prompt_runs WHERE model = 'rules' AND passed = 1");

  /* A version that does not exist. */
  run_all (f, missing, 2, &target, NULL, &g);
  g_assert_error (g.error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);

  /* Cancelled after the first cell: the run stops, what ran is kept. */
  run_all (f, versions, 1, &target, cancellable, &g);
  g_assert_error (g.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (g.cells->str, ==, "00- ");
  assert_rows (f->ws->db, 2, "SELECT count(*) FROM prompt_runs");
  (void) hours;
  (void) order;
  (void) broken;
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func)                                                                            \
  g_test_add ("/confab/prompt-runner/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("render", test_render);
  ADD ("run-model", test_run_model);
  ADD ("run-failures", test_run_failures);
  ADD ("run-rules", test_run_rules);
  ADD ("test-cases", test_test_cases);
  ADD ("run-all-models", test_run_all_models);
  ADD ("run-all-rules", test_run_all_rules);
#undef ADD
  g_test_add_func ("/confab/prompt-runner/assertions", test_assertions);
  return g_test_run ();
}
