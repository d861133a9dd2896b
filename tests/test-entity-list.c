#include "config.h"

#include "confab-test-util.h"

typedef struct
{
  guint emissions;
  guint position;
  guint removed;
  guint added;
} Changes;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    data)
{
  Changes *c = data;

  c->emissions++;
  c->position = position;
  c->removed = removed;
  c->added = added;
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    data)
{
  (*(guint *) data)++;
}

static void
test_live (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) bob = confab_test_add_user (ws->db, "bob");
  g_autoptr (GListModel) list = confab_repository_list_model (ws->db, CONFAB_TYPE_USER, NULL, NULL);
  g_autoptr (GListModel) other = confab_repository_list_model (ws->db, CONFAB_TYPE_USER, NULL, NULL);
  g_autoptr (ConfabUser) held = NULL;
  g_autoptr (ConfabUser) first = NULL;
  g_autoptr (GError) error = NULL;
  Changes c = { 0 }, c2 = { 0 };
  guint notifies = 0;

  g_assert_true (g_list_model_get_item_type (list) == CONFAB_TYPE_USER);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 1);
  g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed), &c);
  g_signal_connect (other, "items-changed", G_CALLBACK (on_items_changed), &c2);

  /* "alice" sorts before "bob": inserted at 0, in every open list. */
  g_object_unref (confab_test_add_user (ws->db, "alice"));
  confab_test_drain_main_loop ();
  g_assert_cmpuint (c.emissions, ==, 1);
  g_assert_cmpuint (c.position, ==, 0);
  g_assert_cmpuint (c.removed, ==, 0);
  g_assert_cmpuint (c.added, ==, 1);
  g_assert_cmpuint (c2.emissions, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 2);

  /* An edit that keeps the order updates the object views hold, in place. */
  held = g_list_model_get_item (list, 1);
  g_assert_cmpstr (confab_user_get_username (held), ==, "bob");
  g_signal_connect (held, "notify::sector", G_CALLBACK (on_notify), &notifies);
  confab_user_set_sector (bob, "finance");
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (bob), NULL, &error));
  g_assert_no_error (error);
  confab_test_drain_main_loop ();
  g_assert_cmpuint (c.emissions, ==, 1);
  g_assert_cmpuint (notifies, ==, 1);
  g_assert_cmpstr (confab_user_get_sector (held), ==, "finance");

  /* A burst of writes costs one reload and one emission. */
  g_object_unref (confab_test_add_user (ws->db, "carol"));
  g_object_unref (confab_test_add_user (ws->db, "dave"));
  g_object_unref (confab_test_add_user (ws->db, "erin"));
  confab_test_drain_main_loop ();
  g_assert_cmpuint (c.emissions, ==, 2);
  g_assert_cmpuint (c.position, ==, 2);
  g_assert_cmpuint (c.added, ==, 3);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 5);

  /* Delete. */
  first = g_list_model_get_item (list, 0);
  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_USER,
                                           confab_entity_get_id (CONFAB_ENTITY (first)), NULL, &error));
  confab_test_drain_main_loop ();
  g_assert_cmpuint (c.emissions, ==, 3);
  g_assert_cmpuint (c.position, ==, 0);
  g_assert_cmpuint (c.removed, ==, 1);
  g_assert_cmpuint (c.added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (list), ==, 4);
  g_assert_null (g_list_model_get_item (list, 4));
}

static void
test_filtered (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) op = confab_user_new ("operator1", "op@example.com");
  g_autoptr (GListModel) operators = confab_repository_list_model (ws->db, CONFAB_TYPE_USER, "role", "operator");
  g_autoptr (GError) error = NULL;
  Changes c = { 0 };

  g_signal_connect (operators, "items-changed", G_CALLBACK (on_items_changed), &c);
  g_object_unref (confab_test_add_user (ws->db, "client1"));
  confab_test_drain_main_loop ();
  g_assert_cmpuint (c.emissions, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (operators), ==, 0);

  confab_user_set_role (op, "operator");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (op), NULL, &error));
  confab_test_drain_main_loop ();
  g_assert_cmpuint (c.emissions, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (operators), ==, 1);
}

static void
test_dispose_with_pending_reload (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  GListModel *list = confab_repository_list_model (ws->db, CONFAB_TYPE_USER, NULL, NULL);

  /* A list dropped before its idle reload runs must not be touched later. */
  g_object_unref (confab_test_add_user (ws->db, "late"));
  g_object_unref (list);
  confab_test_drain_main_loop ();
  g_object_unref (confab_test_add_user (ws->db, "later"));
  confab_test_drain_main_loop ();
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM users"), ==, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/entity-list/live", test_live);
  g_test_add_func ("/confab/entity-list/filtered", test_filtered);
  g_test_add_func ("/confab/entity-list/dispose-pending", test_dispose_with_pending_reload);
  return g_test_run ();
}
