/* test-chats-page.c: the Chats section: grouped list, search, rename,
 * archive, delete with undo, new chats and export.
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>

#include "confab-chat-view.h"
#include "confab-chats-page.h"
#include "confab-conversation-groups.h"
#include "confab-conversation-header.h"
#include "confab-conversation-row.h"
#include "confab-new-chat-dialog.h"
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
  ConfabTestWorkspace *ws;
  ConfabAgentRuntime  *runtime;
  GtkWindow           *window;
  ConfabChatsPage     *page;
  char                *admin_id;
  char                *client_id;
  char                *agent_id;
} Fixture;

static void
exec_sql (ConfabDatabase *db, const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (confab_database_get_handle (db), sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static char *
iso_days_ago (int days)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GDateTime) then = g_date_time_add_days (now, -days);

  return confab_date_time_to_iso8601 (then);
}

static char *
add_conversation (Fixture *f, const char *title, const char *updated_at)
{
  g_autoptr (ConfabConversation) conversation = confab_conversation_new (f->client_id);
  g_autoptr (GError) error = NULL;

  confab_conversation_set_agent_id (conversation, f->agent_id);
  confab_conversation_set_title (conversation, title);
  confab_repository_create (f->ws->db, CONFAB_ENTITY (conversation), NULL, &error);
  g_assert_no_error (error);
  if (updated_at != NULL)
    {
      g_autofree char *sql = g_strdup_printf ("UPDATE conversations SET updated_at = '%s' "
                                              "WHERE id = '%s'",
                                              updated_at, ID (conversation));
      exec_sql (f->ws->db, sql);
    }
  return g_strdup (ID (conversation));
}

static void
add_message (Fixture *f, const char *conversation_id, const char *content)
{
  g_autoptr (ConfabMessage) message = confab_message_new (conversation_id, "user", content);
  g_autoptr (GError) error = NULL;

  confab_repository_create (f->ws->db, CONFAB_ENTITY (message), NULL, &error);
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabUser) client = NULL;
  g_autoptr (ConfabUser) admin = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (GError) error = NULL;

  f->ws = confab_test_workspace_new ();

  /* The client comes first: the acting user is the admin all the same. */
  client = confab_test_add_user (f->ws->db, "maya");
  admin = confab_test_add_user (f->ws->db, "owner");
  confab_user_set_role (admin, "admin");
  confab_repository_update (f->ws->db, CONFAB_ENTITY (admin), NULL, &error);
  g_assert_no_error (error);
  f->client_id = g_strdup (ID (client));
  f->admin_id = g_strdup (ID (admin));

  agent = confab_agent_new ("Greeter");
  confab_agent_set_config (agent, "{\"rules\": [{\"name\": \"Hello\", \"match\": \"keywords_any\", "
                                  "\"patterns\": [\"hello\"], \"responses\": [\"Hi there!\"]}]}");
  confab_repository_create (f->ws->db, CONFAB_ENTITY (agent), NULL, &error);
  g_assert_no_error (error);
  f->agent_id = g_strdup (ID (agent));
}

/* The page in a window with a toast overlay, as in ConfabWindow. */
static void
show_page (Fixture *f)
{
  GtkWidget *overlay = adw_toast_overlay_new ();

  f->runtime = confab_agent_runtime_new (f->ws->db, NULL);
  f->page = CONFAB_CHATS_PAGE (confab_chats_page_new ());
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 1000, 700);
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (f->page));
  gtk_window_set_child (f->window, overlay);
  confab_page_set_runtime (CONFAB_PAGE (f->page), f->runtime);
  confab_page_set_database (CONFAB_PAGE (f->page), f->ws->db);
  gtk_window_present (f->window);
  confab_test_drain_main_loop ();
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  /* The page's window, and dialogs a test left open. No reference is held
   * across the destroy: a window must finalize right after its dispose. */
  while (g_list_model_get_n_items (toplevels) > 0)
    {
      GtkWindow *window = g_list_model_get_item (toplevels, 0);

      g_object_unref (window); /* GTK still holds it */
      gtk_window_destroy (window);
    }
  f->window = NULL;
  f->page = NULL;
  confab_test_drain_main_loop ();

  g_clear_object (&f->runtime);
  g_free (f->admin_id);
  g_free (f->client_id);
  g_free (f->agent_id);
  confab_test_workspace_free (f->ws);
}

