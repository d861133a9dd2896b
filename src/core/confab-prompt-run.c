#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-prompt-run.h"
#include "confab-prompt-test-case.h"
#include "confab-repository.h"
#include "confab-util.h"

struct _ConfabPromptRun
{
  ConfabEntity parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabPromptRun, confab_prompt_run, CONFAB_TYPE_ENTITY)

enum
{
  PROP_0,
  PROP_PROMPT_ID,
  PROP_VERSION_ID,
  PROP_PROVIDER_ID,
  PROP_AGENT_ID,
  PROP_MODEL,
  PROP_VARIABLES,
  PROP_INPUT,
  PROP_OUTPUT,
  PROP_STATUS,
  PROP_ERROR,
  PROP_TOKENS_IN,
  PROP_TOKENS_OUT,
  PROP_LATENCY_MS,
  PROP_TEST_CASE_ID,
  PROP_PASSED,
  PROP_ASSERTION_RESULTS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char *const confab_prompt_run_statuses[] = { "complete", "error", "cancelled", NULL };

static gboolean
check_version (ConfabDatabase *db, const char *version_id, const char *prompt_id, GError **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  stmt = confab_database_prepare (db, "SELECT prompt_id FROM prompt_versions WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, version_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW && g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), prompt_id) == 0)
    return TRUE;
  if (rc == SQLITE_ROW || rc == SQLITE_DONE)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The %s “%s” is not a version of this prompt"),
                   confab_entity_field_label (properties[PROP_VERSION_ID]),
                   version_id ? version_id : "");
      return FALSE;
    }
  confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)), error);
  return FALSE;
}

static gboolean
confab_prompt_run_validate (ConfabEntity *entity, ConfabDatabase *db, GError **error)
{
  ConfabPromptRun *self = CONFAB_PROMPT_RUN (entity);
  g_autoptr (GHashTable) variables = NULL;
  g_autoptr (JsonNode) results = NULL;

  if (!confab_repository_check_reference (db, entity, properties[PROP_PROMPT_ID], "prompts", TRUE,
                                          error) ||
      !check_version (db, confab_prompt_run_get_version_id (self),
                      confab_prompt_run_get_prompt_id (self), error) ||
      !confab_repository_check_reference (db, entity, properties[PROP_PROVIDER_ID], "providers",
                                          FALSE, error) ||
      !confab_repository_check_reference (db, entity, properties[PROP_AGENT_ID], "agents", FALSE,
                                          error) ||
      !confab_repository_check_reference (db, entity, properties[PROP_TEST_CASE_ID],
                                          "prompt_test_cases", FALSE, error) ||
      !confab_check_enum (confab_entity_field_label (properties[PROP_STATUS]),
                          confab_prompt_run_get_status (self), confab_prompt_run_statuses, error))
    return FALSE;

  variables = confab_prompt_variables_from_json (confab_prompt_run_get_variables (self), error);
  if (variables == NULL)
    return FALSE;

  results = json_from_string (confab_prompt_run_get_assertion_results (self), NULL);
  if (results == NULL || !JSON_NODE_HOLDS_ARRAY (results))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The assertion results of a run must be a JSON list"));
      return FALSE;
    }
  if (confab_prompt_run_get_tokens_in (self) < 0 || confab_prompt_run_get_tokens_out (self) < 0 ||
      confab_prompt_run_get_latency_ms (self) < 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("Token counts and latency of a run cannot be negative"));
      return FALSE;
    }
  return TRUE;
}

