/* Conversation branches: edit and regenerate make siblings, the active
 * branch is remembered and switched, the message list and the history an
 * agent sees follow it. */

#include <string.h>

#include "confab-core.h"
#include "confab-agent-runtime.h"
#include "confab-branch.h"
#include "confab-message-list.h"
#include "confab-mock-llm-server.h"
#include "confab-test-util.h"

#define RUN_TIMEOUT_MS 10000

static const char rules[] =
  "{\"rules\": ["
  " {\"name\": \"Hours\", \"enabled\": true, \"priority\": 10, \"match\": \"keywords_any\","
  "  \"patterns\": [\"open\", \"hours\"], \"responses\": [\"We open at 8.\", \"From 8 to 18.\"]},"
  " {\"name\": \"Bread\", \"enabled\": true, \"priority\": 10, \"match\": \"keywords_any\","
  "  \"patterns\": [\"bread\"], \"responses\": [\"Sourdough every day.\"]}"
  "],"
  " \"fallback\": [\"Sorry?\"]}";

typedef struct
{
  ConfabTestWorkspace *ws;
  ConfabDatabase      *db;
  ConfabUser          *user;
  ConfabAgent         *agent;
  ConfabAgentRuntime  *runtime;
  ConfabConversation  *conversation;
} Fixture;

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  f->ws = confab_test_workspace_new ();
  f->db = f->ws->db;
  f->user = confab_test_add_user (f->db, "rosa");
  f->agent = confab_agent_new ("Baker");
  confab_agent_set_agent_type (f->agent, "rule_based");
  confab_agent_set_config (f->agent, rules);
  g_assert_true (confab_repository_create (f->db, CONFAB_ENTITY (f->agent), NULL, &error));
  g_assert_no_error (error);
  f->runtime = confab_agent_runtime_new (f->db, NULL);
  f->conversation = confab_agent_runtime_start_conversation (f->runtime, id_of (f->user),
                                                             id_of (f->agent), &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->conversation);
  g_clear_object (&f->runtime);
  g_clear_object (&f->agent);
  g_clear_object (&f->user);
  confab_test_drain_main_loop ();
  g_clear_pointer (&f->ws, confab_test_workspace_free);
}

typedef struct
{
  gboolean       done;
  ConfabMessage *message;
  GError        *error;
} Result;

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Result *r = user_data;

  r->message = confab_agent_runtime_reply_finish (CONFAB_AGENT_RUNTIME (source), result,
                                                  &r->error);
  r->done = TRUE;
}

static gboolean
is_done (gpointer data)
{
  return ((Result *) data)->done;
}

static ConfabMessage *
wait_result (Result *r)
{
  g_assert_true (confab_mock_wait_until (is_done, r, RUN_TIMEOUT_MS));
  g_assert_no_error (r->error);
  g_assert_nonnull (r->message);
  confab_test_drain_main_loop ();
  return r->message;
}

static ConfabMessage *
say (Fixture    *f,
     const char *text)
{
  Result r = { 0 };

  confab_agent_runtime_reply_async (f->runtime, id_of (f->conversation), NULL, text, NULL, NULL,
                                    NULL, on_done, &r);
  return wait_result (&r);
}

static ConfabMessage *
edit (Fixture       *f,
      ConfabMessage *message,
      const char    *text)
{
  Result r = { 0 };

  confab_agent_runtime_edit_async (f->runtime, id_of (message), text, NULL, NULL, NULL,
                                   on_done, &r);
  return wait_result (&r);
}

static ConfabMessage *
regenerate (Fixture       *f,
            ConfabMessage *message)
{
  Result r = { 0 };

  confab_agent_runtime_regenerate_async (f->runtime, id_of (message), NULL, NULL, NULL,
                                         on_done, &r);
  return wait_result (&r);
}

