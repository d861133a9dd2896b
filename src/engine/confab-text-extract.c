#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <poppler.h>
#include <string.h>

#include "confab-error.h"
#include "confab-text-extract.h"

/* Plain text out of the file types a knowledge base takes. Every result is
 * valid UTF-8 without NUL bytes and with "\n" line ends, whatever the input
 * held: broken sequences become U+FFFD, NULs are dropped. Pure functions, safe
 * in any thread (each call has its own PopplerDocument). */

#define TYPE_PLAIN    "text/plain"
#define TYPE_MARKDOWN "text/markdown"
#define TYPE_HTML     "text/html"
#define TYPE_PDF      "application/pdf"

static const struct
{
  const char *suffix;
  const char *type;
} extensions[] = {
  { ".txt", TYPE_PLAIN },
  { ".text", TYPE_PLAIN },
  { ".md", TYPE_MARKDOWN },
  { ".markdown", TYPE_MARKDOWN },
  { ".html", TYPE_HTML },
  { ".htm", TYPE_HTML },
  { ".xhtml", TYPE_HTML },
  { ".pdf", TYPE_PDF },
};

static const struct
{
  const char *mime;
  const char *type;
} mime_types[] = {
  { "text/plain", TYPE_PLAIN },
  { "text/markdown", TYPE_MARKDOWN },
  { "text/x-markdown", TYPE_MARKDOWN },
  { "text/html", TYPE_HTML },
  { "application/xhtml+xml", TYPE_HTML },
  { "application/pdf", TYPE_PDF },
  { "application/x-pdf", TYPE_PDF },
};

static const char *
type_of_mime (const char *value)
{
  g_autofree char *mime = NULL;

  /* "text/plain; charset=utf-8" is text/plain. */
  mime = g_ascii_strdown (value, strcspn (value, ";"));
  g_strstrip (mime);
  for (guint i = 0; i < G_N_ELEMENTS (mime_types); i++)
    if (strcmp (mime, mime_types[i].mime) == 0)
      return mime_types[i].type;
  return NULL;
}

static const char *
type_of_extension (const char *name)
{
  const char *base = strrchr (name, '/');
  const char *dot;
  g_autofree char *suffix = NULL;

  base = base != NULL ? base + 1 : name;
  dot = strrchr (base, '.');
  if (dot == NULL)
    return NULL;
  suffix = g_ascii_strdown (dot, -1);
  for (guint i = 0; i < G_N_ELEMENTS (extensions); i++)
    if (strcmp (suffix, extensions[i].suffix) == 0)
      return extensions[i].type;
  return NULL;
}

/**
 * confab_text_extract_content_type:
 * @filename_or_content_type: a file name (its extension decides) or a MIME type
 * @data: (nullable) (array length=data_size): the file's first bytes, to guess
 *   from when the name says nothing
 * @data_size: the length of @data
 *
 * Returns: the type confab_text_extract() reads @filename_or_content_type
 *   as: "text/plain", "text/markdown", "text/html" or "application/pdf"; %NULL
 *   for any other (an unsupported type)
 */
const char *
confab_text_extract_content_type (const char   *filename_or_content_type,
                                  const guchar *data,
                                  gsize         data_size)
{
  const char *type;
  g_autofree char *guessed = NULL;
  g_autofree char *mime = NULL;

  g_return_val_if_fail (filename_or_content_type != NULL, NULL);

  type = type_of_extension (filename_or_content_type);
  if (type == NULL)
    type = type_of_mime (filename_or_content_type);
  if (type != NULL)
    return type;

  /* A name without a known extension ("README"): what the contents say,
   * when that is one of the supported types exactly. */
  guessed = g_content_type_guess (filename_or_content_type, data, data != NULL ? data_size : 0,
                                  NULL);
  mime = guessed != NULL ? g_content_type_get_mime_type (guessed) : NULL;
  return mime != NULL ? type_of_mime (mime) : NULL;
}

/* Text cleaning */

/* Valid UTF-8 without NUL bytes, "\n" line ends and no byte order mark,
 * from any bytes. UTF-16 with a byte order mark is converted. */
