#include "config.h"

#include <string.h>

#include "confab-test-util.h"
#include "confab-template.h"

/* Stands for a NULL value in vars(): the table holds the name, without a value. */
static const char UNSET[] = "<unset>";

/* A table of variables from name, value pairs ending with NULL. */
static GHashTable *
vars (const char *first_name,
      ...)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *name = first_name;
  va_list args;

  va_start (args, first_name);
  while (name != NULL)
    {
      const char *value = va_arg (args, const char *);

      g_hash_table_insert (table, g_strdup (name), value == UNSET ? NULL : g_strdup (value));
      name = va_arg (args, const char *);
    }
  va_end (args);
  return table;
}

static void
assert_renders (const char *source,
                GHashTable *variables,
                const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabTemplate) template = NULL;
  g_autofree char *text = confab_template_render_string (source, variables, &error);
  g_autofree char *again = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, expected);

  /* Parsed once, rendered twice: the same text both times. */
  template = confab_template_parse (source, &error);
  g_assert_no_error (error);
  g_clear_pointer (&text, g_free);
  text = confab_template_render (template, variables, &error);
  g_assert_no_error (error);
  again = confab_template_render (template, variables, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, expected);
  g_assert_cmpstr (again, ==, expected);
}

static void
assert_fails (const char *source,
              GHashTable *variables,
              int         code,
              const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = confab_template_render_string (source, variables, &error);

  g_assert_null (text);
  g_assert_error (error, CONFAB_ERROR, code);
  g_assert_cmpstr (error->message, ==, message);
}

/* A parse error: confab_template_parse() itself refuses the source. */
static void
assert_invalid (const char *source,
                const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabTemplate) template = confab_template_parse (source, &error);

  g_assert_null (template);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, message);
}

static void
test_plain_text (void)
{
  assert_renders ("", NULL, "");
  assert_renders ("Hello, world!", NULL, "Hello, world!");
  assert_renders ("Line one\nLine two\r\n\n  indented\ttab\n", NULL,
                  "Line one\nLine two\r\n\n  indented\ttab\n");
  assert_renders ("Grüße aus Köln — 東京 🍰", NULL, "Grüße aus Köln — 東京 🍰");
  assert_renders ("<b>5 > 3 & \"quotes\"</b>", NULL, "<b>5 > 3 & \"quotes\"</b>");
}

static void
test_substitution (void)
{
  g_autoptr (GHashTable) v = vars ("name", "Ann", "item", "croissant", NULL);

  assert_renders ("Hi {{name}}!", v, "Hi Ann!");
  assert_renders ("Hi {{ name }}!", v, "Hi Ann!");
  assert_renders ("Hi {{\tname  }}!", v, "Hi Ann!");
  assert_renders ("{{name}}{{item}}{{name}}", v, "AnncroissantAnn");
  assert_renders ("{{item}}", v, "croissant");
  /* No HTML escaping: the output is chat text. */
  g_hash_table_insert (v, g_strdup ("html"), g_strdup ("<b>&amp;</b> \"x\" 'y'"));
  assert_renders ("{{html}}", v, "<b>&amp;</b> \"x\" 'y'");
  /* An empty value without a default is a value, not a missing one. */
  g_hash_table_insert (v, g_strdup ("empty"), g_strdup (""));
  assert_renders ("[{{empty}}]", v, "[]");
}

static void
test_defaults (void)
{
  g_autoptr (GHashTable) set = vars ("name", "Ann", NULL);
  g_autoptr (GHashTable) empty = vars ("name", "", NULL);
  g_autoptr (GHashTable) unset = vars ("name", UNSET, NULL);

  assert_renders ("Hi {{name|friend}}!", set, "Hi Ann!");
  assert_renders ("Hi {{name|friend}}!", NULL, "Hi friend!");
  assert_renders ("Hi {{name|friend}}!", empty, "Hi friend!");
  assert_renders ("Hi {{name|friend}}!", unset, "Hi friend!");
  assert_renders ("Hi {{ name | dear friend }}!", NULL, "Hi dear friend!");
  assert_renders ("Hi {{name|}}!", NULL, "Hi !");
  assert_renders ("{{name|a|b}c}}", NULL, "a|b}c");
  assert_renders ("{{name|x}}}", NULL, "x}");
  assert_renders ("{{name|Grüße 🍰}}", NULL, "Grüße 🍰");
  /* Each placeholder has its own default. */
  assert_renders ("{{name|one}} {{name|two}}", NULL, "one two");
  assert_renders ("{{name|one}} {{name|two}}", empty, "one two");
}

