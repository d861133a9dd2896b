#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-test-util.h"

/* The demo workspace (data/demo) is what `make run`, the Flatpak and the
 * welcome page open: it must import cleanly, hold a realistic example of
 * everything Confab manages, and work offline. The second half drives the
 * escalation queue of the CLI on it. */

static char *
demo_path (void)
{
  return g_test_build_filename (G_TEST_DIST, "..", "data", "demo", "demo-workspace.json", NULL);
}

static ConfabTestWorkspace *
import_demo (void)
{
  ConfabTestWorkspace *ws = confab_test_workspace_new ();
  g_autofree char *path = demo_path ();
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GError) error = NULL;
  guint64 n_rows = 0;

  g_assert_true (confab_import_from_file (ws->db, file, NULL, &n_rows, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_rows, >, 80);
  return ws;
}

static gint64
count (ConfabDatabase *db,
       const char     *sql)
{
  return confab_test_count_rows (db, sql);
}

static void
assert_count (ConfabDatabase *db,
              gint64          expected,
              const char     *sql)
{
  gint64 n = count (db, sql);

  if (n != expected)
    g_error ("%s: %d, expected %d", sql, (int) n, (int) expected);
}

static void
assert_at_least (ConfabDatabase *db,
                 gint64          minimum,
                 const char     *sql)
{
  gint64 n = count (db, sql);

  if (n < minimum)
    g_error ("%s: %d, expected at least %d", sql, (int) n, (int) minimum);
}

/* The first column of the rows of @sql (with one optional text argument). */
static GPtrArray *
query_strings (ConfabDatabase *db,
               const char     *sql,
               const char     *arg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, sql, &error);
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);

  g_assert_no_error (error);
  if (arg != NULL)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (values, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  return values;
}

static char *
query_string (ConfabDatabase *db,
              const char     *sql,
              const char     *arg)
{
  g_autoptr (GPtrArray) values = query_strings (db, sql, arg);

  if (values->len == 0)
    return NULL;
  return g_strdup (g_ptr_array_index (values, 0));
}

static gboolean
array_has_string (JsonArray  *array,
                  const char *value)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (node) && g_strcmp0 (json_node_get_string (node), value) == 0)
        return TRUE;
    }
  return FALSE;
}

static JsonArray *
nonempty_string_array (JsonObject *object,
                       const char *member,
                       const char *where)
{
  JsonNode *node = json_object_get_member (object, member);
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    g_error ("%s: “%s” is not an array", where, member);
  array = json_node_get_array (node);
  if (json_array_get_length (array) == 0)
    g_error ("%s: “%s” is empty", where, member);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *item = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (item) || json_node_get_value_type (item) != G_TYPE_STRING ||
          *json_node_get_string (item) == '\0')
        g_error ("%s: “%s” holds something other than a text", where, member);
    }
  return array;
}

/* Named groups of a regex: "(?<order>\d+)" gives "order". */
static GPtrArray *
group_names (const char *pattern)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *p = pattern;

  while ((p = strstr (p, "(?<")) != NULL)
    {
      const char *end;

      p += 3;
      end = strchr (p, '>');
      if (end != NULL && *p != '=' && *p != '!')
        g_ptr_array_add (names, g_strndup (p, end - p));
    }
  return names;
}

typedef struct
{
  guint n_rules;
  guint match_types;        /* a bit per match type */
  gboolean escalates;
  gboolean ends;
  gboolean excludes;
  gboolean rotates;
  gboolean distinct_priorities;
  gboolean capture_used;    /* a named group of a regex appears in a response */
} RuleSummary;

static const char * const match_types[] = {
  "exact", "keywords_any", "keywords_all", "regex", NULL
};

