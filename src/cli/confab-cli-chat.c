#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "confab-agent-runtime.h"
#include "confab-cli-common.h"

/* confab-cli chat: one message to an agent or a team, the reply (a team's
 * replies, one after the other) streamed to standard output. Standard error
 * says who spoke (the agent, the rule or the model) after each reply, the
 * sources it cites and, for a new conversation, its id, so a script can go
 * on with --conversation. */

/* Exit status after Ctrl+C, as a shell reports a command killed by SIGINT. */
#define EXIT_INTERRUPTED 130

/* The newest open conversation of a user with an agent (not a team's). */
#define SQL_LATEST_CONVERSATION                                                  \
  "SELECT id FROM conversations WHERE user_id = ? AND agent_id = ? "             \
  "AND team_id IS NULL AND status IN ('active', 'escalated') "                   \
  "ORDER BY updated_at DESC, id LIMIT 1"

/* The newest open conversation of a user with a team. */
#define SQL_LATEST_TEAM_CONVERSATION                                             \
  "SELECT id FROM conversations WHERE user_id = ? AND team_id = ? "              \
  "AND agent_id IS NULL AND status IN ('active', 'escalated') "                  \
  "ORDER BY updated_at DESC, id LIMIT 1"

#define SQL_FIRST_ADMIN                                                          \
  "SELECT id FROM users WHERE role = 'admin' AND is_active = 1 "                 \
  "ORDER BY created_at, id LIMIT 1"

typedef struct
{
  ConfabDatabase *db;
  gboolean        team;             /* several replies: who spoke after each */
  GCancellable   *cancellable;
  ConfabMessage  *message;
  GError         *error;
  gboolean        done;
  gboolean        interrupted;
  gboolean        printed;
  gboolean        ends_in_newline;
  int             write_errno;
} ChatCall;

static void
write_out (ChatCall   *call,
           const char *text)
{
  gsize len = strlen (text);

  if (call->write_errno != 0 || len == 0)
    return;
  /* stdio, flushed at once, so a pipe sees the reply as it streams. */
  if (fwrite (text, 1, len, stdout) != len || fflush (stdout) != 0)
    {
      call->write_errno = errno != 0 ? errno : EIO;
      g_cancellable_cancel (call->cancellable);
      return;
    }
  call->printed = TRUE;
  call->ends_in_newline = text[len - 1] == '\n';
}

static void print_reply_done (ChatCall   *call,
                              const char *message_id);

static void
on_event (ConfabRuntimeEvent  event,
          const char         *text,
          gpointer            user_data)
{
  ChatCall *call = user_data;

  switch (event)
    {
    case CONFAB_RUNTIME_EVENT_DELTA:
      write_out (call, text);
      break;
    case CONFAB_RUNTIME_EVENT_REPLACE:
      /* What was printed cannot be taken back: the answer that replaces it
       * starts on a line of its own. */
      if (call->printed && !call->ends_in_newline)
        write_out (call, "\n");
      write_out (call, text);
      break;
    case CONFAB_RUNTIME_EVENT_DONE:
      if (call->team)
        print_reply_done (call, text);
      break;
    case CONFAB_RUNTIME_EVENT_STARTED:
    default:
      break;
    }
}

static void
on_reply_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  ChatCall *call = user_data;

  call->message = confab_agent_runtime_reply_finish (CONFAB_AGENT_RUNTIME (source), result,
                                                     &call->error);
  call->done = TRUE;
}

static gboolean
on_sigint (gpointer user_data)
{
  ChatCall *call = user_data;

  call->interrupted = TRUE;
  g_cancellable_cancel (call->cancellable);
  /* The watch goes away, so a second Ctrl+C stops the program at once. */
  return G_SOURCE_REMOVE;
}

/* Lookups */

static char *
query_text (ConfabDatabase  *db,
            const char      *sql,
            const char      *arg1,
            const char      *arg2,
            GError         **error)
{
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, sql, error);
  int rc;

  if (stmt == NULL)
    return NULL;
  if (arg1 != NULL)
    sqlite3_bind_text (stmt, 1, arg1, -1, SQLITE_TRANSIENT);
  if (arg2 != NULL)
    sqlite3_bind_text (stmt, 2, arg2, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)),
                               error);
  return NULL;
}

/* An agent or a team (by id or name) or a user (by id or username); NULL
 * with error. */
