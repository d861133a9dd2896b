#include "config.h"

#include "confab-test-util.h"

static void
assert_rows (ConfabDatabase *db,
             gint64          expected,
             const char     *sql)
{
  gint64 n = confab_test_count_rows (db, sql);

  if (n != expected)
    g_error ("%s: %" G_GINT64_FORMAT " rows, expected %" G_GINT64_FORMAT, sql, n, expected);
}

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static ConfabKnowledgeBase *
add_kb (ConfabDatabase *db,
        const char     *title,
        const char     *owner_id)
{
  g_autoptr (GError) error = NULL;
  ConfabKnowledgeBase *kb = confab_knowledge_base_new (title);

  confab_knowledge_base_set_owner_id (kb, owner_id);
  confab_repository_create (db, CONFAB_ENTITY (kb), NULL, &error);
  g_assert_no_error (error);
  return kb;
}

static ConfabDocument *
add_document (ConfabDatabase *db,
              const char     *kb_id,
              const char     *filename)
{
  g_autoptr (GError) error = NULL;
  ConfabDocument *doc = confab_document_new (kb_id, filename);

  confab_repository_create (db, CONFAB_ENTITY (doc), NULL, &error);
  g_assert_no_error (error);
  return doc;
}

static void
expect_refused (ConfabDatabase *db,
                gpointer        entity,
                const char     *table,
                int             code,
                const char     *needle)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *count_sql = g_strdup_printf ("SELECT count(*) FROM %s", table);
  gint64 rows = confab_test_count_rows (db, count_sql);
  gint64 audits = confab_test_count_rows (db, "SELECT count(*) FROM audit_log");

  g_assert_false (confab_repository_create (db, CONFAB_ENTITY (entity), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, code);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("“%s” does not name “%s”", error->message, needle);
  g_assert_cmpint (confab_test_count_rows (db, count_sql), ==, rows);
  assert_rows (db, audits, "SELECT count(*) FROM audit_log");
  g_assert_null (id_of (entity));
}

static void
test_kb_validation (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) owner = confab_test_add_user (ws->db, "owner");
  g_autoptr (ConfabKnowledgeBase) empty = confab_knowledge_base_new ("");
  g_autofree char *long_title = g_strnfill (201, 't');
  g_autofree char *max_title = g_strnfill (200, 'u');
  g_autoptr (ConfabKnowledgeBase) too_long = confab_knowledge_base_new (long_title);
  g_autoptr (ConfabKnowledgeBase) orphan = confab_knowledge_base_new ("Orphan");
  g_autoptr (ConfabKnowledgeBase) max = NULL;
  g_autoptr (ConfabKnowledgeBase) owned = NULL;
  g_autoptr (ConfabKnowledgeBase) loaded = NULL;
  g_autoptr (GError) error = NULL;

  expect_refused (ws->db, empty, "knowledge_bases", CONFAB_ERROR_INVALID, "title");
  expect_refused (ws->db, too_long, "knowledge_bases", CONFAB_ERROR_INVALID, "201");
  confab_knowledge_base_set_owner_id (orphan, "ghost");
  expect_refused (ws->db, orphan, "knowledge_bases", CONFAB_ERROR_INVALID, "ghost");

  max = add_kb (ws->db, max_title, NULL);
  owned = add_kb (ws->db, "Handbook", id_of (owner));
  confab_knowledge_base_set_description (owned, "Company handbook");
  confab_knowledge_base_set_is_active (owned, FALSE);
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (owned), NULL, &error));
  g_assert_no_error (error);

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_KNOWLEDGE_BASE, id_of (owned), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_knowledge_base_get_title (loaded), ==, "Handbook");
  g_assert_cmpstr (confab_knowledge_base_get_owner_id (loaded), ==, id_of (owner));
  g_assert_cmpstr (confab_knowledge_base_get_description (loaded), ==, "Company handbook");
  g_assert_false (confab_knowledge_base_get_is_active (loaded));
}

