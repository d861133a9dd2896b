/* confab-provider-row.h
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <adwaita.h>

#include "confab-core.h"
#include "confab-secret-store.h"

G_BEGIN_DECLS

/* Whether a provider has an API key in the keyring; the key itself is
 * never read into the row. */
typedef enum
{
  CONFAB_PROVIDER_KEY_UNKNOWN,    /* being looked up */
  CONFAB_PROVIDER_KEY_NONE,
  CONFAB_PROVIDER_KEY_SAVED,
  CONFAB_PROVIDER_KEY_NO_KEYRING, /* no Secret Service answered */
} ConfabProviderKeyState;

typedef enum
{
  CONFAB_PROVIDER_CONNECTION_UNTESTED,
  CONFAB_PROVIDER_CONNECTION_TESTING,
  CONFAB_PROVIDER_CONNECTION_OK,
  CONFAB_PROVIDER_CONNECTION_FAILED,
} ConfabProviderConnection;

#define CONFAB_TYPE_PROVIDER_KEY_STATE (confab_provider_key_state_get_type ())
GType confab_provider_key_state_get_type (void) G_GNUC_CONST;
#define CONFAB_TYPE_PROVIDER_CONNECTION (confab_provider_connection_get_type ())
GType confab_provider_connection_get_type (void) G_GNUC_CONST;

#define CONFAB_TYPE_PROVIDER_ROW (confab_provider_row_get_type ())

/* One provider of Preferences, as an expander row: every field saved as it
 * is applied, the API key row (ConfabSecretStore only), the live model list
 * and "Test Connection". Its actions, for buttons and tests:
 *   provider.save-key       the text of the key row goes to the keyring
 *   provider.remove-key
 *   provider.test           test the saved settings and key
 *   provider.fetch-models   ask the server for its models
 *   provider.choose-model s make a model the default
 *   provider.remove         asks, then removes the provider and its key */
G_DECLARE_FINAL_TYPE (ConfabProviderRow, confab_provider_row, CONFAB, PROVIDER_ROW, AdwExpanderRow)

ConfabProviderRow       *confab_provider_row_new                (ConfabDatabase    *database,
                                                                 ConfabSecretStore *store,
                                                                 ConfabProvider    *provider);
ConfabProvider          *confab_provider_row_get_provider       (ConfabProviderRow *self);
ConfabProviderKeyState   confab_provider_row_get_key_state      (ConfabProviderRow *self);
ConfabProviderConnection confab_provider_row_get_connection     (ConfabProviderRow *self);
/* What the connection row says: the test's result or why it failed. */
const char              *confab_provider_row_get_connection_message (ConfabProviderRow *self);
gboolean                 confab_provider_row_get_fetching_models (ConfabProviderRow *self);
/* The names the server listed, once fetched (GtkStringObjects). */
GListModel              *confab_provider_row_get_models         (ConfabProviderRow *self);

void                     confab_provider_row_refresh_key_state  (ConfabProviderRow *self);

/* For tests: the API key field a user types into. */
GtkEditable             *confab_provider_row_get_key_editable   (ConfabProviderRow *self);

/* The words and usual address of each provider kind (confab_provider_kinds),
 * and the list type menus show, in their order. */
const char              *confab_provider_kind_to_label          (const char        *kind);
const char              *confab_provider_kind_default_url       (const char        *kind);
GListModel              *confab_provider_kinds_model_new        (void);
const char              *confab_provider_kind_at                (guint              position);

G_END_DECLS
