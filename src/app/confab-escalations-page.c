/* confab-escalations-page.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-acting-user.h"
#include "confab-escalation-desk.h"
#include "confab-escalation-row.h"
#include "confab-escalations-page.h"

/* The drop-down's items, in its order. */
enum
{
  FILTER_ALL,
  FILTER_PENDING,
  FILTER_MINE,
  FILTER_ASSIGNED,
  FILTER_RESOLVED,
};

/* The wait shown in rows and the detail is re-read this often. */
#define TICK_SECONDS 60

struct _ConfabEscalationsPage
{
  ConfabPage parent_instance;

  /* Template widgets */
  AdwLeaflet     *leaflet;
  GtkWidget      *list_pane;
  GtkWidget      *detail_pane;
  GtkDropDown    *filter_dropdown;
  GtkStack       *list_stack;
  GtkListView    *list_view;
  AdwStatusPage  *empty_page;
  AdwWindowTitle *detail_title;
  GtkWidget      *take_button;
  GtkWidget      *resolve_button;
  GtkWidget      *open_button;
  GtkStack       *detail_stack;
  GtkLabel       *status_label;
  GtkLabel       *meta_label;
  GtkLabel       *reason_label;
  ConfabChatView *chat_view;

  GListModel         *escalations;
  GtkCustomSorter    *sorter;
  GtkSortListModel   *sorted;
  GtkCustomFilter    *filter;
  GtkFilterListModel *filtered;
  GtkSingleSelection *selection;

  ConfabDatabase   *db; /* the one the handlers below are on */
  gulong            escalations_changed_id;
  gulong            names_changed_id;
  guint             resort_idle_id;
  guint             tick_id;
  char             *me_id;       /* the acting user, when an operator or admin */
  char             *acting_name; /* who that is, for messages */
  ConfabEscalation *shown;       /* as stored; NULL when none is shown */
  AdwMessageDialog *resolve_dialog;
  GtkEntry         *note_entry;
  guint             selecting : 1;
};

G_DEFINE_FINAL_TYPE (ConfabEscalationsPage, confab_escalations_page, CONFAB_TYPE_PAGE)

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static gboolean
has_status (ConfabEscalation *escalation, const char *status)
{
  return g_strcmp0 (confab_escalation_get_status (escalation), status) == 0;
}

static gboolean
is_mine (ConfabEscalationsPage *self, ConfabEscalation *escalation)
{
  return self->me_id != NULL && has_status (escalation, "assigned") &&
         g_strcmp0 (confab_escalation_get_supporter_id (escalation), self->me_id) == 0;
}

/* Sorting and filtering */

static int
status_rank (ConfabEscalation *escalation)
{
  if (has_status (escalation, "pending"))
    return 0;
  if (has_status (escalation, "assigned"))
    return 1;
  return 2;
}

/* Pending, then assigned, the longest waiting first; then resolved, the
 * latest first. */
static int
sort_func (gconstpointer a, gconstpointer b, gpointer user_data)
{
  ConfabEscalation *x = CONFAB_ESCALATION ((gpointer) a);
  ConfabEscalation *y = CONFAB_ESCALATION ((gpointer) b);
  int               rank_x = status_rank (x);
  int               rank_y = status_rank (y);
  int               order;

  if (rank_x != rank_y)
    return rank_x < rank_y ? -1 : 1;
  if (rank_x == 2)
    order =
        -g_strcmp0 (confab_escalation_get_resolved_at (x), confab_escalation_get_resolved_at (y));
  else
    order = g_strcmp0 (confab_entity_get_created_at (CONFAB_ENTITY (x)),
                       confab_entity_get_created_at (CONFAB_ENTITY (y)));
  return order != 0 ? order : g_strcmp0 (id_of (x), id_of (y));
}

