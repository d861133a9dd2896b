#include "config.h"

#include <string.h>

#include "confab-chat-request.h"
#include "confab-chat-result.h"
#include "confab-llm-client.h"
#include "confab-mock-llm-server.h"
#include "confab-ollama-client.h"
#include "confab-test-util.h"

#define PROVIDER "Local Ollama"
#define MODEL    "llama3.2"
#define SERVED   "llama3.2:latest" /* the name the server reports */
#define NDJSON   "application/x-ndjson"
#define WAIT_MS  10000

/* ---- the wire format ---- */

/* One streamed line with text (no quotes or backslashes in content). */
static char *
content_line (const char *content)
{
  return g_strdup_printf ("{\"model\":\"" SERVED "\",\"created_at\":\"2025-05-01T10:00:00.000Z\","
                          "\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},"
                          "\"done\":false}\n",
                          content);
}

/* The last line, with usage and the finish reason. */
static char *
done_line (const char *reason,
           int         tokens_in,
           int         tokens_out)
{
  return g_strdup_printf ("{\"model\":\"" SERVED "\",\"created_at\":\"2025-05-01T10:00:01.000Z\","
                          "\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
                          "\"done\":true,\"done_reason\":\"%s\",\"total_duration\":4883583458,"
                          "\"load_duration\":1334875,\"prompt_eval_count\":%d,"
                          "\"prompt_eval_duration\":342546000,\"eval_count\":%d,"
                          "\"eval_duration\":4535599000}\n",
                          reason, tokens_in, tokens_out);
}

/* Lines (each content_line()/done_line() result, taken) joined. */
static char *
join_lines (char *first,
            ...)
{
  GString *out = g_string_new (NULL);
  va_list args;

  va_start (args, first);
  for (char *line = first; line != NULL; line = va_arg (args, char *))
    {
      g_string_append (out, line);
      g_free (line);
    }
  va_end (args);
  return g_string_free (out, FALSE);
}

/* ---- running calls ---- */

typedef struct
{
  GString          *deltas;
  guint             n_deltas;
  gboolean          deltas_valid;
  guint             cancel_after;  /* cancel once this many deltas came; 0: never */
  GCancellable     *cancellable;
  gboolean          finished;
  gboolean          ok;
  ConfabChatResult *result;
  GError           *error;
} ChatRun;

static ChatRun *
chat_run_new (void)
{
  ChatRun *run = g_new0 (ChatRun, 1);

  run->deltas = g_string_new (NULL);
  run->deltas_valid = TRUE;
  run->cancellable = g_cancellable_new ();
  return run;
}

static void
chat_run_free (ChatRun *run)
{
  g_string_free (run->deltas, TRUE);
  g_clear_object (&run->cancellable);
  g_clear_object (&run->result);
  g_clear_error (&run->error);
  g_free (run);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ChatRun, chat_run_free)

static void
on_delta (const char *text,
          gpointer    user_data)
{
  ChatRun *run = user_data;

  if (text == NULL || *text == '\0' || !g_utf8_validate (text, -1, NULL))
    run->deltas_valid = FALSE;
  g_string_append (run->deltas, text);
  run->n_deltas++;
  if (run->cancel_after > 0 && run->n_deltas == run->cancel_after)
    g_cancellable_cancel (run->cancellable);
}

static void
on_chat_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  ChatRun *run = user_data;

  run->ok = confab_llm_client_chat_finish (CONFAB_LLM_CLIENT (object), result, &run->result,
                                           &run->error);
  run->finished = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

static ChatRun *
run_chat_full (ConfabLlmClient   *client,
               ConfabChatRequest *request,
               guint              cancel_after)
{
  ChatRun *run = chat_run_new ();

  run->cancel_after = cancel_after;
  confab_llm_client_chat_async (client, request, on_delta, run, run->cancellable,
                                on_chat_done, run);
  g_assert_true (confab_mock_wait_until (is_true, &run->finished, WAIT_MS));
  /* The result is there, failure or not. */
  g_assert_nonnull (run->result);
  g_assert_true (run->deltas_valid);
  g_assert_true (run->ok == (run->error == NULL));
  return run;
}

