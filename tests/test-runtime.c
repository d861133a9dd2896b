/* The agent runtime: the prompt builder (system prompt, numbered context,
 * history trimming), rule-based, LLM and hybrid replies against the mock
 * server, escalation and the end action, teams (router, sequential,
 * round_robin, a failing member, cancellation), and confab-cli chat and
 * conversations show end to end.
 *
 * Run through tools/run-tests (a session bus and a throwaway keyring): the
 * runtime looks up provider keys there; the mock providers need none. */

#include "config.h"

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>

#include "confab-agent-runtime.h"
#include "confab-mock-llm-server.h"
#include "confab-prompt-builder.h"
#include "confab-rule-set.h"
#include "confab-test-util.h"

#define SERVED_MODEL   "mock-model-0613"
#define AGENT_MODEL    "mock-model"
/* Generous: CI machines can be slow. */
#define RUN_TIMEOUT_MS 60000

#define OPENING_HOURS  "We are open Tuesday to Sunday, 7am to 6pm, and closed on Mondays."
#define HOURS_CHUNK    "Sunrise Bakery is open Tuesday to Sunday from 7am to 6pm. " \
                       "We are closed on Mondays."
#define GLUTEN_CHUNK   "Gluten-free products: buckwheat loaf, almond cake and chestnut cookies."

/* The rules of the demo's Bakery Concierge, plus an ending rule. */
static const char bakery_rules[] =
  "{\"rules\": ["
  " {\"name\": \"Opening hours\", \"enabled\": true, \"priority\": 10, \"match\": \"keywords_any\","
  "  \"patterns\": [\"open\", \"opening\", \"hours\", \"close\", \"closing\"],"
  "  \"responses\": [\"" OPENING_HOURS "\"]},"
  " {\"name\": \"Gluten free\", \"enabled\": true, \"priority\": 8, \"match\": \"keywords_any\","
  "  \"patterns\": [\"gluten\", \"celiac\", \"coeliac\"],"
  "  \"responses\": [\"Our buckwheat loaf and almond cakes are gluten free.\"]},"
  " {\"name\": \"Order number\", \"enabled\": true, \"priority\": 9, \"match\": \"regex\","
  "  \"patterns\": [\"order\\\\s*#?(?<order>\\\\d{4,})\"],"
  "  \"responses\": [\"Thanks! I am looking up order {{order}} for you.\"]},"
  " {\"name\": \"Talk to a person\", \"enabled\": true, \"priority\": 20,"
  "  \"match\": \"keywords_any\", \"patterns\": [\"human\", \"person\", \"complaint\"],"
  "  \"responses\": [\"I am passing you to Tomás from our team.\"], \"action\": \"escalate\"},"
  " {\"name\": \"Goodbye\", \"enabled\": true, \"priority\": 5, \"match\": \"keywords_any\","
  "  \"patterns\": [\"bye\", \"goodbye\"], \"responses\": [\"Goodbye, {{user.name}}!\"],"
  "  \"action\": \"end\"}"
  "],"
  " \"fallback\": [\"Sorry, I did not catch that.\", \"I am not sure I understood.\"]}";

#define HYBRID_FALLBACK "Let me check that for you."
/* What the rule set adds to a fallback answer from the second miss in a row. */
#define OFFER           "Would you like to talk to a person?"

static const char hybrid_rules[] =
  "{\"rules\": ["
  " {\"name\": \"Order number\", \"enabled\": true, \"priority\": 9, \"match\": \"regex\","
  "  \"patterns\": [\"order\\\\s*#?(?<order>\\\\d{4,})\"],"
  "  \"responses\": [\"Thanks! I am looking up order {{order}} for you.\"]}"
  "],"
  " \"fallback\": [\"" HYBRID_FALLBACK "\"]}";

/* ------------------------------------------------------------------------ */
/* Scripted OpenAI streams                                                  */
/* ------------------------------------------------------------------------ */

static char *
json_quote (const char *text)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_VALUE);

  json_node_set_string (node, text);
  return json_to_string (node, FALSE);
}

static char *
sse_delta (const char *content)
{
  g_autofree char *quoted = json_quote (content);

  return g_strdup_printf ("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
                          "\"model\":\"" SERVED_MODEL "\",\"choices\":[{\"index\":0,"
                          "\"delta\":{\"content\":%s},\"finish_reason\":null}]}\n\n",
                          quoted);
}

static const char sse_stop[] =
  "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"" SERVED_MODEL "\","
  "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
static const char sse_usage[] =
  "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"" SERVED_MODEL "\","
  "\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,"
  "\"total_tokens\":17}}\n\n";
static const char sse_done[] = "data: [DONE]\n\n";

/* The pieces, each delay_ms after the previous, then stop, usage, [DONE]. */
static void
push_stream (ConfabMockLlmServer *server,
             const char * const  *pieces,
             guint                delay_ms)
{
  ConfabMockResponse *r = confab_mock_response_new (200, "text/event-stream");

  for (guint i = 0; pieces[i] != NULL; i++)
    {
      g_autofree char *event = sse_delta (pieces[i]);

      confab_mock_response_add_chunk (r, i == 0 ? 0 : delay_ms, event, -1);
    }
  confab_mock_response_add_chunk (r, 0, sse_stop, -1);
  confab_mock_response_add_chunk (r, 0, sse_usage, -1);
  confab_mock_response_add_chunk (r, 0, sse_done, -1);
  confab_mock_llm_server_push (server, r);
}

static void
push_server_error (ConfabMockLlmServer *server)
{
  confab_mock_llm_server_push (server,
                               confab_mock_response_new_json (500,
                                                              "{\"error\":{\"message\":"
                                                              "\"the oven is on fire\"}}"));
}

/* ------------------------------------------------------------------------ */
/* Workspace helpers                                                        */
/* ------------------------------------------------------------------------ */

static void
create (ConfabDatabase *db,
        gpointer        entity)
{
  g_autoptr (GError) error = NULL;

  confab_repository_create (db, CONFAB_ENTITY (entity), NULL, &error);
  g_assert_no_error (error);
}

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static ConfabProvider *
add_mock_provider (ConfabDatabase      *db,
                   ConfabMockLlmServer *server,
                   const char          *name)
{
  g_autofree char *url = confab_mock_llm_server_get_url (server, "/v1");
  ConfabProvider *provider = confab_provider_new (name, "openai_compatible", url);

  confab_provider_set_default_model (provider, AGENT_MODEL);
  create (db, provider);
  return provider;
}

static ConfabAgent *
add_agent (ConfabDatabase *db,
           const char     *name,
           const char     *type,
           const char     *provider_id,
           const char     *config)
{
  ConfabAgent *agent = confab_agent_new (name);

  confab_agent_set_agent_type (agent, type);
  confab_agent_set_provider_id (agent, provider_id);
  if (provider_id != NULL)
    confab_agent_set_model (agent, AGENT_MODEL);
  if (config != NULL)
    confab_agent_set_config (agent, config);
  create (db, agent);
  return agent;
}

/* A knowledge base "Bakery FAQ" with faq.md (chunks 0: hours, 1: gluten)
 * linked to agent; returns the id of the hours chunk. */
static char *
add_faq (ConfabDatabase *db,
         ConfabAgent    *agent)
{
  g_autoptr (ConfabKnowledgeBase) kb = confab_knowledge_base_new ("Bakery FAQ");
  g_autoptr (ConfabDocument) document = NULL;
  g_autoptr (GError) error = NULL;
  const char * const texts[] = { HOURS_CHUNK, GLUTEN_CHUNK, NULL };
  g_autofree char *sql = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;

  create (db, kb);
  document = confab_document_new (id_of (kb), "faq.md");
  confab_document_set_content_type (document, "text/markdown");
  create (db, document);
  confab_document_replace_chunks (db, id_of (document), texts, NULL, &error);
  g_assert_no_error (error);
  confab_agent_add_knowledge_base (db, id_of (agent), id_of (kb), NULL, &error);
  g_assert_no_error (error);

  stmt = confab_database_prepare (db, "SELECT id FROM chunks WHERE ordinal = 0 AND document_id = ?",
                                  &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, id_of (document), -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

static ConfabMessage *
get_message (ConfabDatabase *db,
             const char     *id)
{
  g_autoptr (GError) error = NULL;
  ConfabMessage *message = confab_repository_get (db, CONFAB_TYPE_MESSAGE, id, &error);

  g_assert_no_error (error);
  return message;
}

static ConfabConversation *
get_conversation (ConfabDatabase *db,
                  const char     *id)
{
  g_autoptr (GError) error = NULL;
  ConfabConversation *c = confab_repository_get (db, CONFAB_TYPE_CONVERSATION, id, &error);

  g_assert_no_error (error);
  return c;
}

static gint64
count_messages (ConfabDatabase *db,
                const char     *conversation_id,
                const char     *role)
{
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GError) error = NULL;
  gint64 n = 0;

  messages = confab_repository_list (db, CONFAB_TYPE_MESSAGE, "conversation_id", conversation_id,
                                     &error);
  g_assert_no_error (error);
  for (guint i = 0; i < messages->len; i++)
    {
      ConfabMessage *message = g_ptr_array_index (messages, i);

      if (role == NULL || g_str_equal (confab_message_get_role (message), role))
        n++;
    }
  return n;
}

static void
assert_answer (ConfabDatabase *db,
               ConfabMessage  *message,
               const char     *answered_by,
               const char     *rule_name)
{
  g_autofree char *by = NULL;
  g_autofree char *rule = NULL;
  g_autoptr (GError) error = NULL;

  confab_agent_runtime_lookup_answer (db, id_of (message), &by, &rule, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (by, ==, answered_by);
  g_assert_cmpstr (rule, ==, rule_name);
}

/* ------------------------------------------------------------------------ */
/* Running a reply                                                          */
/* ------------------------------------------------------------------------ */

typedef struct
{
  ConfabDatabase *db;
  gboolean        done;
  ConfabMessage  *message;
  GError         *error;
  GString        *streamed;
  GString        *events;        /* "S D D R E" */
  char           *started_id;
  char           *status_at_start;
  char           *stored_at_second_delta;  /* the row's content when delta 2 came */
  guint           n_deltas;
  GCancellable   *cancel_after_first;
  gpointer        task;          /* weak: the GTask must go away once done */
} Run;

static void
run_clear (Run *run)
{
  g_clear_object (&run->message);
  g_clear_error (&run->error);
  if (run->streamed != NULL)
    g_string_free (run->streamed, TRUE);
  if (run->events != NULL)
    g_string_free (run->events, TRUE);
  g_free (run->started_id);
  g_free (run->status_at_start);
  g_free (run->stored_at_second_delta);
  memset (run, 0, sizeof *run);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
on_event (ConfabRuntimeEvent  event,
          const char         *text,
          gpointer            user_data)
{
  Run *run = user_data;

  switch (event)
    {
    case CONFAB_RUNTIME_EVENT_STARTED:
      {
        g_autoptr (ConfabMessage) stored = get_message (run->db, text);

        /* A team run starts several replies: keep the latest. */
        g_string_append (run->events, "S");
        g_free (run->started_id);
        run->started_id = g_strdup (text);
        g_free (run->status_at_start);
        run->status_at_start = g_strdup (confab_message_get_status (stored));
      }
      break;
    case CONFAB_RUNTIME_EVENT_DELTA:
      g_string_append (run->events, "D");
      g_string_append (run->streamed, text);
      if (++run->n_deltas == 2 && run->started_id != NULL)
        {
          g_autoptr (ConfabMessage) stored = get_message (run->db, run->started_id);

          run->stored_at_second_delta = g_strdup (confab_message_get_content (stored));
        }
      if (run->cancel_after_first != NULL)
        g_cancellable_cancel (run->cancel_after_first);
      break;
    case CONFAB_RUNTIME_EVENT_REPLACE:
      g_string_append (run->events, "R");
      g_string_assign (run->streamed, text);
      break;
    case CONFAB_RUNTIME_EVENT_DONE:
      g_string_append (run->events, "E");
      g_assert_cmpstr (text, ==, run->started_id);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
on_reply_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Run *run = user_data;

  run->message = confab_agent_runtime_reply_finish (CONFAB_AGENT_RUNTIME (source), result,
                                                    &run->error);
  run->task = result;
  g_object_add_weak_pointer (G_OBJECT (result), &run->task);
  run->done = TRUE;
}

static gboolean
is_done (gpointer data)
{
  return *(gboolean *) data;
}

static void
reply_full (ConfabAgentRuntime *runtime,
            const char         *conversation_id,
            const char         *text,
            GCancellable       *cancellable,
            Run                *run)
{
  run_clear (run);
  run->db = confab_agent_runtime_get_database (runtime);
  run->streamed = g_string_new (NULL);
  run->events = g_string_new (NULL);
  run->cancel_after_first = cancellable;

  confab_agent_runtime_reply_async (runtime, conversation_id, NULL, text, on_event, run,
                                    cancellable, on_reply_done, run);
  /* Never answered from inside the call. */
  g_assert_false (run->done);
  g_assert_cmpstr (run->events->str, ==, "");
  if (!confab_mock_wait_until (is_done, &run->done, RUN_TIMEOUT_MS))
    g_error ("The reply did not finish within %d s", RUN_TIMEOUT_MS / 1000);

  /* Nothing of the call stays behind: no task, no timer, no source. */
  confab_test_drain_main_loop ();
  g_assert_null (run->task);
}

#define reply(runtime, conversation_id, text, run) \
  reply_full (runtime, conversation_id, text, NULL, run)

/* ------------------------------------------------------------------------ */
/* Fixture: a workspace, a client, a runtime, a mock server                 */
/* ------------------------------------------------------------------------ */

typedef struct
{
  ConfabTestWorkspace *ws;
  ConfabDatabase      *db;
  ConfabUser          *user;
  ConfabAgentRuntime  *runtime;
  ConfabMockLlmServer *server;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->ws = confab_test_workspace_new ();
  f->db = f->ws->db;
  f->user = confab_test_add_user (f->db, "lena");
  confab_user_set_name (f->user, "Lena");
  {
    g_autoptr (GError) error = NULL;

    confab_repository_update (f->db, CONFAB_ENTITY (f->user), NULL, &error);
    g_assert_no_error (error);
  }
  f->runtime = confab_agent_runtime_new (f->db, NULL);
  f->server = confab_mock_llm_server_new ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->runtime);
  g_clear_object (&f->server);
  g_clear_object (&f->user);
  confab_test_drain_main_loop ();
  g_clear_pointer (&f->ws, confab_test_workspace_free);
}

static char *
start (Fixture     *f,
       ConfabAgent *agent)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) c = NULL;

  c = confab_agent_runtime_start_conversation (f->runtime, id_of (f->user), id_of (agent), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_conversation_get_status (c), ==, "active");
  return g_strdup (id_of (c));
}

/* ------------------------------------------------------------------------ */
/* Prompt builder                                                           */
/* ------------------------------------------------------------------------ */

static GHashTable *
fixed_variables (ConfabAgent *agent,
                 ConfabUser  *user)
{
  g_autoptr (GDateTime) when = g_date_time_new_local (2026, 11, 23, 12, 0, 0);

  return confab_prompt_builder_new_variables (agent, user, when);
}

static void
test_prompt_system_inline (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr (ConfabAgent) agent = confab_agent_new ("Bakery Bot");
  g_autoptr (GHashTable) variables = NULL;
  g_autoptr (ConfabPromptVersion) version = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *empty = NULL;

  confab_agent_set_agent_type (agent, "llm");
  create (f->db, agent);
  variables = fixed_variables (agent, f->user);
  g_assert_cmpstr (g_hash_table_lookup (variables, "user.name"), ==, "Lena");
  g_assert_cmpstr (g_hash_table_lookup (variables, "agent.name"), ==, "Bakery Bot");
  g_assert_cmpstr (g_hash_table_lookup (variables, "date"), ==, "2026-11-23");

  /* No system prompt at all: "", not an error. */
  empty = confab_prompt_builder_resolve_system (f->db, agent, variables, &version, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (empty, ==, "");
  g_assert_null (version);

  confab_agent_set_system_prompt (agent, "You are {{agent.name}}. Greet {{user.name}}; "
                                         "today is {{date}}.");
  text = confab_prompt_builder_resolve_system (f->db, agent, variables, &version, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "You are Bakery Bot. Greet Lena; today is 2026-11-23.");
  g_assert_null (version);
  g_clear_pointer (&text, g_free);

  /* A variable nobody provides is an error that names it. */
  confab_agent_set_system_prompt (agent, "Hello {{customer_tier}}!");
  text = confab_prompt_builder_resolve_system (f->db, agent, variables, NULL, &error);
  g_assert_null (text);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "customer_tier"));
  g_assert_nonnull (strstr (error->message, "Bakery Bot"));
}

