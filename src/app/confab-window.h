/* confab-window.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"

G_BEGIN_DECLS

/* The sidebar's sections, in their order (Ctrl+1 … Ctrl+7). */
typedef enum
{
  CONFAB_SECTION_CHATS,
  CONFAB_SECTION_AGENTS,
  CONFAB_SECTION_TEAMS,
  CONFAB_SECTION_PROMPTS,
  CONFAB_SECTION_KNOWLEDGE,
  CONFAB_SECTION_USERS,
  CONFAB_SECTION_ESCALATIONS,
} ConfabSection;

#define CONFAB_N_SECTIONS (CONFAB_SECTION_ESCALATIONS + 1)

#define CONFAB_TYPE_SECTION (confab_section_get_type ())
GType confab_section_get_type (void) G_GNUC_CONST;

#define CONFAB_TYPE_WINDOW (confab_window_get_type ())

G_DECLARE_FINAL_TYPE (ConfabWindow, confab_window, CONFAB, WINDOW, AdwApplicationWindow)

ConfabWindow   *confab_window_new              (GtkApplication  *application);
void            confab_window_open             (ConfabWindow    *self,
                                                GFile           *file);
ConfabDatabase *confab_window_get_database     (ConfabWindow    *self);
void            confab_window_set_database     (ConfabWindow    *self,
                                                ConfabDatabase  *database);
GFile          *confab_window_get_file         (ConfabWindow    *self);
ConfabSection   confab_window_get_section      (ConfabWindow    *self);
void            confab_window_set_section      (ConfabWindow    *self,
                                                ConfabSection    section);

/* For tests: the widgets a user reads. */
GtkLabel       *confab_window_get_count_label  (ConfabWindow    *self,
                                                ConfabSection    section);
AdwStatusPage  *confab_window_get_status_page  (ConfabWindow    *self);
GtkWidget      *confab_window_get_visible_page (ConfabWindow    *self);
GtkRevealer    *confab_window_get_read_only_notice (ConfabWindow *self);

const char     *confab_window_find_demo_data (void);

G_END_DECLS
