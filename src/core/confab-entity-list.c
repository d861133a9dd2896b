#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include "confab-entity-list.h"
#include "confab-entity.h"
#include "confab-repository.h"

/* A whole-table (or filtered) list that stays live: a committed change to its
 * table schedules one reload in an idle, so a burst of writes costs one query.
 * Rows that survive a reload keep their object, updated in place, so widgets
 * bound to them keep their state. */

struct _ConfabEntityList
{
  GObject         parent_instance;

  ConfabDatabase *db;
  GType           item_type;
  char           *column;
  char           *value;
  GPtrArray      *items;
  gulong          changed_id;
  guint           reload_source;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConfabEntityList, confab_entity_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_ITEM_TYPE,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GType
get_item_type (GListModel *model)
{
  return CONFAB_ENTITY_LIST (model)->item_type;
}

static guint
get_n_items (GListModel *model)
{
  return CONFAB_ENTITY_LIST (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  ConfabEntityList *self = CONFAB_ENTITY_LIST (model);

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

gboolean
confab_entity_list_refresh (ConfabEntityList  *self,
                            GError           **error)
{
  g_autoptr (GPtrArray) fresh = NULL;
  g_autoptr (GPtrArray) old = NULL;
  g_autoptr (GHashTable) by_id = NULL;
  guint prefix = 0, suffix = 0, old_len, new_len;

  g_return_val_if_fail (CONFAB_IS_ENTITY_LIST (self), FALSE);

  g_clear_handle_id (&self->reload_source, g_source_remove);

  fresh = confab_repository_list (self->db, self->item_type, self->column, self->value, error);
  if (fresh == NULL)
    return FALSE;

  old = g_steal_pointer (&self->items);
  old_len = old->len;
  new_len = fresh->len;

  /* Keep the objects the views already hold. */
  by_id = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < old_len; i++)
    {
      ConfabEntity *item = g_ptr_array_index (old, i);
      g_hash_table_insert (by_id, (gpointer) confab_entity_get_id (item), item);
    }
  for (guint i = 0; i < new_len; i++)
    {
      ConfabEntity *item = g_ptr_array_index (fresh, i);
      ConfabEntity *existing = g_hash_table_lookup (by_id, confab_entity_get_id (item));

      if (existing != NULL)
        {
          confab_entity_update_from (existing, item);
          g_ptr_array_index (fresh, i) = g_object_ref (existing);
          g_object_unref (item);
        }
    }

  while (prefix < old_len && prefix < new_len &&
         g_ptr_array_index (old, prefix) == g_ptr_array_index (fresh, prefix))
    prefix++;
  while (suffix < old_len - prefix && suffix < new_len - prefix &&
         g_ptr_array_index (old, old_len - 1 - suffix) ==
         g_ptr_array_index (fresh, new_len - 1 - suffix))
    suffix++;

  self->items = g_steal_pointer (&fresh);

  if (old_len != new_len || prefix + suffix < new_len)
    g_list_model_items_changed (G_LIST_MODEL (self), prefix,
                                old_len - prefix - suffix, new_len - prefix - suffix);
  if (old_len != new_len)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  return TRUE;
}

static gboolean
reload_cb (gpointer data)
{
  ConfabEntityList *self = data;
  g_autoptr (GError) error = NULL;

  self->reload_source = 0;
  if (!confab_entity_list_refresh (self, &error))
    g_warning ("Could not reload a list: %s", error->message);
  return G_SOURCE_REMOVE;
}

static void
on_changed (ConfabDatabase *db,
            const char     *table,
            const char     *id,
            const char     *action,
            gpointer        data)
{
  ConfabEntityList *self = data;

  if (self->reload_source == 0)
    self->reload_source = g_idle_add_full (G_PRIORITY_HIGH_IDLE + 10, reload_cb, self, NULL);
}

static void
confab_entity_list_dispose (GObject *object)
{
  ConfabEntityList *self = CONFAB_ENTITY_LIST (object);

  g_clear_handle_id (&self->reload_source, g_source_remove);
  g_clear_signal_handler (&self->changed_id, self->db);
  g_clear_object (&self->db);

  G_OBJECT_CLASS (confab_entity_list_parent_class)->dispose (object);
}

static void
confab_entity_list_finalize (GObject *object)
{
  ConfabEntityList *self = CONFAB_ENTITY_LIST (object);

  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->column, g_free);
  g_clear_pointer (&self->value, g_free);

  G_OBJECT_CLASS (confab_entity_list_parent_class)->finalize (object);
}

static void
confab_entity_list_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ConfabEntityList *self = CONFAB_ENTITY_LIST (object);

  switch (prop_id)
    {
    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, self->item_type);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_entity_list_class_init (ConfabEntityListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_entity_list_dispose;
  object_class->finalize = confab_entity_list_finalize;
  object_class->get_property = confab_entity_list_get_property;

  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", NULL, NULL, CONFAB_TYPE_ENTITY,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_entity_list_init (ConfabEntityList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
}

ConfabEntityList *
confab_entity_list_new (ConfabDatabase *db,
                        GType           item_type,
                        const char     *column,
                        const char     *value)
{
  ConfabEntityList *self;
  g_autoptr (GTypeClass) klass = NULL;
  g_autofree char *signal = NULL;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (g_type_is_a (item_type, CONFAB_TYPE_ENTITY), NULL);

  klass = g_type_class_ref (item_type);
  self = g_object_new (CONFAB_TYPE_ENTITY_LIST, NULL);
  self->db = g_object_ref (db);
  self->item_type = item_type;
  self->column = g_strdup (column);
  self->value = g_strdup (value);

  signal = g_strdup_printf ("changed::%s", CONFAB_ENTITY_CLASS (klass)->table);
  self->changed_id = g_signal_connect (db, signal, G_CALLBACK (on_changed), self);

  /* The first load happens before any view sees the list. */
  if (!confab_entity_list_refresh (self, &error))
    g_warning ("Could not load a list: %s", error->message);
  return self;
}
