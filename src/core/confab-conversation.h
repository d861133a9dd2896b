#pragma once

#include "confab-entity.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CONVERSATION (confab_conversation_get_type ())

G_DECLARE_FINAL_TYPE (ConfabConversation, confab_conversation, CONFAB, CONVERSATION, ConfabEntity)

/* "active", "archived", "escalated", "ended" */
extern const char * const confab_conversation_statuses[];

#define CONFAB_CONVERSATION_MAX_TITLE 255

ConfabConversation *confab_conversation_new          (const char         *user_id);
const char         *confab_conversation_get_user_id  (ConfabConversation *self);
void                confab_conversation_set_user_id  (ConfabConversation *self,
                                                      const char         *user_id);
const char         *confab_conversation_get_agent_id (ConfabConversation *self);
void                confab_conversation_set_agent_id (ConfabConversation *self,
                                                      const char         *agent_id);
const char         *confab_conversation_get_team_id  (ConfabConversation *self);
void                confab_conversation_set_team_id  (ConfabConversation *self,
                                                      const char         *team_id);
const char         *confab_conversation_get_title    (ConfabConversation *self);
void                confab_conversation_set_title    (ConfabConversation *self,
                                                      const char         *title);
const char         *confab_conversation_get_status   (ConfabConversation *self);
void                confab_conversation_set_status   (ConfabConversation *self,
                                                      const char         *status);

G_END_DECLS
