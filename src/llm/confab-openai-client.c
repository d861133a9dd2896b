#define G_LOG_DOMAIN "confab-llm"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-json-util.h"
#include "confab-openai-client.h"
#include "confab-sse-parser.h"

struct _ConfabOpenaiClient
{
  ConfabLlmClient parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabOpenaiClient, confab_openai_client, CONFAB_TYPE_LLM_CLIENT)

/* Per-call state: the SSE parser and the first error its callback met. */
typedef struct
{
  ConfabLlmClient       *client;
  ConfabLlmClientStream *stream;
  ConfabSseParser       *parser;
  GError                *error;
} StreamState;

static void
stream_state_free (gpointer data)
{
  StreamState *state = data;

  g_clear_pointer (&state->parser, confab_sse_parser_free);
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

static SoupMessage *
confab_openai_client_build_chat_message (ConfabLlmClient    *client,
                                         ConfabChatRequest  *request,
                                         gboolean            stream,
                                         GError            **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  const char *system = confab_chat_request_get_system (request);
  SoupMessage *msg;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, confab_chat_request_get_model (request));

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  if (system != NULL && *system != '\0')
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, "system");
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, system);
      json_builder_end_object (builder);
    }
  for (guint i = 0; i < confab_chat_request_get_n_messages (request); i++)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "role");
      json_builder_add_string_value (builder, confab_chat_request_get_message_role (request, i));
      json_builder_set_member_name (builder, "content");
      json_builder_add_string_value (builder, confab_chat_request_get_message_content (request, i));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  if (confab_chat_request_has_temperature (request))
    {
      json_builder_set_member_name (builder, "temperature");
      json_builder_add_double_value (builder, confab_chat_request_get_temperature (request));
    }
  if (confab_chat_request_get_max_tokens (request) > 0)
    {
      json_builder_set_member_name (builder, "max_tokens");
      json_builder_add_int_value (builder, confab_chat_request_get_max_tokens (request));
    }

  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, stream);
  if (stream)
    {
      json_builder_set_member_name (builder, "stream_options");
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "include_usage");
      json_builder_add_boolean_value (builder, TRUE);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  body = json_builder_get_root (builder);
  msg = confab_llm_client_new_json_message (client, "POST", "/chat/completions", body, error);
  if (msg == NULL)
    return NULL;
  if (stream)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                  "text/event-stream");
  add_auth (client, msg);
  return msg;
}

static void
report_usage_and_model (ConfabLlmClientStream *stream,
                        JsonObject            *object)
{
  JsonObject *usage = confab_json_get_object (object, "usage");

  confab_llm_client_stream_set_model (stream, confab_json_get_string (object, "model"));
  if (usage != NULL)
    confab_llm_client_stream_set_usage (stream, confab_json_get_int (usage, "prompt_tokens"),
                                        confab_json_get_int (usage, "completion_tokens"));
}

