/* confab-prompt-run-pane.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-prompt-common.h"
#include "confab-prompt-run-pane.h"

/* Who answers, one entry of the target list. */
typedef struct
{
  char *provider_id;
  char *agent_id;
} Target;

struct _ConfabPromptRunPane
{
  AdwBin parent_instance;

  GtkDropDown *version_dropdown;
  GtkDropDown *target_dropdown;
  GtkEntry    *model_entry;
  GtkTextView *output_view;
  GtkSpinner  *spinner;
  GtkLabel    *status_label;
  GtkLabel    *stats_label;
  GtkLabel    *error_label;

  ConfabDatabase  *db;
  GListModel      *versions; /* newest first */
  GtkStringList   *version_names;
  GtkStringList   *target_names;
  GArray          *targets; /* Target */
  GCancellable    *cancellable;
  ConfabPromptRun *run;
  gulong           versions_changed_id;
  guint            updating : 1;
};

G_DEFINE_FINAL_TYPE (ConfabPromptRunPane, confab_prompt_run_pane, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_RUNNING,
  N_PROPS
};

enum
{
  VERSION_CHANGED,
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

static void
target_clear (gpointer data)
{
  Target *target = data;

  g_free (target->provider_id);
  g_free (target->agent_id);
}

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

/* Lists */

static void
setup_item_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 10);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_list_item_set_child (item, label);
}

static void
bind_item_cb (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (item)),
                       gtk_string_object_get_string (gtk_list_item_get_item (item)));
}

static void
reload_versions (ConfabPromptRunPane *self)
{
  ConfabPromptVersion *chosen = confab_prompt_run_pane_get_version (self);
  int                  number = chosen ? confab_prompt_version_get_version (chosen) : 0;
  guint                n = self->versions ? g_list_model_get_n_items (self->versions) : 0;
  g_autoptr (GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabPromptVersion) version = g_list_model_get_item (self->versions, i);
      const char *message = confab_prompt_version_get_message (version);

      g_ptr_array_add (strings,
                       g_strdup_printf (_ ("v%d · %s"), confab_prompt_version_get_version (version),
                                        message && *message ? message : _ ("No message")));
    }
  g_ptr_array_add (strings, NULL);
  self->updating = TRUE;
  gtk_string_list_splice (self->version_names, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->version_names)),
                          (const char *const *) strings->pdata);
  self->updating = FALSE;
  if (number == 0 || !confab_prompt_run_pane_set_version (self, number))
    gtk_drop_down_set_selected (self->version_dropdown, n > 0 ? 0 : GTK_INVALID_LIST_POSITION);
  g_signal_emit (self, signals[VERSION_CHANGED], 0);
}

static void
add_target (ConfabPromptRunPane *self,
            const char          *name,
            const char          *provider_id,
            const char          *agent_id)
{
  Target target = { g_strdup (provider_id), g_strdup (agent_id) };

  g_array_append_val (self->targets, target);
  gtk_string_list_append (self->target_names, name);
}

static void
reload_targets (ConfabPromptRunPane *self)
{
  g_autoptr (GPtrArray) providers = NULL;
  g_autoptr (GPtrArray) agents = NULL;

  g_array_set_size (self->targets, 0);
  gtk_string_list_splice (self->target_names, 0,
                          g_list_model_get_n_items (G_LIST_MODEL (self->target_names)), NULL);
  add_target (self, _ ("The version’s model"), NULL, NULL);
  if (self->db == NULL)
    return;
  providers = confab_repository_list (self->db, CONFAB_TYPE_PROVIDER, NULL, NULL, NULL);
  for (guint i = 0; providers != NULL && i < providers->len; i++)
    {
      ConfabProvider *provider = g_ptr_array_index (providers, i);
      /* Translators: who answers a playground run: a provider */
      g_autofree char *name =
          g_strdup_printf (_ ("Provider: %s"), confab_provider_get_name (provider));

      add_target (self, name, id_of (provider), NULL);
    }
  agents = confab_repository_list (self->db, CONFAB_TYPE_AGENT, NULL, NULL, NULL);
  for (guint i = 0; agents != NULL && i < agents->len; i++)
    {
      ConfabAgent     *agent = g_ptr_array_index (agents, i);
      const char      *type = confab_agent_get_agent_type (agent);
      g_autofree char *name = NULL;

      if (g_strcmp0 (type, "rule_based") != 0 && g_strcmp0 (type, "hybrid") != 0)
        continue;
      /* Translators: who answers a playground run: a rule-based agent, with no network */
      name = g_strdup_printf (_ ("%s (rules, offline)"), confab_agent_get_name (agent));
      add_target (self, name, NULL, id_of (agent));
    }
}

