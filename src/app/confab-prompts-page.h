/* confab-prompts-page.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "confab-page.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPTS_PAGE (confab_prompts_page_get_type ())

G_DECLARE_FINAL_TYPE (ConfabPromptsPage, confab_prompts_page, CONFAB, PROMPTS_PAGE, ConfabPage)

GtkWidget *confab_prompts_page_new (void);

G_END_DECLS