static void
test_prompt_system_library (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr (ConfabPrompt) prompt = confab_prompt_new ("bakery/assistant");
  g_autoptr (ConfabPromptVersion) v1 = NULL;
  g_autoptr (ConfabPromptVersion) v2 = NULL;
  g_autoptr (ConfabPromptVersion) v3 = NULL;
  g_autoptr (ConfabPromptVersion) used = NULL;
  g_autoptr (ConfabAgent) agent = confab_agent_new ("Concierge");
  g_autoptr (GHashTable) variables = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  create (f->db, prompt);
  v1 = confab_prompt_save_version (f->db, id_of (prompt), "Version one for {{user.name}}.",
                                   "first", NULL, &error);
  g_assert_no_error (error);
  v2 = confab_prompt_save_version (f->db, id_of (prompt), "Version two, {{agent.name}}.",
                                   "second", NULL, &error);
  g_assert_no_error (error);
  v3 = confab_prompt_save_version (f->db, id_of (prompt), "Version three needs {{coupon}}.",
                                   "third", NULL, &error);
  g_assert_no_error (error);
  confab_prompt_set_label (f->db, id_of (prompt), "production", id_of (v1), NULL, &error);
  g_assert_no_error (error);

  confab_agent_set_agent_type (agent, "llm");
  confab_agent_set_system_prompt (agent, "The inline prompt is not used.");
  confab_agent_set_prompt_id (agent, id_of (prompt));
  confab_agent_set_prompt_label (agent, "production");
  create (f->db, agent);
  variables = fixed_variables (agent, f->user);

  /* By label. */
  text = confab_prompt_builder_resolve_system (f->db, agent, variables, &used, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "Version one for Lena.");
  g_assert_cmpint (confab_prompt_version_get_version (used), ==, 1);
  g_clear_pointer (&text, g_free);
  g_clear_object (&used);

  /* By number. */
  confab_agent_set_prompt_label (agent, NULL);
  confab_agent_set_prompt_version (agent, 2);
  text = confab_prompt_builder_resolve_system (f->db, agent, variables, &used, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "Version two, Concierge.");
  g_assert_cmpint (confab_prompt_version_get_version (used), ==, 2);
  g_clear_pointer (&text, g_free);
  g_clear_object (&used);

  /* The newest ("latest"), whose variable is missing. */
  confab_agent_set_prompt_version (agent, 0);
  confab_agent_set_prompt_label (agent, "latest");
  text = confab_prompt_builder_resolve_system (f->db, agent, variables, &used, &error);
  g_assert_null (text);
  g_assert_null (used);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "coupon"));
  g_clear_error (&error);

  /* A label that does not exist. */
  confab_agent_set_prompt_label (agent, "staging");
  text = confab_prompt_builder_resolve_system (f->db, agent, variables, NULL, &error);
  g_assert_null (text);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
}

static ConfabMessage *
history_message (const char *role,
                 const char *status,
                 const char *content)
{
  ConfabMessage *message = confab_message_new ("c", role, content);

  confab_message_set_status (message, status);
  return message;
}

static ConfabRetrievedChunk *
retrieved (const char *chunk_id,
           const char *document_id,
           const char *kb_id,
           const char *filename,
           int         ordinal,
           const char *text)
{
  ConfabRetrievedChunk *chunk = g_new0 (ConfabRetrievedChunk, 1);

  chunk->chunk_id = g_strdup (chunk_id);
  chunk->document_id = g_strdup (document_id);
  chunk->knowledge_base_id = g_strdup (kb_id);
  chunk->filename = g_strdup (filename);
  chunk->ordinal = ordinal;
  chunk->text = g_strdup (text);
  return chunk;
}

