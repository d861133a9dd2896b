#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "confab-prompt-diff.h"
#include "confab-provider.h"
#include "confab-repository.h"

/* See confab-prompt-diff.h. The edit script comes from Myers' O(ND)
 * algorithm in its linear-space form: find the middle snake of the two
 * sequences, split there and diff both halves, after trimming the common
 * prefix and suffix at each step. Lines and words are compared as numbers
 * (each distinct text gets one), so one routine serves both. */

typedef enum
{
  OP_EQUAL,
  OP_DELETE,
  OP_INSERT,
} Op;

typedef struct
{
  Op    op;
  gsize count;
} Edit;

struct _ConfabPromptDiff
{
  GArray    *lines;    /* ConfabDiffLine */
  GArray    *settings; /* ConfabDiffSetting */
  GPtrArray *owned;    /* texts and spans the lines and settings point into */
  guint      n_added;
  guint      n_removed;
};

static void
add_edit (GArray *edits, Op op, gsize count)
{
  if (count == 0)
    return;
  if (edits->len > 0)
    {
      Edit *last = &g_array_index (edits, Edit, edits->len - 1);

      if (last->op == op)
        {
          last->count += count;
          return;
        }
    }
  g_array_append_val (edits, ((Edit){ op, count }));
}

static void diff_range (const guint *a, gsize n, const guint *b, gsize m, GArray *edits);

/* The middle snake of a and b (both non-empty, differing at both ends),
 * then the two halves. */
static void
bisect (const guint *a, gsize n, const guint *b, gsize m, GArray *edits)
{
  gssize max_d = ((gssize) n + (gssize) m + 1) / 2;
  gssize v_offset = max_d;
  /* Two more than the paper's 2 * max_d: the first step reads v[v_offset + 1]. */
  gssize             v_length = 2 * max_d + 2;
  gssize             delta = (gssize) n - (gssize) m;
  gboolean           front = (delta % 2) != 0;
  gssize             k1start = 0, k1end = 0, k2start = 0, k2end = 0;
  g_autofree gssize *v1 = g_new (gssize, v_length);
  g_autofree gssize *v2 = g_new (gssize, v_length);

  for (gssize i = 0; i < v_length; i++)
    v1[i] = v2[i] = -1;
  v1[v_offset + 1] = 0;
  v2[v_offset + 1] = 0;

  for (gssize d = 0; d < max_d; d++)
    {
      /* Forward paths. */
      for (gssize k1 = -d + k1start; k1 <= d - k1end; k1 += 2)
        {
          gssize k1_offset = v_offset + k1;
          gssize x1, y1;

          if (k1 == -d || (k1 != d && v1[k1_offset - 1] < v1[k1_offset + 1]))
            x1 = v1[k1_offset + 1];
          else
            x1 = v1[k1_offset - 1] + 1;
          y1 = x1 - k1;
          while (x1 < (gssize) n && y1 < (gssize) m && a[x1] == b[y1])
            {
              x1++;
              y1++;
            }
          v1[k1_offset] = x1;
          if (x1 > (gssize) n)
            k1end += 2;
          else if (y1 > (gssize) m)
            k1start += 2;
          else if (front)
            {
              gssize k2_offset = v_offset + delta - k1;

              if (k2_offset >= 0 && k2_offset < v_length && v2[k2_offset] != -1 &&
                  x1 >= (gssize) n - v2[k2_offset])
                {
                  diff_range (a, x1, b, y1, edits);
                  diff_range (a + x1, n - x1, b + y1, m - y1, edits);
                  return;
                }
            }
        }

      /* Reverse paths. */
      for (gssize k2 = -d + k2start; k2 <= d - k2end; k2 += 2)
        {
          gssize k2_offset = v_offset + k2;
          gssize x2, y2;

          if (k2 == -d || (k2 != d && v2[k2_offset - 1] < v2[k2_offset + 1]))
            x2 = v2[k2_offset + 1];
          else
            x2 = v2[k2_offset - 1] + 1;
          y2 = x2 - k2;
          while (x2 < (gssize) n && y2 < (gssize) m && a[n - x2 - 1] == b[m - y2 - 1])
            {
              x2++;
              y2++;
            }
          v2[k2_offset] = x2;
          if (x2 > (gssize) n)
            k2end += 2;
          else if (y2 > (gssize) m)
            k2start += 2;
          else if (!front)
            {
              gssize k1_offset = v_offset + delta - k2;

              if (k1_offset >= 0 && k1_offset < v_length && v1[k1_offset] != -1)
                {
                  gssize x1 = v1[k1_offset];
                  gssize y1 = v_offset + x1 - k1_offset;

                  if (x1 >= (gssize) n - x2)
                    {
                      diff_range (a, x1, b, y1, edits);
                      diff_range (a + x1, n - x1, b + y1, m - y1, edits);
                      return;
                    }
                }
            }
        }
    }

  /* Only reached when nothing is in common. */
  add_edit (edits, OP_DELETE, n);
  add_edit (edits, OP_INSERT, m);
}