static JsonObject *
first_choice (JsonObject *object)
{
  JsonNode *node = json_object_get_member (object, "choices");
  JsonArray *choices;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  choices = json_node_get_array (node);
  if (json_array_get_length (choices) == 0)
    return NULL;
  node = json_array_get_element (choices, 0);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static gboolean
on_sse_event (const char *event,
              const char *data,
              const char *id,
              gpointer    user_data)
{
  StreamState *state = user_data;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object;
  JsonObject *choice;
  JsonObject *delta;

  if (strcmp (data, "[DONE]") == 0)
    {
      confab_llm_client_stream_set_done (state->stream);
      return FALSE;
    }

  root = confab_llm_client_parse_json (state->client, data, -1, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      confab_llm_client_stream_error_malformed (state->stream, data, -1, &state->error);
      return FALSE;
    }
  object = json_node_get_object (root);
  if (!confab_llm_client_stream_check_error (state->stream, object, &state->error))
    return FALSE;

  report_usage_and_model (state->stream, object);
  choice = first_choice (object);
  delta = confab_json_get_object (choice, "delta");
  confab_llm_client_stream_add_text (state->stream, confab_json_get_string (delta, "content"));
  confab_llm_client_stream_set_finish_reason (state->stream, confab_json_get_string (choice, "finish_reason"));
  return TRUE;
}

static void
confab_openai_client_stream_begin (ConfabLlmClient       *client,
                                   ConfabLlmClientStream *stream)
{
  StreamState *state = g_new0 (StreamState, 1);

  state->client = client;
  state->stream = stream;
  state->parser = confab_sse_parser_new (on_sse_event, state);
  confab_llm_client_stream_set_state (stream, state, stream_state_free);
}

static gboolean
confab_openai_client_parse_stream_chunk (ConfabLlmClient        *client,
                                         ConfabLlmClientStream  *stream,
                                         const char             *data,
                                         gsize                   len,
                                         GError                **error)
{
  StreamState *state = confab_llm_client_stream_get_state (stream);

  if (!confab_sse_parser_feed (state->parser, data, len, error))
    {
      if (state->error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&state->error));
          return FALSE;
        }
      /* Stopped at [DONE] (done is set), or a line over the parser's limit. */
      return confab_llm_client_stream_is_done (stream) || error == NULL || *error == NULL;
    }
  return TRUE;
}

static gboolean
confab_openai_client_parse_stream_end (ConfabLlmClient        *client,
                                       ConfabLlmClientStream  *stream,
                                       GError                **error)
{
  StreamState *state = confab_llm_client_stream_get_state (stream);

  /* An event cut off by the end of the body is dropped: the base then
   * reports the reply as incomplete, since [DONE] never came. */
  confab_sse_parser_finish (state->parser, NULL);
  return TRUE;
}

static gboolean
confab_openai_client_parse_response (ConfabLlmClient        *client,
                                     ConfabLlmClientStream  *stream,
                                     GBytes                 *body,
                                     GError                **error)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object;
  JsonObject *choice;
  JsonObject *message;

  root = confab_llm_client_parse_json (client, data ? data : "", len, error);
  if (root == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return confab_llm_client_stream_error_malformed (stream, data, len, error);
  object = json_node_get_object (root);
  if (!confab_llm_client_stream_check_error (stream, object, error))
    return FALSE;

  choice = first_choice (object);
  message = confab_json_get_object (choice, "message");
  if (message == NULL)
    return confab_llm_client_stream_error_malformed (stream, data, len, error);

  report_usage_and_model (stream, object);
  confab_llm_client_stream_add_text (stream, confab_json_get_string (message, "content"));
  confab_llm_client_stream_set_finish_reason (stream, confab_json_get_string (choice, "finish_reason"));
  return TRUE;
}

static SoupMessage *
confab_openai_client_build_models_message (ConfabLlmClient  *client,
                                           GError          **error)
{
  SoupMessage *msg = confab_llm_client_new_json_message (client, "GET", "/models", NULL, error);

  if (msg != NULL)
    add_auth (client, msg);
  return msg;
}

static char **
confab_openai_client_parse_models (ConfabLlmClient  *client,
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
  list = JSON_NODE_HOLDS_OBJECT (root)
           ? json_object_get_member (json_node_get_object (root), "data")
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
      const char *id = JSON_NODE_HOLDS_OBJECT (item)
                         ? confab_json_get_string (json_node_get_object (item), "id")
                         : NULL;

      if (id != NULL && *id != '\0')
        g_strv_builder_add (names, id);
    }
  return g_strv_builder_end (names);
}

