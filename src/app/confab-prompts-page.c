/* confab-prompts-page.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-acting-user.h"
#include "confab-prompt-common.h"
#include "confab-prompt-files.h"
#include "confab-prompt-import-report.h"
#include "confab-prompt-library.h"
#include "confab-prompts-page.h"

struct _ConfabPromptsPage
{
  ConfabPage parent_instance;

  /* Template widgets */
  AdwLeaflet               *leaflet;
  GtkWidget                *list_pane;
  GtkWidget                *detail_pane;
  GtkSearchEntry           *search_entry;
  GtkStack                 *list_stack;
  GtkListView              *list_view;
  AdwViewSwitcherTitle     *switcher_title;
  GtkStack                 *detail_stack;
  AdwViewStack             *view_stack;
  ConfabPromptVersionsView *versions_view;
  ConfabPromptCompareView  *compare_view;
  ConfabPromptPlayground   *playground;
  ConfabPromptTestsView    *tests_view;
  ConfabPromptHistoryView  *history_view;

  GListModel           *prompts;
  GtkCustomSorter      *sorter;
  GtkSortListModel     *sorted;
  GtkCustomFilter      *filter;
  GtkFilterListModel   *filtered;
  GtkSingleSelection   *selection;
  ConfabDatabase       *db; /* the one the handlers below are on */
  gulong                changed_id;
  ConfabPromptRunner   *runner;
  char                 *shown_id;  /* the prompt shown, or NULL */
  char                 *select_id; /* to select once the list has it */
  GWeakRef              new_dialog;
  GCancellable         *io_cancellable; /* import or export under way */
  GtkFileChooserNative *chooser;
  guint                 selecting : 1;
};

G_DEFINE_FINAL_TYPE (ConfabPromptsPage, confab_prompts_page, CONFAB_TYPE_PAGE)

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

/* Lists */

static int
compare_prompts (gconstpointer a, gconstpointer b, gpointer user_data)
{
  g_autofree char *folder_a = NULL, *leaf_a = NULL;
  g_autofree char *folder_b = NULL, *leaf_b = NULL;
  g_autofree char *key_a = NULL, *key_b = NULL;
  int              result;

  confab_prompt_library_split_name (confab_prompt_get_name ((ConfabPrompt *) a), &folder_a,
                                    &leaf_a);
  confab_prompt_library_split_name (confab_prompt_get_name ((ConfabPrompt *) b), &folder_b,
                                    &leaf_b);
  /* Prompts outside folders first, then folder by folder. */
  if ((folder_a == NULL) != (folder_b == NULL))
    return folder_a == NULL ? -1 : 1;
  if (folder_a != NULL)
    {
      key_a = g_utf8_collate_key (folder_a, -1);
      key_b = g_utf8_collate_key (folder_b, -1);
      result = strcmp (key_a, key_b);
      if (result != 0)
        return result;
      g_clear_pointer (&key_a, g_free);
      g_clear_pointer (&key_b, g_free);
    }
  key_a = g_utf8_collate_key (leaf_a, -1);
  key_b = g_utf8_collate_key (leaf_b, -1);
  result = strcmp (key_a, key_b);
  return result != 0 ? result : g_strcmp0 (leaf_a, leaf_b);
}

static gboolean
contains_folded (const char *haystack, const char *needle)
{
  g_autofree char *folded = g_utf8_casefold (haystack ? haystack : "", -1);

  return strstr (folded, needle) != NULL;
}

static gboolean
filter_func (gpointer item, gpointer user_data)
{
  ConfabPromptsPage *self = user_data;
  ConfabPrompt      *prompt = item;
  const char        *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char   *needle = NULL;
  g_auto (GStrv) tags = NULL;

  if (!is_set (query))
    return TRUE;
  needle = g_utf8_casefold (query, -1);
  if (contains_folded (confab_prompt_get_name (prompt), needle) ||
      contains_folded (confab_prompt_get_description (prompt), needle))
    return TRUE;
  tags = confab_prompt_dup_tags (prompt);
  for (guint i = 0; tags != NULL && tags[i] != NULL; i++)
    if (contains_folded (tags[i], needle))
      return TRUE;
  return FALSE;
}

