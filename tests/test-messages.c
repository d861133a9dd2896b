#include "config.h"

#include <string.h>

#include "confab-test-util.h"

#define ID(entity) confab_entity_get_id (CONFAB_ENTITY (entity))

typedef struct
{
  ConfabTestWorkspace *ws;
  ConfabUser          *alice;
  ConfabConversation  *conversation;
  ConfabConversation  *other;
  const char          *conversation_id;
} Fixture;

static void
exec_sql (ConfabDatabase *db,
          const char     *sql)
{
  char *message = NULL;
  int rc = sqlite3_exec (confab_database_get_handle (db), sql, NULL, NULL, &message);

  if (rc != SQLITE_OK)
    g_error ("%s: %s", sql, message);
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

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->ws = confab_test_workspace_new ();
  f->alice = confab_test_add_user (f->ws->db, "alice");
  f->conversation = add_conversation (f->ws->db, f->alice);
  f->other = add_conversation (f->ws->db, f->alice);
  f->conversation_id = ID (f->conversation);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->other);
  g_clear_object (&f->conversation);
  g_clear_object (&f->alice);
  g_clear_pointer (&f->ws, confab_test_workspace_free);
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

static ConfabConversation *
reload_conversation (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  ConfabConversation *c = confab_repository_get (f->ws->db, CONFAB_TYPE_CONVERSATION,
                                                 f->conversation_id, &error);

  g_assert_no_error (error);
  return c;
}

static gint64
fts_hits (ConfabDatabase *db,
          const char     *word)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM messages_fts "
                                          "WHERE messages_fts MATCH '%s'", word);

  return confab_test_count_rows (db, sql);
}

static void
assert_fts_consistent (ConfabDatabase *db)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (confab_database_exec (db, "INSERT INTO messages_fts (messages_fts, rank) "
                                           "VALUES ('integrity-check', 1)", &error));
  g_assert_no_error (error);
}

static void
test_create_get (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr (ConfabMessage) question = add_message (f->ws->db, f->conversation, "user",
                                                    "What do croissants cost?");
  g_autoptr (ConfabMessage) reply = confab_message_new (f->conversation_id, "assistant",
                                                        "€2.10 each.");
  g_autoptr (ConfabMessage) loaded = NULL;
  g_autoptr (GError) error = NULL;
  const char *refs = "[{\"document\":\"prices.md\",\"chunk\":3}]";

  exec_sql (f->ws->db, "INSERT INTO agents (id, name, created_at, updated_at) "
                       "VALUES ('agent-1', 'Baker', 't', 't')");
  confab_message_set_parent_message_id (reply, ID (question));
  confab_message_set_agent_id (reply, "agent-1");
  confab_message_set_user_id (reply, ID (f->alice));
  confab_message_set_source_references (reply, refs);
  confab_message_set_model (reply, "llama3");
  confab_message_set_tokens_in (reply, 120);
  confab_message_set_tokens_out (reply, 7);
  confab_message_set_latency_ms (reply, 850);
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (reply), NULL, &error));
  g_assert_no_error (error);

  loaded = confab_repository_get (f->ws->db, CONFAB_TYPE_MESSAGE, ID (reply), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_message_get_conversation_id (loaded), ==, f->conversation_id);
  g_assert_cmpint (confab_message_get_seq (loaded), ==, 1);
  g_assert_cmpstr (confab_message_get_parent_message_id (loaded), ==, ID (question));
  g_assert_cmpstr (confab_message_get_role (loaded), ==, "assistant");
  g_assert_cmpstr (confab_message_get_agent_id (loaded), ==, "agent-1");
  g_assert_cmpstr (confab_message_get_user_id (loaded), ==, ID (f->alice));
  g_assert_cmpstr (confab_message_get_content (loaded), ==, "€2.10 each.");
  g_assert_cmpstr (confab_message_get_source_references (loaded), ==, refs);
  g_assert_cmpstr (confab_message_get_model (loaded), ==, "llama3");
  g_assert_cmpint (confab_message_get_tokens_in (loaded), ==, 120);
  g_assert_cmpint (confab_message_get_tokens_out (loaded), ==, 7);
  g_assert_cmpint (confab_message_get_latency_ms (loaded), ==, 850);
  g_assert_cmpstr (confab_message_get_status (loaded), ==, "complete");
  g_assert_null (confab_message_get_error (loaded));

  /* Defaults of a new message. */
  g_assert_cmpstr (confab_message_get_source_references (question), ==, "[]");
  g_assert_cmpstr (confab_message_get_status (question), ==, "complete");
  g_assert_cmpint (confab_message_get_seq (question), ==, 0);

  /* The audit log records the content's length, never the text. */
  g_assert_cmpint (confab_test_count_rows (f->ws->db,
                                           "SELECT count(*) FROM audit_log "
                                           "WHERE entity = 'message' AND action = 'create' "
                                           "AND json_extract (details, "
                                           "'$.fields.content.length') = 11 "
                                           "AND instr (details, 'each') = 0"), ==, 1);
}

