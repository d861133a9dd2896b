#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "confab-error.h"
#include "confab-branch.h"
#include "confab-export.h"
#include "confab-util.h"

/* A workspace export is every row of every table as JSON. Secrets are never
 * in the database, so they can never be in an export. Full-text indexes are
 * left out: the triggers rebuild them on import. */

static const char * const tables[] = {
  "workspace", "users", "providers", "prompts", "prompt_versions", "prompt_labels",
  "prompt_test_cases", "prompt_runs", "agents",
  "teams", "team_members", "knowledge_bases", "documents", "chunks", "agent_knowledge",
  "conversations", "messages", "escalations", "audit_log", NULL
};

const char * const *
confab_export_tables (void)
{
  return tables;
}

/* Writes are buffered: a million messages must not mean a million syscalls. */
typedef struct
{
  GOutputStream *out;
  GString       *buf;
  GCancellable  *cancellable;
  GError        *error;
} Writer;

static void
writer_flush (Writer *w)
{
  if (w->error == NULL && w->buf->len > 0)
    g_output_stream_write_all (w->out, w->buf->str, w->buf->len, NULL, w->cancellable, &w->error);
  g_string_truncate (w->buf, 0);
}

static void
writer_maybe_flush (Writer *w)
{
  if (w->buf->len >= 64 * 1024)
    writer_flush (w);
}

static void
append_json_string (GString    *buf,
                    const char *s,
                    gssize      len)
{
  g_autofree char *valid = NULL;
  const char *end;

  if (len < 0)
    len = strlen (s);
  if (!g_utf8_validate (s, len, NULL))
    {
      valid = g_utf8_make_valid (s, len);
      s = valid;
      len = strlen (valid);
    }
  end = s + len;

  g_string_append_c (buf, '"');
  for (const char *p = s; p < end; p++)
    {
      unsigned char c = (unsigned char) *p;

      switch (c)
        {
        case '"': g_string_append (buf, "\\\""); break;
        case '\\': g_string_append (buf, "\\\\"); break;
        case '\n': g_string_append (buf, "\\n"); break;
        case '\r': g_string_append (buf, "\\r"); break;
        case '\t': g_string_append (buf, "\\t"); break;
        default:
          if (c < 0x20)
            g_string_append_printf (buf, "\\u%04x", c);
          else
            g_string_append_c (buf, (char) c);
        }
    }
  g_string_append_c (buf, '"');
}

static void
append_value (GString      *buf,
              sqlite3_stmt *stmt,
              int           col)
{
  switch (sqlite3_column_type (stmt, col))
    {
    case SQLITE_INTEGER:
      g_string_append_printf (buf, "%" G_GINT64_FORMAT, (gint64) sqlite3_column_int64 (stmt, col));
      break;
    case SQLITE_FLOAT:
      {
        double d = sqlite3_column_double (stmt, col);
        char num[G_ASCII_DTOSTR_BUF_SIZE];

        if (isfinite (d))
          {
            g_ascii_dtostr (num, sizeof num, d);
            g_string_append (buf, num);
            /* Keep it a float on the way back in. */
            if (strpbrk (num, ".eEn") == NULL)
              g_string_append (buf, ".0");
          }
        else
          g_string_append (buf, "null");
      }
      break;
    case SQLITE_TEXT:
      append_json_string (buf, (const char *) sqlite3_column_text (stmt, col),
                          sqlite3_column_bytes (stmt, col));
      break;
    case SQLITE_BLOB:
      {
        g_autofree char *b64 = g_base64_encode (sqlite3_column_blob (stmt, col),
                                                sqlite3_column_bytes (stmt, col));
        g_string_append_printf (buf, "{\"$base64\":\"%s\"}", b64);
      }
      break;
    default:
      g_string_append (buf, "null");
    }
}

