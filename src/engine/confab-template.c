#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-template.h"

/* The template engine (the syntax is in confab-template.h).
 *
 * Parsing makes one flat list of nodes in a single pass over the source:
 * literal text (spans of one buffer, with escapes already resolved), value
 * placeholders, section starts (each knowing where its end is) and section
 * ends. Rendering walks that list once, jumping over the sections it skips,
 * so neither step recurses and both take time in proportion to the template
 * (plus the output, which is capped). Values are copied into the output and
 * never looked at again. */

/* How much of a bad placeholder an error message quotes, in characters. */
#define EXCERPT_CHARS 40

typedef enum
{
  NODE_TEXT,
  NODE_VALUE,
  NODE_SECTION,
  NODE_INVERTED,
  NODE_END,
} NodeKind;

typedef struct
{
  NodeKind kind;
  gboolean has_default;
  gsize    var;     /* VALUE, SECTION, INVERTED, END: index in self->vars */
  gsize    offset;  /* TEXT: the text; VALUE: the default; in self->text */
  gsize    length;
  gsize    end;     /* SECTION, INVERTED: index of the matching END node */
} Node;

typedef struct
{
  char     *name;
  char     *default_value;
  gboolean  section_only;
} Var;

struct _ConfabTemplate
{
  char      *text;   /* literal text and defaults */
  gsize      text_len;
  GArray    *nodes;  /* of Node */
  GPtrArray *vars;   /* of Var*, in order of first use */
};

typedef struct
{
  ConfabTemplate *self;
  const char     *p;
  guint           line;
  GString        *text;
  gsize           pending;         /* where the text not yet in a node starts */
  gsize           line_start;      /* text->len when the current line began */
  gboolean        line_has_tag;
  GHashTable     *var_index;       /* name -> index + 1 */
  GArray         *open;            /* of gsize: nodes of the open sections */
  GArray         *open_lines;      /* of guint: their lines */
} Parser;

static void
var_free (gpointer data)
{
  Var *var = data;

  g_free (var->name);
  g_free (var->default_value);
  g_free (var);
}

static void
template_variable_free (gpointer data)
{
  ConfabTemplateVariable *variable = data;

  g_free (variable->name);
  g_free (variable->default_value);
  g_free (variable);
}

static gboolean
is_name_start (char c)
{
  return g_ascii_isalpha (c) || c == '_';
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '.' || c == '-';
}

static gboolean
is_blank (char c)
{
  return c == ' ' || c == '\t';
}

static const char *
skip_blanks (const char *p)
{
  while (is_blank (*p))
    p++;
  return p;
}

/* The placeholder starting at @start as an error message shows it: up to its
 * "}}", the end of its line or EXCERPT_CHARS characters, whichever is first. */
static char *
excerpt (const char *start)
{
  const char *p = start;
  guint n = 0;

  while (*p != '\0' && *p != '\n' && *p != '\r' && n < EXCERPT_CHARS)
    {
      if (p > start + 1 && p[0] == '}' && p[1] == '}')
        return g_strndup (start, p + 2 - start);
      p = g_utf8_next_char (p);
      n++;
    }
  if (*p == '\0' || *p == '\n' || *p == '\r')
    return g_strndup (start, p - start);
  return g_strdup_printf ("%.*s…", (int) (p - start), start);
}

static guint
line_of (const char *source,
         const char *position)
{
  guint line = 1;

  for (const char *p = source; p < position; p++)
    if (*p == '\n')
      line++;
  return line;
}

