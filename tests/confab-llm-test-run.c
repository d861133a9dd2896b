#include "config.h"

#include <string.h>

#include "confab-llm-test-run.h"


void
chat_run_clear (ChatRun *run)
{
  g_clear_pointer (&run->deltas, g_ptr_array_unref);
  if (run->joined != NULL)
    g_string_free (run->joined, TRUE);
  run->joined = NULL;
  g_clear_error (&run->error);
  g_clear_object (&run->result);
  g_clear_object (&run->cancel_after);
}


void
on_delta (const char *text,
          gpointer    user_data)
{
  ChatRun *run = user_data;

  g_assert_nonnull (text);
  g_assert_cmpuint (strlen (text), >, 0);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_ptr_array_add (run->deltas, g_strdup (text));
  g_string_append (run->joined, text);
  if (run->cancel_after != NULL && run->deltas->len == run->n_cancel)
    {
      run->cancelled_at = g_get_monotonic_time ();
      g_cancellable_cancel (run->cancel_after);
    }
}

void
on_chat_done (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  ChatRun *run = user_data;

  run->ok = confab_llm_client_chat_finish (CONFAB_LLM_CLIENT (object), result, &run->result,
                                           &run->error);
  run->finished_at = g_get_monotonic_time ();
  run->done = TRUE;
}

static gboolean
safety_timeout (gpointer user_data)
{
  g_error ("the call did not finish within 30 s");
  return G_SOURCE_REMOVE;
}

void
run_until_done (gboolean *done)
{
  guint id = g_timeout_add_seconds (30, safety_timeout, NULL);

  while (!*done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (id);
}

void
run_chat_full (ConfabLlmClient   *client,
               ConfabChatRequest *request,
               GCancellable      *cancellable,
               ChatRun           *run)
{
  run->deltas = g_ptr_array_new_with_free_func (g_free);
  run->joined = g_string_new (NULL);
  confab_llm_client_chat_async (client, request, on_delta, run, cancellable, on_chat_done, run);
  run_until_done (&run->done);

  /* The result is always there, and its text is what the deltas said. */
  g_assert_nonnull (run->result);
  g_assert_cmpstr (confab_chat_result_get_text (run->result), ==, run->joined->str);
  g_assert_cmpint (confab_chat_result_get_total_ms (run->result), >=, 0);
  g_assert_true (run->ok == (run->error == NULL));
  /* Whatever happened, no test key (they all say "canary") is in a message. */
  if (run->error != NULL)
    g_assert_null (strstr (run->error->message, "canary"));
}


void
assert_error_message (const GError *error,
                      const char   *expected)
{
  g_assert_nonnull (error);
  g_assert_cmpstr (error->message, ==, expected);
}
