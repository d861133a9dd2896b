/* confab-prompt-new-dialog.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_NEW_DIALOG (confab_prompt_new_dialog_get_type ())

/* "New Prompt": a name (with "/" for folders), a description, tags and the
 * text of version 1, checked as typed; Create saves both in one go
 * (confab_prompt_library_add ()) and emits ::created with the prompt. */
G_DECLARE_FINAL_TYPE (
    ConfabPromptNewDialog, confab_prompt_new_dialog, CONFAB, PROMPT_NEW_DIALOG, AdwWindow)

/* folder (nullable) prefills the name with "folder/". */
ConfabPromptNewDialog *
confab_prompt_new_dialog_new (GtkWindow *parent, ConfabDatabase *db, const char *folder);
/* Creates the prompt as the Create button does; FALSE when it is not
 * valid or the workspace refused it (the field then says why). */
gboolean confab_prompt_new_dialog_create (ConfabPromptNewDialog *self);

/* For tests: "name", "description", "tags", "body" (a GtkSourceView),
 * "name-error", "body-error" (labels), "create" (the button). */
GtkWidget *confab_prompt_new_dialog_get_field (ConfabPromptNewDialog *self, const char *name);

G_END_DECLS
