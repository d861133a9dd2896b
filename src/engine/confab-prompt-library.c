#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "confab-error.h"
#include "confab-prompt-library.h"
#include "confab-repository.h"
#include "confab-template.h"
#include "confab-util.h"

/* See confab-prompt-library.h. */

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

static const char *
or_empty (const char *s)
{
  return s != NULL ? s : "";
}

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

/* The names a form asks for, as the JSON array stored in a version. */
static char *
variables_json (const char *body, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GPtrArray) variables = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) root = NULL;

  variables = confab_template_detect_variables (body, &local_error);
  if (variables == NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("The prompt text is not a valid template: %s"), local_error->message);
      return NULL;
    }
  /* "[]" would ask the version to fill in the list itself, built-ins and
   * all (confab-prompt-version.h): an empty list is spelled so it is kept. */
  if (variables->len == 0)
    return g_strdup ("[ ]");

  builder = json_builder_new ();
  json_builder_begin_array (builder);
  for (guint i = 0; i < variables->len; i++)
    {
      ConfabTemplateVariable *variable = g_ptr_array_index (variables, i);

      json_builder_add_string_value (builder, variable->name);
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

gboolean
confab_prompt_library_same_content (ConfabPromptVersion *a, ConfabPromptVersion *b)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSION (a), FALSE);
  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSION (b), FALSE);

  /* An empty provider or model is no provider or model. */
  return g_strcmp0 (confab_prompt_version_get_body (a), confab_prompt_version_get_body (b)) == 0 &&
         g_strcmp0 (is_set (confab_prompt_version_get_provider_id (a))
                        ? confab_prompt_version_get_provider_id (a)
                        : NULL,
                    is_set (confab_prompt_version_get_provider_id (b))
                        ? confab_prompt_version_get_provider_id (b)
                        : NULL) == 0 &&
         g_strcmp0 (
             is_set (confab_prompt_version_get_model (a)) ? confab_prompt_version_get_model (a)
                                                          : NULL,
             is_set (confab_prompt_version_get_model (b)) ? confab_prompt_version_get_model (b)
                                                          : NULL) == 0 &&
         fabs (confab_prompt_version_get_temperature (a) -
               confab_prompt_version_get_temperature (b)) < 1e-9 &&
         confab_prompt_version_get_max_tokens (a) == confab_prompt_version_get_max_tokens (b);
}

/* Fails when the prompt's newest version already says what draft says. */
static gboolean
check_changed (ConfabDatabase *db, ConfabPromptVersion *draft, GError **error)
{
  g_autoptr (ConfabPromptVersion) latest = NULL;
  g_autoptr (GError) local_error = NULL;

  latest = confab_prompt_get_latest_version (db, confab_prompt_version_get_prompt_id (draft),
                                             &local_error);
  if (latest == NULL)
    {
      /* No version yet is fine; a missing prompt is not. */
      if (g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND) &&
          confab_repository_exists (db, "prompts", "id",
                                    confab_prompt_version_get_prompt_id (draft), NULL, NULL))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (confab_prompt_library_same_content (latest, draft))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("Nothing changed since version %d: the text and the model settings are "
                     "the same"),
                   confab_prompt_version_get_version (latest));
      return FALSE;
    }
  return TRUE;
}

static gboolean
save_version (ConfabDatabase *db, ConfabPromptVersion *draft, gboolean only_changes, GError **error)
{
  g_autofree char *variables = NULL;
  const char      *prompt_id;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSION (draft), FALSE);

  prompt_id = confab_prompt_version_get_prompt_id (draft);
  if (!is_set (prompt_id))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("A prompt version must belong to a prompt"));
      return FALSE;
    }
  if (!confab_check_text (_("prompt text"), confab_prompt_version_get_body (draft), 1,
                          CONFAB_PROMPT_VERSION_MAX_BODY, error))
    return FALSE;
  variables = variables_json (confab_prompt_version_get_body (draft), error);
  if (variables == NULL)
    return FALSE;
  confab_prompt_version_set_variables (draft, variables);

  if (!confab_database_begin (db, error))
    return FALSE;
  if ((only_changes && !check_changed (db, draft, error)) ||
      !confab_repository_create (db, CONFAB_ENTITY (draft),
                                 confab_prompt_version_get_author_id (draft), error))
    {
      confab_database_rollback (db);
      return FALSE;
    }
  return confab_database_commit (db, error);
}

