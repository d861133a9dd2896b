#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>
#include <sys/wait.h>

#include "confab-test-util.h"

static gint64
count_where (ConfabDatabase *db,
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

/* Rows of tables other developers own are written with plain SQL. */
static void
exec_sql (ConfabDatabase *db,
          const char     *format,
          ...) G_GNUC_PRINTF (2, 3);

static void
exec_sql (ConfabDatabase *db,
          const char     *format,
          ...)
{
  g_autofree char *sql = NULL;
  char *message = NULL;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  if (sqlite3_exec (confab_database_get_handle (db), sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

static void
add_knowledge_base (ConfabDatabase *db,
                    const char     *id,
                    const char     *title)
{
  exec_sql (db, "INSERT INTO knowledge_bases (id, title, created_at, updated_at) "
                "VALUES ('%s', '%s', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z')",
            id, title);
}

static void
add_prompt (ConfabDatabase *db,
            const char     *id,
            int             n_versions)
{
  exec_sql (db, "INSERT INTO prompts (id, name, created_at, updated_at) "
                "VALUES ('%s', '%s', '2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z')",
            id, id);
  for (int v = 1; v <= n_versions; v++)
    exec_sql (db, "INSERT INTO prompt_versions (id, prompt_id, version, body, created_at, updated_at) "
                  "VALUES ('%s-v%d', '%s', %d, 'You help.', "
                  "'2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00.000Z')",
              id, v, id, v);
}

static ConfabAgent *
add_agent (ConfabDatabase *db,
           const char     *name)
{
  g_autoptr (GError) error = NULL;
  ConfabAgent *agent = confab_agent_new (name);

  g_assert_true (confab_repository_create (db, CONFAB_ENTITY (agent), NULL, &error));
  g_assert_no_error (error);
  return agent;
}

static ConfabProvider *
add_provider (ConfabDatabase *db,
              const char     *name)
{
  g_autoptr (GError) error = NULL;
  ConfabProvider *provider = confab_provider_new (name, "ollama", "http://127.0.0.1:11434");

  g_assert_true (confab_repository_create (db, CONFAB_ENTITY (provider), NULL, &error));
  g_assert_no_error (error);
  return provider;
}

#define ID(x) confab_entity_get_id (CONFAB_ENTITY (x))

static void
test_create_get (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) owner = confab_test_add_user (ws->db, "owner");
  g_autoptr (ConfabProvider) provider = add_provider (ws->db, "Ollama");
  g_autoptr (ConfabAgent) agent = confab_agent_new ("Support bot");
  g_autoptr (ConfabAgent) loaded = NULL;
  g_autoptr (GError) error = NULL;
  const char *config = "{\"rules\":[{\"keywords\":[\"refund\"],\"response\":\"See our policy\"}]}";

  add_prompt (ws->db, "prompt-1", 1);
  confab_agent_set_description (agent, "Answers support questions");
  confab_agent_set_agent_type (agent, "hybrid");
  confab_agent_set_sector (agent, "retail");
  confab_agent_set_provider_id (agent, ID (provider));
  confab_agent_set_model (agent, "llama3.1:8b");
  confab_agent_set_temperature (agent, 1.25);
  confab_agent_set_max_tokens (agent, 2048);
  confab_agent_set_system_prompt (agent, "You are a helpful support agent.");
  confab_agent_set_prompt_id (agent, "prompt-1");
  confab_agent_set_prompt_label (agent, "production");
  confab_agent_set_config (agent, config);
  confab_agent_set_owner_id (agent, ID (owner));
  confab_agent_set_is_active (agent, FALSE);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (agent), ID (owner), &error));
  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (ID (agent)));

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_AGENT, ID (agent), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_agent_get_name (loaded), ==, "Support bot");
  g_assert_cmpstr (confab_agent_get_description (loaded), ==, "Answers support questions");
  g_assert_cmpstr (confab_agent_get_agent_type (loaded), ==, "hybrid");
  g_assert_cmpstr (confab_agent_get_sector (loaded), ==, "retail");
  g_assert_cmpstr (confab_agent_get_provider_id (loaded), ==, ID (provider));
  g_assert_cmpstr (confab_agent_get_model (loaded), ==, "llama3.1:8b");
  g_assert_cmpfloat (confab_agent_get_temperature (loaded), ==, 1.25);
  g_assert_cmpint (confab_agent_get_max_tokens (loaded), ==, 2048);
  g_assert_cmpstr (confab_agent_get_system_prompt (loaded), ==, "You are a helpful support agent.");
  g_assert_cmpstr (confab_agent_get_prompt_id (loaded), ==, "prompt-1");
  g_assert_cmpstr (confab_agent_get_prompt_label (loaded), ==, "production");
  g_assert_cmpint (confab_agent_get_prompt_version (loaded), ==, 0);
  g_assert_cmpstr (confab_agent_get_config (loaded), ==, config);
  g_assert_cmpstr (confab_agent_get_owner_id (loaded), ==, ID (owner));
  g_assert_false (confab_agent_get_is_active (loaded));
  g_assert_cmpstr (confab_entity_get_created_at (CONFAB_ENTITY (loaded)), ==,
                   confab_entity_get_created_at (CONFAB_ENTITY (agent)));

  /* The create is audited with every field; the system prompt only by its length. */
  g_assert_cmpint (count_where (ws->db,
                                "SELECT count(*) FROM audit_log WHERE entity = 'agent' AND entity_id = '%s' "
                                "AND action = 'create' AND actor_id = '%s' "
                                "AND json_extract (details, '$.fields.type') = 'hybrid' "
                                "AND json_extract (details, '$.fields.max_tokens') = 2048 "
                                "AND json_extract (details, '$.fields.system_prompt.length') = 32 "
                                "AND json_extract (details, '$.fields.config') LIKE '%%refund%%'",
                                ID (agent), ID (owner)), ==, 1);
}

