/* confab-prompt-versions-view.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_VERSIONS_VIEW (confab_prompt_versions_view_get_type ())

/* A prompt's versions, newest first, with their labels, beside the one
 * selected: its text (read-only), model settings and variables. Edit opens
 * the editor (confab-prompt-editor.h) that saves the next version; "Move
 * Label Here" points a label at the version; Restore saves the version's
 * text as a new version. */
G_DECLARE_FINAL_TYPE (
    ConfabPromptVersionsView, confab_prompt_versions_view, CONFAB, PROMPT_VERSIONS_VIEW, AdwBin)

GtkWidget *confab_prompt_versions_view_new (void);
/* prompt nullable: shows nothing. */
void confab_prompt_versions_view_set_prompt (ConfabPromptVersionsView *self,
                                             ConfabDatabase           *db,
                                             ConfabPrompt             *prompt);
/* Selects version number version; FALSE when the list has no such version. */
gboolean confab_prompt_versions_view_select (ConfabPromptVersionsView *self, int version);
/* The version shown, or 0. */
int confab_prompt_versions_view_get_selected (ConfabPromptVersionsView *self);

/* Opens the editor on the version shown; returns it (owned by GTK). */
GtkWidget *confab_prompt_versions_view_edit (ConfabPromptVersionsView *self);
/* Moves (or adds) label to the version shown, as the popover does; FALSE
 * with the reason shown in the popover (and in error). */
gboolean confab_prompt_versions_view_move_label (ConfabPromptVersionsView *self,
                                                 const char               *label,
                                                 GError                  **error);
/* Restores the version shown without asking. */
gboolean confab_prompt_versions_view_restore (ConfabPromptVersionsView *self, GError **error);

/* For tests: the text shown, and a version row's badges
 * (confab_prompt_row_dup_badges () style), or NULL when it has no row. */
char *confab_prompt_versions_view_dup_body (ConfabPromptVersionsView *self);
char *confab_prompt_versions_view_dup_row_badges (ConfabPromptVersionsView *self, int version);

G_END_DECLS
