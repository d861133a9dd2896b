#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* "Conf" as a big-endian integer: written to PRAGMA application_id so a
 * Confab workspace is told apart from any other SQLite file. */
#define CONFAB_APPLICATION_ID 0x436f6e66

/* Statements come from a per-connection cache; g_autoptr resets them so a
 * finished query never holds a read transaction open. */
typedef sqlite3_stmt ConfabStmt;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabStmt, sqlite3_reset)

#define CONFAB_TYPE_DATABASE (confab_database_get_type ())

G_DECLARE_FINAL_TYPE (ConfabDatabase, confab_database, CONFAB, DATABASE, GObject)

ConfabDatabase *confab_database_open                 (const char      *path,
                                                      GError         **error);
ConfabDatabase *confab_database_open_full            (const char      *path,
                                                      guint            busy_timeout_ms,
                                                      GError         **error);
const char     *confab_database_get_path             (ConfabDatabase  *self);
guint           confab_database_get_schema_version   (ConfabDatabase  *self);
guint           confab_database_get_latest_schema_version (void);
sqlite3        *confab_database_get_handle           (ConfabDatabase  *self);

ConfabStmt     *confab_database_prepare              (ConfabDatabase  *self,
                                                      const char      *sql,
                                                      GError         **error);
gboolean        confab_database_exec                 (ConfabDatabase  *self,
                                                      const char      *sql,
                                                      GError         **error);
gboolean        confab_database_step_done            (ConfabDatabase  *self,
                                                      ConfabStmt      *stmt,
                                                      GError         **error);
gint64          confab_database_query_int            (ConfabDatabase  *self,
                                                      const char      *sql,
                                                      const char      *text_arg,
                                                      GError         **error);
void            confab_database_set_error            (ConfabDatabase  *self,
                                                      int              rc,
                                                      GError         **error);

gboolean        confab_database_begin                (ConfabDatabase  *self,
                                                      GError         **error);
gboolean        confab_database_commit               (ConfabDatabase  *self,
                                                      GError         **error);
void            confab_database_rollback             (ConfabDatabase  *self);

gboolean        confab_database_audit                (ConfabDatabase  *self,
                                                      const char      *actor_id,
                                                      const char      *entity,
                                                      const char      *entity_id,
                                                      const char      *action,
                                                      const char      *details_json,
                                                      GError         **error);
void            confab_database_notify_change        (ConfabDatabase  *self,
                                                      const char      *table,
                                                      const char      *id,
                                                      const char      *action);

G_END_DECLS
