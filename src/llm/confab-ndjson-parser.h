#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Splits a newline-delimited JSON stream (Ollama's /api/chat) into lines,
 * whatever the chunking. Each non-blank line is handed on once; parsing the
 * JSON is the caller's. Pure C, no I/O. */

typedef struct _ConfabNdjsonParser ConfabNdjsonParser;

/* Return FALSE to stop: confab_ndjson_parser_feed() then returns FALSE. */
typedef gboolean (*ConfabNdjsonLineFunc) (const char *line,
                                          gsize       len,
                                          gpointer    user_data);

ConfabNdjsonParser *confab_ndjson_parser_new    (ConfabNdjsonLineFunc  func,
                                                 gpointer              user_data);
void                confab_ndjson_parser_free   (ConfabNdjsonParser   *self);
void                confab_ndjson_parser_set_max_line (ConfabNdjsonParser *self,
                                                       gsize               max_line);
gboolean            confab_ndjson_parser_feed   (ConfabNdjsonParser   *self,
                                                 const char           *bytes,
                                                 gsize                 len,
                                                 GError              **error);
gboolean            confab_ndjson_parser_finish (ConfabNdjsonParser   *self,
                                                 GError              **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabNdjsonParser, confab_ndjson_parser_free)

G_END_DECLS
