#include "config.h"

#include <json-glib/json-glib.h>

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

static void
test_order_and_filters (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) admin = confab_test_add_user (ws->db, "admin");
  g_autoptr (ConfabPrompt) p1 = confab_prompt_new ("first");
  g_autoptr (ConfabPrompt) p2 = confab_prompt_new ("second");
  g_autoptr (GPtrArray) all = NULL;
  g_autoptr (GPtrArray) prompts = NULL;
  g_autoptr (GPtrArray) one = NULL;
  g_autoptr (GPtrArray) by_id = NULL;
  g_autoptr (GPtrArray) limited = NULL;
  g_autoptr (GPtrArray) nothing = NULL;
  g_autoptr (GError) error = NULL;
  ConfabAuditEntry *entry;

  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (p1), id_of (admin), &error));
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (p2), id_of (admin), &error));
  confab_prompt_set_description (p1, "Greets people");
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (p1), id_of (admin), &error));
  g_assert_no_error (error);

  /* user create, p1 create, p2 create, p1 update: newest first. */
  all = confab_audit_list (ws->db, NULL, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (all->len, ==, 4);
  entry = g_ptr_array_index (all, 0);
  g_assert_cmpstr (confab_audit_entry_get_action (entry), ==, "update");
  g_assert_cmpstr (confab_audit_entry_get_entity (entry), ==, "prompt");
  g_assert_cmpstr (confab_audit_entry_get_entity_id (entry), ==, id_of (p1));
  g_assert_cmpstr (confab_audit_entry_get_actor_id (entry), ==, id_of (admin));
  entry = g_ptr_array_index (all, 3);
  g_assert_cmpstr (confab_audit_entry_get_entity (entry), ==, "user");
  g_assert_null (confab_audit_entry_get_actor_id (entry));
  for (guint i = 1; i < all->len; i++)
    {
      ConfabAuditEntry *newer = g_ptr_array_index (all, i - 1);
      ConfabAuditEntry *older = g_ptr_array_index (all, i);

      g_assert_cmpint (confab_audit_entry_get_id (newer), >, confab_audit_entry_get_id (older));
      g_assert_cmpstr (confab_audit_entry_get_at (newer), >=, confab_audit_entry_get_at (older));
    }

  prompts = confab_audit_list (ws->db, "prompt", NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (prompts->len, ==, 3);
  for (guint i = 0; i < prompts->len; i++)
    g_assert_cmpstr (confab_audit_entry_get_entity (g_ptr_array_index (prompts, i)), ==, "prompt");

  one = confab_audit_list (ws->db, "prompt", id_of (p1), 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (one->len, ==, 2);
  g_assert_cmpstr (confab_audit_entry_get_action (g_ptr_array_index (one, 0)), ==, "update");
  g_assert_cmpstr (confab_audit_entry_get_action (g_ptr_array_index (one, 1)), ==, "create");

  by_id = confab_audit_list (ws->db, NULL, id_of (p2), 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (by_id->len, ==, 1);
  g_assert_cmpstr (confab_audit_entry_get_entity_id (g_ptr_array_index (by_id, 0)), ==, id_of (p2));

  limited = confab_audit_list (ws->db, NULL, NULL, 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (limited->len, ==, 2);
  g_assert_cmpint (confab_audit_entry_get_id (g_ptr_array_index (limited, 0)), ==,
                   confab_audit_entry_get_id (g_ptr_array_index (all, 0)));

  nothing = confab_audit_list (ws->db, "agent", NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (nothing->len, ==, 0);
}

static void
test_entry_properties (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) admin = confab_test_add_user (ws->db, "admin");
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) details = NULL;
  g_autofree char *at = NULL;
  g_autofree char *entity = NULL;
  g_autofree char *entity_id = NULL;
  g_autofree char *action = NULL;
  g_autofree char *actor_id = NULL;
  g_autofree char *details_json = NULL;
  gint64 id = 0;
  JsonObject *fields;

  g_assert_true (confab_database_audit (ws->db, id_of (admin), "widget", "w-1", "polish",
                                        "{\"shine\": 3}", &error));
  g_assert_no_error (error);

  entries = confab_audit_list (ws->db, "widget", "w-1", 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 1);
  g_object_get (g_ptr_array_index (entries, 0),
                "id", &id, "at", &at, "actor-id", &actor_id, "entity", &entity,
                "entity-id", &entity_id, "action", &action, "details", &details_json,
                NULL);
  g_assert_cmpint (id, >, 0);
  g_assert_true (g_str_has_suffix (at, "Z"));
  g_assert_cmpstr (actor_id, ==, id_of (admin));
  g_assert_cmpstr (entity, ==, "widget");
  g_assert_cmpstr (entity_id, ==, "w-1");
  g_assert_cmpstr (action, ==, "polish");

  details = json_from_string (details_json, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (details), "shine"), ==, 3);
  g_clear_pointer (&details, json_node_unref);

  /* A create's details are a snapshot of the fields. */
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = confab_audit_list (ws->db, "user", id_of (admin), 0, &error);
  details = json_from_string (confab_audit_entry_get_details (g_ptr_array_index (entries, 0)),
                              &error);
  g_assert_no_error (error);
  fields = json_object_get_object_member (json_node_get_object (details), "fields");
  g_assert_cmpstr (json_object_get_string_member (fields, "username"), ==, "admin");
}

static void
test_long_text_not_logged (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabPrompt) prompt = confab_prompt_new ("secret-sauce");
  g_autoptr (ConfabPromptVersion) version = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;
  const char *details;

  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (prompt), NULL, &error));
  version = confab_prompt_save_version (ws->db, id_of (prompt), "The recipe is forty-two", "v1",
                                        NULL, &error);
  g_assert_no_error (error);

  entries = confab_audit_list (ws->db, "prompt_version", id_of (version), 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 1);
  details = confab_audit_entry_get_details (g_ptr_array_index (entries, 0));
  g_assert_null (strstr (details, "recipe"));
  g_assert_nonnull (strstr (details, "\"length\":23"));
  g_assert_nonnull (strstr (details, "\"version\":1"));
}

