#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "confab-cli-common.h"

/* Newest first, with each conversation's message count from the
 * (conversation_id, seq) index; a filter that is not given is NULL. */
#define SQL_LIST                                                                \
  "SELECT c.*, (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) " \
  "AS message_count "                                                           \
  "FROM conversations c "                                                       \
  "WHERE (?1 IS NULL OR c.user_id = ?1) "                                       \
  "AND (?2 IS NULL OR c.agent_id = ?2) "                                        \
  "AND (?3 IS NULL OR c.status = ?3) "                                          \
  "ORDER BY c.updated_at DESC, c.id "                                           \
  "LIMIT ?4"

typedef struct
{
  ConfabConversation *conversation;
  gint64              n_messages;
} Row;

static void
row_free (gpointer data)
{
  Row *row = data;

  g_clear_object (&row->conversation);
  g_free (row);
}

static gboolean
check_exists (ConfabDatabase  *db,
              const char      *table,
              const char      *what,
              const char      *id,
              GError         **error)
{
  if (id == NULL || confab_repository_exists (db, table, "id", id, NULL, NULL))
    return TRUE;
  g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
               _("No %s with the identifier “%s” exists in this workspace"), what, id);
  return FALSE;
}

static GPtrArray *
list_rows (ConfabDatabase  *db,
           const char      *user_id,
           const char      *agent_id,
           const char      *status,
           int              limit,
           GError         **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (row_free);
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, SQL_LIST, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, user_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, agent_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, status, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, limit > 0 ? limit : -1);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      Row *row = g_new0 (Row, 1);

      /* message_count is not a column of the entity: new_from_stmt skips it. */
      row->conversation =
        CONFAB_CONVERSATION (confab_entity_new_from_stmt (CONFAB_TYPE_CONVERSATION, stmt));
      row->n_messages = sqlite3_column_int64 (stmt, sqlite3_column_count (stmt) - 1);
      g_ptr_array_add (rows, row);
    }
  if (rc != SQLITE_DONE)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)),
                                 error);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

static void
add_string_member (JsonBuilder *builder,
                   const char  *name,
                   const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
print_json (GPtrArray *rows)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = g_ptr_array_index (rows, i);
      ConfabConversation *c = row->conversation;

      json_builder_begin_object (builder);
      add_string_member (builder, "id", confab_entity_get_id (CONFAB_ENTITY (c)));
      add_string_member (builder, "user_id", confab_conversation_get_user_id (c));
      add_string_member (builder, "agent_id", confab_conversation_get_agent_id (c));
      add_string_member (builder, "team_id", confab_conversation_get_team_id (c));
      add_string_member (builder, "title", confab_conversation_get_title (c));
      add_string_member (builder, "status", confab_conversation_get_status (c));
      add_string_member (builder, "created_at", confab_entity_get_created_at (CONFAB_ENTITY (c)));
      add_string_member (builder, "updated_at", confab_entity_get_updated_at (CONFAB_ENTITY (c)));
      json_builder_set_member_name (builder, "message_count");
      json_builder_add_int_value (builder, row->n_messages);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, TRUE);
  g_print ("%s\n", text);
}

