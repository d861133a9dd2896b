#pragma once

#include <gio/gio.h>

#include "confab-database.h"
#include "confab-secret-store.h"

G_BEGIN_DECLS

/* An LLM agent's generated conversation title. A conversation is first
 * named after its first user message (confab_message_make_title ()); after
 * the agent's first reply, the agent's model is asked for a short title,
 * which replaces that name, unless someone renamed the conversation in
 * between (then the title is left alone and the call returns NULL). The
 * title is cleaned (one line, no quotes, at most CONFAB_MESSAGE_TITLE_CHARS
 * characters). */
void  confab_title_writer_write_async  (ConfabDatabase      *db,
                                        ConfabSecretStore   *store,
                                        const char          *provider_id,
                                        const char          *model,
                                        const char          *conversation_id,
                                        const char          *question,
                                        const char          *answer,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
/* The title set, or NULL: with error when the model or the workspace
 * failed, without when the conversation had been renamed. */
char *confab_title_writer_write_finish (GAsyncResult        *result,
                                        GError             **error);

/* The title the model's answer makes, or NULL when nothing is left. */
char *confab_title_writer_clean        (const char          *answer);

G_END_DECLS
