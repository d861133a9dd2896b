#define G_LOG_DOMAIN "confab-secrets"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "confab-error.h"
#include "confab-provider.h"
#include "confab-repository.h"
#include "confab-secret-store.h"

/* Keys go to libsecret and nowhere else. This file never formats a key into
 * a string, a GError or a log message: errors name the provider, and
 * libsecret's own error text (which never holds the secret) is only logged. */

struct _ConfabSecretStore
{
  GObject parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabSecretStore, confab_secret_store, G_TYPE_OBJECT)

#define PROVIDER_ID_ATTRIBUTE "provider-id"

typedef enum
{
  OPERATION_STORE,
  OPERATION_LOOKUP,
  OPERATION_DELETE,
} Operation;

const SecretSchema *
confab_secret_store_get_schema (void)
{
  static const SecretSchema schema = {
    "io.github.confab.Confab.ApiKey", SECRET_SCHEMA_NONE,
    {
      { PROVIDER_ID_ATTRIBUTE, SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };

  return &schema;
}

/* The table owns its copy of the id: libsecret's async calls keep the table
 * and read it once the service answers, after the caller's string may be
 * gone. */
static GHashTable *
provider_attributes (const char *provider_id)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (attributes, (char *) PROVIDER_ID_ATTRIBUTE, g_strdup (provider_id));
  return attributes;
}

/* No secret service at all: no session bus, nobody owning
 * org.freedesktop.secrets and nothing to activate, a bus that went away, or
 * a service without a default collection. */
static gboolean
is_unavailable (const GError *error)
{
  if (error->domain == G_IO_ERROR)
    return error->code != G_IO_ERROR_CANCELLED;
  return error->domain == G_DBUS_ERROR ||
         g_error_matches (error, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT);
}

/* Turns a libsecret error into one a person can act on. Cancellation stays
 * G_IO_ERROR_CANCELLED; everything else is CONFAB_ERROR_KEYRING.
 * provider_name is only used for OPERATION_STORE. */
static GError *
keyring_error (const GError *error,
               Operation     operation,
               const char   *provider_name)
{
  const char *name = provider_name != NULL ? provider_name : "";

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_copy (error);

  g_debug ("Could not %s an API key in the keyring (%s %d): %s",
           operation == OPERATION_STORE ? "store" :
           operation == OPERATION_LOOKUP ? "look up" : "remove",
           g_quark_to_string (error->domain), error->code, error->message);

  if (is_unavailable (error))
    switch (operation)
      {
      case OPERATION_STORE:
        return g_error_new (CONFAB_ERROR, CONFAB_ERROR_KEYRING,
                            _("No keyring is available to store the API key for “%s”. Start a "
                              "Secret Service such as GNOME Keyring and try again."),
                            name);
      case OPERATION_LOOKUP:
        return g_error_new_literal (CONFAB_ERROR, CONFAB_ERROR_KEYRING,
                                    _("No keyring is available to read the stored API keys. "
                                      "Start a Secret Service such as GNOME Keyring and try "
                                      "again."));
      case OPERATION_DELETE:
      default:
        return g_error_new_literal (CONFAB_ERROR, CONFAB_ERROR_KEYRING,
                                    _("No keyring is available to remove the stored API key. "
                                      "Start a Secret Service such as GNOME Keyring and try "
                                      "again."));
      }

  if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    switch (operation)
      {
      case OPERATION_STORE:
        return g_error_new (CONFAB_ERROR, CONFAB_ERROR_KEYRING,
                            _("The keyring is locked, so the API key for “%s” could not be "
                              "stored. Unlock the keyring and try again."),
                            name);
      case OPERATION_LOOKUP:
        return g_error_new_literal (CONFAB_ERROR, CONFAB_ERROR_KEYRING,
                                    _("The keyring is locked, so the stored API keys could not "
                                      "be read. Unlock the keyring and try again."));
      case OPERATION_DELETE:
      default:
        return g_error_new_literal (CONFAB_ERROR, CONFAB_ERROR_KEYRING,
                                    _("The keyring is locked, so the stored API key could not "
                                      "be removed. Unlock the keyring and try again."));
      }

  switch (operation)
    {
    case OPERATION_STORE:
      return g_error_new (CONFAB_ERROR, CONFAB_ERROR_KEYRING,
                          _("The keyring could not store the API key for “%s”: %s"),
                          name, error->message);
    case OPERATION_LOOKUP:
      return g_error_new (CONFAB_ERROR, CONFAB_ERROR_KEYRING,
                          _("The keyring could not read the stored API keys: %s"),
                          error->message);
    case OPERATION_DELETE:
    default:
      return g_error_new (CONFAB_ERROR, CONFAB_ERROR_KEYRING,
                          _("The keyring could not remove the stored API key: %s"),
                          error->message);
    }
}

static gboolean
check_key (const char  *provider_name,
           const char  *key,
           GError     **error)
{
  if (*key == '\0')
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The API key for “%s” is empty"), provider_name);
      return FALSE;
    }
  if (!g_utf8_validate (key, -1, NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The API key for “%s” is not valid UTF-8 text"), provider_name);
      return FALSE;
    }
  return TRUE;
}

static char *
make_label (const char *provider_name)
{
  /* Shown in Passwords and Keys (Seahorse) next to the item. */
  return g_strdup_printf (_("Confab API key for “%s”"), provider_name);
}

static void
confab_secret_store_class_init (ConfabSecretStoreClass *klass)
{
}

static void
confab_secret_store_init (ConfabSecretStore *self)
{
}

ConfabSecretStore *
confab_secret_store_new (void)
{
  return g_object_new (CONFAB_TYPE_SECRET_STORE, NULL);
}

void
confab_secret_store_free_key (char *key)
{
  if (key != NULL)
    secret_password_free (key);
}

/* Store */

static void
store_done (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, keyring_error (error, OPERATION_STORE,
                                              g_task_get_task_data (task)));
  else
    g_task_return_boolean (task, TRUE);
}

