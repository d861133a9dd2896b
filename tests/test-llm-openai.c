#include "config.h"

#include <string.h>

#include "confab-chat-request.h"
#include "confab-chat-result.h"
#include "confab-llm-client.h"
#include "confab-llm-test-run.h"
#include "confab-mock-llm-server.h"
#include "confab-anthropic-client.h"
#include "confab-gemini-client.h"
#include "confab-ollama-client.h"
#include "confab-openai-client.h"
#include "confab-test-util.h"

#define MODEL       "gpt-test"
#define SERVER_MODEL "gpt-test-0613"
#define CANARY_KEY  "sk-canary-7f3a9c1e5b2d8f4a6c0e"

/* ------------------------------------------------------------------------ */
/* Log capture: every message at every level, for the key-leak scan.        */
/* ------------------------------------------------------------------------ */

static GString *captured_log;
static GMutex captured_log_lock;

static GLogWriterOutput
capture_writer (GLogLevelFlags   log_level,
                const GLogField *fields,
                gsize            n_fields,
                gpointer         user_data)
{
  g_mutex_lock (&captured_log_lock);
  for (gsize i = 0; i < n_fields; i++)
    {
      if (fields[i].length < 0)
        g_string_append_printf (captured_log, "%s=%s ", fields[i].key, (const char *) fields[i].value);
      else if (g_utf8_validate (fields[i].value, fields[i].length, NULL))
        g_string_append_printf (captured_log, "%s=%.*s ", fields[i].key, (int) fields[i].length,
                                (const char *) fields[i].value);
    }
  g_string_append_c (captured_log, '\n');
  g_mutex_unlock (&captured_log_lock);

  /* Debug output stays in the capture; anything louder is shown (and is
   * fatal under g_test_init ()). */
  if (log_level & (G_LOG_LEVEL_DEBUG | G_LOG_LEVEL_INFO))
    return G_LOG_WRITER_HANDLED;
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

/* ------------------------------------------------------------------------ */
/* Running a call                                                           */
/* ------------------------------------------------------------------------ */

static void
run_chat (ConfabLlmClient *client,
          ChatRun         *run)
{
  g_autoptr (ConfabChatRequest) request = confab_chat_request_new (MODEL);

  confab_chat_request_add_message (request, "user", "Hello?");
  run_chat_full (client, request, NULL, run);
}

static ConfabLlmClient *
make_client (ConfabMockLlmServer *server,
             const char          *key)
{
  g_autofree char *url = confab_mock_llm_server_get_url (server, "/v1");
  ConfabLlmClient *client = confab_openai_client_new ("Mock", url, key);

  /* Backoff without Retry-After starts at 10 ms instead of a second. */
  g_object_set (client, "retry-delay-ms", 10, NULL);
  return client;
}

/* ------------------------------------------------------------------------ */
/* Building OpenAI streams                                                  */
/* ------------------------------------------------------------------------ */

static char *
json_quote (const char *text)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (node, text);
  return json_to_string (node, FALSE);
}

static char *
sse_delta (const char *content)
{
  g_autofree char *quoted = json_quote (content);

  return g_strdup_printf ("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\","
                          "\"model\":\"" SERVER_MODEL "\",\"choices\":[{\"index\":0,"
                          "\"delta\":{\"content\":%s},\"finish_reason\":null}]}\n\n",
                          quoted);
}

static const char sse_first[] =
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"" SERVER_MODEL "\","
  "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n";
static const char sse_stop[] =
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"" SERVER_MODEL "\","
  "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
static const char sse_usage[] =
  "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"" SERVER_MODEL "\","
  "\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,\"total_tokens\":17}}\n\n";
static const char sse_done[] = "data: [DONE]\n\n";

/* The pieces of text, then stop, usage and [DONE], as one string. */
static char *
sse_stream (const char * const *pieces)
{
  GString *out = g_string_new (sse_first);

  for (guint i = 0; pieces[i] != NULL; i++)
    {
      g_autofree char *event = sse_delta (pieces[i]);
      g_string_append (out, event);
    }
  g_string_append (out, sse_stop);
  g_string_append (out, sse_usage);
  g_string_append (out, sse_done);
  return g_string_free (out, FALSE);
}

static ConfabMockResponse *
sse_response (void)
{
  return confab_mock_response_new (200, "text/event-stream");
}

static void
push_simple_stream (ConfabMockLlmServer *server)
{
  ConfabMockResponse *r = sse_response ();
  const char * const pieces[] = { "Hello", " world", NULL };
  g_autofree char *stream = sse_stream (pieces);

  confab_mock_response_set_body (r, stream, -1);
  confab_mock_llm_server_push (server, r);
}

/* ------------------------------------------------------------------------ */
/* Streaming                                                                */
/* ------------------------------------------------------------------------ */

static void
test_stream_with_delays (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = confab_chat_request_new (MODEL);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  const char * const pieces[] = { "Hello", ", wörld", " 🌍", "!", NULL };
  const ConfabMockRequest *req;
  g_autoptr (JsonNode) body = NULL;
  JsonObject *object;
  JsonArray *messages;

  confab_mock_response_add_chunk (r, 0, sse_first, -1);
  for (guint i = 0; pieces[i] != NULL; i++)
    {
      g_autofree char *event = sse_delta (pieces[i]);
      confab_mock_response_add_chunk (r, 40, event, -1);
    }
  confab_mock_response_add_chunk (r, 40, sse_stop, -1);
  confab_mock_response_add_chunk (r, 10, sse_usage, -1);
  confab_mock_response_add_chunk (r, 10, sse_done, -1);
  confab_mock_llm_server_push (server, r);

  confab_chat_request_set_system (request, "You are terse.");
  confab_chat_request_set_temperature (request, 0.25);
  confab_chat_request_set_max_tokens (request, 64);
  confab_chat_request_add_message (request, "user", "Hi");
  confab_chat_request_add_message (request, "assistant", "Hello!");
  confab_chat_request_add_message (request, "user", "Greet the world");
  run_chat_full (client, request, NULL, &run);

  g_assert_no_error (run.error);
  g_assert_true (run.ok);
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello, wörld 🌍!");
  /* Each delta arrived on its own, as the server sent it. */
  g_assert_cmpuint (run.deltas->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (run.deltas, 0), ==, "Hello");
  g_assert_cmpstr (g_ptr_array_index (run.deltas, 2), ==, " 🌍");
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "stop");
  g_assert_cmpstr (confab_chat_result_get_model (run.result), ==, SERVER_MODEL);
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 12);
  g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 5);
  /* First text after the first delay, the end after all of them (~220 ms). */
  g_assert_cmpint (confab_chat_result_get_first_token_ms (run.result), >=, 30);
  g_assert_cmpint (confab_chat_result_get_total_ms (run.result), >=, 150);
  g_assert_cmpint (confab_chat_result_get_first_token_ms (run.result), <=,
                   confab_chat_result_get_total_ms (run.result));

  /* The request, as the server saw it. */
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
  req = confab_mock_llm_server_get_request (server, 0);
  g_assert_cmpstr (req->method, ==, "POST");
  g_assert_cmpstr (req->path, ==, "/v1/chat/completions");
  g_assert_cmpstr (confab_mock_request_get_header (req, "Content-Type"), ==, "application/json");
  g_assert_cmpstr (confab_mock_request_get_header (req, "Accept"), ==, "text/event-stream");
  g_assert_cmpstr (confab_mock_request_get_header (req, "User-Agent"), ==, "Confab/" PACKAGE_VERSION);
  /* No content decoder on a stream: nothing asks for gzip. */
  g_assert_null (confab_mock_request_get_header (req, "Accept-Encoding"));
  g_assert_null (confab_mock_request_get_header (req, "Authorization"));

  body = confab_mock_request_get_json (req);
  object = json_node_get_object (body);
  g_assert_cmpstr (json_object_get_string_member (object, "model"), ==, MODEL);
  g_assert_true (json_object_get_boolean_member (object, "stream"));
  g_assert_true (json_object_get_boolean_member (json_object_get_object_member (object, "stream_options"),
                                                 "include_usage"));
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (object, "temperature"), 0.25, 1e-9);
  g_assert_cmpint (json_object_get_int_member (object, "max_tokens"), ==, 64);
  messages = json_object_get_array_member (object, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 4);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "role"), ==, "system");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0), "content"), ==,
                   "You are terse.");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1), "role"), ==, "user");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2), "role"), ==, "assistant");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 3), "content"), ==,
                   "Greet the world");
}

