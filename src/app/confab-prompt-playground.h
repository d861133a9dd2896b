/* confab-prompt-playground.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"
#include "confab-prompt-run-pane.h"
#include "confab-prompt-runner.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_PLAYGROUND (confab_prompt_playground_get_type ())

/* Runs a prompt: its variables as a form (their defaults as placeholders),
 * an input, and one or two panes (confab-prompt-run-pane.h) each with a
 * version and who answers (the version's model, another provider or model,
 * or a rule-based agent offline). Run starts every pane at once, output
 * streaming in; Stop cancels. Every run is kept by the runner: the Runs
 * list reopens one with its output, variables and timings. */
G_DECLARE_FINAL_TYPE (
    ConfabPromptPlayground, confab_prompt_playground, CONFAB, PROMPT_PLAYGROUND, AdwBin)

GtkWidget *confab_prompt_playground_new (void);
void confab_prompt_playground_set_runner (ConfabPromptPlayground *self, ConfabPromptRunner *runner);
void confab_prompt_playground_set_prompt (ConfabPromptPlayground *self,
                                          ConfabDatabase         *db,
                                          ConfabPrompt           *prompt);
/* The first pane runs version number version. */
void confab_prompt_playground_set_version (ConfabPromptPlayground *self, int version);
/* Shows the second pane. */
void confab_prompt_playground_set_compare (ConfabPromptPlayground *self, gboolean compare);
/* Runs (as the Run button); FALSE when already running or nothing to run. */
gboolean confab_prompt_playground_run (ConfabPromptPlayground *self);
void     confab_prompt_playground_stop (ConfabPromptPlayground *self);
gboolean confab_prompt_playground_get_running (ConfabPromptPlayground *self);
/* Reopens a saved run in the first pane. */
void confab_prompt_playground_open_run (ConfabPromptPlayground *self, ConfabPromptRun *run);

/* For tests. index 0 or 1. */
ConfabPromptRunPane *confab_prompt_playground_get_pane (ConfabPromptPlayground *self, guint index);
/* The entry of a variable's field, or NULL. */
GtkEditable *confab_prompt_playground_get_variable_entry (ConfabPromptPlayground *self,
                                                          const char             *name);
GtkTextView *confab_prompt_playground_get_input_view (ConfabPromptPlayground *self);
/* The runs list's model (newest first). */
GListModel *confab_prompt_playground_get_runs (ConfabPromptPlayground *self);

G_END_DECLS
