/* confab-prompt-tests-view.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "confab-acting-user.h"
#include "confab-page.h"
#include "confab-prompt-case-dialog.h"
#include "confab-prompt-common.h"
#include "confab-prompt-library.h"
#include "confab-prompt-tests-view.h"
#include "confab-template.h"

/* A Run All under way. The grid's ::cell-changed and the runner's callback
 * both get it; view is cleared when the view goes first. */
typedef struct
{
  ConfabPromptTestsView *view;
  GCancellable          *cancellable;
} RunJob;

struct _ConfabPromptTestsView
{
  AdwBin parent_instance;

  GtkStack         *cases_stack;
  GtkListBox       *cases_list;
  GtkWidget        *run_button;
  GtkWidget        *stop_button;
  GtkMenuButton    *options_button;
  AdwButtonContent *options_content;
  GtkWidget        *versions_box;
  GtkDropDown      *agent_dropdown;
  GtkWidget        *results_group;
  GtkLabel         *summary_label;
  GtkGrid          *grid;

  ConfabDatabase     *db;
  ConfabPrompt       *prompt;
  ConfabPromptRunner *runner;
  GListModel         *cases;
  GListModel         *versions;
  gulong              cases_changed_id;
  gulong              versions_changed_id;
  GArray             *run_versions; /* int; empty: the newest */
  char               *run_agent_id;
  GPtrArray          *agent_ids; /* dropdown position - 1 -> agent id */
  RunJob             *job;
  ConfabPromptGrid   *result;
  GPtrArray          *cells; /* GtkMenuButton, version-major */
  guint               n_grid_versions;
  guint               n_grid_cases;
  guint               updating_agents : 1;
};

G_DEFINE_FINAL_TYPE (ConfabPromptTestsView, confab_prompt_tests_view, ADW_TYPE_BIN)

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static void
run_job_free (RunJob *job)
{
  g_clear_object (&job->cancellable);
}

static void
run_job_unref (RunJob *job)
{
  g_rc_box_release_full (job, (GDestroyNotify) run_job_free);
}

