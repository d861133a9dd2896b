/* confab-agent-text-list.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-agent-text-list.h"
#include "confab-agent-text-view.h"

struct _ConfabAgentTextList
{
  AdwPreferencesGroup parent_instance;

  GtkWidget *add_button;
  GPtrArray *rows;       /* AdwPreferencesRow*, in order */
  char      *item_label; /* "Keyword": names each row for screen readers */
  guint      multiline : 1;
  guint      loading : 1;
};

G_DEFINE_FINAL_TYPE (ConfabAgentTextList, confab_agent_text_list, ADW_TYPE_PREFERENCES_GROUP)

enum
{
  PROP_0,
  PROP_MULTILINE,
  PROP_ITEM_LABEL,
  PROP_ADD_TOOLTIP,
  N_PROPS
};

enum
{
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

#define EDITOR_KEY "confab-text-list-editor"

static void
emit_changed (ConfabAgentTextList *self)
{
  if (!self->loading)
    g_signal_emit (self, signals[CHANGED], 0);
}

static void
update_labels (ConfabAgentTextList *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    {
      GtkWidget       *row = g_ptr_array_index (self->rows, i);
      GtkWidget       *editor = g_object_get_data (G_OBJECT (row), EDITOR_KEY);
      g_autofree char *label = NULL;

      /* Translators: names one row of a list for screen readers, e.g. "Keyword 2". */
      label = g_strdup_printf (C_ ("list item", "%s %u"),
                               self->item_label ? self->item_label : _ ("Item"), i + 1);
      gtk_accessible_update_property (GTK_ACCESSIBLE (editor), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                      -1);
    }
}

static void
remove_clicked_cb (GtkButton *button, ConfabAgentTextList *self)
{
  GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (button), ADW_TYPE_PREFERENCES_ROW);
  guint      index;

  if (row == NULL || !g_ptr_array_find (self->rows, row, &index))
    return;

  /* Focus would otherwise fall out of the list with the row. */
  if (self->rows->len > 1)
    {
      GtkWidget *next =
          g_ptr_array_index (self->rows, index + 1 < self->rows->len ? index + 1 : index - 1);

      gtk_widget_grab_focus (g_object_get_data (G_OBJECT (next), EDITOR_KEY));
    }
  else
    gtk_widget_grab_focus (self->add_button);

  g_ptr_array_remove_index (self->rows, index);
  adw_preferences_group_remove (ADW_PREFERENCES_GROUP (self), row);
  update_labels (self);
  emit_changed (self);
}

static void
entry_activated_cb (AdwEntryRow *row, ConfabAgentTextList *self)
{
  /* Enter in the last row starts the next one, as in a text with lines. */
  if (self->rows->len > 0 && g_ptr_array_index (self->rows, self->rows->len - 1) == (gpointer) row)
    confab_agent_text_list_add (self);
}

static GtkWidget *
new_remove_button (ConfabAgentTextList *self)
{
  GtkWidget *button = gtk_button_new_from_icon_name ("user-trash-symbolic");

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _ ("Remove"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Remove"), -1);
  gtk_widget_add_css_class (button, "flat");
  g_signal_connect (button, "clicked", G_CALLBACK (remove_clicked_cb), self);
  return button;
}

static GtkWidget *
append_row (ConfabAgentTextList *self, const char *text)
{
  GtkWidget *row;
  GtkWidget *editor;

  if (self->multiline)
    {
      GtkWidget     *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
      GtkWidget     *remove = new_remove_button (self);
      GtkTextBuffer *buffer;

      editor = confab_agent_text_view_new ();
      gtk_text_view_set_accepts_tab (GTK_TEXT_VIEW (editor), FALSE);
      gtk_text_view_set_top_margin (GTK_TEXT_VIEW (editor), 12);
      gtk_text_view_set_bottom_margin (GTK_TEXT_VIEW (editor), 12);
      gtk_text_view_set_left_margin (GTK_TEXT_VIEW (editor), 12);
      gtk_text_view_set_right_margin (GTK_TEXT_VIEW (editor), 6);
      gtk_widget_set_hexpand (editor, TRUE);
      /* The row's background shows through, like an entry row's. */
      gtk_widget_add_css_class (editor, "inline");
      buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (editor));
      gtk_text_buffer_set_text (buffer, text ? text : "", -1);
      g_signal_connect_swapped (buffer, "changed", G_CALLBACK (emit_changed), self);

      gtk_widget_set_margin_end (remove, 6);
      gtk_widget_set_valign (remove, GTK_ALIGN_START);
      gtk_widget_set_margin_top (remove, 6);
      gtk_box_append (GTK_BOX (box), editor);
      gtk_box_append (GTK_BOX (box), remove);

      row = g_object_new (ADW_TYPE_PREFERENCES_ROW, "activatable", FALSE, "child", box, NULL);
    }
  else
    {
      row = adw_entry_row_new ();
      editor = row;
      gtk_editable_set_text (GTK_EDITABLE (row), text ? text : "");
      adw_entry_row_add_suffix (ADW_ENTRY_ROW (row), new_remove_button (self));
      g_signal_connect_swapped (row, "changed", G_CALLBACK (emit_changed), self);
      g_signal_connect (row, "entry-activated", G_CALLBACK (entry_activated_cb), self);
    }

  g_object_set_data (G_OBJECT (row), EDITOR_KEY, editor);
  g_ptr_array_add (self->rows, row);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self), row);
  return row;
}

static void
clear_rows (ConfabAgentTextList *self)
{
  while (self->rows->len > 0)
    {
      GtkWidget *row = g_ptr_array_steal_index (self->rows, self->rows->len - 1);

      adw_preferences_group_remove (ADW_PREFERENCES_GROUP (self), row);
    }
}

