/* test-knowledge-page.c: the Knowledge section: creating, renaming and
 * deleting a knowledge base (with undo), inline validation, importing a
 * Markdown file and a broken PDF through the page's import, the search
 * showing the passage an agent would get first, with the words in bold.
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "confab-document-row.h"
#include "confab-knowledge-page.h"
#include "confab-test-util.h"

#define ID(e) confab_entity_get_id (CONFAB_ENTITY (e))

/* Iterates the main loop until cond holds; fails after a generous while
 * (a hang, not a slow machine). */
#define WAIT_UNTIL(cond)                                                                           \
  G_STMT_START                                                                                     \
  {                                                                                                \
    gint64 deadline_ = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;                              \
    while (!(cond) && g_get_monotonic_time () < deadline_)                                         \
      if (!g_main_context_iteration (NULL, FALSE))                                                 \
        g_usleep (1000);                                                                           \
    g_assert_true (cond);                                                                          \
  }                                                                                                \
  G_STMT_END

/* Sections long enough to make a passage each. */
#define FAQ_MD                                                                                     \
  "# Opening hours\n\n"                                                                            \
  "We open at seven every weekday morning and at eight on Saturdays. On Sundays the "              \
  "shop stays closed so the bakers can rest. On public holidays we keep Saturday hours "           \
  "unless a notice on the door says otherwise. The café corner closes half an hour "              \
  "before the shop so the tables can be cleaned. Deliveries leave the shop between "               \
  "nine and four, and the last order for the same day must reach us by noon.\n\n"                  \
  "# Bread\n\n"                                                                                    \
  "Our sourdough loaf rises for thirty hours in a cool room before it is baked each "              \
  "morning in the stone oven. It keeps for four days in a linen bag. The rye loaf is "             \
  "dense and dark, made with whole grain flour and a little honey, and keeps for a "               \
  "week. Baguettes are baked three times a day so there is always a warm one, and the "            \
  "seeded bloomer is sliced on request at the counter.\n\n"                                        \
  "# Allergens\n\n"                                                                                \
  "Every cake may contain nuts, eggs and milk, because they are made on the same "                 \
  "tables. The gluten free range is baked on Mondays in a cleaned kitchen before any "             \
  "other baking starts, and packed at once. Ask at the counter for the allergen card of "          \
  "any product; it lists everything that goes into it, including the glazes and the "              \
  "fillings, and it is updated whenever a recipe changes.\n"

typedef struct
{
  ConfabTestWorkspace *ws;
  GtkWindow           *window;
  ConfabKnowledgePage *page;
  char                *user_id;
  char                *kb_id;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabKnowledgeBase) kb = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget *overlay;

  f->ws = confab_test_workspace_new ();
  user = confab_test_add_user (f->ws->db, "maya");
  confab_user_set_role (user, "admin");
  g_assert_true (confab_repository_update (f->ws->db, CONFAB_ENTITY (user), NULL, &error));
  g_assert_no_error (error);
  f->user_id = g_strdup (ID (user));
  kb = confab_knowledge_base_new ("Bakery FAQ");
  confab_knowledge_base_set_owner_id (kb, f->user_id);
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (kb), NULL, &error));
  g_assert_no_error (error);
  f->kb_id = g_strdup (ID (kb));

  /* The page in a window with a toast overlay, as ConfabWindow has it. */
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 1100, 800);
  overlay = adw_toast_overlay_new ();
  f->page = CONFAB_KNOWLEDGE_PAGE (confab_knowledge_page_new ());
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (f->page));
  gtk_window_set_child (f->window, overlay);
  confab_page_set_database (CONFAB_PAGE (f->page), f->ws->db);
  gtk_window_present (f->window);
  WAIT_UNTIL (g_list_model_get_n_items (confab_knowledge_page_get_visible (f->page)) == 1);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (f->window);
  confab_test_drain_main_loop ();
  confab_test_workspace_free (f->ws);
  g_free (f->user_id);
  g_free (f->kb_id);
}

static gboolean
activate (Fixture *f, const char *action)
{
  return gtk_widget_activate_action (GTK_WIDGET (f->page), action, NULL);
}

static GtkWidget *
field (Fixture *f, const char *name)
{
  return confab_knowledge_page_get_field (f->page, name);
}

static gboolean
can_save (Fixture *f)
{
  return gtk_widget_get_sensitive (confab_knowledge_page_get_save_button (f->page));
}

