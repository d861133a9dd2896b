#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/wait.h>

#include "confab-test-util.h"

#define ID(entity) confab_entity_get_id (CONFAB_ENTITY (entity))

/* Agents and teams belong to other modules: tests insert their rows by hand. */
static void
exec_sql (ConfabDatabase *db,
          const char     *sql)
{
  char *message = NULL;
  int rc = sqlite3_exec (confab_database_get_handle (db), sql, NULL, NULL, &message);

  if (rc != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static void
add_agent_row (ConfabDatabase *db,
               const char     *id)
{
  g_autofree char *sql = g_strdup_printf ("INSERT INTO agents (id, name, created_at, updated_at) "
                                          "VALUES ('%s', 'Agent %s', 't', 't')", id, id);
  exec_sql (db, sql);
}

static void
add_team_row (ConfabDatabase *db,
              const char     *id)
{
  g_autofree char *sql = g_strdup_printf ("INSERT INTO teams (id, name, created_at, updated_at) "
                                          "VALUES ('%s', 'Team %s', 't', 't')", id, id);
  exec_sql (db, sql);
}

static ConfabConversation *
add_conversation (ConfabDatabase *db,
                  ConfabUser     *user,
                  const char     *agent_id)
{
  g_autoptr (GError) error = NULL;
  ConfabConversation *conversation = confab_conversation_new (ID (user));

  confab_conversation_set_agent_id (conversation, agent_id);
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

static gint64 count_where (ConfabDatabase *db,
                           const char     *format,
                           ...) G_GNUC_PRINTF (2, 3);

static gint64
count_where (ConfabDatabase *db,
             const char     *format,
             ...)
{
  g_autofree char *sql = NULL;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return confab_test_count_rows (db, sql);
}

/* Index entries for a word: an external-content FTS5 table answers MATCH
 * from its own index, so stale rows would show here. */
static gint64
fts_hits (ConfabDatabase *db,
          const char     *word)
{
  return count_where (db, "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH '%s'", word);
}

static void
assert_fts_consistent (ConfabDatabase *db)
{
  g_autoptr (GError) error = NULL;

  /* For an external-content table this compares the index with the rows. */
  g_assert_true (confab_database_exec (db, "INSERT INTO messages_fts (messages_fts, rank) "
                                           "VALUES ('integrity-check', 1)", &error));
  g_assert_no_error (error);
}

static void
test_create_get (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) loaded = NULL;
  g_autoptr (GError) error = NULL;
  const char *id;

  add_agent_row (ws->db, "agent-1");
  add_team_row (ws->db, "team-1");
  conversation = confab_conversation_new (ID (alice));
  confab_conversation_set_agent_id (conversation, "agent-1");
  confab_conversation_set_team_id (conversation, "team-1");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (conversation), NULL, &error));
  g_assert_no_error (error);
  id = ID (conversation);
  g_assert_true (g_uuid_string_is_valid (id));

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_CONVERSATION, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_conversation_get_user_id (loaded), ==, ID (alice));
  g_assert_cmpstr (confab_conversation_get_agent_id (loaded), ==, "agent-1");
  g_assert_cmpstr (confab_conversation_get_team_id (loaded), ==, "team-1");
  g_assert_cmpstr (confab_conversation_get_title (loaded), ==, "");
  g_assert_cmpstr (confab_conversation_get_status (loaded), ==, "active");
  g_assert_cmpstr (confab_entity_get_updated_at (CONFAB_ENTITY (loaded)), ==,
                   confab_entity_get_created_at (CONFAB_ENTITY (conversation)));

  /* A NULL title is stored as untitled, not refused by NOT NULL. */
  g_clear_object (&conversation);
  conversation = confab_conversation_new (ID (alice));
  confab_conversation_set_title (conversation, NULL);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (conversation), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (confab_conversation_get_title (conversation), ==, "");

  g_assert_cmpint (confab_test_count_rows (ws->db,
                                           "SELECT count(*) FROM audit_log "
                                           "WHERE entity = 'conversation' AND action = 'create'"),
                   ==, 2);
  g_assert_cmpuint (g_strv_length ((char **) confab_conversation_statuses), ==, 4);
}

