/* confab-new-chat-dialog.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-new-chat-dialog.h"
#include "confab-window.h"

/* Agents and teams are few (dozens), so they are plain rows with radio
 * buttons; users may be many, so they sit in a drop-down. */
struct _ConfabNewChatDialog
{
  AdwWindow parent_instance;

  /* Template widgets */
  GtkButton     *start_button;
  GtkStack      *stack;
  AdwComboRow   *user_row;
  GtkWidget     *agent_group;
  GtkListBox    *agent_list;
  GtkWidget     *team_group;
  GtkListBox    *team_list;
  AdwStatusPage *missing_page;
  GtkButton     *missing_button;

  ConfabDatabase *database;
  GPtrArray      *user_ids; /* parallel to the drop-down's strings */
  GPtrArray      *checks;   /* GtkCheckButton of each agent and team row */
  ConfabSection   missing_section;
};

G_DEFINE_FINAL_TYPE (ConfabNewChatDialog, confab_new_chat_dialog, ADW_TYPE_WINDOW)

enum
{
  START,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GtkCheckButton *
checked_peer (ConfabNewChatDialog *self)
{
  for (guint i = 0; i < self->checks->len; i++)
    if (gtk_check_button_get_active (g_ptr_array_index (self->checks, i)))
      return g_ptr_array_index (self->checks, i);
  return NULL;
}

static void
update_start (ConfabNewChatDialog *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->start_button),
                            checked_peer (self) != NULL &&
                                confab_new_chat_dialog_get_user_id (self) != NULL);
}

static const char *
agent_type_label (const char *type)
{
  if (g_strcmp0 (type, "llm") == 0)
    return _ ("Language model");
  if (g_strcmp0 (type, "hybrid") == 0)
    return _ ("Rules, then a language model");
  return _ ("Rule-based");
}

static const char *
team_mode_label (const char *mode)
{
  if (g_strcmp0 (mode, "sequential") == 0)
    return _ ("Members answer in turn");
  if (g_strcmp0 (mode, "round_robin") == 0)
    return _ ("Members take turns");
  return _ ("The best member answers");
}

static void
add_peer_row (ConfabNewChatDialog *self,
              GtkListBox          *list,
              const char          *key,
              const char          *id,
              const char          *name,
              const char          *kind,
              const char          *description)
{
  GtkWidget       *row = adw_action_row_new ();
  GtkWidget       *check = gtk_check_button_new ();
  g_autofree char *subtitle = NULL;

  if (description != NULL && *description != '\0')
    subtitle = g_strdup_printf ("%s · %s", kind, description);
  else
    subtitle = g_strdup (kind);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);

  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  if (self->checks->len > 0)
    gtk_check_button_set_group (GTK_CHECK_BUTTON (check), g_ptr_array_index (self->checks, 0));
  g_object_set_data_full (G_OBJECT (check), key, g_strdup (id), g_free);
  g_signal_connect_object (check, "toggled", G_CALLBACK (update_start), self, G_CONNECT_SWAPPED);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  g_ptr_array_add (self->checks, check);

  gtk_list_box_append (list, row);
}

static const char *
user_label (ConfabUser *user)
{
  const char *name = confab_user_get_name (user);

  return name != NULL && *name != '\0' ? name : confab_user_get_username (user);
}

static void
show_missing (ConfabNewChatDialog *self,
              ConfabSection        section,
              const char          *icon_name,
              const char          *title,
              const char          *description,
              const char          *button_label)
{
  self->missing_section = section;
  adw_status_page_set_icon_name (self->missing_page, icon_name);
  adw_status_page_set_title (self->missing_page, title);
  adw_status_page_set_description (self->missing_page, description);
  gtk_button_set_label (self->missing_button, button_label);
  gtk_stack_set_visible_child_name (self->stack, "missing");
  gtk_widget_set_visible (GTK_WIDGET (self->start_button), FALSE);
}

