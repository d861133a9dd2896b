#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-prompt.h"
#include "confab-prompt-label.h"
#include "confab-repository.h"
#include "confab-util.h"

struct _ConfabPromptLabel
{
  GObject  parent_instance;

  char    *prompt_id;
  char    *name;
  char    *version_id;
  int      version;
  char    *updated_at;
};

G_DEFINE_FINAL_TYPE (ConfabPromptLabel, confab_prompt_label, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROMPT_ID,
  PROP_NAME,
  PROP_VERSION_ID,
  PROP_VERSION,
  PROP_UPDATED_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
confab_prompt_label_finalize (GObject *object)
{
  ConfabPromptLabel *self = CONFAB_PROMPT_LABEL (object);

  g_clear_pointer (&self->prompt_id, g_free);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->version_id, g_free);
  g_clear_pointer (&self->updated_at, g_free);

  G_OBJECT_CLASS (confab_prompt_label_parent_class)->finalize (object);
}

static void
confab_prompt_label_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabPromptLabel *self = CONFAB_PROMPT_LABEL (object);

  switch (prop_id)
    {
    case PROP_PROMPT_ID:
      g_value_set_string (value, self->prompt_id);
      break;
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_VERSION_ID:
      g_value_set_string (value, self->version_id);
      break;
    case PROP_VERSION:
      g_value_set_int (value, self->version);
      break;
    case PROP_UPDATED_AT:
      g_value_set_string (value, self->updated_at);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_string (ConfabPromptLabel  *self,
            char              **field,
            const char         *value,
            guint               prop_id)
{
  /* g_set_str() is GLib 2.76. */
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
confab_prompt_label_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ConfabPromptLabel *self = CONFAB_PROMPT_LABEL (object);

  switch (prop_id)
    {
    case PROP_PROMPT_ID:
      set_string (self, &self->prompt_id, g_value_get_string (value), prop_id);
      break;
    case PROP_NAME:
      set_string (self, &self->name, g_value_get_string (value), prop_id);
      break;
    case PROP_VERSION_ID:
      set_string (self, &self->version_id, g_value_get_string (value), prop_id);
      break;
    case PROP_VERSION:
      if (self->version != g_value_get_int (value))
        {
          self->version = g_value_get_int (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_UPDATED_AT:
      set_string (self, &self->updated_at, g_value_get_string (value), prop_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_prompt_label_class_init (ConfabPromptLabelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = confab_prompt_label_finalize;
  object_class->get_property = confab_prompt_label_get_property;
  object_class->set_property = confab_prompt_label_set_property;

  properties[PROP_PROMPT_ID] =
    g_param_spec_string ("prompt-id", N_("prompt"), NULL, NULL, flags);
  properties[PROP_NAME] =
    g_param_spec_string ("name", N_("label"), NULL, NULL, flags);
  properties[PROP_VERSION_ID] =
    g_param_spec_string ("version-id", N_("prompt version"), NULL, NULL, flags);
  properties[PROP_VERSION] =
    g_param_spec_int ("version", N_("version"), NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_UPDATED_AT] =
    g_param_spec_string ("updated-at", N_("modification time"), NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_prompt_label_init (ConfabPromptLabel *self)
{
}

const char *
confab_prompt_label_get_prompt_id (ConfabPromptLabel *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_LABEL (self), NULL);
  return self->prompt_id;
}

const char *
confab_prompt_label_get_name (ConfabPromptLabel *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_LABEL (self), NULL);
  return self->name;
}

const char *
confab_prompt_label_get_version_id (ConfabPromptLabel *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_LABEL (self), NULL);
  return self->version_id;
}

int
confab_prompt_label_get_version (ConfabPromptLabel *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_LABEL (self), 0);
  return self->version;
}

const char *
confab_prompt_label_get_updated_at (ConfabPromptLabel *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_LABEL (self), NULL);
  return self->updated_at;
}

/* Database side */

static void
set_step_error (ConfabDatabase  *db,
                GError         **error)
{
  confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)), error);
}

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

static gboolean
check_label_name (const char  *label,
                  GError     **error)
{
  if (!confab_check_text (_("label"), label, 1, 64, error))
    return FALSE;
  if (g_ascii_strcasecmp (label, CONFAB_PROMPT_LABEL_LATEST) == 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The label name “%s” is reserved: it always means the newest version"),
                   label);
      return FALSE;
    }
  return TRUE;
}

/* The version number a label points at: > 0, 0 when the label does not
 * exist, -1 on error. */