static guint
find_position (GListModel *model, const char *id)
{
  guint n = model ? g_list_model_get_n_items (model) : 0;

  for (guint i = 0; id != NULL && i < n; i++)
    {
      g_autoptr (ConfabEntity) entity = g_list_model_get_item (model, i);

      if (g_strcmp0 (confab_entity_get_id (entity), id) == 0)
        return i;
    }
  return GTK_INVALID_LIST_POSITION;
}

static void
select_quietly (ConfabPromptsPage *self, const char *id)
{
  guint position = find_position (G_LIST_MODEL (self->filtered), id);

  self->selecting = TRUE;
  if (position == GTK_INVALID_LIST_POSITION)
    gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
  else
    gtk_single_selection_set_selected (self->selection, position);
  self->selecting = FALSE;
}

static void
update_list_state (ConfabPromptsPage *self)
{
  guint       all = self->prompts ? g_list_model_get_n_items (self->prompts) : 0;
  guint       shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  const char *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  if (shown > 0)
    gtk_stack_set_visible_child_name (self->list_stack, "list");
  else if (is_set (query) && all > 0)
    gtk_stack_set_visible_child_name (self->list_stack, "no-results");
  else
    gtk_stack_set_visible_child_name (self->list_stack, "empty");
  gtk_widget_set_visible (GTK_WIDGET (self->search_entry), all > 0 || is_set (query));
}

static void show_prompt (ConfabPromptsPage *self, const char *id, gboolean navigate);

static void
filtered_changed_cb (ConfabPromptsPage *self)
{
  update_list_state (self);
  if (self->select_id != NULL &&
      find_position (G_LIST_MODEL (self->filtered), self->select_id) != GTK_INVALID_LIST_POSITION)
    {
      g_autofree char *id = g_steal_pointer (&self->select_id);

      show_prompt (self, id, TRUE);
    }
  else
    select_quietly (self, self->shown_id);
}

static void
search_changed_cb (ConfabPromptsPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/* Rows */

static char *
dup_folder (ConfabPrompt *prompt)
{
  char *folder = NULL;

  if (prompt != NULL)
    confab_prompt_library_split_name (confab_prompt_get_name (prompt), &folder, NULL);
  return folder;
}

/* The folder's header goes on the first prompt of each folder. */
static void
update_header (ConfabPromptsPage *self, GtkListItem *item)
{
  GtkWidget       *row = gtk_list_item_get_child (item);
  ConfabPrompt    *prompt = gtk_list_item_get_item (item);
  guint            position = gtk_list_item_get_position (item);
  g_autofree char *folder = dup_folder (prompt);
  g_autofree char *previous_folder = NULL;

  if (prompt == NULL || row == NULL)
    return;
  if (folder != NULL && position != GTK_INVALID_LIST_POSITION && position > 0)
    {
      g_autoptr (ConfabPrompt) previous =
          g_list_model_get_item (G_LIST_MODEL (self->filtered), position - 1);

      previous_folder = dup_folder (previous);
    }
  confab_prompt_row_set_header (CONFAB_PROMPT_ROW (row),
                                folder != NULL && g_strcmp0 (folder, previous_folder) != 0 ? folder
                                                                                           : NULL);
}

static void
update_details (ConfabPromptsPage *self, ConfabPromptRow *row)
{
  ConfabDatabase *db = confab_page_get_database (CONFAB_PAGE (self));
  ConfabPrompt   *prompt = confab_prompt_row_get_prompt (row);
  g_autoptr (GPtrArray) labels = NULL;
  g_autoptr (ConfabPromptVersion) latest = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();

  if (db == NULL || prompt == NULL || confab_entity_get_id (CONFAB_ENTITY (prompt)) == NULL)
    return;
  labels = confab_prompt_list_labels (db, id_of (prompt), NULL);
  for (guint i = 0; labels != NULL && i < labels->len; i++)
    g_ptr_array_add (names,
                     (gpointer) confab_prompt_label_get_name (g_ptr_array_index (labels, i)));
  g_ptr_array_add (names, NULL);
  latest = confab_prompt_get_latest_version (db, id_of (prompt), NULL);
  confab_prompt_row_set_details (row, (const char *const *) names->pdata,
                                 latest ? confab_prompt_version_get_version (latest) : 0);
}

static void
update_details_cb (gpointer row, gpointer self)
{
  update_details (self, row);
}

static void
refresh_rows (ConfabPromptsPage *self)
{
  confab_prompt_foreach_descendant (GTK_WIDGET (self->list_view), CONFAB_TYPE_PROMPT_ROW,
                                    update_details_cb, self);
}

static void
position_changed_cb (GtkListItem *item, GParamSpec *pspec, ConfabPromptsPage *self)
{
  update_header (self, item);
}

/* Folded, a click on the prompt already selected opens it again. */
static void
row_released_cb (GtkGestureClick *gesture, int n_press, double x, double y, ConfabPromptsPage *self)
{
  GtkWidget    *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));
  ConfabPrompt *prompt = confab_prompt_row_get_prompt (CONFAB_PROMPT_ROW (row));

  if (prompt != NULL && adw_leaflet_get_folded (self->leaflet) &&
      g_strcmp0 (id_of (prompt), self->shown_id) == 0)
    adw_leaflet_set_visible_child (self->leaflet, self->detail_pane);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabPromptsPage *self)
{
  GtkWidget  *row = confab_prompt_row_new ();
  GtkGesture *click = gtk_gesture_click_new ();

  g_signal_connect_object (click, "released", G_CALLBACK (row_released_cb), self, 0);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (click));
  gtk_list_item_set_child (item, row);
  g_signal_connect_object (item, "notify::position", G_CALLBACK (position_changed_cb), self, 0);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabPromptsPage *self)
{
  ConfabPromptRow *row = CONFAB_PROMPT_ROW (gtk_list_item_get_child (item));

  confab_prompt_row_set_prompt (row, gtk_list_item_get_item (item));
  update_details (self, row);
  update_header (self, item);
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabPromptsPage *self)
{
  confab_prompt_row_set_prompt (CONFAB_PROMPT_ROW (gtk_list_item_get_child (item)), NULL);
}

