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

static ConfabPrompt *
add_prompt (ConfabDatabase *db,
            const char     *name)
{
  g_autoptr (GError) error = NULL;
  ConfabPrompt *prompt = confab_prompt_new (name);

  confab_repository_create (db, CONFAB_ENTITY (prompt), NULL, &error);
  g_assert_no_error (error);
  return prompt;
}

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static void
expect_prompt_refused (ConfabDatabase *db,
                       ConfabPrompt   *prompt,
                       int             code,
                       const char     *needle)
{
  g_autoptr (GError) error = NULL;
  gint64 rows = confab_test_count_rows (db, "SELECT count(*) FROM prompts");
  gint64 audits = confab_test_count_rows (db, "SELECT count(*) FROM audit_log");

  g_assert_false (confab_repository_create (db, CONFAB_ENTITY (prompt), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, code);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("“%s” does not name “%s”", error->message, needle);
  assert_rows (db, rows, "SELECT count(*) FROM prompts");
  assert_rows (db, audits, "SELECT count(*) FROM audit_log");
  g_assert_null (id_of (prompt));
}

static void
test_prompt_validation (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) owner = confab_test_add_user (ws->db, "owner");
  g_autoptr (ConfabPrompt) greeting = add_prompt (ws->db, "support/greeting");
  g_autoptr (ConfabPrompt) empty = confab_prompt_new ("");
  g_autofree char *long_name = g_strnfill (201, 'p');
  g_autofree char *max_name = g_strnfill (200, 'q');
  g_autoptr (ConfabPrompt) too_long = confab_prompt_new (long_name);
  g_autoptr (ConfabPrompt) duplicate = confab_prompt_new ("support/greeting");
  g_autoptr (ConfabPrompt) leading = confab_prompt_new ("/greeting");
  g_autoptr (ConfabPrompt) double_slash = confab_prompt_new ("support//greeting");
  g_autoptr (ConfabPrompt) orphan = confab_prompt_new ("orphan");
  g_autoptr (ConfabPrompt) bad_tags = confab_prompt_new ("tagged");
  g_autoptr (ConfabPrompt) max = NULL;
  g_autoptr (ConfabPrompt) owned = confab_prompt_new ("owned");
  g_autoptr (ConfabPrompt) loaded = NULL;
  g_autoptr (GError) error = NULL;

  /* '/' makes folders and is kept as written. */
  loaded = confab_repository_get (ws->db, CONFAB_TYPE_PROMPT, id_of (greeting), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_prompt_get_name (loaded), ==, "support/greeting");
  g_assert_cmpstr (confab_prompt_get_tags (loaded), ==, "[]");

  expect_prompt_refused (ws->db, empty, CONFAB_ERROR_INVALID, "name");
  expect_prompt_refused (ws->db, too_long, CONFAB_ERROR_INVALID, "201");
  expect_prompt_refused (ws->db, duplicate, CONFAB_ERROR_CONFLICT, "support/greeting");
  expect_prompt_refused (ws->db, leading, CONFAB_ERROR_INVALID, "/greeting");
  expect_prompt_refused (ws->db, double_slash, CONFAB_ERROR_INVALID, "support//greeting");
  confab_prompt_set_owner_id (orphan, "no-such-user");
  expect_prompt_refused (ws->db, orphan, CONFAB_ERROR_INVALID, "no-such-user");
  confab_prompt_set_tags_json (bad_tags, "{\"a\": 1}");
  expect_prompt_refused (ws->db, bad_tags, CONFAB_ERROR_INVALID, "tags");
  confab_prompt_set_tags_json (bad_tags, "[1, 2]");
  expect_prompt_refused (ws->db, bad_tags, CONFAB_ERROR_INVALID, "tags");

  max = add_prompt (ws->db, max_name);
  g_assert_nonnull (id_of (max));

  confab_prompt_set_owner_id (owned, id_of (owner));
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (owned), NULL, &error));
  g_assert_no_error (error);

  /* Renaming onto another prompt's name is a conflict too. */
  confab_prompt_set_name (owned, "support/greeting");
  g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (owned), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT);
  g_assert_nonnull (strstr (error->message, "support/greeting"));
}

