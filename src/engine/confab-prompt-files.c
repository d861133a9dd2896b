#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "confab-error.h"
#include "confab-prompt-files.h"
#include "confab-prompt-label.h"
#include "confab-prompt-library.h"
#include "confab-prompt-test-case.h"
#include "confab-provider.h"
#include "confab-repository.h"
#include "confab-util.h"

/* See confab-prompt-files.h for both formats and what an import does. */

#define DEFAULT_TEMPERATURE 0.7
#define DEFAULT_MAX_TOKENS  1024

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

/* ------------------------------------------------------------------------ */
/* Report                                                                   */
/* ------------------------------------------------------------------------ */

void
confab_prompt_import_item_free (ConfabPromptImportItem *item)
{
  if (item == NULL)
    return;
  g_free (item->name);
  g_free (item->source);
  g_free (item->detail);
  g_free (item);
}

guint
confab_prompt_import_count (GPtrArray *report, ConfabPromptImportAction action, gboolean problem)
{
  guint n = 0;

  for (guint i = 0; report != NULL && i < report->len; i++)
    {
      ConfabPromptImportItem *item = g_ptr_array_index (report, i);

      if (item->action == action &&
          (action != CONFAB_PROMPT_IMPORT_SKIPPED || item->problem == problem))
        n++;
    }
  return n;
}

static void
report_add (GPtrArray               *report,
            ConfabPromptImportAction action,
            gboolean                 problem,
            const char              *name,
            int                      version,
            const char              *source,
            char                    *detail)
{
  ConfabPromptImportItem *item = g_new0 (ConfabPromptImportItem, 1);

  item->action = action;
  item->problem = problem;
  item->name = g_strdup (name);
  item->version = version;
  item->source = g_strdup (source);
  item->detail = detail;
  g_ptr_array_add (report, item);
}

/* ------------------------------------------------------------------------ */
/* Header values                                                            */
/* ------------------------------------------------------------------------ */

/* One line: "\n", "\r", "\t" and "\\" escaped; in a list item "," too. */
static void
append_escaped (GString *out, const char *value, gboolean list_item)
{
  for (const char *p = value; *p != '\0'; p++)
    switch (*p)
      {
      case '\\':
        g_string_append (out, "\\\\");
        break;
      case '\n':
        g_string_append (out, "\\n");
        break;
      case '\r':
        g_string_append (out, "\\r");
        break;
      case '\t':
        g_string_append (out, "\\t");
        break;
      case ',':
        g_string_append (out, list_item ? "\\," : ",");
        break;
      default:
        g_string_append_c (out, *p);
      }
}

/* Undoes append_escaped() on value[0..len); a lone backslash stays. */
static char *
unescape (const char *value, gsize len)
{
  GString *out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    {
      if (value[i] == '\\' && i + 1 < len)
        {
          char        next = value[i + 1];
          const char *replacement = next == 'n'    ? "\n"
                                    : next == 'r'  ? "\r"
                                    : next == 't'  ? "\t"
                                    : next == '\\' ? "\\"
                                    : next == ','  ? ","
                                                   : NULL;

          if (replacement != NULL)
            {
              g_string_append (out, replacement);
              i++;
              continue;
            }
        }
      g_string_append_c (out, value[i]);
    }
  return g_string_free (out, FALSE);
}

/* A list value: items split at commas that are not escaped, each trimmed
 * and unescaped; empty items dropped. */
static char **
split_list (const char *value)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  const char *start = value;

  for (const char *p = value;; p++)
    {
      if (*p == '\\' && p[1] != '\0')
        {
          p++;
          continue;
        }
      if (*p == ',' || *p == '\0')
        {
          g_autofree char *item = unescape (start, p - start);

          g_strstrip (item);
          if (*item != '\0')
            g_strv_builder_add (builder, item);
          if (*p == '\0')
            break;
          start = p + 1;
        }
    }
  return g_strv_builder_end (builder);
}

/* The shortest text that reads back as the same double. */
static char *
format_double (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  for (int precision = 1; precision <= 17; precision++)
    {
      char format[8];

      g_snprintf (format, sizeof format, "%%.%dg", precision);
      g_ascii_formatd (buf, sizeof buf, format, value);
      if (g_ascii_strtod (buf, NULL) == value)
        break;
    }
  return g_strdup (buf);
}

static void
add_header (GString *out, const char *key, const char *value)
{
  g_string_append_printf (out, "%s: ", key);
  append_escaped (out, value, FALSE);
  g_string_append_c (out, '\n');
}