static void
test_defaults (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabAgent) agent = add_agent (ws->db, "Plain");
  g_autoptr (ConfabAgent) loaded = NULL;
  g_autoptr (GError) error = NULL;

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_AGENT, ID (agent), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_agent_get_agent_type (loaded), ==, "rule_based");
  g_assert_cmpfloat_with_epsilon (confab_agent_get_temperature (loaded), 0.7, 1e-9);
  g_assert_cmpint (confab_agent_get_max_tokens (loaded), ==, 1024);
  g_assert_cmpstr (confab_agent_get_config (loaded), ==, "{}");
  g_assert_true (confab_agent_get_is_active (loaded));
  g_assert_cmpint (confab_agent_get_prompt_version (loaded), ==, 0);
  g_assert_null (confab_agent_get_prompt_id (loaded));
  g_assert_null (confab_agent_get_prompt_label (loaded));
  g_assert_null (confab_agent_get_provider_id (loaded));
  g_assert_null (confab_agent_get_owner_id (loaded));
  g_assert_null (confab_agent_get_description (loaded));

  /* NULL config is stored as an empty object. */
  confab_agent_set_config (loaded, NULL);
  g_assert_cmpstr (confab_agent_get_config (loaded), ==, "{}");

  g_assert_cmpuint (g_strv_length ((char **) confab_agent_types), ==, 3);
  g_assert_true (g_strv_contains (confab_agent_types, "rule_based"));
  g_assert_true (g_strv_contains (confab_agent_types, "llm"));
  g_assert_true (g_strv_contains (confab_agent_types, "hybrid"));
}

static void
expect_refused (ConfabDatabase *db,
                ConfabAgent    *agent,
                int             code,
                const char     *needle,
                const char     *needle2)
{
  g_autoptr (GError) error = NULL;
  gint64 before = confab_test_count_rows (db, "SELECT count(*) FROM agents");
  gint64 audit_before = confab_test_count_rows (db, "SELECT count(*) FROM audit_log");

  if (confab_repository_create (db, CONFAB_ENTITY (agent), NULL, &error))
    g_error ("The agent “%s” was accepted", confab_agent_get_name (agent));
  g_assert_error (error, CONFAB_ERROR, code);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("“%s” does not name “%s”", error->message, needle);
  if (needle2 != NULL && strstr (error->message, needle2) == NULL)
    g_error ("“%s” does not name “%s”", error->message, needle2);
  g_assert_cmpint (confab_test_count_rows (db, "SELECT count(*) FROM agents"), ==, before);
  g_assert_cmpint (confab_test_count_rows (db, "SELECT count(*) FROM audit_log"), ==, audit_before);
  g_assert_null (ID (agent));
}

