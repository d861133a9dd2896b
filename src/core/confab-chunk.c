#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-chunk.h"
#include "confab-document.h"
#include "confab-error.h"
#include "confab-repository.h"
#include "confab-util.h"

struct _ConfabChunk
{
  ConfabEntity parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabChunk, confab_chunk, CONFAB_TYPE_ENTITY)

enum {
  PROP_0,
  PROP_DOCUMENT_ID,
  PROP_KNOWLEDGE_BASE_ID,
  PROP_ORDINAL,
  PROP_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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

/* The knowledge base of a document: a new string, NULL when the document
 * does not exist (error left unset) or on error. */
static char *
dup_document_kb (ConfabDatabase  *db,
                 const char      *document_id,
                 GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  stmt = confab_database_prepare (db, "SELECT knowledge_base_id FROM documents WHERE id = ?",
                                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, document_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    set_step_error (db, error);
  return NULL;
}

static gboolean
confab_chunk_before_insert (ConfabEntity    *entity,
                            ConfabDatabase  *db,
                            GError         **error)
{
  ConfabChunk *self = CONFAB_CHUNK (entity);
  const char *document_id = confab_chunk_get_document_id (self);

  if (!is_set (document_id))
    return TRUE; /* validate says why */

  if (!is_set (confab_chunk_get_knowledge_base_id (self)))
    {
      GError *local_error = NULL;
      g_autofree char *kb_id = dup_document_kb (db, document_id, &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      confab_chunk_set_knowledge_base_id (self, kb_id);
    }

  if (confab_chunk_get_ordinal (self) < 0)
    {
      gint64 next;

      next = confab_database_query_int (db,
                                        "SELECT coalesce (max (ordinal), -1) + 1 FROM chunks "
                                        "WHERE document_id = ?",
                                        document_id, error);
      if (next < 0)
        return FALSE;
      confab_chunk_set_ordinal (self, (int) next);
    }
  return TRUE;
}

static gboolean
confab_chunk_validate (ConfabEntity    *entity,
                       ConfabDatabase  *db,
                       GError         **error)
{
  ConfabChunk *self = CONFAB_CHUNK (entity);
  const char *document_id = confab_chunk_get_document_id (self);
  GError *local_error = NULL;
  g_autofree char *kb_id = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;

  if (!is_set (document_id))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("A chunk must belong to a document"));
      return FALSE;
    }
  kb_id = dup_document_kb (db, document_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (kb_id == NULL)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The %s “%s” does not exist"),
                   confab_entity_field_label (properties[PROP_DOCUMENT_ID]), document_id);
      return FALSE;
    }
  if (g_strcmp0 (kb_id, confab_chunk_get_knowledge_base_id (self)) != 0)
    {
      const char *named = confab_chunk_get_knowledge_base_id (self);

      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The chunk names the knowledge base “%s”, "
                     "but its document belongs to “%s”"),
                   named ? named : "", kb_id);
      return FALSE;
    }

  if (!confab_check_text (confab_entity_field_label (properties[PROP_TEXT]),
                          confab_chunk_get_text (self), 1, 0, error))
    return FALSE;

  if (confab_chunk_get_ordinal (self) < 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The position %d of a chunk cannot be negative"),
                   confab_chunk_get_ordinal (self));
      return FALSE;
    }

  stmt = confab_database_prepare (db,
                                  "SELECT EXISTS (SELECT 1 FROM chunks WHERE document_id = ? "
                                  "AND ordinal = ? AND id IS NOT ?)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, document_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 2, confab_chunk_get_ordinal (self));
  sqlite3_bind_text (stmt, 3, confab_entity_get_id (entity), -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int (stmt, 0) != 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                   _("The document already has a chunk at position %d"),
                   confab_chunk_get_ordinal (self));
      return FALSE;
    }
  return TRUE;
}

static void
confab_chunk_class_init (ConfabChunkClass *klass)
{
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  entity_class->table = "chunks";
  entity_class->entity_name = "chunk";
  entity_class->label = N_("chunk");
  entity_class->default_order = "document_id, ordinal";
  entity_class->validate = confab_chunk_validate;
  entity_class->before_insert = confab_chunk_before_insert;

  properties[PROP_DOCUMENT_ID] =
    g_param_spec_string ("document-id", N_("document"), NULL, NULL, flags);
  properties[PROP_KNOWLEDGE_BASE_ID] =
    g_param_spec_string ("knowledge-base-id", N_("knowledge base"), NULL, NULL, flags);
  properties[PROP_ORDINAL] =
    g_param_spec_int ("ordinal", N_("position"), NULL, -1, G_MAXINT, -1, flags);
  properties[PROP_TEXT] =
    g_param_spec_string ("text", N_("text"), NULL, NULL, flags | CONFAB_PARAM_NO_AUDIT);
  confab_entity_class_install_columns (entity_class, N_PROPS, properties);
}

