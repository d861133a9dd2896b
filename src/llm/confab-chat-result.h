#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_CHAT_RESULT (confab_chat_result_get_type ())

/* What came back from one chat call: the whole text, why it stopped, the
 * model the server says answered, token usage and timings. Read-only for
 * applications; ConfabLlmClient fills it in. After a failed or cancelled call
 * it holds what had arrived so far (text, partial usage, timings). */
G_DECLARE_FINAL_TYPE (ConfabChatResult, confab_chat_result, CONFAB, CHAT_RESULT, GObject)

const char *confab_chat_result_get_text           (ConfabChatResult *self);
/* As the server said it ("stop", "length", "end_turn", ...), or NULL. */
const char *confab_chat_result_get_finish_reason  (ConfabChatResult *self);
/* As the server reported it; the requested model when it reported none. */
const char *confab_chat_result_get_model          (ConfabChatResult *self);
/* 0 when the server did not report usage. */
gint64      confab_chat_result_get_tokens_in      (ConfabChatResult *self);
gint64      confab_chat_result_get_tokens_out     (ConfabChatResult *self);
/* From the start of the call (retries included) to the first text; -1 when
 * no text arrived. */
gint64      confab_chat_result_get_first_token_ms (ConfabChatResult *self);
/* From the start of the call to its end, success or not. */
gint64      confab_chat_result_get_total_ms       (ConfabChatResult *self);

/*< private >*/
/* For ConfabLlmClient only: the properties are read-only from outside. */
ConfabChatResult *confab_chat_result_new               (void);
void              confab_chat_result_set_text          (ConfabChatResult *self,
                                                        const char       *text);
void              confab_chat_result_set_finish_reason (ConfabChatResult *self,
                                                        const char       *finish_reason);
void              confab_chat_result_set_model         (ConfabChatResult *self,
                                                        const char       *model);
void              confab_chat_result_set_usage         (ConfabChatResult *self,
                                                        gint64            tokens_in,
                                                        gint64            tokens_out);
void              confab_chat_result_set_timings       (ConfabChatResult *self,
                                                        gint64            first_token_ms,
                                                        gint64            total_ms);

G_END_DECLS