static ChatRun *
run_chat (ConfabLlmClient   *client,
          ConfabChatRequest *request)
{
  return run_chat_full (client, request, 0);
}

static ConfabChatRequest *
simple_request (void)
{
  ConfabChatRequest *request = confab_chat_request_new (MODEL);

  confab_chat_request_add_message (request, "user", "Hello?");
  return request;
}

static ConfabLlmClient *
new_client (ConfabMockLlmServer *server,
            const char          *api_key)
{
  g_autofree char *url = confab_mock_llm_server_get_url (server, "");
  ConfabLlmClient *client = confab_ollama_client_new (PROVIDER, url, api_key);

  g_assert_true (CONFAB_IS_OLLAMA_CLIENT (client));
  /* Short backoff, in case a test meets a retry. */
  g_object_set (client, "retry-delay-ms", 10, NULL);
  return client;
}

static void
assert_message_contains (const GError *error,
                         const char   *text)
{
  if (strstr (error->message, text) == NULL)
    g_error ("“%s” is not in the error message “%s”", text, error->message);
}

/* Success, with all of a reply's parts. */
static void
assert_reply (ChatRun    *run,
              const char *text,
              const char *finish_reason,
              gint64      tokens_in,
              gint64      tokens_out)
{
  g_assert_no_error (run->error);
  g_assert_true (run->ok);
  g_assert_cmpstr (confab_chat_result_get_text (run->result), ==, text);
  g_assert_cmpstr (run->deltas->str, ==, text);
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run->result), ==, finish_reason);
  g_assert_cmpstr (confab_chat_result_get_model (run->result), ==, SERVED);
  g_assert_cmpint (confab_chat_result_get_tokens_in (run->result), ==, tokens_in);
  g_assert_cmpint (confab_chat_result_get_tokens_out (run->result), ==, tokens_out);
  g_assert_cmpint (confab_chat_result_get_first_token_ms (run->result), >=, 0);
  g_assert_cmpint (confab_chat_result_get_total_ms (run->result), >=,
                   confab_chat_result_get_first_token_ms (run->result));
}

/* Failure with code, the provider named, and the text kept. */
static void
assert_failure (ChatRun    *run,
                GQuark      domain,
                int         code,
                const char *partial_text)
{
  g_assert_error (run->error, domain, code);
  g_assert_false (run->ok);
  assert_message_contains (run->error, "“" PROVIDER "”");
  g_assert_cmpstr (confab_chat_result_get_text (run->result), ==, partial_text);
  g_assert_cmpstr (run->deltas->str, ==, partial_text);
}

static gboolean
has_disconnect (gpointer data)
{
  return confab_mock_llm_server_get_n_disconnects (data) >= 1;
}

/* ---- streaming ---- */

static void
test_stream_pieces (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();
  g_autoptr (ChatRun) run = NULL;
  ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);
  const ConfabMockRequest *received;
  g_autofree char *body = NULL;

  /* Accents (é cut in all three positions by 3-byte pieces), a 4-byte
   * emoji, a JSON escape, and a line after the last one that is ignored. */
  body = join_lines (content_line ("Caf"),
                     content_line ("é ééé au lait"),
                     content_line (" \\u00e9t\\u00e9 🎉"),
                     content_line ("!"),
                     done_line ("stop", 26, 298),
                     content_line ("IGNORED"),
                     NULL);
  confab_mock_response_add_pieces (response, body, 3, 1);
  confab_mock_llm_server_push (server, response);

  run = run_chat (client, request);
  assert_reply (run, "Café ééé au lait été 🎉!", "stop", 26, 298);
  g_assert_cmpuint (run->n_deltas, ==, 4);

  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
  received = confab_mock_llm_server_get_request (server, 0);
  g_assert_cmpstr (received->method, ==, "POST");
  g_assert_cmpstr (received->path, ==, "/api/chat");
}

