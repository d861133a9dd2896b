#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "confab-team-member.h"

struct _ConfabTeamMember
{
  GObject  parent_instance;

  char    *team_id;
  char    *agent_id;
  int      position;
  char    *role;
};

G_DEFINE_FINAL_TYPE (ConfabTeamMember, confab_team_member, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_TEAM_ID,
  PROP_AGENT_ID,
  PROP_POSITION,
  PROP_ROLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* g_set_str() is GLib 2.76; the floor is 2.74. */
static gboolean
set_str (char       **slot,
         const char  *value)
{
  if (g_strcmp0 (*slot, value) == 0)
    return FALSE;
  g_free (*slot);
  *slot = g_strdup (value);
  return TRUE;
}

static void
confab_team_member_finalize (GObject *object)
{
  ConfabTeamMember *self = CONFAB_TEAM_MEMBER (object);

  g_clear_pointer (&self->team_id, g_free);
  g_clear_pointer (&self->agent_id, g_free);
  g_clear_pointer (&self->role, g_free);

  G_OBJECT_CLASS (confab_team_member_parent_class)->finalize (object);
}

static void
confab_team_member_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  ConfabTeamMember *self = CONFAB_TEAM_MEMBER (object);

  switch (prop_id)
    {
    case PROP_TEAM_ID:
      g_value_set_string (value, self->team_id);
      break;
    case PROP_AGENT_ID:
      g_value_set_string (value, self->agent_id);
      break;
    case PROP_POSITION:
      g_value_set_int (value, self->position);
      break;
    case PROP_ROLE:
      g_value_set_string (value, self->role);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_team_member_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  ConfabTeamMember *self = CONFAB_TEAM_MEMBER (object);

  switch (prop_id)
    {
    case PROP_TEAM_ID:
      set_str (&self->team_id, g_value_get_string (value));
      break;
    case PROP_AGENT_ID:
      set_str (&self->agent_id, g_value_get_string (value));
      break;
    case PROP_POSITION:
      confab_team_member_set_position (self, g_value_get_int (value));
      break;
    case PROP_ROLE:
      confab_team_member_set_role (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
confab_team_member_class_init (ConfabTeamMemberClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = confab_team_member_finalize;
  object_class->get_property = confab_team_member_get_property;
  object_class->set_property = confab_team_member_set_property;

  properties[PROP_TEAM_ID] =
    g_param_spec_string ("team-id", N_("team"), NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);
  properties[PROP_AGENT_ID] =
    g_param_spec_string ("agent-id", N_("agent"), NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS);
  properties[PROP_POSITION] =
    g_param_spec_int ("position", N_("position"), NULL, 0, G_MAXINT, 0,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROLE] =
    g_param_spec_string ("role", N_("role"), NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_team_member_init (ConfabTeamMember *self)
{
}

ConfabTeamMember *
confab_team_member_new (const char *team_id,
                        const char *agent_id,
                        int         position,
                        const char *role)
{
  return g_object_new (CONFAB_TYPE_TEAM_MEMBER,
                       "team-id", team_id,
                       "agent-id", agent_id,
                       "position", MAX (position, 0),
                       "role", role,
                       NULL);
}

const char *
confab_team_member_get_team_id (ConfabTeamMember *self)
{
  g_return_val_if_fail (CONFAB_IS_TEAM_MEMBER (self), NULL);
  return self->team_id;
}

const char *
confab_team_member_get_agent_id (ConfabTeamMember *self)
{
  g_return_val_if_fail (CONFAB_IS_TEAM_MEMBER (self), NULL);
  return self->agent_id;
}

int
confab_team_member_get_position (ConfabTeamMember *self)
{
  g_return_val_if_fail (CONFAB_IS_TEAM_MEMBER (self), 0);
  return self->position;
}

void
confab_team_member_set_position (ConfabTeamMember *self,
                                 int               position)
{
  g_return_if_fail (CONFAB_IS_TEAM_MEMBER (self));
  g_return_if_fail (position >= 0);

  if (self->position == position)
    return;
  self->position = position;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_POSITION]);
}

const char *
confab_team_member_get_role (ConfabTeamMember *self)
{
  g_return_val_if_fail (CONFAB_IS_TEAM_MEMBER (self), NULL);
  return self->role;
}

void
confab_team_member_set_role (ConfabTeamMember *self,
                             const char       *role)
{
  g_return_if_fail (CONFAB_IS_TEAM_MEMBER (self));

  if (set_str (&self->role, role))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROLE]);
}