static void
test_seq (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr (GPtrArray) messages = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (ConfabMessage) elsewhere = NULL;
  g_autoptr (ConfabMessage) after_delete = NULL;
  g_autoptr (ConfabMessage) preset = NULL;
  g_autoptr (GError) error = NULL;

  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (messages, add_message (f->ws->db, f->conversation,
                                            i % 2 ? "assistant" : "user", "hi"));
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (confab_message_get_seq (g_ptr_array_index (messages, i)), ==, i);

  /* Each conversation counts from 0. */
  elsewhere = add_message (f->ws->db, f->other, "user", "hello");
  g_assert_cmpint (confab_message_get_seq (elsewhere), ==, 0);

  /* After a delete the next number follows the highest one left: gaps stay. */
  g_assert_true (confab_repository_delete (f->ws->db, CONFAB_TYPE_MESSAGE,
                                           ID (g_ptr_array_index (messages, 1)), NULL, &error));
  g_assert_no_error (error);
  after_delete = add_message (f->ws->db, f->conversation, "user", "again");
  g_assert_cmpint (confab_message_get_seq (after_delete), ==, 3);

  /* The caller cannot choose the number. */
  preset = confab_message_new (f->conversation_id, "user", "jump");
  confab_message_set_seq (preset, 1000);
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (preset), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_message_get_seq (preset), ==, 4);

  /* ...and a stored message cannot move. */
  confab_message_set_seq (preset, 0);
  g_assert_false (confab_repository_update (f->ws->db, CONFAB_ENTITY (preset), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, ID (preset)));
  g_clear_error (&error);
  confab_message_set_seq (preset, 4);
  confab_message_set_conversation_id (preset, ID (f->other));
  g_assert_false (confab_repository_update (f->ws->db, CONFAB_ENTITY (preset), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);

  {
    g_autofree char *sql = g_strdup_printf ("SELECT group_concat (seq) = '0,2,3,4' FROM "
                                            "(SELECT seq FROM messages "
                                            "WHERE conversation_id = '%s' "
                                            "ORDER BY seq)", f->conversation_id);
    g_assert_cmpint (confab_test_count_rows (f->ws->db, sql), ==, 1);
  }
}

/* Tries to create @message and expects INVALID naming @needle (and @needle2). */
static void
expect_invalid (Fixture       *f,
                ConfabMessage *message,
                const char    *needle,
                const char    *needle2)
{
  g_autoptr (GError) error = NULL;
  gint64 before = confab_test_count_rows (f->ws->db, "SELECT count(*) FROM messages");

  g_assert_false (confab_repository_create (f->ws->db, CONFAB_ENTITY (message), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_test_message ("refused: %s", error->message);
  if (strstr (error->message, needle) == NULL ||
      (needle2 != NULL && strstr (error->message, needle2) == NULL))
    g_error ("“%s” does not name “%s” and “%s”", error->message, needle,
             needle2 ? needle2 : "");
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM messages"), ==, before);
  g_assert_null (ID (message));
}

static void
test_validation (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr (ConfabMessage) in_other = add_message (f->ws->db, f->other, "user", "elsewhere");
  const char *id = f->conversation_id;

  {
    g_autoptr (ConfabMessage) m = confab_message_new (NULL, "user", "hello");
    expect_invalid (f, m, "conversation", NULL);
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new ("ghost-conversation", "user", "hello");
    expect_invalid (f, m, "conversation", "ghost-conversation");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "robot", "hello");
    expect_invalid (f, m, "robot", "role");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, NULL, "hello");
    expect_invalid (f, m, "role", NULL);
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "user", "hello");
    confab_message_set_status (m, "pending");
    expect_invalid (f, m, "pending", "status");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "user", "hello");
    confab_message_set_parent_message_id (m, "ghost-parent");
    expect_invalid (f, m, "parent message", "ghost-parent");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "user", "hello");
    confab_message_set_parent_message_id (m, ID (in_other));
    expect_invalid (f, m, "another conversation", ID (in_other));
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "user", "hello");
    confab_message_set_user_id (m, "ghost-user");
    expect_invalid (f, m, "user", "ghost-user");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "assistant", "hello");
    confab_message_set_agent_id (m, "ghost-agent");
    expect_invalid (f, m, "agent", "ghost-agent");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "user", "bad \xc3\x28 text");
    expect_invalid (f, m, "message text", "UTF-8");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "assistant", "hello");
    confab_message_set_source_references (m, "{\"document\": 1}");
    expect_invalid (f, m, "source references", "JSON array");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "assistant", "hello");
    confab_message_set_source_references (m, "[1, 2");
    expect_invalid (f, m, "source references", "[1, 2");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "assistant", "hello");
    confab_message_set_source_references (m, "not json");
    expect_invalid (f, m, "source references", "not json");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "assistant", "hello");
    confab_message_set_source_references (m, "");
    expect_invalid (f, m, "source references", NULL);
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "assistant", "hello");
    confab_message_set_tokens_in (m, -1);
    expect_invalid (f, m, "input tokens", "-1");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "assistant", "hello");
    confab_message_set_tokens_out (m, -5);
    expect_invalid (f, m, "output tokens", "-5");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "assistant", "hello");
    confab_message_set_latency_ms (m, -20);
    expect_invalid (f, m, "latency", "-20");
  }

  /* Nothing refused touched the conversation. */
  {
    g_autoptr (ConfabConversation) c = reload_conversation (f);
    g_assert_cmpstr (confab_conversation_get_title (c), ==, "");
    g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM audit_log "
                                                        "WHERE entity = 'message'"), ==, 1);
  }
}