static int
conversations_list (ConfabCli  *cli,
                    int         argc,
                    char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rows = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *agent_id = NULL;
  g_autofree char *status = NULL;
  int limit = G_MININT; /* not given */
  gboolean json = FALSE;
  int exit_status;
  GOptionEntry entries[] = {
    { "user", 'u', 0, G_OPTION_ARG_STRING, &user_id,
      N_("Only the conversations of this user"), N_("ID") },
    { "agent", 'a', 0, G_OPTION_ARG_STRING, &agent_id,
      N_("Only the conversations with this agent"), N_("ID") },
    { "status", 's', 0, G_OPTION_ARG_STRING, &status,
      N_("Only conversations with this status (active, archived, escalated, ended)"),
      N_("STATUS") },
    { "limit", 'n', 0, G_OPTION_ARG_INT, &limit, N_("Show at most N conversations"), N_("N") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON array"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("List conversations, most recently active first: id, "
                                  "last activity, status, number of messages, title."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse (context, &argc, &argv, &exit_status))
    return exit_status;
  if (argc > 1)
    return confab_cli_usage (context, _("conversations list takes no arguments; use the options"));
  if (status != NULL &&
      !confab_check_enum (_("status"), status, confab_conversation_statuses, &error))
    return confab_cli_usage (context, error->message);
  if (limit != G_MININT && limit < 1)
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf (_("--limit must be a positive number, not %d"), limit);
      return confab_cli_usage (context, message);
    }

  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);
  if (!check_exists (cli->db, "users", _("user"), user_id, &error) ||
      !check_exists (cli->db, "agents", _("agent"), agent_id, &error))
    return confab_cli_fail (error);

  rows = list_rows (cli->db, user_id, agent_id, status, limit == G_MININT ? 0 : limit, &error);
  if (rows == NULL)
    return confab_cli_fail (error);

  if (json)
    {
      print_json (rows);
      return CONFAB_CLI_OK;
    }

  for (guint i = 0; i < rows->len; i++)
    {
      Row *row = g_ptr_array_index (rows, i);
      ConfabConversation *c = row->conversation;
      char count[32];

      g_snprintf (count, sizeof count, "%" G_GINT64_FORMAT, row->n_messages);
      confab_cli_print_row (confab_entity_get_id (CONFAB_ENTITY (c)),
                            confab_entity_get_updated_at (CONFAB_ENTITY (c)),
                            confab_conversation_get_status (c),
                            count,
                            CONFAB_CLI_STR (confab_conversation_get_title (c)),
                            NULL);
    }
  return CONFAB_CLI_OK;
}

/* conversations show */

/* A conversation's active branch in order, with the names of who wrote them. */
#define SQL_MESSAGES                                                            \
  "SELECT m.*, u.name AS writer_name, u.username AS writer_username, "          \
  "a.name AS agent_name "                                                       \
  "FROM messages m "                                                            \
  "LEFT JOIN users u ON u.id = m.user_id "                                      \
  "LEFT JOIN agents a ON a.id = m.agent_id "                                    \
  "WHERE m.conversation_id = ? AND m.on_path = 1 ORDER BY m.depth"

typedef struct
{
  ConfabMessage *message;
  char          *writer;       /* the user's name (or username), NULL for none */
  char          *agent_name;
  char          *answered_by;  /* "rule", "fallback", "model" or NULL */
  char          *rule_name;
} ShownMessage;

static void
shown_message_free (gpointer data)
{
  ShownMessage *shown = data;

  g_clear_object (&shown->message);
  g_free (shown->writer);
  g_free (shown->agent_name);
  g_free (shown->answered_by);
  g_free (shown->rule_name);
  g_free (shown);
}

static char *
dup_column (sqlite3_stmt *stmt,
            const char   *name)
{
  for (int i = 0; i < sqlite3_column_count (stmt); i++)
    if (g_str_equal (sqlite3_column_name (stmt, i), name))
      return g_strdup ((const char *) sqlite3_column_text (stmt, i));
  return NULL;
}

static GPtrArray *
list_messages (ConfabDatabase  *db,
               const char      *conversation_id,
               GError         **error)
{
  g_autoptr (GPtrArray) shown = g_ptr_array_new_with_free_func (shown_message_free);
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, SQL_MESSAGES, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ShownMessage *m = g_new0 (ShownMessage, 1);
      g_autofree char *username = dup_column (stmt, "writer_username");

      m->message = CONFAB_MESSAGE (confab_entity_new_from_stmt (CONFAB_TYPE_MESSAGE, stmt));
      m->writer = dup_column (stmt, "writer_name");
      if (m->writer == NULL || *m->writer == '\0')
        {
          g_free (m->writer);
          m->writer = g_steal_pointer (&username);
        }
      m->agent_name = dup_column (stmt, "agent_name");
      m->answered_by = dup_column (stmt, "answered_by");
      m->rule_name = dup_column (stmt, "rule_name");
      g_ptr_array_add (shown, m);
    }
  if (rc != SQLITE_DONE)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)),
                                 error);
      return NULL;
    }
  return g_steal_pointer (&shown);
}

