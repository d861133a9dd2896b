#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-agent-runtime.h"
#include "confab-branch.h"
#include "confab-agent.h"
#include "confab-error.h"
#include "confab-escalation.h"
#include "confab-llm-client.h"
#include "confab-llm-oneshot.h"
#include "confab-prompt-builder.h"
#include "confab-team-router.h"
#include "confab-title-writer.h"
#include "confab-provider.h"
#include "confab-repository.h"
#include "confab-retriever.h"
#include "confab-rule-set.h"
#include "confab-team-member.h"
#include "confab-team.h"
#include "confab-user.h"
#include "confab-util.h"

/* See confab-agent-runtime.h for the order of work and the rules. */

/* How many passages retrieval puts in front of the model. */
#define RETRIEVE_TOP_K       4
/* A streaming reply is written to the workspace at most this often... */
#define SAVE_INTERVAL_MS     250
/* ...or when this many characters arrived since the last save. */
#define SAVE_CHARS           2000
/* The model column of a rule answer. */
#define RULES_MODEL          "rules"
/* A fallback streak is never longer than this many replies to read back. */
#define MAX_MISSES_SCANNED   100
/* Replies of a round_robin team run whose max_turns is not set. */
#define DEFAULT_MAX_TURNS    6

struct _ConfabAgentRuntime
{
  GObject            parent_instance;

  ConfabDatabase    *db;
  ConfabSecretStore *store;
  GCancellable      *background;  /* jobs after a reply (titles); cancelled on dispose */
};

G_DEFINE_FINAL_TYPE (ConfabAgentRuntime, confab_agent_runtime, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DATABASE,
  PROP_SECRET_STORE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

/* ------------------------------------------------------------------------ */
/* One reply                                                                */
/* ------------------------------------------------------------------------ */

typedef struct
{
  ConfabAgentRuntime     *self;          /* not a reference: the task holds one */
  ConfabRuntimeEventFunc  on_event;
  gpointer                event_data;

  char                   *conversation_id;
  char                   *text;          /* what this agent answers */
  ConfabAgent            *agent;         /* who answers: the conversation's agent or a member */
  ConfabUser             *user;          /* who wrote; may be NULL */
  ConfabMessage          *user_message;
  char                   *parent_id;     /* where the reply goes; NULL: after the branch's last message */
  gint64                  started_us;    /* the saved user message, or a later team reply's start */
  guint                   turn;
  guint                   misses;
  GHashTable             *variables;

  /* The rule set's answer a hybrid agent (or a handoff) falls back on when
   * its model fails; NULL for a plain LLM agent. */
  ConfabRuleMatch        *fallback;

  /* The LLM part. */
  ConfabAgent            *llm_agent;     /* whose LLM settings answer */
  ConfabProvider         *provider;
  ConfabChatRequest      *request;
  GPtrArray              *sources;       /* ConfabRetrievedChunk */
  ConfabLlmClient        *client;
  ConfabMessage          *reply;         /* the assistant message, once made */
  GString                *content;       /* the streamed text so far */
  gsize                   saved_len;     /* of content, in the workspace */
  gint64                  saved_at_us;
  guint                   save_source_id;
} Reply;

static void
reply_free (gpointer data)
{
  Reply *reply = data;

  g_clear_handle_id (&reply->save_source_id, g_source_remove);
  g_free (reply->conversation_id);
  g_free (reply->parent_id);
  g_free (reply->text);
  g_clear_object (&reply->agent);
  g_clear_object (&reply->user);
  g_clear_object (&reply->user_message);
  g_clear_pointer (&reply->variables, g_hash_table_unref);
  g_clear_pointer (&reply->fallback, confab_rule_match_free);
  g_clear_object (&reply->llm_agent);
  g_clear_object (&reply->provider);
  g_clear_object (&reply->request);
  g_clear_pointer (&reply->sources, g_ptr_array_unref);
  g_clear_object (&reply->client);
  g_clear_object (&reply->reply);
  if (reply->content != NULL)
    g_string_free (reply->content, TRUE);
  g_free (reply);
}

/* One user message and everything that answers it: the conversation's
 * agent, or its team's members one reply after the other. Each reply is a
 * Reply of its own (answer_async ()). */
typedef struct
{
  ConfabAgentRuntime     *self;          /* not a reference: the task holds one */
  ConfabRuntimeEventFunc  on_event;
  gpointer                event_data;

  char                   *conversation_id;
  char                   *text;          /* what the user wrote */
  ConfabUser             *user;          /* who wrote */
  ConfabMessage          *user_message;
  gint64                  started_us;    /* when the user message was saved */
  char                   *edited_id;     /* edit: the user message the new one is a sibling of */
  char                   *reply_parent_id; /* regenerate: the first reply answers this message */

  ConfabAgent            *agent;         /* an agent's conversation: the agent */
  ConfabTeam             *team;          /* a team's conversation: the team... */
  GPtrArray              *members;       /* ...and its active members (ConfabAgent), by position */

  ConfabAgent            *routed;       /* router with an LLM selector: the member it picked */
  guint                   n_replies;     /* made so far in this run */
  char                   *input;         /* what the next member answers */
  ConfabMessage          *last;          /* the newest reply of this run */
} Run;

static void
run_free (gpointer data)
{
  Run *run = data;

  g_free (run->conversation_id);
  g_free (run->text);
  g_free (run->edited_id);
  g_free (run->reply_parent_id);
  g_clear_object (&run->user);
  g_clear_object (&run->user_message);
  g_clear_object (&run->agent);
  g_clear_object (&run->team);
  g_clear_object (&run->routed);
  g_clear_pointer (&run->members, g_ptr_array_unref);
  g_free (run->input);
  g_clear_object (&run->last);
  g_free (run);
}

static void
emit (Reply              *reply,
      ConfabRuntimeEvent  event,
      const char         *text)
{
  if (reply->on_event != NULL)
    reply->on_event (event, text, reply->event_data);
}

static int
elapsed_ms (Reply *reply)
{
  gint64 ms = (g_get_monotonic_time () - reply->started_us) / 1000;

  return (int) CLAMP (ms, 0, G_MAXINT);
}

/* ------------------------------------------------------------------------ */
/* Workspace helpers                                                        */
/* ------------------------------------------------------------------------ */

static void
set_step_error (ConfabDatabase  *db,
                GError         **error)
{
  confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)), error);
}

/* The user message's place on the active branch: the history before it is
 * what lies above it on the branch (confab-branch.h). */
#define SQL_DEPTH_OF "(SELECT depth FROM messages WHERE id = ?)"

/* The id of the last message of the conversation's active branch, or NULL. */
static char *
dup_last_message_id (ConfabDatabase *db,
                     const char     *conversation_id)
{
  g_autoptr (ConfabMessage) leaf = confab_branch_get_leaf (db, conversation_id, NULL);

  return leaf != NULL ? g_strdup (confab_entity_get_id (CONFAB_ENTITY (leaf))) : NULL;
}

static char *
dup_reply_parent_id (ConfabDatabase *db,
                     Reply          *reply)
{
  if (reply->parent_id != NULL)
    return g_strdup (reply->parent_id);
  return dup_last_message_id (db, reply->conversation_id);
}

/* Records what produced a message, in the current transaction. */
static gboolean
store_answer (ConfabDatabase  *db,
              ConfabMessage   *message,
              const char      *answered_by,
              const char      *rule_name,
              GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = confab_database_prepare (db,
                                  "UPDATE messages SET answered_by = ?, rule_name = ? WHERE id = ?",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, answered_by, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, rule_name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, confab_entity_get_id (CONFAB_ENTITY (message)), -1,
                     SQLITE_TRANSIENT);
  return confab_database_step_done (db, stmt, error);
}

gboolean
confab_agent_runtime_lookup_answer (ConfabDatabase  *db,
                                    const char      *message_id,
                                    char           **out_answered_by,
                                    char           **out_rule_name,
                                    GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (message_id != NULL, FALSE);

  if (out_answered_by != NULL)
    *out_answered_by = NULL;
  if (out_rule_name != NULL)
    *out_rule_name = NULL;

  stmt = confab_database_prepare (db, "SELECT answered_by, rule_name FROM messages WHERE id = ?",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, message_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                   _("No message with the identifier “%s” exists in this workspace"),
                   message_id);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    {
      set_step_error (db, error);
      return FALSE;
    }
  if (out_answered_by != NULL)
    *out_answered_by = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  if (out_rule_name != NULL)
    *out_rule_name = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
  return TRUE;
}