static void
test_content_limits (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *max_ascii = g_strnfill (CONFAB_MESSAGE_MAX_CONTENT, 'a');
  g_autofree char *too_long = g_strnfill (CONFAB_MESSAGE_MAX_CONTENT + 1, 'a');
  g_autoptr (GString) max_wide = g_string_new (NULL);
  g_autofree char *max_reply = NULL;
  g_autofree char *reply_too_long = NULL;
  g_autoptr (GError) error = NULL;
  const char *id = f->conversation_id;

  /* Exactly 10,000 characters is accepted, 10,001 is not, in characters not bytes. */
  g_object_unref (add_message (f->ws->db, f->conversation, "user", max_ascii));
  for (guint i = 0; i < CONFAB_MESSAGE_MAX_CONTENT; i++)
    g_string_append (max_wide, "ü");
  g_object_unref (add_message (f->ws->db, f->conversation, "supporter", max_wide->str));
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "user", too_long);
    expect_invalid (f, m, "10001", "10000");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "system", too_long);
    expect_invalid (f, m, "10001", "10000");
  }

  /* What people write cannot be empty. */
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "user", "");
    expect_invalid (f, m, "message text", "empty");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "system", NULL);
    expect_invalid (f, m, "message text", "empty");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "supporter", "");
    expect_invalid (f, m, "message text", "empty");
  }

  /* A streaming reply starts empty and may grow past 10,000 characters. */
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "assistant", "");
    g_autoptr (ConfabMessage) loaded = NULL;

    confab_message_set_status (m, "streaming");
    g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (m), NULL, &error));
    g_assert_no_error (error);
    confab_message_set_content (m, too_long);
    g_assert_true (confab_repository_update (f->ws->db, CONFAB_ENTITY (m), NULL, &error));
    g_assert_no_error (error);
    confab_message_set_status (m, "complete");
    g_assert_true (confab_repository_update (f->ws->db, CONFAB_ENTITY (m), NULL, &error));
    g_assert_no_error (error);
    loaded = confab_repository_get (f->ws->db, CONFAB_TYPE_MESSAGE, ID (m), &error);
    g_assert_cmpuint (strlen (confab_message_get_content (loaded)), ==,
                      CONFAB_MESSAGE_MAX_CONTENT + 1);
    g_assert_cmpstr (confab_message_get_status (loaded), ==, "complete");

    /* A finished reply cannot be emptied. */
    confab_message_set_content (m, "");
    g_assert_false (confab_repository_update (f->ws->db, CONFAB_ENTITY (m), NULL, &error));
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
    g_assert_nonnull (strstr (error->message, "message text"));
    g_clear_error (&error);
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "assistant", "");
    expect_invalid (f, m, "message text", "empty");
  }
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "assistant", "");
    confab_message_set_status (m, "cancelled");
    g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (m), NULL, &error));
    g_assert_no_error (error);
  }

  /* Replies are capped at 1,000,000 characters. */
  max_reply = g_strnfill (CONFAB_MESSAGE_MAX_REPLY, 'r');
  reply_too_long = g_strnfill (CONFAB_MESSAGE_MAX_REPLY + 1, 'r');
  g_object_unref (add_message (f->ws->db, f->conversation, "assistant", max_reply));
  {
    g_autoptr (ConfabMessage) m = confab_message_new (id, "assistant", reply_too_long);
    confab_message_set_status (m, "streaming");
    expect_invalid (f, m, "1000001", "1000000");
  }
}