static gpointer
find_entity (ConfabDatabase  *db,
             GType            type,
             const char      *value,
             GError         **error)
{
  gboolean is_agent = type == CONFAB_TYPE_AGENT;
  gboolean is_team = type == CONFAB_TYPE_TEAM;
  const char *column = is_agent || is_team ? "name" : "username";
  g_autoptr (GPtrArray) matches = NULL;
  g_autoptr (GError) local_error = NULL;
  gpointer entity;

  entity = confab_repository_get (db, type, value, &local_error);
  if (entity != NULL)
    return entity;
  if (!g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  matches = confab_repository_list (db, type, column, value, error);
  if (matches == NULL)
    return NULL;
  if (matches->len == 1)
    return g_object_ref (g_ptr_array_index (matches, 0));
  if (matches->len == 0 && is_team)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _("No team with the id or name “%s” exists in this workspace"), value);
  else if (matches->len > 0 && is_team)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                 _("%u teams are called “%s”: name the team by its id"), matches->len, value);
  else if (matches->len == 0 && is_agent)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _("No agent with the id or name “%s” exists in this workspace"), value);
  else if (matches->len == 0)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _("No user with the id or username “%s” exists in this workspace"), value);
  else
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                 _("%u agents are called “%s”: name the agent by its id"), matches->len, value);
  return NULL;
}

static char *
dup_agent_name (ConfabDatabase *db,
                const char     *agent_id)
{
  g_autoptr (ConfabAgent) agent = NULL;

  if (agent_id == NULL)
    return g_strdup (_("(deleted agent)"));
  agent = confab_repository_get (db, CONFAB_TYPE_AGENT, agent_id, NULL);
  if (agent == NULL)
    return g_strdup (_("(deleted agent)"));
  return g_strdup (confab_agent_get_name (agent));
}

/* After the reply */

/* "— Bakery Concierge (rule “Opening hours”)", "(model X, N tokens)" */
static void
print_speaker (ConfabDatabase *db,
               ConfabMessage  *message)
{
  g_autofree char *name = dup_agent_name (db, confab_message_get_agent_id (message));
  g_autofree char *answered_by = NULL;
  g_autofree char *rule_name = NULL;

  confab_agent_runtime_lookup_answer (db, confab_entity_get_id (CONFAB_ENTITY (message)),
                                      &answered_by, &rule_name, NULL);

  if (g_strcmp0 (answered_by, "rule") == 0)
    g_printerr (_("— %s (rule “%s”)\n"), name, CONFAB_CLI_STR (rule_name));
  else if (g_strcmp0 (answered_by, "fallback") == 0)
    g_printerr (_("— %s (fallback answer)\n"), name);
  else
    {
      g_autofree char *tokens =
        g_strdup_printf ("%d", confab_message_get_tokens_in (message) +
                               confab_message_get_tokens_out (message));

      /* Translators: the agent, the model, then a number of tokens. */
      g_printerr (_("— %s (model %s, %s tokens)\n"), name,
                  CONFAB_CLI_STR (confab_message_get_model (message)), tokens);
    }

  if (confab_message_get_error (message) != NULL)
    g_printerr (_("confab-cli: the model could not answer, so the rules did: %s\n"),
                confab_message_get_error (message));
}

/* "[1] faq.md #2" for each source the reply cites. */
static void
print_citations (ConfabMessage *message)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *array;

  if (!json_parser_load_from_data (parser, confab_message_get_source_references (message), -1,
                                   NULL))
    return;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    return;
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *ref = json_array_get_object_element (array, i);

      if (ref == NULL)
        continue;
      g_printerr ("[%" G_GINT64_FORMAT "] %s #%" G_GINT64_FORMAT "\n",
                  json_object_get_int_member_with_default (ref, "n", i + 1),
                  json_object_get_string_member_with_default (ref, "filename", "?"),
                  json_object_get_int_member_with_default (ref, "ordinal", 0));
    }
}

/* A team's reply is over: it ends its line, then who spoke and what it
 * cites (a failed reply is reported at the end, with the run's error). */
static void
print_reply_done (ChatCall   *call,
                  const char *message_id)
{
  g_autoptr (ConfabMessage) message = NULL;

  message = confab_repository_get (call->db, CONFAB_TYPE_MESSAGE, message_id, NULL);
  if (message == NULL || g_strcmp0 (confab_message_get_status (message), "complete") != 0)
    return;
  if (call->printed && !call->ends_in_newline)
    write_out (call, "\n");
  print_speaker (call->db, message);
  print_citations (message);
}

static char *
dup_conversation_status (ConfabDatabase *db,
                         const char     *conversation_id)
{
  g_autoptr (ConfabConversation) conversation =
    confab_repository_get (db, CONFAB_TYPE_CONVERSATION, conversation_id, NULL);

  return conversation != NULL ? g_strdup (confab_conversation_get_status (conversation)) : NULL;
}

