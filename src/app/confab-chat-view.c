/* confab-chat-view.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-branch.h"
#include "confab-chat-view.h"
#include "confab-message-row.h"
#include "confab-message-window.h"

/* Lines the composer grows to before it scrolls. */
#define COMPOSER_MAX_LINES 8
/* The counter shows from this many characters on. */
#define COUNTER_FROM (CONFAB_MESSAGE_MAX_CONTENT * 9 / 10)
/* A view this close to the end of the list follows new text down. */
#define BOTTOM_SLACK 32.0
/* Messages the list holds at first, and how many more come in each time
 * the reader scrolls near the top of what it holds. */
#define WINDOW_FIRST 48
#define WINDOW_STEP  64
/* A character is at most four bytes of UTF-8: a text longer than this is
 * over the limit without counting it. */
#define MAX_CONTENT_BYTES (4 * CONFAB_MESSAGE_MAX_CONTENT)

static const char *const supporter_roles[] = { "operator", "admin", NULL };

/* One run of the agent (a sent message, an edit, a regeneration). The view
 * forgets it when it goes away (view = NULL); the runtime's callback frees
 * it. */
typedef struct
{
  ConfabChatView *view;
  char           *conversation_id;
  GCancellable   *cancellable;
  char           *message_id; /* the reply being written, the latest of a team run */
  char           *text;       /* what was sent, given back if it could not be saved */
  gboolean        saved;      /* the user's message is in the workspace */
} Run;

struct _ConfabChatView
{
  AdwBin parent_instance;

  /* Template widgets */
  GtkRevealer       *banner;
  GtkLabel          *banner_label;
  GtkStack          *content_stack;
  AdwStatusPage     *empty_page;
  GtkScrolledWindow *scroller;
  GtkListView       *list_view;
  GtkScrolledWindow *composer_scroller;
  GtkTextView       *composer;
  GtkLabel          *placeholder_label;
  GtkButton         *send_button;
  GtkLabel          *limit_label;

  ConfabDatabase     *database;
  ConfabAgentRuntime *runtime;
  gboolean            own_runtime;
  char               *conversation_id;
  char               *operator_id;

  ConfabConversation  *conversation; /* as last read; NULL when there is none */
  ConfabMessageList   *messages;
  ConfabMessageWindow *window; /* the end of messages, what the list view shows */
  GtkNoSelection      *selection;

  GHashTable *bound;  /* message id -> GtkListItem showing it */
  GHashTable *live;   /* message id -> GString: replies being written */
  GHashTable *dirty;  /* ids whose live text changed since the last frame */
  GHashTable *names;  /* agent or user id -> name, or "" when unknown */
  GHashTable *drafts; /* conversation id -> what the composer held */
  GPtrArray  *runs;   /* Run, not owned */

  guint         flush_tick_id;
  guint         scroll_idle_id;
  guint         grow_idle_id;
  gboolean      stick_to_bottom;
  gboolean      scrolling;
  gboolean      preediting;
  gboolean      replying;
  char         *refusal; /* why the last text was refused, until the next edit */
  GCancellable *paste_cancellable;
  gulong        changed_id;
  gulong        items_changed_id;
};

G_DEFINE_FINAL_TYPE (ConfabChatView, confab_chat_view, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_DATABASE,
  PROP_RUNTIME,
  PROP_CONVERSATION_ID,
  PROP_OPERATOR_ID,
  PROP_REPLYING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void                update_state (ConfabChatView *self);
static void                update_limit (ConfabChatView *self);
static void                maybe_grow (ConfabChatView *self);
static ConfabAgentRuntime *ensure_runtime (ConfabChatView *self);

static void
string_free (gpointer data)
{
  g_string_free (data, TRUE);
}

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

static void
run_free (Run *run)
{
  g_free (run->conversation_id);
  g_clear_object (&run->cancellable);
  g_free (run->message_id);
  g_free (run->text);
  g_free (run);
}

/* ------------------------------------------------------------------------ */
/* Toasts                                                                   */
/* ------------------------------------------------------------------------ */

static void
show_toast (ConfabChatView *self, const char *message, gboolean is_error)
{
  GtkWidget       *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  g_autofree char *markup = NULL;
  AdwToast        *toast;

  if (overlay == NULL)
    {
      /* Not in a window (a test): the message must still go somewhere. */
      g_message ("%s", message);
      return;
    }
  markup = g_markup_escape_text (message, -1);
  toast = adw_toast_new (markup);
  /* Errors stay until dismissed: they may need reading twice. */
  if (is_error)
    adw_toast_set_timeout (toast, 0);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
}

static void
show_error (ConfabChatView *self, const GError *error)
{
  show_toast (self, error->message, TRUE);
}

/* ------------------------------------------------------------------------ */
/* Names                                                                    */
/* ------------------------------------------------------------------------ */

/* An agent's or a person's name, cached: rows ask for it on every bind. */
static const char *
lookup_name (ConfabChatView *self, GType type, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabEntity) entity = NULL;
  const char *name = NULL;

  if (!is_set (id) || self->database == NULL)
    return NULL;
  name = g_hash_table_lookup (self->names, id);
  if (name != NULL)
    return *name != '\0' ? name : NULL;

  entity = confab_repository_get (self->database, type, id, &error);
  if (entity == NULL)
    g_debug ("No name for %s: %s", id, error->message);
  else if (CONFAB_IS_AGENT (entity))
    name = confab_agent_get_name (CONFAB_AGENT (entity));
  else if (CONFAB_IS_TEAM (entity))
    name = confab_team_get_name (CONFAB_TEAM (entity));
  else if (CONFAB_IS_USER (entity))
    {
      name = confab_user_get_name (CONFAB_USER (entity));
      if (!is_set (name))
        name = confab_user_get_username (CONFAB_USER (entity));
    }
  g_hash_table_insert (self->names, g_strdup (id), g_strdup (name != NULL ? name : ""));
  return g_hash_table_lookup (self->names, id);
}

/* Who the conversation is with: its agent or its team. */
static const char *
peer_name (ConfabChatView *self)
{
  const char *name = NULL;

  if (self->conversation == NULL)
    return NULL;
  if (is_set (confab_conversation_get_team_id (self->conversation)))
    name =
        lookup_name (self, CONFAB_TYPE_TEAM, confab_conversation_get_team_id (self->conversation));
  else
    name = lookup_name (self, CONFAB_TYPE_AGENT,
                        confab_conversation_get_agent_id (self->conversation));
  return is_set (name) ? name : NULL;
}

static gboolean
is_team_chat (ConfabChatView *self)
{
  return self->conversation != NULL &&
         is_set (confab_conversation_get_team_id (self->conversation));
}

/* The name above a message: the agent that spoke in a team chat, the
 * person for a team member's message. */
