/* test-conversation-export.c: one conversation as Markdown and as JSON.
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <json-glib/json-glib.h>

#include "confab-conversation-export.h"
#include "confab-test-util.h"

#define ID(e) confab_entity_get_id (CONFAB_ENTITY (e))

typedef struct
{
  ConfabTestWorkspace *ws;
  char                *conversation_id;
  char                *ada_id;
  char                *bob_id;
  char                *agent_id;
  char                *ids[7]; /* the messages, m1..m6 at 1..6 */
} Fixture;

static void
exec_sql (ConfabDatabase *db, const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (confab_database_get_handle (db), sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static void
set_time (ConfabDatabase *db, const char *table, const char *id, const char *at)
{
  g_autofree char *sql = g_strdup_printf ("UPDATE %s SET created_at = '%s', updated_at = '%s' "
                                          "WHERE id = '%s'",
                                          table, at, at, id);
  exec_sql (db, sql);
}

static char *
add_message (Fixture    *f,
             const char *role,
             const char *content,
             const char *parent_id,
             const char *at,
             void (*adjust) (ConfabMessage *, Fixture *))
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabMessage) message = confab_message_new (f->conversation_id, role, content);

  if (parent_id != NULL)
    confab_message_set_parent_message_id (message, parent_id);
  if (adjust != NULL)
    adjust (message, f);
  confab_repository_create (f->ws->db, CONFAB_ENTITY (message), NULL, &error);
  g_assert_no_error (error);
  set_time (f->ws->db, "messages", ID (message), at);
  return g_strdup (ID (message));
}

static void
cited_reply (ConfabMessage *message, Fixture *f)
{
  confab_message_set_agent_id (message, f->agent_id);
  confab_message_set_model (message, "rules");
  confab_message_set_source_references (
      message, "[{\"n\": 1, \"chunk_id\": \"ch1\", \"document_id\": \"d1\", "
               "\"knowledge_base_id\": \"kb1\", \"ordinal\": 0, "
               "\"filename\": \"hours.md\"}]");
}

static void
stopped_reply (ConfabMessage *message, Fixture *f)
{
  confab_message_set_agent_id (message, f->agent_id);
  confab_message_set_status (message, "cancelled");
}

static void
failed_reply (ConfabMessage *message, Fixture *f)
{
  confab_message_set_agent_id (message, f->agent_id);
  confab_message_set_status (message, "error");
  confab_message_set_error (message, "The provider did not answer");
  confab_message_set_latency_ms (message, 1500);
}

static void
by_bob (ConfabMessage *message, Fixture *f)
{
  confab_message_set_user_id (message, f->bob_id);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) ada = NULL;
  g_autoptr (ConfabUser) bob = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autofree char *old_question = NULL;
  g_autofree char *old_answer = NULL;

  f->ws = confab_test_workspace_new ();

  ada = confab_test_add_user (f->ws->db, "ada");
  confab_user_set_name (ada, "Ada Lovelace");
  confab_repository_update (f->ws->db, CONFAB_ENTITY (ada), NULL, &error);
  g_assert_no_error (error);
  bob = confab_test_add_user (f->ws->db, "bob");
  f->ada_id = g_strdup (ID (ada));
  f->bob_id = g_strdup (ID (bob));

  agent = confab_agent_new ("Greeter");
  confab_repository_create (f->ws->db, CONFAB_ENTITY (agent), NULL, &error);
  g_assert_no_error (error);
  f->agent_id = g_strdup (ID (agent));

  conversation = confab_conversation_new (f->ada_id);
  confab_conversation_set_agent_id (conversation, f->agent_id);
  confab_repository_create (f->ws->db, CONFAB_ENTITY (conversation), NULL, &error);
  g_assert_no_error (error);
  f->conversation_id = g_strdup (ID (conversation));

  f->ids[1] =
      add_message (f, "user", "Are you open on *Sunday*?", NULL, "2026-03-01T09:00:00.000Z", NULL);
  f->ids[2] = add_message (f, "assistant", "Yes, from **8** to 12 [1].\n\n- Bread\n- Cakes\n\n",
                           NULL, "2026-03-01T09:00:05.000Z", cited_reply);
  /* A question asked, answered, then edited: the edit is the active branch,
   * so neither the old question nor its answer is exported. */
  old_question =
      add_message (f, "user", "And on holidays?", NULL, "2026-03-01T09:01:00.000Z", NULL);
  old_answer =
      add_message (f, "assistant", "Closed.", NULL, "2026-03-01T09:01:01.000Z", stopped_reply);
  f->ids[3] =
      add_message (f, "user", "And at Easter?", f->ids[2], "2026-03-01T09:02:00.000Z", NULL);
  f->ids[4] =
      add_message (f, "assistant", "Let me", NULL, "2026-03-01T09:02:01.000Z", stopped_reply);
  f->ids[5] = add_message (f, "assistant", "", NULL, "2026-03-01T09:02:30.000Z", failed_reply);
  f->ids[6] = add_message (f, "supporter", "I will check for you.", NULL,
                           "2026-03-01T09:05:00.000Z", by_bob);

  /* The first message named it; an escalated chat, with fixed times. */
  exec_sql (f->ws->db, "UPDATE conversations SET status = 'escalated'");
  set_time (f->ws->db, "conversations", f->conversation_id, "2026-03-01T08:59:00.000Z");
  {
    g_autofree char *sql = g_strdup_printf ("UPDATE conversations SET updated_at = "
                                            "'2026-03-01T09:05:00.000Z' WHERE id = '%s'",
                                            f->conversation_id);
    exec_sql (f->ws->db, sql);
  }
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  for (guint i = 0; i < G_N_ELEMENTS (f->ids); i++)
    g_free (f->ids[i]);
  g_free (f->conversation_id);
  g_free (f->ada_id);
  g_free (f->bob_id);
  g_free (f->agent_id);
  confab_test_workspace_free (f->ws);
}

