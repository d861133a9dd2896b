/* The prompt library outside the workspace (confab-prompt-files.h): the
 * .prompt format (bodies byte for byte, header values, errors naming the
 * line), file names, folder export and import (created, updated, skipped,
 * never overwriting a version) and the JSON library export. */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "confab-prompt-files.h"
#include "confab-prompt-library.h"
#include "confab-test-util.h"

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static void
assert_rows (ConfabDatabase *db, gint64 expected, const char *sql)
{
  gint64 n = confab_test_count_rows (db, sql);

  if (n != expected)
    g_error ("%s: %" G_GINT64_FORMAT " rows, expected %" G_GINT64_FORMAT, sql, n, expected);
}

/* Bodies that are easy to lose on the way. */
static const char *const tricky_bodies[] = {
  "No line break at the end",
  "One line break\n",
  "Two line breaks\n\n",
  "---\nStarts with the separator\n---\n",
  "\n\nLeading blank lines and a lone ---",
  "Windows\r\nline\r\nbreaks\r\n",
  "Tabs\tand ünïcödé 🎉 and {{name|a default}}\n",
  "name: looks like a header\nversion: 9\n---\n",
  " ",
};

/* The .prompt format */

static void
test_format_round_trip (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabProvider) provider =
      confab_provider_new ("Local, fast", "ollama", "http://127.0.0.1:1");
  g_autoptr (ConfabPrompt) prompt = confab_prompt_new ("support/greeting");
  g_autoptr (GPtrArray) labels = NULL;
  g_autoptr (GError) error = NULL;
  const char *const tags[] = { "faq", "a, b", NULL };

  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (provider), NULL, &error));
  confab_prompt_set_description (prompt, "Greets\nwarmly \\ kindly");
  confab_prompt_set_tags (prompt, tags);

  for (guint i = 0; i < G_N_ELEMENTS (tricky_bodies); i++)
    {
      g_autoptr (ConfabPromptVersion) version = confab_prompt_version_new (NULL, tricky_bodies[i]);
      g_autoptr (ConfabPromptFile) parsed = NULL;
      g_autofree char *text = NULL;

      confab_prompt_version_set_message (version, i % 2 ? "Line one\nline two" : NULL);
      confab_prompt_version_set_temperature (version, 0.1 * i);
      confab_prompt_version_set_max_tokens (version, 100 + i);
      if (i == 1)
        {
          confab_prompt_version_set_provider_id (version, id_of (provider));
          confab_prompt_version_set_model (version, "llama3:8b");
        }
      if (i == 0)
        g_assert_true (confab_prompt_library_add (ws->db, prompt, version, &error));
      else
        {
          confab_prompt_version_set_prompt_id (version, id_of (prompt));
          g_assert_true (confab_prompt_library_save (ws->db, version, &error));
        }
      g_assert_no_error (error);
      if (i == 1)
        {
          g_assert_true (confab_prompt_library_move_label (ws->db, id_of (prompt), "production", 2,
                                                           NULL, &error));
          g_assert_true (confab_prompt_library_move_label (ws->db, id_of (prompt), "stag,ing", 2,
                                                           NULL, &error));
          g_assert_no_error (error);
        }

      g_clear_pointer (&labels, g_ptr_array_unref);
      labels = confab_prompt_list_labels (ws->db, id_of (prompt), &error);
      text = confab_prompt_file_format (ws->db, prompt, version, labels);
      parsed = confab_prompt_file_parse (text, -1, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (parsed->body, ==, tricky_bodies[i]);
      g_assert_cmpstr (parsed->name, ==, "support/greeting");
      g_assert_cmpint (parsed->version, ==, (int) i + 1);
      g_assert_cmpstr (parsed->description, ==, "Greets\nwarmly \\ kindly");
      g_assert_cmpuint (g_strv_length (parsed->tags), ==, 2);
      g_assert_cmpstr (parsed->tags[1], ==, "a, b");
      g_assert_cmpstr (parsed->message, ==, i % 2 ? "Line one\nline two" : NULL);
      g_assert_true (parsed->temperature == confab_prompt_version_get_temperature (version));
      g_assert_cmpint (parsed->max_tokens, ==, 100 + (int) i);
      if (i == 1)
        {
          g_assert_cmpstr (parsed->provider, ==, "Local, fast");
          g_assert_cmpstr (parsed->model, ==, "llama3:8b");
          g_assert_cmpuint (g_strv_length (parsed->labels), ==, 2);
          g_assert_cmpstr (parsed->labels[0], ==, "production");
          g_assert_cmpstr (parsed->labels[1], ==, "stag,ing");
        }
      else
        {
          g_assert_null (parsed->provider);
          g_assert_cmpuint (g_strv_length (parsed->labels), ==, 0);
        }
    }
}

