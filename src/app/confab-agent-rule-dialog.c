/* confab-agent-rule-dialog.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-core.h"
#include "confab-agent-rule-dialog.h"
#include "confab-agent-text-list.h"

struct _ConfabAgentRuleDialog
{
  AdwWindow parent_instance;

  AdwWindowTitle      *window_title;
  GtkWidget           *done_button;
  GtkRevealer         *error_revealer;
  GtkLabel            *error_label;
  AdwEntryRow         *name_row;
  GtkSwitch           *enabled_switch;
  GtkSpinButton       *priority_spin;
  AdwComboRow         *match_row;
  ConfabAgentTextList *patterns_list;
  ConfabAgentTextList *exclude_list;
  ConfabAgentTextList *responses_list;
  AdwComboRow         *action_row;
  AdwComboRow         *handoff_row;

  ConfabRuleItem *rule; /* the copy being edited */
  char           *agent_type;
  GPtrArray      *handoff_ids; /* char*, beside handoff_row's items; NULL for none */
  char           *error;
  guint           loading : 1;
};

G_DEFINE_FINAL_TYPE (ConfabAgentRuleDialog, confab_agent_rule_dialog, ADW_TYPE_WINDOW)

enum
{
  APPLY,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static guint
strv_index (const char *const *strv, const char *value)
{
  for (guint i = 0; strv[i] != NULL; i++)
    if (g_strcmp0 (strv[i], value) == 0)
      return i;
  return 0;
}

static void
update_patterns_group (ConfabAgentRuleDialog *self)
{
  const char          *type = confab_rule_match_types[adw_combo_row_get_selected (self->match_row)];
  AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP (self->patterns_list);

  /* The group's description is markup. */
  if (g_strcmp0 (type, "keywords_all") == 0)
    {
      adw_preferences_group_set_title (group, _ ("Keywords"));
      adw_preferences_group_set_description (
          group, _ ("The rule answers when every one of these words or phrases is in the message. "
                    "Case, accents and punctuation do not matter."));
      g_object_set (self->patterns_list, "item-label", _ ("Keyword"), "add-tooltip",
                    _ ("Add Keyword"), NULL);
    }
  else if (g_strcmp0 (type, "exact") == 0)
    {
      adw_preferences_group_set_title (group, _ ("Phrases"));
      adw_preferences_group_set_description (
          group, _ ("The rule answers when the whole message is one of these phrases. Case, "
                    "accents and punctuation do not matter."));
      g_object_set (self->patterns_list, "item-label", _ ("Phrase"), "add-tooltip",
                    _ ("Add Phrase"), NULL);
    }
  else if (g_strcmp0 (type, "regex") == 0)
    {
      adw_preferences_group_set_title (group, _ ("Patterns"));
      adw_preferences_group_set_description (
          group, _ ("Perl-compatible regular expressions, tried without regard to case; the first "
                    "that matches counts. A named group such as (?&lt;order&gt;\\d+) can be used "
                    "in the responses as {{order}}."));
      g_object_set (self->patterns_list, "item-label", _ ("Pattern"), "add-tooltip",
                    _ ("Add Pattern"), NULL);
    }
  else
    {
      adw_preferences_group_set_title (group, _ ("Keywords"));
      adw_preferences_group_set_description (
          group, _ ("The rule answers when one of these words or phrases is in the message. Case, "
                    "accents and punctuation do not matter."));
      g_object_set (self->patterns_list, "item-label", _ ("Keyword"), "add-tooltip",
                    _ ("Add Keyword"), NULL);
    }
}

static void
show_error (ConfabAgentRuleDialog *self, const char *message)
{
  g_free (self->error);
  self->error = g_strdup (message);
  if (message != NULL)
    gtk_label_set_text (self->error_label, message);
  gtk_revealer_set_reveal_child (self->error_revealer, message != NULL);
}

/* Fields into the copy, then the engine's verdict on it. */
static void
sync_rule (ConfabAgentRuleDialog *self)
{
  g_auto (GStrv) patterns = confab_agent_text_list_dup_strings (self->patterns_list);
  g_auto (GStrv) exclude = confab_agent_text_list_dup_strings (self->exclude_list);
  g_auto (GStrv) responses = confab_agent_text_list_dup_strings (self->responses_list);
  g_autoptr (GError) error = NULL;
  guint action = adw_combo_row_get_selected (self->action_row);
  guint handoff = adw_combo_row_get_selected (self->handoff_row);

  confab_rule_item_set_name (self->rule, gtk_editable_get_text (GTK_EDITABLE (self->name_row)));
  confab_rule_item_set_enabled (self->rule, gtk_switch_get_active (self->enabled_switch));
  confab_rule_item_set_priority (self->rule,
                                 gtk_spin_button_get_value_as_int (self->priority_spin));
  confab_rule_item_set_match_type (
      self->rule, confab_rule_match_types[adw_combo_row_get_selected (self->match_row)]);
  confab_rule_item_set_patterns (self->rule, (const char *const *) patterns);
  confab_rule_item_set_exclude (self->rule, (const char *const *) exclude);
  confab_rule_item_set_responses (self->rule, (const char *const *) responses);
  confab_rule_item_set_action (self->rule, action < g_strv_length ((char **) confab_rule_actions)
                                               ? confab_rule_actions[action]
                                               : NULL);
  confab_rule_item_set_handoff_agent (
      self->rule,
      handoff < self->handoff_ids->len ? g_ptr_array_index (self->handoff_ids, handoff) : NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->handoff_row),
                          g_strcmp0 (confab_rule_item_get_action (self->rule), "handoff") == 0);