/* Reads an agent's config as the rule engine does and checks every rule. */
static void
summarise_rules (const char  *agent_name,
                 const char  *config,
                 RuleSummary *summary)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) priorities = g_hash_table_new (g_direct_hash, g_direct_equal);
  JsonObject *root;
  JsonArray *rules;
  JsonNode *misses;

  memset (summary, 0, sizeof *summary);
  json_parser_load_from_data (parser, config, -1, &error);
  g_assert_no_error (error);
  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    g_error ("%s: the configuration is not a JSON object", agent_name);
  root = json_node_get_object (json_parser_get_root (parser));
  if (!json_object_has_member (root, "rules") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "rules")))
    g_error ("%s: the configuration has no “rules” array", agent_name);
  rules = json_object_get_array_member (root, "rules");
  nonempty_string_array (root, "fallback", agent_name);
  misses = json_object_get_member (root, "offer_human_after_misses");
  g_assert_nonnull (misses);
  g_assert_cmpint (json_node_get_int (misses), >=, 1);

  summary->n_rules = json_array_get_length (rules);
  for (guint i = 0; i < summary->n_rules; i++)
    {
      JsonNode *node = json_array_get_element (rules, i);
      g_autofree char *where = NULL;
      JsonObject *rule;
      JsonArray *patterns, *responses;
      const char *name, *match, *action;
      int type;

      g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
      rule = json_node_get_object (node);
      name = json_object_get_string_member_with_default (rule, "name", NULL);
      g_assert_nonnull (name);
      where = g_strdup_printf ("%s, rule “%s”", agent_name, name);

      g_assert_true (json_object_has_member (rule, "enabled"));
      g_assert_true (json_node_get_value_type (json_object_get_member (rule, "enabled")) ==
                     G_TYPE_BOOLEAN);
      g_assert_true (json_object_has_member (rule, "priority"));
      g_assert_true (json_node_get_value_type (json_object_get_member (rule, "priority")) ==
                     G_TYPE_INT64);
      g_hash_table_add (priorities,
                        GINT_TO_POINTER ((int) json_object_get_int_member (rule, "priority")));

      match = json_object_get_string_member_with_default (rule, "match", "");
      type = -1;
      for (int t = 0; match_types[t] != NULL; t++)
        if (strcmp (match, match_types[t]) == 0)
          type = t;
      if (type < 0)
        g_error ("%s: unknown match type “%s”", where, match);
      summary->match_types |= 1u << type;

      patterns = nonempty_string_array (rule, "patterns", where);
      responses = nonempty_string_array (rule, "responses", where);
      if (json_array_get_length (responses) > 1)
        summary->rotates = TRUE;
      if (json_object_has_member (rule, "exclude"))
        {
          nonempty_string_array (rule, "exclude", where);
          summary->excludes = TRUE;
        }

      action = json_object_get_string_member_with_default (rule, "action", NULL);
      if (action != NULL)
        {
          const char * const actions[] = { "escalate", "handoff", "end", NULL };

          if (!g_strv_contains (actions, action))
            g_error ("%s: unknown action “%s”", where, action);
          summary->escalates |= strcmp (action, "escalate") == 0;
          summary->ends |= strcmp (action, "end") == 0;
        }

      if (strcmp (match, "regex") == 0)
        for (guint p = 0; p < json_array_get_length (patterns); p++)
          {
            const char *pattern = json_array_get_string_element (patterns, p);
            g_autoptr (GRegex) regex = NULL;
            g_autoptr (GPtrArray) names = group_names (pattern);

            regex = g_regex_new (pattern, G_REGEX_CASELESS, 0, &error);
            if (regex == NULL)
              g_error ("%s: %s", where, error->message);
            for (guint n = 0; n < names->len; n++)
              {
                const char *group = g_ptr_array_index (names, n);
                g_autofree char *placeholder = g_strdup_printf ("{{%s}}", group);

                for (guint r = 0; r < json_array_get_length (responses); r++)
                  if (strstr (json_array_get_string_element (responses, r), placeholder) != NULL)
                    summary->capture_used = TRUE;
              }
          }
    }
  summary->distinct_priorities = g_hash_table_size (priorities) >= 3;
}

static void
test_demo_imports (void)
{
  g_autoptr (ConfabTestWorkspace) ws = import_demo ();

  assert_count (ws->db, 0, "SELECT count(*) FROM pragma_foreign_key_check");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check <> 'ok'");
  /* The file brings no history: the import writes the only audit row. */
  assert_count (ws->db, 1, "SELECT count(*) FROM audit_log");
  assert_count (ws->db, 1, "SELECT count(*) FROM audit_log WHERE action = 'import'");
  assert_count (ws->db, 1, "SELECT count(*) FROM workspace WHERE key = 'name' AND value <> ''");
}

static void
test_demo_users (void)
{
  g_autoptr (ConfabTestWorkspace) ws = import_demo ();

  assert_count (ws->db, 1, "SELECT count(*) FROM users WHERE role = 'admin'");
  assert_at_least (ws->db, 2, "SELECT count(*) FROM users WHERE role = 'operator' AND is_active");
  assert_at_least (ws->db, 3, "SELECT count(*) FROM users WHERE role = 'client' AND is_active");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM users WHERE role = 'client' "
                "AND (sector IS NULL OR sector = '' OR persona IS NULL OR persona = '')");
  /* The owner owns what the workspace is made of. */
  assert_count (ws->db, 0,
                "SELECT count(*) FROM agents a LEFT JOIN users u ON u.id = a.owner_id "
                "WHERE u.role IS NOT 'admin'");
}

static void
test_demo_provider (void)
{
  g_autoptr (ConfabTestWorkspace) ws = import_demo ();

  /* Local only: nothing in the demo needs the network, or a key. */
  assert_count (ws->db, 1, "SELECT count(*) FROM providers");
  assert_count (ws->db, 1,
                "SELECT count(*) FROM providers WHERE kind = 'ollama' "
                "AND base_url LIKE 'http://127.0.0.1:%'");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM agents "
                "WHERE type = 'rule_based' AND provider_id IS NOT NULL");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM agents WHERE type <> 'rule_based' AND provider_id IS NULL");
}

