/* confab-prompt-versions-view.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-acting-user.h"
#include "confab-prompt-common.h"
#include "confab-prompt-editor.h"
#include "confab-prompt-library.h"
#include "confab-prompt-version-row.h"
#include "confab-prompt-versions-view.h"
#include "confab-template.h"

struct _ConfabPromptVersionsView
{
  AdwBin parent_instance;

  AdwLeaflet          *leaflet;
  GtkWidget           *list_page;
  GtkWidget           *detail_page;
  GtkListView         *list_view;
  GtkLabel            *prompt_label;
  GtkLabel            *title_label;
  GtkWidget           *badges_box;
  GtkLabel            *message_label;
  GtkLabel            *meta_label;
  GtkWidget           *edit_button;
  GtkMenuButton       *label_button;
  GtkPopover          *label_popover;
  GtkWidget           *label_list;
  GtkEntry            *label_entry;
  GtkLabel            *label_error;
  GtkWidget           *restore_button;
  GtkWidget           *compare_button;
  GtkSourceView       *body_view;
  AdwActionRow        *provider_row;
  AdwActionRow        *model_row;
  AdwActionRow        *temperature_row;
  AdwActionRow        *max_tokens_row;
  AdwPreferencesGroup *variables_group;
  GtkWidget           *variables_list;

  ConfabDatabase      *db;
  ConfabPrompt        *prompt;
  GListModel          *versions;
  GtkSingleSelection  *selection;
  GPtrArray           *labels;  /* ConfabPromptLabel */
  GHashTable          *authors; /* user id -> name */
  gulong               changed_id;
  int                  select_version; /* to select once the list has it */
  guint                sync_source;
  ConfabPromptVersion *shown;
};

G_DEFINE_FINAL_TYPE (ConfabPromptVersionsView, confab_prompt_versions_view, ADW_TYPE_BIN)

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static int
latest_number (ConfabPromptVersionsView *self)
{
  g_autoptr (ConfabPromptVersion) first = NULL;

  if (self->versions == NULL || g_list_model_get_n_items (self->versions) == 0)
    return 0;
  /* The list is newest first. */
  first = g_list_model_get_item (self->versions, 0);
  return confab_prompt_version_get_version (first);
}

static const char *
author_of (ConfabPromptVersionsView *self, ConfabPromptVersion *version)
{
  const char *author_id = confab_prompt_version_get_author_id (version);
  char       *name;

  if (author_id == NULL || self->db == NULL)
    return NULL;
  if (g_hash_table_lookup_extended (self->authors, author_id, NULL, (gpointer *) &name))
    return name;
  name = confab_prompt_dup_user_name (self->db, author_id);
  g_hash_table_insert (self->authors, g_strdup (author_id), name);
  return name;
}

static char **
labels_of (ConfabPromptVersionsView *self, ConfabPromptVersion *version)
{
  int number = confab_prompt_version_get_version (version);

  return confab_prompt_library_labels_of_version (self->labels, number,
                                                  number == latest_number (self));
}

static void
load_labels (ConfabPromptVersionsView *self)
{
  g_clear_pointer (&self->labels, g_ptr_array_unref);
  if (self->db != NULL && self->prompt != NULL)
    self->labels = confab_prompt_list_labels (self->db, id_of (self->prompt), NULL);
}

/* Rows */

static void
bind_row (ConfabPromptVersionsView *self, ConfabPromptVersionRow *row, ConfabPromptVersion *version)
{
  g_auto (GStrv) labels = NULL;

  if (version == NULL)
    return;
  labels = labels_of (self, version);
  confab_prompt_version_row_set_version (row, version, author_of (self, version),
                                         (const char *const *) labels);
}

static void
rebind_cb (gpointer row, gpointer self)
{
  bind_row (self, row, confab_prompt_version_row_get_version (row));
}

static void
refresh_rows (ConfabPromptVersionsView *self)
{
  confab_prompt_foreach_descendant (GTK_WIDGET (self->list_view), CONFAB_TYPE_PROMPT_VERSION_ROW,
                                    rebind_cb, self);
}