static void
add_list_header (GString *out, const char *key, const char *const *items)
{
  g_string_append_printf (out, "%s: ", key);
  for (guint i = 0; items[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append (out, ", ");
      append_escaped (out, items[i], TRUE);
    }
  g_string_append_c (out, '\n');
}

static char *
dup_provider_name (ConfabDatabase *db, const char *provider_id)
{
  g_autoptr (ConfabProvider) provider = NULL;

  if (!is_set (provider_id))
    return NULL;
  if (db != NULL)
    provider = confab_repository_get (db, CONFAB_TYPE_PROVIDER, provider_id, NULL);
  return g_strdup (provider != NULL ? confab_provider_get_name (provider) : NULL);
}

/**
 * confab_prompt_file_format:
 * @db: (nullable): the workspace, to name the provider
 * @prompt: the prompt
 * @version: one of its versions
 * @labels: (nullable) (element-type ConfabPromptLabel): the prompt's labels
 *
 * Returns: (transfer full): the .prompt file of @version
 */
char *
confab_prompt_file_format (ConfabDatabase      *db,
                           ConfabPrompt        *prompt,
                           ConfabPromptVersion *version,
                           GPtrArray           *labels)
{
  GString *out = g_string_new (NULL);
  g_auto (GStrv) label_names = NULL;
  g_auto (GStrv) tags = NULL;
  g_autofree char *provider = NULL;
  g_autofree char *temperature = NULL;
  const char      *text;

  g_return_val_if_fail (CONFAB_IS_PROMPT (prompt), NULL);
  g_return_val_if_fail (CONFAB_IS_PROMPT_VERSION (version), NULL);

  add_header (out, "name", confab_prompt_get_name (prompt));
  g_string_append_printf (out, "version: %d\n", confab_prompt_version_get_version (version));
  label_names = confab_prompt_library_labels_of_version (
      labels, confab_prompt_version_get_version (version), FALSE);
  if (label_names[0] != NULL)
    add_list_header (out, "labels", (const char *const *) label_names);
  tags = confab_prompt_dup_tags (prompt);
  if (tags[0] != NULL)
    add_list_header (out, "tags", (const char *const *) tags);
  if (is_set (text = confab_prompt_get_description (prompt)))
    add_header (out, "description", text);
  provider = dup_provider_name (db, confab_prompt_version_get_provider_id (version));
  if (provider != NULL)
    add_header (out, "provider", provider);
  if (is_set (text = confab_prompt_version_get_model (version)))
    add_header (out, "model", text);
  temperature = format_double (confab_prompt_version_get_temperature (version));
  g_string_append_printf (out, "temperature: %s\n", temperature);
  g_string_append_printf (out, "max_tokens: %d\n", confab_prompt_version_get_max_tokens (version));
  if (is_set (text = confab_prompt_version_get_message (version)))
    add_header (out, "message", text);
  g_string_append (out, "---\n");
  g_string_append (out, confab_prompt_version_get_body (version));
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                  */
/* ------------------------------------------------------------------------ */

void
confab_prompt_file_free (ConfabPromptFile *file)
{
  if (file == NULL)
    return;
  g_free (file->name);
  g_strfreev (file->labels);
  g_strfreev (file->tags);
  g_free (file->description);
  g_free (file->provider);
  g_free (file->model);
  g_free (file->message);
  g_free (file->body);
  g_free (file);
}

static const char *const header_keys[] = { "name",        "version",  "labels", "tags",
                                           "description", "provider", "model",  "temperature",
                                           "max_tokens",  "message",  NULL };

static guint
line_at (const char *data, const char *position)
{
  guint line = 1;

  for (const char *p = data; p < position; p++)
    if (*p == '\n')
      line++;
  return line;
}

static gboolean
parse_positive_int (const char *text, int *out)
{
  guint64 value;

  if (*text == '\0')
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  value = g_ascii_strtoull (text, NULL, 10);
  if (value == 0 || value > G_MAXINT)
    return FALSE;
  *out = (int) value;
  return TRUE;
}

/* Sets the header field key (known, not seen before) from value. */
static gboolean
set_field (ConfabPromptFile *file,
           const char       *key,
           const char       *raw,
           gsize             raw_len,
           guint             line,
           GError          **error)
{
  g_autofree char *value = unescape (raw, raw_len);

  g_strstrip (value);
  if (strcmp (key, "name") == 0)
    file->name = g_steal_pointer (&value);
  else if (strcmp (key, "version") == 0)
    {
      if (!parse_positive_int (value, &file->version))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Line %u: “%s” is not a version number (1, 2, 3…)"), line, value);
          return FALSE;
        }
    }
  else if (strcmp (key, "labels") == 0 || strcmp (key, "tags") == 0)
    {
      g_autofree char *list = g_strndup (raw, raw_len);
      char           **items = split_list (g_strstrip (list));

      if (strcmp (key, "labels") == 0)
        {
          g_strfreev (file->labels);
          file->labels = items;
        }
      else
        file->tags = items;
    }
  else if (strcmp (key, "description") == 0)
    file->description = g_steal_pointer (&value);
  else if (strcmp (key, "provider") == 0)
    file->provider = *value != '\0' ? g_steal_pointer (&value) : NULL;
  else if (strcmp (key, "model") == 0)
    file->model = *value != '\0' ? g_steal_pointer (&value) : NULL;
  else if (strcmp (key, "temperature") == 0)
    {
      char  *end = NULL;
      double temperature = g_ascii_strtod (value, &end);

      if (*value == '\0' || end == NULL || *end != '\0' ||
          !(temperature >= 0.0 && temperature <= 2.0))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Line %u: the temperature “%s” is not a number from 0 to 2"), line,
                       value);
          return FALSE;
        }
      file->temperature = temperature;
    }
  else if (strcmp (key, "max_tokens") == 0)
    {
      if (!parse_positive_int (value, &file->max_tokens))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Line %u: the maximum number of tokens “%s” is not a whole number "
                         "above 0"),
                       line, value);
          return FALSE;
        }
    }
  else if (strcmp (key, "message") == 0)
    file->message = *value != '\0' ? g_steal_pointer (&value) : NULL;
  return TRUE;
}

/**
 * confab_prompt_file_parse:
 * @data: the file's bytes
 * @len: their length, or -1 when @data is NUL-terminated
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (nullable): the file, or NULL with @error set
 */
ConfabPromptFile *
confab_prompt_file_parse (const char *data, gssize len, GError **error)
{
  g_autoptr (ConfabPromptFile) file = g_new0 (ConfabPromptFile, 1);
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  const char *end, *p, *body = NULL, *invalid = NULL;
  guint       line = 0;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len < 0)
    len = strlen (data);
  end = data + len;
  file->temperature = DEFAULT_TEMPERATURE;
  file->max_tokens = DEFAULT_MAX_TOKENS;
  file->labels = g_new0 (char *, 1);

  for (p = data; p < end;)
    {
      const char      *eol = memchr (p, '\n', end - p);
      const char      *line_end = eol != NULL ? eol : end;
      const char      *colon;
      g_autofree char *key = NULL;
      guint            i;

      line++;
      if (line_end > p && line_end[-1] == '\r')
        line_end--;
      if (!g_utf8_validate (p, line_end - p, &invalid))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Line %u is not valid UTF-8 text"), line);
          return NULL;
        }
      if (line_end - p == 3 && memcmp (p, "---", 3) == 0)
        {
          body = eol != NULL ? eol + 1 : end;
          break;
        }
      if (line_end == p || *p == '#' || memchr (p, '\0', line_end - p) != NULL)
        {
          if (line_end > p && *p != '#')
            {
              g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                           _("Line %u holds a NUL character"), line);
              return NULL;
            }
          p = eol != NULL ? eol + 1 : end;
          continue;
        }

      colon = memchr (p, ':', line_end - p);
      if (colon == NULL)
        {
          g_autofree char *text = g_strndup (p, MIN (line_end - p, 60));

          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Line %u: “%s” is not a “key: value” line (the header ends with a "
                         "line “---”)"),
                       line, text);
          return NULL;
        }
      key = g_strstrip (g_strndup (p, colon - p));
      for (i = 0; header_keys[i] != NULL; i++)
        if (strcmp (header_keys[i], key) == 0)
          break;
      if (header_keys[i] == NULL)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Line %u: unknown key “%s”; the keys are name, version, labels, tags, "
                         "description, provider, model, temperature, max_tokens and message"),
                       line, key);
          return NULL;
        }
      if (g_hash_table_contains (seen, header_keys[i]))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("Line %u: the key “%s” is given twice"), line, key);
          return NULL;
        }
      g_hash_table_add (seen, (gpointer) header_keys[i]);
      if (!set_field (file, header_keys[i], colon + 1, line_end - colon - 1, line, error))
        return NULL;
      p = eol != NULL ? eol + 1 : end;
    }

  if (body == NULL)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The file has no line “---” between its header and its text"));
      return NULL;
    }
  if (!is_set (file->name))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The header has no “name: …” line"));
      return NULL;
    }
  if (file->version == 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The header has no “version: …” line"));
      return NULL;
    }
  if (memchr (body, '\0', end - body) != NULL)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The text holds a NUL character (line %u of the file)"),
                   line_at (data, memchr (body, '\0', end - body)));
      return NULL;
    }
  if (!g_utf8_validate (body, end - body, &invalid))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The text is not valid UTF-8 (line %u of the file)"),
                   line_at (data, invalid));
      return NULL;
    }
  file->body = g_strndup (body, end - body);
  return g_steal_pointer (&file);
}

/* ------------------------------------------------------------------------ */
/* File names                                                               */
/* ------------------------------------------------------------------------ */

