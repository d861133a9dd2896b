/* confab-prompt-import-report.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-prompt-common.h"
#include "confab-prompt-files.h"
#include "confab-prompt-import-report.h"

struct _ConfabPromptImportReport
{
  AdwWindow parent_instance;

  AdwWindowTitle *window_title;
  GtkLabel       *summary_label;
  GtkStack       *stack;
  GtkListBox     *list_box;
};

G_DEFINE_FINAL_TYPE (ConfabPromptImportReport, confab_prompt_import_report, ADW_TYPE_WINDOW)

static void
confab_prompt_import_report_class_init (ConfabPromptImportReportClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-prompt-import-report.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptImportReport, window_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptImportReport, summary_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptImportReport, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptImportReport, list_box);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_prompt_import_report_init (ConfabPromptImportReport *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  confab_prompt_ensure_style ();
}

static GtkWidget *
item_row_new (ConfabPromptImportItem *item)
{
  GtkWidget       *row = adw_action_row_new ();
  GtkWidget       *icon;
  g_autofree char *title = NULL;
  const char      *icon_name;
  const char      *tooltip;

  if (item->name != NULL && item->version > 0)
    /* Translators: a prompt and one of its versions in an import report */
    title = g_strdup_printf (_ ("%s, version %d"), item->name, item->version);
  else
    title = g_strdup (item->name != NULL ? item->name : item->source);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), item->detail ? item->detail : "");

  switch (item->action)
    {
    case CONFAB_PROMPT_IMPORT_CREATED:
      icon_name = "list-add-symbolic";
      tooltip = _ ("Created");
      break;
    case CONFAB_PROMPT_IMPORT_UPDATED:
      icon_name = "view-refresh-symbolic";
      tooltip = _ ("Updated");
      break;
    case CONFAB_PROMPT_IMPORT_SKIPPED:
    default:
      icon_name = item->problem ? "dialog-warning-symbolic" : "emblem-ok-symbolic";
      tooltip = item->problem ? _ ("Skipped") : _ ("Already there");
      break;
    }
  icon = gtk_image_new_from_icon_name (icon_name);
  gtk_widget_set_tooltip_text (icon, tooltip);
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip,
                                  -1);
  if (item->action == CONFAB_PROMPT_IMPORT_CREATED)
    gtk_widget_add_css_class (icon, "success");
  else if (item->problem)
    gtk_widget_add_css_class (icon, "warning");
  else
    gtk_widget_add_css_class (icon, "dim-label");
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
  if (item->source != NULL && item->name != NULL)
    gtk_widget_set_tooltip_text (row, item->source);
  return row;
}

GtkWidget *
confab_prompt_import_report_new (GtkWindow *parent, const char *source_name, GPtrArray *report)
{
  ConfabPromptImportReport *self =
      g_object_new (CONFAB_TYPE_PROMPT_IMPORT_REPORT, "transient-for", parent, "modal", TRUE, NULL);
  guint            created, updated, skipped;
  g_autofree char *summary = NULL;
  g_autofree char *created_text = NULL;
  g_autofree char *updated_text = NULL;
  g_autofree char *skipped_text = NULL;

  adw_window_title_set_subtitle (self->window_title, source_name);
  /* The problem flag only tells skipped items apart. */
  created = confab_prompt_import_count (report, CONFAB_PROMPT_IMPORT_CREATED, FALSE);
  updated = confab_prompt_import_count (report, CONFAB_PROMPT_IMPORT_UPDATED, FALSE);
  skipped = confab_prompt_import_count (report, CONFAB_PROMPT_IMPORT_SKIPPED, FALSE) +
            confab_prompt_import_count (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE);
  created_text = g_strdup_printf (ngettext ("%u created", "%u created", created), created);
  updated_text = g_strdup_printf (ngettext ("%u updated", "%u updated", updated), updated);
  skipped_text = g_strdup_printf (ngettext ("%u skipped", "%u skipped", skipped), skipped);
  /* Translators: "3 created, 1 updated, 2 skipped" */
  summary = g_strdup_printf (_ ("%s, %s, %s"), created_text, updated_text, skipped_text);
  gtk_label_set_label (self->summary_label, summary);

  /* Problems first: they are what needs doing. */
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; report != NULL && i < report->len; i++)
      {
        ConfabPromptImportItem *item = g_ptr_array_index (report, i);

        if ((pass == 0) == (item->problem != FALSE))
          gtk_list_box_append (self->list_box, item_row_new (item));
      }
  gtk_stack_set_visible_child_name (self->stack,
                                    report != NULL && report->len > 0 ? "report" : "empty");
  return GTK_WIDGET (self);
}

const char *
confab_prompt_import_report_get_summary (ConfabPromptImportReport *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_IMPORT_REPORT (self), NULL);

  return gtk_label_get_label (self->summary_label);
}
