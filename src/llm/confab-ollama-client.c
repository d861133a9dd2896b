#define G_LOG_DOMAIN "confab-llm"

#include "config.h"

#include <string.h>

#include "confab-json-util.h"
#include "confab-ndjson-parser.h"
#include "confab-ollama-client.h"

struct _ConfabOllamaClient
{
  ConfabLlmClient parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabOllamaClient, confab_ollama_client, CONFAB_TYPE_LLM_CLIENT)

/* Per-call state: the NDJSON parser and the first error its callback met. */
typedef struct
{
  ConfabLlmClient       *client;
  ConfabLlmClientStream *stream;
  ConfabNdjsonParser    *parser;
  GError                *error;
  gboolean               at_end;  /* the body ended: the line is the last one */
} StreamState;

static void
stream_state_free (gpointer data)
{
  StreamState *state = data;

  g_clear_pointer (&state->parser, confab_ndjson_parser_free);
  g_clear_error (&state->error);
  g_free (state);
}

static void
add_auth (ConfabLlmClient *client,
          SoupMessage     *msg)
{
  const char *key = confab_llm_client_get_api_key (client);

  if (key != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", key, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", value);
      explicit_bzero (value, strlen (value));
    }
}

static void
add_message (JsonBuilder *builder,
             const char  *role,
             const char  *content)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, role);
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, content ? content : "");
  json_builder_end_object (builder);
}

static SoupMessage *
confab_ollama_client_build_chat_message (ConfabLlmClient    *client,
                                         ConfabChatRequest  *request,
                                         gboolean            stream,
                                         GError            **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  const char *system = confab_chat_request_get_system (request);
  gboolean has_temperature = confab_chat_request_has_temperature (request);
  int max_tokens = confab_chat_request_get_max_tokens (request);
  SoupMessage *msg;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, confab_chat_request_get_model (request));

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  if (system != NULL && *system != '\0')
    add_message (builder, "system", system);
  for (guint i = 0; i < confab_chat_request_get_n_messages (request); i++)
    add_message (builder, confab_chat_request_get_message_role (request, i),
                 confab_chat_request_get_message_content (request, i));
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, stream);

  /* Ollama's sampling settings live in "options"; left out, the model's
   * Modelfile decides. */
  if (has_temperature || max_tokens > 0)
    {
      json_builder_set_member_name (builder, "options");
      json_builder_begin_object (builder);
      if (has_temperature)
        {
          json_builder_set_member_name (builder, "temperature");
          json_builder_add_double_value (builder, confab_chat_request_get_temperature (request));
        }
      if (max_tokens > 0)
        {
          json_builder_set_member_name (builder, "num_predict");
          json_builder_add_int_value (builder, max_tokens);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  body = json_builder_get_root (builder);
  msg = confab_llm_client_new_json_message (client, "POST", "/api/chat", body, error);
  if (msg == NULL)
    return NULL;
  if (stream)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                  "application/x-ndjson");
  add_auth (client, msg);
  return msg;
}

/* One reply object, streamed or not:
 *   {"model", "message": {"role", "content"}, "done": false}
 *   {"model", "message": {...}, "done": true, "done_reason": "stop",
 *    "prompt_eval_count": N, "eval_count": M, ...}
 * Returns whether it was the last one. */
static gboolean
report_object (ConfabLlmClientStream *stream,
               JsonObject            *object)
{
  JsonObject *message = confab_json_get_object (object, "message");

  confab_llm_client_stream_set_model (stream, confab_json_get_string (object, "model"));
  confab_llm_client_stream_add_text (stream, confab_json_get_string (message, "content"));
  /* Only the last object has these; missing ones change nothing (and
   * prompt_eval_count is left out when the whole prompt came from the
   * cache). */
  confab_llm_client_stream_set_finish_reason (stream, confab_json_get_string (object, "done_reason"));
  confab_llm_client_stream_set_usage (stream, confab_json_get_int (object, "prompt_eval_count"),
                                      confab_json_get_int (object, "eval_count"));
  return confab_json_get_boolean (object, "done");
}