int
confab_cli_chat (ConfabCli  *cli,
                 int         argc,
                 char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("MESSAGE…"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (ConfabTeam) team = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabAgentRuntime) runtime = NULL;
  g_autoptr (GCancellable) cancellable = NULL;
  g_autofree char *agent_arg = NULL;
  g_autofree char *team_arg = NULL;
  g_autofree char *user_arg = NULL;
  g_autofree char *conversation_arg = NULL;
  g_autofree char *text = NULL;
  g_autofree char *status_after = NULL;
  g_autofree char *conversation_id = NULL;
  gboolean new_conversation = FALSE;
  gboolean created = FALSE;
  ChatCall call = { 0 };
  guint sigint_id;
  int status;
  GOptionEntry entries[] = {
    { "agent", 'a', 0, G_OPTION_ARG_STRING, &agent_arg,
      N_("The agent to talk to, by id or name"), N_("ID|NAME") },
    { "team", 't', 0, G_OPTION_ARG_STRING, &team_arg,
      N_("The team to talk to, by id or name"), N_("ID|NAME") },
    { "user", 'u', 0, G_OPTION_ARG_STRING, &user_arg,
      N_("Who writes, by id or username (default: the conversation's user, else the first admin)"),
      N_("ID|USERNAME") },
    { "conversation", 'c', 0, G_OPTION_ARG_STRING, &conversation_arg,
      N_("Go on with this conversation"), N_("ID") },
    { "new", 'n', 0, G_OPTION_ARG_NONE, &new_conversation,
      N_("Start a new conversation instead of going on with the latest open one"), NULL },
    { NULL }
  };

  g_log_writer_default_set_use_stderr (TRUE);

  g_option_context_set_summary (context,
                                _("Send a message to an agent or a team and print the reply on "
                                  "standard output as it arrives; who answered and the sources "
                                  "it cites go to standard error. Without --conversation or "
                                  "--new, the latest open conversation of the user with the "
                                  "agent or team goes on; "
                                  "a new conversation's id is printed on standard error as "
                                  "“conversation: ID”. Ctrl+C stops the reply."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;

  if (agent_arg != NULL && team_arg != NULL)
    return confab_cli_usage (context, _("--agent and --team cannot go together"));
  if (agent_arg == NULL && team_arg == NULL && conversation_arg == NULL)
    return confab_cli_usage (context, _("chat needs --agent, --team or --conversation"));
  if (conversation_arg != NULL && new_conversation)
    return confab_cli_usage (context, _("--new and --conversation cannot go together"));
  if (argc < 2)
    return confab_cli_usage (context, _("chat needs a message"));

  text = g_strjoinv (" ", argv + 1);
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_printerr ("confab-cli: %s\n", _("The message is not valid UTF-8 text"));
      return CONFAB_CLI_ERROR;
    }
  g_strstrip (text);
  if (*text == '\0')
    return confab_cli_usage (context, _("the message is empty"));

  /* Chatting never creates a workspace by accident. */
  if (!g_file_test (cli->workspace_path, G_FILE_TEST_EXISTS))
    {
      g_printerr (_("confab-cli: The workspace %s does not exist\n"), cli->workspace_path);
      return CONFAB_CLI_ERROR;
    }
  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);

  if (conversation_arg != NULL)
    {
      conversation = confab_repository_get (cli->db, CONFAB_TYPE_CONVERSATION, conversation_arg,
                                            &error);
      if (conversation == NULL)
        return confab_cli_fail (error);
    }

  if (agent_arg != NULL)
    {
      agent = find_entity (cli->db, CONFAB_TYPE_AGENT, agent_arg, &error);
      if (agent == NULL)
        return confab_cli_fail (error);
      if (conversation != NULL &&
          g_strcmp0 (confab_conversation_get_agent_id (conversation),
                     confab_entity_get_id (CONFAB_ENTITY (agent))) != 0)
        {
          g_autofree char *message =
            g_strdup_printf (_("the conversation %s is not with the agent “%s”"),
                             conversation_arg, confab_agent_get_name (agent));
          return confab_cli_usage (context, message);
        }
    }

  if (team_arg != NULL)
    {
      team = find_entity (cli->db, CONFAB_TYPE_TEAM, team_arg, &error);
      if (team == NULL)
        return confab_cli_fail (error);
      if (conversation != NULL &&
          g_strcmp0 (confab_conversation_get_team_id (conversation),
                     confab_entity_get_id (CONFAB_ENTITY (team))) != 0)
        {
          g_autofree char *message =
            g_strdup_printf (_("the conversation %s is not with the team “%s”"),
                             conversation_arg, confab_team_get_name (team));
          return confab_cli_usage (context, message);
        }
    }

  if (user_arg != NULL)
    {
      user = find_entity (cli->db, CONFAB_TYPE_USER, user_arg, &error);
      if (user == NULL)
        return confab_cli_fail (error);
    }
  else
    {
      g_autofree char *user_id = NULL;

      if (conversation != NULL)
        user_id = g_strdup (confab_conversation_get_user_id (conversation));
      else
        {
          user_id = query_text (cli->db, SQL_FIRST_ADMIN, NULL, NULL, &error);
          if (user_id == NULL && error == NULL)
            {
              g_printerr ("confab-cli: %s\n",
                          _("No --user given, and the workspace has no admin to chat as: "
                            "pass --user, or add one with “confab-cli users add”"));
              return CONFAB_CLI_ERROR;
            }
          if (user_id == NULL)
            return confab_cli_fail (error);
        }
      user = confab_repository_get (cli->db, CONFAB_TYPE_USER, user_id, &error);
      if (user == NULL)
        return confab_cli_fail (error);
    }

  runtime = confab_agent_runtime_new (cli->db, NULL);

  if (conversation != NULL)
    conversation_id = g_strdup (confab_entity_get_id (CONFAB_ENTITY (conversation)));
  else
    {
      const char *user_id = confab_entity_get_id (CONFAB_ENTITY (user));
      const char *with_id = team != NULL ? confab_entity_get_id (CONFAB_ENTITY (team))
                                         : confab_entity_get_id (CONFAB_ENTITY (agent));

      if (!new_conversation)
        {
          conversation_id = query_text (cli->db,
                                        team != NULL ? SQL_LATEST_TEAM_CONVERSATION
                                                     : SQL_LATEST_CONVERSATION,
                                        user_id, with_id, &error);
          if (error != NULL)
            return confab_cli_fail (error);
        }
      if (conversation_id == NULL)
        {
          if (team != NULL)
            conversation = confab_agent_runtime_start_team_conversation (runtime, user_id,
                                                                         with_id, &error);
          else
            conversation = confab_agent_runtime_start_conversation (runtime, user_id, with_id,
                                                                    &error);
          if (conversation == NULL)
            return confab_cli_fail (error);
          conversation_id = g_strdup (confab_entity_get_id (CONFAB_ENTITY (conversation)));
          created = TRUE;
        }
    }
  if (created)
    g_printerr (_("conversation: %s\n"), conversation_id);

  cancellable = g_cancellable_new ();
  call.cancellable = cancellable;
  call.db = cli->db;
  /* A team's conversation, named by --team or by --conversation. */
  call.team = team != NULL ||
              (conversation != NULL && confab_conversation_get_team_id (conversation) != NULL);
  sigint_id = g_unix_signal_add (SIGINT, on_sigint, &call);

  confab_agent_runtime_reply_async (runtime, conversation_id,
                                    confab_entity_get_id (CONFAB_ENTITY (user)), text,
                                    on_event, &call, cancellable, on_reply_done, &call);
  while (!call.done)
    g_main_context_iteration (NULL, TRUE);

  if (!call.interrupted)
    g_source_remove (sigint_id);

  if (call.printed && !call.ends_in_newline && call.write_errno == 0)
    {
      fputc ('\n', stdout);
      fflush (stdout);
    }

  if (call.write_errno != 0)
    {
      g_clear_error (&call.error);
      g_clear_object (&call.message);
      g_printerr (_("confab-cli: could not write the reply: %s\n"), g_strerror (call.write_errno));
      return CONFAB_CLI_ERROR;
    }

  if (call.error != NULL)
    {
      g_autoptr (GError) call_error = g_steal_pointer (&call.error);

      if (call.interrupted && g_error_matches (call_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_printerr ("confab-cli: %s\n", _("cancelled"));
          return EXIT_INTERRUPTED;
        }
      return confab_cli_fail (call_error);
    }

  status_after = dup_conversation_status (cli->db, conversation_id);
  if (call.message == NULL)
    {
      if (g_strcmp0 (status_after, "escalated") == 0)
        g_printerr ("confab-cli: %s\n",
                    _("a person holds this conversation, so the agent does not answer; "
                      "the message was saved"));
      else
        g_printerr ("confab-cli: %s\n", _("the agent did not answer; the message was saved"));
      return CONFAB_CLI_OK;
    }

  /* A team run said who spoke after each reply. */
  if (!call.team)
    {
      print_speaker (cli->db, call.message);
      print_citations (call.message);
    }
  if (g_strcmp0 (status_after, "escalated") == 0)
    g_printerr ("confab-cli: %s\n", _("the conversation was handed to a person"));
  else if (g_strcmp0 (status_after, "ended") == 0)
    g_printerr ("confab-cli: %s\n", _("the agent ended the conversation"));
  g_clear_object (&call.message);
  return CONFAB_CLI_OK;
}
