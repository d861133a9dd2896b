/* confab-prompt-compare-view.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-prompt-common.h"
#include "confab-prompt-compare-view.h"
#include "confab-prompt-diff.h"

/* Equal lines kept around each change when only the changes show. */
#define CONTEXT_LINES 2

struct _ConfabPromptCompareView
{
  AdwBin parent_instance;

  GtkStack            *stack;
  GtkDropDown         *old_dropdown;
  GtkDropDown         *new_dropdown;
  GtkLabel            *added_label;
  GtkLabel            *removed_label;
  GtkToggleButton     *changes_only_button;
  AdwPreferencesGroup *settings_group;
  GtkWidget           *settings_list;
  GtkTextView         *diff_view;
  GtkLabel            *same_label;

  ConfabDatabase *db;
  ConfabPrompt   *prompt;
  GListModel     *versions;
  GtkStringList  *names;   /* what the dropdowns show */
  GArray         *numbers; /* int: the version number of each entry */
  gulong          versions_changed_id;
  guint           updating : 1;
};

G_DEFINE_FINAL_TYPE (ConfabPromptCompareView, confab_prompt_compare_view, ADW_TYPE_BIN)

static int
number_at (ConfabPromptCompareView *self, guint position)
{
  if (position == GTK_INVALID_LIST_POSITION || position >= self->numbers->len)
    return 0;
  return g_array_index (self->numbers, int, position);
}

static guint
position_of (ConfabPromptCompareView *self, int number)
{
  for (guint i = 0; i < self->numbers->len; i++)
    if (g_array_index (self->numbers, int, i) == number)
      return i;
  return GTK_INVALID_LIST_POSITION;
}

/* Colours */

static void
set_tag_color (
    GtkTextBuffer *buffer, const char *tag_name, const char *property, GdkRGBA *color, double alpha)
{
  GtkTextTag *tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer), tag_name);
  GdkRGBA     tinted = *color;

  tinted.alpha = alpha;
  g_object_set (tag, property, &tinted, NULL);
}

/* The tints come from the style's own success and error colours, so they
 * suit light and dark alike. */
static void
update_colors (ConfabPromptCompareView *self)
{
  GtkTextBuffer   *buffer = gtk_text_view_get_buffer (self->diff_view);
  GtkStyleContext *context = gtk_widget_get_style_context (GTK_WIDGET (self->diff_view));
  gboolean         dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GdkRGBA          added, removed;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!gtk_style_context_lookup_color (context, "success_color", &added))
    gdk_rgba_parse (&added, dark ? "#8ff0a4" : "#1b8553");
  if (!gtk_style_context_lookup_color (context, "error_color", &removed))
    gdk_rgba_parse (&removed, dark ? "#ff7b63" : "#c01c28");
  G_GNUC_END_IGNORE_DEPRECATIONS

  set_tag_color (buffer, "line-added", "paragraph-background-rgba", &added, dark ? 0.10 : 0.09);
  set_tag_color (buffer, "line-removed", "paragraph-background-rgba", &removed, dark ? 0.10 : 0.08);
  set_tag_color (buffer, "word-added", "background-rgba", &added, dark ? 0.32 : 0.26);
  set_tag_color (buffer, "word-removed", "background-rgba", &removed, dark ? 0.32 : 0.22);
  set_tag_color (buffer, "sign-added", "foreground-rgba", &added, 1.0);
  set_tag_color (buffer, "sign-removed", "foreground-rgba", &removed, 1.0);
}

/* Rendering */

static void
insert_with_tags (GtkTextBuffer *buffer, const char *text, const char *first_tag, ...)
{
  GtkTextIter end;
  int         start_offset;
  va_list     args;

  gtk_text_buffer_get_end_iter (buffer, &end);
  start_offset = gtk_text_iter_get_offset (&end);
  gtk_text_buffer_insert (buffer, &end, text, -1);
  va_start (args, first_tag);
  for (const char *tag = first_tag; tag != NULL; tag = va_arg (args, const char *))
    {
      GtkTextIter from, to;

      gtk_text_buffer_get_iter_at_offset (buffer, &from, start_offset);
      gtk_text_buffer_get_end_iter (buffer, &to);
      gtk_text_buffer_apply_tag_by_name (buffer, tag, &from, &to);
    }
  va_end (args);
}

