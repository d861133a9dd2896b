/* confab-prompt-common.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-page.h"
#include "confab-prompt-common.h"

void
confab_prompt_ensure_style (void)
{
  static GdkDisplay *styled;
  GdkDisplay        *display = gdk_display_get_default ();
  g_autoptr (GtkCssProvider) provider = NULL;

  if (display == NULL || display == styled)
    return;
  styled = display;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_resource (provider, "/io/github/confab/Confab/confab-prompts.css");
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

GtkWidget *
confab_prompt_badge_new (const char *text, gboolean is_tag)
{
  GtkWidget *badge = gtk_label_new (text);

  gtk_widget_add_css_class (badge, "prompt-badge");
  gtk_widget_set_valign (badge, GTK_ALIGN_CENTER);
  /* Whole up to 16 characters, however tight the row: a label must read. */
  gtk_label_set_ellipsize (GTK_LABEL (badge), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (badge), 16);
  gtk_label_set_width_chars (GTK_LABEL (badge), (int) MIN (g_utf8_strlen (text, -1), 16));
  if (is_tag)
    gtk_widget_add_css_class (badge, "tag");
  else if (g_strcmp0 (text, CONFAB_PROMPT_LABEL_LATEST) == 0)
    gtk_widget_add_css_class (badge, "latest");
  else if (g_strcmp0 (text, "production") == 0 || g_strcmp0 (text, "prod") == 0)
    gtk_widget_add_css_class (badge, "production");
  else if (g_strcmp0 (text, "staging") == 0)
    gtk_widget_add_css_class (badge, "staging");
  else
    gtk_widget_add_css_class (badge, "label");
  return badge;
}

void
confab_prompt_remove_children (GtkWidget *box)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (box)) != NULL)
    {
      if (GTK_IS_BOX (box))
        gtk_box_remove (GTK_BOX (box), child);
      else if (GTK_IS_FLOW_BOX (box))
        gtk_flow_box_remove (GTK_FLOW_BOX (box), child);
      else if (GTK_IS_LIST_BOX (box))
        gtk_list_box_remove (GTK_LIST_BOX (box), child);
      else if (GTK_IS_GRID (box))
        gtk_grid_remove (GTK_GRID (box), child);
      else
        gtk_widget_unparent (child);
    }
}

void
confab_prompt_fill_badges (GtkWidget *box, const char *const *labels, const char *const *tags)
{
  gboolean any = FALSE;

  confab_prompt_remove_children (box);
  for (guint i = 0; labels != NULL && labels[i] != NULL; i++, any = TRUE)
    gtk_box_append (GTK_BOX (box), confab_prompt_badge_new (labels[i], FALSE));
  for (guint i = 0; tags != NULL && tags[i] != NULL; i++, any = TRUE)
    gtk_box_append (GTK_BOX (box), confab_prompt_badge_new (tags[i], TRUE));
  gtk_widget_set_visible (box, any);
}

char *
confab_prompt_format_date (const char *iso)
{
  g_autoptr (GDateTime) when = NULL;
  g_autoptr (GDateTime) local = NULL;

  if (iso == NULL)
    return g_strdup ("");
  when = g_date_time_new_from_iso8601 (iso, NULL);
  if (when == NULL)
    return g_strdup (iso);
  local = g_date_time_to_local (when);
  /* Translators: when a prompt version was saved; see g_date_time_format() */
  return g_date_time_format (local, C_ ("prompt date", "%-d %b %Y, %H:%M"));
}

char *
confab_prompt_format_day (const char *iso)
{
  g_autoptr (GDateTime) when = iso ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr (GDateTime) local = NULL;

  if (when == NULL)
    return g_strdup (iso ? iso : "");
  local = g_date_time_to_local (when);
  /* Translators: the day a prompt version was saved; see g_date_time_format() */
  return g_date_time_format (local, C_ ("prompt date", "%-d %b %Y"));
}

char *
confab_prompt_dup_user_name (ConfabDatabase *db, const char *user_id)
{
  g_autoptr (ConfabUser) user = NULL;
  const char *name;

  if (db == NULL || user_id == NULL || *user_id == '\0')
    return NULL;
  user = confab_repository_get (db, CONFAB_TYPE_USER, user_id, NULL);
  if (user == NULL)
    return NULL;
  name = confab_user_get_name (user);
  if (name == NULL || *name == '\0')
    name = confab_user_get_username (user);
  return g_strdup (name);
}