static void
test_kb_limit (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabUser) bob = confab_test_add_user (ws->db, "bob");
  g_autoptr (ConfabKnowledgeBase) extra = confab_knowledge_base_new ("One too many");
  g_autoptr (ConfabKnowledgeBase) first = NULL;
  g_autoptr (ConfabKnowledgeBase) bobs = NULL;
  g_autoptr (ConfabKnowledgeBase) shared = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (CONFAB_KNOWLEDGE_BASE_MAX_PER_OWNER, ==, 100);

  g_assert_true (confab_database_begin (ws->db, &error));
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *title = g_strdup_printf ("KB %u", i);
      g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, title, id_of (alice));

      if (i == 0)
        first = g_object_ref (kb);
    }
  g_assert_true (confab_database_commit (ws->db, &error));
  g_assert_cmpint (confab_repository_count (ws->db, CONFAB_TYPE_KNOWLEDGE_BASE, "owner_id",
                                            id_of (alice), &error), ==, 100);

  confab_knowledge_base_set_owner_id (extra, id_of (alice));
  expect_refused (ws->db, extra, "knowledge_bases", CONFAB_ERROR_LIMIT, "100");

  /* Editing one of the hundred is not adding one. */
  confab_knowledge_base_set_title (first, "Renamed");
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (first), NULL, &error));
  g_assert_no_error (error);

  /* The limit is per owner; knowledge bases without an owner are not counted. */
  bobs = add_kb (ws->db, "Bob's", id_of (bob));
  shared = add_kb (ws->db, "Shared", NULL);

  /* Moving a knowledge base to a full owner is refused too. */
  confab_knowledge_base_set_owner_id (bobs, id_of (alice));
  g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (bobs), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_LIMIT);
  g_clear_error (&error);

  /* Deleting one makes room. */
  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_KNOWLEDGE_BASE, id_of (first), NULL,
                                           &error));
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (extra), NULL, &error));
  g_assert_no_error (error);
}

static void
test_document_validation (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, "Docs", NULL);
  g_autoptr (ConfabDocument) doc = NULL;
  g_autoptr (ConfabDocument) loaded = NULL;
  g_autofree char *long_name = g_strnfill (256, 'f');
  g_autofree char *max_name = g_strnfill (255, 'g');
  g_autoptr (GError) error = NULL;

  doc = confab_document_new ("ghost-kb", "a.txt");
  expect_refused (ws->db, doc, "documents", CONFAB_ERROR_INVALID, "ghost-kb");
  g_clear_object (&doc);

  doc = confab_document_new (NULL, "a.txt");
  expect_refused (ws->db, doc, "documents", CONFAB_ERROR_INVALID, "knowledge base");
  g_clear_object (&doc);

  doc = confab_document_new (id_of (kb), "");
  expect_refused (ws->db, doc, "documents", CONFAB_ERROR_INVALID, "file name");
  confab_document_set_filename (doc, long_name);
  expect_refused (ws->db, doc, "documents", CONFAB_ERROR_INVALID, "256");
  confab_document_set_filename (doc, max_name);
  confab_document_set_status (doc, "shredded");
  expect_refused (ws->db, doc, "documents", CONFAB_ERROR_INVALID, "shredded");
  confab_document_set_status (doc, "processing");
  confab_document_set_size_bytes (doc, -5);
  expect_refused (ws->db, doc, "documents", CONFAB_ERROR_INVALID, "-5");
  confab_document_set_size_bytes (doc, 5000000000);
  confab_document_set_content_type (doc, "");
  expect_refused (ws->db, doc, "documents", CONFAB_ERROR_INVALID, "content type");
  confab_document_set_content_type (doc, "text/markdown");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (doc), NULL, &error));
  g_assert_no_error (error);

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_DOCUMENT, id_of (doc), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_document_get_filename (loaded), ==, max_name);
  g_assert_cmpstr (confab_document_get_status (loaded), ==, "processing");
  g_assert_cmpstr (confab_document_get_content_type (loaded), ==, "text/markdown");
  g_assert_cmpint (confab_document_get_size_bytes (loaded), ==, 5000000000);
  g_assert_null (confab_document_get_error (loaded));

  g_clear_object (&doc);
  doc = add_document (ws->db, id_of (kb), "plain.txt");
  g_assert_cmpstr (confab_document_get_status (doc), ==, "uploaded");
  g_assert_cmpstr (confab_document_get_content_type (doc), ==, "text/plain");

  /* A document does not move between knowledge bases: its chunks would not follow. */
  {
    g_autoptr (ConfabKnowledgeBase) elsewhere = add_kb (ws->db, "Elsewhere", NULL);

    confab_document_set_knowledge_base_id (doc, id_of (elsewhere));
    g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (doc), NULL, &error));
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "plain.txt"));
    g_clear_error (&error);
    confab_document_set_knowledge_base_id (doc, id_of (kb));
    confab_document_set_status (doc, "failed");
    confab_document_set_error (doc, "Unreadable PDF");
    g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (doc), NULL, &error));
    g_assert_no_error (error);
  }
}

