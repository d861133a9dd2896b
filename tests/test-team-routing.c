/* Team settings: a router's LLM selector and a round robin's stop phrase. */

#include <string.h>

#include "confab-core.h"
#include "confab-agent-runtime.h"
#include "confab-mock-llm-server.h"
#include "confab-team-router.h"
#include "confab-test-util.h"

#define RUN_TIMEOUT_MS 10000

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static ConfabAgent *
add_rule_agent (ConfabDatabase *db,
                const char     *name,
                const char     *answer)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *config =
    g_strdup_printf ("{\"rules\": [{\"name\": \"Any\", \"enabled\": true, \"priority\": 1,"
                     " \"match\": \"keywords_any\", \"patterns\": [\"zzzz\"],"
                     " \"responses\": [\"unused\"]}], \"fallback\": [\"%s\"]}",
                     answer);
  ConfabAgent *agent = confab_agent_new (name);

  confab_agent_set_agent_type (agent, "rule_based");
  confab_agent_set_config (agent, config);
  g_assert_true (confab_repository_create (db, CONFAB_ENTITY (agent), NULL, &error));
  g_assert_no_error (error);
  return agent;
}

typedef struct
{
  ConfabTestWorkspace *ws;
  ConfabDatabase      *db;
  ConfabMockLlmServer *server;
  ConfabUser          *user;
  ConfabProvider      *provider;
  ConfabAgent         *selector;
  ConfabAgent         *bakery;
  ConfabAgent         *dentist;
  ConfabTeam          *team;
  ConfabAgentRuntime  *runtime;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;
  const char *members[3];

  f->ws = confab_test_workspace_new ();
  f->db = f->ws->db;
  f->server = confab_mock_llm_server_new ();
  f->user = confab_test_add_user (f->db, "rosa");
  url = confab_mock_llm_server_get_url (f->server, "/v1");
  f->provider = confab_provider_new ("Mock", "openai_compatible", url);
  confab_provider_set_default_model (f->provider, "m");
  g_assert_true (confab_repository_create (f->db, CONFAB_ENTITY (f->provider), NULL, &error));

  f->selector = confab_agent_new ("Receptionist");
  confab_agent_set_agent_type (f->selector, "llm");
  confab_agent_set_provider_id (f->selector, id_of (f->provider));
  confab_agent_set_model (f->selector, "m");
  g_assert_true (confab_repository_create (f->db, CONFAB_ENTITY (f->selector), NULL, &error));
  g_assert_no_error (error);

  f->bakery = add_rule_agent (f->db, "Bakery Concierge", "Bread answer.");
  f->dentist = add_rule_agent (f->db, "Maple Dental", "Teeth answer.");

  f->team = confab_team_new ("Front Desk");
  g_assert_true (confab_repository_create (f->db, CONFAB_ENTITY (f->team), NULL, &error));
  g_assert_no_error (error);
  members[0] = id_of (f->bakery);
  members[1] = id_of (f->dentist);
  members[2] = NULL;
  g_assert_true (confab_team_set_members (f->db, id_of (f->team), members, NULL, NULL, &error));
  g_assert_no_error (error);

  f->runtime = confab_agent_runtime_new (f->db, NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->runtime);
  g_clear_object (&f->team);
  g_clear_object (&f->dentist);
  g_clear_object (&f->bakery);
  g_clear_object (&f->selector);
  g_clear_object (&f->provider);
  g_clear_object (&f->user);
  g_clear_object (&f->server);
  confab_test_drain_main_loop ();
  g_clear_pointer (&f->ws, confab_test_workspace_free);
}

static void
update_team (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (confab_repository_update (f->db, CONFAB_ENTITY (f->team), NULL, &error));
  g_assert_no_error (error);
}

