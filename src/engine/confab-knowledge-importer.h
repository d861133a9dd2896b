#pragma once

#include <gio/gio.h>

#include "confab-database.h"
#include "confab-document.h"

G_BEGIN_DECLS

/* Called on the main context of the import: @fraction goes from 0.0 to 1.0
 * and @stage is one of "processing", "reading", "extracting", "chunking",
 * "indexing", "indexed" (untranslated identifiers; the caller words them). */
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

G_END_DECLS
