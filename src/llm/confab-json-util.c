#include "config.h"

#include "confab-json-util.h"

static JsonNode *
member_value (JsonObject *object,
              const char *member,
              GType       type)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != type)
    return NULL;
  return node;
}

const char *
confab_json_get_string (JsonObject *object,
                        const char *member)
{
  JsonNode *node = member_value (object, member, G_TYPE_STRING);

  return node ? json_node_get_string (node) : NULL;
}

JsonObject *
confab_json_get_object (JsonObject *object,
                        const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
confab_json_get_array (JsonObject *object,
                       const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

gint64
confab_json_get_int (JsonObject *object,
                     const char *member)
{
  JsonNode *node = member_value (object, member, G_TYPE_INT64);

  if (node == NULL)
    node = member_value (object, member, G_TYPE_DOUBLE);
  return node ? json_node_get_int (node) : -1;
}

gboolean
confab_json_get_boolean (JsonObject *object,
                         const char *member)
{
  JsonNode *node = member_value (object, member, G_TYPE_BOOLEAN);

  return node != NULL && json_node_get_boolean (node);
}
