#pragma once

/* The harness the LLM client tests share: run one chat call on the main
 * loop and keep what came out (deltas, result, error). */

#include "confab-chat-request.h"
#include "confab-chat-result.h"
#include "confab-llm-client.h"

G_BEGIN_DECLS

typedef struct
{
  GPtrArray        *deltas;
  GString          *joined;
  gboolean          done;
  gboolean          ok;
  GError           *error;
  ConfabChatResult *result;
  GCancellable     *cancel_after;   /* cancelled once n_cancel deltas arrived */
  guint             n_cancel;
  gint64            cancelled_at;
  gint64            finished_at;
} ChatRun;

void chat_run_clear       (ChatRun           *run);
void on_delta             (const char        *text,
                           gpointer           user_data);
void on_chat_done         (GObject           *object,
                           GAsyncResult      *result,
                           gpointer           user_data);
void run_until_done       (gboolean          *done);
/* Runs the call to its end; checks the result is there and its text is what
 * the deltas said, and that no error message holds a test key. */
void run_chat_full        (ConfabLlmClient   *client,
                           ConfabChatRequest *request,
                           GCancellable      *cancellable,
                           ChatRun           *run);
void assert_error_message (const GError      *error,
                           const char        *expected);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ChatRun, chat_run_clear)

G_END_DECLS
