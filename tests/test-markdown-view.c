/* test-markdown-view.c: a message's Markdown as widgets, code with a copy button.
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <gtksourceview/gtksource.h>

#include "confab-markdown-view.h"
#include "confab-test-util.h"

static void
collect (GtkWidget *widget, GType type, GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect (child, type, found);
}

/* The widgets of @type under @root, depth first. */
static GPtrArray *
find_all (GtkWidget *root, GType type)
{
  GPtrArray *found = g_ptr_array_new ();

  collect (root, type, found);
  return found;
}

static gpointer
find_one (GtkWidget *root, GType type)
{
  g_autoptr (GPtrArray) found = find_all (root, type);

  g_assert_cmpuint (found->len, ==, 1);
  return g_ptr_array_index (found, 0);
}

static GtkWidget *
nth_child (GtkWidget *widget, guint n)
{
  GtkWidget *child = gtk_widget_get_first_child (widget);

  for (guint i = 0; i < n && child != NULL; i++)
    child = gtk_widget_get_next_sibling (child);
  g_assert_nonnull (child);
  return child;
}

static guint
count_children (GtkWidget *widget)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n++;
  return n;
}

static ConfabMarkdownView *
new_view_in_window (GtkWindow **window)
{
  GtkWidget *view = confab_markdown_view_new ();

  *window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (*window, 500, 400);
  gtk_window_set_child (*window, view);
  gtk_window_present (*window);
  return CONFAB_MARKDOWN_VIEW (view);
}

static void
test_view_blocks (void)
{
  GtkWindow          *window;
  ConfabMarkdownView *view = new_view_in_window (&window);
  g_autoptr (GPtrArray) grids = NULL;
  g_autoptr (GPtrArray) labels = NULL;
  GtkWidget *child;
  GtkWidget *grid;

  confab_markdown_view_set_text (view, "# Title\n\n"
                                       "Some **bold** text.\n\n"
                                       "- one\n- [x] two\n\n"
                                       "3. three\n\n"
                                       "> quoted\n\n"
                                       "| A | B |\n|---|--:|\n| 1 | 2 |\n\n"
                                       "---\n");
  g_assert_cmpuint (count_children (GTK_WIDGET (view)), ==, 8);

  child = nth_child (GTK_WIDGET (view), 0);
  g_assert_true (GTK_IS_LABEL (child));
  g_assert_true (gtk_widget_has_css_class (child, "title-1"));
  g_assert_cmpint (gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (child)), ==,
                   GTK_ACCESSIBLE_ROLE_HEADING);
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (child)), ==, "Title");

  child = nth_child (GTK_WIDGET (view), 1);
  g_assert_true (GTK_IS_LABEL (child));
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (child)), ==, "Some <b>bold</b> text.");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (child)), ==, "Some bold text.");
  g_assert_true (gtk_label_get_selectable (GTK_LABEL (child)));
  g_assert_true (gtk_label_get_wrap (GTK_LABEL (child)));
  g_assert_cmpint (gtk_label_get_wrap_mode (GTK_LABEL (child)), ==, PANGO_WRAP_WORD_CHAR);

  /* A bullet, a task's checkbox, a number. */
  child = nth_child (GTK_WIDGET (view), 2);
  g_assert_true (gtk_widget_has_css_class (child, "markdown-list-item"));
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (gtk_widget_get_first_child (child))), ==, "•");
  child = nth_child (GTK_WIDGET (view), 3);
  g_assert_true (GTK_IS_CHECK_BUTTON (gtk_widget_get_first_child (child)));
  g_assert_true (
      gtk_check_button_get_active (GTK_CHECK_BUTTON (gtk_widget_get_first_child (child))));
  child = nth_child (GTK_WIDGET (view), 4);
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (gtk_widget_get_first_child (child))), ==, "3.");

  child = nth_child (GTK_WIDGET (view), 5);
  g_assert_true (gtk_widget_has_css_class (child, "markdown-quote"));
  g_assert_cmpstr (gtk_label_get_label (find_one (child, GTK_TYPE_LABEL)), ==, "quoted");

  child = nth_child (GTK_WIDGET (view), 6);
  grids = find_all (child, GTK_TYPE_GRID);
  g_assert_cmpuint (grids->len, ==, 1);
  grid = g_ptr_array_index (grids, 0);
  g_assert_true (gtk_widget_has_css_class (grid, "markdown-table"));
  labels = find_all (grid, GTK_TYPE_LABEL);
  g_assert_cmpuint (labels->len, ==, 4);
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 1, 1))),
                   ==, "2");
  g_assert_cmpfloat (
      gtk_label_get_xalign (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 1, 1))), ==, 1.0);
  g_assert_true (gtk_widget_has_css_class (gtk_grid_get_child_at (GTK_GRID (grid), 0, 0),
                                           "markdown-table-header"));

  g_assert_true (GTK_IS_SEPARATOR (nth_child (GTK_WIDGET (view), 7)));

  /* A few columns wrap their cells; a wide table scrolls sideways instead. */
  g_assert_true (gtk_label_get_wrap (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 0, 1))));
  confab_markdown_view_set_text (view, "|1|2|3|4|5|6|7|8|\n"
                                       "|---|---|---|---|---|---|---|---|\n"
                                       "|a|b|c|d|e|f|g|h|\n");
  child = nth_child (GTK_WIDGET (view), 0);
  g_assert_true (GTK_IS_SCROLLED_WINDOW (child));
  grid = find_one (child, GTK_TYPE_GRID);
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 7, 1))),
                   ==, "h");
  g_assert_false (gtk_label_get_wrap (GTK_LABEL (gtk_grid_get_child_at (GTK_GRID (grid), 7, 1))));

  /* Empty text, no children. */
  confab_markdown_view_set_text (view, "");
  g_assert_null (gtk_widget_get_first_child (GTK_WIDGET (view)));

  gtk_window_destroy (window);
  confab_test_drain_main_loop ();
}

