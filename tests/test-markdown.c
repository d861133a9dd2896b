/* test-markdown.c: Markdown into blocks of Pango markup, safe on any input.
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "confab-markdown.h"

#define CODE_OPEN  "<tt><span background=\"#888888\" bgalpha=\"20%\">"
#define CODE_CLOSE "</span></tt>"
#define FFFD       "\357\277\275"

/* Markup checks: well formed (as Pango and GtkLabel parse it), only the
 * tags the parser may write, and links only to http, https or mailto. */

static void
check_start_element (GMarkupParseContext *context,
                     const char          *element,
                     const char         **names,
                     const char         **values,
                     gpointer             user_data,
                     GError             **error)
{
  static const char *const allowed[] = { "markup", "b", "i", "s", "u", "tt", "span", "a" };
  gboolean                 known = FALSE;
  guint                   *links_open = user_data;

  for (guint i = 0; i < G_N_ELEMENTS (allowed); i++)
    known |= strcmp (element, allowed[i]) == 0;
  g_assert_true (known);

  for (guint i = 0; names[i] != NULL; i++)
    {
      if (strcmp (element, "span") == 0)
        g_assert_true (strcmp (names[i], "background") == 0 || strcmp (names[i], "bgalpha") == 0);
      else if (strcmp (element, "a") == 0)
        {
          g_assert_true (strcmp (names[i], "href") == 0 || strcmp (names[i], "title") == 0);
          if (strcmp (names[i], "href") == 0)
            g_assert_true (g_ascii_strncasecmp (values[i], "http://", 7) == 0 ||
                           g_ascii_strncasecmp (values[i], "https://", 8) == 0 ||
                           g_ascii_strncasecmp (values[i], "mailto:", 7) == 0);
        }
      else
        g_assert_not_reached ();
    }

  if (strcmp (element, "a") == 0)
    {
      /* GtkLabel cannot nest links. */
      g_assert_cmpuint (*links_open, ==, 0);
      (*links_open)++;
    }
}

static void
check_end_element (GMarkupParseContext *context,
                   const char          *element,
                   gpointer             user_data,
                   GError             **error)
{
  guint *links_open = user_data;

  if (strcmp (element, "a") == 0)
    (*links_open)--;
}

static void
assert_valid_markup (const char *markup)
{
  static const GMarkupParser parser = { check_start_element, check_end_element, NULL, NULL, NULL };
  g_autoptr (GMarkupParseContext) context = NULL;
  g_autoptr (GError) error = NULL;
  guint links_open = 0;

  g_assert_nonnull (markup);
  g_assert_true (g_utf8_validate (markup, -1, NULL));
  context = g_markup_parse_context_new (&parser, 0, &links_open, NULL);
  if (!g_markup_parse_context_parse (context, "<markup>", -1, &error) ||
      !g_markup_parse_context_parse (context, markup, -1, &error) ||
      !g_markup_parse_context_parse (context, "</markup>", -1, &error) ||
      !g_markup_parse_context_end_parse (context, &error))
    g_error ("Invalid markup “%s”: %s", markup, error->message);
}

static void
assert_valid_blocks (GPtrArray *blocks)
{
  for (guint i = 0; i < blocks->len; i++)
    {
      const ConfabMarkdownBlock *block = g_ptr_array_index (blocks, i);

      g_assert_cmpuint (block->quote_depth, <=, CONFAB_MARKDOWN_MAX_DEPTH);
      g_assert_cmpuint (block->quote_continues, <=, block->quote_depth);
      g_assert_cmpuint (block->list_depth, <=, CONFAB_MARKDOWN_MAX_DEPTH);
      g_assert_true (confab_markdown_block_equal (block, block));

      switch (block->kind)
        {
        case CONFAB_MARKDOWN_BLOCK_PARAGRAPH:
        case CONFAB_MARKDOWN_BLOCK_HEADING:
        case CONFAB_MARKDOWN_BLOCK_LIST_ITEM:
          assert_valid_markup (block->markup);
          if (block->kind == CONFAB_MARKDOWN_BLOCK_HEADING)
            g_assert_true (block->level >= 1 && block->level <= 6);
          if (block->kind == CONFAB_MARKDOWN_BLOCK_LIST_ITEM)
            g_assert_cmpuint (block->list_depth, >=, 1);
          break;

        case CONFAB_MARKDOWN_BLOCK_CODE:
          g_assert_nonnull (block->text);
          g_assert_true (g_utf8_validate (block->text, -1, NULL));
          if (block->language != NULL)
            g_assert_true (g_utf8_validate (block->language, -1, NULL));
          break;

        case CONFAB_MARKDOWN_BLOCK_TABLE:
          g_assert_cmpuint (block->n_columns, >=, 1);
          g_assert_nonnull (block->align);
          g_assert_cmpuint (block->n_header_rows, <=, block->rows->len);
          for (guint r = 0; r < block->rows->len; r++)
            {
              char **cells = g_ptr_array_index (block->rows, r);

              g_assert_cmpuint (g_strv_length (cells), <=, block->n_columns);
              for (guint c = 0; cells[c] != NULL; c++)
                assert_valid_markup (cells[c]);
            }
          break;

        case CONFAB_MARKDOWN_BLOCK_RULE:
          break;

        default:
          g_assert_not_reached ();
        }
    }
}