static void
test_dotted_names (void)
{
  g_autoptr (GHashTable) v = vars ("user.name", "Ann", "agent.name", "Bakery Bot",
                                   "order-id", "A-17", "_private", "p", "v2.x_y-z", "ok",
                                   "user", "not this", NULL);

  assert_renders ("{{user.name}} talks to {{ agent.name }}", v, "Ann talks to Bakery Bot");
  assert_renders ("{{order-id}} {{_private}} {{v2.x_y-z}}", v, "A-17 p ok");
  assert_fails ("{{user.email}}", v, CONFAB_ERROR_INVALID,
                "The template needs a value for: user.email");
}

static void
test_date_time (void)
{
  g_autoptr (GHashTable) pinned = vars ("date", "2024-02-29", "time", "09:05", NULL);
  g_autoptr (GHashTable) empty = vars ("date", "", NULL);
  g_autoptr (GHashTable) other = vars ("x", "y", NULL);
  g_autoptr (GDateTime) before = g_date_time_new_now_local ();
  g_autofree char *text = NULL;
  g_autofree char *expected_before = g_date_time_format (before, "%Y-%m-%d %H:%M");
  g_autofree char *expected_after = NULL;
  g_autoptr (GDateTime) after = NULL;
  g_autoptr (GError) error = NULL;

  assert_renders ("Today is {{date}} at {{time}}.", pinned, "Today is 2024-02-29 at 09:05.");
  assert_renders ("[{{date|none}}]", empty, "[none]");
  assert_renders ("[{{date}}]", empty, "[]");

  text = confab_template_render_string ("{{date}} {{ time }}", other, &error);
  after = g_date_time_new_now_local ();
  expected_after = g_date_time_format (after, "%Y-%m-%d %H:%M");
  g_assert_no_error (error);
  g_assert_true (g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}$",
                                       text, 0, 0));
  if (g_strcmp0 (text, expected_before) != 0)
    g_assert_cmpstr (text, ==, expected_after);

  g_clear_pointer (&text, g_free);
  text = confab_template_render_string ("{{#date}}dated{{/date}}", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "dated");
}

static void
test_sections (void)
{
  static const struct {
    const char *value;
    const char *expected;
  } cases[] = {
    { NULL, "no" },
    { UNSET, "no" },
    { "", "no" },
    { "0", "no" },
    { "false", "no" },
    { "FALSE", "no" },
    { "False", "no" },
    { "1", "yes:1" },
    { "true", "yes:true" },
    { "no", "yes:no" },
    { "00", "yes:00" },
    { " ", "yes: " },
    { "falsey", "yes:falsey" },
  };
  const char *source = "{{#v}}yes:{{v}}{{/v}}{{^v}}no{{/v}}";

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GHashTable) v = cases[i].value ? vars ("v", cases[i].value, NULL) : vars (NULL);

      assert_renders (source, v, cases[i].expected);
    }

  /* Spaces inside section tags; text around them. */
  {
    g_autoptr (GHashTable) v = vars ("vip", "1", NULL);

    assert_renders ("Hello{{ # vip }}, dear guest{{ / vip }}.", v, "Hello, dear guest.");
    assert_renders ("Hello{{^ vip}}, stranger{{/vip }}.", v, "Hello.");
    assert_renders ("Hello{{^ vip}}, stranger{{/vip }}.", NULL, "Hello, stranger.");
  }
}

