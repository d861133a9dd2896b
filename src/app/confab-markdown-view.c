/* confab-markdown-view.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>
#include <string.h>

#include "confab-markdown.h"
#include "confab-markdown-view.h"

/* A message's Markdown as a column of widgets, one per block of
 * confab_markdown_parse(): selectable labels for text, a grid for a table,
 * a GtkSourceView with a copy button for code. Children are built by hand
 * because their number and kinds come from the text. */

/* Width of a list marker plus the space after it: one level of indent. */
#define MARKER_WIDTH   22
#define MARKER_SPACING 6
#define LIST_INDENT    (MARKER_WIDTH + MARKER_SPACING)

#define COPIED_FEEDBACK_SECONDS 2

/* Wider tables scroll sideways instead of wrapping their cells. */
#define TABLE_MAX_WRAPPED_COLUMNS 6

struct _ConfabMarkdownView
{
  GtkWidget parent_instance;

  char      *text;
  GPtrArray *blocks; /* ConfabMarkdownBlock, as shown */
  GPtrArray *items;  /* Item, one per block */
};

G_DEFINE_FINAL_TYPE (ConfabMarkdownView, confab_markdown_view, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_TEXT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The widgets of one block. */
typedef struct
{
  GtkWidget       *root;       /* the view's child */
  GtkWidget       *gap_widget; /* its top margin spaces the block from the previous one */
  GtkLabel        *label;      /* paragraphs, headings, list items */
  GtkSourceBuffer *buffer;     /* code */
  GtkButton       *copy_button;
  GtkRevealer     *copied_revealer;
  guint            copied_source;
} Item;

static void
item_free (Item *item)
{
  g_clear_handle_id (&item->copied_source, g_source_remove);
  if (item->copy_button != NULL)
    g_signal_handlers_disconnect_by_data (item->copy_button, item);
  if (gtk_widget_get_parent (item->root) != NULL)
    gtk_widget_unparent (item->root);
  g_free (item);
}

static GtkSourceStyleScheme *
current_style_scheme (void)
{
  GtkSourceStyleSchemeManager *manager = gtk_source_style_scheme_manager_get_default ();
  gboolean                     dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GtkSourceStyleScheme        *scheme;

  scheme = gtk_source_style_scheme_manager_get_scheme (manager, dark ? "Adwaita-dark" : "Adwaita");
  if (scheme == NULL)
    scheme =
        gtk_source_style_scheme_manager_get_scheme (manager, dark ? "classic-dark" : "classic");
  return scheme;
}

static void
dark_changed_cb (ConfabMarkdownView *self)
{
  GtkSourceStyleScheme *scheme = current_style_scheme ();

  for (guint i = 0; i < self->items->len; i++)
    {
      Item *item = g_ptr_array_index (self->items, i);

      if (item->buffer != NULL)
        gtk_source_buffer_set_style_scheme (item->buffer, scheme);
    }
}

/* The GtkSourceView language for a fence's info string: its id, a common
 * alias, or a file extension ("```rs" is Rust). */
static GtkSourceLanguage *
find_language (const char *name)
{
  static const struct
  {
    const char *alias;
    const char *id;
  } aliases[] = {
    { "bash", "sh" },
    { "shell", "sh" },
    { "zsh", "sh" },
    { "console", "sh" },
    { "shellscript", "sh" },
    { "py", "python3" },
    { "python", "python3" },
    { "javascript", "js" },
    { "node", "js" },
    { "ts", "typescript" },
    { "tsx", "typescript-jsx" },
    { "c++", "cpp" },
    { "cxx", "cpp" },
    { "cs", "c-sharp" },
    { "csharp", "c-sharp" },
    { "c#", "c-sharp" },
    { "yml", "yaml" },
    { "md", "markdown" },
    { "rs", "rust" },
    { "rb", "ruby" },
    { "golang", "go" },
    { "kt", "kotlin" },
    { "objective-c", "objc" },
    { "dockerfile", "docker" },
    { "make", "makefile" },
    { "ps1", "powershell" },
    { "pwsh", "powershell" },
    { "patch", "diff" },
    { "tex", "latex" },
    { "jsonc", "json" },
    { "vb", "vbnet" },
    { "proto", "proto" },
    { "protobuf", "proto" },
  };
  GtkSourceLanguageManager *manager = gtk_source_language_manager_get_default ();
  g_autofree char          *id = NULL;
  g_autofree char          *filename = NULL;
  GtkSourceLanguage        *language;

  if (name == NULL || name[0] == '\0' || strlen (name) > 64 || strchr (name, '/') != NULL)
    return NULL;

  id = g_ascii_strdown (name, -1);
  for (guint i = 0; i < G_N_ELEMENTS (aliases); i++)
    if (strcmp (id, aliases[i].alias) == 0)
      return gtk_source_language_manager_get_language (manager, aliases[i].id);

  language = gtk_source_language_manager_get_language (manager, id);
  if (language != NULL)
    return language;

  filename = g_strconcat ("code.", id, NULL);
  return gtk_source_language_manager_guess_language (manager, filename, NULL);
}

/* Links open in the browser (or mail client); a failure says so in the
 * nearest toast overlay. */

static void
launch_uri_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (GtkWidget) widget = user_data;
  g_autoptr (GError) error = NULL;
  GtkWidget *overlay;

  if (g_app_info_launch_default_for_uri_finish (result, &error))
    return;

  overlay = gtk_widget_get_ancestor (widget, ADW_TYPE_TOAST_OVERLAY);
  if (overlay != NULL)
    {
      g_autofree char *title = g_strdup_printf (_ ("Could not open the link: %s"), error->message);
      /* A toast's title is markup in libadwaita 1.2. */
      g_autofree char *escaped = g_markup_escape_text (title, -1);

      adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (escaped));
    }
  else
    g_warning ("Could not open a link: %s", error->message);
}