static void
test_view_code_block (void)
{
  GtkWindow          *window;
  ConfabMarkdownView *view = new_view_in_window (&window);
  GtkSourceView      *source_view;
  GtkSourceBuffer    *buffer;
  GtkSourceLanguage  *language;
  GtkTextIter         start, end;
  g_autofree char    *text = NULL;
  g_autoptr (GPtrArray) labels = NULL;
  gboolean titled = FALSE;

  confab_markdown_view_set_text (view, "Run this:\n\n```python\nprint('<hi> & bye')\n```\n");
  g_assert_cmpuint (count_children (GTK_WIDGET (view)), ==, 2);

  source_view = find_one (GTK_WIDGET (view), GTK_SOURCE_TYPE_VIEW);
  g_assert_false (gtk_text_view_get_editable (GTK_TEXT_VIEW (source_view)));
  g_assert_true (gtk_text_view_get_monospace (GTK_TEXT_VIEW (source_view)));
  buffer = GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (source_view)));
  language = gtk_source_buffer_get_language (buffer);
  g_assert_nonnull (language);
  g_assert_cmpstr (gtk_source_language_get_id (language), ==, "python3");
  gtk_text_buffer_get_bounds (GTK_TEXT_BUFFER (buffer), &start, &end);
  text = gtk_text_buffer_get_text (GTK_TEXT_BUFFER (buffer), &start, &end, FALSE);
  g_assert_cmpstr (text, ==, "print('<hi> & bye')");

  /* The header names the language. */
  labels = find_all (nth_child (GTK_WIDGET (view), 1), GTK_TYPE_LABEL);
  for (guint i = 0; i < labels->len; i++)
    titled |= g_strcmp0 (gtk_label_get_text (g_ptr_array_index (labels, i)),
                         gtk_source_language_get_name (language)) == 0;
  g_assert_true (titled);

  /* Aliases and file extensions find a language too; an unknown one is plain text. */
  {
    static const struct
    {
      const char *fence;
      const char *id;
    } cases[] = {
      { "```rs", "rust" },  { "```bash", "sh" },           { "```JSON", "json" }, { "```c", "c" },
      { "```yml", "yaml" }, { "```nosuchlanguage", NULL }, { "```", NULL },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autofree char *markdown = g_strdup_printf ("%s\nx\n```", cases[i].fence);

        confab_markdown_view_set_text (view, markdown);
        source_view = find_one (GTK_WIDGET (view), GTK_SOURCE_TYPE_VIEW);
        buffer = GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (source_view)));
        language = gtk_source_buffer_get_language (buffer);
        if (cases[i].id == NULL)
          g_assert_null (language);
        else
          g_assert_cmpstr (gtk_source_language_get_id (language), ==, cases[i].id);
      }
  }

  gtk_window_destroy (window);
  confab_test_drain_main_loop ();
}

static void
read_text_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  char **text = user_data;
  g_autoptr (GError) error = NULL;

  *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);
  g_assert_no_error (error);
}

