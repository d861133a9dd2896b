/* confab-prompt-playground.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-prompt-common.h"
#include "confab-prompt-playground.h"
#include "confab-template.h"

struct _ConfabPromptPlayground
{
  AdwBin parent_instance;

  GtkWidget           *run_button;
  GtkWidget           *stop_button;
  GtkToggleButton     *compare_button;
  GtkMenuButton       *runs_button;
  GtkStack            *runs_stack;
  GtkListView         *runs_list;
  AdwPreferencesGroup *variables_group;
  GtkWidget           *variables_list;
  GtkTextView         *input_view;
  GtkFlowBox          *panes_box;
  ConfabPromptRunPane *pane_a;
  ConfabPromptRunPane *pane_b;

  ConfabDatabase     *db;
  ConfabPrompt       *prompt;
  ConfabPromptRunner *runner;
  GListModel         *versions;
  GListModel         *runs;
  GtkSingleSelection *runs_selection;
  GHashTable         *values;  /* variable name -> text typed, kept across versions */
  GHashTable         *entries; /* variable name -> GtkEntry shown */
  gulong              runs_changed_id;
  guint               opening : 1;
};

G_DEFINE_FINAL_TYPE (ConfabPromptPlayground, confab_prompt_playground, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static gboolean
comparing (ConfabPromptPlayground *self)
{
  return gtk_toggle_button_get_active (self->compare_button);
}

/* Variables */

static void
entry_changed_cb (GtkEditable *entry, ConfabPromptPlayground *self)
{
  const char *name = g_object_get_data (G_OBJECT (entry), "confab-variable");

  g_hash_table_replace (self->values, g_strdup (name), g_strdup (gtk_editable_get_text (entry)));
}

static void
add_variables_of (ConfabPromptPlayground *self, ConfabPromptVersion *version, GHashTable *seen)
{
  g_autoptr (GPtrArray) variables = NULL;

  if (version == NULL)
    return;
  variables = confab_template_detect_variables (confab_prompt_version_get_body (version), NULL);
  for (guint i = 0; variables != NULL && i < variables->len; i++)
    {
      ConfabTemplateVariable *variable = g_ptr_array_index (variables, i);
      GtkWidget              *row;
      GtkWidget              *entry;
      const char             *value;
      const char             *placeholder;

      if (g_hash_table_contains (seen, variable->name))
        continue;
      g_hash_table_add (seen, g_strdup (variable->name));

      row = adw_action_row_new ();
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), variable->name);
      if (variable->section_only)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                     _ ("A section: shown when set and not “false”"));
      entry = gtk_entry_new ();
      gtk_widget_set_valign (entry, GTK_ALIGN_CENTER);
      gtk_widget_set_hexpand (entry, TRUE);
      gtk_editable_set_width_chars (GTK_EDITABLE (entry), 16);
      if (variable->default_value != NULL && *variable->default_value != '\0')
        placeholder = variable->default_value;
      else if (variable->default_value != NULL || variable->section_only)
        placeholder = _ ("Optional");
      else
        placeholder = _ ("Needs a value");
      gtk_entry_set_placeholder_text (GTK_ENTRY (entry), placeholder);
      value = g_hash_table_lookup (self->values, variable->name);
      gtk_editable_set_text (GTK_EDITABLE (entry), value ? value : "");
      g_object_set_data_full (G_OBJECT (entry), "confab-variable", g_strdup (variable->name),
                              g_free);
      gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      variable->name, -1);
      g_signal_connect_object (entry, "changed", G_CALLBACK (entry_changed_cb), self, 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), entry);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), entry);
      gtk_list_box_append (GTK_LIST_BOX (self->variables_list), row);
      g_hash_table_insert (self->entries, g_strdup (variable->name), entry);
    }
}