static void
load (ConfabNewChatDialog *self, const char *user_id)
{
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GPtrArray) agents = NULL;
  g_autoptr (GPtrArray) teams = NULL;
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr (GError) error = NULL;
  guint n_agents = 0;

  users = confab_repository_list (self->database, CONFAB_TYPE_USER, NULL, NULL, &error);
  if (users != NULL)
    agents = confab_repository_list (self->database, CONFAB_TYPE_AGENT, NULL, NULL, &error);
  if (agents != NULL)
    teams = confab_repository_list (self->database, CONFAB_TYPE_TEAM, NULL, NULL, &error);
  if (error != NULL)
    {
      show_missing (self, CONFAB_SECTION_CHATS, "dialog-error-symbolic",
                    _ ("Cannot Read the Workspace"), error->message, NULL);
      gtk_widget_set_visible (GTK_WIDGET (self->missing_button), FALSE);
      return;
    }

  for (guint i = 0; i < users->len; i++)
    {
      ConfabUser *user = g_ptr_array_index (users, i);

      gtk_string_list_append (names, user_label (user));
      g_ptr_array_add (self->user_ids, g_strdup (confab_entity_get_id (CONFAB_ENTITY (user))));
    }
  adw_combo_row_set_model (self->user_row, G_LIST_MODEL (names));
  if (user_id == NULL || !confab_new_chat_dialog_set_user_id (self, user_id))
    adw_combo_row_set_selected (self->user_row, 0);

  for (guint i = 0; i < agents->len; i++)
    {
      ConfabAgent *agent = g_ptr_array_index (agents, i);

      /* An inactive agent answers nobody. */
      if (!confab_agent_get_is_active (agent))
        continue;
      add_peer_row (self, self->agent_list, "agent-id",
                    confab_entity_get_id (CONFAB_ENTITY (agent)), confab_agent_get_name (agent),
                    agent_type_label (confab_agent_get_agent_type (agent)),
                    confab_agent_get_description (agent));
      n_agents++;
    }
  for (guint i = 0; i < teams->len; i++)
    {
      ConfabTeam *team = g_ptr_array_index (teams, i);

      add_peer_row (self, self->team_list, "team-id", confab_entity_get_id (CONFAB_ENTITY (team)),
                    confab_team_get_name (team), team_mode_label (confab_team_get_mode (team)),
                    confab_team_get_description (team));
    }
  gtk_widget_set_visible (self->agent_group, n_agents > 0);
  gtk_widget_set_visible (self->team_group, teams->len > 0);

  if (self->checks->len == 0)
    show_missing (self, CONFAB_SECTION_AGENTS, "confab-agents-symbolic", _ ("No Agents Yet"),
                  _ ("Create an agent, or a team of agents, to chat with."),
                  _ ("_Create an Agent"));
  else if (users->len == 0)
    show_missing (self, CONFAB_SECTION_USERS, "confab-users-symbolic", _ ("No Users Yet"),
                  _ ("Every chat belongs to a user of the workspace. Add one first."),
                  _ ("_Add a User"));
  else if (self->checks->len == 1)
    /* Nothing to choose: the only one is the answer. */
    gtk_check_button_set_active (g_ptr_array_index (self->checks, 0), TRUE);

  update_start (self);
}

static void
start_clicked_cb (ConfabNewChatDialog *self)
{
  GtkCheckButton *check = checked_peer (self);
  const char     *user_id = confab_new_chat_dialog_get_user_id (self);

  if (check == NULL || user_id == NULL)
    return;

  /* Keep the dialog alive through the handlers. */
  g_object_ref (self);
  g_signal_emit (self, signals[START], 0, user_id, g_object_get_data (G_OBJECT (check), "agent-id"),
                 g_object_get_data (G_OBJECT (check), "team-id"));
  gtk_window_destroy (GTK_WINDOW (self));
  g_object_unref (self);
}

static void
missing_clicked_cb (ConfabNewChatDialog *self)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  if (parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), "win.select-section", "i",
                                (int) self->missing_section);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
confab_new_chat_dialog_dispose (GObject *object)
{
  ConfabNewChatDialog *self = CONFAB_NEW_CHAT_DIALOG (object);

  g_clear_object (&self->database);
  if (self->checks != NULL)
    g_ptr_array_set_size (self->checks, 0);

  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_NEW_CHAT_DIALOG);

  G_OBJECT_CLASS (confab_new_chat_dialog_parent_class)->dispose (object);
}

