#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "confab-cli-common.h"

static gboolean
is_bookkeeping (GParamSpec *pspec)
{
  return strcmp (pspec->name, "created-at") == 0 || strcmp (pspec->name, "updated-at") == 0;
}

/* The agent's columns in the order people read them: id and fields first,
 * timestamps last. The caller frees the array, not the pspecs. */
static GPtrArray *
ordered_columns (void)
{
  g_autoptr (GTypeClass) klass = g_type_class_ref (CONFAB_TYPE_AGENT);
  GPtrArray *columns = g_ptr_array_new ();
  GParamSpec **pspecs;
  guint n;

  pspecs = confab_entity_class_list_columns (CONFAB_ENTITY_CLASS (klass), &n);
  for (guint i = 0; i < n; i++)
    if (!is_bookkeeping (pspecs[i]))
      g_ptr_array_add (columns, pspecs[i]);
  for (guint i = 0; i < n; i++)
    if (is_bookkeeping (pspecs[i]))
      g_ptr_array_add (columns, pspecs[i]);
  return columns;
}

static void
add_json_member (JsonBuilder  *builder,
                 ConfabEntity *entity,
                 GParamSpec   *pspec)
{
  const GValue *v = confab_entity_peek_value (entity, pspec);
  g_autofree char *column = confab_entity_column_name (pspec);

  json_builder_set_member_name (builder, column);
  switch (G_VALUE_TYPE (v))
    {
    case G_TYPE_STRING:
      {
        const char *s = g_value_get_string (v);
        g_autoptr (JsonNode) parsed = NULL;

        /* The configuration is JSON: embed it rather than quote it. */
        if (s != NULL && strcmp (column, "config") == 0)
          parsed = json_from_string (s, NULL);
        if (parsed != NULL)
          json_builder_add_value (builder, g_steal_pointer (&parsed));
        else if (s == NULL)
          json_builder_add_null_value (builder);
        else
          json_builder_add_string_value (builder, s);
      }
      break;
    case G_TYPE_INT:
      json_builder_add_int_value (builder, g_value_get_int (v));
      break;
    case G_TYPE_INT64:
      json_builder_add_int_value (builder, g_value_get_int64 (v));
      break;
    case G_TYPE_BOOLEAN:
      json_builder_add_boolean_value (builder, g_value_get_boolean (v));
      break;
    case G_TYPE_DOUBLE:
      json_builder_add_double_value (builder, g_value_get_double (v));
      break;
    default:
      json_builder_add_null_value (builder);
    }
}

static void
add_agent_json (JsonBuilder  *builder,
                ConfabAgent  *agent,
                GPtrArray    *columns,
                char        **knowledge_base_ids)
{
  json_builder_begin_object (builder);
  for (guint i = 0; i < columns->len; i++)
    add_json_member (builder, CONFAB_ENTITY (agent), g_ptr_array_index (columns, i));
  if (knowledge_base_ids != NULL)
    {
      json_builder_set_member_name (builder, "knowledge_bases");
      json_builder_begin_array (builder);
      for (guint i = 0; knowledge_base_ids[i] != NULL; i++)
        json_builder_add_string_value (builder, knowledge_base_ids[i]);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
}

static void
print_json (JsonBuilder *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = json_to_string (root, TRUE);

  g_print ("%s\n", text);
}

/* One line per value: backslashes, newlines and tabs are escaped. */
static char *
escape_value (const char *s)
{
  GString *out = g_string_sized_new (strlen (s));

  for (; *s != '\0'; s++)
    switch (*s)
      {
      case '\\': g_string_append (out, "\\\\"); break;
      case '\n': g_string_append (out, "\\n"); break;
      case '\r': g_string_append (out, "\\r"); break;
      case '\t': g_string_append (out, "\\t"); break;
      default: g_string_append_c (out, *s);
      }
  return g_string_free (out, FALSE);
}

static char *
format_value (ConfabEntity *entity,
              GParamSpec   *pspec)
{
  const GValue *v = confab_entity_peek_value (entity, pspec);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  switch (G_VALUE_TYPE (v))
    {
    case G_TYPE_STRING:
      return escape_value (CONFAB_CLI_STR (g_value_get_string (v)));
    case G_TYPE_INT:
      return g_strdup_printf ("%d", g_value_get_int (v));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, g_value_get_int64 (v));
    case G_TYPE_BOOLEAN:
      return g_strdup (g_value_get_boolean (v) ? "true" : "false");
    case G_TYPE_DOUBLE:
      return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.15g", g_value_get_double (v)));
    default:
      return g_strdup ("");
    }
}