/* Folded, a click on a version opens it (the click selects it too). */
static void
row_released_cb (
    GtkGestureClick *gesture, int n_press, double x, double y, ConfabPromptVersionsView *self)
{
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child (self->leaflet, self->detail_page);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabPromptVersionsView *self)
{
  GtkWidget  *row = confab_prompt_version_row_new ();
  GtkGesture *click = gtk_gesture_click_new ();

  g_signal_connect_object (click, "released", G_CALLBACK (row_released_cb), self, 0);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (click));
  gtk_list_item_set_child (item, row);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabPromptVersionsView *self)
{
  bind_row (self, CONFAB_PROMPT_VERSION_ROW (gtk_list_item_get_child (item)),
            gtk_list_item_get_item (item));
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer self)
{
  confab_prompt_version_row_set_version (CONFAB_PROMPT_VERSION_ROW (gtk_list_item_get_child (item)),
                                         NULL, NULL, NULL);
}

/* The version shown */

static void
set_row_value (AdwActionRow *row, const char *value)
{
  adw_action_row_set_subtitle (row, value);
}

static void
show_variables (ConfabPromptVersionsView *self, const char *body)
{
  g_autoptr (GPtrArray) variables = confab_template_detect_variables (body, NULL);
  guint n = variables ? variables->len : 0;

  confab_prompt_remove_children (self->variables_list);
  for (guint i = 0; i < n; i++)
    {
      ConfabTemplateVariable *variable = g_ptr_array_index (variables, i);
      GtkWidget              *row = adw_action_row_new ();
      g_autofree char        *subtitle = NULL;
      g_autofree char        *title = g_markup_printf_escaped ("<tt>%s</tt>", variable->name);
      g_autofree char        *escaped = NULL;

      if (variable->section_only)
        subtitle = g_strdup (_ ("A section: its text shows when the value is set"));
      else if (variable->default_value != NULL && *variable->default_value != '\0')
        subtitle = g_strdup_printf (_ ("Default: %s"), variable->default_value);
      else if (variable->default_value != NULL)
        subtitle = g_strdup (_ ("Optional"));
      else
        subtitle = g_strdup (_ ("Needs a value"));
      escaped = g_markup_escape_text (subtitle, -1);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), TRUE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped);
      gtk_list_box_append (GTK_LIST_BOX (self->variables_list), row);
    }
  if (n == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("No variables"));
      adw_action_row_set_subtitle (
          ADW_ACTION_ROW (row),
          _ ("Write {{name}} in the text to fill it in when the prompt runs"));
      gtk_widget_add_css_class (row, "dim-label");
      gtk_list_box_append (GTK_LIST_BOX (self->variables_list), row);
    }
}

static void
show_version (ConfabPromptVersionsView *self, ConfabPromptVersion *version)
{
  g_autofree char *title = NULL;
  g_autofree char *when = NULL;
  g_autofree char *meta = NULL;
  g_autofree char *provider_name = NULL;
  g_autofree char *temperature = NULL;
  g_autofree char *max_tokens = NULL;
  g_auto (GStrv) labels = NULL;
  const char *author, *message, *model, *provider_id;
  int         number;
  gboolean    latest;

  g_set_object (&self->shown, version);
  if (version == NULL)
    return;

  number = confab_prompt_version_get_version (version);
  latest = number == latest_number (self);
  /* Translators: the title of a prompt version */
  title = g_strdup_printf (_ ("Version %d"), number);
  gtk_label_set_label (self->title_label, title);
  gtk_label_set_label (self->prompt_label,
                       self->prompt ? confab_prompt_get_name (self->prompt) : "");
  labels = labels_of (self, version);
  confab_prompt_fill_badges (self->badges_box, (const char *const *) labels, NULL);
  message = confab_prompt_version_get_message (version);
  gtk_label_set_label (self->message_label, message && *message ? message : _ ("No message"));
  author = author_of (self, version);
  when = confab_prompt_format_date (confab_entity_get_created_at (CONFAB_ENTITY (version)));
  /* Translators: "Saved by Maya on 12 Nov 2026, 16:00" */
  meta = author ? g_strdup_printf (_ ("Saved by %s on %s"), author, when)
                : g_strdup_printf (_ ("Saved on %s"), when);
  gtk_label_set_label (self->meta_label, meta);

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->body_view)),
                            confab_prompt_version_get_body (version), -1);

  provider_id = confab_prompt_version_get_provider_id (version);
  if (provider_id != NULL)
    {
      g_autoptr (ConfabProvider) provider =
          confab_repository_get (self->db, CONFAB_TYPE_PROVIDER, provider_id, NULL);

      provider_name =
          g_strdup (provider ? confab_provider_get_name (provider) : _ ("A deleted provider"));
    }
  set_row_value (self->provider_row,
                 provider_name ? provider_name : _ ("None: the agent’s own model"));
  model = confab_prompt_version_get_model (version);
  set_row_value (self->model_row, model && *model ? model : _ ("The provider’s default"));
  temperature = g_strdup_printf ("%.2g", confab_prompt_version_get_temperature (version));
  set_row_value (self->temperature_row, temperature);
  max_tokens = g_strdup_printf ("%d", confab_prompt_version_get_max_tokens (version));
  set_row_value (self->max_tokens_row, max_tokens);
  show_variables (self, confab_prompt_version_get_body (version));

  /* Restoring the newest would save the same text again. */
  gtk_widget_set_sensitive (self->restore_button, !latest);
  gtk_widget_set_tooltip_text (self->restore_button,
                               latest ? _ ("This is the newest version")
                                      : _ ("Save this text and its settings as a new version"));
  gtk_widget_set_sensitive (self->compare_button, number > 1);
}

