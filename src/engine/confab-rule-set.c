#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-rule-set.h"
#include "confab-template.h"

/* The rules of a rule-based agent; the format is described in
 * confab-rule-set.h. Everything that could go wrong with a rule is found by
 * confab_rule_set_parse(), so that matching a message only fails if the
 * template engine does. */

/* In increasing specificity: the order breaks ties of priority. */
typedef enum
{
  MATCH_KEYWORDS_ANY,
  MATCH_KEYWORDS_ALL,
  MATCH_REGEX,
  MATCH_EXACT,
} MatchType;

static const char * const match_type_names[] = {
  "keywords_any", "keywords_all", "regex", "exact",
};

static const char * const action_names[] = {
  "escalate", "handoff", "end", NULL,
};

/* What a response can count on besides the rule's named groups. The
 * template engine knows the date and the time; the caller gives the rest. */
static const char * const builtin_variables[] = {
  "user.name", "agent.name", "date", "time", NULL,
};
static const char * const caller_variables[] = {
  "user.name", "agent.name", NULL,
};

#define MAX_OFFER_HUMAN_AFTER_MISSES 1000

typedef struct
{
  char      *name;
  gboolean   enabled;
  int        priority;
  MatchType  match;
  GPtrArray *patterns;    /* char*: as written */
  GPtrArray *normalized;  /* char*: keywords and exact phrases normalised, beside patterns */
  GPtrArray *regexes;     /* GRegex*: beside patterns, for regex rules */
  GPtrArray *groups;      /* char*: the named groups of all the patterns */
  GPtrArray *exclude;     /* char*: as written */
  GPtrArray *exclude_normalized;
  GPtrArray *responses;   /* ConfabTemplate* */
  char      *action;
  char      *handoff_agent;
} Rule;

struct _ConfabRuleSet
{
  GPtrArray *rules;     /* Rule* */
  GPtrArray *fallback;  /* ConfabTemplate* */
  guint      offer_human_after_misses;
};

static void
rule_free (Rule *rule)
{
  g_free (rule->name);
  g_clear_pointer (&rule->patterns, g_ptr_array_unref);
  g_clear_pointer (&rule->normalized, g_ptr_array_unref);
  g_clear_pointer (&rule->regexes, g_ptr_array_unref);
  g_clear_pointer (&rule->groups, g_ptr_array_unref);
  g_clear_pointer (&rule->exclude, g_ptr_array_unref);
  g_clear_pointer (&rule->exclude_normalized, g_ptr_array_unref);
  g_clear_pointer (&rule->responses, g_ptr_array_unref);
  g_free (rule->action);
  g_free (rule->handoff_agent);
  g_free (rule);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Rule, rule_free)

static Rule *
rule_new (void)
{
  Rule *rule = g_new0 (Rule, 1);

  rule->enabled = TRUE;
  rule->patterns = g_ptr_array_new_with_free_func (g_free);
  rule->normalized = g_ptr_array_new_with_free_func (g_free);
  rule->regexes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_regex_unref);
  rule->groups = g_ptr_array_new_with_free_func (g_free);
  rule->exclude = g_ptr_array_new_with_free_func (g_free);
  rule->exclude_normalized = g_ptr_array_new_with_free_func (g_free);
  rule->responses = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_template_free);
  return rule;
}

void
confab_rule_set_free (ConfabRuleSet *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->rules);
  g_ptr_array_unref (self->fallback);
  g_free (self);
}

void
confab_rule_match_free (ConfabRuleMatch *m)
{
  if (m == NULL)
    return;
  g_free (m->rule_name);
  g_free (m->response);
  g_free (m->action);
  g_free (m->handoff_agent);
  g_free (m->explanation);
  g_free (m);
}

guint
confab_rule_set_get_n_rules (ConfabRuleSet *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->rules->len;
}

static gboolean
str_in_array (GPtrArray  *array,
              const char *str)
{
  for (guint i = 0; i < array->len; i++)
    if (g_strcmp0 (g_ptr_array_index (array, i), str) == 0)
      return TRUE;
  return FALSE;
}

/* “a”, “b”, “c” */
static char *
quote_list (GPtrArray *strings)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < strings->len; i++)
    {
      if (i > 0)
        g_string_append (out, ", ");
      g_string_append_printf (out, "“%s”", (const char *) g_ptr_array_index (strings, i));
    }
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------ */
/* Normalisation                                                            */
/* ------------------------------------------------------------------------ */

char *
confab_rule_normalize (const char *text)
{
  g_autofree char *valid = NULL;
  g_autofree char *decomposed = NULL;
  g_autofree char *folded = NULL;
  g_autofree char *again = NULL;
  GString *out;
  gboolean space = FALSE;

  if (text == NULL)
    return g_strdup ("");
  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);

  /* Decomposing first lets case folding see the letters of compatibility
   * characters ("ℌ" is "H"); folding can compose again ("İ"), so once more. */
  decomposed = g_utf8_normalize (text, -1, G_NORMALIZE_NFKD);
  folded = g_utf8_casefold (decomposed, -1);
  again = g_utf8_normalize (folded, -1, G_NORMALIZE_NFKD);

  out = g_string_sized_new (strlen (again));
  for (const char *p = again; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      GUnicodeType type = g_unichar_type (c);

      if (type == G_UNICODE_NON_SPACING_MARK || type == G_UNICODE_ENCLOSING_MARK)
        continue;
      if (g_unichar_isalnum (c) || type == G_UNICODE_SPACING_MARK)
        {
          if (space && out->len > 0)
            g_string_append_c (out, ' ');
          space = FALSE;
          g_string_append_unichar (out, c);
        }
      else
        space = TRUE;
    }
  return g_string_free (out, FALSE);
}

/* Whether `words` (normalised) occurs as whole words in `padded`, a
 * normalised message with a space on either side. */
static gboolean
has_words (const char *padded,
           const char *words)
{
  g_autofree char *needle = g_strconcat (" ", words, " ", NULL);

  return strstr (padded, needle) != NULL;
}

/* ------------------------------------------------------------------------ */
/* Regular expressions that could take too long                             */
/* ------------------------------------------------------------------------ */

/* Reading a pattern far enough to find the two shapes that make a
 * backtracking matcher take exponential time on a message that almost
 * matches: a group repeated without bound that itself holds something
 * repeated without bound ("(a+)+", "(a*)*", "(\w+\s?)*"), and a group
 * repeated without bound whose alternatives can start with the same
 * character ("(a|aa)+", "(\d|\w)+"). Possessive quantifiers and atomic groups
 * never backtrack, so they are fine. It errs on the side of refusing: a
 * refused pattern can always be written another way. It also collects the
 * names of the groups. */

#define UNBOUNDED G_MAXUINT

/* The most backtracking steps one regex match may take (PCRE2's default is
 * 10,000,000, seconds of work); a pattern may lower it further. */
#define REGEX_LIMIT_PREFIX "(*LIMIT_MATCH=100000)"

/* A piece of the pattern that matches one character; start NULL when it
 * could be anything (a backreference, a recursion). */
typedef struct
{
  const char *start;
  gsize       len;
} Atom;

typedef struct
{
  GArray   *firsts;        /* Atom: what its first character can be */
  gboolean  can_be_empty;
  char     *literal;       /* the text it matches when it is plain text, else NULL */
} Alternative;

typedef struct
{
  gboolean   zero_width;    /* a lookaround */
  gboolean   atomic;        /* never backtracked into */
  gboolean   risky;         /* something inside repeats without bound */
  GPtrArray *alternatives;  /* Alternative*, the finished ones */
  GArray    *firsts;        /* of the alternative being read */
  gboolean   started;       /* the alternative being read cannot be empty */
  GString   *literal;       /* its text while it is plain text, else NULL */
} Frame;

typedef struct
{
  GPtrArray *stack;           /* Frame*, the innermost last */
  gboolean   have_last;       /* there is something a quantifier applies to */
  gboolean   last_was_first;  /* ... and it started its alternative */
  gboolean   last_is_literal; /* ... and it is a plain character */
  Frame     *last_group;      /* ... and it is this group (owned) */
  gboolean   last_is_one;     /* ... and it is one character, of last_one */
  Atom       last_one;
  gboolean   item_pending;    /* the item read last is not settled yet */
  gboolean   has_run;         /* what was read ends with a repeat of one character... */
  Atom       run;             /* ... of this one */
  gboolean   dangerous;
} RegexScan;

static void
alternative_free (gpointer data)
{
  Alternative *alternative = data;

  g_array_unref (alternative->firsts);
  g_free (alternative->literal);
  g_free (alternative);
}

static Frame *
frame_new (void)
{
  Frame *frame = g_new0 (Frame, 1);

  frame->alternatives = g_ptr_array_new_with_free_func (alternative_free);
  frame->firsts = g_array_new (FALSE, FALSE, sizeof (Atom));
  frame->literal = g_string_new (NULL);
  return frame;
}

static void
frame_free (gpointer data)
{
  Frame *frame = data;

  g_ptr_array_unref (frame->alternatives);
  g_array_unref (frame->firsts);
  if (frame->literal != NULL)
    g_string_free (frame->literal, TRUE);
  g_free (frame);
}

