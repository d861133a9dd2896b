/* Optional embeddings for knowledge retrieval: the knowledge base's settings,
 * vectors made on import and by confab_knowledge_embed_async() (batches,
 * cancellation, model changes), hybrid retrieval (BM25 fused with cosine
 * similarity by reciprocal rank fusion), what happens when the embedding
 * provider is down, the agent runtime's use of it, and confab-cli kb.
 * Vectors come from the mock server, scripted per request. */

#include "config.h"

#include <string.h>

#include "confab-agent-runtime.h"
#include "confab-embedder.h"
#include "confab-knowledge-importer.h"
#include "confab-mock-llm-server.h"
#include "confab-retriever.h"
#include "confab-test-util.h"

#define MODEL       "nomic-embed-text"
#define OTHER_MODEL "mxbai-embed-large"
#define CHAT_MODEL  "llama3.2"
#define WAIT_MS     20000

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static void
create (ConfabDatabase *db, gpointer entity)
{
  g_autoptr (GError) error = NULL;

  confab_repository_create (db, CONFAB_ENTITY (entity), NULL, &error);
  g_assert_no_error (error);
}

static void
update (ConfabDatabase *db, gpointer entity)
{
  g_autoptr (GError) error = NULL;

  confab_repository_update (db, CONFAB_ENTITY (entity), NULL, &error);
  g_assert_no_error (error);
}

/* The first column of the first row of sql, as text (NULL for none). */
static char *
query_text (ConfabDatabase *db, const char *sql)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, sql, &error);

  g_assert_no_error (error);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

static ConfabProvider *
add_provider (ConfabDatabase *db, const char *name, const char *base_url)
{
  ConfabProvider *provider = confab_provider_new (name, "openai_compatible", base_url);

  confab_provider_set_default_model (provider, CHAT_MODEL);
  create (db, provider);
  return provider;
}

/* A provider at an address where nothing listens. */
static ConfabProvider *
add_dead_provider (ConfabDatabase *db)
{
  g_autoptr (ConfabMockLlmServer) gone = confab_mock_llm_server_new ();
  g_autofree char *url = confab_mock_llm_server_get_url (gone, "/v1");

  g_clear_object (&gone);
  confab_test_drain_main_loop ();
  return add_provider (db, "Offline", url);
}

static ConfabKnowledgeBase *
add_kb (ConfabDatabase *db, const char *title, const char *provider_id, const char *model)
{
  ConfabKnowledgeBase *kb = confab_knowledge_base_new (title);

  confab_knowledge_base_set_embedding_provider_id (kb, provider_id);
  confab_knowledge_base_set_embedding_model (kb, model);
  create (db, kb);
  return kb;
}

/* {"data": [{"index": i, "embedding": VECTOR_i}, ...]} for the NULL-terminated
 * JSON arrays given. */
static ConfabMockResponse *
vectors_response (const char *first, ...)
{
  g_autoptr (GString) json = g_string_new ("{\"object\":\"list\",\"data\":[");
  va_list args;
  guint   i = 0;

  va_start (args, first);
  for (const char *vector = first; vector != NULL; vector = va_arg (args, const char *), i++)
    g_string_append_printf (json, "%s{\"object\":\"embedding\",\"index\":%u,\"embedding\":%s}",
                            i > 0 ? "," : "", i, vector);
  va_end (args);
  g_string_append (json, "],\"model\":\"" MODEL "\"}");
  return confab_mock_response_new_json (200, json->str);
}

/* The "input" texts of the server's request i, joined by "|". */
static char *
request_input (ConfabMockLlmServer *server, guint i)
{
  const ConfabMockRequest *request = confab_mock_llm_server_get_request (server, i);
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) texts = g_ptr_array_new ();
  JsonArray *input;

  g_assert_nonnull (request);
  g_assert_cmpstr (request->path, ==, "/v1/embeddings");
  root = confab_mock_request_get_json (request);
  input = json_object_get_array_member (json_node_get_object (root), "input");
  for (guint j = 0; j < json_array_get_length (input); j++)
    g_ptr_array_add (texts, (gpointer) json_array_get_string_element (input, j));
  g_ptr_array_add (texts, NULL);
  return g_strjoinv ("|", (char **) texts->pdata);
}

static const char *
request_model (ConfabMockLlmServer *server, guint i)
{
  static char model[64];
  g_autoptr (JsonNode) root =
      confab_mock_request_get_json (confab_mock_llm_server_get_request (server, i));

  g_strlcpy (model, json_object_get_string_member (json_node_get_object (root), "model"),
             sizeof model);
  return model;
}

/* ---- running async calls on the default main context ---- */

typedef struct
{
  GAsyncResult *result;
} Wait;

static void
on_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ((Wait *) user_data)->result = g_object_ref (result);
}

static gboolean
has_result (gpointer data)
{
  return ((Wait *) data)->result != NULL;
}

static GAsyncResult *
wait_result (Wait *wait)
{
  g_assert_true (confab_mock_wait_until (has_result, wait, WAIT_MS));
  return wait->result;
}

typedef struct
{
  GPtrArray *stages;
} ImportProgress;

static void
on_import_progress (double fraction, const char *stage, gpointer user_data)
{
  ImportProgress *progress = user_data;

  if (progress->stages->len == 0 ||
      g_strcmp0 (g_ptr_array_index (progress->stages, progress->stages->len - 1), stage) != 0)
    g_ptr_array_add (progress->stages, g_strdup (stage));
}

/* Imports a one-paragraph text file (one chunk) with the default main
 * context running, so the mock server answers. Returns the document;
 * *out_stages (nullable) gets the stages seen, joined by ",". */
