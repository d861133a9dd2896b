#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-prompt-test-case.h"
#include "confab-repository.h"
#include "confab-util.h"

struct _ConfabPromptTestCase
{
  ConfabEntity parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabPromptTestCase, confab_prompt_test_case, CONFAB_TYPE_ENTITY)

enum
{
  PROP_0,
  PROP_PROMPT_ID,
  PROP_NAME,
  PROP_VARIABLES,
  PROP_INPUT,
  PROP_ASSERTIONS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef enum
{
  ASSERT_CONTAINS,
  ASSERT_NOT_CONTAINS,
  ASSERT_REGEX,
  ASSERT_EQUALS,
  ASSERT_VALID_JSON,
  ASSERT_MAX_LATENCY_MS,
  ASSERT_MAX_TOKENS,
} AssertType;

typedef enum
{
  VALUE_NONE,
  VALUE_TEXT,
  VALUE_NUMBER,
} ValueKind;

static const struct
{
  const char *name;
  ValueKind   value;
} assert_types[] = {
  [ASSERT_CONTAINS] = { "contains", VALUE_TEXT },
  [ASSERT_NOT_CONTAINS] = { "not_contains", VALUE_TEXT },
  [ASSERT_REGEX] = { "regex", VALUE_TEXT },
  [ASSERT_EQUALS] = { "equals", VALUE_TEXT },
  [ASSERT_VALID_JSON] = { "valid_json", VALUE_NONE },
  [ASSERT_MAX_LATENCY_MS] = { "max_latency_ms", VALUE_NUMBER },
  [ASSERT_MAX_TOKENS] = { "max_tokens", VALUE_NUMBER },
};

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

/* Variables */

/**
 * confab_prompt_variables_from_json:
 * @json: (nullable): a JSON object of text values; NULL or "" is no variables
 *
 * Returns: (transfer full) (nullable): the variables by name
 */
GHashTable *
confab_prompt_variables_from_json (const char *json, GError **error)
{
  g_autoptr (GHashTable) variables =
      g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GList) members = NULL;
  JsonObject *object;

  if (!is_set (json))
    return g_steal_pointer (&variables);

  root = json_from_string (json, NULL);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The variables “%s” are not a JSON object of names and values"), json);
      return NULL;
    }
  object = json_node_get_object (root);
  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (object, l->data);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("The value of the variable “%s” must be text"), (const char *) l->data);
          return NULL;
        }
      g_hash_table_insert (variables, g_strdup (l->data), g_strdup (json_node_get_string (node)));
    }
  return g_steal_pointer (&variables);
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/**
 * confab_prompt_variables_to_json:
 * @variables: (nullable) (element-type utf8 utf8): variables by name
 *
 * Returns: (transfer full): a JSON object, names sorted; a NULL value is
 *   left out
 */
char *
confab_prompt_variables_to_json (GHashTable *variables)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer       key, value;

  if (variables != NULL)
    {
      g_hash_table_iter_init (&iter, variables);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if (value != NULL)
          g_ptr_array_add (names, key);
    }
  g_ptr_array_sort (names, compare_strings);

  json_builder_begin_object (builder);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = g_ptr_array_index (names, i);

      json_builder_set_member_name (builder, name);
      json_builder_add_string_value (builder, g_hash_table_lookup (variables, name));
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* Assertions */

void
confab_prompt_assertion_result_free (ConfabPromptAssertionResult *result)
{
  if (result == NULL)
    return;
  g_free (result->type);
  g_free (result->value);
  g_free (result->message);
  g_free (result);
}

static int
lookup_type (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (assert_types); i++)
    if (g_strcmp0 (assert_types[i].name, name) == 0)
      return (int) i;
  return -1;
}

/* PCRE2 stops a search that backtracks more than the limit given at the
 * start of the pattern; GRegex has no other way to set it. */
