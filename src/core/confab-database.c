#define G_LOG_DOMAIN "confab-core"

/* F_OFD_SETLK and F_OFD_GETLK */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "confab-core-resources.h"
#include "confab-database.h"
#include "confab-error.h"
#include "confab-util.h"

#define MIGRATIONS_PATH "/io/github/confab/Confab/sql"
#define DEFAULT_BUSY_TIMEOUT_MS 5000
/* How often another connection's commits are looked for. */
#define WATCH_INTERVAL_S 1
/* Pages copied per backup step: small enough to check for cancellation
 * often, large enough to be quick. */
#define BACKUP_STEP_PAGES 256
/* The audit row of a recovered reply, as the repository words an update. */
#define AUDIT_INTERRUPTED                                                        \
  "{\"changed\":{\"status\":{\"from\":\"streaming\",\"to\":\"error\"},"          \
  "\"error\":{\"from\":null,\"to\":\"" CONFAB_DATABASE_INTERRUPTED_ERROR "\"}}," \
  "\"reason\":\"interrupted\"}"

/* Lock bytes of streaming messages are spread over this many offsets of
 * PATH.lock (the file stays empty: locks need no data). */
#define STREAM_LOCK_SPAN (G_GUINT64_CONSTANT (1) << 40)

typedef struct
{
  char *table;
  char *id;
  char *action;
} PendingChange;

struct _ConfabDatabase
{
  GObject     parent_instance;

  char       *path;
  char       *reader_name;  /* how a worker thread opens it: the path or a file: URI */
  int         reader_flags;
  sqlite3    *db;
  GHashTable *statements; /* sql -> sqlite3_stmt */
  guint       schema_version;
  guint       busy_timeout_ms;
  gboolean    read_only;

  guint       tx_depth;
  GArray     *savepoint_marks; /* pending->len at each nested level */
  GPtrArray  *pending;         /* PendingChange, emitted on outer commit */

  /* Crash recovery: see confab-database.h. */
  int         lock_fd;         /* PATH.lock, -1 when read-only */
  GHashTable *streaming;       /* ids of the messages whose byte this connection holds */
  GPtrArray  *stream_locked;   /* ids locked in the transaction under way */
  GPtrArray  *stream_unlocks;  /* ids to release once it commits */

  /* Other connections' commits. */
  GThread    *thread;          /* that opened it, and alone uses it */
  GSource    *watch;
  gint64      data_version;
};

G_DEFINE_FINAL_TYPE (ConfabDatabase, confab_database, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_SCHEMA_VERSION,
  PROP_READ_ONLY,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static char *test_migration_sql;

static void release_stream_locks (ConfabDatabase *self);
static gint recover_interrupted   (ConfabDatabase  *self,
                                   gboolean         wait,
                                   GError         **error);

static void
pending_change_free (gpointer data)
{
  PendingChange *change = data;

  g_free (change->table);
  g_free (change->id);
  g_free (change->action);
  g_free (change);
}

static void
ensure_resources (void)
{
  static gsize once;

  if (g_once_init_enter (&once))
    {
      confab_core_register_resource ();
      g_once_init_leave (&once, 1);
    }
}

static void
confab_database_dispose (GObject *object)
{
  ConfabDatabase *self = (ConfabDatabase *) object;

  if (self->watch != NULL)
    {
      g_source_destroy (self->watch);
      g_clear_pointer (&self->watch, g_source_unref);
    }

  G_OBJECT_CLASS (confab_database_parent_class)->dispose (object);
}

static void
confab_database_finalize (GObject *object)
{
  ConfabDatabase *self = (ConfabDatabase *) object;

  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    {
      sqlite3_close_v2 (self->db);
      self->db = NULL;
    }
  /* Closing the file drops every lock it holds. */
  if (self->lock_fd >= 0)
    close (self->lock_fd);
  g_clear_pointer (&self->streaming, g_hash_table_unref);
  g_clear_pointer (&self->stream_locked, g_ptr_array_unref);
  g_clear_pointer (&self->stream_unlocks, g_ptr_array_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->savepoint_marks, g_array_unref);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->reader_name, g_free);

  G_OBJECT_CLASS (confab_database_parent_class)->finalize (object);
}

static void
confab_database_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  ConfabDatabase *self = CONFAB_DATABASE (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    case PROP_SCHEMA_VERSION:
      g_value_set_uint (value, self->schema_version);
      break;
    case PROP_READ_ONLY:
      g_value_set_boolean (value, self->read_only);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_database_class_init (ConfabDatabaseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_database_dispose;
  object_class->finalize = confab_database_finalize;
  object_class->get_property = confab_database_get_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SCHEMA_VERSION] =
    g_param_spec_uint ("schema-version", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /**
   * ConfabDatabase:read-only:
   *
   * Whether the workspace was opened for reading only: every write fails
   * with %CONFAB_ERROR_READ_ONLY.
   */
  properties[PROP_READ_ONLY] =
    g_param_spec_boolean ("read-only", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ConfabDatabase::changed:
   * @table: the table whose rows changed, also the signal detail
   * @id: (nullable): the row id; %NULL when many rows may have changed
   *   (another program committed, or a restore)
   * @action: "create", "update" or "delete"
   *
   * Emitted after the change is committed, so handlers read committed data.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST | G_SIGNAL_DETAILED, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);
}

static void
confab_database_init (ConfabDatabase *self)
{
  self->statements = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) sqlite3_finalize);
  self->pending = g_ptr_array_new_with_free_func (pending_change_free);
  self->savepoint_marks = g_array_new (FALSE, FALSE, sizeof (guint));
  self->busy_timeout_ms = DEFAULT_BUSY_TIMEOUT_MS;
  self->lock_fd = -1;
  self->streaming = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->stream_locked = g_ptr_array_new_with_free_func (g_free);
  self->stream_unlocks = g_ptr_array_new_with_free_func (g_free);
}

static const char *
display_name (ConfabDatabase *self)
{
  return self->path ? self->path : "";
}

/* Errors */

static void
set_sqlite_error (int          rc,
                  const char  *detail,
                  const char  *path,
                  gboolean     read_only,
                  GError     **error)
{
  g_autofree char *name = g_filename_display_basename (path);

  switch (rc & 0xff)
    {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_LOCKED,
                   _("The workspace “%s” is locked by another program; try again in a moment"),
                   name);
      break;
    case SQLITE_READONLY:
    case SQLITE_PERM:
      if (read_only)
        g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_READ_ONLY,
                     _("The workspace “%s” is open read-only: changes cannot be saved"), name);
      else
        g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_READ_ONLY,
                     _("The workspace “%s” is read-only"), name);
      break;
    case SQLITE_FULL:
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_DISK_FULL,
                   _("The disk holding the workspace “%s” is full: the change was not saved; "
                     "free some space and try again"),
                   name);
      break;
    case SQLITE_CORRUPT:
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CORRUPT,
                   _("The workspace “%s” is damaged (%s)"), name, detail);
      break;
    case SQLITE_NOTADB:
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_A_WORKSPACE,
                   _("“%s” is not a Confab workspace"), name);
      break;
    case SQLITE_CONSTRAINT:
      g_set_error (error, CONFAB_ERROR,
                   rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY
                     ? CONFAB_ERROR_CONFLICT : CONFAB_ERROR_INVALID,
                   _("The change was refused by the workspace (%s)"), detail);
      break;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED,
                   _("Could not read or write the workspace “%s” (%s)"), name, detail);
      break;
    default:
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED,
                   _("Workspace “%s”: %s"), name, detail);
    }
}

void
confab_database_set_error (ConfabDatabase  *self,
                           int              rc,
                           GError         **error)
{
  const char *detail = self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);

  set_sqlite_error (rc, detail, display_name (self), self->read_only, error);
}