static void
on_changed (ConfabDatabase *db,
            const char     *table,
            const char     *id,
            const char     *action,
            gpointer        data)
{
  GPtrArray *tables = data;
  g_ptr_array_add (tables, g_strdup (table));
}

static gboolean
strv_has (GPtrArray  *tables,
          const char *table)
{
  for (guint i = 0; i < tables->len; i++)
    if (g_strcmp0 (g_ptr_array_index (tables, i), table) == 0)
      return TRUE;
  return FALSE;
}

static void
test_replace_chunks (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) indexer = confab_test_add_user (ws->db, "indexer");
  g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, "Docs", NULL);
  g_autoptr (ConfabDocument) doc = add_document (ws->db, id_of (kb), "faq.md");
  g_autoptr (ConfabDocument) loaded = NULL;
  g_autoptr (GPtrArray) chunks = NULL;
  g_autoptr (GPtrArray) tables = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GListModel) documents = NULL;
  g_autoptr (ConfabDocument) listed = NULL;
  g_autoptr (GError) error = NULL;
  const char * const first[] = { "Alpha walrus", "Beta walrus", "Gamma walrus", NULL };
  const char * const second[] = { "Delta penguin", "Epsilon penguin", NULL };
  const char * const bad[] = { "Fine", "", NULL };
  const char * const bad_utf8[] = { "Fine", "\xfe\xff", NULL };
  gint64 audits;
  gulong handler;

  documents = confab_repository_list_model (ws->db, CONFAB_TYPE_DOCUMENT, "knowledge_base_id",
                                            id_of (kb));
  listed = g_list_model_get_item (documents, 0);
  g_assert_cmpstr (confab_document_get_status (listed), ==, "uploaded");

  handler = g_signal_connect (ws->db, "changed", G_CALLBACK (on_changed), tables);
  audits = confab_test_count_rows (ws->db, "SELECT count(*) FROM audit_log");
  g_assert_true (confab_document_replace_chunks (ws->db, id_of (doc), first, id_of (indexer),
                                                 &error));
  g_assert_no_error (error);
  g_assert_true (strv_has (tables, "chunks"));
  g_assert_true (strv_has (tables, "documents"));
  g_signal_handler_disconnect (ws->db, handler);

  /* One audit row for the whole replacement; none per chunk. */
  assert_rows (ws->db, audits + 1, "SELECT count(*) FROM audit_log");
  assert_rows (ws->db, 0, "SELECT count(*) FROM audit_log WHERE entity = 'chunk'");
  assert_rows (ws->db, 1, "SELECT count(*) FROM audit_log WHERE entity = 'document' "
                          "AND action = 'update' AND json_extract (details, '$.chunks') = 3");

  chunks = confab_repository_list (ws->db, CONFAB_TYPE_CHUNK, "document_id", id_of (doc), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (chunks->len, ==, 3);
  for (guint i = 0; i < chunks->len; i++)
    {
      ConfabChunk *chunk = g_ptr_array_index (chunks, i);

      g_assert_cmpint (confab_chunk_get_ordinal (chunk), ==, (int) i);
      g_assert_cmpstr (confab_chunk_get_text (chunk), ==, first[i]);
      g_assert_cmpstr (confab_chunk_get_knowledge_base_id (chunk), ==, id_of (kb));
    }
  g_clear_pointer (&chunks, g_ptr_array_unref);

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_DOCUMENT, id_of (doc), &error);
  g_assert_cmpstr (confab_document_get_status (loaded), ==, "indexed");

  /* The open list sees the new status. */
  confab_test_drain_main_loop ();
  g_assert_cmpstr (confab_document_get_status (listed), ==, "indexed");

  /* Replacing drops the old chunks and their index entries. */
  g_assert_true (confab_document_replace_chunks (ws->db, id_of (doc), second, NULL, &error));
  g_assert_no_error (error);
  assert_rows (ws->db, 2, "SELECT count(*) FROM chunks");
  assert_rows (ws->db, 0, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'walrus'");
  assert_rows (ws->db, 2, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'penguin'");

  /* One bad text refuses the whole set and keeps the old chunks. */
  audits = confab_test_count_rows (ws->db, "SELECT count(*) FROM audit_log");
  g_assert_false (confab_document_replace_chunks (ws->db, id_of (doc), bad, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "1"));
  g_assert_nonnull (strstr (error->message, "empty"));
  g_clear_error (&error);
  g_assert_false (confab_document_replace_chunks (ws->db, id_of (doc), bad_utf8, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "UTF-8"));
  g_clear_error (&error);
  assert_rows (ws->db, 2, "SELECT count(*) FROM chunks");
  assert_rows (ws->db, audits, "SELECT count(*) FROM audit_log");

  g_assert_false (confab_document_replace_chunks (ws->db, "ghost-doc", second, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "ghost-doc"));
  g_clear_error (&error);

  /* No texts: an indexed document without chunks. */
  g_assert_true (confab_document_replace_chunks (ws->db, id_of (doc), NULL, NULL, &error));
  g_assert_no_error (error);
  assert_rows (ws->db, 0, "SELECT count(*) FROM chunks");
  assert_rows (ws->db, 0, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'penguin'");
}

static void
test_chunk_entity (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, "Docs", NULL);
  g_autoptr (ConfabKnowledgeBase) other_kb = add_kb (ws->db, "Other", NULL);
  g_autoptr (ConfabDocument) doc = add_document (ws->db, id_of (kb), "a.txt");
  g_autoptr (ConfabChunk) c0 = confab_chunk_new (id_of (doc), "First passage");
  g_autoptr (ConfabChunk) c1 = confab_chunk_new (id_of (doc), "Second passage");
  g_autoptr (ConfabChunk) bad = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (c0), NULL, &error));
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (c1), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_chunk_get_ordinal (c0), ==, 0);
  g_assert_cmpint (confab_chunk_get_ordinal (c1), ==, 1);
  g_assert_cmpstr (confab_chunk_get_knowledge_base_id (c1), ==, id_of (kb));
  /* The audit row of a single chunk keeps its length, not its text. */
  assert_rows (ws->db, 1, "SELECT count(*) FROM audit_log WHERE entity = 'chunk' "
                          "AND json_extract (details, '$.fields.text.length') = 13 "
                          "AND instr (details, 'First passage') = 0");

  bad = confab_chunk_new (id_of (doc), "");
  expect_refused (ws->db, bad, "chunks", CONFAB_ERROR_INVALID, "text");
  g_clear_object (&bad);

  bad = confab_chunk_new ("ghost-doc", "Text");
  expect_refused (ws->db, bad, "chunks", CONFAB_ERROR_INVALID, "ghost-doc");
  g_clear_object (&bad);

  bad = confab_chunk_new (id_of (doc), "Text");
  confab_chunk_set_knowledge_base_id (bad, id_of (other_kb));
  expect_refused (ws->db, bad, "chunks", CONFAB_ERROR_INVALID, id_of (other_kb));
  g_clear_object (&bad);

  bad = confab_chunk_new (id_of (doc), "Text");
  confab_chunk_set_ordinal (bad, 1);
  expect_refused (ws->db, bad, "chunks", CONFAB_ERROR_CONFLICT, "1");
  g_clear_object (&bad);
}

