/* test-prompts-page.c: the Prompts section: creating a prompt through the
 * New Prompt dialog, saving a version through the editor (and the core's
 * refusals shown on the text), moving a label and seeing the badges move,
 * restoring, the word diff, playground runs offline on a rule-based agent
 * and streamed from the mock server, test cases and the Run All grid, and
 * a folder export and import with its report.
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "confab-mock-llm-server.h"
#include "confab-prompt-case-dialog.h"
#include "confab-prompt-common.h"
#include "confab-prompt-editor.h"
#include "confab-prompt-import-report.h"
#include "confab-prompt-library.h"
#include "confab-prompts-page.h"
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

/* Answers "open" questions; anything else falls back. */
#define GREETER_CONFIG                                                                             \
  "{\"rules\": [{\"name\": \"Opening\", \"match\": \"keywords_any\", \"patterns\": [\"open\"], "   \
  "\"responses\": [\"We open at 9 every day.\"]}], \"fallback\": [\"Sorry, I did not get "         \
  "that.\"]}"

typedef struct
{
  ConfabTestWorkspace *ws;
  GtkWindow           *window;
  ConfabPromptsPage   *page;
  char                *user_id;
  char                *agent_id;
  ConfabPrompt        *prompt; /* support/greeting, with versions 1 and 2 */
} Fixture;

static ConfabPrompt *
add_prompt (Fixture *f, const char *name, const char *body)
{
  g_autoptr (ConfabPrompt) prompt = confab_prompt_new (name);
  g_autoptr (ConfabPromptVersion) first = confab_prompt_version_new (NULL, body);
  g_autoptr (GError) error = NULL;

  confab_prompt_version_set_author_id (first, f->user_id);
  confab_prompt_version_set_message (first, "First");
  g_assert_true (confab_prompt_library_add (f->ws->db, prompt, first, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&prompt);
}

static void
save_version (Fixture *f, const char *body, double temperature)
{
  g_autoptr (ConfabPromptVersion) draft = confab_prompt_version_new (ID (f->prompt), body);
  g_autoptr (GError) error = NULL;

  confab_prompt_version_set_message (draft, "Second");
  confab_prompt_version_set_temperature (draft, temperature);
  g_assert_true (confab_prompt_library_save (f->ws->db, draft, &error));
  g_assert_no_error (error);
}

static void
present_page (Fixture *f)
{
  GtkWidget *overlay;

  /* The page in a window with a toast overlay, as ConfabWindow has it. */
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 1200, 860);
  overlay = adw_toast_overlay_new ();
  f->page = CONFAB_PROMPTS_PAGE (confab_prompts_page_new ());
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (f->page));
  gtk_window_set_child (f->window, overlay);
  confab_page_set_database (CONFAB_PAGE (f->page), f->ws->db);
  gtk_window_present (f->window);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (GError) error = NULL;

  f->ws = confab_test_workspace_new ();
  user = confab_test_add_user (f->ws->db, "maya");
  f->user_id = g_strdup (ID (user));
  agent = confab_agent_new ("Greeter");
  confab_agent_set_config (agent, GREETER_CONFIG);
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (agent), NULL, &error));
  f->agent_id = g_strdup (ID (agent));

  if (GPOINTER_TO_INT (data))
    {
      f->prompt = add_prompt (f, "support/greeting", "Hello {{name|there}}, how can I help?");
      save_version (f, "Hello {{name|there}}, how may I help?", 0.2);
      g_assert_true (confab_prompt_library_move_label (f->ws->db, ID (f->prompt), "production", 1,
                                                       f->user_id, &error));
    }
  present_page (f);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (f->window);
  confab_test_drain_main_loop ();
  g_clear_object (&f->prompt);
  confab_test_workspace_free (f->ws);
  g_free (f->user_id);
  g_free (f->agent_id);
}

static void
set_text (GtkWidget *widget, const char *text)
{
  if (GTK_IS_TEXT_VIEW (widget))
    gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (widget)), text, -1);
  else
    gtk_editable_set_text (GTK_EDITABLE (widget), text);
}

/* A click, without the pressed look's delay of gtk_widget_activate (). */
static void
click (GtkWidget *button)
{
  g_signal_emit_by_name (button, "clicked");
}

static gboolean
row_shown (Fixture *f, const char *prompt_id)
{
  return confab_prompts_page_find_row (f->page, prompt_id) != NULL;
}

static void
select_prompt (Fixture *f)
{
  WAIT_UNTIL (row_shown (f, ID (f->prompt)));
  g_assert_true (confab_prompts_page_select_prompt (f->page, ID (f->prompt)));
  g_assert_cmpstr (confab_prompts_page_get_detail_state (f->page), ==, "prompt");
}

static int
stored_label_version (Fixture *f, const char *label)
{
  g_autoptr (ConfabPromptVersion) version =
      confab_prompt_resolve (f->ws->db, ID (f->prompt), label, 0, NULL);

  return version != NULL ? confab_prompt_version_get_version (version) : 0;
}