static ConfabDocument *
import_text (ConfabDatabase *db,
             const char     *kb_id,
             const char     *dir,
             const char     *filename,
             const char     *text,
             GError        **embed_warning,
             char          **out_stages)
{
  g_autofree char *path = g_build_filename (dir, filename, NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  ImportProgress  progress = { g_ptr_array_new_with_free_func (g_free) };
  Wait            wait = { 0 };
  ConfabDocument *document;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
  confab_knowledge_import_file_async (db, kb_id, file, NULL, on_import_progress, &progress, NULL,
                                      on_done, &wait);
  document =
      confab_knowledge_import_file_finish_with_warning (wait_result (&wait), embed_warning, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_document_get_status (document), ==, "indexed");
  g_assert_cmpint (confab_test_count_rows (db, "SELECT count(*) FROM documents "
                                               "WHERE status != 'indexed'"),
                   ==, 0);
  if (out_stages != NULL)
    {
      g_ptr_array_add (progress.stages, NULL);
      *out_stages = g_strjoinv (",", (char **) progress.stages->pdata);
    }
  g_ptr_array_unref (progress.stages);
  return document;
}

static char *
chunk_of (ConfabDatabase *db, ConfabDocument *document)
{
  g_autofree char *sql =
      g_strdup_printf ("SELECT id FROM chunks WHERE document_id = '%s'", id_of (document));
  char *id = query_text (db, sql);

  g_assert_nonnull (id);
  return id;
}

static gint64
count_vectors (ConfabDatabase *db, const char *model)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM chunks WHERE embedding IS NOT NULL "
                                          "AND embedding_model = '%s'",
                                          model);

  return confab_test_count_rows (db, sql);
}

typedef struct
{
  GPtrArray *hits;
  gboolean   used_vectors;
  GError    *warning;
} Retrieved;

static void
retrieved_clear (Retrieved *r)
{
  g_clear_pointer (&r->hits, g_ptr_array_unref);
  g_clear_error (&r->warning);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Retrieved, retrieved_clear)

static void
retrieve (ConfabDatabase *db, const char *kb_id, const char *query, guint top_k, Retrieved *r)
{
  const char *ids[] = { kb_id, NULL };
  g_autoptr (GError) error = NULL;
  Wait wait = { 0 };

  retrieved_clear (r);
  confab_knowledge_retrieve_async (db, NULL, kb_id != NULL ? ids : NULL, query, top_k, NULL,
                                   on_done, &wait);
  r->hits =
      confab_knowledge_retrieve_finish (wait_result (&wait), &r->used_vectors, &r->warning, &error);
  g_clear_object (&wait.result);
  g_assert_no_error (error);
  g_assert_nonnull (r->hits);
}

/* The hits' chunk ids, joined by ","; ranks checked to be 1, 2, ... */
static char *
hit_ids (GPtrArray *hits)
{
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();

  for (guint i = 0; i < hits->len; i++)
    {
      ConfabRetrievedChunk *hit = g_ptr_array_index (hits, i);

      g_assert_cmpuint (hit->rank, ==, i + 1);
      g_ptr_array_add (ids, hit->chunk_id);
    }
  g_ptr_array_add (ids, NULL);
  return g_strjoinv (",", (char **) ids->pdata);
}

static char *
join_ids (const char *first, ...)
{
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  va_list args;

  va_start (args, first);
  for (const char *id = first; id != NULL; id = va_arg (args, const char *))
    g_ptr_array_add (ids, (gpointer) id);
  va_end (args);
  g_ptr_array_add (ids, NULL);
  return g_strjoinv (",", (char **) ids->pdata);
}

/* ------------------------------------------------------------------------ */

