/* test-escalations-page.c: the Escalations section: the queue's order and
 * filter, taking an escalation, answering the customer as a supporter in
 * the chat view, resolving it with a note, taking one over, the empty state.
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <string.h>

#include "confab-chat-view.h"
#include "confab-escalation-row.h"
#include "confab-escalations-page.h"
#include "confab-test-util.h"

#define ID(e) confab_entity_get_id (CONFAB_ENTITY (e))

/* Iterates the main loop until cond holds; fails after a generous while
 * (a hang, not a slow machine). */
#define WAIT_UNTIL(cond)                                                                           \
  G_STMT_START                                                                                     \
  {                                                                                                \
    gint64 deadline_ = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;                              \
    while (!(cond) && g_get_monotonic_time () < deadline_)                                         \
      if (!g_main_context_iteration (NULL, FALSE))                                                 \
        g_usleep (1000);                                                                           \
    g_assert_true (cond);                                                                          \
  }                                                                                                \
  G_STMT_END

typedef struct
{
  ConfabTestWorkspace   *ws;
  GtkWindow             *window;
  ConfabEscalationsPage *page;
  char                  *admin_id; /* the acting user */
  char                  *operator_id;
  char                  *client_id;
  char                  *agent_id;
  char                  *pending_id; /* escalations */
  char                  *assigned_id;
  char                  *resolved_id;
  char                  *pending_conversation_id;
  GPtrArray             *opened; /* win.open-conversation's conversation ids */
} Fixture;

static char *
add_user (ConfabDatabase *db, const char *username, const char *role)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) user = confab_test_add_user (db, username);

  confab_user_set_role (user, role);
  g_assert_true (confab_repository_update (db, CONFAB_ENTITY (user), NULL, &error));
  g_assert_no_error (error);
  return g_strdup (ID (user));
}

/* A conversation with the agent and two messages, escalated with @reason. */
static char *
add_escalation (Fixture *f, const char *title, const char *reason, char **out_conversation_id)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (GError) error = NULL;
  const char *roles[] = { "user", "assistant" };
  const char *texts[] = { "My cake never arrived", "Let me get a person for you." };

  conversation = g_object_new (CONFAB_TYPE_CONVERSATION, "user-id", f->client_id, "agent-id",
                               f->agent_id, "title", title, NULL);
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (conversation), NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (roles); i++)
    {
      g_autoptr (ConfabMessage) message =
          confab_message_new (ID (conversation), roles[i], texts[i]);

      if (i == 1)
        confab_message_set_agent_id (message, f->agent_id);
      g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (message), NULL, &error));
      g_assert_no_error (error);
    }
  escalation = confab_escalation_new (ID (conversation), reason);
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (escalation), NULL, &error));
  g_assert_no_error (error);
  if (out_conversation_id != NULL)
    *out_conversation_id = g_strdup (ID (conversation));
  return g_strdup (ID (escalation));
}

static void
set_escalation (Fixture *f, const char *id, const char *status, const char *supporter_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabEscalation) escalation =
      confab_repository_get (f->ws->db, CONFAB_TYPE_ESCALATION, id, &error);

  g_assert_no_error (error);
  confab_escalation_set_supporter_id (escalation, supporter_id);
  confab_escalation_set_status (escalation, status);
  g_assert_true (confab_repository_update (f->ws->db, CONFAB_ENTITY (escalation), NULL, &error));
  g_assert_no_error (error);
}