static void
append_component (GString *out, const char *start, gsize len)
{
  gboolean dots_only = len > 0;

  for (gsize i = 0; i < len; i++)
    if (start[i] != '.')
      dots_only = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) start[i];

      /* "." and ".." would leave the folder; a leading "." would hide the file. */
      if (c < 0x20 || c == 0x7f || strchr ("\\:*?\"<>|%", c) != NULL ||
          (c == '.' && (i == 0 || dots_only)))
        g_string_append_printf (out, "%%%02X", c);
      else
        g_string_append_c (out, (char) c);
    }
}

char *
confab_prompt_file_path (const char *name, int version)
{
  GString    *out = g_string_new (NULL);
  const char *start = name;

  g_return_val_if_fail (name != NULL, NULL);

  for (const char *p = name;; p++)
    if (*p == '/' || *p == '\0')
      {
        append_component (out, start, p - start);
        if (*p == '\0')
          break;
        g_string_append_c (out, '/');
        start = p + 1;
      }
  g_string_append_printf (out, ".v%d" CONFAB_PROMPT_FILE_SUFFIX, version);
  return g_string_free (out, FALSE);
}

/* ------------------------------------------------------------------------ */
/* What an import brings                                                    */
/* ------------------------------------------------------------------------ */

typedef struct
{
  int    version;
  char  *source;
  char  *body;
  char  *message;
  char  *provider; /* by name */
  char  *model;
  double temperature;
  int    max_tokens;
} ImportVersion;

typedef struct
{
  char *name;
  int   version;
  char *source;
} ImportLabel;

typedef struct
{
  char *name;
  char *variables; /* JSON object */
  char *input;
  char *assertions; /* JSON array */
  char *source;
} ImportCase;

typedef struct
{
  char      *name;
  char      *source; /* where the prompt's own fields come from */
  gboolean   has_description;
  char      *description;
  char     **tags;           /* NULL: not given */
  int        fields_version; /* the version whose file gave them */
  GPtrArray *versions;       /* ImportVersion, by number once sorted */
  GPtrArray *labels;         /* ImportLabel */
  GPtrArray *cases;          /* ImportCase */
} ImportPrompt;

static void
import_version_free (gpointer data)
{
  ImportVersion *v = data;

  g_free (v->source);
  g_free (v->body);
  g_free (v->message);
  g_free (v->provider);
  g_free (v->model);
  g_free (v);
}

static void
import_label_free (gpointer data)
{
  ImportLabel *label = data;

  g_free (label->name);
  g_free (label->source);
  g_free (label);
}

static void
import_case_free (gpointer data)
{
  ImportCase *c = data;

  g_free (c->name);
  g_free (c->variables);
  g_free (c->input);
  g_free (c->assertions);
  g_free (c->source);
  g_free (c);
}

static void
import_prompt_free (gpointer data)
{
  ImportPrompt *ip = data;

  g_free (ip->name);
  g_free (ip->source);
  g_free (ip->description);
  g_strfreev (ip->tags);
  g_ptr_array_unref (ip->versions);
  g_ptr_array_unref (ip->labels);
  g_ptr_array_unref (ip->cases);
  g_free (ip);
}

static ImportPrompt *
import_prompt_new (const char *name, const char *source)
{
  ImportPrompt *ip = g_new0 (ImportPrompt, 1);

  ip->name = g_strdup (name);
  ip->source = g_strdup (source);
  ip->versions = g_ptr_array_new_with_free_func (import_version_free);
  ip->labels = g_ptr_array_new_with_free_func (import_label_free);
  ip->cases = g_ptr_array_new_with_free_func (import_case_free);
  return ip;
}

static void
add_import_label (ImportPrompt *ip, const char *name, int version, const char *source)
{
  ImportLabel *label;

  /* Two files with one label: the newer version keeps it. */
  for (guint i = 0; i < ip->labels->len; i++)
    {
      label = g_ptr_array_index (ip->labels, i);
      if (strcmp (label->name, name) == 0)
        {
          if (version > label->version)
            {
              label->version = version;
              g_free (label->source);
              label->source = g_strdup (source);
            }
          return;
        }
    }
  label = g_new0 (ImportLabel, 1);
  label->name = g_strdup (name);
  label->version = version;
  label->source = g_strdup (source);
  g_ptr_array_add (ip->labels, label);
}

static int
compare_versions (gconstpointer a, gconstpointer b)
{
  const ImportVersion *va = *(ImportVersion *const *) a;
  const ImportVersion *vb = *(ImportVersion *const *) b;

  return (va->version > vb->version) - (va->version < vb->version);
}

static int
compare_prompts (gconstpointer a, gconstpointer b)
{
  const ImportPrompt *pa = *(ImportPrompt *const *) a;
  const ImportPrompt *pb = *(ImportPrompt *const *) b;

  return strcmp (pa->name, pb->name);
}

/* ------------------------------------------------------------------------ */
/* Applying an import                                                       */
/* ------------------------------------------------------------------------ */

typedef struct
{
  ConfabDatabase *db;
  const char     *actor_id;
  GPtrArray      *report;
} Import;

/* Errors of one item: it is skipped and the import goes on. Anything else
 * is the workspace failing, which ends the import. */
static gboolean
is_item_error (const GError *error)
{
  return error->domain == CONFAB_ERROR &&
         (error->code == CONFAB_ERROR_INVALID || error->code == CONFAB_ERROR_CONFLICT ||
          error->code == CONFAB_ERROR_NOT_FOUND || error->code == CONFAB_ERROR_LIMIT);
}

static gboolean
same_version (ConfabDatabase *db, ImportVersion *v, ConfabPromptVersion *stored)
{
  g_autofree char *provider =
      dup_provider_name (db, confab_prompt_version_get_provider_id (stored));
  const char *model = confab_prompt_version_get_model (stored);

  return g_strcmp0 (v->body, confab_prompt_version_get_body (stored)) == 0 &&
         g_strcmp0 (v->provider, provider) == 0 &&
         g_strcmp0 (v->model, is_set (model) ? model : NULL) == 0 &&
         fabs (v->temperature - confab_prompt_version_get_temperature (stored)) < 1e-9 &&
         v->max_tokens == confab_prompt_version_get_max_tokens (stored);
}

static char *
tags_json (const char *const *tags)
{
  g_autoptr (ConfabPrompt) scratch = confab_prompt_new ("");

  confab_prompt_set_tags (scratch, tags);
  return g_strdup (confab_prompt_get_tags (scratch));
}

/* The prompt to import into, created or brought up to date; NULL when it
 * was skipped (reported) or the workspace failed (error set). */