/* Stores key for the provider, replacing any key it had. provider_name
 * labels the keyring item and names the provider in errors. */
void
confab_secret_store_store_async (ConfabSecretStore   *self,
                                 const char          *provider_id,
                                 const char          *provider_name,
                                 const char          *key,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GHashTable) attributes = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (CONFAB_IS_SECRET_STORE (self));
  g_return_if_fail (provider_id != NULL && *provider_id != '\0');
  g_return_if_fail (provider_name != NULL);
  g_return_if_fail (key != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_secret_store_store_async);
  g_task_set_task_data (task, g_strdup (provider_name), g_free);

  if (!check_key (provider_name, key, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  attributes = provider_attributes (provider_id);
  label = make_label (provider_name);
  secret_password_storev (confab_secret_store_get_schema (), attributes,
                          SECRET_COLLECTION_DEFAULT, label, key, cancellable,
                          store_done, g_steal_pointer (&task));
}

gboolean
confab_secret_store_store_finish (ConfabSecretStore  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (CONFAB_IS_SECRET_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Blocks until the keyring answers: for the CLI and threads, not the UI. */
gboolean
confab_secret_store_store_sync (ConfabSecretStore  *self,
                                const char         *provider_id,
                                const char         *provider_name,
                                const char         *key,
                                GCancellable       *cancellable,
                                GError            **error)
{
  g_autoptr (GHashTable) attributes = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *label = NULL;

  g_return_val_if_fail (CONFAB_IS_SECRET_STORE (self), FALSE);
  g_return_val_if_fail (provider_id != NULL && *provider_id != '\0', FALSE);
  g_return_val_if_fail (provider_name != NULL, FALSE);
  g_return_val_if_fail (key != NULL, FALSE);

  if (!check_key (provider_name, key, error))
    return FALSE;

  attributes = provider_attributes (provider_id);
  label = make_label (provider_name);
  if (!secret_password_storev_sync (confab_secret_store_get_schema (), attributes,
                                    SECRET_COLLECTION_DEFAULT, label, key, cancellable,
                                    &local_error))
    {
      g_propagate_error (error, keyring_error (local_error, OPERATION_STORE, provider_name));
      return FALSE;
    }
  return TRUE;
}

/* Lookup */

static void
lookup_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  char *key;

  key = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, keyring_error (error, OPERATION_LOOKUP, NULL));
  else
    g_task_return_pointer (task, key, (GDestroyNotify) secret_password_free);
}

void
confab_secret_store_lookup_async (ConfabSecretStore   *self,
                                  const char          *provider_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GHashTable) attributes = NULL;

  g_return_if_fail (CONFAB_IS_SECRET_STORE (self));
  g_return_if_fail (provider_id != NULL && *provider_id != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_secret_store_lookup_async);

  attributes = provider_attributes (provider_id);
  secret_password_lookupv (confab_secret_store_get_schema (), attributes, cancellable,
                           lookup_done, g_steal_pointer (&task));
}