static const char *
author_of (ConfabChatView *self, ConfabMessage *message)
{
  const char *role = confab_message_get_role (message);

  if (g_strcmp0 (role, "assistant") == 0 && is_team_chat (self))
    return lookup_name (self, CONFAB_TYPE_AGENT, confab_message_get_agent_id (message));
  if (g_strcmp0 (role, "supporter") == 0)
    return lookup_name (self, CONFAB_TYPE_USER, confab_message_get_user_id (message));
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Rows                                                                     */
/* ------------------------------------------------------------------------ */

static ConfabMessageRow *
row_for (ConfabChatView *self, const char *message_id)
{
  GtkListItem *item = g_hash_table_lookup (self->bound, message_id);

  return item != NULL ? CONFAB_MESSAGE_ROW (gtk_list_item_get_child (item)) : NULL;
}

static gboolean
can_reply (ConfabChatView *self)
{
  return !self->replying && self->conversation != NULL &&
         g_strcmp0 (confab_conversation_get_status (self->conversation), "escalated") != 0;
}

static void
sync_row (ConfabChatView *self, ConfabMessageRow *row, ConfabMessage *message)
{
  GString *live = g_hash_table_lookup (self->live, confab_entity_get_id (CONFAB_ENTITY (message)));

  confab_message_row_set_author (row, author_of (self, message));
  confab_message_row_set_live_text (row, live != NULL ? live->str : NULL);
  confab_message_row_set_can_reply (row, can_reply (self));
}

static void
sync_bound_rows (ConfabChatView *self)
{
  GHashTableIter iter;
  GtkListItem   *item;

  g_hash_table_iter_init (&iter, self->bound);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &item))
    sync_row (self, CONFAB_MESSAGE_ROW (gtk_list_item_get_child (item)),
              gtk_list_item_get_item (item));
}

/* ------------------------------------------------------------------------ */
/* Scrolling                                                                */
/* ------------------------------------------------------------------------ */

static GtkAdjustment *
vadjustment (ConfabChatView *self)
{
  return gtk_scrolled_window_get_vadjustment (self->scroller);
}

static gboolean
scroll_idle_cb (gpointer data)
{
  ConfabChatView *self = data;
  GtkAdjustment  *adj = vadjustment (self);

  self->scroll_idle_id = 0;
  if (self->stick_to_bottom)
    {
      self->scrolling = TRUE;
      gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj) -
                                         gtk_adjustment_get_page_size (adj));
      self->scrolling = FALSE;
    }
  /* What the list holds may not fill the view: then nothing scrolls, and
   * older messages must come in without being scrolled to. */
  maybe_grow (self);
  return G_SOURCE_REMOVE;
}

/* Keeps the end in view once the list is laid out: after the frame's
 * layout, and again whenever the list measures rows and its end moves
 * (upper_changed_cb ()). */
static void
queue_scroll_to_end (ConfabChatView *self)
{
  if (self->scroll_idle_id == 0)
    self->scroll_idle_id = g_idle_add_full (GDK_PRIORITY_REDRAW + 10, scroll_idle_cb, self, NULL);
}

static void
scroll_to_end (ConfabChatView *self)
{
  guint n = self->window != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->window)) : 0;

  self->stick_to_bottom = TRUE;
  if (n == 0)
    return;
  /* The list materialises the rows around the last one only: the pages
   * of the model before the window are never read. */
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", n - 1);
  queue_scroll_to_end (self);
}

static gboolean
grow_idle_cb (gpointer data)
{
  ConfabChatView *self = data;

  self->grow_idle_id = 0;
  if (self->window != NULL)
    confab_message_window_grow (self->window, WINDOW_STEP);
  return G_SOURCE_REMOVE;
}

/* Near the top of what the list holds, older messages come in above: the
 * rows on screen stay where they are. */
static void
maybe_grow (ConfabChatView *self)
{
  GtkAdjustment *adj = vadjustment (self);

  if (self->window == NULL || confab_message_window_get_start (self->window) == 0 ||
      self->grow_idle_id != 0)
    return;
  if (gtk_adjustment_get_value (adj) < gtk_adjustment_get_page_size (adj))
    self->grow_idle_id = g_idle_add (grow_idle_cb, self);
}

static void
value_changed_cb (ConfabChatView *self, GtkAdjustment *adj)
{
  /* While the view is taken to the end, moves are the list's own. */
  if (self->scrolling || self->scroll_idle_id != 0)
    return;
  self->stick_to_bottom = gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj) >=
                          gtk_adjustment_get_upper (adj) - BOTTOM_SLACK;
  maybe_grow (self);
}

static void
upper_changed_cb (ConfabChatView *self)
{
  /* The list grew (a new message, a longer reply): follow it if the end
   * was in view. */
  if (self->stick_to_bottom)
    queue_scroll_to_end (self);
  else
    maybe_grow (self);
}

/* ------------------------------------------------------------------------ */
/* Replies being written                                                    */
/* ------------------------------------------------------------------------ */

static gboolean
flush_tick_cb (GtkWidget *widget, GdkFrameClock *clock, gpointer data)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (widget);
  GHashTableIter  iter;
  const char     *id;

  self->flush_tick_id = 0;
  g_hash_table_iter_init (&iter, self->dirty);
  while (g_hash_table_iter_next (&iter, (gpointer *) &id, NULL))
    {
      ConfabMessageRow *row = row_for (self, id);
      GString          *live = g_hash_table_lookup (self->live, id);

      if (row != NULL && live != NULL)
        confab_message_row_set_live_text (row, live->str);
    }
  g_hash_table_remove_all (self->dirty);
  return G_SOURCE_REMOVE;
}

/* Pieces arrive many times a frame: the row is redrawn once per frame. */
static void
mark_dirty (ConfabChatView *self, const char *message_id)
{
  g_hash_table_add (self->dirty, g_strdup (message_id));
  if (self->flush_tick_id == 0)
    self->flush_tick_id =
        gtk_widget_add_tick_callback (GTK_WIDGET (self), flush_tick_cb, NULL, NULL);
}

/* The reply is final and saved: its row shows the saved message again. */
static void
finish_live (ConfabChatView *self, const char *message_id)
{
  ConfabMessageRow *row;

  if (!g_hash_table_contains (self->live, message_id))
    return;
  /* The list reads the saved message now, so the row never shows an older
   * checkpoint of it between the live text and the final one. */
  if (self->messages != NULL)
    confab_message_list_refresh (self->messages);
  g_hash_table_remove (self->dirty, message_id);
  g_hash_table_remove (self->live, message_id);
  row = row_for (self, message_id);
  if (row != NULL)
    confab_message_row_set_live_text (row, NULL);
}

static void
on_run_event (ConfabRuntimeEvent event, const char *text, gpointer data)
{
  Run            *run = data;
  ConfabChatView *self = run->view;
  GString        *live;

  if (self == NULL)
    return;

  switch (event)
    {
    case CONFAB_RUNTIME_EVENT_STARTED:
      g_free (run->message_id);
      run->message_id = g_strdup (text);
      g_hash_table_replace (self->live, g_strdup (text), g_string_new (NULL));
      mark_dirty (self, text);
      break;

    case CONFAB_RUNTIME_EVENT_DELTA:
    case CONFAB_RUNTIME_EVENT_REPLACE:
      if (run->message_id == NULL)
        break;
      live = g_hash_table_lookup (self->live, run->message_id);
      if (live == NULL)
        break;
      if (event == CONFAB_RUNTIME_EVENT_REPLACE)
        g_string_assign (live, text);
      else
        g_string_append (live, text);
      mark_dirty (self, run->message_id);
      break;

    case CONFAB_RUNTIME_EVENT_DONE:
      finish_live (self, text);
      break;

    default:
      break;
    }
}

