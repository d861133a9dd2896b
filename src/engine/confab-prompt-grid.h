#pragma once

#include <glib-object.h>

#include "confab-prompt-run.h"
#include "confab-prompt-test-case.h"
#include "confab-prompt-version.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_GRID (confab_prompt_grid_get_type ())

/* The result of "Run all" (confab_prompt_runner_run_all_async ()): every
 * test case of a prompt run against each chosen version. Versions are the
 * columns (in the order asked for), cases the rows (by name); a cell holds
 * the saved run, or, when the case could not be run at all (a variable
 * without a value, say), the error why. A cell passes when its run is
 * complete and every assertion held. Cells fill in as the runs finish:
 * ::cell-changed says which. */
G_DECLARE_FINAL_TYPE (ConfabPromptGrid, confab_prompt_grid, CONFAB, PROMPT_GRID, GObject)

/* versions: (element-type ConfabPromptVersion), cases: (element-type
 * ConfabPromptTestCase); both taken as they are (references added). */
ConfabPromptGrid     *confab_prompt_grid_new (GPtrArray *versions, GPtrArray *cases);
guint                 confab_prompt_grid_get_n_versions (ConfabPromptGrid *self);
guint                 confab_prompt_grid_get_n_cases (ConfabPromptGrid *self);
ConfabPromptVersion  *confab_prompt_grid_get_version (ConfabPromptGrid *self, guint version_index);
ConfabPromptTestCase *confab_prompt_grid_get_case (ConfabPromptGrid *self, guint case_index);

/* NULL until the cell ran, or when it could not run. */
ConfabPromptRun *
confab_prompt_grid_get_run (ConfabPromptGrid *self, guint version_index, guint case_index);
/* Why the cell could not run, or NULL. */
const GError *
confab_prompt_grid_get_error (ConfabPromptGrid *self, guint version_index, guint case_index);
gboolean
confab_prompt_grid_get_passed (ConfabPromptGrid *self, guint version_index, guint case_index);
/* The cases that passed on a version. */
guint confab_prompt_grid_count_passed (ConfabPromptGrid *self, guint version_index);
/* Every cell ran and passed. */
gboolean confab_prompt_grid_all_passed (ConfabPromptGrid *self);

/* Fills a cell (run nullable, error nullable; copied) and emits
 * ::cell-changed (version_index, case_index). For the runner. */
void confab_prompt_grid_set_cell (ConfabPromptGrid *self,
                                  guint             version_index,
                                  guint             case_index,
                                  ConfabPromptRun  *run,
                                  const GError     *error);

G_END_DECLS
