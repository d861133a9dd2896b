#include "config.h"

#include "confab-test-util.h"

static void
assert_rows (ConfabDatabase *db,
             gint64          expected,
             const char     *sql)
{
  gint64 n = confab_test_count_rows (db, sql);

  if (n != expected)
    g_error ("%s: %" G_GINT64_FORMAT " rows, expected %" G_GINT64_FORMAT, sql, n, expected);
}

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

/* Conversations belong to another module: write the row directly. */
static char *
add_conversation (ConfabDatabase *db,
                  const char     *user_id)
{
  g_autofree char *now = confab_now_iso8601 ();
  char *id = confab_new_id ();
  char *sql = sqlite3_mprintf ("INSERT INTO conversations "
                               "(id, user_id, title, status, created_at, updated_at) "
                               "VALUES (%Q, %Q, 'Help me', 'active', %Q, %Q)",
                               id, user_id, now, now);
  char *errmsg = NULL;

  if (sqlite3_exec (confab_database_get_handle (db), sql, NULL, NULL, &errmsg) != SQLITE_OK)
    g_error ("Could not add a conversation: %s", errmsg);
  sqlite3_free (sql);
  return id;
}

static char *
conversation_status (ConfabDatabase *db,
                     const char     *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;

  stmt = confab_database_prepare (db, "SELECT status FROM conversations WHERE id = ?", &error);

  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

static ConfabUser *
add_user_with_role (ConfabDatabase *db,
                    const char     *username,
                    const char     *role)
{
  g_autoptr (GError) error = NULL;
  ConfabUser *user = confab_test_add_user (db, username);

  confab_user_set_role (user, role);
  g_assert_true (confab_repository_update (db, CONFAB_ENTITY (user), NULL, &error));
  g_assert_no_error (error);
  return user;
}

static void
on_changed (ConfabDatabase *db,
            const char     *table,
            const char     *id,
            const char     *action,
            gpointer        data)
{
  guint *count = data;
  (*count)++;
}

static void
test_create_escalates_conversation (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) client = confab_test_add_user (ws->db, "client");
  g_autoptr (ConfabUser) operator = add_user_with_role (ws->db, "operator", "operator");
  g_autofree char *conversation = add_conversation (ws->db, id_of (client));
  g_autoptr (ConfabEscalation) escalation = confab_escalation_new (conversation, "Wants a human");
  g_autoptr (ConfabEscalation) loaded = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *status = NULL;
  guint conversation_changes = 0;

  g_signal_connect (ws->db, "changed::conversations", G_CALLBACK (on_changed),
                    &conversation_changes);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (escalation), id_of (operator),
                                           &error));
  g_assert_no_error (error);
  g_assert_cmpuint (conversation_changes, ==, 1);

  status = conversation_status (ws->db, conversation);
  g_assert_cmpstr (status, ==, "escalated");

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_ESCALATION, id_of (escalation), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_escalation_get_conversation_id (loaded), ==, conversation);
  g_assert_cmpstr (confab_escalation_get_reason (loaded), ==, "Wants a human");
  g_assert_cmpstr (confab_escalation_get_status (loaded), ==, "pending");
  g_assert_null (confab_escalation_get_supporter_id (loaded));
  g_assert_null (confab_escalation_get_resolved_at (loaded));

  /* Both changes are in the trail. */
  assert_rows (ws->db, 1, "SELECT count(*) FROM audit_log WHERE entity = 'escalation' "
                          "AND action = 'create'");
  assert_rows (ws->db, 1, "SELECT count(*) FROM audit_log WHERE entity = 'conversation' "
                          "AND action = 'update' "
                          "AND json_extract (details, '$.changed.status.from') = 'active' "
                          "AND json_extract (details, '$.changed.status.to') = 'escalated'");
}