static void
test_format_text (void)
{
  g_autoptr (ConfabPrompt) prompt = confab_prompt_new ("greeting");
  g_autoptr (ConfabPromptVersion) version = confab_prompt_version_new ("p", "Hello!\n");
  g_autofree char *text = NULL;

  confab_prompt_version_set_version (version, 3);
  confab_prompt_version_set_message (version, "Shorter");
  confab_prompt_version_set_model (version, "gpt-4o-mini");
  confab_prompt_version_set_temperature (version, 0.2);
  text = confab_prompt_file_format (NULL, prompt, version, NULL);
  g_assert_cmpstr (text, ==,
                   "name: greeting\n"
                   "version: 3\n"
                   "model: gpt-4o-mini\n"
                   "temperature: 0.2\n"
                   "max_tokens: 1024\n"
                   "message: Shorter\n"
                   "---\n"
                   "Hello!\n");
}

static void
test_parse (void)
{
  g_autoptr (ConfabPromptFile) file = NULL;
  g_autoptr (GError) error = NULL;

  /* Comments, blank lines, spaces, CRLF in the header, defaults. */
  file = confab_prompt_file_parse ("# exported by hand\r\n\r\nname:  spaced / name  \r\n"
                                   "version:7\r\n---\r\nBody\r\n",
                                   -1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (file->name, ==, "spaced / name");
  g_assert_cmpint (file->version, ==, 7);
  g_assert_cmpstr (file->body, ==, "Body\r\n");
  g_assert_cmpfloat (file->temperature, ==, 0.7);
  g_assert_cmpint (file->max_tokens, ==, 1024);
  g_assert_null (file->tags);
  g_assert_null (file->description);
  g_assert_nonnull (file->labels);
  g_clear_pointer (&file, confab_prompt_file_free);

  /* Nothing after the separator is an empty body; data need not end in NUL. */
  file = confab_prompt_file_parse ("name: a\nversion: 1\n---XYZ", 22, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (file->body, ==, "");
  g_clear_pointer (&file, confab_prompt_file_free);
}

static void
assert_parse_fails (const char *data, gssize len, const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPromptFile) file = confab_prompt_file_parse (data, len, &error);

  g_assert_null (file);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_parse_errors (void)
{
  assert_parse_fails ("", -1, "The file has no line “---” between its header and its text");
  assert_parse_fails ("name: a\nversion: 1\nHello\n", -1,
                      "Line 3: “Hello” is not a “key: value” line (the header ends with a line "
                      "“---”)");
  assert_parse_fails ("name: a\nversion: 1\n", -1,
                      "The file has no line “---” between its header and its text");
  assert_parse_fails ("version: 1\n---\nx", -1, "The header has no “name: …” line");
  assert_parse_fails ("name: a\n---\nx", -1, "The header has no “version: …” line");
  assert_parse_fails ("name: a\nversion: two\n---\nx", -1,
                      "Line 2: “two” is not a version number (1, 2, 3…)");
  assert_parse_fails ("name: a\nversion: 0\n---\nx", -1,
                      "Line 2: “0” is not a version number (1, 2, 3…)");
  assert_parse_fails ("name: a\nversion: 1\nmodle: x\n---\nx", -1,
                      "Line 3: unknown key “modle”; the keys are name, version, labels, tags, "
                      "description, provider, model, temperature, max_tokens and message");
  assert_parse_fails ("name: a\nname: b\nversion: 1\n---\nx", -1,
                      "Line 2: the key “name” is given twice");
  assert_parse_fails ("name: a\nversion: 1\ntemperature: hot\n---\nx", -1,
                      "Line 3: the temperature “hot” is not a number from 0 to 2");
  assert_parse_fails ("name: a\nversion: 1\ntemperature: 2.5\n---\nx", -1,
                      "Line 3: the temperature “2.5” is not a number from 0 to 2");
  assert_parse_fails ("name: a\nversion: 1\nmax_tokens: -3\n---\nx", -1,
                      "Line 3: the maximum number of tokens “-3” is not a whole number above 0");
  assert_parse_fails ("name: caf\xe9\nversion: 1\n---\nx", -1, "Line 1 is not valid UTF-8 text");
  assert_parse_fails ("name: a\nversion: 1\n---\nok\nbad \xff\xfe\n", -1,
                      "The text is not valid UTF-8 (line 5 of the file)");
  assert_parse_fails ("name: a\nversion: 1\n---\nnul\n\0here", 32,
                      "The text holds a NUL character (line 5 of the file)");
}

static void
test_file_path (void)
{
  const struct
  {
    const char *name;
    int         version;
    const char *path;
  } cases[] = {
    { "greeting", 1, "greeting.v1.prompt" },
    { "support/billing/refund", 12, "support/billing/refund.v12.prompt" },
    { "../../etc/passwd", 1, "%2E%2E/%2E%2E/etc/passwd.v1.prompt" },
    { "a/./b", 2, "a/%2E/b.v2.prompt" },
    { ".hidden", 1, "%2Ehidden.v1.prompt" },
    { "what? a:b*c \"d\" <e>|f\\g 100%", 1,
      "what%3F a%3Ab%2Ac %22d%22 %3Ce%3E%7Cf%5Cg 100%25.v1.prompt" },
    { "dots.in.name", 3, "dots.in.name.v3.prompt" },
    { "ünïcode/✓", 1, "ünïcode/✓.v1.prompt" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = confab_prompt_file_path (cases[i].name, cases[i].version);

      g_assert_cmpstr (path, ==, cases[i].path);
    }
}

/* Folders */

static ConfabPromptVersion *
save_version (ConfabDatabase *db, const char *prompt_id, const char *body, const char *message)
{
  g_autoptr (GError) error = NULL;
  ConfabPromptVersion *version = confab_prompt_version_new (prompt_id, body);

  confab_prompt_version_set_message (version, message);
  g_assert_true (confab_prompt_library_save_as_is (db, version, &error));
  g_assert_no_error (error);
  return version;
}

/* A library: "support/greeting" with every tricky body as a version, labels
 * and settings; "plain" with one version. */
static void
fill_library (ConfabDatabase *db)
{
  g_autoptr (ConfabProvider) provider =
      confab_provider_new ("Local", "ollama", "http://127.0.0.1:1");
  g_autoptr (ConfabPrompt) greeting = confab_prompt_new ("support/greeting");
  g_autoptr (ConfabPrompt) plain = confab_prompt_new ("plain");
  g_autoptr (ConfabPromptVersion) first = confab_prompt_version_new (NULL, tricky_bodies[0]);
  g_autoptr (ConfabPromptVersion) only = confab_prompt_version_new (NULL, "Just text");
  g_autoptr (ConfabPromptTestCase) test_case = NULL;
  g_autoptr (GError) error = NULL;
  const char *const tags[] = { "support", "faq", NULL };

  g_assert_true (confab_repository_create (db, CONFAB_ENTITY (provider), NULL, &error));
  confab_prompt_set_description (greeting, "Greets a customer");
  confab_prompt_set_tags (greeting, tags);
  confab_prompt_version_set_provider_id (first, id_of (provider));
  confab_prompt_version_set_model (first, "llama3");
  confab_prompt_version_set_temperature (first, 0.15);
  confab_prompt_version_set_max_tokens (first, 512);
  g_assert_true (confab_prompt_library_add (db, greeting, first, &error));
  for (guint i = 1; i < G_N_ELEMENTS (tricky_bodies); i++)
    g_object_unref (save_version (db, id_of (greeting), tricky_bodies[i], "Another"));
  g_assert_true (
      confab_prompt_library_move_label (db, id_of (greeting), "production", 2, NULL, &error));
  g_assert_true (
      confab_prompt_library_move_label (db, id_of (greeting), "staging", 4, NULL, &error));
  g_assert_true (confab_prompt_library_add (db, plain, only, &error));
  g_assert_no_error (error);

  test_case = confab_prompt_test_case_new (id_of (greeting), "Greets Ana");
  confab_prompt_test_case_set_variables (test_case, "{\"name\":\"Ana\"}");
  confab_prompt_test_case_set_input (test_case, "hi");
  confab_prompt_test_case_set_assertions (test_case, "[{\"type\":\"contains\",\"value\":\"Ana\"}]");
  g_assert_true (confab_repository_create (db, CONFAB_ENTITY (test_case), NULL, &error));
  g_assert_no_error (error);
}

/* Every version of every prompt of a and b: same bodies (bytes), settings,
 * labels, descriptions and tags. */
static void
assert_same_library (ConfabDatabase *a, ConfabDatabase *b)
{
  g_autoptr (GPtrArray) prompts = NULL;
  g_autoptr (GError) error = NULL;

  prompts = confab_repository_list (a, CONFAB_TYPE_PROMPT, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (confab_test_count_rows (b, "SELECT count(*) FROM prompts"), ==, prompts->len);
  for (guint i = 0; i < prompts->len; i++)
    {
      ConfabPrompt *pa = g_ptr_array_index (prompts, i);
      g_autoptr (ConfabPrompt) pb =
          confab_prompt_library_find (b, confab_prompt_get_name (pa), &error);
      g_autoptr (GPtrArray) va = NULL;
      g_autoptr (GPtrArray) vb = NULL;
      g_autoptr (GPtrArray) la = NULL;
      g_autoptr (GPtrArray) lb = NULL;

      g_assert_no_error (error);
      g_assert_cmpstr (confab_prompt_get_description (pa), ==, confab_prompt_get_description (pb));
      g_assert_cmpstr (confab_prompt_get_tags (pa), ==, confab_prompt_get_tags (pb));
      va = confab_prompt_list_versions (a, id_of (pa), &error);
      vb = confab_prompt_list_versions (b, id_of (pb), &error);
      g_assert_cmpuint (va->len, ==, vb->len);
      for (guint j = 0; j < va->len; j++)
        {
          ConfabPromptVersion *x = g_ptr_array_index (va, j);
          ConfabPromptVersion *y = g_ptr_array_index (vb, j);
          const char          *bx = confab_prompt_version_get_body (x);
          const char          *by = confab_prompt_version_get_body (y);

          g_assert_cmpint (confab_prompt_version_get_version (x), ==,
                           confab_prompt_version_get_version (y));
          /* Byte for byte. */
          g_assert_cmpuint (strlen (bx), ==, strlen (by));
          g_assert_cmpint (memcmp (bx, by, strlen (bx)), ==, 0);
          g_assert_cmpstr (confab_prompt_version_get_message (x), ==,
                           confab_prompt_version_get_message (y));
          g_assert_cmpstr (confab_prompt_version_get_model (x), ==,
                           confab_prompt_version_get_model (y));
          g_assert_true (confab_prompt_version_get_temperature (x) ==
                         confab_prompt_version_get_temperature (y));
          g_assert_cmpint (confab_prompt_version_get_max_tokens (x), ==,
                           confab_prompt_version_get_max_tokens (y));
          g_assert_cmpstr (confab_prompt_version_get_variables (x), ==,
                           confab_prompt_version_get_variables (y));
          g_assert_cmpint (confab_prompt_version_get_provider_id (x) != NULL, ==,
                           confab_prompt_version_get_provider_id (y) != NULL);
        }
      la = confab_prompt_list_labels (a, id_of (pa), &error);
      lb = confab_prompt_list_labels (b, id_of (pb), &error);
      g_assert_cmpuint (la->len, ==, lb->len);
      for (guint j = 0; j < la->len; j++)
        {
          g_assert_cmpstr (confab_prompt_label_get_name (g_ptr_array_index (la, j)), ==,
                           confab_prompt_label_get_name (g_ptr_array_index (lb, j)));
          g_assert_cmpint (confab_prompt_label_get_version (g_ptr_array_index (la, j)), ==,
                           confab_prompt_label_get_version (g_ptr_array_index (lb, j)));
        }
    }
}

static ConfabPromptImportItem *
find_item (GPtrArray *report, const char *name, int version, const char *detail_part)
{
  for (guint i = 0; i < report->len; i++)
    {
      ConfabPromptImportItem *item = g_ptr_array_index (report, i);

      if (g_strcmp0 (item->name, name) == 0 && item->version == version &&
          (detail_part == NULL || strstr (item->detail, detail_part) != NULL))
        return item;
    }
  g_error ("No report line for %s v%d (%s)", name ? name : "(file)", version,
           detail_part ? detail_part : "");
  return NULL;
}

static void
write_text (const char *dir, const char *relative, const char *contents, gssize length)
{
  g_autofree char *path = g_build_filename (dir, relative, NULL);
  g_autofree char *parent = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, contents, length, &error));
  g_assert_no_error (error);
}

static char *
read_text (const char *dir, const char *relative)
{
  g_autofree char *path = g_build_filename (dir, relative, NULL);
  g_autoptr (GError) error = NULL;
  char *contents = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, &error));
  g_assert_no_error (error);
  return contents;
}