static void
test_nested_sections (void)
{
  const char *source = "{{#a}}A{{#b}}B{{/b}}{{^b}}b{{/b}}{{/a}}{{^a}}-{{#b}}B{{/b}}{{/a}}.";
  g_autoptr (GHashTable) both = vars ("a", "1", "b", "1", NULL);
  g_autoptr (GHashTable) only_a = vars ("a", "1", "b", "0", NULL);
  g_autoptr (GHashTable) only_b = vars ("a", "false", "b", "yes", NULL);

  assert_renders (source, both, "AB.");
  assert_renders (source, only_a, "Ab.");
  assert_renders (source, only_b, "-B.");
  assert_renders (source, NULL, "-.");

  /* The same variable inside itself, and a skipped section holding others. */
  assert_renders ("{{#a}}1{{#a}}2{{^a}}never{{/a}}{{/a}}3{{/a}}", both, "123");
  assert_renders ("{{^a}}{{#b}}{{#c}}x{{/c}}{{/b}}{{/a}}end", both, "end");
}

static void
test_section_and_value (void)
{
  const char *source = "{{#order}}Your order {{order}} is ready.{{/order}}"
                       "{{^order}}You have no order.{{/order}}";
  g_autoptr (GHashTable) v = vars ("order", "A-42", NULL);
  g_autoptr (GHashTable) zero = vars ("order", "0", NULL);

  assert_renders (source, v, "Your order A-42 is ready.");
  assert_renders (source, NULL, "You have no order.");
  assert_renders (source, zero, "You have no order.");

  /* Used as a value outside the section: then it is needed. */
  assert_fails ("{{#order}}x{{/order}} {{order}}", NULL, CONFAB_ERROR_INVALID,
                "The template needs a value for: order");
  /* A placeholder in a skipped section is not needed. */
  assert_renders ("{{#vip}}Dear {{vip_name}}, {{/vip}}hello", NULL, "hello");
  assert_renders ("{{^vip}}Hello {{name|guest}}{{/vip}}", NULL, "Hello guest");
}

static void
test_missing (void)
{
  g_autoptr (GHashTable) v = vars ("name", "Ann", "order", UNSET, NULL);

  assert_fails ("{{customer}}", NULL, CONFAB_ERROR_INVALID,
                "The template needs a value for: customer");
  assert_fails ("Dear {{customer}}, order {{order}} for {{customer}} ({{ order }}) "
                "{{#flag}}{{/flag}}{{^other}}{{/other}}{{name}} {{note|none}} {{customer}}",
                v, CONFAB_ERROR_INVALID,
                "The template needs values for: customer, order");
  /* In order of first use in the template, each once. */
  assert_fails ("{{c}} {{b}} {{a}} {{b}} {{c}} {{a}}", NULL, CONFAB_ERROR_INVALID,
                "The template needs values for: c, b, a");
  assert_fails ("{{^s}}{{b}}{{/s}}{{a}}{{b}}", NULL, CONFAB_ERROR_INVALID,
                "The template needs values for: b, a");
  /* Missing values win over the output cap: they are the real problem. */
  {
    g_autofree char *big = g_strnfill (CONFAB_TEMPLATE_MAX_OUTPUT, 'x');
    g_autoptr (GHashTable) b = vars ("big", big, NULL);

    assert_fails ("{{big}}{{big}}{{gone}}", b, CONFAB_ERROR_INVALID,
                  "The template needs a value for: gone");
  }
}

static void
test_section_errors (void)
{
  assert_invalid ("Hi\n{{#a}}x", "Line 2: the section “a” is not closed; end it with “{{/a}}”");
  assert_invalid ("{{#a}}{{#b}}x{{/b}}",
                  "Line 1: the section “a” is not closed; end it with “{{/a}}”");
  assert_invalid ("{{#a}}\n{{#b}}\nx\n",
                  "Line 2: the section “b” is not closed; end it with “{{/b}}”");
  assert_invalid ("{{#a}}\n{{^b}}\n{{/a}}",
                  "Line 3: “{{/a}}” does not close the section “b” opened on line 2; "
                  "close that one first with “{{/b}}”");
  assert_invalid ("one\ntwo\n\n{{/a}}",
                  "Line 4: “{{/a}}” closes the section “a”, which is not open");
  assert_invalid ("{{#a}}{{/a}}{{/a}}",
                  "Line 1: “{{/a}}” closes the section “a”, which is not open");
  assert_invalid ("{{#a|x}}{{/a}}", "Line 1: the section tag of “a” cannot have a default");
  assert_invalid ("{{#}}",
                  "Line 1: “{{#}}” is not a valid placeholder: a name starts with a letter "
                  "or “_” and has only letters, digits, “_”, “-” and “.” (write “{{{{” for a "
                  "literal “{{”)");
}