static gsize
intern_var (Parser     *parser,
            const char *name,
            gsize       name_len,
            gboolean    as_section)
{
  g_autofree char *key = g_strndup (name, name_len);
  gpointer found = g_hash_table_lookup (parser->var_index, key);
  Var *var;

  if (found != NULL)
    {
      gsize index = GPOINTER_TO_SIZE (found) - 1;

      var = g_ptr_array_index (parser->self->vars, index);
      if (!as_section)
        var->section_only = FALSE;
      return index;
    }

  var = g_new0 (Var, 1);
  var->name = g_strdup (key);
  var->section_only = as_section;
  g_ptr_array_add (parser->self->vars, var);
  g_hash_table_insert (parser->var_index, g_steal_pointer (&key),
                       GSIZE_TO_POINTER (parser->self->vars->len));
  return parser->self->vars->len - 1;
}

static void
flush_text (Parser *parser)
{
  if (parser->text->len > parser->pending)
    {
      Node node = { .kind = NODE_TEXT };

      node.offset = parser->pending;
      node.length = parser->text->len - parser->pending;
      g_array_append_val (parser->self->nodes, node);
    }
  parser->pending = parser->text->len;
}

/* Whether the section tag ending at @tag_end is alone on its line; if so,
 * *next is where the following line starts (or the end of the source). */
static gboolean
is_standalone (Parser     *parser,
               const char *tag_end,
               const char **next)
{
  const char *p;

  if (parser->line_has_tag)
    return FALSE;
  for (gsize i = parser->line_start; i < parser->text->len; i++)
    if (!is_blank (parser->text->str[i]))
      return FALSE;

  p = skip_blanks (tag_end);
  if (*p == '\r' && p[1] == '\n')
    p += 2;
  else if (*p == '\n')
    p++;
  else if (*p != '\0')
    return FALSE;
  *next = p;
  return TRUE;
}

static void
set_bad_placeholder_error (Parser      *parser,
                           const char  *start,
                           GError     **error)
{
  g_autofree char *quoted = excerpt (start);

  g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
               _("Line %u: “%s” is not a valid placeholder: a name starts with a letter or “_” "
                 "and has only letters, digits, “_”, “-” and “.” "
                 "(write “{{{{” for a literal “{{”)"),
               parser->line, quoted);
}

/* @stop: where the placeholder of @name ends without its "}}". */
static void
set_unclosed_error (Parser      *parser,
                    const char  *name,
                    gsize        name_len,
                    const char  *stop,
                    GError     **error)
{
  g_autofree char *variable = g_strndup (name, name_len);

  if (stop[0] == '{' && stop[1] == '{')
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                 _("Line %u: the placeholder “%s” is not closed with “}}” before the next “{{”"),
                 parser->line, variable);
  else
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                 _("Line %u: the placeholder “%s” is not closed with “}}” on its line"),
                 parser->line, variable);
}

