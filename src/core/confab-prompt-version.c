#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-prompt.h"
#include "confab-prompt-version.h"
#include "confab-repository.h"
#include "confab-util.h"

struct _ConfabPromptVersion
{
  ConfabEntity parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabPromptVersion, confab_prompt_version, CONFAB_TYPE_ENTITY)

enum {
  PROP_0,
  PROP_PROMPT_ID,
  PROP_VERSION,
  PROP_BODY,
  PROP_VARIABLES,
  PROP_MESSAGE,
  PROP_AUTHOR_ID,
  PROP_PROVIDER_ID,
  PROP_MODEL,
  PROP_TEMPERATURE,
  PROP_MAX_TOKENS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const dependent_tables[] = { "prompt_labels", NULL };

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

static gboolean
check_string_array (const char  *field_label,
                    const char  *json,
                    GError     **error)
{
  g_autoptr (JsonNode) root = json ? json_from_string (json, NULL) : NULL;
  JsonArray *array;

  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    goto invalid;
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        goto invalid;
    }
  return TRUE;

invalid:
  g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
               _("The %s “%s” are not a list of names"), field_label, json ? json : "");
  return FALSE;
}

static char *
strv_to_json_array (const char * const *strv)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_builder_add_string_value (builder, strv[i]);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static gboolean
is_name_start (char c)
{
  return g_ascii_isalpha (c) || c == '_';
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '.' || c == '-';
}

/**
 * confab_prompt_extract_variables:
 * @body: (nullable): a prompt text
 *
 * Finds the `{{name}}` placeholders of @body (spaces inside the braces are
 * allowed; a name is a letter or '_' followed by letters, digits, '_', '.'
 * or '-'), each once, in order of first use.
 *
 * Returns: (transfer full): the variable names
 */
char **
confab_prompt_extract_variables (const char *body)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *p = body;

  while (p != NULL && (p = strstr (p, "{{")) != NULL)
    {
      const char *start, *end;

      p += 2;
      while (*p == ' ' || *p == '\t')
        p++;
      if (!is_name_start (*p))
        continue;
      start = p;
      while (is_name_char (*p))
        p++;
      end = p;
      while (*p == ' ' || *p == '\t')
        p++;
      if (strncmp (p, "}}", 2) != 0)
        continue;
      p += 2;

      {
        char *name = g_strndup (start, end - start);

        if (g_hash_table_contains (seen, name))
          g_free (name);
        else
          {
            g_strv_builder_add (builder, name);
            g_hash_table_add (seen, name);
          }
      }
    }
  return g_strv_builder_end (builder);
}

static gboolean
confab_prompt_version_before_insert (ConfabEntity    *entity,
                                     ConfabDatabase  *db,
                                     GError         **error)
{
  ConfabPromptVersion *self = CONFAB_PROMPT_VERSION (entity);
  const char *variables = confab_prompt_version_get_variables (self);
  gint64 next;

  /* Inside the write transaction (BEGIN IMMEDIATE), so two writers cannot
   * both pick the same number. */
  next = confab_database_query_int (db,
                                    "SELECT coalesce (max (version), 0) + 1 FROM prompt_versions "
                                    "WHERE prompt_id = ?",
                                    confab_prompt_version_get_prompt_id (self) ?
                                      confab_prompt_version_get_prompt_id (self) : "",
                                    error);
  if (next < 0)
    return FALSE;
  confab_prompt_version_set_version (self, (int) next);

  if (variables == NULL || strcmp (variables, "[]") == 0)
    {
      const char *body = confab_prompt_version_get_body (self);
      g_auto (GStrv) names = confab_prompt_extract_variables (body);
      g_autofree char *json = strv_to_json_array ((const char * const *) names);

      confab_prompt_version_set_variables (self, json);
    }
  return TRUE;
}

