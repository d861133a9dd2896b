#pragma once

#include <gio/gio.h>

#include "confab-conversation.h"
#include "confab-database.h"
#include "confab-message.h"
#include "confab-secret-store.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_AGENT_RUNTIME (confab_agent_runtime_get_type ())

/* Runs one agent's side of a conversation: saves what the user wrote and
 * has the conversation's agent answer it.
 *
 * Order of work for one user message (confab_agent_runtime_reply_async()):
 *   1. The user message is validated and COMMITTED before anything else
 *      (parent: the conversation's last message); an ended or archived
 *      conversation becomes active again. No provider error, crash or
 *      cancellation can lose it.
 *   2. A conversation a person holds (status "escalated") gets no answer:
 *      the call returns NULL without an error.
 *   3. By agent type:
 *      rule_based  the rule set of the agent's config answers (offline). The
 *                  reply is saved complete, model "rules". Actions: escalate
 *                  -> an escalations row (pending, reason “Rule “X” asked for
 *                  a person”) and the conversation escalated; end -> the
 *                  conversation ended; handoff -> the LLM agent the rule
 *                  names answers this message (the conversation stays with
 *                  its agent).
 *      llm         system prompt + retrieved knowledge (top 4 chunks of the
 *                  agent's knowledge bases for the user's text) + history,
 *                  see confab-prompt-builder.h. The reply is saved as it
 *                  streams (status "streaming"; the growing text at most
 *                  every 250 ms or 2,000 characters, without an audit row),
 *                  then "complete" with model, tokens, latency (from the
 *                  saved user message to the end of the reply) and
 *                  source_references (the chunks the reply cites, see
 *                  confab_prompt_builder_cited_sources ()); "error" with the
 *                  error and the partial text; "cancelled" with the partial
 *                  text. The provider's key comes from the keyring; no key
 *                  or no keyring means no key (local servers need none).
 *      hybrid      rules first; when no rule matches (the fallback) or a rule
 *                  says handoff, the agent's LLM answers; when the LLM fails,
 *                  the rule set's answer (the fallback, or the handoff rule's
 *                  response) is given, complete, with the LLM's error kept in
 *                  the message's error field.
 *
 * A conversation with a team (team_id set, agent_id NULL) is answered by
 * its active members, each reply as in 3. above and saved as its own
 * assistant message with the member's agent_id (the stored user message
 * stays what the user wrote):
 *      router      the first member (by position) whose rules have a rule,
 *                  not the fallback, for the user's text answers once; LLM
 *                  members have no rules and are passed over; when no rule
 *                  matches, the first member answers.
 *      sequential  each member answers once, in order; a member after the
 *                  first answers the previous member's reply.
 *      round_robin the members take turns, each answering the previous
 *                  reply (the first the user's text), until max_turns
 *                  replies were made (6 when unset). Teams have no config,
 *                  so there is no stop phrase yet.
 * A failing member ends the run with its error (the replies so far stay);
 * a reply that escalates or ends the conversation, or a silent rule, ends
 * it too; one GCancellable stops the whole run (between replies, or the
 * one streaming). The events come for each reply in turn.
 *
 * Rule inputs: turn is the number of complete assistant replies in the
 * conversation so far; misses is the number of fallback answers in a row
 * just before (the newest assistant replies whose answered_by is
 * "fallback"), so after two misses the rule set offers a person. What
 * produced a reply is stored with it (answered_by "rule", "fallback" or
 * "model", and the rule's name; confab_agent_runtime_lookup_answer()).
 *
 * Everything runs on the thread-default main context of the caller (the
 * workspace is used from the main thread only); the HTTP work is
 * asynchronous. */
/* Written by an LLM agent (told so by its system prompt), it hands the
 * conversation to a person: the marker is taken out of the reply and the
 * conversation is escalated. */
#define CONFAB_ESCALATE_MARKER "[[escalate]]"

G_DECLARE_FINAL_TYPE (ConfabAgentRuntime, confab_agent_runtime, CONFAB, AGENT_RUNTIME, GObject)

typedef enum
{
  CONFAB_RUNTIME_EVENT_STARTED,  /* text: the id of the new assistant message */
  CONFAB_RUNTIME_EVENT_DELTA,    /* text: the next piece of the reply */
  CONFAB_RUNTIME_EVENT_REPLACE,  /* text: the whole reply, replacing what was streamed
                                  * (a hybrid agent's fallback after its model failed) */
  CONFAB_RUNTIME_EVENT_DONE,     /* text: the id of the assistant message, now final */
} ConfabRuntimeEvent;