static void
diff_range (const guint *a, gsize n, const guint *b, gsize m, GArray *edits)
{
  gsize prefix = 0, suffix = 0;

  while (prefix < n && prefix < m && a[prefix] == b[prefix])
    prefix++;
  while (suffix < n - prefix && suffix < m - prefix && a[n - 1 - suffix] == b[m - 1 - suffix])
    suffix++;

  add_edit (edits, OP_EQUAL, prefix);
  a += prefix;
  b += prefix;
  n -= prefix + suffix;
  m -= prefix + suffix;
  if (n == 0)
    add_edit (edits, OP_INSERT, m);
  else if (m == 0)
    add_edit (edits, OP_DELETE, n);
  else
    bisect (a, n, b, m, edits);
  add_edit (edits, OP_EQUAL, suffix);
}

/* Texts as numbers: each distinct text gets the next number. */
static guint
intern (GHashTable *ids, char *key)
{
  gpointer found = g_hash_table_lookup (ids, key);

  if (found != NULL)
    {
      g_free (key);
      return GPOINTER_TO_UINT (found);
    }
  g_hash_table_insert (ids, key, GUINT_TO_POINTER (g_hash_table_size (ids) + 1));
  return g_hash_table_size (ids);
}

/* Lines */

typedef struct
{
  const char *start;
  gsize       length;
  gboolean    no_newline;
} RawLine;

static GArray *
split_lines (const char *text)
{
  GArray     *lines = g_array_new (FALSE, FALSE, sizeof (RawLine));
  const char *p = text;

  while (*p != '\0')
    {
      const char *end = strchr (p, '\n');
      RawLine     line = { p, 0, FALSE };

      if (end == NULL)
        {
          line.length = strlen (p);
          line.no_newline = TRUE;
          g_array_append_val (lines, line);
          break;
        }
      line.length = end - p;
      g_array_append_val (lines, line);
      p = end + 1;
    }
  return lines;
}

static guint *
line_ids (GArray *lines, GHashTable *ids)
{
  guint *numbers = g_new (guint, MAX (lines->len, 1));

  for (guint i = 0; i < lines->len; i++)
    {
      const RawLine *line = &g_array_index (lines, RawLine, i);
      /* A line break is not part of a line, but its absence makes the last
       * line differ: a '\n' can never be inside a line, so it marks it. */
      char *key =
          g_strdup_printf ("%.*s%s", (int) line->length, line->start, line->no_newline ? "\n" : "");

      numbers[i] = intern (ids, key);
    }
  return numbers;
}

/* Words */

typedef struct
{
  guint    start;
  guint    length;
  gboolean is_word;
  gboolean is_space;
} Token;

static gboolean
is_word_char (gunichar c)
{
  return g_unichar_isalnum (c) || c == '_';
}

