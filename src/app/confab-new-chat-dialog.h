/* confab-new-chat-dialog.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_NEW_CHAT_DIALOG (confab_new_chat_dialog_get_type ())

/* Asks whom to chat with (an active agent or a team) and as which user,
 * then emits ::start (user id, agent id or NULL, team id or NULL) and
 * closes. It starts nothing itself: the chats page does. */
G_DECLARE_FINAL_TYPE (
    ConfabNewChatDialog, confab_new_chat_dialog, CONFAB, NEW_CHAT_DIALOG, AdwWindow)

GtkWidget *
confab_new_chat_dialog_new (GtkWindow *parent, ConfabDatabase *database, const char *user_id);
/* Picks the agent or the team (one of them NULL); FALSE when the list has
 * no such row. */
gboolean confab_new_chat_dialog_select_peer (ConfabNewChatDialog *self,
                                             const char          *agent_id,
                                             const char          *team_id);
/* The user chats are started as; NULL when the workspace has none. */
const char *confab_new_chat_dialog_get_user_id (ConfabNewChatDialog *self);
gboolean    confab_new_chat_dialog_set_user_id (ConfabNewChatDialog *self, const char *user_id);
GtkButton  *confab_new_chat_dialog_get_start_button (ConfabNewChatDialog *self);

G_END_DECLS
