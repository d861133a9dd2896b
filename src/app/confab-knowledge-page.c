/* confab-knowledge-page.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "confab-acting-user.h"
#include "confab-document-row.h"
#include "confab-knowledge-base-row.h"
#include "confab-knowledge-importer.h"
#include "confab-knowledge-page.h"
#include "confab-retriever.h"

/* As many passages as an agent gets for a message (RETRIEVE_TOP_K in
 * confab-agent-runtime.c), so the search shows what it would be given. */
#define SEARCH_TOP_K 4

#define TITLE_MAX_CHARS 200

/* A knowledge base or a document deleted with an undo toast: hidden at
 * once, deleted for real when the toast goes away without Undo (or the page
 * or the workspace does). */
typedef struct
{
  GType           type;
  ConfabDatabase *db;
  char           *id;
  char           *actor_id;
  AdwToast       *toast;
  gboolean        undone;
} PendingDelete;

/* One file being added, with its progress row. */
typedef struct
{
  ConfabKnowledgePage *self;
  char                *kb_id;
  char                *name;
  GCancellable        *cancellable;
  GtkWidget           *row;
  GtkProgressBar      *bar;
} Import;

/* A search on its way; results of an older one are dropped. */
typedef struct
{
  ConfabKnowledgePage *self;
  guint                generation;
  char                *query;
  gboolean             has_embeddings;
} Search;

typedef enum
{
  LEAVE_TO_KB,
  LEAVE_TO_NEW,
} LeaveAction;

struct _ConfabKnowledgePage
{
  ConfabPage parent_instance;

  /* Template widgets */
  AdwLeaflet        *leaflet;
  GtkWidget         *list_pane;
  GtkWidget         *detail_pane;
  GtkStack          *list_stack;
  GtkListView       *list_view;
  AdwWindowTitle    *detail_title;
  GtkWidget         *save_button;
  GtkWidget         *delete_button;
  GtkStack          *detail_stack;
  GtkScrolledWindow *editor_scroller;
  AdwEntryRow       *title_row;
  AdwEntryRow       *description_row;
  AdwComboRow       *owner_row;
  GtkSwitch         *active_switch;
  GtkLabel          *details_error_label;
  GtkWidget         *embedding_box;
  AdwComboRow       *provider_row;
  AdwEntryRow       *model_row;
  GtkLabel          *embedding_error_label;
  GtkWidget         *documents_group;
  GtkListBox        *imports_list;
  GtkListBox        *documents_list;
  GtkWidget         *search_group;
  GtkSearchEntry    *search_entry;
  GtkLabel          *search_hint;
  GtkListBox        *results_list;
  GtkRevealer       *drop_revealer;
  AdwStatusPage     *drop_page;

  GListModel         *kbs;
  GtkCustomFilter    *filter;
  GtkFilterListModel *filtered;
  GtkSingleSelection *selection;
  GListModel         *documents;
  GtkCustomFilter    *documents_filter;
  GtkFilterListModel *documents_filtered;
  GPtrArray          *owner_ids;    /* char *, NULL first: "Nobody" */
  GPtrArray          *provider_ids; /* char *, NULL first: "None" */

  ConfabDatabase       *db; /* the one the handler below is on */
  gulong                changed_id;
  ConfabKnowledgeBase  *shown;     /* as stored; NULL for none or a new one */
  gboolean              editing;   /* the editor shows (shown, or a new one) */
  char                 *select_id; /* to select once the list has it */
  PendingDelete        *pending;
  GPtrArray            *imports; /* Import */
  GPtrArray            *toasts;  /* AdwToast: this page's, while shown or queued */
  GtkFileChooserNative *chooser;
  GCancellable         *search_cancellable;
  guint                 search_generation;
  gboolean              disposed;
  guint                 loading : 1;
  guint                 selecting : 1;
};

G_DEFINE_FINAL_TYPE (ConfabKnowledgePage, confab_knowledge_page, CONFAB_TYPE_PAGE)

static void show_kb (ConfabKnowledgePage *self, const char *id, gboolean navigate);
static void update_header (ConfabKnowledgePage *self);

/* The drop hint covers the detail while files are dragged over the page. */
static const char knowledge_css[] = ".confab-drop-hint {"
                                    "  background-color: alpha(@view_bg_color, 0.94);"
                                    "  border: 2px dashed alpha(@accent_color, 0.8);"
                                    "  border-radius: 12px;"
                                    "  margin: 12px;"
                                    "}";

static void
ensure_style (void)
{
  static GdkDisplay *styled;
  GdkDisplay        *display = gdk_display_get_default ();
  g_autoptr (GtkCssProvider) provider = NULL;

  if (display == NULL || display == styled)
    return;
  styled = display;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (provider, knowledge_css, -1);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

static const char *
shown_id (ConfabKnowledgePage *self)
{
  return self->shown != NULL ? id_of (self->shown) : NULL;
}

static gboolean
is_pending_delete (ConfabKnowledgePage *self, GType type, const char *id)
{
  return self->pending != NULL && !self->pending->undone && self->pending->type == type &&
         g_strcmp0 (self->pending->id, id) == 0;
}

/* Toasts
 *
 * The page keeps its own toasts so that it can dismiss them before an undo
 * toast: libadwaita 1.2 aborts when a toast an undo toast pushed back into
 * the queue comes back while it is still being hidden (an Undo within the
 * hide animation). */

static void
toast_gone_cb (AdwToast *toast, ConfabKnowledgePage *self)
{
  g_signal_handlers_disconnect_by_func (toast, toast_gone_cb, self);
  g_ptr_array_remove (self->toasts, toast);
}

static void
add_toast (ConfabKnowledgePage *self, const char *message, gboolean error)
{
  g_autofree char *markup = g_markup_escape_text (message, -1);
  AdwToast        *toast = adw_toast_new (markup);

  /* Errors stay until dismissed: they may need reading twice. */
  if (error)
    adw_toast_set_timeout (toast, 0);
  g_ptr_array_add (self->toasts, toast);
  g_signal_connect (toast, "dismissed", G_CALLBACK (toast_gone_cb), self);
  confab_page_add_toast (CONFAB_PAGE (self), g_object_ref (toast));
}

static void
page_toast (ConfabKnowledgePage *self, const char *message)
{
  add_toast (self, message, FALSE);
}

static void
page_toast_error (ConfabKnowledgePage *self, const GError *error)
{
  add_toast (self, error->message, TRUE);
}

static void
dismiss_toasts (ConfabKnowledgePage *self)
{
  while (self->toasts->len > 0)
    {
      g_autoptr (AdwToast) toast = g_object_ref (g_ptr_array_index (self->toasts, 0));

      toast_gone_cb (toast, self);
      adw_toast_dismiss (toast);
    }
}

/* Snippets */

/* A word as the search compares it (FTS5's unicode61 with
 * remove_diacritics): case folded, accents dropped. */
static char *
fold_word (const char *word, gssize len)
{
  g_autofree char *folded = g_utf8_casefold (word, len);
  g_autofree char *decomposed = g_utf8_normalize (folded, -1, G_NORMALIZE_NFD);
  GString         *out = g_string_new (NULL);

  for (const char *p = decomposed; p != NULL && *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (!g_unichar_ismark (c))
        g_string_append_unichar (out, c);
    }
  return g_string_free (out, FALSE);
}

static gboolean
is_word_char (const char *p)
{
  return g_unichar_isalnum (g_utf8_get_char (p));
}

static void
append_escaped (GString *out, const char *text, gsize len)
{
  g_autofree char *escaped = g_markup_escape_text (text, len);

  g_string_append (out, escaped);
}

char *
confab_knowledge_page_snippet_markup (const char *snippet, const char *query)
{
  g_autoptr (GHashTable) terms = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GString    *out = g_string_new (NULL);
  const char *p;

  g_return_val_if_fail (snippet != NULL, NULL);

  for (p = query != NULL ? query : ""; *p != '\0';)
    {
      const char *start;

      while (*p != '\0' && !is_word_char (p))
        p = g_utf8_next_char (p);
      start = p;
      while (*p != '\0' && is_word_char (p))
        p = g_utf8_next_char (p);
      if (p > start)
        g_hash_table_add (terms, fold_word (start, p - start));
    }

  for (p = snippet; *p != '\0';)
    {
      const char *start = p;

      if (is_word_char (p))
        {
          g_autofree char *folded = NULL;

          while (*p != '\0' && is_word_char (p))
            p = g_utf8_next_char (p);
          folded = fold_word (start, p - start);
          if (g_hash_table_contains (terms, folded))
            {
              g_string_append (out, "<b>");
              append_escaped (out, start, p - start);
              g_string_append (out, "</b>");
            }
          else
            append_escaped (out, start, p - start);
        }
      else
        {
          while (*p != '\0' && !is_word_char (p))
            p = g_utf8_next_char (p);
          append_escaped (out, start, p - start);
        }
    }
  return g_string_free (out, FALSE);
}

/* The list */

static gboolean
filter_func (gpointer item, gpointer user_data)
{
  ConfabKnowledgePage *self = user_data;

  return !is_pending_delete (self, CONFAB_TYPE_KNOWLEDGE_BASE, id_of (item));
}

static gboolean
documents_filter_func (gpointer item, gpointer user_data)
{
  ConfabKnowledgePage *self = user_data;

  return !is_pending_delete (self, CONFAB_TYPE_DOCUMENT, id_of (item));
}

static guint
find_position (GListModel *model, const char *id)
{
  guint n = model != NULL ? g_list_model_get_n_items (model) : 0;

  for (guint i = 0; id != NULL && i < n; i++)
    {
      g_autoptr (ConfabEntity) entity = g_list_model_get_item (model, i);

      if (g_strcmp0 (confab_entity_get_id (entity), id) == 0)
        return i;
    }
  return GTK_INVALID_LIST_POSITION;
}

/* The list's selection without it meaning "show this". */
static void
select_quietly (ConfabKnowledgePage *self, const char *id)
{
  guint position = find_position (G_LIST_MODEL (self->filtered), id);

  self->selecting = TRUE;
  if (position == GTK_INVALID_LIST_POSITION)
    gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
  else
    gtk_single_selection_set_selected (self->selection, position);
  self->selecting = FALSE;
}

static void
update_list_state (ConfabKnowledgePage *self)
{
  gboolean any = g_list_model_get_n_items (G_LIST_MODEL (self->filtered)) > 0;

  gtk_stack_set_visible_child_name (self->list_stack, any ? "list" : "empty");
}

static void
filtered_changed_cb (ConfabKnowledgePage *self)
{
  update_list_state (self);
  if (self->select_id != NULL &&
      find_position (G_LIST_MODEL (self->filtered), self->select_id) != GTK_INVALID_LIST_POSITION)
    {
      g_autofree char *id = g_steal_pointer (&self->select_id);

      select_quietly (self, id);
    }
  else
    select_quietly (self, shown_id (self));
}

static void
refresh_rows_in (GtkWidget *widget)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (CONFAB_IS_KNOWLEDGE_BASE_ROW (child))
        confab_knowledge_base_row_refresh (CONFAB_KNOWLEDGE_BASE_ROW (child));
      else
        refresh_rows_in (child);
    }
}

