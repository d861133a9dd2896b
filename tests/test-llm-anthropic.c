#include "config.h"

#include <string.h>

#include "confab-anthropic-client.h"
#include "confab-chat-request.h"
#include "confab-chat-result.h"
#include "confab-llm-client.h"
#include "confab-llm-test-run.h"
#include "confab-mock-llm-server.h"
#include "confab-test-util.h"

#define PROVIDER     "Anthropic"
#define MODEL        "claude-test"
#define SERVER_MODEL "claude-test-20250101"
#define API_KEY      "sk-ant-api03-canary-4d9e2b7c1a"

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
  ConfabLlmClient *client = g_object_new (CONFAB_TYPE_ANTHROPIC_CLIENT,
                                          "provider-name", PROVIDER,
                                          "base-url", url,
                                          NULL);

  confab_llm_client_set_api_key (client, key);
  /* Backoff without Retry-After starts at 10 ms instead of a second. */
  g_object_set (client, "retry-delay-ms", 10, NULL);
  return client;
}

static const char *
member_string (JsonObject *object,
               const char *member)
{
  return json_object_get_string_member (object, member);
}

/* ------------------------------------------------------------------------ */
/* Building Anthropic streams                                               */
/* ------------------------------------------------------------------------ */

static char *
json_quote (const char *text)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (node, text);
  return json_to_string (node, FALSE);
}

static const char ev_message_start[] =
  "event: message_start\n"
  "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\","
  "\"role\":\"assistant\",\"content\":[],\"model\":\"" SERVER_MODEL "\",\"stop_reason\":null,"
  "\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"output_tokens\":1}}}\n\n";
static const char ev_block_start[] =
  "event: content_block_start\n"
  "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n";
static const char ev_ping[] =
  "event: ping\n"
  "data: {\"type\": \"ping\"}\n\n";
static const char ev_block_stop[] =
  "event: content_block_stop\n"
  "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n";
static const char ev_message_delta[] =
  "event: message_delta\n"
  "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
  "\"usage\":{\"output_tokens\":15}}\n\n";
static const char ev_message_stop[] =
  "event: message_stop\n"
  "data: {\"type\":\"message_stop\"}\n\n";

static char *
ev_text (const char *text)
{
  g_autofree char *quoted = json_quote (text);

  return g_strdup_printf ("event: content_block_delta\n"
                          "data: {\"type\":\"content_block_delta\",\"index\":0,"
                          "\"delta\":{\"type\":\"text_delta\",\"text\":%s}}\n\n", quoted);
}

/* A whole reply: start, the pieces of text, stop reason, usage, stop. */
static char *
anthropic_stream (const char * const *pieces)
{
  GString *out = g_string_new (ev_message_start);

  g_string_append (out, ev_block_start);
  g_string_append (out, ev_ping);
  for (guint i = 0; pieces[i] != NULL; i++)
    {
      g_autofree char *event = ev_text (pieces[i]);
      g_string_append (out, event);
    }
  g_string_append (out, ev_block_stop);
  g_string_append (out, ev_message_delta);
  g_string_append (out, ev_message_stop);
  return g_string_free (out, FALSE);
}

static ConfabMockResponse *
sse_response (void)
{
  return confab_mock_response_new (200, "text/event-stream; charset=utf-8");
}

