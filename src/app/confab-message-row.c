/* confab-message-row.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-branch.h"
#include "confab-markdown-view.h"
#include "confab-message-row.h"
#include "confab-retriever.h"

/* Room kept on the other side of a user's bubble, so it reads as theirs. */
#define BUBBLE_INSET 64
/* A cited passage's popover: its width, and its height before it scrolls. */
#define CITATION_WIDTH      380
#define CITATION_MAX_HEIGHT 320

struct _ConfabMessageRow
{
  AdwBin parent_instance;

  /* Template widgets */
  GtkBox             *column;
  GtkBox             *header_box;
  GtkLabel           *author_label;
  GtkLabel           *member_tag;
  GtkBox             *bubble;
  GtkBox             *typing_box;
  GtkSpinner         *typing_spinner;
  GtkStack           *body_stack;
  ConfabMarkdownView *markdown;
  GtkTextView        *editor;
  GtkButton          *save_button;
  GtkLabel           *stopped_label;
  GtkBox             *error_box;
  GtkLabel           *error_label;
  GtkButton          *retry_button;
  GtkFlowBox         *citations_box;
  GtkBox             *footer;
  GtkBox             *branch_box;
  GtkLabel           *branch_label;
  GtkButton          *previous_button;
  GtkButton          *next_button;
  GtkBox             *actions_box;
  GtkButton          *copy_button;
  GtkButton          *edit_button;
  GtkButton          *regenerate_button;

  ConfabDatabase *database;
  ConfabMessage  *message;
  char           *author;
  char           *live_text;
  char           *shown_references; /* the source_references the chips show */
  gboolean        can_reply;
  gboolean        editing;
  guint           branch_index;
  guint           n_branches;
};

G_DEFINE_FINAL_TYPE (ConfabMessageRow, confab_message_row, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_DATABASE,
  PROP_MESSAGE,
  PROP_AUTHOR,
  PROP_LIVE_TEXT,
  PROP_CAN_REPLY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_REGENERATE,
  SIGNAL_EDIT,
  SIGNAL_SWITCH_BRANCH,
  SIGNAL_TOAST,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* g_set_str() is GLib 2.76. */
static gboolean
set_str (char **field, const char *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static const char *const role_classes[] = { "user", "assistant", "supporter", "system" };

static const char *
role_of (ConfabMessageRow *self)
{
  return self->message != NULL ? confab_message_get_role (self->message) : "";
}

static gboolean
role_is (ConfabMessageRow *self, const char *role)
{
  return g_strcmp0 (role_of (self), role) == 0;
}

static gboolean
status_is (ConfabMessageRow *self, const char *status)
{
  return self->message != NULL &&
         g_strcmp0 (confab_message_get_status (self->message), status) == 0;
}

/* A reply still being written: ours (live text) or, saved as streaming,
 * one written elsewhere. */
static gboolean
is_streaming (ConfabMessageRow *self)
{
  return self->live_text != NULL || status_is (self, "streaming");
}

const char *
confab_message_row_get_shown_text (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);

  if (self->live_text != NULL)
    return self->live_text;
  return self->message != NULL ? confab_message_get_content (self->message) : "";
}

/* ------------------------------------------------------------------------ */
/* Showing the message                                                      */
/* ------------------------------------------------------------------------ */

static void
update_layout (ConfabMessageRow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean   mine = role_is (self, "user");

  for (guint i = 0; i < G_N_ELEMENTS (role_classes); i++)
    if (role_is (self, role_classes[i]))
      gtk_widget_add_css_class (widget, role_classes[i]);
    else
      gtk_widget_remove_css_class (widget, role_classes[i]);

  /* The user's bubble sits on the right at its natural width; while it is
   * edited it takes the whole row. */
  gtk_widget_set_halign (GTK_WIDGET (self->column),
                         mine && !self->editing ? GTK_ALIGN_END : GTK_ALIGN_FILL);
  gtk_widget_set_margin_start (GTK_WIDGET (self->column), mine ? BUBBLE_INSET : 0);
  gtk_widget_set_halign (GTK_WIDGET (self->footer), mine ? GTK_ALIGN_END : GTK_ALIGN_START);
  /* The version switcher sits under the bubble's outer edge. */
  if (mine)
    gtk_box_reorder_child_after (self->footer, GTK_WIDGET (self->branch_box),
                                 GTK_WIDGET (self->actions_box));
  else
    gtk_box_reorder_child_after (self->footer, GTK_WIDGET (self->branch_box), NULL);
}

static void
update_header (ConfabMessageRow *self)
{
  gboolean supporter = role_is (self, "supporter");
  gboolean shown = self->author != NULL && *self->author != '\0' && !role_is (self, "user");

  gtk_label_set_label (self->author_label, shown ? self->author : "");
  gtk_widget_set_visible (GTK_WIDGET (self->member_tag), supporter);
  gtk_widget_set_visible (GTK_WIDGET (self->header_box), shown || supporter);
}

static void
update_body (ConfabMessageRow *self)
{
  const char *text = confab_message_row_get_shown_text (self);
  gboolean    empty = text == NULL || *text == '\0';
  gboolean    writing = is_streaming (self) && empty;

  confab_markdown_view_set_text (self->markdown, text);
  gtk_widget_set_visible (GTK_WIDGET (self->body_stack), !empty || self->editing);
  gtk_widget_set_visible (GTK_WIDGET (self->typing_box), writing);
  /* A spinner that is not shown still asks for frames. */
  gtk_spinner_set_spinning (self->typing_spinner, writing);

  if (is_streaming (self))
    gtk_widget_add_css_class (GTK_WIDGET (self), "streaming");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "streaming");
}