static void
confab_chunk_init (ConfabChunk *self)
{
}

ConfabChunk *
confab_chunk_new (const char *document_id,
                  const char *text)
{
  return g_object_new (CONFAB_TYPE_CHUNK, "document-id", document_id, "text", text, NULL);
}

CONFAB_DEFINE_STRING_ACCESSORS (confab_chunk, ConfabChunk, document_id,
                                properties[PROP_DOCUMENT_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_chunk, ConfabChunk, knowledge_base_id,
                                properties[PROP_KNOWLEDGE_BASE_ID])
CONFAB_DEFINE_INT_ACCESSORS (confab_chunk, ConfabChunk, ordinal, int, properties[PROP_ORDINAL])
CONFAB_DEFINE_STRING_ACCESSORS (confab_chunk, ConfabChunk, text, properties[PROP_TEXT])

/**
 * confab_document_replace_chunks:
 * @texts: (nullable) (array zero-terminated=1): the new chunk texts, in order
 * @actor_id: (nullable): the user (or %NULL for the indexer)
 *
 * Replaces all chunks of the document with @texts (ordinals 0..n-1) and
 * marks the document "indexed", in one transaction. Each text must be
 * non-empty UTF-8; one bad text refuses the whole set and keeps the old
 * chunks.
 *
 * Chunks are derived data, rebuilt whenever a document is indexed again: a
 * snapshot per chunk would multiply the audit log by the size of every
 * document without telling anyone anything. So the whole replacement is one
 * audit row: entity "document", action "update", details {"chunks": n}.
 */
gboolean
confab_document_replace_chunks (ConfabDatabase      *db,
                                const char          *document_id,
                                const char * const  *texts,
                                const char          *actor_id,
                                GError             **error)
{
  g_autoptr (ConfabDocument) document = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *details = NULL;
  g_autofree char *now = NULL;
  const char *kb_id;
  guint n = texts ? g_strv_length ((char **) texts) : 0;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (document_id != NULL, FALSE);

  for (guint i = 0; i < n; i++)
    {
      if (!g_utf8_validate (texts[i], -1, NULL))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Chunk %u of the document is not valid UTF-8 text"), i);
          return FALSE;
        }
      if (*texts[i] == '\0')
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Chunk %u of the document is empty"), i);
          return FALSE;
        }
    }

  if (!confab_database_begin (db, error))
    return FALSE;

  document = confab_repository_get (db, CONFAB_TYPE_DOCUMENT, document_id, error);
  if (document == NULL)
    goto rollback;
  kb_id = confab_document_get_knowledge_base_id (document);
  now = confab_now_iso8601 ();

  /* The FTS triggers on chunks keep chunks_fts in step with both statements. */
  stmt = confab_database_prepare (db, "DELETE FROM chunks WHERE document_id = ?", error);
  if (stmt == NULL)
    goto rollback;
  sqlite3_bind_text (stmt, 1, document_id, -1, SQLITE_TRANSIENT);
  if (!confab_database_step_done (db, stmt, error))
    goto rollback;
  sqlite3_reset (g_steal_pointer (&stmt));

  stmt = confab_database_prepare (db,
                                  "INSERT INTO chunks (id, document_id, knowledge_base_id, "
                                  "ordinal, text, created_at, updated_at) "
                                  "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  error);
  if (stmt == NULL)
    goto rollback;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = confab_new_id ();

      sqlite3_reset (stmt);
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, document_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, kb_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (stmt, 4, (int) i);
      sqlite3_bind_text (stmt, 5, texts[i], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 6, now, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 7, now, -1, SQLITE_STATIC);
      if (!confab_database_step_done (db, stmt, error))
        goto rollback;
    }
  sqlite3_reset (g_steal_pointer (&stmt));

  stmt = confab_database_prepare (db,
                                  "UPDATE documents SET status = 'indexed', error = NULL, "
                                  "updated_at = ? WHERE id = ?",
                                  error);
  if (stmt == NULL)
    goto rollback;
  sqlite3_bind_text (stmt, 1, now, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, document_id, -1, SQLITE_TRANSIENT);
  if (!confab_database_step_done (db, stmt, error))
    goto rollback;

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "chunks");
  json_builder_add_int_value (builder, n);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  details = json_to_string (root, FALSE);
  if (!confab_database_audit (db, actor_id, "document", document_id, "update", details, error))
    goto rollback;

  confab_database_notify_change (db, "chunks", NULL, "update");
  confab_database_notify_change (db, "documents", document_id, "update");
  return confab_database_commit (db, error);

rollback:
  confab_database_rollback (db);
  return FALSE;
}

/* Search */