static void
push_simple_stream (ConfabMockLlmServer *server)
{
  ConfabMockResponse *r = sse_response ();
  const char * const pieces[] = { "Hello", " world", NULL };
  g_autofree char *stream = anthropic_stream (pieces);

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
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_autoptr (ConfabChatRequest) request = confab_chat_request_new (MODEL);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  const char * const pieces[] = { "Héllo", ", wörld", " 👋", "!", NULL };
  const ConfabMockRequest *req;
  g_autoptr (JsonNode) body = NULL;
  JsonObject *object;
  JsonArray *messages;

  confab_mock_response_add_chunk (r, 0, ev_message_start, -1);
  confab_mock_response_add_chunk (r, 20, ev_block_start, -1);
  confab_mock_response_add_chunk (r, 20, ev_ping, -1);
  for (guint i = 0; pieces[i] != NULL; i++)
    {
      g_autofree char *event = ev_text (pieces[i]);
      confab_mock_response_add_chunk (r, 30, event, -1);
    }
  confab_mock_response_add_chunk (r, 20, ev_block_stop, -1);
  confab_mock_response_add_chunk (r, 20, ev_message_delta, -1);
  confab_mock_response_add_chunk (r, 20, ev_message_stop, -1);
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
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Héllo, wörld 👋!");
  /* Each delta arrived on its own, as the server sent it. */
  g_assert_cmpuint (run.deltas->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (run.deltas, 0), ==, "Héllo");
  g_assert_cmpstr (g_ptr_array_index (run.deltas, 2), ==, " 👋");
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "end_turn");
  g_assert_cmpstr (confab_chat_result_get_model (run.result), ==, SERVER_MODEL);
  /* Input from message_start, output from message_delta. */
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 25);
  g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 15);
  g_assert_cmpint (confab_chat_result_get_first_token_ms (run.result), >=, 0);

  /* The request, as the server saw it. */
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
  req = confab_mock_llm_server_get_request (server, 0);
  g_assert_cmpstr (req->method, ==, "POST");
  g_assert_cmpstr (req->path, ==, "/v1/messages");
  g_assert_cmpstr (confab_mock_request_get_header (req, "x-api-key"), ==, API_KEY);
  g_assert_cmpstr (confab_mock_request_get_header (req, "anthropic-version"), ==, "2023-06-01");
  g_assert_cmpstr (confab_mock_request_get_header (req, "Content-Type"), ==, "application/json");
  g_assert_cmpstr (confab_mock_request_get_header (req, "Accept"), ==, "text/event-stream");
  /* Not the OpenAI way of sending a key. */
  g_assert_null (confab_mock_request_get_header (req, "Authorization"));

  body = confab_mock_request_get_json (req);
  object = json_node_get_object (body);
  g_assert_cmpstr (member_string (object, "model"), ==, MODEL);
  g_assert_true (json_object_get_boolean_member (object, "stream"));
  g_assert_cmpint (json_object_get_int_member (object, "max_tokens"), ==, 64);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (object, "temperature"), 0.25, 1e-9);
  /* The system prompt is its own field, not a message. */
  g_assert_cmpstr (member_string (object, "system"), ==, "You are terse.");
  messages = json_object_get_array_member (object, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 3);
  g_assert_cmpstr (member_string (json_array_get_object_element (messages, 0), "role"), ==, "user");
  g_assert_cmpstr (member_string (json_array_get_object_element (messages, 0), "content"), ==, "Hi");
  g_assert_cmpstr (member_string (json_array_get_object_element (messages, 1), "role"), ==, "assistant");
  g_assert_cmpstr (member_string (json_array_get_object_element (messages, 1), "content"), ==, "Hello!");
  g_assert_cmpstr (member_string (json_array_get_object_element (messages, 2), "role"), ==, "user");
  g_assert_cmpstr (member_string (json_array_get_object_element (messages, 2), "content"), ==,
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
  /* No key: no x-api-key header at all; the version always. */
  g_assert_null (confab_mock_request_get_header (req, "x-api-key"));
  g_assert_null (confab_mock_request_get_header (req, "Authorization"));
  g_assert_cmpstr (confab_mock_request_get_header (req, "anthropic-version"), ==, "2023-06-01");
  body = confab_mock_request_get_json (req);
  object = json_node_get_object (body);
  /* max_tokens is required by the API: the default when the request has none. */
  g_assert_cmpint (json_object_get_int_member (object, "max_tokens"), ==, 1024);
  g_assert_false (json_object_has_member (object, "temperature"));
  g_assert_false (json_object_has_member (object, "system"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "messages")), ==, 1);
}

