/* confab-agent-row.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_AGENT_ROW (confab_agent_row_get_type ())

/* One agent of the Agents list. It follows the agent's properties; flipping
 * its switch emits ::active-toggled (gboolean wanted) for the page to save,
 * and the switch then follows the agent again (confab_agent_row_sync() puts
 * it back if saving failed). */
G_DECLARE_FINAL_TYPE (ConfabAgentRow, confab_agent_row, CONFAB, AGENT_ROW, AdwBin)

GtkWidget   *confab_agent_row_new (void);
ConfabAgent *confab_agent_row_get_agent (ConfabAgentRow *self);
void         confab_agent_row_set_agent (ConfabAgentRow *self, ConfabAgent *agent);
void         confab_agent_row_sync (ConfabAgentRow *self);
GtkSwitch   *confab_agent_row_get_active_switch (ConfabAgentRow *self);

/* "Rule-based", "LLM", "Hybrid" (translated), or the type as stored. */
const char *confab_agent_type_label (const char *agent_type);
/* Confab's styles for the agent widgets (the type tags), added to the
 * display once. */
void confab_agent_row_ensure_style (void);

G_END_DECLS