static gboolean
has_word (const char *text, const char *word)
{
  g_auto (GStrv) words = g_strsplit (text ? text : "", " ", -1);

  return g_strv_contains ((const char *const *) words, word);
}

/* Creating */

static void
test_create (Fixture *f, gconstpointer data)
{
  ConfabPromptNewDialog *dialog;
  g_autoptr (ConfabPrompt) stored = NULL;
  g_autoptr (ConfabPromptVersion) first = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *badges = NULL;
  ConfabPromptRow *row;

  g_assert_cmpstr (confab_prompts_page_get_list_state (f->page), ==, "empty");
  g_assert_cmpstr (confab_prompts_page_get_detail_state (f->page), ==, "empty");

  gtk_widget_activate_action (GTK_WIDGET (f->page), "prompts.new", NULL);
  dialog = confab_prompts_page_get_new_dialog (f->page);
  g_assert_nonnull (dialog);
  g_object_ref (dialog);

  /* Nothing to create yet; then a text that is not a template. */
  g_assert_false (gtk_widget_get_sensitive (confab_prompt_new_dialog_get_field (dialog, "create")));
  set_text (confab_prompt_new_dialog_get_field (dialog, "name"), "support/greeting");
  set_text (confab_prompt_new_dialog_get_field (dialog, "body"), "Hello {{first name}}");
  g_assert_true (
      gtk_widget_get_visible (confab_prompt_new_dialog_get_field (dialog, "body-error")));
  g_assert_false (gtk_widget_get_sensitive (confab_prompt_new_dialog_get_field (dialog, "create")));
  g_assert_false (confab_prompt_new_dialog_create (dialog));

  set_text (confab_prompt_new_dialog_get_field (dialog, "body"),
            "Hello {{name|there}}, how can I help?");
  set_text (confab_prompt_new_dialog_get_field (dialog, "description"), "Greets a customer");
  set_text (confab_prompt_new_dialog_get_field (dialog, "tags"), "faq, support, faq");
  g_assert_false (
      gtk_widget_get_visible (confab_prompt_new_dialog_get_field (dialog, "body-error")));
  g_assert_true (gtk_widget_get_sensitive (confab_prompt_new_dialog_get_field (dialog, "create")));
  click (confab_prompt_new_dialog_get_field (dialog, "create"));
  g_object_unref (dialog);

  /* In the workspace, version 1 with its variable, by the acting user. */
  stored = confab_prompt_library_find (f->ws->db, "support/greeting", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_prompt_get_description (stored), ==, "Greets a customer");
  g_assert_cmpstr (confab_prompt_get_tags (stored), ==, "[\"faq\",\"support\"]");
  first = confab_prompt_get_latest_version (f->ws->db, ID (stored), &error);
  g_assert_cmpint (confab_prompt_version_get_version (first), ==, 1);
  g_assert_cmpstr (confab_prompt_version_get_variables (first), ==, "[\"name\"]");
  g_assert_cmpstr (confab_prompt_version_get_author_id (first), ==, f->user_id);

  /* Listed under its folder, and shown. */
  WAIT_UNTIL (row_shown (f, ID (stored)));
  row = confab_prompts_page_find_row (f->page, ID (stored));
  g_assert_cmpstr (confab_prompt_row_get_header (row), ==, "support");
  badges = confab_prompt_row_dup_badges (row);
  g_assert_true (has_word (badges, "#faq"));
  g_assert_cmpstr (confab_prompts_page_get_list_state (f->page), ==, "list");
  WAIT_UNTIL (g_strcmp0 (confab_prompts_page_get_detail_state (f->page), "prompt") == 0);
  g_assert_cmpstr (confab_prompts_page_get_view (f->page), ==, "versions");

  /* The same name again: refused, said on the name. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "prompts.new", NULL);
  dialog = g_object_ref (confab_prompts_page_get_new_dialog (f->page));
  set_text (confab_prompt_new_dialog_get_field (dialog, "name"), "support/greeting");
  set_text (confab_prompt_new_dialog_get_field (dialog, "body"), "Hi");
  g_assert_false (confab_prompt_new_dialog_create (dialog));
  g_assert_true (
      gtk_widget_get_visible (confab_prompt_new_dialog_get_field (dialog, "name-error")));
  g_assert_true (
      gtk_widget_has_css_class (confab_prompt_new_dialog_get_field (dialog, "name"), "error"));
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT COUNT(*) FROM prompts"), ==, 1);
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);

  /* Search by tag. */
  gtk_editable_set_text (confab_prompts_page_get_search_entry (f->page), "nothing-like-it");
  WAIT_UNTIL (g_strcmp0 (confab_prompts_page_get_list_state (f->page), "no-results") == 0);
  gtk_editable_set_text (confab_prompts_page_get_search_entry (f->page), "FAQ");
  WAIT_UNTIL (g_list_model_get_n_items (confab_prompts_page_get_visible_prompts (f->page)) == 1);
}