/* Reads the tag at parser->p (which points at "{{", not "{{{{"). */
static gboolean
parse_tag (Parser  *parser,
           GError **error)
{
  ConfabTemplate *self = parser->self;
  const char *start = parser->p;
  const char *p = skip_blanks (start + 2);
  const char *name, *default_start = NULL, *default_end = NULL, *tag_end, *next;
  gsize name_len, index, open_index = 0;
  guint tag_line = parser->line;
  char sigil = '\0';
  Node node = { 0 };

  if (*p == '#' || *p == '^' || *p == '/')
    {
      sigil = *p;
      p = skip_blanks (p + 1);
    }
  if (!is_name_start (*p))
    {
      set_bad_placeholder_error (parser, start, error);
      return FALSE;
    }
  name = p;
  while (is_name_char (*p))
    p++;
  name_len = p - name;
  p = skip_blanks (p);

  if (*p == '|')
    {
      if (sigil != '\0')
        {
          g_autofree char *section = g_strndup (name, name_len);

          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Line %u: the section tag of “%s” cannot have a default"),
                       parser->line, section);
          return FALSE;
        }
      p++;
      default_start = p;
      while (*p != '\0' && *p != '\n' && *p != '\r' &&
             !(p[0] == '}' && p[1] == '}') && !(p[0] == '{' && p[1] == '{'))
        p++;
      if (!(p[0] == '}' && p[1] == '}'))
        {
          set_unclosed_error (parser, name, name_len, p, error);
          return FALSE;
        }
      default_end = p;
      default_start = skip_blanks (default_start);
      while (default_end > default_start && is_blank (default_end[-1]))
        default_end--;
    }
  else if (!(p[0] == '}' && p[1] == '}'))
    {
      if (*p == '\0' || *p == '\n' || *p == '\r' || *p == '}' || (p[0] == '{' && p[1] == '{'))
        set_unclosed_error (parser, name, name_len, p, error);
      else
        set_bad_placeholder_error (parser, start, error);
      return FALSE;
    }
  tag_end = p + 2;

  if (sigil == '\0')
    {
      flush_text (parser);
      node.kind = NODE_VALUE;
      node.var = intern_var (parser, name, name_len, FALSE);
      if (default_start != NULL)
        {
          Var *var = g_ptr_array_index (self->vars, node.var);

          node.has_default = TRUE;
          node.offset = parser->text->len;
          node.length = default_end - default_start;
          g_string_append_len (parser->text, default_start, node.length);
          parser->pending = parser->text->len;
          if (var->default_value == NULL)
            var->default_value = g_strndup (default_start, node.length);
        }
      g_array_append_val (self->nodes, node);
      parser->line_has_tag = TRUE;
      parser->p = tag_end;
      return TRUE;
    }

  node.var = intern_var (parser, name, name_len, TRUE);
  if (sigil == '/')
    {
      const Node *open;
      guint open_line;

      if (parser->open->len == 0)
        {
          g_autofree char *section = g_strndup (name, name_len);

          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Line %u: “{{/%s}}” closes the section “%s”, which is not open"),
                       parser->line, section, section);
          return FALSE;
        }
      open_index = g_array_index (parser->open, gsize, parser->open->len - 1);
      open_line = g_array_index (parser->open_lines, guint, parser->open_lines->len - 1);
      open = &g_array_index (self->nodes, Node, open_index);
      if (open->var != node.var)
        {
          g_autofree char *section = g_strndup (name, name_len);
          const Var *open_var = g_ptr_array_index (self->vars, open->var);

          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Line %u: “{{/%s}}” does not close the section “%s” opened on line %u; "
                         "close that one first with “{{/%s}}”"),
                       parser->line, section, open_var->name, open_line, open_var->name);
          return FALSE;
        }
      g_array_set_size (parser->open, parser->open->len - 1);
      g_array_set_size (parser->open_lines, parser->open_lines->len - 1);
      node.kind = NODE_END;
    }
  else
    {
      if (parser->open->len >= CONFAB_TEMPLATE_MAX_DEPTH)
        {
          g_autofree char *section = g_strndup (name, name_len);

          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Line %u: the section “%s” is nested too deeply: "
                         "at most %d sections can be inside each other"),
                       parser->line, section, CONFAB_TEMPLATE_MAX_DEPTH);
          return FALSE;
        }
      node.kind = sigil == '#' ? NODE_SECTION : NODE_INVERTED;
    }

  if (is_standalone (parser, tag_end, &next))
    {
      g_string_truncate (parser->text, parser->line_start);
      flush_text (parser);
      if (next > tag_end && next[-1] == '\n')
        parser->line++;
      parser->line_start = parser->text->len;
      parser->line_has_tag = FALSE;
    }
  else
    {
      flush_text (parser);
      parser->line_has_tag = TRUE;
      next = tag_end;
    }

  /* Only now is the node's index known: text before it may have become a node. */
  index = self->nodes->len;
  if (node.kind == NODE_END)
    g_array_index (self->nodes, Node, open_index).end = index;
  else
    {
      g_array_append_val (parser->open, index);
      g_array_append_val (parser->open_lines, tag_line);
    }
  g_array_append_val (self->nodes, node);
  parser->p = next;
  return TRUE;
}