static gboolean
confab_prompt_version_validate (ConfabEntity    *entity,
                                ConfabDatabase  *db,
                                GError         **error)
{
  ConfabPromptVersion *self = CONFAB_PROMPT_VERSION (entity);
  double temperature = confab_prompt_version_get_temperature (self);

  /* Validation runs before the INSERT of a new version, so a stored row with
   * this id means somebody is trying to change a saved version. */
  if (confab_repository_exists (db, "prompt_versions", "id", confab_entity_get_id (entity),
                                NULL, NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("Version %d of a prompt cannot be changed once saved; "
                     "save a new version instead"),
                   confab_prompt_version_get_version (self));
      return FALSE;
    }

  if (!is_set (confab_prompt_version_get_prompt_id (self)))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("A prompt version must belong to a prompt"));
      return FALSE;
    }

  if (!confab_repository_check_reference (db, entity, properties[PROP_PROMPT_ID], "prompts",
                                             FALSE, error) ||
      !confab_repository_check_reference (db, entity, properties[PROP_AUTHOR_ID], "users",
                                             FALSE, error) ||
      !confab_repository_check_reference (db, entity, properties[PROP_PROVIDER_ID], "providers",
                                             FALSE, error))
    return FALSE;

  if (!confab_check_text (confab_entity_field_label (properties[PROP_BODY]),
                          confab_prompt_version_get_body (self),
                          1, CONFAB_PROMPT_VERSION_MAX_BODY, error) ||
      !check_string_array (confab_entity_field_label (properties[PROP_VARIABLES]),
                           confab_prompt_version_get_variables (self), error) ||
      !confab_check_text (confab_entity_field_label (properties[PROP_MODEL]),
                          confab_prompt_version_get_model (self), 0, 200, error))
    return FALSE;

  if (!(temperature >= 0.0 && temperature <= 2.0))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The temperature %g is out of range: it must be between 0 and 2"),
                   temperature);
      return FALSE;
    }
  if (confab_prompt_version_get_max_tokens (self) <= 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The maximum number of tokens %d is out of range: it must be at least 1"),
                   confab_prompt_version_get_max_tokens (self));
      return FALSE;
    }
  return TRUE;
}

static gboolean
confab_prompt_version_after_insert (ConfabEntity    *entity,
                                    ConfabDatabase  *db,
                                    GError         **error)
{
  ConfabPromptVersion *self = CONFAB_PROMPT_VERSION (entity);
  g_autoptr (ConfabStmt) stmt = NULL;

  /* A new version is an edit of its prompt: lists sorted by modification
   * time show it on top. */
  stmt = confab_database_prepare (db, "UPDATE prompts SET updated_at = ? WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, confab_entity_get_created_at (entity), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, confab_prompt_version_get_prompt_id (self), -1, SQLITE_TRANSIENT);
  if (!confab_database_step_done (db, stmt, error))
    return FALSE;
  confab_database_notify_change (db, "prompts", confab_prompt_version_get_prompt_id (self),
                                 "update");
  return TRUE;
}

static void
confab_prompt_version_class_init (ConfabPromptVersionClass *klass)
{
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  entity_class->table = "prompt_versions";
  entity_class->entity_name = "prompt_version";
  entity_class->label = N_("prompt version");
  entity_class->default_order = "prompt_id, version DESC";
  entity_class->dependent_tables = dependent_tables;
  entity_class->validate = confab_prompt_version_validate;
  entity_class->before_insert = confab_prompt_version_before_insert;
  entity_class->after_insert = confab_prompt_version_after_insert;

  properties[PROP_PROMPT_ID] =
    g_param_spec_string ("prompt-id", N_("prompt"), NULL, NULL, flags);
  properties[PROP_VERSION] =
    g_param_spec_int ("version", N_("version"), NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_BODY] =
    g_param_spec_string ("body", N_("prompt text"), NULL, NULL, flags | CONFAB_PARAM_NO_AUDIT);
  properties[PROP_VARIABLES] =
    g_param_spec_string ("variables", N_("variables"), NULL, "[]", flags);
  properties[PROP_MESSAGE] =
    g_param_spec_string ("message", N_("description of the change"), NULL, NULL, flags);
  properties[PROP_AUTHOR_ID] =
    g_param_spec_string ("author-id", N_("author"), NULL, NULL, flags);
  properties[PROP_PROVIDER_ID] =
    g_param_spec_string ("provider-id", N_("provider"), NULL, NULL, flags);
  properties[PROP_MODEL] =
    g_param_spec_string ("model", N_("model"), NULL, NULL, flags);
  properties[PROP_TEMPERATURE] =
    g_param_spec_double ("temperature", N_("temperature"), NULL, 0.0, 2.0, 0.7, flags);
  properties[PROP_MAX_TOKENS] =
    g_param_spec_int ("max-tokens", N_("maximum number of tokens"), NULL, 1, G_MAXINT, 1024, flags);
  confab_entity_class_install_columns (entity_class, N_PROPS, properties);
}

static void
confab_prompt_version_init (ConfabPromptVersion *self)
{
}

ConfabPromptVersion *
confab_prompt_version_new (const char *prompt_id,
                           const char *body)
{
  return g_object_new (CONFAB_TYPE_PROMPT_VERSION, "prompt-id", prompt_id, "body", body, NULL);
}

CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_version, ConfabPromptVersion, prompt_id,
                                properties[PROP_PROMPT_ID])
