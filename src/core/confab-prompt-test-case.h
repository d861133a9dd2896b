#pragma once

#include "confab-entity.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_TEST_CASE (confab_prompt_test_case_get_type ())

G_DECLARE_FINAL_TYPE (
    ConfabPromptTestCase, confab_prompt_test_case, CONFAB, PROMPT_TEST_CASE, ConfabEntity)

/* A saved test of a prompt: values for its variables, an input, and
 * assertions every output of the case is judged by. Created, changed, listed
 * and deleted through confab-repository.h like any entity (each write with
 * its audit row); confab_repository_list_model (db,
 * CONFAB_TYPE_PROMPT_TEST_CASE, "prompt_id", id) is the live list of a
 * prompt's cases, by name.
 *
 * name: 1..200 characters, unique among the prompt's cases (CONFLICT).
 * variables: a JSON object of text values, {"name": "Ana"}.
 * input: the user's message of a run (0..100,000 characters; see
 * confab-prompt-runner.h for how it is used).
 * assertions: a JSON array, checked on save (confab_prompt_assertions_validate()).
 *
 * ## Assertions
 *
 *     [{"type": "contains", "value": "Sunday"},       the output holds the text
 *      {"type": "not_contains", "value": "sorry"},    the output does not hold it
 *      {"type": "regex", "value": "open (at|from) \\d"}, the output matches (PCRE)
 *      {"type": "equals", "value": "Yes"},            the output is the text
 *      {"type": "valid_json"},                        the output is a JSON value
 *      {"type": "max_latency_ms", "value": 2000},     the run took at most 2 s
 *      {"type": "max_tokens", "value": 200}]          the reply is at most 200 tokens
 *
 * contains, not_contains and regex are case-sensitive (write "(?i)" in a
 * pattern to ignore case). equals and valid_json look at the output without
 * the spaces and line breaks at either end (equals trims the value too).
 * A regex search gives up after CONFAB_PROMPT_REGEX_MATCH_LIMIT steps of
 * backtracking, so a pattern like "(a+)+$" cannot hang a run: that
 * assertion fails, saying so. max_tokens counts the output tokens the
 * provider reported, or (characters + 3) / 4 when it reported none. */

#define CONFAB_PROMPT_TEST_CASE_MAX_INPUT 100000
#define CONFAB_PROMPT_REGEX_MATCH_LIMIT   1000000

ConfabPromptTestCase *confab_prompt_test_case_new (const char *prompt_id, const char *name);
const char           *confab_prompt_test_case_get_prompt_id (ConfabPromptTestCase *self);
void confab_prompt_test_case_set_prompt_id (ConfabPromptTestCase *self, const char *prompt_id);
const char *confab_prompt_test_case_get_name (ConfabPromptTestCase *self);
void        confab_prompt_test_case_set_name (ConfabPromptTestCase *self, const char *name);
const char *confab_prompt_test_case_get_variables (ConfabPromptTestCase *self);
void confab_prompt_test_case_set_variables (ConfabPromptTestCase *self, const char *variables);
const char *confab_prompt_test_case_get_input (ConfabPromptTestCase *self);
void        confab_prompt_test_case_set_input (ConfabPromptTestCase *self, const char *input);
const char *confab_prompt_test_case_get_assertions (ConfabPromptTestCase *self);
void confab_prompt_test_case_set_assertions (ConfabPromptTestCase *self, const char *assertions);
/* The variables as a table (char * -> char *); empty when they are not a
 * JSON object of text values. */
GHashTable *confab_prompt_test_case_dup_variables (ConfabPromptTestCase *self);

/* Variables as JSON: an object whose values are all text. from_json: a
 * new table (char * -> char *), or NULL with CONFAB_ERROR_INVALID naming
 * the value that is not text. to_json: the object with its names sorted
 * (NULL variables: "{}"). */
GHashTable *confab_prompt_variables_from_json (const char *json, GError **error);
char       *confab_prompt_variables_to_json (GHashTable *variables);

/* One assertion's judgement of one output. */
typedef struct
{
  char    *type;  /* "contains", "regex", ... */
  char    *value; /* the text, pattern or number as text; NULL for valid_json */
  gboolean passed;
  char    *message; /* translated, one line: what was found */
} ConfabPromptAssertionResult;

void confab_prompt_assertion_result_free (ConfabPromptAssertionResult *result);

/* CONFAB_ERROR_INVALID naming the assertion ("Assertion 2 (regex): …")
 * when assertions_json is not a valid list of assertions. */
gboolean confab_prompt_assertions_validate (const char *assertions_json, GError **error);
/* Judges an output: returns the results as the JSON array stored in a run
 * ([{"type", "value", "passed", "message"}]) and sets *out_passed to
 * whether every assertion passed (TRUE with none). Assertions that are not
 * valid fail, with the validation message. */
char *confab_prompt_assertions_evaluate (const char *assertions_json,
                                         const char *output,
                                         gint64      latency_ms,
                                         gint64      tokens_out,
                                         gboolean   *out_passed);
/* The results of a run, parsed (element-type ConfabPromptAssertionResult);
 * empty when results_json is not such a list. */
GPtrArray *confab_prompt_assertion_results_parse (const char *results_json);
/* "contains “Sunday”", "max_latency_ms 2000", "valid_json": one assertion
 * for a list or a grid cell. */
char *confab_prompt_assertion_describe (const char *type, const char *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabPromptAssertionResult, confab_prompt_assertion_result_free)

G_END_DECLS
