#pragma once

#include "confab-entity.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT (confab_prompt_get_type ())

G_DECLARE_FINAL_TYPE (ConfabPrompt, confab_prompt, CONFAB, PROMPT, ConfabEntity)

/* A named entry of the prompt library. Its text lives in immutable
 * ConfabPromptVersions (confab-prompt-version.h); labels such as
 * "production" point at one version (confab-prompt-label.h).
 *
 * name: 1..200 characters, unique in the workspace; '/' separates folders
 * ("support/greeting"), so a name may not start or end with '/' nor hold
 * an empty folder ("a//b"). tags: a JSON array of strings, read and written
 * with confab_prompt_dup_tags() and confab_prompt_set_tags(). */

ConfabPrompt *confab_prompt_new             (const char          *name);
const char   *confab_prompt_get_name        (ConfabPrompt        *self);
void          confab_prompt_set_name        (ConfabPrompt        *self,
                                             const char          *name);
const char   *confab_prompt_get_description (ConfabPrompt        *self);
void          confab_prompt_set_description (ConfabPrompt        *self,
                                             const char          *description);
const char   *confab_prompt_get_tags        (ConfabPrompt        *self);
void          confab_prompt_set_tags_json   (ConfabPrompt        *self,
                                             const char          *tags_json);
char        **confab_prompt_dup_tags        (ConfabPrompt        *self);
void          confab_prompt_set_tags        (ConfabPrompt        *self,
                                             const char * const  *tags);
const char   *confab_prompt_get_owner_id    (ConfabPrompt        *self);
void          confab_prompt_set_owner_id    (ConfabPrompt        *self,
                                             const char          *owner_id);

G_END_DECLS
