/* confab-search-dialog.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-search-dialog.h"

/* One search runs at a time, in a GTask thread, on a read-only connection
 * the dialog opens on first use and keeps (a connection is used by one thread
 * at a time, and only one search runs). The GtkSearchEntry already waits a
 * moment after the last keystroke; a newer query cancels the running one
 * (the core interrupts SQLite at once) and starts when it has stopped.
 * Results of any query but the latest are dropped. */

struct _ConfabSearchDialog
{
  AdwWindow           parent_instance;

  /* Template widgets */
  GtkSearchEntry     *search_entry;
  GtkSpinner         *spinner;
  GtkStack           *stack;
  GtkListView        *results_view;
  GtkSingleSelection *selection;
  GListStore         *results;
  AdwStatusPage      *error_page;
  GtkLabel           *more_label;

  ConfabDatabase     *database;
  /* The worker's own connection; NULL while a search holds it. */
  ConfabDatabase     *reader;
  GCancellable       *cancellable;   /* the running search's */
  char               *query;         /* the latest query */
  guint               spinner_source;
  guint               searching : 1;
  guint               pending : 1;   /* a newer query waits for the running one */
  guint               closed : 1;
};

G_DEFINE_FINAL_TYPE (ConfabSearchDialog, confab_search_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_DATABASE,
  PROP_SEARCHING,
  N_PROPS
};

