#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-chunk.h"
#include "confab-error.h"
#include "confab-retriever.h"

/* Retrieval with citations: the chunks of some knowledge bases that best
 * match a question (confab_knowledge_search(): FTS5 BM25, every word quoted),
 * with where they come from and a snippet; the JSON an assistant message
 * keeps of them in source_references; and the way back from that JSON to the
 * chunks that still exist. */

G_DEFINE_BOXED_TYPE (ConfabRetrievedChunk, confab_retrieved_chunk,
                     confab_retrieved_chunk_copy, confab_retrieved_chunk_free)

ConfabRetrievedChunk *
confab_retrieved_chunk_copy (const ConfabRetrievedChunk *self)
{
  ConfabRetrievedChunk *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_new0 (ConfabRetrievedChunk, 1);
  copy->chunk_id = g_strdup (self->chunk_id);
  copy->document_id = g_strdup (self->document_id);
  copy->knowledge_base_id = g_strdup (self->knowledge_base_id);
  copy->filename = g_strdup (self->filename);
  copy->ordinal = self->ordinal;
  copy->text = g_strdup (self->text);
  copy->snippet = g_strdup (self->snippet);
  copy->rank = self->rank;
  return copy;
}

void
confab_retrieved_chunk_free (ConfabRetrievedChunk *self)
{
  if (self == NULL)
    return;
  g_free (self->chunk_id);
  g_free (self->document_id);
  g_free (self->knowledge_base_id);
  g_free (self->filename);
  g_free (self->text);
  g_free (self->snippet);
  g_free (self);
}

/* Snippets */

/* A word as FTS5's unicode61 tokenizer with remove_diacritics compares it:
 * case folded, accents dropped. */
