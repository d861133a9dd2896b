/* confab-cli ask, providers test and providers models, end to end: the CLI
 * ($CONFAB_CLI) talks to a ConfabMockLlmServer running in this process,
 * with a canary API key stored in the keyring through the CLI itself.
 *
 * Run through tools/run-tests, which starts a private session bus and an
 * unlocked throwaway gnome-keyring. The CLI runs asynchronously while this
 * process iterates its main loop, so the mock server can answer it. */

#define _GNU_SOURCE /* memmem */

#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "confab-mock-llm-server.h"
#include "confab-test-util.h"

#define CANARY        "sk-canary-7f3a9c1e5b2d4068a1c3e5f7b9d0"
#define PROVIDER      "Mock"
#define DEFAULT_MODEL "mock-model"
#define SERVED_MODEL  "mock-model-0613"
#define DEAD_BUS      "unix:path=/nonexistent"

/* Generous: the CLI is quick, but CI machines can be slow. */
#define RUN_TIMEOUT_MS 60000

typedef struct
{
  ConfabMockLlmServer *server;
  char                *dir;
  char                *workspace;
  GPtrArray           *captured;  /* GBytes: every stdout and stderr of the CLI */
} Fixture;

typedef struct
{
  int     status;
  GBytes *out;  /* NUL-terminated copies, so they read as text */
  GBytes *err;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_bytes_unref);
  g_clear_pointer (&r->err, g_bytes_unref);
  r->status = -1;
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

static GBytes *
nul_terminated (GBytes *bytes)
{
  gsize len = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;
  char *copy = g_malloc (len + 1);

  if (len > 0)
    memcpy (copy, data, len);
  copy[len] = '\0';
  return g_bytes_new_take (copy, len);
}

static gboolean
bytes_contain (const void *data,
               gsize       len,
               const char *needle)
{
  return data != NULL && memmem (data, len, needle, strlen (needle)) != NULL;
}

/* Running the CLI */

/* With dead_bus, the session bus (and so the keyring) is unreachable. */
static GSubprocess *
spawn_cli (const char * const *args,
           const char         *workspace,
           gboolean            dead_bus)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  const char *exe = g_getenv ("CONFAB_CLI");
  GSubprocess *process;

  g_assert_nonnull (exe);
  g_ptr_array_add (argv, (char *) exe);
  if (workspace != NULL)
    {
      g_ptr_array_add (argv, (char *) "--workspace");
      g_ptr_array_add (argv, (char *) workspace);
    }
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* Every debug message of every domain goes to the captured output, so
   * the leak check sees the logs too; stdout must stay the reply alone. */
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  if (dead_bus)
    {
      g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", DEAD_BUS, TRUE);
      g_subprocess_launcher_unsetenv (launcher, "DBUS_STARTER_ADDRESS");
      g_subprocess_launcher_setenv (launcher, "SECRET_BACKEND", "service", TRUE);
    }
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

typedef struct
{
  gboolean  done;
  GBytes   *out;
  GBytes   *err;
  GError   *error;
} Communicate;

static void
on_communicated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
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

/* Feeds input (nullable) to the process, collects its output while the
 * main loop runs (and the mock server answers), and waits for its exit. */
static void
finish_cli (Fixture     *fixture,
            Run         *r,
            GSubprocess *process,
            const char  *input,
            GString     *out_before)
{
  g_autoptr (GBytes) in = g_bytes_new (input, input != NULL ? strlen (input) : 0);
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GBytes) all_out = NULL;
  Communicate c = { 0 };

  g_subprocess_communicate_async (process, in, NULL, on_communicated, &c);
  if (!confab_mock_wait_until (is_done, &c.done, RUN_TIMEOUT_MS))
    {
      g_subprocess_force_exit (process);
      confab_mock_wait_until (is_done, &c.done, RUN_TIMEOUT_MS);
      g_error ("confab-cli did not finish within %d s", RUN_TIMEOUT_MS / 1000);
    }
  g_assert_no_error (c.error);

  if (out_before != NULL)
    g_byte_array_append (out, (const guint8 *) out_before->str, out_before->len);
  if (c.out != NULL)
    g_byte_array_append (out, g_bytes_get_data (c.out, NULL), g_bytes_get_size (c.out));

  all_out = g_byte_array_free_to_bytes (g_steal_pointer (&out));
  run_clear (r);
  r->out = nul_terminated (all_out);
  r->err = nul_terminated (c.err);
  g_clear_pointer (&c.out, g_bytes_unref);
  g_clear_pointer (&c.err, g_bytes_unref);

  if (!g_subprocess_get_if_exited (process))
    g_error ("confab-cli was killed by signal %d:\n%s", g_subprocess_get_term_sig (process),
             run_err (r));
  r->status = g_subprocess_get_exit_status (process);

  if (fixture != NULL)
    {
      g_ptr_array_add (fixture->captured, g_bytes_ref (r->out));
      g_ptr_array_add (fixture->captured, g_bytes_ref (r->err));
    }
}

/* confab-cli --workspace WORKSPACE ARGS… with input (nullable) on stdin. */
static void
cli_full (Fixture    *fixture,
          Run        *r,
          const char *input,
          ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  const char *arg;
  va_list ap;

  va_start (ap, input);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  process = spawn_cli ((const char * const *) args->pdata, fixture->workspace, FALSE);
  finish_cli (fixture, r, process, input, NULL);
}

#define cli(fixture, r, ...) cli_full (fixture, r, NULL, __VA_ARGS__, NULL)

