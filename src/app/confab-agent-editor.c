/* confab-agent-editor.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>
#include <gtksourceview/gtksource.h>
#include <math.h>

#include "confab-agent-editor.h"
#include "confab-agent-row.h"
#include "confab-agent-rules-editor.h"
#include "confab-provider-client.h"

/* A combo row of workspace rows, with the ids beside its items (NULL for
 * "none"), rebuilt when the list changes with the choice kept. */
typedef struct
{
  AdwComboRow   *row;
  GtkStringList *names;
  GPtrArray     *ids;
} Choice;

/* A version of the prompt: a label (the newest for "latest") or a number. */
typedef struct
{
  char *label;
  int   version;
} VersionChoice;

#define TYPE_RULE_BASED 0
#define TYPE_LLM        1
#define TYPE_HYBRID     2

static const char *const type_ids[] = { "rule_based", "llm", "hybrid", NULL };

#define SOURCE_INLINE  0
#define SOURCE_LIBRARY 1

struct _ConfabAgentEditor
{
  AdwBin parent_instance;

  GtkScrolledWindow      *scroller;
  GtkLabel               *heading_title;
  GtkLabel               *heading_subtitle;
  GtkWidget              *chat_button;
  AdwEntryRow            *name_row;
  AdwEntryRow            *description_row;
  AdwComboRow            *type_row;
  AdwEntryRow            *sector_row;
  AdwComboRow            *owner_row;
  GtkSwitch              *active_switch;
  GtkLabel               *general_error;
  GtkWidget              *model_group;
  AdwComboRow            *provider_row;
  AdwComboRow            *model_row;
  GtkStringList          *model_names;
  GtkSpinner             *model_spinner;
  AdwEntryRow            *model_entry;
  AdwActionRow           *model_status_row;
  GtkWidget              *model_retry_button;
  GtkSpinButton          *temperature_spin;
  GtkSpinButton          *max_tokens_spin;
  GtkWidget              *prompt_group;
  AdwComboRow            *prompt_source_row;
  AdwComboRow            *prompt_row;
  AdwComboRow            *prompt_version_row;
  GtkWidget              *prompt_frame;
  GtkSourceView          *prompt_view;
  GtkWidget              *prompt_hint;
  GtkLabel               *prompt_error;
  ConfabAgentRulesEditor *rules_editor;
  GtkListBox             *knowledge_list;

  ConfabDatabase *db;
  ConfabAgent    *agent; /* as saved; a new agent has no id */
  GListModel     *providers;
  GListModel     *users;
  GListModel     *prompts;
  GListModel     *knowledge_bases;
  Choice          provider_choice;
  Choice          owner_choice;
  Choice          prompt_choice;
  GArray         *versions;   /* VersionChoice, beside prompt_version_row */
  GHashTable     *kb_saved;   /* ids linked in the workspace */
  GHashTable     *kb_checked; /* ids ticked here */
  char           *model;      /* chosen or typed; NULL for the provider's default */
  GCancellable   *models_cancellable;
  char           *error;
  char           *title;
  guint           is_new : 1;
  guint           name_touched : 1;
  guint           dirty : 1;
  guint           loading : 1;
  guint           filling : 1;
};

G_DEFINE_FINAL_TYPE (ConfabAgentEditor, confab_agent_editor, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_DIRTY,
  PROP_ERROR,
  PROP_TITLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void recompute (ConfabAgentEditor *self);
static void start_model_fetch (ConfabAgentEditor *self);

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

/* NULL and "" are the same value for a text column. */
static gboolean
text_equal (const char *a, const char *b)
{
  return g_strcmp0 (a ? a : "", b ? b : "") == 0;
}

static void
version_choice_clear (gpointer data)
{
  VersionChoice *choice = data;

  g_free (choice->label);
}

/* Choices */

static void
choice_init (Choice *choice, AdwComboRow *row)
{
  choice->row = row;
  choice->names = gtk_string_list_new (NULL);
  choice->ids = g_ptr_array_new_with_free_func (g_free);
  adw_combo_row_set_model (row, G_LIST_MODEL (choice->names));
}

static void
choice_clear (Choice *choice)
{
  g_clear_object (&choice->names);
  g_clear_pointer (&choice->ids, g_ptr_array_unref);
}

static const char *
choice_get_id (Choice *choice)
{
  guint selected = adw_combo_row_get_selected (choice->row);

  return selected < choice->ids->len ? g_ptr_array_index (choice->ids, selected) : NULL;
}

typedef const char *(*NameFunc) (gpointer item);

static const char *
provider_name (gpointer item)
{
  return confab_provider_get_name (item);
}

static const char *
user_name (gpointer item)
{
  const char *name = confab_user_get_name (item);

  return is_set (name) ? name : confab_user_get_username (item);
}

static const char *
prompt_name (gpointer item)
{
  return confab_prompt_get_name (item);
}

/* none: the first item, for no row (NULL for no such item). A selected id
 * that is not in the list (a row just deleted) stays as "Unknown". */
static void
choice_fill (ConfabAgentEditor *self,
             Choice            *choice,
             const char        *none,
             GListModel        *source,
             NameFunc           name_of,
             const char        *selected_id)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  guint selected = GTK_INVALID_LIST_POSITION;
  guint n = source ? g_list_model_get_n_items (source) : 0;

  g_ptr_array_set_size (choice->ids, 0);
  if (none != NULL)
    {
      g_ptr_array_add (names, (gpointer) none);
      g_ptr_array_add (choice->ids, NULL);
      if (!is_set (selected_id))
        selected = 0;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabEntity) entity = g_list_model_get_item (source, i);
      const char *id = confab_entity_get_id (entity);

      if (g_strcmp0 (id, selected_id) == 0)
        selected = choice->ids->len;
      g_ptr_array_add (names, (gpointer) name_of (entity));
      g_ptr_array_add (choice->ids, g_strdup (id));
    }
  if (is_set (selected_id) && selected == GTK_INVALID_LIST_POSITION)
    {
      selected = choice->ids->len;
      g_ptr_array_add (names, (gpointer) C_ ("missing row", "Unknown"));
      g_ptr_array_add (choice->ids, g_strdup (selected_id));
    }
  g_ptr_array_add (names, NULL);

  self->filling = TRUE;
  gtk_string_list_splice (choice->names, 0, g_list_model_get_n_items (G_LIST_MODEL (choice->names)),
                          (const char *const *) names->pdata);
  adw_combo_row_set_selected (choice->row, selected);
  self->filling = FALSE;
}

