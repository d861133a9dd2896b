#include "config.h"

#include <string.h>

#include "confab-ndjson-parser.h"
#include "confab-sse-parser.h"
#include "confab-test-util.h"

typedef struct
{
  GPtrArray *events; /* "event|data|id" */
  guint      stop_after;
} Collected;

static gboolean
collect_event (const char *event,
               const char *data,
               const char *id,
               gpointer    user_data)
{
  Collected *c = user_data;

  g_ptr_array_add (c->events, g_strdup_printf ("%s|%s|%s", event, data, id));
  return c->stop_after == 0 || c->events->len < c->stop_after;
}

static GPtrArray *
parse_sse_chunked (const char *stream,
                   gsize       len,
                   gsize       chunk)
{
  Collected c = { g_ptr_array_new_with_free_func (g_free), 0 };
  g_autoptr (ConfabSseParser) parser = confab_sse_parser_new (collect_event, &c);
  g_autoptr (GError) error = NULL;

  for (gsize off = 0; off < len; off += chunk)
    g_assert_true (confab_sse_parser_feed (parser, stream + off, MIN (chunk, len - off), &error));
  g_assert_no_error (error);
  g_assert_true (confab_sse_parser_finish (parser, &error));
  return c.events;
}

static void
assert_events (GPtrArray          *events,
               const char * const *expected)
{
  g_assert_cmpuint (events->len, ==, g_strv_length ((char **) expected));
  for (guint i = 0; expected[i] != NULL; i++)
    g_assert_cmpstr (g_ptr_array_index (events, i), ==, expected[i]);
}

static void
test_sse_basic (void)
{
  const char stream[] =
    "\xEF\xBB\xBF: keep-alive comment\n"
    "data: {\"a\":1}\n\n"
    "event: message_start\r\n"
    "id: 7\r\n"
    "data: first line\r\n"
    "data:second line\r\n"
    "\r\n"
    "retry: 1500\r"
    "data: caf\xC3\xA9 \xF0\x9F\x8D\xB0\r\r"
    "unknown: ignored\n"
    "data\n\n"
    "event: empty-without-data\n\n"
    "data: [DONE]\n\n"
    "data: cut off without its blank line";
  const char * const expected[] = {
    "message|{\"a\":1}|",
    "message_start|first line\nsecond line|7",
    "message|caf\xC3\xA9 \xF0\x9F\x8D\xB0|7",
    "message||7",
    "message|[DONE]|7",
    NULL
  };

  /* The same events whatever the chunking: whole, every byte, and sizes that
   * cut \r\n pairs, the BOM and multi-byte characters. */
  for (gsize chunk = 1; chunk <= sizeof stream; chunk = chunk < 16 ? chunk + 1 : chunk * 2)
    {
      g_autoptr (GPtrArray) events = parse_sse_chunked (stream, sizeof stream - 1, chunk);
      assert_events (events, expected);
    }
  {
    Collected c = { g_ptr_array_new_with_free_func (g_free), 0 };
    g_autoptr (ConfabSseParser) parser = confab_sse_parser_new (collect_event, &c);

    g_assert_true (confab_sse_parser_feed (parser, stream, sizeof stream - 1, NULL));
    g_assert_cmpuint (confab_sse_parser_get_retry (parser), ==, 1500);
    g_ptr_array_unref (c.events);
  }
}

static void
test_sse_stop (void)
{
  Collected c = { g_ptr_array_new_with_free_func (g_free), 2 };
  g_autoptr (ConfabSseParser) parser = confab_sse_parser_new (collect_event, &c);
  const char stream[] = "data: 1\n\ndata: 2\n\ndata: 3\n\n";

  g_assert_false (confab_sse_parser_feed (parser, stream, sizeof stream - 1, NULL));
  g_assert_cmpuint (c.events->len, ==, 2);
  g_assert_false (confab_sse_parser_feed (parser, "data: 4\n\n", 9, NULL));
  g_assert_cmpuint (c.events->len, ==, 2);
  g_ptr_array_unref (c.events);
}

static void
test_sse_long_line (void)
{
  Collected c = { g_ptr_array_new_with_free_func (g_free), 0 };
  g_autoptr (ConfabSseParser) parser = confab_sse_parser_new (collect_event, &c);
  g_autoptr (GError) error = NULL;
  g_autofree char *big = g_strnfill (4096, 'x');

  confab_sse_parser_set_max_line (parser, 10000);
  g_assert_true (confab_sse_parser_feed (parser, "data: ", 6, &error));
  g_assert_true (confab_sse_parser_feed (parser, big, 4096, &error));
  g_assert_true (confab_sse_parser_feed (parser, big, 4096, &error));
  g_assert_false (confab_sse_parser_feed (parser, big, 4096, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  g_assert_nonnull (strstr (error->message, "10000"));
  g_assert_cmpuint (c.events->len, ==, 0);
  g_ptr_array_unref (c.events);
}

static gboolean
collect_line (const char *line,
              gsize       len,
              gpointer    user_data)
{
  g_ptr_array_add (user_data, g_strndup (line, len));
  return TRUE;
}

static void
test_ndjson (void)
{
  const char stream[] =
    "{\"message\":{\"content\":\"Hel\"}}\n"
    "\n"
    "   \n"
    "{\"message\":{\"content\":\"l\xC3\xB8\"}}\r\n"
    "{\"done\":true}";
  const char * const expected[] = {
    "{\"message\":{\"content\":\"Hel\"}}",
    "{\"message\":{\"content\":\"l\xC3\xB8\"}}",
    "{\"done\":true}",
    NULL
  };

  for (gsize chunk = 1; chunk <= sizeof stream; chunk++)
    {
      g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
      g_autoptr (ConfabNdjsonParser) parser = confab_ndjson_parser_new (collect_line, lines);
      g_autoptr (GError) error = NULL;

      for (gsize off = 0; off < sizeof stream - 1; off += chunk)
        g_assert_true (confab_ndjson_parser_feed (parser, stream + off,
                                                  MIN (chunk, sizeof stream - 1 - off), &error));
      g_assert_true (confab_ndjson_parser_finish (parser, &error));
      g_assert_no_error (error);
      assert_events (lines, expected);
    }
}

static void
test_ndjson_long_line (void)
{
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (ConfabNdjsonParser) parser = confab_ndjson_parser_new (collect_line, lines);
  g_autoptr (GError) error = NULL;
  g_autofree char *big = g_strnfill (600, 'y');

  confab_ndjson_parser_set_max_line (parser, 1000);
  g_assert_true (confab_ndjson_parser_feed (parser, big, 600, &error));
  g_assert_false (confab_ndjson_parser_feed (parser, big, 600, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  g_assert_cmpuint (lines->len, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/stream-parsers/sse", test_sse_basic);
  g_test_add_func ("/confab/stream-parsers/sse-stop", test_sse_stop);
  g_test_add_func ("/confab/stream-parsers/sse-long-line", test_sse_long_line);
  g_test_add_func ("/confab/stream-parsers/ndjson", test_ndjson);
  g_test_add_func ("/confab/stream-parsers/ndjson-long-line", test_ndjson_long_line);
  return g_test_run ();
}