static void
assert_status (Run        *r,
               int         expected,
               const char *what)
{
  if (r->status != expected)
    g_error ("“%s” exited %d, not %d\nstdout:\n%s\nstderr:\n%s", what, r->status, expected,
             run_out (r), run_err (r));
}

static void
assert_err_contains (Run        *r,
                     const char *text)
{
  if (strstr (run_err (r), text) == NULL)
    g_error ("stderr does not say “%s”:\n%s", text, run_err (r));
}

/* Fixture: a workspace with the provider "Mock" at the mock server, and the
 * canary key in the keyring. */

static void
add_provider (Fixture    *fixture,
              const char *name,
              const char *base_url,
              const char *model)
{
  g_auto (Run) r = { 0 };

  if (model != NULL)
    cli (fixture, &r, "providers", "add", "--name", name, "--kind", "openai_compatible",
         "--base-url", base_url, "--model", model);
  else
    cli (fixture, &r, "providers", "add", "--name", name, "--kind", "openai_compatible",
         "--base-url", base_url);
  assert_status (&r, 0, "providers add");
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  g_auto (Run) r = { 0 };

  fixture->server = confab_mock_llm_server_new ();
  fixture->dir = g_dir_make_tmp ("confab-cli-llm-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->workspace = g_build_filename (fixture->dir, "test.confab", NULL);
  fixture->captured = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  url = confab_mock_llm_server_get_url (fixture->server, "/v1");
  add_provider (fixture, PROVIDER, url, DEFAULT_MODEL);

  cli_full (fixture, &r, CANARY "\n", "providers", "set-key", PROVIDER, NULL);
  if (r.status != 0)
    g_error ("Could not store the canary key (%s); run this test through tools/run-tests, "
             "which starts a throwaway gnome-keyring", run_err (&r));
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  user_data)
{
  g_auto (Run) r = { 0 };

  /* Removes the key from the keyring too. */
  cli (fixture, &r, "providers", "remove", PROVIDER);
  assert_status (&r, 0, "providers remove");

  g_clear_object (&fixture->server);
  confab_test_remove_tree (fixture->dir);
  g_clear_pointer (&fixture->dir, g_free);
  g_clear_pointer (&fixture->workspace, g_free);
  g_clear_pointer (&fixture->captured, g_ptr_array_unref);
}

/* Scripted replies */

static char *
sse_delta (const char *content)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, SERVED_MODEL);
  json_builder_set_member_name (builder, "choices");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "index");
  json_builder_add_int_value (builder, 0);
  json_builder_set_member_name (builder, "delta");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, content);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  return g_strdup_printf ("data: %s\n\n", json);
}

#define SSE_FINISH \
  "data: {\"model\":\"" SERVED_MODEL "\",\"choices\":[{\"index\":0,\"delta\":{}," \
  "\"finish_reason\":\"stop\"}]}\n\n"
#define SSE_USAGE \
  "data: {\"model\":\"" SERVED_MODEL "\",\"choices\":[]," \
  "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}\n\n"
#define SSE_DONE "data: [DONE]\n\n"

/* "Hello, wörld!" in three deltas, then the finish reason, usage and
 * [DONE], each chunk a little after the previous one. */
static ConfabMockResponse *
streamed_hello (void)
{
  ConfabMockResponse *response = confab_mock_response_new (200, "text/event-stream");
  const char *deltas[] = { "Hello", ", wörld", "!" };

  for (guint i = 0; i < G_N_ELEMENTS (deltas); i++)
    {
      g_autofree char *chunk = sse_delta (deltas[i]);

      confab_mock_response_add_chunk (response, 20, chunk, -1);
    }
  confab_mock_response_add_chunk (response, 10, SSE_FINISH, -1);
  confab_mock_response_add_chunk (response, 10, SSE_USAGE, -1);
  confab_mock_response_add_chunk (response, 10, SSE_DONE, -1);
  return response;
}

static ConfabMockResponse *
error_response (guint       status,
                const char *message)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, "invalid_request_error");
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  return confab_mock_response_new_json (status, json);
}

static ConfabMockResponse *
models_response (void)
{
  return confab_mock_response_new_json (200,
                                        "{\"object\":\"list\",\"data\":["
                                        "{\"id\":\"mock-b\",\"object\":\"model\"},"
                                        "{\"id\":\"mock-a\",\"object\":\"model\"},"
                                        "{\"id\":\"mock-b\",\"object\":\"model\"}]}");
}

/* The recorded requests */

static const ConfabMockRequest *
last_request (Fixture *fixture)
{
  guint n = confab_mock_llm_server_get_n_requests (fixture->server);

  g_assert_cmpuint (n, >, 0);
  return confab_mock_llm_server_get_request (fixture->server, n - 1);
}

static void
assert_authorized (const ConfabMockRequest *request)
{
  g_assert_cmpstr (confab_mock_request_get_header (request, "Authorization"), ==,
                   "Bearer " CANARY);
}

static JsonObject *
message_at (JsonObject *body,
            guint       i)
{
  JsonArray *messages = json_object_get_array_member (body, "messages");

  g_assert_nonnull (messages);
  g_assert_cmpuint (i, <, json_array_get_length (messages));
  return json_array_get_object_element (messages, i);
}

static void
assert_message (JsonObject *body,
                guint       i,
                const char *role,
                const char *content)
{
  JsonObject *message = message_at (body, i);

  g_assert_cmpstr (json_object_get_string_member (message, "role"), ==, role);
  g_assert_cmpstr (json_object_get_string_member (message, "content"), ==, content);
}