static void
test_tags (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabPrompt) prompt = confab_prompt_new ("tagged");
  g_autoptr (ConfabPrompt) loaded = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) tags = NULL;
  g_auto (GStrv) none = NULL;
  const char * const input[] = { " billing ", "faq", "", "billing", "émoji ✓", NULL };

  none = confab_prompt_dup_tags (prompt);
  g_assert_nonnull (none);
  g_assert_cmpuint (g_strv_length (none), ==, 0);

  confab_prompt_set_tags (prompt, input);
  g_assert_cmpstr (confab_prompt_get_tags (prompt), ==, "[\"billing\",\"faq\",\"émoji ✓\"]");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (prompt), NULL, &error));
  g_assert_no_error (error);

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_PROMPT, id_of (prompt), &error);
  g_assert_no_error (error);
  tags = confab_prompt_dup_tags (loaded);
  g_assert_cmpuint (g_strv_length (tags), ==, 3);
  g_assert_cmpstr (tags[0], ==, "billing");
  g_assert_cmpstr (tags[1], ==, "faq");
  g_assert_cmpstr (tags[2], ==, "émoji ✓");

  confab_prompt_set_tags (loaded, NULL);
  g_assert_cmpstr (confab_prompt_get_tags (loaded), ==, "[]");
}

static void
test_extract_variables (void)
{
  const char *body = "Hello {{name}}, about {{ order.id }}: "
                     "{{name}} {{ 1bad }} {{unclosed {{topic}}";
  g_auto (GStrv) names = confab_prompt_extract_variables (body);
  g_auto (GStrv) none = confab_prompt_extract_variables (NULL);

  g_assert_cmpuint (g_strv_length (names), ==, 3);
  g_assert_cmpstr (names[0], ==, "name");
  g_assert_cmpstr (names[1], ==, "order.id");
  g_assert_cmpstr (names[2], ==, "topic");
  g_assert_cmpuint (g_strv_length (none), ==, 0);
}

static void
test_version_numbering (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) author = confab_test_add_user (ws->db, "author");
  g_autoptr (ConfabPrompt) prompt = add_prompt (ws->db, "greeting");
  g_autoptr (ConfabPrompt) other = add_prompt (ws->db, "other");
  g_autoptr (ConfabPromptVersion) v1 = NULL;
  g_autoptr (ConfabPromptVersion) v2 = NULL;
  g_autoptr (ConfabPromptVersion) v3 = NULL;
  g_autoptr (ConfabPromptVersion) o1 = NULL;
  g_autoptr (ConfabPromptVersion) got = NULL;
  g_autoptr (ConfabPromptVersion) missing = NULL;
  g_autoptr (ConfabPromptVersion) direct = NULL;
  g_autoptr (GPtrArray) versions = NULL;
  g_autoptr (GPtrArray) none = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) variables = NULL;

  v1 = confab_prompt_save_version (ws->db, id_of (prompt), "Hello {{name}}!", "First",
                                   id_of (author), &error);
  g_assert_no_error (error);
  v2 = confab_prompt_save_version (ws->db, id_of (prompt), "Hi {{name}}, {{topic}}?", "Second",
                                   NULL, &error);
  g_assert_no_error (error);
  o1 = confab_prompt_save_version (ws->db, id_of (other), "Other", NULL, NULL, &error);
  g_assert_no_error (error);
  v3 = confab_prompt_save_version (ws->db, id_of (prompt), "Hey", NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_cmpint (confab_prompt_version_get_version (v1), ==, 1);
  g_assert_cmpint (confab_prompt_version_get_version (v2), ==, 2);
  g_assert_cmpint (confab_prompt_version_get_version (v3), ==, 3);
  g_assert_cmpint (confab_prompt_version_get_version (o1), ==, 1); /* numbered per prompt */
  g_assert_cmpstr (confab_prompt_version_get_author_id (v1), ==, id_of (author));
  g_assert_cmpstr (confab_prompt_version_get_message (v1), ==, "First");
  g_assert_cmpstr (confab_prompt_version_get_variables (v1), ==, "[\"name\"]");
  variables = confab_prompt_version_dup_variables (v2);
  g_assert_cmpuint (g_strv_length (variables), ==, 2);
  g_assert_cmpstr (variables[1], ==, "topic");

  /* Model settings default to the values documented in the header. */
  g_assert_null (confab_prompt_version_get_model (v1));
  g_assert_cmpfloat_with_epsilon (confab_prompt_version_get_temperature (v1), 0.7, 1e-9);
  g_assert_cmpint (confab_prompt_version_get_max_tokens (v1), ==, 1024);

  got = confab_prompt_get_version (ws->db, id_of (prompt), 2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id_of (got), ==, id_of (v2));
  g_assert_cmpstr (confab_prompt_version_get_body (got), ==, "Hi {{name}}, {{topic}}?");

  missing = confab_prompt_get_version (ws->db, id_of (prompt), 9, &error);
  g_assert_null (missing);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "greeting"));
  g_assert_nonnull (strstr (error->message, "9"));
  g_clear_error (&error);

  versions = confab_prompt_list_versions (ws->db, id_of (prompt), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (versions->len, ==, 3);
  g_assert_cmpint (confab_prompt_version_get_version (g_ptr_array_index (versions, 0)), ==, 3);
  g_assert_cmpint (confab_prompt_version_get_version (g_ptr_array_index (versions, 2)), ==, 1);

  none = confab_prompt_list_versions (ws->db, "no-such-prompt", &error);
  g_assert_null (none);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The generic create numbers versions too: callers never pick the number. */
  direct = confab_prompt_version_new (id_of (prompt), "Direct");
  confab_prompt_version_set_version (direct, 42);
  confab_prompt_version_set_model (direct, "llama3");
  confab_prompt_version_set_temperature (direct, 0.0);
  confab_prompt_version_set_max_tokens (direct, 256);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (direct), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_prompt_version_get_version (direct), ==, 4);
  assert_rows (ws->db, 1, "SELECT count(*) FROM prompt_versions "
                          "WHERE version = 4 AND temperature = 0 "
                          "AND max_tokens = 256 AND model = 'llama3'");

  /* Saving a version is an edit of the prompt. */
  assert_rows (ws->db, 1, "SELECT count(*) FROM prompts p JOIN prompt_versions v "
                          "ON v.prompt_id = p.id AND v.version = 4 "
                          "WHERE p.updated_at = v.created_at");
}

