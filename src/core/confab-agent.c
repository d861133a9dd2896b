#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "confab-agent.h"
#include "confab-error.h"
#include "confab-repository.h"
#include "confab-util.h"

struct _ConfabAgent
{
  ConfabEntity parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabAgent, confab_agent, CONFAB_TYPE_ENTITY)

enum {
  PROP_0,
  PROP_NAME,
  PROP_DESCRIPTION,
  PROP_TYPE,
  PROP_SECTOR,
  PROP_PROVIDER_ID,
  PROP_MODEL,
  PROP_TEMPERATURE,
  PROP_MAX_TOKENS,
  PROP_SYSTEM_PROMPT,
  PROP_PROMPT_ID,
  PROP_PROMPT_LABEL,
  PROP_PROMPT_VERSION,
  PROP_CONFIG,
  PROP_OWNER_ID,
  PROP_IS_ACTIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char * const confab_agent_types[] = { "rule_based", "llm", "hybrid", NULL };

/* The label an agent follows when it names a prompt but neither a label nor a
 * version: the newest version. prompt_labels reserves the name. */
#define LATEST_LABEL "latest"

/* conversations and messages keep their rows (agent_id -> NULL); team_members
 * and agent_knowledge rows go with the agent (CASCADE). */
static const char * const dependent_tables[] = {
  "conversations", "messages", "team_members", "agent_knowledge", NULL
};

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

static gboolean
check_config (ConfabAgent  *self,
              GError      **error)
{
  const char *config = confab_agent_get_config (self);
  const char *name = confab_agent_get_name (self);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local_error = NULL;
  JsonNode *root;

  if (config == NULL || !json_parser_load_from_data (parser, config, -1, &local_error))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The configuration of the agent “%s” is not valid JSON: %s"),
                   name, local_error ? local_error->message : _("it is empty"));
      return FALSE;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The configuration of the agent “%s” is not valid JSON: it must be an object"),
                   name);
      return FALSE;
    }
  return TRUE;
}

/* An agent takes its system prompt either inline (system_prompt) or from the
 * prompt library: prompt_id plus either a label (prompt_label) or a fixed
 * version (prompt_version > 0), never both. With neither, the agent follows
 * the newest version, written as the label "latest" when the agent is
 * created; a stored row with no label and version 0 reads the same way.
 * Without prompt_id the label and version are ignored, so an agent whose
 * prompt was deleted (prompt_id -> NULL) can still be saved. */
static gboolean
check_prompt (ConfabAgent     *self,
              ConfabDatabase  *db,
              GError         **error)
{
  const char *prompt_id = confab_agent_get_prompt_id (self);
  const char *label = confab_agent_get_prompt_label (self);
  int version = confab_agent_get_prompt_version (self);
  g_autoptr (ConfabStmt) stmt = NULL;

  if (version < 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The prompt version must be a positive number, not %d"), version);
      return FALSE;
    }

  if (!is_set (prompt_id))
    return TRUE;

  if (!confab_repository_check_reference (db, CONFAB_ENTITY (self), properties[PROP_PROMPT_ID],
                                          "prompts", FALSE, error))
    return FALSE;

  if (is_set (label) && version > 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The agent “%s” names both the prompt label “%s” and the prompt version %d: "
                     "choose one"),
                   confab_agent_get_name (self), label, version);
      return FALSE;
    }

  if (is_set (label))
    return confab_check_text (_("prompt label"), label, 1, 64, error);

  if (version > 0)
    {
      stmt = confab_database_prepare (db,
                                      "SELECT EXISTS (SELECT 1 FROM prompt_versions "
                                      "WHERE prompt_id = ? AND version = ?)",
                                      error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, prompt_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (stmt, 2, version);
      if (sqlite3_step (stmt) != SQLITE_ROW || sqlite3_column_int (stmt, 0) == 0)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("The prompt version %d does not exist in this workspace"), version);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
confab_agent_validate (ConfabEntity    *entity,
                       ConfabDatabase  *db,
                       GError         **error)
{
  ConfabAgent *self = CONFAB_AGENT (entity);
  double temperature = confab_agent_get_temperature (self);
  int max_tokens = confab_agent_get_max_tokens (self);

  if (!confab_check_text (_("name"), confab_agent_get_name (self), 1, 100, error) ||
      !confab_check_enum (_("agent type"), confab_agent_get_agent_type (self),
                          confab_agent_types, error))
    return FALSE;

  /* Written so NaN fails too. */
  if (!(temperature >= 0.0 && temperature <= 2.0))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The temperature must be between 0 and 2, not %g"), temperature);
      return FALSE;
    }
  if (max_tokens < 1)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The maximum number of tokens must be at least 1, not %d"), max_tokens);
      return FALSE;
    }

  return check_config (self, error) &&
         confab_repository_check_reference (db, entity, properties[PROP_PROVIDER_ID],
                                            "providers", FALSE, error) &&
         confab_repository_check_reference (db, entity, properties[PROP_OWNER_ID],
                                            "users", FALSE, error) &&
         check_prompt (self, db, error);
}