static void
test_settings (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabProvider) provider = add_provider (ws->db, "Local", "http://127.0.0.1:11434/v1");
  g_autoptr (ConfabKnowledgeBase) kb = confab_knowledge_base_new ("Bakery FAQ");
  g_autoptr (ConfabKnowledgeBase) stored = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *model = NULL;

  /* A provider needs a model. */
  confab_knowledge_base_set_embedding_provider_id (kb, id_of (provider));
  g_assert_false (confab_repository_create (ws->db, CONFAB_ENTITY (kb), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Bakery FAQ"));
  g_assert_nonnull (strstr (error->message, "embedding model"));
  g_clear_error (&error);

  /* The provider must exist. */
  confab_knowledge_base_set_embedding_provider_id (kb, "no-such-provider");
  confab_knowledge_base_set_embedding_model (kb, MODEL);
  g_assert_false (confab_repository_create (ws->db, CONFAB_ENTITY (kb), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "no-such-provider"));
  g_clear_error (&error);

  confab_knowledge_base_set_embedding_provider_id (kb, id_of (provider));
  create (ws->db, kb);
  stored = confab_repository_get (ws->db, CONFAB_TYPE_KNOWLEDGE_BASE, id_of (kb), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_knowledge_base_get_embedding_provider_id (stored), ==, id_of (provider));
  g_assert_cmpstr (confab_knowledge_base_get_embedding_model (stored), ==, MODEL);
  g_assert_true (confab_knowledge_base_has_embeddings (ws->db, id_of (kb), &model, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (model, ==, MODEL);
  g_clear_object (&stored);

  /* Deleting the provider keeps the model (and the vectors): the knowledge
   * base can still be saved, and embeds nothing until it has a provider. */
  g_assert_true (
      confab_repository_delete (ws->db, CONFAB_TYPE_PROVIDER, id_of (provider), NULL, &error));
  g_assert_no_error (error);
  stored = confab_repository_get (ws->db, CONFAB_TYPE_KNOWLEDGE_BASE, id_of (kb), &error);
  g_assert_no_error (error);
  g_assert_null (confab_knowledge_base_get_embedding_provider_id (stored));
  g_assert_cmpstr (confab_knowledge_base_get_embedding_model (stored), ==, MODEL);
  confab_knowledge_base_set_description (stored, "Still saved");
  update (ws->db, stored);
  g_assert_false (confab_knowledge_base_has_embeddings (ws->db, id_of (kb), NULL, &error));
  g_assert_no_error (error);
  {
    Wait wait = { 0 };

    confab_knowledge_embed_async (ws->db, NULL, id_of (kb), NULL, NULL, NULL, on_done, &wait);
    g_assert_false (confab_knowledge_embed_finish (wait_result (&wait), NULL, &error));
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "Bakery FAQ"));
    g_clear_object (&wait.result);
  }
}

static void
test_import (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autofree char *url = confab_mock_llm_server_get_url (server, "/v1");
  g_autoptr (ConfabProvider) provider = add_provider (ws->db, "Mock", url);
  g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, "Bakery", id_of (provider), MODEL);
  g_autoptr (ConfabKnowledgeBase) plain = add_kb (ws->db, "No vectors", NULL, NULL);
  g_autoptr (ConfabDocument) bread = NULL;
  g_autoptr (ConfabDocument) cakes = NULL;
  g_autoptr (ConfabDocument) other = NULL;
  g_autoptr (GError) warning = NULL;
  g_autofree char *stages = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *hex = NULL;
  g_autofree char *input = NULL;

  confab_mock_llm_server_push (server, vectors_response ("[1.0, -2.0]", NULL));
  bread = import_text (ws->db, id_of (kb), ws->dir, "bread.txt", "Sourdough is baked daily.",
                       &warning, &stages);
  g_assert_no_error (warning);
  g_assert_cmpstr (stages, ==, "processing,reading,extracting,chunking,indexing,embedding,indexed");
  input = request_input (server, 0);
  g_assert_cmpstr (input, ==, "Sourdough is baked daily.");
  g_assert_cmpstr (request_model (server, 0), ==, MODEL);

  /* float32, little-endian, with the model's name. */
  sql = g_strdup_printf ("SELECT hex (embedding) || ' ' || embedding_model FROM chunks "
                         "WHERE document_id = '%s'",
                         id_of (bread));
  hex = query_text (ws->db, sql);
  g_assert_cmpstr (hex, ==, "0000803F000000C0 " MODEL);

  confab_mock_llm_server_push (server, vectors_response ("[0.5, 0.5]", NULL));
  cakes = import_text (ws->db, id_of (kb), ws->dir, "cakes.txt", "Cakes need two days notice.",
                       &warning, NULL);
  g_assert_no_error (warning);
  g_clear_pointer (&input, g_free);
  /* Only the new document's chunk is sent. */
  input = request_input (server, 1);
  g_assert_cmpstr (input, ==, "Cakes need two days notice.");
  g_assert_cmpint (count_vectors (ws->db, MODEL), ==, 2);

  /* A chunk whose text changes in place loses its vector. */
  {
    g_autofree char *chunk_id = chunk_of (ws->db, cakes);
    g_autofree char *update_sql = g_strdup_printf ("UPDATE chunks SET text = 'Cakes need a week.' "
                                                   "WHERE id = '%s'",
                                                   chunk_id);
    g_autofree char *same_sql = g_strdup_printf ("UPDATE chunks SET text = text WHERE id = '%s'",
                                                 chunk_id);
    g_autoptr (GError) error = NULL;

    confab_database_exec (ws->db, same_sql, &error);
    g_assert_no_error (error);
    g_assert_cmpint (count_vectors (ws->db, MODEL), ==, 2);
    confab_database_exec (ws->db, update_sql, &error);
    g_assert_no_error (error);
    g_assert_cmpint (count_vectors (ws->db, MODEL), ==, 1);
    g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM chunks "
                                                     "WHERE embedding_model IS NULL"), ==, 1);
  }

  /* One audit row per batch. */
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT count(*) FROM audit_log WHERE entity = 'knowledge_base' "
                         "AND entity_id = '%s' AND action = 'embed' "
                         "AND json_extract (details, '$.model') = '" MODEL "' "
                         "AND json_extract (details, '$.chunks') = 1",
                         id_of (kb));
  g_assert_cmpint (confab_test_count_rows (ws->db, sql), ==, 2);

  /* A knowledge base without a provider asks nobody. */
  g_clear_pointer (&stages, g_free);
  other = import_text (ws->db, id_of (plain), ws->dir, "plain.txt", "Nothing to embed here.",
                       &warning, &stages);
  g_assert_no_error (warning);
  g_assert_cmpstr (stages, ==, "processing,reading,extracting,chunking,indexing,indexed");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 2);

  /* The changed chunk is embedded again, and then nothing is left: no
   * request at all. */
  confab_mock_llm_server_push (server, vectors_response ("[0.25, 0.75]", NULL));
  for (guint i = 0; i < 2; i++)
    {
      Wait wait = { 0 };
      g_autoptr (GError) error = NULL;
      guint n = 99;

      confab_knowledge_embed_async (ws->db, NULL, id_of (kb), NULL, NULL, NULL, on_done, &wait);
      g_assert_true (confab_knowledge_embed_finish (wait_result (&wait), &n, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (n, ==, i == 0 ? 1 : 0);
      g_clear_object (&wait.result);
    }
  g_clear_pointer (&input, g_free);
  input = request_input (server, 2);
  g_assert_cmpstr (input, ==, "Cakes need a week.");
  g_assert_cmpint (count_vectors (ws->db, MODEL), ==, 2);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 3);
}

static void
test_import_provider_down (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabProvider) provider = add_dead_provider (ws->db);
  g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, "Bakery", id_of (provider), MODEL);
  g_autoptr (ConfabDocument) document = NULL;
  g_autoptr (GError) warning = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) hits = NULL;
  const char *ids[] = { id_of (kb), NULL };

  /* The import succeeds; the warning says what became of the vectors. */
  document = import_text (ws->db, id_of (kb), ws->dir, "hours.txt", "We open on Sunday at nine.",
                          &warning, NULL);
  g_assert_error (warning, CONFAB_ERROR, CONFAB_ERROR_NETWORK);
  g_assert_nonnull (strstr (warning->message, "hours.txt"));
  g_assert_nonnull (strstr (warning->message, "is indexed"));
  g_assert_nonnull (strstr (warning->message, "Offline"));
  g_assert_cmpint (count_vectors (ws->db, MODEL), ==, 0);

  /* And it is found by its words. */
  hits = confab_knowledge_retrieve (ws->db, ids, "sunday", 4, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
}

/* Four one-chunk documents with scripted vectors:
 *   bread   "Our sourdough bread ..."        [1, 0, 0]
 *   rye     "Dark rye loaves ..."            [0, 1, 0]
 *   cakes   "Birthday cakes ..."             [0, 0, 1]
 *   gluten  "Gluten free bread ..."          [0.6, 0.8, 0]
 * The query "gluten free bread" gets [0, 1, 0.1]:
 *   BM25:   gluten (every word), bread ("bread")
 *   cosine: rye 0.995, gluten 0.796, cakes 0.0995, bread 0
 * RRF (k = 60):
 *   gluten 1/61 + 1/62 = 0.032523
 *   bread  1/62 + 1/64 = 0.031754
 *   rye    1/61        = 0.016393
 *   cakes  1/63        = 0.015873 */
