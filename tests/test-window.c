/* test-window.c: the main window shows the workspace's sections and counts.
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>

#include "confab-agents-page.h"
#include "confab-chats-page.h"
#include "confab-test-util.h"
#include "confab-window.h"

static void
exec_sql (ConfabDatabase *db,
          const char     *sql)
{
  char *message = NULL;
  int rc = sqlite3_exec (confab_database_get_handle (db), sql, NULL, NULL, &message);

  if (rc != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

/* created_at, updated_at */
#define TIMES "'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'"

static void
insert_sample_rows (ConfabDatabase *db)
{
  exec_sql (db,
            "INSERT INTO users (id, name, username, email, role, created_at, updated_at) VALUES"
            " ('u1', 'Ada', 'ada', 'ada@example.com', 'admin', " TIMES "),"
            " ('u2', 'Bob', 'bob', 'bob@example.com', 'operator', " TIMES "),"
            " ('u3', 'Cy', 'cyrus', 'cy@example.com', 'client', " TIMES ");"
            "INSERT INTO agents (id, name, type, created_at, updated_at) VALUES"
            " ('a1', 'Greeter', 'rule_based', " TIMES "),"
            " ('a2', 'Helper', 'llm', " TIMES ");"
            "INSERT INTO teams (id, name, created_at, updated_at) VALUES"
            " ('t1', 'Front desk', " TIMES ");"
            "INSERT INTO knowledge_bases (id, title, created_at, updated_at) VALUES"
            " ('k1', 'Handbook', " TIMES ");"
            "INSERT INTO conversations (id, user_id, agent_id, title, created_at, updated_at)"
            " VALUES"
            " ('c1', 'u3', 'a1', 'Hello', " TIMES "),"
            " ('c2', 'u3', 'a2', 'Refund', " TIMES ");"
            "INSERT INTO escalations (id, conversation_id, status, created_at, updated_at) VALUES"
            " ('e1', 'c1', 'resolved', " TIMES "),"
            " ('e2', 'c2', 'pending', " TIMES ");");
}

static ConfabWindow *
new_window (void)
{
  ConfabWindow *window = confab_window_new (NULL);

  gtk_window_present (GTK_WINDOW (window));
  return window;
}

/* Iterates the main loop until @label reads @expected, or fails after a few seconds. */
static void
wait_for_label (GtkLabel   *label,
                const char *expected)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

  while (g_strcmp0 (gtk_label_get_label (label), expected) != 0 &&
         g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);

  g_assert_cmpstr (gtk_label_get_label (label), ==, expected);
}

static void
assert_count (ConfabWindow  *window,
              ConfabSection  section,
              const char    *expected)
{
  GtkLabel *label = confab_window_get_count_label (window, section);

  g_assert_cmpstr (gtk_label_get_label (label), ==, expected);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (label)));
}

