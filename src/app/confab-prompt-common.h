/* confab-prompt-common.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>
#include <gtksourceview/gtksource.h>

#include "confab-core.h"

G_BEGIN_DECLS

/* What the Prompts section's widgets share: their style sheet, label and
 * tag badges, dates and names in words, toasts from inside a view, and
 * prompt text views that follow the light or dark style. */

/* Loads ui/confab-prompts.css once per display. */
void confab_prompt_ensure_style (void);

/* A small pill: "production", "staging", "latest", another label, or a
 * tag (is_tag). */
GtkWidget *confab_prompt_badge_new (const char *text, gboolean is_tag);
/* Empties box, then adds a badge for each label and tag (both nullable);
 * hides box when there is none. */
void confab_prompt_fill_badges (GtkWidget *box, const char *const *labels, const char *const *tags);
void confab_prompt_remove_children (GtkWidget *box);

/* "12 Nov 2026, 16:00" in local time; a copy of iso when it cannot be read. */
char *confab_prompt_format_date (const char *iso);
/* "12 Nov 2026", for lists. */
char *confab_prompt_format_day (const char *iso);
/* A user's name (or username), or NULL. */
char *confab_prompt_dup_user_name (ConfabDatabase *db, const char *user_id);
/* "1.2 s", "340 ms". */
char *confab_prompt_format_latency (gint64 latency_ms);

/* Toasts from a widget inside a ConfabPage; nothing outside one. */
void confab_prompt_toast (GtkWidget *widget, const char *message);
void confab_prompt_toast_error (GtkWidget *widget, const GError *error);

/* A GtkSourceView for prompt text: the Adwaita or Adwaita-dark scheme as
 * the style changes, and {{placeholders}} tinted (refreshed as the text
 * changes). */
void confab_prompt_source_view_setup (GtkSourceView *view);

/* The whole text of a text view. */
char *confab_prompt_text_view_dup_text (GtkTextView *view);

/* Calls func on every descendant of root that is of type (or derives
 * from it), depth first. For refreshing rows a list view has made. */
void confab_prompt_foreach_descendant (GtkWidget *root, GType type, GFunc func, gpointer user_data);

G_END_DECLS
