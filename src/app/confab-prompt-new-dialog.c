/* confab-prompt-new-dialog.c
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
#include "confab-prompt-library.h"
#include "confab-prompt-new-dialog.h"
#include "confab-template.h"

struct _ConfabPromptNewDialog
{
  AdwWindow parent_instance;

  AdwEntryRow   *name_row;
  AdwEntryRow   *description_row;
  AdwEntryRow   *tags_row;
  GtkLabel      *name_error;
  GtkSourceView *body_view;
  GtkLabel      *body_error;
  GtkLabel      *variables_label;
  GtkWidget     *create_button;

  ConfabDatabase *db;
  gboolean        body_valid;
};

G_DEFINE_FINAL_TYPE (ConfabPromptNewDialog, confab_prompt_new_dialog, ADW_TYPE_WINDOW)

enum
{
  CREATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
set_error (GtkWidget *row, GtkLabel *label, const char *message)
{
  gtk_label_set_label (label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
  if (row == NULL)
    return;
  if (message != NULL)
    gtk_widget_add_css_class (row, "error");
  else
    gtk_widget_remove_css_class (row, "error");
}

static char *
dup_stripped (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

static void
validate (ConfabPromptNewDialog *self)
{
  g_autofree char *name = dup_stripped (self->name_row);
  g_autofree char *body = confab_prompt_text_view_dup_text (GTK_TEXT_VIEW (self->body_view));
  g_autoptr (GPtrArray) variables = NULL;
  g_autoptr (GError) error = NULL;

  self->body_valid = FALSE;
  if (*body == '\0')
    {
      set_error (NULL, self->body_error, NULL);
      gtk_widget_set_visible (GTK_WIDGET (self->variables_label), FALSE);
    }
  else if ((variables = confab_template_detect_variables (body, &error)) == NULL)
    {
      set_error (NULL, self->body_error, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->variables_label), FALSE);
    }
  else
    {
      g_autoptr (GString) names = g_string_new (NULL);

      self->body_valid = TRUE;
      set_error (NULL, self->body_error, NULL);
      for (guint i = 0; i < variables->len; i++)
        {
          ConfabTemplateVariable *variable = g_ptr_array_index (variables, i);

          g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", variable->name);
        }
      if (names->len > 0)
        {
          g_autofree char *text = g_strdup_printf (_ ("Variables: %s"), names->str);

          gtk_label_set_label (self->variables_label, text);
        }
      gtk_widget_set_visible (GTK_WIDGET (self->variables_label), names->len > 0);
    }
  gtk_widget_set_sensitive (self->create_button, *name != '\0' && self->body_valid);
}

static void
name_changed_cb (ConfabPromptNewDialog *self)
{
  set_error (GTK_WIDGET (self->name_row), self->name_error, NULL);
  validate (self);
}

static char **
split_tags (const char *text)
{
  g_auto (GStrv) parts = g_strsplit (text ? text : "", ",", -1);
  g_autoptr (GPtrArray) tags = g_ptr_array_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    {
      char    *tag = g_strstrip (parts[i]);
      gboolean seen = FALSE;

      for (guint j = 0; j < tags->len; j++)
        seen = seen || g_strcmp0 (g_ptr_array_index (tags, j), tag) == 0;
      if (*tag != '\0' && !seen)
        g_ptr_array_add (tags, g_strdup (tag));
    }
  g_ptr_array_add (tags, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&tags), FALSE);
}

gboolean
confab_prompt_new_dialog_create (ConfabPromptNewDialog *self)
{
  g_autofree char *name = NULL;
  g_autofree char *description = NULL;
  g_autofree char *tags_text = NULL;
  g_autofree char *body = NULL;
  g_autofree char *actor_id = NULL;
  g_auto (GStrv) tags = NULL;
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (ConfabPromptVersion) first = NULL;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (CONFAB_IS_PROMPT_NEW_DIALOG (self), FALSE);

  validate (self);
  if (self->db == NULL || !gtk_widget_get_sensitive (self->create_button))
    return FALSE;

  name = dup_stripped (self->name_row);
  description = dup_stripped (self->description_row);
  tags_text = dup_stripped (self->tags_row);
  tags = split_tags (tags_text);
  body = confab_prompt_text_view_dup_text (GTK_TEXT_VIEW (self->body_view));
  actor_id = confab_acting_user_dup_id (self->db);

  prompt = confab_prompt_new (name);
  confab_prompt_set_description (prompt, description);
  confab_prompt_set_tags (prompt, (const char *const *) tags);
  confab_prompt_set_owner_id (prompt, actor_id);
  first = confab_prompt_version_new (NULL, body);
  confab_prompt_version_set_message (first, _ ("First version"));
  confab_prompt_version_set_author_id (first, actor_id);

  if (!confab_prompt_library_add (self->db, prompt, first, &error))
    {
      /* The text was checked as typed: what is left is about the name
       * (taken, or not a valid name). */
      set_error (GTK_WIDGET (self->name_row), self->name_error, error->message);
      gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
      return FALSE;
    }

  g_signal_emit (self, signals[CREATED], 0, prompt);
  gtk_window_destroy (GTK_WINDOW (self));
  return TRUE;
}

