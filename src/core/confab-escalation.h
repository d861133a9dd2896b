#pragma once

#include "confab-entity.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ESCALATION (confab_escalation_get_type ())

G_DECLARE_FINAL_TYPE (ConfabEscalation, confab_escalation, CONFAB, ESCALATION, ConfabEntity)

/* A conversation handed to a human. A conversation is escalated at most
 * once (CONFAB_ERROR_CONFLICT); creating the escalation also sets the
 * conversation's status to "escalated", in the same transaction.
 * supporter_id is optional, and must be a user with the role "operator" or
 * "admin"; an "assigned" escalation needs one. resolved_at follows status:
 * it is stamped when the status becomes "resolved" (through the setter,
 * g_object_set() or a list refresh alike) and cleared when it leaves it. */

extern const char * const confab_escalation_statuses[];

ConfabEscalation *confab_escalation_new                 (const char       *conversation_id,
                                                         const char       *reason);
const char       *confab_escalation_get_conversation_id (ConfabEscalation *self);
void              confab_escalation_set_conversation_id (ConfabEscalation *self,
                                                         const char       *conversation_id);
const char       *confab_escalation_get_supporter_id    (ConfabEscalation *self);
void              confab_escalation_set_supporter_id    (ConfabEscalation *self,
                                                         const char       *supporter_id);
const char       *confab_escalation_get_reason          (ConfabEscalation *self);
void              confab_escalation_set_reason          (ConfabEscalation *self,
                                                         const char       *reason);
const char       *confab_escalation_get_status          (ConfabEscalation *self);
void              confab_escalation_set_status          (ConfabEscalation *self,
                                                         const char       *status);
const char       *confab_escalation_get_resolved_at     (ConfabEscalation *self);
void              confab_escalation_set_resolved_at     (ConfabEscalation *self,
                                                         const char       *resolved_at);

G_END_DECLS