static void
test_request_defaults (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };
  g_autoptr (JsonNode) body = NULL;
  JsonObject *object;
  const ConfabMockRequest *req;

  push_simple_stream (server);
  run_chat (client, &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello world");

  req = confab_mock_llm_server_get_request (server, 0);
  /* No key: no Authorization header at all (local servers need none). */
  g_assert_null (confab_mock_request_get_header (req, "Authorization"));
  body = confab_mock_request_get_json (req);
  object = json_node_get_object (body);
  /* Unset settings are left to the provider. */
  g_assert_false (json_object_has_member (object, "temperature"));
  g_assert_false (json_object_has_member (object, "max_tokens"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "messages")), ==, 1);
}

static void
test_chunks_cut_anywhere (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  const char * const pieces[] = { "Grüße", " 😀 ", "日本語", "\n- item\r\n", "💡", NULL };
  g_autofree char *stream = sse_stream (pieces);
  g_autofree char *crlf = NULL;
  const gsize sizes[] = { 1, 2, 3, 5, 7, 13, 64 };

  /* Servers may end lines with \r\n too. */
  {
    g_auto (GStrv) lines = g_strsplit (stream, "\n", -1);
    crlf = g_strjoinv ("\r\n", lines);
  }

  for (guint i = 0; i < G_N_ELEMENTS (sizes) * 2; i++)
    {
      g_auto (ChatRun) run = { 0 };
      ConfabMockResponse *r = sse_response ();

      confab_mock_response_add_pieces (r, i % 2 ? crlf : stream, sizes[i / 2], 1);
      confab_mock_llm_server_push (server, r);
      run_chat (client, &run);

      g_assert_no_error (run.error);
      g_assert_cmpstr (confab_chat_result_get_text (run.result), ==,
                       "Grüße 😀 日本語\n- item\r\n💡");
      g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "stop");
      g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 12);
      g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 5);
    }
}

static void
test_server_ignores_stream (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };

  /* Some servers answer a streamed request with one JSON reply. */
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200,
    "{\"id\":\"x\",\"model\":\"" SERVER_MODEL "\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"All at once\"},\"finish_reason\":\"length\"}],"
    "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4}}"));
  run_chat (client, &run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.deltas->len, ==, 1);
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "All at once");
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "length");
  g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 4);
}

static void
test_non_streaming (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };
  g_autoptr (JsonNode) body = NULL;
  JsonObject *object;

  confab_llm_client_set_supports_streaming (client, FALSE);
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200,
    "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion\",\"model\":\"" SERVER_MODEL "\","
    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Whole reply, ünïcode 🎉\"},"
    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":6,\"total_tokens\":15}}"));
  run_chat (client, &run);

  g_assert_no_error (run.error);
  /* The same result type; the whole text through one delta. */
  g_assert_cmpuint (run.deltas->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (run.deltas, 0), ==, "Whole reply, ünïcode 🎉");
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Whole reply, ünïcode 🎉");
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "stop");
  g_assert_cmpstr (confab_chat_result_get_model (run.result), ==, SERVER_MODEL);
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 9);
  g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 6);
  g_assert_cmpint (confab_chat_result_get_first_token_ms (run.result), >=, 0);

  body = confab_mock_request_get_json (confab_mock_llm_server_get_request (server, 0));
  object = json_node_get_object (body);
  g_assert_false (json_object_get_boolean_member (object, "stream"));
  g_assert_false (json_object_has_member (object, "stream_options"));
}

static void
test_missing_model (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = confab_chat_request_new (NULL);
  g_auto (ChatRun) run = { 0 };

  confab_chat_request_add_message (request, "user", "Hi");
  run_chat_full (client, request, NULL, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  assert_error_message (run.error, "No model was chosen for “Mock”");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 0);
}

/* ------------------------------------------------------------------------ */
/* The base's UTF-8 handling, through a minimal subclass                     */
/* ------------------------------------------------------------------------ */

/* A wire format that streams raw text/plain bytes: the smallest subclass,
 * and a way to hand add_text_len() pieces cut mid-character. */
#define TEST_TYPE_RAW_CLIENT (test_raw_client_get_type ())
G_DECLARE_FINAL_TYPE (TestRawClient, test_raw_client, TEST, RAW_CLIENT, ConfabLlmClient)

struct _TestRawClient
{
  ConfabLlmClient parent_instance;
};

G_DEFINE_FINAL_TYPE (TestRawClient, test_raw_client, CONFAB_TYPE_LLM_CLIENT)

static SoupMessage *
raw_build_chat_message (ConfabLlmClient    *client,
                        ConfabChatRequest  *request,
                        gboolean            stream,
                        GError            **error)
{
  return confab_llm_client_new_json_message (client, "POST", "/raw", NULL, error);
}

static gboolean
raw_parse_stream_chunk (ConfabLlmClient        *client,
                        ConfabLlmClientStream  *stream,
                        const char             *data,
                        gsize                   len,
                        GError                **error)
{
  confab_llm_client_stream_add_text_len (stream, data, len);
  return TRUE;
}

static gboolean
raw_parse_stream_end (ConfabLlmClient        *client,
                      ConfabLlmClientStream  *stream,
                      GError                **error)
{
  confab_llm_client_stream_set_done (stream);
  return TRUE;
}

static gboolean
raw_parse_response (ConfabLlmClient        *client,
                    ConfabLlmClientStream  *stream,
                    GBytes                 *body,
                    GError                **error)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);

  confab_llm_client_stream_add_text_len (stream, data, len);
  return TRUE;
}

static void
test_raw_client_class_init (TestRawClientClass *klass)
{
  ConfabLlmClientClass *client_class = CONFAB_LLM_CLIENT_CLASS (klass);

  client_class->build_chat_message = raw_build_chat_message;
  client_class->parse_stream_chunk = raw_parse_stream_chunk;
  client_class->parse_stream_end = raw_parse_stream_end;
  client_class->parse_response = raw_parse_response;
}

static void
test_raw_client_init (TestRawClient *self)
{
}