static void
test_chunks_cut_anywhere (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  const char * const pieces[] = { "Grüße", " é😀 ", "日本語", "\n- item\r\n", "💡", NULL };
  g_autofree char *stream = anthropic_stream (pieces);
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
      gsize size = sizes[i / 2];

      /* Every cut lands somewhere else: mid-line, mid-character (é, 😀,
       * 日 and 💡 are 2 to 4 bytes), between \r and \n. */
      confab_mock_response_add_pieces (r, i % 2 ? crlf : stream, size, size <= 3 ? 0 : 1);
      confab_mock_llm_server_push (server, r);
      run_chat (client, &run);

      g_assert_no_error (run.error);
      g_assert_cmpstr (confab_chat_result_get_text (run.result), ==,
                       "Grüße é😀 日本語\n- item\r\n💡");
      g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "end_turn");
      g_assert_cmpstr (confab_chat_result_get_model (run.result), ==, SERVER_MODEL);
      g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 25);
      g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 15);
    }
}

static void
test_other_blocks_and_events (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *answer = ev_text (" answer");
  GString *stream = g_string_new (ev_message_start);

  /* A thinking block, a tool call, an event type from a later API version,
   * no event: lines (the data's type then counts), and a text block that
   * starts with text of its own. */
  g_string_append (stream,
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"Hmm.\"}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"abc\"}}\n\n"
    "event: content_block_stop\n"
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
    "event: brand_new_event\n"
    "data: {\"type\":\"brand_new_event\",\"text\":\"not reply text\"}\n\n"
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"text\",\"text\":\"The\"}}\n\n"
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"text_delta\",\"text\":\" real\"}}\n\n");
  g_string_append (stream, answer);
  g_string_append (stream,
    "event: content_block_start\n"
    "data: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"get_weather\",\"input\":{}}}\n\n"
    "event: content_block_delta\n"
    "data: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \"}}\n\n"
    ": a comment\n\n"
    "event: message_delta\n"
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},"
    "\"usage\":{\"input_tokens\":30,\"output_tokens\":42}}\n\n");
  g_string_append (stream, ev_message_stop);
  confab_mock_response_add_pieces (r, stream->str, 40, 1);
  g_string_free (stream, TRUE);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "The real answer");
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "tool_use");
  /* A message_delta that reports input tokens too has the last word. */
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 30);
  g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 42);
}

static void
test_non_streaming (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_auto (ChatRun) run = { 0 };
  g_autoptr (JsonNode) body = NULL;
  const ConfabMockRequest *req;
  JsonObject *object;

  confab_llm_client_set_supports_streaming (client, FALSE);
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200,
    "{\"id\":\"msg_02\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" SERVER_MODEL "\","
    "\"content\":[{\"type\":\"text\",\"text\":\"Whole reply, \"},"
    "{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"x\",\"input\":{}},"
    "{\"type\":\"text\",\"text\":\"ünïcode 🎉\"}],"
    "\"stop_reason\":\"max_tokens\",\"stop_sequence\":null,"
    "\"usage\":{\"input_tokens\":9,\"output_tokens\":6}}"));
  run_chat (client, &run);

  g_assert_no_error (run.error);
  /* The same result type; the whole text through one delta. */
  g_assert_cmpuint (run.deltas->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (run.deltas, 0), ==, "Whole reply, ünïcode 🎉");
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Whole reply, ünïcode 🎉");
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "max_tokens");
  g_assert_cmpstr (confab_chat_result_get_model (run.result), ==, SERVER_MODEL);
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 9);
  g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 6);

  req = confab_mock_llm_server_get_request (server, 0);
  g_assert_cmpstr (req->path, ==, "/v1/messages");
  g_assert_cmpstr (confab_mock_request_get_header (req, "Accept"), ==, "application/json");
  g_assert_cmpstr (confab_mock_request_get_header (req, "x-api-key"), ==, API_KEY);
  g_assert_cmpstr (confab_mock_request_get_header (req, "anthropic-version"), ==, "2023-06-01");
  body = confab_mock_request_get_json (req);
  object = json_node_get_object (body);
  g_assert_false (json_object_get_boolean_member (object, "stream"));

  /* A body that is not a message. */
  {
    g_auto (ChatRun) bad = { 0 };

    confab_mock_llm_server_push (server, confab_mock_response_new_json (200, "{\"id\":\"msg_03\"}"));
    run_chat (client, &bad);
    g_assert_error (bad.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
    assert_error_message (bad.error, "“" PROVIDER "” sent a reply that could not be read: "
                                     "“{\"id\":\"msg_03\"}”");
  }
}