static void
frame_end_alternative (Frame *frame)
{
  Alternative *alternative = g_new0 (Alternative, 1);

  alternative->firsts = frame->firsts;
  alternative->can_be_empty = !frame->started;
  alternative->literal = frame->literal ? g_string_free (frame->literal, FALSE) : NULL;
  g_ptr_array_add (frame->alternatives, alternative);

  frame->firsts = g_array_new (FALSE, FALSE, sizeof (Atom));
  frame->started = FALSE;
  frame->literal = g_string_new (NULL);
}

static Frame *
scan_top (RegexScan *scan)
{
  return g_ptr_array_index (scan->stack, scan->stack->len - 1);
}

static void
scan_forget_last (RegexScan *scan)
{
  /* Anything but a repeat of one character ends a run of them. */
  if (scan->item_pending)
    scan->has_run = FALSE;
  scan->item_pending = FALSE;
  scan->last_is_one = FALSE;
  scan->have_last = FALSE;
  scan->last_was_first = FALSE;
  scan->last_is_literal = FALSE;
  g_clear_pointer (&scan->last_group, frame_free);
}

/* Something that is not plain text ends the alternative's literal text. */
static void
scan_not_literal (RegexScan *scan)
{
  Frame *frame = scan_top (scan);

  if (frame->literal != NULL)
    {
      g_string_free (frame->literal, TRUE);
      frame->literal = NULL;
    }
}

static void
scan_add (RegexScan  *scan,
          const Atom *firsts,
          guint       n_firsts,
          gboolean    can_be_empty)
{
  Frame *frame = scan_top (scan);

  scan->have_last = TRUE;
  scan->item_pending = TRUE;
  scan->last_was_first = !frame->started;
  scan->last_is_literal = FALSE;
  if (!frame->started)
    {
      g_array_append_vals (frame->firsts, firsts, n_firsts);
      if (!can_be_empty)
        frame->started = TRUE;
    }
}

static void
scan_add_atom (RegexScan  *scan,
               const char *start,
               gsize       len)
{
  Atom atom = { start, len };

  scan_add (scan, &atom, 1, FALSE);
  scan->last_is_one = start != NULL;
  scan->last_one = atom;
  scan_not_literal (scan);
}

static void
scan_add_literal (RegexScan *scan,
                  gunichar   c,
                  const char *start,
                  gsize       len)
{
  Frame *frame = scan_top (scan);
  Atom atom = { start, len };

  scan_add (scan, &atom, 1, FALSE);
  scan->last_is_literal = TRUE;
  scan->last_is_one = TRUE;
  scan->last_one = atom;
  if (frame->literal != NULL)
    g_string_append_unichar (frame->literal, c);
}

static gboolean
same_char (gunichar a,
           gunichar b)
{
  return a == b ||
         g_unichar_tolower (a) == g_unichar_tolower (b) ||
         g_unichar_toupper (a) == g_unichar_toupper (b);
}

/* The class of \d, \w, \s and friends; FALSE if `e` names none. */
static gboolean
escape_class_has (char      e,
                  gunichar  c,
                  gboolean *has)
{
  gboolean yes;

  switch (g_ascii_tolower (e))
    {
    case 'd':
      yes = g_unichar_isdigit (c);
      break;
    case 'w':
      yes = g_unichar_isalnum (c) || c == '_';
      break;
    case 's':
      yes = g_unichar_isspace (c);
      break;
    case 'h':
      yes = c == ' ' || c == '\t' || c == 0xa0;
      break;
    case 'v':
      yes = c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x85 || c == 0x2028 || c == 0x2029;
      break;
    default:
      return FALSE;
    }
  *has = g_ascii_isupper (e) ? !yes : yes;
  return TRUE;
}

/* The character an escape like \n, \x41 or \. stands for; *len is its length
 * in the pattern. FALSE when it is something else. */
static gboolean
escape_literal (const char *p,
                const char *end,
                gunichar   *c,
                gsize      *len)
{
  char e;

  if (p + 1 >= end)
    return FALSE;
  e = p[1];
  *len = 2;
  switch (e)
    {
    case 'n': *c = '\n'; return TRUE;
    case 't': *c = '\t'; return TRUE;
    case 'r': *c = '\r'; return TRUE;
    case 'f': *c = '\f'; return TRUE;
    case 'a': *c = 0x07; return TRUE;
    case 'e': *c = 0x1b; return TRUE;
    case 'x':
      {
        const char *q = p + 2;
        gunichar value = 0;
        guint digits = 0;
        gboolean braces = q < end && *q == '{';

        if (braces)
          q++;
        while (q < end && g_ascii_isxdigit (*q) && (braces || digits < 2) && digits < 8)
          {
            value = value * 16 + g_ascii_xdigit_value (*q);
            q++;
            digits++;
          }
        if (braces)
          {
            if (q >= end || *q != '}')
              return FALSE;
            q++;
          }
        *c = value;
        *len = q - p;
        return TRUE;
      }
    default:
      if (g_ascii_isalnum (e) || (guchar) e >= 0x80)
        return FALSE;
      *c = (guchar) e;
      return TRUE;
    }
}

/* [:alpha:] and friends; FALSE for a name it does not know. */
static gboolean
posix_class_has (const char *name,
                 gsize       len,
                 gunichar    c,
                 gboolean   *has)
{
  gboolean negate = len > 0 && name[0] == '^';
  g_autofree char *word = g_strndup (name + negate, len - negate);
  gboolean yes;

  if (g_str_equal (word, "alpha") || g_str_equal (word, "upper") || g_str_equal (word, "lower"))
    yes = g_unichar_isalpha (c);
  else if (g_str_equal (word, "digit"))
    yes = g_unichar_isdigit (c);
  else if (g_str_equal (word, "alnum"))
    yes = g_unichar_isalnum (c);
  else if (g_str_equal (word, "word"))
    yes = g_unichar_isalnum (c) || c == '_';
  else if (g_str_equal (word, "space"))
    yes = g_unichar_isspace (c);
  else if (g_str_equal (word, "blank"))
    yes = c == ' ' || c == '\t';
  else if (g_str_equal (word, "punct"))
    yes = g_unichar_ispunct (c);
  else if (g_str_equal (word, "xdigit"))
    yes = g_unichar_isxdigit (c);
  else
    return FALSE;
  *has = negate ? !yes : yes;
  return TRUE;
}

static gboolean
in_range_caseless (gunichar c,
                   gunichar low,
                   gunichar high)
{
  gunichar lower = g_unichar_tolower (c);
  gunichar upper = g_unichar_toupper (c);

  return (c >= low && c <= high) || (lower >= low && lower <= high) || (upper >= low && upper <= high);
}

/* Whether the bracket class [start, start + len) can match c; TRUE when it
 * cannot tell. */
static gboolean
bracket_has (const char *start,
             gsize       len,
             gunichar    c)
{
  const char *p = start + 1;
  const char *end = start + len;
  gboolean negate = FALSE;
  gboolean found = FALSE;

  if (end > p && end[-1] == ']')
    end--;
  if (p < end && *p == '^')
    {
      negate = TRUE;
      p++;
    }
  while (p < end)
    {
      gunichar low;
      gunichar high;
      gsize n;

      if (*p == '[' && p + 1 < end && p[1] == ':')
        {
          const char *close = g_strstr_len (p + 2, end - p - 2, ":]");
          gboolean has = FALSE;

          if (close == NULL || !posix_class_has (p + 2, close - p - 2, c, &has))
            return TRUE;
          found |= has;
          p = close + 2;
          continue;
        }
      if (*p == '\\')
        {
          gboolean has = FALSE;

          if (p + 1 < end && escape_class_has (p[1], c, &has))
            {
              found |= has;
              p += 2;
              continue;
            }
          if (!escape_literal (p, end, &low, &n))
            return TRUE;
          p += n;
        }
      else
        {
          low = g_utf8_get_char (p);
          p = g_utf8_next_char (p);
        }

      high = low;
      if (p + 1 < end && *p == '-')
        {
          const char *q = p + 1;

          if (*q == '\\')
            {
              if (!escape_literal (q, end, &high, &n))
                return TRUE;
              q += n;
            }
          else
            {
              high = g_utf8_get_char (q);
              q = g_utf8_next_char (q);
            }
          p = q;
        }
      if (in_range_caseless (c, low, high))
        found = TRUE;
    }
  return negate ? !found : found;
}

/* Whether the atom can match c; TRUE when it cannot tell. */
static gboolean
atom_has (const Atom *atom,
          gunichar    c)
{
  const char *end;
  gunichar literal;
  gsize n;
  gboolean has = FALSE;

  if (atom->start == NULL)
    return TRUE;
  end = atom->start + atom->len;
  switch (atom->start[0])
    {
    case '.':
      return c != '\n';
    case '[':
      return bracket_has (atom->start, atom->len, c);
    case '\\':
      if (atom->len > 1 && escape_class_has (atom->start[1], c, &has))
        return has;
      if (atom->len > 1 && atom->start[1] == 'N')
        return c != '\n';
      if (!escape_literal (atom->start, end, &literal, &n))
        return TRUE;
      return same_char (literal, c);
    default:
      return same_char (g_utf8_get_char (atom->start), c);
    }
}

