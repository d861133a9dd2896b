/* confab-agents-page.c
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
#include "confab-agent-editor.h"
#include "confab-agent-row.h"
#include "confab-agents-page.h"

/* An agent deleted with an undo toast: hidden at once, deleted for real
 * when the toast goes away without Undo (or the page or workspace does). */
typedef struct
{
  ConfabDatabase *db;
  char           *id;
  char           *actor_id;
  AdwToast       *toast;
  gboolean        undone;
} PendingDelete;

/* What to do once the unsaved changes are dealt with. */
typedef enum
{
  LEAVE_TO_AGENT,
  LEAVE_TO_NEW,
} LeaveAction;

struct _ConfabAgentsPage
{
  ConfabPage parent_instance;

  /* Template widgets */
  AdwLeaflet        *leaflet;
  GtkWidget         *list_pane;
  GtkWidget         *detail_pane;
  GtkSearchEntry    *search_entry;
  GtkStack          *list_stack;
  GtkListView       *list_view;
  AdwWindowTitle    *detail_title;
  GtkWidget         *save_button;
  GtkWidget         *delete_button;
  GtkStack          *detail_stack;
  ConfabAgentEditor *editor;

  GListModel         *agents;
  GtkCustomFilter    *filter;
  GtkFilterListModel *filtered;
  GtkSingleSelection *selection;
  ConfabDatabase     *db; /* the one the handler below is on */
  gulong              changed_id;
  char               *shown_id;  /* the agent in the editor; NULL for none or a new one */
  char               *select_id; /* to select once the list has it */
  PendingDelete      *pending;
  guint               selecting : 1;
};

G_DEFINE_FINAL_TYPE (ConfabAgentsPage, confab_agents_page, CONFAB_TYPE_PAGE)

static void show_agent (ConfabAgentsPage *self, const char *id, gboolean navigate);

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

/* Lists */