static void
push_answer (ConfabMockLlmServer *server,
             const char          *text)
{
  g_autofree char *json =
    g_strdup_printf ("{\"id\":\"x\",\"object\":\"chat.completion\",\"model\":\"m\","
                     "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                     "\"content\":\"%s\"},\"finish_reason\":\"stop\"}],"
                     "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}",
                     text);

  confab_mock_llm_server_push (server, confab_mock_response_new_json (200, json));
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

/* Sends text to a new team conversation; the last reply. */
static ConfabMessage *
ask_team (Fixture    *f,
          const char *text,
          char      **out_conversation_id)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) error = NULL;
  Result r = { 0 };

  conversation = confab_agent_runtime_start_team_conversation (f->runtime, id_of (f->user),
                                                               id_of (f->team), &error);
  g_assert_no_error (error);
  confab_agent_runtime_reply_async (f->runtime, id_of (conversation), NULL, text, NULL, NULL,
                                    NULL, on_done, &r);
  g_assert_true (confab_mock_wait_until (is_done, &r, RUN_TIMEOUT_MS));
  g_assert_no_error (r.error);
  g_assert_nonnull (r.message);
  confab_test_drain_main_loop ();
  if (out_conversation_id != NULL)
    *out_conversation_id = g_strdup (id_of (conversation));
  return r.message;
}

static char *
last_route_details (Fixture *f)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;

  stmt = confab_database_prepare (f->db,
                                  "SELECT details FROM audit_log WHERE entity = 'team' "
                                  "AND action = 'route' ORDER BY rowid DESC LIMIT 1",
                                  &error);
  g_assert_no_error (error);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

static void
use_llm_selector (Fixture *f)
{
  confab_team_set_setting (f->team, "selector", "llm");
  confab_team_set_setting (f->team, "selector_agent_id", id_of (f->selector));
  update_team (f);
}

static void
test_llm_selector_picks (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *sent = NULL;
  g_autofree char *details = NULL;

  use_llm_selector (f);
  push_answer (f->server, "Maple Dental.");
  reply = ask_team (f, "my tooth hurts", NULL);

  g_assert_cmpstr (confab_message_get_agent_id (reply), ==, id_of (f->dentist));
  g_assert_cmpstr (confab_message_get_content (reply), ==, "Teeth answer.");

  /* The model saw the members and the message. */
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (f->server), ==, 1);
  body = confab_mock_request_get_json (confab_mock_llm_server_get_request (f->server, 0));
  sent = json_to_string (body, FALSE);
  g_assert_nonnull (strstr (sent, "Bakery Concierge"));
  g_assert_nonnull (strstr (sent, "Maple Dental"));
  g_assert_nonnull (strstr (sent, "my tooth hurts"));

  details = last_route_details (f);
  g_assert_nonnull (details);
  g_assert_nonnull (strstr (details, "\"valid\":true"));
  g_assert_nonnull (strstr (details, id_of (f->dentist)));
}

static void
test_llm_selector_invalid_answer (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr (ConfabMessage) reply = NULL;
  g_autofree char *details = NULL;

  use_llm_selector (f);
  push_answer (f->server, "The plumber");
  reply = ask_team (f, "my sink leaks", NULL);

  /* Nobody named: the first member answers, and that is recorded. */
  g_assert_cmpstr (confab_message_get_agent_id (reply), ==, id_of (f->bakery));
  details = last_route_details (f);
  g_assert_nonnull (strstr (details, "\"valid\":false"));
  g_assert_nonnull (strstr (details, "The plumber"));
}

static void
test_llm_selector_fails (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr (ConfabMessage) reply = NULL;
  g_autofree char *details = NULL;

  use_llm_selector (f);
  confab_mock_llm_server_push (f->server,
                               confab_mock_response_new_json (401, "{\"error\":{\"message\":"
                                                                   "\"bad key\"}}"));
  reply = ask_team (f, "hello", NULL);

  g_assert_cmpstr (confab_message_get_agent_id (reply), ==, id_of (f->bakery));
  details = last_route_details (f);
  g_assert_nonnull (strstr (details, "\"valid\":false"));
  g_assert_nonnull (strstr (details, "\"error\""));
}