static void
test_stream_slow_lines (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();
  g_autoptr (ChatRun) run = NULL;
  ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);
  g_autofree char *first = content_line ("One ");
  g_autofree char *second = content_line ("two 😀 ");
  g_autofree char *third = content_line ("three.");
  g_autofree char *last = done_line ("length", 7, 3);
  gsize cut = strstr (second, "😀") - second + 2; /* in the emoji */

  /* Lines cut in two, with pauses between the halves and between lines. */
  confab_mock_response_add_chunk (response, 0, first, 10);
  confab_mock_response_add_chunk (response, 30, first + 10, -1);
  confab_mock_response_add_chunk (response, 30, second, cut);
  confab_mock_response_add_chunk (response, 30, second + cut, -1);
  confab_mock_response_add_chunk (response, 30, third, -1);
  confab_mock_response_add_chunk (response, 30, last, -1);
  confab_mock_llm_server_push (server, response);

  run = run_chat (client, request);
  assert_reply (run, "One two 😀 three.", "length", 7, 3);
  g_assert_cmpuint (run->n_deltas, ==, 3);
}

static void
test_stream_last_line_without_newline (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();
  g_autoptr (ChatRun) run = NULL;
  ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);
  g_autofree char *first = content_line ("No newline ");
  g_autofree char *second = content_line ("at the end");
  g_autofree char *last = done_line ("stop", 12, 4);

  last[strlen (last) - 1] = '\0';
  confab_mock_response_add_chunk (response, 0, first, -1);
  confab_mock_response_add_chunk (response, 10, second, -1);
  confab_mock_response_add_chunk (response, 10, last, 25);
  confab_mock_response_add_chunk (response, 10, last + 25, -1);
  confab_mock_llm_server_push (server, response);

  run = run_chat (client, request);
  assert_reply (run, "No newline at the end", "stop", 12, 4);
}

static void
test_stream_blank_lines (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();
  g_autoptr (ChatRun) run = NULL;
  ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);
  g_autofree char *body = NULL;
  g_autofree char *first = content_line ("Blank ");
  g_autofree char *second = content_line ("lines");
  g_autofree char *last = done_line ("stop", 5, 2);

  /* Empty lines, \r\n, and a line of spaces between the objects. */
  first[strlen (first) - 1] = '\0';
  body = g_strconcat ("\n", first, "\r\n\n\n  \t \n", second, "\r\n\r\n", last, "\n\n", NULL);
  confab_mock_response_add_pieces (response, body, 16, 1);
  confab_mock_llm_server_push (server, response);

  run = run_chat (client, request);
  assert_reply (run, "Blank lines", "stop", 5, 2);
}