/* A new agent with the given properties: agent_with (name, "prop", value, ..., NULL). */
static ConfabAgent *
agent_with (const char *name,
            ...) G_GNUC_NULL_TERMINATED;

static ConfabAgent *
agent_with (const char *name,
            ...)
{
  ConfabAgent *agent = confab_agent_new (name);
  const char *first_property;
  va_list args;

  va_start (args, name);
  first_property = va_arg (args, const char *);
  if (first_property != NULL)
    g_object_set_valist (G_OBJECT (agent), first_property, args);
  va_end (args);
  return agent;
}

static void
refuse (ConfabDatabase *db,
        ConfabAgent    *agent,
        int             code,
        const char     *needle,
        const char     *needle2)
{
  expect_refused (db, agent, code, needle, needle2);
  g_object_unref (agent);
}

static void
test_validation (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *long_name = g_strnfill (101, 'a');
  g_autofree char *name_100 = g_strnfill (100, 'b');
  ConfabDatabase *db = ws->db;

  add_prompt (db, "prompt-1", 2);

  refuse (db, agent_with ("", NULL), CONFAB_ERROR_INVALID, "name", NULL);
  refuse (db, agent_with (NULL, NULL), CONFAB_ERROR_INVALID, "name", NULL);
  refuse (db, agent_with (long_name, NULL), CONFAB_ERROR_INVALID, "name", "101");
  refuse (db, agent_with ("A", "type", "robot", NULL), CONFAB_ERROR_INVALID, "robot", "agent type");
  refuse (db, agent_with ("A", "temperature", -0.1, NULL), CONFAB_ERROR_INVALID, "temperature", "-0.1");
  refuse (db, agent_with ("A", "temperature", 2.5, NULL), CONFAB_ERROR_INVALID, "temperature", "2.5");
  refuse (db, agent_with ("A", "max-tokens", 0, NULL), CONFAB_ERROR_INVALID, "tokens", "0");
  refuse (db, agent_with ("A", "max-tokens", -3, NULL), CONFAB_ERROR_INVALID, "tokens", "-3");
  refuse (db, agent_with ("Rulebot", "config", "{\"rules\": [", NULL),
          CONFAB_ERROR_INVALID, "Rulebot", "not valid JSON");
  refuse (db, agent_with ("Rulebot", "config", "[1, 2]", NULL),
          CONFAB_ERROR_INVALID, "Rulebot", "not valid JSON");
  refuse (db, agent_with ("Rulebot", "config", "\"text\"", NULL),
          CONFAB_ERROR_INVALID, "Rulebot", "not valid JSON");
  refuse (db, agent_with ("Rulebot", "config", NULL, NULL),
          CONFAB_ERROR_INVALID, "Rulebot", "not valid JSON");
  refuse (db, agent_with ("Rulebot", "config", "", NULL),
          CONFAB_ERROR_INVALID, "Rulebot", "not valid JSON");
  refuse (db, agent_with ("A", "provider-id", "no-such-provider", NULL),
          CONFAB_ERROR_INVALID, "provider", "no-such-provider");
  refuse (db, agent_with ("A", "owner-id", "no-such-user", NULL),
          CONFAB_ERROR_INVALID, "owner", "no-such-user");
  refuse (db, agent_with ("A", "prompt-id", "no-such-prompt", NULL),
          CONFAB_ERROR_INVALID, "prompt", "no-such-prompt");
  refuse (db, agent_with ("A", "prompt-id", "prompt-1", "prompt-label", "production",
                          "prompt-version", 1, NULL),
          CONFAB_ERROR_INVALID, "production", "1");
  refuse (db, agent_with ("A", "prompt-id", "prompt-1", "prompt-version", 7, NULL),
          CONFAB_ERROR_INVALID, "prompt version", "7");
  refuse (db, agent_with ("A", "prompt-version", -1, NULL), CONFAB_ERROR_INVALID, "prompt version", "-1");
  refuse (db, agent_with ("A", "prompt-id", "prompt-1", "prompt-label", long_name, NULL),
          CONFAB_ERROR_INVALID, "prompt label", NULL);
  refuse (db, agent_with ("Bad\xff", NULL), CONFAB_ERROR_INVALID, "UTF-8", NULL);

  /* Boundaries that are allowed. */
  {
    g_autoptr (ConfabAgent) a = agent_with (name_100, "temperature", 0.0, "max-tokens", 1,
                                            "config", " { } ", NULL);
    g_autoptr (ConfabAgent) b = agent_with ("B", "temperature", 2.0, "type", "llm", NULL);
    /* Same names are allowed: agents are not unique by name. */
    g_autoptr (ConfabAgent) c = agent_with ("B", "type", "hybrid", NULL);

    g_assert_true (confab_repository_create (db, CONFAB_ENTITY (a), NULL, &error));
    g_assert_no_error (error);
    g_assert_true (confab_repository_create (db, CONFAB_ENTITY (b), NULL, &error));
    g_assert_no_error (error);
    g_assert_true (confab_repository_create (db, CONFAB_ENTITY (c), NULL, &error));
    g_assert_no_error (error);
  }
}

