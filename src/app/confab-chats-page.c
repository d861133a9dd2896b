/* confab-chats-page.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-acting-user.h"
#include "confab-chat-view.h"
#include "confab-chats-page.h"
#include "confab-conversation-groups.h"
#include "confab-conversation-row.h"
#include "confab-new-chat-dialog.h"

/* The Chats section: every conversation of the workspace, newest first and
 * grouped by date, beside the chat itself.
 *
 * Models: ConfabEntityList (every conversation, live) -> GtkFilterListModel
 * (archived, search, deletes waiting for their undo toast) ->
 * ConfabConversationGroups (date headers as items) -> GtkSingleSelection.
 * The detail pane shows `current`, which is the list's own object when the
 * list holds it, so a rename elsewhere shows at once; it stays shown when a
 * search or the archive filter hides it from the list.
 *
 * Deleting hides the conversation and shows an undo toast; the row is
 * deleted when the toast goes away without Undo, or when the page or the
 * workspace goes away first. */

#define CONTENT_SEARCH_LIMIT 500
#define TICK_SECONDS         60

typedef struct
{
  ConfabChatsPage *page; /* NULL once the page let go of it */
  ConfabDatabase  *db;
  char            *id;
  char            *title;
  char            *actor_id;
  gboolean         done; /* deleted or undone */
} PendingDelete;

struct _ConfabChatsPage
{
  ConfabPage parent_instance;

  /* Template widgets */
  AdwLeaflet     *leaflet;
  GtkWidget      *list_pane;
  GtkWidget      *detail_pane;
  GtkSearchEntry *search_entry;
  GtkStack       *list_stack;
  GtkListView    *list_view;
  AdwWindowTitle *detail_title;
  GtkMenuButton  *detail_menu_button;
  GtkStack       *detail_stack;
  ConfabChatView *chat_view;

  /* Models */
  GListModel               *conversations;
  GtkCustomFilter          *filter;
  GtkFilterListModel       *filtered;
  ConfabConversationGroups *groups;
  GtkSingleSelection       *selection;

  ConfabConversation *current;
  char               *operator_id;

  GHashTable *agent_names; /* id -> name */
  GHashTable *team_names;
  GHashTable *user_names;
  GHashTable *streaming;       /* ids of conversations with a reply being written */
  GHashTable *content_matches; /* ids whose messages match the search, or NULL */
  char       *search;          /* folded, NULL when not searching */
  GStrv       search_words;    /* its words, without punctuation at their ends */
  GHashTable *hidden;          /* ids waiting for their undo toast */
  GPtrArray  *pending;         /* PendingDelete */
  AdwToast   *undo_toast;      /* weak */
  GHashTable *rows;            /* bound ConfabConversationRow */

  ConfabDatabase *connected; /* whose ::changed the page follows */
  gulong          changed_handler;
  guint           names_source;
  guint           streaming_source;
  guint           refilter_source;
  guint           tick_source;
  guint           today; /* Julian day of the last grouping */
  gboolean        show_archived;
  gboolean        selecting; /* the page, not the user, moves the selection */
};

G_DEFINE_FINAL_TYPE (ConfabChatsPage, confab_chats_page, CONFAB_TYPE_PAGE)

enum
{
  PROP_0,
  PROP_SHOW_ARCHIVED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
show_conversation (ConfabChatsPage *self, ConfabConversation *conversation, gboolean navigate);

/* ------------------------------------------------------------------------ */
/* Names, streaming state and the clock                                     */
/* ------------------------------------------------------------------------ */

static GHashTable *
load_names (ConfabDatabase *db, const char *sql)
{
  GHashTable *names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, sql, &error);

  if (stmt == NULL)
    {
      g_warning ("Could not read names: %s", error->message);
      return names;
    }
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_hash_table_insert (names, g_strdup ((const char *) sqlite3_column_text (stmt, 0)),
                         g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
  return names;
}

/* "Bakery Concierge · Maya Chen": who the chat is with, and whose it is. */
static char *
describe_peer (ConfabChatsPage *self, ConfabConversation *conversation)
{
  const char *agent_id = confab_conversation_get_agent_id (conversation);
  const char *team_id = confab_conversation_get_team_id (conversation);
  const char *peer = NULL, *user = NULL;

  if (agent_id != NULL && self->agent_names != NULL)
    peer = g_hash_table_lookup (self->agent_names, agent_id);
  else if (team_id != NULL && self->team_names != NULL)
    peer = g_hash_table_lookup (self->team_names, team_id);
  if (peer == NULL)
    peer = agent_id != NULL || team_id != NULL ? _ ("Unknown agent") : _ ("No agent");
  if (self->user_names != NULL)
    user = g_hash_table_lookup (self->user_names, confab_conversation_get_user_id (conversation));

  if (user == NULL || *user == '\0')
    return g_strdup (peer);
  return g_strdup_printf ("%s · %s", peer, user);
}

static gboolean
is_streaming (ConfabChatsPage *self, ConfabConversation *conversation)
{
  return self->streaming != NULL &&
         g_hash_table_contains (self->streaming,
                                confab_entity_get_id (CONFAB_ENTITY (conversation)));
}

static void
update_row (ConfabChatsPage *self, ConfabConversationRow *row)
{
  ConfabConversation *conversation = confab_conversation_row_get_conversation (row);
  g_autofree char    *peer = NULL;

  if (conversation == NULL)
    return;
  peer = describe_peer (self, conversation);
  confab_conversation_row_set_peer (row, peer);
  confab_conversation_row_set_streaming (row, is_streaming (self, conversation));
}

static void update_detail_header (ConfabChatsPage *self);

static void
update_rows (ConfabChatsPage *self)
{
  GHashTableIter iter;
  gpointer       row;

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, &row, NULL))
    update_row (self, row);
  update_detail_header (self);
}

static void
reload_names (ConfabChatsPage *self)
{
  ConfabDatabase *db = confab_page_get_database (CONFAB_PAGE (self));

  g_clear_pointer (&self->agent_names, g_hash_table_unref);
  g_clear_pointer (&self->team_names, g_hash_table_unref);
  g_clear_pointer (&self->user_names, g_hash_table_unref);
  if (db == NULL)
    return;
  self->agent_names = load_names (db, "SELECT id, name FROM agents");
  self->team_names = load_names (db, "SELECT id, name FROM teams");
  self->user_names = load_names (db, "SELECT id, CASE WHEN name <> '' THEN name "
                                     "ELSE username END FROM users");
}

static void update_chat (ConfabChatsPage *self);

static void
update_operator (ConfabChatsPage *self)
{
  ConfabDatabase *db = confab_page_get_database (CONFAB_PAGE (self));
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (GError) error = NULL;
  const char *role;

  g_clear_pointer (&self->operator_id, g_free);
  if (db != NULL)
    user = confab_acting_user_find (db, &error);
  if (error != NULL)
    g_debug ("Could not find the acting user: %s", error->message);
  role = user != NULL ? confab_user_get_role (user) : NULL;
  if (g_strcmp0 (role, "admin") == 0 || g_strcmp0 (role, "operator") == 0)
    self->operator_id = g_strdup (confab_entity_get_id (CONFAB_ENTITY (user)));
  update_chat (self);
}

static gboolean
names_idle_cb (gpointer data)
{
  ConfabChatsPage *self = data;

  self->names_source = 0;
  reload_names (self);
  update_operator (self);
  update_rows (self);
  return G_SOURCE_REMOVE;
}

