/* confab-chats-page.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "confab-page.h"
#include "confab-conversation-export.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CHATS_PAGE (confab_chats_page_get_type ())

G_DECLARE_FINAL_TYPE (ConfabChatsPage, confab_chats_page, CONFAB, CHATS_PAGE, ConfabPage)

GtkWidget *confab_chats_page_new (void);

/* Selects the conversation and shows it; with message_id, scrolled to that
 * message (a search result). */
void confab_chats_page_open_conversation (ConfabChatsPage *self,
                                          const char      *conversation_id,
                                          const char      *message_id);
/* A new conversation with agent_id or team_id (one of them is NULL), for
 * the workspace's acting user. */
void
confab_chats_page_start_chat (ConfabChatsPage *self, const char *agent_id, const char *team_id);
/* Asks whom to chat with, then starts the chat. */
void confab_chats_page_new_chat (ConfabChatsPage *self);

/* Writes the conversation to file (replacing it) without blocking; the
 * "Export as…" menu items call it after the file chooser. */
void confab_chats_page_export_async (ConfabChatsPage               *self,
                                     const char                    *conversation_id,
                                     ConfabConversationExportFormat format,
                                     GFile                         *file,
                                     GCancellable                  *cancellable,
                                     GAsyncReadyCallback            callback,
                                     gpointer                       user_data);
gboolean
confab_chats_page_export_finish (ConfabChatsPage *self, GAsyncResult *result, GError **error);

/* The id of the conversation the detail pane shows, or NULL. */
const char *confab_chats_page_get_conversation_id (ConfabChatsPage *self);

/* For tests: the list's items (ConfabConversationHeader before each group
 * of ConfabConversation), the search entry, the detail pane's title, and
 * the undo toast of the last delete while it can still be undone. */
GListModel     *confab_chats_page_get_items (ConfabChatsPage *self);
GtkEditable    *confab_chats_page_get_search_entry (ConfabChatsPage *self);
AdwWindowTitle *confab_chats_page_get_detail_title (ConfabChatsPage *self);
AdwToast       *confab_chats_page_get_undo_toast (ConfabChatsPage *self);
/* For tests: what the list pane shows: "list", "empty", "archived" (every
 * chat is archived and hidden) or "no-results". */
const char *confab_chats_page_get_list_state (ConfabChatsPage *self);

G_END_DECLS