/* Reading the fields */

static const char *
get_type_id (ConfabAgentEditor *self)
{
  guint selected = adw_combo_row_get_selected (self->type_row);

  return selected < G_N_ELEMENTS (type_ids) - 1 ? type_ids[selected] : "rule_based";
}

static gboolean
uses_model (ConfabAgentEditor *self)
{
  return g_strcmp0 (get_type_id (self), "rule_based") != 0;
}

static gboolean
uses_rules (ConfabAgentEditor *self)
{
  return g_strcmp0 (get_type_id (self), "llm") != 0;
}

static char *
dup_system_prompt (ConfabAgentEditor *self)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->prompt_view));
  GtkTextIter    start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static gboolean
from_library (ConfabAgentEditor *self)
{
  return adw_combo_row_get_selected (self->prompt_source_row) == SOURCE_LIBRARY;
}

/* The prompt columns as the fields say: (id, label, version). */
static void
get_prompt (ConfabAgentEditor *self, const char **prompt_id, const char **label, int *version)
{
  guint selected = adw_combo_row_get_selected (self->prompt_version_row);

  *prompt_id = NULL;
  *label = NULL;
  *version = 0;
  if (!from_library (self))
    return;
  *prompt_id = choice_get_id (&self->prompt_choice);
  if (*prompt_id != NULL && selected < self->versions->len)
    {
      VersionChoice *choice = &g_array_index (self->versions, VersionChoice, selected);

      *label = choice->label;
      *version = choice->version;
    }
}

/* The saved prompt columns the same way: a prompt with neither a label nor
 * a version follows the newest, as "latest" does. */
static void
get_saved_prompt (ConfabAgentEditor *self, const char **prompt_id, const char **label, int *version)
{
  *prompt_id = confab_agent_get_prompt_id (self->agent);
  *label = NULL;
  *version = 0;
  if (!is_set (*prompt_id))
    {
      *prompt_id = NULL;
      return;
    }
  *label = confab_agent_get_prompt_label (self->agent);
  *version = confab_agent_get_prompt_version (self->agent);
  if (!is_set (*label) && *version <= 0)
    *label = CONFAB_PROMPT_LABEL_LATEST;
  else if (*version > 0)
    *label = NULL;
}

static gboolean
knowledge_changed (ConfabAgentEditor *self)
{
  GHashTableIter iter;
  gpointer       key;

  if (g_hash_table_size (self->kb_saved) != g_hash_table_size (self->kb_checked))
    return TRUE;
  g_hash_table_iter_init (&iter, self->kb_checked);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (self->kb_saved, key))
      return TRUE;
  return FALSE;
}

/* The fields that differ from the saved agent go into target (all of them
 * for a new agent). Returns whether any did. */
static gboolean
apply_fields (ConfabAgentEditor *self, ConfabAgent *target, gboolean all)
{
  ConfabAgent     *saved = self->agent;
  const char      *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  const char      *description = gtk_editable_get_text (GTK_EDITABLE (self->description_row));
  const char      *sector = gtk_editable_get_text (GTK_EDITABLE (self->sector_row));
  const char      *type = get_type_id (self);
  const char      *owner = choice_get_id (&self->owner_choice);
  const char      *provider = choice_get_id (&self->provider_choice);
  gboolean         active = gtk_switch_get_active (self->active_switch);
  double           temperature = gtk_spin_button_get_value (self->temperature_spin);
  int              max_tokens = gtk_spin_button_get_value_as_int (self->max_tokens_spin);
  g_autofree char *system_prompt = dup_system_prompt (self);
  const char      *prompt_id, *label, *saved_prompt_id, *saved_label;
  int              version, saved_version;
  gboolean         changed = FALSE;

  get_prompt (self, &prompt_id, &label, &version);
  get_saved_prompt (self, &saved_prompt_id, &saved_label, &saved_version);

#define CHANGED_TEXT(value, getter, setter)                                                        \
  if (all || !text_equal (value, getter (saved)))                                                  \
    {                                                                                              \
      changed = TRUE;                                                                              \
      if (target != NULL)                                                                          \
        setter (target, is_set (value) ? value : NULL);                                            \
    }

  CHANGED_TEXT (name, confab_agent_get_name, confab_agent_set_name);
  CHANGED_TEXT (description, confab_agent_get_description, confab_agent_set_description);
  CHANGED_TEXT (type, confab_agent_get_agent_type, confab_agent_set_agent_type);
  CHANGED_TEXT (sector, confab_agent_get_sector, confab_agent_set_sector);
  CHANGED_TEXT (owner, confab_agent_get_owner_id, confab_agent_set_owner_id);
  CHANGED_TEXT (provider, confab_agent_get_provider_id, confab_agent_set_provider_id);
  CHANGED_TEXT (self->model, confab_agent_get_model, confab_agent_set_model);
  CHANGED_TEXT (system_prompt, confab_agent_get_system_prompt, confab_agent_set_system_prompt);
#undef CHANGED_TEXT

  if (all || active != confab_agent_get_is_active (saved))
    {
      changed = TRUE;
      if (target != NULL)
        confab_agent_set_is_active (target, active);
    }
  /* The spin button shows two decimals; a stored 0.333 is no change. */
  if (all || fabs (temperature - confab_agent_get_temperature (saved)) > 0.004)
    {
      changed = TRUE;
      if (target != NULL)
        confab_agent_set_temperature (target, temperature);
    }
  if (all || max_tokens != confab_agent_get_max_tokens (saved))
    {
      changed = TRUE;
      if (target != NULL)
        confab_agent_set_max_tokens (target, max_tokens);
    }
  if (all || g_strcmp0 (prompt_id, saved_prompt_id) != 0 || g_strcmp0 (label, saved_label) != 0 ||
      version != saved_version)
    {
      changed = TRUE;
      if (target != NULL)
        {
          confab_agent_set_prompt_id (target, prompt_id);
          confab_agent_set_prompt_label (target, label);
          confab_agent_set_prompt_version (target, version);
        }
    }
  if (confab_agent_rules_editor_get_modified (self->rules_editor))
    {
      changed = TRUE;
      if (target != NULL)
        {
          g_autofree char *config = confab_agent_rules_editor_dup_config (self->rules_editor);

          confab_agent_set_config (target, config);
        }
    }
  return changed;
}