/**
 * confab_prompt_library_save:
 * @db: a workspace
 * @draft: the unsaved version
 * @error: return location for a #GError
 *
 * See confab-prompt-library.h.
 *
 * Returns: whether @draft was saved
 */
gboolean
confab_prompt_library_save (ConfabDatabase *db, ConfabPromptVersion *draft, GError **error)
{
  return save_version (db, draft, TRUE, error);
}

gboolean
confab_prompt_library_save_as_is (ConfabDatabase *db, ConfabPromptVersion *draft, GError **error)
{
  return save_version (db, draft, FALSE, error);
}

/**
 * confab_prompt_library_add:
 * @db: a workspace
 * @prompt: the unsaved prompt
 * @first: its unsaved first version (its prompt_id is set here)
 * @error: return location for a #GError
 *
 * Returns: whether both were saved
 */
gboolean
confab_prompt_library_add (ConfabDatabase      *db,
                           ConfabPrompt        *prompt,
                           ConfabPromptVersion *first,
                           GError             **error)
{
  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (CONFAB_IS_PROMPT (prompt), FALSE);
  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSION (first), FALSE);

  if (!confab_database_begin (db, error))
    return FALSE;
  if (!confab_repository_create (db, CONFAB_ENTITY (prompt),
                                 confab_prompt_version_get_author_id (first), error))
    goto rollback;
  confab_prompt_version_set_prompt_id (first, id_of (prompt));
  if (!confab_prompt_library_save (db, first, error))
    goto rollback;
  return confab_database_commit (db, error);

rollback:
  confab_database_rollback (db);
  /* The prompt was not kept: it must not look saved. */
  g_object_set (prompt, "id", NULL, NULL);
  confab_prompt_version_set_prompt_id (first, NULL);
  return FALSE;
}

gboolean
confab_prompt_library_move_label (ConfabDatabase *db,
                                  const char     *prompt_id,
                                  const char     *label,
                                  int             version,
                                  const char     *actor_id,
                                  GError        **error)
{
  g_autoptr (ConfabPromptVersion) target = NULL;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (prompt_id != NULL, FALSE);

  target = confab_prompt_get_version (db, prompt_id, version, error);
  if (target == NULL)
    return FALSE;
  return confab_prompt_set_label (db, prompt_id, label, id_of (target), actor_id, error);
}

ConfabPrompt *
confab_prompt_library_find (ConfabDatabase *db, const char *name_or_id, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  ConfabPrompt *prompt;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);

  if (!is_set (name_or_id))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID, _("Name a prompt"));
      return NULL;
    }
  prompt = confab_repository_find (db, CONFAB_TYPE_PROMPT, "name", name_or_id, &local_error);
  if (prompt == NULL && g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_clear_error (&local_error);
      prompt = confab_repository_get (db, CONFAB_TYPE_PROMPT, name_or_id, &local_error);
    }
  if (prompt != NULL)
    return prompt;
  if (g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _("No prompt named “%s” exists in this workspace"), name_or_id);
  else
    g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

static gboolean
all_digits (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

ConfabPromptVersion *
confab_prompt_library_resolve (ConfabDatabase *db,
                               const char     *reference,
                               ConfabPrompt  **out_prompt,
                               GError        **error)
{
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char     *name = NULL;
  g_autofree char     *label = NULL;
  ConfabPromptVersion *version;
  const char          *at, *colon;
  int                  number = 0;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);

  if (out_prompt != NULL)
    *out_prompt = NULL;
  if (!is_set (reference))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID, _("Name a prompt"));
      return NULL;
    }

  prompt = confab_repository_find (db, CONFAB_TYPE_PROMPT, "name", reference, &local_error);
  if (prompt == NULL && !g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_clear_error (&local_error);

  if (prompt == NULL)
    {
      at = strrchr (reference, '@');
      colon = strrchr (reference, ':');
      if (at != NULL && at > reference && all_digits (at + 1))
        {
          guint64 parsed = g_ascii_strtoull (at + 1, NULL, 10);

          if (parsed == 0 || parsed > G_MAXINT)
            {
              g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                           _("“%s” is not a version number: versions count from 1"), at + 1);
              return NULL;
            }
          number = (int) parsed;
          name = g_strndup (reference, at - reference);
        }
      else if (colon != NULL && colon > reference && colon[1] != '\0')
        {
          name = g_strndup (reference, colon - reference);
          label = g_strdup (colon + 1);
        }
      else
        name = g_strdup (reference);

      prompt = confab_prompt_library_find (db, name, error);
      if (prompt == NULL)
        return NULL;
    }

  version = confab_prompt_resolve (db, id_of (prompt), label, number, error);
  if (version != NULL && out_prompt != NULL)
    *out_prompt = g_steal_pointer (&prompt);
  return version;
}