static ConfabPrompt *
apply_prompt_fields (Import *imp, ImportPrompt *ip, GError **error)
{
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GPtrArray) changed = g_ptr_array_new ();

  prompt = confab_repository_find (imp->db, CONFAB_TYPE_PROMPT, "name", ip->name, &local_error);
  if (prompt == NULL && !g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_clear_error (&local_error);

  if (prompt == NULL)
    {
      prompt = confab_prompt_new (ip->name);
      if (ip->has_description && is_set (ip->description))
        confab_prompt_set_description (prompt, ip->description);
      if (ip->tags != NULL)
        confab_prompt_set_tags (prompt, (const char *const *) ip->tags);
      if (!confab_repository_create (imp->db, CONFAB_ENTITY (prompt), imp->actor_id, &local_error))
        {
          if (!is_item_error (local_error))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          report_add (
              imp->report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, ip->name, 0, ip->source,
              g_strdup_printf (_("The prompt could not be created: %s"), local_error->message));
          return NULL;
        }
      report_add (imp->report, CONFAB_PROMPT_IMPORT_CREATED, FALSE, ip->name, 0, ip->source,
                  g_strdup (_("New prompt")));
      return g_steal_pointer (&prompt);
    }

  if (ip->has_description && g_strcmp0 (is_set (ip->description) ? ip->description : NULL,
                                        is_set (confab_prompt_get_description (prompt))
                                            ? confab_prompt_get_description (prompt)
                                            : NULL) != 0)
    {
      confab_prompt_set_description (prompt, is_set (ip->description) ? ip->description : NULL);
      g_ptr_array_add (changed, (gpointer) _("description"));
    }
  if (ip->tags != NULL)
    {
      g_autofree char *wanted = tags_json ((const char *const *) ip->tags);

      if (g_strcmp0 (wanted, confab_prompt_get_tags (prompt)) != 0)
        {
          confab_prompt_set_tags_json (prompt, wanted);
          g_ptr_array_add (changed, (gpointer) _("tags"));
        }
    }
  if (changed->len > 0)
    {
      g_autofree char *what = NULL;

      g_ptr_array_add (changed, NULL);
      what = g_strjoinv (", ", (char **) changed->pdata);
      if (!confab_repository_update (imp->db, CONFAB_ENTITY (prompt), imp->actor_id, &local_error))
        {
          if (!is_item_error (local_error))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          report_add (
              imp->report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, ip->name, 0, ip->source,
              g_strdup_printf (_("Its %s could not be changed: %s"), what, local_error->message));
        }
      else
        report_add (imp->report, CONFAB_PROMPT_IMPORT_UPDATED, FALSE, ip->name, 0, ip->source,
                    g_strdup_printf (_("Changed its %s"), what));
    }
  return g_steal_pointer (&prompt);
}

/* Creates or checks one version; in_sync gets its number when the
 * workspace's version is now the same as the imported one. */
