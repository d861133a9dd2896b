#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "confab-error.h"
#include "confab-repository.h"
#include "confab-team.h"
#include "confab-team-member.h"
#include "confab-util.h"

struct _ConfabTeam
{
  ConfabEntity parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabTeam, confab_team, CONFAB_TYPE_ENTITY)

enum {
  PROP_0,
  PROP_NAME,
  PROP_DESCRIPTION,
  PROP_MODE,
  PROP_MAX_TURNS,
  PROP_OWNER_ID,
  PROP_CONFIG,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char * const confab_team_modes[] = { "router", "sequential", "round_robin", NULL };

/* team_members go with the team (CASCADE); conversations keep their rows
 * (team_id -> NULL). */
static const char * const dependent_tables[] = { "team_members", "conversations", NULL };

static const char * const selectors[] = { "rules", "llm", NULL };

/* Settings by mode (schema 4): router "selector" ("rules", the default, or
 * "llm") and "selector_agent_id" (the agent whose model names the member);
 * round robin "stop_phrase". */
static gboolean
check_config (ConfabTeam      *self,
              ConfabDatabase  *db,
              GError         **error)
{
  const char *config = confab_team_get_config (self);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GList) members = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *selector = NULL;
  g_autofree char *selector_agent_id = NULL;
  JsonObject *object;