static gboolean
filter_func (gpointer item, gpointer user_data)
{
  ConfabAgentsPage *self = user_data;
  ConfabAgent      *agent = item;
  const char       *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char  *needle = NULL;
  g_autofree char  *name = NULL;
  g_autofree char  *sector = NULL;

  if (self->pending != NULL && !self->pending->undone &&
      g_strcmp0 (self->pending->id, confab_entity_get_id (CONFAB_ENTITY (agent))) == 0)
    return FALSE;
  if (!is_set (query))
    return TRUE;

  needle = g_utf8_casefold (query, -1);
  name = g_utf8_casefold (confab_agent_get_name (agent) ? confab_agent_get_name (agent) : "", -1);
  sector =
      g_utf8_casefold (confab_agent_get_sector (agent) ? confab_agent_get_sector (agent) : "", -1);
  return strstr (name, needle) != NULL || strstr (sector, needle) != NULL;
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

/* The list's selection without it meaning "show this". */
static void
select_quietly (ConfabAgentsPage *self, const char *id)
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
update_list_state (ConfabAgentsPage *self)
{
  guint       all = self->agents ? g_list_model_get_n_items (self->agents) : 0;
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

static void
filtered_changed_cb (ConfabAgentsPage *self)
{
  update_list_state (self);
  if (self->select_id != NULL &&
      find_position (G_LIST_MODEL (self->filtered), self->select_id) != GTK_INVALID_LIST_POSITION)
    {
      g_autofree char *id = g_steal_pointer (&self->select_id);

      select_quietly (self, id);
    }
  else
    /* A reload keeps the row objects, but the selection may have moved. */
    select_quietly (self, self->shown_id);
}

static void
search_changed_cb (ConfabAgentsPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
}

/* Header and actions */

static void
editor_state_cb (ConfabAgentsPage *self)
{
  gboolean editing =
      g_strcmp0 (gtk_stack_get_visible_child_name (self->detail_stack), "editor") == 0;
  gboolean dirty = editing && confab_agent_editor_get_dirty (self->editor);
  gboolean valid = confab_agent_editor_get_error (self->editor) == NULL;
  gboolean is_new = confab_agent_editor_get_is_new (self->editor);

  adw_window_title_set_title (self->detail_title,
                              editing && confab_agent_editor_get_title (self->editor)
                                  ? confab_agent_editor_get_title (self->editor)
                                  : "");
  adw_window_title_set_subtitle (self->detail_title, dirty ? _ ("Unsaved changes") : NULL);
  gtk_widget_set_visible (self->save_button, editing);
  gtk_widget_set_sensitive (self->save_button, dirty && valid);
  gtk_widget_set_visible (self->delete_button, editing && !is_new);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "agents.save", editing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "agents.delete", editing && !is_new);
}

static void
show_detail (ConfabAgentsPage *self, gboolean navigate)
{
  if (navigate)
    adw_leaflet_set_visible_child (self->leaflet, self->detail_pane);
}

static void
show_nothing (ConfabAgentsPage *self)
{
  g_clear_pointer (&self->shown_id, g_free);
  gtk_stack_set_visible_child_name (self->detail_stack, "empty");
  select_quietly (self, NULL);
  editor_state_cb (self);
}

static void
show_agent (ConfabAgentsPage *self, const char *id, gboolean navigate)
{
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (GError) error = NULL;
  ConfabDatabase *db = confab_page_get_database (CONFAB_PAGE (self));

  if (db == NULL)
    return;
  /* Fresh from the workspace rather than the list's object, which a reload
   * may be about to change. */
  agent = confab_repository_get (db, CONFAB_TYPE_AGENT, id, &error);
  if (agent == NULL)
    {
      confab_page_toast_error (CONFAB_PAGE (self), error);
      show_nothing (self);
      return;
    }
  g_free (self->shown_id);
  self->shown_id = g_strdup (id);
  confab_agent_editor_load (self->editor, agent);
  gtk_stack_set_visible_child_name (self->detail_stack, "editor");
  select_quietly (self, id);
  editor_state_cb (self);
  show_detail (self, navigate);
}

static void
show_new (ConfabAgentsPage *self)
{
  g_clear_pointer (&self->shown_id, g_free);
  confab_agent_editor_load (self->editor, NULL);
  gtk_stack_set_visible_child_name (self->detail_stack, "editor");
  select_quietly (self, NULL);
  editor_state_cb (self);
  show_detail (self, TRUE);
  gtk_widget_grab_focus (confab_agent_editor_get_field (self->editor, "name"));
}

static gboolean
save (ConfabAgentsPage *self)
{
  ConfabDatabase  *db = confab_page_get_database (CONFAB_PAGE (self));
  g_autofree char *actor_id = NULL;
  g_autoptr (GError) error = NULL;
  gboolean     was_new = confab_agent_editor_get_is_new (self->editor);
  ConfabAgent *agent;
  const char  *id;

  if (db == NULL)
    return FALSE;
  if (!confab_agent_editor_get_dirty (self->editor))
    return TRUE;

  actor_id = confab_acting_user_dup_id (db);
  if (!confab_agent_editor_save (self->editor, actor_id, &error))
    {
      /* The field says it too; the toast makes sure Ctrl+S is answered. */
      confab_page_toast_error (CONFAB_PAGE (self), error);
      return FALSE;
    }

  agent = confab_agent_editor_get_agent (self->editor);
  id = confab_entity_get_id (CONFAB_ENTITY (agent));
  if (was_new)
    {
      g_free (self->shown_id);
      self->shown_id = g_strdup (id);
      /* The list has it after its next reload. */
      g_free (self->select_id);
      self->select_id = g_strdup (id);
    }
  editor_state_cb (self);
  {
    g_autofree char *message = g_strdup_printf (_ ("“%s” saved"), confab_agent_get_name (agent));

    confab_page_toast (CONFAB_PAGE (self), message);
  }
  return TRUE;
}

static void
save_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  save (CONFAB_AGENTS_PAGE (widget));
}

static void
save_clicked_cb (ConfabAgentsPage *self)
{
  save (self);
}

/* Leaving unsaved changes */

typedef struct
{
  ConfabAgentsPage *self;
  LeaveAction       action;
  char             *id;
} Leave;

static void
leave_free (Leave *leave)
{
  g_object_unref (leave->self);
  g_free (leave->id);
  g_free (leave);
}

