/* confab-chats-page.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "confab-page.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CHATS_PAGE (confab_chats_page_get_type ())

G_DECLARE_FINAL_TYPE (ConfabChatsPage, confab_chats_page, CONFAB, CHATS_PAGE, ConfabPage)

GtkWidget *confab_chats_page_new               (void);

/* Selects the conversation and shows it; with message_id, scrolled to that
 * message (a search result). */
void       confab_chats_page_open_conversation (ConfabChatsPage *self,
                                                const char      *conversation_id,
                                                const char      *message_id);
/* A new conversation with agent_id or team_id (one of them is NULL), for
 * the workspace's acting user. */
void       confab_chats_page_start_chat        (ConfabChatsPage *self,
                                                const char      *agent_id,
                                                const char      *team_id);
/* Asks whom to chat with, then starts the chat. */
void       confab_chats_page_new_chat          (ConfabChatsPage *self);

G_END_DECLS
