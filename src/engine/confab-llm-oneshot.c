#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include "confab-chat-result.h"
#include "confab-entity.h"
#include "confab-llm-oneshot.h"
#include "confab-provider-client.h"
#include "confab-repository.h"

typedef struct
{
  ConfabProvider    *provider;
  ConfabChatRequest *request;
  ConfabLlmClient   *client;
} Oneshot;

static void
oneshot_free (gpointer data)
{
  Oneshot *oneshot = data;

  g_clear_object (&oneshot->provider);
  g_clear_object (&oneshot->request);
  g_clear_object (&oneshot->client);
  g_free (oneshot);
}

static void
on_chat_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (ConfabChatResult) chat = NULL;
  g_autoptr (GError) error = NULL;

  if (!confab_llm_client_chat_finish (CONFAB_LLM_CLIENT (source), result, &chat, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_strstrip (g_strdup (confab_chat_result_get_text (chat))),
                         g_free);
}

static void
on_client (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Oneshot *oneshot = g_task_get_task_data (task);
  g_autoptr (GError) warning = NULL;
  g_autoptr (GError) error = NULL;

  oneshot->client = confab_provider_new_client_finish (CONFAB_PROVIDER (source), result,
                                                       &warning, &error);
  if (oneshot->client == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (warning != NULL)
    g_debug ("Asking without a key: %s", warning->message);

  /* The whole answer at once: nobody watches it grow. */
  confab_llm_client_set_supports_streaming (oneshot->client, FALSE);
  confab_llm_client_chat_async (oneshot->client, oneshot->request, NULL, NULL,
                                g_task_get_cancellable (task), on_chat_done,
                                g_object_ref (task));
}

void
confab_llm_oneshot_async (ConfabDatabase      *db,
                          ConfabSecretStore   *store,
                          const char          *provider_id,
                          ConfabChatRequest   *request,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  Oneshot *oneshot;

  g_return_if_fail (CONFAB_IS_DATABASE (db));
  g_return_if_fail (provider_id != NULL);
  g_return_if_fail (CONFAB_IS_CHAT_REQUEST (request));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_llm_oneshot_async);
  oneshot = g_new0 (Oneshot, 1);
  oneshot->request = g_object_ref (request);
  g_task_set_task_data (task, oneshot, oneshot_free);

  oneshot->provider = confab_repository_get (db, CONFAB_TYPE_PROVIDER, provider_id, &error);
  if (oneshot->provider == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  confab_provider_new_client_async (oneshot->provider, store, cancellable, on_client,
                                    g_object_ref (task));
}

char *
confab_llm_oneshot_finish (GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == confab_llm_oneshot_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
