#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <string.h>

#include "confab-chunker.h"

/* Splitting text into the passages a knowledge base retrieves.
 *
 * The text is read as paragraphs (separated by blank lines) and Markdown
 * headings (a line of 1 to 6 '#' and a space, after at most three spaces,
 * outside ``` code fences).
 * Paragraphs are packed into chunks of at most target_chars characters; a
 * heading always starts a new chunk. A paragraph too long to fit beside the
 * overlap is cut into sentences; a sentence still too long into words; a word
 * still too long into pieces of whole characters. When a chunk is full, the
 * next one starts with the last ~overlap_chars characters of it, from the
 * start of a word, so a passage cut in two is still found whole in one of
 * them. There is no overlap across a heading: a section starts clean.
 *
 * Every chunk has at most target_chars characters and is not empty, and no
 * chunk is cut inside a UTF-8 sequence. Lengths are counted in characters. */

typedef struct
{
  char       *text;
  gsize       chars;
  const char *sep;      /* what joins it to the unit before: "\n\n", "\n", " " or "" */
  gboolean    heading;  /* it starts a new chunk */
} Unit;

static void
unit_clear (gpointer data)
{
  Unit *unit = data;

  g_free (unit->text);
}

static gboolean
is_space_at (const char *p)
{
  return g_unichar_isspace (g_utf8_get_char (p));
}

static void
add_unit (GArray     *units,
          const char *start,
          gsize       len,
          gsize       chars,
          const char *sep,
          gboolean    heading)
{
  Unit unit = { g_strndup (start, len), chars, sep, heading };

  g_array_append_val (units, unit);
}

/* A word longer than @max: pieces of @max characters, joined by nothing. */
static void
split_hard (GArray     *units,
            const char *start,
            const char *end,
            gsize       max,
            const char *sep,
            gboolean    heading)
{
  while (start < end)
    {
      const char *p = start;
      gsize n = 0;

      while (p < end && n < max)
        {
          p = g_utf8_next_char (p);
          n++;
        }
      add_unit (units, start, p - start, n, sep, heading);
      sep = "";
      heading = FALSE;
      start = p;
    }
}

/* A sentence longer than @max: its words, each a unit (joined by the space
 * or line break that was between them). */
static void
split_words (GArray     *units,
             const char *start,
             const char *end,
             gsize       max,
             const char *sep,
             gboolean    heading)
{
  const char *p = start;

  while (p < end)
    {
      const char *word = p;
      const char *word_sep = sep;
      gsize n = 0;

      while (p < end && !is_space_at (p))
        {
          p = g_utf8_next_char (p);
          n++;
        }
      if (n > max)
        split_hard (units, word, p, max, word_sep, heading);
      else if (n > 0)
        add_unit (units, word, p - word, n, word_sep, heading);
      heading = FALSE;

      sep = " ";
      while (p < end && is_space_at (p))
        {
          if (*p == '\n')
            sep = "\n";
          p = g_utf8_next_char (p);
        }
    }
}

static gboolean
ends_sentence (gunichar c)
{
  return c == '.' || c == '!' || c == '?' || c == ';' || c == 0x2026 /* … */ ||
         c == 0x3002 /* 。 */ || c == 0xff01 /* ！ */ || c == 0xff1f /* ？ */;
}

static gboolean
closes_sentence (gunichar c)
{
  return c == '"' || c == '\'' || c == ')' || c == ']' || c == 0x201d || c == 0x2019 ||
         c == 0xbb;
}

/* A paragraph longer than @max: its sentences (or lines), each a unit;
 * sentences longer than @max go on to split_words(). */
static void
split_sentences (GArray     *units,
                 const char *text,
                 gsize       max,
                 const char *sep,
                 gboolean    heading)
{
  const char *p = text;

  while (*p != '\0')
    {
      const char *start = p;
      const char *end;
      gsize n = 0;

      /* To the end of the sentence: a full stop (and closing quotes) before
       * a space, or a line break. */
      for (;;)
        {
          gunichar c = g_utf8_get_char (p);

          if (c == 0 || c == '\n')
            break;
          p = g_utf8_next_char (p);
          n++;
          if (ends_sentence (c))
            {
              while (*p != '\0' && closes_sentence (g_utf8_get_char (p)))
                {
                  p = g_utf8_next_char (p);
                  n++;
                }
              if (*p == '\0' || is_space_at (p))
                break;
            }
        }
      end = p;

      if (n > max)
        split_words (units, start, end, max, sep, heading);
      else if (n > 0)
        add_unit (units, start, end - start, n, sep, heading);
      heading = FALSE;

      sep = " ";
      while (*p != '\0' && is_space_at (p))
        {
          if (*p == '\n')
            sep = "\n";
          p = g_utf8_next_char (p);
        }
    }
}

static void
add_paragraph (GArray  *units,
               GString *paragraph,
               gboolean heading,
               gsize    max)
{
  char *text = g_strstrip (paragraph->str);
  gsize chars;

  if (*text != '\0')
    {
      chars = g_utf8_strlen (text, -1);
      if (chars <= max)
        add_unit (units, text, strlen (text), chars, "\n\n", heading);
      else
        split_sentences (units, text, max, "\n\n", heading);
    }
  g_string_truncate (paragraph, 0);
}

static gboolean
is_blank (const char *line,
          gsize       len)
{
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isspace (line[i]))
      return FALSE;
  return TRUE;
}