enum {
  OPEN_MESSAGE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* A search that takes longer than this shows a spinner. */
#define SPINNER_DELAY_MS 300

/* The list's rows (closures of the item template) */

static char *
hit_title (GtkListItem      *item,
           ConfabMessageHit *hit)
{
  const char *title;

  if (hit == NULL)
    return NULL;
  title = confab_message_hit_get_conversation_title (hit);
  return g_strdup (title != NULL && *title != '\0' ? title : _("Untitled Chat"));
}

static char *
hit_author (GtkListItem      *item,
            ConfabMessageHit *hit)
{
  const char *role;
  const char *author;

  if (hit == NULL)
    return NULL;
  role = confab_message_hit_get_role (hit);
  author = confab_message_hit_get_author (hit);

  if (g_strcmp0 (role, "assistant") == 0)
    return g_strdup (author != NULL ? author : _("Assistant"));
  if (g_strcmp0 (role, "user") == 0)
    return g_strdup (author != NULL ? author : _("User"));
  if (g_strcmp0 (role, "supporter") == 0)
    {
      if (author == NULL)
        return g_strdup (_("Operator"));
      /* Translators: a human operator who answered in a chat, e.g. "Olga (operator)" */
      return g_strdup_printf (_("%s (operator)"), author);
    }
  return g_strdup (_("System"));
}

static char *
hit_date (GtkListItem      *item,
          ConfabMessageHit *hit)
{
  g_autoptr (GDateTime) utc = NULL;
  g_autoptr (GDateTime) local = NULL;
  g_autoptr (GDateTime) now = NULL;
  GDate today, day;
  int days;

  if (hit == NULL || confab_message_hit_get_created_at (hit) == NULL)
    return NULL;
  utc = g_date_time_new_from_iso8601 (confab_message_hit_get_created_at (hit), NULL);
  if (utc == NULL)
    return NULL;
  local = g_date_time_to_local (utc);
  now = g_date_time_new_now_local ();

  g_date_clear (&today, 1);
  g_date_clear (&day, 1);
  g_date_set_dmy (&today, g_date_time_get_day_of_month (now), g_date_time_get_month (now),
                  g_date_time_get_year (now));
  g_date_set_dmy (&day, g_date_time_get_day_of_month (local), g_date_time_get_month (local),
                  g_date_time_get_year (local));
  days = g_date_days_between (&day, &today);

  if (days == 0)
    /* Translators: the time of a message sent today, see g_date_time_format() */
    return g_date_time_format (local, _("%H:%M"));
  if (days == 1)
    return g_strdup (_("Yesterday"));
  if (g_date_time_get_year (now) == g_date_time_get_year (local))
    /* Translators: the date of a message from this year, see g_date_time_format() */
    return g_date_time_format (local, _("%-e %b"));
  /* Translators: the date of a message from another year, see g_date_time_format() */
  return g_date_time_format (local, _("%-e %b %Y"));
}

/**
 * confab_search_dialog_snippet_to_markup:
 * @snippet: (nullable): a ConfabMessageHit's snippet
 *
 * Everything but the highlight is escaped, so a message holding "<b>" or
 * "&" shows them as written; runs of white space (line breaks) become one
 * space; the highlight is always closed.
 *
 * Returns: (transfer full): Pango markup
 */
char *
confab_search_dialog_snippet_to_markup (const char *snippet)
{
  g_autoptr (GString) markup = g_string_new (NULL);
  gboolean bold = FALSE;
  gboolean space = FALSE;

  for (const char *p = snippet ? snippet : ""; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (*p == CONFAB_MESSAGE_HIT_MATCH_START[0] || *p == CONFAB_MESSAGE_HIT_MATCH_END[0])
        {
          gboolean start = *p == CONFAB_MESSAGE_HIT_MATCH_START[0];

          /* A space before a highlight stays outside it. */
          if (start && !bold && space)
            {
              g_string_append_c (markup, ' ');
              space = FALSE;
            }
          if (start != bold)
            g_string_append (markup, start ? "<b>" : "</b>");
          bold = start;
          continue;
        }
      if (g_unichar_isspace (c))
        {
          space = markup->len > 0;
          continue;
        }
      if (space)
        g_string_append_c (markup, ' ');
      space = FALSE;

      switch (c)
        {
        case '<':
          g_string_append (markup, "&lt;");
          break;
        case '>':
          g_string_append (markup, "&gt;");
          break;
        case '&':
          g_string_append (markup, "&amp;");
          break;
        case '\'':
          g_string_append (markup, "&apos;");
          break;
        case '"':
          g_string_append (markup, "&quot;");
          break;
        default:
          /* Other control characters have no place in markup. */
          if (g_unichar_iscntrl (c))
            g_string_append_c (markup, ' ');
          else
            g_string_append_len (markup, p, g_utf8_next_char (p) - p);
        }
    }
  if (bold)
    g_string_append (markup, "</b>");
  return g_string_free (g_steal_pointer (&markup), FALSE);
}

static char *
hit_snippet_markup (GtkListItem      *item,
                    ConfabMessageHit *hit)
{
  if (hit == NULL)
    return NULL;
  return confab_search_dialog_snippet_to_markup (confab_message_hit_get_snippet (hit));
}

/* Searching */

typedef struct
{
  /* A weak reference: a dialog kept alive past its transient parent's end
   * would point at the freed parent. */
  GWeakRef        dialog;
  char           *path;
  char           *query;
  ConfabDatabase *reader;
  GPtrArray      *hits;
} SearchJob;

static void
search_job_free (gpointer data)
{
  SearchJob *job = data;

  g_weak_ref_clear (&job->dialog);
  g_clear_pointer (&job->path, g_free);
  g_clear_pointer (&job->query, g_free);
  g_clear_object (&job->reader);
  g_clear_pointer (&job->hits, g_ptr_array_unref);
  g_free (job);
}

static void
search_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  SearchJob *job = task_data;
  GError *error = NULL;

  /* Read-only: nothing is written, not even crash recovery. */
  if (job->reader == NULL)
    job->reader = confab_database_open_with_flags (job->path, CONFAB_DATABASE_OPEN_READ_ONLY,
                                                   &error);
  if (job->reader != NULL)
    job->hits = confab_message_search_hits (job->reader, job->query,
                                            CONFAB_SEARCH_DIALOG_MAX_RESULTS + 1, cancellable,
                                            &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void start_search (ConfabSearchDialog *self);

static void
set_searching (ConfabSearchDialog *self,
               gboolean            searching)
{
  if (self->searching == searching)
    return;
  self->searching = searching;
  if (!searching)
    {
      g_clear_handle_id (&self->spinner_source, g_source_remove);
      gtk_spinner_set_spinning (self->spinner, FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->spinner), FALSE);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCHING]);
}