static gboolean
filter_func (gpointer item, gpointer user_data)
{
  ConfabEscalationsPage *self = user_data;
  ConfabEscalation      *escalation = item;

  switch (gtk_drop_down_get_selected (self->filter_dropdown))
    {
    case FILTER_PENDING:
      return has_status (escalation, "pending");
    case FILTER_MINE:
      return is_mine (self, escalation);
    case FILTER_ASSIGNED:
      return has_status (escalation, "assigned");
    case FILTER_RESOLVED:
      return has_status (escalation, "resolved");
    default:
      return TRUE;
    }
}

static guint
find_position (GListModel *model, const char *id)
{
  guint n = model != NULL ? g_list_model_get_n_items (model) : 0;

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
select_quietly (ConfabEscalationsPage *self, const char *id)
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
update_list_state (ConfabEscalationsPage *self)
{
  guint       shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  const char *title;
  const char *description;

  if (shown > 0)
    {
      gtk_stack_set_visible_child_name (self->list_stack, "list");
      return;
    }

  switch (gtk_drop_down_get_selected (self->filter_dropdown))
    {
    case FILTER_MINE:
      title = _ ("Nothing Assigned to You");
      description = _ ("Take a pending escalation to answer the customer yourself.");
      break;
    case FILTER_ASSIGNED:
      title = _ ("No Assigned Escalations");
      description = _ ("Nobody from the team is holding a conversation right now.");
      break;
    case FILTER_RESOLVED:
      title = _ ("No Resolved Escalations");
      description = _ ("Resolved escalations are kept here with their conversations.");
      break;
    default:
      title = _ ("No Pending Escalations");
      description = _ ("When a customer or an agent asks for a person, the conversation waits "
                       "here for an operator.");
    }
  adw_status_page_set_title (self->empty_page, title);
  adw_status_page_set_description (self->empty_page, description);
  gtk_stack_set_visible_child_name (self->list_stack, "empty");
}

static void
filtered_changed_cb (ConfabEscalationsPage *self)
{
  update_list_state (self);
  /* A re-sort removes and adds rows: the selection follows the one shown. */
  select_quietly (self, self->shown != NULL ? id_of (self->shown) : NULL);
}

static void
filter_changed_cb (ConfabEscalationsPage *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_list_state (self);
}

/* Rows */

static void
refresh_rows_in (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (CONFAB_IS_ESCALATION_ROW (child))
        confab_escalation_row_refresh (CONFAB_ESCALATION_ROW (child));
      else
        refresh_rows_in (child);
    }
}

static void
setup_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabEscalationsPage *self)
{
  gtk_list_item_set_child (item, confab_escalation_row_new ());
}

static void
bind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabEscalationsPage *self)
{
  confab_escalation_row_set_escalation (CONFAB_ESCALATION_ROW (gtk_list_item_get_child (item)),
                                        self->db, gtk_list_item_get_item (item), self->me_id);
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabEscalationsPage *self)
{
  confab_escalation_row_set_escalation (CONFAB_ESCALATION_ROW (gtk_list_item_get_child (item)),
                                        NULL, NULL, NULL);
}

/* The detail */

static gboolean
can_answer (ConfabEscalationsPage *self)
{
  return self->shown != NULL && self->me_id != NULL &&
         (has_status (self->shown, "pending") || is_mine (self, self->shown));
}

/* The chat view's composer (and the strip around it) is only offered while
 * what is written there goes to the customer as a supporter: on a pending
 * escalation (the reply takes it) or one the acting user holds. Otherwise
 * the conversation is read-only here; in particular a resolved one is the
 * agent's again, and writing in it would speak as the customer. */
static void
set_composer_visible (ConfabEscalationsPage *self, gboolean visible)
{
  GtkWidget *composer = GTK_WIDGET (confab_chat_view_get_composer (self->chat_view));
  GtkWidget *strip = composer;

  while (strip != NULL && strip != GTK_WIDGET (self->chat_view) &&
         !gtk_widget_has_css_class (strip, "chat-composer"))
    strip = gtk_widget_get_parent (strip);
  if (strip == NULL || strip == GTK_WIDGET (self->chat_view))
    strip = composer;
  gtk_widget_set_visible (strip, visible);
}