static gboolean
write_table (ConfabDatabase *db,
             Writer         *w,
             const char     *table)
{
  g_autofree char *sql = g_strdup_printf ("SELECT * FROM %s ORDER BY rowid", table);
  sqlite3_stmt *stmt = NULL;
  gboolean first_row = TRUE;
  int rc, n;

  rc = sqlite3_prepare_v2 (confab_database_get_handle (db), sql, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      confab_database_set_error (db, rc, &w->error);
      return FALSE;
    }

  n = sqlite3_column_count (stmt);
  g_string_append (w->buf, "    ");
  append_json_string (w->buf, table, -1);
  g_string_append (w->buf, ": [");
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_string_append (w->buf, first_row ? "\n      {" : ",\n      {");
      first_row = FALSE;
      for (int i = 0; i < n; i++)
        {
          if (i > 0)
            g_string_append (w->buf, ", ");
          append_json_string (w->buf, sqlite3_column_name (stmt, i), -1);
          g_string_append (w->buf, ": ");
          append_value (w->buf, stmt, i);
        }
      g_string_append_c (w->buf, '}');
      writer_maybe_flush (w);
      if (w->error != NULL || g_cancellable_set_error_if_cancelled (w->cancellable, &w->error))
        break;
    }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE && w->error == NULL)
    confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)), &w->error);
  sqlite3_finalize (stmt);
  g_string_append (w->buf, first_row ? "]" : "\n    ]");
  return w->error == NULL;
}

gboolean
confab_export_write (ConfabDatabase  *db,
                     GOutputStream   *out,
                     GCancellable    *cancellable,
                     GError         **error)
{
  sqlite3 *handle = confab_database_get_handle (db);
  g_autoptr (GString) buf = g_string_sized_new (128 * 1024);
  g_autofree char *now = confab_now_iso8601 ();
  Writer w = { out, buf, cancellable, NULL };

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (out), FALSE);

  /* One read transaction: a consistent snapshot while others write. */
  if (sqlite3_exec (handle, "SAVEPOINT confab_export", NULL, NULL, NULL) != SQLITE_OK)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (handle), error);
      return FALSE;
    }

  g_string_append_printf (buf,
                          "{\n  \"format\": \"%s\",\n  \"format_version\": %d,\n"
                          "  \"schema_version\": %u,\n  \"exported_at\": \"%s\",\n"
                          "  \"tables\": {\n",
                          CONFAB_EXPORT_FORMAT, CONFAB_EXPORT_FORMAT_VERSION,
                          confab_database_get_schema_version (db), now);
  for (guint i = 0; tables[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (buf, ",\n");
      if (!write_table (db, &w, tables[i]))
        break;
    }
  if (w.error == NULL)
    {
      g_string_append (buf, "\n  }\n}\n");
      writer_flush (&w);
    }

  sqlite3_exec (handle, "RELEASE confab_export", NULL, NULL, NULL);
  if (w.error != NULL)
    {
      g_propagate_error (error, w.error);
      return FALSE;
    }
  return TRUE;
}

gboolean
confab_export_to_file (ConfabDatabase  *db,
                       GFile           *file,
                       GCancellable    *cancellable,
                       GError         **error)
{
  g_autoptr (GFileOutputStream) out = NULL;
  g_autoptr (GError) local_error = NULL;

  /* g_file_replace writes a temporary file and renames it on close, so a
   * failed export never leaves a half-written file in place. */
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_PRIVATE, cancellable, error);
  if (out == NULL)
    return FALSE;
  if (!confab_export_write (db, G_OUTPUT_STREAM (out), cancellable, &local_error))
    {
      g_autoptr (GCancellable) abandon = g_cancellable_new ();

      g_cancellable_cancel (abandon);
      g_output_stream_close (G_OUTPUT_STREAM (out), abandon, NULL);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, error);
}

/* Import */

static gboolean
is_empty (ConfabDatabase  *db,
          GError         **error)
{
  for (guint i = 0; tables[i] != NULL; i++)
    {
      g_autofree char *sql = NULL;
      gint64 n;

      if (strcmp (tables[i], "workspace") == 0)
        continue;
      sql = g_strdup_printf ("SELECT EXISTS (SELECT 1 FROM %s)", tables[i]);
      n = confab_database_query_int (db, sql, NULL, error);
      if (n != 0)
        return FALSE;
    }
  return TRUE;
}

