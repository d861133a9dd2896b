#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "confab-cli-common.h"

static int
users_list (ConfabCli  *cli,
            int         argc,
            char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) users = NULL;
  g_autofree char *role = NULL;
  gboolean json = FALSE;
  int status;
  GOptionEntry entries[] = {
    { "role", 0, 0, G_OPTION_ARG_STRING, &role, N_("Only users with this role (admin, operator, client)"), N_("ROLE") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON array"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context, _("List the users of the workspace: id, username, name, email, role, sector, active."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return confab_cli_usage (context, _("users list takes no arguments"));
  if (role != NULL && !confab_check_enum (_("role"), role, confab_user_roles, &error))
    return confab_cli_usage (context, error->message);

  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);
  users = confab_repository_list (cli->db, CONFAB_TYPE_USER, role ? "role" : NULL, role, &error);
  if (users == NULL)
    return confab_cli_fail (error);

  if (json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < users->len; i++)
        {
          ConfabUser *u = g_ptr_array_index (users, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_string_value (builder, confab_entity_get_id (CONFAB_ENTITY (u)));
          json_builder_set_member_name (builder, "username");
          json_builder_add_string_value (builder, confab_user_get_username (u));
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, confab_user_get_name (u));
          json_builder_set_member_name (builder, "email");
          json_builder_add_string_value (builder, confab_user_get_email (u));
          json_builder_set_member_name (builder, "role");
          json_builder_add_string_value (builder, confab_user_get_role (u));
          json_builder_set_member_name (builder, "sector");
          json_builder_add_string_value (builder, confab_user_get_sector (u));
          json_builder_set_member_name (builder, "is_active");
          json_builder_add_boolean_value (builder, confab_user_get_is_active (u));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      text = json_to_string (root, TRUE);
      g_print ("%s\n", text);
      return CONFAB_CLI_OK;
    }

  for (guint i = 0; i < users->len; i++)
    {
      ConfabUser *u = g_ptr_array_index (users, i);

      confab_cli_print_row (confab_entity_get_id (CONFAB_ENTITY (u)),
                            confab_user_get_username (u),
                            CONFAB_CLI_STR (confab_user_get_name (u)),
                            confab_user_get_email (u),
                            confab_user_get_role (u),
                            CONFAB_CLI_STR (confab_user_get_sector (u)),
                            confab_user_get_is_active (u) ? "active" : "inactive",
                            NULL);
    }
  return CONFAB_CLI_OK;
}

static int
users_add (ConfabCli  *cli,
           int         argc,
           char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autofree char *username = NULL;
  g_autofree char *email = NULL;
  g_autofree char *name = NULL;
  g_autofree char *role = NULL;
  g_autofree char *sector = NULL;
  g_autofree char *persona = NULL;
  gboolean inactive = FALSE;
  int status;
  GOptionEntry entries[] = {
    { "username", 'u', 0, G_OPTION_ARG_STRING, &username, N_("Username, 3 to 30 characters (required)"), N_("NAME") },
    { "email", 'e', 0, G_OPTION_ARG_STRING, &email, N_("Email address (required)"), N_("EMAIL") },
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name, N_("Full name"), N_("NAME") },
    { "role", 'r', 0, G_OPTION_ARG_STRING, &role, N_("admin, operator or client (default: client)"), N_("ROLE") },
    { "sector", 0, 0, G_OPTION_ARG_STRING, &sector, N_("Business sector"), N_("SECTOR") },
    { "persona", 0, 0, G_OPTION_ARG_STRING, &persona, N_("Persona"), N_("PERSONA") },
    { "inactive", 0, 0, G_OPTION_ARG_NONE, &inactive, N_("Create the user as inactive"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context, _("Add a user to the workspace and print its id."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return confab_cli_usage (context, _("unexpected argument; use the options"));
  if (username == NULL || email == NULL)
    return confab_cli_usage (context, _("--username and --email are required"));

  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);

  user = confab_user_new (username, email);
  if (name != NULL)
    confab_user_set_name (user, name);
  if (role != NULL)
    confab_user_set_role (user, role);
  confab_user_set_sector (user, sector);
  confab_user_set_persona (user, persona);
  confab_user_set_is_active (user, !inactive);

  if (!confab_repository_create (cli->db, CONFAB_ENTITY (user), NULL, &error))
    return confab_cli_fail (error);
  g_print ("%s\n", confab_entity_get_id (CONFAB_ENTITY (user)));
  return CONFAB_CLI_OK;
}

int
confab_cli_users (ConfabCli  *cli,
                  int         argc,
                  char      **argv)
{
  static const char * const names[] = { "list", "add", NULL };
  static const ConfabCliCommand commands[] = { users_list, users_add };

  return confab_cli_dispatch (cli, "users", names, commands,
                              _("Commands:\n  list   List the users\n  add    Add a user"),
                              argc, argv);
}