static void
update_detail (ConfabEscalationsPage *self)
{
  ConfabEscalationInfo info = { 0 };
  g_autoptr (GDateTime) now = NULL;
  g_autofree char *waited = NULL;
  g_autofree char *meta = NULL;
  g_autoptr (GPtrArray) parts = NULL;
  g_autofree char *holder = NULL;
  const char      *reason;
  gboolean         pending, mine, assigned;

  if (self->shown == NULL || self->db == NULL)
    {
      gtk_stack_set_visible_child_name (self->detail_stack, "empty");
      adw_window_title_set_title (self->detail_title, "");
      adw_window_title_set_subtitle (self->detail_title, NULL);
      gtk_widget_set_visible (self->take_button, FALSE);
      gtk_widget_set_visible (self->resolve_button, FALSE);
      gtk_widget_set_visible (self->open_button, FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "escalations.take", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "escalations.resolve", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "escalations.open-in-chats", FALSE);
      return;
    }

  confab_escalation_info_load (&info, self->db, self->shown);
  pending = has_status (self->shown, "pending");
  assigned = has_status (self->shown, "assigned");
  mine = is_mine (self, self->shown);

  adw_window_title_set_title (self->detail_title, info.title);
  if (mine)
    adw_window_title_set_subtitle (self->detail_title, _ ("Assigned to you"));
  else if (assigned && info.supporter != NULL)
    {
      /* Translators: %s is a person's name */
      holder = g_strdup_printf (_ ("Assigned to %s"), info.supporter);
      adw_window_title_set_subtitle (self->detail_title, holder);
    }
  else
    adw_window_title_set_subtitle (
        self->detail_title,
        confab_escalation_status_label (confab_escalation_get_status (self->shown)));

  now = g_date_time_new_now_utc ();
  waited = confab_escalation_dup_waited (self->shown, now);
  parts = g_ptr_array_new ();
  if (info.peer != NULL)
    g_ptr_array_add (parts, info.peer);
  if (waited != NULL)
    g_ptr_array_add (parts, waited);
  if (!pending && info.supporter != NULL)
    g_ptr_array_add (parts, mine ? (char *) C_ ("escalation holder", "You") : info.supporter);
  g_ptr_array_add (parts, NULL);
  meta = g_strjoinv (" · ", (char **) parts->pdata);
  confab_escalation_status_tag (self->status_label, confab_escalation_get_status (self->shown));
  gtk_label_set_text (self->meta_label, meta);
  reason = confab_escalation_get_reason (self->shown);
  if (reason == NULL || *reason == '\0')
    reason = _ ("No reason given");
  gtk_label_set_text (self->reason_label, reason);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->reason_label), reason);

  /* Take what nobody holds, or take it over from somebody else. */
  gtk_widget_set_visible (self->take_button, pending || (assigned && !mine));
  gtk_button_set_label (GTK_BUTTON (self->take_button), pending ? _ ("_Take") : _ ("Take _Over"));
  gtk_widget_set_visible (self->resolve_button, mine);
  gtk_widget_set_visible (self->open_button, TRUE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "escalations.take",
                                 pending || (assigned && !mine));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "escalations.resolve", mine);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "escalations.open-in-chats", TRUE);

  set_composer_visible (self, can_answer (self));
  gtk_stack_set_visible_child_name (self->detail_stack, "escalation");
  confab_escalation_info_clear (&info);
}

static void
show_nothing (ConfabEscalationsPage *self)
{
  g_clear_object (&self->shown);
  confab_chat_view_set_conversation_id (self->chat_view, NULL);
  select_quietly (self, NULL);
  update_detail (self);
}

static void
show_escalation (ConfabEscalationsPage *self, const char *id, gboolean navigate)
{
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (GError) error = NULL;

  if (self->db == NULL)
    return;
  /* Fresh from the workspace rather than the list's object, which a reload
   * may be about to change. */
  escalation = confab_repository_get (self->db, CONFAB_TYPE_ESCALATION, id, &error);
  if (escalation == NULL)
    {
      confab_page_toast_error (CONFAB_PAGE (self), error);
      show_nothing (self);
      return;
    }
  g_set_object (&self->shown, escalation);
  confab_chat_view_set_operator_id (self->chat_view, self->me_id);
  confab_chat_view_set_conversation_id (self->chat_view,
                                        confab_escalation_get_conversation_id (escalation));
  select_quietly (self, id);
  update_detail (self);
  if (navigate)
    adw_leaflet_set_visible_child (self->leaflet, self->detail_pane);
}

