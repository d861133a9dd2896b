/* confab-prompt-version-row.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-prompt-common.h"
#include "confab-prompt-version-row.h"

struct _ConfabPromptVersionRow
{
  AdwBin parent_instance;

  GtkLabel  *number_label;
  GtkLabel  *message_label;
  GtkLabel  *meta_label;
  GtkWidget *badges_box;

  ConfabPromptVersion *version;
};

G_DEFINE_FINAL_TYPE (ConfabPromptVersionRow, confab_prompt_version_row, ADW_TYPE_BIN)

static void
confab_prompt_version_row_dispose (GObject *object)
{
  ConfabPromptVersionRow *self = CONFAB_PROMPT_VERSION_ROW (object);

  g_clear_object (&self->version);

  G_OBJECT_CLASS (confab_prompt_version_row_parent_class)->dispose (object);
}

static void
confab_prompt_version_row_class_init (ConfabPromptVersionRowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_prompt_version_row_dispose;

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-prompt-version-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionRow, number_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionRow, message_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionRow, meta_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptVersionRow, badges_box);
}

static void
confab_prompt_version_row_init (ConfabPromptVersionRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  confab_prompt_ensure_style ();
}

GtkWidget *
confab_prompt_version_row_new (void)
{
  return g_object_new (CONFAB_TYPE_PROMPT_VERSION_ROW, NULL);
}

ConfabPromptVersion *
confab_prompt_version_row_get_version (ConfabPromptVersionRow *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSION_ROW (self), NULL);

  return self->version;
}

void
confab_prompt_version_row_set_version (ConfabPromptVersionRow *self,
                                       ConfabPromptVersion    *version,
                                       const char             *author,
                                       const char *const      *labels)
{
  g_autofree char *number = NULL;
  g_autofree char *when = NULL;
  g_autofree char *meta = NULL;
  g_autofree char *accessible = NULL;
  const char      *message;

  g_return_if_fail (CONFAB_IS_PROMPT_VERSION_ROW (self));

  g_set_object (&self->version, version);
  if (version == NULL)
    return;

  number = g_strdup_printf ("v%d", confab_prompt_version_get_version (version));
  gtk_label_set_label (self->number_label, number);
  message = confab_prompt_version_get_message (version);
  if (message == NULL || *message == '\0')
    message = _ ("No message");
  gtk_label_set_label (self->message_label, message);
  when = confab_prompt_format_day (confab_entity_get_created_at (CONFAB_ENTITY (version)));
  /* The day first: it is what tells versions apart in a narrow list. */
  meta = author != NULL ? g_strdup_printf (_ ("%s · %s"), when, author) : g_strdup (when);
  gtk_label_set_label (self->meta_label, meta);
  confab_prompt_fill_badges (self->badges_box, labels, NULL);

  /* Translators: a version in the versions list, for screen readers */
  accessible =
      g_strdup_printf (_ ("Version %d: %s"), confab_prompt_version_get_version (version), message);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
}

char *
confab_prompt_version_row_dup_badges (ConfabPromptVersionRow *self)
{
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSION_ROW (self), NULL);

  for (GtkWidget *child = gtk_widget_get_first_child (self->badges_box); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (text->len > 0)
        g_string_append_c (text, ' ');
      g_string_append (text, gtk_label_get_label (GTK_LABEL (child)));
    }
  return g_string_free (text, FALSE);
}
