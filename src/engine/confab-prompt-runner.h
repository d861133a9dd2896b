#pragma once

#include <gio/gio.h>

#include "confab-agent.h"
#include "confab-database.h"
#include "confab-prompt-grid.h"
#include "confab-prompt-run.h"
#include "confab-prompt-test-case.h"
#include "confab-prompt-version.h"
#include "confab-secret-store.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_RUNNER (confab_prompt_runner_get_type ())

/* Runs prompt versions: the playground, side-by-side comparisons and
 * "Run all" over a prompt's test cases.
 *
 * A run renders the version's text with the template engine
 * (confab_prompt_render ()), then one of:
 *   - a model (the default): the provider and model of the target, else
 *     the version's, else the provider's default model, with the version's
 *     temperature and max tokens. The rendered text is the system prompt and
 *     the input the user's message; without an input the rendered text is
 *     the user's message. The reply streams (DELTA events); the provider's
 *     key comes from the keyring as for chats (confab-provider-client.h).
 *   - a rule-based agent, offline (target agent_id): its rule set (a hybrid
 *     agent's rules, never its model) answers the rendered text, followed
 *     by the input on a new line when there is one. Model "rules", no tokens.
 * Once it is over the run is saved as a prompt_runs row (confab-prompt-run.h):
 * "complete", "error" (the provider failed; the error and any partial
 * output are kept) or "cancelled" (the partial output is kept). A run of a
 * test case is judged by the case's assertions.
 *
 * Everything runs on the thread-default main context of the caller (the
 * workspace is used from one thread); the HTTP work is asynchronous. */
G_DECLARE_FINAL_TYPE (ConfabPromptRunner, confab_prompt_runner, CONFAB, PROMPT_RUNNER, GObject)

/* Who answers a run. All nullable; copied by the calls that take one. */
typedef struct
{
  const char *provider_id; /* NULL: the version's provider */
  const char *model;       /* NULL: the version's model, else the provider's default */
  const char *agent_id;    /* set: this rule-based agent answers instead of a model */
} ConfabPromptTarget;

typedef enum
{
  CONFAB_PROMPT_RUN_EVENT_STARTED, /* text: the rendered prompt, about to be sent */
  CONFAB_PROMPT_RUN_EVENT_DELTA,   /* text: the next piece of the output */
} ConfabPromptRunEvent;

typedef void (*ConfabPromptRunEventFunc) (ConfabPromptRunEvent event,
                                          const char          *text,
                                          gpointer             user_data);

/* The version's text with variables (char * -> char *, nullable) filled in,
 * on top of the built-ins (user.name empty, agent.name the agent's name or
 * empty, date and time now). A variable without a value or default is one
 * CONFAB_ERROR_INVALID error listing them all. agent nullable. */
char *confab_prompt_render (ConfabPromptVersion *version,
                            GHashTable          *variables,
                            ConfabAgent         *agent,
                            GError             **error);

/* store: nullable, a new ConfabSecretStore when NULL. */
ConfabPromptRunner *confab_prompt_runner_new (ConfabDatabase *db, ConfabSecretStore *store);

/* Runs version once. variables (nullable) and input (nullable) are what
 * to run it on; with test_case set, the case's variables and input are used
 * instead and the run is judged (test_case_id, verdict, assertion results).
 * target nullable: the version's own model. on_event (nullable) is called
 * on the caller's main context. */
void confab_prompt_runner_run_async (ConfabPromptRunner       *self,
                                     ConfabPromptVersion      *version,
                                     GHashTable               *variables,
                                     const char               *input,
                                     const ConfabPromptTarget *target,
                                     ConfabPromptTestCase     *test_case,
                                     ConfabPromptRunEventFunc  on_event,
                                     gpointer                  event_data,
                                     GCancellable             *cancellable,
                                     GAsyncReadyCallback       callback,
                                     gpointer                  user_data);
/* The saved run (transfer full), whatever its status: check
 * confab_prompt_run_get_status (). NULL with an error only when nothing
 * could be run or saved: a variable without a value (INVALID, listing
 * them), no provider or model to run with (INVALID), a missing provider or
 * agent (NOT_FOUND), an agent without rules (INVALID), a database error. */
ConfabPromptRun *
confab_prompt_runner_run_finish (ConfabPromptRunner *self, GAsyncResult *result, GError **error);

/* "Run all": every test case of the prompt against each of the versions
 * numbered in versions (n_versions 0: the newest version), one run at a
 * time, versions in the order given, cases by name. on_cell (nullable) is
 * the grid's ::cell-changed, connected before the first run: a GUI can fill
 * its grid as the runs finish. Cancelling stops after the run under way
 * (it is saved as cancelled). */
void confab_prompt_runner_run_all_async (ConfabPromptRunner       *self,
                                         const char               *prompt_id,
                                         const int                *versions,
                                         guint                     n_versions,
                                         const ConfabPromptTarget *target,
                                         GCallback                 on_cell,
                                         gpointer                  cell_data,
                                         GCancellable             *cancellable,
                                         GAsyncReadyCallback       callback,
                                         gpointer                  user_data);
/* The grid (transfer full), or NULL: NOT_FOUND for a missing prompt or
 * version, INVALID when the prompt has no test cases, G_IO_ERROR_CANCELLED
 * when cancelled (the runs made so far stay saved). A case that could not
 * run is a cell with an error, not a failure of the whole. */
ConfabPromptGrid *confab_prompt_runner_run_all_finish (ConfabPromptRunner *self,
                                                       GAsyncResult       *result,
                                                       GError            **error);

G_END_DECLS