static int
label_version (ConfabDatabase  *db,
               const char      *prompt_id,
               const char      *label,
               GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  stmt = confab_database_prepare (db,
                                  "SELECT v.version FROM prompt_labels l "
                                  "JOIN prompt_versions v ON v.id = l.version_id "
                                  "WHERE l.prompt_id = ? AND l.name = ?",
                                  error);
  if (stmt == NULL)
    return -1;
  sqlite3_bind_text (stmt, 1, prompt_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, label, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return sqlite3_column_int (stmt, 0);
  if (rc == SQLITE_DONE)
    return 0;
  set_step_error (db, error);
  return -1;
}

static gboolean
audit_label (ConfabDatabase  *db,
             const char      *actor_id,
             const char      *prompt_id,
             const char      *label,
             int              from_version,
             int              to_version,
             GError         **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *details = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "label");
  json_builder_add_string_value (builder, label);
  json_builder_set_member_name (builder, "from_version");
  if (from_version > 0)
    json_builder_add_int_value (builder, from_version);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "to_version");
  if (to_version > 0)
    json_builder_add_int_value (builder, to_version);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  details = json_to_string (root, FALSE);

  return confab_database_audit (db, actor_id, "prompt", prompt_id, "label", details, error);
}

/**
 * confab_prompt_set_label:
 * @label: the label name, 1..64 characters, not "latest"
 * @version_id: the id of a version of this prompt
 * @actor_id: (nullable): the user making the change
 *
 * Creates the label or moves it to @version_id, with an audit row (entity
 * "prompt", action "label", details {"label", "from_version" (null for a
 * new label), "to_version"}). Moving a label to where it already points
 * changes nothing and writes nothing.
 *
 * Errors: CONFAB_ERROR_INVALID for a bad label name or a version of another
 * prompt; CONFAB_ERROR_NOT_FOUND when the prompt or version does not exist.
 */
gboolean
confab_prompt_set_label (ConfabDatabase  *db,
                         const char      *prompt_id,
                         const char      *label,
                         const char      *version_id,
                         const char      *actor_id,
                         GError         **error)
{
  g_autoptr (ConfabPromptVersion) version = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *name = NULL;
  g_autofree char *now = NULL;
  int from_version, to_version;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (prompt_id != NULL, FALSE);

  if (!check_label_name (label, error))
    return FALSE;
  if (version_id == NULL || *version_id == '\0')
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("Choose a version for the label “%s”"), label);
      return FALSE;
    }

  if (!confab_database_begin (db, error))
    return FALSE;

  name = dup_prompt_name (db, prompt_id, error);
  if (name == NULL)
    goto rollback;

  version = confab_repository_get (db, CONFAB_TYPE_PROMPT_VERSION, version_id, error);
  if (version == NULL)
    goto rollback;
  to_version = confab_prompt_version_get_version (version);
  if (g_strcmp0 (confab_prompt_version_get_prompt_id (version), prompt_id) != 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The label “%s” cannot point at “%s”: that version belongs to "
                     "another prompt than “%s”"),
                   label, version_id, name);
      goto rollback;
    }

  from_version = label_version (db, prompt_id, label, error);
  if (from_version < 0)
    goto rollback;
  if (from_version == to_version)
    return confab_database_commit (db, error);

  now = confab_now_iso8601 ();
  stmt = confab_database_prepare (db,
                                  "INSERT INTO prompt_labels "
                                  "(prompt_id, name, version_id, updated_at) VALUES (?, ?, ?, ?) "
                                  "ON CONFLICT (prompt_id, name) DO UPDATE SET "
                                  "version_id = excluded.version_id, "
                                  "updated_at = excluded.updated_at",
                                  error);
  if (stmt == NULL)
    goto rollback;
  sqlite3_bind_text (stmt, 1, prompt_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, label, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, version_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, now, -1, SQLITE_TRANSIENT);
  if (!confab_database_step_done (db, stmt, error))
    goto rollback;

  if (!audit_label (db, actor_id, prompt_id, label, from_version, to_version, error))
    goto rollback;
  confab_database_notify_change (db, "prompt_labels", prompt_id,
                                 from_version > 0 ? "update" : "create");
  return confab_database_commit (db, error);

rollback:
  confab_database_rollback (db);
  return FALSE;
}

/**
 * confab_prompt_remove_label:
 *
 * Deletes the label, with an audit row (action "label", "to_version" null).
 * A label that does not exist is CONFAB_ERROR_NOT_FOUND.
 */