static void
test_prompt_context (void)
{
  g_autoptr (ConfabAgent) agent = confab_agent_new ("Helper");
  g_autoptr (ConfabProvider) provider = confab_provider_new ("P", "openai_compatible", "http://x");
  g_autoptr (GPtrArray) sources =
    g_ptr_array_new_with_free_func ((GDestroyNotify) confab_retrieved_chunk_free);
  g_autoptr (ConfabChatRequest) request = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *refs = NULL;
  const char *system;
  JsonArray *array;
  JsonObject *ref;

  confab_agent_set_model (agent, "m");
  g_ptr_array_add (sources, retrieved ("chunk-1", "doc-1", "kb-1", "faq.md", 3, HOURS_CHUNK));
  g_ptr_array_add (sources, retrieved ("chunk-2", "doc-2", "kb-2", "allergens.txt", 0,
                                       "  " GLUTEN_CHUNK "\n"));

  request = confab_prompt_builder_build (agent, provider, NULL, "You are a baker.", NULL,
                                         "When are you open?", sources, NULL, &error);
  g_assert_no_error (error);
  system = confab_chat_request_get_system (request);
  g_assert_true (g_str_has_prefix (system, "You are a baker.\n\n"));
  g_assert_nonnull (strstr (system, "[1]"));
  g_assert_nonnull (strstr (system, "cite"));
  g_assert_nonnull (strstr (system, "\n[1] faq.md: " HOURS_CHUNK "\n"));
  g_assert_nonnull (strstr (system, "\n[2] allergens.txt: " GLUTEN_CHUNK "\n"));
  g_assert_true (strstr (system, "[1] faq.md") < strstr (system, "[2] allergens.txt"));
  g_assert_cmpuint (confab_chat_request_get_n_messages (request), ==, 1);
  g_assert_cmpstr (confab_chat_request_get_message_content (request, 0), ==, "When are you open?");
  g_assert_cmpstr (confab_chat_request_get_model (request), ==, "m");
  g_assert_cmpint (confab_chat_request_get_max_tokens (request), ==, 1024);
  g_assert_cmpfloat_with_epsilon (confab_chat_request_get_temperature (request), 0.7, 1e-9);

  /* Without a system prompt, the context is the system prompt. */
  g_clear_object (&request);
  request = confab_prompt_builder_build (agent, provider, NULL, "", NULL, "Hi", sources, NULL,
                                         &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (confab_chat_request_get_system (request), "Use the numbered"));

  /* Only what the reply cites is a reference, in the order of n. */
  refs = confab_prompt_builder_cited_sources (sources, "Open daily [2], mostly [1, 2]. Not [3] "
                                                       "nor [x].");
  g_assert_true (json_parser_load_from_data (parser, refs, -1, NULL));
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  ref = json_array_get_object_element (array, 0);
  g_assert_cmpint (json_object_get_int_member (ref, "n"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (ref, "chunk_id"), ==, "chunk-1");
  g_assert_cmpstr (json_object_get_string_member (ref, "document_id"), ==, "doc-1");
  g_assert_cmpstr (json_object_get_string_member (ref, "knowledge_base_id"), ==, "kb-1");
  g_assert_cmpint (json_object_get_int_member (ref, "ordinal"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (ref, "filename"), ==, "faq.md");
  ref = json_array_get_object_element (array, 1);
  g_assert_cmpint (json_object_get_int_member (ref, "n"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (ref, "filename"), ==, "allergens.txt");
  g_clear_pointer (&refs, g_free);

  refs = confab_prompt_builder_cited_sources (sources, "No citation here [0] [12].");
  g_assert_cmpstr (refs, ==, "[]");
  g_clear_pointer (&refs, g_free);
  refs = confab_prompt_builder_cited_sources (NULL, "[1]");
  g_assert_cmpstr (refs, ==, "[]");
}

static void
test_prompt_model_settings (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr (ConfabAgent) agent = confab_agent_new ("Helper");
  g_autoptr (ConfabProvider) provider = confab_provider_new ("P", "openai_compatible", "http://x");
  g_autoptr (ConfabPromptVersion) version = confab_prompt_version_new ("p", "body");
  g_autoptr (ConfabChatRequest) request = NULL;
  g_autoptr (GError) error = NULL;

  /* Neither the agent nor the provider names a model. */
  request = confab_prompt_builder_build (agent, provider, NULL, NULL, NULL, "Hi", NULL, NULL,
                                         &error);
  g_assert_null (request);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Helper"));
  g_clear_error (&error);

  /* The provider's default, the agent's settings. */
  confab_provider_set_default_model (provider, "default-model");
  confab_agent_set_temperature (agent, 0.25);
  confab_agent_set_max_tokens (agent, 300);
  request = confab_prompt_builder_build (agent, provider, version, NULL, NULL, "Hi", NULL, NULL,
                                         &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_chat_request_get_model (request), ==, "default-model");
  g_assert_cmpint (confab_chat_request_get_max_tokens (request), ==, 300);
  g_assert_cmpfloat_with_epsilon (confab_chat_request_get_temperature (request), 0.25, 1e-9);
  g_assert_null (confab_chat_request_get_system (request));
  g_clear_object (&request);

  /* A library version that names a model brings its own settings. */
  confab_agent_set_provider_id (agent, "agent-provider");
  g_assert_cmpstr (confab_prompt_builder_pick_provider_id (agent, version), ==, "agent-provider");
  confab_prompt_version_set_provider_id (version, "version-provider");
  /* ...but only when it names a model. */
  g_assert_cmpstr (confab_prompt_builder_pick_provider_id (agent, version), ==, "agent-provider");
  confab_prompt_version_set_model (version, "version-model");
  confab_prompt_version_set_temperature (version, 1.5);
  confab_prompt_version_set_max_tokens (version, 64);
  g_assert_cmpstr (confab_prompt_builder_pick_provider_id (agent, version), ==, "version-provider");
  request = confab_prompt_builder_build (agent, provider, version, NULL, NULL, "Hi", NULL, NULL,
                                         &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_chat_request_get_model (request), ==, "version-model");
  g_assert_cmpint (confab_chat_request_get_max_tokens (request), ==, 64);
  g_assert_cmpfloat_with_epsilon (confab_chat_request_get_temperature (request), 1.5, 1e-9);
  g_clear_object (&request);

  /* Nothing to answer. */
  request = confab_prompt_builder_build (agent, provider, NULL, NULL, NULL, "", NULL, NULL, &error);
  g_assert_null (request);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
}

static void
test_prompt_estimate (void)
{
  g_assert_cmpuint (confab_prompt_builder_estimate_tokens (NULL), ==, 4);
  g_assert_cmpuint (confab_prompt_builder_estimate_tokens (""), ==, 4);
  g_assert_cmpuint (confab_prompt_builder_estimate_tokens ("abc"), ==, 4);
  g_assert_cmpuint (confab_prompt_builder_estimate_tokens ("abcd"), ==, 5);
  /* Characters, not bytes. */
  g_assert_cmpuint (confab_prompt_builder_estimate_tokens ("日本語の"), ==, 5);
  {
    g_autofree char *forty = g_strnfill (40, 'x');

    g_assert_cmpuint (confab_prompt_builder_estimate_tokens (forty), ==, 14);
  }
}

/* History trimming over context windows. Six turns u0 a1 u2 a3 u4 a5 of 40
 * characters (14 tokens each); the new message "question" costs 6 tokens;
 * max_tokens 100; system prompt none or 400 characters (104 tokens). */
typedef struct
{
  int         context_window;
  gboolean    with_system;
  guint       kept;      /* history messages sent */
  guint       dropped;
} TrimCase;

static const TrimCase trim_cases[] = {
  { 190, FALSE, 6, 0 },  /* budget 84: all six fit exactly */
  { 189, FALSE, 4, 2 },  /* 83: five fit, but the oldest of them is an assistant turn */
  { 176, FALSE, 4, 2 },  /* 70: five fit -> four */
  { 162, FALSE, 4, 2 },  /* 56: four */
  { 161, FALSE, 2, 4 },  /* 55: three fit -> two */
  { 134, FALSE, 2, 4 },  /* 28: two */
  { 133, FALSE, 0, 6 },  /* 27: one (an assistant turn) -> none */
  { 106, FALSE, 0, 6 },  /* 0 */
  { 50, FALSE, 0, 6 },   /* negative: still the system prompt and the new message */
  { 294, TRUE, 6, 0 },   /* 294 - 100 - 6 - 104 = 84 */
  { 280, TRUE, 4, 2 },   /* 70 */
  { 120, TRUE, 0, 6 },   /* the system prompt alone is over the budget */
};

static void
test_prompt_history_trim (void)
{
  g_autoptr (GPtrArray) history = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *system = g_strnfill (400, 's');

  for (guint i = 0; i < 6; i++)
    {
      g_autofree char *text = g_strdup_printf ("%u-turn-of-forty-characters-----------xxx", i);

      g_assert_cmpint (strlen (text), ==, 40);
      g_ptr_array_add (history, history_message (i % 2 == 0 ? "user" : "assistant", "complete",
                                                 text));
    }

  for (guint c = 0; c < G_N_ELEMENTS (trim_cases); c++)
    {
      const TrimCase *tc = &trim_cases[c];
      g_autoptr (ConfabAgent) agent = confab_agent_new ("Helper");
      g_autoptr (ConfabProvider) provider = confab_provider_new ("P", "openai", "http://x");
      g_autoptr (ConfabChatRequest) request = NULL;
      g_autoptr (GError) error = NULL;
      guint n, dropped = 99;

      g_test_message ("context window %d, system prompt %s", tc->context_window,
                      tc->with_system ? "yes" : "no");
      confab_agent_set_model (agent, "m");
      confab_agent_set_max_tokens (agent, 100);
      confab_provider_set_context_window (provider, tc->context_window);

      request = confab_prompt_builder_build (agent, provider, NULL, tc->with_system ? system : "",
                                             history, "question", NULL, &dropped, &error);
      g_assert_no_error (error);
      n = confab_chat_request_get_n_messages (request);
      g_assert_cmpuint (n, ==, tc->kept + 1);
      g_assert_cmpuint (dropped, ==, tc->dropped);

      /* Never the system prompt nor the new message. */
      if (tc->with_system)
        g_assert_cmpstr (confab_chat_request_get_system (request), ==, system);
      else
        g_assert_null (confab_chat_request_get_system (request));
      g_assert_cmpstr (confab_chat_request_get_message_role (request, n - 1), ==, "user");
      g_assert_cmpstr (confab_chat_request_get_message_content (request, n - 1), ==, "question");

      /* The newest turns, in order, opening with the user. */
      for (guint i = 0; i < tc->kept; i++)
        {
          ConfabMessage *expected = g_ptr_array_index (history, 6 - tc->kept + i);

          g_assert_cmpstr (confab_chat_request_get_message_role (request, i), ==,
                           confab_message_get_role (expected));
          g_assert_cmpstr (confab_chat_request_get_message_content (request, i), ==,
                           confab_message_get_content (expected));
        }
      if (tc->kept > 0)
        g_assert_cmpstr (confab_chat_request_get_message_role (request, 0), ==, "user");
    }
}

/* What history is: complete user and assistant turns, supporters as
 * assistant turns marked as a person; nothing else. */
static void
test_prompt_history_roles (void)
{
  g_autoptr (GPtrArray) history = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (ConfabAgent) agent = confab_agent_new ("Helper");
  g_autoptr (ConfabProvider) provider = confab_provider_new ("P", "openai", "http://x");
  g_autoptr (ConfabChatRequest) request = NULL;
  g_autoptr (GError) error = NULL;
  guint dropped = 99;

  g_ptr_array_add (history, history_message ("system", "complete", "Conversation started"));
  g_ptr_array_add (history, history_message ("user", "complete", "Where is my cake?"));
  g_ptr_array_add (history, history_message ("assistant", "error", "Let me"));
  g_ptr_array_add (history, history_message ("assistant", "cancelled", "Looking"));
  g_ptr_array_add (history, history_message ("supporter", "complete", "It left ten minutes ago."));
  g_ptr_array_add (history, history_message ("user", "complete", "Thanks!"));
  g_ptr_array_add (history, history_message ("assistant", "complete", "You are welcome."));
  g_ptr_array_add (history, history_message ("assistant", "streaming", "Anything"));

  confab_agent_set_model (agent, "m");
  request = confab_prompt_builder_build (agent, provider, NULL, "sys", history, "One more thing",
                                         NULL, &dropped, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dropped, ==, 0);
  g_assert_cmpuint (confab_chat_request_get_n_messages (request), ==, 5);
  g_assert_cmpstr (confab_chat_request_get_message_role (request, 0), ==, "user");
  g_assert_cmpstr (confab_chat_request_get_message_content (request, 0), ==, "Where is my cake?");
  g_assert_cmpstr (confab_chat_request_get_message_role (request, 1), ==, "assistant");
  g_assert_cmpstr (confab_chat_request_get_message_content (request, 1), ==,
                   "(human operator) It left ten minutes ago.");
  g_assert_cmpstr (confab_chat_request_get_message_content (request, 2), ==, "Thanks!");
  g_assert_cmpstr (confab_chat_request_get_message_content (request, 3), ==, "You are welcome.");
  g_assert_cmpstr (confab_chat_request_get_message_content (request, 4), ==, "One more thing");
}

/* ------------------------------------------------------------------------ */
/* Rule-based agents                                                        */
/* ------------------------------------------------------------------------ */

static void
test_rules_answer (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr (ConfabAgent) agent = add_agent (f->db, "Bakery Concierge", "rule_based", NULL,
                                             bakery_rules);
  g_autofree char *conversation_id = start (f, agent);
  g_autoptr (ConfabConversation) c = NULL;
  g_autoptr (ConfabMessage) question = NULL;
  g_autoptr (GPtrArray) messages = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (Run) run = { 0 };

  reply (f->runtime, conversation_id, "Are you open on Monday?", &run);
  g_assert_no_error (run.error);
  g_assert_nonnull (run.message);
  g_assert_cmpstr (confab_message_get_content (run.message), ==, OPENING_HOURS);
  g_assert_cmpstr (confab_message_get_role (run.message), ==, "assistant");
  g_assert_cmpstr (confab_message_get_status (run.message), ==, "complete");
  g_assert_cmpstr (confab_message_get_agent_id (run.message), ==, id_of (agent));
  g_assert_cmpstr (confab_message_get_model (run.message), ==, "rules");
  g_assert_null (confab_message_get_error (run.message));
  g_assert_cmpstr (run.events->str, ==, "SDE");
  g_assert_cmpstr (run.streamed->str, ==, OPENING_HOURS);
  g_assert_cmpstr (run.status_at_start, ==, "complete");
  assert_answer (f->db, run.message, "rule", "Opening hours");

  /* The user's message first, the reply after it, as its child. */
  messages = confab_repository_list (f->db, CONFAB_TYPE_MESSAGE, "conversation_id",
                                     conversation_id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (messages->len, ==, 2);
  question = g_object_ref (g_ptr_array_index (messages, 0));
  g_assert_cmpstr (confab_message_get_role (question), ==, "user");
  g_assert_cmpstr (confab_message_get_user_id (question), ==, id_of (f->user));
  g_assert_cmpstr (confab_message_get_content (question), ==, "Are you open on Monday?");
  g_assert_cmpint (confab_message_get_seq (question), ==, 0);
  g_assert_cmpint (confab_message_get_seq (run.message), ==, 1);
  g_assert_cmpstr (confab_message_get_parent_message_id (run.message), ==, id_of (question));

  c = get_conversation (f->db, conversation_id);
  g_assert_cmpstr (confab_conversation_get_title (c), ==, "Are you open on Monday?");
  g_assert_cmpstr (confab_conversation_get_status (c), ==, "active");

  /* Captured variables and built-ins reach the response. */
  reply (f->runtime, conversation_id, "Where is order #48213?", &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_message_get_content (run.message), ==,
                   "Thanks! I am looking up order 48213 for you.");
  assert_answer (f->db, run.message, "rule", "Order number");
  {
    g_autoptr (ConfabMessage) second_question = NULL;
    g_autoptr (GPtrArray) all = confab_repository_list (f->db, CONFAB_TYPE_MESSAGE,
                                                        "conversation_id", conversation_id,
                                                        &error);

    g_assert_no_error (error);
    g_assert_cmpuint (all->len, ==, 4);
    second_question = g_object_ref (g_ptr_array_index (all, 2));
    /* A chain: each message's parent is the one before it. */
    g_assert_cmpstr (confab_message_get_parent_message_id (second_question), ==,
                     id_of (g_ptr_array_index (all, 1)));
  }
}

static void
test_rules_fallback (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr (ConfabAgent) agent = add_agent (f->db, "Bakery Concierge", "rule_based", NULL,
                                             bakery_rules);
  g_autofree char *conversation_id = start (f, agent);
  g_auto (Run) run = { 0 };

  /* The first miss: the first fallback answer. */
  reply (f->runtime, conversation_id, "Do you sell bicycles?", &run);
  g_assert_no_error (run.error);
  assert_answer (f->db, run.message, "fallback", NULL);
  g_assert_cmpstr (confab_message_get_content (run.message), ==, "Sorry, I did not catch that.");

  /* The second in a row: the next fallback answer, and a person offered. */
  reply (f->runtime, conversation_id, "What about unicycles?", &run);
  g_assert_no_error (run.error);
  assert_answer (f->db, run.message, "fallback", NULL);
  g_assert_cmpstr (confab_message_get_content (run.message), ==,
                   "I am not sure I understood. " OFFER);

  /* And on: the answers rotate, the offer stays. */
  reply (f->runtime, conversation_id, "And tricycles?", &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_message_get_content (run.message), ==,
                   "Sorry, I did not catch that. " OFFER);

  /* A rule that matches ends the streak. */
  reply (f->runtime, conversation_id, "When do you open?", &run);
  assert_answer (f->db, run.message, "rule", "Opening hours");
  reply (f->runtime, conversation_id, "Skateboards?", &run);
  assert_answer (f->db, run.message, "fallback", NULL);
  g_assert_cmpstr (confab_message_get_content (run.message), ==, "Sorry, I did not catch that.");

  /* So does a person's answer. */
  reply (f->runtime, conversation_id, "Scooters?", &run);
  g_assert_cmpstr (confab_message_get_content (run.message), ==,
                   "I am not sure I understood. " OFFER);
  {
    g_autoptr (ConfabMessage) operator = confab_message_new (conversation_id, "supporter",
                                                             "Hi, a person here.");
    g_autoptr (GError) error = NULL;

    confab_repository_create (f->db, CONFAB_ENTITY (operator), NULL, &error);
    g_assert_no_error (error);
  }
  reply (f->runtime, conversation_id, "Rollerblades?", &run);
  g_assert_cmpstr (confab_message_get_content (run.message), ==, "Sorry, I did not catch that.");
}

static void
test_rules_escalate (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr (ConfabAgent) agent = add_agent (f->db, "Bakery Concierge", "rule_based", NULL,
                                             bakery_rules);
  g_autofree char *conversation_id = start (f, agent);
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (ConfabConversation) c = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (Run) run = { 0 };

  reply (f->runtime, conversation_id, "I have a complaint, get me a person", &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_message_get_content (run.message), ==,
                   "I am passing you to Tomás from our team.");
  assert_answer (f->db, run.message, "rule", "Talk to a person");

  escalation = confab_repository_find (f->db, CONFAB_TYPE_ESCALATION, "conversation_id",
                                       conversation_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_escalation_get_status (escalation), ==, "pending");
  g_assert_cmpstr (confab_escalation_get_reason (escalation), ==,
                   "Rule “Talk to a person” asked for a person");
  g_assert_null (confab_escalation_get_supporter_id (escalation));
  c = get_conversation (f->db, conversation_id);
  g_assert_cmpstr (confab_conversation_get_status (c), ==, "escalated");
  g_clear_object (&c);

  /* A person holds the conversation: the message is kept, nobody answers. */
  reply (f->runtime, conversation_id, "Are you open on Monday?", &run);
  g_assert_no_error (run.error);
  g_assert_null (run.message);
  g_assert_cmpstr (run.events->str, ==, "");
  g_assert_cmpint (count_messages (f->db, conversation_id, "user"), ==, 2);
  g_assert_cmpint (count_messages (f->db, conversation_id, "assistant"), ==, 1);

  /* Resolved and active again: the agent answers, and escalating a second
   * time opens the same escalation again. */
  confab_escalation_set_supporter_id (escalation, NULL);
  confab_escalation_set_status (escalation, "resolved");
  confab_repository_update (f->db, CONFAB_ENTITY (escalation), NULL, &error);
  g_assert_no_error (error);
  c = get_conversation (f->db, conversation_id);
  confab_conversation_set_status (c, "active");
  confab_repository_update (f->db, CONFAB_ENTITY (c), NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&c);

  reply (f->runtime, conversation_id, "Still want a human", &run);
  g_assert_no_error (run.error);
  g_assert_nonnull (run.message);
  g_clear_object (&escalation);
  escalation = confab_repository_find (f->db, CONFAB_TYPE_ESCALATION, "conversation_id",
                                       conversation_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_escalation_get_status (escalation), ==, "pending");
  g_assert_null (confab_escalation_get_resolved_at (escalation));
  c = get_conversation (f->db, conversation_id);
  g_assert_cmpstr (confab_conversation_get_status (c), ==, "escalated");
  g_assert_cmpint (confab_test_count_rows (f->db, "SELECT count(*) FROM escalations"), ==, 1);
}

static void
test_rules_end (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr (ConfabAgent) agent = add_agent (f->db, "Bakery Concierge", "rule_based", NULL,
                                             bakery_rules);
  g_autofree char *conversation_id = start (f, agent);
  g_autoptr (ConfabConversation) c = NULL;
  g_auto (Run) run = { 0 };

  reply (f->runtime, conversation_id, "Thanks, bye!", &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_message_get_content (run.message), ==, "Goodbye, Lena!");
  c = get_conversation (f->db, conversation_id);
  g_assert_cmpstr (confab_conversation_get_status (c), ==, "ended");
  g_clear_object (&c);
  g_assert_cmpint (confab_test_count_rows (f->db, "SELECT count(*) FROM escalations"), ==, 0);

  /* Writing again opens it again, and the agent answers. */
  reply (f->runtime, conversation_id, "Oh wait, what are your opening hours?", &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_message_get_content (run.message), ==, OPENING_HOURS);
  c = get_conversation (f->db, conversation_id);
  g_assert_cmpstr (confab_conversation_get_status (c), ==, "active");
}

static void
test_rules_invalid_input (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr (ConfabAgent) agent = add_agent (f->db, "Bakery Concierge", "rule_based", NULL,
                                             bakery_rules);
  g_autoptr (ConfabAgent) off = add_agent (f->db, "Retired", "rule_based", NULL, bakery_rules);
  g_autofree char *conversation_id = start (f, agent);
  g_autofree char *off_conversation = start (f, off);
  g_autofree char *too_long = g_strnfill (CONFAB_MESSAGE_MAX_CONTENT + 1, 'x');
  g_autoptr (GError) error = NULL;
  g_auto (Run) run = { 0 };

  /* Nothing is saved for a message that cannot be. */
  reply (f->runtime, conversation_id, "", &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  reply (f->runtime, conversation_id, too_long, &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  reply (f->runtime, "no-such-conversation", "Hello", &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_cmpint (count_messages (f->db, conversation_id, NULL), ==, 0);

  /* A switched-off agent does not take messages. */
  confab_agent_set_is_active (off, FALSE);
  confab_repository_update (f->db, CONFAB_ENTITY (off), NULL, &error);
  g_assert_no_error (error);
  reply (f->runtime, off_conversation, "Hello", &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (run.error->message, "Retired"));
  g_assert_cmpint (count_messages (f->db, off_conversation, NULL), ==, 0);
}

/* The title: the first user message, at most 60 characters, cut at a word. */
static void
test_title (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr (ConfabAgent) agent = add_agent (f->db, "Bakery Concierge", "rule_based", NULL,
                                             bakery_rules);
  g_autofree char *conversation_id = start (f, agent);
  g_autoptr (ConfabConversation) c = NULL;
  g_autofree char *first_title = NULL;
  g_auto (Run) run = { 0 };
  const char *long_question =
    "Hello there, could you please tell me whether the bakery is open on public holidays "
    "such as Christmas?";
  const char *title;

  g_assert_cmpint (CONFAB_MESSAGE_TITLE_CHARS, ==, 60);
  reply (f->runtime, conversation_id, long_question, &run);
  g_assert_no_error (run.error);
  c = get_conversation (f->db, conversation_id);
  title = confab_conversation_get_title (c);
  g_assert_cmpstr (title, ==, "Hello there, could you please tell me whether the bakery is…");
  g_assert_cmpint (g_utf8_strlen (title, -1), <=, 60);
  first_title = g_strdup (title);
  g_clear_object (&c);

  /* A later message keeps it. */
  reply (f->runtime, conversation_id, "Bye", &run);
  c = get_conversation (f->db, conversation_id);
  g_assert_cmpstr (confab_conversation_get_title (c), ==, first_title);
}

/* ------------------------------------------------------------------------ */
/* LLM agents                                                               */
/* ------------------------------------------------------------------------ */

static ConfabAgent *
add_llm_agent (Fixture    *f,
               const char *type,
               const char *config,
               char      **out_chunk_id)
{
  g_autoptr (ConfabProvider) provider = add_mock_provider (f->db, f->server, "Mock");
  ConfabAgent *agent = add_agent (f->db, "Pastry Expert", type, id_of (provider), config);
  g_autoptr (GError) error = NULL;
  g_autofree char *chunk_id = NULL;

  confab_agent_set_system_prompt (agent, "You are a pastry chef helping {{user.name}}.");
  confab_repository_update (f->db, CONFAB_ENTITY (agent), NULL, &error);
  g_assert_no_error (error);
  chunk_id = add_faq (f->db, agent);
  if (out_chunk_id != NULL)
    *out_chunk_id = g_steal_pointer (&chunk_id);
  return agent;
}

static void
test_llm_stream (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *chunk_id = NULL;
  g_autoptr (ConfabAgent) agent = add_llm_agent (f, "llm", NULL, &chunk_id);
  g_autofree char *conversation_id = start (f, agent);
  const char * const pieces[] = { "We open Tuesday ", "to Sunday [1].", NULL };
  g_autoptr (ConfabMessage) stored = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (Run) run = { 0 };
  const ConfabMockRequest *request;
  JsonArray *messages;
  JsonObject *ref;
  const char *system;

  /* An earlier exchange, to see the history go out. */
  push_stream (f->server, (const char * const[]) { "Hello Lena!", NULL }, 0);
  reply (f->runtime, conversation_id, "Hi there", &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_message_get_content (run.message), ==, "Hello Lena!");
  /* Nothing cited: no references. */
  g_assert_cmpstr (confab_message_get_source_references (run.message), ==, "[]");

  /* 400 ms between the pieces: the first is saved before the second. */
  push_stream (f->server, pieces, 400);
  reply (f->runtime, conversation_id, "When are you open on Sunday?", &run);
  g_assert_no_error (run.error);
  g_assert_nonnull (run.message);
  g_assert_cmpstr (run.events->str, ==, "SDDE");
  g_assert_cmpstr (run.status_at_start, ==, "streaming");
  g_assert_cmpstr (run.stored_at_second_delta, ==, "We open Tuesday ");
  g_assert_cmpstr (run.streamed->str, ==, "We open Tuesday to Sunday [1].");

  stored = get_message (f->db, id_of (run.message));
  g_assert_cmpstr (confab_message_get_status (stored), ==, "complete");
  g_assert_cmpstr (confab_message_get_content (stored), ==, "We open Tuesday to Sunday [1].");
  g_assert_cmpstr (confab_message_get_model (stored), ==, SERVED_MODEL);
  g_assert_cmpint (confab_message_get_tokens_in (stored), ==, 12);
  g_assert_cmpint (confab_message_get_tokens_out (stored), ==, 5);
  g_assert_cmpint (confab_message_get_latency_ms (stored), >=, 400);
  g_assert_cmpstr (confab_message_get_agent_id (stored), ==, id_of (agent));
  g_assert_null (confab_message_get_error (stored));
  assert_answer (f->db, stored, "model", NULL);

  /* The cited chunk, resolvable to its document. */
  g_assert_true (json_parser_load_from_data (parser, confab_message_get_source_references (stored),
                                             -1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (json_parser_get_root (parser))),
                    ==, 1);
  ref = json_array_get_object_element (json_node_get_array (json_parser_get_root (parser)), 0);
  g_assert_cmpstr (json_object_get_string_member (ref, "chunk_id"), ==, chunk_id);
  g_assert_cmpstr (json_object_get_string_member (ref, "filename"), ==, "faq.md");
  g_assert_cmpint (json_object_get_int_member (ref, "ordinal"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (ref, "n"), ==, 1);
  {
    const char *references = confab_message_get_source_references (stored);
    g_autoptr (GPtrArray) cited = confab_citations_resolve (f->db, references, &error);
    ConfabRetrievedChunk *item;

    g_assert_no_error (error);
    g_assert_cmpuint (cited->len, ==, 1);
    item = g_ptr_array_index (cited, 0);
    g_assert_cmpstr (item->chunk_id, ==, chunk_id);
    g_assert_cmpstr (item->filename, ==, "faq.md");
    g_assert_cmpstr (item->text, ==, HOURS_CHUNK);
    g_assert_cmpuint (item->rank, ==, 1);
  }

  /* What went out: the rendered system prompt with the numbered context,
   * the history, then the question. */
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (f->server), ==, 2);
  request = confab_mock_llm_server_get_request (f->server, 1);
  g_assert_cmpstr (request->path, ==, "/v1/chat/completions");
  g_assert_null (confab_mock_request_get_header (request, "Authorization"));
  body = confab_mock_request_get_json (request);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (body), "model"), ==,
                   AGENT_MODEL);
  messages = json_object_get_array_member (json_node_get_object (body), "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 4);
  system = json_object_get_string_member (json_array_get_object_element (messages, 0), "content");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 0),
                                                  "role"), ==, "system");
  g_assert_true (g_str_has_prefix (system, "You are a pastry chef helping Lena.\n\n"));
  g_assert_nonnull (strstr (system, "[1] faq.md: " HOURS_CHUNK));
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 1),
                                                  "content"), ==, "Hi there");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 2),
                                                  "content"), ==, "Hello Lena!");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (messages, 3),
                                                  "content"), ==, "When are you open on Sunday?");
}