/* The list as text: "[Today] Hello [Yesterday] Bread". */
static char *
describe_items (ConfabChatsPage *page)
{
  GListModel *items = confab_chats_page_get_items (page);
  GString    *text = g_string_new (NULL);
  guint       n = items != NULL ? g_list_model_get_n_items (items) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GObject) item = g_list_model_get_item (items, i);

      if (text->len > 0)
        g_string_append_c (text, ' ');
      if (CONFAB_IS_CONVERSATION_HEADER (item))
        g_string_append_printf (
            text, "[%s]", confab_conversation_header_get_title (CONFAB_CONVERSATION_HEADER (item)));
      else
        g_string_append (text, confab_conversation_get_title (CONFAB_CONVERSATION (item)));
    }
  return g_string_free (text, FALSE);
}

static gboolean
items_are (ConfabChatsPage *page, const char *expected)
{
  g_autofree char *items = describe_items (page);

  return g_strcmp0 (items, expected) == 0;
}

/* Waits for the list to read expected; on failure, says what it read. */
#define WAIT_FOR_ITEMS(page, expected)                                                             \
  G_STMT_START                                                                                     \
  {                                                                                                \
    gint64 deadline_ = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;                              \
    while (!items_are ((page), (expected)) && g_get_monotonic_time () < deadline_)                 \
      if (!g_main_context_iteration (NULL, FALSE))                                                 \
        g_usleep (1000);                                                                           \
    {                                                                                              \
      g_autofree char *items_ = describe_items (page);                                             \
      g_assert_cmpstr (items_, ==, (expected));                                                    \
    }                                                                                              \
  }                                                                                                \
  G_STMT_END

static char *
stored_text (ConfabDatabase *db, const char *sql)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, sql, &error);

  g_assert_no_error (error);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

static char *
stored_column (Fixture *f, const char *column, const char *id)
{
  g_autofree char *sql =
      g_strdup_printf ("SELECT %s FROM conversations WHERE id = '%s'", column, id);
  return stored_text (f->ws->db, sql);
}

static gint64
count_conversations (Fixture *f, const char *id)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM conversations WHERE id = '%s'", id);

  return confab_test_count_rows (f->ws->db, sql);
}

static gpointer
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        return window; /* GTK keeps it */
    }
  return NULL;
}