static void
confab_agent_text_list_dispose (GObject *object)
{
  ConfabAgentTextList *self = CONFAB_AGENT_TEXT_LIST (object);

  /* The rows go with the group; only the index is ours. */
  if (self->rows != NULL)
    g_ptr_array_set_size (self->rows, 0);

  G_OBJECT_CLASS (confab_agent_text_list_parent_class)->dispose (object);
}

static void
confab_agent_text_list_finalize (GObject *object)
{
  ConfabAgentTextList *self = CONFAB_AGENT_TEXT_LIST (object);

  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_free (self->item_label);

  G_OBJECT_CLASS (confab_agent_text_list_parent_class)->finalize (object);
}

static void
confab_agent_text_list_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  ConfabAgentTextList *self = CONFAB_AGENT_TEXT_LIST (object);

  switch (prop_id)
    {
    case PROP_MULTILINE:
      g_value_set_boolean (value, self->multiline);
      break;
    case PROP_ITEM_LABEL:
      g_value_set_string (value, self->item_label);
      break;
    case PROP_ADD_TOOLTIP:
      g_value_set_string (value, gtk_widget_get_tooltip_text (self->add_button));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_agent_text_list_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  ConfabAgentTextList *self = CONFAB_AGENT_TEXT_LIST (object);

  switch (prop_id)
    {
    case PROP_MULTILINE:
      self->multiline = g_value_get_boolean (value);
      break;
    case PROP_ITEM_LABEL:
      g_free (self->item_label);
      self->item_label = g_value_dup_string (value);
      update_labels (self);
      g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_ADD_TOOLTIP:
      gtk_widget_set_tooltip_text (self->add_button, g_value_get_string (value));
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->add_button),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, g_value_get_string (value),
                                      -1);
      g_object_notify_by_pspec (object, pspec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_agent_text_list_class_init (ConfabAgentTextListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_agent_text_list_dispose;
  object_class->finalize = confab_agent_text_list_finalize;
  object_class->get_property = confab_agent_text_list_get_property;
  object_class->set_property = confab_agent_text_list_set_property;

  properties[PROP_MULTILINE] =
      g_param_spec_boolean ("multiline", NULL, NULL, FALSE,
                            G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ITEM_LABEL] =
      g_param_spec_string ("item-label", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_ADD_TOOLTIP] =
      g_param_spec_string ("add-tooltip", NULL, NULL, NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL,
                                   NULL, NULL, G_TYPE_NONE, 0);
}

static void
confab_agent_text_list_init (ConfabAgentTextList *self)
{
  self->rows = g_ptr_array_new ();

  self->add_button = gtk_button_new_from_icon_name ("list-add-symbolic");
  gtk_widget_set_valign (self->add_button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->add_button, "flat");
  gtk_widget_set_tooltip_text (self->add_button, _ ("Add"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->add_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _ ("Add"), -1);
  g_signal_connect_swapped (self->add_button, "clicked", G_CALLBACK (confab_agent_text_list_add),
                            self);
  adw_preferences_group_set_header_suffix (ADW_PREFERENCES_GROUP (self), self->add_button);
}

GtkWidget *
confab_agent_text_list_new (void)
{
  return g_object_new (CONFAB_TYPE_AGENT_TEXT_LIST, NULL);
}

static char *
dup_row_text (GtkWidget *row)
{
  GtkWidget *editor = g_object_get_data (G_OBJECT (row), EDITOR_KEY);

  if (GTK_IS_TEXT_VIEW (editor))
    {
      GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (editor));
      GtkTextIter    start, end;

      gtk_text_buffer_get_bounds (buffer, &start, &end);
      return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
    }
  return g_strdup (gtk_editable_get_text (GTK_EDITABLE (editor)));
}

char **
confab_agent_text_list_dup_strings (ConfabAgentTextList *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (CONFAB_IS_AGENT_TEXT_LIST (self), NULL);

  for (guint i = 0; i < self->rows->len; i++)
    {
      g_autofree char *text = dup_row_text (g_ptr_array_index (self->rows, i));

      /* A row added and left empty is no text; one holding spaces is kept
       * so the validator can say what is wrong with it. */
      if (*text != '\0')
        g_strv_builder_add (builder, text);
    }
  return g_strv_builder_end (builder);
}

void
confab_agent_text_list_set_strings (ConfabAgentTextList *self, const char *const *strings)
{
  g_return_if_fail (CONFAB_IS_AGENT_TEXT_LIST (self));

  self->loading = TRUE;
  clear_rows (self);
  for (guint i = 0; strings != NULL && strings[i] != NULL; i++)
    append_row (self, strings[i]);
  update_labels (self);
  self->loading = FALSE;
}

void
confab_agent_text_list_add (ConfabAgentTextList *self)
{
  GtkWidget *row;

  g_return_if_fail (CONFAB_IS_AGENT_TEXT_LIST (self));

  row = append_row (self, NULL);
  update_labels (self);
  gtk_widget_grab_focus (g_object_get_data (G_OBJECT (row), EDITOR_KEY));
  /* An empty row changes no text, but the caller may show it as a change. */
  emit_changed (self);
}

guint
confab_agent_text_list_get_n_rows (ConfabAgentTextList *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_TEXT_LIST (self), 0);

  return self->rows->len;
}

GtkWidget *
confab_agent_text_list_get_row_editor (ConfabAgentTextList *self, guint n)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_TEXT_LIST (self), NULL);
  g_return_val_if_fail (n < self->rows->len, NULL);

  return g_object_get_data (G_OBJECT (g_ptr_array_index (self->rows, n)), EDITOR_KEY);
}