static void
selection_changed_cb (ConfabPromptVersionsView *self)
{
  show_version (self, gtk_single_selection_get_selected_item (self->selection));
}

static void
list_activated_cb (ConfabPromptVersionsView *self, guint position)
{
  gtk_single_selection_set_selected (self->selection, position);
  adw_leaflet_set_visible_child (self->leaflet, self->detail_page);
}

static void
back_clicked_cb (ConfabPromptVersionsView *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->list_page);
}

static guint
find_version (ConfabPromptVersionsView *self, int number)
{
  guint n = self->versions ? g_list_model_get_n_items (self->versions) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabPromptVersion) version = g_list_model_get_item (self->versions, i);

      if (confab_prompt_version_get_version (version) == number)
        return i;
    }
  return GTK_INVALID_LIST_POSITION;
}

static void
sync_versions (ConfabPromptVersionsView *self)
{
  g_clear_handle_id (&self->sync_source, g_source_remove);
  if (self->select_version > 0)
    {
      guint position = find_version (self, self->select_version);

      if (position != GTK_INVALID_LIST_POSITION)
        {
          self->select_version = 0;
          gtk_single_selection_set_selected (self->selection, position);
        }
    }
  /* "latest" moved. */
  refresh_rows (self);
  show_version (self, gtk_single_selection_get_selected_item (self->selection));
}

static gboolean
sync_versions_cb (gpointer data)
{
  ConfabPromptVersionsView *self = data;

  self->sync_source = 0;
  sync_versions (self);
  return G_SOURCE_REMOVE;
}

/* After the list view has seen the change: selecting from inside the
 * selection's own ::items-changed confuses it. */
static void
versions_changed_cb (ConfabPromptVersionsView *self)
{
  if (self->sync_source == 0)
    self->sync_source = g_idle_add (sync_versions_cb, self);
}

/* Actions */

static GtkWindow *
get_window (ConfabPromptVersionsView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
editor_saved_cb (ConfabPromptEditor       *editor,
                 ConfabPromptVersion      *version,
                 ConfabPromptVersionsView *self)
{
  g_autofree char *message = NULL;

  self->select_version = confab_prompt_version_get_version (version);
  if (find_version (self, self->select_version) != GTK_INVALID_LIST_POSITION)
    sync_versions (self);
  message = g_strdup_printf (_ ("Version %d saved"), confab_prompt_version_get_version (version));
  confab_prompt_toast (GTK_WIDGET (self), message);
}

GtkWidget *
confab_prompt_versions_view_edit (ConfabPromptVersionsView *self)
{
  ConfabPromptEditor *editor;

  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSIONS_VIEW (self), NULL);

  if (self->db == NULL || self->prompt == NULL)
    return NULL;
  editor = confab_prompt_editor_new (get_window (self), self->db, self->prompt, self->shown);
  g_signal_connect_object (editor, "saved", G_CALLBACK (editor_saved_cb), self, 0);
  gtk_window_present (GTK_WINDOW (editor));
  return GTK_WIDGET (editor);
}

