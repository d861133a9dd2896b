#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-chunk.h"
#include "confab-embedder.h"
#include "confab-error.h"
#include "confab-provider-client.h"
#include "confab-repository.h"
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

/* A found chunk with where it comes from, or NULL with error. */
static ConfabRetrievedChunk *
item_from_chunk (Lookup       *lookup,
                 ConfabChunk  *chunk,
                 const char   *query,
                 guint         rank,
                 GError      **error)
{
  ConfabRetrievedChunk *item;
  const char *filename;

  filename = lookup_filename (lookup, confab_chunk_get_document_id (chunk), error);
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
  item->rank = rank;
  return item;
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
      ConfabRetrievedChunk *item = item_from_chunk (&lookup, g_ptr_array_index (hits, i), query,
                                                    i + 1, error);

      if (item == NULL)
        return NULL;
      g_ptr_array_add (results, item);
    }
  return g_steal_pointer (&results);
}

/* Hybrid retrieval
 *
 * BM25 gives one ranking of the best CONFAB_RETRIEVE_CANDIDATES chunks. For
 * the knowledge bases with an embedding provider and model, the query gets
 * one vector per distinct (provider, model) — one embeddings call each — and
 * every chunk of those knowledge bases whose vector that model made (and has
 * the query's length) is ranked by cosine similarity, brute force over the
 * BLOBs; the best CONFAB_RETRIEVE_CANDIDATES make one more ranking per model.
 * The rankings are fused by reciprocal rank fusion: a chunk scores the sum
 * of 1 / (CONFAB_RETRIEVE_RRF_K + its rank) over the rankings it is in.
 * Whatever goes wrong on the vector side (no network, no key, a model that
 * is not there, a cancellation) leaves the BM25 ranking alone. */

/* A query's vector makes a chat wait: a provider that does not answer
 * quickly is not worth it. */
#define QUERY_EMBED_TOTAL_TIMEOUT_S   20
#define QUERY_EMBED_CONNECT_TIMEOUT_S 5
#define QUERY_EMBED_MAX_RETRIES       1

typedef struct
{
  char            *provider_id;
  char            *model;
  GPtrArray       *kb_ids;   /* char *: the knowledge bases that use this model */
  ConfabProvider  *provider;
  ConfabLlmClient *client;
  GArray          *vector;   /* float: the query's */
} ModelGroup;

static void
model_group_free (gpointer data)
{
  ModelGroup *group = data;

  g_free (group->provider_id);
  g_free (group->model);
  g_clear_pointer (&group->kb_ids, g_ptr_array_unref);
  g_clear_object (&group->provider);
  g_clear_object (&group->client);
  g_clear_pointer (&group->vector, g_array_unref);
  g_free (group);
}

typedef struct
{
  ConfabDatabase    *db;
  ConfabSecretStore *store;     /* NULL: each provider client makes its own */
  char              *query;
  guint              top_k;
  GPtrArray         *bm25;      /* ConfabChunk, best first */
  GPtrArray         *groups;    /* ModelGroup */
  guint              pending;   /* groups still being asked */
  gboolean           used_vectors;
  GError            *warning;   /* the first reason vectors were not (all) used */
} Retrieval;

static void
retrieval_free (gpointer data)
{
  Retrieval *retrieval = data;

  g_clear_object (&retrieval->db);
  g_clear_object (&retrieval->store);
  g_free (retrieval->query);
  g_clear_pointer (&retrieval->bm25, g_ptr_array_unref);
  g_clear_pointer (&retrieval->groups, g_ptr_array_unref);
  g_clear_error (&retrieval->warning);
  g_free (retrieval);
}

static void
retrieval_warn (Retrieval *retrieval,
                GError    *warning)
{
  g_debug ("Knowledge retrieval by keywords only for “%s”: %s", retrieval->query,
           warning->message);
  if (retrieval->warning == NULL)
    retrieval->warning = warning;
  else
    g_error_free (warning);
}

/* The knowledge bases among kb_ids (NULL: all) that have an embedding
 * provider and model, grouped by the two. */