static void
test_utf8_held_back (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = g_object_new (TEST_TYPE_RAW_CLIENT,
                                                     "provider-name", "Raw",
                                                     "base-url", confab_mock_llm_server_get_base_url (server),
                                                     NULL);
  const char text[] = "a😀bé日\xF0\x9F\x92\xA1z";

  for (gsize size = 1; size <= 4; size++)
    {
      g_auto (ChatRun) run = { 0 };
      ConfabMockResponse *r = confab_mock_response_new (200, "text/plain");

      confab_mock_response_add_pieces (r, text, size, 1);
      confab_mock_llm_server_push (server, r);
      run_chat (client, &run);

      g_assert_no_error (run.error);
      /* Every delta was whole characters (on_delta checks), and together
       * they are the text. */
      g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, text);
      if (size == 1)
        g_assert_cmpuint (run.deltas->len, ==, g_utf8_strlen (text, -1));
    }

  /* Bytes that are not UTF-8 become U+FFFD; a character cut by the end of
   * the stream too. */
  {
    g_auto (ChatRun) run = { 0 };
    ConfabMockResponse *r = confab_mock_response_new (200, "text/plain");

    confab_mock_response_add_chunk (r, 0, "ok\xFF", -1);
    confab_mock_response_add_chunk (r, 5, "!\xE2\x82", -1);
    confab_mock_llm_server_push (server, r);
    run_chat (client, &run);
    g_assert_no_error (run.error);
    g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "ok\xEF\xBF\xBD!\xEF\xBF\xBD");
  }
}

/* ------------------------------------------------------------------------ */
/* HTTP errors                                                              */
/* ------------------------------------------------------------------------ */

static void
expect_http_error (guint        status,
                   const char  *body,
                   int          code,
                   const char  *message)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, "sk-test-key-000");
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = body && body[0] == '{' ? confab_mock_response_new_json (status, body)
                                                 : confab_mock_response_new (status, "text/plain");

  if (body != NULL && body[0] != '{')
    confab_mock_response_set_body (r, body, -1);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, code);
  assert_error_message (run.error, message);
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "");
  /* Not a status that is retried: one request. */
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
}

static void
test_error_statuses (void)
{
  expect_http_error (400,
                     "{\"error\":{\"message\":\"This model's maximum context length is 8192 tokens. "
                     "However, your messages resulted in 9000 tokens.\",\"type\":\"invalid_request_error\","
                     "\"param\":\"messages\",\"code\":\"context_length_exceeded\"}}",
                     CONFAB_ERROR_CONTEXT_TOO_LONG,
                     "The conversation is too long for the context window of “Mock” (model “gpt-test”): "
                     "This model's maximum context length is 8192 tokens. However, your messages "
                     "resulted in 9000 tokens.");
  /* Recognised from the words alone (llama.cpp, vLLM). */
  expect_http_error (400, "{\"error\":{\"code\":400,\"message\":\"the request exceeds the available "
                          "context size, try increasing it\",\"type\":\"exceed_context_size_error\"}}",
                     CONFAB_ERROR_CONTEXT_TOO_LONG,
                     "The conversation is too long for the context window of “Mock” (model “gpt-test”): "
                     "the request exceeds the available context size, try increasing it");
  expect_http_error (400, "{\"error\":{\"message\":\"Input is too long for requested model.\"}}",
                     CONFAB_ERROR_CONTEXT_TOO_LONG,
                     "The conversation is too long for the context window of “Mock” (model “gpt-test”): "
                     "Input is too long for requested model.");
  expect_http_error (400, "{\"error\":{\"message\":\"'messages' must contain the word 'json'\"}}",
                     CONFAB_ERROR_PROVIDER,
                     "“Mock” (model “gpt-test”) answered with an error (HTTP 400 Bad Request): "
                     "'messages' must contain the word 'json'");
  expect_http_error (401,
                     "{\"error\":{\"message\":\"Incorrect API key provided: sk-test-*****-000. You can "
                     "find your API key at https://platform.openai.com/account/api-keys.\","
                     "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}",
                     CONFAB_ERROR_AUTH,
                     "The API key for “Mock” was rejected: Incorrect API key provided: [hidden] You can "
                     "find your API key at https://platform.openai.com/account/api-keys.");
  expect_http_error (403, "{\"error\":{\"message\":\"Project does not have access to model\"}}",
                     CONFAB_ERROR_AUTH,
                     "The API key for “Mock” was rejected: Project does not have access to model");
  expect_http_error (404,
                     "{\"error\":{\"message\":\"The model `gpt-test` does not exist or you do not have "
                     "access to it.\",\"type\":\"invalid_request_error\",\"code\":\"model_not_found\"}}",
                     CONFAB_ERROR_NOT_FOUND,
                     "The model “gpt-test” was not found at “Mock”: The model `gpt-test` does not exist "
                     "or you do not have access to it.");
  /* Ollama's /v1 says it with a 404 and {"error": {"message": ...}} too; some
   * servers use 400 and a code. */
  expect_http_error (400, "{\"error\":{\"message\":\"unknown model\",\"code\":\"model_not_found\"}}",
                     CONFAB_ERROR_NOT_FOUND,
                     "The model “gpt-test” was not found at “Mock”: unknown model");
  expect_http_error (500, "{\"error\":{\"message\":\"The server had an error while processing your request.\"}}",
                     CONFAB_ERROR_PROVIDER,
                     "“Mock” (model “gpt-test”) answered with an error (HTTP 500 Internal Server Error): "
                     "The server had an error while processing your request.");
  /* The other shapes of error bodies. */
  expect_http_error (500, "{\"error\":\"model runner crashed\"}", CONFAB_ERROR_PROVIDER,
                     "“Mock” (model “gpt-test”) answered with an error (HTTP 500 Internal Server Error): "
                     "model runner crashed");
  expect_http_error (422, "{\"message\":\"temperature must be at most 2\"}", CONFAB_ERROR_PROVIDER,
                     "“Mock” (model “gpt-test”) answered with an error (HTTP 422 Unprocessable Entity): "
                     "temperature must be at most 2");
  expect_http_error (500, "upstream\nfailure", CONFAB_ERROR_PROVIDER,
                     "“Mock” (model “gpt-test”) answered with an error (HTTP 500 Internal Server Error): "
                     "upstream failure");
  expect_http_error (500, "<html><body>Oops</body></html>", CONFAB_ERROR_PROVIDER,
                     "“Mock” (model “gpt-test”) answered with an error (HTTP 500 Internal Server Error)");
  expect_http_error (500, NULL, CONFAB_ERROR_PROVIDER,
                     "“Mock” (model “gpt-test”) answered with an error (HTTP 500 Internal Server Error)");
}

static void
test_error_message_truncated (void)
{
  g_autoptr (GString) long_message = g_string_new (NULL);
  g_autofree char *body = NULL;
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };

  for (guint i = 0; i < 200; i++)
    g_string_append (long_message, "é🎉 ");
  body = g_strdup_printf ("{\"error\":{\"message\":\"%s\"}}", long_message->str);
  confab_mock_llm_server_push (server, confab_mock_response_new_json (500, body));
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  g_assert_true (g_utf8_validate (run.error->message, -1, NULL));
  g_assert_true (g_str_has_suffix (run.error->message, "…"));
  g_assert_cmpuint (g_utf8_strlen (run.error->message, -1), <, 400);
}

static void
test_no_key_401 (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };

  confab_mock_llm_server_push (server, confab_mock_response_new_json (401,
    "{\"error\":{\"message\":\"You didn't provide an API key.\"}}"));
  run_chat (client, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_AUTH);
  assert_error_message (run.error, "“Mock” needs an API key, and none is set: You didn't provide an API key.");
}

