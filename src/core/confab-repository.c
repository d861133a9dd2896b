#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-entity-list.h"
#include "confab-error.h"
#include "confab-repository.h"
#include "confab-util.h"

static gboolean
is_bookkeeping (GParamSpec *pspec)
{
  return strcmp (pspec->name, "id") == 0 ||
         strcmp (pspec->name, "created-at") == 0 ||
         strcmp (pspec->name, "updated-at") == 0;
}

static GParamSpec *
lookup_column (ConfabEntityClass *klass,
               const char        *column)
{
  guint n;
  GParamSpec **pspecs = confab_entity_class_list_columns (klass, &n);

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = confab_entity_column_name (pspecs[i]);

      if (strcmp (name, column) == 0)
        return pspecs[i];
    }
  return NULL;
}

static void
add_json_value (JsonBuilder  *builder,
                ConfabEntity *entity,
                GParamSpec   *pspec)
{
  const GValue *v = confab_entity_peek_value (entity, pspec);

  if ((pspec->flags & CONFAB_PARAM_NO_AUDIT) != 0)
    {
      const char *s = G_VALUE_HOLDS_STRING (v) ? g_value_get_string (v) : NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "length");
      json_builder_add_int_value (builder, s ? g_utf8_strlen (s, -1) : 0);
      json_builder_end_object (builder);
      return;
    }

  switch (G_VALUE_TYPE (v))
    {
    case G_TYPE_STRING:
      if (g_value_get_string (v) == NULL)
        json_builder_add_null_value (builder);
      else
        json_builder_add_string_value (builder, g_value_get_string (v));
      break;
    case G_TYPE_INT:
      json_builder_add_int_value (builder, g_value_get_int (v));
      break;
    case G_TYPE_INT64:
      json_builder_add_int_value (builder, g_value_get_int64 (v));
      break;
    case G_TYPE_BOOLEAN:
      json_builder_add_boolean_value (builder, g_value_get_boolean (v));
      break;
    case G_TYPE_DOUBLE:
      json_builder_add_double_value (builder, g_value_get_double (v));
      break;
    default:
      json_builder_add_null_value (builder);
    }
}

static char *
builder_to_string (JsonBuilder *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);

  return json_to_string (root, FALSE);
}

static char *
snapshot_details (ConfabEntity *entity)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  guint n;
  GParamSpec **pspecs = confab_entity_class_list_columns (CONFAB_ENTITY_GET_CLASS (entity), &n);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "fields");
  json_builder_begin_object (builder);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *column = NULL;

      if (is_bookkeeping (pspecs[i]))
        continue;
      column = confab_entity_column_name (pspecs[i]);
      json_builder_set_member_name (builder, column);
      add_json_value (builder, entity, pspecs[i]);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  return builder_to_string (builder);
}

static gboolean
check_strings (ConfabEntity  *entity,
               GError       **error)
{
  guint n;
  GParamSpec **pspecs = confab_entity_class_list_columns (CONFAB_ENTITY_GET_CLASS (entity), &n);

  for (guint i = 0; i < n; i++)
    {
      const GValue *v = confab_entity_peek_value (entity, pspecs[i]);
      const char *s;

      if (!G_VALUE_HOLDS_STRING (v) || (s = g_value_get_string (v)) == NULL)
        continue;
      if (!g_utf8_validate (s, -1, NULL))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("The %s is not valid UTF-8 text"),
                       confab_entity_field_label (pspecs[i]));
          return FALSE;
        }
    }
  return TRUE;
}

/* Turns a constraint failure into a message that names the field and value. */
static void
set_write_error (ConfabDatabase  *db,
                 ConfabEntity    *entity,
                 GError         **error)
{
  sqlite3 *handle = confab_database_get_handle (db);
  int rc = sqlite3_extended_errcode (handle);
  const char *msg = sqlite3_errmsg (handle);
  ConfabEntityClass *klass = CONFAB_ENTITY_GET_CLASS (entity);

  if (rc == SQLITE_CONSTRAINT_UNIQUE && g_str_has_prefix (msg, "UNIQUE constraint failed: "))
    {
      const char *dot = strchr (msg, '.');
      g_autofree char *column = g_strndup (dot ? dot + 1 : "", strcspn (dot ? dot + 1 : "", ", "));
      GParamSpec *pspec = lookup_column (klass, column);

      if (pspec != NULL && G_PARAM_SPEC_VALUE_TYPE (pspec) == G_TYPE_STRING)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                       _("The %s “%s” is already in use by another %s"),
                       confab_entity_field_label (pspec),
                       confab_entity_get_string (entity, pspec),
                       _(klass->label));
          return;
        }
    }
  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("This %s refers to a record that does not exist"), _(klass->label));
      return;
    }
  if (rc == SQLITE_CONSTRAINT_CHECK || rc == SQLITE_CONSTRAINT_NOTNULL)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("This %s has a value the workspace does not accept (%s)"),
                   _(klass->label), msg);
      return;
    }
  confab_database_set_error (db, rc, error);
}

