/* confab-knowledge-base-row.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_KNOWLEDGE_BASE_ROW (confab_knowledge_base_row_get_type ())

/* One knowledge base of the Knowledge list: its title, how many documents it
 * has and who owns it, and an active switch. It follows the knowledge base's
 * properties; confab_knowledge_base_row_refresh() re-reads the count and the
 * owner's name. Flipping the switch emits ::active-toggled (gboolean wanted)
 * for the page to save; confab_knowledge_base_row_sync() puts it back if
 * saving failed. */
G_DECLARE_FINAL_TYPE (
    ConfabKnowledgeBaseRow, confab_knowledge_base_row, CONFAB, KNOWLEDGE_BASE_ROW, AdwBin)

GtkWidget           *confab_knowledge_base_row_new (void);
void                 confab_knowledge_base_row_set_item (ConfabKnowledgeBaseRow *self,
                                                         ConfabDatabase         *db,
                                                         ConfabKnowledgeBase    *kb);
ConfabKnowledgeBase *confab_knowledge_base_row_get_item (ConfabKnowledgeBaseRow *self);
void                 confab_knowledge_base_row_refresh (ConfabKnowledgeBaseRow *self);
void                 confab_knowledge_base_row_sync (ConfabKnowledgeBaseRow *self);
/* For tests. */
GtkSwitch  *confab_knowledge_base_row_get_switch (ConfabKnowledgeBaseRow *self);
const char *confab_knowledge_base_row_get_summary (ConfabKnowledgeBaseRow *self);

G_END_DECLS