static GPtrArray *
parse (const char *markdown, gssize len)
{
  GPtrArray *blocks = confab_markdown_parse (markdown, len);

  g_assert_nonnull (blocks);
  assert_valid_blocks (blocks);
  return blocks;
}

static const ConfabMarkdownBlock *
block_at (GPtrArray *blocks, guint index)
{
  g_assert_cmpuint (index, <, blocks->len);
  return g_ptr_array_index (blocks, index);
}

/* One paragraph's markup, for the inline constructs. */
static const struct
{
  const char *markdown;
  const char *markup;
} inline_cases[] = {
  { "plain text", "plain text" },
  { "*em* and _em_", "<i>em</i> and <i>em</i>" },
  { "**strong** and __strong__", "<b>strong</b> and <b>strong</b>" },
  { "***both***", "<i><b>both</b></i>" },
  { "~~gone~~", "<s>gone</s>" },
  { "`a < b && c`", CODE_OPEN "a &lt; b &amp;&amp; c" CODE_CLOSE },
  { "`line\nbreak`", CODE_OPEN "line break" CODE_CLOSE },
  { "soft\nbreak", "soft\nbreak" },
  { "hard  \nbreak", "hard\nbreak" },
  { "\\*not em\\*", "*not em*" },
  /* Raw HTML is text, escaped, never interpreted. */
  { "<script>alert('x')</script>", "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;" },
  { "a <b>bold</b> tag", "a &lt;b&gt;bold&lt;/b&gt; tag" },
  { "<span foreground=\"red\">x</span>", "&lt;span foreground=&quot;red&quot;&gt;x&lt;/span&gt;" },
  { "AT&T \"quoted\" 'single'", "AT&amp;T &quot;quoted&quot; &apos;single&apos;" },
  /* Entities: known names, numbers, invalid numbers, unknown names. */
  { "&copy; &amp; &lt;x&gt; &eacute;", "© &amp; &lt;x&gt; é" },
  { "&#65;&#x42;&#x1F600;", "AB😀" },
  { "&#0; &#xD800; &#1114112;", FFFD " " FFFD " " FFFD },
  { "&bogus; &#x1;", "&amp;bogus; &#x1;" },
  /* Links: only http, https and mailto. */
  { "[site](https://example.com/)", "<a href=\"https://example.com/\">site</a>" },
  { "[x](https://e.com/?a=1&b=\"2\"&c='3')",
    "<a href=\"https://e.com/?a=1&amp;b=&quot;2&quot;&amp;c=&apos;3&apos;\">x</a>" },
  { "[x](<https://e.com/a \"b\">)", "<a href=\"https://e.com/a &quot;b&quot;\">x</a>" },
  { "[x](https://e.com \"The \\\"title\\\" <here>\")",
    "<a href=\"https://e.com\" title=\"The &quot;title&quot; &lt;here&gt;\">x</a>" },
  { "[x](HTTP://E.COM)", "<a href=\"HTTP://E.COM\">x</a>" },
  { "[mail](mailto:a@b.org)", "<a href=\"mailto:a@b.org\">mail</a>" },
  { "<https://auto.example/p?q=1>",
    "<a href=\"https://auto.example/p?q=1\">https://auto.example/p?q=1</a>" },
  { "see www.example.com now", "see <a href=\"http://www.example.com\">www.example.com</a> now" },
  { "write a@b.org", "write <a href=\"mailto:a@b.org\">a@b.org</a>" },
  { "[js](javascript:alert(1))", "js" },
  { "[js](JavaScript:alert(1))", "js" },
  { "[js](&#106;avascript:alert(1))", "js" },
  { "<javascript:alert(1)>", "javascript:alert(1)" },
  { "[f](file:///etc/passwd) [d](data:text/html,hi) [r](relative/path)", "f d r" },
  { "[**bold** link](http://x.y)", "<a href=\"http://x.y\"><b>bold</b> link</a>" },
  { "![a *cat*](https://img.example/cat.png)",
    "<a href=\"https://img.example/cat.png\">a <i>cat</i></a>" },
  { "![local](cat.png)", "local" },
  { "[![img](https://a.example)](https://b.example)", "<a href=\"https://b.example\">img</a>" },
  { "[text][ref]\n\n[ref]: https://ref.example", "<a href=\"https://ref.example\">text</a>" },
};

