#pragma once

#include "confab-entity.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_KNOWLEDGE_BASE (confab_knowledge_base_get_type ())

G_DECLARE_FINAL_TYPE (ConfabKnowledgeBase, confab_knowledge_base,
                      CONFAB, KNOWLEDGE_BASE, ConfabEntity)

/* A collection of documents whose chunks agents retrieve from
 * (confab_knowledge_search() in confab-chunk.h). title: 1..200 characters.
 * owner_id is optional; a user owns at most
 * CONFAB_KNOWLEDGE_BASE_MAX_PER_OWNER knowledge bases (CONFAB_ERROR_LIMIT);
 * knowledge bases without an owner are not counted. Deleting one deletes
 * its documents and chunks, search index included.
 *
 * Optional embeddings (confab_knowledge_embed_async() in confab-embedder.h,
 * hybrid retrieval in confab-retriever.h): embedding_provider_id names the
 * provider that turns text into vectors and embedding_model the model it
 * uses (required when a provider is set, at most
 * CONFAB_KNOWLEDGE_BASE_MAX_MODEL_CHARS characters). Each chunk keeps the
 * name of the model that made its vector: changing the model leaves the old
 * vectors unused until they are made again. Deleting the provider clears
 * embedding_provider_id and keeps the model and the vectors. */

#define CONFAB_KNOWLEDGE_BASE_MAX_PER_OWNER   100
#define CONFAB_KNOWLEDGE_BASE_MAX_MODEL_CHARS 200

ConfabKnowledgeBase *confab_knowledge_base_new             (const char          *title);
const char          *confab_knowledge_base_get_owner_id    (ConfabKnowledgeBase *self);
void                 confab_knowledge_base_set_owner_id    (ConfabKnowledgeBase *self,
                                                            const char          *owner_id);
const char          *confab_knowledge_base_get_title       (ConfabKnowledgeBase *self);
void                 confab_knowledge_base_set_title       (ConfabKnowledgeBase *self,
                                                            const char          *title);
const char          *confab_knowledge_base_get_description (ConfabKnowledgeBase *self);
void                 confab_knowledge_base_set_description (ConfabKnowledgeBase *self,
                                                            const char          *description);
gboolean             confab_knowledge_base_get_is_active   (ConfabKnowledgeBase *self);
void                 confab_knowledge_base_set_is_active   (ConfabKnowledgeBase *self,
                                                            gboolean             is_active);
const char          *confab_knowledge_base_get_embedding_provider_id (ConfabKnowledgeBase *self);
void                 confab_knowledge_base_set_embedding_provider_id (ConfabKnowledgeBase *self,
                                                                      const char *provider_id);
const char          *confab_knowledge_base_get_embedding_model       (ConfabKnowledgeBase *self);
void                 confab_knowledge_base_set_embedding_model       (ConfabKnowledgeBase *self,
                                                                      const char *model);

G_END_DECLS
