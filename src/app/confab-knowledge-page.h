/* confab-knowledge-page.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "confab-page.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_KNOWLEDGE_PAGE (confab_knowledge_page_get_type ())

/* The Knowledge section: the knowledge bases (title, documents, owner and
 * an active switch) beside the one selected: its fields and optional
 * embedding model (saved explicitly), its documents with their status,
 * passages or the reason they failed, imports with progress and cancel (from
 * a file chooser or files dropped on the page), and a search box showing
 * the passages an agent would get, best first, the words found in bold.
 *
 * Actions (group "knowledge"): add, save (Ctrl+S), delete (an undo toast;
 * the knowledge base, or a document, is only deleted once the toast goes
 * away without Undo), undo-delete, import (the file chooser). Leaving a
 * knowledge base with unsaved changes asks first. */
G_DECLARE_FINAL_TYPE (
    ConfabKnowledgePage, confab_knowledge_page, CONFAB, KNOWLEDGE_PAGE, ConfabPage)

GtkWidget *confab_knowledge_page_new (void);

/* Selects the knowledge base and shows it, as a click on its row does. */
gboolean confab_knowledge_page_select (ConfabKnowledgePage *self, const char *kb_id);
/* Adds @files (GFile) to the knowledge base shown, each in an import of
 * its own with a progress row: what the file chooser and a drop call. */
void confab_knowledge_page_import_files (ConfabKnowledgePage *self, GSList *files);

/* For tests. */
GListModel *confab_knowledge_page_get_visible (ConfabKnowledgePage *self);
/* The documents shown (pending deletion left out). */
GListModel  *confab_knowledge_page_get_documents (ConfabKnowledgePage *self);
GtkWidget   *confab_knowledge_page_get_field (ConfabKnowledgePage *self, const char *name);
GtkWidget   *confab_knowledge_page_get_save_button (ConfabKnowledgePage *self);
GtkListBox  *confab_knowledge_page_get_documents_list (ConfabKnowledgePage *self);
guint        confab_knowledge_page_get_n_imports (ConfabKnowledgePage *self);
GtkEditable *confab_knowledge_page_get_search_entry (ConfabKnowledgePage *self);
GtkLabel    *confab_knowledge_page_get_search_hint (ConfabKnowledgePage *self);
/* The search results shown: how many, and the chunk id and title markup
 * (the snippet) of the one at @index. */
guint       confab_knowledge_page_get_n_results (ConfabKnowledgePage *self);
const char *confab_knowledge_page_get_result_chunk_id (ConfabKnowledgePage *self, guint index);
const char *confab_knowledge_page_get_result_markup (ConfabKnowledgePage *self, guint index);
/* The undo toast of the deletion waiting to happen, or NULL. */
AdwToast   *confab_knowledge_page_get_undo_toast (ConfabKnowledgePage *self);
const char *confab_knowledge_page_get_list_state (ConfabKnowledgePage *self);
const char *confab_knowledge_page_get_detail_state (ConfabKnowledgePage *self);

/* Pango markup of @snippet with the words of @query in bold, matched as
 * the search matches them (case and accents aside). Everything else is
 * escaped. */
char *confab_knowledge_page_snippet_markup (const char *snippet, const char *query);

G_END_DECLS