static gboolean
run_validate (ConfabEntity    *entity,
              ConfabDatabase  *db,
              GError         **error)
{
  ConfabEntityClass *klass = CONFAB_ENTITY_GET_CLASS (entity);

  if (!check_strings (entity, error))
    return FALSE;
  return klass->validate == NULL || klass->validate (entity, db, error);
}

static gboolean
insert_row (ConfabDatabase  *db,
            ConfabEntity    *entity,
            GError         **error)
{
  ConfabEntityClass *klass = CONFAB_ENTITY_GET_CLASS (entity);
  g_autoptr (GString) sql = g_string_new ("INSERT INTO ");
  g_autoptr (ConfabStmt) stmt = NULL;
  guint n;
  GParamSpec **pspecs = confab_entity_class_list_columns (klass, &n);

  g_string_append_printf (sql, "%s (", klass->table);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *column = confab_entity_column_name (pspecs[i]);
      g_string_append_printf (sql, "%s%s", i ? ", " : "", column);
    }
  g_string_append (sql, ") VALUES (");
  for (guint i = 0; i < n; i++)
    g_string_append (sql, i ? ", ?" : "?");
  g_string_append (sql, ")");

  stmt = confab_database_prepare (db, sql->str, error);
  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < n; i++)
    confab_entity_bind (entity, pspecs[i], stmt, i + 1);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_write_error (db, entity, error);
      return FALSE;
    }
  return TRUE;
}

gboolean
confab_repository_create (ConfabDatabase  *db,
                          ConfabEntity    *entity,
                          const char      *actor_id,
                          GError         **error)
{
  ConfabEntityClass *klass;
  g_autofree char *now = NULL;
  g_autofree char *details = NULL;
  gboolean assigned_id = FALSE;
  const char *id;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (CONFAB_IS_ENTITY (entity), FALSE);

  klass = CONFAB_ENTITY_GET_CLASS (entity);
  id = confab_entity_get_id (entity);
  if (id == NULL || *id == '\0')
    {
      g_autofree char *new_id = confab_new_id ();
      g_object_set (entity, "id", new_id, NULL);
      assigned_id = TRUE;
    }
  now = confab_now_iso8601 ();
  g_object_set (entity, "created-at", now, "updated-at", now, NULL);

  if (!confab_database_begin (db, error))
    goto fail;

  if ((klass->before_insert != NULL && !klass->before_insert (entity, db, error)) ||
      !run_validate (entity, db, error) ||
      !insert_row (db, entity, error) ||
      (klass->after_insert != NULL && !klass->after_insert (entity, db, error)))
    goto rollback;

  details = snapshot_details (entity);
  if (!confab_database_audit (db, actor_id, klass->entity_name,
                              confab_entity_get_id (entity), "create", details, error))
    goto rollback;

  confab_database_notify_change (db, klass->table, confab_entity_get_id (entity), "create");
  if (!confab_database_commit (db, error))
    goto fail;
  confab_entity_clear_dirty (entity);
  return TRUE;

rollback:
  confab_database_rollback (db);
fail:
  if (assigned_id)
    g_object_set (entity, "id", NULL, NULL);
  return FALSE;
}

static ConfabStmt *
prepare_select (ConfabDatabase  *db,
                GType            type,
                const char      *column,
                const char      *value,
                const char      *select,
                GError         **error)
{
  g_autoptr (GTypeClass) klass = g_type_class_ref (type);
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  g_autofree char *sql = NULL;
  ConfabStmt *stmt;

  if (column != NULL && lookup_column (entity_class, column) == NULL)
    {
      g_critical ("%s has no column %s", entity_class->table, column);
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED, "No column %s", column);
      return NULL;
    }

  if (column == NULL)
    sql = g_strdup_printf ("SELECT %s FROM %s%s%s", select, entity_class->table,
                           strcmp (select, "*") == 0 ? " ORDER BY " : "",
                           strcmp (select, "*") == 0 ? entity_class->default_order : "");
  else if (value == NULL)
    sql = g_strdup_printf ("SELECT %s FROM %s WHERE %s IS NULL%s%s", select, entity_class->table,
                           column,
                           strcmp (select, "*") == 0 ? " ORDER BY " : "",
                           strcmp (select, "*") == 0 ? entity_class->default_order : "");
  else
    sql = g_strdup_printf ("SELECT %s FROM %s WHERE %s = ?%s%s", select, entity_class->table,
                           column,
                           strcmp (select, "*") == 0 ? " ORDER BY " : "",
                           strcmp (select, "*") == 0 ? entity_class->default_order : "");

  stmt = confab_database_prepare (db, sql, error);
  if (stmt != NULL && column != NULL && value != NULL)
    sqlite3_bind_text (stmt, 1, value, -1, SQLITE_TRANSIENT);
  return stmt;
}