static void
test_stop_phrase (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (ConfabAgent) closer = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *sql = NULL;
  const char *members[3];

  /* The second member's answer holds the phrase: two replies, not six. */
  closer = add_rule_agent (f->db, "Closer", "That is all, THANK YOU AND GOODBYE.");
  members[0] = id_of (f->bakery);
  members[1] = id_of (closer);
  members[2] = NULL;
  g_assert_true (confab_team_set_members (f->db, id_of (f->team), members, NULL, NULL, &error));
  confab_team_set_mode (f->team, "round_robin");
  confab_team_set_max_turns (f->team, 6);
  confab_team_set_setting (f->team, "stop_phrase", "thank you and goodbye");
  update_team (f);

  reply = ask_team (f, "hi", &conversation_id);
  g_assert_cmpstr (confab_message_get_agent_id (reply), ==, id_of (closer));
  sql = g_strdup_printf ("SELECT count(*) FROM messages WHERE conversation_id = '%s' "
                         "AND role = 'assistant'", conversation_id);
  g_assert_cmpint (confab_test_count_rows (f->db, sql), ==, 2);

  /* Without it, the run goes to max_turns. */
  confab_team_set_setting (f->team, "stop_phrase", NULL);
  update_team (f);
  g_clear_object (&reply);
  g_clear_pointer (&conversation_id, g_free);
  g_clear_pointer (&sql, g_free);
  reply = ask_team (f, "hi", &conversation_id);
  sql = g_strdup_printf ("SELECT count(*) FROM messages WHERE conversation_id = '%s' "
                         "AND role = 'assistant'", conversation_id);
  g_assert_cmpint (confab_test_count_rows (f->db, sql), ==, 6);
}

static void
assert_refused (Fixture    *f,
                const char *config,
                const char *words)
{
  g_autoptr (ConfabTeam) team = confab_repository_get (f->db, CONFAB_TYPE_TEAM, id_of (f->team),
                                                       NULL);
  g_autoptr (GError) error = NULL;

  confab_team_set_config (team, config);
  g_assert_false (confab_repository_update (f->db, CONFAB_ENTITY (team), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  if (strstr (error->message, words) == NULL)
    g_error ("“%s” does not say “%s”", error->message, words);
}

static void
test_config_validation (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *rule_selector = g_strdup_printf ("{\"selector\": \"llm\", "
                                                    "\"selector_agent_id\": \"%s\"}",
                                                    id_of (f->bakery));
  g_autofree char *setting = NULL;

  assert_refused (f, "[]", "JSON object");
  assert_refused (f, "{\"colour\": \"red\"}", "colour");
  assert_refused (f, "{\"stop_phrase\": 3}", "stop_phrase");
  assert_refused (f, "{\"selector\": \"dice\"}", "dice");
  assert_refused (f, "{\"selector\": \"llm\"}", "agent");
  assert_refused (f, "{\"selector\": \"llm\", \"selector_agent_id\": \"nope\"}", "nope");
  assert_refused (f, rule_selector, "LLM or hybrid");

  /* set_setting keeps the other settings. */
  confab_team_set_setting (f->team, "stop_phrase", "bye");
  confab_team_set_setting (f->team, "selector", "rules");
  setting = confab_team_dup_setting (f->team, "stop_phrase");
  g_assert_cmpstr (setting, ==, "bye");
  update_team (f);
}

static void
test_match_answer (void)
{
  g_autoptr (GPtrArray) members = g_ptr_array_new_with_free_func (g_object_unref);
  static const struct
  {
    const char *answer;
    int         index;
  } cases[] = {
    { "Bakery Concierge", 0 },
    { "  \"maple dental\". ", 1 },
    { "MAPLE DENTAL", 1 },
    { "I would pick Maple Dental for this.", 1 },
    { "Bakery Concierge or Maple Dental", -1 },
    { "the plumber", -1 },
    { "", -1 },
    { "Maple", -1 },
    { "IT Help Desk", 2 },
  };

  g_ptr_array_add (members, confab_agent_new ("Bakery Concierge"));
  g_ptr_array_add (members, confab_agent_new ("Maple Dental"));
  g_ptr_array_add (members, confab_agent_new ("IT Help-Desk"));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (confab_team_router_match_answer (members, cases[i].answer), ==,
                     cases[i].index);
  g_assert_cmpint (confab_team_router_match_answer (members, NULL), ==, -1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/confab/team-routing/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("llm-selector-picks", test_llm_selector_picks);
  ADD ("llm-selector-invalid-answer", test_llm_selector_invalid_answer);
  ADD ("llm-selector-fails", test_llm_selector_fails);
  ADD ("stop-phrase", test_stop_phrase);
  ADD ("config-validation", test_config_validation);
  g_test_add_func ("/confab/team-routing/match-answer", test_match_answer);

  return g_test_run ();
}
