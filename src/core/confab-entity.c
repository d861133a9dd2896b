#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "confab-entity.h"

/* Column values live in one GValue array per object, indexed by the column's
 * place in its class, so every entity shares one get/set_property and its
 * typed accessors are one line each. */

typedef struct
{
  GValue *values;
  guint8 *dirty;    /* set by the caller since the row was read or written */
  guint   n_values;
} ConfabEntityPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (ConfabEntity, confab_entity, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_CREATED_AT,
  PROP_UPDATED_AT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];
static GQuark column_index_quark;
static GQuark class_columns_quark;

typedef struct
{
  GParamSpec **pspecs;
  guint        n;
} ClassColumns;

static void confab_entity_get_property (GObject *, guint, GValue *, GParamSpec *);
static void confab_entity_set_property (GObject *, guint, const GValue *, GParamSpec *);

static guint
column_index (GParamSpec *pspec)
{
  return GPOINTER_TO_UINT (g_param_spec_get_qdata (pspec, column_index_quark));
}

static ClassColumns *
get_class_columns (GType type)
{
  ClassColumns *columns = g_type_get_qdata (type, class_columns_quark);

  if (columns == NULL)
    {
      columns = g_new0 (ClassColumns, 1);
      columns->pspecs = g_new0 (GParamSpec *, N_PROPS);
      for (guint i = 1; i < N_PROPS; i++)
        columns->pspecs[columns->n++] = properties[i];
      g_type_set_qdata (type, class_columns_quark, columns);
    }
  return columns;
}

void
confab_entity_class_install_columns (ConfabEntityClass *klass,
                                     guint              n_pspecs,
                                     GParamSpec       **pspecs)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GType type = G_TYPE_FROM_CLASS (klass);
  ClassColumns *columns = get_class_columns (type);

  /* GObject does not inherit these; every entity shares the column store's. */
  if (object_class->get_property == NULL)
    object_class->get_property = confab_entity_get_property;
  if (object_class->set_property == NULL)
    object_class->set_property = confab_entity_set_property;

  /* pspecs[0] is PROP_0, as for g_object_class_install_properties(). */
  columns->pspecs = g_renew (GParamSpec *, columns->pspecs, columns->n + n_pspecs);
  for (guint i = 1; i < n_pspecs; i++)
    {
      GParamSpec *pspec = pspecs[i];

      if ((pspec->flags & CONFAB_PARAM_COLUMN) == 0)
        continue;
      /* Index 0 means "not a column", so store place + 1. */
      g_param_spec_set_qdata (pspec, column_index_quark, GUINT_TO_POINTER (columns->n + 1));
      columns->pspecs[columns->n++] = pspec;
    }
  g_object_class_install_properties (G_OBJECT_CLASS (klass), n_pspecs, pspecs);
}

GParamSpec **
confab_entity_class_list_columns (ConfabEntityClass *klass,
                                  guint             *n_columns)
{
  ClassColumns *columns = get_class_columns (G_TYPE_FROM_CLASS (klass));

  *n_columns = columns->n;
  return columns->pspecs;
}

char *
confab_entity_column_name (GParamSpec *pspec)
{
  return g_strdelimit (g_strdup (pspec->name), "-", '_');
}

const char *
confab_entity_field_label (GParamSpec *pspec)
{
  const char *nick = g_param_spec_get_nick (pspec);

  return nick ? _(nick) : pspec->name;
}

static ConfabEntityPrivate *
get_priv (ConfabEntity *self)
{
  ConfabEntityPrivate *priv = confab_entity_get_instance_private (self);

  if (priv->values == NULL)
    {
      ClassColumns *columns = get_class_columns (G_OBJECT_TYPE (self));

      priv->n_values = columns->n;
      priv->values = g_new0 (GValue, columns->n);
      priv->dirty = g_new0 (guint8, columns->n);
      for (guint i = 0; i < columns->n; i++)
        {
          g_value_init (&priv->values[i], columns->pspecs[i]->value_type);
          g_param_value_set_default (columns->pspecs[i], &priv->values[i]);
        }
    }
  return priv;
}

const GValue *
confab_entity_peek_value (ConfabEntity *self,
                          GParamSpec   *pspec)
{
  ConfabEntityPrivate *priv = get_priv (self);
  guint index = column_index (pspec);

  g_return_val_if_fail (index > 0 && index <= priv->n_values, NULL);
  return &priv->values[index - 1];
}

