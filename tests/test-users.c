#include "config.h"

#include "confab-test-util.h"

static void
test_create_get (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) user = confab_user_new ("alice", "alice@example.com");
  g_autoptr (ConfabUser) loaded = NULL;

  confab_user_set_name (user, "Alice Liddell");
  confab_user_set_role (user, "admin");
  confab_user_set_sector (user, "retail");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (user), NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (confab_entity_get_id (CONFAB_ENTITY (user)));
  g_assert_true (g_uuid_string_is_valid (confab_entity_get_id (CONFAB_ENTITY (user))));
  g_assert_true (g_str_has_suffix (confab_entity_get_created_at (CONFAB_ENTITY (user)), "Z"));

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_USER, confab_entity_get_id (CONFAB_ENTITY (user)), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_user_get_name (loaded), ==, "Alice Liddell");
  g_assert_cmpstr (confab_user_get_username (loaded), ==, "alice");
  g_assert_cmpstr (confab_user_get_email (loaded), ==, "alice@example.com");
  g_assert_cmpstr (confab_user_get_role (loaded), ==, "admin");
  g_assert_cmpstr (confab_user_get_sector (loaded), ==, "retail");
  g_assert_null (confab_user_get_persona (loaded));
  g_assert_true (confab_user_get_is_active (loaded));
  g_assert_cmpstr (confab_entity_get_created_at (CONFAB_ENTITY (loaded)), ==,
                   confab_entity_get_created_at (CONFAB_ENTITY (user)));
}

static void
test_get_missing (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GError) error = NULL;
  gpointer missing = confab_repository_get (ws->db, CONFAB_TYPE_USER, "nope", &error);

  g_assert_null (missing);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "nope"));
}

static void
expect_invalid (ConfabDatabase *db,
                const char     *username,
                const char     *email,
                const char     *role,
                int             code,
                const char     *needle)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) user = confab_user_new (username, email);
  gint64 before = confab_test_count_rows (db, "SELECT count(*) FROM users");

  if (role != NULL)
    confab_user_set_role (user, role);
  g_assert_false (confab_repository_create (db, CONFAB_ENTITY (user), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, code);
  if (needle != NULL)
    g_assert_nonnull (strstr (error->message, needle));
  /* A refused create leaves no row and no id behind. */
  g_assert_cmpint (confab_test_count_rows (db, "SELECT count(*) FROM users"), ==, before);
  g_assert_null (confab_entity_get_id (CONFAB_ENTITY (user)));
}

static void
test_validation (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) alice = confab_test_add_user (ws->db, "alice");
  g_autofree char *long_name = g_strnfill (31, 'x');
  g_autofree char *exactly_30 = g_strnfill (30, 'y');
  g_autoptr (ConfabUser) thirty = NULL;

  expect_invalid (ws->db, "al", "al@example.com", NULL, CONFAB_ERROR_INVALID, "al");
  expect_invalid (ws->db, long_name, "x@example.com", NULL, CONFAB_ERROR_INVALID, "31");
  expect_invalid (ws->db, "bob", "not-an-email", NULL, CONFAB_ERROR_INVALID, "not-an-email");
  expect_invalid (ws->db, "bob", "bob@", NULL, CONFAB_ERROR_INVALID, "bob@");
  expect_invalid (ws->db, "bob", "bob..x@example.com", NULL, CONFAB_ERROR_INVALID, NULL);
  expect_invalid (ws->db, "bob", "bob@example.com", "superuser", CONFAB_ERROR_INVALID, "superuser");
  expect_invalid (ws->db, "bob", "ALICE@example.com", NULL, CONFAB_ERROR_CONFLICT, "ALICE@example.com");
  expect_invalid (ws->db, "alice", "other@example.com", NULL, CONFAB_ERROR_CONFLICT, "alice");
  expect_invalid (ws->db, "bad\xff", "bad@example.com", NULL, CONFAB_ERROR_INVALID, "UTF-8");

  thirty = confab_test_add_user (ws->db, exactly_30);
  g_assert_cmpstr (confab_user_get_username (thirty), ==, exactly_30);
}

static void
test_update_and_audit (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) admin = confab_test_add_user (ws->db, "admin");
  g_autoptr (ConfabUser) bob = confab_test_add_user (ws->db, "bob");
  g_autoptr (ConfabUser) loaded = NULL;
  g_autoptr (GError) error = NULL;
  const char *id = confab_entity_get_id (CONFAB_ENTITY (bob));
  const char *admin_id = confab_entity_get_id (CONFAB_ENTITY (admin));
  g_autoptr (ConfabStmt) stmt = NULL;

  confab_user_set_sector (bob, "health");
  confab_user_set_is_active (bob, FALSE);
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (bob), admin_id, &error));
  g_assert_no_error (error);

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_USER, id, &error);
  g_assert_cmpstr (confab_user_get_sector (loaded), ==, "health");
  g_assert_false (confab_user_get_is_active (loaded));

  stmt = confab_database_prepare (ws->db,
                                  "SELECT actor_id, action, json_extract (details, '$.changed.sector.to'), "
                                  "json_extract (details, '$.changed.is_active.from'), "
                                  "json_extract (details, '$.changed.email') "
                                  "FROM audit_log WHERE entity = 'user' AND entity_id = ? ORDER BY id",
                                  &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, "create");
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, admin_id);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, "update");
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 2), ==, "health");
  g_assert_cmpint (sqlite3_column_int (stmt, 3), ==, 1);
  g_assert_cmpint (sqlite3_column_type (stmt, 4), ==, SQLITE_NULL); /* unchanged fields are not listed */
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_reset (stmt);
  g_steal_pointer (&stmt);

  /* An update that changes nothing writes nothing. */
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (loaded), admin_id, &error));
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM audit_log WHERE action = 'update'"), ==, 1);

  /* An invalid update is refused and the stored row keeps its values. */
  confab_user_set_email (loaded, "admin@example.com");
  g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (loaded), admin_id, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users WHERE email = 'bob@example.com'"), ==, 1);
}