static void
test_markdown_inline (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (inline_cases); i++)
    {
      g_autoptr (GPtrArray) blocks = parse (inline_cases[i].markdown, -1);

      g_test_message ("%s", inline_cases[i].markdown);
      g_assert_cmpuint (blocks->len, ==, 1);
      g_assert_cmpint (block_at (blocks, 0)->kind, ==, CONFAB_MARKDOWN_BLOCK_PARAGRAPH);
      g_assert_cmpstr (block_at (blocks, 0)->markup, ==, inline_cases[i].markup);
    }
}

static void
test_markdown_headings (void)
{
  static const struct
  {
    const char *markdown;
    guint       level;
    const char *markup;
  } cases[] = {
    { "# One", 1, "One" },
    { "## Two *em*", 2, "Two <i>em</i>" },
    { "### Three", 3, "Three" },
    { "#### Four", 4, "Four" },
    { "###### Six ######", 6, "Six" },
    { "Setext\n===", 1, "Setext" },
    { "Setext\n---", 2, "Setext" },
    { "# <b>&amp;", 1, "&lt;b&gt;&amp;" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GPtrArray) blocks = parse (cases[i].markdown, -1);

      g_assert_cmpuint (blocks->len, ==, 1);
      g_assert_cmpint (block_at (blocks, 0)->kind, ==, CONFAB_MARKDOWN_BLOCK_HEADING);
      g_assert_cmpuint (block_at (blocks, 0)->level, ==, cases[i].level);
      g_assert_cmpstr (block_at (blocks, 0)->markup, ==, cases[i].markup);
    }

  {
    /* Seven hashes are not a heading. */
    g_autoptr (GPtrArray) blocks = parse ("####### Seven", -1);

    g_assert_cmpint (block_at (blocks, 0)->kind, ==, CONFAB_MARKDOWN_BLOCK_PARAGRAPH);
  }
}

typedef struct
{
  ConfabMarkdownBlockKind kind;
  guint                   list_depth;
  gboolean                ordered;
  guint                   number;
  ConfabMarkdownTask      task;
  const char             *markup;
} ExpectedItem;

static void
assert_items (const char *markdown, const ExpectedItem *expected, guint n_expected)
{
  g_autoptr (GPtrArray) blocks = parse (markdown, -1);

  g_test_message ("%s", markdown);
  g_assert_cmpuint (blocks->len, ==, n_expected);
  for (guint i = 0; i < n_expected; i++)
    {
      const ConfabMarkdownBlock *block = block_at (blocks, i);

      g_assert_cmpint (block->kind, ==, expected[i].kind);
      g_assert_cmpuint (block->list_depth, ==, expected[i].list_depth);
      if (block->kind == CONFAB_MARKDOWN_BLOCK_LIST_ITEM)
        {
          g_assert_cmpint (block->ordered, ==, expected[i].ordered);
          if (block->ordered)
            g_assert_cmpuint (block->number, ==, expected[i].number);
          g_assert_cmpint (block->task, ==, expected[i].task);
        }
      if (expected[i].markup != NULL)
        g_assert_cmpstr (block->markup, ==, expected[i].markup);
    }
}

#define ITEM(depth, text)                                                                          \
  {                                                                                                \
    CONFAB_MARKDOWN_BLOCK_LIST_ITEM, depth, FALSE, 0, 0, text                                      \
  }
#define NUMBERED(depth, n, text)                                                                   \
  {                                                                                                \
    CONFAB_MARKDOWN_BLOCK_LIST_ITEM, depth, TRUE, n, 0, text                                       \
  }
#define TASK(depth, task, text)                                                                    \
  {                                                                                                \
    CONFAB_MARKDOWN_BLOCK_LIST_ITEM, depth, FALSE, 0, task, text                                   \
  }