GPtrArray *
confab_repository_list (ConfabDatabase  *db,
                        GType            type,
                        const char      *column,
                        const char      *value,
                        GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) items = NULL;
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (g_type_is_a (type, CONFAB_TYPE_ENTITY), NULL);

  stmt = prepare_select (db, type, column, value, "*", error);
  if (stmt == NULL)
    return NULL;

  items = g_ptr_array_new_with_free_func (g_object_unref);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (items, confab_entity_new_from_stmt (type, stmt));
  if (rc != SQLITE_DONE)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)), error);
      return NULL;
    }
  return g_steal_pointer (&items);
}

gpointer
confab_repository_find (ConfabDatabase  *db,
                        GType            type,
                        const char      *column,
                        const char      *value,
                        GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (column != NULL, NULL);

  stmt = prepare_select (db, type, column, value, "*", error);
  if (stmt == NULL)
    return NULL;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return confab_entity_new_from_stmt (type, stmt);
  if (rc != SQLITE_DONE)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)), error);
      return NULL;
    }
  {
    g_autoptr (GTypeClass) klass = g_type_class_ref (type);

    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _("No %s with the %s “%s” exists in this workspace"),
                 _(CONFAB_ENTITY_CLASS (klass)->label),
                 confab_entity_field_label (lookup_column (CONFAB_ENTITY_CLASS (klass), column)),
                 value ? value : "");
  }
  return NULL;
}

gpointer
confab_repository_get (ConfabDatabase  *db,
                       GType            type,
                       const char      *id,
                       GError         **error)
{
  return confab_repository_find (db, type, "id", id, error);
}

gint64
confab_repository_count (ConfabDatabase  *db,
                         GType            type,
                         const char      *column,
                         const char      *value,
                         GError         **error)
{
  g_autoptr (ConfabStmt) stmt = prepare_select (db, type, column, value, "count(*)", error);

  if (stmt == NULL)
    return -1;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)), error);
      return -1;
    }
  return sqlite3_column_int64 (stmt, 0);
}

gboolean
confab_repository_exists (ConfabDatabase  *db,
                          const char      *table,
                          const char      *column,
                          const char      *value,
                          const char      *except_id,
                          GError         **error)
{
  g_autofree char *sql = g_strdup_printf ("SELECT EXISTS (SELECT 1 FROM %s WHERE %s = ? AND id IS NOT ?)",
                                          table, column);
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, value, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, except_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)), error);
      return FALSE;
    }
  return sqlite3_column_int (stmt, 0) != 0;
}

/* A reference column of @entity: empty means "none" (refused when
 * @required); set, it must name a row of @table. INVALID names the field. */
gboolean
confab_repository_check_reference (ConfabDatabase  *db,
                                   ConfabEntity    *entity,
                                   GParamSpec      *pspec,
                                   const char      *table,
                                   gboolean         required,
                                   GError         **error)
{
  const char *value = confab_entity_get_string (entity, pspec);
  g_autoptr (GError) local_error = NULL;

  if (value == NULL || *value == '\0')
    {
      if (!required)
        return TRUE;
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("A %s needs a %s"), _(CONFAB_ENTITY_GET_CLASS (entity)->label),
                   confab_entity_field_label (pspec));
      return FALSE;
    }
  if (confab_repository_exists (db, table, "id", value, NULL, &local_error))
    return TRUE;
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                 _("The %s “%s” does not exist in this workspace"),
                 confab_entity_field_label (pspec), value);
  return FALSE;
}

/* The row an operation works on (a team whose members change, an agent
 * linked to a knowledge base) must exist: NOT_FOUND names it. */
gboolean
confab_repository_require_row (ConfabDatabase  *db,
                               const char      *table,
                               const char      *label,
                               const char      *id,
                               GError         **error)
{
  g_autoptr (GError) local_error = NULL;

  if (id != NULL && confab_repository_exists (db, table, "id", id, NULL, &local_error))
    return TRUE;
  if (local_error != NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _("No %s with the identifier “%s” exists in this workspace"),
                 label, id ? id : "");
  return FALSE;
}

