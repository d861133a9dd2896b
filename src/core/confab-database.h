#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* "Conf" as a big-endian integer: written to PRAGMA application_id so a
 * Confab workspace is told apart from any other SQLite file. */
#define CONFAB_APPLICATION_ID 0x436f6e66

/* The error text a reply interrupted by a crash is left with (see
 * "Crash recovery" below). It is stored as is, in English, so it stays
 * stable whatever the language: a view compares the message's error with
 * it and shows its own translated sentence instead. */
#define CONFAB_DATABASE_INTERRUPTED_ERROR \
  "Interrupted: Confab stopped before the reply was complete"

/* Statements come from a per-connection cache; g_autoptr resets them so a
 * finished query never holds a read transaction open. */
typedef sqlite3_stmt ConfabStmt;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabStmt, sqlite3_reset)

/**
 * ConfabDatabaseOpenFlags:
 * @CONFAB_DATABASE_OPEN_DEFAULT: open for reading and writing, creating the
 *   file when it does not exist, and refuse a file that cannot be written
 * @CONFAB_DATABASE_OPEN_READ_ONLY: open an existing workspace for reading
 *   only; nothing is ever written to it (no migration, no recovery)
 * @CONFAB_DATABASE_OPEN_READ_ONLY_FALLBACK: open for writing, but when the
 *   file or its folder cannot be written, open it read-only instead of
 *   failing (the GUI uses this and shows that changes cannot be saved)
 */
typedef enum
{
  CONFAB_DATABASE_OPEN_DEFAULT            = 0,
  CONFAB_DATABASE_OPEN_READ_ONLY          = 1 << 0,
  CONFAB_DATABASE_OPEN_READ_ONLY_FALLBACK = 1 << 1,
} ConfabDatabaseOpenFlags;

#define CONFAB_TYPE_DATABASE (confab_database_get_type ())

G_DECLARE_FINAL_TYPE (ConfabDatabase, confab_database, CONFAB, DATABASE, GObject)

/* Opening a workspace
 *
 * confab_database_open() checks the file header and PRAGMA application_id
 * before writing anything, refuses (leaving the file untouched) a file that
 * is not a Confab workspace, is damaged, read-only, locked, or was written
 * by a newer version, then sets WAL, foreign_keys=ON and busy_timeout.
 *
 * Migrations. The pending migrations (data/sql/NNNN-*.sql) run together in
 * one transaction: if any fails, all of them roll back and the file stays
 * at its old version with every row. Before an existing workspace is
 * migrated, a copy of it is made with SQLite's online backup API next to
 * it, as PATH.vN.bak (N is the version it had, e.g. "work.confab.v3.bak");
 * a workspace that cannot be copied is not migrated.
 *
 * Read-only. With CONFAB_DATABASE_OPEN_READ_ONLY (or the fallback flag on a
 * file that cannot be written) every read works and every write fails with
 * CONFAB_ERROR_READ_ONLY; #ConfabDatabase:read-only says which it is. A
 * read-only workspace of an older schema cannot be upgraded, so it is
 * refused.
 *
 * Crash recovery. A reply is saved as a `streaming` message while it
 * arrives. If the process writing it dies, the row would stay `streaming`
 * forever; opening a workspace for writing therefore turns every
 * `streaming` message that no live process is still writing into
 * status `error` with the error CONFAB_DATABASE_INTERRUPTED_ERROR (its text
 * so far kept). Whose a streaming row is: each connection opened for
 * writing opens the sidecar file PATH.lock and, for every message it
 * inserts or updates as `streaming` (temporary triggers on its own
 * connection see those writes), holds an open-file-description lock
 * (F_OFD_SETLK) on one byte of that file, chosen by the message id. The
 * kernel drops the locks when the process dies, however it dies. At open
 * (and, in a program that stays open, once a second while ::changed has
 * handlers), a `streaming` row whose byte nobody holds is an orphan and is
 * recovered;
 * one whose byte is held belongs to a live writer (the GUI and confab-cli,
 * or two CLIs, may share a workspace) and is left alone. The lock is
 * released when the message stops streaming and that change is committed.
 * Rows written by a Confab that did not lock (older versions) count as
 * orphans. Nothing is added to the schema. PATH.lock stays beside the
 * workspace; it holds no data.
 *
 * Two processes. Writes take the write lock up front (BEGIN IMMEDIATE) and
 * wait up to the busy timeout for another writer; a busy result that SQLite
 * returns without waiting is retried until that same timeout. Another
 * connection's commits are noticed by polling PRAGMA data_version once a
 * second (while ::changed has handlers, on the main context of the thread
 * that opened the workspace), and announced as ::changed for every table
 * with a %NULL id.
 *
 * Backup and restore. confab_database_backup_async() copies the workspace
 * with the online backup API from a read snapshot on its own connection in
 * a worker thread, so the copy is consistent while this or another process
 * writes; the file appears only once complete. confab_database_restore()
 * checks that a file is a Confab workspace, migrates a copy of it if it is
 * older, keeps a copy of the current contents, then copies the backup into
 * the open workspace in one transaction. Other processes see the restored
 * rows at their next read; lists in this process refresh through ::changed,
 * but objects read before (an agent shown in a page) are stale, so a GUI
 * simply reopens the workspace.
 */

ConfabDatabase *confab_database_open                 (const char      *path,
                                                      GError         **error);
ConfabDatabase *confab_database_open_full            (const char      *path,
                                                      guint            busy_timeout_ms,
                                                      GError         **error);
ConfabDatabase *confab_database_open_with_flags      (const char      *path,
                                                      ConfabDatabaseOpenFlags flags,
                                                      GError         **error);
const char     *confab_database_get_path             (ConfabDatabase  *self);
gboolean        confab_database_is_read_only         (ConfabDatabase  *self);
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

/* Reliability */
gint            confab_database_recover_interrupted  (ConfabDatabase  *self,
                                                      GError         **error);
gboolean        confab_database_check_for_changes    (ConfabDatabase  *self);

gboolean        confab_database_validate_file        (const char      *path,
                                                      guint           *schema_version,
                                                      GError         **error);
gboolean        confab_database_backup               (ConfabDatabase  *self,
                                                      const char      *destination,
                                                      GCancellable    *cancellable,
                                                      GError         **error);
void            confab_database_backup_async         (ConfabDatabase  *self,
                                                      const char      *destination,
                                                      GCancellable    *cancellable,
                                                      GAsyncReadyCallback callback,
                                                      gpointer         user_data);
gboolean        confab_database_backup_finish        (ConfabDatabase  *self,
                                                      GAsyncResult    *result,
                                                      GError         **error);
gboolean        confab_database_restore              (ConfabDatabase  *self,
                                                      const char      *backup_path,
                                                      char           **copy_path,
                                                      GCancellable    *cancellable,
                                                      GError         **error);

/* Tests only: SQL run after the last pending migration, in the same
 * transaction (NULL to stop), so a test can make a migration fail. */
void            confab_database_set_test_migration   (const char      *sql);

G_END_DECLS
