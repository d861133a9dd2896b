/* test-agents-page.c: the Agents section: creating an agent through the
 * editor, the rules editor refusing an invalid rule set, trying a message,
 * the list's active switch, deleting with undo, and the live model list.
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <adwaita.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-agent-editor.h"
#include "confab-agent-row.h"
#include "confab-agent-rule-dialog.h"
#include "confab-agent-rules-editor.h"
#include "confab-agent-text-list.h"
#include "confab-agents-page.h"
#include "confab-mock-llm-server.h"
#include "confab-rule-item.h"
#include "confab-test-util.h"

#define ID(e) confab_entity_get_id (CONFAB_ENTITY (e))

/* Iterates the main loop until cond holds; fails after a generous while
 * (a hang, not a slow machine). */
#define WAIT_UNTIL(cond)                                                                           \
  G_STMT_START                                                                                     \
  {                                                                                                \
    gint64 deadline_ = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;                              \
    while (!(cond) && g_get_monotonic_time () < deadline_)                                         \
      if (!g_main_context_iteration (NULL, FALSE))                                                 \
        g_usleep (1000);                                                                           \
    g_assert_true (cond);                                                                          \
  }                                                                                                \
  G_STMT_END

#define GREETER_CONFIG                                                                             \
  "{\"rules\": [{\"name\": \"Hello\", \"match\": \"keywords_any\", \"patterns\": [\"hello\"], "    \
  "\"responses\": [\"Hi there!\"]}], \"tools\": [\"calendar\"]}"

typedef struct
{
  ConfabTestWorkspace *ws;
  GtkWindow           *window;
  ConfabAgentsPage    *page;
  ConfabAgentEditor   *editor;
  char                *user_id;
  char                *kb_id;
  char                *agent_id;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabKnowledgeBase) kb = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget *overlay;

  f->ws = confab_test_workspace_new ();
  user = confab_test_add_user (f->ws->db, "maya");
  f->user_id = g_strdup (ID (user));
  kb = confab_knowledge_base_new ("Bakery FAQ");
  confab_repository_create (f->ws->db, CONFAB_ENTITY (kb), NULL, &error);
  g_assert_no_error (error);
  f->kb_id = g_strdup (ID (kb));

  agent = confab_agent_new ("Greeter");
  confab_agent_set_sector (agent, "retail");
  confab_agent_set_config (agent, GREETER_CONFIG);
  confab_repository_create (f->ws->db, CONFAB_ENTITY (agent), NULL, &error);
  g_assert_no_error (error);
  f->agent_id = g_strdup (ID (agent));
  confab_agent_add_knowledge_base (f->ws->db, f->agent_id, f->kb_id, NULL, &error);
  g_assert_no_error (error);

  /* The page in a window with a toast overlay, as ConfabWindow has it. */
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 1100, 800);
  overlay = adw_toast_overlay_new ();
  f->page = CONFAB_AGENTS_PAGE (confab_agents_page_new ());
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (f->page));
  gtk_window_set_child (f->window, overlay);
  confab_page_set_database (CONFAB_PAGE (f->page), f->ws->db);
  f->editor = confab_agents_page_get_editor (f->page);
  gtk_window_present (f->window);
  WAIT_UNTIL (g_list_model_get_n_items (confab_agents_page_get_visible_agents (f->page)) == 1);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (f->window);
  confab_test_drain_main_loop ();
  confab_test_workspace_free (f->ws);
  g_free (f->user_id);
  g_free (f->kb_id);
  g_free (f->agent_id);
}

static void
set_text (GtkWidget *widget, const char *text)
{
  if (GTK_IS_TEXT_VIEW (widget))
    gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (widget)), text, -1);
  else
    gtk_editable_set_text (GTK_EDITABLE (widget), text);
}

static GtkWidget *
field (Fixture *f, const char *name)
{
  return confab_agent_editor_get_field (f->editor, name);
}

static ConfabAgent *
find_agent (Fixture *f, const char *name)
{
  g_autoptr (GError) error = NULL;
  ConfabAgent *agent = confab_repository_find (f->ws->db, CONFAB_TYPE_AGENT, "name", name, &error);

  if (agent == NULL)
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  return agent;
}

