/* confab-agents-page.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "confab-page.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_AGENTS_PAGE (confab_agents_page_get_type ())

G_DECLARE_FINAL_TYPE (ConfabAgentsPage, confab_agents_page, CONFAB, AGENTS_PAGE, ConfabPage)

GtkWidget *confab_agents_page_new (void);

G_END_DECLS