static char *
export_text (Fixture *f, ConfabConversationExportFormat format)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GTimeZone) tz = g_time_zone_new_offset (3600);
  char *text =
      confab_conversation_export_to_string (f->ws->db, f->conversation_id, format, tz, &error);

  g_assert_no_error (error);
  g_assert_nonnull (text);
  return text;
}

static void
test_markdown (Fixture *f, gconstpointer data)
{
  g_autofree char *markdown = export_text (f, CONFAB_CONVERSATION_EXPORT_MARKDOWN);

  /* Times in the zone asked for (UTC+1); the title escaped, the content as written. */
  g_assert_cmpstr (markdown, ==,
                   "# Are you open on \\*Sunday\\*?\n"
                   "\n"
                   "- **User:** Ada Lovelace\n"
                   "- **Agent:** Greeter\n"
                   "- **Status:** Escalated\n"
                   "- **Started:** 2026-03-01 09:59\n"
                   "- **Last activity:** 2026-03-01 10:05\n"
                   "\n"
                   "---\n"
                   "\n"
                   "### Ada Lovelace (User) · 2026-03-01 10:00\n"
                   "\n"
                   "Are you open on *Sunday*?\n"
                   "\n"
                   "### Greeter (Agent) · 2026-03-01 10:00\n"
                   "\n"
                   "Yes, from **8** to 12 [1].\n"
                   "\n"
                   "- Bread\n"
                   "- Cakes\n"
                   "\n"
                   "_Sources:_ \\[1\\] hours.md\n"
                   "\n"
                   "### Ada Lovelace (User) · 2026-03-01 10:02\n"
                   "\n"
                   "And at Easter?\n"
                   "\n"
                   "### Greeter (Agent) · 2026-03-01 10:02\n"
                   "\n"
                   "Let me\n"
                   "\n"
                   "_This reply was stopped._\n"
                   "\n"
                   "### Greeter (Agent) · 2026-03-01 10:02\n"
                   "\n"
                   "_This reply failed:_ The provider did not answer\n"
                   "\n"
                   "### bob (Operator) · 2026-03-01 10:05\n"
                   "\n"
                   "I will check for you.\n");
}

