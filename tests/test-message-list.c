#include "config.h"

#include <string.h>

#include "confab-test-util.h"

#define ID(entity) confab_entity_get_id (CONFAB_ENTITY (entity))

#define N_BIG   100000
#define N_PAGES ((N_BIG + CONFAB_MESSAGE_LIST_PAGE_SIZE - 1) / CONFAB_MESSAGE_LIST_PAGE_SIZE)

/* Every items-changed the list emits, as (position, removed, added). */
typedef struct
{
  GArray *calls;
  guint   n_items_notifies;
} Recorder;

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Call;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    data)
{
  Recorder *rec = data;
  Call call = { position, removed, added };

  g_array_append_val (rec->calls, call);
}

static void
on_n_items (GObject    *object,
            GParamSpec *pspec,
            gpointer    data)
{
  Recorder *rec = data;

  rec->n_items_notifies++;
}

static void
recorder_init (Recorder          *rec,
               ConfabMessageList *list)
{
  rec->calls = g_array_new (FALSE, FALSE, sizeof (Call));
  rec->n_items_notifies = 0;
  g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed), rec);
  g_signal_connect (list, "notify::n-items", G_CALLBACK (on_n_items), rec);
}

static void
recorder_clear (Recorder *rec)
{
  g_clear_pointer (&rec->calls, g_array_unref);
}

static void
assert_calls (Recorder *rec,
              guint     n_calls)
{
  if (rec->calls->len != n_calls)
    g_error ("expected %u items-changed, got %u", n_calls, rec->calls->len);
}

static void
assert_call (Recorder *rec,
             guint     index,
             guint     position,
             guint     removed,
             guint     added)
{
  Call *call;

  g_assert_cmpuint (index, <, rec->calls->len);
  call = &g_array_index (rec->calls, Call, index);
  g_assert_cmpuint (call->position, ==, position);
  g_assert_cmpuint (call->removed, ==, removed);
  g_assert_cmpuint (call->added, ==, added);
}

/* Counts the statements SQLite runs, to see what get_item costs. */
typedef struct
{
  guint  n_statements;
  char  *last_sql;
} Trace;

static int
trace_cb (unsigned  type,
          void     *ctx,
          void     *p,
          void     *x)
{
  Trace *trace = ctx;

  if (type == SQLITE_TRACE_STMT && !g_str_has_prefix (x, "--"))
    {
      trace->n_statements++;
      g_free (trace->last_sql);
      trace->last_sql = g_strdup (x);
    }
  return 0;
}

static void
trace_start (ConfabDatabase *db,
             Trace          *trace)
{
  trace->n_statements = 0;
  trace->last_sql = NULL;
  sqlite3_trace_v2 (confab_database_get_handle (db), SQLITE_TRACE_STMT, trace_cb, trace);
}

static void
trace_stop (ConfabDatabase *db,
            Trace          *trace)
{
  sqlite3_trace_v2 (confab_database_get_handle (db), 0, NULL, NULL);
  g_clear_pointer (&trace->last_sql, g_free);
}

static ConfabConversation *
add_conversation (ConfabDatabase *db,
                  ConfabUser     *user)
{
  g_autoptr (GError) error = NULL;
  ConfabConversation *conversation = confab_conversation_new (ID (user));

  confab_repository_create (db, CONFAB_ENTITY (conversation), NULL, &error);
  g_assert_no_error (error);
  return conversation;
}

static ConfabMessage *
add_message (ConfabDatabase     *db,
             ConfabConversation *conversation,
             const char         *role,
             const char         *content)
{
  g_autoptr (GError) error = NULL;
  ConfabMessage *message = confab_message_new (ID (conversation),
                                               role, content);

  confab_repository_create (db, CONFAB_ENTITY (message), NULL, &error);
  g_assert_no_error (error);
  return message;
}

/* Messages "prefix first", "prefix first+1"... alternating user and assistant. */
static void
add_messages (ConfabDatabase     *db,
              ConfabConversation *conversation,
              const char         *prefix,
              guint               first,
              guint               n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *content = g_strdup_printf ("%s %u", prefix, first + i);
      g_object_unref (add_message (db, conversation, i % 2 ? "assistant" : "user", content));
    }
}

