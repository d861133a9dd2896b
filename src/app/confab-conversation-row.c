/* confab-conversation-row.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-conversation-row.h"

/* The row follows its conversation: the list updates the objects it holds
 * in place, so a rename or a new message shows without a rebind. */
struct _ConfabConversationRow
{
  AdwBin parent_instance;

  /* Template widgets */
  GtkLabel   *title_label;
  GtkLabel   *subtitle_label;
  GtkLabel   *time_label;
  GtkLabel   *status_label;
  GtkSpinner *spinner;

  GtkWidget          *popover;
  ConfabConversation *conversation;
  char               *peer;
  gboolean            streaming;
};

G_DEFINE_FINAL_TYPE (ConfabConversationRow, confab_conversation_row, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_CONVERSATION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

char *
confab_conversation_row_format_time (GDateTime *when, GDateTime *now)
{
  g_autoptr (GDateTime) local = NULL;
  g_autoptr (GDateTime) today = NULL;
  GTimeSpan age;
  int       days;

  g_return_val_if_fail (now != NULL, NULL);

  if (when == NULL)
    return g_strdup ("");

  local = g_date_time_to_timezone (when, g_date_time_get_timezone (now));
  age = g_date_time_difference (now, local);
  today =
      g_date_time_new (g_date_time_get_timezone (now), g_date_time_get_year (now),
                       g_date_time_get_month (now), g_date_time_get_day_of_month (now), 0, 0, 0);

  if (age < G_TIME_SPAN_MINUTE)
    return g_strdup (_ ("Now"));
  if (age < G_TIME_SPAN_HOUR)
    {
      int minutes = (int) (age / G_TIME_SPAN_MINUTE);

      /* Translators: how long ago a chat moved, in a narrow column */
      return g_strdup_printf (ngettext ("%d min", "%d min", minutes), minutes);
    }
  if (g_date_time_compare (local, today) >= 0)
    /* Translators: the time of a chat today; see g_date_time_format() */
    return g_date_time_format (local, C_ ("chat time", "%H:%M"));

  /* Whole days before today's midnight: 0 is yesterday. */
  days = (int) (g_date_time_difference (today, local) / G_TIME_SPAN_DAY);
  if (days == 0)
    return g_strdup (_ ("Yesterday"));
  if (days < 6)
    /* Translators: the weekday of a chat this week; see g_date_time_format() */
    return g_date_time_format (local, C_ ("chat time", "%a"));
  if (g_date_time_get_year (local) == g_date_time_get_year (now))
    /* Translators: the date of a chat this year; see g_date_time_format() */
    return g_date_time_format (local, C_ ("chat time", "%-d %b"));
  /* Translators: the date of a chat in an earlier year; see g_date_time_format() */
  return g_date_time_format (local, C_ ("chat time", "%-d %b %Y"));
}

static GDateTime *
parse_time (const char *iso8601)
{
  g_autoptr (GDateTime) utc = NULL;

  if (iso8601 == NULL)
    return NULL;
  utc = g_date_time_new_from_iso8601 (iso8601, NULL);
  return utc != NULL ? g_date_time_to_local (utc) : NULL;
}

void
confab_conversation_row_update_time (ConfabConversationRow *self)
{
  g_autoptr (GDateTime) now = NULL;
  g_autoptr (GDateTime) when = NULL;
  g_autofree char *text = NULL;
  g_autofree char *tooltip = NULL;

  g_return_if_fail (CONFAB_IS_CONVERSATION_ROW (self));

  if (self->conversation != NULL)
    when = parse_time (confab_entity_get_updated_at (CONFAB_ENTITY (self->conversation)));
  if (when != NULL)
    {
      now = g_date_time_new_now_local ();
      text = confab_conversation_row_format_time (when, now);
      /* Translators: the full date and time a chat last moved; see g_date_time_format() */
      tooltip = g_date_time_format (when, C_ ("chat time", "%A, %-d %B %Y, %H:%M"));
    }
  gtk_label_set_label (self->time_label, text != NULL ? text : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->time_label), tooltip);
}

static void
update_title (ConfabConversationRow *self)
{
  const char *title = NULL;

  if (self->conversation != NULL)
    title = confab_conversation_get_title (self->conversation);
  if (title != NULL && *title != '\0')
    {
      gtk_label_set_label (self->title_label, title);
      gtk_widget_remove_css_class (GTK_WIDGET (self->title_label), "dim-label");
    }
  else
    {
      gtk_label_set_label (self->title_label, _ ("New Chat"));
      gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "dim-label");
    }
}

static void
update_status (ConfabConversationRow *self)
{
  const char *status =
      self->conversation ? confab_conversation_get_status (self->conversation) : NULL;
  GtkWidget  *label = GTK_WIDGET (self->status_label);
  const char *text = NULL;
  gboolean    archived = g_strcmp0 (status, "archived") == 0;

  gtk_widget_remove_css_class (label, "warning");
  gtk_widget_remove_css_class (label, "dim-label");
  if (g_strcmp0 (status, "escalated") == 0)
    {
      /* Translators: a chat a person was asked to take over */
      text = C_ ("chat status", "Escalated");
      gtk_widget_add_css_class (label, "warning");
    }
  else if (archived)
    {
      text = C_ ("chat status", "Archived");
      gtk_widget_add_css_class (label, "dim-label");
    }
  else if (g_strcmp0 (status, "ended") == 0)
    {
      text = C_ ("chat status", "Ended");
      gtk_widget_add_css_class (label, "dim-label");
    }

  gtk_label_set_label (self->status_label, text != NULL ? text : "");
  gtk_widget_set_visible (label, text != NULL);
  /* An archived chat steps back without hiding what it is. */
  gtk_widget_set_opacity (GTK_WIDGET (self->title_label), archived ? 0.55 : 1.0);
}

