/* confab-prompt-history-view.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_HISTORY_VIEW (confab_prompt_history_view_get_type ())

/* A prompt's audit trail, newest first: saves, label moves, restores and
 * test case changes, in words, with who and when. Stays live. */
G_DECLARE_FINAL_TYPE (
    ConfabPromptHistoryView, confab_prompt_history_view, CONFAB, PROMPT_HISTORY_VIEW, AdwBin)

GtkWidget *confab_prompt_history_view_new (void);
void       confab_prompt_history_view_set_prompt (ConfabPromptHistoryView *self,
                                                  ConfabDatabase          *db,
                                                  ConfabPrompt            *prompt);
/* For tests: the rows' titles, one a line. */
char *confab_prompt_history_view_dup_text (ConfabPromptHistoryView *self);

G_END_DECLS