static void
update_status (ConfabMessageRow *self)
{
  gboolean    live = self->live_text != NULL;
  gboolean    failed = !live && status_is (self, "error");
  gboolean    stopped = !live && status_is (self, "cancelled");
  const char *error = self->message != NULL ? confab_message_get_error (self->message) : NULL;

  gtk_widget_set_visible (GTK_WIDGET (self->error_box), failed);
  gtk_label_set_label (self->error_label,
                       error != NULL && *error != '\0' ? error : _ ("The agent could not answer"));
  gtk_widget_set_visible (GTK_WIDGET (self->retry_button), role_is (self, "assistant"));
  gtk_widget_set_visible (GTK_WIDGET (self->stopped_label), stopped);

  if (failed)
    gtk_widget_add_css_class (GTK_WIDGET (self), "failed");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "failed");
  if (stopped)
    gtk_widget_add_css_class (GTK_WIDGET (self), "stopped");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "stopped");
}

static void
append_line (GString *text, const char *line)
{
  if (text->len > 0)
    g_string_append_c (text, '\n');
  g_string_append (text, line);
}

/* Written when asked for: setting a tooltip asks the display where the
 * pointer is, which a row bound for every message scrolled past cannot
 * afford. */
static char *
dup_tooltip (ConfabMessageRow *self)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GDateTime) utc = NULL;
  const char *model;
  const char *error;
  int         tokens_in, tokens_out, latency_ms;

  if (self->message == NULL)
    return NULL;

  model = confab_message_get_model (self->message);
  tokens_in = confab_message_get_tokens_in (self->message);
  tokens_out = confab_message_get_tokens_out (self->message);
  latency_ms = confab_message_get_latency_ms (self->message);
  error = confab_message_get_error (self->message);

  if (role_is (self, "assistant") && !is_streaming (self))
    {
      /* "rules" is what a rule-based agent records: no model answered. */
      if (model != NULL && *model != '\0' && g_strcmp0 (model, "rules") != 0)
        {
          g_autofree char *line = g_strdup_printf (_ ("Model: %s"), model);
          append_line (text, line);
        }
      else if (g_strcmp0 (model, "rules") == 0)
        append_line (text, _ ("Answered by the agent’s rules"));
      if (tokens_in > 0 || tokens_out > 0)
        {
          /* Translators: the tokens a reply cost, as the model counted them */
          g_autofree char *line =
              g_strdup_printf (_ ("Tokens: %d in, %d out"), tokens_in, tokens_out);
          append_line (text, line);
        }
      if (latency_ms > 0)
        {
          /* Translators: how long the reply took, in seconds */
          g_autofree char *line = g_strdup_printf (_ ("Latency: %.1f s"), latency_ms / 1000.0);
          append_line (text, line);
        }
      /* A hybrid agent that fell back on its rules keeps the model's
       * error on a complete message: a detail, for the tooltip. */
      if (error != NULL && *error != '\0' && status_is (self, "complete"))
        {
          g_autofree char *line = g_strdup_printf (_ ("The model failed: %s"), error);
          append_line (text, line);
        }
    }

  utc = g_date_time_new_from_iso8601 (confab_entity_get_created_at (CONFAB_ENTITY (self->message)),
                                      NULL);
  if (utc != NULL)
    {
      g_autoptr (GDateTime) local = g_date_time_to_local (utc);
      /* Translators: when a message was written; see g_date_time_format() */
      g_autofree char *when = g_date_time_format (local, C_ ("message time", "%-d %B %Y, %H:%M"));

      if (when != NULL)
        append_line (text, when);
    }

  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

