/* confab-rule-item.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_RULE_ITEM (confab_rule_item_get_type ())

/* One rule of a rule-based agent as the rules editor holds it: the fields of
 * the rule format (confab-rule-set.h) as properties widgets bind to, plus the
 * members Confab does not know, kept so that saving never drops them. It is
 * not validated here: confab_rule_set_parse() is the one judge. */
G_DECLARE_FINAL_TYPE (ConfabRuleItem, confab_rule_item, CONFAB, RULE_ITEM, GObject)

extern const char *const confab_rule_match_types[]; /* "keywords_any", ... */
extern const char *const confab_rule_actions[];     /* "", "escalate", "handoff", "end" */

ConfabRuleItem *confab_rule_item_new (void);
ConfabRuleItem *confab_rule_item_new_from_json (JsonObject *object);
ConfabRuleItem *confab_rule_item_copy (ConfabRuleItem *self);
void            confab_rule_item_assign (ConfabRuleItem *self, ConfabRuleItem *other);
JsonNode       *confab_rule_item_to_json (ConfabRuleItem *self);

const char        *confab_rule_item_get_name (ConfabRuleItem *self);
void               confab_rule_item_set_name (ConfabRuleItem *self, const char *name);
gboolean           confab_rule_item_get_enabled (ConfabRuleItem *self);
void               confab_rule_item_set_enabled (ConfabRuleItem *self, gboolean enabled);
int                confab_rule_item_get_priority (ConfabRuleItem *self);
void               confab_rule_item_set_priority (ConfabRuleItem *self, int priority);
const char        *confab_rule_item_get_match_type (ConfabRuleItem *self);
void               confab_rule_item_set_match_type (ConfabRuleItem *self, const char *match_type);
const char *const *confab_rule_item_get_patterns (ConfabRuleItem *self);
void confab_rule_item_set_patterns (ConfabRuleItem *self, const char *const *patterns);
const char *const *confab_rule_item_get_exclude (ConfabRuleItem *self);
void               confab_rule_item_set_exclude (ConfabRuleItem *self, const char *const *exclude);
const char *const *confab_rule_item_get_responses (ConfabRuleItem *self);
void confab_rule_item_set_responses (ConfabRuleItem *self, const char *const *responses);
/* NULL: the rule just answers. */
const char *confab_rule_item_get_action (ConfabRuleItem *self);
void        confab_rule_item_set_action (ConfabRuleItem *self, const char *action);
const char *confab_rule_item_get_handoff_agent (ConfabRuleItem *self);
void        confab_rule_item_set_handoff_agent (ConfabRuleItem *self, const char *agent_id);
/* What is wrong with the rule (set by the rules editor), or NULL. */
const char *confab_rule_item_get_error (ConfabRuleItem *self);
void        confab_rule_item_set_error (ConfabRuleItem *self, const char *error);

/* Whether the rule would pass confab_rule_set_parse() (the engine judges),
 * and, for a handoff, names an agent unless agent_type is "hybrid" (whose
 * own model can take over). The error names the rule and the reason. */
gboolean confab_rule_item_validate (ConfabRuleItem *self, const char *agent_type, GError **error);
/* The handoff check alone, for a whole rule set already parsed. */
gboolean
confab_rule_item_check_handoff (ConfabRuleItem *self, const char *agent_type, GError **error);

/* "Any keyword", "Regular expression"...: translated. */
const char *confab_rule_match_type_label (const char *match_type);
/* One line for the rule's row: its match type, priority and patterns. */
char *confab_rule_item_dup_summary (ConfabRuleItem *self);

G_END_DECLS
