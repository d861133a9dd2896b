#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "confab-cli-common.h"

char *
confab_cli_default_workspace (void)
{
  const char *env = g_getenv ("CONFAB_WORKSPACE");

  if (env != NULL && *env != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "confab", "default.confab", NULL);
}

ConfabDatabase *
confab_cli_open (ConfabCli  *cli,
                 GError    **error)
{
  if (cli->db == NULL)
    {
      g_autofree char *dir = g_path_get_dirname (cli->workspace_path);

      if (g_mkdir_with_parents (dir, 0700) != 0)
        {
          int saved = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       _("Could not create the folder “%s”: %s"), dir, g_strerror (saved));
          return NULL;
        }
      cli->db = confab_database_open (cli->workspace_path, error);
    }
  return cli->db;
}

int
confab_cli_fail (GError *error)
{
  g_printerr ("confab-cli: %s\n", error->message);
  return CONFAB_CLI_ERROR;
}

int
confab_cli_usage (GOptionContext *context,
                  const char     *message)
{
  g_autofree char *help = context ? g_option_context_get_help (context, TRUE, NULL) : NULL;

  g_printerr ("confab-cli: %s\n", message);
  if (help != NULL)
    g_printerr ("\n%s", help);
  return CONFAB_CLI_USAGE;
}

/* Parses a subcommand's options. FALSE means stop and exit with *status. */
gboolean
confab_cli_parse (GOptionContext   *context,
                  int              *argc,
                  char           ***argv,
                  int              *status)
{
  g_autoptr (GError) error = NULL;

  if (!g_option_context_parse (context, argc, argv, &error))
    {
      *status = confab_cli_usage (context, error->message);
      return FALSE;
    }
  return TRUE;
}

int
confab_cli_dispatch (ConfabCli              *cli,
                     const char             *group,
                     const char * const     *names,
                     const ConfabCliCommand *commands,
                     const char             *summary,
                     int                     argc,
                     char                  **argv)
{
  g_autofree char *wanted = NULL;

  if (argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")))
    {
      g_print (_("Usage: confab-cli %s COMMAND [OPTION…]\n\n%s\n\n"
                 "Run “confab-cli %s COMMAND --help” for the options of a command.\n"),
               group, summary, group);
      return CONFAB_CLI_OK;
    }

  if (argc < 2)
    {
      g_printerr (_("confab-cli: “%s” needs a command\n\n%s\n"), group, summary);
      return CONFAB_CLI_USAGE;
    }

  for (guint i = 0; names[i] != NULL; i++)
    if (g_str_equal (argv[1], names[i]))
      {
        /* GOptionContext prints g_get_prgname() in its usage line. */
        g_autofree char *prgname = g_strdup_printf ("confab-cli %s %s", group, names[i]);

        g_set_prgname (prgname);
        return commands[i] (cli, argc - 1, argv + 1);
      }

  g_printerr (_("confab-cli: unknown command “%s %s”\n\n%s\n"), group, argv[1], summary);
  return CONFAB_CLI_USAGE;
}

void
confab_cli_print_row (const char *first,
                      ...)
{
  va_list args;
  const char *cell = first;
  gboolean sep = FALSE;

  va_start (args, first);
  while (cell != NULL)
    {
      g_autofree char *clean = g_strdelimit (g_strdup (cell), "\t\n\r", ' ');

      g_print ("%s%s", sep ? "\t" : "", clean);
      sep = TRUE;
      cell = va_arg (args, const char *);
    }
  va_end (args);
  g_print ("\n");
}

/* Parses a subcommand's options without ever echoing an unknown one in full:
 * a mistyped "--api-key=sk-…" must not end up on stderr, so an unknown option
 * is named without its value. "--" ends the options and is dropped; the
 * arguments left in *argv (after argv[0]) are the positional ones. FALSE
 * means stop and exit with *status. */
gboolean
confab_cli_parse_strict (GOptionContext   *context,
                         int              *argc,
                         char           ***argv,
                         int              *status)
{
  gboolean literal = FALSE;
  int out = 1;

  g_option_context_set_ignore_unknown_options (context, TRUE);
  if (!confab_cli_parse (context, argc, argv, status))
    return FALSE;

  for (int i = 1; i < *argc; i++)
    {
      char *arg = (*argv)[i];

      if (!literal && g_str_equal (arg, "--"))
        {
          literal = TRUE;
          continue;
        }
      if (!literal && arg[0] == '-' && arg[1] != '\0')
        {
          g_autofree char *name = NULL;
          g_autofree char *message = NULL;

          if (arg[1] == '-')
            name = g_strndup (arg, strcspn (arg, "="));
          else
            name = g_strndup (arg, 2); /* "-x…": one letter, not what follows it */
          message = g_strdup_printf (_("unknown option “%s”"), name);
          *status = confab_cli_usage (context, message);
          return FALSE;
        }
      (*argv)[out++] = arg;
    }
  *argc = out;
  (*argv)[out] = NULL;
  return TRUE;
}

/* A provider by id or by its (unique) name, in a workspace that must exist:
 * these commands never create one by accident. */
ConfabProvider *
confab_cli_find_provider (ConfabCli   *cli,
                          const char  *id_or_name,
                          GError     **error)
{
  g_autoptr (GError) local_error = NULL;
  ConfabProvider *provider;

  if (!g_file_test (cli->workspace_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                   _("The workspace %s does not exist"), cli->workspace_path);
      return NULL;
    }
  if (confab_cli_open (cli, error) == NULL)
    return NULL;

  provider = confab_repository_get (cli->db, CONFAB_TYPE_PROVIDER, id_or_name, &local_error);
  if (provider != NULL)
    return provider;
  if (!g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_clear_error (&local_error);

  provider = confab_repository_find (cli->db, CONFAB_TYPE_PROVIDER, "name", id_or_name,
                                     &local_error);
  if (provider != NULL)
    return provider;
  if (!g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
               _("No provider with the id or name “%s” exists in this workspace"), id_or_name);
  return NULL;
}