/* turn: the replies the conversation's agent gave before the user message
 * (complete ones: it rotates the rule's responses); misses: the fallback
 * answers in a row just before it, whoever gave the replies before them (a
 * handoff's or a person's answer ends a streak too). */
static gboolean
count_turns (ConfabDatabase  *db,
             Reply           *reply,
             GError         **error)
{
  const char *user_message_id = confab_entity_get_id (CONFAB_ENTITY (reply->user_message));
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  stmt = confab_database_prepare (db,
                                  "SELECT count(*) FROM messages WHERE conversation_id = ? "
                                  "AND on_path = 1 AND depth < " SQL_DEPTH_OF
                                  " AND role = 'assistant' AND status = 'complete' "
                                  "AND agent_id = ?",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, reply->conversation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, user_message_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, confab_entity_get_id (CONFAB_ENTITY (reply->agent)), -1,
                     SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      set_step_error (db, error);
      return FALSE;
    }
  reply->turn = (guint) MIN (sqlite3_column_int64 (stmt, 0), G_MAXUINT);
  sqlite3_reset (g_steal_pointer (&stmt));

  stmt = confab_database_prepare (db,
                                  "SELECT answered_by FROM messages WHERE conversation_id = ? "
                                  "AND on_path = 1 AND depth < " SQL_DEPTH_OF
                                  " AND role IN ('assistant', 'supporter') "
                                  "ORDER BY depth DESC LIMIT ?",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, reply->conversation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, user_message_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, 3, MAX_MISSES_SCANNED);
  reply->misses = 0;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW &&
         confab_str_equal0 ((const char *) sqlite3_column_text (stmt, 0), "fallback"))
    reply->misses++;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      set_step_error (db, error);
      return FALSE;
    }
  return TRUE;
}

/* The conversation's messages before the user message, oldest first; read
 * newest first and only as far back as could fit in the context window
 * (a 100,000-message conversation is not read whole). */
