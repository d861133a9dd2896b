/* test-escalation-desk.c: taking, answering and resolving escalations
 * (confab-escalation-desk.h), with their audit rows and errors.
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "confab-branch.h"
#include "confab-escalation-desk.h"
#include "confab-test-util.h"

#define ID(e) confab_entity_get_id (CONFAB_ENTITY (e))

typedef struct
{
  ConfabTestWorkspace *ws;
  ConfabUser          *client;
  ConfabUser          *operator;
  ConfabUser          *other; /* another operator */
  ConfabUser          *admin;
  char                *conversation_id;
  char                *first_message_id;
  char                *second_message_id;
  char                *escalation_id;
} Fixture;

static ConfabUser *
add_user_with_role (ConfabDatabase *db, const char *username, const char *role)
{
  g_autoptr (GError) error = NULL;
  ConfabUser *user = confab_test_add_user (db, username);

  confab_user_set_role (user, role);
  g_assert_true (confab_repository_update (db, CONFAB_ENTITY (user), NULL, &error));
  g_assert_no_error (error);
  return user;
}

static char *
add_message (ConfabDatabase *db, const char *conversation_id, const char *role, const char *content)
{
  g_autoptr (ConfabMessage) message = confab_message_new (conversation_id, role, content);
  g_autoptr (GError) error = NULL;

  g_assert_true (confab_repository_create (db, CONFAB_ENTITY (message), NULL, &error));
  g_assert_no_error (error);
  return g_strdup (ID (message));
}

static char *
query_text (ConfabDatabase *db, const char *sql, const char *arg)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, sql, &error);

  g_assert_no_error (error);
  if (arg != NULL)
    sqlite3_bind_text (stmt, 1, arg, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

static gint64
count_audit (Fixture *f, const char *action)
{
  g_autofree char *sql =
      g_strdup_printf ("SELECT count(*) FROM audit_log WHERE entity = 'escalation' "
                       "AND entity_id = '%s' AND action = '%s'",
                       f->escalation_id, action);

  return confab_test_count_rows (f->ws->db, sql);
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (GError) error = NULL;

  f->ws = confab_test_workspace_new ();
  f->client = confab_test_add_user (f->ws->db, "customer");
  f->operator= add_user_with_role (f->ws->db, "olga", "operator");
  f->other = add_user_with_role (f->ws->db, "oscar", "operator");
  f->admin = add_user_with_role (f->ws->db, "ada", "admin");

  conversation = g_object_new (CONFAB_TYPE_CONVERSATION, "user-id", ID (f->client), "title",
                               "Lost parcel", NULL);
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (conversation), NULL, &error));
  g_assert_no_error (error);
  f->conversation_id = g_strdup (ID (conversation));
  f->first_message_id = add_message (f->ws->db, f->conversation_id, "user", "Where is my parcel?");
  f->second_message_id =
      add_message (f->ws->db, f->conversation_id, "assistant", "Let me find a person for you.");

  escalation = confab_escalation_new (f->conversation_id, "The customer asked for a person");
  g_assert_true (confab_repository_create (f->ws->db, CONFAB_ENTITY (escalation), NULL, &error));
  g_assert_no_error (error);
  f->escalation_id = g_strdup (ID (escalation));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->client);
  g_clear_object (&f->operator);
  g_clear_object (&f->other);
  g_clear_object (&f->admin);
  g_free (f->conversation_id);
  g_free (f->first_message_id);
  g_free (f->second_message_id);
  g_free (f->escalation_id);
  confab_test_workspace_free (f->ws);
}

static void
assert_escalation (Fixture *f, const char *status, const char *supporter_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabEscalation) stored =
      confab_repository_get (f->ws->db, CONFAB_TYPE_ESCALATION, f->escalation_id, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (confab_escalation_get_status (stored), ==, status);
  g_assert_cmpstr (confab_escalation_get_supporter_id (stored), ==, supporter_id);
}