/**
 * confab_template_parse:
 * @source: the template text
 * @error: a #CONFAB_ERROR_INVALID error when the template is not valid
 *
 * Reads a template once, to render it as many times as needed.
 *
 * Returns: (transfer full) (nullable): the template, or NULL with @error set
 */
ConfabTemplate *
confab_template_parse (const char  *source,
                       GError     **error)
{
  g_autoptr (ConfabTemplate) self = NULL;
  g_autoptr (GHashTable) var_index = NULL;
  g_autoptr (GArray) open = NULL;
  g_autoptr (GArray) open_lines = NULL;
  const char *invalid = NULL;
  Parser parser = { 0 };

  g_return_val_if_fail (source != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_utf8_validate (source, -1, &invalid))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The template is not valid UTF-8 text (line %u)"),
                   line_of (source, invalid));
      return NULL;
    }

  self = g_new0 (ConfabTemplate, 1);
  self->nodes = g_array_new (FALSE, FALSE, sizeof (Node));
  self->vars = g_ptr_array_new_with_free_func (var_free);
  var_index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  open = g_array_new (FALSE, FALSE, sizeof (gsize));
  open_lines = g_array_new (FALSE, FALSE, sizeof (guint));

  parser.self = self;
  parser.p = source;
  parser.line = 1;
  parser.text = g_string_sized_new (strlen (source));
  parser.var_index = var_index;
  parser.open = open;
  parser.open_lines = open_lines;

  while (*parser.p != '\0')
    {
      const char *p = parser.p;

      if (p[0] == '{' && p[1] == '{')
        {
          if (p[2] == '{' && p[3] == '{')
            {
              g_string_append_len (parser.text, "{{", 2);
              parser.p += 4;
              continue;
            }
          if (!parse_tag (&parser, error))
            {
              g_string_free (parser.text, TRUE);
              return NULL;
            }
          continue;
        }

      if (*p == '\n')
        {
          g_string_append_c (parser.text, '\n');
          parser.p++;
          parser.line++;
          parser.line_start = parser.text->len;
          parser.line_has_tag = FALSE;
          continue;
        }

      while (*p != '\0' && *p != '\n' && !(p[0] == '{' && p[1] == '{'))
        p++;
      g_string_append_len (parser.text, parser.p, p - parser.p);
      parser.p = p;
    }

  if (open->len > 0)
    {
      const Node *node = &g_array_index (self->nodes, Node,
                                         g_array_index (open, gsize, open->len - 1));
      const Var *var = g_ptr_array_index (self->vars, node->var);

      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("Line %u: the section “%s” is not closed; end it with “{{/%s}}”"),
                   g_array_index (open_lines, guint, open_lines->len - 1), var->name, var->name);
      g_string_free (parser.text, TRUE);
      return NULL;
    }

  flush_text (&parser);
  self->text_len = parser.text->len;
  self->text = g_string_free (parser.text, FALSE);
  return g_steal_pointer (&self);
}

void
confab_template_free (ConfabTemplate *self)
{
  if (self == NULL)
    return;
  g_free (self->text);
  g_clear_pointer (&self->nodes, g_array_unref);
  g_clear_pointer (&self->vars, g_ptr_array_unref);
  g_free (self);
}

static gboolean
is_true (const char *value)
{
  return value != NULL && *value != '\0' && strcmp (value, "0") != 0 &&
         g_ascii_strcasecmp (value, "false") != 0;
}

typedef struct
{
  GString  *out;
  gboolean  too_long;
} Output;

static void
emit (Output     *output,
      const char *text,
      gsize       length)
{
  if (output->too_long || length == 0)
    return;
  if (length > CONFAB_TEMPLATE_MAX_OUTPUT - output->out->len)
    {
      output->too_long = TRUE;
      return;
    }
  g_string_append_len (output->out, text, length);
}

