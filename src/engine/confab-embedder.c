#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "confab-document.h"
#include "confab-embedder.h"
#include "confab-error.h"
#include "confab-knowledge-base.h"
#include "confab-provider-client.h"
#include "confab-repository.h"
#include "confab-util.h"

/* One embedding run; see confab-embedder.h. Chunks are read in rowid order
 * one batch at a time (keyset paging: "rowid > the last one seen"), so a
 * run always moves forward, sees chunks added meanwhile, and never holds
 * more than a batch of text. */

typedef struct
{
  ConfabDatabase         *db;
  ConfabSecretStore      *store;
  char                   *kb_id;
  char                   *document_id; /* NULL: every chunk of the knowledge base */
  char                   *model;
  ConfabProvider         *provider;
  ConfabLlmClient        *client;
  ConfabEmbedProgressFunc progress;
  gpointer                progress_data;
  guint                   n_total;
  guint                   n_done;
  guint                   dimension; /* of the first batch: a run is one model */
  gint64                  last_rowid;
  GPtrArray              *batch_ids; /* of the batch being embedded */
} Embed;

static void
embed_free (gpointer data)
{
  Embed *embed = data;

  g_clear_object (&embed->db);
  g_clear_object (&embed->store);
  g_clear_object (&embed->provider);
  g_clear_object (&embed->client);
  g_clear_pointer (&embed->batch_ids, g_ptr_array_unref);
  g_free (embed->kb_id);
  g_free (embed->document_id);
  g_free (embed->model);
  g_free (embed);
}

/* Blobs and similarity */

GBytes *
confab_embedding_to_blob (const float *values, guint n)
{
  guint32 *words = g_new (guint32, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    {
      guint32 bits;

      memcpy (&bits, &values[i], sizeof bits);
      words[i] = GUINT32_TO_LE (bits);
    }
  return g_bytes_new_take (words, (gsize) n * sizeof (guint32));
}

double
confab_embedding_norm (const float *values, guint n)
{
  double sum = 0.0;

  for (guint i = 0; i < n; i++)
    sum += (double) values[i] * values[i];
  return sqrt (sum);
}

double
confab_embedding_cosine_blob (const float *query, double query_norm, const void *blob, guint n)
{
  const guint8 *bytes = blob;
  double        dot = 0.0;
  double        norm = 0.0;

  for (guint i = 0; i < n; i++)
    {
      guint32 bits;
      float   value;

      memcpy (&bits, bytes + (gsize) i * 4, sizeof bits);
      bits = GUINT32_FROM_LE (bits);
      memcpy (&value, &bits, sizeof value);
      dot += (double) query[i] * value;
      norm += (double) value * value;
    }
  if (norm <= 0.0 || query_norm <= 0.0 || !isfinite (dot) || !isfinite (norm))
    return 0.0;
  return dot / (query_norm * sqrt (norm));
}

/* Settings */

gboolean
confab_knowledge_base_has_embeddings (ConfabDatabase *db,
                                      const char     *kb_id,
                                      char          **out_model,
                                      GError        **error)
{
  g_autoptr (ConfabKnowledgeBase) kb = NULL;
  const char *provider_id;
  const char *model;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (kb_id != NULL, FALSE);

  kb = confab_repository_get (db, CONFAB_TYPE_KNOWLEDGE_BASE, kb_id, error);
  if (kb == NULL)
    return FALSE;
  provider_id = confab_knowledge_base_get_embedding_provider_id (kb);
  model = confab_knowledge_base_get_embedding_model (kb);
  if (provider_id == NULL || *provider_id == '\0' || model == NULL || *model == '\0')
    return FALSE;
  if (out_model != NULL)
    *out_model = g_strdup (model);
  return TRUE;
}

/* The run */

static void
set_step_error (ConfabDatabase *db, GError **error)
{
  confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)), error);
}