static void
test_lookup (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabEscalation) by_id = NULL;
  g_autoptr (ConfabEscalation) by_conversation = NULL;
  g_autoptr (ConfabEscalation) missing = NULL;
  g_autoptr (GError) error = NULL;

  by_id = confab_escalation_desk_lookup (f->ws->db, f->escalation_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ID (by_id), ==, f->escalation_id);
  by_conversation = confab_escalation_desk_lookup (f->ws->db, f->conversation_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ID (by_conversation), ==, f->escalation_id);

  missing = confab_escalation_desk_lookup (f->ws->db, "no-such-thing", &error);
  g_assert_null (missing);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "no-such-thing"));
}

static void
test_take (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabEscalation) taken = NULL;
  g_autoptr (GError) error = NULL;
  gint64 updates;

  /* A client cannot take it: the reason names them, and nothing changes. */
  taken = confab_escalation_desk_take (f->ws->db, f->escalation_id, ID (f->client), &error);
  g_assert_null (taken);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "customer"));
  g_assert_nonnull (strstr (error->message, "only operators and admins"));
  g_clear_error (&error);
  assert_escalation (f, "pending", NULL);
  g_assert_cmpint (count_audit (f, "update"), ==, 0);

  /* Nor somebody who does not exist. */
  taken = confab_escalation_desk_take (f->ws->db, f->escalation_id, "ghost", &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "ghost"));
  g_clear_error (&error);

  /* An operator takes it, by the conversation's id. */
  taken = confab_escalation_desk_take (f->ws->db, f->conversation_id, ID (f->operator), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ID (taken), ==, f->escalation_id);
  g_assert_cmpstr (confab_escalation_get_status (taken), ==, "assigned");
  assert_escalation (f, "assigned", ID (f->operator));
  g_assert_cmpint (confab_test_count_rows (f->ws->db,
                                           "SELECT count(*) FROM audit_log "
                                           "WHERE entity = 'escalation' AND action = 'update' "
                                           "AND json_extract (details, '$.changed.status.to') "
                                           "= 'assigned'"),
                   ==, 1);
  g_clear_object (&taken);

  /* Taking it again changes nothing, not even the trail. */
  updates = count_audit (f, "update");
  taken = confab_escalation_desk_take (f->ws->db, f->escalation_id, ID (f->operator), &error);
  g_assert_no_error (error);
  g_assert_cmpint (count_audit (f, "update"), ==, updates);
  g_clear_object (&taken);

  /* Another operator takes it over. */
  taken = confab_escalation_desk_take (f->ws->db, f->escalation_id, ID (f->other), &error);
  g_assert_no_error (error);
  assert_escalation (f, "assigned", ID (f->other));
  g_assert_cmpint (count_audit (f, "update"), ==, updates + 1);
}

static void
test_reply (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabEscalation) taken = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM messages "
                                          "WHERE conversation_id = '%s'",
                                          f->conversation_id);

  /* A client never answers as the team. */
  message =
      confab_escalation_desk_reply (f->ws->db, f->escalation_id, ID (f->client), "Hi", &error);
  g_assert_null (message);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "cannot answer escalations"));
  g_clear_error (&error);
  assert_escalation (f, "pending", NULL);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, sql), ==, 2);

  /* Answering a pending escalation takes it; the reply continues the
   * conversation's branch. */
  message = confab_escalation_desk_reply (f->ws->db, f->escalation_id, ID (f->operator),
                                          "Hello, Olga here: your parcel is at the depot.", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_message_get_role (message), ==, "supporter");
  g_assert_cmpstr (confab_message_get_user_id (message), ==, ID (f->operator));
  g_assert_cmpstr (confab_message_get_conversation_id (message), ==, f->conversation_id);
  g_assert_cmpstr (confab_message_get_parent_message_id (message), ==, f->second_message_id);
  assert_escalation (f, "assigned", ID (f->operator));
  g_assert_cmpint (confab_test_count_rows (f->ws->db, sql), ==, 3);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM audit_log WHERE "
                                                      "entity = 'message' AND action = 'create' "
                                                      "AND actor_id = (SELECT id FROM users "
                                                      "WHERE username = 'olga')"),
                   ==, 1);
  {
    g_autoptr (ConfabMessage) leaf = confab_branch_get_leaf (f->ws->db, f->conversation_id, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (ID (leaf), ==, ID (message));
  }
  g_clear_object (&message);

  /* Another operator must take it over before answering. */
  message =
      confab_escalation_desk_reply (f->ws->db, f->escalation_id, ID (f->other), "Me too", &error);
  g_assert_null (message);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "olga"));
  g_clear_error (&error);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, sql), ==, 3);

  /* An empty reply is refused by the message rules, and nothing is taken. */
  taken = confab_escalation_desk_take (f->ws->db, f->escalation_id, ID (f->other), &error);
  g_assert_no_error (error);
  message =
      confab_escalation_desk_reply (f->ws->db, f->escalation_id, ID (f->operator), "", &error);
  g_assert_null (message);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT);
  g_clear_error (&error);
  message = confab_escalation_desk_reply (f->ws->db, f->escalation_id, ID (f->other), "", &error);
  g_assert_null (message);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);
  assert_escalation (f, "assigned", ID (f->other));
  g_assert_cmpint (confab_test_count_rows (f->ws->db, sql), ==, 3);
}