static gboolean
bubble_query_tooltip_cb (
    ConfabMessageRow *self, int x, int y, gboolean keyboard, GtkTooltip *tooltip)
{
  g_autofree char *text = self->editing ? NULL : dup_tooltip (self);

  if (text == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static void
update_actions (ConfabMessageRow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean   user = role_is (self, "user");
  gboolean   assistant = role_is (self, "assistant");
  gboolean   settled = self->message != NULL && !is_streaming (self);

  gtk_widget_set_visible (GTK_WIDGET (self->edit_button), user);
  gtk_widget_set_visible (GTK_WIDGET (self->regenerate_button), assistant);
  gtk_widget_set_visible (GTK_WIDGET (self->actions_box), self->message != NULL && !self->editing);

  gtk_widget_action_set_enabled (widget, "message.copy",
                                 settled && *confab_message_row_get_shown_text (self) != '\0');
  gtk_widget_action_set_enabled (widget, "message.edit", user && settled && self->can_reply);
  gtk_widget_action_set_enabled (widget, "message.regenerate",
                                 assistant && settled && self->can_reply);
  gtk_widget_action_set_enabled (widget, "message.retry", assistant && settled && self->can_reply);
}

static void
update_branch_buttons (ConfabMessageRow *self)
{
  GtkWidget *widget = GTK_WIDGET (self);
  gboolean   shown = self->n_branches > 1;

  gtk_widget_set_visible (GTK_WIDGET (self->branch_box), shown);
  if (shown)
    {
      /* Translators: which version of a message is shown, of how many: "2/3" */
      g_autofree char *label =
          g_strdup_printf (_ ("%u/%u"), self->branch_index + 1, self->n_branches);
      /* Translators: the accessible name of the version switcher */
      g_autofree char *a11y =
          g_strdup_printf (_ ("Version %u of %u"), self->branch_index + 1, self->n_branches);

      gtk_label_set_label (self->branch_label, label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->branch_label),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
    }
  /* Switching while a reply is written would move it off the shown branch. */
  gtk_widget_action_set_enabled (widget, "message.previous-version",
                                 shown && self->branch_index > 0 && self->can_reply);
  gtk_widget_action_set_enabled (widget, "message.next-version",
                                 shown && self->branch_index + 1 < self->n_branches &&
                                     self->can_reply);
}

/* Whether the message has siblings, with one look at the parent index:
 * most messages have none, and a row is bound for every message scrolled
 * past. On error, TRUE: confab_branch_get_position () says what it is. */
static gboolean
has_siblings (ConfabMessageRow *self)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;
  const char *parent_id = confab_message_get_parent_message_id (self->message);

  stmt = confab_database_prepare (self->database,
                                  "SELECT count(*) > 1 FROM messages WHERE parent_message_id IS ? "
                                  "AND +conversation_id = ?",
                                  &error);
  if (stmt == NULL)
    return TRUE;
  if (parent_id != NULL)
    sqlite3_bind_text (stmt, 1, parent_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, confab_message_get_conversation_id (self->message), -1,
                     SQLITE_TRANSIENT);
  return sqlite3_step (stmt) != SQLITE_ROW || sqlite3_column_int (stmt, 0) != 0;
}

/* Only on a new message (a branch switch or a new sibling resets the list,
 * so rows are bound again). */
static void
load_branch (ConfabMessageRow *self)
{
  g_autoptr (GError) error = NULL;

  self->branch_index = 0;
  self->n_branches = 1;
  if (self->database != NULL && self->message != NULL && has_siblings (self) &&
      !confab_branch_get_position (self->database,
                                   confab_entity_get_id (CONFAB_ENTITY (self->message)),
                                   &self->branch_index, &self->n_branches, &error))
    {
      g_debug ("No versions for message %s: %s",
               confab_entity_get_id (CONFAB_ENTITY (self->message)), error->message);
      self->branch_index = 0;
      self->n_branches = 1;
    }
  update_branch_buttons (self);
}

static void
copy_passage_cb (GtkButton *button, GtkWidget *text)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (button)),
                          confab_markdown_view_get_text (CONFAB_MARKDOWN_VIEW (text)));
}