static void
render_line (ConfabPromptCompareView *self,
             GtkTextBuffer           *buffer,
             const ConfabDiffLine    *line,
             gboolean                 newline_differs)
{
  const char      *line_tag = NULL, *sign_tag = NULL, *word_tag = NULL;
  char             old_number[16] = "", new_number[16] = "";
  g_autofree char *gutter = NULL;
  GtkTextIter      end;
  int              line_start, text_start;
  char             sign = ' ';

  if (line->kind == CONFAB_DIFF_ADDED)
    line_tag = "line-added", sign_tag = "sign-added", word_tag = "word-added", sign = '+';
  else if (line->kind == CONFAB_DIFF_REMOVED)
    line_tag = "line-removed", sign_tag = "sign-removed", word_tag = "word-removed", sign = '-';

  if (line->old_line > 0)
    g_snprintf (old_number, sizeof old_number, "%u", line->old_line);
  if (line->new_line > 0)
    g_snprintf (new_number, sizeof new_number, "%u", line->new_line);
  gtk_text_buffer_get_end_iter (buffer, &end);
  line_start = gtk_text_iter_get_offset (&end);

  gutter = g_strdup_printf ("%3s %3s ", old_number, new_number);
  insert_with_tags (buffer, gutter, "gutter", NULL);
  {
    char sign_text[3] = { sign, ' ', '\0' };

    insert_with_tags (buffer, sign_text, sign_tag ? sign_tag : "gutter", NULL);
  }
  gtk_text_buffer_get_end_iter (buffer, &end);
  text_start = gtk_text_iter_get_offset (&end);
  insert_with_tags (buffer, line->text, NULL);

  /* Spans are bytes of the line's text. */
  for (guint i = 0; word_tag != NULL && i < line->n_spans; i++)
    {
      const ConfabDiffSpan *span = &line->spans[i];
      GtkTextIter           from, to;
      glong from_chars = g_utf8_pointer_to_offset (line->text, line->text + span->start);
      glong to_chars =
          g_utf8_pointer_to_offset (line->text, line->text + span->start + span->length);

      gtk_text_buffer_get_iter_at_offset (buffer, &from, text_start + (int) from_chars);
      gtk_text_buffer_get_iter_at_offset (buffer, &to, text_start + (int) to_chars);
      gtk_text_buffer_apply_tag_by_name (buffer, word_tag, &from, &to);
    }
  /* Said only when it is a difference: one text ends with a line break,
   * the other does not. */
  if (newline_differs && line->no_newline && line->kind != CONFAB_DIFF_EQUAL)
    insert_with_tags (buffer, _ ("  (no line break at the end)"), "note", NULL);
  insert_with_tags (buffer, "\n", NULL);

  {
    GtkTextIter from, to;

    gtk_text_buffer_get_iter_at_offset (buffer, &from, line_start);
    gtk_text_buffer_get_end_iter (buffer, &to);
    gtk_text_buffer_apply_tag_by_name (buffer, "hang", &from, &to);
    if (line_tag != NULL)
      gtk_text_buffer_apply_tag_by_name (buffer, line_tag, &from, &to);
  }
}

/* Wrapped lines start under the text, not under the line numbers. */
static void
update_hanging_indent (ConfabPromptCompareView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->diff_view);
  GtkTextTag    *hang = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer), "hang");
  g_autoptr (PangoLayout) layout = NULL;
  PangoFontDescription *font = pango_font_description_from_string ("Monospace");
  int                   width = 0;

  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self->diff_view), "000 000 + ");
  pango_layout_set_font_description (layout, font);
  pango_layout_get_pixel_size (layout, &width, NULL);
  pango_font_description_free (font);
  /* Pango's negative indent: every line but the first moves right. */
  g_object_set (hang, "left-margin", 12, "indent", -width, NULL);
}