static GPtrArray *
load_history (ConfabDatabase  *db,
              Reply           *reply,
              GError         **error)
{
  g_autoptr (GPtrArray) newest_first = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (ConfabStmt) stmt = NULL;
  gint64 window = confab_provider_get_context_window (reply->provider);
  gint64 tokens = 0;
  GPtrArray *history;
  int rc = SQLITE_DONE;

  stmt = confab_database_prepare (db,
                                  "SELECT * FROM messages WHERE conversation_id = ? "
                                  "AND on_path = 1 AND depth < " SQL_DEPTH_OF
                                  " ORDER BY depth DESC",
                                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, reply->conversation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, confab_entity_get_id (CONFAB_ENTITY (reply->user_message)), -1,
                     SQLITE_TRANSIENT);
  while (tokens <= window && (rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      ConfabMessage *message =
        CONFAB_MESSAGE (confab_entity_new_from_stmt (CONFAB_TYPE_MESSAGE, stmt));

      tokens += confab_prompt_builder_estimate_tokens (confab_message_get_content (message));
      g_ptr_array_add (newest_first, message);
    }
  if (tokens <= window && rc != SQLITE_DONE)
    {
      set_step_error (db, error);
      return NULL;
    }

  history = g_ptr_array_new_full (newest_first->len, g_object_unref);
  for (guint i = newest_first->len; i > 0; i--)
    g_ptr_array_add (history, g_object_ref (g_ptr_array_index (newest_first, i - 1)));
  return history;
}

/* The ids of the agent's active knowledge bases, NULL-terminated, for
 * confab_knowledge_retrieve_async(). */
static GStrv
active_knowledge_bases (ConfabDatabase  *db,
                        ConfabAgent     *agent,
                        GError         **error)
{
  g_autoptr (GPtrArray) kb_ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  stmt = confab_database_prepare (db,
                                  "SELECT ak.knowledge_base_id FROM agent_knowledge ak "
                                  "JOIN knowledge_bases kb ON kb.id = ak.knowledge_base_id "
                                  "WHERE ak.agent_id = ? AND kb.is_active = 1 "
                                  "ORDER BY ak.knowledge_base_id",
                                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, confab_entity_get_id (CONFAB_ENTITY (agent)), -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (kb_ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (rc != SQLITE_DONE)
    {
      set_step_error (db, error);
      return NULL;
    }
  sqlite3_reset (g_steal_pointer (&stmt));
  g_ptr_array_add (kb_ids, NULL);

  return (GStrv) g_ptr_array_free (g_steal_pointer (&kb_ids), FALSE);
}

/* Hands the conversation to a person: a pending escalation (a resolved one
 * of an earlier hand-over is opened again) and the status "escalated". */
static gboolean
escalate (ConfabDatabase  *db,
          const char      *conversation_id,
          const char      *reason,
          GError         **error)
{
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) local_error = NULL;

  escalation = confab_repository_find (db, CONFAB_TYPE_ESCALATION, "conversation_id",
                                       conversation_id, &local_error);
  if (escalation == NULL)
    {
      if (!g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      escalation = confab_escalation_new (conversation_id, reason);
      /* Creating it marks the conversation escalated. */
      return confab_repository_create (db, CONFAB_ENTITY (escalation), NULL, error);
    }

  confab_escalation_set_status (escalation, "pending");
  confab_escalation_set_supporter_id (escalation, NULL);
  confab_escalation_set_reason (escalation, reason);
  if (!confab_repository_update (db, CONFAB_ENTITY (escalation), NULL, error))
    return FALSE;

  conversation = confab_repository_get (db, CONFAB_TYPE_CONVERSATION, conversation_id, error);
  if (conversation == NULL)
    return FALSE;
  confab_conversation_set_status (conversation, "escalated");
  return confab_repository_update (db, CONFAB_ENTITY (conversation), NULL, error);
}

static gboolean
set_conversation_status (ConfabDatabase  *db,
                         const char      *conversation_id,
                         const char      *status,
                         GError         **error)
{
  g_autoptr (ConfabConversation) conversation = NULL;

  conversation = confab_repository_get (db, CONFAB_TYPE_CONVERSATION, conversation_id, error);
  if (conversation == NULL)
    return FALSE;
  confab_conversation_set_status (conversation, status);
  return confab_repository_update (db, CONFAB_ENTITY (conversation), NULL, error);
}

/* An agent by id, or by name when exactly one agent has it. */
static ConfabAgent *
find_agent (ConfabDatabase  *db,
            const char      *id_or_name,
            GError         **error)
{
  g_autoptr (GPtrArray) named = NULL;
  g_autoptr (GError) local_error = NULL;
  ConfabAgent *agent;

  agent = confab_repository_get (db, CONFAB_TYPE_AGENT, id_or_name, &local_error);
  if (agent != NULL)
    return agent;
  if (!g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  named = confab_repository_list (db, CONFAB_TYPE_AGENT, "name", id_or_name, error);
  if (named == NULL)
    return NULL;
  if (named->len == 1)
    return g_object_ref (g_ptr_array_index (named, 0));
  if (named->len == 0)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _("No agent with the id or name “%s” exists in this workspace"), id_or_name);
  else
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                 _("%u agents are called “%s”: name the agent by its id"),
                 named->len, id_or_name);
  return NULL;
}

/* ------------------------------------------------------------------------ */
/* Answers                                                                  */
/* ------------------------------------------------------------------------ */

static void
return_message (GTask         *task,
                ConfabMessage *message)
{
  g_task_return_pointer (task, message != NULL ? g_object_ref (message) : NULL, g_object_unref);
}

/* The rule set's answer, saved complete: a new message, or the one the
 * failed model was writing (llm_error is then its error). Applies the
 * rule's action, in the same transaction. */
static void
give_rule_answer (GTask           *task,
                  ConfabRuleMatch *match,
                  const char      *llm_error)
{
  Reply *reply = g_task_get_task_data (task);
  ConfabDatabase *db = reply->self->db;
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  const char *response = match->response;
  const char *answered_by = match->rule_index >= 0 ? "rule" : "fallback";
  gboolean reuse = reply->reply != NULL;

  if (!confab_database_begin (db, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (is_set (response))
    {
      if (reuse)
        message = g_object_ref (reply->reply);
      else
        {
          g_autofree char *parent_id = dup_reply_parent_id (db, reply);

          message = confab_message_new (reply->conversation_id, "assistant", response);
          confab_message_set_parent_message_id (message, parent_id);
        }
      confab_message_set_agent_id (message, confab_entity_get_id (CONFAB_ENTITY (reply->agent)));
      confab_message_set_content (message, response);
      confab_message_set_status (message, "complete");
      confab_message_set_model (message, RULES_MODEL);
      confab_message_set_error (message, llm_error);
      confab_message_set_source_references (message, "[]");
      confab_message_set_latency_ms (message, elapsed_ms (reply));
      if (!(reuse ? confab_repository_update (db, CONFAB_ENTITY (message), NULL, &error)
                  : confab_repository_create (db, CONFAB_ENTITY (message), NULL, &error)) ||
          !store_answer (db, message, answered_by, match->rule_name, &error))
        goto rollback;
    }

  if (g_strcmp0 (match->action, "escalate") == 0)
    {
      g_autofree char *reason = g_strdup_printf (_("Rule “%s” asked for a person"),
                                                 match->rule_name ? match->rule_name : "");

      if (!escalate (db, reply->conversation_id, reason, &error))
        goto rollback;
    }
  else if (g_strcmp0 (match->action, "end") == 0)
    {
      if (!set_conversation_status (db, reply->conversation_id, "ended", &error))
        goto rollback;
    }

  if (!confab_database_commit (db, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* A rule whose action needs no words (escalate, end) leaves no message. */
  if (message == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  if (reuse)
    emit (reply, CONFAB_RUNTIME_EVENT_REPLACE, response);
  else
    {
      emit (reply, CONFAB_RUNTIME_EVENT_STARTED, confab_entity_get_id (CONFAB_ENTITY (message)));
      emit (reply, CONFAB_RUNTIME_EVENT_DELTA, response);
    }
  emit (reply, CONFAB_RUNTIME_EVENT_DONE, confab_entity_get_id (CONFAB_ENTITY (message)));
  return_message (task, message);
  return;

rollback:
  confab_database_rollback (db);
  g_task_return_error (task, g_steal_pointer (&error));
}

/* The model could not answer (error is not a cancellation). A hybrid agent
 * or a handoff gives the rule set's answer; otherwise the reply is an error:
 * the message the model was writing, or a new one saying why. */
static void
llm_failed (GTask  *task,
            GError *error)
{
  Reply *reply = g_task_get_task_data (task);
  ConfabDatabase *db = reply->self->db;
  g_autoptr (GError) save_error = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  gboolean saved;

  g_debug ("The model of “%s” failed: %s",
           confab_agent_get_name (reply->llm_agent ? reply->llm_agent : reply->agent),
           error->message);

  if (reply->fallback != NULL && is_set (reply->fallback->response))
    {
      give_rule_answer (task, reply->fallback, error->message);
      g_error_free (error);
      return;
    }

  if (reply->reply != NULL)
    {
      message = g_object_ref (reply->reply);
      confab_message_set_content (message, reply->content ? reply->content->str : "");
    }
  else
    {
      g_autofree char *parent_id = dup_reply_parent_id (db, reply);
      ConfabAgent *speaker = reply->llm_agent ? reply->llm_agent : reply->agent;

      message = confab_message_new (reply->conversation_id, "assistant", "");
      confab_message_set_parent_message_id (message, parent_id);
      confab_message_set_agent_id (message, confab_entity_get_id (CONFAB_ENTITY (speaker)));
      if (reply->request != NULL)
        confab_message_set_model (message, confab_chat_request_get_model (reply->request));
    }
  confab_message_set_status (message, "error");
  confab_message_set_error (message, error->message);
  confab_message_set_latency_ms (message, elapsed_ms (reply));

  if (reply->reply != NULL)
    saved = confab_repository_update (db, CONFAB_ENTITY (message), NULL, &save_error);
  else
    saved = confab_repository_create (db, CONFAB_ENTITY (message), NULL, &save_error);
  if (!saved)
    g_debug ("Could not record the failed reply: %s", save_error->message);
  else
    {
      if (reply->reply == NULL)
        emit (reply, CONFAB_RUNTIME_EVENT_STARTED, confab_entity_get_id (CONFAB_ENTITY (message)));
      emit (reply, CONFAB_RUNTIME_EVENT_DONE, confab_entity_get_id (CONFAB_ENTITY (message)));
    }
  g_task_return_error (task, error);
}

/* Writes the text streamed so far, without an audit row: a checkpoint so a
 * crash loses at most a moment of the reply. The final save goes through
 * the repository (validated and audited once). */
static void
save_checkpoint (Reply *reply)
{
  ConfabDatabase *db = reply->self->db;
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *now = NULL;
  const char *id;

  g_clear_handle_id (&reply->save_source_id, g_source_remove);
  if (reply->reply == NULL || reply->content->len == reply->saved_len)
    return;

  id = confab_entity_get_id (CONFAB_ENTITY (reply->reply));
  now = confab_now_iso8601 ();
  stmt = confab_database_prepare (db,
                                  "UPDATE messages SET content = ?, updated_at = ? "
                                  "WHERE id = ? AND status = 'streaming'",
                                  &error);
  if (stmt != NULL)
    {
      sqlite3_bind_text (stmt, 1, reply->content->str, (int) reply->content->len,
                         SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, now, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 3, id, -1, SQLITE_TRANSIENT);
      confab_database_step_done (db, stmt, &error);
    }
  if (error != NULL)
    {
      /* The final save will try again; the reply goes on meanwhile. */
      g_debug ("Could not save the streamed reply %s: %s", id, error->message);
      return;
    }
  reply->saved_len = reply->content->len;
  reply->saved_at_us = g_get_monotonic_time ();
  confab_database_notify_change (db, "messages", id, "update");
}

static gboolean
on_save_timeout (gpointer user_data)
{
  Reply *reply = user_data;

  reply->save_source_id = 0;
  save_checkpoint (reply);
  return G_SOURCE_REMOVE;
}

static void
on_delta (const char *text,
          gpointer    user_data)
{
  GTask *task = user_data;
  Reply *reply = g_task_get_task_data (task);
  gint64 since_ms;

  g_string_append (reply->content, text);
  emit (reply, CONFAB_RUNTIME_EVENT_DELTA, text);

  since_ms = (g_get_monotonic_time () - reply->saved_at_us) / 1000;
  if (reply->content->len - reply->saved_len >= SAVE_CHARS || since_ms >= SAVE_INTERVAL_MS)
    save_checkpoint (reply);
  else if (reply->save_source_id == 0)
    reply->save_source_id = g_timeout_add ((guint) (SAVE_INTERVAL_MS - since_ms),
                                           on_save_timeout, reply);
}

/* A reply never holds more than a message may. */
static void
clamp_reply (GString *content)
{
  if (g_utf8_strlen (content->str, -1) > CONFAB_MESSAGE_MAX_REPLY)
    g_string_truncate (content, g_utf8_offset_to_pointer (content->str, CONFAB_MESSAGE_MAX_REPLY) -
                                content->str);
}

/* An LLM agent hands the conversation to a person by writing the marker
 * (its system prompt can tell it when); the marker is taken out of the
 * reply. TRUE when it was there. */
static gboolean
take_escalate_marker (GString *content)
{
  gboolean found = FALSE;
  char *at;

  while ((at = g_strstr_len (content->str, content->len, CONFAB_ESCALATE_MARKER)) != NULL)
    {
      g_string_erase (content, at - content->str, strlen (CONFAB_ESCALATE_MARKER));
      found = TRUE;
    }
  if (!found)
    return FALSE;

  g_strstrip (content->str);
  g_string_set_size (content, strlen (content->str));
  if (content->len == 0)
    g_string_assign (content, _("I am passing you to a person from our team."));
  return TRUE;
}

static void
on_title_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *title = confab_title_writer_write_finish (result, &error);

  /* A title is a nicety: a model that cannot write one changes nothing. */
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("No generated title: %s", error->message);
}

/* Titles cost a request: an agent asks for them with "generate_title": true
 * in its config. */
static gboolean
wants_titles (ConfabAgent *agent)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonNode *root;

  if (!json_parser_load_from_data (parser, confab_agent_get_config (agent), -1, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  return root != NULL && JSON_NODE_HOLDS_OBJECT (root) &&
         json_object_get_boolean_member_with_default (json_node_get_object (root),
                                                      "generate_title", FALSE);
}

/* After an LLM agent's first reply in a conversation still named after its
 * first message, the model names it (confab-title-writer.h). */
static void
maybe_write_title (Reply *reply)
{
  ConfabDatabase *db = reply->self->db;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autofree char *automatic = NULL;

  if (reply->turn != 0 || reply->provider == NULL || reply->request == NULL ||
      reply->llm_agent != reply->agent || !wants_titles (reply->agent))
    return;
  conversation = confab_repository_get (db, CONFAB_TYPE_CONVERSATION, reply->conversation_id,
                                        NULL);
  if (conversation == NULL || is_set (confab_conversation_get_team_id (conversation)))
    return;
  automatic = confab_message_make_title (confab_message_get_content (reply->user_message));
  if (!confab_str_equal0 (confab_conversation_get_title (conversation), automatic))
    return;

  confab_title_writer_write_async (db, reply->self->store,
                                   confab_entity_get_id (CONFAB_ENTITY (reply->provider)),
                                   confab_chat_request_get_model (reply->request),
                                   reply->conversation_id,
                                   confab_message_get_content (reply->user_message),
                                   reply->content->str, reply->self->background,
                                   on_title_written, NULL);
}

static void
on_chat_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Reply *reply = g_task_get_task_data (task);
  ConfabDatabase *db = reply->self->db;
  g_autoptr (ConfabChatResult) chat = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) save_error = NULL;
  ConfabMessage *message = reply->reply;
  gboolean wants_person = FALSE;
  const char *text;

  confab_llm_client_chat_finish (CONFAB_LLM_CLIENT (source), result, &chat, &error);
  g_clear_handle_id (&reply->save_source_id, g_source_remove);

  text = chat != NULL ? confab_chat_result_get_text (chat) : NULL;
  if (text != NULL && strlen (text) >= reply->content->len)
    g_string_assign (reply->content, text);
  clamp_reply (reply->content);

  if (chat != NULL)
    {
      const char *model = confab_chat_result_get_model (chat);
      gint64 tokens_in = confab_chat_result_get_tokens_in (chat);
      gint64 tokens_out = confab_chat_result_get_tokens_out (chat);

      if (is_set (model))
        confab_message_set_model (message, model);
      confab_message_set_tokens_in (message, (int) CLAMP (tokens_in, 0, G_MAXINT));
      confab_message_set_tokens_out (message, (int) CLAMP (tokens_out, 0, G_MAXINT));
    }
  confab_message_set_latency_ms (message, elapsed_ms (reply));

  if (error == NULL && reply->content->len == 0)
    error = g_error_new (CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                         _("The model of “%s” sent an empty reply"),
                         confab_agent_get_name (reply->llm_agent));

  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      llm_failed (task, g_steal_pointer (&error));
      return;
    }

  if (error == NULL && take_escalate_marker (reply->content))
    {
      wants_person = TRUE;
      emit (reply, CONFAB_RUNTIME_EVENT_REPLACE, reply->content->str);
    }

  confab_message_set_content (message, reply->content->str);
  if (error != NULL)
    confab_message_set_status (message, "cancelled");
  else
    {
      g_autofree char *references =
        confab_prompt_builder_cited_sources (reply->sources, reply->content->str);

      confab_message_set_status (message, "complete");
      confab_message_set_source_references (message, references);
    }

  if (!confab_database_begin (db, &save_error))
    goto failed;
  if (!confab_repository_update (db, CONFAB_ENTITY (message), NULL, &save_error) ||
      !store_answer (db, message, "model", NULL, &save_error) ||
      (wants_person && !escalate (db, reply->conversation_id, _("The agent asked for a person"),
                                  &save_error)))
    {
      confab_database_rollback (db);
      goto failed;
    }
  if (!confab_database_commit (db, &save_error))
    goto failed;

  emit (reply, CONFAB_RUNTIME_EVENT_DONE, confab_entity_get_id (CONFAB_ENTITY (message)));
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    {
      maybe_write_title (reply);
      return_message (task, message);
    }
  return;

failed:
  g_task_return_error (task, g_steal_pointer (&save_error));
}

static void
on_key_looked_up (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Reply *reply = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  GCancellable *cancellable = g_task_get_cancellable (task);
  char *key;

  key = confab_secret_store_lookup_finish (CONFAB_SECRET_STORE (source), result, &error);
  if (error != NULL && g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_KEYRING))
    {
      /* No keyring: local servers need no key, and one that does says so. */
      g_debug ("No keyring to look up the key of “%s” in: %s",
               confab_provider_get_name (reply->provider), error->message);
      g_clear_error (&error);
    }
  if (error == NULL)
    {
      reply->client = confab_llm_client_new_for_provider (reply->provider, key, &error);
      confab_secret_store_free_key (key);
    }
  if (error == NULL && g_cancellable_is_cancelled (cancellable))
    g_cancellable_set_error_if_cancelled (cancellable, &error);

  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* Stopped before the model was asked: an empty, cancelled reply. */
          g_autoptr (GError) save_error = NULL;

          confab_message_set_status (reply->reply, "cancelled");
          confab_message_set_latency_ms (reply->reply, elapsed_ms (reply));
          if (confab_repository_update (reply->self->db, CONFAB_ENTITY (reply->reply), NULL,
                                        &save_error))
            emit (reply, CONFAB_RUNTIME_EVENT_DONE,
                  confab_entity_get_id (CONFAB_ENTITY (reply->reply)));
          else
            g_debug ("Could not record the cancelled reply: %s", save_error->message);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      llm_failed (task, g_steal_pointer (&error));
      return;
    }

  reply->saved_at_us = g_get_monotonic_time ();
  confab_llm_client_chat_async (reply->client, reply->request, on_delta, task, cancellable,
                                on_chat_done, g_object_ref (task));
}

/* Has reply->llm_agent's model answer, once its knowledge is retrieved:
 * prepares the request, saves an empty streaming reply, then looks up the
 * key and streams. */
static void
start_llm_request (GTask *task)
{
  Reply *reply = g_task_get_task_data (task);
  ConfabAgent *llm_agent = reply->llm_agent;
  ConfabDatabase *db = reply->self->db;
  g_autoptr (ConfabPromptVersion) version = NULL;
  g_autoptr (GPtrArray) history = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *system = NULL;
  g_autofree char *parent_id = NULL;
  const char *provider_id;

  system = confab_prompt_builder_resolve_system (db, llm_agent, reply->variables, &version, &error);
  if (system == NULL)
    goto failed;

  provider_id = confab_prompt_builder_pick_provider_id (llm_agent, version);
  if (provider_id == NULL)
    {
      g_set_error (&error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The agent “%s” has no provider to answer with"),
                   confab_agent_get_name (llm_agent));
      goto failed;
    }
  reply->provider = confab_repository_get (db, CONFAB_TYPE_PROVIDER, provider_id, &error);
  if (reply->provider == NULL)
    goto failed;

  history = load_history (db, reply, &error);
  if (history == NULL)
    goto failed;
  reply->request = confab_prompt_builder_build (llm_agent, reply->provider, version, system,
                                                history, reply->text, reply->sources, NULL,
                                                &error);
  if (reply->request == NULL)
    goto failed;

  parent_id = dup_reply_parent_id (db, reply);
  reply->reply = confab_message_new (reply->conversation_id, "assistant", "");
  confab_message_set_parent_message_id (reply->reply, parent_id);
  confab_message_set_agent_id (reply->reply, confab_entity_get_id (CONFAB_ENTITY (llm_agent)));
  confab_message_set_status (reply->reply, "streaming");
  confab_message_set_model (reply->reply, confab_chat_request_get_model (reply->request));
  if (!confab_repository_create (db, CONFAB_ENTITY (reply->reply), NULL, &error))
    {
      g_clear_object (&reply->reply);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  reply->content = g_string_new (NULL);
  emit (reply, CONFAB_RUNTIME_EVENT_STARTED, confab_entity_get_id (CONFAB_ENTITY (reply->reply)));

  confab_secret_store_lookup_async (reply->self->store, provider_id,
                                    g_task_get_cancellable (task), on_key_looked_up,
                                    g_object_ref (task));
  return;

failed:
  llm_failed (task, g_steal_pointer (&error));
}

static void
on_retrieved (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Reply *reply = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  /* Fails on a database error only: a knowledge base's embedding provider
   * that cannot answer leaves the BM25 passages. */
  reply->sources = confab_knowledge_retrieve_finish (result, NULL, NULL, &error);
  if (reply->sources == NULL)
    {
      llm_failed (task, g_steal_pointer (&error));
      return;
    }
  start_llm_request (task);
}

/* Has llm_agent's model answer: first the top passages of its active
 * knowledge bases for the user's text (BM25, fused with vector similarity
 * for knowledge bases with an embedding model), then start_llm_request(). */
static void
start_llm (GTask       *task,
           ConfabAgent *llm_agent)
{
  Reply *reply = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) kb_ids = NULL;

  g_set_object (&reply->llm_agent, llm_agent);
  kb_ids = active_knowledge_bases (reply->self->db, llm_agent, &error);
  if (kb_ids == NULL)
    {
      llm_failed (task, g_steal_pointer (&error));
      return;
    }
  confab_knowledge_retrieve_async (reply->self->db, reply->self->store,
                                   (const char * const *) kb_ids, reply->text, RETRIEVE_TOP_K,
                                   g_task_get_cancellable (task), on_retrieved,
                                   g_object_ref (task));
}

/* The rule set's answer for the user's text, or NULL with error. */
static ConfabRuleMatch *
match_rules (Reply   *reply,
             GError **error)
{
  g_autoptr (ConfabRuleSet) rules = NULL;
  ConfabRuleMatch *match;

  rules = confab_rule_set_parse (confab_agent_get_config (reply->agent), error);
  if (rules == NULL)
    return NULL;
  match = confab_rule_set_match (rules, reply->text, reply->turn, reply->misses, reply->variables,
                                 error);
  return match;
}

/* Runs from an idle after reply_async, so no event is ever emitted from
 * inside the call that asked for the reply. */
static gboolean
dispatch (gpointer user_data)
{
  GTask *task = user_data;
  Reply *reply = g_task_get_task_data (task);
  const char *type = confab_agent_get_agent_type (reply->agent);
  g_autoptr (GError) error = NULL;
  ConfabRuleMatch *match;

  if (g_task_return_error_if_cancelled (task))
    return G_SOURCE_REMOVE;

  if (confab_str_equal0 (type, "llm"))
    {
      start_llm (task, reply->agent);
      return G_SOURCE_REMOVE;
    }

  match = match_rules (reply, &error);
  if (match == NULL)
    {
      if (error == NULL)
        error = g_error_new (CONFAB_ERROR, CONFAB_ERROR_INVALID,
                             _("The rules of the agent “%s” gave no answer"),
                             confab_agent_get_name (reply->agent));
      if (confab_str_equal0 (type, "hybrid"))
        {
          /* The model can still answer; it just has nothing to fall back on. */
          g_debug ("The rules of “%s” cannot be used: %s", confab_agent_get_name (reply->agent),
                   error->message);
          start_llm (task, reply->agent);
        }
      else
        llm_failed (task, g_steal_pointer (&error));
      return G_SOURCE_REMOVE;
    }

  /* A handoff: the agent the rule names answers this message, or a hybrid
   * agent's own model when it names none. */
  if (g_strcmp0 (match->action, "handoff") == 0)
    {
      g_autoptr (ConfabAgent) target = NULL;

      reply->fallback = match;
      if (is_set (match->handoff_agent))
        target = find_agent (reply->self->db, match->handoff_agent, &error);
      else if (confab_str_equal0 (type, "hybrid"))
        target = g_object_ref (reply->agent);
      else
        error = g_error_new (CONFAB_ERROR, CONFAB_ERROR_INVALID,
                             _("The rule “%s” hands off without naming an agent"),
                             match->rule_name ? match->rule_name : "");
      if (target != NULL && confab_str_equal0 (confab_agent_get_agent_type (target), "rule_based"))
        {
          g_clear_object (&target);
          error = g_error_new (CONFAB_ERROR, CONFAB_ERROR_INVALID,
                               _("The rule “%s” hands off to “%s”, which is not an LLM "
                                 "agent"),
                               match->rule_name ? match->rule_name : "", match->handoff_agent);
        }
      if (target == NULL)
        llm_failed (task, g_steal_pointer (&error));
      else
        start_llm (task, target);
      return G_SOURCE_REMOVE;
    }

  /* A hybrid agent's model answers what no rule matched. */
  if (confab_str_equal0 (type, "hybrid") && match->rule_index < 0)
    {
      reply->fallback = match;
      start_llm (task, reply->agent);
      return G_SOURCE_REMOVE;
    }

  give_rule_answer (task, match, NULL);
  confab_rule_match_free (match);
  return G_SOURCE_REMOVE;
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */
/* ------------------------------------------------------------------------ */

/* Saves the user message; TRUE with *out_silent when a person holds the
 * conversation. */
static gboolean
save_user_message (ConfabAgentRuntime  *self,
                   Run                 *run,
                   const char          *user_id,
                   gboolean            *out_silent,
                   GError             **error)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabMessage) message = NULL;
  g_autofree char *parent_id = NULL;
  const char *status;

  if (!confab_database_begin (self->db, error))
    return FALSE;

  conversation = confab_repository_get (self->db, CONFAB_TYPE_CONVERSATION,
                                        run->conversation_id, error);
  if (conversation == NULL)
    goto rollback;

  message = confab_message_new (run->conversation_id, "user", run->text);
  if (run->edited_id != NULL)
    {
      g_autoptr (ConfabMessage) edited = NULL;

      edited = confab_repository_get (self->db, CONFAB_TYPE_MESSAGE, run->edited_id, error);
      if (edited == NULL)
        goto rollback;
      parent_id = g_strdup (confab_message_get_parent_message_id (edited));
      if (parent_id == NULL)
        confab_branch_mark_root (message);
    }
  else
    parent_id = dup_last_message_id (self->db, run->conversation_id);
  confab_message_set_parent_message_id (message, parent_id);
  confab_message_set_user_id (message, user_id);
  if (!confab_repository_create (self->db, CONFAB_ENTITY (message), user_id, error))
    goto rollback;

  /* Writing again in an ended or archived conversation opens it again. */
  status = confab_conversation_get_status (conversation);
  if (confab_str_equal0 (status, "ended") || confab_str_equal0 (status, "archived"))
    {
      confab_conversation_set_status (conversation, "active");
      if (!confab_repository_update (self->db, CONFAB_ENTITY (conversation), user_id, error))
        goto rollback;
    }

  if (!confab_database_commit (self->db, error))
    return FALSE;

  run->user_message = g_steal_pointer (&message);
  *out_silent = confab_str_equal0 (confab_conversation_get_status (conversation), "escalated");
  return TRUE;

rollback:
  confab_database_rollback (self->db);
  return FALSE;
}

/* The team and its active members, by position. */
static gboolean
load_team (ConfabAgentRuntime  *self,
           Run                 *run,
           const char          *team_id,
           GError             **error)
{
  g_autoptr (GPtrArray) members = NULL;

  run->team = confab_repository_get (self->db, CONFAB_TYPE_TEAM, team_id, error);
  if (run->team == NULL)
    return FALSE;
  members = confab_team_list_members (self->db, team_id, error);
  if (members == NULL)
    return FALSE;

  /* A switched-off member takes no part. */
  run->members = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < members->len; i++)
    {
      ConfabTeamMember *member = g_ptr_array_index (members, i);
      g_autoptr (ConfabAgent) agent = NULL;

      agent = confab_repository_get (self->db, CONFAB_TYPE_AGENT,
                                     confab_team_member_get_agent_id (member), error);
      if (agent == NULL)
        return FALSE;
      if (confab_agent_get_is_active (agent))
        g_ptr_array_add (run->members, g_steal_pointer (&agent));
    }
  if (run->members->len == 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The team “%s” has no active member to answer"),
                   confab_team_get_name (run->team));
      return FALSE;
    }
  return TRUE;
}

