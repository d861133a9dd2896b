#include "config.h"

#include <string.h>

#include "confab-chat-request.h"
#include "confab-chat-result.h"
#include "confab-gemini-client.h"
#include "confab-llm-client.h"
#include "confab-llm-test-run.h"
#include "confab-mock-llm-server.h"
#include "confab-test-util.h"

#define PROVIDER     "Gemini"
#define MODEL        "gemini-test"
#define SERVER_MODEL "gemini-test-001"
#define API_KEY      "AIzaSy-canary-8c3f1e6a2d"
#define STREAM_PATH  "/v1beta/models/" MODEL ":streamGenerateContent?alt=sse"

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
  g_autofree char *url = confab_mock_llm_server_get_url (server, "/v1beta");
  ConfabLlmClient *client = g_object_new (CONFAB_TYPE_GEMINI_CLIENT,
                                          "provider-name", PROVIDER,
                                          "base-url", url,
                                          NULL);

  confab_llm_client_set_api_key (client, key);
  /* Backoff without Retry-After starts at 10 ms instead of a second. */
  g_object_set (client, "retry-delay-ms", 10, NULL);
  return client;
}

/* The key goes in its header, and nowhere in the URL, in any form. */
static void
assert_key_only_in_header (const ConfabMockRequest *req,
                           const char              *key)
{
  g_assert_null (strstr (req->path, "key"));
  g_assert_null (strstr (req->path, "canary"));
  g_assert_cmpstr (confab_mock_request_get_header (req, "x-goog-api-key"), ==, key);
  g_assert_null (confab_mock_request_get_header (req, "Authorization"));
}

static JsonObject *
first_part (JsonObject *content)
{
  return json_array_get_object_element (json_object_get_array_member (content, "parts"), 0);
}

/* ------------------------------------------------------------------------ */
/* Building Gemini streams                                                  */
/* ------------------------------------------------------------------------ */

static char *
json_quote (const char *text)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (node, text);
  return json_to_string (node, FALSE);
}

/* One GenerateContentResponse event, as Gemini sends them (\r\n, spaces).
 * finish_reason may be NULL; the last event has the output token count. */
static char *
ev_text (const char *text,
         const char *finish_reason)
{
  g_autofree char *quoted = json_quote (text);

  if (finish_reason != NULL)
    return g_strdup_printf ("data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": %s}],"
                            "\"role\": \"model\"},\"finishReason\": \"%s\",\"index\": 0}],"
                            "\"usageMetadata\": {\"promptTokenCount\": 8,\"candidatesTokenCount\": 12,"
                            "\"totalTokenCount\": 20},\"modelVersion\": \"" SERVER_MODEL "\","
                            "\"responseId\": \"r1\"}\r\n\r\n",
                            quoted, finish_reason);
  return g_strdup_printf ("data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": %s}],"
                          "\"role\": \"model\"},\"index\": 0}],"
                          "\"usageMetadata\": {\"promptTokenCount\": 8,\"totalTokenCount\": 8},"
                          "\"modelVersion\": \"" SERVER_MODEL "\",\"responseId\": \"r1\"}\r\n\r\n",
                          quoted);
}