static gboolean
activate_link_cb (GtkLabel *label, const char *uri, gpointer user_data)
{
  g_autoptr (GdkAppLaunchContext) context = NULL;

  /* The parser only makes these links; anything else is not ours to open. */
  if (g_ascii_strncasecmp (uri, "http://", 7) != 0 &&
      g_ascii_strncasecmp (uri, "https://", 8) != 0 && g_ascii_strncasecmp (uri, "mailto:", 7) != 0)
    return TRUE;

  context = gdk_display_get_app_launch_context (gtk_widget_get_display (GTK_WIDGET (label)));
  g_app_info_launch_default_for_uri_async (uri, G_APP_LAUNCH_CONTEXT (context), NULL,
                                           launch_uri_done_cb, g_object_ref (label));
  return TRUE;
}

static GtkLabel *
new_text_label (const char *markup, GtkAccessibleRole role)
{
  /* The role can only be given at construction. */
  GtkLabel *label = g_object_new (GTK_TYPE_LABEL, "accessible-role", role, NULL);

  gtk_label_set_wrap (label, TRUE);
  gtk_label_set_wrap_mode (label, PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (label, TRUE);
  gtk_label_set_xalign (label, 0.0f);
  gtk_label_set_yalign (label, 0.0f);
  gtk_widget_set_hexpand (GTK_WIDGET (label), TRUE);
  gtk_label_set_markup (label, markup != NULL ? markup : "");
  g_signal_connect (label, "activate-link", G_CALLBACK (activate_link_cb), NULL);
  return label;
}

static GtkWidget *
new_list_marker (const ConfabMarkdownBlock *block)
{
  static const char *const bullets[] = { "•", "◦", "▪" };
  GtkWidget               *marker;

  if (block->task != CONFAB_MARKDOWN_TASK_NONE)
    {
      /* Shows the state; a chat message is not a form to tick. */
      marker = gtk_check_button_new ();
      gtk_check_button_set_active (GTK_CHECK_BUTTON (marker),
                                   block->task == CONFAB_MARKDOWN_TASK_CHECKED);
      gtk_widget_set_can_target (marker, FALSE);
      gtk_widget_set_focusable (marker, FALSE);
      gtk_widget_set_halign (marker, GTK_ALIGN_END);
    }
  else if (block->ordered)
    {
      g_autofree char *number = g_strdup_printf ("%u.", block->number);

      marker = gtk_label_new (number);
      gtk_label_set_xalign (GTK_LABEL (marker), 1.0f);
      gtk_widget_add_css_class (marker, "numeric");
    }
  else
    {
      guint depth = MAX (block->list_depth, 1) - 1;

      marker = gtk_label_new (bullets[depth % G_N_ELEMENTS (bullets)]);
      gtk_label_set_xalign (GTK_LABEL (marker), 0.5f);
    }

  gtk_widget_add_css_class (marker, "markdown-marker");
  gtk_widget_set_valign (marker, GTK_ALIGN_START);
  gtk_widget_set_size_request (marker, MARKER_WIDTH, -1);
  return marker;
}

static void
set_code_text (Item *item, const char *old_text, const char *text)
{
  GtkTextBuffer *buffer = GTK_TEXT_BUFFER (item->buffer);

  /* Streaming only appends: insert the new tail so the highlighting and any
   * selection in the lines above stay. */
  if (old_text != NULL && g_str_has_prefix (text, old_text))
    {
      GtkTextIter end;

      gtk_text_buffer_get_end_iter (buffer, &end);
      gtk_text_buffer_insert (buffer, &end, text + strlen (old_text), -1);
    }
  else
    gtk_text_buffer_set_text (buffer, text, -1);
}

static gboolean
copied_timeout_cb (gpointer user_data)
{
  Item *item = user_data;

  item->copied_source = 0;
  gtk_button_set_icon_name (item->copy_button, "edit-copy-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (item->copy_button), _ ("Copy Code"));
  gtk_revealer_set_reveal_child (item->copied_revealer, FALSE);
  return G_SOURCE_REMOVE;
}

static void
copy_clicked_cb (GtkButton *button, Item *item)
{
  GtkTextIter      start, end;
  g_autofree char *text = NULL;

  gtk_text_buffer_get_bounds (GTK_TEXT_BUFFER (item->buffer), &start, &end);
  text = gtk_text_buffer_get_text (GTK_TEXT_BUFFER (item->buffer), &start, &end, FALSE);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)), text);

  gtk_button_set_icon_name (button, "object-select-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (button), _ ("Copied"));
  gtk_revealer_set_reveal_child (item->copied_revealer, TRUE);
  g_clear_handle_id (&item->copied_source, g_source_remove);
  item->copied_source = g_timeout_add_seconds (COPIED_FEEDBACK_SECONDS, copied_timeout_cb, item);
}