/* Checks the conversation, its agent or team and the user before anything
 * is written. */
static gboolean
prepare_run (ConfabAgentRuntime  *self,
             Run                 *run,
             const char          *user_id,
             char               **out_user_id,
             GError             **error)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  const char *agent_id;
  const char *team_id;

  if (run->text == NULL || !g_utf8_validate (run->text, -1, NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The message is not valid UTF-8 text"));
      return FALSE;
    }

  conversation = confab_repository_get (self->db, CONFAB_TYPE_CONVERSATION,
                                        run->conversation_id, error);
  if (conversation == NULL)
    return FALSE;

  agent_id = confab_conversation_get_agent_id (conversation);
  team_id = confab_conversation_get_team_id (conversation);
  if (is_set (agent_id))
    {
      run->agent = confab_repository_get (self->db, CONFAB_TYPE_AGENT, agent_id, error);
      if (run->agent == NULL)
        return FALSE;
      if (!confab_agent_get_is_active (run->agent))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("The agent “%s” is switched off: switch it on to chat with it"),
                       confab_agent_get_name (run->agent));
          return FALSE;
        }
    }
  else if (is_set (team_id))
    {
      if (!load_team (self, run, team_id, error))
        return FALSE;
    }
  else
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The conversation “%s” has no agent to answer"), run->conversation_id);
      return FALSE;
    }

  if (user_id == NULL)
    user_id = confab_conversation_get_user_id (conversation);
  run->user = confab_repository_get (self->db, CONFAB_TYPE_USER, user_id, error);
  if (run->user == NULL)
    return FALSE;

  *out_user_id = g_strdup (user_id);
  return TRUE;
}