/* A whole reply: the pieces of text, the last one with finishReason STOP. */
static char *
gemini_stream (const char * const *pieces)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; pieces[i] != NULL; i++)
    {
      g_autofree char *event = ev_text (pieces[i], pieces[i + 1] == NULL ? "STOP" : NULL);
      g_string_append (out, event);
    }
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
  g_autofree char *stream = gemini_stream (pieces);

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
  JsonObject *config;
  JsonArray *contents;

  for (guint i = 0; pieces[i] != NULL; i++)
    {
      g_autofree char *event = ev_text (pieces[i], pieces[i + 1] == NULL ? "STOP" : NULL);
      confab_mock_response_add_chunk (r, i == 0 ? 0 : 30, event, -1);
    }
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
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "STOP");
  g_assert_cmpstr (confab_chat_result_get_model (run.result), ==, SERVER_MODEL);
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 8);
  g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 12);
  g_assert_cmpint (confab_chat_result_get_first_token_ms (run.result), >=, 0);

  /* The request, as the server saw it. */
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
  req = confab_mock_llm_server_get_request (server, 0);
  g_assert_cmpstr (req->method, ==, "POST");
  g_assert_cmpstr (req->path, ==, STREAM_PATH);
  assert_key_only_in_header (req, API_KEY);
  g_assert_cmpstr (confab_mock_request_get_header (req, "Content-Type"), ==, "application/json");
  g_assert_cmpstr (confab_mock_request_get_header (req, "Accept"), ==, "text/event-stream");

  body = confab_mock_request_get_json (req);
  object = json_node_get_object (body);
  /* The model is in the path, not the body. */
  g_assert_false (json_object_has_member (object, "model"));
  g_assert_false (json_object_has_member (object, "messages"));
  /* The system prompt is its own field, not a turn. */
  g_assert_cmpstr (json_object_get_string_member (first_part (json_object_get_object_member (object,
                                                                                             "systemInstruction")),
                                                  "text"), ==, "You are terse.");
  contents = json_object_get_array_member (object, "contents");
  g_assert_cmpuint (json_array_get_length (contents), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (contents, 0), "role"), ==,
                   "user");
  g_assert_cmpstr (json_object_get_string_member (first_part (json_array_get_object_element (contents, 0)),
                                                  "text"), ==, "Hi");
  /* Gemini calls the assistant "model". */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (contents, 1), "role"), ==,
                   "model");
  g_assert_cmpstr (json_object_get_string_member (first_part (json_array_get_object_element (contents, 1)),
                                                  "text"), ==, "Hello!");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (contents, 2), "role"), ==,
                   "user");
  g_assert_cmpstr (json_object_get_string_member (first_part (json_array_get_object_element (contents, 2)),
                                                  "text"), ==, "Greet the world");
  config = json_object_get_object_member (object, "generationConfig");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (config, "temperature"), 0.25, 1e-9);
  g_assert_cmpint (json_object_get_int_member (config, "maxOutputTokens"), ==, 64);
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
  g_assert_cmpstr (req->path, ==, STREAM_PATH);
  /* No key: no key header at all. */
  g_assert_null (confab_mock_request_get_header (req, "x-goog-api-key"));
  g_assert_null (confab_mock_request_get_header (req, "Authorization"));
  body = confab_mock_request_get_json (req);
  object = json_node_get_object (body);
  /* Unset settings are left to the provider. */
  g_assert_false (json_object_has_member (object, "generationConfig"));
  g_assert_false (json_object_has_member (object, "systemInstruction"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object, "contents")), ==, 1);
}

static void
test_model_names (void)
{
  const struct
  {
    const char *model;
    const char *path;
  } cases[] = {
    { "models/gemini-x", "/v1beta/models/gemini-x:streamGenerateContent?alt=sse" },
    { "tunedModels/my-tune", "/v1beta/tunedModels/my-tune:streamGenerateContent?alt=sse" },
    /* A name cannot cut the URL short: the server reads it back whole (the
     * mock records the decoded path). */
    { "odd#name", "/v1beta/models/odd#name:streamGenerateContent?alt=sse" },
  };
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (ConfabChatRequest) request = confab_chat_request_new (cases[i].model);
      g_auto (ChatRun) run = { 0 };
      const ConfabMockRequest *req;

      confab_chat_request_add_message (request, "user", "Hi");
      push_simple_stream (server);
      run_chat_full (client, request, NULL, &run);
      g_assert_no_error (run.error);
      req = confab_mock_llm_server_get_request (server, i);
      g_assert_cmpstr (req->path, ==, cases[i].path);
      assert_key_only_in_header (req, API_KEY);
    }
}

