#pragma once

#include "confab-entity.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_RUN (confab_prompt_run_get_type ())

G_DECLARE_FINAL_TYPE (ConfabPromptRun, confab_prompt_run, CONFAB, PROMPT_RUN, ConfabEntity)

/* One run of a prompt version, kept so it can be reopened: what was asked
 * (variables, input; the version's text), who answered (a provider and
 * model, or offline a rule-based agent with model "rules"), what came back
 * (output, status "complete", "error" with the error, or "cancelled" with
 * the partial output), tokens and latency, and, for a run of a test case,
 * the verdict with each assertion's result.
 *
 * confab-prompt-runner.h makes and saves runs; confab_repository_list
 * (db, CONFAB_TYPE_PROMPT_RUN, "prompt_id", id) lists a prompt's runs,
 * newest first.
 *
 * The verdict is NULL in SQL for a run no test case judged; the "passed"
 * property holds it as text (NULL, "0" or "1") because entity columns have
 * no NULL integers: read it with confab_prompt_run_get_verdict(). */

typedef enum
{
  CONFAB_PROMPT_VERDICT_NONE, /* no test case judged the run */
  CONFAB_PROMPT_VERDICT_FAILED,
  CONFAB_PROMPT_VERDICT_PASSED,
} ConfabPromptVerdict;

extern const char *const confab_prompt_run_statuses[];

ConfabPromptRun *confab_prompt_run_new (const char *prompt_id, const char *version_id);
const char      *confab_prompt_run_get_prompt_id (ConfabPromptRun *self);
void             confab_prompt_run_set_prompt_id (ConfabPromptRun *self, const char *prompt_id);
const char      *confab_prompt_run_get_version_id (ConfabPromptRun *self);
void             confab_prompt_run_set_version_id (ConfabPromptRun *self, const char *version_id);
const char      *confab_prompt_run_get_provider_id (ConfabPromptRun *self);
void             confab_prompt_run_set_provider_id (ConfabPromptRun *self, const char *provider_id);
const char      *confab_prompt_run_get_agent_id (ConfabPromptRun *self);
void             confab_prompt_run_set_agent_id (ConfabPromptRun *self, const char *agent_id);
const char      *confab_prompt_run_get_model (ConfabPromptRun *self);
void             confab_prompt_run_set_model (ConfabPromptRun *self, const char *model);
const char      *confab_prompt_run_get_variables (ConfabPromptRun *self);
void             confab_prompt_run_set_variables (ConfabPromptRun *self, const char *variables);
const char      *confab_prompt_run_get_input (ConfabPromptRun *self);
void             confab_prompt_run_set_input (ConfabPromptRun *self, const char *input);
const char      *confab_prompt_run_get_output (ConfabPromptRun *self);
void             confab_prompt_run_set_output (ConfabPromptRun *self, const char *output);
const char      *confab_prompt_run_get_status (ConfabPromptRun *self);
void             confab_prompt_run_set_status (ConfabPromptRun *self, const char *status);
const char      *confab_prompt_run_get_error (ConfabPromptRun *self);
void             confab_prompt_run_set_error (ConfabPromptRun *self, const char *error);
int              confab_prompt_run_get_tokens_in (ConfabPromptRun *self);
void             confab_prompt_run_set_tokens_in (ConfabPromptRun *self, int tokens_in);
int              confab_prompt_run_get_tokens_out (ConfabPromptRun *self);
void             confab_prompt_run_set_tokens_out (ConfabPromptRun *self, int tokens_out);
gint64           confab_prompt_run_get_latency_ms (ConfabPromptRun *self);
void             confab_prompt_run_set_latency_ms (ConfabPromptRun *self, gint64 latency_ms);
const char      *confab_prompt_run_get_test_case_id (ConfabPromptRun *self);
void confab_prompt_run_set_test_case_id (ConfabPromptRun *self, const char *test_case_id);
ConfabPromptVerdict confab_prompt_run_get_verdict (ConfabPromptRun *self);
void        confab_prompt_run_set_verdict (ConfabPromptRun *self, ConfabPromptVerdict verdict);
const char *confab_prompt_run_get_assertion_results (ConfabPromptRun *self);
void        confab_prompt_run_set_assertion_results (ConfabPromptRun *self, const char *results);

G_END_DECLS