static void
create_clicked_cb (ConfabPromptNewDialog *self)
{
  confab_prompt_new_dialog_create (self);
}

static void
cancel_clicked_cb (ConfabPromptNewDialog *self)
{
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
confab_prompt_new_dialog_dispose (GObject *object)
{
  ConfabPromptNewDialog *self = CONFAB_PROMPT_NEW_DIALOG (object);

  g_clear_object (&self->db);

  G_OBJECT_CLASS (confab_prompt_new_dialog_parent_class)->dispose (object);
}

static void
confab_prompt_new_dialog_class_init (ConfabPromptNewDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_prompt_new_dialog_dispose;

  signals[CREATED] = g_signal_new ("created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 1, CONFAB_TYPE_PROMPT);

  g_type_ensure (GTK_SOURCE_TYPE_VIEW);
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-prompt-new-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptNewDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptNewDialog, description_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptNewDialog, tags_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptNewDialog, name_error);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptNewDialog, body_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptNewDialog, body_error);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptNewDialog, variables_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptNewDialog, create_button);
  gtk_widget_class_bind_template_callback (widget_class, name_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, validate);
  gtk_widget_class_bind_template_callback (widget_class, create_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_prompt_new_dialog_init (ConfabPromptNewDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  confab_prompt_ensure_style ();
  confab_prompt_source_view_setup (self->body_view);
  g_signal_connect_object (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->body_view)), "changed",
                           G_CALLBACK (validate), self, G_CONNECT_SWAPPED);
  validate (self);
}

ConfabPromptNewDialog *
confab_prompt_new_dialog_new (GtkWindow *parent, ConfabDatabase *db, const char *folder)
{
  ConfabPromptNewDialog *self =
      g_object_new (CONFAB_TYPE_PROMPT_NEW_DIALOG, "transient-for", parent, "modal", TRUE, NULL);

  self->db = db ? g_object_ref (db) : NULL;
  if (folder != NULL && *folder != '\0')
    {
      g_autofree char *prefix = g_strconcat (folder, "/", NULL);

      gtk_editable_set_text (GTK_EDITABLE (self->name_row), prefix);
    }
  return self;
}

GtkWidget *
confab_prompt_new_dialog_get_field (ConfabPromptNewDialog *self, const char *name)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_NEW_DIALOG (self), NULL);

  if (g_strcmp0 (name, "name") == 0)
    return GTK_WIDGET (self->name_row);
  if (g_strcmp0 (name, "description") == 0)
    return GTK_WIDGET (self->description_row);
  if (g_strcmp0 (name, "tags") == 0)
    return GTK_WIDGET (self->tags_row);
  if (g_strcmp0 (name, "body") == 0)
    return GTK_WIDGET (self->body_view);
  if (g_strcmp0 (name, "name-error") == 0)
    return GTK_WIDGET (self->name_error);
  if (g_strcmp0 (name, "body-error") == 0)
    return GTK_WIDGET (self->body_error);
  if (g_strcmp0 (name, "create") == 0)
    return self->create_button;
  return NULL;
}