static void
test_chunks_cut_anywhere (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  const char * const pieces[] = { "Grüße", " é😀 ", "日本語", "\n- item\r\n", "💡", NULL };
  g_autofree char *stream = gemini_stream (pieces);
  g_autofree char *lf = NULL;
  const gsize sizes[] = { 1, 2, 3, 5, 7, 13, 64 };

  /* Gemini ends lines with \r\n; plain \n must do too. */
  {
    g_auto (GStrv) lines = g_strsplit (stream, "\r\n", -1);
    lf = g_strjoinv ("\n", lines);
  }

  for (guint i = 0; i < G_N_ELEMENTS (sizes) * 2; i++)
    {
      g_auto (ChatRun) run = { 0 };
      ConfabMockResponse *r = sse_response ();
      gsize size = sizes[i / 2];

      /* Every cut lands somewhere else: mid-line, mid-character (é, 😀,
       * 日 and 💡 are 2 to 4 bytes), between \r and \n. */
      confab_mock_response_add_pieces (r, i % 2 ? lf : stream, size, size <= 3 ? 0 : 1);
      confab_mock_llm_server_push (server, r);
      run_chat (client, &run);

      g_assert_no_error (run.error);
      g_assert_cmpstr (confab_chat_result_get_text (run.result), ==,
                       "Grüße é😀 日本語\n- item\r\n💡");
      g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "STOP");
      g_assert_cmpstr (confab_chat_result_get_model (run.result), ==, SERVER_MODEL);
      g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 8);
      g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 12);
    }
}

static gboolean
no_active_response (gpointer data)
{
  return confab_mock_llm_server_get_n_active (data) == 0;
}

static void
test_done_at_finish_reason (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *hello = ev_text ("Hello", NULL);
  g_autofree char *last = ev_text (" there", "MAX_TOKENS");
  g_autofree char *late = ev_text (" never read", NULL);

  /* No [DONE]: the event with the finishReason ends the reply, whatever
   * comes after it, and however long the body stays open. */
  confab_mock_response_add_chunk (r, 0, hello, -1);
  confab_mock_response_add_chunk (r, 10, last, -1);
  confab_mock_response_add_chunk (r, 400, late, -1);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello there");
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "MAX_TOKENS");
  g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 12);
  /* The call was over before the server was. */
  g_assert_cmpuint (confab_mock_llm_server_get_n_active (server), ==, 1);
  g_assert_true (confab_mock_wait_until (no_active_response, server, 5000));
}

static void
test_finish_reason_at_end_of_body (void)
{
  const char *endings[] = { "\r\n", "\n", "\r" };

  for (guint i = 0; i < G_N_ELEMENTS (endings); i++)
    {
      g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
      g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
      g_auto (ChatRun) run = { 0 };
      ConfabMockResponse *r = sse_response ();
      g_autofree char *hello = ev_text ("Hello", NULL);
      g_autofree char *last = ev_text (" there", "STOP");

      /* The last event ends with the body instead of a blank line. */
      last[strlen (last) - 4] = '\0';
      confab_mock_response_add_chunk (r, 0, hello, -1);
      confab_mock_response_add_chunk (r, 10, last, -1);
      confab_mock_response_add_chunk (r, 10, endings[i], -1);
      confab_mock_llm_server_push (server, r);
      run_chat (client, &run);

      g_assert_no_error (run.error);
      g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello there");
      g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "STOP");
      g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 12);
    }
}

