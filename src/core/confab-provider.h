#pragma once

#include "confab-entity.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROVIDER (confab_provider_get_type ())

/* A configured LLM endpoint. Its API key is never a column: it lives in the
 * keyring under the provider's id (src/secrets). */
G_DECLARE_FINAL_TYPE (ConfabProvider, confab_provider, CONFAB, PROVIDER, ConfabEntity)

extern const char * const confab_provider_kinds[];

/* The idle timeout (idle-timeout-s, the idle_timeout_s column) and its range. */
#define CONFAB_PROVIDER_DEFAULT_IDLE_TIMEOUT_S 60
#define CONFAB_PROVIDER_MIN_IDLE_TIMEOUT_S     1
#define CONFAB_PROVIDER_MAX_IDLE_TIMEOUT_S     3600

ConfabProvider *confab_provider_new                    (const char     *name,
                                                        const char     *kind,
                                                        const char     *base_url);
const char     *confab_provider_get_name               (ConfabProvider *self);
void            confab_provider_set_name               (ConfabProvider *self,
                                                        const char     *name);
const char     *confab_provider_get_kind               (ConfabProvider *self);
void            confab_provider_set_kind               (ConfabProvider *self,
                                                        const char     *kind);
const char     *confab_provider_get_base_url           (ConfabProvider *self);
void            confab_provider_set_base_url           (ConfabProvider *self,
                                                        const char     *base_url);
const char     *confab_provider_get_default_model      (ConfabProvider *self);
void            confab_provider_set_default_model      (ConfabProvider *self,
                                                        const char     *default_model);
int             confab_provider_get_context_window     (ConfabProvider *self);
void            confab_provider_set_context_window     (ConfabProvider *self,
                                                        int             context_window);
gboolean        confab_provider_get_supports_streaming (ConfabProvider *self);
void            confab_provider_set_supports_streaming (ConfabProvider *self,
                                                        gboolean        supports_streaming);
int             confab_provider_get_idle_timeout_s     (ConfabProvider *self);
void            confab_provider_set_idle_timeout_s     (ConfabProvider *self,
                                                        int             idle_timeout_s);

gboolean        confab_provider_check_base_url         (const char     *base_url,
                                                        GError        **error);

G_END_DECLS
