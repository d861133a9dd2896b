/* confab-escalation-row.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-escalation-row.h"

struct _ConfabEscalationRow
{
  AdwBin parent_instance;

  GtkLabel *title_label;
  GtkLabel *status_label;
  GtkLabel *reason_label;
  GtkLabel *meta_label;

  ConfabDatabase   *db;
  ConfabEscalation *escalation;
  char             *me_id;
  gulong            notify_id;
};

G_DEFINE_FINAL_TYPE (ConfabEscalationRow, confab_escalation_row, ADW_TYPE_BIN)

/* Status tags: a tinted pill per status, as the agent type tags. Kept here
 * rather than in style.css as only the escalation widgets use them. */
static const char escalation_css[] = ".confab-escalation-tag {"
                                     "  padding: 1px 7px;"
                                     "  border-radius: 9999px;"
                                     "  font-size: smaller;"
                                     "  font-weight: bold;"
                                     "}"
                                     ".confab-escalation-tag.pending {"
                                     "  color: @warning_color;"
                                     "  background-color: alpha(@warning_color, 0.15);"
                                     "}"
                                     ".confab-escalation-tag.assigned {"
                                     "  color: @accent_color;"
                                     "  background-color: alpha(@accent_color, 0.15);"
                                     "}"
                                     ".confab-escalation-tag.resolved {"
                                     "  color: @success_color;"
                                     "  background-color: alpha(@success_color, 0.15);"
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
  gtk_css_provider_load_from_data (provider, escalation_css, -1);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

/* Shared with the page */

static char *
dup_name (ConfabDatabase *db, GType type, const char *id)
{
  g_autoptr (ConfabEntity) entity = NULL;

  if (id == NULL)
    return NULL;
  entity = confab_repository_get (db, type, id, NULL);
  if (entity == NULL)
    return NULL;
  if (CONFAB_IS_AGENT (entity))
    return g_strdup (confab_agent_get_name (CONFAB_AGENT (entity)));
  if (CONFAB_IS_TEAM (entity))
    return g_strdup (confab_team_get_name (CONFAB_TEAM (entity)));
  if (CONFAB_IS_USER (entity))
    {
      const char *name = confab_user_get_name (CONFAB_USER (entity));

      return g_strdup (
          name != NULL && *name != '\0' ? name : confab_user_get_username (CONFAB_USER (entity)));
    }
  return NULL;
}

void
confab_escalation_info_load (ConfabEscalationInfo *info,
                             ConfabDatabase       *db,
                             ConfabEscalation     *escalation)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  const char *title = NULL;

  g_return_if_fail (info != NULL);
  g_return_if_fail (CONFAB_IS_DATABASE (db));
  g_return_if_fail (CONFAB_IS_ESCALATION (escalation));

  confab_escalation_info_clear (info);
  conversation = confab_repository_get (db, CONFAB_TYPE_CONVERSATION,
                                        confab_escalation_get_conversation_id (escalation), NULL);
  if (conversation != NULL)
    {
      title = confab_conversation_get_title (conversation);
      info->peer =
          dup_name (db, CONFAB_TYPE_AGENT, confab_conversation_get_agent_id (conversation));
      if (info->peer == NULL)
        info->peer =
            dup_name (db, CONFAB_TYPE_TEAM, confab_conversation_get_team_id (conversation));
    }
  info->title = g_strdup (title != NULL && *title != '\0' ? title : _ ("Untitled Conversation"));
  info->supporter =
      dup_name (db, CONFAB_TYPE_USER, confab_escalation_get_supporter_id (escalation));
}

void
confab_escalation_info_clear (ConfabEscalationInfo *info)
{
  g_return_if_fail (info != NULL);

  g_clear_pointer (&info->title, g_free);
  g_clear_pointer (&info->peer, g_free);
  g_clear_pointer (&info->supporter, g_free);
}

