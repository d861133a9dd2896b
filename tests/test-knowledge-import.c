#include "config.h"

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-chunker.h"
#include "confab-knowledge-importer.h"
#include "confab-retriever.h"
#include "confab-test-util.h"
#include "confab-text-extract.h"

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static ConfabKnowledgeBase *
add_kb (ConfabDatabase *db,
        const char     *title)
{
  g_autoptr (GError) error = NULL;
  ConfabKnowledgeBase *kb = confab_knowledge_base_new (title);

  confab_repository_create (db, CONFAB_ENTITY (kb), NULL, &error);
  g_assert_no_error (error);
  return kb;
}

static char *
write_file (const char *dir,
            const char *name,
            const char *data,
            gssize      len)
{
  g_autoptr (GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
  return path;
}

static char *
extract (const char  *name,
         const char  *data,
         gssize       len,
         GError     **error)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, len < 0 ? strlen (data) : (gsize) len);

  return confab_text_extract (bytes, name, error);
}

static char *
extract_ok (const char *name,
            const char *data,
            gssize      len)
{
  g_autoptr (GError) error = NULL;
  char *text = extract (name, data, len, &error);

  g_assert_no_error (error);
  g_assert_nonnull (text);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  return text;
}

static void
assert_contains (const char *haystack,
                 const char *needle)
{
  if (haystack == NULL || strstr (haystack, needle) == NULL)
    g_error ("“%s” does not contain “%s”", haystack ? haystack : "(null)", needle);
}

/* A PDF 1.4 file with one page per string (Helvetica, one line each), made
 * by hand with a correct cross-reference table; with a /Standard security
 * handler whose user password is not empty when @encrypted. */