static void
test_window_counts (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  ConfabWindow *window;
  GtkLabel *pill;
  GtkLabel *label;
  AdwStatusPage *page;

  insert_sample_rows (ws->db);

  window = new_window ();
  confab_window_set_database (window, ws->db);
  g_assert_true (confab_window_get_database (window) == ws->db);

  assert_count (window, CONFAB_SECTION_CHATS, "2");
  assert_count (window, CONFAB_SECTION_AGENTS, "2");
  assert_count (window, CONFAB_SECTION_TEAMS, "1");
  assert_count (window, CONFAB_SECTION_PROMPTS, "0");
  assert_count (window, CONFAB_SECTION_KNOWLEDGE, "1");
  assert_count (window, CONFAB_SECTION_USERS, "3");

  /* Only the pending escalation counts, shown as a pill. */
  pill = confab_window_get_count_label (window, CONFAB_SECTION_ESCALATIONS);
  g_assert_cmpstr (gtk_label_get_label (pill), ==, "1");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (pill)));
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (pill), "count-pill"));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (pill), "dim-label"));
  label = confab_window_get_count_label (window, CONFAB_SECTION_USERS);
  g_assert_true (gtk_widget_has_css_class (GTK_WIDGET (label), "dim-label"));

  /* The content pane names the count, or says the section is empty. */
  confab_window_set_section (window, CONFAB_SECTION_AGENTS);
  page = confab_window_get_status_page (window);
  g_assert_cmpstr (adw_status_page_get_title (page), ==, "2 Agents");
  g_assert_cmpstr (adw_status_page_get_icon_name (page), ==, "confab-agents-symbolic");

  confab_window_set_section (window, CONFAB_SECTION_TEAMS);
  g_assert_cmpstr (adw_status_page_get_title (page), ==, "1 Team");

  confab_window_set_section (window, CONFAB_SECTION_PROMPTS);
  g_assert_cmpstr (adw_status_page_get_title (page), ==, "No Prompts Yet");
  g_assert_nonnull (adw_status_page_get_description (page));

  confab_window_set_section (window, CONFAB_SECTION_ESCALATIONS);
  g_assert_cmpstr (adw_status_page_get_title (page), ==, "1 Pending Escalation");

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_window_live_update (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) user = NULL;
  ConfabWindow *window;
  GtkLabel *pill;

  insert_sample_rows (ws->db);
  window = new_window ();
  confab_window_set_database (window, ws->db);
  confab_window_set_section (window, CONFAB_SECTION_USERS);

  /* Through the repository, which emits ConfabDatabase::changed. */
  user = confab_test_add_user (ws->db, "dora");
  wait_for_label (confab_window_get_count_label (window, CONFAB_SECTION_USERS), "4");
  g_assert_cmpstr (adw_status_page_get_title (confab_window_get_status_page (window)), ==,
                   "4 Users");

  /* Raw SQL, announced by hand; several changes cost one refresh. */
  exec_sql (ws->db,
            "INSERT INTO agents (id, name, created_at, updated_at) VALUES"
            " ('a3', 'Third', " TIMES "),"
            " ('a4', 'Fourth', " TIMES ");");
  confab_database_notify_change (ws->db, "agents", "a3", "create");
  confab_database_notify_change (ws->db, "agents", "a4", "create");
  wait_for_label (confab_window_get_count_label (window, CONFAB_SECTION_AGENTS), "4");

  /* The last pending escalation resolved: the pill goes away. */
  pill = confab_window_get_count_label (window, CONFAB_SECTION_ESCALATIONS);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (pill)));
  exec_sql (ws->db, "UPDATE escalations SET status = 'resolved' WHERE id = 'e2'");
  confab_database_notify_change (ws->db, "escalations", "e2", "update");
  wait_for_label (pill, "0");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (pill)));

  confab_window_set_section (window, CONFAB_SECTION_ESCALATIONS);
  g_assert_cmpstr (adw_status_page_get_title (confab_window_get_status_page (window)), ==,
                   "No Pending Escalations");

  gtk_window_destroy (GTK_WINDOW (window));
}

static void
test_window_open_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("confab-window-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr (GFile) file = NULL;
  ConfabWindow *window;
  GtkLabel *pill;

  g_assert_no_error (error);
  path = g_build_filename (dir, "A workspace with a rather long name.confab", NULL);
  file = g_file_new_for_path (path);

  window = new_window ();
  confab_window_open (window, file);

  g_assert_nonnull (confab_window_get_database (window));
  g_assert_true (g_file_equal (confab_window_get_file (window), file));
  g_assert_cmpstr (gtk_window_get_title (GTK_WINDOW (window)), ==,
                   "A workspace with a rather long name.confab");
  assert_count (window, CONFAB_SECTION_AGENTS, "0");
  pill = confab_window_get_count_label (window, CONFAB_SECTION_ESCALATIONS);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (pill)));

  /* A brand-new workspace greets instead of showing seven empty sections. */
  confab_window_set_section (window, CONFAB_SECTION_AGENTS);
  g_assert_cmpstr (adw_status_page_get_title (confab_window_get_status_page (window)), ==,
                   "Welcome to Confab");

  gtk_window_destroy (GTK_WINDOW (window));
  confab_test_drain_main_loop ();
  confab_test_remove_tree (dir);
}

static void
test_window_not_a_workspace (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) expected = NULL;
  g_autofree char *dir = g_dir_make_tmp ("confab-window-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autofree char *markup = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (ConfabDatabase) db = NULL;
  ConfabWindow *window;
  AdwStatusPage *page;

  g_assert_no_error (error);
  /* "&" checks that the message is shown as text, not read as markup. */
  path = g_build_filename (dir, "notes & ideas.txt", NULL);
  g_file_set_contents (path, "Just some notes, not a database.\n", -1, &error);
  g_assert_no_error (error);
  file = g_file_new_for_path (path);

  db = confab_database_open (path, &expected);
  g_assert_null (db);
  g_assert_error (expected, CONFAB_ERROR, CONFAB_ERROR_NOT_A_WORKSPACE);

  window = new_window ();
  confab_window_open (window, file);
  confab_test_drain_main_loop ();

  g_assert_null (confab_window_get_database (window));
  page = confab_window_get_status_page (window);
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (page)));
  g_assert_cmpstr (adw_status_page_get_title (page), ==, "Cannot Open Workspace");
  g_assert_cmpstr (adw_status_page_get_icon_name (page), ==, "dialog-error-symbolic");
  markup = g_markup_escape_text (expected->message, -1);
  g_assert_cmpstr (adw_status_page_get_description (page), ==, markup);

  /* The sections' shortcuts do nothing here. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.select-section", "i", 1);
  g_assert_true (confab_window_get_status_page (window) == page);

  /* The file is left as it was. */
  {
    g_autofree char *contents = NULL;

    g_file_get_contents (path, &contents, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (contents, ==, "Just some notes, not a database.\n");
  }

  gtk_window_destroy (GTK_WINDOW (window));
  confab_test_drain_main_loop ();
  confab_test_remove_tree (dir);
}

