/* Diffs of prompt versions (confab-prompt-diff.h): unified output for known
 * pairs, changed words, line breaks at the end, hunks and context, model
 * settings, and, on random texts, that the edit script is right and as
 * short as the longest common subsequence allows. */

#include "config.h"

#include <string.h>

#include "confab-prompt-diff.h"
#include "confab-test-util.h"

static void
assert_unified (const char         *old_text,
                const char         *new_text,
                guint               context,
                ConfabDiffTextFlags flags,
                const char         *expected)
{
  g_autoptr (ConfabPromptDiff) diff = confab_prompt_diff_new (old_text, new_text);
  g_autofree char *text = confab_prompt_diff_to_text (diff, "a", "b", context, flags);

  g_assert_cmpstr (text, ==, expected);
}

static void
test_equal (void)
{
  g_autoptr (ConfabPromptDiff) diff = confab_prompt_diff_new ("same\ntext\n", "same\ntext\n");
  g_autoptr (GArray) hunks = confab_prompt_diff_get_hunks (diff, 3);
  g_autofree char *text = confab_prompt_diff_to_text (diff, "a", "b", 3, 0);

  g_assert_true (confab_prompt_diff_is_empty (diff));
  g_assert_cmpuint (hunks->len, ==, 0);
  g_assert_cmpstr (text, ==, "");
  g_assert_cmpuint (confab_prompt_diff_get_n_lines (diff), ==, 2);
  g_assert_cmpint (confab_prompt_diff_get_line (diff, 1)->kind, ==, CONFAB_DIFF_EQUAL);
  g_assert_cmpuint (confab_prompt_diff_get_line (diff, 1)->old_line, ==, 2);
  g_assert_cmpuint (confab_prompt_diff_get_line (diff, 1)->new_line, ==, 2);
}

static void
test_known_pairs (void)
{
  /* One line changed, no word in common: whole lines. */
  assert_unified ("a\nb\nc\n", "a\nB\nc\n", 3, CONFAB_DIFF_TEXT_WORDS,
                  "--- a\n+++ b\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");

  /* Added and removed lines. */
  assert_unified ("Hello\nworld\n", "Hello\nthere\nworld\n!\n", 3, 0,
                  "--- a\n+++ b\n@@ -1,2 +1,4 @@\n Hello\n+there\n world\n+!\n");
  assert_unified ("one\ntwo\nthree\n", "one\nthree\n", 3, 0,
                  "--- a\n+++ b\n@@ -1,3 +1,2 @@\n one\n-two\n three\n");

  /* From and to nothing. */
  assert_unified ("", "a\n", 3, 0, "--- a\n+++ b\n@@ -0,0 +1 @@\n+a\n");
  assert_unified ("a\nb\n", "", 3, 0, "--- a\n+++ b\n@@ -1,2 +0,0 @@\n-a\n-b\n");
  assert_unified (NULL, NULL, 3, 0, "");

  /* The line break at the end counts. */
  assert_unified ("x\ny", "x\ny\n", 3, 0,
                  "--- a\n+++ b\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n");
  assert_unified ("x\n", "x\nz", 3, 0,
                  "--- a\n+++ b\n@@ -1 +1,2 @@\n x\n+z\n\\ No newline at end of file\n");

  /* "---" lines and CRLF are just lines. */
  assert_unified ("---\r\nbody\r\n", "---\r\nbody!\r\n", 0, 0,
                  "--- a\n+++ b\n@@ -2 +2 @@\n-body\r\n+body!\r\n");
}