/* Statements */

ConfabStmt *
confab_database_prepare (ConfabDatabase  *self,
                         const char      *sql,
                         GError         **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (self), NULL);

  stmt = g_hash_table_lookup (self->statements, sql);
  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      g_critical ("Could not prepare “%s”: %s", sql, sqlite3_errmsg (self->db));
      confab_database_set_error (self, rc, error);
      return NULL;
    }
  g_hash_table_insert (self->statements, g_strdup (sql), stmt);
  return stmt;
}

gboolean
confab_database_step_done (ConfabDatabase  *self,
                           ConfabStmt      *stmt,
                           GError         **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return TRUE;
  rc = sqlite3_extended_errcode (self->db);
  confab_database_set_error (self, rc, error);
  return FALSE;
}

gboolean
confab_database_exec (ConfabDatabase  *self,
                      const char      *sql,
                      GError         **error)
{
  int rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      confab_database_set_error (self, sqlite3_extended_errcode (self->db), error);
      return FALSE;
    }
  return TRUE;
}

gint64
confab_database_query_int (ConfabDatabase  *self,
                           const char      *sql,
                           const char      *text_arg,
                           GError         **error)
{
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (self, sql, error);
  int rc;

  if (stmt == NULL)
    return -1;
  if (text_arg != NULL)
    sqlite3_bind_text (stmt, 1, text_arg, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return sqlite3_column_int64 (stmt, 0);
  if (rc == SQLITE_DONE)
    return 0;
  confab_database_set_error (self, sqlite3_extended_errcode (self->db), error);
  return -1;
}

/* Transactions */

/* BEGIN IMMEDIATE waits for another writer through the busy handler; the
 * busy results SQLite gives without calling it (a WAL being recovered by
 * another connection, a stale snapshot) are retried here for as long. */
static int
begin_immediate (ConfabDatabase *self)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) self->busy_timeout_ms * 1000;
  int rc;

  while (TRUE)
    {
      rc = sqlite3_exec (self->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
      if (rc == SQLITE_OK)
        return SQLITE_OK;
      rc = sqlite3_extended_errcode (self->db);
      if ((rc & 0xff) != SQLITE_BUSY || rc == SQLITE_BUSY ||
          g_get_monotonic_time () >= deadline)
        return rc;
      g_debug ("Workspace %s busy (%d), trying again", self->path, rc);
      g_usleep (10 * 1000);
    }
}

gboolean
confab_database_begin (ConfabDatabase  *self,
                       GError         **error)
{
  g_autofree char *name = NULL;
  int rc;

  if (self->read_only)
    {
      confab_database_set_error (self, SQLITE_READONLY, error);
      return FALSE;
    }

  if (self->tx_depth == 0)
    {
      rc = begin_immediate (self);
      if (rc != SQLITE_OK)
        {
          confab_database_set_error (self, rc, error);
          return FALSE;
        }
    }
  else if (sqlite3_get_autocommit (self->db))
    {
      /* An earlier error (a full disk) made SQLite roll the whole
       * transaction back: a savepoint now would start a new one. */
      name = g_filename_display_basename (display_name (self));
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED,
                   _("The changes to the workspace “%s” were undone after an error"), name);
      return FALSE;
    }
  else
    {
      g_autofree char *sql = g_strdup_printf ("SAVEPOINT sp%u", self->tx_depth);

      if (!confab_database_exec (self, sql, error))
        return FALSE;
    }

  g_array_append_val (self->savepoint_marks, self->pending->len);
  self->tx_depth++;
  return TRUE;
}

static void
emit_pending (ConfabDatabase *self)
{
  g_autoptr (GPtrArray) pending = g_steal_pointer (&self->pending);

  self->pending = g_ptr_array_new_with_free_func (pending_change_free);
  for (guint i = 0; i < pending->len; i++)
    {
      PendingChange *change = g_ptr_array_index (pending, i);

      g_signal_emit (self, signals[CHANGED], g_quark_from_string (change->table),
                     change->table, change->id, change->action);
    }
}

gboolean
confab_database_commit (ConfabDatabase  *self,
                        GError         **error)
{
  g_autofree char *sql = NULL;

  g_return_val_if_fail (self->tx_depth > 0, FALSE);

  if (sqlite3_get_autocommit (self->db))
    {
      g_autofree char *name = g_filename_display_basename (display_name (self));

      /* SQLite already rolled it back (SQLITE_FULL, SQLITE_IOERR). */
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED,
                   _("The changes to the workspace “%s” were undone after an error"), name);
      confab_database_rollback (self);
      return FALSE;
    }

  if (self->tx_depth == 1)
    sql = g_strdup ("COMMIT");
  else
    sql = g_strdup_printf ("RELEASE sp%u", self->tx_depth - 1);

  if (!confab_database_exec (self, sql, error))
    {
      confab_database_rollback (self);
      return FALSE;
    }

  self->tx_depth--;
  g_array_set_size (self->savepoint_marks, self->tx_depth);
  if (self->tx_depth == 0)
    emit_pending (self);
  return TRUE;
}

void
confab_database_rollback (ConfabDatabase *self)
{
  guint mark;

  g_return_if_fail (self->tx_depth > 0);

  if (sqlite3_get_autocommit (self->db))
    ; /* nothing left to undo: SQLite rolled the transaction back itself */
  else if (self->tx_depth == 1)
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  else
    {
      g_autofree char *sql = g_strdup_printf ("ROLLBACK TO sp%u; RELEASE sp%u",
                                              self->tx_depth - 1, self->tx_depth - 1);
      sqlite3_exec (self->db, sql, NULL, NULL, NULL);
    }

  self->tx_depth--;
  mark = g_array_index (self->savepoint_marks, guint, self->tx_depth);
  g_array_set_size (self->savepoint_marks, self->tx_depth);
  g_ptr_array_set_size (self->pending, mark);
}

void
confab_database_notify_change (ConfabDatabase *self,
                               const char     *table,
                               const char     *id,
                               const char     *action)
{
  PendingChange *change;

  if (self->tx_depth == 0)
    {
      g_signal_emit (self, signals[CHANGED], g_quark_from_string (table), table, id, action);
      return;
    }

  change = g_new0 (PendingChange, 1);
  change->table = g_strdup (table);
  change->id = g_strdup (id);
  change->action = g_strdup (action);
  g_ptr_array_add (self->pending, change);
}

gboolean
confab_database_audit (ConfabDatabase  *self,
                       const char      *actor_id,
                       const char      *entity,
                       const char      *entity_id,
                       const char      *action,
                       const char      *details_json,
                       GError         **error)
{
  g_autofree char *now = confab_now_iso8601 ();
  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = confab_database_prepare (self,
                                  "INSERT INTO audit_log (at, actor_id, entity, entity_id, action, details) "
                                  "VALUES (?, ?, ?, ?, ?, ?)",
                                  error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_text (stmt, 1, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, actor_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, entity, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 4, entity_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, action, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 6, details_json ? details_json : "{}", -1, SQLITE_TRANSIENT);
  if (!confab_database_step_done (self, stmt, error))
    return FALSE;
  confab_database_notify_change (self, "audit_log", entity_id, action);
  return TRUE;
}

/* The tables whose rows a view may show: no SQLite internals, no FTS5
 * shadow tables. */
static GPtrArray *
list_tables (sqlite3 *db)
{
  GPtrArray *tables = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (db,
                          "SELECT name FROM sqlite_master WHERE type = 'table' "
                          "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                          "AND name NOT LIKE '%\\_fts%' ESCAPE '\\' ORDER BY name",
                          -1, &stmt, NULL) == SQLITE_OK)
    while (sqlite3_step (stmt) == SQLITE_ROW)
      g_ptr_array_add (tables, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  return tables;
}

static void
emit_all_tables (ConfabDatabase *self)
{
  g_autoptr (GPtrArray) tables = list_tables (self->db);

  for (guint i = 0; i < tables->len; i++)
    {
      const char *table = g_ptr_array_index (tables, i);

      g_signal_emit (self, signals[CHANGED], g_quark_from_string (table), table, NULL, "update");
    }
}

/* Migrations */

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static char **
list_migrations (void)
{
  g_auto (GStrv) names = g_resources_enumerate_children (MIGRATIONS_PATH, 0, NULL);
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    if (g_str_has_suffix (names[i], ".sql"))
      g_ptr_array_add (sorted, g_strdup (names[i]));
  g_ptr_array_sort (sorted, compare_names);
  g_ptr_array_add (sorted, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&sorted), FALSE);
}