/* The editor's fields */

static char *
dup_entry_text (AdwEntryRow *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

static const char *
selected_id (AdwComboRow *row, GPtrArray *ids)
{
  guint selected = adw_combo_row_get_selected (row);

  if (ids == NULL || selected == GTK_INVALID_LIST_POSITION || selected >= ids->len)
    return NULL;
  return g_ptr_array_index (ids, selected);
}

static void
select_id (AdwComboRow *row, GPtrArray *ids, const char *id)
{
  guint position = 0;

  for (guint i = 0; ids != NULL && i < ids->len; i++)
    if (g_strcmp0 (g_ptr_array_index (ids, i), id) == 0)
      {
        position = i;
        break;
      }
  adw_combo_row_set_selected (row, position);
}

/* Fills a combo with "none" and the workspace's users or providers,
 * keeping what it had selected. */
static void
fill_combo (ConfabKnowledgePage *self,
            AdwComboRow         *row,
            GPtrArray          **ids,
            GType                type,
            const char          *none_label)
{
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  g_autoptr (GPtrArray) items = NULL;
  g_autofree char *keep = g_strdup (selected_id (row, *ids));
  gboolean         was_loading = self->loading;

  g_clear_pointer (ids, g_ptr_array_unref);
  *ids = g_ptr_array_new_with_free_func (g_free);
  gtk_string_list_append (names, none_label);
  g_ptr_array_add (*ids, NULL);
  if (self->db != NULL)
    items = confab_repository_list (self->db, type, NULL, NULL, NULL);
  for (guint i = 0; items != NULL && i < items->len; i++)
    {
      gpointer    item = g_ptr_array_index (items, i);
      const char *name;

      if (CONFAB_IS_USER (item))
        {
          name = confab_user_get_name (item);
          if (!is_set (name))
            name = confab_user_get_username (item);
        }
      else
        name = confab_provider_get_name (item);
      gtk_string_list_append (names, name != NULL ? name : "");
      g_ptr_array_add (*ids, g_strdup (id_of (item)));
    }

  self->loading = TRUE;
  adw_combo_row_set_model (row, G_LIST_MODEL (names));
  select_id (row, *ids, keep);
  self->loading = was_loading;
}

static void
fill_owners (ConfabKnowledgePage *self)
{
  fill_combo (self, self->owner_row, &self->owner_ids, CONFAB_TYPE_USER,
              C_ ("knowledge base owner", "Nobody"));
}

static void
fill_providers (ConfabKnowledgePage *self)
{
  fill_combo (self, self->provider_row, &self->provider_ids, CONFAB_TYPE_PROVIDER,
              C_ ("embedding provider", "None"));
}

static void
set_row_error (GtkWidget *row, gboolean error)
{
  if (error)
    gtk_widget_add_css_class (row, "error");
  else
    gtk_widget_remove_css_class (row, "error");
}

static void
show_error_label (GtkLabel *label, const char *message)
{
  gtk_label_set_text (label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (label), message != NULL);
}

/* Checks the fields as the repository will; the reasons are nullable out. */
static gboolean
check_fields (ConfabKnowledgePage *self, const char **out_title_error, const char **out_model_error)
{
  g_autofree char *title = dup_entry_text (self->title_row);
  g_autofree char *model = dup_entry_text (self->model_row);
  const char      *title_error = NULL;
  const char      *model_error = NULL;

  if (*title == '\0')
    title_error = _ ("A knowledge base needs a title");
  else if (g_utf8_strlen (title, -1) > TITLE_MAX_CHARS)
    title_error = _ ("The title is longer than 200 characters");
  if (selected_id (self->provider_row, self->provider_ids) != NULL && *model == '\0')
    model_error = _ ("Name the provider’s model that makes the vectors, or choose no provider");
  else if (g_utf8_strlen (model, -1) > CONFAB_KNOWLEDGE_BASE_MAX_MODEL_CHARS)
    model_error = _ ("The model name is longer than 200 characters");

  if (out_title_error != NULL)
    *out_title_error = title_error;
  if (out_model_error != NULL)
    *out_model_error = model_error;
  return title_error == NULL && model_error == NULL;
}

/* The same, saying why on the fields. */
static gboolean
validate (ConfabKnowledgePage *self)
{
  const char *title_error = NULL;
  const char *model_error = NULL;
  gboolean    valid = check_fields (self, &title_error, &model_error);

  set_row_error (GTK_WIDGET (self->title_row), title_error != NULL);
  set_row_error (GTK_WIDGET (self->model_row), model_error != NULL);
  show_error_label (self->details_error_label, title_error);
  show_error_label (self->embedding_error_label, model_error);
  return valid;
}

static gboolean
is_dirty (ConfabKnowledgePage *self)
{
  g_autofree char     *title = NULL;
  g_autofree char     *description = NULL;
  g_autofree char     *model = NULL;
  ConfabKnowledgeBase *kb = self->shown;

  if (!self->editing)
    return FALSE;

  title = dup_entry_text (self->title_row);
  description = dup_entry_text (self->description_row);
  model = dup_entry_text (self->model_row);
  /* A new one holds something once anything was typed. */
  if (kb == NULL)
    return *title != '\0' || *description != '\0' || *model != '\0';
  return g_strcmp0 (title, confab_knowledge_base_get_title (kb)) != 0 ||
         g_strcmp0 (description, is_set (confab_knowledge_base_get_description (kb))
                                     ? confab_knowledge_base_get_description (kb)
                                     : "") != 0 ||
         g_strcmp0 (selected_id (self->owner_row, self->owner_ids),
                    is_set (confab_knowledge_base_get_owner_id (kb))
                        ? confab_knowledge_base_get_owner_id (kb)
                        : NULL) != 0 ||
         gtk_switch_get_active (self->active_switch) != confab_knowledge_base_get_is_active (kb) ||
         g_strcmp0 (selected_id (self->provider_row, self->provider_ids),
                    is_set (confab_knowledge_base_get_embedding_provider_id (kb))
                        ? confab_knowledge_base_get_embedding_provider_id (kb)
                        : NULL) != 0 ||
         g_strcmp0 (model, is_set (confab_knowledge_base_get_embedding_model (kb))
                               ? confab_knowledge_base_get_embedding_model (kb)
                               : "") != 0;
}

static void
field_changed_cb (ConfabKnowledgePage *self)
{
  if (self->loading)
    return;
  validate (self);
  update_header (self);
}

static void
update_header (ConfabKnowledgePage *self)
{
  gboolean         dirty = is_dirty (self);
  gboolean         saved = self->editing && self->shown != NULL;
  g_autofree char *title = NULL;

  if (!self->editing)
    title = g_strdup ("");
  else if (self->shown != NULL)
    title = g_strdup (confab_knowledge_base_get_title (self->shown));
  else
    title = g_strdup (_ ("New Knowledge Base"));
  adw_window_title_set_title (self->detail_title, title);
  adw_window_title_set_subtitle (self->detail_title, dirty && saved ? _ ("Unsaved changes") : NULL);
  gtk_widget_set_visible (self->save_button, self->editing);
  gtk_widget_set_visible (self->delete_button, saved);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "knowledge.save",
                                 self->editing && dirty && check_fields (self, NULL, NULL));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "knowledge.delete", saved);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "knowledge.import", saved);
  /* Documents and search belong to a saved knowledge base. */
  gtk_widget_set_visible (self->documents_group, saved);
  gtk_widget_set_visible (self->search_group, saved);
}

