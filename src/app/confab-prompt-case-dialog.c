/* confab-prompt-case-dialog.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "confab-acting-user.h"
#include "confab-prompt-case-dialog.h"
#include "confab-prompt-common.h"

/* The check types, as the JSON names them, and as a person reads them. */
static const struct
{
  const char *type;
  const char *label;
  gboolean    number;
  gboolean    no_value;
} check_types[] = {
  { "contains", N_ ("Contains"), FALSE, FALSE },
  { "not_contains", N_ ("Does not contain"), FALSE, FALSE },
  { "regex", N_ ("Matches the regex"), FALSE, FALSE },
  { "equals", N_ ("Equals"), FALSE, FALSE },
  { "valid_json", N_ ("Is valid JSON"), FALSE, TRUE },
  { "max_latency_ms", N_ ("Answers within (ms)"), TRUE, FALSE },
  { "max_tokens", N_ ("Uses at most (tokens)"), TRUE, FALSE },
};

struct _ConfabPromptCaseDialog
{
  AdwWindow parent_instance;

  AdwWindowTitle *window_title;
  AdwEntryRow    *name_row;
  GtkWidget      *variables_group;
  GtkWidget      *variables_list;
  GtkTextView    *input_view;
  GtkWidget      *checks_list;
  GtkLabel       *error_label;
  GtkWidget      *save_button;

  ConfabDatabase       *db;
  ConfabPrompt         *prompt;
  ConfabPromptTestCase *test_case;
  GHashTable           *variable_rows; /* name -> AdwEntryRow */
};

G_DEFINE_FINAL_TYPE (ConfabPromptCaseDialog, confab_prompt_case_dialog, ADW_TYPE_WINDOW)