static void
open_conversation_cb (GSimpleAction *action, GVariant *parameter, gpointer data)
{
  Fixture    *f = data;
  const char *conversation_id = NULL;
  const char *message_id = NULL;

  g_variant_get (parameter, "(&s&s)", &conversation_id, &message_id);
  g_ptr_array_add (f->opened, g_strdup (conversation_id));
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSimpleActionGroup) win = g_simple_action_group_new ();
  g_autoptr (GSimpleAction) open = NULL;
  GtkWidget *overlay;

  f->ws = confab_test_workspace_new ();
  f->opened = g_ptr_array_new_with_free_func (g_free);
  f->admin_id = add_user (f->ws->db, "ada", "admin");
  f->operator_id = add_user (f->ws->db, "olga", "operator");
  f->client_id = add_user (f->ws->db, "carl", "client");
  agent = confab_agent_new ("Cake Concierge");
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (agent), NULL, &error));
  g_assert_no_error (error);
  f->agent_id = g_strdup (ID (agent));

  if (g_strcmp0 (data, "empty") != 0)
    {
      f->resolved_id =
          add_escalation (f, "Wrong invoice", "The invoice shows the wrong address", NULL);
      set_escalation (f, f->resolved_id, "assigned", f->operator_id);
      set_escalation (f, f->resolved_id, "resolved", f->operator_id);
      f->assigned_id = add_escalation (f, "Refund", "The customer wants a refund", NULL);
      set_escalation (f, f->assigned_id, "assigned", f->operator_id);
      f->pending_id = add_escalation (f, "Late cake", "Rule “Talk to a person”: late order",
                                      &f->pending_conversation_id);
    }

  /* The page in a window with a toast overlay, as ConfabWindow has it, and
   * the window's action to open a conversation in Chats. */
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 1100, 800);
  open = g_simple_action_new ("open-conversation", G_VARIANT_TYPE ("(ss)"));
  g_signal_connect (open, "activate", G_CALLBACK (open_conversation_cb), f);
  g_action_map_add_action (G_ACTION_MAP (win), G_ACTION (open));
  gtk_widget_insert_action_group (GTK_WIDGET (f->window), "win", G_ACTION_GROUP (win));
  overlay = adw_toast_overlay_new ();
  f->page = CONFAB_ESCALATIONS_PAGE (confab_escalations_page_new ());
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (f->page));
  gtk_window_set_child (f->window, overlay);
  confab_page_set_database (CONFAB_PAGE (f->page), f->ws->db);
  gtk_window_present (f->window);
  if (g_strcmp0 (data, "empty") != 0)
    WAIT_UNTIL (g_list_model_get_n_items (confab_escalations_page_get_visible (f->page)) == 3);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (f->window);
  confab_test_drain_main_loop ();
  confab_test_workspace_free (f->ws);
  g_ptr_array_unref (f->opened);
  g_free (f->admin_id);
  g_free (f->operator_id);
  g_free (f->client_id);
  g_free (f->agent_id);
  g_free (f->pending_id);
  g_free (f->assigned_id);
  g_free (f->resolved_id);
  g_free (f->pending_conversation_id);
}

static char *
query_text (Fixture *f, const char *sql, const char *arg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (f->ws->db, sql, &error);

  g_assert_no_error (error);
  if (arg != NULL)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

static const char *
visible_id (Fixture *f, guint position)
{
  g_autoptr (ConfabEntity) entity =
      g_list_model_get_item (confab_escalations_page_get_visible (f->page), position);

  g_assert_nonnull (entity);
  /* The list holds its own reference. */
  return confab_entity_get_id (entity);
}

static gboolean
activate (Fixture *f, const char *action)
{
  return gtk_widget_activate_action (GTK_WIDGET (f->page), action, NULL);
}

static ConfabEscalationRow *
find_row_in (GtkWidget *widget, const char *id)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      ConfabEscalationRow *row;

      if (CONFAB_IS_ESCALATION_ROW (child))
        {
          ConfabEscalation *escalation =
              confab_escalation_row_get_escalation (CONFAB_ESCALATION_ROW (child));

          if (escalation != NULL && g_strcmp0 (ID (escalation), id) == 0)
            return CONFAB_ESCALATION_ROW (child);
          continue;
        }
      row = find_row_in (child, id);
      if (row != NULL)
        return row;
    }
  return NULL;
}

