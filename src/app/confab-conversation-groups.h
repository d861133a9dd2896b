/* confab-conversation-groups.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

#include "confab-conversation-header.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_CONVERSATION_GROUPS (confab_conversation_groups_get_type ())

/* A list of conversations (newest first) with a ConfabConversationHeader
 * before each group of them: Today, Yesterday, Previous 7 Days, Previous 30
 * Days, then one group a month. GTK 4.8's list views have no sections, so
 * the headers are items of their own, which the view shows unselectable.
 *
 * A change of the conversations recomputes the groups (a pass over the list;
 * each conversation's day is cached until its updated_at changes) and
 * announces only the range that changed, so a view keeps its scroll position
 * and its selection. */
G_DECLARE_FINAL_TYPE (
    ConfabConversationGroups, confab_conversation_groups, CONFAB, CONVERSATION_GROUPS, GObject)

ConfabConversationGroups *confab_conversation_groups_new (GListModel *conversations);
/* Regroups against the current date (call when the day may have changed). */
void confab_conversation_groups_refresh (ConfabConversationGroups *self);
/* The position of the conversation with that id, or G_MAXUINT. */
guint confab_conversation_groups_find (ConfabConversationGroups *self, const char *conversation_id);

/* The group of something updated at when, seen at now (both local times):
 * a key that grows with age, and the group's title. */
gint64 confab_conversation_groups_classify (GDateTime *when, GDateTime *now, char **out_title);

G_END_DECLS