/* Wrapped text asks for no height of its own: the scroller takes the
 * passage's height at the popover's width, up to a limit, then scrolls. */
static void
citation_popover_show_cb (GtkWidget *popover, GtkWidget *scroller)
{
  GtkWidget *text = gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scroller));
  int        natural = 0;

  gtk_widget_measure (text, GTK_ORIENTATION_VERTICAL, CITATION_WIDTH, NULL, &natural, NULL, NULL);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller),
                                              MIN (natural, CITATION_MAX_HEIGHT));
}

/* The cited passage, as the reply's reader would check it: the document,
 * where in it, and the passage's text as Markdown. */
static GtkWidget *
citation_popover_new (const ConfabRetrievedChunk *chunk)
{
  GtkWidget       *popover = gtk_popover_new ();
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget       *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget       *titles = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget       *title = gtk_label_new (chunk->filename);
  GtkWidget       *copy = gtk_button_new_from_icon_name ("edit-copy-symbolic");
  g_autofree char *where = NULL;
  GtkWidget       *subtitle;
  GtkWidget       *scroller;
  GtkWidget       *text;

  /* Translators: which passage of a document a reply cites; %d counts from 1 */
  where = g_strdup_printf (_ ("Passage %d"), chunk->ordinal + 1);
  subtitle = gtk_label_new (where);

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_wrap (GTK_LABEL (title), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (title), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (title, "heading");
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_set_hexpand (titles, TRUE);
  gtk_box_append (GTK_BOX (titles), title);
  gtk_box_append (GTK_BOX (titles), subtitle);

  text = confab_markdown_view_new ();
  confab_markdown_view_set_text (CONFAB_MARKDOWN_VIEW (text), chunk->text);
  gtk_widget_add_css_class (text, "citation-text");

  /* First in the popover, the button takes the focus rather than the
   * passage's text (a selectable label would show all selected). */
  gtk_widget_set_valign (copy, GTK_ALIGN_START);
  gtk_widget_add_css_class (copy, "flat");
  gtk_widget_set_tooltip_text (copy, _ ("Copy Passage"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (copy), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Copy Passage"), -1);
  g_signal_connect_object (copy, "clicked", G_CALLBACK (copy_passage_cb), text, 0);
  gtk_box_append (GTK_BOX (header), titles);
  gtk_box_append (GTK_BOX (header), copy);

  scroller = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroller), CITATION_MAX_HEIGHT);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), text);
  gtk_widget_set_size_request (scroller, CITATION_WIDTH, -1);
  g_signal_connect_object (popover, "show", G_CALLBACK (citation_popover_show_cb), scroller, 0);

  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), scroller);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_popover_set_child (GTK_POPOVER (popover), box);
  gtk_widget_add_css_class (popover, "citation-popover");
  return popover;
}

/* Built when first opened: most citations are never looked at. */
static void
citation_create_popup_cb (GtkMenuButton *button, gpointer data)
{
  const ConfabRetrievedChunk *chunk = g_object_get_data (G_OBJECT (button), "confab-chunk");

  if (gtk_menu_button_get_popover (button) == NULL && chunk != NULL)
    gtk_menu_button_set_popover (button, citation_popover_new (chunk));
}