static void
test_request_body (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = confab_chat_request_new (MODEL);
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *body = join_lines (content_line ("ok"), done_line ("stop", 1, 1), NULL);
  const ConfabMockRequest *received;
  JsonObject *object;
  JsonArray *messages;
  JsonObject *options;
  static const char * const expected[][2] = {
    { "system", "You are terse." },
    { "user", "Hi" },
    { "assistant", "Hello." },
    { "user", "Say “ok” 👍" },
  };

  confab_chat_request_set_system (request, "You are terse.");
  confab_chat_request_add_message (request, "user", "Hi");
  confab_chat_request_add_message (request, "assistant", "Hello.");
  confab_chat_request_add_message (request, "user", "Say “ok” 👍");

  /* No key, no sampling settings. */
  {
    ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);
    g_autoptr (ChatRun) run = NULL;

    confab_mock_response_add_chunk (response, 0, body, -1);
    confab_mock_llm_server_push (server, response);
    run = run_chat (client, request);
    assert_reply (run, "ok", "stop", 1, 1);
  }

  received = confab_mock_llm_server_get_request (server, 0);
  g_assert_cmpstr (received->method, ==, "POST");
  g_assert_cmpstr (received->path, ==, "/api/chat");
  g_assert_null (confab_mock_request_get_header (received, "Authorization"));
  g_assert_true (soup_message_headers_header_contains (received->headers, "Content-Type",
                                                       "application/json"));
  root = confab_mock_request_get_json (received);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  object = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (object, "model"), ==, MODEL);
  g_assert_true (json_object_get_boolean_member (object, "stream"));
  g_assert_false (json_object_has_member (object, "options"));
  messages = json_object_get_array_member (object, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      JsonObject *message = json_array_get_object_element (messages, i);

      g_assert_cmpuint (json_object_get_size (message), ==, 2);
      g_assert_cmpstr (json_object_get_string_member (message, "role"), ==, expected[i][0]);
      g_assert_cmpstr (json_object_get_string_member (message, "content"), ==, expected[i][1]);
    }
  g_clear_pointer (&root, json_node_unref);

  /* A key (an Ollama behind a proxy) and both settings. */
  confab_llm_client_set_api_key (client, "proxy-key-123");
  confab_chat_request_set_temperature (request, 0.25);
  confab_chat_request_set_max_tokens (request, 128);
  {
    ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);
    g_autoptr (ChatRun) run = NULL;

    confab_mock_response_add_chunk (response, 0, body, -1);
    confab_mock_llm_server_push (server, response);
    run = run_chat (client, request);
    assert_reply (run, "ok", "stop", 1, 1);
  }

  received = confab_mock_llm_server_get_request (server, 1);
  g_assert_cmpstr (confab_mock_request_get_header (received, "Authorization"), ==,
                   "Bearer proxy-key-123");
  root = confab_mock_request_get_json (received);
  object = json_node_get_object (root);
  g_assert_true (json_object_get_boolean_member (object, "stream"));
  options = json_object_get_object_member (object, "options");
  g_assert_nonnull (options);
  g_assert_cmpuint (json_object_get_size (options), ==, 2);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (options, "temperature"), 0.25, 1e-9);
  g_assert_cmpint (json_object_get_int_member (options, "num_predict"), ==, 128);
  g_assert_false (json_object_has_member (object, "temperature"));
  g_assert_false (json_object_has_member (object, "max_tokens"));
  g_clear_pointer (&root, json_node_unref);

  /* Only the temperature (0 is a setting too). */
  confab_llm_client_set_api_key (client, NULL);
  confab_chat_request_set_temperature (request, 0.0);
  confab_chat_request_set_max_tokens (request, 0);
  {
    ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);
    g_autoptr (ChatRun) run = NULL;

    confab_mock_response_add_chunk (response, 0, body, -1);
    confab_mock_llm_server_push (server, response);
    run = run_chat (client, request);
    assert_reply (run, "ok", "stop", 1, 1);
  }

  received = confab_mock_llm_server_get_request (server, 2);
  g_assert_null (confab_mock_request_get_header (received, "Authorization"));
  root = confab_mock_request_get_json (received);
  options = json_object_get_object_member (json_node_get_object (root), "options");
  g_assert_nonnull (options);
  g_assert_cmpuint (json_object_get_size (options), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (options, "temperature"), ==, 0.0);
}

/* ---- errors ---- */

static void
test_model_not_found (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = confab_chat_request_new ("nope");
  g_autoptr (ChatRun) run = NULL;

  confab_chat_request_add_message (request, "user", "Hello?");
  confab_mock_llm_server_push (server, confab_mock_response_new_json (
    404, "{\"error\":\"model 'nope' not found, try pulling it first\"}"));

  run = run_chat (client, request);
  assert_failure (run, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND, "");
  assert_message_contains (run->error, "“nope”");
  assert_message_contains (run->error, "model 'nope' not found, try pulling it first");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
}

static void
test_server_error (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();
  g_autoptr (ChatRun) run = NULL;

  confab_mock_llm_server_push (server, confab_mock_response_new_json (
    500, "{\"error\":\"llama runner process has terminated: exit status 2\"}"));

  run = run_chat (client, request);
  assert_failure (run, CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "");
  assert_message_contains (run->error, "500");
  assert_message_contains (run->error, "llama runner process has terminated: exit status 2");
  /* 500 is not retried. */
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
}

static void
test_error_mid_stream (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();
  g_autoptr (ChatRun) run = NULL;
  ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);
  g_autofree char *first = content_line ("Partial ");
  g_autofree char *second = content_line ("answ");

  confab_mock_response_add_chunk (response, 0, first, -1);
  confab_mock_response_add_chunk (response, 10, second, -1);
  confab_mock_response_add_chunk (response, 10,
                                  "{\"error\":\"an error was encountered while running the model: "
                                  "CUDA error: out of memory\"}\n", -1);
  confab_mock_response_add_chunk (response, 10, "{\"never\":\"read\"}\n", -1);
  confab_mock_llm_server_push (server, response);

  run = run_chat (client, request);
  assert_failure (run, CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "Partial answ");
  assert_message_contains (run->error, "CUDA error: out of memory");
  assert_message_contains (run->error, "“" MODEL "”");
  g_assert_cmpstr (confab_chat_result_get_model (run->result), ==, SERVED);
}