/* Validation: what would stop saving, on the field it concerns. */
static char *
check_fields (ConfabAgentEditor *self)
{
  g_autofree char *name =
      g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  g_autofree char *name_error = NULL;
  g_autofree char *prompt_error = NULL;
  const char      *prompt_id, *label;
  const char      *rules_error = NULL;
  gboolean         show_name_error;
  int              version;

  if (*name == '\0')
    name_error = g_strdup (_ ("The agent needs a name"));
  else if (g_utf8_strlen (gtk_editable_get_text (GTK_EDITABLE (self->name_row)), -1) > 100)
    name_error = g_strdup (_ ("The name can be at most 100 characters long"));
  /* A new agent's empty name is no mistake yet: no red before typing. */
  show_name_error = name_error != NULL && (!self->is_new || self->name_touched);
  if (show_name_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
  gtk_label_set_text (self->general_error, name_error ? name_error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->general_error), show_name_error);

  get_prompt (self, &prompt_id, &label, &version);
  if (uses_model (self) && from_library (self) && prompt_id == NULL)
    prompt_error = g_strdup (_ ("Choose a prompt from the library, or write the system prompt "
                                "here"));
  if (prompt_error != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->prompt_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->prompt_row), "error");
  gtk_label_set_text (self->prompt_error, prompt_error ? prompt_error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->prompt_error), prompt_error != NULL);

  /* Rules are checked when the agent uses them, and whenever they are about
   * to be written: an invalid rule set is never saved. */
  if (uses_rules (self) || confab_agent_rules_editor_get_modified (self->rules_editor))
    rules_error = confab_agent_rules_editor_get_error (self->rules_editor);

  if (name_error != NULL)
    return g_steal_pointer (&name_error);
  if (prompt_error != NULL)
    return g_steal_pointer (&prompt_error);
  return g_strdup (rules_error);
}

static void
update_heading (ConfabAgentEditor *self)
{
  const char      *name = gtk_editable_get_text (GTK_EDITABLE (self->name_row));
  const char      *sector = gtk_editable_get_text (GTK_EDITABLE (self->sector_row));
  const char      *type = confab_agent_type_label (get_type_id (self));
  g_autofree char *stripped = g_strstrip (g_strdup (name));
  g_autofree char *subtitle = NULL;
  const char      *title;

  title = *stripped != '\0' ? name : self->is_new ? _ ("New Agent") : _ ("Unnamed Agent");
  gtk_label_set_text (self->heading_title, title);
  if (is_set (sector))
    /* Translators: an agent's type and sector, e.g. "Rule-based · food & drink". */
    subtitle = g_strdup_printf (_ ("%s · %s"), type, sector);
  gtk_label_set_text (self->heading_subtitle, subtitle ? subtitle : type);
  if (g_strcmp0 (self->title, title) != 0)
    {
      g_free (self->title);
      self->title = g_strdup (title);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
    }
}

static void
update_visibility (ConfabAgentEditor *self)
{
  gboolean library = from_library (self);

  gtk_widget_set_visible (self->model_group, uses_model (self));
  gtk_widget_set_visible (self->prompt_group, uses_model (self));
  gtk_widget_set_visible (GTK_WIDGET (self->rules_editor), uses_rules (self));
  gtk_widget_set_visible (GTK_WIDGET (self->prompt_row), library);
  gtk_widget_set_visible (GTK_WIDGET (self->prompt_version_row), library);
  gtk_widget_set_visible (self->prompt_frame, !library);
  gtk_widget_set_visible (self->prompt_hint, !library);
  gtk_widget_set_visible (self->chat_button, !self->is_new);
}

/* After every edit. */
static void
recompute (ConfabAgentEditor *self)
{
  g_autofree char *error = NULL;
  gboolean         dirty;

  if (self->loading || self->agent == NULL)
    return;

  update_heading (self);
  update_visibility (self);
  confab_agent_rules_editor_set_agent (
      self->rules_editor, self->db,
      self->is_new ? NULL : confab_entity_get_id (CONFAB_ENTITY (self->agent)), get_type_id (self),
      gtk_editable_get_text (GTK_EDITABLE (self->name_row)));

  error = check_fields (self);
  if (g_strcmp0 (error, self->error) != 0)
    {
      g_free (self->error);
      self->error = g_steal_pointer (&error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }

  /* A new agent compares with the defaults it started from. */
  dirty = apply_fields (self, NULL, FALSE) || knowledge_changed (self);
  if (dirty != self->dirty)
    {
      self->dirty = dirty;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIRTY]);
    }
}

static void
field_changed_cb (ConfabAgentEditor *self)
{
  if (!self->filling)
    recompute (self);
}

static void
name_changed_cb (ConfabAgentEditor *self)
{
  if (self->filling || self->loading)
    return;
  self->name_touched = TRUE;
  recompute (self);
}

static void
type_changed_cb (ConfabAgentEditor *self)
{
  if (self->filling || self->loading)
    return;
  recompute (self);
  /* The model list is fetched when it is first shown. */
  if (uses_model (self) && g_list_model_get_n_items (G_LIST_MODEL (self->model_names)) == 0 &&
      self->models_cancellable == NULL)
    start_model_fetch (self);
}

/* Models */

/* The model as free text. failure: why the list could not be fetched
 * (with Retry); note: a hint instead (NULL for none). */
static void
show_model_entry (ConfabAgentEditor *self, const char *failure, const char *note)
{
  gtk_widget_set_visible (GTK_WIDGET (self->model_row), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->model_entry), TRUE);
  self->filling = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->model_entry), self->model ? self->model : "");
  self->filling = FALSE;
  if (failure != NULL)
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->model_status_row),
                                     _ ("The Models Could Not Be Listed"));
      adw_action_row_set_subtitle (self->model_status_row, failure);
    }
  else
    {
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->model_status_row),
                                     note ? note : "");
      adw_action_row_set_subtitle (self->model_status_row, NULL);
    }
  gtk_widget_set_visible (self->model_retry_button, failure != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->model_status_row), failure != NULL || note != NULL);
}

/* The list in the combo row, the current model first if the provider does
 * not list it, and "the provider's default" for none. */
