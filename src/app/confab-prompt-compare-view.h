/* confab-prompt-compare-view.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_COMPARE_VIEW (confab_prompt_compare_view_get_type ())

/* Two versions of a prompt compared: the model settings that changed, and
 * a unified line diff (confab-prompt-diff.h) with removed and added lines
 * tinted red and green and the changed words in a stronger tint; the
 * whole text or only the changes with a little context. */
G_DECLARE_FINAL_TYPE (
    ConfabPromptCompareView, confab_prompt_compare_view, CONFAB, PROMPT_COMPARE_VIEW, AdwBin)

GtkWidget *confab_prompt_compare_view_new (void);
void       confab_prompt_compare_view_set_prompt (ConfabPromptCompareView *self,
                                                  ConfabDatabase          *db,
                                                  ConfabPrompt            *prompt);
/* Compares version old_version with new_version (numbers). */
gboolean confab_prompt_compare_view_set_versions (ConfabPromptCompareView *self,
                                                  int                      old_version,
                                                  int                      new_version);

/* For tests: the diff's text view, and whether the text at [start, end)
 * (character offsets in it) is marked as a changed word, added or
 * removed. */
GtkTextView *confab_prompt_compare_view_get_text_view (ConfabPromptCompareView *self);
/* "added", "removed" or NULL for the word tag at offset. */
const char *confab_prompt_compare_view_word_at (ConfabPromptCompareView *self, int offset);
/* The settings rows' titles and values, "Temperature: 0.4 → 0.3" per line. */
char *confab_prompt_compare_view_dup_settings (ConfabPromptCompareView *self);

G_END_DECLS