static void
test_demo_rule_agents (void)
{
  g_autoptr (ConfabTestWorkspace) ws = import_demo ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GHashTable) sectors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n_agents = 0;

  assert_count (ws->db, 0, "SELECT count(*) FROM agents WHERE NOT json_valid (config) "
                           "OR json_type (config) <> 'object'");

  stmt = confab_database_prepare (ws->db,
                                  "SELECT name, sector, config FROM agents "
                                  "WHERE type = 'rule_based' AND is_active ORDER BY name",
                                  &error);
  g_assert_no_error (error);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *name = (const char *) sqlite3_column_text (stmt, 0);
      RuleSummary s;

      summarise_rules (name, (const char *) sqlite3_column_text (stmt, 2), &s);
      if (s.n_rules < 10)
        g_error ("%s has %u rules, expected at least 10", name, s.n_rules);
      if (s.match_types != 0xf)
        g_error ("%s does not use every match type", name);
      g_assert_true (s.escalates);
      g_assert_true (s.ends);
      g_assert_true (s.excludes);
      g_assert_true (s.rotates);
      g_assert_true (s.distinct_priorities);
      g_assert_true (s.capture_used);
      g_hash_table_add (sectors, g_strdup ((const char *) sqlite3_column_text (stmt, 1)));
      n_agents++;
    }
  g_assert_cmpuint (n_agents, >=, 3);
  g_assert_cmpuint (g_hash_table_size (sectors), >=, 3);
  assert_count (ws->db, 1,
                "SELECT count(*) FROM agents "
                "WHERE name = 'Bakery Concierge' AND type = 'rule_based'");
}

/* The bakery answers the opening-hours questions of the README and the
 * issue with its opening-hours rule: a keyword rule on "open" that excludes
 * neither day. (The rule engine's own tests run the matching.) */
static void
test_demo_bakery_hours (void)
{
  g_autoptr (ConfabTestWorkspace) ws = import_demo ();
  g_autofree char *config = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonArray *rules;
  gboolean found = FALSE;

  config = query_string (ws->db, "SELECT config FROM agents WHERE name = 'Bakery Concierge'", NULL);
  g_assert_nonnull (config);
  json_parser_load_from_data (parser, config, -1, &error);
  g_assert_no_error (error);
  rules = json_object_get_array_member (json_node_get_object (json_parser_get_root (parser)),
                                        "rules");
  for (guint i = 0; i < json_array_get_length (rules); i++)
    {
      JsonObject *rule = json_array_get_object_element (rules, i);

      if (g_strcmp0 (json_object_get_string_member (rule, "name"), "Opening hours") != 0)
        continue;
      found = TRUE;
      g_assert_true (json_object_get_boolean_member (rule, "enabled"));
      g_assert_cmpstr (json_object_get_string_member (rule, "match"), ==, "keywords_any");
      g_assert_true (array_has_string (json_object_get_array_member (rule, "patterns"), "open"));
      if (json_object_has_member (rule, "exclude"))
        {
          JsonArray *exclude = json_object_get_array_member (rule, "exclude");

          g_assert_false (array_has_string (exclude, "sunday"));
          g_assert_false (array_has_string (exclude, "monday"));
          g_assert_false (array_has_string (exclude, "you"));
        }
    }
  g_assert_true (found);
}

static void
test_demo_hybrid_and_llm (void)
{
  g_autoptr (ConfabTestWorkspace) ws = import_demo ();
  g_autofree char *config = NULL;
  RuleSummary s;

  assert_at_least (ws->db, 1, "SELECT count(*) FROM agents WHERE type = 'hybrid'");
  config = query_string (ws->db, "SELECT config FROM agents WHERE type = 'hybrid'", NULL);
  summarise_rules ("hybrid", config, &s);
  g_assert_cmpuint (s.n_rules, >=, 1);
  /* A handoff names an agent that exists. */
  assert_count (ws->db, 0,
                "SELECT count(*) FROM agents a, json_each (a.config, '$.rules') r "
                "WHERE json_extract (r.value, '$.handoff_agent') IS NOT NULL "
                "AND json_extract (r.value, '$.handoff_agent') NOT IN (SELECT id FROM agents)");

  /* An LLM agent reads both knowledge bases; the hybrid at least one. */
  assert_at_least (ws->db, 1,
                   "SELECT count(*) FROM agents a WHERE a.type = 'llm' AND "
                   "(SELECT count(*) FROM agent_knowledge k WHERE k.agent_id = a.id) = "
                   "(SELECT count(*) FROM knowledge_bases)");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM agents a WHERE a.type = 'hybrid' AND NOT EXISTS "
                "(SELECT 1 FROM agent_knowledge k WHERE k.agent_id = a.id)");
}