static void
show_model_list (ConfabAgentEditor *self, char **names)
{
  g_autoptr (GPtrArray) items = g_ptr_array_new ();
  guint    selected = 0;
  gboolean listed = FALSE;

  g_ptr_array_add (items, (gpointer) _ ("Provider’s Default"));
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    if (g_strcmp0 (names[i], self->model) == 0)
      listed = TRUE;
  if (is_set (self->model) && !listed)
    {
      selected = items->len;
      g_ptr_array_add (items, self->model);
    }
  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      if (g_strcmp0 (names[i], self->model) == 0)
        selected = items->len;
      g_ptr_array_add (items, names[i]);
    }
  g_ptr_array_add (items, NULL);

  self->filling = TRUE;
  gtk_string_list_splice (self->model_names, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->model_names)),
                          (const char *const *) items->pdata);
  adw_combo_row_set_selected (self->model_row, selected);
  self->filling = FALSE;

  gtk_widget_set_visible (GTK_WIDGET (self->model_row), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->model_entry), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->model_status_row), FALSE);
}

static void
set_models_loading (ConfabAgentEditor *self, gboolean loading)
{
  gtk_widget_set_visible (GTK_WIDGET (self->model_spinner), loading);
  gtk_spinner_set_spinning (self->model_spinner, loading);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->model_row),
                               loading ? _ ("Loading the provider’s models…") : NULL);
}

static gboolean
is_cancelled (GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
models_listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ConfabAgentEditor) self = user_data;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) names = NULL;

  names = confab_llm_client_list_models_finish (CONFAB_LLM_CLIENT (source), result, &error);
  if (is_cancelled (error))
    return;
  g_clear_object (&self->models_cancellable);
  set_models_loading (self, FALSE);
  if (error != NULL)
    show_model_entry (self, error->message, NULL);
  else if (names == NULL || names[0] == NULL)
    show_model_entry (self, NULL, _ ("The provider lists no models: type the name of one."));
  else
    show_model_list (self, names);
}

static void
models_client_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ConfabAgentEditor) self = user_data;
  g_autoptr (ConfabLlmClient) client = NULL;
  g_autoptr (GError) error = NULL;

  client = confab_provider_new_client_finish (CONFAB_PROVIDER (source), result, NULL, &error);
  if (client == NULL)
    {
      if (is_cancelled (error))
        return;
      g_clear_object (&self->models_cancellable);
      set_models_loading (self, FALSE);
      show_model_entry (self, error->message, NULL);
      return;
    }
  confab_llm_client_list_models_async (client, self->models_cancellable, models_listed_cb,
                                       g_object_ref (self));
}

static void
cancel_model_fetch (ConfabAgentEditor *self)
{
  if (self->models_cancellable != NULL)
    g_cancellable_cancel (self->models_cancellable);
  g_clear_object (&self->models_cancellable);
  set_models_loading (self, FALSE);
}

/* The chosen provider's live list of models, in the background. */
static void
start_model_fetch (ConfabAgentEditor *self)
{
  const char *provider_id = choice_get_id (&self->provider_choice);
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (GError) error = NULL;

  cancel_model_fetch (self);

  if (provider_id == NULL || self->db == NULL)
    {
      show_model_entry (self, NULL,
                        provider_id == NULL ? _ ("Choose a provider to pick from its models.")
                                            : NULL);
      return;
    }
  provider = confab_repository_get (self->db, CONFAB_TYPE_PROVIDER, provider_id, &error);
  if (provider == NULL)
    {
      show_model_entry (self, error->message, NULL);
      return;
    }

  /* What is known meanwhile: the current model alone. */
  show_model_list (self, NULL);
  set_models_loading (self, TRUE);
  self->models_cancellable = g_cancellable_new ();
  confab_provider_new_client_async (provider, NULL, self->models_cancellable, models_client_cb,
                                    g_object_ref (self));
}

static void
retry_models_cb (ConfabAgentEditor *self)
{
  start_model_fetch (self);
}

static void
provider_changed_cb (ConfabAgentEditor *self)
{
  if (self->filling || self->loading)
    return;
  if (uses_model (self))
    start_model_fetch (self);
  else
    {
      /* Fetched when the type needs a model. */
      cancel_model_fetch (self);
      gtk_string_list_splice (self->model_names, 0,
                              g_list_model_get_n_items (G_LIST_MODEL (self->model_names)), NULL);
    }
  recompute (self);
}

static void
model_selected_cb (ConfabAgentEditor *self)
{
  guint selected = adw_combo_row_get_selected (self->model_row);

  if (self->filling || self->loading)
    return;
  g_free (self->model);
  self->model = selected == 0 || selected == GTK_INVALID_LIST_POSITION
                    ? NULL
                    : g_strdup (gtk_string_list_get_string (self->model_names, selected));
  recompute (self);
}

static void
model_entry_changed_cb (ConfabAgentEditor *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->model_entry));

  if (self->filling || self->loading)
    return;
  g_free (self->model);
  self->model = is_set (text) ? g_strdup (text) : NULL;
  recompute (self);
}

/* Prompts */