static void
test_prompt_reference (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabAgent) latest = agent_with ("Latest", "prompt-id", "prompt-1", NULL);
  g_autoptr (ConfabAgent) pinned = agent_with ("Pinned", "prompt-id", "prompt-1", "prompt-version", 2, NULL);
  g_autoptr (ConfabAgent) loaded = NULL;
  g_autoptr (ConfabAgent) orphan = NULL;

  add_prompt (ws->db, "prompt-1", 2);

  /* Neither a label nor a version: the agent follows "latest". */
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (latest), NULL, &error));
  g_assert_no_error (error);
  loaded = confab_repository_get (ws->db, CONFAB_TYPE_AGENT, ID (latest), &error);
  g_assert_cmpstr (confab_agent_get_prompt_label (loaded), ==, "latest");
  g_assert_cmpint (confab_agent_get_prompt_version (loaded), ==, 0);
  g_clear_object (&loaded);

  /* A pinned version keeps no label. */
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (pinned), NULL, &error));
  g_assert_no_error (error);
  loaded = confab_repository_get (ws->db, CONFAB_TYPE_AGENT, ID (pinned), &error);
  g_assert_null (confab_agent_get_prompt_label (loaded));
  g_assert_cmpint (confab_agent_get_prompt_version (loaded), ==, 2);

  /* Switching from the version to a label is an update that must clear the version. */
  confab_agent_set_prompt_label (loaded, "production");
  g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (loaded), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);
  confab_agent_set_prompt_version (loaded, 0);
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (loaded), NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&loaded);

  /* Deleting the prompt leaves the label behind; the agent can still be saved. */
  exec_sql (ws->db, "DELETE FROM prompts WHERE id = 'prompt-1'");
  orphan = confab_repository_get (ws->db, CONFAB_TYPE_AGENT, ID (pinned), &error);
  g_assert_no_error (error);
  g_assert_null (confab_agent_get_prompt_id (orphan));
  g_assert_cmpstr (confab_agent_get_prompt_label (orphan), ==, "production");
  confab_agent_set_description (orphan, "still works");
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (orphan), NULL, &error));
  g_assert_no_error (error);
}

