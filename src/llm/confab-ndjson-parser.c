#define G_LOG_DOMAIN "confab-llm"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-ndjson-parser.h"
#include "confab-sse-parser.h"

struct _ConfabNdjsonParser
{
  ConfabNdjsonLineFunc func;
  gpointer             user_data;
  GString             *line;
  gsize                max_line;
  gboolean             stopped;
};

ConfabNdjsonParser *
confab_ndjson_parser_new (ConfabNdjsonLineFunc func,
                          gpointer             user_data)
{
  ConfabNdjsonParser *self = g_new0 (ConfabNdjsonParser, 1);

  self->func = func;
  self->user_data = user_data;
  self->line = g_string_new (NULL);
  self->max_line = CONFAB_SSE_DEFAULT_MAX_LINE;
  return self;
}

void
confab_ndjson_parser_free (ConfabNdjsonParser *self)
{
  if (self == NULL)
    return;
  g_string_free (self->line, TRUE);
  g_free (self);
}

void
confab_ndjson_parser_set_max_line (ConfabNdjsonParser *self,
                                   gsize               max_line)
{
  self->max_line = max_line;
}

static gboolean
emit_line (ConfabNdjsonParser *self)
{
  gsize len = self->line->len;
  gboolean keep_going = TRUE;

  while (len > 0 && g_ascii_isspace (self->line->str[len - 1]))
    len--;
  if (len > 0 && strspn (self->line->str, " \t") < len)
    {
      g_autofree char *valid = NULL;

      /* Bytes that are not UTF-8 (NULs included) become U+FFFD, as an SSE
       * stream is decoded: one bad byte does not lose the reply. */
      if (!g_utf8_validate_len (self->line->str, len, NULL))
        {
          valid = g_utf8_make_valid (self->line->str, len);
          keep_going = self->func (valid, strlen (valid), self->user_data);
        }
      else
        keep_going = self->func (self->line->str, len, self->user_data);
    }
  g_string_truncate (self->line, 0);
  if (!keep_going)
    self->stopped = TRUE;
  return keep_going;
}

gboolean
confab_ndjson_parser_feed (ConfabNdjsonParser  *self,
                           const char          *bytes,
                           gsize                len,
                           GError             **error)
{
  const char *p = bytes;
  const char *end = bytes + len;

  g_return_val_if_fail (self != NULL, FALSE);

  if (self->stopped)
    return FALSE;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      const char *stop = nl ? nl : end;

      if (self->line->len + (stop - p) > self->max_line)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                       _("The reply stream has a line longer than %lu bytes"),
                       (gulong) self->max_line);
          self->stopped = TRUE;
          return FALSE;
        }
      g_string_append_len (self->line, p, stop - p);
      if (nl == NULL)
        break;
      p = nl + 1;
      if (!emit_line (self))
        return FALSE;
    }
  return TRUE;
}

gboolean
confab_ndjson_parser_finish (ConfabNdjsonParser  *self,
                             GError             **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->stopped)
    return FALSE;
  /* Unlike SSE, a last object without its newline is complete JSON or not,
   * and the caller's JSON parser tells which. */
  return emit_line (self);
}