/* Folder headers go on the first prompt of each folder only. */
static void
test_folders (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabPrompt) loose = add_prompt (f, "welcome", "Welcome!");
  g_autoptr (ConfabPrompt) first = add_prompt (f, "billing/refund", "Refunds take 5 days.");
  g_autoptr (ConfabPrompt) second = add_prompt (f, "billing/invoice", "Invoices are monthly.");
  GListModel *visible = confab_prompts_page_get_visible_prompts (f->page);

  WAIT_UNTIL (g_list_model_get_n_items (visible) == 3);
  WAIT_UNTIL (row_shown (f, ID (second)));
  /* Outside folders first, then by folder and name. */
  {
    g_autoptr (ConfabPrompt) p0 = g_list_model_get_item (visible, 0);
    g_autoptr (ConfabPrompt) p1 = g_list_model_get_item (visible, 1);
    g_autoptr (ConfabPrompt) p2 = g_list_model_get_item (visible, 2);

    g_assert_cmpstr (confab_prompt_get_name (p0), ==, "welcome");
    g_assert_cmpstr (confab_prompt_get_name (p1), ==, "billing/invoice");
    g_assert_cmpstr (confab_prompt_get_name (p2), ==, "billing/refund");
  }
  g_assert_null (confab_prompt_row_get_header (confab_prompts_page_find_row (f->page, ID (loose))));
  g_assert_cmpstr (
      confab_prompt_row_get_header (confab_prompts_page_find_row (f->page, ID (second))), ==,
      "billing");
  g_assert_null (confab_prompt_row_get_header (confab_prompts_page_find_row (f->page, ID (first))));

  /* The first of the folder filtered out: the next one carries the header. */
  gtk_editable_set_text (confab_prompts_page_get_search_entry (f->page), "refund");
  WAIT_UNTIL (g_list_model_get_n_items (visible) == 1);
  WAIT_UNTIL (
      g_strcmp0 (confab_prompt_row_get_header (confab_prompts_page_find_row (f->page, ID (first))),
                 "billing") == 0);
}

/* Versions: the editor, labels, restore, history */

static void
test_edit_and_label (Fixture *f, gconstpointer data)
{
  ConfabPromptVersionsView *view = confab_prompts_page_get_versions_view (f->page);
  ConfabPromptEditor       *editor;
  g_autoptr (ConfabPromptVersion) latest = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *body = NULL;
  g_autofree char *badges = NULL;
  GtkWidget       *body_error;

  select_prompt (f);
  WAIT_UNTIL (confab_prompt_versions_view_get_selected (view) == 2);
  body = confab_prompt_versions_view_dup_body (view);
  g_assert_cmpstr (body, ==, "Hello {{name|there}}, how may I help?");

  /* The editor starts from the version shown; saving it unchanged is
   * refused by the core, and said under the text. */
  editor = CONFAB_PROMPT_EDITOR (confab_prompt_versions_view_edit (view));
  g_object_ref (editor);
  body_error = confab_prompt_editor_get_field (editor, "body-error");
  g_assert_false (gtk_widget_get_sensitive (confab_prompt_editor_get_field (editor, "save")));
  set_text (confab_prompt_editor_get_field (editor, "message"), "Friendlier");
  g_assert_true (gtk_widget_get_sensitive (confab_prompt_editor_get_field (editor, "save")));
  g_assert_false (confab_prompt_editor_save (editor));
  g_assert_true (gtk_widget_get_visible (body_error));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (body_error)), "changed"));

  /* An invalid template: said as it is typed. */
  set_text (confab_prompt_editor_get_field (editor, "body"), "Hello {{ }}");
  g_assert_true (gtk_widget_get_visible (body_error));
  g_assert_false (gtk_widget_get_sensitive (confab_prompt_editor_get_field (editor, "save")));

  set_text (confab_prompt_editor_get_field (editor, "body"),
            "Hello {{name|there}}! How may I help you today?");
  gtk_spin_button_set_value (
      GTK_SPIN_BUTTON (confab_prompt_editor_get_field (editor, "max-tokens")), 300);
  g_assert_false (gtk_widget_get_visible (body_error));
  click (confab_prompt_editor_get_field (editor, "save"));
  g_object_unref (editor);

  /* A new version, by the acting user, shown at once. */
  latest = confab_prompt_get_latest_version (f->ws->db, ID (f->prompt), &error);
  g_assert_cmpint (confab_prompt_version_get_version (latest), ==, 3);
  g_assert_cmpstr (confab_prompt_version_get_message (latest), ==, "Friendlier");
  g_assert_cmpint (confab_prompt_version_get_max_tokens (latest), ==, 300);
  g_assert_cmpstr (confab_prompt_version_get_author_id (latest), ==, f->user_id);
  WAIT_UNTIL (confab_prompt_versions_view_get_selected (view) == 3);
  WAIT_UNTIL ((g_free (badges), badges = confab_prompt_versions_view_dup_row_badges (view, 3)) !=
                  NULL &&
              has_word (badges, "latest"));
  g_clear_pointer (&badges, g_free);

  /* "production" is on version 1; moved here, its badge moves too. */
  g_assert_cmpint (stored_label_version (f, "production"), ==, 1);
  badges = confab_prompt_versions_view_dup_row_badges (view, 1);
  g_assert_true (has_word (badges, "production"));
  g_clear_pointer (&badges, g_free);
  g_assert_true (confab_prompt_versions_view_move_label (view, "production", &error));
  g_assert_no_error (error);
  g_assert_cmpint (stored_label_version (f, "production"), ==, 3);
  WAIT_UNTIL ((g_free (badges), badges = confab_prompt_versions_view_dup_row_badges (view, 3)) !=
                  NULL &&
              has_word (badges, "production"));
  g_clear_pointer (&badges, g_free);
  badges = confab_prompt_versions_view_dup_row_badges (view, 1);
  g_assert_false (has_word (badges, "production"));
  g_clear_pointer (&badges, g_free);
  /* And in the prompts list. */
  badges = confab_prompt_row_dup_badges (confab_prompts_page_find_row (f->page, ID (f->prompt)));
  g_assert_true (has_word (badges, "production"));
  g_clear_pointer (&badges, g_free);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT COUNT(*) FROM audit_log WHERE "
                                                      "entity = 'prompt' AND action = 'label'"),
                   ==, 2);

  /* "latest" cannot be moved. */
  g_assert_false (confab_prompt_versions_view_move_label (view, "latest", &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);

  /* A new label on version 1. */
  g_assert_true (confab_prompt_versions_view_select (view, 1));
  g_assert_true (confab_prompt_versions_view_move_label (view, "staging", &error));
  g_assert_cmpint (stored_label_version (f, "staging"), ==, 1);
}

