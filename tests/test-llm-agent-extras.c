/* What an LLM agent does besides answering: it names the conversation
 * (generate_title) and hands it to a person ([[escalate]]); and a person
 * can ask for a person. */

#include <string.h>

#include "confab-core.h"
#include "confab-agent-runtime.h"
#include "confab-mock-llm-server.h"
#include "confab-test-util.h"
#include "confab-title-writer.h"

#define RUN_TIMEOUT_MS 10000

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

typedef struct
{
  ConfabTestWorkspace *ws;
  ConfabDatabase      *db;
  ConfabMockLlmServer *server;
  ConfabUser          *user;
  ConfabProvider      *provider;
  ConfabAgent         *agent;
  ConfabAgentRuntime  *runtime;
  ConfabConversation  *conversation;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;

  f->ws = confab_test_workspace_new ();
  f->db = f->ws->db;
  f->server = confab_mock_llm_server_new ();
  f->user = confab_test_add_user (f->db, "rosa");
  url = confab_mock_llm_server_get_url (f->server, "/v1");
  f->provider = confab_provider_new ("Mock", "openai_compatible", url);
  confab_provider_set_default_model (f->provider, "m");
  confab_provider_set_supports_streaming (f->provider, FALSE);
  g_assert_true (confab_repository_create (f->db, CONFAB_ENTITY (f->provider), NULL, &error));

  f->agent = confab_agent_new ("Writer");
  confab_agent_set_agent_type (f->agent, "llm");
  confab_agent_set_provider_id (f->agent, id_of (f->provider));
  confab_agent_set_model (f->agent, "m");
  confab_agent_set_config (f->agent, data != NULL ? data : "{}");
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
  g_clear_object (&f->provider);
  g_clear_object (&f->user);
  g_clear_object (&f->server);
  confab_test_drain_main_loop ();
  g_clear_pointer (&f->ws, confab_test_workspace_free);
}

static void
push_answer (ConfabMockLlmServer *server,
             const char          *text)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "object");
  json_builder_add_string_value (builder, "chat.completion");
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, "m");
  json_builder_set_member_name (builder, "choices");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "index");
  json_builder_add_int_value (builder, 0);
  json_builder_set_member_name (builder, "message");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "role");
  json_builder_add_string_value (builder, "assistant");
  json_builder_set_member_name (builder, "content");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "finish_reason");
  json_builder_add_string_value (builder, "stop");
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
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

static ConfabMessage *
say (Fixture    *f,
     const char *text)
{
  Result r = { 0 };

  confab_agent_runtime_reply_async (f->runtime, id_of (f->conversation), NULL, text, NULL, NULL,
                                    NULL, on_done, &r);
  g_assert_true (confab_mock_wait_until (is_done, &r, RUN_TIMEOUT_MS));
  g_assert_no_error (r.error);
  return r.message;
}

static ConfabConversation *
reload (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  ConfabConversation *c = confab_repository_get (f->db, CONFAB_TYPE_CONVERSATION,
                                                 id_of (f->conversation), &error);
  g_assert_no_error (error);
  return c;
}

typedef struct
{
  Fixture    *f;
  const char *title;
} TitleWait;

static gboolean
has_title (gpointer data)
{
  TitleWait *w = data;
  g_autoptr (ConfabConversation) c = reload (w->f);

  return g_strcmp0 (confab_conversation_get_title (c), w->title) == 0;
}

static void
test_generated_title (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (ConfabMessage) second = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autofree char *sent = NULL;
  TitleWait wait = { f, "Sourdough for a wedding" };

  push_answer (f->server, "We can bake 40 loaves for you.");
  push_answer (f->server, "\"Sourdough for a wedding.\"");
  reply = say (f, "hello, I need a lot of sourdough bread for my wedding in June please");

  g_assert_true (confab_mock_wait_until (has_title, &wait, RUN_TIMEOUT_MS));
  body = confab_mock_request_get_json (confab_mock_llm_server_get_request (f->server, 1));
  sent = json_to_string (body, FALSE);
  g_assert_nonnull (strstr (sent, "my wedding in June"));
  g_assert_nonnull (strstr (sent, "40 loaves"));

  /* Only after the first reply. */
  push_answer (f->server, "Sure.");
  second = say (f, "thanks");
  confab_test_drain_main_loop ();
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (f->server), ==, 3);
}

static void
test_no_title_unless_asked (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (ConfabConversation) c = NULL;

  push_answer (f->server, "Hello!");
  reply = say (f, "hi there");
  confab_test_drain_main_loop ();
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (f->server), ==, 1);
  c = reload (f);
  g_assert_cmpstr (confab_conversation_get_title (c), ==, "hi there");
}

static void
on_title (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Result *r = user_data;
  char *title = confab_title_writer_write_finish (result, &r->error);

  g_object_set_data_full (G_OBJECT (r->message), "title", title, g_free);
  r->done = TRUE;
}

/* Someone renamed the conversation while the model was thinking: the
 * person's title stays. */
