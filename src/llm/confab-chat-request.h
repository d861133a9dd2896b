#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_CHAT_REQUEST (confab_chat_request_get_type ())

/* What to send to a model: the model name, an optional system prompt, the
 * sampling settings and the conversation so far as (role, content) pairs in
 * order. The same request can be sent to any ConfabLlmClient; each wire
 * format turns it into its own JSON. */
G_DECLARE_FINAL_TYPE (ConfabChatRequest, confab_chat_request, CONFAB, CHAT_REQUEST, GObject)

/* temperature is -1 and max-tokens 0 when the provider's default applies. */
#define CONFAB_CHAT_REQUEST_DEFAULT_TEMPERATURE (-1.0)
#define CONFAB_CHAT_REQUEST_DEFAULT_MAX_TOKENS  0

ConfabChatRequest *confab_chat_request_new                 (const char        *model);

const char        *confab_chat_request_get_model           (ConfabChatRequest *self);
void               confab_chat_request_set_model           (ConfabChatRequest *self,
                                                            const char        *model);
const char        *confab_chat_request_get_system          (ConfabChatRequest *self);
void               confab_chat_request_set_system          (ConfabChatRequest *self,
                                                            const char        *system);
double             confab_chat_request_get_temperature     (ConfabChatRequest *self);
void               confab_chat_request_set_temperature     (ConfabChatRequest *self,
                                                            double             temperature);
gboolean           confab_chat_request_has_temperature     (ConfabChatRequest *self);
int                confab_chat_request_get_max_tokens      (ConfabChatRequest *self);
void               confab_chat_request_set_max_tokens      (ConfabChatRequest *self,
                                                            int                max_tokens);

/* role is "user" or "assistant"; the system prompt is its own property. */
void               confab_chat_request_add_message         (ConfabChatRequest *self,
                                                            const char        *role,
                                                            const char        *content);
guint              confab_chat_request_get_n_messages      (ConfabChatRequest *self);
const char        *confab_chat_request_get_message_role    (ConfabChatRequest *self,
                                                            guint              i);
const char        *confab_chat_request_get_message_content (ConfabChatRequest *self,
                                                            guint              i);

G_END_DECLS
