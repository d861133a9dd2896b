/* confab-prompts-page.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "confab-page.h"
#include "confab-prompt-compare-view.h"
#include "confab-prompt-history-view.h"
#include "confab-prompt-new-dialog.h"
#include "confab-prompt-playground.h"
#include "confab-prompt-row.h"
#include "confab-prompt-tests-view.h"
#include "confab-prompt-versions-view.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPTS_PAGE (confab_prompts_page_get_type ())

/* The Prompts section: the prompt library grouped by folder, searched by
 * name, description or tag, beside the prompt selected in five views:
 * Versions (the saved texts, the editor saving a new one, labels,
 * restore), Compare (a word-level diff of two versions), Playground (runs,
 * side by side, streaming), Tests (test cases and the versions x cases
 * grid) and History (the audit trail).
 *
 * Actions (group "prompts"):
 *   new                  the New Prompt dialog
 *   import-folder, import-json, export-folder, export-json
 *   show-view       s    "versions", "compare", "playground", "tests", "history"
 *   compare         (ii) Compare with these two version numbers
 *   play            i    the Playground with this version */
G_DECLARE_FINAL_TYPE (ConfabPromptsPage, confab_prompts_page, CONFAB, PROMPTS_PAGE, ConfabPage)

GtkWidget *confab_prompts_page_new (void);

/* Selects the prompt and shows it, as a click on its row does. */
gboolean confab_prompts_page_select_prompt (ConfabPromptsPage *self, const char *prompt_id);

/* What the Import and Export menu items do once a file is chosen, in a
 * worker thread: imports end with the import report, exports with a
 * toast. */
void confab_prompts_page_import_folder (ConfabPromptsPage *self, GFile *folder);
void confab_prompts_page_import_json (ConfabPromptsPage *self, GFile *file);
void confab_prompts_page_export_folder (ConfabPromptsPage *self, GFile *folder);
void confab_prompts_page_export_json (ConfabPromptsPage *self, GFile *file);
/* An import or export is under way. */
gboolean confab_prompts_page_get_busy (ConfabPromptsPage *self);

/* For tests. */
GtkEditable *confab_prompts_page_get_search_entry (ConfabPromptsPage *self);
/* The prompts the list shows, in its order (search applied). */
GListModel *confab_prompts_page_get_visible_prompts (ConfabPromptsPage *self);
/* The row showing the prompt, if the list has made one. */
ConfabPromptRow *confab_prompts_page_find_row (ConfabPromptsPage *self, const char *prompt_id);
/* The New Prompt dialog opened last, while it is open. */
ConfabPromptNewDialog    *confab_prompts_page_get_new_dialog (ConfabPromptsPage *self);
ConfabPromptVersionsView *confab_prompts_page_get_versions_view (ConfabPromptsPage *self);
ConfabPromptCompareView  *confab_prompts_page_get_compare_view (ConfabPromptsPage *self);
ConfabPromptPlayground   *confab_prompts_page_get_playground (ConfabPromptsPage *self);
ConfabPromptTestsView    *confab_prompts_page_get_tests_view (ConfabPromptsPage *self);
ConfabPromptHistoryView  *confab_prompts_page_get_history_view (ConfabPromptsPage *self);
const char               *confab_prompts_page_get_list_state (ConfabPromptsPage *self);
const char               *confab_prompts_page_get_detail_state (ConfabPromptsPage *self);
const char               *confab_prompts_page_get_view (ConfabPromptsPage *self);

G_END_DECLS