static void
test_demo_team (void)
{
  g_autoptr (ConfabTestWorkspace) ws = import_demo ();
  g_autofree char *team_id = NULL;
  g_autofree char *sql = NULL;

  team_id = query_string (ws->db,
                          "SELECT id FROM teams WHERE name = 'Front Desk' AND mode = 'router'",
                          NULL);
  g_assert_nonnull (team_id);
  sql = sqlite3_mprintf ("SELECT count(*) FROM team_members m JOIN agents a ON a.id = m.agent_id "
                         "WHERE m.team_id = %Q AND a.type = 'rule_based' "
                         "AND m.role IS NOT NULL AND m.role <> ''",
                         team_id);
  assert_at_least (ws->db, 3, sql);
  sqlite3_free (g_steal_pointer (&sql));
  /* Positions 0..n-1, each once. */
  sql = sqlite3_mprintf ("SELECT count(DISTINCT position) = count(*) AND min(position) = 0 "
                         "AND max(position) = count(*) - 1 FROM team_members WHERE team_id = %Q",
                         team_id);
  assert_count (ws->db, 1, sql);
  sqlite3_free (g_steal_pointer (&sql));
}

static void
test_demo_knowledge (void)
{
  g_autoptr (ConfabTestWorkspace) ws = import_demo ();
  const char * const words[] = { "allergens", "gluten", "delivery", "insurance", "emergency",
                                 "appointment", NULL };

  assert_count (ws->db, 2, "SELECT count(*) FROM knowledge_bases");
  assert_count (ws->db, 1, "SELECT count(*) FROM knowledge_bases WHERE title = 'Bakery FAQ'");
  assert_count (ws->db, 1, "SELECT count(*) FROM knowledge_bases WHERE title = 'Clinic Handbook'");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM knowledge_bases k WHERE "
                "(SELECT count(*) FROM documents d WHERE d.knowledge_base_id = k.id) < 2");
  assert_count (ws->db, 0, "SELECT count(*) FROM documents WHERE status <> 'indexed'");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM documents d WHERE NOT EXISTS "
                "(SELECT 1 FROM chunks c WHERE c.document_id = d.id)");
  /* Ordinals 0..n-1 in each document, the document's knowledge base, and
   * the size of a chunk the importer would make. */
  assert_count (ws->db, 0,
                "SELECT count(*) FROM (SELECT document_id FROM chunks GROUP BY document_id "
                "HAVING min(ordinal) <> 0 OR max(ordinal) <> count(*) - 1)");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.document_id "
                "WHERE c.knowledge_base_id <> d.knowledge_base_id");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM chunks WHERE length(text) NOT BETWEEN 300 AND 800");

  /* The triggers rebuilt the full-text index on import. */
  assert_count (ws->db, count (ws->db, "SELECT count(*) FROM chunks"),
                "SELECT count(*) FROM chunks_fts");
  for (guint i = 0; words[i] != NULL; i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM chunks_fts "
                                              "WHERE chunks_fts MATCH '%s'", words[i]);

      assert_at_least (ws->db, 1, sql);
    }
  assert_at_least (ws->db, 1,
                   "SELECT count(*) FROM chunks_fts f JOIN chunks c ON c.rowid = f.rowid "
                   "JOIN knowledge_bases k ON k.id = c.knowledge_base_id "
                   "WHERE chunks_fts MATCH 'allergens' AND k.title = 'Bakery FAQ'");
  assert_at_least (ws->db, 1,
                   "SELECT count(*) FROM chunks_fts f JOIN chunks c ON c.rowid = f.rowid "
                   "JOIN knowledge_bases k ON k.id = c.knowledge_base_id "
                   "WHERE chunks_fts MATCH 'insurance' AND k.title = 'Clinic Handbook'");

  /* Citations on messages resolve to a chunk of a document. */
  assert_at_least (ws->db, 1, "SELECT count(*) FROM messages WHERE source_references <> '[]'");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM messages m, json_each (m.source_references) r "
                "WHERE NOT EXISTS (SELECT 1 FROM chunks c "
                "WHERE c.id = json_extract (r.value, '$.chunk_id') "
                "AND c.document_id = json_extract (r.value, '$.document_id'))");
}

static void
test_demo_prompts (void)
{
  g_autoptr (ConfabTestWorkspace) ws = import_demo ();

  assert_at_least (ws->db, 2, "SELECT count(*) FROM prompts");
  /* Several versions each, numbered 1..n. */
  assert_count (ws->db, 0,
                "SELECT count(*) FROM prompts p WHERE "
                "(SELECT count(*) FROM prompt_versions v WHERE v.prompt_id = p.id) < 2");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM (SELECT prompt_id FROM prompt_versions GROUP BY prompt_id "
                "HAVING min(version) <> 1 OR max(version) <> count(*))");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM prompt_versions WHERE NOT json_valid (variables) "
                "OR json_type (variables) <> 'array'");
  /* Labels point at a version of their own prompt. */
  assert_at_least (ws->db, 1, "SELECT count(*) FROM prompt_labels WHERE name = 'production'");
  assert_at_least (ws->db, 1, "SELECT count(*) FROM prompt_labels WHERE name = 'staging'");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM prompt_labels l LEFT JOIN prompt_versions v "
                "ON v.id = l.version_id WHERE v.prompt_id IS NOT l.prompt_id");
  /* Agents follow labels that exist. */
  assert_at_least (ws->db, 2, "SELECT count(*) FROM agents WHERE prompt_id IS NOT NULL");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM agents a WHERE a.prompt_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM prompt_labels l WHERE l.prompt_id = a.prompt_id "
                "AND l.name = a.prompt_label)");
}

