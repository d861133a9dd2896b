#pragma once

#include "confab-entity.h"
#include "confab-message-hit.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MESSAGE (confab_message_get_type ())

G_DECLARE_FINAL_TYPE (ConfabMessage, confab_message, CONFAB, MESSAGE, ConfabEntity)

/* "user", "assistant", "system", "supporter" */
extern const char * const confab_message_roles[];
/* "complete", "streaming", "error", "cancelled" */
extern const char * const confab_message_statuses[];

/* What people write (user, system and supporter messages), in characters. */
#define CONFAB_MESSAGE_MAX_CONTENT 10000
/* What a model may reply, in characters. */
#define CONFAB_MESSAGE_MAX_REPLY   1000000
/* A title made from a first message, in characters, ellipsis included. */
#define CONFAB_MESSAGE_TITLE_CHARS 60

ConfabMessage *confab_message_new                   (const char     *conversation_id,
                                                     const char     *role,
                                                     const char     *content);

const char    *confab_message_get_conversation_id   (ConfabMessage  *self);
void           confab_message_set_conversation_id   (ConfabMessage  *self,
                                                     const char     *conversation_id);
gint64         confab_message_get_seq               (ConfabMessage  *self);
void           confab_message_set_seq               (ConfabMessage  *self,
                                                     gint64          seq);
const char    *confab_message_get_parent_message_id (ConfabMessage  *self);
void           confab_message_set_parent_message_id (ConfabMessage  *self,
                                                     const char     *parent_message_id);
const char    *confab_message_get_role              (ConfabMessage  *self);
void           confab_message_set_role              (ConfabMessage  *self,
                                                     const char     *role);
const char    *confab_message_get_user_id           (ConfabMessage  *self);
void           confab_message_set_user_id           (ConfabMessage  *self,
                                                     const char     *user_id);
const char    *confab_message_get_agent_id          (ConfabMessage  *self);
void           confab_message_set_agent_id          (ConfabMessage  *self,
                                                     const char     *agent_id);
const char    *confab_message_get_content           (ConfabMessage  *self);
void           confab_message_set_content           (ConfabMessage  *self,
                                                     const char     *content);
const char    *confab_message_get_source_references (ConfabMessage  *self);
void           confab_message_set_source_references (ConfabMessage  *self,
                                                     const char     *source_references);
const char    *confab_message_get_model             (ConfabMessage  *self);
void           confab_message_set_model             (ConfabMessage  *self,
                                                     const char     *model);
int            confab_message_get_tokens_in         (ConfabMessage  *self);
void           confab_message_set_tokens_in         (ConfabMessage  *self,
                                                     int             tokens_in);
int            confab_message_get_tokens_out        (ConfabMessage  *self);
void           confab_message_set_tokens_out        (ConfabMessage  *self,
                                                     int             tokens_out);
int            confab_message_get_latency_ms        (ConfabMessage  *self);
void           confab_message_set_latency_ms        (ConfabMessage  *self,
                                                     int             latency_ms);
const char    *confab_message_get_status            (ConfabMessage  *self);
void           confab_message_set_status            (ConfabMessage  *self,
                                                     const char     *status);
const char    *confab_message_get_error             (ConfabMessage  *self);
void           confab_message_set_error             (ConfabMessage  *self,
                                                     const char     *error);

char          *confab_message_make_title            (const char     *content);

GPtrArray     *confab_message_search                (ConfabDatabase *db,
                                                     const char     *conversation_id,
                                                     const char     *query,
                                                     guint           limit,
                                                     GError        **error);
GPtrArray     *confab_message_search_hits           (ConfabDatabase *db,
                                                     const char     *query,
                                                     guint           limit,
                                                     GCancellable   *cancellable,
                                                     GError        **error);

G_END_DECLS