CONFAB_DEFINE_INT_ACCESSORS (confab_prompt_version, ConfabPromptVersion, version, int,
                             properties[PROP_VERSION])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_version, ConfabPromptVersion, body,
                                properties[PROP_BODY])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_version, ConfabPromptVersion, variables,
                                properties[PROP_VARIABLES])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_version, ConfabPromptVersion, message,
                                properties[PROP_MESSAGE])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_version, ConfabPromptVersion, author_id,
                                properties[PROP_AUTHOR_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_version, ConfabPromptVersion, provider_id,
                                properties[PROP_PROVIDER_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_version, ConfabPromptVersion, model,
                                properties[PROP_MODEL])
CONFAB_DEFINE_DOUBLE_ACCESSORS (confab_prompt_version, ConfabPromptVersion, temperature,
                                properties[PROP_TEMPERATURE])
CONFAB_DEFINE_INT_ACCESSORS (confab_prompt_version, ConfabPromptVersion, max_tokens, int,
                             properties[PROP_MAX_TOKENS])

/**
 * confab_prompt_version_dup_variables:
 *
 * Returns: (transfer full): the variable names; empty when there are none
 */
char **
confab_prompt_version_dup_variables (ConfabPromptVersion *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  const char *variables;
  g_autoptr (JsonNode) root = NULL;

  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSION (self), NULL);

  variables = confab_prompt_version_get_variables (self);
  root = variables ? json_from_string (variables, NULL) : NULL;
  if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (element) &&
              json_node_get_value_type (element) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (element));
        }
    }
  return g_strv_builder_end (builder);
}

static void
set_step_error (ConfabDatabase  *db,
                GError         **error)
{
  confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)), error);
}

/* The prompt's name for messages, or NULL with NOT_FOUND when it is missing. */
static char *
dup_prompt_name (ConfabDatabase  *db,
                 const char      *prompt_id,
                 GError         **error)
{
  g_autoptr (ConfabPrompt) prompt = NULL;

  prompt = confab_repository_get (db, CONFAB_TYPE_PROMPT, prompt_id, error);
  if (prompt == NULL)
    return NULL;
  return g_strdup (confab_prompt_get_name (prompt));
}

static ConfabPromptVersion *
query_one_version (ConfabDatabase  *db,
                   const char      *sql,
                   const char      *prompt_id,
                   int              version,
                   gboolean        *found,
                   GError         **error)
{
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, sql, error);
  int rc;

  *found = FALSE;
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, prompt_id, -1, SQLITE_TRANSIENT);
  if (version > 0)
    sqlite3_bind_int (stmt, 2, version);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      *found = TRUE;
      return CONFAB_PROMPT_VERSION (confab_entity_new_from_stmt (CONFAB_TYPE_PROMPT_VERSION, stmt));
    }
  if (rc != SQLITE_DONE)
    set_step_error (db, error);
  return NULL;
}

/**
 * confab_prompt_get_version:
 * @version: a version number, 1 or more
 *
 * Returns: (transfer full): version @version of the prompt, or %NULL with
 *   CONFAB_ERROR_NOT_FOUND when the prompt or that version does not exist
 */
ConfabPromptVersion *
confab_prompt_get_version (ConfabDatabase  *db,
                           const char      *prompt_id,
                           int              version,
                           GError         **error)
{
  g_autofree char *name = NULL;
  ConfabPromptVersion *result;
  GError *local_error = NULL;
  gboolean found;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (prompt_id != NULL, NULL);

  if (version > 0)
    {
      result = query_one_version (db,
                                  "SELECT * FROM prompt_versions "
                                  "WHERE prompt_id = ? AND version = ?",
                                  prompt_id, version, &found, &local_error);
      if (found || local_error != NULL)
        {
          if (local_error != NULL)
            g_propagate_error (error, local_error);
          return result;
        }
    }

  name = dup_prompt_name (db, prompt_id, error);
  if (name != NULL)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _("The prompt “%s” has no version %d"), name, version);
  return NULL;
}

/**
 * confab_prompt_get_latest_version:
 *
 * Returns: (transfer full): the newest version of the prompt, or %NULL with
 *   CONFAB_ERROR_NOT_FOUND when the prompt does not exist or has no version
 */
ConfabPromptVersion *
confab_prompt_get_latest_version (ConfabDatabase  *db,
                                  const char      *prompt_id,
                                  GError         **error)
{
  g_autofree char *name = NULL;
  ConfabPromptVersion *result;
  GError *local_error = NULL;
  gboolean found;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (prompt_id != NULL, NULL);

  result = query_one_version (db,
                              "SELECT * FROM prompt_versions WHERE prompt_id = ? "
                              "ORDER BY version DESC LIMIT 1",
                              prompt_id, 0, &found, &local_error);
  if (found || local_error != NULL)
    {
      if (local_error != NULL)
        g_propagate_error (error, local_error);
      return result;
    }

  name = dup_prompt_name (db, prompt_id, error);
  if (name != NULL)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _("The prompt “%s” has no saved version yet"), name);
  return NULL;
}