static void
leave_now (ConfabAgentsPage *self, LeaveAction action, const char *id)
{
  if (action == LEAVE_TO_NEW)
    show_new (self);
  else if (id != NULL)
    show_agent (self, id, adw_leaflet_get_folded (self->leaflet));
  else
    show_nothing (self);
}

static void
leave_response_cb (AdwMessageDialog *dialog, const char *response, Leave *leave)
{
  ConfabAgentsPage *self = leave->self;

  if (g_strcmp0 (response, "save") == 0)
    {
      if (save (self))
        leave_now (self, leave->action, leave->id);
      else
        select_quietly (self, self->shown_id);
    }
  else if (g_strcmp0 (response, "discard") == 0)
    leave_now (self, leave->action, leave->id);
  else
    select_quietly (self, self->shown_id);
  leave_free (leave);
}

/* Goes on at once when nothing is unsaved; otherwise asks. */
static void
leave (ConfabAgentsPage *self, LeaveAction action, const char *id)
{
  GtkRoot          *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char  *body = NULL;
  AdwMessageDialog *dialog;
  Leave            *data;

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->detail_stack), "editor") != 0 ||
      !confab_agent_editor_get_dirty (self->editor))
    {
      leave_now (self, action, id);
      return;
    }

  body = g_strdup_printf (_ ("The changes to “%s” are not saved yet."),
                          confab_agent_editor_get_title (self->editor));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _ ("Save Changes?"), body));
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "discard", _ ("_Discard"),
                                    "save", _ ("_Save"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "save");
  adw_message_dialog_set_close_response (dialog, "cancel");
  if (confab_agent_editor_get_error (self->editor) != NULL)
    adw_message_dialog_set_response_enabled (dialog, "save", FALSE);

  data = g_new0 (Leave, 1);
  data->self = g_object_ref (self);
  data->action = action;
  data->id = g_strdup (id);
  g_signal_connect (dialog, "response", G_CALLBACK (leave_response_cb), data);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
selection_changed_cb (ConfabAgentsPage *self)
{
  ConfabAgent *agent;
  const char  *id;

  if (self->selecting)
    return;
  agent = gtk_single_selection_get_selected_item (self->selection);
  if (agent == NULL)
    return;
  id = confab_entity_get_id (CONFAB_ENTITY (agent));
  if (g_strcmp0 (id, self->shown_id) == 0)
    return;
  leave (self, LEAVE_TO_AGENT, id);
}

static void
add_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabAgentsPage *self = CONFAB_AGENTS_PAGE (widget);

  if (confab_page_get_database (CONFAB_PAGE (self)) == NULL)
    return;
  leave (self, LEAVE_TO_NEW, NULL);
}

static void
list_activated_cb (ConfabAgentsPage *self, guint position)
{
  g_autoptr (ConfabAgent) agent = g_list_model_get_item (G_LIST_MODEL (self->filtered), position);

  if (agent == NULL)
    return;
  if (g_strcmp0 (confab_entity_get_id (CONFAB_ENTITY (agent)), self->shown_id) == 0)
    show_detail (self, TRUE);
  else
    gtk_single_selection_set_selected (self->selection, position);
}

static void
detail_back_clicked_cb (ConfabAgentsPage *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* Deleting */

static void
pending_delete_free (PendingDelete *pending)
{
  if (pending->toast != NULL)
    g_signal_handlers_disconnect_by_data (pending->toast, pending);
  g_clear_object (&pending->toast);
  g_clear_object (&pending->db);
  g_free (pending->id);
  g_free (pending->actor_id);
  g_free (pending);
}

/* The toast went without Undo: the deletion happens. */
static void
commit_delete (ConfabAgentsPage *self)
{
  PendingDelete *pending = g_steal_pointer (&self->pending);
  g_autoptr (GError) error = NULL;

  if (pending == NULL)
    return;
  if (!pending->undone &&
      !confab_repository_delete (pending->db, CONFAB_TYPE_AGENT, pending->id, pending->actor_id,
                                 &error) &&
      !g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      /* It shows again, since it is still there. */
      confab_page_toast_error (CONFAB_PAGE (self), error);
    }
  pending_delete_free (pending);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_LESS_STRICT);
}

