/* confab-conversation-header.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include "confab-conversation-header.h"

struct _ConfabConversationHeader
{
  GObject parent_instance;

  gint64 key;
  char  *title;
};

G_DEFINE_FINAL_TYPE (ConfabConversationHeader, confab_conversation_header, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_KEY,
  PROP_TITLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
confab_conversation_header_finalize (GObject *object)
{
  ConfabConversationHeader *self = CONFAB_CONVERSATION_HEADER (object);

  g_clear_pointer (&self->title, g_free);

  G_OBJECT_CLASS (confab_conversation_header_parent_class)->finalize (object);
}

static void
confab_conversation_header_get_property (GObject    *object,
                                         guint       prop_id,
                                         GValue     *value,
                                         GParamSpec *pspec)
{
  ConfabConversationHeader *self = CONFAB_CONVERSATION_HEADER (object);

  switch (prop_id)
    {
    case PROP_KEY:
      g_value_set_int64 (value, self->key);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_header_set_property (GObject      *object,
                                         guint         prop_id,
                                         const GValue *value,
                                         GParamSpec   *pspec)
{
  ConfabConversationHeader *self = CONFAB_CONVERSATION_HEADER (object);

  switch (prop_id)
    {
    case PROP_KEY:
      self->key = g_value_get_int64 (value);
      break;
    case PROP_TITLE:
      self->title = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_header_class_init (ConfabConversationHeaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = confab_conversation_header_finalize;
  object_class->get_property = confab_conversation_header_get_property;
  object_class->set_property = confab_conversation_header_set_property;

  properties[PROP_KEY] =
      g_param_spec_int64 ("key", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
      g_param_spec_string ("title", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_conversation_header_init (ConfabConversationHeader *self)
{
}

ConfabConversationHeader *
confab_conversation_header_new (gint64 key, const char *title)
{
  return g_object_new (CONFAB_TYPE_CONVERSATION_HEADER, "key", key, "title", title, NULL);
}

gint64
confab_conversation_header_get_key (ConfabConversationHeader *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_HEADER (self), 0);

  return self->key;
}

const char *
confab_conversation_header_get_title (ConfabConversationHeader *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_HEADER (self), NULL);

  return self->title;
}