static gboolean
on_line (const char *line,
         gsize       len,
         gpointer    user_data)
{
  StreamState *state = user_data;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object;

  root = confab_llm_client_parse_json (state->client, line, len, NULL);
  if (root == NULL && state->at_end)
    {
      /* A last line cut off by the end of the body: not done, so the base
       * reports the reply as incomplete. */
      g_debug ("“%s”: the reply ended in the middle of a line",
               confab_llm_client_get_provider_name (state->client));
      return FALSE;
    }
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      confab_llm_client_stream_error_malformed (state->stream, line, len, &state->error);
      return FALSE;
    }
  object = json_node_get_object (root);
  if (!confab_llm_client_stream_check_error (state->stream, object, &state->error))
    return FALSE;

  if (report_object (state->stream, object))
    {
      /* Nothing after the last object is read. */
      confab_llm_client_stream_set_done (state->stream);
      return FALSE;
    }
  return TRUE;
}

static void
confab_ollama_client_stream_begin (ConfabLlmClient       *client,
                                   ConfabLlmClientStream *stream)
{
  StreamState *state = g_new0 (StreamState, 1);

  state->client = client;
  state->stream = stream;
  state->parser = confab_ndjson_parser_new (on_line, state);
  confab_llm_client_stream_set_state (stream, state, stream_state_free);
}

/* After the parser stopped or failed: FALSE with an error, or TRUE. */
static gboolean
stream_result (StreamState            *state,
               GError                 *parser_error,
               GError                **error)
{
  if (state->error != NULL)
    {
      g_clear_error (&parser_error);
      g_propagate_error (error, g_steal_pointer (&state->error));
      return FALSE;
    }
  if (parser_error != NULL)
    {
      /* A line over the parser's limit. */
      g_propagate_error (error, parser_error);
      return FALSE;
    }
  /* Stopped at the last object (done is set), or a last line cut off. */
  return TRUE;
}

static gboolean
confab_ollama_client_parse_stream_chunk (ConfabLlmClient        *client,
                                         ConfabLlmClientStream  *stream,
                                         const char             *data,
                                         gsize                   len,
                                         GError                **error)
{
  StreamState *state = confab_llm_client_stream_get_state (stream);
  GError *parser_error = NULL;

  if (confab_ndjson_parser_feed (state->parser, data, len, &parser_error))
    return TRUE;
  return stream_result (state, parser_error, error);
}

static gboolean
confab_ollama_client_parse_stream_end (ConfabLlmClient        *client,
                                       ConfabLlmClientStream  *stream,
                                       GError                **error)
{
  StreamState *state = confab_llm_client_stream_get_state (stream);
  GError *parser_error = NULL;

  /* A last object without its newline is still read. */
  state->at_end = TRUE;
  if (confab_ndjson_parser_finish (state->parser, &parser_error))
    return TRUE;
  return stream_result (state, parser_error, error);
}

static gboolean
confab_ollama_client_parse_response (ConfabLlmClient        *client,
                                     ConfabLlmClientStream  *stream,
                                     GBytes                 *body,
                                     GError                **error)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object;

  root = confab_llm_client_parse_json (client, data ? data : "", len, error);
  if (root == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return confab_llm_client_stream_error_malformed (stream, data, len, error);
  object = json_node_get_object (root);
  if (!confab_llm_client_stream_check_error (stream, object, error))
    return FALSE;
  if (confab_json_get_object (object, "message") == NULL)
    return confab_llm_client_stream_error_malformed (stream, data, len, error);

  /* A whole reply is complete, whatever its "done" says. */
  report_object (stream, object);
  return TRUE;
}

static SoupMessage *
confab_ollama_client_build_models_message (ConfabLlmClient  *client,
                                           GError          **error)
{
  SoupMessage *msg = confab_llm_client_new_json_message (client, "GET", "/api/tags", NULL, error);

  if (msg != NULL)
    add_auth (client, msg);
  return msg;
}

/* {"models": [{"name": "llama3.2:latest", "model": "llama3.2:latest", ...}]} */
static char **
confab_ollama_client_parse_models (ConfabLlmClient  *client,
                                   GBytes           *body,
                                   GError          **error)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr (JsonNode) root = confab_llm_client_parse_json (client, data ? data : "", len, error);
  g_autoptr (GStrvBuilder) names = NULL;
  JsonNode *list;
  JsonArray *array;

  if (root == NULL)
    return NULL;
  list = JSON_NODE_HOLDS_OBJECT (root) ? json_object_get_member (json_node_get_object (root), "models")
                                       : NULL;
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      confab_llm_client_error_malformed (client, data, len, error);
      return NULL;
    }

  names = g_strv_builder_new ();
  array = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      JsonObject *model = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
      const char *name = confab_json_get_string (model, "name");

      if (name == NULL || *name == '\0')
        name = confab_json_get_string (model, "model");
      if (name != NULL && *name != '\0')
        g_strv_builder_add (names, name);
    }
  return g_strv_builder_end (names);
}

