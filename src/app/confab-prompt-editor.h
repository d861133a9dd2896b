/* confab-prompt-editor.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_EDITOR (confab_prompt_editor_get_type ())

/* The editor that saves a prompt's next version: the text (checked as
 * typed, its variables listed), the model settings (provider, model,
 * temperature, max tokens) and a required message saying what changed.
 * It starts from a version's text and settings; Save (Ctrl+S) saves a new
 * version with confab_prompt_library_save (), whose refusals (nothing
 * changed, an invalid template) show under the text. ::saved then gives
 * the new version and the editor closes. Closing with changes asks. */
G_DECLARE_FINAL_TYPE (ConfabPromptEditor, confab_prompt_editor, CONFAB, PROMPT_EDITOR, AdwWindow)

ConfabPromptEditor *confab_prompt_editor_new (GtkWindow           *parent,
                                              ConfabDatabase      *db,
                                              ConfabPrompt        *prompt,
                                              ConfabPromptVersion *base);
/* Saves as the Save button does; FALSE with the reason shown. */
gboolean confab_prompt_editor_save (ConfabPromptEditor *self);

/* For tests: "body" (GtkSourceView), "message", "model" (AdwEntryRow),
 * "provider" (AdwComboRow), "temperature", "max-tokens" (GtkSpinButton),
 * "body-error" (GtkLabel), "save" (the button). */
GtkWidget *confab_prompt_editor_get_field (ConfabPromptEditor *self, const char *name);

G_END_DECLS
