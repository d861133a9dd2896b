#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "confab-conversation.h"
#include "confab-error.h"
#include "confab-repository.h"
#include "confab-util.h"

/* A chat between one user and an agent or a team. Its messages are
 * ConfabMessage rows; the first user message gives it its title (see
 * confab-message.c), and every new message moves its updated_at. */

struct _ConfabConversation
{
  ConfabEntity parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabConversation, confab_conversation, CONFAB_TYPE_ENTITY)

enum {
  PROP_0,
  PROP_USER_ID,
  PROP_AGENT_ID,
  PROP_TEAM_ID,
  PROP_TITLE,
  PROP_STATUS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char * const confab_conversation_statuses[] = {
  "active", "archived", "escalated", "ended", NULL
};

/* Rows that go with a conversation (ON DELETE CASCADE). */
static const char * const dependent_tables[] = { "messages", "escalations", NULL };

static gboolean
confab_conversation_validate (ConfabEntity    *entity,
                              ConfabDatabase  *db,
                              GError         **error)
{
  ConfabConversation *self = CONFAB_CONVERSATION (entity);

  return confab_repository_check_reference (db, entity, properties[PROP_USER_ID], "users",
                                            TRUE, error) &&
         confab_repository_check_reference (db, entity, properties[PROP_AGENT_ID], "agents",
                                            FALSE, error) &&
         confab_repository_check_reference (db, entity, properties[PROP_TEAM_ID], "teams",
                                            FALSE, error) &&
         confab_check_text (_("title"), confab_conversation_get_title (self),
                            0, CONFAB_CONVERSATION_MAX_TITLE, error) &&
         confab_check_enum (_("status"), confab_conversation_get_status (self),
                            confab_conversation_statuses, error);
}

/* A conversation starts untitled; its first user message names it. */
static gboolean
confab_conversation_before_insert (ConfabEntity    *entity,
                                   ConfabDatabase  *db,
                                   GError         **error)
{
  ConfabConversation *self = CONFAB_CONVERSATION (entity);

  if (confab_conversation_get_title (self) == NULL)
    confab_conversation_set_title (self, "");
  return TRUE;
}

static void
confab_conversation_class_init (ConfabConversationClass *klass)
{
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  entity_class->table = "conversations";
  entity_class->entity_name = "conversation";
  entity_class->label = N_("conversation");
  entity_class->default_order = "updated_at DESC";
  entity_class->dependent_tables = dependent_tables;
  entity_class->validate = confab_conversation_validate;
  entity_class->before_insert = confab_conversation_before_insert;

  properties[PROP_USER_ID] = g_param_spec_string ("user-id", N_("user"), NULL, NULL, flags);
  properties[PROP_AGENT_ID] = g_param_spec_string ("agent-id", N_("agent"), NULL, NULL, flags);
  properties[PROP_TEAM_ID] = g_param_spec_string ("team-id", N_("team"), NULL, NULL, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", N_("title"), NULL, "", flags);
  properties[PROP_STATUS] = g_param_spec_string ("status", N_("status"), NULL, "active", flags);
  confab_entity_class_install_columns (entity_class, N_PROPS, properties);
}

static void
confab_conversation_init (ConfabConversation *self)
{
}

ConfabConversation *
confab_conversation_new (const char *user_id)
{
  return g_object_new (CONFAB_TYPE_CONVERSATION, "user-id", user_id, NULL);
}

CONFAB_DEFINE_STRING_ACCESSORS (confab_conversation, ConfabConversation, user_id,
                                properties[PROP_USER_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_conversation, ConfabConversation, agent_id,
                                properties[PROP_AGENT_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_conversation, ConfabConversation, team_id,
                                properties[PROP_TEAM_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_conversation, ConfabConversation, title,
                                properties[PROP_TITLE])
CONFAB_DEFINE_STRING_ACCESSORS (confab_conversation, ConfabConversation, status,
                                properties[PROP_STATUS])