static char *
dup_stored_config (Fixture *f, const char *id)
{
  g_autoptr (ConfabAgent) agent = confab_repository_get (f->ws->db, CONFAB_TYPE_AGENT, id, NULL);

  g_assert_nonnull (agent);
  return g_strdup (confab_agent_get_config (agent));
}

static void
select_agent (Fixture *f, const char *id)
{
  g_assert_true (confab_agents_page_select_agent (f->page, id));
  g_assert_cmpstr (confab_agents_page_get_detail_state (f->page), ==, "editor");
  g_assert_cmpstr (ID (confab_agent_editor_get_agent (f->editor)), ==, id);
  g_assert_false (confab_agent_editor_get_dirty (f->editor));
}

static gboolean
activate (Fixture *f, const char *action)
{
  return gtk_widget_activate_action (GTK_WIDGET (f->page), action, NULL);
}

/* Creating an agent: every field through its widget, then Save. */
static void
test_create (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) linked = NULL;
  GtkWidget *save = confab_agents_page_get_save_button (f->page);

  g_assert_cmpstr (confab_agents_page_get_list_state (f->page), ==, "list");
  g_assert_cmpstr (confab_agents_page_get_detail_state (f->page), ==, "empty");

  g_assert_true (activate (f, "agents.add"));
  g_assert_cmpstr (confab_agents_page_get_detail_state (f->page), ==, "editor");
  g_assert_true (confab_agent_editor_get_is_new (f->editor));
  /* Untouched, a new agent is not a change, but it cannot be saved. */
  g_assert_false (confab_agent_editor_get_dirty (f->editor));
  g_assert_nonnull (confab_agent_editor_get_error (f->editor));
  g_assert_false (gtk_widget_get_sensitive (save));
  g_assert_false (gtk_widget_get_visible (field (f, "chat")));

  set_text (field (f, "name"), "Pastry Helper");
  g_assert_null (confab_agent_editor_get_error (f->editor));
  g_assert_true (confab_agent_editor_get_dirty (f->editor));
  g_assert_true (gtk_widget_get_sensitive (save));
  g_assert_cmpstr (confab_agent_editor_get_title (f->editor), ==, "Pastry Helper");

  set_text (field (f, "description"), "Answers about pastries");
  adw_combo_row_set_selected (ADW_COMBO_ROW (field (f, "type")), 1); /* LLM */
  g_assert_true (gtk_widget_get_visible (
      gtk_widget_get_ancestor (field (f, "temperature"), ADW_TYPE_PREFERENCES_GROUP)));
  g_assert_false (
      gtk_widget_get_visible (GTK_WIDGET (confab_agent_editor_get_rules_editor (f->editor))));
  set_text (field (f, "sector"), "food & drink");
  adw_combo_row_set_selected (ADW_COMBO_ROW (field (f, "owner")), 1); /* maya, after "Nobody" */
  gtk_switch_set_active (GTK_SWITCH (field (f, "active")), FALSE);
  /* No provider: the model is typed, and the field says why. */
  g_assert_true (gtk_widget_get_visible (field (f, "model-entry")));
  g_assert_true (gtk_widget_get_visible (field (f, "model-status")));
  set_text (field (f, "model-entry"), "llama3.2");
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (field (f, "temperature")), 1.25);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (field (f, "max-tokens")), 300);
  set_text (field (f, "system-prompt"), "# Role\nYou help {{user.name}} choose pastries.");
  confab_agent_editor_set_knowledge_base (f->editor, f->kb_id, TRUE);

  /* A name too long is refused on the field, and Save is off. */
  {
    g_autofree char *long_name = g_strnfill (101, 'x');

    set_text (field (f, "name"), long_name);
    g_assert_nonnull (confab_agent_editor_get_error (f->editor));
    g_assert_true (gtk_widget_has_css_class (field (f, "name"), "error"));
    g_assert_true (gtk_widget_get_visible (field (f, "general-error")));
    g_assert_false (gtk_widget_get_sensitive (save));
    /* Ctrl+S anyway: nothing is written. */
    g_assert_true (activate (f, "agents.save"));
    g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM agents"), ==, 1);
    set_text (field (f, "name"), "Pastry Helper");
    g_assert_false (gtk_widget_has_css_class (field (f, "name"), "error"));
  }

  g_assert_true (activate (f, "agents.save"));
  agent = find_agent (f, "Pastry Helper");
  g_assert_nonnull (agent);
  g_assert_cmpstr (confab_agent_get_description (agent), ==, "Answers about pastries");
  g_assert_cmpstr (confab_agent_get_agent_type (agent), ==, "llm");
  g_assert_cmpstr (confab_agent_get_sector (agent), ==, "food & drink");
  g_assert_cmpstr (confab_agent_get_owner_id (agent), ==, f->user_id);
  g_assert_false (confab_agent_get_is_active (agent));
  g_assert_cmpstr (confab_agent_get_model (agent), ==, "llama3.2");
  g_assert_null (confab_agent_get_provider_id (agent));
  g_assert_cmpfloat_with_epsilon (confab_agent_get_temperature (agent), 1.25, 1e-9);
  g_assert_cmpint (confab_agent_get_max_tokens (agent), ==, 300);
  g_assert_cmpstr (confab_agent_get_system_prompt (agent), ==,
                   "# Role\nYou help {{user.name}} choose pastries.");
  g_assert_null (confab_agent_get_prompt_id (agent));
  linked = confab_agent_list_knowledge_base_ids (f->ws->db, ID (agent), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (linked), ==, 1);
  g_assert_cmpstr (linked[0], ==, f->kb_id);

  /* The editor now shows the saved agent, and the list selects it. */
  g_assert_false (confab_agent_editor_get_is_new (f->editor));
  g_assert_false (confab_agent_editor_get_dirty (f->editor));
  g_assert_cmpstr (ID (confab_agent_editor_get_agent (f->editor)), ==, ID (agent));
  g_assert_true (gtk_widget_get_visible (field (f, "chat")));
  WAIT_UNTIL (g_list_model_get_n_items (confab_agents_page_get_visible_agents (f->page)) == 2);
  {
    GtkSingleSelection *selection =
        GTK_SINGLE_SELECTION (gtk_list_view_get_model (GTK_LIST_VIEW (gtk_widget_get_ancestor (
            GTK_WIDGET (confab_agents_page_find_row (f->page, ID (agent))), GTK_TYPE_LIST_VIEW))));
    ConfabAgent *selected = gtk_single_selection_get_selected_item (selection);

    g_assert_nonnull (selected);
    g_assert_cmpstr (ID (selected), ==, ID (agent));
  }

  /* An edit saves only what changed, over what the workspace has. */
  set_text (field (f, "sector"), "bakery");
  g_assert_true (activate (f, "agents.save"));
  g_clear_object (&agent);
  agent = find_agent (f, "Pastry Helper");
  g_assert_cmpstr (confab_agent_get_sector (agent), ==, "bakery");
  g_assert_cmpstr (confab_agent_get_model (agent), ==, "llama3.2");

  /* The search filters by name and sector. */
  set_text (GTK_WIDGET (confab_agents_page_get_search_entry (f->page)), "BAKERY");
  WAIT_UNTIL (g_list_model_get_n_items (confab_agents_page_get_visible_agents (f->page)) == 1);
  set_text (GTK_WIDGET (confab_agents_page_get_search_entry (f->page)), "nothing like it");
  WAIT_UNTIL (g_list_model_get_n_items (confab_agents_page_get_visible_agents (f->page)) == 0);
  g_assert_cmpstr (confab_agents_page_get_list_state (f->page), ==, "no-results");
  set_text (GTK_WIDGET (confab_agents_page_get_search_entry (f->page)), "");
  WAIT_UNTIL (g_list_model_get_n_items (confab_agents_page_get_visible_agents (f->page)) == 2);
}

