/* confab-prompt-editor.c
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
#include "confab-template.h"

struct _ConfabPromptEditor
{
  AdwWindow parent_instance;

  AdwWindowTitle *window_title;
  GtkSourceView  *body_view;
  GtkWidget      *body_card;
  GtkLabel       *body_error;
  GtkLabel       *variables_label;
  AdwComboRow    *provider_row;
  AdwEntryRow    *model_row;
  GtkSpinButton  *temperature_spin;
  GtkSpinButton  *max_tokens_spin;
  AdwEntryRow    *message_row;
  GtkWidget      *save_button;

  ConfabDatabase      *db;
  ConfabPrompt        *prompt;
  ConfabPromptVersion *base;
  GPtrArray           *provider_ids; /* index in provider_row - 1 -> id */
  gboolean             body_valid;
  gboolean             closing;
};

G_DEFINE_FINAL_TYPE (ConfabPromptEditor, confab_prompt_editor, ADW_TYPE_WINDOW)

enum
{
  SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static char *
dup_body (ConfabPromptEditor *self)
{
  return confab_prompt_text_view_dup_text (GTK_TEXT_VIEW (self->body_view));
}

static void
show_body_error (ConfabPromptEditor *self, const char *message)
{
  gtk_label_set_label (self->body_error, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->body_error), message != NULL);
  if (message != NULL)
    gtk_widget_add_css_class (self->body_card, "error");
  else
    gtk_widget_remove_css_class (self->body_card, "error");
}

static const char *
chosen_provider_id (ConfabPromptEditor *self)
{
  guint selected = adw_combo_row_get_selected (self->provider_row);

  if (selected == 0 || selected == GTK_INVALID_LIST_POSITION || selected > self->provider_ids->len)
    return NULL;
  return g_ptr_array_index (self->provider_ids, selected - 1);
}

static gboolean
is_dirty (ConfabPromptEditor *self)
{
  g_autofree char *body = dup_body (self);
  const char      *model = gtk_editable_get_text (GTK_EDITABLE (self->model_row));
  const char      *base_model;

  if (self->base == NULL)
    return *body != '\0';
  base_model = confab_prompt_version_get_model (self->base);
  return g_strcmp0 (body, confab_prompt_version_get_body (self->base)) != 0 ||
         g_strcmp0 (chosen_provider_id (self),
                    confab_prompt_version_get_provider_id (self->base)) != 0 ||
         g_strcmp0 (model, base_model ? base_model : "") != 0 ||
         ABS (gtk_spin_button_get_value (self->temperature_spin) -
              confab_prompt_version_get_temperature (self->base)) > 0.001 ||
         gtk_spin_button_get_value_as_int (self->max_tokens_spin) !=
             confab_prompt_version_get_max_tokens (self->base);
}

static void
validate (ConfabPromptEditor *self)
{
  g_autofree char *body = dup_body (self);
  g_autofree char *message =
      g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->message_row))));
  g_autoptr (GPtrArray) variables = NULL;
  g_autoptr (GError) error = NULL;

  self->body_valid = FALSE;
  gtk_widget_set_visible (GTK_WIDGET (self->variables_label), FALSE);
  if (*body == '\0')
    show_body_error (self, _ ("A version needs a text."));
  else if ((variables = confab_template_detect_variables (body, &error)) == NULL)
    show_body_error (self, error->message);
  else
    {
      g_autoptr (GString) names = g_string_new (NULL);

      self->body_valid = TRUE;
      show_body_error (self, NULL);
      for (guint i = 0; i < variables->len; i++)
        {
          ConfabTemplateVariable *variable = g_ptr_array_index (variables, i);

          g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", variable->name);
        }
      if (names->len > 0)
        {
          g_autofree char *text = g_strdup_printf (_ ("Variables: %s"), names->str);

          gtk_label_set_label (self->variables_label, text);
          gtk_widget_set_visible (GTK_WIDGET (self->variables_label), TRUE);
        }
    }
  gtk_widget_set_sensitive (self->save_button, self->body_valid && *message != '\0');
}