static ConfabMockResponse *
rate_limited (const char *retry_after)
{
  ConfabMockResponse *r = confab_mock_response_new_json (429,
    "{\"error\":{\"message\":\"Rate limit reached for requests\",\"type\":\"requests\","
    "\"code\":\"rate_limit_exceeded\"}}");

  if (retry_after != NULL)
    confab_mock_response_add_header (r, "Retry-After", retry_after);
  return r;
}

static void
test_429_retry_after_then_success (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };
  gint64 start = g_get_monotonic_time ();

  confab_mock_llm_server_push (server, rate_limited ("1"));
  push_simple_stream (server);
  run_chat (client, &run);

  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello world");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 2);
  /* It waited as long as the server said (1 s), not the 10 ms backoff. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 900 * 1000);
  /* The first token counts from the start of the call, retries included. */
  g_assert_cmpint (confab_chat_result_get_first_token_ms (run.result), >=, 900);
}

static void
test_429_backoff_then_success (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };

  confab_mock_llm_server_push (server, rate_limited (NULL));
  confab_mock_llm_server_push (server, rate_limited (NULL));
  push_simple_stream (server);
  run_chat (client, &run);

  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello world");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 3);
}

static void
test_429_exhausted (void)
{
  /* With Retry-After: the wait the server asked for. */
  {
    g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
    g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
    g_auto (ChatRun) run = { 0 };

    confab_llm_client_set_max_retries (client, 1);
    confab_mock_llm_server_push (server, rate_limited ("1"));
    confab_mock_llm_server_push (server, rate_limited ("1"));
    run_chat (client, &run);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_RATE_LIMITED);
    assert_error_message (run.error, "“Mock” (model “gpt-test”) is limiting requests; try again in "
                                     "1 second: Rate limit reached for requests");
    g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 2);
  }

  /* Without: max-retries + 1 requests, then the next backoff as the wait. */
  {
    g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
    g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
    g_auto (ChatRun) run = { 0 };

    for (guint i = 0; i < 4; i++)
      confab_mock_llm_server_push (server, rate_limited (NULL));
    run_chat (client, &run);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_RATE_LIMITED);
    assert_error_message (run.error, "“Mock” (model “gpt-test”) is limiting requests; try again in "
                                     "1 second: Rate limit reached for requests");
    g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 4);
    g_assert_cmpuint (confab_mock_llm_server_get_n_pending (server), ==, 0);
  }

  /* A wait longer than anyone would sit through: no retry at all. */
  {
    g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
    g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
    g_auto (ChatRun) run = { 0 };

    confab_mock_llm_server_push (server, rate_limited ("3600"));
    run_chat (client, &run);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_RATE_LIMITED);
    assert_error_message (run.error, "“Mock” (model “gpt-test”) is limiting requests; try again in "
                                     "60 minutes: Rate limit reached for requests");
    g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
  }

  /* Retry-After as an HTTP date. */
  {
    g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
    g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
    g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
    g_autoptr (GDateTime) later = g_date_time_add_seconds (now, 3600);
    g_autofree char *date = soup_date_time_to_string (later, SOUP_DATE_HTTP);
    g_auto (ChatRun) run = { 0 };

    confab_mock_llm_server_push (server, rate_limited (date));
    run_chat (client, &run);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_RATE_LIMITED);
    assert_error_message (run.error, "“Mock” (model “gpt-test”) is limiting requests; try again in "
                                     "60 minutes: Rate limit reached for requests");
    g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
  }

  /* No quota left is not a reason to retry. */
  {
    g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
    g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
    g_auto (ChatRun) run = { 0 };

    confab_mock_llm_server_push (server, confab_mock_response_new_json (429,
      "{\"error\":{\"message\":\"You exceeded your current quota.\",\"code\":\"insufficient_quota\"}}"));
    run_chat (client, &run);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_RATE_LIMITED);
    g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
  }
}

static void
test_5xx_retried (void)
{
  const guint statuses[] = { 502, 503, 504 };

  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
      g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
      g_auto (ChatRun) run = { 0 };

      confab_mock_llm_server_push (server, confab_mock_response_new_json (statuses[i], "{}"));
      push_simple_stream (server);
      run_chat (client, &run);
      g_assert_no_error (run.error);
      g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello world");
      g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 2);
    }

  /* Exhausted: the last status, as PROVIDER. */
  {
    g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
    g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
    g_auto (ChatRun) run = { 0 };

    confab_llm_client_set_max_retries (client, 2);
    for (guint i = 0; i < 3; i++)
      confab_mock_llm_server_push (server, confab_mock_response_new_json (503,
        "{\"error\":{\"message\":\"The engine is currently overloaded, please try again later\"}}"));
    run_chat (client, &run);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
    assert_error_message (run.error, "“Mock” (model “gpt-test”) answered with an error (HTTP 503 "
                                     "Service Unavailable): The engine is currently overloaded, "
                                     "please try again later");
    g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 3);
  }

  /* max-retries 0: no retry. */
  {
    g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
    g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
    g_auto (ChatRun) run = { 0 };

    confab_llm_client_set_max_retries (client, 0);
    confab_mock_llm_server_push (server, confab_mock_response_new_json (502, "{}"));
    run_chat (client, &run);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
    assert_error_message (run.error, "“Mock” (model “gpt-test”) answered with an error (HTTP 502 "
                                     "Bad Gateway)");
    g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
  }
}

/* ------------------------------------------------------------------------ */
/* Broken streams                                                           */
/* ------------------------------------------------------------------------ */

static void
test_error_event_mid_stream (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *hello = sse_delta ("Hello");

  confab_mock_response_add_chunk (r, 0, sse_first, -1);
  confab_mock_response_add_chunk (r, 10, hello, -1);
  confab_mock_response_add_chunk (r, 10, "data: {\"error\":{\"message\":\"The server had an error "
                                         "while processing your request.\",\"type\":\"server_error\"}}\n\n", -1);
  confab_mock_response_set_endless_chatty (r, 50, ": keep-alive\n\n");
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  assert_error_message (run.error, "“Mock” reported an error during the reply of “gpt-test”: The "
                                   "server had an error while processing your request.");
  /* The text before the error is kept; no retry once the body started. */
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
}

static void
test_dropped_mid_stream (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *hello = sse_delta ("Hello");
  g_autofree char *more = sse_delta (" there");

  confab_mock_response_add_chunk (r, 0, sse_first, -1);
  confab_mock_response_add_chunk (r, 10, hello, -1);
  confab_mock_response_add_chunk (r, 10, more, -1);
  confab_mock_response_add_chunk (r, 10, "data: {\"choices\":[{\"delta\":{\"content\":\"never", -1);
  confab_mock_response_set_drop_after (r, 4);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NETWORK);
  assert_error_message (run.error, "The connection to “Mock” closed before the reply was complete");
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello there");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
}

static void
test_ends_without_done (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *hello = sse_delta ("Hello");

  /* A clean end of the body, but no [DONE]. */
  confab_mock_response_add_chunk (r, 0, sse_first, -1);
  confab_mock_response_add_chunk (r, 10, hello, -1);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NETWORK);
  assert_error_message (run.error, "The connection to “Mock” closed before the reply was complete");
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello");
}

static void
test_invalid_json (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *hello = sse_delta ("Hello");

  confab_mock_response_add_chunk (r, 0, hello, -1);
  confab_mock_response_add_chunk (r, 10, "data: {\"choices\": [oops\n\n", -1);
  confab_mock_response_add_chunk (r, 10, sse_done, -1);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  assert_error_message (run.error, "“Mock” sent a reply that could not be read: “{\"choices\": [oops”");
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello");
}