static void
expect_version_refused (ConfabDatabase      *db,
                        ConfabPromptVersion *version,
                        int                  code,
                        const char          *needle)
{
  g_autoptr (GError) error = NULL;
  gint64 rows = confab_test_count_rows (db, "SELECT count(*) FROM prompt_versions");
  gint64 audits = confab_test_count_rows (db, "SELECT count(*) FROM audit_log");

  g_assert_false (confab_repository_create (db, CONFAB_ENTITY (version), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, code);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("“%s” does not name “%s”", error->message, needle);
  assert_rows (db, rows, "SELECT count(*) FROM prompt_versions");
  assert_rows (db, audits, "SELECT count(*) FROM audit_log");
}

static void
test_version_validation (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabPrompt) prompt = add_prompt (ws->db, "greeting");
  g_autofree char *huge = g_strnfill (CONFAB_PROMPT_VERSION_MAX_BODY + 1, 'b');
  g_autofree char *biggest = g_strnfill (CONFAB_PROMPT_VERSION_MAX_BODY, 'b');
  g_autoptr (ConfabPromptVersion) v = NULL;
  g_autoptr (ConfabPromptVersion) big = NULL;
  g_autoptr (ConfabPromptVersion) none = NULL;
  g_autoptr (GError) error = NULL;
  const char *pid = id_of (prompt);

  v = confab_prompt_version_new (pid, "");
  expect_version_refused (ws->db, v, CONFAB_ERROR_INVALID, "prompt text");
  g_clear_object (&v);

  v = confab_prompt_version_new (pid, NULL);
  expect_version_refused (ws->db, v, CONFAB_ERROR_INVALID, "prompt text");
  g_clear_object (&v);

  v = confab_prompt_version_new (pid, huge);
  expect_version_refused (ws->db, v, CONFAB_ERROR_INVALID, "100001");
  g_clear_object (&v);

  v = confab_prompt_version_new (pid, "bad \xff text");
  expect_version_refused (ws->db, v, CONFAB_ERROR_INVALID, "UTF-8");
  g_clear_object (&v);

  v = confab_prompt_version_new ("no-such-prompt", "Hello");
  expect_version_refused (ws->db, v, CONFAB_ERROR_INVALID, "no-such-prompt");
  g_clear_object (&v);

  v = confab_prompt_version_new (NULL, "Hello");
  expect_version_refused (ws->db, v, CONFAB_ERROR_INVALID, "prompt");
  g_clear_object (&v);

  v = confab_prompt_version_new (pid, "Hello");
  confab_prompt_version_set_temperature (v, 2.5);
  expect_version_refused (ws->db, v, CONFAB_ERROR_INVALID, "2.5");
  confab_prompt_version_set_temperature (v, -0.1);
  expect_version_refused (ws->db, v, CONFAB_ERROR_INVALID, "temperature");
  confab_prompt_version_set_temperature (v, 2.0);
  confab_prompt_version_set_max_tokens (v, 0);
  expect_version_refused (ws->db, v, CONFAB_ERROR_INVALID, "tokens");
  confab_prompt_version_set_max_tokens (v, 10);
  confab_prompt_version_set_author_id (v, "ghost-author");
  expect_version_refused (ws->db, v, CONFAB_ERROR_INVALID, "ghost-author");
  confab_prompt_version_set_author_id (v, NULL);
  confab_prompt_version_set_provider_id (v, "ghost-provider");
  expect_version_refused (ws->db, v, CONFAB_ERROR_INVALID, "ghost-provider");
  confab_prompt_version_set_provider_id (v, NULL);
  confab_prompt_version_set_variables (v, "{}");
  expect_version_refused (ws->db, v, CONFAB_ERROR_INVALID, "variables");
  confab_prompt_version_set_variables (v, "[]");
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (v), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (confab_prompt_version_get_version (v), ==, 1);

  /* Exactly the limit is accepted; refused attempts used no number. */
  big = confab_prompt_save_version (ws->db, pid, biggest, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_prompt_version_get_version (big), ==, 2);

  none = confab_prompt_save_version (ws->db, "no-such-prompt", "Hello", NULL, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "no-such-prompt"));
}