static void
fill_versions (ConfabAgentEditor *self, const char *label, int version)
{
  const char *prompt_id = choice_get_id (&self->prompt_choice);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) labels = NULL;
  g_autoptr (GPtrArray) versions = NULL;
  g_autoptr (GError) error = NULL;
  guint         selected = 0;
  gboolean      found = FALSE;
  VersionChoice choice;

  g_array_set_size (self->versions, 0);
  choice.label = g_strdup (CONFAB_PROMPT_LABEL_LATEST);
  choice.version = 0;
  g_array_append_val (self->versions, choice);
  g_ptr_array_add (names, g_strdup (_ ("Latest Version")));
  found = version <= 0 && (!is_set (label) || g_strcmp0 (label, CONFAB_PROMPT_LABEL_LATEST) == 0);

  if (prompt_id != NULL && self->db != NULL)
    {
      labels = confab_prompt_list_labels (self->db, prompt_id, &error);
      if (labels == NULL)
        g_debug ("No labels for the prompt %s: %s", prompt_id, error->message);
      g_clear_error (&error);
      versions = confab_prompt_list_versions (self->db, prompt_id, &error);
      if (versions == NULL)
        g_debug ("No versions for the prompt %s: %s", prompt_id, error->message);
    }

  for (guint i = 0; labels != NULL && i < labels->len; i++)
    {
      ConfabPromptLabel *item = g_ptr_array_index (labels, i);
      const char        *name = confab_prompt_label_get_name (item);

      if (g_strcmp0 (name, CONFAB_PROMPT_LABEL_LATEST) == 0)
        continue;
      if (version <= 0 && g_strcmp0 (name, label) == 0)
        {
          selected = self->versions->len;
          found = TRUE;
        }
      choice.label = g_strdup (name);
      choice.version = 0;
      g_array_append_val (self->versions, choice);
      /* Translators: a prompt label ("production") and the version it points to. */
      g_ptr_array_add (names, g_strdup_printf (_ ("“%s” (version %d)"), name,
                                               confab_prompt_label_get_version (item)));
    }
  /* A label the agent names but the prompt lacks still reads as one. */
  if (!found && version <= 0 && is_set (label))
    {
      selected = self->versions->len;
      found = TRUE;
      choice.label = g_strdup (label);
      choice.version = 0;
      g_array_append_val (self->versions, choice);
      g_ptr_array_add (names, g_strdup_printf (_ ("“%s”"), label));
    }

  /* Newest first, as listed. */
  for (guint i = 0; versions != NULL && i < versions->len; i++)
    {
      ConfabPromptVersion *item = g_ptr_array_index (versions, i);
      int                  number = confab_prompt_version_get_version (item);

      if (version > 0 && number == version)
        {
          selected = self->versions->len;
          found = TRUE;
        }
      choice.label = NULL;
      choice.version = number;
      g_array_append_val (self->versions, choice);
      g_ptr_array_add (names, g_strdup_printf (_ ("Version %d"), number));
    }
  if (!found && version > 0)
    {
      selected = self->versions->len;
      choice.label = NULL;
      choice.version = version;
      g_array_append_val (self->versions, choice);
      g_ptr_array_add (names, g_strdup_printf (_ ("Version %d"), version));
    }
  g_ptr_array_add (names, NULL);

  self->filling = TRUE;
  {
    g_autoptr (GtkStringList) list = gtk_string_list_new ((const char *const *) names->pdata);

    adw_combo_row_set_model (self->prompt_version_row, G_LIST_MODEL (list));
  }
  adw_combo_row_set_selected (self->prompt_version_row, selected);
  self->filling = FALSE;
}

static void
prompt_changed_cb (ConfabAgentEditor *self)
{
  if (self->filling || self->loading)
    return;
  /* Another prompt: its newest version until a label or number is picked. */
  fill_versions (self, NULL, 0);
  recompute (self);
}

static void
prompt_source_changed_cb (ConfabAgentEditor *self)
{
  if (self->filling || self->loading)
    return;
  recompute (self);
}

/* Knowledge bases */

static void
knowledge_toggled_cb (GtkCheckButton *check, ConfabAgentEditor *self)
{
  const char *id = g_object_get_data (G_OBJECT (check), "confab-kb-id");

  if (self->filling)
    return;
  if (gtk_check_button_get_active (check))
    g_hash_table_add (self->kb_checked, g_strdup (id));
  else
    g_hash_table_remove (self->kb_checked, id);
  recompute (self);
}

static GtkWidget *
create_knowledge_row (gpointer item, gpointer user_data)
{
  ConfabAgentEditor   *self = user_data;
  ConfabKnowledgeBase *kb = item;
  const char          *id = confab_entity_get_id (CONFAB_ENTITY (kb));
  const char          *description = confab_knowledge_base_get_description (kb);
  GtkWidget           *row = adw_action_row_new ();
  GtkWidget           *check = gtk_check_button_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), confab_knowledge_base_get_title (kb));
  if (is_set (description))
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), description);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  g_object_set_data_full (G_OBJECT (check), "confab-kb-id", g_strdup (id), g_free);
  g_object_set_data (G_OBJECT (row), "confab-kb-check", check);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check),
                               g_hash_table_contains (self->kb_checked, id));
  g_signal_connect (check, "toggled", G_CALLBACK (knowledge_toggled_cb), self);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
  return row;
}

/* The ticks again, from kb_checked. */
static void
sync_knowledge_rows (ConfabAgentEditor *self)
{
  GtkListBoxRow *row;

  self->filling = TRUE;
  for (guint i = 0; (row = gtk_list_box_get_row_at_index (self->knowledge_list, i)) != NULL; i++)
    {
      GtkWidget  *check = g_object_get_data (G_OBJECT (row), "confab-kb-check");
      const char *id = g_object_get_data (G_OBJECT (check), "confab-kb-id");

      gtk_check_button_set_active (GTK_CHECK_BUTTON (check),
                                   g_hash_table_contains (self->kb_checked, id));
    }
  self->filling = FALSE;
}

/* Live lists */

static void
providers_changed_cb (ConfabAgentEditor *self)
{
  const char      *current = self->agent ? choice_get_id (&self->provider_choice) : NULL;
  g_autofree char *id = g_strdup (current);

  choice_fill (self, &self->provider_choice, _ ("None"), self->providers, provider_name, id);
}

static void
users_changed_cb (ConfabAgentEditor *self)
{
  g_autofree char *id = g_strdup (self->agent ? choice_get_id (&self->owner_choice) : NULL);

  choice_fill (self, &self->owner_choice, _ ("Nobody"), self->users, user_name, id);
}

static void
prompts_changed_cb (ConfabAgentEditor *self)
{
  g_autofree char *id = g_strdup (self->agent ? choice_get_id (&self->prompt_choice) : NULL);

  choice_fill (self, &self->prompt_choice, NULL, self->prompts, prompt_name, id);
}

static void
knowledge_bases_changed_cb (ConfabAgentEditor *self)
{
  recompute (self);
}

static void
dark_changed_cb (ConfabAgentEditor *self)
{
  GtkSourceStyleSchemeManager *manager = gtk_source_style_scheme_manager_get_default ();
  gboolean                     dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  GtkSourceBuffer             *buffer =
      GTK_SOURCE_BUFFER (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->prompt_view)));
  GtkSourceStyleScheme *scheme;

  scheme = gtk_source_style_scheme_manager_get_scheme (manager, dark ? "Adwaita-dark" : "Adwaita");
  if (scheme != NULL)
    gtk_source_buffer_set_style_scheme (buffer, scheme);
}

/* GObject */