static gboolean
has_run_here (ConfabChatView *self)
{
  for (guint i = 0; i < self->runs->len; i++)
    {
      Run *run = g_ptr_array_index (self->runs, i);

      if (g_strcmp0 (run->conversation_id, self->conversation_id) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
set_replying (ConfabChatView *self, gboolean replying)
{
  if (self->replying == replying)
    return;
  self->replying = replying;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REPLYING]);
}

static void
reply_done_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Run            *run = data;
  ConfabChatView *self = run->view;
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (GError) error = NULL;

  reply = confab_agent_runtime_reply_finish (CONFAB_AGENT_RUNTIME (source), result, &error);
  if (self == NULL)
    {
      run_free (run);
      return;
    }

  g_ptr_array_remove (self->runs, run);
  /* A reply that ended without its DONE (its final save failed). */
  if (run->message_id != NULL)
    finish_live (self, run->message_id);

  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* A failed reply says why in its message, with "Retry"; a failure
       * that left no message (the user's text refused, say) is a toast. */
      if (run->message_id == NULL)
        show_error (self, error);
      /* What the user wrote is not lost: it goes back in the composer. */
      if (!run->saved && run->text != NULL &&
          g_strcmp0 (run->conversation_id, self->conversation_id) == 0)
        {
          GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);

          if (gtk_text_buffer_get_char_count (buffer) == 0)
            gtk_text_buffer_set_text (buffer, run->text, -1);
        }
    }

  set_replying (self, has_run_here (self));
  update_state (self);
  run_free (run);
}

static Run *
run_new (ConfabChatView *self, const char *text)
{
  Run *run = g_new0 (Run, 1);

  run->view = self;
  run->conversation_id = g_strdup (self->conversation_id);
  run->cancellable = g_cancellable_new ();
  run->text = g_strdup (text);
  g_ptr_array_add (self->runs, run);
  set_replying (self, TRUE);
  self->stick_to_bottom = TRUE;
  update_state (self);
  return run;
}

static char *
dup_leaf_id (ConfabChatView *self)
{
  g_autoptr (ConfabMessage) leaf = NULL;

  leaf = confab_branch_get_leaf (self->database, self->conversation_id, NULL);
  return leaf != NULL ? g_strdup (confab_entity_get_id (CONFAB_ENTITY (leaf))) : NULL;
}

/* ------------------------------------------------------------------------ */
/* Sending                                                                  */
/* ------------------------------------------------------------------------ */

static gboolean
is_escalated (ConfabChatView *self)
{
  return self->conversation != NULL &&
         g_strcmp0 (confab_conversation_get_status (self->conversation), "escalated") == 0;
}

/* An operator answers an escalated conversation as a team member: a
 * pending escalation is taken by them first, as `confab-cli escalations
 * reply` does, and one held by somebody else is left to them. */
static gboolean
send_as_supporter (ConfabChatView *self, const char *text, GError **error)
{
  ConfabDatabase        *db = self->database;
  g_autoptr (ConfabUser) operator= NULL;
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (GError) local_error = NULL;

  operator= confab_repository_get (db, CONFAB_TYPE_USER, self->operator_id, error);
  if (operator== NULL)
    return FALSE;
  if (!confab_str_in (confab_user_get_role (operator), supporter_roles))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _ ("The user “%s” cannot answer escalations: only operators and admins can"),
                   confab_user_get_username (operator));
      return FALSE;
    }

  if (!confab_database_begin (db, error))
    return FALSE;

  escalation = confab_repository_find (db, CONFAB_TYPE_ESCALATION, "conversation_id",
                                       self->conversation_id, &local_error);
  if (escalation == NULL && !g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      goto rollback;
    }
  if (escalation != NULL && g_strcmp0 (confab_escalation_get_status (escalation), "resolved") != 0)
    {
      const char *supporter_id = confab_escalation_get_supporter_id (escalation);
      gboolean    needs_taking =
          g_strcmp0 (confab_escalation_get_status (escalation), "pending") == 0 ||
          supporter_id == NULL;

      if (!needs_taking && g_strcmp0 (supporter_id, self->operator_id) != 0)
        {
          const char *holder = lookup_name (self, CONFAB_TYPE_USER, supporter_id);

          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                       _ ("%s is handling this conversation: only they can answer it now"),
                       holder != NULL ? holder : supporter_id);
          goto rollback;
        }
      if (needs_taking)
        {
          confab_escalation_set_supporter_id (escalation, self->operator_id);
          confab_escalation_set_status (escalation, "assigned");
          if (!confab_repository_update (db, CONFAB_ENTITY (escalation), self->operator_id, error))
            goto rollback;
        }
    }

  message = confab_message_new (self->conversation_id, "supporter", text);
  confab_message_set_user_id (message, self->operator_id);
  if (!confab_repository_create (db, CONFAB_ENTITY (message), self->operator_id, error))
    goto rollback;
  return confab_database_commit (db, error);

rollback:
  confab_database_rollback (db);
  return FALSE;
}

static char *
dup_composer_text (ConfabChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  GtkTextIter    start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static gboolean
composer_locked (ConfabChatView *self)
{
  if (self->database == NULL || self->conversation == NULL)
    return TRUE;
  return is_escalated (self) && self->operator_id == NULL;
}

static gboolean
can_send (ConfabChatView *self)
{
  GtkTextBuffer   *buffer = gtk_text_view_get_buffer (self->composer);
  g_autofree char *text = NULL;

  if (composer_locked (self) || self->replying)
    return FALSE;
  if (gtk_text_buffer_get_char_count (buffer) > CONFAB_MESSAGE_MAX_CONTENT)
    return FALSE;
  text = dup_composer_text (self);
  return *g_strstrip (text) != '\0';
}

void
confab_chat_view_send (ConfabChatView *self)
{
  GtkTextBuffer   *buffer;
  g_autofree char *text = NULL;
  g_autofree char *leaf_before = NULL;
  g_autofree char *leaf_after = NULL;
  g_autoptr (GError) error = NULL;
  Run *run;

  g_return_if_fail (CONFAB_IS_CHAT_VIEW (self));

  if (self->replying)
    {
      confab_chat_view_stop (self);
      return;
    }
  if (!can_send (self))
    return;

  buffer = gtk_text_view_get_buffer (self->composer);
  text = g_strstrip (dup_composer_text (self));

  if (is_escalated (self))
    {
      /* composer_locked () let it through: an operator writes. */
      if (!send_as_supporter (self, text, &error))
        {
          show_error (self, error);
          return;
        }
      gtk_text_buffer_set_text (buffer, "", 0);
      scroll_to_end (self);
      return;
    }

  leaf_before = dup_leaf_id (self);
  run = run_new (self, text);
  confab_agent_runtime_reply_async (ensure_runtime (self), self->conversation_id, NULL, text,
                                    on_run_event, run, run->cancellable, reply_done_cb, run);
  /* The runtime saves the user's message before it returns: only then is
   * the composer emptied, so a refused message stays where it was. */
  leaf_after = dup_leaf_id (self);
  run->saved = g_strcmp0 (leaf_before, leaf_after) != 0;
  if (run->saved)
    gtk_text_buffer_set_text (buffer, "", 0);
  scroll_to_end (self);
}

void
confab_chat_view_stop (ConfabChatView *self)
{
  g_return_if_fail (CONFAB_IS_CHAT_VIEW (self));

  for (guint i = 0; i < self->runs->len; i++)
    {
      Run *run = g_ptr_array_index (self->runs, i);

      if (g_strcmp0 (run->conversation_id, self->conversation_id) == 0)
        g_cancellable_cancel (run->cancellable);
    }
}

static void
send_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  confab_chat_view_send (CONFAB_CHAT_VIEW (widget));
}