static GtkWindow *
get_window (ConfabPromptTestsView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

/* Test cases */

static char *
describe_case (ConfabPromptTestCase *test_case)
{
  g_autoptr (GHashTable) variables = confab_prompt_test_case_dup_variables (test_case);
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GList) names = NULL;
  g_autoptr (JsonNode) checks = NULL;
  const char *input = confab_prompt_test_case_get_input (test_case);
  const char *assertions = confab_prompt_test_case_get_assertions (test_case);
  guint       n_checks = 0;

  checks = json_from_string (assertions ? assertions : "[]", NULL);
  if (checks != NULL && JSON_NODE_HOLDS_ARRAY (checks))
    n_checks = json_array_get_length (json_node_get_array (checks));
  g_string_append_printf (text, ngettext ("%u check", "%u checks", n_checks), n_checks);
  names = g_list_sort (g_hash_table_get_keys (variables), (GCompareFunc) g_strcmp0);
  for (GList *l = names; l != NULL; l = l->next)
    g_string_append_printf (text, " · %s=%s", (char *) l->data,
                            (char *) g_hash_table_lookup (variables, l->data));
  if (input != NULL && *input != '\0')
    /* Translators: a test case's input, quoted, in the list of cases */
    g_string_append_printf (text, _ (" · “%s”"), input);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static char **
dup_latest_variables (ConfabPromptTestsView *self)
{
  g_autoptr (ConfabPromptVersion) latest = NULL;
  g_autoptr (GPtrArray) variables = NULL;
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  if (self->db != NULL && self->prompt != NULL)
    latest = confab_prompt_get_latest_version (self->db, id_of (self->prompt), NULL);
  if (latest != NULL)
    variables = confab_template_detect_variables (confab_prompt_version_get_body (latest), NULL);
  for (guint i = 0; variables != NULL && i < variables->len; i++)
    g_strv_builder_add (builder,
                        ((ConfabTemplateVariable *) g_ptr_array_index (variables, i))->name);
  return g_strv_builder_end (builder);
}

GtkWidget *
confab_prompt_tests_view_edit_case (ConfabPromptTestsView *self, ConfabPromptTestCase *test_case)
{
  ConfabPromptCaseDialog *dialog;
  g_auto (GStrv) variables = NULL;

  g_return_val_if_fail (CONFAB_IS_PROMPT_TESTS_VIEW (self), NULL);

  if (self->db == NULL || self->prompt == NULL)
    return NULL;
  variables = dup_latest_variables (self);
  dialog = confab_prompt_case_dialog_new (get_window (self), self->db, self->prompt, test_case,
                                          (const char *const *) variables);
  gtk_window_present (GTK_WINDOW (dialog));
  return GTK_WIDGET (dialog);
}

static void
add_case_clicked_cb (ConfabPromptTestsView *self)
{
  confab_prompt_tests_view_edit_case (self, NULL);
}

static void
case_activated_cb (ConfabPromptTestsView *self, GtkListBoxRow *row)
{
  ConfabPromptTestCase *test_case = g_object_get_data (G_OBJECT (row), "confab-case");

  if (test_case != NULL)
    confab_prompt_tests_view_edit_case (self, test_case);
}

typedef struct
{
  ConfabDatabase       *db;
  ConfabPromptTestCase *copy;
  char                 *actor_id;
} Undo;

static void
undo_free (gpointer data)
{
  Undo *undo = data;

  g_clear_object (&undo->db);
  g_clear_object (&undo->copy);
  g_free (undo->actor_id);
  g_free (undo);
}

static void
undo_delete_cb (AdwToast *toast, ConfabPromptTestsView *self)
{
  Undo *undo = g_object_get_data (G_OBJECT (toast), "confab-undo");
  g_autoptr (GError) error = NULL;

  /* Back as it was, under a new id: the runs made with it stay with it. */
  if (undo != NULL &&
      !confab_repository_create (undo->db, CONFAB_ENTITY (undo->copy), undo->actor_id, &error))
    confab_prompt_toast_error (GTK_WIDGET (self), error);
}

static void
delete_case_clicked_cb (GtkButton *button, ConfabPromptTestsView *self)
{
  ConfabPromptTestCase *test_case = g_object_get_data (G_OBJECT (button), "confab-case");
  g_autoptr (GError) error = NULL;
  g_autofree char *title = NULL;
  g_autofree char *markup = NULL;
  AdwToast        *toast;
  Undo            *undo;
  GtkWidget       *page;

  if (self->db == NULL || test_case == NULL)
    return;
  undo = g_new0 (Undo, 1);
  undo->db = g_object_ref (self->db);
  undo->actor_id = confab_acting_user_dup_id (self->db);
  undo->copy = confab_prompt_test_case_new (confab_prompt_test_case_get_prompt_id (test_case),
                                            confab_prompt_test_case_get_name (test_case));
  confab_prompt_test_case_set_variables (undo->copy,
                                         confab_prompt_test_case_get_variables (test_case));
  confab_prompt_test_case_set_input (undo->copy, confab_prompt_test_case_get_input (test_case));
  confab_prompt_test_case_set_assertions (undo->copy,
                                          confab_prompt_test_case_get_assertions (test_case));
  if (!confab_repository_delete (self->db, CONFAB_TYPE_PROMPT_TEST_CASE, id_of (test_case),
                                 undo->actor_id, &error))
    {
      undo_free (undo);
      confab_prompt_toast_error (GTK_WIDGET (self), error);
      return;
    }

  title = g_strdup_printf (_ ("“%s” deleted"), confab_prompt_test_case_get_name (undo->copy));
  markup = g_markup_escape_text (title, -1);
  toast = adw_toast_new (markup);
  adw_toast_set_button_label (toast, _ ("_Undo"));
  g_object_set_data_full (G_OBJECT (toast), "confab-undo", undo, undo_free);
  g_signal_connect_object (toast, "button-clicked", G_CALLBACK (undo_delete_cb), self, 0);
  page = gtk_widget_get_ancestor (GTK_WIDGET (self), CONFAB_TYPE_PAGE);
  if (page != NULL)
    confab_page_add_toast (CONFAB_PAGE (page), toast);
  else
    g_object_unref (toast);
}

static void
reload_cases (ConfabPromptTestsView *self)
{
  guint n = self->cases ? g_list_model_get_n_items (self->cases) : 0;

  confab_prompt_remove_children (GTK_WIDGET (self->cases_list));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabPromptTestCase) test_case = g_list_model_get_item (self->cases, i);
      g_autofree char *subtitle = describe_case (test_case);
      GtkWidget       *row = adw_action_row_new ();
      GtkWidget       *edit = gtk_image_new_from_icon_name ("go-next-symbolic");
      GtkWidget       *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      g_autofree char *remove_label = NULL;

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     confab_prompt_test_case_get_name (test_case));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "confab-case", g_object_ref (test_case),
                              g_object_unref);

      remove_label =
          g_strdup_printf (_ ("Delete “%s”"), confab_prompt_test_case_get_name (test_case));
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (remove, remove_label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      remove_label, -1);
      gtk_widget_add_css_class (remove, "flat");
      g_object_set_data_full (G_OBJECT (remove), "confab-case", g_object_ref (test_case),
                              g_object_unref);
      g_signal_connect_object (remove, "clicked", G_CALLBACK (delete_case_clicked_cb), self, 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      gtk_accessible_update_property (GTK_ACCESSIBLE (edit), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _ ("Edit"), -1);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), edit);
      gtk_list_box_append (self->cases_list, row);
    }
  gtk_stack_set_visible_child_name (self->cases_stack, n > 0 ? "cases" : "empty");
  gtk_widget_set_sensitive (self->run_button, n > 0 && self->runner != NULL);
}

/* What Run All runs */

static int
latest_number (ConfabPromptTestsView *self)
{
  g_autoptr (ConfabPromptVersion) first = NULL;

  if (self->versions == NULL || g_list_model_get_n_items (self->versions) == 0)
    return 0;
  first = g_list_model_get_item (self->versions, 0);
  return confab_prompt_version_get_version (first);
}

static gboolean
runs_version (ConfabPromptTestsView *self, int number)
{
  if (self->run_versions->len == 0)
    return number == latest_number (self);
  for (guint i = 0; i < self->run_versions->len; i++)
    if (g_array_index (self->run_versions, int, i) == number)
      return TRUE;
  return FALSE;
}