static void
expect_invalid (ConfabDatabase     *db,
                ConfabConversation *conversation,
                const char         *needle,
                const char         *needle2)
{
  g_autoptr (GError) error = NULL;
  gint64 before = confab_test_count_rows (db, "SELECT count(*) FROM conversations");

  g_assert_false (confab_repository_create (db, CONFAB_ENTITY (conversation), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_test_message ("refused: %s", error->message);
  if (strstr (error->message, needle) == NULL ||
      (needle2 != NULL && strstr (error->message, needle2) == NULL))
    g_error ("“%s” does not name “%s” and “%s”", error->message, needle,
             needle2 ? needle2 : "");
  g_assert_cmpint (confab_test_count_rows (db, "SELECT count(*) FROM conversations"), ==, before);
  g_assert_null (ID (conversation));
}

static void
test_validation (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  const char *alice_id = ID (alice);
  g_autoptr (GString) title_255 = g_string_new (NULL);
  g_autofree char *title_256 = NULL;
  g_autoptr (ConfabConversation) ok = NULL;
  g_autoptr (ConfabConversation) stored = NULL;
  g_autoptr (GError) error = NULL;

  {
    g_autoptr (ConfabConversation) c = confab_conversation_new (NULL);
    expect_invalid (ws->db, c, "user", NULL);
  }
  {
    g_autoptr (ConfabConversation) c = confab_conversation_new ("");
    expect_invalid (ws->db, c, "user", NULL);
  }
  {
    g_autoptr (ConfabConversation) c = confab_conversation_new ("ghost-user");
    expect_invalid (ws->db, c, "user", "ghost-user");
  }
  {
    g_autoptr (ConfabConversation) c = confab_conversation_new (alice_id);
    confab_conversation_set_agent_id (c, "ghost-agent");
    expect_invalid (ws->db, c, "agent", "ghost-agent");
  }
  {
    g_autoptr (ConfabConversation) c = confab_conversation_new (alice_id);
    confab_conversation_set_team_id (c, "ghost-team");
    expect_invalid (ws->db, c, "team", "ghost-team");
  }
  {
    g_autoptr (ConfabConversation) c = confab_conversation_new (alice_id);
    confab_conversation_set_status (c, "closed");
    expect_invalid (ws->db, c, "closed", "status");
  }
  {
    g_autoptr (ConfabConversation) c = confab_conversation_new (alice_id);
    confab_conversation_set_title (c, "bad \xff title");
    expect_invalid (ws->db, c, "title", "UTF-8");
  }

  /* 255 characters (510 bytes) fit; 256 do not. */
  for (guint i = 0; i < 255; i++)
    g_string_append (title_255, "é");
  title_256 = g_strconcat (title_255->str, "x", NULL);
  {
    g_autoptr (ConfabConversation) c = confab_conversation_new (alice_id);
    confab_conversation_set_title (c, title_256);
    expect_invalid (ws->db, c, "256", "255");
  }
  ok = confab_conversation_new (alice_id);
  confab_conversation_set_title (ok, title_255->str);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (ok), NULL, &error));
  g_assert_no_error (error);

  /* Every status is accepted; an update to a wrong one is refused and changes nothing. */
  for (guint i = 0; confab_conversation_statuses[i] != NULL; i++)
    {
      confab_conversation_set_status (ok, confab_conversation_statuses[i]);
      g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (ok), NULL, &error));
      g_assert_no_error (error);
    }
  confab_conversation_set_status (ok, "deleted");
  g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (ok), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "deleted"));
  g_clear_error (&error);
  stored = confab_repository_get (ws->db, CONFAB_TYPE_CONVERSATION, ID (ok), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_conversation_get_status (stored), ==, "ended");

  /* Removing the agent of a conversation is allowed. */
  add_agent_row (ws->db, "agent-1");
  confab_conversation_set_status (ok, "active");
  confab_conversation_set_agent_id (ok, "agent-1");
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (ok), NULL, &error));
  g_assert_no_error (error);
  confab_conversation_set_agent_id (ok, NULL);
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (ok), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM conversations "
                                                   "WHERE agent_id IS NULL"), ==, 1);
}

