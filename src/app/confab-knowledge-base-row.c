/* confab-knowledge-base-row.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-knowledge-base-row.h"

struct _ConfabKnowledgeBaseRow
{
  AdwBin parent_instance;

  GtkLabel  *title_label;
  GtkLabel  *summary_label;
  GtkSwitch *active_switch;

  ConfabDatabase      *db;
  ConfabKnowledgeBase *kb;
  gulong               notify_id;
  guint                syncing : 1;
};

G_DEFINE_FINAL_TYPE (ConfabKnowledgeBaseRow, confab_knowledge_base_row, ADW_TYPE_BIN)

enum
{
  ACTIVE_TOGGLED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static char *
dup_owner_name (ConfabDatabase *db, const char *owner_id)
{
  g_autoptr (ConfabUser) owner = NULL;
  const char *name;

  if (owner_id == NULL || *owner_id == '\0')
    return NULL;
  owner = confab_repository_get (db, CONFAB_TYPE_USER, owner_id, NULL);
  if (owner == NULL)
    return NULL;
  name = confab_user_get_name (owner);
  return g_strdup (name != NULL && *name != '\0' ? name : confab_user_get_username (owner));
}

void
confab_knowledge_base_row_refresh (ConfabKnowledgeBaseRow *self)
{
  g_autofree char *count = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *summary = NULL;
  g_autofree char *description = NULL;
  gint64           n;

  g_return_if_fail (CONFAB_IS_KNOWLEDGE_BASE_ROW (self));

  if (self->kb == NULL || self->db == NULL)
    return;

  n = confab_repository_count (self->db, CONFAB_TYPE_DOCUMENT, "knowledge_base_id",
                               confab_entity_get_id (CONFAB_ENTITY (self->kb)), NULL);
  count =
      g_strdup_printf (ngettext ("%'d document", "%'d documents", MAX (n, 0)), (int) MAX (n, 0));
  owner = dup_owner_name (self->db, confab_knowledge_base_get_owner_id (self->kb));
  summary = owner != NULL ? g_strdup_printf ("%s · %s", count, owner) : g_strdup (count);

  gtk_label_set_text (self->title_label, confab_knowledge_base_get_title (self->kb));
  gtk_label_set_text (self->summary_label, summary);
  /* An inactive knowledge base reads as such without the switch. */
  if (confab_knowledge_base_get_is_active (self->kb))
    gtk_widget_remove_css_class (GTK_WIDGET (self->title_label), "dim-label");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->title_label), "dim-label");
  confab_knowledge_base_row_sync (self);

  /* Translators: the label of a knowledge base's switch; %s is its title */
  description = g_strdup_printf (_ ("Active: %s"), confab_knowledge_base_get_title (self->kb));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->active_switch),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
}

void
confab_knowledge_base_row_sync (ConfabKnowledgeBaseRow *self)
{
  gboolean active;

  g_return_if_fail (CONFAB_IS_KNOWLEDGE_BASE_ROW (self));

  if (self->kb == NULL)
    return;
  active = confab_knowledge_base_get_is_active (self->kb);
  self->syncing = TRUE;
  gtk_switch_set_active (self->active_switch, active);
  gtk_switch_set_state (self->active_switch, active);
  self->syncing = FALSE;
}

static gboolean
state_set_cb (ConfabKnowledgeBaseRow *self, gboolean state)
{
  if (self->syncing || self->kb == NULL || state == confab_knowledge_base_get_is_active (self->kb))
    return FALSE;
  g_signal_emit (self, signals[ACTIVE_TOGGLED], 0, state);
  return FALSE;
}

static void
confab_knowledge_base_row_dispose (GObject *object)
{
  ConfabKnowledgeBaseRow *self = CONFAB_KNOWLEDGE_BASE_ROW (object);

  confab_knowledge_base_row_set_item (self, NULL, NULL);

  G_OBJECT_CLASS (confab_knowledge_base_row_parent_class)->dispose (object);
}

static void
confab_knowledge_base_row_class_init (ConfabKnowledgeBaseRowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_knowledge_base_row_dispose;

  signals[ACTIVE_TOGGLED] =
      g_signal_new ("active-toggled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-knowledge-base-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgeBaseRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgeBaseRow, summary_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgeBaseRow, active_switch);
  gtk_widget_class_bind_template_callback (widget_class, state_set_cb);
}

static void
confab_knowledge_base_row_init (ConfabKnowledgeBaseRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
confab_knowledge_base_row_new (void)
{
  return g_object_new (CONFAB_TYPE_KNOWLEDGE_BASE_ROW, NULL);
}

void
confab_knowledge_base_row_set_item (ConfabKnowledgeBaseRow *self,
                                    ConfabDatabase         *db,
                                    ConfabKnowledgeBase    *kb)
{
  g_return_if_fail (CONFAB_IS_KNOWLEDGE_BASE_ROW (self));
  g_return_if_fail (db == NULL || CONFAB_IS_DATABASE (db));
  g_return_if_fail (kb == NULL || CONFAB_IS_KNOWLEDGE_BASE (kb));

  if (self->kb != NULL)
    g_clear_signal_handler (&self->notify_id, self->kb);
  g_set_object (&self->kb, kb);
  g_set_object (&self->db, db);
  if (kb != NULL)
    {
      self->notify_id = g_signal_connect_object (
          kb, "notify", G_CALLBACK (confab_knowledge_base_row_refresh), self, G_CONNECT_SWAPPED);
      confab_knowledge_base_row_refresh (self);
    }
}

ConfabKnowledgeBase *
confab_knowledge_base_row_get_item (ConfabKnowledgeBaseRow *self)
{
  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_BASE_ROW (self), NULL);

  return self->kb;
}

GtkSwitch *
confab_knowledge_base_row_get_switch (ConfabKnowledgeBaseRow *self)
{
  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_BASE_ROW (self), NULL);

  return self->active_switch;
}

const char *
confab_knowledge_base_row_get_summary (ConfabKnowledgeBaseRow *self)
{
  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_BASE_ROW (self), NULL);

  return gtk_label_get_text (self->summary_label);
}