static void
confab_agent_editor_dispose (GObject *object)
{
  ConfabAgentEditor *self = CONFAB_AGENT_EDITOR (object);

  cancel_model_fetch (self);
  confab_agent_editor_set_database (self, NULL);
  /* No gtk_widget_dispose_template (): the template's root is AdwBin's
   * child, which AdwBin unparents itself; doing both unparents it twice. */
  g_clear_object (&self->agent);
  choice_clear (&self->provider_choice);
  choice_clear (&self->owner_choice);
  choice_clear (&self->prompt_choice);

  G_OBJECT_CLASS (confab_agent_editor_parent_class)->dispose (object);
}

static void
confab_agent_editor_finalize (GObject *object)
{
  ConfabAgentEditor *self = CONFAB_AGENT_EDITOR (object);

  g_clear_pointer (&self->versions, g_array_unref);
  g_clear_pointer (&self->kb_saved, g_hash_table_unref);
  g_clear_pointer (&self->kb_checked, g_hash_table_unref);
  g_free (self->model);
  g_free (self->error);
  g_free (self->title);

  G_OBJECT_CLASS (confab_agent_editor_parent_class)->finalize (object);
}

static void
confab_agent_editor_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  ConfabAgentEditor *self = CONFAB_AGENT_EDITOR (object);

  switch (prop_id)
    {
    case PROP_DIRTY:
      g_value_set_boolean (value, self->dirty);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_agent_editor_class_init (ConfabAgentEditorClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_agent_editor_dispose;
  object_class->finalize = confab_agent_editor_finalize;
  object_class->get_property = confab_agent_editor_get_property;

  properties[PROP_DIRTY] =
      g_param_spec_boolean ("dirty", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] =
      g_param_spec_string ("error", NULL, NULL, NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_TITLE] =
      g_param_spec_string ("title", NULL, NULL, NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (GTK_SOURCE_TYPE_VIEW);
  g_type_ensure (CONFAB_TYPE_AGENT_RULES_EDITOR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-agent-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, scroller);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, heading_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, heading_subtitle);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, chat_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, name_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, description_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, type_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, sector_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, owner_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, active_switch);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, general_error);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, model_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, provider_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, model_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, model_names);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, model_spinner);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, model_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, model_status_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, model_retry_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, temperature_spin);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, max_tokens_spin);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, prompt_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, prompt_source_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, prompt_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, prompt_version_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, prompt_frame);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, prompt_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, prompt_hint);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, prompt_error);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, rules_editor);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentEditor, knowledge_list);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, name_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, type_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, provider_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, model_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, model_entry_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, retry_models_cb);
  gtk_widget_class_bind_template_callback (widget_class, prompt_source_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, prompt_changed_cb);
}

static void
confab_agent_editor_init (ConfabAgentEditor *self)
{
  GtkSourceLanguageManager *languages = gtk_source_language_manager_get_default ();
  GtkSourceLanguage *markdown = gtk_source_language_manager_get_language (languages, "markdown");
  GtkTextBuffer     *buffer;

  /* Nothing reacts to the fields until an agent is loaded. */
  self->loading = TRUE;
  self->versions = g_array_new (FALSE, TRUE, sizeof (VersionChoice));
  g_array_set_clear_func (self->versions, version_choice_clear);
  self->kb_saved = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->kb_checked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  confab_agent_row_ensure_style ();

  choice_init (&self->provider_choice, self->provider_row);
  choice_init (&self->owner_choice, self->owner_row);
  choice_init (&self->prompt_choice, self->prompt_row);

  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->prompt_view));
  if (markdown != NULL)
    gtk_source_buffer_set_language (GTK_SOURCE_BUFFER (buffer), markdown);
  g_signal_connect_object (buffer, "changed", G_CALLBACK (field_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (dark_changed_cb), self, G_CONNECT_SWAPPED);
  dark_changed_cb (self);
  self->loading = FALSE;
}

GtkWidget *
confab_agent_editor_new (void)
{
  return g_object_new (CONFAB_TYPE_AGENT_EDITOR, NULL);
}

void
confab_agent_editor_set_database (ConfabAgentEditor *self, ConfabDatabase *db)
{
  g_return_if_fail (CONFAB_IS_AGENT_EDITOR (self));

  if (self->db == db)
    return;

  cancel_model_fetch (self);
  if (self->providers != NULL)
    g_signal_handlers_disconnect_by_data (self->providers, self);
  if (self->users != NULL)
    g_signal_handlers_disconnect_by_data (self->users, self);
  if (self->prompts != NULL)
    g_signal_handlers_disconnect_by_data (self->prompts, self);
  if (self->knowledge_bases != NULL)
    g_signal_handlers_disconnect_by_data (self->knowledge_bases, self);
  if (self->knowledge_list != NULL)
    gtk_list_box_bind_model (self->knowledge_list, NULL, NULL, NULL, NULL);
  g_clear_object (&self->providers);
  g_clear_object (&self->users);
  g_clear_object (&self->prompts);
  g_clear_object (&self->knowledge_bases);
  g_clear_object (&self->agent);
  g_set_object (&self->db, db);

  if (db == NULL)
    return;

  self->providers = confab_repository_list_model (db, CONFAB_TYPE_PROVIDER, NULL, NULL);
  self->users = confab_repository_list_model (db, CONFAB_TYPE_USER, NULL, NULL);
  self->prompts = confab_repository_list_model (db, CONFAB_TYPE_PROMPT, NULL, NULL);
  self->knowledge_bases = confab_repository_list_model (db, CONFAB_TYPE_KNOWLEDGE_BASE, NULL, NULL);
  g_signal_connect_swapped (self->providers, "items-changed", G_CALLBACK (providers_changed_cb),
                            self);
  g_signal_connect_swapped (self->users, "items-changed", G_CALLBACK (users_changed_cb), self);
  g_signal_connect_swapped (self->prompts, "items-changed", G_CALLBACK (prompts_changed_cb), self);
  gtk_list_box_bind_model (self->knowledge_list, self->knowledge_bases, create_knowledge_row, self,
                           NULL);
  g_signal_connect_swapped (self->knowledge_bases, "items-changed",
                            G_CALLBACK (knowledge_bases_changed_cb), self);
}

