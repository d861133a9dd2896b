/* confab-application.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_APPLICATION (confab_application_get_type ())

G_DECLARE_FINAL_TYPE (ConfabApplication, confab_application, CONFAB, APPLICATION, AdwApplication)

ConfabApplication *confab_application_new                    (gint64             start_time);
gint64             confab_application_get_start_time         (ConfabApplication *self);
GFile             *confab_application_get_default_workspace  (void);

G_END_DECLS