static void
test_invalid_json_long_excerpt (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autoptr (GString) line = g_string_new ("data: {");
  const char *quote;
  g_autofree char *excerpt = NULL;

  for (guint i = 0; i < 100; i++)
    g_string_append (line, "ü€");
  g_string_append (line, "\n\n");
  confab_mock_response_add_chunk (r, 0, line->str, -1);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  g_assert_true (g_utf8_validate (run.error->message, -1, NULL));
  quote = strstr (run.error->message, "“{");
  g_assert_nonnull (quote);
  excerpt = g_strdup (quote + strlen ("“"));
  g_assert_true (g_str_has_suffix (excerpt, "…”"));
  /* 80 characters and the ellipsis and the closing quote. */
  g_assert_cmpuint (g_utf8_strlen (excerpt, -1), ==, 82);
}

/* ------------------------------------------------------------------------ */
/* Timeouts and cancellation                                                */
/* ------------------------------------------------------------------------ */

static void
test_idle_timeout (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *hello = sse_delta ("Hello");
  gint64 start = g_get_monotonic_time ();
  gint64 elapsed;

  confab_llm_client_set_idle_timeout (client, 1);
  confab_mock_response_add_chunk (r, 0, hello, -1);
  confab_mock_response_add_chunk (r, 600, hello, -1); /* under the idle timeout: fine */
  confab_mock_response_set_endless_silent (r);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);
  elapsed = (g_get_monotonic_time () - start) / 1000;

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_TIMEOUT);
  assert_error_message (run.error, "“Mock” sent nothing for 1 second (idle timeout)");
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "HelloHello");
  g_assert_cmpint (elapsed, >=, 1500);
  g_assert_cmpint (elapsed, <, 10000);
}

static void
test_total_timeout (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *tick = sse_delta ("tick ");

  confab_llm_client_set_total_timeout (client, 1);
  confab_mock_response_set_endless_chatty (r, 100, tick);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_TIMEOUT);
  assert_error_message (run.error, "“Mock” did not finish the reply within 1 second (total timeout)");
  g_assert_true (g_str_has_prefix (confab_chat_result_get_text (run.result), "tick tick "));
}

static void
test_idle_timeout_before_headers (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();

  /* A model that thinks for longer than the idle timeout before it answers. */
  confab_llm_client_set_idle_timeout (client, 1);
  confab_mock_response_set_headers_delay (r, 5000);
  confab_mock_response_set_body (r, sse_done, -1);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_TIMEOUT);
  assert_error_message (run.error, "“Mock” sent nothing for 1 second (idle timeout)");
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "");
  g_assert_cmpint (confab_chat_result_get_first_token_ms (run.result), ==, -1);
}

static void
test_slow_headers_within_idle_timeout (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  const char * const pieces[] = { "Slow", " but sure", NULL };
  g_autofree char *stream = sse_stream (pieces);

  confab_llm_client_set_idle_timeout (client, 2);
  confab_mock_response_set_headers_delay (r, 700);
  confab_mock_response_add_pieces (r, stream, 150, 200);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Slow but sure");
  g_assert_cmpint (confab_chat_result_get_first_token_ms (run.result), >=, 700);
}

typedef struct
{
  ChatRun runs[4];
  guint   n_done;
} Parallel;

static gboolean
all_streaming (gpointer data)
{
  Parallel *p = data;

  for (guint i = 0; i < G_N_ELEMENTS (p->runs); i++)
    if (p->runs[i].deltas->len == 0)
      return FALSE;
  return TRUE;
}

static gboolean
all_done (gpointer data)
{
  Parallel *p = data;

  for (guint i = 0; i < G_N_ELEMENTS (p->runs); i++)
    if (!p->runs[i].done)
      return FALSE;
  return TRUE;
}