static void
test_words (void)
{
  g_autoptr (ConfabPromptDiff) diff = NULL;
  const ConfabDiffLine *removed, *added;

  /* The changed word is a span on each side. */
  diff = confab_prompt_diff_new ("The cat sat on the mat.\n", "The dog sat on the mat.\n");
  g_assert_cmpuint (confab_prompt_diff_get_n_lines (diff), ==, 2);
  removed = confab_prompt_diff_get_line (diff, 0);
  added = confab_prompt_diff_get_line (diff, 1);
  g_assert_cmpint (removed->kind, ==, CONFAB_DIFF_REMOVED);
  g_assert_cmpint (added->kind, ==, CONFAB_DIFF_ADDED);
  g_assert_cmpuint (removed->old_line, ==, 1);
  g_assert_cmpuint (removed->new_line, ==, 0);
  g_assert_cmpuint (added->new_line, ==, 1);
  g_assert_cmpuint (removed->n_spans, ==, 1);
  g_assert_cmpuint (removed->spans[0].start, ==, 4);
  g_assert_cmpuint (removed->spans[0].length, ==, 3);
  g_assert_cmpuint (added->n_spans, ==, 1);
  g_assert_cmpuint (added->spans[0].start, ==, 4);
  g_assert_cmpuint (added->spans[0].length, ==, 3);
  g_clear_pointer (&diff, confab_prompt_diff_free);

  assert_unified ("The cat sat on the mat.\n", "The dog sat on the mat.\n", 3,
                  CONFAB_DIFF_TEXT_WORDS,
                  "--- a\n+++ b\n@@ -1 +1 @@\n-The [-cat-] sat on the mat.\n"
                  "+The {+dog+} sat on the mat.\n");

  /* Words changed next to each other read as one span. */
  assert_unified ("a b c d\n", "a x y d\n", 3, CONFAB_DIFF_TEXT_WORDS,
                  "--- a\n+++ b\n@@ -1 +1 @@\n-a [-b c-] d\n+a {+x y+} d\n");

  /* A word added: only the new line has a span. */
  assert_unified ("Ask about {{topic}}.\n", "Ask about {{topic}} today.\n", 3,
                  CONFAB_DIFF_TEXT_WORDS,
                  "--- a\n+++ b\n@@ -1 +1 @@\n-Ask about {{topic}}.\n"
                  "+Ask about {{topic}}{+ today+}.\n");

  /* Non-ASCII words stay whole. */
  assert_unified ("Grüße, André!\n", "Grüße, Zoë!\n", 3, CONFAB_DIFF_TEXT_WORDS,
                  "--- a\n+++ b\n@@ -1 +1 @@\n-Grüße, [-André-]!\n+Grüße, {+Zoë+}!\n");

  /* Colours: red and green lines, changed words in reverse video. */
  assert_unified ("The cat\n", "The dog\n", 3, CONFAB_DIFF_TEXT_COLOR,
                  "\033[1m--- a\033[0m\n\033[1m+++ b\033[0m\n\033[36m@@ -1 +1 @@\033[0m\n"
                  "\033[31m-The \033[7mcat\033[27m\033[0m\n"
                  "\033[32m+The \033[7mdog\033[27m\033[0m\n");

  /* Without the flag the plain text has no marks. */
  assert_unified ("The cat\n", "The dog\n", 3, 0,
                  "--- a\n+++ b\n@@ -1 +1 @@\n-The cat\n+The dog\n");
}

static void
test_hunks (void)
{
  g_autoptr (GString) old_text = g_string_new (NULL);
  g_autoptr (GString) new_text = g_string_new (NULL);
  g_autoptr (ConfabPromptDiff) diff = NULL;
  g_autoptr (GArray) hunks = NULL;
  g_autoptr (GArray) whole = NULL;
  g_autoptr (GArray) joined = NULL;
  const ConfabDiffHunk *hunk;

  for (int i = 1; i <= 20; i++)
    {
      g_string_append_printf (old_text, "line %d\n", i);
      g_string_append_printf (new_text, i == 2 || i == 18 ? "LINE %d\n" : "line %d\n", i);
    }
  diff = confab_prompt_diff_new (old_text->str, new_text->str);
  g_assert_cmpuint (confab_prompt_diff_get_n_added (diff), ==, 2);
  g_assert_cmpuint (confab_prompt_diff_get_n_removed (diff), ==, 2);

  hunks = confab_prompt_diff_get_hunks (diff, 3);
  g_assert_cmpuint (hunks->len, ==, 2);
  hunk = &g_array_index (hunks, ConfabDiffHunk, 0);
  g_assert_cmpuint (hunk->old_start, ==, 1);
  g_assert_cmpuint (hunk->old_count, ==, 5);
  g_assert_cmpuint (hunk->new_start, ==, 1);
  g_assert_cmpuint (hunk->new_count, ==, 5);
  g_assert_cmpuint (hunk->first_line, ==, 0);
  g_assert_cmpuint (hunk->n_lines, ==, 6);
  hunk = &g_array_index (hunks, ConfabDiffHunk, 1);
  g_assert_cmpuint (hunk->old_start, ==, 15);
  g_assert_cmpuint (hunk->old_count, ==, 6);
  g_assert_cmpuint (hunk->new_start, ==, 15);
  g_assert_cmpuint (hunk->new_count, ==, 6);

  /* Changes closer than twice the context share a hunk. */
  joined = confab_prompt_diff_get_hunks (diff, 8);
  g_assert_cmpuint (joined->len, ==, 1);

  /* Everything. */
  whole = confab_prompt_diff_get_hunks (diff, G_MAXUINT);
  g_assert_cmpuint (whole->len, ==, 1);
  hunk = &g_array_index (whole, ConfabDiffHunk, 0);
  g_assert_cmpuint (hunk->n_lines, ==, confab_prompt_diff_get_n_lines (diff));
  g_assert_cmpuint (hunk->old_count, ==, 20);

  assert_unified (old_text->str, new_text->str, 1, 0,
                  "--- a\n+++ b\n@@ -1,3 +1,3 @@\n line 1\n-line 2\n+LINE 2\n line 3\n"
                  "@@ -17,3 +17,3 @@\n line 17\n-line 18\n+LINE 18\n line 19\n");
}