static void
update_options_label (ConfabPromptTestsView *self)
{
  g_autoptr (GString) text = g_string_new (NULL);
  guint selected = gtk_drop_down_get_selected (self->agent_dropdown);

  if (self->run_versions->len == 0)
    g_string_append_printf (text, _ ("v%d"), latest_number (self));
  for (guint i = 0; i < self->run_versions->len; i++)
    g_string_append_printf (text, "%sv%d", i > 0 ? ", " : "",
                            g_array_index (self->run_versions, int, i));
  if (selected != GTK_INVALID_LIST_POSITION && selected > 0)
    g_string_append (text, _ (" · rules"));
  adw_button_content_set_label (self->options_content, text->str);
}

static int
compare_ints (gconstpointer a, gconstpointer b)
{
  return *(const int *) a - *(const int *) b;
}

static void
version_toggled_cb (GtkCheckButton *check, ConfabPromptTestsView *self)
{
  int number = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (check), "confab-version"));
  g_autoptr (GArray) chosen = g_array_new (FALSE, FALSE, sizeof (int));

  /* Made explicit, so unchecking the newest leaves the others. */
  if (self->run_versions->len == 0 && latest_number (self) > 0)
    {
      int latest = latest_number (self);

      g_array_append_val (self->run_versions, latest);
    }
  for (guint i = 0; i < self->run_versions->len; i++)
    if (g_array_index (self->run_versions, int, i) != number)
      g_array_append_val (chosen, g_array_index (self->run_versions, int, i));
  if (gtk_check_button_get_active (check))
    g_array_append_val (chosen, number);
  g_array_sort (chosen, compare_ints);
  g_array_set_size (self->run_versions, 0);
  g_array_append_vals (self->run_versions, chosen->data, chosen->len);
  update_options_label (self);
}

static void
fill_versions_box (ConfabPromptTestsView *self)
{
  guint n = self->versions ? g_list_model_get_n_items (self->versions) : 0;
  g_autoptr (GPtrArray) labels = NULL;

  confab_prompt_remove_children (self->versions_box);
  if (self->db != NULL && self->prompt != NULL)
    labels = confab_prompt_list_labels (self->db, id_of (self->prompt), NULL);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabPromptVersion) version = g_list_model_get_item (self->versions, i);
      int number = confab_prompt_version_get_version (version);
      g_auto (GStrv) names = confab_prompt_library_labels_of_version (labels, number, i == 0);
      g_autofree char *joined = g_strjoinv (", ", names);
      g_autofree char *text = NULL;
      GtkWidget       *check;

      if (*joined != '\0')
        /* Translators: a version in Run All's choices, with its labels: "v3 (latest, staging)" */
        text = g_strdup_printf (_ ("v%d (%s)"), number, joined);
      else
        text = g_strdup_printf (_ ("v%d"), number);
      check = gtk_check_button_new_with_label (text);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), runs_version (self, number));
      g_object_set_data (G_OBJECT (check), "confab-version", GINT_TO_POINTER (number));
      g_signal_connect_object (check, "toggled", G_CALLBACK (version_toggled_cb), self, 0);
      gtk_box_append (GTK_BOX (self->versions_box), check);
    }
}

static void
reload_agents (ConfabPromptTestsView *self)
{
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr (GPtrArray) agents = NULL;
  guint selected = 0;

  g_ptr_array_set_size (self->agent_ids, 0);
  gtk_string_list_append (names, _ ("Each version’s model"));
  if (self->db != NULL)
    agents = confab_repository_list (self->db, CONFAB_TYPE_AGENT, NULL, NULL, NULL);
  for (guint i = 0; agents != NULL && i < agents->len; i++)
    {
      ConfabAgent     *agent = g_ptr_array_index (agents, i);
      const char      *type = confab_agent_get_agent_type (agent);
      g_autofree char *name = NULL;

      if (g_strcmp0 (type, "rule_based") != 0 && g_strcmp0 (type, "hybrid") != 0)
        continue;
      name = g_strdup_printf (_ ("%s (rules, offline)"), confab_agent_get_name (agent));
      gtk_string_list_append (names, name);
      g_ptr_array_add (self->agent_ids, g_strdup (id_of (agent)));
      if (g_strcmp0 (id_of (agent), self->run_agent_id) == 0)
        selected = self->agent_ids->len;
    }
  self->updating_agents = TRUE;
  gtk_drop_down_set_model (self->agent_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->agent_dropdown, selected);
  self->updating_agents = FALSE;
}

static void
agent_changed_cb (ConfabPromptTestsView *self)
{
  guint selected = gtk_drop_down_get_selected (self->agent_dropdown);

  if (self->updating_agents)
    return;
  g_clear_pointer (&self->run_agent_id, g_free);
  if (selected != GTK_INVALID_LIST_POSITION && selected > 0 && selected <= self->agent_ids->len)
    self->run_agent_id = g_strdup (g_ptr_array_index (self->agent_ids, selected - 1));
  update_options_label (self);
}

static void
options_shown_cb (ConfabPromptTestsView *self)
{
  fill_versions_box (self);
}

