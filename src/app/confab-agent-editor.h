/* confab-agent-editor.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"
#include "confab-agent-rules-editor.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_AGENT_EDITOR (confab_agent_editor_get_type ())

/* Every field of one agent (the agents table, its knowledge base links and,
 * for rule-based and hybrid agents, the rules in its config), edited on a
 * private copy: nothing reaches the workspace before
 * confab_agent_editor_save(). The model is picked from the provider's live
 * model list, fetched in the background; when it cannot be fetched, a text
 * field takes its place with the reason beside it.
 *
 * "dirty": something differs from the saved agent. "error": the first thing
 * that would stop saving (name, prompt, rules), shown on its field as it is
 * typed; NULL when it can be saved. "title": the name, for the header. */
G_DECLARE_FINAL_TYPE (ConfabAgentEditor, confab_agent_editor, CONFAB, AGENT_EDITOR, AdwBin)

GtkWidget *confab_agent_editor_new (void);

void confab_agent_editor_set_database (ConfabAgentEditor *self, ConfabDatabase *db);
/* Shows agent (a copy is kept); NULL starts a new agent. */
void confab_agent_editor_load (ConfabAgentEditor *self, ConfabAgent *agent);
/* The agent as last saved or loaded (a new one has no id yet). */
ConfabAgent *confab_agent_editor_get_agent (ConfabAgentEditor *self);
gboolean     confab_agent_editor_get_is_new (ConfabAgentEditor *self);
gboolean     confab_agent_editor_get_dirty (ConfabAgentEditor *self);
const char  *confab_agent_editor_get_error (ConfabAgentEditor *self);
const char  *confab_agent_editor_get_title (ConfabAgentEditor *self);

/* The saved agent changed in the workspace (the list's switch, another
 * program): reloads it when nothing is being edited, and otherwise takes
 * the fields that were not touched. */
void confab_agent_editor_refresh (ConfabAgentEditor *self, ConfabAgent *stored);

/* Validates, then writes the agent and its knowledge base links in one
 * transaction (only the fields that changed, so changes made elsewhere to
 * other fields are kept) and reloads. An error leaves the workspace as it
 * was and the fields as they are. */
gboolean confab_agent_editor_save (ConfabAgentEditor *self, const char *actor_id, GError **error);

/* For tests and the page. */
ConfabAgentRulesEditor *confab_agent_editor_get_rules_editor (ConfabAgentEditor *self);
GtkWidget              *confab_agent_editor_get_field (ConfabAgentEditor *self, const char *name);
/* Ticks or unticks a knowledge base. */
void confab_agent_editor_set_knowledge_base (ConfabAgentEditor *self,
                                             const char        *knowledge_base_id,
                                             gboolean           linked);
/* The model as chosen or typed. */
const char *confab_agent_editor_get_model (ConfabAgentEditor *self);

G_END_DECLS