static int
agents_list (ConfabCli  *cli,
             int         argc,
             char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) agents = NULL;
  gboolean json = FALSE;
  int status;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON array of every field"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("List the agents of the workspace: "
                                  "id, name, type, sector, active."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return confab_cli_usage (context, _("agents list takes no arguments"));

  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);
  agents = confab_repository_list (cli->db, CONFAB_TYPE_AGENT, NULL, NULL, &error);
  if (agents == NULL)
    return confab_cli_fail (error);

  if (json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (GPtrArray) columns = ordered_columns ();

      json_builder_begin_array (builder);
      for (guint i = 0; i < agents->len; i++)
        add_agent_json (builder, g_ptr_array_index (agents, i), columns, NULL);
      json_builder_end_array (builder);
      print_json (builder);
      return CONFAB_CLI_OK;
    }

  for (guint i = 0; i < agents->len; i++)
    {
      ConfabAgent *agent = g_ptr_array_index (agents, i);

      confab_cli_print_row (confab_entity_get_id (CONFAB_ENTITY (agent)),
                            CONFAB_CLI_STR (confab_agent_get_name (agent)),
                            CONFAB_CLI_STR (confab_agent_get_agent_type (agent)),
                            CONFAB_CLI_STR (confab_agent_get_sector (agent)),
                            confab_agent_get_is_active (agent) ? "active" : "inactive",
                            NULL);
    }
  return CONFAB_CLI_OK;
}

/* A provider given by id or, failing that, by its (unique) name. Unknown
 * values are kept so validation names them. */
static char *
resolve_provider (ConfabDatabase *db,
                  const char     *value)
{
  g_autoptr (ConfabProvider) provider = NULL;

  if (confab_repository_exists (db, "providers", "id", value, NULL, NULL))
    return g_strdup (value);
  provider = confab_repository_find (db, CONFAB_TYPE_PROVIDER, "name", value, NULL);
  if (provider != NULL)
    return g_strdup (confab_entity_get_id (CONFAB_ENTITY (provider)));
  return g_strdup (value);
}

static int
agents_add (ConfabCli  *cli,
            int         argc,
            char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autofree char *name = NULL;
  g_autofree char *type = NULL;
  g_autofree char *description = NULL;
  g_autofree char *sector = NULL;
  g_autofree char *provider = NULL;
  g_autofree char *provider_id = NULL;
  g_autofree char *model = NULL;
  g_autofree char *system_prompt = NULL;
  g_autofree char *config = NULL;
  g_autofree char *temperature = NULL;
  g_autofree char *max_tokens = NULL;
  double temperature_value = 0.0;
  gint64 max_tokens_value = 0;
  int status;
  GOptionEntry entries[] = {
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name,
      N_("Name, 1 to 100 characters (required)"), N_("NAME") },
    { "type", 't', 0, G_OPTION_ARG_STRING, &type,
      N_("rule_based, llm or hybrid (default: rule_based)"), N_("TYPE") },
    { "description", 'd', 0, G_OPTION_ARG_STRING, &description,
      N_("What the agent is for"), N_("TEXT") },
    { "sector", 0, 0, G_OPTION_ARG_STRING, &sector,
      N_("Business sector"), N_("SECTOR") },
    { "provider", 'p', 0, G_OPTION_ARG_STRING, &provider,
      N_("The LLM provider, by id or name"), N_("ID") },
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model,
      N_("Model name, as the provider knows it"), N_("MODEL") },
    { "system-prompt", 's', 0, G_OPTION_ARG_STRING, &system_prompt,
      N_("Inline system prompt"), N_("TEXT") },
    { "config", 'c', 0, G_OPTION_ARG_STRING, &config,
      N_("Configuration as a JSON object (rules, tools, template)"), N_("JSON") },
    { "temperature", 0, 0, G_OPTION_ARG_STRING, &temperature,
      N_("Sampling temperature, 0 to 2 (default: 0.7)"), N_("X") },
    { "max-tokens", 0, 0, G_OPTION_ARG_STRING, &max_tokens,
      N_("Longest reply in tokens (default: 1024)"), N_("N") },
    { NULL }
  };

  g_option_context_set_summary (context, _("Add an agent to the workspace and print its id."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return confab_cli_usage (context, _("unexpected argument; use the options"));
  if (name == NULL)
    return confab_cli_usage (context, _("--name is required"));
  if (type != NULL && !confab_check_enum (_("agent type"), type, confab_agent_types, &error))
    return confab_cli_usage (context, error->message);
  if (temperature != NULL)
    {
      char *end = NULL;

      temperature_value = g_ascii_strtod (temperature, &end);
      if (end == temperature || *end != '\0' || !isfinite (temperature_value))
        {
          g_autofree char *message = g_strdup_printf (_("“%s” is not a number (--temperature)"),
                                                      temperature);
          return confab_cli_usage (context, message);
        }
    }
  if (max_tokens != NULL &&
      !g_ascii_string_to_signed (max_tokens, 10, G_MININT, G_MAXINT, &max_tokens_value, NULL))
    {
      g_autofree char *message = g_strdup_printf (_("“%s” is not a whole number (--max-tokens)"),
                                                  max_tokens);
      return confab_cli_usage (context, message);
    }

  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);

  agent = confab_agent_new (name);
  if (type != NULL)
    confab_agent_set_agent_type (agent, type);
  confab_agent_set_description (agent, description);
  confab_agent_set_sector (agent, sector);
  if (provider != NULL)
    {
      provider_id = resolve_provider (cli->db, provider);
      confab_agent_set_provider_id (agent, provider_id);
    }
  confab_agent_set_model (agent, model);
  confab_agent_set_system_prompt (agent, system_prompt);
  if (config != NULL)
    confab_agent_set_config (agent, config);
  if (temperature != NULL)
    confab_agent_set_temperature (agent, temperature_value);
  if (max_tokens != NULL)
    confab_agent_set_max_tokens (agent, (int) max_tokens_value);

  if (!confab_repository_create (cli->db, CONFAB_ENTITY (agent), NULL, &error))
    return confab_cli_fail (error);
  g_print ("%s\n", confab_entity_get_id (CONFAB_ENTITY (agent)));
  return CONFAB_CLI_OK;
}

