#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "confab-entity.h"
#include "confab-error.h"
#include "confab-message.h"
#include "confab-message-list.h"
#include "confab-repository.h"

/* The messages of a conversation's active branch (confab-branch.h) in
 * order, read from SQLite a page at a time: a 100,000-message chat costs a
 * COUNT(*) and the pages a view looks at, not 100,000 objects.
 *
 * Position → row. On the active branch (on_path = 1) depth is 0, 1, 2...
 * (one message per depth), but deleting a message leaves a gap. So the
 * list knows whether the branch is dense (count = MAX (depth) + 1, which
 * means depth = position for every row) and reads a page with one of two
 * prepared queries on messages_path_idx (conversation_id, depth WHERE
 * on_path = 1):
 *   dense:  WHERE conversation_id = ? AND on_path = 1 AND depth >= ?
 *           ORDER BY depth LIMIT 64
 *           a range seek, the same cost on page 0 and page 1,562;
 *   gaps:   the same with LIMIT 64 OFFSET ? instead of the lower bound;
 *           always right; it walks the index entries before the page
 *           (about 10 ms for the last page of 100,000 rows) but reads only
 *           the page's 64 rows from the table.
 * Renumbering on delete to stay dense would rewrite every later row for one
 * deleted message, and the generic delete has no hook for it, so the list
 * adapts instead. A branch switch or an edit announces changed::messages
 * without an id: the list resets.
 *
 * Live updates. ConfabDatabase::changed::messages arrives after commit, once
 * per row. A create only marks the list; the idle that follows counts the
 * rows past the last known depth (one index range) and emits one
 * items-changed for the whole burst. An update of a message this list holds
 * marks its id; the idle reloads that row and updates the object in place,
 * so a streaming reply changes its "content" many times a second without a
 * single items-changed. A delete of a message the list holds, or a change
 * without an id (a conversation or a user deleted), drops the pages and
 * resets the list; the delete of a message it does not hold resets it only
 * if the count went down (the row was on a page nobody looked at). A reset
 * and an append in the same idle make one reset.
 *
 * Objects keep their identity while cached: a page that is read again (the
 * partial last page growing, for one) reuses the objects the view holds. */

#define PAGE_SIZE CONFAB_MESSAGE_LIST_PAGE_SIZE
#define MAX_PAGES CONFAB_MESSAGE_LIST_MAX_PAGES

#define SQL_STATS                                                       \
  "SELECT count(*), COALESCE (MAX (depth), -1) FROM messages "          \
  "WHERE conversation_id = ? AND on_path = 1"
#define SQL_APPENDED                                                    \
  "SELECT count(*), COALESCE (MAX (depth), -1) FROM messages "          \
  "WHERE conversation_id = ? AND on_path = 1 AND depth > ?"
#define SQL_PAGE_DENSE                                                  \
  "SELECT * FROM messages WHERE conversation_id = ? AND on_path = 1 "   \
  "AND depth >= ? ORDER BY depth LIMIT 64"
#define SQL_PAGE_OFFSET                                                 \
  "SELECT * FROM messages WHERE conversation_id = ? AND on_path = 1 "   \
  "ORDER BY depth LIMIT 64 OFFSET ?"

G_STATIC_ASSERT (PAGE_SIZE == 64); /* the LIMIT in the queries above */

typedef struct
{
  guint      index;  /* positions index * PAGE_SIZE ... */
  GPtrArray *items;  /* ConfabMessage, in depth order */
} Page;

struct _ConfabMessageList
{
  GObject         parent_instance;

  ConfabDatabase *db;
  char           *conversation_id;

  guint           n_items;
  gint64          max_depth;        /* the last depth, -1 when empty */
  gboolean        dense;          /* depth = position for every row */

  GQueue          pages;          /* Page *, most recently used first */
  GHashTable     *by_id;          /* id -> ConfabMessage held by a page */

  GHashTable     *dirty;          /* ids of cached messages changed since the last idle */
  gboolean        pending_create;
  gboolean        pending_delete; /* of a message not cached: maybe not ours */
  gboolean        pending_reset;