static int
compare_newest_first (gconstpointer a, gconstpointer b)
{
  gint64 ia = confab_audit_entry_get_id (*(ConfabAuditEntry *const *) a);
  gint64 ib = confab_audit_entry_get_id (*(ConfabAuditEntry *const *) b);

  return (ia < ib) - (ia > ib);
}

/**
 * confab_prompt_library_history:
 *
 * Returns: (transfer full) (element-type ConfabAuditEntry): the rows, or NULL
 */
GPtrArray *
confab_prompt_library_history (ConfabDatabase *db, const char *prompt_id, GError **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GPtrArray) records = g_ptr_array_new_with_free_func (g_free);
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (prompt_id != NULL, NULL);

  if (!confab_repository_require_row (db, "prompts", _("prompt"), prompt_id, error))
    return NULL;

  /* The records the history is about: the prompt, its versions and its
   * test cases, deleted ones too (their "delete" row names the prompt). */
  stmt = confab_database_prepare (db,
                                  "SELECT 'prompt_version', id FROM prompt_versions "
                                  "WHERE prompt_id = ?1 "
                                  "UNION SELECT 'prompt_test_case', id FROM prompt_test_cases "
                                  "WHERE prompt_id = ?1 "
                                  "UNION SELECT entity, entity_id FROM audit_log "
                                  "WHERE entity = 'prompt_test_case' "
                                  "AND json_extract (details, '$.fields.prompt_id') = ?1",
                                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, prompt_id, -1, SQLITE_TRANSIENT);
  g_ptr_array_add (records, g_strdup ("prompt"));
  g_ptr_array_add (records, g_strdup (prompt_id));
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_ptr_array_add (records, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      g_ptr_array_add (records, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
    }
  if (rc != SQLITE_DONE)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)),
                                 error);
      return NULL;
    }
  g_clear_pointer (&stmt, sqlite3_reset);

  entries = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i + 1 < records->len; i += 2)
    {
      g_autoptr (GPtrArray) rows = confab_audit_list (db, g_ptr_array_index (records, i),
                                                      g_ptr_array_index (records, i + 1), 0, error);

      if (rows == NULL)
        return NULL;
      for (guint j = 0; j < rows->len; j++)
        g_ptr_array_add (entries, g_object_ref (g_ptr_array_index (rows, j)));
    }
  /* The id grows with every row: newest first even within one millisecond. */
  g_ptr_array_sort (entries, compare_newest_first);
  return g_steal_pointer (&entries);
}

/* details.fields.member (a create or delete snapshot) or
 * details.changed.member.to (an update). */
static JsonNode *
field_of (JsonObject *details, const char *member)
{
  JsonObject *fields = NULL;
  JsonNode   *node;

  if (json_object_has_member (details, "fields"))
    fields = json_object_get_object_member (details, "fields");
  if (fields != NULL && (node = json_object_get_member (fields, member)) != NULL)
    return node;
  if (json_object_has_member (details, "changed"))
    fields = json_object_get_object_member (details, "changed");
  if (fields != NULL && json_object_has_member (fields, member))
    {
      JsonObject *change = json_object_get_object_member (fields, member);

      return change != NULL ? json_object_get_member (change, "to") : NULL;
    }
  return NULL;
}

static const char *
text_of (JsonNode *node)
{
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return NULL;
}

static gint64
number_of (JsonNode *node)
{
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_INT64)
    return json_node_get_int (node);
  return 0;
}

static char *
changed_names (JsonObject *details)
{
  g_autoptr (GString) names = g_string_new (NULL);
  g_autoptr (GList) members = NULL;
  JsonObject *changed;

  if (!json_object_has_member (details, "changed") ||
      (changed = json_object_get_object_member (details, "changed")) == NULL)
    return g_strdup ("");
  members = json_object_get_members (changed);
  for (GList *l = members; l != NULL; l = l->next)
    {
      if (names->len > 0)
        g_string_append (names, ", ");
      g_string_append (names, l->data);
    }
  return g_string_free (g_steal_pointer (&names), FALSE);
}

