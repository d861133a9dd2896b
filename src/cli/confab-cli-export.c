#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <gio/gunixoutputstream.h>

#include "confab-cli-common.h"

int
confab_cli_export (ConfabCli  *cli,
                   int         argc,
                   char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *output = NULL;
  int status;
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Write to FILE instead of standard output"), N_("FILE") },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Write every row of the workspace as JSON. API keys live in the "
                                  "keyring, never in the workspace, so an export never holds one."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return confab_cli_usage (context, _("unexpected argument; use --output FILE"));
  if (!g_file_test (cli->workspace_path, G_FILE_TEST_EXISTS))
    {
      g_printerr (_("confab-cli: the workspace %s does not exist\n"), cli->workspace_path);
      return CONFAB_CLI_ERROR;
    }
  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);

  if (output != NULL && g_strcmp0 (output, "-") != 0)
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (output);

      if (!confab_export_to_file (cli->db, file, NULL, &error))
        return confab_cli_fail (error);
    }
  else
    {
      g_autoptr (GOutputStream) out = g_unix_output_stream_new (1, FALSE);

      if (!confab_export_write (cli->db, out, NULL, &error))
        return confab_cli_fail (error);
    }
  return CONFAB_CLI_OK;
}

int
confab_cli_import (ConfabCli  *cli,
                   int         argc,
                   char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("FILE"));
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = NULL;
  guint64 n_rows = 0;
  int status;

  g_option_context_set_summary (context,
                                _("Read a JSON export (from “confab-cli export”) into a new or empty "
                                  "workspace, which is created if needed."));
  if (!confab_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("import needs exactly one FILE"));

  file = g_file_new_for_commandline_arg (argv[1]);
  if (!g_file_query_exists (file, NULL))
    {
      g_printerr (_("confab-cli: %s does not exist\n"), argv[1]);
      return CONFAB_CLI_ERROR;
    }
  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);
  if (!confab_import_from_file (cli->db, file, NULL, &n_rows, NULL, &error))
    return confab_cli_fail (error);

  g_print (ngettext ("Imported %llu row into %s\n",
                     "Imported %llu rows into %s\n", n_rows),
           (unsigned long long) n_rows, cli->workspace_path);
  return CONFAB_CLI_OK;
}