  gulong          changed_id;
  guint           idle_id;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConfabMessageList, confab_message_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_DATABASE,
  PROP_CONVERSATION_ID,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
page_free (Page *page)
{
  g_ptr_array_unref (page->items);
  g_free (page);
}

static void
set_db_error (ConfabMessageList  *self,
              GError            **error)
{
  confab_database_set_error (self->db,
                             sqlite3_extended_errcode (confab_database_get_handle (self->db)),
                             error);
}

/* Forgets a page's objects, unless another page took one over. */
static void
unindex_page (ConfabMessageList *self,
              Page              *page)
{
  for (guint i = 0; i < page->items->len; i++)
    {
      ConfabEntity *item = g_ptr_array_index (page->items, i);
      const char *id = confab_entity_get_id (item);

      if (g_hash_table_lookup (self->by_id, id) == item)
        g_hash_table_remove (self->by_id, id);
    }
}

static void
drop_pages (ConfabMessageList *self)
{
  Page *page;

  while ((page = g_queue_pop_head (&self->pages)) != NULL)
    page_free (page);
  g_hash_table_remove_all (self->by_id);
}

static Page *
find_page (ConfabMessageList *self,
           guint              index)
{
  for (GList *l = self->pages.head; l != NULL; l = l->next)
    {
      Page *page = l->data;

      if (page->index == index)
        {
          /* Most recently used first. */
          if (l != self->pages.head)
            {
              g_queue_unlink (&self->pages, l);
              g_queue_push_head_link (&self->pages, l);
            }
          return page;
        }
    }
  return NULL;
}

static gboolean
read_stats (ConfabMessageList  *self,
            const char         *sql,
            gint64              after_depth,
            gint64             *count,
            gint64             *max_depth,
            GError            **error)
{
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (self->db, sql, error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, self->conversation_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_bind_parameter_count (stmt) > 1)
    sqlite3_bind_int64 (stmt, 2, after_depth);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_db_error (self, error);
      return FALSE;
    }
  *count = sqlite3_column_int64 (stmt, 0);
  *max_depth = sqlite3_column_int64 (stmt, 1);
  return TRUE;
}

