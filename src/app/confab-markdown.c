/* confab-markdown.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-markdown"

#include "config.h"

#include <md4c.h>
#include <stdlib.h>
#include <string.h>

#include "confab-markdown.h"

/* GitHub's dialect, but raw HTML is text: a reply must never inject markup. */
#define PARSER_FLAGS (MD_DIALECT_GITHUB | MD_FLAG_NOHTML)

/* Spans nested deeper than this add no more tags (their text stays). */
#define MAX_SPAN_DEPTH 32

/* Inline code: monospace on a faint grey that suits light and dark styles. */
#define CODE_SPAN_OPEN "<tt><span background=\"#888888\" bgalpha=\"20%\">"

#define REPLACEMENT_CHARACTER "\357\277\275"

/* What closes an open span; the stack of open spans holds these. */
typedef enum
{
  CLOSE_NONE,
  CLOSE_BOLD,
  CLOSE_ITALIC,
  CLOSE_STRIKE,
  CLOSE_UNDERLINE,
  CLOSE_CODE,
  CLOSE_LINK,
} Closer;

static const char *const closers[] = {
  [CLOSE_NONE] = "",       [CLOSE_BOLD] = "</b>",      [CLOSE_ITALIC] = "</i>",
  [CLOSE_STRIKE] = "</s>", [CLOSE_UNDERLINE] = "</u>", [CLOSE_CODE] = "</span></tt>",
  [CLOSE_LINK] = "</a>",
};

typedef struct
{
  gboolean ordered;
  guint    next; /* number of the list's next item */
} ListLevel;

/* A list item's marker, waiting for the item's first block to carry it. */
typedef struct
{
  gboolean           ordered;
  guint              number;
  ConfabMarkdownTask task;
  guint              depth;
} Marker;

typedef struct
{
  GPtrArray *blocks;

  guint    quote_depth;
  guint    min_quote_depth; /* the lowest quote depth since the last block */
  GArray  *lists;           /* ListLevel per open list, outermost first */
  gboolean has_marker;
  Marker   marker;

  /* The leaf block being built; implicit when it is the bare text of an
   * item in a tight list, which md4c sends without a paragraph. */
  ConfabMarkdownBlock *leaf;
  guint                leaf_list_depth;
  gboolean             implicit;
  GString             *buf; /* the leaf's markup or code, or the current table cell's markup */
  GByteArray          *spans;
  guint                link_depth;
  guint                code_span_depth;

  GPtrArray *row;
  gboolean   in_cell;
  gboolean   in_head;
  gsize      cells_left; /* past this, tables are too sparse to be worth showing */
  gboolean   over_budget;
} Parser;

typedef struct
{
  const char *name;
  const char *text;
} Entity;