static GArray *
tokenize (const char *text)
{
  GArray     *tokens = g_array_new (FALSE, FALSE, sizeof (Token));
  const char *p = text;

  while (*p != '\0')
    {
      gunichar    c = g_utf8_get_char (p);
      const char *end = g_utf8_next_char (p);
      Token       token = { (guint) (p - text), 0, FALSE, FALSE };

      if (is_word_char (c))
        {
          token.is_word = TRUE;
          while (*end != '\0' && is_word_char (g_utf8_get_char (end)))
            end = g_utf8_next_char (end);
        }
      else if (c == ' ' || c == '\t' || c == '\r')
        {
          token.is_space = TRUE;
          while (*end == ' ' || *end == '\t' || *end == '\r')
            end++;
        }
      token.length = (guint) (end - p);
      g_array_append_val (tokens, token);
      p = end;
    }
  return tokens;
}

static guint *
token_ids (const char *text, GArray *tokens, GHashTable *ids)
{
  guint *numbers = g_new (guint, MAX (tokens->len, 1));

  for (guint i = 0; i < tokens->len; i++)
    {
      const Token *token = &g_array_index (tokens, Token, i);

      numbers[i] = intern (ids, g_strndup (text + token->start, token->length));
    }
  return numbers;
}

/* Adds token i's bytes to spans, joining it to the previous span when only
 * spaces lie between them, so "a b c" changed reads as one span. */
static void
add_span (GArray *spans, const char *text, const Token *token)
{
  if (spans->len > 0)
    {
      ConfabDiffSpan *last = &g_array_index (spans, ConfabDiffSpan, spans->len - 1);
      guint           gap_start = last->start + last->length;
      gboolean        only_space = TRUE;

      for (guint i = gap_start; i < token->start; i++)
        if (text[i] != ' ' && text[i] != '\t')
          only_space = FALSE;
      if (only_space)
        {
          last->length = token->start + token->length - last->start;
          return;
        }
    }
  g_array_append_val (spans, ((ConfabDiffSpan){ token->start, token->length }));
}

static void
set_spans (ConfabPromptDiff *self, ConfabDiffLine *line, GArray *spans)
{
  if (spans->len == 0)
    return;
  line->n_spans = spans->len;
  line->spans = g_memdup2 (spans->data, spans->len * sizeof (ConfabDiffSpan));
  g_ptr_array_add (self->owned, (gpointer) line->spans);
}

/* Marks the words that differ between a removed and an added line. */
static void
mark_words (ConfabPromptDiff *self, ConfabDiffLine *removed, ConfabDiffLine *added)
{
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GArray) old_tokens = tokenize (removed->text);
  g_autoptr (GArray) new_tokens = tokenize (added->text);
  g_autofree guint *a = token_ids (removed->text, old_tokens, ids);
  g_autofree guint *b = token_ids (added->text, new_tokens, ids);
  g_autoptr (GArray) edits = g_array_new (FALSE, FALSE, sizeof (Edit));
  g_autoptr (GArray) old_spans = g_array_new (FALSE, FALSE, sizeof (ConfabDiffSpan));
  g_autoptr (GArray) new_spans = g_array_new (FALSE, FALSE, sizeof (ConfabDiffSpan));
  gboolean share_a_word = FALSE;
  guint    i = 0, j = 0;

  diff_range (a, old_tokens->len, b, new_tokens->len, edits);
  for (guint e = 0; e < edits->len; e++)
    {
      const Edit *edit = &g_array_index (edits, Edit, e);

      for (gsize k = 0; k < edit->count; k++)
        switch (edit->op)
          {
          case OP_EQUAL:
            if (g_array_index (old_tokens, Token, i).is_word)
              share_a_word = TRUE;
            i++;
            j++;
            break;
          case OP_DELETE:
            add_span (old_spans, removed->text, &g_array_index (old_tokens, Token, i++));
            break;
          case OP_INSERT:
          default:
            add_span (new_spans, added->text, &g_array_index (new_tokens, Token, j++));
            break;
          }
    }

  /* Lines with no word in common are simply different lines. */
  if (!share_a_word)
    return;
  set_spans (self, removed, old_spans);
  set_spans (self, added, new_spans);
}