guint
confab_database_get_latest_schema_version (void)
{
  g_auto (GStrv) names = NULL;

  ensure_resources ();
  names = list_migrations ();
  return g_strv_length (names);
}

void
confab_database_set_test_migration (const char *sql)
{
  g_free (test_migration_sql);
  test_migration_sql = g_strdup (sql);
}

static gboolean copy_into_new_file (sqlite3       *source,
                                    const char    *source_path,
                                    const char    *destination,
                                    guint          busy_timeout_ms,
                                    GCancellable  *cancellable,
                                    GError       **error);

/* Every pending migration in one transaction: a failure anywhere leaves
 * the file at the version it had. */
static gboolean
apply_migrations (ConfabDatabase  *self,
                  gboolean         keep_copy,
                  GError         **error)
{
  g_auto (GStrv) names = list_migrations ();
  g_autofree char *base = g_filename_display_basename (display_name (self));
  guint n = g_strv_length (names);
  guint from = self->schema_version;

  if (from >= n)
    return TRUE;

  if (keep_copy && from > 0)
    {
      g_autofree char *copy = g_strdup_printf ("%s.v%u.bak", self->path, from);
      g_autoptr (GError) local_error = NULL;

      if (!copy_into_new_file (self->db, self->path, copy, self->busy_timeout_ms, NULL,
                               &local_error))
        {
          g_set_error (error, CONFAB_ERROR,
                       local_error->domain == CONFAB_ERROR ? local_error->code
                                                           : CONFAB_ERROR_FAILED,
                       _("The workspace “%s” was not upgraded, because a copy of it could not "
                         "be made first: %s"),
                       base, local_error->message);
          return FALSE;
        }
      g_debug ("Workspace %s copied to %s before upgrading", self->path, copy);
    }

  if (!confab_database_begin (self, error))
    return FALSE;

  for (guint version = from + 1; version <= n; version++)
    {
      const char *name = names[version - 1];
      g_autofree char *path = g_build_path ("/", MIGRATIONS_PATH, name, NULL);
      g_autoptr (GBytes) bytes = NULL;
      g_autofree char *footer = NULL;
      g_autofree char *sql = NULL;

      /* Files are named NNNN-what.sql; the number must match its place. */
      if ((guint) g_ascii_strtoull (name, NULL, 10) != version)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED,
                       "Migration %s is out of order", name);
          goto failed;
        }

      bytes = g_resources_lookup_data (path, 0, error);
      if (bytes == NULL)
        goto failed;

      footer = g_strdup_printf ("\n;PRAGMA application_id = %d;\nPRAGMA user_version = %u;\n",
                                CONFAB_APPLICATION_ID, version);
      sql = g_strconcat ((const char *) g_bytes_get_data (bytes, NULL), footer, NULL);
      if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED,
                       _("Could not upgrade the workspace “%s” to version %u: %s; "
                         "it was left as it was"),
                       base, version, sqlite3_errmsg (self->db));
          goto failed;
        }
    }

  if (test_migration_sql != NULL &&
      sqlite3_exec (self->db, test_migration_sql, NULL, NULL, NULL) != SQLITE_OK)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED,
                   _("Could not upgrade the workspace “%s” to version %u: %s; "
                     "it was left as it was"),
                   base, n, sqlite3_errmsg (self->db));
      goto failed;
    }

  if (!confab_database_commit (self, error))
    return FALSE;

  self->schema_version = n;
  g_debug ("Workspace %s migrated from schema %u to %u", self->path, from, n);
  return TRUE;

failed:
  confab_database_rollback (self);
  return FALSE;
}

/* Opening */

/* Reads the header without writing anything, so a refused file is untouched. */
static gboolean
check_header (const char  *path,
              gboolean    *is_new,
              GError     **error)
{
  static const char magic[16] = "SQLite format 3";
  g_autofree char *name = g_filename_display_basename (path);
  GStatBuf st;
  char header[16];
  FILE *fp;
  size_t n;

  *is_new = FALSE;
  if (g_stat (path, &st) != 0)
    {
      if (errno == ENOENT)
        {
          *is_new = TRUE;
          return TRUE;
        }
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED,
                   _("Could not open the workspace “%s”: %s"), name, g_strerror (errno));
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_A_WORKSPACE,
                   _("“%s” is not a Confab workspace"), name);
      return FALSE;
    }
  if (st.st_size == 0)
    {
      *is_new = TRUE;
      return TRUE;
    }

  fp = g_fopen (path, "rb");
  if (fp == NULL)
    {
      g_set_error (error, CONFAB_ERROR,
                   errno == EACCES ? CONFAB_ERROR_READ_ONLY : CONFAB_ERROR_FAILED,
                   _("Could not open the workspace “%s”: %s"), name, g_strerror (errno));
      return FALSE;
    }
  n = fread (header, 1, sizeof header, fp);
  fclose (fp);
  if (n != sizeof header || memcmp (header, magic, sizeof magic) != 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_A_WORKSPACE,
                   _("“%s” is not a Confab workspace"), name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_writable (const char  *path,
                gboolean     is_new,
                GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *name = g_filename_display_basename (path);

  /* WAL needs to create -wal and -shm files beside the workspace. */
  if ((!is_new && g_access (path, W_OK) != 0) || g_access (dir, W_OK) != 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_READ_ONLY,
                   _("The workspace “%s” is read-only"), name);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_int (sqlite3     *db,
          const char  *sql,
          gint64      *out,
          int         *rc_out)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          *out = sqlite3_column_int64 (stmt, 0);
          rc = SQLITE_OK;
        }
    }
  if (rc != SQLITE_OK)
    rc = sqlite3_extended_errcode (db);
  sqlite3_finalize (stmt);
  *rc_out = rc;
  return rc == SQLITE_OK;
}