static void
test_list_order (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabConversation) a = add_conversation (ws->db, alice, NULL);
  g_autoptr (ConfabConversation) b = add_conversation (ws->db, alice, NULL);
  g_autoptr (ConfabConversation) c = add_conversation (ws->db, alice, NULL);
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *sql = NULL;

  /* Fixed past times make the order independent of the clock's resolution. */
  sql = g_strdup_printf ("UPDATE conversations SET updated_at = '2024-01-01T00:00:00.000Z' "
                         "WHERE id = '%s';"
                         "UPDATE conversations SET updated_at = '2024-01-03T00:00:00.000Z' "
                         "WHERE id = '%s';"
                         "UPDATE conversations SET updated_at = '2024-01-02T00:00:00.000Z' "
                         "WHERE id = '%s';",
                         ID (a),
                         ID (b),
                         ID (c));
  exec_sql (ws->db, sql);

  list = confab_repository_list (ws->db, CONFAB_TYPE_CONVERSATION, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_cmpstr (ID (g_ptr_array_index (list, 0)), ==, ID (b));
  g_assert_cmpstr (ID (g_ptr_array_index (list, 1)), ==, ID (c));
  g_assert_cmpstr (ID (g_ptr_array_index (list, 2)), ==, ID (a));
  g_clear_pointer (&list, g_ptr_array_unref);

  /* A new message moves its conversation to the top. */
  message = add_message (ws->db, a, "user", "Hello again");
  list = confab_repository_list (ws->db, CONFAB_TYPE_CONVERSATION, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ID (g_ptr_array_index (list, 0)), ==, ID (a));
  g_assert_cmpstr (confab_entity_get_updated_at (g_ptr_array_index (list, 0)), ==,
                   confab_entity_get_created_at (CONFAB_ENTITY (message)));

  /* Filtered by user. */
  g_assert_cmpint (confab_repository_count (ws->db, CONFAB_TYPE_CONVERSATION, "user_id",
                                            ID (alice), &error), ==, 3);
}

static void
test_delete_conversation (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabConversation) doomed = add_conversation (ws->db, alice, NULL);
  g_autoptr (ConfabConversation) kept = add_conversation (ws->db, alice, NULL);
  g_autoptr (ConfabMessage) m1 = add_message (ws->db, doomed, "user", "zanzibar question");
  g_autoptr (ConfabMessage) m2 = add_message (ws->db, doomed, "assistant", "zanzibar answer");
  g_autoptr (ConfabMessage) m3 = add_message (ws->db, kept, "user", "zanzibar elsewhere");
  g_autoptr (GError) error = NULL;
  const char *doomed_id = ID (doomed);
  g_autofree char *sql = g_strdup_printf ("INSERT INTO escalations "
                                          "(id, conversation_id, created_at, updated_at) "
                                          "VALUES ('e1', '%s', 't', 't')", doomed_id);

  exec_sql (ws->db, sql);
  g_assert_cmpint (fts_hits (ws->db, "zanzibar"), ==, 3);

  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_CONVERSATION, doomed_id, NULL,
                                           &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM messages "
                                        "WHERE conversation_id = '%s'",
                                doomed_id), ==, 0);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM escalations"), ==, 0);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM messages"), ==, 1);
  g_assert_cmpint (fts_hits (ws->db, "zanzibar"), ==, 1);
  g_assert_cmpint (fts_hits (ws->db, "question"), ==, 0);
  assert_fts_consistent (ws->db);
}

static void
test_delete_user (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabUser) bob = confab_test_add_user (ws->db, "bob");
  g_autoptr (ConfabConversation) a1 = add_conversation (ws->db, alice, NULL);
  g_autoptr (ConfabConversation) a2 = add_conversation (ws->db, alice, NULL);
  g_autoptr (ConfabConversation) b1 = add_conversation (ws->db, bob, NULL);
  g_autoptr (ConfabMessage) m1 = add_message (ws->db, a1, "user", "alicewords first");
  g_autoptr (ConfabMessage) m2 = add_message (ws->db, a2, "user", "alicewords second");
  g_autoptr (ConfabMessage) m3 = add_message (ws->db, b1, "user", "bobwords only");
  g_autoptr (GError) error = NULL;
  const char *alice_id = ID (alice);

  /* A message bob wrote in alice's conversation goes with the conversation. */
  {
    g_autoptr (ConfabMessage) m = confab_message_new (ID (a1), "supporter",
                                                      "alicewords from bob");
    confab_message_set_user_id (m, ID (bob));
    g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (m), NULL, &error));
    g_assert_no_error (error);
  }
  g_assert_cmpint (fts_hits (ws->db, "alicewords"), ==, 3);

  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_USER, alice_id, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM conversations WHERE user_id = '%s'",
                                alice_id), ==, 0);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM conversations"), ==, 1);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM messages"), ==, 1);
  g_assert_cmpint (fts_hits (ws->db, "alicewords"), ==, 0);
  g_assert_cmpint (fts_hits (ws->db, "bobwords"), ==, 1);
  assert_fts_consistent (ws->db);
}

