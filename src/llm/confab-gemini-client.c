#define G_LOG_DOMAIN "confab-llm"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-json-util.h"
#include "confab-gemini-client.h"
#include "confab-sse-parser.h"

struct _ConfabGeminiClient
{
  ConfabLlmClient parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabGeminiClient, confab_gemini_client, CONFAB_TYPE_LLM_CLIENT)

/* Per-call state: the SSE parser, the first error its callback met, and the
 * last byte received (whether the body ended on a line break). */
typedef struct
{
  ConfabLlmClient       *client;
  ConfabLlmClientStream *stream;
  ConfabSseParser       *parser;
  GError                *error;
  char                   last_byte;
} StreamState;

static void
stream_state_free (gpointer data)
{
  StreamState *state = data;

  g_clear_pointer (&state->parser, confab_sse_parser_free);
  g_clear_error (&state->error);
  g_free (state);
}

/* The key only ever goes in this header: a key in the URL ends up in
 * proxy logs, server logs and error messages. */
static void
add_auth (ConfabLlmClient *client,
          SoupMessage     *msg)
{
  const char *key = confab_llm_client_get_api_key (client);

  if (key != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "x-goog-api-key", key);
}

/* "/models/gemini-x:method": a bare name is a base model; "models/x" and
 * "tunedModels/x" are used as they are. The name is escaped, '/' aside, so
 * that it cannot bring its own ':', '?' or '#'. */
static char *
model_path (const char *model,
            const char *method)
{
  g_autofree char *escaped = g_uri_escape_string (model, "/", FALSE);

  if (strchr (model, '/') != NULL)
    return g_strdup_printf ("/%s:%s", escaped, method);
  return g_strdup_printf ("/models/%s:%s", escaped, method);
}

static void
add_text_parts (JsonBuilder *builder,
                const char  *text)
{
  json_builder_set_member_name (builder, "parts");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text ? text : "");
  json_builder_end_object (builder);
  json_builder_end_array (builder);
}