static GRegex *
compile_limited (const char *pattern, GError **error)
{
  g_autofree char *limited =
      g_strdup_printf ("(*LIMIT_MATCH=%d)%s", CONFAB_PROMPT_REGEX_MATCH_LIMIT, pattern);

  return g_regex_new (limited, 0, 0, error);
}

/* One assertion, read and checked. */
typedef struct
{
  AssertType type;
  char      *text;   /* VALUE_TEXT */
  gint64     number; /* VALUE_NUMBER */
  GRegex    *regex;  /* ASSERT_REGEX */
} Assertion;

static void
assertion_clear (Assertion *assertion)
{
  g_clear_pointer (&assertion->text, g_free);
  g_clear_pointer (&assertion->regex, g_regex_unref);
}

static gboolean
read_assertion (JsonNode *node, guint index, Assertion *out, GError **error)
{
  JsonObject *object;
  JsonNode   *value;
  const char *type_name;
  int         type;

  memset (out, 0, sizeof *out);
  object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  type_name =
      object != NULL ? json_object_get_string_member_with_default (object, "type", NULL) : NULL;
  if (type_name == NULL)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("Assertion %u is not an object with a “type”"), index);
      return FALSE;
    }
  type = lookup_type (type_name);
  if (type < 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("Assertion %u: unknown type “%s”; use contains, not_contains, regex, "
                     "equals, valid_json, max_latency_ms or max_tokens"),
                   index, type_name);
      return FALSE;
    }
  out->type = (AssertType) type;
  value = json_object_get_member (object, "value");

  switch (assert_types[type].value)
    {
    case VALUE_TEXT:
      if (value == NULL || !JSON_NODE_HOLDS_VALUE (value) ||
          json_node_get_value_type (value) != G_TYPE_STRING ||
          *json_node_get_string (value) == '\0')
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Assertion %u (%s): the “value” must be non-empty text"), index,
                       type_name);
          return FALSE;
        }
      out->text = g_strdup (json_node_get_string (value));
      break;

    case VALUE_NUMBER:
      if (value == NULL || !JSON_NODE_HOLDS_VALUE (value) ||
          json_node_get_value_type (value) != G_TYPE_INT64 || json_node_get_int (value) <= 0)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Assertion %u (%s): the “value” must be a whole number above 0"), index,
                       type_name);
          return FALSE;
        }
      out->number = json_node_get_int (value);
      break;

    case VALUE_NONE:
    default:
      break;
    }

  if (out->type == ASSERT_REGEX)
    {
      g_autoptr (GError) local_error = NULL;

      if (g_str_has_prefix (out->text, "(*"))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Assertion %u (regex): the pattern “%s” may not start with “(*”: "
                         "settings of the matcher are Confab’s"),
                       index, out->text);
          assertion_clear (out);
          return FALSE;
        }
      out->regex = compile_limited (out->text, &local_error);
      if (out->regex == NULL)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Assertion %u (regex): “%s” is not a valid regular expression"), index,
                       out->text);
          assertion_clear (out);
          return FALSE;
        }
    }
  return TRUE;
}

static JsonArray *
parse_array (const char *json, JsonNode **out_root, GError **error)
{
  JsonNode *root = is_set (json) ? json_from_string (json, NULL) : NULL;

  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_clear_pointer (&root, json_node_unref);
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The assertions “%s” are not a JSON list"), json ? json : "");
      return NULL;
    }
  *out_root = root;
  return json_node_get_array (root);
}

/**
 * confab_prompt_assertions_validate:
 * @assertions_json: a JSON array of assertions
 *
 * Returns: whether every assertion can be checked
 */
gboolean
confab_prompt_assertions_validate (const char *assertions_json, GError **error)
{
  g_autoptr (JsonNode) root = NULL;
  JsonArray *array = parse_array (assertions_json, &root, error);

  if (array == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      Assertion assertion;

      if (!read_assertion (json_array_get_element (array, i), i + 1, &assertion, error))
        return FALSE;
      assertion_clear (&assertion);
    }
  return TRUE;
}