static char *
query_text (Fixture *f, const char *sql, const char *arg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (f->ws->db, sql, &error);

  g_assert_no_error (error);
  if (arg != NULL)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

static GFile *
write_file (Fixture *f, const char *name, const char *contents, gssize length)
{
  g_autofree char *path = g_build_filename (f->ws->dir, name, NULL);
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, contents, length, &error);
  g_assert_no_error (error);
  return g_file_new_for_path (path);
}

static void
import_file (Fixture *f, GFile *file)
{
  GSList files = { file, NULL };

  confab_knowledge_page_import_files (f->page, &files);
  g_assert_cmpuint (confab_knowledge_page_get_n_imports (f->page), ==, 1);
  WAIT_UNTIL (confab_knowledge_page_get_n_imports (f->page) == 0);
}

static ConfabDocumentRow *
document_row (Fixture *f, const char *filename)
{
  GtkListBox *list = confab_knowledge_page_get_documents_list (f->page);

  for (int i = 0; gtk_list_box_get_row_at_index (list, i) != NULL; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (list, i);

      if (CONFAB_IS_DOCUMENT_ROW (row) &&
          g_strcmp0 (confab_document_get_filename (
                         confab_document_row_get_document (CONFAB_DOCUMENT_ROW (row))),
                     filename) == 0)
        return CONFAB_DOCUMENT_ROW (row);
    }
  return NULL;
}

/* Creating, renaming, deleting with undo, then for real. */
static void
test_create_rename_delete (Fixture *f, gconstpointer data)
{
  g_autofree char *value = NULL;
  g_autofree char *id = NULL;
  AdwToast        *toast;

  g_assert_cmpstr (confab_knowledge_page_get_detail_state (f->page), ==, "empty");
  g_assert_true (activate (f, "knowledge.add"));
  g_assert_cmpstr (confab_knowledge_page_get_detail_state (f->page), ==, "editor");
  /* Untouched: nothing to save, and no complaint yet. */
  g_assert_false (can_save (f));
  g_assert_false (gtk_widget_has_css_class (field (f, "title"), "error"));

  /* Typed, then erased: the field says why it cannot be saved. */
  gtk_editable_set_text (GTK_EDITABLE (field (f, "title")), "Clinic");
  g_assert_true (can_save (f));
  gtk_editable_set_text (GTK_EDITABLE (field (f, "title")), "  ");
  g_assert_true (gtk_widget_has_css_class (field (f, "title"), "error"));
  g_assert_true (gtk_widget_get_visible (field (f, "details-error")));
  g_assert_false (can_save (f));
  g_assert_true (activate (f, "knowledge.save")); /* Ctrl+S anyway: nothing written */
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM knowledge_bases"), ==,
                   1);

  gtk_editable_set_text (GTK_EDITABLE (field (f, "title")), "Clinic Handbook");
  gtk_editable_set_text (GTK_EDITABLE (field (f, "description")), "Appointments & fees");
  g_assert_false (gtk_widget_has_css_class (field (f, "title"), "error"));
  g_assert_true (activate (f, "knowledge.save"));
  id = query_text (f, "SELECT id FROM knowledge_bases WHERE title = 'Clinic Handbook'", NULL);
  g_assert_nonnull (id);
  value =
      query_text (f, "SELECT description || '|' || owner_id FROM knowledge_bases WHERE id = ?", id);
  {
    g_autofree char *expected = g_strconcat ("Appointments & fees|", f->user_id, NULL);

    g_assert_cmpstr (value, ==, expected);
  }
  g_clear_pointer (&value, g_free);
  WAIT_UNTIL (g_list_model_get_n_items (confab_knowledge_page_get_visible (f->page)) == 2);
  g_assert_false (can_save (f));

  /* Rename. */
  gtk_editable_set_text (GTK_EDITABLE (field (f, "title")), "Clinic FAQ");
  g_assert_true (can_save (f));
  g_assert_true (activate (f, "knowledge.save"));
  value = query_text (f, "SELECT title FROM knowledge_bases WHERE id = ?", id);
  g_assert_cmpstr (value, ==, "Clinic FAQ");
  g_clear_pointer (&value, g_free);

  /* Delete, then Undo: it is back, nothing was deleted. */
  g_assert_true (activate (f, "knowledge.delete"));
  g_assert_nonnull (confab_knowledge_page_get_undo_toast (f->page));
  g_assert_cmpuint (g_list_model_get_n_items (confab_knowledge_page_get_visible (f->page)), ==, 1);
  g_assert_cmpstr (confab_knowledge_page_get_detail_state (f->page), ==, "empty");
  g_assert_true (activate (f, "knowledge.undo-delete"));
  g_assert_null (confab_knowledge_page_get_undo_toast (f->page));
  g_assert_cmpuint (g_list_model_get_n_items (confab_knowledge_page_get_visible (f->page)), ==, 2);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM knowledge_bases"), ==,
                   2);

  /* Delete, and the toast goes: deleted for real. */
  g_assert_true (confab_knowledge_page_select (f->page, id));
  g_assert_true (activate (f, "knowledge.delete"));
  toast = confab_knowledge_page_get_undo_toast (f->page);
  g_assert_nonnull (toast);
  adw_toast_dismiss (toast);
  g_assert_null (confab_knowledge_page_get_undo_toast (f->page));
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM knowledge_bases"), ==,
                   1);
  g_assert_cmpint (confab_test_count_rows (f->ws->db,
                                           "SELECT count(*) FROM audit_log WHERE "
                                           "entity = 'knowledge_base' AND action = 'delete'"),
                   ==, 1);
}