  if (config == NULL || !json_parser_load_from_data (parser, config, -1, &local_error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The team settings must be a JSON object"));
      return FALSE;
    }
  object = json_node_get_object (json_parser_get_root (parser));
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *key = l->data;
      JsonNode *node = json_object_get_member (object, key);

      if (!g_str_equal (key, "selector") && !g_str_equal (key, "selector_agent_id") &&
          !g_str_equal (key, "stop_phrase"))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("The team settings have an unknown setting “%s”"), key);
          return FALSE;
        }
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("The team setting “%s” must be text"), key);
          return FALSE;
        }
    }

  selector = confab_team_dup_setting (self, "selector");
  selector_agent_id = confab_team_dup_setting (self, "selector_agent_id");
  if (selector != NULL && !confab_check_enum (_("selector"), selector, selectors, error))
    return FALSE;
  if (g_strcmp0 (selector, "llm") == 0)
    {
      g_autofree char *type = NULL;
      g_autoptr (ConfabStmt) stmt = NULL;

      if (selector_agent_id == NULL)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Choose the agent whose model picks the member that answers"));
          return FALSE;
        }
      stmt = confab_database_prepare (db, "SELECT type, provider_id FROM agents WHERE id = ?",
                                      error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, selector_agent_id, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (stmt) != SQLITE_ROW)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("The selector agent “%s” does not exist in this workspace"),
                       selector_agent_id);
          return FALSE;
        }
      if (g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), "rule_based") == 0 ||
          sqlite3_column_type (stmt, 1) == SQLITE_NULL)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("The selector agent must be an LLM or hybrid agent with a provider"));
          return FALSE;
        }
    }
  {
    g_autofree char *stop = confab_team_dup_setting (self, "stop_phrase");

    if (stop != NULL && !confab_check_text (_("stop phrase"), stop, 1, 200, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
confab_team_validate (ConfabEntity    *entity,
                      ConfabDatabase  *db,
                      GError         **error)
{
  ConfabTeam *self = CONFAB_TEAM (entity);
  int max_turns = confab_team_get_max_turns (self);

  if (!confab_check_text (_("name"), confab_team_get_name (self), 1, 100, error) ||
      !confab_check_enum (_("team mode"), confab_team_get_mode (self), confab_team_modes, error))
    return FALSE;

  if (max_turns < 1 || max_turns > 100)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The maximum number of turns must be between 1 and 100, not %d"), max_turns);
      return FALSE;
    }

  if (!confab_repository_check_reference (db, entity, properties[PROP_OWNER_ID], "users",
                                          FALSE, error))
    return FALSE;
  return check_config (self, db, error);
}

static void
confab_team_class_init (ConfabTeamClass *klass)
{
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  entity_class->table = "teams";
  entity_class->entity_name = "team";
  entity_class->label = N_("team");
  entity_class->default_order = "name COLLATE NOCASE, id";
  entity_class->dependent_tables = dependent_tables;
  entity_class->validate = confab_team_validate;

  properties[PROP_NAME] =
    g_param_spec_string ("name", N_("name"), NULL, NULL, flags);
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", N_("description"), NULL, NULL, flags);
  properties[PROP_MODE] =
    g_param_spec_string ("mode", N_("team mode"), NULL, "router", flags);
  /* Wide on purpose: validate() refuses bad values with a readable message. */
  properties[PROP_MAX_TURNS] =
    g_param_spec_int ("max-turns", N_("maximum turns"), NULL, G_MININT, G_MAXINT, 1, flags);
  properties[PROP_OWNER_ID] =
    g_param_spec_string ("owner-id", N_("owner"), NULL, NULL, flags);
  properties[PROP_CONFIG] =
    g_param_spec_string ("config", N_("team settings"), NULL, "{}", flags);
  confab_entity_class_install_columns (entity_class, N_PROPS, properties);
}

static void
confab_team_init (ConfabTeam *self)
{
}

ConfabTeam *
confab_team_new (const char *name)
{
  return g_object_new (CONFAB_TYPE_TEAM, "name", name, NULL);
}

CONFAB_DEFINE_STRING_ACCESSORS (confab_team, ConfabTeam, name, properties[PROP_NAME])
CONFAB_DEFINE_STRING_ACCESSORS (confab_team, ConfabTeam, description, properties[PROP_DESCRIPTION])
CONFAB_DEFINE_STRING_ACCESSORS (confab_team, ConfabTeam, mode, properties[PROP_MODE])
CONFAB_DEFINE_INT_ACCESSORS (confab_team, ConfabTeam, max_turns, int, properties[PROP_MAX_TURNS])
CONFAB_DEFINE_STRING_ACCESSORS (confab_team, ConfabTeam, owner_id, properties[PROP_OWNER_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_team, ConfabTeam, config, properties[PROP_CONFIG])

/**
 * confab_team_dup_setting:
 * @self: a #ConfabTeam
 * @key: a setting of the team's config: "selector", "selector_agent_id" or
 *   "stop_phrase"
 *
 * Returns: (transfer full) (nullable): its text, or %NULL when it is not set
 *   (or the config is not valid JSON yet)
 */
char *
confab_team_dup_setting (ConfabTeam *self,
                         const char *key)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  const char *config = confab_team_get_config (self);
  JsonObject *object;
  JsonNode *node;

  g_return_val_if_fail (CONFAB_IS_TEAM (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);

  if (config == NULL || !json_parser_load_from_data (parser, config, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    return NULL;
  object = json_node_get_object (json_parser_get_root (parser));
  node = json_object_get_member (object, key);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (node));
}

/**
 * confab_team_set_setting:
 * @self: a #ConfabTeam
 * @key: the setting
 * @value: (nullable): its text, %NULL or "" to remove it
 *
 * Changes one setting of the team's config, keeping the others (a config
 * that is not a JSON object starts over empty). Saved by the next
 * confab_repository_update(), which validates it.
 */
void
confab_team_set_setting (ConfabTeam *self,
                         const char *key,
                         const char *value)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;
  const char *config = confab_team_get_config (self);
  JsonObject *object;

  g_return_if_fail (CONFAB_IS_TEAM (self));
  g_return_if_fail (key != NULL);

  if (config != NULL && json_parser_load_from_data (parser, config, -1, NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    root = json_node_copy (json_parser_get_root (parser));
  else
    root = json_node_init_object (json_node_alloc (), json_object_new ());
  object = json_node_get_object (root);
  if (value == NULL || *value == '\0')
    json_object_remove_member (object, key);
  else
    json_object_set_string_member (object, key, value);
  text = json_to_string (root, FALSE);
  confab_team_set_config (self, text);
}

/* Members */

GPtrArray *
confab_team_list_members (ConfabDatabase  *db,
                          const char      *team_id,
                          GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GPtrArray) members = NULL;
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);

  if (!confab_repository_require_row (db, "teams", _("team"), team_id, error))
    return NULL;

  stmt = confab_database_prepare (db,
                                  "SELECT agent_id, position, role FROM team_members "
                                  "WHERE team_id = ? ORDER BY position, agent_id",
                                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, team_id, -1, SQLITE_TRANSIENT);

  members = g_ptr_array_new_with_free_func (g_object_unref);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (members,
                     confab_team_member_new (team_id,
                                             (const char *) sqlite3_column_text (stmt, 0),
                                             sqlite3_column_int (stmt, 1),
                                             (const char *) sqlite3_column_text (stmt, 2)));
  if (rc != SQLITE_DONE)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)),
                                 error);
      return NULL;
    }
  return g_steal_pointer (&members);
}