static void
add_setting_row (ConfabPromptCompareView *self, const ConfabDiffSetting *setting)
{
  GtkWidget       *row = adw_action_row_new ();
  GtkWidget       *change;
  g_autofree char *text = NULL;
  g_autofree char *markup = NULL;
  const char      *none = _ ("none");
  const char      *old_value = *setting->old_value ? setting->old_value : none;
  const char      *new_value = *setting->new_value ? setting->new_value : none;

  /* Translators: a changed model setting: "0.4 → 0.3" */
  text = g_strdup_printf (_ ("%s → %s"), old_value, new_value);
  markup = g_markup_printf_escaped ("<s>%s</s>  →  <b>%s</b>", old_value, new_value);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), setting->label);
  change = gtk_label_new (NULL);
  gtk_label_set_markup (GTK_LABEL (change), markup);
  gtk_label_set_selectable (GTK_LABEL (change), TRUE);
  gtk_label_set_ellipsize (GTK_LABEL (change), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_add_css_class (change, "numeric");
  gtk_accessible_update_property (GTK_ACCESSIBLE (change), GTK_ACCESSIBLE_PROPERTY_LABEL, text, -1);
  g_object_set_data_full (G_OBJECT (row), "confab-change", g_strdup (text), g_free);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), change);
  gtk_list_box_append (GTK_LIST_BOX (self->settings_list), row);
}

static void
render (ConfabPromptCompareView *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->diff_view);
  int            old_number = number_at (self, gtk_drop_down_get_selected (self->old_dropdown));
  int            new_number = number_at (self, gtk_drop_down_get_selected (self->new_dropdown));
  g_autoptr (ConfabPromptVersion) old_version = NULL;
  g_autoptr (ConfabPromptVersion) new_version = NULL;
  g_autoptr (ConfabPromptDiff) diff = NULL;
  g_autoptr (GArray) hunks = NULL;
  g_autofree char *added = NULL;
  g_autofree char *removed = NULL;
  const char      *prompt_id;
  guint            n_lines, n_settings;
  gboolean         newline_differs;

  gtk_text_buffer_set_text (buffer, "", 0);
  confab_prompt_remove_children (self->settings_list);
  gtk_widget_set_visible (GTK_WIDGET (self->settings_group), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->same_label), FALSE);
  gtk_label_set_label (self->added_label, "");
  gtk_label_set_label (self->removed_label, "");
  if (self->db == NULL || self->prompt == NULL || old_number == 0 || new_number == 0)
    return;

  prompt_id = confab_entity_get_id (CONFAB_ENTITY (self->prompt));
  old_version = confab_prompt_get_version (self->db, prompt_id, old_number, NULL);
  new_version = confab_prompt_get_version (self->db, prompt_id, new_number, NULL);
  if (old_version == NULL || new_version == NULL)
    return;

  diff = confab_prompt_diff_new_for_versions (self->db, old_version, new_version);
  newline_differs = g_str_has_suffix (confab_prompt_version_get_body (old_version), "\n") !=
                    g_str_has_suffix (confab_prompt_version_get_body (new_version), "\n");
  n_settings = confab_prompt_diff_get_n_settings (diff);
  for (guint i = 0; i < n_settings; i++)
    add_setting_row (self, confab_prompt_diff_get_setting (diff, i));
  gtk_widget_set_visible (GTK_WIDGET (self->settings_group), n_settings > 0);

  added = g_strdup_printf ("+%u", confab_prompt_diff_get_n_added (diff));
  removed = g_strdup_printf ("−%u", confab_prompt_diff_get_n_removed (diff));
  gtk_label_set_label (self->added_label, added);
  gtk_label_set_label (self->removed_label, removed);
  {
    g_autofree char *tooltip =
        g_strdup_printf (_ ("%u lines added, %u removed"), confab_prompt_diff_get_n_added (diff),
                         confab_prompt_diff_get_n_removed (diff));

    gtk_widget_set_tooltip_text (GTK_WIDGET (self->added_label), tooltip);
    gtk_widget_set_tooltip_text (GTK_WIDGET (self->removed_label), tooltip);
  }

  update_hanging_indent (self);
  n_lines = confab_prompt_diff_get_n_lines (diff);
  hunks = confab_prompt_diff_get_hunks (
      diff, gtk_toggle_button_get_active (self->changes_only_button) ? CONTEXT_LINES : G_MAXUINT);
  if (hunks->len == 0)
    {
      /* The same text: show it whole, nothing tinted. */
      for (guint i = 0; i < n_lines; i++)
        render_line (self, buffer, confab_prompt_diff_get_line (diff, i), newline_differs);
      gtk_widget_set_visible (GTK_WIDGET (self->same_label), TRUE);
    }
  for (guint h = 0; h < hunks->len; h++)
    {
      ConfabDiffHunk *hunk = &g_array_index (hunks, ConfabDiffHunk, h);

      guint skipped = hunk->first_line;

      if (h > 0)
        {
          ConfabDiffHunk *previous = &g_array_index (hunks, ConfabDiffHunk, h - 1);

          skipped = hunk->first_line - (previous->first_line + previous->n_lines);
        }
      if (skipped > 0)
        {
          /* Translators: where a diff leaves out lines that did not change */
          g_autofree char *separator = g_strdup_printf (
              ngettext ("⋯ %u unchanged line ⋯", "⋯ %u unchanged lines ⋯", skipped), skipped);

          insert_with_tags (buffer, separator, "separator", NULL);
          insert_with_tags (buffer, "\n", NULL);
        }
      for (guint i = hunk->first_line; i < hunk->first_line + hunk->n_lines && i < n_lines; i++)
        render_line (self, buffer, confab_prompt_diff_get_line (diff, i), newline_differs);
      if (h == hunks->len - 1 && hunk->first_line + hunk->n_lines < n_lines)
        {
          guint            rest = n_lines - (hunk->first_line + hunk->n_lines);
          g_autofree char *separator = g_strdup_printf (
              ngettext ("⋯ %u unchanged line ⋯", "⋯ %u unchanged lines ⋯", rest), rest);

          insert_with_tags (buffer, separator, "separator", NULL);
          insert_with_tags (buffer, "\n", NULL);
        }
    }

  /* No empty line after the last one. */
  {
    GtkTextIter start, end;

    gtk_text_buffer_get_end_iter (buffer, &end);
    start = end;
    if (gtk_text_iter_backward_char (&start) && gtk_text_iter_get_char (&start) == '\n')
      gtk_text_buffer_delete (buffer, &start, &end);
  }
}

