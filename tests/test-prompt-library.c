/* The prompt library's workflow (confab-prompt-library.h): saving versions
 * (numbers, variables, model settings, immutability, two connections saving
 * at once), labels and what an agent then says, restoring, references,
 * history with an audit row for every action, and variable detection.
 *
 * Run through tools/run-tests: the agent runtime looks provider keys up in
 * the (throwaway) keyring; the mock provider needs none. */

#include "config.h"

#include <string.h>

#include "confab-agent-runtime.h"
#include "confab-mock-llm-server.h"
#include "confab-prompt-library.h"
#include "confab-template.h"
#include "confab-test-util.h"

#define RUN_TIMEOUT_MS 60000

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static void
assert_rows (ConfabDatabase *db, gint64 expected, const char *sql)
{
  gint64 n = confab_test_count_rows (db, sql);

  if (n != expected)
    g_error ("%s: %" G_GINT64_FORMAT " rows, expected %" G_GINT64_FORMAT, sql, n, expected);
}

/* A new prompt with body as version 1. */
static ConfabPrompt *
add_prompt (ConfabDatabase *db, const char *name, const char *body)
{
  g_autoptr (GError) error = NULL;
  ConfabPrompt *prompt = confab_prompt_new (name);
  g_autoptr (ConfabPromptVersion) first = confab_prompt_version_new (NULL, body);

  confab_prompt_version_set_message (first, "First");
  g_assert_true (confab_prompt_library_add (db, prompt, first, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_prompt_version_get_version (first), ==, 1);
  return prompt;
}

static ConfabPromptVersion *
save (ConfabDatabase *db, const char *prompt_id, const char *body, const char *message)
{
  g_autoptr (GError) error = NULL;
  ConfabPromptVersion *version = confab_prompt_version_new (prompt_id, body);

  confab_prompt_version_set_message (version, message);
  g_assert_true (confab_prompt_library_save (db, version, &error));
  g_assert_no_error (error);
  return version;
}

/* Variables */

static void
assert_variable (GPtrArray  *variables,
                 guint       i,
                 const char *name,
                 const char *default_value,
                 gboolean    section_only)
{
  ConfabTemplateVariable *variable;

  g_assert_cmpuint (i, <, variables->len);
  variable = g_ptr_array_index (variables, i);
  g_assert_cmpstr (variable->name, ==, name);
  g_assert_cmpstr (variable->default_value, ==, default_value);
  g_assert_cmpint (variable->section_only, ==, section_only);
}

static void
test_detect_variables (void)
{
  g_autoptr (GPtrArray) variables = NULL;
  g_autoptr (GPtrArray) none = NULL;
  g_autoptr (GPtrArray) invalid = NULL;
  g_autoptr (GError) error = NULL;

  variables = confab_template_detect_variables (
      "Hi {{user.name}}, I am {{agent.name}}. Today is {{date}} {{time}}.\n"
      "{{#vip}}Dear {{ name | valued customer }}{{/vip}}\n"
      "{{^vip}}Hello {{name}}{{/vip}} about {{ order.id }}: {{topic|}} {{name|ignored}}\n"
      "{{#urgent}}now{{/urgent}}{{{{not_a_variable}}",
      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (variables->len, ==, 5);
  /* In order of first use; the first default counts; built-ins are left out. */
  assert_variable (variables, 0, "vip", NULL, TRUE);
  assert_variable (variables, 1, "name", "valued customer", FALSE);
  assert_variable (variables, 2, "order.id", NULL, FALSE);
  assert_variable (variables, 3, "topic", "", FALSE);
  assert_variable (variables, 4, "urgent", NULL, TRUE);

  none = confab_template_detect_variables ("Plain text, {single} braces", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->len, ==, 0);

  invalid = confab_template_detect_variables ("one\n{{first name}}", &error);
  g_assert_null (invalid);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Line 2"));

  g_assert_true (confab_template_is_builtin ("user.name"));
  g_assert_true (confab_template_is_builtin ("date"));
  g_assert_false (confab_template_is_builtin ("name"));
}

/* Saving */

static void
test_save (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) author = confab_test_add_user (ws->db, "author");
  g_autoptr (ConfabProvider) provider =
      confab_provider_new ("Local", "ollama", "http://127.0.0.1:1");
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (ConfabPromptVersion) v2 = NULL;
  g_autoptr (ConfabPromptVersion) same = NULL;
  g_autoptr (ConfabPromptVersion) bad = NULL;
  g_autoptr (ConfabPromptVersion) builtins = NULL;
  g_autoptr (ConfabPromptVersion) latest = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) names = NULL;

  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (provider), NULL, &error));
  prompt = add_prompt (ws->db, "support/greeting", "Hello {{name|there}}");

  v2 = confab_prompt_version_new (id_of (prompt), "{{#vip}}Dear{{/vip}} {{name}}, {{topic}}?");
  confab_prompt_version_set_message (v2, "Ask the topic");
  confab_prompt_version_set_author_id (v2, id_of (author));
  confab_prompt_version_set_provider_id (v2, id_of (provider));
  confab_prompt_version_set_model (v2, "llama3");
  confab_prompt_version_set_temperature (v2, 0.2);
  confab_prompt_version_set_max_tokens (v2, 300);
  g_assert_true (confab_prompt_library_save (ws->db, v2, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_prompt_version_get_version (v2), ==, 2);
  g_assert_cmpstr (confab_prompt_version_get_variables (v2), ==, "[\"vip\",\"name\",\"topic\"]");

  latest = confab_prompt_resolve (ws->db, id_of (prompt), "latest", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id_of (latest), ==, id_of (v2));
  g_assert_cmpstr (confab_prompt_version_get_model (latest), ==, "llama3");
  g_assert_cmpstr (confab_prompt_version_get_provider_id (latest), ==, id_of (provider));
  g_assert_cmpfloat_with_epsilon (confab_prompt_version_get_temperature (latest), 0.2, 1e-9);
  g_assert_cmpint (confab_prompt_version_get_max_tokens (latest), ==, 300);
  g_assert_cmpstr (confab_prompt_version_get_message (latest), ==, "Ask the topic");
  g_assert_cmpstr (confab_prompt_version_get_author_id (latest), ==, id_of (author));

  /* The save's audit row, by its author, without the text. */
  assert_rows (ws->db, 1,
               "SELECT count(*) FROM audit_log WHERE entity = 'prompt_version' "
               "AND action = 'create' AND json_extract (details, '$.fields.version') = 2 "
               "AND json_extract (details, '$.fields.message') = 'Ask the topic' "
               "AND instr (details, 'Dear') = 0");
  assert_rows (ws->db, 1,
               "SELECT count(*) FROM audit_log WHERE entity = 'prompt_version' "
               "AND action = 'create' AND actor_id IS NOT NULL");

  /* Nothing changed: refused, nothing written. */
  same = confab_prompt_version_new (id_of (prompt), "{{#vip}}Dear{{/vip}} {{name}}, {{topic}}?");
  confab_prompt_version_set_provider_id (same, id_of (provider));
  confab_prompt_version_set_model (same, "llama3");
  confab_prompt_version_set_temperature (same, 0.2);
  confab_prompt_version_set_max_tokens (same, 300);
  confab_prompt_version_set_message (same, "Again");
  g_assert_false (confab_prompt_library_save (ws->db, same, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "version 2"));
  g_clear_error (&error);
  g_assert_null (id_of (same));
  assert_rows (ws->db, 2, "SELECT count(*) FROM prompt_versions");

  /* Only a setting changed: a new version. */
  confab_prompt_version_set_temperature (same, 0.3);
  g_assert_true (confab_prompt_library_save (ws->db, same, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_prompt_version_get_version (same), ==, 3);

  /* A text that is not a template is refused, naming its line. */
  bad = confab_prompt_version_new (id_of (prompt), "Fine\n{{ bad name }}");
  g_assert_false (confab_prompt_library_save (ws->db, bad, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Line 2"));
  g_clear_error (&error);
  assert_rows (ws->db, 3, "SELECT count(*) FROM prompt_versions");

  /* Only built-ins: an empty list, kept empty. */
  builtins = save (ws->db, id_of (prompt), "Hi {{user.name}}, {{date}}", NULL);
  names = confab_prompt_version_dup_variables (builtins);
  g_assert_cmpuint (g_strv_length (names), ==, 0);
  assert_rows (ws->db, 1,
               "SELECT count(*) FROM prompt_versions WHERE version = 4 "
               "AND json_array_length (variables) = 0");
}

static void
test_add (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabPrompt) prompt = confab_prompt_new ("greeting");
  g_autoptr (ConfabPrompt) twin = NULL;
  g_autoptr (ConfabPromptVersion) first = confab_prompt_version_new (NULL, "Hi {{x");
  g_autoptr (ConfabPromptVersion) again = NULL;
  g_autoptr (GError) error = NULL;

  /* A bad first version: neither the prompt nor the version is kept. */
  g_assert_false (confab_prompt_library_add (ws->db, prompt, first, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (id_of (prompt));
  assert_rows (ws->db, 0, "SELECT count(*) FROM prompts");
  assert_rows (ws->db, 0, "SELECT count(*) FROM audit_log");

  confab_prompt_version_set_body (first, "Hi {{x}}");
  g_assert_true (confab_prompt_library_add (ws->db, prompt, first, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (confab_prompt_version_get_prompt_id (first), ==, id_of (prompt));

  /* A name taken is a conflict. */
  twin = confab_prompt_new ("greeting");
  again = confab_prompt_version_new (NULL, "Other");
  g_assert_false (confab_prompt_library_add (ws->db, twin, again, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT);
  assert_rows (ws->db, 1, "SELECT count(*) FROM prompts");
  assert_rows (ws->db, 1, "SELECT count(*) FROM prompt_versions");
}

static void
test_immutable (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabPrompt) prompt = add_prompt (ws->db, "greeting", "Original text");
  g_autoptr (ConfabPromptVersion) version = NULL;
  g_autoptr (ConfabPromptVersion) stored = NULL;
  g_autoptr (GError) error = NULL;
  char *message = NULL;
  int   rc;

  version = confab_prompt_get_version (ws->db, id_of (prompt), 1, &error);
  g_assert_no_error (error);

  /* Through the repository. */
  confab_prompt_version_set_body (version, "Changed text");
  g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (version), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);

  /* Saving the same object again makes no new number and changes nothing. */
  g_assert_false (confab_prompt_library_save (ws->db, version, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);

  /* Behind the app's back: the trigger refuses. */
  rc = sqlite3_exec (confab_database_get_handle (ws->db),
                     "UPDATE prompt_versions SET body = 'sneaky'", NULL, NULL, &message);
  g_assert_cmpint (rc, !=, SQLITE_OK);
  g_assert_nonnull (strstr (message, "immutable"));
  sqlite3_free (message);

  stored = confab_prompt_get_version (ws->db, id_of (prompt), 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_prompt_version_get_body (stored), ==, "Original text");
  assert_rows (ws->db, 1, "SELECT count(*) FROM prompt_versions");
}

/* Two connections saving at once */

#define SAVES_PER_WORKER 25

typedef struct
{
  const char *path;
  const char *prompt_id;
  int         worker;
  GError     *error;
  int         numbers[SAVES_PER_WORKER];
} Worker;

static gpointer
save_many (gpointer data)
{
  Worker *worker = data;
  g_autoptr (ConfabDatabase) db = confab_database_open (worker->path, &worker->error);

  for (int i = 0; db != NULL && i < SAVES_PER_WORKER; i++)
    {
      g_autofree char *body = g_strdup_printf ("Worker %d, save %d", worker->worker, i);
      g_autoptr (ConfabPromptVersion) version = confab_prompt_version_new (worker->prompt_id, body);

      if (!confab_prompt_library_save (db, version, &worker->error))
        break;
      worker->numbers[i] = confab_prompt_version_get_version (version);
    }
  return NULL;
}

static void
test_concurrent_saves (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabPrompt) prompt = add_prompt (ws->db, "busy", "Start");
  g_autoptr (GHashTable) seen = g_hash_table_new (NULL, NULL);
  Worker   workers[2] = { { 0 } };
  GThread *threads[2];

  for (int w = 0; w < 2; w++)
    {
      workers[w].path = ws->path;
      workers[w].prompt_id = id_of (prompt);
      workers[w].worker = w;
      threads[w] = g_thread_new ("saver", save_many, &workers[w]);
    }
  for (int w = 0; w < 2; w++)
    g_thread_join (threads[w]);

  for (int w = 0; w < 2; w++)
    {
      g_assert_no_error (workers[w].error);
      for (int i = 0; i < SAVES_PER_WORKER; i++)
        {
          int number = workers[w].numbers[i];

          g_assert_cmpint (number, >=, 2);
          g_assert_cmpint (number, <=, 1 + 2 * SAVES_PER_WORKER);
          g_assert_false (g_hash_table_contains (seen, GINT_TO_POINTER (number)));
          g_hash_table_add (seen, GINT_TO_POINTER (number));
          if (i > 0)
            g_assert_cmpint (number, >, workers[w].numbers[i - 1]);
        }
    }
  /* Every number once, 1..51, each with the body its saver wrote. */
  assert_rows (ws->db, 1 + 2 * SAVES_PER_WORKER,
               "SELECT count(DISTINCT version) FROM prompt_versions");
  assert_rows (ws->db, 1 + 2 * SAVES_PER_WORKER, "SELECT max(version) FROM prompt_versions");
  assert_rows (ws->db, 2 * SAVES_PER_WORKER,
               "SELECT count(*) FROM audit_log WHERE entity = 'prompt_version' "
               "AND json_extract (details, '$.fields.version') > 1");
}

/* Labels, and what an agent then says */

static const char json_reply[] =
    "{\"id\":\"c1\",\"object\":\"chat.completion\",\"model\":\"mock\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"Noted.\"},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";

typedef struct
{
  ConfabMessage *message;
  GError        *error;
  gboolean       done;
} Reply;

static void
on_reply (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Reply *reply = user_data;

  reply->message =
      confab_agent_runtime_reply_finish (CONFAB_AGENT_RUNTIME (source), result, &reply->error);
  reply->done = TRUE;
}

static gboolean
is_done (gpointer data)
{
  return *(gboolean *) data;
}

/* Has the agent answer text; returns the system prompt the server got. */
static char *
reply_and_get_system (ConfabAgentRuntime  *runtime,
                      ConfabMockLlmServer *server,
                      const char          *conversation_id,
                      const char          *text)
{
  guint n = confab_mock_llm_server_get_n_requests (server);
  Reply reply = { 0 };
  g_autoptr (JsonNode) body = NULL;
  JsonArray  *messages;
  JsonObject *first;

  confab_mock_llm_server_push (server, confab_mock_response_new_json (200, json_reply));
  confab_agent_runtime_reply_async (runtime, conversation_id, NULL, text, NULL, NULL, NULL,
                                    on_reply, &reply);
  g_assert_true (confab_mock_wait_until (is_done, &reply.done, RUN_TIMEOUT_MS));
  g_assert_no_error (reply.error);
  g_assert_nonnull (reply.message);
  g_assert_cmpstr (confab_message_get_content (reply.message), ==, "Noted.");
  g_clear_object (&reply.message);

  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, n + 1);
  body = confab_mock_request_get_json (confab_mock_llm_server_get_request (server, n));
  messages = json_object_get_array_member (json_node_get_object (body), "messages");
  first = json_array_get_object_element (messages, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "role"), ==, "system");
  return g_strdup (json_object_get_string_member (first, "content"));
}

static void
test_labels_and_agents (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autoptr (ConfabUser) admin = confab_test_add_user (ws->db, "admin");
  g_autoptr (ConfabPrompt) prompt = add_prompt (ws->db, "concierge", "You are version one.");
  g_autoptr (ConfabPromptVersion) v2 = save (ws->db, id_of (prompt), "You are version two.", NULL);
  g_autoptr (ConfabPromptVersion) v3 =
      save (ws->db, id_of (prompt), "You are version three.", NULL);
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (ConfabAgent) agent = confab_agent_new ("Concierge");
  g_autoptr (ConfabAgentRuntime) runtime = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GPtrArray) labels = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = confab_mock_llm_server_get_url (server, "/v1");
  g_autofree char *system1 = NULL;
  g_autofree char *system2 = NULL;
  g_autofree char *system3 = NULL;
  g_auto (GStrv) on_v2 = NULL;
  g_auto (GStrv) on_v3 = NULL;

  g_assert_true (confab_prompt_library_move_label (ws->db, id_of (prompt), "production", 1,
                                                   id_of (admin), &error));
  g_assert_no_error (error);

  provider = confab_provider_new ("Mock", "openai_compatible", url);
  confab_provider_set_default_model (provider, "mock-model");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (provider), NULL, &error));
  confab_agent_set_agent_type (agent, "llm");
  confab_agent_set_provider_id (agent, id_of (provider));
  confab_agent_set_prompt_id (agent, id_of (prompt));
  confab_agent_set_prompt_label (agent, "production");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (agent), NULL, &error));
  g_assert_no_error (error);

  runtime = confab_agent_runtime_new (ws->db, NULL);
  conversation =
      confab_agent_runtime_start_conversation (runtime, id_of (admin), id_of (agent), &error);
  g_assert_no_error (error);

  system1 = reply_and_get_system (runtime, server, id_of (conversation), "Hello");
  g_assert_nonnull (strstr (system1, "version one"));

  /* Moving the label changes what the agent says from its next reply on. */
  g_assert_true (confab_prompt_library_move_label (ws->db, id_of (prompt), "production", 2,
                                                   id_of (admin), &error));
  g_assert_no_error (error);
  system2 = reply_and_get_system (runtime, server, id_of (conversation), "And now?");
  g_assert_nonnull (strstr (system2, "version two"));

  /* An agent on "latest" follows every save. */
  confab_agent_set_prompt_label (agent, "latest");
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (agent), NULL, &error));
  system3 = reply_and_get_system (runtime, server, id_of (conversation), "Latest?");
  g_assert_nonnull (strstr (system3, "version three"));

  /* Each move has its audit row, by who moved it. */
  assert_rows (ws->db, 1,
               "SELECT count(*) FROM audit_log WHERE entity = 'prompt' "
               "AND action = 'label' AND json_type (details, '$.from_version') = 'null' "
               "AND json_extract (details, '$.to_version') = 1");
  assert_rows (ws->db, 1,
               "SELECT count(*) FROM audit_log WHERE entity = 'prompt' "
               "AND action = 'label' AND json_extract (details, '$.from_version') = 1 "
               "AND json_extract (details, '$.to_version') = 2 AND actor_id IS NOT NULL");

  /* A label on a version that does not exist. */
  g_assert_false (
      confab_prompt_library_move_label (ws->db, id_of (prompt), "production", 9, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Labels per version, for badges. */
  g_assert_true (
      confab_prompt_library_move_label (ws->db, id_of (prompt), "staging", 3, NULL, &error));
  g_assert_true (
      confab_prompt_library_move_label (ws->db, id_of (prompt), "beta", 3, NULL, &error));
  labels = confab_prompt_list_labels (ws->db, id_of (prompt), &error);
  g_assert_no_error (error);
  on_v2 = confab_prompt_library_labels_of_version (labels, 2, FALSE);
  on_v3 = confab_prompt_library_labels_of_version (labels, 3, TRUE);
  g_assert_cmpuint (g_strv_length (on_v2), ==, 1);
  g_assert_cmpstr (on_v2[0], ==, "production");
  g_assert_cmpuint (g_strv_length (on_v3), ==, 3);
  g_assert_cmpstr (on_v3[0], ==, "latest");
  g_assert_cmpstr (on_v3[1], ==, "beta");
  g_assert_cmpstr (on_v3[2], ==, "staging");
  (void) v2;
  (void) v3;
}

static void
test_restore (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) editor = confab_test_add_user (ws->db, "editor");
  g_autoptr (ConfabPrompt) prompt = add_prompt (ws->db, "greeting", "Dear {{name}}");
  g_autoptr (ConfabPromptVersion) v2 = save (ws->db, id_of (prompt), "Hi", "Shorter");
  g_autoptr (ConfabPromptVersion) restored = NULL;
  g_autoptr (ConfabPromptVersion) latest = NULL;
  g_autoptr (GError) error = NULL;

  restored = confab_prompt_restore_version (ws->db, id_of (prompt), 1, id_of (editor), &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_prompt_version_get_version (restored), ==, 3);
  g_assert_cmpstr (confab_prompt_version_get_body (restored), ==, "Dear {{name}}");
  g_assert_cmpstr (confab_prompt_version_get_message (restored), ==, "Restored version 1");

  latest = confab_prompt_library_resolve (ws->db, "greeting", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id_of (latest), ==, id_of (restored));
  /* History is only ever added to. */
  assert_rows (ws->db, 3, "SELECT count(*) FROM prompt_versions");
  assert_rows (ws->db, 1, "SELECT count(*) FROM prompt_versions WHERE version = 2 AND body = 'Hi'");
  assert_rows (ws->db, 1,
               "SELECT count(*) FROM audit_log WHERE action = 'rollback' "
               "AND json_extract (details, '$.from_version') = 1 "
               "AND json_extract (details, '$.new_version') = 3");
}