static gboolean
read_pragma_int (ConfabDatabase  *self,
                 const char      *sql,
                 gint64          *out,
                 GError         **error)
{
  int rc;

  if (!read_int (self->db, sql, out, &rc))
    {
      confab_database_set_error (self, rc, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
enable_wal (ConfabDatabase  *self,
            GError         **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean is_wal = FALSE;
  int rc = sqlite3_prepare_v2 (self->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        {
          is_wal = g_ascii_strcasecmp ((const char *) sqlite3_column_text (stmt, 0), "wal") == 0;
          rc = SQLITE_OK;
        }
      else
        rc = sqlite3_extended_errcode (self->db);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_OK)
    {
      confab_database_set_error (self, rc, error);
      return FALSE;
    }
  if (!is_wal)
    {
      g_autofree char *name = g_filename_display_basename (self->path);
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED,
                   _("The workspace “%s” cannot use write-ahead logging; "
                     "is it on a network drive?"), name);
      return FALSE;
    }
  return TRUE;
}

/* A file: URI that opens path for reading only; immutable when nobody can
 * write it anyway (a read-only folder where SQLite cannot create the -shm
 * file a WAL reader needs). */
static char *
reader_uri (const char *path,
            gboolean    immutable)
{
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  g_autofree char *uri = g_filename_to_uri (absolute, NULL, NULL);

  if (uri == NULL)
    return NULL;
  return g_strconcat (uri, immutable ? "?mode=ro&immutable=1" : "?mode=ro", NULL);
}

/* Opens path read-only and reads what tells a workspace apart. */
static sqlite3 *
open_reader (const char  *path,
             char       **uri_out,
             gint64      *app_id,
             gint64      *user_version,
             gint64      *n_objects,
             int         *rc_out)
{
  for (int immutable = 0; immutable <= 1; immutable++)
    {
      g_autofree char *uri = reader_uri (path, immutable);
      sqlite3 *db = NULL;
      int rc;

      if (uri == NULL)
        {
          *rc_out = SQLITE_CANTOPEN;
          return NULL;
        }
      rc = sqlite3_open_v2 (uri, &db,
                            SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW, NULL);
      if (rc == SQLITE_OK)
        {
          sqlite3_extended_result_codes (db, 1);
          if (read_int (db, "PRAGMA application_id", app_id, &rc) &&
              read_int (db, "PRAGMA user_version", user_version, &rc) &&
              read_int (db, "SELECT count(*) FROM sqlite_master", n_objects, &rc))
            {
              if (uri_out != NULL)
                *uri_out = g_steal_pointer (&uri);
              *rc_out = SQLITE_OK;
              return db;
            }
        }
      sqlite3_close_v2 (db);
      *rc_out = rc;
      /* A WAL file in a folder nobody may write to: read it as it is. */
      if ((rc & 0xff) != SQLITE_CANTOPEN && (rc & 0xff) != SQLITE_READONLY)
        break;
    }
  return NULL;
}

static gboolean
check_identity (const char  *path,
                gint64       app_id,
                gint64       user_version,
                gint64       n_objects,
                GError     **error)
{
  g_autofree char *name = g_filename_display_basename (path);

  if (app_id != CONFAB_APPLICATION_ID && !(app_id == 0 && user_version == 0 && n_objects == 0))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_A_WORKSPACE,
                   _("“%s” is not a Confab workspace"), name);
      return FALSE;
    }
  if (user_version > confab_database_get_latest_schema_version ())
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NEWER_VERSION,
                   _("The workspace “%s” was saved by a newer version of Confab "
                     "(schema %lld, this version reads up to %u); "
                     "update Confab to open it"),
                   name, (long long) user_version, confab_database_get_latest_schema_version ());
      return FALSE;
    }
  return TRUE;
}

/* Crash recovery: who writes which streaming message */

/* FNV-1a: the same id gives the same byte in every process. */
static off_t
stream_offset (const char *id)
{
  guint64 hash = G_GUINT64_CONSTANT (14695981039346656037);

  for (const guchar *p = (const guchar *) id; *p != '\0'; p++)
    {
      hash ^= *p;
      hash *= G_GUINT64_CONSTANT (1099511628211);
    }
  return (off_t) (1 + hash % STREAM_LOCK_SPAN);
}

static gboolean
stream_lock (int         fd,
             const char *id,
             short       type)
{
  struct flock fl = { 0 };

  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = stream_offset (id);
  fl.l_len = 1;
  return fcntl (fd, F_OFD_SETLK, &fl) == 0;
}

/* Whether another open file description (another connection, in this
 * process or another) holds the message's byte. */
static gboolean
stream_is_held_elsewhere (int         fd,
                          const char *id)
{
  struct flock fl = { 0 };

  fl.l_type = F_WRLCK;
  fl.l_whence = SEEK_SET;
  fl.l_start = stream_offset (id);
  fl.l_len = 1;
  if (fcntl (fd, F_OFD_GETLK, &fl) != 0)
    return TRUE; /* cannot tell: leave the row alone */
  return fl.l_type != F_UNLCK;
}

static gboolean
remove_id (GPtrArray  *ids,
           const char *id)
{
  for (guint i = 0; i < ids->len; i++)
    if (g_str_equal (g_ptr_array_index (ids, i), id))
      {
        g_ptr_array_remove_index_fast (ids, i);
        return TRUE;
      }
  return FALSE;
}

/* confab_stream_owner (id, streaming), called by the temporary triggers on
 * this connection's own writes to messages. */
static void
stream_owner_func (sqlite3_context  *context,
                   int               argc,
                   sqlite3_value   **argv)
{
  ConfabDatabase *self = sqlite3_user_data (context);
  const char *id = (const char *) sqlite3_value_text (argv[0]);
  gboolean streaming = sqlite3_value_int (argv[1]) != 0;

  sqlite3_result_null (context);
  if (id == NULL || self->lock_fd < 0)
    return;

  if (streaming)
    {
      remove_id (self->stream_unlocks, id);
      if (g_hash_table_contains (self->streaming, id))
        return;
      /* Taken at once, before the row is committed, so no other process
       * ever sees the row without its lock. */
      if (stream_lock (self->lock_fd, id, F_WRLCK))
        {
          g_hash_table_add (self->streaming, g_strdup (id));
          g_ptr_array_add (self->stream_locked, g_strdup (id));
        }
      else
        g_debug ("Could not lock the streaming message %s: %s", id, g_strerror (errno));
    }
  else if (g_hash_table_contains (self->streaming, id))
    g_ptr_array_add (self->stream_unlocks, g_strdup (id));
}

/* Released only once the end of the stream is committed. */
static int
on_commit (void *data)
{
  ConfabDatabase *self = data;

  for (guint i = 0; i < self->stream_unlocks->len; i++)
    {
      const char *id = g_ptr_array_index (self->stream_unlocks, i);

      stream_lock (self->lock_fd, id, F_UNLCK);
      g_hash_table_remove (self->streaming, id);
    }
  g_ptr_array_set_size (self->stream_unlocks, 0);
  g_ptr_array_set_size (self->stream_locked, 0);
  return 0;
}

static void
on_rollback (void *data)
{
  ConfabDatabase *self = data;

  for (guint i = 0; i < self->stream_locked->len; i++)
    {
      const char *id = g_ptr_array_index (self->stream_locked, i);

      stream_lock (self->lock_fd, id, F_UNLCK);
      g_hash_table_remove (self->streaming, id);
    }
  g_ptr_array_set_size (self->stream_locked, 0);
  g_ptr_array_set_size (self->stream_unlocks, 0);
}

static void
release_stream_locks (ConfabDatabase *self)
{
  GHashTableIter iter;
  gpointer id;

  g_hash_table_iter_init (&iter, self->streaming);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    stream_lock (self->lock_fd, id, F_UNLCK);
  g_hash_table_remove_all (self->streaming);
  g_ptr_array_set_size (self->stream_locked, 0);
  g_ptr_array_set_size (self->stream_unlocks, 0);
}

#define SQL_STREAM_TRIGGERS                                                           \
  "CREATE TEMP TRIGGER IF NOT EXISTS confab_streaming_insert "                        \
  "AFTER INSERT ON main.messages WHEN new.status = 'streaming' "                      \
  "BEGIN SELECT confab_stream_owner (new.id, 1); END;"                                \
  "CREATE TEMP TRIGGER IF NOT EXISTS confab_streaming_update "                        \
  "AFTER UPDATE OF status ON main.messages "                                          \
  "WHEN (old.status = 'streaming') <> (new.status = 'streaming') "                    \
  "BEGIN SELECT confab_stream_owner (new.id, new.status = 'streaming'); END;"         \
  "CREATE TEMP TRIGGER IF NOT EXISTS confab_streaming_delete "                        \
  "AFTER DELETE ON main.messages WHEN old.status = 'streaming' "                      \
  "BEGIN SELECT confab_stream_owner (old.id, 0); END;"

