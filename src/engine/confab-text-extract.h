#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The largest file confab_text_extract() reads: 50 MB (MiB). */
#define CONFAB_TEXT_EXTRACT_MAX_BYTES (50 * 1024 * 1024)

const char *confab_text_extract_content_type (const char    *filename_or_content_type,
                                              const guchar  *data,
                                              gsize          data_size);
char       *confab_text_extract              (GBytes        *bytes,
                                              const char    *filename_or_content_type,
                                              GError       **error);

G_END_DECLS