/* The first widget of that type under root, depth first. */
static gpointer
find_widget (GtkWidget *root, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      gpointer found = find_widget (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The selection of the chat list (the chat view has a list view too). */
static GtkSingleSelection *
find_selection (GtkWidget *root, GListModel *items)
{
  if (GTK_IS_LIST_VIEW (root))
    {
      GtkSelectionModel *model = gtk_list_view_get_model (GTK_LIST_VIEW (root));

      if (GTK_IS_SINGLE_SELECTION (model) &&
          gtk_single_selection_get_model (GTK_SINGLE_SELECTION (model)) == items)
        return GTK_SINGLE_SELECTION (model);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkSingleSelection *found = find_selection (child, items);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkSingleSelection *
list_selection (ConfabChatsPage *page)
{
  GtkSingleSelection *selection =
      find_selection (GTK_WIDGET (page), confab_chats_page_get_items (page));

  g_assert_nonnull (selection);
  return selection;
}

static gpointer
selected_item (ConfabChatsPage *page)
{
  return gtk_single_selection_get_selected_item (list_selection (page));
}

static const char *
selected_id (ConfabChatsPage *page)
{
  gpointer item = selected_item (page);

  return CONFAB_IS_CONVERSATION (item) ? ID (item) : NULL;
}

static void
store_result_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* ------------------------------------------------------------------------ */

static void
test_classify (void)
{
  g_autoptr (GTimeZone) tz = g_time_zone_new_utc ();
  g_autoptr (GDateTime) now = g_date_time_new (tz, 2026, 3, 15, 12, 0, 0);
  const struct
  {
    int         year, month, day, hour;
    const char *title;
  } cases[] = {
    { 2026, 3, 16, 9, "Today" }, /* a clock ahead: not "the future" */
    { 2026, 3, 15, 0, "Today" },
    { 2026, 3, 14, 23, "Yesterday" },
    { 2026, 3, 13, 12, "Previous 7 Days" },
    { 2026, 3, 8, 0, "Previous 7 Days" },
    { 2026, 3, 7, 23, "Previous 30 Days" },
    { 2026, 2, 13, 12, "Previous 30 Days" },
    { 2026, 2, 12, 12, "February" },
    { 2026, 1, 1, 0, "January" },
    { 2025, 12, 31, 23, "December 2025" },
    { 2019, 6, 1, 0, "June 2019" },
  };
  gint64 previous_key = -1;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GDateTime) when =
          g_date_time_new (tz, cases[i].year, cases[i].month, cases[i].day, cases[i].hour, 0, 0);
      g_autofree char *title = NULL;
      gint64           key = confab_conversation_groups_classify (when, now, &title);

      g_assert_cmpstr (title, ==, cases[i].title);
      /* Older groups sort after newer ones. */
      g_assert_cmpint (key, >=, previous_key);
      previous_key = key;
    }
}

static void
test_format_time (void)
{
  g_autoptr (GTimeZone) tz = g_time_zone_new_utc ();
  g_autoptr (GDateTime) now = g_date_time_new (tz, 2026, 3, 15, 12, 0, 0); /* a Sunday */
  const struct
  {
    int         month, day, hour, minute;
    int         year;
    const char *expected;
  } cases[] = {
    { 3, 15, 11, 59, 2026, "1 min" },      { 3, 15, 12, 0, 2026, "Now" },
    { 3, 15, 11, 20, 2026, "40 min" },     { 3, 15, 8, 5, 2026, "08:05" },
    { 3, 14, 23, 0, 2026, "Yesterday" },   { 3, 13, 9, 0, 2026, "Fri" },
    { 3, 9, 9, 0, 2026, "Mon" },           { 3, 8, 9, 0, 2026, "8 Mar" },
    { 12, 24, 9, 0, 2025, "24 Dec 2025" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GDateTime) when = g_date_time_new (tz, cases[i].year, cases[i].month, cases[i].day,
                                                    cases[i].hour, cases[i].minute, 0);
      g_autofree char *text = confab_conversation_row_format_time (when, now);

      g_assert_cmpstr (text, ==, cases[i].expected);
    }
}

static void
test_groups (Fixture *f, gconstpointer data)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GDateTime) months_ago = g_date_time_add_months (now, -3);
  g_autoptr (GDateTime) years_ago = g_date_time_add_months (now, -14);
  g_autofree char *months_iso = confab_date_time_to_iso8601 (months_ago);
  g_autofree char *years_iso = confab_date_time_to_iso8601 (years_ago);
  g_autofree char *yesterday = iso_days_ago (1);
  g_autofree char *three_days = iso_days_ago (3);
  g_autofree char *twenty_days = iso_days_ago (20);
  g_autofree char *month_title = NULL;
  g_autofree char *year_title = g_date_time_format (years_ago, "%OB %Y");
  g_autofree char *expected = NULL;
  g_autofree char *id = NULL;

  month_title = g_date_time_format (
      months_ago,
      g_date_time_get_year (months_ago) == g_date_time_get_year (now) ? "%OB" : "%OB %Y");

  /* Made out of order: the list sorts them, newest first. */
  g_free (add_conversation (f, "Twenty", twenty_days));
  g_free (add_conversation (f, "Old", years_iso));
  g_free (add_conversation (f, "Yesterday", yesterday));
  g_free (add_conversation (f, "Now", NULL));
  g_free (add_conversation (f, "Months", months_iso));
  g_free (add_conversation (f, "Three", three_days));
  show_page (f);

  expected = g_strdup_printf ("[Today] Now [Yesterday] Yesterday [Previous 7 Days] Three "
                              "[Previous 30 Days] Twenty [%s] Months [%s] Old",
                              month_title, year_title);
  WAIT_FOR_ITEMS (f->page, expected);
  g_assert_cmpstr (confab_chats_page_get_list_state (f->page), ==, "list");

  /* A new message moves a chat to Today, and its old group goes when empty. */
  id = stored_text (f->ws->db, "SELECT id FROM conversations WHERE title = 'Three'");
  add_message (f, id, "Still there?");
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("[Today] Three Now [Yesterday] Yesterday "
                              "[Previous 30 Days] Twenty [%s] Months [%s] Old",
                              month_title, year_title);
  WAIT_FOR_ITEMS (f->page, expected);
}

static void
test_rows (Fixture *f, gconstpointer data)
{
  g_autofree char       *id = add_conversation (f, "Escalated chat", NULL);
  ConfabConversationRow *row = NULL;

  exec_sql (f->ws->db, "UPDATE conversations SET status = 'escalated'");
  show_page (f);

  /* The row the view made for it. */
  WAIT_UNTIL ((row = find_widget (GTK_WIDGET (f->page), CONFAB_TYPE_CONVERSATION_ROW)) != NULL);
  g_assert_nonnull (row);
  g_assert_cmpstr (gtk_label_get_label (confab_conversation_row_get_title_label (row)), ==,
                   "Escalated chat");
  g_assert_cmpstr (gtk_label_get_label (confab_conversation_row_get_status_label (row)), ==,
                   "Escalated");
  g_assert_true (gtk_widget_has_css_class (
      GTK_WIDGET (confab_conversation_row_get_status_label (row)), "warning"));

  /* A reply being written shows, and stops showing when it is done. */
  g_assert_false (confab_conversation_row_get_streaming (row));
  {
    g_autoptr (ConfabMessage) reply = confab_message_new (id, "assistant", "");
    g_autoptr (GError) error = NULL;

    confab_message_set_agent_id (reply, f->agent_id);
    confab_message_set_status (reply, "streaming");
    confab_repository_create (f->ws->db, CONFAB_ENTITY (reply), NULL, &error);
    g_assert_no_error (error);
    WAIT_UNTIL (confab_conversation_row_get_streaming (row));

    confab_message_set_content (reply, "Hello");
    confab_message_set_status (reply, "complete");
    confab_repository_update (f->ws->db, CONFAB_ENTITY (reply), NULL, &error);
    g_assert_no_error (error);
    WAIT_UNTIL (!confab_conversation_row_get_streaming (row));
  }
}

