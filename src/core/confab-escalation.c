#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-escalation.h"
#include "confab-repository.h"
#include "confab-util.h"

struct _ConfabEscalation
{
  ConfabEntity parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabEscalation, confab_escalation, CONFAB_TYPE_ENTITY)

enum {
  PROP_0,
  PROP_CONVERSATION_ID,
  PROP_SUPPORTER_ID,
  PROP_REASON,
  PROP_STATUS,
  PROP_RESOLVED_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char * const confab_escalation_statuses[] = { "pending", "assigned", "resolved", NULL };

static const char * const supporter_roles[] = { "operator", "admin", NULL };

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

static void
set_step_error (ConfabDatabase  *db,
                GError         **error)
{
  confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)), error);
}

/* resolved_at is stamped when the status becomes "resolved" and cleared when
 * it leaves it, whoever sets the status. */
static void
sync_resolved_at (ConfabEscalation *self)
{
  gboolean resolved = g_strcmp0 (confab_escalation_get_status (self), "resolved") == 0;
  const char *resolved_at = confab_escalation_get_resolved_at (self);

  if (resolved && !is_set (resolved_at))
    {
      g_autofree char *now = confab_now_iso8601 ();
      confab_escalation_set_resolved_at (self, now);
    }
  else if (!resolved && resolved_at != NULL)
    confab_escalation_set_resolved_at (self, NULL);
}

static void
confab_escalation_notify (GObject    *object,
                          GParamSpec *pspec)
{
  if (pspec == properties[PROP_STATUS])
    sync_resolved_at (CONFAB_ESCALATION (object));

  if (G_OBJECT_CLASS (confab_escalation_parent_class)->notify != NULL)
    G_OBJECT_CLASS (confab_escalation_parent_class)->notify (object, pspec);
}

/* The stored value of a text column of the row @id, or NULL when the row
 * does not exist (a create) or the value is NULL. */
static char *
dup_stored_text (ConfabDatabase *db,
                 const char     *sql,
                 const char     *id)
{
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, sql, NULL);

  if (stmt == NULL || id == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

static gboolean
check_supporter (ConfabDatabase  *db,
                 const char      *supporter_id,
                 GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  stmt = confab_database_prepare (db, "SELECT role, username FROM users WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, supporter_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The %s “%s” does not exist"),
                   confab_entity_field_label (properties[PROP_SUPPORTER_ID]), supporter_id);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    {
      set_step_error (db, error);
      return FALSE;
    }
  if (!confab_str_in ((const char *) sqlite3_column_text (stmt, 0), supporter_roles))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The user “%s” cannot take escalations: only operators and admins can"),
                   (const char *) sqlite3_column_text (stmt, 1));
      return FALSE;
    }
  return TRUE;
}

static gboolean
confab_escalation_before_insert (ConfabEntity    *entity,
                                 ConfabDatabase  *db,
                                 GError         **error)
{
  sync_resolved_at (CONFAB_ESCALATION (entity));
  return TRUE;
}

static gboolean
confab_escalation_validate (ConfabEntity    *entity,
                            ConfabDatabase  *db,
                            GError         **error)
{
  ConfabEscalation *self = CONFAB_ESCALATION (entity);
  const char *conversation_id = confab_escalation_get_conversation_id (self);
  const char *supporter_id = confab_escalation_get_supporter_id (self);
  const char *status = confab_escalation_get_status (self);
  g_autofree char *stored = NULL;

  if (!is_set (conversation_id))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("An escalation must name the conversation to hand over"));
      return FALSE;
    }
  if (!confab_repository_exists (db, "conversations", "id", conversation_id, NULL, NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The %s “%s” does not exist"),
                   confab_entity_field_label (properties[PROP_CONVERSATION_ID]), conversation_id);
      return FALSE;
    }
  /* Creating the escalation is what marks its conversation escalated, so an
   * escalation stays with the conversation it was made for. */
  stored = dup_stored_text (db, "SELECT conversation_id FROM escalations WHERE id = ?",
                            confab_entity_get_id (entity));
  if (stored != NULL && strcmp (stored, conversation_id) != 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("An escalation cannot move to another conversation (“%s”); "
                     "escalate that conversation instead"),
                   conversation_id);
      return FALSE;
    }
  if (confab_repository_exists (db, "escalations", "conversation_id", conversation_id,
                                confab_entity_get_id (entity), NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                   _("The conversation “%s” is already escalated"), conversation_id);
      return FALSE;
    }

  if (!confab_check_enum (confab_entity_field_label (properties[PROP_STATUS]),
                          status, confab_escalation_statuses, error) ||
      !confab_check_text (confab_entity_field_label (properties[PROP_REASON]),
                          confab_escalation_get_reason (self), 0, 10000, error))
    return FALSE;

  if (is_set (supporter_id) && !check_supporter (db, supporter_id, error))
    return FALSE;
  if (strcmp (status, "assigned") == 0 && !is_set (supporter_id))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("An assigned escalation needs a supporter"));
      return FALSE;
    }
  if ((strcmp (status, "resolved") == 0) != is_set (confab_escalation_get_resolved_at (self)))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The resolution time of an escalation must be set exactly "
                     "when it is resolved"));
      return FALSE;
    }
  return TRUE;
}

