#include "config.h"

#include <glib/gstdio.h>

#include "confab-test-util.h"

void
confab_test_remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    while ((name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *child = g_build_filename (path, name, NULL);

        if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
          confab_test_remove_tree (child);
        else
          g_unlink (child);
      }
  g_rmdir (path);
}

ConfabTestWorkspace *
confab_test_workspace_new (void)
{
  g_autoptr (GError) error = NULL;
  ConfabTestWorkspace *ws = g_new0 (ConfabTestWorkspace, 1);

  ws->dir = g_dir_make_tmp ("confab-test-XXXXXX", &error);
  g_assert_no_error (error);
  ws->path = g_build_filename (ws->dir, "test.confab", NULL);
  ws->db = confab_database_open (ws->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ws->db);
  return ws;
}

void
confab_test_workspace_free (ConfabTestWorkspace *ws)
{
  if (ws == NULL)
    return;
  g_clear_object (&ws->db);
  confab_test_remove_tree (ws->dir);
  g_free (ws->dir);
  g_free (ws->path);
  g_free (ws);
}

void
confab_test_drain_main_loop (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

ConfabUser *
confab_test_add_user (ConfabDatabase *db,
                      const char     *username)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *email = g_strdup_printf ("%s@example.com", username);
  ConfabUser *user = confab_user_new (username, email);

  confab_user_set_name (user, username);
  confab_repository_create (db, CONFAB_ENTITY (user), NULL, &error);
  g_assert_no_error (error);
  return user;
}

gint64
confab_test_count_rows (ConfabDatabase *db,
                        const char     *sql)
{
  g_autoptr (GError) error = NULL;
  gint64 n = confab_database_query_int (db, sql, NULL, &error);

  g_assert_no_error (error);
  return n;
}
