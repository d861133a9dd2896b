#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "confab-error.h"
#include "confab-repository.h"
#include "confab-user.h"
#include "confab-util.h"

struct _ConfabUser
{
  ConfabEntity parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabUser, confab_user, CONFAB_TYPE_ENTITY)

enum {
  PROP_0,
  PROP_NAME,
  PROP_USERNAME,
  PROP_EMAIL,
  PROP_ROLE,
  PROP_SECTOR,
  PROP_PERSONA,
  PROP_IS_ACTIVE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char * const confab_user_roles[] = { "admin", "operator", "client", NULL };

static const char * const dependent_tables[] = {
  "conversations", "messages", "escalations", "knowledge_bases", "documents", "chunks",
  "agents", "teams", "prompts", NULL
};

static gboolean
confab_user_validate (ConfabEntity    *entity,
                      ConfabDatabase  *db,
                      GError         **error)
{
  ConfabUser *self = CONFAB_USER (entity);
  const char *email = confab_user_get_email (self);
  const char *username = confab_user_get_username (self);
  const char *id = confab_entity_get_id (entity);

  if (!confab_check_text (_("username"), username, 3, 30, error) ||
      !confab_check_text (_("name"), confab_user_get_name (self), 0, 200, error) ||
      !confab_check_enum (_("role"), confab_user_get_role (self), confab_user_roles, error))
    return FALSE;

  if (!confab_email_is_valid (email))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("“%s” is not a valid email address"), email ? email : "");
      return FALSE;
    }

  /* Checked here so a duplicate is a CONFLICT naming the value, not a raw
   * SQLite message; the UNIQUE index still guards concurrent writers. */
  if (confab_repository_exists (db, "users", "email COLLATE NOCASE", email, id, NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                   _("The email address “%s” is already used by another user"), email);
      return FALSE;
    }
  if (confab_repository_exists (db, "users", "username", username, id, NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                   _("The username “%s” is already taken"), username);
      return FALSE;
    }
  return TRUE;
}

static void
confab_user_class_init (ConfabUserClass *klass)
{
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  entity_class->table = "users";
  entity_class->entity_name = "user";
  entity_class->label = N_("user");
  entity_class->default_order = "name COLLATE NOCASE, username";
  entity_class->dependent_tables = dependent_tables;
  entity_class->validate = confab_user_validate;

  properties[PROP_NAME] = g_param_spec_string ("name", N_("name"), NULL, "", flags);
  properties[PROP_USERNAME] = g_param_spec_string ("username", N_("username"), NULL, NULL, flags);
  properties[PROP_EMAIL] = g_param_spec_string ("email", N_("email address"), NULL, NULL, flags);
  properties[PROP_ROLE] = g_param_spec_string ("role", N_("role"), NULL, "client", flags);
  properties[PROP_SECTOR] = g_param_spec_string ("sector", N_("sector"), NULL, NULL, flags);
  properties[PROP_PERSONA] = g_param_spec_string ("persona", N_("persona"), NULL, NULL, flags);
  properties[PROP_IS_ACTIVE] = g_param_spec_boolean ("is-active", N_("active"), NULL, TRUE, flags);
  confab_entity_class_install_columns (entity_class, N_PROPS, properties);
}

static void
confab_user_init (ConfabUser *self)
{
}

ConfabUser *
confab_user_new (const char *username,
                 const char *email)
{
  return g_object_new (CONFAB_TYPE_USER, "username", username, "email", email, NULL);
}

CONFAB_DEFINE_STRING_ACCESSORS (confab_user, ConfabUser, name, properties[PROP_NAME])
CONFAB_DEFINE_STRING_ACCESSORS (confab_user, ConfabUser, username, properties[PROP_USERNAME])
CONFAB_DEFINE_STRING_ACCESSORS (confab_user, ConfabUser, email, properties[PROP_EMAIL])
CONFAB_DEFINE_STRING_ACCESSORS (confab_user, ConfabUser, role, properties[PROP_ROLE])
CONFAB_DEFINE_STRING_ACCESSORS (confab_user, ConfabUser, sector, properties[PROP_SECTOR])
CONFAB_DEFINE_STRING_ACCESSORS (confab_user, ConfabUser, persona, properties[PROP_PERSONA])
CONFAB_DEFINE_BOOLEAN_ACCESSORS (confab_user, ConfabUser, is_active, properties[PROP_IS_ACTIVE])