static GtkWidget *
new_code_block (Item *item, const ConfabMarkdownBlock *block)
{
  GtkSourceLanguage *language = find_language (block->language);
  GtkWidget         *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget         *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget         *title;
  GtkWidget         *copied;
  GtkWidget         *button;
  GtkWidget         *scroller;
  GtkWidget         *view;

  gtk_widget_add_css_class (box, "markdown-code");
  gtk_widget_set_overflow (box, GTK_OVERFLOW_HIDDEN);

  gtk_widget_add_css_class (header, "markdown-code-header");
  title =
      gtk_label_new (language != NULL ? gtk_source_language_get_name (language) : block->language);
  gtk_label_set_xalign (GTK_LABEL (title), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_widget_set_hexpand (title, TRUE);
  gtk_widget_add_css_class (title, "caption");
  gtk_widget_add_css_class (title, "dim-label");
  gtk_box_append (GTK_BOX (header), title);

  copied = gtk_label_new (_ ("Copied"));
  gtk_widget_add_css_class (copied, "caption");
  item->copied_revealer = GTK_REVEALER (gtk_revealer_new ());
  gtk_revealer_set_transition_type (item->copied_revealer, GTK_REVEALER_TRANSITION_TYPE_CROSSFADE);
  gtk_revealer_set_child (item->copied_revealer, copied);
  gtk_box_append (GTK_BOX (header), GTK_WIDGET (item->copied_revealer));

  button = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  gtk_widget_set_tooltip_text (button, _ ("Copy Code"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Copy Code"), -1);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  item->copy_button = GTK_BUTTON (button);
  g_signal_connect (button, "clicked", G_CALLBACK (copy_clicked_cb), item);
  gtk_box_append (GTK_BOX (header), button);
  gtk_box_append (GTK_BOX (box), header);

  item->buffer = gtk_source_buffer_new (NULL);
  if (language != NULL)
    gtk_source_buffer_set_language (item->buffer, language);
  gtk_source_buffer_set_style_scheme (item->buffer, current_style_scheme ());
  gtk_source_buffer_set_highlight_matching_brackets (item->buffer, FALSE);
  set_code_text (item, NULL, block->text != NULL ? block->text : "");

  view = gtk_source_view_new_with_buffer (item->buffer);
  g_object_unref (item->buffer); /* the view holds it */
  gtk_text_view_set_editable (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_cursor_visible (GTK_TEXT_VIEW (view), FALSE);
  gtk_text_view_set_monospace (GTK_TEXT_VIEW (view), TRUE);
  gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_NONE);
  gtk_text_view_set_top_margin (GTK_TEXT_VIEW (view), 8);
  gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (view), 10);
  gtk_text_view_set_left_margin (GTK_TEXT_VIEW (view), 12);
  gtk_text_view_set_right_margin (GTK_TEXT_VIEW (view), 12);
  gtk_widget_add_css_class (view, "markdown-code-view");

  /* Long lines scroll sideways; the block is always as tall as its code. */
  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_propagate_natural_width (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
  gtk_box_append (GTK_BOX (box), scroller);

  return box;
}

static GtkWidget *
new_table (const ConfabMarkdownBlock *block)
{
  /* A few columns wrap their cells to fit the message; more scroll
   * sideways with cells on one line (a scrolled window measures its child's
   * height at no particular width, which wrapped labels would answer with
   * their tallest height). */
  gboolean   scrolls = block->n_columns > TABLE_MAX_WRAPPED_COLUMNS;
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *scroller;

  gtk_widget_add_css_class (grid, "markdown-table");
  gtk_widget_set_halign (grid, GTK_ALIGN_START);

  for (guint r = 0; r < block->rows->len; r++)
    {
      char   **cells = g_ptr_array_index (block->rows, r);
      guint    n_cells = g_strv_length (cells);
      gboolean header = r < block->n_header_rows;

      for (guint c = 0; c < block->n_columns; c++)
        {
          /* Rows leave out their empty trailing cells; a label still draws
           * the row's lines there. */
          GtkLabel *label = new_text_label (c < n_cells ? cells[c] : "", GTK_ACCESSIBLE_ROLE_LABEL);

          gtk_widget_set_hexpand (GTK_WIDGET (label), FALSE);
          if (scrolls)
            gtk_label_set_wrap (label, FALSE);
          else
            gtk_label_set_max_width_chars (label, 40);
          switch (block->align[c])
            {
            case CONFAB_MARKDOWN_ALIGN_CENTER:
              gtk_label_set_xalign (label, 0.5f);
              gtk_label_set_justify (label, GTK_JUSTIFY_CENTER);
              break;
            case CONFAB_MARKDOWN_ALIGN_RIGHT:
              gtk_label_set_xalign (label, 1.0f);
              gtk_label_set_justify (label, GTK_JUSTIFY_RIGHT);
              break;
            default:
              break;
            }
          gtk_widget_add_css_class (GTK_WIDGET (label),
                                    header ? "markdown-table-header" : "markdown-table-cell");
          gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (label), c, r, 1, 1);
        }
    }

  if (!scrolls)
    return grid;

  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_propagate_natural_width (GTK_SCROLLED_WINDOW (scroller), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), grid);
  return scroller;
}

static const char *
heading_class (guint level)
{
  static const char *const classes[] = { "title-1", "title-2", "title-3", "title-4" };

  return level >= 1 && level <= G_N_ELEMENTS (classes) ? classes[level - 1] : "heading";
}

static Item *
item_new (const ConfabMarkdownBlock *block)
{
  Item      *item = g_new0 (Item, 1);
  GtkWidget *content;
  GtkWidget *quotes[CONFAB_MARKDOWN_MAX_DEPTH + 1] = { NULL };
  guint      quote_depth = MIN (block->quote_depth, CONFAB_MARKDOWN_MAX_DEPTH);
  guint      continues = MIN (block->quote_continues, quote_depth);

  switch (block->kind)
    {
    case CONFAB_MARKDOWN_BLOCK_HEADING:
      item->label = new_text_label (block->markup, GTK_ACCESSIBLE_ROLE_HEADING);
      gtk_accessible_update_property (GTK_ACCESSIBLE (item->label), GTK_ACCESSIBLE_PROPERTY_LEVEL,
                                      (int) block->level, -1);
      gtk_widget_add_css_class (GTK_WIDGET (item->label), heading_class (block->level));
      content = GTK_WIDGET (item->label);
      break;

    case CONFAB_MARKDOWN_BLOCK_LIST_ITEM:
      item->label = new_text_label (block->markup, GTK_ACCESSIBLE_ROLE_LABEL);
      content = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, MARKER_SPACING);
      gtk_widget_add_css_class (content, "markdown-list-item");
      gtk_box_append (GTK_BOX (content), new_list_marker (block));
      gtk_box_append (GTK_BOX (content), GTK_WIDGET (item->label));
      break;

    case CONFAB_MARKDOWN_BLOCK_CODE:
      content = new_code_block (item, block);
      break;

    case CONFAB_MARKDOWN_BLOCK_TABLE:
      content = new_table (block);
      break;

    case CONFAB_MARKDOWN_BLOCK_RULE:
      content = gtk_separator_new (GTK_ORIENTATION_HORIZONTAL);
      gtk_widget_add_css_class (content, "markdown-rule");
      break;

    case CONFAB_MARKDOWN_BLOCK_PARAGRAPH:
    default:
      item->label = new_text_label (block->markup, GTK_ACCESSIBLE_ROLE_LABEL);
      content = GTK_WIDGET (item->label);
      break;
    }

  /* A list item's marker hangs in the indent of its level; the item's other
   * blocks line up with its text. */
  if (block->list_depth > 0)
    {
      guint levels = block->kind == CONFAB_MARKDOWN_BLOCK_LIST_ITEM ? block->list_depth - 1
                                                                    : block->list_depth;

      gtk_widget_set_margin_start (content, levels * LIST_INDENT);
    }

  /* One box per quote level draws that level's bar. The space above the
   * block goes inside the quotes that also held the previous block, so
   * their bars run on unbroken. */
  item->root = content;
  item->gap_widget = content;
  for (guint level = quote_depth; level >= 1; level--)
    {
      quotes[level] = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
      gtk_widget_add_css_class (quotes[level], "markdown-quote");
      gtk_box_append (GTK_BOX (quotes[level]), item->root);
      item->root = quotes[level];
    }
  if (continues < quote_depth)
    item->gap_widget = quotes[continues + 1];

  return item;
}

