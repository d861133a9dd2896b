/* confab-agent-rules-editor.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-agent-rules-editor.h"
#include "confab-agent-text-list.h"
#include "confab-rule-item.h"
#include "confab-rule-set.h"

struct _ConfabAgentRulesEditor
{
  GtkBox parent_instance;

  GtkWidget           *error_box;
  GtkLabel            *error_label;
  GtkListBox          *rules_list;
  ConfabAgentTextList *fallback_list;
  GtkSpinButton       *offer_spin;
  AdwEntryRow         *test_row;
  GtkWidget           *result_box;
  GtkLabel            *result_title;
  GtkLabel            *result_reason;
  GtkLabel            *result_captures;
  GtkLabel            *result_response;
  GtkLabel            *result_action;
  GtkExpander         *others_expander;
  GtkBox              *others_box;

  GListStore     *rules;    /* ConfabRuleItem* */
  JsonObject     *base;     /* the config as loaded: its other members are kept */
  char           *baseline; /* dup_config() right after loading */
  ConfabRuleSet  *rule_set; /* the rules parsed, NULL while they have an error */
  char           *error;
  char           *result_rule;
  ConfabDatabase *db;
  char           *agent_id;
  char           *agent_type;
  char           *agent_name;
  guint           modified : 1;
  guint           loading : 1;
};

G_DEFINE_FINAL_TYPE (ConfabAgentRulesEditor, confab_agent_rules_editor, GTK_TYPE_BOX)

enum
{
  PROP_0,
  PROP_MODIFIED,
  PROP_ERROR,
  N_PROPS
};

enum
{
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

#define RULE_KEY "confab-rule"
#define UP_KEY   "confab-rule-up"
#define DOWN_KEY "confab-rule-down"

static void update_test (ConfabAgentRulesEditor *self);

static ConfabAgentRulesEditor *
editor_of (GtkWidget *widget)
{
  return CONFAB_AGENT_RULES_EDITOR (
      gtk_widget_get_ancestor (widget, CONFAB_TYPE_AGENT_RULES_EDITOR));
}

/* Config */

static const char *const edited_members[] = { "rules", "fallback", "offer_human_after_misses",
                                              NULL };

char *
confab_agent_rules_editor_dup_config (ConfabAgentRulesEditor *self)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_auto (GStrv) fallback = NULL;
  JsonObject *object = json_object_new ();
  JsonArray  *rules = json_array_new ();
  GList      *members;
  guint       n;
  int         offer;

  g_return_val_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self), NULL);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->rules));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabRuleItem) rule = g_list_model_get_item (G_LIST_MODEL (self->rules), i);

      json_array_add_element (rules, confab_rule_item_to_json (rule));
    }
  if (n > 0 || json_object_has_member (self->base, "rules"))
    json_object_set_array_member (object, "rules", rules);
  else
    json_array_unref (rules);

  fallback = confab_agent_text_list_dup_strings (self->fallback_list);
  if (fallback[0] != NULL)
    {
      JsonArray *answers = json_array_new ();

      for (guint i = 0; fallback[i] != NULL; i++)
        json_array_add_string_element (answers, fallback[i]);
      json_object_set_array_member (object, "fallback", answers);
    }

  offer = gtk_spin_button_get_value_as_int (self->offer_spin);
  if (offer != CONFAB_RULE_DEFAULT_OFFER_HUMAN_AFTER_MISSES ||
      json_object_has_member (self->base, "offer_human_after_misses"))
    json_object_set_int_member (object, "offer_human_after_misses", offer);

  /* Tools, output templates and whatever a later Confab adds stay as read. */
  members = json_object_get_members (self->base);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (edited_members, l->data))
      json_object_set_member (object, l->data,
                              json_node_copy (json_object_get_member (self->base, l->data)));
  g_list_free (members);

  json_node_take_object (root, object);
  return json_to_string (root, FALSE);
}

