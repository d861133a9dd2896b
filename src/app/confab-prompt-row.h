/* confab-prompt-row.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_ROW (confab_prompt_row_get_type ())

/* One prompt in the Prompts list: its name in its folder, description,
 * newest version number, labels and tags as badges, and, on the first
 * prompt of a folder, the folder's header (a list without sections in
 * GTK 4.8, as GNOME apps do it). */
G_DECLARE_FINAL_TYPE (ConfabPromptRow, confab_prompt_row, CONFAB, PROMPT_ROW, AdwBin)

GtkWidget    *confab_prompt_row_new (void);
ConfabPrompt *confab_prompt_row_get_prompt (ConfabPromptRow *self);
void          confab_prompt_row_set_prompt (ConfabPromptRow *self, ConfabPrompt *prompt);
/* folder: the header to show above the prompt, or NULL for none. */
void        confab_prompt_row_set_header (ConfabPromptRow *self, const char *folder);
const char *confab_prompt_row_get_header (ConfabPromptRow *self);
/* The prompt's labels (sorted names, nullable) and newest version (0: none). */
void confab_prompt_row_set_details (ConfabPromptRow   *self,
                                    const char *const *labels,
                                    int                latest_version);
/* For tests: the labels' badges then the tags ("#faq"), space-separated. */
char *confab_prompt_row_dup_badges (ConfabPromptRow *self);

G_END_DECLS