/* An embedding provider needs a model, said on the field. */
static void
test_embedding_fields (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *value = NULL;

  provider = g_object_new (CONFAB_TYPE_PROVIDER, "name", "Local", "kind", "ollama", "base-url",
                           "http://127.0.0.1:11434", NULL);
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (provider), NULL, &error));
  g_assert_no_error (error);

  g_assert_true (confab_knowledge_page_select (f->page, f->kb_id));
  g_assert_false (can_save (f));
  /* The provider list follows the workspace: "None", then Local. */
  adw_combo_row_set_selected (ADW_COMBO_ROW (field (f, "provider")), 1);
  g_assert_true (gtk_widget_has_css_class (field (f, "model"), "error"));
  g_assert_false (can_save (f));
  gtk_editable_set_text (GTK_EDITABLE (field (f, "model")), "nomic-embed-text");
  g_assert_false (gtk_widget_has_css_class (field (f, "model"), "error"));
  g_assert_true (can_save (f));
  g_assert_true (activate (f, "knowledge.save"));
  value = query_text (f,
                      "SELECT embedding_provider_id || '|' || embedding_model "
                      "FROM knowledge_bases WHERE id = ?",
                      f->kb_id);
  {
    g_autofree char *expected = g_strconcat (ID (provider), "|nomic-embed-text", NULL);

    g_assert_cmpstr (value, ==, expected);
  }
}

/* A Markdown file through the page's import: indexed, with passages; the
 * search lists the passage with the words first, in bold. */