static void
test_placeholder_errors (void)
{
#define BAD(excerpt) "“" excerpt "” is not a valid placeholder: a name starts with a letter " \
  "or “_” and has only letters, digits, “_”, “-” and “.” (write “{{{{” for a literal “{{”)"

  assert_invalid ("{{}}", "Line 1: " BAD ("{{}}"));
  assert_invalid ("a\n{{ }} b", "Line 2: " BAD ("{{ }}"));
  assert_invalid ("{{first name}}", "Line 1: " BAD ("{{first name}}"));
  assert_invalid ("{{1st}}", "Line 1: " BAD ("{{1st}}"));
  assert_invalid ("{{-x}}", "Line 1: " BAD ("{{-x}}"));
  assert_invalid ("{{{name}}}", "Line 1: " BAD ("{{{name}}"));
  assert_invalid ("{{näme}}", "Line 1: " BAD ("{{näme}}"));
  assert_invalid ("{{\"key\": 1} rest of the line that goes on and on and on",
                  "Line 1: " BAD ("{{\"key\": 1} rest of the line that goes o…"));
  assert_invalid ("{{ ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé ünïcödé",
                  "Line 1: " BAD ("{{ ünïcödé ünïcödé ünïcödé ünïcödé ünïcö…"));
  assert_invalid ("{{name", "Line 1: the placeholder “name” is not closed with “}}” on its line");
  assert_invalid ("{{name}\nx}}",
                  "Line 1: the placeholder “name” is not closed with “}}” on its line");
  assert_invalid ("x\n{{name|default\n}}",
                  "Line 2: the placeholder “name” is not closed with “}}” on its line");
  assert_invalid ("{{a|b {{c}}",
                  "Line 1: the placeholder “a” is not closed with “}}” before the next “{{”");
  assert_invalid ("{{a {{c}}",
                  "Line 1: the placeholder “a” is not closed with “}}” before the next “{{”");
  assert_invalid ("{{", "Line 1: " BAD ("{{"));
#undef BAD
}

static void
test_nesting_limit (void)
{
  g_autoptr (GString) ok = g_string_new (NULL);
  g_autoptr (GString) deep = NULL;
  g_autoptr (GString) huge = g_string_new (NULL);
  g_autoptr (GHashTable) v = vars ("s", "1", NULL);
  g_autofree char *expected = NULL;

  for (guint i = 0; i < CONFAB_TEMPLATE_MAX_DEPTH; i++)
    g_string_append (ok, "{{#s}}<");
  g_string_append (ok, "x");
  for (guint i = 0; i < CONFAB_TEMPLATE_MAX_DEPTH; i++)
    g_string_append (ok, ">{{/s}}");
  {
    g_autofree char *open = g_strnfill (CONFAB_TEMPLATE_MAX_DEPTH, '<');
    g_autofree char *close = g_strnfill (CONFAB_TEMPLATE_MAX_DEPTH, '>');

    expected = g_strconcat (open, "x", close, NULL);
  }
  assert_renders (ok->str, v, expected);

  deep = g_string_new ("{{#s}}\n");
  for (guint i = 0; i < CONFAB_TEMPLATE_MAX_DEPTH; i++)
    g_string_append (deep, "{{#s}}");
  assert_invalid (deep->str, "Line 2: the section “s” is nested too deeply: "
                  "at most 32 sections can be inside each other");

  /* Very deep input fails fast, without recursion. */
  for (guint i = 0; i < 200000; i++)
    g_string_append (huge, "{{#a}}");
  assert_invalid (huge->str, "Line 1: the section “a” is nested too deeply: "
                  "at most 32 sections can be inside each other");
}