static char *
status_change_details (const char *from,
                       const char *to,
                       const char *escalation_id)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  /* The same shape as confab_repository_update() writes. */
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "changed");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "from");
  json_builder_add_string_value (builder, from);
  json_builder_set_member_name (builder, "to");
  json_builder_add_string_value (builder, to);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  /* The hook has no actor; this links the row to the escalation's own. */
  json_builder_set_member_name (builder, "escalation_id");
  json_builder_add_string_value (builder, escalation_id);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static gboolean
confab_escalation_after_insert (ConfabEntity    *entity,
                                ConfabDatabase  *db,
                                GError         **error)
{
  ConfabEscalation *self = CONFAB_ESCALATION (entity);
  const char *conversation_id = confab_escalation_get_conversation_id (self);
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *old_status = NULL;
  g_autofree char *details = NULL;
  int rc;

  stmt = confab_database_prepare (db, "SELECT status FROM conversations WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      set_step_error (db, error);
      return FALSE;
    }
  old_status = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (g_steal_pointer (&stmt));

  if (g_strcmp0 (old_status, "escalated") == 0)
    return TRUE;

  stmt = confab_database_prepare (db,
                                  "UPDATE conversations SET status = 'escalated', updated_at = ? "
                                  "WHERE id = ?",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, confab_entity_get_created_at (entity), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, conversation_id, -1, SQLITE_TRANSIENT);
  if (!confab_database_step_done (db, stmt, error))
    return FALSE;

  /* The conversation's own trail shows the change, as for any update. */
  details = status_change_details (old_status, "escalated", confab_entity_get_id (entity));
  if (!confab_database_audit (db, NULL, "conversation", conversation_id, "update", details, error))
    return FALSE;
  confab_database_notify_change (db, "conversations", conversation_id, "update");
  return TRUE;
}

static void
confab_escalation_class_init (ConfabEscalationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  object_class->notify = confab_escalation_notify;

  entity_class->table = "escalations";
  entity_class->entity_name = "escalation";
  entity_class->label = N_("escalation");
  /* The queue: open escalations first, oldest first. */
  entity_class->default_order = "status = 'resolved', created_at";
  entity_class->validate = confab_escalation_validate;
  entity_class->before_insert = confab_escalation_before_insert;
  entity_class->after_insert = confab_escalation_after_insert;

  properties[PROP_CONVERSATION_ID] =
    g_param_spec_string ("conversation-id", N_("conversation"), NULL, NULL, flags);
  properties[PROP_SUPPORTER_ID] =
    g_param_spec_string ("supporter-id", N_("supporter"), NULL, NULL, flags);
  properties[PROP_REASON] =
    g_param_spec_string ("reason", N_("reason"), NULL, NULL, flags);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", N_("status"), NULL, "pending", flags);
  properties[PROP_RESOLVED_AT] =
    g_param_spec_string ("resolved-at", N_("resolution time"), NULL, NULL, flags);
  confab_entity_class_install_columns (entity_class, N_PROPS, properties);
}

static void
confab_escalation_init (ConfabEscalation *self)
{
}

ConfabEscalation *
confab_escalation_new (const char *conversation_id,
                       const char *reason)
{
  return g_object_new (CONFAB_TYPE_ESCALATION,
                       "conversation-id", conversation_id,
                       "reason", reason,
                       NULL);
}

CONFAB_DEFINE_STRING_ACCESSORS (confab_escalation, ConfabEscalation, conversation_id,
                                properties[PROP_CONVERSATION_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_escalation, ConfabEscalation, supporter_id,
                                properties[PROP_SUPPORTER_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_escalation, ConfabEscalation, reason,
                                properties[PROP_REASON])
CONFAB_DEFINE_STRING_ACCESSORS (confab_escalation, ConfabEscalation, status,
                                properties[PROP_STATUS])
CONFAB_DEFINE_STRING_ACCESSORS (confab_escalation, ConfabEscalation, resolved_at,
                                properties[PROP_RESOLVED_AT])