static const char *
pending_sql (Embed *embed)
{
  /* The same condition for the count and the batches. */
  if (embed->document_id != NULL)
    return "FROM chunks WHERE document_id = ?1 AND knowledge_base_id = ?2 "
           "AND (embedding IS NULL OR embedding_model IS NOT ?3) AND rowid > ?4";
  return "FROM chunks WHERE knowledge_base_id = ?2 "
         "AND (embedding IS NULL OR embedding_model IS NOT ?3) AND rowid > ?4";
}

static ConfabStmt *
prepare_pending (Embed *embed, const char *select, const char *tail, GError **error)
{
  g_autofree char *sql = g_strconcat (select, " ", pending_sql (embed), tail, NULL);
  ConfabStmt      *stmt = confab_database_prepare (embed->db, sql, error);

  if (stmt == NULL)
    return NULL;
  if (embed->document_id != NULL)
    sqlite3_bind_text (stmt, 1, embed->document_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, embed->kb_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, embed->model, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, embed->last_rowid);
  return stmt;
}

static gboolean
count_pending (Embed *embed, guint *out_n, GError **error)
{
  g_autoptr (ConfabStmt) stmt = prepare_pending (embed, "SELECT count(*)", "", error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_step_error (embed->db, error);
      return FALSE;
    }
  *out_n = (guint) MIN (sqlite3_column_int64 (stmt, 0), G_MAXUINT);
  return TRUE;
}

static void
report (Embed *embed)
{
  if (embed->progress != NULL)
    embed->progress (embed->n_done, MAX (embed->n_total, embed->n_done), embed->progress_data);
}

static void next_batch (GTask *task);

/* Writes the batch's vectors with the model's name, in one transaction. */
static gboolean
save_batch (Embed *embed, GPtrArray *vectors, GError **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *details = NULL;
  g_autofree char *now = confab_now_iso8601 ();
  guint            dimension = ((GArray *) g_ptr_array_index (vectors, 0))->len;

  if (embed->dimension == 0)
    embed->dimension = dimension;
  else if (dimension != embed->dimension)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                   _ ("“%s” sent vectors of %u numbers after vectors of %u numbers for the "
                      "model “%s”"),
                   confab_provider_get_name (embed->provider), dimension, embed->dimension,
                   embed->model);
      return FALSE;
    }

  if (!confab_database_begin (embed->db, error))
    return FALSE;
  stmt = confab_database_prepare (embed->db,
                                  "UPDATE chunks SET embedding = ?, embedding_model = ?, "
                                  "updated_at = ? WHERE id = ?",
                                  error);
  if (stmt == NULL)
    goto rollback;
  for (guint i = 0; i < vectors->len; i++)
    {
      GArray *vector = g_ptr_array_index (vectors, i);
      g_autoptr (GBytes) blob =
          confab_embedding_to_blob ((const float *) vector->data, vector->len);
      gsize         size;
      gconstpointer data = g_bytes_get_data (blob, &size);

      sqlite3_reset (stmt);
      sqlite3_bind_blob (stmt, 1, data, (int) size, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, embed->model, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, now, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 4, g_ptr_array_index (embed->batch_ids, i), -1, SQLITE_TRANSIENT);
      /* A chunk deleted meanwhile (its document indexed again) updates no
       * row: its replacement comes in a later batch. */
      if (!confab_database_step_done (embed->db, stmt, error))
        goto rollback;
    }
  sqlite3_reset (g_steal_pointer (&stmt));

  /* Derived data like the chunks themselves: one audit row per batch says
   * what was made, not the numbers. */
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, embed->model);
  json_builder_set_member_name (builder, "chunks");
  json_builder_add_int_value (builder, vectors->len);
  json_builder_set_member_name (builder, "dimension");
  json_builder_add_int_value (builder, dimension);
  if (embed->document_id != NULL)
    {
      json_builder_set_member_name (builder, "document_id");
      json_builder_add_string_value (builder, embed->document_id);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  details = json_to_string (root, FALSE);
  if (!confab_database_audit (embed->db, NULL, "knowledge_base", embed->kb_id, "embed", details,
                              error))
    goto rollback;
  confab_database_notify_change (embed->db, "chunks", NULL, "update");
  return confab_database_commit (embed->db, error);

rollback:
  confab_database_rollback (embed->db);
  return FALSE;
}