static gboolean
firsts_overlap (GArray *a,
                GArray *b)
{
  /* The characters tried: ASCII, and a few letters, digits and spaces of
   * other scripts. */
  static const gunichar others[] = { 0xa0, 0xc9, 0xdf, 0xe9, 0x416, 0x436, 0x661, 0x2028, 0x4e2d };

  for (guint i = 0; i < a->len; i++)
    for (guint j = 0; j < b->len; j++)
      {
        const Atom *x = &g_array_index (a, Atom, i);
        const Atom *y = &g_array_index (b, Atom, j);

        if (x->start == NULL || y->start == NULL)
          return TRUE;
        for (gunichar c = 0x09; c < 0x7f; c++)
          if (atom_has (x, c) && atom_has (y, c))
            return TRUE;
        for (guint k = 0; k < G_N_ELEMENTS (others); k++)
          if (atom_has (x, others[k]) && atom_has (y, others[k]))
            return TRUE;
      }
  return FALSE;
}

/* Whether two alternatives of a group can both match at the same place. Two
 * plain texts can only when one starts the other ("a" and "aa"); otherwise
 * it is enough that their first characters can be the same. */
static gboolean
alternatives_overlap (Frame *group)
{
  for (guint i = 0; i < group->alternatives->len; i++)
    for (guint j = i + 1; j < group->alternatives->len; j++)
      {
        Alternative *a = g_ptr_array_index (group->alternatives, i);
        Alternative *b = g_ptr_array_index (group->alternatives, j);

        if (a->literal != NULL && b->literal != NULL && a->literal[0] != '\0' && b->literal[0] != '\0')
          {
            g_autofree char *fa = g_utf8_casefold (a->literal, -1);
            g_autofree char *fb = g_utf8_casefold (b->literal, -1);

            if (g_str_has_prefix (fa, fb) || g_str_has_prefix (fb, fa))
              return TRUE;
            continue;
          }
        if (firsts_overlap (a->firsts, b->firsts))
          return TRUE;
      }
  return FALSE;
}

static void
scan_quantifier (RegexScan *scan,
                 guint      min,
                 guint      max,
                 gboolean   possessive)
{
  Frame *frame = scan_top (scan);
  Frame *group = scan->last_group;
  gboolean repeats = max == UNBOUNDED || max >= 10;
  gboolean varies = max == UNBOUNDED || max - min >= 10;

  if (!scan->have_last)
    return;

  /* Two repeats in a row that can match the same character ("a+a+b",
   * "\w+\d+", "a{1,100}a{1,100}"): on a message of that character the
   * matcher tries every way to share it out between them, from every
   * position, and the match limit does not count those steps. */
  if (varies && !possessive && scan->last_is_one)
    {
      if (scan->has_run)
        {
          g_autoptr (GArray) a = g_array_new (FALSE, FALSE, sizeof (Atom));
          g_autoptr (GArray) b = g_array_new (FALSE, FALSE, sizeof (Atom));

          g_array_append_val (a, scan->run);
          g_array_append_val (b, scan->last_one);
          if (firsts_overlap (a, b))
            scan->dangerous = TRUE;
        }
      scan->has_run = TRUE;
      scan->run = scan->last_one;
      scan->item_pending = FALSE;
    }
  else if (varies)
    {
      scan->has_run = FALSE;
      scan->item_pending = FALSE;
    }

  if (group != NULL && repeats && !possessive && !group->atomic &&
      (group->risky || alternatives_overlap (group)))
    scan->dangerous = TRUE;
  if (varies && !possessive)
    frame->risky = TRUE;
  /* "a?b": the alternative can start with "b" as well. */
  if (min == 0 && scan->last_was_first)
    frame->started = FALSE;
  if (min != 1 || max != 1)
    scan_not_literal (scan);
}

/* A quantifier at p: its bounds and length, or FALSE. */
static gboolean
parse_quantifier (const char *p,
                  guint      *min,
                  guint      *max,
                  gboolean   *possessive,
                  gsize      *len)
{
  const char *q = p + 1;

  switch (*p)
    {
    case '*':
      *min = 0;
      *max = UNBOUNDED;
      break;
    case '+':
      *min = 1;
      *max = UNBOUNDED;
      break;
    case '?':
      *min = 0;
      *max = 1;
      break;
    case '{':
      {
        guint64 low = 0;
        guint64 high;
        gboolean digits = FALSE;

        while (g_ascii_isdigit (*q))
          {
            low = MIN (low * 10 + (*q - '0'), UNBOUNDED - 1);
            digits = TRUE;
            q++;
          }
        if (!digits)
          return FALSE;
        high = low;
        if (*q == ',')
          {
            q++;
            if (g_ascii_isdigit (*q))
              {
                high = 0;
                while (g_ascii_isdigit (*q))
                  {
                    high = MIN (high * 10 + (*q - '0'), UNBOUNDED - 1);
                    q++;
                  }
              }
            else
              high = UNBOUNDED;
          }
        if (*q != '}')
          return FALSE;
        q++;
        *min = low;
        *max = MAX (high, low);
        break;
      }
    default:
      return FALSE;
    }

  *possessive = *q == '+';
  if (*q == '+' || *q == '?')
    q++;
  *len = q - p;
  return TRUE;
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_';
}

/* After "(", at p: what kind of group starts, how long its opening is, and
 * its name. Returns FALSE for what is not a group: a comment, an option
 * setting, a verb; *len then covers it whole. *atom is set for a
 * backreference or recursion, which is an atom rather than a group. */
static gboolean
parse_group_start (const char *p,
                   gsize      *len,
                   gboolean   *atomic,
                   gboolean   *zero_width,
                   gboolean   *atom,
                   char      **name)
{
  const char *q;

  *atomic = FALSE;
  *zero_width = FALSE;
  *atom = FALSE;
  *name = NULL;

  if (p[1] == '*')
    {
      /* (*VERB) */
      q = strchr (p, ')');
      *len = q ? (gsize) (q + 1 - p) : strlen (p);
      return FALSE;
    }
  if (p[1] != '?')
    {
      *len = 1;
      return TRUE;
    }

  q = p + 2;
  switch (*q)
    {
    case ':':
    case '|':
      *len = 3;
      return TRUE;
    case '>':
      *atomic = TRUE;
      *len = 3;
      return TRUE;
    case '=':
    case '!':
      *zero_width = TRUE;
      *atomic = TRUE;
      *len = 3;
      return TRUE;
    case '#':
      {
        const char *close = strchr (q, ')');

        *len = close ? (gsize) (close + 1 - p) : strlen (p);
        return FALSE;
      }
    case '<':
    case '\'':
    case 'P':
      {
        char close_char;

        if (*q == '<' && (q[1] == '=' || q[1] == '!'))
          {
            *zero_width = TRUE;
            *atomic = TRUE;
            *len = 4;
            return TRUE;
          }
        if (*q == 'P' && q[1] != '<')
          {
            /* (?P=name) and (?P>name) */
            const char *close = strchr (q, ')');

            *atom = TRUE;
            *len = close ? (gsize) (close + 1 - p) : strlen (p);
            return FALSE;
          }
        if (*q == 'P')
          q++;
        close_char = *q == '\'' ? '\'' : '>';
        q++;
        {
          const char *start = q;

          while (is_name_char (*q))
            q++;
          if (*q == close_char && q > start)
            {
              *name = g_strndup (start, q - start);
              q++;
            }
        }
        *len = q - p;
        return TRUE;
      }
    default:
      break;
    }

  /* (?R), (?1), (?&name), (?C…) */
  if (*q == 'R' || *q == '&' || g_ascii_isdigit (*q) ||
      ((*q == '+' || *q == '-') && g_ascii_isdigit (q[1])))
    {
      const char *close = strchr (q, ')');

      *atom = TRUE;
      *len = close ? (gsize) (close + 1 - p) : strlen (p);
      return FALSE;
    }
  if (*q == 'C')
    {
      const char *close = strchr (q, ')');

      *len = close ? (gsize) (close + 1 - p) : strlen (p);
      return FALSE;
    }
  if (*q == '(')
    {
      /* A condition: (?(1)yes|no) */
      const char *close = strchr (q, ')');

      *len = close ? (gsize) (close + 1 - p) : strlen (p);
      return TRUE;
    }

  /* Options: (?i) sets them, (?i:…) is a group. */
  while (g_ascii_isalpha (*q) || *q == '-' || *q == '^')
    q++;
  if (*q == ':')
    {
      *len = q + 1 - p;
      return TRUE;
    }
  *len = *q == ')' ? (gsize) (q + 1 - p) : (gsize) (q - p);
  return FALSE;
}

/* The length of the escape at p (a backslash), for what the pattern reads
 * as one piece. */
static gsize
escape_length (const char *p)
{
  const char *q = p + 1;
  char e = *q;

  if (e == '\0')
    return 1;
  q++;
  if ((e == 'x' || e == 'o' || e == 'p' || e == 'P' || e == 'g' || e == 'k' || e == 'N') &&
      (*q == '{' || *q == '<' || *q == '\''))
    {
      char close = *q == '{' ? '}' : *q == '<' ? '>' : '\'';
      const char *end = strchr (q, close);

      return end ? (gsize) (end + 1 - p) : strlen (p);
    }
  if (e == 'x')
    {
      for (int i = 0; i < 2 && g_ascii_isxdigit (*q); i++)
        q++;
    }
  else if (e == 'c' && *q != '\0')
    q++;
  else if ((e == 'p' || e == 'P') && *q != '\0')
    q++;
  else if (g_ascii_isdigit (e))
    {
      while (g_ascii_isdigit (*q))
        q++;
    }
  else if (e == 'g' && (*q == '-' || *q == '+' || g_ascii_isdigit (*q)))
    {
      q++;
      while (g_ascii_isdigit (*q))
        q++;
    }
  else if ((guchar) e >= 0x80)
    q = g_utf8_next_char (p + 1);
  return q - p;
}

