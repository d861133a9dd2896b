/* confab-sidebar-row.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_SIDEBAR_ROW (confab_sidebar_row_get_type ())

G_DECLARE_FINAL_TYPE (ConfabSidebarRow, confab_sidebar_row, CONFAB, SIDEBAR_ROW, GtkListBoxRow)

GtkWidget  *confab_sidebar_row_new             (void);
const char *confab_sidebar_row_get_title       (ConfabSidebarRow *self);
void        confab_sidebar_row_set_title       (ConfabSidebarRow *self,
                                                const char       *title);
const char *confab_sidebar_row_get_icon_name   (ConfabSidebarRow *self);
void        confab_sidebar_row_set_icon_name   (ConfabSidebarRow *self,
                                                const char       *icon_name);
gint64      confab_sidebar_row_get_count       (ConfabSidebarRow *self);
void        confab_sidebar_row_set_count       (ConfabSidebarRow *self,
                                                gint64            count);
gboolean    confab_sidebar_row_get_badge       (ConfabSidebarRow *self);
void        confab_sidebar_row_set_badge       (ConfabSidebarRow *self,
                                                gboolean          badge);
GtkLabel   *confab_sidebar_row_get_count_label (ConfabSidebarRow *self);

G_END_DECLS