static void
test_same_transaction (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabPrompt) original = confab_prompt_new ("taken");
  g_autoptr (ConfabPrompt) duplicate = confab_prompt_new ("taken");
  g_autoptr (ConfabPrompt) rolled_back = confab_prompt_new ("never");
  g_autoptr (ConfabKnowledgeBase) kb = confab_knowledge_base_new ("");
  g_autoptr (ConfabPromptVersion) failed = NULL;
  g_autoptr (GError) error = NULL;
  gint64 before;

  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (original), NULL, &error));
  g_assert_no_error (error);
  before = confab_test_count_rows (ws->db, "SELECT count(*) FROM audit_log");
  g_assert_cmpint (before, ==, 1);

  /* Refused writes leave no trail. */
  g_assert_false (confab_repository_create (ws->db, CONFAB_ENTITY (duplicate), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_false (confab_repository_create (ws->db, CONFAB_ENTITY (kb), NULL, &error));
  g_clear_error (&error);
  failed = confab_prompt_save_version (ws->db, id_of (original), "", NULL, NULL, &error);
  g_assert_null (failed);
  g_clear_error (&error);
  g_assert_false (confab_prompt_set_label (ws->db, id_of (original), "latest", "x", NULL, &error));
  g_clear_error (&error);
  assert_rows (ws->db, before, "SELECT count(*) FROM audit_log");

  /* A write that succeeds inside an outer transaction that is rolled back
   * takes its audit row with it. */
  g_assert_true (confab_database_begin (ws->db, &error));
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (rolled_back), NULL, &error));
  g_assert_no_error (error);
  assert_rows (ws->db, before + 1, "SELECT count(*) FROM audit_log");
  confab_database_rollback (ws->db);
  assert_rows (ws->db, before, "SELECT count(*) FROM audit_log");
  assert_rows (ws->db, 0, "SELECT count(*) FROM prompts WHERE name = 'never'");
}

static void
test_readable_after_write (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) user = NULL;

  /* Audit rows are readable as soon as the write returns. */
  before = confab_audit_list (ws->db, NULL, NULL, 0, &error);
  g_assert_cmpuint (before->len, ==, 0);
  user = confab_test_add_user (ws->db, "someone");
  after = confab_audit_list (ws->db, NULL, NULL, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after->len, ==, 1);
  g_assert_cmpstr (confab_audit_entry_get_entity_id (g_ptr_array_index (after, 0)), ==,
                   id_of (user));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/audit/order-and-filters", test_order_and_filters);
  g_test_add_func ("/confab/audit/entry-properties", test_entry_properties);
  g_test_add_func ("/confab/audit/long-text-not-logged", test_long_text_not_logged);
  g_test_add_func ("/confab/audit/same-transaction", test_same_transaction);
  g_test_add_func ("/confab/audit/readable-after-write", test_readable_after_write);
  return g_test_run ();
}
