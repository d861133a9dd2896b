#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "confab-cli-common.h"
#include "confab-escalation-desk.h"

/* The queue as operators read it: open escalations first, oldest first (the
 * order of ConfabEscalation lists), with the conversation's title and the
 * supporter's username; a filter that is not given is NULL. */
#define SQL_LIST                                                                 \
  "SELECT e.id, e.status, c.title, e.reason, u.username, e.conversation_id, "    \
  "e.supporter_id, e.created_at, e.updated_at, e.resolved_at "                   \
  "FROM escalations e "                                                          \
  "JOIN conversations c ON c.id = e.conversation_id "                            \
  "LEFT JOIN users u ON u.id = e.supporter_id "                                  \
  "WHERE (?1 IS NULL OR e.status = ?1) "                                         \
  "ORDER BY e.status = 'resolved', e.created_at, e.id"

enum {
  COL_ID,
  COL_STATUS,
  COL_TITLE,
  COL_REASON,
  COL_SUPPORTER,
  COL_CONVERSATION_ID,
  COL_SUPPORTER_ID,
  COL_CREATED_AT,
  COL_UPDATED_AT,
  COL_RESOLVED_AT,
};

/* Escalations live in an existing workspace: these commands never create one. */
static ConfabDatabase *
open_existing (ConfabCli  *cli,
               GError    **error)
{
  if (cli->db == NULL && !g_file_test (cli->workspace_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                   _("The workspace %s does not exist"), cli->workspace_path);
      return NULL;
    }
  return confab_cli_open (cli, error);
}