static void
test_llm_failure (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr (ConfabAgent) agent = add_llm_agent (f, "llm", NULL, NULL);
  g_autofree char *conversation_id = start (f, agent);
  g_autoptr (ConfabMessage) stored = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (Run) run = { 0 };
  ConfabMockResponse *dropped;

  push_server_error (f->server);
  reply (f->runtime, conversation_id, "What flour do you use?", &run);
  g_assert_null (run.message);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  g_assert_nonnull (strstr (run.error->message, "the oven is on fire"));
  g_assert_cmpstr (run.events->str, ==, "SE");

  /* The question survives; the reply says what went wrong. */
  all = confab_repository_list (f->db, CONFAB_TYPE_MESSAGE, "conversation_id", conversation_id,
                                &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 2);
  g_assert_cmpstr (confab_message_get_role (g_ptr_array_index (all, 0)), ==, "user");
  g_assert_cmpstr (confab_message_get_content (g_ptr_array_index (all, 0)), ==,
                   "What flour do you use?");
  stored = g_object_ref (g_ptr_array_index (all, 1));
  g_assert_cmpstr (id_of (stored), ==, run.started_id);
  g_assert_cmpstr (confab_message_get_status (stored), ==, "error");
  g_assert_cmpstr (confab_message_get_content (stored), ==, "");
  g_assert_nonnull (strstr (confab_message_get_error (stored), "the oven is on fire"));
  g_clear_object (&stored);

  /* A stream cut in the middle keeps what arrived. */
  dropped = confab_mock_response_new (200, "text/event-stream");
  {
    g_autofree char *a = sse_delta ("Stone-ground ");
    g_autofree char *b = sse_delta ("wheat and");

    confab_mock_response_add_chunk (dropped, 0, a, -1);
    confab_mock_response_add_chunk (dropped, 20, b, -1);
  }
  confab_mock_response_set_drop_after (dropped, 2);
  confab_mock_llm_server_push (f->server, dropped);
  reply (f->runtime, conversation_id, "And which grain?", &run);
  g_assert_null (run.message);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_NETWORK);
  stored = get_message (f->db, run.started_id);
  g_assert_cmpstr (confab_message_get_status (stored), ==, "error");
  g_assert_cmpstr (confab_message_get_content (stored), ==, "Stone-ground wheat and");
  g_assert_cmpstr (confab_message_get_error (stored), ==, run.error->message);
  g_assert_cmpint (count_messages (f->db, conversation_id, "user"), ==, 2);
}