static guint
n_messages (JsonObject *body)
{
  return json_array_get_length (json_object_get_array_member (body, "messages"));
}

/* ask */

static void
test_ask_streams (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_auto (Run) r = { 0 };
  g_autoptr (JsonNode) root = NULL;
  const ConfabMockRequest *request;
  JsonObject *body;

  confab_mock_llm_server_push (fixture->server, streamed_hello ());
  cli (fixture, &r, "ask", "--provider", PROVIDER, "--system", "Answer briefly.",
       "Say", "hello", "to", "the", "wörld");
  assert_status (&r, 0, "ask");
  /* Exactly the reply, and a newline since it did not end with one. */
  g_assert_cmpstr (run_out (&r), ==, "Hello, wörld!\n");
  g_assert_null (strstr (run_err (&r), "tokens in"));

  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (fixture->server), ==, 1);
  request = last_request (fixture);
  g_assert_cmpstr (request->method, ==, "POST");
  g_assert_cmpstr (request->path, ==, "/v1/chat/completions");
  assert_authorized (request);
  root = confab_mock_request_get_json (request);
  body = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, DEFAULT_MODEL);
  g_assert_true (json_object_get_boolean_member (body, "stream"));
  g_assert_false (json_object_has_member (body, "temperature"));
  g_assert_false (json_object_has_member (body, "max_tokens"));
  g_assert_cmpuint (n_messages (body), ==, 2);
  assert_message (body, 0, "system", "Answer briefly.");
  assert_message (body, 1, "user", "Say hello to the wörld");
}

static void
test_ask_options (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_auto (Run) r = { 0 };
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *provider_id = NULL;
  g_autofree char *sse = NULL;
  ConfabMockResponse *response;
  JsonObject *body;

  /* The whole stream cut every 7 bytes: mid-line and mid-character. */
  response = confab_mock_response_new (200, "text/event-stream");
  {
    g_autofree char *a = sse_delta ("Ünïcödé ");
    g_autofree char *b = sse_delta ("línes\nand more\n");

    sse = g_strconcat (a, b, SSE_FINISH, SSE_DONE, NULL);
  }
  confab_mock_response_add_pieces (response, sse, 7, 2);
  confab_mock_llm_server_push (fixture->server, response);

  /* "--" ends the options: the prompt may then start with a dash. */
  cli (fixture, &r, "ask", "-p", PROVIDER, "--model", "other-model", "--temperature", "0.25",
       "--max-tokens", "42", "--", "-v", "means", "verbose?");
  assert_status (&r, 0, "ask with options");
  /* The reply ends with a newline: no other is added. */
  g_assert_cmpstr (run_out (&r), ==, "Ünïcödé línes\nand more\n");

  root = confab_mock_request_get_json (last_request (fixture));
  body = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (body, "model"), ==, "other-model");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (body, "temperature"), 0.25,
                                  1e-9);
  g_assert_cmpint (json_object_get_int_member (body, "max_tokens"), ==, 42);
  g_assert_cmpuint (n_messages (body), ==, 1);
  assert_message (body, 0, "user", "-v means verbose?");
  g_clear_pointer (&root, json_node_unref);

  /* The prompt from standard input, and the provider by id. */
  {
    g_autoptr (ConfabDatabase) db = confab_database_open (fixture->workspace, NULL);
    g_autoptr (ConfabProvider) provider = NULL;

    g_assert_nonnull (db);
    provider = confab_repository_find (db, CONFAB_TYPE_PROVIDER, "name", PROVIDER, NULL);
    g_assert_nonnull (provider);
    provider_id = g_strdup (confab_entity_get_id (CONFAB_ENTITY (provider)));
  }
  confab_mock_llm_server_push (fixture->server, streamed_hello ());
  cli_full (fixture, &r, "What is\n2 + 2?\n", "ask", "--provider", provider_id, "-", NULL);
  assert_status (&r, 0, "ask -");
  g_assert_cmpstr (run_out (&r), ==, "Hello, wörld!\n");
  root = confab_mock_request_get_json (last_request (fixture));
  body = json_node_get_object (root);
  assert_message (body, 0, "user", "What is\n2 + 2?");
}

static void
test_ask_usage_line (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_auto (Run) r = { 0 };
  g_autoptr (GRegex) regex = NULL;
  g_autoptr (GMatchInfo) match = NULL;

  confab_mock_llm_server_push (fixture->server, streamed_hello ());
  cli (fixture, &r, "ask", "--provider", PROVIDER, "--usage", "Hi");
  assert_status (&r, 0, "ask --usage");
  /* The usage goes to stderr: stdout is the reply alone. */
  g_assert_cmpstr (run_out (&r), ==, "Hello, wörld!\n");

  regex = g_regex_new ("^tokens in 12, out 3, first token ([0-9]+) ms, total ([0-9]+) ms, "
                       "model " SERVED_MODEL "$",
                       G_REGEX_MULTILINE, 0, NULL);
  if (!g_regex_match (regex, run_err (&r), 0, &match))
    g_error ("No usage line on stderr:\n%s", run_err (&r));
  {
    g_autofree char *first = g_match_info_fetch (match, 1);
    g_autofree char *total = g_match_info_fetch (match, 2);

    g_assert_cmpint (g_ascii_strtoll (first, NULL, 10), <=, g_ascii_strtoll (total, NULL, 10));
  }
}