/* Versions */

static void
selection_changed_cb (ConfabPromptCompareView *self)
{
  if (!self->updating)
    render (self);
}

static void
swap_clicked_cb (ConfabPromptCompareView *self)
{
  guint old_position = gtk_drop_down_get_selected (self->old_dropdown);
  guint new_position = gtk_drop_down_get_selected (self->new_dropdown);

  self->updating = TRUE;
  gtk_drop_down_set_selected (self->old_dropdown, new_position);
  gtk_drop_down_set_selected (self->new_dropdown, old_position);
  self->updating = FALSE;
  render (self);
}

static void
reload_versions (ConfabPromptCompareView *self)
{
  int   old_number = number_at (self, gtk_drop_down_get_selected (self->old_dropdown));
  int   new_number = number_at (self, gtk_drop_down_get_selected (self->new_dropdown));
  int   latest_before = self->numbers->len > 0 ? g_array_index (self->numbers, int, 0) : 0;
  guint n = self->versions ? g_list_model_get_n_items (self->versions) : 0;
  g_autoptr (GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);

  g_array_set_size (self->numbers, 0);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabPromptVersion) version = g_list_model_get_item (self->versions, i);
      int         number = confab_prompt_version_get_version (version);
      const char *message = confab_prompt_version_get_message (version);

      g_array_append_val (self->numbers, number);
      /* Translators: a version in the compare view's lists: "v3 · Shorter greeting" */
      g_ptr_array_add (strings, g_strdup_printf (_ ("v%d · %s"), number,
                                                 message && *message ? message : _ ("No message")));
    }
  g_ptr_array_add (strings, NULL);

  self->updating = TRUE;
  gtk_string_list_splice (self->names, 0, g_list_model_get_n_items (G_LIST_MODEL (self->names)),
                          (const char *const *) strings->pdata);
  /* The newest against the one before, unless two were chosen; a new
   * version becomes the newer side when it was the newest before. */
  if (new_number == 0 || new_number == latest_before)
    new_number = n > 0 ? g_array_index (self->numbers, int, 0) : 0;
  if (old_number == 0 || old_number == new_number)
    old_number = n > 1 ? g_array_index (self->numbers, int, 1) : 0;
  gtk_drop_down_set_selected (self->old_dropdown, position_of (self, old_number));
  gtk_drop_down_set_selected (self->new_dropdown, position_of (self, new_number));
  self->updating = FALSE;

  gtk_stack_set_visible_child_name (self->stack, n > 1 ? "compare" : "single");
  render (self);
}