static void
stop_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  confab_chat_view_stop (CONFAB_CHAT_VIEW (widget));
}

/* ------------------------------------------------------------------------ */
/* Row requests                                                             */
/* ------------------------------------------------------------------------ */

/* What a row asks for rebuilds the list, and the row with it. Focus inside
 * a row that goes away makes GTK 4.8's list move it to the row that takes
 * its place, and a label there then reads the freed widget that had focus
 * (gtk_label_grab_focus ()): the focus goes to the composer first, where
 * the next message is written anyway. */
static void
release_row_focus (ConfabChatView *self)
{
  GtkRoot   *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *focus = root != NULL ? gtk_root_get_focus (root) : NULL;

  if (focus == NULL || (focus != GTK_WIDGET (self->list_view) &&
                        !gtk_widget_is_ancestor (focus, GTK_WIDGET (self->list_view))))
    return;
  if (!gtk_widget_grab_focus (GTK_WIDGET (self->composer)))
    gtk_root_set_focus (root, NULL);
}

static void
row_regenerate_cb (ConfabMessageRow *row, ConfabChatView *self)
{
  ConfabMessage *message = confab_message_row_get_message (row);
  Run           *run;

  if (message == NULL || !can_reply (self) || ensure_runtime (self) == NULL)
    return;
  release_row_focus (self);
  run = run_new (self, NULL);
  run->saved = TRUE;
  confab_agent_runtime_regenerate_async (self->runtime,
                                         confab_entity_get_id (CONFAB_ENTITY (message)),
                                         on_run_event, run, run->cancellable, reply_done_cb, run);
  scroll_to_end (self);
}

static void
row_edit_cb (ConfabMessageRow *row, const char *text, ConfabChatView *self)
{
  ConfabMessage *message = confab_message_row_get_message (row);
  Run           *run;

  if (message == NULL || !can_reply (self) || ensure_runtime (self) == NULL)
    return;
  release_row_focus (self);
  run = run_new (self, NULL);
  run->saved = TRUE;
  confab_agent_runtime_edit_async (self->runtime, confab_entity_get_id (CONFAB_ENTITY (message)),
                                   text, on_run_event, run, run->cancellable, reply_done_cb, run);
  scroll_to_end (self);
}

static void
row_switch_branch_cb (ConfabMessageRow *row, const char *sibling_id, ConfabChatView *self)
{
  g_autoptr (GError) error = NULL;
  ConfabMessage *message = confab_message_row_get_message (row);
  GtkListItem   *item;
  guint          position = GTK_INVALID_LIST_POSITION;

  if (message == NULL || self->database == NULL)
    return;
  item = g_hash_table_lookup (self->bound, confab_entity_get_id (CONFAB_ENTITY (message)));
  if (item != NULL)
    position = gtk_list_item_get_position (item);

  release_row_focus (self);
  if (!confab_branch_switch (self->database, sibling_id, &error))
    {
      show_error (self, error);
      return;
    }
  /* The list starts again from the new branch; the sibling takes the
   * place of the message it replaces, so that place stays in view. */
  if (self->messages != NULL)
    confab_message_list_refresh (self->messages);
  self->stick_to_bottom = FALSE;
  if (position != GTK_INVALID_LIST_POSITION &&
      position < g_list_model_get_n_items (G_LIST_MODEL (self->window)))
    gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", position);
}

static void
row_toast_cb (ConfabMessageRow *row, const char *message, ConfabChatView *self)
{
  show_toast (self, message, FALSE);
}

/* ------------------------------------------------------------------------ */
/* The list                                                                 */
/* ------------------------------------------------------------------------ */

static void
setup_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabChatView *self)
{
  GtkWidget *row = confab_message_row_new ();

  g_signal_connect_object (row, "regenerate", G_CALLBACK (row_regenerate_cb), self, 0);
  g_signal_connect_object (row, "edit", G_CALLBACK (row_edit_cb), self, 0);
  g_signal_connect_object (row, "switch-branch", G_CALLBACK (row_switch_branch_cb), self, 0);
  g_signal_connect_object (row, "toast", G_CALLBACK (row_toast_cb), self, 0);
  gtk_list_item_set_child (item, row);
  gtk_list_item_set_activatable (item, FALSE);
  gtk_list_item_set_selectable (item, FALSE);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabChatView *self)
{
  ConfabMessageRow *row = CONFAB_MESSAGE_ROW (gtk_list_item_get_child (item));
  ConfabMessage    *message = gtk_list_item_get_item (item);

  if (message == NULL)
    return;
  g_hash_table_replace (self->bound, g_strdup (confab_entity_get_id (CONFAB_ENTITY (message))),
                        item);
  confab_message_row_set_database (row, self->database);
  /* Live text first: the saved content may be an older checkpoint. */
  sync_row (self, row, message);
  confab_message_row_set_message (row, message);
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabChatView *self)
{
  ConfabMessageRow *row = CONFAB_MESSAGE_ROW (gtk_list_item_get_child (item));
  ConfabMessage    *message = confab_message_row_get_message (row);

  if (message != NULL)
    {
      const char *id = confab_entity_get_id (CONFAB_ENTITY (message));

      if (g_hash_table_lookup (self->bound, id) == item)
        g_hash_table_remove (self->bound, id);
    }
  confab_message_row_set_live_text (row, NULL);
  confab_message_row_set_message (row, NULL);
}

static void
items_changed_cb (
    ConfabChatView *self, guint position, guint removed, guint added, GListModel *model)
{
  update_state (self);
  if (added > 0 && self->stick_to_bottom)
    scroll_to_end (self);
}

/* ------------------------------------------------------------------------ */
/* State                                                                    */
/* ------------------------------------------------------------------------ */