#define PARAGRAPH(depth, text)                                                                     \
  {                                                                                                \
    CONFAB_MARKDOWN_BLOCK_PARAGRAPH, depth, FALSE, 0, 0, text                                      \
  }
#define CODE(depth)                                                                                \
  {                                                                                                \
    CONFAB_MARKDOWN_BLOCK_CODE, depth, FALSE, 0, 0, NULL                                           \
  }

static void
test_markdown_lists (void)
{
  const ExpectedItem bullets[] = { ITEM (1, "one"), ITEM (1, "<b>two</b>"), ITEM (1, "three") };
  const ExpectedItem numbered[] = { NUMBERED (1, 7, "seven"), NUMBERED (1, 8, "eight") };
  const ExpectedItem nested[] = {
    ITEM (1, "a"), NUMBERED (2, 1, "b"), ITEM (3, "c"), NUMBERED (2, 2, "d"), ITEM (1, "e"),
  };
  const ExpectedItem tasks[] = {
    TASK (1, CONFAB_MARKDOWN_TASK_CHECKED, "done"),
    TASK (1, CONFAB_MARKDOWN_TASK_CHECKED, "also done"),
    TASK (1, CONFAB_MARKDOWN_TASK_UNCHECKED, "to do"),
    ITEM (1, "[] not a task"),
  };
  const ExpectedItem loose[] = {
    NUMBERED (1, 1, "first"),
    PARAGRAPH (1, "more of the first"),
    NUMBERED (1, 2, "second"),
  };
  const ExpectedItem with_code[] = { ITEM (1, ""), CODE (1), ITEM (1, "after") };
  const ExpectedItem same_line[] = { ITEM (1, ""), ITEM (2, ""), ITEM (3, "deep") };
  const ExpectedItem empty[] = { ITEM (1, ""), ITEM (1, "x") };
  const ExpectedItem after[] = { ITEM (1, "item"), PARAGRAPH (0, "paragraph") };

  /* Another bullet character starts another list: the same items. */
  assert_items ("- one\n* **two**\n+ three", bullets, G_N_ELEMENTS (bullets));
  assert_items ("- one\n- **two**\n- three", bullets, G_N_ELEMENTS (bullets));
  assert_items ("7. seven\n8) eight", numbered, G_N_ELEMENTS (numbered));
  assert_items ("7. seven\n8. eight", numbered, G_N_ELEMENTS (numbered));
  assert_items ("- a\n  1. b\n     - c\n  2. d\n- e", nested, G_N_ELEMENTS (nested));
  assert_items ("- [x] done\n- [X] also done\n- [ ] to do\n- [] not a task", tasks,
                G_N_ELEMENTS (tasks));
  assert_items ("1. first\n\n   more of the first\n2. second", loose, G_N_ELEMENTS (loose));
  assert_items ("- ```\n  code\n  ```\n- after", with_code, G_N_ELEMENTS (with_code));
  assert_items ("- - - deep", same_line, G_N_ELEMENTS (same_line));
  assert_items ("-\n- x", empty, G_N_ELEMENTS (empty));
  assert_items ("- item\n\nparagraph", after, G_N_ELEMENTS (after));

  {
    /* The start number goes up to nine digits. */
    g_autoptr (GPtrArray) blocks = parse ("123456789. big", -1);

    g_assert_cmpuint (block_at (blocks, 0)->number, ==, 123456789);
  }
}

static void
test_markdown_quotes (void)
{
  static const struct
  {
    const char *markdown;
    guint       n_blocks;
    guint       depth[4];
    guint       continues[4];
  } cases[] = {
    { "> quoted", 1, { 1 }, { 0 } },
    { "> one\n>\n> two", 2, { 1, 1 }, { 0, 1 } },
    { "> one\n\n> two", 2, { 1, 1 }, { 0, 0 } },
    { "> one\n> > two\n\nout", 3, { 1, 2, 0 }, { 0, 1, 0 } },
    { "> > a\n> >\n> > b", 2, { 2, 2 }, { 0, 2 } },
    { "> > a\n>\n> b", 2, { 2, 1 }, { 0, 1 } },
    { "before\n\n> - item\n>\n>   more", 3, { 0, 1, 1 }, { 0, 0, 1 } },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GPtrArray) blocks = parse (cases[i].markdown, -1);

      g_test_message ("%s", cases[i].markdown);
      g_assert_cmpuint (blocks->len, ==, cases[i].n_blocks);
      for (guint b = 0; b < blocks->len; b++)
        {
          g_assert_cmpuint (block_at (blocks, b)->quote_depth, ==, cases[i].depth[b]);
          g_assert_cmpuint (block_at (blocks, b)->quote_continues, ==, cases[i].continues[b]);
        }
    }
}