/* A failed reply on a pending escalation leaves it pending: the take and
 * the message go together. */
static void
test_reply_rolls_back (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *too_long = g_strnfill (CONFAB_MESSAGE_MAX_CONTENT + 1, 'x');
  gint64           audits = confab_test_count_rows (f->ws->db, "SELECT count(*) FROM audit_log");

  message = confab_escalation_desk_reply (f->ws->db, f->escalation_id, ID (f->operator), too_long,
                                          &error);
  g_assert_null (message);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  assert_escalation (f, "pending", NULL);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM audit_log"), ==,
                   audits);
}

static void
test_resolve (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *status = NULL;
  g_autofree char *note = NULL;
  g_autofree char *actor = NULL;
  gboolean         reopened = TRUE;

  escalation = confab_escalation_desk_take (f->ws->db, f->escalation_id, ID (f->operator), &error);
  g_assert_no_error (error);
  g_clear_object (&escalation);

  /* A client cannot resolve it, nor an operator who does not hold it. */
  escalation = confab_escalation_desk_resolve (f->ws->db, f->escalation_id, ID (f->client), NULL,
                                               &reopened, &error);
  g_assert_null (escalation);
  g_assert_false (reopened);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "customer"));
  g_clear_error (&error);
  escalation = confab_escalation_desk_resolve (f->ws->db, f->escalation_id, ID (f->other), NULL,
                                               NULL, &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "olga"));
  g_clear_error (&error);
  /* A note longer than allowed is refused before anything is written. */
  {
    g_autofree char *long_note = g_strnfill (CONFAB_ESCALATION_DESK_MAX_NOTE + 1, 'n');

    escalation = confab_escalation_desk_resolve (f->ws->db, f->escalation_id, ID (f->operator),
                                                 long_note, NULL, &error);
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
    g_clear_error (&error);
  }
  assert_escalation (f, "assigned", ID (f->operator));
  g_assert_cmpint (count_audit (f, "resolve"), ==, 0);

  /* The holder resolves it with a note: the conversation is the agent's again. */
  escalation = confab_escalation_desk_resolve (f->ws->db, f->escalation_id, ID (f->operator),
                                               "  Parcel found at the depot  ", &reopened, &error);
  g_assert_no_error (error);
  g_assert_true (reopened);
  g_assert_cmpstr (confab_escalation_get_status (escalation), ==, "resolved");
  g_assert_nonnull (confab_escalation_get_resolved_at (escalation));
  status =
      query_text (f->ws->db, "SELECT status FROM conversations WHERE id = ?", f->conversation_id);
  g_assert_cmpstr (status, ==, "active");
  note = query_text (f->ws->db,
                     "SELECT json_extract (details, '$.note') FROM audit_log "
                     "WHERE entity = 'escalation' AND action = 'resolve' AND entity_id = ?",
                     f->escalation_id);
  g_assert_cmpstr (note, ==, "Parcel found at the depot");
  actor = query_text (f->ws->db,
                      "SELECT actor_id FROM audit_log WHERE entity = 'escalation' "
                      "AND action = 'update' AND entity_id = ? "
                      "AND json_extract (details, '$.changed.status.to') = 'resolved'",
                      f->escalation_id);
  g_assert_cmpstr (actor, ==, ID (f->operator));
  g_assert_cmpint (confab_test_count_rows (f->ws->db,
                                           "SELECT count(*) FROM audit_log "
                                           "WHERE entity = 'conversation' AND action = 'update' "
                                           "AND json_extract (details, '$.changed.status.to') "
                                           "= 'active'"),
                   ==, 1);
  g_clear_object (&escalation);

  /* Resolving twice, taking or answering a resolved one: refused, unchanged. */
  escalation = confab_escalation_desk_resolve (f->ws->db, f->escalation_id, ID (f->operator), NULL,
                                               NULL, &error);
  g_assert_null (escalation);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "already resolved"));
  g_clear_error (&error);
  escalation = confab_escalation_desk_take (f->ws->db, f->escalation_id, ID (f->other), &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT);
  g_clear_error (&error);
  {
    g_autoptr (ConfabMessage) message = confab_escalation_desk_reply (
        f->ws->db, f->escalation_id, ID (f->operator), "Still there?", &error);

    g_assert_null (message);
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT);
    g_clear_error (&error);
  }
  g_assert_cmpint (count_audit (f, "resolve"), ==, 1);
}

