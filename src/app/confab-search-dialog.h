/* confab-search-dialog.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_SEARCH_DIALOG (confab_search_dialog_get_type ())

/* Ctrl+K: a full-text search across every conversation of a workspace.
 * Queries run in a worker thread on a connection of their own, a moment
 * after the last keystroke, and a newer query cancels the running one.
 * Activating a result emits ::open-message (conversation id, message id),
 * whose default handler activates win.open-conversation (ss) on the window
 * the dialog is transient for, then closes the dialog. */
G_DECLARE_FINAL_TYPE (ConfabSearchDialog, confab_search_dialog, CONFAB, SEARCH_DIALOG, AdwWindow)

/* Results shown at most; more are left to a narrower search. */
#define CONFAB_SEARCH_DIALOG_MAX_RESULTS 100

ConfabSearchDialog *confab_search_dialog_new           (GtkWindow          *parent,
                                                        ConfabDatabase     *database);
ConfabDatabase     *confab_search_dialog_get_database  (ConfabSearchDialog *self);
gboolean            confab_search_dialog_get_searching (ConfabSearchDialog *self);

/* For tests: the search field, the results (ConfabMessageHits) with the
 * selected one, and the name of what is shown ("initial", "results",
 * "empty", "hint" or "error"). */
GtkEditable        *confab_search_dialog_get_entry     (ConfabSearchDialog *self);
GtkSingleSelection *confab_search_dialog_get_selection (ConfabSearchDialog *self);
const char         *confab_search_dialog_get_page      (ConfabSearchDialog *self);

/* The snippet of a ConfabMessageHit as Pango markup: the text escaped and
 * on one line, the matched words in <b>. */
char               *confab_search_dialog_snippet_to_markup (const char     *snippet);

G_END_DECLS