static void
add_result (
    JsonBuilder *builder, const char *type, const char *value, gboolean passed, const char *message)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_set_member_name (builder, "value");
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "passed");
  json_builder_add_boolean_value (builder, passed);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  json_builder_end_object (builder);
}

/* Judges output by one valid assertion; *message gets why. */
static gboolean
judge (const Assertion *assertion,
       const char      *output,
       gint64           latency_ms,
       gint64           tokens_out,
       char           **message)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (output));
  g_autoptr (GError) local_error = NULL;
  gboolean passed;

  switch (assertion->type)
    {
    case ASSERT_CONTAINS:
    case ASSERT_NOT_CONTAINS:
      passed = strstr (output, assertion->text) != NULL;
      *message = passed ? g_strdup_printf (_("The output contains “%s”"), assertion->text)
                        : g_strdup_printf (_("The output does not contain “%s”"), assertion->text);
      return assertion->type == ASSERT_CONTAINS ? passed : !passed;

    case ASSERT_REGEX:
      passed = g_regex_match_full (assertion->regex, output, -1, 0, 0, NULL, &local_error);
      if (local_error != NULL)
        *message = g_strdup_printf (_("Searching for “%s” took too long (the pattern backtracks "
                                      "too much), so it counts as not found"),
                                    assertion->text);
      else if (passed)
        *message = g_strdup_printf (_("The output matches “%s”"), assertion->text);
      else
        *message = g_strdup_printf (_("The output does not match “%s”"), assertion->text);
      return passed && local_error == NULL;

    case ASSERT_EQUALS:
      {
        g_autofree char *expected = g_strstrip (g_strdup (assertion->text));

        passed = strcmp (trimmed, expected) == 0;
        *message = passed ? g_strdup_printf (_("The output is “%s”"), expected)
                          : g_strdup_printf (_("The output is not “%s”"), expected);
        return passed;
      }

    case ASSERT_VALID_JSON:
      {
        g_autoptr (JsonParser) parser = json_parser_new ();

        passed = *trimmed != '\0' && json_parser_load_from_data (parser, trimmed, -1, &local_error);
        if (passed)
          *message = g_strdup (_("The output is valid JSON"));
        else if (local_error != NULL)
          *message = g_strdup_printf (_("The output is not valid JSON: %s"), local_error->message);
        else
          *message = g_strdup (_("The output is empty, which is not valid JSON"));
        return passed;
      }

    case ASSERT_MAX_LATENCY_MS:
      passed = latency_ms <= assertion->number;
      *message = g_strdup_printf (passed ? _("The run took %lld ms, within %lld ms")
                                         : _("The run took %lld ms, more than %lld ms"),
                                  (long long) latency_ms, (long long) assertion->number);
      return passed;

    case ASSERT_MAX_TOKENS:
      if (tokens_out <= 0)
        tokens_out = (g_utf8_strlen (output, -1) + 3) / 4;
      passed = tokens_out <= assertion->number;
      *message = g_strdup_printf (passed ? _("The output is %lld tokens, within %lld")
                                         : _("The output is %lld tokens, more than %lld"),
                                  (long long) tokens_out, (long long) assertion->number);
      return passed;

    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

/**
 * confab_prompt_assertions_evaluate:
 * @assertions_json: a JSON array of assertions
 * @output: the output to judge
 * @latency_ms: how long the run took
 * @tokens_out: the output tokens the provider reported, 0 when none
 * @out_passed: (out) (optional): whether every assertion passed
 *
 * Returns: (transfer full): the results as a JSON array
 */
char *
confab_prompt_assertions_evaluate (const char *assertions_json,
                                   const char *output,
                                   gint64      latency_ms,
                                   gint64      tokens_out,
                                   gboolean   *out_passed)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (JsonNode) results = NULL;
  g_autoptr (GError) error = NULL;
  JsonArray *array;
  gboolean   all_passed = TRUE;

  if (output == NULL)
    output = "";

  json_builder_begin_array (builder);
  array = parse_array (assertions_json, &root, &error);
  if (array == NULL)
    {
      add_result (builder, "invalid", NULL, FALSE, error->message);
      all_passed = FALSE;
    }
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode   *node = json_array_get_element (array, i);
      JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *type_name =
          object ? json_object_get_string_member_with_default (object, "type", "invalid")
                 : "invalid";
      g_autofree char *message = NULL;
      g_autofree char *value_text = NULL;
      Assertion        assertion;
      gboolean         passed;

      if (!read_assertion (node, i + 1, &assertion, &error))
        {
          add_result (builder, type_name, NULL, FALSE, error->message);
          g_clear_error (&error);
          all_passed = FALSE;
          continue;
        }
      passed = judge (&assertion, output, latency_ms, tokens_out, &message);
      if (assertion.text != NULL)
        value_text = g_strdup (assertion.text);
      else if (assert_types[assertion.type].value == VALUE_NUMBER)
        value_text = g_strdup_printf ("%" G_GINT64_FORMAT, assertion.number);
      add_result (builder, assert_types[assertion.type].name, value_text, passed, message);
      all_passed = all_passed && passed;
      assertion_clear (&assertion);
    }
  json_builder_end_array (builder);

  if (out_passed != NULL)
    *out_passed = all_passed;
  results = json_builder_get_root (builder);
  return json_to_string (results, FALSE);
}

