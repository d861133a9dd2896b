#pragma once

#include "confab-entity.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_TEAM (confab_team_get_type ())

G_DECLARE_FINAL_TYPE (ConfabTeam, confab_team, CONFAB, TEAM, ConfabEntity)

extern const char * const confab_team_modes[];

ConfabTeam *confab_team_new             (const char *name);
const char *confab_team_get_name        (ConfabTeam *self);
void        confab_team_set_name        (ConfabTeam *self,
                                         const char *name);
const char *confab_team_get_description (ConfabTeam *self);
void        confab_team_set_description (ConfabTeam *self,
                                         const char *description);
const char *confab_team_get_mode        (ConfabTeam *self);
void        confab_team_set_mode        (ConfabTeam *self,
                                         const char *mode);
int         confab_team_get_max_turns   (ConfabTeam *self);
void        confab_team_set_max_turns   (ConfabTeam *self,
                                         int         max_turns);
const char *confab_team_get_owner_id    (ConfabTeam *self);
void        confab_team_set_owner_id    (ConfabTeam *self,
                                         const char *owner_id);

/* Settings by mode, a JSON object (see confab-team.c): router "selector"
 * ("rules" or "llm") and "selector_agent_id"; round robin "stop_phrase". */
const char *confab_team_get_config      (ConfabTeam *self);
void        confab_team_set_config      (ConfabTeam *self,
                                         const char *config);
char       *confab_team_dup_setting     (ConfabTeam *self,
                                         const char *key);
void        confab_team_set_setting     (ConfabTeam *self,
                                         const char *key,
                                         const char *value);

/* The team's members (ConfabTeamMember), ordered by position. */
GPtrArray  *confab_team_list_members    (ConfabDatabase     *db,
                                         const char         *team_id,
                                         GError            **error);
/* Replaces the whole ordered member list: agent_ids[i] gets position i.
 * roles, when not NULL, runs parallel to agent_ids (NULL or "" for no role).
 * One transaction, one audit_log row (entity "team", action "update"); emits
 * ConfabDatabase::changed for "team_members" after commit. */
gboolean    confab_team_set_members     (ConfabDatabase     *db,
                                         const char         *team_id,
                                         const char * const *agent_ids,
                                         const char * const *roles,
                                         const char         *actor_id,
                                         GError            **error);

G_END_DECLS