static void
test_demo_conversations (void)
{
  g_autoptr (ConfabTestWorkspace) ws = import_demo ();
  g_autofree char *conversation_id = NULL;
  g_autofree char *sql = NULL;

  assert_at_least (ws->db, 4, "SELECT count(*) FROM conversations");
  assert_count (ws->db, 0, "SELECT count(*) FROM conversations WHERE title = ''");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM conversations WHERE agent_id IS NULL AND team_id IS NULL");
  /* Messages in seq order 0..n-1, each chained to an earlier one of its
   * conversation; only the first has no parent. */
  assert_count (ws->db, 0,
                "SELECT count(*) FROM (SELECT conversation_id FROM messages "
                "GROUP BY conversation_id HAVING min(seq) <> 0 OR max(seq) <> count(*) - 1)");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM messages WHERE (parent_message_id IS NULL) <> (seq = 0)");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM messages m JOIN messages p ON p.id = m.parent_message_id "
                "WHERE p.conversation_id <> m.conversation_id OR p.seq >= m.seq "
                "OR p.created_at > m.created_at");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM messages "
                "WHERE (role = 'assistant') <> (agent_id IS NOT NULL) "
                "OR (role IN ('user', 'supporter')) <> (user_id IS NOT NULL)");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM conversations c WHERE updated_at <> "
                "(SELECT max(created_at) FROM messages m WHERE m.conversation_id = c.id)");

  /* One branched conversation: two user messages with the same parent,
   * each answered. */
  assert_at_least (ws->db, 1,
                   "SELECT count(*) FROM (SELECT 1 FROM messages WHERE role = 'user' "
                   "AND parent_message_id IS NOT NULL GROUP BY parent_message_id "
                   "HAVING count(*) >= 2)");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM messages u WHERE u.role = 'user' AND NOT EXISTS "
                "(SELECT 1 FROM messages r WHERE r.parent_message_id = u.id)");

  /* One escalated conversation, assigned to an operator who answered. */
  assert_count (ws->db, 1, "SELECT count(*) FROM conversations WHERE status = 'escalated'");
  conversation_id = query_string (ws->db, "SELECT id FROM conversations WHERE status = 'escalated'",
                                  NULL);
  sql = sqlite3_mprintf ("SELECT count(*) FROM escalations e JOIN users u ON u.id = e.supporter_id "
                         "WHERE e.conversation_id = %Q AND e.status = 'assigned' "
                         "AND u.role = 'operator' AND e.resolved_at IS NULL AND EXISTS "
                         "(SELECT 1 FROM messages m WHERE m.conversation_id = e.conversation_id "
                         "AND m.role = 'supporter' AND m.user_id = e.supporter_id)",
                         conversation_id);
  assert_count (ws->db, 1, sql);
  sqlite3_free (g_steal_pointer (&sql));
  /* Every escalation is held by an operator or an admin, and resolved_at
   * follows the status. */
  assert_count (ws->db, 0,
                "SELECT count(*) FROM escalations e LEFT JOIN users u ON u.id = e.supporter_id "
                "WHERE e.supporter_id IS NOT NULL AND u.role NOT IN ('operator', 'admin')");
  assert_count (ws->db, 0,
                "SELECT count(*) FROM escalations WHERE (status = 'resolved') <> "
                "(resolved_at IS NOT NULL)");
  /* Timestamps: ISO-8601 UTC with milliseconds. */
  assert_count (ws->db, 0,
                "SELECT count(*) FROM messages WHERE created_at NOT GLOB "
                "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T"
                "[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z'");
}

/* The CLI */

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

