/* confab-knowledge-page.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "confab-page.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_KNOWLEDGE_PAGE (confab_knowledge_page_get_type ())

G_DECLARE_FINAL_TYPE (ConfabKnowledgePage, confab_knowledge_page, CONFAB, KNOWLEDGE_PAGE, ConfabPage)

GtkWidget *confab_knowledge_page_new (void);

G_END_DECLS