static const Entity entities[] = {
  /* Common named character references, sorted by name (strcmp). Others
   * are shown as written. */
  { "AElig", "\303\206" },
  { "Aacute", "\303\201" },
  { "Acirc", "\303\202" },
  { "Agrave", "\303\200" },
  { "Aring", "\303\205" },
  { "Atilde", "\303\203" },
  { "Auml", "\303\204" },
  { "Ccedil", "\303\207" },
  { "Dagger", "\342\200\241" },
  { "Delta", "\316\224" },
  { "Eacute", "\303\211" },
  { "Ecirc", "\303\212" },
  { "Egrave", "\303\210" },
  { "Euml", "\303\213" },
  { "Hat", "^" },
  { "Iacute", "\303\215" },
  { "Ntilde", "\303\221" },
  { "Oacute", "\303\223" },
  { "Omega", "\316\251" },
  { "Oslash", "\303\230" },
  { "Ouml", "\303\226" },
  { "Pi", "\316\240" },
  { "Prime", "\342\200\263" },
  { "Sigma", "\316\243" },
  { "Uacute", "\303\232" },
  { "Uuml", "\303\234" },
  { "aacute", "\303\241" },
  { "acirc", "\303\242" },
  { "aelig", "\303\246" },
  { "agrave", "\303\240" },
  { "alpha", "\316\261" },
  { "amp", "&" },
  { "apos", "'" },
  { "aring", "\303\245" },
  { "ast", "*" },
  { "asymp", "\342\211\210" },
  { "atilde", "\303\243" },
  { "auml", "\303\244" },
  { "bdquo", "\342\200\236" },
  { "beta", "\316\262" },
  { "bsol", "\134" },
  { "bull", "\342\200\242" },
  { "ccedil", "\303\247" },
  { "cent", "\302\242" },
  { "check", "\342\234\223" },
  { "clubs", "\342\231\243" },
  { "colon", ":" },
  { "comma", "," },
  { "commat", "@" },
  { "copy", "\302\251" },
  { "cross", "\342\234\227" },
  { "curren", "\302\244" },
  { "dagger", "\342\200\240" },
  { "darr", "\342\206\223" },
  { "deg", "\302\260" },
  { "delta", "\316\264" },
  { "diams", "\342\231\246" },
  { "divide", "\303\267" },
  { "dollar", "$" },
  { "eacute", "\303\251" },
  { "ecirc", "\303\252" },
  { "egrave", "\303\250" },
  { "emsp", "\342\200\203" },
  { "ensp", "\342\200\202" },
  { "epsilon", "\316\265" },
  { "equals", "=" },
  { "equiv", "\342\211\241" },
  { "euml", "\303\253" },
  { "euro", "\342\202\254" },
  { "excl", "!" },
  { "frac12", "\302\275" },
  { "frac14", "\302\274" },
  { "frac34", "\302\276" },
  { "gamma", "\316\263" },
  { "ge", "\342\211\245" },
  { "grave", "`" },
  { "gt", ">" },
  { "hArr", "\342\207\224" },
  { "harr", "\342\206\224" },
  { "hearts", "\342\231\245" },
  { "hellip", "\342\200\246" },
  { "iacute", "\303\255" },
  { "icirc", "\303\256" },
  { "iexcl", "\302\241" },
  { "igrave", "\303\254" },
  { "infin", "\342\210\236" },
  { "int", "\342\210\253" },
  { "iquest", "\302\277" },
  { "iuml", "\303\257" },
  { "lArr", "\342\207\220" },
  { "lambda", "\316\273" },
  { "laquo", "\302\253" },
  { "larr", "\342\206\220" },
  { "lcub", "{" },
  { "ldquo", "\342\200\234" },
  { "le", "\342\211\244" },
  { "lowbar", "_" },
  { "lpar", "(" },
  { "lrm", "\342\200\216" },
  { "lsaquo", "\342\200\271" },
  { "lsqb", "[" },
  { "lsquo", "\342\200\230" },
  { "lt", "<" },
  { "mdash", "\342\200\224" },
  { "micro", "\302\265" },
  { "middot", "\302\267" },
  { "minus", "\342\210\222" },
  { "mu", "\316\274" },
  { "nbsp", "\302\240" },
  { "ndash", "\342\200\223" },
  { "ne", "\342\211\240" },
  { "ntilde", "\303\261" },
  { "num", "#" },
  { "oacute", "\303\263" },
  { "ocirc", "\303\264" },
  { "ograve", "\303\262" },
  { "omega", "\317\211" },
  { "oslash", "\303\270" },
  { "otilde", "\303\265" },
  { "ouml", "\303\266" },
  { "para", "\302\266" },
  { "part", "\342\210\202" },
  { "percnt", "%" },
  { "period", "." },
  { "permil", "\342\200\260" },
  { "pi", "\317\200" },
  { "plus", "+" },
  { "plusmn", "\302\261" },
  { "pound", "\302\243" },
  { "prime", "\342\200\262" },
  { "prod", "\342\210\217" },
  { "quest", "?" },
  { "quot", "\042" },
  { "rArr", "\342\207\222" },
  { "radic", "\342\210\232" },
  { "raquo", "\302\273" },
  { "rarr", "\342\206\222" },
  { "rcub", "}" },
  { "rdquo", "\342\200\235" },
  { "reg", "\302\256" },
  { "rlm", "\342\200\217" },
  { "rpar", ")" },
  { "rsaquo", "\342\200\272" },
  { "rsqb", "]" },
  { "rsquo", "\342\200\231" },
  { "sbquo", "\342\200\232" },
  { "sect", "\302\247" },
  { "semi", ";" },
  { "shy", "\302\255" },
  { "sigma", "\317\203" },
  { "sol", "/" },
  { "spades", "\342\231\240" },
  { "sum", "\342\210\221" },
  { "sup1", "\302\271" },
  { "sup2", "\302\262" },
  { "sup3", "\302\263" },
  { "szlig", "\303\237" },
  { "theta", "\316\270" },
  { "thinsp", "\342\200\211" },
  { "tilde", "\313\234" },
  { "times", "\303\227" },
  { "trade", "\342\204\242" },
  { "uacute", "\303\272" },
  { "uarr", "\342\206\221" },
  { "ucirc", "\303\273" },
  { "ugrave", "\303\271" },
  { "uuml", "\303\274" },
  { "verbar", "|" },
  { "vert", "|" },
  { "yacute", "\303\275" },
  { "yen", "\302\245" },
  { "yuml", "\303\277" },
  { "zwj", "\342\200\215" },
  { "zwnj", "\342\200\214" },
};

