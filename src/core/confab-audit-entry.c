#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "confab-audit-entry.h"

struct _ConfabAuditEntry
{
  GObject  parent_instance;

  gint64   id;
  char    *at;
  char    *actor_id;
  char    *entity;
  char    *entity_id;
  char    *action;
  char    *details;
};

G_DEFINE_FINAL_TYPE (ConfabAuditEntry, confab_audit_entry, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_AT,
  PROP_ACTOR_ID,
  PROP_ENTITY,
  PROP_ENTITY_ID,
  PROP_ACTION,
  PROP_DETAILS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
confab_audit_entry_finalize (GObject *object)
{
  ConfabAuditEntry *self = CONFAB_AUDIT_ENTRY (object);

  g_clear_pointer (&self->at, g_free);
  g_clear_pointer (&self->actor_id, g_free);
  g_clear_pointer (&self->entity, g_free);
  g_clear_pointer (&self->entity_id, g_free);
  g_clear_pointer (&self->action, g_free);
  g_clear_pointer (&self->details, g_free);

  G_OBJECT_CLASS (confab_audit_entry_parent_class)->finalize (object);
}

static void
confab_audit_entry_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ConfabAuditEntry *self = CONFAB_AUDIT_ENTRY (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_AT:
      g_value_set_string (value, self->at);
      break;
    case PROP_ACTOR_ID:
      g_value_set_string (value, self->actor_id);
      break;
    case PROP_ENTITY:
      g_value_set_string (value, self->entity);
      break;
    case PROP_ENTITY_ID:
      g_value_set_string (value, self->entity_id);
      break;
    case PROP_ACTION:
      g_value_set_string (value, self->action);
      break;
    case PROP_DETAILS:
      g_value_set_string (value, self->details);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_audit_entry_class_init (ConfabAuditEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;

  object_class->finalize = confab_audit_entry_finalize;
  object_class->get_property = confab_audit_entry_get_property;

  properties[PROP_ID] =
    g_param_spec_int64 ("id", N_("identifier"), NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_AT] =
    g_param_spec_string ("at", N_("time"), NULL, NULL, flags);
  properties[PROP_ACTOR_ID] =
    g_param_spec_string ("actor-id", N_("actor"), NULL, NULL, flags);
  properties[PROP_ENTITY] =
    g_param_spec_string ("entity", N_("kind of record"), NULL, NULL, flags);
  properties[PROP_ENTITY_ID] =
    g_param_spec_string ("entity-id", N_("record"), NULL, NULL, flags);
  properties[PROP_ACTION] =
    g_param_spec_string ("action", N_("action"), NULL, NULL, flags);
  properties[PROP_DETAILS] =
    g_param_spec_string ("details", N_("details"), NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_audit_entry_init (ConfabAuditEntry *self)
{
}

gint64
confab_audit_entry_get_id (ConfabAuditEntry *self)
{
  g_return_val_if_fail (CONFAB_IS_AUDIT_ENTRY (self), 0);
  return self->id;
}

const char *
confab_audit_entry_get_at (ConfabAuditEntry *self)
{
  g_return_val_if_fail (CONFAB_IS_AUDIT_ENTRY (self), NULL);
  return self->at;
}

const char *
confab_audit_entry_get_actor_id (ConfabAuditEntry *self)
{
  g_return_val_if_fail (CONFAB_IS_AUDIT_ENTRY (self), NULL);
  return self->actor_id;
}

const char *
confab_audit_entry_get_entity (ConfabAuditEntry *self)
{
  g_return_val_if_fail (CONFAB_IS_AUDIT_ENTRY (self), NULL);
  return self->entity;
}

const char *
confab_audit_entry_get_entity_id (ConfabAuditEntry *self)
{
  g_return_val_if_fail (CONFAB_IS_AUDIT_ENTRY (self), NULL);
  return self->entity_id;
}

const char *
confab_audit_entry_get_action (ConfabAuditEntry *self)
{
  g_return_val_if_fail (CONFAB_IS_AUDIT_ENTRY (self), NULL);
  return self->action;
}

/**
 * confab_audit_entry_get_details:
 *
 * Returns: the details as JSON text: {"fields": ...} for create and delete,
 *   {"changed": {column: {"from", "to"}}} for update, action-specific
 *   members otherwise
 */
const char *
confab_audit_entry_get_details (ConfabAuditEntry *self)
{
  g_return_val_if_fail (CONFAB_IS_AUDIT_ENTRY (self), NULL);
  return self->details;
}

static ConfabAuditEntry *
entry_new_from_stmt (sqlite3_stmt *stmt)
{
  ConfabAuditEntry *self = g_object_new (CONFAB_TYPE_AUDIT_ENTRY, NULL);

  self->id = sqlite3_column_int64 (stmt, 0);
  self->at = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  self->actor_id = g_strdup ((const char *) sqlite3_column_text (stmt, 2));
  self->entity = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
  self->entity_id = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
  self->action = g_strdup ((const char *) sqlite3_column_text (stmt, 5));
  self->details = g_strdup ((const char *) sqlite3_column_text (stmt, 6));
  return self;
}

/**
 * confab_audit_list:
 * @entity: (nullable): only rows about this kind of record ("user", "prompt")
 * @entity_id: (nullable): only rows about this record
 * @limit: the most rows to return, 0 for all
 *
 * Returns: (transfer full) (element-type ConfabAuditEntry): the matching
 *   rows, newest first, or %NULL on error
 */
GPtrArray *
confab_audit_list (ConfabDatabase  *db,
                   const char      *entity,
                   const char      *entity_id,
                   guint            limit,
                   GError         **error)
{
  g_autoptr (GString) sql = g_string_new ("SELECT id, at, actor_id, entity, entity_id, "
                                          "action, details FROM audit_log");
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  int index = 1;
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);

  /* One statement per filter combination, so each uses the (entity,
   * entity_id) index and stays in the statement cache. */
  if (entity != NULL)
    g_string_append (sql, " WHERE entity = ?");
  if (entity_id != NULL)
    g_string_append (sql, entity != NULL ? " AND entity_id = ?" : " WHERE entity_id = ?");
  /* The id grows with every row: newest first even within one millisecond. */
  g_string_append (sql, " ORDER BY id DESC LIMIT ?");

  stmt = confab_database_prepare (db, sql->str, error);
  if (stmt == NULL)
    return NULL;
  if (entity != NULL)
    sqlite3_bind_text (stmt, index++, entity, -1, SQLITE_TRANSIENT);
  if (entity_id != NULL)
    sqlite3_bind_text (stmt, index++, entity_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, index, limit > 0 ? (gint64) limit : -1);

  entries = g_ptr_array_new_with_free_func (g_object_unref);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (entries, entry_new_from_stmt (stmt));
  if (rc != SQLITE_DONE)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)),
                                 error);
      return NULL;
    }
  return g_steal_pointer (&entries);
}
