#pragma once

#include <gio/gio.h>

#include "confab-database.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ENTITY_LIST (confab_entity_list_get_type ())

G_DECLARE_FINAL_TYPE (ConfabEntityList, confab_entity_list, CONFAB, ENTITY_LIST, GObject)

ConfabEntityList *confab_entity_list_new     (ConfabDatabase   *db,
                                              GType             item_type,
                                              const char       *column,
                                              const char       *value);
gboolean          confab_entity_list_refresh (ConfabEntityList *self,
                                              GError          **error);

G_END_DECLS