/* The active branch as "text|text|...", read through a fresh list model. */
static char *
branch_text (Fixture *f)
{
  g_autoptr (ConfabMessageList) list = confab_message_list_new (f->db, id_of (f->conversation));
  g_autoptr (GString) text = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (list));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabMessage) m = g_list_model_get_item (G_LIST_MODEL (list), i);

      g_string_append_printf (text, "%s%s", i ? "|" : "", confab_message_get_content (m));
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
assert_position (ConfabDatabase *db,
                 ConfabMessage  *message,
                 guint           index,
                 guint           n)
{
  g_autoptr (GError) error = NULL;
  guint got_index = G_MAXUINT, got_n = 0;

  g_assert_true (confab_branch_get_position (db, id_of (message), &got_index, &got_n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (got_index, ==, index);
  g_assert_cmpuint (got_n, ==, n);
}

static void
test_linear (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr (ConfabMessage) reply1 = say (f, "when do you open?");
  g_autoptr (ConfabMessage) reply2 = say (f, "any bread?");
  g_autoptr (ConfabMessage) leaf = NULL;
  g_autofree char *text = branch_text (f);
  g_autoptr (GError) error = NULL;

  g_assert_cmpstr (text, ==, "when do you open?|We open at 8.|any bread?|Sourdough every day.");
  assert_position (f->db, reply1, 0, 1);

  leaf = confab_branch_get_leaf (f->db, id_of (f->conversation), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id_of (leaf), ==, id_of (reply2));
  /* Each message follows the one before it. */
  g_assert_nonnull (confab_message_get_parent_message_id (reply2));
}

static void
test_edit_and_switch (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr (ConfabMessage) reply1 = say (f, "when do you open?");
  g_autoptr (ConfabMessage) reply2 = say (f, "hello there");
  g_autoptr (ConfabMessage) question2 = NULL;
  g_autoptr (ConfabMessage) edited_reply = NULL;
  g_autoptr (ConfabMessage) edited = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *before = branch_text (f);
  g_autofree char *after = NULL;
  g_autofree char *switched = NULL;
  g_autofree char *back = NULL;
  g_autofree char *prev_id = NULL;
  g_autofree char *next_id = NULL;

  g_assert_cmpstr (before, ==, "when do you open?|We open at 8.|hello there|Sorry?");
  question2 = confab_repository_get (f->db, CONFAB_TYPE_MESSAGE,
                                     confab_message_get_parent_message_id (reply2), &error);
  g_assert_no_error (error);

  /* Editing the second question: a sibling, answered, and shown instead. */
  edited_reply = edit (f, question2, "any bread?");
  g_assert_cmpstr (confab_message_get_content (edited_reply), ==, "Sourdough every day.");
  after = branch_text (f);
  g_assert_cmpstr (after, ==, "when do you open?|We open at 8.|any bread?|Sourdough every day.");

  edited = confab_repository_get (f->db, CONFAB_TYPE_MESSAGE,
                                  confab_message_get_parent_message_id (edited_reply), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_message_get_parent_message_id (edited), ==,
                   confab_message_get_parent_message_id (question2));
  assert_position (f->db, question2, 0, 2);
  assert_position (f->db, edited, 1, 2);

  prev_id = confab_branch_dup_sibling_id (f->db, id_of (edited), -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (prev_id, ==, id_of (question2));
  next_id = confab_branch_dup_sibling_id (f->db, id_of (edited), +1, &error);
  g_assert_no_error (error);
  g_assert_null (next_id);

  /* The old branch comes back whole, its reply included... */
  g_assert_true (confab_branch_switch (f->db, prev_id, &error));
  g_assert_no_error (error);
  switched = branch_text (f);
  g_assert_cmpstr (switched, ==, before);

  /* ...and so does the new one. */
  g_assert_true (confab_branch_switch (f->db, id_of (edited), &error));
  g_assert_no_error (error);
  back = branch_text (f);
  g_assert_cmpstr (back, ==, after);

  /* Nothing was lost: four messages before, two more now. */
  g_assert_cmpint (confab_test_count_rows (f->db, "SELECT count(*) FROM messages"), ==, 6);
}

static void
test_edit_first_message (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr (ConfabMessage) reply1 = say (f, "when do you open?");
  g_autoptr (ConfabMessage) reply2 = say (f, "any bread?");
  g_autoptr (ConfabMessage) first = NULL;
  g_autoptr (ConfabMessage) new_reply = NULL;
  g_autoptr (ConfabMessage) more = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *old_id = NULL;
  g_autofree char *old_text = NULL;

  first = confab_repository_get (f->db, CONFAB_TYPE_MESSAGE,
                                 confab_message_get_parent_message_id (reply1), &error);
  g_assert_no_error (error);
  new_reply = edit (f, first, "bread today?");
  text = branch_text (f);
  g_assert_cmpstr (text, ==, "bread today?|Sourdough every day.");
  assert_position (f->db, first, 0, 2);

  /* The new branch goes on from its last message. */
  more = say (f, "and your hours?");
  g_clear_pointer (&text, g_free);
  text = branch_text (f);
  g_assert_cmpstr (text, ==, "bread today?|Sourdough every day.|and your hours?|From 8 to 18.");

  old_id = confab_branch_dup_sibling_id (f->db, id_of (first), 0, &error);
  g_assert_true (confab_branch_switch (f->db, old_id, &error));
  g_assert_no_error (error);
  old_text = branch_text (f);
  g_assert_cmpstr (old_text, ==, "when do you open?|We open at 8.|any bread?|Sourdough every day.");
}

static void
test_regenerate (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr (ConfabMessage) reply1 = say (f, "when do you open?");
  g_autoptr (ConfabMessage) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  again = regenerate (f, reply1);
  g_assert_cmpstr (confab_message_get_parent_message_id (again), ==,
                   confab_message_get_parent_message_id (reply1));
  /* The rule's responses rotate with the turn; the turn is counted on the
   * branch, so the regenerated reply is the first answer once more. */
  g_assert_cmpstr (confab_message_get_content (again), ==, "We open at 8.");
  assert_position (f->db, again, 1, 2);
  text = branch_text (f);
  g_assert_cmpstr (text, ==, "when do you open?|We open at 8.");
  g_assert_cmpint (confab_test_count_rows (f->db, "SELECT count(*) FROM messages"), ==, 3);

  /* Only replies regenerate, only a person's messages are edited. */
  {
    Result r = { 0 };

    confab_agent_runtime_regenerate_async (f->runtime, confab_message_get_parent_message_id (reply1),
                                           NULL, NULL, NULL, on_done, &r);
    g_assert_true (confab_mock_wait_until (is_done, &r, RUN_TIMEOUT_MS));
    g_assert_error (r.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
    g_assert_null (r.message);
    g_clear_error (&r.error);
  }
  {
    Result r = { 0 };

    confab_agent_runtime_edit_async (f->runtime, id_of (reply1), "x", NULL, NULL, NULL,
                                     on_done, &r);
    g_assert_true (confab_mock_wait_until (is_done, &r, RUN_TIMEOUT_MS));
    g_assert_error (r.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
    g_clear_error (&r.error);
  }
  g_assert_cmpint (confab_test_count_rows (f->db, "SELECT count(*) FROM messages"), ==, 3);
}

static void
count_changes (GListModel *model,
               guint       position,
               guint       removed,
               guint       added,
               guint      *n_changes)
{
  (*n_changes)++;
}

/* A live list resets when the branch switches. */
static void
test_live_list (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (ConfabMessage) reply1 = say (f, "when do you open?");
  g_autoptr (ConfabMessage) reply2 = say (f, "hello there");
  g_autoptr (ConfabMessageList) list = confab_message_list_new (f->db, id_of (f->conversation));
  g_autoptr (ConfabMessage) reply3 = NULL;
  g_autoptr (ConfabMessage) last = NULL;
  g_autoptr (ConfabMessage) question2 = NULL;
  g_autoptr (GError) error = NULL;
  guint n_changes = 0;

  g_signal_connect (list, "items-changed", G_CALLBACK (count_changes), &n_changes);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 4);

  question2 = confab_repository_get (f->db, CONFAB_TYPE_MESSAGE,
                                     confab_message_get_parent_message_id (reply2), &error);
  reply3 = edit (f, question2, "any bread?");
  confab_message_list_refresh (list);
  g_assert_cmpuint (n_changes, >, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 4);
  last = g_list_model_get_item (G_LIST_MODEL (list), 3);
  g_assert_cmpstr (id_of (last), ==, id_of (reply3));

  n_changes = 0;
  g_assert_true (confab_branch_switch (f->db, id_of (question2), &error));
  g_assert_no_error (error);
  confab_message_list_refresh (list);
  g_assert_cmpuint (n_changes, >, 0);
  g_clear_object (&last);
  last = g_list_model_get_item (G_LIST_MODEL (list), 3);
  g_assert_cmpstr (id_of (last), ==, id_of (reply2));

  /* Switching to what is shown changes nothing. */
  n_changes = 0;
  g_assert_true (confab_branch_switch (f->db, id_of (question2), &error));
  confab_message_list_refresh (list);
  g_assert_cmpuint (n_changes, ==, 0);
}

/* The agent's history is the active branch: what was edited away is not
 * sent to the model. */
static void
test_llm_history_follows_branch (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabUser) user = confab_test_add_user (ws->db, "rosa");
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (ConfabAgent) agent = confab_agent_new ("Writer");
  g_autoptr (ConfabAgentRuntime) runtime = confab_agent_runtime_new (ws->db, NULL);
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = confab_mock_llm_server_get_url (server, "/v1");
  const char *messages_json;
  Fixture f = { 0 };
  const char *reply_json =
    "{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"m\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"OK\"},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";
  g_autoptr (ConfabMessage) r1 = NULL;
  g_autoptr (ConfabMessage) r2 = NULL;
  g_autoptr (ConfabMessage) r3 = NULL;
  g_autoptr (ConfabMessage) q2 = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *sent = NULL;

  provider = confab_provider_new ("Mock", "openai_compatible", url);
  confab_provider_set_default_model (provider, "m");
  confab_provider_set_supports_streaming (provider, FALSE);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (provider), NULL, &error));
  confab_agent_set_agent_type (agent, "llm");
  confab_agent_set_provider_id (agent, id_of (provider));
  confab_agent_set_model (agent, "m");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (agent), NULL, &error));
  g_assert_no_error (error);
  conversation = confab_agent_runtime_start_conversation (runtime, id_of (user), id_of (agent),
                                                          &error);
  g_assert_no_error (error);

  f.ws = NULL;
  f.db = ws->db;
  f.runtime = runtime;
  f.conversation = conversation;
  for (int i = 0; i < 3; i++)
    confab_mock_llm_server_push (server, confab_mock_response_new_json (200, reply_json));
  r1 = say (&f, "first question");
  r2 = say (&f, "WRONG second question");
  q2 = confab_repository_get (ws->db, CONFAB_TYPE_MESSAGE,
                              confab_message_get_parent_message_id (r2), &error);
  r3 = edit (&f, q2, "better second question");

  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 3);
  body = confab_mock_request_get_json (confab_mock_llm_server_get_request (server, 2));
  sent = json_to_string (body, FALSE);
  messages_json = sent;
  g_assert_nonnull (strstr (messages_json, "first question"));
  g_assert_nonnull (strstr (messages_json, "better second question"));
  g_assert_null (strstr (messages_json, "WRONG"));
  f.runtime = NULL;
  f.conversation = NULL;
}