static gboolean
watch_streams (ConfabDatabase  *self,
               GError         **error)
{
  g_autofree char *lock_path = g_strconcat (self->path, ".lock", NULL);

  self->lock_fd = g_open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (self->lock_fd < 0)
    {
      /* Without it no row can be told to be an orphan: none is recovered. */
      g_debug ("Could not open %s: %s", lock_path, g_strerror (errno));
      return TRUE;
    }
  if (sqlite3_create_function_v2 (self->db, "confab_stream_owner", 2, SQLITE_UTF8, self,
                                  stream_owner_func, NULL, NULL, NULL) != SQLITE_OK)
    {
      confab_database_set_error (self, sqlite3_extended_errcode (self->db), error);
      return FALSE;
    }
  sqlite3_commit_hook (self->db, on_commit, self);
  sqlite3_rollback_hook (self->db, on_rollback, self);
  return confab_database_exec (self, SQL_STREAM_TRIGGERS, error);
}

/**
 * confab_database_recover_interrupted:
 * @self: a workspace open for writing
 * @error: return location for a #GError
 *
 * Marks every `streaming` message that no live process is writing as
 * `error`, with the error %CONFAB_DATABASE_INTERRUPTED_ERROR; see
 * confab-database.h. Done when a workspace is opened for writing.
 *
 * Returns: how many messages were recovered, or -1 with @error set
 */
gint
confab_database_recover_interrupted (ConfabDatabase  *self,
                                     GError         **error)
{
  g_return_val_if_fail (CONFAB_IS_DATABASE (self), -1);

  return recover_interrupted (self, TRUE, error);
}

/* wait: whether to wait for another writer (not from a timer on the main
 * thread: it tries again a second later instead). */
static gint
recover_interrupted (ConfabDatabase  *self,
                     gboolean         wait,
                     GError         **error)
{
  g_autoptr (GPtrArray) orphans = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *now = NULL;
  gboolean begun;
  gint n = 0;

  if (self->read_only || self->lock_fd < 0 || self->tx_depth > 0)
    return 0;

  {
    g_autoptr (ConfabStmt) stmt =
      confab_database_prepare (self, "SELECT id FROM messages WHERE status = 'streaming'", error);
    int rc;

    if (stmt == NULL)
      return -1;
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        const char *id = (const char *) sqlite3_column_text (stmt, 0);

        if (!g_hash_table_contains (self->streaming, id) &&
            !stream_is_held_elsewhere (self->lock_fd, id))
          g_ptr_array_add (orphans, g_strdup (id));
      }
    if (rc != SQLITE_DONE)
      {
        confab_database_set_error (self, sqlite3_extended_errcode (self->db), error);
        return -1;
      }
  }
  if (orphans->len == 0)
    return 0;

  now = confab_now_iso8601 ();
  if (!wait)
    sqlite3_busy_timeout (self->db, 0);
  begun = confab_database_begin (self, error);
  if (!wait)
    sqlite3_busy_timeout (self->db, self->busy_timeout_ms);
  if (!begun)
    return -1;
  for (guint i = 0; i < orphans->len; i++)
    {
      const char *id = g_ptr_array_index (orphans, i);
      g_autoptr (ConfabStmt) stmt =
        confab_database_prepare (self,
                                 "UPDATE messages SET status = 'error', error = ?1, "
                                 "updated_at = ?2 WHERE id = ?3 AND status = 'streaming'",
                                 error);

      if (stmt == NULL)
        goto failed;
      sqlite3_bind_text (stmt, 1, CONFAB_DATABASE_INTERRUPTED_ERROR, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, now, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, id, -1, SQLITE_TRANSIENT);
      if (!confab_database_step_done (self, stmt, error))
        goto failed;
      if (sqlite3_changes (self->db) == 0)
        continue;
      if (!confab_database_audit (self, NULL, "message", id, "update", AUDIT_INTERRUPTED, error))
        goto failed;
      confab_database_notify_change (self, "messages", id, "update");
      n++;
    }
  if (!confab_database_commit (self, error))
    return -1;
  if (n > 0)
    g_debug ("Workspace %s: %d interrupted replies marked as errors", self->path, n);
  return n;

failed:
  confab_database_rollback (self);
  return -1;
}

/* Other connections' commits */

static gboolean
read_data_version (ConfabDatabase *self,
                   gint64         *version)
{
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (self, "PRAGMA data_version", NULL);

  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    return FALSE;
  *version = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

/**
 * confab_database_check_for_changes:
 * @self: a workspace
 *
 * Looks whether another connection (another program, or another
 * #ConfabDatabase) committed since the last look, and if so emits
 * #ConfabDatabase::changed for every table with a %NULL id. Done once a
 * second while ::changed has handlers; call it to look at once (when a
 * window comes to the front).
 *
 * Returns: %TRUE if something changed
 */
gboolean
confab_database_check_for_changes (ConfabDatabase *self)
{
  gint64 version;

  g_return_val_if_fail (CONFAB_IS_DATABASE (self), FALSE);

  /* Inside a transaction the data cannot have changed under it. */
  if (self->tx_depth > 0 || !read_data_version (self, &version) || version == self->data_version)
    return FALSE;
  self->data_version = version;
  g_debug ("Workspace %s changed by another connection", self->path);
  emit_all_tables (self);
  return TRUE;
}

static gboolean
on_watch (gpointer data)
{
  ConfabDatabase *self = data;

  /* Nobody listens: not even the query. Nor from another thread (opened in
   * a worker without a context of its own, the watch lands in the main one). */
  if (g_thread_self () == self->thread &&
      g_signal_handler_find (self, G_SIGNAL_MATCH_ID, signals[CHANGED], 0, NULL, NULL, NULL) != 0)
    {
      g_autoptr (GError) error = NULL;

      confab_database_check_for_changes (self);
      /* A confab-cli that died mid-reply while the app stays open: its
       * reply is recovered within a second, not at the next start. */
      if (recover_interrupted (self, FALSE, &error) < 0)
        g_debug ("Could not recover interrupted replies yet: %s", error->message);
    }
  return G_SOURCE_CONTINUE;
}

static void
start_watch (ConfabDatabase *self)
{
  g_autoptr (GMainContext) context = g_main_context_ref_thread_default ();

  read_data_version (self, &self->data_version);
  self->thread = g_thread_self ();
  self->watch = g_timeout_source_new_seconds (WATCH_INTERVAL_S);
  g_source_set_callback (self->watch, on_watch, self, NULL);
  g_source_set_static_name (self->watch, "[confab] workspace watch");
  g_source_attach (self->watch, context);
}

static ConfabDatabase *
open_writable (const char  *path,
               guint        busy_timeout_ms,
               gboolean     keep_copy,
               GError     **error)
{
  g_autoptr (ConfabDatabase) self = NULL;
  gboolean is_new;
  gint64 app_id = 0, user_version = 0, n_objects = 0;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW;
  int rc;

  if (!check_header (path, &is_new, error) || !check_writable (path, is_new, error))
    return NULL;

  self = g_object_new (CONFAB_TYPE_DATABASE, NULL);
  self->path = g_strdup (path);
  self->reader_name = g_strdup (path);
  self->reader_flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW;
  self->busy_timeout_ms = busy_timeout_ms;

  if (is_new)
    flags |= SQLITE_OPEN_CREATE;
  rc = sqlite3_open_v2 (path, &self->db, flags, NULL);
  if (rc != SQLITE_OK)
    {
      confab_database_set_error (self, rc, error);
      return NULL;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, busy_timeout_ms);

  if (!read_pragma_int (self, "PRAGMA application_id", &app_id, error) ||
      !read_pragma_int (self, "PRAGMA user_version", &user_version, error) ||
      !read_pragma_int (self, "SELECT count(*) FROM sqlite_master", &n_objects, error))
    return NULL;
  if (!check_identity (path, app_id, user_version, n_objects, error))
    return NULL;
  self->schema_version = (guint) user_version;

  if (!enable_wal (self, error))
    return NULL;
  if (!confab_database_exec (self,
                             "PRAGMA foreign_keys = ON;"
                             "PRAGMA synchronous = NORMAL;"
                             "PRAGMA temp_store = MEMORY;",
                             error))
    return NULL;

  if (!apply_migrations (self, keep_copy, error))
    return NULL;

  if (!watch_streams (self, error) || confab_database_recover_interrupted (self, error) < 0)
    return NULL;

  start_watch (self);
  return g_steal_pointer (&self);
}

static ConfabDatabase *
open_read_only (const char  *path,
                guint        busy_timeout_ms,
                GError     **error)
{
  g_autoptr (ConfabDatabase) self = NULL;
  g_autofree char *name = g_filename_display_basename (path);
  g_autofree char *uri = NULL;
  gboolean is_new;
  gint64 app_id = 0, user_version = 0, n_objects = 0;
  int rc;

  if (!check_header (path, &is_new, error))
    return NULL;
  if (is_new)
    {
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_A_WORKSPACE,
                     _("“%s” is not a Confab workspace"), name);
      else
        g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                     _("The workspace “%s” does not exist"), name);
      return NULL;
    }

  self = g_object_new (CONFAB_TYPE_DATABASE, NULL);
  self->path = g_strdup (path);
  self->read_only = TRUE;
  self->busy_timeout_ms = busy_timeout_ms;
  self->db = open_reader (path, &uri, &app_id, &user_version, &n_objects, &rc);
  if (self->db == NULL)
    {
      set_sqlite_error (rc, sqlite3_errstr (rc), path, FALSE, error);
      return NULL;
    }
  self->reader_name = g_steal_pointer (&uri);
  self->reader_flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW;
  sqlite3_busy_timeout (self->db, busy_timeout_ms);

  if (!check_identity (path, app_id, user_version, n_objects, error))
    return NULL;
  if (user_version == 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_A_WORKSPACE,
                   _("“%s” is not a Confab workspace"), name);
      return NULL;
    }
  if (user_version < confab_database_get_latest_schema_version ())
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_READ_ONLY,
                   _("The workspace “%s” is read-only and was saved by an older version of "
                     "Confab: it must be upgraded, which needs permission to write it"),
                   name);
      return NULL;
    }
  self->schema_version = (guint) user_version;

  if (!confab_database_exec (self, "PRAGMA query_only = ON; PRAGMA temp_store = MEMORY;", error))
    return NULL;

  start_watch (self);
  return g_steal_pointer (&self);
}

