/* confab-sidebar-row.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include "confab-sidebar-row.h"

/* One section of the sidebar: icon, title and how many things it holds.
 * A badge row shows its count as an accent pill, hidden when zero. */
struct _ConfabSidebarRow
{
  GtkListBoxRow  parent_instance;

  GtkImage      *image;
  GtkLabel      *title_label;
  GtkLabel      *count_label;

  gint64         count;
  guint          badge : 1;
};

G_DEFINE_FINAL_TYPE (ConfabSidebarRow, confab_sidebar_row, GTK_TYPE_LIST_BOX_ROW)

enum {
  PROP_0,
  PROP_TITLE,
  PROP_ICON_NAME,
  PROP_COUNT,
  PROP_BADGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_count (ConfabSidebarRow *self)
{
  g_autofree char *text = NULL;
  gboolean visible;

  if (self->badge)
    {
      visible = self->count > 0;
      gtk_widget_remove_css_class (GTK_WIDGET (self->count_label), "dim-label");
      gtk_widget_add_css_class (GTK_WIDGET (self->count_label), "count-pill");
    }
  else
    {
      visible = self->count >= 0;
      gtk_widget_remove_css_class (GTK_WIDGET (self->count_label), "count-pill");
      gtk_widget_add_css_class (GTK_WIDGET (self->count_label), "dim-label");
    }

  if (self->count >= 0)
    text = g_strdup_printf ("%'" G_GINT64_FORMAT, self->count);
  gtk_label_set_label (self->count_label, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->count_label), visible);

  /* Screen readers hear "Agents, 12" rather than two unrelated labels. */
  if (visible)
    {
      g_autofree char *label = g_strdup_printf ("%s, %s",
                                                gtk_label_get_label (self->title_label),
                                                text);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                      -1);
    }
  else
    gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL,
                                    gtk_label_get_label (self->title_label),
                                    -1);
}

static void
confab_sidebar_row_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ConfabSidebarRow *self = CONFAB_SIDEBAR_ROW (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, confab_sidebar_row_get_title (self));
      break;
    case PROP_ICON_NAME:
      g_value_set_string (value, confab_sidebar_row_get_icon_name (self));
      break;
    case PROP_COUNT:
      g_value_set_int64 (value, self->count);
      break;
    case PROP_BADGE:
      g_value_set_boolean (value, self->badge);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_sidebar_row_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  ConfabSidebarRow *self = CONFAB_SIDEBAR_ROW (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      confab_sidebar_row_set_title (self, g_value_get_string (value));
      break;
    case PROP_ICON_NAME:
      confab_sidebar_row_set_icon_name (self, g_value_get_string (value));
      break;
    case PROP_COUNT:
      confab_sidebar_row_set_count (self, g_value_get_int64 (value));
      break;
    case PROP_BADGE:
      confab_sidebar_row_set_badge (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_sidebar_row_class_init (ConfabSidebarRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = confab_sidebar_row_get_property;
  object_class->set_property = confab_sidebar_row_set_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ICON_NAME] =
    g_param_spec_string ("icon-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  /* -1 while unknown: nothing is shown. */
  properties[PROP_COUNT] =
    g_param_spec_int64 ("count", NULL, NULL, -1, G_MAXINT64, -1,
                        G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_BADGE] =
    g_param_spec_boolean ("badge", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-sidebar-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebarRow, image);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebarRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabSidebarRow, count_label);
}

static void
confab_sidebar_row_init (ConfabSidebarRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->count = -1;
  update_count (self);
}

GtkWidget *
confab_sidebar_row_new (void)
{
  return g_object_new (CONFAB_TYPE_SIDEBAR_ROW, NULL);
}

const char *
confab_sidebar_row_get_title (ConfabSidebarRow *self)
{
  g_return_val_if_fail (CONFAB_IS_SIDEBAR_ROW (self), NULL);

  return gtk_label_get_label (self->title_label);
}

void
confab_sidebar_row_set_title (ConfabSidebarRow *self,
                              const char       *title)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR_ROW (self));

  if (g_strcmp0 (title, gtk_label_get_label (self->title_label)) == 0)
    return;

  gtk_label_set_label (self->title_label, title ? title : "");
  update_count (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

const char *
confab_sidebar_row_get_icon_name (ConfabSidebarRow *self)
{
  g_return_val_if_fail (CONFAB_IS_SIDEBAR_ROW (self), NULL);

  return gtk_image_get_icon_name (self->image);
}

void
confab_sidebar_row_set_icon_name (ConfabSidebarRow *self,
                                  const char       *icon_name)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR_ROW (self));

  if (g_strcmp0 (icon_name, gtk_image_get_icon_name (self->image)) == 0)
    return;

  gtk_image_set_from_icon_name (self->image, icon_name);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICON_NAME]);
}

gint64
confab_sidebar_row_get_count (ConfabSidebarRow *self)
{
  g_return_val_if_fail (CONFAB_IS_SIDEBAR_ROW (self), -1);

  return self->count;
}

void
confab_sidebar_row_set_count (ConfabSidebarRow *self,
                              gint64            count)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR_ROW (self));
  g_return_if_fail (count >= -1);

  if (self->count == count)
    return;

  self->count = count;
  update_count (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COUNT]);
}

gboolean
confab_sidebar_row_get_badge (ConfabSidebarRow *self)
{
  g_return_val_if_fail (CONFAB_IS_SIDEBAR_ROW (self), FALSE);

  return self->badge;
}

void
confab_sidebar_row_set_badge (ConfabSidebarRow *self,
                              gboolean          badge)
{
  g_return_if_fail (CONFAB_IS_SIDEBAR_ROW (self));

  badge = !!badge;
  if (self->badge == badge)
    return;

  self->badge = badge;
  update_count (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BADGE]);
}

GtkLabel *
confab_sidebar_row_get_count_label (ConfabSidebarRow *self)
{
  g_return_val_if_fail (CONFAB_IS_SIDEBAR_ROW (self), NULL);

  return self->count_label;
}
