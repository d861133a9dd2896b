/* confab-prompt-tests-view.h
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

#define CONFAB_TYPE_PROMPT_TESTS_VIEW (confab_prompt_tests_view_get_type ())

/* A prompt's test cases (variables, an input, assertions), edited in a
 * dialog (confab-prompt-case-dialog.h), and "Run All": every case against
 * the versions chosen, on their models or a rule-based agent offline, as a
 * grid of versions x cases that fills in as the runs finish. A cell says
 * passed or failed by colour and icon; clicking it shows the output and
 * each assertion's result. */
G_DECLARE_FINAL_TYPE (
    ConfabPromptTestsView, confab_prompt_tests_view, CONFAB, PROMPT_TESTS_VIEW, AdwBin)

GtkWidget *confab_prompt_tests_view_new (void);
void confab_prompt_tests_view_set_runner (ConfabPromptTestsView *self, ConfabPromptRunner *runner);
void confab_prompt_tests_view_set_prompt (ConfabPromptTestsView *self,
                                          ConfabDatabase        *db,
                                          ConfabPrompt          *prompt);

/* Which versions Run All runs (numbers; NULL or empty: the newest) and on
 * whom (agent_id: a rule-based agent; NULL: each version's model). */
void confab_prompt_tests_view_set_run_versions (ConfabPromptTestsView *self,
                                                const int             *versions,
                                                guint                  n_versions);
void confab_prompt_tests_view_set_run_agent (ConfabPromptTestsView *self, const char *agent_id);
/* Starts Run All; FALSE when running or there is nothing to run. */
gboolean confab_prompt_tests_view_run_all (ConfabPromptTestsView *self);
gboolean confab_prompt_tests_view_get_running (ConfabPromptTestsView *self);
/* Opens the test case dialog for a new case (test_case NULL) or one. */
GtkWidget *confab_prompt_tests_view_edit_case (ConfabPromptTestsView *self,
                                               ConfabPromptTestCase  *test_case);

/* For tests: the grid's cell widget for a version index and case index
 * (NULL before Run All), and its state: "pending", "running", "passed",
 * "failed" or "error". */
GtkWidget  *confab_prompt_tests_view_get_cell (ConfabPromptTestsView *self,
                                               guint                  version_index,
                                               guint                  case_index);
const char *confab_prompt_tests_view_get_cell_state (ConfabPromptTestsView *self,
                                                     guint                  version_index,
                                                     guint                  case_index);
/* Opens a cell's details (the output and each check's result) as a click
 * does; returns the popover, or NULL before the cell ran. */
GtkWidget *confab_prompt_tests_view_open_cell (ConfabPromptTestsView *self,
                                               guint                  version_index,
                                               guint                  case_index);
/* The summary under the grid: "5 of 6 passed". */
const char *confab_prompt_tests_view_get_summary (ConfabPromptTestsView *self);

G_END_DECLS
