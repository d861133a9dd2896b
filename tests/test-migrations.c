/* Schema migrations, from each earlier version: every workspace fixture in
 * tests/data (workspace-vN.sql, a workspace as schema N wrote it) is loaded
 * with the SQLite API, opened with ConfabDatabase (which upgrades it), and
 * compared row by row and column by column with what it held before. A
 * new schema version only adds a fixture (tests/data/make-workspace-fixtures.py).
 *
 * Also: a failed migration rolls everything back and leaves the file as it
 * was, and a copy (PATH.vN.bak) is made before any upgrade. */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "confab-test-util.h"

/* Rows compared over the whole run, for the report. */
static guint64 rows_checked;

static char *
fixture_dir (void)
{
  return g_test_build_filename (G_TEST_DIST, "data", NULL);
}

/* Every tests/data/workspace-vN.sql, by version. */
static GPtrArray *
list_fixtures (void)
{
  g_autofree char *dir_path = fixture_dir ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, &error);
  GPtrArray  *names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    if (g_str_has_prefix (name, "workspace-v") && g_str_has_suffix (name, ".sql"))
      g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, (GCompareFunc) g_strcmp0);
  return names;
}

static guint
fixture_version (const char *name)
{
  return (guint) g_ascii_strtoull (name + strlen ("workspace-v"), NULL, 10);
}