static void
test_delete (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) bob = confab_test_add_user (ws->db, "bob");
  g_autoptr (GError) error = NULL;
  const char *id = confab_entity_get_id (CONFAB_ENTITY (bob));

  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_USER, id, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_repository_count (ws->db, CONFAB_TYPE_USER, NULL, NULL, &error), ==, 0);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM audit_log WHERE action = 'delete' "
                                                   "AND json_extract (details, '$.fields.username') = 'bob'"), ==, 1);

  g_assert_false (confab_repository_delete (ws->db, CONFAB_TYPE_USER, id, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
}

static void
test_list_and_find (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) c = confab_test_add_user (ws->db, "carol");
  g_autoptr (ConfabUser) a = confab_test_add_user (ws->db, "alice");
  g_autoptr (ConfabUser) b = confab_test_add_user (ws->db, "bob");
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) admins = NULL;
  g_autoptr (ConfabUser) found = NULL;
  g_autoptr (GError) error = NULL;

  all = confab_repository_list (ws->db, CONFAB_TYPE_USER, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 3);
  g_assert_cmpstr (confab_user_get_username (g_ptr_array_index (all, 0)), ==, "alice");
  g_assert_cmpstr (confab_user_get_username (g_ptr_array_index (all, 2)), ==, "carol");

  admins = confab_repository_list (ws->db, CONFAB_TYPE_USER, "role", "admin", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (admins->len, ==, 0);

  found = confab_repository_find (ws->db, CONFAB_TYPE_USER, "username", "bob", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_entity_get_id (CONFAB_ENTITY (found)), ==, confab_entity_get_id (CONFAB_ENTITY (b)));
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    data)
{
  GPtrArray *names = data;
  g_ptr_array_add (names, g_strdup (pspec->name));
}

static void
test_notify (void)
{
  g_autoptr (ConfabUser) user = confab_user_new ("dora", "dora@example.com");
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *email = NULL;

  g_signal_connect (user, "notify", G_CALLBACK (on_notify), names);
  confab_user_set_sector (user, "travel");
  confab_user_set_sector (user, "travel"); /* same value: no notify */
  g_object_set (user, "email", "dora@example.org", NULL);
  g_assert_cmpuint (names->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, "sector");
  g_assert_cmpstr (g_ptr_array_index (names, 1), ==, "email");
  g_object_get (user, "email", &email, NULL);
  g_assert_cmpstr (email, ==, "dora@example.org");
}

static void
test_stale_object (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) created = confab_test_add_user (ws->db, "erin");
  const char *id = confab_entity_get_id (CONFAB_ENTITY (created));
  g_autoptr (ConfabUser) a = confab_repository_get (ws->db, CONFAB_TYPE_USER, id, NULL);
  g_autoptr (ConfabUser) b = confab_repository_get (ws->db, CONFAB_TYPE_USER, id, NULL);
  g_autoptr (ConfabUser) stored = NULL;
  g_autoptr (GError) error = NULL;

  /* Two editors hold the same user; each saves a different field. */
  confab_user_set_sector (a, "logistics");
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (a), NULL, &error));
  confab_user_set_persona (b, "night shift");
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (b), NULL, &error));
  g_assert_no_error (error);

  /* The second save did not put the old sector back, and b now shows it. */
  stored = confab_repository_get (ws->db, CONFAB_TYPE_USER, id, &error);
  g_assert_cmpstr (confab_user_get_sector (stored), ==, "logistics");
  g_assert_cmpstr (confab_user_get_persona (stored), ==, "night shift");
  g_assert_cmpstr (confab_user_get_sector (b), ==, "logistics");
  g_assert_false (confab_entity_is_dirty (CONFAB_ENTITY (b), g_object_class_find_property (G_OBJECT_GET_CLASS (b), "persona")));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/users/create-get", test_create_get);
  g_test_add_func ("/confab/users/get-missing", test_get_missing);
  g_test_add_func ("/confab/users/validation", test_validation);
  g_test_add_func ("/confab/users/update-audit", test_update_and_audit);
  g_test_add_func ("/confab/users/delete", test_delete);
  g_test_add_func ("/confab/users/list-find", test_list_and_find);
  g_test_add_func ("/confab/users/notify", test_notify);
  g_test_add_func ("/confab/users/stale-object", test_stale_object);
  return g_test_run ();
}