/* Detail */

static void
set_views_prompt (ConfabPromptsPage *self, ConfabPrompt *prompt)
{
  ConfabDatabase *db = confab_page_get_database (CONFAB_PAGE (self));

  confab_prompt_versions_view_set_prompt (self->versions_view, db, prompt);
  confab_prompt_compare_view_set_prompt (self->compare_view, db, prompt);
  confab_prompt_playground_set_prompt (self->playground, db, prompt);
  confab_prompt_tests_view_set_prompt (self->tests_view, db, prompt);
  confab_prompt_history_view_set_prompt (self->history_view, db, prompt);
}

static void
show_nothing (ConfabPromptsPage *self)
{
  g_clear_pointer (&self->shown_id, g_free);
  set_views_prompt (self, NULL);
  adw_view_switcher_title_set_title (self->switcher_title, "");
  adw_view_switcher_title_set_subtitle (self->switcher_title, "");
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, FALSE);
  gtk_stack_set_visible_child_name (self->detail_stack, "empty");
  select_quietly (self, NULL);
}

static void
update_title (ConfabPromptsPage *self, ConfabPrompt *prompt)
{
  g_autofree char *leaf = NULL;

  confab_prompt_library_split_name (confab_prompt_get_name (prompt), NULL, &leaf);
  adw_view_switcher_title_set_title (self->switcher_title, leaf);
  adw_view_switcher_title_set_subtitle (self->switcher_title, confab_prompt_get_name (prompt));
}

static void
show_prompt (ConfabPromptsPage *self, const char *id, gboolean navigate)
{
  ConfabDatabase *db = confab_page_get_database (CONFAB_PAGE (self));
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (GError) error = NULL;

  if (db == NULL)
    return;
  prompt = confab_repository_get (db, CONFAB_TYPE_PROMPT, id, &error);
  if (prompt == NULL)
    {
      confab_page_toast_error (CONFAB_PAGE (self), error);
      show_nothing (self);
      return;
    }
  if (g_strcmp0 (self->shown_id, id) != 0)
    {
      g_free (self->shown_id);
      self->shown_id = g_strdup (id);
      set_views_prompt (self, prompt);
    }
  update_title (self, prompt);
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, TRUE);
  gtk_stack_set_visible_child_name (self->detail_stack, "prompt");
  select_quietly (self, id);
  if (navigate)
    adw_leaflet_set_visible_child (self->leaflet, self->detail_pane);
}