static gboolean
apply_version (
    Import *imp, ConfabPrompt *prompt, ImportVersion *v, GHashTable *in_sync, GError **error)
{
  const char *name = confab_prompt_get_name (prompt);
  g_autoptr (ConfabPromptVersion) stored = NULL;
  g_autoptr (ConfabPromptVersion) latest = NULL;
  g_autoptr (ConfabPromptVersion) draft = NULL;
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *note = NULL;
  int              newest = 0;

  stored = confab_prompt_get_version (imp->db, id_of (prompt), v->version, &local_error);
  if (stored != NULL)
    {
      if (same_version (imp->db, v, stored))
        {
          g_hash_table_add (in_sync, GINT_TO_POINTER (v->version));
          report_add (imp->report, CONFAB_PROMPT_IMPORT_SKIPPED, FALSE, name, v->version, v->source,
                      g_strdup (_("Already in the workspace")));
        }
      else
        report_add (imp->report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, name, v->version, v->source,
                    g_strdup_printf (_("Version %d in the workspace has another text or other "
                                       "model settings, and versions are never overwritten: "
                                       "save this text as a new version to keep it"),
                                     v->version));
      return TRUE;
    }
  if (!g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_clear_error (&local_error);

  latest = confab_prompt_get_latest_version (imp->db, id_of (prompt), &local_error);
  if (latest != NULL)
    newest = confab_prompt_version_get_version (latest);
  else if (!g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_clear_error (&local_error);

  if (v->version != newest + 1)
    {
      report_add (imp->report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, name, v->version, v->source,
                  v->version == newest + 2
                      ? g_strdup_printf (_("Version %d is missing before it, and version numbers "
                                           "have no gaps"),
                                         newest + 1)
                      : g_strdup_printf (_("Versions %d to %d are missing before it, and version "
                                           "numbers have no gaps"),
                                         newest + 1, v->version - 1));
      return TRUE;
    }

  draft = confab_prompt_version_new (id_of (prompt), v->body);
  confab_prompt_version_set_message (draft, v->message);
  confab_prompt_version_set_author_id (draft, imp->actor_id);
  confab_prompt_version_set_model (draft, v->model);
  confab_prompt_version_set_temperature (draft, v->temperature);
  confab_prompt_version_set_max_tokens (draft, v->max_tokens);
  if (v->provider != NULL)
    {
      provider =
          confab_repository_find (imp->db, CONFAB_TYPE_PROVIDER, "name", v->provider, &local_error);
      if (provider != NULL)
        confab_prompt_version_set_provider_id (draft, id_of (provider));
      else if (g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
        note = g_strdup_printf (_("New version, without its provider “%s”, which this "
                                  "workspace does not have"),
                                v->provider);
      else
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_clear_error (&local_error);
    }

  if (!confab_prompt_library_save_as_is (imp->db, draft, &local_error))
    {
      if (!is_item_error (local_error))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      report_add (imp->report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, name, v->version, v->source,
                  g_strdup (local_error->message));
      return TRUE;
    }
  /* Only a version the same as the one imported may carry its labels. */
  if (note == NULL)
    g_hash_table_add (in_sync, GINT_TO_POINTER (v->version));
  report_add (imp->report, CONFAB_PROMPT_IMPORT_CREATED, FALSE, name, v->version, v->source,
              note != NULL ? g_steal_pointer (&note) : g_strdup (_("New version")));
  return TRUE;
}

static gboolean
apply_label (
    Import *imp, ConfabPrompt *prompt, ImportLabel *label, GHashTable *in_sync, GError **error)
{
  const char *name = confab_prompt_get_name (prompt);
  g_autoptr (ConfabPromptVersion) current = NULL;
  g_autoptr (GError) local_error = NULL;
  int from = 0;

  if (!g_hash_table_contains (in_sync, GINT_TO_POINTER (label->version)))
    {
      report_add (imp->report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, name, 0, label->source,
                  g_strdup_printf (_("The label “%s” stays where it is: version %d was not "
                                     "imported as it is"),
                                   label->name, label->version));
      return TRUE;
    }

  if (g_ascii_strcasecmp (label->name, CONFAB_PROMPT_LABEL_LATEST) != 0)
    current = confab_prompt_resolve (imp->db, id_of (prompt), label->name, 0, &local_error);
  if (current != NULL)
    from = confab_prompt_version_get_version (current);
  else if (local_error != NULL &&
           !g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_clear_error (&local_error);
  if (from == label->version)
    return TRUE;

  if (!confab_prompt_library_move_label (imp->db, id_of (prompt), label->name, label->version,
                                         imp->actor_id, &local_error))
    {
      if (!is_item_error (local_error))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      report_add (imp->report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, name, 0, label->source,
                  g_strdup (local_error->message));
      return TRUE;
    }
  report_add (imp->report, CONFAB_PROMPT_IMPORT_UPDATED, FALSE, name, 0, label->source,
              from > 0 ? g_strdup_printf (_("Moved the label “%s” from version %d to version %d"),
                                          label->name, from, label->version)
                       : g_strdup_printf (_("Put the label “%s” on version %d"), label->name,
                                          label->version));
  return TRUE;
}

/* JSON text as json-glib writes it, so equal values compare equal. */
static char *
normalize_json (const char *json)
{
  g_autoptr (JsonNode) node = is_set (json) ? json_from_string (json, NULL) : NULL;

  return node != NULL ? json_to_string (node, FALSE) : g_strdup (json ? json : "");
}

static gboolean
apply_case (
    Import *imp, ConfabPrompt *prompt, GPtrArray *stored_cases, ImportCase *c, GError **error)
{
  const char *name = confab_prompt_get_name (prompt);
  g_autoptr (ConfabPromptTestCase) test_case = NULL;
  g_autoptr (GError) local_error = NULL;
  gboolean created = FALSE;

  for (guint i = 0; i < stored_cases->len; i++)
    {
      ConfabPromptTestCase *stored = g_ptr_array_index (stored_cases, i);

      if (g_strcmp0 (confab_prompt_test_case_get_name (stored), c->name) == 0)
        test_case = g_object_ref (stored);
    }

  if (test_case == NULL)
    {
      test_case = confab_prompt_test_case_new (id_of (prompt), c->name);
      created = TRUE;
    }
  else
    {
      g_autofree char *old_variables =
          normalize_json (confab_prompt_test_case_get_variables (test_case));
      g_autofree char *new_variables = normalize_json (c->variables);
      g_autofree char *old_assertions =
          normalize_json (confab_prompt_test_case_get_assertions (test_case));
      g_autofree char *new_assertions = normalize_json (c->assertions);

      if (strcmp (old_variables, new_variables) == 0 &&
          strcmp (old_assertions, new_assertions) == 0 &&
          g_strcmp0 (confab_prompt_test_case_get_input (test_case), c->input) == 0)
        {
          report_add (
              imp->report, CONFAB_PROMPT_IMPORT_SKIPPED, FALSE, name, 0, c->source,
              g_strdup_printf (_("The test case “%s” is already in the workspace"), c->name));
          return TRUE;
        }
    }
  confab_prompt_test_case_set_variables (test_case, c->variables);
  confab_prompt_test_case_set_input (test_case, c->input);
  confab_prompt_test_case_set_assertions (test_case, c->assertions);

  if (created ? !confab_repository_create (imp->db, CONFAB_ENTITY (test_case), imp->actor_id,
                                           &local_error)
              : !confab_repository_update (imp->db, CONFAB_ENTITY (test_case), imp->actor_id,
                                           &local_error))
    {
      if (!is_item_error (local_error))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      report_add (imp->report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, name, 0, c->source,
                  g_strdup_printf (_("The test case “%s” was left out: %s"), c->name,
                                   local_error->message));
      return TRUE;
    }
  report_add (imp->report, created ? CONFAB_PROMPT_IMPORT_CREATED : CONFAB_PROMPT_IMPORT_UPDATED,
              FALSE, name, 0, c->source,
              created ? g_strdup_printf (_("New test case “%s”"), c->name)
                      : g_strdup_printf (_("Changed the test case “%s”"), c->name));
  return TRUE;
}

static gboolean
apply_prompt (Import *imp, ImportPrompt *ip, GError **error)
{
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (GHashTable) in_sync = g_hash_table_new (NULL, NULL);
  g_autoptr (GPtrArray) stored_cases = NULL;
  g_autoptr (GError) local_error = NULL;

  prompt = apply_prompt_fields (imp, ip, &local_error);
  if (prompt == NULL)
    {
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      return TRUE;
    }

  g_ptr_array_sort (ip->versions, compare_versions);
  for (guint i = 0; i < ip->versions->len; i++)
    if (!apply_version (imp, prompt, g_ptr_array_index (ip->versions, i), in_sync, error))
      return FALSE;

  for (guint i = 0; i < ip->labels->len; i++)
    if (!apply_label (imp, prompt, g_ptr_array_index (ip->labels, i), in_sync, error))
      return FALSE;

  if (ip->cases->len == 0)
    return TRUE;
  stored_cases = confab_repository_list (imp->db, CONFAB_TYPE_PROMPT_TEST_CASE, "prompt_id",
                                         id_of (prompt), error);
  if (stored_cases == NULL)
    return FALSE;
  for (guint i = 0; i < ip->cases->len; i++)
    if (!apply_case (imp, prompt, stored_cases, g_ptr_array_index (ip->cases, i), error))
      return FALSE;
  return TRUE;
}

/* Applies every prompt (by name) in one transaction. */
static GPtrArray *
apply_import (ConfabDatabase *db,
              const char     *actor_id,
              GPtrArray      *prompts,
              GPtrArray      *report,
              GCancellable   *cancellable,
              GError        **error)
{
  Import imp = { db, actor_id, report };

  g_ptr_array_sort (prompts, compare_prompts);
  if (!confab_database_begin (db, error))
    return NULL;
  for (guint i = 0; i < prompts->len; i++)
    if (g_cancellable_set_error_if_cancelled (cancellable, error) ||
        !apply_prompt (&imp, g_ptr_array_index (prompts, i), error))
      {
        confab_database_rollback (db);
        return NULL;
      }
  if (!confab_database_commit (db, error))
    return NULL;
  return g_ptr_array_ref (report);
}

/* ------------------------------------------------------------------------ */
/* Folders                                                                  */
/* ------------------------------------------------------------------------ */

static gboolean
write_file (GFile        *folder,
            const char   *relative,
            const char   *contents,
            GCancellable *cancellable,
            GError      **error)
{
  g_autoptr (GFile) file = g_file_resolve_relative_path (folder, relative);
  g_autoptr (GFile) parent = g_file_get_parent (file);
  g_autoptr (GError) local_error = NULL;

  if (!g_file_make_directory_with_parents (parent, cancellable, &local_error) &&
      !g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    {
      g_autofree char *where = g_file_get_parse_name (parent);

      g_set_error (error, local_error->domain, local_error->code,
                   _("Could not create the folder “%s”: %s"), where, local_error->message);
      return FALSE;
    }
  g_clear_error (&local_error);
  if (!g_file_replace_contents (file, contents, strlen (contents), NULL, FALSE, G_FILE_CREATE_NONE,
                                NULL, cancellable, &local_error))
    {
      g_autofree char *where = g_file_get_parse_name (file);

      g_set_error (error, local_error->domain, local_error->code, _("Could not write “%s”: %s"),
                   where, local_error->message);
      return FALSE;
    }
  return TRUE;
}

gboolean
confab_prompt_files_export (ConfabDatabase *db,
                            GFile          *folder,
                            guint          *out_n_files,
                            GCancellable   *cancellable,
                            GError        **error)
{
  g_autoptr (GPtrArray) prompts = NULL;
  guint n_files = 0;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (G_IS_FILE (folder), FALSE);

  if (out_n_files != NULL)
    *out_n_files = 0;
  prompts = confab_repository_list (db, CONFAB_TYPE_PROMPT, NULL, NULL, error);
  if (prompts == NULL)
    return FALSE;

  for (guint i = 0; i < prompts->len; i++)
    {
      ConfabPrompt *prompt = g_ptr_array_index (prompts, i);
      g_autoptr (GPtrArray) versions = NULL;
      g_autoptr (GPtrArray) labels = NULL;

      versions = confab_prompt_list_versions (db, id_of (prompt), error);
      labels = versions != NULL ? confab_prompt_list_labels (db, id_of (prompt), error) : NULL;
      if (labels == NULL)
        return FALSE;
      for (guint j = 0; j < versions->len; j++)
        {
          ConfabPromptVersion *version = g_ptr_array_index (versions, j);
          g_autofree char     *path = confab_prompt_file_path (
                  confab_prompt_get_name (prompt), confab_prompt_version_get_version (version));
          g_autofree char *contents = confab_prompt_file_format (db, prompt, version, labels);

          if (!write_file (folder, path, contents, cancellable, error))
            return FALSE;
          n_files++;
        }
    }
  if (out_n_files != NULL)
    *out_n_files = n_files;
  return TRUE;
}

/* Every *.prompt file below dir, hidden folders (.git) and links left out. */
static gboolean
collect_files (GFile *dir, GPtrArray *files, GCancellable *cancellable, GError **error)
{
  g_autoptr (GFileEnumerator) enumerator = NULL;

  enumerator = g_file_enumerate_children (
      dir, G_FILE_ATTRIBUTE_STANDARD_NAME "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
      G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, error);
  if (enumerator == NULL)
    return FALSE;

  for (;;)
    {
      GFileInfo  *info = NULL;
      GFile      *child = NULL;
      const char *name;

      if (!g_file_enumerator_iterate (enumerator, &info, &child, cancellable, error))
        return FALSE;
      if (info == NULL)
        break;
      name = g_file_info_get_name (info);
      if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY && name[0] != '.')
        {
          if (!collect_files (child, files, cancellable, error))
            return FALSE;
        }
      else if (g_file_info_get_file_type (info) == G_FILE_TYPE_REGULAR &&
               g_str_has_suffix (name, CONFAB_PROMPT_FILE_SUFFIX))
        g_ptr_array_add (files, g_object_ref (child));
    }
  return TRUE;
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static ImportPrompt *
prompt_for (GHashTable *by_name, GPtrArray *prompts, const char *name, const char *source)
{
  ImportPrompt *ip = g_hash_table_lookup (by_name, name);

  if (ip == NULL)
    {
      ip = import_prompt_new (name, source);
      g_ptr_array_add (prompts, ip);
      g_hash_table_insert (by_name, ip->name, ip);
    }
  return ip;
}

/* Adds a parsed file to what the import brings. */
static void
add_file (GHashTable       *by_name,
          GPtrArray        *prompts,
          GPtrArray        *report,
          ConfabPromptFile *file,
          const char       *source)
{
  ImportPrompt  *ip = prompt_for (by_name, prompts, file->name, source);
  ImportVersion *v;

  for (guint i = 0; i < ip->versions->len; i++)
    {
      ImportVersion *other = g_ptr_array_index (ip->versions, i);

      if (other->version == file->version)
        {
          report_add (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, file->name, file->version, source,
                      g_strdup_printf (_("“%s” gives version %d of this prompt too"),
                                       other->source, file->version));
          return;
        }
    }

  v = g_new0 (ImportVersion, 1);
  v->version = file->version;
  v->source = g_strdup (source);
  v->body = g_strdup (file->body);
  v->message = g_strdup (file->message);
  v->provider = g_strdup (file->provider);
  v->model = g_strdup (file->model);
  v->temperature = file->temperature;
  v->max_tokens = file->max_tokens;
  g_ptr_array_add (ip->versions, v);

  for (guint i = 0; file->labels[i] != NULL; i++)
    add_import_label (ip, file->labels[i], file->version, source);

  /* The prompt's own fields: the newest version's file says what they are now. */
  if (file->version > ip->fields_version)
    {
      ip->fields_version = file->version;
      g_free (ip->source);
      ip->source = g_strdup (source);
      ip->has_description = TRUE;
      g_free (ip->description);
      ip->description = g_strdup (file->description);
      g_strfreev (ip->tags);
      ip->tags = g_strdupv (file->tags);
      if (ip->tags == NULL)
        ip->tags = g_new0 (char *, 1);
    }
}

GPtrArray *
confab_prompt_files_import (ConfabDatabase *db,
                            GFile          *folder,
                            const char     *actor_id,
                            GCancellable   *cancellable,
                            GError        **error)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) prompts = g_ptr_array_new_with_free_func (import_prompt_free);
  g_autoptr (GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) report =
      g_ptr_array_new_with_free_func ((GDestroyNotify) confab_prompt_import_item_free);
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (G_IS_FILE (folder), NULL);

  if (!collect_files (folder, files, cancellable, &local_error))
    {
      g_autofree char *where = g_file_get_parse_name (folder);

      g_set_error (error, local_error->domain, local_error->code,
                   _("Could not read the folder “%s”: %s"), where, local_error->message);
      return NULL;
    }
  for (guint i = 0; i < files->len; i++)
    g_ptr_array_add (paths, g_file_get_relative_path (folder, g_ptr_array_index (files, i)));
  g_ptr_array_sort (paths, compare_paths);

  for (guint i = 0; i < paths->len; i++)
    {
      const char *relative = g_ptr_array_index (paths, i);
      g_autoptr (GFile) file = g_file_resolve_relative_path (folder, relative);
      g_autoptr (GFileInfo) info = NULL;
      g_autoptr (ConfabPromptFile) parsed = NULL;
      g_autofree char *contents = NULL;
      gsize            length = 0;

      info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE,
                                G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, &local_error);
      if (info != NULL && g_file_info_get_size (info) > CONFAB_PROMPT_FILE_MAX_SIZE)
        {
          report_add (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, NULL, 0, relative,
                      g_strdup_printf (_("The file is bigger than %d MB"),
                                       CONFAB_PROMPT_FILE_MAX_SIZE / (1024 * 1024)));
          continue;
        }
      if (info == NULL ||
          !g_file_load_contents (file, cancellable, &contents, &length, NULL, &local_error))
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          report_add (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, NULL, 0, relative,
                      g_strdup_printf (_("The file could not be read: %s"), local_error->message));
          g_clear_error (&local_error);
          continue;
        }
      parsed = confab_prompt_file_parse (contents, length, &local_error);
      if (parsed == NULL)
        {
          report_add (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, NULL, 0, relative,
                      g_strdup (local_error->message));
          g_clear_error (&local_error);
          continue;
        }
      add_file (by_name, prompts, report, parsed, relative);
    }

  return apply_import (db, actor_id, prompts, report, cancellable, error);
}

/* ------------------------------------------------------------------------ */
/* JSON                                                                     */
/* ------------------------------------------------------------------------ */

static void
add_string_or_null (JsonBuilder *builder, const char *member, const char *value)
{
  json_builder_set_member_name (builder, member);
  if (is_set (value))
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* A JSON text column embedded as JSON. */
static void
add_json_value (JsonBuilder *builder, const char *member, const char *json, const char *fallback)
{
  JsonNode *node = is_set (json) ? json_from_string (json, NULL) : NULL;

  json_builder_set_member_name (builder, member);
  json_builder_add_value (builder, node != NULL ? node : json_from_string (fallback, NULL));
}

static gboolean
build_prompt_json (ConfabDatabase *db, JsonBuilder *builder, ConfabPrompt *prompt, GError **error)
{
  g_autoptr (GPtrArray) versions = NULL;
  g_autoptr (GPtrArray) labels = NULL;
  g_autoptr (GPtrArray) cases = NULL;
  g_auto (GStrv) tags = confab_prompt_dup_tags (prompt);

  versions = confab_prompt_list_versions (db, id_of (prompt), error);
  labels = versions != NULL ? confab_prompt_list_labels (db, id_of (prompt), error) : NULL;
  cases = labels != NULL ? confab_repository_list (db, CONFAB_TYPE_PROMPT_TEST_CASE, "prompt_id",
                                                   id_of (prompt), error)
                         : NULL;
  if (cases == NULL)
    return FALSE;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, confab_prompt_get_name (prompt));
  add_string_or_null (builder, "description", confab_prompt_get_description (prompt));
  json_builder_set_member_name (builder, "tags");
  json_builder_begin_array (builder);
  for (guint i = 0; tags[i] != NULL; i++)
    json_builder_add_string_value (builder, tags[i]);
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "labels");
  json_builder_begin_object (builder);
  for (guint i = 0; i < labels->len; i++)
    {
      ConfabPromptLabel *label = g_ptr_array_index (labels, i);

      json_builder_set_member_name (builder, confab_prompt_label_get_name (label));
      json_builder_add_int_value (builder, confab_prompt_label_get_version (label));
    }
  json_builder_end_object (builder);

  /* Oldest first, as they were written. */
  json_builder_set_member_name (builder, "versions");
  json_builder_begin_array (builder);
  for (guint i = versions->len; i > 0; i--)
    {
      ConfabPromptVersion *version = g_ptr_array_index (versions, i - 1);
      g_autofree char     *provider =
          dup_provider_name (db, confab_prompt_version_get_provider_id (version));

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "version");
      json_builder_add_int_value (builder, confab_prompt_version_get_version (version));
      json_builder_set_member_name (builder, "body");
      json_builder_add_string_value (builder, confab_prompt_version_get_body (version));
      add_string_or_null (builder, "message", confab_prompt_version_get_message (version));
      add_string_or_null (builder, "provider", provider);
      add_string_or_null (builder, "model", confab_prompt_version_get_model (version));
      json_builder_set_member_name (builder, "temperature");
      json_builder_add_double_value (builder, confab_prompt_version_get_temperature (version));
      json_builder_set_member_name (builder, "max_tokens");
      json_builder_add_int_value (builder, confab_prompt_version_get_max_tokens (version));
      add_string_or_null (builder, "created_at",
                          confab_entity_get_created_at (CONFAB_ENTITY (version)));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "test_cases");
  json_builder_begin_array (builder);
  for (guint i = 0; i < cases->len; i++)
    {
      ConfabPromptTestCase *test_case = g_ptr_array_index (cases, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, confab_prompt_test_case_get_name (test_case));
      add_json_value (builder, "variables", confab_prompt_test_case_get_variables (test_case),
                      "{}");
      json_builder_set_member_name (builder, "input");
      json_builder_add_string_value (builder, confab_prompt_test_case_get_input (test_case)
                                                  ? confab_prompt_test_case_get_input (test_case)
                                                  : "");
      add_json_value (builder, "assertions", confab_prompt_test_case_get_assertions (test_case),
                      "[]");
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return TRUE;
}