static void
store_value (ConfabEntity *self,
             GParamSpec   *pspec,
             const GValue *value,
             gboolean      by_caller)
{
  ConfabEntityPrivate *priv = get_priv (self);
  guint index = column_index (pspec);
  GValue *slot;

  g_return_if_fail (index > 0 && index <= priv->n_values);
  slot = &priv->values[index - 1];

  if (g_param_values_cmp (pspec, slot, value) == 0)
    return;

  g_value_copy (value, g_value_reset (slot));
  if (by_caller)
    priv->dirty[index - 1] = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

void
confab_entity_set_value (ConfabEntity *self,
                         GParamSpec   *pspec,
                         const GValue *value)
{
  store_value (self, pspec, value, TRUE);
}

/* An update writes only the columns its caller changed, so an object read
 * before another write (a title set from the first message, a status set by
 * an escalation) cannot put the old values back. */
gboolean
confab_entity_is_dirty (ConfabEntity *self,
                        GParamSpec   *pspec)
{
  ConfabEntityPrivate *priv = get_priv (self);
  guint index = column_index (pspec);

  g_return_val_if_fail (index > 0 && index <= priv->n_values, FALSE);
  return priv->dirty[index - 1];
}

void
confab_entity_clear_dirty (ConfabEntity *self)
{
  ConfabEntityPrivate *priv = get_priv (self);

  memset (priv->dirty, 0, priv->n_values);
}

const char *
confab_entity_get_string (ConfabEntity *self,
                          GParamSpec   *pspec)
{
  return g_value_get_string (confab_entity_peek_value (self, pspec));
}

void
confab_entity_set_string (ConfabEntity *self,
                          GParamSpec   *pspec,
                          const char   *value)
{
  g_auto (GValue) v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_STRING);
  g_value_set_string (&v, value);
  confab_entity_set_value (self, pspec, &v);
}

gint64
confab_entity_get_int (ConfabEntity *self,
                       GParamSpec   *pspec)
{
  const GValue *v = confab_entity_peek_value (self, pspec);

  if (G_VALUE_HOLDS_INT (v))
    return g_value_get_int (v);
  return g_value_get_int64 (v);
}

void
confab_entity_set_int (ConfabEntity *self,
                       GParamSpec   *pspec,
                       gint64        value)
{
  g_auto (GValue) v = G_VALUE_INIT;

  g_value_init (&v, pspec->value_type);
  if (pspec->value_type == G_TYPE_INT)
    g_value_set_int (&v, (int) CLAMP (value, G_MININT, G_MAXINT));
  else
    g_value_set_int64 (&v, value);
  confab_entity_set_value (self, pspec, &v);
}

gboolean
confab_entity_get_boolean (ConfabEntity *self,
                           GParamSpec   *pspec)
{
  return g_value_get_boolean (confab_entity_peek_value (self, pspec));
}

void
confab_entity_set_boolean (ConfabEntity *self,
                           GParamSpec   *pspec,
                           gboolean      value)
{
  g_auto (GValue) v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_BOOLEAN);
  g_value_set_boolean (&v, !!value);
  confab_entity_set_value (self, pspec, &v);
}

double
confab_entity_get_double (ConfabEntity *self,
                          GParamSpec   *pspec)
{
  return g_value_get_double (confab_entity_peek_value (self, pspec));
}

void
confab_entity_set_double (ConfabEntity *self,
                          GParamSpec   *pspec,
                          double        value)
{
  g_auto (GValue) v = G_VALUE_INIT;

  g_value_init (&v, G_TYPE_DOUBLE);
  g_value_set_double (&v, value);
  confab_entity_set_value (self, pspec, &v);
}

const char *
confab_entity_get_id (ConfabEntity *self)
{
  g_return_val_if_fail (CONFAB_IS_ENTITY (self), NULL);
  return confab_entity_get_string (self, properties[PROP_ID]);
}

const char *
confab_entity_get_created_at (ConfabEntity *self)
{
  g_return_val_if_fail (CONFAB_IS_ENTITY (self), NULL);
  return confab_entity_get_string (self, properties[PROP_CREATED_AT]);
}

const char *
confab_entity_get_updated_at (ConfabEntity *self)
{
  g_return_val_if_fail (CONFAB_IS_ENTITY (self), NULL);
  return confab_entity_get_string (self, properties[PROP_UPDATED_AT]);
}

static GParamSpec *
find_column (GType       type,
             const char *column)
{
  g_autofree char *name = g_strdelimit (g_strdup (column), "_", '-');
  GObjectClass *klass = g_type_class_peek (type);
  GParamSpec *pspec = g_object_class_find_property (klass, name);

  if (pspec == NULL || column_index (pspec) == 0)
    return NULL;
  return pspec;
}

ConfabEntity *
confab_entity_new_from_stmt (GType         type,
                             sqlite3_stmt *stmt)
{
  ConfabEntity *self = g_object_new (type, NULL);
  ConfabEntityPrivate *priv = get_priv (self);
  int n = sqlite3_column_count (stmt);

  /* A fresh object has no listeners: fill the slots without notify. */
  for (int i = 0; i < n; i++)
    {
      GParamSpec *pspec = find_column (type, sqlite3_column_name (stmt, i));
      GValue *slot;

      if (pspec == NULL)
        continue;
      slot = &priv->values[column_index (pspec) - 1];

      switch (G_VALUE_TYPE (slot))
        {
        case G_TYPE_STRING:
          g_value_set_string (slot, (const char *) sqlite3_column_text (stmt, i));
          break;
        case G_TYPE_INT:
          g_value_set_int (slot, sqlite3_column_int (stmt, i));
          break;
        case G_TYPE_INT64:
          g_value_set_int64 (slot, sqlite3_column_int64 (stmt, i));
          break;
        case G_TYPE_BOOLEAN:
          g_value_set_boolean (slot, sqlite3_column_int (stmt, i) != 0);
          break;
        case G_TYPE_DOUBLE:
          g_value_set_double (slot, sqlite3_column_double (stmt, i));
          break;
        default:
          g_warn_if_reached ();
        }
    }
  return self;
}