gboolean
confab_prompt_editor_save (ConfabPromptEditor *self)
{
  g_autoptr (ConfabPromptVersion) draft = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *body = NULL;
  g_autofree char *message = NULL;
  g_autofree char *model = NULL;
  g_autofree char *actor_id = NULL;

  g_return_val_if_fail (CONFAB_IS_PROMPT_EDITOR (self), FALSE);

  validate (self);
  if (self->db == NULL || self->prompt == NULL || !gtk_widget_get_sensitive (self->save_button))
    {
      if (self->body_valid)
        gtk_widget_grab_focus (GTK_WIDGET (self->message_row));
      return FALSE;
    }

  body = dup_body (self);
  message = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->message_row))));
  model = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->model_row))));
  actor_id = confab_acting_user_dup_id (self->db);

  draft = confab_prompt_version_new (confab_entity_get_id (CONFAB_ENTITY (self->prompt)), body);
  confab_prompt_version_set_message (draft, message);
  confab_prompt_version_set_author_id (draft, actor_id);
  confab_prompt_version_set_provider_id (draft, chosen_provider_id (self));
  confab_prompt_version_set_model (draft, *model != '\0' ? model : NULL);
  confab_prompt_version_set_temperature (draft, gtk_spin_button_get_value (self->temperature_spin));
  confab_prompt_version_set_max_tokens (draft,
                                        gtk_spin_button_get_value_as_int (self->max_tokens_spin));

  if (!confab_prompt_library_save (self->db, draft, &error))
    {
      /* Nothing changed, or the text is not a valid template: both are
       * about the text. */
      show_body_error (self, error->message);
      gtk_widget_grab_focus (GTK_WIDGET (self->body_view));
      return FALSE;
    }

  g_signal_emit (self, signals[SAVED], 0, draft);
  self->closing = TRUE;
  gtk_window_destroy (GTK_WINDOW (self));
  return TRUE;
}

static void
save_clicked_cb (ConfabPromptEditor *self)
{
  confab_prompt_editor_save (self);
}

static void
save_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  confab_prompt_editor_save (CONFAB_PROMPT_EDITOR (widget));
}

static void
cancel_clicked_cb (ConfabPromptEditor *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
discard_response_cb (AdwMessageDialog *dialog, const char *response, ConfabPromptEditor *self)
{
  if (g_strcmp0 (response, "discard") == 0)
    {
      self->closing = TRUE;
      gtk_window_destroy (GTK_WINDOW (self));
    }
}

static gboolean
confab_prompt_editor_close_request (GtkWindow *window)
{
  ConfabPromptEditor *self = CONFAB_PROMPT_EDITOR (window);
  AdwMessageDialog   *dialog;

  if (self->closing || !is_dirty (self))
    return GTK_WINDOW_CLASS (confab_prompt_editor_parent_class)->close_request (window);

  dialog = ADW_MESSAGE_DIALOG (
      adw_message_dialog_new (window, _ ("Discard the New Version?"),
                              _ ("The changes are not saved: they would be lost.")));
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Keep Editing"), "discard",
                                    _ ("_Discard"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (discard_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  return TRUE;
}

static void
confab_prompt_editor_dispose (GObject *object)
{
  ConfabPromptEditor *self = CONFAB_PROMPT_EDITOR (object);

  g_clear_object (&self->db);
  g_clear_object (&self->prompt);
  g_clear_object (&self->base);

  G_OBJECT_CLASS (confab_prompt_editor_parent_class)->dispose (object);
}

static void
confab_prompt_editor_finalize (GObject *object)
{
  ConfabPromptEditor *self = CONFAB_PROMPT_EDITOR (object);

  g_ptr_array_unref (self->provider_ids);

  G_OBJECT_CLASS (confab_prompt_editor_parent_class)->finalize (object);
}

static void
confab_prompt_editor_class_init (ConfabPromptEditorClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = confab_prompt_editor_dispose;
  object_class->finalize = confab_prompt_editor_finalize;
  window_class->close_request = confab_prompt_editor_close_request;

  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, CONFAB_TYPE_PROMPT_VERSION);

  g_type_ensure (GTK_SOURCE_TYPE_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-prompt-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptEditor, window_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptEditor, body_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptEditor, body_card);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptEditor, body_error);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptEditor, variables_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptEditor, provider_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptEditor, model_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptEditor, temperature_spin);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptEditor, max_tokens_spin);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptEditor, message_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptEditor, save_button);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, validate);

  gtk_widget_class_install_action (widget_class, "editor.save", NULL, save_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "editor.save",
                                       NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_prompt_editor_init (ConfabPromptEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  confab_prompt_ensure_style ();
  self->provider_ids = g_ptr_array_new_with_free_func (g_free);
  confab_prompt_source_view_setup (self->body_view);
  g_signal_connect_object (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->body_view)), "changed",
                           G_CALLBACK (validate), self, G_CONNECT_SWAPPED);
}