static void
test_restore_and_history (Fixture *f, gconstpointer data)
{
  ConfabPromptVersionsView *view = confab_prompts_page_get_versions_view (f->page);
  ConfabPromptHistoryView  *history = confab_prompts_page_get_history_view (f->page);
  g_autoptr (ConfabPromptVersion) latest = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  select_prompt (f);
  WAIT_UNTIL (confab_prompt_versions_view_get_selected (view) == 2);
  g_assert_true (confab_prompt_versions_view_select (view, 1));
  g_assert_true (confab_prompt_versions_view_restore (view, &error));
  g_assert_no_error (error);

  latest = confab_prompt_get_latest_version (f->ws->db, ID (f->prompt), &error);
  g_assert_cmpint (confab_prompt_version_get_version (latest), ==, 3);
  g_assert_cmpstr (confab_prompt_version_get_body (latest), ==,
                   "Hello {{name|there}}, how can I help?");
  WAIT_UNTIL (confab_prompt_versions_view_get_selected (view) == 3);

  /* The history says it, newest first. */
  WAIT_UNTIL ((g_free (text), text = confab_prompt_history_view_dup_text (history)) != NULL &&
              strstr (text, "version 1") != NULL && g_str_has_prefix (text, "Restored"));
}

/* Compare */

static int
offset_of (GtkTextView *view, const char *needle, int nth)
{
  GtkTextBuffer   *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter      start, end;
  g_autofree char *text = NULL;
  const char      *found;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, TRUE);
  found = text;
  for (int i = 0; i <= nth && found != NULL; i++)
    {
      found = strstr (i == 0 ? found : found + 1, needle);
    }
  g_assert_nonnull (found);
  return (int) g_utf8_pointer_to_offset (text, found);
}

static void
test_compare (Fixture *f, gconstpointer data)
{
  ConfabPromptCompareView *view = confab_prompts_page_get_compare_view (f->page);
  GtkTextView             *text_view;
  g_autofree char         *settings = NULL;
  int                      offset;

  select_prompt (f);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "prompts.compare", "(ii)", 1, 2);
  g_assert_cmpstr (confab_prompts_page_get_view (f->page), ==, "compare");
  text_view = confab_prompt_compare_view_get_text_view (view);

  /* "can" went, "may" came; the words around them did not change. */
  offset = offset_of (text_view, "can", 0);
  g_assert_cmpstr (confab_prompt_compare_view_word_at (view, offset), ==, "removed");
  offset = offset_of (text_view, "may", 0);
  g_assert_cmpstr (confab_prompt_compare_view_word_at (view, offset), ==, "added");
  offset = offset_of (text_view, "Hello", 1);
  g_assert_null (confab_prompt_compare_view_word_at (view, offset));

  settings = confab_prompt_compare_view_dup_settings (view);
  g_assert_cmpstr (settings, ==, "Temperature: 0.7 → 0.2\n");

  /* The same version twice: nothing tinted. */
  g_assert_true (confab_prompt_compare_view_set_versions (view, 2, 2));
  offset = offset_of (text_view, "may", 0);
  g_assert_null (confab_prompt_compare_view_word_at (view, offset));
}

/* Playground */