static ConfabAgentRuleDialog *
add_rule (ConfabAgentRulesEditor *rules,
          const char             *name,
          guint                   match,
          const char             *pattern,
          const char             *response)
{
  ConfabAgentRuleDialog *dialog = confab_agent_rules_editor_add_rule (rules);
  ConfabAgentTextList   *patterns;
  ConfabAgentTextList   *responses;

  set_text (confab_agent_rule_dialog_get_field (dialog, "name"), name);
  adw_combo_row_set_selected (ADW_COMBO_ROW (confab_agent_rule_dialog_get_field (dialog, "match")),
                              match);
  patterns = CONFAB_AGENT_TEXT_LIST (confab_agent_rule_dialog_get_field (dialog, "patterns"));
  responses = CONFAB_AGENT_TEXT_LIST (confab_agent_rule_dialog_get_field (dialog, "responses"));
  /* A new rule starts with one row for each. */
  g_assert_cmpuint (confab_agent_text_list_get_n_rows (patterns), ==, 1);
  g_assert_cmpuint (confab_agent_text_list_get_n_rows (responses), ==, 1);
  set_text (confab_agent_text_list_get_row_editor (patterns, 0), pattern);
  set_text (confab_agent_text_list_get_row_editor (responses, 0), response);
  return dialog;
}