/* "# Title" to "###### Title", after at most three spaces; "#tag" is not one. */
static gboolean
is_heading (const char *line,
            gsize       len)
{
  gsize i = 0;
  gsize hashes = 0;

  while (i < len && i < 3 && line[i] == ' ')
    i++;
  while (i < len && line[i] == '#')
    {
      i++;
      hashes++;
    }
  return hashes >= 1 && hashes <= 6 && (i == len || line[i] == ' ' || line[i] == '\t');
}

/* "```" or "~~~" after at most three spaces: a code fence, inside which a
 * "# comment" is no heading. */
static gboolean
is_fence (const char *line,
          gsize       len)
{
  gsize i = 0;

  while (i < len && i < 3 && line[i] == ' ')
    i++;
  return len - i >= 3 && (strncmp (line + i, "```", 3) == 0 || strncmp (line + i, "~~~", 3) == 0);
}

static GArray *
split_units (const char *text,
             gsize       max)
{
  GArray *units = g_array_new (FALSE, FALSE, sizeof (Unit));
  g_autoptr (GString) paragraph = g_string_new (NULL);
  const char *p = text;
  gboolean in_fence = FALSE;

  g_array_set_clear_func (units, unit_clear);
  while (*p != '\0')
    {
      const char *nl = strchr (p, '\n');
      gsize len = nl != NULL ? (gsize) (nl - p) : strlen (p);

      if (is_fence (p, len))
        in_fence = !in_fence;
      if (is_blank (p, len))
        add_paragraph (units, paragraph, FALSE, max);
      else if (!in_fence && is_heading (p, len))
        {
          add_paragraph (units, paragraph, FALSE, max);
          g_string_append_len (paragraph, p, len);
          add_paragraph (units, paragraph, TRUE, max);
        }
      else
        {
          if (paragraph->len > 0)
            g_string_append_c (paragraph, '\n');
          g_string_append_len (paragraph, p, len);
        }
      p += len;
      if (*p == '\n')
        p++;
    }
  add_paragraph (units, paragraph, FALSE, max);
  return units;
}

/* The last @budget characters at most of @chunk, starting at a word: a cut
 * word is left out. A tail inside one long word is cut anywhere. */
static char *
overlap_tail (const char *chunk,
              gsize       len,
              gsize       budget)
{
  const char *end = chunk + len;
  const char *start = end;
  const char *p;
  gsize n = 0;

  if (budget == 0)
    return NULL;
  while (start > chunk && n < budget)
    {
      start = g_utf8_prev_char (start);
      n++;
    }
  p = start;
  if (p > chunk && !is_space_at (g_utf8_prev_char (p)))
    while (p < end && !is_space_at (p))
      p = g_utf8_next_char (p);
  while (p < end && is_space_at (p))
    p = g_utf8_next_char (p);
  if (p == end)
    p = start;
  while (p < end && is_space_at (p))
    p = g_utf8_next_char (p);
  if (p == end)
    return NULL;
  return g_strndup (p, end - p);
}

/**
 * confab_chunk_text:
 * @text: UTF-8 text (Markdown headings are understood)
 * @target_chars: the longest chunk, in characters (0 for
 *   %CONFAB_CHUNK_TARGET_CHARS)
 * @overlap_chars: about how many characters a chunk repeats of the one
 *   before (at most half of @target_chars)
 *
 * Splits @text into chunks for retrieval; see the top of this file. The same
 * text and sizes always give the same chunks.
 *
 * Returns: (transfer full) (element-type utf8): the chunks, in order; empty
 *   when @text has no text
 */
GPtrArray *
confab_chunk_text (const char *text,
                   gsize       target_chars,
                   gsize       overlap_chars)
{
  GPtrArray *chunks = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GArray) units = NULL;
  g_autoptr (GString) current = g_string_new (NULL);
  gsize current_chars = 0;
  gsize max;

  g_return_val_if_fail (text != NULL, chunks);

  if (target_chars == 0)
    target_chars = CONFAB_CHUNK_TARGET_CHARS;
  overlap_chars = MIN (overlap_chars, target_chars / 2);
  /* A unit always fits beside a full overlap. */
  max = MAX (1, target_chars - overlap_chars);

  units = split_units (text, max);
  for (guint i = 0; i < units->len; i++)
    {
      Unit *unit = &g_array_index (units, Unit, i);
      gsize sep_chars = strlen (unit->sep);

      if (current->len > 0 && unit->heading)
        {
          g_ptr_array_add (chunks, g_strndup (current->str, current->len));
          g_string_truncate (current, 0);
          current_chars = 0;
        }

      if (current->len == 0)
        {
          g_string_append (current, unit->text);
          current_chars = unit->chars;
        }
      else if (current_chars + sep_chars + unit->chars <= target_chars)
        {
          g_string_append (current, unit->sep);
          g_string_append (current, unit->text);
          current_chars += sep_chars + unit->chars;
        }
      else
        {
          gsize room = target_chars - MIN (target_chars, unit->chars + sep_chars);
          g_autofree char *tail = overlap_tail (current->str, current->len,
                                                MIN (overlap_chars, room));

          g_ptr_array_add (chunks, g_strndup (current->str, current->len));
          g_string_truncate (current, 0);
          current_chars = 0;
          if (tail != NULL)
            {
              g_string_append (current, tail);
              g_string_append (current, unit->sep);
              current_chars = g_utf8_strlen (tail, -1) + sep_chars;
            }
          g_string_append (current, unit->text);
          current_chars += unit->chars;
        }
    }
  if (current->len > 0)
    g_ptr_array_add (chunks, g_strndup (current->str, current->len));
  return chunks;
}