/* The length of the bracket class at p, up to and with its "]". */
static gsize
bracket_length (const char *p)
{
  const char *q = p + 1;

  if (*q == '^')
    q++;
  if (*q == ']')
    q++;
  while (*q != '\0' && *q != ']')
    {
      if (*q == '\\' && q[1] != '\0')
        q += 2;
      else if (*q == '[' && q[1] == ':')
        {
          const char *close = strstr (q + 2, ":]");

          q = close ? close + 2 : q + 1;
        }
      else
        q++;
    }
  if (*q == ']')
    q++;
  return q - p;
}

static void
scan_close_group (RegexScan *scan)
{
  Frame *child;
  g_autoptr (GArray) firsts = NULL;
  gboolean can_be_empty = FALSE;

  if (scan->stack->len < 2)
    return;   /* unbalanced; the compiler will say so */

  child = g_ptr_array_steal_index (scan->stack, scan->stack->len - 1);
  frame_end_alternative (child);
  firsts = g_array_new (FALSE, FALSE, sizeof (Atom));
  for (guint i = 0; i < child->alternatives->len; i++)
    {
      Alternative *alternative = g_ptr_array_index (child->alternatives, i);

      g_array_append_vals (firsts, alternative->firsts->data, alternative->firsts->len);
      can_be_empty |= alternative->can_be_empty;
    }
  if (child->risky)
    scan_top (scan)->risky = TRUE;
  scan_not_literal (scan);

  if (child->zero_width)
    {
      frame_free (child);
      return;
    }
  scan_add (scan, (const Atom *) (gpointer) firsts->data, firsts->len, can_be_empty);
  scan->last_group = child;
  /* A group that ends with a repeat of one character ends with that run:
   * "(a+)a+" is "a+a+". */
  if (scan->has_run)
    scan->item_pending = FALSE;
}

static gboolean
regex_is_dangerous (const char *pattern,
                    GPtrArray  *names)
{
  RegexScan scan = { 0 };
  const char *p = pattern;

  scan.stack = g_ptr_array_new_with_free_func (frame_free);
  g_ptr_array_add (scan.stack, frame_new ());

  while (*p != '\0')
    {
      guint min;
      guint max;
      gboolean possessive;
      gsize len;

      if (parse_quantifier (p, &min, &max, &possessive, &len))
        {
          scan_quantifier (&scan, min, max, possessive);
          scan_forget_last (&scan);
          p += len;
          continue;
        }
      scan_forget_last (&scan);

      switch (*p)
        {
        case '\\':
          {
            gunichar c;
            gsize n;

            len = escape_length (p);
            if (p[1] == 'Q')
              {
                const char *end = strstr (p + 2, "\\E");

                len = end ? (gsize) (end + 2 - p) : strlen (p);
                if (len > 4 || end == NULL)
                  scan_add_atom (&scan, NULL, 0);
              }
            else if (strchr ("bBAzZGK", p[1]) != NULL && p[1] != '\0')
              scan_not_literal (&scan);   /* zero width */
            else if (escape_literal (p, p + len, &c, &n) && n == len)
              scan_add_literal (&scan, c, p, len);
            else if (g_ascii_isdigit (p[1]) || p[1] == 'g' || p[1] == 'k')
              scan_add_atom (&scan, NULL, 0);   /* a backreference */
            else
              scan_add_atom (&scan, p, len);
            p += len;
            break;
          }
        case '[':
          len = bracket_length (p);
          scan_add_atom (&scan, p, len);
          p += len;
          break;
        case '(':
          {
            gboolean atomic;
            gboolean zero_width;
            gboolean atom;
            g_autofree char *name = NULL;

            if (parse_group_start (p, &len, &atomic, &zero_width, &atom, &name))
              {
                Frame *frame = frame_new ();

                frame->atomic = atomic;
                frame->zero_width = zero_width;
                g_ptr_array_add (scan.stack, frame);
                if (name != NULL && !str_in_array (names, name))
                  g_ptr_array_add (names, g_steal_pointer (&name));
              }
            else if (atom)
              scan_add_atom (&scan, NULL, 0);
            p += len;
            break;
          }
        case ')':
          scan_close_group (&scan);
          p++;
          break;
        case '|':
          frame_end_alternative (scan_top (&scan));
          scan.has_run = FALSE;
          p++;
          break;
        case '^':
        case '$':
          scan_not_literal (&scan);
          p++;
          break;
        case '.':
          scan_add_atom (&scan, p, 1);
          p++;
          break;
        default:
          {
            const char *next = g_utf8_next_char (p);

            scan_add_literal (&scan, g_utf8_get_char (p), p, next - p);
            p = next;
            break;
          }
        }
    }
  scan_forget_last (&scan);
  g_ptr_array_unref (scan.stack);
  return scan.dangerous;
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */
/* ------------------------------------------------------------------------ */

static void set_rule_error (GError    **error,
                            guint       index,
                            const char *name,
                            const char *format,
                            ...) G_GNUC_PRINTF (4, 5);

/* "Rule “Order number”: <reason>", or "Rule 3: <reason>" without a name. */
static void
set_rule_error (GError    **error,
                guint       index,
                const char *name,
                const char *format,
                ...)
{
  g_autofree char *reason = NULL;
  va_list args;

  va_start (args, format);
  reason = g_strdup_vprintf (format, args);
  va_end (args);

  /* Translators: the first %s is the name of a rule of a chatbot, the second
   * one of the reasons below that start with a lower-case letter. */
  if (name != NULL)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID, _("Rule “%s”: %s"), name, reason);
  /* Translators: %u is the position of a rule without a name (1 for the first). */
  else
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID, _("Rule %u: %s"), index + 1, reason);
}

/* The member, or NULL when it is missing or null. */
static JsonNode *
get_member (JsonObject *object,
            const char *key)
{
  JsonNode *node = json_object_get_member (object, key);

  return node != NULL && !JSON_NODE_HOLDS_NULL (node) ? node : NULL;
}

static gboolean
holds_type (JsonNode *node,
            GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

typedef enum
{
  LIST_OK,
  LIST_NOT_A_LIST,
  LIST_NOT_A_TEXT,
} ListStatus;

/* The strings of a JSON array into `out`; *bad is the index of the first
 * element that is not a string. */
static ListStatus
read_strings (JsonNode  *node,
              GPtrArray *out,
              guint     *bad)
{
  JsonArray *array;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return LIST_NOT_A_LIST;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!holds_type (element, G_TYPE_STRING))
        {
          *bad = i;
          return LIST_NOT_A_TEXT;
        }
      g_ptr_array_add (out, g_strdup (json_node_get_string (element)));
    }
  return LIST_OK;
}

static GHashTable *
new_variables (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

static char *
render_with (ConfabTemplate  *template,
             GHashTable      *known,
             GPtrArray       *extra,
             const char      *skip,
             GError         **error)
{
  g_autoptr (GHashTable) variables = new_variables ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, known);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_hash_table_insert (variables, g_strdup (key), g_strdup ("x"));
  for (guint i = 0; extra != NULL && i < extra->len; i++)
    if (g_strcmp0 (g_ptr_array_index (extra, i), skip) != 0)
      g_hash_table_insert (variables, g_strdup (g_ptr_array_index (extra, i)), g_strdup ("x"));
  return confab_template_render (template, variables, error);
}

typedef enum
{
  TEMPLATE_OK,
  TEMPLATE_UNKNOWN_VARIABLES,
  TEMPLATE_INVALID,
} TemplateStatus;

/* Reads a response or fallback answer and checks that it renders with what
 * it can count on: the built-ins and `groups`. *template: the parsed
 * template; *detail: the unknown variables (quoted, *n_unknown of them) or
 * the template engine's complaint. */