static void
selection_changed_cb (ConfabPromptsPage *self)
{
  ConfabPrompt *prompt;

  if (self->selecting)
    return;
  prompt = gtk_single_selection_get_selected_item (self->selection);
  if (prompt == NULL || g_strcmp0 (id_of (prompt), self->shown_id) == 0)
    return;
  show_prompt (self, id_of (prompt), adw_leaflet_get_folded (self->leaflet));
}

static void
list_activated_cb (ConfabPromptsPage *self, guint position)
{
  g_autoptr (ConfabPrompt) prompt = g_list_model_get_item (G_LIST_MODEL (self->filtered), position);

  if (prompt != NULL)
    show_prompt (self, id_of (prompt), TRUE);
}

static void
detail_back_clicked_cb (ConfabPromptsPage *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* Actions */

static GtkWindow *
get_window (ConfabPromptsPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
prompt_created_cb (ConfabPromptNewDialog *dialog, ConfabPrompt *prompt, ConfabPromptsPage *self)
{
  g_autofree char *message = g_strdup_printf (_ ("“%s” created"), confab_prompt_get_name (prompt));

  /* The list has it after its next reload. */
  g_free (self->select_id);
  self->select_id = g_strdup (id_of (prompt));
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  if (find_position (G_LIST_MODEL (self->filtered), self->select_id) != GTK_INVALID_LIST_POSITION)
    filtered_changed_cb (self);
  adw_view_stack_set_visible_child_name (self->view_stack, "versions");
  confab_page_toast (CONFAB_PAGE (self), message);
}

static void
new_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabPromptsPage     *self = CONFAB_PROMPTS_PAGE (widget);
  ConfabDatabase        *db = confab_page_get_database (CONFAB_PAGE (self));
  ConfabPromptNewDialog *dialog;

  if (db == NULL)
    return;
  dialog = confab_prompt_new_dialog_new (get_window (self), db, NULL);
  g_signal_connect_object (dialog, "created", G_CALLBACK (prompt_created_cb), self, 0);
  g_weak_ref_set (&self->new_dialog, dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
show_view_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabPromptsPage *self = CONFAB_PROMPTS_PAGE (widget);

  adw_view_stack_set_visible_child_name (self->view_stack, g_variant_get_string (parameter, NULL));
}

static void
compare_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabPromptsPage *self = CONFAB_PROMPTS_PAGE (widget);
  int                old_version, new_version;

  g_variant_get (parameter, "(ii)", &old_version, &new_version);
  confab_prompt_compare_view_set_versions (self->compare_view, old_version, new_version);
  adw_view_stack_set_visible_child_name (self->view_stack, "compare");
}

static void
play_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabPromptsPage *self = CONFAB_PROMPTS_PAGE (widget);

  confab_prompt_playground_set_version (self->playground, g_variant_get_int32 (parameter));
  adw_view_stack_set_visible_child_name (self->view_stack, "playground");
}

/* Import and export: each in a worker thread on its own connection to the
 * workspace (a connection belongs to the thread that opened it); this
 * window's lists see an import's changes through check_for_changes (). */

typedef enum
{
  IO_IMPORT_FOLDER,
  IO_IMPORT_JSON,
  IO_EXPORT_FOLDER,
  IO_EXPORT_JSON,
} IoKind;

typedef struct
{
  IoKind   kind;
  char    *path; /* the workspace */
  GFile   *file;
  char    *actor_id;
  guint    n_files;
  GWeakRef page;
} IoJob;

static void
io_job_free (IoJob *job)
{
  g_free (job->path);
  g_clear_object (&job->file);
  g_free (job->actor_id);
  g_weak_ref_clear (&job->page);
  g_free (job);
}