static void
update_send_button (ConfabChatView *self)
{
  GtkWidget  *button = GTK_WIDGET (self->send_button);
  const char *label;

  if (self->replying)
    {
      gtk_button_set_icon_name (self->send_button, "media-playback-stop-symbolic");
      gtk_widget_set_tooltip_text (button, _ ("Stop (Escape)"));
      label = _ ("Stop Reply");
      gtk_widget_remove_css_class (button, "suggested-action");
    }
  else
    {
      gtk_button_set_icon_name (self->send_button, "go-up-symbolic");
      gtk_widget_set_tooltip_text (button, _ ("Send (Enter)"));
      label = _ ("Send Message");
      gtk_widget_add_css_class (button, "suggested-action");
    }
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.send", self->replying || can_send (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "chat.stop", self->replying);
}

static void
update_placeholder (ConfabChatView *self)
{
  GtkTextBuffer   *buffer = gtk_text_view_get_buffer (self->composer);
  g_autofree char *text = NULL;
  const char      *peer = peer_name (self);

  if (composer_locked (self))
    text = g_strdup ("");
  else if (is_escalated (self))
    text = g_strdup (_ ("Answer as a team member…"));
  else if (peer != NULL)
    /* Translators: the composer's hint; %s is an agent or a team */
    text = g_strdup_printf (_ ("Message %s…"), peer);
  else
    text = g_strdup (_ ("Write a message…"));

  gtk_label_set_label (self->placeholder_label, text);
  gtk_widget_set_visible (GTK_WIDGET (self->placeholder_label),
                          gtk_text_buffer_get_char_count (buffer) == 0 && !self->preediting);
}

static void
update_state (ConfabChatView *self)
{
  guint n = self->messages != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->messages)) : 0;
  gboolean         escalated = is_escalated (self);
  gboolean         locked = composer_locked (self);
  const char      *peer = peer_name (self);
  g_autofree char *hint = NULL;

  gtk_revealer_set_reveal_child (self->banner, escalated);
  if (escalated && self->operator_id != NULL)
    gtk_label_set_label (self->banner_label,
                         _ ("A person from the team is handling this conversation: what you "
                            "write here goes to the customer as a team member"));
  else if (escalated)
    gtk_label_set_label (self->banner_label,
                         _ ("A person from the team is handling this conversation"));

  if (peer != NULL)
    /* Translators: the hint of an empty chat; %s is an agent or a team */
    hint = g_strdup_printf (_ ("Write your first message below: %s answers right here."), peer);
  else
    hint = g_strdup (_ ("Write your first message below."));
  adw_status_page_set_description (self->empty_page, self->conversation != NULL ? hint : NULL);
  gtk_stack_set_visible_child_name (self->content_stack, n > 0 ? "messages" : "empty");

  gtk_widget_set_sensitive (GTK_WIDGET (self->composer_scroller), !locked);
  gtk_text_view_set_editable (self->composer, !locked);

  update_placeholder (self);
  update_send_button (self);
  sync_bound_rows (self);
}

static void
update_limit (ConfabChatView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  GtkWidget     *label = GTK_WIDGET (self->limit_label);
  int            n = gtk_text_buffer_get_char_count (buffer);

  gtk_widget_remove_css_class (label, "error");
  gtk_widget_remove_css_class (label, "warning");
  gtk_widget_remove_css_class (label, "dim-label");

  if (self->refusal != NULL)
    {
      gtk_label_set_label (self->limit_label, self->refusal);
      gtk_widget_add_css_class (label, "error");
      gtk_widget_set_visible (label, TRUE);
      return;
    }
  if (n >= COUNTER_FROM)
    {
      /* Translators: the composer's counter near the limit, "9,512 / 10,000" */
      g_autofree char *text = g_strdup_printf (_ ("%'d / %'d"), n, CONFAB_MESSAGE_MAX_CONTENT);

      gtk_label_set_label (self->limit_label, text);
      gtk_widget_add_css_class (label, n >= CONFAB_MESSAGE_MAX_CONTENT ? "warning" : "dim-label");
      gtk_widget_set_visible (label, TRUE);
      return;
    }
  gtk_widget_set_visible (label, FALSE);
}

static void
refuse (ConfabChatView *self)
{
  g_free (self->refusal);
  self->refusal = g_strdup_printf (_ ("That text is too long: a message can have at most %'d "
                                      "characters"),
                                   CONFAB_MESSAGE_MAX_CONTENT);
  update_limit (self);
  gtk_widget_error_bell (GTK_WIDGET (self->composer));
}

static void
load_conversation (ConfabChatView *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;

  if (self->database != NULL && self->conversation_id != NULL)
    {
      conversation = confab_repository_get (self->database, CONFAB_TYPE_CONVERSATION,
                                            self->conversation_id, &error);
      if (conversation == NULL && !g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
        show_error (self, error);
    }
  g_set_object (&self->conversation, conversation);
}

static void
database_changed_cb (ConfabChatView *self, const char *table, const char *id, const char *action)
{
  if (g_strcmp0 (table, "agents") == 0 || g_strcmp0 (table, "users") == 0 ||
      g_strcmp0 (table, "teams") == 0)
    {
      g_hash_table_remove_all (self->names);
      update_state (self);
    }
  else if (g_strcmp0 (table, "conversations") == 0 &&
           (id == NULL || g_strcmp0 (id, self->conversation_id) == 0))
    {
      load_conversation (self);
      update_state (self);
    }
}

/* A new list for the conversation, opened at its end. */
static void
load_messages (ConfabChatView *self)
{
  g_autoptr (ConfabMessageList) messages = NULL;
  g_autoptr (ConfabMessageWindow) window = NULL;

  if (self->window != NULL)
    g_clear_signal_handler (&self->items_changed_id, self->window);
  g_clear_handle_id (&self->grow_idle_id, g_source_remove);
  g_hash_table_remove_all (self->dirty);

  if (self->database != NULL && self->conversation_id != NULL)
    {
      messages = confab_message_list_new (self->database, self->conversation_id);
      window = confab_message_window_new (G_LIST_MODEL (messages), WINDOW_FIRST);
    }
  g_set_object (&self->messages, messages);
  g_set_object (&self->window, window);
  gtk_no_selection_set_model (self->selection, G_LIST_MODEL (window));
  if (window != NULL)
    self->items_changed_id = g_signal_connect_object (
        window, "items-changed", G_CALLBACK (items_changed_cb), self, G_CONNECT_SWAPPED);
  update_state (self);
  scroll_to_end (self);
}

static void
reload (ConfabChatView *self)
{
  load_conversation (self);
  set_replying (self, has_run_here (self));
  load_messages (self);
}

/* ------------------------------------------------------------------------ */
/* The composer                                                             */
/* ------------------------------------------------------------------------ */

static void
buffer_changed_cb (ConfabChatView *self)
{
  g_clear_pointer (&self->refusal, g_free);
  update_limit (self);
  update_placeholder (self);
  update_send_button (self);
}

/* Refuses an insertion that would take the message past the limit: typed,
 * dropped or pasted alike, before the buffer holds it. */
static void
insert_text_cb (
    ConfabChatView *self, GtkTextIter *location, const char *text, int len, GtkTextBuffer *buffer)
{
  glong n_new;

  if (len < 0)
    len = (int) strlen (text);
  n_new = len > MAX_CONTENT_BYTES ? CONFAB_MESSAGE_MAX_CONTENT + 1 : g_utf8_strlen (text, len);
  if (gtk_text_buffer_get_char_count (buffer) + n_new <= CONFAB_MESSAGE_MAX_CONTENT)
    return;
  g_signal_stop_emission_by_name (buffer, "insert-text");
  refuse (self);
}

static void
insert_pasted (ConfabChatView *self, const char *text, gsize len)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->composer);
  gboolean       editable = gtk_text_view_get_editable (self->composer);
  GtkTextIter    start, end;
  int            selected = 0;

  if (gtk_text_buffer_get_selection_bounds (buffer, &start, &end))
    selected = gtk_text_iter_get_offset (&end) - gtk_text_iter_get_offset (&start);
  if (len > MAX_CONTENT_BYTES ||
      gtk_text_buffer_get_char_count (buffer) - selected + g_utf8_strlen (text, len) >
          CONFAB_MESSAGE_MAX_CONTENT)
    {
      refuse (self);
      return;
    }

  gtk_text_buffer_begin_user_action (buffer);
  gtk_text_buffer_delete_selection (buffer, TRUE, editable);
  gtk_text_buffer_insert_interactive_at_cursor (buffer, text, (int) len, editable);
  gtk_text_buffer_end_user_action (buffer);
  gtk_text_view_scroll_mark_onscreen (self->composer, gtk_text_buffer_get_insert (buffer));
}