static TemplateStatus
check_template (const char      *source,
                GPtrArray       *groups,
                ConfabTemplate **template,
                char           **detail,
                guint           *n_unknown)
{
  g_autoptr (ConfabTemplate) parsed = NULL;
  g_autoptr (GHashTable) known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) variables = NULL;
  g_autoptr (GPtrArray) candidates = g_ptr_array_new ();
  g_autoptr (GPtrArray) unknown = g_ptr_array_new ();
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GError) all_error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *all = NULL;

  parsed = confab_template_parse (source, &local_error);
  if (parsed == NULL)
    {
      *detail = g_strdup (local_error->message);
      return TEMPLATE_INVALID;
    }

  for (guint i = 0; builtin_variables[i] != NULL; i++)
    g_hash_table_add (known, g_strdup (builtin_variables[i]));
  for (guint i = 0; groups != NULL && i < groups->len; i++)
    g_hash_table_add (known, g_strdup (g_ptr_array_index (groups, i)));

  /* Every known variable set (and true, so that every section is read). */
  text = render_with (parsed, known, NULL, NULL, &local_error);
  if (text != NULL)
    {
      *template = g_steal_pointer (&parsed);
      return TEMPLATE_OK;
    }

  /* Does it render once every variable it uses is given? Then the ones it
   * cannot do without are unknown. */
  variables = confab_template_get_variables (parsed);
  for (guint i = 0; i < variables->len; i++)
    {
      ConfabTemplateVariable *variable = g_ptr_array_index (variables, i);

      if (!g_hash_table_contains (known, variable->name))
        g_ptr_array_add (candidates, variable->name);
    }
  all = render_with (parsed, known, candidates, NULL, &all_error);
  if (candidates->len == 0 || all == NULL)
    {
      *detail = g_strdup (local_error->message);
      return TEMPLATE_INVALID;
    }
  for (guint i = 0; i < candidates->len; i++)
    {
      g_autoptr (GError) without_error = NULL;
      g_autofree char *without = render_with (parsed, known, candidates,
                                              g_ptr_array_index (candidates, i),
                                              &without_error);

      if (without == NULL)
        g_ptr_array_add (unknown, g_ptr_array_index (candidates, i));
    }
  if (unknown->len == 0)
    g_ptr_array_extend (unknown, candidates, NULL, NULL);
  *detail = quote_list (unknown);
  *n_unknown = unknown->len;
  return TEMPLATE_UNKNOWN_VARIABLES;
}

static gboolean
parse_patterns (Rule       *rule,
                JsonObject *object,
                guint       index,
                GError    **error)
{
  JsonNode *member = get_member (object, "patterns");
  g_autoptr (GPtrArray) patterns = g_ptr_array_new_with_free_func (g_free);
  guint bad = 0;

  if (member == NULL)
    {
      set_rule_error (error, index, rule->name, _("it has no patterns"));
      return FALSE;
    }
  switch (read_strings (member, patterns, &bad))
    {
    case LIST_NOT_A_LIST:
      set_rule_error (error, index, rule->name, _("“patterns” must be a list of texts"));
      return FALSE;
    case LIST_NOT_A_TEXT:
      set_rule_error (error, index, rule->name, _("pattern %u is not a text"), bad + 1);
      return FALSE;
    case LIST_OK:
    default:
      break;
    }
  if (patterns->len == 0)
    {
      set_rule_error (error, index, rule->name, _("it has no patterns"));
      return FALSE;
    }

  for (guint i = 0; i < patterns->len; i++)
    {
      const char *pattern = g_ptr_array_index (patterns, i);

      if (*pattern == '\0')
        {
          set_rule_error (error, index, rule->name, _("pattern %u is empty"), i + 1);
          return FALSE;
        }

      if (rule->match == MATCH_REGEX)
        {
          g_autoptr (GRegex) regex = NULL;
          g_autoptr (GError) local_error = NULL;
          g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

          if (g_utf8_strlen (pattern, -1) > CONFAB_RULE_MAX_PATTERN_CHARS)
            {
              set_rule_error (error, index, rule->name,
                              _("pattern %u is longer than %d characters"),
                              i + 1, CONFAB_RULE_MAX_PATTERN_CHARS);
              return FALSE;
            }
          if (regex_is_dangerous (pattern, names))
            {
              set_rule_error (error, index, rule->name,
                              _("the pattern “%s” could make matching take too long"), pattern);
              return FALSE;
            }
          regex = g_regex_new (pattern, G_REGEX_CASELESS, 0, &local_error);
          if (regex == NULL)
            {
              set_rule_error (error, index, rule->name,
                              _("the pattern “%s” is not a valid regular expression: %s"),
                              pattern, local_error->message);
              return FALSE;
            }
          for (guint j = 0; j < names->len; j++)
            {
              const char *name = g_ptr_array_index (names, j);

              if (g_regex_get_string_number (regex, name) >= 0 && !str_in_array (rule->groups, name))
                g_ptr_array_add (rule->groups, g_strdup (name));
            }
          /* What the reading above misses still ends: matching stops after
           * REGEX_MATCH_LIMIT steps (the pattern itself was checked as the
           * author wrote it, so errors quote that). JIT-compiled, since the
           * interpreter is far slower at backtracking. */
          {
            g_autofree char *limited = g_strconcat (REGEX_LIMIT_PREFIX, pattern, NULL);
            GRegex *bounded = g_regex_new (limited, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);

            if (bounded != NULL)
              {
                g_regex_unref (regex);
                regex = bounded;
              }
          }
          g_ptr_array_add (rule->patterns, g_strdup (pattern));
          g_ptr_array_add (rule->regexes, g_steal_pointer (&regex));
        }
      else
        {
          g_autofree char *normalized = confab_rule_normalize (pattern);

          if (*normalized == '\0')
            {
              set_rule_error (error, index, rule->name,
                              _("the pattern “%s” has no letters or digits"), pattern);
              return FALSE;
            }
          if (str_in_array (rule->normalized, normalized))
            continue;
          g_ptr_array_add (rule->patterns, g_strdup (pattern));
          g_ptr_array_add (rule->normalized, g_steal_pointer (&normalized));
        }
    }
  return TRUE;
}

static gboolean
parse_exclude (Rule       *rule,
               JsonObject *object,
               guint       index,
               GError    **error)
{
  JsonNode *member = get_member (object, "exclude");
  guint bad = 0;

  if (member == NULL)
    return TRUE;
  switch (read_strings (member, rule->exclude, &bad))
    {
    case LIST_NOT_A_LIST:
      set_rule_error (error, index, rule->name, _("“exclude” must be a list of words"));
      return FALSE;
    case LIST_NOT_A_TEXT:
      set_rule_error (error, index, rule->name, _("exclude word %u is not a text"), bad + 1);
      return FALSE;
    case LIST_OK:
    default:
      break;
    }
  for (guint i = 0; i < rule->exclude->len; i++)
    {
      const char *word = g_ptr_array_index (rule->exclude, i);
      char *normalized = confab_rule_normalize (word);

      if (*normalized == '\0')
        {
          g_free (normalized);
          set_rule_error (error, index, rule->name,
                          _("the exclude word “%s” has no letters or digits"), word);
          return FALSE;
        }
      g_ptr_array_add (rule->exclude_normalized, normalized);
    }
  return TRUE;
}

static gboolean
parse_responses (Rule       *rule,
                 JsonObject *object,
                 guint       index,
                 GError    **error)
{
  JsonNode *member = get_member (object, "responses");
  g_autoptr (GPtrArray) responses = g_ptr_array_new_with_free_func (g_free);
  guint bad = 0;

  if (member == NULL)
    {
      set_rule_error (error, index, rule->name, _("it has no responses"));
      return FALSE;
    }
  switch (read_strings (member, responses, &bad))
    {
    case LIST_NOT_A_LIST:
      set_rule_error (error, index, rule->name, _("“responses” must be a list of texts"));
      return FALSE;
    case LIST_NOT_A_TEXT:
      set_rule_error (error, index, rule->name, _("response %u is not a text"), bad + 1);
      return FALSE;
    case LIST_OK:
    default:
      break;
    }
  if (responses->len == 0)
    {
      set_rule_error (error, index, rule->name, _("it has no responses"));
      return FALSE;
    }

  for (guint i = 0; i < responses->len; i++)
    {
      const char *response = g_ptr_array_index (responses, i);
      ConfabTemplate *template = NULL;
      g_autofree char *detail = NULL;
      guint n = 0;

      if (*response == '\0')
        {
          set_rule_error (error, index, rule->name, _("response %u is empty"), i + 1);
          return FALSE;
        }
      switch (check_template (response, rule->groups, &template, &detail, &n))
        {
        case TEMPLATE_UNKNOWN_VARIABLES:
          set_rule_error (error, index, rule->name,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "response %u uses the unknown variable %s",
                                       "response %u uses the unknown variables %s", n),
                          i + 1, detail);
          return FALSE;
        case TEMPLATE_INVALID:
          set_rule_error (error, index, rule->name,
                          _("response %u is not a valid template: %s"), i + 1, detail);
          return FALSE;
        case TEMPLATE_OK:
        default:
          g_ptr_array_add (rule->responses, template);
          break;
        }
    }
  return TRUE;
}

