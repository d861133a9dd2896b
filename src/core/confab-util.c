#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-util.h"

char *
confab_new_id (void)
{
  return g_uuid_string_random ();
}

char *
confab_date_time_to_iso8601 (GDateTime *dt)
{
  g_autoptr (GDateTime) utc = g_date_time_to_utc (dt);
  g_autofree char *base = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%S");

  /* Millisecond precision keeps text ordering equal to time ordering for
   * rows written in quick succession. */
  return g_strdup_printf ("%s.%03dZ", base, g_date_time_get_microsecond (utc) / 1000);
}

char *
confab_now_iso8601 (void)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

  return confab_date_time_to_iso8601 (now);
}

gboolean
confab_str_equal0 (const char *a,
                   const char *b)
{
  return g_strcmp0 (a, b) == 0;
}

gboolean
confab_str_in (const char         *value,
               const char * const *allowed)
{
  if (value == NULL)
    return FALSE;
  for (guint i = 0; allowed[i] != NULL; i++)
    if (strcmp (value, allowed[i]) == 0)
      return TRUE;
  return FALSE;
}

gboolean
confab_email_is_valid (const char *email)
{
  static GRegex *regex;
  static gsize regex_once;

  if (email == NULL || !g_utf8_validate (email, -1, NULL) || strlen (email) > 254)
    return FALSE;

  if (g_once_init_enter (&regex_once))
    {
      GRegex *r = g_regex_new ("^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
                               "@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                               "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$",
                               G_REGEX_OPTIMIZE, 0, NULL);
      regex = r;
      g_once_init_leave (&regex_once, 1);
    }

  if (!g_regex_match (regex, email, 0, NULL))
    return FALSE;
  /* The local part may not start or end with a dot, nor hold two in a row. */
  if (email[0] == '.' || strstr (email, "..") != NULL || strstr (email, ".@") != NULL)
    return FALSE;
  return TRUE;
}

gboolean
confab_check_text (const char  *field_label,
                   const char  *value,
                   glong        min_chars,
                   glong        max_chars,
                   GError     **error)
{
  glong len;

  if (value == NULL)
    value = "";

  if (!g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The %s is not valid UTF-8 text"), field_label);
      return FALSE;
    }

  len = g_utf8_strlen (value, -1);
  if (len < min_chars)
    {
      if (min_chars == 1)
        g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                     _("The %s cannot be empty"), field_label);
      else
        g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                     ngettext ("The %s “%s” is too short: it needs at least %ld character",
                               "The %s “%s” is too short: it needs at least %ld characters",
                               min_chars),
                     field_label, value, min_chars);
      return FALSE;
    }
  if (max_chars > 0 && len > max_chars)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   ngettext ("The %s is too long: %ld characters, at most %ld is allowed",
                             "The %s is too long: %ld characters, at most %ld are allowed",
                             max_chars),
                   field_label, len, max_chars);
      return FALSE;
    }
  return TRUE;
}

gboolean
confab_check_enum (const char         *field_label,
                   const char         *value,
                   const char * const *allowed,
                   GError            **error)
{
  g_autofree char *list = NULL;

  if (confab_str_in (value, allowed))
    return TRUE;

  list = g_strjoinv (", ", (char **) allowed);
  g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
               _("“%s” is not a valid %s (expected one of: %s)"),
               value ? value : "", field_label, list);
  return FALSE;
}
