/* confab-agent-text-view.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_AGENT_TEXT_VIEW (confab_agent_text_view_get_type ())

/* A wrapping GtkTextView that is as tall as its text at the width it is
 * given. GTK 4.8's text view answers a height for the width it had before,
 * so in a list row its second line was cut off until something else
 * resized it. */
G_DECLARE_FINAL_TYPE (
    ConfabAgentTextView, confab_agent_text_view, CONFAB, AGENT_TEXT_VIEW, GtkTextView)

GtkWidget *confab_agent_text_view_new (void);

G_END_DECLS
