#pragma once

#include <gio/gio.h>

#include "confab-database.h"
#include "confab-secret-store.h"

G_BEGIN_DECLS

/* One passage found for a query (or resolved from a stored citation), with
 * where it comes from. snippet: about CONFAB_RETRIEVED_SNIPPET_CHARS
 * characters of the text around the first word of the query found in it,
 * on one line, with "…" where the text was cut. rank: 1 for the best. */

#define CONFAB_RETRIEVED_SNIPPET_CHARS 200

/* Hybrid retrieval (confab_knowledge_retrieve_async()): each ranking (BM25,
 * and the vector similarity of each embedding model) brings its best
 * CONFAB_RETRIEVE_CANDIDATES chunks (or top_k, when more), fused by
 * reciprocal rank fusion with the constant CONFAB_RETRIEVE_RRF_K. */
#define CONFAB_RETRIEVE_CANDIDATES 20
#define CONFAB_RETRIEVE_RRF_K      60

typedef struct _ConfabRetrievedChunk ConfabRetrievedChunk;

struct _ConfabRetrievedChunk
{
  char  *chunk_id;
  char  *document_id;
  char  *knowledge_base_id;
  char  *filename;
  int    ordinal;
  char  *text;
  char  *snippet;
  guint  rank;
};

#define CONFAB_TYPE_RETRIEVED_CHUNK (confab_retrieved_chunk_get_type ())

GType                 confab_retrieved_chunk_get_type (void) G_GNUC_CONST;
ConfabRetrievedChunk *confab_retrieved_chunk_copy     (const ConfabRetrievedChunk *self);
void                  confab_retrieved_chunk_free     (ConfabRetrievedChunk       *self);

GPtrArray *confab_knowledge_retrieve       (ConfabDatabase      *db,
                                            const char * const  *knowledge_base_ids,
                                            const char          *query,
                                            guint                k,
                                            GError             **error);
void       confab_knowledge_retrieve_async  (ConfabDatabase      *db,
                                            ConfabSecretStore   *store,
                                            const char * const  *knowledge_base_ids,
                                            const char          *query,
                                            guint                top_k,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
GPtrArray *confab_knowledge_retrieve_finish (GAsyncResult        *result,
                                            gboolean            *out_used_vectors,
                                            GError             **vector_warning,
                                            GError             **error);
char      *confab_retrieved_chunks_to_json (GPtrArray           *chunks);
GPtrArray *confab_citations_resolve        (ConfabDatabase      *db,
                                            const char          *source_references_json,
                                            GError             **error);
char      *confab_text_snippet             (const char          *text,
                                            const char          *query,
                                            guint                max_chars);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabRetrievedChunk, confab_retrieved_chunk_free)

G_END_DECLS