static void
test_parallel_streams (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = confab_chat_request_new (MODEL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  Parallel p = { 0 };

  /* Four streams that never end: they all flow at once (libsoup's default
   * of two connections per host would hold two back). */
  confab_chat_request_add_message (request, "user", "Hi");
  for (guint i = 0; i < G_N_ELEMENTS (p.runs); i++)
    {
      ConfabMockResponse *r = sse_response ();
      g_autofree char *tick = sse_delta ("tick ");

      confab_mock_response_set_endless_chatty (r, 30, tick);
      confab_mock_llm_server_push (server, r);
      p.runs[i].deltas = g_ptr_array_new_with_free_func (g_free);
      p.runs[i].joined = g_string_new (NULL);
      confab_llm_client_chat_async (client, request, on_delta, &p.runs[i], cancellable,
                                    on_chat_done, &p.runs[i]);
    }
  g_assert_true (confab_mock_wait_until (all_streaming, &p, 5000));
  g_cancellable_cancel (cancellable);
  g_assert_true (confab_mock_wait_until (all_done, &p, 5000));
  for (guint i = 0; i < G_N_ELEMENTS (p.runs); i++)
    {
      g_assert_error (p.runs[i].error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_cmpstr (confab_chat_result_get_text (p.runs[i].result), ==, p.runs[i].joined->str);
      chat_run_clear (&p.runs[i]);
    }
}

static gboolean
has_disconnect (gpointer data)
{
  return confab_mock_llm_server_get_n_disconnects (data) > 0;
}

static void
test_cancel_endless_stream (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = confab_chat_request_new (MODEL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *tick = sse_delta ("tick ");

  confab_mock_response_set_endless_chatty (r, 20, tick);
  confab_mock_llm_server_push (server, r);
  confab_chat_request_add_message (request, "user", "Talk forever");
  run.cancel_after = g_object_ref (cancellable);
  run.n_cancel = 5;
  run_chat_full (client, request, cancellable, &run);

  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_error_message (run.error, "The request to “Mock” was cancelled");
  /* The text up to the cancellation is kept; nothing after it. */
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "tick tick tick tick tick ");
  g_assert_cmpint (run.finished_at - run.cancelled_at, <, 2 * G_USEC_PER_SEC);
  /* And the server saw the client go. */
  g_assert_true (confab_mock_wait_until (has_disconnect, server, 5000));
  g_assert_cmpuint (confab_mock_llm_server_get_n_active (server), ==, 0);
}

static void
test_cancel_before_start (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = confab_chat_request_new (MODEL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_auto (ChatRun) run = { 0 };

  confab_chat_request_add_message (request, "user", "Hi");
  g_cancellable_cancel (cancellable);
  run_chat_full (client, request, cancellable, &run);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "");
}

static gboolean
cancel_soon (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel_during_backoff (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_autoptr (ConfabChatRequest) request = confab_chat_request_new (MODEL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_auto (ChatRun) run = { 0 };
  gint64 start = g_get_monotonic_time ();

  confab_mock_llm_server_push (server, rate_limited ("30"));
  confab_chat_request_add_message (request, "user", "Hi");
  g_timeout_add (300, cancel_soon, cancellable);
  run_chat_full (client, request, cancellable, &run);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
}

/* ------------------------------------------------------------------------ */
/* Network errors                                                           */
/* ------------------------------------------------------------------------ */

static guint
unused_port (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  /* Bound but not listening: connecting is refused. */
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_connection_refused (void)
{
  guint port = unused_port ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/v1", port);
  g_autoptr (ConfabLlmClient) client = confab_openai_client_new ("Mock", url, NULL);
  g_autofree char *expected = g_strdup_printf ("Could not connect to “127.0.0.1:%u” for “Mock”: the "
                                               "connection was refused; is the server running?", port);
  g_auto (ChatRun) run = { 0 };

  run_chat (client, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NETWORK);
  assert_error_message (run.error, expected);
}

/* A listening socket whose accept queue is full: the kernel drops further
 * SYNs, so a connection attempt hangs until its timeout. */
static GSocket *
hanging_listener (GPtrArray *keep,
                  guint     *port)
{
  GSocket *listener = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                    G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;

  g_socket_set_listen_backlog (listener, 0);
  g_socket_bind (listener, address, FALSE, &error);
  g_assert_no_error (error);
  g_socket_listen (listener, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (listener, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));

  for (guint i = 0; i < 4; i++)
    {
      GSocket *filler = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL);
      g_autoptr (GError) pending = NULL;

      g_socket_set_blocking (filler, FALSE);
      g_socket_connect (filler, bound, NULL, &pending);
      g_ptr_array_add (keep, filler);
    }
  g_usleep (100 * 1000);
  return listener;
}

static void
test_connect_timeout (void)
{
  g_autoptr (GPtrArray) fillers = g_ptr_array_new_with_free_func (g_object_unref);
  guint port;
  g_autoptr (GSocket) listener = hanging_listener (fillers, &port);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/v1", port);
  g_autoptr (ConfabLlmClient) client = confab_openai_client_new ("Mock", url, NULL);
  g_auto (ChatRun) run = { 0 };

  confab_llm_client_set_connect_timeout (client, 1);
  confab_llm_client_set_idle_timeout (client, 3);
  run_chat (client, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_TIMEOUT);
  assert_error_message (run.error, "Could not connect to “Mock” within 1 second (connection timeout)");
  g_assert_cmpint (confab_chat_result_get_total_ms (run.result), <, 3000);
}

static void
test_invalid_base_url (void)
{
  g_autoptr (ConfabLlmClient) client = confab_openai_client_new ("Mock", "not a url", NULL);
  g_auto (ChatRun) run = { 0 };

  run_chat (client, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  assert_error_message (run.error, "“not a url” is not a valid base URL for “Mock”");
}

/* ------------------------------------------------------------------------ */
/* Models and connection tests                                              */
/* ------------------------------------------------------------------------ */

typedef struct
{
  gboolean  done;
  char    **models;
  gboolean  ok;
  GError   *error;
} ModelsRun;

static void
on_models (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  ModelsRun *run = user_data;

  run->models = confab_llm_client_list_models_finish (CONFAB_LLM_CLIENT (object), result, &run->error);
  run->done = TRUE;
}

static void
on_tested (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  ModelsRun *run = user_data;

  run->ok = confab_llm_client_test_connection_finish (CONFAB_LLM_CLIENT (object), result, &run->error);
  run->done = TRUE;
}

static void
test_list_models (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, "sk-models-key");
  ModelsRun run = { 0 };
  const ConfabMockRequest *req;
  const char * const expected[] = { "gpt-4o", "gpt-4o-mini", "llama3.1:8b", NULL };

  confab_mock_llm_server_push (server, confab_mock_response_new_json (200,
    "{\"object\":\"list\",\"data\":[{\"id\":\"llama3.1:8b\",\"object\":\"model\"},"
    "{\"id\":\"gpt-4o-mini\"},{\"id\":\"gpt-4o\"},{\"id\":\"gpt-4o\"},{\"object\":\"model\"}]}"));
  confab_llm_client_list_models_async (client, NULL, on_models, &run);
  run_until_done (&run.done);

  g_assert_no_error (run.error);
  g_assert_cmpstrv (run.models, expected);
  req = confab_mock_llm_server_get_request (server, 0);
  g_assert_cmpstr (req->method, ==, "GET");
  g_assert_cmpstr (req->path, ==, "/v1/models");
  g_assert_cmpstr (confab_mock_request_get_header (req, "Authorization"), ==, "Bearer sk-models-key");
  g_strfreev (run.models);

  /* Without a key, no Authorization header. */
  {
    g_autoptr (ConfabLlmClient) keyless = make_client (server, NULL);

    memset (&run, 0, sizeof run);
    confab_mock_llm_server_push (server, confab_mock_response_new_json (200, "{\"data\":[{\"id\":\"m\"}]}"));
    confab_llm_client_list_models_async (keyless, NULL, on_models, &run);
    run_until_done (&run.done);
    g_assert_no_error (run.error);
    g_assert_null (confab_mock_request_get_header (confab_mock_llm_server_get_request (server, 1),
                                                   "Authorization"));
    g_strfreev (run.models);
  }

  /* Not the list the API returns. */
  memset (&run, 0, sizeof run);
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200, "{\"models\":[]}"));
  confab_llm_client_list_models_async (client, NULL, on_models, &run);
  run_until_done (&run.done);
  g_assert_null (run.models);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  assert_error_message (run.error, "“Mock” sent a reply that could not be read: “{\"models\":[]}”");
  g_clear_error (&run.error);

  /* An empty list is a list. */
  memset (&run, 0, sizeof run);
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200, "{\"data\":[]}"));
  confab_llm_client_list_models_async (client, NULL, on_models, &run);
  run_until_done (&run.done);
  g_assert_no_error (run.error);
  g_assert_nonnull (run.models);
  g_assert_cmpuint (g_strv_length (run.models), ==, 0);
  g_strfreev (run.models);
}

static void
test_test_connection (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, "sk-test-connection");

  {
    ModelsRun run = { 0 };

    confab_mock_llm_server_push (server, confab_mock_response_new_json (200, "{\"data\":[{\"id\":\"m\"}]}"));
    confab_llm_client_test_connection_async (client, NULL, on_tested, &run);
    run_until_done (&run.done);
    g_assert_no_error (run.error);
    g_assert_true (run.ok);
  }
  {
    ModelsRun run = { 0 };

    confab_mock_llm_server_push (server, confab_mock_response_new_json (401,
      "{\"error\":{\"message\":\"Invalid authentication\"}}"));
    confab_llm_client_test_connection_async (client, NULL, on_tested, &run);
    run_until_done (&run.done);
    g_assert_false (run.ok);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_AUTH);
    assert_error_message (run.error, "The API key for “Mock” was rejected: Invalid authentication");
    g_clear_error (&run.error);
  }
  {
    ModelsRun run = { 0 };
    g_autofree char *expected = g_strdup_printf ("“Mock” has no model list at %s/v1; check the base URL",
                                                 confab_mock_llm_server_get_base_url (server));

    confab_mock_llm_server_push (server, confab_mock_response_new_json (404, "{}"));
    confab_llm_client_test_connection_async (client, NULL, on_tested, &run);
    run_until_done (&run.done);
    g_assert_false (run.ok);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
    assert_error_message (run.error, expected);
    g_clear_error (&run.error);
  }
  {
    ModelsRun run = { 0 };
    g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", unused_port ());
    g_autoptr (ConfabLlmClient) nowhere = confab_openai_client_new ("Nowhere", url, NULL);

    confab_llm_client_test_connection_async (nowhere, NULL, on_tested, &run);
    run_until_done (&run.done);
    g_assert_false (run.ok);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NETWORK);
    g_assert_nonnull (strstr (run.error->message, "refused"));
    g_clear_error (&run.error);
  }
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

static void
assert_no_canary (const char *where,
                  const char *text)
{
  /* The whole key, and the distinctive parts of it a masked echo keeps. */
  static const char * const fragments[] = { CANARY_KEY, "7f3a9c", "canary-7f", "5b2d8f", "6c0e", NULL };

  if (text == NULL)
    return;
  for (guint i = 0; fragments[i] != NULL; i++)
    if (strstr (text, fragments[i]) != NULL)
      g_error ("the key (%s) leaked into %s: %s", fragments[i], where, text);
}