static void
test_make_title (void)
{
  g_autofree char *long_word = g_strnfill (300, 'w');
  g_autofree char *exactly_60 = g_strnfill (60, 'x');
  g_autofree char *title = NULL;
  g_autoptr (GString) words = g_string_new (NULL);
  g_autoptr (GString) wide = g_string_new (NULL);

  title = confab_message_make_title ("Hello there");
  g_assert_cmpstr (title, ==, "Hello there");
  g_clear_pointer (&title, g_free);

  /* First non-blank line, white space collapsed. */
  title = confab_message_make_title ("\n  \r\n  Where   is\tmy \u00a0 order?  \nSecond line");
  g_assert_cmpstr (title, ==, "Where is my order?");
  g_clear_pointer (&title, g_free);

  title = confab_message_make_title ("   \n\t ");
  g_assert_cmpstr (title, ==, "");
  g_clear_pointer (&title, g_free);

  title = confab_message_make_title (exactly_60);
  g_assert_cmpstr (title, ==, exactly_60);
  g_clear_pointer (&title, g_free);

  /* Cut at the last word boundary that leaves room for the ellipsis. */
  for (guint i = 0; i < 30; i++)
    g_string_append (words, "word ");   /* 5 characters each */
  title = confab_message_make_title (words->str);
  g_assert_true (g_str_has_suffix (title, "word…"));
  g_assert_cmpint (g_utf8_strlen (title, -1), <=, CONFAB_MESSAGE_TITLE_CHARS);
  /* The space after the 12th word is at index 59: 12 words, no trailing space, "…". */
  g_assert_cmpint (g_utf8_strlen (title, -1), ==, 12 * 5 - 1 + 1);
  g_clear_pointer (&title, g_free);

  /* A boundary right after 59 characters is used as is. */
  {
    g_autofree char *a59 = g_strnfill (59, 'a');
    g_autofree char *text = g_strconcat (a59, " tail end", NULL);
    g_autofree char *expected = g_strconcat (a59, "…", NULL);

    title = confab_message_make_title (text);
    g_assert_cmpstr (title, ==, expected);
    g_clear_pointer (&title, g_free);
  }

  /* One word longer than the limit is cut inside. */
  title = confab_message_make_title (long_word);
  g_assert_cmpint (g_utf8_strlen (title, -1), ==, CONFAB_MESSAGE_TITLE_CHARS);
  g_assert_true (g_str_has_suffix (title, "w…"));
  g_clear_pointer (&title, g_free);

  /* Characters, not bytes. */
  for (guint i = 0; i < 100; i++)
    g_string_append (wide, "日本 ");
  title = confab_message_make_title (wide->str);
  g_assert_true (g_utf8_validate (title, -1, NULL));
  g_assert_cmpint (g_utf8_strlen (title, -1), <=, CONFAB_MESSAGE_TITLE_CHARS);
  g_assert_true (g_str_has_suffix (title, "日本…"));
  g_clear_pointer (&title, g_free);

  title = confab_message_make_title (NULL);
  g_assert_cmpstr (title, ==, "");
}