/* Pending first, then assigned, then resolved; the filter narrows it. */
static void
test_queue (Fixture *f, gconstpointer data)
{
  GtkDropDown         *filter = confab_escalations_page_get_filter (f->page);
  ConfabEscalationRow *row;

  g_assert_cmpstr (visible_id (f, 0), ==, f->pending_id);
  g_assert_cmpstr (visible_id (f, 1), ==, f->assigned_id);
  g_assert_cmpstr (visible_id (f, 2), ==, f->resolved_id);
  g_assert_cmpstr (confab_escalations_page_get_detail_state (f->page), ==, "empty");

  /* A row names the agent, the wait and who holds it. */
  WAIT_UNTIL (find_row_in (GTK_WIDGET (f->page), f->assigned_id) != NULL);
  row = find_row_in (GTK_WIDGET (f->page), f->assigned_id);
  g_assert_nonnull (strstr (confab_escalation_row_get_meta (row), "Cake Concierge"));
  g_assert_nonnull (strstr (confab_escalation_row_get_meta (row), "olga"));
  g_assert_nonnull (strstr (confab_escalation_row_get_meta (row), "Open for"));
  row = find_row_in (GTK_WIDGET (f->page), f->pending_id);
  g_assert_nonnull (strstr (confab_escalation_row_get_meta (row), "Waiting for"));

  gtk_drop_down_set_selected (filter, 1); /* Pending */
  g_assert_cmpuint (g_list_model_get_n_items (confab_escalations_page_get_visible (f->page)), ==,
                    1);
  g_assert_cmpstr (visible_id (f, 0), ==, f->pending_id);
  gtk_drop_down_set_selected (filter, 4); /* Resolved */
  g_assert_cmpstr (visible_id (f, 0), ==, f->resolved_id);
  gtk_drop_down_set_selected (filter, 2); /* Assigned to Me: nothing yet */
  g_assert_cmpuint (g_list_model_get_n_items (confab_escalations_page_get_visible (f->page)), ==,
                    0);
  g_assert_cmpstr (confab_escalations_page_get_list_state (f->page), ==, "empty");
  g_assert_cmpstr (adw_status_page_get_title (confab_escalations_page_get_empty_page (f->page)), ==,
                   "Nothing Assigned to You");
  gtk_drop_down_set_selected (filter, 0);
  g_assert_cmpstr (confab_escalations_page_get_list_state (f->page), ==, "list");

  /* A change elsewhere (confab-cli) reaches the queue: nothing is pending
   * any more, and both assigned ones come before the resolved one (their
   * order between them depends on equal timestamps, so it is not checked). */
  set_escalation (f, f->pending_id, "assigned", f->operator_id);
  WAIT_UNTIL ((row = find_row_in (GTK_WIDGET (f->page), f->pending_id)) != NULL &&
              strstr (confab_escalation_row_get_meta (row), "Open for") != NULL);
  g_assert_cmpstr (visible_id (f, 2), ==, f->resolved_id);
}