/* Runs confab-cli --workspace WORKSPACE with the arguments (NULL-terminated). */
static void
cli (Run        *r,
     const char *workspace,
     ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  const char *exe = g_getenv ("CONFAB_CLI");
  int wait_status = 0;
  const char *arg;
  va_list args;

  g_assert_nonnull (exe);
  g_ptr_array_add (argv, (char *) exe);
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
assert_exit (Run        *r,
             int         expected,
             const char *what)
{
  if (r->status != expected)
    g_error ("%s exited %d, expected %d\nstdout: %s\nstderr: %s",
             what, r->status, expected, r->out, r->err);
}

/* A workspace made the way `make run` makes it: `confab-cli import`. */
static ConfabTestWorkspace *
cli_demo_workspace (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = demo_path ();
  g_auto (Run) r = { 0 };
  ConfabTestWorkspace *ws = g_new0 (ConfabTestWorkspace, 1);

  ws->dir = g_dir_make_tmp ("confab-demo-XXXXXX", &error);
  g_assert_no_error (error);
  ws->path = g_build_filename (ws->dir, "demo.confab", NULL);
  cli (&r, ws->path, "import", path, NULL);
  assert_exit (&r, 0, "import");
  ws->db = confab_database_open (ws->path, &error);
  g_assert_no_error (error);
  return ws;
}

static char *
user_id (ConfabDatabase *db,
         const char     *username)
{
  return query_string (db, "SELECT id FROM users WHERE username = ?", username);
}

static char *
escalation_field (ConfabDatabase *db,
                  const char     *id,
                  const char     *column)
{
  g_autofree char *sql = g_strdup_printf ("SELECT %s FROM escalations WHERE id = ?", column);

  return query_string (db, sql, id);
}

static void
test_cli_escalations_list (void)
{
  g_autoptr (ConfabTestWorkspace) ws = cli_demo_workspace ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *assigned = NULL;
  g_auto (Run) r = { 0 };
  JsonArray *rows;

  cli (&r, ws->path, "escalations", "list", "--json", NULL);
  assert_exit (&r, 0, "escalations list --json");
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  rows = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (rows),
                    ==, count (ws->db, "SELECT count(*) FROM escalations"));
  /* Open escalations first. */
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 0),
                                                  "status"),
                   ==, "assigned");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);

      g_assert_nonnull (json_object_get_string_member (row, "conversation_title"));
      g_assert_nonnull (json_object_get_string_member (row, "reason"));
      g_assert_nonnull (json_object_get_string_member (row, "supporter"));
    }

  assigned = query_string (ws->db, "SELECT id FROM escalations WHERE status = 'assigned'", NULL);
  cli (&r, ws->path, "escalations", "list", "--status", "assigned", NULL);
  assert_exit (&r, 0, "escalations list --status assigned");
  g_assert_true (g_str_has_prefix (r.out, assigned));
  g_assert_nonnull (strstr (r.out, "\tassigned\t"));
  g_assert_nonnull (strstr (r.out, "\ttomas\n"));
  g_assert_cmpint (strchr (r.out, '\n') - r.out + 1, ==, (int) strlen (r.out)); /* one line */

  cli (&r, ws->path, "escalations", "list", "--status", "pending", NULL);
  assert_exit (&r, 0, "escalations list --status pending");
  g_assert_cmpstr (r.out, ==, "");
}