/* The message's source_references as an array (empty when unreadable). */
static JsonNode *
parse_references (ConfabMessage *message)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (json_parser_load_from_data (parser, confab_message_get_source_references (message), -1,
                                  NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_ARRAY (root))
    return json_node_copy (root);
  return json_node_init_array (json_node_alloc (), json_array_new ());
}

static void
add_int_member (JsonBuilder *builder,
                const char  *name,
                gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
print_conversation_json (ConfabConversation *c,
                         const char         *agent_name,
                         GPtrArray          *messages)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  add_string_member (builder, "id", confab_entity_get_id (CONFAB_ENTITY (c)));
  add_string_member (builder, "title", confab_conversation_get_title (c));
  add_string_member (builder, "status", confab_conversation_get_status (c));
  add_string_member (builder, "user_id", confab_conversation_get_user_id (c));
  add_string_member (builder, "agent_id", confab_conversation_get_agent_id (c));
  add_string_member (builder, "agent_name", agent_name);
  add_string_member (builder, "team_id", confab_conversation_get_team_id (c));
  add_string_member (builder, "created_at", confab_entity_get_created_at (CONFAB_ENTITY (c)));
  add_string_member (builder, "updated_at", confab_entity_get_updated_at (CONFAB_ENTITY (c)));
  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < messages->len; i++)
    {
      ShownMessage *shown = g_ptr_array_index (messages, i);
      ConfabMessage *m = shown->message;

      json_builder_begin_object (builder);
      add_string_member (builder, "id", confab_entity_get_id (CONFAB_ENTITY (m)));
      add_int_member (builder, "seq", confab_message_get_seq (m));
      add_string_member (builder, "parent_message_id", confab_message_get_parent_message_id (m));
      add_string_member (builder, "role", confab_message_get_role (m));
      add_string_member (builder, "user_id", confab_message_get_user_id (m));
      add_string_member (builder, "user_name", shown->writer);
      add_string_member (builder, "agent_id", confab_message_get_agent_id (m));
      add_string_member (builder, "agent_name", shown->agent_name);
      add_string_member (builder, "status", confab_message_get_status (m));
      add_string_member (builder, "content", confab_message_get_content (m));
      add_string_member (builder, "error", confab_message_get_error (m));
      add_string_member (builder, "answered_by", shown->answered_by);
      add_string_member (builder, "rule_name", shown->rule_name);
      add_string_member (builder, "model", confab_message_get_model (m));
      add_int_member (builder, "tokens_in", confab_message_get_tokens_in (m));
      add_int_member (builder, "tokens_out", confab_message_get_tokens_out (m));
      add_int_member (builder, "latency_ms", confab_message_get_latency_ms (m));
      json_builder_set_member_name (builder, "source_references");
      json_builder_add_value (builder, parse_references (m));
      add_string_member (builder, "created_at", confab_entity_get_created_at (CONFAB_ENTITY (m)));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  text = json_to_string (root, TRUE);
  g_print ("%s\n", text);
}

/* "#1 assistant · Bakery Concierge · rule “Opening hours”", the text, then
 * the sources it cites and its error, indented. */