static void
edit_clicked_cb (ConfabPromptVersionsView *self)
{
  confab_prompt_versions_view_edit (self);
}

static void
show_label_error (ConfabPromptVersionsView *self, const char *message)
{
  gtk_label_set_label (self->label_error, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->label_error), message != NULL);
}

gboolean
confab_prompt_versions_view_move_label (ConfabPromptVersionsView *self,
                                        const char               *label,
                                        GError                  **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *actor_id = NULL;
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;
  int              number;

  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSIONS_VIEW (self), FALSE);

  if (self->db == NULL || self->prompt == NULL || self->shown == NULL)
    return FALSE;
  name = g_strstrip (g_strdup (label ? label : ""));
  number = confab_prompt_version_get_version (self->shown);
  if (g_strcmp0 (name, CONFAB_PROMPT_LABEL_LATEST) == 0)
    g_set_error (&local_error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                 _ ("“latest” always means the newest version: it cannot be moved"));
  else
    {
      actor_id = confab_acting_user_dup_id (self->db);
      confab_prompt_library_move_label (self->db, id_of (self->prompt), name, number, actor_id,
                                        &local_error);
    }
  if (local_error != NULL)
    {
      show_label_error (self, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  show_label_error (self, NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->label_entry), "");
  gtk_popover_popdown (self->label_popover);
  /* Translators: a label was moved: "“production” now on version 3" */
  message = g_strdup_printf (_ ("“%s” now on version %d"), name, number);
  confab_prompt_toast (GTK_WIDGET (self), message);
  return TRUE;
}

static void
label_clicked_cb (GtkButton *button, ConfabPromptVersionsView *self)
{
  confab_prompt_versions_view_move_label (
      self, g_object_get_data (G_OBJECT (button), "confab-label"), NULL);
}

static void
label_entry_activated_cb (ConfabPromptVersionsView *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->label_entry));

  if (*text != '\0')
    confab_prompt_versions_view_move_label (self, text, NULL);
}

/* The popover lists the labels, each with the version it is on now. */
static void
fill_label_popover (ConfabPromptVersionsView *self)
{
  int number = self->shown ? confab_prompt_version_get_version (self->shown) : 0;

  show_label_error (self, NULL);
  confab_prompt_remove_children (self->label_list);
  load_labels (self);
  for (guint i = 0; self->labels != NULL && i < self->labels->len; i++)
    {
      ConfabPromptLabel *label = g_ptr_array_index (self->labels, i);
      const char        *name = confab_prompt_label_get_name (label);
      int                on = confab_prompt_label_get_version (label);
      GtkWidget         *button = gtk_button_new ();
      GtkWidget         *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
      GtkWidget         *where;
      g_autofree char   *where_text = NULL;

      gtk_box_append (GTK_BOX (box), confab_prompt_badge_new (name, FALSE));
      where_text = on == number ? g_strdup (_ ("Here")) : g_strdup_printf (_ ("On version %d"), on);
      where = gtk_label_new (where_text);
      gtk_label_set_xalign (GTK_LABEL (where), 1);
      gtk_widget_set_hexpand (where, TRUE);
      gtk_widget_add_css_class (where, "dim-label");
      gtk_widget_add_css_class (where, "caption");
      gtk_box_append (GTK_BOX (box), where);
      gtk_button_set_child (GTK_BUTTON (button), box);
      gtk_widget_add_css_class (button, "flat");
      gtk_widget_set_sensitive (button, on != number);
      g_object_set_data_full (G_OBJECT (button), "confab-label", g_strdup (name), g_free);
      {
        /* Translators: a button moving a label, for screen readers */
        g_autofree char *accessible = g_strdup_printf (_ ("Move “%s” here"), name);

        gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                        accessible, -1);
      }
      g_signal_connect_object (button, "clicked", G_CALLBACK (label_clicked_cb), self, 0);
      gtk_box_append (GTK_BOX (self->label_list), button);
    }
  gtk_widget_set_visible (self->label_list, self->labels != NULL && self->labels->len > 0);
}

