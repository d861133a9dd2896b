#define G_LOG_DOMAIN "confab-llm"

#include "config.h"

#include <string.h>

#include "confab-anthropic-client.h"
#include "confab-error.h"
#include "confab-json-util.h"
#include "confab-sse-parser.h"

struct _ConfabAnthropicClient
{
  ConfabLlmClient parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabAnthropicClient, confab_anthropic_client, CONFAB_TYPE_LLM_CLIENT)

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

/* "anthropic-version" on every request; "x-api-key" only when a key is set
 * (a proxy in front of the API may hold the key itself). */
static void
add_headers (ConfabLlmClient *client,
             SoupMessage     *msg)
{
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  const char *key = confab_llm_client_get_api_key (client);

  soup_message_headers_replace (headers, "anthropic-version", CONFAB_ANTHROPIC_CLIENT_API_VERSION);
  if (key != NULL)
    soup_message_headers_replace (headers, "x-api-key", key);
}

static SoupMessage *
confab_anthropic_client_build_chat_message (ConfabLlmClient    *client,
                                            ConfabChatRequest  *request,
                                            gboolean            stream,
                                            GError            **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  const char *system = confab_chat_request_get_system (request);
  int max_tokens = confab_chat_request_get_max_tokens (request);
  SoupMessage *msg;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, confab_chat_request_get_model (request));

  /* Required by the API, unlike in the other wire formats. */
  json_builder_set_member_name (builder, "max_tokens");
  json_builder_add_int_value (builder, max_tokens > 0 ? max_tokens
                                                      : CONFAB_ANTHROPIC_CLIENT_DEFAULT_MAX_TOKENS);

  /* The system prompt is a field of its own, not a message. */
  if (system != NULL && *system != '\0')
    {
      json_builder_set_member_name (builder, "system");
      json_builder_add_string_value (builder, system);
    }

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
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

  json_builder_set_member_name (builder, "stream");
  json_builder_add_boolean_value (builder, stream);
  json_builder_end_object (builder);

  body = json_builder_get_root (builder);
  msg = confab_llm_client_new_json_message (client, "POST", "/messages", body, error);
  if (msg == NULL)
    return NULL;
  if (stream)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                  "text/event-stream");
  add_headers (client, msg);
  return msg;
}

static void
report_usage (ConfabLlmClientStream *stream,
              JsonObject            *usage)
{
  if (usage != NULL)
    confab_llm_client_stream_set_usage (stream, confab_json_get_int (usage, "input_tokens"),
                                        confab_json_get_int (usage, "output_tokens"));
}

/* {"type": "error", "error": {"type": "overloaded_error", "message": ...}}:
 * FALSE with error set when object is one. */
static gboolean
check_error_object (ConfabLlmClientStream  *stream,
                    JsonObject             *object,
                    GError                **error)
{
  JsonNode *node = json_object_get_member (object, "error");

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *error_object = json_node_get_object (node);

      return confab_llm_client_stream_error_event (stream, confab_json_get_string (error_object, "message"),
                                                   confab_json_get_string (error_object, "type"), error);
    }
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    return confab_llm_client_stream_error_event (stream, json_node_get_string (node), NULL, error);
  if (g_strcmp0 (confab_json_get_string (object, "type"), "error") == 0)
    return confab_llm_client_stream_error_event (stream, confab_json_get_string (object, "message"), NULL,
                                                 error);
  return TRUE;
}

/* The text of a content block; other blocks (tool_use, thinking) carry no
 * reply text. */
static void
add_block_text (ConfabLlmClientStream *stream,
                JsonObject            *block)
{
  const char *type = confab_json_get_string (block, "type");

  if (type == NULL || strcmp (type, "text") == 0)
    confab_llm_client_stream_add_text (stream, confab_json_get_string (block, "text"));
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
  const char *type;

  if (strcmp (event, "ping") == 0)
    return TRUE;

  root = confab_llm_client_parse_json (state->client, data, -1, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      confab_llm_client_stream_error_malformed (state->stream, data, -1, &state->error);
      return FALSE;
    }
  object = json_node_get_object (root);

  /* Every event names its type twice; the data's is the one that counts
   * when the event line was left out. */
  type = strcmp (event, "message") != 0 ? event : confab_json_get_string (object, "type");
  if (type == NULL)
    return TRUE;

  if (strcmp (type, "message_start") == 0)
    {
      JsonObject *message = confab_json_get_object (object, "message");

      confab_llm_client_stream_set_model (state->stream, confab_json_get_string (message, "model"));
      report_usage (state->stream, confab_json_get_object (message, "usage"));
    }
  else if (strcmp (type, "content_block_start") == 0)
    {
      add_block_text (state->stream, confab_json_get_object (object, "content_block"));
    }
  else if (strcmp (type, "content_block_delta") == 0)
    {
      JsonObject *delta = confab_json_get_object (object, "delta");

      if (g_strcmp0 (confab_json_get_string (delta, "type"), "text_delta") == 0)
        confab_llm_client_stream_add_text (state->stream, confab_json_get_string (delta, "text"));
    }
  else if (strcmp (type, "message_delta") == 0)
    {
      JsonObject *delta = confab_json_get_object (object, "delta");

      confab_llm_client_stream_set_finish_reason (state->stream, confab_json_get_string (delta, "stop_reason"));
      report_usage (state->stream, confab_json_get_object (object, "usage"));
    }
  else if (strcmp (type, "message_stop") == 0)
    {
      confab_llm_client_stream_set_done (state->stream);
      return FALSE;
    }
  else if (strcmp (type, "error") == 0)
    {
      if (check_error_object (state->stream, object, &state->error))
        confab_llm_client_stream_error_event (state->stream, NULL, NULL, &state->error);
      return FALSE;
    }
  /* content_block_stop, and event types added later, carry nothing we need. */
  return TRUE;
}