static GPtrArray *
find_model_groups (ConfabDatabase      *db,
                   const char * const  *kb_ids,
                   GError             **error)
{
  g_autoptr (GPtrArray) groups = g_ptr_array_new_with_free_func (model_group_free);
  g_autoptr (GHashTable) wanted = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  if (kb_ids != NULL)
    {
      wanted = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; kb_ids[i] != NULL; i++)
        g_hash_table_add (wanted, (gpointer) kb_ids[i]);
    }

  stmt = confab_database_prepare (db,
                                  "SELECT id, embedding_provider_id, embedding_model "
                                  "FROM knowledge_bases WHERE embedding_provider_id IS NOT NULL "
                                  "AND embedding_model IS NOT NULL AND embedding_model != '' "
                                  "ORDER BY id",
                                  error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *kb_id = (const char *) sqlite3_column_text (stmt, 0);
      const char *provider_id = (const char *) sqlite3_column_text (stmt, 1);
      const char *model = (const char *) sqlite3_column_text (stmt, 2);
      ModelGroup *group = NULL;

      if (wanted != NULL && !g_hash_table_contains (wanted, kb_id))
        continue;
      for (guint i = 0; i < groups->len && group == NULL; i++)
        {
          ModelGroup *other = g_ptr_array_index (groups, i);

          if (g_str_equal (other->provider_id, provider_id) && g_str_equal (other->model, model))
            group = other;
        }
      if (group == NULL)
        {
          group = g_new0 (ModelGroup, 1);
          group->provider_id = g_strdup (provider_id);
          group->model = g_strdup (model);
          group->kb_ids = g_ptr_array_new_with_free_func (g_free);
          g_ptr_array_add (groups, group);
        }
      g_ptr_array_add (group->kb_ids, g_strdup (kb_id));
    }
  if (rc != SQLITE_DONE)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)),
                                 error);
      return NULL;
    }
  return g_steal_pointer (&groups);
}

typedef struct
{
  char   *chunk_id;
  gint64  rowid;
  double  score;
} Scored;

static void
scored_clear (gpointer data)
{
  g_free (((Scored *) data)->chunk_id);
}

static int
compare_scored (gconstpointer a,
                gconstpointer b)
{
  const Scored *x = a;
  const Scored *y = b;

  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return x->rowid < y->rowid ? -1 : x->rowid > y->rowid;
}

/* The chunks of the group's knowledge bases ranked by the cosine of their
 * vector with the query's, best first, at most limit (0: all). Chunks
 * without a vector of the group's model and length are left out and
 * counted in *n_without. */
static GArray *
rank_by_vector (ConfabDatabase  *db,
                ModelGroup      *group,
                guint            limit,
                guint           *n_without,
                GError         **error)
{
  g_autoptr (GArray) ranked = g_array_new (FALSE, FALSE, sizeof (Scored));
  const float *query = (const float *) group->vector->data;
  guint dimension = group->vector->len;
  double query_norm = confab_embedding_norm (query, dimension);

  g_array_set_clear_func (ranked, scored_clear);
  *n_without = 0;
  for (guint k = 0; k < group->kb_ids->len; k++)
    {
      g_autoptr (ConfabStmt) stmt = NULL;
      int rc;

      stmt = confab_database_prepare (db,
                                      "SELECT rowid, id, embedding_model, embedding FROM chunks "
                                      "WHERE knowledge_base_id = ?",
                                      error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_text (stmt, 1, g_ptr_array_index (group->kb_ids, k), -1, SQLITE_TRANSIENT);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          const char *model = (const char *) sqlite3_column_text (stmt, 2);
          const void *blob = sqlite3_column_blob (stmt, 3);
          Scored scored;

          /* Another model's vector, or one of another length (the model
           * changed behind its name), says nothing about this query. */
          if (blob == NULL || g_strcmp0 (model, group->model) != 0 ||
              (gsize) sqlite3_column_bytes (stmt, 3) != (gsize) dimension * 4)
            {
              (*n_without)++;
              continue;
            }
          scored.rowid = sqlite3_column_int64 (stmt, 0);
          scored.chunk_id = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
          scored.score = confab_embedding_cosine_blob (query, query_norm, blob, dimension);
          g_array_append_val (ranked, scored);
        }
      if (rc != SQLITE_DONE)
        {
          confab_database_set_error (db,
                                     sqlite3_extended_errcode (confab_database_get_handle (db)),
                                     error);
          return NULL;
        }
    }
  g_array_sort (ranked, compare_scored);
  if (limit > 0 && ranked->len > limit)
    g_array_set_size (ranked, limit);
  return g_steal_pointer (&ranked);
}