void
confab_entity_bind (ConfabEntity *self,
                    GParamSpec   *pspec,
                    sqlite3_stmt *stmt,
                    int           index)
{
  const GValue *v = confab_entity_peek_value (self, pspec);

  switch (G_VALUE_TYPE (v))
    {
    case G_TYPE_STRING:
      {
        const char *s = g_value_get_string (v);

        /* An empty reference means "none": bind NULL so the foreign key holds. */
        if (s == NULL || (s[0] == '\0' && g_str_has_suffix (pspec->name, "-id")))
          sqlite3_bind_null (stmt, index);
        else
          sqlite3_bind_text (stmt, index, s, -1, SQLITE_TRANSIENT);
      }
      break;
    case G_TYPE_INT:
      sqlite3_bind_int (stmt, index, g_value_get_int (v));
      break;
    case G_TYPE_INT64:
      sqlite3_bind_int64 (stmt, index, g_value_get_int64 (v));
      break;
    case G_TYPE_BOOLEAN:
      sqlite3_bind_int (stmt, index, g_value_get_boolean (v) ? 1 : 0);
      break;
    case G_TYPE_DOUBLE:
      sqlite3_bind_double (stmt, index, g_value_get_double (v));
      break;
    default:
      g_warn_if_reached ();
    }
}

gboolean
confab_entity_column_equal (ConfabEntity *self,
                            ConfabEntity *other,
                            GParamSpec   *pspec)
{
  const GValue *a = confab_entity_peek_value (self, pspec);
  const GValue *b = confab_entity_peek_value (other, pspec);

  if (G_VALUE_HOLDS_STRING (a))
    {
      const char *sa = g_value_get_string (a);
      const char *sb = g_value_get_string (b);

      /* NULL and "" are the same stored value for references. */
      return g_strcmp0 (sa ? sa : "", sb ? sb : "") == 0;
    }
  return g_param_values_cmp (pspec, a, b) == 0;
}

gboolean
confab_entity_update_from (ConfabEntity *self,
                           ConfabEntity *other)
{
  guint n;
  GParamSpec **pspecs;
  gboolean changed = FALSE;

  g_return_val_if_fail (G_OBJECT_TYPE (self) == G_OBJECT_TYPE (other), FALSE);

  pspecs = confab_entity_class_list_columns (CONFAB_ENTITY_GET_CLASS (self), &n);
  /* Values come from the workspace; an edit not yet saved is kept. */
  g_object_freeze_notify (G_OBJECT (self));
  for (guint i = 0; i < n; i++)
    if (!confab_entity_is_dirty (self, pspecs[i]) &&
        !confab_entity_column_equal (self, other, pspecs[i]))
      {
        store_value (self, pspecs[i], confab_entity_peek_value (other, pspecs[i]), FALSE);
        changed = TRUE;
      }
  g_object_thaw_notify (G_OBJECT (self));
  return changed;
}

static void
confab_entity_finalize (GObject *object)
{
  ConfabEntityPrivate *priv = confab_entity_get_instance_private (CONFAB_ENTITY (object));

  for (guint i = 0; i < priv->n_values; i++)
    g_value_unset (&priv->values[i]);
  g_clear_pointer (&priv->values, g_free);
  g_clear_pointer (&priv->dirty, g_free);

  G_OBJECT_CLASS (confab_entity_parent_class)->finalize (object);
}

static void
confab_entity_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  if (column_index (pspec) == 0)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  g_value_copy (confab_entity_peek_value (CONFAB_ENTITY (object), pspec), value);
}

static void
confab_entity_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  if (column_index (pspec) == 0)
    {
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      return;
    }
  confab_entity_set_value (CONFAB_ENTITY (object), pspec, value);
}

static void
confab_entity_class_init (ConfabEntityClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  object_class->finalize = confab_entity_finalize;
  object_class->get_property = confab_entity_get_property;
  object_class->set_property = confab_entity_set_property;

  column_index_quark = g_quark_from_static_string ("confab-column-index");
  class_columns_quark = g_quark_from_static_string ("confab-class-columns");

  properties[PROP_ID] = g_param_spec_string ("id", N_("identifier"), NULL, NULL, flags);
  properties[PROP_CREATED_AT] = g_param_spec_string ("created-at", N_("creation time"), NULL, NULL, flags);
  properties[PROP_UPDATED_AT] = g_param_spec_string ("updated-at", N_("modification time"), NULL, NULL, flags);
  for (guint i = 1; i < N_PROPS; i++)
    g_param_spec_set_qdata (properties[i], column_index_quark, GUINT_TO_POINTER (i));
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_entity_init (ConfabEntity *self)
{
}
