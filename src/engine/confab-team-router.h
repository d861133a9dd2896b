#pragma once

#include "confab-agent.h"
#include "confab-chat-request.h"

G_BEGIN_DECLS

/* A router team's LLM selector: the selector agent's model reads the
 * members' names and descriptions and the user's message, and must answer
 * with one member's name. */

/* The request for selector (an LLM or hybrid agent): members are
 * ConfabAgent, by position. */
ConfabChatRequest *confab_team_router_build_request (ConfabAgent *selector,
                                                     GPtrArray   *members,
                                                     const char  *text);

/* Which member the model's answer names: its index in members, or -1 when
 * it names none or several. Case, surrounding quotes and punctuation do not
 * matter; an answer that is a sentence counts when exactly one member's
 * name appears in it. */
int                confab_team_router_match_answer  (GPtrArray   *members,
                                                     const char  *answer);

G_END_DECLS
