/* confab-markdown-view.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_MARKDOWN_VIEW (confab_markdown_view_get_type ())

G_DECLARE_FINAL_TYPE (ConfabMarkdownView, confab_markdown_view, CONFAB, MARKDOWN_VIEW, GtkWidget)

GtkWidget  *confab_markdown_view_new (void);
const char *confab_markdown_view_get_text (ConfabMarkdownView *self);
/* Cheap to call again as a streamed reply grows: blocks that did not
 * change keep their widgets (and any selection in them). */
void confab_markdown_view_set_text (ConfabMarkdownView *self, const char *text);

G_END_DECLS