/* An invalid regex is refused with the rule named, and nothing is saved;
 * fixed, the rules are saved with the members Confab does not edit. */
static void
test_rules_invalid (Fixture *f, gconstpointer data)
{
  ConfabAgentRulesEditor *rules = confab_agent_editor_get_rules_editor (f->editor);
  g_autofree char        *before = dup_stored_config (f, f->agent_id);
  g_autofree char        *after = NULL;
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  ConfabAgentRuleDialog *dialog;
  JsonArray             *saved_rules;
  GListModel            *items = confab_agent_rules_editor_get_rules (rules);
  GtkWidget             *save = confab_agents_page_get_save_button (f->page);

  select_agent (f, f->agent_id);
  g_assert_cmpuint (g_list_model_get_n_items (items), ==, 1);
  g_assert_null (confab_agent_rules_editor_get_error (rules));

  /* 3 is "Regular Expression" in the match list. */
  dialog = add_rule (rules, "Order number", 3, "order (\\d+", "Order {{order}} is on its way.");
  g_assert_nonnull (confab_agent_rule_dialog_get_error (dialog));
  g_assert_nonnull (strstr (confab_agent_rule_dialog_get_error (dialog), "Order number"));
  confab_agent_rule_dialog_apply (dialog);
  g_assert_cmpuint (g_list_model_get_n_items (items), ==, 2);

  /* The editor names the rule and the reason; Save is off and refuses. */
  g_assert_nonnull (confab_agent_rules_editor_get_error (rules));
  g_assert_true (
      g_str_has_prefix (confab_agent_rules_editor_get_error (rules), "Rule “Order number”: "));
  g_assert_nonnull (
      strstr (confab_agent_rules_editor_get_error (rules), "is not a valid regular expression"));
  g_assert_cmpstr (confab_agent_editor_get_error (f->editor), ==,
                   confab_agent_rules_editor_get_error (rules));
  {
    g_autoptr (ConfabRuleItem) rule = g_list_model_get_item (items, 1);

    g_assert_nonnull (confab_rule_item_get_error (rule));
  }
  g_assert_true (confab_agent_editor_get_dirty (f->editor));
  g_assert_false (gtk_widget_get_sensitive (save));
  g_assert_true (activate (f, "agents.save"));
  after = dup_stored_config (f, f->agent_id);
  g_assert_cmpstr (after, ==, before);
  g_assert_true (confab_agent_editor_get_dirty (f->editor));

  /* Fixed in the dialog: the named group becomes {{order}}. */
  dialog = confab_agent_rules_editor_edit_rule (rules, 1);
  set_text (
      confab_agent_text_list_get_row_editor (
          CONFAB_AGENT_TEXT_LIST (confab_agent_rule_dialog_get_field (dialog, "patterns")), 0),
      "order\\s*#?(?<order>\\d+)");
  g_assert_null (confab_agent_rule_dialog_get_error (dialog));
  confab_agent_rule_dialog_apply (dialog);
  g_assert_null (confab_agent_rules_editor_get_error (rules));
  g_assert_true (gtk_widget_get_sensitive (save));

  /* Reordered: the new rule first. */
  confab_agent_rules_editor_move_rule (rules, 1, 0);
  g_assert_true (activate (f, "agents.save"));
  g_clear_pointer (&after, g_free);
  after = dup_stored_config (f, f->agent_id);
  root = json_from_string (after, &error);
  g_assert_no_error (error);
  saved_rules = json_object_get_array_member (json_node_get_object (root), "rules");
  g_assert_cmpuint (json_array_get_length (saved_rules), ==, 2);
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (saved_rules, 0), "name"), ==,
      "Order number");
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (saved_rules, 0), "match"), ==,
      "regex");
  g_assert_cmpstr (
      json_object_get_string_member (json_array_get_object_element (saved_rules, 1), "name"), ==,
      "Hello");
  /* Members the editor does not know are kept. */
  g_assert_true (json_object_has_member (json_node_get_object (root), "tools"));
  g_assert_false (confab_agent_editor_get_dirty (f->editor));

  /* A rule removed, then the other turned off: saved as such. */
  confab_agent_rules_editor_remove_rule (rules, 0);
  {
    g_autoptr (ConfabRuleItem) rule = g_list_model_get_item (items, 0);

    confab_rule_item_set_enabled (rule, FALSE);
  }
  g_assert_true (activate (f, "agents.save"));
  g_clear_pointer (&after, g_free);
  after = dup_stored_config (f, f->agent_id);
  g_assert_null (strstr (after, "Order number"));
  g_assert_nonnull (strstr (after, "\"enabled\":false"));
}

