/* confab-teams-page.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "confab-page.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_TEAMS_PAGE (confab_teams_page_get_type ())

G_DECLARE_FINAL_TYPE (ConfabTeamsPage, confab_teams_page, CONFAB, TEAMS_PAGE, ConfabPage)

GtkWidget *confab_teams_page_new (void);

G_END_DECLS