/* Updates @item, which shows @old, to show @block; FALSE when it cannot. */
static gboolean
item_update (Item *item, const ConfabMarkdownBlock *old, const ConfabMarkdownBlock *block)
{
  if (!confab_markdown_block_same_shape (old, block))
    return FALSE;

  switch (block->kind)
    {
    case CONFAB_MARKDOWN_BLOCK_PARAGRAPH:
    case CONFAB_MARKDOWN_BLOCK_HEADING:
    case CONFAB_MARKDOWN_BLOCK_LIST_ITEM:
      gtk_label_set_markup (item->label, block->markup != NULL ? block->markup : "");
      return TRUE;

    case CONFAB_MARKDOWN_BLOCK_CODE:
      set_code_text (item, old->text, block->text != NULL ? block->text : "");
      return TRUE;

    case CONFAB_MARKDOWN_BLOCK_RULE:
      return TRUE;

    case CONFAB_MARKDOWN_BLOCK_TABLE:
    default:
      return FALSE;
    }
}

/* Space above a block, by what it follows. */
static int
block_gap (const ConfabMarkdownBlock *previous, const ConfabMarkdownBlock *block)
{
  if (previous == NULL)
    return 0;
  if (block->kind == CONFAB_MARKDOWN_BLOCK_HEADING)
    return block->level <= 2 ? 18 : 14;
  if (previous->kind == CONFAB_MARKDOWN_BLOCK_HEADING)
    return 6;
  if (block->list_depth > 0 && previous->list_depth > 0 &&
      block->kind != CONFAB_MARKDOWN_BLOCK_CODE && block->kind != CONFAB_MARKDOWN_BLOCK_TABLE &&
      previous->kind != CONFAB_MARKDOWN_BLOCK_CODE && previous->kind != CONFAB_MARKDOWN_BLOCK_TABLE)
    return 4;
  return 10;
}

