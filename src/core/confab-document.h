#pragma once

#include "confab-entity.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_DOCUMENT (confab_document_get_type ())

G_DECLARE_FINAL_TYPE (ConfabDocument, confab_document, CONFAB, DOCUMENT, ConfabEntity)

/* A file added to a knowledge base. Its text is stored as ConfabChunks
 * (confab_document_replace_chunks() in confab-chunk.h, which also marks the
 * document "indexed"). filename: 1..255 characters; status: one of
 * confab_document_statuses; error: why indexing failed, for "failed". */

extern const char * const confab_document_statuses[];

ConfabDocument *confab_document_new                   (const char     *knowledge_base_id,
                                                       const char     *filename);
const char     *confab_document_get_knowledge_base_id (ConfabDocument *self);
void            confab_document_set_knowledge_base_id (ConfabDocument *self,
                                                       const char     *knowledge_base_id);
const char     *confab_document_get_filename          (ConfabDocument *self);
void            confab_document_set_filename          (ConfabDocument *self,
                                                       const char     *filename);
const char     *confab_document_get_content_type      (ConfabDocument *self);
void            confab_document_set_content_type      (ConfabDocument *self,
                                                       const char     *content_type);
const char     *confab_document_get_status            (ConfabDocument *self);
void            confab_document_set_status            (ConfabDocument *self,
                                                       const char     *status);
const char     *confab_document_get_error             (ConfabDocument *self);
void            confab_document_set_error             (ConfabDocument *self,
                                                       const char     *error);
gint64          confab_document_get_size_bytes        (ConfabDocument *self);
void            confab_document_set_size_bytes        (ConfabDocument *self,
                                                       gint64          size_bytes);

G_END_DECLS
