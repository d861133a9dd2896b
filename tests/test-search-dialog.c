/* test-search-dialog.c: Ctrl+K, the search across all conversations.
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "confab-search-dialog.h"
#include "confab-test-util.h"
#include "confab-window.h"

#define ID(entity) confab_entity_get_id (CONFAB_ENTITY (entity))

typedef struct
{
  ConfabTestWorkspace *ws;
  ConfabConversation  *bread;
  ConfabConversation  *cakes;
  ConfabMessage       *question;
  ConfabMessage       *answer;
  ConfabSearchDialog  *dialog;
} Fixture;

static ConfabMessage *
add_message (ConfabDatabase     *db,
             ConfabConversation *conversation,
             const char         *role,
             const char         *content)
{
  g_autoptr (GError) error = NULL;
  ConfabMessage *message = confab_message_new (ID (conversation), role, content);

  confab_repository_create (db, CONFAB_ENTITY (message), NULL, &error);
  g_assert_no_error (error);
  return message;
}

static ConfabConversation *
add_conversation (ConfabDatabase *db,
                  ConfabUser     *user)
{
  g_autoptr (GError) error = NULL;
  ConfabConversation *conversation = confab_conversation_new (ID (user));

  confab_repository_create (db, CONFAB_ENTITY (conversation), NULL, &error);
  g_assert_no_error (error);
  return conversation;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (ConfabUser) user = NULL;

  f->ws = confab_test_workspace_new ();
  user = confab_test_add_user (f->ws->db, "maria");
  f->bread = add_conversation (f->ws->db, user);
  f->cakes = add_conversation (f->ws->db, user);
  f->question = add_message (f->ws->db, f->bread, "user", "Do you bake sourdough bread?");
  f->answer = add_message (f->ws->db, f->bread, "assistant",
                           "Yes: <b>sourdough</b> & rye every morning, AND brioche.");
  g_object_unref (add_message (f->ws->db, f->cakes, "user", "A birthday cake for Sunday"));
  g_object_unref (add_message (f->ws->db, f->cakes, "assistant", "Our cakes need two days"));

  f->dialog = confab_search_dialog_new (NULL, f->ws->db);
  gtk_window_present (GTK_WINDOW (f->dialog));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  if (f->dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (f->dialog));
  confab_test_drain_main_loop ();
  g_clear_object (&f->answer);
  g_clear_object (&f->question);
  g_clear_object (&f->cakes);
  g_clear_object (&f->bread);
  g_clear_pointer (&f->ws, confab_test_workspace_free);
}

typedef struct
{
  ConfabSearchDialog *dialog;
  const char         *page;
} PageWait;

static gboolean
page_settled (gpointer data)
{
  PageWait *wait = data;

  return !confab_search_dialog_get_searching (wait->dialog) &&
         g_strcmp0 (confab_search_dialog_get_page (wait->dialog), wait->page) == 0;
}

/* Types query as a person would (the entry's own delay included) and waits
 * until the dialog shows page. */