static const Target *
chosen_target (ConfabPromptRunPane *self)
{
  guint selected = gtk_drop_down_get_selected (self->target_dropdown);

  if (selected == GTK_INVALID_LIST_POSITION || selected >= self->targets->len)
    return NULL;
  return &g_array_index (self->targets, Target, selected);
}

static void
target_changed_cb (ConfabPromptRunPane *self)
{
  const Target *target = chosen_target (self);

  /* A rule-based agent has no model to choose. */
  gtk_widget_set_visible (GTK_WIDGET (self->model_entry),
                          target == NULL || target->agent_id == NULL);
}

static void
version_changed_cb (ConfabPromptRunPane *self)
{
  if (!self->updating)
    g_signal_emit (self, signals[VERSION_CHANGED], 0);
}

/* Running */

static void
set_output (ConfabPromptRunPane *self, const char *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->output_view), text ? text : "", -1);
}

static void
set_error (ConfabPromptRunPane *self, const char *message)
{
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static void
set_running (ConfabPromptRunPane *self, gboolean running)
{
  gtk_spinner_set_spinning (self->spinner, running);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->version_dropdown), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->target_dropdown), !running);
  gtk_widget_set_sensitive (GTK_WIDGET (self->model_entry), !running);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static void
on_event (ConfabPromptRunEvent event, const char *text, gpointer user_data)
{
  ConfabPromptRunPane *self = user_data;
  GtkTextBuffer       *buffer = gtk_text_view_get_buffer (self->output_view);
  GtkTextIter          end;

  if (event == CONFAB_PROMPT_RUN_EVENT_STARTED)
    {
      gtk_label_set_label (self->status_label, _ ("Waiting for the reply…"));
      return;
    }
  gtk_label_set_label (self->status_label, _ ("Writing…"));
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert (buffer, &end, text, -1);
}

static void
show_stats (ConfabPromptRunPane *self, ConfabPromptRun *run)
{
  const char      *status = confab_prompt_run_get_status (run);
  g_autofree char *latency = confab_prompt_format_latency (confab_prompt_run_get_latency_ms (run));
  g_autofree char *stats = NULL;
  const char      *status_text;

  if (g_strcmp0 (confab_prompt_run_get_model (run), "rules") == 0)
    /* Translators: a rule-based run's figures: its latency, and that it used no model */
    stats = g_strdup_printf (_ ("%s · rules, no tokens"), latency);
  else
    /* Translators: a run's figures: "1.2 s · 120 tokens in · 45 out" */
    stats = g_strdup_printf (_ ("%s · %d tokens in · %d out"), latency,
                             confab_prompt_run_get_tokens_in (run),
                             confab_prompt_run_get_tokens_out (run));
  gtk_label_set_label (self->stats_label, stats);

  if (g_strcmp0 (status, "cancelled") == 0)
    status_text = _ ("Stopped");
  else if (g_strcmp0 (status, "error") == 0)
    status_text = _ ("Failed");
  else
    status_text = _ ("Done");
  gtk_label_set_label (self->status_label, status_text);
  set_error (self, g_strcmp0 (status, "error") == 0 ? confab_prompt_run_get_error (run) : NULL);
}

static void
run_done_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  g_autoptr (ConfabPromptRunPane) self = user_data;
  g_autoptr (ConfabPromptRun) run = NULL;
  g_autoptr (GError) error = NULL;

  run = confab_prompt_runner_run_finish (CONFAB_PROMPT_RUNNER (source), result, &error);
  g_clear_object (&self->cancellable);
  if (run != NULL)
    {
      g_set_object (&self->run, run);
      /* The saved output is the whole of it, deltas after a stop included. */
      set_output (self, confab_prompt_run_get_output (run));
      show_stats (self, run);
    }
  else
    {
      gtk_label_set_label (self->status_label, _ ("Could not run"));
      gtk_label_set_label (self->stats_label, "");
      set_error (self, error->message);
    }
  set_running (self, FALSE);
  g_signal_emit (self, signals[FINISHED], 0);
}

