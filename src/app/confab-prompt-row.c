/* confab-prompt-row.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-prompt-common.h"
#include "confab-prompt-library.h"
#include "confab-prompt-row.h"

struct _ConfabPromptRow
{
  AdwBin parent_instance;

  GtkWidget *header_box;
  GtkLabel  *header_label;
  GtkLabel  *name_label;
  GtkLabel  *version_label;
  GtkLabel  *description_label;
  GtkWidget *badges_box;
  GtkLabel  *tags_label;

  ConfabPrompt *prompt;
  char         *header;
  char        **labels;
};

G_DEFINE_FINAL_TYPE (ConfabPromptRow, confab_prompt_row, ADW_TYPE_BIN)

static void
update_badges (ConfabPromptRow *self)
{
  g_auto (GStrv) tags = self->prompt ? confab_prompt_dup_tags (self->prompt) : NULL;
  g_autoptr (GString) text = g_string_new (NULL);

  confab_prompt_fill_badges (self->badges_box, (const char *const *) self->labels, NULL);
  /* Tags read as hashtags, quieter than labels, which say where a version is used. */
  for (guint i = 0; tags != NULL && tags[i] != NULL; i++)
    g_string_append_printf (text, "%s#%s", i > 0 ? " " : "", tags[i]);
  gtk_label_set_label (self->tags_label, text->str);
  gtk_widget_set_visible (GTK_WIDGET (self->tags_label), text->len > 0);
  gtk_widget_set_visible (gtk_widget_get_parent (self->badges_box),
                          text->len > 0 || gtk_widget_get_visible (self->badges_box));
}

static void
update (ConfabPromptRow *self)
{
  g_autofree char *leaf = NULL;
  const char      *description;

  if (self->prompt == NULL)
    return;
  confab_prompt_library_split_name (confab_prompt_get_name (self->prompt), NULL, &leaf);
  gtk_label_set_label (self->name_label, leaf);
  description = confab_prompt_get_description (self->prompt);
  gtk_label_set_label (self->description_label, description ? description : "");
  gtk_widget_set_visible (GTK_WIDGET (self->description_label),
                          description != NULL && *description != '\0');
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  confab_prompt_get_name (self->prompt), -1);
  update_badges (self);
}

static void
confab_prompt_row_dispose (GObject *object)
{
  ConfabPromptRow *self = CONFAB_PROMPT_ROW (object);

  confab_prompt_row_set_prompt (self, NULL);

  G_OBJECT_CLASS (confab_prompt_row_parent_class)->dispose (object);
}

static void
confab_prompt_row_finalize (GObject *object)
{
  ConfabPromptRow *self = CONFAB_PROMPT_ROW (object);

  g_free (self->header);
  g_strfreev (self->labels);

  G_OBJECT_CLASS (confab_prompt_row_parent_class)->finalize (object);
}

static void
confab_prompt_row_class_init (ConfabPromptRowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_prompt_row_dispose;
  object_class->finalize = confab_prompt_row_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-prompt-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRow, header_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRow, header_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRow, version_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRow, description_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRow, badges_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRow, tags_label);
}

static void
confab_prompt_row_init (ConfabPromptRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  confab_prompt_ensure_style ();
}

GtkWidget *
confab_prompt_row_new (void)
{
  return g_object_new (CONFAB_TYPE_PROMPT_ROW, NULL);
}

ConfabPrompt *
confab_prompt_row_get_prompt (ConfabPromptRow *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_ROW (self), NULL);

  return self->prompt;
}

void
confab_prompt_row_set_prompt (ConfabPromptRow *self, ConfabPrompt *prompt)
{
  g_return_if_fail (CONFAB_IS_PROMPT_ROW (self));

  if (self->prompt == prompt)
    return;
  if (self->prompt != NULL)
    g_signal_handlers_disconnect_by_func (self->prompt, update, self);
  g_set_object (&self->prompt, prompt);
  if (prompt != NULL)
    {
      /* A reload updates the objects the list holds: rename, new tags. */
      g_signal_connect_object (prompt, "notify", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
      update (self);
    }
}

void
confab_prompt_row_set_header (ConfabPromptRow *self, const char *folder)
{
  g_return_if_fail (CONFAB_IS_PROMPT_ROW (self));

  g_free (self->header);
  self->header = g_strdup (folder);
  gtk_label_set_label (self->header_label, folder ? folder : "");
  gtk_widget_set_visible (self->header_box, folder != NULL);
}

const char *
confab_prompt_row_get_header (ConfabPromptRow *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_ROW (self), NULL);

  return self->header;
}

void
confab_prompt_row_set_details (ConfabPromptRow *self, const char *const *labels, int latest_version)
{
  g_autofree char *number = NULL;

  g_return_if_fail (CONFAB_IS_PROMPT_ROW (self));

  g_strfreev (self->labels);
  self->labels = g_strdupv ((char **) labels);
  if (latest_version > 0)
    {
      g_autofree char *tooltip =
          g_strdup_printf (ngettext ("%d version", "%d versions", latest_version), latest_version);

      number = g_strdup_printf ("v%d", latest_version);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->version_label), tooltip);
    }
  gtk_label_set_label (self->version_label, number ? number : "");
  gtk_widget_set_visible (GTK_WIDGET (self->version_label), number != NULL);
  update_badges (self);
}

char *
confab_prompt_row_dup_badges (ConfabPromptRow *self)
{
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (CONFAB_IS_PROMPT_ROW (self), NULL);

  for (GtkWidget *child = gtk_widget_get_first_child (self->badges_box); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (text->len > 0)
        g_string_append_c (text, ' ');
      g_string_append (text, gtk_label_get_label (GTK_LABEL (child)));
    }
  if (gtk_widget_get_visible (GTK_WIDGET (self->tags_label)))
    g_string_append_printf (text, "%s%s", text->len > 0 ? " " : "",
                            gtk_label_get_label (self->tags_label));
  return g_string_free (text, FALSE);
}
