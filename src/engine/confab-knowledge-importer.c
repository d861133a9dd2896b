#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "confab-chunk.h"
#include "confab-chunker.h"
#include "confab-embedder.h"
#include "confab-error.h"
#include "confab-knowledge-importer.h"
#include "confab-repository.h"
#include "confab-text-extract.h"

/* Adding a file to a knowledge base.
 *
 * The database is only touched on the thread that started the import (the
 * ConfabDatabase is not thread-safe): there the document is created
 * ("uploaded") and marked "processing", and at the end its chunks are written
 * (confab_document_replace_chunks(), which marks it "indexed"). Reading,
 * extracting and chunking run in a worker thread that sees nothing but the
 * file.
 *
 * Any failure once the document exists marks it "failed" with the error's
 * message in its error field and fails the import with that error; so does
 * cancellation: the document stays, "failed" with "The import was
 * cancelled", so the user sees what became of the file (deleting it is one
 * click; a document that silently vanished would be a mystery). Only a file
 * that cannot even be looked at (missing, a folder) or an import cancelled
 * before that creates no document.
 *
 * When the knowledge base has an embedding provider, the new chunks get
 * their vectors once the document is indexed (confab-embedder.h). That step
 * never fails the import: the document is indexed and found by its words
 * whatever happens to the vectors; a failure (or a cancellation then) is
 * kept as the import's embedding warning, logged at debug level, and the
 * missing vectors are made by the next embedding run. */

typedef struct
{
  ConfabDatabase           *db;
  char                     *knowledge_base_id;
  char                     *actor_id;
  GFile                    *file;
  ConfabImportProgressFunc  progress;
  gpointer                  progress_data;
  ConfabDocument           *document;
  char                     *name;         /* the display name */
  char                     *content_type;
  gboolean                  done;         /* no more progress reports */
  GError                   *embed_warning;
} Import;

static void
import_free (gpointer data)
{
  Import *import = data;

  g_clear_object (&import->db);
  g_clear_object (&import->file);
  g_clear_object (&import->document);
  g_free (import->knowledge_base_id);
  g_free (import->actor_id);
  g_free (import->name);
  g_free (import->content_type);
  g_clear_error (&import->embed_warning);
  g_free (import);
}

/* What the worker thread gets: its own copies, nothing shared with the
 * main thread but the (thread-safe) task reference for progress. */
typedef struct
{
  GFile *file;
  char  *name;
  GTask *import_task;
} Work;

static void
work_free (gpointer data)
{
  Work *work = data;

  g_clear_object (&work->file);
  g_clear_object (&work->import_task);
  g_free (work->name);
  g_free (work);
}

typedef struct
{
  GTask      *task;
  double      fraction;
  const char *stage;
} Progress;

static void
progress_free (gpointer data)
{
  Progress *progress = data;

  g_clear_object (&progress->task);
  g_free (progress);
}

static gboolean
progress_dispatch (gpointer data)
{
  Progress *progress = data;
  Import *import = g_task_get_task_data (progress->task);

  if (!import->done && import->progress != NULL)
    import->progress (progress->fraction, progress->stage, import->progress_data);
  return G_SOURCE_REMOVE;
}

/* From the worker thread: reports on the import's main context. */
static void
report (GTask      *task,
        double      fraction,
        const char *stage)
{
  Import *import = g_task_get_task_data (task);
  Progress *progress;
  GSource *source;

  if (import->progress == NULL)
    return;
  progress = g_new0 (Progress, 1);
  progress->task = g_object_ref (task);
  progress->fraction = fraction;
  progress->stage = stage;
  /* An idle source in the import's context, in order with the worker's
   * result (attached after the last report, at the same priority). */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, progress_dispatch, progress, progress_free);
  g_source_set_static_name (source, "[confab] import progress");
  g_source_attach (source, g_task_get_context (task));
  g_source_unref (source);
}

static void
report_now (GTask      *task,
            double      fraction,
            const char *stage)
{
  Import *import = g_task_get_task_data (task);

  if (!import->done && import->progress != NULL)
    import->progress (fraction, stage, import->progress_data);
}

/* Marks the document failed with @error's message and fails the import with
 * @error (taken). */