static int
compare_entity (const void *key, const void *member)
{
  return strcmp (key, ((const Entity *) member)->name);
}

/* The UTF-8 text of an entity (&name; &#123; &#x1F600;) into @out, or 0
 * bytes when it is not one we know. */
static gsize
decode_entity (const char *text, gsize size, char out[8])
{
  if (size < 3 || text[0] != '&' || text[size - 1] != ';')
    return 0;

  if (text[1] == '#')
    {
      gboolean hex = size > 3 && (text[2] == 'x' || text[2] == 'X');
      gsize    i = hex ? 3 : 2;
      gunichar c = 0;

      if (i >= size - 1)
        return 0;
      for (; i < size - 1; i++)
        {
          int digit = hex ? g_ascii_xdigit_value (text[i]) : g_ascii_digit_value (text[i]);

          if (digit < 0)
            return 0;
          /* Stop growing past Unicode's end: it only has to stay invalid. */
          if (c <= 0x10FFFF)
            c = c * (hex ? 16 : 10) + digit;
        }
      if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        c = 0xFFFD;
      return g_unichar_to_utf8 (c, out);
    }
  else
    {
      char          name[16];
      const Entity *found;
      gsize         len = size - 2;

      if (len >= sizeof name)
        return 0;
      memcpy (name, text + 1, len);
      name[len] = '\0';
      found = bsearch (name, entities, G_N_ELEMENTS (entities), sizeof entities[0], compare_entity);
      if (found == NULL)
        return 0;
      len = strlen (found->text);
      memcpy (out, found->text, len);
      return len;
    }
}

static void
append_escaped (GString *out, const char *text, gsize size)
{
  g_autofree char *escaped = g_markup_escape_text (text, size);

  g_string_append (out, escaped);
}

static void
append_entity (GString *out, const char *text, gsize size)
{
  char  decoded[8];
  gsize len = decode_entity (text, size, decoded);

  if (len > 0)
    append_escaped (out, decoded, len);
  else
    append_escaped (out, text, size);
}

/* A link's address or a code block's language, entities decoded. */
static char *
attribute_to_string (const MD_ATTRIBUTE *attr)
{
  GString *str = g_string_sized_new (attr->size);

  if (attr->text == NULL || attr->size == 0)
    return g_string_free (str, FALSE);

  for (guint i = 0; attr->substr_offsets[i] < attr->size; i++)
    {
      const char *text = attr->text + attr->substr_offsets[i];
      gsize       size = attr->substr_offsets[i + 1] - attr->substr_offsets[i];
      char        decoded[8];
      gsize       len;

      switch (attr->substr_types[i])
        {
        case MD_TEXT_NULLCHAR:
          g_string_append (str, REPLACEMENT_CHARACTER);
          break;
        case MD_TEXT_ENTITY:
          len = decode_entity (text, size, decoded);
          if (len > 0)
            g_string_append_len (str, decoded, len);
          else
            g_string_append_len (str, text, size);
          break;
        default:
          g_string_append_len (str, text, size);
          break;
        }
    }
  return g_string_free (str, FALSE);
}

/* Only these open from a chat: javascript:, file: or data: addresses stay text. */
static gboolean
is_safe_link (const char *uri)
{
  return g_ascii_strncasecmp (uri, "http://", 7) == 0 ||
         g_ascii_strncasecmp (uri, "https://", 8) == 0 ||
         g_ascii_strncasecmp (uri, "mailto:", 7) == 0;
}