/* The escalation shown, read again (another program may have changed it). */
static void
reload_shown (ConfabEscalationsPage *self)
{
  g_autoptr (ConfabEscalation) stored = NULL;
  g_autoptr (GError) error = NULL;

  if (self->shown == NULL || self->db == NULL)
    return;
  stored = confab_repository_get (self->db, CONFAB_TYPE_ESCALATION, id_of (self->shown), &error);
  if (stored != NULL)
    {
      g_set_object (&self->shown, stored);
      update_detail (self);
    }
  else if (g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    /* Its conversation was deleted, and the escalation with it. */
    show_nothing (self);
  else
    confab_page_toast_error (CONFAB_PAGE (self), error);
}

static void
selection_changed_cb (ConfabEscalationsPage *self)
{
  ConfabEscalation *escalation;

  if (self->selecting)
    return;
  escalation = gtk_single_selection_get_selected_item (self->selection);
  if (escalation == NULL)
    return;
  if (self->shown != NULL && g_strcmp0 (id_of (escalation), id_of (self->shown)) == 0)
    return;
  show_escalation (self, id_of (escalation), adw_leaflet_get_folded (self->leaflet));
}

static void
list_activated_cb (ConfabEscalationsPage *self, guint position)
{
  g_autoptr (ConfabEscalation) escalation =
      g_list_model_get_item (G_LIST_MODEL (self->filtered), position);

  if (escalation != NULL)
    show_escalation (self, id_of (escalation), TRUE);
}

static void
detail_back_clicked_cb (ConfabEscalationsPage *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* Actions */

/* Whether the acting user may work on escalations; says why not otherwise. */
static gboolean
check_acting_user (ConfabEscalationsPage *self)
{
  g_autofree char *message = NULL;

  if (self->me_id != NULL)
    return TRUE;
  if (self->acting_name != NULL)
    message = g_strdup_printf (_ ("%s is not an operator or an admin: only they can answer "
                                  "escalations"),
                               self->acting_name);
  else
    message = g_strdup (_ ("Add an operator or an admin in Users to answer escalations"));
  confab_page_toast (CONFAB_PAGE (self), message);
  return FALSE;
}

static void
take_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabEscalationsPage *self = CONFAB_ESCALATIONS_PAGE (widget);
  g_autoptr (ConfabEscalation) taken = NULL;
  g_autoptr (GError) error = NULL;

  if (self->shown == NULL || self->db == NULL || !check_acting_user (self))
    return;
  taken = confab_escalation_desk_take (self->db, id_of (self->shown), self->me_id, &error);
  if (taken == NULL)
    {
      confab_page_toast_error (CONFAB_PAGE (self), error);
      reload_shown (self);
      return;
    }
  g_set_object (&self->shown, taken);
  update_detail (self);
  confab_page_toast (CONFAB_PAGE (self),
                     _ ("The conversation is yours: what you write goes to the customer"));
  confab_chat_view_focus_composer (self->chat_view);
}

gboolean
confab_escalations_page_resolve (ConfabEscalationsPage *self, const char *note)
{
  g_autoptr (ConfabEscalation) resolved = NULL;
  g_autoptr (GError) error = NULL;
  ConfabEscalationInfo info = { 0 };
  g_autofree char     *message = NULL;
  gboolean             reopened = FALSE;

  g_return_val_if_fail (CONFAB_IS_ESCALATIONS_PAGE (self), FALSE);

  if (self->shown == NULL || self->db == NULL || !check_acting_user (self))
    return FALSE;
  resolved = confab_escalation_desk_resolve (self->db, id_of (self->shown), self->me_id, note,
                                             &reopened, &error);
  if (resolved == NULL)
    {
      confab_page_toast_error (CONFAB_PAGE (self), error);
      reload_shown (self);
      return FALSE;
    }
  g_set_object (&self->shown, resolved);
  update_detail (self);

  confab_escalation_info_load (&info, self->db, resolved);
  if (reopened && info.peer != NULL)
    /* Translators: the first %s is a conversation, the second an agent or a team */
    message = g_strdup_printf (_ ("“%s” is back with %s"), info.title, info.peer);
  else
    /* Translators: %s is a conversation */
    message = g_strdup_printf (_ ("“%s” resolved"), info.title);
  confab_page_toast (CONFAB_PAGE (self), message);
  confab_escalation_info_clear (&info);
  return TRUE;
}

static void
resolve_response_cb (AdwMessageDialog *dialog, const char *response, ConfabEscalationsPage *self)
{
  g_autofree char *note = NULL;

  if (g_strcmp0 (response, "resolve") == 0 && self->note_entry != NULL)
    {
      note = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->note_entry)));
      confab_escalations_page_resolve (self, note);
    }
  if (self->resolve_dialog == dialog)
    {
      self->resolve_dialog = NULL;
      self->note_entry = NULL;
    }
}