char *
confab_prompt_format_latency (gint64 latency_ms)
{
  if (latency_ms < 0)
    return g_strdup ("—");
  if (latency_ms < 1000)
    /* Translators: a duration in milliseconds */
    return g_strdup_printf (_ ("%d ms"), (int) latency_ms);
  /* Translators: a duration in seconds, with one decimal */
  return g_strdup_printf (_ ("%.1f s"), latency_ms / 1000.0);
}

static ConfabPage *
find_page (GtkWidget *widget)
{
  GtkWidget *page = gtk_widget_get_ancestor (widget, CONFAB_TYPE_PAGE);

  return page != NULL ? CONFAB_PAGE (page) : NULL;
}

void
confab_prompt_toast (GtkWidget *widget, const char *message)
{
  ConfabPage *page = find_page (widget);

  if (page != NULL)
    confab_page_toast (page, message);
  else
    g_message ("%s", message);
}

void
confab_prompt_toast_error (GtkWidget *widget, const GError *error)
{
  ConfabPage *page = find_page (widget);

  if (page != NULL)
    confab_page_toast_error (page, error);
  else
    g_message ("%s", error->message);
}

/* Prompt text views */

static void
update_scheme (GtkSourceView *view)
{
  GtkSourceStyleSchemeManager *manager = gtk_source_style_scheme_manager_get_default ();
  gboolean                     dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GtkSourceBuffer *buffer = GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (view)));
  GtkSourceStyleScheme *scheme;
  GtkTextTag           *tag;
  GdkRGBA               color;

  scheme = gtk_source_style_scheme_manager_get_scheme (manager, dark ? "Adwaita-dark" : "Adwaita");
  if (scheme != NULL)
    gtk_source_buffer_set_style_scheme (buffer, scheme);

  tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (GTK_TEXT_BUFFER (buffer)),
                                   "placeholder");
  /* The accent blue of libadwaita, a little lighter on dark. */
  gdk_rgba_parse (&color, dark ? "#78aeed" : "#1c71d8");
  g_object_set (tag, "foreground-rgba", &color, NULL);
  color.alpha = 0.12;
  g_object_set (tag, "background-rgba", &color, NULL);
}

static void
tint_placeholders (GtkTextBuffer *buffer)
{
  GtkTextIter      start, end;
  g_autofree char *text = NULL;
  const char      *p;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  gtk_text_buffer_remove_tag_by_name (buffer, "placeholder", &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, TRUE);

  /* Every {{…}} on one line; the template engine says what is valid. */
  for (p = strstr (text, "{{"); p != NULL; p = strstr (p, "{{"))
    {
      const char *close = strstr (p + 2, "}}");
      const char *newline = strchr (p, '\n');
      GtkTextIter from, to;

      if (close == NULL)
        break;
      if (newline != NULL && newline < close)
        {
          p = newline;
          continue;
        }
      gtk_text_buffer_get_iter_at_offset (buffer, &from, (int) g_utf8_pointer_to_offset (text, p));
      gtk_text_buffer_get_iter_at_offset (buffer, &to,
                                          (int) g_utf8_pointer_to_offset (text, close + 2));
      gtk_text_buffer_apply_tag_by_name (buffer, "placeholder", &from, &to);
      p = close + 2;
    }
}

void
confab_prompt_source_view_setup (GtkSourceView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));

  gtk_text_buffer_create_tag (buffer, "placeholder", "weight", PANGO_WEIGHT_BOLD, NULL);
  g_signal_connect (buffer, "changed", G_CALLBACK (tint_placeholders), NULL);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (update_scheme), view, G_CONNECT_SWAPPED);
  update_scheme (view);
}

char *
confab_prompt_text_view_dup_text (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter    start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, TRUE);
}

void
confab_prompt_foreach_descendant (GtkWidget *root, GType type, GFunc func, gpointer user_data)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (G_TYPE_CHECK_INSTANCE_TYPE (child, type))
        func (child, user_data);
      else
        confab_prompt_foreach_descendant (child, type, func, user_data);
    }
}