  if (!confab_rule_item_validate (self->rule, self->agent_type, &error))
    show_error (self, error->message);
  else
    show_error (self, NULL);
  confab_rule_item_set_error (self->rule, self->error);
}

static void
field_changed_cb (ConfabAgentRuleDialog *self)
{
  if (!self->loading)
    sync_rule (self);
}

static void
match_changed_cb (ConfabAgentRuleDialog *self)
{
  update_patterns_group (self);
  field_changed_cb (self);
}

void
confab_agent_rule_dialog_apply (ConfabAgentRuleDialog *self)
{
  g_return_if_fail (CONFAB_IS_AGENT_RULE_DIALOG (self));

  sync_rule (self);
  g_signal_emit (self, signals[APPLY], 0, self->rule);
  gtk_window_close (GTK_WINDOW (self));
}

static void
confab_agent_rule_dialog_dispose (GObject *object)
{
  ConfabAgentRuleDialog *self = CONFAB_AGENT_RULE_DIALOG (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_AGENT_RULE_DIALOG);
  g_clear_object (&self->rule);

  G_OBJECT_CLASS (confab_agent_rule_dialog_parent_class)->dispose (object);
}

static void
confab_agent_rule_dialog_finalize (GObject *object)
{
  ConfabAgentRuleDialog *self = CONFAB_AGENT_RULE_DIALOG (object);

  g_clear_pointer (&self->handoff_ids, g_ptr_array_unref);
  g_free (self->agent_type);
  g_free (self->error);

  G_OBJECT_CLASS (confab_agent_rule_dialog_parent_class)->finalize (object);
}

static void
confab_agent_rule_dialog_class_init (ConfabAgentRuleDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_agent_rule_dialog_dispose;
  object_class->finalize = confab_agent_rule_dialog_finalize;

  signals[APPLY] = g_signal_new ("apply", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, CONFAB_TYPE_RULE_ITEM);

  g_type_ensure (CONFAB_TYPE_AGENT_TEXT_LIST);
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-agent-rule-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRuleDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRuleDialog, done_button);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRuleDialog, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRuleDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRuleDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRuleDialog, enabled_switch);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRuleDialog, priority_spin);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRuleDialog, match_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRuleDialog, patterns_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRuleDialog, exclude_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRuleDialog, responses_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRuleDialog, action_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRuleDialog, handoff_row);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, match_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, confab_agent_rule_dialog_apply);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_agent_rule_dialog_init (ConfabAgentRuleDialog *self)
{
  self->handoff_ids = g_ptr_array_new_with_free_func (g_free);
  gtk_widget_init_template (GTK_WIDGET (self));
}