/* One form for the variables of every version that runs. */
static void
rebuild_variables (ConfabPromptPlayground *self)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_hash_table_remove_all (self->entries);
  confab_prompt_remove_children (self->variables_list);
  add_variables_of (self, confab_prompt_run_pane_get_version (self->pane_a), seen);
  if (comparing (self))
    add_variables_of (self, confab_prompt_run_pane_get_version (self->pane_b), seen);
  if (g_hash_table_size (seen) == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _ ("No variables"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   _ ("This text runs as it is, with the built-ins filled in"));
      gtk_widget_add_css_class (row, "dim-label");
      gtk_list_box_append (GTK_LIST_BOX (self->variables_list), row);
    }
}

/* Only what was typed: an empty field leaves the default to the template. */
static GHashTable *
dup_values (ConfabPromptPlayground *self)
{
  GHashTable    *values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer       name, entry;

  g_hash_table_iter_init (&iter, self->entries);
  while (g_hash_table_iter_next (&iter, &name, &entry))
    {
      const char *text = gtk_editable_get_text (GTK_EDITABLE (entry));

      if (*text != '\0')
        g_hash_table_insert (values, g_strdup (name), g_strdup (text));
    }
  return values;
}

/* Running */

static void
update_running (ConfabPromptPlayground *self)
{
  gboolean running = confab_prompt_playground_get_running (self);

  gtk_widget_set_visible (self->run_button, !running);
  gtk_widget_set_visible (self->stop_button, running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->compare_button), !running);
  gtk_widget_set_sensitive (self->variables_list, !running);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

gboolean
confab_prompt_playground_run (ConfabPromptPlayground *self)
{
  g_autoptr (GHashTable) values = NULL;
  g_autofree char *input = NULL;
  gboolean         started;

  g_return_val_if_fail (CONFAB_IS_PROMPT_PLAYGROUND (self), FALSE);

  if (self->runner == NULL || self->prompt == NULL || confab_prompt_playground_get_running (self))
    return FALSE;
  values = dup_values (self);
  input = g_strstrip (confab_prompt_text_view_dup_text (self->input_view));
  started = confab_prompt_run_pane_run (self->pane_a, self->runner, values, input);
  if (comparing (self))
    started = confab_prompt_run_pane_run (self->pane_b, self->runner, values, input) || started;
  update_running (self);
  return started;
}

void
confab_prompt_playground_stop (ConfabPromptPlayground *self)
{
  g_return_if_fail (CONFAB_IS_PROMPT_PLAYGROUND (self));

  confab_prompt_run_pane_stop (self->pane_a);
  confab_prompt_run_pane_stop (self->pane_b);
}

gboolean
confab_prompt_playground_get_running (ConfabPromptPlayground *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_PLAYGROUND (self), FALSE);

  return confab_prompt_run_pane_get_running (self->pane_a) ||
         confab_prompt_run_pane_get_running (self->pane_b);
}

static void
run_clicked_cb (ConfabPromptPlayground *self)
{
  confab_prompt_playground_run (self);
}

static void
stop_clicked_cb (ConfabPromptPlayground *self)
{
  confab_prompt_playground_stop (self);
}

static void
run_action (GtkWidget *widget, const char *action_name, GVariant *parameter)
{
  ConfabPromptPlayground *self = CONFAB_PROMPT_PLAYGROUND (widget);

  if (confab_prompt_playground_get_running (self))
    confab_prompt_playground_stop (self);
  else
    confab_prompt_playground_run (self);
}

static void
compare_toggled_cb (ConfabPromptPlayground *self)
{
  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->pane_b)), comparing (self));
  rebuild_variables (self);
}

/* Runs */

static void
update_runs_state (ConfabPromptPlayground *self)
{
  gtk_stack_set_visible_child_name (
      self->runs_stack, self->runs && g_list_model_get_n_items (self->runs) > 0 ? "runs" : "empty");
}

static int
version_number_of (ConfabPromptPlayground *self, const char *version_id)
{
  guint n = self->versions ? g_list_model_get_n_items (self->versions) : 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabPromptVersion) version = g_list_model_get_item (self->versions, i);

      if (g_strcmp0 (id_of (version), version_id) == 0)
        return confab_prompt_version_get_version (version);
    }
  return 0;
}