static void
load_providers (ConfabPromptEditor *self, const char *selected_id)
{
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr (GPtrArray) providers = NULL;
  guint selected = 0;

  gtk_string_list_append (names, _ ("None: the agent’s own"));
  providers = confab_repository_list (self->db, CONFAB_TYPE_PROVIDER, NULL, NULL, NULL);
  for (guint i = 0; providers != NULL && i < providers->len; i++)
    {
      ConfabProvider *provider = g_ptr_array_index (providers, i);
      const char     *id = confab_entity_get_id (CONFAB_ENTITY (provider));

      gtk_string_list_append (names, confab_provider_get_name (provider));
      g_ptr_array_add (self->provider_ids, g_strdup (id));
      if (g_strcmp0 (id, selected_id) == 0)
        selected = i + 1;
    }
  if (selected_id != NULL && selected == 0)
    {
      /* Deleted since: kept so saving does not drop it silently. */
      gtk_string_list_append (names, _ ("A deleted provider"));
      g_ptr_array_add (self->provider_ids, g_strdup (selected_id));
      selected = self->provider_ids->len;
    }
  adw_combo_row_set_model (self->provider_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->provider_row, selected);
}

ConfabPromptEditor *
confab_prompt_editor_new (GtkWindow           *parent,
                          ConfabDatabase      *db,
                          ConfabPrompt        *prompt,
                          ConfabPromptVersion *base)
{
  ConfabPromptEditor *self =
      g_object_new (CONFAB_TYPE_PROMPT_EDITOR, "transient-for", parent, "modal", TRUE, NULL);
  g_autofree char *subtitle = NULL;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), self);
  g_return_val_if_fail (CONFAB_IS_PROMPT (prompt), self);

  self->db = g_object_ref (db);
  self->prompt = g_object_ref (prompt);
  self->base = base ? g_object_ref (base) : NULL;

  if (base != NULL)
    /* Translators: the editor's subtitle: a prompt and the version it starts from */
    subtitle = g_strdup_printf (_ ("%s, from version %d"), confab_prompt_get_name (prompt),
                                confab_prompt_version_get_version (base));
  else
    subtitle = g_strdup (confab_prompt_get_name (prompt));
  adw_window_title_set_subtitle (self->window_title, subtitle);

  load_providers (self, base ? confab_prompt_version_get_provider_id (base) : NULL);
  if (base != NULL)
    {
      const char *model = confab_prompt_version_get_model (base);

      gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->body_view)),
                                confab_prompt_version_get_body (base), -1);
      gtk_editable_set_text (GTK_EDITABLE (self->model_row), model ? model : "");
      gtk_spin_button_set_value (self->temperature_spin,
                                 confab_prompt_version_get_temperature (base));
      gtk_spin_button_set_value (self->max_tokens_spin,
                                 confab_prompt_version_get_max_tokens (base));
    }
  validate (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->body_view));
  return self;
}

GtkWidget *
confab_prompt_editor_get_field (ConfabPromptEditor *self, const char *name)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_EDITOR (self), NULL);

  if (g_strcmp0 (name, "body") == 0)
    return GTK_WIDGET (self->body_view);
  if (g_strcmp0 (name, "message") == 0)
    return GTK_WIDGET (self->message_row);
  if (g_strcmp0 (name, "model") == 0)
    return GTK_WIDGET (self->model_row);
  if (g_strcmp0 (name, "provider") == 0)
    return GTK_WIDGET (self->provider_row);
  if (g_strcmp0 (name, "temperature") == 0)
    return GTK_WIDGET (self->temperature_spin);
  if (g_strcmp0 (name, "max-tokens") == 0)
    return GTK_WIDGET (self->max_tokens_spin);
  if (g_strcmp0 (name, "body-error") == 0)
    return GTK_WIDGET (self->body_error);
  if (g_strcmp0 (name, "save") == 0)
    return self->save_button;
  return NULL;
}