static void
set_error (ConfabAgentRulesEditor *self, const char *error)
{
  if (g_strcmp0 (self->error, error) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (error);
  gtk_label_set_text (self->error_label, error ? error : "");
  gtk_widget_set_visible (self->error_box, error != NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

/* After every edit: each rule's own error on its row, the engine's verdict
 * on the whole set, "modified", and the message being tried. */
static void
revalidate (ConfabAgentRulesEditor *self)
{
  g_autofree char *config = NULL;
  g_autoptr (GError) error = NULL;
  gboolean modified;
  guint    n;

  if (self->loading)
    return;

  config = confab_agent_rules_editor_dup_config (self);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->rules));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabRuleItem) rule = g_list_model_get_item (G_LIST_MODEL (self->rules), i);
      g_autoptr (GError) rule_error = NULL;

      confab_rule_item_validate (rule, self->agent_type, &rule_error);
      confab_rule_item_set_error (rule, rule_error ? rule_error->message : NULL);
    }

  g_clear_pointer (&self->rule_set, confab_rule_set_free);
  self->rule_set = confab_rule_set_parse (config, &error);
  for (guint i = 0; self->rule_set != NULL && error == NULL && i < n; i++)
    {
      g_autoptr (ConfabRuleItem) rule = g_list_model_get_item (G_LIST_MODEL (self->rules), i);

      confab_rule_item_check_handoff (rule, self->agent_type, &error);
    }
  if (error != NULL)
    g_clear_pointer (&self->rule_set, confab_rule_set_free);
  set_error (self, error ? error->message : NULL);

  modified = g_strcmp0 (config, self->baseline) != 0;
  if (modified != self->modified)
    {
      self->modified = modified;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODIFIED]);
    }

  update_test (self);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
changed_cb (ConfabAgentRulesEditor *self)
{
  revalidate (self);
}

/* Rows */

static void
update_rule_row (AdwActionRow *row, ConfabRuleItem *rule)
{
  const char      *name = confab_rule_item_get_name (rule);
  const char      *error = confab_rule_item_get_error (rule);
  GtkWidget       *error_icon = g_object_get_data (G_OBJECT (row), "confab-rule-error");
  g_autofree char *summary = confab_rule_item_dup_summary (rule);
  g_autofree char *stripped = g_strstrip (g_strdup (name ? name : ""));

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                 *stripped != '\0' ? name : _ ("Unnamed Rule"));
  adw_action_row_set_subtitle (row, summary);
  gtk_widget_set_visible (error_icon, error != NULL);
  gtk_widget_set_tooltip_text (error_icon, error);
  if (error != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "error");
  if (confab_rule_item_get_enabled (rule))
    gtk_widget_remove_css_class (GTK_WIDGET (row), "dim-label");
  else
    gtk_widget_add_css_class (GTK_WIDGET (row), "dim-label");
}

static void
rule_notify_cb (ConfabRuleItem *rule, GParamSpec *pspec, AdwActionRow *row)
{
  ConfabAgentRulesEditor *self = editor_of (GTK_WIDGET (row));

  update_rule_row (row, rule);
  if (self != NULL && g_strcmp0 (pspec->name, "error") != 0)
    revalidate (self);
}

static guint
row_position (GtkWidget *widget)
{
  GtkWidget *row = gtk_widget_get_ancestor (widget, GTK_TYPE_LIST_BOX_ROW);

  return gtk_list_box_row_get_index (GTK_LIST_BOX_ROW (row));
}

static void
focus_row_button (ConfabAgentRulesEditor *self, guint position, const char *key)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->rules_list, position);
  GtkWidget     *button;

  if (row == NULL)
    return;
  button = g_object_get_data (G_OBJECT (row), key);
  /* At the top or the bottom the button is off: the row keeps the focus. */
  if (button != NULL && gtk_widget_get_sensitive (button))
    gtk_widget_grab_focus (button);
  else
    gtk_widget_grab_focus (GTK_WIDGET (row));
}

static void
up_clicked_cb (GtkWidget *button)
{
  ConfabAgentRulesEditor *self = editor_of (button);
  guint                   position = row_position (button);

  if (position > 0)
    {
      confab_agent_rules_editor_move_rule (self, position, position - 1);
      focus_row_button (self, position - 1, UP_KEY);
    }
}