static char *
fold_word (const char *word,
           gssize      len)
{
  g_autofree char *folded = g_utf8_casefold (word, len);
  g_autofree char *decomposed = g_utf8_normalize (folded, -1, G_NORMALIZE_NFD);
  GString *out = g_string_new (NULL);

  for (const char *p = decomposed; p != NULL && *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_ismark (c))
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

static gboolean
is_word_char (const char *p)
{
  return g_unichar_isalnum (g_utf8_get_char (p));
}

/* Calls @func for each word (a run of letters and digits) of @text until it
 * returns TRUE; returns where that word starts, or NULL. */
typedef gboolean (*WordFunc) (const char *word,
                              gsize       len,
                              gpointer    data);

static const char *
for_each_word (const char *text,
               WordFunc    func,
               gpointer    data)
{
  const char *p = text;

  while (*p != '\0')
    {
      const char *start;

      while (*p != '\0' && !is_word_char (p))
        p = g_utf8_next_char (p);
      if (*p == '\0')
        break;
      start = p;
      while (*p != '\0' && is_word_char (p))
        p = g_utf8_next_char (p);
      if (func (start, p - start, data))
        return start;
    }
  return NULL;
}

static gboolean
add_term (const char *word,
          gsize       len,
          gpointer    data)
{
  g_hash_table_add (data, fold_word (word, len));
  return FALSE;
}

static gboolean
is_term (const char *word,
         gsize       len,
         gpointer    data)
{
  g_autofree char *folded = fold_word (word, len);

  return g_hash_table_contains (data, folded);
}

static gboolean
is_space_at (const char *p)
{
  return g_unichar_isspace (g_utf8_get_char (p));
}

/**
 * confab_text_snippet:
 * @text: a chunk's text
 * @query: (nullable): what was searched for
 * @max_chars: the longest snippet, not counting the "…" marks (0 for
 *   %CONFAB_RETRIEVED_SNIPPET_CHARS)
 *
 * A window of @text around the first word of @query found in it (the start
 * of @text when none is), cut at word boundaries, whitespace collapsed to
 * single spaces, with "…" where text was left out. Never cuts a character.
 *
 * Returns: (transfer full): the snippet
 */
char *
confab_text_snippet (const char *text,
                     const char *query,
                     guint       max_chars)
{
  g_autoptr (GHashTable) terms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *match = NULL;
  const char *match_end;
  const char *start;
  const char *end;
  const char *text_end;
  GString *out;
  guint before;
  guint n = 0;
  gboolean space = FALSE;

  g_return_val_if_fail (text != NULL, NULL);

  if (max_chars == 0)
    max_chars = CONFAB_RETRIEVED_SNIPPET_CHARS;
  text_end = text + strlen (text);
  while (*text != '\0' && is_space_at (text))
    text = g_utf8_next_char (text);

  if (query != NULL)
    for_each_word (query, add_term, terms);
  if (g_hash_table_size (terms) > 0)
    match = for_each_word (text, is_term, terms);
  if (match == NULL)
    match = text;

  /* The matched word, then about a third of the window before it, then the
   * rest after it; a window that reaches the end of the text takes more
   * from before. */
  start = match;
  end = match;
  while (end < text_end && n < max_chars && (end == match || is_word_char (end)))
    {
      end = g_utf8_next_char (end);
      n++;
    }
  match_end = end;
  before = MIN (max_chars / 3, max_chars - n);
  for (guint i = 0; start > text && i < before; i++)
    {
      start = g_utf8_prev_char (start);
      n++;
    }
  while (end < text_end && n < max_chars)
    {
      end = g_utf8_next_char (end);
      n++;
    }
  while (start > text && n < max_chars)
    {
      start = g_utf8_prev_char (start);
      n++;
    }

  /* Whole words only: a cut word is left out (but never the matched one). */
  if (start > text && !is_space_at (g_utf8_prev_char (start)))
    {
      const char *p = start;

      while (p < match && !is_space_at (p))
        p = g_utf8_next_char (p);
      if (p < match)
        start = p;
    }
  if (end < text_end && !is_space_at (end))
    {
      const char *p = end;

      while (p > match_end && !is_space_at (g_utf8_prev_char (p)))
        p = g_utf8_prev_char (p);
      if (p > match_end)
        end = p;
    }
  while (start < end && is_space_at (start))
    start = g_utf8_next_char (start);
  while (end > start && is_space_at (g_utf8_prev_char (end)))
    end = g_utf8_prev_char (end);

  out = g_string_new (start > text ? "…" : "");
  for (const char *p = start; p < end; p = g_utf8_next_char (p))
    {
      if (is_space_at (p))
        space = TRUE;
      else
        {
          if (space)
            g_string_append_c (out, ' ');
          space = FALSE;
          g_string_append_unichar (out, g_utf8_get_char (p));
        }
    }
  {
    const char *rest = end;

    while (rest < text_end && is_space_at (rest))
      rest = g_utf8_next_char (rest);
    if (rest < text_end)
      g_string_append (out, "…");
  }
  return g_string_free (out, FALSE);
}

/* Retrieval */

typedef struct
{
  ConfabDatabase *db;
  GHashTable     *filenames; /* document id -> file name */
} Lookup;

static const char *
lookup_filename (Lookup      *lookup,
                 const char  *document_id,
                 GError     **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  const char *filename = g_hash_table_lookup (lookup->filenames, document_id);
  char *copy;

  if (filename != NULL)
    return filename;
  stmt = confab_database_prepare (lookup->db, "SELECT filename FROM documents WHERE id = ?",
                                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, document_id, -1, SQLITE_TRANSIENT);
  switch (sqlite3_step (stmt))
    {
    case SQLITE_ROW:
      copy = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      break;
    case SQLITE_DONE:
      copy = g_strdup ("");
      break;
    default:
      confab_database_set_error (lookup->db,
                                 sqlite3_extended_errcode (confab_database_get_handle (lookup->db)),
                                 error);
      return NULL;
    }
  g_hash_table_insert (lookup->filenames, g_strdup (document_id), copy);
  return copy;
}

/* The chunks of @kb_ids (NULL for all) that best match @query, at most @k,
 * best first. Several knowledge bases: the search over all of them, kept to
 * theirs, asking for more until there are @k or no more. */
static GPtrArray *
search (ConfabDatabase      *db,
        const char * const  *kb_ids,
        const char          *query,
        guint                k,
        GError             **error)
{
  g_autoptr (GHashTable) wanted = NULL;
  guint limit;

  if (kb_ids == NULL)
    return confab_knowledge_search (db, NULL, query, k, error);
  if (kb_ids[0] == NULL)
    return g_ptr_array_new_with_free_func (g_object_unref);
  if (kb_ids[1] == NULL)
    return confab_knowledge_search (db, kb_ids[0], query, k, error);

  wanted = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; kb_ids[i] != NULL; i++)
    g_hash_table_add (wanted, (gpointer) kb_ids[i]);

  /* BM25 is computed over the one index of every chunk, so the ranks of
   * chunks of different knowledge bases compare. */
  limit = k > 0 && k <= G_MAXUINT / 4 ? k * 4 : 0;
  for (;;)
    {
      g_autoptr (GPtrArray) hits = confab_knowledge_search (db, NULL, query, limit, error);
      GPtrArray *kept;

      if (hits == NULL)
        return NULL;
      kept = g_ptr_array_new_with_free_func (g_object_unref);
      for (guint i = 0; i < hits->len && (k == 0 || kept->len < k); i++)
        {
          ConfabChunk *chunk = g_ptr_array_index (hits, i);

          if (g_hash_table_contains (wanted, confab_chunk_get_knowledge_base_id (chunk)))
            g_ptr_array_add (kept, g_object_ref (chunk));
        }
      if (limit == 0 || hits->len < limit || kept->len >= k)
        return kept;
      g_ptr_array_unref (kept);
      limit = limit <= G_MAXUINT / 4 ? limit * 4 : 0;
    }
}

