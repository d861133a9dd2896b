#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-prompt.h"
#include "confab-repository.h"
#include "confab-util.h"

struct _ConfabPrompt
{
  ConfabEntity parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabPrompt, confab_prompt, CONFAB_TYPE_ENTITY)

enum {
  PROP_0,
  PROP_NAME,
  PROP_DESCRIPTION,
  PROP_TAGS,
  PROP_OWNER_ID,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const dependent_tables[] = {
  "prompt_versions", "prompt_labels", "agents", NULL
};

static gboolean
check_tags (const char  *tags,
            GError     **error)
{
  g_autoptr (JsonNode) root = NULL;
  JsonArray *array;

  root = json_from_string (tags ? tags : "", NULL);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The tags “%s” are not a list of words"), tags ? tags : "");
      return FALSE;
    }

  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) ||
          json_node_get_value_type (element) != G_TYPE_STRING ||
          *json_node_get_string (element) == '\0')
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("The tags “%s” must all be non-empty text"), tags);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
confab_prompt_validate (ConfabEntity    *entity,
                        ConfabDatabase  *db,
                        GError         **error)
{
  ConfabPrompt *self = CONFAB_PROMPT (entity);
  const char *name = confab_prompt_get_name (self);
  const char *owner_id = confab_prompt_get_owner_id (self);
  const char *id = confab_entity_get_id (entity);

  if (!confab_check_text (confab_entity_field_label (properties[PROP_NAME]), name, 1, 200, error) ||
      !check_tags (confab_prompt_get_tags (self), error))
    return FALSE;

  /* '/' makes folders; an empty folder name would be a row nobody can click. */
  if (name[0] == '/' || g_str_has_suffix (name, "/") || strstr (name, "//") != NULL)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The prompt name “%s” has an empty folder name; "
                     "use “/” only between folder names"), name);
      return FALSE;
    }

  if (owner_id != NULL && *owner_id != '\0' &&
      !confab_repository_exists (db, "users", "id", owner_id, NULL, NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The %s “%s” does not exist"),
                   confab_entity_field_label (properties[PROP_OWNER_ID]), owner_id);
      return FALSE;
    }

  /* Checked here so a duplicate is a CONFLICT naming the value; the UNIQUE
   * index still guards concurrent writers. */
  if (confab_repository_exists (db, "prompts", "name", name, id, NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                   _("A prompt named “%s” already exists"), name);
      return FALSE;
    }
  return TRUE;
}

static void
confab_prompt_class_init (ConfabPromptClass *klass)
{
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  entity_class->table = "prompts";
  entity_class->entity_name = "prompt";
  entity_class->label = N_("prompt");
  entity_class->default_order = "name COLLATE NOCASE, name";
  entity_class->dependent_tables = dependent_tables;
  entity_class->validate = confab_prompt_validate;

  properties[PROP_NAME] = g_param_spec_string ("name", N_("name"), NULL, "", flags);
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", N_("description"), NULL, NULL, flags);
  properties[PROP_TAGS] = g_param_spec_string ("tags", N_("tags"), NULL, "[]", flags);
  properties[PROP_OWNER_ID] = g_param_spec_string ("owner-id", N_("owner"), NULL, NULL, flags);
  confab_entity_class_install_columns (entity_class, N_PROPS, properties);
}

static void
confab_prompt_init (ConfabPrompt *self)
{
}

ConfabPrompt *
confab_prompt_new (const char *name)
{
  return g_object_new (CONFAB_TYPE_PROMPT, "name", name, NULL);
}

CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt, ConfabPrompt, name, properties[PROP_NAME])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt, ConfabPrompt, description,
                                properties[PROP_DESCRIPTION])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt, ConfabPrompt, owner_id, properties[PROP_OWNER_ID])

const char *
confab_prompt_get_tags (ConfabPrompt *self)
{
  g_return_val_if_fail (CONFAB_IS_PROMPT (self), NULL);
  return confab_entity_get_string (CONFAB_ENTITY (self), properties[PROP_TAGS]);
}

void
confab_prompt_set_tags_json (ConfabPrompt *self,
                             const char   *tags_json)
{
  g_return_if_fail (CONFAB_IS_PROMPT (self));
  confab_entity_set_string (CONFAB_ENTITY (self), properties[PROP_TAGS], tags_json);
}

/**
 * confab_prompt_dup_tags:
 *
 * Returns: (transfer full): the tags in their stored order; an empty vector
 *   when there are none or the stored value is not a list of strings.
 */
char **
confab_prompt_dup_tags (ConfabPrompt *self)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  const char *tags;

  g_return_val_if_fail (CONFAB_IS_PROMPT (self), NULL);

  tags = confab_prompt_get_tags (self);
  root = tags ? json_from_string (tags, NULL) : NULL;
  if (root != NULL && JSON_NODE_HOLDS_ARRAY (root))
    {
      JsonArray *array = json_node_get_array (root);

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

/**
 * confab_prompt_set_tags:
 * @tags: (nullable) (array zero-terminated=1): the new tags
 *
 * Stores @tags as a JSON array; surrounding spaces are trimmed and empty or
 * repeated tags dropped, so the stored list is what a person would expect.
 */
void
confab_prompt_set_tags (ConfabPrompt       *self,
                        const char * const *tags)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *json = NULL;

  g_return_if_fail (CONFAB_IS_PROMPT (self));

  json_builder_begin_array (builder);
  for (guint i = 0; tags != NULL && tags[i] != NULL; i++)
    {
      char *tag = g_strstrip (g_strdup (tags[i]));

      if (*tag == '\0' || g_hash_table_contains (seen, tag))
        {
          g_free (tag);
          continue;
        }
      json_builder_add_string_value (builder, tag);
      g_hash_table_add (seen, tag);
    }
  json_builder_end_array (builder);

  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);
  confab_prompt_set_tags_json (self, json);
}