static Rule *
parse_rule (JsonNode *node,
            guint     index,
            GError  **error)
{
  g_autoptr (Rule) rule = rule_new ();
  JsonObject *object;
  JsonNode *member;
  const char *match;
  guint type;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      set_rule_error (error, index, NULL, _("it is not a JSON object"));
      return NULL;
    }
  object = json_node_get_object (node);

  member = get_member (object, "name");
  if (member != NULL && !holds_type (member, G_TYPE_STRING))
    {
      set_rule_error (error, index, NULL, _("the name must be a text"));
      return NULL;
    }
  if (member != NULL)
    {
      g_autofree char *stripped = g_strstrip (g_strdup (json_node_get_string (member)));

      if (*stripped != '\0')
        rule->name = g_strdup (json_node_get_string (member));
    }
  if (rule->name == NULL)
    {
      set_rule_error (error, index, NULL, _("a name is required"));
      return NULL;
    }

  member = get_member (object, "enabled");
  if (member != NULL)
    {
      if (!holds_type (member, G_TYPE_BOOLEAN))
        {
          set_rule_error (error, index, rule->name, _("“enabled” must be true or false"));
          return NULL;
        }
      rule->enabled = json_node_get_boolean (member);
    }

  member = get_member (object, "priority");
  if (member != NULL)
    {
      gint64 priority;

      if (!holds_type (member, G_TYPE_INT64) ||
          (priority = json_node_get_int (member)) < G_MININT || priority > G_MAXINT)
        {
          set_rule_error (error, index, rule->name, _("the priority must be a whole number"));
          return NULL;
        }
      rule->priority = priority;
    }

  member = get_member (object, "match");
  if (member == NULL || !holds_type (member, G_TYPE_STRING))
    {
      set_rule_error (error, index, rule->name,
                      _("the match type is missing; use “exact”, “keywords_any”, “keywords_all” or “regex”"));
      return NULL;
    }
  match = json_node_get_string (member);
  for (type = 0; type < G_N_ELEMENTS (match_type_names); type++)
    if (g_str_equal (match, match_type_names[type]))
      break;
  if (type == G_N_ELEMENTS (match_type_names))
    {
      set_rule_error (error, index, rule->name,
                      _("the match type “%s” is unknown; use “exact”, “keywords_any”, “keywords_all” or “regex”"),
                      match);
      return NULL;
    }
  rule->match = type;

  if (!parse_patterns (rule, object, index, error) ||
      !parse_exclude (rule, object, index, error) ||
      !parse_responses (rule, object, index, error))
    return NULL;

  member = get_member (object, "action");
  if (member != NULL)
    {
      if (!holds_type (member, G_TYPE_STRING))
        {
          set_rule_error (error, index, rule->name, _("the action must be a text"));
          return NULL;
        }
      if (!g_strv_contains (action_names, json_node_get_string (member)))
        {
          set_rule_error (error, index, rule->name,
                          _("the action “%s” is unknown; use “escalate”, “handoff” or “end”"),
                          json_node_get_string (member));
          return NULL;
        }
      rule->action = g_strdup (json_node_get_string (member));
    }

  member = get_member (object, "handoff_agent");
  if (member != NULL)
    {
      if (!holds_type (member, G_TYPE_STRING))
        {
          set_rule_error (error, index, rule->name, _("“handoff_agent” must be a text"));
          return NULL;
        }
      if (*json_node_get_string (member) != '\0')
        rule->handoff_agent = g_strdup (json_node_get_string (member));
    }

  return g_steal_pointer (&rule);
}

static gboolean
parse_fallback (ConfabRuleSet *self,
                JsonObject    *object,
                GError       **error)
{
  JsonNode *member = get_member (object, "fallback");
  g_autoptr (GPtrArray) answers = g_ptr_array_new_with_free_func (g_free);
  guint bad = 0;

  if (member == NULL)
    return TRUE;
  switch (read_strings (member, answers, &bad))
    {
    case LIST_NOT_A_LIST:
      g_set_error_literal (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                           _("“fallback” must be a list of texts"));
      return FALSE;
    case LIST_NOT_A_TEXT:
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("Fallback answer %u is not a text"), bad + 1);
      return FALSE;
    case LIST_OK:
    default:
      break;
    }

  for (guint i = 0; i < answers->len; i++)
    {
      const char *answer = g_ptr_array_index (answers, i);
      ConfabTemplate *template = NULL;
      g_autofree char *detail = NULL;
      guint n = 0;

      if (*answer == '\0')
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Fallback answer %u is empty"), i + 1);
          return FALSE;
        }
      switch (check_template (answer, NULL, &template, &detail, &n))
        {
        case TEMPLATE_UNKNOWN_VARIABLES:
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       g_dngettext (GETTEXT_PACKAGE,
                                    "Fallback answer %u uses the unknown variable %s",
                                    "Fallback answer %u uses the unknown variables %s", n),
                       i + 1, detail);
          return FALSE;
        case TEMPLATE_INVALID:
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Fallback answer %u is not a valid template: %s"), i + 1, detail);
          return FALSE;
        case TEMPLATE_OK:
        default:
          g_ptr_array_add (self->fallback, template);
          break;
        }
    }
  return TRUE;
}

ConfabRuleSet *
confab_rule_set_parse (const char  *config_json,
                       GError     **error)
{
  g_autoptr (ConfabRuleSet) self = g_new0 (ConfabRuleSet, 1);
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) local_error = NULL;
  JsonNode *root;
  JsonObject *object;
  JsonNode *member;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rule_free);
  self->fallback = g_ptr_array_new_with_free_func ((GDestroyNotify) confab_template_free);
  self->offer_human_after_misses = CONFAB_RULE_DEFAULT_OFFER_HUMAN_AFTER_MISSES;

  if (config_json == NULL)
    return g_steal_pointer (&self);

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, config_json, -1, &local_error))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The rules are not valid JSON: %s"), local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                           _("The rules must be a JSON object"));
      return NULL;
    }
  object = json_node_get_object (root);

  member = get_member (object, "rules");
  if (member != NULL)
    {
      JsonArray *rules;

      if (!JSON_NODE_HOLDS_ARRAY (member))
        {
          g_set_error_literal (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                               _("“rules” must be a list of rules"));
          return NULL;
        }
      rules = json_node_get_array (member);
      for (guint i = 0; i < json_array_get_length (rules); i++)
        {
          Rule *rule = parse_rule (json_array_get_element (rules, i), i, error);

          if (rule == NULL)
            return NULL;
          g_ptr_array_add (self->rules, rule);
        }
    }

  if (!parse_fallback (self, object, error))
    return NULL;

  member = get_member (object, "offer_human_after_misses");
  if (member != NULL)
    {
      gint64 misses;

      if (!holds_type (member, G_TYPE_INT64) ||
          (misses = json_node_get_int (member)) < 0 || misses > MAX_OFFER_HUMAN_AFTER_MISSES)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("“offer_human_after_misses” must be a whole number from 0 to %d"),
                       MAX_OFFER_HUMAN_AFTER_MISSES);
          return NULL;
        }
      self->offer_human_after_misses = misses;
    }

  return g_steal_pointer (&self);
}

/* ------------------------------------------------------------------------ */
/* Matching                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct
{
  guint       index;
  Rule       *rule;
  gsize       length;        /* characters matched */
  GPtrArray  *matched;       /* const char*: the keywords or the exact phrase, as written */
  char       *matched_text;  /* regex: what it matched */
  const char *pattern;       /* regex: the pattern that matched */
  GHashTable *groups;        /* regex: the named groups */
} Candidate;

static void
candidate_free (gpointer data)
{
  Candidate *candidate = data;

  g_ptr_array_unref (candidate->matched);
  g_free (candidate->matched_text);
  g_clear_pointer (&candidate->groups, g_hash_table_unref);
  g_free (candidate);
}

typedef enum
{
  BY_PRIORITY,
  BY_SPECIFICITY,
  BY_LENGTH,
  BY_ORDER,
} Criterion;

/* Negative when a wins over b; *why: what decided. */
static int
candidate_compare (const Candidate *a,
                   const Candidate *b,
                   Criterion       *why)
{
  if (a->rule->priority != b->rule->priority)
    {
      *why = BY_PRIORITY;
      return a->rule->priority > b->rule->priority ? -1 : 1;
    }
  if (a->rule->match != b->rule->match)
    {
      *why = BY_SPECIFICITY;
      return a->rule->match > b->rule->match ? -1 : 1;
    }
  if (a->length != b->length)
    {
      *why = BY_LENGTH;
      return a->length > b->length ? -1 : 1;
    }
  *why = BY_ORDER;
  return a->index < b->index ? -1 : a->index > b->index ? 1 : 0;
}

static int
candidate_sort (gconstpointer a,
                gconstpointer b)
{
  Criterion why;

  return candidate_compare (*(Candidate * const *) a, *(Candidate * const *) b, &why);
}

