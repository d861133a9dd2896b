/* confab-agent-rule-dialog.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-rule-item.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_AGENT_RULE_DIALOG (confab_agent_rule_dialog_get_type ())

/* Edits a copy of one rule; Done emits ::apply with the copy and closes,
 * Cancel (or Escape) closes and changes nothing. What is wrong with the rule
 * shows at the top as it is typed; Done still applies it, so no typing is
 * lost, and the agent cannot be saved until it is fixed. */
G_DECLARE_FINAL_TYPE (
    ConfabAgentRuleDialog, confab_agent_rule_dialog, CONFAB, AGENT_RULE_DIALOG, AdwWindow)

/* agent_type: the edited agent's ("hybrid" may hand off to its own model).
 * handoff_agents (ConfabAgent*): the agents a rule may hand off to. */
ConfabAgentRuleDialog *confab_agent_rule_dialog_new (ConfabRuleItem *rule,
                                                     gboolean        is_new,
                                                     const char     *agent_type,
                                                     GPtrArray      *handoff_agents);
/* The copy being edited, as the fields say now. */
ConfabRuleItem *confab_agent_rule_dialog_get_rule (ConfabAgentRuleDialog *self);
/* What is wrong with it, or NULL. */
const char *confab_agent_rule_dialog_get_error (ConfabAgentRuleDialog *self);
void        confab_agent_rule_dialog_apply (ConfabAgentRuleDialog *self);
/* For tests: "name", "enabled", "priority", "match", "patterns", "exclude",
 * "responses", "action", "handoff". */
GtkWidget *confab_agent_rule_dialog_get_field (ConfabAgentRuleDialog *self, const char *name);

G_END_DECLS