static void
test_playground_offline (Fixture *f, gconstpointer data)
{
  ConfabPromptPlayground *playground = confab_prompts_page_get_playground (f->page);
  ConfabPromptRunPane    *pane = confab_prompt_playground_get_pane (playground, 0);
  ConfabPromptRunPane    *other = confab_prompt_playground_get_pane (playground, 1);
  GtkEditable            *name;
  g_autofree char        *output = NULL;
  g_autoptr (ConfabPromptRun) run = NULL;

  select_prompt (f);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "prompts.play", "i", 1);
  g_assert_cmpstr (confab_prompts_page_get_view (f->page), ==, "playground");
  g_assert_cmpint (confab_prompt_version_get_version (confab_prompt_run_pane_get_version (pane)),
                   ==, 1);

  /* The variable's field, its default as the placeholder. */
  name = confab_prompt_playground_get_variable_entry (playground, "name");
  g_assert_nonnull (name);
  g_assert_cmpstr (gtk_entry_get_placeholder_text (GTK_ENTRY (name)), ==, "there");
  gtk_editable_set_text (name, "Ana");
  set_text (GTK_WIDGET (confab_prompt_playground_get_input_view (playground)),
            "Are you open on Sunday?");

  /* Version 1 and version 2, side by side, on the rule-based agent. */
  confab_prompt_playground_set_compare (playground, TRUE);
  confab_prompt_run_pane_set_target (pane, NULL, f->agent_id, NULL);
  g_assert_true (confab_prompt_run_pane_set_version (other, 2));
  confab_prompt_run_pane_set_target (other, NULL, f->agent_id, NULL);
  g_assert_true (confab_prompt_playground_run (playground));
  g_assert_true (confab_prompt_playground_get_running (playground));
  WAIT_UNTIL (!confab_prompt_playground_get_running (playground));

  output = confab_prompt_run_pane_dup_output (pane);
  g_assert_cmpstr (output, ==, "We open at 9 every day.");
  g_clear_pointer (&output, g_free);
  output = confab_prompt_run_pane_dup_output (other);
  g_assert_cmpstr (output, ==, "We open at 9 every day.");
  /* The latency, and no tokens for rules. */
  g_assert_nonnull (strstr (confab_prompt_run_pane_get_stats (pane), " ms"));
  g_assert_nonnull (strstr (confab_prompt_run_pane_get_stats (pane), "rules"));

  /* Both kept, with what was asked; the list reopens one. */
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT COUNT(*) FROM prompt_runs"), ==, 2);
  run = confab_repository_get (f->ws->db, CONFAB_TYPE_PROMPT_RUN,
                               ID (confab_prompt_run_pane_get_run (pane)), NULL);
  g_assert_cmpstr (confab_prompt_run_get_variables (run), ==, "{\"name\":\"Ana\"}");
  g_assert_cmpstr (confab_prompt_run_get_input (run), ==, "Are you open on Sunday?");
  g_assert_cmpstr (confab_prompt_run_get_agent_id (run), ==, f->agent_id);
  WAIT_UNTIL (g_list_model_get_n_items (confab_prompt_playground_get_runs (playground)) == 2);

  /* The form was made again for the versions chosen; what was typed stayed. */
  name = confab_prompt_playground_get_variable_entry (playground, "name");
  g_assert_cmpstr (gtk_editable_get_text (name), ==, "Ana");
  gtk_editable_set_text (name, "");
  set_text (GTK_WIDGET (confab_prompt_playground_get_input_view (playground)), "");
  confab_prompt_playground_open_run (playground, run);
  g_assert_cmpstr (
      gtk_editable_get_text (confab_prompt_playground_get_variable_entry (playground, "name")), ==,
      "Ana");
  g_clear_pointer (&output, g_free);
  output = confab_prompt_text_view_dup_text (confab_prompt_playground_get_input_view (playground));
  g_assert_cmpstr (output, ==, "Are you open on Sunday?");
  g_clear_pointer (&output, g_free);
  output = confab_prompt_run_pane_dup_output (pane);
  g_assert_cmpstr (output, ==, "We open at 9 every day.");
}

static char *
sse_delta (const char *content)
{
  return g_strdup_printf ("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
                          "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%s\"},"
                          "\"finish_reason\":null}]}\n\n",
                          content);
}

