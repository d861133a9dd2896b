#pragma once

#include <gio/gio.h>

#include "confab-database.h"

G_BEGIN_DECLS

#define CONFAB_EXPORT_FORMAT         "confab-workspace"
#define CONFAB_EXPORT_FORMAT_VERSION 1

const char * const *confab_export_tables      (void);
gboolean            confab_export_write       (ConfabDatabase  *db,
                                               GOutputStream   *out,
                                               GCancellable    *cancellable,
                                               GError         **error);
gboolean            confab_export_to_file     (ConfabDatabase  *db,
                                               GFile           *file,
                                               GCancellable    *cancellable,
                                               GError         **error);
gboolean            confab_import_from_file   (ConfabDatabase  *db,
                                               GFile           *file,
                                               const char      *actor_id,
                                               guint64         *n_rows,
                                               GCancellable    *cancellable,
                                               GError         **error);

G_END_DECLS