/* The demo's bakery rules: the rule that answers, why, and what it says. */
static char *
dup_demo_config (const char *agent_name)
{
  g_autofree char *path =
      g_test_build_filename (G_TEST_DIST, "..", "data", "demo", "demo-workspace.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonArray *agents;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  agents = json_object_get_array_member (
      json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                     "tables"),
      "agents");
  for (guint i = 0; i < json_array_get_length (agents); i++)
    {
      JsonObject *agent = json_array_get_object_element (agents, i);

      if (g_strcmp0 (json_object_get_string_member (agent, "name"), agent_name) == 0)
        return g_strdup (json_object_get_string_member (agent, "config"));
    }
  g_assert_not_reached ();
}

static void
test_try_message (Fixture *f, gconstpointer data)
{
  g_autofree char *config = dup_demo_config ("Bakery Concierge");
  g_autoptr (ConfabAgent) agent = confab_agent_new ("Bakery Concierge");
  g_autoptr (GError) error = NULL;
  ConfabAgentRulesEditor *rules = confab_agent_editor_get_rules_editor (f->editor);
  GListModel             *items;
  guint                   n;

  confab_agent_set_config (agent, config);
  confab_repository_create (f->ws->db, CONFAB_ENTITY (agent), NULL, &error);
  g_assert_no_error (error);
  WAIT_UNTIL (g_list_model_get_n_items (confab_agents_page_get_visible_agents (f->page)) == 2);
  select_agent (f, ID (agent));
  items = confab_agent_rules_editor_get_rules (rules);
  g_assert_cmpuint (g_list_model_get_n_items (items), >=, 10);

  confab_agent_rules_editor_try_message (rules, "Are you open on Sunday?");
  g_assert_cmpstr (confab_agent_rules_editor_get_result_rule (rules), ==, "Opening hours");
  g_assert_cmpstr (gtk_label_get_text (confab_agent_rules_editor_get_result_title (rules)), ==,
                   "“Opening hours” Answers");
  g_assert_nonnull (
      strstr (gtk_label_get_text (confab_agent_rules_editor_get_result_reason (rules)),
              "matched the keyword “open”"));
  g_assert_true (
      g_str_has_prefix (gtk_label_get_text (confab_agent_rules_editor_get_result_response (rules)),
                        "We're open Tuesday to Saturday"));

  /* "christmas" vetoes Opening hours; Holiday hours answers. */
  confab_agent_rules_editor_try_message (rules, "Are you open at Christmas?");
  g_assert_cmpstr (confab_agent_rules_editor_get_result_rule (rules), ==, "Holiday hours");

  /* A named group, and what it captured in the response. */
  confab_agent_rules_editor_try_message (rules, "Where is my order #12345?");
  g_assert_cmpstr (confab_agent_rules_editor_get_result_rule (rules), ==, "Order status");
  g_assert_nonnull (
      strstr (gtk_label_get_text (confab_agent_rules_editor_get_result_response (rules)), "12345"));

  /* Nothing matches: the fallback, and no rule named. */
  confab_agent_rules_editor_try_message (rules, "zzz qqq");
  g_assert_null (confab_agent_rules_editor_get_result_rule (rules));
  g_assert_cmpstr (gtk_label_get_text (confab_agent_rules_editor_get_result_title (rules)), ==,
                   "No Rule Matches");

  /* The rules as edited, not as saved: Opening hours turned off. */
  n = g_list_model_get_n_items (items);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (ConfabRuleItem) rule = g_list_model_get_item (items, i);

      if (g_strcmp0 (confab_rule_item_get_name (rule), "Opening hours") == 0)
        confab_rule_item_set_enabled (rule, FALSE);
    }
  confab_agent_rules_editor_try_message (rules, "Are you open on Sunday?");
  g_assert_cmpstr (confab_agent_rules_editor_get_result_rule (rules), !=, "Opening hours");
  g_assert_true (confab_agent_editor_get_dirty (f->editor));
}