typedef struct
{
  ConfabTestWorkspace *ws;
  ConfabMockLlmServer *server;
  ConfabProvider      *provider;
  ConfabKnowledgeBase *kb;
  char                *bread;
  char                *rye;
  char                *cakes;
  char                *gluten;
} Corpus;

#define QUERY        "gluten free bread"
#define QUERY_VECTOR "[0, 1, 0.1]"

static void
corpus_set_up (Corpus *c)
{
  const struct
  {
    const char *filename;
    const char *text;
    const char *vector;
    char      **id;
  } docs[] = {
    { "bread.txt", "Our sourdough bread is baked every morning.", "[1, 0, 0]", &c->bread },
    { "rye.txt", "Dark rye loaves come out on Fridays.", "[0, 1, 0]", &c->rye },
    { "cakes.txt", "Birthday cakes need two days notice.", "[0, 0, 1]", &c->cakes },
    { "gluten.txt", "Gluten free bread: a loaf of rice flour.", "[0.6, 0.8, 0]", &c->gluten },
  };
  g_autofree char *url = NULL;

  c->ws = confab_test_workspace_new ();
  c->server = confab_mock_llm_server_new ();
  url = confab_mock_llm_server_get_url (c->server, "/v1");
  c->provider = add_provider (c->ws->db, "Mock", url);
  c->kb = add_kb (c->ws->db, "Bakery", id_of (c->provider), MODEL);
  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_autoptr (ConfabDocument) document = NULL;
      g_autoptr (GError) warning = NULL;

      confab_mock_llm_server_push (c->server, vectors_response (docs[i].vector, NULL));
      document = import_text (c->ws->db, id_of (c->kb), c->ws->dir, docs[i].filename, docs[i].text,
                              &warning, NULL);
      g_assert_no_error (warning);
      *docs[i].id = chunk_of (c->ws->db, document);
    }
  g_assert_cmpint (count_vectors (c->ws->db, MODEL), ==, 4);
}

static void
corpus_tear_down (Corpus *c)
{
  g_clear_object (&c->kb);
  g_clear_object (&c->provider);
  g_clear_object (&c->server);
  confab_test_drain_main_loop ();
  g_clear_pointer (&c->ws, confab_test_workspace_free);
  g_free (c->bread);
  g_free (c->rye);
  g_free (c->cakes);
  g_free (c->gluten);
}

static void
test_hybrid (void)
{
  Corpus c = { 0 };
  g_auto (Retrieved) r = { 0 };
  g_autoptr (GPtrArray) bm25 = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char      *got = NULL;
  g_autofree char      *expected = NULL;
  g_autofree char      *input = NULL;
  const char           *ids[] = { NULL, NULL };
  ConfabRetrievedChunk *hit;

  corpus_set_up (&c);
  ids[0] = id_of (c.kb);

  /* BM25 alone: the gluten passage, then the one with "bread". */
  bm25 = confab_knowledge_retrieve (c.ws->db, ids, QUERY, 4, &error);
  g_assert_no_error (error);
  got = hit_ids (bm25);
  expected = join_ids (c.gluten, c.bread, NULL);
  g_assert_cmpstr (got, ==, expected);

  /* Fused: the cosine top hit (rye) is in, after the two BM25 found and
   * the vectors agree with. */
  confab_mock_llm_server_push (c.server, vectors_response (QUERY_VECTOR, NULL));
  retrieve (c.ws->db, id_of (c.kb), QUERY, 4, &r);
  g_assert_true (r.used_vectors);
  g_assert_no_error (r.warning);
  g_clear_pointer (&got, g_free);
  g_clear_pointer (&expected, g_free);
  got = hit_ids (r.hits);
  expected = join_ids (c.gluten, c.bread, c.rye, c.cakes, NULL);
  g_assert_cmpstr (got, ==, expected);
  input = request_input (c.server, 4);
  g_assert_cmpstr (input, ==, QUERY);
  g_assert_cmpstr (request_model (c.server, 4), ==, MODEL);

  /* The same citation data as BM25's: file, position, text, a snippet. */
  hit = g_ptr_array_index (r.hits, 2);
  g_assert_cmpstr (hit->filename, ==, "rye.txt");
  g_assert_cmpint (hit->ordinal, ==, 0);
  g_assert_cmpstr (hit->knowledge_base_id, ==, id_of (c.kb));
  g_assert_cmpstr (hit->text, ==, "Dark rye loaves come out on Fridays.");
  g_assert_cmpstr (hit->snippet, ==, "Dark rye loaves come out on Fridays.");
  g_assert_nonnull (hit->document_id);
  hit = g_ptr_array_index (r.hits, 0);
  g_assert_cmpstr (hit->filename, ==, "gluten.txt");

  /* top_k cuts the fused list. */
  confab_mock_llm_server_push (c.server, vectors_response (QUERY_VECTOR, NULL));
  retrieve (c.ws->db, id_of (c.kb), QUERY, 3, &r);
  g_clear_pointer (&got, g_free);
  g_clear_pointer (&expected, g_free);
  got = hit_ids (r.hits);
  expected = join_ids (c.gluten, c.bread, c.rye, NULL);
  g_assert_cmpstr (got, ==, expected);

  /* A vector of another model, and one of the wrong length, are left out:
   * bread is found by BM25 only (1/62), so rye (1/61) goes before it;
   * cakes is in neither ranking. */
  {
    g_autofree char *sql = g_strdup_printf (
        "UPDATE chunks SET embedding_model = '" OTHER_MODEL "' WHERE id = '%s'", c.bread);
    g_autofree char *sql2 = g_strdup_printf ("UPDATE chunks SET embedding = x'0000803F' "
                                             "WHERE id = '%s'",
                                             c.cakes);

    confab_database_exec (c.ws->db, sql, &error);
    g_assert_no_error (error);
    confab_database_exec (c.ws->db, sql2, &error);
    g_assert_no_error (error);
  }
  confab_mock_llm_server_push (c.server, vectors_response (QUERY_VECTOR, NULL));
  retrieve (c.ws->db, id_of (c.kb), QUERY, 4, &r);
  g_assert_true (r.used_vectors);
  g_clear_pointer (&got, g_free);
  g_clear_pointer (&expected, g_free);
  got = hit_ids (r.hits);
  expected = join_ids (c.gluten, c.rye, c.bread, NULL);
  g_assert_cmpstr (got, ==, expected);
  g_assert_error (r.warning, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (r.warning->message, "2 passages"));

  /* All knowledge bases (NULL) work the same way. */
  confab_mock_llm_server_push (c.server, vectors_response (QUERY_VECTOR, NULL));
  retrieve (c.ws->db, NULL, QUERY, 4, &r);
  g_clear_pointer (&got, g_free);
  got = hit_ids (r.hits);
  g_assert_cmpstr (got, ==, expected);

  /* A query without a word finds nothing, and asks nobody. */
  retrieve (c.ws->db, id_of (c.kb), "?!", 4, &r);
  g_assert_cmpuint (r.hits->len, ==, 0);
  g_assert_false (r.used_vectors);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (c.server), ==, 8);
  g_assert_cmpuint (confab_mock_llm_server_get_n_pending (c.server), ==, 0);

  corpus_tear_down (&c);
}