static void
test_markdown_code (void)
{
  static const struct
  {
    const char *markdown;
    const char *language;
    const char *text;
  } cases[] = {
    { "```python\nprint('<b>&amp;</b>')\n```", "python", "print('<b>&amp;</b>')" },
    { "```\nno language\n\n  indented\n```", NULL, "no language\n\n  indented" },
    { "~~~ c++ {.numberLines}\nint x;\n~~~", "c++", "int x;" },
    { "```js\nstreaming, not closed yet", "js", "streaming, not closed yet" },
    { "```rust\n```", "rust", "" },
    { "    indented code\n    line 2", NULL, "indented code\nline 2" },
    { "```sh\n\n\n```", "sh", "\n" },
    { "```a&amp;b\nx\n```", "a&b", "x" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GPtrArray) blocks = parse (cases[i].markdown, -1);
      const ConfabMarkdownBlock *block;

      g_test_message ("%s", cases[i].markdown);
      g_assert_cmpuint (blocks->len, ==, 1);
      block = block_at (blocks, 0);
      g_assert_cmpint (block->kind, ==, CONFAB_MARKDOWN_BLOCK_CODE);
      g_assert_cmpstr (block->language, ==, cases[i].language);
      g_assert_cmpstr (block->text, ==, cases[i].text);
      g_assert_null (block->markup);
    }
}

static void
test_markdown_table (void)
{
  g_autoptr (GPtrArray) blocks = parse ("Intro\n\n"
                                        "| Name | Qty | Note |\n"
                                        "|:-----|----:|:----:|\n"
                                        "| *Bread* | 2 | `<fresh>` |\n"
                                        "| Jam |\n"
                                        "| a \\| b | 1 | [x](https://x.example) |\n",
                                        -1);
  const ConfabMarkdownBlock *table;
  char                     **row;

  g_assert_cmpuint (blocks->len, ==, 2);
  table = block_at (blocks, 1);
  g_assert_cmpint (table->kind, ==, CONFAB_MARKDOWN_BLOCK_TABLE);
  g_assert_cmpuint (table->n_columns, ==, 3);
  g_assert_cmpuint (table->n_header_rows, ==, 1);
  g_assert_cmpint (table->align[0], ==, CONFAB_MARKDOWN_ALIGN_LEFT);
  g_assert_cmpint (table->align[1], ==, CONFAB_MARKDOWN_ALIGN_RIGHT);
  g_assert_cmpint (table->align[2], ==, CONFAB_MARKDOWN_ALIGN_CENTER);
  g_assert_cmpuint (table->rows->len, ==, 4);

  row = g_ptr_array_index (table->rows, 0);
  g_assert_cmpuint (g_strv_length (row), ==, 3);
  g_assert_cmpstr (row[0], ==, "Name");
  g_assert_cmpstr (row[2], ==, "Note");
  row = g_ptr_array_index (table->rows, 1);
  g_assert_cmpstr (row[0], ==, "<i>Bread</i>");
  g_assert_cmpstr (row[1], ==, "2");
  g_assert_cmpstr (row[2], ==, CODE_OPEN "&lt;fresh&gt;" CODE_CLOSE);
  /* A short row leaves out its missing cells. */
  row = g_ptr_array_index (table->rows, 2);
  g_assert_cmpuint (g_strv_length (row), ==, 1);
  g_assert_cmpstr (row[0], ==, "Jam");
  row = g_ptr_array_index (table->rows, 3);
  g_assert_cmpstr (row[0], ==, "a | b");
  g_assert_cmpstr (row[2], ==, "<a href=\"https://x.example\">x</a>");
}

static void
test_markdown_rule_and_mix (void)
{
  g_autoptr (GPtrArray) blocks = parse ("above\n\n---\n\n***\nbelow\n\n> # quoted heading\n", -1);

  g_assert_cmpuint (blocks->len, ==, 5);
  g_assert_cmpint (block_at (blocks, 0)->kind, ==, CONFAB_MARKDOWN_BLOCK_PARAGRAPH);
  g_assert_cmpint (block_at (blocks, 1)->kind, ==, CONFAB_MARKDOWN_BLOCK_RULE);
  g_assert_cmpint (block_at (blocks, 2)->kind, ==, CONFAB_MARKDOWN_BLOCK_RULE);
  g_assert_cmpstr (block_at (blocks, 3)->markup, ==, "below");
  g_assert_cmpint (block_at (blocks, 4)->kind, ==, CONFAB_MARKDOWN_BLOCK_HEADING);
  g_assert_cmpuint (block_at (blocks, 4)->quote_depth, ==, 1);
}