/* The caller's value of @name, or the engine's own for {{date}} and {{time}}. */
static const char *
lookup (GHashTable  *variables,
        const char  *name,
        GDateTime  **now,
        char       **date_text,
        char       **time_text)
{
  const char *value = variables != NULL ? g_hash_table_lookup (variables, name) : NULL;
  char **builtin;
  const char *format;

  if (value != NULL)
    return value;
  if (strcmp (name, "date") == 0)
    {
      builtin = date_text;
      format = "%Y-%m-%d";
    }
  else if (strcmp (name, "time") == 0)
    {
      builtin = time_text;
      format = "%H:%M";
    }
  else
    return NULL;

  if (*builtin == NULL)
    {
      if (*now == NULL)
        *now = g_date_time_new_now_local ();
      *builtin = g_date_time_format (*now, format);
    }
  return *builtin;
}

/**
 * confab_template_render:
 * @self: a template
 * @variables: (nullable) (element-type utf8 utf8): the values by name
 * @error: #CONFAB_ERROR_INVALID when variables are missing (all of them are
 *   named) or a value is not UTF-8, #CONFAB_ERROR_LIMIT when the text would
 *   be longer than #CONFAB_TEMPLATE_MAX_OUTPUT bytes
 *
 * Fills in the template. A value in @variables is copied as it is; a NULL
 * value counts as missing.
 *
 * Returns: (transfer full) (nullable): the text, or NULL with @error set
 */
char *
confab_template_render (ConfabTemplate  *self,
                        GHashTable      *variables,
                        GError         **error)
{
  g_autoptr (GDateTime) now = NULL;
  g_autofree char *date_text = NULL;
  g_autofree char *time_text = NULL;
  g_autofree const char **values = NULL;
  g_autofree guint8 *state = NULL;  /* per variable: VALID, MISSING */
  g_autofree gsize *lengths = NULL;  /* per VALID variable: its value's */
  g_autoptr (GString) out = NULL;
  Output output = { 0 };
  guint n_missing = 0;
  enum { VALID = 1, MISSING = 2 };

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  values = g_new0 (const char *, self->vars->len + 1);
  state = g_new0 (guint8, self->vars->len + 1);
  lengths = g_new0 (gsize, self->vars->len + 1);
  for (guint i = 0; i < self->vars->len; i++)
    {
      const Var *var = g_ptr_array_index (self->vars, i);

      values[i] = lookup (variables, var->name, &now, &date_text, &time_text);
    }

  out = g_string_sized_new (MIN (self->text_len + 64, CONFAB_TEMPLATE_MAX_OUTPUT));
  output.out = out;

  for (gsize i = 0; i < self->nodes->len; i++)
    {
      const Node *node = &g_array_index (self->nodes, Node, i);
      const char *value;

      switch (node->kind)
        {
        case NODE_TEXT:
          emit (&output, self->text + node->offset, node->length);
          break;

        case NODE_VALUE:
          value = values[node->var];
          if (node->has_default && (value == NULL || *value == '\0'))
            emit (&output, self->text + node->offset, node->length);
          else if (value == NULL)
            {
              if (state[node->var] != MISSING)
                n_missing++;
              state[node->var] = MISSING;
            }
          else
            {
              /* Measured and checked once, however often it is used. */
              if (state[node->var] != VALID)
                {
                  const Var *var = g_ptr_array_index (self->vars, node->var);

                  lengths[node->var] = strlen (value);
                  if (!g_utf8_validate (value, lengths[node->var], NULL))
                    {
                      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                                   _("The value of “%s” is not valid UTF-8 text"), var->name);
                      return NULL;
                    }
                  state[node->var] = VALID;
                }
              emit (&output, value, lengths[node->var]);
            }
          break;

        case NODE_SECTION:
          if (!is_true (values[node->var]))
            i = node->end;
          break;

        case NODE_INVERTED:
          if (is_true (values[node->var]))
            i = node->end;
          break;

        case NODE_END:
        default:
          break;
        }
    }

  if (n_missing > 0)
    {
      g_autoptr (GString) names = g_string_new (NULL);

      for (guint i = 0; i < self->vars->len; i++)
        if (state[i] == MISSING)
          {
            const Var *var = g_ptr_array_index (self->vars, i);

            if (names->len > 0)
              g_string_append (names, ", ");
            g_string_append (names, var->name);
          }
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   ngettext ("The template needs a value for: %s",
                             "The template needs values for: %s", n_missing),
                   names->str);
      return NULL;
    }

  if (output.too_long)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_LIMIT,
                   _("The text made from the template would be longer than %lu bytes"),
                   (gulong) CONFAB_TEMPLATE_MAX_OUTPUT);
      return NULL;
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * confab_template_render_string:
 * @source: the template text
 * @variables: (nullable) (element-type utf8 utf8): the values by name
 * @error: the errors of confab_template_parse() and confab_template_render()
 *
 * Parses and renders @source in one go.
 *
 * Returns: (transfer full) (nullable): the text, or NULL with @error set
 */