static void
test_delete_cascades (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, "Doomed", NULL);
  g_autoptr (ConfabKnowledgeBase) keep = add_kb (ws->db, "Kept", NULL);
  g_autoptr (ConfabDocument) d1 = add_document (ws->db, id_of (kb), "one.txt");
  g_autoptr (ConfabDocument) d2 = add_document (ws->db, id_of (kb), "two.txt");
  g_autoptr (ConfabDocument) d3 = add_document (ws->db, id_of (keep), "three.txt");
  g_autoptr (GListModel) chunk_list = NULL;
  g_autoptr (GError) error = NULL;
  const char * const t1[] = { "The aardvark sleeps", "The aardvark eats", NULL };
  const char * const t2[] = { "An aardvark again", NULL };
  const char * const t3[] = { "A kept aardvark", NULL };

  g_assert_true (confab_document_replace_chunks (ws->db, id_of (d1), t1, NULL, &error));
  g_assert_true (confab_document_replace_chunks (ws->db, id_of (d2), t2, NULL, &error));
  g_assert_true (confab_document_replace_chunks (ws->db, id_of (d3), t3, NULL, &error));
  g_assert_no_error (error);
  assert_rows (ws->db, 4, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'aardvark'");

  chunk_list = confab_repository_list_model (ws->db, CONFAB_TYPE_CHUNK, NULL, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (chunk_list), ==, 4);

  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_KNOWLEDGE_BASE, id_of (kb), NULL,
                                           &error));
  g_assert_no_error (error);
  assert_rows (ws->db, 1, "SELECT count(*) FROM documents");
  assert_rows (ws->db, 1, "SELECT count(*) FROM chunks");
  assert_rows (ws->db, 1, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'aardvark'");
  assert_rows (ws->db, 0, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'sleeps'");
  /* The index is consistent with its content table. */
  g_assert_cmpint (sqlite3_exec (confab_database_get_handle (ws->db),
                                 "INSERT INTO chunks_fts (chunks_fts, rank) "
                                 "VALUES ('integrity-check', 1)",
                                 NULL, NULL, NULL), ==, SQLITE_OK);

  confab_test_drain_main_loop ();
  g_assert_cmpuint (g_list_model_get_n_items (chunk_list), ==, 1);

  /* Deleting a document alone deletes its chunks too. */
  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_DOCUMENT, id_of (d3), NULL, &error));
  assert_rows (ws->db, 0, "SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'aardvark'");
}