static void
print_message (ShownMessage *shown)
{
  ConfabMessage *m = shown->message;
  const char *role = confab_message_get_role (m);
  const char *status = confab_message_get_status (m);
  g_autoptr (GString) head = g_string_new (NULL);
  g_autoptr (JsonNode) references = parse_references (m);
  JsonArray *array = json_node_get_array (references);
  const char *who;

  g_string_append_printf (head, "#%" G_GINT64_FORMAT " %s", confab_message_get_seq (m), role);
  if (g_str_equal (role, "assistant"))
    who = shown->agent_name != NULL ? shown->agent_name
          : confab_message_get_agent_id (m) != NULL ? _("(deleted agent)") : NULL;
  else
    who = shown->writer;
  if (who != NULL)
    g_string_append_printf (head, " · %s", who);

  if (g_strcmp0 (shown->answered_by, "rule") == 0)
    g_string_append_printf (head, " · %s", CONFAB_CLI_STR (shown->rule_name));
  else if (g_strcmp0 (shown->answered_by, "fallback") == 0)
    g_string_append_printf (head, " · %s", _("fallback answer"));
  else if (g_strcmp0 (shown->answered_by, "model") == 0 ||
           (g_str_equal (role, "assistant") && confab_message_get_model (m) != NULL))
    g_string_append_printf (head, " · %s", CONFAB_CLI_STR (confab_message_get_model (m)));
  if (!g_str_equal (status, "complete"))
    g_string_append_printf (head, " · %s", status);

  g_print ("%s\n", head->str);
  if (*confab_message_get_content (m) != '\0')
    g_print ("%s\n", confab_message_get_content (m));
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *ref = json_array_get_object_element (array, i);

      if (ref == NULL)
        continue;
      g_print ("  [%" G_GINT64_FORMAT "] %s #%" G_GINT64_FORMAT "\n",
               json_object_get_int_member_with_default (ref, "n", i + 1),
               json_object_get_string_member_with_default (ref, "filename", "?"),
               json_object_get_int_member_with_default (ref, "ordinal", 0));
    }
  if (confab_message_get_error (m) != NULL)
    g_print (_("  error: %s\n"), confab_message_get_error (m));
}

static int
conversations_show (ConfabCli  *cli,
                    int         argc,
                    char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("ID"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (GPtrArray) messages = NULL;
  const char *agent_id;
  gboolean json = FALSE;
  int exit_status;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON object"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Show a conversation's messages in order: who wrote each "
                                  "(the user, or the agent and the rule or model that "
                                  "answered), its status when not complete, its text and the "
                                  "sources it cites."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse (context, &argc, &argv, &exit_status))
    return exit_status;
  if (argc != 2)
    return confab_cli_usage (context, _("conversations show needs one conversation id"));

  if (!g_file_test (cli->workspace_path, G_FILE_TEST_EXISTS))
    {
      g_printerr (_("confab-cli: The workspace %s does not exist\n"), cli->workspace_path);
      return CONFAB_CLI_ERROR;
    }
  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);

  conversation = confab_repository_get (cli->db, CONFAB_TYPE_CONVERSATION, argv[1], &error);
  if (conversation == NULL)
    return confab_cli_fail (error);
  agent_id = confab_conversation_get_agent_id (conversation);
  if (agent_id != NULL)
    agent = confab_repository_get (cli->db, CONFAB_TYPE_AGENT, agent_id, NULL);
  messages = list_messages (cli->db, argv[1], &error);
  if (messages == NULL)
    return confab_cli_fail (error);

  if (json)
    {
      print_conversation_json (conversation, agent ? confab_agent_get_name (agent) : NULL,
                               messages);
      return CONFAB_CLI_OK;
    }

  g_print ("%s\n", *confab_conversation_get_title (conversation) != '\0'
                     ? confab_conversation_get_title (conversation) : _("(untitled)"));
  g_print (_("id: %s\nstatus: %s\n"), argv[1], confab_conversation_get_status (conversation));
  if (agent != NULL)
    g_print (_("agent: %s\n"), confab_agent_get_name (agent));
  for (guint i = 0; i < messages->len; i++)
    {
      g_print ("\n");
      print_message (g_ptr_array_index (messages, i));
    }
  return CONFAB_CLI_OK;
}

int
confab_cli_conversations (ConfabCli  *cli,
                          int         argc,
                          char      **argv)
{
  static const char * const names[] = { "list", "show", NULL };
  static const ConfabCliCommand commands[] = { conversations_list, conversations_show };

  return confab_cli_dispatch (cli, "conversations", names, commands,
                              _("Commands:\n"
                                "  list   List conversations, newest first\n"
                                "  show   Show a conversation's messages"),
                              argc, argv);
}