const char *
confab_escalation_status_label (const char *status)
{
  if (g_strcmp0 (status, "pending") == 0)
    return C_ ("escalation status", "Pending");
  if (g_strcmp0 (status, "assigned") == 0)
    return C_ ("escalation status", "Assigned");
  if (g_strcmp0 (status, "resolved") == 0)
    return C_ ("escalation status", "Resolved");
  return status != NULL ? status : "";
}

void
confab_escalation_status_tag (GtkLabel *label, const char *status)
{
  static const char *const classes[] = { "pending", "assigned", "resolved" };

  g_return_if_fail (GTK_IS_LABEL (label));

  ensure_style ();
  gtk_widget_add_css_class (GTK_WIDGET (label), "confab-escalation-tag");
  for (guint i = 0; i < G_N_ELEMENTS (classes); i++)
    {
      if (g_strcmp0 (status, classes[i]) == 0)
        gtk_widget_add_css_class (GTK_WIDGET (label), classes[i]);
      else
        gtk_widget_remove_css_class (GTK_WIDGET (label), classes[i]);
    }
  gtk_label_set_text (label, confab_escalation_status_label (status));
}

static char *
format_span (GTimeSpan span)
{
  gint64 minutes = MAX (span, 0) / G_TIME_SPAN_MINUTE;
  gint64 hours = minutes / 60;
  gint64 days = hours / 24;

  if (minutes < 1)
    return g_strdup (_ ("under a minute"));
  if (minutes < 60)
    return g_strdup_printf (ngettext ("%d minute", "%d minutes", minutes), (int) minutes);
  if (hours < 48)
    return g_strdup_printf (ngettext ("%d hour", "%d hours", hours), (int) hours);
  return g_strdup_printf (ngettext ("%d day", "%d days", days), (int) MIN (days, G_MAXINT));
}

char *
confab_escalation_dup_waited (ConfabEscalation *escalation, GDateTime *now)
{
  g_autoptr (GDateTime) created = NULL;
  g_autoptr (GDateTime) resolved = NULL;
  g_autofree char *span = NULL;
  const char      *status;

  g_return_val_if_fail (CONFAB_IS_ESCALATION (escalation), NULL);
  g_return_val_if_fail (now != NULL, NULL);

  created = g_date_time_new_from_iso8601 (confab_entity_get_created_at (CONFAB_ENTITY (escalation)),
                                          NULL);
  if (created == NULL)
    return NULL;
  status = confab_escalation_get_status (escalation);
  if (g_strcmp0 (status, "resolved") == 0)
    {
      const char *resolved_at = confab_escalation_get_resolved_at (escalation);

      resolved = resolved_at != NULL ? g_date_time_new_from_iso8601 (resolved_at, NULL) : NULL;
      if (resolved == NULL)
        return NULL;
      span = format_span (g_date_time_difference (resolved, created));
      /* Translators: %s is a duration, "2 hours" */
      return g_strdup_printf (_ ("Resolved after %s"), span);
    }
  span = format_span (g_date_time_difference (now, created));
  if (g_strcmp0 (status, "pending") == 0)
    /* Translators: %s is a duration, "5 minutes" */
    return g_strdup_printf (_ ("Waiting for %s"), span);
  /* Translators: %s is a duration, "5 minutes" */
  return g_strdup_printf (_ ("Open for %s"), span);
}

/* The row */