static ConfabDatabase *
open_with_options (const char               *path,
                   ConfabDatabaseOpenFlags   flags,
                   guint                     busy_timeout_ms,
                   GError                  **error)
{
  g_autoptr (GError) local_error = NULL;
  ConfabDatabase *self;

  g_return_val_if_fail (path != NULL, NULL);

  ensure_resources ();

  if (flags & CONFAB_DATABASE_OPEN_READ_ONLY)
    return open_read_only (path, busy_timeout_ms, error);

  self = open_writable (path, busy_timeout_ms, TRUE, &local_error);
  if (self == NULL && (flags & CONFAB_DATABASE_OPEN_READ_ONLY_FALLBACK) &&
      g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_READ_ONLY) &&
      g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_debug ("Workspace %s cannot be written, opening it read-only: %s", path,
               local_error->message);
      g_clear_error (&local_error);
      self = open_read_only (path, busy_timeout_ms, &local_error);
    }
  if (self == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return self;
}

ConfabDatabase *
confab_database_open_full (const char  *path,
                           guint        busy_timeout_ms,
                           GError     **error)
{
  return open_with_options (path, CONFAB_DATABASE_OPEN_DEFAULT, busy_timeout_ms, error);
}

ConfabDatabase *
confab_database_open (const char  *path,
                      GError     **error)
{
  return open_with_options (path, CONFAB_DATABASE_OPEN_DEFAULT, DEFAULT_BUSY_TIMEOUT_MS, error);
}

/**
 * confab_database_open_with_flags:
 * @path: the workspace file
 * @flags: how to open it
 * @error: return location for a #GError
 *
 * Opens a workspace as confab_database_open() does, or read-only (see
 * #ConfabDatabaseOpenFlags).
 *
 * Returns: (transfer full): the workspace, or %NULL with @error set
 */
ConfabDatabase *
confab_database_open_with_flags (const char               *path,
                                 ConfabDatabaseOpenFlags   flags,
                                 GError                  **error)
{
  return open_with_options (path, flags, DEFAULT_BUSY_TIMEOUT_MS, error);
}

const char *
confab_database_get_path (ConfabDatabase *self)
{
  g_return_val_if_fail (CONFAB_IS_DATABASE (self), NULL);
  return self->path;
}

gboolean
confab_database_is_read_only (ConfabDatabase *self)
{
  g_return_val_if_fail (CONFAB_IS_DATABASE (self), FALSE);
  return self->read_only;
}

guint
confab_database_get_schema_version (ConfabDatabase *self)
{
  g_return_val_if_fail (CONFAB_IS_DATABASE (self), 0);
  return self->schema_version;
}

sqlite3 *
confab_database_get_handle (ConfabDatabase *self)
{
  g_return_val_if_fail (CONFAB_IS_DATABASE (self), NULL);
  return self->db;
}

/* Backup and restore */

static void
remove_database_files (const char *path)
{
  static const char * const suffixes[] = { "", "-journal", "-wal", "-shm", ".lock" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      g_unlink (file);
    }
}

static void
set_write_error (int          rc,
                 const char  *detail,
                 const char  *destination,
                 GError     **error)
{
  g_autofree char *name = g_filename_display_basename (destination);

  if ((rc & 0xff) == SQLITE_FULL)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_DISK_FULL,
                 _("The disk is full: the copy “%s” could not be written"), name);
  else
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED,
                 _("Could not write the copy “%s” (%s)"), name, detail);
}

/* Copies source into a new file at destination with the online backup
 * API: written beside it under another name, made a single self-contained
 * file (no WAL), then renamed, so destination is either the whole copy or
 * untouched. */