/**
 * confab_prompt_assertion_results_parse:
 * @results_json: (nullable): a run's assertion_results
 *
 * Returns: (transfer full) (element-type ConfabPromptAssertionResult): the results
 */
GPtrArray *
confab_prompt_assertion_results_parse (const char *results_json)
{
  GPtrArray *results =
      g_ptr_array_new_with_free_func ((GDestroyNotify) confab_prompt_assertion_result_free);
  g_autoptr (JsonNode) root = is_set (results_json) ? json_from_string (results_json, NULL) : NULL;
  JsonArray *array;

  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    return results;
  array = json_node_get_array (root);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject                  *object = json_array_get_object_element (array, i);
      ConfabPromptAssertionResult *result;

      if (object == NULL)
        continue;
      result = g_new0 (ConfabPromptAssertionResult, 1);
      result->type = g_strdup (json_object_get_string_member_with_default (object, "type", ""));
      result->value = g_strdup (json_object_get_string_member_with_default (object, "value", NULL));
      result->passed = json_object_get_boolean_member_with_default (object, "passed", FALSE);
      result->message =
          g_strdup (json_object_get_string_member_with_default (object, "message", ""));
      g_ptr_array_add (results, result);
    }
  return results;
}

/**
 * confab_prompt_assertion_describe:
 * @type: an assertion type
 * @value: (nullable): its value as text
 *
 * Returns: (transfer full): the assertion in a few words
 */
char *
confab_prompt_assertion_describe (const char *type, const char *value)
{
  int known = lookup_type (type);

  if (value == NULL)
    return g_strdup (type);
  if (known >= 0 && assert_types[known].value == VALUE_NUMBER)
    return g_strdup_printf ("%s %s", type, value);
  /* Translators: an assertion type ("contains") and the text it looks for. */
  return g_strdup_printf (_("%s “%s”"), type, value);
}

/* The entity */