static GBytes *
make_pdf (const char * const *pages,
          gboolean            encrypted)
{
  GString *pdf = g_string_new ("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n");
  guint n_pages = g_strv_length ((char **) pages);
  guint n_objects = 3 + 2 * n_pages + (encrypted ? 1 : 0);
  g_autofree gsize *offsets = g_new0 (gsize, n_objects + 1);
  g_autoptr (GString) kids = g_string_new ("[");
  gsize xref;

  for (guint i = 0; i < n_pages; i++)
    g_string_append_printf (kids, "%s%u 0 R", i > 0 ? " " : "", 4 + 2 * i);
  g_string_append (kids, "]");

  offsets[1] = pdf->len;
  g_string_append (pdf, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
  offsets[2] = pdf->len;
  g_string_append_printf (pdf, "2 0 obj\n<< /Type /Pages /Kids %s /Count %u >>\nendobj\n",
                          kids->str, n_pages);
  offsets[3] = pdf->len;
  g_string_append (pdf, "3 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>\n"
                        "endobj\n");
  for (guint i = 0; i < n_pages; i++)
    {
      g_autofree char *content = g_strdup_printf ("BT /F1 24 Tf 72 700 Td (%s) Tj ET", pages[i]);

      offsets[4 + 2 * i] = pdf->len;
      g_string_append_printf (pdf, "%u 0 obj\n<< /Type /Page /Parent 2 0 R "
                              "/MediaBox [0 0 612 792] /Contents %u 0 R "
                              "/Resources << /Font << /F1 3 0 R >> >> >>\nendobj\n",
                              4 + 2 * i, 5 + 2 * i);
      offsets[5 + 2 * i] = pdf->len;
      g_string_append_printf (pdf, "%u 0 obj\n<< /Length %u >>\nstream\n%s\nendstream\nendobj\n",
                              5 + 2 * i, (guint) strlen (content), content);
    }
  if (encrypted)
    {
      offsets[n_objects] = pdf->len;
      g_string_append_printf (pdf, "%u 0 obj\n<< /Filter /Standard /V 1 /R 2 /P -4 "
                              "/O <0123456789abcdef0123456789abcdef"
                              "0123456789abcdef0123456789abcdef> "
                              "/U <fedcba9876543210fedcba9876543210"
                              "fedcba9876543210fedcba9876543210> >>\nendobj\n",
                              n_objects);
    }
  xref = pdf->len;
  g_string_append_printf (pdf, "xref\n0 %u\n0000000000 65535 f \n", n_objects + 1);
  for (guint i = 1; i <= n_objects; i++)
    g_string_append_printf (pdf, "%010lu 00000 n \n", (gulong) offsets[i]);
  g_string_append_printf (pdf, "trailer\n<< /Size %u /Root 1 0 R", n_objects + 1);
  if (encrypted)
    g_string_append_printf (pdf, " /Encrypt %u 0 R /ID [<00112233445566778899aabbccddeeff> "
                            "<00112233445566778899aabbccddeeff>]", n_objects);
  g_string_append_printf (pdf, " >>\nstartxref\n%lu\n%%%%EOF\n", (gulong) xref);
  return g_string_free_to_bytes (pdf);
}

/* Extraction */

static void
test_extract_plain (void)
{
  g_autofree char *text = NULL;
  g_autofree char *utf16 = NULL;
  static const char le[] = "\xff\xfe" "H\0i\0 \0\xe9\0";

  text = extract_ok ("notes.txt", "Line one\r\nLine two\rLine three\n", -1);
  g_assert_cmpstr (text, ==, "Line one\nLine two\nLine three\n");
  g_clear_pointer (&text, g_free);

  /* A byte order mark is not text. */
  text = extract_ok ("NOTES.TXT", "\xef\xbb\xbf" "Caf\xc3\xa9", -1);
  g_assert_cmpstr (text, ==, "Caf\xc3\xa9");
  g_clear_pointer (&text, g_free);

  utf16 = extract_ok ("windows.txt", le, sizeof le - 1);
  g_assert_cmpstr (utf16, ==, "Hi \xc3\xa9");

  /* By content type too, parameters and all. */
  text = extract_ok ("text/plain; charset=utf-8", "plain", -1);
  g_assert_cmpstr (text, ==, "plain");
  g_clear_pointer (&text, g_free);

  text = extract_ok ("empty.txt", "", 0);
  g_assert_cmpstr (text, ==, "");
}

static void
test_extract_markdown (void)
{
  const char *md = "# Opening hours\n\nWe open at **8**.\n\n## Sunday\n\nClosed.\n";
  g_autofree char *text = extract_ok ("hours.md", md, -1);
  g_autofree char *by_type = extract_ok ("text/markdown", md, -1);
  g_autofree char *long_ext = extract_ok ("hours.markdown", md, -1);

  g_assert_cmpstr (text, ==, md);
  g_assert_cmpstr (by_type, ==, md);
  g_assert_cmpstr (long_ext, ==, md);
}

static void
test_extract_html (void)
{
  const char *html =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Page title</title>\n"
    "<style>body { color: red; } p > b { x: 1 }</style>\n"
    "<script>var a = \"<p>not text</p>\"; if (a < b) {}</script>\n"
    "</head>\n"
    "<body class='main'>\n"
    "<!-- a comment <p>hidden</p> -->\n"
    "<h1>Opening   hours</h1>\n"
    "<p>Fish &amp; chips &lt;daily&gt;, &quot;fresh&quot; &#39;n&#x27; hot&nbsp;&nbsp;food.</p>\n"
    "<div>Caf&eacute; &#233;&#xE9; &euro;5 &unknown; a &amp b</div>\n"
    "<SCRIPT type=\"text/javascript\">alert('no');</SCRIPT>\n"
    "<ul><li>One</li><li>Two<br>lines</li></ul>\n"
    "<p title=\"a > b\">Quoted <b>bold</b> <a href='x'>link</a>.</p>\n"
    "<style>.x{}</style>"
    "<table><tr><td>A</td><td>B</td></tr><tr><td>C</td></tr></table>\n"
    "<h2>Sunday</h2><p>Closed</p>\n"
    "<pre>  keep\n  lines</pre>\n"
    "</body></html>\n";
  g_autofree char *text = extract_ok ("page.html", html, -1);

  g_assert_cmpstr (text, ==,
                   "# Opening hours\n\n"
                   "Fish & chips <daily>, \"fresh\" 'n' hot food.\n\n"
                   "Caf\xc3\xa9 \xc3\xa9\xc3\xa9 \xe2\x82\xac" "5 &unknown; a &amp b\n\n"
                   "One\nTwo\nlines\n\n"
                   "Quoted bold link.\n\n"
                   "A B\nC\n\n"
                   "## Sunday\n\n"
                   "Closed\n\n"
                   "  keep\n  lines");
}

static void
test_extract_html_tolerant (void)
{
  g_autofree char *text = NULL;

  /* Unclosed elements, stray '<' and '&', an unclosed quote and comment. */
  text = extract_ok ("a.htm", "<p>One<p>Two<li>Three <b>bold<div>a < b && c</div>", -1);
  g_assert_cmpstr (text, ==, "One\n\nTwo\nThree bold\n\na < b && c");
  g_clear_pointer (&text, g_free);

  /* A '<' with no '>' anywhere after it is text. */
  text = extract_ok ("lt.html", "<p>x<y and 3 <4", -1);
  g_assert_cmpstr (text, ==, "x<y and 3 <4");
  g_clear_pointer (&text, g_free);

  text = extract_ok ("b.html", "<p>before<a href=\"x>after</a> tail</p>", -1);
  g_assert_cmpstr (text, ==, "beforeafter tail");
  g_clear_pointer (&text, g_free);

  text = extract_ok ("c.html", "<p>kept</p><!-- never closed <p>lost</p>", -1);
  g_assert_cmpstr (text, ==, "kept");
  g_clear_pointer (&text, g_free);

  text = extract_ok ("d.html", "<p>kept</p><script>never closed <p>lost</p>", -1);
  g_assert_cmpstr (text, ==, "kept");
  g_clear_pointer (&text, g_free);

  /* A <head> that is never closed ends where <body> starts. */
  text = extract_ok ("e.html", "<html><head><title>t</title><body><p>Body text", -1);
  g_assert_cmpstr (text, ==, "Body text");
  g_clear_pointer (&text, g_free);

  /* A self-closed script has no content to drop. */
  text = extract_ok ("f.xhtml", "<script src=\"x.js\"/><p>After</p>", -1);
  g_assert_cmpstr (text, ==, "After");
  g_clear_pointer (&text, g_free);

  text = extract_ok ("text/html", "<p>&#0;&#xD800;&#99999999;&#x110000;!</p>", -1);
  g_assert_cmpstr (text, ==, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd!");
  g_clear_pointer (&text, g_free);

  text = extract_ok ("g.html", "", 0);
  g_assert_cmpstr (text, ==, "");
}

static void
test_extract_html_bombs (void)
{
  const guint n = 100000;
  g_autoptr (GString) html = g_string_new (NULL);
  g_autofree char *text = NULL;
  gint64 start;

  /* 100,000 nested <div>s: no stack, so nothing to overflow. */
  for (guint i = 0; i < n; i++)
    g_string_append (html, "<div class=\"x\">");
  g_string_append (html, "deep &amp; down");
  for (guint i = 0; i < n; i++)
    g_string_append (html, "</div>");
  start = g_get_monotonic_time ();
  text = extract_ok ("bomb.html", html->str, html->len);
  g_assert_cmpstr (text, ==, "deep & down");
  g_clear_pointer (&text, g_free);

  /* 100,000 unclosed tags of every kind. */
  g_string_truncate (html, 0);
  for (guint i = 0; i < n; i++)
    g_string_append (html, "<p><b><span>x");
  text = extract_ok ("unclosed.html", html->str, html->len);
  g_assert_cmpuint (strlen (text), ==, 3 * n - 2);
  g_clear_pointer (&text, g_free);

  /* What would make a naive scanner quadratic: '<' never followed by '>',
   * quotes that hide every '>', an unclosed quote before many tags. */
  g_string_truncate (html, 0);
  for (guint i = 0; i < n; i++)
    g_string_append (html, "a<b ");
  text = extract_ok ("lt.html", html->str, html->len);
  g_assert_cmpuint (strlen (text), ==, 4 * n - 1);
  g_clear_pointer (&text, g_free);

  g_string_truncate (html, 0);
  for (guint i = 0; i < n; i++)
    g_string_append (html, "<a x=\">\" y='>'");
  text = extract_ok ("quotes.html", html->str, html->len);
  g_clear_pointer (&text, g_free);

  g_string_truncate (html, 0);
  g_string_append (html, "<a href=\"open>");
  for (guint i = 0; i < n; i++)
    g_string_append (html, "<i>w</i> ");
  text = extract_ok ("quote.html", html->str, html->len);
  g_assert_cmpuint (strlen (text), ==, 2 * n - 1);
  g_clear_pointer (&text, g_free);

  g_string_truncate (html, 0);
  for (guint i = 0; i < n; i++)
    g_string_append (html, "<!-- c --><script>s</script><style>t</style>&amp;");
  text = extract_ok ("mixed.html", html->str, html->len);
  g_assert_cmpuint (strlen (text), ==, n + (n - 1));

  /* Linear: well under the test's timeout even under valgrind. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 30 * G_USEC_PER_SEC);
}

static void
test_extract_repair (void)
{
  /* NUL bytes dropped, invalid sequences replaced, for every type. */
  static const char raw[] = "ab\0c\xff" "d \xc3\x28 \xe2\x82 end";
  /* (g_utf8_make_valid() replaces each byte of a cut sequence.) */
  const char *expected = "abc\xef\xbf\xbd" "d \xef\xbf\xbd( \xef\xbf\xbd\xef\xbf\xbd end";
  static const char raw_html[] = "<p>ab\0c\xff" "d</p>";
  const char * const names[] = { "a.txt", "a.md" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *text = extract_ok (names[i], raw, sizeof raw - 1);

      g_assert_cmpstr (text, ==, expected);
    }
  {
    g_autofree char *text = extract_ok ("a.html", raw_html, sizeof raw_html - 1);

    g_assert_cmpstr (text, ==, "abc\xef\xbf\xbd" "d");
  }
}

static void
test_extract_pdf (void)
{
  const char * const one[] = { "Hello PDF", NULL };
  const char * const two[] = { "Hello PDF", "Second page", NULL };
  g_autoptr (GBytes) pdf = make_pdf (one, FALSE);
  g_autoptr (GBytes) pdf2 = make_pdf (two, FALSE);
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;

  text = confab_text_extract (pdf, "hello.pdf", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "Hello PDF");
  g_clear_pointer (&text, g_free);

  /* Pages are joined by a blank line. */
  text = confab_text_extract (pdf2, "application/pdf", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "Hello PDF\n\nSecond page");
  g_clear_pointer (&text, g_free);

  text = confab_text_extract (pdf2, "UPPER.PDF", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "Hello PDF\n\nSecond page");
}

static void
test_extract_pdf_broken (void)
{
  const char * const one[] = { "Hello PDF", NULL };
  g_autoptr (GBytes) pdf = make_pdf (one, FALSE);
  g_autoptr (GBytes) encrypted = make_pdf (one, TRUE);
  g_autoptr (GBytes) truncated = g_bytes_new_from_bytes (pdf, 0, g_bytes_get_size (pdf) / 2);
  g_autoptr (GBytes) text_bytes = g_bytes_new_static ("Just some notes.\n", 17);
  g_autoptr (GBytes) empty = g_bytes_new_static ("", 0);
  g_autoptr (GError) error = NULL;
  char *text;

  text = confab_text_extract (text_bytes, "notes.pdf", &error);
  g_assert_null (text);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  assert_contains (error->message, "“notes.pdf” is not a readable PDF: ");
  g_clear_error (&error);

  text = confab_text_extract (truncated, "half.pdf", &error);
  g_assert_null (text);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  assert_contains (error->message, "“half.pdf” is not a readable PDF: ");
  g_clear_error (&error);

  text = confab_text_extract (empty, "empty.pdf", &error);
  g_assert_null (text);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);

  text = confab_text_extract (encrypted, "secret.pdf", &error);
  g_assert_null (text);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  assert_contains (error->message, "“secret.pdf” is a password-protected PDF");
}

static void
test_extract_unsupported (void)
{
  g_autoptr (GError) error = NULL;
  static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
  char *text;

  text = extract ("photo.png", png, sizeof png - 1, &error);
  g_assert_null (text);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  assert_contains (error->message, "“photo.png”");
  assert_contains (error->message, ".txt, .md, .html, .htm and .pdf");
  g_clear_error (&error);

  text = extract ("application/zip", "PK\3\4", 4, &error);
  g_assert_null (text);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);

  g_assert_cmpstr (confab_text_extract_content_type ("a.HTM", NULL, 0), ==, "text/html");
  g_assert_cmpstr (confab_text_extract_content_type ("dir.d/a.md", NULL, 0), ==, "text/markdown");
  g_assert_cmpstr (confab_text_extract_content_type ("x.pdf", NULL, 0), ==, "application/pdf");
  g_assert_cmpstr (confab_text_extract_content_type ("application/xhtml+xml", NULL, 0), ==,
                   "text/html");
  g_assert_null (confab_text_extract_content_type ("sheet.xlsx", NULL, 0));
}

static void
test_extract_limit (void)
{
  gsize size = CONFAB_TEXT_EXTRACT_MAX_BYTES + 1;
  g_autoptr (GBytes) big = g_bytes_new_take (g_malloc0 (size), size);
  g_autoptr (GError) error = NULL;
  char *text;

  g_assert_cmpint (CONFAB_TEXT_EXTRACT_MAX_BYTES, ==, 50 * 1024 * 1024);
  text = confab_text_extract (big, "huge.txt", &error);
  g_assert_null (text);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_LIMIT);
  assert_contains (error->message, "“huge.txt”");
  assert_contains (error->message, "50 MB");
}