static void
test_markdown_empty (void)
{
  const char *inputs[] = { "", "   ", "\n\n\n", "\t" };

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (GPtrArray) blocks = parse (inputs[i], -1);

      g_assert_cmpuint (blocks->len, ==, 0);
    }

  {
    g_autoptr (GPtrArray) blocks = parse (NULL, -1);

    g_assert_cmpuint (blocks->len, ==, 0);
  }
  {
    g_autoptr (GPtrArray) blocks = parse (NULL, 5);

    g_assert_cmpuint (blocks->len, ==, 0);
  }
  {
    /* len 0 is empty even when the pointer has text. */
    g_autoptr (GPtrArray) blocks = parse ("# not read", 0);

    g_assert_cmpuint (blocks->len, ==, 0);
  }
}

static void
test_markdown_invalid_utf8 (void)
{
  static const struct
  {
    const char *bytes;
    gssize      len;
    const char *markup;
  } cases[] = {
    { "a\xff"
      "b",
      -1, "a" FFFD "b" },
    { "\xc3", -1, FFFD },
    { "caf\xc3\xa9 \xe2\x82", -1, "café " FFFD FFFD },
    { "\xed\xa0\x80 surrogate", -1, FFFD FFFD FFFD " surrogate" },
    { "\xa9##r[](r[](", -1, FFFD "##r<a href=\"\"></a>" },
    /* NUL bytes inside the length. */
    { "a\0b", 3, "a" FFFD "b" },
    { "\0\0", 2, FFFD FFFD },
    { "*x\0*", 4, "<i>x" FFFD "</i>" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GPtrArray) blocks = confab_markdown_parse (cases[i].bytes, cases[i].len);

      g_test_message ("case %u", i);
      assert_valid_blocks (blocks);
      g_assert_cmpuint (blocks->len, ==, 1);
      if (i != 4) /* that one is only about not crashing */
        g_assert_cmpstr (block_at (blocks, 0)->markup, ==, cases[i].markup);
    }

  {
    g_autoptr (GPtrArray) blocks = confab_markdown_parse ("```\n\xff\0code\n```", 14);

    assert_valid_blocks (blocks);
    g_assert_cmpuint (blocks->len, ==, 1);
    g_assert_cmpstr (block_at (blocks, 0)->text, ==, FFFD FFFD "code");
  }
}

/* Over a megabyte of every construct: parsed in one piece, all valid. */
static void
test_markdown_large (void)
{
  static const char *const chunk =
      "# Heading %u\n\n"
      "Some *text* with **bold**, `code`, a [link](https://example.com/%u) and <tags> & stuff.\n\n"
      "- item %u\n  - [x] nested task\n1. numbered\n\n"
      "> quoted line\n> > deeper\n\n"
      "```c\nint main (void) { return %u; }\n```\n\n"
      "| a | b |\n|---|---|\n| 1 | 2 |\n\n---\n\n";
  g_autoptr (GString) markdown = g_string_new (NULL);
  g_autoptr (GPtrArray) blocks = NULL;
  guint n = 0;

  while (markdown->len < 1024 * 1024)
    {
      g_string_append_printf (markdown, chunk, n, n, n, n);
      n++;
    }

  blocks = parse (markdown->str, markdown->len);
  /* 10 blocks a chunk: heading, paragraph, three items, two quoted
   * paragraphs, code, table, rule. */
  g_assert_cmpuint (blocks->len, ==, n * 10);
  g_assert_cmpstr (block_at (blocks, blocks->len - 1)->markup, ==, NULL);
  g_assert_cmpint (block_at (blocks, blocks->len - 1)->kind, ==, CONFAB_MARKDOWN_BLOCK_RULE);
}

static char *
repeat (const char *piece, guint times, const char *tail)
{
  GString *str = g_string_sized_new (strlen (piece) * times + strlen (tail));

  for (guint i = 0; i < times; i++)
    g_string_append (str, piece);
  g_string_append (str, tail);
  return g_string_free (str, FALSE);
}