static void
search (Fixture    *f,
        const char *query,
        const char *page)
{
  PageWait wait = { f->dialog, page };
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  gtk_editable_set_text (confab_search_dialog_get_entry (f->dialog), query);
  while (!page_settled (&wait) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  if (!page_settled (&wait))
    g_error ("Searching “%s” shows “%s”, not “%s”", query,
             confab_search_dialog_get_page (f->dialog), page);
}

static GListModel *
results (Fixture *f)
{
  return G_LIST_MODEL (confab_search_dialog_get_selection (f->dialog));
}

static ConfabMessageHit *
result (Fixture *f,
        guint    position)
{
  g_autoptr (ConfabMessageHit) hit = g_list_model_get_item (results (f), position);

  return hit; /* the list keeps it */
}

static void
test_results (Fixture       *f,
              gconstpointer  data)
{
  gboolean found_question = FALSE;
  gboolean found_answer = FALSE;

  g_assert_cmpstr (confab_search_dialog_get_page (f->dialog), ==, "initial");

  search (f, "sourdough", "results");
  g_assert_cmpuint (g_list_model_get_n_items (results (f)), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      ConfabMessageHit *hit = result (f, i);

      g_assert_cmpstr (confab_message_hit_get_conversation_id (hit), ==, ID (f->bread));
      g_assert_cmpstr (confab_message_hit_get_conversation_title (hit), ==,
                       "Do you bake sourdough bread?");
      found_question |= g_strcmp0 (confab_message_hit_get_message_id (hit), ID (f->question)) == 0;
      found_answer |= g_strcmp0 (confab_message_hit_get_message_id (hit), ID (f->answer)) == 0;
    }
  g_assert_true (found_question && found_answer);
  /* The best result is selected, ready for Enter. */
  g_assert_cmpuint (gtk_single_selection_get_selected (confab_search_dialog_get_selection (f->dialog)),
                    ==, 0);

  /* Words anywhere, any case, prefixes with *. */
  search (f, "CAKE*", "results");
  g_assert_cmpuint (g_list_model_get_n_items (results (f)), ==, 2);

  search (f, "kiwi", "empty");
  g_assert_cmpuint (g_list_model_get_n_items (results (f)), ==, 0);

  search (f, "   ", "initial");
}

static void
test_invalid_queries (Fixture       *f,
                      gconstpointer  data)
{
  const char *no_words[] = { "\"", "*", "(", ")", "\"\"", "( \" )", "-", "^", ":" };

  /* Nothing to look for: a hint, never an error or a crash. */
  for (guint i = 0; i < G_N_ELEMENTS (no_words); i++)
    {
      search (f, no_words[i], "hint");
      search (f, "", "initial");
    }

  /* Stray operators and quotes are plain words. */
  search (f, "AND", "results");
  g_assert_cmpuint (g_list_model_get_n_items (results (f)), ==, 1);
  search (f, "\"sourdough", "results");
  search (f, "NEAR(", "empty");
  search (f, "sourdough AND", "results");
  g_assert_cmpuint (g_list_model_get_n_items (results (f)), ==, 1);
  search (f, "OR NOT", "empty");
  search (f, "content:rye", "empty");
  search (f, "rye", "results");
}

typedef struct
{
  char  *conversation_id;
  char  *message_id;
  guint  n_calls;
} Opened;

static void
open_message_cb (ConfabSearchDialog *dialog,
                 const char         *conversation_id,
                 const char         *message_id,
                 Opened             *opened)
{
  g_free (opened->conversation_id);
  g_free (opened->message_id);
  opened->conversation_id = g_strdup (conversation_id);
  opened->message_id = g_strdup (message_id);
  opened->n_calls++;
}

static void
test_activate (Fixture       *f,
               gconstpointer  data)
{
  Opened opened = { 0 };
  GtkSingleSelection *selection = confab_search_dialog_get_selection (f->dialog);
  GtkWidget *dialog = GTK_WIDGET (f->dialog);
  g_autofree char *second_id = NULL;

  g_signal_connect (f->dialog, "open-message", G_CALLBACK (open_message_cb), &opened);
  g_object_add_weak_pointer (G_OBJECT (f->dialog), (gpointer *) &f->dialog);

  search (f, "sourdough", "results");

  /* Down and Up move the selection, within the list. */
  g_assert_true (gtk_widget_activate_action (dialog, "search.select-next", NULL));
  g_assert_cmpuint (gtk_single_selection_get_selected (selection), ==, 1);
  g_assert_true (gtk_widget_activate_action (dialog, "search.select-next", NULL));
  g_assert_cmpuint (gtk_single_selection_get_selected (selection), ==, 1);
  g_assert_true (gtk_widget_activate_action (dialog, "search.select-previous", NULL));
  g_assert_cmpuint (gtk_single_selection_get_selected (selection), ==, 0);
  g_assert_true (gtk_widget_activate_action (dialog, "search.select-next", NULL));
  second_id = g_strdup (confab_message_hit_get_message_id (result (f, 1)));

  /* Enter in the search field opens the selected result, and closes. */
  g_signal_emit_by_name (confab_search_dialog_get_entry (f->dialog), "activate");
  g_assert_cmpuint (opened.n_calls, ==, 1);
  g_assert_cmpstr (opened.conversation_id, ==, ID (f->bread));
  g_assert_cmpstr (opened.message_id, ==, second_id);
  confab_test_drain_main_loop ();
  g_assert_null (f->dialog);

  g_free (opened.conversation_id);
  g_free (opened.message_id);
}

/* Opened from the window with Ctrl+K; a result opens in that window. */
static void
test_window_action (Fixture       *f,
                    gconstpointer  data)
{
  ConfabWindow *window = confab_window_new (NULL);
  GListModel *toplevels = NULL;
  ConfabSearchDialog *found = NULL;

  confab_window_set_database (window, f->ws->db);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.search", NULL));

  toplevels = gtk_window_get_toplevels ();
  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (CONFAB_IS_SEARCH_DIALOG (toplevel) &&
          gtk_window_get_transient_for (toplevel) == GTK_WINDOW (window))
        found = CONFAB_SEARCH_DIALOG (toplevel);
    }
  g_assert_nonnull (found);
  g_assert_true (confab_search_dialog_get_database (found) == f->ws->db);
  g_assert_true (gtk_window_get_modal (GTK_WINDOW (found)));

  /* Activating a result asks the window to open it (win.open-conversation). */
  {
    PageWait wait = { found, "results" };
    gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

    g_object_add_weak_pointer (G_OBJECT (found), (gpointer *) &found);
    gtk_editable_set_text (confab_search_dialog_get_entry (found), "brioche");
    while (!page_settled (&wait) && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, TRUE);
    g_assert_true (page_settled (&wait));
    g_signal_emit_by_name (confab_search_dialog_get_entry (found), "activate");
    confab_test_drain_main_loop ();
    g_assert_null (found);
  }

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Typing fast: every keystroke's query but the last is dropped or
 * cancelled; what shows is the last query's results. */
static void
test_fast_typing (Fixture       *f,
                  gconstpointer  data)
{
  GtkEditable *entry = confab_search_dialog_get_entry (f->dialog);
  const char *queries[] = { "c", "ca", "cak", "cake", "cakes", "b", "br", "bri", "brioche" };
  PageWait wait = { f->dialog, "results" };
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  for (guint i = 0; i < G_N_ELEMENTS (queries); i++)
    {
      gtk_editable_set_text (entry, queries[i]);
      /* As if the entry's delay had passed after each key. */
      g_signal_emit_by_name (entry, "search-changed");
      g_main_context_iteration (NULL, FALSE);
    }
  while (!page_settled (&wait) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (page_settled (&wait));
  g_assert_cmpuint (g_list_model_get_n_items (results (f)), ==, 1);
  g_assert_cmpstr (confab_message_hit_get_message_id (result (f, 0)), ==, ID (f->answer));
}

/* Many matches: the best CONFAB_SEARCH_DIALOG_MAX_RESULTS are shown. */
static void
test_many_results (Fixture       *f,
                   gconstpointer  data)
{
  for (guint i = 0; i < CONFAB_SEARCH_DIALOG_MAX_RESULTS + 20; i++)
    {
      g_autofree char *text = g_strdup_printf ("pumpernickel loaf %u", i);

      g_object_unref (add_message (f->ws->db, f->cakes, "user", text));
    }

  search (f, "pumpernickel", "results");
  g_assert_cmpuint (g_list_model_get_n_items (results (f)), ==, CONFAB_SEARCH_DIALOG_MAX_RESULTS);
}

static void
assert_markup (const char *snippet,
               const char *expected)
{
  g_autofree char *markup = confab_search_dialog_snippet_to_markup (snippet);
  g_autoptr (GError) error = NULL;

  g_assert_cmpstr (markup, ==, expected);
  g_assert_true (pango_parse_markup (markup, -1, 0, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
test_snippet_markup (void)
{
  const char *hostile[] = {
    "<span foreground='red'>", "&amp;", "]]>", "<b>\x02", "\x03\x03\x02\x02", "a\x01z",
    "\xe2\x80\xa8", "<!--", "&#0;", "'\"", "\x02<i>\x03</i>",
  };

  assert_markup ("Do you bake \x02sourdough\x03 bread?", "Do you bake <b>sourdough</b> bread?");
  assert_markup ("Yes: <b>\x02sourdough\x03</b> & rye",
                 "Yes: &lt;b&gt;<b>sourdough</b>&lt;/b&gt; &amp; rye");
  assert_markup ("line one\n\n  \x02line\x03 two\t…", "line one <b>line</b> two …");
  assert_markup ("\x02unclosed", "<b>unclosed</b>");
  assert_markup ("stray\x03 end", "stray end");
  assert_markup (NULL, "");

  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autofree char *markup = confab_search_dialog_snippet_to_markup (hostile[i]);

      g_assert_true (pango_parse_markup (markup, -1, 0, NULL, NULL, NULL, NULL));
    }
}

static void
use_uninstalled_schema (const char *argv0)
{
  const char *builddir = g_getenv ("G_TEST_BUILDDIR");
  g_autofree char *testdir = builddir ? g_strdup (builddir) : g_path_get_dirname (argv0);
  g_autofree char *dir = g_build_filename (testdir, "..", "data", NULL);
  g_autofree char *compiled = g_build_filename (dir, "gschemas.compiled", NULL);

  if (g_file_test (compiled, G_FILE_TEST_EXISTS))
    g_setenv ("GSETTINGS_SCHEMA_DIR", dir, FALSE);
  g_setenv ("GSETTINGS_BACKEND", "memory", FALSE);
}

int
main (int    argc,
      char **argv)
{
  use_uninstalled_schema (argv[0]);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

#define ADD(path, func) \
  g_test_add ("/confab/search-dialog/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("results", test_results);
  ADD ("invalid-queries", test_invalid_queries);
  ADD ("activate", test_activate);
  ADD ("window-action", test_window_action);
  ADD ("fast-typing", test_fast_typing);
  ADD ("many-results", test_many_results);
#undef ADD
  g_test_add_func ("/confab/search-dialog/snippet-markup", test_snippet_markup);

  return g_test_run ();
}