static GtkWidget *
citation_chip_new (const ConfabRetrievedChunk *chunk)
{
  GtkWidget       *button = gtk_menu_button_new ();
  GtkWidget       *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget       *number;
  GtkWidget       *name = gtk_label_new (chunk->filename);
  g_autofree char *rank = g_strdup_printf ("%u", chunk->rank);
  /* Translators: a chip under a reply naming the document it cites */
  g_autofree char *a11y = g_strdup_printf (_ ("Source %u: %s"), chunk->rank, chunk->filename);

  number = gtk_label_new (rank);
  gtk_widget_add_css_class (number, "citation-number");
  gtk_widget_add_css_class (number, "numeric");
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (name), 28);
  gtk_box_append (GTK_BOX (box), number);
  gtk_box_append (GTK_BOX (box), name);

  gtk_menu_button_set_child (GTK_MENU_BUTTON (button), box);
  g_object_set_data_full (G_OBJECT (button), "confab-chunk", confab_retrieved_chunk_copy (chunk),
                          (GDestroyNotify) confab_retrieved_chunk_free);
  gtk_menu_button_set_create_popup_func (GTK_MENU_BUTTON (button), citation_create_popup_cb, NULL,
                                         NULL);
  gtk_widget_set_focus_on_click (button, FALSE);
  gtk_widget_add_css_class (button, "citation-chip");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
  return button;
}

/* The chips are rebuilt only when the citations change (a reply gets them
 * when it is complete). */
static void
update_citations (ConfabMessageRow *self)
{
  g_autoptr (GPtrArray) chunks = NULL;
  g_autoptr (GError) error = NULL;
  const char *references = NULL;
  GtkWidget  *child;

  if (self->message != NULL && role_is (self, "assistant"))
    references = confab_message_get_source_references (self->message);
  if (references == NULL || *references == '\0' || g_strcmp0 (references, "[]") == 0)
    references = NULL;
  if (g_strcmp0 (references, self->shown_references) == 0)
    return;

  g_free (self->shown_references);
  self->shown_references = g_strdup (references);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->citations_box))) != NULL)
    gtk_flow_box_remove (self->citations_box, child);

  if (references != NULL && self->database != NULL)
    {
      chunks = confab_citations_resolve (self->database, references, &error);
      if (chunks == NULL)
        g_debug ("Citations of message %s not shown: %s",
                 confab_entity_get_id (CONFAB_ENTITY (self->message)), error->message);
    }

  for (guint i = 0; chunks != NULL && i < chunks->len; i++)
    {
      GtkWidget *chip = citation_chip_new (g_ptr_array_index (chunks, i));

      gtk_flow_box_append (self->citations_box, chip);
      /* The flow box's own child would take the focus before the chip. */
      gtk_widget_set_focusable (gtk_widget_get_parent (chip), FALSE);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->citations_box), chunks != NULL && chunks->len > 0);
}

static void
update_all (ConfabMessageRow *self)
{
  update_layout (self);
  update_header (self);
  update_body (self);
  update_status (self);
  update_citations (self);
  update_actions (self);
}

static void
message_notify_cb (ConfabMessageRow *self, GParamSpec *pspec)
{
  update_all (self);
}

/* ------------------------------------------------------------------------ */
/* Editing                                                                  */
/* ------------------------------------------------------------------------ */

static char *
dup_editor_text (ConfabMessageRow *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->editor);
  GtkTextIter    start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
update_save_button (ConfabMessageRow *self)
{
  GtkTextBuffer   *buffer = gtk_text_view_get_buffer (self->editor);
  g_autofree char *text = dup_editor_text (self);
  int              n_chars = gtk_text_buffer_get_char_count (buffer);

  g_strstrip (text);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message.save-edit",
                                 self->editing && self->can_reply && *text != '\0' &&
                                     n_chars <= CONFAB_MESSAGE_MAX_CONTENT);
}

static void
stop_editing (ConfabMessageRow *self)
{
  if (!self->editing)
    return;
  self->editing = FALSE;
  gtk_stack_set_visible_child_name (self->body_stack, "text");
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->editor), "", 0);
  update_all (self);
}

void
confab_message_row_start_editing (ConfabMessageRow *self)
{
  GtkTextBuffer *buffer;
  GtkTextIter    end;

  g_return_if_fail (CONFAB_IS_MESSAGE_ROW (self));

  if (self->editing || !role_is (self, "user"))
    return;
  self->editing = TRUE;
  buffer = gtk_text_view_get_buffer (self->editor);
  gtk_text_buffer_set_text (buffer, confab_message_get_content (self->message), -1);
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_place_cursor (buffer, &end);
  gtk_stack_set_visible_child_name (self->body_stack, "edit");
  update_all (self);
  update_save_button (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->editor));
}