static void
sync_blocks (ConfabMarkdownView *self, GPtrArray *blocks)
{
  guint n_old = self->blocks->len;
  guint n_new = blocks->len;
  guint n_common = MIN (n_old, n_new);

  /* Compare block by block: a growing reply only changes its last blocks,
   * so the earlier ones keep their widgets untouched. */
  for (guint i = 0; i < n_common; i++)
    {
      const ConfabMarkdownBlock *old = g_ptr_array_index (self->blocks, i);
      const ConfabMarkdownBlock *block = g_ptr_array_index (blocks, i);
      Item                      *item = g_ptr_array_index (self->items, i);

      if (!confab_markdown_block_equal (old, block) && !item_update (item, old, block))
        {
          Item *replacement = item_new (block);

          gtk_widget_insert_after (replacement->root, GTK_WIDGET (self), item->root);
          g_ptr_array_index (self->items, i) = replacement;
          item_free (item);
        }
    }

  if (n_old > n_new)
    g_ptr_array_remove_range (self->items, n_new, n_old - n_new);

  for (guint i = n_old; i < n_new; i++)
    {
      Item *item = item_new (g_ptr_array_index (blocks, i));

      gtk_widget_insert_before (item->root, GTK_WIDGET (self), NULL);
      g_ptr_array_add (self->items, item);
    }

  for (guint i = 0; i < n_new; i++)
    {
      Item *item = g_ptr_array_index (self->items, i);

      gtk_widget_set_margin_top (item->gap_widget,
                                 block_gap (i > 0 ? g_ptr_array_index (blocks, i - 1) : NULL,
                                            g_ptr_array_index (blocks, i)));
    }

  g_ptr_array_unref (self->blocks);
  self->blocks = g_ptr_array_ref (blocks);
}

