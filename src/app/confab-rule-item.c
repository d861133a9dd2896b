/* confab-rule-item.c
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "confab-app"

#include "config.h"

#include <glib/gi18n.h>

#include "confab-error.h"
#include "confab-rule-item.h"
#include "confab-rule-set.h"

struct _ConfabRuleItem
{
  GObject parent_instance;

  char       *name;
  gboolean    enabled;
  int         priority;
  char       *match_type;
  char      **patterns;
  char      **exclude;
  char      **responses;
  char       *action;
  char       *handoff_agent;
  char       *error;
  JsonObject *extra; /* members the format does not define, as read */
};

G_DEFINE_FINAL_TYPE (ConfabRuleItem, confab_rule_item, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_NAME,
  PROP_ENABLED,
  PROP_PRIORITY,
  PROP_MATCH_TYPE,
  PROP_PATTERNS,
  PROP_EXCLUDE,
  PROP_RESPONSES,
  PROP_ACTION,
  PROP_HANDOFF_AGENT,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* In the order the editor offers them: the common case first. */
const char *const confab_rule_match_types[] = { "keywords_any", "keywords_all", "exact", "regex",
                                                NULL };
const char *const confab_rule_actions[] = { "", "escalate", "handoff", "end", NULL };

static const char *const known_members[] = { "name",          "enabled", "priority",  "match",
                                             "patterns",      "exclude", "responses", "action",
                                             "handoff_agent", NULL };

static const char *const empty_strv[] = { NULL };

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

/* g_set_str() is GLib 2.76. */
static gboolean
set_str (char **field, const char *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
confab_rule_item_finalize (GObject *object)
{
  ConfabRuleItem *self = CONFAB_RULE_ITEM (object);

  g_free (self->name);
  g_free (self->match_type);
  g_strfreev (self->patterns);
  g_strfreev (self->exclude);
  g_strfreev (self->responses);
  g_free (self->action);
  g_free (self->handoff_agent);
  g_free (self->error);
  g_clear_pointer (&self->extra, json_object_unref);

  G_OBJECT_CLASS (confab_rule_item_parent_class)->finalize (object);
}

static void
confab_rule_item_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  ConfabRuleItem *self = CONFAB_RULE_ITEM (object);

  switch (prop_id)
    {
    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;
    case PROP_PRIORITY:
      g_value_set_int (value, self->priority);
      break;
    case PROP_MATCH_TYPE:
      g_value_set_string (value, self->match_type);
      break;
    case PROP_PATTERNS:
      g_value_set_boxed (value, self->patterns);
      break;
    case PROP_EXCLUDE:
      g_value_set_boxed (value, self->exclude);
      break;
    case PROP_RESPONSES:
      g_value_set_boxed (value, self->responses);
      break;
    case PROP_ACTION:
      g_value_set_string (value, self->action);
      break;
    case PROP_HANDOFF_AGENT:
      g_value_set_string (value, self->handoff_agent);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_rule_item_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  ConfabRuleItem *self = CONFAB_RULE_ITEM (object);

  switch (prop_id)
    {
    case PROP_NAME:
      confab_rule_item_set_name (self, g_value_get_string (value));
      break;
    case PROP_ENABLED:
      confab_rule_item_set_enabled (self, g_value_get_boolean (value));
      break;
    case PROP_PRIORITY:
      confab_rule_item_set_priority (self, g_value_get_int (value));
      break;
    case PROP_MATCH_TYPE:
      confab_rule_item_set_match_type (self, g_value_get_string (value));
      break;
    case PROP_PATTERNS:
      confab_rule_item_set_patterns (self, g_value_get_boxed (value));
      break;
    case PROP_EXCLUDE:
      confab_rule_item_set_exclude (self, g_value_get_boxed (value));
      break;
    case PROP_RESPONSES:
      confab_rule_item_set_responses (self, g_value_get_boxed (value));
      break;
    case PROP_ACTION:
      confab_rule_item_set_action (self, g_value_get_string (value));
      break;
    case PROP_HANDOFF_AGENT:
      confab_rule_item_set_handoff_agent (self, g_value_get_string (value));
      break;
    case PROP_ERROR:
      confab_rule_item_set_error (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_rule_item_class_init (ConfabRuleItemClass *klass)
{
  GObjectClass     *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = confab_rule_item_finalize;
  object_class->get_property = confab_rule_item_get_property;
  object_class->set_property = confab_rule_item_set_property;

  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, flags);
  properties[PROP_ENABLED] = g_param_spec_boolean ("enabled", NULL, NULL, TRUE, flags);
  properties[PROP_PRIORITY] =
      g_param_spec_int ("priority", NULL, NULL, G_MININT, G_MAXINT, 0, flags);
  properties[PROP_MATCH_TYPE] =
      g_param_spec_string ("match-type", NULL, NULL, "keywords_any", flags);
  properties[PROP_PATTERNS] = g_param_spec_boxed ("patterns", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_EXCLUDE] = g_param_spec_boxed ("exclude", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_RESPONSES] = g_param_spec_boxed ("responses", NULL, NULL, G_TYPE_STRV, flags);
  properties[PROP_ACTION] = g_param_spec_string ("action", NULL, NULL, NULL, flags);
  properties[PROP_HANDOFF_AGENT] = g_param_spec_string ("handoff-agent", NULL, NULL, NULL, flags);
  properties[PROP_ERROR] = g_param_spec_string ("error", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_rule_item_init (ConfabRuleItem *self)
{
  self->enabled = TRUE;
  self->match_type = g_strdup ("keywords_any");
  self->patterns = g_new0 (char *, 1);
  self->exclude = g_new0 (char *, 1);
  self->responses = g_new0 (char *, 1);
  self->extra = json_object_new ();
}

ConfabRuleItem *
confab_rule_item_new (void)
{
  return g_object_new (CONFAB_TYPE_RULE_ITEM, NULL);
}

/* The strings of a JSON array; other elements are left out (the saved
 * config was checked by the engine, so there are none in practice). */
static char **
read_strings (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *element = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_VALUE (element) &&
              json_node_get_value_type (element) == G_TYPE_STRING)
            g_strv_builder_add (builder, json_node_get_string (element));
        }
    }
  return g_strv_builder_end (builder);
}

static const char *
read_string (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return NULL;
}

ConfabRuleItem *
confab_rule_item_new_from_json (JsonObject *object)
{
  ConfabRuleItem *self = confab_rule_item_new ();
  JsonNode       *node;
  const char     *match;
  GList          *members;

  g_return_val_if_fail (object != NULL, self);

  self->name = g_strdup (read_string (object, "name"));
  node = json_object_get_member (object, "enabled");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_BOOLEAN)
    self->enabled = json_node_get_boolean (node);
  node = json_object_get_member (object, "priority");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_INT64)
    self->priority = CLAMP (json_node_get_int (node), G_MININT, G_MAXINT);
  match = read_string (object, "match");
  if (match != NULL)
    set_str (&self->match_type, match);
  g_strfreev (self->patterns);
  self->patterns = read_strings (object, "patterns");
  g_strfreev (self->exclude);
  self->exclude = read_strings (object, "exclude");
  g_strfreev (self->responses);
  self->responses = read_strings (object, "responses");
  if (is_set (read_string (object, "action")))
    self->action = g_strdup (read_string (object, "action"));
  if (is_set (read_string (object, "handoff_agent")))
    self->handoff_agent = g_strdup (read_string (object, "handoff_agent"));

  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (known_members, l->data))
      json_object_set_member (self->extra, l->data,
                              json_node_copy (json_object_get_member (object, l->data)));
  g_list_free (members);

  return self;
}