static void
test_llm_cancel (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr (ConfabAgent) agent = add_llm_agent (f, "llm", NULL, NULL);
  g_autofree char *conversation_id = start (f, agent);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (ConfabMessage) stored = NULL;
  g_auto (Run) run = { 0 };
  ConfabMockResponse *response = confab_mock_response_new (200, "text/event-stream");

  {
    g_autofree char *a = sse_delta ("Once upon a time");

    confab_mock_response_add_chunk (response, 0, a, -1);
  }
  confab_mock_response_set_endless_chatty (response, 50, ": keep-alive\n\n");
  confab_mock_llm_server_push (f->server, response);

  reply_full (f->runtime, conversation_id, "Tell me a long story", cancellable, &run);
  g_assert_null (run.message);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (run.events->str, ==, "SDE");
  stored = get_message (f->db, run.started_id);
  g_assert_cmpstr (confab_message_get_status (stored), ==, "cancelled");
  g_assert_cmpstr (confab_message_get_content (stored), ==, "Once upon a time");
  g_assert_cmpint (count_messages (f->db, conversation_id, "user"), ==, 1);

  /* Cancelled before it started: the question is kept, nothing answers. */
  reply_full (f->runtime, conversation_id, "Never mind", cancellable, &run);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (count_messages (f->db, conversation_id, "user"), ==, 2);
  g_assert_cmpint (count_messages (f->db, conversation_id, "assistant"), ==, 1);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (f->server), ==, 1);
}

/* An LLM agent without a provider: the reply is an error message, the
 * question is kept. */
static void
test_llm_misconfigured (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr (ConfabAgent) agent = add_agent (f->db, "Lonely", "llm", NULL, NULL);
  g_autofree char *conversation_id = start (f, agent);
  g_autoptr (ConfabMessage) stored = NULL;
  g_auto (Run) run = { 0 };

  reply (f->runtime, conversation_id, "Hello?", &run);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (run.error->message, "Lonely"));
  g_assert_cmpstr (run.events->str, ==, "SE");
  stored = get_message (f->db, run.started_id);
  g_assert_cmpstr (confab_message_get_status (stored), ==, "error");
  g_assert_cmpstr (confab_message_get_error (stored), ==, run.error->message);
  g_assert_cmpint (count_messages (f->db, conversation_id, "user"), ==, 1);
}

/* ------------------------------------------------------------------------ */
/* Hybrid agents                                                            */
/* ------------------------------------------------------------------------ */

static void
test_hybrid (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr (ConfabAgent) agent = add_llm_agent (f, "hybrid", hybrid_rules, NULL);
  g_autofree char *conversation_id = start (f, agent);
  g_autoptr (ConfabMessage) stored = NULL;
  g_auto (Run) run = { 0 };

  /* A rule matches: answered offline, the model is not asked. */
  reply (f->runtime, conversation_id, "Where is my order #48213?", &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_message_get_content (run.message), ==,
                   "Thanks! I am looking up order 48213 for you.");
  g_assert_cmpstr (confab_message_get_model (run.message), ==, "rules");
  assert_answer (f->db, run.message, "rule", "Order number");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (f->server), ==, 0);

  /* No rule: the model answers. */
  push_stream (f->server, (const char * const[]) { "Yes, every ", "morning.", NULL }, 10);
  reply (f->runtime, conversation_id, "Do you bake croissants?", &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_message_get_content (run.message), ==, "Yes, every morning.");
  g_assert_cmpstr (confab_message_get_model (run.message), ==, SERVED_MODEL);
  g_assert_cmpstr (confab_message_get_status (run.message), ==, "complete");
  assert_answer (f->db, run.message, "model", NULL);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (f->server), ==, 1);

  /* The model fails: the fallback answer, with the error recorded. */
  push_server_error (f->server);
  reply (f->runtime, conversation_id, "Do you deliver to the moon?", &run);
  g_assert_no_error (run.error);
  g_assert_nonnull (run.message);
  g_assert_cmpstr (run.events->str, ==, "SRE");
  g_assert_cmpstr (run.streamed->str, ==, HYBRID_FALLBACK);
  stored = get_message (f->db, id_of (run.message));
  g_assert_cmpstr (confab_message_get_content (stored), ==, HYBRID_FALLBACK);
  g_assert_cmpstr (confab_message_get_status (stored), ==, "complete");
  g_assert_cmpstr (confab_message_get_model (stored), ==, "rules");
  g_assert_nonnull (strstr (confab_message_get_error (stored), "the oven is on fire"));
  assert_answer (f->db, stored, "fallback", NULL);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (f->server), ==, 2);
  g_assert_cmpint (count_messages (f->db, conversation_id, "user"), ==, 3);
  g_assert_cmpint (count_messages (f->db, conversation_id, "assistant"), ==, 3);
}

/* A rule-based agent hands a message off to an LLM agent. */
static void
test_rules_handoff (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr (ConfabAgent) expert = add_llm_agent (f, "llm", NULL, NULL);
  g_autoptr (ConfabAgent) concierge = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *config = NULL;
  g_autoptr (ConfabConversation) c = NULL;
  g_auto (Run) run = { 0 };

  config = g_strdup_printf ("{\"rules\": [{\"name\": \"Recipes\", \"enabled\": true, "
                            "\"priority\": 1, \"match\": \"keywords_any\", "
                            "\"patterns\": [\"recipe\"], \"responses\": [\"Ask our chef!\"], "
                            "\"action\": \"handoff\", \"handoff_agent\": \"%s\"}], "
                            "\"fallback\": [\"Sorry?\"]}",
                            "Pastry Expert");
  concierge = add_agent (f->db, "Concierge", "rule_based", NULL, config);
  conversation_id = start (f, concierge);

  push_stream (f->server, (const char * const[]) { "Butter, flour, love.", NULL }, 0);
  reply (f->runtime, conversation_id, "Can I have a recipe for croissants?", &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_message_get_content (run.message), ==, "Butter, flour, love.");
  /* The expert spoke; the conversation stays with the concierge. */
  g_assert_cmpstr (confab_message_get_agent_id (run.message), ==, id_of (expert));
  assert_answer (f->db, run.message, "model", NULL);
  c = get_conversation (f->db, conversation_id);
  g_assert_cmpstr (confab_conversation_get_agent_id (c), ==, id_of (concierge));

  /* The expert fails: the rule's own answer. */
  push_server_error (f->server);
  reply (f->runtime, conversation_id, "Another recipe please", &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_message_get_content (run.message), ==, "Ask our chef!");
  g_assert_cmpstr (confab_message_get_agent_id (run.message), ==, id_of (concierge));
  g_assert_nonnull (confab_message_get_error (run.message));
  assert_answer (f->db, run.message, "rule", "Recipes");
}

/* ------------------------------------------------------------------------ */
/* confab-cli chat and conversations show                                   */
/* ------------------------------------------------------------------------ */

typedef struct
{
  int     status;
  GBytes *out;
  GBytes *err;
} CliRun;

static void
cli_run_clear (CliRun *r)
{
  g_clear_pointer (&r->out, g_bytes_unref);
  g_clear_pointer (&r->err, g_bytes_unref);
  r->status = -1;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliRun, cli_run_clear)

static const char *
cli_out (CliRun *r)
{
  return g_bytes_get_data (r->out, NULL);
}

static const char *
cli_err (CliRun *r)
{
  return g_bytes_get_data (r->err, NULL);
}

static GBytes *
nul_terminated (GBytes *bytes)
{
  gsize len = 0;
  const char *data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;
  char *copy = g_malloc (len + 1);

  if (len > 0)
    memcpy (copy, data, len);
  copy[len] = '\0';
  return g_bytes_new_take (copy, len);
}

#define DEAD_BUS "unix:path=/nonexistent"

/* With dead_bus, the session bus (and so the keyring) is unreachable. */
static GSubprocess *
spawn_cli_full (const char         *workspace,
                const char * const *args,
                gboolean            dead_bus)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  const char *exe = g_getenv ("CONFAB_CLI");
  GSubprocess *process;

  g_assert_nonnull (exe);
  g_ptr_array_add (argv, (char *) exe);
  g_ptr_array_add (argv, (char *) "--workspace");
  g_ptr_array_add (argv, (char *) workspace);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  /* Every debug message goes to the captured stderr, never to stdout. */
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "all", TRUE);
  if (dead_bus)
    {
      g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", DEAD_BUS, TRUE);
      g_subprocess_launcher_unsetenv (launcher, "DBUS_STARTER_ADDRESS");
      g_subprocess_launcher_setenv (launcher, "SECRET_BACKEND", "service", TRUE);
    }
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

static GSubprocess *
spawn_cli (const char         *workspace,
           const char * const *args)
{
  return spawn_cli_full (workspace, args, FALSE);
}

typedef struct
{
  gboolean  done;
  GBytes   *out;
  GBytes   *err;
  GError   *error;
} Communicate;

static void
on_communicated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Communicate *c = user_data;

  g_subprocess_communicate_finish (G_SUBPROCESS (source), result, &c->out, &c->err, &c->error);
  c->done = TRUE;
}

