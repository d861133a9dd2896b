/* confab-agent-text-view.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include "confab-agent-text-view.h"

struct _ConfabAgentTextView
{
  GtkTextView parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabAgentTextView, confab_agent_text_view, GTK_TYPE_TEXT_VIEW)

static GtkSizeRequestMode
confab_agent_text_view_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

/* The text laid out as the view wraps it, at that width. */
static int
height_for_width (GtkTextView *view, int width)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  g_autoptr (PangoLayout) layout = NULL;
  g_autofree char *text = NULL;
  GtkTextIter      start, end;
  int              text_width;
  int              height = 0;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  /* A last empty line is a line too. */
  if (*text == '\0' || g_str_has_suffix (text, "\n"))
    {
      char *longer = g_strconcat (text, " ", NULL);

      g_free (text);
      text = longer;
    }

  text_width = width - gtk_text_view_get_left_margin (view) - gtk_text_view_get_right_margin (view);
  layout = gtk_widget_create_pango_layout (GTK_WIDGET (view), text);
  pango_layout_set_width (layout, MAX (text_width, 1) * PANGO_SCALE);
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_get_pixel_size (layout, NULL, &height);
  return height + gtk_text_view_get_top_margin (view) + gtk_text_view_get_bottom_margin (view);
}

static void
confab_agent_text_view_measure (GtkWidget     *widget,
                                GtkOrientation orientation,
                                int            for_size,
                                int           *minimum,
                                int           *natural,
                                int           *minimum_baseline,
                                int           *natural_baseline)
{
  GTK_WIDGET_CLASS (confab_agent_text_view_parent_class)
      ->measure (widget, orientation, for_size, minimum, natural, minimum_baseline,
                 natural_baseline);
  if (orientation == GTK_ORIENTATION_VERTICAL && for_size > 0)
    {
      int height = height_for_width (GTK_TEXT_VIEW (widget), for_size);

      *minimum = height;
      *natural = height;
    }
}

/* Some containers ask for a height without a width (or with another one
 * than they then give): once the width is known, the height it needs
 * becomes the minimum, which every container honours. */
static void
confab_agent_text_view_size_allocate (GtkWidget *widget, int width, int height, int baseline)
{
  int needed = height_for_width (GTK_TEXT_VIEW (widget), width);
  int requested;

  GTK_WIDGET_CLASS (confab_agent_text_view_parent_class)
      ->size_allocate (widget, width, height, baseline);
  gtk_widget_get_size_request (widget, NULL, &requested);
  if (needed != requested)
    gtk_widget_set_size_request (widget, -1, needed);
}

static void
confab_agent_text_view_class_init (ConfabAgentTextViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->get_request_mode = confab_agent_text_view_get_request_mode;
  widget_class->measure = confab_agent_text_view_measure;
  widget_class->size_allocate = confab_agent_text_view_size_allocate;
}

static void
buffer_changed_cb (GtkWidget *self)
{
  gtk_widget_queue_resize (self);
}

static void
confab_agent_text_view_init (ConfabAgentTextView *self)
{
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (self), GTK_WRAP_WORD_CHAR);
  g_signal_connect_object (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self)), "changed",
                           G_CALLBACK (buffer_changed_cb), self, G_CONNECT_SWAPPED);
}

GtkWidget *
confab_agent_text_view_new (void)
{
  return g_object_new (CONFAB_TYPE_AGENT_TEXT_VIEW, NULL);
}