static void
down_clicked_cb (GtkWidget *button)
{
  ConfabAgentRulesEditor *self = editor_of (button);
  guint                   position = row_position (button);

  if (position + 1 < g_list_model_get_n_items (G_LIST_MODEL (self->rules)))
    {
      confab_agent_rules_editor_move_rule (self, position, position + 1);
      focus_row_button (self, position + 1, DOWN_KEY);
    }
}

static void
remove_clicked_cb (GtkWidget *button)
{
  ConfabAgentRulesEditor *self = editor_of (button);

  confab_agent_rules_editor_remove_rule (self, row_position (button));
}

static GdkContentProvider *
drag_prepare_cb (GtkDragSource *source, double x, double y, GtkWidget *row)
{
  return gdk_content_provider_new_typed (CONFAB_TYPE_RULE_ITEM,
                                         g_object_get_data (G_OBJECT (row), RULE_KEY));
}

static void
drag_begin_cb (GtkDragSource *source, GdkDrag *drag, GtkWidget *row)
{
  g_autoptr (GdkPaintable) paintable = gtk_widget_paintable_new (row);

  gtk_drag_source_set_icon (source, paintable, 24, 24);
}

static gboolean
drop_cb (GtkDropTarget *target, const GValue *value, double x, double y, GtkWidget *row)
{
  ConfabAgentRulesEditor *self = editor_of (row);
  ConfabRuleItem         *dragged = g_value_get_object (value);
  guint                   from;

  if (self == NULL || dragged == NULL || !g_list_store_find (self->rules, dragged, &from))
    return FALSE;
  confab_agent_rules_editor_move_rule (self, from,
                                       gtk_list_box_row_get_index (GTK_LIST_BOX_ROW (row)));
  return TRUE;
}

static GtkWidget *
icon_button (const char *icon_name, const char *label, GCallback callback)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  gtk_widget_add_css_class (button, "flat");
  g_signal_connect (button, "clicked", callback, NULL);
  return button;
}

static GtkWidget *
create_rule_row (gpointer item, gpointer user_data)
{
  ConfabRuleItem *rule = item;
  GtkWidget      *row = adw_action_row_new ();
  GtkWidget      *handle = gtk_image_new_from_icon_name ("list-drag-handle-symbolic");
  GtkWidget      *error_icon = gtk_image_new_from_icon_name ("dialog-error-symbolic");
  GtkWidget      *enabled = gtk_switch_new ();
  GtkWidget      *moves = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  GtkWidget      *up = icon_button ("go-up-symbolic", _ ("Move Up"), G_CALLBACK (up_clicked_cb));
  GtkWidget *down = icon_button ("go-down-symbolic", _ ("Move Down"), G_CALLBACK (down_clicked_cb));
  GtkWidget *remove =
      icon_button ("user-trash-symbolic", _ ("Remove Rule"), G_CALLBACK (remove_clicked_cb));
  GtkDragSource *source = gtk_drag_source_new ();
  GtkDropTarget *target = gtk_drop_target_new (CONFAB_TYPE_RULE_ITEM, GDK_ACTION_MOVE);

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 1);

  gtk_accessible_update_property (GTK_ACCESSIBLE (handle), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Drag to Reorder"), -1);
  gtk_widget_set_tooltip_text (handle, _ ("Drag to Reorder"));
  gtk_widget_add_css_class (handle, "dim-label");
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), handle);

  gtk_widget_add_css_class (error_icon, "error");
  gtk_accessible_update_property (GTK_ACCESSIBLE (error_icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("This rule has an error"), -1);
  gtk_widget_set_visible (error_icon, FALSE);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), error_icon);

  gtk_widget_set_valign (enabled, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (enabled, _ ("Rule Enabled"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (enabled), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Rule Enabled"), -1);
  g_object_bind_property (rule, "enabled", enabled, "active",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), enabled);

  gtk_widget_add_css_class (moves, "linked");
  gtk_box_append (GTK_BOX (moves), up);
  gtk_box_append (GTK_BOX (moves), down);
  gtk_widget_set_valign (moves, GTK_ALIGN_CENTER);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), moves);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);

  g_object_set_data_full (G_OBJECT (row), RULE_KEY, g_object_ref (rule), g_object_unref);
  g_object_set_data (G_OBJECT (row), "confab-rule-error", error_icon);
  g_object_set_data (G_OBJECT (row), UP_KEY, up);
  g_object_set_data (G_OBJECT (row), DOWN_KEY, down);
  update_rule_row (ADW_ACTION_ROW (row), rule);
  g_signal_connect_object (rule, "notify", G_CALLBACK (rule_notify_cb), row, 0);

  gtk_drag_source_set_actions (source, GDK_ACTION_MOVE);
  g_signal_connect (source, "prepare", G_CALLBACK (drag_prepare_cb), row);
  g_signal_connect (source, "drag-begin", G_CALLBACK (drag_begin_cb), row);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (source));
  g_signal_connect (target, "drop", G_CALLBACK (drop_cb), row);
  gtk_widget_add_controller (row, GTK_EVENT_CONTROLLER (target));

  return row;
}