/* POST {base}/api/embed {"model": model, "input": [texts...]} */
static SoupMessage *
confab_ollama_client_build_embed_message (ConfabLlmClient     *client,
                                          const char          *model,
                                          const char * const  *texts,
                                          GError             **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  SoupMessage *msg;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, model);
  json_builder_set_member_name (builder, "input");
  json_builder_begin_array (builder);
  for (guint i = 0; texts[i] != NULL; i++)
    json_builder_add_string_value (builder, texts[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  body = json_builder_get_root (builder);
  msg = confab_llm_client_new_json_message (client, "POST", "/api/embed", body, error);
  if (msg != NULL)
    add_auth (client, msg);
  return msg;
}

/* A JSON array of numbers as floats, or NULL when it is not one. */
static GArray *
read_vector (JsonNode *node)
{
  g_autoptr (GArray) vector = NULL;
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  array = json_node_get_array (node);
  vector = g_array_sized_new (FALSE, FALSE, sizeof (float), json_array_get_length (array));
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      GType type = JSON_NODE_HOLDS_VALUE (item) ? json_node_get_value_type (item) : G_TYPE_INVALID;
      float value;

      if (type == G_TYPE_DOUBLE)
        value = (float) json_node_get_double (item);
      else if (type == G_TYPE_INT64)
        value = (float) json_node_get_int (item);
      else
        return NULL;
      g_array_append_val (vector, value);
    }
  return g_steal_pointer (&vector);
}

/* {"model": "...", "embeddings": [[...], [...]]}, in the order of the input. */
static GPtrArray *
confab_ollama_client_parse_embeddings (ConfabLlmClient  *client,
                                       GBytes           *body,
                                       guint             n_texts,
                                       GError          **error)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr (JsonNode) root = confab_llm_client_parse_json (client, data ? data : "", len, error);
  g_autoptr (GPtrArray) vectors = NULL;
  JsonArray *list;

  if (root == NULL)
    return NULL;
  list = JSON_NODE_HOLDS_OBJECT (root)
           ? confab_json_get_array (json_node_get_object (root), "embeddings")
           : NULL;
  if (list == NULL)
    {
      confab_llm_client_error_malformed (client, data, len, error);
      return NULL;
    }

  vectors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      GArray *vector = read_vector (json_array_get_element (list, i));

      if (vector == NULL)
        {
          confab_llm_client_error_malformed (client, data, len, error);
          return NULL;
        }
      g_ptr_array_add (vectors, vector);
    }
  return g_steal_pointer (&vectors);
}

static void
confab_ollama_client_class_init (ConfabOllamaClientClass *klass)
{
  ConfabLlmClientClass *client_class = CONFAB_LLM_CLIENT_CLASS (klass);

  /* The default extract_error_message reads Ollama's {"error": "text"}. */
  client_class->build_chat_message = confab_ollama_client_build_chat_message;
  client_class->stream_begin = confab_ollama_client_stream_begin;
  client_class->parse_stream_chunk = confab_ollama_client_parse_stream_chunk;
  client_class->parse_stream_end = confab_ollama_client_parse_stream_end;
  client_class->parse_response = confab_ollama_client_parse_response;
  client_class->build_models_message = confab_ollama_client_build_models_message;
  client_class->parse_models = confab_ollama_client_parse_models;
  client_class->build_embed_message = confab_ollama_client_build_embed_message;
  client_class->parse_embeddings = confab_ollama_client_parse_embeddings;
}

static void
confab_ollama_client_init (ConfabOllamaClient *self)
{
}

ConfabLlmClient *
confab_ollama_client_new (const char *provider_name,
                          const char *base_url,
                          const char *api_key)
{
  return g_object_new (CONFAB_TYPE_OLLAMA_CLIENT,
                       "provider-name", provider_name,
                       "base-url", base_url,
                       "api-key", api_key,
                       NULL);
}