/* The grid */

static const char *
cell_state (GtkWidget *cell)
{
  return cell ? g_object_get_data (G_OBJECT (cell), "confab-state") : NULL;
}

static void
set_cell_state (ConfabPromptTestsView *self, guint v, guint c, const char *state)
{
  GtkWidget       *cell = g_ptr_array_index (self->cells, v * self->n_grid_cases + c);
  GtkWidget       *box = gtk_menu_button_get_child (GTK_MENU_BUTTON (cell));
  GtkWidget       *icon = gtk_widget_get_first_child (box);
  GtkWidget       *spinner = gtk_widget_get_next_sibling (icon);
  GtkWidget       *label = gtk_widget_get_next_sibling (spinner);
  const char      *text, *icon_name = NULL;
  const char      *case_name = g_object_get_data (G_OBJECT (cell), "confab-case-name");
  int              number = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (cell), "confab-version"));
  g_autofree char *accessible = NULL;

  for (guint i = 0; i < 5; i++)
    gtk_widget_remove_css_class (
        cell, (const char *[]){ "pending", "running", "passed", "failed", "error" }[i]);
  if (g_str_equal (state, "passed"))
    text = _ ("Passed"), icon_name = "emblem-ok-symbolic";
  else if (g_str_equal (state, "failed"))
    text = _ ("Failed"), icon_name = "window-close-symbolic";
  else if (g_str_equal (state, "error"))
    text = _ ("Error"), icon_name = "dialog-warning-symbolic";
  else if (g_str_equal (state, "running"))
    text = _ ("Running");
  else
    text = _ ("Waiting"), icon_name = "content-loading-symbolic";

  gtk_widget_add_css_class (cell, g_str_equal (state, "running") ? "pending" : state);
  g_object_set_data_full (G_OBJECT (cell), "confab-state", g_strdup (state), g_free);
  gtk_widget_set_visible (icon, icon_name != NULL);
  if (icon_name != NULL)
    gtk_image_set_from_icon_name (GTK_IMAGE (icon), icon_name);
  gtk_widget_set_visible (spinner, g_str_equal (state, "running"));
  gtk_spinner_set_spinning (GTK_SPINNER (spinner), g_str_equal (state, "running"));
  gtk_label_set_label (GTK_LABEL (label), text);
  gtk_widget_set_sensitive (cell, g_str_equal (state, "passed") || g_str_equal (state, "failed") ||
                                      g_str_equal (state, "error"));

  /* Translators: a grid cell for screen readers: "Greets Ana, version 3: Passed" */
  accessible = g_strdup_printf (_ ("%s, version %d: %s"), case_name, number, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (cell), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
  gtk_widget_set_tooltip_text (cell, accessible);
}

static GtkWidget *
add_label (GtkWidget *box, const char *text, const char *first_class, ...)
{
  GtkWidget *label = gtk_label_new (text);
  va_list    args;

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 48);
  va_start (args, first_class);
  for (const char *css = first_class; css != NULL; css = va_arg (args, const char *))
    gtk_widget_add_css_class (label, css);
  va_end (args);
  gtk_box_append (GTK_BOX (box), label);
  return label;
}