static void
test_playground_streaming (Fixture *f, gconstpointer data)
{
  ConfabPromptPlayground *playground = confab_prompts_page_get_playground (f->page);
  ConfabPromptRunPane    *pane = confab_prompt_playground_get_pane (playground, 0);
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char    *url = confab_mock_llm_server_get_url (server, "/v1");
  g_autofree char    *first = sse_delta ("Hello ");
  g_autofree char    *second = sse_delta ("Ana!");
  g_autofree char    *output = NULL;
  ConfabMockResponse *response = confab_mock_response_new (200, "text/event-stream");

  provider = confab_provider_new ("Mock", "openai_compatible", url);
  confab_provider_set_default_model (provider, "mock-model");
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (provider), NULL, &error));

  /* The second piece comes a while after the first. */
  confab_mock_response_add_chunk (response, 0, first, -1);
  confab_mock_response_add_chunk (response, 300, second, -1);
  confab_mock_response_add_chunk (response, 0,
                                  "data: {\"id\":\"c1\",\"choices\":[],\"usage\":{"
                                  "\"prompt_tokens\":12,\"completion_tokens\":5}}\n\n"
                                  "data: [DONE]\n\n",
                                  -1);
  confab_mock_llm_server_push (server, response);

  select_prompt (f);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "prompts.show-view", "s", "playground");
  confab_prompt_run_pane_set_target (pane, ID (provider), NULL, NULL);
  g_assert_true (confab_prompt_playground_run (playground));

  /* Streaming: the first piece shows before the run is over. */
  WAIT_UNTIL ((g_free (output), output = confab_prompt_run_pane_dup_output (pane)) != NULL &&
              g_str_has_prefix (output, "Hello"));
  g_assert_true (confab_prompt_playground_get_running (playground));
  WAIT_UNTIL (!confab_prompt_playground_get_running (playground));
  g_clear_pointer (&output, g_free);
  output = confab_prompt_run_pane_dup_output (pane);
  g_assert_cmpstr (output, ==, "Hello Ana!");
  g_assert_nonnull (strstr (confab_prompt_run_pane_get_stats (pane), "12 tokens in · 5 out"));
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT COUNT(*) FROM prompt_runs WHERE "
                                                      "model = 'mock-model' AND tokens_out = 5"),
                   ==, 1);
}

/* Stop: the run ends as cancelled, what came so far kept. */
static void
test_playground_stop (Fixture *f, gconstpointer data)
{
  ConfabPromptPlayground *playground = confab_prompts_page_get_playground (f->page);
  ConfabPromptRunPane    *pane = confab_prompt_playground_get_pane (playground, 0);
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char    *url = confab_mock_llm_server_get_url (server, "/v1");
  g_autofree char    *first = sse_delta ("Hello ");
  g_autofree char    *output = NULL;
  ConfabMockResponse *response = confab_mock_response_new (200, "text/event-stream");

  provider = confab_provider_new ("Mock", "openai_compatible", url);
  confab_provider_set_default_model (provider, "mock-model");
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (provider), NULL, &error));
  confab_mock_response_add_chunk (response, 0, first, -1);
  confab_mock_response_set_endless_silent (response);
  confab_mock_llm_server_push (server, response);

  select_prompt (f);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "prompts.show-view", "s", "playground");
  confab_prompt_run_pane_set_target (pane, ID (provider), NULL, NULL);
  g_assert_true (confab_prompt_playground_run (playground));
  WAIT_UNTIL ((g_free (output), output = confab_prompt_run_pane_dup_output (pane)) != NULL &&
              g_str_has_prefix (output, "Hello"));

  /* Ctrl+Enter stops a run under way. */
  gtk_widget_activate_action (GTK_WIDGET (playground), "playground.run", NULL);
  WAIT_UNTIL (!confab_prompt_playground_get_running (playground));
  g_assert_cmpstr (confab_prompt_run_get_status (confab_prompt_run_pane_get_run (pane)), ==,
                   "cancelled");
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT COUNT(*) FROM prompt_runs WHERE "
                                                      "status = 'cancelled' AND output = 'Hello '"),
                   ==, 1);
}

/* Tests */

static void
add_case (Fixture *f, const char *name, const char *input, const char *assertions)
{
  g_autoptr (ConfabPromptTestCase) test_case = confab_prompt_test_case_new (ID (f->prompt), name);
  g_autoptr (GError) error = NULL;

  confab_prompt_test_case_set_input (test_case, input);
  confab_prompt_test_case_set_assertions (test_case, assertions);
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (test_case), NULL, &error));
  g_assert_no_error (error);
}

static void
collect_labels (GtkWidget *widget, GString *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child))
        g_string_append_printf (text, "%s\n", gtk_label_get_label (GTK_LABEL (child)));
      collect_labels (child, text);
    }
}

