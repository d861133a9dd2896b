#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-cli-common.h"

int
confab_cli_export (ConfabCli  *cli,
               int         argc,
               char      **argv)
{
  return CONFAB_CLI_USAGE;
}

int
confab_cli_import (ConfabCli  *cli,
                   int         argc,
                   char      **argv)
{
  return CONFAB_CLI_USAGE;
}