void
confab_markdown_block_free (ConfabMarkdownBlock *block)
{
  if (block == NULL)
    return;
  g_free (block->markup);
  g_free (block->language);
  g_free (block->text);
  g_free (block->align);
  g_clear_pointer (&block->rows, g_ptr_array_unref);
  g_free (block);
}

static ConfabMarkdownBlock *
block_new (ConfabMarkdownBlockKind kind)
{
  ConfabMarkdownBlock *block = g_new0 (ConfabMarkdownBlock, 1);

  block->kind = kind;
  return block;
}

static void
emit (Parser *p, ConfabMarkdownBlock *block, guint list_depth)
{
  block->quote_depth = MIN (p->quote_depth, CONFAB_MARKDOWN_MAX_DEPTH);
  block->quote_continues = p->blocks->len == 0 ? 0 : MIN (p->min_quote_depth, block->quote_depth);
  block->list_depth = MIN (list_depth, CONFAB_MARKDOWN_MAX_DEPTH);
  g_ptr_array_add (p->blocks, block);
  p->min_quote_depth = p->quote_depth;
}

/* A LIST_ITEM block wearing the waiting marker. */
static ConfabMarkdownBlock *
take_marker (Parser *p)
{
  ConfabMarkdownBlock *block = block_new (CONFAB_MARKDOWN_BLOCK_LIST_ITEM);

  block->ordered = p->marker.ordered;
  block->number = p->marker.number;
  block->task = p->marker.task;
  p->has_marker = FALSE;
  return block;
}

/* An item whose first block is not text (code, a table, a nested list)
 * shows its marker on a line of its own. */
static void
flush_marker (Parser *p)
{
  ConfabMarkdownBlock *block;
  guint                depth;

  if (!p->has_marker)
    return;
  depth = p->marker.depth;
  block = take_marker (p);
  block->markup = g_strdup ("");
  emit (p, block, depth);
}

static void
close_spans (Parser *p)
{
  while (p->spans->len > 0)
    {
      g_string_append (p->buf, closers[p->spans->data[p->spans->len - 1]]);
      g_byte_array_set_size (p->spans, p->spans->len - 1);
    }
  p->link_depth = 0;
  p->code_span_depth = 0;
}

static void finish_leaf (Parser *p);

static void
start_text_leaf (Parser *p, ConfabMarkdownBlockKind kind, gboolean implicit)
{
  finish_leaf (p);
  if (kind == CONFAB_MARKDOWN_BLOCK_PARAGRAPH && p->has_marker)
    p->leaf = take_marker (p);
  else
    {
      flush_marker (p);
      p->leaf = block_new (kind);
    }
  p->leaf_list_depth = p->lists->len;
  p->implicit = implicit;
  g_string_truncate (p->buf, 0);
}

static void
finish_text_leaf (Parser *p)
{
  close_spans (p);
  p->leaf->markup = g_strndup (p->buf->str, p->buf->len);
  emit (p, g_steal_pointer (&p->leaf), p->leaf_list_depth);
  p->implicit = FALSE;
}

static void
finish_code_leaf (Parser *p)
{
  /* md4c ends every code line with a line break; the last one is not content. */
  if (p->buf->len > 0 && p->buf->str[p->buf->len - 1] == '\n')
    g_string_truncate (p->buf, p->buf->len - 1);
  p->leaf->text = g_strndup (p->buf->str, p->buf->len);
  emit (p, g_steal_pointer (&p->leaf), p->leaf_list_depth);
}

/* Ends the open leaf block, whatever it is. */
static void
finish_leaf (Parser *p)
{
  if (p->leaf == NULL)
    return;
  switch (p->leaf->kind)
    {
    case CONFAB_MARKDOWN_BLOCK_CODE:
      finish_code_leaf (p);
      break;
    case CONFAB_MARKDOWN_BLOCK_TABLE:
      g_clear_pointer (&p->row, g_ptr_array_unref);
      p->in_cell = FALSE;
      p->in_head = FALSE;
      emit (p, g_steal_pointer (&p->leaf), p->leaf_list_depth);
      break;
    default:
      finish_text_leaf (p);
      break;
    }
  p->implicit = FALSE;
}

static void
end_implicit_leaf (Parser *p)
{
  if (p->leaf != NULL && p->implicit)
    finish_leaf (p);
}

