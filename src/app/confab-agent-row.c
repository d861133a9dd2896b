/* confab-agent-row.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-agent-row.h"

struct _ConfabAgentRow
{
  AdwBin parent_instance;

  GtkLabel  *name_label;
  GtkLabel  *type_label;
  GtkLabel  *sector_label;
  GtkSwitch *active_switch;

  ConfabAgent *agent;
  gulong       notify_id;
  guint        syncing : 1;
};

G_DEFINE_FINAL_TYPE (ConfabAgentRow, confab_agent_row, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_AGENT,
  N_PROPS
};

enum
{
  ACTIVE_TOGGLED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint       signals[N_SIGNALS];

/* Type tags: a tinted pill per type. Kept here rather than in style.css as
 * only the agent widgets use them. */
static const char agent_css[] = ".confab-agent-tag {"
                                "  padding: 1px 7px;"
                                "  border-radius: 9999px;"
                                "  font-size: smaller;"
                                "  font-weight: bold;"
                                "}"
                                ".confab-agent-tag.rule-based {"
                                "  color: @success_color;"
                                "  background-color: alpha(@success_color, 0.15);"
                                "}"
                                ".confab-agent-tag.llm {"
                                "  color: @accent_color;"
                                "  background-color: alpha(@accent_color, 0.15);"
                                "}"
                                ".confab-agent-tag.hybrid {"
                                "  color: @warning_color;"
                                "  background-color: alpha(@warning_color, 0.15);"
                                "}"
                                ".confab-agent-reply {"
                                "  padding: 12px;"
                                "}";

void
confab_agent_row_ensure_style (void)
{
  static GdkDisplay *styled;
  GdkDisplay        *display = gdk_display_get_default ();
  g_autoptr (GtkCssProvider) provider = NULL;

  if (display == NULL || display == styled)
    return;
  styled = display;
  provider = gtk_css_provider_new ();
  gtk_css_provider_load_from_data (provider, agent_css, -1);
  gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (provider),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

const char *
confab_agent_type_label (const char *agent_type)
{
  if (g_strcmp0 (agent_type, "rule_based") == 0)
    return C_ ("agent type", "Rule-based");
  if (g_strcmp0 (agent_type, "llm") == 0)
    return C_ ("agent type", "LLM");
  if (g_strcmp0 (agent_type, "hybrid") == 0)
    return C_ ("agent type", "Hybrid");
  return agent_type ? agent_type : "";
}

static void
update (ConfabAgentRow *self)
{
  static const char *const type_classes[] = { "rule-based", "llm", "hybrid" };
  const char              *type;
  const char              *sector;
  gboolean                 active;
  g_autofree char         *description = NULL;

  if (self->agent == NULL)
    return;

  type = confab_agent_get_agent_type (self->agent);
  sector = confab_agent_get_sector (self->agent);
  active = confab_agent_get_is_active (self->agent);

  gtk_label_set_text (self->name_label, confab_agent_get_name (self->agent));
  gtk_label_set_text (self->type_label, confab_agent_type_label (type));
  for (guint i = 0; i < G_N_ELEMENTS (type_classes); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->type_label), type_classes[i]);
  if (g_strcmp0 (type, "rule_based") == 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->type_label), "rule-based");
  else if (g_strcmp0 (type, "llm") == 0 || g_strcmp0 (type, "hybrid") == 0)
    gtk_widget_add_css_class (GTK_WIDGET (self->type_label), type);
  gtk_label_set_text (self->sector_label, sector ? sector : "");

  /* An inactive agent reads as such without the switch. */
  if (active)
    gtk_widget_remove_css_class (GTK_WIDGET (self->name_label), "dim-label");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->name_label), "dim-label");
  confab_agent_row_sync (self);

  description = g_strdup_printf (_ ("Active: %s"), confab_agent_get_name (self->agent));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->active_switch),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
}

void
confab_agent_row_sync (ConfabAgentRow *self)
{
  gboolean active;

  g_return_if_fail (CONFAB_IS_AGENT_ROW (self));

  if (self->agent == NULL)
    return;
  active = confab_agent_get_is_active (self->agent);
  self->syncing = TRUE;
  gtk_switch_set_active (self->active_switch, active);
  gtk_switch_set_state (self->active_switch, active);
  self->syncing = FALSE;
}

static gboolean
state_set_cb (ConfabAgentRow *self, gboolean state)
{
  if (self->syncing || self->agent == NULL || state == confab_agent_get_is_active (self->agent))
    return FALSE;
  g_signal_emit (self, signals[ACTIVE_TOGGLED], 0, state);
  return FALSE;
}

static void
confab_agent_row_dispose (GObject *object)
{
  ConfabAgentRow *self = CONFAB_AGENT_ROW (object);

  confab_agent_row_set_agent (self, NULL);

  G_OBJECT_CLASS (confab_agent_row_parent_class)->dispose (object);
}

static void
confab_agent_row_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  ConfabAgentRow *self = CONFAB_AGENT_ROW (object);

  switch (prop_id)
    {
    case PROP_AGENT:
      g_value_set_object (value, self->agent);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_agent_row_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  ConfabAgentRow *self = CONFAB_AGENT_ROW (object);

  switch (prop_id)
    {
    case PROP_AGENT:
      confab_agent_row_set_agent (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_agent_row_class_init (ConfabAgentRowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = confab_agent_row_dispose;
  object_class->get_property = confab_agent_row_get_property;
  object_class->set_property = confab_agent_row_set_property;

  properties[PROP_AGENT] =
      g_param_spec_object ("agent", NULL, NULL, CONFAB_TYPE_AGENT,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ACTIVE_TOGGLED] =
      g_signal_new ("active-toggled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                    NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/confab/Confab/confab-agent-row.ui");
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRow, type_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRow, sector_label);
  gtk_widget_class_bind_template_child (widget_class, ConfabAgentRow, active_switch);
  gtk_widget_class_bind_template_callback (widget_class, state_set_cb);
}

static void
confab_agent_row_init (ConfabAgentRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  confab_agent_row_ensure_style ();
}

GtkWidget *
confab_agent_row_new (void)
{
  return g_object_new (CONFAB_TYPE_AGENT_ROW, NULL);
}

ConfabAgent *
confab_agent_row_get_agent (ConfabAgentRow *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_ROW (self), NULL);

  return self->agent;
}

void
confab_agent_row_set_agent (ConfabAgentRow *self, ConfabAgent *agent)
{
  g_return_if_fail (CONFAB_IS_AGENT_ROW (self));
  g_return_if_fail (agent == NULL || CONFAB_IS_AGENT (agent));

  if (self->agent == agent)
    return;

  if (self->agent != NULL)
    g_clear_signal_handler (&self->notify_id, self->agent);
  g_set_object (&self->agent, agent);
  if (agent != NULL)
    {
      self->notify_id =
          g_signal_connect_object (agent, "notify", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
      update (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AGENT]);
}

GtkSwitch *
confab_agent_row_get_active_switch (ConfabAgentRow *self)
{
  g_return_val_if_fail (CONFAB_IS_AGENT_ROW (self), NULL);

  return self->active_switch;
}