void
confab_rule_item_assign (ConfabRuleItem *self, ConfabRuleItem *other)
{
  g_autoptr (JsonNode) node = NULL;

  g_return_if_fail (CONFAB_IS_RULE_ITEM (self));
  g_return_if_fail (CONFAB_IS_RULE_ITEM (other));

  g_object_freeze_notify (G_OBJECT (self));
  confab_rule_item_set_name (self, other->name);
  confab_rule_item_set_enabled (self, other->enabled);
  confab_rule_item_set_priority (self, other->priority);
  confab_rule_item_set_match_type (self, other->match_type);
  confab_rule_item_set_patterns (self, (const char *const *) other->patterns);
  confab_rule_item_set_exclude (self, (const char *const *) other->exclude);
  confab_rule_item_set_responses (self, (const char *const *) other->responses);
  confab_rule_item_set_action (self, other->action);
  confab_rule_item_set_handoff_agent (self, other->handoff_agent);
  confab_rule_item_set_error (self, other->error);
  /* A deep copy: both may live on and change apart. */
  node = json_node_init_object (json_node_alloc (), other->extra);
  {
    g_autoptr (JsonNode) copy = json_node_copy (node);

    g_clear_pointer (&self->extra, json_object_unref);
    self->extra = json_node_dup_object (copy);
  }
  g_object_thaw_notify (G_OBJECT (self));
}

