/* confab-message-window.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include "confab-message-window.h"

struct _ConfabMessageWindow
{
  GObject parent_instance;

  GListModel *model;
  guint       n_last;  /* the window's size at least, when the model has that many */
  guint       start;   /* the model's position of item 0 */
  guint       n_model; /* the model's length as last announced */
  gulong      items_changed_id;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConfabMessageWindow,
                               confab_message_window,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_N_LAST,
  PROP_START,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
get_item_type (GListModel *list)
{
  ConfabMessageWindow *self = CONFAB_MESSAGE_WINDOW (list);

  return g_list_model_get_item_type (self->model);
}

static guint
get_n_items (GListModel *list)
{
  ConfabMessageWindow *self = CONFAB_MESSAGE_WINDOW (list);

  return self->n_model - self->start;
}

static gpointer
get_item (GListModel *list, guint position)
{
  ConfabMessageWindow *self = CONFAB_MESSAGE_WINDOW (list);

  if (position >= self->n_model - self->start)
    return NULL;
  return g_list_model_get_item (self->model, self->start + position);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

/* Where a window over n items starts when it cannot stay where it was. */
static guint
clamp_start (ConfabMessageWindow *self, guint start, guint n)
{
  guint latest = n > self->n_last ? n - self->n_last : 0;

  return MIN (start, latest);
}

static void
set_start (ConfabMessageWindow *self, guint start)
{
  if (self->start == start)
    return;
  self->start = start;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_START]);
}

static void
model_items_changed_cb (
    ConfabMessageWindow *self, guint position, guint removed, guint added, GListModel *model)
{
  guint old_start = self->start;
  guint old_n = self->n_model - old_start;

  self->n_model = self->n_model - removed + added;

  if (position >= old_start)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), position - old_start, removed, added);
      return;
    }
  if (position + removed <= old_start)
    {
      /* All before the window: it shows the same items, now elsewhere. */
      set_start (self, old_start - removed + added);
      return;
    }

  /* Across the start (a reset): the window keeps its place. */
  set_start (self, clamp_start (self, old_start, self->n_model));
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, self->n_model - self->start);
}

GListModel *
confab_message_window_get_model (ConfabMessageWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_WINDOW (self), NULL);
  return self->model;
}

guint
confab_message_window_get_start (ConfabMessageWindow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_WINDOW (self), 0);
  return self->start;
}

guint
confab_message_window_grow (ConfabMessageWindow *self, guint n)
{
  guint added;

  g_return_val_if_fail (CONFAB_IS_MESSAGE_WINDOW (self), 0);

  added = MIN (n, self->start);
  if (added == 0)
    return 0;
  set_start (self, self->start - added);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, added);
  return added;
}

guint
confab_message_window_show_position (ConfabMessageWindow *self, guint position)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_WINDOW (self), G_MAXUINT);

  if (position >= self->n_model)
    return G_MAXUINT;
  if (position < self->start)
    confab_message_window_grow (self, self->start - position);
  return position - self->start;
}

static void
confab_message_window_constructed (GObject *object)
{
  ConfabMessageWindow *self = CONFAB_MESSAGE_WINDOW (object);

  G_OBJECT_CLASS (confab_message_window_parent_class)->constructed (object);

  self->n_model = g_list_model_get_n_items (self->model);
  self->start = clamp_start (self, G_MAXUINT, self->n_model);
  self->items_changed_id = g_signal_connect_object (
      self->model, "items-changed", G_CALLBACK (model_items_changed_cb), self, G_CONNECT_SWAPPED);
}

static void
confab_message_window_dispose (GObject *object)
{
  ConfabMessageWindow *self = CONFAB_MESSAGE_WINDOW (object);

  if (self->model != NULL)
    g_clear_signal_handler (&self->items_changed_id, self->model);
  g_clear_object (&self->model);

  G_OBJECT_CLASS (confab_message_window_parent_class)->dispose (object);
}

static void
confab_message_window_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  ConfabMessageWindow *self = CONFAB_MESSAGE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;
    case PROP_N_LAST:
      g_value_set_uint (value, self->n_last);
      break;
    case PROP_START:
      g_value_set_uint (value, self->start);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_window_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  ConfabMessageWindow *self = CONFAB_MESSAGE_WINDOW (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      self->model = g_value_dup_object (value);
      break;
    case PROP_N_LAST:
      self->n_last = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_window_class_init (ConfabMessageWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = confab_message_window_constructed;
  object_class->dispose = confab_message_window_dispose;
  object_class->get_property = confab_message_window_get_property;
  object_class->set_property = confab_message_window_set_property;

  properties[PROP_MODEL] =
      g_param_spec_object ("model", NULL, NULL, G_TYPE_LIST_MODEL,
                           G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_LAST] =
      g_param_spec_uint ("n-last", NULL, NULL, 0, G_MAXUINT, 64,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_START] =
      g_param_spec_uint ("start", NULL, NULL, 0, G_MAXUINT, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_message_window_init (ConfabMessageWindow *self)
{
}

/**
 * confab_message_window_new:
 * @model: the whole list
 * @n_last: how many of its last items the window shows at first
 *
 * Returns: (transfer full): a #GListModel of the last @n_last items of
 *   @model, and of whatever is appended to it
 */
ConfabMessageWindow *
confab_message_window_new (GListModel *model, guint n_last)
{
  g_return_val_if_fail (G_IS_LIST_MODEL (model), NULL);

  return g_object_new (CONFAB_TYPE_MESSAGE_WINDOW, "model", model, "n-last", n_last, NULL);
}
