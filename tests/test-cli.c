#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-test-util.h"

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs confab-cli with the arguments (NULL-terminated); --workspace first when ws is set. */
static void
cli (Run        *r,
     const char *workspace,
     ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  const char *exe = g_getenv ("CONFAB_CLI");
  int wait_status = 0;
  const char *arg;
  va_list args;

  g_assert_nonnull (exe);
  g_ptr_array_add (argv, (char *) exe);
  if (workspace != NULL)
    {
      g_ptr_array_add (argv, (char *) "--workspace");
      g_ptr_array_add (argv, (char *) workspace);
    }
  va_start (args, workspace);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  run_clear (r);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &r->out, &r->err, &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  r->status = WEXITSTATUS (wait_status);
}

static void
test_help_and_version (void)
{
  g_auto (Run) r = { 0 };
  const char *groups[][2] = {
    { "init", NULL }, { "users", "list" }, { "users", "add" }, { "agents", "list" },
    { "agents", "add" }, { "agents", "show" }, { "conversations", "list" },
    { "export", NULL }, { "import", NULL },
  };

  cli (&r, NULL, "--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "users"));
  g_assert_nonnull (strstr (r.out, "export"));

  cli (&r, NULL, "--version", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "confab-cli " PACKAGE_VERSION "\n");

  for (guint i = 0; i < G_N_ELEMENTS (groups); i++)
    {
      if (groups[i][1] != NULL)
        cli (&r, NULL, groups[i][0], groups[i][1], "--help", NULL);
      else
        cli (&r, NULL, groups[i][0], "--help", NULL);
      if (r.status != 0 || strstr (r.out, "Usage") == NULL)
        g_error ("“%s %s --help” exited %d: %s%s", groups[i][0], groups[i][1] ? groups[i][1] : "",
                 r.status, r.out, r.err);
    }

  cli (&r, NULL, "users", "--help", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, "add"));
}

static void
test_usage_errors (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_auto (Run) r = { 0 };

  cli (&r, NULL, NULL);
  g_assert_cmpint (r.status, ==, 2);
  cli (&r, ws->path, "frobnicate", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "frobnicate"));
  cli (&r, ws->path, "users", NULL);
  g_assert_cmpint (r.status, ==, 2);
  cli (&r, ws->path, "users", "remove-everyone", NULL);
  g_assert_cmpint (r.status, ==, 2);
  cli (&r, ws->path, "users", "add", "--username", "zed", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "--email"));
  cli (&r, ws->path, "users", "list", "--role", "emperor", NULL);
  g_assert_cmpint (r.status, ==, 2);
  cli (&r, ws->path, "users", "list", "--bogus", NULL);
  g_assert_cmpint (r.status, ==, 2);
  cli (&r, NULL, "--no-such-option", NULL);
  g_assert_cmpint (r.status, ==, 2);
}

static void
test_init_and_users (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = g_build_filename (ws->dir, "sub", "dir", "new.confab", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (Run) r = { 0 };
  g_autofree char *id = NULL;
  JsonArray *array;

  cli (&r, path, "init", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  cli (&r, path, "init", NULL);
  g_assert_cmpint (r.status, ==, 0);

  cli (&r, path, "users", "add", "--username", "alice", "--email", "alice@example.com",
       "--name", "Alice Doe", "--role", "admin", "--sector", "retail", NULL);
  g_assert_cmpint (r.status, ==, 0);
  id = g_strstrip (g_strdup (r.out));
  g_assert_true (g_uuid_string_is_valid (id));

  /* Validation errors reach stderr with exit 1, naming the value. */
  cli (&r, path, "users", "add", "--username", "bob", "--email", "bob-at-example", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "bob-at-example"));
  g_assert_cmpstr (r.out, ==, "");
  cli (&r, path, "users", "add", "--username", "alice", "--email", "other@example.com", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "alice"));

  cli (&r, path, "users", "list", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.out, id));
  g_assert_nonnull (strstr (r.out, "alice\tAlice Doe\talice@example.com\tadmin\tretail\tactive"));

  cli (&r, path, "users", "list", "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (array, 0), "email"), ==,
                   "alice@example.com");

  cli (&r, path, "users", "list", "--role", "client", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.out, ==, "");
}

static void
test_export_import (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *src = g_build_filename (ws->dir, "src.confab", NULL);
  g_autofree char *dst = g_build_filename (ws->dir, "dst.confab", NULL);
  g_autofree char *file = g_build_filename (ws->dir, "export.json", NULL);
  g_autofree char *contents = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (Run) r = { 0 };

  cli (&r, src, "users", "add", "-u", "carol", "-e", "carol@example.com", NULL);
  g_assert_cmpint (r.status, ==, 0);

  cli (&r, src, "export", NULL);
  g_assert_cmpint (r.status, ==, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (r.out, "carol@example.com"));

  cli (&r, src, "export", "--output", file, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "\"format\": \"confab-workspace\""));

  cli (&r, dst, "import", file, NULL);
  g_assert_cmpint (r.status, ==, 0);
  cli (&r, dst, "users", "list", NULL);
  g_assert_nonnull (strstr (r.out, "carol@example.com"));

  /* Importing twice would duplicate everything: refused. */
  cli (&r, dst, "import", file, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "not empty"));

  cli (&r, dst, "import", "/nonexistent/file.json", NULL);
  g_assert_cmpint (r.status, ==, 1);
  cli (&r, dst, "import", NULL);
  g_assert_cmpint (r.status, ==, 2);

  /* Exporting a workspace that does not exist must not create it. */
  {
    g_autofree char *ghost = g_build_filename (ws->dir, "ghost.confab", NULL);

    cli (&r, ghost, "export", NULL);
    g_assert_cmpint (r.status, ==, 1);
    g_assert_false (g_file_test (ghost, G_FILE_TEST_EXISTS));
  }
}

static void
test_bad_workspace (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *path = g_build_filename (ws->dir, "notes.txt", NULL);
  g_autofree char *after = NULL;
  g_auto (Run) r = { 0 };
  const char text[] = "shopping list: eggs, milk\n";

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  cli (&r, path, "users", "list", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "not a Confab workspace"));
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, text);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/cli/help-version", test_help_and_version);
  g_test_add_func ("/confab/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/confab/cli/init-users", test_init_and_users);
  g_test_add_func ("/confab/cli/export-import", test_export_import);
  g_test_add_func ("/confab/cli/bad-workspace", test_bad_workspace);
  return g_test_run ();
}