/* Nesting ten thousand deep neither overflows a stack nor makes ten
 * thousand indents: depths stop at CONFAB_MARKDOWN_MAX_DEPTH. */
static void
test_markdown_deep_nesting (void)
{
  {
    g_autofree char *markdown = repeat (">", 10000, " deep");
    g_autoptr (GPtrArray) blocks = parse (markdown, -1);

    g_assert_cmpuint (blocks->len, ==, 1);
    g_assert_cmpuint (block_at (blocks, 0)->quote_depth, ==, CONFAB_MARKDOWN_MAX_DEPTH);
    g_assert_cmpstr (block_at (blocks, 0)->markup, ==, "deep");
  }
  {
    g_autofree char *markdown = repeat ("- ", 10000, "deep");
    g_autoptr (GPtrArray) blocks = parse (markdown, -1);
    const ConfabMarkdownBlock *last;

    /* The outer items' markers up to the cap, then the deepest item. */
    g_assert_cmpuint (blocks->len, ==, CONFAB_MARKDOWN_MAX_DEPTH + 1);
    last = block_at (blocks, blocks->len - 1);
    g_assert_cmpint (last->kind, ==, CONFAB_MARKDOWN_BLOCK_LIST_ITEM);
    g_assert_cmpuint (last->list_depth, ==, CONFAB_MARKDOWN_MAX_DEPTH);
    g_assert_cmpstr (last->markup, ==, "deep");
  }
  {
    g_autofree char *markdown = repeat ("1. ", 10000, "deep");
    g_autoptr (GPtrArray) blocks = parse (markdown, -1);

    g_assert_cmpuint (blocks->len, ==, CONFAB_MARKDOWN_MAX_DEPTH + 1);
    g_assert_cmpstr (block_at (blocks, blocks->len - 1)->markup, ==, "deep");
  }
  {
    g_autofree char *markdown = repeat ("> - ", 5000, "mixed");
    g_autoptr (GPtrArray) blocks = parse (markdown, -1);

    g_assert_cmpuint (blocks->len, >=, 1);
    g_assert_cmpstr (block_at (blocks, blocks->len - 1)->markup, ==, "mixed");
  }
  {
    /* Indented nesting, one level a line. */
    GString *markdown = g_string_new (NULL);
    g_autoptr (GPtrArray) blocks = NULL;

    for (guint i = 0; i < 2000; i++)
      {
        for (guint j = 0; j < i * 2; j++)
          g_string_append_c (markdown, ' ');
        g_string_append (markdown, "- x\n");
      }
    blocks = parse (markdown->str, markdown->len);
    g_assert_cmpuint (blocks->len, >, 0);
    g_string_free (markdown, TRUE);
  }
  {
    /* Spans: nested emphasis, brackets, backticks. */
    g_autofree char *stars = repeat ("*a ", 10000, "x");
    g_autofree char *open = repeat ("**", 5000, "x");
    g_autofree char *brackets = repeat ("[", 10000, "x](http://a)");
    g_autofree char *links = repeat ("[a](http://b ", 10000, "");
    g_autofree char *ticks = repeat ("`", 10000, "x");
    g_autofree char *nested = NULL;
    GString         *balanced = g_string_new (NULL);

    for (guint i = 0; i < 5000; i++)
      g_string_append (balanced, i % 2 ? "*" : "_");
    g_string_append (balanced, "x");
    for (guint i = 5000; i > 0; i--)
      g_string_append (balanced, (i - 1) % 2 ? "*" : "_");
    nested = g_string_free (balanced, FALSE);

    g_ptr_array_unref (parse (stars, -1));
    g_ptr_array_unref (parse (open, -1));
    g_ptr_array_unref (parse (brackets, -1));
    g_ptr_array_unref (parse (links, -1));
    g_ptr_array_unref (parse (ticks, -1));
    g_ptr_array_unref (parse (nested, -1));
  }
}

/* A wide header over many short rows would make md4c 0.4.8 pad every row to
 * thousands of cells; the parser gives up tables there and keeps the text. */
