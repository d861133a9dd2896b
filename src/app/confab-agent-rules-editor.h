/* confab-agent-rules-editor.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"
#include "confab-agent-rule-dialog.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_AGENT_RULES_EDITOR (confab_agent_rules_editor_get_type ())

/* The rules of a rule-based or hybrid agent (its `config` JSON, see
 * confab-rule-set.h): the list of rules, added, edited in a dialog,
 * switched on and off, reordered with buttons or by drag and drop, and
 * removed; the fallback answers; and "Try a Message", which shows the rule
 * that answers a message, what it matched and why the others did not.
 *
 * The config it gives back keeps every member it does not edit (top level
 * and per rule). "error" says, in the engine's words, what would make
 * confab_rule_set_parse() refuse the rules, naming the rule; the rule's row
 * shows it too. ::changed is emitted on every edit. */
G_DECLARE_FINAL_TYPE (
    ConfabAgentRulesEditor, confab_agent_rules_editor, CONFAB, AGENT_RULES_EDITOR, GtkBox)

GtkWidget *confab_agent_rules_editor_new (void);

/* The agent's config JSON; clears "modified". */
void        confab_agent_rules_editor_set_config (ConfabAgentRulesEditor *self, const char *config);
char       *confab_agent_rules_editor_dup_config (ConfabAgentRulesEditor *self);
gboolean    confab_agent_rules_editor_get_modified (ConfabAgentRulesEditor *self);
const char *confab_agent_rules_editor_get_error (ConfabAgentRulesEditor *self);

/* The agent being edited: where to find the agents a rule may hand off to
 * (db nullable), its id (nullable for a new one), type and name (for
 * {{agent.name}} when trying a message). */
void confab_agent_rules_editor_set_agent (ConfabAgentRulesEditor *self,
                                          ConfabDatabase         *db,
                                          const char             *agent_id,
                                          const char             *agent_type,
                                          const char             *agent_name);

/* ConfabRuleItem*, in order. */
GListModel *confab_agent_rules_editor_get_rules (ConfabAgentRulesEditor *self);
/* Open the rule dialog (transfer none: it is shown and closes itself). */
ConfabAgentRuleDialog *confab_agent_rules_editor_add_rule (ConfabAgentRulesEditor *self);
ConfabAgentRuleDialog *confab_agent_rules_editor_edit_rule (ConfabAgentRulesEditor *self,
                                                            guint                   position);
void confab_agent_rules_editor_move_rule (ConfabAgentRulesEditor *self, guint from, guint to);
void confab_agent_rules_editor_remove_rule (ConfabAgentRulesEditor *self, guint position);

/* "Try a Message": the message, and what it shows (for tests). */
void      confab_agent_rules_editor_try_message (ConfabAgentRulesEditor *self, const char *message);
GtkLabel *confab_agent_rules_editor_get_result_title (ConfabAgentRulesEditor *self);
GtkLabel *confab_agent_rules_editor_get_result_reason (ConfabAgentRulesEditor *self);
GtkLabel *confab_agent_rules_editor_get_result_response (ConfabAgentRulesEditor *self);
/* The winning rule's name in the last try, NULL for a fallback answer. */
const char *confab_agent_rules_editor_get_result_rule (ConfabAgentRulesEditor *self);

G_END_DECLS
