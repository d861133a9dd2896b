/* confab-message-row.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MESSAGE_ROW (confab_message_row_get_type ())

/* One message of a chat: a bubble on the right for what the user wrote, a
 * full-width reply for an agent (its name above it in team chats), a
 * labelled card for a team member; the body as Markdown, the branch
 * switcher "‹ 2/3 ›" where the message has siblings, citations as chips,
 * and the hover actions copy, edit (user) and regenerate (assistant).
 *
 * The row follows its message (the message list updates the objects it
 * holds in place), except while "live-text" is set: then it shows that
 * text as a reply being written, whatever the saved content says.
 *
 * It does not run agents itself: it asks through its signals.
 *   ::regenerate           a new reply instead of this one (also "Retry")
 *   ::edit (text)          the user's message rewritten, as a new branch
 *   ::switch-branch (id)   show the sibling message id instead of this one
 *   ::toast (message)      something to tell the user ("Copied", an error) */
G_DECLARE_FINAL_TYPE (ConfabMessageRow, confab_message_row, CONFAB, MESSAGE_ROW, AdwBin)

GtkWidget      *confab_message_row_new (void);
ConfabDatabase *confab_message_row_get_database (ConfabMessageRow *self);
void            confab_message_row_set_database (ConfabMessageRow *self, ConfabDatabase *database);
ConfabMessage  *confab_message_row_get_message (ConfabMessageRow *self);
void            confab_message_row_set_message (ConfabMessageRow *self, ConfabMessage *message);
/* The name shown above the message (an agent in a team chat, a team
 * member); NULL shows none. */
const char *confab_message_row_get_author (ConfabMessageRow *self);
void        confab_message_row_set_author (ConfabMessageRow *self, const char *author);
/* The reply as it is being written (NULL: the saved content). */
const char *confab_message_row_get_live_text (ConfabMessageRow *self);
void        confab_message_row_set_live_text (ConfabMessageRow *self, const char *live_text);
/* FALSE while an answer is being written or a person holds the chat:
 * edit, regenerate and retry are then unavailable. */
gboolean confab_message_row_get_can_reply (ConfabMessageRow *self);
void     confab_message_row_set_can_reply (ConfabMessageRow *self, gboolean can_reply);

/* What the body shows now (the live text or the content). */
const char *confab_message_row_get_shown_text (ConfabMessageRow *self);
/* For tests: the branch switcher's label ("2/3") and buttons, the retry
 * button, the citation chips (GtkMenuButtons) and the inline editor. */
GtkLabel    *confab_message_row_get_branch_label (ConfabMessageRow *self);
GtkButton   *confab_message_row_get_previous_button (ConfabMessageRow *self);
GtkButton   *confab_message_row_get_next_button (ConfabMessageRow *self);
GtkButton   *confab_message_row_get_retry_button (ConfabMessageRow *self);
GtkWidget   *confab_message_row_get_citations (ConfabMessageRow *self);
GtkTextView *confab_message_row_get_editor (ConfabMessageRow *self);
/* Opens the inline editor of a user message (the "Edit" action). */
void confab_message_row_start_editing (ConfabMessageRow *self);

G_END_DECLS