static void
io_thread (GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
  IoJob *job = task_data;
  g_autoptr (ConfabDatabase) db = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *report = NULL;
  gboolean   done = FALSE;

  db = confab_database_open (job->path, &error);
  if (db == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  switch (job->kind)
    {
    case IO_IMPORT_FOLDER:
      report = confab_prompt_files_import (db, job->file, job->actor_id, cancellable, &error);
      break;
    case IO_IMPORT_JSON:
      report =
          confab_prompt_library_import_json (db, job->file, job->actor_id, cancellable, &error);
      break;
    case IO_EXPORT_FOLDER:
      done = confab_prompt_files_export (db, job->file, &job->n_files, cancellable, &error);
      break;
    case IO_EXPORT_JSON:
      done = confab_prompt_library_export_json (db, job->file, cancellable, &error);
      break;
    }
  if (report != NULL)
    g_task_return_pointer (task, report, (GDestroyNotify) g_ptr_array_unref);
  else if (done)
    g_task_return_pointer (task, g_ptr_array_new (), (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
io_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  IoJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (ConfabPromptsPage) self = g_weak_ref_get (&job->page);
  g_autoptr (GPtrArray) report = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;

  report = g_task_propagate_pointer (G_TASK (result), &error);
  if (self == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->io_cancellable);
  if (report == NULL)
    {
      confab_page_toast_error (CONFAB_PAGE (self), error);
      return;
    }

  name = g_file_get_basename (job->file);
  switch (job->kind)
    {
    case IO_IMPORT_FOLDER:
    case IO_IMPORT_JSON:
      {
        ConfabDatabase *db = confab_page_get_database (CONFAB_PAGE (self));
        GtkWidget      *dialog;

        if (db != NULL)
          confab_database_check_for_changes (db);
        dialog = confab_prompt_import_report_new (get_window (self), name, report);
        gtk_window_present (GTK_WINDOW (dialog));
      }
      break;
    case IO_EXPORT_FOLDER:
      message = g_strdup_printf (
          ngettext ("%u file written to “%s”", "%u files written to “%s”", job->n_files),
          job->n_files, name);
      confab_page_toast (CONFAB_PAGE (self), message);
      break;
    case IO_EXPORT_JSON:
      message = g_strdup_printf (_ ("The prompt library was exported to “%s”"), name);
      confab_page_toast (CONFAB_PAGE (self), message);
      break;
    }
}

static void
start_io (ConfabPromptsPage *self, IoKind kind, GFile *file)
{
  ConfabDatabase *db = confab_page_get_database (CONFAB_PAGE (self));
  g_autoptr (GTask) task = NULL;
  IoJob *job;

  if (db == NULL)
    return;
  g_cancellable_cancel (self->io_cancellable);
  g_clear_object (&self->io_cancellable);
  self->io_cancellable = g_cancellable_new ();

  job = g_new0 (IoJob, 1);
  job->kind = kind;
  job->path = g_strdup (confab_database_get_path (db));
  job->file = g_object_ref (file);
  job->actor_id = confab_acting_user_dup_id (db);
  g_weak_ref_init (&job->page, self);

  task = g_task_new (NULL, self->io_cancellable, io_done_cb, NULL);
  g_task_set_source_tag (task, start_io);
  g_task_set_task_data (task, job, (GDestroyNotify) io_job_free);
  g_task_run_in_thread (task, io_thread);
}

static void
chooser_response_cb (GtkNativeDialog *chooser, int response, ConfabPromptsPage *self)
{
  IoKind kind = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (chooser), "io-kind"));
  g_autoptr (GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (self->chooser == GTK_FILE_CHOOSER_NATIVE (chooser))
    g_clear_object (&self->chooser);
  if (file != NULL)
    start_io (self, kind, file);
}

static void
choose_file (ConfabPromptsPage *self, IoKind kind)
{
  GtkFileChooserAction action = GTK_FILE_CHOOSER_ACTION_OPEN;
  const char          *title = NULL;
  const char          *accept = NULL;

  if (confab_page_get_database (CONFAB_PAGE (self)) == NULL)
    return;
  switch (kind)
    {
    case IO_IMPORT_FOLDER:
      action = GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER;
      title = _ ("Import Prompts From a Folder");
      accept = _ ("_Import");
      break;
    case IO_IMPORT_JSON:
      title = _ ("Import a Prompt Library");
      accept = _ ("_Import");
      break;
    case IO_EXPORT_FOLDER:
      action = GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER;
      title = _ ("Export Prompts to a Folder");
      accept = _ ("_Export");
      break;
    case IO_EXPORT_JSON:
      action = GTK_FILE_CHOOSER_ACTION_SAVE;
      title = _ ("Export the Prompt Library");
      accept = _ ("_Export");
      break;
    }

  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  self->chooser = gtk_file_chooser_native_new (title, get_window (self), action, accept, NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_object_set_data (G_OBJECT (self->chooser), "io-kind", GINT_TO_POINTER (kind));
  if (kind == IO_IMPORT_JSON)
    {
      g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

      gtk_file_filter_set_name (filter, _ ("Prompt libraries (JSON)"));
      gtk_file_filter_add_suffix (filter, "json");
      gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
    }
  if (kind == IO_EXPORT_JSON)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (self->chooser), "prompts.json");
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
io_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabPromptsPage *self = CONFAB_PROMPTS_PAGE (widget);

  if (g_str_equal (action_name, "prompts.import-folder"))
    choose_file (self, IO_IMPORT_FOLDER);
  else if (g_str_equal (action_name, "prompts.import-json"))
    choose_file (self, IO_IMPORT_JSON);
  else if (g_str_equal (action_name, "prompts.export-folder"))
    choose_file (self, IO_EXPORT_FOLDER);
  else
    choose_file (self, IO_EXPORT_JSON);
}

/* The workspace */

static void
db_changed_cb (ConfabDatabase    *db,
               const char        *table,
               const char        *id,
               const char        *action,
               ConfabPromptsPage *self)
{
  if (g_strcmp0 (table, "prompt_labels") == 0 || g_strcmp0 (table, "prompt_versions") == 0)
    {
      refresh_rows (self);
      return;
    }
  if (g_strcmp0 (table, "prompts") != 0 || self->shown_id == NULL ||
      (id != NULL && g_strcmp0 (id, self->shown_id) != 0))
    return;

  {
    g_autoptr (ConfabPrompt) stored = NULL;
    g_autoptr (GError) error = NULL;

    stored = confab_repository_get (db, CONFAB_TYPE_PROMPT, self->shown_id, &error);
    if (stored != NULL)
      update_title (self, stored);
    else if (g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
      {
        show_nothing (self);
        confab_page_toast (CONFAB_PAGE (self), _ ("The prompt was deleted outside this window"));
      }
  }
}

static void
disconnect_database (ConfabPromptsPage *self)
{
  if (self->db != NULL)
    g_clear_signal_handler (&self->changed_id, self->db);
  g_clear_object (&self->db);
}

static void
confab_prompts_page_database_changed (ConfabPage *page)
{
  ConfabPromptsPage  *self = CONFAB_PROMPTS_PAGE (page);
  ConfabDatabase     *db = confab_page_get_database (page);
  ConfabAgentRuntime *runtime = confab_page_get_runtime (page);

  g_cancellable_cancel (self->io_cancellable);
  g_clear_object (&self->io_cancellable);
  disconnect_database (self);
  g_clear_pointer (&self->select_id, g_free);
  show_nothing (self);
  g_clear_object (&self->prompts);
  g_clear_object (&self->runner);
  if (db != NULL)
    {
      self->db = g_object_ref (db);
      self->changed_id =
          g_signal_connect_object (db, "changed", G_CALLBACK (db_changed_cb), self, 0);
      self->prompts = confab_repository_list_model (db, CONFAB_TYPE_PROMPT, NULL, NULL);
      self->runner = confab_prompt_runner_new (
          db, runtime != NULL ? confab_agent_runtime_get_secret_store (runtime) : NULL);
    }
  confab_prompt_playground_set_runner (self->playground, self->runner);
  confab_prompt_tests_view_set_runner (self->tests_view, self->runner);
  gtk_sort_list_model_set_model (self->sorted, self->prompts);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  adw_view_stack_set_visible_child_name (self->view_stack, "versions");
  update_list_state (self);
}

static void
confab_prompts_page_dispose (GObject *object)
{
  ConfabPromptsPage *self = CONFAB_PROMPTS_PAGE (object);

  /* No gtk_widget_dispose_template (): the template's root is AdwBin's
   * child, which AdwBin unparents itself; doing both unparents it twice. */

  g_cancellable_cancel (self->io_cancellable);
  g_clear_object (&self->io_cancellable);
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  disconnect_database (self);
  if (self->sorted != NULL)
    gtk_sort_list_model_set_model (self->sorted, NULL);
  g_clear_object (&self->prompts);
  g_clear_object (&self->runner);

  G_OBJECT_CLASS (confab_prompts_page_parent_class)->dispose (object);
}

static void
confab_prompts_page_finalize (GObject *object)
{
  ConfabPromptsPage *self = CONFAB_PROMPTS_PAGE (object);

  g_clear_object (&self->selection);
  g_clear_object (&self->filtered);
  g_clear_object (&self->sorted);
  g_clear_object (&self->filter);
  g_clear_object (&self->sorter);
  g_weak_ref_clear (&self->new_dialog);
  g_free (self->shown_id);
  g_free (self->select_id);

  G_OBJECT_CLASS (confab_prompts_page_parent_class)->finalize (object);
}

static void
confab_prompts_page_class_init (ConfabPromptsPageClass *klass)
{
  GObjectClass    *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass  *widget_class = GTK_WIDGET_CLASS (klass);
  ConfabPageClass *page_class = CONFAB_PAGE_CLASS (klass);

  object_class->dispose = confab_prompts_page_dispose;
  object_class->finalize = confab_prompts_page_finalize;
  page_class->database_changed = confab_prompts_page_database_changed;

  g_type_ensure (CONFAB_TYPE_PROMPT_VERSIONS_VIEW);
  g_type_ensure (CONFAB_TYPE_PROMPT_COMPARE_VIEW);
  g_type_ensure (CONFAB_TYPE_PROMPT_PLAYGROUND);
  g_type_ensure (CONFAB_TYPE_PROMPT_TESTS_VIEW);
  g_type_ensure (CONFAB_TYPE_PROMPT_HISTORY_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-prompts-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptsPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptsPage, list_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptsPage, detail_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptsPage, list_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptsPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptsPage, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptsPage, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptsPage, view_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptsPage, versions_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptsPage, compare_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptsPage, playground);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptsPage, tests_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptsPage, history_view);
  gtk_widget_class_bind_template_callback (widget_class, detail_back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_activated_cb);

  gtk_widget_class_install_action (widget_class, "prompts.new", NULL, new_action);
  gtk_widget_class_install_action (widget_class, "prompts.import-folder", NULL, io_action);
  gtk_widget_class_install_action (widget_class, "prompts.import-json", NULL, io_action);
  gtk_widget_class_install_action (widget_class, "prompts.export-folder", NULL, io_action);
  gtk_widget_class_install_action (widget_class, "prompts.export-json", NULL, io_action);
  gtk_widget_class_install_action (widget_class, "prompts.show-view", "s", show_view_action);
  gtk_widget_class_install_action (widget_class, "prompts.compare", "(ii)", compare_action);
  gtk_widget_class_install_action (widget_class, "prompts.play", "i", play_action);
}

static void
confab_prompts_page_init (ConfabPromptsPage *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));
  confab_prompt_ensure_style ();
  g_weak_ref_init (&self->new_dialog, NULL);

  self->sorter = gtk_custom_sorter_new (compare_prompts, NULL, NULL);
  self->sorted = gtk_sort_list_model_new (NULL, g_object_ref (GTK_SORTER (self->sorter)));
  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->sorted)),
                                              g_object_ref (GTK_FILTER (self->filter)));
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_object (self->filtered, "items-changed", G_CALLBACK (filtered_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "notify::selected-item",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect_object (factory, "setup", G_CALLBACK (setup_row_cb), self, 0);
  g_signal_connect_object (factory, "bind", G_CALLBACK (bind_row_cb), self, 0);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (unbind_row_cb), self, 0);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  show_nothing (self);
  update_list_state (self);
}