/* Chunking */

static void
assert_chunk_shape (GPtrArray *chunks,
                    gsize      target)
{
  for (guint i = 0; i < chunks->len; i++)
    {
      const char *chunk = g_ptr_array_index (chunks, i);

      g_assert_true (g_utf8_validate (chunk, -1, NULL));
      g_assert_cmpuint (strlen (chunk), >, 0);
      g_assert_cmpuint (g_utf8_strlen (chunk, -1), <=, target);
      g_assert_false (g_unichar_isspace (g_utf8_get_char (chunk)));
      g_assert_false (g_unichar_isspace (g_utf8_get_char (g_utf8_prev_char (chunk +
                                                                            strlen (chunk)))));
    }
}

/* The characters chunk @b repeats of the end of chunk @a, from a word start. */
static glong
overlap_chars (const char *a,
               const char *b)
{
  gsize a_len = strlen (a);

  for (gsize len = MIN (a_len, strlen (b)); len > 0; len--)
    if (memcmp (a + a_len - len, b, len) == 0 && g_utf8_validate (b, len, NULL))
      return g_utf8_strlen (b, len);
  return 0;
}

static char *
numbered_sentences (guint first,
                    guint count)
{
  GString *s = g_string_new (NULL);

  for (guint i = first; i < first + count; i++)
    g_string_append_printf (s, "%sSentence %04u says a little more.", i > first ? " " : "", i);
  return g_string_free (s, FALSE);
}

static void
test_chunk_paragraphs (void)
{
  g_autoptr (GPtrArray) chunks = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *joined = NULL;

  /* Short paragraphs are packed together, up to the target. */
  chunks = confab_chunk_text ("One.\n\nTwo.\n\n\n  Three.  \n", 800, 100);
  g_assert_cmpuint (chunks->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (chunks, 0), ==, "One.\n\nTwo.\n\nThree.");
  g_clear_pointer (&chunks, g_ptr_array_unref);

  /* Twelve paragraphs of 150 characters: five a chunk (5 * 150 + 4 * 2 =
   * 758), then a full paragraph does not fit beside another five. */
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *para = g_strdup_printf ("Paragraph %02u %s", i, "");
      g_string_append (text, para);
      while (text->len % 152 != 150)
        g_string_append_c (text, i % 2 ? 'x' : 'y');
      g_string_append (text, "\n\n");
    }
  chunks = confab_chunk_text (text->str, 800, 100);
  assert_chunk_shape (chunks, 800);
  g_assert_cmpuint (chunks->len, ==, 3);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (chunks, 0), "Paragraph 00"));
  g_assert_cmpuint (strlen (g_ptr_array_index (chunks, 0)), ==, 5 * 150 + 4 * 2);
  /* Whole paragraphs only, and no paragraph is lost. */
  g_ptr_array_add (chunks, NULL);
  joined = g_strjoinv ("\n\n", (char **) chunks->pdata);
  for (guint i = 0; i < 12; i++)
    {
      g_autofree char *head = g_strdup_printf ("Paragraph %02u ", i);

      assert_contains (joined, head);
    }
  g_clear_pointer (&chunks, g_ptr_array_unref);

  /* Nothing to chunk. */
  chunks = confab_chunk_text ("", 800, 100);
  g_assert_cmpuint (chunks->len, ==, 0);
  g_clear_pointer (&chunks, g_ptr_array_unref);
  chunks = confab_chunk_text (" \n\n\t\n  ", 800, 100);
  g_assert_cmpuint (chunks->len, ==, 0);
}

static void
test_chunk_headings (void)
{
  g_autoptr (GPtrArray) chunks = NULL;
  const char *md = "Intro line.\n"
                   "# Opening hours\n"
                   "We open at eight.\n\n"
                   "## Sunday\n\n"
                   "Closed on Sundays.\n"
                   "#hashtag is not a heading\n\n"
                   "   ### Holidays\n"
                   "Ask us.\n\n"
                   "```sh\n"
                   "# a comment in code\n"
                   "```\n";

  chunks = confab_chunk_text (md, 800, 100);
  g_assert_cmpuint (chunks->len, ==, 4);
  g_assert_cmpstr (g_ptr_array_index (chunks, 0), ==, "Intro line.");
  g_assert_cmpstr (g_ptr_array_index (chunks, 1), ==, "# Opening hours\n\nWe open at eight.");
  /* No overlap across a heading. */
  g_assert_cmpstr (g_ptr_array_index (chunks, 2), ==,
                   "## Sunday\n\nClosed on Sundays.\n#hashtag is not a heading");
  g_assert_cmpstr (g_ptr_array_index (chunks, 3), ==,
                   "### Holidays\n\nAsk us.\n\n```sh\n# a comment in code\n```");
}

static void
test_chunk_long_paragraph (void)
{
  g_autoptr (GPtrArray) chunks = NULL;
  g_autofree char *para = numbered_sentences (0, 60); /* 60 * 34 - 1 characters */
  g_autoptr (GString) words = g_string_new (NULL);

  /* Cut at sentence ends; each chunk repeats ~100 characters of the one
   * before, from a word start. */
  chunks = confab_chunk_text (para, 800, 100);
  assert_chunk_shape (chunks, 800);
  g_assert_cmpuint (chunks->len, ==, 3);
  for (guint i = 0; i < chunks->len; i++)
    {
      const char *chunk = g_ptr_array_index (chunks, i);

      g_assert_true (g_str_has_suffix (chunk, "more."));
      if (i > 0)
        {
          const char *before = g_ptr_array_index (chunks, i - 1);
          glong overlap = overlap_chars (before, chunk);
          gsize cut = strlen (before) - overlap;

          g_assert_cmpint (overlap, >=, 80);
          g_assert_cmpint (overlap, <=, 100);
          g_assert_true (before[cut - 1] == ' ');
        }
    }
  g_assert_true (g_str_has_prefix (g_ptr_array_index (chunks, 0), "Sentence 0000 "));
  g_assert_true (g_str_has_suffix (g_ptr_array_index (chunks, 2),
                                   "Sentence 0059 says a little more."));
  g_clear_pointer (&chunks, g_ptr_array_unref);

  /* One sentence of 2,000 characters: cut at spaces. */
  for (guint i = 0; words->len < 2000; i++)
    g_string_append_printf (words, "%sword%u", i > 0 ? " " : "", i);
  chunks = confab_chunk_text (words->str, 800, 100);
  assert_chunk_shape (chunks, 800);
  g_assert_cmpuint (chunks->len, >=, 3);
  for (guint i = 0; i < chunks->len; i++)
    {
      const char *chunk = g_ptr_array_index (chunks, i);
      g_autofree char *padded_text = g_strdup_printf (" %s ", words->str);
      g_autofree char *padded_chunk = g_strdup_printf (" %s ", chunk);

      /* Whole words: the chunk is a run of the text between spaces. */
      assert_contains (padded_text, padded_chunk);
      if (i > 0)
        g_assert_cmpint (overlap_chars (g_ptr_array_index (chunks, i - 1), chunk), >=, 80);
    }
}

static void
test_chunk_utf8 (void)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GString) word = g_string_new (NULL);
  g_autoptr (GPtrArray) chunks = NULL;
  g_autoptr (GPtrArray) again = NULL;
  gsize total = 0;

  /* Two- to four-byte characters in words and sentences... */
  for (guint i = 0; i < 300; i++)
    g_string_append (text, i % 7 == 6 ? "h\xc3\xa9\xe6\xbc\xa2\xf0\x9f\x99\x82. " :
                                        "\xc3\xa9t\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97 ");
  chunks = confab_chunk_text (text->str, 120, 20);
  assert_chunk_shape (chunks, 120);
  g_assert_cmpuint (chunks->len, >, 5);
  g_clear_pointer (&chunks, g_ptr_array_unref);

  /* ...and one word of 1,000 multi-byte characters: cut anywhere, but
   * between characters. */
  for (guint i = 0; i < 250; i++)
    g_string_append (word, "\xc3\xa9\xe6\xbc\xa2\xf0\x9f\x99\x82z");
  chunks = confab_chunk_text (word->str, 100, 10);
  assert_chunk_shape (chunks, 100);
  for (guint i = 0; i < chunks->len; i++)
    total += g_utf8_strlen (g_ptr_array_index (chunks, i), -1);
  g_assert_cmpuint (total, >=, 1000);

  /* The same input, the same chunks. */
  again = confab_chunk_text (word->str, 100, 10);
  g_assert_cmpuint (again->len, ==, chunks->len);
  for (guint i = 0; i < chunks->len; i++)
    g_assert_cmpstr (g_ptr_array_index (again, i), ==, g_ptr_array_index (chunks, i));
}