static void
test_window_newer_version (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GError) expected = NULL;
  g_autoptr (GFile) file = g_file_new_for_path (ws->path);
  g_autoptr (ConfabDatabase) db = NULL;
  g_autofree char *markup = NULL;
  ConfabWindow *window;
  AdwStatusPage *page;

  exec_sql (ws->db, "PRAGMA user_version = 999");
  g_clear_object (&ws->db);

  db = confab_database_open (ws->path, &expected);
  g_assert_null (db);
  g_assert_error (expected, CONFAB_ERROR, CONFAB_ERROR_NEWER_VERSION);

  window = new_window ();
  confab_window_open (window, file);

  page = confab_window_get_status_page (window);
  g_assert_cmpstr (adw_status_page_get_title (page), ==, "Cannot Open Workspace");
  markup = g_markup_escape_text (expected->message, -1);
  g_assert_cmpstr (adw_status_page_get_description (page), ==, markup);

  gtk_window_destroy (GTK_WINDOW (window));
  confab_test_drain_main_loop ();
}

static void
test_window_select_section_action (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  ConfabWindow *window = new_window ();

  insert_sample_rows (ws->db);
  confab_window_set_database (window, ws->db);

  /* Ctrl+4 activates win.select-section with 3: Prompts. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.select-section", "i", 3));
  g_assert_cmpint (confab_window_get_section (window), ==, CONFAB_SECTION_PROMPTS);
  g_assert_cmpstr (adw_status_page_get_icon_name (confab_window_get_status_page (window)), ==,
                   "confab-prompts-symbolic");

  /* Out of range: ignored. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.select-section", "i", 42);
  g_assert_cmpint (confab_window_get_section (window), ==, CONFAB_SECTION_PROMPTS);

  gtk_window_destroy (GTK_WINDOW (window));
}

/* The schema compiled in the build folder (data/), found before GTK reads any
 * setting; without it the window simply does not remember its state. */
static void
use_uninstalled_schema (const char *argv0)
{
  const char *builddir = g_getenv ("G_TEST_BUILDDIR");
  g_autofree char *testdir = builddir ? g_strdup (builddir) : g_path_get_dirname (argv0);
  g_autofree char *dir = g_build_filename (testdir, "..", "data", NULL);
  g_autofree char *compiled = g_build_filename (dir, "gschemas.compiled", NULL);

  if (g_file_test (compiled, G_FILE_TEST_EXISTS))
    g_setenv ("GSETTINGS_SCHEMA_DIR", dir, FALSE);
  g_setenv ("GSETTINGS_BACKEND", "memory", FALSE);
}

static void
test_window_remembers_section (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GSettingsSchema) schema = NULL;
  g_autoptr (GSettings) settings = NULL;
  g_autofree char *last_section = NULL;
  ConfabWindow *window;

  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                            APP_ID, TRUE);
  if (schema == NULL)
    {
      g_test_skip ("The compiled schema is not in the build folder");
      return;
    }
  settings = g_settings_new (APP_ID);

  window = new_window ();
  confab_window_set_database (window, ws->db);
  confab_window_set_section (window, CONFAB_SECTION_KNOWLEDGE);
  last_section = g_settings_get_string (settings, "last-section");
  g_assert_cmpstr (last_section, ==, "knowledge");
  gtk_window_close (GTK_WINDOW (window));
  confab_test_drain_main_loop ();

  /* A new window opens where the last one was left. */
  window = new_window ();
  g_assert_cmpint (confab_window_get_section (window), ==, CONFAB_SECTION_KNOWLEDGE);
  gtk_window_destroy (GTK_WINDOW (window));

  g_settings_reset (settings, "last-section");
}