static void
update_move_buttons (ConfabAgentRulesEditor *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->rules));

  for (guint i = 0; i < n; i++)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (self->rules_list, i);

      if (row == NULL)
        continue;
      gtk_widget_set_sensitive (g_object_get_data (G_OBJECT (row), UP_KEY), i > 0);
      gtk_widget_set_sensitive (g_object_get_data (G_OBJECT (row), DOWN_KEY), i + 1 < n);
    }
}

static void
rules_changed_cb (ConfabAgentRulesEditor *self)
{
  update_move_buttons (self);
  revalidate (self);
}

/* The agents a rule may hand off to: those with a model, but this one. */
static GPtrArray *
list_handoff_agents (ConfabAgentRulesEditor *self)
{
  g_autoptr (GPtrArray) agents = NULL;
  g_autoptr (GError) error = NULL;
  GPtrArray *result = g_ptr_array_new_with_free_func (g_object_unref);

  if (self->db == NULL)
    return result;
  agents = confab_repository_list (self->db, CONFAB_TYPE_AGENT, NULL, NULL, &error);
  if (agents == NULL)
    {
      g_warning ("Could not list the agents to hand off to: %s", error->message);
      return result;
    }
  for (guint i = 0; i < agents->len; i++)
    {
      ConfabAgent *agent = g_ptr_array_index (agents, i);

      if (g_strcmp0 (confab_agent_get_agent_type (agent), "rule_based") != 0 &&
          g_strcmp0 (confab_entity_get_id (CONFAB_ENTITY (agent)), self->agent_id) != 0)
        g_ptr_array_add (result, g_object_ref (agent));
    }
  return result;
}

static void
rule_added_cb (ConfabAgentRulesEditor *self, ConfabRuleItem *edited)
{
  g_autoptr (ConfabRuleItem) rule = confab_rule_item_copy (edited);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->rules));

  g_list_store_append (self->rules, rule);
  focus_row_button (self, n, "none");
}

static void
rule_edited_cb (ConfabRuleItem *rule, ConfabRuleItem *edited)
{
  confab_rule_item_assign (rule, edited);
}

static ConfabAgentRuleDialog *
present_dialog (ConfabAgentRulesEditor *self, ConfabRuleItem *rule, gboolean is_new)
{
  g_autoptr (GPtrArray) agents = list_handoff_agents (self);
  ConfabAgentRuleDialog *dialog =
      confab_agent_rule_dialog_new (rule, is_new, self->agent_type, agents);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (root));
  if (is_new)
    g_signal_connect_object (dialog, "apply", G_CALLBACK (rule_added_cb), self, G_CONNECT_SWAPPED);
  else
    g_signal_connect_object (dialog, "apply", G_CALLBACK (rule_edited_cb), rule, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

ConfabAgentRuleDialog *
confab_agent_rules_editor_add_rule (ConfabAgentRulesEditor *self)
{
  g_autoptr (ConfabRuleItem) rule = confab_rule_item_new ();

  g_return_val_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self), NULL);

  return present_dialog (self, rule, TRUE);
}