static void
test_cli_escalations_flow (void)
{
  g_autoptr (ConfabTestWorkspace) ws = cli_demo_workspace ();
  g_autofree char *id = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *priya = NULL;
  g_autofree char *tomas = NULL;
  g_autofree char *last_before = NULL;
  g_autofree char *value = NULL;
  g_autofree char *sql = NULL;
  g_autofree char *message_id = NULL;
  g_auto (Run) r = { 0 };
  gint64 n_messages;

  id = query_string (ws->db, "SELECT id FROM escalations WHERE status = 'assigned'", NULL);
  conversation_id = escalation_field (ws->db, id, "conversation_id");
  priya = user_id (ws->db, "priya");
  tomas = user_id (ws->db, "tomas");
  g_assert_nonnull (priya);
  g_assert_nonnull (tomas);

  /* A client cannot take it: the core says why, and nothing changes. */
  cli (&r, ws->path, "escalations", "take", id, "--operator", "lena.f", NULL);
  assert_exit (&r, 1, "take by a client");
  g_assert_nonnull (strstr (r.err, "lena.f"));
  g_assert_nonnull (strstr (r.err, "only operators and admins"));
  g_assert_cmpstr (r.out, ==, "");
  value = escalation_field (ws->db, id, "supporter_id");
  g_assert_cmpstr (value, ==, tomas);
  g_clear_pointer (&value, g_free);

  /* Another operator takes it over, by username. */
  cli (&r, ws->path, "escalations", "take", id, "--operator", "priya", NULL);
  assert_exit (&r, 0, "take by priya");
  g_assert_nonnull (strstr (r.out, id));
  value = escalation_field (ws->db, id, "supporter_id");
  g_assert_cmpstr (value, ==, priya);
  g_clear_pointer (&value, g_free);
  value = escalation_field (ws->db, id, "status");
  g_assert_cmpstr (value, ==, "assigned");
  g_clear_pointer (&value, g_free);

  /* Only the operator who holds it replies; a client never does. */
  cli (&r, ws->path, "escalations", "reply", id, "--operator", "tomas", "Hello", NULL);
  assert_exit (&r, 1, "reply by an operator who does not hold it");
  g_assert_nonnull (strstr (r.err, "priya"));
  cli (&r, ws->path, "escalations", "reply", id, "--operator", "sampatel", "Hello", NULL);
  assert_exit (&r, 1, "reply by a client");
  g_assert_nonnull (strstr (r.err, "only operators and admins"));

  sql = sqlite3_mprintf ("SELECT count(*) FROM messages WHERE conversation_id = %Q",
                         conversation_id);
  n_messages = count (ws->db, sql);
  last_before = query_string (ws->db,
                              "SELECT id FROM messages WHERE conversation_id = ? "
                              "ORDER BY seq DESC LIMIT 1",
                              conversation_id);

  /* The reply is a supporter message by that operator, continuing the
   * conversation; the words are joined. */
  cli (&r, ws->path, "escalations", "reply", id, "--operator", priya,
       "The", "driver", "is", "at", "your", "door.", NULL);
  assert_exit (&r, 0, "reply by priya");
  message_id = g_strstrip (g_strdup (r.out));
  g_assert_cmpint (count (ws->db, sql), ==, n_messages + 1);
  {
    g_autoptr (ConfabMessage) message = NULL;
    g_autoptr (GError) error = NULL;

    message = confab_repository_get (ws->db, CONFAB_TYPE_MESSAGE, message_id, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (confab_message_get_role (message), ==, "supporter");
    g_assert_cmpstr (confab_message_get_content (message), ==, "The driver is at your door.");
    g_assert_cmpstr (confab_message_get_user_id (message), ==, priya);
    g_assert_null (confab_message_get_agent_id (message));
    g_assert_cmpstr (confab_message_get_conversation_id (message), ==, conversation_id);
    g_assert_cmpstr (confab_message_get_parent_message_id (message), ==, last_before);
    g_assert_cmpint (confab_message_get_seq (message), ==, n_messages);
  }

  /* Resolving hands the conversation back to its agent. */
  cli (&r, ws->path, "escalations", "resolve", id, NULL);
  assert_exit (&r, 0, "resolve");
  value = escalation_field (ws->db, id, "status");
  g_assert_cmpstr (value, ==, "resolved");
  g_clear_pointer (&value, g_free);
  value = escalation_field (ws->db, id, "resolved_at");
  g_assert_nonnull (value);
  g_clear_pointer (&value, g_free);
  value = query_string (ws->db, "SELECT status FROM conversations WHERE id = ?", conversation_id);
  g_assert_cmpstr (value, ==, "active");
  g_clear_pointer (&value, g_free);
  assert_at_least (ws->db, 1,
                   "SELECT count(*) FROM audit_log "
                   "WHERE entity = 'escalation' AND action = 'update' "
                   "AND json_extract (details, '$.changed.status.to') = 'resolved'");

  /* A resolved escalation is closed to all three. */
  cli (&r, ws->path, "escalations", "resolve", id, NULL);
  assert_exit (&r, 1, "resolve twice");
  g_assert_nonnull (strstr (r.err, "resolved"));
  cli (&r, ws->path, "escalations", "take", id, "--operator", "tomas", NULL);
  assert_exit (&r, 1, "take a resolved escalation");
  cli (&r, ws->path, "escalations", "reply", id, "--operator", "priya", "Hello?", NULL);
  assert_exit (&r, 1, "reply to a resolved escalation");
  g_assert_cmpint (count (ws->db, sql), ==, n_messages + 1);

  cli (&r, ws->path, "escalations", "list", "--status", "assigned", NULL);
  assert_exit (&r, 0, "list after resolve");
  g_assert_cmpstr (r.out, ==, "");
  sqlite3_free (g_steal_pointer (&sql));
}

/* A pending escalation, given by its conversation's id, is taken by the
 * operator who answers it. */
static void
test_cli_escalations_reply_pending (void)
{
  g_autoptr (ConfabTestWorkspace) ws = cli_demo_workspace ();
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *conversation_id = NULL;
  g_autofree char *tomas = NULL;
  g_autofree char *value = NULL;
  g_auto (Run) r = { 0 };
  const char *id;

  conversation_id = query_string (ws->db,
                                  "SELECT c.id FROM conversations c "
                                  "JOIN users u ON u.id = c.user_id "
                                  "WHERE u.username = 'lena.f' AND c.status = 'active' "
                                  "ORDER BY c.created_at LIMIT 1",
                                  NULL);
  g_assert_nonnull (conversation_id);
  escalation = confab_escalation_new (conversation_id, "The customer asked for the manager");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (escalation), NULL, &error));
  g_assert_no_error (error);
  id = confab_entity_get_id (CONFAB_ENTITY (escalation));
  tomas = user_id (ws->db, "tomas");

  cli (&r, ws->path, "escalations", "list", "--status", "pending", NULL);
  assert_exit (&r, 0, "list pending");
  g_assert_true (g_str_has_prefix (r.out, id));
  g_assert_true (g_str_has_suffix (r.out, "\t\n")); /* no supporter yet */

  cli (&r, ws->path, "escalations", "reply", conversation_id, "--operator", "tomas", "--",
       "-- Tomás here: the manager will call you back today.", NULL);
  assert_exit (&r, 0, "reply to a pending escalation");
  value = escalation_field (ws->db, id, "status");
  g_assert_cmpstr (value, ==, "assigned");
  g_clear_pointer (&value, g_free);
  value = escalation_field (ws->db, id, "supporter_id");
  g_assert_cmpstr (value, ==, tomas);
  g_clear_pointer (&value, g_free);
  value = query_string (ws->db,
                        "SELECT content FROM messages WHERE conversation_id = ? "
                        "ORDER BY seq DESC LIMIT 1",
                        conversation_id);
  g_assert_cmpstr (value, ==, "-- Tomás here: the manager will call you back today.");
  g_clear_pointer (&value, g_free);

  cli (&r, ws->path, "escalations", "resolve", conversation_id, NULL);
  assert_exit (&r, 0, "resolve by conversation id");
  value = query_string (ws->db, "SELECT status FROM conversations WHERE id = ?", conversation_id);
  g_assert_cmpstr (value, ==, "active");
}

