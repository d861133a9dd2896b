#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-cli-common.h"

int
confab_cli_escalations (ConfabCli  *cli,
               int         argc,
               char      **argv)
{
  g_printerr ("confab-cli: %s\n", _("this command is not available yet"));
  return CONFAB_CLI_USAGE;
}