/* Collects the output while the main loop runs (so the mock server in this
 * process can answer) and waits for the exit. */
static void
finish_cli (CliRun      *r,
            GSubprocess *process,
            GString     *out_before)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GBytes) no_input = g_bytes_new (NULL, 0);
  g_autoptr (GBytes) all_out = NULL;
  Communicate c = { 0 };

  g_subprocess_communicate_async (process, no_input, NULL, on_communicated, &c);
  if (!confab_mock_wait_until (is_done, &c.done, RUN_TIMEOUT_MS))
    {
      g_subprocess_force_exit (process);
      confab_mock_wait_until (is_done, &c.done, RUN_TIMEOUT_MS);
      g_error ("confab-cli did not finish within %d s", RUN_TIMEOUT_MS / 1000);
    }
  g_assert_no_error (c.error);

  if (out_before != NULL)
    g_byte_array_append (out, (const guint8 *) out_before->str, out_before->len);
  if (c.out != NULL)
    g_byte_array_append (out, g_bytes_get_data (c.out, NULL), g_bytes_get_size (c.out));
  all_out = g_byte_array_free_to_bytes (g_steal_pointer (&out));
  cli_run_clear (r);
  r->out = nul_terminated (all_out);
  r->err = nul_terminated (c.err);
  g_clear_pointer (&c.out, g_bytes_unref);
  g_clear_pointer (&c.err, g_bytes_unref);

  if (!g_subprocess_get_if_exited (process))
    g_error ("confab-cli was killed by signal %d:\n%s", g_subprocess_get_term_sig (process),
             cli_err (r));
  r->status = g_subprocess_get_exit_status (process);
}

static void
cli_full (CliRun     *r,
          const char *workspace,
          ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  const char *arg;
  va_list ap;

  va_start (ap, workspace);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  process = spawn_cli (workspace, (const char * const *) args->pdata);
  finish_cli (r, process, NULL);
}

#define cli(r, workspace, ...) cli_full (r, workspace, __VA_ARGS__, NULL)

static void
assert_status (CliRun     *r,
               int         expected,
               const char *what)
{
  if (r->status != expected)
    g_error ("“%s” exited %d, not %d\nstdout:\n%s\nstderr:\n%s", what, r->status, expected,
             cli_out (r), cli_err (r));
}

static void
assert_contains (const char *haystack,
                 const char *needle,
                 const char *where)
{
  if (strstr (haystack, needle) == NULL)
    g_error ("%s does not say “%s”:\n%s", where, needle, haystack);
}

/* The id after "conversation: " on stderr. */
static char *
conversation_from_stderr (CliRun *r)
{
  const char *start = strstr (cli_err (r), "conversation: ");
  const char *end;

  g_assert_nonnull (start);
  start += strlen ("conversation: ");
  end = strchr (start, '\n');
  g_assert_nonnull (end);
  return g_strndup (start, end - start);
}

static void
import_demo (ConfabDatabase *db)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "demo",
                                                 "demo-workspace.json", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;

  confab_import_from_file (db, file, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* What an agent's rules answer to text, asked of the rule engine itself,
 * so the test follows the demo workspace as it is written. */
static ConfabRuleMatch *
expected_match (ConfabDatabase *db,
                const char     *agent_name,
                const char     *username,
                const char     *text,
                guint           turn,
                guint           misses)
{
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabRuleSet) rules = NULL;
  g_autoptr (GHashTable) variables = NULL;
  g_autoptr (GError) error = NULL;
  ConfabRuleMatch *match;

  agent = confab_repository_find (db, CONFAB_TYPE_AGENT, "name", agent_name, &error);
  g_assert_no_error (error);
  user = confab_repository_find (db, CONFAB_TYPE_USER, "username", username, &error);
  g_assert_no_error (error);
  rules = confab_rule_set_parse (confab_agent_get_config (agent), &error);
  g_assert_no_error (error);
  variables = confab_prompt_builder_new_variables (agent, user, NULL);
  match = confab_rule_set_match (rules, text, turn, misses, variables, &error);
  g_assert_no_error (error);
  return match;
}

/* ------------------------------------------------------------------------ */
/* Teams                                                                    */
/* ------------------------------------------------------------------------ */

/* A question for the demo's dental clinic that the bakery has no rule for. */
#define DENTAL_QUESTION "My tooth hurts, I think I have a toothache"
#define MONDAYS_NOTE    "Noted: closed on Mondays."

/* Answers the bakery's opening hours (which mention Mondays). */
static const char mondays_rules[] =
  "{\"rules\": ["
  " {\"name\": \"Mondays\", \"enabled\": true, \"priority\": 1, \"match\": \"keywords_any\","
  "  \"patterns\": [\"mondays\"], \"responses\": [\"" MONDAYS_NOTE "\"]}"
  "], \"fallback\": [\"Mondays?\"]}";

static const char ping_rules[] =
  "{\"rules\": ["
  " {\"name\": \"Ping\", \"enabled\": true, \"priority\": 1, \"match\": \"keywords_any\","
  "  \"patterns\": [\"start\", \"pong\"], \"responses\": [\"ping\"]}"
  "], \"fallback\": [\"ping?\"]}";

static const char pong_rules[] =
  "{\"rules\": ["
  " {\"name\": \"Pong\", \"enabled\": true, \"priority\": 1, \"match\": \"keywords_any\","
  "  \"patterns\": [\"ping\"], \"responses\": [\"pong\"]}"
  "], \"fallback\": [\"pong?\"]}";

/* A team of the members (NULL-terminated), in that order. */
static ConfabTeam *
add_team (ConfabDatabase *db,
          const char     *name,
          const char     *mode,
          int             max_turns,
          ...)
{
  ConfabTeam *team = confab_team_new (name);
  g_autoptr (GPtrArray) ids = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  ConfabAgent *member;
  va_list ap;

  confab_team_set_mode (team, mode);
  confab_team_set_max_turns (team, max_turns);
  create (db, team);

  va_start (ap, max_turns);
  while ((member = va_arg (ap, ConfabAgent *)) != NULL)
    g_ptr_array_add (ids, (char *) id_of (member));
  va_end (ap);
  g_ptr_array_add (ids, NULL);
  confab_team_set_members (db, id_of (team), (const char * const *) ids->pdata, NULL, NULL,
                           &error);
  g_assert_no_error (error);
  return team;
}

static char *
start_team (Fixture    *f,
            ConfabTeam *team)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) c = NULL;

  c = confab_agent_runtime_start_team_conversation (f->runtime, id_of (f->user), id_of (team),
                                                    &error);
  g_assert_no_error (error);
  g_assert_null (confab_conversation_get_agent_id (c));
  g_assert_cmpstr (confab_conversation_get_team_id (c), ==, id_of (team));
  return g_strdup (id_of (c));
}

/* The conversation's messages, oldest first. */
static GPtrArray *
list_messages (ConfabDatabase *db,
               const char     *conversation_id)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *all;

  all = confab_repository_list (db, CONFAB_TYPE_MESSAGE, "conversation_id", conversation_id,
                                &error);
  g_assert_no_error (error);
  return all;
}

/* The index-th message was written by agent (NULL: the user) with content
 * (NULL: any) and status. */
static void
assert_message (GPtrArray   *all,
                guint        index,
                ConfabAgent *agent,
                const char  *content,
                const char  *status)
{
  ConfabMessage *message;

  g_assert_cmpuint (index, <, all->len);
  message = g_ptr_array_index (all, index);
  g_assert_cmpstr (confab_message_get_role (message), ==, agent != NULL ? "assistant" : "user");
  g_assert_cmpstr (confab_message_get_agent_id (message), ==, agent != NULL ? id_of (agent) : NULL);
  if (content != NULL)
    g_assert_cmpstr (confab_message_get_content (message), ==, content);
  g_assert_cmpstr (confab_message_get_status (message), ==, status);
  if (index > 0)
    g_assert_cmpstr (confab_message_get_parent_message_id (message), ==,
                     id_of (g_ptr_array_index (all, index - 1)));
}

/* The demo's Front Desk routes each message to the member whose rules match
 * it; when none does, the first member answers. */