static void
test_search (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, "Support", NULL);
  g_autoptr (ConfabKnowledgeBase) other = add_kb (ws->db, "Other", NULL);
  g_autoptr (ConfabDocument) doc = add_document (ws->db, id_of (kb), "faq.md");
  g_autoptr (ConfabDocument) other_doc = add_document (ws->db, id_of (other), "misc.md");
  g_autoptr (GPtrArray) hits = NULL;
  g_autoptr (GError) error = NULL;
  const char * const texts[] = {
    "Our office is open on weekdays. Parking is free for visitors.",
    "To reset your password, open Settings and choose Reset password. "
      "A password reset link is sent by email.",
    "Shipping takes three days. Returns are accepted within thirty days.",
    "The password must have twelve characters.",
    "Le café est servi à la réception.",
    NULL
  };
  const char * const other_texts[] = { "Password rules for the other team.", NULL };

  g_assert_true (confab_document_replace_chunks (ws->db, id_of (doc), texts, NULL, &error));
  g_assert_true (confab_document_replace_chunks (ws->db, id_of (other_doc), other_texts, NULL,
                                                 &error));
  g_assert_no_error (error);

  /* The chunk that is about the words ranks first. */
  hits = confab_knowledge_search (ws->db, id_of (kb), "reset password", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, >=, 2);
  g_assert_cmpint (confab_chunk_get_ordinal (g_ptr_array_index (hits, 0)), ==, 1);
  g_assert_cmpint (confab_chunk_get_ordinal (g_ptr_array_index (hits, 1)), ==, 3);
  g_assert_cmpstr (confab_chunk_get_text (g_ptr_array_index (hits, 0)), ==, texts[1]);
  g_clear_pointer (&hits, g_ptr_array_unref);

  hits = confab_knowledge_search (ws->db, id_of (kb), "password", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 2);
  g_assert_cmpint (confab_chunk_get_ordinal (g_ptr_array_index (hits, 0)), ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* All knowledge bases, and the limit. */
  hits = confab_knowledge_search (ws->db, NULL, "password", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 3);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = confab_knowledge_search (ws->db, NULL, "password", 1, &error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* A question in many words still finds its passage: chunks with some of
   * the words follow those with all of them. */
  hits = confab_knowledge_search (ws->db, id_of (kb), "How long does shipping take?", 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, >=, 1);
  g_assert_cmpint (confab_chunk_get_ordinal (g_ptr_array_index (hits, 0)), ==, 2);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Diacritics are folded. */
  hits = confab_knowledge_search (ws->db, id_of (kb), "cafe reception", 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpint (confab_chunk_get_ordinal (g_ptr_array_index (hits, 0)), ==, 4);
  g_clear_pointer (&hits, g_ptr_array_unref);

  hits = confab_knowledge_search (ws->db, id_of (kb), "zeppelin", 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);
}

static void
test_search_syntax (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, "Support", NULL);
  g_autoptr (ConfabDocument) doc = add_document (ws->db, id_of (kb), "faq.md");
  g_autoptr (GError) error = NULL;
  const char * const texts[] = { "foo and bar", "near the text column", NULL };
  const struct {
    const char *query;
    guint       min_hits;
  } queries[] = {
    { "\"foo", 1 },
    { "foo\"", 1 },
    { "foo AND", 1 },
    { "AND", 1 },
    { "OR", 0 },
    { "NOT foo", 1 },
    { "foo OR", 1 },
    { "NEAR(foo bar", 1 },
    { "text:foo", 0 }, /* the phrase "text foo", not a column filter */
    { "text:column", 1 },
    { "foo*", 1 },
    { "-foo", 1 },
    { "(foo", 1 },
    { "\"\"\"", 0 },
    { "^foo", 1 },
    { "foo + bar", 1 },
    { "{text}: near", 1 },
    { "*", 0 },
    { "", 0 },
    { "   ", 0 },
  };

  g_assert_true (confab_document_replace_chunks (ws->db, id_of (doc), texts, NULL, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      g_autoptr (GPtrArray) hits = confab_knowledge_search (ws->db, NULL, queries[i].query, 10,
                                                            &error);

      if (error != NULL)
        g_error ("Query ‘%s’ failed: %s", queries[i].query, error->message);
      g_assert_nonnull (hits);
      if (hits->len < queries[i].min_hits)
        g_error ("Query ‘%s’ found %u chunks", queries[i].query, hits->len);
    }

  {
    g_autoptr (GPtrArray) hits = confab_knowledge_search (ws->db, NULL, "bad \xff", 10, &error);

    g_assert_null (hits);
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/knowledge/kb-validation", test_kb_validation);
  g_test_add_func ("/confab/knowledge/kb-limit", test_kb_limit);
  g_test_add_func ("/confab/knowledge/document-validation", test_document_validation);
  g_test_add_func ("/confab/knowledge/replace-chunks", test_replace_chunks);
  g_test_add_func ("/confab/knowledge/chunk-entity", test_chunk_entity);
  g_test_add_func ("/confab/knowledge/delete-cascades", test_delete_cascades);
  g_test_add_func ("/confab/knowledge/search", test_search);
  g_test_add_func ("/confab/knowledge/search-syntax", test_search_syntax);
  return g_test_run ();
}