static void
test_title_and_updated_at (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr (ConfabMessage) greeting = NULL;
  g_autoptr (ConfabMessage) question = NULL;
  g_autoptr (ConfabMessage) second = NULL;
  g_autoptr (ConfabConversation) c = NULL;
  g_autoptr (ConfabConversation) named = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) long_text = g_string_new ("  ");

  /* A system or assistant message does not name the conversation... */
  greeting = add_message (f->ws->db, f->conversation, "assistant", "Welcome to the bakery!");
  c = reload_conversation (f);
  g_assert_cmpstr (confab_conversation_get_title (c), ==, "");
  g_assert_cmpstr (confab_entity_get_updated_at (CONFAB_ENTITY (c)), ==,
                   confab_entity_get_created_at (CONFAB_ENTITY (greeting)));
  g_clear_object (&c);

  /* ...the first user message does, from its first line, cut to 60 characters. */
  for (guint i = 0; i < 40; i++)
    g_string_append (long_text, "bread ");
  g_string_append (long_text, "\nand a second line");
  question = add_message (f->ws->db, f->conversation, "user", long_text->str);
  c = reload_conversation (f);
  g_assert_true (g_str_has_prefix (confab_conversation_get_title (c), "bread bread"));
  g_assert_true (g_str_has_suffix (confab_conversation_get_title (c), "bread…"));
  g_assert_cmpint (g_utf8_strlen (confab_conversation_get_title (c), -1), <=, 60);
  g_assert_cmpstr (confab_entity_get_updated_at (CONFAB_ENTITY (c)), ==,
                   confab_entity_get_created_at (CONFAB_ENTITY (question)));
  g_clear_object (&c);

  /* A later user message keeps the title but moves updated_at. */
  second = add_message (f->ws->db, f->conversation, "user", "Another question");
  c = reload_conversation (f);
  g_assert_true (g_str_has_prefix (confab_conversation_get_title (c), "bread bread"));
  g_assert_cmpstr (confab_entity_get_updated_at (CONFAB_ENTITY (c)), ==,
                   confab_entity_get_created_at (CONFAB_ENTITY (second)));

  /* A title given by someone is never replaced. */
  named = confab_conversation_new (ID (f->alice));
  confab_conversation_set_title (named, "Complaint");
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (named), NULL, &error));
  g_assert_no_error (error);
  g_object_unref (add_message (f->ws->db, named, "user", "My cake was late"));
  g_clear_object (&c);
  c = confab_repository_get (f->ws->db, CONFAB_TYPE_CONVERSATION, ID (named), &error);
  g_assert_cmpstr (confab_conversation_get_title (c), ==, "Complaint");
}

static void
test_parent_branches (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr (ConfabMessage) question = add_message (f->ws->db, f->conversation, "user", "Question");
  g_autoptr (ConfabMessage) first = confab_message_new (f->conversation_id, "assistant",
                                                        "First answer");
  g_autoptr (ConfabMessage) second = confab_message_new (f->conversation_id, "assistant",
                                                         "Regenerated answer");
  g_autoptr (ConfabMessage) loaded = NULL;
  g_autoptr (GError) error = NULL;
  const char *question_id = ID (question);

  confab_message_set_parent_message_id (first, question_id);
  confab_message_set_parent_message_id (second, question_id);
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (first), NULL, &error));
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (second), NULL, &error));
  g_assert_no_error (error);

  /* A message cannot be its own parent. */
  confab_message_set_parent_message_id (first, ID (first));
  g_assert_false (confab_repository_update (f->ws->db, CONFAB_ENTITY (first), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);

  /* Deleting the question keeps the answers, without a parent. */
  g_assert_true (confab_repository_delete (f->ws->db, CONFAB_TYPE_MESSAGE, question_id, NULL,
                                           &error));
  g_assert_no_error (error);
  loaded = confab_repository_get (f->ws->db, CONFAB_TYPE_MESSAGE, ID (second), &error);
  g_assert_no_error (error);
  g_assert_null (confab_message_get_parent_message_id (loaded));
}