GtkWidget *
confab_prompts_page_new (void)
{
  return g_object_new (CONFAB_TYPE_PROMPTS_PAGE, NULL);
}

gboolean
confab_prompts_page_select_prompt (ConfabPromptsPage *self, const char *prompt_id)
{
  guint position;

  g_return_val_if_fail (CONFAB_IS_PROMPTS_PAGE (self), FALSE);

  position = find_position (G_LIST_MODEL (self->filtered), prompt_id);
  if (position == GTK_INVALID_LIST_POSITION)
    return FALSE;
  show_prompt (self, prompt_id, TRUE);
  return TRUE;
}

GtkEditable *
confab_prompts_page_get_search_entry (ConfabPromptsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPTS_PAGE (self), NULL);

  return GTK_EDITABLE (self->search_entry);
}

GListModel *
confab_prompts_page_get_visible_prompts (ConfabPromptsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPTS_PAGE (self), NULL);

  return G_LIST_MODEL (self->filtered);
}

typedef struct
{
  const char      *id;
  ConfabPromptRow *found;
} FindRow;

static void
find_row_cb (gpointer row, gpointer user_data)
{
  FindRow      *find = user_data;
  ConfabPrompt *prompt = confab_prompt_row_get_prompt (row);

  if (find->found == NULL && prompt != NULL && g_strcmp0 (id_of (prompt), find->id) == 0)
    find->found = row;
}

