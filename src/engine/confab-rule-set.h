#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Rule-based agents: the rules in an agent's `config` JSON, and which one
 * answers a message. Pure: no database, no network, no global state.
 *
 * ## The rule set (an agent's `config`)
 *
 *     {
 *       "rules": [
 *         {
 *           "name": "Opening hours",          required, used in errors and explanations
 *           "enabled": true,                  optional, default true
 *           "priority": 10,                   optional whole number, default 0; higher wins
 *           "match": "keywords_any",          "exact", "keywords_any", "keywords_all" or "regex"
 *           "patterns": ["open", "hours"],    at least one
 *           "exclude": ["bank holiday"],      optional words or phrases that veto the rule
 *           "responses": ["We open at 7."],   at least one template; rotated per reply
 *           "action": "escalate",             optional: "escalate", "handoff" or "end"
 *           "handoff_agent": "agent id"       optional, for "handoff"
 *         }
 *       ],
 *       "fallback": ["Sorry, I did not catch that."],   optional, rotated per miss
 *       "offer_human_after_misses": 2                   optional, default 2; 0 never offers
 *     }
 *
 * Unknown keys are ignored, and `null` counts as a missing key. A missing
 * config (NULL) or one without "rules" is a rule set that only falls back.
 *
 * ## Matching
 *
 * The message and every keyword, exact phrase and exclude word are
 * normalised alike (confab_rule_normalize()): case folded, accents dropped,
 * punctuation turned into spaces, spaces collapsed.
 *
 *  - `exact`: the whole message equals one of the patterns ("Hello!" matches
 *    "hello").
 *  - `keywords_any`: one of the patterns occurs as whole words ("open" matches
 *    "Are you OPEN?" but not "reopened"; "gluten free" matches "gluten-free").
 *  - `keywords_all`: every pattern occurs as whole words.
 *  - `regex`: a Perl-compatible regular expression, run case-insensitively on
 *    the original message; the first pattern that matches counts. Named groups
 *    (`(?<order>\d+)`) become template variables of the response ({{order}}).
 *    Patterns longer than CONFAB_RULE_MAX_PATTERN_CHARS characters, or that
 *    could backtrack catastrophically (a repeated group that itself repeats,
 *    like `(a+)+`, or whose alternatives overlap, like `(a|aa)+`), are
 *    refused. Messages longer than CONFAB_RULE_MAX_MESSAGE_CHARS characters
 *    match no regex rule.
 *
 * A rule with an exclude word or phrase in the message, or disabled, does not
 * match. Among the rules that match, the winner has the highest priority,
 * then the most specific match type (exact > regex > keywords_all >
 * keywords_any), then the longest matched text (the characters of the matched
 * keywords, or of the regex match), then comes first in the list.
 *
 * Responses and fallback answers are templates (confab-template.h): besides
 * the rule's named groups they may use {{user.name}}, {{agent.name}},
 * {{date}} and {{time}}; any other variable is a config error. A user or
 * agent name the caller does not give is empty ({{user.name|there}} then
 * says "there").
 *
 * No rule matches: the fallback answer number `misses` (rotated) is given,
 * or "Sorry, I did not understand that." without one. When this is the
 * offer_human_after_misses-th miss in a row or later, the answer also asks
 * whether the user wants to talk to a person (unless it already does), and
 * offer_human is set.
 *
 * ## Validation
 *
 * confab_rule_set_parse() checks everything that could fail at chat time:
 * invalid JSON, a rule without a name, an unknown match type or action, no
 * patterns or responses, a regex that does not compile or could take too
 * long, a response that is not a valid template or uses an unknown variable.
 * The error (CONFAB_ERROR_INVALID) names the rule ("Rule “Order number”: …",
 * or "Rule 3: …" when it has no name) and the reason. */

#define CONFAB_RULE_MAX_PATTERN_CHARS  500
#define CONFAB_RULE_MAX_MESSAGE_CHARS  10000
#define CONFAB_RULE_DEFAULT_OFFER_HUMAN_AFTER_MISSES 2

typedef struct _ConfabRuleSet ConfabRuleSet;   /* immutable after parse */