/* Take, answer as a supporter, resolve with a note: all through the page. */
static void
test_take_reply_resolve (Fixture *f, gconstpointer data)
{
  ConfabChatView   *chat = confab_escalations_page_get_chat_view (f->page);
  GtkWidget        *take = confab_escalations_page_get_take_button (f->page);
  GtkWidget        *resolve = confab_escalations_page_get_resolve_button (f->page);
  AdwMessageDialog *dialog;
  g_autofree char  *value = NULL;
  gint64            messages_before;
  g_autofree char  *count_sql = g_strdup_printf (
       "SELECT count(*) FROM messages WHERE conversation_id = '%s'", f->pending_conversation_id);

  g_assert_true (confab_escalations_page_select (f->page, f->pending_id));
  g_assert_cmpstr (confab_escalations_page_get_detail_state (f->page), ==, "escalation");
  g_assert_cmpstr (confab_chat_view_get_conversation_id (chat), ==, f->pending_conversation_id);
  g_assert_cmpstr (confab_chat_view_get_operator_id (chat), ==, f->admin_id);
  WAIT_UNTIL (g_list_model_get_n_items (confab_chat_view_get_messages (chat)) == 2);
  g_assert_true (gtk_widget_get_visible (take));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (take)), ==, "_Take");
  g_assert_false (gtk_widget_get_visible (resolve));
  /* A pending one may be answered: the answer takes it. */
  g_assert_true (confab_escalations_page_get_can_answer (f->page));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (confab_chat_view_get_composer (chat))));

  /* Take. */
  g_assert_true (activate (f, "escalations.take"));
  value = query_text (f, "SELECT status || ' ' || supporter_id FROM escalations WHERE id = ?",
                      f->pending_id);
  {
    g_autofree char *expected = g_strconcat ("assigned ", f->admin_id, NULL);

    g_assert_cmpstr (value, ==, expected);
  }
  g_clear_pointer (&value, g_free);
  g_assert_false (gtk_widget_get_visible (take));
  g_assert_true (gtk_widget_get_visible (resolve));
  g_assert_true (confab_escalations_page_get_can_answer (f->page));
  g_assert_cmpint (confab_test_count_rows (f->ws->db,
                                           "SELECT count(*) FROM audit_log WHERE "
                                           "entity = 'escalation' AND action = 'update' AND "
                                           "json_extract (details, '$.changed.status.to') = "
                                           "'assigned' AND actor_id = (SELECT id FROM users "
                                           "WHERE username = 'ada')"),
                   ==, 1);

  /* Reply as a supporter in the composer. */
  messages_before = confab_test_count_rows (f->ws->db, count_sql);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (confab_chat_view_get_composer (chat)),
                            "Ada here: your cake leaves the oven now.", -1);
  confab_chat_view_send (chat);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, count_sql), ==, messages_before + 1);
  value = query_text (f,
                      "SELECT role || '|' || user_id || '|' || content FROM messages "
                      "WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1",
                      f->pending_conversation_id);
  {
    g_autofree char *expected =
        g_strconcat ("supporter|", f->admin_id, "|Ada here: your cake leaves the oven now.", NULL);

    g_assert_cmpstr (value, ==, expected);
  }
  g_clear_pointer (&value, g_free);
  WAIT_UNTIL (g_list_model_get_n_items (confab_chat_view_get_messages (chat)) == 3);

  /* Resolve, with a note, through the dialog. */
  g_assert_true (activate (f, "escalations.resolve"));
  dialog = confab_escalations_page_get_resolve_dialog (f->page);
  g_assert_nonnull (dialog);
  gtk_editable_set_text (GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog)),
                         "Sent a new cake with a voucher");
  adw_message_dialog_response (dialog, "resolve");
  g_assert_null (confab_escalations_page_get_resolve_dialog (f->page));

  value = query_text (f, "SELECT status FROM escalations WHERE id = ?", f->pending_id);
  g_assert_cmpstr (value, ==, "resolved");
  g_clear_pointer (&value, g_free);
  value =
      query_text (f, "SELECT status FROM conversations WHERE id = ?", f->pending_conversation_id);
  g_assert_cmpstr (value, ==, "active");
  g_clear_pointer (&value, g_free);
  value = query_text (f,
                      "SELECT json_extract (details, '$.note') FROM audit_log WHERE "
                      "entity = 'escalation' AND action = 'resolve' AND entity_id = ?",
                      f->pending_id);
  g_assert_cmpstr (value, ==, "Sent a new cake with a voucher");
  g_clear_pointer (&value, g_free);

  /* Back with its agent: read-only here, nothing left to take or resolve. */
  g_assert_false (confab_escalations_page_get_can_answer (f->page));
  g_assert_false (gtk_widget_get_visible (take));
  g_assert_false (gtk_widget_get_visible (resolve));
  g_assert_false (gtk_widget_get_visible (
      gtk_widget_get_ancestor (GTK_WIDGET (confab_chat_view_get_composer (chat)), ADW_TYPE_CLAMP)));

  /* Resolving twice is refused with a message, and changes nothing. */
  g_assert_false (confab_escalations_page_resolve (f->page, NULL));
  g_assert_cmpint (confab_test_count_rows (f->ws->db,
                                           "SELECT count(*) FROM audit_log WHERE "
                                           "entity = 'escalation' AND action = 'resolve'"),
                   ==, 1);

  /* Open in Chats goes through the window. */
  g_assert_true (activate (f, "escalations.open-in-chats"));
  g_assert_cmpuint (f->opened->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->opened, 0), ==, f->pending_conversation_id);
}