static void
test_escape_and_braces (void)
{
  g_autoptr (GHashTable) v = vars ("x", "1", NULL);

  assert_renders ("{{{{x}}", v, "{{x}}");
  assert_renders ("a {{{{ b", NULL, "a {{ b");
  assert_renders ("{{{{", NULL, "{{");
  assert_renders ("{{{{{", NULL, "{{{");
  assert_renders ("{{{{{{x}}", v, "{{1");
  assert_renders ("{{{{{{{{", NULL, "{{{{");
  assert_renders ("{{{{#x}}{{{{/x}}", v, "{{#x}}{{/x}}");

  assert_renders ("{", NULL, "{");
  assert_renders ("}", NULL, "}");
  assert_renders ("}}", NULL, "}}");
  assert_renders ("}}}} {x} { x } a}b {", NULL, "}}}} {x} { x } a}b {");
  assert_renders ("function () { return {a: 1}; }", NULL, "function () { return {a: 1}; }");
  assert_renders ("{\"a\": {\"b\": [1, 2]}}", NULL, "{\"a\": {\"b\": [1, 2]}}");
  assert_renders ("{ {{x}} }", v, "{ 1 }");
  assert_renders ("{x}{{x}}}", v, "{x}1}");
}

static void
test_values_not_reparsed (void)
{
  g_autoptr (GHashTable) v = vars ("a", "{{b}}", "b", "B", "s", "{{#b}}x{{/b}}",
                                   "broken", "{{ unclosed", "esc", "{{{{", NULL);

  assert_renders ("{{a}}", v, "{{b}}");
  assert_renders ("{{a}} {{b}}", v, "{{b}} B");
  assert_renders ("{{s}}", v, "{{#b}}x{{/b}}");
  assert_renders ("{{broken}}", v, "{{ unclosed");
  assert_renders ("{{esc}}", v, "{{{{");
  assert_renders ("{{missing|{x}}}", v, "{x}");
}

static void
test_invalid_utf8 (void)
{
  g_autoptr (GHashTable) v = vars ("name", "bad\xff", "ok", "fine", NULL);

  assert_invalid ("\xff", "The template is not valid UTF-8 text (line 1)");
  assert_invalid ("ok\nstill ok\nbroken \xc3\x28 here",
                  "The template is not valid UTF-8 text (line 3)");
  assert_invalid ("{{name|\xe2\x82}}", "The template is not valid UTF-8 text (line 1)");
  assert_fails ("Hi {{name}}", v, CONFAB_ERROR_INVALID,
                "The value of “name” is not valid UTF-8 text");
  /* Only the values that are used are checked. */
  assert_renders ("{{#name}}set{{/name}} {{ok}}", v, "set fine");
}

static void
test_output_cap (void)
{
  g_autofree char *half = g_strnfill (CONFAB_TEMPLATE_MAX_OUTPUT / 2, 'h');
  g_autofree char *exact = g_strnfill (CONFAB_TEMPLATE_MAX_OUTPUT, 'e');
  g_autofree char *over = g_strnfill (CONFAB_TEMPLATE_MAX_OUTPUT + 1, 'o');
  g_autoptr (GHashTable) v = vars ("half", half, NULL);
  g_autoptr (GString) many = g_string_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  const char *message = "The text made from the template would be longer than 1048576 bytes";

  text = confab_template_render_string ("{{half}}{{half}}", v, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (text), ==, CONFAB_TEMPLATE_MAX_OUTPUT);
  g_clear_pointer (&text, g_free);

  assert_renders (exact, NULL, exact);
  assert_fails (over, NULL, CONFAB_ERROR_LIMIT, message);
  assert_fails ("{{half}}{{half}}!", v, CONFAB_ERROR_LIMIT, message);
  assert_fails ("{{half}}{{half}}{{half}}", v, CONFAB_ERROR_LIMIT, message);

  /* A small template that would make a huge text fails quickly. */
  for (guint i = 0; i < 100000; i++)
    g_string_append (many, "{{#half}}{{half}}{{/half}}");
  assert_fails (many->str, v, CONFAB_ERROR_LIMIT, message);
}

static void
assert_variable (GPtrArray  *variables,
                 guint       index,
                 const char *name,
                 const char *default_value,
                 gboolean    section_only)
{
  ConfabTemplateVariable *variable;

  g_assert_cmpuint (index, <, variables->len);
  variable = g_ptr_array_index (variables, index);
  g_assert_cmpstr (variable->name, ==, name);
  g_assert_cmpstr (variable->default_value, ==, default_value);
  g_assert_cmpint (variable->section_only, ==, section_only);
}