static void
load_editor (ConfabKnowledgePage *self, ConfabKnowledgeBase *kb)
{
  g_autofree char *acting_id = NULL;
  const char      *text;

  self->loading = TRUE;
  text = kb != NULL ? confab_knowledge_base_get_title (kb) : "";
  gtk_editable_set_text (GTK_EDITABLE (self->title_row), text != NULL ? text : "");
  text = kb != NULL ? confab_knowledge_base_get_description (kb) : "";
  gtk_editable_set_text (GTK_EDITABLE (self->description_row), text != NULL ? text : "");
  if (kb != NULL)
    select_id (self->owner_row, self->owner_ids, confab_knowledge_base_get_owner_id (kb));
  else
    {
      /* A new knowledge base is the acting user's. */
      acting_id = self->db != NULL ? confab_acting_user_dup_id (self->db) : NULL;
      select_id (self->owner_row, self->owner_ids, acting_id);
    }
  gtk_switch_set_active (self->active_switch,
                         kb != NULL ? confab_knowledge_base_get_is_active (kb) : TRUE);
  select_id (self->provider_row, self->provider_ids,
             kb != NULL ? confab_knowledge_base_get_embedding_provider_id (kb) : NULL);
  text = kb != NULL ? confab_knowledge_base_get_embedding_model (kb) : "";
  gtk_editable_set_text (GTK_EDITABLE (self->model_row), text != NULL ? text : "");
  self->loading = FALSE;

  if (kb != NULL)
    validate (self);
  else
    {
      /* No complaint before the first keystroke. */
      set_row_error (GTK_WIDGET (self->title_row), FALSE);
      set_row_error (GTK_WIDGET (self->model_row), FALSE);
      show_error_label (self->details_error_label, NULL);
      show_error_label (self->embedding_error_label, NULL);
    }
}

/* Documents and imports */

static void document_delete_requested_cb (ConfabDocumentRow *row, ConfabKnowledgePage *self);

static GtkWidget *
create_document_row_cb (gpointer item, gpointer user_data)
{
  ConfabKnowledgePage *self = user_data;
  GtkWidget           *row = confab_document_row_new (self->db, item);

  g_signal_connect_object (row, "delete-requested", G_CALLBACK (document_delete_requested_cb), self,
                           0);
  return row;
}

static gboolean
import_filter_func (GtkListBoxRow *row, gpointer user_data)
{
  ConfabKnowledgePage *self = user_data;

  return self->shown != NULL &&
         g_strcmp0 (g_object_get_data (G_OBJECT (row), "kb-id"), shown_id (self)) == 0;
}

static void
update_imports_visible (ConfabKnowledgePage *self)
{
  gboolean any = FALSE;

  for (guint i = 0; self->imports != NULL && i < self->imports->len; i++)
    {
      Import *import = g_ptr_array_index (self->imports, i);

      any = any || g_strcmp0 (import->kb_id, shown_id (self)) == 0;
    }
  gtk_list_box_invalidate_filter (self->imports_list);
  gtk_widget_set_visible (GTK_WIDGET (self->imports_list), any);
}

static void
set_documents (ConfabKnowledgePage *self, const char *kb_id)
{
  g_clear_object (&self->documents);
  if (self->db != NULL && kb_id != NULL)
    self->documents =
        confab_repository_list_model (self->db, CONFAB_TYPE_DOCUMENT, "knowledge_base_id", kb_id);
  gtk_filter_list_model_set_model (self->documents_filtered, self->documents);
  gtk_list_box_bind_model (self->documents_list,
                           self->documents != NULL ? G_LIST_MODEL (self->documents_filtered) : NULL,
                           create_document_row_cb, self, NULL);
  update_imports_visible (self);
}

/* Search */

static void
clear_results (ConfabKnowledgePage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->results_list))) != NULL)
    gtk_list_box_remove (self->results_list, child);
}

static void
show_hint (ConfabKnowledgePage *self, const char *text, gboolean error)
{
  gtk_label_set_text (self->search_hint, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->search_hint), text != NULL);
  if (error)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->search_hint), "error");
      gtk_widget_remove_css_class (GTK_WIDGET (self->search_hint), "dim-label");
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->search_hint), "error");
      gtk_widget_add_css_class (GTK_WIDGET (self->search_hint), "dim-label");
    }
}

static void
reset_search (ConfabKnowledgePage *self)
{
  if (self->search_cancellable != NULL)
    g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  self->search_generation++;
  clear_results (self);
  gtk_widget_set_visible (GTK_WIDGET (self->results_list), FALSE);
  show_hint (self, NULL, FALSE);
}

static void
search_free (Search *search)
{
  g_object_unref (search->self);
  g_free (search->query);
  g_free (search);
}

