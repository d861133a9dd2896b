#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-cli-common.h"

int
confab_cli_init (ConfabCli  *cli,
                 int         argc,
                 char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  gboolean existed;
  int status;

  g_option_context_set_summary (context,
                                _("Create the workspace file, or upgrade an existing workspace "
                                  "to this version of Confab."));
  if (!confab_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return confab_cli_usage (context, _("init takes no arguments"));

  existed = g_file_test (cli->workspace_path, G_FILE_TEST_EXISTS);
  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);

  if (existed)
    g_print (_("Workspace %s is ready (schema version %u)\n"),
             cli->workspace_path, confab_database_get_schema_version (cli->db));
  else
    g_print (_("Created the workspace %s (schema version %u)\n"),
             cli->workspace_path, confab_database_get_schema_version (cli->db));
  return CONFAB_CLI_OK;
}