static void
test_ends_without_finish_reason (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_autofree char *hello = ev_text ("Hello", NULL);
  g_autofree char *more = ev_text (" there", NULL);

  /* A clean end of the body, every event whole, but no finishReason. */
  {
    g_auto (ChatRun) run = { 0 };
    ConfabMockResponse *r = sse_response ();

    confab_mock_response_add_chunk (r, 0, hello, -1);
    confab_mock_response_add_chunk (r, 10, more, -1);
    confab_mock_llm_server_push (server, r);
    run_chat (client, &run);

    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NETWORK);
    assert_error_message (run.error, "The connection to “" PROVIDER "” closed before the reply was complete");
    g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello there");
    g_assert_null (confab_chat_result_get_finish_reason (run.result));
    g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 8);
  }

  /* The body ends in the middle of the event with the finishReason: that
   * event is not read. */
  {
    g_auto (ChatRun) run = { 0 };
    ConfabMockResponse *r = sse_response ();
    g_autofree char *last = ev_text ("!", "STOP");

    last[strlen (last) - 6] = '\0';
    confab_mock_response_add_chunk (r, 0, hello, -1);
    confab_mock_response_add_chunk (r, 10, last, -1);
    confab_mock_llm_server_push (server, r);
    run_chat (client, &run);

    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NETWORK);
    assert_error_message (run.error, "The connection to “" PROVIDER "” closed before the reply was complete");
    g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello");
  }
}

static void
test_usage_and_thoughts (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();

  /* A thinking model: thoughts are not reply text; several parts in one
   * event; an event with usage only; the counts grow as the reply does. */
  confab_mock_response_add_pieces (r,
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Let me think.\", \"thought\": true}],"
    "\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 5,"
    "\"thoughtsTokenCount\": 4},\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n"
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"One, \"}, {\"text\": \"two, \"}],"
    "\"role\": \"model\"},\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 5,"
    "\"candidatesTokenCount\": 2}}\r\n\r\n"
    "data: {\"usageMetadata\": {\"promptTokenCount\": 5,\"candidatesTokenCount\": 3}}\r\n\r\n"
    "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"three.\"}],\"role\": \"model\"},"
    "\"finishReason\": \"STOP\",\"index\": 0}],\"usageMetadata\": {\"promptTokenCount\": 5,"
    "\"candidatesTokenCount\": 6,\"thoughtsTokenCount\": 4,\"totalTokenCount\": 15},"
    "\"modelVersion\": \"gemini-2.5-flash\"}\r\n\r\n",
    50, 1);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "One, two, three.");
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "STOP");
  g_assert_cmpstr (confab_chat_result_get_model (run.result), ==, "gemini-2.5-flash");
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 5);
  g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 6);
}

static void
test_non_streaming (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_auto (ChatRun) run = { 0 };
  const ConfabMockRequest *req;
  g_autoptr (JsonNode) body = NULL;

  confab_llm_client_set_supports_streaming (client, FALSE);
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200,
    "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hmm\", \"thought\": true},"
    "{\"text\": \"Whole reply, \"}, {\"text\": \"ünïcode 🎉\"}],\"role\": \"model\"},"
    "\"finishReason\": \"MAX_TOKENS\",\"index\": 0}],"
    "\"usageMetadata\": {\"promptTokenCount\": 9,\"candidatesTokenCount\": 6,\"totalTokenCount\": 15},"
    "\"modelVersion\": \"" SERVER_MODEL "\"}"));
  run_chat (client, &run);

  g_assert_no_error (run.error);
  /* The same result type; the whole text through one delta. */
  g_assert_cmpuint (run.deltas->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (run.deltas, 0), ==, "Whole reply, ünïcode 🎉");
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Whole reply, ünïcode 🎉");
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "MAX_TOKENS");
  g_assert_cmpstr (confab_chat_result_get_model (run.result), ==, SERVER_MODEL);
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 9);
  g_assert_cmpint (confab_chat_result_get_tokens_out (run.result), ==, 6);

  req = confab_mock_llm_server_get_request (server, 0);
  g_assert_cmpstr (req->method, ==, "POST");
  g_assert_cmpstr (req->path, ==, "/v1beta/models/" MODEL ":generateContent");
  assert_key_only_in_header (req, API_KEY);
  g_assert_cmpstr (confab_mock_request_get_header (req, "Accept"), ==, "application/json");
  body = confab_mock_request_get_json (req);
  g_assert_true (json_object_has_member (json_node_get_object (body), "contents"));

  /* A body that is not a GenerateContentResponse. */
  {
    g_auto (ChatRun) bad = { 0 };

    confab_mock_llm_server_push (server, confab_mock_response_new_json (200, "{\"text\":\"hi\"}"));
    run_chat (client, &bad);
    g_assert_error (bad.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
    assert_error_message (bad.error, "“" PROVIDER "” sent a reply that could not be read: “{\"text\":\"hi\"}”");
  }
}

