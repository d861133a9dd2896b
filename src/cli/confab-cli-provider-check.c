#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-cli-common.h"
#include "confab-llm-client.h"
#include "confab-secret-store.h"

/* confab-cli providers test|models: the commands that talk to a provider's
 * server. Its API key goes from the keyring straight into the client: it is
 * never an argument, never printed and never part of a message. */

/* Parses "COMMAND ID|NAME", finds the provider and makes its client, with
 * the key from the keyring when it has one. An unreachable keyring is a
 * warning only: local servers need no key. FALSE means exit with *status. */
static gboolean
open_client (ConfabCli         *cli,
             int                argc,
             char             **argv,
             const char        *summary,
             const char        *usage,
             ConfabProvider   **out_provider,
             ConfabLlmClient  **out_client,
             int               *status)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("ID|NAME"));
  g_autoptr (ConfabSecretStore) store = NULL;
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (GError) error = NULL;
  char *key;

  g_option_context_set_summary (context, summary);
  if (!confab_cli_parse_strict (context, &argc, &argv, status))
    return FALSE;
  if (argc != 2)
    {
      *status = confab_cli_usage (context, usage);
      return FALSE;
    }

  provider = confab_cli_find_provider (cli, argv[1], &error);
  if (provider == NULL)
    {
      *status = confab_cli_fail (error);
      return FALSE;
    }

  store = confab_secret_store_new ();
  key = confab_secret_store_lookup_sync (store, confab_entity_get_id (CONFAB_ENTITY (provider)),
                                         NULL, &error);
  if (error != NULL)
    {
      if (!g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_KEYRING))
        {
          *status = confab_cli_fail (error);
          return FALSE;
        }
      g_printerr (_("confab-cli: warning: %s\n"), error->message);
      g_printerr (_("confab-cli: warning: sending the request to “%s” without an API key\n"),
                  confab_provider_get_name (provider));
      g_clear_error (&error);
    }

  *out_client = confab_llm_client_new_for_provider (provider, key, &error);
  confab_secret_store_free_key (key);
  if (*out_client == NULL)
    {
      *status = confab_cli_fail (error);
      return FALSE;
    }
  *out_provider = g_steal_pointer (&provider);
  return TRUE;
}

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Runs the default main context until the call started with on_done ends. */
static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

int
confab_cli_providers_test (ConfabCli  *cli,
                           int         argc,
                           char      **argv)
{
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (ConfabLlmClient) client = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  /* Debug messages go to stderr, with the errors. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (!open_client (cli, argc, argv,
                    _("Check that a provider, given by id or name, answers at its base URL and "
                      "accepts its API key, by asking for its list of models."),
                    _("providers test needs one provider id or name"),
                    &provider, &client, &status))
    return status;

  confab_llm_client_test_connection_async (client, NULL, on_done, &result);
  if (!confab_llm_client_test_connection_finish (client, wait_for (&result), &error))
    return confab_cli_fail (error);

  g_print (_("Connected to “%s”\n"), confab_provider_get_name (provider));
  return CONFAB_CLI_OK;
}

int
confab_cli_providers_models (ConfabCli  *cli,
                             int         argc,
                             char      **argv)
{
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (ConfabLlmClient) client = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) models = NULL;
  int status;

  /* Debug messages go to stderr: stdout is the list, and nothing else. */
  g_log_writer_default_set_use_stderr (TRUE);

  if (!open_client (cli, argc, argv,
                    _("List the models a provider, given by id or name, offers, one a line, "
                      "as its server reports them."),
                    _("providers models needs one provider id or name"),
                    &provider, &client, &status))
    return status;

  confab_llm_client_list_models_async (client, NULL, on_done, &result);
  models = confab_llm_client_list_models_finish (client, wait_for (&result), &error);
  if (error != NULL)
    return confab_cli_fail (error);

  for (guint i = 0; models != NULL && models[i] != NULL; i++)
    {
      g_autofree char *clean = g_strdelimit (g_strdup (models[i]), "\n\r", ' ');

      g_print ("%s\n", clean);
    }
  return CONFAB_CLI_OK;
}