static void
test_update_and_audit (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) admin = confab_test_add_user (ws->db, "admin");
  g_autoptr (ConfabProvider) provider = add_provider (ws->db, "Ollama");
  g_autoptr (ConfabAgent) agent = add_agent (ws->db, "Helper");
  g_autoptr (ConfabAgent) loaded = NULL;
  g_autoptr (GError) error = NULL;
  const char *id = ID (agent);

  add_prompt (ws->db, "prompt-1", 3);
  confab_agent_set_name (agent, "Helper 2");
  confab_agent_set_description (agent, "Now with an LLM");
  confab_agent_set_agent_type (agent, "llm");
  confab_agent_set_sector (agent, "travel");
  confab_agent_set_provider_id (agent, ID (provider));
  confab_agent_set_model (agent, "qwen2.5");
  confab_agent_set_temperature (agent, 0.2);
  confab_agent_set_max_tokens (agent, 512);
  confab_agent_set_system_prompt (agent, "Be brief.");
  confab_agent_set_prompt_id (agent, "prompt-1");
  confab_agent_set_prompt_version (agent, 3);
  confab_agent_set_config (agent, "{\"fallback\":\"Sorry?\"}");
  confab_agent_set_owner_id (agent, ID (admin));
  confab_agent_set_is_active (agent, FALSE);
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (agent), ID (admin), &error));
  g_assert_no_error (error);

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_AGENT, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_agent_get_name (loaded), ==, "Helper 2");
  g_assert_cmpstr (confab_agent_get_description (loaded), ==, "Now with an LLM");
  g_assert_cmpstr (confab_agent_get_agent_type (loaded), ==, "llm");
  g_assert_cmpstr (confab_agent_get_sector (loaded), ==, "travel");
  g_assert_cmpstr (confab_agent_get_provider_id (loaded), ==, ID (provider));
  g_assert_cmpstr (confab_agent_get_model (loaded), ==, "qwen2.5");
  g_assert_cmpfloat (confab_agent_get_temperature (loaded), ==, 0.2);
  g_assert_cmpint (confab_agent_get_max_tokens (loaded), ==, 512);
  g_assert_cmpstr (confab_agent_get_system_prompt (loaded), ==, "Be brief.");
  g_assert_cmpstr (confab_agent_get_prompt_id (loaded), ==, "prompt-1");
  g_assert_cmpint (confab_agent_get_prompt_version (loaded), ==, 3);
  g_assert_cmpstr (confab_agent_get_config (loaded), ==, "{\"fallback\":\"Sorry?\"}");
  g_assert_cmpstr (confab_agent_get_owner_id (loaded), ==, ID (admin));
  g_assert_false (confab_agent_get_is_active (loaded));
  g_assert_cmpstr (confab_entity_get_updated_at (CONFAB_ENTITY (loaded)), ==,
                   confab_entity_get_updated_at (CONFAB_ENTITY (agent)));

  g_assert_cmpint (count_where (ws->db,
                                "SELECT count(*) FROM audit_log WHERE entity = 'agent' AND entity_id = '%s' "
                                "AND action = 'update' AND actor_id = '%s' "
                                "AND json_extract (details, '$.changed.name.from') = 'Helper' "
                                "AND json_extract (details, '$.changed.name.to') = 'Helper 2' "
                                "AND json_extract (details, '$.changed.type.to') = 'llm' "
                                "AND json_extract (details, '$.changed.max_tokens.from') = 1024 "
                                "AND json_extract (details, '$.changed.max_tokens.to') = 512 "
                                "AND json_extract (details, '$.changed.is_active.to') = 0 "
                                "AND json_extract (details, '$.changed.prompt_version.to') = 3 "
                                "AND json_extract (details, '$.changed.system_prompt.to.length') = 9 "
                                "AND json_extract (details, '$.changed.system_prompt.to') NOT LIKE '%%brief%%'",
                                id, ID (admin)), ==, 1);

  /* Only changed fields are listed. */
  confab_agent_set_sector (loaded, "finance");
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (loaded), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_where (ws->db,
                                "SELECT count(*) FROM audit_log WHERE entity_id = '%s' AND action = 'update' "
                                "AND json_extract (details, '$.changed.sector.from') = 'travel' "
                                "AND json_extract (details, '$.changed.name') IS NULL "
                                "AND (SELECT count(*) FROM json_each (details, '$.changed')) = 1", id), ==, 1);

  /* An invalid update is refused and the stored row keeps its values. */
  confab_agent_set_config (loaded, "{not json}");
  g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (loaded), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Helper 2"));
  g_clear_error (&error);
  confab_agent_set_config (loaded, "{}");
  confab_agent_set_temperature (loaded, 3.0);
  g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (loaded), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM agents WHERE id = '%s' "
                                        "AND config = '{\"fallback\":\"Sorry?\"}' AND temperature = 0.2", id), ==, 1);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity_id = '%s' "
                                        "AND action = 'update'", id), ==, 2);
}