static void
test_title_keeps_rename (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr (ConfabConversation) c = NULL;
  g_autoptr (ConfabConversation) after = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabMessage) holder = confab_message_new ("x", "user", "x");
  ConfabMockResponse *slow;
  Result r = { 0 };

  slow = confab_mock_response_new_json (200, "{\"object\":\"chat.completion\",\"choices\":[{"
                                             "\"index\":0,\"message\":{\"role\":\"assistant\","
                                             "\"content\":\"Model title\"}}]}");
  confab_mock_response_set_headers_delay (slow, 300);
  confab_mock_llm_server_push (f->server, slow);

  r.message = holder;
  confab_title_writer_write_async (f->db, NULL, id_of (f->provider), "m",
                                   id_of (f->conversation), "q", "a", NULL, on_title, &r);
  c = reload (f);
  confab_conversation_set_title (c, "Named by Rosa");
  g_assert_true (confab_repository_update (f->db, CONFAB_ENTITY (c), NULL, &error));
  g_assert_no_error (error);

  g_assert_true (confab_mock_wait_until (is_done, &r, RUN_TIMEOUT_MS));
  g_assert_no_error (r.error);
  g_assert_null (g_object_get_data (G_OBJECT (holder), "title"));
  after = reload (f);
  g_assert_cmpstr (confab_conversation_get_title (after), ==, "Named by Rosa");
}

static void
test_clean_title (void)
{
  static const struct
  {
    const char *in;
    const char *out;
  } cases[] = {
    { "Wedding bread", "Wedding bread" },
    { "\"Wedding bread.\"", "Wedding bread" },
    { "Title: Order 1234 status\nMore text", "Order 1234 status" },
    { "**Opening hours**", "Opening hours" },
    { "   ", NULL },
    { "\"\"", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = confab_title_writer_clean (cases[i].in);

      g_assert_cmpstr (got, ==, cases[i].out);
    }
  /* At most 60 characters, cut at a word. */
  {
    g_autofree char *got = confab_title_writer_clean ("A very long title that goes on and on "
                                                      "about bread and cakes and more bread");

    g_assert_cmpint (g_utf8_strlen (got, -1), <=, 60);
  }
}

static gint64
count (Fixture    *f,
       const char *sql)
{
  return confab_test_count_rows (f->db, sql);
}

static void
test_agent_escalates (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (ConfabMessage) silent = NULL;
  g_autoptr (ConfabConversation) c = NULL;

  push_answer (f->server, "I cannot change a payment myself. [[escalate]]");
  reply = say (f, "please refund me");
  g_assert_cmpstr (confab_message_get_content (reply), ==,
                   "I cannot change a payment myself.");
  c = reload (f);
  g_assert_cmpstr (confab_conversation_get_status (c), ==, "escalated");
  g_assert_cmpint (count (f, "SELECT count(*) FROM escalations WHERE status = 'pending' "
                             "AND reason = 'The agent asked for a person'"), ==, 1);

  /* The agent is silent while a person holds it. */
  silent = say (f, "hello?");
  g_assert_null (silent);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (f->server), ==, 1);
}

static void
test_agent_escalates_with_marker_only (Fixture       *f,
                                       gconstpointer  data)
{
  g_autoptr (ConfabMessage) reply = NULL;

  push_answer (f->server, "[[escalate]]");
  reply = say (f, "I want to speak to the manager");
  g_assert_cmpstr (confab_message_get_content (reply), ==,
                   "I am passing you to a person from our team.");
}

static void
test_user_escalates (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) c = NULL;

  g_assert_true (confab_agent_runtime_escalate (f->runtime, id_of (f->conversation),
                                                id_of (f->user), NULL, &error));
  g_assert_no_error (error);
  c = reload (f);
  g_assert_cmpstr (confab_conversation_get_status (c), ==, "escalated");
  g_assert_cmpint (count (f, "SELECT count(*) FROM escalations WHERE "
                             "reason = 'The user asked for a person'"), ==, 1);
  g_assert_cmpint (count (f, "SELECT count(*) FROM audit_log WHERE entity = 'conversation' "
                             "AND action = 'escalate'"), ==, 1);

  /* Twice is refused, clearly. */
  g_assert_false (confab_agent_runtime_escalate (f->runtime, id_of (f->conversation),
                                                 id_of (f->user), "again", &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_false (confab_agent_runtime_escalate (f->runtime, "no-such-id", NULL, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
}

int
main (int   argc,
      char *argv[])
{
  static const char titles[] = "{\"generate_title\": true}";

  g_test_init (&argc, &argv, NULL);

#define ADD(path, config, func) \
  g_test_add ("/confab/llm-agent/" path, Fixture, config, fixture_set_up, func, fixture_tear_down)

  ADD ("generated-title", titles, test_generated_title);
  ADD ("no-title-unless-asked", NULL, test_no_title_unless_asked);
  ADD ("title-keeps-rename", titles, test_title_keeps_rename);
  ADD ("agent-escalates", NULL, test_agent_escalates);
  ADD ("agent-escalates-marker-only", NULL, test_agent_escalates_with_marker_only);
  ADD ("user-escalates", NULL, test_user_escalates);
  g_test_add_func ("/confab/llm-agent/clean-title", test_clean_title);

  return g_test_run ();
}
