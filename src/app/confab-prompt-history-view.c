/* confab-prompt-history-view.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-prompt-common.h"
#include "confab-prompt-history-view.h"
#include "confab-prompt-library.h"

struct _ConfabPromptHistoryView
{
  AdwBin parent_instance;

  GtkStack   *stack;
  GtkListBox *list_box;

  ConfabDatabase *db;
  ConfabPrompt   *prompt;
  gulong          changed_id;
  guint           reload_source;
};

G_DEFINE_FINAL_TYPE (ConfabPromptHistoryView, confab_prompt_history_view, ADW_TYPE_BIN)

static const char *
icon_for (ConfabAuditEntry *entry)
{
  const char *entity = confab_audit_entry_get_entity (entry);
  const char *action = confab_audit_entry_get_action (entry);

  if (g_strcmp0 (action, "label") == 0)
    return "bookmark-new-symbolic";
  if (g_strcmp0 (action, "rollback") == 0)
    return "edit-undo-symbolic";
  if (g_strcmp0 (action, "delete") == 0)
    return "user-trash-symbolic";
  if (g_strcmp0 (entity, "prompt_test_case") == 0)
    return "emblem-ok-symbolic";
  if (g_strcmp0 (entity, "prompt_version") == 0)
    return "document-save-symbolic";
  if (g_strcmp0 (action, "create") == 0)
    return "document-new-symbolic";
  return "document-edit-symbolic";
}

static void
reload (ConfabPromptHistoryView *self)
{
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GError) error = NULL;

  g_clear_handle_id (&self->reload_source, g_source_remove);
  confab_prompt_remove_children (GTK_WIDGET (self->list_box));
  if (self->db == NULL || self->prompt == NULL)
    return;

  entries = confab_prompt_library_history (
      self->db, confab_entity_get_id (CONFAB_ENTITY (self->prompt)), &error);
  if (entries == NULL)
    {
      /* Deleted meanwhile: the page shows that. */
      if (!g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
        confab_prompt_toast_error (GTK_WIDGET (self), error);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  for (guint i = 0; i < entries->len; i++)
    {
      ConfabAuditEntry *entry = g_ptr_array_index (entries, i);
      const char       *actor_id = confab_audit_entry_get_actor_id (entry);
      g_autofree char  *title = confab_prompt_library_describe_entry (entry);
      g_autofree char  *when = confab_prompt_format_date (confab_audit_entry_get_at (entry));
      g_autofree char  *subtitle = NULL;
      const char       *who = NULL;
      GtkWidget        *row = adw_action_row_new ();
      GtkWidget        *icon = gtk_image_new_from_icon_name (icon_for (entry));

      if (actor_id != NULL)
        {
          who = g_hash_table_lookup (names, actor_id);
          if (who == NULL)
            {
              char *name = confab_prompt_dup_user_name (self->db, actor_id);

              if (name != NULL)
                g_hash_table_insert (names, g_strdup (actor_id), name);
              who = name;
            }
        }
      /* Translators: who did something, and when: "Maya · 12 Nov 2026, 16:00" */
      subtitle = who != NULL ? g_strdup_printf (_ ("%s · %s"), who, when) : g_strdup (when);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 3);
      gtk_widget_add_css_class (icon, "dim-label");
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
      gtk_list_box_append (self->list_box, row);
    }
  gtk_stack_set_visible_child_name (self->stack, entries->len > 0 ? "history" : "empty");
}

static gboolean
reload_cb (gpointer data)
{
  ConfabPromptHistoryView *self = data;

  self->reload_source = 0;
  reload (self);
  return G_SOURCE_REMOVE;
}

static void
db_changed_cb (ConfabDatabase          *db,
               const char              *table,
               const char              *id,
               const char              *action,
               ConfabPromptHistoryView *self)
{
  if (!g_str_has_prefix (table, "prompt") || g_str_equal (table, "prompt_runs"))
    return;
  /* Many changes come together (a save and its labels): one reload. */
  if (self->reload_source == 0)
    self->reload_source = g_idle_add (reload_cb, self);
}

static void
confab_prompt_history_view_dispose (GObject *object)
{
  ConfabPromptHistoryView *self = CONFAB_PROMPT_HISTORY_VIEW (object);

  confab_prompt_history_view_set_prompt (self, NULL, NULL);

  G_OBJECT_CLASS (confab_prompt_history_view_parent_class)->dispose (object);
}

static void
confab_prompt_history_view_class_init (ConfabPromptHistoryViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_prompt_history_view_dispose;

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-prompt-history-view.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptHistoryView, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptHistoryView, list_box);
}

static void
confab_prompt_history_view_init (ConfabPromptHistoryView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
confab_prompt_history_view_new (void)
{
  return g_object_new (CONFAB_TYPE_PROMPT_HISTORY_VIEW, NULL);
}

void
confab_prompt_history_view_set_prompt (ConfabPromptHistoryView *self,
                                       ConfabDatabase          *db,
                                       ConfabPrompt            *prompt)
{
  g_return_if_fail (CONFAB_IS_PROMPT_HISTORY_VIEW (self));

  if (self->db != NULL)
    g_clear_signal_handler (&self->changed_id, self->db);
  g_clear_handle_id (&self->reload_source, g_source_remove);
  g_set_object (&self->db, db);
  g_set_object (&self->prompt, prompt);
  if (db != NULL && prompt != NULL)
    self->changed_id = g_signal_connect_object (db, "changed", G_CALLBACK (db_changed_cb), self, 0);
  if (db == NULL)
    g_clear_object (&self->prompt);
  reload (self);
}

char *
confab_prompt_history_view_dup_text (ConfabPromptHistoryView *self)
{
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (CONFAB_IS_PROMPT_HISTORY_VIEW (self), NULL);

  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->list_box)); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (ADW_IS_PREFERENCES_ROW (row))
      g_string_append_printf (text, "%s\n",
                              adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)));
  return g_string_free (text, FALSE);
}