/**
 * confab_knowledge_retrieve:
 * @db: the workspace
 * @knowledge_base_ids: (nullable) (array zero-terminated=1): the knowledge
 *   bases to search; %NULL for all of them, an empty array for none
 * @query: the question, as typed (any text is accepted: see
 *   confab_knowledge_search())
 * @k: the most chunks to return (0 for all that match)
 *
 * Finds the chunks that best answer @query by FTS5 BM25, across the given
 * knowledge bases, whether active or not: which ones an agent uses is the
 * caller's business.
 *
 * Returns: (transfer full) (element-type ConfabRetrievedChunk): the chunks,
 *   best first, rank 1, 2, ...; %NULL on error
 */
GPtrArray *
confab_knowledge_retrieve (ConfabDatabase      *db,
                           const char * const  *knowledge_base_ids,
                           const char          *query,
                           guint                k,
                           GError             **error)
{
  g_autoptr (GPtrArray) hits = NULL;
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (GHashTable) filenames = NULL;
  Lookup lookup;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  hits = search (db, knowledge_base_ids, query, k, error);
  if (hits == NULL)
    return NULL;

  filenames = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lookup.db = db;
  lookup.filenames = filenames;
  results = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_retrieved_chunk_free);
  for (guint i = 0; i < hits->len; i++)
    {
      ConfabChunk *chunk = g_ptr_array_index (hits, i);
      ConfabRetrievedChunk *item;
      const char *filename;

      filename = lookup_filename (&lookup, confab_chunk_get_document_id (chunk), error);
      if (filename == NULL)
        return NULL;
      item = g_new0 (ConfabRetrievedChunk, 1);
      item->chunk_id = g_strdup (confab_entity_get_id (CONFAB_ENTITY (chunk)));
      item->document_id = g_strdup (confab_chunk_get_document_id (chunk));
      item->knowledge_base_id = g_strdup (confab_chunk_get_knowledge_base_id (chunk));
      item->filename = g_strdup (filename);
      item->ordinal = confab_chunk_get_ordinal (chunk);
      item->text = g_strdup (confab_chunk_get_text (chunk));
      item->snippet = confab_text_snippet (item->text, query, CONFAB_RETRIEVED_SNIPPET_CHARS);
      item->rank = i + 1;
      g_ptr_array_add (results, item);
    }
  return g_steal_pointer (&results);
}

/**
 * confab_retrieved_chunks_to_json:
 * @chunks: (nullable) (element-type ConfabRetrievedChunk): retrieved chunks
 *
 * The citations an assistant message keeps in source_references: a JSON
 * array of {"chunk_id", "document_id", "knowledge_base_id", "filename",
 * "ordinal", "rank"} in the order of @chunks. No text: the chunk is looked up
 * again (confab_citations_resolve()).
 *
 * Returns: (transfer full): the JSON text, "[]" for no chunks
 */
