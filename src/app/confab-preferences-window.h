/* confab-preferences-window.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"
#include "confab-provider-row.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PREFERENCES_WINDOW (confab_preferences_window_get_type ())

/* Preferences: the workspace's LLM providers (with their API keys, in the
 * keyring only) and the app's appearance (GSettings "color-scheme").
 * Actions: prefs.add-provider, prefs.confirm-add, prefs.cancel-add, and
 * settings.color-scheme (s: "default", "light", "dark"). */
G_DECLARE_FINAL_TYPE (ConfabPreferencesWindow, confab_preferences_window, CONFAB,
                      PREFERENCES_WINDOW, AdwPreferencesWindow)

ConfabPreferencesWindow *confab_preferences_window_new          (GtkWindow               *parent,
                                                                 ConfabDatabase          *database);
ConfabDatabase          *confab_preferences_window_get_database (ConfabPreferencesWindow *self);
void                     confab_preferences_window_set_database (ConfabPreferencesWindow *self,
                                                                 ConfabDatabase          *database);

/* For tests: the row of a provider, once the list shows it. */
ConfabProviderRow       *confab_preferences_window_find_provider_row (ConfabPreferencesWindow *self,
                                                                      const char              *provider_id);
/* For tests: the Add Provider form's fields and its problem line. */
GtkEditable             *confab_preferences_window_get_add_field (ConfabPreferencesWindow *self,
                                                                  const char              *field);
GtkLabel                *confab_preferences_window_get_add_error (ConfabPreferencesWindow *self);

/* Applies the color scheme chosen in Preferences now and whenever it
 * changes. settings: the app's settings, or NULL to use the installed
 * io.github.confab.Confab schema (nothing happens without one). Called once
 * at startup; later calls with another object change nothing. */
void                     confab_preferences_apply_style (GSettings *settings);

G_END_DECLS