static void
setup_run_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *subtitle = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0);
  gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), subtitle);
  gtk_widget_set_margin_top (box, 4);
  gtk_widget_set_margin_bottom (box, 4);
  gtk_list_item_set_child (item, box);
}

static void
bind_run_cb (GtkSignalListItemFactory *factory, GtkListItem *item, ConfabPromptPlayground *self)
{
  ConfabPromptRun *run = gtk_list_item_get_item (item);
  GtkWidget       *box = gtk_list_item_get_child (item);
  GtkWidget       *title = gtk_widget_get_first_child (box);
  GtkWidget       *subtitle = gtk_widget_get_next_sibling (title);
  g_autofree char *who = NULL;
  g_autofree char *title_text = NULL;
  g_autofree char *when = NULL;
  g_autofree char *latency = NULL;
  g_autofree char *subtitle_text = NULL;
  g_autofree char *outcome = NULL;
  const char      *status = confab_prompt_run_get_status (run);
  const char      *verdict = "";
  const char      *input;

  if (confab_prompt_run_get_agent_id (run) != NULL && self->db != NULL)
    {
      g_autoptr (ConfabAgent) agent = confab_repository_get (
          self->db, CONFAB_TYPE_AGENT, confab_prompt_run_get_agent_id (run), NULL);

      who = g_strdup (agent ? confab_agent_get_name (agent) : _ ("A deleted agent"));
    }
  else
    who = g_strdup (confab_prompt_run_get_model (run) ? confab_prompt_run_get_model (run) : "");
  /* The input says which run it was; the rest is in the line below. */
  input = confab_prompt_run_get_input (run);
  if (input != NULL && *input != '\0')
    {
      g_autofree char *one_line = g_strdup (input);

      g_strdelimit (one_line, "\n\r\t", ' ');
      title_text = g_strdup_printf (_ ("“%s”"), one_line);
    }
  else
    title_text = g_strdup (_ ("No input"));
  gtk_label_set_label (GTK_LABEL (title), title_text);

  when = confab_prompt_format_date (confab_entity_get_created_at (CONFAB_ENTITY (run)));
  latency = confab_prompt_format_latency (confab_prompt_run_get_latency_ms (run));
  if (confab_prompt_run_get_verdict (run) == CONFAB_PROMPT_VERDICT_PASSED)
    verdict = _ (" · test passed");
  else if (confab_prompt_run_get_verdict (run) == CONFAB_PROMPT_VERDICT_FAILED)
    verdict = _ (" · test failed");
  if (g_strcmp0 (status, "error") == 0)
    outcome = g_strdup (_ ("failed"));
  else if (g_strcmp0 (status, "cancelled") == 0)
    outcome = g_strdup (_ ("stopped"));
  else
    outcome = g_strdup (latency);
  /* Translators: a saved run: "v3 · llama3.2 · 12 Nov 2026, 16:00 · 1.2 s" */
  subtitle_text = g_strdup_printf (_ ("v%d · %s · %s · %s%s"),
                                   version_number_of (self, confab_prompt_run_get_version_id (run)),
                                   who, when, outcome, verdict);
  gtk_label_set_label (GTK_LABEL (subtitle), subtitle_text);
}