static void
test_canary_key (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, CANARY_KEY);
  g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_free);
  g_autofree GParamSpec **pspecs = NULL;
  guint n_pspecs;
  GObjectClass *klass = G_OBJECT_GET_CLASS (client);

  g_mutex_lock (&captured_log_lock);
  g_string_truncate (captured_log, 0);
  g_mutex_unlock (&captured_log_lock);

  /* A good reply, then every kind of failure, some of them quoting the key. */
  push_simple_stream (server);
  confab_mock_llm_server_push (server, confab_mock_response_new_json (401,
    "{\"error\":{\"message\":\"Incorrect API key provided: sk-canary-7f3a************6c0e.\"}}"));
  confab_mock_llm_server_push (server, confab_mock_response_new_json (500,
    "{\"error\":{\"message\":\"bad key " CANARY_KEY " in request\"}}"));
  {
    ConfabMockResponse *r = sse_response ();
    confab_mock_response_add_chunk (r, 0, "data: {\"key\": \"" CANARY_KEY "\" oops\n\n", -1);
    confab_mock_llm_server_push (server, r);
  }
  {
    ConfabMockResponse *r = sse_response ();
    confab_mock_response_add_chunk (r, 0, "data: {\"error\":{\"message\":\"key " CANARY_KEY " revoked\"}}\n\n", -1);
    confab_mock_llm_server_push (server, r);
  }
  {
    ConfabMockResponse *r = sse_response ();
    g_autofree char *hello = sse_delta ("Hello");
    confab_mock_response_add_chunk (r, 0, hello, -1);
    confab_mock_response_set_drop_after (r, 1);
    confab_mock_llm_server_push (server, r);
  }

  for (guint i = 0; i < 6; i++)
    {
      g_auto (ChatRun) run = { 0 };

      run_chat (client, &run);
      if (i == 0)
        g_assert_no_error (run.error);
      else
        {
          g_assert_nonnull (run.error);
          g_ptr_array_add (messages, g_strdup (run.error->message));
        }
    }
  g_assert_cmpuint (messages->len, ==, 5);
  g_assert_nonnull (strstr (g_ptr_array_index (messages, 0), "was rejected"));

  {
    ModelsRun run = { 0 };

    confab_mock_llm_server_push (server, confab_mock_response_new_json (403,
      "{\"error\":{\"message\":\"" CANARY_KEY " is not allowed\"}}"));
    confab_llm_client_list_models_async (client, NULL, on_models, &run);
    run_until_done (&run.done);
    g_assert_nonnull (run.error);
    g_ptr_array_add (messages, g_strdup (run.error->message));
    g_clear_error (&run.error);
  }

  /* It did go to the server: in the header, never in the URL. */
  for (guint i = 0; i < confab_mock_llm_server_get_n_requests (server); i++)
    {
      const ConfabMockRequest *req = confab_mock_llm_server_get_request (server, i);

      g_assert_cmpstr (confab_mock_request_get_header (req, "Authorization"), ==, "Bearer " CANARY_KEY);
      assert_no_canary ("a URL", req->path);
    }

  for (guint i = 0; i < messages->len; i++)
    assert_no_canary ("an error message", g_ptr_array_index (messages, i));

  /* No property gives it back (the api-key property is write-only). */
  g_assert_false (g_object_class_find_property (klass, "api-key")->flags & G_PARAM_READABLE);
  pspecs = g_object_class_list_properties (klass, &n_pspecs);
  for (guint i = 0; i < n_pspecs; i++)
    {
      g_auto (GValue) value = G_VALUE_INIT;
      g_autofree char *contents = NULL;

      if (!(pspecs[i]->flags & G_PARAM_READABLE))
        continue;
      g_value_init (&value, pspecs[i]->value_type);
      g_object_get_property (G_OBJECT (client), pspecs[i]->name, &value);
      contents = g_strdup_value_contents (&value);
      assert_no_canary ("a property", contents);
    }

  g_mutex_lock (&captured_log_lock);
  /* The debug log was captured (G_MESSAGES_DEBUG=all), and is clean. */
  g_assert_nonnull (strstr (captured_log->str, "confab-llm"));
  assert_no_canary ("the log", captured_log->str);
  g_mutex_unlock (&captured_log_lock);
}

/* ------------------------------------------------------------------------ */
/* Providers                                                                */
/* ------------------------------------------------------------------------ */

/* A long error body that quotes the key where the excerpt is cut: the key is
 * hidden before the cut, so no piece of it survives. */
static void
test_key_cut_by_excerpt (void)
{
  const char *key = "sk-canary-0123456789abcdefghijklmnopqrstuvwxyz";
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, key);
  g_autofree char *filler = g_strnfill (280, 'x');
  g_autofree char *body = g_strdup_printf ("{\"error\":{\"message\":\"%s Incorrect API key provided: %s\"}}",
                                           filler, key);
  g_auto (ChatRun) run = { 0 };

  confab_mock_llm_server_push (server, confab_mock_response_new_json (401, body));
  run_chat (client, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_AUTH);
  g_assert_null (strstr (run.error->message, "sk-canar"));
  g_assert_null (strstr (run.error->message, "0123456789"));
  g_assert_null (strstr (run.error->message, "uvwxyz"));
}

/* Anthropic's 529 "overloaded" is a busy server: retried like a 503. */
static void
test_retry_overloaded (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };

  confab_mock_llm_server_push (server, confab_mock_response_new_json (529,
    "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"));
  push_simple_stream (server);
  run_chat (client, &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (run.joined->str, ==, "Hello world");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 2);
}

/* ------------------------------------------------------------------------ */
/* ------------------------------------------------------------------------ */