static gboolean
confab_agent_before_insert (ConfabEntity    *entity,
                            ConfabDatabase  *db,
                            GError         **error)
{
  ConfabAgent *self = CONFAB_AGENT (entity);

  if (is_set (confab_agent_get_prompt_id (self)) &&
      !is_set (confab_agent_get_prompt_label (self)) &&
      confab_agent_get_prompt_version (self) == 0)
    confab_agent_set_prompt_label (self, LATEST_LABEL);
  return TRUE;
}

static void
confab_agent_class_init (ConfabAgentClass *klass)
{
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  entity_class->table = "agents";
  entity_class->entity_name = "agent";
  entity_class->label = N_("agent");
  entity_class->default_order = "name COLLATE NOCASE, id";
  entity_class->dependent_tables = dependent_tables;
  entity_class->validate = confab_agent_validate;
  entity_class->before_insert = confab_agent_before_insert;

  /* Numeric ranges are left wide on purpose: validate() refuses bad values
   * with a message people can read, where a pspec range would only warn. */
  properties[PROP_NAME] =
    g_param_spec_string ("name", N_("name"), NULL, NULL, flags);
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", N_("description"), NULL, NULL, flags);
  properties[PROP_TYPE] =
    g_param_spec_string ("type", N_("agent type"), NULL, "rule_based", flags);
  properties[PROP_SECTOR] =
    g_param_spec_string ("sector", N_("sector"), NULL, NULL, flags);
  properties[PROP_PROVIDER_ID] =
    g_param_spec_string ("provider-id", N_("provider"), NULL, NULL, flags);
  properties[PROP_MODEL] =
    g_param_spec_string ("model", N_("model"), NULL, NULL, flags);
  properties[PROP_TEMPERATURE] =
    g_param_spec_double ("temperature", N_("temperature"), NULL,
                         -G_MAXDOUBLE, G_MAXDOUBLE, 0.7, flags);
  properties[PROP_MAX_TOKENS] =
    g_param_spec_int ("max-tokens", N_("maximum tokens"), NULL,
                      G_MININT, G_MAXINT, 1024, flags);
  properties[PROP_SYSTEM_PROMPT] =
    g_param_spec_string ("system-prompt", N_("system prompt"), NULL, NULL,
                         flags | CONFAB_PARAM_NO_AUDIT);
  properties[PROP_PROMPT_ID] =
    g_param_spec_string ("prompt-id", N_("prompt"), NULL, NULL, flags);
  properties[PROP_PROMPT_LABEL] =
    g_param_spec_string ("prompt-label", N_("prompt label"), NULL, NULL, flags);
  properties[PROP_PROMPT_VERSION] =
    g_param_spec_int ("prompt-version", N_("prompt version"), NULL,
                      G_MININT, G_MAXINT, 0, flags);
  properties[PROP_CONFIG] =
    g_param_spec_string ("config", N_("configuration"), NULL, "{}", flags);
  properties[PROP_OWNER_ID] =
    g_param_spec_string ("owner-id", N_("owner"), NULL, NULL, flags);
  properties[PROP_IS_ACTIVE] =
    g_param_spec_boolean ("is-active", N_("active"), NULL, TRUE, flags);
  confab_entity_class_install_columns (entity_class, N_PROPS, properties);
}

static void
confab_agent_init (ConfabAgent *self)
{
}

ConfabAgent *
confab_agent_new (const char *name)
{
  return g_object_new (CONFAB_TYPE_AGENT, "name", name, NULL);
}

CONFAB_DEFINE_STRING_ACCESSORS (confab_agent, ConfabAgent, name, properties[PROP_NAME])
CONFAB_DEFINE_STRING_ACCESSORS (confab_agent, ConfabAgent, description,
                                properties[PROP_DESCRIPTION])