static GtkWidget *
result_row_new (ConfabRetrievedChunk *chunk, const char *query)
{
  GtkWidget       *row = adw_action_row_new ();
  GtkWidget       *rank;
  g_autofree char *markup = confab_knowledge_page_snippet_markup (chunk->snippet, query);
  g_autofree char *subtitle = NULL;
  g_autofree char *number = g_strdup_printf ("%u", chunk->rank);

  /* Translators: where a passage comes from: a file name and the
   * passage's number in it */
  subtitle = g_strdup_printf (_ ("%s · passage %d"), chunk->filename, chunk->ordinal + 1);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), TRUE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), markup);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 1);
  /* The file name is not markup. */
  {
    g_autofree char *escaped = g_markup_escape_text (subtitle, -1);

    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), escaped);
  }
  rank = gtk_label_new (number);
  gtk_widget_set_valign (rank, GTK_ALIGN_START);
  gtk_widget_add_css_class (rank, "heading");
  gtk_widget_add_css_class (rank, "numeric");
  gtk_widget_add_css_class (rank, "accent");
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), rank);
  g_object_set_data_full (G_OBJECT (row), "chunk-id", g_strdup (chunk->chunk_id), g_free);
  g_object_set_data_full (G_OBJECT (row), "markup", g_steal_pointer (&markup), g_free);
  return row;
}

static void
search_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Search              *search = user_data;
  ConfabKnowledgePage *self = search->self;
  g_autoptr (GPtrArray) chunks = NULL;
  g_autoptr (GError) warning = NULL;
  g_autoptr (GError) error = NULL;
  gboolean used_vectors = FALSE;

  chunks = confab_knowledge_retrieve_finish (result, &used_vectors, &warning, &error);
  if (self->disposed || search->generation != self->search_generation)
    {
      search_free (search);
      return;
    }
  g_clear_object (&self->search_cancellable);

  clear_results (self);
  if (chunks == NULL)
    {
      g_autofree char *hint = NULL;

      /* Translators: %s says why the search failed */
      hint = g_strdup_printf (_ ("This search could not be run: %s"), error->message);
      show_hint (self, hint, TRUE);
      gtk_widget_set_visible (GTK_WIDGET (self->results_list), FALSE);
      search_free (search);
      return;
    }

  if (warning != NULL && search->has_embeddings)
    {
      g_autofree char *hint = NULL;

      /* Translators: %s says why the embedding model was not used */
      hint = g_strdup_printf (_ ("Found by words only: %s"), warning->message);
      show_hint (self, hint, FALSE);
    }
  else if (chunks->len == 0)
    show_hint (self,
               _ ("No passage has these words: an agent would answer without this "
                  "knowledge base"),
               FALSE);
  else
    show_hint (self, NULL, FALSE);

  for (guint i = 0; i < chunks->len; i++)
    gtk_list_box_append (self->results_list,
                         result_row_new (g_ptr_array_index (chunks, i), search->query));
  gtk_widget_set_visible (GTK_WIDGET (self->results_list), chunks->len > 0);
  search_free (search);
}

static void
run_search (ConfabKnowledgePage *self)
{
  const char         *query = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  const char         *kb_ids[2] = { NULL, NULL };
  ConfabAgentRuntime *runtime = confab_page_get_runtime (CONFAB_PAGE (self));
  Search             *search;

  reset_search (self);
  if (self->db == NULL || self->shown == NULL || !is_set (query))
    return;

  kb_ids[0] = shown_id (self);
  search = g_new0 (Search, 1);
  search->self = g_object_ref (self);
  search->generation = self->search_generation;
  search->query = g_strdup (query);
  search->has_embeddings = is_set (confab_knowledge_base_get_embedding_provider_id (self->shown));
  self->search_cancellable = g_cancellable_new ();
  confab_knowledge_retrieve_async (
      self->db, runtime != NULL ? confab_agent_runtime_get_secret_store (runtime) : NULL, kb_ids,
      query, SEARCH_TOP_K, self->search_cancellable, search_done_cb, search);
}

static void
search_changed_cb (ConfabKnowledgePage *self)
{
  run_search (self);
}

/* Showing a knowledge base */

static void
show_nothing (ConfabKnowledgePage *self)
{
  g_clear_object (&self->shown);
  self->editing = FALSE;
  set_documents (self, NULL);
  reset_search (self);
  gtk_stack_set_visible_child_name (self->detail_stack, "empty");
  select_quietly (self, NULL);
  update_header (self);
}

static void
show_kb (ConfabKnowledgePage *self, const char *id, gboolean navigate)
{
  g_autoptr (ConfabKnowledgeBase) kb = NULL;
  g_autoptr (GError) error = NULL;
  gboolean same = g_strcmp0 (id, shown_id (self)) == 0;

  if (self->db == NULL)
    return;
  /* Fresh from the workspace rather than the list's object, which a reload
   * may be about to change. */
  kb = confab_repository_get (self->db, CONFAB_TYPE_KNOWLEDGE_BASE, id, &error);
  if (kb == NULL)
    {
      page_toast_error (self, error);
      show_nothing (self);
      return;
    }
  g_set_object (&self->shown, kb);
  self->editing = TRUE;
  load_editor (self, kb);
  if (!same)
    {
      set_documents (self, id);
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      reset_search (self);
      gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->editor_scroller), 0);
    }
  gtk_stack_set_visible_child_name (self->detail_stack, "editor");
  select_quietly (self, id);
  update_header (self);
  if (navigate)
    adw_leaflet_set_visible_child (self->leaflet, self->detail_pane);
}

static void
show_new (ConfabKnowledgePage *self)
{
  g_clear_object (&self->shown);
  self->editing = TRUE;
  set_documents (self, NULL);
  reset_search (self);
  load_editor (self, NULL);
  gtk_stack_set_visible_child_name (self->detail_stack, "editor");
  select_quietly (self, NULL);
  update_header (self);
  adw_leaflet_set_visible_child (self->leaflet, self->detail_pane);
  gtk_widget_grab_focus (GTK_WIDGET (self->title_row));
}

/* Saving */

static gboolean
save (ConfabKnowledgePage *self)
{
  g_autoptr (ConfabKnowledgeBase) kb = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *actor_id = NULL;
  g_autofree char *title = NULL;
  g_autofree char *description = NULL;
  g_autofree char *model = NULL;
  g_autofree char *message = NULL;
  gboolean         created;

  if (self->db == NULL || !self->editing)
    return FALSE;
  if (!is_dirty (self))
    return TRUE;
  if (!validate (self))
    {
      page_toast (self, gtk_widget_get_visible (GTK_WIDGET (self->details_error_label))
                            ? gtk_label_get_text (self->details_error_label)
                            : gtk_label_get_text (self->embedding_error_label));
      return FALSE;
    }

  title = dup_entry_text (self->title_row);
  description = dup_entry_text (self->description_row);
  model = dup_entry_text (self->model_row);
  created = self->shown == NULL;
  if (created)
    kb = confab_knowledge_base_new (title);
  else
    {
      kb = confab_repository_get (self->db, CONFAB_TYPE_KNOWLEDGE_BASE, shown_id (self), &error);
      if (kb == NULL)
        {
          page_toast_error (self, error);
          return FALSE;
        }
      confab_knowledge_base_set_title (kb, title);
    }
  confab_knowledge_base_set_description (kb, is_set (description) ? description : NULL);
  confab_knowledge_base_set_owner_id (kb, selected_id (self->owner_row, self->owner_ids));
  confab_knowledge_base_set_is_active (kb, gtk_switch_get_active (self->active_switch));
  confab_knowledge_base_set_embedding_provider_id (
      kb, selected_id (self->provider_row, self->provider_ids));
  confab_knowledge_base_set_embedding_model (kb, is_set (model) ? model : NULL);

  actor_id = confab_acting_user_dup_id (self->db);
  if (!(created ? confab_repository_create (self->db, CONFAB_ENTITY (kb), actor_id, &error)
                : confab_repository_update (self->db, CONFAB_ENTITY (kb), actor_id, &error)))
    {
      /* The repository names the field; the toast makes sure Ctrl+S is answered. */
      show_error_label (self->details_error_label, error->message);
      page_toast_error (self, error);
      return FALSE;
    }

  if (created)
    {
      /* The list has it after its next reload. */
      g_free (self->select_id);
      self->select_id = g_strdup (id_of (kb));
    }
  show_kb (self, id_of (kb), FALSE);
  /* Translators: %s is a knowledge base's title */
  message = g_strdup_printf (_ ("“%s” saved"), confab_knowledge_base_get_title (kb));
  page_toast (self, message);
  return TRUE;
}