static GHashTable *
table_columns (ConfabDatabase *db,
               const char     *table)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA table_info (%s)", table);
  GHashTable *columns = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (confab_database_get_handle (db), sql, -1, &stmt, NULL) == SQLITE_OK)
    while (sqlite3_step (stmt) == SQLITE_ROW)
      g_hash_table_add (columns, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
  sqlite3_finalize (stmt);
  return columns;
}

static gboolean
bind_node (sqlite3_stmt  *stmt,
           int            index,
           JsonNode      *node,
           GError       **error)
{
  if (JSON_NODE_HOLDS_NULL (node))
    return sqlite3_bind_null (stmt, index) == SQLITE_OK;

  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *obj = json_node_get_object (node);
      const char *b64 = json_object_has_member (obj, "$base64")
                          ? json_object_get_string_member_with_default (obj, "$base64", NULL) : NULL;
      guchar *data;
      gsize len;

      if (b64 == NULL)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("The file holds a value this version of Confab cannot read"));
          return FALSE;
        }
      data = g_base64_decode (b64, &len);
      sqlite3_bind_blob (stmt, index, data, (int) len, g_free);
      return TRUE;
    }

  if (!JSON_NODE_HOLDS_VALUE (node))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The file holds a value this version of Confab cannot read"));
      return FALSE;
    }

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      sqlite3_bind_int64 (stmt, index, json_node_get_int (node));
      break;
    case G_TYPE_DOUBLE:
      sqlite3_bind_double (stmt, index, json_node_get_double (node));
      break;
    case G_TYPE_BOOLEAN:
      sqlite3_bind_int (stmt, index, json_node_get_boolean (node) ? 1 : 0);
      break;
    case G_TYPE_STRING:
      sqlite3_bind_text (stmt, index, json_node_get_string (node), -1, SQLITE_TRANSIENT);
      break;
    default:
      sqlite3_bind_null (stmt, index);
    }
  return TRUE;
}

static gboolean
import_table (ConfabDatabase  *db,
              const char      *table,
              JsonArray       *rows,
              guint64         *n_rows,
              GCancellable    *cancellable,
              GError         **error)
{
  g_autoptr (GHashTable) columns = table_columns (db, table);
  sqlite3 *handle = confab_database_get_handle (db);
  guint n = json_array_get_length (rows);

  for (guint i = 0; i < n; i++)
    {
      JsonNode *row_node = json_array_get_element (rows, i);
      g_autoptr (GString) sql = NULL;
      g_autoptr (GList) members = NULL;
      sqlite3_stmt *stmt = NULL;
      JsonObject *row;
      guint k = 0;
      int rc;

      if (!JSON_NODE_HOLDS_OBJECT (row_node))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Row %u of “%s” in the file is not an object"), i + 1, table);
          return FALSE;
        }
      row = json_node_get_object (row_node);
      members = json_object_get_members (row);

      sql = g_string_new (NULL);
      g_string_append_printf (sql, "INSERT INTO %s (", table);
      for (GList *l = members; l != NULL; l = l->next, k++)
        {
          if (!g_hash_table_contains (columns, l->data))
            {
              g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                           _("The file has an unknown field “%s” in “%s”"),
                           (const char *) l->data, table);
              return FALSE;
            }
          g_string_append_printf (sql, "%s\"%s\"", k ? ", " : "", (const char *) l->data);
        }
      g_string_append (sql, ") VALUES (");
      for (guint j = 0; j < k; j++)
        g_string_append (sql, j ? ", ?" : "?");
      g_string_append (sql, ")");

      rc = sqlite3_prepare_v2 (handle, sql->str, -1, &stmt, NULL);
      if (rc != SQLITE_OK)
        {
          confab_database_set_error (db, rc, error);
          return FALSE;
        }
      k = 0;
      for (GList *l = members; l != NULL; l = l->next, k++)
        if (!bind_node (stmt, k + 1, json_object_get_member (row, l->data), error))
          {
            sqlite3_finalize (stmt);
            return FALSE;
          }
      rc = sqlite3_step (stmt);
      sqlite3_finalize (stmt);
      if (rc != SQLITE_DONE)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Row %u of “%s” in the file was refused: %s"),
                       i + 1, table, sqlite3_errmsg (handle));
          return FALSE;
        }
      (*n_rows)++;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