static void
save_edit (ConfabMessageRow *self)
{
  g_autofree char *text = dup_editor_text (self);
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  if (*stripped == '\0')
    return;
  /* An unchanged message would only make a copy of itself. */
  if (g_strcmp0 (text, confab_message_get_content (self->message)) == 0)
    {
      stop_editing (self);
      return;
    }
  stop_editing (self);
  g_signal_emit (self, signals[SIGNAL_EDIT], 0, text);
}

/* Refuses what would take the edited message past the limit in one go (a
 * huge paste), before the buffer holds it. */
static void
editor_insert_text_cb (
    ConfabMessageRow *self, GtkTextIter *location, const char *text, int len, GtkTextBuffer *buffer)
{
  glong n_new;

  /* Four bytes at most a character: a long text is refused unread. */
  if (len > 4 * CONFAB_MESSAGE_MAX_CONTENT)
    n_new = CONFAB_MESSAGE_MAX_CONTENT + 1;
  else
    n_new = g_utf8_strlen (text, len);
  if (gtk_text_buffer_get_char_count (buffer) + n_new <= CONFAB_MESSAGE_MAX_CONTENT)
    return;

  g_signal_stop_emission_by_name (buffer, "insert-text");
  {
    g_autofree char *message = g_strdup_printf (_ ("A message can have at most %d characters"),
                                                CONFAB_MESSAGE_MAX_CONTENT);

    g_signal_emit (self, signals[SIGNAL_TOAST], 0, message);
  }
}

static gboolean
editor_key_pressed_cb (ConfabMessageRow *self, guint keyval, guint keycode, GdkModifierType state)
{
  if (keyval == GDK_KEY_Escape)
    {
      stop_editing (self);
      return GDK_EVENT_STOP;
    }
  if ((keyval == GDK_KEY_Return || keyval == GDK_KEY_KP_Enter) && (state & GDK_CONTROL_MASK))
    {
      gtk_widget_activate_action (GTK_WIDGET (self), "message.save-edit", NULL);
      return GDK_EVENT_STOP;
    }
  return GDK_EVENT_PROPAGATE;
}

/* ------------------------------------------------------------------------ */
/* Actions                                                                  */
/* ------------------------------------------------------------------------ */

static void
copy_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (widget);

  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget),
                          confab_message_row_get_shown_text (self));
  g_signal_emit (self, signals[SIGNAL_TOAST], 0, _ ("Message copied"));
}

static void
edit_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  confab_message_row_start_editing (CONFAB_MESSAGE_ROW (widget));
}

static void
cancel_edit_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  stop_editing (CONFAB_MESSAGE_ROW (widget));
}

static void
save_edit_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  save_edit (CONFAB_MESSAGE_ROW (widget));
}

static void
regenerate_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  g_signal_emit (widget, signals[SIGNAL_REGENERATE], 0);
}

static void
switch_version (ConfabMessageRow *self, int delta)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *sibling_id = NULL;

  if (self->database == NULL || self->message == NULL)
    return;
  sibling_id = confab_branch_dup_sibling_id (
      self->database, confab_entity_get_id (CONFAB_ENTITY (self->message)), delta, &error);
  if (error != NULL)
    {
      g_signal_emit (self, signals[SIGNAL_TOAST], 0, error->message);
      return;
    }
  if (sibling_id != NULL)
    g_signal_emit (self, signals[SIGNAL_SWITCH_BRANCH], 0, sibling_id);
}

static void
previous_version_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  switch_version (CONFAB_MESSAGE_ROW (widget), -1);
}

static void
next_version_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  switch_version (CONFAB_MESSAGE_ROW (widget), +1);
}

/* ------------------------------------------------------------------------ */
/* Properties                                                               */
/* ------------------------------------------------------------------------ */

GtkWidget *
confab_message_row_new (void)
{
  return g_object_new (CONFAB_TYPE_MESSAGE_ROW, NULL);
}

ConfabDatabase *
confab_message_row_get_database (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);
  return self->database;
}