static void
test_server_ignores_alt_sse (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };

  /* Without alt=sse, streamGenerateContent answers with a JSON array. */
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200,
    "[{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"All \"}],\"role\": \"model\"}}],"
    "\"modelVersion\": \"" SERVER_MODEL "\"},"
    "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"at once\"}],\"role\": \"model\"},"
    "\"finishReason\": \"STOP\"}],\"usageMetadata\": {\"promptTokenCount\": 3,"
    "\"candidatesTokenCount\": 4}}]"));
  run_chat (client, &run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.deltas->len, ==, 1);
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "All at once");
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "STOP");
  g_assert_cmpstr (confab_chat_result_get_model (run.result), ==, SERVER_MODEL);
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
                     "{\"error\": {\"code\": 401,\"message\": \"Request had invalid authentication "
                     "credentials.\",\"status\": \"UNAUTHENTICATED\"}}",
                     CONFAB_ERROR_AUTH,
                     "The API key for “" PROVIDER "” was rejected: Request had invalid authentication "
                     "credentials.");
  expect_http_error (403,
                     "{\"error\": {\"code\": 403,\"message\": \"Permission denied: Consumer has been "
                     "suspended.\",\"status\": \"PERMISSION_DENIED\"}}",
                     CONFAB_ERROR_AUTH,
                     "The API key for “" PROVIDER "” was rejected: Permission denied: Consumer has been "
                     "suspended.");
  expect_http_error (404,
                     "{\"error\": {\"code\": 404,\"message\": \"models/" MODEL " is not found for API "
                     "version v1beta, or is not supported for generateContent.\",\"status\": \"NOT_FOUND\"}}",
                     CONFAB_ERROR_NOT_FOUND,
                     "The model “" MODEL "” was not found at “" PROVIDER "”: models/" MODEL " is not "
                     "found for API version v1beta, or is not supported for generateContent.");
  /* Some Google front ends wrap the error in an array. */
  expect_http_error (404,
                     "[{\"error\": {\"code\": 404,\"message\": \"models/" MODEL " is not found\","
                     "\"status\": \"NOT_FOUND\"}}]",
                     CONFAB_ERROR_NOT_FOUND,
                     "The model “" MODEL "” was not found at “" PROVIDER "”: models/" MODEL " is not found");
  expect_http_error (400,
                     "{\"error\": {\"code\": 400,\"message\": \"* GenerateContentRequest.contents: "
                     "contents is not specified\",\"status\": \"INVALID_ARGUMENT\"}}",
                     CONFAB_ERROR_PROVIDER,
                     "“" PROVIDER "” (model “" MODEL "”) answered with an error (HTTP 400 Bad Request): "
                     "* GenerateContentRequest.contents: contents is not specified");
  /* Gemini answers a bad key with 400 INVALID_ARGUMENT, not 401. */
  expect_http_error (400,
                     "{\"error\": {\"code\": 400,\"message\": \"API key not valid. Please pass a valid "
                     "API key.\",\"status\": \"INVALID_ARGUMENT\",\"details\": [{\"reason\": "
                     "\"API_KEY_INVALID\"}]}}",
                     CONFAB_ERROR_AUTH,
                     "The API key for “" PROVIDER "” was rejected: API key not valid. Please pass a valid "
                     "API key.");
  /* Its context-length wording. */
  expect_http_error (400,
                     "{\"error\": {\"code\": 400,\"message\": \"The input token count (1048580) exceeds "
                     "the maximum number of tokens allowed (1048576).\",\"status\": \"INVALID_ARGUMENT\"}}",
                     CONFAB_ERROR_CONTEXT_TOO_LONG,
                     "The conversation is too long for the context window of “" PROVIDER "” (model “" MODEL
                     "”): The input token count (1048580) exceeds the maximum number of tokens allowed "
                     "(1048576).");
  expect_http_error (500,
                     "{\"error\": {\"code\": 500,\"message\": \"An internal error has occurred. Please "
                     "retry or report in https://developers.generativeai.google/guide/troubleshooting\","
                     "\"status\": \"INTERNAL\"}}",
                     CONFAB_ERROR_PROVIDER,
                     "“" PROVIDER "” (model “" MODEL "”) answered with an error (HTTP 500 Internal "
                     "Server Error): An internal error has occurred. Please retry or report in "
                     "https://developers.generativeai.google/guide/troubleshooting");
}