static void
test_provider_down (void)
{
  Corpus c = { 0 };
  g_auto (Retrieved) r = { 0 };
  g_autoptr (GPtrArray) bm25 = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabProvider) dead = NULL;
  g_autofree char *got = NULL;
  g_autofree char *expected = NULL;
  const char      *ids[] = { NULL, NULL };

  corpus_set_up (&c);
  ids[0] = id_of (c.kb);
  bm25 = confab_knowledge_retrieve (c.ws->db, ids, QUERY, 4, &error);
  g_assert_no_error (error);
  expected = hit_ids (bm25);

  /* The server refuses the key: BM25 alone, the reason as a warning. */
  confab_mock_llm_server_push (c.server,
                               confab_mock_response_new_json (401, "{\"error\":{\"message\":"
                                                                   "\"bad key\"}}"));
  retrieve (c.ws->db, id_of (c.kb), QUERY, 4, &r);
  g_assert_false (r.used_vectors);
  g_assert_error (r.warning, CONFAB_ERROR, CONFAB_ERROR_AUTH);
  got = hit_ids (r.hits);
  g_assert_cmpstr (got, ==, expected);

  /* The provider is unreachable: the same. */
  dead = add_dead_provider (c.ws->db);
  confab_knowledge_base_set_embedding_provider_id (c.kb, id_of (dead));
  update (c.ws->db, c.kb);
  retrieve (c.ws->db, id_of (c.kb), QUERY, 4, &r);
  g_assert_false (r.used_vectors);
  g_assert_error (r.warning, CONFAB_ERROR, CONFAB_ERROR_NETWORK);
  g_clear_pointer (&got, g_free);
  got = hit_ids (r.hits);
  g_assert_cmpstr (got, ==, expected);

  /* A provider kind that cannot embed: the same. */
  confab_provider_set_kind (dead, "anthropic");
  update (c.ws->db, dead);
  retrieve (c.ws->db, id_of (c.kb), QUERY, 4, &r);
  g_assert_false (r.used_vectors);
  g_assert_error (r.warning, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  g_assert_nonnull (strstr (r.warning->message, "cannot make embeddings"));
  g_clear_pointer (&got, g_free);
  got = hit_ids (r.hits);
  g_assert_cmpstr (got, ==, expected);

  corpus_tear_down (&c);
}

/* ---- confab-cli ---- */

typedef struct
{
  int   status;
  char *out;
  char *err;
} CliRun;

static void
cli_run_clear (CliRun *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliRun, cli_run_clear)

typedef struct
{
  gboolean done;
  char    *out;
  char    *err;
  GError  *error;
} Communicate;

static void
on_communicated (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Communicate *c = user_data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (source), result, &c->out, &c->err, &c->error);
  c->done = TRUE;
}

static gboolean
is_done (gpointer data)
{
  return ((Communicate *) data)->done;
}