static void
test_ask_no_stream (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_auto (Run) r = { 0 };
  g_autoptr (JsonNode) root = NULL;
  JsonObject *body;

  confab_mock_llm_server_push (fixture->server,
                               confab_mock_response_new_json (200,
                                 "{\"id\":\"chatcmpl-1\",\"model\":\"" SERVED_MODEL "\","
                                 "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                                 "\"content\":\"All at once.\"},\"finish_reason\":\"stop\"}],"
                                 "\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":4}}"));
  cli (fixture, &r, "ask", "--provider", PROVIDER, "--no-stream", "--usage", "Hi");
  assert_status (&r, 0, "ask --no-stream");
  g_assert_cmpstr (run_out (&r), ==, "All at once.\n");
  assert_err_contains (&r, "tokens in 5, out 4, ");
  assert_err_contains (&r, ", model " SERVED_MODEL "\n");

  root = confab_mock_request_get_json (last_request (fixture));
  body = json_node_get_object (root);
  g_assert_false (json_object_get_boolean_member (body, "stream"));
  assert_authorized (last_request (fixture));
}

static void
test_ask_errors (Fixture       *fixture,
                 gconstpointer  user_data)
{
  g_auto (Run) r = { 0 };
  ConfabMockResponse *response;
  guint before;

  /* 401: AUTH, naming the provider, with the server's words. */
  confab_mock_llm_server_push (fixture->server,
                               error_response (401, "Invalid authentication credentials"));
  cli (fixture, &r, "ask", "--provider", PROVIDER, "Hi");
  assert_status (&r, 1, "ask (401)");
  g_assert_cmpstr (run_out (&r), ==, "");
  assert_err_contains (&r, "confab-cli: The API key for “Mock” was rejected: "
                           "Invalid authentication credentials\n");

  /* 429 on every attempt (Retry-After: 0, so the retries are quick): the
   * first try and three retries, then RATE_LIMITED. */
  before = confab_mock_llm_server_get_n_requests (fixture->server);
  for (guint i = 0; i < 4; i++)
    {
      response = error_response (429, "Rate limit reached for requests");
      confab_mock_response_add_header (response, "Retry-After", "0");
      confab_mock_llm_server_push (fixture->server, response);
    }
  cli (fixture, &r, "ask", "--provider", PROVIDER, "Hi");
  assert_status (&r, 1, "ask (429)");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (fixture->server) - before, ==, 4);
  g_assert_cmpstr (run_out (&r), ==, "");
  assert_err_contains (&r, "confab-cli: “Mock” (model “mock-model”) is limiting requests; "
                           "try again in ");
  assert_err_contains (&r, ": Rate limit reached for requests\n");

  /* 500: not retried, PROVIDER with the status. */
  before = confab_mock_llm_server_get_n_requests (fixture->server);
  confab_mock_llm_server_push (fixture->server, error_response (500, "The server had an error"));
  cli (fixture, &r, "ask", "--provider", PROVIDER, "Hi");
  assert_status (&r, 1, "ask (500)");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (fixture->server) - before, ==, 1);
  assert_err_contains (&r, "confab-cli: “Mock” (model “mock-model”) answered with an error "
                           "(HTTP 500 Internal Server Error): The server had an error\n");

  /* An unknown model: NOT_FOUND naming it. */
  confab_mock_llm_server_push (fixture->server,
                               error_response (404, "The model `no-such-model` does not exist"));
  cli (fixture, &r, "ask", "--provider", PROVIDER, "--model", "no-such-model", "Hi");
  assert_status (&r, 1, "ask (404)");
  assert_err_contains (&r, "confab-cli: The model “no-such-model” was not found at “Mock”");

  /* The connection dropped mid-stream: the text that came stays printed
   * (with a newline), then the error. */
  response = confab_mock_response_new (200, "text/event-stream");
  {
    g_autofree char *a = sse_delta ("Partial");
    g_autofree char *b = sse_delta (" never seen");

    confab_mock_response_add_chunk (response, 0, a, -1);
    confab_mock_response_add_chunk (response, 50, b, -1);
  }
  confab_mock_response_set_drop_after (response, 1);
  confab_mock_llm_server_push (fixture->server, response);
  cli (fixture, &r, "ask", "--provider", PROVIDER, "Hi");
  assert_status (&r, 1, "ask (dropped)");
  g_assert_cmpstr (run_out (&r), ==, "Partial\n");
  assert_err_contains (&r, "confab-cli: The connection to “Mock” closed before the reply was "
                           "complete\n");

  /* A stream that ends without [DONE]. */
  response = confab_mock_response_new (200, "text/event-stream");
  {
    g_autofree char *a = sse_delta ("Cut short");

    confab_mock_response_add_chunk (response, 0, a, -1);
  }
  confab_mock_llm_server_push (fixture->server, response);
  cli (fixture, &r, "ask", "--provider", PROVIDER, "Hi");
  assert_status (&r, 1, "ask (no [DONE])");
  g_assert_cmpstr (run_out (&r), ==, "Cut short\n");
  assert_err_contains (&r, "confab-cli: The connection to “Mock” closed before the reply was "
                           "complete\n");

  /* Nothing listens at the base URL. */
  {
    g_autoptr (GSocket) socket = NULL;
    g_autoptr (GSocketAddress) any = NULL;
    g_autoptr (GSocketAddress) bound = NULL;
    g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr (GError) error = NULL;
    g_autofree char *url = NULL;

    socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
                           &error);
    g_assert_no_error (error);
    any = g_inet_socket_address_new (loopback, 0);
    g_socket_bind (socket, any, FALSE, &error);
    g_assert_no_error (error);
    bound = g_socket_get_local_address (socket, &error);
    g_assert_no_error (error);
    url = g_strdup_printf ("http://127.0.0.1:%u/v1",
                           g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
    g_socket_close (socket, NULL);

    add_provider (fixture, "Nowhere", url, DEFAULT_MODEL);
    cli (fixture, &r, "ask", "--provider", "Nowhere", "Hi");
    assert_status (&r, 1, "ask (refused)");
    assert_err_contains (&r, "confab-cli: Could not connect to “127.0.0.1:");
    assert_err_contains (&r, "” for “Nowhere”: the connection was refused");
    cli (fixture, &r, "providers", "remove", "Nowhere");
    assert_status (&r, 0, "providers remove Nowhere");
  }
}