static void
test_dropped_connection (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();
  g_autoptr (ChatRun) run = NULL;
  ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);
  g_autofree char *first = content_line ("Cut ");
  g_autofree char *second = content_line ("off");
  g_autofree char *third = content_line (" never seen");
  g_autofree char *last = done_line ("stop", 1, 3);

  confab_mock_response_add_chunk (response, 0, first, -1);
  confab_mock_response_add_chunk (response, 10, second, -1);
  confab_mock_response_add_chunk (response, 10, third, 20); /* half a line */
  confab_mock_response_add_chunk (response, 10, third + 20, -1);
  confab_mock_response_add_chunk (response, 10, last, -1);
  confab_mock_response_set_drop_after (response, 3);
  confab_mock_llm_server_push (server, response);

  run = run_chat (client, request);
  assert_failure (run, CONFAB_ERROR, CONFAB_ERROR_NETWORK, "Cut off");
  assert_message_contains (run->error, "closed before the reply was complete");
  g_assert_cmpint (confab_chat_result_get_tokens_out (run->result), ==, 0);
}

static void
test_incomplete_body (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();
  g_autofree char *first = content_line ("Where is ");
  g_autofree char *second = content_line ("the end");
  g_autofree char *last = done_line ("stop", 1, 3);

  /* The body ends properly, after whole lines, without "done": true. */
  {
    ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);
    g_autoptr (ChatRun) run = NULL;

    confab_mock_response_add_chunk (response, 0, first, -1);
    confab_mock_response_add_chunk (response, 10, second, -1);
    confab_mock_llm_server_push (server, response);

    run = run_chat (client, request);
    assert_failure (run, CONFAB_ERROR, CONFAB_ERROR_NETWORK, "Where is the end");
    assert_message_contains (run->error, "closed before the reply was complete");
  }

  /* The body ends properly in the middle of the last line. */
  {
    ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);
    g_autoptr (ChatRun) run = NULL;

    confab_mock_response_add_chunk (response, 0, first, -1);
    confab_mock_response_add_chunk (response, 10, second, -1);
    confab_mock_response_add_chunk (response, 10, last, 40);
    confab_mock_llm_server_push (server, response);

    run = run_chat (client, request);
    assert_failure (run, CONFAB_ERROR, CONFAB_ERROR_NETWORK, "Where is the end");
    assert_message_contains (run->error, "closed before the reply was complete");
  }
}

static void
test_invalid_json (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();
  g_autoptr (ChatRun) run = NULL;
  ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);
  g_autofree char *first = content_line ("Fine so far");
  g_autofree char *last = done_line ("stop", 1, 3);

  confab_mock_response_add_chunk (response, 0, first, -1);
  confab_mock_response_add_chunk (response, 10, "<html>502 Bad Gateway from the proxy</html>\n", -1);
  confab_mock_response_add_chunk (response, 10, last, -1);
  confab_mock_llm_server_push (server, response);

  run = run_chat (client, request);
  assert_failure (run, CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "Fine so far");
  assert_message_contains (run->error, "could not be read");
  assert_message_contains (run->error, "<html>502 Bad Gateway from the proxy</html>");
}

static void
test_not_an_object (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();
  g_autoptr (ChatRun) run = NULL;
  ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);

  /* JSON, but not an object. */
  confab_mock_response_add_chunk (response, 0, "[1, 2, 3]\n", -1);
  confab_mock_llm_server_push (server, response);

  run = run_chat (client, request);
  assert_failure (run, CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "");
  assert_message_contains (run->error, "[1, 2, 3]");
}