/* Runs confab-cli with the main loop running, so the mock server answers. */
static void
cli (CliRun *r, const char *workspace, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;
  Communicate c = { 0 };
  va_list     args;

  cli_run_clear (r);
  g_ptr_array_add (argv, (gpointer) g_getenv ("CONFAB_CLI"));
  g_assert_nonnull (argv->pdata[0]);
  g_ptr_array_add (argv, (gpointer) "--workspace");
  g_ptr_array_add (argv, (gpointer) workspace);
  va_start (args, workspace);
  for (const char *arg = va_arg (args, const char *); arg != NULL;
       arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (process, NULL, NULL, on_communicated, &c);
  g_assert_true (confab_mock_wait_until (is_done, &c, WAIT_MS));
  g_assert_no_error (c.error);
  r->out = c.out;
  r->err = c.err;
  r->status = g_subprocess_get_exit_status (process);
}

static void
expect_status (CliRun *r, int status)
{
  if (r->status != status)
    g_error ("exit status %d, expected %d\nstdout: %s\nstderr: %s", r->status, status, r->out,
             r->err);
}

static void
assert_contains (const char *text, const char *part)
{
  if (text == NULL || strstr (text, part) == NULL)
    g_error ("“%s” does not contain “%s”", text, part);
}

/* Changing the knowledge base's model leaves the old vectors unused until
 * kb embed makes them again. */
static void
test_model_change (void)
{
  Corpus c = { 0 };
  g_auto (Retrieved) r = { 0 };
  g_auto (CliRun) run = { 0 };
  g_autofree char *got = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *input = NULL;
  g_autofree char *line = NULL;
  guint            n_requests;

  corpus_set_up (&c);
  confab_knowledge_base_set_embedding_model (c.kb, OTHER_MODEL);
  update (c.ws->db, c.kb);

  /* The query is embedded with the new model; no chunk has its vector. */
  confab_mock_llm_server_push (c.server, vectors_response (QUERY_VECTOR, NULL));
  retrieve (c.ws->db, id_of (c.kb), QUERY, 4, &r);
  g_assert_false (r.used_vectors);
  g_assert_error (r.warning, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (r.warning->message, OTHER_MODEL));
  g_assert_cmpstr (request_model (c.server, 4), ==, OTHER_MODEL);
  got = hit_ids (r.hits);
  expected = join_ids (c.gluten, c.bread, NULL);
  g_assert_cmpstr (got, ==, expected);

  /* kb embed makes the four again, in one batch, with the new model. */
  confab_mock_llm_server_push (
      c.server, vectors_response ("[1, 0, 0]", "[0, 1, 0]", "[0, 0, 1]", "[0.6, 0.8, 0]", NULL));
  cli (&run, c.ws->path, "kb", "embed", "Bakery", NULL);
  expect_status (&run, 0);
  g_assert_cmpstr (run.out, ==, "Bakery: embedded 4 passages with " OTHER_MODEL "\n");
  assert_contains (run.err, "Embedded 0 of 4 passages\n");
  assert_contains (run.err, "Embedded 4 of 4 passages\n");
  input = request_input (c.server, 5);
  g_assert_cmpstr (input, ==,
                   "Our sourdough bread is baked every morning.|"
                   "Dark rye loaves come out on Fridays.|"
                   "Birthday cakes need two days notice.|"
                   "Gluten free bread: a loaf of rice flour.");
  g_assert_cmpstr (request_model (c.server, 5), ==, OTHER_MODEL);
  g_assert_cmpint (count_vectors (c.ws->db, OTHER_MODEL), ==, 4);
  g_assert_cmpint (count_vectors (c.ws->db, MODEL), ==, 0);

  /* Now they are used again. */
  confab_mock_llm_server_push (c.server, vectors_response (QUERY_VECTOR, NULL));
  retrieve (c.ws->db, id_of (c.kb), QUERY, 4, &r);
  g_assert_true (r.used_vectors);
  g_assert_no_error (r.warning);
  g_clear_pointer (&got, g_free);
  g_clear_pointer (&expected, g_free);
  got = hit_ids (r.hits);
  expected = join_ids (c.gluten, c.bread, c.rye, c.cakes, NULL);
  g_assert_cmpstr (got, ==, expected);

  /* A second kb embed has nothing to do and asks nobody. */
  n_requests = confab_mock_llm_server_get_n_requests (c.server);
  cli (&run, c.ws->path, "kb", "embed", "Bakery", NULL);
  expect_status (&run, 0);
  g_assert_cmpstr (run.out, ==, "Bakery: embedded 0 passages with " OTHER_MODEL "\n");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (c.server), ==, n_requests);

  /* kb search says whether vectors were used. */
  confab_mock_llm_server_push (c.server, vectors_response (QUERY_VECTOR, NULL));
  cli (&run, c.ws->path, "kb", "search", "Bakery", QUERY, NULL);
  expect_status (&run, 0);
  assert_contains (run.err, "Ranked by words and by meaning");
  line = g_strdup_printf ("1\tgluten.txt\t");
  g_assert_true (g_str_has_prefix (run.out, line));
  assert_contains (run.out, "\n3\trye.txt\tDark rye loaves come out on Fridays.\n");

  /* Provider down: the same command, words only, with the reason. */
  confab_mock_llm_server_push (c.server,
                               confab_mock_response_new_json (500, "{\"error\":{\"message\":"
                                                                   "\"out of memory\"}}"));
  cli (&run, c.ws->path, "kb", "search", "Bakery", QUERY, NULL);
  expect_status (&run, 0);
  assert_contains (run.err, "Ranked by words only");
  assert_contains (run.err, "out of memory");
  g_assert_true (g_str_has_prefix (run.out, line));
  g_assert_null (strstr (run.out, "rye.txt"));

  /* kb embed --model switches back; failures say what was kept. */
  confab_mock_llm_server_push (c.server,
                               confab_mock_response_new_json (401, "{\"error\":{\"message\":"
                                                                   "\"no\"}}"));
  cli (&run, c.ws->path, "kb", "embed", "Bakery", "--model", MODEL, NULL);
  expect_status (&run, 1);
  assert_contains (run.err, "API key");
  g_assert_cmpstr (run.out, ==, "");

  corpus_tear_down (&c);
}

static void
test_cli (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autofree char *url = confab_mock_llm_server_get_url (server, "/v1");
  g_autoptr (ConfabProvider) provider = add_provider (ws->db, "Mock", url);
  g_autoptr (ConfabKnowledgeBase) kb = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *kb_id = NULL;
  g_autofree char *path = g_build_filename (ws->dir, "hours.txt", NULL);
  g_auto (CliRun) run = { 0 };
  JsonObject *object;

  cli (&run, ws->path, "kb", "--help", NULL);
  expect_status (&run, 0);
  assert_contains (run.out, "embed");
  cli (&run, ws->path, "kb", "embed", "--help", NULL);
  expect_status (&run, 0);
  cli (&run, ws->path, "kb", "create", "--title", "X", "--embed-provider", "Mock", NULL);
  expect_status (&run, 2);
  assert_contains (run.err, "--embed-model");
  cli (&run, ws->path, "kb", "create", "--title", "X", "--embed-provider", "Nobody",
       "--embed-model", MODEL, NULL);
  expect_status (&run, 1);
  assert_contains (run.err, "Nobody");

  cli (&run, ws->path, "kb", "create", "--title", "Hours", "--embed-provider", "Mock",
       "--embed-model", MODEL, NULL);
  expect_status (&run, 0);
  kb_id = g_strstrip (g_strdup (run.out));
  kb = confab_repository_get (ws->db, CONFAB_TYPE_KNOWLEDGE_BASE, kb_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_knowledge_base_get_embedding_provider_id (kb), ==, id_of (provider));
  g_assert_cmpstr (confab_knowledge_base_get_embedding_model (kb), ==, MODEL);

  cli (&run, ws->path, "kb", "list", "--json", NULL);
  expect_status (&run, 0);
  json_parser_load_from_data (parser, run.out, -1, &error);
  g_assert_no_error (error);
  object = json_array_get_object_element (json_node_get_array (json_parser_get_root (parser)), 0);
  g_assert_cmpstr (json_object_get_string_member (object, "embedding_model"), ==, MODEL);
  g_assert_cmpstr (json_object_get_string_member (object, "embedding_provider_id"), ==,
                   id_of (provider));

  /* An import whose vectors fail still indexes the file: a warning, exit 0. */
  g_file_set_contents (path, "We open on Sunday at nine.", -1, &error);
  g_assert_no_error (error);
  confab_mock_llm_server_push (
      server,
      confab_mock_response_new_json (
          404, "{\"error\":{\"message\":\"model not found\",\"code\":\"model_not_found\"}}"));
  cli (&run, ws->path, "kb", "import", "Hours", path, NULL);
  expect_status (&run, 0);
  assert_contains (run.out, "indexed 1 chunk");
  assert_contains (run.err, "warning: ");
  assert_contains (run.err, "“" MODEL "” was not found");
  g_assert_cmpint (count_vectors (ws->db, MODEL), ==, 0);

  /* kb embed makes the missing one. */
  confab_mock_llm_server_push (server, vectors_response ("[0.1, 0.2]", NULL));
  cli (&run, ws->path, "kb", "embed", kb_id, NULL);
  expect_status (&run, 0);
  g_assert_cmpint (count_vectors (ws->db, MODEL), ==, 1);

  /* Usage and a knowledge base without a provider. */
  cli (&run, ws->path, "kb", "embed", NULL);
  expect_status (&run, 2);
  cli (&run, ws->path, "kb", "create", "--title", "Plain", NULL);
  expect_status (&run, 0);
  cli (&run, ws->path, "kb", "embed", "Plain", NULL);
  expect_status (&run, 1);
  assert_contains (run.err, "has no embedding provider");
  cli (&run, ws->path, "kb", "search", "Plain", "sunday", NULL);
  expect_status (&run, 0);
  assert_contains (run.err, "Ranked by words only");
}