static void
test_view_copy_button (void)
{
  static const char *const code = "for i in 1 2 3; do\n  echo \"$i\" <&2\ndone";
  GtkWindow               *window;
  ConfabMarkdownView      *view = new_view_in_window (&window);
  g_autofree char         *markdown = g_strdup_printf ("```sh\n%s\n```", code);
  g_autoptr (GPtrArray) buttons = NULL;
  g_autofree char *copied = NULL;
  GdkClipboard    *clipboard;
  GtkWidget       *button = NULL;
  gint64           deadline;

  confab_markdown_view_set_text (view, markdown);
  buttons = find_all (GTK_WIDGET (view), GTK_TYPE_BUTTON);
  for (guint i = 0; i < buttons->len; i++)
    if (g_strcmp0 (gtk_widget_get_tooltip_text (g_ptr_array_index (buttons, i)), "Copy Code") == 0)
      button = g_ptr_array_index (buttons, i);
  g_assert_nonnull (button);
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (button)), ==, "edit-copy-symbolic");

  clipboard = gtk_widget_get_clipboard (GTK_WIDGET (view));
  gdk_clipboard_set_text (clipboard, "something else");
  g_signal_emit_by_name (button, "clicked");

  gdk_clipboard_read_text_async (clipboard, NULL, read_text_cb, &copied);
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (copied == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_cmpstr (copied, ==, code);

  /* Brief feedback on the button. */
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, "Copied");
  g_assert_cmpstr (gtk_button_get_icon_name (GTK_BUTTON (button)), ==, "object-select-symbolic");

  /* Removing the block with its feedback still pending is safe. */
  confab_markdown_view_set_text (view, "gone");
  gtk_window_destroy (window);
  confab_test_drain_main_loop ();
}

static char *
buffer_text (GtkSourceView *source_view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (source_view));
  GtkTextIter    start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* A streamed reply grows: earlier blocks keep their widgets (and selection),
 * the growing one is updated in place. */
static void
test_view_streaming (void)
{
  GtkWindow          *window;
  ConfabMarkdownView *view = new_view_in_window (&window);
  GtkWidget          *first;
  GtkWidget          *second;
  GtkWidget          *code;
  GtkSourceView      *source_view;
  g_autofree char    *text = NULL;
  g_autofree char    *text2 = NULL;
  int                 start, end;

  confab_markdown_view_set_text (view, "Hello there");
  first = nth_child (GTK_WIDGET (view), 0);
  gtk_label_select_region (GTK_LABEL (first), 0, 5);

  confab_markdown_view_set_text (view, "Hello there\n\nWor");
  g_assert_true (nth_child (GTK_WIDGET (view), 0) == first);
  g_assert_true (gtk_label_get_selection_bounds (GTK_LABEL (first), &start, &end));
  g_assert_cmpint (start, ==, 0);
  g_assert_cmpint (end, ==, 5);
  second = nth_child (GTK_WIDGET (view), 1);
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (second)), ==, "Wor");

  /* The growing paragraph keeps its label. */
  confab_markdown_view_set_text (view, "Hello there\n\nWorld, **bold**");
  g_assert_true (nth_child (GTK_WIDGET (view), 0) == first);
  g_assert_true (nth_child (GTK_WIDGET (view), 1) == second);
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (second)), ==, "World, <b>bold</b>");

  /* A code block, unclosed while it streams, grows in place. */
  confab_markdown_view_set_text (view, "Hello there\n\nWorld, **bold**\n\n```c\nint a;");
  g_assert_cmpuint (count_children (GTK_WIDGET (view)), ==, 3);
  code = nth_child (GTK_WIDGET (view), 2);
  source_view = find_one (code, GTK_SOURCE_TYPE_VIEW);
  text = buffer_text (source_view);
  g_assert_cmpstr (text, ==, "int a;");
  confab_markdown_view_set_text (view,
                                 "Hello there\n\nWorld, **bold**\n\n```c\nint a;\nint b;\n```\n");
  g_assert_true (nth_child (GTK_WIDGET (view), 0) == first);
  g_assert_true (nth_child (GTK_WIDGET (view), 2) == code);
  text2 = buffer_text (source_view);
  g_assert_cmpstr (text2, ==, "int a;\nint b;");

  /* A block that changes kind is replaced; those before it stay. */
  confab_markdown_view_set_text (view, "Hello there\n\nWorld, **bold**\n---");
  g_assert_cmpuint (count_children (GTK_WIDGET (view)), ==, 2);
  g_assert_true (nth_child (GTK_WIDGET (view), 0) == first);
  g_assert_true (nth_child (GTK_WIDGET (view), 1) != second);
  g_assert_true (gtk_widget_has_css_class (nth_child (GTK_WIDGET (view), 1), "title-2"));
  g_assert_true (gtk_label_get_selection_bounds (GTK_LABEL (first), &start, &end));

  gtk_window_destroy (window);
  confab_test_drain_main_loop ();
}