ConfabRuleItem *
confab_rule_item_copy (ConfabRuleItem *self)
{
  ConfabRuleItem *copy = confab_rule_item_new ();

  confab_rule_item_assign (copy, self);
  return copy;
}

static JsonNode *
strv_node (char **strv)
{
  JsonArray *array = json_array_new ();
  JsonNode  *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; strv != NULL && strv[i] != NULL; i++)
    json_array_add_string_element (array, strv[i]);
  json_node_take_array (node, array);
  return node;
}

JsonNode *
confab_rule_item_to_json (ConfabRuleItem *self)
{
  JsonObject *object = json_object_new ();
  JsonNode   *node = json_node_new (JSON_NODE_OBJECT);
  GList      *members;

  g_return_val_if_fail (CONFAB_IS_RULE_ITEM (self), NULL);

  json_object_set_string_member (object, "name", self->name ? self->name : "");
  json_object_set_boolean_member (object, "enabled", self->enabled);
  json_object_set_int_member (object, "priority", self->priority);
  json_object_set_string_member (object, "match", self->match_type);
  json_object_set_member (object, "patterns", strv_node (self->patterns));
  if (self->exclude[0] != NULL)
    json_object_set_member (object, "exclude", strv_node (self->exclude));
  json_object_set_member (object, "responses", strv_node (self->responses));
  if (is_set (self->action))
    json_object_set_string_member (object, "action", self->action);
  if (g_strcmp0 (self->action, "handoff") == 0 && is_set (self->handoff_agent))
    json_object_set_string_member (object, "handoff_agent", self->handoff_agent);

  members = json_object_get_members (self->extra);
  for (GList *l = members; l != NULL; l = l->next)
    json_object_set_member (object, l->data,
                            json_node_copy (json_object_get_member (self->extra, l->data)));
  g_list_free (members);

  json_node_take_object (node, object);
  return node;
}

/* Accessors */

#define STRING_ACCESSORS(field, PROP)                                                              \
  const char *confab_rule_item_get_##field (ConfabRuleItem *self)                                  \
  {                                                                                                \
    g_return_val_if_fail (CONFAB_IS_RULE_ITEM (self), NULL);                                       \
    return self->field;                                                                            \
  }                                                                                                \
  void confab_rule_item_set_##field (ConfabRuleItem *self, const char *value)                      \
  {                                                                                                \
    g_return_if_fail (CONFAB_IS_RULE_ITEM (self));                                                 \
    if (!is_set (value))                                                                           \
      value = NULL;                                                                                \
    if (set_str (&self->field, value))                                                             \
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]);                                \
  }

#define STRV_ACCESSORS(field, PROP)                                                                \
  const char *const *confab_rule_item_get_##field (ConfabRuleItem *self)                           \
  {                                                                                                \
    g_return_val_if_fail (CONFAB_IS_RULE_ITEM (self), NULL);                                       \
    return (const char *const *) self->field;                                                      \
  }                                                                                                \
  void confab_rule_item_set_##field (ConfabRuleItem *self, const char *const *value)               \
  {                                                                                                \
    g_return_if_fail (CONFAB_IS_RULE_ITEM (self));                                                 \
    if (value == NULL)                                                                             \
      value = empty_strv;                                                                          \
    if (g_strv_equal ((const char *const *) self->field, value))                                   \
      return;                                                                                      \
    g_strfreev (self->field);                                                                      \
    self->field = g_strdupv ((char **) value);                                                     \
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP]);                                  \
  }

STRING_ACCESSORS (action, PROP_ACTION)
STRING_ACCESSORS (handoff_agent, PROP_HANDOFF_AGENT)
STRING_ACCESSORS (error, PROP_ERROR)
STRV_ACCESSORS (patterns, PROP_PATTERNS)
STRV_ACCESSORS (exclude, PROP_EXCLUDE)
STRV_ACCESSORS (responses, PROP_RESPONSES)

const char *
confab_rule_item_get_name (ConfabRuleItem *self)
{
  g_return_val_if_fail (CONFAB_IS_RULE_ITEM (self), NULL);
  return self->name;
}

/* The name is kept as typed, spaces and all: it is what errors quote. */
void
confab_rule_item_set_name (ConfabRuleItem *self, const char *name)
{
  g_return_if_fail (CONFAB_IS_RULE_ITEM (self));
  if (set_str (&self->name, name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NAME]);
}

