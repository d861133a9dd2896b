/* confab-chats-page.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-chats-page.h"

struct _ConfabChatsPage
{
  ConfabPage  parent_instance;

  /* Template widgets */
  AdwLeaflet *leaflet;
  GtkWidget  *list_pane;
  GtkWidget  *detail_pane;
};

G_DEFINE_FINAL_TYPE (ConfabChatsPage, confab_chats_page, CONFAB_TYPE_PAGE)

static void
detail_back_clicked_cb (ConfabChatsPage *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
confab_chats_page_dispose (GObject *object)
{
  /* No gtk_widget_dispose_template (): the template's root is AdwBin's
   * child, which AdwBin unparents itself; doing both unparents it twice. */

  G_OBJECT_CLASS (confab_chats_page_parent_class)->dispose (object);
}

static void
confab_chats_page_class_init (ConfabChatsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_chats_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-chats-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabChatsPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatsPage, list_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatsPage, detail_pane);
  gtk_widget_class_bind_template_callback (widget_class, detail_back_clicked_cb);
}

static void
confab_chats_page_init (ConfabChatsPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
confab_chats_page_new (void)
{
  return g_object_new (CONFAB_TYPE_CHATS_PAGE, NULL);
}

void
confab_chats_page_open_conversation (ConfabChatsPage *self,
                                     const char      *conversation_id,
                                     const char      *message_id)
{
  g_return_if_fail (CONFAB_IS_CHATS_PAGE (self));
  g_return_if_fail (conversation_id != NULL);
}

void
confab_chats_page_start_chat (ConfabChatsPage *self,
                              const char      *agent_id,
                              const char      *team_id)
{
  g_return_if_fail (CONFAB_IS_CHATS_PAGE (self));
  g_return_if_fail ((agent_id == NULL) != (team_id == NULL));
}

void
confab_chats_page_new_chat (ConfabChatsPage *self)
{
  g_return_if_fail (CONFAB_IS_CHATS_PAGE (self));
}
