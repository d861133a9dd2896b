#define G_LOG_DOMAIN "confab-llm"

#include "config.h"

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