static void
test_json (Fixture *f, gconstpointer data)
{
  g_autofree char *json = export_text (f, CONFAB_CONVERSATION_EXPORT_JSON);
  g_autofree char *expected = NULL;

#define MESSAGE(id, parent, role, author, user, agent, content, status, error, model, latency,     \
                refs, at)                                                                          \
  "    {\n"                                                                                        \
  "      \"id\" : \"" id "\",\n"                                                                   \
  "      \"parent_message_id\" : " parent ",\n"                                                    \
  "      \"role\" : \"" role "\",\n"                                                               \
  "      \"author\" : " author ",\n"                                                               \
  "      \"user_id\" : " user ",\n"                                                                \
  "      \"agent_id\" : " agent ",\n"                                                              \
  "      \"content\" : \"" content "\",\n"                                                         \
  "      \"status\" : \"" status "\",\n"                                                           \
  "      \"error\" : " error ",\n"                                                                 \
  "      \"model\" : " model ",\n"                                                                 \
  "      \"tokens_in\" : 0,\n"                                                                     \
  "      \"tokens_out\" : 0,\n"                                                                    \
  "      \"latency_ms\" : " latency ",\n"                                                          \
  "      \"source_references\" : " refs ",\n"                                                      \
  "      \"created_at\" : \"" at "\"\n"                                                            \
  "    }"

  expected = g_strdup_printf (
      "{\n"
      "  \"format\" : \"confab-conversation\",\n"
      "  \"format_version\" : 1,\n"
      "  \"conversation\" : {\n"
      "    \"id\" : \"%s\",\n"
      "    \"title\" : \"Are you open on *Sunday*?\",\n"
      "    \"status\" : \"escalated\",\n"
      "    \"created_at\" : \"2026-03-01T08:59:00.000Z\",\n"
      "    \"updated_at\" : \"2026-03-01T09:05:00.000Z\",\n"
      "    \"user\" : {\n"
      "      \"id\" : \"%s\",\n"
      "      \"name\" : \"Ada Lovelace\",\n"
      "      \"username\" : \"ada\"\n"
      "    },\n"
      "    \"agent\" : {\n"
      "      \"id\" : \"%s\",\n"
      "      \"name\" : \"Greeter\"\n"
      "    },\n"
      "    \"team\" : null\n"
      "  },\n"
      "  \"messages\" : [\n" MESSAGE ("%s", "null", "user", "\"Ada Lovelace\"", "null", "null", "Are you open on *Sunday*?", "complete", "null", "null", "0", "[]", "2026-03-01T09:00:00.000Z") ",\n" MESSAGE (
          "%s", "\"%s\"", "assistant",
          "\"Greeter"
          "\"",
          "null", "\"%s\"",
          "Yes, from "
          "**8** to "
          "12 "
          "[1]."
          "\\n\\n- "
          "Bread\\n- "
          "Cakes\\n\\"
          "n",
          "complete", "null", "\"rules\"", "0",
          "[\n"
          "        "
          "{\n"
          "          "
          "\"n\" : "
          "1,\n"
          "          "
          "\"chunk_"
          "id\" : "
          "\"ch1\",\n"
          "          "
          "\"document"
          "_id\" : "
          "\"d1\",\n"
          "          "
          "\"knowledg"
          "e_base_"
          "id\" : "
          "\"kb1\",\n"
          "          "
          "\"ordinal"
          "\" : 0,\n"
          "          "
          "\"filename"
          "\" : "
          "\"hours."
          "md\"\n"
          "        "
          "}\n"
          "      ]",
          "2026-03-"
          "01T09:00:"
          "05.000Z") ",\n" MESSAGE ("%s", "\"%s\"", "user", "\"Ada Lovelace\"", "null", "null",
                                    "And at Easter?", "complete", "null", "null", "0", "[]",
                                    "2026-03-01T09:02:00.000Z") ",\n" MESSAGE ("%s", "\"%s\"",
                                                                               "assistant",
                                                                               "\"Greeter\"",
                                                                               "null", "\"%s\"",
                                                                               "Let me",
                                                                               "cancelled", "null",
                                                                               "null", "0", "[]",
                                                                               "2026-03-01T09:02:"
                                                                               "01.000Z") ","
                                                                                          "\n" MESSAGE (
                                                                                              "%s",
                                                                                              "\"%"
                                                                                              "s\"",
                                                                                              "assi"
                                                                                              "stan"
                                                                                              "t",
                                                                                              "\"Gr"
                                                                                              "eete"
                                                                                              "r\"",
                                                                                              "nul"
                                                                                              "l",
                                                                                              "\"%"
                                                                                              "s\"",
                                                                                              "",
                                                                                              "erro"
                                                                                              "r",
                                                                                              "\"Th"
                                                                                              "e "
                                                                                              "prov"
                                                                                              "ider"
                                                                                              " did"
                                                                                              " not"
                                                                                              " ans"
                                                                                              "wer"
                                                                                              "\"",
                                                                                              "nul"
                                                                                              "l",
                                                                                              "150"
                                                                                              "0",
                                                                                              "[]",
                                                                                              "2026"
                                                                                              "-03-"
                                                                                              "01T0"
                                                                                              "9:"
                                                                                              "02:"
                                                                                              "30."
                                                                                              "000"
                                                                                              "Z") ",\n" MESSAGE ("%s",
                                                                                                                  "\"%s\"",
                                                                                                                  "supporter",
                                                                                                                  "\"bob\"",
                                                                                                                  "\"%s\"",
                                                                                                                  "null",
                                                                                                                  "I will check for you.",
                                                                                                                  "complete",
                                                                                                                  "null",
                                                                                                                  "null",
                                                                                                                  "0",
                                                                                                                  "[]",
                                                                                                                  "2026-03-01T09:05:00.000Z") "\n"
                                                                                                                                              "  ]\n"
                                                                                                                                              "}\n",
      f->conversation_id, f->ada_id, f->agent_id, f->ids[1], f->ids[2], f->ids[1], f->agent_id,
      f->ids[3], f->ids[2], f->ids[4], f->ids[3], f->agent_id, f->ids[5], f->ids[4], f->agent_id,
      f->ids[6], f->ids[5], f->bob_id);