static void
test_delete_agent (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabConversation) loaded = NULL;
  g_autoptr (ConfabMessage) question = NULL;
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (ConfabMessage) loaded_reply = NULL;
  g_autoptr (GError) error = NULL;
  const char *id;

  add_agent_row (ws->db, "agent-1");
  conversation = add_conversation (ws->db, alice, "agent-1");
  id = ID (conversation);
  question = add_message (ws->db, conversation, "user", "Are you open?");
  reply = confab_message_new (id, "assistant", "Yes, until six.");
  confab_message_set_agent_id (reply, "agent-1");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (reply), NULL, &error));
  g_assert_no_error (error);

  exec_sql (ws->db, "DELETE FROM agents WHERE id = 'agent-1'");

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_CONVERSATION, id, &error);
  g_assert_no_error (error);
  g_assert_null (confab_conversation_get_agent_id (loaded));
  g_assert_cmpstr (confab_conversation_get_title (loaded), ==, "Are you open?");
  loaded_reply = confab_repository_get (ws->db, CONFAB_TYPE_MESSAGE, ID (reply), &error);
  g_assert_no_error (error);
  g_assert_null (confab_message_get_agent_id (loaded_reply));
  g_assert_cmpstr (confab_message_get_content (loaded_reply), ==, "Yes, until six.");
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM messages "
                                        "WHERE conversation_id = '%s'",
                                id), ==, 2);

  /* The conversation can still be changed without its agent. */
  confab_conversation_set_status (loaded, "ended");
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (loaded), NULL, &error));
  g_assert_no_error (error);
}

typedef struct
{
  GPtrArray *ids;
  GPtrArray *actions;
} Changes;

static void
on_changed (ConfabDatabase *db,
            const char     *table,
            const char     *id,
            const char     *action,
            gpointer        data)
{
  Changes *changes = data;

  g_assert_cmpstr (table, ==, "conversations");
  g_ptr_array_add (changes->ids, g_strdup (id));
  g_ptr_array_add (changes->actions, g_strdup (action));
}

static void
test_changed_on_title (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabConversation) conversation = add_conversation (ws->db, alice, NULL);
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (GListModel) model = NULL;
  g_autoptr (ConfabConversation) row = NULL;
  Changes changes = {
    g_ptr_array_new_with_free_func (g_free), g_ptr_array_new_with_free_func (g_free)
  };
  gulong handler;

  model = confab_repository_list_model (ws->db, CONFAB_TYPE_CONVERSATION, NULL, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  row = g_list_model_get_item (model, 0);
  g_assert_cmpstr (confab_conversation_get_title (row), ==, "");

  handler = g_signal_connect (ws->db, "changed::conversations", G_CALLBACK (on_changed), &changes);
  message = add_message (ws->db, conversation, "user", "Do you deliver on Sundays?");
  g_assert_cmpuint (changes.ids->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (changes.ids, 0), ==, ID (conversation));
  g_assert_cmpstr (g_ptr_array_index (changes.actions, 0), ==, "update");
  g_clear_signal_handler (&handler, ws->db);

  /* An open conversation list shows the new title on the object it holds. */
  confab_test_drain_main_loop ();
  g_assert_cmpstr (confab_conversation_get_title (row), ==, "Do you deliver on Sundays?");
  g_assert_cmpstr (confab_entity_get_updated_at (CONFAB_ENTITY (row)), ==,
                   confab_entity_get_created_at (CONFAB_ENTITY (message)));

  g_ptr_array_unref (changes.ids);
  g_ptr_array_unref (changes.actions);
}

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
run_cli (Run        *r,
         const char *workspace,
         ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  int wait_status = 0;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (char *) g_getenv ("CONFAB_CLI"));
  g_ptr_array_add (argv, (char *) "--workspace");
  g_ptr_array_add (argv, (char *) workspace);
  va_start (args, workspace);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  run_clear (r);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &r->out, &r->err, &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  r->status = WEXITSTATUS (wait_status);
}