static void
append_line (
    ConfabPromptDiff *self, ConfabDiffKind kind, const RawLine *raw, guint old_line, guint new_line)
{
  ConfabDiffLine line = { 0 };
  char          *text = g_strndup (raw->start, raw->length);

  g_ptr_array_add (self->owned, text);
  line.kind = kind;
  line.text = text;
  line.old_line = old_line;
  line.new_line = new_line;
  line.no_newline = raw->no_newline;
  g_array_append_val (self->lines, line);
  if (kind == CONFAB_DIFF_ADDED)
    self->n_added++;
  else if (kind == CONFAB_DIFF_REMOVED)
    self->n_removed++;
}

static ConfabPromptDiff *
diff_new (void)
{
  ConfabPromptDiff *self = g_new0 (ConfabPromptDiff, 1);

  self->lines = g_array_new (FALSE, FALSE, sizeof (ConfabDiffLine));
  self->settings = g_array_new (FALSE, FALSE, sizeof (ConfabDiffSetting));
  self->owned = g_ptr_array_new_with_free_func (g_free);
  return self;
}

/**
 * confab_prompt_diff_new:
 * @old_text: (nullable): the text before
 * @new_text: (nullable): the text after
 *
 * Returns: (transfer full): the differences between the texts
 */
ConfabPromptDiff *
confab_prompt_diff_new (const char *old_text, const char *new_text)
{
  ConfabPromptDiff *self = diff_new ();
  g_autoptr (GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GArray) old_lines = split_lines (old_text != NULL ? old_text : "");
  g_autoptr (GArray) new_lines = split_lines (new_text != NULL ? new_text : "");
  g_autofree guint *a = line_ids (old_lines, ids);
  g_autofree guint *b = line_ids (new_lines, ids);
  g_autoptr (GArray) edits = g_array_new (FALSE, FALSE, sizeof (Edit));
  guint i = 0, j = 0;

  diff_range (a, old_lines->len, b, new_lines->len, edits);

  for (guint e = 0; e < edits->len;)
    {
      const Edit *edit = &g_array_index (edits, Edit, e);
      guint       first_removed, n_removed = 0, n_added = 0;

      if (edit->op == OP_EQUAL)
        {
          for (gsize k = 0; k < edit->count; k++, i++, j++)
            append_line (self, CONFAB_DIFF_EQUAL, &g_array_index (old_lines, RawLine, i), i + 1,
                         j + 1);
          e++;
          continue;
        }

      /* A block of changes: its removals, then its additions. */
      for (guint f = e; f < edits->len && g_array_index (edits, Edit, f).op != OP_EQUAL; f++)
        {
          if (g_array_index (edits, Edit, f).op == OP_DELETE)
            n_removed += g_array_index (edits, Edit, f).count;
          else
            n_added += g_array_index (edits, Edit, f).count;
          e = f + 1;
        }
      first_removed = self->lines->len;
      for (guint k = 0; k < n_removed; k++, i++)
        append_line (self, CONFAB_DIFF_REMOVED, &g_array_index (old_lines, RawLine, i), i + 1, 0);
      for (guint k = 0; k < n_added; k++, j++)
        append_line (self, CONFAB_DIFF_ADDED, &g_array_index (new_lines, RawLine, j), 0, j + 1);
      for (guint k = 0; k < MIN (n_removed, n_added); k++)
        mark_words (self, &g_array_index (self->lines, ConfabDiffLine, first_removed + k),
                    &g_array_index (self->lines, ConfabDiffLine, first_removed + n_removed + k));
    }
  return self;
}

static const char *
keep (ConfabPromptDiff *self, char *text)
{
  g_ptr_array_add (self->owned, text);
  return text;
}

