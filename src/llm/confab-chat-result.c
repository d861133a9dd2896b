#define G_LOG_DOMAIN "confab-llm"

#include "config.h"

#include "confab-chat-result.h"

struct _ConfabChatResult
{
  GObject parent_instance;

  char   *text;
  char   *finish_reason;
  char   *model;
  gint64  tokens_in;
  gint64  tokens_out;
  gint64  first_token_ms;
  gint64  total_ms;
};

G_DEFINE_FINAL_TYPE (ConfabChatResult, confab_chat_result, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TEXT,
  PROP_FINISH_REASON,
  PROP_MODEL,
  PROP_TOKENS_IN,
  PROP_TOKENS_OUT,
  PROP_FIRST_TOKEN_MS,
  PROP_TOTAL_MS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
confab_chat_result_finalize (GObject *object)
{
  ConfabChatResult *self = CONFAB_CHAT_RESULT (object);

  g_clear_pointer (&self->text, g_free);
  g_clear_pointer (&self->finish_reason, g_free);
  g_clear_pointer (&self->model, g_free);

  G_OBJECT_CLASS (confab_chat_result_parent_class)->finalize (object);
}

static void
confab_chat_result_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ConfabChatResult *self = CONFAB_CHAT_RESULT (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, confab_chat_result_get_text (self));
      break;
    case PROP_FINISH_REASON:
      g_value_set_string (value, self->finish_reason);
      break;
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_TOKENS_IN:
      g_value_set_int64 (value, self->tokens_in);
      break;
    case PROP_TOKENS_OUT:
      g_value_set_int64 (value, self->tokens_out);
      break;
    case PROP_FIRST_TOKEN_MS:
      g_value_set_int64 (value, self->first_token_ms);
      break;
    case PROP_TOTAL_MS:
      g_value_set_int64 (value, self->total_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_chat_result_class_init (ConfabChatResultClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = confab_chat_result_finalize;
  object_class->get_property = confab_chat_result_get_property;

  properties[PROP_TEXT] =
    g_param_spec_string ("text", NULL, NULL, "", flags);
  properties[PROP_FINISH_REASON] =
    g_param_spec_string ("finish-reason", NULL, NULL, NULL, flags);
  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL, flags);
  properties[PROP_TOKENS_IN] =
    g_param_spec_int64 ("tokens-in", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_TOKENS_OUT] =
    g_param_spec_int64 ("tokens-out", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_FIRST_TOKEN_MS] =
    g_param_spec_int64 ("first-token-ms", NULL, NULL, -1, G_MAXINT64, -1, flags);
  properties[PROP_TOTAL_MS] =
    g_param_spec_int64 ("total-ms", NULL, NULL, 0, G_MAXINT64, 0, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_chat_result_init (ConfabChatResult *self)
{
  self->first_token_ms = -1;
}

ConfabChatResult *
confab_chat_result_new (void)
{
  return g_object_new (CONFAB_TYPE_CHAT_RESULT, NULL);
}

const char *
confab_chat_result_get_text (ConfabChatResult *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_RESULT (self), NULL);
  return self->text ? self->text : "";
}

const char *
confab_chat_result_get_finish_reason (ConfabChatResult *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_RESULT (self), NULL);
  return self->finish_reason;
}

const char *
confab_chat_result_get_model (ConfabChatResult *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_RESULT (self), NULL);
  return self->model;
}

gint64
confab_chat_result_get_tokens_in (ConfabChatResult *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_RESULT (self), 0);
  return self->tokens_in;
}

gint64
confab_chat_result_get_tokens_out (ConfabChatResult *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_RESULT (self), 0);
  return self->tokens_out;
}

gint64
confab_chat_result_get_first_token_ms (ConfabChatResult *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_RESULT (self), -1);
  return self->first_token_ms;
}

gint64
confab_chat_result_get_total_ms (ConfabChatResult *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_RESULT (self), 0);
  return self->total_ms;
}

static void
set_string (ConfabChatResult  *self,
            char             **field,
            const char        *value,
            GParamSpec        *pspec)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

static void
set_int64 (ConfabChatResult *self,
           gint64           *field,
           gint64            value,
           GParamSpec       *pspec)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

void
confab_chat_result_set_text (ConfabChatResult *self,
                             const char       *text)
{
  g_return_if_fail (CONFAB_IS_CHAT_RESULT (self));
  set_string (self, &self->text, text, properties[PROP_TEXT]);
}

void
confab_chat_result_set_finish_reason (ConfabChatResult *self,
                                      const char       *finish_reason)
{
  g_return_if_fail (CONFAB_IS_CHAT_RESULT (self));
  set_string (self, &self->finish_reason, finish_reason, properties[PROP_FINISH_REASON]);
}

void
confab_chat_result_set_model (ConfabChatResult *self,
                              const char       *model)
{
  g_return_if_fail (CONFAB_IS_CHAT_RESULT (self));
  set_string (self, &self->model, model, properties[PROP_MODEL]);
}

void
confab_chat_result_set_usage (ConfabChatResult *self,
                              gint64            tokens_in,
                              gint64            tokens_out)
{
  g_return_if_fail (CONFAB_IS_CHAT_RESULT (self));
  g_object_freeze_notify (G_OBJECT (self));
  set_int64 (self, &self->tokens_in, MAX (tokens_in, 0), properties[PROP_TOKENS_IN]);
  set_int64 (self, &self->tokens_out, MAX (tokens_out, 0), properties[PROP_TOKENS_OUT]);
  g_object_thaw_notify (G_OBJECT (self));
}

void
confab_chat_result_set_timings (ConfabChatResult *self,
                                gint64            first_token_ms,
                                gint64            total_ms)
{
  g_return_if_fail (CONFAB_IS_CHAT_RESULT (self));
  g_object_freeze_notify (G_OBJECT (self));
  set_int64 (self, &self->first_token_ms, MAX (first_token_ms, -1), properties[PROP_FIRST_TOKEN_MS]);
  set_int64 (self, &self->total_ms, MAX (total_ms, 0), properties[PROP_TOTAL_MS]);
  g_object_thaw_notify (G_OBJECT (self));
}
