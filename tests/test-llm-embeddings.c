/* Embeddings through ConfabLlmClient: the OpenAI-compatible POST
 * {base}/embeddings and Ollama's POST {base}/api/embed against the mock
 * server, with what the base shares with chats (errors, retries, the key
 * kept out of messages) and what it checks (one vector per text, one
 * length, numbers only). */

#include "config.h"

#include <string.h>

#include "confab-anthropic-client.h"
#include "confab-error.h"
#include "confab-llm-client.h"
#include "confab-mock-llm-server.h"
#include "confab-ollama-client.h"
#include "confab-openai-client.h"
#include "confab-test-util.h"

#define PROVIDER "Embedder"
#define MODEL    "nomic-embed-text"
#define KEY      "sk-test-embeddings-0123456789abcdef"
#define WAIT_MS  10000

typedef struct
{
  gboolean   finished;
  GPtrArray *vectors;
  GError    *error;
} EmbedRun;

static void
embed_run_clear (EmbedRun *run)
{
  g_clear_pointer (&run->vectors, g_ptr_array_unref);
  g_clear_error (&run->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (EmbedRun, embed_run_clear)

static void
on_embedded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  EmbedRun *run = user_data;

  run->vectors = confab_llm_client_embed_finish (CONFAB_LLM_CLIENT (source), result, &run->error);
  run->finished = TRUE;
}

static gboolean
is_finished (gpointer data)
{
  return ((EmbedRun *) data)->finished;
}

static void
run_embed (ConfabLlmClient *client, const char *model, const char *const *texts, EmbedRun *run)
{
  confab_llm_client_embed_async (client, model, texts, NULL, on_embedded, run);
  g_assert_true (confab_mock_wait_until (is_finished, run, WAIT_MS));
  g_assert_true ((run->vectors == NULL) != (run->error == NULL));
}

static void
assert_vector (GPtrArray *vectors, guint i, const float *expected, guint n)
{
  GArray *vector = g_ptr_array_index (vectors, i);

  g_assert_cmpuint (vector->len, ==, n);
  for (guint j = 0; j < n; j++)
    g_assert_cmpfloat_with_epsilon (g_array_index (vector, float, j), expected[j], 1e-6);
}

static ConfabLlmClient *
openai_client (ConfabMockLlmServer *server, const char *key)
{
  g_autofree char *url = confab_mock_llm_server_get_url (server, "/v1");
  ConfabLlmClient *client = confab_openai_client_new (PROVIDER, url, key);

  g_object_set (client, "retry-delay-ms", 10, NULL);
  return client;
}

static ConfabLlmClient *
ollama_client (ConfabMockLlmServer *server)
{
  ConfabLlmClient *client =
      confab_ollama_client_new (PROVIDER, confab_mock_llm_server_get_base_url (server), NULL);

  g_object_set (client, "retry-delay-ms", 10, NULL);
  return client;
}

/* The request's "input" array as a strv. */
static GStrv
request_inputs (const ConfabMockRequest *request, char **out_model)
{
  g_autoptr (JsonNode) root = confab_mock_request_get_json (request);
  JsonObject *object = json_node_get_object (root);
  JsonArray  *input = json_object_get_array_member (object, "input");
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < json_array_get_length (input); i++)
    g_strv_builder_add (builder, json_array_get_string_element (input, i));
  if (out_model != NULL)
    *out_model = g_strdup (json_object_get_string_member (object, "model"));
  return g_strv_builder_end (builder);
}

