/* confab-markdown.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Markdown (GitHub dialect, raw HTML shown as text) turned into a flat list
 * of blocks that a view can show one widget each. Pure GLib + md4c: no GTK,
 * so tests and fuzzers link it alone.
 *
 * Containers (block quotes, lists) do not become blocks of their own: every
 * block says how deep it sits in them. Text is Pango markup, ready for a
 * GtkLabel: <b>, <i>, <s>, <tt> (inline code), and <a href> for http, https
 * and mailto links only. Any bytes are accepted: invalid UTF-8 and NUL bytes
 * become U+FFFD. */

/* Quote and list depths are counted up to this; deeper nesting is shown at
 * this depth. */
#define CONFAB_MARKDOWN_MAX_DEPTH 8

typedef enum
{
  CONFAB_MARKDOWN_BLOCK_PARAGRAPH,
  CONFAB_MARKDOWN_BLOCK_HEADING,
  CONFAB_MARKDOWN_BLOCK_LIST_ITEM,
  CONFAB_MARKDOWN_BLOCK_CODE,
  CONFAB_MARKDOWN_BLOCK_TABLE,
  CONFAB_MARKDOWN_BLOCK_RULE,
} ConfabMarkdownBlockKind;

typedef enum
{
  CONFAB_MARKDOWN_TASK_NONE,
  CONFAB_MARKDOWN_TASK_UNCHECKED,
  CONFAB_MARKDOWN_TASK_CHECKED,
} ConfabMarkdownTask;

typedef enum
{
  CONFAB_MARKDOWN_ALIGN_DEFAULT,
  CONFAB_MARKDOWN_ALIGN_LEFT,
  CONFAB_MARKDOWN_ALIGN_CENTER,
  CONFAB_MARKDOWN_ALIGN_RIGHT,
} ConfabMarkdownAlign;

typedef struct
{
  ConfabMarkdownBlockKind kind;

  /* Block quotes around the block, and how many of them already held the
   * previous block (so a view can draw one continuous bar per quote). */
  guint quote_depth;
  guint quote_continues;
  /* Lists around the block: 0 outside any list. A LIST_ITEM is the first
   * block of its item and carries the marker; later blocks of the same item
   * have the same list_depth and another kind. */
  guint list_depth;

  guint              level;   /* HEADING: 1 to 6 */
  gboolean           ordered; /* LIST_ITEM: numbered rather than bulleted */
  guint              number;  /* LIST_ITEM: its number when ordered */
  ConfabMarkdownTask task;    /* LIST_ITEM: a task list checkbox */

  char *markup;   /* PARAGRAPH, HEADING, LIST_ITEM: Pango markup, maybe empty */
  char *language; /* CODE: first word of the fence's info string, or NULL */
  char *text;     /* CODE: the code, raw, without its last line break */

  /* TABLE: rows of cells' markup (a GStrv each, at most n_columns long:
   * missing trailing cells are empty); the first n_header_rows are the
   * header. align has n_columns entries. */
  guint                n_columns;
  guint                n_header_rows;
  ConfabMarkdownAlign *align;
  GPtrArray           *rows;
} ConfabMarkdownBlock;

/* Returns the blocks of @text (@len bytes, or -1 when NUL-terminated); free
 * with g_ptr_array_unref(). NULL @text is the empty document. */
GPtrArray *confab_markdown_parse (const char *text, gssize len);
void       confab_markdown_block_free (ConfabMarkdownBlock *block);
gboolean   confab_markdown_block_equal (const ConfabMarkdownBlock *a, const ConfabMarkdownBlock *b);
/* Same kind, depths, marker, level and language: only the content differs,
 * so a widget showing @a can be updated to show @b. */
gboolean confab_markdown_block_same_shape (const ConfabMarkdownBlock *a,
                                           const ConfabMarkdownBlock *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabMarkdownBlock, confab_markdown_block_free)

G_END_DECLS
