#pragma once

#include <glib.h>

#include "confab-core.h"

G_BEGIN_DECLS

/* Exit codes of confab-cli. */
#define CONFAB_CLI_OK      0
#define CONFAB_CLI_ERROR   1 /* the command ran and failed */
#define CONFAB_CLI_USAGE   2 /* the command line is wrong */

typedef struct
{
  char           *workspace_path; /* from --workspace, or the default */
  ConfabDatabase *db;             /* opened on first use */
} ConfabCli;

typedef int (*ConfabCliCommand) (ConfabCli  *cli,
                                 int         argc,
                                 char      **argv);

char           *confab_cli_default_workspace (void);
ConfabDatabase *confab_cli_open              (ConfabCli   *cli,
                                              GError     **error);
int             confab_cli_fail              (GError      *error);
int             confab_cli_usage             (GOptionContext *context,
                                              const char     *message);
gboolean        confab_cli_parse             (GOptionContext *context,
                                              int            *argc,
                                              char         ***argv,
                                              int            *status);
int             confab_cli_dispatch          (ConfabCli   *cli,
                                              const char  *group,
                                              const char  *const *names,
                                              const ConfabCliCommand *commands,
                                              const char  *summary,
                                              int          argc,
                                              char       **argv);
gboolean        confab_cli_parse_strict      (GOptionContext *context,
                                              int            *argc,
                                              char         ***argv,
                                              int            *status);
ConfabProvider *confab_cli_find_provider     (ConfabCli      *cli,
                                              const char     *id_or_name,
                                              GError        **error);
void            confab_cli_print_row         (const char  *first,
                                              ...) G_GNUC_NULL_TERMINATED;

/* Subcommands, one file each. argv[0] is the subcommand's name. */
int confab_cli_init           (ConfabCli *cli, int argc, char **argv);
int confab_cli_users          (ConfabCli *cli, int argc, char **argv);
int confab_cli_agents         (ConfabCli *cli, int argc, char **argv);
int confab_cli_conversations  (ConfabCli *cli, int argc, char **argv);
int confab_cli_export         (ConfabCli *cli, int argc, char **argv);
int confab_cli_backup         (ConfabCli *cli, int argc, char **argv);
int confab_cli_restore        (ConfabCli *cli, int argc, char **argv);
int confab_cli_import         (ConfabCli *cli, int argc, char **argv);
int confab_cli_providers      (ConfabCli *cli, int argc, char **argv);
int confab_cli_ask            (ConfabCli *cli, int argc, char **argv);
int confab_cli_chat           (ConfabCli *cli, int argc, char **argv);
int confab_cli_kb             (ConfabCli *cli, int argc, char **argv);
int confab_cli_prompts        (ConfabCli *cli, int argc, char **argv);
int confab_cli_escalations    (ConfabCli *cli, int argc, char **argv);
int confab_cli_providers_test   (ConfabCli *cli, int argc, char **argv);
int confab_cli_providers_models (ConfabCli *cli, int argc, char **argv);

#define CONFAB_CLI_STR(s) ((s) != NULL ? (s) : "")

G_END_DECLS