static void
test_server_ignores_stream (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };

  /* A proxy that answers a streamed request with one JSON message. */
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200,
    "{\"type\":\"message\",\"model\":\"" SERVER_MODEL "\","
    "\"content\":[{\"type\":\"text\",\"text\":\"All at once\"}],\"stop_reason\":\"end_turn\","
    "\"usage\":{\"input_tokens\":3,\"output_tokens\":4}}"));
  run_chat (client, &run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.deltas->len, ==, 1);
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "All at once");
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "end_turn");
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 3);
  g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 4);
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
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_auto (ChatRun) run = { 0 };

  confab_mock_llm_server_push (server, confab_mock_response_new_json (status, body));
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
  expect_http_error (401,
                     "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
                     "\"message\":\"invalid x-api-key\"}}",
                     CONFAB_ERROR_AUTH,
                     "The API key for “" PROVIDER "” was rejected: invalid x-api-key");
  expect_http_error (403,
                     "{\"type\":\"error\",\"error\":{\"type\":\"permission_error\","
                     "\"message\":\"Your API key does not have permission to use the specified resource.\"}}",
                     CONFAB_ERROR_AUTH,
                     "The API key for “" PROVIDER "” was rejected: Your API key does not have "
                     "permission to use the specified resource.");
  expect_http_error (404,
                     "{\"type\":\"error\",\"error\":{\"type\":\"not_found_error\","
                     "\"message\":\"model: " MODEL "\"}}",
                     CONFAB_ERROR_NOT_FOUND,
                     "The model “" MODEL "” was not found at “" PROVIDER "”: model: " MODEL);
  expect_http_error (400,
                     "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                     "\"message\":\"prompt is too long: 210417 tokens > 200000 maximum\"}}",
                     CONFAB_ERROR_CONTEXT_TOO_LONG,
                     "The conversation is too long for the context window of “" PROVIDER "” (model "
                     "“" MODEL "”): prompt is too long: 210417 tokens > 200000 maximum");
  expect_http_error (400,
                     "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
                     "\"message\":\"max_tokens: Field required\"}}",
                     CONFAB_ERROR_PROVIDER,
                     "“" PROVIDER "” (model “" MODEL "”) answered with an error (HTTP 400 Bad Request): "
                     "max_tokens: Field required");
  expect_http_error (500,
                     "{\"type\":\"error\",\"error\":{\"type\":\"api_error\","
                     "\"message\":\"Internal server error\"}}",
                     CONFAB_ERROR_PROVIDER,
                     "“" PROVIDER "” (model “" MODEL "”) answered with an error (HTTP 500 Internal "
                     "Server Error): Internal server error");
}

static void
test_no_key_401 (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };

  confab_mock_llm_server_push (server, confab_mock_response_new_json (401,
    "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
    "\"message\":\"x-api-key header is required\"}}"));
  run_chat (client, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_AUTH);
  assert_error_message (run.error, "“" PROVIDER "” needs an API key, and none is set: "
                                   "x-api-key header is required");
}

static ConfabMockResponse *
rate_limited (const char *retry_after)
{
  ConfabMockResponse *r = confab_mock_response_new_json (429,
    "{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\","
    "\"message\":\"Number of requests has exceeded your rate limit\"}}");

  if (retry_after != NULL)
    confab_mock_response_add_header (r, "Retry-After", retry_after);
  return r;
}