/* The cell's details: its output and each check's result. */
static void
fill_cell_popover (ConfabPromptTestsView *self, GtkMenuButton *cell)
{
  guint                 v = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (cell), "confab-v"));
  guint                 c = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (cell), "confab-c"));
  GtkPopover           *popover = gtk_menu_button_get_popover (cell);
  GtkWidget            *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  ConfabPromptRun      *run;
  const GError         *error;
  ConfabPromptTestCase *test_case;
  ConfabPromptVersion  *version;
  g_autofree char      *heading = NULL;
  g_autoptr (GPtrArray) results = NULL;

  if (self->result == NULL || v >= confab_prompt_grid_get_n_versions (self->result) ||
      c >= confab_prompt_grid_get_n_cases (self->result))
    return;
  run = confab_prompt_grid_get_run (self->result, v, c);
  error = confab_prompt_grid_get_error (self->result, v, c);
  test_case = confab_prompt_grid_get_case (self->result, c);
  version = confab_prompt_grid_get_version (self->result, v);

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  /* Translators: a test grid cell's details: "Greets Ana · version 3" */
  heading = g_strdup_printf (_ ("%s · version %d"), confab_prompt_test_case_get_name (test_case),
                             confab_prompt_version_get_version (version));
  add_label (box, heading, "heading", NULL);

  if (run == NULL)
    {
      add_label (box, error ? error->message : _ ("This case did not run."), "prompt-error", NULL);
      gtk_popover_set_child (popover, box);
      return;
    }

  {
    g_autofree char *latency =
        confab_prompt_format_latency (confab_prompt_run_get_latency_ms (run));
    g_autofree char *line = NULL;
    const char      *verdict =
        confab_prompt_grid_get_passed (self->result, v, c) ? _ ("Passed") : _ ("Failed");

    /* Translators: "Passed · 12 ms · 45 tokens" */
    line = g_strdup_printf (_ ("%s · %s · %d tokens"), verdict, latency,
                            confab_prompt_run_get_tokens_out (run));
    add_label (box, line, "dim-label", NULL);
    if (confab_prompt_run_get_error (run) != NULL)
      add_label (box, confab_prompt_run_get_error (run), "prompt-error", NULL);
  }

  add_label (box, _ ("Output"), "caption-heading", NULL);
  {
    GtkWidget  *scrolled = gtk_scrolled_window_new ();
    GtkWidget  *inner = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
    const char *output = confab_prompt_run_get_output (run);
    GtkWidget  *label;

    label = add_label (inner, output && *output ? output : _ ("(no output)"), NULL);
    gtk_label_set_selectable (GTK_LABEL (label), TRUE);
    gtk_widget_set_margin_top (label, 8);
    gtk_widget_set_margin_bottom (label, 8);
    gtk_widget_set_margin_start (label, 10);
    gtk_widget_set_margin_end (label, 10);
    gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), inner);
    gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                    GTK_POLICY_AUTOMATIC);
    gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
    gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), 90);
    gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 220);
    gtk_widget_add_css_class (scrolled, "card");
    gtk_box_append (GTK_BOX (box), scrolled);
  }

  add_label (box, _ ("Checks"), "caption-heading", NULL);
  results = confab_prompt_assertion_results_parse (confab_prompt_run_get_assertion_results (run));
  for (guint i = 0; i < results->len; i++)
    {
      ConfabPromptAssertionResult *result = g_ptr_array_index (results, i);
      GtkWidget                   *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      GtkWidget       *icon = gtk_image_new_from_icon_name (result->passed ? "emblem-ok-symbolic"
                                                                           : "window-close-symbolic");
      GtkWidget       *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      g_autofree char *what = confab_prompt_assertion_describe (result->type, result->value);

      gtk_widget_add_css_class (row, "prompt-assertion");
      gtk_widget_add_css_class (row, result->passed ? "passed" : "failed");
      gtk_widget_set_valign (icon, GTK_ALIGN_START);
      gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      result->passed ? _ ("Passed") : _ ("Failed"), -1);
      gtk_box_append (GTK_BOX (row), icon);
      add_label (texts, what, NULL);
      if (result->message != NULL)
        add_label (texts, result->message, "dim-label", "caption", NULL);
      gtk_box_append (GTK_BOX (row), texts);
      gtk_box_append (GTK_BOX (box), row);
    }
  if (results->len == 0)
    add_label (box, _ ("This case has no checks."), "dim-label", NULL);
  gtk_popover_set_child (popover, box);
}

static void
popover_shown_cb (GtkPopover *popover, ConfabPromptTestsView *self)
{
  GtkWidget *cell = gtk_widget_get_ancestor (GTK_WIDGET (popover), GTK_TYPE_MENU_BUTTON);

  if (cell != NULL)
    fill_cell_popover (self, GTK_MENU_BUTTON (cell));
}

static GtkWidget *
new_cell (ConfabPromptTestsView *self, guint v, guint c, int number, const char *case_name)
{
  GtkWidget *cell = gtk_menu_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *popover = gtk_popover_new ();

  gtk_box_append (GTK_BOX (box), gtk_image_new ());
  gtk_box_append (GTK_BOX (box), gtk_spinner_new ());
  gtk_box_append (GTK_BOX (box), gtk_label_new (NULL));
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  gtk_menu_button_set_child (GTK_MENU_BUTTON (cell), box);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (cell), popover);
  gtk_widget_set_size_request (popover, 320, -1);
  gtk_widget_add_css_class (cell, "prompt-cell");
  gtk_widget_add_css_class (cell, "flat");
  gtk_widget_set_hexpand (cell, TRUE);
  g_object_set_data (G_OBJECT (cell), "confab-v", GUINT_TO_POINTER (v));
  g_object_set_data (G_OBJECT (cell), "confab-c", GUINT_TO_POINTER (c));
  g_object_set_data (G_OBJECT (cell), "confab-version", GINT_TO_POINTER (number));
  g_object_set_data_full (G_OBJECT (cell), "confab-case-name", g_strdup (case_name), g_free);
  g_signal_connect_object (popover, "show", G_CALLBACK (popover_shown_cb), self, 0);
  return cell;
}

static void
update_summary (ConfabPromptTestsView *self)
{
  guint            passed = 0, total = self->n_grid_versions * self->n_grid_cases;
  g_autofree char *text = NULL;

  for (guint i = 0; i < self->cells->len; i++)
    if (g_strcmp0 (cell_state (g_ptr_array_index (self->cells, i)), "passed") == 0)
      passed++;
  /* Translators: the test grid's summary: "5 of 6 passed" */
  text = g_strdup_printf (ngettext ("%u of %u passed", "%u of %u passed", total), passed, total);
  gtk_label_set_label (self->summary_label, text);
  for (guint v = 0; v < self->n_grid_versions; v++)
    {
      GtkWidget *footer =
          gtk_grid_get_child_at (self->grid, (int) v + 1, (int) self->n_grid_cases + 1);
      guint            version_passed = 0;
      g_autofree char *count = NULL;

      for (guint c = 0; c < self->n_grid_cases; c++)
        if (g_strcmp0 (cell_state (g_ptr_array_index (self->cells, v * self->n_grid_cases + c)),
                       "passed") == 0)
          version_passed++;
      count = g_strdup_printf ("%u/%u", version_passed, self->n_grid_cases);
      if (footer != NULL)
        gtk_label_set_label (GTK_LABEL (footer), count);
    }
}

