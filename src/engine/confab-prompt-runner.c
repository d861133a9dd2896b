#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-llm-client.h"
#include "confab-prompt.h"
#include "confab-prompt-builder.h"
#include "confab-prompt-runner.h"
#include "confab-provider.h"
#include "confab-provider-client.h"
#include "confab-repository.h"
#include "confab-rule-set.h"
#include "confab-template.h"

/* See confab-prompt-runner.h. */

struct _ConfabPromptRunner
{
  GObject parent_instance;

  ConfabDatabase    *db;
  ConfabSecretStore *store;
};

G_DEFINE_FINAL_TYPE (ConfabPromptRunner, confab_prompt_runner, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_DATABASE,
  PROP_SECRET_STORE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static void
confab_prompt_runner_dispose (GObject *object)
{
  ConfabPromptRunner *self = CONFAB_PROMPT_RUNNER (object);

  g_clear_object (&self->db);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (confab_prompt_runner_parent_class)->dispose (object);
}

static void
confab_prompt_runner_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  ConfabPromptRunner *self = CONFAB_PROMPT_RUNNER (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      g_value_set_object (value, self->db);
      break;
    case PROP_SECRET_STORE:
      g_value_set_object (value, self->store);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_prompt_runner_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  ConfabPromptRunner *self = CONFAB_PROMPT_RUNNER (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      self->db = g_value_dup_object (value);
      break;
    case PROP_SECRET_STORE:
      self->store = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_prompt_runner_class_init (ConfabPromptRunnerClass *klass)
{
  GObjectClass     *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = confab_prompt_runner_dispose;
  object_class->get_property = confab_prompt_runner_get_property;
  object_class->set_property = confab_prompt_runner_set_property;

  properties[PROP_DATABASE] =
      g_param_spec_object ("database", NULL, NULL, CONFAB_TYPE_DATABASE, flags);
  properties[PROP_SECRET_STORE] =
      g_param_spec_object ("secret-store", NULL, NULL, CONFAB_TYPE_SECRET_STORE, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_prompt_runner_init (ConfabPromptRunner *self)
{
}

ConfabPromptRunner *
confab_prompt_runner_new (ConfabDatabase *db, ConfabSecretStore *store)
{
  g_autoptr (ConfabSecretStore) own_store = NULL;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (store == NULL || CONFAB_IS_SECRET_STORE (store), NULL);

  if (store == NULL)
    store = own_store = confab_secret_store_new ();
  return g_object_new (CONFAB_TYPE_PROMPT_RUNNER, "database", db, "secret-store", store, NULL);
}

/**
 * confab_prompt_render:
 * @version: the version to render
 * @variables: (nullable) (element-type utf8 utf8): values by name
 * @agent: (nullable): the agent the text is for
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the text, or NULL with @error set
 */
char *
confab_prompt_render (ConfabPromptVersion *version,
                      GHashTable          *variables,
                      ConfabAgent         *agent,
                      GError             **error)
{
  g_autoptr (GHashTable) all = NULL;
  GHashTableIter iter;
  gpointer       key, value;

  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSION (version), NULL);

  all = confab_prompt_builder_new_variables (agent, NULL, NULL);
  if (variables != NULL)
    {
      g_hash_table_iter_init (&iter, variables);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (value != NULL)
          g_hash_table_replace (all, g_strdup (key), g_strdup (value));
    }
  return confab_template_render_string (confab_prompt_version_get_body (version), all, error);
}

/* One run */

typedef struct
{
  ConfabPromptRunner      *self;
  ConfabPromptVersion     *version;
  ConfabPromptTestCase    *test_case;
  ConfabPromptRun         *run;
  ConfabProvider          *provider;
  ConfabLlmClient         *client;
  ConfabChatRequest       *request;
  ConfabPromptRunEventFunc on_event;
  gpointer                 event_data;
  GString                 *output;
  gint64                   started_us;
  ConfabAgent             *agent; /* a rule-based run: the agent answering */
  char                    *rendered;
  char                    *input;
} RunJob;

static void
run_job_free (gpointer data)
{
  RunJob *job = data;

  g_clear_object (&job->self);
  g_clear_object (&job->version);
  g_clear_object (&job->test_case);
  g_clear_object (&job->run);
  g_clear_object (&job->provider);
  g_clear_object (&job->client);
  g_clear_object (&job->request);
  g_clear_object (&job->agent);
  g_free (job->rendered);
  g_free (job->input);
  if (job->output != NULL)
    g_string_free (job->output, TRUE);
  g_free (job);
}

static void
emit (RunJob *job, ConfabPromptRunEvent event, const char *text)
{
  if (job->on_event != NULL)
    job->on_event (event, text, job->event_data);
}

/* Judges the run when it is a test case's, saves it and ends the task. */
static void
finish_run (GTask *task)
{
  RunJob *job = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  confab_prompt_run_set_output (job->run, job->output->str);
  if (job->test_case != NULL)
    {
      g_autofree char *results = NULL;
      gboolean         passed = FALSE;

      results = confab_prompt_assertions_evaluate (
          confab_prompt_test_case_get_assertions (job->test_case), job->output->str,
          confab_prompt_run_get_latency_ms (job->run), confab_prompt_run_get_tokens_out (job->run),
          &passed);
      /* A run that did not complete fails, whatever its partial output says. */
      passed = passed && g_strcmp0 (confab_prompt_run_get_status (job->run), "complete") == 0;
      confab_prompt_run_set_test_case_id (job->run, id_of (job->test_case));
      confab_prompt_run_set_assertion_results (job->run, results);
      confab_prompt_run_set_verdict (job->run, passed ? CONFAB_PROMPT_VERDICT_PASSED
                                                      : CONFAB_PROMPT_VERDICT_FAILED);
    }

  if (!confab_repository_create (job->self->db, CONFAB_ENTITY (job->run), NULL, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_object_ref (job->run), g_object_unref);
}

static void
on_delta (const char *text, gpointer user_data)
{
  RunJob *job = user_data;

  g_string_append (job->output, text);
  emit (job, CONFAB_PROMPT_RUN_EVENT_DELTA, text);
}

static void
on_chat_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RunJob *job = g_task_get_task_data (task);
  g_autoptr (ConfabChatResult) chat = NULL;
  g_autoptr (GError) error = NULL;
  gint64 latency_ms;

  confab_llm_client_chat_finish (CONFAB_LLM_CLIENT (source), result, &chat, &error);

  latency_ms = chat != NULL ? confab_chat_result_get_total_ms (chat) : -1;
  if (latency_ms < 0)
    latency_ms = (g_get_monotonic_time () - job->started_us) / 1000;
  confab_prompt_run_set_latency_ms (job->run, latency_ms);
  if (chat != NULL)
    {
      /* The whole text, in case a delta came after the cancel. */
      if (confab_chat_result_get_text (chat) != NULL)
        g_string_assign (job->output, confab_chat_result_get_text (chat));
      confab_prompt_run_set_tokens_in (job->run, (int) confab_chat_result_get_tokens_in (chat));
      confab_prompt_run_set_tokens_out (job->run, (int) confab_chat_result_get_tokens_out (chat));
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    confab_prompt_run_set_status (job->run, "cancelled");
  else if (error != NULL)
    {
      confab_prompt_run_set_status (job->run, "error");
      confab_prompt_run_set_error (job->run, error->message);
    }
  finish_run (task);
}

static void
on_client (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RunJob *job = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  GCancellable *cancellable;

  job->client = confab_provider_new_client_finish (CONFAB_PROVIDER (source), result, NULL, &error);
  if (job->client == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  cancellable = g_task_get_cancellable (task);
  emit (job, CONFAB_PROMPT_RUN_EVENT_STARTED, job->rendered);
  job->started_us = g_get_monotonic_time ();
  confab_llm_client_chat_async (job->client, job->request, on_delta, job, cancellable, on_chat_done,
                                g_steal_pointer (&task));
}

static char *
dup_prompt_name (ConfabDatabase *db, const char *prompt_id)
{
  g_autoptr (ConfabPrompt) prompt = confab_repository_get (db, CONFAB_TYPE_PROMPT, prompt_id, NULL);

  return g_strdup (prompt != NULL ? confab_prompt_get_name (prompt) : prompt_id);
}

/* The request for a model run, or NULL with an error. */
static gboolean
prepare_model_run (RunJob                   *job,
                   const ConfabPromptTarget *target,
                   const char               *rendered,
                   const char               *input,
                   GError                  **error)
{
  ConfabPromptVersion *version = job->version;
  const char          *provider_id = target != NULL && is_set (target->provider_id)
                                         ? target->provider_id
                                         : confab_prompt_version_get_provider_id (version);
  const char          *model = target != NULL && is_set (target->model) ? target->model : NULL;
  g_autoptr (GError) local_error = NULL;

  if (!is_set (provider_id))
    {
      g_autofree char *name =
          dup_prompt_name (job->self->db, confab_prompt_version_get_prompt_id (version));

      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("Version %d of “%s” names no provider: choose a provider or a rule-based "
                     "agent to run it with"),
                   confab_prompt_version_get_version (version), name);
      return FALSE;
    }
  job->provider =
      confab_repository_get (job->self->db, CONFAB_TYPE_PROVIDER, provider_id, &local_error);
  if (job->provider == NULL)
    {
      if (g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
        g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                     _("The provider “%s” does not exist in this workspace"), provider_id);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (model == NULL && is_set (confab_prompt_version_get_model (version)))
    model = confab_prompt_version_get_model (version);
  if (model == NULL && is_set (confab_provider_get_default_model (job->provider)))
    model = confab_provider_get_default_model (job->provider);
  if (model == NULL)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("Choose a model: neither the version nor the provider “%s” names one"),
                   confab_provider_get_name (job->provider));
      return FALSE;
    }

  job->request = confab_chat_request_new (model);
  confab_chat_request_set_temperature (job->request,
                                       confab_prompt_version_get_temperature (version));
  confab_chat_request_set_max_tokens (job->request, confab_prompt_version_get_max_tokens (version));
  if (is_set (input))
    {
      confab_chat_request_set_system (job->request, rendered);
      confab_chat_request_add_message (job->request, "user", input);
    }
  else
    confab_chat_request_add_message (job->request, "user", rendered);

  confab_prompt_run_set_provider_id (job->run, id_of (job->provider));
  confab_prompt_run_set_model (job->run, model);
  return TRUE;
}

static ConfabAgent *
load_rule_agent (ConfabDatabase *db, const char *agent_id, GError **error)
{
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *type;

  agent = confab_repository_get (db, CONFAB_TYPE_AGENT, agent_id, &local_error);
  if (agent == NULL)
    {
      if (g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
        g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                     _("The agent “%s” does not exist in this workspace"), agent_id);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  type = confab_agent_get_agent_type (agent);
  if (g_strcmp0 (type, "rule_based") != 0 && g_strcmp0 (type, "hybrid") != 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The agent “%s” has no rules to answer with: choose a rule-based agent"),
                   confab_agent_get_name (agent));
      return NULL;
    }
  return g_steal_pointer (&agent);
}

/* The rule set answers at once. */
static gboolean
answer_with_rules (
    RunJob *job, ConfabAgent *agent, const char *rendered, const char *input, GError **error)
{
  g_autoptr (ConfabRuleSet) rules = NULL;
  g_autoptr (ConfabRuleMatch) match = NULL;
  g_autoptr (GHashTable) variables = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *message = NULL;
  gint64           started = g_get_monotonic_time ();

  rules = confab_rule_set_parse (confab_agent_get_config (agent), &local_error);
  if (rules == NULL)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The rules of the agent “%s” cannot be used: %s"),
                   confab_agent_get_name (agent), local_error->message);
      return FALSE;
    }

  message = is_set (input) ? g_strconcat (rendered, "\n", input, NULL) : g_strdup (rendered);
  variables = confab_prompt_builder_new_variables (agent, NULL, NULL);
  match = confab_rule_set_match (rules, message, 0, 0, variables, error);
  if (match == NULL)
    return FALSE;

  g_string_assign (job->output, match->response != NULL ? match->response : "");
  confab_prompt_run_set_agent_id (job->run, id_of (agent));
  confab_prompt_run_set_model (job->run, "rules");
  confab_prompt_run_set_latency_ms (job->run, (g_get_monotonic_time () - started) / 1000);
  if (job->output->len > 0)
    emit (job, CONFAB_PROMPT_RUN_EVENT_DELTA, job->output->str);
  return TRUE;
}

/* A rule-based run, from the main loop: nothing happens inside the call. */
static gboolean
answer_with_rules_idle (gpointer data)
{
  g_autoptr (GTask) task = data;
  RunJob *job = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  emit (job, CONFAB_PROMPT_RUN_EVENT_STARTED, job->rendered);
  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      confab_prompt_run_set_agent_id (job->run, id_of (job->agent));
      confab_prompt_run_set_model (job->run, "rules");
      confab_prompt_run_set_status (job->run, "cancelled");
      finish_run (task);
    }
  else if (!answer_with_rules (job, job->agent, job->rendered, job->input, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    finish_run (task);
  return G_SOURCE_REMOVE;
}

void
confab_prompt_runner_run_async (ConfabPromptRunner       *self,
                                ConfabPromptVersion      *version,
                                GHashTable               *variables,
                                const char               *input,
                                const ConfabPromptTarget *target,
                                ConfabPromptTestCase     *test_case,
                                ConfabPromptRunEventFunc  on_event,
                                gpointer                  event_data,
                                GCancellable             *cancellable,
                                GAsyncReadyCallback       callback,
                                gpointer                  user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GHashTable) case_variables = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *rendered = NULL;
  g_autofree char *variables_json = NULL;
  RunJob          *job;

  g_return_if_fail (CONFAB_IS_PROMPT_RUNNER (self));
  g_return_if_fail (CONFAB_IS_PROMPT_VERSION (version));
  g_return_if_fail (test_case == NULL || CONFAB_IS_PROMPT_TEST_CASE (test_case));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_prompt_runner_run_async);
  /* A cancelled run is still a run, kept with what came: it is returned. */
  g_task_set_check_cancellable (task, FALSE);

  job = g_new0 (RunJob, 1);
  job->self = g_object_ref (self);
  job->version = g_object_ref (version);
  job->test_case = test_case != NULL ? g_object_ref (test_case) : NULL;
  job->on_event = on_event;
  job->event_data = event_data;
  job->output = g_string_new (NULL);
  g_task_set_task_data (task, job, run_job_free);

  if (test_case != NULL)
    {
      variables = case_variables = confab_prompt_test_case_dup_variables (test_case);
      input = confab_prompt_test_case_get_input (test_case);
    }

  if (target != NULL && is_set (target->agent_id))
    {
      agent = load_rule_agent (self->db, target->agent_id, &error);
      if (agent == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

  rendered = confab_prompt_render (version, variables, agent, &error);
  if (rendered == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  job->run = confab_prompt_run_new (confab_prompt_version_get_prompt_id (version), id_of (version));
  variables_json = confab_prompt_variables_to_json (variables);
  confab_prompt_run_set_variables (job->run, variables_json);
  confab_prompt_run_set_input (job->run, input != NULL ? input : "");

  job->input = g_strdup (input);
  if (agent != NULL)
    {
      g_autoptr (GSource) source = g_idle_source_new ();

      job->agent = g_steal_pointer (&agent);
      job->rendered = g_steal_pointer (&rendered);
      /* The callback takes the task's reference. */
      g_task_attach_source (task, source, answer_with_rules_idle);
      g_steal_pointer (&task);
      return;
    }

  if (!prepare_model_run (job, target, rendered, input, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  job->rendered = g_steal_pointer (&rendered);
  confab_provider_new_client_async (job->provider, self->store, cancellable, on_client,
                                    g_steal_pointer (&task));
}

ConfabPromptRun *
confab_prompt_runner_run_finish (ConfabPromptRunner *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_RUNNER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Run all */

typedef struct
{
  ConfabPromptGrid *grid;
  char             *provider_id;
  char             *model;
  char             *agent_id;
  guint             version_index;
  guint             case_index;
} RunAll;

static void
run_all_free (gpointer data)
{
  RunAll *state = data;

  g_clear_object (&state->grid);
  g_free (state->provider_id);
  g_free (state->model);
  g_free (state->agent_id);
  g_free (state);
}

static void run_next_cell (GTask *task);

static void
on_cell_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  RunAll *state = g_task_get_task_data (task);
  g_autoptr (ConfabPromptRun) run = NULL;
  g_autoptr (GError) error = NULL;

  run = confab_prompt_runner_run_finish (CONFAB_PROMPT_RUNNER (source), result, &error);
  confab_prompt_grid_set_cell (state->grid, state->version_index, state->case_index, run, error);

  if (++state->case_index == confab_prompt_grid_get_n_cases (state->grid))
    {
      state->case_index = 0;
      state->version_index++;
    }
  run_next_cell (g_steal_pointer (&task));
}

static void
run_next_cell (GTask *task)
{
  RunAll             *state = g_task_get_task_data (task);
  ConfabPromptRunner *self = g_task_get_source_object (task);
  ConfabPromptTarget  target = { state->provider_id, state->model, state->agent_id };
  GCancellable       *cancellable = g_task_get_cancellable (task);
  g_autoptr (GError) error = NULL;

  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  if (state->version_index == confab_prompt_grid_get_n_versions (state->grid))
    {
      g_task_return_pointer (task, g_object_ref (state->grid), g_object_unref);
      g_object_unref (task);
      return;
    }

  confab_prompt_runner_run_async (
      self, confab_prompt_grid_get_version (state->grid, state->version_index), NULL, NULL, &target,
      confab_prompt_grid_get_case (state->grid, state->case_index), NULL, NULL, cancellable,
      on_cell_done, task);
}

static GPtrArray *
load_versions (
    ConfabDatabase *db, const char *prompt_id, const int *numbers, guint n_numbers, GError **error)
{
  g_autoptr (GPtrArray) versions = g_ptr_array_new_with_free_func (g_object_unref);

  if (n_numbers == 0)
    {
      ConfabPromptVersion *latest = confab_prompt_get_latest_version (db, prompt_id, error);

      if (latest == NULL)
        return NULL;
      g_ptr_array_add (versions, latest);
    }
  for (guint i = 0; i < n_numbers; i++)
    {
      ConfabPromptVersion *version = confab_prompt_get_version (db, prompt_id, numbers[i], error);

      if (version == NULL)
        return NULL;
      g_ptr_array_add (versions, version);
    }
  return g_steal_pointer (&versions);
}

void
confab_prompt_runner_run_all_async (ConfabPromptRunner       *self,
                                    const char               *prompt_id,
                                    const int                *versions,
                                    guint                     n_versions,
                                    const ConfabPromptTarget *target,
                                    GCallback                 on_cell,
                                    gpointer                  cell_data,
                                    GCancellable             *cancellable,
                                    GAsyncReadyCallback       callback,
                                    gpointer                  user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GPtrArray) version_list = NULL;
  g_autoptr (GPtrArray) cases = NULL;
  g_autoptr (GError) error = NULL;
  RunAll *state;

  g_return_if_fail (CONFAB_IS_PROMPT_RUNNER (self));
  g_return_if_fail (prompt_id != NULL);
  g_return_if_fail (versions != NULL || n_versions == 0);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_prompt_runner_run_all_async);

  version_list = load_versions (self->db, prompt_id, versions, n_versions, &error);
  if (version_list == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  cases = confab_repository_list (self->db, CONFAB_TYPE_PROMPT_TEST_CASE, "prompt_id", prompt_id,
                                  &error);
  if (cases == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (cases->len == 0)
    {
      g_autofree char *name = dup_prompt_name (self->db, prompt_id);

      g_task_return_new_error (task, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                               _("The prompt “%s” has no test cases yet: add one to run"), name);
      return;
    }

  state = g_new0 (RunAll, 1);
  state->grid = confab_prompt_grid_new (version_list, cases);
  if (target != NULL)
    {
      state->provider_id = g_strdup (target->provider_id);
      state->model = g_strdup (target->model);
      state->agent_id = g_strdup (target->agent_id);
    }
  if (on_cell != NULL)
    g_signal_connect (state->grid, "cell-changed", on_cell, cell_data);
  g_task_set_task_data (task, state, run_all_free);
  run_next_cell (g_steal_pointer (&task));
}

ConfabPromptGrid *
confab_prompt_runner_run_all_finish (ConfabPromptRunner *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_RUNNER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