static GPtrArray *
import_folder (ConfabDatabase *db, const char *dir, const char *actor_id)
{
  g_autoptr (GFile) folder = g_file_new_for_path (dir);
  g_autoptr (GError) error = NULL;
  GPtrArray *report = confab_prompt_files_import (db, folder, actor_id, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (report);
  return report;
}

static void
test_folder_round_trip (void)
{
  g_autoptr (ConfabTestWorkspace) a = confab_test_workspace_new ();
  g_autoptr (ConfabTestWorkspace) b = confab_test_workspace_new ();
  g_autoptr (ConfabProvider) local = confab_provider_new ("Local", "ollama", "http://127.0.0.1:2");
  g_autoptr (ConfabUser) importer = NULL;
  g_autoptr (GFile) folder = NULL;
  g_autoptr (GPtrArray) report = NULL;
  g_autoptr (GPtrArray) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_build_filename (a->dir, "library", NULL);
  g_autofree char *v2 = NULL;
  g_autofree char *v1 = NULL;
  guint            n_files = 0;

  fill_library (a->db);
  folder = g_file_new_for_path (dir);
  g_assert_true (confab_prompt_files_export (a->db, folder, &n_files, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_files, ==, G_N_ELEMENTS (tricky_bodies) + 1);

  /* What git would show. */
  v2 = read_text (dir, "support/greeting.v2.prompt");
  g_assert_cmpstr (v2, ==,
                   "name: support/greeting\nversion: 2\nlabels: production\n"
                   "tags: support, faq\ndescription: Greets a customer\n"
                   "temperature: 0.7\nmax_tokens: 1024\nmessage: Another\n---\n"
                   "One line break\n");
  v1 = read_text (dir, "support/greeting.v1.prompt");
  g_assert_nonnull (strstr (v1, "provider: Local\nmodel: llama3\ntemperature: 0.15\n"
                                "max_tokens: 512\n"));

  /* Into a workspace that has a provider of the same name. */
  g_assert_true (confab_repository_create (b->db, CONFAB_ENTITY (local), NULL, &error));
  importer = confab_test_add_user (b->db, "importer");
  report = import_folder (b->db, dir, id_of (importer));
  g_assert_cmpuint (confab_prompt_import_count (report, CONFAB_PROMPT_IMPORT_CREATED, FALSE), ==,
                    2 + n_files);
  g_assert_cmpuint (confab_prompt_import_count (report, CONFAB_PROMPT_IMPORT_UPDATED, FALSE), ==,
                    2);
  g_assert_cmpuint (confab_prompt_import_count (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE), ==, 0);
  find_item (report, "support/greeting", 0, "“production” on version 2");
  find_item (report, "support/greeting", 0, "“staging” on version 4");
  g_assert_cmpstr (find_item (report, "support/greeting", 3, NULL)->source, ==,
                   "support/greeting.v3.prompt");
  assert_same_library (a->db, b->db);
  assert_rows (b->db, 1,
               "SELECT count(*) FROM prompt_versions WHERE version = 1 AND provider_id = "
               "(SELECT id FROM providers WHERE name = 'Local')");

  /* Every change has its audit row, by the importer. */
  assert_rows (b->db, n_files,
               "SELECT count(*) FROM audit_log WHERE entity = 'prompt_version' "
               "AND action = 'create' AND actor_id IS NOT NULL");
  assert_rows (b->db, 2,
               "SELECT count(*) FROM audit_log WHERE action = 'label' "
               "AND actor_id IS NOT NULL");

  /* Again: all there, nothing changes. */
  again = import_folder (b->db, dir, NULL);
  g_assert_cmpuint (again->len, ==, n_files);
  g_assert_cmpuint (confab_prompt_import_count (again, CONFAB_PROMPT_IMPORT_SKIPPED, FALSE), ==,
                    n_files);
  assert_rows (b->db, n_files, "SELECT count(*) FROM prompt_versions");
}

static void
test_folder_import_rules (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabPromptVersion) stored = NULL;
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (GPtrArray) first = NULL;
  g_autoptr (GPtrArray) report = NULL;
  g_autoptr (GFile) folder = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char        *dir = g_build_filename (ws->dir, "repo", NULL);
  ConfabPromptImportItem *item;

  write_text (dir, "faq.v1.prompt",
              "name: faq\nversion: 1\nlabels: production\n"
              "tags: help\n---\nFirst text\n",
              -1);
  write_text (dir, "faq.v2.prompt",
              "name: faq\nversion: 2\nmessage: Second\ntags: help\n"
              "provider: Nowhere\nmodel: m\n---\nSecond text\n",
              -1);
  /* A git checkout's own folder is not read. */
  write_text (dir, ".git/objects/x.prompt", "garbage", -1);
  first = import_folder (ws->db, dir, NULL);
  g_assert_cmpuint (confab_prompt_import_count (first, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE), ==, 0);
  item = find_item (first, "faq", 2, NULL);
  g_assert_cmpint (item->action, ==, CONFAB_PROMPT_IMPORT_CREATED);
  g_assert_nonnull (strstr (item->detail, "Nowhere"));
  assert_rows (ws->db, 2, "SELECT count(*) FROM prompt_versions");

  /* The next round of files: v1 edited (refused), v2 moved a label,
   * v3 new, v5 with a gap, a broken file, a second v3. */
  write_text (dir, "faq.v1.prompt", "name: faq\nversion: 1\n---\nFirst text, edited\n", -1);
  write_text (dir, "faq.v2.prompt",
              "name: faq\nversion: 2\nlabels: staging\nmessage: Second\n"
              "provider: Nowhere\nmodel: m\n---\nSecond text\n",
              -1);
  write_text (dir, "faq.v3.prompt",
              "name: faq\nversion: 3\nlabels: production\n"
              "tags: help, billing\ndescription: Answers\n---\nThird\n",
              -1);
  write_text (dir, "old/faq-copy.v3.prompt", "name: faq\nversion: 3\n---\nAnother third\n", -1);
  write_text (dir, "faq.v5.prompt",
              "name: faq\nversion: 5\ntags: help, billing\n"
              "description: Answers\n---\nFifth\n",
              -1);
  write_text (dir, "notes.prompt", "just some notes\n", -1);
  write_text (dir, "bad.prompt", "name: bad\nversion: 1\n---\n\xc3\x28", -1);
  write_text (dir, "empty.v1.prompt", "name: empty\nversion: 1\n---\n", -1);
  write_text (dir, "readme.md", "not a prompt", -1);

  report = import_folder (ws->db, dir, NULL);

  /* v1 is never overwritten. */
  item = find_item (report, "faq", 1, "never overwritten");
  g_assert_cmpint (item->action, ==, CONFAB_PROMPT_IMPORT_SKIPPED);
  g_assert_true (item->problem);
  prompt = confab_prompt_library_find (ws->db, "faq", &error);
  stored = confab_prompt_get_version (ws->db, id_of (prompt), 1, &error);
  g_assert_cmpstr (confab_prompt_version_get_body (stored), ==, "First text\n");

  /* v2 was made without its provider: its label stays out. */
  item = find_item (report, "faq", 0, "“staging” stays where it is");
  g_assert_true (item->problem);
  /* v3 created, the label moved to it; the prompt's fields come from the
   * newest file (v5), as an export writes them into every file. */
  item = find_item (report, "faq", 3, "New version");
  g_assert_cmpint (item->action, ==, CONFAB_PROMPT_IMPORT_CREATED);
  item = find_item (report, "faq", 0, "Moved the label “production” from version 1 to version 3");
  g_assert_cmpint (item->action, ==, CONFAB_PROMPT_IMPORT_UPDATED);
  item = find_item (report, "faq", 0, "Changed its description, tags");
  g_assert_cmpint (item->action, ==, CONFAB_PROMPT_IMPORT_UPDATED);
  g_clear_object (&prompt);
  prompt = confab_prompt_library_find (ws->db, "faq", &error);
  g_assert_cmpstr (confab_prompt_get_description (prompt), ==, "Answers");
  g_assert_cmpstr (confab_prompt_get_tags (prompt), ==, "[\"help\",\"billing\"]");
  /* The second file giving v3 is skipped. */
  item = find_item (report, "faq", 3, "gives version 3");
  g_assert_cmpstr (item->source, ==, "old/faq-copy.v3.prompt");
  /* v5: v4 is missing. */
  item = find_item (report, "faq", 5, "Version 4 is missing");
  g_assert_true (item->problem);
  /* Files that cannot be read, naming why. */
  item = find_item (report, NULL, 0, "Line 1: “just some notes” is not a “key: value” line");
  g_assert_cmpstr (item->source, ==, "notes.prompt");
  item = find_item (report, NULL, 0, "not valid UTF-8");
  g_assert_cmpstr (item->source, ==, "bad.prompt");
  /* An empty text is no version: the prompt is made, the version refused. */
  item = find_item (report, "empty", 1, "prompt text");
  g_assert_true (item->problem);

  assert_rows (ws->db, 3,
               "SELECT count(*) FROM prompt_versions v JOIN prompts p "
               "ON p.id = v.prompt_id WHERE p.name = 'faq'");
  assert_rows (ws->db, 1,
               "SELECT count(*) FROM audit_log WHERE action = 'label' "
               "AND json_extract (details, '$.from_version') = 1 "
               "AND json_extract (details, '$.to_version') = 3");

  /* A folder that does not exist. */
  folder = g_file_new_for_path ("/nonexistent/confab-prompts");
  g_assert_null (confab_prompt_files_import (ws->db, folder, NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "confab-prompts"));
}

/* JSON */

static void
test_json_round_trip (void)
{
  g_autoptr (ConfabTestWorkspace) a = confab_test_workspace_new ();
  g_autoptr (ConfabTestWorkspace) b = confab_test_workspace_new ();
  g_autoptr (GFile) file = NULL;
  g_autoptr (GFile) changed = NULL;
  g_autoptr (GPtrArray) report = NULL;
  g_autoptr (GPtrArray) again = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (a->dir, "library.json", NULL);
  g_autofree char *changed_path = g_build_filename (a->dir, "changed.json", NULL);
  g_autoptr (ConfabProvider) local = confab_provider_new ("Local", "ollama", "http://127.0.0.1:2");
  g_autofree char *text = NULL;
  g_autofree char *edited = NULL;

  fill_library (a->db);
  file = g_file_new_for_path (path);
  g_assert_true (confab_prompt_library_export_json (a->db, file, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (confab_repository_create (b->db, CONFAB_ENTITY (local), NULL, &error));

  report = confab_prompt_library_import_json (b->db, file, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (confab_prompt_import_count (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE), ==, 0);
  find_item (report, "support/greeting", 0, "New test case “Greets Ana”");
  assert_same_library (a->db, b->db);
  assert_rows (b->db, 1,
               "SELECT count(*) FROM prompt_test_cases WHERE name = 'Greets Ana' "
               "AND input = 'hi' AND variables = '{\"name\":\"Ana\"}' "
               "AND json_extract (assertions, '$[0].value') = 'Ana'");

  /* Edited test case: updated; versions already there. */
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  {
    g_auto (GStrv) parts = g_strsplit (text, "\"value\" : \"Ana\"", -1);

    g_assert_cmpuint (g_strv_length (parts), ==, 2);
    edited = g_strjoinv ("\"value\" : \"Ana!\"", parts);
  }
  g_assert_true (g_file_set_contents (changed_path, edited, -1, NULL));
  changed = g_file_new_for_path (changed_path);
  again = confab_prompt_library_import_json (b->db, changed, NULL, NULL, &error);
  g_assert_no_error (error);
  find_item (again, "support/greeting", 0, "Changed the test case “Greets Ana”");
  g_assert_cmpuint (confab_prompt_import_count (again, CONFAB_PROMPT_IMPORT_CREATED, FALSE), ==, 0);
  assert_rows (b->db, 1,
               "SELECT count(*) FROM prompt_test_cases "
               "WHERE json_extract (assertions, '$[0].value') = 'Ana!'");
}

static void
test_json_errors (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) report = NULL;
  const struct
  {
    const char *text;
    int         code;
    const char *needle;
  } cases[] = {
    { "not json", CONFAB_ERROR_INVALID, "not a readable prompt library" },
    { "{\"format\": \"confab-workspace\", \"prompts\": []}", CONFAB_ERROR_INVALID,
      "not a Confab prompt library export" },
    { "{\"format\": \"confab-prompt-library\", \"format_version\": 99, \"prompts\": []}",
      CONFAB_ERROR_NEWER_VERSION, "newer version" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_build_filename (ws->dir, "bad.json", NULL);
      g_autoptr (GFile) file = g_file_new_for_path (path);
      g_autoptr (GPtrArray) none = NULL;

      g_assert_true (g_file_set_contents (path, cases[i].text, -1, NULL));
      none = confab_prompt_library_import_json (ws->db, file, NULL, NULL, &error);
      g_assert_null (none);
      g_assert_error (error, CONFAB_ERROR, cases[i].code);
      g_assert_nonnull (strstr (error->message, cases[i].needle));
      g_clear_error (&error);
    }

  /* Entries that cannot be read are reported; the rest is imported. */
  {
    g_autofree char *path = g_build_filename (ws->dir, "partial.json", NULL);
    g_autoptr (GFile) file = g_file_new_for_path (path);

    g_assert_true (g_file_set_contents (
        path,
        "{\"format\": \"confab-prompt-library\", \"format_version\": 1, \"prompts\": ["
        " {\"description\": \"no name\"},"
        " {\"name\": \"ok\", \"tags\": [1], \"labels\": {\"production\": \"one\"},"
        "  \"versions\": [{\"version\": 1, \"body\": \"Fine\"}, {\"body\": \"no number\"}],"
        "  \"test_cases\": [{\"name\": \"bad case\", \"assertions\": [{\"type\": \"nope\"}]},"
        "                   {\"input\": \"nameless\"}]}]}",
        -1, NULL));
    report = confab_prompt_library_import_json (ws->db, file, NULL, NULL, &error);
    g_assert_no_error (error);
    find_item (report, NULL, 0, "no “name”");
    find_item (report, "ok", 0, "“tags” are not a list of text");
    find_item (report, "ok", 0, "“production” does not name a version number");
    find_item (report, "ok", 0, "is not a version");
    find_item (report, "ok", 0, "Assertion 1: unknown type “nope”");
    find_item (report, "ok", 0, "is not a test case");
    find_item (report, "ok", 1, "New version");
    g_assert_cmpuint (confab_prompt_import_count (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE), ==,
                      6);
    assert_rows (ws->db, 1, "SELECT count(*) FROM prompt_versions");
    assert_rows (ws->db, 0, "SELECT count(*) FROM prompt_test_cases");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/prompt-files/format-round-trip", test_format_round_trip);
  g_test_add_func ("/confab/prompt-files/format-text", test_format_text);
  g_test_add_func ("/confab/prompt-files/parse", test_parse);
  g_test_add_func ("/confab/prompt-files/parse-errors", test_parse_errors);
  g_test_add_func ("/confab/prompt-files/file-path", test_file_path);
  g_test_add_func ("/confab/prompt-files/folder-round-trip", test_folder_round_trip);
  g_test_add_func ("/confab/prompt-files/folder-import-rules", test_folder_import_rules);
  g_test_add_func ("/confab/prompt-files/json-round-trip", test_json_round_trip);
  g_test_add_func ("/confab/prompt-files/json-errors", test_json_errors);
  return g_test_run ();
}
