/* confab-page.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include "confab-page.h"

typedef struct
{
  ConfabDatabase     *database;
  ConfabAgentRuntime *runtime;
  gboolean            folded;
} ConfabPagePrivate;

G_DEFINE_TYPE_WITH_PRIVATE (ConfabPage, confab_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_DATABASE,
  PROP_RUNTIME,
  PROP_FOLDED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
confab_page_dispose (GObject *object)
{
  ConfabPage *self = CONFAB_PAGE (object);
  ConfabPagePrivate *priv = confab_page_get_instance_private (self);

  g_clear_object (&priv->runtime);
  g_clear_object (&priv->database);

  G_OBJECT_CLASS (confab_page_parent_class)->dispose (object);
}

static void
confab_page_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  ConfabPage *self = CONFAB_PAGE (object);
  ConfabPagePrivate *priv = confab_page_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_DATABASE:
      g_value_set_object (value, priv->database);
      break;
    case PROP_RUNTIME:
      g_value_set_object (value, priv->runtime);
      break;
    case PROP_FOLDED:
      g_value_set_boolean (value, priv->folded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_page_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  ConfabPage *self = CONFAB_PAGE (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      confab_page_set_database (self, g_value_get_object (value));
      break;
    case PROP_RUNTIME:
      confab_page_set_runtime (self, g_value_get_object (value));
      break;
    case PROP_FOLDED:
      confab_page_set_folded (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_page_class_init (ConfabPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_page_dispose;
  object_class->get_property = confab_page_get_property;
  object_class->set_property = confab_page_set_property;

  properties[PROP_DATABASE] =
    g_param_spec_object ("database", NULL, NULL,
                         CONFAB_TYPE_DATABASE,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_RUNTIME] =
    g_param_spec_object ("runtime", NULL, NULL,
                         CONFAB_TYPE_AGENT_RUNTIME,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_FOLDED] =
    g_param_spec_boolean ("folded", NULL, NULL,
                          FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_page_init (ConfabPage *self)
{
}

ConfabDatabase *
confab_page_get_database (ConfabPage *self)
{
  ConfabPagePrivate *priv = confab_page_get_instance_private (self);

  g_return_val_if_fail (CONFAB_IS_PAGE (self), NULL);

  return priv->database;
}

void
confab_page_set_database (ConfabPage     *self,
                          ConfabDatabase *database)
{
  ConfabPagePrivate *priv = confab_page_get_instance_private (self);

  g_return_if_fail (CONFAB_IS_PAGE (self));
  g_return_if_fail (database == NULL || CONFAB_IS_DATABASE (database));

  if (!g_set_object (&priv->database, database))
    return;

  if (CONFAB_PAGE_GET_CLASS (self)->database_changed != NULL)
    CONFAB_PAGE_GET_CLASS (self)->database_changed (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATABASE]);
}

ConfabAgentRuntime *
confab_page_get_runtime (ConfabPage *self)
{
  ConfabPagePrivate *priv = confab_page_get_instance_private (self);

  g_return_val_if_fail (CONFAB_IS_PAGE (self), NULL);

  return priv->runtime;
}

void
confab_page_set_runtime (ConfabPage         *self,
                         ConfabAgentRuntime *runtime)
{
  ConfabPagePrivate *priv = confab_page_get_instance_private (self);

  g_return_if_fail (CONFAB_IS_PAGE (self));
  g_return_if_fail (runtime == NULL || CONFAB_IS_AGENT_RUNTIME (runtime));

  if (g_set_object (&priv->runtime, runtime))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNTIME]);
}

gboolean
confab_page_get_folded (ConfabPage *self)
{
  ConfabPagePrivate *priv = confab_page_get_instance_private (self);

  g_return_val_if_fail (CONFAB_IS_PAGE (self), FALSE);

  return priv->folded;
}

void
confab_page_set_folded (ConfabPage *self,
                        gboolean    folded)
{
  ConfabPagePrivate *priv = confab_page_get_instance_private (self);

  g_return_if_fail (CONFAB_IS_PAGE (self));

  folded = !!folded;
  if (priv->folded == folded)
    return;

  priv->folded = folded;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FOLDED]);
}

void
confab_page_add_toast (ConfabPage *self,
                       AdwToast   *toast)
{
  GtkWidget *overlay;

  g_return_if_fail (CONFAB_IS_PAGE (self));
  g_return_if_fail (ADW_IS_TOAST (toast));

  overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  if (overlay == NULL)
    {
      /* Not in a window (a test): the message must still go somewhere. */
      g_message ("%s", adw_toast_get_title (toast));
      g_object_unref (toast);
      return;
    }
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

static AdwToast *
toast_new (const char *message)
{
  g_autofree char *markup = g_markup_escape_text (message, -1);

  return adw_toast_new (markup);
}

void
confab_page_toast (ConfabPage *self,
                   const char *message)
{
  g_return_if_fail (message != NULL);

  confab_page_add_toast (self, toast_new (message));
}

void
confab_page_toast_error (ConfabPage   *self,
                         const GError *error)
{
  AdwToast *toast;

  g_return_if_fail (error != NULL);

  /* Errors stay until dismissed: they may need reading twice. */
  toast = toast_new (error->message);
  adw_toast_set_timeout (toast, 0);
  confab_page_add_toast (self, toast);
}
