/* confab-prompt-run-pane.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"
#include "confab-prompt-runner.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_RUN_PANE (confab_prompt_run_pane_get_type ())

/* One side of the playground: which version runs and who answers (the
 * version's model, a provider with a model, or a rule-based agent), the
 * output as it streams, then the latency, tokens and status. */
G_DECLARE_FINAL_TYPE (ConfabPromptRunPane, confab_prompt_run_pane, CONFAB, PROMPT_RUN_PANE, AdwBin)

GtkWidget *confab_prompt_run_pane_new (void);
/* The versions to choose from (ConfabPromptVersion, newest first) and the
 * workspace's providers and agents come from db. */
void confab_prompt_run_pane_set_prompt (ConfabPromptRunPane *self,
                                        ConfabDatabase      *db,
                                        GListModel          *versions);
/* The version chosen, or NULL; the version by number. */
ConfabPromptVersion *confab_prompt_run_pane_get_version (ConfabPromptRunPane *self);
gboolean             confab_prompt_run_pane_set_version (ConfabPromptRunPane *self, int version);
/* Who answers: provider_id or agent_id (or neither: the version's model),
 * and a model (nullable: the version's or provider's). */
void confab_prompt_run_pane_set_target (ConfabPromptRunPane *self,
                                        const char          *provider_id,
                                        const char          *agent_id,
                                        const char          *model);

/* Runs the chosen version with runner; FALSE when a run is under way or
 * no version is chosen. ::finished comes when it is over. */
gboolean confab_prompt_run_pane_run (ConfabPromptRunPane *self,
                                     ConfabPromptRunner  *runner,
                                     GHashTable          *variables,
                                     const char          *input);
void     confab_prompt_run_pane_stop (ConfabPromptRunPane *self);
gboolean confab_prompt_run_pane_get_running (ConfabPromptRunPane *self);
/* Shows a saved run: its output, timings and status. */
void confab_prompt_run_pane_show_run (ConfabPromptRunPane *self, ConfabPromptRun *run);
/* The run shown last, or NULL. */
ConfabPromptRun *confab_prompt_run_pane_get_run (ConfabPromptRunPane *self);

/* For tests: the output text and the stats line under it. */
char       *confab_prompt_run_pane_dup_output (ConfabPromptRunPane *self);
const char *confab_prompt_run_pane_get_stats (ConfabPromptRunPane *self);

G_END_DECLS