/* Where inline markup goes now, or NULL where there is none (between table cells). */
static GString *
markup_sink (Parser *p)
{
  if (p->leaf == NULL)
    {
      start_text_leaf (p, CONFAB_MARKDOWN_BLOCK_PARAGRAPH, TRUE);
      return p->buf;
    }
  switch (p->leaf->kind)
    {
    case CONFAB_MARKDOWN_BLOCK_CODE:
    case CONFAB_MARKDOWN_BLOCK_RULE:
      return NULL;
    case CONFAB_MARKDOWN_BLOCK_TABLE:
      return p->in_cell ? p->buf : NULL;
    default:
      return p->buf;
    }
}

static ConfabMarkdownAlign
convert_align (MD_ALIGN align)
{
  switch (align)
    {
    case MD_ALIGN_LEFT:
      return CONFAB_MARKDOWN_ALIGN_LEFT;
    case MD_ALIGN_CENTER:
      return CONFAB_MARKDOWN_ALIGN_CENTER;
    case MD_ALIGN_RIGHT:
      return CONFAB_MARKDOWN_ALIGN_RIGHT;
    case MD_ALIGN_DEFAULT:
    default:
      return CONFAB_MARKDOWN_ALIGN_DEFAULT;
    }
}

static void
start_list_item (Parser *p, const MD_BLOCK_LI_DETAIL *detail)
{
  ListLevel *level;

  /* An item whose marker is still waiting holds a nested list first
   * ("- - x"): its marker gets a line of its own, unless it is nested so
   * deep that the lines would only pile up at the deepest indent. */
  if (p->has_marker && p->marker.depth <= CONFAB_MARKDOWN_MAX_DEPTH)
    flush_marker (p);

  p->has_marker = TRUE;
  p->marker.depth = p->lists->len;
  p->marker.task = CONFAB_MARKDOWN_TASK_NONE;
  if (detail->is_task)
    p->marker.task = (detail->task_mark == 'x' || detail->task_mark == 'X')
                         ? CONFAB_MARKDOWN_TASK_CHECKED
                         : CONFAB_MARKDOWN_TASK_UNCHECKED;
  if (p->lists->len == 0)
    {
      /* md4c always opens a list first; stay safe if it does not. */
      p->marker.ordered = FALSE;
      p->marker.number = 0;
      return;
    }
  level = &g_array_index (p->lists, ListLevel, p->lists->len - 1);
  p->marker.ordered = level->ordered;
  p->marker.number = level->next++;
}

