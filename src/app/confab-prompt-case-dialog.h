/* confab-prompt-case-dialog.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_CASE_DIALOG (confab_prompt_case_dialog_get_type ())

/* A test case of a prompt, new or saved: its name, a value for each
 * variable of the newest version, an input, and checks (assertions:
 * contains, does not contain, regex, equals, valid JSON, latency and
 * tokens at most), validated by the core as they are typed. Save creates
 * or updates it (::saved) and closes. */
G_DECLARE_FINAL_TYPE (
    ConfabPromptCaseDialog, confab_prompt_case_dialog, CONFAB, PROMPT_CASE_DIALOG, AdwWindow)

/* test_case nullable: a new case. variables: the names to ask for. */
ConfabPromptCaseDialog *confab_prompt_case_dialog_new (GtkWindow            *parent,
                                                       ConfabDatabase       *db,
                                                       ConfabPrompt         *prompt,
                                                       ConfabPromptTestCase *test_case,
                                                       const char *const    *variables);
/* Adds a check row (type as in the JSON: "contains", "max_tokens"...). */
void confab_prompt_case_dialog_add_check (ConfabPromptCaseDialog *self,
                                          const char             *type,
                                          const char             *value);
/* The checks as the JSON the core stores. */
char    *confab_prompt_case_dialog_dup_assertions (ConfabPromptCaseDialog *self);
gboolean confab_prompt_case_dialog_save (ConfabPromptCaseDialog *self);

/* For tests: "name" (AdwEntryRow), "input" (GtkTextView), "error"
 * (GtkLabel), "save" (the button), or "var:NAME" (the variable's row). */
GtkWidget *confab_prompt_case_dialog_get_field (ConfabPromptCaseDialog *self, const char *name);

G_END_DECLS