/* A big workspace: 10,000 chats, one a quarter of an hour back from now.
 * Sanitizers make GTK many times slower; they check the same code with fewer. */
#if defined(__SANITIZE_ADDRESS__)
#define MANY_CHATS 2000
#else
#define MANY_CHATS 10000
#endif

static void
test_many (Fixture *f, gconstpointer data)
{
  g_autofree char *sql = NULL;
  g_autofree char *last = g_strdup_printf ("c%d", MANY_CHATS - 1);
  g_autoptr (GTimer) timer = g_timer_new ();
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *group = NULL;
  GListModel      *items;
  guint            n_headers = 0, n_chats = 0;

  sql = g_strdup_printf (
      "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) "
      "INSERT INTO conversations (id, user_id, agent_id, title, status, created_at, updated_at) "
      "SELECT 'c' || i, '%s', '%s', 'Chat number ' || i, "
      "CASE WHEN i %% 10 = 0 THEN 'archived' ELSE 'active' END, "
      "strftime ('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now', '-' || (i * 15) || ' minutes'), "
      "strftime ('%%Y-%%m-%%dT%%H:%%M:%%fZ', 'now', '-' || (i * 15) || ' minutes') FROM n",
      MANY_CHATS, f->client_id, f->agent_id);
  exec_sql (f->ws->db, sql);

  g_timer_start (timer);
  show_page (f);
  g_test_message ("%d chats shown in %.0f ms", MANY_CHATS, g_timer_elapsed (timer, NULL) * 1000);

  /* The archived tenth is hidden; every other chat sits under the header of
   * its group, and a header always has chats under it. */
  items = confab_chats_page_get_items (f->page);
  for (guint i = 0; i < g_list_model_get_n_items (items); i++)
    {
      g_autoptr (GObject) item = g_list_model_get_item (items, i);

      if (CONFAB_IS_CONVERSATION_HEADER (item))
        {
          g_assert_cmpuint (i + 1, <, g_list_model_get_n_items (items));
          g_free (group);
          group =
              g_strdup (confab_conversation_header_get_title (CONFAB_CONVERSATION_HEADER (item)));
          n_headers++;
        }
      else
        {
          g_autoptr (GDateTime) when = g_date_time_new_from_iso8601 (
              confab_entity_get_updated_at (CONFAB_ENTITY (item)), NULL);
          g_autofree char *expected = NULL;

          confab_conversation_groups_classify (when, now, &expected);
          g_assert_cmpstr (group, ==, expected);
          n_chats++;
        }
    }
  g_assert_cmpuint (n_chats, ==, MANY_CHATS - MANY_CHATS / 10);
  g_assert_cmpuint (n_headers, >=, 3);

  g_timer_start (timer);
  gtk_editable_set_text (confab_chats_page_get_search_entry (f->page), "number 1001");
  WAIT_FOR_ITEMS (f->page, "[Previous 30 Days] Chat number 1001");
  g_test_message ("searched in %.0f ms", g_timer_elapsed (timer, NULL) * 1000);

  /* Opening the oldest selects it, wherever it is. */
  gtk_editable_set_text (confab_chats_page_get_search_entry (f->page), "");
  confab_chats_page_open_conversation (f->page, last, NULL);
  g_assert_cmpstr (selected_id (f->page), ==, last);
}

