/* confab-prompt-import-report.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_IMPORT_REPORT (confab_prompt_import_report_get_type ())

/* What an import of prompts did (confab-prompt-files.h): how many were
 * created, updated and skipped, then a row per item with its reason. */
G_DECLARE_FINAL_TYPE (
    ConfabPromptImportReport, confab_prompt_import_report, CONFAB, PROMPT_IMPORT_REPORT, AdwWindow)

/* report: (element-type ConfabPromptImportItem) */
GtkWidget *
confab_prompt_import_report_new (GtkWindow *parent, const char *source_name, GPtrArray *report);
/* For tests: "N created, N updated, N skipped". */
const char *confab_prompt_import_report_get_summary (ConfabPromptImportReport *self);

G_END_DECLS
