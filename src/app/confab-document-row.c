/* confab-document-row.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-document-row.h"

struct _ConfabDocumentRow
{
  AdwActionRow parent_instance;

  GtkImage   *icon;
  GtkSpinner *spinner;
  GtkLabel   *status_label;
  GtkWidget  *delete_button;

  ConfabDatabase *db;
  ConfabDocument *document;
  gulong          notify_id;
};

G_DEFINE_FINAL_TYPE (ConfabDocumentRow, confab_document_row, ADW_TYPE_ACTION_ROW)

enum
{
  DELETE_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Status tags, as the agent type tags. Kept here rather than in style.css
 * as only the document rows use them. */
static const char document_css[] = ".confab-document-tag {"
                                   "  padding: 1px 7px;"
                                   "  border-radius: 9999px;"
                                   "  font-size: smaller;"
                                   "  font-weight: bold;"
                                   "  color: alpha(currentColor, 0.7);"
                                   "  background-color: alpha(currentColor, 0.08);"
                                   "}"
                                   ".confab-document-tag.indexed {"
                                   "  color: @success_color;"
                                   "  background-color: alpha(@success_color, 0.15);"
                                   "}"
                                   ".confab-document-tag.failed {"
                                   "  color: @error_color;"
                                   "  background-color: alpha(@error_color, 0.15);"
                                   "}";

static void
ensure_style (void)
{
  static GdkDisplay *styled;
  GdkDisplay        *display = gdk_display_get_default ();
  g_autoptr (GtkCssProvider) provider = NULL;

  if (display == NULL || display == styled)
    return;
  styled = display;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (provider, document_css, -1);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

const char *
confab_document_type_label (const char *content_type)
{
  if (g_strcmp0 (content_type, "text/markdown") == 0)
    return C_ ("document type", "Markdown");
  if (g_strcmp0 (content_type, "text/html") == 0)
    return C_ ("document type", "HTML");
  if (g_strcmp0 (content_type, "application/pdf") == 0)
    return C_ ("document type", "PDF");
  if (g_strcmp0 (content_type, "text/plain") == 0)
    return C_ ("document type", "Text");
  return content_type != NULL ? content_type : C_ ("document type", "Unknown type");
}

static const char *
status_label (const char *status)
{
  if (g_strcmp0 (status, "uploaded") == 0)
    return C_ ("document status", "Uploaded");
  if (g_strcmp0 (status, "processing") == 0)
    return C_ ("document status", "Processing");
  if (g_strcmp0 (status, "indexed") == 0)
    return C_ ("document status", "Indexed");
  if (g_strcmp0 (status, "failed") == 0)
    return C_ ("document status", "Failed");
  return status != NULL ? status : "";
}

static const char *
icon_for (const char *content_type)
{
  if (g_strcmp0 (content_type, "application/pdf") == 0)
    return "x-office-document-symbolic";
  if (g_strcmp0 (content_type, "text/html") == 0)
    return "text-html-symbolic";
  return "text-x-generic-symbolic";
}

void
confab_document_row_refresh (ConfabDocumentRow *self)
{
  static const char *const classes[] = { "uploaded", "processing", "indexed", "failed" };
  const char              *status;
  const char              *content_type;
  const char              *error;
  g_autofree char         *size = NULL;
  g_autofree char         *subtitle = NULL;

  g_return_if_fail (CONFAB_IS_DOCUMENT_ROW (self));

  if (self->document == NULL)
    return;

  status = confab_document_get_status (self->document);
  content_type = confab_document_get_content_type (self->document);
  error = confab_document_get_error (self->document);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self),
                                 confab_document_get_filename (self->document));
  gtk_image_set_from_icon_name (self->icon, icon_for (content_type));
  gtk_label_set_text (self->status_label, status_label (status));
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    {
      if (g_strcmp0 (status, classes[i]) == 0)
        gtk_widget_add_css_class (GTK_WIDGET (self->status_label), classes[i]);
      else
        gtk_widget_remove_css_class (GTK_WIDGET (self->status_label), classes[i]);
    }
  gtk_spinner_set_spinning (self->spinner, g_strcmp0 (status, "processing") == 0 ||
                                               g_strcmp0 (status, "uploaded") == 0);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), gtk_spinner_get_spinning (self->spinner));

  if (g_strcmp0 (status, "failed") == 0)
    subtitle = g_strdup (error != NULL && *error != '\0' ? error : _ ("The import failed"));
  else
    {
      size = g_format_size (MAX (confab_document_get_size_bytes (self->document), 0));
      if (g_strcmp0 (status, "indexed") == 0 && self->db != NULL)
        {
          gint64 n =
              confab_repository_count (self->db, CONFAB_TYPE_CHUNK, "document_id",
                                       confab_entity_get_id (CONFAB_ENTITY (self->document)), NULL);
          g_autofree char *passages = g_strdup_printf (
              ngettext ("%'d passage", "%'d passages", MAX (n, 0)), (int) MAX (n, 0));

          subtitle = g_strdup_printf ("%s · %s · %s", confab_document_type_label (content_type),
                                      size, passages);
        }
      else
        subtitle = g_strdup_printf ("%s · %s", confab_document_type_label (content_type), size);
    }
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), subtitle);
}