static void
test_fts_sync (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr (ConfabMessage) m = add_message (f->ws->db, f->conversation, "user",
                                             "I would like a baguette");
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (fts_hits (f->ws->db, "baguette"), ==, 1);

  confab_message_set_content (m, "Actually a brioche");
  g_assert_true (confab_repository_update (f->ws->db, CONFAB_ENTITY (m), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fts_hits (f->ws->db, "baguette"), ==, 0);
  g_assert_cmpint (fts_hits (f->ws->db, "brioche"), ==, 1);
  found = confab_message_search (f->ws->db, NULL, "brioche", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_cmpstr (ID (g_ptr_array_index (found, 0)), ==, ID (m));
  assert_fts_consistent (f->ws->db);

  g_assert_true (confab_repository_delete (f->ws->db, CONFAB_TYPE_MESSAGE,
                                           ID (m), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fts_hits (f->ws->db, "brioche"), ==, 0);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = confab_message_search (f->ws->db, NULL, "brioche", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 0);
  assert_fts_consistent (f->ws->db);
}

static guint
search_count (Fixture    *f,
              const char *conversation_id,
              const char *query)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) found = NULL;

  found = confab_message_search (f->ws->db, conversation_id, query, 0, &error);

  if (error != NULL)
    g_error ("Searching “%s” failed: %s", query, error->message);
  return found->len;
}

static void
test_search (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GError) error = NULL;
  const char *other_id = ID (f->other);
  const char *hostile[] = {
    "\"unbalanced", "AND", "foo OR", "*", "NEAR(", "NEAR(foo bar", "(", ")", "content:foo",
    "-foo", "^foo", "foo AND OR NOT bar", "\"\"", "{content}: x", "a\"b\"c", "+", "foo*bar*",
    "***", "OR OR", "NOT", "ünïcödé ☃",
  };

  g_object_unref (add_message (f->ws->db, f->conversation, "user", "apple apple apple banana"));
  g_object_unref (add_message (f->ws->db, f->conversation, "assistant",
                               "apple banana cherry date elderberry fig grape honeydew"));
  g_object_unref (add_message (f->ws->db, f->other, "user",
                               "an apple for foo or bar, AND near the \"unbalanced\" crème"));
  g_object_unref (add_message (f->ws->db, f->other, "user", "Helsinki hello help"));

  /* Best match first (BM25). */
  found = confab_message_search (f->ws->db, NULL, "apple", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 3);
  g_assert_cmpstr (confab_message_get_content (g_ptr_array_index (found, 0)), ==,
                   "apple apple apple banana");
  g_clear_pointer (&found, g_ptr_array_unref);

  /* Limit and conversation. */
  found = confab_message_search (f->ws->db, NULL, "apple", 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (found->len, ==, 2);
  g_assert_cmpuint (search_count (f, f->conversation_id, "apple"), ==, 2);
  g_assert_cmpuint (search_count (f, other_id, "apple"), ==, 1);

  /* All the words must be there; case and accents do not matter. */
  g_assert_cmpuint (search_count (f, NULL, "apple cherry"), ==, 1);
  g_assert_cmpuint (search_count (f, NULL, "APPLE Creme"), ==, 1);
  g_assert_cmpuint (search_count (f, NULL, "kiwi"), ==, 0);

  /* Operators are words: AND finds "AND", foo OR needs both words. */
  g_assert_cmpuint (search_count (f, NULL, "AND"), ==, 1);
  g_assert_cmpuint (search_count (f, NULL, "foo OR"), ==, 1);
  g_assert_cmpuint (search_count (f, NULL, "\"unbalanced"), ==, 1);
  g_assert_cmpuint (search_count (f, NULL, "NEAR("), ==, 1);
  g_assert_cmpuint (search_count (f, NULL, "*"), ==, 0);
  g_assert_cmpuint (search_count (f, NULL, "   "), ==, 0);

  /* A trailing * is a prefix search. */
  g_assert_cmpuint (search_count (f, NULL, "hel*"), ==, 1);
  g_assert_cmpuint (search_count (f, NULL, "hel"), ==, 0);

  /* Nothing a person types is an SQLite error. */
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    search_count (f, NULL, hostile[i]);

  /* Invalid UTF-8 is refused with a message, not a crash. */
  g_clear_pointer (&found, g_ptr_array_unref);
  found = confab_message_search (f->ws->db, NULL, "bad\xff", 0, &error);
  g_assert_null (found);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
}

static void
test_streaming_updates (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr (ConfabMessage) reply = confab_message_new (f->conversation_id, "assistant", "");
  g_autoptr (ConfabMessage) loaded = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GError) error = NULL;

  confab_message_set_status (reply, "streaming");
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (reply), NULL, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < 50; i++)
    {
      g_string_append_printf (text, "token%u ", i);
      confab_message_set_content (reply, text->str);
      g_assert_true (confab_repository_update (f->ws->db, CONFAB_ENTITY (reply), NULL, &error));
      g_assert_no_error (error);
    }
  confab_message_set_status (reply, "error");
  confab_message_set_error (reply, "The provider closed the connection");
  g_assert_true (confab_repository_update (f->ws->db, CONFAB_ENTITY (reply), NULL, &error));
  g_assert_no_error (error);

  loaded = confab_repository_get (f->ws->db, CONFAB_TYPE_MESSAGE, ID (reply), &error);
  g_assert_cmpstr (confab_message_get_content (loaded), ==, text->str);
  g_assert_cmpstr (confab_message_get_status (loaded), ==, "error");
  g_assert_cmpstr (confab_message_get_error (loaded), ==, "The provider closed the connection");
  g_assert_cmpint (fts_hits (f->ws->db, "token49"), ==, 1);
  g_assert_cmpint (fts_hits (f->ws->db, "token0"), ==, 1);
  assert_fts_consistent (f->ws->db);

  /* Content updates are audited by length only. */
  g_assert_cmpint (confab_test_count_rows (f->ws->db,
                                           "SELECT count(*) FROM audit_log "
                                           "WHERE entity = 'message' AND action = 'update' "
                                           "AND instr (details, 'token') > 0"), ==, 0);
}