static void
add_setting (
    ConfabPromptDiff *self, const char *field, const char *label, char *old_value, char *new_value)
{
  ConfabDiffSetting setting = { field, label, keep (self, old_value), keep (self, new_value) };

  g_array_append_val (self->settings, setting);
}

static char *
provider_text (ConfabDatabase *db, const char *provider_id)
{
  g_autoptr (ConfabProvider) provider = NULL;

  if (provider_id == NULL || *provider_id == '\0')
    return g_strdup ("");
  if (db != NULL)
    provider = confab_repository_get (db, CONFAB_TYPE_PROVIDER, provider_id, NULL);
  return g_strdup (provider != NULL ? confab_provider_get_name (provider) : provider_id);
}

static char *
number_text (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (g_ascii_formatd (buf, sizeof buf, "%g", value));
}

/**
 * confab_prompt_diff_new_for_versions:
 * @db: (nullable): the workspace, to name providers
 * @old_version: the version before
 * @new_version: the version after
 *
 * Returns: (transfer full): the differences of the texts and settings
 */
ConfabPromptDiff *
confab_prompt_diff_new_for_versions (ConfabDatabase      *db,
                                     ConfabPromptVersion *old_version,
                                     ConfabPromptVersion *new_version)
{
  ConfabPromptDiff *self;
  const char       *old_model, *new_model;
  double            old_temperature, new_temperature;
  int               old_max, new_max;
  g_autofree char  *old_provider = NULL;
  g_autofree char  *new_provider = NULL;

  g_return_val_if_fail (db == NULL || CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSION (old_version), NULL);
  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSION (new_version), NULL);

  self = confab_prompt_diff_new (confab_prompt_version_get_body (old_version),
                                 confab_prompt_version_get_body (new_version));

  old_provider = provider_text (db, confab_prompt_version_get_provider_id (old_version));
  new_provider = provider_text (db, confab_prompt_version_get_provider_id (new_version));
  if (strcmp (old_provider, new_provider) != 0)
    add_setting (self, "provider", _("Provider"), g_steal_pointer (&old_provider),
                 g_steal_pointer (&new_provider));

  old_model = confab_prompt_version_get_model (old_version);
  new_model = confab_prompt_version_get_model (new_version);
  if (g_strcmp0 (old_model ? old_model : "", new_model ? new_model : "") != 0)
    add_setting (self, "model", _("Model"), g_strdup (old_model ? old_model : ""),
                 g_strdup (new_model ? new_model : ""));

  old_temperature = confab_prompt_version_get_temperature (old_version);
  new_temperature = confab_prompt_version_get_temperature (new_version);
  if (fabs (old_temperature - new_temperature) > 1e-9)
    add_setting (self, "temperature", _("Temperature"), number_text (old_temperature),
                 number_text (new_temperature));

  old_max = confab_prompt_version_get_max_tokens (old_version);
  new_max = confab_prompt_version_get_max_tokens (new_version);
  if (old_max != new_max)
    add_setting (self, "max_tokens", _("Maximum tokens"), g_strdup_printf ("%d", old_max),
                 g_strdup_printf ("%d", new_max));
  return self;
}

void
confab_prompt_diff_free (ConfabPromptDiff *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->lines, g_array_unref);
  g_clear_pointer (&self->settings, g_array_unref);
  g_clear_pointer (&self->owned, g_ptr_array_unref);
  g_free (self);
}

gboolean
confab_prompt_diff_is_empty (ConfabPromptDiff *self)
{
  g_return_val_if_fail (self != NULL, TRUE);
  return self->n_added == 0 && self->n_removed == 0 && self->settings->len == 0;
}

guint
confab_prompt_diff_get_n_added (ConfabPromptDiff *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_added;
}

guint
confab_prompt_diff_get_n_removed (ConfabPromptDiff *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_removed;
}

guint
confab_prompt_diff_get_n_lines (ConfabPromptDiff *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->lines->len;
}

