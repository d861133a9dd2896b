/* confab-prompt-version-row.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_VERSION_ROW (confab_prompt_version_row_get_type ())

/* One version in a prompt's versions list: its number, message, author and
 * date, and its labels as badges ("latest" on the newest). */
G_DECLARE_FINAL_TYPE (
    ConfabPromptVersionRow, confab_prompt_version_row, CONFAB, PROMPT_VERSION_ROW, AdwBin)

GtkWidget           *confab_prompt_version_row_new (void);
ConfabPromptVersion *confab_prompt_version_row_get_version (ConfabPromptVersionRow *self);
/* author: the author's name (nullable); labels: sorted names (nullable). */
void confab_prompt_version_row_set_version (ConfabPromptVersionRow *self,
                                            ConfabPromptVersion    *version,
                                            const char             *author,
                                            const char *const      *labels);
/* The badges' texts, space-separated. */
char *confab_prompt_version_row_dup_badges (ConfabPromptVersionRow *self);

G_END_DECLS
