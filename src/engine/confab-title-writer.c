#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <string.h>

#include "confab-chat-request.h"
#include "confab-conversation.h"
#include "confab-entity.h"
#include "confab-llm-oneshot.h"
#include "confab-message.h"
#include "confab-repository.h"
#include "confab-title-writer.h"
#include "confab-util.h"

/* Enough for a few words; the question and answer are cut to this many
 * characters each, the start of a chat says what it is about. */
#define TITLE_MAX_TOKENS 24
#define EXCERPT_CHARS    1500

typedef struct
{
  ConfabDatabase *db;
  char           *conversation_id;
  char           *old_title;
} Job;

static void
job_free (gpointer data)
{
  Job *job = data;

  g_clear_object (&job->db);
  g_free (job->conversation_id);
  g_free (job->old_title);
  g_free (job);
}

char *
confab_title_writer_clean (const char *answer)
{
  g_autofree char *valid = NULL;
  g_autofree char *title = NULL;
  char *line;
  char *end;

  if (answer == NULL)
    return NULL;
  valid = g_utf8_make_valid (answer, -1);
  line = g_strstrip (valid);
  /* "Title: …" and quotes around it are the model being chatty. */
  if (g_ascii_strncasecmp (line, "title:", 6) == 0)
    line = g_strstrip (line + 6);
  end = strchr (line, '\n');
  if (end != NULL)
    *end = '\0';
  g_strstrip (line);
  while (*line == '"' || *line == '\'' || *line == '*' || *line == '#')
    line++;
  for (gsize len = strlen (line);
       len > 0 && (line[len - 1] == '"' || line[len - 1] == '\'' || line[len - 1] == '*' ||
                   line[len - 1] == '.');
       len--)
    line[len - 1] = '\0';
  title = confab_message_make_title (line);
  if (title == NULL || *title == '\0')
    return NULL;
  return g_steal_pointer (&title);
}

static char *
excerpt (const char *text)
{
  if (g_utf8_strlen (text, -1) <= EXCERPT_CHARS)
    return g_strdup (text);
  return g_utf8_substring (text, 0, EXCERPT_CHARS);
}

static void
on_answer (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Job *job = g_task_get_task_data (task);
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = confab_llm_oneshot_finish (result, &error);
  g_autofree char *title = NULL;

  if (answer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  title = confab_title_writer_clean (answer);
  if (title == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  if (!confab_database_begin (job->db, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  conversation = confab_repository_get (job->db, CONFAB_TYPE_CONVERSATION, job->conversation_id,
                                        &error);
  if (conversation == NULL)
    goto failed;
  /* Renamed meanwhile: a person's title wins. */
  if (!confab_str_equal0 (confab_conversation_get_title (conversation), job->old_title))
    {
      confab_database_rollback (job->db);
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  confab_conversation_set_title (conversation, title);
  if (!confab_repository_update (job->db, CONFAB_ENTITY (conversation), NULL, &error) ||
      !confab_database_commit (job->db, &error))
    goto failed;
  g_task_return_pointer (task, g_steal_pointer (&title), g_free);
  return;

failed:
  confab_database_rollback (job->db);
  g_task_return_error (task, g_steal_pointer (&error));
}

void
confab_title_writer_write_async (ConfabDatabase      *db,
                                 ConfabSecretStore   *store,
                                 const char          *provider_id,
                                 const char          *model,
                                 const char          *conversation_id,
                                 const char          *question,
                                 const char          *answer,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabChatRequest) request = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *q = NULL;
  g_autofree char *a = NULL;
  g_autofree char *text = NULL;
  Job *job;

  g_return_if_fail (CONFAB_IS_DATABASE (db));
  g_return_if_fail (provider_id != NULL && conversation_id != NULL);
  g_return_if_fail (question != NULL && answer != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_title_writer_write_async);
  job = g_new0 (Job, 1);
  job->db = g_object_ref (db);
  job->conversation_id = g_strdup (conversation_id);
  g_task_set_task_data (task, job, job_free);

  conversation = confab_repository_get (db, CONFAB_TYPE_CONVERSATION, conversation_id, &error);
  if (conversation == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  job->old_title = g_strdup (confab_conversation_get_title (conversation));

  q = excerpt (question);
  a = excerpt (answer);
  text = g_strdup_printf ("Customer: %s\n\nAssistant: %s", q, a);
  request = confab_chat_request_new (model);
  /* For the model, not shown: it answers in the conversation's language. */
  confab_chat_request_set_system (request,
                                  "Write a short title, at most six words, for the conversation "
                                  "below, in the language it is written in. Answer with the "
                                  "title only, without quotes.");
  confab_chat_request_set_temperature (request, 0.2);
  confab_chat_request_set_max_tokens (request, TITLE_MAX_TOKENS);
  confab_chat_request_add_message (request, "user", text);
  confab_llm_oneshot_async (db, store, provider_id, request, cancellable, on_answer,
                            g_object_ref (task));
}

char *
confab_title_writer_write_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