/* The replies being written now: a partial index holds exactly those rows. */
static void
reload_streaming (ConfabChatsPage *self)
{
  ConfabDatabase *db = confab_page_get_database (CONFAB_PAGE (self));

  g_clear_pointer (&self->streaming, g_hash_table_unref);
  if (db == NULL)
    return;
  self->streaming = load_names (db, "SELECT DISTINCT conversation_id, conversation_id "
                                    "FROM messages WHERE status = 'streaming'");
}

static gboolean
streaming_idle_cb (gpointer data)
{
  ConfabChatsPage *self = data;

  self->streaming_source = 0;
  reload_streaming (self);
  update_rows (self);
  return G_SOURCE_REMOVE;
}

static guint
today_julian (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  int   year, month, day;
  GDate date;

  g_date_time_get_ymd (now, &year, &month, &day);
  g_date_clear (&date, 1);
  g_date_set_dmy (&date, day, month, year);
  return g_date_get_julian (&date);
}

static gboolean
tick_cb (gpointer data)
{
  ConfabChatsPage *self = data;
  GHashTableIter   iter;
  gpointer         row;
  guint            today = today_julian ();

  g_hash_table_iter_init (&iter, self->rows);
  while (g_hash_table_iter_next (&iter, &row, NULL))
    confab_conversation_row_update_time (row);

  /* After midnight, "Today" is "Yesterday". */
  if (today != self->today && self->groups != NULL)
    {
      self->today = today;
      confab_conversation_groups_refresh (self->groups);
    }
  return G_SOURCE_CONTINUE;
}

static void refilter (ConfabChatsPage *self, GtkFilterChange change);

/* The list updates the objects it holds in place (an archived chat, a
 * title), which filters do not see: filter again after its reload. */
static gboolean
refilter_idle_cb (gpointer data)
{
  ConfabChatsPage *self = data;

  self->refilter_source = 0;
  refilter (self, GTK_FILTER_CHANGE_DIFFERENT);
  return G_SOURCE_REMOVE;
}

static void
database_changed_cb (ConfabDatabase  *db,
                     const char      *table,
                     const char      *id,
                     const char      *action,
                     ConfabChatsPage *self)
{
  if (g_strcmp0 (table, "messages") == 0)
    {
      if (self->streaming_source == 0)
        self->streaming_source =
            g_timeout_add_full (G_PRIORITY_LOW, 100, streaming_idle_cb, self, NULL);
    }
  else if (g_strcmp0 (table, "conversations") == 0)
    {
      /* After the list's own reload, which runs at G_PRIORITY_HIGH_IDLE + 10. */
      if (self->refilter_source == 0)
        self->refilter_source =
            g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, refilter_idle_cb, self, NULL);
    }
  else if (g_strcmp0 (table, "agents") == 0 || g_strcmp0 (table, "teams") == 0 ||
           g_strcmp0 (table, "users") == 0)
    {
      if (self->names_source == 0)
        self->names_source = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, names_idle_cb, self, NULL);
    }
}

/* ------------------------------------------------------------------------ */
/* Filtering                                                                */
/* ------------------------------------------------------------------------ */

/* Case and accents do not count: "creme" finds "Crème". */
static char *
fold (const char *text)
{
  g_autofree char *decomposed = g_utf8_normalize (text, -1, G_NORMALIZE_ALL);
  g_autoptr (GString) bare = g_string_new (NULL);

  if (decomposed == NULL)
    return g_utf8_casefold (text, -1);
  for (const char *p = decomposed; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_type (c) != G_UNICODE_NON_SPACING_MARK)
        g_string_append_unichar (bare, c);
    }
  return g_utf8_casefold (bare->str, -1);
}

/* A folded title is kept on its conversation until the title changes: a
 * search over 10,000 chats folds each title once, not on every key. */
static GQuark folded_quark;

typedef struct
{
  char *title;
  char *folded;
} FoldedTitle;

static void
folded_title_free (gpointer data)
{
  FoldedTitle *folded = data;

  g_free (folded->title);
  g_free (folded->folded);
  g_free (folded);
}

static const char *
folded_title (ConfabConversation *conversation)
{
  const char  *title = confab_conversation_get_title (conversation);
  FoldedTitle *folded = g_object_get_qdata (G_OBJECT (conversation), folded_quark);

  if (folded == NULL || g_strcmp0 (folded->title, title) != 0)
    {
      folded = g_new0 (FoldedTitle, 1);
      folded->title = g_strdup (title);
      folded->folded = fold (title != NULL ? title : "");
      g_object_set_qdata_full (G_OBJECT (conversation), folded_quark, folded, folded_title_free);
    }
  return folded->folded;
}

/* Every word of the search is somewhere in the title, in any order. */
static gboolean
title_matches (const char *title, const char *const *words)
{
  for (guint i = 0; words[i] != NULL; i++)
    if (strstr (title, words[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* "\"bread*" is the word "bread": quotes and stars are not part of titles'
 * words as people type them. */
static GStrv
split_words (const char *folded)
{
  g_auto (GStrv) tokens = g_strsplit_set (folded, " \t\n", -1);
  g_autoptr (GStrvBuilder) words = g_strv_builder_new ();

  for (guint i = 0; tokens[i] != NULL; i++)
    {
      const char *start = tokens[i];
      const char *end = start + strlen (start);

      while (start < end && !g_unichar_isalnum (g_utf8_get_char (start)))
        start = g_utf8_next_char (start);
      while (end > start && !g_unichar_isalnum (g_utf8_get_char (g_utf8_prev_char (end))))
        end = g_utf8_prev_char (end);
      if (end > start)
        {
          g_autofree char *word = g_strndup (start, end - start);
          g_strv_builder_add (words, word);
        }
    }
  return g_strv_builder_end (words);
}

static gboolean
filter_func (gpointer item, gpointer user_data)
{
  ConfabChatsPage    *self = user_data;
  ConfabConversation *conversation = item;
  const char         *id = confab_entity_get_id (CONFAB_ENTITY (conversation));

  if (g_hash_table_contains (self->hidden, id))
    return FALSE;
  if (!self->show_archived &&
      g_strcmp0 (confab_conversation_get_status (conversation), "archived") == 0)
    return FALSE;
  if (self->search == NULL)
    return TRUE;
  if (self->content_matches != NULL && g_hash_table_contains (self->content_matches, id))
    return TRUE;
  return title_matches (folded_title (conversation), (const char *const *) self->search_words);
}

static void
refilter (ConfabChatsPage *self, GtkFilterChange change)
{
  if (self->filter != NULL)
    gtk_filter_changed (GTK_FILTER (self->filter), change);
}

/* Conversations whose messages hold the words typed, the last one as a
 * prefix since the person may still be typing it. */
static GHashTable *
search_content (ConfabChatsPage *self, const char *text)
{
  ConfabDatabase *db = confab_page_get_database (CONFAB_PAGE (self));
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *query = NULL;
  GHashTable      *ids;
  gsize            len = strlen (text);

  if (db == NULL)
    return NULL;
  if (len > 0 && !g_ascii_isspace (text[len - 1]) && text[len - 1] != '*')
    query = g_strconcat (text, "*", NULL);
  else
    query = g_strdup (text);

  messages = confab_message_search (db, NULL, query, CONTENT_SEARCH_LIMIT, &error);
  if (messages == NULL)
    {
      /* Titles still match; words the index cannot read just find nothing more. */
      g_debug ("Message search for “%s” failed: %s", text, error->message);
      return NULL;
    }

  ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < messages->len; i++)
    g_hash_table_add (
        ids, g_strdup (confab_message_get_conversation_id (g_ptr_array_index (messages, i))));
  return ids;
}

static void
search_changed_cb (ConfabChatsPage *self)
{
  g_autofree char *text =
      g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->search_entry))));
  g_autofree char *folded = *text != '\0' ? fold (text) : NULL;

  if (g_strcmp0 (folded, self->search) == 0)
    return;

  g_free (self->search);
  self->search = g_steal_pointer (&folded);
  g_clear_pointer (&self->search_words, g_strfreev);
  if (self->search != NULL)
    self->search_words = split_words (self->search);
  g_clear_pointer (&self->content_matches, g_hash_table_unref);
  if (self->search != NULL)
    self->content_matches = search_content (self, text);
  refilter (self, GTK_FILTER_CHANGE_DIFFERENT);
}