static int
enter_block_cb (MD_BLOCKTYPE type, void *detail, void *user_data)
{
  Parser *p = user_data;

  if (type != MD_BLOCK_DOC && type != MD_BLOCK_THEAD && type != MD_BLOCK_TBODY &&
      type != MD_BLOCK_TR && type != MD_BLOCK_TH && type != MD_BLOCK_TD)
    end_implicit_leaf (p);

  switch (type)
    {
    case MD_BLOCK_DOC:
      break;

    case MD_BLOCK_QUOTE:
      p->quote_depth++;
      break;

    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      {
        ListLevel level = { type == MD_BLOCK_OL, 0 };

        if (type == MD_BLOCK_OL)
          level.next = ((MD_BLOCK_OL_DETAIL *) detail)->start;
        g_array_append_val (p->lists, level);
      }
      break;

    case MD_BLOCK_LI:
      start_list_item (p, detail);
      break;

    case MD_BLOCK_HR:
      finish_leaf (p);
      flush_marker (p);
      emit (p, block_new (CONFAB_MARKDOWN_BLOCK_RULE), p->lists->len);
      break;

    case MD_BLOCK_H:
      start_text_leaf (p, CONFAB_MARKDOWN_BLOCK_HEADING, FALSE);
      p->leaf->level = CLAMP (((MD_BLOCK_H_DETAIL *) detail)->level, 1, 6);
      break;

    case MD_BLOCK_CODE:
      finish_leaf (p);
      flush_marker (p);
      p->leaf = block_new (CONFAB_MARKDOWN_BLOCK_CODE);
      p->leaf_list_depth = p->lists->len;
      p->implicit = FALSE;
      {
        g_autofree char *language = attribute_to_string (&((MD_BLOCK_CODE_DETAIL *) detail)->lang);

        if (language[0] != '\0')
          p->leaf->language = g_steal_pointer (&language);
      }
      g_string_truncate (p->buf, 0);
      break;

    case MD_BLOCK_HTML: /* not sent with MD_FLAG_NOHTML; would be shown as text */
    case MD_BLOCK_P:
      start_text_leaf (p, CONFAB_MARKDOWN_BLOCK_PARAGRAPH, FALSE);
      break;

    case MD_BLOCK_TABLE:
      finish_leaf (p);
      flush_marker (p);
      p->leaf = block_new (CONFAB_MARKDOWN_BLOCK_TABLE);
      p->leaf_list_depth = p->lists->len;
      p->implicit = FALSE;
      p->leaf->n_columns = MAX (((MD_BLOCK_TABLE_DETAIL *) detail)->col_count, 1);
      p->leaf->align = g_new0 (ConfabMarkdownAlign, p->leaf->n_columns);
      p->leaf->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
      break;

    case MD_BLOCK_THEAD:
      p->in_head = TRUE;
      break;

    case MD_BLOCK_TBODY:
      p->in_head = FALSE;
      break;

    case MD_BLOCK_TR:
      g_clear_pointer (&p->row, g_ptr_array_unref);
      p->row = g_ptr_array_new_with_free_func (g_free);
      break;

    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (p->leaf == NULL || p->leaf->kind != CONFAB_MARKDOWN_BLOCK_TABLE || p->row == NULL)
        break;
      /* md4c 0.4.8 pads every row to the header's width: a wide header over
       * many short lines would cost rows × columns. Give up on tables then
       * (the caller parses again without them). Negative: 0.4.8 only stops
       * on negative callback results. */
      if (p->cells_left == 0)
        {
          p->over_budget = TRUE;
          return -1;
        }
      p->cells_left--;
      if (p->row->len < p->leaf->n_columns &&
          (p->in_head || p->leaf->align[p->row->len] == CONFAB_MARKDOWN_ALIGN_DEFAULT))
        p->leaf->align[p->row->len] = convert_align (((MD_BLOCK_TD_DETAIL *) detail)->align);
      p->in_cell = TRUE;
      g_string_truncate (p->buf, 0);
      break;

    default:
      break;
    }

  return 0;
}

static int
leave_block_cb (MD_BLOCKTYPE type, void *detail, void *user_data)
{
  Parser *p = user_data;

  switch (type)
    {
    case MD_BLOCK_QUOTE:
      end_implicit_leaf (p);
      if (p->quote_depth > 0)
        p->quote_depth--;
      p->min_quote_depth = MIN (p->min_quote_depth, p->quote_depth);
      break;

    case MD_BLOCK_UL:
    case MD_BLOCK_OL:
      end_implicit_leaf (p);
      if (p->lists->len > 0)
        g_array_set_size (p->lists, p->lists->len - 1);
      break;

    case MD_BLOCK_LI:
      end_implicit_leaf (p);
      /* An empty item still shows its marker. */
      flush_marker (p);
      break;

    case MD_BLOCK_H:
    case MD_BLOCK_P:
    case MD_BLOCK_HTML:
      if (p->leaf != NULL && !p->implicit && p->leaf->kind != CONFAB_MARKDOWN_BLOCK_CODE &&
          p->leaf->kind != CONFAB_MARKDOWN_BLOCK_TABLE)
        finish_text_leaf (p);
      break;

    case MD_BLOCK_CODE:
      if (p->leaf != NULL && p->leaf->kind == CONFAB_MARKDOWN_BLOCK_CODE)
        finish_code_leaf (p);
      break;

    case MD_BLOCK_TH:
    case MD_BLOCK_TD:
      if (p->in_cell && p->row != NULL)
        {
          close_spans (p);
          g_ptr_array_add (p->row, g_strndup (p->buf->str, p->buf->len));
        }
      p->in_cell = FALSE;
      break;

    case MD_BLOCK_TR:
      if (p->leaf != NULL && p->leaf->kind == CONFAB_MARKDOWN_BLOCK_TABLE && p->row != NULL)
        {
          char **cells;
          guint  n = MIN (p->row->len, p->leaf->n_columns);

          /* Padding cells are left out: a view shows nothing there anyway. */
          while (n > 0 && ((char *) p->row->pdata[n - 1])[0] == '\0')
            n--;
          cells = g_new0 (char *, n + 1);
          for (guint i = 0; i < n; i++)
            cells[i] = g_steal_pointer (&p->row->pdata[i]);
          g_ptr_array_add (p->leaf->rows, cells);
          if (p->in_head)
            p->leaf->n_header_rows++;
        }
      g_clear_pointer (&p->row, g_ptr_array_unref);
      break;

    case MD_BLOCK_THEAD:
      p->in_head = FALSE;
      break;

    case MD_BLOCK_TABLE:
      if (p->leaf != NULL && p->leaf->kind == CONFAB_MARKDOWN_BLOCK_TABLE)
        emit (p, g_steal_pointer (&p->leaf), p->leaf_list_depth);
      break;

    default:
      break;
    }

  return 0;
}