typedef struct
{
  ConfabChatView *view;
  GInputStream   *stream;
  guint8         *data;
} PasteRead;

static void
paste_read_free (PasteRead *read)
{
  g_clear_object (&read->view);
  g_clear_object (&read->stream);
  g_free (read->data);
  g_free (read);
}

static void
paste_text_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (ConfabChatView) self = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);

  if (text == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Nothing to paste: %s", error->message);
      return;
    }
  insert_pasted (self, text, strlen (text));
}

static void
paste_stream_read_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  PasteRead *read = data;
  g_autoptr (GError) error = NULL;
  gsize n_read = 0;

  g_input_stream_read_all_finish (G_INPUT_STREAM (source), result, &n_read, &error);
  /* Closing early tells the other side to stop sending the rest. */
  g_input_stream_close_async (read->stream, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Could not read the clipboard: %s", error->message);
      paste_read_free (read);
      return;
    }

  if (n_read > MAX_CONTENT_BYTES)
    refuse (read->view);
  else
    {
      g_autofree char *text = g_utf8_make_valid ((const char *) read->data, (gssize) n_read);

      insert_pasted (read->view, text, strlen (text));
    }
  paste_read_free (read);
}

static void
paste_stream_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (ConfabChatView) self = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GInputStream) stream = NULL;
  const char *mime_type = NULL;
  PasteRead  *read;

  stream = gdk_clipboard_read_finish (GDK_CLIPBOARD (source), result, &mime_type, &error);
  if (stream == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Text in another form (another charset): GTK converts it. */
      gdk_clipboard_read_text_async (GDK_CLIPBOARD (source), self->paste_cancellable, paste_text_cb,
                                     g_object_ref (self));
      return;
    }

  /* One byte past the limit is enough to know: a huge text is never read
   * whole, let alone put in the buffer. */
  read = g_new0 (PasteRead, 1);
  read->view = g_object_ref (self);
  read->stream = g_steal_pointer (&stream);
  read->data = g_malloc (MAX_CONTENT_BYTES + 1);
  g_input_stream_read_all_async (read->stream, read->data, MAX_CONTENT_BYTES + 1,
                                 G_PRIORITY_DEFAULT, self->paste_cancellable, paste_stream_read_cb,
                                 read);
}

static void
paste_clipboard_cb (ConfabChatView *self, GtkTextView *view)
{
  static const char *mime_types[] = { "text/plain;charset=utf-8", NULL };
  GdkClipboard      *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (view));

  g_signal_stop_emission_by_name (view, "paste-clipboard");
  if (!gtk_text_view_get_editable (view))
    return;

  g_cancellable_cancel (self->paste_cancellable);
  g_clear_object (&self->paste_cancellable);
  self->paste_cancellable = g_cancellable_new ();
  gdk_clipboard_read_async (clipboard, mime_types, G_PRIORITY_DEFAULT, self->paste_cancellable,
                            paste_stream_cb, g_object_ref (self));
}

static gboolean
composer_key_pressed_cb (ConfabChatView *self, guint keyval, guint keycode, GdkModifierType state)
{
  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return GDK_EVENT_PROPAGATE;
  /* Shift+Enter is a new line; an input method composing takes its Enter. */
  if ((state & (GDK_SHIFT_MASK | GDK_CONTROL_MASK | GDK_ALT_MASK)) != 0 || self->preediting)
    return GDK_EVENT_PROPAGATE;

  if (self->replying)
    gtk_widget_error_bell (GTK_WIDGET (self->composer));
  else
    confab_chat_view_send (self);
  return GDK_EVENT_STOP;
}

static void
preedit_changed_cb (ConfabChatView *self, const char *preedit)
{
  self->preediting = preedit != NULL && *preedit != '\0';
  update_placeholder (self);
}

/* About eight lines of the composer's font, then it scrolls. */
static void
composer_map_cb (ConfabChatView *self)
{
  PangoContext     *context = gtk_widget_get_pango_context (GTK_WIDGET (self->composer));
  PangoFontMetrics *metrics = pango_context_get_metrics (context, NULL, NULL);
  int               line = PANGO_PIXELS (pango_font_metrics_get_height (metrics));

  pango_font_metrics_unref (metrics);
  if (line <= 0)
    line = 20;
  gtk_scrolled_window_set_max_content_height (self->composer_scroller,
                                              COMPOSER_MAX_LINES * line +
                                                  gtk_text_view_get_top_margin (self->composer) +
                                                  gtk_text_view_get_bottom_margin (self->composer));
}

/* A window that opens on a chat starts in its composer, not in the first
 * message's selectable text (which would then show all selected). */
