/* confab-agents-page.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-agents-page.h"

struct _ConfabAgentsPage
{
  ConfabPage  parent_instance;

  /* Template widgets */
  AdwLeaflet *leaflet;
  GtkWidget  *list_pane;
  GtkWidget  *detail_pane;
};

G_DEFINE_FINAL_TYPE (ConfabAgentsPage, confab_agents_page, CONFAB_TYPE_PAGE)

static void
detail_back_clicked_cb (ConfabAgentsPage *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
confab_agents_page_dispose (GObject *object)
{
  /* No gtk_widget_dispose_template (): the template's root is AdwBin's
   * child, which AdwBin unparents itself; doing both unparents it twice. */

  G_OBJECT_CLASS (confab_agents_page_parent_class)->dispose (object);
}

static void
confab_agents_page_class_init (ConfabAgentsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_agents_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-agents-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentsPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentsPage, list_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentsPage, detail_pane);
  gtk_widget_class_bind_template_callback (widget_class, detail_back_clicked_cb);
}

static void
confab_agents_page_init (ConfabAgentsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
confab_agents_page_new (void)
{
  return g_object_new (CONFAB_TYPE_AGENTS_PAGE, NULL);
}
