#pragma once

#include "confab-core.h"

G_BEGIN_DECLS

/* A fresh workspace in a new temporary folder; removed by confab_test_workspace_free(). */
typedef struct
{
  char           *dir;
  char           *path;
  ConfabDatabase *db;
} ConfabTestWorkspace;

ConfabTestWorkspace *confab_test_workspace_new   (void);
void                 confab_test_workspace_free  (ConfabTestWorkspace *ws);
void                 confab_test_drain_main_loop (void);
ConfabUser          *confab_test_add_user        (ConfabDatabase *db,
                                                  const char     *username);
gint64               confab_test_count_rows      (ConfabDatabase *db,
                                                  const char     *sql);
void                 confab_test_remove_tree     (const char     *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabTestWorkspace, confab_test_workspace_free)

G_END_DECLS