static void
test_delete (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) client = confab_test_add_user (ws->db, "client");
  g_autoptr (ConfabAgent) agent = add_agent (ws->db, "Doomed");
  g_autoptr (ConfabAgent) keeper = add_agent (ws->db, "Keeper");
  g_autoptr (ConfabTeam) team = confab_team_new ("Desk");
  g_autoptr (GPtrArray) members = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) kbs = NULL;
  const char *id = ID (agent);
  const char *ids[] = { ID (agent), ID (keeper), NULL };

  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (team), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (confab_team_set_members (ws->db, ID (team), ids, NULL, NULL, &error));
  g_assert_no_error (error);
  add_knowledge_base (ws->db, "kb-1", "Manual");
  g_assert_true (confab_agent_add_knowledge_base (ws->db, id, "kb-1", NULL, &error));
  g_assert_true (confab_agent_add_knowledge_base (ws->db, ID (keeper), "kb-1", NULL, &error));
  g_assert_no_error (error);
  exec_sql (ws->db, "INSERT INTO conversations (id, user_id, agent_id, title, created_at, updated_at) "
                    "VALUES ('conv-1', '%s', '%s', 'Hi', '2024-01-01T00:00:00.000Z', "
                    "'2024-01-01T00:00:00.000Z')", ID (client), id);

  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_AGENT, id, ID (client), &error));
  g_assert_no_error (error);

  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM agents WHERE id = '%s'", id), ==, 0);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM team_members WHERE agent_id = '%s'", id), ==, 0);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM agent_knowledge WHERE agent_id = '%s'", id), ==, 0);
  /* Other agents' rows stay. */
  members = confab_team_list_members (ws->db, ID (team), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (members->len, ==, 1);
  g_assert_cmpstr (confab_team_member_get_agent_id (g_ptr_array_index (members, 0)), ==, ID (keeper));
  kbs = confab_agent_list_knowledge_base_ids (ws->db, ID (keeper), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (kbs), ==, 1);
  /* The conversation is kept, without its agent. */
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM conversations "
                                                   "WHERE id = 'conv-1' AND agent_id IS NULL"), ==, 1);

  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity = 'agent' "
                                        "AND entity_id = '%s' AND action = 'delete' AND actor_id = '%s' "
                                        "AND json_extract (details, '$.fields.name') = 'Doomed'",
                                id, ID (client)), ==, 1);

  g_assert_false (confab_repository_delete (ws->db, CONFAB_TYPE_AGENT, id, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
}

typedef struct
{
  guint  count;
  char  *last_id;
  char  *last_action;
} ChangeLog;

static void
on_changed (ConfabDatabase *db,
            const char     *table,
            const char     *id,
            const char     *action,
            gpointer        data)
{
  ChangeLog *log = data;

  g_assert_cmpstr (table, ==, "agent_knowledge");
  log->count++;
  g_free (log->last_id);
  log->last_id = g_strdup (id);
  g_free (log->last_action);
  log->last_action = g_strdup (action);
}

static void
test_knowledge_links (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) admin = confab_test_add_user (ws->db, "admin");
  g_autoptr (ConfabAgent) agent = add_agent (ws->db, "Reader");
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) ids = NULL;
  ChangeLog log = { 0 };
  const char *id = ID (agent);
  gulong handler;

  add_knowledge_base (ws->db, "kb-zeta", "Zeta handbook");
  add_knowledge_base (ws->db, "kb-alpha", "alpha FAQ");
  add_knowledge_base (ws->db, "kb-mid", "Middle");

  ids = confab_agent_list_knowledge_base_ids (ws->db, id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ids);
  g_assert_cmpuint (g_strv_length (ids), ==, 0);
  g_clear_pointer (&ids, g_strfreev);

  handler = g_signal_connect (ws->db, "changed::agent_knowledge", G_CALLBACK (on_changed), &log);
  g_assert_true (confab_agent_add_knowledge_base (ws->db, id, "kb-zeta", ID (admin), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (log.count, ==, 1);
  g_assert_cmpstr (log.last_id, ==, id);
  g_assert_true (confab_agent_add_knowledge_base (ws->db, id, "kb-alpha", ID (admin), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (log.count, ==, 2);

  /* Listed by title, whatever the order they were linked in. */
  ids = confab_agent_list_knowledge_base_ids (ws->db, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (ids), ==, 2);
  g_assert_cmpstr (ids[0], ==, "kb-alpha");
  g_assert_cmpstr (ids[1], ==, "kb-zeta");
  g_clear_pointer (&ids, g_strfreev);

  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity = 'agent' "
                                        "AND entity_id = '%s' AND action = 'update' AND actor_id = '%s' "
                                        "AND json_extract (details, '$.knowledge_bases.added') = 'kb-zeta'",
                                id, ID (admin)), ==, 1);

  /* Linking twice is a conflict; nothing is written or announced. */
  g_assert_false (confab_agent_add_knowledge_base (ws->db, id, "kb-zeta", NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "kb-zeta"));
  g_clear_error (&error);

  g_assert_false (confab_agent_add_knowledge_base (ws->db, id, "kb-missing", NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "kb-missing"));
  g_clear_error (&error);

  g_assert_false (confab_agent_add_knowledge_base (ws->db, "agent-missing", "kb-mid", NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "agent-missing"));
  g_clear_error (&error);

  g_assert_cmpuint (log.count, ==, 2);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity = 'agent' "
                                        "AND action = 'update'"), ==, 2);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM agent_knowledge"), ==, 2);

  /* Remove. */
  g_assert_true (confab_agent_remove_knowledge_base (ws->db, id, "kb-zeta", ID (admin), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (log.count, ==, 3);
  g_assert_cmpstr (log.last_action, ==, "delete");
  ids = confab_agent_list_knowledge_base_ids (ws->db, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (ids), ==, 1);
  g_assert_cmpstr (ids[0], ==, "kb-alpha");
  g_clear_pointer (&ids, g_strfreev);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity = 'agent' "
                                        "AND entity_id = '%s' AND action = 'update' "
                                        "AND json_extract (details, '$.knowledge_bases.removed') = 'kb-zeta'",
                                id), ==, 1);

  g_assert_false (confab_agent_remove_knowledge_base (ws->db, id, "kb-zeta", NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "kb-zeta"));
  g_clear_error (&error);
  g_assert_false (confab_agent_remove_knowledge_base (ws->db, id, "kb-missing", NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_assert_null (confab_agent_list_knowledge_base_ids (ws->db, "agent-missing", &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "agent-missing"));
  g_clear_error (&error);

  /* Deleting a knowledge base unlinks it. */
  exec_sql (ws->db, "DELETE FROM knowledge_bases WHERE id = 'kb-alpha'");
  ids = confab_agent_list_knowledge_base_ids (ws->db, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (ids), ==, 0);

  g_signal_handler_disconnect (ws->db, handler);
  g_free (log.last_id);
  g_free (log.last_action);
}

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    data)
{
  guint *count = data;
  (*count)++;
}