static void
test_cancel (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();
  g_autoptr (ChatRun) run = NULL;
  ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);
  g_autofree char *first = content_line ("Once upon a time");
  g_autofree char *more = content_line (", and then");
  const char *text;

  confab_mock_response_add_chunk (response, 0, first, -1);
  confab_mock_response_set_endless_chatty (response, 10, more);
  confab_mock_llm_server_push (server, response);

  /* Cancelled from the third delta on. */
  run = run_chat_full (client, request, 3);
  g_assert_error (run->error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_message_contains (run->error, "“" PROVIDER "”");
  text = confab_chat_result_get_text (run->result);
  g_assert_cmpstr (text, ==, "Once upon a time, and then, and then");
  g_assert_cmpstr (run->deltas->str, ==, text);
  g_assert_cmpuint (run->n_deltas, ==, 3);

  /* The transfer stopped: the server saw the client go. */
  g_assert_true (confab_mock_wait_until (has_disconnect, server, WAIT_MS));
  g_assert_cmpuint (confab_mock_llm_server_get_n_disconnects (server), ==, 1);
}

static void
test_idle_timeout (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();
  g_autoptr (ChatRun) run = NULL;
  ConfabMockResponse *response = confab_mock_response_new (200, NDJSON);
  g_autofree char *first = content_line ("Thinking");

  confab_llm_client_set_idle_timeout (client, 1);
  confab_mock_response_add_chunk (response, 0, first, -1);
  confab_mock_response_add_chunk (response, 10, "{\"model\":\"" SERVED "\",\"mess", -1);
  confab_mock_response_set_endless_silent (response);
  confab_mock_llm_server_push (server, response);

  run = run_chat (client, request);
  assert_failure (run, CONFAB_ERROR, CONFAB_ERROR_TIMEOUT, "Thinking");
  assert_message_contains (run->error, "idle");
  /* The client closes the connection here too, but a paused, silent
   * response gives the mock server no write that would notice it, so
   * get_n_disconnects () cannot tell. */
}

/* ---- not streamed ---- */

static void
test_not_streamed (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();
  g_autoptr (ChatRun) run = NULL;
  g_autoptr (JsonNode) root = NULL;
  const ConfabMockRequest *received;

  confab_llm_client_set_supports_streaming (client, FALSE);
  confab_mock_llm_server_push (server, confab_mock_response_new_json (
    200,
    "{\"model\":\"" SERVED "\",\"created_at\":\"2025-05-01T10:00:00Z\","
    "\"message\":{\"role\":\"assistant\",\"content\":\"All at once: é 🎉\"},"
    "\"done_reason\":\"stop\",\"done\":true,\"total_duration\":5191566416,"
    "\"load_duration\":2154458,\"prompt_eval_count\":26,\"prompt_eval_duration\":383809000,"
    "\"eval_count\":298,\"eval_duration\":4799921000}"));

  run = run_chat (client, request);
  assert_reply (run, "All at once: é 🎉", "stop", 26, 298);
  g_assert_cmpuint (run->n_deltas, ==, 1);

  received = confab_mock_llm_server_get_request (server, 0);
  g_assert_cmpstr (received->path, ==, "/api/chat");
  root = confab_mock_request_get_json (received);
  g_assert_false (json_object_get_boolean_member (json_node_get_object (root), "stream"));
}

static void
test_not_streamed_errors (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();

  confab_llm_client_set_supports_streaming (client, FALSE);

  /* Not JSON. */
  {
    g_autoptr (ChatRun) run = NULL;

    confab_mock_llm_server_push (server, confab_mock_response_new_json (200, "{\"model\":"));
    run = run_chat (client, request);
    assert_failure (run, CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "");
    assert_message_contains (run->error, "{\"model\":");
  }

  /* JSON without a message. */
  {
    g_autoptr (ChatRun) run = NULL;

    confab_mock_llm_server_push (server, confab_mock_response_new_json (200, "{\"status\":\"ok\"}"));
    run = run_chat (client, request);
    assert_failure (run, CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "");
    assert_message_contains (run->error, "{\"status\":\"ok\"}");
  }

  /* An error object with a 200. */
  {
    g_autoptr (ChatRun) run = NULL;

    confab_mock_llm_server_push (server, confab_mock_response_new_json (
      200, "{\"error\":\"unexpected server status: llm server loading model\"}"));
    run = run_chat (client, request);
    assert_failure (run, CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "");
    assert_message_contains (run->error, "unexpected server status: llm server loading model");
  }
}

