/* confab-conversation-header.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_CONVERSATION_HEADER (confab_conversation_header_get_type ())

/* The heading of a group of conversations in the chat list ("Today",
 * "Previous 7 Days", "March"), an item of ConfabConversationGroups. */
G_DECLARE_FINAL_TYPE (
    ConfabConversationHeader, confab_conversation_header, CONFAB, CONVERSATION_HEADER, GObject)

ConfabConversationHeader *confab_conversation_header_new (gint64 key, const char *title);
gint64                    confab_conversation_header_get_key (ConfabConversationHeader *self);
const char               *confab_conversation_header_get_title (ConfabConversationHeader *self);

G_END_DECLS
