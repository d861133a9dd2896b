#include "config.h"

#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-test-util.h"
#include "confab-rule-set.h"

#define OFFER "Would you like to talk to a person?"

static ConfabRuleSet *
parse_ok (const char *json)
{
  g_autoptr (GError) error = NULL;
  ConfabRuleSet *rules = confab_rule_set_parse (json, &error);

  g_assert_no_error (error);
  g_assert_nonnull (rules);
  return rules;
}

static ConfabRuleMatch *
match_full (ConfabRuleSet *rules,
            const char    *message,
            guint          turn,
            guint          misses,
            GHashTable    *variables)
{
  g_autoptr (GError) error = NULL;
  ConfabRuleMatch *match = confab_rule_set_match (rules, message, turn, misses, variables, &error);

  g_assert_no_error (error);
  g_assert_nonnull (match);
  g_assert_nonnull (match->response);
  g_assert_nonnull (match->explanation);
  return match;
}

static ConfabRuleMatch *
match (ConfabRuleSet *rules,
       const char    *message)
{
  return match_full (rules, message, 0, 0, NULL);
}

/* The name of the rule that answers, or "" for the fallback. */
static const char *
winner (ConfabRuleSet *rules,
        const char    *message)
{
  g_autoptr (ConfabRuleMatch) m = match (rules, message);
  static char name[256];

  if (m->rule_index < 0)
    {
      g_assert_null (m->rule_name);
      return "";
    }
  g_assert_nonnull (m->rule_name);
  g_strlcpy (name, m->rule_name, sizeof name);
  return name;
}

static void
test_normalize (void)
{
  struct
  {
    const char *in;
    const char *out;
  } cases[] = {
    { "Café", "cafe" },
    { "HELLO World", "hello world" },
    { "  Hello,   WORLD!!  ", "hello world" },
    { "don't-stop...now?", "don t stop now" },
    { "a\t\n b", "a b" },
    { "Crème brûlée à la façon", "creme brulee a la facon" },
    { "ÀÉÎÕÜ Ñ", "aeiou n" },
    { "Straße", "strasse" },            /* full case folding */
    { "İstanbul", "istanbul" },
    { "ﬁne ℌello", "fine hello" },      /* compatibility characters */
    { "order #48213", "order 48213" },
    { "Ελληνικά", "ελληνικα" },
    { "日本語 テキスト", "日本語 テキスト" },
    { "?!", "" },
    { "", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = confab_rule_normalize (cases[i].in);

      g_assert_cmpstr (out, ==, cases[i].out);
    }

  {
    g_autofree char *null = confab_rule_normalize (NULL);
    g_autofree char *invalid = confab_rule_normalize ("caf\xc3 open");

    g_assert_cmpstr (null, ==, "");
    g_assert_true (g_utf8_validate (invalid, -1, NULL));
    g_assert_true (g_str_has_suffix (invalid, " open"));
  }
}

static void
test_exact (void)
{
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": [{\"name\": \"Greeting\", \"match\": \"exact\","
    " \"patterns\": [\"hello there\", \"hi\"], \"responses\": [\"Hello!\"]}]}");
  g_autoptr (ConfabRuleMatch) m = match (rules, "  Hello,   THERE! ");

  g_assert_cmpint (m->rule_index, ==, 0);
  g_assert_cmpstr (m->rule_name, ==, "Greeting");
  g_assert_cmpstr (m->response, ==, "Hello!");
  g_assert_null (m->action);
  g_assert_null (m->handoff_agent);
  g_assert_false (m->offer_human);
  g_assert_cmpstr (m->explanation, ==,
                   "Rule “Greeting” matched the whole message “hello there” (priority 0).");

  g_assert_cmpstr (winner (rules, "HI"), ==, "Greeting");
  g_assert_cmpstr (winner (rules, "hello there friend"), ==, "");
  g_assert_cmpstr (winner (rules, "oh hi"), ==, "");
  g_assert_cmpstr (winner (rules, ""), ==, "");
  g_assert_cmpuint (confab_rule_set_get_n_rules (rules), ==, 1);
}

static void
test_keywords_any (void)
{
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": ["
    " {\"name\": \"Opening hours\", \"priority\": 10, \"match\": \"keywords_any\","
    "  \"patterns\": [\"open\", \"hours\", \"Opening Times\"], \"responses\": [\"7 to 6.\"]},"
    " {\"name\": \"Gluten\", \"match\": \"keywords_any\","
    "  \"patterns\": [\"gluten free\", \"CÉLIAC\", \"café\"], \"responses\": [\"Buckwheat.\"]}"
    "]}");
  g_autoptr (ConfabRuleMatch) m = match (rules, "Are you OPEN? What are your hours?");

  g_assert_cmpint (m->rule_index, ==, 0);
  g_assert_cmpstr (m->response, ==, "7 to 6.");
  g_assert_cmpstr (m->explanation, ==,
                   "Rule “Opening hours” matched the keywords “open”, “hours” (priority 10).");

  /* Whole words only. */
  g_assert_cmpstr (winner (rules, "Are you open?"), ==, "Opening hours");
  g_assert_cmpstr (winner (rules, "open"), ==, "Opening hours");
  g_assert_cmpstr (winner (rules, "The shop reopened"), ==, "");
  g_assert_cmpstr (winner (rules, "openings"), ==, "");
  g_assert_cmpstr (winner (rules, "happy-hours!"), ==, "Opening hours");
  /* Phrases: whole words in a row, any punctuation or case between them. */
  g_assert_cmpstr (winner (rules, "what are your opening   times"), ==, "Opening hours");
  g_assert_cmpstr (winner (rules, "Opening-Times?"), ==, "Opening hours");
  g_assert_cmpstr (winner (rules, "do you have Gluten-Free bread"), ==, "Gluten");
  g_assert_cmpstr (winner (rules, "gluten is free"), ==, "");
  /* Accents fold both ways. */
  g_assert_cmpstr (winner (rules, "I am celiac"), ==, "Gluten");
  g_assert_cmpstr (winner (rules, "CAFE?"), ==, "Gluten");
  g_assert_cmpstr (winner (rules, "un Café"), ==, "Gluten");

  {
    g_autoptr (ConfabRuleMatch) one = match (rules, "celiac");

    g_assert_cmpstr (one->explanation, ==, "Rule “Gluten” matched the keyword “CÉLIAC” (priority 0).");
  }
}