static void
build_grid (ConfabPromptTestsView *self, GPtrArray *versions, GPtrArray *cases)
{
  g_autoptr (GPtrArray) labels = NULL;
  GtkWidget *corner;

  confab_prompt_remove_children (GTK_WIDGET (self->grid));
  g_ptr_array_set_size (self->cells, 0);
  g_clear_object (&self->result);
  self->n_grid_versions = versions->len;
  self->n_grid_cases = cases->len;
  labels = confab_prompt_list_labels (self->db, id_of (self->prompt), NULL);

  corner = gtk_label_new (_ ("Case"));
  gtk_label_set_xalign (GTK_LABEL (corner), 0);
  gtk_widget_add_css_class (corner, "prompt-grid-header");
  gtk_widget_add_css_class (corner, "dim-label");
  gtk_grid_attach (self->grid, corner, 0, 0, 1, 1);
  for (guint v = 0; v < versions->len; v++)
    {
      ConfabPromptVersion *version = g_ptr_array_index (versions, v);
      int                  number = confab_prompt_version_get_version (version);
      GtkWidget           *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
      GtkWidget           *badges = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 4);
      g_autofree char     *title = g_strdup_printf (_ ("Version %d"), number);
      g_auto (GStrv) names =
          confab_prompt_library_labels_of_version (labels, number, number == latest_number (self));
      GtkWidget *title_label = gtk_label_new (title);

      gtk_widget_set_halign (header, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (header, "prompt-grid-header");
      gtk_box_append (GTK_BOX (header), title_label);
      confab_prompt_fill_badges (badges, (const char *const *) names, NULL);
      gtk_box_append (GTK_BOX (header), badges);
      gtk_grid_attach (self->grid, header, (int) v + 1, 0, 1, 1);
    }
  for (guint c = 0; c < cases->len; c++)
    {
      ConfabPromptTestCase *test_case = g_ptr_array_index (cases, c);
      GtkWidget            *name = gtk_label_new (confab_prompt_test_case_get_name (test_case));

      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
      gtk_label_set_max_width_chars (GTK_LABEL (name), 28);
      gtk_widget_add_css_class (name, "prompt-grid-case");
      gtk_grid_attach (self->grid, name, 0, (int) c + 1, 1, 1);
    }
  for (guint v = 0; v < versions->len; v++)
    for (guint c = 0; c < cases->len; c++)
      {
        ConfabPromptVersion  *version = g_ptr_array_index (versions, v);
        ConfabPromptTestCase *test_case = g_ptr_array_index (cases, c);
        GtkWidget *cell = new_cell (self, v, c, confab_prompt_version_get_version (version),
                                    confab_prompt_test_case_get_name (test_case));

        g_ptr_array_add (self->cells, cell);
        gtk_grid_attach (self->grid, cell, (int) v + 1, (int) c + 1, 1, 1);
        set_cell_state (self, v, c, v == 0 && c == 0 ? "running" : "pending");
      }
  {
    GtkWidget *passed = gtk_label_new (_ ("Passed"));

    gtk_label_set_xalign (GTK_LABEL (passed), 0);
    gtk_widget_add_css_class (passed, "prompt-grid-header");
    gtk_grid_attach (self->grid, passed, 0, (int) cases->len + 1, 1, 1);
  }
  for (guint v = 0; v < versions->len; v++)
    {
      GtkWidget *count = gtk_label_new (NULL);

      gtk_widget_add_css_class (count, "prompt-grid-header");
      gtk_widget_add_css_class (count, "numeric");
      gtk_grid_attach (self->grid, count, (int) v + 1, (int) cases->len + 1, 1, 1);
    }
  gtk_widget_set_visible (self->results_group, TRUE);
  update_summary (self);
}

static void
cell_changed_cb (ConfabPromptGrid *grid, guint v, guint c, RunJob *job)
{
  ConfabPromptTestsView *self = job->view;
  const char            *state;

  if (self == NULL || v >= self->n_grid_versions || c >= self->n_grid_cases)
    return;
  if (self->result != grid)
    g_set_object (&self->result, grid);
  if (confab_prompt_grid_get_run (grid, v, c) == NULL)
    state = "error";
  else
    state = confab_prompt_grid_get_passed (grid, v, c) ? "passed" : "failed";
  set_cell_state (self, v, c, state);
  /* The runner goes case by case, version by version. */
  if (c + 1 < self->n_grid_cases)
    set_cell_state (self, v, c + 1, "running");
  else if (v + 1 < self->n_grid_versions)
    set_cell_state (self, v + 1, 0, "running");
  update_summary (self);
}

static void
set_running (ConfabPromptTestsView *self, gboolean running)
{
  gtk_widget_set_visible (self->run_button, !running);
  gtk_widget_set_visible (self->stop_button, running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->options_button), !running);
}