static void
delete_clicked_cb (ConfabDocumentRow *self)
{
  g_signal_emit (self, signals[DELETE_REQUESTED], 0);
}

static void
confab_document_row_dispose (GObject *object)
{
  ConfabDocumentRow *self = CONFAB_DOCUMENT_ROW (object);

  if (self->document != NULL)
    g_clear_signal_handler (&self->notify_id, self->document);
  g_clear_object (&self->document);
  g_clear_object (&self->db);

  G_OBJECT_CLASS (confab_document_row_parent_class)->dispose (object);
}

static void
confab_document_row_class_init (ConfabDocumentRowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_document_row_dispose;

  signals[DELETE_REQUESTED] = g_signal_new ("delete-requested", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-document-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabDocumentRow, icon);
  gtk_widget_class_bind_template_child (widget_class, ConfabDocumentRow, spinner);
  gtk_widget_class_bind_template_child (widget_class, ConfabDocumentRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabDocumentRow, delete_button);
  gtk_widget_class_bind_template_callback (widget_class, delete_clicked_cb);
}

static void
confab_document_row_init (ConfabDocumentRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ensure_style ();
}

GtkWidget *
confab_document_row_new (ConfabDatabase *db, ConfabDocument *document)
{
  ConfabDocumentRow *self;
  g_autofree char   *label = NULL;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (CONFAB_IS_DOCUMENT (document), NULL);

  self = g_object_new (CONFAB_TYPE_DOCUMENT_ROW, NULL);
  self->db = g_object_ref (db);
  self->document = g_object_ref (document);
  self->notify_id = g_signal_connect_object (
      document, "notify", G_CALLBACK (confab_document_row_refresh), self, G_CONNECT_SWAPPED);
  /* Translators: the delete button of a document; %s is its file name */
  label = g_strdup_printf (_ ("Delete %s"), confab_document_get_filename (document));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->delete_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  confab_document_row_refresh (self);
  return GTK_WIDGET (self);
}

ConfabDocument *
confab_document_row_get_document (ConfabDocumentRow *self)
{
  g_return_val_if_fail (CONFAB_IS_DOCUMENT_ROW (self), NULL);

  return self->document;
}

const char *
confab_document_row_get_status (ConfabDocumentRow *self)
{
  g_return_val_if_fail (CONFAB_IS_DOCUMENT_ROW (self), NULL);

  return gtk_label_get_text (self->status_label);
}

GtkWidget *
confab_document_row_get_delete_button (ConfabDocumentRow *self)
{
  g_return_val_if_fail (CONFAB_IS_DOCUMENT_ROW (self), NULL);

  return self->delete_button;
}