static void
fail (GTask  *task,
      GError *error)
{
  Import *import = g_task_get_task_data (task);

  import->done = TRUE;
  if (import->document != NULL)
    {
      g_autoptr (GError) update_error = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_error (&error);
          error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                       _("The import was cancelled"));
        }
      confab_document_set_status (import->document, "failed");
      confab_document_set_error (import->document, error->message);
      if (!confab_repository_update (import->db, CONFAB_ENTITY (import->document),
                                     import->actor_id, &update_error))
        g_debug ("Could not mark the document “%s” failed: %s", import->name,
                 update_error->message);
    }
  g_task_return_error (task, error);
}

static gboolean
check_cancelled (GCancellable  *cancellable,
                 GError       **error)
{
  return g_cancellable_set_error_if_cancelled (cancellable, error);
}

static void
work_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Work *work = task_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GPtrArray) chunks = NULL;
  g_autofree char *contents = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;

  report (work->import_task, 0.1, "reading");
  if (!g_file_load_contents (work->file, cancellable, &contents, &length, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_prefix_error (&error, _("Could not read “%s”: "), work->name);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
  if (check_cancelled (cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  report (work->import_task, 0.3, "extracting");
  text = confab_text_extract (bytes, work->name, &error);
  if (text == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_clear_pointer (&bytes, g_bytes_unref);
  if (check_cancelled (cancellable, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  report (work->import_task, 0.6, "chunking");
  chunks = confab_chunk_text (text, CONFAB_CHUNK_TARGET_CHARS, CONFAB_CHUNK_OVERLAP_CHARS);
  if (chunks->len == 0)
    {
      g_task_return_new_error (task, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                               _("“%s” has no text to index (a scanned PDF needs text "
                                 "recognition first)"),
                               work->name);
      return;
    }
  g_ptr_array_add (chunks, NULL);
  g_task_return_pointer (task, g_ptr_array_free (g_steal_pointer (&chunks), FALSE),
                         (GDestroyNotify) g_strfreev);
}

/* The share of the progress bar the vectors take, after "indexing". */
#define EMBED_START_FRACTION 0.85
#define EMBED_END_FRACTION   0.99

static void
finish_indexed (GTask *task)
{
  Import *import = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  ConfabDocument *indexed;

  indexed = confab_repository_get (import->db, CONFAB_TYPE_DOCUMENT,
                                   confab_entity_get_id (CONFAB_ENTITY (import->document)), &error);
  if (indexed == NULL)
    {
      import->done = TRUE;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  report_now (task, 1.0, "indexed");
  import->done = TRUE;
  g_task_return_pointer (task, indexed, g_object_unref);
}

static void
on_embed_progress (guint    n_done,
                   guint    n_total,
                   gpointer user_data)
{
  GTask *task = user_data;

  if (n_total > 0)
    report_now (task,
                EMBED_START_FRACTION +
                  (EMBED_END_FRACTION - EMBED_START_FRACTION) * n_done / n_total,
                "embedding");
}

static void
on_embedded (GObject      *source_object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Import *import = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  guint n = 0;

  if (!confab_knowledge_embed_finish (result, &n, &error))
    {
      g_debug ("“%s” is indexed without all its vectors (%u made): %s", import->name, n,
               error->message);
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        import->embed_warning =
          g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                       _("“%s” is indexed, but making its vectors was cancelled; it is found "
                         "by its words until they are made"),
                       import->name);
      else
        import->embed_warning =
          g_error_new (error->domain, error->code,
                       _("“%s” is indexed, but its vectors could not be made; it is found by "
                         "its words until they are: %s"),
                       import->name, error->message);
    }
  finish_indexed (task);
}

static void
work_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Import *import = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) chunks = NULL;
  const char *id = confab_entity_get_id (CONFAB_ENTITY (import->document));

  /* Drop the worker's reference here, so the import never ends (and frees
   * its database reference) in the worker thread. */
  g_clear_object (&((Work *) g_task_get_task_data (G_TASK (result)))->import_task);

  chunks = g_task_propagate_pointer (G_TASK (result), &error);
  if (chunks == NULL || check_cancelled (g_task_get_cancellable (task), &error))
    {
      fail (task, g_steal_pointer (&error));
      return;
    }

  report_now (task, 0.8, "indexing");
  if (!confab_document_replace_chunks (import->db, id, (const char * const *) chunks,
                                       import->actor_id, &error))
    {
      fail (task, g_steal_pointer (&error));
      return;
    }

  if (confab_knowledge_base_has_embeddings (import->db, import->knowledge_base_id, NULL, &error))
    {
      GTask *progress_task = task; /* alive until on_embedded */
      GCancellable *cancellable = g_task_get_cancellable (task);

      report_now (task, EMBED_START_FRACTION, "embedding");
      confab_knowledge_embed_document_async (import->db, NULL, id, cancellable, on_embed_progress,
                                             progress_task, on_embedded, g_steal_pointer (&task));
      return;
    }
  if (error != NULL)
    {
      /* Reading the settings failed: the document is indexed all the same. */
      g_debug ("Could not read the embedding settings of “%s”: %s", import->knowledge_base_id,
               error->message);
      import->embed_warning = g_steal_pointer (&error);
    }
  finish_indexed (g_steal_pointer (&task));
}

/* The type stored on the document: the supported type the name says, or
 * what GIO guesses from it. */
static char *
guess_content_type (const char *name)
{
  const char *known = confab_text_extract_content_type (name, NULL, 0);
  g_autofree char *guessed = NULL;
  char *mime;

  if (known != NULL)
    return g_strdup (known);
  guessed = g_content_type_guess (name, NULL, 0, NULL);
  mime = guessed != NULL ? g_content_type_get_mime_type (guessed) : NULL;
  return mime != NULL ? mime : g_strdup ("application/octet-stream");
}

static void
query_info_done (GObject      *source_object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Import *import = g_task_get_task_data (task);
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) work_task = NULL;
  GCancellable *cancellable;
  Work *work;
  gint64 size;

  info = g_file_query_info_finish (G_FILE (source_object), result, &error);
  if (info == NULL)
    {
      import->done = TRUE;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  import->name = g_strdup (g_file_info_get_display_name (info));
  if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
    {
      import->done = TRUE;
      g_task_return_new_error (task, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                               _("“%s” is a folder, not a document"), import->name);
      return;
    }
  import->content_type = guess_content_type (import->name);
  size = g_file_info_get_size (info);

  import->document = confab_document_new (import->knowledge_base_id, import->name);
  confab_document_set_content_type (import->document, import->content_type);
  confab_document_set_size_bytes (import->document, MAX (size, 0));
  confab_document_set_status (import->document, "uploaded");
  if (!confab_repository_create (import->db, CONFAB_ENTITY (import->document), import->actor_id,
                                 &error))
    {
      g_clear_object (&import->document);
      import->done = TRUE;
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (size > CONFAB_TEXT_EXTRACT_MAX_BYTES)
    {
      fail (task, g_error_new (CONFAB_ERROR, CONFAB_ERROR_LIMIT,
                               _("“%s” is larger than %d MB, the limit for a document"),
                               import->name, CONFAB_TEXT_EXTRACT_MAX_BYTES / (1024 * 1024)));
      return;
    }
  if (check_cancelled (g_task_get_cancellable (task), &error))
    {
      fail (task, g_steal_pointer (&error));
      return;
    }

  confab_document_set_status (import->document, "processing");
  if (!confab_repository_update (import->db, CONFAB_ENTITY (import->document), import->actor_id,
                                 &error))
    {
      fail (task, g_steal_pointer (&error));
      return;
    }
  report_now (task, 0.0, "processing");

  work = g_new0 (Work, 1);
  work->file = g_object_ref (import->file);
  work->name = g_strdup (import->name);
  work->import_task = g_object_ref (task);
  cancellable = g_task_get_cancellable (task);
  work_task = g_task_new (NULL, cancellable, work_done, g_steal_pointer (&task));
  g_task_set_source_tag (work_task, query_info_done);
  g_task_set_task_data (work_task, work, work_free);
  g_task_run_in_thread (work_task, work_thread);
}

/**
 * confab_knowledge_import_file_async:
 * @db: the workspace; used on the calling thread only
 * @knowledge_base_id: the knowledge base to add the file to
 * @file: a .txt, .md, .html/.htm or .pdf file
 * @actor_id: (nullable): the user adding it, for the audit log
 * @progress: (nullable): called on the calling thread's
 *   thread-default main context as the import goes on
 * @progress_data: data for @progress, valid until @callback runs
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the document is indexed or failed
 * @user_data: data for @callback
 *
 * Adds @file to a knowledge base as a new document and indexes it: status
 * "uploaded", then "processing" while the file is read, its text extracted
 * (confab_text_extract()) and cut into chunks (confab_chunk_text()) in a
 * worker thread, then "indexed" with its chunks written — or "failed" with the
 * reason in the document's error field. See the top of this file for
 * cancellation.
 */
void
confab_knowledge_import_file_async (ConfabDatabase           *db,
                                    const char               *knowledge_base_id,
                                    GFile                    *file,
                                    const char               *actor_id,
                                    ConfabImportProgressFunc  progress,
                                    gpointer                  progress_data,
                                    GCancellable             *cancellable,
                                    GAsyncReadyCallback       callback,
                                    gpointer                  user_data)
{
  g_autoptr (GTask) task = NULL;
  Import *import;

  g_return_if_fail (CONFAB_IS_DATABASE (db));
  g_return_if_fail (knowledge_base_id != NULL);
  g_return_if_fail (G_IS_FILE (file));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (db, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_knowledge_import_file_async);
  /* The document's status tells what happened; a cancelled import has
   * marked it failed before it returns. */
  g_task_set_check_cancellable (task, FALSE);

  import = g_new0 (Import, 1);
  import->db = g_object_ref (db);
  import->knowledge_base_id = g_strdup (knowledge_base_id);
  import->actor_id = g_strdup (actor_id);
  import->file = g_object_ref (file);
  import->progress = progress;
  import->progress_data = progress_data;
  g_task_set_task_data (task, import, import_free);

  g_file_query_info_async (file,
                           G_FILE_ATTRIBUTE_STANDARD_DISPLAY_NAME ","
                           G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                           G_FILE_ATTRIBUTE_STANDARD_TYPE,
                           G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, cancellable,
                           query_info_done, g_steal_pointer (&task));
}

/**
 * confab_knowledge_import_file_finish:
 *
 * Returns: (transfer full): the indexed document (status "indexed"), or
 *   %NULL with @error set; a document created before the failure stays in
 *   the knowledge base with status "failed" and the error's message
 */
ConfabDocument *
confab_knowledge_import_file_finish (GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_knowledge_import_file_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * confab_knowledge_import_file_finish_with_warning:
 * @result: the result given to the callback
 * @embed_warning: (out) (optional): set when the document is indexed but
 *   its vectors could not all be made (the embedding provider's error,
 *   reworded; G_IO_ERROR_CANCELLED when the import was cancelled then)
 * @error: return location for a #GError
 *
 * confab_knowledge_import_file_finish(), also telling what became of the
 * vectors of a knowledge base with an embedding provider.
 *
 * Returns: (transfer full): the indexed document, or %NULL with @error set
 */
ConfabDocument *
confab_knowledge_import_file_finish_with_warning (GAsyncResult  *result,
                                                  GError       **embed_warning,
                                                  GError       **error)
{
  Import *import;

  g_return_val_if_fail (G_IS_TASK (result), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_knowledge_import_file_async, NULL);

  import = g_task_get_task_data (G_TASK (result));
  if (embed_warning != NULL && import->embed_warning != NULL && !g_task_had_error (G_TASK (result)))
    *embed_warning = g_error_copy (import->embed_warning);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
sync_done (GObject      *source_object,
           GAsyncResult *result,
           gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/**
 * confab_knowledge_import_file_sync:
 *
 * confab_knowledge_import_file_async() run to its end on a private main
 * context, for the command line. Blocks the calling thread.
 *
 * Returns: (transfer full): the indexed document, or %NULL with @error set
 */
ConfabDocument *
confab_knowledge_import_file_sync (ConfabDatabase  *db,
                                   const char      *knowledge_base_id,
                                   GFile           *file,
                                   const char      *actor_id,
                                   GError         **error)
{
  return confab_knowledge_import_file_sync_with_warning (db, knowledge_base_id, file, actor_id,
                                                         NULL, error);
}

/**
 * confab_knowledge_import_file_sync_with_warning:
 * @embed_warning: (out) (optional): as for
 *   confab_knowledge_import_file_finish_with_warning()
 *
 * confab_knowledge_import_file_sync() with the embedding warning.
 *
 * Returns: (transfer full): the indexed document, or %NULL with @error set
 */
ConfabDocument *
confab_knowledge_import_file_sync_with_warning (ConfabDatabase  *db,
                                                const char      *knowledge_base_id,
                                                GFile           *file,
                                                const char      *actor_id,
                                                GError         **embed_warning,
                                                GError         **error)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (GAsyncResult) result = NULL;
  ConfabDocument *document;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (knowledge_base_id != NULL, NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  g_main_context_push_thread_default (context);
  confab_knowledge_import_file_async (db, knowledge_base_id, file, actor_id, NULL, NULL, NULL,
                                      sync_done, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);
  document = confab_knowledge_import_file_finish_with_warning (result, embed_warning, error);
  g_main_context_pop_thread_default (context);
  return document;
}