static char *
members_details (const char * const *agent_ids,
                 guint               n)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "members");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    json_builder_add_string_value (builder, agent_ids[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* Checks the new list before anything is written: no duplicate, every agent
 * exists, every role fits. Sets *n_members to the length of the list. */
static gboolean
check_members (ConfabDatabase      *db,
               const char * const  *agent_ids,
               const char * const  *roles,
               guint               *n_members,
               GError             **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean roles_ended = (roles == NULL);
  guint n = 0;

  for (; agent_ids != NULL && agent_ids[n] != NULL; n++)
    {
      const char *agent_id = agent_ids[n];

      if (!g_hash_table_add (seen, (gpointer) agent_id))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("The agent “%s” appears more than once in the team"), agent_id);
          return FALSE;
        }
      if (!confab_repository_require_row (db, "agents", _("agent"), agent_id, error))
        return FALSE;
      if (!roles_ended && roles[n] == NULL)
        roles_ended = TRUE;
      if (!roles_ended && !confab_check_text (_("role"), roles[n], 0, 100, error))
        return FALSE;
    }
  *n_members = n;
  return TRUE;
}

gboolean
confab_team_set_members (ConfabDatabase      *db,
                         const char          *team_id,
                         const char * const  *agent_ids,
                         const char * const  *roles,
                         const char          *actor_id,
                         GError             **error)
{
  g_autoptr (ConfabStmt) clear = NULL;
  g_autofree char *details = NULL;
  gboolean roles_ended = (roles == NULL);
  guint n = 0;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);

  if (!confab_database_begin (db, error))
    return FALSE;

  if (!confab_repository_require_row (db, "teams", _("team"), team_id, error) ||
      !check_members (db, agent_ids, roles, &n, error))
    goto rollback;

  clear = confab_database_prepare (db, "DELETE FROM team_members WHERE team_id = ?", error);
  if (clear == NULL)
    goto rollback;
  sqlite3_bind_text (clear, 1, team_id, -1, SQLITE_TRANSIENT);
  if (!confab_database_step_done (db, clear, error))
    goto rollback;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabStmt) insert = NULL;
      const char *role = NULL;

      if (!roles_ended && roles[i] == NULL)
        roles_ended = TRUE;
      if (!roles_ended && roles[i][0] != '\0')
        role = roles[i];

      insert = confab_database_prepare (db,
                                        "INSERT INTO team_members "
                                        "(team_id, agent_id, position, role) "
                                        "VALUES (?, ?, ?, ?)",
                                        error);
      if (insert == NULL)
        goto rollback;
      sqlite3_bind_text (insert, 1, team_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (insert, 2, agent_ids[i], -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (insert, 3, (int) i);
      sqlite3_bind_text (insert, 4, role, -1, SQLITE_TRANSIENT);
      if (!confab_database_step_done (db, insert, error))
        goto rollback;
    }

  details = members_details (agent_ids, n);
  if (!confab_database_audit (db, actor_id, "team", team_id, "update", details, error))
    goto rollback;

  confab_database_notify_change (db, "team_members", team_id, "update");
  return confab_database_commit (db, error);

rollback:
  confab_database_rollback (db);
  return FALSE;
}