static void
test_settings (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabProvider) provider =
      confab_provider_new ("Local", "ollama", "http://127.0.0.1:1");
  g_autoptr (ConfabPromptVersion) a = confab_prompt_version_new ("p", "Same text\n");
  g_autoptr (ConfabPromptVersion) b = confab_prompt_version_new ("p", "Same text\n");
  g_autoptr (ConfabPromptDiff) diff = NULL;
  g_autoptr (ConfabPromptDiff) same = NULL;
  g_autoptr (ConfabPromptDiff) unnamed = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char         *text = NULL;
  const ConfabDiffSetting *setting;

  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (provider), NULL, &error));
  g_assert_no_error (error);

  same = confab_prompt_diff_new_for_versions (ws->db, a, b);
  g_assert_true (confab_prompt_diff_is_empty (same));

  confab_prompt_version_set_provider_id (b, confab_entity_get_id (CONFAB_ENTITY (provider)));
  confab_prompt_version_set_model (b, "llama3");
  confab_prompt_version_set_temperature (b, 0.2);
  confab_prompt_version_set_max_tokens (b, 256);
  diff = confab_prompt_diff_new_for_versions (ws->db, a, b);
  g_assert_false (confab_prompt_diff_is_empty (diff));
  g_assert_cmpuint (confab_prompt_diff_get_n_lines (diff), ==, 1);
  g_assert_cmpuint (confab_prompt_diff_get_n_settings (diff), ==, 4);

  setting = confab_prompt_diff_get_setting (diff, 0);
  g_assert_cmpstr (setting->field, ==, "provider");
  g_assert_cmpstr (setting->old_value, ==, "");
  g_assert_cmpstr (setting->new_value, ==, "Local");
  setting = confab_prompt_diff_get_setting (diff, 1);
  g_assert_cmpstr (setting->field, ==, "model");
  g_assert_cmpstr (setting->new_value, ==, "llama3");
  setting = confab_prompt_diff_get_setting (diff, 2);
  g_assert_cmpstr (setting->field, ==, "temperature");
  g_assert_cmpstr (setting->old_value, ==, "0.7");
  g_assert_cmpstr (setting->new_value, ==, "0.2");
  setting = confab_prompt_diff_get_setting (diff, 3);
  g_assert_cmpstr (setting->field, ==, "max_tokens");
  g_assert_cmpstr (setting->old_value, ==, "1024");
  g_assert_cmpstr (setting->new_value, ==, "256");

  text = confab_prompt_diff_settings_to_text (diff);
  g_assert_cmpstr (text, ==,
                   "Provider: (none) → Local\nModel: (none) → llama3\n"
                   "Temperature: 0.7 → 0.2\nMaximum tokens: 1024 → 256\n");

  /* Without the workspace the provider is its id. */
  unnamed = confab_prompt_diff_new_for_versions (NULL, a, b);
  g_assert_cmpstr (confab_prompt_diff_get_setting (unnamed, 0)->new_value, ==,
                   confab_entity_get_id (CONFAB_ENTITY (provider)));
}

/* Random texts */

/* The longest common subsequence of two line lists, by dynamic programming. */
static guint
lcs_length (char **a, guint n, char **b, guint m)
{
  g_autofree guint *table = g_new0 (guint, (n + 1) * (m + 1));

  for (guint i = 1; i <= n; i++)
    for (guint j = 1; j <= m; j++)
      table[i * (m + 1) + j] = strcmp (a[i - 1], b[j - 1]) == 0
                                   ? table[(i - 1) * (m + 1) + j - 1] + 1
                                   : MAX (table[(i - 1) * (m + 1) + j], table[i * (m + 1) + j - 1]);
  return table[n * (m + 1) + m];
}