/* Loads a fixture into path with plain SQLite, as the old version left it. */
static void
load_fixture (const char *name, const char *path)
{
  g_autofree char *dir = fixture_dir ();
  g_autofree char *file = g_build_filename (dir, name, NULL);
  g_autofree char *sql = NULL;
  g_autoptr (GError) error = NULL;
  sqlite3 *db = NULL;
  char    *message = NULL;

  g_file_get_contents (file, &sql, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s does not load: %s", name, message);
  sqlite3_close (db);
}

static gint64
raw_int (sqlite3 *db, const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64        n;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

static sqlite3 *
open_raw (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  return db;
}

/* The tables with rows of their own (no FTS5 index, no SQLite internals). */
static GPtrArray *
data_tables (sqlite3 *db)
{
  GPtrArray    *tables = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "SELECT name FROM sqlite_master WHERE type = 'table' "
                                       "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                                       "AND name NOT LIKE '%\\_fts%' ESCAPE '\\' ORDER BY name",
                                       -1, &stmt, NULL),
                   ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (tables, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  return tables;
}

/* "a = ? AND b = ?" over the table's primary key (rowid without one). */
static GPtrArray *
key_columns (sqlite3 *db, const char *table)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA table_info (\"%s\")", table);
  GPtrArray       *keys = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt    *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    if (sqlite3_column_int (stmt, 5) > 0)
      g_ptr_array_add (keys, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
  sqlite3_finalize (stmt);
  if (keys->len == 0)
    g_ptr_array_add (keys, g_strdup ("rowid"));
  return keys;
}

static gboolean
values_equal (sqlite3_value *a, sqlite3_value *b)
{
  int type = sqlite3_value_type (a);

  if (type != sqlite3_value_type (b))
    return FALSE;
  switch (type)
    {
    case SQLITE_NULL:
      return TRUE;
    case SQLITE_INTEGER:
      return sqlite3_value_int64 (a) == sqlite3_value_int64 (b);
    case SQLITE_FLOAT:
      return sqlite3_value_double (a) == sqlite3_value_double (b);
    default:
      /* An empty value's blob may be NULL. */
      return sqlite3_value_bytes (a) == sqlite3_value_bytes (b) &&
             (sqlite3_value_bytes (a) == 0 ||
              memcmp (sqlite3_value_blob (a), sqlite3_value_blob (b),
                      sqlite3_value_bytes (a)) == 0);
    }
}

/* A reply the old version left `streaming` is recovered on open: only its
 * status, error and updated_at may differ. */
static gboolean
may_differ (const char *table, sqlite3_stmt *old_row, int n_columns, const char *column)
{
  if (g_strcmp0 (table, "messages") != 0)
    return FALSE;
  for (int i = 0; i < n_columns; i++)
    if (g_strcmp0 (sqlite3_column_name (old_row, i), "status") == 0)
      return g_strcmp0 ((const char *) sqlite3_column_text (old_row, i), "streaming") == 0 &&
             (g_str_equal (column, "status") || g_str_equal (column, "error") ||
              g_str_equal (column, "updated_at"));
  return FALSE;
}

/* Every row of every table of before is in after, with the same value in
 * every column it had. Tables and columns added later are not compared.
 * Returns the number of rows compared. */
static guint
assert_rows_kept (const char *label, const char *before_path, const char *after_path)
{
  sqlite3 *before = open_raw (before_path);
  sqlite3 *after = open_raw (after_path);
  g_autoptr (GPtrArray) tables = data_tables (before);
  guint n_rows = 0;

  for (guint t = 0; t < tables->len; t++)
    {
      const char *table = g_ptr_array_index (tables, t);
      g_autoptr (GPtrArray) keys = key_columns (before, table);
      g_autofree char *all = g_strdup_printf ("SELECT * FROM \"%s\"", table);
      g_autoptr (GString) lookup = g_string_new (NULL);
      sqlite3_stmt *rows = NULL;
      sqlite3_stmt *find = NULL;
      gint64        n_before, n_after;

      g_string_printf (lookup, "SELECT * FROM \"%s\" WHERE ", table);
      for (guint k = 0; k < keys->len; k++)
        g_string_append_printf (lookup, "%s\"%s\" IS ?%u", k > 0 ? " AND " : "",
                                (const char *) g_ptr_array_index (keys, k), k + 1);

      {
        g_autofree char *count = g_strdup_printf ("SELECT count(*) FROM \"%s\"", table);

        n_before = raw_int (before, count);
        n_after = raw_int (after, count);
      }
      /* The audit log may gain the recovery's rows; nothing else grows. */
      if (g_str_equal (table, "audit_log") ? n_after < n_before : n_after != n_before)
        g_error ("%s: table %s had %" G_GINT64_FORMAT " rows, now %" G_GINT64_FORMAT, label, table,
                 n_before, n_after);

      g_assert_cmpint (sqlite3_prepare_v2 (before, all, -1, &rows, NULL), ==, SQLITE_OK);
      if (sqlite3_prepare_v2 (after, lookup->str, -1, &find, NULL) != SQLITE_OK)
        g_error ("%s: table %s is gone or changed its key: %s", label, table,
                 sqlite3_errmsg (after));

      while (sqlite3_step (rows) == SQLITE_ROW)
        {
          int n_columns = sqlite3_column_count (rows);

          if (g_str_equal (g_ptr_array_index (keys, 0), "rowid"))
            g_error ("%s: table %s has no primary key to compare by", label, table);
          sqlite3_reset (find);
          for (guint k = 0; k < keys->len; k++)
            for (int c = 0; c < n_columns; c++)
              if (g_str_equal (sqlite3_column_name (rows, c), g_ptr_array_index (keys, k)))
                sqlite3_bind_value (find, k + 1, sqlite3_column_value (rows, c));
          if (sqlite3_step (find) != SQLITE_ROW)
            g_error ("%s: a row of %s is missing after the upgrade", label, table);

          for (int c = 0; c < n_columns; c++)
            {
              const char *column = sqlite3_column_name (rows, c);
              int         found = -1;

              for (int d = 0; d < sqlite3_column_count (find); d++)
                if (g_str_equal (sqlite3_column_name (find, d), column))
                  found = d;
              if (found < 0)
                g_error ("%s: column %s.%s is gone", label, table, column);
              if (!values_equal (sqlite3_column_value (rows, c),
                                 sqlite3_column_value (find, found)) &&
                  !may_differ (table, rows, n_columns, column))
                g_error ("%s: %s.%s changed from “%s” to “%s”", label, table, column,
                         (const char *) sqlite3_column_text (rows, c),
                         (const char *) sqlite3_column_text (find, found));
            }
          n_rows++;
        }
      sqlite3_finalize (rows);
      sqlite3_finalize (find);
    }

  sqlite3_close (before);
  sqlite3_close (after);
  return n_rows;
}

static void
copy_file (const char *from, const char *to)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  gsize            len = 0;

  g_file_get_contents (from, &data, &len, &error);
  g_assert_no_error (error);
  g_file_set_contents (to, data, len, &error);
  g_assert_no_error (error);
}

static void
test_fixtures_exist (void)
{
  g_autoptr (GPtrArray) names = list_fixtures ();

  /* One per version before the current one, at least 1..3. */
  g_assert_cmpuint (names->len, >=, 3);
  for (guint i = 0; i < names->len; i++)
    {
      guint version = fixture_version (g_ptr_array_index (names, i));

      g_assert_cmpuint (version, >=, 1);
      g_assert_cmpuint (version, <=, confab_database_get_latest_schema_version ());
    }
}

static void
test_upgrade (gconstpointer data)
{
  const char *name = data;
  guint       version = fixture_version (name);
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = g_build_filename (ws->dir, "old.confab", NULL);
  g_autofree char *before = g_build_filename (ws->dir, "before.db", NULL);
  g_autofree char *bak = g_strdup_printf ("%s.v%u.bak", path, version);
  g_autoptr (ConfabDatabase) db = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (ConfabMessage) streamed = NULL;
  g_autoptr (GPtrArray) hits = NULL;
  guint latest = confab_database_get_latest_schema_version ();
  guint n;

  load_fixture (name, path);
  copy_file (path, before);
  {
    sqlite3 *raw = open_raw (path);

    g_assert_cmpint (raw_int (raw, "PRAGMA user_version"), ==, version);
    sqlite3_close (raw);
  }

  db = confab_database_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (confab_database_get_schema_version (db), ==, latest);
  g_assert_cmpint (confab_test_count_rows (db, "PRAGMA user_version"), ==, latest);
  g_assert_cmpint (confab_test_count_rows (db, "PRAGMA integrity_check = 1"), ==, 0);
  g_assert_cmpint (confab_test_count_rows (db, "SELECT count(*) FROM pragma_foreign_key_check"), ==,
                   0);

  /* A few values read back through the entities. */
  user = confab_repository_get (db, CONFAB_TYPE_USER, "u-tom", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_user_get_name (user), ==, "Tomás Reyes");
  g_assert_cmpstr (confab_user_get_persona (user), ==, "Front desk; speaks Spanish");
  agent = confab_repository_get (db, CONFAB_TYPE_AGENT, "a-helper", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_agent_get_system_prompt (agent), ==, "You take bakery orders. Be brief.");
  g_assert_nonnull (strstr (confab_agent_get_config (agent), "Opening hours"));
  g_assert_cmpint (confab_test_count_rows (db, "SELECT idle_timeout_s FROM providers "
                                               "WHERE id = 'p-local'"),
                   ==, version >= 2 ? 300 : 60);

  /* The reply the old version left streaming is now an error. */
  streamed = confab_repository_get (db, CONFAB_TYPE_MESSAGE, "m-11", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_message_get_status (streamed), ==, "error");
  g_assert_cmpstr (confab_message_get_error (streamed), ==, CONFAB_DATABASE_INTERRUPTED_ERROR);
  g_assert_cmpstr (confab_message_get_content (streamed), ==, "Our sourdough is");

  /* The full-text indexes still find the old rows. */
  hits = confab_message_search (db, NULL, "birthday cake", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = confab_knowledge_search (db, NULL, "sourdough tuesdays", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, >=, 1);
  g_assert_cmpstr (confab_chunk_get_document_id (g_ptr_array_index (hits, 0)), ==, "d-faq");

  g_clear_object (&db);
  n = assert_rows_kept (name, before, path);
  g_assert_cmpuint (n, >=, 40);
  rows_checked += n;

  /* And the upgraded workspace takes new rows. */
  db = confab_database_open (path, &error);
  g_assert_no_error (error);
  g_object_unref (confab_test_add_user (db, "newcomer"));
  g_clear_object (&db);

  /* The copy made before the upgrade is the old workspace, whole. */
  if (version < latest)
    {
      guint bak_version = 0;

      g_assert_true (g_file_test (bak, G_FILE_TEST_IS_REGULAR));
      confab_database_validate_file (bak, &bak_version, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (bak_version, ==, version);
      rows_checked += assert_rows_kept (bak, before, bak);
      {
        sqlite3 *raw = open_raw (bak);
        g_assert_cmpint (raw_int (raw, "SELECT count(*) FROM messages WHERE status = 'streaming'"),
                         ==, 1);
        sqlite3_close (raw);
      }
    }
  g_test_message ("%s: %u rows kept through the upgrade from schema %u to %u", name, n, version,
                  latest);
}

/* The migration fails after part of it ran: nothing of it stays. */
static void
test_failed_upgrade (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = g_build_filename (ws->dir, "old.confab", NULL);
  g_autofree char *before = g_build_filename (ws->dir, "before.db", NULL);
  g_autofree char *bak = g_strdup_printf ("%s.v1.bak", path);
  g_autofree char *bytes_before = NULL;
  g_autofree char *bytes_after = NULL;
  g_autoptr (ConfabDatabase) db = NULL;
  g_autoptr (GError) error = NULL;
  gsize    len_before = 0, len_after = 0;
  sqlite3 *raw;

  load_fixture ("workspace-v1.sql", path);
  /* A real workspace is in WAL mode. */
  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "PRAGMA journal_mode = WAL", NULL, NULL, NULL), ==,
                   SQLITE_OK);
  sqlite3_close (raw);
  copy_file (path, before);
  g_file_get_contents (path, &bytes_before, &len_before, &error);
  g_assert_no_error (error);

  confab_database_set_test_migration ("CREATE TABLE confab_test_partial (x);"
                                      "INSERT INTO confab_test_partial VALUES (1);"
                                      "UPDATE users SET name = 'changed';"
                                      "INSERT INTO no_such_table VALUES (1);");
  db = confab_database_open (path, &error);
  confab_database_set_test_migration (NULL);
  g_assert_null (db);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "old.confab"));
  g_assert_nonnull (strstr (error->message, "no_such_table"));
  g_assert_nonnull (strstr (error->message, "left as it was"));
  g_clear_error (&error);

  /* The file is byte for byte what it was: version 1, every row. */
  g_file_get_contents (path, &bytes_after, &len_after, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (bytes_before, len_before, bytes_after, len_after);
  raw = open_raw (path);
  g_assert_cmpint (raw_int (raw, "PRAGMA user_version"), ==, 1);
  g_assert_cmpint (raw_int (raw, "SELECT count(*) FROM sqlite_master WHERE name = "
                                 "'confab_test_partial'"),
                   ==, 0);
  g_assert_cmpint (raw_int (raw, "SELECT count(*) FROM pragma_table_info ('providers') "
                                 "WHERE name = 'idle_timeout_s'"),
                   ==, 0);
  sqlite3_close (raw);
  rows_checked += assert_rows_kept ("failed upgrade", before, path);

  /* The copy was made first. */
  g_assert_true (g_file_test (bak, G_FILE_TEST_IS_REGULAR));
  rows_checked += assert_rows_kept ("copy before the failed upgrade", before, bak);

  /* Without the fault, the same file upgrades. */
  db = confab_database_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (confab_database_get_schema_version (db), ==,
                    confab_database_get_latest_schema_version ());
}