static void
test_run_all (Fixture *f, gconstpointer data)
{
  ConfabPromptTestsView *view = confab_prompts_page_get_tests_view (f->page);
  const int              versions[] = { 1, 2 };
  g_autoptr (GString) details = g_string_new (NULL);
  GtkWidget *popover;

  add_case (
      f, "Answers hours", "When do you open?",
      "[{\"type\": \"contains\", \"value\": \"9\"}, {\"type\": \"max_tokens\", \"value\": 50}]");
  add_case (f, "Says closed", "When do you open?",
            "[{\"type\": \"contains\", \"value\": \"closed\"}]");
  select_prompt (f);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "prompts.show-view", "s", "tests");
  g_assert_null (confab_prompt_tests_view_get_cell (view, 0, 0));

  confab_prompt_tests_view_set_run_versions (view, versions, G_N_ELEMENTS (versions));
  confab_prompt_tests_view_set_run_agent (view, f->agent_id);
  g_assert_true (confab_prompt_tests_view_run_all (view));
  /* The grid is there at once, filling in as the runs finish. */
  g_assert_nonnull (confab_prompt_tests_view_get_cell (view, 1, 1));
  g_assert_cmpstr (confab_prompt_tests_view_get_cell_state (view, 0, 0), ==, "running");
  g_assert_cmpstr (confab_prompt_tests_view_get_cell_state (view, 1, 1), ==, "pending");
  WAIT_UNTIL (!confab_prompt_tests_view_get_running (view));

  /* Cases by name: "Answers hours" passes, "Says closed" fails, on both. */
  for (guint v = 0; v < 2; v++)
    {
      GtkWidget *passed = confab_prompt_tests_view_get_cell (view, v, 0);
      GtkWidget *failed = confab_prompt_tests_view_get_cell (view, v, 1);

      g_assert_cmpstr (confab_prompt_tests_view_get_cell_state (view, v, 0), ==, "passed");
      g_assert_cmpstr (confab_prompt_tests_view_get_cell_state (view, v, 1), ==, "failed");
      /* Told by colour and by words, for the eye and for screen readers. */
      g_assert_true (gtk_widget_has_css_class (passed, "passed"));
      g_assert_true (gtk_widget_has_css_class (failed, "failed"));
      g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (failed), "Failed"));
    }
  g_assert_cmpstr (confab_prompt_tests_view_get_summary (view), ==, "2 of 4 passed");
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT COUNT(*) FROM prompt_runs WHERE "
                                                      "passed IS NOT NULL"),
                   ==, 4);

  /* A cell's details: the output and each check's result. */
  popover = confab_prompt_tests_view_open_cell (view, 1, 1);
  g_assert_nonnull (popover);
  collect_labels (popover, details);
  g_assert_nonnull (strstr (details->str, "We open at 9 every day."));
  g_assert_nonnull (strstr (details->str, "“closed”"));
  gtk_popover_popdown (GTK_POPOVER (popover));
}

static void
test_case_dialog (Fixture *f, gconstpointer data)
{
  ConfabPromptTestsView  *view = confab_prompts_page_get_tests_view (f->page);
  ConfabPromptCaseDialog *dialog;
  g_autoptr (ConfabPromptTestCase) stored = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *assertions = NULL;
  GtkWidget       *error_label;

  select_prompt (f);
  dialog =
      g_object_ref (CONFAB_PROMPT_CASE_DIALOG (confab_prompt_tests_view_edit_case (view, NULL)));
  error_label = confab_prompt_case_dialog_get_field (dialog, "error");

  /* A field per variable of the newest version; a name is needed. */
  g_assert_nonnull (confab_prompt_case_dialog_get_field (dialog, "var:name"));
  g_assert_false (gtk_widget_get_visible (error_label));
  g_assert_false (gtk_widget_get_sensitive (confab_prompt_case_dialog_get_field (dialog, "save")));
  set_text (confab_prompt_case_dialog_get_field (dialog, "name"), "Greets Ana");
  g_assert_true (gtk_widget_get_sensitive (confab_prompt_case_dialog_get_field (dialog, "save")));

  /* An invalid regex: the core's reason, and no saving. */
  confab_prompt_case_dialog_add_check (dialog, "regex", "(unclosed");
  g_assert_true (gtk_widget_get_visible (error_label));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (error_label)), "regex"));
  g_assert_false (confab_prompt_case_dialog_save (dialog));
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT COUNT(*) FROM prompt_test_cases"), ==,
                   0);
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);

  dialog =
      g_object_ref (CONFAB_PROMPT_CASE_DIALOG (confab_prompt_tests_view_edit_case (view, NULL)));
  set_text (confab_prompt_case_dialog_get_field (dialog, "name"), "Greets Ana");
  set_text (confab_prompt_case_dialog_get_field (dialog, "var:name"), "Ana");
  set_text (confab_prompt_case_dialog_get_field (dialog, "input"), "hello");
  confab_prompt_case_dialog_add_check (dialog, "contains", "Ana");
  confab_prompt_case_dialog_add_check (dialog, "max_tokens", "fifty");
  g_assert_true (gtk_widget_get_visible (confab_prompt_case_dialog_get_field (dialog, "error")));
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);

  dialog =
      g_object_ref (CONFAB_PROMPT_CASE_DIALOG (confab_prompt_tests_view_edit_case (view, NULL)));
  set_text (confab_prompt_case_dialog_get_field (dialog, "name"), "Greets Ana");
  set_text (confab_prompt_case_dialog_get_field (dialog, "var:name"), "Ana");
  set_text (confab_prompt_case_dialog_get_field (dialog, "input"), "hello");
  confab_prompt_case_dialog_add_check (dialog, "contains", "Ana");
  confab_prompt_case_dialog_add_check (dialog, "max_tokens", "50");
  confab_prompt_case_dialog_add_check (dialog, "valid_json", NULL);
  g_assert_false (gtk_widget_get_visible (confab_prompt_case_dialog_get_field (dialog, "error")));
  g_assert_true (confab_prompt_case_dialog_save (dialog));
  g_object_unref (dialog);

  stored = confab_repository_find (f->ws->db, CONFAB_TYPE_PROMPT_TEST_CASE, "name", "Greets Ana",
                                   &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_prompt_test_case_get_variables (stored), ==, "{\"name\":\"Ana\"}");
  g_assert_cmpstr (confab_prompt_test_case_get_input (stored), ==, "hello");
  g_assert_cmpstr (confab_prompt_test_case_get_assertions (stored), ==,
                   "[{\"type\":\"contains\",\"value\":\"Ana\"},"
                   "{\"type\":\"max_tokens\",\"value\":50},{\"type\":\"valid_json\"}]");

  /* Opened again, it reads the same. */
  dialog =
      g_object_ref (CONFAB_PROMPT_CASE_DIALOG (confab_prompt_tests_view_edit_case (view, stored)));
  assertions = confab_prompt_case_dialog_dup_assertions (dialog);
  g_assert_cmpstr (assertions, ==, confab_prompt_test_case_get_assertions (stored));
  g_assert_cmpstr (gtk_editable_get_text (
                       GTK_EDITABLE (confab_prompt_case_dialog_get_field (dialog, "var:name"))),
                   ==, "Ana");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);

  /* Another case by the same name: refused, said on the name. */
  dialog =
      g_object_ref (CONFAB_PROMPT_CASE_DIALOG (confab_prompt_tests_view_edit_case (view, NULL)));
  set_text (confab_prompt_case_dialog_get_field (dialog, "name"), "Greets Ana");
  g_assert_false (confab_prompt_case_dialog_save (dialog));
  g_assert_true (
      gtk_widget_has_css_class (confab_prompt_case_dialog_get_field (dialog, "name"), "error"));
  g_assert_true (gtk_widget_get_visible (confab_prompt_case_dialog_get_field (dialog, "error")));
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT COUNT(*) FROM prompt_test_cases"), ==,
                   1);
}

