#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include "confab-error.h"
#include "confab-provider-client.h"

/* What the task returns besides the client. */
typedef struct
{
  GError *keyring_warning;
} NewClient;

static void
new_client_free (gpointer data)
{
  NewClient *state = data;

  g_clear_error (&state->keyring_warning);
  g_free (state);
}

static void
on_key_looked_up (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  ConfabProvider *provider = g_task_get_source_object (task);
  NewClient *state = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  ConfabLlmClient *client;
  char *key;

  key = confab_secret_store_lookup_finish (CONFAB_SECRET_STORE (source), result, &error);
  if (g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_KEYRING))
    {
      g_debug ("No keyring to look up the key of “%s” in: %s",
               confab_provider_get_name (provider), error->message);
      state->keyring_warning = g_steal_pointer (&error);
    }
  if (error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  client = confab_llm_client_new_for_provider (provider, key, &error);
  confab_secret_store_free_key (key);
  if (client == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, client, g_object_unref);
}

/**
 * confab_provider_new_client_async:
 * @provider: a saved provider
 * @store: (nullable): the keyring, or %NULL for a new #ConfabSecretStore
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the client
 * @user_data: data for @callback
 *
 * Looks up @provider's API key and makes its #ConfabLlmClient; see the
 * top of confab-provider-client.h.
 */
void
confab_provider_new_client_async (ConfabProvider      *provider,
                                  ConfabSecretStore   *store,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr (ConfabSecretStore) own_store = NULL;
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (CONFAB_IS_PROVIDER (provider));
  g_return_if_fail (store == NULL || CONFAB_IS_SECRET_STORE (store));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  if (store == NULL)
    store = own_store = confab_secret_store_new ();

  task = g_task_new (provider, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_provider_new_client_async);
  g_task_set_task_data (task, g_new0 (NewClient, 1), new_client_free);
  confab_secret_store_lookup_async (store, confab_entity_get_id (CONFAB_ENTITY (provider)),
                                    cancellable, on_key_looked_up, g_steal_pointer (&task));
}

/**
 * confab_provider_new_client_finish:
 * @provider: the provider given to confab_provider_new_client_async()
 * @result: the result given to its callback
 * @keyring_warning: (nullable): return location for the reason the key
 *   could not be looked up, when the client was made without one
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the client, or %NULL with @error set
 */
ConfabLlmClient *
confab_provider_new_client_finish (ConfabProvider  *provider,
                                   GAsyncResult    *result,
                                   GError         **keyring_warning,
                                   GError         **error)
{
  NewClient *state;

  g_return_val_if_fail (CONFAB_IS_PROVIDER (provider), NULL);
  g_return_val_if_fail (g_task_is_valid (result, provider), NULL);

  state = g_task_get_task_data (G_TASK (result));
  if (keyring_warning != NULL && state->keyring_warning != NULL)
    *keyring_warning = g_error_copy (state->keyring_warning);
  return g_task_propagate_pointer (G_TASK (result), error);
}
