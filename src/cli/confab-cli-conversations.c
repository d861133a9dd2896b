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

int
confab_cli_conversations (ConfabCli  *cli,
                          int         argc,
                          char      **argv)
{
  static const char * const names[] = { "list", NULL };
  static const ConfabCliCommand commands[] = { conversations_list };

  return confab_cli_dispatch (cli, "conversations", names, commands,
                              _("Commands:\n  list   List conversations, newest first"),
                              argc, argv);
}