static void
show_page (ConfabSearchDialog *self,
           const char         *name)
{
  gtk_stack_set_visible_child_name (self->stack, name);
  if (g_strcmp0 (name, "results") != 0)
    gtk_widget_set_visible (GTK_WIDGET (self->more_label), FALSE);
}

static void
show_hits (ConfabSearchDialog *self,
           GPtrArray          *hits)
{
  guint n = MIN (hits->len, CONFAB_SEARCH_DIALOG_MAX_RESULTS);

  g_list_store_splice (self->results, 0, g_list_model_get_n_items (G_LIST_MODEL (self->results)),
                       hits->pdata, n);
  if (n == 0)
    {
      show_page (self, "empty");
      return;
    }

  show_page (self, "results");
  gtk_single_selection_set_selected (self->selection, 0);
  gtk_widget_activate_action (GTK_WIDGET (self->results_view), "list.scroll-to-item", "u", 0);
  if (hits->len > n)
    {
      g_autofree char *text = g_strdup_printf (ngettext ("Showing the best %u result. Add words "
                                                         "to narrow the search.",
                                                         "Showing the best %u results. Add words "
                                                         "to narrow the search.",
                                                         n),
                                               n);
      gtk_label_set_text (self->more_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->more_label), hits->len > n);
}

static void
search_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  GTask *task = G_TASK (result);
  SearchJob *job = g_task_get_task_data (task);
  g_autoptr (ConfabSearchDialog) self = g_weak_ref_get (&job->dialog);
  g_autoptr (GError) error = NULL;
  gboolean latest;

  if (self == NULL)
    return;

  /* The connection comes back for the next search. */
  if (job->reader != NULL && self->reader == NULL && !self->closed)
    self->reader = g_steal_pointer (&job->reader);

  g_task_propagate_boolean (task, &error);
  if (self->closed)
    {
      self->searching = FALSE;
      return;
    }
  set_searching (self, FALSE);

  latest = !self->pending && g_strcmp0 (job->query, self->query) == 0;
  if (self->pending)
    {
      self->pending = FALSE;
      start_search (self);
    }
  if (!latest || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (error == NULL)
    show_hits (self, job->hits);
  else if (g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_INVALID))
    {
      g_debug ("Search refused: %s", error->message);
      show_page (self, "hint");
    }
  else
    {
      adw_status_page_set_description (self->error_page, error->message);
      show_page (self, "error");
    }
}

static gboolean
show_spinner_cb (gpointer user_data)
{
  ConfabSearchDialog *self = user_data;

  self->spinner_source = 0;
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), TRUE);
  gtk_spinner_set_spinning (self->spinner, TRUE);
  return G_SOURCE_REMOVE;
}

static void
start_search (ConfabSearchDialog *self)
{
  g_autoptr (GTask) task = NULL;
  SearchJob *job;

  g_assert (!self->searching);

  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  job = g_new0 (SearchJob, 1);
  g_weak_ref_init (&job->dialog, self);
  job->path = g_strdup (confab_database_get_path (self->database));
  job->query = g_strdup (self->query);
  job->reader = g_steal_pointer (&self->reader);

  task = g_task_new (NULL, self->cancellable, search_done_cb, NULL);
  g_task_set_source_tag (task, start_search);
  g_task_set_task_data (task, job, search_job_free);
  g_task_run_in_thread (task, search_thread);

  set_searching (self, TRUE);
  if (self->spinner_source == 0)
    self->spinner_source = g_timeout_add (SPINNER_DELAY_MS, show_spinner_cb, self);
}

static void
search_changed_cb (ConfabSearchDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  g_free (self->query);
  self->query = g_strdup (text);
  g_cancellable_cancel (self->cancellable);

  if (*stripped == '\0' || self->database == NULL)
    {
      self->pending = FALSE;
      g_list_store_remove_all (self->results);
      show_page (self, "initial");
      return;
    }

  if (self->searching)
    self->pending = TRUE;
  else
    start_search (self);
}

/* Keyboard: Up and Down move through the results from the search field,
 * Enter opens the selected one, Escape closes. */