static void
test_keywords_all (void)
{
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": [{\"name\": \"Refund\", \"match\": \"keywords_all\","
    " \"patterns\": [\"refund\", \"order\"], \"responses\": [\"Refunds take 5 days.\"]}]}");
  g_autoptr (ConfabRuleMatch) m = match (rules, "Can I get a REFUND for my order?");

  g_assert_cmpstr (m->rule_name, ==, "Refund");
  g_assert_cmpstr (m->response, ==, "Refunds take 5 days.");
  g_assert_cmpstr (m->explanation, ==,
                   "Rule “Refund” matched all its keywords “refund”, “order” (priority 0).");
  g_assert_cmpstr (winner (rules, "order, then refund"), ==, "Refund");
  g_assert_cmpstr (winner (rules, "refund please"), ==, "");
  g_assert_cmpstr (winner (rules, "my order"), ==, "");
  g_assert_cmpstr (winner (rules, "refunded orders"), ==, "");
}

static void
test_regex (void)
{
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": [{\"name\": \"Order number\", \"priority\": 9, \"match\": \"regex\","
    " \"patterns\": [\"order\\\\s*#?(?<order>\\\\d{4,})\"],"
    " \"responses\": [\"Thanks {{user.name}}, looking up order {{order}}.\"]}]}");
  g_autoptr (GHashTable) variables = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (ConfabRuleMatch) m = NULL;

  g_hash_table_insert (variables, "user.name", "Ana");
  g_hash_table_insert (variables, "agent.name", "Bakery");
  m = match_full (rules, "Where is my order #48213?", 0, 0, variables);
  g_assert_cmpint (m->rule_index, ==, 0);
  g_assert_cmpstr (m->response, ==, "Thanks Ana, looking up order 48213.");
  g_assert_cmpstr (m->explanation, ==,
                   "Rule “Order number” matched “order #48213” with the pattern "
                   "“order\\s*#?(?<order>\\d{4,})” (priority 9).");
  /* The caller's table is not touched. */
  g_assert_cmpuint (g_hash_table_size (variables), ==, 2);
  g_assert_false (g_hash_table_contains (variables, "order"));

  /* Case-insensitive, on the original text. */
  {
    g_autoptr (ConfabRuleMatch) upper = match_full (rules, "ORDER 1234", 0, 0, variables);

    g_assert_cmpstr (upper->response, ==, "Thanks Ana, looking up order 1234.");
  }
  g_assert_cmpstr (winner (rules, "order #123"), ==, "");
  g_assert_cmpstr (winner (rules, "order number 12345"), ==, "");
}

static void
test_regex_groups (void)
{
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": [{\"name\": \"Tracking\", \"match\": \"regex\","
    " \"patterns\": [\"order (?<order>\\\\d+)\", \"ticket (?P<ticket>[a-z]+-\\\\d+)\"],"
    " \"responses\": [\"order=[{{order}}] ticket=[{{ticket}}]\"]}]}");
  g_autoptr (ConfabRuleMatch) order = match (rules, "order 42");
  g_autoptr (ConfabRuleMatch) ticket = match (rules, "about Ticket ABC-7 please");

  /* Every group of the rule is a variable, empty when it took no part. */
  g_assert_cmpstr (order->response, ==, "order=[42] ticket=[]");
  g_assert_cmpstr (ticket->response, ==, "order=[] ticket=[ABC-7]");
}

static void
test_exclude (void)
{
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": ["
    " {\"name\": \"Opening hours\", \"match\": \"keywords_any\", \"patterns\": [\"open\"],"
    "  \"exclude\": [\"account\", \"Bank Holiday\"], \"responses\": [\"7 to 6.\"]},"
    " {\"name\": \"Accounts\", \"match\": \"keywords_any\", \"patterns\": [\"account\"],"
    "  \"responses\": [\"Sign up online.\"]}"
    "]}");
  g_autoptr (ConfabRuleMatch) vetoed = match (rules, "Are you open on the bank-holiday?");

  g_assert_cmpstr (winner (rules, "are you open"), ==, "Opening hours");
  g_assert_cmpstr (winner (rules, "open an account"), ==, "Accounts");
  g_assert_cmpstr (winner (rules, "open on the holiday"), ==, "Opening hours");
  /* Exclude words are whole words too. */
  g_assert_cmpstr (winner (rules, "open for accounting"), ==, "Opening hours");

  g_assert_cmpint (vetoed->rule_index, ==, -1);
  g_assert_cmpstr (vetoed->explanation, ==,
                   "No rule matched, so a fallback answer was given. "
                   "Rule “Opening hours” was left out because the message has “Bank Holiday”.");
}

static void
test_disabled (void)
{
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": ["
    " {\"name\": \"Off\", \"enabled\": false, \"priority\": 100, \"match\": \"keywords_any\","
    "  \"patterns\": [\"open\"], \"responses\": [\"never\"]},"
    " {\"name\": \"On\", \"enabled\": true, \"match\": \"keywords_any\", \"patterns\": [\"open\"],"
    "  \"responses\": [\"yes\"]},"
    " {\"name\": \"Also off\", \"enabled\": false, \"match\": \"exact\", \"patterns\": [\"hi\"],"
    "  \"responses\": [\"never\"]}"
    "]}");
  g_autoptr (ConfabRuleMatch) m = match (rules, "open?");

  g_assert_cmpuint (confab_rule_set_get_n_rules (rules), ==, 3);
  g_assert_cmpint (m->rule_index, ==, 1);
  g_assert_cmpstr (m->response, ==, "yes");
  g_assert_cmpstr (m->explanation, ==, "Rule “On” matched the keyword “open” (priority 0).");
  g_assert_cmpstr (winner (rules, "hi"), ==, "");
}

