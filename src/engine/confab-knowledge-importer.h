#pragma once

#include <gio/gio.h>

#include "confab-database.h"
#include "confab-document.h"

G_BEGIN_DECLS

/* Called on the main context of the import: @fraction goes from 0.0 to 1.0
 * and @stage is one of "processing", "reading", "extracting", "chunking",
 * "indexing", "embedding" (only for a knowledge base with an embedding
 * provider: the new chunks' vectors are being made), "indexed"
 * (untranslated identifiers; the caller words them).
 *
 * Embeddings: when the knowledge base has an embedding provider and model,
 * the document's chunks get their vectors after indexing
 * (confab_knowledge_embed_document_async()). Making them never fails the
 * import — the document is indexed and found by its words either way — but
 * what went wrong (the provider's error, or a cancellation at that point)
 * is the import's embedding warning, given by the _with_warning variants
 * below and logged at debug level; the next `kb embed` (or import) makes
 * the missing vectors. */
typedef void (*ConfabImportProgressFunc) (double      fraction,
                                          const char *stage,
                                          gpointer    user_data);

void            confab_knowledge_import_file_async  (ConfabDatabase            *db,
                                                     const char                *knowledge_base_id,
                                                     GFile                     *file,
                                                     const char                *actor_id,
                                                     ConfabImportProgressFunc   progress,
                                                     gpointer                   progress_data,
                                                     GCancellable              *cancellable,
                                                     GAsyncReadyCallback        callback,
                                                     gpointer                   user_data);
ConfabDocument *confab_knowledge_import_file_finish (GAsyncResult              *result,
                                                     GError                   **error);
ConfabDocument *confab_knowledge_import_file_sync   (ConfabDatabase            *db,
                                                     const char                *knowledge_base_id,
                                                     GFile                     *file,
                                                     const char                *actor_id,
                                                     GError                   **error);

/* As above; *embed_warning (nullable) is set when the document is indexed
 * but its vectors could not all be made. */
ConfabDocument *confab_knowledge_import_file_finish_with_warning (GAsyncResult  *result,
                                                                  GError       **embed_warning,
                                                                  GError       **error);
ConfabDocument *confab_knowledge_import_file_sync_with_warning   (ConfabDatabase *db,
                                                                  const char     *kb_id,
                                                                  GFile          *file,
                                                                  const char     *actor_id,
                                                                  GError        **embed_warning,
                                                                  GError        **error);

G_END_DECLS