/* An agent by id, or by name when exactly one agent has it. */
static ConfabAgent *
lookup_agent (ConfabDatabase  *db,
              const char      *id_or_name,
              GError         **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GPtrArray) named = NULL;
  ConfabAgent *agent;

  agent = confab_repository_get (db, CONFAB_TYPE_AGENT, id_or_name, &local_error);
  if (agent != NULL)
    return agent;
  if (!g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  named = confab_repository_list (db, CONFAB_TYPE_AGENT, "name", id_or_name, error);
  if (named == NULL)
    return NULL;
  if (named->len == 1)
    return g_object_ref (g_ptr_array_index (named, 0));

  if (named->len == 0)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _("No agent with the id or name “%s” exists in this workspace"), id_or_name);
  else
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                 ngettext ("%u agent is named “%s”; give its id instead",
                           "%u agents are named “%s”; give an id instead",
                           named->len),
                 named->len, id_or_name);
  return NULL;
}

static int
agents_show (ConfabCli  *cli,
             int         argc,
             char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("ID|NAME"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (GPtrArray) columns = NULL;
  g_auto (GStrv) knowledge_base_ids = NULL;
  gboolean json = FALSE;
  int status;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Show every field of one agent, given by id or name, "
                                  "as “key: value” lines."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("agents show needs one agent id or name"));

  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);
  agent = lookup_agent (cli->db, argv[1], &error);
  if (agent == NULL)
    return confab_cli_fail (error);
  knowledge_base_ids =
    confab_agent_list_knowledge_base_ids (cli->db, confab_entity_get_id (CONFAB_ENTITY (agent)),
                                          &error);
  if (knowledge_base_ids == NULL)
    return confab_cli_fail (error);

  columns = ordered_columns ();
  if (json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      add_agent_json (builder, agent, columns, knowledge_base_ids);
      print_json (builder);
      return CONFAB_CLI_OK;
    }

  for (guint i = 0; i < columns->len; i++)
    {
      GParamSpec *pspec = g_ptr_array_index (columns, i);
      g_autofree char *column = confab_entity_column_name (pspec);
      g_autofree char *value = format_value (CONFAB_ENTITY (agent), pspec);

      g_print ("%s: %s\n", column, value);
    }
  {
    g_autofree char *joined = g_strjoinv (",", knowledge_base_ids);

    g_print ("knowledge_bases: %s\n", joined);
  }
  return CONFAB_CLI_OK;
}

int
confab_cli_agents (ConfabCli  *cli,
                   int         argc,
                   char      **argv)
{
  static const char * const names[] = { "list", "add", "show", NULL };
  static const ConfabCliCommand commands[] = { agents_list, agents_add, agents_show };

  return confab_cli_dispatch (cli, "agents", names, commands,
                              _("Commands:\n"
                                "  list   List the agents\n"
                                "  add    Add an agent\n"
                                "  show   Show every field of one agent"),
                              argc, argv);
}