/* An admin may resolve what an operator holds; without a resolver, the
 * trail names the supporter. */
static void
test_resolve_by_admin_and_unnamed (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *actor = NULL;
  g_autofree char *note_type = NULL;

  escalation = confab_escalation_desk_take (f->ws->db, f->escalation_id, ID (f->operator), &error);
  g_assert_no_error (error);
  g_clear_object (&escalation);
  escalation =
      confab_escalation_desk_resolve (f->ws->db, f->escalation_id, ID (f->admin), "", NULL, &error);
  g_assert_no_error (error);
  actor = query_text (f->ws->db,
                      "SELECT actor_id FROM audit_log WHERE entity = 'escalation' "
                      "AND action = 'resolve' AND entity_id = ?",
                      f->escalation_id);
  g_assert_cmpstr (actor, ==, ID (f->admin));
  /* An empty note is no note. */
  note_type = query_text (f->ws->db,
                          "SELECT json_type (details, '$.note') FROM audit_log "
                          "WHERE entity = 'escalation' AND action = 'resolve' AND entity_id = ?",
                          f->escalation_id);
  g_assert_cmpstr (note_type, ==, "null");
}

static void
test_resolve_unnamed (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *actor = NULL;
  g_autofree char *status = NULL;
  gboolean         reopened = FALSE;

  escalation = confab_escalation_desk_take (f->ws->db, f->escalation_id, ID (f->other), &error);
  g_assert_no_error (error);
  g_clear_object (&escalation);

  /* The conversation was ended meanwhile: it stays ended. */
  {
    g_autoptr (ConfabConversation) conversation =
        confab_repository_get (f->ws->db, CONFAB_TYPE_CONVERSATION, f->conversation_id, &error);

    confab_conversation_set_status (conversation, "ended");
    g_assert_true (
        confab_repository_update (f->ws->db, CONFAB_ENTITY (conversation), NULL, &error));
    g_assert_no_error (error);
  }

  escalation =
      confab_escalation_desk_resolve (f->ws->db, f->escalation_id, NULL, NULL, &reopened, &error);
  g_assert_no_error (error);
  g_assert_false (reopened);
  actor = query_text (f->ws->db,
                      "SELECT actor_id FROM audit_log WHERE entity = 'escalation' "
                      "AND action = 'resolve' AND entity_id = ?",
                      f->escalation_id);
  g_assert_cmpstr (actor, ==, ID (f->other));
  status =
      query_text (f->ws->db, "SELECT status FROM conversations WHERE id = ?", f->conversation_id);
  g_assert_cmpstr (status, ==, "ended");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func)                                                                            \
  g_test_add ("/confab/escalation-desk/" path, Fixture, NULL, fixture_set_up, func,                \
              fixture_tear_down)
  ADD ("lookup", test_lookup);
  ADD ("take", test_take);
  ADD ("reply", test_reply);
  ADD ("reply-rolls-back", test_reply_rolls_back);
  ADD ("resolve", test_resolve);
  ADD ("resolve-by-admin", test_resolve_by_admin_and_unnamed);
  ADD ("resolve-unnamed", test_resolve_unnamed);
#undef ADD
  return g_test_run ();
}
