/* confab-conversation-row.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CONVERSATION_ROW (confab_conversation_row_get_type ())

G_DECLARE_FINAL_TYPE (
    ConfabConversationRow, confab_conversation_row, CONFAB, CONVERSATION_ROW, AdwBin)

GtkWidget          *confab_conversation_row_new (void);
ConfabConversation *confab_conversation_row_get_conversation (ConfabConversationRow *self);
void                confab_conversation_row_set_conversation (ConfabConversationRow *self,
                                                              ConfabConversation    *conversation);
/* Who the conversation is with ("Bakery Concierge · Maya Chen"). */
void     confab_conversation_row_set_peer (ConfabConversationRow *self, const char *peer);
gboolean confab_conversation_row_get_streaming (ConfabConversationRow *self);
void     confab_conversation_row_set_streaming (ConfabConversationRow *self, gboolean streaming);
/* Rewrites the relative time ("5 min", "Yesterday"): the clock moved on. */
void confab_conversation_row_update_time (ConfabConversationRow *self);
/* Shows menu in a popover at x, y of the row (a right click). */
void confab_conversation_row_popup_menu (ConfabConversationRow *self,
                                         GMenuModel            *menu,
                                         double                 x,
                                         double                 y);

GtkLabel *confab_conversation_row_get_title_label (ConfabConversationRow *self);
GtkLabel *confab_conversation_row_get_status_label (ConfabConversationRow *self);

/* The short time a list shows for when, seen at now: "Now", "5 min",
 * "14:03" today, "Yesterday", a weekday this week, then a date. */
char *confab_conversation_row_format_time (GDateTime *when, GDateTime *now);

G_END_DECLS
