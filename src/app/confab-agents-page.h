/* confab-agents-page.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "confab-page.h"
#include "confab-agent-editor.h"
#include "confab-agent-row.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_AGENTS_PAGE (confab_agents_page_get_type ())

/* The Agents section: the agents with their type, sector and an active
 * switch, searched by name or sector, beside the editor of the one
 * selected (confab-agent-editor.h).
 *
 * Actions (group "agents"): add, save (Ctrl+S), delete (an undo toast; the
 * agent is only deleted once the toast goes away without Undo), and
 * undo-delete. Leaving an agent with unsaved changes asks first. */
G_DECLARE_FINAL_TYPE (ConfabAgentsPage, confab_agents_page, CONFAB, AGENTS_PAGE, ConfabPage)

GtkWidget *confab_agents_page_new (void);

/* Selects the agent and shows it, as a click on its row does. */
gboolean confab_agents_page_select_agent (ConfabAgentsPage *self, const char *agent_id);

/* For tests. */
ConfabAgentEditor *confab_agents_page_get_editor (ConfabAgentsPage *self);
GtkEditable       *confab_agents_page_get_search_entry (ConfabAgentsPage *self);
/* The agents the list shows (search and pending deletion applied). */
GListModel *confab_agents_page_get_visible_agents (ConfabAgentsPage *self);
/* The row showing the agent, if the list has made one. */
ConfabAgentRow *confab_agents_page_find_row (ConfabAgentsPage *self, const char *agent_id);
/* The undo toast of the deletion waiting to happen, or NULL. */
AdwToast   *confab_agents_page_get_undo_toast (ConfabAgentsPage *self);
GtkWidget  *confab_agents_page_get_save_button (ConfabAgentsPage *self);
const char *confab_agents_page_get_list_state (ConfabAgentsPage *self);
const char *confab_agents_page_get_detail_state (ConfabAgentsPage *self);

G_END_DECLS