/* One held by somebody else is read-only until taken over. */
static void
test_take_over (Fixture *f, gconstpointer data)
{
  GtkWidget       *take = confab_escalations_page_get_take_button (f->page);
  g_autofree char *value = NULL;

  g_assert_true (confab_escalations_page_select (f->page, f->assigned_id));
  g_assert_true (gtk_widget_get_visible (take));
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (take)), ==, "Take _Over");
  g_assert_false (gtk_widget_get_visible (confab_escalations_page_get_resolve_button (f->page)));
  g_assert_false (confab_escalations_page_get_can_answer (f->page));

  g_assert_true (activate (f, "escalations.take"));
  value = query_text (f, "SELECT supporter_id FROM escalations WHERE id = ?", f->assigned_id);
  g_assert_cmpstr (value, ==, f->admin_id);
  g_assert_true (confab_escalations_page_get_can_answer (f->page));

  /* Now it is the acting user's. */
  gtk_drop_down_set_selected (confab_escalations_page_get_filter (f->page), 2);
  WAIT_UNTIL (g_list_model_get_n_items (confab_escalations_page_get_visible (f->page)) == 1);
  g_assert_cmpstr (visible_id (f, 0), ==, f->assigned_id);
}

/* Answering a pending escalation in the composer takes it: the page
 * follows. */
static void
test_reply_takes (Fixture *f, gconstpointer data)
{
  ConfabChatView  *chat = confab_escalations_page_get_chat_view (f->page);
  g_autofree char *value = NULL;

  g_assert_true (confab_escalations_page_select (f->page, f->pending_id));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (confab_chat_view_get_composer (chat)),
                            "Hello, Ada from the bakery here.", -1);
  confab_chat_view_send (chat);
  value = query_text (f, "SELECT supporter_id FROM escalations WHERE id = ?", f->pending_id);
  g_assert_cmpstr (value, ==, f->admin_id);
  WAIT_UNTIL (gtk_widget_get_visible (confab_escalations_page_get_resolve_button (f->page)));
  g_assert_false (gtk_widget_get_visible (confab_escalations_page_get_take_button (f->page)));
  g_assert_cmpstr (visible_id (f, 0), ==, f->assigned_id);
}

/* A workspace whose acting user is a client cannot take anything. */
static void
test_client_cannot_take (Fixture *f, gconstpointer data)
{
  g_autofree char *value = NULL;
  char *sql = sqlite3_mprintf ("UPDATE users SET role = 'client' WHERE id = %Q", f->admin_id);

  g_assert_cmpint (sqlite3_exec (confab_database_get_handle (f->ws->db), sql, NULL, NULL, NULL), ==,
                   SQLITE_OK);
  sqlite3_free (sql);
  /* Another program changed the workspace: the page hears of it. */
  confab_database_notify_change (f->ws->db, "users", f->admin_id, "update");
  g_assert_true (confab_escalations_page_select (f->page, f->pending_id));
  g_assert_false (confab_escalations_page_get_can_answer (f->page));
  g_assert_null (
      confab_chat_view_get_operator_id (confab_escalations_page_get_chat_view (f->page)));
  g_assert_true (activate (f, "escalations.take"));
  value = query_text (f, "SELECT status FROM escalations WHERE id = ?", f->pending_id);
  g_assert_cmpstr (value, ==, "pending");
}

static void
test_empty (Fixture *f, gconstpointer data)
{
  WAIT_UNTIL (g_strcmp0 (confab_escalations_page_get_list_state (f->page), "empty") == 0);
  g_assert_cmpstr (adw_status_page_get_title (confab_escalations_page_get_empty_page (f->page)), ==,
                   "No Pending Escalations");
  g_assert_cmpstr (confab_escalations_page_get_detail_state (f->page), ==, "empty");
  g_assert_false (gtk_widget_get_visible (confab_escalations_page_get_take_button (f->page)));
}

int
main (int argc, char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

#define ADD(path, data, func)                                                                      \
  g_test_add ("/confab/escalations-page/" path, Fixture, data, fixture_set_up, func,               \
              fixture_tear_down)
  ADD ("queue", NULL, test_queue);
  ADD ("take-reply-resolve", NULL, test_take_reply_resolve);
  ADD ("take-over", NULL, test_take_over);
  ADD ("reply-takes", NULL, test_reply_takes);
  ADD ("client-cannot-take", NULL, test_client_cannot_take);
  ADD ("empty", "empty", test_empty);
#undef ADD
  return g_test_run ();
}
