#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "confab-cli-common.h"

static const struct
{
  const char       *name;
  ConfabCliCommand  run;
  const char       *summary;
} commands[] = {
  { "init", confab_cli_init, N_("Create a workspace, or upgrade an existing one") },
  { "users", confab_cli_users, N_("List and add the people of the workspace") },
  { "agents", confab_cli_agents, N_("List, add and show chatbot agents") },
  { "conversations", confab_cli_conversations, N_("List conversations") },
  { "chat", confab_cli_chat, N_("Send a message to an agent and print its reply") },
  { "prompts", confab_cli_prompts, N_("Keep versioned prompts: labels, diffs, test runs, files for git") },
  { "kb", confab_cli_kb, N_("Create, fill, list and search knowledge bases") },
  { "escalations", confab_cli_escalations, N_("List, take, answer and resolve conversations handed to a person") },
  { "providers", confab_cli_providers, N_("Add, list, test and remove LLM providers and their keys") },
  { "ask", confab_cli_ask, N_("Send one prompt to a provider and stream the reply") },
  { "export", confab_cli_export, N_("Write the whole workspace as JSON (never a secret)") },
  { "backup", confab_cli_backup, N_("Copy the workspace into a file, safely while it is in use") },
  { "restore", confab_cli_restore, N_("Replace the workspace with a backup, keeping a copy") },
  { "import", confab_cli_import, N_("Read a JSON export into an empty workspace") },
};

static void
print_help (void)
{
  g_autofree char *path = confab_cli_default_workspace ();

  g_print (_("Usage: confab-cli [--workspace FILE] COMMAND [OPTION…]\n\n"
             "Manage a Confab workspace from the command line.\n\n"
             "Options:\n"
             "  -w, --workspace FILE   The workspace to use (default: %s)\n"
             "  --version              Print the version and exit\n"
             "  -h, --help             Show this help\n\n"
             "Commands:\n"),
           path);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_print ("  %-15s %s\n", commands[i].name, _(commands[i].summary));
  g_print (_("\nRun “confab-cli COMMAND --help” for the options of a command.\n"));
}

int
main (int    argc,
      char **argv)
{
  ConfabCli cli = { 0 };
  int first = 1;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  /* Output is data (ids, JSON, replies): log messages never go to stdout. */
  g_log_writer_default_set_use_stderr (TRUE);

  /* Global options come before the command. */
  while (first < argc && argv[first][0] == '-')
    {
      const char *arg = argv[first];

      if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0)
        {
          print_help ();
          g_free (cli.workspace_path);
          return CONFAB_CLI_OK;
        }
      else if (strcmp (arg, "--version") == 0)
        {
          g_print ("confab-cli %s\n", PACKAGE_VERSION);
          g_free (cli.workspace_path);
          return CONFAB_CLI_OK;
        }
      else if ((strcmp (arg, "--workspace") == 0 || strcmp (arg, "-w") == 0) && first + 1 < argc)
        {
          g_free (cli.workspace_path);
          cli.workspace_path = g_strdup (argv[first + 1]);
          first += 2;
        }
      else if (g_str_has_prefix (arg, "--workspace="))
        {
          g_free (cli.workspace_path);
          cli.workspace_path = g_strdup (arg + strlen ("--workspace="));
          first++;
        }
      else
        {
          g_printerr (_("confab-cli: unknown option “%s”\n"), arg);
          g_printerr (_("Run “confab-cli --help” to see the commands and options.\n"));
          g_free (cli.workspace_path);
          return CONFAB_CLI_USAGE;
        }
    }

  if (first >= argc)
    {
      print_help ();
      g_free (cli.workspace_path);
      return CONFAB_CLI_USAGE;
    }

  if (cli.workspace_path == NULL)
    cli.workspace_path = confab_cli_default_workspace ();

  status = -1;
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (strcmp (argv[first], commands[i].name) == 0)
      {
        g_autofree char *prgname = g_strdup_printf ("confab-cli %s", commands[i].name);

        g_set_prgname (prgname);
        status = commands[i].run (&cli, argc - first, argv + first);
        break;
      }
  if (status == -1)
    {
      g_printerr (_("confab-cli: unknown command “%s”\n"), argv[first]);
      g_printerr (_("Run “confab-cli --help” to see the commands and options.\n"));
      status = CONFAB_CLI_USAGE;
    }

  g_clear_object (&cli.db);
  g_free (cli.workspace_path);
  return status;
}