gboolean
confab_prompt_run_pane_run (ConfabPromptRunPane *self,
                            ConfabPromptRunner  *runner,
                            GHashTable          *variables,
                            const char          *input)
{
  ConfabPromptVersion *version;
  const Target        *chosen;
  ConfabPromptTarget   target = { NULL, NULL, NULL };
  g_autofree char     *model = NULL;

  g_return_val_if_fail (CONFAB_IS_PROMPT_RUN_PANE (self), FALSE);
  g_return_val_if_fail (CONFAB_IS_PROMPT_RUNNER (runner), FALSE);

  version = confab_prompt_run_pane_get_version (self);
  if (self->cancellable != NULL || version == NULL)
    return FALSE;

  chosen = chosen_target (self);
  model = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->model_entry))));
  if (chosen != NULL)
    {
      target.provider_id = chosen->provider_id;
      target.agent_id = chosen->agent_id;
    }
  if (target.agent_id == NULL && *model != '\0')
    target.model = model;

  g_clear_object (&self->run);
  set_output (self, "");
  set_error (self, NULL);
  gtk_label_set_label (self->status_label, _ ("Starting…"));
  gtk_label_set_label (self->stats_label, "");
  self->cancellable = g_cancellable_new ();
  set_running (self, TRUE);
  /* The run keeps the pane: its events write into it until it is over. */
  confab_prompt_runner_run_async (runner, version, variables, input, &target, NULL, on_event, self,
                                  self->cancellable, run_done_cb, g_object_ref (self));
  return TRUE;
}

void
confab_prompt_run_pane_stop (ConfabPromptRunPane *self)
{
  g_return_if_fail (CONFAB_IS_PROMPT_RUN_PANE (self));

  if (self->cancellable != NULL)
    {
      gtk_label_set_label (self->status_label, _ ("Stopping…"));
      g_cancellable_cancel (self->cancellable);
    }
}

gboolean
confab_prompt_run_pane_get_running (ConfabPromptRunPane *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_RUN_PANE (self), FALSE);

  return self->cancellable != NULL;
}

/* GObject */

static void
confab_prompt_run_pane_dispose (GObject *object)
{
  ConfabPromptRunPane *self = CONFAB_PROMPT_RUN_PANE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  /* Quietly: the playground around may be going too. */
  if (self->versions != NULL)
    g_clear_signal_handler (&self->versions_changed_id, self->versions);
  g_clear_object (&self->versions);
  g_clear_object (&self->db);
  g_clear_object (&self->run);

  G_OBJECT_CLASS (confab_prompt_run_pane_parent_class)->dispose (object);
}

static void
confab_prompt_run_pane_finalize (GObject *object)
{
  ConfabPromptRunPane *self = CONFAB_PROMPT_RUN_PANE (object);

  g_clear_object (&self->version_names);
  g_clear_object (&self->target_names);
  g_array_unref (self->targets);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (confab_prompt_run_pane_parent_class)->finalize (object);
}

static void
confab_prompt_run_pane_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  ConfabPromptRunPane *self = CONFAB_PROMPT_RUN_PANE (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, self->cancellable != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_prompt_run_pane_class_init (ConfabPromptRunPaneClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_prompt_run_pane_dispose;
  object_class->finalize = confab_prompt_run_pane_finalize;
  object_class->get_property = confab_prompt_run_pane_get_property;

  properties[PROP_RUNNING] =
      g_param_spec_boolean ("running", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[VERSION_CHANGED] = g_signal_new ("version-changed", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-prompt-run-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRunPane, version_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRunPane, target_dropdown);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRunPane, model_entry);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRunPane, output_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRunPane, spinner);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRunPane, status_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRunPane, stats_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptRunPane, error_label);
  gtk_widget_class_bind_template_callback (widget_class, target_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, version_changed_cb);
}

static void
confab_prompt_run_pane_init (ConfabPromptRunPane *self)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr (GtkExpression) expression = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  confab_prompt_ensure_style ();
  self->targets = g_array_new (FALSE, TRUE, sizeof (Target));
  g_array_set_clear_func (self->targets, target_clear);
  self->version_names = gtk_string_list_new (NULL);
  self->target_names = gtk_string_list_new (NULL);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_item_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_item_cb), NULL);
  expression = gtk_property_expression_new (GTK_TYPE_STRING_OBJECT, NULL, "string");
  gtk_drop_down_set_factory (self->version_dropdown, factory);
  gtk_drop_down_set_factory (self->target_dropdown, factory);
  gtk_drop_down_set_expression (self->version_dropdown, expression);
  gtk_drop_down_set_expression (self->target_dropdown, expression);
  gtk_drop_down_set_model (self->version_dropdown, G_LIST_MODEL (self->version_names));
  gtk_drop_down_set_model (self->target_dropdown, G_LIST_MODEL (self->target_names));
  reload_targets (self);
  set_running (self, FALSE);
}

GtkWidget *
confab_prompt_run_pane_new (void)
{
  return g_object_new (CONFAB_TYPE_PROMPT_RUN_PANE, NULL);
}