static char *
describe_label (JsonObject *details)
{
  const char *label = json_object_get_string_member_with_default (details, "label", "?");
  gint64      from = number_of (json_object_get_member (details, "from_version"));
  gint64      to = number_of (json_object_get_member (details, "to_version"));

  if (from == 0)
    return g_strdup_printf (_("Put the label “%s” on version %d"), label, (int) to);
  if (to == 0)
    return g_strdup_printf (_("Removed the label “%s” from version %d"), label, (int) from);
  return g_strdup_printf (_("Moved the label “%s” from version %d to version %d"), label,
                          (int) from, (int) to);
}

char *
confab_prompt_library_describe_entry (ConfabAuditEntry *entry)
{
  const char *entity, *action;
  g_autoptr (JsonNode) root = NULL;
  JsonObject *details;

  g_return_val_if_fail (CONFAB_IS_AUDIT_ENTRY (entry), NULL);

  entity = confab_audit_entry_get_entity (entry);
  action = confab_audit_entry_get_action (entry);
  root = json_from_string (confab_audit_entry_get_details (entry), NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      json_node_unref (g_steal_pointer (&root));
      root = json_from_string ("{}", NULL);
    }
  details = json_node_get_object (root);

  if (g_strcmp0 (entity, "prompt") == 0)
    {
      if (g_strcmp0 (action, "create") == 0)
        return g_strdup_printf (_("Created the prompt “%s”"),
                                or_empty (text_of (field_of (details, "name"))));
      if (g_strcmp0 (action, "update") == 0)
        {
          g_autofree char *names = changed_names (details);

          return g_strdup_printf (_("Changed the prompt’s %s"), names);
        }
      if (g_strcmp0 (action, "delete") == 0)
        return g_strdup (_("Deleted the prompt"));
      if (g_strcmp0 (action, "label") == 0)
        return describe_label (details);
      if (g_strcmp0 (action, "rollback") == 0)
        return g_strdup_printf (_("Restored version %d as version %d"),
                                (int) number_of (json_object_get_member (details, "from_version")),
                                (int) number_of (json_object_get_member (details, "new_version")));
    }
  else if (g_strcmp0 (entity, "prompt_version") == 0 && g_strcmp0 (action, "create") == 0)
    {
      const char *message = text_of (field_of (details, "message"));
      int         number = (int) number_of (field_of (details, "version"));

      if (is_set (message))
        return g_strdup_printf (_("Saved version %d: “%s”"), number, message);
      return g_strdup_printf (_("Saved version %d"), number);
    }
  else if (g_strcmp0 (entity, "prompt_test_case") == 0)
    {
      const char *name = text_of (field_of (details, "name"));

      if (g_strcmp0 (action, "create") == 0)
        return g_strdup_printf (_("Added the test case “%s”"), or_empty (name));
      if (g_strcmp0 (action, "delete") == 0)
        return g_strdup_printf (_("Removed the test case “%s”"), or_empty (name));
      if (g_strcmp0 (action, "update") == 0)
        {
          g_autofree char *names = changed_names (details);

          return g_strdup_printf (_("Changed a test case’s %s"), names);
        }
    }

  /* Translators: a kind of record and what was done to it ("prompt_version update"). */
  return g_strdup_printf (_("%s %s"), entity, action);
}

void
confab_prompt_library_split_name (const char *name, char **out_folder, char **out_leaf)
{
  const char *slash = name != NULL ? strrchr (name, '/') : NULL;

  if (out_folder != NULL)
    *out_folder = slash != NULL ? g_strndup (name, slash - name) : NULL;
  if (out_leaf != NULL)
    *out_leaf = g_strdup (slash != NULL ? slash + 1 : name);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/**
 * confab_prompt_library_labels_of_version:
 * @labels: (element-type ConfabPromptLabel): a prompt's labels
 *
 * Returns: (transfer full): the label names
 */
char **
confab_prompt_library_labels_of_version (GPtrArray *labels, int version, gboolean is_latest)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; labels != NULL && i < labels->len; i++)
    {
      ConfabPromptLabel *label = g_ptr_array_index (labels, i);

      if (confab_prompt_label_get_version (label) == version)
        g_ptr_array_add (names, (gpointer) confab_prompt_label_get_name (label));
    }
  g_ptr_array_sort (names, compare_strings);

  if (is_latest)
    g_strv_builder_add (builder, CONFAB_PROMPT_LABEL_LATEST);
  for (guint i = 0; i < names->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (names, i));
  return g_strv_builder_end (builder);
}