static void
test_import_and_search (Fixture *f, gconstpointer data)
{
  g_autoptr (GFile) file = write_file (f, "faq.md", FAQ_MD, -1);
  g_autofree char   *status = NULL;
  g_autofree char   *first_text = NULL;
  ConfabDocumentRow *row;
  GtkEditable       *search = confab_knowledge_page_get_search_entry (f->page);
  const char        *markup;
  gint64             chunks;

  g_assert_true (confab_knowledge_page_select (f->page, f->kb_id));
  import_file (f, file);

  status = query_text (f, "SELECT status FROM documents WHERE filename = 'faq.md'", NULL);
  g_assert_cmpstr (status, ==, "indexed");
  chunks = confab_test_count_rows (f->ws->db, "SELECT count(*) FROM chunks");
  g_assert_cmpint (chunks, >=, 2);
  WAIT_UNTIL (document_row (f, "faq.md") != NULL &&
              g_strcmp0 (confab_document_row_get_status (document_row (f, "faq.md")), "Indexed") ==
                  0);
  row = document_row (f, "faq.md");
  {
    g_autofree char *passages = g_strdup_printf ("%d passages", (int) chunks);

    g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "Markdown"));
    g_assert_nonnull (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), passages));
  }

  /* What an agent would get for the question, best first. */
  gtk_editable_set_text (search, "How long does the SOURDOUGH rise?");
  WAIT_UNTIL (confab_knowledge_page_get_n_results (f->page) > 0);
  first_text = query_text (f, "SELECT text FROM chunks WHERE id = ?",
                           confab_knowledge_page_get_result_chunk_id (f->page, 0));
  g_assert_nonnull (strstr (first_text, "sourdough loaf rises"));
  markup = confab_knowledge_page_get_result_markup (f->page, 0);
  g_assert_nonnull (strstr (markup, "<b>sourdough</b>"));
  g_assert_true (pango_parse_markup (markup, -1, 0, NULL, NULL, NULL, NULL));
  g_assert_cmpuint (confab_knowledge_page_get_n_results (f->page), <=, 4);

  /* Words nothing has: no passage, said plainly. */
  gtk_editable_set_text (search, "croissant");
  WAIT_UNTIL (
      confab_knowledge_page_get_n_results (f->page) == 0 &&
      gtk_widget_get_visible (GTK_WIDGET (confab_knowledge_page_get_search_hint (f->page))));
  g_assert_nonnull (
      strstr (gtk_label_get_text (confab_knowledge_page_get_search_hint (f->page)), "No passage"));

  /* FTS5 syntax is plain text here: a hint at most, never a crash. */
  gtk_editable_set_text (search, "\"sourdough AND (rye* NEAR");
  WAIT_UNTIL (confab_knowledge_page_get_n_results (f->page) > 0);
  markup = confab_knowledge_page_get_result_markup (f->page, 0);
  g_assert_true (pango_parse_markup (markup, -1, 0, NULL, NULL, NULL, NULL));

  /* Deleting the document, with undo. */
  row = document_row (f, "faq.md");
  g_signal_emit_by_name (confab_document_row_get_delete_button (row), "clicked");
  g_assert_nonnull (confab_knowledge_page_get_undo_toast (f->page));
  g_assert_cmpuint (g_list_model_get_n_items (confab_knowledge_page_get_documents (f->page)), ==,
                    0);
  adw_toast_dismiss (confab_knowledge_page_get_undo_toast (f->page));
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM documents"), ==, 0);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM chunks"), ==, 0);
}

/* A broken PDF is kept, failed, with the reason on its row. */
static void
test_broken_pdf (Fixture *f, gconstpointer data)
{
  static const char broken[] = "%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage, no xref\n";
  g_autoptr (GFile) file = write_file (f, "menu.pdf", broken, sizeof broken - 1);
  g_autofree char   *status = NULL;
  g_autofree char   *error = NULL;
  ConfabDocumentRow *row;

  g_assert_true (confab_knowledge_page_select (f->page, f->kb_id));
  import_file (f, file);

  status = query_text (f, "SELECT status FROM documents WHERE filename = 'menu.pdf'", NULL);
  g_assert_cmpstr (status, ==, "failed");
  error = query_text (f, "SELECT error FROM documents WHERE filename = 'menu.pdf'", NULL);
  g_assert_nonnull (error);
  g_assert_cmpstr (error, !=, "");
  WAIT_UNTIL (document_row (f, "menu.pdf") != NULL &&
              g_strcmp0 (confab_document_row_get_status (document_row (f, "menu.pdf")), "Failed") ==
                  0);
  row = document_row (f, "menu.pdf");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==, error);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM chunks"), ==, 0);
}

/* Snippets are escaped, and the query's words are bold however they are
 * written. */
static void
test_snippet_markup (void)
{
  g_autofree char *markup = confab_knowledge_page_snippet_markup (
      "Fish & <chips> at the Café, cafe-style…", "CAFE chips <b>");

  g_assert_cmpstr (markup, ==,
                   "Fish &amp; &lt;<b>chips</b>&gt; at the <b>Café</b>, <b>cafe</b>-style…");
  g_assert_true (pango_parse_markup (markup, -1, 0, NULL, NULL, NULL, NULL));
  g_clear_pointer (&markup, g_free);
  markup = confab_knowledge_page_snippet_markup ("<i>nothing</i> found", NULL);
  g_assert_cmpstr (markup, ==, "&lt;i&gt;nothing&lt;/i&gt; found");
}

int
main (int argc, char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

#define ADD(path, func)                                                                            \
  g_test_add ("/confab/knowledge-page/" path, Fixture, NULL, fixture_set_up, func,                 \
              fixture_tear_down)
  ADD ("create-rename-delete", test_create_rename_delete);
  ADD ("embedding-fields", test_embedding_fields);
  ADD ("import-and-search", test_import_and_search);
  ADD ("broken-pdf", test_broken_pdf);
#undef ADD
  g_test_add_func ("/confab/knowledge-page/snippet-markup", test_snippet_markup);
  return g_test_run ();
}