static void
save_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  save (CONFAB_KNOWLEDGE_PAGE (widget));
}

/* Leaving unsaved changes */

typedef struct
{
  ConfabKnowledgePage *self;
  LeaveAction          action;
  char                *id;
} Leave;

static void
leave_free (Leave *leave)
{
  g_object_unref (leave->self);
  g_free (leave->id);
  g_free (leave);
}

static void
leave_now (ConfabKnowledgePage *self, LeaveAction action, const char *id)
{
  if (action == LEAVE_TO_NEW)
    show_new (self);
  else if (id != NULL)
    show_kb (self, id, adw_leaflet_get_folded (self->leaflet));
  else
    show_nothing (self);
}

static void
leave_response_cb (AdwMessageDialog *dialog, const char *response, Leave *leave)
{
  ConfabKnowledgePage *self = leave->self;

  if (g_strcmp0 (response, "save") == 0)
    {
      if (save (self))
        leave_now (self, leave->action, leave->id);
      else
        select_quietly (self, shown_id (self));
    }
  else if (g_strcmp0 (response, "discard") == 0)
    leave_now (self, leave->action, leave->id);
  else
    select_quietly (self, shown_id (self));
  leave_free (leave);
}

/* Goes on at once when nothing is unsaved; otherwise asks. */
static void
leave (ConfabKnowledgePage *self, LeaveAction action, const char *id)
{
  GtkRoot          *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autofree char  *body = NULL;
  g_autofree char  *title = NULL;
  AdwMessageDialog *dialog;
  Leave            *data;

  if (!is_dirty (self))
    {
      leave_now (self, action, id);
      return;
    }

  title = dup_entry_text (self->title_row);
  /* Translators: %s is a knowledge base's title */
  body = g_strdup_printf (_ ("The changes to “%s” are not saved yet."),
                          *title != '\0' ? title : _ ("New Knowledge Base"));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
      GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, _ ("Save Changes?"), body));
  adw_message_dialog_add_responses (dialog, "cancel", _ ("_Cancel"), "discard", _ ("_Discard"),
                                    "save", _ ("_Save"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "discard", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_response_appearance (dialog, "save", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "save");
  adw_message_dialog_set_close_response (dialog, "cancel");
  if (!check_fields (self, NULL, NULL))
    adw_message_dialog_set_response_enabled (dialog, "save", FALSE);

  data = g_new0 (Leave, 1);
  data->self = g_object_ref (self);
  data->action = action;
  data->id = g_strdup (id);
  g_signal_connect (dialog, "response", G_CALLBACK (leave_response_cb), data);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
selection_changed_cb (ConfabKnowledgePage *self)
{
  ConfabKnowledgeBase *kb;

  if (self->selecting)
    return;
  kb = gtk_single_selection_get_selected_item (self->selection);
  if (kb == NULL || g_strcmp0 (id_of (kb), shown_id (self)) == 0)
    return;
  leave (self, LEAVE_TO_KB, id_of (kb));
}

static void
list_activated_cb (ConfabKnowledgePage *self, guint position)
{
  g_autoptr (ConfabKnowledgeBase) kb =
      g_list_model_get_item (G_LIST_MODEL (self->filtered), position);

  if (kb == NULL)
    return;
  if (g_strcmp0 (id_of (kb), shown_id (self)) == 0)
    adw_leaflet_set_visible_child (self->leaflet, self->detail_pane);
  else
    gtk_single_selection_set_selected (self->selection, position);
}

static void
add_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabKnowledgePage *self = CONFAB_KNOWLEDGE_PAGE (widget);

  if (self->db == NULL)
    return;
  leave (self, LEAVE_TO_NEW, NULL);
}

static void
detail_back_clicked_cb (ConfabKnowledgePage *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

/* Deleting, with an undo toast */

static void
pending_delete_free (PendingDelete *pending)
{
  if (pending->toast != NULL)
    g_signal_handlers_disconnect_by_data (pending->toast, pending);
  g_clear_object (&pending->toast);
  g_clear_object (&pending->db);
  g_free (pending->id);
  g_free (pending->actor_id);
  g_free (pending);
}

static void
refilter (ConfabKnowledgePage *self, GType type, GtkFilterChange change)
{
  if (type == CONFAB_TYPE_KNOWLEDGE_BASE)
    gtk_filter_changed (GTK_FILTER (self->filter), change);
  else
    gtk_filter_changed (GTK_FILTER (self->documents_filter), change);
}

/* The toast went without Undo: the deletion happens. */
static void
commit_delete (ConfabKnowledgePage *self)
{
  PendingDelete *pending = g_steal_pointer (&self->pending);
  g_autoptr (GError) error = NULL;

  if (pending == NULL)
    return;
  if (!pending->undone &&
      !confab_repository_delete (pending->db, pending->type, pending->id, pending->actor_id,
                                 &error) &&
      !g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    /* It shows again, since it is still there. */
    page_toast_error (self, error);
  if (!self->disposed)
    refilter (self, pending->type, GTK_FILTER_CHANGE_LESS_STRICT);
  pending_delete_free (pending);
}

/* The deletion waiting for its toast happens now, and the toast goes. */
static void
flush_delete (ConfabKnowledgePage *self)
{
  g_autoptr (AdwToast) toast = NULL;

  if (self->pending == NULL)
    return;
  toast = self->pending->toast != NULL ? g_object_ref (self->pending->toast) : NULL;
  commit_delete (self);
  if (toast != NULL)
    adw_toast_dismiss (toast);
}

static void
toast_dismissed_cb (AdwToast *toast, ConfabKnowledgePage *self)
{
  if (self->pending != NULL && self->pending->toast == toast)
    commit_delete (self);
}

static void
undo_delete (ConfabKnowledgePage *self)
{
  g_autofree char *id = NULL;
  g_autoptr (AdwToast) toast = NULL;
  GType type;

  if (self->pending == NULL)
    return;
  self->pending->undone = TRUE;
  id = g_strdup (self->pending->id);
  type = self->pending->type;
  toast = self->pending->toast != NULL ? g_object_ref (self->pending->toast) : NULL;
  refilter (self, type, GTK_FILTER_CHANGE_LESS_STRICT);
  if (toast != NULL)
    adw_toast_dismiss (toast); /* commit_delete () then forgets it, undone */
  commit_delete (self);
  if (type == CONFAB_TYPE_KNOWLEDGE_BASE)
    show_kb (self, id, FALSE);
}

static void
undo_clicked_cb (AdwToast *toast, ConfabKnowledgePage *self)
{
  undo_delete (self);
}

static void
undo_delete_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  undo_delete (CONFAB_KNOWLEDGE_PAGE (widget));
}

static void
delete_later (ConfabKnowledgePage *self, GType type, const char *id, const char *name)
{
  g_autofree char *title = NULL;
  g_autofree char *markup = NULL;
  PendingDelete   *pending;

  /* One undo at a time: an earlier deletion goes through now. */
  flush_delete (self);
  dismiss_toasts (self);

  pending = g_new0 (PendingDelete, 1);
  pending->type = type;
  pending->db = g_object_ref (self->db);
  pending->id = g_strdup (id);
  pending->actor_id = confab_acting_user_dup_id (self->db);
  /* Translators: %s is a knowledge base's title or a file name */
  title = g_strdup_printf (_ ("“%s” deleted"), name);
  markup = g_markup_escape_text (title, -1);
  pending->toast = adw_toast_new (markup);
  adw_toast_set_button_label (pending->toast, _ ("_Undo"));
  adw_toast_set_priority (pending->toast, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect (pending->toast, "button-clicked", G_CALLBACK (undo_clicked_cb), self);
  g_signal_connect (pending->toast, "dismissed", G_CALLBACK (toast_dismissed_cb), self);
  self->pending = pending;

  refilter (self, type, GTK_FILTER_CHANGE_MORE_STRICT);
  confab_page_add_toast (CONFAB_PAGE (self), g_object_ref (pending->toast));
}

static void
delete_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabKnowledgePage *self = CONFAB_KNOWLEDGE_PAGE (widget);
  g_autoptr (ConfabKnowledgeBase) kb = NULL;

  if (self->db == NULL || self->shown == NULL)
    return;
  kb = g_object_ref (self->shown);
  /* Its imports stop: their documents would go with it. */
  for (guint i = 0; self->imports != NULL && i < self->imports->len; i++)
    {
      Import *import = g_ptr_array_index (self->imports, i);

      if (g_strcmp0 (import->kb_id, id_of (kb)) == 0)
        g_cancellable_cancel (import->cancellable);
    }
  delete_later (self, CONFAB_TYPE_KNOWLEDGE_BASE, id_of (kb), confab_knowledge_base_get_title (kb));
  show_nothing (self);
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
document_delete_requested_cb (ConfabDocumentRow *row, ConfabKnowledgePage *self)
{
  ConfabDocument *document = confab_document_row_get_document (row);

  if (self->db == NULL || document == NULL)
    return;
  delete_later (self, CONFAB_TYPE_DOCUMENT, id_of (document),
                confab_document_get_filename (document));
}

/* Imports */

static void
import_free (Import *import)
{
  g_clear_object (&import->cancellable);
  g_clear_object (&import->self);
  g_free (import->kb_id);
  g_free (import->name);
  g_free (import);
}

static const char *
stage_label (const char *stage)
{
  if (g_strcmp0 (stage, "reading") == 0)
    return _ ("Reading the file…");
  if (g_strcmp0 (stage, "extracting") == 0)
    return _ ("Extracting the text…");
  if (g_strcmp0 (stage, "chunking") == 0)
    return _ ("Cutting it into passages…");
  if (g_strcmp0 (stage, "indexing") == 0)
    return _ ("Indexing the passages…");
  if (g_strcmp0 (stage, "indexed") == 0)
    return _ ("Indexed");
  return _ ("Waiting…");
}

static void
import_progress_cb (double fraction, const char *stage, gpointer user_data)
{
  Import *import = user_data;

  if (import->self->disposed || import->row == NULL)
    return;
  gtk_progress_bar_set_fraction (import->bar, CLAMP (fraction, 0.0, 1.0));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (import->row), stage_label (stage));
}

static void
import_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Import              *import = user_data;
  ConfabKnowledgePage *self = import->self;
  g_autoptr (ConfabDocument) document = NULL;
  g_autoptr (GError) error = NULL;

  document = confab_knowledge_import_file_finish (result, &error);
  if (!self->disposed)
    {
      if (import->row != NULL)
        gtk_list_box_remove (self->imports_list, import->row);
      g_ptr_array_remove (self->imports, import);
      update_imports_visible (self);
      /* A cancelled import leaves its document "failed" with that reason;
       * any other failure is worth a word even when the row says it too. */
      if (document == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        page_toast_error (self, error);
      refresh_rows_in (GTK_WIDGET (self->list_view));
    }
  import_free (import);
}

static void
import_cancel_clicked_cb (GtkButton *button, Import *import)
{
  g_cancellable_cancel (import->cancellable);
  gtk_widget_set_sensitive (GTK_WIDGET (button), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (import->row), _ ("Cancelling…"));
}

static Import *
import_new (ConfabKnowledgePage *self, GFile *file)
{
  Import          *import = g_new0 (Import, 1);
  GtkWidget       *cancel;
  g_autofree char *escaped = NULL;
  g_autofree char *cancel_label = NULL;

  import->self = g_object_ref (self);
  import->kb_id = g_strdup (shown_id (self));
  import->name = g_file_get_basename (file);
  if (import->name == NULL)
    import->name = g_file_get_uri (file);
  import->cancellable = g_cancellable_new ();

  import->row = adw_action_row_new ();
  escaped = g_markup_escape_text (import->name, -1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (import->row), escaped);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (import->row), stage_label (NULL));
  g_object_set_data_full (G_OBJECT (import->row), "kb-id", g_strdup (import->kb_id), g_free);

  import->bar = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_widget_set_valign (GTK_WIDGET (import->bar), GTK_ALIGN_CENTER);
  gtk_widget_set_size_request (GTK_WIDGET (import->bar), 96, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (import->row), GTK_WIDGET (import->bar));

  cancel = gtk_button_new_from_icon_name ("process-stop-symbolic");
  gtk_widget_set_valign (cancel, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (cancel, "flat");
  gtk_widget_set_tooltip_text (cancel, _ ("Cancel Import"));
  /* Translators: %s is a file name */
  cancel_label = g_strdup_printf (_ ("Cancel adding %s"), import->name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (cancel), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  cancel_label, -1);
  g_signal_connect (cancel, "clicked", G_CALLBACK (import_cancel_clicked_cb), import);
  adw_action_row_add_suffix (ADW_ACTION_ROW (import->row), cancel);
  return import;
}

void
confab_knowledge_page_import_files (ConfabKnowledgePage *self, GSList *files)
{
  g_autofree char *actor_id = NULL;

  g_return_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self));

  if (self->db == NULL || self->shown == NULL)
    {
      page_toast (self, _ ("Save the knowledge base first, then add its documents"));
      return;
    }

  actor_id = confab_acting_user_dup_id (self->db);
  for (GSList *l = files; l != NULL; l = l->next)
    {
      Import *import = import_new (self, G_FILE (l->data));

      g_ptr_array_add (self->imports, import);
      gtk_list_box_append (self->imports_list, import->row);
      confab_knowledge_import_file_async (self->db, import->kb_id, G_FILE (l->data), actor_id,
                                          import_progress_cb, import, import->cancellable,
                                          import_done_cb, import);
    }
  update_imports_visible (self);
}