static void
test_choice (void)
{
  /* Each message below is matched by several rules; the comment says what
   * decides. */
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": ["
    " {\"name\": \"any-low\", \"priority\": 1, \"match\": \"keywords_any\", \"patterns\": [\"cake\"], \"responses\": [\"1\"]},"
    " {\"name\": \"any-high\", \"priority\": 5, \"match\": \"keywords_any\", \"patterns\": [\"cake\"], \"responses\": [\"2\"]},"
    " {\"name\": \"all\", \"priority\": 5, \"match\": \"keywords_all\", \"patterns\": [\"cake\", \"price\"], \"responses\": [\"3\"]},"
    " {\"name\": \"regex\", \"priority\": 5, \"match\": \"regex\", \"patterns\": [\"cake\\\\s+price\"], \"responses\": [\"4\"]},"
    " {\"name\": \"exact\", \"priority\": 5, \"match\": \"exact\", \"patterns\": [\"cake price\"], \"responses\": [\"5\"]},"
    " {\"name\": \"short\", \"priority\": 2, \"match\": \"keywords_any\", \"patterns\": [\"bread\"], \"responses\": [\"6\"]},"
    " {\"name\": \"long\", \"priority\": 2, \"match\": \"keywords_any\", \"patterns\": [\"sourdough\", \"bread\"], \"responses\": [\"7\"]},"
    " {\"name\": \"first\", \"priority\": 3, \"match\": \"keywords_any\", \"patterns\": [\"pie\"], \"responses\": [\"8\"]},"
    " {\"name\": \"second\", \"priority\": 3, \"match\": \"keywords_any\", \"patterns\": [\"pie\"], \"responses\": [\"9\"]},"
    " {\"name\": \"negative\", \"priority\": -4, \"match\": \"exact\", \"patterns\": [\"tart\"], \"responses\": [\"10\"]},"
    " {\"name\": \"zero\", \"match\": \"keywords_any\", \"patterns\": [\"tart\"], \"responses\": [\"11\"]}"
    "]}");
  struct
  {
    const char *message;
    const char *winner;
    const char *explanation;
  } cases[] = {
    /* priority */
    { "cake", "any-high",
      "Rule “any-high” matched the keyword “cake” (priority 5). "
      "It won over “any-low”, which has priority 1." },
    /* specificity: exact > regex > keywords_all > keywords_any */
    { "Cake price!", "exact",
      "Rule “exact” matched the whole message “cake price” (priority 5). "
      "It won over “regex” (same priority) because “exact” is more specific than “regex”." },
    { "the cake  price?", "regex",
      "Rule “regex” matched “cake  price” with the pattern “cake\\s+price” (priority 5). "
      "It won over “all” (same priority) because “regex” is more specific than “keywords_all”." },
    { "price of a cake", "all",
      "Rule “all” matched all its keywords “cake”, “price” (priority 5). "
      "It won over “any-high” (same priority) because “keywords_all” is more specific than “keywords_any”." },
    /* the longest match */
    { "sourdough bread", "long",
      "Rule “long” matched the keywords “sourdough”, “bread” (priority 2). "
      "It won over “short” (same priority and match type) because it matched more text." },
    /* then the order */
    { "pie", "first",
      "Rule “first” matched the keyword “pie” (priority 3). "
      "It won over “second”, which matched as well, because it comes first." },
    { "bread", "short",
      "Rule “short” matched the keyword “bread” (priority 2). "
      "It won over “long”, which matched as well, because it comes first." },
    /* priority beats specificity; 0 is the default */
    { "tart", "zero",
      "Rule “zero” matched the keyword “tart” (priority 0). "
      "It won over “negative”, which has priority -4." },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (ConfabRuleMatch) m = match (rules, cases[i].message);

      g_assert_cmpstr (m->rule_name, ==, cases[i].winner);
      g_assert_cmpstr (m->explanation, ==, cases[i].explanation);
    }
}

static void
test_rotation (void)
{
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": [{\"name\": \"Hi\", \"match\": \"exact\", \"patterns\": [\"hi\"],"
    " \"responses\": [\"one\", \"two\", \"three\"]}],"
    " \"fallback\": [\"fa\", \"fb\", \"fc\"]}");
  const char *expected[] = { "one", "two", "three", "one", "two" };

  for (guint turn = 0; turn < G_N_ELEMENTS (expected); turn++)
    {
      /* misses do not rotate rule responses */
      g_autoptr (ConfabRuleMatch) m = match_full (rules, "hi", turn, 7, NULL);

      g_assert_cmpstr (m->response, ==, expected[turn]);
      g_assert_false (m->offer_human);
    }
  /* Deterministic */
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (ConfabRuleMatch) m = match_full (rules, "hi", 4, 0, NULL);

      g_assert_cmpstr (m->response, ==, "two");
    }
}

static void
test_fallback (void)
{
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": [], \"fallback\": [\"Sorry {{user.name|friend}}, I did not get that.\", \"Try again.\", \"Hmm.\"]}");
  struct
  {
    guint       misses;
    const char *response;
    gboolean    offer;
    const char *explanation;
  } cases[] = {
    { 0, "Sorry friend, I did not get that.", FALSE, "No rule matched, so a fallback answer was given." },
    { 1, "Try again. " OFFER, TRUE, "No rule matched 2 messages in a row, so the answer offers a person." },
    { 2, "Hmm. " OFFER, TRUE, "No rule matched 3 messages in a row, so the answer offers a person." },
    { 3, "Sorry friend, I did not get that. " OFFER, TRUE, "No rule matched 4 messages in a row, so the answer offers a person." },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      /* turn does not rotate fallback answers */
      g_autoptr (ConfabRuleMatch) m = match_full (rules, "what?", 5, cases[i].misses, NULL);

      g_assert_cmpint (m->rule_index, ==, -1);
      g_assert_null (m->rule_name);
      g_assert_null (m->action);
      g_assert_null (m->handoff_agent);
      g_assert_cmpstr (m->response, ==, cases[i].response);
      g_assert_cmpint (m->offer_human, ==, cases[i].offer);
      g_assert_cmpstr (m->explanation, ==, cases[i].explanation);
    }

  /* Templates get the caller's variables. */
  {
    g_autoptr (GHashTable) variables = g_hash_table_new (g_str_hash, g_str_equal);
    g_autoptr (ConfabRuleMatch) m = NULL;

    g_hash_table_insert (variables, "user.name", "Ana");
    m = match_full (rules, "what?", 0, 0, variables);
    g_assert_cmpstr (m->response, ==, "Sorry Ana, I did not get that.");
  }
}

static void
test_fallback_offer_setting (void)
{
  g_autoptr (ConfabRuleSet) three = parse_ok ("{\"fallback\": [\"No idea.\"], \"offer_human_after_misses\": 3}");
  g_autoptr (ConfabRuleSet) never = parse_ok ("{\"fallback\": [\"No idea.\"], \"offer_human_after_misses\": 0}");
  g_autoptr (ConfabRuleSet) first = parse_ok ("{\"fallback\": [\"No idea.\"], \"offer_human_after_misses\": 1}");
  g_autoptr (ConfabRuleSet) says_so = parse_ok (
    "{\"fallback\": [\"Hmm.\", \"I am not sure. Would you like to talk to a person?\"]}");

  for (guint misses = 0; misses < 4; misses++)
    {
      g_autoptr (ConfabRuleMatch) a = match_full (three, "x", 0, misses, NULL);
      g_autoptr (ConfabRuleMatch) b = match_full (never, "x", 0, misses, NULL);
      g_autoptr (ConfabRuleMatch) c = match_full (first, "x", 0, misses, NULL);

      g_assert_cmpint (a->offer_human, ==, misses >= 2);
      g_assert_cmpstr (a->response, ==, misses >= 2 ? "No idea. " OFFER : "No idea.");
      g_assert_false (b->offer_human);
      g_assert_cmpstr (b->response, ==, "No idea.");
      g_assert_true (c->offer_human);
      g_assert_cmpstr (c->response, ==, "No idea. " OFFER);
    }

  /* An answer that already offers a person does not ask twice. */
  {
    g_autoptr (ConfabRuleMatch) m = match_full (says_so, "x", 0, 1, NULL);
    g_autoptr (ConfabRuleMatch) other = match_full (says_so, "x", 0, 2, NULL);

    g_assert_true (m->offer_human);
    g_assert_cmpstr (m->response, ==, "I am not sure. Would you like to talk to a person?");
    g_assert_true (other->offer_human);
    g_assert_cmpstr (other->response, ==, "Hmm. " OFFER);
  }
}