static void
test_ask_usage_errors (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_autofree char *missing = g_build_filename (fixture->dir, "missing.confab", NULL);
  g_auto (Run) r = { 0 };

  /* An unknown provider: exit 1, naming it. */
  cli (fixture, &r, "ask", "--provider", "Nobody", "Hi");
  assert_status (&r, 1, "ask --provider Nobody");
  assert_err_contains (&r, "“Nobody”");

  /* No model anywhere: a usage error. */
  add_provider (fixture, "Bare", confab_mock_llm_server_get_base_url (fixture->server), NULL);
  cli (fixture, &r, "ask", "--provider", "Bare", "Hi");
  assert_status (&r, 2, "ask without a model");
  assert_err_contains (&r, "--model");
  cli (fixture, &r, "providers", "remove", "Bare");
  assert_status (&r, 0, "providers remove Bare");

  cli (fixture, &r, "ask", "Hi");
  assert_status (&r, 2, "ask without --provider");
  assert_err_contains (&r, "--provider");
  cli (fixture, &r, "ask", "--provider", PROVIDER);
  assert_status (&r, 2, "ask without a prompt");
  cli_full (fixture, &r, " \n", "ask", "--provider", PROVIDER, "-", NULL);
  assert_status (&r, 2, "ask with an empty prompt");
  cli (fixture, &r, "ask", "--provider", PROVIDER, "--temperature", "hot", "Hi");
  assert_status (&r, 2, "ask --temperature hot");
  assert_err_contains (&r, "hot");
  cli (fixture, &r, "ask", "--provider", PROVIDER, "--temperature", "7", "Hi");
  assert_status (&r, 2, "ask --temperature 7");
  cli (fixture, &r, "ask", "--provider", PROVIDER, "--max-tokens", "0", "Hi");
  assert_status (&r, 2, "ask --max-tokens 0");

  /* An unknown option is named, never repeated with its value. */
  cli (fixture, &r, "ask", "--provider", PROVIDER, "--api-key=" CANARY, "Hi");
  assert_status (&r, 2, "ask --api-key=…");
  assert_err_contains (&r, "“--api-key”");
  cli (fixture, &r, "ask", "--provider", PROVIDER, "-K" CANARY, "Hi");
  assert_status (&r, 2, "ask -K…");

  /* A workspace that does not exist is not created. */
  {
    g_autoptr (GSubprocess) process = NULL;
    const char *args[] = { "ask", "--provider", PROVIDER, "Hi", NULL };

    process = spawn_cli (args, missing, FALSE);
    finish_cli (fixture, &r, process, NULL, NULL);
    assert_status (&r, 1, "ask in a missing workspace");
    g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  }

  /* None of that reached the server, or printed the key. */
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (fixture->server), ==, 0);
  for (guint i = 0; i < fixture->captured->len; i++)
    {
      gsize len;
      const char *data = g_bytes_get_data (g_ptr_array_index (fixture->captured, i), &len);

      if (bytes_contain (data, len, CANARY))
        g_error ("The API key leaked into captured output %u: %s", i, data);
    }
}

/* Without a keyring the request goes without a key (local servers need
 * none), after a warning; a server that wants a key then says so. */
static void
test_ask_no_keyring (Fixture       *fixture,
                     gconstpointer  user_data)
{
  const char *args[] = { "ask", "--provider", PROVIDER, "Hi", NULL };
  g_autoptr (GSubprocess) process = NULL;
  g_auto (Run) r = { 0 };

  confab_mock_llm_server_push (fixture->server, streamed_hello ());
  process = spawn_cli (args, fixture->workspace, TRUE);
  finish_cli (fixture, &r, process, NULL, NULL);
  assert_status (&r, 0, "ask without a keyring");
  g_assert_cmpstr (run_out (&r), ==, "Hello, wörld!\n");
  assert_err_contains (&r, "confab-cli: warning: No keyring is available");
  assert_err_contains (&r, "confab-cli: warning: sending the request to “Mock” without an API "
                           "key\n");
  g_assert_null (confab_mock_request_get_header (last_request (fixture), "Authorization"));
  g_clear_object (&process);

  confab_mock_llm_server_push (fixture->server, error_response (401, "Missing bearer token"));
  process = spawn_cli (args, fixture->workspace, TRUE);
  finish_cli (fixture, &r, process, NULL, NULL);
  assert_status (&r, 1, "ask without a keyring (401)");
  assert_err_contains (&r, "confab-cli: “Mock” needs an API key, and none is set: "
                           "Missing bearer token\n");
}

/* Ctrl+C: reading stdout as it comes proves the reply streams; SIGINT then
 * cancels, keeps the partial text, and closes the connection. */

typedef struct
{
  GInputStream *stream;
  GString      *text;
  gboolean      reading;
  gboolean      eof;
  GError       *error;
} Reader;