/* Import and export */

static GtkWindow *
find_report (void)
{
  GList     *toplevels = gtk_window_list_toplevels ();
  GtkWindow *found = NULL;

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (CONFAB_IS_PROMPT_IMPORT_REPORT (l->data) && gtk_widget_get_visible (l->data))
      found = l->data;
  g_list_free (toplevels);
  return found;
}

static void
test_export_import (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = g_dir_make_tmp ("confab-prompts-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "support", "greeting.v2.prompt", NULL);
  g_autoptr (GFile) folder = g_file_new_for_path (dir);
  g_autoptr (ConfabTestWorkspace) other = NULL;
  g_autoptr (ConfabPrompt) imported = NULL;
  GtkWindow *report;

  select_prompt (f);
  confab_prompts_page_export_folder (f->page, folder);
  g_assert_true (confab_prompts_page_get_busy (f->page));
  WAIT_UNTIL (!confab_prompts_page_get_busy (f->page));
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  /* Into another workspace, through the page. */
  gtk_window_destroy (f->window);
  confab_test_drain_main_loop ();
  other = confab_test_workspace_new ();
  {
    ConfabTestWorkspace *mine = f->ws;

    f->ws = other;
    present_page (f);
    f->ws = mine;
  }
  confab_prompts_page_import_folder (f->page, folder);
  WAIT_UNTIL (!confab_prompts_page_get_busy (f->page));
  WAIT_UNTIL ((report = find_report ()) != NULL);
  g_assert_cmpstr (confab_prompt_import_report_get_summary (CONFAB_PROMPT_IMPORT_REPORT (report)),
                   ==, "3 created, 1 updated, 0 skipped");
  gtk_window_destroy (report);

  /* The list shows it without a restart. */
  imported = confab_prompt_library_find (other->db, "support/greeting", NULL);
  g_assert_nonnull (imported);
  WAIT_UNTIL (row_shown (f, ID (imported)));

  /* Again: nothing new, everything already there. */
  confab_prompts_page_import_folder (f->page, folder);
  WAIT_UNTIL (!confab_prompts_page_get_busy (f->page));
  WAIT_UNTIL ((report = find_report ()) != NULL);
  g_assert_cmpstr (confab_prompt_import_report_get_summary (CONFAB_PROMPT_IMPORT_REPORT (report)),
                   ==, "0 created, 0 updated, 2 skipped");
  gtk_window_destroy (report);

  gtk_window_destroy (f->window);
  confab_test_drain_main_loop ();
  f->window = NULL;
  present_page (f);
  confab_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

#define ADD(path, with_prompt, func)                                                               \
  g_test_add ("/confab/prompts-page/" path, Fixture, GINT_TO_POINTER (with_prompt),                \
              fixture_set_up, func, fixture_tear_down)
  ADD ("create", FALSE, test_create);
  ADD ("folders", FALSE, test_folders);
  ADD ("edit-and-label", TRUE, test_edit_and_label);
  ADD ("restore-and-history", TRUE, test_restore_and_history);
  ADD ("compare", TRUE, test_compare);
  ADD ("playground-offline", TRUE, test_playground_offline);
  ADD ("playground-streaming", TRUE, test_playground_streaming);
  ADD ("playground-stop", TRUE, test_playground_stop);
  ADD ("run-all", TRUE, test_run_all);
  ADD ("case-dialog", TRUE, test_case_dialog);
  ADD ("export-import", TRUE, test_export_import);
#undef ADD

  return g_test_run ();
}
