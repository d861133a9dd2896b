/* confab-document-row.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_DOCUMENT_ROW (confab_document_row_get_type ())

/* One document of a knowledge base: its file name, type, status tag
 * (uploaded, processing, indexed, failed) and number of passages, or for a
 * failed one the reason; a delete button emits ::delete-requested. It
 * follows the document's properties. */
G_DECLARE_FINAL_TYPE (ConfabDocumentRow, confab_document_row, CONFAB, DOCUMENT_ROW, AdwActionRow)

GtkWidget      *confab_document_row_new (ConfabDatabase *db, ConfabDocument *document);
ConfabDocument *confab_document_row_get_document (ConfabDocumentRow *self);
void            confab_document_row_refresh (ConfabDocumentRow *self);
/* For tests: the status tag's text. */
const char *confab_document_row_get_status (ConfabDocumentRow *self);
GtkWidget  *confab_document_row_get_delete_button (ConfabDocumentRow *self);

/* "Markdown", "PDF"... for a document's content type. */
const char *confab_document_type_label (const char *content_type);

G_END_DECLS