static void
test_resolve (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabPrompt) prompt = add_prompt (ws->db, "support/greeting", "One");
  g_autoptr (ConfabPrompt) odd = add_prompt (ws->db, "odd:name@2", "Odd");
  g_autoptr (ConfabPromptVersion) v2 = save (ws->db, id_of (prompt), "Two", NULL);
  g_autoptr (ConfabPromptVersion) found = NULL;
  g_autoptr (ConfabPrompt) out = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (
      confab_prompt_library_move_label (ws->db, id_of (prompt), "production", 1, NULL, &error));

  found = confab_prompt_library_resolve (ws->db, "support/greeting", &out, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_prompt_version_get_body (found), ==, "Two");
  g_assert_cmpstr (id_of (out), ==, id_of (prompt));
  g_clear_object (&found);
  g_clear_object (&out);

  found = confab_prompt_library_resolve (ws->db, "support/greeting@1", NULL, &error);
  g_assert_cmpstr (confab_prompt_version_get_body (found), ==, "One");
  g_clear_object (&found);
  found = confab_prompt_library_resolve (ws->db, "support/greeting:production", NULL, &error);
  g_assert_cmpstr (confab_prompt_version_get_body (found), ==, "One");
  g_clear_object (&found);
  found = confab_prompt_library_resolve (ws->db, "support/greeting:latest", NULL, &error);
  g_assert_cmpstr (confab_prompt_version_get_body (found), ==, "Two");
  g_clear_object (&found);
  g_assert_no_error (error);

  /* A name holding "@" and ":" is found whole first, then parts of it. */
  found = confab_prompt_library_resolve (ws->db, "odd:name@2", &out, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id_of (out), ==, id_of (odd));
  g_clear_object (&found);
  g_clear_object (&out);
  found = confab_prompt_library_resolve (ws->db, "odd:name@2@1", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_prompt_version_get_body (found), ==, "Odd");
  g_clear_object (&found);

  /* What is missing is named. */
  found = confab_prompt_library_resolve (ws->db, "nope", NULL, &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nope"));
  g_clear_error (&error);
  found = confab_prompt_library_resolve (ws->db, "support/greeting@7", NULL, &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "7"));
  g_clear_error (&error);
  found = confab_prompt_library_resolve (ws->db, "support/greeting:staging", NULL, &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "staging"));
  g_clear_error (&error);
  found = confab_prompt_library_resolve (ws->db, "support/greeting@0", NULL, &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (found);
  (void) v2;
}