char *
confab_retrieved_chunks_to_json (GPtrArray *chunks)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; chunks != NULL && i < chunks->len; i++)
    {
      ConfabRetrievedChunk *item = g_ptr_array_index (chunks, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "chunk_id");
      json_builder_add_string_value (builder, item->chunk_id);
      json_builder_set_member_name (builder, "document_id");
      json_builder_add_string_value (builder, item->document_id);
      json_builder_set_member_name (builder, "knowledge_base_id");
      json_builder_add_string_value (builder, item->knowledge_base_id);
      json_builder_set_member_name (builder, "filename");
      json_builder_add_string_value (builder, item->filename);
      json_builder_set_member_name (builder, "ordinal");
      json_builder_add_int_value (builder, item->ordinal);
      json_builder_set_member_name (builder, "rank");
      json_builder_add_int_value (builder, item->rank);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/**
 * confab_citations_resolve:
 * @db: the workspace
 * @source_references_json: (nullable): a message's source_references
 *
 * The chunks a message cited, as they are now: file name, position and text
 * from the database, rank from the citation's "rank" (or "n", as
 * confab_prompt_builder_cited_sources() numbers them; its place in the array
 * when it has neither), snippet the start of the text. Citations of chunks deleted since
 * (their document or knowledge base removed, or the document indexed again)
 * are left out, as are entries without a "chunk_id".
 *
 * Returns: (transfer full) (element-type ConfabRetrievedChunk): the chunks in
 *   the order of the citations; %NULL with %CONFAB_ERROR_INVALID when the
 *   text is not a JSON array
 */
GPtrArray *
confab_citations_resolve (ConfabDatabase  *db,
                          const char      *source_references_json,
                          GError         **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (GError) parse_error = NULL;
  JsonNode *root;
  JsonArray *array;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);

  results = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_retrieved_chunk_free);
  if (source_references_json == NULL || *source_references_json == '\0')
    return g_steal_pointer (&results);

  if (!json_parser_load_from_data (parser, source_references_json, -1, &parse_error))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The source references are not valid JSON: %s"), parse_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The source references are not a JSON array"));
      return NULL;
    }

  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      g_autoptr (ConfabStmt) stmt = NULL;
      ConfabRetrievedChunk *item;
      JsonObject *object;
      JsonNode *member;
      const char *chunk_id;
      int rc;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      object = json_node_get_object (node);
      member = json_object_get_member (object, "chunk_id");
      if (member == NULL || json_node_get_value_type (member) != G_TYPE_STRING)
        continue;
      chunk_id = json_node_get_string (member);

      stmt = confab_database_prepare (db,
                                      "SELECT c.document_id, c.knowledge_base_id, c.ordinal, "
                                      "c.text, d.filename FROM chunks c "
                                      "JOIN documents d ON d.id = c.document_id WHERE c.id = ?",
                                      error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_text (stmt, 1, chunk_id, -1, SQLITE_TRANSIENT);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_DONE)
        continue; /* deleted since */
      if (rc != SQLITE_ROW)
        {
          confab_database_set_error (db,
                                     sqlite3_extended_errcode (confab_database_get_handle (db)),
                                     error);
          return NULL;
        }

      item = g_new0 (ConfabRetrievedChunk, 1);
      item->chunk_id = g_strdup (chunk_id);
      item->document_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      item->knowledge_base_id = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
      item->ordinal = sqlite3_column_int (stmt, 2);
      item->text = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
      item->filename = g_strdup ((const char *) sqlite3_column_text (stmt, 4));
      item->snippet = confab_text_snippet (item->text, NULL, CONFAB_RETRIEVED_SNIPPET_CHARS);
      /* "rank" as written here, or "n", the number the prompt builder
       * gives the passages it cites. */
      member = json_object_get_member (object, "rank");
      if (member == NULL)
        member = json_object_get_member (object, "n");
      if (member != NULL && json_node_get_value_type (member) == G_TYPE_INT64 &&
          json_node_get_int (member) > 0 && json_node_get_int (member) <= G_MAXUINT)
        item->rank = (guint) json_node_get_int (member);
      else
        item->rank = i + 1;
      g_ptr_array_add (results, item);
    }
  return g_steal_pointer (&results);
}
