#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Tolerant readers for provider replies: a missing member, or one of the
 * wrong type, reads as "not there" instead of a json-glib critical. object
 * may be NULL, so lookups chain. */

const char *confab_json_get_string  (JsonObject *object,
                                     const char *member);
JsonObject *confab_json_get_object  (JsonObject *object,
                                     const char *member);
JsonArray  *confab_json_get_array   (JsonObject *object,
                                     const char *member);
/* -1 when the member is missing or not a number (usage counts use -1 for
 * "not reported"). */
gint64      confab_json_get_int     (JsonObject *object,
                                     const char *member);
gboolean    confab_json_get_boolean (JsonObject *object,
                                     const char *member);

G_END_DECLS