static void
stop_search_cb (ConfabChatsPage *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
}

/* Enter in the search opens the first match. */
static void
search_activate_cb (ConfabChatsPage *self)
{
  GListModel *items = G_LIST_MODEL (self->groups);
  guint       n = items != NULL ? g_list_model_get_n_items (items) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GObject) item = g_list_model_get_item (items, i);

      if (CONFAB_IS_CONVERSATION (item))
        {
          show_conversation (self, CONFAB_CONVERSATION (item), TRUE);
          return;
        }
    }
}

static void
clear_search (ConfabChatsPage *self)
{
  if (self->search == NULL)
    return;
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  /* search-changed comes later (it waits for more typing): act now. */
  search_changed_cb (self);
}

/* ------------------------------------------------------------------------ */
/* The list                                                                 */
/* ------------------------------------------------------------------------ */

static ConfabConversation *
find_in_list (ConfabChatsPage *self, const char *id)
{
  guint n;

  if (self->conversations == NULL || id == NULL)
    return NULL;
  n = g_list_model_get_n_items (self->conversations);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabConversation) conversation = g_list_model_get_item (self->conversations, i);

      if (g_strcmp0 (confab_entity_get_id (CONFAB_ENTITY (conversation)), id) == 0)
        return conversation; /* the list still holds it */
    }
  return NULL;
}

static void
update_list_state (ConfabChatsPage *self)
{
  guint       total, shown;
  const char *page;

  if (self->conversations == NULL)
    {
      gtk_stack_set_visible_child_name (self->list_stack, "empty");
      return;
    }

  total = g_list_model_get_n_items (self->conversations);
  shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  if (shown > 0)
    page = "list";
  else if (total <= g_hash_table_size (self->hidden))
    page = "empty";
  else if (self->search != NULL)
    page = "no-results";
  else if (!self->show_archived)
    page = "archived";
  else
    page = "empty";
  gtk_stack_set_visible_child_name (self->list_stack, page);
}

/* Puts the list's selection on the conversation shown, when the list shows it. */
static void
sync_selection (ConfabChatsPage *self)
{
  guint position = G_MAXUINT;

  if (self->selection == NULL)
    return;
  if (self->current != NULL)
    position = confab_conversation_groups_find (
        self->groups, confab_entity_get_id (CONFAB_ENTITY (self->current)));

  if (position == gtk_single_selection_get_selected (self->selection) ||
      (position == G_MAXUINT &&
       gtk_single_selection_get_selected (self->selection) == GTK_INVALID_LIST_POSITION))
    return;

  self->selecting = TRUE;
  gtk_single_selection_set_selected (self->selection,
                                     position != G_MAXUINT ? position : GTK_INVALID_LIST_POSITION);
  self->selecting = FALSE;

  if (position != G_MAXUINT)
    gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", position);
}

static void
groups_changed_cb (ConfabChatsPage *self)
{
  update_list_state (self);

  /* The list made a new object for the conversation shown (it was just
   * started): show the list's, which it keeps up to date. */
  if (self->current != NULL)
    {
      ConfabConversation *listed =
          find_in_list (self, confab_entity_get_id (CONFAB_ENTITY (self->current)));

      if (listed != NULL && listed != self->current)
        show_conversation (self, listed, FALSE);
    }
  sync_selection (self);
}

/* A conversation deleted elsewhere (confab-cli, a deleted user) leaves the
 * detail pane. */
static void
conversations_changed_cb (ConfabChatsPage *self)
{
  ConfabDatabase *db = confab_page_get_database (CONFAB_PAGE (self));
  g_autoptr (GError) error = NULL;
  const char *id;

  if (self->current == NULL || db == NULL)
    return;
  id = confab_entity_get_id (CONFAB_ENTITY (self->current));
  if (find_in_list (self, id) != NULL)
    return;
  if (!confab_repository_exists (db, "conversations", "id", id, NULL, &error) && error == NULL)
    show_conversation (self, NULL, FALSE);
}

static void
selection_changed_cb (ConfabChatsPage *self)
{
  gpointer item;

  if (self->selecting)
    return;
  item = gtk_single_selection_get_selected_item (self->selection);
  if (CONFAB_IS_CONVERSATION (item))
    show_conversation (self, item, FALSE);
}

static void
list_activate_cb (ConfabChatsPage *self, guint position)
{
  g_autoptr (GObject) item = g_list_model_get_item (G_LIST_MODEL (self->groups), position);

  if (CONFAB_IS_CONVERSATION (item))
    show_conversation (self, CONFAB_CONVERSATION (item), TRUE);
}

static GMenuModel *
conversation_menu_new (ConfabConversation *conversation)
{
  const char *id = confab_entity_get_id (CONFAB_ENTITY (conversation));
  gboolean    archived = g_strcmp0 (confab_conversation_get_status (conversation), "archived") == 0;
  g_autoptr (GMenu) menu = g_menu_new ();
  g_autoptr (GMenu) edit_section = g_menu_new ();
  g_autoptr (GMenu) export_section = g_menu_new ();
  g_autoptr (GMenu) delete_section = g_menu_new ();
  struct
  {
    GMenu      *section;
    const char *label;
    const char *action;
  } items[] = {
    { edit_section, _ ("_Rename…"), "chats.rename" },
    { edit_section, archived ? _ ("_Unarchive") : _ ("_Archive"),
      archived ? "chats.unarchive" : "chats.archive" },
    { export_section, _ ("Export as _Markdown…"), "chats.export-markdown" },
    { export_section, _ ("Export as _JSON…"), "chats.export-json" },
    { delete_section, _ ("_Delete"), "chats.delete" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (items); i++)
    {
      g_autoptr (GMenuItem) item = g_menu_item_new (items[i].label, NULL);

      g_menu_item_set_action_and_target_value (item, items[i].action, g_variant_new_string (id));
      g_menu_append_item (items[i].section, item);
    }
  g_menu_append_section (menu, NULL, G_MENU_MODEL (edit_section));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (export_section));
  g_menu_append_section (menu, NULL, G_MENU_MODEL (delete_section));
  return G_MENU_MODEL (g_steal_pointer (&menu));
}

static void
row_pressed_cb (GtkGestureClick *gesture, int n_press, double x, double y, ConfabChatsPage *self)
{
  GtkWidget          *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));
  ConfabConversation *conversation =
      confab_conversation_row_get_conversation (CONFAB_CONVERSATION_ROW (row));
  GdkEvent *event = gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (gesture));
  g_autoptr (GMenuModel) menu = NULL;

  if (conversation == NULL || event == NULL || !gdk_event_triggers_context_menu (event))
    return;

  menu = conversation_menu_new (conversation);
  confab_conversation_row_popup_menu (CONFAB_CONVERSATION_ROW (row), menu, x, y);
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
row_long_pressed_cb (GtkGestureLongPress *gesture, double x, double y, ConfabChatsPage *self)
{
  GtkWidget          *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));
  ConfabConversation *conversation =
      confab_conversation_row_get_conversation (CONFAB_CONVERSATION_ROW (row));
  g_autoptr (GMenuModel) menu = NULL;

  if (conversation == NULL)
    return;
  menu = conversation_menu_new (conversation);
  confab_conversation_row_popup_menu (CONFAB_CONVERSATION_ROW (row), menu, x, y);
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

