/* confab-conversation-groups.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-conversation-groups.h"
#include "confab-core.h"

#define KEY_TODAY     0
#define KEY_YESTERDAY 1
#define KEY_WEEK      2
#define KEY_MONTH     3
#define KEY_UNKNOWN   G_MAXINT64

struct _ConfabConversationGroups
{
  GObject parent_instance;

  GListModel *conversations;
  GPtrArray  *items;   /* ConfabConversation and ConfabConversationHeader */
  GHashTable *headers; /* title -> ConfabConversationHeader, reused across regroupings */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConfabConversationGroups,
                               confab_conversation_groups,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

/* The local day of a conversation's updated_at, kept on the object so a
 * regrouping parses only the dates that changed. */
typedef struct
{
  char *updated_at;
  guint julian; /* 0: not a date */
  int   year;
  int   month;
} DayCache;

static GQuark day_quark;

static void
day_cache_free (gpointer data)
{
  DayCache *cache = data;

  g_free (cache->updated_at);
  g_free (cache);
}

static guint
julian_of (GDateTime *dt, int *year, int *month)
{
  int   day;
  GDate date;

  g_date_time_get_ymd (dt, year, month, &day);
  if (!g_date_valid_dmy (day, *month, *year))
    return 0;
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, day, *month, *year);
  return g_date_get_julian (&date);
}

static char *
month_title (int year, int month, int now_year)
{
  g_autoptr (GDateTime) first = g_date_time_new_local (year, month, 1, 0, 0, 0);

  if (first == NULL)
    return g_strdup (_ ("Older"));
  if (year == now_year)
    /* Translators: a group of chats from one month of this year; see g_date_time_format() */
    return g_date_time_format (first, C_ ("chat group", "%OB"));
  /* Translators: a group of chats from one month of an earlier year */
  return g_date_time_format (first, C_ ("chat group", "%OB %Y"));
}

static gint64
classify_day (guint  julian,
              int    year,
              int    month,
              guint  now_julian,
              int    now_year,
              int    now_month,
              char **out_title)
{
  gint64      days, months, key;
  const char *title = NULL;

  if (julian == 0 || now_julian == 0)
    {
      if (out_title != NULL)
        *out_title = g_strdup (_ ("Older"));
      return KEY_UNKNOWN;
    }

  /* A day after today (a clock ahead) counts as today. */
  days = (gint64) now_julian - (gint64) julian;
  if (days <= 0)
    {
      key = KEY_TODAY;
      title = _ ("Today");
    }
  else if (days == 1)
    {
      key = KEY_YESTERDAY;
      title = _ ("Yesterday");
    }
  else if (days <= 7)
    {
      key = KEY_WEEK;
      title = _ ("Previous 7 Days");
    }
  else if (days <= 30)
    {
      key = KEY_MONTH;
      title = _ ("Previous 30 Days");
    }
  else
    {
      /* More than 30 days back is always an earlier month. */
      months = ((gint64) now_year * 12 + now_month) - ((gint64) year * 12 + month);
      key = KEY_MONTH + MAX (months, 1);
    }

  if (out_title != NULL)
    *out_title = title != NULL ? g_strdup (title) : month_title (year, month, now_year);
  return key;
}

gint64
confab_conversation_groups_classify (GDateTime *when, GDateTime *now, char **out_title)
{
  g_autoptr (GDateTime) local = NULL;
  int   year = 0, month = 0, now_year, now_month;
  guint julian = 0, now_julian;

  g_return_val_if_fail (now != NULL, KEY_UNKNOWN);

  if (when != NULL)
    {
      local = g_date_time_to_timezone (when, g_date_time_get_timezone (now));
      julian = julian_of (local, &year, &month);
    }
  now_julian = julian_of (now, &now_year, &now_month);
  return classify_day (julian, year, month, now_julian, now_year, now_month, out_title);
}

static const DayCache *
get_day (ConfabConversation *conversation)
{
  const char *updated_at = confab_entity_get_updated_at (CONFAB_ENTITY (conversation));
  DayCache   *cache = g_object_get_qdata (G_OBJECT (conversation), day_quark);

  if (cache == NULL || g_strcmp0 (cache->updated_at, updated_at) != 0)
    {
      g_autoptr (GDateTime) utc = NULL;
      g_autoptr (GDateTime) local = NULL;

      cache = g_new0 (DayCache, 1);
      cache->updated_at = g_strdup (updated_at);
      if (updated_at != NULL)
        utc = g_date_time_new_from_iso8601 (updated_at, NULL);
      if (utc != NULL)
        local = g_date_time_to_local (utc);
      if (local != NULL)
        cache->julian = julian_of (local, &cache->year, &cache->month);
      g_object_set_qdata_full (G_OBJECT (conversation), day_quark, cache, day_cache_free);
    }
  return cache;
}

