#define G_LOG_DOMAIN "confab-llm"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-sse-parser.h"

struct _ConfabSseParser
{
  ConfabSseEventFunc func;
  gpointer           user_data;
  GString           *line;     /* the line being received */
  GString           *data;     /* data lines of the event being built */
  char              *event;
  char              *last_id;
  gboolean           has_data;
  gboolean           after_cr; /* a \n right after \r ends nothing */
  gboolean           stopped;
  gboolean           started;  /* the BOM check is done */
  gsize              max_line;
  guint              retry_ms;
};

ConfabSseParser *
confab_sse_parser_new (ConfabSseEventFunc func,
                       gpointer           user_data)
{
  ConfabSseParser *self = g_new0 (ConfabSseParser, 1);

  self->func = func;
  self->user_data = user_data;
  self->line = g_string_new (NULL);
  self->data = g_string_new (NULL);
  self->last_id = g_strdup ("");
  self->max_line = CONFAB_SSE_DEFAULT_MAX_LINE;
  return self;
}

void
confab_sse_parser_free (ConfabSseParser *self)
{
  if (self == NULL)
    return;
  g_string_free (self->line, TRUE);
  g_string_free (self->data, TRUE);
  g_free (self->event);
  g_free (self->last_id);
  g_free (self);
}

void
confab_sse_parser_set_max_line (ConfabSseParser *self,
                                gsize            max_line)
{
  self->max_line = max_line;
}

guint
confab_sse_parser_get_retry (ConfabSseParser *self)
{
  return self->retry_ms;
}

static gboolean
dispatch (ConfabSseParser *self)
{
  gboolean keep_going = TRUE;

  /* An empty "event:" field names no event, as the format says. */
  if (self->has_data)
    {
      g_autofree char *valid = NULL;
      const char *data = self->data->str;

      /* The format is decoded as UTF-8 with replacement: bytes that are not
       * UTF-8, NULs included, reach no JSON parser and no workspace. */
      if (!g_utf8_validate_len (self->data->str, self->data->len, NULL))
        data = valid = g_utf8_make_valid (self->data->str, self->data->len);
      keep_going = self->func (self->event != NULL && *self->event != '\0' ? self->event
                                                                     : "message",
                               data, self->last_id, self->user_data);
    }
  g_string_truncate (self->data, 0);
  g_clear_pointer (&self->event, g_free);
  self->has_data = FALSE;
  return keep_going;
}

static gboolean
process_line (ConfabSseParser  *self,
              GError          **error)
{
  const char *line = self->line->str;
  gsize len = self->line->len;
  const char *colon;
  g_autofree char *field = NULL;
  const char *value;
  gsize value_len;

  if (len == 0)
    return dispatch (self);
  if (line[0] == ':')
    return TRUE; /* comment, often a keep-alive */

  colon = memchr (line, ':', len);
  if (colon != NULL)
    {
      field = g_strndup (line, colon - line);
      value = colon + 1;
      if (value < line + len && *value == ' ')
        value++;
      value_len = line + len - value;
    }
  else
    {
      field = g_strndup (line, len);
      value = "";
      value_len = 0;
    }

  if (strcmp (field, "data") == 0)
    {
      /* Data lines without the blank line that ends their event would
       * otherwise pile up for as long as the server sends them. */
      if (self->data->len + value_len + 1 > self->max_line)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                       _("The reply stream has an event longer than %lu bytes"),
                       (gulong) self->max_line);
          return FALSE;
        }
      if (self->has_data)
        g_string_append_c (self->data, '\n');
      g_string_append_len (self->data, value, value_len);
      self->has_data = TRUE;
    }
  else if (strcmp (field, "event") == 0)
    {
      g_free (self->event);
      self->event = g_strdup (value);
    }
  else if (strcmp (field, "id") == 0)
    {
      if (memchr (value, '\0', value_len) == NULL)
        {
          g_free (self->last_id);
          self->last_id = g_strdup (value);
        }
    }
  else if (strcmp (field, "retry") == 0)
    {
      guint64 ms;

      if (*value != '\0' && strspn (value, "0123456789") == strlen (value) &&
          g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT, &ms, NULL))
        self->retry_ms = (guint) ms;
    }
  /* Other fields are ignored, as the format says. */
  return TRUE;
}

gboolean
confab_sse_parser_feed (ConfabSseParser  *self,
                        const char       *bytes,
                        gsize             len,
                        GError          **error)
{
  const char *p = bytes;
  const char *end = bytes + len;

  g_return_val_if_fail (self != NULL, FALSE);

  if (self->stopped)
    return FALSE;

  while (p < end)
    {
      const char *stop = p;

      /* A UTF-8 byte order mark may open the stream. */
      if (!self->started)
        {
          static const char bom[] = "\xEF\xBB\xBF";
          gsize have = self->line->len;
          gsize take = MIN ((gsize) (end - p), 3 - have);

          if (memcmp (p, bom + have, take) != 0)
            {
              self->started = TRUE;
              if (have > 0)
                continue; /* not a BOM: keep the bytes as line text */
            }
          else
            {
              g_string_append_len (self->line, p, take);
              p += take;
              if (self->line->len == 3)
                {
                  g_string_truncate (self->line, 0);
                  self->started = TRUE;
                }
              continue;
            }
        }

      if (self->after_cr && *p == '\n')
        {
          self->after_cr = FALSE;
          p++;
          continue;
        }
      self->after_cr = FALSE;

      while (stop < end && *stop != '\n' && *stop != '\r')
        stop++;

      if (self->line->len + (stop - p) > self->max_line)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                       _("The reply stream has a line longer than %lu bytes"),
                       (gulong) self->max_line);
          self->stopped = TRUE;
          return FALSE;
        }
      g_string_append_len (self->line, p, stop - p);
      if (stop == end)
        break;

      self->after_cr = (*stop == '\r');
      p = stop + 1;
      if (!process_line (self, error))
        {
          self->stopped = TRUE;
          g_string_truncate (self->line, 0);
          return FALSE;
        }
      g_string_truncate (self->line, 0);
    }
  return TRUE;
}

gboolean
confab_sse_parser_finish (ConfabSseParser  *self,
                          GError          **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->stopped)
    return FALSE;
  /* As the format says, an event without its closing blank line is dropped:
   * a connection cut mid-event must not hand on half a JSON object. */
  g_string_truncate (self->line, 0);
  g_string_truncate (self->data, 0);
  g_clear_pointer (&self->event, g_free);
  self->has_data = FALSE;
  return TRUE;
}