/* A click on the chat shown already still opens it when the panes are folded. */
static void
row_released_cb (GtkGestureClick *gesture, int n_press, double x, double y, ConfabChatsPage *self)
{
  GtkWidget          *row = gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture));
  ConfabConversation *conversation =
      confab_conversation_row_get_conversation (CONFAB_CONVERSATION_ROW (row));

  if (conversation != NULL &&
      gtk_gesture_single_get_current_button (GTK_GESTURE_SINGLE (gesture)) == GDK_BUTTON_PRIMARY &&
      adw_leaflet_get_folded (self->leaflet))
    show_conversation (self, conversation, TRUE);
}

static GtkWidget *
create_row (ConfabChatsPage *self)
{
  GtkWidget  *row = confab_conversation_row_new ();
  GtkGesture *click = gtk_gesture_click_new ();
  GtkGesture *long_press = gtk_gesture_long_press_new ();

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), 0);
  g_signal_connect_object (click, "pressed", G_CALLBACK (row_pressed_cb), self, 0);
  g_signal_connect_object (click, "released", G_CALLBACK (row_released_cb), self, 0);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (click));

  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (long_press), TRUE);
  g_signal_connect_object (long_press, "pressed", G_CALLBACK (row_long_pressed_cb), self, 0);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (long_press));
  return row;
}

/* Menu or Shift+F10 on a row: the keyboard's right click. */
static gboolean
list_menu_key_cb (GtkWidget *widget, GVariant *args, gpointer user_data)
{
  GtkRoot            *root = gtk_widget_get_root (widget);
  GtkWidget          *focus = root != NULL ? gtk_root_get_focus (root) : NULL;
  GtkWidget          *row = focus != NULL ? gtk_widget_get_first_child (focus) : NULL;
  ConfabConversation *conversation;
  g_autoptr (GMenuModel) menu = NULL;

  if (!CONFAB_IS_CONVERSATION_ROW (row))
    return FALSE;
  conversation = confab_conversation_row_get_conversation (CONFAB_CONVERSATION_ROW (row));
  if (conversation == NULL)
    return FALSE;
  menu = conversation_menu_new (conversation);
  confab_conversation_row_popup_menu (CONFAB_CONVERSATION_ROW (row), menu, -1, -1);
  return TRUE;
}

static GtkWidget *
create_header (void)
{
  GtkWidget *label =
      g_object_new (GTK_TYPE_LABEL, "accessible-role", GTK_ACCESSIBLE_ROLE_HEADING, NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_widget_set_valign (label, GTK_ALIGN_END);
  gtk_widget_set_margin_top (label, 12);
  gtk_widget_set_margin_bottom (label, 2);
  gtk_widget_add_css_class (label, "caption-heading");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LEVEL, 2, -1);
  return label;
}

static void
bind_item_cb (ConfabChatsPage *self, GtkListItem *list_item)
{
  GObject   *item = gtk_list_item_get_item (list_item);
  GtkWidget *child = gtk_list_item_get_child (list_item);

  /* A recycled item may have shown the other kind of row. */
  if (CONFAB_IS_CONVERSATION_HEADER (item))
    {
      if (!GTK_IS_LABEL (child))
        {
          child = create_header ();
          gtk_list_item_set_child (list_item, child);
        }
      gtk_label_set_label (GTK_LABEL (child), confab_conversation_header_get_title (
                                                  CONFAB_CONVERSATION_HEADER (item)));
      gtk_list_item_set_selectable (list_item, FALSE);
      gtk_list_item_set_activatable (list_item, FALSE);
      return;
    }

  if (!CONFAB_IS_CONVERSATION_ROW (child))
    {
      child = create_row (self);
      gtk_list_item_set_child (list_item, child);
    }
  gtk_list_item_set_selectable (list_item, TRUE);
  gtk_list_item_set_activatable (list_item, TRUE);
  confab_conversation_row_set_conversation (CONFAB_CONVERSATION_ROW (child),
                                            CONFAB_CONVERSATION (item));
  update_row (self, CONFAB_CONVERSATION_ROW (child));
  g_hash_table_add (self->rows, child);
}

static void
unbind_item_cb (ConfabChatsPage *self, GtkListItem *list_item)
{
  GtkWidget *child = gtk_list_item_get_child (list_item);

  if (CONFAB_IS_CONVERSATION_ROW (child))
    {
      g_hash_table_remove (self->rows, child);
      confab_conversation_row_set_conversation (CONFAB_CONVERSATION_ROW (child), NULL);
    }
}

/* ------------------------------------------------------------------------ */
/* The detail pane                                                          */
/* ------------------------------------------------------------------------ */

static void
update_detail_header (ConfabChatsPage *self)
{
  g_autoptr (GMenuModel) menu = NULL;
  g_autofree char *peer = NULL;
  const char      *title = NULL;

  if (self->current == NULL)
    {
      adw_window_title_set_title (self->detail_title, "");
      adw_window_title_set_subtitle (self->detail_title, "");
      gtk_widget_set_visible (GTK_WIDGET (self->detail_menu_button), FALSE);
      return;
    }

  title = confab_conversation_get_title (self->current);
  peer = describe_peer (self, self->current);
  adw_window_title_set_title (self->detail_title,
                              title != NULL && *title != '\0' ? title : _ ("New Chat"));
  adw_window_title_set_subtitle (self->detail_title, peer);

  menu = conversation_menu_new (self->current);
  gtk_menu_button_set_menu_model (self->detail_menu_button, menu);
  gtk_widget_set_visible (GTK_WIDGET (self->detail_menu_button), TRUE);
}

/* The chat view follows the conversation shown. An operator or admin acting
 * in the app answers escalated chats as a supporter (the view takes the
 * escalation first); anyone else only reads them. */
static void
update_chat (ConfabChatsPage *self)
{
  const char *id =
      self->current != NULL ? confab_entity_get_id (CONFAB_ENTITY (self->current)) : NULL;

  confab_chat_view_set_operator_id (self->chat_view, self->operator_id);
  confab_chat_view_set_conversation_id (self->chat_view, id);
}

static void
current_notify_cb (ConfabChatsPage *self)
{
  update_detail_header (self);
  update_chat (self);
}

static void
show_conversation (ConfabChatsPage *self, ConfabConversation *conversation, gboolean navigate)
{
  if (conversation != self->current)
    {
      if (self->current != NULL)
        g_signal_handlers_disconnect_by_func (self->current, current_notify_cb, self);
      g_set_object (&self->current, conversation);
      if (conversation != NULL)
        {
          g_signal_connect_object (conversation, "notify::title", G_CALLBACK (current_notify_cb),
                                   self, G_CONNECT_SWAPPED);
          g_signal_connect_object (conversation, "notify::status", G_CALLBACK (current_notify_cb),
                                   self, G_CONNECT_SWAPPED);
          g_signal_connect_object (conversation, "notify::agent-id", G_CALLBACK (current_notify_cb),
                                   self, G_CONNECT_SWAPPED);
          g_signal_connect_object (conversation, "notify::team-id", G_CALLBACK (current_notify_cb),
                                   self, G_CONNECT_SWAPPED);
        }
      update_detail_header (self);
      update_chat (self);
      gtk_stack_set_visible_child_name (self->detail_stack, conversation != NULL ? "chat" : "none");
      sync_selection (self);
    }

  if (navigate && conversation != NULL)
    adw_leaflet_set_visible_child (self->leaflet, self->detail_pane);
  else if (conversation == NULL)
    adw_leaflet_set_visible_child (self->leaflet, self->list_pane);
}