static void
on_embedded (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Embed *embed = g_task_get_task_data (task);
  g_autoptr (GPtrArray) vectors = NULL;
  g_autoptr (GError) error = NULL;

  vectors = confab_llm_client_embed_finish (CONFAB_LLM_CLIENT (source), result, &error);
  if (vectors == NULL || !save_batch (embed, vectors, &error))
    {
      g_debug ("Embedding the chunks of “%s” stopped after %u of %u: %s", embed->kb_id,
               embed->n_done, embed->n_total, error->message);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  embed->n_done += vectors->len;
  report (embed);
  next_batch (g_steal_pointer (&task));
}

/* Takes task. */
static void
next_batch (GTask *task)
{
  Embed *embed = g_task_get_task_data (task);
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *tail = g_strdup_printf (" ORDER BY rowid LIMIT %d", CONFAB_EMBED_BATCH_SIZE);
  int              rc;

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  stmt = prepare_pending (embed, "SELECT rowid, id, text", tail, &error);
  if (stmt == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  g_clear_pointer (&embed->batch_ids, g_ptr_array_unref);
  embed->batch_ids = g_ptr_array_new_with_free_func (g_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      embed->last_rowid = sqlite3_column_int64 (stmt, 0);
      g_ptr_array_add (embed->batch_ids, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
      g_ptr_array_add (texts, g_strdup ((const char *) sqlite3_column_text (stmt, 2)));
    }
  if (rc != SQLITE_DONE)
    {
      set_step_error (embed->db, &error);
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  sqlite3_reset (g_steal_pointer (&stmt));

  if (texts->len == 0)
    {
      g_debug ("Embedded %u chunks of “%s” with “%s”", embed->n_done, embed->kb_id, embed->model);
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  /* Chunks imported meanwhile are embedded too. */
  embed->n_total = MAX (embed->n_total, embed->n_done + texts->len);
  g_ptr_array_add (texts, NULL);
  confab_llm_client_embed_async (embed->client, embed->model, (const char *const *) texts->pdata,
                                 g_task_get_cancellable (task), on_embedded, task);
}

static void
on_client (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  Embed *embed = g_task_get_task_data (task);
  g_autoptr (GError) keyring_warning = NULL;
  g_autoptr (GError) error = NULL;

  embed->client = confab_provider_new_client_finish (CONFAB_PROVIDER (source), result,
                                                     &keyring_warning, &error);
  if (embed->client == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (keyring_warning != NULL)
    g_debug ("Embedding without an API key for “%s”: %s",
             confab_provider_get_name (embed->provider), keyring_warning->message);
  next_batch (g_steal_pointer (&task));
}

/* Reads the settings and starts; the task fails at once when there is
 * nothing it can do. */
static void
embed_start (ConfabDatabase         *db,
             ConfabSecretStore      *store,
             const char             *kb_id,
             const char             *document_id,
             GCancellable           *cancellable,
             ConfabEmbedProgressFunc progress_func,
             gpointer                progress_data,
             GAsyncReadyCallback     callback,
             gpointer                user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (ConfabKnowledgeBase) kb = NULL;
  g_autoptr (GError) error = NULL;
  const char *provider_id;
  const char *model;
  Embed      *embed;

  task = g_task_new (db, cancellable, callback, user_data);
  g_task_set_source_tag (task, embed_start);
  g_task_set_name (task, "[confab] embed chunks");
  embed = g_new0 (Embed, 1);
  embed->db = g_object_ref (db);
  embed->store = store != NULL ? g_object_ref (store) : NULL;
  embed->document_id = g_strdup (document_id);
  embed->progress = progress_func;
  embed->progress_data = progress_data;
  g_task_set_task_data (task, embed, embed_free);

  if (document_id != NULL)
    {
      g_autoptr (ConfabDocument) document =
          confab_repository_get (db, CONFAB_TYPE_DOCUMENT, document_id, &error);

      if (document == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      kb_id = confab_document_get_knowledge_base_id (document);
      embed->kb_id = g_strdup (kb_id);
    }
  else
    embed->kb_id = g_strdup (kb_id);

  kb = confab_repository_get (db, CONFAB_TYPE_KNOWLEDGE_BASE, embed->kb_id, &error);
  if (kb == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  provider_id = confab_knowledge_base_get_embedding_provider_id (kb);
  model = confab_knowledge_base_get_embedding_model (kb);
  if (provider_id == NULL || *provider_id == '\0' || model == NULL || *model == '\0')
    {
      g_task_return_new_error (task, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                               _ ("The knowledge base “%s” has no embedding provider and model; "
                                  "choose them first"),
                               confab_knowledge_base_get_title (kb));
      return;
    }
  embed->model = g_strdup (model);
  embed->provider = confab_repository_get (db, CONFAB_TYPE_PROVIDER, provider_id, &error);
  if (embed->provider == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (!count_pending (embed, &embed->n_total, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (embed->n_total == 0)
    {
      /* Nothing to do: no keyring, no network. */
      g_task_return_boolean (task, TRUE);
      return;
    }
  report (embed);
  confab_provider_new_client_async (embed->provider, store, cancellable, on_client,
                                    g_steal_pointer (&task));
}

/**
 * confab_knowledge_embed_async:
 * @db: the workspace; used on the calling thread only
 * @store: (nullable): the keyring, or %NULL for a new #ConfabSecretStore
 * @kb_id: the knowledge base
 * @cancellable: (nullable): stops the run after the batch being written
 * @progress_func: (nullable): called after each batch
 * @progress_data: data for @progress_func, valid until @callback runs
 * @callback: called when every chunk has a vector, or the run stopped
 * @user_data: data for @callback
 *
 * Embeds the chunks of @kb_id that have no vector of its current model;
 * see the top of confab-embedder.h.
 */
void
confab_knowledge_embed_async (ConfabDatabase         *db,
                              ConfabSecretStore      *store,
                              const char             *kb_id,
                              GCancellable           *cancellable,
                              ConfabEmbedProgressFunc progress_func,
                              gpointer                progress_data,
                              GAsyncReadyCallback     callback,
                              gpointer                user_data)
{
  g_return_if_fail (CONFAB_IS_DATABASE (db));
  g_return_if_fail (store == NULL || CONFAB_IS_SECRET_STORE (store));
  g_return_if_fail (kb_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  embed_start (db, store, kb_id, NULL, cancellable, progress_func, progress_data, callback,
               user_data);
}

/**
 * confab_knowledge_embed_document_async:
 *
 * confab_knowledge_embed_async() for the chunks of one document.
 */
void
confab_knowledge_embed_document_async (ConfabDatabase         *db,
                                       ConfabSecretStore      *store,
                                       const char             *document_id,
                                       GCancellable           *cancellable,
                                       ConfabEmbedProgressFunc progress_func,
                                       gpointer                progress_data,
                                       GAsyncReadyCallback     callback,
                                       gpointer                user_data)
{
  g_return_if_fail (CONFAB_IS_DATABASE (db));
  g_return_if_fail (store == NULL || CONFAB_IS_SECRET_STORE (store));
  g_return_if_fail (document_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  embed_start (db, store, NULL, document_id, cancellable, progress_func, progress_data, callback,
               user_data);
}

/**
 * confab_knowledge_embed_finish:
 * @result: the result given to the callback
 * @out_n_embedded: (out) (optional): the chunks given a vector by the run
 * @error: return location for a #GError
 *
 * Returns: %TRUE when every chunk that needed one has a vector
 */
gboolean
confab_knowledge_embed_finish (GAsyncResult *result, guint *out_n_embedded, GError **error)
{
  Embed *embed;

  g_return_val_if_fail (G_IS_TASK (result), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == embed_start, FALSE);

  embed = g_task_get_task_data (G_TASK (result));
  if (out_n_embedded != NULL)
    *out_n_embedded = embed->n_done;
  return g_task_propagate_boolean (G_TASK (result), error);
}