enum
{
  SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
show_error (ConfabPromptCaseDialog *self, const char *message)
{
  gtk_label_set_label (self->error_label, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

char *
confab_prompt_case_dialog_dup_assertions (ConfabPromptCaseDialog *self)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (GtkWidget *row = gtk_widget_get_first_child (self->checks_list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      GtkDropDown *dropdown = g_object_get_data (G_OBJECT (row), "confab-type");
      GtkEditable *entry = g_object_get_data (G_OBJECT (row), "confab-value");
      guint        type;
      const char  *text;

      /* The placeholder is a child too. */
      if (dropdown == NULL || entry == NULL)
        continue;
      type = gtk_drop_down_get_selected (dropdown);
      text = gtk_editable_get_text (entry);
      if (type >= G_N_ELEMENTS (check_types))
        continue;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, check_types[type].type);
      if (!check_types[type].no_value)
        {
          g_autofree char *stripped = g_strstrip (g_strdup (text));
          gint64           number;

          json_builder_set_member_name (builder, "value");
          /* A number that is not one stays text: the core says why. */
          if (check_types[type].number &&
              g_ascii_string_to_signed (stripped, 10, G_MININT64, G_MAXINT64, &number, NULL))
            json_builder_add_int_value (builder, number);
          else
            json_builder_add_string_value (builder, check_types[type].number ? stripped : text);
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static void
validate (ConfabPromptCaseDialog *self)
{
  g_autofree char *assertions = NULL;
  g_autofree char *name = NULL;
  g_autoptr (GError) error = NULL;

  if (self->checks_list == NULL)
    return;
  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  assertions = confab_prompt_case_dialog_dup_assertions (self);
  if (!confab_prompt_assertions_validate (assertions, &error))
    show_error (self, error->message);
  else
    show_error (self, NULL);
  gtk_widget_remove_css_class (GTK_WIDGET (self->name_row), "error");
  gtk_widget_set_sensitive (self->save_button, *name != '\0' && error == NULL);
}

static void
type_changed_cb (GtkDropDown *dropdown, GParamSpec *pspec, ConfabPromptCaseDialog *self)
{
  GtkWidget *row = g_object_get_data (G_OBJECT (dropdown), "confab-row");
  GtkEntry  *entry = g_object_get_data (G_OBJECT (row), "confab-value");
  guint      type = gtk_drop_down_get_selected (dropdown);

  if (type < G_N_ELEMENTS (check_types))
    {
      gtk_widget_set_visible (GTK_WIDGET (entry), !check_types[type].no_value);
      gtk_entry_set_input_purpose (entry, check_types[type].number ? GTK_INPUT_PURPOSE_DIGITS
                                                                   : GTK_INPUT_PURPOSE_FREE_FORM);
      gtk_entry_set_placeholder_text (entry,
                                      check_types[type].number ? _ ("A whole number") : _ ("Text"));
    }
  validate (self);
}

static void
remove_check_cb (GtkButton *button, ConfabPromptCaseDialog *self)
{
  GtkWidget *row = g_object_get_data (G_OBJECT (button), "confab-row");

  gtk_list_box_remove (GTK_LIST_BOX (self->checks_list), row);
  validate (self);
}

void
confab_prompt_case_dialog_add_check (ConfabPromptCaseDialog *self,
                                     const char             *type,
                                     const char             *value)
{
  g_autoptr (GtkStringList) labels = gtk_string_list_new (NULL);
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *dropdown;
  GtkWidget *entry = gtk_entry_new ();
  GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  guint      selected = 0;

  g_return_if_fail (CONFAB_IS_PROMPT_CASE_DIALOG (self));

  for (guint i = 0; i < G_N_ELEMENTS (check_types); i++)
    {
      gtk_string_list_append (labels, gettext (check_types[i].label));
      if (g_strcmp0 (type, check_types[i].type) == 0)
        selected = i;
    }
  dropdown = gtk_drop_down_new (G_LIST_MODEL (g_steal_pointer (&labels)), NULL);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (dropdown), selected);
  gtk_accessible_update_property (GTK_ACCESSIBLE (dropdown), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Check"), -1);
  gtk_editable_set_text (GTK_EDITABLE (entry), value ? value : "");
  gtk_widget_set_hexpand (entry, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Value"), -1);
  gtk_widget_set_tooltip_text (remove, _ ("Remove the Check"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Remove the check"), -1);
  gtk_widget_add_css_class (remove, "flat");

  gtk_box_append (GTK_BOX (box), dropdown);
  gtk_box_append (GTK_BOX (box), entry);
  gtk_box_append (GTK_BOX (box), remove);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  g_object_set_data (G_OBJECT (row), "confab-type", dropdown);
  g_object_set_data (G_OBJECT (row), "confab-value", entry);
  g_object_set_data (G_OBJECT (dropdown), "confab-row", row);
  g_object_set_data (G_OBJECT (remove), "confab-row", row);

  g_signal_connect_object (dropdown, "notify::selected", G_CALLBACK (type_changed_cb), self, 0);
  g_signal_connect_object (entry, "changed", G_CALLBACK (validate), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (remove, "clicked", G_CALLBACK (remove_check_cb), self, 0);
  gtk_list_box_append (GTK_LIST_BOX (self->checks_list), row);
  type_changed_cb (GTK_DROP_DOWN (dropdown), NULL, self);
}

static void
add_check_clicked_cb (ConfabPromptCaseDialog *self)
{
  confab_prompt_case_dialog_add_check (self, "contains", NULL);
  {
    GtkWidget *last = gtk_widget_get_last_child (self->checks_list);

    gtk_widget_grab_focus (g_object_get_data (G_OBJECT (last), "confab-value"));
  }
}

static void
add_variable_row (ConfabPromptCaseDialog *self, const char *name, const char *value)
{
  GtkWidget *row;

  if (g_hash_table_contains (self->variable_rows, name))
    return;
  row = adw_entry_row_new ();
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
  gtk_editable_set_text (GTK_EDITABLE (row), value ? value : "");
  gtk_list_box_append (GTK_LIST_BOX (self->variables_list), row);
  g_hash_table_insert (self->variable_rows, g_strdup (name), row);
}

gboolean
confab_prompt_case_dialog_save (ConfabPromptCaseDialog *self)
{
  g_autoptr (ConfabPromptTestCase) test_case = NULL;
  g_autoptr (GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *input = NULL;
  g_autofree char *variables = NULL;
  g_autofree char *assertions = NULL;
  g_autofree char *actor_id = NULL;
  GHashTableIter   iter;
  gpointer         key, row;
  gboolean         saved;

  g_return_val_if_fail (CONFAB_IS_PROMPT_CASE_DIALOG (self), FALSE);

  validate (self);
  if (self->db == NULL || !gtk_widget_get_sensitive (self->save_button))
    return FALSE;

  name = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->name_row))));
  input = confab_prompt_text_view_dup_text (self->input_view);
  g_hash_table_iter_init (&iter, self->variable_rows);
  while (g_hash_table_iter_next (&iter, &key, &row))
    {
      const char *text = gtk_editable_get_text (GTK_EDITABLE (row));

      /* Empty: the template's default applies. */
      if (*text != '\0')
        g_hash_table_insert (values, g_strdup (key), g_strdup (text));
    }
  variables = confab_prompt_variables_to_json (values);
  assertions = confab_prompt_case_dialog_dup_assertions (self);
  actor_id = confab_acting_user_dup_id (self->db);

  if (self->test_case != NULL)
    test_case =
        confab_repository_get (self->db, CONFAB_TYPE_PROMPT_TEST_CASE,
                               confab_entity_get_id (CONFAB_ENTITY (self->test_case)), &error);
  else
    test_case =
        confab_prompt_test_case_new (confab_entity_get_id (CONFAB_ENTITY (self->prompt)), name);
  if (test_case == NULL)
    {
      show_error (self, error->message);
      return FALSE;
    }
  confab_prompt_test_case_set_name (test_case, name);
  confab_prompt_test_case_set_variables (test_case, variables);
  confab_prompt_test_case_set_input (test_case, input);
  confab_prompt_test_case_set_assertions (test_case, assertions);
  if (self->test_case != NULL)
    saved = confab_repository_update (self->db, CONFAB_ENTITY (test_case), actor_id, &error);
  else
    saved = confab_repository_create (self->db, CONFAB_ENTITY (test_case), actor_id, &error);
  if (!saved)
    {
      show_error (self, error->message);
      if (g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT))
        {
          gtk_widget_add_css_class (GTK_WIDGET (self->name_row), "error");
          gtk_widget_grab_focus (GTK_WIDGET (self->name_row));
        }
      return FALSE;
    }
  g_signal_emit (self, signals[SAVED], 0, test_case);
  gtk_window_destroy (GTK_WINDOW (self));
  return TRUE;
}

static void
save_clicked_cb (ConfabPromptCaseDialog *self)
{
  confab_prompt_case_dialog_save (self);
}

static void
cancel_clicked_cb (ConfabPromptCaseDialog *self)
{
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
confab_prompt_case_dialog_dispose (GObject *object)
{
  ConfabPromptCaseDialog *self = CONFAB_PROMPT_CASE_DIALOG (object);

  g_clear_object (&self->db);
  g_clear_object (&self->prompt);
  g_clear_object (&self->test_case);

  G_OBJECT_CLASS (confab_prompt_case_dialog_parent_class)->dispose (object);
}

static void
confab_prompt_case_dialog_finalize (GObject *object)
{
  ConfabPromptCaseDialog *self = CONFAB_PROMPT_CASE_DIALOG (object);

  g_hash_table_unref (self->variable_rows);

  G_OBJECT_CLASS (confab_prompt_case_dialog_parent_class)->finalize (object);
}

static void
confab_prompt_case_dialog_class_init (ConfabPromptCaseDialogClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_prompt_case_dialog_dispose;
  object_class->finalize = confab_prompt_case_dialog_finalize;

  signals[SAVED] = g_signal_new ("saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                 NULL, NULL, G_TYPE_NONE, 1, CONFAB_TYPE_PROMPT_TEST_CASE);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/confab/Confab/confab-prompt-case-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCaseDialog, window_title);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCaseDialog, name_row);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCaseDialog, variables_group);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCaseDialog, variables_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCaseDialog, input_view);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCaseDialog, checks_list);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCaseDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabPromptCaseDialog, save_button);
  gtk_widget_class_bind_template_callback (widget_class, validate);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_check_clicked_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
confab_prompt_case_dialog_init (ConfabPromptCaseDialog *self)
{
  GtkWidget *placeholder;

  self->variable_rows = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gtk_widget_init_template (GTK_WIDGET (self));
  confab_prompt_ensure_style ();

  placeholder = gtk_label_new (_ ("No checks yet: the case passes whenever it runs."));
  gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
  gtk_widget_set_margin_top (placeholder, 14);
  gtk_widget_set_margin_bottom (placeholder, 14);
  gtk_widget_set_margin_start (placeholder, 12);
  gtk_widget_set_margin_end (placeholder, 12);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_list_box_set_placeholder (GTK_LIST_BOX (self->checks_list), placeholder);
}

static void
load_checks (ConfabPromptCaseDialog *self, const char *assertions)
{
  g_autoptr (JsonNode) root = json_from_string (assertions ? assertions : "[]", NULL);
  JsonArray *array;

  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    return;
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode        *element = json_array_get_element (array, i);
      JsonObject      *object;
      JsonNode        *value;
      g_autofree char *text = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        continue;
      object = json_node_get_object (element);
      value = json_object_get_member (object, "value");
      if (value != NULL && JSON_NODE_HOLDS_VALUE (value))
        {
          if (json_node_get_value_type (value) == G_TYPE_STRING)
            text = g_strdup (json_node_get_string (value));
          else if (json_node_get_value_type (value) == G_TYPE_INT64)
            text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (value));
        }
      confab_prompt_case_dialog_add_check (
          self, json_object_get_string_member_with_default (object, "type", "contains"), text);
    }
}

ConfabPromptCaseDialog *
confab_prompt_case_dialog_new (GtkWindow            *parent,
                               ConfabDatabase       *db,
                               ConfabPrompt         *prompt,
                               ConfabPromptTestCase *test_case,
                               const char *const    *variables)
{
  ConfabPromptCaseDialog *self =
      g_object_new (CONFAB_TYPE_PROMPT_CASE_DIALOG, "transient-for", parent, "modal", TRUE, NULL);
  g_autoptr (GHashTable) values = NULL;

  self->db = g_object_ref (db);
  self->prompt = g_object_ref (prompt);
  self->test_case = test_case ? g_object_ref (test_case) : NULL;
  adw_window_title_set_subtitle (self->window_title, confab_prompt_get_name (prompt));

  values = test_case ? confab_prompt_test_case_dup_variables (test_case) : NULL;
  for (guint i = 0; variables != NULL && variables[i] != NULL; i++)
    add_variable_row (self, variables[i],
                      values ? g_hash_table_lookup (values, variables[i]) : NULL);
  if (values != NULL)
    {
      /* Values for variables the newest version no longer has stay. */
      g_autofree gpointer *keys = g_hash_table_get_keys_as_array (values, NULL);

      for (guint i = 0; keys[i] != NULL; i++)
        add_variable_row (self, keys[i], g_hash_table_lookup (values, keys[i]));
    }
  gtk_widget_set_visible (self->variables_group, g_hash_table_size (self->variable_rows) > 0);

  if (test_case != NULL)
    {
      gtk_window_set_title (GTK_WINDOW (self), _ ("Test Case"));
      adw_window_title_set_title (self->window_title, _ ("Test Case"));
      gtk_editable_set_text (GTK_EDITABLE (self->name_row),
                             confab_prompt_test_case_get_name (test_case));
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->input_view),
                                confab_prompt_test_case_get_input (test_case)
                                    ? confab_prompt_test_case_get_input (test_case)
                                    : "",
                                -1);
      load_checks (self, confab_prompt_test_case_get_assertions (test_case));
    }
  validate (self);
  return self;
}

GtkWidget *
confab_prompt_case_dialog_get_field (ConfabPromptCaseDialog *self, const char *name)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT_CASE_DIALOG (self), NULL);

  if (g_str_has_prefix (name, "var:"))
    return g_hash_table_lookup (self->variable_rows, name + 4);
  if (g_strcmp0 (name, "name") == 0)
    return GTK_WIDGET (self->name_row);
  if (g_strcmp0 (name, "input") == 0)
    return GTK_WIDGET (self->input_view);
  if (g_strcmp0 (name, "error") == 0)
    return GTK_WIDGET (self->error_label);
  if (g_strcmp0 (name, "save") == 0)
    return self->save_button;
  return NULL;
}