static void
test_chunk_deterministic (void)
{
  g_autofree char *a = numbered_sentences (0, 200);
  g_autofree char *text = g_strdup_printf ("# Title\n\n%s\n\n## Next\n\n%s", a, a);
  g_autoptr (GPtrArray) first = confab_chunk_text (text, 800, 100);
  g_autoptr (GPtrArray) second = confab_chunk_text (text, 800, 100);
  g_autoptr (GPtrArray) defaults = confab_chunk_text (text, 0, 100);

  assert_chunk_shape (first, 800);
  g_assert_cmpuint (first->len, ==, second->len);
  g_assert_cmpuint (first->len, ==, defaults->len);
  for (guint i = 0; i < first->len; i++)
    {
      g_assert_cmpstr (g_ptr_array_index (first, i), ==, g_ptr_array_index (second, i));
      g_assert_cmpstr (g_ptr_array_index (first, i), ==, g_ptr_array_index (defaults, i));
    }
  g_assert_true (g_str_has_prefix (g_ptr_array_index (first, 0), "# Title\n\nSentence 0000"));
  {
    gboolean found = FALSE;

    for (guint i = 1; i < first->len; i++)
      if (g_str_has_prefix (g_ptr_array_index (first, i), "## Next\n\nSentence 0000"))
        found = TRUE;
    g_assert_true (found);
  }
}

/* Import */

typedef struct
{
  ConfabDatabase *db;
  GPtrArray      *statuses;
  GPtrArray      *stages;
  GArray         *fractions;
  GThread        *main_thread;
  gboolean        off_main_thread;
  GCancellable   *cancel_on_processing;
  GCancellable   *cancel;           /* cancelled when progress reaches... */
  const char     *cancel_on_stage;  /* ...this stage */
  GAsyncResult   *result;
} ImportRun;

static void
import_run_clear (ImportRun *run)
{
  g_clear_pointer (&run->statuses, g_ptr_array_unref);
  g_clear_pointer (&run->stages, g_ptr_array_unref);
  g_clear_pointer (&run->fractions, g_array_unref);
  g_clear_object (&run->result);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (ImportRun, import_run_clear)

static void
on_documents_changed (ConfabDatabase *db,
                      const char     *table,
                      const char     *id,
                      const char     *action,
                      gpointer        user_data)
{
  ImportRun *run = user_data;
  g_autoptr (ConfabDocument) document = NULL;

  if (id == NULL || g_strcmp0 (action, "delete") == 0)
    return;
  document = confab_repository_get (db, CONFAB_TYPE_DOCUMENT, id, NULL);
  if (document == NULL)
    return;
  g_ptr_array_add (run->statuses, g_strdup (confab_document_get_status (document)));
  if (run->cancel_on_processing != NULL &&
      g_strcmp0 (confab_document_get_status (document), "processing") == 0)
    g_cancellable_cancel (run->cancel_on_processing);
}

static void
on_progress (double      fraction,
             const char *stage,
             gpointer    user_data)
{
  ImportRun *run = user_data;

  if (g_thread_self () != run->main_thread)
    run->off_main_thread = TRUE;
  g_ptr_array_add (run->stages, g_strdup (stage));
  g_array_append_val (run->fractions, fraction);
  if (run->cancel != NULL && g_strcmp0 (stage, run->cancel_on_stage) == 0)
    g_cancellable_cancel (run->cancel);
}

static void
on_imported (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  ImportRun *run = user_data;

  run->result = g_object_ref (result);
}

/* Imports @path with progress and status tracking; returns the document or
 * NULL with @error set. */
static ConfabDocument *
run_import (ImportRun     *run,
            ConfabDatabase *db,
            const char    *kb_id,
            const char    *path,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  gulong handler;

  run->db = db;
  run->statuses = g_ptr_array_new_with_free_func (g_free);
  run->stages = g_ptr_array_new_with_free_func (g_free);
  run->fractions = g_array_new (FALSE, FALSE, sizeof (double));
  run->main_thread = g_thread_self ();
  handler = g_signal_connect (db, "changed::documents", G_CALLBACK (on_documents_changed), run);

  confab_knowledge_import_file_async (db, kb_id, file, NULL, on_progress, run, cancellable,
                                      on_imported, run);
  while (run->result == NULL)
    g_main_context_iteration (NULL, TRUE);
  confab_test_drain_main_loop ();
  g_signal_handler_disconnect (db, handler);
  return confab_knowledge_import_file_finish (run->result, error);
}

static void
assert_strv (GPtrArray          *got,
             const char * const *expected)
{
  g_autofree char *got_joined = NULL;
  g_autofree char *expected_joined = g_strjoinv (",", (char **) expected);

  g_ptr_array_add (got, NULL);
  got_joined = g_strjoinv (",", (char **) got->pdata);
  g_ptr_array_remove_index (got, got->len - 1);
  g_assert_cmpstr (got_joined, ==, expected_joined);
}

static ConfabDocument *
only_document (ConfabDatabase *db,
               const char     *kb_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) documents = confab_repository_list (db, CONFAB_TYPE_DOCUMENT,
                                                            "knowledge_base_id", kb_id, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (documents->len, ==, 1);
  return g_object_ref (g_ptr_array_index (documents, 0));
}

static void
test_import_async (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, "Bakery");
  g_autoptr (ConfabDocument) document = NULL;
  g_autoptr (GPtrArray) expected = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *para = numbered_sentences (0, 50);
  g_autofree char *md = g_strdup_printf ("# Opening hours\n\nWe bake sourdough daily.\n\n"
                                         "## Details\n\n%s\n", para);
  g_autofree char *path = write_file (ws->dir, "guide.md", md, -1);
  g_autofree char *sql = NULL;
  const char * const statuses[] = { "uploaded", "processing", "indexed", NULL };
  const char * const stages[] = {
    "processing", "reading", "extracting", "chunking", "indexing", "indexed", NULL
  };
  g_auto (ImportRun) run = { 0 };

  document = run_import (&run, ws->db, id_of (kb), path, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (document);

  assert_strv (run.statuses, statuses);
  assert_strv (run.stages, stages);
  g_assert_false (run.off_main_thread);
  for (guint i = 1; i < run.fractions->len; i++)
    g_assert_cmpfloat (g_array_index (run.fractions, double, i - 1), <,
                       g_array_index (run.fractions, double, i));
  g_assert_cmpfloat (g_array_index (run.fractions, double, run.fractions->len - 1), ==, 1.0);

  g_assert_cmpstr (confab_document_get_filename (document), ==, "guide.md");
  g_assert_cmpstr (confab_document_get_content_type (document), ==, "text/markdown");
  g_assert_cmpstr (confab_document_get_status (document), ==, "indexed");
  g_assert_null (confab_document_get_error (document));
  g_assert_cmpint (confab_document_get_size_bytes (document), ==, strlen (md));
  g_assert_cmpstr (confab_document_get_knowledge_base_id (document), ==, id_of (kb));

  /* The chunks are the chunker's, in order, and in the search index. */
  expected = confab_chunk_text (md, CONFAB_CHUNK_TARGET_CHARS, CONFAB_CHUNK_OVERLAP_CHARS);
  g_assert_cmpuint (expected->len, ==, 4);
  sql = g_strdup_printf ("SELECT count(*) FROM chunks WHERE document_id = '%s'", id_of (document));
  g_assert_cmpint (confab_test_count_rows (ws->db, sql), ==, expected->len);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM chunks_fts "
                                                   "WHERE chunks_fts MATCH 'sourdough'"), ==, 1);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM chunks_fts "
                                                   "WHERE chunks_fts MATCH 'sentence'"), ==, 3);
  {
    g_autoptr (GPtrArray) chunks = confab_repository_list (ws->db, CONFAB_TYPE_CHUNK,
                                                           "document_id", id_of (document),
                                                           &error);

    g_assert_no_error (error);
    for (guint i = 0; i < chunks->len; i++)
      {
        ConfabChunk *chunk = g_ptr_array_index (chunks, i);

        g_assert_cmpint (confab_chunk_get_ordinal (chunk), ==, i);
        g_assert_cmpstr (confab_chunk_get_text (chunk), ==, g_ptr_array_index (expected, i));
      }
  }
}