static void
test_openai (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = openai_client (server, KEY);
  const char *const texts[] = { "bread", "cake", "ünïcödé “quotes”", NULL };
  const float       first[] = { 0.25f, -1.0f, 3.0f };
  const float       second[] = { 0.0f, 2.0f, -0.5f };
  const float       third[] = { 1.0f, 1.0f, 1.0f };
  g_auto (EmbedRun) run = { 0 };
  g_auto (GStrv) inputs = NULL;
  g_autofree char         *model = NULL;
  const ConfabMockRequest *request;

  /* The items come out of order; "index" puts them back. Integers are
   * numbers too. */
  confab_mock_llm_server_push (
      server, confab_mock_response_new_json (
                  200, "{\"object\":\"list\",\"model\":\"" MODEL "\",\"data\":["
                       "{\"object\":\"embedding\",\"index\":2,\"embedding\":[1,1,1]},"
                       "{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.25,-1.0,3]},"
                       "{\"object\":\"embedding\",\"index\":1,\"embedding\":[0.0,2.0,-0.5]}],"
                       "\"usage\":{\"prompt_tokens\":6,\"total_tokens\":6}}"));
  run_embed (client, MODEL, texts, &run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.vectors->len, ==, 3);
  assert_vector (run.vectors, 0, first, 3);
  assert_vector (run.vectors, 1, second, 3);
  assert_vector (run.vectors, 2, third, 3);

  request = confab_mock_llm_server_get_request (server, 0);
  g_assert_cmpstr (request->method, ==, "POST");
  g_assert_cmpstr (request->path, ==, "/v1/embeddings");
  g_assert_cmpstr (confab_mock_request_get_header (request, "Authorization"), ==, "Bearer " KEY);
  inputs = request_inputs (request, &model);
  g_assert_cmpstr (model, ==, MODEL);
  g_assert_cmpuint (g_strv_length (inputs), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (inputs[i], ==, texts[i]);
}

static void
test_openai_without_index (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = openai_client (server, NULL);
  const char *const texts[] = { "a", "b", NULL };
  const float       first[] = { 1.0f, 0.0f };
  const float       second[] = { 0.0f, 1.0f };
  g_auto (EmbedRun) run = { 0 };

  /* Some servers leave the index out: the order is the texts'. No key, no
   * Authorization header. */
  confab_mock_llm_server_push (
      server, confab_mock_response_new_json (
                  200, "{\"data\":[{\"embedding\":[1,0]},{\"embedding\":[0,1]}]}"));
  run_embed (client, MODEL, texts, &run);
  g_assert_no_error (run.error);
  assert_vector (run.vectors, 0, first, 2);
  assert_vector (run.vectors, 1, second, 2);
  g_assert_null (confab_mock_request_get_header (confab_mock_llm_server_get_request (server, 0),
                                                 "Authorization"));
}

static void
test_ollama (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = ollama_client (server);
  const char *const texts[] = { "sourdough", "rye", NULL };
  const float       first[] = { 0.5f, 0.25f, -0.125f, 8.0f };
  const float       second[] = { -1.0f, 0.0f, 0.0f, 1e-3f };
  g_auto (EmbedRun) run = { 0 };
  g_auto (GStrv) inputs = NULL;
  g_autofree char         *model = NULL;
  const ConfabMockRequest *request;

  confab_mock_llm_server_push (
      server,
      confab_mock_response_new_json (
          200, "{\"model\":\"" MODEL "\",\"embeddings\":[[0.5,0.25,-0.125,8],[-1,0,0,0.001]],"
               "\"total_duration\":14143917,\"load_duration\":1019500,\"prompt_eval_count\":4}"));
  run_embed (client, MODEL, texts, &run);
  g_assert_no_error (run.error);
  g_assert_cmpuint (run.vectors->len, ==, 2);
  assert_vector (run.vectors, 0, first, 4);
  assert_vector (run.vectors, 1, second, 4);

  request = confab_mock_llm_server_get_request (server, 0);
  g_assert_cmpstr (request->method, ==, "POST");
  g_assert_cmpstr (request->path, ==, "/api/embed");
  inputs = request_inputs (request, &model);
  g_assert_cmpstr (model, ==, MODEL);
  g_assert_cmpstrv (inputs, texts);
}

/* One failure case: the client, the response, the code and a piece of the
 * message. */
static void
expect_failure (ConfabLlmClient     *client,
                ConfabMockLlmServer *server,
                ConfabMockResponse  *response,
                const char *const   *texts,
                GQuark               domain,
                int                  code,
                const char          *message_part)
{
  g_auto (EmbedRun) run = { 0 };

  if (response != NULL)
    confab_mock_llm_server_push (server, response);
  run_embed (client, MODEL, texts, &run);
  g_assert_error (run.error, domain, code);
  if (strstr (run.error->message, message_part) == NULL)
    g_error ("“%s” does not say “%s”", run.error->message, message_part);
  /* Never the key, whole or in part. */
  g_assert_null (strstr (run.error->message, KEY));
  g_assert_null (strstr (run.error->message, "0123456789abcdef"));
}

static void
test_errors (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) openai = openai_client (server, KEY);
  g_autoptr (ConfabLlmClient) ollama = ollama_client (server);
  const char *const two[] = { "one", "two", NULL };
  const char *const three[] = { "one", "two", "three", NULL };

  /* A rejected key: AUTH, the server's words without the key they quote. */
  expect_failure (openai, server,
                  confab_mock_response_new_json (401, "{\"error\":{\"message\":\"Incorrect API "
                                                      "key provided: " KEY "\",\"type\":"
                                                      "\"invalid_request_error\",\"code\":"
                                                      "\"invalid_api_key\"}}"),
                  two, CONFAB_ERROR, CONFAB_ERROR_AUTH, "was rejected");

  /* Not JSON at all. */
  expect_failure (openai, server, confab_mock_response_new_json (200, "{\"data\": [oops"), two,
                  CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "could not be read");
  expect_failure (ollama, server, confab_mock_response_new_json (200, "<html>busy</html>"), two,
                  CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "could not be read");
  /* JSON, but no vectors where they should be. */
  expect_failure (openai, server, confab_mock_response_new_json (200, "{\"embeddings\":[]}"), two,
                  CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "could not be read");

  /* Another number of vectors than texts. */
  expect_failure (openai, server,
                  confab_mock_response_new_json (200, "{\"data\":[{\"index\":0,\"embedding\":[1]},"
                                                      "{\"index\":1,\"embedding\":[2]}]}"),
                  three, CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "2 embeddings for 3 texts");
  expect_failure (ollama, server,
                  confab_mock_response_new_json (200, "{\"embeddings\":[[1],[2],[3]]}"), two,
                  CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "3 embeddings for 2 texts");
  /* The same index twice, or one past the end. */
  expect_failure (openai, server,
                  confab_mock_response_new_json (200, "{\"data\":[{\"index\":0,\"embedding\":[1]},"
                                                      "{\"index\":0,\"embedding\":[2]}]}"),
                  two, CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "do not match the texts");
  expect_failure (openai, server,
                  confab_mock_response_new_json (200, "{\"data\":[{\"index\":0,\"embedding\":[1]},"
                                                      "{\"index\":7,\"embedding\":[2]}]}"),
                  two, CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "do not match the texts");

  /* Values that are not numbers. */
  expect_failure (openai, server,
                  confab_mock_response_new_json (200, "{\"data\":[{\"index\":0,\"embedding\":[1]},"
                                                      "{\"index\":1,\"embedding\":[\"2\"]}]}"),
                  two, CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "could not be read");
  expect_failure (ollama, server,
                  confab_mock_response_new_json (200, "{\"embeddings\":[[1,null],[2,3]]}"), two,
                  CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "could not be read");
  expect_failure (ollama, server,
                  confab_mock_response_new_json (200, "{\"embeddings\":[[1,true],[2,3]]}"), two,
                  CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "could not be read");
  /* A number too large for a float is not one either. */
  expect_failure (ollama, server,
                  confab_mock_response_new_json (200, "{\"embeddings\":[[1,1e300],[2,3]]}"), two,
                  CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "not a number");
  /* Vectors of different lengths, or empty. */
  expect_failure (ollama, server,
                  confab_mock_response_new_json (200, "{\"embeddings\":[[1,2],[3]]}"), two,
                  CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "different lengths");
  expect_failure (ollama, server, confab_mock_response_new_json (200, "{\"embeddings\":[[],[]]}"),
                  two, CONFAB_ERROR, CONFAB_ERROR_PROVIDER, "empty embedding");

  /* An unknown model: NOT_FOUND naming it. */
  expect_failure (ollama, server,
                  confab_mock_response_new_json (404, "{\"error\":\"model \\\"" MODEL "\\\" not "
                                                      "found, try pulling it first\"}"),
                  two, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND, "“" MODEL "” was not found");

  /* Every response was used, and nothing else was asked. */
  g_assert_cmpuint (confab_mock_llm_server_get_n_pending (server), ==, 0);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 15);
}