static void
test_search (Fixture *f, gconstpointer data)
{
  GtkEditable     *entry;
  g_autofree char *hours = NULL;

  g_free (add_conversation (f, "Bread order", NULL));
  g_free (add_conversation (f, "Crème brûlée for Sunday", NULL));
  hours = add_conversation (f, "Opening hours", NULL);
  add_message (f, hours, "Do you bake sourdough on Mondays?");
  show_page (f);
  entry = confab_chats_page_get_search_entry (f->page);

  WAIT_FOR_ITEMS (f->page, "[Today] Opening hours Crème brûlée for Sunday Bread order");

  gtk_editable_set_text (entry, "BREAD");
  WAIT_FOR_ITEMS (f->page, "[Today] Bread order");

  /* Accents and case do not count. */
  gtk_editable_set_text (entry, "creme brulee");
  WAIT_FOR_ITEMS (f->page, "[Today] Crème brûlée for Sunday");

  /* Words of a message find their chat, a word being typed as a prefix. */
  gtk_editable_set_text (entry, "sourdo");
  WAIT_FOR_ITEMS (f->page, "[Today] Opening hours");

  gtk_editable_set_text (entry, "nothing like this");
  WAIT_FOR_ITEMS (f->page, "");
  g_assert_cmpstr (confab_chats_page_get_list_state (f->page), ==, "no-results");

  /* Quotes and stars are words, not syntax. */
  gtk_editable_set_text (entry, "\"bread* (");
  WAIT_FOR_ITEMS (f->page, "[Today] Bread order");

  gtk_editable_set_text (entry, "");
  WAIT_FOR_ITEMS (f->page, "[Today] Opening hours Crème brûlée for Sunday Bread order");
  g_assert_cmpstr (confab_chats_page_get_list_state (f->page), ==, "list");
}

static void
test_rename (Fixture *f, gconstpointer data)
{
  g_autofree char  *id = add_conversation (f, "Hello", NULL);
  g_autofree char  *title = NULL;
  AdwMessageDialog *dialog;
  GtkEditable      *entry;

  show_page (f);
  confab_chats_page_open_conversation (f->page, id, NULL);
  g_assert_cmpstr (adw_window_title_get_title (confab_chats_page_get_detail_title (f->page)), ==,
                   "Hello");

  gtk_widget_activate_action (GTK_WIDGET (f->page), "chats.rename", "s", id);
  dialog = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  entry = GTK_EDITABLE (adw_message_dialog_get_extra_child (dialog));
  g_assert_cmpstr (gtk_editable_get_text (entry), ==, "Hello");

  /* An empty title is no title. */
  gtk_editable_set_text (entry, "   ");
  g_assert_false (adw_message_dialog_get_response_enabled (dialog, "rename"));

  gtk_editable_set_text (entry, "  Birthday cake order ");
  g_assert_true (adw_message_dialog_get_response_enabled (dialog, "rename"));
  adw_message_dialog_response (dialog, "rename");

  title = stored_column (f, "title", id);
  g_assert_cmpstr (title, ==, "Birthday cake order");
  WAIT_FOR_ITEMS (f->page, "[Today] Birthday cake order");
  g_assert_cmpstr (adw_window_title_get_title (confab_chats_page_get_detail_title (f->page)), ==,
                   "Birthday cake order");
  /* The rename is audited with the acting user. */
  {
    g_autofree char *sql = g_strdup_printf ("SELECT actor_id FROM audit_log WHERE entity_id = '%s' "
                                            "AND action = 'update'",
                                            id);
    g_autofree char *actor = stored_text (f->ws->db, sql);

    g_assert_cmpstr (actor, ==, f->admin_id);
  }
}

static void
test_archive (Fixture *f, gconstpointer data)
{
  g_autofree char *kept = add_conversation (f, "Kept", NULL);
  g_autofree char *id = add_conversation (f, "Old news", NULL);
  g_autofree char *status = NULL;
  gboolean         show_archived;

  exec_sql (f->ws->db, "UPDATE conversations SET status = 'escalated'");
  show_page (f);
  WAIT_FOR_ITEMS (f->page, "[Today] Old news Kept");

  gtk_widget_activate_action (GTK_WIDGET (f->page), "chats.archive", "s", id);
  status = stored_column (f, "status", id);
  g_assert_cmpstr (status, ==, "archived");
  WAIT_FOR_ITEMS (f->page, "[Today] Kept");

  /* Shown on request. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "chats.show-archived", NULL);
  g_object_get (f->page, "show-archived", &show_archived, NULL);
  g_assert_true (show_archived);
  WAIT_FOR_ITEMS (f->page, "[Today] Old news Kept");

  gtk_widget_activate_action (GTK_WIDGET (f->page), "chats.unarchive", "s", id);
  g_clear_pointer (&status, g_free);
  status = stored_column (f, "status", id);
  g_assert_cmpstr (status, ==, "active");

  /* Every chat archived and hidden: the list says so. */
  g_object_set (f->page, "show-archived", FALSE, NULL);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "chats.archive", "s", id);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "chats.archive", "s", kept);
  WAIT_FOR_ITEMS (f->page, "");
  g_assert_cmpstr (confab_chats_page_get_list_state (f->page), ==, "archived");

  /* Opening an archived chat (a search result) shows the archive. */
  confab_chats_page_open_conversation (f->page, kept, NULL);
  g_object_get (f->page, "show-archived", &show_archived, NULL);
  g_assert_true (show_archived);
  g_assert_cmpstr (selected_id (f->page), ==, kept);
}