void
confab_message_row_set_database (ConfabMessageRow *self, ConfabDatabase *database)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_ROW (self));
  g_return_if_fail (database == NULL || CONFAB_IS_DATABASE (database));

  if (!g_set_object (&self->database, database))
    return;
  g_clear_pointer (&self->shown_references, g_free);
  load_branch (self);
  update_citations (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DATABASE]);
}

ConfabMessage *
confab_message_row_get_message (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);
  return self->message;
}

void
confab_message_row_set_message (ConfabMessageRow *self, ConfabMessage *message)
{
  gboolean changed;

  g_return_if_fail (CONFAB_IS_MESSAGE_ROW (self));
  g_return_if_fail (message == NULL || CONFAB_IS_MESSAGE (message));

  changed = self->message != message;
  if (changed)
    {
      if (self->message != NULL)
        g_signal_handlers_disconnect_by_func (self->message, message_notify_cb, self);
      g_set_object (&self->message, message);
      if (message != NULL)
        g_signal_connect_object (message, "notify", G_CALLBACK (message_notify_cb), self,
                                 G_CONNECT_SWAPPED);
      stop_editing (self);
      g_clear_pointer (&self->shown_references, g_free);
    }

  /* Bound again (the list was reset): the versions may have changed. */
  load_branch (self);
  update_all (self);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
}

const char *
confab_message_row_get_author (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);
  return self->author;
}

void
confab_message_row_set_author (ConfabMessageRow *self, const char *author)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_ROW (self));

  if (!set_str (&self->author, author))
    return;
  update_header (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTHOR]);
}

const char *
confab_message_row_get_live_text (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);
  return self->live_text;
}

void
confab_message_row_set_live_text (ConfabMessageRow *self, const char *live_text)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_ROW (self));

  if (!set_str (&self->live_text, live_text))
    return;
  update_all (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LIVE_TEXT]);
}

gboolean
confab_message_row_get_can_reply (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), FALSE);
  return self->can_reply;
}

void
confab_message_row_set_can_reply (ConfabMessageRow *self, gboolean can_reply)
{
  g_return_if_fail (CONFAB_IS_MESSAGE_ROW (self));

  can_reply = !!can_reply;
  if (self->can_reply == can_reply)
    return;
  self->can_reply = can_reply;
  update_actions (self);
  update_branch_buttons (self);
  update_save_button (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAN_REPLY]);
}

GtkLabel *
confab_message_row_get_branch_label (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);
  return self->branch_label;
}

GtkButton *
confab_message_row_get_previous_button (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);
  return self->previous_button;
}

GtkButton *
confab_message_row_get_next_button (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);
  return self->next_button;
}

GtkButton *
confab_message_row_get_retry_button (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);
  return self->retry_button;
}

GtkWidget *
confab_message_row_get_citations (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);
  return GTK_WIDGET (self->citations_box);
}

GtkTextView *
confab_message_row_get_editor (ConfabMessageRow *self)
{
  g_return_val_if_fail (CONFAB_IS_MESSAGE_ROW (self), NULL);
  return self->editor;
}

static void
confab_message_row_dispose (GObject *object)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (object);

  if (self->message != NULL)
    g_signal_handlers_disconnect_by_func (self->message, message_notify_cb, self);
  g_clear_object (&self->message);
  g_clear_object (&self->database);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_MESSAGE_ROW);

  G_OBJECT_CLASS (confab_message_row_parent_class)->dispose (object);
}

static void
confab_message_row_finalize (GObject *object)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (object);

  g_clear_pointer (&self->author, g_free);
  g_clear_pointer (&self->live_text, g_free);
  g_clear_pointer (&self->shown_references, g_free);

  G_OBJECT_CLASS (confab_message_row_parent_class)->finalize (object);
}

