#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_MESSAGE_HIT (confab_message_hit_get_type ())

/* One message found by a full-text search across conversations
 * (confab_message_search_hits()): what a result row shows, read in the same
 * query, so a list of hits needs no further lookups. */
G_DECLARE_FINAL_TYPE (ConfabMessageHit, confab_message_hit, CONFAB, MESSAGE_HIT, GObject)

/* Around each matched word in a hit's snippet. Control characters, so a
 * snippet stays plain text: escape it, then turn these into highlighting. */
#define CONFAB_MESSAGE_HIT_MATCH_START "\x02"
#define CONFAB_MESSAGE_HIT_MATCH_END   "\x03"

const char *confab_message_hit_get_message_id         (ConfabMessageHit *self);
const char *confab_message_hit_get_conversation_id    (ConfabMessageHit *self);
const char *confab_message_hit_get_conversation_title (ConfabMessageHit *self);
const char *confab_message_hit_get_role               (ConfabMessageHit *self);
const char *confab_message_hit_get_author             (ConfabMessageHit *self);
const char *confab_message_hit_get_created_at         (ConfabMessageHit *self);
const char *confab_message_hit_get_snippet            (ConfabMessageHit *self);

G_END_DECLS
