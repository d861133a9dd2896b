#pragma once

#include <glib-object.h>
#include <sqlite3.h>

#include "confab-database.h"

G_BEGIN_DECLS

/* A property that holds a column of the entity's table. Its name, with '-'
 * turned into '_', is the column name; its nick, marked with N_(), is the
 * field's label in messages shown to people. */
#define CONFAB_PARAM_COLUMN   (1 << G_PARAM_USER_SHIFT)
/* Long text (message content, prompt bodies) whose value is left out of the
 * audit log; the log records that it changed and its length. */
#define CONFAB_PARAM_NO_AUDIT (1 << (G_PARAM_USER_SHIFT + 1))

#define CONFAB_TYPE_ENTITY (confab_entity_get_type ())

G_DECLARE_DERIVABLE_TYPE (ConfabEntity, confab_entity, CONFAB, ENTITY, GObject)

struct _ConfabEntityClass
{
  GObjectClass parent_class;

  /* Set by each entity's class_init. */
  const char         *table;            /* "users" */
  const char         *entity_name;      /* "user", as written to audit_log.entity */
  const char         *label;            /* N_("user"), for messages */
  const char         *default_order;    /* SQL ORDER BY of lists */
  const char * const *dependent_tables; /* rows that go with a delete (CASCADE / SET NULL) */

  /* Checks every field; called inside the write transaction on create and update. */
  gboolean (*validate)      (ConfabEntity   *self,
                             ConfabDatabase *db,
                             GError        **error);
  /* Fills derived fields before the INSERT (sequence numbers, titles). */
  gboolean (*before_insert) (ConfabEntity   *self,
                             ConfabDatabase *db,
                             GError        **error);
  /* Updates related rows in the same transaction after the INSERT. */
  gboolean (*after_insert)  (ConfabEntity   *self,
                             ConfabDatabase *db,
                             GError        **error);

  gpointer padding[8];
};

void         confab_entity_class_install_columns (ConfabEntityClass *klass,
                                                  guint              n_pspecs,
                                                  GParamSpec       **pspecs);
GParamSpec **confab_entity_class_list_columns    (ConfabEntityClass *klass,
                                                  guint             *n_columns);
char        *confab_entity_column_name           (GParamSpec        *pspec);
const char  *confab_entity_field_label           (GParamSpec        *pspec);

const char  *confab_entity_get_id                (ConfabEntity      *self);
const char  *confab_entity_get_created_at        (ConfabEntity      *self);
const char  *confab_entity_get_updated_at        (ConfabEntity      *self);

const GValue *confab_entity_peek_value           (ConfabEntity      *self,
                                                  GParamSpec        *pspec);
void         confab_entity_set_value             (ConfabEntity      *self,
                                                  GParamSpec        *pspec,
                                                  const GValue      *value);
const char  *confab_entity_get_string            (ConfabEntity      *self,
                                                  GParamSpec        *pspec);
void         confab_entity_set_string            (ConfabEntity      *self,
                                                  GParamSpec        *pspec,
                                                  const char        *value);
gint64       confab_entity_get_int               (ConfabEntity      *self,
                                                  GParamSpec        *pspec);
void         confab_entity_set_int               (ConfabEntity      *self,
                                                  GParamSpec        *pspec,
                                                  gint64             value);
gboolean     confab_entity_get_boolean           (ConfabEntity      *self,
                                                  GParamSpec        *pspec);
void         confab_entity_set_boolean           (ConfabEntity      *self,
                                                  GParamSpec        *pspec,
                                                  gboolean           value);
double       confab_entity_get_double            (ConfabEntity      *self,
                                                  GParamSpec        *pspec);
void         confab_entity_set_double            (ConfabEntity      *self,
                                                  GParamSpec        *pspec,
                                                  double             value);

ConfabEntity *confab_entity_new_from_stmt        (GType              type,
                                                  sqlite3_stmt      *stmt);
void         confab_entity_bind                  (ConfabEntity      *self,
                                                  GParamSpec        *pspec,
                                                  sqlite3_stmt      *stmt,
                                                  int                index);
gboolean     confab_entity_is_dirty              (ConfabEntity      *self,
                                                  GParamSpec        *pspec);
void         confab_entity_clear_dirty           (ConfabEntity      *self);
gboolean     confab_entity_update_from           (ConfabEntity      *self,
                                                  ConfabEntity      *other);
gboolean     confab_entity_column_equal          (ConfabEntity      *self,
                                                  ConfabEntity      *other,
                                                  GParamSpec        *pspec);

/* Typed accessors over the column store, one line per field in an entity's .c */
#define CONFAB_DEFINE_STRING_ACCESSORS(ns, Type, field, pspec)                            \
  const char *ns##_get_##field (Type *self)                                             \
  {                                                                                     \
    return confab_entity_get_string (CONFAB_ENTITY (self), pspec);                      \
  }                                                                                     \
  void ns##_set_##field (Type *self, const char *value)                                 \
  {                                                                                     \
    confab_entity_set_string (CONFAB_ENTITY (self), pspec, value);                      \
  }
#define CONFAB_DEFINE_INT_ACCESSORS(ns, Type, field, ctype, pspec)                        \
  ctype ns##_get_##field (Type *self)                                                   \
  {                                                                                     \
    return (ctype) confab_entity_get_int (CONFAB_ENTITY (self), pspec);                 \
  }                                                                                     \
  void ns##_set_##field (Type *self, ctype value)                                       \
  {                                                                                     \
    confab_entity_set_int (CONFAB_ENTITY (self), pspec, value);                         \
  }
#define CONFAB_DEFINE_BOOLEAN_ACCESSORS(ns, Type, field, pspec)                           \
  gboolean ns##_get_##field (Type *self)                                                \
  {                                                                                     \
    return confab_entity_get_boolean (CONFAB_ENTITY (self), pspec);                     \
  }                                                                                     \
  void ns##_set_##field (Type *self, gboolean value)                                    \
  {                                                                                     \
    confab_entity_set_boolean (CONFAB_ENTITY (self), pspec, value);                     \
  }
#define CONFAB_DEFINE_DOUBLE_ACCESSORS(ns, Type, field, pspec)                            \
  double ns##_get_##field (Type *self)                                                  \
  {                                                                                     \
    return confab_entity_get_double (CONFAB_ENTITY (self), pspec);                      \
  }                                                                                     \
  void ns##_set_##field (Type *self, double value)                                      \
  {                                                                                     \
    confab_entity_set_double (CONFAB_ENTITY (self), pspec, value);                      \
  }

G_END_DECLS