static void
chooser_response_cb (GtkNativeDialog *chooser, int response, ConfabKnowledgePage *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GListModel) chosen = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));
      GSList *files = NULL;

      for (guint i = g_list_model_get_n_items (chosen); i > 0; i--)
        files = g_slist_prepend (files, g_list_model_get_item (chosen, i - 1));
      confab_knowledge_page_import_files (self, files);
      g_slist_free_full (files, g_object_unref);
    }
  if (self->chooser == GTK_FILE_CHOOSER_NATIVE (chooser))
    g_clear_object (&self->chooser);
}

static void
add_filter (GtkFileChooser *chooser, const char *name, const char *const *suffixes)
{
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, name);
  for (guint i = 0; suffixes[i] != NULL; i++)
    gtk_file_filter_add_suffix (filter, suffixes[i]);
  gtk_file_chooser_add_filter (chooser, filter);
}

static void
import_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabKnowledgePage     *self = CONFAB_KNOWLEDGE_PAGE (widget);
  GtkRoot                 *root = gtk_widget_get_root (widget);
  static const char *const all[] = { "txt", "md", "html", "htm", "pdf", NULL };
  static const char *const text[] = { "txt", NULL };
  static const char *const markdown[] = { "md", NULL };
  static const char *const html[] = { "html", "htm", NULL };
  static const char *const pdf[] = { "pdf", NULL };

  if (self->shown == NULL || self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (
      _ ("Add Documents"), GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
      GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Add"), _ ("_Cancel"));
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (self->chooser), TRUE);
  add_filter (GTK_FILE_CHOOSER (self->chooser), _ ("Documents"), all);
  add_filter (GTK_FILE_CHOOSER (self->chooser), _ ("Text"), text);
  add_filter (GTK_FILE_CHOOSER (self->chooser), _ ("Markdown"), markdown);
  add_filter (GTK_FILE_CHOOSER (self->chooser), _ ("HTML"), html);
  add_filter (GTK_FILE_CHOOSER (self->chooser), _ ("PDF"), pdf);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* Dropping files on the page adds them to the knowledge base shown. */

static gboolean
can_import (ConfabKnowledgePage *self)
{
  return self->db != NULL && self->shown != NULL && self->editing;
}

static gboolean
drop_accept_cb (GtkDropTarget *target, GdkDrop *drop, ConfabKnowledgePage *self)
{
  return can_import (self) &&
         gdk_content_formats_contain_gtype (gdk_drop_get_formats (drop), GDK_TYPE_FILE_LIST);
}

static GdkDragAction
drop_enter_cb (GtkDropTarget *target, double x, double y, ConfabKnowledgePage *self)
{
  g_autofree char *title = NULL;

  /* Translators: %s is a knowledge base's title */
  title = g_strdup_printf (_ ("Drop Files to Add Them to “%s”"),
                           confab_knowledge_base_get_title (self->shown));
  adw_status_page_set_title (self->drop_page, title);
  adw_leaflet_set_visible_child (self->leaflet, self->detail_pane);
  gtk_revealer_set_reveal_child (self->drop_revealer, TRUE);
  return GDK_ACTION_COPY;
}

static void
drop_leave_cb (GtkDropTarget *target, ConfabKnowledgePage *self)
{
  gtk_revealer_set_reveal_child (self->drop_revealer, FALSE);
}

static gboolean
drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, ConfabKnowledgePage *self)
{
  gtk_revealer_set_reveal_child (self->drop_revealer, FALSE);
  if (!can_import (self) || !G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    return FALSE;
  confab_knowledge_page_import_files (self, g_value_get_boxed (value));
  return TRUE;
}

/* List rows */

static void
row_active_toggled_cb (ConfabKnowledgeBaseRow *row, gboolean active, ConfabKnowledgePage *self)
{
  ConfabKnowledgeBase *listed = confab_knowledge_base_row_get_item (row);
  g_autoptr (ConfabKnowledgeBase) kb = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *actor_id = NULL;

  if (self->db == NULL || listed == NULL)
    return;
  /* Saved at once: a switch in a list is no draft. */
  kb = confab_repository_get (self->db, CONFAB_TYPE_KNOWLEDGE_BASE, id_of (listed), &error);
  if (kb != NULL)
    {
      actor_id = confab_acting_user_dup_id (self->db);
      confab_knowledge_base_set_is_active (kb, active);
      if (confab_repository_update (self->db, CONFAB_ENTITY (kb), actor_id, &error))
        return;
    }
  page_toast_error (self, error);
  confab_knowledge_base_row_sync (row);
}

static void
setup_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabKnowledgePage *self)
{
  GtkWidget *row = confab_knowledge_base_row_new ();

  g_signal_connect_object (row, "active-toggled", G_CALLBACK (row_active_toggled_cb), self, 0);
  gtk_list_item_set_child (item, row);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabKnowledgePage *self)
{
  confab_knowledge_base_row_set_item (CONFAB_KNOWLEDGE_BASE_ROW (gtk_list_item_get_child (item)),
                                      self->db, gtk_list_item_get_item (item));
}

