/* confab-acting-user.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "confab-core.h"

G_BEGIN_DECLS

/* Who acts in the app, for audit rows and new chats: the workspace has no
 * login, so it is the first active admin (oldest first), else the first
 * user, else nobody (NULL without an error). */
ConfabUser *confab_acting_user_find (ConfabDatabase *db, GError **error);
/* The same user's id, or NULL (nobody, or the workspace could not be read:
 * an audit row then has no actor rather than the action failing). */
char *confab_acting_user_dup_id (ConfabDatabase *db);

G_END_DECLS