/* The deletion waiting for its toast happens now, and the toast goes. */
static void
flush_delete (ConfabAgentsPage *self)
{
  g_autoptr (AdwToast) toast = NULL;

  if (self->pending == NULL)
    return;
  toast = self->pending->toast ? g_object_ref (self->pending->toast) : NULL;
  commit_delete (self);
  if (toast != NULL)
    adw_toast_dismiss (toast);
}

static void
toast_dismissed_cb (AdwToast *toast, ConfabAgentsPage *self)
{
  if (self->pending != NULL && self->pending->toast == toast)
    commit_delete (self);
}

static void
undo_delete (ConfabAgentsPage *self)
{
  g_autofree char *id = NULL;
  AdwToast        *toast;

  if (self->pending == NULL)
    return;
  self->pending->undone = TRUE;
  id = g_strdup (self->pending->id);
  toast = self->pending->toast ? g_object_ref (self->pending->toast) : NULL;
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_LESS_STRICT);
  if (toast != NULL)
    {
      adw_toast_dismiss (toast); /* commit_delete() then forgets it, undone */
      g_object_unref (toast);
    }
  commit_delete (self);
  show_agent (self, id, FALSE);
}

static void
undo_clicked_cb (AdwToast *toast, ConfabAgentsPage *self)
{
  undo_delete (self);
}

static void
undo_delete_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  undo_delete (CONFAB_AGENTS_PAGE (widget));
}

static void
delete_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabAgentsPage *self = CONFAB_AGENTS_PAGE (widget);
  ConfabDatabase   *db = confab_page_get_database (CONFAB_PAGE (self));
  ConfabAgent      *agent = confab_agent_editor_get_agent (self->editor);
  g_autofree char  *title = NULL;
  g_autofree char  *markup = NULL;
  PendingDelete    *pending;

  if (db == NULL || self->shown_id == NULL || agent == NULL)
    return;

  /* One undo at a time: an earlier deletion goes through now. */
  flush_delete (self);

  pending = g_new0 (PendingDelete, 1);
  pending->db = g_object_ref (db);
  pending->id = g_strdup (self->shown_id);
  pending->actor_id = confab_acting_user_dup_id (db);
  title = g_strdup_printf (_ ("“%s” deleted"), confab_agent_get_name (agent));
  markup = g_markup_escape_text (title, -1);
  pending->toast = adw_toast_new (markup);
  adw_toast_set_button_label (pending->toast, _ ("_Undo"));
  adw_toast_set_priority (pending->toast, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect (pending->toast, "button-clicked", G_CALLBACK (undo_clicked_cb), self);
  g_signal_connect (pending->toast, "dismissed", G_CALLBACK (toast_dismissed_cb), self);
  self->pending = pending;

  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_MORE_STRICT);
  show_nothing (self);
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
  confab_page_add_toast (CONFAB_PAGE (self), g_object_ref (pending->toast));
}

/* Rows */

static void
row_active_toggled_cb (ConfabAgentRow *row, gboolean active, ConfabAgentsPage *self)
{
  ConfabDatabase *db = confab_page_get_database (CONFAB_PAGE (self));
  ConfabAgent    *shown = confab_agent_row_get_agent (row);
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *actor_id = NULL;

  if (db == NULL || shown == NULL)
    return;

  /* Saved at once: a switch in a list is no draft. */
  agent = confab_repository_get (db, CONFAB_TYPE_AGENT,
                                 confab_entity_get_id (CONFAB_ENTITY (shown)), &error);
  if (agent != NULL)
    {
      actor_id = confab_acting_user_dup_id (db);
      confab_agent_set_is_active (agent, active);
      if (confab_repository_update (db, CONFAB_ENTITY (agent), actor_id, &error))
        return;
    }
  confab_page_toast_error (CONFAB_PAGE (self), error);
  confab_agent_row_sync (row);
}