static void
test_retry (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = openai_client (server, KEY);
  const char *const texts[] = { "a", NULL };
  const float       expected[] = { 0.5f };
  g_auto (EmbedRun) run = { 0 };
  ConfabMockResponse *busy = confab_mock_response_new_json (429, "{\"error\":{\"message\":"
                                                                 "\"slow down\"}}");

  /* A busy server is asked again, as for a chat. */
  confab_mock_response_add_header (busy, "Retry-After", "0");
  confab_mock_llm_server_push (server, busy);
  confab_mock_llm_server_push (server, confab_mock_response_new_json (503, "{}"));
  confab_mock_llm_server_push (server, confab_mock_response_new_json (
                                           200, "{\"data\":[{\"index\":0,\"embedding\":[0.5]}]}"));
  run_embed (client, MODEL, texts, &run);
  g_assert_no_error (run.error);
  assert_vector (run.vectors, 0, expected, 1);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 3);
}

static void
test_unsupported_and_invalid (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) anthropic =
      confab_anthropic_client_new ("Claude", confab_mock_llm_server_get_base_url (server), KEY);
  g_autoptr (ConfabLlmClient) openai = openai_client (server, KEY);
  const char *const texts[] = { "a", NULL };
  const char *const none[] = { NULL };
  g_auto (EmbedRun) run = { 0 };

  g_assert_false (confab_llm_client_can_embed (anthropic));
  g_assert_true (confab_llm_client_can_embed (openai));

  run_embed (anthropic, MODEL, texts, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  g_assert_cmpstr (run.error->message, ==, "The provider “Claude” cannot make embeddings");
  embed_run_clear (&run);
  run.finished = FALSE;

  run_embed (openai, "", texts, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  embed_run_clear (&run);
  run.finished = FALSE;

  run_embed (openai, MODEL, none, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);

  /* None of these reached the server. */
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 0);
}