static void
test_versions_immutable (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabPrompt) prompt = add_prompt (ws->db, "greeting");
  g_autoptr (ConfabPromptVersion) v1 = NULL;
  g_autoptr (ConfabPromptVersion) loaded = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *sql = NULL;
  char *errmsg = NULL;
  int rc;

  v1 = confab_prompt_save_version (ws->db, id_of (prompt), "Original", "v1", NULL, &error);
  g_assert_no_error (error);

  confab_prompt_version_set_body (v1, "Rewritten history");
  g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (v1), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "cannot be changed"));
  g_assert_nonnull (strstr (error->message, "new version"));
  g_clear_error (&error);

  /* The trigger refuses writes that bypass the repository. */
  sql = g_strdup_printf ("UPDATE prompt_versions SET body = 'sneaky' WHERE id = '%s'", id_of (v1));
  rc = sqlite3_exec (confab_database_get_handle (ws->db), sql, NULL, NULL, &errmsg);
  g_assert_cmpint (rc, ==, SQLITE_CONSTRAINT_TRIGGER);
  g_assert_nonnull (strstr (errmsg, "immutable"));
  sqlite3_free (errmsg);

  loaded = confab_prompt_get_version (ws->db, id_of (prompt), 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_prompt_version_get_body (loaded), ==, "Original");
  assert_rows (ws->db, 0, "SELECT count(*) FROM audit_log "
                          "WHERE entity = 'prompt_version' AND action = 'update'");
}