static void
confab_message_row_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      g_value_set_object (value, self->database);
      break;
    case PROP_MESSAGE:
      g_value_set_object (value, self->message);
      break;
    case PROP_AUTHOR:
      g_value_set_string (value, self->author);
      break;
    case PROP_LIVE_TEXT:
      g_value_set_string (value, self->live_text);
      break;
    case PROP_CAN_REPLY:
      g_value_set_boolean (value, self->can_reply);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_row_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  ConfabMessageRow *self = CONFAB_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      confab_message_row_set_database (self, g_value_get_object (value));
      break;
    case PROP_MESSAGE:
      confab_message_row_set_message (self, g_value_get_object (value));
      break;
    case PROP_AUTHOR:
      confab_message_row_set_author (self, g_value_get_string (value));
      break;
    case PROP_LIVE_TEXT:
      confab_message_row_set_live_text (self, g_value_get_string (value));
      break;
    case PROP_CAN_REPLY:
      confab_message_row_set_can_reply (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_message_row_class_init (ConfabMessageRowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_message_row_dispose;
  object_class->finalize = confab_message_row_finalize;
  object_class->get_property = confab_message_row_get_property;
  object_class->set_property = confab_message_row_set_property;

  properties[PROP_DATABASE] =
      g_param_spec_object ("database", NULL, NULL, CONFAB_TYPE_DATABASE,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MESSAGE] =
      g_param_spec_object ("message", NULL, NULL, CONFAB_TYPE_MESSAGE,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_AUTHOR] =
      g_param_spec_string ("author", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LIVE_TEXT] =
      g_param_spec_string ("live-text", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CAN_REPLY] =
      g_param_spec_boolean ("can-reply", NULL, NULL, TRUE,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_REGENERATE] =
      g_signal_new ("regenerate", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                    G_TYPE_NONE, 0);
  signals[SIGNAL_EDIT] = g_signal_new ("edit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_SWITCH_BRANCH] =
      g_signal_new ("switch-branch", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  g_type_ensure (CONFAB_TYPE_MARKDOWN_VIEW);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, column);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, header_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, author_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, member_tag);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, bubble);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, typing_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, typing_spinner);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, body_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, markdown);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, editor);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, save_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, stopped_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, error_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, error_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, retry_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, citations_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, footer);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, branch_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, branch_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, previous_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, next_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, actions_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, copy_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, edit_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabMessageRow, regenerate_button);

  gtk_widget_class_install_action (widget_class, "message.copy", NULL, copy_action);
  gtk_widget_class_install_action (widget_class, "message.edit", NULL, edit_action);
  gtk_widget_class_install_action (widget_class, "message.cancel-edit", NULL, cancel_edit_action);
  gtk_widget_class_install_action (widget_class, "message.save-edit", NULL, save_edit_action);
  gtk_widget_class_install_action (widget_class, "message.regenerate", NULL, regenerate_action);
  gtk_widget_class_install_action (widget_class, "message.retry", NULL, regenerate_action);
  gtk_widget_class_install_action (widget_class, "message.previous-version", NULL,
                                   previous_version_action);
  gtk_widget_class_install_action (widget_class, "message.next-version", NULL, next_version_action);
}

static void
confab_message_row_init (ConfabMessageRow *self)
{
  GtkEventController *keys;
  GtkTextBuffer      *buffer;

  self->can_reply = TRUE;
  self->n_branches = 1;
  gtk_widget_init_template (GTK_WIDGET (self));

  buffer = gtk_text_view_get_buffer (self->editor);
  g_signal_connect_object (buffer, "insert-text", G_CALLBACK (editor_insert_text_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (buffer, "changed", G_CALLBACK (update_save_button), self,
                           G_CONNECT_SWAPPED);

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect_object (keys, "key-pressed", G_CALLBACK (editor_key_pressed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->editor), keys);

  /* A click on an action leaves the focus where it was: the row may go
   * away with what it asked for (confab-chat-view.c, release_row_focus ()). */
  {
    GtkWidget *buttons[] = {
      GTK_WIDGET (self->copy_button),       GTK_WIDGET (self->edit_button),
      GTK_WIDGET (self->regenerate_button), GTK_WIDGET (self->retry_button),
      GTK_WIDGET (self->previous_button),   GTK_WIDGET (self->next_button),
    };

    for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
      gtk_widget_set_focus_on_click (buttons[i], FALSE);
  }

  gtk_widget_set_has_tooltip (GTK_WIDGET (self->bubble), TRUE);
  g_signal_connect_object (self->bubble, "query-tooltip", G_CALLBACK (bubble_query_tooltip_cb),
                           self, G_CONNECT_SWAPPED);

  update_all (self);
  update_branch_buttons (self);
  update_save_button (self);
}