/* The rule's match for the message, or NULL. */
static Candidate *
rule_match (Rule       *rule,
            guint       index,
            const char *message,
            glong       message_chars,
            const char *normalized,
            const char *padded)
{
  g_autoptr (GPtrArray) matched = g_ptr_array_new ();
  Candidate *candidate;
  gsize length = 0;
  g_autofree char *matched_text = NULL;
  const char *pattern = NULL;
  g_autoptr (GHashTable) groups = NULL;

  switch (rule->match)
    {
    case MATCH_EXACT:
      for (guint i = 0; i < rule->normalized->len && matched->len == 0; i++)
        if (g_str_equal (normalized, g_ptr_array_index (rule->normalized, i)))
          {
            g_ptr_array_add (matched, g_ptr_array_index (rule->patterns, i));
            length = g_utf8_strlen (normalized, -1);
          }
      break;

    case MATCH_KEYWORDS_ANY:
    case MATCH_KEYWORDS_ALL:
      for (guint i = 0; i < rule->normalized->len; i++)
        {
          const char *words = g_ptr_array_index (rule->normalized, i);

          if (has_words (padded, words))
            {
              g_ptr_array_add (matched, g_ptr_array_index (rule->patterns, i));
              length += g_utf8_strlen (words, -1);
            }
          else if (rule->match == MATCH_KEYWORDS_ALL)
            return NULL;
        }
      break;

    case MATCH_REGEX:
      /* Messages are at most this long; a longer one is not worth the risk. */
      if (message_chars > CONFAB_RULE_MAX_MESSAGE_CHARS)
        return NULL;
      for (guint i = 0; i < rule->regexes->len && pattern == NULL; i++)
        {
          GRegex *regex = g_ptr_array_index (rule->regexes, i);
          g_autoptr (GMatchInfo) info = NULL;
          g_autoptr (GError) local_error = NULL;

          if (!g_regex_match_full (regex, message, -1, 0, 0, &info, &local_error))
            {
              /* The match limit: counted as no match, and said, since the
               * rule's author may want to write the pattern another way. */
              if (local_error != NULL)
                g_warning ("The pattern “%s” of the rule “%s” gave up on a message of %ld "
                           "characters and counts as not matching: %s",
                           (const char *) g_ptr_array_index (rule->patterns, i),
                           rule->name != NULL ? rule->name : "", (long) message_chars,
                           local_error->message);
              continue;
            }
          pattern = g_ptr_array_index (rule->patterns, i);
          matched_text = g_match_info_fetch (info, 0);
          length = g_utf8_strlen (matched_text, -1);
          groups = new_variables ();
          /* Every group of the rule is a variable, "" when this pattern has
           * none or it took no part, so that a response never lacks one. */
          for (guint j = 0; j < rule->groups->len; j++)
            {
              const char *name = g_ptr_array_index (rule->groups, j);
              char *value = g_regex_get_string_number (regex, name) >= 0
                              ? g_match_info_fetch_named (info, name) : NULL;

              g_hash_table_insert (groups, g_strdup (name), value ? value : g_strdup (""));
            }
          g_ptr_array_add (matched, (gpointer) pattern);
        }
      break;

    default:
      g_assert_not_reached ();
    }

  if (matched->len == 0)
    return NULL;

  candidate = g_new0 (Candidate, 1);
  candidate->index = index;
  candidate->rule = rule;
  candidate->length = length;
  candidate->matched = g_steal_pointer (&matched);
  candidate->matched_text = g_steal_pointer (&matched_text);
  candidate->pattern = pattern;
  candidate->groups = g_steal_pointer (&groups);
  return candidate;
}

/* The first exclude word of the rule in the message, or NULL. */
static const char *
rule_vetoed_by (Rule       *rule,
                const char *padded)
{
  for (guint i = 0; i < rule->exclude_normalized->len; i++)
    if (has_words (padded, g_ptr_array_index (rule->exclude_normalized, i)))
      return g_ptr_array_index (rule->exclude, i);
  return NULL;
}

static GHashTable *
copy_variables (GHashTable *variables,
                GHashTable *groups)
{
  GHashTable *copy = new_variables ();
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  if (variables != NULL)
    {
      g_hash_table_iter_init (&iter, variables);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (copy, g_strdup (key), g_strdup (value));
    }
  if (groups != NULL)
    {
      g_hash_table_iter_init (&iter, groups);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (copy, g_strdup (key), g_strdup (value));
    }
  return copy;
}

/* The caller may not know the user or the agent: empty values rather than
 * no answer (a template's defaults still apply to them). */
static char *
render (ConfabTemplate  *template,
        GHashTable      *variables,
        GError         **error)
{
  for (guint i = 0; caller_variables[i] != NULL; i++)
    if (g_hash_table_lookup (variables, caller_variables[i]) == NULL)
      g_hash_table_insert (variables, g_strdup (caller_variables[i]), g_strdup (""));
  return confab_template_render (template, variables, error);
}

static char *
explain_match (Candidate *best)
{
  Rule *rule = best->rule;
  g_autofree char *list = quote_list (best->matched);

  switch (rule->match)
    {
    case MATCH_EXACT:
      return g_strdup_printf (_("Rule “%s” matched the whole message “%s” (priority %d)."),
                              rule->name, (const char *) g_ptr_array_index (best->matched, 0),
                              rule->priority);
    case MATCH_KEYWORDS_ANY:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Rule “%s” matched the keyword %s (priority %d).",
                                           "Rule “%s” matched the keywords %s (priority %d).",
                                           best->matched->len),
                              rule->name, list, rule->priority);
    case MATCH_KEYWORDS_ALL:
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Rule “%s” matched its keyword %s (priority %d).",
                                           "Rule “%s” matched all its keywords %s (priority %d).",
                                           best->matched->len),
                              rule->name, list, rule->priority);
    case MATCH_REGEX:
      return g_strdup_printf (_("Rule “%s” matched “%s” with the pattern “%s” (priority %d)."),
                              rule->name, best->matched_text, best->pattern, rule->priority);
    default:
      break;
    }
  g_return_val_if_reached (NULL);
}

static char *
explain_win (Candidate *best,
             Candidate *runner_up)
{
  Criterion why;

  candidate_compare (best, runner_up, &why);
  switch (why)
    {
    case BY_PRIORITY:
      return g_strdup_printf (_("It won over “%s”, which has priority %d."),
                              runner_up->rule->name, runner_up->rule->priority);
    case BY_SPECIFICITY:
      return g_strdup_printf (_("It won over “%s” (same priority) because “%s” is more specific than “%s”."),
                              runner_up->rule->name, match_type_names[best->rule->match],
                              match_type_names[runner_up->rule->match]);
    case BY_LENGTH:
      return g_strdup_printf (_("It won over “%s” (same priority and match type) because it matched more text."),
                              runner_up->rule->name);
    case BY_ORDER:
    default:
      return g_strdup_printf (_("It won over “%s”, which matched as well, because it comes first."),
                              runner_up->rule->name);
    }
}

/* The fallback answer, with the offer of a person unless it makes it. */
static char *
offer_human (const char *answer)
{
  const char *offer = _("Would you like to talk to a person?");
  g_autofree char *normalized_answer = confab_rule_normalize (answer);
  g_autofree char *normalized_offer = confab_rule_normalize (offer);
  g_autofree char *padded = g_strconcat (" ", normalized_answer, " ", NULL);

  if (*normalized_offer != '\0' && has_words (padded, normalized_offer))
    return g_strdup (answer);
  return g_strconcat (answer, " ", offer, NULL);
}

ConfabRuleMatch *
confab_rule_set_match (ConfabRuleSet  *self,
                       const char     *message,
                       guint           turn,
                       guint           misses,
                       GHashTable     *variables,
                       GError        **error)
{
  g_autofree char *valid = NULL;
  g_autofree char *normalized = NULL;
  g_autofree char *padded = NULL;
  g_autoptr (GPtrArray) candidates = g_ptr_array_new_with_free_func (candidate_free);
  g_autoptr (ConfabRuleMatch) result = g_new0 (ConfabRuleMatch, 1);
  g_autoptr (GHashTable) all_variables = NULL;
  GString *explanation = g_string_new (NULL);
  const char *vetoed_rule = NULL;
  const char *vetoed_word = NULL;
  glong message_chars;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (message == NULL)
    message = "";
  if (!g_utf8_validate (message, -1, NULL))
    message = valid = g_utf8_make_valid (message, -1);
  message_chars = g_utf8_strlen (message, -1);
  normalized = confab_rule_normalize (message);
  padded = g_strconcat (" ", normalized, " ", NULL);

  for (guint i = 0; i < self->rules->len; i++)
    {
      Rule *rule = g_ptr_array_index (self->rules, i);
      Candidate *candidate;
      const char *veto;

      if (!rule->enabled)
        continue;
      candidate = rule_match (rule, i, message, message_chars, normalized, padded);
      if (candidate == NULL)
        continue;
      veto = rule_vetoed_by (rule, padded);
      if (veto != NULL)
        {
          if (vetoed_rule == NULL)
            {
              vetoed_rule = rule->name;
              vetoed_word = veto;
            }
          candidate_free (candidate);
          continue;
        }
      g_ptr_array_add (candidates, candidate);
    }
  g_ptr_array_sort (candidates, candidate_sort);

  if (candidates->len > 0)
    {
      Candidate *best = g_ptr_array_index (candidates, 0);
      Rule *rule = best->rule;
      g_autofree char *why = explain_match (best);

      all_variables = copy_variables (variables, best->groups);
      result->rule_index = best->index;
      result->rule_name = g_strdup (rule->name);
      result->response = render (g_ptr_array_index (rule->responses, turn % rule->responses->len),
                                 all_variables, error);
      result->action = g_strdup (rule->action);
      if (g_strcmp0 (rule->action, "handoff") == 0)
        result->handoff_agent = g_strdup (rule->handoff_agent);
      g_string_append (explanation, why);
      if (candidates->len > 1)
        {
          g_autofree char *win = explain_win (best, g_ptr_array_index (candidates, 1));

          g_string_append_printf (explanation, " %s", win);
        }
    }
  else
    {
      guint64 in_a_row = (guint64) misses + 1;
      g_autofree char *answer = NULL;

      all_variables = copy_variables (variables, NULL);
      result->rule_index = -1;
      result->offer_human = self->offer_human_after_misses > 0 &&
                            in_a_row >= self->offer_human_after_misses;
      if (self->fallback->len > 0)
        answer = render (g_ptr_array_index (self->fallback, misses % self->fallback->len),
                         all_variables, error);
      else
        answer = g_strdup (_("Sorry, I did not understand that."));
      if (answer != NULL)
        result->response = result->offer_human ? offer_human (answer) : g_steal_pointer (&answer);

      if (result->offer_human)
        g_string_append_printf (explanation,
                                g_dngettext (GETTEXT_PACKAGE,
                                             "No rule matched %u message in a row, so the answer offers a person.",
                                             "No rule matched %u messages in a row, so the answer offers a person.",
                                             (gulong) MIN (in_a_row, G_MAXUINT)),
                                (guint) MIN (in_a_row, G_MAXUINT));
      else
        g_string_append (explanation, _("No rule matched, so a fallback answer was given."));
    }

  if (vetoed_rule != NULL)
    {
      g_string_append_c (explanation, ' ');
      g_string_append_printf (explanation, _("Rule “%s” was left out because the message has “%s”."),
                              vetoed_rule, vetoed_word);
    }
  result->explanation = g_string_free (explanation, FALSE);

  if (result->response == NULL)
    return NULL;
  return g_steal_pointer (&result);
}