ConfabPromptRow *
confab_prompts_page_find_row (ConfabPromptsPage *self, const char *prompt_id)
{
  FindRow find = { prompt_id, NULL };

  g_return_val_if_fail (CONFAB_IS_PROMPTS_PAGE (self), NULL);

  confab_prompt_foreach_descendant (GTK_WIDGET (self->list_view), CONFAB_TYPE_PROMPT_ROW,
                                    find_row_cb, &find);
  return find.found;
}

ConfabPromptNewDialog *
confab_prompts_page_get_new_dialog (ConfabPromptsPage *self)
{
  ConfabPromptNewDialog *dialog;

  g_return_val_if_fail (CONFAB_IS_PROMPTS_PAGE (self), NULL);

  /* The window holds it while it is open. */
  dialog = g_weak_ref_get (&self->new_dialog);
  if (dialog != NULL)
    g_object_unref (dialog);
  return dialog;
}

ConfabPromptVersionsView *
confab_prompts_page_get_versions_view (ConfabPromptsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPTS_PAGE (self), NULL);

  return self->versions_view;
}

ConfabPromptCompareView *
confab_prompts_page_get_compare_view (ConfabPromptsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPTS_PAGE (self), NULL);

  return self->compare_view;
}

ConfabPromptPlayground *
confab_prompts_page_get_playground (ConfabPromptsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPTS_PAGE (self), NULL);

  return self->playground;
}