static gboolean
is_sending (gpointer data)
{
  return confab_mock_llm_server_get_n_active (data) > 0;
}

static gboolean
has_disconnected (gpointer data)
{
  return confab_mock_llm_server_get_n_disconnects (data) == 1;
}

static void
test_cancel (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabLlmClient) client = openai_client (server, NULL);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  const char *const   texts[] = { "a", NULL };
  ConfabMockResponse *slow = confab_mock_response_new (200, "application/json");
  g_auto (EmbedRun) run = { 0 };

  /* A server that never finishes the body (it keeps sending spaces):
   * cancelling ends the call at once and closes the connection. */
  confab_mock_response_add_chunk (slow, 0, "{\"data\":[", -1);
  confab_mock_response_set_endless_chatty (slow, 20, " ");
  confab_mock_llm_server_push (server, slow);
  confab_llm_client_embed_async (client, MODEL, texts, cancellable, on_embedded, &run);
  g_assert_true (confab_mock_wait_until (is_sending, server, WAIT_MS));
  g_assert_false (run.finished);
  g_cancellable_cancel (cancellable);
  g_assert_true (confab_mock_wait_until (is_finished, &run, WAIT_MS));
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (run.vectors);
  /* The connection was really closed. */
  g_assert_true (confab_mock_wait_until (has_disconnected, server, WAIT_MS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/llm-embeddings/openai", test_openai);
  g_test_add_func ("/confab/llm-embeddings/openai-without-index", test_openai_without_index);
  g_test_add_func ("/confab/llm-embeddings/ollama", test_ollama);
  g_test_add_func ("/confab/llm-embeddings/errors", test_errors);
  g_test_add_func ("/confab/llm-embeddings/retry", test_retry);
  g_test_add_func ("/confab/llm-embeddings/unsupported-and-invalid", test_unsupported_and_invalid);
  g_test_add_func ("/confab/llm-embeddings/cancel", test_cancel);
  return g_test_run ();
}