void
confab_prompt_playground_open_run (ConfabPromptPlayground *self, ConfabPromptRun *run)
{
  g_autoptr (GHashTable) values = NULL;

  g_return_if_fail (CONFAB_IS_PROMPT_PLAYGROUND (self));
  g_return_if_fail (CONFAB_IS_PROMPT_RUN (run));

  if (confab_prompt_playground_get_running (self))
    return;
  gtk_toggle_button_set_active (self->compare_button, FALSE);
  values = confab_prompt_variables_from_json (confab_prompt_run_get_variables (run), NULL);
  if (values != NULL)
    {
      GHashTableIter iter;
      gpointer       name, value;

      g_hash_table_remove_all (self->values);
      g_hash_table_iter_init (&iter, values);
      while (g_hash_table_iter_next (&iter, &name, &value))
        g_hash_table_insert (self->values, g_strdup (name), g_strdup (value));
    }
  confab_prompt_run_pane_show_run (self->pane_a, run);
  rebuild_variables (self);
  gtk_text_buffer_set_text (
      gtk_text_view_get_buffer (self->input_view),
      confab_prompt_run_get_input (run) ? confab_prompt_run_get_input (run) : "", -1);
}

static void
run_activated_cb (ConfabPromptPlayground *self, guint position)
{
  g_autoptr (ConfabPromptRun) run = g_list_model_get_item (self->runs, position);

  if (run == NULL)
    return;
  gtk_menu_button_popdown (self->runs_button);
  confab_prompt_playground_open_run (self, run);
}

/* GObject */

static void
confab_prompt_playground_dispose (GObject *object)
{
  ConfabPromptPlayground *self = CONFAB_PROMPT_PLAYGROUND (object);

  if (self->pane_a != NULL)
    confab_prompt_playground_stop (self);
  confab_prompt_playground_set_prompt (self, NULL, NULL);
  g_clear_object (&self->runner);

  G_OBJECT_CLASS (confab_prompt_playground_parent_class)->dispose (object);
}

static void
confab_prompt_playground_finalize (GObject *object)
{
  ConfabPromptPlayground *self = CONFAB_PROMPT_PLAYGROUND (object);

  g_clear_object (&self->runs_selection);
  g_hash_table_unref (self->values);
  g_hash_table_unref (self->entries);

  G_OBJECT_CLASS (confab_prompt_playground_parent_class)->finalize (object);
}