static Page *
load_page (ConfabMessageList  *self,
           guint               index,
           GError            **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (g_object_unref);
  Page *page;
  Page *old;
  int rc;

  {
    g_autoptr (ConfabStmt) stmt = NULL;
    gint64 first = (gint64) index * PAGE_SIZE;

    stmt = confab_database_prepare (self->db, self->dense ? SQL_PAGE_DENSE : SQL_PAGE_OFFSET,
                                    error);
    if (stmt == NULL)
      return NULL;
    sqlite3_bind_text (stmt, 1, self->conversation_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64 (stmt, 2, first);
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      g_ptr_array_add (rows, confab_entity_new_from_stmt (CONFAB_TYPE_MESSAGE, stmt));
    if (rc != SQLITE_DONE)
      {
        set_db_error (self, error);
        return NULL;
      }
    /* The statement is reset here, before any notify handler can run. */
  }

  page = g_new0 (Page, 1);
  page->index = index;
  page->items = g_ptr_array_new_full (rows->len, g_object_unref);
  for (guint i = 0; i < rows->len; i++)
    {
      ConfabEntity *row = g_ptr_array_index (rows, i);
      ConfabEntity *existing = g_hash_table_lookup (self->by_id, confab_entity_get_id (row));

      if (existing != NULL)
        {
          confab_entity_update_from (existing, row);
          g_ptr_array_add (page->items, g_object_ref (existing));
        }
      else
        g_ptr_array_add (page->items, g_object_ref (row));
    }

  old = find_page (self, index);
  if (old != NULL)
    {
      g_queue_remove (&self->pages, old);
      unindex_page (self, old);
      page_free (old);
    }

  g_queue_push_head (&self->pages, page);
  for (guint i = 0; i < page->items->len; i++)
    {
      ConfabEntity *item = g_ptr_array_index (page->items, i);

      g_hash_table_replace (self->by_id, g_strdup (confab_entity_get_id (item)), item);
    }

  while (self->pages.length > MAX_PAGES)
    {
      Page *lru = g_queue_pop_tail (&self->pages);

      unindex_page (self, lru);
      page_free (lru);
    }
  return page;
}

static GType
get_item_type (GListModel *model)
{
  return CONFAB_TYPE_MESSAGE;
}

static guint
get_n_items (GListModel *model)
{
  return CONFAB_MESSAGE_LIST (model)->n_items;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (model);
  guint index = position / PAGE_SIZE;
  guint offset = position % PAGE_SIZE;
  g_autoptr (GError) error = NULL;
  Page *page;

  if (position >= self->n_items)
    return NULL;

  page = find_page (self, index);
  /* A short page was the last one; rows appended since belong to it too. */
  if (page == NULL || offset >= page->items->len)
    page = load_page (self, index, &error);
  if (page == NULL)
    {
      g_warning ("Could not read the messages of conversation %s: %s",
                 self->conversation_id, error->message);
      return NULL;
    }
  if (offset >= page->items->len)
    return NULL; /* rows deleted, the reset is on its way */
  return g_object_ref (g_ptr_array_index (page->items, offset));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
set_n_items (ConfabMessageList *self,
             guint              n_items,
             gint64             max_depth)
{
  self->n_items = n_items;
  self->max_depth = max_depth;
  self->dense = max_depth == (gint64) n_items - 1;
}

static gboolean
reset (ConfabMessageList  *self,
       GError            **error)
{
  guint old_n = self->n_items;
  gint64 count, max_depth;

  if (!read_stats (self, SQL_STATS, 0, &count, &max_depth, error))
    return FALSE;

  drop_pages (self);
  g_hash_table_remove_all (self->dirty);
  set_n_items (self, (guint) count, max_depth);

  if (old_n != 0 || count != 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, (guint) count);
  if (old_n != count)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  return TRUE;
}

/* A new message continuing the branch takes depth = MAX (depth) + 1, so new
 * rows are the ones past the last depth the list knows: one range of the
 * index, however long the chat. */
static gboolean
append_new (ConfabMessageList  *self,
            GError            **error)
{
  guint old_n = self->n_items;
  gint64 added, max_depth;

  if (!read_stats (self, SQL_APPENDED, self->max_depth, &added, &max_depth, error))
    return FALSE;
  if (added == 0)
    return TRUE;

  set_n_items (self, old_n + (guint) added, max_depth);
  g_list_model_items_changed (G_LIST_MODEL (self), old_n, 0, (guint) added);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
  return TRUE;
}

static gboolean
reload_dirty (ConfabMessageList  *self,
              GError            **error)
{
  g_autoptr (GHashTable) dirty = g_steal_pointer (&self->dirty);
  GHashTableIter iter;
  const char *id;

  /* Ids marked while the handlers below run wait for the next idle. */
  self->dirty = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_hash_table_iter_init (&iter, dirty);
  while (g_hash_table_iter_next (&iter, (gpointer *) &id, NULL))
    {
      ConfabEntity *cached = g_hash_table_lookup (self->by_id, id);
      g_autoptr (ConfabEntity) fresh = NULL;
      g_autoptr (GError) local_error = NULL;

      if (cached == NULL)
        continue;
      fresh = confab_repository_get (self->db, CONFAB_TYPE_MESSAGE, id, &local_error);
      if (fresh == NULL)
        {
          /* Deleted since: the delete resets the list. */
          if (g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      /* A handler may drop the list's last reference to the object. */
      g_object_ref (cached);
      confab_entity_update_from (cached, fresh);
      g_object_unref (cached);
    }
  return TRUE;
}

static gboolean
process_pending (ConfabMessageList  *self,
                 GError            **error)
{
  gboolean ok = TRUE;
  gboolean want_reset = self->pending_reset || (self->pending_delete && self->pending_create);
  gboolean want_check = self->pending_delete && !want_reset;
  gboolean want_append = self->pending_create && !want_reset;

  g_clear_handle_id (&self->idle_id, g_source_remove);
  self->pending_reset = self->pending_delete = self->pending_create = FALSE;

  if (want_check)
    {
      gint64 count, max_depth;

      /* A message that is not cached was deleted: it was ours only if the
       * count went down. */
      ok = read_stats (self, SQL_STATS, 0, &count, &max_depth, error);
      if (ok && count == self->n_items)
        set_n_items (self, (guint) count, max_depth);
      else if (ok)
        want_reset = TRUE;
    }

  if (ok && want_reset)
    ok = reset (self, error);
  else if (ok && want_append)
    ok = append_new (self, error);

  if (ok)
    ok = reload_dirty (self, error);
  return ok;
}

static gboolean
idle_cb (gpointer data)
{
  ConfabMessageList *self = data;

  self->idle_id = 0;
  confab_message_list_refresh (self);
  return G_SOURCE_REMOVE;
}

static void
on_changed (ConfabDatabase *db,
            const char     *table,
            const char     *id,
            const char     *action,
            gpointer        data)
{
  ConfabMessageList *self = data;

  if (id != NULL && g_strcmp0 (action, "update") == 0)
    {
      /* Rows not in memory are read fresh when a view asks for them. */
      if (!g_hash_table_contains (self->by_id, id))
        return;
      g_hash_table_add (self->dirty, g_strdup (id));
    }
  else if (id != NULL && g_strcmp0 (action, "create") == 0)
    self->pending_create = TRUE;
  else if (id != NULL && g_strcmp0 (action, "delete") == 0 &&
           !g_hash_table_contains (self->by_id, id))
    {
      self->pending_delete = TRUE;
      self->dense = FALSE; /* OFFSET stays right whatever was deleted */
    }
  else
    {
      self->pending_reset = TRUE;
      self->dense = FALSE;
    }

  if (self->idle_id == 0)
    self->idle_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE + 10, idle_cb, self, NULL);
}

/**
 * confab_message_list_refresh:
 * @self: a #ConfabMessageList
 *
 * Applies the changes the list has been told about now instead of in the
 * next idle: appends, in-place updates, or a reset after deletes.
 *
 * Returns: %FALSE if the workspace could not be read (logged as a warning)
 */
gboolean
confab_message_list_refresh (ConfabMessageList *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabMessageList) hold = NULL;

  g_return_val_if_fail (CONFAB_IS_MESSAGE_LIST (self), FALSE);

  /* A handler of items-changed or notify may drop the last other reference. */
  hold = g_object_ref (self);
  if (self->db == NULL)
    return TRUE;
  if (!process_pending (self, &error))
    {
      g_warning ("Could not reload the messages of conversation %s: %s",
                 self->conversation_id, error->message);
      return FALSE;
    }
  return TRUE;
}

const char *
confab_message_list_get_conversation_id (ConfabMessageList *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_LIST (self), NULL);
  return self->conversation_id;
}

static void
confab_message_list_constructed (GObject *object)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (object);
  g_autoptr (GError) error = NULL;
  gint64 count, max_depth;

  G_OBJECT_CLASS (confab_message_list_parent_class)->constructed (object);

  g_return_if_fail (CONFAB_IS_DATABASE (self->db));
  g_return_if_fail (self->conversation_id != NULL);

  self->changed_id = g_signal_connect (self->db, "changed::messages",
                                       G_CALLBACK (on_changed), self);

  /* A chat opens at its end: the count and the last page are read before
   * any view sees the list (and the page before it when the last one is
   * short, so the first screen needs no query either). */
  if (!read_stats (self, SQL_STATS, 0, &count, &max_depth, &error))
    {
      g_warning ("Could not count the messages of conversation %s: %s",
                 self->conversation_id, error->message);
      return;
    }
  set_n_items (self, (guint) count, max_depth);
  if (count > 0)
    {
      guint last = (guint) ((count - 1) / PAGE_SIZE);
      guint in_last = (guint) (count - (gint64) last * PAGE_SIZE);

      if ((last > 0 && in_last < PAGE_SIZE / 2 && load_page (self, last - 1, &error) == NULL) ||
          load_page (self, last, &error) == NULL)
        g_warning ("Could not read the messages of conversation %s: %s",
                   self->conversation_id, error->message);
    }
}