static void
test_429_retry_after_then_success (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_auto (ChatRun) run = { 0 };

  confab_mock_llm_server_push (server, rate_limited ("1"));
  push_simple_stream (server);
  run_chat (client, &run);

  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello world");
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "end_turn");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 2);
  /* The retry is a whole new request, headers and all. */
  for (guint i = 0; i < 2; i++)
    {
      const ConfabMockRequest *req = confab_mock_llm_server_get_request (server, i);

      g_assert_cmpstr (req->path, ==, "/v1/messages");
      g_assert_cmpstr (confab_mock_request_get_header (req, "x-api-key"), ==, API_KEY);
      g_assert_cmpstr (confab_mock_request_get_header (req, "anthropic-version"), ==, "2023-06-01");
    }
}

static void
test_429_exhausted (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_auto (ChatRun) run = { 0 };

  confab_llm_client_set_max_retries (client, 0);
  confab_mock_llm_server_push (server, rate_limited ("7"));
  run_chat (client, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_RATE_LIMITED);
  assert_error_message (run.error, "“" PROVIDER "” (model “" MODEL "”) is limiting requests; try "
                                   "again in 7 seconds: Number of requests has exceeded your rate limit");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
}

/* ------------------------------------------------------------------------ */
/* Broken streams                                                           */
/* ------------------------------------------------------------------------ */

static void
test_error_event_mid_stream (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *partial = ev_text ("Partial é");

  confab_mock_response_add_chunk (r, 0, ev_message_start, -1);
  confab_mock_response_add_chunk (r, 10, ev_block_start, -1);
  confab_mock_response_add_chunk (r, 10, partial, -1);
  confab_mock_response_add_chunk (r, 10, "event: error\n"
                                         "data: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\","
                                         "\"message\":\"Overloaded\"}}\n\n", -1);
  confab_mock_response_set_endless_chatty (r, 50, ev_ping);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  assert_error_message (run.error, "“" PROVIDER "” reported an error during the reply of “" MODEL "”: "
                                   "Overloaded");
  /* The text before the error is kept, and what was known of the usage;
   * no retry once the body started. */
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Partial é");
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 25);
  g_assert_cmpstr (confab_chat_result_get_model (run.result), ==, SERVER_MODEL);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
}

static void
test_dropped_mid_stream (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *hello = ev_text ("Hello");
  g_autofree char *more = ev_text (" thére");

  confab_mock_response_add_chunk (r, 0, ev_message_start, -1);
  confab_mock_response_add_chunk (r, 10, hello, -1);
  confab_mock_response_add_chunk (r, 10, more, -1);
  confab_mock_response_add_chunk (r, 10, "event: content_block_delta\n"
                                         "data: {\"type\":\"content_block_delta\",\"delta\":{\"type\":"
                                         "\"text_delta\",\"text\":\"never", -1);
  confab_mock_response_set_drop_after (r, 4);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NETWORK);
  assert_error_message (run.error, "The connection to “" PROVIDER "” closed before the reply was complete");
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello thére");
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 25);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
}

static void
test_ends_without_message_stop (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *hello = ev_text ("Hello");

  /* A clean end of the body, even after message_delta, but no message_stop. */
  confab_mock_response_add_chunk (r, 0, ev_message_start, -1);
  confab_mock_response_add_chunk (r, 10, hello, -1);
  confab_mock_response_add_chunk (r, 10, ev_message_delta, -1);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NETWORK);
  assert_error_message (run.error, "The connection to “" PROVIDER "” closed before the reply was complete");
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello");
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "end_turn");
  g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 15);
}

static void
test_invalid_json (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *hello = ev_text ("Hello");

  confab_mock_response_add_chunk (r, 0, ev_message_start, -1);
  confab_mock_response_add_chunk (r, 10, hello, -1);
  confab_mock_response_add_chunk (r, 10, "event: content_block_delta\n"
                                         "data: {\"type\":\"content_block_delta\",\"delta\":{oops\n\n", -1);
  confab_mock_response_add_chunk (r, 10, ev_message_stop, -1);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  assert_error_message (run.error, "“" PROVIDER "” sent a reply that could not be read: "
                                   "“{\"type\":\"content_block_delta\",\"delta\":{oops”");
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello");
}

/* ------------------------------------------------------------------------ */
/* Cancellation                                                             */
/* ------------------------------------------------------------------------ */