gboolean
confab_prompt_library_export_json (ConfabDatabase *db,
                                   GFile          *file,
                                   GCancellable   *cancellable,
                                   GError        **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GPtrArray) prompts = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *now = confab_now_iso8601 ();
  g_autofree char *text = NULL;
  gsize            length;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  prompts = confab_repository_list (db, CONFAB_TYPE_PROMPT, NULL, NULL, error);
  if (prompts == NULL)
    return FALSE;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, CONFAB_PROMPT_LIBRARY_FORMAT);
  json_builder_set_member_name (builder, "format_version");
  json_builder_add_int_value (builder, CONFAB_PROMPT_LIBRARY_FORMAT_VERSION);
  json_builder_set_member_name (builder, "exported_at");
  json_builder_add_string_value (builder, now);
  json_builder_set_member_name (builder, "prompts");
  json_builder_begin_array (builder);
  for (guint i = 0; i < prompts->len; i++)
    if (!build_prompt_json (db, builder, g_ptr_array_index (prompts, i), error))
      return FALSE;
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, &length);
  if (!g_file_replace_contents (file, text, length, NULL, FALSE, G_FILE_CREATE_NONE, NULL,
                                cancellable, &local_error))
    {
      g_autofree char *where = g_file_get_parse_name (file);

      g_set_error (error, local_error->domain, local_error->code, _("Could not write “%s”: %s"),
                   where, local_error->message);
      return FALSE;
    }
  return TRUE;
}

