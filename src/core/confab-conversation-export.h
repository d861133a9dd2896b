#pragma once

#include <glib.h>

#include "confab-database.h"

G_BEGIN_DECLS

/* One conversation as a file: Markdown for people to read, JSON for
 * programs. Both hold the conversation, who took part, and the messages of
 * its active branch (the one the chat view shows), oldest first. The
 * workspace holds no secrets, so neither can an export. */

typedef enum
{
  CONFAB_CONVERSATION_EXPORT_MARKDOWN,
  CONFAB_CONVERSATION_EXPORT_JSON,
} ConfabConversationExportFormat;

#define CONFAB_CONVERSATION_EXPORT_JSON_FORMAT  "confab-conversation"
#define CONFAB_CONVERSATION_EXPORT_JSON_VERSION 1

/* The export as UTF-8 text. Times in the Markdown are written in tz (NULL:
 * local time); the JSON keeps the stored UTC times. Fails with
 * CONFAB_ERROR_NOT_FOUND when the conversation does not exist. */
char *confab_conversation_export_to_string (ConfabDatabase                *db,
                                            const char                    *conversation_id,
                                            ConfabConversationExportFormat format,
                                            GTimeZone                     *tz,
                                            GError                       **error);

/* "md" or "json", for a file name. */
const char *confab_conversation_export_extension (ConfabConversationExportFormat format);

/* A file name for the export of a conversation titled title (may be empty):
 * the title without characters file systems refuse, and the extension. */
char *confab_conversation_export_file_name (const char                    *title,
                                            ConfabConversationExportFormat format);

G_END_DECLS