gboolean
confab_repository_update (ConfabDatabase  *db,
                          ConfabEntity    *entity,
                          const char      *actor_id,
                          GError         **error)
{
  ConfabEntityClass *klass;
  g_autoptr (ConfabEntity) stored = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (GString) sql = NULL;
  g_autoptr (GPtrArray) changed = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *details = NULL;
  g_autofree char *now = NULL;
  GParamSpec **pspecs;
  guint n;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (CONFAB_IS_ENTITY (entity), FALSE);

  klass = CONFAB_ENTITY_GET_CLASS (entity);
  if (!confab_database_begin (db, error))
    return FALSE;

  stored = confab_repository_get (db, G_OBJECT_TYPE (entity), confab_entity_get_id (entity), error);
  if (stored == NULL)
    goto rollback;

  pspecs = confab_entity_class_list_columns (klass, &n);
  changed = g_ptr_array_new ();
  for (guint i = 0; i < n; i++)
    if (!is_bookkeeping (pspecs[i]) && confab_entity_is_dirty (entity, pspecs[i]) &&
        !confab_entity_column_equal (entity, stored, pspecs[i]))
      g_ptr_array_add (changed, pspecs[i]);

  if (changed->len == 0)
    {
      confab_entity_clear_dirty (entity);
      return confab_database_commit (db, error);
    }

  if (!run_validate (entity, db, error))
    goto rollback;

  now = confab_now_iso8601 ();
  g_object_set (entity, "updated-at", now, NULL);

  sql = g_string_new (NULL);
  g_string_append_printf (sql, "UPDATE %s SET ", klass->table);
  for (guint i = 0; i < changed->len; i++)
    {
      g_autofree char *column = confab_entity_column_name (g_ptr_array_index (changed, i));
      g_string_append_printf (sql, "%s = ?, ", column);
    }
  g_string_append (sql, "updated_at = ? WHERE id = ?");

  stmt = confab_database_prepare (db, sql->str, error);
  if (stmt == NULL)
    goto rollback;
  for (guint i = 0; i < changed->len; i++)
    confab_entity_bind (entity, g_ptr_array_index (changed, i), stmt, i + 1);
  sqlite3_bind_text (stmt, changed->len + 1, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, changed->len + 2, confab_entity_get_id (entity), -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_write_error (db, entity, error);
      goto rollback;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "changed");
  json_builder_begin_object (builder);
  for (guint i = 0; i < changed->len; i++)
    {
      GParamSpec *pspec = g_ptr_array_index (changed, i);
      g_autofree char *column = confab_entity_column_name (pspec);

      json_builder_set_member_name (builder, column);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "from");
      add_json_value (builder, stored, pspec);
      json_builder_set_member_name (builder, "to");
      add_json_value (builder, entity, pspec);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  details = builder_to_string (builder);

  if (!confab_database_audit (db, actor_id, klass->entity_name,
                              confab_entity_get_id (entity), "update", details, error))
    goto rollback;

  confab_database_notify_change (db, klass->table, confab_entity_get_id (entity), "update");
  if (!confab_database_commit (db, error))
    return FALSE;
  /* Columns the caller left alone now read as stored (update_from skips
   * the dirty ones, updated_at included). */
  confab_entity_update_from (entity, stored);
  confab_entity_clear_dirty (entity);
  return TRUE;

rollback:
  confab_database_rollback (db);
  return FALSE;
}

gboolean
confab_repository_delete (ConfabDatabase  *db,
                          GType            type,
                          const char      *id,
                          const char      *actor_id,
                          GError         **error)
{
  g_autoptr (GTypeClass) type_class = g_type_class_ref (type);
  ConfabEntityClass *klass = CONFAB_ENTITY_CLASS (type_class);
  g_autoptr (ConfabEntity) stored = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *details = NULL;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);

  if (!confab_database_begin (db, error))
    return FALSE;

  stored = confab_repository_get (db, type, id, error);
  if (stored == NULL)
    goto rollback;

  sql = g_strdup_printf ("DELETE FROM %s WHERE id = ?", klass->table);
  stmt = confab_database_prepare (db, sql, error);
  if (stmt == NULL)
    goto rollback;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      set_write_error (db, stored, error);
      goto rollback;
    }

  details = snapshot_details (stored);
  if (!confab_database_audit (db, actor_id, klass->entity_name, id, "delete", details, error))
    goto rollback;

  confab_database_notify_change (db, klass->table, id, "delete");
  for (guint i = 0; klass->dependent_tables != NULL && klass->dependent_tables[i] != NULL; i++)
    confab_database_notify_change (db, klass->dependent_tables[i], NULL, "delete");
  return confab_database_commit (db, error);

rollback:
  confab_database_rollback (db);
  return FALSE;
}

GListModel *
confab_repository_list_model (ConfabDatabase *db,
                              GType           type,
                              const char     *column,
                              const char     *value)
{
  return G_LIST_MODEL (confab_entity_list_new (db, type, column, value));
}