confab_import_from_file (ConfabDatabase  *db,
                         GFile           *file,
                         const char      *actor_id,
                         guint64         *n_rows_out,
                         GCancellable    *cancellable,
                         GError         **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local_error = NULL;
  g_autofree char *name = g_file_get_basename (file);
  g_autofree char *details = NULL;
  g_autofree char *escaped = NULL;
  JsonObject *root, *tables_obj;
  const char *format;
  guint64 n_rows = 0;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);

  if (!json_parser_load_from_mapped_file (parser, g_file_peek_path (file), &local_error))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("“%s” is not a readable Confab export: %s"), name, local_error->message);
      return FALSE;
    }

  root = JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))
           ? json_node_get_object (json_parser_get_root (parser)) : NULL;
  format = root ? json_object_get_string_member_with_default (root, "format", NULL) : NULL;
  if (g_strcmp0 (format, CONFAB_EXPORT_FORMAT) != 0 ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "tables")))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("“%s” is not a Confab workspace export"), name);
      return FALSE;
    }
  if (json_object_get_int_member_with_default (root, "format_version", 0) > CONFAB_EXPORT_FORMAT_VERSION ||
      json_object_get_int_member_with_default (root, "schema_version", 0) >
        (gint64) confab_database_get_schema_version (db))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NEWER_VERSION,
                   _("“%s” was exported by a newer version of Confab; update Confab to import it"),
                   name);
      return FALSE;
    }
  tables_obj = json_object_get_object_member (root, "tables");

  if (!is_empty (db, &local_error))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                     _("The workspace is not empty: import “%s” into a new workspace"), name);
      return FALSE;
    }

  {
    g_autoptr (GList) members = json_object_get_members (tables_obj);

    for (GList *l = members; l != NULL; l = l->next)
      if (!g_strv_contains (tables, l->data))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("“%s” has an unknown table “%s”"), name, (const char *) l->data);
          return FALSE;
        }
  }

  if (!confab_database_begin (db, error))
    return FALSE;
  /* Rows reference each other (messages their parents): check at commit. */
  if (!confab_database_exec (db, "PRAGMA defer_foreign_keys = ON", error))
    goto rollback;
  /* The new workspace keeps its own identity rows. */
  if (!confab_database_exec (db, "DELETE FROM workspace", error))
    goto rollback;

  for (guint i = 0; tables[i] != NULL; i++)
    {
      JsonNode *node = json_object_get_member (tables_obj, tables[i]);

      if (node == NULL)
        continue;
      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("“%s” in the file is not a list of rows"), tables[i]);
          goto rollback;
        }
      if (!import_table (db, tables[i], json_node_get_array (node), &n_rows, cancellable, error))
        goto rollback;
    }

  /* Files from before branches were stored (schema 3 and older) have no
   * depth or active branch: they follow from the parent links. */
  if (!confab_branch_rebuild (db, NULL, error))
    goto rollback;

  if (confab_database_query_int (db, "SELECT count(*) FROM pragma_foreign_key_check", NULL, NULL) > 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("“%s” refers to records it does not contain"), name);
      goto rollback;
    }

  {
    GString *tmp = g_string_new (NULL);

    append_json_string (tmp, name, -1);
    escaped = g_string_free (tmp, FALSE);
  }
  details = g_strdup_printf ("{\"source\": %s, \"rows\": %" G_GUINT64_FORMAT "}", escaped, n_rows);
  if (!confab_database_audit (db, actor_id, "workspace", NULL, "import", details, error))
    goto rollback;
  for (guint i = 0; tables[i] != NULL; i++)
    confab_database_notify_change (db, tables[i], NULL, "create");
  if (!confab_database_commit (db, error))
    return FALSE;

  if (n_rows_out != NULL)
    *n_rows_out = n_rows;
  return TRUE;

rollback:
  confab_database_rollback (db);
  return FALSE;
}