static void
detail_back_clicked_cb (ConfabChatsPage *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* ------------------------------------------------------------------------ */
/* Rename, archive, delete                                                  */
/* ------------------------------------------------------------------------ */

static ConfabConversation *
lookup_conversation (ConfabChatsPage *self, const char *id, GError **error)
{
  ConfabDatabase *db = confab_page_get_database (CONFAB_PAGE (self));

  if (db == NULL)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND, _ ("No workspace is open"));
      return NULL;
    }
  return confab_repository_get (db, CONFAB_TYPE_CONVERSATION, id, error);
}

/* Writes a changed copy (the list's object changes when the list reloads,
 * so a failed write leaves nothing half-shown). */
static gboolean
update_conversation (
    ConfabChatsPage *self, const char *id, const char *title, const char *status, GError **error)
{
  ConfabDatabase *db = confab_page_get_database (CONFAB_PAGE (self));
  g_autoptr (ConfabConversation) copy = lookup_conversation (self, id, error);
  g_autofree char *actor_id = NULL;

  if (copy == NULL)
    return FALSE;
  if (title != NULL)
    confab_conversation_set_title (copy, title);
  if (status != NULL)
    confab_conversation_set_status (copy, status);

  actor_id = confab_acting_user_dup_id (db);
  if (!confab_repository_update (db, CONFAB_ENTITY (copy), actor_id, error))
    return FALSE;
  if (self->conversations != NULL)
    confab_entity_list_refresh (CONFAB_ENTITY_LIST (self->conversations), NULL);
  refilter (self, GTK_FILTER_CHANGE_DIFFERENT);
  return TRUE;
}

static void
rename_entry_changed_cb (GtkEditable *entry, AdwMessageDialog *dialog)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (entry)));

  adw_message_dialog_set_response_enabled (dialog, "rename", *text != '\0');
}

static void
rename_response_cb (AdwMessageDialog *dialog, const char *response, ConfabChatsPage *self)
{
  GtkEditable     *entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  const char      *id = g_object_get_data (G_OBJECT (dialog), "conversation-id");
  g_autofree char *title = NULL;
  g_autoptr (GError) error = NULL;

  if (g_strcmp0 (response, "rename") != 0)
    return;

  title = g_strstrip (g_strdup (gtk_editable_get_text (entry)));
  if (*title == '\0')
    return;
  if (!update_conversation (self, id, title, NULL, &error))
    confab_page_toast_error (CONFAB_PAGE (self), error);
}

static void
rename_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabChatsPage *self = CONFAB_CHATS_PAGE (widget);
  const char      *id = g_variant_get_string (parameter, NULL);
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) error = NULL;
  AdwMessageDialog *dialog;
  GtkWidget        *entry;

  conversation = lookup_conversation (self, id, &error);
  if (conversation == NULL)
    {
      confab_page_toast_error (CONFAB_PAGE (self), error);
      return;
    }

  dialog = ADW_MESSAGE_DIALOG (
      adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), _ ("Rename Chat"), NULL));
  entry = gtk_entry_new ();
  gtk_entry_set_max_length (GTK_ENTRY (entry), CONFAB_CONVERSATION_MAX_TITLE);
  gtk_editable_set_width_chars (GTK_EDITABLE (entry), 32);
  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_editable_set_text (GTK_EDITABLE (entry), confab_conversation_get_title (conversation));
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Title"), -1);
  adw_message_dialog_set_extra_child (dialog, entry);

  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "rename", _ ("_Rename"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "rename", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "rename");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "conversation-id", g_strdup (id), g_free);
  g_signal_connect_object (entry, "changed", G_CALLBACK (rename_entry_changed_cb), dialog, 0);
  rename_entry_changed_cb (GTK_EDITABLE (entry), dialog);
  g_signal_connect_object (dialog, "response", G_CALLBACK (rename_response_cb), self, 0);

  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
}

typedef struct
{
  ConfabChatsPage *page;
  char            *id;
  char            *status;
} StatusUndo;

static void
status_undo_free (gpointer data, GClosure *closure)
{
  StatusUndo *undo = data;

  g_clear_weak_pointer (&undo->page);
  g_free (undo->id);
  g_free (undo->status);
  g_free (undo);
}

static void
status_undo_cb (AdwToast *toast, StatusUndo *undo)
{
  g_autoptr (GError) error = NULL;

  if (undo->page != NULL && !update_conversation (undo->page, undo->id, NULL, undo->status, &error))
    confab_page_toast_error (CONFAB_PAGE (undo->page), error);
}

static void
set_archived (ConfabChatsPage *self, const char *id, gboolean archived)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *previous = NULL;
  StatusUndo      *undo;
  AdwToast        *toast;

  conversation = lookup_conversation (self, id, &error);
  if (conversation == NULL)
    {
      confab_page_toast_error (CONFAB_PAGE (self), error);
      return;
    }
  previous = g_strdup (confab_conversation_get_status (conversation));
  if ((g_strcmp0 (previous, "archived") == 0) == archived)
    return;

  if (!update_conversation (self, id, NULL, archived ? "archived" : "active", &error))
    {
      confab_page_toast_error (CONFAB_PAGE (self), error);
      return;
    }
  if (!archived)
    return;

  /* Archived chats leave the list: say where it went, and offer it back
   * as it was (escalated, ended...). */
  toast = adw_toast_new (self->show_archived ? _ ("Chat archived")
                                             : _ ("Chat archived and hidden from the list"));
  adw_toast_set_button_label (toast, _ ("_Undo"));
  undo = g_new0 (StatusUndo, 1);
  g_set_weak_pointer (&undo->page, self);
  undo->id = g_strdup (id);
  undo->status = g_steal_pointer (&previous);
  g_signal_connect_data (toast, "button-clicked", G_CALLBACK (status_undo_cb), undo,
                         status_undo_free, 0);
  confab_page_add_toast (CONFAB_PAGE (self), toast);
}

static void
archive_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  set_archived (CONFAB_CHATS_PAGE (widget), g_variant_get_string (parameter, NULL), TRUE);
}

static void
unarchive_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  set_archived (CONFAB_CHATS_PAGE (widget), g_variant_get_string (parameter, NULL), FALSE);
}

static PendingDelete *
pending_delete_ref (PendingDelete *pending)
{
  return g_atomic_rc_box_acquire (pending);
}

static void
pending_delete_clear (PendingDelete *pending)
{
  g_clear_object (&pending->db);
  g_free (pending->id);
  g_free (pending->title);
  g_free (pending->actor_id);
}

static void
pending_delete_unref (gpointer data)
{
  g_atomic_rc_box_release_full (data, (GDestroyNotify) pending_delete_clear);
}

static void
pending_delete_closure_unref (gpointer data, GClosure *closure)
{
  pending_delete_unref (data);
}

/* The page stops waiting for this delete (done, undone, or going away). */
static void
forget_pending (ConfabChatsPage *self, PendingDelete *pending)
{
  pending->page = NULL;
  g_hash_table_remove (self->hidden, pending->id);
  g_ptr_array_remove (self->pending, pending);
}

