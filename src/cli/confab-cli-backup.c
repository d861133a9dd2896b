#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-cli-common.h"

/* confab-cli backup FILE and confab-cli restore FILE: a copy of the
 * workspace with SQLite's online backup API (consistent while the app
 * writes), and that copy put back. */

typedef struct
{
  gboolean done;
  GError  *error;
} Backup;

static void
on_backup_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Backup *backup = user_data;

  confab_database_backup_finish (CONFAB_DATABASE (source), result, &backup->error);
  backup->done = TRUE;
}

int
confab_cli_backup (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("FILE"));
  g_autoptr (GError) error = NULL;
  gboolean     force = FALSE;
  Backup       backup = { 0 };
  const char  *destination;
  int          status;
  GOptionEntry entries[] = {
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force, N_ ("Replace FILE if it exists"), NULL }, { NULL }
  };

  g_option_context_set_summary (context,
                                _ ("Copy the workspace into FILE, itself a workspace that Confab "
                                   "opens. The copy is consistent even while Confab or another "
                                   "confab-cli writes to the workspace; FILE appears only once it "
                                   "is complete."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _ ("backup needs exactly one FILE"));
  destination = argv[1];

  if (!g_file_test (cli->workspace_path, G_FILE_TEST_EXISTS))
    {
      g_printerr (_ ("confab-cli: the workspace %s does not exist\n"), cli->workspace_path);
      return CONFAB_CLI_ERROR;
    }
  if (!force && g_file_test (destination, G_FILE_TEST_EXISTS))
    {
      g_printerr (_ ("confab-cli: %s already exists; choose another name, or pass --force to "
                     "replace it\n"),
                  destination);
      return CONFAB_CLI_ERROR;
    }

  /* A workspace that cannot be written can still be copied. */
  cli->db = confab_database_open_with_flags (cli->workspace_path,
                                             CONFAB_DATABASE_OPEN_READ_ONLY_FALLBACK, &error);
  if (cli->db == NULL)
    return confab_cli_fail (error);

  confab_database_backup_async (cli->db, destination, NULL, on_backup_done, &backup);
  while (!backup.done)
    g_main_context_iteration (NULL, TRUE);
  if (backup.error != NULL)
    {
      g_autoptr (GError) backup_error = g_steal_pointer (&backup.error);

      return confab_cli_fail (backup_error);
    }

  g_print (_ ("Backed up %s to %s\n"), cli->workspace_path, destination);
  return CONFAB_CLI_OK;
}

int
confab_cli_restore (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_ ("FILE"));
  g_autoptr (GError) error = NULL;
  g_autofree char *copy = NULL;
  gboolean         force = FALSE;
  gboolean         existed;
  const char      *source;
  int              status;
  GOptionEntry     entries[] = {
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
      N_ ("Replace the contents of a workspace that already holds data"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _ ("Replace everything in the workspace with the backup FILE. FILE "
                                   "is checked first (it must be a Confab workspace, undamaged, "
                                   "not from a newer Confab) and is never changed; an older one is "
                                   "upgraded. The workspace's previous contents are kept in a copy "
                                   "beside it, whose name is printed. The workspace is created if "
                                   "needed; one that already holds data needs --force."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _ ("restore needs exactly one FILE"));
  source = argv[1];

  /* Checked before the workspace is even created. */
  if (!confab_database_validate_file (source, NULL, &error))
    return confab_cli_fail (error);

  existed = g_file_test (cli->workspace_path, G_FILE_TEST_EXISTS);
  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);

  if (existed && !force)
    {
      gint64 n = confab_database_query_int (cli->db,
                                            "SELECT (SELECT count(*) FROM users) + "
                                            "(SELECT count(*) FROM agents) + "
                                            "(SELECT count(*) FROM conversations) + "
                                            "(SELECT count(*) FROM knowledge_bases) + "
                                            "(SELECT count(*) FROM prompts) + "
                                            "(SELECT count(*) FROM providers)",
                                            NULL, &error);

      if (n < 0)
        return confab_cli_fail (error);
      if (n > 0)
        {
          g_printerr (_ ("confab-cli: the workspace %s already holds data, which restoring "
                         "replaces (a copy of it is kept); run again with --force to go ahead\n"),
                      cli->workspace_path);
          return CONFAB_CLI_ERROR;
        }
    }

  if (!confab_database_restore (cli->db, source, &copy, NULL, &error))
    return confab_cli_fail (error);

  g_print (_ ("Restored %s from %s (schema version %u)\n"), cli->workspace_path, source,
           confab_database_get_schema_version (cli->db));
  if (copy != NULL)
    g_print (_ ("Its previous contents are in %s\n"), copy);
  return CONFAB_CLI_OK;
}