static void
test_streamed_request_json_reply (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = simple_request ();
  g_autoptr (ChatRun) run = NULL;

  /* A proxy that answered a streamed request with one JSON object. */
  confab_mock_llm_server_push (server, confab_mock_response_new_json (
    200,
    "{\"model\":\"" SERVED "\",\"message\":{\"role\":\"assistant\",\"content\":\"Whole\"},"
    "\"done\":true,\"done_reason\":\"stop\",\"prompt_eval_count\":3,\"eval_count\":1}"));

  run = run_chat (client, request);
  assert_reply (run, "Whole", "stop", 3, 1);
  g_assert_cmpuint (run->n_deltas, ==, 1);
}

/* ---- models and connection test ---- */

typedef struct
{
  gboolean  finished;
  char    **models;
  gboolean  ok;
  GError   *error;
} ModelsRun;

static void
on_models_done (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  ModelsRun *run = user_data;

  run->models = confab_llm_client_list_models_finish (CONFAB_LLM_CLIENT (object), result,
                                                      &run->error);
  run->finished = TRUE;
}

static void
on_test_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  ModelsRun *run = user_data;

  run->ok = confab_llm_client_test_connection_finish (CONFAB_LLM_CLIENT (object), result,
                                                      &run->error);
  run->finished = TRUE;
}

static void
test_list_models (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  ModelsRun run = { 0, };
  const ConfabMockRequest *received;
  static const char * const expected[] = { "llama3.2:latest", "mistral:7b", "qwen2.5:0.5b", NULL };

  confab_mock_llm_server_push (server, confab_mock_response_new_json (
    200,
    "{\"models\":["
    "{\"name\":\"qwen2.5:0.5b\",\"model\":\"qwen2.5:0.5b\",\"modified_at\":\"2025-04-01T10:00:00Z\","
    "\"size\":397821319,\"digest\":\"a8b0\",\"details\":{\"format\":\"gguf\",\"family\":\"qwen2\"}},"
    "{\"name\":\"llama3.2:latest\",\"model\":\"llama3.2:latest\",\"size\":2019393189},"
    "{\"model\":\"mistral:7b\"},"
    "{\"name\":\"\"},"
    "\"not an object\","
    "{\"name\":\"llama3.2:latest\"}"
    "]}"));

  confab_llm_client_list_models_async (client, NULL, on_models_done, &run);
  g_assert_true (confab_mock_wait_until (is_true, &run.finished, WAIT_MS));
  g_assert_no_error (run.error);
  g_assert_cmpstrv (run.models, expected);
  g_clear_pointer (&run.models, g_strfreev);

  received = confab_mock_llm_server_get_request (server, 0);
  g_assert_cmpstr (received->method, ==, "GET");
  g_assert_cmpstr (received->path, ==, "/api/tags");
  g_assert_null (confab_mock_request_get_header (received, "Authorization"));

  /* No models pulled yet: an empty list, not an error. */
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200, "{\"models\":[]}"));
  run = (ModelsRun) { 0, };
  confab_llm_client_list_models_async (client, NULL, on_models_done, &run);
  g_assert_true (confab_mock_wait_until (is_true, &run.finished, WAIT_MS));
  g_assert_no_error (run.error);
  g_assert_nonnull (run.models);
  g_assert_cmpuint (g_strv_length (run.models), ==, 0);
  g_clear_pointer (&run.models, g_strfreev);

  /* Not Ollama's answer. */
  confab_mock_llm_server_push (server, confab_mock_response_new_json (
    200, "{\"object\":\"list\",\"data\":[]}"));
  run = (ModelsRun) { 0, };
  confab_llm_client_list_models_async (client, NULL, on_models_done, &run);
  g_assert_true (confab_mock_wait_until (is_true, &run.finished, WAIT_MS));
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  g_assert_null (run.models);
  assert_message_contains (run.error, "“" PROVIDER "”");
  assert_message_contains (run.error, "{\"object\":\"list\",\"data\":[]}");
  g_clear_error (&run.error);

  /* With a key. */
  confab_llm_client_set_api_key (client, "proxy-key-456");
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200, "{\"models\":[]}"));
  run = (ModelsRun) { 0, };
  confab_llm_client_list_models_async (client, NULL, on_models_done, &run);
  g_assert_true (confab_mock_wait_until (is_true, &run.finished, WAIT_MS));
  g_assert_no_error (run.error);
  g_clear_pointer (&run.models, g_strfreev);
  received = confab_mock_llm_server_get_request (server, 3);
  g_assert_cmpstr (confab_mock_request_get_header (received, "Authorization"), ==,
                   "Bearer proxy-key-456");
}