static void
commit_delete (PendingDelete *pending)
{
  ConfabChatsPage *self = pending->page;
  g_autoptr (GError) error = NULL;

  if (pending->done)
    return;
  pending->done = TRUE;

  if (!confab_repository_delete (pending->db, CONFAB_TYPE_CONVERSATION, pending->id,
                                 pending->actor_id, &error) &&
      !g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_warning ("Could not delete conversation %s: %s", pending->id, error->message);
      if (self != NULL)
        {
          g_autoptr (GError) shown =
              g_error_new (CONFAB_ERROR, CONFAB_ERROR_INVALID, _ ("Could not delete “%s”: %s"),
                           pending->title, error->message);
          /* It stays: show it again. */
          forget_pending (self, pending);
          refilter (self, GTK_FILTER_CHANGE_LESS_STRICT);
          confab_page_toast_error (CONFAB_PAGE (self), shown);
        }
      return;
    }

  if (self != NULL)
    {
      /* Reload first, so the row does not show again in between. */
      if (self->conversations != NULL &&
          confab_page_get_database (CONFAB_PAGE (self)) == pending->db)
        confab_entity_list_refresh (CONFAB_ENTITY_LIST (self->conversations), NULL);
      forget_pending (self, pending);
      update_list_state (self);
    }
}

static void
undo_delete_cb (AdwToast *toast, PendingDelete *pending)
{
  ConfabChatsPage *self = pending->page;

  if (pending->done)
    return;
  pending->done = TRUE;
  if (self == NULL)
    return;
  forget_pending (self, pending);
  refilter (self, GTK_FILTER_CHANGE_LESS_STRICT);
}

static void
delete_dismissed_cb (AdwToast *toast, PendingDelete *pending)
{
  commit_delete (pending);
}

/* Deletes every delete still waiting, before the page or the workspace goes. */
static void
commit_pending (ConfabChatsPage *self)
{
  while (self->pending->len > 0)
    {
      PendingDelete *pending = pending_delete_ref (g_ptr_array_index (self->pending, 0));

      pending->page = NULL; /* no toasts or lists to update any more */
      commit_delete (pending);
      g_hash_table_remove (self->hidden, pending->id);
      g_ptr_array_remove (self->pending, pending);
      pending_delete_unref (pending);
    }
}

static void
delete_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabChatsPage *self = CONFAB_CHATS_PAGE (widget);
  ConfabDatabase  *db = confab_page_get_database (CONFAB_PAGE (self));
  const char      *id = g_variant_get_string (parameter, NULL);
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  g_autofree char *markup = NULL;
  PendingDelete   *pending;
  const char      *title;
  AdwToast        *toast;

  if (g_hash_table_contains (self->hidden, id))
    return;
  conversation = lookup_conversation (self, id, &error);
  if (conversation == NULL)
    {
      confab_page_toast_error (CONFAB_PAGE (self), error);
      return;
    }

  title = confab_conversation_get_title (conversation);
  pending = g_atomic_rc_box_new0 (PendingDelete);
  pending->page = self;
  pending->db = g_object_ref (db);
  pending->id = g_strdup (id);
  pending->title = g_strdup (title != NULL && *title != '\0' ? title : _ ("New Chat"));
  pending->actor_id = confab_acting_user_dup_id (db);
  g_ptr_array_add (self->pending, pending);
  g_hash_table_add (self->hidden, g_strdup (id));

  if (self->current != NULL &&
      g_strcmp0 (confab_entity_get_id (CONFAB_ENTITY (self->current)), id) == 0)
    {
      /* A reply being written would have nowhere to go. */
      confab_chat_view_stop (self->chat_view);
      show_conversation (self, NULL, FALSE);
    }
  refilter (self, GTK_FILTER_CHANGE_MORE_STRICT);

  message = g_strdup_printf (_ ("“%s” deleted"), pending->title);
  markup = g_markup_escape_text (message, -1);
  toast = adw_toast_new (markup);
  adw_toast_set_button_label (toast, _ ("_Undo"));
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect_data (toast, "button-clicked", G_CALLBACK (undo_delete_cb),
                         pending_delete_ref (pending), pending_delete_closure_unref, 0);
  g_signal_connect_data (toast, "dismissed", G_CALLBACK (delete_dismissed_cb),
                         pending_delete_ref (pending), pending_delete_closure_unref, 0);
  g_set_weak_pointer (&self->undo_toast, toast);
  confab_page_add_toast (CONFAB_PAGE (self), toast);
}

/* ------------------------------------------------------------------------ */
/* Export                                                                   */
/* ------------------------------------------------------------------------ */

static void
export_replaced_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    {
      g_autofree char *name = g_file_get_parse_name (G_FILE (source));

      g_task_return_new_error (task, error->domain, error->code, _ ("Could not save “%s”: %s"),
                               name, error->message);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

void
confab_chats_page_export_async (ConfabChatsPage               *self,
                                const char                    *conversation_id,
                                ConfabConversationExportFormat format,
                                GFile                         *file,
                                GCancellable                  *cancellable,
                                GAsyncReadyCallback            callback,
                                gpointer                       user_data)
{
  ConfabDatabase *db;
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  char *text;

  g_return_if_fail (CONFAB_IS_CHATS_PAGE (self));
  g_return_if_fail (conversation_id != NULL);
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_chats_page_export_async);

  db = confab_page_get_database (CONFAB_PAGE (self));
  if (db == NULL)
    {
      g_task_return_new_error (task, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                               _ ("No workspace is open"));
      return;
    }

  /* The workspace is read here, on its thread; only the writing waits on the disk. */
  text = confab_conversation_export_to_string (db, conversation_id, format, NULL, &error);
  if (text == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  bytes = g_bytes_new_take (text, strlen (text));
  g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                                       cancellable, export_replaced_cb, g_steal_pointer (&task));
}

gboolean
confab_chats_page_export_finish (ConfabChatsPage *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (CONFAB_IS_CHATS_PAGE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
export_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  ConfabChatsPage *self = CONFAB_CHATS_PAGE (source);
  g_autoptr (GError) error = NULL;

  if (confab_chats_page_export_finish (self, result, &error))
    confab_page_toast (CONFAB_PAGE (self), _ ("Chat exported"));
  else
    confab_page_toast_error (CONFAB_PAGE (self), error);
}

static void
export_response_cb (GtkNativeDialog *native, int response, ConfabChatsPage *self)
{
  const char                    *id = g_object_get_data (G_OBJECT (native), "conversation-id");
  ConfabConversationExportFormat format =
      GPOINTER_TO_INT (g_object_get_data (G_OBJECT (native), "format"));

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (native));

      if (file != NULL)
        confab_chats_page_export_async (self, id, format, file, NULL, export_done_cb, NULL);
    }
  g_object_unref (native);
}