static ConfabMessageHit *
find_hit (GPtrArray  *hits,
          const char *message_id)
{
  for (guint i = 0; i < hits->len; i++)
    if (g_strcmp0 (confab_message_hit_get_message_id (g_ptr_array_index (hits, i)),
                   message_id) == 0)
      return g_ptr_array_index (hits, i);
  return NULL;
}

static void
test_search_hits (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr (ConfabAgent) agent = confab_agent_new ("Baker Bot");
  g_autoptr (ConfabUser) operator = confab_test_add_user (f->ws->db, "olga");
  g_autoptr (ConfabMessage) question = NULL;
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (ConfabMessage) support = NULL;
  g_autoptr (ConfabMessage) other = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GPtrArray) hits = NULL;
  g_autoptr (GError) error = NULL;
  ConfabMessageHit *hit;

  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (agent), NULL, &error));
  g_assert_no_error (error);

  question = confab_message_new (f->conversation_id, "user", "Do you bake sourdough bread?");
  confab_message_set_user_id (question, ID (f->alice));
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (question), NULL, &error));
  g_assert_no_error (error);
  reply = confab_message_new (f->conversation_id, "assistant",
                              "Yes: <b>sourdough</b> & rye, every morning.\nAsk for it.");
  confab_message_set_agent_id (reply, ID (agent));
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (reply), NULL, &error));
  g_assert_no_error (error);
  support = confab_message_new (f->conversation_id, "supporter", "Sourdough is sold out today");
  confab_message_set_user_id (support, ID (operator));
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (support), NULL, &error));
  g_assert_no_error (error);
  /* A user message without user_id: the conversation's user wrote it. */
  other = add_message (f->ws->db, f->other, "user", "Nothing about bread here, only cake");
  conversation = reload_conversation (f);

  hits = confab_message_search_hits (f->ws->db, "sourdough", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 3);

  hit = find_hit (hits, ID (question));
  g_assert_nonnull (hit);
  g_assert_cmpstr (confab_message_hit_get_conversation_id (hit), ==, f->conversation_id);
  g_assert_cmpstr (confab_message_hit_get_conversation_title (hit), ==,
                   confab_conversation_get_title (conversation));
  g_assert_cmpstr (confab_message_hit_get_conversation_title (hit), ==,
                   "Do you bake sourdough bread?");
  g_assert_cmpstr (confab_message_hit_get_role (hit), ==, "user");
  g_assert_cmpstr (confab_message_hit_get_author (hit), ==, "alice");
  g_assert_cmpstr (confab_message_hit_get_created_at (hit), ==,
                   confab_entity_get_created_at (CONFAB_ENTITY (question)));
  g_assert_cmpstr (confab_message_hit_get_snippet (hit), ==,
                   "Do you bake " CONFAB_MESSAGE_HIT_MATCH_START "sourdough"
                   CONFAB_MESSAGE_HIT_MATCH_END " bread?");

  /* The snippet is the text as written: markup stays plain characters. */
  hit = find_hit (hits, ID (reply));
  g_assert_nonnull (hit);
  g_assert_cmpstr (confab_message_hit_get_role (hit), ==, "assistant");
  g_assert_cmpstr (confab_message_hit_get_author (hit), ==, "Baker Bot");
  g_assert_cmpstr (confab_message_hit_get_snippet (hit), ==,
                   "Yes: <b>" CONFAB_MESSAGE_HIT_MATCH_START "sourdough"
                   CONFAB_MESSAGE_HIT_MATCH_END "</b> & rye, every morning.\nAsk for it.");

  hit = find_hit (hits, ID (support));
  g_assert_nonnull (hit);
  g_assert_cmpstr (confab_message_hit_get_role (hit), ==, "supporter");
  g_assert_cmpstr (confab_message_hit_get_author (hit), ==, "olga");
  g_clear_pointer (&hits, g_ptr_array_unref);

  hits = confab_message_search_hits (f->ws->db, "bread", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 2);
  hit = find_hit (hits, ID (other));
  g_assert_nonnull (hit);
  g_assert_cmpstr (confab_message_hit_get_conversation_id (hit), ==, ID (f->other));
  g_assert_cmpstr (confab_message_hit_get_author (hit), ==, "alice");
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* A deleted agent leaves the hit without an author. */
  g_assert_true (confab_repository_delete (f->ws->db, CONFAB_TYPE_AGENT, ID (agent), NULL,
                                           &error));
  g_assert_no_error (error);
  hits = confab_message_search_hits (f->ws->db, "rye", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_null (confab_message_hit_get_author (g_ptr_array_index (hits, 0)));
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Limit. */
  hits = confab_message_search_hits (f->ws->db, "sourdough", 2, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 2);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Nothing typed finds nothing, without an error. */
  hits = confab_message_search_hits (f->ws->db, "  \t ", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 0);
}

