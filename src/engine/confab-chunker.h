#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The sizes the knowledge importer uses, in characters. */
#define CONFAB_CHUNK_TARGET_CHARS  800
#define CONFAB_CHUNK_OVERLAP_CHARS 100

GPtrArray *confab_chunk_text (const char *text,
                              gsize       target_chars,
                              gsize       overlap_chars);

G_END_DECLS