/* The provider's key, or NULL with no error when none is stored. Free it
 * with confab_secret_store_free_key(), which wipes it. */
char *
confab_secret_store_lookup_finish (ConfabSecretStore  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (CONFAB_IS_SECRET_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
confab_secret_store_lookup_sync (ConfabSecretStore  *self,
                                 const char         *provider_id,
                                 GCancellable       *cancellable,
                                 GError            **error)
{
  g_autoptr (GHashTable) attributes = NULL;
  g_autoptr (GError) local_error = NULL;
  char *key;

  g_return_val_if_fail (CONFAB_IS_SECRET_STORE (self), NULL);
  g_return_val_if_fail (provider_id != NULL && *provider_id != '\0', NULL);

  attributes = provider_attributes (provider_id);
  key = secret_password_lookupv_sync (confab_secret_store_get_schema (), attributes,
                                      cancellable, &local_error);
  if (local_error != NULL)
    {
      confab_secret_store_free_key (key);
      g_propagate_error (error, keyring_error (local_error, OPERATION_LOOKUP, NULL));
      return NULL;
    }
  return key;
}

/* Has key: whether a key is stored. It is a lookup whose result is wiped at
 * once: libsecret 0.20's search (secret_password_search) would avoid reading
 * the secret, but leaks a little memory per item found (a GDBusProxy per
 * SecretItem), which LeakSanitizer reports. */

static void
has_key_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  char *key;

  key = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, keyring_error (error, OPERATION_LOOKUP, NULL));
      return;
    }
  g_task_return_int (task, key != NULL ? 1 : 0);
  confab_secret_store_free_key (key);
}

void
confab_secret_store_has_key_async (ConfabSecretStore   *self,
                                   const char          *provider_id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GHashTable) attributes = NULL;

  g_return_if_fail (CONFAB_IS_SECRET_STORE (self));
  g_return_if_fail (provider_id != NULL && *provider_id != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_secret_store_has_key_async);

  attributes = provider_attributes (provider_id);
  secret_password_lookupv (confab_secret_store_get_schema (), attributes, cancellable,
                           has_key_done, g_steal_pointer (&task));
}

/* FALSE with error when the keyring could not be asked; otherwise TRUE,
 * with *has_key telling whether the provider has a key. */