static void
note_changed_cb (GtkEditable *entry, ConfabEscalationsPage *self)
{
  glong    length = g_utf8_strlen (gtk_editable_get_text (entry), -1);
  gboolean valid = length <= CONFAB_ESCALATION_DESK_MAX_NOTE;

  if (valid)
    gtk_widget_remove_css_class (GTK_WIDGET (entry), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (entry), "error");
  if (self->resolve_dialog != NULL)
    adw_message_dialog_set_response_enabled (self->resolve_dialog, "resolve", valid);
}

static void
resolve_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabEscalationsPage *self = CONFAB_ESCALATIONS_PAGE (widget);
  GtkRoot               *root = gtk_widget_get_root (widget);
  AdwMessageDialog      *dialog;
  GtkWidget             *entry;

  if (self->shown == NULL || self->resolve_dialog != NULL || !check_acting_user (self))
    return;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _ ("Resolve Escalation?"),
      _ ("The conversation goes back to its agent, who answers the "
         "customer’s next message.")));
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "resolve", _ ("_Resolve"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "resolve", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "resolve");
  adw_message_dialog_set_close_response (dialog, "cancel");

  entry = gtk_entry_new ();
  gtk_entry_set_placeholder_text (GTK_ENTRY (entry), _ ("How was it resolved? (optional)"));
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Resolution note"), -1);
  g_signal_connect_object (entry, "changed", G_CALLBACK (note_changed_cb), self, 0);
  adw_message_dialog_set_extra_child (dialog, entry);

  self->resolve_dialog = dialog;
  self->note_entry = GTK_ENTRY (entry);
  g_signal_connect_object (dialog, "response", G_CALLBACK (resolve_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
open_in_chats_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabEscalationsPage *self = CONFAB_ESCALATIONS_PAGE (widget);

  if (self->shown == NULL)
    return;
  gtk_widget_activate_action (widget, "win.open-conversation", "(ss)",
                              confab_escalation_get_conversation_id (self->shown), "");
}

/* The workspace */

static void
update_acting_user (ConfabEscalationsPage *self)
{
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (GError) error = NULL;
  const char *role;

  g_clear_pointer (&self->me_id, g_free);
  g_clear_pointer (&self->acting_name, g_free);
  if (self->db == NULL)
    return;
  user = confab_acting_user_find (self->db, &error);
  if (error != NULL)
    g_debug ("Could not find the acting user: %s", error->message);
  if (user == NULL)
    return;
  self->acting_name = g_strdup (confab_user_get_username (user));
  role = confab_user_get_role (user);
  if (g_strcmp0 (role, "admin") == 0 || g_strcmp0 (role, "operator") == 0)
    self->me_id = g_strdup (id_of (user));
}

/* After the list's own reload (an idle of higher priority): statuses may
 * have changed in place, which the sort and the filter do not watch. */
static gboolean
resort_idle_cb (gpointer data)
{
  ConfabEscalationsPage *self = data;

  self->resort_idle_id = 0;
  gtk_sorter_changed (GTK_SORTER (self->sorter), GTK_SORTER_CHANGE_DIFFERENT);
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_list_state (self);
  reload_shown (self);
  return G_SOURCE_REMOVE;
}

static void
escalations_changed_cb (ConfabDatabase        *db,
                        const char            *table,
                        const char            *id,
                        const char            *action,
                        ConfabEscalationsPage *self)
{
  if (self->resort_idle_id == 0)
    self->resort_idle_id = g_idle_add (resort_idle_cb, self);
}

/* Titles and names live in other tables. */
static void
names_changed_cb (ConfabDatabase        *db,
                  const char            *table,
                  const char            *id,
                  const char            *action,
                  ConfabEscalationsPage *self)
{
  if (g_strcmp0 (table, "users") == 0)
    update_acting_user (self);
  if (g_strcmp0 (table, "conversations") == 0 || g_strcmp0 (table, "users") == 0 ||
      g_strcmp0 (table, "agents") == 0 || g_strcmp0 (table, "teams") == 0)
    {
      refresh_rows_in (GTK_WIDGET (self->list_view));
      update_detail (self);
    }
}

static gboolean
tick_cb (gpointer data)
{
  ConfabEscalationsPage *self = data;

  refresh_rows_in (GTK_WIDGET (self->list_view));
  update_detail (self);
  return G_SOURCE_CONTINUE;
}

static void
disconnect_database (ConfabEscalationsPage *self)
{
  if (self->db != NULL)
    {
      g_clear_signal_handler (&self->escalations_changed_id, self->db);
      g_clear_signal_handler (&self->names_changed_id, self->db);
    }
  g_clear_handle_id (&self->resort_idle_id, g_source_remove);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_object (&self->db);
}

static void
confab_escalations_page_database_changed (ConfabPage *page)
{
  ConfabEscalationsPage *self = CONFAB_ESCALATIONS_PAGE (page);
  ConfabDatabase        *db = confab_page_get_database (page);

  if (self->resolve_dialog != NULL)
    adw_message_dialog_response (self->resolve_dialog, "cancel");
  disconnect_database (self);
  show_nothing (self);
  g_clear_object (&self->escalations);
  if (db != NULL)
    {
      self->db = g_object_ref (db);
      self->escalations_changed_id = g_signal_connect_object (
          db, "changed::escalations", G_CALLBACK (escalations_changed_cb), self, 0);
      self->names_changed_id =
          g_signal_connect_object (db, "changed", G_CALLBACK (names_changed_cb), self, 0);
      self->escalations = confab_repository_list_model (db, CONFAB_TYPE_ESCALATION, NULL, NULL);
      self->tick_id = g_timeout_add_seconds (TICK_SECONDS, tick_cb, self);
    }
  update_acting_user (self);
  gtk_sort_list_model_set_model (self->sorted, self->escalations);
  update_list_state (self);
}

static void
confab_escalations_page_dispose (GObject *object)
{
  ConfabEscalationsPage *self = CONFAB_ESCALATIONS_PAGE (object);

  /* No gtk_widget_dispose_template (): the template's root is AdwBin's
   * child, which AdwBin unparents itself; doing both unparents it twice. */

  if (self->resolve_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->resolve_dialog));
  self->resolve_dialog = NULL;
  self->note_entry = NULL;
  disconnect_database (self);
  if (self->sorted != NULL)
    gtk_sort_list_model_set_model (self->sorted, NULL);
  g_clear_object (&self->escalations);
  g_clear_object (&self->shown);

  G_OBJECT_CLASS (confab_escalations_page_parent_class)->dispose (object);
}