ConfabAgentRuleDialog *
confab_agent_rules_editor_edit_rule (ConfabAgentRulesEditor *self, guint position)
{
  g_autoptr (ConfabRuleItem) rule = NULL;

  g_return_val_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self), NULL);

  rule = g_list_model_get_item (G_LIST_MODEL (self->rules), position);
  g_return_val_if_fail (rule != NULL, NULL);
  return present_dialog (self, rule, FALSE);
}

static void
add_rule_clicked_cb (ConfabAgentRulesEditor *self)
{
  confab_agent_rules_editor_add_rule (self);
}

static void
rule_activated_cb (ConfabAgentRulesEditor *self, GtkListBoxRow *row)
{
  confab_agent_rules_editor_edit_rule (self, gtk_list_box_row_get_index (row));
}

void
confab_agent_rules_editor_move_rule (ConfabAgentRulesEditor *self, guint from, guint to)
{
  g_autoptr (ConfabRuleItem) rule = NULL;
  guint n;

  g_return_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->rules));
  if (from >= n || to >= n || from == to)
    return;
  rule = g_list_model_get_item (G_LIST_MODEL (self->rules), from);
  g_list_store_remove (self->rules, from);
  g_list_store_insert (self->rules, to, rule);
}

void
confab_agent_rules_editor_remove_rule (ConfabAgentRulesEditor *self, guint position)
{
  guint n;

  g_return_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self));

  n = g_list_model_get_n_items (G_LIST_MODEL (self->rules));
  if (position >= n)
    return;
  g_list_store_remove (self->rules, position);
  if (n > 1)
    focus_row_button (self, MIN (position, n - 2), "none");
}

/* Try a message */

static int
compare_verdicts (gconstpointer a, gconstpointer b)
{
  const ConfabRuleVerdict *x = *(ConfabRuleVerdict *const *) a;
  const ConfabRuleVerdict *y = *(ConfabRuleVerdict *const *) b;

  /* As the engine weighs them: priority first, then the list's order. */
  if (x->priority != y->priority)
    return x->priority > y->priority ? -1 : 1;
  return x->rule_index < y->rule_index ? -1 : x->rule_index > y->rule_index;
}

static char *
dup_agent_name (ConfabAgentRulesEditor *self, const char *id)
{
  g_autoptr (ConfabAgent) agent = NULL;

  if (self->db != NULL && id != NULL)
    agent = confab_repository_get (self->db, CONFAB_TYPE_AGENT, id, NULL);
  return g_strdup (agent != NULL ? confab_agent_get_name (agent) : id);
}

static void
show_action (ConfabAgentRulesEditor *self, ConfabRuleMatch *match)
{
  g_autofree char *text = NULL;

  if (g_strcmp0 (match->action, "escalate") == 0)
    text = g_strdup (_ ("Then the conversation goes to a person."));
  else if (g_strcmp0 (match->action, "end") == 0)
    text = g_strdup (_ ("Then the conversation ends."));
  else if (g_strcmp0 (match->action, "handoff") == 0 && match->handoff_agent != NULL)
    {
      g_autofree char *name = dup_agent_name (self, match->handoff_agent);

      text = g_strdup_printf (_ ("Then “%s” answers the message instead."), name);
    }
  else if (g_strcmp0 (match->action, "handoff") == 0)
    text = g_strdup (_ ("Then the agent’s own model answers the message instead."));
  else if (match->offer_human)
    text = g_strdup (_ ("The answer offers to talk to a person."));

  gtk_label_set_text (self->result_action, text ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->result_action), text != NULL);
}

static void
show_captures (ConfabAgentRulesEditor *self, GHashTable *captures)
{
  g_autoptr (GString) text = g_string_new (NULL);
  GList *names = g_list_sort (g_hash_table_get_keys (captures), (GCompareFunc) g_strcmp0);

  for (GList *l = names; l != NULL; l = l->next)
    {
      if (text->len > 0)
        g_string_append (text, ", ");
      g_string_append_printf (text, "{{%s}} = “%s”", (const char *) l->data,
                              (const char *) g_hash_table_lookup (captures, l->data));
    }
  g_list_free (names);
  if (text->len > 0)
    {
      /* Translators: the named groups a regular expression captured, e.g.
       * "Captured: {{order}} = “1234”". */
      g_autofree char *label = g_strdup_printf (_ ("Captured: %s"), text->str);

      gtk_label_set_text (self->result_captures, label);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->result_captures), text->len > 0);
}