static gboolean
has_word_character (const char *term)
{
  for (const char *p = term; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_isalnum (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

/* Every word of what a person typed becomes a quoted FTS5 phrase (inner
 * quotes doubled), so nothing they type is read as FTS5 syntax: "AND",
 * NEAR(, a lone quote or a column filter are plain words. Words without a
 * letter or digit match nothing and are dropped. */
static GPtrArray *
quote_terms (const char *query)
{
  g_auto (GStrv) words = g_strsplit_set (query, " \t\n\r\f\v", -1);
  GPtrArray *terms = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; words[i] != NULL; i++)
    {
      GString *quoted;

      if (!has_word_character (words[i]))
        continue;
      quoted = g_string_new ("\"");
      for (const char *p = words[i]; *p != '\0'; p++)
        {
          if (*p == '"')
            g_string_append_c (quoted, '"');
          g_string_append_c (quoted, *p);
        }
      g_string_append_c (quoted, '"');
      g_ptr_array_add (terms, g_string_free (quoted, FALSE));
    }
  return terms;
}

static char *
join_terms (GPtrArray  *terms,
            const char *separator)
{
  g_ptr_array_add (terms, NULL);
  {
    char *joined = g_strjoinv (separator, (char **) terms->pdata);

    g_ptr_array_remove_index (terms, terms->len - 1);
    return joined;
  }
}

static gboolean
run_search (ConfabDatabase  *db,
            const char      *kb_id,
            const char      *query,
            const char      *match,
            guint            limit,
            GPtrArray       *results,
            GHashTable      *seen,
            GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  const char *sql;
  int rc = SQLITE_DONE;

  if (kb_id != NULL)
    sql = "SELECT c.* FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
          "WHERE chunks_fts MATCH ?1 AND c.knowledge_base_id = ?3 "
          "ORDER BY bm25 (chunks_fts), c.document_id, c.ordinal LIMIT ?2";
  else
    sql = "SELECT c.* FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid "
          "WHERE chunks_fts MATCH ?1 "
          "ORDER BY bm25 (chunks_fts), c.document_id, c.ordinal LIMIT ?2";

  stmt = confab_database_prepare (db, sql, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, match, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, limit > 0 ? (gint64) limit : -1);
  if (kb_id != NULL)
    sqlite3_bind_text (stmt, 3, kb_id, -1, SQLITE_TRANSIENT);

  while ((limit == 0 || results->len < limit) && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *id = (const char *) sqlite3_column_text (stmt, 0);

      if (g_hash_table_contains (seen, id))
        continue;
      g_hash_table_add (seen, g_strdup (id));
      g_ptr_array_add (results, confab_entity_new_from_stmt (CONFAB_TYPE_CHUNK, stmt));
    }
  if (limit > 0 && results->len >= limit)
    return TRUE;
  if (rc != SQLITE_DONE)
    {
      const char *message = sqlite3_errmsg (confab_database_get_handle (db));

      /* Quoting should leave nothing for FTS5 to choke on; should it still,
       * say so about the query instead of showing SQLite's words. */
      if (strstr (message, "fts5") != NULL)
        g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                     _("The search “%s” could not be understood"), query);
      else
        set_step_error (db, error);
      return FALSE;
    }
  return TRUE;
}

/**
 * confab_knowledge_search:
 * @kb_id: (nullable): the knowledge base to search, %NULL for all
 * @query: what a person (or an agent's user) typed
 * @limit: the most chunks to return, 0 for no limit
 *
 * Finds the chunks that best match @query with FTS5's BM25 ranking. Every
 * word is searched for literally (FTS5 operators and quotes in @query are
 * plain text, so any input is accepted). Chunks holding all the words come
 * first, by rank; when they are fewer than @limit, chunks holding some of
 * the words fill the rest, by rank, so a question phrased in many words
 * still finds its passage. A query without any word returns no chunk.
 *
 * Returns: (transfer full) (element-type ConfabChunk): the chunks, best
 *   first, or %NULL on error
 */
GPtrArray *
confab_knowledge_search (ConfabDatabase  *db,
                         const char      *kb_id,
                         const char      *query,
                         guint            limit,
                         GError         **error)
{
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (GPtrArray) terms = NULL;
  g_autoptr (GHashTable) seen = NULL;
  g_autofree char *all_words = NULL;
  gboolean ok;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  if (!g_utf8_validate (query, -1, NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The search text is not valid UTF-8 text"));
      return NULL;
    }

  results = g_ptr_array_new_with_free_func (g_object_unref);
  terms = quote_terms (query);
  if (terms->len == 0)
    return g_steal_pointer (&results);

  seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  all_words = join_terms (terms, " ");
  ok = run_search (db, kb_id, query, all_words, limit, results, seen, error);
  if (ok && terms->len > 1 && (limit == 0 || results->len < limit))
    {
      g_autofree char *any_word = join_terms (terms, " OR ");

      ok = run_search (db, kb_id, query, any_word, limit, results, seen, error);
    }
  if (!ok)
    return NULL;
  return g_steal_pointer (&results);
}