typedef void (*ConfabRuntimeEventFunc) (ConfabRuntimeEvent  event,
                                        const char         *text,
                                        gpointer            user_data);

/* store: nullable, a new ConfabSecretStore when NULL. */
ConfabAgentRuntime *confab_agent_runtime_new                (ConfabDatabase        *db,
                                                             ConfabSecretStore     *store);
ConfabDatabase     *confab_agent_runtime_get_database       (ConfabAgentRuntime    *self);
ConfabSecretStore  *confab_agent_runtime_get_secret_store   (ConfabAgentRuntime    *self);

/* A new, empty conversation of user_id with agent_id (both must exist). */
ConfabConversation *confab_agent_runtime_start_conversation (ConfabAgentRuntime    *self,
                                                             const char            *user_id,
                                                             const char            *agent_id,
                                                             GError               **error);

/* A new, empty conversation of user_id with team_id (both must exist). */
ConfabConversation *confab_agent_runtime_start_team_conversation (ConfabAgentRuntime  *self,
                                                                  const char          *user_id,
                                                                  const char          *team_id,
                                                                  GError             **error);

/* Saves text as user_id's message (NULL: the conversation's user) in the
 * conversation and has its agent answer. on_event (nullable) is called on
 * the caller's main context as the reply appears. Cancelling stops the
 * model (the reply is kept as "cancelled"); the user message stays. */
void                confab_agent_runtime_reply_async        (ConfabAgentRuntime    *self,
                                                             const char            *conversation_id,
                                                             const char            *user_id,
                                                             const char            *text,
                                                             ConfabRuntimeEventFunc on_event,
                                                             gpointer               event_data,
                                                             GCancellable          *cancellable,
                                                             GAsyncReadyCallback    callback,
                                                             gpointer               user_data);
/* The agent's reply as saved (transfer full; a team run's last reply), or
 * NULL: with error set when the reply failed (the message, if one was made,
 * has status "error" or "cancelled" and error G_IO_ERROR_CANCELLED for a
 * cancel; a team's earlier replies stay), without an
 * error when the agent stays silent (a person holds the conversation, or a
 * rule's action needed no words). */
ConfabMessage      *confab_agent_runtime_reply_finish       (ConfabAgentRuntime    *self,
                                                             GAsyncResult          *result,
                                                             GError               **error);

/* Branching. Edit: saves text as a new sibling of the user message
 * message_id (same parent), makes it the active branch and has the agent
 * answer it; the old message and what followed it stay, one branch switch
 * away. Regenerate: has the agent answer the user message that the
 * assistant message message_id answered once more, as a new sibling reply on
 * the active branch. Events, cancellation and errors as for
 * confab_agent_runtime_reply_async(); both finish with
 * confab_agent_runtime_reply_finish(). A conversation a person holds gets
 * no new reply (edit still saves the edited message). */
void                confab_agent_runtime_edit_async         (ConfabAgentRuntime    *self,
                                                             const char            *message_id,
                                                             const char            *text,
                                                             ConfabRuntimeEventFunc on_event,
                                                             gpointer               event_data,
                                                             GCancellable          *cancellable,
                                                             GAsyncReadyCallback    callback,
                                                             gpointer               user_data);
void                confab_agent_runtime_regenerate_async   (ConfabAgentRuntime    *self,
                                                             const char            *message_id,
                                                             ConfabRuntimeEventFunc on_event,
                                                             gpointer               event_data,
                                                             GCancellable          *cancellable,
                                                             GAsyncReadyCallback    callback,
                                                             gpointer               user_data);

/* A person asks for a person: the conversation is escalated (a pending
 * escalations row with reason, or "The user asked for a person" when NULL)
 * and the agent stays silent until an operator resolves it. user_id
 * (nullable) is recorded as the actor. */
gboolean            confab_agent_runtime_escalate           (ConfabAgentRuntime    *self,
                                                             const char            *conversation_id,
                                                             const char            *user_id,
                                                             const char            *reason,
                                                             GError               **error);

/* What produced a stored message: *out_answered_by "rule", "fallback",
 * "model" or NULL (a person's message, or one written before this was
 * recorded), *out_rule_name the rule that matched or NULL. Both nullable. */
gboolean            confab_agent_runtime_lookup_answer      (ConfabDatabase        *db,
                                                             const char            *message_id,
                                                             char                 **out_answered_by,
                                                             char                 **out_rule_name,
                                                             GError               **error);

G_END_DECLS