ConfabPromptTestsView *
confab_prompts_page_get_tests_view (ConfabPromptsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPTS_PAGE (self), NULL);

  return self->tests_view;
}

ConfabPromptHistoryView *
confab_prompts_page_get_history_view (ConfabPromptsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPTS_PAGE (self), NULL);

  return self->history_view;
}

const char *
confab_prompts_page_get_list_state (ConfabPromptsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPTS_PAGE (self), NULL);

  return gtk_stack_get_visible_child_name (self->list_stack);
}

const char *
confab_prompts_page_get_detail_state (ConfabPromptsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPTS_PAGE (self), NULL);

  return gtk_stack_get_visible_child_name (self->detail_stack);
}

const char *
confab_prompts_page_get_view (ConfabPromptsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPTS_PAGE (self), NULL);

  return adw_view_stack_get_visible_child_name (self->view_stack);
}

void
confab_prompts_page_import_folder (ConfabPromptsPage *self, GFile *folder)
{
  g_return_if_fail (CONFAB_IS_PROMPTS_PAGE (self));
  g_return_if_fail (G_IS_FILE (folder));

  start_io (self, IO_IMPORT_FOLDER, folder);
}

void
confab_prompts_page_import_json (ConfabPromptsPage *self, GFile *file)
{
  g_return_if_fail (CONFAB_IS_PROMPTS_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  start_io (self, IO_IMPORT_JSON, file);
}

void
confab_prompts_page_export_folder (ConfabPromptsPage *self, GFile *folder)
{
  g_return_if_fail (CONFAB_IS_PROMPTS_PAGE (self));
  g_return_if_fail (G_IS_FILE (folder));

  start_io (self, IO_EXPORT_FOLDER, folder);
}

void
confab_prompts_page_export_json (ConfabPromptsPage *self, GFile *file)
{
  g_return_if_fail (CONFAB_IS_PROMPTS_PAGE (self));
  g_return_if_fail (G_IS_FILE (file));

  start_io (self, IO_EXPORT_JSON, file);
}

gboolean
confab_prompts_page_get_busy (ConfabPromptsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPTS_PAGE (self), FALSE);

  return self->io_cancellable != NULL;
}