static void
test_import_failed (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, "Manuals");
  g_autoptr (ConfabKnowledgeBase) empty_kb = add_kb (ws->db, "Empty");
  g_autoptr (ConfabDocument) document = NULL;
  g_autoptr (ConfabDocument) stored = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *broken = write_file (ws->dir, "broken.pdf", "%PDF-1.4\n1 0 obj\n<<", -1);
  g_autofree char *blank = write_file (ws->dir, "blank.txt", " \n\n \n", -1);
  g_autofree char *missing = g_build_filename (ws->dir, "missing.txt", NULL);
  const char * const statuses[] = { "uploaded", "processing", "failed", NULL };

  {
    g_auto (ImportRun) run = { 0 };

    document = run_import (&run, ws->db, id_of (kb), broken, NULL, &error);
    g_assert_null (document);
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
    assert_contains (error->message, "“broken.pdf” is not a readable PDF");
    assert_strv (run.statuses, statuses);
  }

  stored = only_document (ws->db, id_of (kb));
  g_assert_cmpstr (confab_document_get_status (stored), ==, "failed");
  g_assert_cmpstr (confab_document_get_error (stored), ==, error->message);
  g_assert_cmpstr (confab_document_get_content_type (stored), ==, "application/pdf");
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM chunks"), ==, 0);
  g_clear_error (&error);
  g_clear_object (&stored);

  /* A file without text fails too. */
  {
    g_auto (ImportRun) run = { 0 };

    document = run_import (&run, ws->db, id_of (empty_kb), blank, NULL, &error);
    g_assert_null (document);
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
    assert_contains (error->message, "“blank.txt” has no text to index");
    stored = only_document (ws->db, id_of (empty_kb));
    g_assert_cmpstr (confab_document_get_status (stored), ==, "failed");
    g_clear_error (&error);
    g_clear_object (&stored);
  }

  /* A file that is not there, or a knowledge base that is not: no document. */
  {
    g_auto (ImportRun) run = { 0 };

    document = run_import (&run, ws->db, id_of (kb), missing, NULL, &error);
    g_assert_null (document);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
    g_assert_cmpuint (run.statuses->len, ==, 0);
    g_clear_error (&error);
  }
  {
    g_auto (ImportRun) run = { 0 };

    document = run_import (&run, ws->db, "no-such-kb", blank, NULL, &error);
    g_assert_null (document);
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
    assert_contains (error->message, "no-such-kb");
    g_clear_error (&error);
  }
  {
    g_auto (ImportRun) run = { 0 };

    document = run_import (&run, ws->db, id_of (kb), ws->dir, NULL, &error);
    g_assert_null (document);
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
    assert_contains (error->message, "folder");
    g_clear_error (&error);
  }
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM documents"), ==, 2);
}

static void
test_import_limit (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, "Big");
  g_autoptr (ConfabDocument) stored = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (ws->dir, "huge.txt", NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileOutputStream) out = NULL;
  ConfabDocument *document;

  /* A sparse file: 50 MB + 1 byte on paper, nothing on disk. */
  out = g_file_create (file, G_FILE_CREATE_NONE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_seekable_truncate (G_SEEKABLE (out), CONFAB_TEXT_EXTRACT_MAX_BYTES + 1, NULL,
                                      &error));
  g_assert_true (g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &error));

  document = confab_knowledge_import_file_sync (ws->db, id_of (kb), file, NULL, &error);
  g_assert_null (document);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_LIMIT);
  assert_contains (error->message, "50 MB");
  stored = only_document (ws->db, id_of (kb));
  g_assert_cmpstr (confab_document_get_status (stored), ==, "failed");
  g_assert_cmpint (confab_document_get_size_bytes (stored), ==, CONFAB_TEXT_EXTRACT_MAX_BYTES + 1);
  assert_contains (confab_document_get_error (stored), "50 MB");
}

static void
test_import_cancel (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, "Cancelled");
  g_autoptr (ConfabDocument) stored = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = write_file (ws->dir, "notes.txt", "Some notes to index.", -1);
  const char * const statuses[] = { "uploaded", "processing", "failed", NULL };
  ConfabDocument *document;

  /* Cancelled while processing: the document stays, failed, and says so. */
  {
    g_autoptr (GCancellable) cancellable = g_cancellable_new ();
    g_auto (ImportRun) run = { 0 };

    run.cancel_on_processing = cancellable;
    document = run_import (&run, ws->db, id_of (kb), path, cancellable, &error);
    g_assert_null (document);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    assert_strv (run.statuses, statuses);
    for (guint i = 0; i < run.stages->len; i++)
      g_assert_cmpstr (g_ptr_array_index (run.stages, i), !=, "indexed");
  }
  stored = only_document (ws->db, id_of (kb));
  g_assert_cmpstr (confab_document_get_status (stored), ==, "failed");
  g_assert_cmpstr (confab_document_get_error (stored), ==, error->message);
  assert_contains (confab_document_get_error (stored), "cancelled");
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM chunks"), ==, 0);
  g_clear_error (&error);

  /* Cancelled while the worker runs (or after it is done, but before the
   * chunks are written): the same. */
  {
    const char * const stages[] = { "reading", "extracting", "chunking" };

    for (guint i = 0; i < G_N_ELEMENTS (stages); i++)
      {
        g_autoptr (GCancellable) cancellable = g_cancellable_new ();
        g_autoptr (ConfabKnowledgeBase) other = add_kb (ws->db, stages[i]);
        g_autoptr (ConfabDocument) failed = NULL;
        g_auto (ImportRun) run = { 0 };

        run.cancel = cancellable;
        run.cancel_on_stage = stages[i];
        document = run_import (&run, ws->db, id_of (other), path, cancellable, &error);
        g_assert_null (document);
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
        assert_strv (run.statuses, statuses);
        g_clear_error (&error);
        failed = only_document (ws->db, id_of (other));
        g_assert_cmpstr (confab_document_get_status (failed), ==, "failed");
        assert_contains (confab_document_get_error (failed), "cancelled");
      }
    g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM chunks"), ==, 0);
  }

  /* Cancelled before it started: no document at all. */
  {
    g_autoptr (GCancellable) cancellable = g_cancellable_new ();
    g_auto (ImportRun) run = { 0 };

    g_cancellable_cancel (cancellable);
    document = run_import (&run, ws->db, id_of (kb), path, cancellable, &error);
    g_assert_null (document);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_assert_cmpuint (run.statuses->len, ==, 0);
    g_clear_error (&error);
  }
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM documents"), ==, 4);
}

static void
test_import_sync (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabKnowledgeBase) kb = add_kb (ws->db, "Sync");
  g_autoptr (GError) error = NULL;
  const char * const pages[] = { "Hello PDF", NULL };
  g_autoptr (GBytes) pdf = make_pdf (pages, FALSE);
  g_autofree char *path = write_file (ws->dir, "hello.pdf", g_bytes_get_data (pdf, NULL),
                                      g_bytes_get_size (pdf));
  g_autofree char *html_path = write_file (ws->dir, "page.html",
                                           "<html><script>x()</script><p>Web &amp; page</p>", -1);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFile) html_file = g_file_new_for_path (html_path);
  g_autoptr (ConfabDocument) document = NULL;
  g_autoptr (ConfabDocument) html_document = NULL;
  g_autoptr (GPtrArray) chunks = NULL;

  document = confab_knowledge_import_file_sync (ws->db, id_of (kb), file, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_document_get_status (document), ==, "indexed");
  g_assert_cmpstr (confab_document_get_content_type (document), ==, "application/pdf");
  g_assert_cmpint (confab_document_get_size_bytes (document), ==, g_bytes_get_size (pdf));
  chunks = confab_repository_list (ws->db, CONFAB_TYPE_CHUNK, "document_id", id_of (document),
                                   &error);
  g_assert_cmpuint (chunks->len, ==, 1);
  g_assert_cmpstr (confab_chunk_get_text (g_ptr_array_index (chunks, 0)), ==, "Hello PDF");
  g_clear_pointer (&chunks, g_ptr_array_unref);

  html_document = confab_knowledge_import_file_sync (ws->db, id_of (kb), html_file, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_document_get_content_type (html_document), ==, "text/html");
  chunks = confab_repository_list (ws->db, CONFAB_TYPE_CHUNK, "document_id",
                                   id_of (html_document), &error);
  g_assert_cmpuint (chunks->len, ==, 1);
  g_assert_cmpstr (confab_chunk_get_text (g_ptr_array_index (chunks, 0)), ==, "Web & page");
}

/* Retrieval */

typedef struct
{
  ConfabTestWorkspace *ws;
  ConfabKnowledgeBase *shop;
  ConfabKnowledgeBase *clinic;
} Corpus;

static void
corpus_clear (Corpus *corpus)
{
  g_clear_object (&corpus->shop);
  g_clear_object (&corpus->clinic);
  g_clear_pointer (&corpus->ws, confab_test_workspace_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Corpus, corpus_clear)

static void
import_into (Corpus              *corpus,
             ConfabKnowledgeBase *kb,
             const char          *name,
             const char          *data,
             gssize               len)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = write_file (corpus->ws->dir, name, data, len);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (ConfabDocument) document = NULL;

  document = confab_knowledge_import_file_sync (corpus->ws->db, id_of (kb), file, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_document_get_status (document), ==, "indexed");
}