/* A current workspace is not copied: there is nothing to upgrade. */
static void
test_no_copy_when_current (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabDatabase) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = NULL;
  const char *name;

  g_clear_object (&ws->db);
  again = confab_database_open (ws->path, &error);
  g_assert_no_error (error);
  dir = g_dir_open (ws->dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (dir)) != NULL)
    g_assert_false (g_str_has_suffix (name, ".bak"));
}

/* A copy that cannot be written stops the upgrade; the file is untouched. */
static void
test_copy_fails (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = g_build_filename (ws->dir, "old.confab", NULL);
  g_autofree char *bak = g_strdup_printf ("%s.v2.bak", path);
  g_autoptr (ConfabDatabase) db = NULL;
  g_autoptr (GError) error = NULL;
  sqlite3 *raw;

  load_fixture ("workspace-v2.sql", path);
  /* A folder where the copy should go: it cannot be replaced by a file. */
  g_assert_cmpint (g_mkdir (bak, 0700), ==, 0);

  db = confab_database_open (path, &error);
  g_assert_null (db);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "not upgraded"));
  raw = open_raw (path);
  g_assert_cmpint (raw_int (raw, "PRAGMA user_version"), ==, 2);
  sqlite3_close (raw);
  g_rmdir (bak);
}

int
main (int argc, char **argv)
{
  g_autoptr (GPtrArray) names = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  names = list_fixtures ();
  g_test_add_func ("/confab/migrations/fixtures", test_fixtures_exist);
  for (guint i = 0; i < names->len; i++)
    {
      const char      *name = g_ptr_array_index (names, i);
      g_autofree char *test_path =
          g_strdup_printf ("/confab/migrations/upgrade/v%u", fixture_version (name));

      g_test_add_data_func (test_path, name, test_upgrade);
    }
  g_test_add_func ("/confab/migrations/failed-upgrade-rolls-back", test_failed_upgrade);
  g_test_add_func ("/confab/migrations/no-copy-when-current", test_no_copy_when_current);
  g_test_add_func ("/confab/migrations/copy-fails", test_copy_fails);

  status = g_test_run ();
  g_test_message ("rows checked: %" G_GUINT64_FORMAT, rows_checked);
  return status;
}
