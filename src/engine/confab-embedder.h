#pragma once

#include <gio/gio.h>

#include "confab-database.h"
#include "confab-secret-store.h"

G_BEGIN_DECLS

/* Vectors for the chunks of a knowledge base, made by the knowledge base's
 * embedding provider and model (ConfabKnowledgeBase:embedding-provider-id
 * and :embedding-model).
 *
 * A chunk is embedded when it has no vector, or a vector another model made
 * (chunks.embedding_model differs). Chunks go to the provider
 * CONFAB_EMBED_BATCH_SIZE at a time; each batch's vectors are written in
 * one transaction (with one audit row, entity "knowledge_base", action
 * "embed") before the next batch is asked for, so a cancellation or a
 * failure keeps every batch written before it and the next run starts where
 * it stopped. A vector is stored as float32 little-endian numbers, with the
 * model's name in chunks.embedding_model.
 *
 * The database is used on the calling thread only; the network calls run on
 * its thread-default main context. */

#define CONFAB_EMBED_BATCH_SIZE 32

/* Called on the caller's main context after each batch: n_done of n_total
 * chunks have a vector of the model now (n_total counts the chunks that
 * had none when the run started, plus any added since). */
typedef void (*ConfabEmbedProgressFunc) (guint n_done, guint n_total, gpointer user_data);

/* Every chunk of the knowledge base kb_id that has no vector of its current
 * model. Fails with INVALID when the knowledge base has no embedding provider
 * or model, NOT_FOUND when it or its provider is gone, the provider's errors
 * (AUTH, NETWORK, PROVIDER "cannot make embeddings", ...) and
 * G_IO_ERROR_CANCELLED. Nothing to embed is a success with no network call.
 * store: nullable, a new ConfabSecretStore when NULL. */
void confab_knowledge_embed_async (ConfabDatabase         *db,
                                   ConfabSecretStore      *store,
                                   const char             *kb_id,
                                   GCancellable           *cancellable,
                                   ConfabEmbedProgressFunc progress_func,
                                   gpointer                progress_data,
                                   GAsyncReadyCallback     callback,
                                   gpointer                user_data);
/* The same, for the chunks of one document (of a knowledge base with an
 * embedding provider): what an import does after indexing. */
void confab_knowledge_embed_document_async (ConfabDatabase         *db,
                                            ConfabSecretStore      *store,
                                            const char             *document_id,
                                            GCancellable           *cancellable,
                                            ConfabEmbedProgressFunc progress_func,
                                            gpointer                progress_data,
                                            GAsyncReadyCallback     callback,
                                            gpointer                user_data);
/* For both. *out_n_embedded (nullable) is the number of chunks given a
 * vector, also when the run failed or was cancelled part way. */
gboolean
confab_knowledge_embed_finish (GAsyncResult *result, guint *out_n_embedded, GError **error);

/* Whether the knowledge base has an embedding provider and model; the model
 * (nullable out, transfer full) when it does. FALSE on error too. */
gboolean confab_knowledge_base_has_embeddings (ConfabDatabase *db,
                                               const char     *kb_id,
                                               char          **out_model,
                                               GError        **error);

/* The stored form of a vector: n float32 numbers, little-endian. */
GBytes *confab_embedding_to_blob (const float *values, guint n);
/* Cosine similarity of query (n numbers, with its precomputed Euclidean
 * norm, > 0) and a stored vector of exactly n * 4 bytes; 0 for a zero vector. */
double
confab_embedding_cosine_blob (const float *query, double query_norm, const void *blob, guint n);
double confab_embedding_norm (const float *values, guint n);

G_END_DECLS