static void
restore_response_cb (AdwMessageDialog *dialog, const char *response, ConfabPromptVersionsView *self)
{
  if (g_strcmp0 (response, "restore") == 0)
    {
      g_autoptr (GError) error = NULL;

      if (!confab_prompt_versions_view_restore (self, &error))
        confab_prompt_toast_error (GTK_WIDGET (self), error);
    }
}

gboolean
confab_prompt_versions_view_restore (ConfabPromptVersionsView *self, GError **error)
{
  g_autoptr (ConfabPromptVersion) restored = NULL;
  g_autofree char *actor_id = NULL;
  g_autofree char *message = NULL;
  int              number;

  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSIONS_VIEW (self), FALSE);

  if (self->db == NULL || self->prompt == NULL || self->shown == NULL)
    return FALSE;
  number = confab_prompt_version_get_version (self->shown);
  actor_id = confab_acting_user_dup_id (self->db);
  restored =
      confab_prompt_restore_version (self->db, id_of (self->prompt), number, actor_id, error);
  if (restored == NULL)
    return FALSE;
  self->select_version = confab_prompt_version_get_version (restored);
  if (find_version (self, self->select_version) != GTK_INVALID_LIST_POSITION)
    sync_versions (self);
  /* Translators: "Version 2 restored as version 5" */
  message = g_strdup_printf (_ ("Version %d restored as version %d"), number,
                             confab_prompt_version_get_version (restored));
  confab_prompt_toast (GTK_WIDGET (self), message);
  return TRUE;
}

static void
restore_clicked_cb (ConfabPromptVersionsView *self)
{
  AdwMessageDialog *dialog;
  g_autofree char  *heading = NULL;
  g_autofree char  *body = NULL;
  int               number;

  if (self->shown == NULL)
    return;
  number = confab_prompt_version_get_version (self->shown);
  heading = g_strdup_printf (_ ("Restore Version %d?"), number);
  body = g_strdup_printf (_ ("Its text and model settings are saved as version %d. No version "
                             "is changed or removed, and labels stay where they are."),
                          latest_number (self) + 1);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (get_window (self), heading, body));
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "restore", _ ("_Restore"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "restore", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "restore");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (restore_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
compare_clicked_cb (ConfabPromptVersionsView *self)
{
  int number;

  if (self->shown == NULL)
    return;
  number = confab_prompt_version_get_version (self->shown);
  if (number > 1)
    gtk_widget_activate_action (GTK_WIDGET (self), "prompts.compare", "(ii)", number - 1, number);
}

static void
play_clicked_cb (ConfabPromptVersionsView *self)
{
  if (self->shown != NULL)
    gtk_widget_activate_action (GTK_WIDGET (self), "prompts.play", "i",
                                confab_prompt_version_get_version (self->shown));
}

/* The workspace */

static void
db_changed_cb (ConfabDatabase           *db,
               const char               *table,
               const char               *id,
               const char               *action,
               ConfabPromptVersionsView *self)
{
  if (g_strcmp0 (table, "prompt_labels") == 0 || g_strcmp0 (table, "users") == 0)
    {
      g_hash_table_remove_all (self->authors);
      load_labels (self);
      refresh_rows (self);
      show_version (self, self->shown);
    }
}

static void
confab_prompt_versions_view_dispose (GObject *object)
{
  ConfabPromptVersionsView *self = CONFAB_PROMPT_VERSIONS_VIEW (object);

  confab_prompt_versions_view_set_prompt (self, NULL, NULL);

  G_OBJECT_CLASS (confab_prompt_versions_view_parent_class)->dispose (object);
}

static void
confab_prompt_versions_view_finalize (GObject *object)
{
  ConfabPromptVersionsView *self = CONFAB_PROMPT_VERSIONS_VIEW (object);

  g_clear_object (&self->selection);
  g_hash_table_unref (self->authors);

  G_OBJECT_CLASS (confab_prompt_versions_view_parent_class)->finalize (object);
}

static void
confab_prompt_versions_view_class_init (ConfabPromptVersionsViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_prompt_versions_view_dispose;
  object_class->finalize = confab_prompt_versions_view_finalize;

  g_type_ensure (GTK_SOURCE_TYPE_VIEW);
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-prompt-versions-view.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, leaflet);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, list_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, detail_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, list_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, prompt_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, title_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, badges_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, message_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, meta_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, edit_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, label_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, label_popover);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, label_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, label_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, label_error);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, restore_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, compare_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, body_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, provider_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, model_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, temperature_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, max_tokens_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, variables_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionsView, variables_list);
  gtk_widget_class_bind_template_callback (widget_class, list_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, edit_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, restore_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, compare_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, play_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, fill_label_popover);
  gtk_widget_class_bind_template_callback (widget_class, label_entry_activated_cb);
}