static void
fill_handoff_row (ConfabAgentRuleDialog *self, GPtrArray *agents)
{
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);
  const char *current = confab_rule_item_get_handoff_agent (self->rule);
  guint       selected = 0;

  gtk_string_list_append (names, g_strcmp0 (self->agent_type, "hybrid") == 0
                                     ? _ ("This Agent’s Own Model")
                                     : _ ("Choose an Agent"));
  g_ptr_array_add (self->handoff_ids, NULL);

  for (guint i = 0; agents != NULL && i < agents->len; i++)
    {
      ConfabAgent *agent = g_ptr_array_index (agents, i);
      const char  *id = confab_entity_get_id (CONFAB_ENTITY (agent));

      if (g_strcmp0 (id, current) == 0)
        selected = self->handoff_ids->len;
      gtk_string_list_append (names, confab_agent_get_name (agent));
      g_ptr_array_add (self->handoff_ids, g_strdup (id));
    }

  /* An agent that is gone or is no LLM agent: kept, and named for what it is. */
  if (current != NULL && selected == 0)
    {
      selected = self->handoff_ids->len;
      gtk_string_list_append (names, _ ("Unknown Agent"));
      g_ptr_array_add (self->handoff_ids, g_strdup (current));
    }

  adw_combo_row_set_model (self->handoff_row, G_LIST_MODEL (names));
  adw_combo_row_set_selected (self->handoff_row, selected);
}

ConfabAgentRuleDialog *
confab_agent_rule_dialog_new (ConfabRuleItem *rule,
                              gboolean        is_new,
                              const char     *agent_type,
                              GPtrArray      *handoff_agents)
{
  ConfabAgentRuleDialog *self;
  const char            *action;

  g_return_val_if_fail (CONFAB_IS_RULE_ITEM (rule), NULL);

  self = g_object_new (CONFAB_TYPE_AGENT_RULE_DIALOG, NULL);
  self->rule = confab_rule_item_copy (rule);
  self->agent_type = g_strdup (agent_type);

  self->loading = TRUE;
  gtk_window_set_title (GTK_WINDOW (self), is_new ? _ ("New Rule") : _ ("Edit Rule"));
  adw_window_title_set_title (self->window_title, is_new ? _ ("New Rule") : _ ("Edit Rule"));
  gtk_button_set_label (GTK_BUTTON (self->done_button), is_new ? _ ("_Add") : _ ("_Done"));

  gtk_editable_set_text (GTK_EDITABLE (self->name_row),
                         confab_rule_item_get_name (rule) ? confab_rule_item_get_name (rule) : "");
  gtk_switch_set_active (self->enabled_switch, confab_rule_item_get_enabled (rule));
  gtk_spin_button_set_value (self->priority_spin, confab_rule_item_get_priority (rule));
  adw_combo_row_set_selected (self->match_row, strv_index (confab_rule_match_types,
                                                           confab_rule_item_get_match_type (rule)));
  update_patterns_group (self);
  confab_agent_text_list_set_strings (self->patterns_list, confab_rule_item_get_patterns (rule));
  confab_agent_text_list_set_strings (self->exclude_list, confab_rule_item_get_exclude (rule));
  confab_agent_text_list_set_strings (self->responses_list, confab_rule_item_get_responses (rule));
  action = confab_rule_item_get_action (rule);
  adw_combo_row_set_selected (self->action_row,
                              strv_index (confab_rule_actions, action ? action : ""));
  fill_handoff_row (self, handoff_agents);

  /* A new rule starts with a row to type in for each list. */
  if (is_new)
    {
      if (confab_agent_text_list_get_n_rows (self->patterns_list) == 0)
        confab_agent_text_list_add (self->patterns_list);
      if (confab_agent_text_list_get_n_rows (self->responses_list) == 0)
        confab_agent_text_list_add (self->responses_list);
    }
  self->loading = FALSE;

  sync_rule (self);
  /* A new rule is not wrong before anything is typed: no red at first sight. */
  if (is_new)
    show_error (self, NULL);
  gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
  return self;
}

ConfabRuleItem *
confab_agent_rule_dialog_get_rule (ConfabAgentRuleDialog *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_RULE_DIALOG (self), NULL);

  return self->rule;
}

const char *
confab_agent_rule_dialog_get_error (ConfabAgentRuleDialog *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_RULE_DIALOG (self), NULL);

  return self->error;
}

GtkWidget *
confab_agent_rule_dialog_get_field (ConfabAgentRuleDialog *self, const char *name)
{
  const struct
  {
    const char *name;
    gpointer    widget;
  } fields[] = {
    { "name", self->name_row },
    { "enabled", self->enabled_switch },
    { "priority", self->priority_spin },
    { "match", self->match_row },
    { "patterns", self->patterns_list },
    { "exclude", self->exclude_list },
    { "responses", self->responses_list },
    { "action", self->action_row },
    { "handoff", self->handoff_row },
  };

  g_return_val_if_fail (CONFAB_IS_AGENT_RULE_DIALOG (self), NULL);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_strcmp0 (fields[i].name, name) == 0)
      return fields[i].widget;
  g_return_val_if_reached (NULL);
}