/* Six documents of every type in two knowledge bases. */
static void
corpus_init (Corpus *corpus)
{
  const char * const pages[] = { "Reset your account password from the login page.", NULL };
  g_autoptr (GBytes) pdf = make_pdf (pages, FALSE);
  g_autofree char *filler = numbered_sentences (0, 30);
  g_autofree char *shipping = NULL;

  corpus->ws = confab_test_workspace_new ();
  corpus->shop = add_kb (corpus->ws->db, "Shop");
  corpus->clinic = add_kb (corpus->ws->db, "Clinic");

  import_into (corpus, corpus->shop, "bakery-hours.md",
               "# Opening hours\n\nThe bakery opens at seven on weekdays. On Sunday we open "
               "at nine and close at noon.\n\n# Bread\n\nSourdough is baked every morning.\n",
               -1);
  import_into (corpus, corpus->shop, "returns-policy.txt",
               "Returns are accepted within thirty days. Bring the receipt and we refund the "
               "full price to your card.\n",
               -1);
  shipping = g_strdup_printf ("Shipping and delivery.\n\n%s Every parcel gets a tracking "
                              "number by email once it leaves the warehouse. %s\n",
                              filler, filler);
  import_into (corpus, corpus->shop, "shipping.txt", shipping, -1);
  import_into (corpus, corpus->shop, "wifi-setup.html",
               "<html><head><title>Wi-Fi</title><script>var router = 1;</script></head>"
               "<body><h1>Guest Wi-Fi</h1><p>The network name is Bakery-Guest. Ask the "
               "cashier for the code printed on the router.</p></body></html>",
               -1);
  import_into (corpus, corpus->clinic, "dental-care.md",
               "# Daily care\n\nBrush twice a day and floss once to keep your gums healthy.\n",
               -1);
  import_into (corpus, corpus->clinic, "account-help.pdf", g_bytes_get_data (pdf, NULL),
               g_bytes_get_size (pdf));
}

static void
test_retrieve_top_hits (void)
{
  g_auto (Corpus) corpus = { 0 };
  const struct
  {
    const char *query;
    const char *top;
    const char *snippet_word;
  } cases[] = {
    { "When are you open on Sunday?", "bakery-hours.md", "Sunday" },
    { "refund without a receipt", "returns-policy.txt", "receipt" },
    { "parcel tracking", "shipping.txt", "parcel" },
    { "wifi code router", "wifi-setup.html", "code" },
    { "How often should I floss?", "dental-care.md", "floss" },
    { "reset account password", "account-help.pdf", "Reset" },
    { "SOURDOUGH", "bakery-hours.md", "Sourdough" },
  };

  corpus_init (&corpus);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) hits = confab_knowledge_retrieve (corpus.ws->db, NULL, cases[i].query,
                                                              3, &error);
      ConfabRetrievedChunk *top;

      g_assert_no_error (error);
      g_assert_cmpuint (hits->len, >=, 1);
      g_assert_cmpuint (hits->len, <=, 3);
      top = g_ptr_array_index (hits, 0);
      if (g_strcmp0 (top->filename, cases[i].top) != 0)
        g_error ("“%s”: top hit %s, expected %s", cases[i].query, top->filename, cases[i].top);
      assert_contains (top->snippet, cases[i].snippet_word);
      g_assert_nonnull (top->chunk_id);
      g_assert_nonnull (top->document_id);
      g_assert_nonnull (top->text);
      for (guint r = 0; r < hits->len; r++)
        g_assert_cmpuint (((ConfabRetrievedChunk *) g_ptr_array_index (hits, r))->rank, ==, r + 1);
    }

  /* No word of the query anywhere. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GPtrArray) hits = confab_knowledge_retrieve (corpus.ws->db, NULL, "zeppelin", 5,
                                                            &error);

    g_assert_no_error (error);
    g_assert_cmpuint (hits->len, ==, 0);
  }
}

static void
test_retrieve_knowledge_bases (void)
{
  g_auto (Corpus) corpus = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) hits = NULL;
  const char *shop_only[] = { NULL, NULL };
  const char *both[] = { NULL, NULL, NULL };
  const char *none[] = { NULL };

  corpus_init (&corpus);
  shop_only[0] = id_of (corpus.shop);
  both[0] = id_of (corpus.clinic);
  both[1] = id_of (corpus.shop);

  /* "the" is in nearly every chunk: the filter decides. */
  hits = confab_knowledge_retrieve (corpus.ws->db, shop_only, "the password", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, >=, 3);
  for (guint i = 0; i < hits->len; i++)
    g_assert_cmpstr (((ConfabRetrievedChunk *) g_ptr_array_index (hits, i))->knowledge_base_id, ==,
                     id_of (corpus.shop));
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Several knowledge bases: one ranking over all of them. */
  hits = confab_knowledge_retrieve (corpus.ws->db, both, "password floss", 2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 2);
  g_assert_cmpstr (((ConfabRetrievedChunk *) g_ptr_array_index (hits, 0))->knowledge_base_id, ==,
                   id_of (corpus.clinic));
  g_clear_pointer (&hits, g_ptr_array_unref);

  hits = confab_knowledge_retrieve (corpus.ws->db, both, "tracking", 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpstr (((ConfabRetrievedChunk *) g_ptr_array_index (hits, 0))->filename, ==,
                   "shipping.txt");
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* More chunks of other knowledge bases than the limit rank first. */
  {
    const char *clinic_only[] = { id_of (corpus.clinic), id_of (corpus.clinic), NULL };

    hits = confab_knowledge_retrieve (corpus.ws->db, clinic_only, "sentence little floss", 1,
                                      &error);
    g_assert_no_error (error);
    g_assert_cmpuint (hits->len, ==, 1);
    g_assert_cmpstr (((ConfabRetrievedChunk *) g_ptr_array_index (hits, 0))->filename, ==,
                     "dental-care.md");
    g_clear_pointer (&hits, g_ptr_array_unref);
  }

  hits = confab_knowledge_retrieve (corpus.ws->db, none, "password", 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* FTS5 syntax is plain text. */
  hits = confab_knowledge_retrieve (corpus.ws->db, NULL, "\"floss AND NEAR(", 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, >=, 1);
}

static void
test_snippets (void)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *snippet = NULL;
  const char *accented = "Le caf\xc3\xa9 est servi \xc3\xa0 la r\xc3\xa9" "ception.";

  for (guint i = 0; i < 100; i++)
    g_string_append (text, "\xc3\xa9t\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97\n");
  g_string_append (text, "The MATCHED word. ");
  for (guint i = 0; i < 100; i++)
    g_string_append (text, "\xf0\x9f\x99\x82 filler ");

  /* A window around the first word of the query, cut at words, "…" at
   * both cut ends, on one line. */
  snippet = confab_text_snippet (text->str, "nothing matched here", 200);
  g_assert_true (g_utf8_validate (snippet, -1, NULL));
  g_assert_true (g_str_has_prefix (snippet, "…"));
  g_assert_true (g_str_has_suffix (snippet, "…"));
  assert_contains (snippet, "The MATCHED word.");
  g_assert_null (strchr (snippet, '\n'));
  g_assert_cmpuint (g_utf8_strlen (snippet, -1), <=, 202);
  g_assert_cmpuint (g_utf8_strlen (snippet, -1), >=, 150);
  g_clear_pointer (&snippet, g_free);

  /* No word found: the start of the text. */
  snippet = confab_text_snippet (text->str, "zeppelin", 20);
  g_assert_cmpstr (snippet, ==, "\xc3\xa9t\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97 \xc3\xa9t\xc3\xa9 "
                                "\xe6\xbc\xa2\xe5\xad\x97 \xc3\xa9t\xc3\xa9 "
                                "\xe6\xbc\xa2\xe5\xad\x97…");
  g_clear_pointer (&snippet, g_free);
  /* One character less cuts a word: it is left out. */
  snippet = confab_text_snippet (text->str, "zeppelin", 19);
  g_assert_cmpstr (snippet, ==, "\xc3\xa9t\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97 \xc3\xa9t\xc3\xa9 "
                                "\xe6\xbc\xa2\xe5\xad\x97 \xc3\xa9t\xc3\xa9…");
  g_clear_pointer (&snippet, g_free);

  /* Short text: all of it; accents and case folded as FTS5 does. */
  snippet = confab_text_snippet (accented, "RECEPTION", 200);
  g_assert_cmpstr (snippet, ==, accented);
  g_clear_pointer (&snippet, g_free);
  snippet = confab_text_snippet (accented, "reception", 12);
  g_assert_cmpstr (snippet, ==, "…la r\xc3\xa9" "ception…");
  g_clear_pointer (&snippet, g_free);
  /* A matched word longer than the window is cut, between characters. */
  snippet = confab_text_snippet (accented, "reception", 3);
  g_assert_cmpstr (snippet, ==, "…r\xc3\xa9" "c…");
}

