#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define CONFAB_TYPE_TEAM_MEMBER (confab_team_member_get_type ())

/* One row of team_members: an agent's place and role in a team. Not an
 * entity (the row has no id of its own); written as a whole list with
 * confab_team_set_members(). team-id and agent-id are set at construction. */
G_DECLARE_FINAL_TYPE (ConfabTeamMember, confab_team_member, CONFAB, TEAM_MEMBER, GObject)

ConfabTeamMember *confab_team_member_new          (const char       *team_id,
                                                   const char       *agent_id,
                                                   int               position,
                                                   const char       *role);
const char       *confab_team_member_get_team_id  (ConfabTeamMember *self);
const char       *confab_team_member_get_agent_id (ConfabTeamMember *self);
int               confab_team_member_get_position (ConfabTeamMember *self);
void              confab_team_member_set_position (ConfabTeamMember *self,
                                                   int               position);
const char       *confab_team_member_get_role     (ConfabTeamMember *self);
void              confab_team_member_set_role     (ConfabTeamMember *self,
                                                   const char       *role);

G_END_DECLS