static void
run_all_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  RunJob                *job = user_data;
  ConfabPromptTestsView *self = job->view;
  g_autoptr (ConfabPromptGrid) grid = NULL;
  g_autoptr (GError) error = NULL;

  grid = confab_prompt_runner_run_all_finish (CONFAB_PROMPT_RUNNER (source), result, &error);
  if (self != NULL && self->job == job)
    {
      self->job = NULL;
      /* Cells that never ran: back to waiting. */
      for (guint i = 0; i < self->cells->len; i++)
        if (g_strcmp0 (cell_state (g_ptr_array_index (self->cells, i)), "running") == 0)
          set_cell_state (self, i / self->n_grid_cases, i % self->n_grid_cases, "pending");
      if (grid != NULL)
        g_set_object (&self->result, grid);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        confab_prompt_toast_error (GTK_WIDGET (self), error);
      set_running (self, FALSE);
      update_summary (self);
      run_job_unref (job); /* the view's */
    }
  run_job_unref (job); /* the task's */
}

gboolean
confab_prompt_tests_view_run_all (ConfabPromptTestsView *self)
{
  g_autoptr (GPtrArray) versions = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) cases = NULL;
  g_autoptr (GArray) numbers = g_array_new (FALSE, FALSE, sizeof (int));
  ConfabPromptTarget target = { NULL, NULL, self->run_agent_id };
  RunJob            *job;

  g_return_val_if_fail (CONFAB_IS_PROMPT_TESTS_VIEW (self), FALSE);

  if (self->job != NULL || self->runner == NULL || self->db == NULL || self->prompt == NULL)
    return FALSE;
  /* The same versions and cases, in the same order, as the runner. */
  if (self->run_versions->len > 0)
    g_array_append_vals (numbers, self->run_versions->data, self->run_versions->len);
  else
    {
      int latest = latest_number (self);

      g_array_append_val (numbers, latest);
    }
  for (guint i = 0; i < numbers->len; i++)
    {
      ConfabPromptVersion *version = confab_prompt_get_version (
          self->db, id_of (self->prompt), g_array_index (numbers, int, i), NULL);

      if (version != NULL)
        g_ptr_array_add (versions, version);
    }
  cases = confab_repository_list (self->db, CONFAB_TYPE_PROMPT_TEST_CASE, "prompt_id",
                                  id_of (self->prompt), NULL);
  if (cases == NULL || cases->len == 0 || versions->len != numbers->len)
    return FALSE;

  build_grid (self, versions, cases);
  job = g_rc_box_new0 (RunJob);
  job->view = self;
  job->cancellable = g_cancellable_new ();
  self->job = g_rc_box_acquire (job); /* the view's; the task has the first */
  set_running (self, TRUE);
  confab_prompt_runner_run_all_async (self->runner, id_of (self->prompt), (int *) numbers->data,
                                      numbers->len, &target, G_CALLBACK (cell_changed_cb), job,
                                      job->cancellable, run_all_done_cb, job);
  return TRUE;
}

gboolean
confab_prompt_tests_view_get_running (ConfabPromptTestsView *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_TESTS_VIEW (self), FALSE);

  return self->job != NULL;
}

static void
run_clicked_cb (ConfabPromptTestsView *self)
{
  confab_prompt_tests_view_run_all (self);
}

static void
stop (ConfabPromptTestsView *self)
{
  RunJob *job = self->job;

  if (job == NULL)
    return;
  /* The run under way ends; the callbacks still come, to nobody. */
  self->job = NULL;
  job->view = NULL;
  g_cancellable_cancel (job->cancellable);
  run_job_unref (job);
  for (guint i = 0; i < self->cells->len; i++)
    if (g_strcmp0 (cell_state (g_ptr_array_index (self->cells, i)), "running") == 0)
      set_cell_state (self, i / self->n_grid_cases, i % self->n_grid_cases, "pending");
  set_running (self, FALSE);
}

static void
stop_clicked_cb (ConfabPromptTestsView *self)
{
  stop (self);
}

/* GObject */

static void
confab_prompt_tests_view_dispose (GObject *object)
{
  ConfabPromptTestsView *self = CONFAB_PROMPT_TESTS_VIEW (object);

  stop (self);
  confab_prompt_tests_view_set_prompt (self, NULL, NULL);
  g_clear_object (&self->runner);
  g_clear_object (&self->result);

  G_OBJECT_CLASS (confab_prompt_tests_view_parent_class)->dispose (object);
}

static void
confab_prompt_tests_view_finalize (GObject *object)
{
  ConfabPromptTestsView *self = CONFAB_PROMPT_TESTS_VIEW (object);

  g_array_unref (self->run_versions);
  g_ptr_array_unref (self->agent_ids);
  g_ptr_array_unref (self->cells);
  g_free (self->run_agent_id);

  G_OBJECT_CLASS (confab_prompt_tests_view_parent_class)->finalize (object);
}

static void
confab_prompt_tests_view_class_init (ConfabPromptTestsViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_prompt_tests_view_dispose;
  object_class->finalize = confab_prompt_tests_view_finalize;

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-prompt-tests-view.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptTestsView, cases_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptTestsView, cases_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptTestsView, run_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptTestsView, stop_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptTestsView, options_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptTestsView, options_content);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptTestsView, versions_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptTestsView, agent_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptTestsView, results_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptTestsView, summary_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptTestsView, grid);
  gtk_widget_class_bind_template_callback (widget_class, add_case_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, case_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, run_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, agent_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, options_shown_cb);
}