static void
confab_prompt_versions_view_init (ConfabPromptVersionsView *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));
  confab_prompt_ensure_style ();
  confab_prompt_source_view_setup (self->body_view);
  self->authors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  self->selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->selection, TRUE);
  g_signal_connect_object (self->selection, "notify::selected-item",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "items-changed", G_CALLBACK (versions_changed_cb), self,
                           G_CONNECT_SWAPPED);

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect_object (factory, "setup", G_CALLBACK (setup_row_cb), self, 0);
  g_signal_connect_object (factory, "bind", G_CALLBACK (bind_row_cb), self, 0);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (unbind_row_cb), self, 0);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  show_version (self, NULL);
}

GtkWidget *
confab_prompt_versions_view_new (void)
{
  return g_object_new (CONFAB_TYPE_PROMPT_VERSIONS_VIEW, NULL);
}

void
confab_prompt_versions_view_set_prompt (ConfabPromptVersionsView *self,
                                        ConfabDatabase           *db,
                                        ConfabPrompt             *prompt)
{
  g_return_if_fail (CONFAB_IS_PROMPT_VERSIONS_VIEW (self));

  if (self->db != NULL)
    g_clear_signal_handler (&self->changed_id, self->db);
  g_clear_handle_id (&self->sync_source, g_source_remove);
  if (db == NULL)
    prompt = NULL;
  g_set_object (&self->db, db);
  g_set_object (&self->prompt, prompt);
  g_clear_object (&self->shown);
  g_hash_table_remove_all (self->authors);
  self->select_version = 0;
  load_labels (self);
  g_clear_object (&self->versions);
  if (prompt != NULL)
    {
      self->changed_id =
          g_signal_connect_object (db, "changed", G_CALLBACK (db_changed_cb), self, 0);
      self->versions = confab_repository_list_model (db, CONFAB_TYPE_PROMPT_VERSION, "prompt_id",
                                                     id_of (prompt));
    }
  if (self->selection != NULL)
    gtk_single_selection_set_model (self->selection, self->versions);
  /* Nothing to catch up on after a new model. */
  g_clear_handle_id (&self->sync_source, g_source_remove);
  adw_leaflet_set_visible_child (self->leaflet, self->list_page);
}

gboolean
confab_prompt_versions_view_select (ConfabPromptVersionsView *self, int version)
{
  guint position;

  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSIONS_VIEW (self), FALSE);

  position = find_version (self, version);
  if (position == GTK_INVALID_LIST_POSITION)
    return FALSE;
  gtk_single_selection_set_selected (self->selection, position);
  return TRUE;
}

int
confab_prompt_versions_view_get_selected (ConfabPromptVersionsView *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSIONS_VIEW (self), 0);

  return self->shown ? confab_prompt_version_get_version (self->shown) : 0;
}

char *
confab_prompt_versions_view_dup_body (ConfabPromptVersionsView *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSIONS_VIEW (self), NULL);

  return confab_prompt_text_view_dup_text (GTK_TEXT_VIEW (self->body_view));
}

typedef struct
{
  int   version;
  char *badges;
} FindRow;

static void
find_row_cb (gpointer row, gpointer user_data)
{
  FindRow             *find = user_data;
  ConfabPromptVersion *version = confab_prompt_version_row_get_version (row);

  if (find->badges == NULL && version != NULL &&
      confab_prompt_version_get_version (version) == find->version)
    find->badges = confab_prompt_version_row_dup_badges (row);
}

char *
confab_prompt_versions_view_dup_row_badges (ConfabPromptVersionsView *self, int version)
{
  FindRow find = { version, NULL };

  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSIONS_VIEW (self), NULL);

  confab_prompt_foreach_descendant (GTK_WIDGET (self->list_view), CONFAB_TYPE_PROMPT_VERSION_ROW,
                                    find_row_cb, &find);
  return find.badges;
}