static void
test_live_list (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabAgent) bravo = add_agent (ws->db, "Bravo");
  g_autoptr (GListModel) model = confab_repository_list_model (ws->db, CONFAB_TYPE_AGENT, NULL, NULL);
  g_autoptr (GListModel) llm_only = confab_repository_list_model (ws->db, CONFAB_TYPE_AGENT, "type", "llm");
  g_autoptr (ConfabAgent) alpha = NULL;
  g_autoptr (ConfabAgent) first = NULL;
  g_autoptr (ConfabAgent) held = NULL;
  g_autoptr (GError) error = NULL;
  guint changes = 0;

  g_assert_true (g_list_model_get_item_type (model) == CONFAB_TYPE_AGENT);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (llm_only), ==, 0);
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &changes);

  alpha = agent_with ("Alpha", "type", "llm", NULL);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (alpha), NULL, &error));
  g_assert_no_error (error);
  confab_test_drain_main_loop ();
  g_assert_cmpuint (changes, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  g_assert_cmpuint (g_list_model_get_n_items (llm_only), ==, 1);
  first = g_list_model_get_item (model, 0);
  g_assert_cmpstr (confab_agent_get_name (first), ==, "Alpha");

  /* An update changes the object the list already holds. */
  held = g_list_model_get_item (model, 1);
  confab_agent_set_sector (bravo, "legal");
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (bravo), NULL, &error));
  g_assert_no_error (error);
  confab_test_drain_main_loop ();
  g_assert_cmpstr (confab_agent_get_sector (held), ==, "legal");

  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_AGENT, ID (alpha), NULL, &error));
  g_assert_no_error (error);
  confab_test_drain_main_loop ();
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (llm_only), ==, 0);
  g_assert_cmpuint (changes, ==, 2);
}

/* confab-cli agents, when the test runs from meson (CONFAB_CLI is set). */
static char *
run_cli (const char  *workspace,
         int         *status,
         char       **err,
         ...) G_GNUC_NULL_TERMINATED;