static void
confab_prompt_tests_view_init (ConfabPromptTestsView *self)
{
  self->run_versions = g_array_new (FALSE, FALSE, sizeof (int));
  self->agent_ids = g_ptr_array_new_with_free_func (g_free);
  self->cells = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  confab_prompt_ensure_style ();
  set_running (self, FALSE);
  reload_agents (self);
}

GtkWidget *
confab_prompt_tests_view_new (void)
{
  return g_object_new (CONFAB_TYPE_PROMPT_TESTS_VIEW, NULL);
}

void
confab_prompt_tests_view_set_runner (ConfabPromptTestsView *self, ConfabPromptRunner *runner)
{
  g_return_if_fail (CONFAB_IS_PROMPT_TESTS_VIEW (self));

  stop (self);
  g_set_object (&self->runner, runner);
  reload_cases (self);
}

static void
versions_changed_cb (ConfabPromptTestsView *self)
{
  update_options_label (self);
}

void
confab_prompt_tests_view_set_prompt (ConfabPromptTestsView *self,
                                     ConfabDatabase        *db,
                                     ConfabPrompt          *prompt)
{
  g_return_if_fail (CONFAB_IS_PROMPT_TESTS_VIEW (self));

  if (self->cells == NULL)
    return;
  stop (self);
  if (self->cases != NULL)
    g_clear_signal_handler (&self->cases_changed_id, self->cases);
  if (self->versions != NULL)
    g_clear_signal_handler (&self->versions_changed_id, self->versions);
  g_clear_object (&self->cases);
  g_clear_object (&self->versions);
  g_clear_object (&self->result);
  if (db == NULL)
    prompt = NULL;
  g_set_object (&self->db, db);
  g_set_object (&self->prompt, prompt);
  g_array_set_size (self->run_versions, 0);
  g_clear_pointer (&self->run_agent_id, g_free);
  if (prompt != NULL)
    {
      self->cases = confab_repository_list_model (db, CONFAB_TYPE_PROMPT_TEST_CASE, "prompt_id",
                                                  id_of (prompt));
      self->cases_changed_id = g_signal_connect_object (
          self->cases, "items-changed", G_CALLBACK (reload_cases), self, G_CONNECT_SWAPPED);
      self->versions = confab_repository_list_model (db, CONFAB_TYPE_PROMPT_VERSION, "prompt_id",
                                                     id_of (prompt));
      self->versions_changed_id =
          g_signal_connect_object (self->versions, "items-changed",
                                   G_CALLBACK (versions_changed_cb), self, G_CONNECT_SWAPPED);
    }
  confab_prompt_remove_children (GTK_WIDGET (self->grid));
  g_ptr_array_set_size (self->cells, 0);
  self->n_grid_versions = self->n_grid_cases = 0;
  gtk_widget_set_visible (self->results_group, FALSE);
  reload_agents (self);
  reload_cases (self);
  update_options_label (self);
}

void
confab_prompt_tests_view_set_run_versions (ConfabPromptTestsView *self,
                                           const int             *versions,
                                           guint                  n_versions)
{
  g_return_if_fail (CONFAB_IS_PROMPT_TESTS_VIEW (self));

  g_array_set_size (self->run_versions, 0);
  if (versions != NULL && n_versions > 0)
    g_array_append_vals (self->run_versions, versions, n_versions);
  update_options_label (self);
}

void
confab_prompt_tests_view_set_run_agent (ConfabPromptTestsView *self, const char *agent_id)
{
  g_return_if_fail (CONFAB_IS_PROMPT_TESTS_VIEW (self));

  g_free (self->run_agent_id);
  self->run_agent_id = g_strdup (agent_id);
  reload_agents (self);
  update_options_label (self);
}

GtkWidget *
confab_prompt_tests_view_get_cell (ConfabPromptTestsView *self,
                                   guint                  version_index,
                                   guint                  case_index)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_TESTS_VIEW (self), NULL);

  if (version_index >= self->n_grid_versions || case_index >= self->n_grid_cases)
    return NULL;
  return g_ptr_array_index (self->cells, version_index * self->n_grid_cases + case_index);
}

const char *
confab_prompt_tests_view_get_cell_state (ConfabPromptTestsView *self,
                                         guint                  version_index,
                                         guint                  case_index)
{
  return cell_state (confab_prompt_tests_view_get_cell (self, version_index, case_index));
}

GtkWidget *
confab_prompt_tests_view_open_cell (ConfabPromptTestsView *self,
                                    guint                  version_index,
                                    guint                  case_index)
{
  GtkWidget *cell = confab_prompt_tests_view_get_cell (self, version_index, case_index);

  if (cell == NULL || !gtk_widget_get_sensitive (cell))
    return NULL;
  gtk_menu_button_popup (GTK_MENU_BUTTON (cell));
  return GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (cell)));
}

const char *
confab_prompt_tests_view_get_summary (ConfabPromptTestsView *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_TESTS_VIEW (self), NULL);

  return gtk_label_get_label (self->summary_label);
}