static void
test_labels (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) admin = confab_test_add_user (ws->db, "admin");
  g_autoptr (ConfabPrompt) prompt = add_prompt (ws->db, "greeting");
  g_autoptr (ConfabPrompt) other = add_prompt (ws->db, "other");
  g_autoptr (ConfabPromptVersion) v1 = NULL;
  g_autoptr (ConfabPromptVersion) v2 = NULL;
  g_autoptr (ConfabPromptVersion) v3 = NULL;
  g_autoptr (ConfabPromptVersion) foreign = NULL;
  g_autoptr (ConfabPromptVersion) resolved = NULL;
  g_autoptr (GPtrArray) labels = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *long_label = g_strnfill (65, 'l');
  g_autofree char *max_label = g_strnfill (64, 'm');
  g_autofree char *version_id = NULL;
  const char *pid = id_of (prompt);
  const char *admin_id = id_of (admin);
  ConfabPromptLabel *label;
  int version = 0;

  v1 = confab_prompt_save_version (ws->db, pid, "One", NULL, NULL, &error);
  v2 = confab_prompt_save_version (ws->db, pid, "Two", NULL, NULL, &error);
  v3 = confab_prompt_save_version (ws->db, pid, "Three", NULL, NULL, &error);
  foreign = confab_prompt_save_version (ws->db, id_of (other), "Other", NULL, NULL, &error);
  g_assert_no_error (error);

  g_assert_true (confab_prompt_set_label (ws->db, pid, "production", id_of (v1), admin_id, &error));
  g_assert_no_error (error);
  resolved = confab_prompt_resolve (ws->db, pid, "production", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_prompt_version_get_version (resolved), ==, 1);
  g_assert_cmpstr (confab_prompt_version_get_body (resolved), ==, "One");
  g_clear_object (&resolved);

  /* Move it. */
  g_assert_true (confab_prompt_set_label (ws->db, pid, "production", id_of (v2), admin_id, &error));
  g_assert_no_error (error);
  resolved = confab_prompt_resolve (ws->db, pid, "production", 0, &error);
  g_assert_cmpint (confab_prompt_version_get_version (resolved), ==, 2);
  g_clear_object (&resolved);

  /* Setting it where it already is writes nothing. */
  g_assert_true (confab_prompt_set_label (ws->db, pid, "production", id_of (v2), admin_id, &error));
  assert_rows (ws->db, 2, "SELECT count(*) FROM audit_log WHERE action = 'label'");

  assert_rows (ws->db, 1, "SELECT count(*) FROM audit_log WHERE action = 'label' "
                          "AND entity = 'prompt' "
                          "AND json_extract (details, '$.label') = 'production' "
                          "AND json_type (details, '$.from_version') = 'null' "
                          "AND json_extract (details, '$.to_version') = 1");
  assert_rows (ws->db, 1, "SELECT count(*) FROM audit_log WHERE action = 'label' "
                          "AND json_extract (details, '$.from_version') = 1 "
                          "AND json_extract (details, '$.to_version') = 2");

  /* latest, NULL and "" are the newest; a version number wins over a label. */
  resolved = confab_prompt_resolve (ws->db, pid, "latest", 0, &error);
  g_assert_cmpint (confab_prompt_version_get_version (resolved), ==, 3);
  g_clear_object (&resolved);
  resolved = confab_prompt_resolve (ws->db, pid, NULL, 0, &error);
  g_assert_cmpstr (id_of (resolved), ==, id_of (v3));
  g_clear_object (&resolved);
  resolved = confab_prompt_resolve (ws->db, pid, "", 0, &error);
  g_assert_cmpstr (id_of (resolved), ==, id_of (v3));
  g_clear_object (&resolved);
  resolved = confab_prompt_resolve (ws->db, pid, "production", 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_prompt_version_get_version (resolved), ==, 1);
  g_clear_object (&resolved);

  resolved = confab_prompt_resolve (ws->db, pid, "staging", 0, &error);
  g_assert_null (resolved);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "staging"));
  g_clear_error (&error);
  resolved = confab_prompt_resolve (ws->db, pid, NULL, 7, &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  resolved = confab_prompt_resolve (ws->db, "no-such-prompt", NULL, 0, &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Refusals. */
  g_assert_false (confab_prompt_set_label (ws->db, pid, "latest", id_of (v1), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "latest"));
  g_clear_error (&error);
  g_assert_false (confab_prompt_set_label (ws->db, pid, "", id_of (v1), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "label"));
  g_clear_error (&error);
  g_assert_false (confab_prompt_set_label (ws->db, pid, long_label, id_of (v1), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "65"));
  g_clear_error (&error);
  g_assert_false (confab_prompt_set_label (ws->db, pid, "production", id_of (foreign), NULL,
                                           &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "another prompt"));
  g_clear_error (&error);
  g_assert_false (confab_prompt_set_label (ws->db, pid, "production", "no-such-version", NULL,
                                           &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "no-such-version"));
  g_clear_error (&error);
  g_assert_false (confab_prompt_set_label (ws->db, "no-such-prompt", "production", id_of (v1),
                                           NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  assert_rows (ws->db, 2, "SELECT count(*) FROM audit_log WHERE action = 'label'");

  g_assert_true (confab_prompt_set_label (ws->db, pid, max_label, id_of (v3), NULL, &error));
  g_assert_no_error (error);

  labels = confab_prompt_list_labels (ws->db, pid, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (labels->len, ==, 2);
  label = g_ptr_array_index (labels, 1);
  g_assert_cmpstr (confab_prompt_label_get_name (label), ==, "production");
  g_assert_cmpstr (confab_prompt_label_get_prompt_id (label), ==, pid);
  g_assert_cmpstr (confab_prompt_label_get_version_id (label), ==, id_of (v2));
  g_assert_cmpint (confab_prompt_label_get_version (label), ==, 2);
  g_assert_nonnull (confab_prompt_label_get_updated_at (label));
  g_object_get (label, "version", &version, "version-id", &version_id, NULL);
  g_assert_cmpint (version, ==, 2);
  g_assert_cmpstr (version_id, ==, id_of (v2));

  /* Remove. */
  g_assert_true (confab_prompt_remove_label (ws->db, pid, "production", admin_id, &error));
  g_assert_no_error (error);
  assert_rows (ws->db, 1, "SELECT count(*) FROM audit_log WHERE action = 'label' "
                          "AND json_extract (details, '$.from_version') = 2 "
                          "AND json_type (details, '$.to_version') = 'null'");
  resolved = confab_prompt_resolve (ws->db, pid, "production", 0, &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_false (confab_prompt_remove_label (ws->db, pid, "production", admin_id, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "production"));
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
test_label_notifies (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabPrompt) prompt = add_prompt (ws->db, "greeting");
  g_autoptr (ConfabPromptVersion) v1 = NULL;
  g_autoptr (GError) error = NULL;
  guint count = 0;

  v1 = confab_prompt_save_version (ws->db, id_of (prompt), "One", NULL, NULL, &error);
  g_signal_connect (ws->db, "changed::prompt_labels", G_CALLBACK (on_changed), &count);
  g_assert_true (confab_prompt_set_label (ws->db, id_of (prompt), "beta", id_of (v1), NULL,
                                          &error));
  g_assert_cmpuint (count, ==, 1);
  g_assert_true (confab_prompt_remove_label (ws->db, id_of (prompt), "beta", NULL, &error));
  g_assert_cmpuint (count, ==, 2);
  g_assert_false (confab_prompt_set_label (ws->db, id_of (prompt), "latest", id_of (v1), NULL,
                                           &error));
  g_assert_cmpuint (count, ==, 2);
}

static void
test_restore (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) editor = confab_test_add_user (ws->db, "editor");
  g_autoptr (ConfabPrompt) prompt = add_prompt (ws->db, "greeting");
  g_autoptr (ConfabPromptVersion) v1 = confab_prompt_version_new (id_of (prompt), "Dear {{name}}");
  g_autoptr (ConfabPromptVersion) v2 = NULL;
  g_autoptr (ConfabPromptVersion) v3 = NULL;
  g_autoptr (ConfabPromptVersion) restored = NULL;
  g_autoptr (ConfabPromptVersion) latest = NULL;
  g_autoptr (ConfabPromptVersion) nothing = NULL;
  g_autoptr (GPtrArray) trail = NULL;
  g_autoptr (GError) error = NULL;
  ConfabAuditEntry *entry;

  confab_prompt_version_set_model (v1, "gpt-test");
  confab_prompt_version_set_temperature (v1, 1.5);
  confab_prompt_version_set_max_tokens (v1, 99);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (v1), NULL, &error));
  v2 = confab_prompt_save_version (ws->db, id_of (prompt), "Hi", NULL, NULL, &error);
  v3 = confab_prompt_save_version (ws->db, id_of (prompt), "Yo", NULL, NULL, &error);
  g_assert_no_error (error);

  restored = confab_prompt_restore_version (ws->db, id_of (prompt), 1, id_of (editor), &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_prompt_version_get_version (restored), ==, 4);
  g_assert_cmpstr (id_of (restored), !=, id_of (v1));
  g_assert_cmpstr (confab_prompt_version_get_body (restored), ==, "Dear {{name}}");
  g_assert_cmpstr (confab_prompt_version_get_variables (restored), ==, "[\"name\"]");
  g_assert_cmpstr (confab_prompt_version_get_message (restored), ==, "Restored version 1");
  g_assert_cmpstr (confab_prompt_version_get_author_id (restored), ==, id_of (editor));
  g_assert_cmpstr (confab_prompt_version_get_model (restored), ==, "gpt-test");
  g_assert_cmpfloat_with_epsilon (confab_prompt_version_get_temperature (restored), 1.5, 1e-9);
  g_assert_cmpint (confab_prompt_version_get_max_tokens (restored), ==, 99);

  latest = confab_prompt_resolve (ws->db, id_of (prompt), NULL, 0, &error);
  g_assert_cmpstr (id_of (latest), ==, id_of (restored));
  assert_rows (ws->db, 4, "SELECT count(*) FROM prompt_versions");

  trail = confab_audit_list (ws->db, "prompt", id_of (prompt), 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (trail->len, ==, 1);
  entry = g_ptr_array_index (trail, 0);
  g_assert_cmpstr (confab_audit_entry_get_action (entry), ==, "rollback");
  g_assert_cmpstr (confab_audit_entry_get_actor_id (entry), ==, id_of (editor));
  assert_rows (ws->db, 1, "SELECT count(*) FROM audit_log WHERE action = 'rollback' "
                          "AND json_extract (details, '$.from_version') = 1 "
                          "AND json_extract (details, '$.new_version') = 4");

  nothing = confab_prompt_restore_version (ws->db, id_of (prompt), 12, NULL, &error);
  g_assert_null (nothing);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "12"));
  assert_rows (ws->db, 4, "SELECT count(*) FROM prompt_versions");
  assert_rows (ws->db, 1, "SELECT count(*) FROM audit_log WHERE action = 'rollback'");
}

static void
test_delete_cascades (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabPrompt) prompt = add_prompt (ws->db, "greeting");
  g_autoptr (ConfabPromptVersion) v1 = NULL;
  g_autoptr (GListModel) versions = NULL;
  g_autoptr (GError) error = NULL;

  v1 = confab_prompt_save_version (ws->db, id_of (prompt), "One", NULL, NULL, &error);
  g_assert_true (confab_prompt_set_label (ws->db, id_of (prompt), "production", id_of (v1), NULL,
                                          &error));
  g_assert_no_error (error);

  versions = confab_repository_list_model (ws->db, CONFAB_TYPE_PROMPT_VERSION, "prompt_id",
                                           id_of (prompt));
  g_assert_cmpuint (g_list_model_get_n_items (versions), ==, 1);

  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_PROMPT, id_of (prompt), NULL,
                                           &error));
  g_assert_no_error (error);
  assert_rows (ws->db, 0, "SELECT count(*) FROM prompt_versions");
  assert_rows (ws->db, 0, "SELECT count(*) FROM prompt_labels");

  /* The prompt's dependent tables tell open lists to reload. */
  confab_test_drain_main_loop ();
  g_assert_cmpuint (g_list_model_get_n_items (versions), ==, 0);
}

