#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "confab-branch.h"
#include "confab-entity.h"
#include "confab-error.h"
#include "confab-repository.h"
#include "confab-util.h"

/* The columns behind it (schema 4, data/sql/0004-branches.sql): depth,
 * selected (among siblings) and on_path (on the active branch). Invariants:
 * one selected message per set of siblings; on_path = the chain of selected
 * messages from a first message; on the active branch depth is 0, 1, 2...
 * Every change keeps them inside one transaction and announces
 * changed::messages without an id, so lists showing the branch reload. */

#define ROOT_KEY "confab-branch-root"

static void
set_step_error (ConfabDatabase  *db,
                GError         **error)
{
  confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)),
                             error);
}

typedef struct
{
  char   *conversation_id;
  char   *parent_id;
  gint64  depth;
  gboolean selected;
  gboolean on_path;
} Node;

static void
node_clear (Node *node)
{
  g_clear_pointer (&node->conversation_id, g_free);
  g_clear_pointer (&node->parent_id, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Node, node_clear)

static gboolean
read_node (ConfabDatabase  *db,
           const char      *message_id,
           Node            *node,
           GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  stmt = confab_database_prepare (db,
                                  "SELECT conversation_id, parent_message_id, depth, selected, "
                                  "on_path FROM messages WHERE id = ?",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, message_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                   _("The message “%s” does not exist in this workspace"), message_id);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    {
      set_step_error (db, error);
      return FALSE;
    }
  node->conversation_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  node->parent_id = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  node->depth = sqlite3_column_int64 (stmt, 2);
  node->selected = sqlite3_column_int (stmt, 3) != 0;
  node->on_path = sqlite3_column_int (stmt, 4) != 0;
  return TRUE;
}

/* "+seq": sort the few siblings found through messages_parent_idx, rather
 * than walk the whole conversation in (conversation_id, seq) order. */
#define SQL_SIBLINGS                                                      \
  "SELECT * FROM messages WHERE conversation_id = ?1 "                    \
  "AND parent_message_id IS ?2 ORDER BY +seq"

GPtrArray *
confab_branch_list_siblings (ConfabDatabase  *db,
                             const char      *message_id,
                             GError         **error)
{
  g_auto (Node) node = { 0 };
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) siblings = g_ptr_array_new_with_free_func (g_object_unref);
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (message_id != NULL, NULL);

  if (!read_node (db, message_id, &node, error))
    return NULL;
  stmt = confab_database_prepare (db, SQL_SIBLINGS, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, node.conversation_id, -1, SQLITE_TRANSIENT);
  if (node.parent_id != NULL)
    sqlite3_bind_text (stmt, 2, node.parent_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (siblings, confab_entity_new_from_stmt (CONFAB_TYPE_MESSAGE, stmt));
  if (rc != SQLITE_DONE)
    {
      set_step_error (db, error);
      return NULL;
    }
  return g_steal_pointer (&siblings);
}

gboolean
confab_branch_get_position (ConfabDatabase  *db,
                            const char      *message_id,
                            guint           *out_index,
                            guint           *out_n_siblings,
                            GError         **error)
{
  g_autoptr (GPtrArray) siblings = confab_branch_list_siblings (db, message_id, error);

  if (siblings == NULL)
    return FALSE;
  for (guint i = 0; i < siblings->len; i++)
    if (g_strcmp0 (confab_entity_get_id (g_ptr_array_index (siblings, i)), message_id) == 0)
      {
        if (out_index != NULL)
          *out_index = i;
        if (out_n_siblings != NULL)
          *out_n_siblings = siblings->len;
        return TRUE;
      }
  g_assert_not_reached ();
}

char *
confab_branch_dup_sibling_id (ConfabDatabase  *db,
                              const char      *message_id,
                              int              delta,
                              GError         **error)
{
  g_autoptr (GPtrArray) siblings = confab_branch_list_siblings (db, message_id, error);
  gint64 wanted = -1;

  if (siblings == NULL)
    return NULL;
  for (guint i = 0; i < siblings->len; i++)
    if (g_strcmp0 (confab_entity_get_id (g_ptr_array_index (siblings, i)), message_id) == 0)
      wanted = (gint64) i + delta;
  if (wanted < 0 || wanted >= siblings->len)
    return NULL;
  return g_strdup (confab_entity_get_id (g_ptr_array_index (siblings, wanted)));
}

/* Makes message_id the selected one of its siblings. */
static gboolean
select_among_siblings (ConfabDatabase  *db,
                       const char      *message_id,
                       const Node      *node,
                       GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = confab_database_prepare (db,
                                  "UPDATE messages SET selected = (id = ?3) "
                                  "WHERE conversation_id = ?1 AND parent_message_id IS ?2 "
                                  "AND selected <> (id = ?3)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, node->conversation_id, -1, SQLITE_TRANSIENT);
  if (node->parent_id != NULL)
    sqlite3_bind_text (stmt, 2, node->parent_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, message_id, -1, SQLITE_TRANSIENT);
  return confab_database_step_done (db, stmt, error);
}

/* Takes the active branch off from depth on, then lays it again from
 * top_id (now selected, with its ancestors on the branch) down through the
 * selected messages. */
static gboolean
relay_path (ConfabDatabase  *db,
            const char      *conversation_id,
            const char      *top_id,
            gint64           depth,
            GError         **error)
{
  g_autoptr (ConfabStmt) off = NULL;
  g_autoptr (ConfabStmt) on = NULL;

  off = confab_database_prepare (db,
                                 "UPDATE messages SET on_path = 0 WHERE conversation_id = ? "
                                 "AND on_path = 1 AND depth >= ?",
                                 error);
  if (off == NULL)
    return FALSE;
  sqlite3_bind_text (off, 1, conversation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (off, 2, depth);
  if (!confab_database_step_done (db, off, error))
    return FALSE;

  on = confab_database_prepare (db,
                                "WITH RECURSIVE down (id) AS ("
                                "  SELECT ?1"
                                "  UNION ALL"
                                "  SELECT m.id FROM messages AS m JOIN down "
                                "  ON m.parent_message_id = down.id WHERE m.selected = 1"
                                ") UPDATE messages SET on_path = 1 WHERE id IN (SELECT id FROM down)",
                                error);
  if (on == NULL)
    return FALSE;
  sqlite3_bind_text (on, 1, top_id, -1, SQLITE_TRANSIENT);
  return confab_database_step_done (db, on, error);
}

/* Selects message_id and, walking up, each ancestor that is not on the
 * active branch yet; then lays the branch again from the highest message
 * that changed. Inside the caller's transaction. */
static gboolean
switch_in_transaction (ConfabDatabase  *db,
                       const char      *message_id,
                       gboolean        *changed,
                       GError         **error)
{
  g_autofree char *top_id = NULL;
  g_autofree char *current = g_strdup (message_id);
  g_autofree char *conversation_id = NULL;
  gint64 top_depth = -1;

  *changed = FALSE;
  while (current != NULL)
    {
      g_auto (Node) node = { 0 };

      if (!read_node (db, current, &node, error))
        return FALSE;
      if (node.on_path && node.selected)
        break;
      if (!select_among_siblings (db, current, &node, error))
        return FALSE;
      g_free (conversation_id);
      conversation_id = g_strdup (node.conversation_id);
      g_free (top_id);
      top_id = g_strdup (current);
      top_depth = node.depth;
      g_free (current);
      current = g_steal_pointer (&node.parent_id);
    }

  if (top_id == NULL)
    return TRUE; /* already on the active branch */

  *changed = TRUE;
  return relay_path (db, conversation_id, top_id, top_depth, error);
}

gboolean
confab_branch_switch (ConfabDatabase  *db,
                      const char      *message_id,
                      GError         **error)
{
  gboolean changed = FALSE;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (message_id != NULL, FALSE);

  if (!confab_database_begin (db, error))
    return FALSE;
  if (!switch_in_transaction (db, message_id, &changed, error))
    {
      confab_database_rollback (db);
      return FALSE;
    }
  if (changed)
    confab_database_notify_change (db, "messages", NULL, "update");
  return confab_database_commit (db, error);
}

ConfabMessage *
confab_branch_get_leaf (ConfabDatabase  *db,
                        const char      *conversation_id,
                        GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (conversation_id != NULL, NULL);

  stmt = confab_database_prepare (db,
                                  "SELECT * FROM messages WHERE conversation_id = ? "
                                  "AND on_path = 1 ORDER BY depth DESC LIMIT 1",
                                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return CONFAB_MESSAGE (confab_entity_new_from_stmt (CONFAB_TYPE_MESSAGE, stmt));
  if (rc != SQLITE_DONE)
    set_step_error (db, error);
  return NULL;
}

gboolean
confab_branch_rebuild (ConfabDatabase  *db,
                       const char      *conversation_id,
                       GError         **error)
{
  static const char * const statements[] = {
    /* One selected message per set of siblings: the newest selected one,
     * or the newest when none is. */
    "UPDATE messages SET selected = (seq = ("
    "  SELECT COALESCE (MAX (CASE WHEN s.selected THEN s.seq END), MAX (s.seq))"
    "  FROM messages AS s WHERE s.conversation_id = messages.conversation_id"
    "  AND s.parent_message_id IS messages.parent_message_id)) "
    "WHERE ?1 IS NULL OR conversation_id = ?1",
    "UPDATE messages SET on_path = 0 WHERE ?1 IS NULL OR conversation_id = ?1",
    "WITH RECURSIVE tree (id, depth, on_path) AS ("
    "  SELECT id, 0, selected FROM messages"
    "  WHERE parent_message_id IS NULL AND (?1 IS NULL OR conversation_id = ?1)"
    "  UNION ALL"
    "  SELECT m.id, tree.depth + 1, tree.on_path AND m.selected"
    "  FROM messages AS m JOIN tree ON m.parent_message_id = tree.id"
    ") UPDATE messages SET depth = tree.depth, on_path = tree.on_path "
    "FROM tree WHERE messages.id = tree.id",
  };

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (statements); i++)
    {
      g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, statements[i], error);

      if (stmt == NULL)
        return FALSE;
      if (conversation_id != NULL)
        sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
      if (!confab_database_step_done (db, stmt, error))
        return FALSE;
    }
  confab_database_notify_change (db, "messages", NULL, "update");
  return TRUE;
}

void
confab_branch_mark_root (ConfabMessage *message)
{
  g_return_if_fail (CONFAB_IS_MESSAGE (message));

  g_object_set_data (G_OBJECT (message), ROOT_KEY, GINT_TO_POINTER (TRUE));
}

gboolean
confab_branch_before_insert (ConfabDatabase  *db,
                             ConfabMessage   *message,
                             GError         **error)
{
  g_autoptr (ConfabMessage) leaf = NULL;
  g_autoptr (GError) local_error = NULL;

  /* Without a conversation the insert fails validation. */
  if (confab_message_get_conversation_id (message) == NULL ||
      confab_message_get_parent_message_id (message) != NULL ||
      g_object_get_data (G_OBJECT (message), ROOT_KEY) != NULL)
    return TRUE;

  leaf = confab_branch_get_leaf (db, confab_message_get_conversation_id (message), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (leaf != NULL)
    confab_message_set_parent_message_id (message, confab_entity_get_id (CONFAB_ENTITY (leaf)));
  return TRUE;
}

gboolean
confab_branch_after_insert (ConfabDatabase  *db,
                            ConfabMessage   *message,
                            GError         **error)
{
  const char *id = confab_entity_get_id (CONFAB_ENTITY (message));
  const char *parent_id = confab_message_get_parent_message_id (message);
  const char *conversation_id = confab_message_get_conversation_id (message);
  g_autoptr (ConfabStmt) place = NULL;
  gint64 depth = 0;
  gboolean changed = FALSE;

  g_object_set_data (G_OBJECT (message), ROOT_KEY, NULL);

  if (parent_id != NULL)
    {
      g_auto (Node) parent = { 0 };

      if (!read_node (db, parent_id, &parent, error))
        return FALSE;
      /* A message continues the branch its parent is on. */
      if (!switch_in_transaction (db, parent_id, &changed, error))
        return FALSE;
      depth = parent.depth + 1;
    }

  place = confab_database_prepare (db,
                                   "UPDATE messages SET depth = ?2, selected = 1, on_path = 1 "
                                   "WHERE id = ?1",
                                   error);
  if (place == NULL)
    return FALSE;
  sqlite3_bind_text (place, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (place, 2, depth);
  if (!confab_database_step_done (db, place, error))
    return FALSE;

  /* Its siblings and what followed them leave the active branch; for a
   * message that simply continues the chat there is nothing to change. */
  {
    g_auto (Node) node = { 0 };
    g_autoptr (ConfabStmt) off = NULL;
    sqlite3 *handle = confab_database_get_handle (db);

    if (!read_node (db, id, &node, error) || !select_among_siblings (db, id, &node, error))
      return FALSE;
    changed = changed || sqlite3_changes (handle) > 0;

    off = confab_database_prepare (db,
                                   "UPDATE messages SET on_path = 0 WHERE conversation_id = ? "
                                   "AND on_path = 1 AND depth >= ? AND id <> ?",
                                   error);
    if (off == NULL)
      return FALSE;
    sqlite3_bind_text (off, 1, conversation_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (off, 2, depth);
    sqlite3_bind_text (off, 3, id, -1, SQLITE_TRANSIENT);
    if (!confab_database_step_done (db, off, error))
      return FALSE;
    changed = changed || sqlite3_changes (handle) > 0;
  }

  if (changed)
    confab_database_notify_change (db, "messages", NULL, "update");
  return TRUE;
}