static void
select_relative (ConfabSearchDialog *self,
                 int                 delta)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  guint selected = gtk_single_selection_get_selected (self->selection);
  guint position;

  if (n == 0)
    return;
  if (selected == GTK_INVALID_LIST_POSITION)
    position = delta > 0 ? 0 : n - 1;
  else
    position = (guint) CLAMP ((int) selected + delta, 0, (int) n - 1);
  gtk_single_selection_set_selected (self->selection, position);
  gtk_widget_activate_action (GTK_WIDGET (self->results_view), "list.scroll-to-item", "u",
                              position);
}

static gboolean
entry_key_pressed_cb (GtkEventControllerKey *controller,
                      guint                  keyval,
                      guint                  keycode,
                      GdkModifierType        state,
                      ConfabSearchDialog    *self)
{
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK | GDK_SHIFT_MASK))
    return GDK_EVENT_PROPAGATE;

  switch (keyval)
    {
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      select_relative (self, 1);
      return GDK_EVENT_STOP;
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      select_relative (self, -1);
      return GDK_EVENT_STOP;
    case GDK_KEY_Page_Down:
      select_relative (self, 8);
      return GDK_EVENT_STOP;
    case GDK_KEY_Page_Up:
      select_relative (self, -8);
      return GDK_EVENT_STOP;
    default:
      return GDK_EVENT_PROPAGATE;
    }
}

static void
activate_position (ConfabSearchDialog *self,
                   guint               position)
{
  g_autoptr (ConfabMessageHit) hit = NULL;

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "results") != 0)
    return;
  hit = g_list_model_get_item (G_LIST_MODEL (self->selection), position);
  if (hit == NULL)
    return;
  g_signal_emit (self, signals[OPEN_MESSAGE], 0,
                 confab_message_hit_get_conversation_id (hit),
                 confab_message_hit_get_message_id (hit));
}

static void
search_activate_cb (ConfabSearchDialog *self)
{
  activate_position (self, gtk_single_selection_get_selected (self->selection));
}

static void
results_activate_cb (ConfabSearchDialog *self,
                     guint               position)
{
  activate_position (self, position);
}

static void
stop_search_cb (ConfabSearchDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
select_next_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  select_relative (CONFAB_SEARCH_DIALOG (widget), 1);
}

static void
select_previous_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  select_relative (CONFAB_SEARCH_DIALOG (widget), -1);
}

static void
confab_search_dialog_real_open_message (ConfabSearchDialog *self,
                                        const char         *conversation_id,
                                        const char         *message_id)
{
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));

  if (parent != NULL)
    gtk_widget_activate_action (GTK_WIDGET (parent), "win.open-conversation", "(ss)",
                                conversation_id, message_id);
  gtk_window_close (GTK_WINDOW (self));
}

/* GObject */

static gboolean
confab_search_dialog_close_request (GtkWindow *window)
{
  ConfabSearchDialog *self = CONFAB_SEARCH_DIALOG (window);

  /* A running search ends by itself (cancelled) and finds the dialog
   * closed; its connection is closed with it. */
  self->closed = TRUE;
  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (confab_search_dialog_parent_class)->close_request (window);
}

static void
confab_search_dialog_dispose (GObject *object)
{
  ConfabSearchDialog *self = CONFAB_SEARCH_DIALOG (object);

  self->closed = TRUE;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->spinner_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_SEARCH_DIALOG);
  g_clear_object (&self->reader);
  g_clear_object (&self->database);

  G_OBJECT_CLASS (confab_search_dialog_parent_class)->dispose (object);
}

static void
confab_search_dialog_finalize (GObject *object)
{
  ConfabSearchDialog *self = CONFAB_SEARCH_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->query, g_free);

  G_OBJECT_CLASS (confab_search_dialog_parent_class)->finalize (object);
}