static void
test_get_variables (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabTemplate) template = NULL;
  g_autoptr (GPtrArray) variables = NULL;
  g_autoptr (ConfabTemplate) empty = NULL;
  g_autoptr (GPtrArray) none = NULL;
  const char *plain = "Hi {{ user.name }}, I am {{agent.name}}. {{_x}} {{a-b}} {{user.name}} "
                      "{{{{ignored}} {{ date }}";
  g_auto (GStrv) extracted = confab_prompt_extract_variables (plain);
  g_autoptr (ConfabTemplate) plain_template = NULL;
  g_autoptr (GPtrArray) plain_variables = NULL;

  template = confab_template_parse ("{{#vip}}{{name|friend}}{{/vip}}{{^vip}}{{name|guest}}{{/vip}}"
                                    "{{date}}{{#flag}}{{^flag}}{{/flag}}{{/flag}}{{ order }}"
                                    "{{later}}{{#later}}{{/later}}{{empty|}}{{#vip}}{{/vip}}"
                                    "{{{{escaped}}",
                                    &error);
  g_assert_no_error (error);
  variables = confab_template_get_variables (template);
  g_assert_cmpuint (variables->len, ==, 7);
  assert_variable (variables, 0, "vip", NULL, TRUE);
  assert_variable (variables, 1, "name", "friend", FALSE);
  assert_variable (variables, 2, "date", NULL, FALSE);
  assert_variable (variables, 3, "flag", NULL, TRUE);
  assert_variable (variables, 4, "order", NULL, FALSE);
  assert_variable (variables, 5, "later", NULL, FALSE);
  assert_variable (variables, 6, "empty", "", FALSE);

  empty = confab_template_parse ("no variables {{{{here}}", &error);
  g_assert_no_error (error);
  none = confab_template_get_variables (empty);
  g_assert_cmpuint (none->len, ==, 0);

  /* The same names, in the same order, as the prompt library finds. */
  plain_template = confab_template_parse (plain, &error);
  g_assert_no_error (error);
  plain_variables = confab_template_get_variables (plain_template);
  g_assert_cmpuint (plain_variables->len, ==, g_strv_length (extracted) - 1);
  for (guint i = 0, j = 0; extracted[i] != NULL; i++)
    {
      /* The old extractor does not know the escape and sees "ignored". */
      if (g_str_equal (extracted[i], "ignored"))
        continue;
      assert_variable (plain_variables, j++, extracted[i], NULL, FALSE);
    }
}

static void
test_standalone_lines (void)
{
  const char *source = "Hello\n"
                       "{{#vip}}\n"
                       "You are a VIP.\n"
                       "  {{/vip}}  \r\n"
                       "{{^vip}}\n"
                       "Welcome.\n"
                       "{{/vip}}\n"
                       "Bye";
  g_autoptr (GHashTable) v = vars ("vip", "1", "x", "X", NULL);

  assert_renders (source, v, "Hello\nYou are a VIP.\nBye");
  assert_renders (source, NULL, "Hello\nWelcome.\nBye");
  /* Not alone on their line: the text around them stays. */
  assert_renders ("a {{#vip}}b{{/vip}}\n", v, "a b\n");
  assert_renders ("{{#vip}} x\n{{/vip}}", v, " x\n");
  assert_renders ("{{#vip}}{{/vip}}\nnext", v, "\nnext");
  assert_renders ("{{x}}\n{{#vip}}\n{{x}}\n{{/vip}}\n", v, "X\nX\n");
  assert_renders ("{{{{\n{{#vip}}\nin\n{{/vip}}", v, "{{\nin\n");
  /* Lines are still counted right after a removed line. */
  assert_invalid ("{{#vip}}\n{{/vip}}\n\n{{ bad name }}",
                  "Line 4: “{{ bad name }}” is not a valid placeholder: a name starts with a "
                  "letter or “_” and has only letters, digits, “_”, “-” and “.” (write “{{{{” "
                  "for a literal “{{”)");
}