static void
confab_prompt_run_class_init (ConfabPromptRunClass *klass)
{
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  const GParamFlags  flags =
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  entity_class->table = "prompt_runs";
  entity_class->entity_name = "prompt_run";
  entity_class->label = N_("prompt run");
  entity_class->default_order = "created_at DESC, rowid DESC";
  entity_class->validate = confab_prompt_run_validate;

  properties[PROP_PROMPT_ID] = g_param_spec_string ("prompt-id", N_("prompt"), NULL, NULL, flags);
  properties[PROP_VERSION_ID] =
      g_param_spec_string ("version-id", N_("prompt version"), NULL, NULL, flags);
  properties[PROP_PROVIDER_ID] =
      g_param_spec_string ("provider-id", N_("provider"), NULL, NULL, flags);
  properties[PROP_AGENT_ID] = g_param_spec_string ("agent-id", N_("agent"), NULL, NULL, flags);
  properties[PROP_MODEL] = g_param_spec_string ("model", N_("model"), NULL, NULL, flags);
  properties[PROP_VARIABLES] =
      g_param_spec_string ("variables", N_("variables"), NULL, "{}", flags);
  properties[PROP_INPUT] =
      g_param_spec_string ("input", N_("input"), NULL, "", flags | CONFAB_PARAM_NO_AUDIT);
  properties[PROP_OUTPUT] =
      g_param_spec_string ("output", N_("output"), NULL, "", flags | CONFAB_PARAM_NO_AUDIT);
  properties[PROP_STATUS] = g_param_spec_string ("status", N_("status"), NULL, "complete", flags);
  properties[PROP_ERROR] = g_param_spec_string ("error", N_("error"), NULL, NULL, flags);
  properties[PROP_TOKENS_IN] =
      g_param_spec_int ("tokens-in", N_("input tokens"), NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_TOKENS_OUT] =
      g_param_spec_int ("tokens-out", N_("output tokens"), NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_LATENCY_MS] =
      g_param_spec_int64 ("latency-ms", N_("latency"), NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_TEST_CASE_ID] =
      g_param_spec_string ("test-case-id", N_("test case"), NULL, NULL, flags);
  /* NULL, "0" or "1": the column's INTEGER affinity stores it as a number. */
  properties[PROP_PASSED] = g_param_spec_string ("passed", N_("verdict"), NULL, NULL, flags);
  properties[PROP_ASSERTION_RESULTS] = g_param_spec_string (
      "assertion-results", N_("assertion results"), NULL, "[]", flags | CONFAB_PARAM_NO_AUDIT);
  confab_entity_class_install_columns (entity_class, N_PROPS, properties);
}

static void
confab_prompt_run_init (ConfabPromptRun *self)
{
}

ConfabPromptRun *
confab_prompt_run_new (const char *prompt_id, const char *version_id)
{
  return g_object_new (CONFAB_TYPE_PROMPT_RUN, "prompt-id", prompt_id, "version-id", version_id,
                       NULL);
}

CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_run,
                                ConfabPromptRun,
                                prompt_id,
                                properties[PROP_PROMPT_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_run,
                                ConfabPromptRun,
                                version_id,
                                properties[PROP_VERSION_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_run,
                                ConfabPromptRun,
                                provider_id,
                                properties[PROP_PROVIDER_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_run,
                                ConfabPromptRun,
                                agent_id,
                                properties[PROP_AGENT_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_run, ConfabPromptRun, model, properties[PROP_MODEL])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_run,
                                ConfabPromptRun,
                                variables,
                                properties[PROP_VARIABLES])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_run, ConfabPromptRun, input, properties[PROP_INPUT])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_run, ConfabPromptRun, output, properties[PROP_OUTPUT])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_run, ConfabPromptRun, status, properties[PROP_STATUS])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_run, ConfabPromptRun, error, properties[PROP_ERROR])
CONFAB_DEFINE_INT_ACCESSORS (
    confab_prompt_run, ConfabPromptRun, tokens_in, int, properties[PROP_TOKENS_IN])
CONFAB_DEFINE_INT_ACCESSORS (
    confab_prompt_run, ConfabPromptRun, tokens_out, int, properties[PROP_TOKENS_OUT])
CONFAB_DEFINE_INT_ACCESSORS (
    confab_prompt_run, ConfabPromptRun, latency_ms, gint64, properties[PROP_LATENCY_MS])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_run,
                                ConfabPromptRun,
                                test_case_id,
                                properties[PROP_TEST_CASE_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_run,
                                ConfabPromptRun,
                                assertion_results,
                                properties[PROP_ASSERTION_RESULTS])

ConfabPromptVerdict
confab_prompt_run_get_verdict (ConfabPromptRun *self)
{
  const char *passed;

  g_return_val_if_fail (CONFAB_IS_PROMPT_RUN (self), CONFAB_PROMPT_VERDICT_NONE);

  passed = confab_entity_get_string (CONFAB_ENTITY (self), properties[PROP_PASSED]);
  if (passed == NULL || *passed == '\0')
    return CONFAB_PROMPT_VERDICT_NONE;
  return strcmp (passed, "0") == 0 ? CONFAB_PROMPT_VERDICT_FAILED : CONFAB_PROMPT_VERDICT_PASSED;
}

void
confab_prompt_run_set_verdict (ConfabPromptRun *self, ConfabPromptVerdict verdict)
{
  g_return_if_fail (CONFAB_IS_PROMPT_RUN (self));

  confab_entity_set_string (CONFAB_ENTITY (self), properties[PROP_PASSED],
                            verdict == CONFAB_PROMPT_VERDICT_NONE     ? NULL
                            : verdict == CONFAB_PROMPT_VERDICT_PASSED ? "1"
                                                                      : "0");
}