const ConfabDiffLine *
confab_prompt_diff_get_line (ConfabPromptDiff *self, guint i)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (i < self->lines->len, NULL);
  return &g_array_index (self->lines, ConfabDiffLine, i);
}

guint
confab_prompt_diff_get_n_settings (ConfabPromptDiff *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->settings->len;
}

const ConfabDiffSetting *
confab_prompt_diff_get_setting (ConfabPromptDiff *self, guint i)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (i < self->settings->len, NULL);
  return &g_array_index (self->settings, ConfabDiffSetting, i);
}

/**
 * confab_prompt_diff_get_hunks:
 *
 * Returns: (transfer full) (element-type ConfabDiffHunk): the hunks
 */
GArray *
confab_prompt_diff_get_hunks (ConfabPromptDiff *self, guint context)
{
  GArray *hunks = g_array_new (FALSE, FALSE, sizeof (ConfabDiffHunk));
  guint   n, old_before = 0, new_before = 0, i = 0;

  g_return_val_if_fail (self != NULL, hunks);

  n = self->lines->len;
  while (i < n)
    {
      ConfabDiffHunk hunk = { 0 };
      guint          first_change = i, start, end, last_change;

      while (first_change < n &&
             g_array_index (self->lines, ConfabDiffLine, first_change).kind == CONFAB_DIFF_EQUAL)
        first_change++;
      if (first_change == n)
        break;

      start = first_change - MIN (first_change - i, context);
      /* Grow while the next change is within twice the context. */
      last_change = first_change;
      for (guint k = first_change + 1; k < n; k++)
        {
          if (g_array_index (self->lines, ConfabDiffLine, k).kind == CONFAB_DIFF_EQUAL)
            continue;
          if (context != G_MAXUINT && k - last_change - 1 > 2 * (gsize) context)
            break;
          last_change = k;
        }
      end = context == G_MAXUINT || n - last_change - 1 <= context ? n : last_change + 1 + context;

      /* Lines before the hunk, to number a side that has none in it. */
      for (; i < start; i++)
        {
          const ConfabDiffLine *line = &g_array_index (self->lines, ConfabDiffLine, i);

          old_before += line->kind != CONFAB_DIFF_ADDED;
          new_before += line->kind != CONFAB_DIFF_REMOVED;
        }
      hunk.first_line = start;
      hunk.n_lines = end - start;
      for (; i < end; i++)
        {
          const ConfabDiffLine *line = &g_array_index (self->lines, ConfabDiffLine, i);

          hunk.old_count += line->kind != CONFAB_DIFF_ADDED;
          hunk.new_count += line->kind != CONFAB_DIFF_REMOVED;
        }
      hunk.old_start = hunk.old_count > 0 ? old_before + 1 : old_before;
      hunk.new_start = hunk.new_count > 0 ? new_before + 1 : new_before;
      old_before += hunk.old_count;
      new_before += hunk.new_count;
      g_array_append_val (hunks, hunk);
    }
  return hunks;
}

static void
append_range (GString *out, guint start, guint count)
{
  if (count == 1)
    g_string_append_printf (out, "%u", start);
  else
    g_string_append_printf (out, "%u,%u", start, count);
}

#define ANSI_RESET   "\033[0m"
#define ANSI_BOLD    "\033[1m"
#define ANSI_RED     "\033[31m"
#define ANSI_GREEN   "\033[32m"
#define ANSI_CYAN    "\033[36m"
#define ANSI_REVERSE "\033[7m"
#define ANSI_NORMAL  "\033[27m"