static void
test_cli_escalations_usage (void)
{
  g_autoptr (ConfabTestWorkspace) ws = cli_demo_workspace ();
  g_autofree char *missing = g_build_filename (ws->dir, "missing.confab", NULL);
  g_autofree char *id = NULL;
  g_auto (Run) r = { 0 };
  const char * const commands[] = { "list", "take", "reply", "resolve", NULL };

  id = query_string (ws->db, "SELECT id FROM escalations WHERE status = 'assigned'", NULL);

  cli (&r, ws->path, "escalations", "--help", NULL);
  assert_exit (&r, 0, "escalations --help");
  for (guint i = 0; commands[i] != NULL; i++)
    {
      g_assert_nonnull (strstr (r.out, commands[i]));
    }
  for (guint i = 0; commands[i] != NULL; i++)
    {
      g_auto (Run) h = { 0 };

      cli (&h, ws->path, "escalations", commands[i], "--help", NULL);
      assert_exit (&h, 0, commands[i]);
      g_assert_nonnull (strstr (h.out, "Usage"));
    }

  cli (&r, ws->path, "escalations", NULL);
  assert_exit (&r, 2, "escalations");
  cli (&r, ws->path, "escalations", "escalate-everything", NULL);
  assert_exit (&r, 2, "unknown command");
  cli (&r, ws->path, "escalations", "list", "--status", "forgotten", NULL);
  assert_exit (&r, 2, "list --status forgotten");
  cli (&r, ws->path, "escalations", "list", "extra", NULL);
  assert_exit (&r, 2, "list extra");
  cli (&r, ws->path, "escalations", "take", "--operator", "priya", NULL);
  assert_exit (&r, 2, "take without an id");
  cli (&r, ws->path, "escalations", "take", id, NULL);
  assert_exit (&r, 2, "take without --operator");
  g_assert_nonnull (strstr (r.err, "--operator"));
  cli (&r, ws->path, "escalations", "take", id, "--operater=priya", NULL);
  assert_exit (&r, 2, "take with a misspelt option");
  cli (&r, ws->path, "escalations", "reply", id, "--operator", "priya", NULL);
  assert_exit (&r, 2, "reply without a message");
  cli (&r, ws->path, "escalations", "resolve", NULL);
  assert_exit (&r, 2, "resolve without an id");

  /* Errors: exit 1 with a message, and no workspace created by accident. */
  cli (&r, ws->path, "escalations", "take", "no-such-escalation", "--operator", "priya", NULL);
  assert_exit (&r, 1, "take an unknown escalation");
  g_assert_nonnull (strstr (r.err, "no-such-escalation"));
  cli (&r, ws->path, "escalations", "take", id, "--operator", "nobody", NULL);
  assert_exit (&r, 1, "take for an unknown user");
  g_assert_nonnull (strstr (r.err, "nobody"));
  cli (&r, ws->path, "escalations", "resolve", "no-such-escalation", NULL);
  assert_exit (&r, 1, "resolve an unknown escalation");
  cli (&r, missing, "escalations", "list", NULL);
  assert_exit (&r, 1, "list in a missing workspace");
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/demo/imports", test_demo_imports);
  g_test_add_func ("/confab/demo/users", test_demo_users);
  g_test_add_func ("/confab/demo/provider", test_demo_provider);
  g_test_add_func ("/confab/demo/rule-agents", test_demo_rule_agents);
  g_test_add_func ("/confab/demo/bakery-hours", test_demo_bakery_hours);
  g_test_add_func ("/confab/demo/hybrid-and-llm", test_demo_hybrid_and_llm);
  g_test_add_func ("/confab/demo/team", test_demo_team);
  g_test_add_func ("/confab/demo/knowledge", test_demo_knowledge);
  g_test_add_func ("/confab/demo/prompts", test_demo_prompts);
  g_test_add_func ("/confab/demo/conversations", test_demo_conversations);
  g_test_add_func ("/confab/demo/cli/escalations-list", test_cli_escalations_list);
  g_test_add_func ("/confab/demo/cli/escalations-flow", test_cli_escalations_flow);
  g_test_add_func ("/confab/demo/cli/escalations-reply-pending",
                   test_cli_escalations_reply_pending);
  g_test_add_func ("/confab/demo/cli/escalations-usage", test_cli_escalations_usage);
  return g_test_run ();
}