static char *
clean_text (const char *data,
            gsize       len)
{
  g_autofree char *converted = NULL;
  g_autofree char *buf = NULL;
  gsize n = 0;

  if (len >= 2 && (((guchar) data[0] == 0xff && (guchar) data[1] == 0xfe) ||
                   ((guchar) data[0] == 0xfe && (guchar) data[1] == 0xff)))
    {
      gsize written = 0;
      const char *from = (guchar) data[0] == 0xff ? "UTF-16LE" : "UTF-16BE";

      converted = g_convert (data + 2, len - 2, "UTF-8", from, NULL, &written, NULL);
      if (converted != NULL)
        {
          data = converted;
          len = written;
        }
    }
  if (len >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    {
      data += 3;
      len -= 3;
    }

  buf = g_malloc (len + 1);
  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (c == '\0')
        continue;
      if (c == '\r')
        {
          if (i + 1 < len && data[i + 1] == '\n')
            continue;
          c = '\n';
        }
      buf[n++] = c;
    }
  buf[n] = '\0';

  /* g_utf8_make_valid() would turn a NUL into U+FFFD: they are gone by now. */
  return g_utf8_make_valid (buf, n);
}

/* HTML */

enum {
  BREAK_NONE,
  BREAK_SPACE,
  BREAK_LINE,
  BREAK_PARAGRAPH,
};

typedef struct
{
  const char *s;
  gsize       len;
  GString    *out;
  int         pending;          /* the widest break seen since the last text */
  int         heading;          /* a pending "## " prefix, 0 for none */
  gboolean    in_pre;
  gboolean    plain_gt;         /* quotes are ignored in tags from here on */
  gsize       no_gt_from;       /* no '>' at or after this offset */
  gsize       no_quote_from[2]; /* no '"' (0) or '\'' (1) at or after this offset */
} Html;

static void
html_break (Html *h,
            int   level)
{
  if (level > h->pending)
    h->pending = level;
  /* A heading with no text before the break has nothing to mark. */
  if (level >= BREAK_LINE)
    h->heading = 0;
}

static void
html_flush (Html *h)
{
  if (h->out->len > 0)
    switch (h->pending)
      {
      case BREAK_SPACE:
        g_string_append_c (h->out, ' ');
        break;
      case BREAK_LINE:
        g_string_append_c (h->out, '\n');
        break;
      case BREAK_PARAGRAPH:
        g_string_append (h->out, "\n\n");
        break;
      default:
        break;
      }
  h->pending = BREAK_NONE;
  if (h->heading > 0)
    {
      for (int i = 0; i < h->heading; i++)
        g_string_append_c (h->out, '#');
      g_string_append_c (h->out, ' ');
      h->heading = 0;
    }
}

static void
html_text (Html       *h,
           const char *text,
           gsize       n)
{
  html_flush (h);
  g_string_append_len (h->out, text, n);
}

static void
html_char (Html     *h,
           gunichar  c)
{
  if (c == 0)
    return;
  if (h->in_pre && (c == '\n' || c == ' ' || c == '\t'))
    {
      /* Preformatted text keeps its spaces and lines. */
      char literal = (char) c;

      html_text (h, &literal, 1);
    }
  else if (g_unichar_isspace (c) || c == 0xa0)
    html_break (h, BREAK_SPACE);
  else
    {
      html_flush (h);
      g_string_append_unichar (h->out, c);
    }
}

