#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Incremental parser for text/event-stream (the WHATWG EventSource format).
 * Bytes go in as they arrive, cut anywhere (mid-line, mid-character, between
 * \r and \n); each complete event comes out once, in order. Pure C, no I/O. */

typedef struct _ConfabSseParser ConfabSseParser;

/* event is "message" when the stream named none; data is the event's data
 * lines joined with '\n' (not NUL-safe: a NUL byte ends it). Return FALSE to
 * stop parsing: confab_sse_parser_feed() then returns FALSE too. */
typedef gboolean (*ConfabSseEventFunc) (const char *event,
                                        const char *data,
                                        const char *id,
                                        gpointer    user_data);

#define CONFAB_SSE_DEFAULT_MAX_LINE (16 * 1024 * 1024)

ConfabSseParser *confab_sse_parser_new       (ConfabSseEventFunc  func,
                                              gpointer            user_data);
void             confab_sse_parser_free      (ConfabSseParser    *self);
void             confab_sse_parser_set_max_line (ConfabSseParser *self,
                                                 gsize            max_line);
gboolean         confab_sse_parser_feed      (ConfabSseParser    *self,
                                              const char         *bytes,
                                              gsize               len,
                                              GError            **error);
gboolean         confab_sse_parser_finish    (ConfabSseParser    *self,
                                              GError            **error);
guint            confab_sse_parser_get_retry (ConfabSseParser    *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabSseParser, confab_sse_parser_free)

G_END_DECLS