static void
test_view_links (void)
{
  GtkWindow          *window;
  ConfabMarkdownView *view = new_view_in_window (&window);
  GtkLabel           *label;

  confab_markdown_view_set_text (view, "See [the site](https://example.com/a?b=1&c=2), "
                                       "[bad](javascript:alert(1)) and <script>x</script>");
  label = GTK_LABEL (nth_child (GTK_WIDGET (view), 0));
  g_assert_nonnull (strstr (gtk_label_get_label (label),
                            "<a href=\"https://example.com/a?b=1&amp;c=2\">the site</a>"));
  g_assert_null (strstr (gtk_label_get_label (label), "javascript"));
  g_assert_cmpstr (gtk_label_get_text (label), ==, "See the site, bad and <script>x</script>");
  g_assert_cmpstr (gtk_label_get_current_uri (label), ==, NULL);

  gtk_window_destroy (window);
  confab_test_drain_main_loop ();
}

static const char *
scheme_id (GtkSourceView *source_view)
{
  GtkTextBuffer        *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (source_view));
  GtkSourceStyleScheme *scheme = gtk_source_buffer_get_style_scheme (GTK_SOURCE_BUFFER (buffer));

  return scheme != NULL ? gtk_source_style_scheme_get_id (scheme) : NULL;
}

static void
test_view_dark_mode (void)
{
  AdwStyleManager    *manager = adw_style_manager_get_default ();
  GtkWindow          *window;
  ConfabMarkdownView *view;
  GtkSourceView      *source_view;

  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  view = new_view_in_window (&window);
  confab_markdown_view_set_text (view, "```c\nint x;\n```");
  source_view = find_one (GTK_WIDGET (view), GTK_SOURCE_TYPE_VIEW);
  g_assert_cmpstr (scheme_id (source_view), ==, "Adwaita");

  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_DARK);
  g_assert_true (adw_style_manager_get_dark (manager));
  g_assert_cmpstr (scheme_id (source_view), ==, "Adwaita-dark");

  /* Blocks made while dark start dark. */
  confab_markdown_view_set_text (view, "```c\nint x;\n```\n\n```js\nlet y;\n```");
  {
    g_autoptr (GPtrArray) views = find_all (GTK_WIDGET (view), GTK_SOURCE_TYPE_VIEW);

    g_assert_cmpuint (views->len, ==, 2);
    g_assert_cmpstr (scheme_id (g_ptr_array_index (views, 1)), ==, "Adwaita-dark");
  }

  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_FORCE_LIGHT);
  g_assert_cmpstr (scheme_id (source_view), ==, "Adwaita");

  adw_style_manager_set_color_scheme (manager, ADW_COLOR_SCHEME_DEFAULT);
  gtk_window_destroy (window);
  confab_test_drain_main_loop ();
}

static void
notify_count_cb (GObject *object, GParamSpec *pspec, guint *count)
{
  (*count)++;
}

static void
test_view_text_property (void)
{
  GtkWidget       *view = g_object_ref_sink (confab_markdown_view_new ());
  g_autofree char *text = NULL;
  guint            notified = 0;

  g_assert_cmpstr (confab_markdown_view_get_text (CONFAB_MARKDOWN_VIEW (view)), ==, "");
  g_signal_connect (view, "notify::text", G_CALLBACK (notify_count_cb), &notified);

  g_object_set (view, "text", "*hi*", NULL);
  g_object_get (view, "text", &text, NULL);
  g_assert_cmpstr (text, ==, "*hi*");
  g_assert_cmpuint (notified, ==, 1);
  g_assert_true (GTK_IS_LABEL (gtk_widget_get_first_child (view)));

  /* The same text again changes nothing. */
  confab_markdown_view_set_text (CONFAB_MARKDOWN_VIEW (view), "*hi*");
  g_assert_cmpuint (notified, ==, 1);

  confab_markdown_view_set_text (CONFAB_MARKDOWN_VIEW (view), NULL);
  g_assert_cmpstr (confab_markdown_view_get_text (CONFAB_MARKDOWN_VIEW (view)), ==, "");
  g_assert_cmpuint (notified, ==, 2);

  /* Any bytes the parser accepts, the view shows. */
  confab_markdown_view_set_text (CONFAB_MARKDOWN_VIEW (view), "bad \xff bytes");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (gtk_widget_get_first_child (view))), ==,
                   "bad \357\277\275 bytes");

  g_object_unref (view);
}

int
main (int argc, char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/confab/markdown-view/blocks", test_view_blocks);
  g_test_add_func ("/confab/markdown-view/code-block", test_view_code_block);
  g_test_add_func ("/confab/markdown-view/copy-button", test_view_copy_button);
  g_test_add_func ("/confab/markdown-view/streaming", test_view_streaming);
  g_test_add_func ("/confab/markdown-view/links", test_view_links);
  g_test_add_func ("/confab/markdown-view/dark-mode", test_view_dark_mode);
  g_test_add_func ("/confab/markdown-view/text-property", test_view_text_property);

  return g_test_run ();
}
