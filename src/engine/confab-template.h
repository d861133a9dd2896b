#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Templates: the small language of system prompts, prompt-library versions
 * and rule responses.
 *
 * ## Template syntax
 *
 * | you write                 | you get                                                        |
 * |---------------------------|----------------------------------------------------------------|
 * | `{{name}}`, `{{ name }}`  | the value of the variable `name`                               |
 * | `{{name\|default text}}`  | the value, or `default text` when it is missing or empty       |
 * | `{{#name}}…{{/name}}`     | the text between the tags when `name` is true                  |
 * | `{{^name}}…{{/name}}`     | the text between the tags when `name` is not true              |
 * | `{{{{`                    | a literal `{{`                                                 |
 *
 * - A name starts with a letter or `_` and goes on with letters, digits, `_`,
 *   `-` and `.` (ASCII). A dotted name such as `user.name` is one plain name,
 *   not an object. Spaces and tabs may surround the name inside the braces.
 * - A default runs from the `|` to the first `}}` on the same line, without
 *   the spaces at either end; `{{name|}}` makes a variable optional.
 * - Built-in variables: the app gives `{{user.name}}` (the person chatting)
 *   and `{{agent.name}}` (the agent answering); `{{date}}` (today, YYYY-MM-DD)
 *   and `{{time}}` (HH:MM, 24-hour) are the local date and time unless the
 *   caller gives them.
 * - A variable is true when it is set, not empty, and neither `0` nor `false`
 *   (in any case). Sections nest (at most 32 deep), and the section's own
 *   variable may be used inside: `{{#order}}Your order {{order}}{{/order}}`.
 * - A line that holds nothing but one section tag (and spaces) disappears
 *   with its line break, so sections can sit on lines of their own.
 * - A variable that is needed and has neither a value nor a default is an
 *   error that lists every such variable. A variable used only as a section
 *   is never needed, nor is a placeholder in a section that is skipped.
 * - A lone `{` or `}` is plain text; every other `{{` starts a placeholder,
 *   and one that is not valid (such as `{{ }}` or `{{first name}}`) is an
 *   error naming its line.
 * - Values are inserted as they are: a value that contains `{{x}}` is not a
 *   template and comes out unchanged. Nothing is HTML-escaped.
 * - The result is at most 1 MiB.
 */

/* Sections inside each other, at most. */
#define CONFAB_TEMPLATE_MAX_DEPTH  32
/* The rendered text, in bytes, at most. */
#define CONFAB_TEMPLATE_MAX_OUTPUT (1024 * 1024)

/* A parsed template: parse once, render many times. Rendering does not
 * change it, so one template may be rendered from several threads at once. */
typedef struct _ConfabTemplate ConfabTemplate;

/* A variable that a template uses: its first default (or NULL), and whether
 * it is only used as a section ({{#name}} or {{^name}}). */
typedef struct
{
  char     *name;
  char     *default_value;
  gboolean  section_only;
} ConfabTemplateVariable;

ConfabTemplate *confab_template_parse          (const char      *source,
                                                GError         **error);
void            confab_template_free           (ConfabTemplate  *self);
char           *confab_template_render         (ConfabTemplate  *self,
                                                GHashTable      *variables,
                                                GError         **error);
char           *confab_template_render_string  (const char      *source,
                                                GHashTable      *variables,
                                                GError         **error);
GPtrArray      *confab_template_get_variables  (ConfabTemplate  *self);

/* Whether name is one of the variables the app always gives: user.name,
 * agent.name, date and time. */
gboolean        confab_template_is_builtin     (const char      *name);
/* The variables a text asks its user for, as a form would list them: those
 * of confab_template_get_variables() without the built-ins, section
 * variables ({{#x}}, {{^x}}) included, in order of first use, each with
 * its first default. NULL with the parse error when source is not a valid
 * template. (element-type ConfabTemplateVariable) */
GPtrArray      *confab_template_detect_variables (const char    *source,
                                                  GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabTemplate, confab_template_free)

G_END_DECLS