static void
export_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabChatsPage               *self = CONFAB_CHATS_PAGE (widget);
  const char                    *id = g_variant_get_string (parameter, NULL);
  ConfabConversationExportFormat format = g_str_has_suffix (action_name, "json")
                                              ? CONFAB_CONVERSATION_EXPORT_JSON
                                              : CONFAB_CONVERSATION_EXPORT_MARKDOWN;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char      *name = NULL;
  GtkFileChooserNative *native;

  conversation = lookup_conversation (self, id, &error);
  if (conversation == NULL)
    {
      confab_page_toast_error (CONFAB_PAGE (self), error);
      return;
    }

  native = gtk_file_chooser_native_new (format == CONFAB_CONVERSATION_EXPORT_JSON
                                            ? _ ("Export Chat as JSON")
                                            : _ ("Export Chat as Markdown"),
                                        GTK_WINDOW (gtk_widget_get_root (widget)),
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _ ("_Export"), _ ("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (native), TRUE);

  if (format == CONFAB_CONVERSATION_EXPORT_JSON)
    {
      gtk_file_filter_set_name (filter, _ ("JSON Files"));
      gtk_file_filter_add_mime_type (filter, "application/json");
      gtk_file_filter_add_pattern (filter, "*.json");
    }
  else
    {
      gtk_file_filter_set_name (filter, _ ("Markdown Files"));
      gtk_file_filter_add_mime_type (filter, "text/markdown");
      gtk_file_filter_add_pattern (filter, "*.md");
    }
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (native), filter);
  name =
      confab_conversation_export_file_name (confab_conversation_get_title (conversation), format);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (native), name);

  g_object_set_data_full (G_OBJECT (native), "conversation-id", g_strdup (id), g_free);
  g_object_set_data (G_OBJECT (native), "format", GINT_TO_POINTER (format));
  g_signal_connect_object (native, "response", G_CALLBACK (export_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (native));
}

/* ------------------------------------------------------------------------ */
/* Starting chats                                                           */
/* ------------------------------------------------------------------------ */

static void
start_chat_as (ConfabChatsPage *self,
               const char      *user_id,
               const char      *agent_id,
               const char      *team_id)
{
  ConfabAgentRuntime *runtime = confab_page_get_runtime (CONFAB_PAGE (self));
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) error = NULL;
  ConfabConversation *listed;

  if (runtime == NULL || self->conversations == NULL)
    {
      g_set_error (&error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND, _ ("No workspace is open"));
      confab_page_toast_error (CONFAB_PAGE (self), error);
      return;
    }
  if (user_id == NULL)
    {
      g_set_error (&error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _ ("Every chat belongs to a user: add a user to this workspace first"));
      confab_page_toast_error (CONFAB_PAGE (self), error);
      return;
    }

  if (agent_id != NULL)
    conversation = confab_agent_runtime_start_conversation (runtime, user_id, agent_id, &error);
  else
    conversation = confab_agent_runtime_start_team_conversation (runtime, user_id, team_id, &error);
  if (conversation == NULL)
    {
      confab_page_toast_error (CONFAB_PAGE (self), error);
      return;
    }

  /* Show it in the list now, not after the reload the change schedules. */
  clear_search (self);
  if (!confab_entity_list_refresh (CONFAB_ENTITY_LIST (self->conversations), &error))
    g_warning ("Could not reload the chats: %s", error->message);
  listed = find_in_list (self, confab_entity_get_id (CONFAB_ENTITY (conversation)));
  show_conversation (self, listed != NULL ? listed : conversation, TRUE);
  confab_chat_view_focus_composer (self->chat_view);
}

static void
dialog_start_cb (ConfabNewChatDialog *dialog,
                 const char          *user_id,
                 const char          *agent_id,
                 const char          *team_id,
                 ConfabChatsPage     *self)
{
  start_chat_as (self, user_id, agent_id, team_id);
}

static void
new_chat_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  confab_chats_page_new_chat (CONFAB_CHATS_PAGE (widget));
}

static gboolean
focus_search_cb (GtkWidget *widget, GVariant *args, gpointer user_data)
{
  ConfabChatsPage *self = CONFAB_CHATS_PAGE (widget);

  adw_leaflet_set_visible_child (self->leaflet, self->list_pane);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
  return TRUE;
}

/* ------------------------------------------------------------------------ */
/* The workspace                                                            */
/* ------------------------------------------------------------------------ */

static void
clear_models (ConfabChatsPage *self)
{
  commit_pending (self);
  show_conversation (self, NULL, FALSE);

  gtk_list_view_set_model (self->list_view, NULL);
  g_hash_table_remove_all (self->rows);
  if (self->conversations != NULL)
    g_signal_handlers_disconnect_by_func (self->conversations, conversations_changed_cb, self);
  if (self->groups != NULL)
    g_signal_handlers_disconnect_by_func (self->groups, groups_changed_cb, self);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_func (self->selection, selection_changed_cb, self);
  g_clear_object (&self->selection);
  g_clear_object (&self->groups);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->conversations);

  g_clear_handle_id (&self->names_source, g_source_remove);
  g_clear_handle_id (&self->streaming_source, g_source_remove);
  g_clear_handle_id (&self->refilter_source, g_source_remove);
  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_clear_pointer (&self->content_matches, g_hash_table_unref);

  if (self->connected != NULL)
    g_clear_signal_handler (&self->changed_handler, self->connected);
  g_clear_object (&self->connected);
}

static void
confab_chats_page_database_changed (ConfabPage *page)
{
  ConfabChatsPage *self = CONFAB_CHATS_PAGE (page);
  ConfabDatabase  *db = confab_page_get_database (page);

  clear_models (self);
  clear_search (self);
  reload_names (self);
  reload_streaming (self);
  update_operator (self);
  if (db == NULL)
    {
      update_list_state (self);
      return;
    }

  self->connected = g_object_ref (db);
  self->changed_handler = g_signal_connect (db, "changed", G_CALLBACK (database_changed_cb), self);

  self->conversations = confab_repository_list_model (db, CONFAB_TYPE_CONVERSATION, NULL, NULL);
  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (self->conversations),
                                              GTK_FILTER (g_object_ref (self->filter)));
  self->groups = confab_conversation_groups_new (G_LIST_MODEL (self->filtered));
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->groups)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);

  g_signal_connect_swapped (self->conversations, "items-changed",
                            G_CALLBACK (conversations_changed_cb), self);
  g_signal_connect_swapped (self->groups, "items-changed", G_CALLBACK (groups_changed_cb), self);
  g_signal_connect_swapped (self->selection, "notify::selected", G_CALLBACK (selection_changed_cb),
                            self);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  self->today = today_julian ();
  self->tick_source =
      g_timeout_add_seconds_full (G_PRIORITY_LOW, TICK_SECONDS, tick_cb, self, NULL);
  update_list_state (self);
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */
/* ------------------------------------------------------------------------ */

static void
confab_chats_page_dispose (GObject *object)
{
  ConfabChatsPage *self = CONFAB_CHATS_PAGE (object);

  clear_models (self);
  g_clear_weak_pointer (&self->undo_toast);

  /* The template's leaflet is the bin's child: let AdwBin drop it first, or
   * it would unparent it a second time. */
  adw_bin_set_child (ADW_BIN (self), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), CONFAB_TYPE_CHATS_PAGE);

  G_OBJECT_CLASS (confab_chats_page_parent_class)->dispose (object);
}

static void
confab_chats_page_finalize (GObject *object)
{
  ConfabChatsPage *self = CONFAB_CHATS_PAGE (object);

  g_clear_pointer (&self->agent_names, g_hash_table_unref);
  g_clear_pointer (&self->team_names, g_hash_table_unref);
  g_clear_pointer (&self->user_names, g_hash_table_unref);
  g_clear_pointer (&self->streaming, g_hash_table_unref);
  g_clear_pointer (&self->hidden, g_hash_table_unref);
  g_clear_pointer (&self->rows, g_hash_table_unref);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->search, g_free);
  g_clear_pointer (&self->search_words, g_strfreev);
  g_clear_pointer (&self->operator_id, g_free);

  G_OBJECT_CLASS (confab_chats_page_parent_class)->finalize (object);
}