static void
test_no_key_403 (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, NULL);
  g_auto (ChatRun) run = { 0 };

  confab_mock_llm_server_push (server, confab_mock_response_new_json (403,
    "{\"error\": {\"code\": 403,\"message\": \"Method doesn't allow unregistered callers (callers "
    "without established identity). Please use API Key or other form of API consumer identity to "
    "call this API.\",\"status\": \"PERMISSION_DENIED\"}}"));
  run_chat (client, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_AUTH);
  assert_error_message (run.error, "“" PROVIDER "” needs an API key, and none is set: Method doesn't "
                                   "allow unregistered callers (callers without established identity). "
                                   "Please use API Key or other form of API consumer identity to call "
                                   "this API.");
}

static ConfabMockResponse *
rate_limited (const char *retry_after)
{
  ConfabMockResponse *r = confab_mock_response_new_json (429,
    "{\"error\": {\"code\": 429,\"message\": \"Resource has been exhausted (e.g. check quota).\","
    "\"status\": \"RESOURCE_EXHAUSTED\"}}");

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
  g_assert_cmpstr (confab_chat_result_get_finish_reason (run.result), ==, "STOP");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 2);
  /* The retry is a whole new request, the key in its header again. */
  for (guint i = 0; i < 2; i++)
    {
      const ConfabMockRequest *req = confab_mock_llm_server_get_request (server, i);

      g_assert_cmpstr (req->path, ==, STREAM_PATH);
      assert_key_only_in_header (req, API_KEY);
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
                                   "again in 7 seconds: Resource has been exhausted (e.g. check quota).");
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
  g_autofree char *partial = ev_text ("Partial é", NULL);

  confab_mock_response_add_chunk (r, 0, partial, -1);
  confab_mock_response_add_chunk (r, 10, "data: {\"error\": {\"code\": 503,\"message\": \"The model is "
                                         "overloaded. Please try again later.\",\"status\": "
                                         "\"UNAVAILABLE\"}}\r\n\r\n", -1);
  confab_mock_response_set_endless_chatty (r, 50, ": keep-alive\r\n\r\n");
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  assert_error_message (run.error, "“" PROVIDER "” reported an error during the reply of “" MODEL "”: "
                                   "The model is overloaded. Please try again later.");
  /* The text before the error is kept, and what was known of the usage;
   * no retry once the body started. */
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Partial é");
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 8);
  g_assert_cmpstr (confab_chat_result_get_model (run.result), ==, SERVER_MODEL);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
}

static void
test_prompt_blocked (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();

  /* A blocked prompt gets no candidates and no finishReason at all. */
  confab_mock_response_add_chunk (r, 0, "data: {\"promptFeedback\": {\"blockReason\": \"PROHIBITED_CONTENT\"},"
                                        "\"usageMetadata\": {\"promptTokenCount\": 11,\"totalTokenCount\": 11},"
                                        "\"modelVersion\": \"" SERVER_MODEL "\"}\r\n\r\n", -1);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  assert_error_message (run.error, "“" PROVIDER "” reported an error during the reply of “" MODEL "”: "
                                   "the prompt was blocked (PROHIBITED_CONTENT)");
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "");
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 11);
}