/* One reply of the run: agent answers input (the user's text, or the
 * previous member's reply in a team run) with the machinery above. The
 * stored user message stays what the user wrote. */
static void
answer_async (GTask               *run_task,
              ConfabAgent         *agent,
              const char          *input,
              GAsyncReadyCallback  callback)
{
  Run *run = g_task_get_task_data (run_task);
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSource) idle = NULL;
  Reply *reply;

  task = g_task_new (run->self, g_task_get_cancellable (run_task), callback,
                     g_object_ref (run_task));
  g_task_set_source_tag (task, answer_async);
  /* A reply that was saved complete is returned as such, even when the
   * cancellable fired too late to stop it; the paths that stop say so. */
  g_task_set_check_cancellable (task, FALSE);

  reply = g_new0 (Reply, 1);
  reply->self = run->self;
  reply->on_event = run->on_event;
  reply->event_data = run->event_data;
  reply->conversation_id = g_strdup (run->conversation_id);
  reply->text = g_strdup (input);
  reply->agent = g_object_ref (agent);
  reply->user = g_object_ref (run->user);
  reply->user_message = g_object_ref (run->user_message);
  reply->parent_id = g_steal_pointer (&run->reply_parent_id);
  /* Latency: the first reply counts from the saved user message, the next
   * ones of a team run from when they start. */
  reply->started_us = run->n_replies == 0 ? run->started_us : g_get_monotonic_time ();
  g_task_set_task_data (task, reply, reply_free);

  if (!count_turns (run->self->db, reply, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  reply->variables = confab_prompt_builder_new_variables (reply->agent, reply->user, NULL);

  /* The answer, from the main loop. */
  idle = g_idle_source_new ();
  g_task_attach_source (task, idle, dispatch);
}

/* Whether agent's rules have a rule (not the fallback) for text. */
static gboolean
rules_match (Run         *run,
             ConfabAgent *agent,
             const char  *text)
{
  g_autoptr (ConfabRuleSet) rules = NULL;
  g_autoptr (GHashTable) variables = NULL;
  g_autoptr (GError) error = NULL;
  ConfabRuleMatch *match;
  gboolean matched;

  if (confab_str_equal0 (confab_agent_get_agent_type (agent), "llm"))
    return FALSE;
  rules = confab_rule_set_parse (confab_agent_get_config (agent), &error);
  if (rules == NULL)
    {
      g_debug ("The router skips “%s”: %s", confab_agent_get_name (agent), error->message);
      return FALSE;
    }
  variables = confab_prompt_builder_new_variables (agent, run->user, NULL);
  match = confab_rule_set_match (rules, text, 0, 0, variables, &error);
  if (match == NULL)
    {
      g_debug ("The router skips “%s”: %s", confab_agent_get_name (agent),
               error != NULL ? error->message : "no answer");
      return FALSE;
    }
  matched = match->rule_index >= 0;
  confab_rule_match_free (match);
  return matched;
}

/* router: the first member (by position) with a rule for the user's text;
 * LLM members have no rules and are passed over; when none matches, the
 * first member answers. */
static ConfabAgent *
pick_router_member (Run *run)
{
  if (run->routed != NULL)
    return run->routed;
  for (guint i = 0; i < run->members->len; i++)
    {
      ConfabAgent *agent = g_ptr_array_index (run->members, i);

      if (rules_match (run, agent, run->text))
        return agent;
    }
  return g_ptr_array_index (run->members, 0);
}

/* Who answers next, or NULL when the run is over.
 *   router       one reply, by pick_router_member () (or the member the
 *                LLM selector picked, see route_with_llm ())
 *   sequential   each member once, in order
 *   round_robin  the members in turn until max_turns replies (default
 *                DEFAULT_MAX_TURNS), or until a reply holds the team's stop
 *                phrase (on_answered ())
 * Every member after the first answers the previous reply. */
static ConfabAgent *
next_speaker (Run *run)
{
  const char *mode;
  guint max_turns;

  if (run->team == NULL)
    return run->n_replies == 0 ? run->agent : NULL;

  mode = confab_team_get_mode (run->team);
  if (confab_str_equal0 (mode, "sequential"))
    return run->n_replies < run->members->len ? g_ptr_array_index (run->members, run->n_replies)
                                              : NULL;
  if (confab_str_equal0 (mode, "round_robin"))
    {
      max_turns = confab_team_get_max_turns (run->team) > 0
                    ? (guint) confab_team_get_max_turns (run->team)
                    : DEFAULT_MAX_TURNS;
      return run->n_replies < max_turns
               ? g_ptr_array_index (run->members, run->n_replies % run->members->len)
               : NULL;
    }
  return run->n_replies == 0 ? pick_router_member (run) : NULL;
}

static void on_answered (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data);

/* Records how the LLM selector routed the message: the member, and when
 * its answer named nobody (or the model failed), that the first member
 * answered instead. */
static void
record_route (Run          *run,
              const char   *answer,
              gboolean      valid,
              const GError *failure)
{
  ConfabDatabase *db = run->self->db;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *details = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "member");
  json_builder_add_string_value (builder, confab_entity_get_id (CONFAB_ENTITY (run->routed)));
  json_builder_set_member_name (builder, "selector_answer");
  json_builder_add_string_value (builder, answer);
  json_builder_set_member_name (builder, "valid");
  json_builder_add_boolean_value (builder, valid);
  if (failure != NULL)
    {
      json_builder_set_member_name (builder, "error");
      json_builder_add_string_value (builder, failure->message);
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  details = json_to_string (root, FALSE);

  if (!confab_database_begin (db, &error) ||
      !confab_database_audit (db, confab_entity_get_id (CONFAB_ENTITY (run->user)), "team",
                              confab_entity_get_id (CONFAB_ENTITY (run->team)), "route",
                              details, &error) ||
      !confab_database_commit (db, &error))
    {
      if (error != NULL)
        g_warning ("Could not record how the team routed a message: %s", error->message);
      confab_database_rollback (db);
    }
}

static void run_next (GTask *task);

static void
on_routed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree char *answer = confab_llm_oneshot_finish (result, &error);
  int index = -1;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (answer != NULL)
    index = confab_team_router_match_answer (run->members, answer);
  /* A selector that fails or names nobody does not stop the team. */
  run->routed = g_object_ref (g_ptr_array_index (run->members, MAX (index, 0)));
  record_route (run, answer ? answer : "", index >= 0, error);
  run_next (task);
}