/* Checks the row at @position: its seq and the text it was written with. */
static ConfabMessage *
check_item (ConfabMessageList *list,
            guint              position,
            gint64             seq,
            const char        *prefix)
{
  ConfabMessage *message = g_list_model_get_item (G_LIST_MODEL (list), position);
  g_autofree char *expected = g_strdup_printf ("%s %" G_GINT64_FORMAT, prefix, seq);

  if (message == NULL)
    g_error ("no item at %u", position);
  g_assert_true (CONFAB_IS_MESSAGE (message));
  g_assert_cmpint (confab_message_get_seq (message), ==, seq);
  g_assert_cmpstr (confab_message_get_content (message), ==, expected);
  return message;
}

static void
check_position (ConfabMessageList *list,
                guint              position,
                gint64             seq,
                const char        *prefix)
{
  g_object_unref (check_item (list, position, seq, prefix));
}

/* The fast way: one transaction, one prepared INSERT run 100,000 times (the
 * FTS trigger runs for each row as it would for the app). */
static void
insert_raw (ConfabDatabase *db,
            const char     *conversation_id,
            guint           n)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (confab_database_begin (db, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabStmt) stmt = NULL;
      g_autofree char *id = g_uuid_string_random ();
      g_autofree char *content = g_strdup_printf ("message %u", i);

      stmt = confab_database_prepare (db,
                                      "INSERT INTO messages "
                                      "(id, conversation_id, seq, depth, role, content, "
                                      "created_at, updated_at) VALUES (?, ?, ?3, ?3, ?, ?, "
                                      "'2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z')",
                                      &error);
      g_assert_no_error (error);
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, conversation_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 3, i);
      sqlite3_bind_text (stmt, 4, i % 2 ? "assistant" : "user", -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, content, -1, SQLITE_TRANSIENT);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
    }
  g_assert_true (confab_database_commit (db, &error));
  g_assert_no_error (error);
}

static void
test_paging_big (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabConversation) conversation = add_conversation (ws->db, alice);
  g_autoptr (ConfabMessageList) list = NULL;
  g_autoptr (ConfabMessage) first = NULL;
  g_autoptr (ConfabMessage) again = NULL;
  g_autoptr (ConfabMessage) appended = NULL;
  g_autoptr (GError) error = NULL;
  const char *id = ID (conversation);
  gpointer evicted = NULL;
  Recorder rec;
  Trace trace;
  ConfabMessage *doomed;

  insert_raw (ws->db, id, N_BIG);

  trace_start (ws->db, &trace);
  list = confab_message_list_new (ws->db, id);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, N_BIG);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (list)) == CONFAB_TYPE_MESSAGE);
  recorder_init (&rec, list);

  /* The count and the last page were read by the constructor: the end of
   * the chat costs nothing more, nor does asking for the count again. */
  trace.n_statements = 0;
  check_position (list, N_BIG - 1, N_BIG - 1, "message");
  check_position (list, N_BIG - 32, N_BIG - 32, "message");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, N_BIG);
  g_assert_cmpuint (trace.n_statements, ==, 0);

  /* One query per page of 64; the rest of a page is cached. A dense
   * conversation is read with an index range on seq. */
  first = check_item (list, 0, 0, "message");
  g_assert_cmpuint (trace.n_statements, ==, 1);
  g_assert_nonnull (strstr (trace.last_sql, "depth >= ?"));
  check_position (list, 1, 1, "message");
  check_position (list, 63, 63, "message");
  g_assert_cmpuint (trace.n_statements, ==, 1);
  check_position (list, 64, 64, "message");
  g_assert_cmpuint (trace.n_statements, ==, 2);
  check_position (list, 50000, 50000, "message");
  g_assert_cmpuint (trace.n_statements, ==, 3);
  check_position (list, 99999, 99999, "message");
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (list), N_BIG));
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (list), G_MAXUINT));
  g_assert_cmpuint (trace.n_statements, ==, 3);

  /* A cached row is the same object each time. */
  again = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_assert_true (again == first);
  g_clear_object (&again);

  /* Pages live in a small LRU cache: memory follows what is looked at. */
  evicted = first;
  g_object_add_weak_pointer (G_OBJECT (first), &evicted);
  g_clear_object (&first);
  g_assert_nonnull (evicted); /* still cached */
  for (guint page = 0; page < CONFAB_MESSAGE_LIST_MAX_PAGES; page++)
    check_position (list, (200 + page) * CONFAB_MESSAGE_LIST_PAGE_SIZE,
                    (200 + page) * CONFAB_MESSAGE_LIST_PAGE_SIZE, "message");
  g_assert_null (evicted);
  trace.n_statements = 0;
  check_position (list, 0, 0, "message");
  g_assert_cmpuint (trace.n_statements, ==, 1);

  /* Scrolling through the whole chat reads each page once, with one query. */
  trace.n_statements = 0;
  for (guint position = 0; position < N_BIG; position++)
    check_position (list, position, position, "message");
  g_assert_cmpuint (trace.n_statements, <=, N_PAGES);
  g_assert_cmpuint (trace.n_statements, >=, N_PAGES - CONFAB_MESSAGE_LIST_MAX_PAGES);
  assert_calls (&rec, 0);

  /* Deleting one message leaves a gap in seq: the list resets and maps
   * positions past the gap to the right rows. */
  doomed = g_list_model_get_item (G_LIST_MODEL (list), 50000);
  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_MESSAGE,
                                           ID (doomed), NULL, &error));
  g_assert_no_error (error);
  g_object_unref (doomed);
  assert_calls (&rec, 0); /* nothing before the main loop runs */
  confab_test_drain_main_loop ();
  assert_calls (&rec, 1);
  assert_call (&rec, 0, 0, N_BIG, N_BIG - 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, N_BIG - 1);

  trace.n_statements = 0;
  check_position (list, 50000, 50001, "message");
  g_assert_cmpuint (trace.n_statements, ==, 1);
  g_assert_nonnull (strstr (trace.last_sql, "OFFSET"));
  check_position (list, 49999, 49999, "message");
  check_position (list, 0, 0, "message");
  check_position (list, 1, 1, "message");
  check_position (list, 63, 63, "message");
  check_position (list, 64, 64, "message");
  check_position (list, N_BIG - 2, N_BIG - 1, "message");
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (list), N_BIG - 1));

  /* Appending after a gap: the new message takes seq 100000 at the end. */
  appended = add_message (ws->db, conversation, "user", "message 100000");
  g_assert_cmpint (confab_message_get_seq (appended), ==, N_BIG);
  confab_test_drain_main_loop ();
  assert_calls (&rec, 2);
  assert_call (&rec, 1, N_BIG - 1, 0, 1);
  check_position (list, N_BIG - 1, N_BIG, "message");

  trace_stop (ws->db, &trace);
  recorder_clear (&rec);
}