static int
enter_span_cb (MD_SPANTYPE type, void *detail, void *user_data)
{
  Parser  *p = user_data;
  GString *out = markup_sink (p);
  guint8   closer = CLOSE_NONE;

  if (out != NULL && p->spans->len < MAX_SPAN_DEPTH)
    switch (type)
      {
      case MD_SPAN_EM:
        g_string_append (out, "<i>");
        closer = CLOSE_ITALIC;
        break;

      case MD_SPAN_STRONG:
        g_string_append (out, "<b>");
        closer = CLOSE_BOLD;
        break;

      case MD_SPAN_DEL:
        g_string_append (out, "<s>");
        closer = CLOSE_STRIKE;
        break;

      case MD_SPAN_U:
        g_string_append (out, "<u>");
        closer = CLOSE_UNDERLINE;
        break;

      case MD_SPAN_CODE:
        g_string_append (out, CODE_SPAN_OPEN);
        closer = CLOSE_CODE;
        break;

      case MD_SPAN_A:
      case MD_SPAN_IMG:
        /* Links do not nest; an image becomes a link to it, with its
         * description as the text (nothing is downloaded). */
        if (p->link_depth == 0)
          {
            const MD_ATTRIBUTE *href = type == MD_SPAN_A ? &((MD_SPAN_A_DETAIL *) detail)->href
                                                         : &((MD_SPAN_IMG_DETAIL *) detail)->src;
            g_autofree char    *uri = attribute_to_string (href);

            if (is_safe_link (uri))
              {
                g_autofree char *escaped = g_markup_escape_text (uri, -1);

                g_string_append_printf (out, "<a href=\"%s\"", escaped);
                if (type == MD_SPAN_A)
                  {
                    g_autofree char *title =
                        attribute_to_string (&((MD_SPAN_A_DETAIL *) detail)->title);

                    if (title[0] != '\0')
                      {
                        g_autofree char *escaped_title = g_markup_escape_text (title, -1);

                        g_string_append_printf (out, " title=\"%s\"", escaped_title);
                      }
                  }
                g_string_append_c (out, '>');
                closer = CLOSE_LINK;
                p->link_depth++;
              }
          }
        break;

      default:
        break;
      }

  if (type == MD_SPAN_CODE)
    p->code_span_depth++;
  g_byte_array_append (p->spans, &closer, 1);
  return 0;
}

static int
leave_span_cb (MD_SPANTYPE type, void *detail, void *user_data)
{
  Parser *p = user_data;
  guint8  closer;

  /* Spans left open when their block ended were closed with it. */
  if (p->spans->len == 0)
    return 0;

  closer = p->spans->data[p->spans->len - 1];
  g_byte_array_set_size (p->spans, p->spans->len - 1);
  g_string_append (p->buf, closers[closer]);
  if (closer == CLOSE_LINK && p->link_depth > 0)
    p->link_depth--;
  if (type == MD_SPAN_CODE && p->code_span_depth > 0)
    p->code_span_depth--;
  return 0;
}

static int
text_cb (MD_TEXTTYPE type, const MD_CHAR *text, MD_SIZE size, void *user_data)
{
  Parser  *p = user_data;
  GString *out;

  if (p->leaf != NULL && p->leaf->kind == CONFAB_MARKDOWN_BLOCK_CODE)
    {
      if (type == MD_TEXT_NULLCHAR)
        g_string_append (p->buf, REPLACEMENT_CHARACTER);
      else
        g_string_append_len (p->buf, text, size);
      return 0;
    }

  out = markup_sink (p);
  if (out == NULL)
    return 0;

  switch (type)
    {
    case MD_TEXT_NULLCHAR:
      g_string_append (out, REPLACEMENT_CHARACTER);
      break;

    case MD_TEXT_BR:
      g_string_append_c (out, '\n');
      break;

    case MD_TEXT_SOFTBR:
      /* A chat keeps the writer's line breaks (as GitHub comments do), but a
       * line break inside inline code is a space. */
      g_string_append_c (out, p->code_span_depth > 0 ? ' ' : '\n');
      break;

    case MD_TEXT_ENTITY:
      append_entity (out, text, size);
      break;

    default:
      append_escaped (out, text, size);
      break;
    }

  return 0;
}