/* A router whose selector is "llm": asks the selector agent's model which
 * member answers, before the first reply. FALSE when the team routes by
 * rules (or has routed already). */
static gboolean
route_with_llm (GTask *task)
{
  Run *run = g_task_get_task_data (task);
  g_autofree char *selector = NULL;
  g_autofree char *selector_id = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (ConfabChatRequest) request = NULL;
  g_autoptr (GError) error = NULL;

  if (run->team == NULL || run->routed != NULL || run->n_replies > 0 ||
      !confab_str_equal0 (confab_team_get_mode (run->team), "router"))
    return FALSE;
  selector = confab_team_dup_setting (run->team, "selector");
  selector_id = confab_team_dup_setting (run->team, "selector_agent_id");
  if (!confab_str_equal0 (selector, "llm") || selector_id == NULL)
    return FALSE;

  agent = confab_repository_get (run->self->db, CONFAB_TYPE_AGENT, selector_id, &error);
  if (agent == NULL || confab_agent_get_provider_id (agent) == NULL)
    {
      run->routed = g_object_ref (g_ptr_array_index (run->members, 0));
      if (error == NULL)
        g_set_error (&error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                     _("The selector agent has no provider"));
      record_route (run, "", FALSE, error);
      return FALSE;
    }
  request = confab_team_router_build_request (agent, run->members, run->text);
  confab_llm_oneshot_async (run->self->db, run->self->store,
                            confab_agent_get_provider_id (agent), request,
                            g_task_get_cancellable (task), on_routed, g_object_ref (task));
  return TRUE;
}