static void
test_live_append (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabConversation) conversation = add_conversation (ws->db, alice);
  g_autoptr (ConfabConversation) other = add_conversation (ws->db, alice);
  g_autoptr (ConfabMessageList) list = NULL;
  g_autoptr (ConfabMessage) last = NULL;
  Recorder rec;

  add_messages (ws->db, conversation, "start", 0, 3);
  list = confab_message_list_new (ws->db, ID (conversation));
  recorder_init (&rec, list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 3);
  last = check_item (list, 2, 2, "start");

  /* One message: one items-changed at the end, from an idle. */
  add_messages (ws->db, conversation, "one", 3, 1);
  assert_calls (&rec, 0);
  confab_test_drain_main_loop ();
  assert_calls (&rec, 1);
  assert_call (&rec, 0, 3, 0, 1);
  g_assert_cmpuint (rec.n_items_notifies, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 4);
  check_position (list, 3, 3, "one");

  /* Ten messages written one after the other: one items-changed. */
  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *content = g_strdup_printf ("burst %u", i + 4);
      g_object_unref (add_message (ws->db, conversation, "user", content));
    }
  confab_test_drain_main_loop ();
  assert_calls (&rec, 2);
  assert_call (&rec, 1, 4, 0, 10);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 14);
  check_position (list, 4, 4, "burst");
  check_position (list, 13, 13, "burst");
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (list), 14));

  /* The rows already shown kept their objects. */
  {
    g_autoptr (ConfabMessage) same = g_list_model_get_item (G_LIST_MODEL (list), 2);
    g_assert_true (same == last);
  }

  /* Another conversation's messages do not touch this list. */
  add_messages (ws->db, other, "elsewhere", 0, 5);
  confab_test_drain_main_loop ();
  assert_calls (&rec, 2);

  /* refresh() does the pending work at once. */
  add_messages (ws->db, conversation, "now", 14, 1);
  g_assert_true (confab_message_list_refresh (list));
  assert_calls (&rec, 3);
  assert_call (&rec, 2, 14, 0, 1);
  confab_test_drain_main_loop ();
  assert_calls (&rec, 3);

  recorder_clear (&rec);
}

static void
on_notify_count (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    data)
{
  (*(guint *) data)++;
}