static void
test_search_hits_invalid (Fixture       *f,
                          gconstpointer  data)
{
  const char *no_words[] = { "\"", "*", "\" \"", "(", ")", "***", "-", "+", "^", "\"\"", "( )" };
  const char *hostile[] = {
    "\"unbalanced", "AND", "foo OR", "NEAR(", "NEAR(foo bar", "content:foo", "-foo", "^foo",
    "foo AND OR NOT bar", "{content}: x", "a\"b\"c", "foo*bar*", "OR OR", "NOT", "ünïcödé ☃",
  };
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GPtrArray) hits = NULL;
  g_autoptr (GError) error = NULL;

  g_object_unref (add_message (f->ws->db, f->conversation, "user",
                               "foo or bar, AND not near the \"unbalanced\" content"));

  /* Characters but no word to look for: INVALID, with the query quoted. */
  for (guint i = 0; i < G_N_ELEMENTS (no_words); i++)
    {
      hits = confab_message_search_hits (f->ws->db, no_words[i], 0, NULL, &error);
      g_assert_null (hits);
      g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "no words"));
      g_clear_error (&error);
    }

  /* Operators and stray syntax are words: never an SQLite error. */
  for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      hits = confab_message_search_hits (f->ws->db, hostile[i], 0, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (hits);
      g_clear_pointer (&hits, g_ptr_array_unref);
    }
  hits = confab_message_search_hits (f->ws->db, "AND", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);

  hits = confab_message_search_hits (f->ws->db, "bad\xff", 0, NULL, &error);
  g_assert_null (hits);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);

  /* Cancelled: no query runs. */
  g_cancellable_cancel (cancellable);
  hits = confab_message_search_hits (f->ws->db, "foo", 0, cancellable, &error);
  g_assert_null (hits);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* The connection is usable afterwards, its progress handler removed. */
  g_object_unref (cancellable);
  cancellable = g_cancellable_new ();
  hits = confab_message_search_hits (f->ws->db, "foo", 0, cancellable, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
}

typedef struct
{
  char      *path;
  GPtrArray *hits;
  GError    *error;
} ThreadSearch;

static gpointer
search_in_thread (gpointer data)
{
  ThreadSearch *search = data;
  g_autoptr (ConfabDatabase) db = confab_database_open_with_flags (search->path,
                                                                   CONFAB_DATABASE_OPEN_READ_ONLY,
                                                                   &search->error);

  if (db != NULL)
    search->hits = confab_message_search_hits (db, "pumpernickel", 0, NULL, &search->error);
  return NULL;
}

/* A worker thread searches on a read-only connection of its own while the
 * main one writes. */
static void
test_search_hits_own_connection (Fixture       *f,
                                 gconstpointer  data)
{
  ThreadSearch search = { f->ws->path, NULL, NULL };
  GThread *thread;

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *text = g_strdup_printf ("pumpernickel loaf number %u", i);

      g_object_unref (add_message (f->ws->db, i % 2 ? f->conversation : f->other, "user", text));
    }

  thread = g_thread_new ("search", search_in_thread, &search);
  g_object_unref (add_message (f->ws->db, f->other, "user", "one more rye"));
  g_thread_join (thread);

  g_assert_no_error (search.error);
  g_assert_cmpuint (search.hits->len, ==, 200);
  g_ptr_array_unref (search.hits);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/confab/messages/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("create-get", test_create_get);
  ADD ("seq", test_seq);
  ADD ("validation", test_validation);
  ADD ("content-limits", test_content_limits);
  ADD ("title-updated-at", test_title_and_updated_at);
  ADD ("parent-branches", test_parent_branches);
  ADD ("fts-sync", test_fts_sync);
  ADD ("search", test_search);
  ADD ("search-hits", test_search_hits);
  ADD ("search-hits-invalid", test_search_hits_invalid);
  ADD ("search-hits-own-connection", test_search_hits_own_connection);
  ADD ("streaming-updates", test_streaming_updates);
#undef ADD
  g_test_add_func ("/confab/messages/make-title", test_make_title);
  return g_test_run ();
}
