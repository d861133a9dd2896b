#pragma once

#include <gio/gio.h>

#include "confab-llm-client.h"
#include "confab-provider.h"
#include "confab-secret-store.h"

G_BEGIN_DECLS

/* The LLM client for a provider with its API key from the keyring, the way
 * every caller needs it (preferences' test and model list, the CLI's
 * providers test/models and ask, the agent runtime): the key goes from
 * ConfabSecretStore straight into the client and is wiped on the way.
 *
 * Local servers need no key, so an unreachable keyring is not a failure:
 * the client is made without a key and *keyring_warning (when not NULL) gets
 * the CONFAB_ERROR_KEYRING error saying why; a server that wants a key then
 * answers AUTH. Other keyring errors (cancellation) and a kind without a
 * client fail. */

/* store: nullable, a new ConfabSecretStore when NULL. */
void             confab_provider_new_client_async  (ConfabProvider     *provider,
                                                    ConfabSecretStore  *store,
                                                    GCancellable       *cancellable,
                                                    GAsyncReadyCallback callback,
                                                    gpointer            user_data);
ConfabLlmClient *confab_provider_new_client_finish (ConfabProvider     *provider,
                                                    GAsyncResult       *result,
                                                    GError            **keyring_warning,
                                                    GError            **error);

G_END_DECLS