void
confab_prompt_run_pane_set_prompt (ConfabPromptRunPane *self,
                                   ConfabDatabase      *db,
                                   GListModel          *versions)
{
  g_return_if_fail (CONFAB_IS_PROMPT_RUN_PANE (self));

  if (self->versions != NULL)
    g_clear_signal_handler (&self->versions_changed_id, self->versions);
  g_set_object (&self->db, db);
  g_set_object (&self->versions, versions);
  if (self->targets == NULL)
    return;
  if (versions != NULL)
    self->versions_changed_id = g_signal_connect_object (
        versions, "items-changed", G_CALLBACK (reload_versions), self, G_CONNECT_SWAPPED);
  g_clear_object (&self->run);
  set_output (self, "");
  set_error (self, NULL);
  gtk_label_set_label (self->status_label, "");
  gtk_label_set_label (self->stats_label, "");
  gtk_editable_set_text (GTK_EDITABLE (self->model_entry), "");
  reload_targets (self);
  gtk_drop_down_set_selected (self->target_dropdown, 0);
  self->updating = TRUE;
  gtk_drop_down_set_selected (self->version_dropdown, GTK_INVALID_LIST_POSITION);
  self->updating = FALSE;
  reload_versions (self);
}

ConfabPromptVersion *
confab_prompt_run_pane_get_version (ConfabPromptRunPane *self)
{
  guint selected;
  g_autoptr (ConfabPromptVersion) version = NULL;

  g_return_val_if_fail (CONFAB_IS_PROMPT_RUN_PANE (self), NULL);

  selected = gtk_drop_down_get_selected (self->version_dropdown);
  if (self->versions == NULL || selected == GTK_INVALID_LIST_POSITION)
    return NULL;
  version = g_list_model_get_item (self->versions, selected);
  /* The list model holds it. */
  return version;
}

gboolean
confab_prompt_run_pane_set_version (ConfabPromptRunPane *self, int number)
{
  guint n;

  g_return_val_if_fail (CONFAB_IS_PROMPT_RUN_PANE (self), FALSE);

  n = self->versions ? g_list_model_get_n_items (self->versions) : 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabPromptVersion) version = g_list_model_get_item (self->versions, i);

      if (confab_prompt_version_get_version (version) == number)
        {
          gtk_drop_down_set_selected (self->version_dropdown, i);
          return TRUE;
        }
    }
  return FALSE;
}

void
confab_prompt_run_pane_set_target (ConfabPromptRunPane *self,
                                   const char          *provider_id,
                                   const char          *agent_id,
                                   const char          *model)
{
  guint selected = 0;

  g_return_if_fail (CONFAB_IS_PROMPT_RUN_PANE (self));

  for (guint i = 0; i < self->targets->len; i++)
    {
      Target *target = &g_array_index (self->targets, Target, i);

      if ((agent_id != NULL && g_strcmp0 (target->agent_id, agent_id) == 0) ||
          (agent_id == NULL && provider_id != NULL &&
           g_strcmp0 (target->provider_id, provider_id) == 0))
        selected = i;
    }
  gtk_drop_down_set_selected (self->target_dropdown, selected);
  gtk_editable_set_text (GTK_EDITABLE (self->model_entry), model ? model : "");
}

void
confab_prompt_run_pane_show_run (ConfabPromptRunPane *self, ConfabPromptRun *run)
{
  guint n;

  g_return_if_fail (CONFAB_IS_PROMPT_RUN_PANE (self));
  g_return_if_fail (CONFAB_IS_PROMPT_RUN (run));

  n = self->versions ? g_list_model_get_n_items (self->versions) : 0;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabPromptVersion) version = g_list_model_get_item (self->versions, i);

      if (g_strcmp0 (id_of (version), confab_prompt_run_get_version_id (run)) == 0)
        gtk_drop_down_set_selected (self->version_dropdown, i);
    }
  if (confab_prompt_run_get_agent_id (run) != NULL)
    confab_prompt_run_pane_set_target (self, NULL, confab_prompt_run_get_agent_id (run), NULL);
  else
    confab_prompt_run_pane_set_target (self, confab_prompt_run_get_provider_id (run), NULL,
                                       confab_prompt_run_get_model (run));
  g_set_object (&self->run, run);
  set_output (self, confab_prompt_run_get_output (run));
  show_stats (self, run);
}

ConfabPromptRun *
confab_prompt_run_pane_get_run (ConfabPromptRunPane *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_RUN_PANE (self), NULL);

  return self->run;
}

char *
confab_prompt_run_pane_dup_output (ConfabPromptRunPane *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_RUN_PANE (self), NULL);

  return confab_prompt_text_view_dup_text (self->output_view);
}

const char *
confab_prompt_run_pane_get_stats (ConfabPromptRunPane *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_RUN_PANE (self), NULL);

  return gtk_label_get_label (self->stats_label);
}
