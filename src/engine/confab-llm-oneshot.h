#pragma once

#include <gio/gio.h>

#include "confab-chat-request.h"
#include "confab-database.h"
#include "confab-secret-store.h"

G_BEGIN_DECLS

/* One short, non-streamed question to a provider's model, for the runtime's
 * small jobs (a team's LLM selector, a conversation title): the provider is
 * read from the workspace, its key from the keyring (store), and the whole
 * answer comes back as text. Errors are the client's (see
 * confab_llm_client_chat_async ()). */
void  confab_llm_oneshot_async  (ConfabDatabase      *db,
                                 ConfabSecretStore   *store,
                                 const char          *provider_id,
                                 ConfabChatRequest   *request,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);
/* The model's answer with leading and trailing white space removed. */
char *confab_llm_oneshot_finish (GAsyncResult        *result,
                                 GError             **error);

G_END_DECLS
