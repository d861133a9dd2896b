#define G_LOG_DOMAIN "confab-llm"

#include "config.h"

#include <string.h>

#include "confab-chat-request.h"

typedef struct
{
  char *role;
  char *content;
} Message;

struct _ConfabChatRequest
{
  GObject    parent_instance;

  char      *model;
  char      *system;
  double     temperature;
  int        max_tokens;
  GPtrArray *messages; /* Message */
};

G_DEFINE_FINAL_TYPE (ConfabChatRequest, confab_chat_request, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MODEL,
  PROP_SYSTEM,
  PROP_TEMPERATURE,
  PROP_MAX_TOKENS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* g_set_str() is GLib 2.76. */
static gboolean
set_str (char       **field,
         const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
message_free (gpointer data)
{
  Message *message = data;

  g_free (message->role);
  g_free (message->content);
  g_free (message);
}

static void
confab_chat_request_finalize (GObject *object)
{
  ConfabChatRequest *self = CONFAB_CHAT_REQUEST (object);

  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->system, g_free);
  g_clear_pointer (&self->messages, g_ptr_array_unref);

  G_OBJECT_CLASS (confab_chat_request_parent_class)->finalize (object);
}

static void
confab_chat_request_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabChatRequest *self = CONFAB_CHAT_REQUEST (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_SYSTEM:
      g_value_set_string (value, self->system);
      break;
    case PROP_TEMPERATURE:
      g_value_set_double (value, self->temperature);
      break;
    case PROP_MAX_TOKENS:
      g_value_set_int (value, self->max_tokens);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_chat_request_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ConfabChatRequest *self = CONFAB_CHAT_REQUEST (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      confab_chat_request_set_model (self, g_value_get_string (value));
      break;
    case PROP_SYSTEM:
      confab_chat_request_set_system (self, g_value_get_string (value));
      break;
    case PROP_TEMPERATURE:
      confab_chat_request_set_temperature (self, g_value_get_double (value));
      break;
    case PROP_MAX_TOKENS:
      confab_chat_request_set_max_tokens (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_chat_request_class_init (ConfabChatRequestClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = confab_chat_request_finalize;
  object_class->get_property = confab_chat_request_get_property;
  object_class->set_property = confab_chat_request_set_property;

  /* The model name as the provider knows it ("gpt-4o-mini", "llama3.1:8b"). */
  properties[PROP_MODEL] =
    g_param_spec_string ("model", NULL, NULL, NULL, flags);
  /* The system prompt, sent the way the wire format wants it; NULL for none. */
  properties[PROP_SYSTEM] =
    g_param_spec_string ("system", NULL, NULL, NULL, flags);
  /* 0..2, or -1 to leave it to the provider (then it is not sent at all). */
  properties[PROP_TEMPERATURE] =
    g_param_spec_double ("temperature", NULL, NULL,
                         -1.0, 2.0, CONFAB_CHAT_REQUEST_DEFAULT_TEMPERATURE, flags);
  /* The most tokens to generate, or 0 to leave it to the provider. */
  properties[PROP_MAX_TOKENS] =
    g_param_spec_int ("max-tokens", NULL, NULL,
                      0, G_MAXINT, CONFAB_CHAT_REQUEST_DEFAULT_MAX_TOKENS, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_chat_request_init (ConfabChatRequest *self)
{
  self->temperature = CONFAB_CHAT_REQUEST_DEFAULT_TEMPERATURE;
  self->max_tokens = CONFAB_CHAT_REQUEST_DEFAULT_MAX_TOKENS;
  self->messages = g_ptr_array_new_with_free_func (message_free);
}

ConfabChatRequest *
confab_chat_request_new (const char *model)
{
  return g_object_new (CONFAB_TYPE_CHAT_REQUEST, "model", model, NULL);
}

const char *
confab_chat_request_get_model (ConfabChatRequest *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_REQUEST (self), NULL);
  return self->model;
}

void
confab_chat_request_set_model (ConfabChatRequest *self,
                               const char        *model)
{
  g_return_if_fail (CONFAB_IS_CHAT_REQUEST (self));
  if (set_str (&self->model, model))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

const char *
confab_chat_request_get_system (ConfabChatRequest *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_REQUEST (self), NULL);
  return self->system;
}

void
confab_chat_request_set_system (ConfabChatRequest *self,
                                const char        *system)
{
  g_return_if_fail (CONFAB_IS_CHAT_REQUEST (self));
  if (set_str (&self->system, system))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYSTEM]);
}

double
confab_chat_request_get_temperature (ConfabChatRequest *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_REQUEST (self), CONFAB_CHAT_REQUEST_DEFAULT_TEMPERATURE);
  return self->temperature;
}

/* Whether a temperature was chosen, i.e. whether to send one. */
gboolean
confab_chat_request_has_temperature (ConfabChatRequest *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_REQUEST (self), FALSE);
  return self->temperature >= 0.0;
}

void
confab_chat_request_set_temperature (ConfabChatRequest *self,
                                     double             temperature)
{
  g_return_if_fail (CONFAB_IS_CHAT_REQUEST (self));
  /* Any negative value means "the provider's default". */
  if (temperature < 0.0)
    temperature = CONFAB_CHAT_REQUEST_DEFAULT_TEMPERATURE;
  if (self->temperature != temperature)
    {
      self->temperature = temperature;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEMPERATURE]);
    }
}

int
confab_chat_request_get_max_tokens (ConfabChatRequest *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_REQUEST (self), 0);
  return self->max_tokens;
}

void
confab_chat_request_set_max_tokens (ConfabChatRequest *self,
                                    int                max_tokens)
{
  g_return_if_fail (CONFAB_IS_CHAT_REQUEST (self));
  max_tokens = MAX (max_tokens, 0);
  if (self->max_tokens != max_tokens)
    {
      self->max_tokens = max_tokens;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_TOKENS]);
    }
}

void
confab_chat_request_add_message (ConfabChatRequest *self,
                                 const char        *role,
                                 const char        *content)
{
  Message *message;

  g_return_if_fail (CONFAB_IS_CHAT_REQUEST (self));
  g_return_if_fail (g_strcmp0 (role, "user") == 0 || g_strcmp0 (role, "assistant") == 0);
  g_return_if_fail (content != NULL);

  message = g_new0 (Message, 1);
  message->role = g_strdup (role);
  message->content = g_strdup (content);
  g_ptr_array_add (self->messages, message);
}

guint
confab_chat_request_get_n_messages (ConfabChatRequest *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_REQUEST (self), 0);
  return self->messages->len;
}

const char *
confab_chat_request_get_message_role (ConfabChatRequest *self,
                                      guint              i)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_REQUEST (self), NULL);
  g_return_val_if_fail (i < self->messages->len, NULL);
  return ((Message *) g_ptr_array_index (self->messages, i))->role;
}

const char *
confab_chat_request_get_message_content (ConfabChatRequest *self,
                                         guint              i)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_REQUEST (self), NULL);
  g_return_val_if_fail (i < self->messages->len, NULL);
  return ((Message *) g_ptr_array_index (self->messages, i))->content;
}