void
confab_agent_editor_load (ConfabAgentEditor *self, ConfabAgent *agent)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) linked = NULL;
  const char *prompt_id, *label;
  int         version;
  guint       type;

  g_return_if_fail (CONFAB_IS_AGENT_EDITOR (self));
  g_return_if_fail (agent == NULL || CONFAB_IS_AGENT (agent));

  cancel_model_fetch (self);
  /* The message being tried stays for the same agent (after a save). */
  if (agent == NULL || self->agent == NULL ||
      g_strcmp0 (confab_entity_get_id (CONFAB_ENTITY (agent)),
                 confab_entity_get_id (CONFAB_ENTITY (self->agent))) != 0)
    confab_agent_rules_editor_try_message (self->rules_editor, "");
  g_clear_object (&self->agent);
  if (agent != NULL)
    {
      /* A copy of its own: the list's object changes under it. */
      self->agent = g_object_new (CONFAB_TYPE_AGENT, NULL);
      g_object_set (self->agent, "id", confab_entity_get_id (CONFAB_ENTITY (agent)), NULL);
      confab_entity_update_from (CONFAB_ENTITY (self->agent), CONFAB_ENTITY (agent));
      confab_entity_clear_dirty (CONFAB_ENTITY (self->agent));
    }
  else
    self->agent = confab_agent_new (NULL);
  self->is_new = agent == NULL;
  self->name_touched = FALSE;

  self->loading = TRUE;
  self->filling = TRUE;
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), confab_agent_get_name (self->agent)
                                                            ? confab_agent_get_name (self->agent)
                                                            : "");
  gtk_editable_set_text (
      GTK_EDITABLE (self->description_row),
      confab_agent_get_description (self->agent) ? confab_agent_get_description (self->agent) : "");
  gtk_editable_set_text (
      GTK_EDITABLE (self->sector_row),
      confab_agent_get_sector (self->agent) ? confab_agent_get_sector (self->agent) : "");
  for (type = 0; type_ids[type] != NULL; type++)
    if (g_strcmp0 (type_ids[type], confab_agent_get_agent_type (self->agent)) == 0)
      break;
  adw_combo_row_set_selected (self->type_row, type_ids[type] != NULL ? type : TYPE_RULE_BASED);
  gtk_switch_set_active (self->active_switch, confab_agent_get_is_active (self->agent));
  gtk_spin_button_set_value (self->temperature_spin, confab_agent_get_temperature (self->agent));
  gtk_spin_button_set_value (self->max_tokens_spin, confab_agent_get_max_tokens (self->agent));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->prompt_view)),
                            confab_agent_get_system_prompt (self->agent)
                                ? confab_agent_get_system_prompt (self->agent)
                                : "",
                            -1);
  g_free (self->model);
  self->model = is_set (confab_agent_get_model (self->agent))
                    ? g_strdup (confab_agent_get_model (self->agent))
                    : NULL;
  self->filling = FALSE;

  choice_fill (self, &self->owner_choice, _ ("Nobody"), self->users, user_name,
               confab_agent_get_owner_id (self->agent));
  choice_fill (self, &self->provider_choice, _ ("None"), self->providers, provider_name,
               confab_agent_get_provider_id (self->agent));
  get_saved_prompt (self, &prompt_id, &label, &version);
  choice_fill (self, &self->prompt_choice, NULL, self->prompts, prompt_name, prompt_id);
  self->filling = TRUE;
  adw_combo_row_set_selected (self->prompt_source_row,
                              prompt_id != NULL ? SOURCE_LIBRARY : SOURCE_INLINE);
  self->filling = FALSE;
  fill_versions (self, label, version);

  g_hash_table_remove_all (self->kb_saved);
  g_hash_table_remove_all (self->kb_checked);
  if (!self->is_new && self->db != NULL)
    {
      linked = confab_agent_list_knowledge_base_ids (
          self->db, confab_entity_get_id (CONFAB_ENTITY (self->agent)), &error);
      if (linked == NULL)
        g_warning ("Could not read the knowledge bases of an agent: %s", error->message);
      for (guint i = 0; linked != NULL && linked[i] != NULL; i++)
        {
          g_hash_table_add (self->kb_saved, g_strdup (linked[i]));
          g_hash_table_add (self->kb_checked, g_strdup (linked[i]));
        }
    }
  sync_knowledge_rows (self);

  confab_agent_rules_editor_set_agent (
      self->rules_editor, self->db,
      self->is_new ? NULL : confab_entity_get_id (CONFAB_ENTITY (self->agent)), get_type_id (self),
      confab_agent_get_name (self->agent));
  confab_agent_rules_editor_set_config (self->rules_editor, confab_agent_get_config (self->agent));
  self->loading = FALSE;

  self->dirty = TRUE; /* so that recompute() notifies the change back */
  recompute (self);
  if (!self->is_new)
    {
      gtk_actionable_set_action_target (GTK_ACTIONABLE (self->chat_button), "s",
                                        confab_entity_get_id (CONFAB_ENTITY (self->agent)));
      gtk_actionable_set_action_name (GTK_ACTIONABLE (self->chat_button), "win.chat-with-agent");
    }
  if (uses_model (self))
    start_model_fetch (self);
  else
    show_model_entry (self, NULL, NULL);
  gtk_adjustment_set_value (gtk_scrolled_window_get_vadjustment (self->scroller), 0);
}

ConfabAgent *
confab_agent_editor_get_agent (ConfabAgentEditor *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_EDITOR (self), NULL);

  return self->agent;
}

gboolean
confab_agent_editor_get_is_new (ConfabAgentEditor *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_EDITOR (self), FALSE);

  return self->is_new;
}

gboolean
confab_agent_editor_get_dirty (ConfabAgentEditor *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_EDITOR (self), FALSE);

  return self->dirty;
}

const char *
confab_agent_editor_get_error (ConfabAgentEditor *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_EDITOR (self), NULL);

  return self->error;
}

const char *
confab_agent_editor_get_title (ConfabAgentEditor *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_EDITOR (self), NULL);

  return self->title;
}