static void
show_others (ConfabAgentRulesEditor *self, ConfabRuleExplanation *explanation)
{
  g_autoptr (GPtrArray) others = g_ptr_array_new ();
  ConfabRuleVerdict *winner = explanation->winner;
  GtkWidget         *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->others_box))) != NULL)
    gtk_box_remove (self->others_box, child);

  /* The rules that could have answered before the winner, and those that
   * matched but lost; with no winner, all of them. */
  for (guint i = 0; i < explanation->verdicts->len; i++)
    {
      ConfabRuleVerdict *verdict = g_ptr_array_index (explanation->verdicts, i);

      if (verdict == winner)
        continue;
      if (winner == NULL || verdict->priority >= winner->priority ||
          verdict->outcome == CONFAB_RULE_OUTCOME_OUTRANKED ||
          verdict->outcome == CONFAB_RULE_OUTCOME_EXCLUDED)
        g_ptr_array_add (others, verdict);
    }
  g_ptr_array_sort (others, compare_verdicts);

  for (guint i = 0; i < others->len; i++)
    {
      ConfabRuleVerdict *verdict = g_ptr_array_index (others, i);
      g_autofree char   *name = g_markup_escape_text (verdict->rule_name, -1);
      g_autofree char   *reason = g_markup_escape_text (verdict->reason, -1);
      g_autofree char   *markup = NULL;
      GtkWidget         *label;

      /* Translators: a rule's name, its priority and why it did not answer. */
      markup = g_strdup_printf (_ ("<b>%s</b> (priority %d): %s"), name, verdict->priority, reason);
      label = gtk_label_new (NULL);
      gtk_label_set_markup (GTK_LABEL (label), markup);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
      gtk_label_set_selectable (GTK_LABEL (label), TRUE);
      gtk_box_append (self->others_box, label);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->others_expander), others->len > 0);
}

static void
update_test (ConfabAgentRulesEditor *self)
{
  const char *message = gtk_editable_get_text (GTK_EDITABLE (self->test_row));
  g_autoptr (ConfabRuleExplanation) explanation = NULL;
  g_autoptr (GHashTable) variables = NULL;
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&self->result_rule, g_free);
  gtk_widget_set_visible (self->result_box, *message != '\0');
  if (*message == '\0')
    return;

  if (self->rule_set == NULL)
    {
      gtk_label_set_text (self->result_title, _ ("The Rules Have an Error"));
      gtk_label_set_text (self->result_reason, _ ("Fix the error shown above the rules to try a "
                                                  "message."));
      gtk_widget_set_visible (GTK_WIDGET (self->result_response), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->result_captures), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->result_action), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->others_expander), FALSE);
      return;
    }

  variables = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_insert (variables, g_strdup ("agent.name"),
                       g_strdup (self->agent_name ? self->agent_name : ""));
  explanation = confab_rule_set_explain (self->rule_set, message, 0, 0, variables, &error);
  if (explanation == NULL)
    {
      gtk_label_set_text (self->result_title, _ ("No Answer"));
      gtk_label_set_text (self->result_reason, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->result_response), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->result_captures), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->result_action), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->others_expander), FALSE);
      return;
    }

  if (explanation->winner != NULL)
    {
      g_autofree char *title = g_strdup_printf (_ ("“%s” Answers"), explanation->winner->rule_name);

      self->result_rule = g_strdup (explanation->winner->rule_name);
      gtk_label_set_text (self->result_title, title);
      gtk_label_set_text (self->result_reason, explanation->winner->reason);
    }
  else
    {
      gtk_label_set_text (self->result_title, _ ("No Rule Matches"));
      gtk_label_set_text (self->result_reason, explanation->match->explanation);
    }
  gtk_label_set_text (self->result_response, explanation->match->response);
  gtk_widget_set_visible (GTK_WIDGET (self->result_response), TRUE);
  show_captures (self, explanation->captures);
  show_action (self, explanation->match);
  show_others (self, explanation);
}