static void
test_live_list (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabPrompt) prompt = add_prompt (ws->db, "greeting");
  g_autoptr (GListModel) versions = NULL;
  g_autoptr (ConfabPromptVersion) v1 = NULL;
  g_autoptr (ConfabPromptVersion) v2 = NULL;
  g_autoptr (ConfabPromptVersion) first = NULL;
  g_autoptr (GError) error = NULL;

  versions = confab_repository_list_model (ws->db, CONFAB_TYPE_PROMPT_VERSION, "prompt_id",
                                           id_of (prompt));
  g_assert_cmpuint (g_list_model_get_n_items (versions), ==, 0);

  v1 = confab_prompt_save_version (ws->db, id_of (prompt), "One", NULL, NULL, &error);
  v2 = confab_prompt_save_version (ws->db, id_of (prompt), "Two", NULL, NULL, &error);
  g_assert_no_error (error);
  confab_test_drain_main_loop ();
  g_assert_cmpuint (g_list_model_get_n_items (versions), ==, 2);
  first = g_list_model_get_item (versions, 0);
  g_assert_cmpint (confab_prompt_version_get_version (first), ==, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/prompts/validation", test_prompt_validation);
  g_test_add_func ("/confab/prompts/tags", test_tags);
  g_test_add_func ("/confab/prompts/extract-variables", test_extract_variables);
  g_test_add_func ("/confab/prompts/version-numbering", test_version_numbering);
  g_test_add_func ("/confab/prompts/version-validation", test_version_validation);
  g_test_add_func ("/confab/prompts/versions-immutable", test_versions_immutable);
  g_test_add_func ("/confab/prompts/labels", test_labels);
  g_test_add_func ("/confab/prompts/label-notifies", test_label_notifies);
  g_test_add_func ("/confab/prompts/restore", test_restore);
  g_test_add_func ("/confab/prompts/delete-cascades", test_delete_cascades);
  g_test_add_func ("/confab/prompts/live-list", test_live_list);
  return g_test_run ();
}
