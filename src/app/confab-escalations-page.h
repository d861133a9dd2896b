/* confab-escalations-page.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "confab-page.h"
#include "confab-chat-view.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ESCALATIONS_PAGE (confab_escalations_page_get_type ())

/* The Escalations section: conversations handed to a person, pending ones
 * first (longest waiting first), then assigned, then resolved (latest
 * first), filtered by a drop-down; beside the one selected: why it was
 * escalated, its agent, the wait and who holds it, and the conversation in a
 * ConfabChatView whose composer lets the acting user (confab-acting-user.h)
 * answer as a supporter while the escalation is pending or theirs.
 *
 * Actions (group "escalations"): take (pending, or held by somebody else:
 * "Take Over"), resolve (held by the acting user: asks for an optional note
 * first), open-in-chats (win.open-conversation). The work itself is
 * confab-escalation-desk.h's. */
G_DECLARE_FINAL_TYPE (
    ConfabEscalationsPage, confab_escalations_page, CONFAB, ESCALATIONS_PAGE, ConfabPage)

GtkWidget *confab_escalations_page_new (void);

/* Selects the escalation and shows it, as a click on its row does. */
gboolean confab_escalations_page_select (ConfabEscalationsPage *self, const char *escalation_id);
/* Resolves the escalation shown, with @note (nullable), as the resolve
 * dialog's "Resolve" does; errors show as toasts. */
gboolean confab_escalations_page_resolve (ConfabEscalationsPage *self, const char *note);

/* For tests. */
GListModel     *confab_escalations_page_get_visible (ConfabEscalationsPage *self);
ConfabChatView *confab_escalations_page_get_chat_view (ConfabEscalationsPage *self);
GtkDropDown    *confab_escalations_page_get_filter (ConfabEscalationsPage *self);
GtkWidget      *confab_escalations_page_get_take_button (ConfabEscalationsPage *self);
GtkWidget      *confab_escalations_page_get_resolve_button (ConfabEscalationsPage *self);
/* The dialog "Resolve" opened, while it is open. */
AdwMessageDialog *confab_escalations_page_get_resolve_dialog (ConfabEscalationsPage *self);
/* Whether the chat view's composer is offered (pending, or held by the
 * acting user). */
gboolean       confab_escalations_page_get_can_answer (ConfabEscalationsPage *self);
const char    *confab_escalations_page_get_list_state (ConfabEscalationsPage *self);
const char    *confab_escalations_page_get_detail_state (ConfabEscalationsPage *self);
AdwStatusPage *confab_escalations_page_get_empty_page (ConfabEscalationsPage *self);

G_END_DECLS