static void
confab_chats_page_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  ConfabChatsPage *self = CONFAB_CHATS_PAGE (object);

  switch (prop_id)
    {
    case PROP_SHOW_ARCHIVED:
      g_value_set_boolean (value, self->show_archived);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_chats_page_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  ConfabChatsPage *self = CONFAB_CHATS_PAGE (object);

  switch (prop_id)
    {
    case PROP_SHOW_ARCHIVED:
      if (self->show_archived != g_value_get_boolean (value))
        {
          self->show_archived = g_value_get_boolean (value);
          refilter (self, self->show_archived ? GTK_FILTER_CHANGE_LESS_STRICT
                                              : GTK_FILTER_CHANGE_MORE_STRICT);
          update_list_state (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_chats_page_class_init (ConfabChatsPageClass *klass)
{
  GObjectClass    *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass  *widget_class = GTK_WIDGET_CLASS (klass);
  ConfabPageClass *page_class = CONFAB_PAGE_CLASS (klass);

  object_class->dispose = confab_chats_page_dispose;
  object_class->finalize = confab_chats_page_finalize;
  object_class->get_property = confab_chats_page_get_property;
  object_class->set_property = confab_chats_page_set_property;

  page_class->database_changed = confab_chats_page_database_changed;

  properties[PROP_SHOW_ARCHIVED] =
      g_param_spec_boolean ("show-archived", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  folded_quark = g_quark_from_static_string ("confab-chats-page-folded-title");

  g_type_ensure (CONFAB_TYPE_CHAT_VIEW);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-chats-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabChatsPage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatsPage, list_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatsPage, detail_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatsPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatsPage, list_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatsPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatsPage, detail_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatsPage, detail_menu_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatsPage, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatsPage, chat_view);
  gtk_widget_class_bind_template_callback (widget_class, detail_back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, bind_item_cb);
  gtk_widget_class_bind_template_callback (widget_class, unbind_item_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_activate_cb);

  gtk_widget_class_install_action (widget_class, "chats.new-chat", NULL, new_chat_action);
  gtk_widget_class_install_property_action (widget_class, "chats.show-archived", "show-archived");
  gtk_widget_class_install_action (widget_class, "chats.rename", "s", rename_action);
  gtk_widget_class_install_action (widget_class, "chats.archive", "s", archive_action);
  gtk_widget_class_install_action (widget_class, "chats.unarchive", "s", unarchive_action);
  gtk_widget_class_install_action (widget_class, "chats.delete", "s", delete_action);
  gtk_widget_class_install_action (widget_class, "chats.export-markdown", "s", export_action);
  gtk_widget_class_install_action (widget_class, "chats.export-json", "s", export_action);

  gtk_widget_class_add_binding (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, focus_search_cb, NULL);
}

static void
confab_chats_page_init (ConfabChatsPage *self)
{
  GtkEventController *controller;

  gtk_widget_init_template (GTK_WIDGET (self));

  controller = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (
      GTK_SHORTCUT_CONTROLLER (controller),
      gtk_shortcut_new (
          gtk_alternative_trigger_new (gtk_keyval_trigger_new (GDK_KEY_Menu, 0),
                                       gtk_keyval_trigger_new (GDK_KEY_F10, GDK_SHIFT_MASK)),
          gtk_callback_action_new (list_menu_key_cb, NULL, NULL)));
  gtk_widget_add_controller (GTK_WIDGET (self->list_view), controller);

  self->hidden = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->rows = g_hash_table_new (NULL, NULL);
  self->pending = g_ptr_array_new_with_free_func (pending_delete_unref);
  update_list_state (self);
}

GtkWidget *
confab_chats_page_new (void)
{
  return g_object_new (CONFAB_TYPE_CHATS_PAGE, NULL);
}

void
confab_chats_page_open_conversation (ConfabChatsPage *self,
                                     const char      *conversation_id,
                                     const char      *message_id)
{
  ConfabConversation *listed;
  g_autoptr (ConfabConversation) stored = NULL;
  g_autoptr (GError) error = NULL;

  g_return_if_fail (CONFAB_IS_CHATS_PAGE (self));
  g_return_if_fail (conversation_id != NULL);

  /* Opened while its delete could still be undone: it stays after all. */
  for (guint i = 0; i < self->pending->len; i++)
    {
      PendingDelete *pending = g_ptr_array_index (self->pending, i);

      if (g_strcmp0 (pending->id, conversation_id) == 0)
        {
          undo_delete_cb (NULL, pending);
          break;
        }
    }

  listed = find_in_list (self, conversation_id);
  if (listed == NULL)
    {
      stored = lookup_conversation (self, conversation_id, &error);
      if (stored == NULL)
        {
          confab_page_toast_error (CONFAB_PAGE (self), error);
          return;
        }
    }

  /* Make the list show it too. */
  if (listed != NULL &&
      confab_conversation_groups_find (self->groups, conversation_id) == G_MAXUINT)
    {
      if (g_strcmp0 (confab_conversation_get_status (listed), "archived") == 0)
        g_object_set (self, "show-archived", TRUE, NULL);
      clear_search (self);
    }

  show_conversation (self, listed != NULL ? listed : stored, TRUE);
  if (message_id != NULL)
    confab_chat_view_scroll_to_message (self->chat_view, message_id);
}

void
confab_chats_page_start_chat (ConfabChatsPage *self, const char *agent_id, const char *team_id)
{
  ConfabDatabase  *db;
  g_autofree char *user_id = NULL;

  g_return_if_fail (CONFAB_IS_CHATS_PAGE (self));
  g_return_if_fail ((agent_id == NULL) != (team_id == NULL));

  db = confab_page_get_database (CONFAB_PAGE (self));
  if (db != NULL)
    user_id = confab_acting_user_dup_id (db);
  start_chat_as (self, user_id, agent_id, team_id);
}

void
confab_chats_page_new_chat (ConfabChatsPage *self)
{
  ConfabDatabase  *db;
  g_autofree char *user_id = NULL;
  GtkWidget       *dialog;

  g_return_if_fail (CONFAB_IS_CHATS_PAGE (self));

  db = confab_page_get_database (CONFAB_PAGE (self));
  if (db == NULL)
    return;
  user_id = confab_acting_user_dup_id (db);
  dialog = confab_new_chat_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))), db,
                                       user_id);
  g_signal_connect_object (dialog, "start", G_CALLBACK (dialog_start_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

const char *
confab_chats_page_get_conversation_id (ConfabChatsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_CHATS_PAGE (self), NULL);

  return self->current != NULL ? confab_entity_get_id (CONFAB_ENTITY (self->current)) : NULL;
}

GListModel *
confab_chats_page_get_items (ConfabChatsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_CHATS_PAGE (self), NULL);

  return G_LIST_MODEL (self->groups);
}

GtkEditable *
confab_chats_page_get_search_entry (ConfabChatsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_CHATS_PAGE (self), NULL);

  return GTK_EDITABLE (self->search_entry);
}

AdwWindowTitle *
confab_chats_page_get_detail_title (ConfabChatsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_CHATS_PAGE (self), NULL);

  return self->detail_title;
}

AdwToast *
confab_chats_page_get_undo_toast (ConfabChatsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_CHATS_PAGE (self), NULL);

  return self->undo_toast;
}

const char *
confab_chats_page_get_list_state (ConfabChatsPage *self)
{
  g_return_val_if_fail (CONFAB_IS_CHATS_PAGE (self), NULL);

  return gtk_stack_get_visible_child_name (self->list_stack);
}
