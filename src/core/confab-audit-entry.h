#pragma once

#include <gio/gio.h>

#include "confab-database.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_AUDIT_ENTRY (confab_audit_entry_get_type ())

G_DECLARE_FINAL_TYPE (ConfabAuditEntry, confab_audit_entry, CONFAB, AUDIT_ENTRY, GObject)

/* One row of the workspace's audit trail, read-only. Rows are written by
 * confab_database_audit() in the transaction of the change they record. */

gint64      confab_audit_entry_get_id        (ConfabAuditEntry *self);
const char *confab_audit_entry_get_at        (ConfabAuditEntry *self);
const char *confab_audit_entry_get_actor_id  (ConfabAuditEntry *self);
const char *confab_audit_entry_get_entity    (ConfabAuditEntry *self);
const char *confab_audit_entry_get_entity_id (ConfabAuditEntry *self);
const char *confab_audit_entry_get_action    (ConfabAuditEntry *self);
const char *confab_audit_entry_get_details   (ConfabAuditEntry *self);

GPtrArray  *confab_audit_list                (ConfabDatabase   *db,
                                              const char       *entity,
                                              const char       *entity_id,
                                              guint             limit,
                                              GError          **error);

G_END_DECLS