static void
test_default_fallback (void)
{
  const char *configs[] = { NULL, "{}", "{\"rules\": [], \"fallback\": []}", "{\"rules\": null, \"fallback\": null}" };

  for (guint i = 0; i < G_N_ELEMENTS (configs); i++)
    {
      g_autoptr (ConfabRuleSet) rules = parse_ok (configs[i]);
      g_autoptr (ConfabRuleMatch) first = match_full (rules, "hello", 0, 0, NULL);
      g_autoptr (ConfabRuleMatch) second = match_full (rules, "hello", 1, 1, NULL);

      g_assert_cmpuint (confab_rule_set_get_n_rules (rules), ==, 0);
      g_assert_cmpint (first->rule_index, ==, -1);
      g_assert_cmpstr (first->response, ==, "Sorry, I did not understand that.");
      g_assert_false (first->offer_human);
      g_assert_cmpstr (second->response, ==, "Sorry, I did not understand that. " OFFER);
      g_assert_true (second->offer_human);
    }
}

static void
test_actions (void)
{
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": ["
    " {\"name\": \"Human\", \"priority\": 20, \"match\": \"keywords_any\", \"patterns\": [\"human\", \"person\"],"
    "  \"responses\": [\"Passing you to Tomás.\"], \"action\": \"escalate\"},"
    " {\"name\": \"Recipes\", \"match\": \"keywords_any\", \"patterns\": [\"recipe\"],"
    "  \"responses\": [\"Let me ask our pastry expert.\"], \"action\": \"handoff\", \"handoff_agent\": \"agent-42\"},"
    " {\"name\": \"Ask the model\", \"match\": \"keywords_any\", \"patterns\": [\"why\"],"
    "  \"responses\": [\"One moment.\"], \"action\": \"handoff\"},"
    " {\"name\": \"Bye\", \"match\": \"exact\", \"patterns\": [\"bye\", \"goodbye\"],"
    "  \"responses\": [\"Goodbye!\"], \"action\": \"end\", \"handoff_agent\": \"ignored\"},"
    " {\"name\": \"Plain\", \"match\": \"exact\", \"patterns\": [\"thanks\"],"
    "  \"responses\": [\"You are welcome.\"], \"action\": null}"
    "]}");
  struct
  {
    const char *message;
    const char *rule;
    const char *action;
    const char *handoff_agent;
  } cases[] = {
    { "I want a human", "Human", "escalate", NULL },
    { "a recipe for scones?", "Recipes", "handoff", "agent-42" },
    { "why is bread brown", "Ask the model", "handoff", NULL },
    { "Goodbye.", "Bye", "end", NULL },
    { "thanks!", "Plain", NULL, NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (ConfabRuleMatch) m = match (rules, cases[i].message);

      g_assert_cmpstr (m->rule_name, ==, cases[i].rule);
      g_assert_cmpstr (m->action, ==, cases[i].action);
      g_assert_cmpstr (m->handoff_agent, ==, cases[i].handoff_agent);
      g_assert_false (m->offer_human);
    }
}

static void
test_long_message (void)
{
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": ["
    " {\"name\": \"Order\", \"priority\": 5, \"match\": \"regex\", \"patterns\": [\"order (?<n>\\\\d+)\"],"
    "  \"responses\": [\"order {{n}}\"]},"
    " {\"name\": \"Cake\", \"match\": \"keywords_any\", \"patterns\": [\"cake\"], \"responses\": [\"cake\"]}"
    "]}");
  g_autoptr (GString) message = g_string_new ("order 1234 cake ");
  g_autoptr (GString) fits = NULL;

  while (message->len < CONFAB_RULE_MAX_MESSAGE_CHARS)
    g_string_append (message, "é");
  fits = g_string_new (message->str);
  /* Counted in characters: "é" is two bytes. */
  g_assert_cmpint (g_utf8_strlen (fits->str, -1), <=, CONFAB_RULE_MAX_MESSAGE_CHARS);
  g_assert_cmpstr (winner (rules, fits->str), ==, "Order");

  while (g_utf8_strlen (message->str, -1) <= CONFAB_RULE_MAX_MESSAGE_CHARS)
    g_string_append (message, " x");
  /* Too long for regex rules; keywords still match. */
  g_assert_cmpstr (winner (rules, message->str), ==, "Cake");
}

static void
test_odd_input (void)
{
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": ["
    " {\"name\": \"Open\", \"match\": \"keywords_any\", \"patterns\": [\"open\"], \"responses\": [\"o\"]},"
    " {\"name\": \"Re\", \"match\": \"regex\", \"patterns\": [\"^caf\"], \"responses\": [\"r\"]}"
    "], \"tools\": [\"ignored\"], \"extra\": {\"a\": 1}}");

  /* Invalid UTF-8 is repaired, not trusted. */
  g_assert_cmpstr (winner (rules, "caf\xc3 open"), ==, "Re");
  g_assert_cmpstr (winner (rules, "\xff\xfe open \xc0"), ==, "Open");
  g_assert_cmpstr (winner (rules, NULL), ==, "");
}

/* -------------------------------------------------------------------------- */

static void
expect_invalid (const char *json,
                const char *message)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabRuleSet) rules = confab_rule_set_parse (json, &error);

  g_assert_null (rules);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  /* A message ending in ": " is a prefix: GLib or json-glib says the rest. */
  if (g_str_has_suffix (message, ": "))
    {
      if (!g_str_has_prefix (error->message, message))
        g_error ("“%s” does not start with “%s”", error->message, message);
    }
  else
    g_assert_cmpstr (error->message, ==, message);
}

/* A rule set whose first rule is valid and whose second has `members` after
 * its name (or no name when name is NULL). */