static SoupMessage *
confab_gemini_client_build_chat_message (ConfabLlmClient    *client,
                                         ConfabChatRequest  *request,
                                         gboolean            stream,
                                         GError            **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *path = NULL;
  const char *system = confab_chat_request_get_system (request);
  gboolean has_temperature = confab_chat_request_has_temperature (request);
  int max_tokens = confab_chat_request_get_max_tokens (request);
  SoupMessage *msg;

  json_builder_begin_object (builder);

  json_builder_set_member_name (builder, "contents");
  json_builder_begin_array (builder);
  for (guint i = 0; i < confab_chat_request_get_n_messages (request); i++)
    {
      const char *role = confab_chat_request_get_message_role (request, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "role");
      /* Gemini knows two roles: "user" and "model". */
      json_builder_add_string_value (builder, g_strcmp0 (role, "assistant") == 0 ||
                                              g_strcmp0 (role, "model") == 0 ? "model" : "user");
      add_text_parts (builder, confab_chat_request_get_message_content (request, i));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  if (system != NULL && *system != '\0')
    {
      json_builder_set_member_name (builder, "systemInstruction");
      json_builder_begin_object (builder);
      add_text_parts (builder, system);
      json_builder_end_object (builder);
    }

  if (has_temperature || max_tokens > 0)
    {
      json_builder_set_member_name (builder, "generationConfig");
      json_builder_begin_object (builder);
      if (has_temperature)
        {
          json_builder_set_member_name (builder, "temperature");
          json_builder_add_double_value (builder, confab_chat_request_get_temperature (request));
        }
      if (max_tokens > 0)
        {
          json_builder_set_member_name (builder, "maxOutputTokens");
          json_builder_add_int_value (builder, max_tokens);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);

  body = json_builder_get_root (builder);
  path = model_path (confab_chat_request_get_model (request),
                     stream ? "streamGenerateContent?alt=sse" : "generateContent");
  msg = confab_llm_client_new_json_message (client, "POST", path, body, error);
  if (msg == NULL)
    return NULL;
  if (stream)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                  "text/event-stream");
  add_auth (client, msg);
  return msg;
}

static JsonObject *
first_candidate (JsonObject *object)
{
  JsonArray *candidates = confab_json_get_array (object, "candidates");
  JsonNode *node;

  if (candidates == NULL || json_array_get_length (candidates) == 0)
    return NULL;
  node = json_array_get_element (candidates, 0);
  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* Reports one GenerateContentResponse. *finished is set when it carries a
 * finishReason: the reply is complete. FALSE with error set for an error
 * object or a blocked prompt. */
static gboolean
handle_response (ConfabLlmClientStream  *stream,
                 JsonObject             *object,
                 gboolean               *finished,
                 GError                **error)
{
  JsonObject *error_object = confab_json_get_object (object, "error");
  JsonObject *usage = confab_json_get_object (object, "usageMetadata");
  JsonObject *candidate;
  JsonArray *parts;
  const char *finish_reason;

  *finished = FALSE;

  if (error_object != NULL)
    {
      const char *status = confab_json_get_string (error_object, "status");

      return confab_llm_client_stream_error_event (stream, confab_json_get_string (error_object, "message"),
                                                   status, error);
    }

  confab_llm_client_stream_set_model (stream, confab_json_get_string (object, "modelVersion"));
  if (usage != NULL)
    confab_llm_client_stream_set_usage (stream, confab_json_get_int (usage, "promptTokenCount"),
                                        confab_json_get_int (usage, "candidatesTokenCount"));

  candidate = first_candidate (object);
  if (candidate == NULL)
    {
      const char *block_reason = confab_json_get_string (confab_json_get_object (object, "promptFeedback"), "blockReason");

      if (block_reason != NULL)
        {
          /* Translators: %s is Gemini's reason, such as "SAFETY". */
          g_autofree char *message = g_strdup_printf (_("the prompt was blocked (%s)"),
                                                      block_reason);

          return confab_llm_client_stream_error_event (stream, message, block_reason, error);
        }
      return TRUE; /* usage only */
    }

  parts = confab_json_get_array (confab_json_get_object (candidate, "content"), "parts");
  for (guint i = 0; parts != NULL && i < json_array_get_length (parts); i++)
    {
      JsonNode *node = json_array_get_element (parts, i);
      JsonObject *part = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;

      /* A thinking model's thoughts are not part of the reply. */
      if (part != NULL && !confab_json_get_boolean (part, "thought"))
        confab_llm_client_stream_add_text (stream, confab_json_get_string (part, "text"));
    }

  finish_reason = confab_json_get_string (candidate, "finishReason");
  if (finish_reason != NULL && *finish_reason != '\0')
    {
      confab_llm_client_stream_set_finish_reason (stream, finish_reason);
      *finished = TRUE;
    }
  return TRUE;
}

static gboolean
on_sse_event (const char *event,
              const char *data,
              const char *id,
              gpointer    user_data)
{
  StreamState *state = user_data;
  g_autoptr (JsonNode) root = NULL;
  gboolean finished = FALSE;

  root = confab_llm_client_parse_json (state->client, data, -1, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      confab_llm_client_stream_error_malformed (state->stream, data, -1, &state->error);
      return FALSE;
    }
  if (!handle_response (state->stream, json_node_get_object (root), &finished, &state->error))
    return FALSE;
  if (finished)
    {
      /* There is no [DONE]: the event with the finishReason is the last. */
      confab_llm_client_stream_set_done (state->stream);
      return FALSE;
    }
  return TRUE;
}

static void
confab_gemini_client_stream_begin (ConfabLlmClient       *client,
                                   ConfabLlmClientStream *stream)
{
  StreamState *state = g_new0 (StreamState, 1);

  state->client = client;
  state->stream = stream;
  state->parser = confab_sse_parser_new (on_sse_event, state);
  confab_llm_client_stream_set_state (stream, state, stream_state_free);
}

/* Feeds bytes to the parser; FALSE with error set when an event or the
 * parser failed. */
static gboolean
feed (StreamState  *state,
      const char   *data,
      gsize         len,
      GError      **error)
{
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
  /* Stopped at the event with the finishReason: done is set. */
  return TRUE;
}

static gboolean
confab_gemini_client_parse_stream_chunk (ConfabLlmClient        *client,
                                         ConfabLlmClientStream  *stream,
                                         const char             *data,
                                         gsize                   len,
                                         GError                **error)
{
  StreamState *state = confab_llm_client_stream_get_state (stream);

  if (len > 0)
    state->last_byte = data[len - 1];
  return feed (state, data, len, error);
}

static gboolean
confab_gemini_client_parse_stream_end (ConfabLlmClient        *client,
                                       ConfabLlmClientStream  *stream,
                                       GError                **error)
{
  StreamState *state = confab_llm_client_stream_get_state (stream);

  /* The stream has no terminator of its own, so the end of the body may be
   * what ends the last event: when the body ended on a line break, that
   * event is whole and is read (a finishReason in it completes the reply).
   * An event cut in the middle of a line is dropped; the base then reports
   * the reply as incomplete, as it does when no finishReason came at all. */
  if (state->last_byte == '\n' || state->last_byte == '\r')
    {
      /* "\n\n": after a lone '\r' the first '\n' only completes it. */
      if (!feed (state, "\n\n", 2, error))
        return FALSE;
    }
  if (!confab_llm_client_stream_is_done (stream))
    confab_sse_parser_finish (state->parser, NULL);
  return TRUE;
}

static gboolean
confab_gemini_client_parse_response (ConfabLlmClient        *client,
                                     ConfabLlmClientStream  *stream,
                                     GBytes                 *body,
                                     GError                **error)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr (JsonNode) root = NULL;
  JsonArray *array = NULL;
  guint n;

  root = confab_llm_client_parse_json (client, data ? data : "", len, error);
  if (root == NULL)
    return FALSE;

  /* generateContent gives one response; streamGenerateContent without
   * alt=sse (a server that ignored it) an array of them. */
  if (JSON_NODE_HOLDS_ARRAY (root))
    array = json_node_get_array (root);
  else if (!JSON_NODE_HOLDS_OBJECT (root))
    return confab_llm_client_stream_error_malformed (stream, data, len, error);
  n = array != NULL ? json_array_get_length (array) : 1;

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = array != NULL ? json_array_get_element (array, i) : root;
      JsonObject *object;
      gboolean finished;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        return confab_llm_client_stream_error_malformed (stream, data, len, error);
      object = json_node_get_object (node);
      if (!json_object_has_member (object, "error") &&
          !json_object_has_member (object, "candidates") &&
          !json_object_has_member (object, "promptFeedback"))
        return confab_llm_client_stream_error_malformed (stream, data, len, error);
      if (!handle_response (stream, object, &finished, error))
        return FALSE;
    }
  return TRUE;
}