static gboolean
is_ascii_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static const struct
{
  const char *name;
  gunichar    c;
} entities[] = {
  { "amp", '&' }, { "lt", '<' }, { "gt", '>' }, { "quot", '"' }, { "apos", '\'' },
  { "nbsp", 0xa0 }, { "ensp", 0x2002 }, { "emsp", 0x2003 }, { "thinsp", 0x2009 },
  { "shy", 0 }, { "zwnj", 0 }, { "zwj", 0 },
  { "copy", 0xa9 }, { "reg", 0xae }, { "trade", 0x2122 }, { "hellip", 0x2026 },
  { "mdash", 0x2014 }, { "ndash", 0x2013 }, { "lsquo", 0x2018 }, { "rsquo", 0x2019 },
  { "ldquo", 0x201c }, { "rdquo", 0x201d }, { "laquo", 0xab }, { "raquo", 0xbb },
  { "euro", 0x20ac }, { "pound", 0xa3 }, { "yen", 0xa5 }, { "cent", 0xa2 },
  { "deg", 0xb0 }, { "times", 0xd7 }, { "divide", 0xf7 }, { "middot", 0xb7 },
  { "bull", 0x2022 }, { "sect", 0xa7 }, { "para", 0xb6 }, { "plusmn", 0xb1 },
  { "aacute", 0xe1 }, { "agrave", 0xe0 }, { "acirc", 0xe2 }, { "auml", 0xe4 },
  { "atilde", 0xe3 }, { "aring", 0xe5 }, { "ccedil", 0xe7 }, { "eacute", 0xe9 },
  { "egrave", 0xe8 }, { "ecirc", 0xea }, { "euml", 0xeb }, { "iacute", 0xed },
  { "igrave", 0xec }, { "icirc", 0xee }, { "iuml", 0xef }, { "ntilde", 0xf1 },
  { "oacute", 0xf3 }, { "ograve", 0xf2 }, { "ocirc", 0xf4 }, { "ouml", 0xf6 },
  { "otilde", 0xf5 }, { "oslash", 0xf8 }, { "uacute", 0xfa }, { "ugrave", 0xf9 },
  { "ucirc", 0xfb }, { "uuml", 0xfc }, { "szlig", 0xdf }, { "Eacute", 0xc9 },
  { "Agrave", 0xc0 }, { "Auml", 0xc4 }, { "Ouml", 0xd6 }, { "Uuml", 0xdc },
  { "Ccedil", 0xc7 }, { "Ntilde", 0xd1 },
};

/* Decodes the entity at h->s[i] (an '&'); returns the offset after it, or
 * i + 1 with a literal '&' when it is not one. */
static gsize
html_entity (Html  *h,
             gsize  i)
{
  const char *s = h->s;
  gsize j = i + 1;

  if (j < h->len && s[j] == '#')
    {
      gboolean hex = j + 1 < h->len && (s[j + 1] == 'x' || s[j + 1] == 'X');
      guint64 value = 0;
      gsize digits = 0;

      j += hex ? 2 : 1;
      while (j < h->len && (hex ? g_ascii_isxdigit (s[j]) : g_ascii_isdigit (s[j])))
        {
          if (value <= 0x10ffff)
            value = value * (hex ? 16 : 10) +
                    (hex ? (guint64) g_ascii_xdigit_value (s[j]) :
                           (guint64) g_ascii_digit_value (s[j]));
          digits++;
          j++;
        }
      if (digits == 0)
        {
          html_text (h, "&", 1);
          return i + 1;
        }
      if (j < h->len && s[j] == ';')
        j++;
      if (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff))
        value = 0xfffd;
      html_char (h, (gunichar) value);
      return j;
    }

  while (j < h->len && j - i <= 10 && g_ascii_isalnum (s[j]))
    j++;
  if (j < h->len && s[j] == ';' && j > i + 1)
    for (guint e = 0; e < G_N_ELEMENTS (entities); e++)
      if (strlen (entities[e].name) == j - i - 1 &&
          strncmp (s + i + 1, entities[e].name, j - i - 1) == 0)
        {
          html_char (h, entities[e].c);
          return j + 1;
        }

  html_text (h, "&", 1);
  return i + 1;
}

/* The offset of @needle (ASCII, compared without case) at or after @from,
 * or h->len. */
static gsize
html_find (Html       *h,
           gsize       from,
           const char *needle)
{
  gsize n = strlen (needle);

  while (from < h->len)
    {
      const char *p = memchr (h->s + from, needle[0], h->len - from);

      if (p == NULL)
        break;
      from = p - h->s;
      if (h->len - from >= n && g_ascii_strncasecmp (p, needle, n) == 0)
        return from;
      from++;
    }
  return h->len;
}

/* The offset of the '>' at or after @from, or h->len. Once there is none,
 * later calls answer at once: the scan stays linear. */