static void read_more (Reader *reader);

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Reader *reader = user_data;
  g_autoptr (GBytes) bytes = NULL;

  reader->reading = FALSE;
  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &reader->error);
  if (bytes == NULL)
    return;
  if (g_bytes_get_size (bytes) == 0)
    {
      reader->eof = TRUE;
      return;
    }
  g_string_append_len (reader->text, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (strstr (reader->text->str, "Hello") == NULL)
    read_more (reader);
}

static void
read_more (Reader *reader)
{
  reader->reading = TRUE;
  g_input_stream_read_bytes_async (reader->stream, 4096, G_PRIORITY_DEFAULT, NULL, on_read,
                                   reader);
}

static gboolean
reader_stopped (gpointer data)
{
  Reader *reader = data;

  return !reader->reading;
}

static gboolean
server_saw_disconnect (gpointer data)
{
  return confab_mock_llm_server_get_n_disconnects (data) > 0;
}

static void
test_ask_interrupt (Fixture       *fixture,
                    gconstpointer  user_data)
{
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_auto (Run) r = { 0 };
  const char *args[] = { "ask", "--provider", PROVIDER, "--usage", "Tell me a long story", NULL };
  ConfabMockResponse *response;
  Reader reader = { 0 };

  /* One delta, then the stream stays open with SSE comments only, which a
   * client skips: the writes let the server notice when the client goes. */
  response = confab_mock_response_new (200, "text/event-stream");
  {
    g_autofree char *a = sse_delta ("Hello");

    confab_mock_response_add_chunk (response, 0, a, -1);
  }
  confab_mock_response_set_endless_chatty (response, 50, ": keep-alive\n\n");
  confab_mock_llm_server_push (fixture->server, response);

  process = spawn_cli (args, fixture->workspace, FALSE);
  reader.stream = g_subprocess_get_stdout_pipe (process);
  reader.text = text;
  read_more (&reader);
  if (!confab_mock_wait_until (reader_stopped, &reader, RUN_TIMEOUT_MS))
    g_error ("No text on stdout while the reply is still open");
  g_assert_no_error (reader.error);
  g_assert_false (reader.eof);
  /* The delta reached the pipe while the server still holds the reply. */
  g_assert_cmpstr (text->str, ==, "Hello");
  g_assert_cmpuint (confab_mock_llm_server_get_n_active (fixture->server), ==, 1);

  g_subprocess_send_signal (process, SIGINT);
  finish_cli (fixture, &r, process, NULL, text);
  assert_status (&r, 130, "ask interrupted");
  g_assert_cmpstr (run_out (&r), ==, "Hello\n");
  assert_err_contains (&r, "\nconfab-cli: cancelled\n");
  assert_err_contains (&r, "tokens in 0, out 0, first token ");

  /* The request really stopped: the server saw the client go away. */
  g_assert_true (confab_mock_wait_until (server_saw_disconnect, fixture->server, RUN_TIMEOUT_MS));
}

/* providers models, providers test */

static void
test_providers_models (Fixture       *fixture,
                       gconstpointer  user_data)
{
  g_auto (Run) r = { 0 };
  const ConfabMockRequest *request;

  confab_mock_llm_server_push (fixture->server, models_response ());
  cli (fixture, &r, "providers", "models", PROVIDER);
  assert_status (&r, 0, "providers models");
  /* Sorted, without duplicates, one a line. */
  g_assert_cmpstr (run_out (&r), ==, "mock-a\nmock-b\n");
  request = last_request (fixture);
  g_assert_cmpstr (request->method, ==, "GET");
  g_assert_cmpstr (request->path, ==, "/v1/models");
  assert_authorized (request);

  confab_mock_llm_server_push (fixture->server, error_response (401, "Bad key"));
  cli (fixture, &r, "providers", "models", PROVIDER);
  assert_status (&r, 1, "providers models (401)");
  g_assert_cmpstr (run_out (&r), ==, "");
  assert_err_contains (&r, "confab-cli: The API key for “Mock” was rejected: Bad key\n");

  confab_mock_llm_server_push (fixture->server,
                               confab_mock_response_new_json (200, "{\"unexpected\": true}"));
  cli (fixture, &r, "providers", "models", PROVIDER);
  assert_status (&r, 1, "providers models (malformed)");
  assert_err_contains (&r, "“Mock”");

  cli (fixture, &r, "providers", "models", "Nobody");
  assert_status (&r, 1, "providers models Nobody");
  assert_err_contains (&r, "“Nobody”");
  cli (fixture, &r, "providers", "models");
  assert_status (&r, 2, "providers models without a provider");
}

static void
test_providers_test (Fixture       *fixture,
                     gconstpointer  user_data)
{
  g_autoptr (ConfabMockLlmServer) gone = confab_mock_llm_server_new ();
  g_autofree char *gone_url = confab_mock_llm_server_get_url (gone, "/v1");
  g_auto (Run) r = { 0 };

  confab_mock_llm_server_push (fixture->server, models_response ());
  cli (fixture, &r, "providers", "test", PROVIDER);
  assert_status (&r, 0, "providers test");
  g_assert_cmpstr (run_out (&r), ==, "Connected to “Mock”\n");
  g_assert_cmpstr (last_request (fixture)->path, ==, "/v1/models");
  assert_authorized (last_request (fixture));

  confab_mock_llm_server_push (fixture->server, error_response (401, "Bad key"));
  cli (fixture, &r, "providers", "test", PROVIDER);
  assert_status (&r, 1, "providers test (401)");
  g_assert_cmpstr (run_out (&r), ==, "");
  assert_err_contains (&r, "confab-cli: The API key for “Mock” was rejected");

  /* A server that went away: its port no longer listens. */
  g_clear_object (&gone);
  add_provider (fixture, "Gone", gone_url, NULL);
  cli (fixture, &r, "providers", "test", "Gone");
  assert_status (&r, 1, "providers test (refused)");
  g_assert_cmpstr (run_out (&r), ==, "");
  assert_err_contains (&r, "” for “Gone”: the connection was refused");
  cli (fixture, &r, "providers", "remove", "Gone");
  assert_status (&r, 0, "providers remove Gone");
}