static void
row_released_cb (GtkGestureClick *gesture, int n_press, double x, double y, ConfabAgentsPage *self)
{
  GtkWidget   *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));
  GtkWidget   *picked = gtk_widget_pick (row, x, y, GTK_PICK_DEFAULT);
  ConfabAgent *agent = confab_agent_row_get_agent (CONFAB_AGENT_ROW (row));

  /* The switch is not a way into the agent. */
  if (picked != NULL && gtk_widget_get_ancestor (picked, GTK_TYPE_SWITCH) != NULL)
    return;
  if (agent != NULL && adw_leaflet_get_folded (self->leaflet) &&
      g_strcmp0 (confab_entity_get_id (CONFAB_ENTITY (agent)), self->shown_id) == 0)
    show_detail (self, TRUE);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabAgentsPage *self)
{
  GtkWidget  *row = confab_agent_row_new ();
  GtkGesture *click = gtk_gesture_click_new ();

  g_signal_connect_object (row, "active-toggled", G_CALLBACK (row_active_toggled_cb), self, 0);
  g_signal_connect_object (click, "released", G_CALLBACK (row_released_cb), self, 0);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (click));
  gtk_list_item_set_child (item, row);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabAgentsPage *self)
{
  confab_agent_row_set_agent (CONFAB_AGENT_ROW (gtk_list_item_get_child (item)),
                              gtk_list_item_get_item (item));
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabAgentsPage *self)
{
  confab_agent_row_set_agent (CONFAB_AGENT_ROW (gtk_list_item_get_child (item)), NULL);
}

/* The workspace */

static void
agents_changed_cb (ConfabDatabase   *db,
                   const char       *table,
                   const char       *id,
                   const char       *action,
                   ConfabAgentsPage *self)
{
  g_autoptr (ConfabAgent) stored = NULL;
  g_autoptr (GError) error = NULL;

  if (self->shown_id == NULL || (id != NULL && g_strcmp0 (id, self->shown_id) != 0))
    return;

  stored = confab_repository_get (db, CONFAB_TYPE_AGENT, self->shown_id, &error);
  if (stored != NULL)
    confab_agent_editor_refresh (self->editor, stored);
  else if (g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      /* Deleted elsewhere (confab-cli): unsaved edits have nowhere to go. */
      g_autofree char *message = g_strdup_printf (_ ("“%s” was deleted outside this window"),
                                                  confab_agent_editor_get_title (self->editor));

      show_nothing (self);
      confab_page_toast (CONFAB_PAGE (self), message);
    }
}

static void
disconnect_database (ConfabAgentsPage *self)
{
  if (self->db != NULL)
    g_clear_signal_handler (&self->changed_id, self->db);
  g_clear_object (&self->db);
}

static void
confab_agents_page_database_changed (ConfabPage *page)
{
  ConfabAgentsPage *self = CONFAB_AGENTS_PAGE (page);
  ConfabDatabase   *db = confab_page_get_database (page);

  /* A deletion waiting for its toast belongs to the workspace it was made in. */
  flush_delete (self);

  disconnect_database (self);
  g_clear_pointer (&self->select_id, g_free);
  show_nothing (self);
  confab_agent_editor_set_database (self->editor, db);
  g_clear_object (&self->agents);
  if (db != NULL)
    {
      self->db = g_object_ref (db);
      self->changed_id =
          g_signal_connect_object (db, "changed::agents", G_CALLBACK (agents_changed_cb), self, 0);
      self->agents = confab_repository_list_model (db, CONFAB_TYPE_AGENT, NULL, NULL);
    }
  gtk_filter_list_model_set_model (self->filtered, self->agents);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  update_list_state (self);
}

static void
confab_agents_page_dispose (GObject *object)
{
  ConfabAgentsPage *self = CONFAB_AGENTS_PAGE (object);

  /* No gtk_widget_dispose_template (): the template's root is AdwBin's
   * child, which AdwBin unparents itself; doing both unparents it twice. */

  flush_delete (self);
  disconnect_database (self);
  if (self->filtered != NULL)
    gtk_filter_list_model_set_model (self->filtered, NULL);
  g_clear_object (&self->agents);

  G_OBJECT_CLASS (confab_agents_page_parent_class)->dispose (object);
}