static void
test_delete_undo (Fixture *f, gconstpointer data)
{
  g_autofree char *id = add_conversation (f, "Keep me", NULL);
  AdwToast        *toast;

  add_message (f, id, "Important");
  show_page (f);
  confab_chats_page_open_conversation (f->page, id, NULL);

  gtk_widget_activate_action (GTK_WIDGET (f->page), "chats.delete", "s", id);
  /* Hidden, and no longer shown, but not deleted yet. */
  WAIT_FOR_ITEMS (f->page, "");
  g_assert_null (confab_chats_page_get_conversation_id (f->page));
  g_assert_cmpstr (confab_chats_page_get_list_state (f->page), ==, "empty");
  g_assert_cmpint (count_conversations (f, id), ==, 1);

  toast = confab_chats_page_get_undo_toast (f->page);
  g_assert_nonnull (toast);
  g_signal_emit_by_name (toast, "button-clicked");
  WAIT_FOR_ITEMS (f->page, "[Today] Keep me");

  /* The toast going away after Undo changes nothing. */
  adw_toast_dismiss (toast);
  confab_test_drain_main_loop ();
  g_assert_cmpint (count_conversations (f, id), ==, 1);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM messages"), ==, 1);
  WAIT_FOR_ITEMS (f->page, "[Today] Keep me");
}

static void
test_delete_dismiss (Fixture *f, gconstpointer data)
{
  g_autofree char *id = add_conversation (f, "Spam", NULL);
  g_autofree char *other = add_conversation (f, "Real question", NULL);
  AdwToast        *toast;

  add_message (f, id, "Buy now");
  show_page (f);

  gtk_widget_activate_action (GTK_WIDGET (f->page), "chats.delete", "s", id);
  WAIT_FOR_ITEMS (f->page, "[Today] Real question");
  g_assert_cmpint (count_conversations (f, id), ==, 1);

  toast = confab_chats_page_get_undo_toast (f->page);
  g_assert_nonnull (toast);
  adw_toast_dismiss (toast);
  confab_test_drain_main_loop ();

  g_assert_cmpint (count_conversations (f, id), ==, 0);
  g_assert_cmpint (count_conversations (f, other), ==, 1);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM messages"), ==, 0);
  WAIT_FOR_ITEMS (f->page, "[Today] Real question");
}

/* Closing the window while the toast is up deletes as asked. */
static void
test_delete_on_close (Fixture *f, gconstpointer data)
{
  g_autofree char *id = add_conversation (f, "Gone", NULL);

  show_page (f);
  gtk_widget_activate_action (GTK_WIDGET (f->page), "chats.delete", "s", id);
  g_assert_cmpint (count_conversations (f, id), ==, 1);

  gtk_window_destroy (f->window);
  confab_test_drain_main_loop ();
  g_assert_cmpint (count_conversations (f, id), ==, 0);
}

static void
test_start_chat (Fixture *f, gconstpointer data)
{
  g_autofree char *id = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *agent_id = NULL;
  ConfabChatView  *view;

  show_page (f);
  g_assert_cmpstr (confab_chats_page_get_list_state (f->page), ==, "empty");

  confab_chats_page_start_chat (f->page, f->agent_id, NULL);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM conversations"), ==, 1);
  id = stored_text (f->ws->db, "SELECT id FROM conversations");
  user_id = stored_column (f, "user_id", id);
  agent_id = stored_column (f, "agent_id", id);
  g_assert_cmpstr (user_id, ==, f->admin_id);
  g_assert_cmpstr (agent_id, ==, f->agent_id);

  /* Shown and selected at once, untitled until its first message. */
  g_assert_cmpstr (confab_chats_page_get_conversation_id (f->page), ==, id);
  g_assert_cmpstr (selected_id (f->page), ==, id);
  WAIT_FOR_ITEMS (f->page, "[Today] ");
  g_assert_cmpstr (adw_window_title_get_title (confab_chats_page_get_detail_title (f->page)), ==,
                   "New Chat");
  g_assert_cmpstr (adw_window_title_get_subtitle (confab_chats_page_get_detail_title (f->page)), ==,
                   "Greeter · owner");

  /* The chat view shows it, ready to write in; the agent answers there. */
  view = find_widget (GTK_WIDGET (f->page), CONFAB_TYPE_CHAT_VIEW);
  g_assert_nonnull (view);
  g_assert_cmpstr (confab_chat_view_get_conversation_id (view), ==, id);
  g_assert_true (confab_chat_view_get_database (view) == f->ws->db);
  g_assert_true (confab_chat_view_get_runtime (view) == f->runtime);
  /* The acting admin answers escalated chats there as a supporter. */
  g_assert_cmpstr (confab_chat_view_get_operator_id (view), ==, f->admin_id);

  gtk_text_buffer_set_text (gtk_text_view_get_buffer (confab_chat_view_get_composer (view)),
                            "hello", -1);
  confab_chat_view_send (view);
  WAIT_UNTIL (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM messages "
                                                 "WHERE content = 'Hi there!'") == 1);
  WAIT_FOR_ITEMS (f->page, "[Today] hello");
  g_assert_cmpstr (selected_id (f->page), ==, id);
}