static void
test_markdown_sparse_table (void)
{
  GString *markdown = g_string_new ("|");
  g_autoptr (GPtrArray) blocks = NULL;

  for (guint i = 0; i < 3000; i++)
    g_string_append (markdown, "h|");
  g_string_append (markdown, "\n|");
  for (guint i = 0; i < 3000; i++)
    g_string_append (markdown, "---|");
  g_string_append (markdown, "\n");
  for (guint i = 0; i < 20000; i++)
    g_string_append (markdown, "r\n");

  blocks = parse (markdown->str, markdown->len);
  g_assert_cmpuint (blocks->len, >=, 1);
  for (guint i = 0; i < blocks->len; i++)
    g_assert_cmpint (block_at (blocks, i)->kind, !=, CONFAB_MARKDOWN_BLOCK_TABLE);
  g_assert_nonnull (strstr (block_at (blocks, 0)->markup, "|h|h|"));
  g_string_free (markdown, TRUE);
}

/* Random documents from Markdown's syntax characters: never a crash, always
 * valid markup. */
static void
test_markdown_random (void)
{
  static const char *const pieces[] = {
    "*",
    "**",
    "_",
    "~~",
    "`",
    "```",
    "~~~",
    "\n",
    "\n\n",
    " ",
    "  ",
    "    ",
    "\t",
    "#",
    "> ",
    "- ",
    "+ ",
    "1. ",
    "2) ",
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "!",
    "|",
    "---",
    "\\",
    "&",
    "&amp;",
    "&#",
    ";",
    "x",
    "word",
    "http://a.b",
    "www.c.d",
    "e@f.gh",
    "[x]",
    "[ ]",
    ":",
    "\"",
    "'",
    "\0",
    "\xff",
    "\xc3\xa9",
    "\xf0\x9f\x98\x80",
    "javascript:",
    "mailto:",
  };
  GRand *rand = g_rand_new_with_seed (20260101);

  for (guint n = 0; n < 3000; n++)
    {
      GString *markdown = g_string_new (NULL);
      guint    length = g_rand_int_range (rand, 0, 80);

      for (guint i = 0; i < length; i++)
        {
          const char *piece = pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))];

          /* "\0" is one NUL byte. */
          g_string_append_len (markdown, piece, piece[0] == '\0' ? 1 : strlen (piece));
        }
      g_ptr_array_unref (parse (markdown->str, markdown->len));
      g_string_free (markdown, TRUE);
    }
  g_rand_free (rand);
}

static void
test_markdown_equal (void)
{
  g_autoptr (GPtrArray) a = parse ("para\n\n```c\nint x;\n```\n\n- item", -1);
  g_autoptr (GPtrArray) b = parse ("para\n\n```c\nint x;\nint y;\n```\n\n- item two", -1);
  g_autoptr (GPtrArray) c = parse ("para\n\n```python\nint x;\n```\n\n1. item", -1);

  g_assert_true (confab_markdown_block_equal (block_at (a, 0), block_at (b, 0)));
  g_assert_false (confab_markdown_block_equal (block_at (a, 1), block_at (b, 1)));
  g_assert_true (confab_markdown_block_same_shape (block_at (a, 1), block_at (b, 1)));
  g_assert_true (confab_markdown_block_same_shape (block_at (a, 2), block_at (b, 2)));
  g_assert_false (confab_markdown_block_equal (block_at (a, 2), block_at (b, 2)));

  /* Another language or marker is another shape. */
  g_assert_false (confab_markdown_block_same_shape (block_at (a, 1), block_at (c, 1)));
  g_assert_false (confab_markdown_block_same_shape (block_at (a, 2), block_at (c, 2)));
  g_assert_false (confab_markdown_block_same_shape (block_at (a, 0), block_at (a, 1)));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/confab/markdown/inline", test_markdown_inline);
  g_test_add_func ("/confab/markdown/headings", test_markdown_headings);
  g_test_add_func ("/confab/markdown/lists", test_markdown_lists);
  g_test_add_func ("/confab/markdown/quotes", test_markdown_quotes);
  g_test_add_func ("/confab/markdown/code", test_markdown_code);
  g_test_add_func ("/confab/markdown/table", test_markdown_table);
  g_test_add_func ("/confab/markdown/rule-and-mix", test_markdown_rule_and_mix);
  g_test_add_func ("/confab/markdown/empty", test_markdown_empty);
  g_test_add_func ("/confab/markdown/invalid-utf8", test_markdown_invalid_utf8);
  g_test_add_func ("/confab/markdown/large", test_markdown_large);
  g_test_add_func ("/confab/markdown/deep-nesting", test_markdown_deep_nesting);
  g_test_add_func ("/confab/markdown/sparse-table", test_markdown_sparse_table);
  g_test_add_func ("/confab/markdown/random", test_markdown_random);
  g_test_add_func ("/confab/markdown/equal", test_markdown_equal);

  return g_test_run ();
}