static void
test_update_in_place (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabConversation) conversation = add_conversation (ws->db, alice);
  g_autoptr (ConfabMessageList) list = NULL;
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (ConfabMessage) shown = NULL;
  g_autoptr (ConfabMessage) writer = NULL;
  g_autoptr (ConfabMessage) oldest = NULL;
  g_autoptr (GError) error = NULL;
  guint content_notifies = 0;
  guint status_notifies = 0;
  Recorder rec;

  /* 200 messages: the list holds only the last pages (128..199) at first. */
  add_messages (ws->db, conversation, "row", 0, 199);
  reply = confab_message_new (ID (conversation), "assistant", "");
  confab_message_set_status (reply, "streaming");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (reply), NULL, &error));
  g_assert_no_error (error);

  list = confab_message_list_new (ws->db, ID (conversation));
  recorder_init (&rec, list);
  shown = g_list_model_get_item (G_LIST_MODEL (list), 199);
  g_assert_cmpstr (ID (shown), ==, ID (reply));
  g_assert_cmpstr (confab_message_get_content (shown), ==, "");
  g_signal_connect (shown, "notify::content", G_CALLBACK (on_notify_count), &content_notifies);
  g_signal_connect (shown, "notify::status", G_CALLBACK (on_notify_count), &status_notifies);

  /* A streaming reply: many writes, each committed, from another object. */
  writer = confab_repository_get (ws->db, CONFAB_TYPE_MESSAGE, ID (reply), &error);
  g_assert_no_error (error);
  for (guint i = 1; i <= 20; i++)
    {
      g_autofree char *partial = g_strnfill (i, 'z');
      confab_message_set_content (writer, partial);
      g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (writer), NULL, &error));
      g_assert_no_error (error);
    }
  g_assert_cmpuint (content_notifies, ==, 0);
  confab_test_drain_main_loop ();

  /* The object the view holds changed in place, once for the burst. */
  g_assert_cmpuint (content_notifies, ==, 1);
  g_assert_cmpuint (strlen (confab_message_get_content (shown)), ==, 20);
  assert_calls (&rec, 0);
  {
    g_autoptr (ConfabMessage) same = g_list_model_get_item (G_LIST_MODEL (list), 199);
    g_assert_true (same == shown);
  }

  confab_message_set_content (writer, "The finished answer.");
  confab_message_set_status (writer, "complete");
  confab_message_set_tokens_out (writer, 4);
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (writer), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (confab_message_list_refresh (list));
  g_assert_cmpuint (content_notifies, ==, 2);
  g_assert_cmpuint (status_notifies, ==, 1);
  g_assert_cmpstr (confab_message_get_content (shown), ==, "The finished answer.");
  g_assert_cmpstr (confab_message_get_status (shown), ==, "complete");
  g_assert_cmpint (confab_message_get_tokens_out (shown), ==, 4);
  assert_calls (&rec, 0);

  /* A row not in memory is simply read fresh when it is asked for. */
  oldest = confab_repository_find (ws->db, CONFAB_TYPE_MESSAGE, "content", "row 0", &error);
  g_assert_no_error (error);
  confab_message_set_content (oldest, "row 0 edited");
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (oldest), NULL, &error));
  g_assert_no_error (error);
  confab_test_drain_main_loop ();
  assert_calls (&rec, 0);
  {
    g_autoptr (ConfabMessage) row0 = g_list_model_get_item (G_LIST_MODEL (list), 0);
    g_assert_cmpstr (confab_message_get_content (row0), ==, "row 0 edited");
  }

  recorder_clear (&rec);
}

static void
test_delete_resets (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabConversation) conversation = add_conversation (ws->db, alice);
  g_autoptr (ConfabConversation) other = add_conversation (ws->db, alice);
  g_autoptr (ConfabMessageList) list = NULL;
  g_autoptr (ConfabMessage) victim = NULL;
  g_autoptr (ConfabMessage) stranger = NULL;
  g_autoptr (GError) error = NULL;
  const char *id = ID (conversation);
  Recorder rec;

  add_messages (ws->db, conversation, "m", 0, 5);
  stranger = add_message (ws->db, other, "user", "not here");
  list = confab_message_list_new (ws->db, id);
  recorder_init (&rec, list);

  /* Deleting a message of the list: one reset to the new count. */
  victim = g_list_model_get_item (G_LIST_MODEL (list), 2);
  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_MESSAGE,
                                           ID (victim), NULL, &error));
  g_assert_no_error (error);
  confab_test_drain_main_loop ();
  assert_calls (&rec, 1);
  assert_call (&rec, 0, 0, 5, 4);
  g_assert_cmpuint (rec.n_items_notifies, ==, 1);
  check_position (list, 1, 1, "m");
  check_position (list, 2, 3, "m");
  check_position (list, 3, 4, "m");
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (list), 4));

  /* Deleting another conversation's message changes nothing here. */
  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_MESSAGE,
                                           ID (stranger), NULL, &error));
  g_assert_no_error (error);
  confab_test_drain_main_loop ();
  assert_calls (&rec, 1);
  check_position (list, 2, 3, "m");

  /* Deleting the conversation empties the list. */
  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_CONVERSATION, id, NULL, &error));
  g_assert_no_error (error);
  confab_test_drain_main_loop ();
  assert_calls (&rec, 2);
  assert_call (&rec, 1, 0, 4, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (list), 0));

  recorder_clear (&rec);
}