static const char *
member_string (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    return json_node_get_string (node);
  return NULL;
}

/* A member that must be a string, null or missing. */
static gboolean
optional_string (JsonObject *object, const char *member, const char **out)
{
  JsonNode *node = json_object_get_member (object, member);

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  *out = member_string (object, member);
  return *out != NULL;
}

static char **
read_string_array (JsonNode *node, gboolean *ok)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array;

  *ok = TRUE;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      *ok = FALSE;
      return NULL;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        {
          *ok = FALSE;
          return NULL;
        }
      g_strv_builder_add (builder, json_node_get_string (element));
    }
  return g_strv_builder_end (builder);
}

static gboolean
read_json_version (JsonNode *node, ImportVersion *v)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode   *member;
  const char *message, *provider, *model;

  if (object == NULL || member_string (object, "body") == NULL)
    return FALSE;
  member = json_object_get_member (object, "version");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) ||
      json_node_get_value_type (member) != G_TYPE_INT64 || json_node_get_int (member) < 1 ||
      json_node_get_int (member) > G_MAXINT)
    return FALSE;
  v->version = (int) json_node_get_int (member);
  if (!optional_string (object, "message", &message) ||
      !optional_string (object, "provider", &provider) ||
      !optional_string (object, "model", &model))
    return FALSE;

  v->temperature = DEFAULT_TEMPERATURE;
  member = json_object_get_member (object, "temperature");
  if (member != NULL && !JSON_NODE_HOLDS_NULL (member))
    {
      if (!JSON_NODE_HOLDS_VALUE (member) || (json_node_get_value_type (member) != G_TYPE_DOUBLE &&
                                              json_node_get_value_type (member) != G_TYPE_INT64))
        return FALSE;
      v->temperature = json_node_get_double (member);
    }
  v->max_tokens = DEFAULT_MAX_TOKENS;
  member = json_object_get_member (object, "max_tokens");
  if (member != NULL && !JSON_NODE_HOLDS_NULL (member))
    {
      if (!JSON_NODE_HOLDS_VALUE (member) || json_node_get_value_type (member) != G_TYPE_INT64 ||
          json_node_get_int (member) > G_MAXINT)
        return FALSE;
      v->max_tokens = (int) json_node_get_int (member);
    }

  v->body = g_strdup (member_string (object, "body"));
  v->message = g_strdup (message);
  v->provider = g_strdup (provider);
  v->model = is_set (model) ? g_strdup (model) : NULL;
  return TRUE;
}