static void
unbind_row_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabKnowledgePage *self)
{
  confab_knowledge_base_row_set_item (CONFAB_KNOWLEDGE_BASE_ROW (gtk_list_item_get_child (item)),
                                      NULL, NULL);
}

/* The workspace */

static void
database_changed_cb (ConfabDatabase      *db,
                     const char          *table,
                     const char          *id,
                     const char          *action,
                     ConfabKnowledgePage *self)
{
  if (g_strcmp0 (table, "documents") == 0 || g_strcmp0 (table, "users") == 0)
    refresh_rows_in (GTK_WIDGET (self->list_view));
  if (g_strcmp0 (table, "users") == 0)
    fill_owners (self);
  else if (g_strcmp0 (table, "providers") == 0)
    fill_providers (self);
  else if (g_strcmp0 (table, "knowledge_bases") == 0 && self->shown != NULL &&
           (id == NULL || g_strcmp0 (id, shown_id (self)) == 0))
    {
      g_autoptr (ConfabKnowledgeBase) stored = NULL;
      g_autoptr (GError) error = NULL;

      stored = confab_repository_get (db, CONFAB_TYPE_KNOWLEDGE_BASE, shown_id (self), &error);
      if (stored != NULL)
        {
          /* Changed elsewhere (the list's switch, confab-cli): the editor
           * follows unless it holds edits of its own. */
          gboolean dirty = is_dirty (self);

          g_set_object (&self->shown, stored);
          if (!dirty)
            load_editor (self, stored);
          update_header (self);
        }
      else if (g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND) &&
               !is_pending_delete (self, CONFAB_TYPE_KNOWLEDGE_BASE, shown_id (self)))
        {
          g_autofree char *message = NULL;

          /* Translators: %s is a knowledge base's title */
          message = g_strdup_printf (_ ("“%s” was deleted outside this window"),
                                     confab_knowledge_base_get_title (self->shown));
          show_nothing (self);
          page_toast (self, message);
        }
    }
}

static void
cancel_imports (ConfabKnowledgePage *self)
{
  for (guint i = 0; self->imports != NULL && i < self->imports->len; i++)
    g_cancellable_cancel (((Import *) g_ptr_array_index (self->imports, i))->cancellable);
}

static void
disconnect_database (ConfabKnowledgePage *self)
{
  if (self->db != NULL)
    g_clear_signal_handler (&self->changed_id, self->db);
  g_clear_object (&self->db);
}

static void
confab_knowledge_page_database_changed (ConfabPage *page)
{
  ConfabKnowledgePage *self = CONFAB_KNOWLEDGE_PAGE (page);
  ConfabDatabase      *db = confab_page_get_database (page);

  /* A deletion waiting for its toast, and imports, belong to the workspace
   * they were made in. */
  flush_delete (self);
  cancel_imports (self);

  disconnect_database (self);
  g_clear_pointer (&self->select_id, g_free);
  show_nothing (self);
  g_clear_object (&self->kbs);
  if (db != NULL)
    {
      self->db = g_object_ref (db);
      self->changed_id =
          g_signal_connect_object (db, "changed", G_CALLBACK (database_changed_cb), self, 0);
      self->kbs = confab_repository_list_model (db, CONFAB_TYPE_KNOWLEDGE_BASE, NULL, NULL);
    }
  fill_owners (self);
  fill_providers (self);
  gtk_filter_list_model_set_model (self->filtered, self->kbs);
  update_list_state (self);
}

static void
confab_knowledge_page_dispose (GObject *object)
{
  ConfabKnowledgePage *self = CONFAB_KNOWLEDGE_PAGE (object);

  /* No gtk_widget_dispose_template (): the template's root is AdwBin's
   * child, which AdwBin unparents itself; doing both unparents it twice. */

  flush_delete (self);
  self->disposed = TRUE;
  for (guint i = 0; i < self->toasts->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (self->toasts, i), toast_gone_cb, self);
  g_ptr_array_set_size (self->toasts, 0);
  cancel_imports (self);
  if (self->search_cancellable != NULL)
    g_cancellable_cancel (self->search_cancellable);
  g_clear_object (&self->search_cancellable);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  disconnect_database (self);
  if (self->documents_list != NULL)
    gtk_list_box_bind_model (self->documents_list, NULL, NULL, NULL, NULL);
  if (self->filtered != NULL)
    gtk_filter_list_model_set_model (self->filtered, NULL);
  if (self->documents_filtered != NULL)
    gtk_filter_list_model_set_model (self->documents_filtered, NULL);
  g_clear_object (&self->kbs);
  g_clear_object (&self->documents);
  g_clear_object (&self->shown);

  G_OBJECT_CLASS (confab_knowledge_page_parent_class)->dispose (object);
}

static void
confab_knowledge_page_finalize (GObject *object)
{
  ConfabKnowledgePage *self = CONFAB_KNOWLEDGE_PAGE (object);

  g_clear_object (&self->selection);
  g_clear_object (&self->filtered);
  g_clear_object (&self->filter);
  g_clear_object (&self->documents_filtered);
  g_clear_object (&self->documents_filter);
  g_clear_pointer (&self->owner_ids, g_ptr_array_unref);
  g_clear_pointer (&self->provider_ids, g_ptr_array_unref);
  g_clear_pointer (&self->imports, g_ptr_array_unref);
  g_clear_pointer (&self->toasts, g_ptr_array_unref);
  g_free (self->select_id);

  G_OBJECT_CLASS (confab_knowledge_page_parent_class)->finalize (object);
}