static void
confab_anthropic_client_stream_begin (ConfabLlmClient       *client,
                                      ConfabLlmClientStream *stream)
{
  StreamState *state = g_new0 (StreamState, 1);

  state->client = client;
  state->stream = stream;
  state->parser = confab_sse_parser_new (on_sse_event, state);
  confab_llm_client_stream_set_state (stream, state, stream_state_free);
}

static gboolean
confab_anthropic_client_parse_stream_chunk (ConfabLlmClient        *client,
                                            ConfabLlmClientStream  *stream,
                                            const char             *data,
                                            gsize                   len,
                                            GError                **error)
{
  StreamState *state = confab_llm_client_stream_get_state (stream);
  GError *local_error = NULL;

  if (confab_sse_parser_feed (state->parser, data, len, &local_error))
    return TRUE;

  if (state->error != NULL)
    {
      g_clear_error (&local_error);
      g_propagate_error (error, g_steal_pointer (&state->error));
      return FALSE;
    }
  if (local_error != NULL)
    {
      /* A line over the parser's limit. */
      g_propagate_error (error, local_error);
      return FALSE;
    }
  /* Stopped at message_stop: done is set. */
  return TRUE;
}

static gboolean
confab_anthropic_client_parse_stream_end (ConfabLlmClient        *client,
                                          ConfabLlmClientStream  *stream,
                                          GError                **error)
{
  StreamState *state = confab_llm_client_stream_get_state (stream);

  /* An event cut off by the end of the body is dropped: the base then
   * reports the reply as incomplete, since message_stop never came. */
  confab_sse_parser_finish (state->parser, NULL);
  return TRUE;
}

static gboolean
confab_anthropic_client_parse_response (ConfabLlmClient        *client,
                                        ConfabLlmClientStream  *stream,
                                        GBytes                 *body,
                                        GError                **error)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr (JsonNode) root = NULL;
  JsonObject *object;
  JsonArray *content;

  root = confab_llm_client_parse_json (client, data ? data : "", len, error);
  if (root == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return confab_llm_client_stream_error_malformed (stream, data, len, error);
  object = json_node_get_object (root);
  if (!check_error_object (stream, object, error))
    return FALSE;

  content = confab_json_get_array (object, "content");
  if (content == NULL)
    return confab_llm_client_stream_error_malformed (stream, data, len, error);

  confab_llm_client_stream_set_model (stream, confab_json_get_string (object, "model"));
  report_usage (stream, confab_json_get_object (object, "usage"));
  for (guint i = 0; i < json_array_get_length (content); i++)
    {
      JsonNode *block = json_array_get_element (content, i);

      if (JSON_NODE_HOLDS_OBJECT (block))
        add_block_text (stream, json_node_get_object (block));
    }
  confab_llm_client_stream_set_finish_reason (stream, confab_json_get_string (object, "stop_reason"));
  return TRUE;
}

static SoupMessage *
confab_anthropic_client_build_models_message (ConfabLlmClient  *client,
                                              GError          **error)
{
  /* The list is paged, 20 models by default: ask for the most a page holds. */
  SoupMessage *msg = confab_llm_client_new_json_message (client, "GET", "/models?limit=1000",
                                                         NULL, error);

  if (msg != NULL)
    add_headers (client, msg);
  return msg;
}

static char **
confab_anthropic_client_parse_models (ConfabLlmClient  *client,
                                      GBytes           *body,
                                      GError          **error)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr (JsonNode) root = confab_llm_client_parse_json (client, data ? data : "", len, error);
  g_autoptr (GStrvBuilder) names = NULL;
  JsonArray *array;

  if (root == NULL)
    return NULL;
  array = JSON_NODE_HOLDS_OBJECT (root) ? confab_json_get_array (json_node_get_object (root), "data") : NULL;
  if (array == NULL)
    {
      confab_llm_client_error_malformed (client, data, len, error);
      return NULL;
    }

  names = g_strv_builder_new ();
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      const char *model_id = JSON_NODE_HOLDS_OBJECT (item)
                             ? confab_json_get_string (json_node_get_object (item), "id") : NULL;

      if (model_id != NULL && *model_id != '\0')
        g_strv_builder_add (names, model_id);
    }
  return g_strv_builder_end (names);
}

static void
confab_anthropic_client_class_init (ConfabAnthropicClientClass *klass)
{
  ConfabLlmClientClass *client_class = CONFAB_LLM_CLIENT_CLASS (klass);

  client_class->build_chat_message = confab_anthropic_client_build_chat_message;
  client_class->stream_begin = confab_anthropic_client_stream_begin;
  client_class->parse_stream_chunk = confab_anthropic_client_parse_stream_chunk;
  client_class->parse_stream_end = confab_anthropic_client_parse_stream_end;
  client_class->parse_response = confab_anthropic_client_parse_response;
  client_class->build_models_message = confab_anthropic_client_build_models_message;
  client_class->parse_models = confab_anthropic_client_parse_models;
  /* The default extract_error_message reads {"type": "error", "error":
   * {"type", "message"}} and hands the type on as the code, which the base
   * knows ("not_found_error"). */
}

static void
confab_anthropic_client_init (ConfabAnthropicClient *self)
{
}

ConfabLlmClient *
confab_anthropic_client_new (const char *provider_name,
                             const char *base_url,
                             const char *api_key)
{
  return g_object_new (CONFAB_TYPE_ANTHROPIC_CLIENT,
                       "provider-name", provider_name,
                       "base-url", base_url,
                       "api-key", api_key,
                       NULL);
}