/* GObject */

static void
confab_agent_rules_editor_dispose (GObject *object)
{
  ConfabAgentRulesEditor *self = CONFAB_AGENT_RULES_EDITOR (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), CONFAB_TYPE_AGENT_RULES_EDITOR);
  g_clear_object (&self->rules);
  g_clear_object (&self->db);

  G_OBJECT_CLASS (confab_agent_rules_editor_parent_class)->dispose (object);
}

static void
confab_agent_rules_editor_finalize (GObject *object)
{
  ConfabAgentRulesEditor *self = CONFAB_AGENT_RULES_EDITOR (object);

  g_clear_pointer (&self->base, json_object_unref);
  g_clear_pointer (&self->rule_set, confab_rule_set_free);
  g_free (self->baseline);
  g_free (self->error);
  g_free (self->result_rule);
  g_free (self->agent_id);
  g_free (self->agent_type);
  g_free (self->agent_name);

  G_OBJECT_CLASS (confab_agent_rules_editor_parent_class)->finalize (object);
}

static void
confab_agent_rules_editor_get_property (GObject    *object,
                                        guint       prop_id,
                                        GValue     *value,
                                        GParamSpec *pspec)
{
  ConfabAgentRulesEditor *self = CONFAB_AGENT_RULES_EDITOR (object);

  switch (prop_id)
    {
    case PROP_MODIFIED:
      g_value_set_boolean (value, self->modified);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_agent_rules_editor_class_init (ConfabAgentRulesEditorClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_agent_rules_editor_dispose;
  object_class->finalize = confab_agent_rules_editor_finalize;
  object_class->get_property = confab_agent_rules_editor_get_property;

  properties[PROP_MODIFIED] =
      g_param_spec_boolean ("modified", NULL, NULL, FALSE,
                            G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ERROR] =
      g_param_spec_string ("error", NULL, NULL, NULL,
                           G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 0);

  g_type_ensure (CONFAB_TYPE_AGENT_TEXT_LIST);
  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-agent-rules-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRulesEditor, error_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRulesEditor, error_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRulesEditor, rules_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRulesEditor, fallback_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRulesEditor, offer_spin);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRulesEditor, test_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRulesEditor, result_box);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRulesEditor, result_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRulesEditor, result_reason);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRulesEditor, result_captures);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRulesEditor, result_response);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRulesEditor, result_action);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRulesEditor, others_expander);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRulesEditor, others_box);
  gtk_widget_class_bind_template_callback (widget_class, changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, update_test);
  gtk_widget_class_bind_template_callback (widget_class, add_rule_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, rule_activated_cb);
}