void
confab_agent_editor_refresh (ConfabAgentEditor *self, ConfabAgent *stored)
{
  gboolean was_active;

  g_return_if_fail (CONFAB_IS_AGENT_EDITOR (self));
  g_return_if_fail (CONFAB_IS_AGENT (stored));

  if (self->agent == NULL || self->is_new ||
      g_strcmp0 (confab_entity_get_id (CONFAB_ENTITY (self->agent)),
                 confab_entity_get_id (CONFAB_ENTITY (stored))) != 0)
    return;

  /* Our own save, already loaded: nothing to do (and no second fetch of
   * the models). */
  if (g_strcmp0 (confab_entity_get_updated_at (CONFAB_ENTITY (self->agent)),
                 confab_entity_get_updated_at (CONFAB_ENTITY (stored))) == 0)
    return;

  if (!self->dirty)
    {
      /* Where the reader was stays where it was. */
      GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scroller);
      double         position = gtk_adjustment_get_value (adjustment);

      confab_agent_editor_load (self, stored);
      gtk_adjustment_set_value (adjustment, position);
      return;
    }

  /* Edits in progress are kept; the switch the list shares follows the
   * workspace unless it was flipped here. Saving writes only what changed
   * here, so the rest of the stored agent is kept either way. */
  was_active = confab_agent_get_is_active (self->agent);
  if (gtk_switch_get_active (self->active_switch) == was_active)
    {
      self->filling = TRUE;
      gtk_switch_set_active (self->active_switch, confab_agent_get_is_active (stored));
      self->filling = FALSE;
    }
  confab_entity_update_from (CONFAB_ENTITY (self->agent), CONFAB_ENTITY (stored));
  confab_entity_clear_dirty (CONFAB_ENTITY (self->agent));
  recompute (self);
}

/* Knowledge links to match the ticks; a link already made or removed
 * elsewhere is no error. */
static gboolean
save_knowledge (ConfabAgentEditor *self, const char *agent_id, const char *actor_id, GError **error)
{
  GHashTableIter iter;
  gpointer       key;

  g_hash_table_iter_init (&iter, self->kb_checked);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (self->kb_saved, key))
      {
        g_autoptr (GError) local_error = NULL;

        if (!confab_agent_add_knowledge_base (self->db, agent_id, key, actor_id, &local_error) &&
            !g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT))
          {
            g_propagate_error (error, g_steal_pointer (&local_error));
            return FALSE;
          }
      }
  g_hash_table_iter_init (&iter, self->kb_saved);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (self->kb_checked, key))
      {
        g_autoptr (GError) local_error = NULL;

        if (!confab_agent_remove_knowledge_base (self->db, agent_id, key, actor_id, &local_error) &&
            !g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
          {
            g_propagate_error (error, g_steal_pointer (&local_error));
            return FALSE;
          }
      }
  return TRUE;
}

gboolean
confab_agent_editor_save (ConfabAgentEditor *self, const char *actor_id, GError **error)
{
  g_autoptr (ConfabAgent) target = NULL;
  g_autoptr (ConfabAgent) saved = NULL;
  const char *id;

  g_return_val_if_fail (CONFAB_IS_AGENT_EDITOR (self), FALSE);
  g_return_val_if_fail (self->agent != NULL, FALSE);

  if (self->db == NULL)
    {
      g_set_error_literal (error, CONFAB_ERROR, CONFAB_ERROR_INVALID, _ ("No workspace is open"));
      return FALSE;
    }
  recompute (self);
  if (self->error != NULL)
    {
      g_set_error_literal (error, CONFAB_ERROR, CONFAB_ERROR_INVALID, self->error);
      return FALSE;
    }

  if (!confab_database_begin (self->db, error))
    return FALSE;

  if (self->is_new)
    {
      target = confab_agent_new (NULL);
      apply_fields (self, target, TRUE);
      if (!confab_repository_create (self->db, CONFAB_ENTITY (target), actor_id, error))
        goto rollback;
    }
  else
    {
      /* The stored row, so that only this editor's changes go over it. */
      target = confab_repository_get (self->db, CONFAB_TYPE_AGENT,
                                      confab_entity_get_id (CONFAB_ENTITY (self->agent)), error);
      if (target == NULL)
        goto rollback;
      if (apply_fields (self, target, FALSE) &&
          !confab_repository_update (self->db, CONFAB_ENTITY (target), actor_id, error))
        goto rollback;
    }

  id = confab_entity_get_id (CONFAB_ENTITY (target));
  if (!save_knowledge (self, id, actor_id, error))
    goto rollback;
  if (!confab_database_commit (self->db, error))
    return FALSE;

  saved = confab_repository_get (self->db, CONFAB_TYPE_AGENT, id, NULL);
  confab_agent_editor_load (self, saved != NULL ? saved : target);
  return TRUE;

rollback:
  confab_database_rollback (self->db);
  return FALSE;
}

ConfabAgentRulesEditor *
confab_agent_editor_get_rules_editor (ConfabAgentEditor *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_EDITOR (self), NULL);

  return self->rules_editor;
}

GtkWidget *
confab_agent_editor_get_field (ConfabAgentEditor *self, const char *name)
{
  const struct
  {
    const char *name;
    gpointer    widget;
  } fields[] = {
    { "name", self->name_row },
    { "description", self->description_row },
    { "type", self->type_row },
    { "sector", self->sector_row },
    { "owner", self->owner_row },
    { "active", self->active_switch },
    { "general-error", self->general_error },
    { "provider", self->provider_row },
    { "model", self->model_row },
    { "model-entry", self->model_entry },
    { "model-status", self->model_status_row },
    { "model-spinner", self->model_spinner },
    { "model-retry", self->model_retry_button },
    { "temperature", self->temperature_spin },
    { "max-tokens", self->max_tokens_spin },
    { "prompt-source", self->prompt_source_row },
    { "prompt", self->prompt_row },
    { "prompt-version", self->prompt_version_row },
    { "system-prompt", self->prompt_view },
    { "prompt-error", self->prompt_error },
    { "knowledge", self->knowledge_list },
    { "chat", self->chat_button },
  };

  g_return_val_if_fail (CONFAB_IS_AGENT_EDITOR (self), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_strcmp0 (fields[i].name, name) == 0)
      return fields[i].widget;
  g_return_val_if_reached (NULL);
}

void
confab_agent_editor_set_knowledge_base (ConfabAgentEditor *self,
                                        const char        *knowledge_base_id,
                                        gboolean           linked)
{
  g_return_if_fail (CONFAB_IS_AGENT_EDITOR (self));

  if (linked)
    g_hash_table_add (self->kb_checked, g_strdup (knowledge_base_id));
  else
    g_hash_table_remove (self->kb_checked, knowledge_base_id);
  sync_knowledge_rows (self);
  recompute (self);
}

const char *
confab_agent_editor_get_model (ConfabAgentEditor *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_EDITOR (self), NULL);

  return self->model;
}