/* ---- batches and cancellation ---- */

typedef struct
{
  GString *seen; /* "done/total " per report */
} EmbedProgress;

static void
on_embed_progress (guint n_done, guint n_total, gpointer user_data)
{
  EmbedProgress *progress = user_data;

  g_string_append_printf (progress->seen, "%u/%u ", n_done, n_total);
}

static gboolean
second_batch_sent (gpointer data)
{
  ConfabMockLlmServer *server = data;

  return confab_mock_llm_server_get_n_requests (server) == 2 &&
         confab_mock_llm_server_get_n_active (server) == 1;
}

/* n vectors [i, 1] as a response. */
static ConfabMockResponse *
n_vectors_response (guint first, guint n)
{
  g_autoptr (GString) json = g_string_new ("{\"data\":[");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (json, "%s{\"index\":%u,\"embedding\":[%u,1]}", i > 0 ? "," : "", i,
                            first + i);
  g_string_append (json, "]}");
  return confab_mock_response_new_json (200, json->str);
}

static void
test_cancel (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autofree char *url = confab_mock_llm_server_get_url (server, "/v1");
  g_autoptr (ConfabProvider) provider = add_provider (ws->db, "Mock", url);
  g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, "Big", id_of (provider), MODEL);
  g_autoptr (ConfabDocument) document = confab_document_new (id_of (kb), "big.txt");
  g_autoptr (GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char    *input = NULL;
  g_autofree char    *expected = NULL;
  EmbedProgress       progress = { g_string_new (NULL) };
  ConfabMockResponse *stuck;
  Wait                wait = { 0 };
  guint               n = 0;

  /* 40 chunks: a batch of 32, then one of 8. */
  create (ws->db, document);
  for (guint i = 0; i < 40; i++)
    g_ptr_array_add (texts, g_strdup_printf ("Passage number %u.", i));
  g_ptr_array_add (texts, NULL);
  confab_document_replace_chunks (ws->db, id_of (document), (const char *const *) texts->pdata,
                                  NULL, &error);
  g_assert_no_error (error);

  /* The first batch comes back; the second never does, and is cancelled. */
  confab_mock_llm_server_push (server, n_vectors_response (0, CONFAB_EMBED_BATCH_SIZE));
  stuck = confab_mock_response_new (200, "application/json");
  confab_mock_response_add_chunk (stuck, 0, "{\"data\":[", -1);
  confab_mock_response_set_endless_silent (stuck);
  confab_mock_llm_server_push (server, stuck);

  confab_knowledge_embed_async (ws->db, NULL, id_of (kb), cancellable, on_embed_progress, &progress,
                                on_done, &wait);
  g_assert_true (confab_mock_wait_until (second_batch_sent, server, WAIT_MS));
  g_cancellable_cancel (cancellable);
  g_assert_false (confab_knowledge_embed_finish (wait_result (&wait), &n, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&wait.result);
  g_assert_cmpuint (n, ==, CONFAB_EMBED_BATCH_SIZE);
  g_assert_cmpstr (progress.seen->str, ==, "0/40 32/40 ");

  /* The first batch is kept, with the vectors in the order of the texts. */
  g_assert_cmpint (count_vectors (ws->db, MODEL), ==, CONFAB_EMBED_BATCH_SIZE);
  {
    g_autofree char *sql = g_strdup_printf ("SELECT hex (embedding) FROM chunks "
                                            "WHERE document_id = '%s' AND ordinal = 7",
                                            id_of (document));
    g_autofree char *hex = query_text (ws->db, sql);

    /* [7, 1] */
    g_assert_cmpstr (hex, ==, "0000E0400000803F");
  }
  input = request_input (server, 0);
  g_assert_true (g_str_has_prefix (input, "Passage number 0.|Passage number 1.|"));
  g_assert_true (g_str_has_suffix (input, "|Passage number 31."));

  /* The next run goes on with the 8 left. */
  g_string_truncate (progress.seen, 0);
  confab_mock_llm_server_push (server, n_vectors_response (32, 8));
  confab_knowledge_embed_async (ws->db, NULL, id_of (kb), NULL, on_embed_progress, &progress,
                                on_done, &wait);
  g_assert_true (confab_knowledge_embed_finish (wait_result (&wait), &n, &error));
  g_assert_no_error (error);
  g_clear_object (&wait.result);
  g_assert_cmpuint (n, ==, 8);
  g_assert_cmpstr (progress.seen->str, ==, "0/8 8/8 ");
  g_clear_pointer (&input, g_free);
  input = request_input (server, 2);
  expected = g_strjoinv ("|", (char **) texts->pdata + 32);
  g_assert_cmpstr (input, ==, expected);
  g_assert_cmpint (count_vectors (ws->db, MODEL), ==, 40);

  /* A failing batch also keeps the ones before it. */
  confab_knowledge_base_set_embedding_model (kb, OTHER_MODEL);
  update (ws->db, kb);
  confab_mock_llm_server_push (server, n_vectors_response (0, CONFAB_EMBED_BATCH_SIZE));
  confab_mock_llm_server_push (server, confab_mock_response_new_json (200, "not json"));
  confab_knowledge_embed_async (ws->db, NULL, id_of (kb), NULL, NULL, NULL, on_done, &wait);
  g_assert_false (confab_knowledge_embed_finish (wait_result (&wait), &n, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  g_clear_object (&wait.result);
  g_assert_cmpuint (n, ==, CONFAB_EMBED_BATCH_SIZE);
  g_assert_cmpint (count_vectors (ws->db, OTHER_MODEL), ==, CONFAB_EMBED_BATCH_SIZE);
  g_assert_cmpint (count_vectors (ws->db, MODEL), ==, 8);

  g_string_free (progress.seen, TRUE);
  confab_test_drain_main_loop ();
}

/* ---- the agent runtime ---- */

typedef struct
{
  gboolean       done;
  ConfabMessage *message;
  GError        *error;
} Reply;

static void
on_replied (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Reply *reply = user_data;

  reply->message =
      confab_agent_runtime_reply_finish (CONFAB_AGENT_RUNTIME (source), result, &reply->error);
  reply->done = TRUE;
}

static gboolean
reply_done (gpointer data)
{
  return ((Reply *) data)->done;
}

/* The system prompt of the server's chat request i. */
static char *
chat_system (ConfabMockLlmServer *server, guint i)
{
  const ConfabMockRequest *request = confab_mock_llm_server_get_request (server, i);
  g_autoptr (JsonNode) body = NULL;
  JsonArray *messages;

  g_assert_cmpstr (request->path, ==, "/v1/chat/completions");
  body = confab_mock_request_get_json (request);
  messages = json_object_get_array_member (json_node_get_object (body), "messages");
  return g_strdup (
      json_object_get_string_member (json_array_get_object_element (messages, 0), "content"));
}

static void
test_runtime (void)
{
  Corpus c = { 0 };
  g_autoptr (ConfabAgent) agent = confab_agent_new ("Baker");
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabAgentRuntime) runtime = NULL;
  g_autoptr (ConfabProvider) dead = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *system = NULL;
  g_autofree char *input = NULL;
  const char *chat_reply = "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"" CHAT_MODEL
                           "\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                           "\"content\":\"Rye comes on Fridays [3].\"},\"finish_reason\":"
                           "\"stop\"}],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":5}}";
  Reply reply = { 0 };

  corpus_set_up (&c);
  user = confab_test_add_user (c.ws->db, "lena");
  confab_agent_set_agent_type (agent, "llm");
  confab_agent_set_provider_id (agent, id_of (c.provider));
  confab_agent_set_model (agent, CHAT_MODEL);
  confab_agent_set_system_prompt (agent, "You are a baker.");
  create (c.ws->db, agent);
  confab_agent_add_knowledge_base (c.ws->db, id_of (agent), id_of (c.kb), NULL, &error);
  g_assert_no_error (error);
  runtime = confab_agent_runtime_new (c.ws->db, NULL);
  conversation =
      confab_agent_runtime_start_conversation (runtime, id_of (user), id_of (agent), &error);
  g_assert_no_error (error);

  /* The question's vector first, then the chat: the passage only the
   * vectors find (rye) is in the context. */
  confab_mock_llm_server_push (c.server, vectors_response (QUERY_VECTOR, NULL));
  confab_mock_llm_server_push (c.server, confab_mock_response_new_json (200, chat_reply));
  confab_agent_runtime_reply_async (runtime, id_of (conversation), NULL, QUERY, NULL, NULL, NULL,
                                    on_replied, &reply);
  g_assert_true (confab_mock_wait_until (reply_done, &reply, WAIT_MS));
  g_assert_no_error (reply.error);
  g_assert_cmpstr (confab_message_get_status (reply.message), ==, "complete");
  input = request_input (c.server, 4);
  g_assert_cmpstr (input, ==, QUERY);
  system = chat_system (c.server, 5);
  assert_contains (system, "[1] gluten.txt: Gluten free bread");
  assert_contains (system, "[3] rye.txt: Dark rye loaves come out on Fridays.");
  assert_contains (confab_message_get_source_references (reply.message), "rye.txt");
  g_clear_object (&reply.message);

  /* The embedding provider is down: the reply comes all the same, with
   * what BM25 found. */
  dead = add_dead_provider (c.ws->db);
  confab_knowledge_base_set_embedding_provider_id (c.kb, id_of (dead));
  update (c.ws->db, c.kb);
  reply.done = FALSE;
  confab_mock_llm_server_push (c.server, confab_mock_response_new_json (200, chat_reply));
  confab_agent_runtime_reply_async (runtime, id_of (conversation), NULL, QUERY, NULL, NULL, NULL,
                                    on_replied, &reply);
  g_assert_true (confab_mock_wait_until (reply_done, &reply, WAIT_MS));
  g_assert_no_error (reply.error);
  g_assert_cmpstr (confab_message_get_status (reply.message), ==, "complete");
  g_clear_pointer (&system, g_free);
  system = chat_system (c.server, 6);
  assert_contains (system, "[1] gluten.txt: Gluten free bread");
  g_assert_null (strstr (system, "rye.txt"));
  g_clear_object (&reply.message);

  g_clear_object (&runtime);
  corpus_tear_down (&c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/embeddings/settings", test_settings);
  g_test_add_func ("/confab/embeddings/import", test_import);
  g_test_add_func ("/confab/embeddings/import-provider-down", test_import_provider_down);
  g_test_add_func ("/confab/embeddings/hybrid", test_hybrid);
  g_test_add_func ("/confab/embeddings/provider-down", test_provider_down);
  g_test_add_func ("/confab/embeddings/model-change", test_model_change);
  g_test_add_func ("/confab/embeddings/cancel", test_cancel);
  g_test_add_func ("/confab/embeddings/runtime", test_runtime);
  g_test_add_func ("/confab/embeddings/cli", test_cli);
  return g_test_run ();
}