static void
append_diff_line (GString *out, const ConfabDiffLine *line, ConfabDiffTextFlags flags)
{
  gboolean    color = (flags & CONFAB_DIFF_TEXT_COLOR) != 0;
  gboolean    words = (flags & CONFAB_DIFF_TEXT_WORDS) != 0;
  const char *open = line->kind == CONFAB_DIFF_REMOVED ? "[-" : "{+";
  const char *close = line->kind == CONFAB_DIFF_REMOVED ? "-]" : "+}";
  guint       pos = 0;

  if (color && line->kind != CONFAB_DIFF_EQUAL)
    g_string_append (out, line->kind == CONFAB_DIFF_REMOVED ? ANSI_RED : ANSI_GREEN);
  g_string_append_c (out, line->kind == CONFAB_DIFF_EQUAL     ? ' '
                          : line->kind == CONFAB_DIFF_REMOVED ? '-'
                                                              : '+');

  for (guint s = 0; s < line->n_spans && (color || words); s++)
    {
      const ConfabDiffSpan *span = &line->spans[s];

      g_string_append_len (out, line->text + pos, span->start - pos);
      g_string_append (out, color ? ANSI_REVERSE : open);
      g_string_append_len (out, line->text + span->start, span->length);
      g_string_append (out, color ? ANSI_NORMAL : close);
      pos = span->start + span->length;
    }
  g_string_append (out, line->text + pos);
  if (color && line->kind != CONFAB_DIFF_EQUAL)
    g_string_append (out, ANSI_RESET);
  g_string_append_c (out, '\n');
  if (line->no_newline)
    g_string_append (out, "\\ No newline at end of file\n");
}

/**
 * confab_prompt_diff_to_text:
 *
 * Returns: (transfer full): the unified diff
 */
char *
confab_prompt_diff_to_text (ConfabPromptDiff   *self,
                            const char         *old_name,
                            const char         *new_name,
                            guint               context,
                            ConfabDiffTextFlags flags)
{
  g_autoptr (GArray) hunks = NULL;
  GString *out;
  gboolean color = (flags & CONFAB_DIFF_TEXT_COLOR) != 0;

  g_return_val_if_fail (self != NULL, NULL);

  out = g_string_new (NULL);
  hunks = confab_prompt_diff_get_hunks (self, context);
  if (hunks->len == 0)
    return g_string_free (out, FALSE);

  g_string_append_printf (out, "%s--- %s%s\n", color ? ANSI_BOLD : "", old_name ? old_name : "",
                          color ? ANSI_RESET : "");
  g_string_append_printf (out, "%s+++ %s%s\n", color ? ANSI_BOLD : "", new_name ? new_name : "",
                          color ? ANSI_RESET : "");
  for (guint h = 0; h < hunks->len; h++)
    {
      const ConfabDiffHunk *hunk = &g_array_index (hunks, ConfabDiffHunk, h);

      g_string_append (out, color ? ANSI_CYAN "@@ -" : "@@ -");
      append_range (out, hunk->old_start, hunk->old_count);
      g_string_append (out, " +");
      append_range (out, hunk->new_start, hunk->new_count);
      g_string_append (out, color ? " @@" ANSI_RESET "\n" : " @@\n");
      for (guint i = hunk->first_line; i < hunk->first_line + hunk->n_lines; i++)
        append_diff_line (out, &g_array_index (self->lines, ConfabDiffLine, i), flags);
    }
  return g_string_free (out, FALSE);
}

/**
 * confab_prompt_diff_settings_to_text:
 *
 * Returns: (transfer full): the changed settings, one a line
 */
char *
confab_prompt_diff_settings_to_text (ConfabPromptDiff *self)
{
  GString *out;

  g_return_val_if_fail (self != NULL, NULL);

  out = g_string_new (NULL);
  for (guint i = 0; i < self->settings->len; i++)
    {
      const ConfabDiffSetting *setting = &g_array_index (self->settings, ConfabDiffSetting, i);

      /* Translators: a model setting, its old value and its new value;
       * an empty value is shown as (none). */
      g_string_append_printf (out, _("%s: %s → %s\n"), setting->label,
                              *setting->old_value ? setting->old_value : _("(none)"),
                              *setting->new_value ? setting->new_value : _("(none)"));
    }
  return g_string_free (out, FALSE);
}