static void
test_unique_per_conversation (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) client = confab_test_add_user (ws->db, "client");
  g_autofree char *conversation = add_conversation (ws->db, id_of (client));
  g_autoptr (ConfabEscalation) first = confab_escalation_new (conversation, "First");
  g_autoptr (ConfabEscalation) second = confab_escalation_new (conversation, "Second");
  g_autoptr (GError) error = NULL;
  gint64 audits;

  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (first), NULL, &error));
  g_assert_no_error (error);

  audits = confab_test_count_rows (ws->db, "SELECT count(*) FROM audit_log");
  g_assert_false (confab_repository_create (ws->db, CONFAB_ENTITY (second), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "already escalated"));
  g_assert_nonnull (strstr (error->message, conversation));
  g_assert_null (id_of (second));
  assert_rows (ws->db, 1, "SELECT count(*) FROM escalations");
  assert_rows (ws->db, audits, "SELECT count(*) FROM audit_log");
}

static void
expect_refused (ConfabDatabase   *db,
                ConfabEscalation *escalation,
                int               code,
                const char       *needle)
{
  g_autoptr (GError) error = NULL;
  gint64 audits = confab_test_count_rows (db, "SELECT count(*) FROM audit_log");
  gint64 escalated = confab_test_count_rows (db, "SELECT count(*) FROM conversations "
                                                 "WHERE status = 'escalated'");

  g_assert_false (confab_repository_create (db, CONFAB_ENTITY (escalation), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, code);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("“%s” does not name “%s”", error->message, needle);
  assert_rows (db, 0, "SELECT count(*) FROM escalations");
  assert_rows (db, audits, "SELECT count(*) FROM audit_log");
  /* The conversation keeps its status when the escalation is refused. */
  assert_rows (db, escalated, "SELECT count(*) FROM conversations WHERE status = 'escalated'");
}

static void
test_validation (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) client = confab_test_add_user (ws->db, "client");
  g_autoptr (ConfabUser) admin = add_user_with_role (ws->db, "boss", "admin");
  g_autofree char *conversation = add_conversation (ws->db, id_of (client));
  g_autoptr (ConfabEscalation) e = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *long_reason = g_strnfill (10001, 'r');

  e = confab_escalation_new ("ghost-conversation", NULL);
  expect_refused (ws->db, e, CONFAB_ERROR_INVALID, "ghost-conversation");
  g_clear_object (&e);

  e = confab_escalation_new (NULL, NULL);
  expect_refused (ws->db, e, CONFAB_ERROR_INVALID, "conversation");
  g_clear_object (&e);

  e = confab_escalation_new (conversation, NULL);
  confab_escalation_set_supporter_id (e, id_of (client));
  expect_refused (ws->db, e, CONFAB_ERROR_INVALID, "client");
  confab_escalation_set_supporter_id (e, "ghost-user");
  expect_refused (ws->db, e, CONFAB_ERROR_INVALID, "ghost-user");
  confab_escalation_set_supporter_id (e, NULL);
  confab_escalation_set_status (e, "assigned");
  expect_refused (ws->db, e, CONFAB_ERROR_INVALID, "supporter");
  confab_escalation_set_status (e, "lost");
  expect_refused (ws->db, e, CONFAB_ERROR_INVALID, "lost");
  confab_escalation_set_status (e, "pending");
  confab_escalation_set_reason (e, long_reason);
  expect_refused (ws->db, e, CONFAB_ERROR_INVALID, "reason");

  /* An admin may take escalations too. */
  confab_escalation_set_reason (e, "Angry");
  confab_escalation_set_supporter_id (e, id_of (admin));
  confab_escalation_set_status (e, "assigned");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (e), NULL, &error));
  g_assert_no_error (error);
}

