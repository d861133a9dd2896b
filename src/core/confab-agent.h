#pragma once

#include "confab-entity.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_AGENT (confab_agent_get_type ())

G_DECLARE_FINAL_TYPE (ConfabAgent, confab_agent, CONFAB, AGENT, ConfabEntity)

extern const char * const confab_agent_types[];

ConfabAgent *confab_agent_new                 (const char  *name);

const char  *confab_agent_get_name            (ConfabAgent *self);
void         confab_agent_set_name            (ConfabAgent *self,
                                               const char  *name);
const char  *confab_agent_get_description     (ConfabAgent *self);
void         confab_agent_set_description     (ConfabAgent *self,
                                               const char  *description);
/* The "type" property; named so it does not clash with confab_agent_get_type(). */
const char  *confab_agent_get_agent_type      (ConfabAgent *self);
void         confab_agent_set_agent_type      (ConfabAgent *self,
                                               const char  *agent_type);
const char  *confab_agent_get_sector          (ConfabAgent *self);
void         confab_agent_set_sector          (ConfabAgent *self,
                                               const char  *sector);
const char  *confab_agent_get_provider_id     (ConfabAgent *self);
void         confab_agent_set_provider_id     (ConfabAgent *self,
                                               const char  *provider_id);
const char  *confab_agent_get_model           (ConfabAgent *self);
void         confab_agent_set_model           (ConfabAgent *self,
                                               const char  *model);
double       confab_agent_get_temperature     (ConfabAgent *self);
void         confab_agent_set_temperature     (ConfabAgent *self,
                                               double       temperature);
int          confab_agent_get_max_tokens      (ConfabAgent *self);
void         confab_agent_set_max_tokens      (ConfabAgent *self,
                                               int          max_tokens);
const char  *confab_agent_get_system_prompt   (ConfabAgent *self);
void         confab_agent_set_system_prompt   (ConfabAgent *self,
                                               const char  *system_prompt);
const char  *confab_agent_get_prompt_id       (ConfabAgent *self);
void         confab_agent_set_prompt_id       (ConfabAgent *self,
                                               const char  *prompt_id);
const char  *confab_agent_get_prompt_label    (ConfabAgent *self);
void         confab_agent_set_prompt_label    (ConfabAgent *self,
                                               const char  *prompt_label);
int          confab_agent_get_prompt_version  (ConfabAgent *self);
void         confab_agent_set_prompt_version  (ConfabAgent *self,
                                               int          prompt_version);
/* A JSON object as text; NULL is stored as "{}". */
const char  *confab_agent_get_config          (ConfabAgent *self);
void         confab_agent_set_config          (ConfabAgent *self,
                                               const char  *config);
const char  *confab_agent_get_owner_id        (ConfabAgent *self);
void         confab_agent_set_owner_id        (ConfabAgent *self,
                                               const char  *owner_id);
gboolean     confab_agent_get_is_active       (ConfabAgent *self);
void         confab_agent_set_is_active       (ConfabAgent *self,
                                               gboolean     is_active);

/* Links to knowledge bases (the agent_knowledge table). Each write runs in one
 * transaction with an audit_log row (entity "agent", action "update") and
 * emits ConfabDatabase::changed for "agent_knowledge" after commit. */
gboolean     confab_agent_add_knowledge_base      (ConfabDatabase  *db,
                                                   const char      *agent_id,
                                                   const char      *knowledge_base_id,
                                                   const char      *actor_id,
                                                   GError         **error);
gboolean     confab_agent_remove_knowledge_base   (ConfabDatabase  *db,
                                                   const char      *agent_id,
                                                   const char      *knowledge_base_id,
                                                   const char      *actor_id,
                                                   GError         **error);
char       **confab_agent_list_knowledge_base_ids (ConfabDatabase  *db,
                                                   const char      *agent_id,
                                                   GError         **error);

G_END_DECLS