static void
map_cb (ConfabChatView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (GTK_IS_WINDOW (root) && gtk_window_get_focus (GTK_WINDOW (root)) == NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

void
confab_chat_view_focus_composer (ConfabChatView *self)
{
  g_return_if_fail (CONFAB_IS_CHAT_VIEW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->composer));
}

/* ------------------------------------------------------------------------ */
/* Scrolling to a message                                                   */
/* ------------------------------------------------------------------------ */

void
confab_chat_view_scroll_to_message (ConfabChatView *self, const char *message_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  gint64   position;
  guint    shown;
  gboolean on_path;
  int      rc;

  g_return_if_fail (CONFAB_IS_CHAT_VIEW (self));
  g_return_if_fail (message_id != NULL);

  if (self->database == NULL || self->window == NULL)
    return;

  stmt = confab_database_prepare (self->database,
                                  "SELECT m.on_path, (SELECT count(*) FROM messages AS o "
                                  "  WHERE o.conversation_id = m.conversation_id "
                                  "  AND o.on_path = 1 AND o.depth < m.depth) "
                                  "FROM messages AS m WHERE m.id = ? AND m.conversation_id = ?",
                                  &error);
  if (stmt == NULL)
    goto failed;
  sqlite3_bind_text (stmt, 1, message_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, self->conversation_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return; /* deleted since, or of another conversation */
  if (rc != SQLITE_ROW)
    {
      confab_database_set_error (
          self->database, sqlite3_extended_errcode (confab_database_get_handle (self->database)),
          &error);
      goto failed;
    }
  on_path = sqlite3_column_int (stmt, 0) != 0;
  position = sqlite3_column_int64 (stmt, 1);
  /* Statements are cached: this one is done before the workspace is used again. */
  sqlite3_reset (g_steal_pointer (&stmt));

  /* A message of another branch: that branch is shown first. */
  if (!on_path)
    {
      release_row_focus (self);
      if (!confab_branch_switch (self->database, message_id, &error))
        goto failed;
      confab_message_list_refresh (self->messages);
    }

  shown = confab_message_window_show_position (self->window, (guint) position);
  if (shown != G_MAXUINT)
    {
      self->stick_to_bottom = FALSE;
      gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", shown);
    }
  return;

failed:
  show_error (self, error);
}

/* ------------------------------------------------------------------------ */
/* Properties                                                               */
/* ------------------------------------------------------------------------ */

GtkWidget *
confab_chat_view_new (ConfabDatabase *database, ConfabAgentRuntime *runtime)
{
  return g_object_new (CONFAB_TYPE_CHAT_VIEW, "database", database, "runtime", runtime, NULL);
}

ConfabDatabase *
confab_chat_view_get_database (ConfabChatView *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_VIEW (self), NULL);
  return self->database;
}

static void
forget_runs (ConfabChatView *self)
{
  /* Running replies go on; they are saved as they finish. */
  for (guint i = 0; i < self->runs->len; i++)
    ((Run *) g_ptr_array_index (self->runs, i))->view = NULL;
  g_ptr_array_set_size (self->runs, 0);
  g_hash_table_remove_all (self->live);
  g_hash_table_remove_all (self->dirty);
  set_replying (self, FALSE);
}

void
confab_chat_view_set_database (ConfabChatView *self, ConfabDatabase *database)
{
  g_return_if_fail (CONFAB_IS_CHAT_VIEW (self));
  g_return_if_fail (database == NULL || CONFAB_IS_DATABASE (database));

  if (self->database == database)
    return;

  if (self->database != NULL)
    g_clear_signal_handler (&self->changed_id, self->database);
  forget_runs (self);
  g_set_object (&self->database, database);
  g_hash_table_remove_all (self->names);
  g_hash_table_remove_all (self->drafts);
  if (database != NULL)
    self->changed_id = g_signal_connect_object (
        database, "changed", G_CALLBACK (database_changed_cb), self, G_CONNECT_SWAPPED);

  /* A runtime of another workspace goes; one for this workspace is made
   * when first needed (ensure_runtime ()), unless one is set meanwhile. */
  if (self->runtime != NULL &&
      (self->own_runtime || confab_agent_runtime_get_database (self->runtime) != database))
    {
      g_clear_object (&self->runtime);
      self->own_runtime = FALSE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNTIME]);
    }

  reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATABASE]);
}

/* The runtime set, or one of the view's own for its workspace. */
static ConfabAgentRuntime *
ensure_runtime (ConfabChatView *self)
{
  if (self->runtime == NULL && self->database != NULL)
    {
      self->runtime = confab_agent_runtime_new (self->database, NULL);
      self->own_runtime = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNTIME]);
    }
  return self->runtime;
}

ConfabAgentRuntime *
confab_chat_view_get_runtime (ConfabChatView *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_VIEW (self), NULL);
  return ensure_runtime (self);
}

void
confab_chat_view_set_runtime (ConfabChatView *self, ConfabAgentRuntime *runtime)
{
  g_return_if_fail (CONFAB_IS_CHAT_VIEW (self));
  g_return_if_fail (runtime == NULL || CONFAB_IS_AGENT_RUNTIME (runtime));

  if (runtime == NULL)
    {
      /* Unset: the view makes its own when it needs one. */
      if (self->runtime == NULL || self->own_runtime)
        return;
      g_clear_object (&self->runtime);
    }
  else
    {
      if (self->runtime == runtime)
        return;
      g_set_object (&self->runtime, runtime);
      self->own_runtime = FALSE;
      /* The runtime's workspace is the one the view shows. */
      if (confab_agent_runtime_get_database (runtime) != self->database)
        confab_chat_view_set_database (self, confab_agent_runtime_get_database (runtime));
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNTIME]);
}

const char *
confab_chat_view_get_conversation_id (ConfabChatView *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_VIEW (self), NULL);
  return self->conversation_id;
}

void
confab_chat_view_set_conversation_id (ConfabChatView *self, const char *conversation_id)
{
  GtkTextBuffer   *buffer;
  g_autofree char *draft = NULL;
  const char      *saved;

  g_return_if_fail (CONFAB_IS_CHAT_VIEW (self));

  if (!is_set (conversation_id))
    conversation_id = NULL;
  if (g_strcmp0 (self->conversation_id, conversation_id) == 0)
    return;

  /* What was being written stays with its conversation. */
  buffer = gtk_text_view_get_buffer (self->composer);
  draft = dup_composer_text (self);
  if (self->conversation_id != NULL && *draft != '\0')
    g_hash_table_replace (self->drafts, g_strdup (self->conversation_id), g_steal_pointer (&draft));
  else if (self->conversation_id != NULL)
    g_hash_table_remove (self->drafts, self->conversation_id);

  g_free (self->conversation_id);
  self->conversation_id = g_strdup (conversation_id);

  saved = conversation_id != NULL ? g_hash_table_lookup (self->drafts, conversation_id) : NULL;
  gtk_text_buffer_set_text (buffer, saved != NULL ? saved : "", -1);
  g_clear_pointer (&self->refusal, g_free);
  update_limit (self);

  reload (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION_ID]);
}

const char *
confab_chat_view_get_operator_id (ConfabChatView *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_VIEW (self), NULL);
  return self->operator_id;
}

void
confab_chat_view_set_operator_id (ConfabChatView *self, const char *operator_id)
{
  g_return_if_fail (CONFAB_IS_CHAT_VIEW (self));

  if (!is_set (operator_id))
    operator_id = NULL;
  if (g_strcmp0 (self->operator_id, operator_id) == 0)
    return;
  g_free (self->operator_id);
  self->operator_id = g_strdup (operator_id);
  update_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OPERATOR_ID]);
}

gboolean
confab_chat_view_get_replying (ConfabChatView *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_VIEW (self), FALSE);
  return self->replying;
}