typedef struct
{
  char   *chunk_id;
  double  score;
  guint   bm25_rank;   /* G_MAXUINT when BM25 did not find it */
  guint   best_rank;   /* its best rank in any ranking */
  guint   order;       /* when it was first seen, for a stable order */
} Fused;

static void
fused_free (gpointer data)
{
  Fused *fused = data;

  g_free (fused->chunk_id);
  g_free (fused);
}

static int
compare_fused (gconstpointer a,
               gconstpointer b)
{
  const Fused *x = *(const Fused * const *) a;
  const Fused *y = *(const Fused * const *) b;

  /* Ties (a chunk first in one ranking and another first in the other):
   * BM25's order, then the better rank anywhere, then first seen. */
  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  if (x->bm25_rank != y->bm25_rank)
    return x->bm25_rank < y->bm25_rank ? -1 : 1;
  if (x->best_rank != y->best_rank)
    return x->best_rank < y->best_rank ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static void
fuse_add (GHashTable *by_id,
          GPtrArray  *all,
          const char *chunk_id,
          guint       rank,
          gboolean    is_bm25)
{
  Fused *fused = g_hash_table_lookup (by_id, chunk_id);

  if (fused == NULL)
    {
      fused = g_new0 (Fused, 1);
      fused->chunk_id = g_strdup (chunk_id);
      fused->bm25_rank = G_MAXUINT;
      fused->best_rank = G_MAXUINT;
      fused->order = all->len;
      g_ptr_array_add (all, fused);
      g_hash_table_insert (by_id, fused->chunk_id, fused);
    }
  fused->score += 1.0 / (CONFAB_RETRIEVE_RRF_K + rank);
  if (is_bm25)
    fused->bm25_rank = MIN (fused->bm25_rank, rank);
  fused->best_rank = MIN (fused->best_rank, rank);
}

/* The chunk with that id as the BM25 search returns them, or NULL with
 * error (NOT_FOUND when it is gone). */
static ConfabChunk *
load_chunk (ConfabDatabase  *db,
            GPtrArray       *bm25,
            const char      *chunk_id,
            GError         **error)
{
  for (guint i = 0; i < bm25->len; i++)
    if (g_str_equal (confab_entity_get_id (g_ptr_array_index (bm25, i)), chunk_id))
      return g_object_ref (g_ptr_array_index (bm25, i));
  return confab_repository_get (db, CONFAB_TYPE_CHUNK, chunk_id, error);
}

/* BM25 and the vector rankings made into one list of top_k, or NULL with error. */
static GPtrArray *
fuse (Retrieval  *retrieval,
      GError    **error)
{
  g_autoptr (GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) all = g_ptr_array_new_with_free_func (fused_free);
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (GHashTable) filenames = NULL;
  guint candidates = retrieval->top_k == 0 ? 0 : MAX (retrieval->top_k,
                                                      CONFAB_RETRIEVE_CANDIDATES);
  Lookup lookup;

  for (guint i = 0; i < retrieval->bm25->len; i++)
    fuse_add (by_id, all, confab_entity_get_id (g_ptr_array_index (retrieval->bm25, i)), i + 1,
              TRUE);

  for (guint g = 0; g < retrieval->groups->len; g++)
    {
      ModelGroup *group = g_ptr_array_index (retrieval->groups, g);
      g_autoptr (GArray) ranked = NULL;
      guint n_without = 0;

      if (group->vector == NULL)
        continue;
      ranked = rank_by_vector (retrieval->db, group, candidates, &n_without, error);
      if (ranked == NULL)
        return NULL;
      if (ranked->len == 0)
        retrieval_warn (retrieval,
                        g_error_new (CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                                     _("No passage has a vector of the model “%s” yet"),
                                     group->model));
      else if (n_without > 0)
        retrieval_warn (retrieval,
                        g_error_new (CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                                     g_dngettext (GETTEXT_PACKAGE,
                                                  "%u passage has no vector of the model “%s” "
                                                  "yet; it is found by its words only",
                                                  "%u passages have no vector of the model “%s” "
                                                  "yet; they are found by their words only",
                                                  n_without),
                                     n_without, group->model));
      if (ranked->len > 0)
        retrieval->used_vectors = TRUE;
      for (guint i = 0; i < ranked->len; i++)
        fuse_add (by_id, all, g_array_index (ranked, Scored, i).chunk_id, i + 1, FALSE);
    }

  if (retrieval->used_vectors)
    g_ptr_array_sort (all, compare_fused);

  filenames = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lookup.db = retrieval->db;
  lookup.filenames = filenames;
  results = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_retrieved_chunk_free);
  for (guint i = 0; i < all->len && (retrieval->top_k == 0 || results->len < retrieval->top_k);
       i++)
    {
      Fused *fused = g_ptr_array_index (all, i);
      g_autoptr (ConfabChunk) chunk = NULL;
      g_autoptr (GError) local_error = NULL;
      ConfabRetrievedChunk *item;

      chunk = load_chunk (retrieval->db, retrieval->bm25, fused->chunk_id, &local_error);
      if (chunk == NULL)
        {
          if (g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
            continue; /* deleted since it was ranked */
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      item = item_from_chunk (&lookup, chunk, retrieval->query, results->len + 1, error);
      if (item == NULL)
        return NULL;
      g_ptr_array_add (results, item);
    }
  return g_steal_pointer (&results);
}

static void
retrieval_complete (GTask *task)
{
  Retrieval *retrieval = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  GPtrArray *results;

  results = fuse (retrieval, &error);
  if (results == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, results, (GDestroyNotify) g_ptr_array_unref);
}

/* A group is done (with a vector or without); the last one completes. */
static void
group_done (GTask *task)
{
  Retrieval *retrieval = g_task_get_task_data (task);

  g_assert (retrieval->pending > 0);
  if (--retrieval->pending == 0)
    retrieval_complete (task);
}

typedef struct
{
  GTask      *task;
  ModelGroup *group;
} GroupCall;

static void
on_query_embedded (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  GroupCall *call = user_data;
  g_autoptr (GTask) task = call->task;
  Retrieval *retrieval = g_task_get_task_data (task);
  g_autoptr (GPtrArray) vectors = NULL;
  g_autoptr (GError) error = NULL;
  ModelGroup *group = call->group;

  g_free (call);
  vectors = confab_llm_client_embed_finish (CONFAB_LLM_CLIENT (source), result, &error);
  if (vectors == NULL)
    retrieval_warn (retrieval, g_steal_pointer (&error));
  else
    group->vector = g_array_ref (g_ptr_array_index (vectors, 0));
  group_done (task);
}

static void
on_group_client (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GroupCall *call = user_data;
  Retrieval *retrieval = g_task_get_task_data (call->task);
  ModelGroup *group = call->group;
  g_autoptr (GError) error = NULL;
  const char *texts[] = { retrieval->query, NULL };

  group->client = confab_provider_new_client_finish (CONFAB_PROVIDER (source), result, NULL,
                                                     &error);
  if (group->client == NULL)
    {
      g_autoptr (GTask) task = call->task;

      g_free (call);
      retrieval_warn (retrieval, g_steal_pointer (&error));
      group_done (task);
      return;
    }
  confab_llm_client_set_total_timeout (group->client, QUERY_EMBED_TOTAL_TIMEOUT_S);
  confab_llm_client_set_connect_timeout (group->client, QUERY_EMBED_CONNECT_TIMEOUT_S);
  confab_llm_client_set_max_retries (group->client, QUERY_EMBED_MAX_RETRIES);
  confab_llm_client_embed_async (group->client, group->model, texts,
                                 g_task_get_cancellable (call->task), on_query_embedded, call);
}

static gboolean
has_word (const char *query)
{
  for (const char *p = query; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_isalnum (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

/**
 * confab_knowledge_retrieve_async:
 * @db: the workspace; used on the calling thread only
 * @store: (nullable): the keyring for the embedding providers' keys, or
 *   %NULL for a new #ConfabSecretStore
 * @knowledge_base_ids: (nullable) (array zero-terminated=1): as for
 *   confab_knowledge_retrieve()
 * @query: the question, as typed
 * @top_k: the most chunks to return (0 for all that match)
 * @cancellable: (nullable): stops asking for the query's vectors; what BM25
 *   found is still returned
 * @callback: called with the chunks
 * @user_data: data for @callback
 *
 * confab_knowledge_retrieve(), fused with similarity search for the
 * knowledge bases that have an embedding model (see "Hybrid retrieval"
 * above). The result has the same form: the chunks, best first, rank 1,
 * 2, .... Knowledge bases without an embedding model, a provider that
 * cannot be reached or a cancellation give the BM25 result alone, with the
 * reason in confab_knowledge_retrieve_finish()'s @vector_warning; the call
 * only fails on a database error.
 */
void
confab_knowledge_retrieve_async (ConfabDatabase      *db,
                                 ConfabSecretStore   *store,
                                 const char * const  *knowledge_base_ids,
                                 const char          *query,
                                 guint                top_k,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  Retrieval *retrieval;
  guint candidates;

  g_return_if_fail (CONFAB_IS_DATABASE (db));
  g_return_if_fail (store == NULL || CONFAB_IS_SECRET_STORE (store));
  g_return_if_fail (query != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (db, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_knowledge_retrieve_async);
  g_task_set_name (task, "[confab] retrieve knowledge");
  /* Cancelling drops the vectors, not the answer: see above. */
  g_task_set_check_cancellable (task, FALSE);
  retrieval = g_new0 (Retrieval, 1);
  retrieval->db = g_object_ref (db);
  retrieval->store = store != NULL ? g_object_ref (store) : NULL;
  retrieval->query = g_strdup (query);
  retrieval->top_k = top_k;
  g_task_set_task_data (task, retrieval, retrieval_free);

  candidates = top_k == 0 ? 0 : MAX (top_k, CONFAB_RETRIEVE_CANDIDATES);
  retrieval->bm25 = search (db, knowledge_base_ids, query, candidates, &error);
  if (retrieval->bm25 == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  /* Without a word there is nothing to look for, as with BM25. */
  if (knowledge_base_ids != NULL && knowledge_base_ids[0] == NULL)
    retrieval->groups = g_ptr_array_new ();
  else if (!has_word (query))
    retrieval->groups = g_ptr_array_new ();
  else
    retrieval->groups = find_model_groups (db, knowledge_base_ids, &error);
  if (retrieval->groups == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* One more than the groups, so none completes the task before all started. */
  retrieval->pending = 1;
  for (guint g = 0; g < retrieval->groups->len; g++)
    {
      ModelGroup *group = g_ptr_array_index (retrieval->groups, g);
      g_autoptr (GError) local_error = NULL;
      GroupCall *call;

      group->provider = confab_repository_get (db, CONFAB_TYPE_PROVIDER, group->provider_id,
                                               &local_error);
      if (group->provider == NULL)
        {
          retrieval_warn (retrieval, g_steal_pointer (&local_error));
          continue;
        }
      call = g_new0 (GroupCall, 1);
      call->task = g_object_ref (task);
      call->group = group;
      retrieval->pending++;
      confab_provider_new_client_async (group->provider, retrieval->store, cancellable,
                                        on_group_client, call);
    }
  group_done (task);
}

/**
 * confab_knowledge_retrieve_finish:
 * @result: the result given to the callback
 * @out_used_vectors: (out) (optional): whether vectors ranked any chunk
 * @vector_warning: (out) (optional): why vectors were not used, or not for
 *   every chunk (the provider's error, CONFAB_ERROR_NOT_FOUND for chunks
 *   without vectors of the model); left unset when all went well or no
 *   knowledge base has an embedding model
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type ConfabRetrievedChunk): the chunks,
 *   best first, rank 1, 2, ...; %NULL on a database error
 */
GPtrArray *
confab_knowledge_retrieve_finish (GAsyncResult  *result,
                                  gboolean      *out_used_vectors,
                                  GError       **vector_warning,
                                  GError       **error)
{
  Retrieval *retrieval;

  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_knowledge_retrieve_async, NULL);

  retrieval = g_task_get_task_data (G_TASK (result));
  if (out_used_vectors != NULL)
    *out_used_vectors = retrieval->used_vectors;
  if (vector_warning != NULL && retrieval->warning != NULL)
    *vector_warning = g_error_copy (retrieval->warning);
  return g_task_propagate_pointer (G_TASK (result), error);
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