static void
confab_agent_rules_editor_init (ConfabAgentRulesEditor *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->base = json_object_new ();
  self->rules = g_list_store_new (CONFAB_TYPE_RULE_ITEM);
  gtk_list_box_bind_model (self->rules_list, G_LIST_MODEL (self->rules), create_rule_row, NULL,
                           NULL);
  /* After the list box's own handler, so the rows exist. */
  g_signal_connect_object (self->rules, "items-changed", G_CALLBACK (rules_changed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_expander_set_expanded (self->others_expander, TRUE);
  gtk_spin_button_set_value (self->offer_spin, CONFAB_RULE_DEFAULT_OFFER_HUMAN_AFTER_MISSES);
  self->baseline = confab_agent_rules_editor_dup_config (self);
}

GtkWidget *
confab_agent_rules_editor_new (void)
{
  return g_object_new (CONFAB_TYPE_AGENT_RULES_EDITOR, NULL);
}

void
confab_agent_rules_editor_set_config (ConfabAgentRulesEditor *self, const char *config)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GStrvBuilder) fallback = g_strv_builder_new ();
  g_auto (GStrv) answers = NULL;
  JsonNode *root = NULL;
  JsonNode *member;
  int       offer = CONFAB_RULE_DEFAULT_OFFER_HUMAN_AFTER_MISSES;

  g_return_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self));

  g_clear_pointer (&self->base, json_object_unref);
  if (config != NULL && json_parser_load_from_data (parser, config, -1, NULL))
    root = json_parser_get_root (parser);
  self->base = root != NULL && JSON_NODE_HOLDS_OBJECT (root) ? json_node_dup_object (root)
                                                             : json_object_new ();

  member = json_object_get_member (self->base, "rules");
  if (member != NULL && JSON_NODE_HOLDS_ARRAY (member))
    {
      JsonArray *rules = json_node_get_array (member);

      for (guint i = 0; i < json_array_get_length (rules); i++)
        {
          JsonNode *element = json_array_get_element (rules, i);

          if (JSON_NODE_HOLDS_OBJECT (element))
            g_ptr_array_add (items,
                             confab_rule_item_new_from_json (json_node_get_object (element)));
        }
    }

  member = json_object_get_member (self->base, "fallback");
  if (member != NULL && JSON_NODE_HOLDS_ARRAY (member))
    {
      JsonArray *array = json_node_get_array (member);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (element) &&
              json_node_get_value_type (element) == G_TYPE_STRING)
            g_strv_builder_add (fallback, json_node_get_string (element));
        }
    }
  answers = g_strv_builder_end (fallback);

  member = json_object_get_member (self->base, "offer_human_after_misses");
  if (member != NULL && JSON_NODE_HOLDS_VALUE (member) &&
      json_node_get_value_type (member) == G_TYPE_INT64)
    offer = CLAMP (json_node_get_int (member), 0, 1000);

  self->loading = TRUE;
  g_list_store_splice (self->rules, 0, g_list_model_get_n_items (G_LIST_MODEL (self->rules)),
                       items->pdata, items->len);
  confab_agent_text_list_set_strings (self->fallback_list, (const char *const *) answers);
  gtk_spin_button_set_value (self->offer_spin, offer);
  self->loading = FALSE;

  g_free (self->baseline);
  self->baseline = confab_agent_rules_editor_dup_config (self);
  self->modified = TRUE; /* so that revalidate() notifies the change back */
  revalidate (self);
}

gboolean
confab_agent_rules_editor_get_modified (ConfabAgentRulesEditor *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self), FALSE);

  return self->modified;
}

const char *
confab_agent_rules_editor_get_error (ConfabAgentRulesEditor *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self), NULL);

  return self->error;
}

void
confab_agent_rules_editor_set_agent (ConfabAgentRulesEditor *self,
                                     ConfabDatabase         *db,
                                     const char             *agent_id,
                                     const char             *agent_type,
                                     const char             *agent_name)
{
  gboolean type_changed;

  g_return_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self));

  g_set_object (&self->db, db);
  g_free (self->agent_id);
  self->agent_id = g_strdup (agent_id);
  type_changed = g_strcmp0 (self->agent_type, agent_type) != 0;
  g_free (self->agent_type);
  self->agent_type = g_strdup (agent_type);
  g_free (self->agent_name);
  self->agent_name = g_strdup (agent_name);

  /* The type decides whether a handoff needs an agent. */
  if (type_changed)
    revalidate (self);
  else
    update_test (self);
}

GListModel *
confab_agent_rules_editor_get_rules (ConfabAgentRulesEditor *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self), NULL);

  return G_LIST_MODEL (self->rules);
}

void
confab_agent_rules_editor_try_message (ConfabAgentRulesEditor *self, const char *message)
{
  g_return_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self));

  gtk_editable_set_text (GTK_EDITABLE (self->test_row), message ? message : "");
}

GtkLabel *
confab_agent_rules_editor_get_result_title (ConfabAgentRulesEditor *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self), NULL);

  return self->result_title;
}

GtkLabel *
confab_agent_rules_editor_get_result_reason (ConfabAgentRulesEditor *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self), NULL);

  return self->result_reason;
}

GtkLabel *
confab_agent_rules_editor_get_result_response (ConfabAgentRulesEditor *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self), NULL);

  return self->result_response;
}

const char *
confab_agent_rules_editor_get_result_rule (ConfabAgentRulesEditor *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_RULES_EDITOR (self), NULL);

  return self->result_rule;
}