gboolean
confab_prompt_remove_label (ConfabDatabase  *db,
                            const char      *prompt_id,
                            const char      *label,
                            const char      *actor_id,
                            GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *name = NULL;
  int from_version;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (prompt_id != NULL, FALSE);
  g_return_val_if_fail (label != NULL, FALSE);

  if (!confab_database_begin (db, error))
    return FALSE;

  name = dup_prompt_name (db, prompt_id, error);
  if (name == NULL)
    goto rollback;

  from_version = label_version (db, prompt_id, label, error);
  if (from_version < 0)
    goto rollback;
  if (from_version == 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                   _("The prompt “%s” has no label “%s”"), name, label);
      goto rollback;
    }

  stmt = confab_database_prepare (db, "DELETE FROM prompt_labels WHERE prompt_id = ? AND name = ?",
                                  error);
  if (stmt == NULL)
    goto rollback;
  sqlite3_bind_text (stmt, 1, prompt_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, label, -1, SQLITE_TRANSIENT);
  if (!confab_database_step_done (db, stmt, error))
    goto rollback;

  if (!audit_label (db, actor_id, prompt_id, label, from_version, 0, error))
    goto rollback;
  confab_database_notify_change (db, "prompt_labels", prompt_id, "delete");
  return confab_database_commit (db, error);

rollback:
  confab_database_rollback (db);
  return FALSE;
}

/**
 * confab_prompt_list_labels:
 *
 * Returns: (transfer full) (element-type ConfabPromptLabel): the labels of
 *   the prompt by name, or %NULL with CONFAB_ERROR_NOT_FOUND when the prompt
 *   does not exist
 */
GPtrArray *
confab_prompt_list_labels (ConfabDatabase  *db,
                           const char      *prompt_id,
                           GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) labels = NULL;
  g_autofree char *name = NULL;
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (prompt_id != NULL, NULL);

  name = dup_prompt_name (db, prompt_id, error);
  if (name == NULL)
    return NULL;

  stmt = confab_database_prepare (db,
                                  "SELECT l.prompt_id, l.name, l.version_id, v.version, "
                                  "l.updated_at FROM prompt_labels l "
                                  "JOIN prompt_versions v ON v.id = l.version_id "
                                  "WHERE l.prompt_id = ? ORDER BY l.name",
                                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, prompt_id, -1, SQLITE_TRANSIENT);

  labels = g_ptr_array_new_with_free_func (g_object_unref);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (labels,
                     g_object_new (CONFAB_TYPE_PROMPT_LABEL,
                                   "prompt-id", (const char *) sqlite3_column_text (stmt, 0),
                                   "name", (const char *) sqlite3_column_text (stmt, 1),
                                   "version-id", (const char *) sqlite3_column_text (stmt, 2),
                                   "version", sqlite3_column_int (stmt, 3),
                                   "updated-at", (const char *) sqlite3_column_text (stmt, 4),
                                   NULL));
  if (rc != SQLITE_DONE)
    {
      set_step_error (db, error);
      return NULL;
    }
  return g_steal_pointer (&labels);
}

/**
 * confab_prompt_resolve:
 * @label: (nullable): a label name; %NULL, "" or "latest" mean the newest version
 * @version: a version number; when > 0 it wins over @label
 *
 * Finds the version an agent should use.
 *
 * Returns: (transfer full): the version, or %NULL with CONFAB_ERROR_NOT_FOUND
 *   when the prompt, the version or the label does not exist
 */
ConfabPromptVersion *
confab_prompt_resolve (ConfabDatabase  *db,
                       const char      *prompt_id,
                       const char      *label,
                       int              version,
                       GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *name = NULL;
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (prompt_id != NULL, NULL);

  if (version > 0)
    return confab_prompt_get_version (db, prompt_id, version, error);
  if (label == NULL || *label == '\0' || strcmp (label, CONFAB_PROMPT_LABEL_LATEST) == 0)
    return confab_prompt_get_latest_version (db, prompt_id, error);

  stmt = confab_database_prepare (db,
                                  "SELECT v.* FROM prompt_labels l "
                                  "JOIN prompt_versions v ON v.id = l.version_id "
                                  "WHERE l.prompt_id = ? AND l.name = ?",
                                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, prompt_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, label, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return CONFAB_PROMPT_VERSION (confab_entity_new_from_stmt (CONFAB_TYPE_PROMPT_VERSION, stmt));
  if (rc != SQLITE_DONE)
    {
      set_step_error (db, error);
      return NULL;
    }

  name = dup_prompt_name (db, prompt_id, error);
  if (name != NULL)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _("The prompt “%s” has no label “%s”"), name, label);
  return NULL;
}