static void
confab_message_list_dispose (GObject *object)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (object);

  g_clear_handle_id (&self->idle_id, g_source_remove);
  if (self->db != NULL)
    g_clear_signal_handler (&self->changed_id, self->db);
  g_clear_object (&self->db);
  drop_pages (self);

  G_OBJECT_CLASS (confab_message_list_parent_class)->dispose (object);
}

static void
confab_message_list_finalize (GObject *object)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (object);

  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->dirty, g_hash_table_unref);
  g_clear_pointer (&self->conversation_id, g_free);

  G_OBJECT_CLASS (confab_message_list_parent_class)->finalize (object);
}

static void
confab_message_list_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      g_value_set_object (value, self->db);
      break;
    case PROP_CONVERSATION_ID:
      g_value_set_string (value, self->conversation_id);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->n_items);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_list_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  ConfabMessageList *self = CONFAB_MESSAGE_LIST (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      self->db = g_value_dup_object (value);
      break;
    case PROP_CONVERSATION_ID:
      self->conversation_id = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_list_class_init (ConfabMessageListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = confab_message_list_constructed;
  object_class->dispose = confab_message_list_dispose;
  object_class->finalize = confab_message_list_finalize;
  object_class->get_property = confab_message_list_get_property;
  object_class->set_property = confab_message_list_set_property;

  properties[PROP_DATABASE] =
    g_param_spec_object ("database", N_("Workspace"), NULL, CONFAB_TYPE_DATABASE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONVERSATION_ID] =
    g_param_spec_string ("conversation-id", N_("Conversation"), NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", N_("Number of messages"), NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_message_list_init (ConfabMessageList *self)
{
  g_queue_init (&self->pages);
  self->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->dirty = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->max_depth = -1;
  self->dense = TRUE;
}

/**
 * confab_message_list_new:
 * @db: a workspace
 * @conversation_id: the conversation whose messages to list
 *
 * Returns: (transfer full): a live #GListModel of #ConfabMessage, in depth
 *   order, with its count and last page already read
 */
ConfabMessageList *
confab_message_list_new (ConfabDatabase *db,
                         const char     *conversation_id)
{
  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (conversation_id != NULL, NULL);

  return g_object_new (CONFAB_TYPE_MESSAGE_LIST,
                       "database", db,
                       "conversation-id", conversation_id,
                       NULL);
}