/* POST {base}/embeddings {"model": model, "input": [texts...]} */
static SoupMessage *
confab_openai_client_build_embed_message (ConfabLlmClient     *client,
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
  /* Plain numbers: some servers default to base64 for big batches. */
  json_builder_set_member_name (builder, "encoding_format");
  json_builder_add_string_value (builder, "float");
  json_builder_end_object (builder);

  body = json_builder_get_root (builder);
  msg = confab_llm_client_new_json_message (client, "POST", "/embeddings", body, error);
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

/* For slots no vector filled too. */
static void
vector_free (gpointer data)
{
  if (data != NULL)
    g_array_unref (data);
}

/* {"data": [{"index": 0, "embedding": [...]}, ...]}: the items may come in
 * any order; "index" says which text each is for (the position when there
 * is no index). */
static GPtrArray *
confab_openai_client_parse_embeddings (ConfabLlmClient  *client,
                                       GBytes           *body,
                                       guint             n_texts,
                                       GError          **error)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr (JsonNode) root = confab_llm_client_parse_json (client, data ? data : "", len, error);
  g_autoptr (GPtrArray) vectors = NULL;
  JsonArray *items;
  guint n;

  if (root == NULL)
    return NULL;
  items = JSON_NODE_HOLDS_OBJECT (root)
            ? confab_json_get_array (json_node_get_object (root), "data")
            : NULL;
  if (items == NULL)
    {
      confab_llm_client_error_malformed (client, data, len, error);
      return NULL;
    }

  /* As many slots as the larger of the two counts, so an item too many
   * or too few shows as a count the base reports. */
  n = json_array_get_length (items);
  vectors = g_ptr_array_new_with_free_func (vector_free);
  g_ptr_array_set_size (vectors, MAX (n, n_texts));
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (items, i);
      JsonObject *item = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonNode *index_node = item ? json_object_get_member (item, "index") : NULL;
      gint64 index = i;
      GArray *vector;

      if (item == NULL)
        {
          confab_llm_client_error_malformed (client, data, len, error);
          return NULL;
        }
      if (index_node != NULL && !JSON_NODE_HOLDS_NULL (index_node))
        {
          if (!JSON_NODE_HOLDS_VALUE (index_node) ||
              json_node_get_value_type (index_node) != G_TYPE_INT64)
            {
              confab_llm_client_error_malformed (client, data, len, error);
              return NULL;
            }
          index = json_node_get_int (index_node);
        }
      if (index < 0 || index >= (gint64) vectors->len || g_ptr_array_index (vectors, index) != NULL)
        {
          /* Out of range or said twice: not one vector per text. */
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                       _("“%s” sent embeddings whose positions do not match the texts"),
                       confab_llm_client_get_provider_name (client));
          return NULL;
        }
      vector = read_vector (json_object_get_member (item, "embedding"));
      if (vector == NULL)
        {
          confab_llm_client_error_malformed (client, data, len, error);
          return NULL;
        }
      g_ptr_array_index (vectors, index) = vector;
    }
  /* Slots no item filled leave the vectors that came, for the base to count. */
  for (guint i = vectors->len; i > 0; i--)
    if (g_ptr_array_index (vectors, i - 1) == NULL)
      g_ptr_array_remove_index (vectors, i - 1);
  return g_steal_pointer (&vectors);
}

static void
confab_openai_client_class_init (ConfabOpenaiClientClass *klass)
{
  ConfabLlmClientClass *client_class = CONFAB_LLM_CLIENT_CLASS (klass);

  client_class->build_chat_message = confab_openai_client_build_chat_message;
  client_class->stream_begin = confab_openai_client_stream_begin;
  client_class->parse_stream_chunk = confab_openai_client_parse_stream_chunk;
  client_class->parse_stream_end = confab_openai_client_parse_stream_end;
  client_class->parse_response = confab_openai_client_parse_response;
  client_class->build_models_message = confab_openai_client_build_models_message;
  client_class->parse_models = confab_openai_client_parse_models;
  client_class->build_embed_message = confab_openai_client_build_embed_message;
  client_class->parse_embeddings = confab_openai_client_parse_embeddings;
}

static void
confab_openai_client_init (ConfabOpenaiClient *self)
{
}

ConfabLlmClient *
confab_openai_client_new (const char *provider_name,
                          const char *base_url,
                          const char *api_key)
{
  return g_object_new (CONFAB_TYPE_OPENAI_CLIENT,
                       "provider-name", provider_name,
                       "base-url", base_url,
                       "api-key", api_key,
                       NULL);
}
