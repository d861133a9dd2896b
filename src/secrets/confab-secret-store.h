#pragma once

#include <gio/gio.h>
#include <libsecret/secret.h>

#include "confab-database.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_SECRET_STORE (confab_secret_store_get_type ())

/* The only place API keys are read or written. A key lives in the keyring
 * (the Secret Service over D-Bus, or libsecret's file backend inside
 * Flatpak) under the schema "io.github.confab.Confab.ApiKey" with the
 * attribute "provider-id"; never in SQLite, a log, an export, a GError or
 * argv. When no keyring is reachable every call fails with
 * CONFAB_ERROR_KEYRING and the key is not kept anywhere else.
 *
 * Keys returned by lookup are wiped when freed: release them with
 * confab_secret_store_free_key() (or secret_password_free()), never g_free(). */
G_DECLARE_FINAL_TYPE (ConfabSecretStore, confab_secret_store, CONFAB, SECRET_STORE, GObject)

const SecretSchema *confab_secret_store_get_schema       (void) G_GNUC_CONST;

ConfabSecretStore  *confab_secret_store_new              (void);

void                confab_secret_store_store_async      (ConfabSecretStore    *self,
                                                          const char           *provider_id,
                                                          const char           *provider_name,
                                                          const char           *key,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean            confab_secret_store_store_finish     (ConfabSecretStore    *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
gboolean            confab_secret_store_store_sync       (ConfabSecretStore    *self,
                                                          const char           *provider_id,
                                                          const char           *provider_name,
                                                          const char           *key,
                                                          GCancellable         *cancellable,
                                                          GError              **error);

void                confab_secret_store_lookup_async     (ConfabSecretStore    *self,
                                                          const char           *provider_id,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
char               *confab_secret_store_lookup_finish    (ConfabSecretStore    *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
char               *confab_secret_store_lookup_sync      (ConfabSecretStore    *self,
                                                          const char           *provider_id,
                                                          GCancellable         *cancellable,
                                                          GError              **error);

void                confab_secret_store_has_key_async    (ConfabSecretStore    *self,
                                                          const char           *provider_id,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean            confab_secret_store_has_key_finish   (ConfabSecretStore    *self,
                                                          GAsyncResult         *result,
                                                          gboolean             *has_key,
                                                          GError              **error);
gboolean            confab_secret_store_has_key_sync     (ConfabSecretStore    *self,
                                                          const char           *provider_id,
                                                          gboolean             *has_key,
                                                          GCancellable         *cancellable,
                                                          GError              **error);

void                confab_secret_store_delete_async     (ConfabSecretStore    *self,
                                                          const char           *provider_id,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean            confab_secret_store_delete_finish    (ConfabSecretStore    *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
gboolean            confab_secret_store_delete_sync      (ConfabSecretStore    *self,
                                                          const char           *provider_id,
                                                          GCancellable         *cancellable,
                                                          GError              **error);

void                confab_secret_store_free_key         (char                 *key);

gboolean            confab_provider_delete_with_key      (ConfabDatabase       *db,
                                                          ConfabSecretStore    *store,
                                                          const char           *provider_id,
                                                          const char           *actor_id,
                                                          GError              **error);
void                confab_provider_delete_with_key_async (ConfabDatabase      *db,
                                                          ConfabSecretStore    *store,
                                                          const char           *provider_id,
                                                          const char           *actor_id,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean            confab_provider_delete_with_key_finish (ConfabSecretStore  *store,
                                                          GAsyncResult         *result,
                                                          GError              **error);

G_END_DECLS
