#pragma once

#include "confab-database.h"
#include "confab-escalation.h"
#include "confab-message.h"

G_BEGIN_DECLS

/* What the people of the team do with escalated conversations, for the app
 * and confab-cli alike: take one, answer the customer as a "supporter", and
 * resolve it so the conversation's agent answers again.
 *
 * Each call runs in one transaction (a savepoint inside the caller's), reads
 * the escalation afresh in it, and leaves an audit row for every change; on
 * error nothing is written. @escalation_id may also be the id of the
 * escalated conversation (a conversation is escalated at most once).
 *
 * Errors: NOT_FOUND for an unknown escalation or user; INVALID for a user
 * who is not an operator or an admin (a client can neither take, answer nor
 * resolve) and for a reply the message rules refuse; CONFLICT for a resolved
 * escalation (resolving twice included) and for one another person holds
 * (answering it, or resolving it when not an admin). */

/* The escalation with that id, or the one of the conversation with that id. */
ConfabEscalation *
confab_escalation_desk_lookup (ConfabDatabase *db, const char *escalation_id, GError **error);

/* Gives the escalation to @operator_id (an operator or an admin): status
 * "assigned", that user its supporter. Taking one held by somebody else
 * takes it over; taking one you hold changes nothing. Returns the
 * escalation as stored. */
ConfabEscalation *confab_escalation_desk_take (ConfabDatabase *db,
                                               const char     *escalation_id,
                                               const char     *operator_id,
                                               GError        **error);

/* Writes @content to the customer as a "supporter" message by @operator_id,
 * continuing the conversation's active branch. A pending escalation (or one
 * whose supporter is gone) is taken by the operator first; one that another
 * person holds must be taken over first (CONFLICT). Returns the message. */
ConfabMessage *confab_escalation_desk_reply (ConfabDatabase *db,
                                             const char     *escalation_id,
                                             const char     *operator_id,
                                             const char     *content,
                                             GError        **error);

/* Marks the escalation resolved (resolved_at stamped) and, when its
 * conversation is still "escalated", makes it "active" again so its agent
 * answers the next message (*out_reopened, nullable, says whether it did).
 * @actor_id (nullable): who resolves it, an operator or an admin; an
 * operator may only resolve what nobody else holds. NULL names the
 * supporter who held it in the audit trail. @note (nullable, at most
 * CONFAB_ESCALATION_DESK_MAX_NOTE characters): how it was resolved, kept in
 * the audit row (entity "escalation", action "resolve", details
 * {"note", "conversation_id", "reopened"}). */
#define CONFAB_ESCALATION_DESK_MAX_NOTE 2000

ConfabEscalation *confab_escalation_desk_resolve (ConfabDatabase *db,
                                                  const char     *escalation_id,
                                                  const char     *actor_id,
                                                  const char     *note,
                                                  gboolean       *out_reopened,
                                                  GError        **error);

G_END_DECLS