static void
confab_escalations_page_finalize (GObject *object)
{
  ConfabEscalationsPage *self = CONFAB_ESCALATIONS_PAGE (object);

  g_clear_object (&self->selection);
  g_clear_object (&self->filtered);
  g_clear_object (&self->sorted);
  g_clear_object (&self->filter);
  g_clear_object (&self->sorter);
  g_free (self->me_id);
  g_free (self->acting_name);

  G_OBJECT_CLASS (confab_escalations_page_parent_class)->finalize (object);
}

static void
confab_escalations_page_class_init (ConfabEscalationsPageClass *klass)
{
  GObjectClass    *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass  *widget_class = GTK_WIDGET_CLASS (klass);
  ConfabPageClass *page_class = CONFAB_PAGE_CLASS (klass);

  object_class->dispose = confab_escalations_page_dispose;
  object_class->finalize = confab_escalations_page_finalize;
  page_class->database_changed = confab_escalations_page_database_changed;

  g_type_ensure (CONFAB_TYPE_CHAT_VIEW);
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-escalations-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, list_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, detail_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, filter_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, list_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, detail_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, take_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, resolve_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, open_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, meta_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, reason_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationsPage, chat_view);
  gtk_widget_class_bind_template_callback (widget_class, detail_back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_activated_cb);

  gtk_widget_class_install_action (widget_class, "escalations.take", NULL, take_action);
  gtk_widget_class_install_action (widget_class, "escalations.resolve", NULL, resolve_action);
  gtk_widget_class_install_action (widget_class, "escalations.open-in-chats", NULL,
                                   open_in_chats_action);
}

