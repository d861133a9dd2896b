#pragma once

#include "confab-database.h"
#include "confab-entity.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_VERSION (confab_prompt_version_get_type ())

G_DECLARE_FINAL_TYPE (ConfabPromptVersion, confab_prompt_version,
                      CONFAB, PROMPT_VERSION, ConfabEntity)

/* One saved text of a prompt. Versions are numbered 1, 2, 3... per prompt:
 * the number is assigned when the version is created (callers never pick
 * it) and a saved version never changes: confab_repository_update() refuses
 * it with CONFAB_ERROR_INVALID and a SQL trigger refuses any UPDATE.
 * Going back to an old text creates a new version
 * (confab_prompt_restore_version()).
 *
 * body: 1..100,000 characters. variables: JSON array of the {{names}} the
 * body uses; left at "[]" it is filled from the body when saved.
 *
 * Model settings: provider_id and model are optional (NULL = use the
 * agent's own). temperature (0..2, default 0.7) and max_tokens (> 0,
 * default 1024) are always stored, as given, and only take effect when the
 * version names a model. */

#define CONFAB_PROMPT_VERSION_MAX_BODY 100000

ConfabPromptVersion *confab_prompt_version_new             (const char          *prompt_id,
                                                            const char          *body);
const char          *confab_prompt_version_get_prompt_id   (ConfabPromptVersion *self);
void                 confab_prompt_version_set_prompt_id   (ConfabPromptVersion *self,
                                                            const char          *prompt_id);
int                  confab_prompt_version_get_version     (ConfabPromptVersion *self);
void                 confab_prompt_version_set_version     (ConfabPromptVersion *self,
                                                            int                  version);
const char          *confab_prompt_version_get_body        (ConfabPromptVersion *self);
void                 confab_prompt_version_set_body        (ConfabPromptVersion *self,
                                                            const char          *body);
const char          *confab_prompt_version_get_variables   (ConfabPromptVersion *self);
void                 confab_prompt_version_set_variables   (ConfabPromptVersion *self,
                                                            const char          *variables);
char               **confab_prompt_version_dup_variables   (ConfabPromptVersion *self);
const char          *confab_prompt_version_get_message     (ConfabPromptVersion *self);
void                 confab_prompt_version_set_message     (ConfabPromptVersion *self,
                                                            const char          *message);
const char          *confab_prompt_version_get_author_id   (ConfabPromptVersion *self);
void                 confab_prompt_version_set_author_id   (ConfabPromptVersion *self,
                                                            const char          *author_id);
const char          *confab_prompt_version_get_provider_id (ConfabPromptVersion *self);
void                 confab_prompt_version_set_provider_id (ConfabPromptVersion *self,
                                                            const char          *provider_id);
const char          *confab_prompt_version_get_model       (ConfabPromptVersion *self);
void                 confab_prompt_version_set_model       (ConfabPromptVersion *self,
                                                            const char          *model);
double               confab_prompt_version_get_temperature (ConfabPromptVersion *self);
void                 confab_prompt_version_set_temperature (ConfabPromptVersion *self,
                                                            double               temperature);
int                  confab_prompt_version_get_max_tokens  (ConfabPromptVersion *self);
void                 confab_prompt_version_set_max_tokens  (ConfabPromptVersion *self,
                                                            int                  max_tokens);

char               **confab_prompt_extract_variables       (const char          *body);

/* Versions of a prompt. A missing prompt or version is CONFAB_ERROR_NOT_FOUND. */
ConfabPromptVersion *confab_prompt_save_version            (ConfabDatabase      *db,
                                                            const char          *prompt_id,
                                                            const char          *body,
                                                            const char          *message,
                                                            const char          *author_id,
                                                            GError             **error);
ConfabPromptVersion *confab_prompt_restore_version         (ConfabDatabase      *db,
                                                            const char          *prompt_id,
                                                            int                  version,
                                                            const char          *actor_id,
                                                            GError             **error);
ConfabPromptVersion *confab_prompt_get_version             (ConfabDatabase      *db,
                                                            const char          *prompt_id,
                                                            int                  version,
                                                            GError             **error);
ConfabPromptVersion *confab_prompt_get_latest_version      (ConfabDatabase      *db,
                                                            const char          *prompt_id,
                                                            GError             **error);
GPtrArray           *confab_prompt_list_versions           (ConfabDatabase      *db,
                                                            const char          *prompt_id,
                                                            GError             **error);

G_END_DECLS