static gsize
html_find_gt (Html  *h,
              gsize  from)
{
  const char *p;

  if (from >= h->no_gt_from)
    return h->len;
  p = memchr (h->s + from, '>', h->len - from);
  if (p == NULL)
    {
      h->no_gt_from = from;
      return h->len;
    }
  return p - h->s;
}

static gsize
html_find_quote (Html  *h,
                 gsize  from,
                 char   quote)
{
  guint q = quote == '"' ? 0 : 1;
  const char *p;

  if (from >= h->no_quote_from[q])
    return h->len;
  p = memchr (h->s + from, quote, h->len - from);
  if (p == NULL)
    {
      h->no_quote_from[q] = from;
      return h->len;
    }
  return p - h->s;
}

static const char * const paragraph_tags[] = {
  "address", "article", "aside", "blockquote", "body", "center", "details", "dialog", "dir",
  "div", "dl", "fieldset", "figcaption", "figure", "footer", "form", "header", "hgroup", "hr",
  "html", "legend", "main", "menu", "nav", "ol", "p", "pre", "section", "summary", "table",
  "ul", NULL
};
static const char * const line_tags[] = {
  "br", "caption", "dd", "dt", "li", "option", "tbody", "tfoot", "thead", "tr", NULL
};
static const char * const cell_tags[] = { "td", "th", NULL };
/* Elements whose content is never text to index. */
static const char * const dropped_tags[] = {
  "head", "iframe", "noscript", "object", "script", "style", "svg", "template", "title", NULL
};

static gboolean
in_list (const char         *name,
         const char * const *list)
{
  for (guint i = 0; list[i] != NULL; i++)
    if (strcmp (name, list[i]) == 0)
      return TRUE;
  return FALSE;
}

static int
heading_level (const char *name)
{
  if ((name[0] == 'h') && name[1] >= '1' && name[1] <= '6' && name[2] == '\0')
    return name[1] - '0';
  return 0;
}

/* Skips the content of a dropped element, from @from (after its start tag)
 * to after its end tag; an unclosed one runs to the end. <head> also ends
 * where <body> starts, as browsers read it. */
static gsize
html_skip_element (Html       *h,
                   gsize       from,
                   const char *name)
{
  g_autofree char *end_tag = g_strconcat ("</", name, NULL);
  gsize n = strlen (end_tag);
  gsize i = from;

  while (i < h->len)
    {
      const char *p = memchr (h->s + i, '<', h->len - i);

      if (p == NULL)
        return h->len;
      i = p - h->s;
      if (h->len - i > n && g_ascii_strncasecmp (p, end_tag, n) == 0 &&
          !g_ascii_isalnum (p[n]))
        {
          gsize gt = html_find_gt (h, i + n);

          return gt < h->len ? gt + 1 : h->len;
        }
      if (strcmp (name, "head") == 0 && h->len - i > 5 &&
          g_ascii_strncasecmp (p, "<body", 5) == 0 && !g_ascii_isalnum (p[5]))
        return i;
      i++;
    }
  return h->len;
}

/* A tag at h->s[i] ('<' followed by a letter, or "</" and a letter); returns
 * the offset after it, or 0 when it is not a tag after all. */
