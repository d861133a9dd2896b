/* confab-acting-user.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include "confab-acting-user.h"

static ConfabUser *
find_first (ConfabDatabase *db, const char *sql, GError **error)
{
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return CONFAB_USER (confab_entity_new_from_stmt (CONFAB_TYPE_USER, stmt));
  if (rc != SQLITE_DONE)
    confab_database_set_error (db, rc, error);
  return NULL;
}

ConfabUser *
confab_acting_user_find (ConfabDatabase *db, GError **error)
{
  GError     *local_error = NULL;
  ConfabUser *user;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);

  user = find_first (db,
                     "SELECT * FROM users WHERE role = 'admin' AND is_active "
                     "ORDER BY created_at, rowid LIMIT 1",
                     &local_error);
  if (user == NULL && local_error == NULL)
    user = find_first (db, "SELECT * FROM users ORDER BY created_at, rowid LIMIT 1", &local_error);
  if (local_error != NULL)
    g_propagate_error (error, local_error);
  return user;
}

char *
confab_acting_user_dup_id (ConfabDatabase *db)
{
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (GError) error = NULL;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);

  user = confab_acting_user_find (db, &error);
  if (error != NULL)
    g_debug ("Could not find the acting user: %s", error->message);
  if (user == NULL)
    return NULL;
  return g_strdup (confab_entity_get_id (CONFAB_ENTITY (user)));
}