gboolean
confab_rule_item_get_enabled (ConfabRuleItem *self)
{
  g_return_val_if_fail (CONFAB_IS_RULE_ITEM (self), FALSE);
  return self->enabled;
}

void
confab_rule_item_set_enabled (ConfabRuleItem *self, gboolean enabled)
{
  g_return_if_fail (CONFAB_IS_RULE_ITEM (self));
  enabled = !!enabled;
  if (self->enabled == enabled)
    return;
  self->enabled = enabled;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
}

int
confab_rule_item_get_priority (ConfabRuleItem *self)
{
  g_return_val_if_fail (CONFAB_IS_RULE_ITEM (self), 0);
  return self->priority;
}

void
confab_rule_item_set_priority (ConfabRuleItem *self, int priority)
{
  g_return_if_fail (CONFAB_IS_RULE_ITEM (self));
  if (self->priority == priority)
    return;
  self->priority = priority;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRIORITY]);
}

const char *
confab_rule_item_get_match_type (ConfabRuleItem *self)
{
  g_return_val_if_fail (CONFAB_IS_RULE_ITEM (self), NULL);
  return self->match_type;
}

void
confab_rule_item_set_match_type (ConfabRuleItem *self, const char *match_type)
{
  g_return_if_fail (CONFAB_IS_RULE_ITEM (self));
  if (match_type == NULL)
    match_type = "";
  if (set_str (&self->match_type, match_type))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MATCH_TYPE]);
}

const char *
confab_rule_match_type_label (const char *match_type)
{
  if (g_strcmp0 (match_type, "keywords_any") == 0)
    return _ ("Any Keyword");
  if (g_strcmp0 (match_type, "keywords_all") == 0)
    return _ ("All Keywords");
  if (g_strcmp0 (match_type, "exact") == 0)
    return _ ("Exact Phrase");
  if (g_strcmp0 (match_type, "regex") == 0)
    return _ ("Regular Expression");
  return match_type;
}

char *
confab_rule_item_dup_summary (ConfabRuleItem *self)
{
  g_autoptr (GString) patterns = g_string_new (NULL);
  guint n = g_strv_length (self->patterns);

  for (guint i = 0; i < n; i++)
    {
      if (patterns->len >= 60)
        {
          g_string_append (patterns, "…");
          break;
        }
      if (i > 0)
        g_string_append (patterns, ", ");
      g_string_append (patterns, self->patterns[i]);
    }
  if (n == 0)
    g_string_assign (patterns, _ ("no patterns"));

  /* Translators: a rule's summary: its match type, priority and patterns,
   * e.g. "Any Keyword · priority 10 · open, hours". */
  return g_strdup_printf (_ ("%s · priority %d · %s"),
                          confab_rule_match_type_label (self->match_type), self->priority,
                          patterns->str);
}

gboolean
confab_rule_item_check_handoff (ConfabRuleItem *self, const char *agent_type, GError **error)
{
  g_return_val_if_fail (CONFAB_IS_RULE_ITEM (self), FALSE);

  /* The runtime fails such a rule at chat time; better say it now. */
  if (g_strcmp0 (self->action, "handoff") == 0 && !is_set (self->handoff_agent) &&
      g_strcmp0 (agent_type, "hybrid") != 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _ ("Rule “%s”: choose the agent to hand off to"), self->name ? self->name : "");
      return FALSE;
    }
  return TRUE;
}

gboolean
confab_rule_item_validate (ConfabRuleItem *self, const char *agent_type, GError **error)
{
  g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (ConfabRuleSet) rules = NULL;
  g_autofree char *json = NULL;
  g_autofree char *stripped = NULL;
  JsonObject      *object;
  JsonArray       *array;

  g_return_val_if_fail (CONFAB_IS_RULE_ITEM (self), FALSE);

  /* Alone in a set, a rule without a name would be called "Rule 1"
   * wherever it is. */
  stripped = g_strstrip (g_strdup (self->name ? self->name : ""));
  if (*stripped == '\0')
    {
      g_set_error_literal (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                           _ ("Every rule needs a name"));
      return FALSE;
    }

  array = json_array_new ();
  json_array_add_element (array, confab_rule_item_to_json (self));
  object = json_object_new ();
  json_object_set_array_member (object, "rules", array);
  json_node_take_object (root, object);
  json = json_to_string (root, FALSE);
  rules = confab_rule_set_parse (json, error);
  if (rules == NULL)
    return FALSE;
  return confab_rule_item_check_handoff (self, agent_type, error);
}