/* The switch in the list saves is_active at once; the row and the editor follow. */
static void
test_active_switch (Fixture *f, gconstpointer data)
{
  ConfabAgentRow *row;
  GtkSwitch      *active;

  select_agent (f, f->agent_id);
  WAIT_UNTIL (confab_agents_page_find_row (f->page, f->agent_id) != NULL);
  row = confab_agents_page_find_row (f->page, f->agent_id);
  active = confab_agent_row_get_active_switch (row);
  g_assert_true (gtk_switch_get_active (active));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (field (f, "active"))));

  gtk_switch_set_active (active, FALSE);
  g_assert_cmpint (
      confab_test_count_rows (f->ws->db, "SELECT is_active FROM agents WHERE name = 'Greeter'"), ==,
      0);
  WAIT_UNTIL (!confab_agent_get_is_active (confab_agent_row_get_agent (row)));
  g_assert_false (gtk_switch_get_active (active));
  /* The editor had nothing unsaved: it shows the new state, still clean. */
  WAIT_UNTIL (!gtk_switch_get_active (GTK_SWITCH (field (f, "active"))));
  g_assert_false (confab_agent_editor_get_dirty (f->editor));

  /* With an edit in progress, the edit stays and the switch follows. */
  set_text (field (f, "description"), "Says hello");
  gtk_switch_set_active (active, TRUE);
  g_assert_cmpint (
      confab_test_count_rows (f->ws->db, "SELECT is_active FROM agents WHERE name = 'Greeter'"), ==,
      1);
  WAIT_UNTIL (gtk_switch_get_active (GTK_SWITCH (field (f, "active"))));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (field (f, "description"))), ==,
                   "Says hello");
  g_assert_true (activate (f, "agents.save"));
  g_assert_cmpint (
      confab_test_count_rows (f->ws->db, "SELECT is_active FROM agents WHERE name = 'Greeter'"), ==,
      1);
}

/* Delete hides the agent behind an undo toast; Undo brings it back with its
 * links; without Undo it is deleted when the toast goes. */
static void
test_delete_undo (Fixture *f, gconstpointer data)
{
  GListModel *visible = confab_agents_page_get_visible_agents (f->page);
  AdwToast   *toast;

  select_agent (f, f->agent_id);
  g_assert_true (activate (f, "agents.delete"));
  g_assert_cmpuint (g_list_model_get_n_items (visible), ==, 0);
  g_assert_cmpstr (confab_agents_page_get_detail_state (f->page), ==, "empty");
  toast = confab_agents_page_get_undo_toast (f->page);
  g_assert_nonnull (toast);
  g_assert_cmpstr (adw_toast_get_title (toast), ==, "“Greeter” deleted");
  /* Not yet deleted: nothing is lost while Undo is offered. */
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM agents"), ==, 1);

  g_assert_true (activate (f, "agents.undo-delete"));
  g_assert_null (confab_agents_page_get_undo_toast (f->page));
  WAIT_UNTIL (g_list_model_get_n_items (visible) == 1);
  g_assert_cmpstr (confab_agents_page_get_detail_state (f->page), ==, "editor");
  g_assert_cmpstr (ID (confab_agent_editor_get_agent (f->editor)), ==, f->agent_id);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM agents"), ==, 1);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM agent_knowledge"), ==,
                   1);

  /* Again, and this time the toast goes away on its own. */
  g_assert_true (activate (f, "agents.delete"));
  toast = confab_agents_page_get_undo_toast (f->page);
  g_assert_nonnull (toast);
  adw_toast_dismiss (toast);
  g_assert_null (confab_agents_page_get_undo_toast (f->page));
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM agents"), ==, 0);
  WAIT_UNTIL (g_str_equal (confab_agents_page_get_list_state (f->page), "empty"));
}