static gboolean
copy_into_new_file (sqlite3       *source,
                    const char    *source_path,
                    const char    *destination,
                    guint          busy_timeout_ms,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autofree char *partial = g_strconcat (destination, ".partial-XXXXXX", NULL);
  sqlite3 *dest = NULL;
  sqlite3_backup *backup;
  guint waited_ms = 0;
  int fd, rc;

  fd = g_mkstemp (partial);
  if (fd < 0)
    {
      int saved = errno;
      g_autofree char *name = g_filename_display_basename (destination);

      g_set_error (error, CONFAB_ERROR,
                   saved == ENOSPC ? CONFAB_ERROR_DISK_FULL : CONFAB_ERROR_FAILED,
                   _("Could not write the copy “%s”: %s"), name, g_strerror (saved));
      return FALSE;
    }
  close (fd);

  rc = sqlite3_open_v2 (partial, &dest, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
  if (rc != SQLITE_OK)
    {
      set_write_error (rc, sqlite3_errstr (rc), destination, error);
      goto failed;
    }
  sqlite3_extended_result_codes (dest, 1);

  backup = sqlite3_backup_init (dest, "main", source, "main");
  if (backup == NULL)
    {
      set_write_error (sqlite3_extended_errcode (dest), sqlite3_errmsg (dest), destination, error);
      goto failed;
    }
  do
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          sqlite3_backup_finish (backup);
          goto failed;
        }
      rc = sqlite3_backup_step (backup, BACKUP_STEP_PAGES);
      if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && waited_ms < busy_timeout_ms)
        {
          g_usleep (20 * 1000);
          waited_ms += 20;
          rc = SQLITE_OK;
        }
    }
  while (rc == SQLITE_OK);
  sqlite3_backup_finish (backup);
  if (rc != SQLITE_DONE)
    {
      int src_rc = sqlite3_extended_errcode (source);

      if ((src_rc & 0xff) == SQLITE_CORRUPT || (src_rc & 0xff) == SQLITE_NOTADB)
        set_sqlite_error (src_rc, sqlite3_errmsg (source), source_path, FALSE, error);
      else if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
        set_sqlite_error (rc, sqlite3_errstr (rc), source_path, FALSE, error);
      else
        set_write_error (rc, sqlite3_errstr (rc), destination, error);
      goto failed;
    }

  /* The copy of a WAL workspace says WAL in its header: fold it into one
   * file that can be mailed or copied as it is. */
  rc = sqlite3_exec (dest, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      set_write_error (sqlite3_extended_errcode (dest), sqlite3_errmsg (dest), destination, error);
      goto failed;
    }
  rc = sqlite3_close (dest);
  dest = NULL;
  if (rc != SQLITE_OK)
    {
      set_write_error (rc, sqlite3_errstr (rc), destination, error);
      goto failed;
    }

  if (g_rename (partial, destination) != 0)
    {
      int saved = errno;
      g_autofree char *name = g_filename_display_basename (destination);

      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED,
                   _("Could not write the copy “%s”: %s"), name, g_strerror (saved));
      goto failed;
    }
  return TRUE;

failed:
  if (dest != NULL)
    sqlite3_close_v2 (dest);
  remove_database_files (partial);
  return FALSE;
}

typedef struct
{
  char *source;        /* path or URI */
  int   source_flags;
  char *source_path;   /* for messages */
  char *destination;
  guint busy_timeout_ms;
} BackupJob;

static void
backup_job_free (BackupJob *job)
{
  g_free (job->source);
  g_free (job->source_path);
  g_free (job->destination);
  g_free (job);
}

static gboolean
same_file (const char *a,
           const char *b)
{
  GStatBuf sa, sb;

  if (g_stat (a, &sa) == 0 && g_stat (b, &sb) == 0)
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
  return FALSE;
}

static BackupJob *
backup_job_new (ConfabDatabase  *self,
                const char      *destination,
                GError         **error)
{
  BackupJob *job;

  if (same_file (self->path, destination))
    {
      g_autofree char *name = g_filename_display_basename (destination);

      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The backup cannot replace the workspace “%s” itself"), name);
      return NULL;
    }
  job = g_new0 (BackupJob, 1);
  job->source = g_strdup (self->reader_name);
  job->source_flags = self->reader_flags;
  job->source_path = g_strdup (self->path);
  job->destination = g_strdup (destination);
  job->busy_timeout_ms = self->busy_timeout_ms;
  return job;
}

static gboolean
run_backup_job (BackupJob     *job,
                GCancellable  *cancellable,
                GError       **error)
{
  sqlite3 *source = NULL;
  gboolean ok;
  int rc;

  rc = sqlite3_open_v2 (job->source, &source, job->source_flags, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (rc, sqlite3_errstr (rc), job->source_path, FALSE, error);
      sqlite3_close_v2 (source);
      return FALSE;
    }
  sqlite3_extended_result_codes (source, 1);
  sqlite3_busy_timeout (source, job->busy_timeout_ms);

  /* One read transaction for the whole copy: every step reads the same
   * snapshot, so the copy is consistent and never restarts however much
   * others write meanwhile (WAL lets them). */
  rc = sqlite3_exec (source, "BEGIN; SELECT count(*) FROM sqlite_master;", NULL, NULL, NULL);
  if (rc != SQLITE_OK)
    {
      rc = sqlite3_extended_errcode (source);
      set_sqlite_error (rc, sqlite3_errmsg (source), job->source_path, FALSE, error);
      sqlite3_close_v2 (source);
      return FALSE;
    }
  ok = copy_into_new_file (source, job->source_path, job->destination, job->busy_timeout_ms,
                           cancellable, error);
  sqlite3_exec (source, "COMMIT", NULL, NULL, NULL);
  sqlite3_close_v2 (source);
  return ok;
}

/**
 * confab_database_backup:
 * @self: a workspace
 * @destination: the file to write; replaced if it exists, only once the
 *   copy is complete
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Copies the workspace as it is now into @destination, a single file that
 * is itself a workspace. Blocks; see confab_database_backup_async().
 *
 * Returns: %TRUE on success
 */