char *
confab_template_render_string (const char  *source,
                               GHashTable  *variables,
                               GError     **error)
{
  g_autoptr (ConfabTemplate) self = NULL;

  g_return_val_if_fail (source != NULL, NULL);

  self = confab_template_parse (source, error);
  if (self == NULL)
    return NULL;
  return confab_template_render (self, variables, error);
}

/**
 * confab_template_get_variables:
 * @self: a template
 *
 * The variables @self uses, each once, in order of first use, with the first
 * default given to each (or NULL) and whether it is only used as a section.
 * {{date}} and {{time}} are listed when used.
 *
 * Returns: (transfer full) (element-type ConfabTemplateVariable): the variables
 */
GPtrArray *
confab_template_get_variables (ConfabTemplate *self)
{
  GPtrArray *variables;

  g_return_val_if_fail (self != NULL, NULL);

  variables = g_ptr_array_new_full (self->vars->len, template_variable_free);
  for (guint i = 0; i < self->vars->len; i++)
    {
      const Var *var = g_ptr_array_index (self->vars, i);
      ConfabTemplateVariable *variable = g_new0 (ConfabTemplateVariable, 1);

      variable->name = g_strdup (var->name);
      variable->default_value = g_strdup (var->default_value);
      variable->section_only = var->section_only;
      g_ptr_array_add (variables, variable);
    }
  return variables;
}

/**
 * confab_template_is_builtin:
 * @name: a variable name
 *
 * Returns: whether the app gives @name by itself: "user.name", "agent.name",
 *   "date" or "time"
 */
gboolean
confab_template_is_builtin (const char *name)
{
  static const char * const builtins[] = { "user.name", "agent.name", "date", "time", NULL };

  return name != NULL && g_strv_contains (builtins, name);
}

/**
 * confab_template_detect_variables:
 * @source: a template text
 * @error: the errors of confab_template_parse()
 *
 * The variables someone filling in @source has to think about: every
 * variable it uses except the built-ins (confab_template_is_builtin()),
 * sections included, in order of first use, with the first default given
 * to each.
 *
 * Returns: (transfer full) (nullable) (element-type ConfabTemplateVariable):
 *   the variables, or NULL with @error set
 */
GPtrArray *
confab_template_detect_variables (const char  *source,
                                  GError     **error)
{
  g_autoptr (ConfabTemplate) self = NULL;
  GPtrArray *variables;

  g_return_val_if_fail (source != NULL, NULL);

  self = confab_template_parse (source, error);
  if (self == NULL)
    return NULL;
  variables = confab_template_get_variables (self);
  for (guint i = variables->len; i > 0; i--)
    {
      ConfabTemplateVariable *variable = g_ptr_array_index (variables, i - 1);

      if (confab_template_is_builtin (variable->name))
        g_ptr_array_remove_index (variables, i - 1);
    }
  return variables;
}