/* ------------------------------------------------------------------------ */
/* Explaining                                                               */
/* ------------------------------------------------------------------------ */

static void
rule_verdict_free (gpointer data)
{
  ConfabRuleVerdict *verdict = data;

  g_free (verdict->rule_name);
  g_strfreev (verdict->matched);
  g_free (verdict->matched_text);
  g_strfreev (verdict->missing);
  g_free (verdict->excluded_by);
  g_free (verdict->reason);
  g_free (verdict);
}

void
confab_rule_explanation_free (ConfabRuleExplanation *explanation)
{
  if (explanation == NULL)
    return;
  confab_rule_match_free (explanation->match);
  g_clear_pointer (&explanation->captures, g_hash_table_unref);
  g_clear_pointer (&explanation->verdicts, g_ptr_array_unref);
  g_free (explanation);
}

static void
candidate_free0 (gpointer data)
{
  if (data != NULL)
    candidate_free (data);
}

static char **
dup_strv (GPtrArray *strings)
{
  GStrvBuilder *builder = g_strv_builder_new ();
  char **strv;

  for (guint i = 0; strings != NULL && i < strings->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (strings, i));
  strv = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);
  return strv;
}

/* Why a rule that matched lost to the winner. */
static char *
explain_loss (Candidate *loser,
              Candidate *best)
{
  Criterion why;

  candidate_compare (best, loser, &why);
  switch (why)
    {
    case BY_PRIORITY:
      return g_strdup_printf (_("It matched, but “%s” won with a higher priority (%d)."),
                              best->rule->name, best->rule->priority);
    case BY_SPECIFICITY:
      return g_strdup_printf (_("It matched, but “%s” won with the same priority because “%s” "
                                "is more specific than “%s”."),
                              best->rule->name, match_type_names[best->rule->match],
                              match_type_names[loser->rule->match]);
    case BY_LENGTH:
      return g_strdup_printf (_("It matched, but “%s” won with the same priority and match "
                                "type because it matched more text."),
                              best->rule->name);
    case BY_ORDER:
    default:
      return g_strdup_printf (_("It matched, but “%s” won because it comes first in the list."),
                              best->rule->name);
    }
}

/* Why a rule's patterns did not match; fills the keywords found and missing
 * of a keywords_all rule. */
static char *
explain_no_match (Rule              *rule,
                  ConfabRuleVerdict *verdict,
                  glong              message_chars,
                  const char        *padded)
{
  g_autoptr (GPtrArray) found = g_ptr_array_new ();
  g_autoptr (GPtrArray) missing = g_ptr_array_new ();
  g_autofree char *list = NULL;

  switch (rule->match)
    {
    case MATCH_EXACT:
      return g_strdup (_("The message is not one of its phrases."));
    case MATCH_KEYWORDS_ANY:
      return g_strdup (_("None of its keywords is in the message."));
    case MATCH_KEYWORDS_ALL:
      for (guint i = 0; i < rule->normalized->len; i++)
        g_ptr_array_add (has_words (padded, g_ptr_array_index (rule->normalized, i))
                           ? found : missing,
                         g_ptr_array_index (rule->patterns, i));
      g_strfreev (verdict->matched);
      verdict->matched = dup_strv (found);
      verdict->missing = dup_strv (missing);
      list = quote_list (missing);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "The keyword %s is not in the message.",
                                           "The keywords %s are not in the message.",
                                           missing->len),
                              list);
    case MATCH_REGEX:
      if (message_chars > CONFAB_RULE_MAX_MESSAGE_CHARS)
        return g_strdup_printf (_("The message is longer than %d characters, too long for "
                                  "regular expressions."),
                                CONFAB_RULE_MAX_MESSAGE_CHARS);
      return g_strdup (_("None of its patterns matches the message."));
    default:
      break;
    }
  g_return_val_if_reached (NULL);
}

ConfabRuleExplanation *
confab_rule_set_explain (ConfabRuleSet  *self,
                         const char     *message,
                         guint           turn,
                         guint           misses,
                         GHashTable     *variables,
                         GError        **error)
{
  g_autoptr (ConfabRuleExplanation) explanation = NULL;
  g_autoptr (GPtrArray) candidates = NULL;
  g_autofree char *valid = NULL;
  g_autofree char *normalized = NULL;
  g_autofree char *padded = NULL;
  Candidate *best = NULL;
  glong message_chars;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  explanation = g_new0 (ConfabRuleExplanation, 1);
  /* The answer itself comes from confab_rule_set_match(), so the two can
   * never disagree; the verdicts below retrace its steps. */
  explanation->match = confab_rule_set_match (self, message, turn, misses, variables, error);
  if (explanation->match == NULL)
    return NULL;
  explanation->captures = new_variables ();
  explanation->verdicts = g_ptr_array_new_with_free_func (rule_verdict_free);

  if (message == NULL)
    message = "";
  if (!g_utf8_validate (message, -1, NULL))
    message = valid = g_utf8_make_valid (message, -1);
  message_chars = g_utf8_strlen (message, -1);
  normalized = confab_rule_normalize (message);
  padded = g_strconcat (" ", normalized, " ", NULL);

  /* Beside the verdicts: the rule's Candidate when it matched unvetoed. */
  candidates = g_ptr_array_new_full (self->rules->len, candidate_free0);
  for (guint i = 0; i < self->rules->len; i++)
    {
      Rule *rule = g_ptr_array_index (self->rules, i);
      ConfabRuleVerdict *verdict = g_new0 (ConfabRuleVerdict, 1);
      Candidate *candidate = NULL;
      const char *veto;

      verdict->rule_index = i;
      verdict->rule_name = g_strdup (rule->name);
      verdict->priority = rule->priority;
      verdict->match_type = match_type_names[rule->match];
      g_ptr_array_add (explanation->verdicts, verdict);

      if (!rule->enabled)
        {
          verdict->outcome = CONFAB_RULE_OUTCOME_DISABLED;
          verdict->matched = dup_strv (NULL);
          verdict->reason = g_strdup (_("It is turned off."));
          g_ptr_array_add (candidates, NULL);
          continue;
        }

      candidate = rule_match (rule, i, message, message_chars, normalized, padded);
      if (candidate == NULL)
        {
          verdict->outcome = CONFAB_RULE_OUTCOME_NO_MATCH;
          verdict->matched = dup_strv (NULL);
          verdict->reason = explain_no_match (rule, verdict, message_chars, padded);
          g_ptr_array_add (candidates, NULL);
          continue;
        }

      verdict->matched = dup_strv (candidate->matched);
      verdict->matched_text = g_strdup (candidate->matched_text);
      veto = rule_vetoed_by (rule, padded);
      if (veto != NULL)
        {
          verdict->outcome = CONFAB_RULE_OUTCOME_EXCLUDED;
          verdict->excluded_by = g_strdup (veto);
          verdict->reason = g_strdup_printf (_("It matched, but the message has the exclude "
                                               "word “%s”."),
                                             veto);
          candidate_free (candidate);
          g_ptr_array_add (candidates, NULL);
          continue;
        }

      verdict->outcome = CONFAB_RULE_OUTCOME_OUTRANKED;
      g_ptr_array_add (candidates, candidate);
      if (best == NULL || candidate_sort (&candidate, &best) < 0)
        best = candidate;
    }

  g_warn_if_fail ((best == NULL && explanation->match->rule_index < 0) ||
                  (best != NULL && (int) best->index == explanation->match->rule_index));
  if (best == NULL)
    return g_steal_pointer (&explanation);

  explanation->winner = g_ptr_array_index (explanation->verdicts, best->index);
  explanation->winner->outcome = CONFAB_RULE_OUTCOME_WON;
  explanation->winner->reason = explain_match (best);
  if (best->groups != NULL)
    {
      GHashTableIter iter;
      gpointer key;
      gpointer value;

      g_hash_table_iter_init (&iter, best->groups);
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_hash_table_insert (explanation->captures, g_strdup (key), g_strdup (value));
    }

  for (guint i = 0; i < candidates->len; i++)
    {
      Candidate *candidate = g_ptr_array_index (candidates, i);
      ConfabRuleVerdict *verdict = g_ptr_array_index (explanation->verdicts, i);

      if (candidate != NULL && candidate != best)
        verdict->reason = explain_loss (candidate, best);
    }

  return g_steal_pointer (&explanation);
}