static char *
second_rule (const char *name,
             const char *members)
{
  g_autofree char *name_member = name ? g_strdup_printf ("\"name\": \"%s\", ", name) : g_strdup ("");

  return g_strdup_printf ("{\"rules\": [{\"name\": \"Fine\", \"match\": \"exact\", \"patterns\": [\"hi\"],"
                          " \"responses\": [\"Hi\"]}, {%s%s}]}", name_member, members);
}

#define VALID_REST "\"match\": \"keywords_any\", \"patterns\": [\"a\"], \"responses\": [\"b\"]"

static void
test_validation (void)
{
  struct
  {
    const char *name;
    const char *members;
    const char *message;
  } rules[] = {
    { NULL, VALID_REST, "Rule 2: a name is required" },
    { "  ", VALID_REST, "Rule 2: a name is required" },
    { NULL, "\"name\": 7, " VALID_REST, "Rule 2: the name must be a text" },
    { "A", "\"enabled\": \"yes\", " VALID_REST, "Rule “A”: “enabled” must be true or false" },
    { "A", "\"priority\": \"high\", " VALID_REST, "Rule “A”: the priority must be a whole number" },
    { "A", "\"priority\": 1.5, " VALID_REST, "Rule “A”: the priority must be a whole number" },
    { "A", "\"priority\": 99999999999, " VALID_REST, "Rule “A”: the priority must be a whole number" },
    { "A", "\"patterns\": [\"a\"], \"responses\": [\"b\"]",
      "Rule “A”: the match type is missing; use “exact”, “keywords_any”, “keywords_all” or “regex”" },
    { "A", "\"match\": \"fuzzy\", \"patterns\": [\"a\"], \"responses\": [\"b\"]",
      "Rule “A”: the match type “fuzzy” is unknown; use “exact”, “keywords_any”, “keywords_all” or “regex”" },
    { "A", "\"match\": \"exact\", \"responses\": [\"b\"]", "Rule “A”: it has no patterns" },
    { "A", "\"match\": \"exact\", \"patterns\": [], \"responses\": [\"b\"]", "Rule “A”: it has no patterns" },
    { "A", "\"match\": \"regex\", \"patterns\": null, \"responses\": [\"b\"]", "Rule “A”: it has no patterns" },
    { "A", "\"match\": \"exact\", \"patterns\": \"hi\", \"responses\": [\"b\"]",
      "Rule “A”: “patterns” must be a list of texts" },
    { "A", "\"match\": \"exact\", \"patterns\": [\"hi\", 5], \"responses\": [\"b\"]",
      "Rule “A”: pattern 2 is not a text" },
    { "A", "\"match\": \"keywords_all\", \"patterns\": [\"hi\", \"\"], \"responses\": [\"b\"]",
      "Rule “A”: pattern 2 is empty" },
    { "A", "\"match\": \"keywords_any\", \"patterns\": [\"?!\"], \"responses\": [\"b\"]",
      "Rule “A”: the pattern “?!” has no letters or digits" },
    { "A", "\"match\": \"exact\", \"patterns\": [\"hi\"]", "Rule “A”: it has no responses" },
    { "A", "\"match\": \"exact\", \"patterns\": [\"hi\"], \"responses\": []", "Rule “A”: it has no responses" },
    { "A", "\"match\": \"exact\", \"patterns\": [\"hi\"], \"responses\": \"b\"",
      "Rule “A”: “responses” must be a list of texts" },
    { "A", "\"match\": \"exact\", \"patterns\": [\"hi\"], \"responses\": [\"b\", false]",
      "Rule “A”: response 2 is not a text" },
    { "A", "\"match\": \"exact\", \"patterns\": [\"hi\"], \"responses\": [\"\"]",
      "Rule “A”: response 1 is empty" },
    { "A", VALID_REST ", \"exclude\": \"no\"", "Rule “A”: “exclude” must be a list of words" },
    { "A", VALID_REST ", \"exclude\": [\"no\", 1]", "Rule “A”: exclude word 2 is not a text" },
    { "A", VALID_REST ", \"exclude\": [\"...\"]", "Rule “A”: the exclude word “...” has no letters or digits" },
    { "A", VALID_REST ", \"action\": \"dance\"",
      "Rule “A”: the action “dance” is unknown; use “escalate”, “handoff” or “end”" },
    { "A", VALID_REST ", \"action\": 1", "Rule “A”: the action must be a text" },
    { "A", VALID_REST ", \"action\": \"handoff\", \"handoff_agent\": 3", "Rule “A”: “handoff_agent” must be a text" },
    /* Templates */
    { "A", "\"match\": \"exact\", \"patterns\": [\"hi\"], \"responses\": [\"ok\", \"Hello {{customer}}\"]",
      "Rule “A”: response 2 uses the unknown variable “customer”" },
    { "A", "\"match\": \"exact\", \"patterns\": [\"hi\"], \"responses\": [\"{{a}} and {{b}} for {{user.name}}\"]",
      "Rule “A”: response 1 uses the unknown variables “a”, “b”" },
    /* A group of another rule's pattern is unknown here. */
    { "A", "\"match\": \"keywords_any\", \"patterns\": [\"order\"], \"responses\": [\"order {{order}}\"]",
      "Rule “A”: response 1 uses the unknown variable “order”" },
    { "A", "\"match\": \"exact\", \"patterns\": [\"hi\"], \"responses\": [\"{{#user.name}}Hi\"]",
      "Rule “A”: response 1 is not a valid template: " },
    /* Regular expressions */
    { "Order number", "\"match\": \"regex\", \"patterns\": [\"order (\"], \"responses\": [\"b\"]",
      "Rule “Order number”: the pattern “order (” is not a valid regular expression: " },
    { "Order number", "\"match\": \"regex\", \"patterns\": [\"[a-\"], \"responses\": [\"b\"]",
      "Rule “Order number”: the pattern “[a-” is not a valid regular expression: " },
    { "Order number", "\"match\": \"regex\", \"patterns\": [\"ok\", \"(a+)+$\"], \"responses\": [\"b\"]",
      "Rule “Order number”: the pattern “(a+)+$” could make matching take too long" },
    { NULL, "\"match\": \"regex\", \"patterns\": [\"(a*)*b\"], \"responses\": [\"b\"]",
      "Rule 2: a name is required" },
  };
  struct
  {
    const char *json;
    const char *message;
  } sets[] = {
    { "", "The rules must be a JSON object" },
    { "{\"rules\": [", "The rules are not valid JSON: " },
    { "not json", "The rules are not valid JSON: " },
    { "[]", "The rules must be a JSON object" },
    { "\"rules\"", "The rules must be a JSON object" },
    { "{\"rules\": {}}", "“rules” must be a list of rules" },
    { "{\"rules\": [{}]}", "Rule 1: a name is required" },
    { "{\"rules\": [\"open\"]}", "Rule 1: it is not a JSON object" },
    { "{\"fallback\": \"Sorry\"}", "“fallback” must be a list of texts" },
    { "{\"fallback\": [\"Sorry\", 2]}", "Fallback answer 2 is not a text" },
    { "{\"fallback\": [\"\"]}", "Fallback answer 1 is empty" },
    { "{\"fallback\": [\"Hi {{agent.name}}\", \"Sorry {{nobody}}\"]}",
      "Fallback answer 2 uses the unknown variable “nobody”" },
    { "{\"fallback\": [\"{{#date}}today\"]}", "Fallback answer 1 is not a valid template: " },
    { "{\"offer_human_after_misses\": -1}", "“offer_human_after_misses” must be a whole number from 0 to 1000" },
    { "{\"offer_human_after_misses\": \"2\"}", "“offer_human_after_misses” must be a whole number from 0 to 1000" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    {
      g_autofree char *json = second_rule (rules[i].name, rules[i].members);

      g_test_message ("%s", json);
      expect_invalid (json, rules[i].message);
    }
  for (guint i = 0; i < G_N_ELEMENTS (sets); i++)
    {
      g_test_message ("%s", sets[i].json);
      expect_invalid (sets[i].json, sets[i].message);
    }
}

static void
test_templates_valid (void)
{
  /* Built-ins and the rule's own named groups are fine; so are defaults. */
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": ["
    " {\"name\": \"Order\", \"match\": \"regex\", \"patterns\": [\"order (?<order>\\\\d+)\", \"(?'ref'REF\\\\d+)\"],"
    "  \"responses\": [\"{{agent.name}} here, {{user.name}}: {{order}}{{ref}} on {{date}} at {{time}}\"]},"
    " {\"name\": \"Default\", \"match\": \"exact\", \"patterns\": [\"hi\"],"
    "  \"responses\": [\"Hello {{customer|there}}\"]}"
    "], \"fallback\": [\"Sorry {{user.name}}\"]}");
  g_autoptr (GHashTable) variables = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (ConfabRuleMatch) order = NULL;
  g_autoptr (ConfabRuleMatch) bare = NULL;
  g_autoptr (ConfabRuleMatch) hi = NULL;

  g_hash_table_insert (variables, "user.name", "Ana");
  g_hash_table_insert (variables, "agent.name", "Crumb");
  g_hash_table_insert (variables, "date", "2026-11-02");
  g_hash_table_insert (variables, "time", "10:00");
  order = match_full (rules, "ref42 order 7", 0, 0, variables);
  g_assert_cmpstr (order->response, ==, "Crumb here, Ana: 7 on 2026-11-02 at 10:00");

  /* The user and the agent, when the caller does not give them, are empty
   * rather than an error. */
  g_hash_table_remove (variables, "user.name");
  g_hash_table_remove (variables, "agent.name");
  bare = match_full (rules, "REF9", 0, 0, variables);
  g_assert_cmpstr (bare->response, ==, " here, : REF9 on 2026-11-02 at 10:00");
  hi = match (rules, "hi");
  g_assert_cmpstr (hi->response, ==, "Hello there");
}

static void
expect_slow (const char *pattern)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *json = NULL;
  g_autofree char *message = g_strdup_printf ("Rule “Order number”: the pattern “%s” could make matching take too long",
                                              pattern);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "rules");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, "Order number");
  json_builder_set_member_name (builder, "match");
  json_builder_add_string_value (builder, "regex");
  json_builder_set_member_name (builder, "patterns");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, pattern);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "responses");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "ok");
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);

  g_test_message ("%s", pattern);
  expect_invalid (json, message);
}

