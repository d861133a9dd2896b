/* confab-users-page.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "confab-page.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_USERS_PAGE (confab_users_page_get_type ())

G_DECLARE_FINAL_TYPE (ConfabUsersPage, confab_users_page, CONFAB, USERS_PAGE, ConfabPage)

GtkWidget *confab_users_page_new (void);

G_END_DECLS