static gboolean
has_disconnect (gpointer data)
{
  return confab_mock_llm_server_get_n_disconnects (data) > 0;
}

static void
test_cancel_endless_stream (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_autoptr (ConfabChatRequest) request = confab_chat_request_new (MODEL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *first = ev_text ("Ça ");
  g_autofree char *tick = ev_text ("tick ");

  confab_mock_response_add_chunk (r, 0, ev_message_start, -1);
  confab_mock_response_add_chunk (r, 10, ev_block_start, -1);
  confab_mock_response_add_chunk (r, 10, first, -1);
  confab_mock_response_set_endless_chatty (r, 20, tick);
  confab_mock_llm_server_push (server, r);
  confab_chat_request_add_message (request, "user", "Talk forever");
  run.cancel_after = g_object_ref (cancellable);
  run.n_cancel = 4;
  run_chat_full (client, request, cancellable, &run);

  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_error_message (run.error, "The request to “" PROVIDER "” was cancelled");
  /* The text up to the cancellation is kept; nothing after it. */
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Ça tick tick tick ");
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 25);
  /* And the server saw the client go. */
  g_assert_true (confab_mock_wait_until (has_disconnect, server, 5000));
  g_assert_cmpuint (confab_mock_llm_server_get_n_active (server), ==, 0);
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
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  ModelsRun run = { 0 };
  const ConfabMockRequest *req;
  const char * const expected[] = { "claude-3-5-haiku-20241022", "claude-opus-4-20250514",
                                    "claude-sonnet-4-20250514", NULL };

  confab_mock_llm_server_push (server, confab_mock_response_new_json (200,
    "{\"data\":[{\"type\":\"model\",\"id\":\"claude-sonnet-4-20250514\",\"display_name\":\"Claude Sonnet 4\","
    "\"created_at\":\"2025-05-22T00:00:00Z\"},"
    "{\"type\":\"model\",\"id\":\"claude-opus-4-20250514\",\"display_name\":\"Claude Opus 4\"},"
    "{\"type\":\"model\",\"id\":\"claude-3-5-haiku-20241022\"},"
    "{\"type\":\"model\",\"id\":\"claude-opus-4-20250514\"},{\"type\":\"model\"}],"
    "\"has_more\":false,\"first_id\":\"claude-sonnet-4-20250514\",\"last_id\":\"claude-3-5-haiku-20241022\"}"));
  confab_llm_client_list_models_async (client, NULL, on_models, &run);
  run_until_done (&run.done);

  g_assert_no_error (run.error);
  g_assert_cmpstrv (run.models, expected);
  req = confab_mock_llm_server_get_request (server, 0);
  g_assert_cmpstr (req->method, ==, "GET");
  /* The list is paged (20 by default): one page as large as the API allows. */
  g_assert_cmpstr (req->path, ==, "/v1/models?limit=1000");
  g_assert_cmpstr (confab_mock_request_get_header (req, "x-api-key"), ==, API_KEY);
  g_assert_cmpstr (confab_mock_request_get_header (req, "anthropic-version"), ==, "2023-06-01");
  g_strfreev (run.models);

  /* Not the list the API returns. */
  memset (&run, 0, sizeof run);
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200, "{\"models\":[]}"));
  confab_llm_client_list_models_async (client, NULL, on_models, &run);
  run_until_done (&run.done);
  g_assert_null (run.models);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  assert_error_message (run.error, "“" PROVIDER "” sent a reply that could not be read: “{\"models\":[]}”");
  g_clear_error (&run.error);

  /* An empty list is a list. */
  memset (&run, 0, sizeof run);
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200,
    "{\"data\":[],\"has_more\":false,\"first_id\":null,\"last_id\":null}"));
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
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);

  {
    ModelsRun run = { 0 };

    confab_mock_llm_server_push (server, confab_mock_response_new_json (200,
      "{\"data\":[{\"type\":\"model\",\"id\":\"m\"}],\"has_more\":false}"));
    confab_llm_client_test_connection_async (client, NULL, on_tested, &run);
    run_until_done (&run.done);
    g_assert_no_error (run.error);
    g_assert_true (run.ok);
  }
  {
    ModelsRun run = { 0 };

    confab_mock_llm_server_push (server, confab_mock_response_new_json (401,
      "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\",\"message\":\"invalid x-api-key\"}}"));
    confab_llm_client_test_connection_async (client, NULL, on_tested, &run);
    run_until_done (&run.done);
    g_assert_false (run.ok);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_AUTH);
    assert_error_message (run.error, "The API key for “" PROVIDER "” was rejected: invalid x-api-key");
    g_clear_error (&run.error);
  }
}