static void
confab_agents_page_finalize (GObject *object)
{
  ConfabAgentsPage *self = CONFAB_AGENTS_PAGE (object);

  g_clear_object (&self->selection);
  g_clear_object (&self->filter);
  g_free (self->shown_id);
  g_free (self->select_id);

  G_OBJECT_CLASS (confab_agents_page_parent_class)->finalize (object);
}

static void
confab_agents_page_class_init (ConfabAgentsPageClass *klass)
{
  GObjectClass    *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass  *widget_class = GTK_WIDGET_CLASS (klass);
  ConfabPageClass *page_class = CONFAB_PAGE_CLASS (klass);

  object_class->dispose = confab_agents_page_dispose;
  object_class->finalize = confab_agents_page_finalize;
  page_class->database_changed = confab_agents_page_database_changed;

  g_type_ensure (CONFAB_TYPE_AGENT_EDITOR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-agents-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentsPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentsPage, list_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentsPage, detail_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentsPage, list_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentsPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentsPage, detail_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentsPage, save_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentsPage, delete_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentsPage, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentsPage, editor);
  gtk_widget_class_bind_template_callback (widget_class, detail_back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, editor_state_cb);

  gtk_widget_class_install_action (widget_class, "agents.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "agents.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "agents.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "agents.undo-delete", NULL, undo_delete_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "agents.save",
                                       NULL);
}

static void
confab_agents_page_init (ConfabAgentsPage *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));
  confab_agent_row_ensure_style ();

  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filtered = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->filter)));
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
confab_agents_page_new (void)
{
  return g_object_new (CONFAB_TYPE_AGENTS_PAGE, NULL);
}

gboolean
confab_agents_page_select_agent (ConfabAgentsPage *self, const char *agent_id)
{
  guint position;

  g_return_val_if_fail (CONFAB_IS_AGENTS_PAGE (self), FALSE);

  position = find_position (G_LIST_MODEL (self->filtered), agent_id);
  if (position == GTK_INVALID_LIST_POSITION)
    return FALSE;
  gtk_single_selection_set_selected (self->selection, position);
  return TRUE;
}

ConfabAgentEditor *
confab_agents_page_get_editor (ConfabAgentsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENTS_PAGE (self), NULL);

  return self->editor;
}

GtkEditable *
confab_agents_page_get_search_entry (ConfabAgentsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENTS_PAGE (self), NULL);

  return GTK_EDITABLE (self->search_entry);
}

GListModel *
confab_agents_page_get_visible_agents (ConfabAgentsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENTS_PAGE (self), NULL);

  return G_LIST_MODEL (self->filtered);
}

static ConfabAgentRow *
find_row_in (GtkWidget *widget, const char *agent_id)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      ConfabAgentRow *row;

      if (CONFAB_IS_AGENT_ROW (child))
        {
          ConfabAgent *agent = confab_agent_row_get_agent (CONFAB_AGENT_ROW (child));

          if (agent != NULL &&
              g_strcmp0 (confab_entity_get_id (CONFAB_ENTITY (agent)), agent_id) == 0)
            return CONFAB_AGENT_ROW (child);
          continue;
        }
      row = find_row_in (child, agent_id);
      if (row != NULL)
        return row;
    }
  return NULL;
}

ConfabAgentRow *
confab_agents_page_find_row (ConfabAgentsPage *self, const char *agent_id)
{
  g_return_val_if_fail (CONFAB_IS_AGENTS_PAGE (self), NULL);

  return find_row_in (GTK_WIDGET (self->list_view), agent_id);
}

AdwToast *
confab_agents_page_get_undo_toast (ConfabAgentsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENTS_PAGE (self), NULL);

  return self->pending != NULL ? self->pending->toast : NULL;
}

GtkWidget *
confab_agents_page_get_save_button (ConfabAgentsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENTS_PAGE (self), NULL);

  return self->save_button;
}

const char *
confab_agents_page_get_list_state (ConfabAgentsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENTS_PAGE (self), NULL);

  return gtk_stack_get_visible_child_name (self->list_stack);
}

const char *
confab_agents_page_get_detail_state (ConfabAgentsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENTS_PAGE (self), NULL);

  return gtk_stack_get_visible_child_name (self->detail_stack);
}