static char *
run_cli (const char  *workspace,
         int         *status,
         char       **err,
         ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  char *out = NULL;
  const char *arg;
  int wait_status;
  va_list ap;

  g_ptr_array_add (args, (char *) g_getenv ("CONFAB_CLI"));
  g_ptr_array_add (args, (char *) "--workspace");
  g_ptr_array_add (args, (char *) workspace);
  va_start (ap, err);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (args, (char *) arg);
  va_end (ap);
  g_ptr_array_add (args, NULL);

  g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &out, err, &wait_status, &error);
  g_assert_no_error (error);
  *status = WIFEXITED (wait_status) ? WEXITSTATUS (wait_status) : -1;
  return out;
}

static void
test_cli (void)
{
  g_autoptr (ConfabTestWorkspace) ws = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *id = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabAgent) stored = NULL;
  const char *cli = g_getenv ("CONFAB_CLI");
  JsonArray *array;
  JsonObject *object;
  int status;

  if (cli == NULL || !g_file_test (cli, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("CONFAB_CLI is not set (run through meson test)");
      return;
    }
  ws = confab_test_workspace_new ();

  out = run_cli (ws->path, &status, &err, "agents", "add", "--name", "Cli bot", "--type", "llm",
                 "--sector", "retail", "--temperature", "1.5", "--max-tokens", "256",
                 "--config", "{\"rules\":[]}", "--system-prompt", "Line one\nline two", NULL);
  g_assert_cmpint (status, ==, 0);
  id = g_strstrip (g_steal_pointer (&out));
  g_assert_true (g_uuid_string_is_valid (id));
  g_clear_pointer (&err, g_free);

  stored = confab_repository_get (ws->db, CONFAB_TYPE_AGENT, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_agent_get_agent_type (stored), ==, "llm");
  g_assert_cmpfloat (confab_agent_get_temperature (stored), ==, 1.5);
  g_assert_cmpint (confab_agent_get_max_tokens (stored), ==, 256);
  g_assert_cmpstr (confab_agent_get_system_prompt (stored), ==, "Line one\nline two");

  out = run_cli (ws->path, &status, &err, "agents", "list", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (g_str_has_prefix (out, id));
  g_assert_nonnull (strstr (out, "\tCli bot\tllm\tretail\tactive\n"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  out = run_cli (ws->path, &status, &err, "agents", "list", "--json", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  object = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (object, "id"), ==, id);
  g_assert_cmpint (json_object_get_int_member (object, "max_tokens"), ==, 256);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  out = run_cli (ws->path, &status, &err, "agents", "show", "Cli bot", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "type: llm\n"));
  g_assert_nonnull (strstr (out, "temperature: 1.5\n"));
  g_assert_nonnull (strstr (out, "system_prompt: Line one\\nline two\n"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  out = run_cli (ws->path, &status, &err, "agents", "show", id, "--json", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpstr (json_object_get_string_member (object, "name"), ==, "Cli bot");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "config")));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* Failures: a refused value exits 1, a wrong command line 2. */
  out = run_cli (ws->path, &status, &err, "agents", "add", "--name", "Bad", "--config", "[", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "not valid JSON"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  out = run_cli (ws->path, &status, &err, "agents", "show", "nobody", NULL);
  g_assert_cmpint (status, ==, 1);
  g_assert_nonnull (strstr (err, "nobody"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  out = run_cli (ws->path, &status, &err, "agents", "add", "--temperature", "warm", NULL);
  g_assert_cmpint (status, ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  out = run_cli (ws->path, &status, &err, "agents", "add", "--help", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out, "--max-tokens"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  out = run_cli (ws->path, &status, &err, "agents", "frobnicate", NULL);
  g_assert_cmpint (status, ==, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/agents/create-get", test_create_get);
  g_test_add_func ("/confab/agents/defaults", test_defaults);
  g_test_add_func ("/confab/agents/validation", test_validation);
  g_test_add_func ("/confab/agents/prompt-reference", test_prompt_reference);
  g_test_add_func ("/confab/agents/update-audit", test_update_and_audit);
  g_test_add_func ("/confab/agents/delete", test_delete);
  g_test_add_func ("/confab/agents/knowledge-links", test_knowledge_links);
  g_test_add_func ("/confab/agents/live-list", test_live_list);
  g_test_add_func ("/confab/agents/cli", test_cli);
  return g_test_run ();
}