static gsize
html_tag (Html  *h,
          gsize  i)
{
  const char *s = h->s;
  gboolean closing = s[i + 1] == '/';
  gsize j = i + (closing ? 2 : 1);
  gsize name_start = j;
  char name[16];
  gsize name_len;
  gboolean self_closing = FALSE;
  gsize end;
  int level;

  while (j < h->len && (g_ascii_isalnum (s[j]) || s[j] == '-' || s[j] == ':' || s[j] == '_'))
    j++;
  name_len = j - name_start;
  if (name_len < sizeof name)
    {
      for (gsize k = 0; k < name_len; k++)
        name[k] = g_ascii_tolower (s[name_start + k]);
      name[name_len] = '\0';
    }
  else
    name[0] = '\0'; /* no element we know */

  if (html_find_gt (h, j) >= h->len)
    return 0; /* "a<b" with no '>' anywhere after it is text */

  /* The attributes: a '>' inside a quoted value does not end the tag. */
  end = h->len;
  while (!h->plain_gt && j < h->len)
    {
      char c = s[j];

      if (c == '>')
        {
          end = j;
          break;
        }
      if ((c == '"' || c == '\'') && j > name_start)
        {
          gsize k = j;

          while (k > name_start && is_ascii_space (s[k - 1]))
            k--;
          if (s[k - 1] == '=')
            {
              gsize close = html_find_quote (h, j + 1, c);

              if (close < h->len)
                {
                  j = close + 1;
                  continue;
                }
              /* Never closed: the tag ends at the next '>' after all. */
              end = html_find_gt (h, j + 1);
              break;
            }
        }
      j++;
    }
  if (end >= h->len)
    {
      /* Quotes that pair up so that no '>' is left outside them: from here on
       * a tag ends at its first '>', so no later tag scans to the end again. */
      h->plain_gt = TRUE;
      end = html_find_gt (h, name_start);
    }
  self_closing = end > name_start && s[end - 1] == '/';
  end++;

  if (closing)
    {
      if (strcmp (name, "pre") == 0)
        h->in_pre = FALSE;
    }
  else if (in_list (name, dropped_tags))
    {
      if (!self_closing)
        end = html_skip_element (h, end, name);
      html_break (h, BREAK_SPACE);
      return end;
    }
  else if (strcmp (name, "pre") == 0)
    h->in_pre = TRUE;

  if ((level = heading_level (name)) > 0)
    {
      html_break (h, BREAK_PARAGRAPH);
      if (!closing)
        h->heading = level;
    }
  else if (in_list (name, paragraph_tags))
    html_break (h, BREAK_PARAGRAPH);
  else if (in_list (name, line_tags))
    html_break (h, BREAK_LINE);
  else if (in_list (name, cell_tags))
    html_break (h, BREAK_SPACE);
  return end;
}

/* A small tolerant scanner, not a DOM: no stack, one pass, so neither depth
 * nor unclosed elements cost anything. Dropped: <head>, <script>, <style>
 * (and a few more that never hold text), comments, declarations and
 * processing instructions. Block elements become line or paragraph breaks,
 * h1..h6 become "#"-headings as in Markdown (so the chunker starts a chunk
 * there), entities are decoded and whitespace is collapsed. */
static char *
extract_html (const char *text)
{
  Html h = { 0 };
  gsize i = 0;

  h.s = text;
  h.len = strlen (text);
  h.out = g_string_sized_new (h.len / 2);
  h.no_gt_from = h.no_quote_from[0] = h.no_quote_from[1] = G_MAXSIZE;

  while (i < h.len)
    {
      const char *s = h.s;
      char c = s[i];

      if (c == '<')
        {
          gsize next;

          if (h.len - i >= 4 && strncmp (s + i, "<!--", 4) == 0)
            {
              gsize close = html_find (&h, i + 4, "-->");

              i = close < h.len ? close + 3 : h.len;
              continue;
            }
          if (h.len - i >= 9 && strncmp (s + i, "<![CDATA[", 9) == 0)
            {
              gsize close = html_find (&h, i + 9, "]]>");

              for (gsize k = i + 9; k < close; k++)
                if (is_ascii_space (s[k]))
                  html_char (&h, (guchar) s[k]);
                else
                  html_text (&h, s + k, 1);
              i = close < h.len ? close + 3 : h.len;
              continue;
            }
          if (i + 1 < h.len && (s[i + 1] == '!' || s[i + 1] == '?'))
            {
              gsize gt = html_find_gt (&h, i + 2);

              i = gt < h.len ? gt + 1 : h.len;
              continue;
            }
          if (i + 1 < h.len && (g_ascii_isalpha (s[i + 1]) ||
                                (s[i + 1] == '/' && i + 2 < h.len && g_ascii_isalpha (s[i + 2]))))
            {
              next = html_tag (&h, i);
              if (next > 0)
                {
                  i = next;
                  continue;
                }
            }
          html_text (&h, "<", 1);
          i++;
        }
      else if (c == '&')
        i = html_entity (&h, i);
      else if (is_ascii_space (c))
        {
          html_char (&h, (guchar) c);
          i++;
        }
      else
        {
          gsize j = i + 1;

          while (j < h.len && s[j] != '<' && s[j] != '&' && !is_ascii_space (s[j]))
            j++;
          html_text (&h, s + i, j - i);
          i = j;
        }
    }
  return g_string_free (h.out, FALSE);
}