/* A user by id or by (unique) username. */
static ConfabUser *
lookup_user (ConfabDatabase  *db,
             const char      *id_or_username,
             GError         **error)
{
  g_autoptr (GError) local_error = NULL;
  ConfabUser *user;

  user = confab_repository_get (db, CONFAB_TYPE_USER, id_or_username, &local_error);
  if (user != NULL)
    return user;
  if (!g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_clear_error (&local_error);

  user = confab_repository_find (db, CONFAB_TYPE_USER, "username", id_or_username, &local_error);
  if (user != NULL)
    return user;
  if (!g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
               _("No user with the id or username “%s” exists in this workspace"),
               id_or_username);
  return NULL;
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

static const char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return (const char *) sqlite3_column_text (stmt, column);
}

static int
escalations_list (ConfabCli  *cli,
                  int         argc,
                  char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autofree char *status = NULL;
  gboolean json = FALSE;
  int exit_status;
  int rc;
  GOptionEntry entries[] = {
    { "status", 's', 0, G_OPTION_ARG_STRING, &status,
      N_("Only escalations with this status (pending, assigned, resolved)"), N_("STATUS") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON array"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("List the conversations handed to a person, open ones first: "
                                  "id, status, conversation title, reason, supporter."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse (context, &argc, &argv, &exit_status))
    return exit_status;
  if (argc > 1)
    return confab_cli_usage (context, _("escalations list takes no arguments; use the options"));
  if (status != NULL &&
      !confab_check_enum (_("status"), status, confab_escalation_statuses, &error))
    return confab_cli_usage (context, error->message);

  if (open_existing (cli, &error) == NULL)
    return confab_cli_fail (error);
  stmt = confab_database_prepare (cli->db, SQL_LIST, &error);
  if (stmt == NULL)
    return confab_cli_fail (error);
  sqlite3_bind_text (stmt, 1, status, -1, SQLITE_TRANSIENT);

  if (json)
    {
      builder = json_builder_new ();
      json_builder_begin_array (builder);
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      if (json)
        {
          json_builder_begin_object (builder);
          add_string_member (builder, "id", column_text (stmt, COL_ID));
          add_string_member (builder, "conversation_id", column_text (stmt, COL_CONVERSATION_ID));
          add_string_member (builder, "conversation_title", column_text (stmt, COL_TITLE));
          add_string_member (builder, "status", column_text (stmt, COL_STATUS));
          add_string_member (builder, "reason", column_text (stmt, COL_REASON));
          add_string_member (builder, "supporter_id", column_text (stmt, COL_SUPPORTER_ID));
          add_string_member (builder, "supporter", column_text (stmt, COL_SUPPORTER));
          add_string_member (builder, "created_at", column_text (stmt, COL_CREATED_AT));
          add_string_member (builder, "updated_at", column_text (stmt, COL_UPDATED_AT));
          add_string_member (builder, "resolved_at", column_text (stmt, COL_RESOLVED_AT));
          json_builder_end_object (builder);
        }
      else
        confab_cli_print_row (column_text (stmt, COL_ID),
                              column_text (stmt, COL_STATUS),
                              CONFAB_CLI_STR (column_text (stmt, COL_TITLE)),
                              CONFAB_CLI_STR (column_text (stmt, COL_REASON)),
                              CONFAB_CLI_STR (column_text (stmt, COL_SUPPORTER)),
                              NULL);
    }
  if (rc != SQLITE_DONE)
    {
      confab_database_set_error (cli->db,
                                 sqlite3_extended_errcode (confab_database_get_handle (cli->db)),
                                 &error);
      return confab_cli_fail (error);
    }

  if (json)
    {
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      text = json_to_string (root, TRUE);
      g_print ("%s\n", text);
    }
  return CONFAB_CLI_OK;
}

static int
escalations_take (ConfabCli  *cli,
                  int         argc,
                  char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("ID"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (ConfabUser) operator = NULL;
  g_autofree char *operator_arg = NULL;
  int status;
  GOptionEntry entries[] = {
    { "operator", 'o', 0, G_OPTION_ARG_STRING, &operator_arg,
      N_("The operator or admin who takes it, by id or username (required)"), N_("USER") },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Assign an escalation, given by its id or its conversation’s id, "
                                  "to an operator or an admin. The conversation stays with that "
                                  "person until the escalation is resolved."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("escalations take needs one escalation id"));
  if (operator_arg == NULL)
    return confab_cli_usage (context, _("--operator is required"));

  /* The escalation is named first, then the operator: errors in that order. */
  if (open_existing (cli, &error) == NULL)
    return confab_cli_fail (error);
  escalation = confab_escalation_desk_lookup (cli->db, argv[1], &error);
  if (escalation == NULL)
    return confab_cli_fail (error);
  operator = lookup_user (cli->db, operator_arg, &error);
  if (operator == NULL)
    return confab_cli_fail (error);
  g_clear_object (&escalation);
  escalation = confab_escalation_desk_take (cli->db, argv[1],
                                            confab_entity_get_id (CONFAB_ENTITY (operator)),
                                            &error);
  if (escalation == NULL)
    return confab_cli_fail (error);
  g_print (_("Escalation %s assigned to %s\n"),
           confab_entity_get_id (CONFAB_ENTITY (escalation)),
           confab_user_get_username (operator));
  return CONFAB_CLI_OK;
}

static int
escalations_reply (ConfabCli  *cli,
                   int         argc,
                   char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("ID MESSAGE…"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (ConfabUser) operator = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  g_autofree char *operator_arg = NULL;
  g_autofree char *content = NULL;
  int status;
  GOptionEntry entries[] = {
    { "operator", 'o', 0, G_OPTION_ARG_STRING, &operator_arg,
      N_("The operator or admin who writes, by id or username (required)"), N_("USER") },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Write to the customer as a person (a “supporter” message) in an "
                                  "escalated conversation. A pending escalation is taken by the "
                                  "operator first; one assigned to somebody else must be taken "
                                  "with “escalations take” before replying. Put “--” before a "
                                  "message that starts with “-”."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc < 3)
    return confab_cli_usage (context, _("escalations reply needs an escalation id and a message"));
  if (operator_arg == NULL)
    return confab_cli_usage (context, _("--operator is required"));
  content = g_strjoinv (" ", argv + 2);

  if (open_existing (cli, &error) == NULL)
    return confab_cli_fail (error);
  escalation = confab_escalation_desk_lookup (cli->db, argv[1], &error);
  if (escalation == NULL)
    return confab_cli_fail (error);
  operator = lookup_user (cli->db, operator_arg, &error);
  if (operator == NULL)
    return confab_cli_fail (error);
  message = confab_escalation_desk_reply (cli->db, argv[1],
                                          confab_entity_get_id (CONFAB_ENTITY (operator)), content,
                                          &error);
  if (message == NULL)
    return confab_cli_fail (error);

  g_print ("%s\n", confab_entity_get_id (CONFAB_ENTITY (message)));
  return CONFAB_CLI_OK;
}

static int
escalations_resolve (ConfabCli  *cli,
                     int         argc,
                     char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("ID"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabEscalation) escalation = NULL;
  gboolean reopened = FALSE;
  int status;

  g_option_context_set_summary (context,
                                _("Mark an escalation, given by its id or its conversation’s id, "
                                  "as resolved: the conversation becomes active again and its "
                                  "agent answers the next message."));
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("escalations resolve needs one escalation id"));

  if (open_existing (cli, &error) == NULL)
    return confab_cli_fail (error);
  escalation = confab_escalation_desk_resolve (cli->db, argv[1], NULL, NULL, &reopened, &error);
  if (escalation == NULL)
    return confab_cli_fail (error);

  if (reopened)
    g_print (_("Escalation %s resolved; the conversation %s is active again\n"),
             confab_entity_get_id (CONFAB_ENTITY (escalation)),
             confab_escalation_get_conversation_id (escalation));
  else
    g_print (_("Escalation %s resolved\n"), confab_entity_get_id (CONFAB_ENTITY (escalation)));
  return CONFAB_CLI_OK;
}

int
confab_cli_escalations (ConfabCli  *cli,
                        int         argc,
                        char      **argv)
{
  static const char * const names[] = { "list", "take", "reply", "resolve", NULL };
  static const ConfabCliCommand commands[] = {
    escalations_list, escalations_take, escalations_reply, escalations_resolve
  };

  return confab_cli_dispatch (cli, "escalations", names, commands,
                              _("Commands:\n"
                                "  list      List escalations, open ones first\n"
                                "  take      Assign an escalation to an operator\n"
                                "  reply     Write to the customer as a supporter\n"
                                "  resolve   Hand the conversation back to its agent"),
                              argc, argv);
}