gboolean
confab_secret_store_has_key_finish (ConfabSecretStore  *self,
                                    GAsyncResult       *result,
                                    gboolean           *has_key,
                                    GError            **error)
{
  gssize found;

  g_return_val_if_fail (CONFAB_IS_SECRET_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  found = g_task_propagate_int (G_TASK (result), error);
  if (has_key != NULL)
    *has_key = found == 1;
  return found >= 0;
}

gboolean
confab_secret_store_has_key_sync (ConfabSecretStore  *self,
                                  const char         *provider_id,
                                  gboolean           *has_key,
                                  GCancellable       *cancellable,
                                  GError            **error)
{
  g_autoptr (GError) local_error = NULL;
  char *key;

  g_return_val_if_fail (CONFAB_IS_SECRET_STORE (self), FALSE);
  g_return_val_if_fail (provider_id != NULL && *provider_id != '\0', FALSE);

  if (has_key != NULL)
    *has_key = FALSE;
  key = confab_secret_store_lookup_sync (self, provider_id, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (has_key != NULL)
    *has_key = key != NULL;
  confab_secret_store_free_key (key);
  return TRUE;
}

/* Delete */

static void
delete_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;

  /* FALSE without an error means there was no key: not a failure. */
  if (!secret_password_clear_finish (result, &error) && error != NULL)
    g_task_return_error (task, keyring_error (error, OPERATION_DELETE, NULL));
  else
    g_task_return_boolean (task, TRUE);
}

void
confab_secret_store_delete_async (ConfabSecretStore   *self,
                                  const char          *provider_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GHashTable) attributes = NULL;

  g_return_if_fail (CONFAB_IS_SECRET_STORE (self));
  g_return_if_fail (provider_id != NULL && *provider_id != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_secret_store_delete_async);

  attributes = provider_attributes (provider_id);
  secret_password_clearv (confab_secret_store_get_schema (), attributes, cancellable,
                          delete_done, g_steal_pointer (&task));
}

/* TRUE when the provider has no key any more, including when it had none. */
gboolean
confab_secret_store_delete_finish (ConfabSecretStore  *self,
                                   GAsyncResult       *result,
                                   GError            **error)
{
  g_return_val_if_fail (CONFAB_IS_SECRET_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
confab_secret_store_delete_sync (ConfabSecretStore  *self,
                                 const char         *provider_id,
                                 GCancellable       *cancellable,
                                 GError            **error)
{
  g_autoptr (GHashTable) attributes = NULL;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (CONFAB_IS_SECRET_STORE (self), FALSE);
  g_return_val_if_fail (provider_id != NULL && *provider_id != '\0', FALSE);

  attributes = provider_attributes (provider_id);
  if (!secret_password_clearv_sync (confab_secret_store_get_schema (), attributes, cancellable,
                                    &local_error) &&
      local_error != NULL)
    {
      g_propagate_error (error, keyring_error (local_error, OPERATION_DELETE, NULL));
      return FALSE;
    }
  return TRUE;
}

/* The two ways removing a provider with its key can fail, for the sync and
 * async calls alike. The code stays the cause's (KEYRING, LOCKED...). */
static GError *
key_not_removed_error (const char   *name,
                       const GError *cause)
{
  return g_error_new (cause->domain, cause->code,
                      _("The provider “%s” was not removed, because its API key could not be "
                        "removed from the keyring. %s"),
                      name, cause->message);
}

static GError *
provider_not_removed_error (const char   *name,
                            const GError *cause)
{
  return g_error_new (cause->domain, cause->code,
                      _("The API key of “%s” was removed from the keyring, but the provider "
                        "itself could not be removed: %s"),
                      name, cause->message);
}

/* Deletes a provider and its API key ("deleting a provider deletes its key").
 *
 * Order: the key first, then the row. The invariant kept is that a key in
 * the keyring always has its provider in the workspace, so no failure can
 * leave a secret behind that the user no longer sees in Confab:
 *  - the key cannot be removed (no keyring, locked, cancelled): nothing has
 *    changed, the provider is still listed with its key, the error says why
 *    and the user can try again once the keyring is back;
 *  - the row cannot be removed afterwards (database locked, read-only): the
 *    provider is still listed, now without a key ("key: no"), and the error
 *    says so; removing it again, or setting a new key, both work.
 * The flip side is that a provider cannot be removed while no keyring is
 * reachable, since it cannot be known whether it has a key; callers that
 * want to remove the row anyway (confab-cli providers remove --force) do so
 * explicitly with confab_repository_delete() and tell the user. */
gboolean
confab_provider_delete_with_key (ConfabDatabase     *db,
                                 ConfabSecretStore  *store,
                                 const char         *provider_id,
                                 const char         *actor_id,
                                 GError            **error)
{
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *name;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), FALSE);
  g_return_val_if_fail (CONFAB_IS_SECRET_STORE (store), FALSE);
  g_return_val_if_fail (provider_id != NULL, FALSE);

  provider = confab_repository_get (db, CONFAB_TYPE_PROVIDER, provider_id, error);
  if (provider == NULL)
    return FALSE;
  name = confab_provider_get_name (provider);

  if (!confab_secret_store_delete_sync (store, provider_id, NULL, &local_error))
    {
      g_propagate_error (error, key_not_removed_error (name, local_error));
      return FALSE;
    }

  if (!confab_repository_delete (db, CONFAB_TYPE_PROVIDER, provider_id, actor_id, &local_error))
    {
      g_propagate_error (error, provider_not_removed_error (name, local_error));
      return FALSE;
    }

  g_debug ("Removed provider %s and its API key", provider_id);
  return TRUE;
}