static void
test_start_chat_without_user (Fixture *f, gconstpointer data)
{
  exec_sql (f->ws->db, "DELETE FROM users");
  show_page (f);

  confab_chats_page_start_chat (f->page, f->agent_id, NULL);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM conversations"), ==, 0);
  g_assert_null (confab_chats_page_get_conversation_id (f->page));
}

static void
test_new_chat_dialog (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabTeam) team = confab_team_new ("Front desk");
  g_autoptr (GError) error = NULL;
  g_autofree char     *id = NULL;
  g_autofree char     *user_id = NULL;
  g_autofree char     *team_id = NULL;
  ConfabNewChatDialog *dialog;
  GtkButton           *start;

  confab_repository_create (f->ws->db, CONFAB_ENTITY (team), NULL, &error);
  g_assert_no_error (error);
  show_page (f);

  gtk_widget_activate_action (GTK_WIDGET (f->page), "chats.new-chat", NULL);
  dialog = find_toplevel (CONFAB_TYPE_NEW_CHAT_DIALOG);
  g_assert_nonnull (dialog);

  /* The acting user by default; nothing to start until a peer is chosen. */
  g_assert_cmpstr (confab_new_chat_dialog_get_user_id (dialog), ==, f->admin_id);
  start = confab_new_chat_dialog_get_start_button (dialog);
  g_assert_false (gtk_widget_get_sensitive (GTK_WIDGET (start)));

  g_assert_true (confab_new_chat_dialog_set_user_id (dialog, f->client_id));
  g_assert_true (confab_new_chat_dialog_select_peer (dialog, NULL, ID (team)));
  g_assert_true (gtk_widget_get_sensitive (GTK_WIDGET (start)));
  g_signal_emit_by_name (start, "clicked");
  confab_test_drain_main_loop ();

  g_assert_null (find_toplevel (CONFAB_TYPE_NEW_CHAT_DIALOG));
  id = stored_text (f->ws->db, "SELECT id FROM conversations");
  g_assert_nonnull (id);
  user_id = stored_column (f, "user_id", id);
  team_id = stored_column (f, "team_id", id);
  g_assert_cmpstr (user_id, ==, f->client_id);
  g_assert_cmpstr (team_id, ==, ID (team));
  g_assert_cmpstr (selected_id (f->page), ==, id);
  g_assert_cmpstr (adw_window_title_get_subtitle (confab_chats_page_get_detail_title (f->page)), ==,
                   "Front desk · maya");
}