static void
test_delete_user_resets (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabConversation) conversation = add_conversation (ws->db, alice);
  g_autoptr (ConfabMessageList) list = NULL;
  g_autoptr (GError) error = NULL;
  Recorder rec;
  Trace trace;

  add_messages (ws->db, conversation, "m", 0, 70);
  list = confab_message_list_new (ws->db, ID (conversation));
  recorder_init (&rec, list);

  /* The last page holds 6 rows: the one before it was read too, so the
   * first screen of the chat needs no query. */
  trace_start (ws->db, &trace);
  check_position (list, 69, 69, "m");
  check_position (list, 40, 40, "m");
  check_position (list, 0, 0, "m");
  g_assert_cmpuint (trace.n_statements, ==, 0);
  trace_stop (ws->db, &trace);

  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_USER,
                                           ID (alice), NULL, &error));
  g_assert_no_error (error);
  confab_test_drain_main_loop ();
  assert_calls (&rec, 1);
  assert_call (&rec, 0, 0, 70, 0);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (list), 0));

  recorder_clear (&rec);
}

static void
test_empty_and_properties (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabConversation) conversation = add_conversation (ws->db, alice);
  g_autoptr (ConfabMessageList) list = NULL;
  g_autoptr (ConfabDatabase) db = NULL;
  g_autofree char *conversation_id = NULL;
  const char *id = ID (conversation);
  guint n_items = 99;
  Recorder rec;

  list = confab_message_list_new (ws->db, id);
  recorder_init (&rec, list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (list), 0));
  g_assert_cmpstr (confab_message_list_get_conversation_id (list), ==, id);
  g_object_get (list, "conversation-id", &conversation_id, "database", &db,
                "n-items", &n_items, NULL);
  g_assert_cmpstr (conversation_id, ==, id);
  g_assert_true (db == ws->db);
  g_assert_cmpuint (n_items, ==, 0);

  add_messages (ws->db, conversation, "first", 0, 1);
  confab_test_drain_main_loop ();
  assert_calls (&rec, 1);
  assert_call (&rec, 0, 0, 0, 1);
  g_assert_cmpuint (rec.n_items_notifies, ==, 1);
  check_position (list, 0, 0, "first");
  g_object_get (list, "n-items", &n_items, NULL);
  g_assert_cmpuint (n_items, ==, 1);

  recorder_clear (&rec);
}

static void
test_dispose_with_pending (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabConversation) conversation = add_conversation (ws->db, alice);
  ConfabMessageList *list;
  gpointer weak;

  add_messages (ws->db, conversation, "m", 0, 3);
  list = confab_message_list_new (ws->db, ID (conversation));
  weak = list;
  g_object_add_weak_pointer (G_OBJECT (list), &weak);

  /* Changes are pending when the last reference goes: no idle may run on
   * the freed list, and the workspace no longer calls it. */
  add_messages (ws->db, conversation, "later", 3, 2);
  g_object_unref (list);
  g_assert_null (weak);
  confab_test_drain_main_loop ();
  add_messages (ws->db, conversation, "after", 5, 2);
  confab_test_drain_main_loop ();
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM messages"), ==, 7);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/message-list/paging-100k", test_paging_big);
  g_test_add_func ("/confab/message-list/live-append", test_live_append);
  g_test_add_func ("/confab/message-list/update-in-place", test_update_in_place);
  g_test_add_func ("/confab/message-list/delete-resets", test_delete_resets);
  g_test_add_func ("/confab/message-list/delete-user-resets", test_delete_user_resets);
  g_test_add_func ("/confab/message-list/empty-properties", test_empty_and_properties);
  g_test_add_func ("/confab/message-list/dispose-with-pending", test_dispose_with_pending);
  return g_test_run ();
}