void
confab_escalation_row_refresh (ConfabEscalationRow *self)
{
  ConfabEscalationInfo info = { 0 };
  g_autoptr (GDateTime) now = NULL;
  g_autofree char *waited = NULL;
  g_autofree char *meta = NULL;
  g_autofree char *accessible = NULL;
  g_autoptr (GPtrArray) parts = NULL;
  const char *reason;
  const char *status;

  g_return_if_fail (CONFAB_IS_ESCALATION_ROW (self));

  if (self->escalation == NULL || self->db == NULL)
    return;

  confab_escalation_info_load (&info, self->db, self->escalation);
  status = confab_escalation_get_status (self->escalation);
  reason = confab_escalation_get_reason (self->escalation);
  now = g_date_time_new_now_utc ();
  waited = confab_escalation_dup_waited (self->escalation, now);

  parts = g_ptr_array_new ();
  if (info.peer != NULL)
    g_ptr_array_add (parts, info.peer);
  if (waited != NULL)
    g_ptr_array_add (parts, waited);
  if (g_strcmp0 (status, "pending") != 0 && info.supporter != NULL)
    {
      if (self->me_id != NULL &&
          g_strcmp0 (confab_escalation_get_supporter_id (self->escalation), self->me_id) == 0)
        g_ptr_array_add (parts, (gpointer) C_ ("escalation holder", "You"));
      else
        g_ptr_array_add (parts, info.supporter);
    }
  g_ptr_array_add (parts, NULL);
  meta = g_strjoinv (" · ", (char **) parts->pdata);

  gtk_label_set_text (self->title_label, info.title);
  confab_escalation_status_tag (self->status_label, status);
  gtk_label_set_text (self->reason_label,
                      reason != NULL && *reason != '\0' ? reason : _ ("No reason given"));
  gtk_widget_set_visible (GTK_WIDGET (self->reason_label), TRUE);
  gtk_label_set_text (self->meta_label, meta);

  /* Read as one sentence by a screen reader, status included. */
  accessible =
      g_strdup_printf ("%s, %s. %s. %s", info.title, confab_escalation_status_label (status),
                       gtk_label_get_text (self->reason_label), meta);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
  confab_escalation_info_clear (&info);
}

static void
confab_escalation_row_dispose (GObject *object)
{
  ConfabEscalationRow *self = CONFAB_ESCALATION_ROW (object);

  confab_escalation_row_set_escalation (self, NULL, NULL, NULL);

  G_OBJECT_CLASS (confab_escalation_row_parent_class)->dispose (object);
}

static void
confab_escalation_row_class_init (ConfabEscalationRowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_escalation_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-escalation-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationRow, reason_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabEscalationRow, meta_label);
}

static void
confab_escalation_row_init (ConfabEscalationRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  ensure_style ();
}

GtkWidget *
confab_escalation_row_new (void)
{
  return g_object_new (CONFAB_TYPE_ESCALATION_ROW, NULL);
}

void
confab_escalation_row_set_escalation (ConfabEscalationRow *self,
                                      ConfabDatabase      *db,
                                      ConfabEscalation    *escalation,
                                      const char          *me_id)
{
  g_return_if_fail (CONFAB_IS_ESCALATION_ROW (self));
  g_return_if_fail (db == NULL || CONFAB_IS_DATABASE (db));
  g_return_if_fail (escalation == NULL || CONFAB_IS_ESCALATION (escalation));

  if (self->escalation != NULL)
    g_clear_signal_handler (&self->notify_id, self->escalation);
  g_set_object (&self->escalation, escalation);
  g_set_object (&self->db, db);
  g_free (self->me_id);
  self->me_id = g_strdup (me_id);
  if (escalation != NULL)
    {
      self->notify_id =
          g_signal_connect_object (escalation, "notify", G_CALLBACK (confab_escalation_row_refresh),
                                   self, G_CONNECT_SWAPPED);
      confab_escalation_row_refresh (self);
    }
}

ConfabEscalation *
confab_escalation_row_get_escalation (ConfabEscalationRow *self)
{
  g_return_val_if_fail (CONFAB_IS_ESCALATION_ROW (self), NULL);

  return self->escalation;
}

const char *
confab_escalation_row_get_meta (ConfabEscalationRow *self)
{
  g_return_val_if_fail (CONFAB_IS_ESCALATION_ROW (self), NULL);

  return gtk_label_get_text (self->meta_label);
}