/* PDF */

static char *
extract_pdf (GBytes      *bytes,
             const char  *name,
             GError     **error)
{
  g_autoptr (GError) local_error = NULL;
  PopplerDocument *document;
  GString *text;
  int n_pages;

  document = poppler_document_new_from_bytes (bytes, NULL, &local_error);
  if (document == NULL)
    {
      if (g_error_matches (local_error, POPPLER_ERROR, POPPLER_ERROR_ENCRYPTED))
        g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                     _("“%s” is a password-protected PDF; save a copy without the password "
                       "and import that"),
                     name);
      else
        g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                     _("“%s” is not a readable PDF: %s"), name,
                     local_error != NULL ? local_error->message : _("unknown error"));
      return NULL;
    }

  n_pages = poppler_document_get_n_pages (document);
  text = g_string_new (NULL);
  for (int i = 0; i < n_pages; i++)
    {
      PopplerPage *page = poppler_document_get_page (document, i);
      g_autofree char *page_text = page != NULL ? poppler_page_get_text (page) : NULL;

      g_clear_object (&page);
      if (page_text == NULL)
        continue;
      g_strstrip (page_text);
      if (*page_text == '\0')
        continue;
      if (text->len > 0)
        g_string_append (text, "\n\n");
      g_string_append (text, page_text);
    }
  g_object_unref (document);

  {
    g_autofree char *raw = g_string_free (text, FALSE);

    /* Page text may hold form feeds and whatever the font encoding made of it. */
    g_strdelimit (raw, "\f", '\n');
    return clean_text (raw, strlen (raw));
  }
}

/**
 * confab_text_extract:
 * @bytes: the file's contents
 * @filename_or_content_type: the file's name (its extension decides the type,
 *   and error messages name it) or a MIME type
 * @error: return location for a #GError
 *
 * Extracts the plain text of a .txt, .md, .html/.htm or .pdf file. Markdown
 * is kept as it is (headings stay lines starting with "#"); HTML loses its
 * markup, comments, scripts, styles and <head>, its block elements become
 * line breaks and blank lines and its h1..h6 "#" to "######" lines (so
 * chunking starts a chunk there, as for Markdown); a PDF gives the text of
 * its pages joined by blank lines. The text is valid UTF-8 without NUL
 * bytes, with "\n" line ends.
 *
 * Errors: %CONFAB_ERROR_LIMIT for more than %CONFAB_TEXT_EXTRACT_MAX_BYTES;
 * %CONFAB_ERROR_INVALID for an unsupported type, a PDF that cannot be read
 * and a password-protected PDF.
 *
 * Returns: (transfer full): the text, possibly empty, or %NULL on error
 */
char *
confab_text_extract (GBytes      *bytes,
                     const char  *filename_or_content_type,
                     GError     **error)
{
  const char *name = filename_or_content_type;
  const char *type;
  const char *data;
  gsize size;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (filename_or_content_type != NULL, NULL);

  data = g_bytes_get_data (bytes, &size);
  if (data == NULL)
    data = "";

  if (size > CONFAB_TEXT_EXTRACT_MAX_BYTES)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_LIMIT,
                   _("“%s” is larger than %d MB, the limit for a document"), name,
                   CONFAB_TEXT_EXTRACT_MAX_BYTES / (1024 * 1024));
      return NULL;
    }

  type = confab_text_extract_content_type (name, (const guchar *) data, MIN (size, 4096));
  if (type == NULL)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("“%s” is not a supported type of document; "
                     "the supported types are .txt, .md, .html, .htm and .pdf"),
                   name);
      return NULL;
    }

  if (strcmp (type, TYPE_PDF) == 0)
    return extract_pdf (bytes, name, error);

  {
    g_autofree char *text = clean_text (data, size);

    if (strcmp (type, TYPE_HTML) == 0)
      return extract_html (text);
    return g_steal_pointer (&text);
  }
}