/* The model is picked from the provider's live list. */
static void
test_models (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autofree char *url = confab_mock_llm_server_get_url (server, "/v1");
  g_autoptr (ConfabProvider) provider = confab_provider_new ("Mock", "openai_compatible", url);
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (GError) error = NULL;
  AdwComboRow *models;
  GListModel  *names;

  confab_repository_create (f->ws->db, CONFAB_ENTITY (provider), NULL, &error);
  g_assert_no_error (error);
  confab_mock_llm_server_push (
      server,
      confab_mock_response_new_json (200, "{\"data\": [{\"id\": \"beta\"}, {\"id\": \"alpha\"}]}"));

  select_agent (f, f->agent_id);
  WAIT_UNTIL (g_list_model_get_n_items (
                  adw_combo_row_get_model (ADW_COMBO_ROW (field (f, "provider")))) == 2);
  /* A rule-based agent lists no models; a hybrid one fetches them. */
  adw_combo_row_set_selected (ADW_COMBO_ROW (field (f, "provider")), 1);
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (server), ==, 0);
  adw_combo_row_set_selected (ADW_COMBO_ROW (field (f, "type")), 2); /* hybrid */
  models = ADW_COMBO_ROW (field (f, "model"));
  names = adw_combo_row_get_model (models);
  /* While it loads, a spinner; then the provider's models, sorted. */
  WAIT_UNTIL (g_list_model_get_n_items (names) == 3 &&
              !gtk_widget_get_visible (field (f, "model-spinner")));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (models)));
  g_assert_false (gtk_widget_get_visible (field (f, "model-entry")));
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (names), 1), ==, "alpha");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (names), 2), ==, "beta");
  adw_combo_row_set_selected (models, 2);
  g_assert_cmpstr (confab_agent_editor_get_model (f->editor), ==, "beta");
  g_assert_true (activate (f, "agents.save"));
  agent = find_agent (f, "Greeter");
  g_assert_cmpstr (confab_agent_get_agent_type (agent), ==, "hybrid");
  g_assert_cmpstr (confab_agent_get_provider_id (agent), ==, ID (provider));
  g_assert_cmpstr (confab_agent_get_model (agent), ==, "beta");

  /* The list cannot be fetched (the server has no answer scripted: 500):
   * the model is typed, and the reason shows. */
  gtk_widget_activate (field (f, "model-retry"));
  WAIT_UNTIL (gtk_widget_get_visible (field (f, "model-entry")));
  g_assert_true (gtk_widget_get_visible (field (f, "model-status")));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (field (f, "model-entry"))), ==, "beta");
  g_assert_nonnull (adw_action_row_get_subtitle (ADW_ACTION_ROW (field (f, "model-status"))));
  set_text (field (f, "model-entry"), "gamma");
  g_assert_true (activate (f, "agents.save"));
  g_clear_object (&agent);
  agent = find_agent (f, "Greeter");
  g_assert_cmpstr (confab_agent_get_model (agent), ==, "gamma");
}