static void
test_history (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) admin = confab_test_add_user (ws->db, "admin");
  g_autoptr (ConfabPrompt) prompt = add_prompt (ws->db, "greeting", "One");
  g_autoptr (ConfabPrompt) other = add_prompt (ws->db, "other", "Other");
  g_autoptr (ConfabPromptVersion) v2 = save (ws->db, id_of (prompt), "Two", "Shorter");
  g_autoptr (ConfabPromptVersion) restored = NULL;
  g_autoptr (ConfabPromptTestCase) test_case = NULL;
  g_autoptr (GPtrArray) history = NULL;
  g_autoptr (GError) error = NULL;
  const char *const expected[] = {
    "Removed the test case “Polite”",
    "Added the test case “Polite”",
    "Restored version 1 as version 3",
    "Saved version 3: “Restored version 1”",
    "Moved the label “production” from version 1 to version 2",
    "Put the label “production” on version 1",
    "Saved version 2: “Shorter”",
    "Saved version 1: “First”",
    "Created the prompt “greeting”",
  };

  g_assert_true (confab_prompt_library_move_label (ws->db, id_of (prompt), "production", 1,
                                                   id_of (admin), &error));
  g_assert_true (confab_prompt_library_move_label (ws->db, id_of (prompt), "production", 2,
                                                   id_of (admin), &error));
  restored = confab_prompt_restore_version (ws->db, id_of (prompt), 1, id_of (admin), &error);
  test_case = confab_prompt_test_case_new (id_of (prompt), "Polite");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (test_case), NULL, &error));
  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_PROMPT_TEST_CASE, id_of (test_case),
                                           NULL, &error));
  g_assert_no_error (error);

  history = confab_prompt_library_history (ws->db, id_of (prompt), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (history->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < history->len; i++)
    {
      g_autofree char *text = confab_prompt_library_describe_entry (g_ptr_array_index (history, i));

      g_assert_cmpstr (text, ==, expected[i]);
    }
  g_assert_cmpstr (confab_audit_entry_get_actor_id (g_ptr_array_index (history, 4)), ==,
                   id_of (admin));

  g_clear_pointer (&history, g_ptr_array_unref);
  history = confab_prompt_library_history (ws->db, "no-such-prompt", &error);
  g_assert_null (history);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  (void) other;
  (void) v2;
}