static void
test_new_chat_without_agents (Fixture *f, gconstpointer data)
{
  ConfabNewChatDialog *dialog;

  exec_sql (f->ws->db, "UPDATE agents SET is_active = 0");
  show_page (f);

  confab_chats_page_new_chat (f->page);
  dialog = find_toplevel (CONFAB_TYPE_NEW_CHAT_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_false (confab_new_chat_dialog_select_peer (dialog, f->agent_id, NULL));
  g_assert_false (
      gtk_widget_get_visible (GTK_WIDGET (confab_new_chat_dialog_get_start_button (dialog))));
}

static void
test_export (Fixture *f, gconstpointer data)
{
  g_autofree char *id = add_conversation (f, "Order #12", NULL);
  g_autofree char *path = g_build_filename (f->ws->dir, "chat.md", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFile) nowhere = g_file_new_build_filename (f->ws->dir, "missing", "chat.json", NULL);
  const ConfabConversationExportFormat formats[] = {
    CONFAB_CONVERSATION_EXPORT_MARKDOWN,
    CONFAB_CONVERSATION_EXPORT_JSON,
  };

  add_message (f, id, "Where is my order?");
  show_page (f);

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr (GAsyncResult) result = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *written = NULL;
      g_autofree char *expected = NULL;

      /* An older file of that name is replaced. */
      g_file_set_contents (path, "old contents that are longer than nothing", -1, &error);
      g_assert_no_error (error);

      confab_chats_page_export_async (f->page, id, formats[i], file, NULL, store_result_cb,
                                      &result);
      WAIT_UNTIL (result != NULL);
      g_assert_true (confab_chats_page_export_finish (f->page, result, &error));
      g_assert_no_error (error);

      g_file_get_contents (path, &written, NULL, &error);
      g_assert_no_error (error);
      expected = confab_conversation_export_to_string (f->ws->db, id, formats[i], NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (written, ==, expected);
      g_assert_nonnull (strstr (written, "Where is my order?"));
    }

  /* A folder that does not exist: a message that names the file. */
  {
    g_autoptr (GAsyncResult) result = NULL;
    g_autoptr (GError) error = NULL;

    confab_chats_page_export_async (f->page, id, CONFAB_CONVERSATION_EXPORT_JSON, nowhere, NULL,
                                    store_result_cb, &result);
    WAIT_UNTIL (result != NULL);
    g_assert_false (confab_chats_page_export_finish (f->page, result, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, "chat.json"));
  }

  /* A conversation that is gone. */
  {
    g_autoptr (GAsyncResult) result = NULL;
    g_autoptr (GError) error = NULL;

    confab_chats_page_export_async (f->page, "no-such-chat", CONFAB_CONVERSATION_EXPORT_JSON, file,
                                    NULL, store_result_cb, &result);
    WAIT_UNTIL (result != NULL);
    g_assert_false (confab_chats_page_export_finish (f->page, result, &error));
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  }
}

static void
test_open_conversation (Fixture *f, gconstpointer data)
{
  g_autofree char *first = add_conversation (f, "First", NULL);
  g_autofree char *second = add_conversation (f, "Second", NULL);

  show_page (f);
  g_assert_null (selected_id (f->page));

  /* From a search result: the search of the list makes way. */
  gtk_editable_set_text (confab_chats_page_get_search_entry (f->page), "second");
  WAIT_FOR_ITEMS (f->page, "[Today] Second");
  confab_chats_page_open_conversation (f->page, first, NULL);
  g_assert_cmpstr (confab_chats_page_get_conversation_id (f->page), ==, first);
  g_assert_cmpstr (selected_id (f->page), ==, first);
  g_assert_cmpstr (gtk_editable_get_text (confab_chats_page_get_search_entry (f->page)), ==, "");

  /* Selecting in the list (a click) shows it. */
  {
    GListModel *items = confab_chats_page_get_items (f->page);

    for (guint i = 0; i < g_list_model_get_n_items (items); i++)
      {
        g_autoptr (GObject) item = g_list_model_get_item (items, i);

        if (CONFAB_IS_CONVERSATION (item) && g_strcmp0 (ID (item), second) == 0)
          gtk_selection_model_select_item (GTK_SELECTION_MODEL (list_selection (f->page)), i, TRUE);
      }
  }
  g_assert_cmpstr (confab_chats_page_get_conversation_id (f->page), ==, second);

  /* A search result opens its chat at its message. */
  {
    g_autofree char *message_id = NULL;
    ConfabChatView  *view = find_widget (GTK_WIDGET (f->page), CONFAB_TYPE_CHAT_VIEW);

    add_message (f, first, "Where is the bakery?");
    message_id = stored_text (f->ws->db, "SELECT id FROM messages");
    confab_chats_page_open_conversation (f->page, first, message_id);
    g_assert_cmpstr (confab_chats_page_get_conversation_id (f->page), ==, first);
    g_assert_cmpstr (confab_chat_view_get_conversation_id (view), ==, first);
    WAIT_UNTIL (confab_chat_view_get_row (view, message_id) != NULL);
  }

  /* A chat that is gone says so, and nothing changes. */
  confab_chats_page_open_conversation (f->page, "gone", NULL);
  g_assert_cmpstr (confab_chats_page_get_conversation_id (f->page), ==, first);
}

int
main (int argc, char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/confab/chats-page/classify", test_classify);
  g_test_add_func ("/confab/chats-page/format-time", test_format_time);
#define ADD(path, func)                                                                            \
  g_test_add ("/confab/chats-page/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("groups", test_groups);
  ADD ("rows", test_rows);
  ADD ("many", test_many);
  ADD ("search", test_search);
  ADD ("rename", test_rename);
  ADD ("archive", test_archive);
  ADD ("delete-undo", test_delete_undo);
  ADD ("delete-dismiss", test_delete_dismiss);
  ADD ("delete-on-close", test_delete_on_close);
  ADD ("start-chat", test_start_chat);
  ADD ("start-chat-without-user", test_start_chat_without_user);
  ADD ("new-chat-dialog", test_new_chat_dialog);
  ADD ("new-chat-without-agents", test_new_chat_without_agents);
  ADD ("export", test_export);
  ADD ("open-conversation", test_open_conversation);
#undef ADD

  return g_test_run ();
}