static char *
random_text (GRand *rand, guint n_lines, guint alphabet)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < n_lines; i++)
    g_string_append_printf (text, "%c\n", 'a' + g_rand_int_range (rand, 0, alphabet));
  return g_string_free (text, FALSE);
}

/* The old and new texts the diff's lines spell. */
static void
rebuild (ConfabPromptDiff *diff, GString *old_text, GString *new_text)
{
  for (guint i = 0; i < confab_prompt_diff_get_n_lines (diff); i++)
    {
      const ConfabDiffLine *line = confab_prompt_diff_get_line (diff, i);
      const char           *end = line->no_newline ? "" : "\n";

      if (line->kind != CONFAB_DIFF_ADDED)
        g_string_append_printf (old_text, "%s%s", line->text, end);
      if (line->kind != CONFAB_DIFF_REMOVED)
        g_string_append_printf (new_text, "%s%s", line->text, end);
    }
}

static void
test_random (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (20241123);

  for (guint round = 0; round < 300; round++)
    {
      guint            n = g_rand_int_range (rand, 0, 40);
      guint            m = g_rand_int_range (rand, 0, 40);
      guint            alphabet = g_rand_int_range (rand, 2, 6);
      g_autofree char *a = random_text (rand, n, alphabet);
      g_autofree char *b = random_text (rand, m, alphabet);
      g_autoptr (ConfabPromptDiff) diff = confab_prompt_diff_new (a, b);
      g_autoptr (GString) old_text = g_string_new (NULL);
      g_autoptr (GString) new_text = g_string_new (NULL);
      g_auto (GStrv) la = g_strsplit (a, "\n", -1);
      g_auto (GStrv) lb = g_strsplit (b, "\n", -1);
      guint lcs = lcs_length (la, n, lb, m);

      rebuild (diff, old_text, new_text);
      g_assert_cmpstr (old_text->str, ==, a);
      g_assert_cmpstr (new_text->str, ==, b);
      /* Myers finds a shortest edit script: every line outside an LCS. */
      g_assert_cmpuint (confab_prompt_diff_get_n_removed (diff), ==, n - lcs);
      g_assert_cmpuint (confab_prompt_diff_get_n_added (diff), ==, m - lcs);
    }

  /* The classic example of Myers' paper: D = 5. */
  {
    g_autoptr (ConfabPromptDiff) diff =
        confab_prompt_diff_new ("A\nB\nC\nA\nB\nB\nA\n", "C\nB\nA\nB\nA\nC\n");

    g_assert_cmpuint (
        confab_prompt_diff_get_n_removed (diff) + confab_prompt_diff_get_n_added (diff), ==, 5);
  }
}

static void
test_large (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  g_autoptr (GString) a = g_string_new (NULL);
  g_autoptr (GString) b = g_string_new (NULL);
  g_autoptr (ConfabPromptDiff) diff = NULL;
  g_autoptr (GString) old_text = g_string_new (NULL);
  g_autoptr (GString) new_text = g_string_new (NULL);

  /* A body at the size limit, every tenth line edited. */
  for (guint i = 0; i < 4000; i++)
    {
      guint value = g_rand_int (rand);

      g_string_append_printf (a, "Line %u says %u\n", i, value);
      if (i % 10 == 3)
        g_string_append_printf (b, "Line %u now says %u\n", i, value + 1);
      else if (i % 10 != 7)
        g_string_append_printf (b, "Line %u says %u\n", i, value);
    }
  diff = confab_prompt_diff_new (a->str, b->str);
  rebuild (diff, old_text, new_text);
  g_assert_cmpstr (old_text->str, ==, a->str);
  g_assert_cmpstr (new_text->str, ==, b->str);
  g_assert_cmpuint (confab_prompt_diff_get_n_removed (diff), ==, 800);
  g_assert_cmpuint (confab_prompt_diff_get_n_added (diff), ==, 400);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/prompt-diff/equal", test_equal);
  g_test_add_func ("/confab/prompt-diff/known-pairs", test_known_pairs);
  g_test_add_func ("/confab/prompt-diff/words", test_words);
  g_test_add_func ("/confab/prompt-diff/hunks", test_hunks);
  g_test_add_func ("/confab/prompt-diff/settings", test_settings);
  g_test_add_func ("/confab/prompt-diff/random", test_random);
  g_test_add_func ("/confab/prompt-diff/large", test_large);
  return g_test_run ();
}