const char *
confab_markdown_view_get_text (ConfabMarkdownView *self)
{
  g_return_val_if_fail (CONFAB_IS_MARKDOWN_VIEW (self), NULL);

  return self->text;
}

void
confab_markdown_view_set_text (ConfabMarkdownView *self, const char *text)
{
  g_autoptr (GPtrArray) blocks = NULL;

  g_return_if_fail (CONFAB_IS_MARKDOWN_VIEW (self));

  if (self->items == NULL) /* disposed */
    return;
  if (text == NULL)
    text = "";
  if (g_strcmp0 (self->text, text) == 0)
    return;

  g_free (self->text);
  self->text = g_strdup (text);
  blocks = confab_markdown_parse (text, -1);
  sync_blocks (self, blocks);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TEXT]);
}

GtkWidget *
confab_markdown_view_new (void)
{
  return g_object_new (CONFAB_TYPE_MARKDOWN_VIEW, NULL);
}

static void
confab_markdown_view_dispose (GObject *object)
{
  ConfabMarkdownView *self = CONFAB_MARKDOWN_VIEW (object);

  /* Freeing the items unparents their widgets. */
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->blocks, g_ptr_array_unref);

  G_OBJECT_CLASS (confab_markdown_view_parent_class)->dispose (object);
}

static void
confab_markdown_view_finalize (GObject *object)
{
  ConfabMarkdownView *self = CONFAB_MARKDOWN_VIEW (object);

  g_clear_pointer (&self->text, g_free);

  G_OBJECT_CLASS (confab_markdown_view_parent_class)->finalize (object);
}

static void
confab_markdown_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  ConfabMarkdownView *self = CONFAB_MARKDOWN_VIEW (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      g_value_set_string (value, self->text);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_markdown_view_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  ConfabMarkdownView *self = CONFAB_MARKDOWN_VIEW (object);

  switch (prop_id)
    {
    case PROP_TEXT:
      confab_markdown_view_set_text (self, g_value_get_string (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_markdown_view_class_init (ConfabMarkdownViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_markdown_view_dispose;
  object_class->finalize = confab_markdown_view_finalize;
  object_class->get_property = confab_markdown_view_get_property;
  object_class->set_property = confab_markdown_view_set_property;

  properties[PROP_TEXT] =
      g_param_spec_string ("text", NULL, NULL, "",
                           (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "markdownview");

  /* Registers GtkSourceView's types and finds its languages and schemes. */
  gtk_source_init ();
}

static void
confab_markdown_view_init (ConfabMarkdownView *self)
{
  GtkLayoutManager *layout = gtk_widget_get_layout_manager (GTK_WIDGET (self));

  gtk_orientable_set_orientation (GTK_ORIENTABLE (layout), GTK_ORIENTATION_VERTICAL);

  self->text = g_strdup ("");
  self->blocks = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_markdown_block_free);
  self->items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);

  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (dark_changed_cb), self, G_CONNECT_SWAPPED);
}