static void
test_team_router (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabAgentRuntime) runtime = confab_agent_runtime_new (ws->db, NULL);
  g_autoptr (ConfabTeam) team = NULL;
  g_autoptr (ConfabAgent) bakery = NULL;
  g_autoptr (ConfabAgent) dental = NULL;
  g_autoptr (ConfabUser) maya = NULL;
  g_autoptr (ConfabConversation) c = NULL;
  g_autoptr (ConfabRuleMatch) hours = NULL;
  g_autoptr (ConfabRuleMatch) toothache = NULL;
  g_autoptr (ConfabRuleMatch) bakery_miss = NULL;
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (Run) run = { 0 };

  import_demo (ws->db);
  team = confab_repository_find (ws->db, CONFAB_TYPE_TEAM, "name", "Front Desk", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_team_get_mode (team), ==, "router");
  bakery = confab_repository_find (ws->db, CONFAB_TYPE_AGENT, "name", "Bakery Concierge", &error);
  g_assert_no_error (error);
  dental = confab_repository_find (ws->db, CONFAB_TYPE_AGENT, "name", "Maple Dental Receptionist",
                                   &error);
  g_assert_no_error (error);
  maya = confab_repository_find (ws->db, CONFAB_TYPE_USER, "username", "maya", &error);
  g_assert_no_error (error);
  c = confab_agent_runtime_start_team_conversation (runtime, id_of (maya), id_of (team), &error);
  g_assert_no_error (error);

  hours = expected_match (ws->db, "Bakery Concierge", "maya", "are you open on sunday?", 0, 0);
  g_assert_cmpint (hours->rule_index, >=, 0);
  reply (runtime, id_of (c), "are you open on sunday?", &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (run.events->str, ==, "SDE");
  g_assert_cmpstr (confab_message_get_agent_id (run.message), ==, id_of (bakery));
  g_assert_cmpstr (confab_message_get_content (run.message), ==, hours->response);
  assert_answer (ws->db, run.message, "rule", hours->rule_name);

  /* The bakery (first) has no rule for it, the dental clinic has. */
  bakery_miss = expected_match (ws->db, "Bakery Concierge", "maya", DENTAL_QUESTION, 1, 0);
  g_assert_cmpint (bakery_miss->rule_index, ==, -1);
  toothache = expected_match (ws->db, "Maple Dental Receptionist", "maya", DENTAL_QUESTION, 0, 0);
  g_assert_cmpint (toothache->rule_index, >=, 0);
  g_assert_null (toothache->action);
  reply (runtime, id_of (c), DENTAL_QUESTION, &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (run.events->str, ==, "SDE");
  g_assert_cmpstr (confab_message_get_agent_id (run.message), ==, id_of (dental));
  g_assert_cmpstr (confab_message_get_content (run.message), ==, toothache->response);

  /* Nobody has a rule: the first member answers, with its fallback. */
  reply (runtime, id_of (c), "Hmm, bicycles?", &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (confab_message_get_agent_id (run.message), ==, id_of (bakery));
  assert_answer (ws->db, run.message, "fallback", NULL);

  all = list_messages (ws->db, id_of (c));
  g_assert_cmpuint (all->len, ==, 6);
  assert_message (all, 2, NULL, DENTAL_QUESTION, "complete");
  assert_message (all, 3, dental, toothache->response, "complete");
}

/* Each member in order, each answering the previous reply. */
static void
test_team_sequential (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr (ConfabAgent) bakery = add_agent (f->db, "Bakery", "rule_based", NULL, bakery_rules);
  g_autoptr (ConfabAgent) notes = add_agent (f->db, "Notes", "rule_based", NULL, mondays_rules);
  g_autoptr (ConfabTeam) team = add_team (f->db, "Relay", "sequential", 1, bakery, notes, NULL);
  g_autofree char *conversation_id = start_team (f, team);
  g_autoptr (GPtrArray) all = NULL;
  g_auto (Run) run = { 0 };

  reply (f->runtime, conversation_id, "are you open on sunday?", &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (run.events->str, ==, "SDESDE");
  g_assert_cmpstr (run.streamed->str, ==, OPENING_HOURS MONDAYS_NOTE);
  /* The last reply is the answer. */
  g_assert_cmpstr (confab_message_get_agent_id (run.message), ==, id_of (notes));
  g_assert_cmpstr (confab_message_get_content (run.message), ==, MONDAYS_NOTE);

  all = list_messages (f->db, conversation_id);
  g_assert_cmpuint (all->len, ==, 3);
  assert_message (all, 0, NULL, "are you open on sunday?", "complete");
  assert_message (all, 1, bakery, OPENING_HOURS, "complete");
  assert_message (all, 2, notes, MONDAYS_NOTE, "complete");
  assert_answer (f->db, g_ptr_array_index (all, 2), "rule", "Mondays");
}

/* Members take turns until max_turns replies. */
static void
test_team_round_robin (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr (ConfabAgent) ping = add_agent (f->db, "Ping", "rule_based", NULL, ping_rules);
  g_autoptr (ConfabAgent) pong = add_agent (f->db, "Pong", "rule_based", NULL, pong_rules);
  g_autoptr (ConfabTeam) team = add_team (f->db, "Table tennis", "round_robin", 3, ping, pong,
                                          NULL);
  g_autofree char *conversation_id = start_team (f, team);
  g_autoptr (GPtrArray) all = NULL;
  g_auto (Run) run = { 0 };

  reply (f->runtime, conversation_id, "start", &run);
  g_assert_no_error (run.error);
  g_assert_cmpstr (run.events->str, ==, "SDESDESDE");
  g_assert_cmpstr (confab_message_get_agent_id (run.message), ==, id_of (ping));

  all = list_messages (f->db, conversation_id);
  g_assert_cmpuint (all->len, ==, 4);
  assert_message (all, 0, NULL, "start", "complete");
  assert_message (all, 1, ping, "ping", "complete");
  assert_message (all, 2, pong, "pong", "complete");
  assert_message (all, 3, ping, "ping", "complete");
  g_assert_cmpstr (id_of (run.message), ==, id_of (g_ptr_array_index (all, 3)));
}

/* A failing member ends the run with its error; the replies before stay
 * and the members after it do not answer. */
static void
test_team_failing_member (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr (ConfabAgent) bakery = add_agent (f->db, "Bakery", "rule_based", NULL, bakery_rules);
  g_autoptr (ConfabAgent) llm = add_llm_agent (f, "llm", NULL, NULL);
  g_autoptr (ConfabAgent) notes = add_agent (f->db, "Notes", "rule_based", NULL, mondays_rules);
  g_autoptr (ConfabTeam) team = add_team (f->db, "Relay", "sequential", 1, bakery, llm, notes,
                                          NULL);
  g_autofree char *conversation_id = start_team (f, team);
  g_autoptr (GPtrArray) all = NULL;
  g_auto (Run) run = { 0 };

  push_server_error (f->server);
  reply (f->runtime, conversation_id, "are you open on sunday?", &run);
  g_assert_null (run.message);
  g_assert_error (run.error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  g_assert_nonnull (strstr (run.error->message, "the oven is on fire"));
  g_assert_cmpstr (run.events->str, ==, "SDESE");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (f->server), ==, 1);

  all = list_messages (f->db, conversation_id);
  g_assert_cmpuint (all->len, ==, 3);
  assert_message (all, 0, NULL, "are you open on sunday?", "complete");
  assert_message (all, 1, bakery, OPENING_HOURS, "complete");
  assert_message (all, 2, llm, "", "error");
  g_assert_nonnull (strstr (confab_message_get_error (g_ptr_array_index (all, 2)),
                            "the oven is on fire"));
}

/* One cancellable stops the whole run: between two replies, or while a
 * member streams. */
static void
test_team_cancel (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr (ConfabAgent) bakery = add_agent (f->db, "Bakery", "rule_based", NULL, bakery_rules);
  g_autoptr (ConfabAgent) llm = add_llm_agent (f, "llm", NULL, NULL);
  g_autoptr (ConfabTeam) rules_first = add_team (f->db, "Rules first", "sequential", 1, bakery,
                                                 llm, NULL);
  g_autoptr (ConfabTeam) model_first = add_team (f->db, "Model first", "round_robin", 4, llm,
                                                 bakery, NULL);
  g_autofree char *first_id = start_team (f, rules_first);
  g_autofree char *second_id = start_team (f, model_first);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GCancellable) cancellable2 = g_cancellable_new ();
  g_autoptr (GPtrArray) all = NULL;
  g_auto (Run) run = { 0 };
  ConfabMockResponse *response;

  /* Cancelled during the bakery's reply: it is kept, the model is not asked. */
  reply_full (f->runtime, first_id, "are you open on sunday?", cancellable, &run);
  g_assert_null (run.message);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (run.events->str, ==, "SDE");
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (f->server), ==, 0);
  all = list_messages (f->db, first_id);
  g_assert_cmpuint (all->len, ==, 2);
  assert_message (all, 1, bakery, OPENING_HOURS, "complete");
  g_clear_pointer (&all, g_ptr_array_unref);

  /* Cancelled while the model streams: its reply is kept as cancelled and
   * nobody answers after it. */
  response = confab_mock_response_new (200, "text/event-stream");
  {
    g_autofree char *a = sse_delta ("Once upon a time");

    confab_mock_response_add_chunk (response, 0, a, -1);
  }
  confab_mock_response_set_endless_chatty (response, 50, ": keep-alive\n\n");
  confab_mock_llm_server_push (f->server, response);
  reply_full (f->runtime, second_id, "Tell me a long story", cancellable2, &run);
  g_assert_null (run.message);
  g_assert_error (run.error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (run.events->str, ==, "SDE");
  all = list_messages (f->db, second_id);
  g_assert_cmpuint (all->len, ==, 2);
  assert_message (all, 1, llm, "Once upon a time", "cancelled");
}

static void
test_cli_chat_rules (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *conversation_id = NULL;
  g_autofree char *expected_out = NULL;
  g_autofree char *expected_err = NULL;
  g_autofree char *expected_show = NULL;
  g_autoptr (ConfabRuleMatch) hours = NULL;
  g_autoptr (ConfabRuleMatch) gluten = NULL;
  g_autoptr (ConfabRuleMatch) miss = NULL;
  g_autoptr (ConfabRuleMatch) person = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (CliRun) r = { 0 };
  JsonObject *shown;
  JsonArray *messages;

  import_demo (ws->db);

  /* Offline: the demo's bakery agent answers from its rules; the first
   * admin (Maya) writes. */
  hours = expected_match (ws->db, "Bakery Concierge", "maya", "are you open on sunday?", 0, 0);
  g_assert_cmpint (hours->rule_index, >=, 0);
  g_assert_nonnull (strstr (hours->response, "Sunday"));
  cli (&r, ws->path, "chat", "--agent", "Bakery Concierge", "are you open on sunday?");
  assert_status (&r, 0, "chat --agent \"Bakery Concierge\"");
  expected_out = g_strconcat (hours->response, "\n", NULL);
  g_assert_cmpstr (cli_out (&r), ==, expected_out);
  expected_err = g_strdup_printf ("— Bakery Concierge (rule “%s”)\n", hours->rule_name);
  assert_contains (cli_err (&r), expected_err, "stderr");
  conversation_id = conversation_from_stderr (&r);

  /* Going on: the same conversation (no new id), turn 1. */
  gluten = expected_match (ws->db, "Bakery Concierge", "maya", "Do you have gluten free bread?", 1,
                           0);
  g_assert_cmpint (gluten->rule_index, >=, 0);
  cli (&r, ws->path, "chat", "--agent", "Bakery Concierge", "Do you have gluten free bread?");
  assert_status (&r, 0, "chat, second message");
  g_assert_null (strstr (cli_err (&r), "conversation: "));
  g_clear_pointer (&expected_out, g_free);
  expected_out = g_strconcat (gluten->response, "\n", NULL);
  g_assert_cmpstr (cli_out (&r), ==, expected_out);
  g_clear_pointer (&expected_err, g_free);
  expected_err = g_strdup_printf ("(rule “%s”)", gluten->rule_name);
  assert_contains (cli_err (&r), expected_err, "stderr");

  miss = expected_match (ws->db, "Bakery Concierge", "maya", "Hmm, bicycles?", 2, 0);
  g_assert_cmpint (miss->rule_index, ==, -1);
  cli (&r, ws->path, "chat", "--conversation", conversation_id, "Hmm, bicycles?");
  assert_status (&r, 0, "chat --conversation");
  g_clear_pointer (&expected_out, g_free);
  expected_out = g_strconcat (miss->response, "\n", NULL);
  g_assert_cmpstr (cli_out (&r), ==, expected_out);
  assert_contains (cli_err (&r), "— Bakery Concierge (fallback answer)\n", "stderr");

  cli (&r, ws->path, "conversations", "show", conversation_id);
  assert_status (&r, 0, "conversations show");
  assert_contains (cli_out (&r), "#0 user · Maya Okafor\nare you open on sunday?\n", "show");
  expected_show = g_strdup_printf ("#1 assistant · Bakery Concierge · %s\n%s\n", hours->rule_name,
                                   hours->response);
  assert_contains (cli_out (&r), expected_show, "show");
  assert_contains (cli_out (&r), "#5 assistant · Bakery Concierge · fallback answer\n", "show");

  cli (&r, ws->path, "conversations", "show", "--json", conversation_id);
  assert_status (&r, 0, "conversations show --json");
  g_assert_true (json_parser_load_from_data (parser, cli_out (&r), -1, &error));
  g_assert_no_error (error);
  shown = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (shown, "id"), ==, conversation_id);
  g_assert_cmpstr (json_object_get_string_member (shown, "title"), ==, "are you open on sunday?");
  g_assert_cmpstr (json_object_get_string_member (shown, "status"), ==, "active");
  g_assert_cmpstr (json_object_get_string_member (shown, "agent_name"), ==, "Bakery Concierge");
  messages = json_object_get_array_member (shown, "messages");
  g_assert_cmpuint (json_array_get_length (messages), ==, 6);
  {
    JsonObject *question = json_array_get_object_element (messages, 0);
    JsonObject *answer = json_array_get_object_element (messages, 1);

    g_assert_cmpstr (json_object_get_string_member (question, "role"), ==, "user");
    g_assert_cmpstr (json_object_get_string_member (question, "user_name"), ==, "Maya Okafor");
    g_assert_cmpstr (json_object_get_string_member (answer, "role"), ==, "assistant");
    g_assert_cmpstr (json_object_get_string_member (answer, "agent_name"), ==, "Bakery Concierge");
    g_assert_cmpstr (json_object_get_string_member (answer, "rule_name"), ==, hours->rule_name);
    g_assert_cmpstr (json_object_get_string_member (answer, "answered_by"), ==, "rule");
    g_assert_cmpstr (json_object_get_string_member (answer, "status"), ==, "complete");
    g_assert_cmpstr (json_object_get_string_member (answer, "model"), ==, "rules");
    g_assert_cmpstr (json_object_get_string_member (answer, "content"), ==, hours->response);
    g_assert_cmpstr (json_object_get_string_member (answer, "parent_message_id"), ==,
                     json_object_get_string_member (question, "id"));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (answer,
                                                                           "source_references")),
                      ==, 0);
  }

  /* A team: the demo's Front Desk routes the question to the bakery and
   * says who spoke. */
  cli (&r, ws->path, "chat", "--team", "Front Desk", "are you open on sunday?");
  assert_status (&r, 0, "chat --team \"Front Desk\"");
  g_clear_pointer (&expected_out, g_free);
  expected_out = g_strconcat (hours->response, "\n", NULL);
  g_assert_cmpstr (cli_out (&r), ==, expected_out);
  g_clear_pointer (&expected_err, g_free);
  expected_err = g_strdup_printf ("— Bakery Concierge (rule “%s”)\n", hours->rule_name);
  assert_contains (cli_err (&r), expected_err, "stderr");
  assert_contains (cli_err (&r), "conversation: ", "stderr");
  /* The same team conversation goes on; the dental clinic answers this. */
  cli (&r, ws->path, "chat", "--team", "Front Desk", DENTAL_QUESTION);
  assert_status (&r, 0, "chat --team, a dental question");
  g_assert_null (strstr (cli_err (&r), "conversation: "));
  assert_contains (cli_err (&r), "— Maple Dental Receptionist (rule “", "stderr");
  cli (&r, ws->path, "chat", "--team", "Nobody", "hello");
  assert_status (&r, 1, "chat with an unknown team");
  assert_contains (cli_err (&r), "Nobody", "stderr");
  cli (&r, ws->path, "chat", "--team", "Front Desk", "--agent", "IT Help Desk", "hello");
  assert_status (&r, 2, "chat --team with --agent");

  /* A new conversation of another user that the rules hand to a person;
   * then the agent stays silent. */
  person = expected_match (ws->db, "Bakery Concierge", "lena.f", "I want to talk to a person", 0,
                           0);
  g_assert_cmpstr (person->action, ==, "escalate");
  cli (&r, ws->path, "chat", "--agent", "Bakery Concierge", "--user", "lena.f", "--new",
       "I want to talk to a person");
  assert_status (&r, 0, "chat to a person");
  g_clear_pointer (&expected_out, g_free);
  expected_out = g_strconcat (person->response, "\n", NULL);
  g_assert_cmpstr (cli_out (&r), ==, expected_out);
  assert_contains (cli_err (&r), "handed to a person", "stderr");
  g_clear_pointer (&conversation_id, g_free);
  conversation_id = conversation_from_stderr (&r);
  cli (&r, ws->path, "chat", "--conversation", conversation_id, "Hello?");
  assert_status (&r, 0, "chat while a person holds it");
  g_assert_cmpstr (cli_out (&r), ==, "");
  assert_contains (cli_err (&r), "a person holds this conversation", "stderr");
  cli (&r, ws->path, "conversations", "show", conversation_id);
  assert_contains (cli_out (&r), "status: escalated\n", "show");
  assert_contains (cli_out (&r), "#2 user · Lena Fischer\nHello?\n", "show");

  /* Mistakes. */
  cli (&r, ws->path, "chat", "--agent", "Nobody", "hello");
  assert_status (&r, 1, "chat with an unknown agent");
  assert_contains (cli_err (&r), "Nobody", "stderr");
  cli (&r, ws->path, "chat", "--agent", "Bakery Concierge");
  assert_status (&r, 2, "chat without a message");
  cli (&r, ws->path, "chat", "--agent", "IT Help Desk", "--conversation", conversation_id, "hi");
  assert_status (&r, 2, "chat --agent with another agent's conversation");
  cli (&r, ws->path, "conversations", "show", "no-such-id");
  assert_status (&r, 1, "conversations show with an unknown id");
}