gboolean
confab_database_backup (ConfabDatabase  *self,
                        const char      *destination,
                        GCancellable    *cancellable,
                        GError         **error)
{
  BackupJob *job;
  gboolean ok;

  g_return_val_if_fail (CONFAB_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (destination != NULL, FALSE);

  job = backup_job_new (self, destination, error);
  if (job == NULL)
    return FALSE;
  ok = run_backup_job (job, cancellable, error);
  backup_job_free (job);
  return ok;
}

static void
backup_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;

  if (run_backup_job (task_data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/**
 * confab_database_backup_async:
 * @self: a workspace
 * @destination: the file to write; replaced if it exists, only once the
 *   copy is complete
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the copy is written or failed
 * @user_data: data for @callback
 *
 * Copies the workspace in a worker thread with its own connection and the
 * SQLite online backup API, from one read snapshot: the copy is consistent
 * even while this or another program writes to the workspace.
 */
void
confab_database_backup_async (ConfabDatabase      *self,
                              const char          *destination,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  GError *error = NULL;
  BackupJob *job;

  g_return_if_fail (CONFAB_IS_DATABASE (self));
  g_return_if_fail (destination != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_database_backup_async);
  job = backup_job_new (self, destination, &error);
  if (job == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_set_task_data (task, job, (GDestroyNotify) backup_job_free);
  g_task_run_in_thread (task, backup_thread);
}

gboolean
confab_database_backup_finish (ConfabDatabase  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * confab_database_validate_file:
 * @path: a file
 * @schema_version: (out) (optional): its schema version
 * @error: return location for a #GError
 *
 * Checks, without writing to it, that @path is a Confab workspace this
 * version can open: an SQLite file with Confab's application id, a schema
 * not newer than this version's, and no damage (PRAGMA quick_check).
 *
 * Returns: %TRUE if it is
 */
gboolean
confab_database_validate_file (const char  *path,
                               guint       *schema_version,
                               GError     **error)
{
  g_autofree char *name = NULL;
  gboolean is_new;
  gint64 app_id = 0, user_version = 0, n_objects = 0;
  sqlite3 *db;
  sqlite3_stmt *stmt = NULL;
  g_autofree char *check = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, FALSE);

  ensure_resources ();
  name = g_filename_display_basename (path);
  if (!check_header (path, &is_new, error))
    return FALSE;
  if (is_new)
    {
      if (g_file_test (path, G_FILE_TEST_EXISTS))
        g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_A_WORKSPACE,
                     _("“%s” is not a Confab workspace"), name);
      else
        g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                     _("“%s” does not exist"), name);
      return FALSE;
    }

  db = open_reader (path, NULL, &app_id, &user_version, &n_objects, &rc);
  if (db == NULL)
    {
      set_sqlite_error (rc, sqlite3_errstr (rc), path, FALSE, error);
      return FALSE;
    }
  if (!check_identity (path, app_id, user_version, n_objects, error))
    {
      sqlite3_close_v2 (db);
      return FALSE;
    }
  if (user_version == 0)
    {
      sqlite3_close_v2 (db);
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_A_WORKSPACE,
                   _("“%s” is not a Confab workspace"), name);
      return FALSE;
    }

  rc = sqlite3_prepare_v2 (db, "PRAGMA quick_check", -1, &stmt, NULL);
  if (rc == SQLITE_OK && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    check = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  else
    rc = sqlite3_extended_errcode (db);
  sqlite3_finalize (stmt);
  if (check == NULL)
    set_sqlite_error (rc, sqlite3_errmsg (db), path, FALSE, error);
  else if (g_strcmp0 (check, "ok") != 0)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CORRUPT,
                 _("The workspace “%s” is damaged (%s)"), name, check);
  sqlite3_close_v2 (db);
  if (check == NULL || g_strcmp0 (check, "ok") != 0)
    return FALSE;

  if (schema_version != NULL)
    *schema_version = (guint) user_version;
  return TRUE;
}

static gboolean
has_rows (ConfabDatabase *self)
{
  g_autoptr (GPtrArray) tables = list_tables (self->db);

  for (guint i = 0; i < tables->len; i++)
    {
      const char *table = g_ptr_array_index (tables, i);
      g_autofree char *sql = NULL;
      gint64 n = 0;
      int rc;

      if (g_str_equal (table, "workspace"))
        continue;
      sql = g_strdup_printf ("SELECT EXISTS (SELECT 1 FROM \"%s\")", table);
      if (!read_int (self->db, sql, &n, &rc) || n != 0)
        return TRUE; /* when in doubt, keep a copy */
    }
  return FALSE;
}

/* Copies the file at source_path into self's open connection: one write
 * transaction, which other connections see whole or not at all. */
static gboolean
copy_into_workspace (ConfabDatabase  *self,
                     const char      *source_path,
                     GError         **error)
{
  sqlite3 *source = NULL;
  sqlite3_backup *backup;
  guint waited_ms = 0;
  int rc;

  rc = sqlite3_open_v2 (source_path, &source, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (rc, sqlite3_errstr (rc), source_path, FALSE, error);
      sqlite3_close_v2 (source);
      return FALSE;
    }
  backup = sqlite3_backup_init (self->db, "main", source, "main");
  if (backup == NULL)
    {
      confab_database_set_error (self, sqlite3_extended_errcode (self->db), error);
      sqlite3_close_v2 (source);
      return FALSE;
    }
  do
    {
      rc = sqlite3_backup_step (backup, -1);
      if ((rc == SQLITE_BUSY || rc == SQLITE_LOCKED) && waited_ms < self->busy_timeout_ms)
        {
          g_usleep (20 * 1000);
          waited_ms += 20;
          rc = SQLITE_OK;
        }
    }
  while (rc == SQLITE_OK);
  sqlite3_backup_finish (backup);
  sqlite3_close_v2 (source);
  if (rc != SQLITE_DONE)
    {
      confab_database_set_error (self, rc, error);
      return FALSE;
    }
  return TRUE;
}

/**
 * confab_database_restore:
 * @self: a workspace open for writing, outside any transaction
 * @backup_path: a backup (from confab_database_backup()) or any workspace
 * @copy_path: (out) (optional) (nullable): where the previous contents were
 *   copied to, %NULL when the workspace held nothing
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Replaces everything in the workspace with the contents of @backup_path.
 * The backup is checked first (confab_database_validate_file()) and
 * upgraded on a copy if it is older; the current contents are copied to
 * PATH.before-restore-YYYYMMDD-HHMMSS.bak; then the backup is copied in,
 * in one transaction. @backup_path itself is never written to. Emits
 * #ConfabDatabase::changed for every table; see confab-database.h about
 * objects read before.
 *
 * Returns: %TRUE on success; on failure the workspace is unchanged
 */
gboolean
confab_database_restore (ConfabDatabase  *self,
                         const char      *backup_path,
                         char           **copy_path,
                         GCancellable    *cancellable,
                         GError         **error)
{
  g_autofree char *work = NULL;
  g_autofree char *copy = NULL;
  g_autoptr (ConfabDatabase) migrated = NULL;
  g_autoptr (GDateTime) now = NULL;
  g_autofree char *stamp = NULL;
  gint64 page_size = 0, work_page_size = 0, version = 0;
  gint64 app_id = 0, n_objects = 0;
  sqlite3 *source = NULL;
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (self), FALSE);
  g_return_val_if_fail (backup_path != NULL, FALSE);
  g_return_val_if_fail (self->tx_depth == 0, FALSE);

  if (copy_path != NULL)
    *copy_path = NULL;
  if (self->read_only)
    {
      confab_database_set_error (self, SQLITE_READONLY, error);
      return FALSE;
    }
  if (same_file (self->path, backup_path))
    {
      g_autofree char *name = g_filename_display_basename (backup_path);

      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("“%s” is the workspace itself, not a backup of it"), name);
      return FALSE;
    }
  if (!confab_database_validate_file (backup_path, NULL, error))
    return FALSE;

  /* A working copy beside the workspace, upgraded to this version and with
   * interrupted replies recovered, so what is copied in is current. */
  work = g_strconcat (self->path, ".restoring", NULL);
  remove_database_files (work);
  source = open_reader (backup_path, NULL, &app_id, &version, &n_objects, &rc);
  if (source == NULL)
    {
      set_sqlite_error (rc, sqlite3_errstr (rc), backup_path, FALSE, error);
      return FALSE;
    }
  if (!copy_into_new_file (source, backup_path, work, self->busy_timeout_ms, cancellable, error))
    {
      sqlite3_close_v2 (source);
      return FALSE;
    }
  sqlite3_close_v2 (source);
  migrated = open_writable (work, self->busy_timeout_ms, FALSE, error);
  if (migrated == NULL)
    goto failed;
  /* A WAL destination takes only pages of its own size. */
  if (!read_int (self->db, "PRAGMA page_size", &page_size, &rc) ||
      !read_int (migrated->db, "PRAGMA page_size", &work_page_size, &rc))
    {
      confab_database_set_error (self, rc, error);
      goto failed;
    }
  if (page_size != work_page_size)
    {
      g_autofree char *sql = g_strdup_printf ("PRAGMA journal_mode = DELETE; "
                                              "PRAGMA page_size = %" G_GINT64_FORMAT "; VACUUM;",
                                              page_size);

      if (!confab_database_exec (migrated, sql, error))
        goto failed;
    }
  g_clear_object (&migrated);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    goto failed;

  if (has_rows (self))
    {
      now = g_date_time_new_now_local ();
      stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
      copy = g_strdup_printf ("%s.before-restore-%s.bak", self->path, stamp);
      if (!copy_into_new_file (self->db, self->path, copy, self->busy_timeout_ms, cancellable,
                               error))
        goto failed;
    }

  if (!copy_into_workspace (self, work, error))
    goto failed;
  remove_database_files (work);

  /* This connection's streaming rows are gone with the old contents. */
  release_stream_locks (self);
  if (self->lock_fd >= 0)
    confab_database_exec (self, SQL_STREAM_TRIGGERS, NULL);
  if (read_int (self->db, "PRAGMA user_version", &version, &rc))
    self->schema_version = (guint) version;
  g_hash_table_remove_all (self->statements);
  emit_all_tables (self);

  if (copy_path != NULL)
    *copy_path = g_steal_pointer (&copy);
  return TRUE;

failed:
  g_clear_object (&migrated);
  remove_database_files (work);
  return FALSE;
}