static void
test_dropped_mid_stream (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *hello = ev_text ("Hello", NULL);
  g_autofree char *more = ev_text (" thére", NULL);

  confab_mock_response_add_chunk (r, 0, hello, -1);
  confab_mock_response_add_chunk (r, 10, more, -1);
  confab_mock_response_add_chunk (r, 10, "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"never", -1);
  confab_mock_response_set_drop_after (r, 3);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NETWORK);
  assert_error_message (run.error, "The connection to “" PROVIDER "” closed before the reply was complete");
  g_assert_cmpstr (confab_chat_result_get_text (run.result), ==, "Hello thére");
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 8);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
}

static void
test_invalid_json (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = make_client (server, API_KEY);
  g_auto (ChatRun) run = { 0 };
  ConfabMockResponse *r = sse_response ();
  g_autofree char *hello = ev_text ("Hello", NULL);
  g_autofree char *last = ev_text ("!", "STOP");

  confab_mock_response_add_chunk (r, 0, hello, -1);
  confab_mock_response_add_chunk (r, 10, "data: {\"candidates\": [oops\r\n\r\n", -1);
  confab_mock_response_add_chunk (r, 10, last, -1);
  confab_mock_llm_server_push (server, r);
  run_chat (client, &run);

  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  assert_error_message (run.error, "“" PROVIDER "” sent a reply that could not be read: "
                                   "“{\"candidates\": [oops”");
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
  g_autofree char *first = ev_text ("Ça ", NULL);
  g_autofree char *tick = ev_text ("tick ", NULL);

  confab_mock_response_add_chunk (r, 0, first, -1);
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
  g_assert_cmpint (confab_chat_result_get_tokens_in (run.result), ==, 8);
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
  const char * const expected[] = { "gemini-1.5-flash", "gemini-2.5-pro", "learnlm-2.0-flash", NULL };

  confab_mock_llm_server_push (server, confab_mock_response_new_json (200,
    "{\"models\": [{\"name\": \"models/gemini-2.5-pro\",\"displayName\": \"Gemini 2.5 Pro\","
    "\"supportedGenerationMethods\": [\"generateContent\",\"countTokens\"]},"
    "{\"name\": \"models/embedding-001\",\"supportedGenerationMethods\": [\"embedContent\"]},"
    "{\"name\": \"models/gemini-1.5-flash\",\"supportedGenerationMethods\": [\"generateContent\"]},"
    "{\"name\": \"models/gemini-1.5-flash\"},"
    "{\"name\": \"learnlm-2.0-flash\"},"
    "{\"displayName\": \"No name\"}],"
    "\"nextPageToken\": \"\"}"));
  confab_llm_client_list_models_async (client, NULL, on_models, &run);
  run_until_done (&run.done);

  /* Names without "models/", sorted, each once; only models that can chat. */
  g_assert_no_error (run.error);
  g_assert_cmpstrv (run.models, expected);
  req = confab_mock_llm_server_get_request (server, 0);
  g_assert_cmpstr (req->method, ==, "GET");
  /* The list is paged (50 by default): one page as large as the API allows. */
  g_assert_cmpstr (req->path, ==, "/v1beta/models?pageSize=1000");
  assert_key_only_in_header (req, API_KEY);
  g_strfreev (run.models);

  /* Not the list the API returns. */
  memset (&run, 0, sizeof run);
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200, "{\"models\": {}}"));
  confab_llm_client_list_models_async (client, NULL, on_models, &run);
  run_until_done (&run.done);
  g_assert_null (run.models);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  assert_error_message (run.error, "“" PROVIDER "” sent a reply that could not be read: “{\"models\": {}}”");
  g_clear_error (&run.error);

  /* An empty list is left out altogether, and is a list. */
  memset (&run, 0, sizeof run);
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200, "{}"));
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
      "{\"models\": [{\"name\": \"models/m\"}]}"));
    confab_llm_client_test_connection_async (client, NULL, on_tested, &run);
    run_until_done (&run.done);
    g_assert_no_error (run.error);
    g_assert_true (run.ok);
  }
  {
    ModelsRun run = { 0 };

    confab_mock_llm_server_push (server, confab_mock_response_new_json (403,
      "{\"error\": {\"code\": 403,\"message\": \"Permission denied.\",\"status\": \"PERMISSION_DENIED\"}}"));
    confab_llm_client_test_connection_async (client, NULL, on_tested, &run);
    run_until_done (&run.done);
    g_assert_false (run.ok);
    g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_AUTH);
    assert_error_message (run.error, "The API key for “" PROVIDER "” was rejected: Permission denied.");
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
  confab_mock_llm_server_push (server, confab_mock_response_new_json (400,
    "{\"error\": {\"code\": 400,\"message\": \"API key not valid: " API_KEY "\","
    "\"status\": \"INVALID_ARGUMENT\"}}"));
  {
    ConfabMockResponse *r = sse_response ();

    confab_mock_response_add_chunk (r, 0, "data: {\"error\": {\"code\": 403,\"message\": \"key " API_KEY
                                          " revoked\",\"status\": \"PERMISSION_DENIED\"}}\r\n\r\n", -1);
    confab_mock_llm_server_push (server, r);
  }

  for (guint i = 0; i < 2; i++)
    {
      g_auto (ChatRun) run = { 0 };

      /* run_chat_full () checks the message has no key. */
      run_chat (client, &run);
      g_assert_nonnull (run.error);
      g_assert_null (strstr (run.error->message, "8c3f1e6a2d"));
    }

  for (guint i = 0; i < confab_mock_llm_server_get_n_requests (server); i++)
    assert_key_only_in_header (confab_mock_llm_server_get_request (server, i), API_KEY);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/confab/llm/gemini/stream-with-delays", test_stream_with_delays);
  g_test_add_func ("/confab/llm/gemini/request-defaults", test_request_defaults);
  g_test_add_func ("/confab/llm/gemini/model-names", test_model_names);
  g_test_add_func ("/confab/llm/gemini/chunks-cut-anywhere", test_chunks_cut_anywhere);
  g_test_add_func ("/confab/llm/gemini/done-at-finish-reason", test_done_at_finish_reason);
  g_test_add_func ("/confab/llm/gemini/finish-reason-at-end-of-body", test_finish_reason_at_end_of_body);
  g_test_add_func ("/confab/llm/gemini/ends-without-finish-reason", test_ends_without_finish_reason);
  g_test_add_func ("/confab/llm/gemini/usage-and-thoughts", test_usage_and_thoughts);
  g_test_add_func ("/confab/llm/gemini/non-streaming", test_non_streaming);
  g_test_add_func ("/confab/llm/gemini/server-ignores-alt-sse", test_server_ignores_alt_sse);
  g_test_add_func ("/confab/llm/gemini/error-statuses", test_error_statuses);
  g_test_add_func ("/confab/llm/gemini/403-without-key", test_no_key_403);
  g_test_add_func ("/confab/llm/gemini/429-retry-after-then-success", test_429_retry_after_then_success);
  g_test_add_func ("/confab/llm/gemini/429-exhausted", test_429_exhausted);
  g_test_add_func ("/confab/llm/gemini/error-event-mid-stream", test_error_event_mid_stream);
  g_test_add_func ("/confab/llm/gemini/prompt-blocked", test_prompt_blocked);
  g_test_add_func ("/confab/llm/gemini/dropped-mid-stream", test_dropped_mid_stream);
  g_test_add_func ("/confab/llm/gemini/invalid-json", test_invalid_json);
  g_test_add_func ("/confab/llm/gemini/cancel-endless-stream", test_cancel_endless_stream);
  g_test_add_func ("/confab/llm/gemini/list-models", test_list_models);
  g_test_add_func ("/confab/llm/gemini/test-connection", test_test_connection);
  g_test_add_func ("/confab/llm/gemini/key-stays-in-its-header", test_key_stays_in_its_header);

  return g_test_run ();
}