static gboolean
confab_prompt_test_case_validate (ConfabEntity *entity, ConfabDatabase *db, GError **error)
{
  ConfabPromptTestCase *self = CONFAB_PROMPT_TEST_CASE (entity);
  const char           *prompt_id = confab_prompt_test_case_get_prompt_id (self);
  const char           *name = confab_prompt_test_case_get_name (self);
  g_autoptr (GHashTable) variables = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  if (!is_set (prompt_id))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("A test case must belong to a prompt"));
      return FALSE;
    }
  if (!confab_repository_check_reference (db, entity, properties[PROP_PROMPT_ID], "prompts", TRUE,
                                          error) ||
      !confab_check_text (confab_entity_field_label (properties[PROP_NAME]), name, 1, 200, error) ||
      !confab_check_text (confab_entity_field_label (properties[PROP_INPUT]),
                          confab_prompt_test_case_get_input (self), 0,
                          CONFAB_PROMPT_TEST_CASE_MAX_INPUT, error))
    return FALSE;

  variables =
      confab_prompt_variables_from_json (confab_prompt_test_case_get_variables (self), error);
  if (variables == NULL)
    return FALSE;
  if (!confab_prompt_assertions_validate (confab_prompt_test_case_get_assertions (self), error))
    return FALSE;

  stmt = confab_database_prepare (db,
                                  "SELECT 1 FROM prompt_test_cases "
                                  "WHERE prompt_id = ? AND name = ? AND id IS NOT ?",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, prompt_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, name, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 3, confab_entity_get_id (entity), -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                   _("The prompt already has a test case named “%s”"), name);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)),
                                 error);
      return FALSE;
    }
  return TRUE;
}

static void
confab_prompt_test_case_class_init (ConfabPromptTestCaseClass *klass)
{
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  const GParamFlags  flags =
      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  entity_class->table = "prompt_test_cases";
  entity_class->entity_name = "prompt_test_case";
  entity_class->label = N_("test case");
  entity_class->default_order = "prompt_id, name COLLATE NOCASE, name";
  entity_class->validate = confab_prompt_test_case_validate;

  properties[PROP_PROMPT_ID] = g_param_spec_string ("prompt-id", N_("prompt"), NULL, NULL, flags);
  properties[PROP_NAME] = g_param_spec_string ("name", N_("name"), NULL, "", flags);
  properties[PROP_VARIABLES] =
      g_param_spec_string ("variables", N_("variables"), NULL, "{}", flags);
  properties[PROP_INPUT] =
      g_param_spec_string ("input", N_("input"), NULL, "", flags | CONFAB_PARAM_NO_AUDIT);
  properties[PROP_ASSERTIONS] =
      g_param_spec_string ("assertions", N_("assertions"), NULL, "[]", flags);
  confab_entity_class_install_columns (entity_class, N_PROPS, properties);
}

static void
confab_prompt_test_case_init (ConfabPromptTestCase *self)
{
}

ConfabPromptTestCase *
confab_prompt_test_case_new (const char *prompt_id, const char *name)
{
  return g_object_new (CONFAB_TYPE_PROMPT_TEST_CASE, "prompt-id", prompt_id, "name", name, NULL);
}

CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_test_case,
                                ConfabPromptTestCase,
                                prompt_id,
                                properties[PROP_PROMPT_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_test_case,
                                ConfabPromptTestCase,
                                name,
                                properties[PROP_NAME])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_test_case,
                                ConfabPromptTestCase,
                                variables,
                                properties[PROP_VARIABLES])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_test_case,
                                ConfabPromptTestCase,
                                input,
                                properties[PROP_INPUT])
CONFAB_DEFINE_STRING_ACCESSORS (confab_prompt_test_case,
                                ConfabPromptTestCase,
                                assertions,
                                properties[PROP_ASSERTIONS])

/**
 * confab_prompt_test_case_dup_variables:
 *
 * Returns: (transfer full) (element-type utf8 utf8): the variables
 */
GHashTable *
confab_prompt_test_case_dup_variables (ConfabPromptTestCase *self)
{
  GHashTable *variables;

  g_return_val_if_fail (CONFAB_IS_PROMPT_TEST_CASE (self), NULL);

  variables =
      confab_prompt_variables_from_json (confab_prompt_test_case_get_variables (self), NULL);
  if (variables == NULL)
    variables = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return variables;
}