static char *
regex_rule_set (const char *pattern)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "rules");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, "R");
  json_builder_set_member_name (builder, "match");
  json_builder_add_string_value (builder, "regex");
  json_builder_set_member_name (builder, "patterns");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, pattern);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "responses");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "ok");
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static void
test_catastrophic (void)
{
  const char *slow[] = {
    "(a+)+$",
    "(a*)*b",
    "(a|aa)+",
    "(a|a)*c",
    "(x+)*y",
    "^(\\w+\\s?)*$",
    "((ab)+)+",
    "(?:a+){10,}",
    "(?<word>\\d+)+!",
    "(\\d|\\w)+z",
    "([a-z]|[k-q])+",
    "(.*a){12}",
    "(?:x|X)+y",            /* the same letter, ignoring case */
    "^((a+))+$",
  };
  const char *fine[] = {
    "order\\s*#?(?<order>\\d{4,})",
    "(\\d{1,3}\\.){3}\\d{1,3}",
    "(cat|dog)+",
    "(hello|hi)+",
    "(a+)++b",              /* possessive: no backtracking */
    "(?>a+)+b",             /* atomic */
    "^\\s*(hi|hello)\\b",
    "[(a+)+]",              /* a character class, not a group */
    "\\(a+\\)+",            /* escaped parentheses */
    "(\\d|[a-f])+",
    "(a|b)?(a+)",
    "(?i)ticket\\s+(?P<id>[A-Z]+-\\d+)",
  };

  for (guint i = 0; i < G_N_ELEMENTS (slow); i++)
    expect_slow (slow[i]);

  for (guint i = 0; i < G_N_ELEMENTS (fine); i++)
    {
      g_autofree char *json = regex_rule_set (fine[i]);
      g_autoptr (GError) error = NULL;
      g_autoptr (ConfabRuleSet) rules = NULL;

      g_test_message ("%s", fine[i]);
      rules = confab_rule_set_parse (json, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (confab_rule_set_get_n_rules (rules), ==, 1);
    }

  /* Too long to be checked */
  {
    g_autofree char *long_pattern = g_strnfill (CONFAB_RULE_MAX_PATTERN_CHARS + 1, 'a');
    g_autofree char *longest = g_strnfill (CONFAB_RULE_MAX_PATTERN_CHARS, 'a');
    g_autofree char *json = regex_rule_set (long_pattern);
    g_autofree char *ok_json = regex_rule_set (longest);
    g_autoptr (ConfabRuleSet) ok = NULL;

    expect_invalid (json, "Rule “R”: pattern 1 is longer than 500 characters");
    ok = parse_ok (ok_json);
    g_assert_cmpstr (winner (ok, longest), ==, "R");
  }

  /* A valid regex is accepted and matches. */
  {
    g_autofree char *json = regex_rule_set ("^\\s*(hi|hello)\\b");
    g_autoptr (ConfabRuleSet) rules = parse_ok (json);

    g_assert_cmpstr (winner (rules, "  Hello you"), ==, "R");
    g_assert_cmpstr (winner (rules, "hellothere"), ==, "");
  }
}

/* -------------------------------------------------------------------------- */

static void
test_demo_workspace (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data", "demo", "demo-workspace.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  JsonArray *agents;
  guint rule_based = 0;
  gboolean found_bakery = FALSE;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  agents = json_object_get_array_member (json_object_get_object_member (
    json_node_get_object (json_parser_get_root (parser)), "tables"), "agents");
  g_assert_nonnull (agents);

  for (guint i = 0; i < json_array_get_length (agents); i++)
    {
      JsonObject *agent = json_array_get_object_element (agents, i);
      const char *name = json_object_get_string_member (agent, "name");
      const char *type = json_object_get_string_member (agent, "type");
      const char *config = json_object_get_string_member (agent, "config");
      g_autoptr (ConfabRuleSet) rules = NULL;

      g_test_message ("agent %s", name);
      rules = confab_rule_set_parse (config, &error);
      g_assert_no_error (error);
      g_assert_nonnull (rules);
      if (g_strcmp0 (type, "rule_based") == 0)
        {
          g_assert_cmpuint (confab_rule_set_get_n_rules (rules), >, 0);
          rule_based++;
        }

      if (g_strcmp0 (name, "Bakery Concierge") == 0)
        {
          g_autoptr (JsonNode) node = json_from_string (config, &error);
          g_autoptr (ConfabRuleMatch) m = NULL;
          JsonObject *rule;
          JsonArray *responses;
          g_autofree char *folded = NULL;

          g_assert_no_error (error);
          found_bakery = TRUE;
          m = match (rules, "Are you open on Monday?");
          g_assert_cmpint (m->rule_index, >=, 0);
          folded = g_utf8_casefold (m->rule_name, -1);
          g_assert_nonnull (strstr (folded, "hours"));

          rule = json_array_get_object_element (json_object_get_array_member (json_node_get_object (node), "rules"),
                                                m->rule_index);
          g_assert_cmpstr (json_object_get_string_member (rule, "name"), ==, m->rule_name);
          responses = json_object_get_array_member (rule, "responses");
          g_assert_cmpstr (m->response, ==, json_array_get_string_element (responses, 0));
          g_assert_nonnull (strstr (m->response, "Monday"));
          g_assert_null (m->action);
        }
    }
  g_assert_true (found_bakery);
  g_assert_cmpuint (rule_based, >, 0);
}

/* confab_rule_set_explain(): the same answer as confab_rule_set_match(),
 * with a verdict per rule. */
static ConfabRuleExplanation *
explain (ConfabRuleSet *rules,
         const char    *message)
{
  g_autoptr (GError) error = NULL;
  ConfabRuleExplanation *explanation = confab_rule_set_explain (rules, message, 0, 0, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (explanation);
  g_assert_nonnull (explanation->match);
  g_assert_cmpuint (explanation->verdicts->len, ==, confab_rule_set_get_n_rules (rules));
  for (guint i = 0; i < explanation->verdicts->len; i++)
    {
      ConfabRuleVerdict *verdict = g_ptr_array_index (explanation->verdicts, i);

      g_assert_cmpuint (verdict->rule_index, ==, i);
      g_assert_nonnull (verdict->rule_name);
      g_assert_nonnull (verdict->matched);
      g_assert_nonnull (verdict->reason);
      g_assert_nonnull (verdict->match_type);
    }
  return explanation;
}

static ConfabRuleVerdict *
verdict_of (ConfabRuleExplanation *explanation,
            guint                  index)
{
  return g_ptr_array_index (explanation->verdicts, index);
}

static void
test_explain (void)
{
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": ["
    " {\"name\": \"Off\", \"enabled\": false, \"priority\": 50, \"match\": \"keywords_any\", \"patterns\": [\"order\"], \"responses\": [\"off\"]},"
    " {\"name\": \"Holiday\", \"priority\": 20, \"match\": \"keywords_any\", \"patterns\": [\"holiday\"], \"responses\": [\"h\"]},"
    " {\"name\": \"Vetoed\", \"priority\": 15, \"match\": \"keywords_any\", \"patterns\": [\"order\"], \"exclude\": [\"cancel\"], \"responses\": [\"v\"]},"
    " {\"name\": \"Order number\", \"priority\": 10, \"match\": \"regex\", \"patterns\": [\"order\\\\s*#?(?<order>\\\\d+)\"], \"responses\": [\"Order {{order}} is on its way.\"]},"
    " {\"name\": \"Order words\", \"priority\": 10, \"match\": \"keywords_all\", \"patterns\": [\"order\", \"status\"], \"responses\": [\"w\"]},"
    " {\"name\": \"Any order\", \"priority\": 1, \"match\": \"keywords_any\", \"patterns\": [\"order\", \"Cancel\"], \"responses\": [\"a\"]}"
    "]}");
  g_autoptr (ConfabRuleExplanation) e = NULL;
  g_autoptr (ConfabRuleMatch) m = NULL;
  ConfabRuleVerdict *v;

  e = explain (rules, "Please cancel order #1234");
  m = match (rules, "Please cancel order #1234");
  /* The very answer of confab_rule_set_match(). */
  g_assert_cmpint (e->match->rule_index, ==, m->rule_index);
  g_assert_cmpstr (e->match->response, ==, m->response);
  g_assert_cmpstr (e->match->explanation, ==, m->explanation);
  g_assert_cmpstr (e->match->response, ==, "Order 1234 is on its way.");

  /* The winner: what it matched and its named groups. */
  g_assert_nonnull (e->winner);
  g_assert_true (e->winner == verdict_of (e, 3));
  g_assert_cmpint (e->winner->outcome, ==, CONFAB_RULE_OUTCOME_WON);
  g_assert_cmpstr (e->winner->match_type, ==, "regex");
  g_assert_cmpint (e->winner->priority, ==, 10);
  g_assert_cmpstr (e->winner->matched[0], ==, "order\\s*#?(?<order>\\d+)");
  g_assert_cmpstr (e->winner->matched_text, ==, "order #1234");
  g_assert_cmpstr (e->winner->reason, ==,
                   "Rule “Order number” matched “order #1234” with the pattern "
                   "“order\\s*#?(?<order>\\d+)” (priority 10).");
  g_assert_cmpuint (g_hash_table_size (e->captures), ==, 1);
  g_assert_cmpstr (g_hash_table_lookup (e->captures, "order"), ==, "1234");

  /* Why the rules above it did not answer. */
  v = verdict_of (e, 0);
  g_assert_cmpint (v->outcome, ==, CONFAB_RULE_OUTCOME_DISABLED);
  g_assert_cmpstr (v->reason, ==, "It is turned off.");
  v = verdict_of (e, 1);
  g_assert_cmpint (v->outcome, ==, CONFAB_RULE_OUTCOME_NO_MATCH);
  g_assert_cmpstr (v->reason, ==, "None of its keywords is in the message.");
  g_assert_cmpuint (g_strv_length (v->matched), ==, 0);
  v = verdict_of (e, 2);
  g_assert_cmpint (v->outcome, ==, CONFAB_RULE_OUTCOME_EXCLUDED);
  g_assert_cmpstr (v->excluded_by, ==, "cancel");
  g_assert_cmpstr (v->matched[0], ==, "order");
  g_assert_cmpstr (v->reason, ==, "It matched, but the message has the exclude word “cancel”.");

  /* And the ones below. */
  v = verdict_of (e, 4);
  g_assert_cmpint (v->outcome, ==, CONFAB_RULE_OUTCOME_NO_MATCH);
  g_assert_cmpstr (v->matched[0], ==, "order");
  g_assert_null (v->matched[1]);
  g_assert_cmpstr (v->missing[0], ==, "status");
  g_assert_null (v->missing[1]);
  g_assert_cmpstr (v->reason, ==, "The keyword “status” is not in the message.");
  v = verdict_of (e, 5);
  g_assert_cmpint (v->outcome, ==, CONFAB_RULE_OUTCOME_OUTRANKED);
  g_assert_cmpstr (v->matched[0], ==, "order");
  g_assert_cmpstr (v->matched[1], ==, "Cancel");
  g_assert_cmpstr (v->reason, ==, "It matched, but “Order number” won with a higher priority (10).");
  g_clear_pointer (&e, confab_rule_explanation_free);

  /* Same priority: specificity, then length, then order. */
  e = explain (rules, "Cancel order 7 status");
  g_assert_true (e->winner == verdict_of (e, 3));
  g_assert_cmpstr (verdict_of (e, 4)->reason, ==,
                   "It matched, but “Order number” won with the same priority because "
                   "“regex” is more specific than “keywords_all”.");
  g_assert_null (verdict_of (e, 4)->missing);
  g_assert_cmpint (verdict_of (e, 2)->outcome, ==, CONFAB_RULE_OUTCOME_EXCLUDED);
  g_assert_cmpint (verdict_of (e, 5)->outcome, ==, CONFAB_RULE_OUTCOME_OUTRANKED);
  g_assert_cmpint (verdict_of (e, 1)->outcome, ==, CONFAB_RULE_OUTCOME_NO_MATCH);
  g_clear_pointer (&e, confab_rule_explanation_free);
}

static void
test_explain_fallback (void)
{
  g_autoptr (ConfabRuleSet) rules = parse_ok (
    "{\"rules\": ["
    " {\"name\": \"Hello\", \"match\": \"exact\", \"patterns\": [\"hello\"], \"responses\": [\"Hi\"]},"
    " {\"name\": \"Digits\", \"match\": \"regex\", \"patterns\": [\"\\\\d{3}\"], \"responses\": [\"n\"]},"
    " {\"name\": \"Same\", \"match\": \"keywords_any\", \"patterns\": [\"pie\"], \"responses\": [\"1\"]},"
    " {\"name\": \"Same too\", \"match\": \"keywords_any\", \"patterns\": [\"pie\"], \"responses\": [\"2\"]}"
    "], \"fallback\": [\"Pardon?\"]}");
  g_autoptr (ConfabRuleExplanation) e = NULL;
  g_autofree char *long_message = NULL;

  e = explain (rules, "hello there");
  g_assert_null (e->winner);
  g_assert_cmpint (e->match->rule_index, ==, -1);
  g_assert_cmpstr (e->match->response, ==, "Pardon?");
  g_assert_cmpuint (g_hash_table_size (e->captures), ==, 0);
  g_assert_cmpstr (verdict_of (e, 0)->reason, ==, "The message is not one of its phrases.");
  g_assert_cmpstr (verdict_of (e, 1)->reason, ==, "None of its patterns matches the message.");
  g_clear_pointer (&e, confab_rule_explanation_free);

  /* A tie decided by the order. */
  e = explain (rules, "pie");
  g_assert_true (e->winner == verdict_of (e, 2));
  g_assert_cmpstr (verdict_of (e, 3)->reason, ==,
                   "It matched, but “Same” won because it comes first in the list.");
  g_clear_pointer (&e, confab_rule_explanation_free);

  /* Too long for a regex. */
  long_message = g_strnfill (CONFAB_RULE_MAX_MESSAGE_CHARS + 1, '1');
  e = explain (rules, long_message);
  g_assert_null (e->winner);
  g_assert_cmpstr (verdict_of (e, 1)->reason, ==,
                   "The message is longer than 10000 characters, too long for regular expressions.");
  g_clear_pointer (&e, confab_rule_explanation_free);

  /* No rules at all. */
  {
    g_autoptr (ConfabRuleSet) empty = parse_ok ("{}");

    e = explain (empty, "anything");
    g_assert_null (e->winner);
    g_assert_cmpuint (e->verdicts->len, ==, 0);
    g_assert_cmpstr (e->match->response, ==, "Sorry, I did not understand that.");
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/rules/normalize", test_normalize);
  g_test_add_func ("/rules/exact", test_exact);
  g_test_add_func ("/rules/keywords-any", test_keywords_any);
  g_test_add_func ("/rules/keywords-all", test_keywords_all);
  g_test_add_func ("/rules/regex", test_regex);
  g_test_add_func ("/rules/regex-groups", test_regex_groups);
  g_test_add_func ("/rules/exclude", test_exclude);
  g_test_add_func ("/rules/disabled", test_disabled);
  g_test_add_func ("/rules/choice", test_choice);
  g_test_add_func ("/rules/rotation", test_rotation);
  g_test_add_func ("/rules/fallback", test_fallback);
  g_test_add_func ("/rules/fallback-offer-setting", test_fallback_offer_setting);
  g_test_add_func ("/rules/default-fallback", test_default_fallback);
  g_test_add_func ("/rules/actions", test_actions);
  g_test_add_func ("/rules/long-message", test_long_message);
  g_test_add_func ("/rules/odd-input", test_odd_input);
  g_test_add_func ("/rules/validation", test_validation);
  g_test_add_func ("/rules/templates", test_templates_valid);
  g_test_add_func ("/rules/catastrophic", test_catastrophic);
  g_test_add_func ("/rules/demo-workspace", test_demo_workspace);
  g_test_add_func ("/rules/explain", test_explain);
  g_test_add_func ("/rules/explain-fallback", test_explain_fallback);

  return g_test_run ();
}