static void
test_split_name (void)
{
  char *folder = NULL;
  char *leaf = NULL;

  confab_prompt_library_split_name ("support/billing/refund", &folder, &leaf);
  g_assert_cmpstr (folder, ==, "support/billing");
  g_assert_cmpstr (leaf, ==, "refund");
  g_clear_pointer (&folder, g_free);
  g_clear_pointer (&leaf, g_free);

  confab_prompt_library_split_name ("greeting", &folder, &leaf);
  g_assert_null (folder);
  g_assert_cmpstr (leaf, ==, "greeting");
  g_clear_pointer (&leaf, g_free);

  confab_prompt_library_split_name ("a/b", NULL, &leaf);
  g_assert_cmpstr (leaf, ==, "b");
  g_clear_pointer (&leaf, g_free);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/prompt-library/detect-variables", test_detect_variables);
  g_test_add_func ("/confab/prompt-library/save", test_save);
  g_test_add_func ("/confab/prompt-library/add", test_add);
  g_test_add_func ("/confab/prompt-library/immutable", test_immutable);
  g_test_add_func ("/confab/prompt-library/concurrent-saves", test_concurrent_saves);
  g_test_add_func ("/confab/prompt-library/labels-and-agents", test_labels_and_agents);
  g_test_add_func ("/confab/prompt-library/restore", test_restore);
  g_test_add_func ("/confab/prompt-library/resolve", test_resolve);
  g_test_add_func ("/confab/prompt-library/history", test_history);
  g_test_add_func ("/confab/prompt-library/split-name", test_split_name);
  return g_test_run ();
}