/* The prompt library: pinned by label, then by version number. */
static void
test_prompt_library (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabPrompt) prompt = confab_prompt_new ("bakery/assistant");
  g_autoptr (ConfabPromptVersion) v1 = NULL;
  g_autoptr (ConfabPromptVersion) v2 = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (GError) error = NULL;
  GListModel *versions;

  confab_repository_create (f->ws->db, CONFAB_ENTITY (prompt), NULL, &error);
  g_assert_no_error (error);
  v1 = confab_prompt_save_version (f->ws->db, ID (prompt), "You are kind.", "first", NULL, &error);
  g_assert_no_error (error);
  v2 =
      confab_prompt_save_version (f->ws->db, ID (prompt), "You are brief.", "second", NULL, &error);
  g_assert_no_error (error);
  confab_prompt_set_label (f->ws->db, ID (prompt), "production", ID (v1), NULL, &error);
  g_assert_no_error (error);

  select_agent (f, f->agent_id);
  WAIT_UNTIL (g_list_model_get_n_items (
                  adw_combo_row_get_model (ADW_COMBO_ROW (field (f, "prompt")))) == 1);
  adw_combo_row_set_selected (ADW_COMBO_ROW (field (f, "type")), 1);
  adw_combo_row_set_selected (ADW_COMBO_ROW (field (f, "prompt-source")), 1);
  /* The library without a prompt chosen cannot be saved. */
  g_assert_nonnull (confab_agent_editor_get_error (f->editor));
  g_assert_true (gtk_widget_get_visible (field (f, "prompt-error")));
  adw_combo_row_set_selected (ADW_COMBO_ROW (field (f, "prompt")), 0);
  g_assert_null (confab_agent_editor_get_error (f->editor));

  /* Latest, the label, then the versions newest first. */
  versions = adw_combo_row_get_model (ADW_COMBO_ROW (field (f, "prompt-version")));
  g_assert_cmpuint (g_list_model_get_n_items (versions), ==, 4);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (versions), 0), ==,
                   "Latest Version");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (versions), 1), ==,
                   "“production” (version 1)");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (versions), 2), ==, "Version 2");

  adw_combo_row_set_selected (ADW_COMBO_ROW (field (f, "prompt-version")), 1);
  g_assert_true (activate (f, "agents.save"));
  agent = find_agent (f, "Greeter");
  g_assert_cmpstr (confab_agent_get_prompt_id (agent), ==, ID (prompt));
  g_assert_cmpstr (confab_agent_get_prompt_label (agent), ==, "production");
  g_assert_cmpint (confab_agent_get_prompt_version (agent), ==, 0);
  /* Loaded again, the label is what is selected. */
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (field (f, "prompt-version"))), ==,
                    1);

  adw_combo_row_set_selected (ADW_COMBO_ROW (field (f, "prompt-version")), 3); /* Version 1 */
  g_assert_true (activate (f, "agents.save"));
  g_clear_object (&agent);
  agent = find_agent (f, "Greeter");
  g_assert_null (confab_agent_get_prompt_label (agent));
  g_assert_cmpint (confab_agent_get_prompt_version (agent), ==, 1);

  /* Back to a prompt written here. */
  adw_combo_row_set_selected (ADW_COMBO_ROW (field (f, "prompt-source")), 0);
  set_text (field (f, "system-prompt"), "Be nice.");
  g_assert_true (activate (f, "agents.save"));
  g_clear_object (&agent);
  agent = find_agent (f, "Greeter");
  g_assert_null (confab_agent_get_prompt_id (agent));
  g_assert_cmpstr (confab_agent_get_system_prompt (agent), ==, "Be nice.");
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels (); /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (window))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

/* Leaving an agent with unsaved changes asks: Cancel keeps them, Save
 * writes them and goes on. */
static void
test_leave_unsaved (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabAgent) other = confab_agent_new ("Another");
  g_autoptr (ConfabAgent) stored = NULL;
  g_autoptr (GError) error = NULL;
  AdwMessageDialog *dialog;

  confab_repository_create (f->ws->db, CONFAB_ENTITY (other), NULL, &error);
  g_assert_no_error (error);
  WAIT_UNTIL (g_list_model_get_n_items (confab_agents_page_get_visible_agents (f->page)) == 2);
  select_agent (f, f->agent_id);
  set_text (field (f, "description"), "Unsaved words");

  g_assert_true (confab_agents_page_select_agent (f->page, ID (other)));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  /* As a click on the button does; the dialog itself then closes. */
  adw_message_dialog_response (dialog, "cancel");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpstr (ID (confab_agent_editor_get_agent (f->editor)), ==, f->agent_id);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (field (f, "description"))), ==,
                   "Unsaved words");

  g_assert_true (confab_agents_page_select_agent (f->page, ID (other)));
  dialog = find_message_dialog ();
  g_assert_nonnull (dialog);
  adw_message_dialog_response (dialog, "save");
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_assert_cmpstr (ID (confab_agent_editor_get_agent (f->editor)), ==, ID (other));
  stored = find_agent (f, "Greeter");
  g_assert_cmpstr (confab_agent_get_description (stored), ==, "Unsaved words");
}

int
main (int argc, char **argv)
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

#define ADD(path, func)                                                                            \
  g_test_add ("/confab/agents-page/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("create", test_create);
  ADD ("rules-invalid", test_rules_invalid);
  ADD ("try-message", test_try_message);
  ADD ("active-switch", test_active_switch);
  ADD ("delete-undo", test_delete_undo);
  ADD ("models", test_models);
  ADD ("prompt-library", test_prompt_library);
  ADD ("leave-unsaved", test_leave_unsaved);

  return g_test_run ();
}
