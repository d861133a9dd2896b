#pragma once

#include "confab-database.h"
#include "confab-message.h"

G_BEGIN_DECLS

/* Branches of a conversation.
 *
 * A conversation's messages form a tree through parent_message_id: the
 * first message has none, each later one points at the message it answers
 * or follows. Messages that share a parent are siblings: editing a user
 * message or regenerating a reply adds one. Of each set of siblings one is
 * selected, and the conversation remembers it; the active branch is the path
 * from the first message down through the selected messages, each with its
 * depth (0, 1, 2...) on it. ConfabMessageList shows the active branch, and
 * new messages continue it. */

/* Where message_id stands among its siblings (itself included, oldest
 * first): *out_index from 0, *out_n_siblings at least 1. Both nullable. */
gboolean       confab_branch_get_position   (ConfabDatabase  *db,
                                             const char      *message_id,
                                             guint           *out_index,
                                             guint           *out_n_siblings,
                                             GError         **error);

/* The siblings of message_id, itself included, oldest first
 * (ConfabMessage, transfer full). */
GPtrArray     *confab_branch_list_siblings  (ConfabDatabase  *db,
                                             const char      *message_id,
                                             GError         **error);

/* The id of the sibling delta places away from message_id (-1: the previous,
 * +1: the next), or NULL without an error when there is none. */
char          *confab_branch_dup_sibling_id (ConfabDatabase  *db,
                                             const char      *message_id,
                                             int              delta,
                                             GError         **error);

/* Makes message_id selected among its siblings, so the active branch runs
 * through it and then through the messages selected below it (the branch as
 * it was when last shown). Emits ConfabDatabase::changed for "messages". */
gboolean       confab_branch_switch         (ConfabDatabase  *db,
                                             const char      *message_id,
                                             GError         **error);

/* The last message of the conversation's active branch, or NULL without an
 * error when the conversation has no messages. */
ConfabMessage *confab_branch_get_leaf       (ConfabDatabase  *db,
                                             const char      *conversation_id,
                                             GError         **error);

/* Recomputes depth, selection and the active branch from the parent links
 * (conversation_id NULL: every conversation), keeping each set of siblings'
 * selected message (the newest one where none or several are). For imports
 * of files written before branches were stored. Runs in the caller's
 * transaction, if any. */
gboolean       confab_branch_rebuild        (ConfabDatabase  *db,
                                             const char      *conversation_id,
                                             GError         **error);

/* For confab-message.c: where a message being inserted goes. Before the
 * insert, a message without a parent continues the active branch (its
 * parent becomes the branch's last message) unless it was marked with
 * confab_branch_mark_root(); after it, the message becomes the selected one
 * of its siblings and the active branch ends with it. */
void           confab_branch_mark_root      (ConfabMessage   *message);
gboolean       confab_branch_before_insert  (ConfabDatabase  *db,
                                             ConfabMessage   *message,
                                             GError         **error);
gboolean       confab_branch_after_insert   (ConfabDatabase  *db,
                                             ConfabMessage   *message,
                                             GError         **error);

G_END_DECLS