/* A file exported before branches were stored (no depth, no selection):
 * the import lays the branches out from the parent links. */
static void
test_import_rebuilds (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (ws->dir, "old.json", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (ConfabMessageList) list = NULL;
  g_autoptr (ConfabMessage) last = NULL;
  guint index, n;
  const char *json =
    "{\"format\": \"" CONFAB_EXPORT_FORMAT "\", \"format_version\": 1, \"schema_version\": 3,"
    " \"tables\": {"
    "\"users\": [{\"id\": \"u1\", \"username\": \"rosa\", \"name\": \"Rosa\","
    "  \"email\": \"r@example.com\", \"role\": \"client\", \"created_at\": \"t\", \"updated_at\": \"t\"}],"
    "\"conversations\": [{\"id\": \"c1\", \"user_id\": \"u1\", \"title\": \"T\","
    "  \"status\": \"active\", \"created_at\": \"t\", \"updated_at\": \"t\"}],"
    "\"messages\": ["
    " {\"id\": \"m0\", \"conversation_id\": \"c1\", \"seq\": 0, \"role\": \"user\", \"content\": \"q\","
    "  \"created_at\": \"t\", \"updated_at\": \"t\"},"
    " {\"id\": \"m1\", \"conversation_id\": \"c1\", \"seq\": 1, \"parent_message_id\": \"m0\","
    "  \"role\": \"assistant\", \"content\": \"a1\", \"created_at\": \"t\", \"updated_at\": \"t\"},"
    " {\"id\": \"m2\", \"conversation_id\": \"c1\", \"seq\": 2, \"parent_message_id\": \"m0\","
    "  \"role\": \"assistant\", \"content\": \"a2\", \"created_at\": \"t\", \"updated_at\": \"t\"},"
    " {\"id\": \"m3\", \"conversation_id\": \"c1\", \"seq\": 3, \"parent_message_id\": \"m2\","
    "  \"role\": \"user\", \"content\": \"q2\", \"created_at\": \"t\", \"updated_at\": \"t\"}"
    "]}}";

  g_assert_true (g_file_set_contents (path, json, -1, &error));
  g_assert_true (confab_import_from_file (ws->db, file, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  /* The newest of the two replies was the one shown, and q2 follows it. */
  list = confab_message_list_new (ws->db, "c1");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 3);
  last = g_list_model_get_item (G_LIST_MODEL (list), 2);
  g_assert_cmpstr (id_of (last), ==, "m3");
  g_assert_true (confab_branch_get_position (ws->db, "m2", &index, &n, &error));
  g_assert_cmpuint (index, ==, 1);
  g_assert_cmpuint (n, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/confab/branches/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("linear", test_linear);
  ADD ("edit-and-switch", test_edit_and_switch);
  ADD ("edit-first-message", test_edit_first_message);
  ADD ("regenerate", test_regenerate);
  ADD ("live-list", test_live_list);
  g_test_add_func ("/confab/branches/llm-history-follows-branch", test_llm_history_follows_branch);
  g_test_add_func ("/confab/branches/import-rebuilds", test_import_rebuilds);

  return g_test_run ();
}