static void
test_new_for_provider (void)
{
  g_autoptr (ConfabProvider) provider = confab_provider_new ("My OpenAI", "openai", "https://api.openai.com/v1");
  g_autoptr (ConfabLlmClient) client = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *base_url = NULL;
  gboolean streaming;
  guint idle, connect, total, retries;

  confab_provider_set_supports_streaming (provider, FALSE);
  confab_provider_set_idle_timeout_s (provider, 7);
  client = confab_llm_client_new_for_provider (provider, "sk-x", &error);
  g_assert_no_error (error);
  g_assert_true (CONFAB_IS_OPENAI_CLIENT (client));
  g_object_get (client,
                "provider-name", &name, "base-url", &base_url, "supports-streaming", &streaming,
                "idle-timeout", &idle, "connect-timeout", &connect, "total-timeout", &total,
                "max-retries", &retries, NULL);
  g_assert_cmpstr (name, ==, "My OpenAI");
  g_assert_cmpstr (base_url, ==, "https://api.openai.com/v1");
  g_assert_false (streaming);
  g_assert_cmpuint (idle, ==, 7);
  g_assert_cmpuint (connect, ==, 15);
  g_assert_cmpuint (total, ==, 600);
  g_assert_cmpuint (retries, ==, 3);

  /* Every kind gets its client, or a clear "not supported yet". */
  for (guint i = 0; confab_provider_kinds[i] != NULL; i++)
    {
      g_autoptr (ConfabProvider) p = confab_provider_new ("P", confab_provider_kinds[i], "http://127.0.0.1:1");
      g_autoptr (ConfabLlmClient) c = NULL;
      g_autoptr (GError) e = NULL;

      c = confab_llm_client_new_for_provider (p, NULL, &e);
      if (g_str_has_prefix (confab_provider_kinds[i], "openai"))
        g_assert_true (CONFAB_IS_OPENAI_CLIENT (c));
      else if (g_str_equal (confab_provider_kinds[i], "anthropic"))
        g_assert_true (CONFAB_IS_ANTHROPIC_CLIENT (c));
      else if (g_str_equal (confab_provider_kinds[i], "gemini"))
        g_assert_true (CONFAB_IS_GEMINI_CLIENT (c));
      else if (g_str_equal (confab_provider_kinds[i], "ollama"))
        g_assert_true (CONFAB_IS_OLLAMA_CLIENT (c));
      if (c == NULL)
        {
          g_autofree char *expected = g_strdup_printf ("“P” uses the provider kind “%s”, which is not "
                                                       "supported yet", confab_provider_kinds[i]);
          g_assert_error (e, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
          assert_error_message (e, expected);
        }
      else
        {
          g_assert_no_error (e);
          g_assert_true (CONFAB_IS_LLM_CLIENT (c));
        }
    }
}

static void
test_provider_idle_timeout (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabProvider) provider = confab_provider_new ("Slow", "ollama", "http://127.0.0.1:11434");
  g_autoptr (ConfabProvider) loaded = NULL;
  g_autoptr (GError) error = NULL;
  const int bad[] = { 0, -5, 3601 };

  g_assert_cmpint (confab_provider_get_idle_timeout_s (provider), ==, 60);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) e = NULL;
      g_autofree char *expected = g_strdup_printf ("The idle timeout must be between 1 and 3600 seconds, "
                                                   "not %d", bad[i]);

      confab_provider_set_idle_timeout_s (provider, bad[i]);
      g_assert_false (confab_repository_create (ws->db, CONFAB_ENTITY (provider), NULL, &e));
      g_assert_error (e, CONFAB_ERROR, CONFAB_ERROR_INVALID);
      assert_error_message (e, expected);
    }

  confab_provider_set_idle_timeout_s (provider, 900);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (provider), NULL, &error));
  g_assert_no_error (error);
  loaded = confab_repository_get (ws->db, CONFAB_TYPE_PROVIDER,
                                  confab_entity_get_id (CONFAB_ENTITY (provider)), &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_provider_get_idle_timeout_s (loaded), ==, 900);
  /* The schema guards the range too. */
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM providers WHERE idle_timeout_s = 900"),
                   ==, 1);
}

static void
test_chat_request (void)
{
  g_autoptr (ConfabChatRequest) request = confab_chat_request_new ("m");
  double temperature;
  int max_tokens;

  g_object_get (request, "temperature", &temperature, "max-tokens", &max_tokens, NULL);
  g_assert_cmpfloat (temperature, ==, -1.0);
  g_assert_cmpint (max_tokens, ==, 0);
  g_assert_false (confab_chat_request_has_temperature (request));
  g_assert_null (confab_chat_request_get_system (request));
  confab_chat_request_set_temperature (request, 0.0);
  g_assert_true (confab_chat_request_has_temperature (request));
  confab_chat_request_add_message (request, "user", "a");
  confab_chat_request_add_message (request, "assistant", "b");
  g_assert_cmpuint (confab_chat_request_get_n_messages (request), ==, 2);
  g_assert_cmpstr (confab_chat_request_get_message_role (request, 1), ==, "assistant");
  g_assert_cmpstr (confab_chat_request_get_message_content (request, 1), ==, "b");
}

int
main (int    argc,
      char **argv)
{
  /* Every message, debug included, reaches the capture for the key scan. */
  g_setenv ("G_MESSAGES_DEBUG", "all", TRUE);
  captured_log = g_string_new (NULL);
  g_log_set_writer_func (capture_writer, NULL, NULL);

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/confab/llm/chat-request", test_chat_request);
  g_test_add_func ("/confab/llm/openai/stream-with-delays", test_stream_with_delays);
  g_test_add_func ("/confab/llm/openai/request-defaults", test_request_defaults);
  g_test_add_func ("/confab/llm/openai/chunks-cut-anywhere", test_chunks_cut_anywhere);
  g_test_add_func ("/confab/llm/openai/server-ignores-stream", test_server_ignores_stream);
  g_test_add_func ("/confab/llm/openai/non-streaming", test_non_streaming);
  g_test_add_func ("/confab/llm/openai/missing-model", test_missing_model);
  g_test_add_func ("/confab/llm/base/utf8-held-back", test_utf8_held_back);
  g_test_add_func ("/confab/llm/openai/error-statuses", test_error_statuses);
  g_test_add_func ("/confab/llm/openai/error-message-truncated", test_error_message_truncated);
  g_test_add_func ("/confab/llm/openai/401-without-key", test_no_key_401);
  g_test_add_func ("/confab/llm/openai/429-retry-after-then-success", test_429_retry_after_then_success);
  g_test_add_func ("/confab/llm/openai/429-backoff-then-success", test_429_backoff_then_success);
  g_test_add_func ("/confab/llm/openai/429-exhausted", test_429_exhausted);
  g_test_add_func ("/confab/llm/openai/5xx-retried", test_5xx_retried);
  g_test_add_func ("/confab/llm/openai/error-event-mid-stream", test_error_event_mid_stream);
  g_test_add_func ("/confab/llm/openai/dropped-mid-stream", test_dropped_mid_stream);
  g_test_add_func ("/confab/llm/openai/ends-without-done", test_ends_without_done);
  g_test_add_func ("/confab/llm/openai/invalid-json", test_invalid_json);
  g_test_add_func ("/confab/llm/openai/invalid-json-long-excerpt", test_invalid_json_long_excerpt);
  g_test_add_func ("/confab/llm/openai/idle-timeout", test_idle_timeout);
  g_test_add_func ("/confab/llm/openai/idle-timeout-before-headers", test_idle_timeout_before_headers);
  g_test_add_func ("/confab/llm/openai/slow-headers-within-idle-timeout", test_slow_headers_within_idle_timeout);
  g_test_add_func ("/confab/llm/openai/total-timeout", test_total_timeout);
  g_test_add_func ("/confab/llm/openai/parallel-streams", test_parallel_streams);
  g_test_add_func ("/confab/llm/openai/cancel-endless-stream", test_cancel_endless_stream);
  g_test_add_func ("/confab/llm/openai/cancel-before-start", test_cancel_before_start);
  g_test_add_func ("/confab/llm/openai/cancel-during-backoff", test_cancel_during_backoff);
  g_test_add_func ("/confab/llm/openai/connection-refused", test_connection_refused);
  g_test_add_func ("/confab/llm/openai/connect-timeout", test_connect_timeout);
  g_test_add_func ("/confab/llm/openai/invalid-base-url", test_invalid_base_url);
  g_test_add_func ("/confab/llm/openai/list-models", test_list_models);
  g_test_add_func ("/confab/llm/openai/test-connection", test_test_connection);
  g_test_add_func ("/confab/llm/openai/canary-key", test_canary_key);
  g_test_add_func ("/confab/llm/new-for-provider", test_new_for_provider);
  g_test_add_func ("/confab/llm/key-cut-by-excerpt", test_key_cut_by_excerpt);
  g_test_add_func ("/confab/llm/retry-overloaded", test_retry_overloaded);
  g_test_add_func ("/confab/llm/provider-idle-timeout", test_provider_idle_timeout);

  return g_test_run ();
}