GListModel *
confab_chat_view_get_messages (ConfabChatView *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_VIEW (self), NULL);
  return G_LIST_MODEL (self->messages);
}

GtkListView *
confab_chat_view_get_list_view (ConfabChatView *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_VIEW (self), NULL);
  return self->list_view;
}

GtkTextView *
confab_chat_view_get_composer (ConfabChatView *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_VIEW (self), NULL);
  return self->composer;
}

GtkButton *
confab_chat_view_get_send_button (ConfabChatView *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_VIEW (self), NULL);
  return self->send_button;
}

GtkLabel *
confab_chat_view_get_limit_label (ConfabChatView *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_VIEW (self), NULL);
  return self->limit_label;
}

GtkRevealer *
confab_chat_view_get_banner (ConfabChatView *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_VIEW (self), NULL);
  return self->banner;
}

GtkLabel *
confab_chat_view_get_banner_label (ConfabChatView *self)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_VIEW (self), NULL);
  return self->banner_label;
}

GtkWidget *
confab_chat_view_get_row (ConfabChatView *self, const char *message_id)
{
  g_return_val_if_fail (CONFAB_IS_CHAT_VIEW (self), NULL);
  g_return_val_if_fail (message_id != NULL, NULL);
  return (GtkWidget *) row_for (self, message_id);
}

static void
confab_chat_view_dispose (GObject *object)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (object);

  /* Replies of a view that goes away stop, and are kept as stopped. */
  for (guint i = 0; self->runs != NULL && i < self->runs->len; i++)
    g_cancellable_cancel (((Run *) g_ptr_array_index (self->runs, i))->cancellable);
  if (self->runs != NULL)
    forget_runs (self);
  if (self->paste_cancellable != NULL)
    g_cancellable_cancel (self->paste_cancellable);
  g_clear_object (&self->paste_cancellable);

  if (self->flush_tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->flush_tick_id);
  self->flush_tick_id = 0;
  g_clear_handle_id (&self->scroll_idle_id, g_source_remove);

  if (self->database != NULL)
    g_clear_signal_handler (&self->changed_id, self->database);
  g_clear_handle_id (&self->grow_idle_id, g_source_remove);
  if (self->window != NULL)
    g_clear_signal_handler (&self->items_changed_id, self->window);
  if (self->selection != NULL)
    gtk_no_selection_set_model (self->selection, NULL);
  g_clear_object (&self->window);
  g_clear_object (&self->messages);
  g_clear_object (&self->conversation);
  g_clear_object (&self->runtime);
  g_clear_object (&self->database);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_CHAT_VIEW);
  g_clear_object (&self->selection);

  G_OBJECT_CLASS (confab_chat_view_parent_class)->dispose (object);
}

static void
confab_chat_view_finalize (GObject *object)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (object);

  g_clear_pointer (&self->bound, g_hash_table_unref);
  g_clear_pointer (&self->live, g_hash_table_unref);
  g_clear_pointer (&self->dirty, g_hash_table_unref);
  g_clear_pointer (&self->names, g_hash_table_unref);
  g_clear_pointer (&self->drafts, g_hash_table_unref);
  g_clear_pointer (&self->runs, g_ptr_array_unref);
  g_clear_pointer (&self->conversation_id, g_free);
  g_clear_pointer (&self->operator_id, g_free);
  g_clear_pointer (&self->refusal, g_free);

  G_OBJECT_CLASS (confab_chat_view_parent_class)->finalize (object);
}

static void
confab_chat_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      g_value_set_object (value, self->database);
      break;
    case PROP_RUNTIME:
      g_value_set_object (value, self->runtime);
      break;
    case PROP_CONVERSATION_ID:
      g_value_set_string (value, self->conversation_id);
      break;
    case PROP_OPERATOR_ID:
      g_value_set_string (value, self->operator_id);
      break;
    case PROP_REPLYING:
      g_value_set_boolean (value, self->replying);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_chat_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  ConfabChatView *self = CONFAB_CHAT_VIEW (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      confab_chat_view_set_database (self, g_value_get_object (value));
      break;
    case PROP_RUNTIME:
      confab_chat_view_set_runtime (self, g_value_get_object (value));
      break;
    case PROP_CONVERSATION_ID:
      confab_chat_view_set_conversation_id (self, g_value_get_string (value));
      break;
    case PROP_OPERATOR_ID:
      confab_chat_view_set_operator_id (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_chat_view_class_init (ConfabChatViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_chat_view_dispose;
  object_class->finalize = confab_chat_view_finalize;
  object_class->get_property = confab_chat_view_get_property;
  object_class->set_property = confab_chat_view_set_property;

  properties[PROP_DATABASE] =
      g_param_spec_object ("database", NULL, NULL, CONFAB_TYPE_DATABASE,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RUNTIME] =
      g_param_spec_object ("runtime", NULL, NULL, CONFAB_TYPE_AGENT_RUNTIME,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONVERSATION_ID] =
      g_param_spec_string ("conversation-id", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OPERATOR_ID] =
      g_param_spec_string ("operator-id", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REPLYING] =
      g_param_spec_boolean ("replying", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-chat-view.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, banner);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, banner_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, content_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, empty_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, scroller);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, list_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, composer_scroller);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, composer);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, placeholder_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, send_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabChatView, limit_label);

  gtk_widget_class_install_action (widget_class, "chat.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "chat.stop", NULL, stop_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "chat.stop", NULL);
}

static void
confab_chat_view_init (ConfabChatView *self)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkTextBuffer      *buffer;
  GtkEventController *keys;
  GtkAdjustment      *adj;

  self->bound = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->live = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, string_free);
  self->dirty = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->drafts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->runs = g_ptr_array_new ();
  self->stick_to_bottom = TRUE;

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_object (factory, "setup", G_CALLBACK (setup_row_cb), self, 0);
  g_signal_connect_object (factory, "bind", G_CALLBACK (bind_row_cb), self, 0);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (unbind_row_cb), self, 0);
  gtk_list_view_set_factory (self->list_view, factory);
  self->selection = gtk_no_selection_new (NULL);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  adj = vadjustment (self);
  g_signal_connect_object (adj, "value-changed", G_CALLBACK (value_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (adj, "notify::upper", G_CALLBACK (upper_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (adj, "notify::page-size", G_CALLBACK (upper_changed_cb), self,
                           G_CONNECT_SWAPPED);

  buffer = gtk_text_view_get_buffer (self->composer);
  g_signal_connect_object (buffer, "insert-text", G_CALLBACK (insert_text_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (buffer, "changed", G_CALLBACK (buffer_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->composer, "paste-clipboard", G_CALLBACK (paste_clipboard_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->composer, "preedit-changed", G_CALLBACK (preedit_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->composer, "map", G_CALLBACK (composer_map_cb), self,
                           G_CONNECT_SWAPPED);

  g_signal_connect (self, "map", G_CALLBACK (map_cb), NULL);

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (composer_key_pressed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->composer), keys);

  update_state (self);
  update_limit (self);
}
