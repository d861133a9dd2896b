/* confab-escalations-page.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "confab-page.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ESCALATIONS_PAGE (confab_escalations_page_get_type ())

G_DECLARE_FINAL_TYPE (ConfabEscalationsPage, confab_escalations_page, CONFAB, ESCALATIONS_PAGE, ConfabPage)

GtkWidget *confab_escalations_page_new (void);

G_END_DECLS
