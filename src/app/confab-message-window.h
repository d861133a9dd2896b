/* confab-message-window.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_MESSAGE_WINDOW (confab_message_window_get_type ())

/* The end of a long list, which grows towards its start on demand: what a
 * chat shows. A GtkListView given the whole of a 100,000-message
 * conversation binds its first couple of hundred rows before it can be
 * scrolled to the end, and jumps when rows of very different heights are
 * scrolled through by hand; given this window it binds only rows near the
 * end, and older messages come in as the reader scrolls up (a grow adds
 * them at the top, so what is on screen stays put).
 *
 * Items appended to the model join the window; a change that reaches
 * before the window's start (a branch switch resets the whole list) keeps
 * the start where it was, as far as the new list allows. */
G_DECLARE_FINAL_TYPE (ConfabMessageWindow, confab_message_window, CONFAB, MESSAGE_WINDOW, GObject)

ConfabMessageWindow *confab_message_window_new (GListModel *model, guint n_last);
GListModel          *confab_message_window_get_model (ConfabMessageWindow *self);
/* The model's position of the window's first item. */
guint confab_message_window_get_start (ConfabMessageWindow *self);
/* Takes up to n more items before the first; returns how many it took. */
guint confab_message_window_grow (ConfabMessageWindow *self, guint n);
/* Grows the window so it holds the model's position; returns that
 * position in the window, or G_MAXUINT when the model is shorter. */
guint confab_message_window_show_position (ConfabMessageWindow *self, guint position);

G_END_DECLS