/* The leak check */

static void
assert_no_canary_in_file (const char *path)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 0;

  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  if (bytes_contain (contents, len, CANARY))
    g_error ("The API key leaked into %s", path);
}

static void
test_no_key_leak (Fixture       *fixture,
                  gconstpointer  user_data)
{
  g_autofree char *wal = g_strconcat (fixture->workspace, "-wal", NULL);
  g_autofree char *shm = g_strconcat (fixture->workspace, "-shm", NULL);
  g_autofree char *export_file = g_build_filename (fixture->dir, "export.json", NULL);
  g_autofree char *echo = g_strdup_printf ("Incorrect API key provided: %s. You can find your "
                                           "API key at https://example.com/keys.", CANARY);
  g_autoptr (ConfabDatabase) db = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (Run) r = { 0 };
  ConfabMockResponse *response;
  guint n_scanned = 0;

  /* An open connection keeps the WAL and shared-memory files in place
   * while the CLI writes and exits, so they can be scanned too. */
  db = confab_database_open (fixture->workspace, &error);
  g_assert_no_error (error);

  /* A successful request: the key really is in the keyring and is sent. */
  confab_mock_llm_server_push (fixture->server, streamed_hello ());
  cli (fixture, &r, "ask", "--provider", PROVIDER, "--usage", "Hi");
  assert_status (&r, 0, "ask");
  assert_authorized (last_request (fixture));

  /* A 401 whose body echoes the key back: scrubbed from the message. */
  confab_mock_llm_server_push (fixture->server, error_response (401, echo));
  cli (fixture, &r, "ask", "--provider", PROVIDER, "--no-stream", "Hi");
  assert_status (&r, 1, "ask (401 echoing the key)");
  assert_err_contains (&r, "The API key for “Mock” was rejected: Incorrect API key provided:");
  assert_authorized (last_request (fixture));

  /* The same in an error event in the middle of a stream. */
  response = confab_mock_response_new (200, "text/event-stream");
  {
    g_autofree char *a = sse_delta ("Before the error");
    g_autofree char *event = g_strdup_printf ("data: {\"error\":{\"message\":\"%s\","
                                              "\"type\":\"invalid_request_error\"}}\n\n", echo);

    confab_mock_response_add_chunk (response, 0, a, -1);
    confab_mock_response_add_chunk (response, 10, event, -1);
  }
  confab_mock_llm_server_push (fixture->server, response);
  cli (fixture, &r, "ask", "--provider", PROVIDER, "Hi");
  assert_status (&r, 1, "ask (error event echoing the key)");
  g_assert_cmpstr (run_out (&r), ==, "Before the error\n");

  /* A reply that is not JSON, quoting the key. */
  {
    g_autofree char *bad = g_strdup_printf ("<html>key %s rejected</html>", CANARY);

    response = confab_mock_response_new (200, "application/json");
    confab_mock_response_set_body (response, bad, -1);
    confab_mock_llm_server_push (fixture->server, response);
  }
  cli (fixture, &r, "providers", "models", PROVIDER);
  assert_status (&r, 1, "providers models (not JSON, quoting the key)");

  confab_mock_llm_server_push (fixture->server, error_response (403, echo));
  cli (fixture, &r, "providers", "test", PROVIDER);
  assert_status (&r, 1, "providers test (403 echoing the key)");

  cli (fixture, &r, "providers", "list");
  assert_status (&r, 0, "providers list");
  g_assert_nonnull (strstr (run_out (&r), "key: yes"));
  cli (fixture, &r, "providers", "list", "--json");
  assert_status (&r, 0, "providers list --json");
  g_assert_nonnull (strstr (run_out (&r), "\"has_key\" : true"));
  cli (fixture, &r, "export");
  assert_status (&r, 0, "export");
  g_assert_nonnull (strstr (run_out (&r), DEFAULT_MODEL));
  cli (fixture, &r, "export", "--output", export_file);
  assert_status (&r, 0, "export --output");

  /* Every output captured, from the set-up on. */
  g_assert_cmpuint (fixture->captured->len, >=, 2 * 10);
  for (guint i = 0; i < fixture->captured->len; i++)
    {
      gsize len;
      const char *data = g_bytes_get_data (g_ptr_array_index (fixture->captured, i), &len);

      if (bytes_contain (data, len, CANARY))
        g_error ("The API key leaked into captured output %u: %s", i, data);
    }

  /* The workspace, its WAL and shared memory, and the export. */
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (shm, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (export_file, G_FILE_TEST_EXISTS));
  {
    g_autoptr (GDir) dir = g_dir_open (fixture->dir, 0, &error);
    const char *name;

    g_assert_no_error (error);
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (fixture->dir, name, NULL);

        assert_no_canary_in_file (path);
        n_scanned++;
      }
  }
  g_assert_cmpuint (n_scanned, >=, 4);

  /* Once closed (the WAL checkpointed into the main file), again. */
  g_clear_object (&db);
  assert_no_canary_in_file (fixture->workspace);

  /* The one place the key may be: the Authorization header it was sent in. */
  for (guint i = 0; i < confab_mock_llm_server_get_n_requests (fixture->server); i++)
    {
      const ConfabMockRequest *request = confab_mock_llm_server_get_request (fixture->server, i);
      gsize len = 0;
      const char *data = request->body ? g_bytes_get_data (request->body, &len) : NULL;

      assert_authorized (request);
      g_assert_false (bytes_contain (data, len, CANARY));
      g_assert_null (strstr (request->path, CANARY));
    }
}