static gboolean
read_json_case (JsonNode *node, ImportCase *c)
{
  JsonObject *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  JsonNode   *variables, *assertions;
  const char *input;

  if (object == NULL || member_string (object, "name") == NULL ||
      !optional_string (object, "input", &input))
    return FALSE;
  variables = json_object_get_member (object, "variables");
  assertions = json_object_get_member (object, "assertions");
  c->name = g_strdup (member_string (object, "name"));
  c->input = g_strdup (input != NULL ? input : "");
  /* Checked by the test case itself, naming what is wrong. */
  c->variables = variables != NULL && !JSON_NODE_HOLDS_NULL (variables)
                     ? json_to_string (variables, FALSE)
                     : g_strdup ("{}");
  c->assertions = assertions != NULL && !JSON_NODE_HOLDS_NULL (assertions)
                      ? json_to_string (assertions, FALSE)
                      : g_strdup ("[]");
  return TRUE;
}

/* One entry of "prompts"; a part that cannot be read is reported. */
static void
read_json_prompt (JsonNode   *node,
                  guint       index,
                  const char *source,
                  GHashTable *by_name,
                  GPtrArray  *prompts,
                  GPtrArray  *report)
{
  JsonObject      *object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  const char      *name = object != NULL ? member_string (object, "name") : NULL;
  g_autofree char *where = g_strdup_printf ("%s: prompts[%u]", source, index);
  const char      *description = NULL;
  ImportPrompt    *ip;
  JsonNode        *member;
  gboolean         ok = TRUE;

  if (!is_set (name))
    {
      report_add (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, NULL, 0, where,
                  g_strdup (_("The entry has no “name”")));
      return;
    }
  if (g_hash_table_contains (by_name, name))
    {
      report_add (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, name, 0, where,
                  g_strdup (_("The file holds this prompt twice; the first one is imported")));
      return;
    }
  ip = prompt_for (by_name, prompts, name, where);

  if (json_object_has_member (object, "description"))
    {
      if (optional_string (object, "description", &description))
        {
          ip->has_description = TRUE;
          ip->description = g_strdup (description);
        }
      else
        report_add (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, name, 0, where,
                    g_strdup (_("The “description” is not text; it was left as it is")));
    }
  ip->tags = read_string_array (json_object_get_member (object, "tags"), &ok);
  if (!ok)
    report_add (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, name, 0, where,
                g_strdup (_("The “tags” are not a list of text; they were left as they are")));

  member = json_object_get_member (object, "versions");
  if (member != NULL && JSON_NODE_HOLDS_ARRAY (member))
    {
      JsonArray *array = json_node_get_array (member);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          ImportVersion *v = g_new0 (ImportVersion, 1);

          v->source = g_strdup_printf ("%s.versions[%u]", where, i);
          if (!read_json_version (json_array_get_element (array, i), v))
            {
              report_add (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, name, 0, v->source,
                          g_strdup (_("The entry is not a version: it needs a “version” "
                                      "number from 1 and a “body”")));
              import_version_free (v);
              continue;
            }
          g_ptr_array_add (ip->versions, v);
        }
    }

  member = json_object_get_member (object, "labels");
  if (member != NULL && JSON_NODE_HOLDS_OBJECT (member))
    {
      JsonObject *labels = json_node_get_object (member);
      g_autoptr (GList) names = json_object_get_members (labels);

      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonNode *value = json_object_get_member (labels, l->data);

          if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_INT64 &&
              json_node_get_int (value) >= 1 && json_node_get_int (value) <= G_MAXINT)
            add_import_label (ip, l->data, (int) json_node_get_int (value), where);
          else
            report_add (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, name, 0, where,
                        g_strdup_printf (_("The label “%s” does not name a version number"),
                                         (const char *) l->data));
        }
    }

  member = json_object_get_member (object, "test_cases");
  if (member != NULL && JSON_NODE_HOLDS_ARRAY (member))
    {
      JsonArray *array = json_node_get_array (member);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          ImportCase *c = g_new0 (ImportCase, 1);

          c->source = g_strdup_printf ("%s.test_cases[%u]", where, i);
          if (!read_json_case (json_array_get_element (array, i), c))
            {
              report_add (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE, name, 0, c->source,
                          g_strdup (_("The entry is not a test case: it needs a “name”")));
              import_case_free (c);
              continue;
            }
          g_ptr_array_add (ip->cases, c);
        }
    }
}

GPtrArray *
confab_prompt_library_import_json (ConfabDatabase *db,
                                   GFile          *file,
                                   const char     *actor_id,
                                   GCancellable   *cancellable,
                                   GError        **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GPtrArray) prompts = g_ptr_array_new_with_free_func (import_prompt_free);
  g_autoptr (GHashTable) by_name = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) report =
      g_ptr_array_new_with_free_func ((GDestroyNotify) confab_prompt_import_item_free);
  g_autofree char *name = NULL;
  g_autofree char *contents = NULL;
  gsize            length = 0;
  JsonObject      *root;
  JsonNode        *list;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (G_IS_FILE (file), NULL);

  name = g_file_get_basename (file);
  if (!g_file_load_contents (file, cancellable, &contents, &length, NULL, &local_error))
    {
      g_set_error (error, local_error->domain, local_error->code, _("Could not read “%s”: %s"),
                   name, local_error->message);
      return NULL;
    }
  if (!json_parser_load_from_data (parser, contents, length, &local_error))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("“%s” is not a readable prompt library: %s"), name, local_error->message);
      return NULL;
    }
  root = JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser))
             ? json_node_get_object (json_parser_get_root (parser))
             : NULL;
  list = root != NULL ? json_object_get_member (root, "prompts") : NULL;
  if (root == NULL ||
      g_strcmp0 (member_string (root, "format"), CONFAB_PROMPT_LIBRARY_FORMAT) != 0 ||
      list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("“%s” is not a Confab prompt library export"), name);
      return NULL;
    }
  if (json_object_get_int_member_with_default (root, "format_version", 0) >
      CONFAB_PROMPT_LIBRARY_FORMAT_VERSION)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NEWER_VERSION,
                   _("“%s” was exported by a newer version of Confab; update Confab to import "
                     "it"),
                   name);
      return NULL;
    }

  for (guint i = 0; i < json_array_get_length (json_node_get_array (list)); i++)
    read_json_prompt (json_array_get_element (json_node_get_array (list), i), i, name, by_name,
                      prompts, report);

  return apply_import (db, actor_id, prompts, report, cancellable, error);
}