/* Whether text holds the round robin team's stop phrase (any case). */
static gboolean
holds_stop_phrase (Run        *run,
                   const char *text)
{
  g_autofree char *phrase = NULL;
  g_autofree char *folded_phrase = NULL;
  g_autofree char *folded_text = NULL;

  if (run->team == NULL || !confab_str_equal0 (confab_team_get_mode (run->team), "round_robin"))
    return FALSE;
  phrase = confab_team_dup_setting (run->team, "stop_phrase");
  if (phrase == NULL || text == NULL)
    return FALSE;
  folded_phrase = g_utf8_casefold (phrase, -1);
  folded_text = g_utf8_casefold (text, -1);
  return strstr (folded_text, folded_phrase) != NULL;
}

static void
run_next (GTask *task)
{
  Run *run = g_task_get_task_data (task);
  ConfabAgent *speaker;

  if (route_with_llm (task))
    return;
  speaker = next_speaker (run);

  if (speaker == NULL)
    {
      return_message (task, run->last);
      return;
    }
  /* The first reply sees the cancellation itself (dispatch). */
  if (run->n_replies > 0 && g_task_return_error_if_cancelled (task))
    return;
  answer_async (task, speaker, run->input, on_answered);
}

static void
on_answered (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Run *run = g_task_get_task_data (task);
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (GError) error = NULL;
  const char *status;

  message = g_task_propagate_pointer (G_TASK (result), &error);
  if (error != NULL)
    {
      /* A failing member ends the run; the replies so far stay. */
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (message == NULL)
    {
      /* Silent: a rule's action that needed no words; nobody goes on, and
       * the run's newest reply (if any) is its answer. */
      return_message (task, run->last);
      return;
    }

  run->n_replies++;
  g_set_object (&run->last, message);
  g_free (run->input);
  run->input = g_strdup (confab_message_get_content (message));

  if (holds_stop_phrase (run, run->input))
    {
      return_message (task, run->last);
      return;
    }

  /* A rule that handed the conversation to a person or ended it ends the
   * run too. */
  if (run->team != NULL)
    {
      conversation = confab_repository_get (run->self->db, CONFAB_TYPE_CONVERSATION,
                                            run->conversation_id, &error);
      if (conversation == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      status = confab_conversation_get_status (conversation);
      if (confab_str_equal0 (status, "escalated") || confab_str_equal0 (status, "ended"))
        {
          return_message (task, run->last);
          return;
        }
    }
  run_next (task);
}

/* A run of one of the three kinds (a new message, an edit, a regenerated
 * reply); all finish with confab_agent_runtime_reply_finish(). */
static GTask *
new_run_task (ConfabAgentRuntime     *self,
              const char             *conversation_id,
              const char             *text,
              ConfabRuntimeEventFunc  on_event,
              gpointer                event_data,
              GCancellable           *cancellable,
              GAsyncReadyCallback     callback,
              gpointer                user_data)
{
  GTask *task;
  Run *run;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_agent_runtime_reply_async);
  /* A reply that was saved complete is returned as such, even when the
   * cancellable fired too late to stop it; the paths that stop say so. */
  g_task_set_check_cancellable (task, FALSE);

  run = g_new0 (Run, 1);
  run->self = self;
  run->on_event = on_event;
  run->event_data = event_data;
  run->conversation_id = g_strdup (conversation_id);
  run->text = g_strdup (text);
  run->input = g_strdup (text);
  g_task_set_task_data (task, run, run_free);
  return task;
}

/* 2. and 3. of the order of work, once the user message is saved. */
static void
answer_saved_message (GTask    *task,
                      gboolean  silent)
{
  Run *run = g_task_get_task_data (task);

  run->started_us = g_get_monotonic_time ();

  /* 2. A person holds the conversation: the agent stays silent. */
  if (silent)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }

  /* 3. The answers, one reply after the other. */
  run_next (task);
}