static void
test_cli_chat_no_admin (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabAgent) agent = add_agent (ws->db, "Bakery Concierge", "rule_based", NULL,
                                             bakery_rules);
  g_autoptr (ConfabUser) client = confab_test_add_user (ws->db, "client");
  g_auto (CliRun) r = { 0 };

  cli (&r, ws->path, "chat", "--agent", "Bakery Concierge", "hours?");
  assert_status (&r, 1, "chat without an admin");
  assert_contains (cli_err (&r), "--user", "stderr");

  cli (&r, ws->path, "chat", "--agent", id_of (agent), "--user", "client", "hours?");
  assert_status (&r, 0, "chat --user");
  g_assert_cmpstr (cli_out (&r), ==, OPENING_HOURS "\n");
}

static void
test_cli_chat_llm (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabProvider) provider = add_mock_provider (ws->db, server, "Mock");
  g_autoptr (ConfabAgent) agent = add_agent (ws->db, "FAQ Bot", "llm", id_of (provider), NULL);
  g_autoptr (ConfabUser) user = confab_test_add_user (ws->db, "lena");
  g_autofree char *chunk_id = add_faq (ws->db, agent);
  g_autofree char *conversation_id = NULL;
  g_autoptr (JsonNode) body = NULL;
  g_auto (CliRun) r = { 0 };
  const char * const pieces[] = { "We are open ", "Tuesday to Sunday [1].", NULL };
  JsonArray *messages;

  push_stream (server, pieces, 20);
  cli (&r, ws->path, "chat", "--agent", "FAQ Bot", "--user", "lena",
       "When are you open on Sunday?");
  assert_status (&r, 0, "chat with an LLM agent");
  g_assert_cmpstr (cli_out (&r), ==, "We are open Tuesday to Sunday [1].\n");
  assert_contains (cli_err (&r), "— FAQ Bot (model " SERVED_MODEL ", 17 tokens)\n", "stderr");
  assert_contains (cli_err (&r), "\n[1] faq.md #0\n", "stderr");
  conversation_id = conversation_from_stderr (&r);

  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 1);
  body = confab_mock_request_get_json (confab_mock_llm_server_get_request (server, 0));
  messages = json_object_get_array_member (json_node_get_object (body), "messages");
  g_assert_nonnull (strstr (json_object_get_string_member (json_array_get_object_element (messages,
                                                                                          0),
                                                           "content"),
                            "[1] faq.md: " HOURS_CHUNK));

  cli (&r, ws->path, "conversations", "show", conversation_id);
  assert_status (&r, 0, "conversations show");
  assert_contains (cli_out (&r), "#1 assistant · FAQ Bot · " SERVED_MODEL "\n"
                                 "We are open Tuesday to Sunday [1].\n  [1] faq.md #0\n", "show");

  /* No keyring at all: a local server needs no key, and nothing warns. */
  push_stream (server, (const char * const[]) { "Still open [1].", NULL }, 0);
  {
    const char *args[] = { "chat", "--conversation", conversation_id, "Open on Sunday again?",
                           NULL };
    g_autoptr (GSubprocess) process = spawn_cli_full (ws->path, args, TRUE);

    finish_cli (&r, process, NULL);
  }
  assert_status (&r, 0, "chat without a keyring");
  g_assert_cmpstr (cli_out (&r), ==, "Still open [1].\n");
  g_assert_null (strstr (cli_err (&r), "WARNING"));
  g_assert_null (strstr (cli_err (&r), "CRITICAL"));
  g_assert_null (strstr (cli_err (&r), "warning"));
  g_assert_null (confab_mock_request_get_header (confab_mock_llm_server_get_request (server, 1),
                                                 "Authorization"));

  /* A provider error: exit 1 with the message; the question is kept. */
  push_server_error (server);
  cli (&r, ws->path, "chat", "--conversation", conversation_id, "And on Monday?");
  assert_status (&r, 1, "chat with a failing provider");
  assert_contains (cli_err (&r), "the oven is on fire", "stderr");
  cli (&r, ws->path, "conversations", "show", conversation_id);
  assert_contains (cli_out (&r), "#4 user · lena\nAnd on Monday?\n", "show");
  assert_contains (cli_out (&r), "#5 assistant · FAQ Bot · " AGENT_MODEL " · error\n", "show");
  assert_contains (cli_out (&r), "  error: ", "show");
}

/* Ctrl+C stops the reply: exit 130, the partial text printed and kept. */

typedef struct
{
  GInputStream *stream;
  GString      *text;
  gboolean      reading;
  GError       *error;
} Reader;

static void read_more (Reader *reader);

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Reader *reader = user_data;
  g_autoptr (GBytes) bytes = NULL;

  reader->reading = FALSE;
  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &reader->error);
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    return;
  g_string_append_len (reader->text, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (strstr (reader->text->str, "Once") == NULL)
    read_more (reader);
}

static void
read_more (Reader *reader)
{
  reader->reading = TRUE;
  g_input_stream_read_bytes_async (reader->stream, 4096, G_PRIORITY_DEFAULT, NULL, on_read,
                                   reader);
}

static gboolean
reader_stopped (gpointer data)
{
  return !((Reader *) data)->reading;
}

static void
test_cli_chat_interrupt (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabProvider) provider = add_mock_provider (ws->db, server, "Mock");
  g_autoptr (ConfabAgent) agent = add_agent (ws->db, "Storyteller", "llm", id_of (provider), NULL);
  g_autoptr (ConfabUser) user = confab_test_add_user (ws->db, "lena");
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GPtrArray) replies = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (CliRun) r = { 0 };
  const char *args[] = { "chat", "--agent", "Storyteller", "--user", "lena", "A story!", NULL };
  ConfabMockResponse *response = confab_mock_response_new (200, "text/event-stream");
  Reader reader = { 0 };

  {
    g_autofree char *a = sse_delta ("Once");

    confab_mock_response_add_chunk (response, 0, a, -1);
  }
  confab_mock_response_set_endless_chatty (response, 50, ": keep-alive\n\n");
  confab_mock_llm_server_push (server, response);

  process = spawn_cli (ws->path, args);
  reader.stream = g_subprocess_get_stdout_pipe (process);
  reader.text = text;
  read_more (&reader);
  if (!confab_mock_wait_until (reader_stopped, &reader, RUN_TIMEOUT_MS))
    g_error ("No text on stdout while the reply is still open");
  g_assert_no_error (reader.error);
  g_assert_cmpstr (text->str, ==, "Once");

  g_subprocess_send_signal (process, SIGINT);
  finish_cli (&r, process, text);
  assert_status (&r, 130, "chat interrupted");
  g_assert_cmpstr (cli_out (&r), ==, "Once\n");
  assert_contains (cli_err (&r), "confab-cli: cancelled\n", "stderr");

  replies = confab_repository_list (ws->db, CONFAB_TYPE_MESSAGE, "role", "assistant", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (replies->len, ==, 1);
  g_assert_cmpstr (confab_message_get_status (g_ptr_array_index (replies, 0)), ==, "cancelled");
  g_assert_cmpstr (confab_message_get_content (g_ptr_array_index (replies, 0)), ==, "Once");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/confab/runtime/prompt/estimate", test_prompt_estimate);
  g_test_add ("/confab/runtime/prompt/system-inline", Fixture, NULL, fixture_set_up,
              test_prompt_system_inline, fixture_tear_down);
  g_test_add ("/confab/runtime/prompt/system-library", Fixture, NULL, fixture_set_up,
              test_prompt_system_library, fixture_tear_down);
  g_test_add_func ("/confab/runtime/prompt/context", test_prompt_context);
  g_test_add ("/confab/runtime/prompt/model-settings", Fixture, NULL, fixture_set_up,
              test_prompt_model_settings, fixture_tear_down);
  g_test_add_func ("/confab/runtime/prompt/history-trim", test_prompt_history_trim);
  g_test_add_func ("/confab/runtime/prompt/history-roles", test_prompt_history_roles);

  g_test_add ("/confab/runtime/rules/answer", Fixture, NULL, fixture_set_up, test_rules_answer,
              fixture_tear_down);
  g_test_add ("/confab/runtime/rules/fallback", Fixture, NULL, fixture_set_up, test_rules_fallback,
              fixture_tear_down);
  g_test_add ("/confab/runtime/rules/escalate", Fixture, NULL, fixture_set_up, test_rules_escalate,
              fixture_tear_down);
  g_test_add ("/confab/runtime/rules/end", Fixture, NULL, fixture_set_up, test_rules_end,
              fixture_tear_down);
  g_test_add ("/confab/runtime/rules/invalid-input", Fixture, NULL, fixture_set_up,
              test_rules_invalid_input, fixture_tear_down);
  g_test_add ("/confab/runtime/rules/handoff", Fixture, NULL, fixture_set_up, test_rules_handoff,
              fixture_tear_down);
  g_test_add ("/confab/runtime/title", Fixture, NULL, fixture_set_up, test_title,
              fixture_tear_down);

  g_test_add ("/confab/runtime/llm/stream", Fixture, NULL, fixture_set_up, test_llm_stream,
              fixture_tear_down);
  g_test_add ("/confab/runtime/llm/failure", Fixture, NULL, fixture_set_up, test_llm_failure,
              fixture_tear_down);
  g_test_add ("/confab/runtime/llm/cancel", Fixture, NULL, fixture_set_up, test_llm_cancel,
              fixture_tear_down);
  g_test_add ("/confab/runtime/llm/misconfigured", Fixture, NULL, fixture_set_up,
              test_llm_misconfigured, fixture_tear_down);
  g_test_add ("/confab/runtime/hybrid", Fixture, NULL, fixture_set_up, test_hybrid,
              fixture_tear_down);

  g_test_add_func ("/confab/runtime/team/router", test_team_router);
  g_test_add ("/confab/runtime/team/sequential", Fixture, NULL, fixture_set_up,
              test_team_sequential, fixture_tear_down);
  g_test_add ("/confab/runtime/team/round-robin", Fixture, NULL, fixture_set_up,
              test_team_round_robin, fixture_tear_down);
  g_test_add ("/confab/runtime/team/failing-member", Fixture, NULL, fixture_set_up,
              test_team_failing_member, fixture_tear_down);
  g_test_add ("/confab/runtime/team/cancel", Fixture, NULL, fixture_set_up, test_team_cancel,
              fixture_tear_down);

  g_test_add_func ("/confab/runtime/cli/chat-rules", test_cli_chat_rules);
  g_test_add_func ("/confab/runtime/cli/chat-no-admin", test_cli_chat_no_admin);
  g_test_add_func ("/confab/runtime/cli/chat-llm", test_cli_chat_llm);
  g_test_add_func ("/confab/runtime/cli/chat-interrupt", test_cli_chat_interrupt);

  return g_test_run ();
}