typedef struct
{
  int       rule_index;     /* -1: no rule matched (fallback) */
  char     *rule_name;      /* NULL for fallback */
  char     *response;       /* rendered text */
  char     *action;         /* NULL, "escalate", "handoff", "end" */
  char     *handoff_agent;  /* nullable */
  gboolean  offer_human;    /* the fallback after N misses in a row offers a person */
  char     *explanation;    /* translated: why this rule won, for the "test a sentence" UI */
} ConfabRuleMatch;

ConfabRuleSet   *confab_rule_set_parse       (const char    *config_json,
                                              GError       **error);
void             confab_rule_set_free        (ConfabRuleSet *self);
guint            confab_rule_set_get_n_rules (ConfabRuleSet *self);

/* turn: how many replies the agent has given in this conversation (response
 * turn % n of the winning rule); misses: the fallbacks in a row before this
 * message. variables (char* -> char*, nullable): extra template variables
 * such as user.name and agent.name; named regex groups are added to a copy.
 * NULL with error only if the response cannot be rendered, which a parsed
 * rule set prevents short of a caller's value that is not UTF-8. */
ConfabRuleMatch *confab_rule_set_match       (ConfabRuleSet *self,
                                              const char    *message,
                                              guint          turn,
                                              guint          misses,
                                              GHashTable    *variables,
                                              GError       **error);
void             confab_rule_match_free      (ConfabRuleMatch *m);

/* What happened to each rule for one message, for the editor's "test a
 * sentence": the rule that answers, what it matched (words, pattern, named
 * groups), and why every other rule did not answer. */
typedef enum
{
  CONFAB_RULE_OUTCOME_WON,        /* it answers */
  CONFAB_RULE_OUTCOME_OUTRANKED,  /* it matched, but another rule won */
  CONFAB_RULE_OUTCOME_NO_MATCH,   /* its patterns did not match */
  CONFAB_RULE_OUTCOME_EXCLUDED,   /* it matched, but an exclude word vetoed it */
  CONFAB_RULE_OUTCOME_DISABLED,   /* it is turned off */
} ConfabRuleOutcome;

typedef struct
{
  guint              rule_index;
  char              *rule_name;
  ConfabRuleOutcome  outcome;
  int                priority;
  const char        *match_type;    /* "exact", "keywords_any", "keywords_all", "regex" */
  char             **matched;       /* WON, OUTRANKED, EXCLUDED: the keywords or the exact
                                     * phrase as written, or the regex pattern; else empty */
  char              *matched_text;  /* regex rules that matched: the text matched */
  char             **missing;       /* keywords_all that did not match: the absent keywords */
  char              *excluded_by;   /* EXCLUDED: the exclude word or phrase found */
  char              *reason;        /* translated: one sentence saying why */
} ConfabRuleVerdict;

typedef struct
{
  ConfabRuleMatch   *match;     /* what confab_rule_set_match() answers */
  ConfabRuleVerdict *winner;    /* one of verdicts, or NULL when the fallback answers */
  GHashTable        *captures;  /* char* -> char*: the winner's named regex groups */
  GPtrArray         *verdicts;  /* ConfabRuleVerdict*: one per rule, in list order */
} ConfabRuleExplanation;

/* confab_rule_set_match() with the reasons: the same arguments, the same
 * answer in ->match, and a verdict per rule. NULL with error only where
 * confab_rule_set_match() fails. */
ConfabRuleExplanation *confab_rule_set_explain      (ConfabRuleSet         *self,
                                                     const char            *message,
                                                     guint                  turn,
                                                     guint                  misses,
                                                     GHashTable            *variables,
                                                     GError               **error);
void                   confab_rule_explanation_free (ConfabRuleExplanation *explanation);

/* Lower-case (Unicode case folding), accents folded (NFKD, combining marks
 * dropped), everything but letters and digits turned into spaces, runs of
 * spaces collapsed, trimmed. Exposed for tests. */
char            *confab_rule_normalize       (const char    *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabRuleSet, confab_rule_set_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabRuleMatch, confab_rule_match_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabRuleExplanation, confab_rule_explanation_free)

G_END_DECLS