void
confab_agent_runtime_reply_async (ConfabAgentRuntime     *self,
                                  const char             *conversation_id,
                                  const char             *user_id,
                                  const char             *text,
                                  ConfabRuntimeEventFunc  on_event,
                                  gpointer                event_data,
                                  GCancellable           *cancellable,
                                  GAsyncReadyCallback     callback,
                                  gpointer                user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *writer_id = NULL;
  gboolean silent = FALSE;
  Run *run;

  g_return_if_fail (CONFAB_IS_AGENT_RUNTIME (self));
  g_return_if_fail (conversation_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = new_run_task (self, conversation_id, text, on_event, event_data, cancellable,
                       callback, user_data);
  run = g_task_get_task_data (task);

  /* 1. The user message, committed before anything can fail. */
  if (!prepare_run (self, run, user_id, &writer_id, &error) ||
      !save_user_message (self, run, writer_id, &silent, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  answer_saved_message (task, silent);
}

static gboolean
check_role (ConfabMessage  *message,
            const char     *role,
            GError        **error)
{
  if (confab_str_equal0 (confab_message_get_role (message), role))
    return TRUE;
  if (confab_str_equal0 (role, "user"))
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                 _("Only what a person wrote can be edited"));
  else
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                 _("Only an agent’s reply can be regenerated"));
  return FALSE;
}

void
confab_agent_runtime_edit_async (ConfabAgentRuntime     *self,
                                 const char             *message_id,
                                 const char             *text,
                                 ConfabRuntimeEventFunc  on_event,
                                 gpointer                event_data,
                                 GCancellable           *cancellable,
                                 GAsyncReadyCallback     callback,
                                 gpointer                user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabMessage) edited = NULL;
  g_autofree char *writer_id = NULL;
  gboolean silent = FALSE;
  Run *run;

  g_return_if_fail (CONFAB_IS_AGENT_RUNTIME (self));
  g_return_if_fail (message_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  edited = confab_repository_get (self->db, CONFAB_TYPE_MESSAGE, message_id, &error);
  task = new_run_task (self, edited ? confab_message_get_conversation_id (edited) : NULL, text,
                       on_event, event_data, cancellable, callback, user_data);
  run = g_task_get_task_data (task);
  if (edited == NULL || !check_role (edited, "user", &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  run->edited_id = g_strdup (message_id);

  /* The edited message is written by whoever wrote the original. */
  if (!prepare_run (self, run, confab_message_get_user_id (edited), &writer_id, &error) ||
      !save_user_message (self, run, writer_id, &silent, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  answer_saved_message (task, silent);
}

/* The user message a reply answers: its nearest ancestor a person wrote (a
 * team's later replies answer the member before them). */
static ConfabMessage *
find_answered_message (ConfabDatabase  *db,
                       ConfabMessage   *reply,
                       GError         **error)
{
  g_autoptr (ConfabMessage) current = g_object_ref (reply);

  while (confab_message_get_parent_message_id (current) != NULL)
    {
      g_autoptr (ConfabMessage) parent = NULL;

      parent = confab_repository_get (db, CONFAB_TYPE_MESSAGE,
                                      confab_message_get_parent_message_id (current), error);
      if (parent == NULL)
        return NULL;
      if (confab_str_equal0 (confab_message_get_role (parent), "user"))
        return g_steal_pointer (&parent);
      g_set_object (&current, parent);
    }
  g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
               _("This reply answers no message, so it cannot be regenerated"));
  return NULL;
}

void
confab_agent_runtime_regenerate_async (ConfabAgentRuntime     *self,
                                       const char             *message_id,
                                       ConfabRuntimeEventFunc  on_event,
                                       gpointer                event_data,
                                       GCancellable           *cancellable,
                                       GAsyncReadyCallback     callback,
                                       gpointer                user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabMessage) old_reply = NULL;
  g_autoptr (ConfabMessage) answered = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autofree char *writer_id = NULL;
  Run *run;

  g_return_if_fail (CONFAB_IS_AGENT_RUNTIME (self));
  g_return_if_fail (message_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  old_reply = confab_repository_get (self->db, CONFAB_TYPE_MESSAGE, message_id, &error);
  if (old_reply != NULL && check_role (old_reply, "assistant", &error))
    answered = find_answered_message (self->db, old_reply, &error);
  task = new_run_task (self, old_reply ? confab_message_get_conversation_id (old_reply) : NULL,
                       answered ? confab_message_get_content (answered) : "",
                       on_event, event_data, cancellable, callback, user_data);
  run = g_task_get_task_data (task);
  if (answered == NULL ||
      !prepare_run (self, run, confab_message_get_user_id (answered), &writer_id, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  conversation = confab_repository_get (self->db, CONFAB_TYPE_CONVERSATION, run->conversation_id,
                                        &error);
  if (conversation == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The new reply is a sibling of the first reply to that message. */
  run->user_message = g_steal_pointer (&answered);
  run->reply_parent_id = g_strdup (confab_entity_get_id (CONFAB_ENTITY (run->user_message)));
  answer_saved_message (task, confab_str_equal0 (confab_conversation_get_status (conversation),
                                                 "escalated"));
}

ConfabMessage *
confab_agent_runtime_reply_finish (ConfabAgentRuntime  *self,
                                   GAsyncResult        *result,
                                   GError             **error)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_RUNTIME (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == confab_agent_runtime_reply_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

ConfabConversation *
confab_agent_runtime_start_team_conversation (ConfabAgentRuntime  *self,
                                              const char          *user_id,
                                              const char          *team_id,
                                              GError             **error)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabTeam) team = NULL;

  g_return_val_if_fail (CONFAB_IS_AGENT_RUNTIME (self), NULL);

  if (!confab_repository_require_row (self->db, "users", _("user"), user_id, error))
    return NULL;
  team = confab_repository_get (self->db, CONFAB_TYPE_TEAM, team_id, error);
  if (team == NULL)
    return NULL;

  conversation = confab_conversation_new (user_id);
  confab_conversation_set_team_id (conversation, team_id);
  if (!confab_repository_create (self->db, CONFAB_ENTITY (conversation), user_id, error))
    return NULL;
  return g_steal_pointer (&conversation);
}

ConfabConversation *
confab_agent_runtime_start_conversation (ConfabAgentRuntime  *self,
                                         const char          *user_id,
                                         const char          *agent_id,
                                         GError             **error)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabAgent) agent = NULL;

  g_return_val_if_fail (CONFAB_IS_AGENT_RUNTIME (self), NULL);

  if (!confab_repository_require_row (self->db, "users", _("user"), user_id, error))
    return NULL;
  agent = confab_repository_get (self->db, CONFAB_TYPE_AGENT, agent_id, error);
  if (agent == NULL)
    return NULL;

  conversation = confab_conversation_new (user_id);
  confab_conversation_set_agent_id (conversation, agent_id);
  if (!confab_repository_create (self->db, CONFAB_ENTITY (conversation), user_id, error))
    return NULL;
  return g_steal_pointer (&conversation);
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */
/* ------------------------------------------------------------------------ */

static void
confab_agent_runtime_constructed (GObject *object)
{
  ConfabAgentRuntime *self = CONFAB_AGENT_RUNTIME (object);

  G_OBJECT_CLASS (confab_agent_runtime_parent_class)->constructed (object);

  if (self->store == NULL)
    self->store = confab_secret_store_new ();
}

static void
confab_agent_runtime_dispose (GObject *object)
{
  ConfabAgentRuntime *self = CONFAB_AGENT_RUNTIME (object);

  g_cancellable_cancel (self->background);
  g_clear_object (&self->background);
  g_clear_object (&self->db);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (confab_agent_runtime_parent_class)->dispose (object);
}

static void
confab_agent_runtime_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  ConfabAgentRuntime *self = CONFAB_AGENT_RUNTIME (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      g_value_set_object (value, self->db);
      break;
    case PROP_SECRET_STORE:
      g_value_set_object (value, self->store);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_agent_runtime_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  ConfabAgentRuntime *self = CONFAB_AGENT_RUNTIME (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      self->db = g_value_dup_object (value);
      break;
    case PROP_SECRET_STORE:
      self->store = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_agent_runtime_class_init (ConfabAgentRuntimeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = confab_agent_runtime_constructed;
  object_class->dispose = confab_agent_runtime_dispose;
  object_class->get_property = confab_agent_runtime_get_property;
  object_class->set_property = confab_agent_runtime_set_property;

  properties[PROP_DATABASE] =
    g_param_spec_object ("database", NULL, NULL, CONFAB_TYPE_DATABASE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS |
                         G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SECRET_STORE] =
    g_param_spec_object ("secret-store", NULL, NULL, CONFAB_TYPE_SECRET_STORE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS |
                         G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_agent_runtime_init (ConfabAgentRuntime *self)
{
  self->background = g_cancellable_new ();
}

ConfabAgentRuntime *
confab_agent_runtime_new (ConfabDatabase    *db,
                          ConfabSecretStore *store)
{
  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (store == NULL || CONFAB_IS_SECRET_STORE (store), NULL);

  return g_object_new (CONFAB_TYPE_AGENT_RUNTIME, "database", db, "secret-store", store, NULL);
}

ConfabDatabase *
confab_agent_runtime_get_database (ConfabAgentRuntime *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_RUNTIME (self), NULL);
  return self->db;
}

ConfabSecretStore *
confab_agent_runtime_get_secret_store (ConfabAgentRuntime *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_RUNTIME (self), NULL);
  return self->store;
}

gboolean
confab_agent_runtime_escalate (ConfabAgentRuntime  *self,
                               const char          *conversation_id,
                               const char          *user_id,
                               const char          *reason,
                               GError             **error)
{
  g_autoptr (ConfabConversation) conversation = NULL;

  g_return_val_if_fail (CONFAB_IS_AGENT_RUNTIME (self), FALSE);
  g_return_val_if_fail (conversation_id != NULL, FALSE);

  if (!confab_database_begin (self->db, error))
    return FALSE;
  conversation = confab_repository_get (self->db, CONFAB_TYPE_CONVERSATION, conversation_id,
                                        error);
  if (conversation == NULL)
    goto rollback;
  if (confab_str_equal0 (confab_conversation_get_status (conversation), "escalated"))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("A person is already taking care of this conversation"));
      goto rollback;
    }
  if (!escalate (self->db, conversation_id, is_set (reason) ? reason
                                                            : _("The user asked for a person"),
                 error) ||
      !confab_database_audit (self->db, user_id, "conversation", conversation_id, "escalate",
                              NULL, error))
    goto rollback;
  return confab_database_commit (self->db, error);

rollback:
  confab_database_rollback (self->db);
  return FALSE;
}