static void
setup_item_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);

  /* Long messages must not widen the view past a narrow window. */
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 32);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_list_item_set_child (item, label);
}

static void
bind_item_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkStringObject *string = gtk_list_item_get_item (item);

  gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (item)),
                       gtk_string_object_get_string (string));
}

static void
confab_prompt_compare_view_dispose (GObject *object)
{
  ConfabPromptCompareView *self = CONFAB_PROMPT_COMPARE_VIEW (object);

  confab_prompt_compare_view_set_prompt (self, NULL, NULL);

  G_OBJECT_CLASS (confab_prompt_compare_view_parent_class)->dispose (object);
}

static void
confab_prompt_compare_view_finalize (GObject *object)
{
  ConfabPromptCompareView *self = CONFAB_PROMPT_COMPARE_VIEW (object);

  g_clear_object (&self->names);
  g_array_unref (self->numbers);

  G_OBJECT_CLASS (confab_prompt_compare_view_parent_class)->finalize (object);
}

static void
confab_prompt_compare_view_class_init (ConfabPromptCompareViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_prompt_compare_view_dispose;
  object_class->finalize = confab_prompt_compare_view_finalize;

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-prompt-compare-view.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCompareView, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCompareView, old_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCompareView, new_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCompareView, added_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCompareView, removed_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCompareView, changes_only_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCompareView, settings_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCompareView, settings_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCompareView, diff_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCompareView, same_label);
  gtk_widget_class_bind_template_callback (widget_class, selection_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, swap_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, render);
}

static void
confab_prompt_compare_view_init (ConfabPromptCompareView *self)
{
  GtkTextBuffer *buffer;
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr (GtkExpression) expression = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  confab_prompt_ensure_style ();
  self->numbers = g_array_new (FALSE, FALSE, sizeof (int));
  self->names = gtk_string_list_new (NULL);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_item_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_item_cb), NULL);
  gtk_drop_down_set_factory (self->old_dropdown, factory);
  gtk_drop_down_set_factory (self->new_dropdown, factory);
  /* Typing in the list finds a version by its number or message. */
  expression = gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");
  gtk_drop_down_set_expression (self->old_dropdown, expression);
  gtk_drop_down_set_expression (self->new_dropdown, expression);
  gtk_drop_down_set_model (self->old_dropdown, G_LIST_MODEL (self->names));
  gtk_drop_down_set_model (self->new_dropdown, G_LIST_MODEL (self->names));

  buffer = gtk_text_view_get_buffer (self->diff_view);
  gtk_text_buffer_create_tag (buffer, "hang", NULL);
  gtk_text_buffer_create_tag (buffer, "line-added", NULL);
  gtk_text_buffer_create_tag (buffer, "line-removed", NULL);
  gtk_text_buffer_create_tag (buffer, "word-added", NULL);
  gtk_text_buffer_create_tag (buffer, "word-removed", NULL);
  gtk_text_buffer_create_tag (buffer, "sign-added", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (buffer, "sign-removed", "weight", PANGO_WEIGHT_BOLD, NULL);
  gtk_text_buffer_create_tag (buffer, "gutter", "foreground", "gray", "family", "Monospace", NULL);
  gtk_text_buffer_create_tag (buffer, "note", "foreground", "gray", "style", PANGO_STYLE_ITALIC,
                              NULL);
  gtk_text_buffer_create_tag (buffer, "separator", "foreground", "gray", "justification",
                              GTK_JUSTIFY_CENTER, "pixels-above-lines", 6, "pixels-below-lines", 6,
                              NULL);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (update_colors), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->diff_view, "realize", G_CALLBACK (update_colors), self,
                           G_CONNECT_SWAPPED);
  update_colors (self);
}