static void
confab_prompt_playground_get_property (GObject    *object,
                                       guint       prop_id,
                                       GValue     *value,
                                       GParamSpec *pspec)
{
  ConfabPromptPlayground *self = CONFAB_PROMPT_PLAYGROUND (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, confab_prompt_playground_get_running (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_prompt_playground_class_init (ConfabPromptPlaygroundClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_prompt_playground_dispose;
  object_class->finalize = confab_prompt_playground_finalize;
  object_class->get_property = confab_prompt_playground_get_property;

  properties[PROP_RUNNING] =
      g_param_spec_boolean ("running", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (CONFAB_TYPE_PROMPT_RUN_PANE);
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-prompt-playground.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptPlayground, run_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptPlayground, stop_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptPlayground, compare_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptPlayground, runs_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptPlayground, runs_stack);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptPlayground, runs_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptPlayground, variables_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptPlayground, variables_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptPlayground, input_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptPlayground, panes_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptPlayground, pane_a);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptPlayground, pane_b);
  gtk_widget_class_bind_template_callback (widget_class, run_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, compare_toggled_cb);
  gtk_widget_class_bind_template_callback (widget_class, rebuild_variables);
  gtk_widget_class_bind_template_callback (widget_class, update_running);
  gtk_widget_class_bind_template_callback (widget_class, run_activated_cb);

  gtk_widget_class_install_action (widget_class, "playground.run", NULL, run_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Return, GDK_CONTROL_MASK,
                                       "playground.run", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Enter, GDK_CONTROL_MASK,
                                       "playground.run", NULL);
}

static void
confab_prompt_playground_init (ConfabPromptPlayground *self)
{
  GtkListItemFactory *factory;

  gtk_widget_init_template (GTK_WIDGET (self));
  confab_prompt_ensure_style ();
  self->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  self->runs_selection = gtk_single_selection_new (NULL);
  gtk_single_selection_set_autoselect (self->runs_selection, FALSE);
  gtk_single_selection_set_can_unselect (self->runs_selection, TRUE);
  factory = gtk_signal_list_item_factory_new ();
  g_signal_connect (factory, "setup", G_CALLBACK (setup_run_cb), NULL);
  g_signal_connect_object (factory, "bind", G_CALLBACK (bind_run_cb), self, 0);
  gtk_list_view_set_factory (self->runs_list, factory);
  g_object_unref (factory);
  gtk_list_view_set_model (self->runs_list, GTK_SELECTION_MODEL (self->runs_selection));

  compare_toggled_cb (self);
  update_running (self);
  update_runs_state (self);
}

GtkWidget *
confab_prompt_playground_new (void)
{
  return g_object_new (CONFAB_TYPE_PROMPT_PLAYGROUND, NULL);
}

void
confab_prompt_playground_set_runner (ConfabPromptPlayground *self, ConfabPromptRunner *runner)
{
  g_return_if_fail (CONFAB_IS_PROMPT_PLAYGROUND (self));

  g_set_object (&self->runner, runner);
}

void
confab_prompt_playground_set_prompt (ConfabPromptPlayground *self,
                                     ConfabDatabase         *db,
                                     ConfabPrompt           *prompt)
{
  g_return_if_fail (CONFAB_IS_PROMPT_PLAYGROUND (self));

  if (self->pane_a == NULL)
    return;
  confab_prompt_playground_stop (self);
  if (self->runs != NULL)
    g_clear_signal_handler (&self->runs_changed_id, self->runs);
  if (db == NULL)
    prompt = NULL;
  g_set_object (&self->db, db);
  g_set_object (&self->prompt, prompt);
  g_clear_object (&self->versions);
  g_clear_object (&self->runs);
  g_hash_table_remove_all (self->values);
  if (prompt != NULL)
    {
      self->versions = confab_repository_list_model (db, CONFAB_TYPE_PROMPT_VERSION, "prompt_id",
                                                     id_of (prompt));
      self->runs =
          confab_repository_list_model (db, CONFAB_TYPE_PROMPT_RUN, "prompt_id", id_of (prompt));
      self->runs_changed_id = g_signal_connect_object (
          self->runs, "items-changed", G_CALLBACK (update_runs_state), self, G_CONNECT_SWAPPED);
    }
  gtk_single_selection_set_model (self->runs_selection, self->runs);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->input_view), "", 0);
  gtk_toggle_button_set_active (self->compare_button, FALSE);
  confab_prompt_run_pane_set_prompt (self->pane_a, db, self->versions);
  confab_prompt_run_pane_set_prompt (self->pane_b, db, self->versions);
  rebuild_variables (self);
  update_runs_state (self);
}

void
confab_prompt_playground_set_version (ConfabPromptPlayground *self, int version)
{
  g_return_if_fail (CONFAB_IS_PROMPT_PLAYGROUND (self));

  if (!confab_prompt_playground_get_running (self))
    confab_prompt_run_pane_set_version (self->pane_a, version);
}

void
confab_prompt_playground_set_compare (ConfabPromptPlayground *self, gboolean compare)
{
  g_return_if_fail (CONFAB_IS_PROMPT_PLAYGROUND (self));

  gtk_toggle_button_set_active (self->compare_button, compare);
}

ConfabPromptRunPane *
confab_prompt_playground_get_pane (ConfabPromptPlayground *self, guint index)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_PLAYGROUND (self), NULL);

  return index == 0 ? self->pane_a : self->pane_b;
}

GtkEditable *
confab_prompt_playground_get_variable_entry (ConfabPromptPlayground *self, const char *name)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_PLAYGROUND (self), NULL);

  return g_hash_table_lookup (self->entries, name);
}

GtkTextView *
confab_prompt_playground_get_input_view (ConfabPromptPlayground *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_PLAYGROUND (self), NULL);

  return self->input_view;
}

GListModel *
confab_prompt_playground_get_runs (ConfabPromptPlayground *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_PLAYGROUND (self), NULL);

  return self->runs;
}