static void
confab_new_chat_dialog_finalize (GObject *object)
{
  ConfabNewChatDialog *self = CONFAB_NEW_CHAT_DIALOG (object);

  g_clear_pointer (&self->user_ids, g_ptr_array_unref);
  g_clear_pointer (&self->checks, g_ptr_array_unref);

  G_OBJECT_CLASS (confab_new_chat_dialog_parent_class)->finalize (object);
}

static void
confab_new_chat_dialog_class_init (ConfabNewChatDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_new_chat_dialog_dispose;
  object_class->finalize = confab_new_chat_dialog_finalize;

  /**
   * ConfabNewChatDialog::start:
   * @user_id: who chats
   * @agent_id: (nullable): the agent to chat with
   * @team_id: (nullable): or the team
   */
  signals[START] =
      g_signal_new ("start", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-new-chat-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabNewChatDialog, start_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabNewChatDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabNewChatDialog, user_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabNewChatDialog, agent_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabNewChatDialog, agent_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabNewChatDialog, team_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabNewChatDialog, team_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabNewChatDialog, missing_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabNewChatDialog, missing_button);
  gtk_widget_class_bind_template_callback (widget_class, start_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, missing_clicked_cb);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_new_chat_dialog_init (ConfabNewChatDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->user_ids = g_ptr_array_new_with_free_func (g_free);
  self->checks = g_ptr_array_new ();
  g_signal_connect_object (self->user_row, "notify::selected", G_CALLBACK (update_start), self,
                           G_CONNECT_SWAPPED);
}

/**
 * confab_new_chat_dialog_new:
 * @parent: (nullable): the window it belongs to
 * @database: the workspace
 * @user_id: (nullable): the user picked at first (the acting user)
 *
 * Returns: (transfer floating): a new dialog, not yet shown
 */
GtkWidget *
confab_new_chat_dialog_new (GtkWindow *parent, ConfabDatabase *database, const char *user_id)
{
  ConfabNewChatDialog *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (CONFAB_IS_DATABASE (database), NULL);

  self = g_object_new (CONFAB_TYPE_NEW_CHAT_DIALOG, "transient-for", parent, NULL);
  self->database = g_object_ref (database);
  load (self, user_id);
  return GTK_WIDGET (self);
}

gboolean
confab_new_chat_dialog_select_peer (ConfabNewChatDialog *self,
                                    const char          *agent_id,
                                    const char          *team_id)
{
  g_return_val_if_fail (CONFAB_IS_NEW_CHAT_DIALOG (self), FALSE);

  for (guint i = 0; i < self->checks->len; i++)
    {
      GObject    *check = g_ptr_array_index (self->checks, i);
      const char *agent = g_object_get_data (check, "agent-id");
      const char *team = g_object_get_data (check, "team-id");

      if ((agent_id != NULL && g_strcmp0 (agent, agent_id) == 0) ||
          (team_id != NULL && g_strcmp0 (team, team_id) == 0))
        {
          gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
          return TRUE;
        }
    }
  return FALSE;
}

const char *
confab_new_chat_dialog_get_user_id (ConfabNewChatDialog *self)
{
  guint selected;

  g_return_val_if_fail (CONFAB_IS_NEW_CHAT_DIALOG (self), NULL);

  selected = adw_combo_row_get_selected (self->user_row);
  if (selected >= self->user_ids->len)
    return NULL;
  return g_ptr_array_index (self->user_ids, selected);
}

gboolean
confab_new_chat_dialog_set_user_id (ConfabNewChatDialog *self, const char *user_id)
{
  g_return_val_if_fail (CONFAB_IS_NEW_CHAT_DIALOG (self), FALSE);

  for (guint i = 0; i < self->user_ids->len; i++)
    if (g_strcmp0 (g_ptr_array_index (self->user_ids, i), user_id) == 0)
      {
        adw_combo_row_set_selected (self->user_row, i);
        return TRUE;
      }
  return FALSE;
}

GtkButton *
confab_new_chat_dialog_get_start_button (ConfabNewChatDialog *self)
{
  g_return_val_if_fail (CONFAB_IS_NEW_CHAT_DIALOG (self), NULL);

  return self->start_button;
}
