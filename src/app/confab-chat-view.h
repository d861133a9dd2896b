/* confab-chat-view.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-agent-runtime.h"
#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CHAT_VIEW (confab_chat_view_get_type ())

/* One conversation: its messages (a GtkListView over the lazy
 * ConfabMessageList, opened at the end) and a composer. Sending has the
 * conversation's agent or team answer through "runtime" (one is made from
 * "database" when none is set); the reply streams into its row, re-drawn at
 * most once per frame, and the send button stops it meanwhile (so does
 * Escape). While a person from the team holds the conversation (status
 * "escalated") the composer is closed to the client; with "operator-id" set
 * the operator writes in it instead, as a "supporter" message.
 *
 * Errors show as toasts in the AdwToastOverlay the view is inside (the
 * window's), or as a failed message with "Retry". */
G_DECLARE_FINAL_TYPE (ConfabChatView, confab_chat_view, CONFAB, CHAT_VIEW, AdwBin)

GtkWidget          *confab_chat_view_new (ConfabDatabase *database, ConfabAgentRuntime *runtime);
ConfabDatabase     *confab_chat_view_get_database (ConfabChatView *self);
void                confab_chat_view_set_database (ConfabChatView *self, ConfabDatabase *database);
ConfabAgentRuntime *confab_chat_view_get_runtime (ConfabChatView *self);
void        confab_chat_view_set_runtime (ConfabChatView *self, ConfabAgentRuntime *runtime);
const char *confab_chat_view_get_conversation_id (ConfabChatView *self);
void confab_chat_view_set_conversation_id (ConfabChatView *self, const char *conversation_id);
/* The operator or admin answering escalated conversations here, or NULL
 * (the view is the client's). */
const char *confab_chat_view_get_operator_id (ConfabChatView *self);
void        confab_chat_view_set_operator_id (ConfabChatView *self, const char *operator_id);
/* TRUE while a reply of this conversation is being written. */
gboolean confab_chat_view_get_replying (ConfabChatView *self);

/* Shows message_id (switching to its branch when it is on another one),
 * e.g. a search result. */
void confab_chat_view_scroll_to_message (ConfabChatView *self, const char *message_id);
/* Sends what the composer holds, as the send button does; stops the reply
 * being written instead while there is one. */
void confab_chat_view_send (ConfabChatView *self);
/* Stops the replies of this conversation being written. */
void confab_chat_view_stop (ConfabChatView *self);
void confab_chat_view_focus_composer (ConfabChatView *self);

/* For tests and embedding pages. */
GListModel  *confab_chat_view_get_messages (ConfabChatView *self);
GtkListView *confab_chat_view_get_list_view (ConfabChatView *self);
GtkTextView *confab_chat_view_get_composer (ConfabChatView *self);
GtkButton   *confab_chat_view_get_send_button (ConfabChatView *self);
/* The line under the composer: the counter near the limit, or why a text
 * was refused. */
GtkLabel *confab_chat_view_get_limit_label (ConfabChatView *self);
/* The banner above the messages (a person holds the conversation) and its
 * text, and the row showing message_id (NULL when it is not on screen). */
GtkRevealer *confab_chat_view_get_banner (ConfabChatView *self);
GtkLabel    *confab_chat_view_get_banner_label (ConfabChatView *self);
GtkWidget   *confab_chat_view_get_row (ConfabChatView *self, const char *message_id);

G_END_DECLS