static void
test_citations (void)
{
  g_auto (Corpus) corpus = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) hits = NULL;
  g_autoptr (GPtrArray) resolved = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *json = NULL;
  JsonArray *array;

  corpus_init (&corpus);
  hits = confab_knowledge_retrieve (corpus.ws->db, NULL, "open floss password", 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 3);

  json = confab_retrieved_chunks_to_json (hits);
  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      ConfabRetrievedChunk *hit = g_ptr_array_index (hits, i);
      JsonObject *object = json_array_get_object_element (array, i);
      g_autoptr (GList) members = json_object_get_members (object);

      g_assert_cmpuint (g_list_length (members), ==, 6);
      g_assert_cmpstr (json_object_get_string_member (object, "chunk_id"), ==, hit->chunk_id);
      g_assert_cmpstr (json_object_get_string_member (object, "document_id"), ==,
                       hit->document_id);
      g_assert_cmpstr (json_object_get_string_member (object, "knowledge_base_id"), ==,
                       hit->knowledge_base_id);
      g_assert_cmpstr (json_object_get_string_member (object, "filename"), ==, hit->filename);
      g_assert_cmpint (json_object_get_int_member (object, "ordinal"), ==, hit->ordinal);
      g_assert_cmpint (json_object_get_int_member (object, "rank"), ==, i + 1);
    }

  /* Stored on a message: the column accepts it. */
  g_assert_cmpint (confab_database_query_int (corpus.ws->db, "SELECT json_valid (?)", json,
                                              &error), ==, 1);

  resolved = confab_citations_resolve (corpus.ws->db, json, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (resolved->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      ConfabRetrievedChunk *hit = g_ptr_array_index (hits, i);
      ConfabRetrievedChunk *cited = g_ptr_array_index (resolved, i);
      g_autoptr (ConfabRetrievedChunk) copy = confab_retrieved_chunk_copy (cited);

      g_assert_cmpstr (cited->chunk_id, ==, hit->chunk_id);
      g_assert_cmpstr (cited->document_id, ==, hit->document_id);
      g_assert_cmpstr (cited->knowledge_base_id, ==, hit->knowledge_base_id);
      g_assert_cmpstr (cited->filename, ==, hit->filename);
      g_assert_cmpstr (cited->text, ==, hit->text);
      g_assert_cmpint (cited->ordinal, ==, hit->ordinal);
      g_assert_cmpuint (cited->rank, ==, i + 1);
      g_assert_nonnull (cited->snippet);
      g_assert_cmpstr (copy->text, ==, cited->text);
    }
  g_clear_pointer (&resolved, g_ptr_array_unref);

  /* A document deleted since: its citation is left out, the others stay. */
  {
    ConfabRetrievedChunk *second = g_ptr_array_index (hits, 1);

    g_assert_true (confab_repository_delete (corpus.ws->db, CONFAB_TYPE_DOCUMENT,
                                             second->document_id, NULL, &error));
    g_assert_no_error (error);
    resolved = confab_citations_resolve (corpus.ws->db, json, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (resolved->len, ==, 2);
    g_assert_cmpuint (((ConfabRetrievedChunk *) g_ptr_array_index (resolved, 0))->rank, ==, 1);
    g_assert_cmpuint (((ConfabRetrievedChunk *) g_ptr_array_index (resolved, 1))->rank, ==, 3);
    g_clear_pointer (&resolved, g_ptr_array_unref);
  }

  /* The prompt builder's numbering ("n") is a rank too. */
  {
    ConfabRetrievedChunk *first = g_ptr_array_index (hits, 0);
    g_autofree char *numbered = g_strdup_printf ("[{\"n\": 7, \"chunk_id\": \"%s\"}]",
                                                 first->chunk_id);

    resolved = confab_citations_resolve (corpus.ws->db, numbered, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (resolved->len, ==, 1);
    g_assert_cmpuint (((ConfabRetrievedChunk *) g_ptr_array_index (resolved, 0))->rank, ==, 7);
    g_assert_cmpstr (((ConfabRetrievedChunk *) g_ptr_array_index (resolved, 0))->filename, ==,
                     first->filename);
    g_clear_pointer (&resolved, g_ptr_array_unref);
  }

  /* Empty and malformed references. */
  {
    g_autofree char *empty = confab_retrieved_chunks_to_json (NULL);

    g_assert_cmpstr (empty, ==, "[]");
  }
  resolved = confab_citations_resolve (corpus.ws->db, "[]", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (resolved->len, ==, 0);
  g_clear_pointer (&resolved, g_ptr_array_unref);
  resolved = confab_citations_resolve (corpus.ws->db, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (resolved->len, ==, 0);
  g_clear_pointer (&resolved, g_ptr_array_unref);
  resolved = confab_citations_resolve (corpus.ws->db,
                                       "[1, {\"rank\": 1}, {\"chunk_id\": 5}, "
                                       "{\"chunk_id\": \"gone\"}]",
                                       &error);
  g_assert_no_error (error);
  g_assert_cmpuint (resolved->len, ==, 0);
  g_clear_pointer (&resolved, g_ptr_array_unref);
  resolved = confab_citations_resolve (corpus.ws->db, "{\"chunk_id\": \"x\"}", &error);
  g_assert_null (resolved);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);
  resolved = confab_citations_resolve (corpus.ws->db, "[{", &error);
  g_assert_null (resolved);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
}

/* The kb command */

typedef struct
{
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_clear_pointer (&r->out, g_free);
  g_clear_pointer (&r->err, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

/* Runs confab-cli with the arguments (NULL-terminated); --workspace first when set. */
static void
cli (Run        *r,
     const char *workspace,
     ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  const char *exe = g_getenv ("CONFAB_CLI");
  int wait_status = 0;
  const char *arg;
  va_list args;

  g_assert_nonnull (exe);
  g_ptr_array_add (argv, (char *) exe);
  if (workspace != NULL)
    {
      g_ptr_array_add (argv, (char *) "--workspace");
      g_ptr_array_add (argv, (char *) workspace);
    }
  va_start (args, workspace);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  run_clear (r);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                &r->out, &r->err, &wait_status, &error);
  g_assert_no_error (error);
  g_assert_true (WIFEXITED (wait_status));
  r->status = WEXITSTATUS (wait_status);
}

static void
expect_status (Run *r,
               int  status)
{
  if (r->status != status)
    g_error ("exit status %d, expected %d\nstdout: %s\nstderr: %s", r->status, status, r->out,
             r->err);
}

static void
test_cli_help_and_usage (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_auto (Run) r = { 0 };
  const char * const commands[] = { "create", "list", "import", "search" };

  cli (&r, NULL, "kb", "--help", NULL);
  expect_status (&r, 0);
  assert_contains (r.out, "Usage");
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    assert_contains (r.out, commands[i]);
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      cli (&r, NULL, "kb", commands[i], "--help", NULL);
      expect_status (&r, 0);
      assert_contains (r.out, "Usage");
    }

  cli (&r, ws->path, "kb", NULL);
  expect_status (&r, 2);
  cli (&r, ws->path, "kb", "frobnicate", NULL);
  expect_status (&r, 2);
  cli (&r, ws->path, "kb", "create", NULL);
  expect_status (&r, 2);
  assert_contains (r.err, "--title");
  cli (&r, ws->path, "kb", "create", "--title", "X", "extra", NULL);
  expect_status (&r, 2);
  cli (&r, ws->path, "kb", "create", "--bogus", NULL);
  expect_status (&r, 2);
  cli (&r, ws->path, "kb", "list", "extra", NULL);
  expect_status (&r, 2);
  cli (&r, ws->path, "kb", "import", "only-kb", NULL);
  expect_status (&r, 2);
  cli (&r, ws->path, "kb", "search", "only-kb", NULL);
  expect_status (&r, 2);
  cli (&r, ws->path, "kb", "search", "--all", NULL);
  expect_status (&r, 2);
  cli (&r, ws->path, "kb", "search", "kb", "query", "--limit", "0", NULL);
  expect_status (&r, 2);
  assert_contains (r.err, "--limit");
  cli (&r, ws->path, "kb", "search", "kb", "query", "--limit", "ten", NULL);
  expect_status (&r, 2);
  g_assert_cmpstr (r.out, ==, "");
}

static void
test_cli_commands (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_auto (Run) r = { 0 };
  g_autofree char *kb_id = NULL;
  g_autofree char *other_id = NULL;
  g_autofree char *user_id = NULL;
  g_autofree char *line = NULL;
  g_autofree char *hours = write_file (ws->dir, "hours.md",
                                       "# Hours\n\nWe open on Sunday at nine.\n", -1);
  g_autofree char *faq = write_file (ws->dir, "faq.txt",
                                     "Gift cards are sold at the counter.\n", -1);
  g_autofree char *broken = write_file (ws->dir, "broken.pdf", "not a pdf", -1);
  g_autofree char *missing = g_build_filename (ws->dir, "missing.txt", NULL);
  JsonArray *array;
  JsonObject *object;

  g_clear_object (&ws->db); /* the CLI has the workspace to itself */

  cli (&r, ws->path, "users", "add", "--username", "olga", "--email", "olga@example.com", NULL);
  expect_status (&r, 0);
  user_id = g_strstrip (g_strdup (r.out));

  cli (&r, ws->path, "kb", "create", "--title", "Bakery", "--description", "Shop facts",
       "--owner", "olga", NULL);
  expect_status (&r, 0);
  kb_id = g_strstrip (g_strdup (r.out));
  g_assert_true (g_uuid_string_is_valid (kb_id));
  cli (&r, ws->path, "kb", "create", "--title", "Other", "--owner", user_id, NULL);
  expect_status (&r, 0);
  other_id = g_strstrip (g_strdup (r.out));

  cli (&r, ws->path, "kb", "create", "--title", "Nobody's", "--owner", "ghost", NULL);
  expect_status (&r, 1);
  assert_contains (r.err, "ghost");
  g_assert_cmpstr (r.out, ==, "");
  cli (&r, ws->path, "kb", "create", "--title", "", NULL);
  expect_status (&r, 1);

  /* Import by title: one line per file; a failed file fails the command,
   * the others are still indexed. */
  cli (&r, ws->path, "kb", "import", "Bakery", hours, faq, NULL);
  expect_status (&r, 0);
  line = g_strdup_printf ("%s: indexed 1 chunk\n%s: indexed 1 chunk\n", hours, faq);
  g_assert_cmpstr (r.out, ==, line);
  g_assert_cmpstr (r.err, ==, "");

  cli (&r, ws->path, "kb", "import", other_id, broken, missing, hours, NULL);
  expect_status (&r, 1);
  assert_contains (r.err, "broken.pdf: “broken.pdf” is not a readable PDF");
  assert_contains (r.err, "missing.txt: ");
  g_clear_pointer (&line, g_free);
  line = g_strdup_printf ("%s: indexed 1 chunk\n", hours);
  g_assert_cmpstr (r.out, ==, line);

  cli (&r, ws->path, "kb", "import", "No such kb", hours, NULL);
  expect_status (&r, 1);
  assert_contains (r.err, "No such kb");

  /* list: id, title, documents, chunks (failed documents count, they hold no chunk). */
  cli (&r, ws->path, "kb", "list", NULL);
  expect_status (&r, 0);
  g_clear_pointer (&line, g_free);
  line = g_strdup_printf ("%s\tBakery\t2\t2\n", kb_id);
  assert_contains (r.out, line);
  g_clear_pointer (&line, g_free);
  line = g_strdup_printf ("%s\tOther\t2\t1\n", other_id);
  assert_contains (r.out, line);

  cli (&r, ws->path, "kb", "list", "--json", NULL);
  expect_status (&r, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  object = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (object, "id"), ==, kb_id);
  g_assert_cmpstr (json_object_get_string_member (object, "title"), ==, "Bakery");
  g_assert_cmpstr (json_object_get_string_member (object, "description"), ==, "Shop facts");
  g_assert_cmpstr (json_object_get_string_member (object, "owner_id"), ==, user_id);
  g_assert_cmpint (json_object_get_int_member (object, "documents"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (object, "chunks"), ==, 2);

  /* search: rank, file name, snippet. */
  cli (&r, ws->path, "kb", "search", "Bakery", "open sunday", NULL);
  expect_status (&r, 0);
  g_assert_cmpstr (r.out, ==, "1\thours.md\t# Hours We open on Sunday at nine.\n");
  cli (&r, ws->path, "kb", "search", "Bakery", "--", "open", "-sunday", NULL);
  expect_status (&r, 0);
  g_assert_cmpstr (r.out, ==, "1\thours.md\t# Hours We open on Sunday at nine.\n");

  cli (&r, ws->path, "kb", "search", kb_id, "zeppelin", NULL);
  expect_status (&r, 0);
  g_assert_cmpstr (r.out, ==, "");

  cli (&r, ws->path, "kb", "search", "--all", "sunday", NULL);
  expect_status (&r, 0);
  {
    g_auto (GStrv) lines = g_strsplit (r.out, "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 3); /* two hits and "" */
    g_assert_true (g_str_has_prefix (lines[0], "1\thours.md\t"));
    g_assert_true (g_str_has_prefix (lines[1], "2\thours.md\t"));
  }
  cli (&r, ws->path, "kb", "search", "--all", "--limit", "1", "sunday", NULL);
  expect_status (&r, 0);
  g_assert_cmpstr (r.out, ==, "1\thours.md\t# Hours We open on Sunday at nine.\n");

  cli (&r, ws->path, "kb", "search", "Bakery", "gift cards", "--json", NULL);
  expect_status (&r, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  object = json_array_get_object_element (array, 0);
  g_assert_cmpint (json_object_get_int_member (object, "rank"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (object, "filename"), ==, "faq.txt");
  g_assert_cmpstr (json_object_get_string_member (object, "knowledge_base_id"), ==, kb_id);
  g_assert_cmpstr (json_object_get_string_member (object, "text"), ==,
                   "Gift cards are sold at the counter.");
  g_assert_cmpint (json_object_get_int_member (object, "ordinal"), ==, 0);

  cli (&r, ws->path, "kb", "search", "Nowhere", "sunday", NULL);
  expect_status (&r, 1);
  assert_contains (r.err, "Nowhere");

  /* Two knowledge bases with one title: the id is needed. */
  cli (&r, ws->path, "kb", "create", "--title", "Bakery", NULL);
  expect_status (&r, 0);
  cli (&r, ws->path, "kb", "search", "Bakery", "sunday", NULL);
  expect_status (&r, 1);
  assert_contains (r.err, "give an id");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/knowledge-import/extract/plain", test_extract_plain);
  g_test_add_func ("/confab/knowledge-import/extract/markdown", test_extract_markdown);
  g_test_add_func ("/confab/knowledge-import/extract/html", test_extract_html);
  g_test_add_func ("/confab/knowledge-import/extract/html-tolerant", test_extract_html_tolerant);
  g_test_add_func ("/confab/knowledge-import/extract/html-bombs", test_extract_html_bombs);
  g_test_add_func ("/confab/knowledge-import/extract/repair", test_extract_repair);
  g_test_add_func ("/confab/knowledge-import/extract/pdf", test_extract_pdf);
  g_test_add_func ("/confab/knowledge-import/extract/pdf-broken", test_extract_pdf_broken);
  g_test_add_func ("/confab/knowledge-import/extract/unsupported", test_extract_unsupported);
  g_test_add_func ("/confab/knowledge-import/extract/limit", test_extract_limit);
  g_test_add_func ("/confab/knowledge-import/chunk/paragraphs", test_chunk_paragraphs);
  g_test_add_func ("/confab/knowledge-import/chunk/headings", test_chunk_headings);
  g_test_add_func ("/confab/knowledge-import/chunk/long-paragraph", test_chunk_long_paragraph);
  g_test_add_func ("/confab/knowledge-import/chunk/utf8", test_chunk_utf8);
  g_test_add_func ("/confab/knowledge-import/chunk/deterministic", test_chunk_deterministic);
  g_test_add_func ("/confab/knowledge-import/import/async", test_import_async);
  g_test_add_func ("/confab/knowledge-import/import/failed", test_import_failed);
  g_test_add_func ("/confab/knowledge-import/import/limit", test_import_limit);
  g_test_add_func ("/confab/knowledge-import/import/cancel", test_import_cancel);
  g_test_add_func ("/confab/knowledge-import/import/sync", test_import_sync);
  g_test_add_func ("/confab/knowledge-import/retrieve/top-hits", test_retrieve_top_hits);
  g_test_add_func ("/confab/knowledge-import/retrieve/knowledge-bases",
                   test_retrieve_knowledge_bases);
  g_test_add_func ("/confab/knowledge-import/retrieve/snippets", test_snippets);
  g_test_add_func ("/confab/knowledge-import/retrieve/citations", test_citations);
  g_test_add_func ("/confab/knowledge-import/cli/help-and-usage", test_cli_help_and_usage);
  g_test_add_func ("/confab/knowledge-import/cli/commands", test_cli_commands);
  return g_test_run ();
}
