#pragma once

#include <gio/gio.h>

#include "confab-agent.h"
#include "confab-chat-request.h"
#include "confab-database.h"
#include "confab-message.h"
#include "confab-provider.h"
#include "confab-prompt-version.h"
#include "confab-retriever.h"
#include "confab-user.h"

G_BEGIN_DECLS

/* What an LLM (or hybrid) agent sends to its model, built from plain inputs
 * so it can be tested without a server or a workspace:
 *
 *   system     the agent's system prompt, already rendered, then the
 *              retrieved knowledge as a numbered context block:
 *                "[1] faq.md: Sunrise Bakery is open Tuesday to Sunday…"
 *              with an instruction to cite a passage as [n];
 *   messages   as much of the conversation as fits the context window,
 *              newest kept, then the new user message.
 *
 * Token estimate: a text costs (characters / 4) + 4 tokens (the 4 is the
 * per-message overhead of the chat formats); the context block and the
 * system prompt count as one message. The history budget is
 *   context_window - max_tokens - system - new message;
 * history is taken newest first while it fits, so the OLDEST turns are
 * dropped first; the system prompt and the new message are never dropped
 * (when they alone exceed the window the request is still sent, without
 * history, and the provider decides). History that would start with an
 * assistant turn loses it too, so the kept history always opens with the
 * user (some APIs refuse anything else).
 *
 * What history is: complete user and assistant messages; a supporter's
 * (human operator's) message goes in as an assistant turn prefixed
 * "(human operator) ", so the model knows a person answered; system
 * messages and replies that are streaming, failed or were stopped are left
 * out (a partial or failed reply is not something the model said). The
 * instructions to the model are English: they are for the model, not for
 * people, and are not translated. */

/* The per-message overhead of the estimate, and characters per token. */
#define CONFAB_PROMPT_TOKENS_PER_MESSAGE 4
#define CONFAB_PROMPT_CHARS_PER_TOKEN    4

/* Retrieved passages ("sources") are ConfabRetrievedChunks
 * (confab_knowledge_retrieve () in confab-retriever.h), numbered from 1 in
 * the order given. */

/* The estimated tokens of one message holding text. */
guint               confab_prompt_builder_estimate_tokens  (const char           *text);

/* The template variables of the built-ins: "user.name" (the user's name,
 * or username when the name is empty; "" without a user), "agent.name",
 * "date" and "time" (now, as YYYY-MM-DD and HH:MM in local time). user and
 * now are nullable (now NULL: the current time). (char * -> char *) */
GHashTable         *confab_prompt_builder_new_variables    (ConfabAgent          *agent,
                                                            ConfabUser           *user,
                                                            GDateTime            *now);

/* The agent's system prompt, rendered with the template engine: the inline
 * system_prompt, or, when the agent names a prompt of the library, its
 * version pinned by number or by label (confab_prompt_resolve ()). A missing
 * variable is CONFAB_ERROR_INVALID naming it; a missing prompt, label or
 * version CONFAB_ERROR_NOT_FOUND. "" when the agent has no system prompt.
 * *out_version (nullable) gets the library version used, or NULL. */
char               *confab_prompt_builder_resolve_system   (ConfabDatabase       *db,
                                                            ConfabAgent          *agent,
                                                            GHashTable           *variables,
                                                            ConfabPromptVersion **out_version,
                                                            GError              **error);

/* The provider the agent answers with: a library version that names a
 * model may also name its provider; otherwise the agent's. NULL when
 * neither names one. */
const char         *confab_prompt_builder_pick_provider_id (ConfabAgent          *agent,
                                                            ConfabPromptVersion  *version);

/* The numbered context block appended to the system prompt, "" without
 * sources. */
char               *confab_prompt_builder_format_context   (GPtrArray            *sources);

/* Builds the request. version (nullable) is the library version the system
 * text came from: when it names a model, its model, temperature and
 * max_tokens win over the agent's. The model is the version's, else the
 * agent's, else the provider's default; with none, CONFAB_ERROR_INVALID.
 * history: ConfabMessages of the conversation before the new one, oldest
 * first (any roles and statuses; the builder picks). sources: nullable,
 * ConfabRetrievedChunks, numbered from 1 in order. *out_dropped (nullable)
 * gets the number of history messages left out for lack of room. */
ConfabChatRequest  *confab_prompt_builder_build            (ConfabAgent          *agent,
                                                            ConfabProvider       *provider,
                                                            ConfabPromptVersion  *version,
                                                            const char           *system_text,
                                                            GPtrArray            *history,
                                                            const char           *user_text,
                                                            GPtrArray            *sources,
                                                            guint                *out_dropped,
                                                            GError              **error);

/* The sources a reply cites with [n], [n, m] or [n][m] (n numbering sources
 * from 1), as the JSON array stored in a message's source_references, in
 * order of n (confab_citations_resolve () reads it back):
 *   [{"n": 1, "chunk_id": …, "document_id": …, "knowledge_base_id": …,
 *     "ordinal": 2, "filename": "faq.md"}]
 * A source the reply does not cite is not a reference; "[]" when none is. */
char               *confab_prompt_builder_cited_sources    (GPtrArray            *sources,
                                                            const char           *reply);

G_END_DECLS