static GPtrArray *
parse (const char *text, gsize size, unsigned flags, gboolean *over_budget)
{
  MD_PARSER md_parser = {
    .abi_version = 0,
    .flags = flags,
    .enter_block = enter_block_cb,
    .leave_block = leave_block_cb,
    .enter_span = enter_span_cb,
    .leave_span = leave_span_cb,
    .text = text_cb,
  };
  Parser p = {
    .blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_markdown_block_free),
    .lists = g_array_new (FALSE, FALSE, sizeof (ListLevel)),
    .buf = g_string_new (NULL),
    .spans = g_byte_array_new (),
    /* Real tables have far fewer cells than bytes. */
    .cells_left = 4 * size + 1024,
  };
  int rc;

  rc = md_parse (text, size, &md_parser, &p);
  if (rc != 0 && !p.over_budget)
    g_debug ("md4c stopped with %d; showing what it parsed", rc);

  /* Only an aborted parse leaves a block open. */
  g_clear_pointer (&p.leaf, confab_markdown_block_free);
  g_clear_pointer (&p.row, g_ptr_array_unref);
  g_array_unref (p.lists);
  g_string_free (p.buf, TRUE);
  g_byte_array_unref (p.spans);

  if (over_budget != NULL)
    *over_budget = p.over_budget;
  return p.blocks;
}

GPtrArray *
confab_markdown_parse (const char *text, gssize len)
{
  g_autofree char *repaired = NULL;
  GPtrArray       *blocks;
  gboolean         over_budget = FALSE;
  gsize            size;

  if (text == NULL)
    {
      text = "";
      len = 0;
    }
  size = len < 0 ? strlen (text) : (gsize) len;
  /* md4c counts in 32 bits; a message is never near that. */
  size = MIN (size, (gsize) G_MAXINT32);

  /* md4c wants valid UTF-8, and GtkLabel too; this also turns NUL bytes
   * into U+FFFD (g_utf8_validate refuses them within a length). */
  if (!g_utf8_validate (text, size, NULL))
    {
      repaired = g_utf8_make_valid (text, size);
      text = repaired;
      size = strlen (repaired);
    }

  blocks = parse (text, size, PARSER_FLAGS, &over_budget);
  if (over_budget)
    {
      g_ptr_array_unref (blocks);
      blocks = parse (text, size, PARSER_FLAGS & ~MD_FLAG_TABLES, NULL);
    }
  return blocks;
}

static gboolean
rows_equal (GPtrArray *a, GPtrArray *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    if (!g_strv_equal (a->pdata[i], b->pdata[i]))
      return FALSE;
  return TRUE;
}

gboolean
confab_markdown_block_same_shape (const ConfabMarkdownBlock *a, const ConfabMarkdownBlock *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->kind != b->kind || a->quote_depth != b->quote_depth ||
      a->quote_continues != b->quote_continues || a->list_depth != b->list_depth ||
      a->level != b->level || a->ordered != b->ordered || a->number != b->number ||
      a->task != b->task || g_strcmp0 (a->language, b->language) != 0 ||
      a->n_columns != b->n_columns || a->n_header_rows != b->n_header_rows)
    return FALSE;
  if (a->n_columns > 0 && (a->align == NULL || b->align == NULL ||
                           memcmp (a->align, b->align, a->n_columns * sizeof a->align[0]) != 0))
    return FALSE;
  return TRUE;
}

gboolean
confab_markdown_block_equal (const ConfabMarkdownBlock *a, const ConfabMarkdownBlock *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return confab_markdown_block_same_shape (a, b) && g_strcmp0 (a->markup, b->markup) == 0 &&
         g_strcmp0 (a->text, b->text) == 0 && rows_equal (a->rows, b->rows);
}