static void
test_cli_list (void)
{
  g_autoptr (ConfabTestWorkspace) ws = NULL;
  g_autoptr (ConfabUser) alice = NULL;
  g_autoptr (ConfabUser) bob = NULL;
  g_autoptr (ConfabConversation) old = NULL;
  g_autoptr (ConfabConversation) recent = NULL;
  g_autoptr (ConfabConversation) bobs = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  g_auto (GStrv) cells = NULL;
  g_auto (Run) r = { 0 };
  g_autofree char *sql = NULL;
  JsonArray *array;
  JsonObject *first;

  if (g_getenv ("CONFAB_CLI") == NULL)
    {
      g_test_skip ("CONFAB_CLI is not set (run through meson test)");
      return;
    }

  ws = confab_test_workspace_new ();
  alice = confab_test_add_user (ws->db, "alice");
  bob = confab_test_add_user (ws->db, "bob");
  add_agent_row (ws->db, "agent-1");
  old = add_conversation (ws->db, alice, "agent-1");
  recent = add_conversation (ws->db, alice, NULL);
  bobs = add_conversation (ws->db, bob, "agent-1");
  g_object_unref (add_message (ws->db, recent, "user", "Where\tis my\norder?"));
  g_object_unref (add_message (ws->db, recent, "assistant", "On its way."));
  g_object_unref (add_message (ws->db, old, "user", "Hi"));
  sql = g_strdup_printf ("UPDATE conversations SET updated_at = '2024-01-01T00:00:00.000Z' "
                         "WHERE id = '%s';"
                         "UPDATE conversations SET updated_at = '2024-02-01T00:00:00.000Z' "
                         "WHERE id = '%s';"
                         "UPDATE conversations SET updated_at = '2024-03-01T00:00:00.000Z', "
                         "status = 'ended' "
                         "WHERE id = '%s';",
                         ID (old),
                         ID (recent),
                         ID (bobs));
  exec_sql (ws->db, sql);

  run_cli (&r, ws->path, "conversations", "list", "--user", ID (alice), NULL);
  g_assert_cmpint (r.status, ==, 0);
  lines = g_strsplit (r.out, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3); /* two rows and the final "" */
  cells = g_strsplit (lines[0], "\t", -1);
  g_assert_cmpuint (g_strv_length (cells), ==, 5);
  g_assert_cmpstr (cells[0], ==, ID (recent));
  g_assert_cmpstr (cells[1], ==, "2024-02-01T00:00:00.000Z");
  g_assert_cmpstr (cells[2], ==, "active");
  g_assert_cmpstr (cells[3], ==, "2");
  g_assert_cmpstr (cells[4], ==, "Where is my");
  g_assert_true (g_str_has_prefix (lines[1], ID (old)));

  run_cli (&r, ws->path, "conversations", "list", "--agent", "agent-1", "--status", "ended",
           "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, r.out, -1, &error));
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  first = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "id"), ==, ID (bobs));
  g_assert_cmpstr (json_object_get_string_member (first, "status"), ==, "ended");
  g_assert_cmpint (json_object_get_int_member (first, "message_count"), ==, 0);
  g_assert_true (json_object_get_null_member (first, "team_id"));

  run_cli (&r, ws->path, "conversations", "list", "--limit", "1", "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, r.out, -1, &error));
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  first = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "id"), ==,
                   ID (bobs));

  run_cli (&r, ws->path, "conversations", "list", "--status", "closed", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "closed"));
  run_cli (&r, ws->path, "conversations", "list", "--limit", "0", NULL);
  g_assert_cmpint (r.status, ==, 2);
  run_cli (&r, ws->path, "conversations", "list", "extra", NULL);
  g_assert_cmpint (r.status, ==, 2);
  run_cli (&r, ws->path, "conversations", "list", "--user", "ghost", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "ghost"));
  g_assert_cmpstr (r.out, ==, "");
  run_cli (&r, ws->path, "conversations", "list", "--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "--status"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/conversations/create-get", test_create_get);
  g_test_add_func ("/confab/conversations/validation", test_validation);
  g_test_add_func ("/confab/conversations/list-order", test_list_order);
  g_test_add_func ("/confab/conversations/delete", test_delete_conversation);
  g_test_add_func ("/confab/conversations/delete-user", test_delete_user);
  g_test_add_func ("/confab/conversations/delete-agent", test_delete_agent);
  g_test_add_func ("/confab/conversations/changed-on-title", test_changed_on_title);
  g_test_add_func ("/confab/conversations/cli-list", test_cli_list);
  return g_test_run ();
}