static void
test_large_template (void)
{
  g_autoptr (GString) source = g_string_new (NULL);
  g_autoptr (GString) expected = g_string_new (NULL);
  g_autoptr (GHashTable) v = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (ConfabTemplate) template = NULL;
  g_autoptr (GPtrArray) variables = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  const guint n = 100000;

  for (guint i = 0; i < n; i++)
    {
      g_string_append_printf (source, "{{ v%05u }}", i);
      g_string_append_printf (expected, "%u", i % 7 + 1);
      g_hash_table_insert (v, g_strdup_printf ("v%05u", i), g_strdup_printf ("%u", i % 7 + 1));
      if (i % 100 == 99)
        {
          g_string_append (source, "{{#v00001}}\n{{/v00001}}");
          g_string_append (expected, "\n");
        }
      else if (i % 10 == 9)
        {
          g_string_append (source, " {{^v00000}}-{{/v00000}}");
          g_string_append (expected, " ");
        }
    }
  g_assert_cmpuint (source->len, >=, 1000000);

  template = confab_template_parse (source->str, &error);
  g_assert_no_error (error);
  variables = confab_template_get_variables (template);
  g_assert_cmpuint (variables->len, ==, n);
  assert_variable (variables, 0, "v00000", NULL, FALSE);
  assert_variable (variables, n - 1, "v99999", NULL, FALSE);

  text = confab_template_render (template, v, &error);
  g_assert_no_error (error);
  /* Not g_assert_cmpstr(): a failure would print a megabyte. */
  g_assert_cmpuint (strlen (text), ==, expected->len);
  g_assert_true (strcmp (text, expected->str) == 0);
  g_clear_pointer (&text, g_free);

  /* All 100,000 missing, listed once each. */
  text = confab_template_render (template, NULL, &error);
  g_assert_null (text);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_true (g_str_has_prefix (error->message,
                                   "The template needs values for: v00000, v00001, v00002, "));
  g_assert_true (g_str_has_suffix (error->message, ", v99998, v99999"));
  g_assert_cmpuint (strlen (error->message), ==,
                    strlen ("The template needs values for: ") + n * 6 + (n - 1) * 2);
}

static void
test_parse_once (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabTemplate) template = confab_template_parse ("Hi {{name}}{{#vip}} (VIP){{/vip}}",
                                                               &error);
  g_autoptr (GHashTable) ann = vars ("name", "Ann", NULL);
  g_autoptr (GHashTable) bob = vars ("name", "Bob", "vip", "yes", NULL);
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;

  g_assert_no_error (error);
  first = confab_template_render (template, ann, &error);
  g_assert_no_error (error);
  second = confab_template_render (template, bob, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (first, ==, "Hi Ann");
  g_assert_cmpstr (second, ==, "Hi Bob (VIP)");

  third = confab_template_render (template, NULL, &error);
  g_assert_null (third);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "The template needs a value for: name");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/confab/template/plain-text", test_plain_text);
  g_test_add_func ("/confab/template/substitution", test_substitution);
  g_test_add_func ("/confab/template/defaults", test_defaults);
  g_test_add_func ("/confab/template/dotted-names", test_dotted_names);
  g_test_add_func ("/confab/template/date-time", test_date_time);
  g_test_add_func ("/confab/template/sections", test_sections);
  g_test_add_func ("/confab/template/nested-sections", test_nested_sections);
  g_test_add_func ("/confab/template/section-and-value", test_section_and_value);
  g_test_add_func ("/confab/template/missing", test_missing);
  g_test_add_func ("/confab/template/section-errors", test_section_errors);
  g_test_add_func ("/confab/template/placeholder-errors", test_placeholder_errors);
  g_test_add_func ("/confab/template/nesting-limit", test_nesting_limit);
  g_test_add_func ("/confab/template/escape-and-braces", test_escape_and_braces);
  g_test_add_func ("/confab/template/values-not-reparsed", test_values_not_reparsed);
  g_test_add_func ("/confab/template/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/confab/template/output-cap", test_output_cap);
  g_test_add_func ("/confab/template/get-variables", test_get_variables);
  g_test_add_func ("/confab/template/standalone-lines", test_standalone_lines);
  g_test_add_func ("/confab/template/parse-once", test_parse_once);
  g_test_add_func ("/confab/template/large", test_large_template);

  return g_test_run ();
}
