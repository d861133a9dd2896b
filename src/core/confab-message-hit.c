#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include "confab-message-hit.h"

/* A read-only record: every field is set once, by the search that found
 * the message (confab-message.c). */

struct _ConfabMessageHit
{
  GObject parent_instance;

  char    *message_id;
  char    *conversation_id;
  char    *conversation_title;
  char    *role;
  char    *author;
  char    *created_at;
  char    *snippet;
};

G_DEFINE_FINAL_TYPE (ConfabMessageHit, confab_message_hit, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MESSAGE_ID,
  PROP_CONVERSATION_ID,
  PROP_CONVERSATION_TITLE,
  PROP_ROLE,
  PROP_AUTHOR,
  PROP_CREATED_AT,
  PROP_SNIPPET,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char **
field (ConfabMessageHit *self,
       guint             prop_id)
{
  switch (prop_id)
    {
    case PROP_MESSAGE_ID:
      return &self->message_id;
    case PROP_CONVERSATION_ID:
      return &self->conversation_id;
    case PROP_CONVERSATION_TITLE:
      return &self->conversation_title;
    case PROP_ROLE:
      return &self->role;
    case PROP_AUTHOR:
      return &self->author;
    case PROP_CREATED_AT:
      return &self->created_at;
    case PROP_SNIPPET:
      return &self->snippet;
    default:
      return NULL;
    }
}

static void
confab_message_hit_finalize (GObject *object)
{
  ConfabMessageHit *self = CONFAB_MESSAGE_HIT (object);

  for (guint i = PROP_0 + 1; i < N_PROPS; i++)
    g_clear_pointer (field (self, i), g_free);

  G_OBJECT_CLASS (confab_message_hit_parent_class)->finalize (object);
}

static void
confab_message_hit_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  char **location = field (CONFAB_MESSAGE_HIT (object), prop_id);

  if (location == NULL)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  g_value_set_string (value, *location);
}

static void
confab_message_hit_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  char **location = field (CONFAB_MESSAGE_HIT (object), prop_id);

  if (location == NULL)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  g_free (*location);
  *location = g_value_dup_string (value);
}

static void
confab_message_hit_class_init (ConfabMessageHitClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                            G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = confab_message_hit_finalize;
  object_class->get_property = confab_message_hit_get_property;
  object_class->set_property = confab_message_hit_set_property;

  properties[PROP_MESSAGE_ID] = g_param_spec_string ("message-id", NULL, NULL, NULL, flags);
  properties[PROP_CONVERSATION_ID] =
      g_param_spec_string ("conversation-id", NULL, NULL, NULL, flags);
  /* As stored; may be empty. */
  properties[PROP_CONVERSATION_TITLE] =
      g_param_spec_string ("conversation-title", NULL, NULL, NULL, flags);
  /* "user", "assistant", "system" or "supporter". */
  properties[PROP_ROLE] = g_param_spec_string ("role", NULL, NULL, NULL, flags);
  /* The agent that wrote an assistant message, the person who wrote a user
   * or supporter message; NULL when unknown (deleted) and for system
   * messages. */
  properties[PROP_AUTHOR] = g_param_spec_string ("author", NULL, NULL, NULL, flags);
  /* ISO 8601, UTC. */
  properties[PROP_CREATED_AT] = g_param_spec_string ("created-at", NULL, NULL, NULL, flags);
  /* Plain text around the matched words, which are wrapped in
   * CONFAB_MESSAGE_HIT_MATCH_START and _END. */
  properties[PROP_SNIPPET] = g_param_spec_string ("snippet", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_message_hit_init (ConfabMessageHit *self)
{
}

const char *
confab_message_hit_get_message_id (ConfabMessageHit *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_HIT (self), NULL);

  return self->message_id;
}

const char *
confab_message_hit_get_conversation_id (ConfabMessageHit *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_HIT (self), NULL);

  return self->conversation_id;
}

const char *
confab_message_hit_get_conversation_title (ConfabMessageHit *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_HIT (self), NULL);

  return self->conversation_title;
}

const char *
confab_message_hit_get_role (ConfabMessageHit *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_HIT (self), NULL);

  return self->role;
}

const char *
confab_message_hit_get_author (ConfabMessageHit *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_HIT (self), NULL);

  return self->author;
}

const char *
confab_message_hit_get_created_at (ConfabMessageHit *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_HIT (self), NULL);

  return self->created_at;
}

const char *
confab_message_hit_get_snippet (ConfabMessageHit *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_HIT (self), NULL);

  return self->snippet;
}