static void
test_window_welcome_demo (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  /* tools/run-tests points XDG_DATA_HOME at a throwaway folder. */
  g_autofree char *demo_path = g_build_filename (g_get_user_data_dir (), "confab", "demo.confab", NULL);
  ConfabWindow *window;
  AdwStatusPage *page;
  ConfabDatabase *demo;
  gint64 deadline;

  /* An empty workspace greets and offers the demo (data found through
   * CONFAB_DEMO_DATA, set in main). */
  g_assert_nonnull (confab_window_find_demo_data ());
  window = new_window ();
  confab_window_set_database (window, ws->db);
  page = confab_window_get_status_page (window);
  g_assert_cmpstr (adw_status_page_get_title (page), ==, "Welcome to Confab");

  /* The demo is copied into the user's data folder, offline, and opened. */
  g_unlink (demo_path);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.open-demo", NULL));
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (confab_window_get_database (window) == ws->db && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);

  demo = confab_window_get_database (window);
  g_assert_true (demo != ws->db);
  g_assert_cmpstr (confab_database_get_path (demo), ==, demo_path);
  g_assert_cmpint (confab_test_count_rows (demo, "SELECT count(*) FROM agents"), >=, 1);
  confab_window_set_section (window, CONFAB_SECTION_AGENTS);
  g_assert_cmpstr (adw_status_page_get_title (page), !=, "Welcome to Confab");
  g_assert_cmpstr (adw_status_page_get_title (page), !=, "No Agents Yet");

  gtk_window_destroy (GTK_WINDOW (window));
  confab_test_drain_main_loop ();
  g_unlink (demo_path);
}

/* A workspace with things in it shows each section's own page; an empty
 * one the welcome pane. */
static void
test_window_section_pages (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  ConfabWindow *window;

  window = new_window ();
  confab_window_set_database (window, ws->db);
  g_assert_false (CONFAB_IS_PAGE (confab_window_get_visible_page (window)));

  insert_sample_rows (ws->db);
  confab_database_notify_change (ws->db, "agents", NULL, "create");
  confab_test_drain_main_loop ();
  confab_window_set_section (window, CONFAB_SECTION_AGENTS);
  g_assert_true (CONFAB_IS_AGENTS_PAGE (confab_window_get_visible_page (window)));
  g_assert_true (confab_page_get_database (CONFAB_PAGE (confab_window_get_visible_page (window))) ==
                 ws->db);
  g_assert_nonnull (confab_page_get_runtime (CONFAB_PAGE (confab_window_get_visible_page (window))));

  /* Chatting with an agent from anywhere goes to Chats. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.chat-with-agent", "s", "a1");
  confab_test_drain_main_loop ();
  g_assert_cmpint (confab_window_get_section (window), ==, CONFAB_SECTION_CHATS);
  g_assert_true (CONFAB_IS_CHATS_PAGE (confab_window_get_visible_page (window)));

  gtk_window_destroy (GTK_WINDOW (window));
  confab_test_drain_main_loop ();
}

/* A workspace that cannot be written opens for reading, and says so. */
static void
test_window_read_only (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabDatabase) reader = NULL;
  g_autoptr (GError) error = NULL;
  ConfabWindow *window;

  insert_sample_rows (ws->db);
  reader = confab_database_open_with_flags (confab_database_get_path (ws->db),
                                            CONFAB_DATABASE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);

  window = new_window ();
  confab_window_set_database (window, ws->db);
  g_assert_false (gtk_revealer_get_reveal_child (confab_window_get_read_only_notice (window)));

  confab_window_set_database (window, reader);
  g_assert_true (gtk_revealer_get_reveal_child (confab_window_get_read_only_notice (window)));
  assert_count (window, CONFAB_SECTION_USERS, "3");

  confab_window_set_database (window, ws->db);
  g_assert_false (gtk_revealer_get_reveal_child (confab_window_get_read_only_notice (window)));

  gtk_window_destroy (GTK_WINDOW (window));
  confab_test_drain_main_loop ();
}

int
main (int    argc,
      char **argv)
{
  use_uninstalled_schema (argv[0]);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  {
    g_autofree char *demo = g_test_build_filename (G_TEST_DIST, "..", "data", "demo",
                                                   "demo-workspace.json", NULL);
    g_setenv ("CONFAB_DEMO_DATA", demo, TRUE);
  }

  g_test_add_func ("/confab/window/counts", test_window_counts);
  g_test_add_func ("/confab/window/live-update", test_window_live_update);
  g_test_add_func ("/confab/window/open-file", test_window_open_file);
  g_test_add_func ("/confab/window/not-a-workspace", test_window_not_a_workspace);
  g_test_add_func ("/confab/window/newer-version", test_window_newer_version);
  g_test_add_func ("/confab/window/select-section-action", test_window_select_section_action);
  g_test_add_func ("/confab/window/remembers-section", test_window_remembers_section);
  g_test_add_func ("/confab/window/welcome-demo", test_window_welcome_demo);
  g_test_add_func ("/confab/window/section-pages", test_window_section_pages);
  g_test_add_func ("/confab/window/read-only", test_window_read_only);

  return g_test_run ();
}