/* ------------------------------------------------------------------------ */
/* Keys                                                                     */
/* ------------------------------------------------------------------------ */

static void
test_key_stays_in_its_header (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);

  /* Servers that quote the key back, in an error body and in an error event. */
  confab_mock_llm_server_push (server, confab_mock_response_new_json (401,
    "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
    "\"message\":\"invalid x-api-key " API_KEY "\"}}"));
  {
    ConfabMockResponse *r = sse_response ();

    confab_mock_response_add_chunk (r, 0, ev_message_start, -1);
    confab_mock_response_add_chunk (r, 0, "event: error\n"
                                          "data: {\"type\":\"error\",\"error\":{\"type\":\"api_error\","
                                          "\"message\":\"key " API_KEY " revoked\"}}\n\n", -1);
    confab_mock_llm_server_push (server, r);
  }

  for (guint i = 0; i < 2; i++)
    {
      g_auto (ChatRun) run = { 0 };

      /* run_chat_full () checks the message has no key. */
      run_chat (client, &run);
      g_assert_nonnull (run.error);
      g_assert_null (strstr (run.error->message, "4d9e2b7c1a"));
    }

  for (guint i = 0; i < confab_mock_llm_server_get_n_requests (server); i++)
    {
      const ConfabMockRequest *req = confab_mock_llm_server_get_request (server, i);

      g_assert_cmpstr (confab_mock_request_get_header (req, "x-api-key"), ==, API_KEY);
      g_assert_null (strstr (req->path, "canary"));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/confab/llm/anthropic/stream-with-delays", test_stream_with_delays);
  g_test_add_func ("/confab/llm/anthropic/request-defaults", test_request_defaults);
  g_test_add_func ("/confab/llm/anthropic/chunks-cut-anywhere", test_chunks_cut_anywhere);
  g_test_add_func ("/confab/llm/anthropic/other-blocks-and-events", test_other_blocks_and_events);
  g_test_add_func ("/confab/llm/anthropic/non-streaming", test_non_streaming);
  g_test_add_func ("/confab/llm/anthropic/server-ignores-stream", test_server_ignores_stream);
  g_test_add_func ("/confab/llm/anthropic/error-statuses", test_error_statuses);
  g_test_add_func ("/confab/llm/anthropic/401-without-key", test_no_key_401);
  g_test_add_func ("/confab/llm/anthropic/429-retry-after-then-success", test_429_retry_after_then_success);
  g_test_add_func ("/confab/llm/anthropic/429-exhausted", test_429_exhausted);
  g_test_add_func ("/confab/llm/anthropic/error-event-mid-stream", test_error_event_mid_stream);
  g_test_add_func ("/confab/llm/anthropic/dropped-mid-stream", test_dropped_mid_stream);
  g_test_add_func ("/confab/llm/anthropic/ends-without-message-stop", test_ends_without_message_stop);
  g_test_add_func ("/confab/llm/anthropic/invalid-json", test_invalid_json);
  g_test_add_func ("/confab/llm/anthropic/cancel-endless-stream", test_cancel_endless_stream);
  g_test_add_func ("/confab/llm/anthropic/list-models", test_list_models);
  g_test_add_func ("/confab/llm/anthropic/test-connection", test_test_connection);
  g_test_add_func ("/confab/llm/anthropic/key-stays-in-its-header", test_key_stays_in_its_header);

  return g_test_run ();
}
