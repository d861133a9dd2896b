/* confab-agent-text-list.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_AGENT_TEXT_LIST (confab_agent_text_list_get_type ())

/* A group of texts edited one a row, with an Add button in the header and a
 * Remove button on each row: a rule's patterns, exclude words, responses or
 * fallback answers. Multi-line lists (responses) edit each text in a text
 * view, the others in an entry row where Enter adds the next one.
 * ::changed is emitted on every edit. */
G_DECLARE_FINAL_TYPE (
    ConfabAgentTextList, confab_agent_text_list, CONFAB, AGENT_TEXT_LIST, AdwPreferencesGroup)

GtkWidget *confab_agent_text_list_new (void);
/* The texts, without the rows left empty. */
char **confab_agent_text_list_dup_strings (ConfabAgentTextList *self);
void   confab_agent_text_list_set_strings (ConfabAgentTextList *self, const char *const *strings);
/* Adds an empty row and focuses it. */
void  confab_agent_text_list_add (ConfabAgentTextList *self);
guint confab_agent_text_list_get_n_rows (ConfabAgentTextList *self);
/* The editable of row n (a GtkEditable or a GtkTextView); for tests. */
GtkWidget *confab_agent_text_list_get_row_editor (ConfabAgentTextList *self, guint n);

G_END_DECLS