static void
test_status_and_resolution (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) client = confab_test_add_user (ws->db, "client");
  g_autoptr (ConfabUser) operator = add_user_with_role (ws->db, "operator", "operator");
  g_autofree char *conversation = add_conversation (ws->db, id_of (client));
  g_autofree char *conversation2 = add_conversation (ws->db, id_of (client));
  g_autoptr (ConfabEscalation) e = confab_escalation_new (conversation, "Help");
  g_autoptr (ConfabEscalation) loaded = NULL;
  g_autoptr (ConfabEscalation) born_resolved = NULL;
  g_autoptr (GListModel) queue = NULL;
  g_autoptr (ConfabEscalation) listed = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *resolved_at = NULL;

  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (e), NULL, &error));
  g_assert_no_error (error);
  queue = confab_repository_list_model (ws->db, CONFAB_TYPE_ESCALATION, NULL, NULL);
  listed = g_list_model_get_item (queue, 0);

  /* Assign. */
  confab_escalation_set_supporter_id (e, id_of (operator));
  confab_escalation_set_status (e, "assigned");
  g_assert_null (confab_escalation_get_resolved_at (e));
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (e), id_of (operator), &error));
  g_assert_no_error (error);

  /* Resolve: the time is stamped and stored. */
  confab_escalation_set_status (e, "resolved");
  g_assert_nonnull (confab_escalation_get_resolved_at (e));
  g_assert_true (g_str_has_suffix (confab_escalation_get_resolved_at (e), "Z"));
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (e), id_of (operator), &error));
  g_assert_no_error (error);
  loaded = confab_repository_get (ws->db, CONFAB_TYPE_ESCALATION, id_of (e), &error);
  g_assert_cmpstr (confab_escalation_get_status (loaded), ==, "resolved");
  g_assert_cmpstr (confab_escalation_get_resolved_at (loaded), ==,
                   confab_escalation_get_resolved_at (e));
  assert_rows (ws->db, 1, "SELECT count(*) FROM audit_log WHERE entity = 'escalation' "
                          "AND action = 'update' "
                          "AND json_extract (details, '$.changed.status.to') = 'resolved' "
                          "AND json_type (details, '$.changed.resolved_at.to') = 'text'");

  confab_test_drain_main_loop ();
  g_assert_cmpstr (confab_escalation_get_status (listed), ==, "resolved");
  g_assert_nonnull (confab_escalation_get_resolved_at (listed));
  g_clear_object (&loaded);

  /* Reopen, through g_object_set: the time is cleared. */
  g_object_set (e, "status", "pending", NULL);
  g_assert_null (confab_escalation_get_resolved_at (e));
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (e), NULL, &error));
  g_assert_no_error (error);
  loaded = confab_repository_get (ws->db, CONFAB_TYPE_ESCALATION, id_of (e), &error);
  g_assert_null (confab_escalation_get_resolved_at (loaded));

  /* An escalation stays with its conversation. */
  confab_escalation_set_conversation_id (e, conversation2);
  g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (e), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, conversation2));
  g_clear_error (&error);
  confab_escalation_set_conversation_id (e, conversation);

  /* A resolved time that disagrees with the status is refused. */
  confab_escalation_set_resolved_at (e, "2024-01-01T00:00:00.000Z");
  g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (e), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);

  /* Created resolved: stamped on insert. */
  born_resolved = g_object_new (CONFAB_TYPE_ESCALATION, "conversation-id", conversation2,
                                "status", "resolved", NULL);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (born_resolved), NULL, &error));
  g_assert_no_error (error);
  g_object_get (born_resolved, "resolved-at", &resolved_at, NULL);
  g_assert_nonnull (resolved_at);

  /* Deleting the conversation deletes its escalation. */
  {
    char *sql = sqlite3_mprintf ("DELETE FROM conversations WHERE id = %Q", conversation);

    g_assert_cmpint (sqlite3_exec (confab_database_get_handle (ws->db), sql, NULL, NULL, NULL), ==,
                     SQLITE_OK);
    sqlite3_free (sql);
    assert_rows (ws->db, 1, "SELECT count(*) FROM escalations");
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/escalations/create-escalates-conversation",
                   test_create_escalates_conversation);
  g_test_add_func ("/confab/escalations/unique-per-conversation", test_unique_per_conversation);
  g_test_add_func ("/confab/escalations/validation", test_validation);
  g_test_add_func ("/confab/escalations/status-and-resolution", test_status_and_resolution);
  return g_test_run ();
}
