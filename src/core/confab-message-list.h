#pragma once

#include <gio/gio.h>

#include "confab-database.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_MESSAGE_LIST (confab_message_list_get_type ())

G_DECLARE_FINAL_TYPE (ConfabMessageList, confab_message_list, CONFAB, MESSAGE_LIST, GObject)

/* Rows read by one query, and pages kept in memory. */
#define CONFAB_MESSAGE_LIST_PAGE_SIZE 64
#define CONFAB_MESSAGE_LIST_MAX_PAGES 8

ConfabMessageList *confab_message_list_new                 (ConfabDatabase    *db,
                                                            const char        *conversation_id);
const char        *confab_message_list_get_conversation_id (ConfabMessageList *self);
gboolean           confab_message_list_refresh             (ConfabMessageList *self);

G_END_DECLS