static void
confab_knowledge_page_class_init (ConfabKnowledgePageClass *klass)
{
  GObjectClass    *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass  *widget_class = GTK_WIDGET_CLASS (klass);
  ConfabPageClass *page_class = CONFAB_PAGE_CLASS (klass);

  object_class->dispose = confab_knowledge_page_dispose;
  object_class->finalize = confab_knowledge_page_finalize;
  page_class->database_changed = confab_knowledge_page_database_changed;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-knowledge-page.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, leaflet);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, list_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, detail_pane);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, list_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, list_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, detail_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, save_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, delete_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, detail_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, editor_scroller);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, title_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, description_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, owner_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, active_switch);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, details_error_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, embedding_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, provider_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, model_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, embedding_error_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, documents_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, imports_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, documents_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, search_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, search_hint);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, results_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, drop_revealer);
  gtk_widget_class_bind_template_child (widget_class, ConfabKnowledgePage, drop_page);
  gtk_widget_class_bind_template_callback (widget_class, detail_back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);

  gtk_widget_class_install_action (widget_class, "knowledge.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "knowledge.save", NULL, save_action);
  gtk_widget_class_install_action (widget_class, "knowledge.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "knowledge.undo-delete", NULL, undo_delete_action);
  gtk_widget_class_install_action (widget_class, "knowledge.import", NULL, import_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "knowledge.save",
                                       NULL);
}

static void
confab_knowledge_page_init (ConfabKnowledgePage *self)
{
  GtkListItemFactory *factory;
  GtkDropTarget      *target;
  GtkWidget          *placeholder;

  gtk_widget_init_template (GTK_WIDGET (self));
  ensure_style ();

  self->imports = g_ptr_array_new ();
  self->toasts = g_ptr_array_new_with_free_func (g_object_unref);
  self->filter = gtk_custom_filter_new (filter_func, self, NULL);
  self->filtered = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->filter)));
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_object (self->filtered, "items-changed", G_CALLBACK (filtered_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->selection, "notify::selected-item",
                           G_CALLBACK (selection_changed_cb), self, G_CONNECT_SWAPPED);

  self->documents_filter = gtk_custom_filter_new (documents_filter_func, self, NULL);
  self->documents_filtered =
      gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->documents_filter)));

  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect_object (factory, "setup", G_CALLBACK (setup_row_cb), self, 0);
  g_signal_connect_object (factory, "bind", G_CALLBACK (bind_row_cb), self, 0);
  g_signal_connect_object (factory, "unbind", G_CALLBACK (unbind_row_cb), self, 0);
  gtk_list_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));

  gtk_list_box_set_filter_func (self->imports_list, import_filter_func, self, NULL);
  placeholder = gtk_label_new (_ ("No documents yet: add files, or drop them here"));
  gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
  gtk_widget_set_margin_top (placeholder, 18);
  gtk_widget_set_margin_bottom (placeholder, 18);
  gtk_widget_set_margin_start (placeholder, 12);
  gtk_widget_set_margin_end (placeholder, 12);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_list_box_set_placeholder (self->documents_list, placeholder);

  target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect_object (target, "accept", G_CALLBACK (drop_accept_cb), self, 0);
  g_signal_connect_object (target, "enter", G_CALLBACK (drop_enter_cb), self, 0);
  g_signal_connect_object (target, "leave", G_CALLBACK (drop_leave_cb), self, 0);
  g_signal_connect_object (target, "drop", G_CALLBACK (drop_cb), self, 0);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));

  fill_owners (self);
  fill_providers (self);
  show_nothing (self);
  update_list_state (self);
}

GtkWidget *
confab_knowledge_page_new (void)
{
  return g_object_new (CONFAB_TYPE_KNOWLEDGE_PAGE, NULL);
}

gboolean
confab_knowledge_page_select (ConfabKnowledgePage *self, const char *kb_id)
{
  guint position;

  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), FALSE);

  position = find_position (G_LIST_MODEL (self->filtered), kb_id);
  if (position == GTK_INVALID_LIST_POSITION)
    return FALSE;
  gtk_single_selection_set_selected (self->selection, position);
  return TRUE;
}

GListModel *
confab_knowledge_page_get_visible (ConfabKnowledgePage *self)
{
  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), NULL);

  return G_LIST_MODEL (self->filtered);
}

GListModel *
confab_knowledge_page_get_documents (ConfabKnowledgePage *self)
{
  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), NULL);

  return G_LIST_MODEL (self->documents_filtered);
}

GtkWidget *
confab_knowledge_page_get_field (ConfabKnowledgePage *self, const char *name)
{
  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), NULL);

  if (g_strcmp0 (name, "title") == 0)
    return GTK_WIDGET (self->title_row);
  if (g_strcmp0 (name, "description") == 0)
    return GTK_WIDGET (self->description_row);
  if (g_strcmp0 (name, "owner") == 0)
    return GTK_WIDGET (self->owner_row);
  if (g_strcmp0 (name, "active") == 0)
    return GTK_WIDGET (self->active_switch);
  if (g_strcmp0 (name, "provider") == 0)
    return GTK_WIDGET (self->provider_row);
  if (g_strcmp0 (name, "model") == 0)
    return GTK_WIDGET (self->model_row);
  if (g_strcmp0 (name, "details-error") == 0)
    return GTK_WIDGET (self->details_error_label);
  return NULL;
}

GtkWidget *
confab_knowledge_page_get_save_button (ConfabKnowledgePage *self)
{
  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), NULL);

  return self->save_button;
}

GtkListBox *
confab_knowledge_page_get_documents_list (ConfabKnowledgePage *self)
{
  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), NULL);

  return self->documents_list;
}

guint
confab_knowledge_page_get_n_imports (ConfabKnowledgePage *self)
{
  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), 0);

  return self->imports->len;
}

GtkEditable *
confab_knowledge_page_get_search_entry (ConfabKnowledgePage *self)
{
  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), NULL);

  return GTK_EDITABLE (self->search_entry);
}

GtkLabel *
confab_knowledge_page_get_search_hint (ConfabKnowledgePage *self)
{
  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), NULL);

  return self->search_hint;
}

static GtkWidget *
result_row (ConfabKnowledgePage *self, guint index)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->results_list, index);

  return row != NULL ? GTK_WIDGET (row) : NULL;
}

guint
confab_knowledge_page_get_n_results (ConfabKnowledgePage *self)
{
  guint n = 0;

  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), 0);

  while (result_row (self, n) != NULL)
    n++;
  return n;
}

const char *
confab_knowledge_page_get_result_chunk_id (ConfabKnowledgePage *self, guint index)
{
  GtkWidget *row;

  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), NULL);

  row = result_row (self, index);
  return row != NULL ? g_object_get_data (G_OBJECT (row), "chunk-id") : NULL;
}

const char *
confab_knowledge_page_get_result_markup (ConfabKnowledgePage *self, guint index)
{
  GtkWidget *row;

  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), NULL);

  row = result_row (self, index);
  return row != NULL ? g_object_get_data (G_OBJECT (row), "markup") : NULL;
}

AdwToast *
confab_knowledge_page_get_undo_toast (ConfabKnowledgePage *self)
{
  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), NULL);

  return self->pending != NULL ? self->pending->toast : NULL;
}

const char *
confab_knowledge_page_get_list_state (ConfabKnowledgePage *self)
{
  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), NULL);

  return gtk_stack_get_visible_child_name (self->list_stack);
}

const char *
confab_knowledge_page_get_detail_state (ConfabKnowledgePage *self)
{
  g_return_val_if_fail (CONFAB_IS_KNOWLEDGE_PAGE (self), NULL);

  return gtk_stack_get_visible_child_name (self->detail_stack);
}
