#pragma once

#include <gio/gio.h>

#include "confab-database.h"
#include "confab-prompt-version.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_PROMPT_LABEL (confab_prompt_label_get_type ())

G_DECLARE_FINAL_TYPE (ConfabPromptLabel, confab_prompt_label, CONFAB, PROMPT_LABEL, GObject)

/* A named pointer ("production", "staging") from a prompt to one of its
 * versions. Agents refer to a label so a prompt can be promoted or rolled
 * back without touching them. A label name is 1..64 characters; "latest" is
 * reserved: it always means the newest version. */

#define CONFAB_PROMPT_LABEL_LATEST "latest"

const char          *confab_prompt_label_get_prompt_id  (ConfabPromptLabel  *self);
const char          *confab_prompt_label_get_name       (ConfabPromptLabel  *self);
const char          *confab_prompt_label_get_version_id (ConfabPromptLabel  *self);
int                  confab_prompt_label_get_version    (ConfabPromptLabel  *self);
const char          *confab_prompt_label_get_updated_at (ConfabPromptLabel  *self);

gboolean             confab_prompt_set_label            (ConfabDatabase     *db,
                                                         const char         *prompt_id,
                                                         const char         *label,
                                                         const char         *version_id,
                                                         const char         *actor_id,
                                                         GError            **error);
gboolean             confab_prompt_remove_label         (ConfabDatabase     *db,
                                                         const char         *prompt_id,
                                                         const char         *label,
                                                         const char         *actor_id,
                                                         GError            **error);
GPtrArray           *confab_prompt_list_labels          (ConfabDatabase     *db,
                                                         const char         *prompt_id,
                                                         GError            **error);
ConfabPromptVersion *confab_prompt_resolve              (ConfabDatabase     *db,
                                                         const char         *prompt_id,
                                                         const char         *label,
                                                         int                 version,
                                                         GError            **error);

G_END_DECLS