CONFAB_DEFINE_STRING_ACCESSORS (confab_agent, ConfabAgent, agent_type, properties[PROP_TYPE])
CONFAB_DEFINE_STRING_ACCESSORS (confab_agent, ConfabAgent, sector, properties[PROP_SECTOR])
CONFAB_DEFINE_STRING_ACCESSORS (confab_agent, ConfabAgent, provider_id,
                                properties[PROP_PROVIDER_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_agent, ConfabAgent, model, properties[PROP_MODEL])
CONFAB_DEFINE_DOUBLE_ACCESSORS (confab_agent, ConfabAgent, temperature,
                                properties[PROP_TEMPERATURE])
CONFAB_DEFINE_INT_ACCESSORS (confab_agent, ConfabAgent, max_tokens, int,
                             properties[PROP_MAX_TOKENS])
CONFAB_DEFINE_STRING_ACCESSORS (confab_agent, ConfabAgent, system_prompt,
                                properties[PROP_SYSTEM_PROMPT])
CONFAB_DEFINE_STRING_ACCESSORS (confab_agent, ConfabAgent, prompt_id, properties[PROP_PROMPT_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_agent, ConfabAgent, prompt_label,
                                properties[PROP_PROMPT_LABEL])
CONFAB_DEFINE_INT_ACCESSORS (confab_agent, ConfabAgent, prompt_version, int,
                             properties[PROP_PROMPT_VERSION])
CONFAB_DEFINE_STRING_ACCESSORS (confab_agent, ConfabAgent, owner_id, properties[PROP_OWNER_ID])
CONFAB_DEFINE_BOOLEAN_ACCESSORS (confab_agent, ConfabAgent, is_active, properties[PROP_IS_ACTIVE])

const char *
confab_agent_get_config (ConfabAgent *self)
{
  return confab_entity_get_string (CONFAB_ENTITY (self), properties[PROP_CONFIG]);
}

void
confab_agent_set_config (ConfabAgent *self,
                         const char  *config)
{
  confab_entity_set_string (CONFAB_ENTITY (self), properties[PROP_CONFIG], config ? config : "{}");
}

/* Knowledge base links */

static gboolean
link_exists (ConfabDatabase  *db,
             const char      *agent_id,
             const char      *knowledge_base_id,
             gboolean        *exists,
             GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = confab_database_prepare (db,
                                  "SELECT EXISTS (SELECT 1 FROM agent_knowledge "
                                  "WHERE agent_id = ? AND knowledge_base_id = ?)",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, agent_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, knowledge_base_id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)),
                                 error);
      return FALSE;
    }
  *exists = sqlite3_column_int (stmt, 0) != 0;
  return TRUE;
}

static char *
link_details (const char *change,
              const char *knowledge_base_id)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "knowledge_bases");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, change);
  json_builder_add_string_value (builder, knowledge_base_id);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static gboolean
change_link (ConfabDatabase  *db,
             const char      *agent_id,
             const char      *knowledge_base_id,
             const char      *actor_id,
             gboolean         add,
             GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *details = NULL;
  gboolean exists = FALSE;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);

  if (!confab_database_begin (db, error))
    return FALSE;

  if (!confab_repository_require_row (db, "agents", _("agent"), agent_id, error) ||
      !confab_repository_require_row (db, "knowledge_bases", _("knowledge base"), knowledge_base_id, error) ||
      !link_exists (db, agent_id, knowledge_base_id, &exists, error))
    goto rollback;

  if (add && exists)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                   _("The knowledge base “%s” is already linked to this agent"),
                   knowledge_base_id);
      goto rollback;
    }
  if (!add && !exists)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                   _("The knowledge base “%s” is not linked to this agent"),
                   knowledge_base_id);
      goto rollback;
    }

  stmt = confab_database_prepare (db,
                                  add ? "INSERT INTO agent_knowledge (agent_id, knowledge_base_id) "
                                        "VALUES (?, ?)"
                                      : "DELETE FROM agent_knowledge "
                                        "WHERE agent_id = ? AND knowledge_base_id = ?",
                                  error);
  if (stmt == NULL)
    goto rollback;
  sqlite3_bind_text (stmt, 1, agent_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, knowledge_base_id, -1, SQLITE_TRANSIENT);
  if (!confab_database_step_done (db, stmt, error))
    goto rollback;

  details = link_details (add ? "added" : "removed", knowledge_base_id);
  if (!confab_database_audit (db, actor_id, "agent", agent_id, "update", details, error))
    goto rollback;

  confab_database_notify_change (db, "agent_knowledge", agent_id, add ? "create" : "delete");
  return confab_database_commit (db, error);

rollback:
  confab_database_rollback (db);
  return FALSE;
}

gboolean
confab_agent_add_knowledge_base (ConfabDatabase  *db,
                                 const char      *agent_id,
                                 const char      *knowledge_base_id,
                                 const char      *actor_id,
                                 GError         **error)
{
  return change_link (db, agent_id, knowledge_base_id, actor_id, TRUE, error);
}

gboolean
confab_agent_remove_knowledge_base (ConfabDatabase  *db,
                                    const char      *agent_id,
                                    const char      *knowledge_base_id,
                                    const char      *actor_id,
                                    GError         **error)
{
  return change_link (db, agent_id, knowledge_base_id, actor_id, FALSE, error);
}

/* The ids of the agent's knowledge bases, by title; an empty vector when it
 * has none. */
char **
confab_agent_list_knowledge_base_ids (ConfabDatabase  *db,
                                      const char      *agent_id,
                                      GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GStrvBuilder) ids = NULL;
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);

  if (!confab_repository_require_row (db, "agents", _("agent"), agent_id, error))
    return NULL;

  stmt = confab_database_prepare (db,
                                  "SELECT ak.knowledge_base_id FROM agent_knowledge ak "
                                  "JOIN knowledge_bases kb ON kb.id = ak.knowledge_base_id "
                                  "WHERE ak.agent_id = ? ORDER BY kb.title COLLATE NOCASE, kb.id",
                                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, agent_id, -1, SQLITE_TRANSIENT);

  ids = g_strv_builder_new ();
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (ids, (const char *) sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)),
                                 error);
      return NULL;
    }
  return g_strv_builder_end (ids);
}
