#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "confab-core-resources.h"
#include "confab-database.h"
#include "confab-error.h"
#include "confab-util.h"

#define MIGRATIONS_PATH "/io/github/confab/Confab/sql"
#define DEFAULT_BUSY_TIMEOUT_MS 5000

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
  sqlite3    *db;
  GHashTable *statements; /* sql -> sqlite3_stmt */
  guint       schema_version;

  guint       tx_depth;
  GArray     *savepoint_marks; /* pending->len at each nested level */
  GPtrArray  *pending;         /* PendingChange, emitted on outer commit */
};

G_DEFINE_FINAL_TYPE (ConfabDatabase, confab_database, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_SCHEMA_VERSION,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

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
confab_database_finalize (GObject *object)
{
  ConfabDatabase *self = (ConfabDatabase *) object;

  g_clear_pointer (&self->statements, g_hash_table_unref);
  if (self->db != NULL)
    {
      sqlite3_close_v2 (self->db);
      self->db = NULL;
    }
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->savepoint_marks, g_array_unref);
  g_clear_pointer (&self->path, g_free);

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
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_database_class_init (ConfabDatabaseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = confab_database_finalize;
  object_class->get_property = confab_database_get_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SCHEMA_VERSION] =
    g_param_spec_uint ("schema-version", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ConfabDatabase::changed:
   * @table: the table whose rows changed, also the signal detail
   * @id: (nullable): the row id
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
}

static const char *
display_name (ConfabDatabase *self)
{
  return self->path ? self->path : "";
}

void
confab_database_set_error (ConfabDatabase  *self,
                           int              rc,
                           GError         **error)
{
  g_autofree char *name = g_filename_display_basename (display_name (self));
  const char *detail = self->db ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc);

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
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_READ_ONLY,
                   _("The workspace “%s” is read-only"), name);
      break;
    case SQLITE_FULL:
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_DISK_FULL,
                   _("The disk holding the workspace “%s” is full"), name);
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

gboolean
confab_database_begin (ConfabDatabase  *self,
                       GError         **error)
{
  g_autofree char *sql = NULL;

  if (self->tx_depth == 0)
    sql = g_strdup ("BEGIN IMMEDIATE");
  else
    sql = g_strdup_printf ("SAVEPOINT sp%u", self->tx_depth);

  if (!confab_database_exec (self, sql, error))
    return FALSE;

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

  if (self->tx_depth == 1)
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

static gboolean
apply_migrations (ConfabDatabase  *self,
                  GError         **error)
{
  g_auto (GStrv) names = list_migrations ();
  guint n = g_strv_length (names);

  for (guint version = self->schema_version + 1; version <= n; version++)
    {
      const char *name = names[version - 1];
      g_autofree char *path = g_build_path ("/", MIGRATIONS_PATH, name, NULL);
      g_autoptr (GBytes) bytes = NULL;
      g_autofree char *footer = NULL;
      g_autofree char *sql = NULL;
      int rc;

      /* Files are named NNNN-what.sql; the number must match its place. */
      if ((guint) g_ascii_strtoull (name, NULL, 10) != version)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED,
                       "Migration %s is out of order", name);
          return FALSE;
        }

      bytes = g_resources_lookup_data (path, 0, error);
      if (bytes == NULL)
        return FALSE;

      footer = g_strdup_printf ("\n;PRAGMA application_id = %d;\nPRAGMA user_version = %u;\n",
                                CONFAB_APPLICATION_ID, version);
      sql = g_strconcat ((const char *) g_bytes_get_data (bytes, NULL), footer, NULL);

      if (!confab_database_begin (self, error))
        return FALSE;
      rc = sqlite3_exec (self->db, sql, NULL, NULL, NULL);
      if (rc != SQLITE_OK)
        {
          g_autofree char *base = g_filename_display_basename (display_name (self));
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED,
                       _("Could not upgrade the workspace “%s” to version %u: %s"),
                       base, version, sqlite3_errmsg (self->db));
          confab_database_rollback (self);
          return FALSE;
        }
      if (!confab_database_commit (self, error))
        return FALSE;

      self->schema_version = version;
      g_debug ("Workspace %s migrated to schema %u", self->path, version);
    }
  return TRUE;
}

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
read_pragma_int (ConfabDatabase  *self,
                 const char      *sql,
                 gint64          *out,
                 GError         **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);

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
    rc = sqlite3_extended_errcode (self->db);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_OK)
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

ConfabDatabase *
confab_database_open_full (const char  *path,
                           guint        busy_timeout_ms,
                           GError     **error)
{
  g_autoptr (ConfabDatabase) self = NULL;
  g_autofree char *name = NULL;
  gboolean is_new;
  gint64 app_id = 0, user_version = 0, n_objects = 0;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);

  ensure_resources ();
  name = g_filename_display_basename (path);

  if (!check_header (path, &is_new, error) || !check_writable (path, is_new, error))
    return NULL;

  self = g_object_new (CONFAB_TYPE_DATABASE, NULL);
  self->path = g_strdup (path);

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

  if (app_id != CONFAB_APPLICATION_ID && !(app_id == 0 && user_version == 0 && n_objects == 0))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_A_WORKSPACE,
                   _("“%s” is not a Confab workspace"), name);
      return NULL;
    }
  if (user_version > confab_database_get_latest_schema_version ())
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NEWER_VERSION,
                   _("The workspace “%s” was saved by a newer version of Confab "
                     "(schema %lld, this version reads up to %u); "
                     "update Confab to open it"),
                   name, (long long) user_version, confab_database_get_latest_schema_version ());
      return NULL;
    }
  self->schema_version = (guint) user_version;

  if (!enable_wal (self, error))
    return NULL;
  if (!confab_database_exec (self,
                             "PRAGMA foreign_keys = ON;"
                             "PRAGMA synchronous = NORMAL;"
                             "PRAGMA temp_store = MEMORY;",
                             error))
    return NULL;

  if (!apply_migrations (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

ConfabDatabase *
confab_database_open (const char  *path,
                      GError     **error)
{
  return confab_database_open_full (path, DEFAULT_BUSY_TIMEOUT_MS, error);
}

const char *
confab_database_get_path (ConfabDatabase *self)
{
  g_return_val_if_fail (CONFAB_IS_DATABASE (self), NULL);
  return self->path;
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