/* `ask` streams from each wire format, each through its own kind of
 * provider, with the key where that API wants it. */
static void
test_ask_each_wire_format (Fixture       *fixture,
                           gconstpointer  user_data)
{
  static const char anthropic_stream[] =
    "event: message_start\n"
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"m1\",\"model\":\"claude-test\","
    "\"usage\":{\"input_tokens\":5,\"output_tokens\":0}}}\n\n"
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello, \"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"w\u00f6rld!\"}}\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":4}}\n\n"
    "event: message_stop\n"
    "data: {\"type\":\"message_stop\"}\n\n";
  static const char gemini_stream[] =
    "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hello, \"}],\"role\":\"model\"}}],"
    "\"modelVersion\":\"gemini-test\"}\r\n\r\n"
    "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"w\u00f6rld!\"}],\"role\":\"model\"},"
    "\"finishReason\":\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":5,\"candidatesTokenCount\":4}}\r\n\r\n";
  static const char ollama_stream[] =
    "{\"model\":\"llama-test\",\"message\":{\"role\":\"assistant\",\"content\":\"Hello, \"},\"done\":false}\n"
    "{\"model\":\"llama-test\",\"message\":{\"role\":\"assistant\",\"content\":\"w\u00f6rld!\"},"
    "\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":5,\"eval_count\":4}\n";
  const struct
  {
    const char *kind;
    const char *prefix;       /* of the base URL */
    const char *stream;
    const char *content_type;
    const char *path;         /* as the server received it */
    const char *key_header;   /* NULL: no key stored */
    const char *key_value;
  } formats[] = {
    { "anthropic", "/v1", anthropic_stream, "text/event-stream", "/v1/messages", "x-api-key", CANARY },
    { "gemini", "/v1beta", gemini_stream, "text/event-stream",
      "/v1beta/models/" DEFAULT_MODEL ":streamGenerateContent?alt=sse", "x-goog-api-key", CANARY },
    { "ollama", "", ollama_stream, "application/x-ndjson", "/api/chat", NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autofree char *url = confab_mock_llm_server_get_url (fixture->server, formats[i].prefix);
      g_autofree char *name = g_strdup_printf ("Mock %s", formats[i].kind);
      ConfabMockResponse *response = confab_mock_response_new (200, formats[i].content_type);
      const ConfabMockRequest *request;
      g_auto (Run) r = { 0 };

      cli (fixture, &r, "providers", "add", "--name", name, "--kind", formats[i].kind,
           "--base-url", url, "--model", DEFAULT_MODEL);
      assert_status (&r, 0, "providers add");
      if (formats[i].key_header != NULL)
        {
          cli_full (fixture, &r, CANARY "\n", "providers", "set-key", name, NULL);
          assert_status (&r, 0, "providers set-key");
        }

      /* Cut every 5 bytes: mid-line, mid-JSON, mid-character. */
      confab_mock_response_add_pieces (response, formats[i].stream, 5, 1);
      confab_mock_llm_server_push (fixture->server, response);

      cli (fixture, &r, "ask", "--provider", name, "--usage", "Say", "hello");
      assert_status (&r, 0, formats[i].kind);
      g_assert_cmpstr (run_out (&r), ==, "Hello, wörld!\n");
      assert_err_contains (&r, "tokens in 5, out 4");

      request = last_request (fixture);
      g_assert_cmpstr (request->method, ==, "POST");
      g_assert_cmpstr (request->path, ==, formats[i].path);
      g_assert_null (strstr (request->path, CANARY));
      g_assert_null (confab_mock_request_get_header (request, "Authorization"));
      if (formats[i].key_header != NULL)
        g_assert_cmpstr (confab_mock_request_get_header (request, formats[i].key_header), ==,
                         formats[i].key_value);

      cli (fixture, &r, "providers", "remove", name);
      assert_status (&r, 0, "providers remove");
    }
}

int
main (int    argc,
      char **argv)
{
  /* A command that exits before reading its input must not kill us. */
  signal (SIGPIPE, SIG_IGN);
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/confab/cli-llm/ask/streams", test_ask_streams);
  ADD ("/confab/cli-llm/ask/each-wire-format", test_ask_each_wire_format);
  ADD ("/confab/cli-llm/ask/options", test_ask_options);
  ADD ("/confab/cli-llm/ask/usage-line", test_ask_usage_line);
  ADD ("/confab/cli-llm/ask/no-stream", test_ask_no_stream);
  ADD ("/confab/cli-llm/ask/errors", test_ask_errors);
  ADD ("/confab/cli-llm/ask/usage-errors", test_ask_usage_errors);
  ADD ("/confab/cli-llm/ask/no-keyring", test_ask_no_keyring);
  ADD ("/confab/cli-llm/ask/interrupt", test_ask_interrupt);
  ADD ("/confab/cli-llm/providers/models", test_providers_models);
  ADD ("/confab/cli-llm/providers/test", test_providers_test);
  ADD ("/confab/cli-llm/leak/no-key", test_no_key_leak);

#undef ADD

  return g_test_run ();
}