static SoupMessage *
confab_gemini_client_build_models_message (ConfabLlmClient  *client,
                                           GError          **error)
{
  /* The list is paged, 50 models by default: ask for the most a page holds. */
  SoupMessage *msg = confab_llm_client_new_json_message (client, "GET", "/models?pageSize=1000",
                                                         NULL, error);

  if (msg != NULL)
    add_auth (client, msg);
  return msg;
}

/* Whether a model can chat: the list also holds embedding and other models,
 * which say what they support. A model that says nothing is kept. */
static gboolean
supports_generate_content (JsonObject *model)
{
  JsonArray *methods = confab_json_get_array (model, "supportedGenerationMethods");

  if (methods == NULL)
    return TRUE;
  for (guint i = 0; i < json_array_get_length (methods); i++)
    {
      JsonNode *node = json_array_get_element (methods, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
          g_strcmp0 (json_node_get_string (node), "generateContent") == 0)
        return TRUE;
    }
  return FALSE;
}

static char **
confab_gemini_client_parse_models (ConfabLlmClient  *client,
                                   GBytes           *body,
                                   GError          **error)
{
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  g_autoptr (JsonNode) root = confab_llm_client_parse_json (client, data ? data : "", len, error);
  g_autoptr (GStrvBuilder) names = NULL;
  JsonObject *object;
  JsonNode *list;
  JsonArray *array;

  if (root == NULL)
    return NULL;
  object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  list = object ? json_object_get_member (object, "models") : NULL;
  /* An empty list is left out altogether: {}. */
  if (object == NULL || (list != NULL && !JSON_NODE_HOLDS_ARRAY (list)))
    {
      confab_llm_client_error_malformed (client, data, len, error);
      return NULL;
    }

  names = g_strv_builder_new ();
  array = list != NULL ? json_node_get_array (list) : NULL;
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      JsonObject *model = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
      const char *name = confab_json_get_string (model, "name");

      if (name == NULL || !supports_generate_content (model))
        continue;
      if (g_str_has_prefix (name, "models/"))
        name += strlen ("models/");
      if (*name != '\0')
        g_strv_builder_add (names, name);
    }
  return g_strv_builder_end (names);
}

static void
confab_gemini_client_class_init (ConfabGeminiClientClass *klass)
{
  ConfabLlmClientClass *client_class = CONFAB_LLM_CLIENT_CLASS (klass);

  client_class->build_chat_message = confab_gemini_client_build_chat_message;
  client_class->stream_begin = confab_gemini_client_stream_begin;
  client_class->parse_stream_chunk = confab_gemini_client_parse_stream_chunk;
  client_class->parse_stream_end = confab_gemini_client_parse_stream_end;
  client_class->parse_response = confab_gemini_client_parse_response;
  client_class->build_models_message = confab_gemini_client_build_models_message;
  client_class->parse_models = confab_gemini_client_parse_models;
  /* The default extract_error_message reads {"error": {"code", "message",
   * "status"}} (also wrapped in an array) and hands "status" on as the
   * code ("NOT_FOUND"). */
}

static void
confab_gemini_client_init (ConfabGeminiClient *self)
{
}

ConfabLlmClient *
confab_gemini_client_new (const char *provider_name,
                          const char *base_url,
                          const char *api_key)
{
  return g_object_new (CONFAB_TYPE_GEMINI_CLIENT,
                       "provider-name", provider_name,
                       "base-url", base_url,
                       "api-key", api_key,
                       NULL);
}