static void
regroup (ConfabConversationGroups *self)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GPtrArray) fresh = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) old = NULL;
  g_autoptr (GHashTable) used =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  guint  n = g_list_model_get_n_items (self->conversations);
  guint  prefix = 0, suffix = 0, old_len, new_len;
  gint64 previous_key = -1;
  int    now_year, now_month;
  guint  now_julian = julian_of (now, &now_year, &now_month);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabConversation) conversation = g_list_model_get_item (self->conversations, i);
      const DayCache *day = get_day (conversation);
      gint64          key =
          classify_day (day->julian, day->year, day->month, now_julian, now_year, now_month, NULL);

      if (key != previous_key)
        {
          g_autofree char          *title = NULL;
          ConfabConversationHeader *header;

          classify_day (day->julian, day->year, day->month, now_julian, now_year, now_month,
                        &title);
          /* Keep the objects a view shows: an unchanged group is no change. */
          header = g_hash_table_lookup (self->headers, title);
          if (header == NULL || confab_conversation_header_get_key (header) != key)
            header = confab_conversation_header_new (key, title);
          else
            g_object_ref (header);
          if (!g_hash_table_contains (used, title))
            g_hash_table_insert (used, g_strdup (title), g_object_ref (header));
          g_ptr_array_add (fresh, header);
          previous_key = key;
        }
      g_ptr_array_add (fresh, g_steal_pointer (&conversation));
    }

  g_hash_table_unref (self->headers);
  self->headers = g_steal_pointer (&used);

  old = g_steal_pointer (&self->items);
  self->items = g_steal_pointer (&fresh);
  old_len = old->len;
  new_len = self->items->len;

  while (prefix < old_len && prefix < new_len &&
         g_ptr_array_index (old, prefix) == g_ptr_array_index (self->items, prefix))
    prefix++;
  while (suffix < old_len - prefix && suffix < new_len - prefix &&
         g_ptr_array_index (old, old_len - 1 - suffix) ==
             g_ptr_array_index (self->items, new_len - 1 - suffix))
    suffix++;

  if (old_len != new_len || prefix + suffix < new_len)
    g_list_model_items_changed (G_LIST_MODEL (self), prefix, old_len - prefix - suffix,
                                new_len - prefix - suffix);
}

static void
conversations_changed_cb (ConfabConversationGroups *self)
{
  regroup (self);
}

static GType
get_item_type (GListModel *model)
{
  return G_TYPE_OBJECT;
}

static guint
get_n_items (GListModel *model)
{
  return CONFAB_CONVERSATION_GROUPS (model)->items->len;
}

static gpointer
get_item (GListModel *model, guint position)
{
  ConfabConversationGroups *self = CONFAB_CONVERSATION_GROUPS (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
confab_conversation_groups_dispose (GObject *object)
{
  ConfabConversationGroups *self = CONFAB_CONVERSATION_GROUPS (object);

  if (self->conversations != NULL)
    g_signal_handlers_disconnect_by_func (self->conversations, conversations_changed_cb, self);
  g_clear_object (&self->conversations);
  g_ptr_array_set_size (self->items, 0);
  g_hash_table_remove_all (self->headers);

  G_OBJECT_CLASS (confab_conversation_groups_parent_class)->dispose (object);
}

static void
confab_conversation_groups_finalize (GObject *object)
{
  ConfabConversationGroups *self = CONFAB_CONVERSATION_GROUPS (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->headers, g_hash_table_unref);

  G_OBJECT_CLASS (confab_conversation_groups_parent_class)->finalize (object);
}

static void
confab_conversation_groups_class_init (ConfabConversationGroupsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_conversation_groups_dispose;
  object_class->finalize = confab_conversation_groups_finalize;

  day_quark = g_quark_from_static_string ("confab-conversation-groups-day");
}

static void
confab_conversation_groups_init (ConfabConversationGroups *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
}

ConfabConversationGroups *
confab_conversation_groups_new (GListModel *conversations)
{
  ConfabConversationGroups *self;

  g_return_val_if_fail (G_IS_LIST_MODEL (conversations), NULL);

  self = g_object_new (CONFAB_TYPE_CONVERSATION_GROUPS, NULL);
  self->conversations = g_object_ref (conversations);
  g_signal_connect_swapped (conversations, "items-changed", G_CALLBACK (conversations_changed_cb),
                            self);
  regroup (self);
  return self;
}

void
confab_conversation_groups_refresh (ConfabConversationGroups *self)
{
  g_return_if_fail (CONFAB_IS_CONVERSATION_GROUPS (self));

  regroup (self);
}

guint
confab_conversation_groups_find (ConfabConversationGroups *self, const char *conversation_id)
{
  g_return_val_if_fail (CONFAB_IS_CONVERSATION_GROUPS (self), G_MAXUINT);

  if (conversation_id == NULL)
    return G_MAXUINT;
  for (guint i = 0; i < self->items->len; i++)
    {
      gpointer item = g_ptr_array_index (self->items, i);

      if (CONFAB_IS_CONVERSATION (item) &&
          g_strcmp0 (confab_entity_get_id (item), conversation_id) == 0)
        return i;
    }
  return G_MAXUINT;
}