static void
confab_escalations_page_init (ConfabEscalationsPage *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->sorter = gtk_custom_sorter_new (sort_func, NULL, NULL);
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

  update_detail (self);
  update_list_state (self);
}

GtkWidget *
confab_escalations_page_new (void)
{
  return g_object_new (CONFAB_TYPE_ESCALATIONS_PAGE, NULL);
}

gboolean
confab_escalations_page_select (ConfabEscalationsPage *self, const char *escalation_id)
{
  guint position;

  g_return_val_if_fail (CONFAB_IS_ESCALATIONS_PAGE (self), FALSE);

  position = find_position (G_LIST_MODEL (self->filtered), escalation_id);
  if (position == GTK_INVALID_LIST_POSITION)
    return FALSE;
  gtk_single_selection_set_selected (self->selection, position);
  return TRUE;
}

GListModel *
confab_escalations_page_get_visible (ConfabEscalationsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_ESCALATIONS_PAGE (self), NULL);

  return G_LIST_MODEL (self->filtered);
}

ConfabChatView *
confab_escalations_page_get_chat_view (ConfabEscalationsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_ESCALATIONS_PAGE (self), NULL);

  return self->chat_view;
}

GtkDropDown *
confab_escalations_page_get_filter (ConfabEscalationsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_ESCALATIONS_PAGE (self), NULL);

  return self->filter_dropdown;
}

GtkWidget *
confab_escalations_page_get_take_button (ConfabEscalationsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_ESCALATIONS_PAGE (self), NULL);

  return self->take_button;
}

GtkWidget *
confab_escalations_page_get_resolve_button (ConfabEscalationsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_ESCALATIONS_PAGE (self), NULL);

  return self->resolve_button;
}

AdwMessageDialog *
confab_escalations_page_get_resolve_dialog (ConfabEscalationsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_ESCALATIONS_PAGE (self), NULL);

  return self->resolve_dialog;
}

gboolean
confab_escalations_page_get_can_answer (ConfabEscalationsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_ESCALATIONS_PAGE (self), FALSE);

  return can_answer (self);
}

const char *
confab_escalations_page_get_list_state (ConfabEscalationsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_ESCALATIONS_PAGE (self), NULL);

  return gtk_stack_get_visible_child_name (self->list_stack);
}

const char *
confab_escalations_page_get_detail_state (ConfabEscalationsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_ESCALATIONS_PAGE (self), NULL);

  return gtk_stack_get_visible_child_name (self->detail_stack);
}

AdwStatusPage *
confab_escalations_page_get_empty_page (ConfabEscalationsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_ESCALATIONS_PAGE (self), NULL);

  return self->empty_page;
}