static void
test_connection (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = new_client (server, NULL);
  ModelsRun run = { 0, };

  /* Up. */
  confab_mock_llm_server_push (server, confab_mock_response_new_json (
    200, "{\"models\":[{\"name\":\"llama3.2:latest\"}]}"));
  confab_llm_client_test_connection_async (client, NULL, on_test_done, &run);
  g_assert_true (confab_mock_wait_until (is_true, &run.finished, WAIT_MS));
  g_assert_no_error (run.error);
  g_assert_true (run.ok);
  g_assert_cmpstr (confab_mock_llm_server_get_request (server, 0)->path, ==, "/api/tags");

  /* Something else at that URL: Go's plain-text 404. */
  {
    ConfabMockResponse *response = confab_mock_response_new (404, "text/plain");

    confab_mock_response_set_body (response, "404 page not found", -1);
    confab_mock_llm_server_push (server, response);
  }
  run = (ModelsRun) { 0, };
  confab_llm_client_test_connection_async (client, NULL, on_test_done, &run);
  g_assert_true (confab_mock_wait_until (is_true, &run.finished, WAIT_MS));
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_false (run.ok);
  assert_message_contains (run.error, "“" PROVIDER "”");
  g_clear_error (&run.error);
}

static void
test_connection_refused (void)
{
  g_autoptr (ConfabLlmClient) client = NULL;
  ModelsRun run = { 0, };
  g_autofree char *url = NULL;

  /* A port that nothing listens on any more. */
  {
    g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();

    url = confab_mock_llm_server_get_url (server, "");
  }
  client = confab_ollama_client_new (PROVIDER, url, NULL);

  confab_llm_client_test_connection_async (client, NULL, on_test_done, &run);
  g_assert_true (confab_mock_wait_until (is_true, &run.finished, WAIT_MS));
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NETWORK);
  g_assert_false (run.ok);
  assert_message_contains (run.error, "“" PROVIDER "”");
  assert_message_contains (run.error, "127.0.0.1");
  g_clear_error (&run.error);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/confab/llm/ollama/stream-pieces", test_stream_pieces);
  g_test_add_func ("/confab/llm/ollama/stream-slow-lines", test_stream_slow_lines);
  g_test_add_func ("/confab/llm/ollama/stream-last-line-without-newline",
                   test_stream_last_line_without_newline);
  g_test_add_func ("/confab/llm/ollama/stream-blank-lines", test_stream_blank_lines);
  g_test_add_func ("/confab/llm/ollama/request-body", test_request_body);
  g_test_add_func ("/confab/llm/ollama/model-not-found", test_model_not_found);
  g_test_add_func ("/confab/llm/ollama/server-error", test_server_error);
  g_test_add_func ("/confab/llm/ollama/error-mid-stream", test_error_mid_stream);
  g_test_add_func ("/confab/llm/ollama/dropped-connection", test_dropped_connection);
  g_test_add_func ("/confab/llm/ollama/incomplete-body", test_incomplete_body);
  g_test_add_func ("/confab/llm/ollama/invalid-json", test_invalid_json);
  g_test_add_func ("/confab/llm/ollama/not-an-object", test_not_an_object);
  g_test_add_func ("/confab/llm/ollama/cancel", test_cancel);
  g_test_add_func ("/confab/llm/ollama/idle-timeout", test_idle_timeout);
  g_test_add_func ("/confab/llm/ollama/not-streamed", test_not_streamed);
  g_test_add_func ("/confab/llm/ollama/not-streamed-errors", test_not_streamed_errors);
  g_test_add_func ("/confab/llm/ollama/streamed-request-json-reply",
                   test_streamed_request_json_reply);
  g_test_add_func ("/confab/llm/ollama/list-models", test_list_models);
  g_test_add_func ("/confab/llm/ollama/test-connection", test_connection);
  g_test_add_func ("/confab/llm/ollama/connection-refused", test_connection_refused);

  return g_test_run ();
}