static void
update_accessible_label (ConfabConversationRow *self)
{
  g_autofree char *label = NULL;

  label = g_strjoin (", ", gtk_label_get_label (self->title_label),
                     self->peer != NULL ? self->peer : "", gtk_label_get_label (self->time_label),
                     gtk_widget_get_visible (GTK_WIDGET (self->status_label))
                         ? gtk_label_get_label (self->status_label)
                         : "",
                     NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

static void
conversation_notify_cb (ConfabConversationRow *self, GParamSpec *pspec)
{
  update_title (self);
  update_status (self);
  confab_conversation_row_update_time (self);
  update_accessible_label (self);
}

static void
confab_conversation_row_dispose (GObject *object)
{
  ConfabConversationRow *self = CONFAB_CONVERSATION_ROW (object);

  g_clear_pointer (&self->popover, gtk_widget_unparent);
  g_clear_object (&self->conversation);

  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_CONVERSATION_ROW);

  G_OBJECT_CLASS (confab_conversation_row_parent_class)->dispose (object);
}

static void
confab_conversation_row_finalize (GObject *object)
{
  ConfabConversationRow *self = CONFAB_CONVERSATION_ROW (object);

  g_clear_pointer (&self->peer, g_free);

  G_OBJECT_CLASS (confab_conversation_row_parent_class)->finalize (object);
}

static void
confab_conversation_row_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  ConfabConversationRow *self = CONFAB_CONVERSATION_ROW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_row_set_property (GObject      *object,
                                      guint         prop_id,
                                      const GValue *value,
                                      GParamSpec   *pspec)
{
  ConfabConversationRow *self = CONFAB_CONVERSATION_ROW (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      confab_conversation_row_set_conversation (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_conversation_row_class_init (ConfabConversationRowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_conversation_row_dispose;
  object_class->finalize = confab_conversation_row_finalize;
  object_class->get_property = confab_conversation_row_get_property;
  object_class->set_property = confab_conversation_row_set_property;

  properties[PROP_CONVERSATION] =
      g_param_spec_object ("conversation", NULL, NULL, CONFAB_TYPE_CONVERSATION,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-conversation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, subtitle_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabConversationRow, spinner);
}

static void
confab_conversation_row_init (ConfabConversationRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
confab_conversation_row_new (void)
{
  return g_object_new (CONFAB_TYPE_CONVERSATION_ROW, NULL);
}

ConfabConversation *
confab_conversation_row_get_conversation (ConfabConversationRow *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_ROW (self), NULL);

  return self->conversation;
}

void
confab_conversation_row_set_conversation (ConfabConversationRow *self,
                                          ConfabConversation    *conversation)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_ROW (self));
  g_return_if_fail (conversation == NULL || CONFAB_IS_CONVERSATION (conversation));

  if (self->conversation == conversation)
    return;

  if (self->conversation != NULL)
    g_signal_handlers_disconnect_by_func (self->conversation, conversation_notify_cb, self);
  g_set_object (&self->conversation, conversation);
  if (conversation != NULL)
    {
      g_signal_connect_object (conversation, "notify::title", G_CALLBACK (conversation_notify_cb),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (conversation, "notify::status", G_CALLBACK (conversation_notify_cb),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (conversation, "notify::updated-at",
                               G_CALLBACK (conversation_notify_cb), self, G_CONNECT_SWAPPED);
    }
  conversation_notify_cb (self, NULL);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}

void
confab_conversation_row_set_peer (ConfabConversationRow *self, const char *peer)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_ROW (self));

  if (g_strcmp0 (self->peer, peer) == 0)
    return;
  g_free (self->peer);
  self->peer = g_strdup (peer);
  gtk_label_set_label (self->subtitle_label, peer != NULL ? peer : "");
  update_accessible_label (self);
}

gboolean
confab_conversation_row_get_streaming (ConfabConversationRow *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_ROW (self), FALSE);

  return self->streaming;
}

void
confab_conversation_row_set_streaming (ConfabConversationRow *self, gboolean streaming)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_ROW (self));

  streaming = !!streaming;
  if (self->streaming == streaming)
    return;
  self->streaming = streaming;
  gtk_spinner_set_spinning (self->spinner, streaming);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), streaming);
}

void
confab_conversation_row_popup_menu (ConfabConversationRow *self,
                                    GMenuModel            *menu,
                                    double                 x,
                                    double                 y)
{
  GdkRectangle rect = { (int) x, (int) y, 1, 1 };

  g_return_if_fail (CONFAB_IS_CONVERSATION_ROW (self));
  g_return_if_fail (G_IS_MENU_MODEL (menu));

  if (self->popover == NULL)
    {
      self->popover = gtk_popover_menu_new_from_model (menu);
      gtk_widget_set_parent (self->popover, GTK_WIDGET (self));
      gtk_popover_set_has_arrow (GTK_POPOVER (self->popover), FALSE);
      gtk_widget_set_halign (self->popover, GTK_ALIGN_START);
    }
  else
    gtk_popover_menu_set_menu_model (GTK_POPOVER_MENU (self->popover), menu);

  if (x < 0 || y < 0)
    gtk_popover_set_pointing_to (GTK_POPOVER (self->popover), NULL);
  else
    gtk_popover_set_pointing_to (GTK_POPOVER (self->popover), &rect);
  gtk_popover_popup (GTK_POPOVER (self->popover));
}

GtkLabel *
confab_conversation_row_get_title_label (ConfabConversationRow *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_ROW (self), NULL);

  return self->title_label;
}

GtkLabel *
confab_conversation_row_get_status_label (ConfabConversationRow *self)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_ROW (self), NULL);

  return self->status_label;
}