#undef MESSAGE

  g_assert_cmpstr (json, ==, expected);
}

/* The JSON export reads back with any JSON parser, and holds no more than
 * the active branch. */
static void
test_json_parses (Fixture *f, gconstpointer data)
{
  g_autofree char *json = export_text (f, CONFAB_CONVERSATION_EXPORT_JSON);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonObject *root;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (root, "messages")), ==, 6);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM messages"), ==, 8);
}

static void
test_empty_and_untitled (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) user = confab_test_add_user (ws->db, "cyrus");
  g_autoptr (ConfabTeam) team = confab_team_new ("Front desk");
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr (GError) error = NULL;
  g_autofree char *markdown = NULL;
  g_autofree char *json = NULL;

  confab_repository_create (ws->db, CONFAB_ENTITY (team), NULL, &error);
  g_assert_no_error (error);
  conversation = confab_conversation_new (ID (user));
  confab_conversation_set_team_id (conversation, ID (team));
  confab_repository_create (ws->db, CONFAB_ENTITY (conversation), NULL, &error);
  g_assert_no_error (error);
  set_time (ws->db, "conversations", ID (conversation), "2026-12-31T23:30:00Z");

  markdown = confab_conversation_export_to_string (
      ws->db, ID (conversation), CONFAB_CONVERSATION_EXPORT_MARKDOWN, utc, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (markdown, ==,
                   "# New Chat\n"
                   "\n"
                   "- **User:** cyrus\n"
                   "- **Team:** Front desk\n"
                   "- **Status:** Active\n"
                   "- **Started:** 2026-12-31 23:30\n"
                   "- **Last activity:** 2026-12-31 23:30\n"
                   "\n"
                   "---\n"
                   "\n"
                   "_No messages yet._\n");

  /* Deleting the team keeps the chat; its export just has no team. */
  confab_repository_delete (ws->db, CONFAB_TYPE_TEAM, ID (team), NULL, &error);
  g_assert_no_error (error);
  json = confab_conversation_export_to_string (ws->db, ID (conversation),
                                               CONFAB_CONVERSATION_EXPORT_JSON, utc, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (json, "\"team\" : null"));
  g_assert_nonnull (strstr (json, "\"messages\" : []"));
}

static void
test_missing (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  text = confab_conversation_export_to_string (ws->db, "nope", CONFAB_CONVERSATION_EXPORT_JSON,
                                               NULL, &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_null (text);
}

static void
test_file_name (void)
{
  const struct
  {
    const char                    *title;
    ConfabConversationExportFormat format;
    const char                    *expected;
  } cases[] = {
    { "Where is my order #48213?", CONFAB_CONVERSATION_EXPORT_MARKDOWN,
      "Where is my order #48213.md" },
    { "a/b\\c:d*e\"f<g>h|i", CONFAB_CONVERSATION_EXPORT_JSON, "a b c d e f g h i.json" },
    { "  Hello\n\tthere  ", CONFAB_CONVERSATION_EXPORT_MARKDOWN, "Hello there.md" },
    { "...", CONFAB_CONVERSATION_EXPORT_MARKDOWN, "Chat.md" },
    { "", CONFAB_CONVERSATION_EXPORT_JSON, "Chat.json" },
    { NULL, CONFAB_CONVERSATION_EXPORT_JSON, "Chat.json" },
    { "Crème brûlée", CONFAB_CONVERSATION_EXPORT_MARKDOWN, "Crème brûlée.md" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name =
          confab_conversation_export_file_name (cases[i].title, cases[i].format);
      g_assert_cmpstr (name, ==, cases[i].expected);
    }

  /* A long title is cut to 80 characters, never inside a character. */
  {
    g_autoptr (GString) title = g_string_new (NULL);
    g_autofree char *name = NULL;

    for (guint i = 0; i < 100; i++)
      g_string_append (title, "é");
    name = confab_conversation_export_file_name (title->str, CONFAB_CONVERSATION_EXPORT_MARKDOWN);
    g_assert_true (g_utf8_validate (name, -1, NULL));
    g_assert_cmpint (g_utf8_strlen (name, -1), ==, 80 + 3);
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/confab/conversation-export/markdown", Fixture, NULL, fixture_set_up, test_markdown,
              fixture_tear_down);
  g_test_add ("/confab/conversation-export/json", Fixture, NULL, fixture_set_up, test_json,
              fixture_tear_down);
  g_test_add ("/confab/conversation-export/json-parses", Fixture, NULL, fixture_set_up,
              test_json_parses, fixture_tear_down);
  g_test_add_func ("/confab/conversation-export/empty-and-untitled", test_empty_and_untitled);
  g_test_add_func ("/confab/conversation-export/missing", test_missing);
  g_test_add_func ("/confab/conversation-export/file-name", test_file_name);

  return g_test_run ();
}