GtkWidget *
confab_prompt_compare_view_new (void)
{
  return g_object_new (CONFAB_TYPE_PROMPT_COMPARE_VIEW, NULL);
}

void
confab_prompt_compare_view_set_prompt (ConfabPromptCompareView *self,
                                       ConfabDatabase          *db,
                                       ConfabPrompt            *prompt)
{
  g_return_if_fail (CONFAB_IS_PROMPT_COMPARE_VIEW (self));

  if (self->versions != NULL)
    g_clear_signal_handler (&self->versions_changed_id, self->versions);
  g_clear_object (&self->versions);
  if (db == NULL)
    prompt = NULL;
  g_set_object (&self->db, db);
  g_set_object (&self->prompt, prompt);
  if (self->numbers == NULL)
    return;
  g_array_set_size (self->numbers, 0);
  self->updating = TRUE;
  gtk_drop_down_set_selected (self->old_dropdown, GTK_INVALID_LIST_POSITION);
  gtk_drop_down_set_selected (self->new_dropdown, GTK_INVALID_LIST_POSITION);
  self->updating = FALSE;
  if (prompt != NULL)
    {
      self->versions = confab_repository_list_model (db, CONFAB_TYPE_PROMPT_VERSION, "prompt_id",
                                                     confab_entity_get_id (CONFAB_ENTITY (prompt)));
      self->versions_changed_id = g_signal_connect_object (
          self->versions, "items-changed", G_CALLBACK (reload_versions), self, G_CONNECT_SWAPPED);
    }
  reload_versions (self);
}

gboolean
confab_prompt_compare_view_set_versions (ConfabPromptCompareView *self,
                                         int                      old_version,
                                         int                      new_version)
{
  guint old_position, new_position;

  g_return_val_if_fail (CONFAB_IS_PROMPT_COMPARE_VIEW (self), FALSE);

  old_position = position_of (self, old_version);
  new_position = position_of (self, new_version);
  if (old_position == GTK_INVALID_LIST_POSITION || new_position == GTK_INVALID_LIST_POSITION)
    return FALSE;
  self->updating = TRUE;
  gtk_drop_down_set_selected (self->old_dropdown, old_position);
  gtk_drop_down_set_selected (self->new_dropdown, new_position);
  self->updating = FALSE;
  render (self);
  return TRUE;
}

GtkTextView *
confab_prompt_compare_view_get_text_view (ConfabPromptCompareView *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_COMPARE_VIEW (self), NULL);

  return self->diff_view;
}

const char *
confab_prompt_compare_view_word_at (ConfabPromptCompareView *self, int offset)
{
  GtkTextBuffer   *buffer;
  GtkTextTagTable *table;
  GtkTextIter      iter;

  g_return_val_if_fail (CONFAB_IS_PROMPT_COMPARE_VIEW (self), NULL);

  buffer = gtk_text_view_get_buffer (self->diff_view);
  table = gtk_text_buffer_get_tag_table (buffer);
  gtk_text_buffer_get_iter_at_offset (buffer, &iter, offset);
  if (gtk_text_iter_has_tag (&iter, gtk_text_tag_table_lookup (table, "word-added")))
    return "added";
  if (gtk_text_iter_has_tag (&iter, gtk_text_tag_table_lookup (table, "word-removed")))
    return "removed";
  return NULL;
}

char *
confab_prompt_compare_view_dup_settings (ConfabPromptCompareView *self)
{
  GString *text = g_string_new (NULL);

  g_return_val_if_fail (CONFAB_IS_PROMPT_COMPARE_VIEW (self), NULL);

  for (GtkWidget *row = gtk_widget_get_first_child (self->settings_list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (ADW_IS_ACTION_ROW (row))
      g_string_append_printf (text, "%s: %s\n",
                              adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                              (char *) g_object_get_data (G_OBJECT (row), "confab-change"));
  return g_string_free (text, FALSE);
}
