#pragma once

#include <gio/gio.h>

#include "confab-database.h"
#include "confab-entity.h"

G_BEGIN_DECLS

/* Create/get/list/update/delete for every ConfabEntity type. Each write runs
 * in one transaction with its audit_log row and emits ConfabDatabase::changed
 * after commit. actor_id (nullable) is the user who made the change. */

gboolean      confab_repository_create     (ConfabDatabase  *db,
                                            ConfabEntity    *entity,
                                            const char      *actor_id,
                                            GError         **error);
gboolean      confab_repository_update     (ConfabDatabase  *db,
                                            ConfabEntity    *entity,
                                            const char      *actor_id,
                                            GError         **error);
gboolean      confab_repository_delete     (ConfabDatabase  *db,
                                            GType            type,
                                            const char      *id,
                                            const char      *actor_id,
                                            GError         **error);
gpointer      confab_repository_get        (ConfabDatabase  *db,
                                            GType            type,
                                            const char      *id,
                                            GError         **error);
gpointer      confab_repository_find       (ConfabDatabase  *db,
                                            GType            type,
                                            const char      *column,
                                            const char      *value,
                                            GError         **error);
GPtrArray    *confab_repository_list       (ConfabDatabase  *db,
                                            GType            type,
                                            const char      *column,
                                            const char      *value,
                                            GError         **error);
gint64        confab_repository_count      (ConfabDatabase  *db,
                                            GType            type,
                                            const char      *column,
                                            const char      *value,
                                            GError         **error);
gboolean      confab_repository_exists     (ConfabDatabase  *db,
                                            const char      *table,
                                            const char      *column,
                                            const char      *value,
                                            const char      *except_id,
                                            GError         **error);
gboolean      confab_repository_check_reference (ConfabDatabase  *db,
                                                ConfabEntity    *entity,
                                                GParamSpec      *pspec,
                                                const char      *table,
                                                gboolean         required,
                                                GError         **error);
gboolean      confab_repository_require_row     (ConfabDatabase  *db,
                                                const char      *table,
                                                const char      *label,
                                                const char      *id,
                                                GError         **error);
GListModel   *confab_repository_list_model (ConfabDatabase  *db,
                                            GType            type,
                                            const char      *column,
                                            const char      *value);

G_END_DECLS