typedef struct
{
  ConfabDatabase *db;
  ConfabProvider *provider;
  char           *actor_id;
} DeleteWithKey;

static void
delete_with_key_free (gpointer data)
{
  DeleteWithKey *state = data;

  g_clear_object (&state->db);
  g_clear_object (&state->provider);
  g_clear_pointer (&state->actor_id, g_free);
  g_free (state);
}

static void
delete_with_key_key_done (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  DeleteWithKey *state = g_task_get_task_data (task);
  const char *id = confab_entity_get_id (CONFAB_ENTITY (state->provider));
  const char *name = confab_provider_get_name (state->provider);
  g_autoptr (GError) error = NULL;

  if (!confab_secret_store_delete_finish (CONFAB_SECRET_STORE (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_error (task, key_not_removed_error (name, error));
      return;
    }

  if (!confab_repository_delete (state->db, CONFAB_TYPE_PROVIDER, id, state->actor_id, &error))
    {
      g_task_return_error (task, provider_not_removed_error (name, error));
      return;
    }

  g_debug ("Removed provider %s and its API key", id);
  g_task_return_boolean (task, TRUE);
}

/**
 * confab_provider_delete_with_key_async:
 * @db: the workspace; used on the calling thread only
 * @store: the keyring
 * @provider_id: the provider to remove
 * @actor_id: (nullable): the user removing it, for the audit log
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when both are gone, or with why not
 * @user_data: data for @callback
 *
 * confab_provider_delete_with_key() without blocking on the keyring (which
 * may ask the user to unlock it): for the UI. Same order and errors.
 */
void
confab_provider_delete_with_key_async (ConfabDatabase      *db,
                                       ConfabSecretStore   *store,
                                       const char          *provider_id,
                                       const char          *actor_id,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GError) error = NULL;
  DeleteWithKey *state;

  g_return_if_fail (CONFAB_IS_DATABASE (db));
  g_return_if_fail (CONFAB_IS_SECRET_STORE (store));
  g_return_if_fail (provider_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (store, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_provider_delete_with_key_async);

  state = g_new0 (DeleteWithKey, 1);
  state->db = g_object_ref (db);
  state->actor_id = g_strdup (actor_id);
  g_task_set_task_data (task, state, delete_with_key_free);

  state->provider = confab_repository_get (db, CONFAB_TYPE_PROVIDER, provider_id, &error);
  if (state->provider == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  confab_secret_store_delete_async (store, provider_id, cancellable, delete_with_key_key_done,
                                    g_steal_pointer (&task));
}

gboolean
confab_provider_delete_with_key_finish (ConfabSecretStore  *store,
                                        GAsyncResult       *result,
                                        GError            **error)
{
  g_return_val_if_fail (CONFAB_IS_SECRET_STORE (store), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, store), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
