#pragma once

#include <gio/gio.h>

#include "confab-database.h"
#include "confab-entity.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CHUNK (confab_chunk_get_type ())

G_DECLARE_FINAL_TYPE (ConfabChunk, confab_chunk, CONFAB, CHUNK, ConfabEntity)

/* A passage of a document's text, the unit of retrieval; indexed by FTS5
 * (chunks_fts). knowledge_base_id is filled from the document when left
 * unset; ordinal is the place in the document (0, 1, 2...), filled as the
 * next free one when left at -1. */

ConfabChunk *confab_chunk_new                    (const char          *document_id,
                                                  const char          *text);
const char  *confab_chunk_get_document_id        (ConfabChunk         *self);
void         confab_chunk_set_document_id        (ConfabChunk         *self,
                                                  const char          *document_id);
const char  *confab_chunk_get_knowledge_base_id  (ConfabChunk         *self);
void         confab_chunk_set_knowledge_base_id  (ConfabChunk         *self,
                                                  const char          *knowledge_base_id);
int          confab_chunk_get_ordinal            (ConfabChunk         *self);
void         confab_chunk_set_ordinal            (ConfabChunk         *self,
                                                  int                  ordinal);
const char  *confab_chunk_get_text               (ConfabChunk         *self);
void         confab_chunk_set_text               (ConfabChunk         *self,
                                                  const char          *text);

gboolean     confab_document_replace_chunks      (ConfabDatabase      *db,
                                                  const char          *document_id,
                                                  const char * const  *texts,
                                                  const char          *actor_id,
                                                  GError             **error);
GPtrArray   *confab_knowledge_search             (ConfabDatabase      *db,
                                                  const char          *kb_id,
                                                  const char          *query,
                                                  guint                limit,
                                                  GError             **error);

G_END_DECLS