static void
confab_search_dialog_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  ConfabSearchDialog *self = CONFAB_SEARCH_DIALOG (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      g_value_set_object (value, self->database);
      break;
    case PROP_SEARCHING:
      g_value_set_boolean (value, self->searching);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_search_dialog_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  ConfabSearchDialog *self = CONFAB_SEARCH_DIALOG (object);

  switch (prop_id)
    {
    case PROP_DATABASE:
      self->database = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_search_dialog_class_init (ConfabSearchDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = confab_search_dialog_dispose;
  object_class->finalize = confab_search_dialog_finalize;
  object_class->get_property = confab_search_dialog_get_property;
  object_class->set_property = confab_search_dialog_set_property;

  window_class->close_request = confab_search_dialog_close_request;

  properties[PROP_DATABASE] =
    g_param_spec_object ("database", NULL, NULL,
                         CONFAB_TYPE_DATABASE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_SEARCHING] =
    g_param_spec_boolean ("searching", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * ConfabSearchDialog::open-message:
   * @self: the dialog
   * @conversation_id: the conversation of the chosen result
   * @message_id: the message found
   *
   * A result was activated. The default handler opens it in the window
   * the dialog belongs to and closes the dialog.
   */
  signals[OPEN_MESSAGE] =
    g_signal_new_class_handler ("open-message",
                                G_TYPE_FROM_CLASS (klass),
                                G_SIGNAL_RUN_LAST,
                                G_CALLBACK (confab_search_dialog_real_open_message),
                                NULL, NULL, NULL,
                                G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);

  g_type_ensure (CONFAB_TYPE_MESSAGE_HIT);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-search-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabSearchDialog, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabSearchDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, ConfabSearchDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabSearchDialog, results_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabSearchDialog, selection);
  gtk_widget_class_bind_template_child (widget_class, ConfabSearchDialog, results);
  gtk_widget_class_bind_template_child (widget_class, ConfabSearchDialog, error_page);
  gtk_widget_class_bind_template_child (widget_class, ConfabSearchDialog, more_label);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, results_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, hit_title);
  gtk_widget_class_bind_template_callback (widget_class, hit_author);
  gtk_widget_class_bind_template_callback (widget_class, hit_date);
  gtk_widget_class_bind_template_callback (widget_class, hit_snippet_markup);

  gtk_widget_class_install_action (widget_class, "search.select-next", NULL, select_next_action);
  gtk_widget_class_install_action (widget_class, "search.select-previous", NULL,
                                   select_previous_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_search_dialog_init (ConfabSearchDialog *self)
{
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));

  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (entry_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->search_entry), keys);
  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self));

  show_page (self, "initial");
}

/**
 * confab_search_dialog_new:
 * @parent: (nullable): the window results open in
 * @database: the workspace to search
 *
 * Returns: (transfer floating): a new search dialog
 */
ConfabSearchDialog *
confab_search_dialog_new (GtkWindow      *parent,
                          ConfabDatabase *database)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (CONFAB_IS_DATABASE (database), NULL);

  return g_object_new (CONFAB_TYPE_SEARCH_DIALOG,
                       "transient-for", parent,
                       "database", database,
                       NULL);
}

ConfabDatabase *
confab_search_dialog_get_database (ConfabSearchDialog *self)
{
  g_return_val_if_fail (CONFAB_IS_SEARCH_DIALOG (self), NULL);

  return self->database;
}

gboolean
confab_search_dialog_get_searching (ConfabSearchDialog *self)
{
  g_return_val_if_fail (CONFAB_IS_SEARCH_DIALOG (self), FALSE);

  return self->searching;
}

GtkEditable *
confab_search_dialog_get_entry (ConfabSearchDialog *self)
{
  g_return_val_if_fail (CONFAB_IS_SEARCH_DIALOG (self), NULL);

  return GTK_EDITABLE (self->search_entry);
}

GtkSingleSelection *
confab_search_dialog_get_selection (ConfabSearchDialog *self)
{
  g_return_val_if_fail (CONFAB_IS_SEARCH_DIALOG (self), NULL);

  return self->selection;
}

const char *
confab_search_dialog_get_page (ConfabSearchDialog *self)
{
  g_return_val_if_fail (CONFAB_IS_SEARCH_DIALOG (self), NULL);

  return gtk_stack_get_visible_child_name (self->stack);
}