/**
 * confab_prompt_list_versions:
 *
 * Returns: (transfer full) (element-type ConfabPromptVersion): the versions
 *   of the prompt, newest first, or %NULL with CONFAB_ERROR_NOT_FOUND when
 *   the prompt does not exist
 */
GPtrArray *
confab_prompt_list_versions (ConfabDatabase  *db,
                             const char      *prompt_id,
                             GError         **error)
{
  g_autofree char *name = NULL;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (prompt_id != NULL, NULL);

  name = dup_prompt_name (db, prompt_id, error);
  if (name == NULL)
    return NULL;
  return confab_repository_list (db, CONFAB_TYPE_PROMPT_VERSION, "prompt_id", prompt_id, error);
}

/**
 * confab_prompt_save_version:
 * @author_id: (nullable): the user saving, also the audit actor
 * @message: (nullable): what changed, like a commit message
 *
 * Saves @body as the next version of the prompt (1, 2, 3...) in one
 * transaction with its audit "create" row.
 *
 * Returns: (transfer full): the new version, or %NULL
 */
ConfabPromptVersion *
confab_prompt_save_version (ConfabDatabase  *db,
                            const char      *prompt_id,
                            const char      *body,
                            const char      *message,
                            const char      *author_id,
                            GError         **error)
{
  g_autoptr (ConfabPromptVersion) version = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (prompt_id != NULL, NULL);

  if (!confab_database_begin (db, error))
    return NULL;

  name = dup_prompt_name (db, prompt_id, error);
  if (name == NULL)
    goto rollback;

  version = confab_prompt_version_new (prompt_id, body);
  confab_prompt_version_set_message (version, message);
  confab_prompt_version_set_author_id (version, author_id);
  if (!confab_repository_create (db, CONFAB_ENTITY (version), author_id, error))
    goto rollback;

  if (!confab_database_commit (db, error))
    return NULL;
  return g_steal_pointer (&version);

rollback:
  confab_database_rollback (db);
  return NULL;
}

/**
 * confab_prompt_restore_version:
 * @version: the number of the version to go back to
 * @actor_id: (nullable): the user restoring; author of the new version
 *
 * Going back never rewrites history: this saves a new version holding the
 * text and model settings of @version, with the message "Restored version
 * N", and writes an audit row (entity "prompt", action "rollback", details
 * {"from_version": N, "new_version": M, "version_id": id}) beside the new
 * version's "create" row, all in one transaction.
 *
 * Returns: (transfer full): the new version, or %NULL
 */
ConfabPromptVersion *
confab_prompt_restore_version (ConfabDatabase  *db,
                               const char      *prompt_id,
                               int              version,
                               const char      *actor_id,
                               GError         **error)
{
  g_autoptr (ConfabPromptVersion) old = NULL;
  g_autoptr (ConfabPromptVersion) restored = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *message = NULL;
  g_autofree char *details = NULL;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (prompt_id != NULL, NULL);

  if (!confab_database_begin (db, error))
    return NULL;

  old = confab_prompt_get_version (db, prompt_id, version, error);
  if (old == NULL)
    goto rollback;

  message = g_strdup_printf (_("Restored version %d"), version);
  restored = g_object_new (CONFAB_TYPE_PROMPT_VERSION,
                           "prompt-id", prompt_id,
                           "body", confab_prompt_version_get_body (old),
                           "variables", confab_prompt_version_get_variables (old),
                           "message", message,
                           "author-id", actor_id,
                           "provider-id", confab_prompt_version_get_provider_id (old),
                           "model", confab_prompt_version_get_model (old),
                           NULL);
  /* Through the setters: stored values skip the property range check. */
  confab_prompt_version_set_temperature (restored, confab_prompt_version_get_temperature (old));
  confab_prompt_version_set_max_tokens (restored, confab_prompt_version_get_max_tokens (old));
  if (!confab_repository_create (db, CONFAB_ENTITY (restored), actor_id, error))
    goto rollback;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "from_version");
  json_builder_add_int_value (builder, version);
  json_builder_set_member_name (builder, "new_version");
  json_builder_add_int_value (builder, confab_prompt_version_get_version (restored));
  json_builder_set_member_name (builder, "version_id");
  json_builder_add_string_value (builder, confab_entity_get_id (CONFAB_ENTITY (restored)));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  details = json_to_string (root, FALSE);

  if (!confab_database_audit (db, actor_id, "prompt", prompt_id, "rollback", details, error))
    goto rollback;

  if (!confab_database_commit (db, error))
    return NULL;
  return g_steal_pointer (&restored);

rollback:
  confab_database_rollback (db);
  return NULL;
}
