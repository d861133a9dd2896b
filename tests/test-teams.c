#include "config.h"

#include <string.h>

#include "confab-test-util.h"

#define ID(x) confab_entity_get_id (CONFAB_ENTITY (x))

static gint64
count_where (ConfabDatabase *db,
             const char     *format,
             ...) G_GNUC_PRINTF (2, 3);

static gint64
count_where (ConfabDatabase *db,
             const char     *format,
             ...)
{
  g_autofree char *sql = NULL;
  va_list args;

  va_start (args, format);
  sql = g_strdup_vprintf (format, args);
  va_end (args);
  return confab_test_count_rows (db, sql);
}

static ConfabAgent *
add_agent (ConfabDatabase *db,
           const char     *name)
{
  g_autoptr (GError) error = NULL;
  ConfabAgent *agent = confab_agent_new (name);

  g_assert_true (confab_repository_create (db, CONFAB_ENTITY (agent), NULL, &error));
  g_assert_no_error (error);
  return agent;
}

static ConfabTeam *
add_team (ConfabDatabase *db,
          const char     *name)
{
  g_autoptr (GError) error = NULL;
  ConfabTeam *team = confab_team_new (name);

  g_assert_true (confab_repository_create (db, CONFAB_ENTITY (team), NULL, &error));
  g_assert_no_error (error);
  return team;
}

/* The member agent ids, in order, joined with ",". */
static char *
member_list (ConfabDatabase *db,
             const char     *team_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) members = confab_team_list_members (db, team_id, &error);
  g_autoptr (GString) out = g_string_new (NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < members->len; i++)
    {
      ConfabTeamMember *member = g_ptr_array_index (members, i);

      g_assert_cmpstr (confab_team_member_get_team_id (member), ==, team_id);
      g_string_append_printf (out, "%s%s", i ? "," : "", confab_team_member_get_agent_id (member));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
test_create_get (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) owner = confab_test_add_user (ws->db, "owner");
  g_autoptr (ConfabTeam) team = confab_team_new ("Front desk");
  g_autoptr (ConfabTeam) loaded = NULL;
  g_autoptr (ConfabTeam) plain = NULL;
  g_autoptr (GError) error = NULL;

  confab_team_set_description (team, "Routes questions to the right agent");
  confab_team_set_mode (team, "round_robin");
  confab_team_set_max_turns (team, 6);
  confab_team_set_owner_id (team, ID (owner));
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (team), ID (owner), &error));
  g_assert_no_error (error);
  g_assert_true (g_uuid_string_is_valid (ID (team)));

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_TEAM, ID (team), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_team_get_name (loaded), ==, "Front desk");
  g_assert_cmpstr (confab_team_get_description (loaded), ==, "Routes questions to the right agent");
  g_assert_cmpstr (confab_team_get_mode (loaded), ==, "round_robin");
  g_assert_cmpint (confab_team_get_max_turns (loaded), ==, 6);
  g_assert_cmpstr (confab_team_get_owner_id (loaded), ==, ID (owner));

  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity = 'team' "
                                        "AND entity_id = '%s' AND action = 'create' AND actor_id = '%s' "
                                        "AND json_extract (details, '$.fields.mode') = 'round_robin' "
                                        "AND json_extract (details, '$.fields.max_turns') = 6",
                                ID (team), ID (owner)), ==, 1);

  /* Defaults. */
  plain = add_team (ws->db, "Plain");
  g_clear_object (&loaded);
  loaded = confab_repository_get (ws->db, CONFAB_TYPE_TEAM, ID (plain), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_team_get_mode (loaded), ==, "router");
  g_assert_cmpint (confab_team_get_max_turns (loaded), ==, 1);
  g_assert_null (confab_team_get_owner_id (loaded));
  g_assert_null (confab_team_get_description (loaded));

  g_assert_cmpuint (g_strv_length ((char **) confab_team_modes), ==, 3);
  g_assert_true (g_strv_contains (confab_team_modes, "router"));
  g_assert_true (g_strv_contains (confab_team_modes, "sequential"));
  g_assert_true (g_strv_contains (confab_team_modes, "round_robin"));
}

static void
expect_refused (ConfabDatabase *db,
                ConfabTeam     *team,
                int             code,
                const char     *needle)
{
  g_autoptr (GError) error = NULL;
  gint64 before = confab_test_count_rows (db, "SELECT count(*) FROM teams");

  if (confab_repository_create (db, CONFAB_ENTITY (team), NULL, &error))
    g_error ("The team “%s” was accepted", confab_team_get_name (team));
  g_assert_error (error, CONFAB_ERROR, code);
  if (needle != NULL && strstr (error->message, needle) == NULL)
    g_error ("“%s” does not name “%s”", error->message, needle);
  g_assert_cmpint (confab_test_count_rows (db, "SELECT count(*) FROM teams"), ==, before);
  g_assert_null (ID (team));
  g_object_unref (team);
}

static ConfabTeam *
team_with (const char *name,
           const char *mode,
           int         max_turns,
           const char *owner_id)
{
  ConfabTeam *team = confab_team_new (name);

  if (mode != NULL)
    confab_team_set_mode (team, mode);
  if (max_turns != 0)
    confab_team_set_max_turns (team, max_turns);
  confab_team_set_owner_id (team, owner_id);
  return team;
}

static void
test_validation (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autofree char *long_name = g_strnfill (101, 't');
  g_autofree char *name_100 = g_strnfill (100, 'u');
  g_autoptr (ConfabTeam) low = NULL;
  g_autoptr (ConfabTeam) high = NULL;
  g_autoptr (ConfabTeam) zero = confab_team_new ("Zero");
  g_autoptr (GError) error = NULL;

  expect_refused (ws->db, team_with ("", NULL, 0, NULL), CONFAB_ERROR_INVALID, "name");
  expect_refused (ws->db, team_with (NULL, NULL, 0, NULL), CONFAB_ERROR_INVALID, "name");
  expect_refused (ws->db, team_with (long_name, NULL, 0, NULL), CONFAB_ERROR_INVALID, "101");
  expect_refused (ws->db, team_with ("T", "chaos", 0, NULL), CONFAB_ERROR_INVALID, "chaos");
  expect_refused (ws->db, team_with ("T", "Router", 0, NULL), CONFAB_ERROR_INVALID, "Router");
  expect_refused (ws->db, team_with ("T", NULL, 101, NULL), CONFAB_ERROR_INVALID, "101");
  expect_refused (ws->db, team_with ("T", NULL, -1, NULL), CONFAB_ERROR_INVALID, "-1");
  expect_refused (ws->db, team_with ("T", NULL, 0, "ghost-user"), CONFAB_ERROR_INVALID, "ghost-user");

  confab_team_set_max_turns (zero, 0);
  g_assert_false (confab_repository_create (ws->db, CONFAB_ENTITY (zero), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "turns"));
  g_clear_error (&error);

  low = team_with (name_100, "sequential", 1, NULL);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (low), NULL, &error));
  g_assert_no_error (error);
  high = team_with (name_100, "round_robin", 100, NULL);
  g_assert_true (confab_repository_create (ws->db, CONFAB_ENTITY (high), NULL, &error));
  g_assert_no_error (error);
}

static void
test_update_and_delete (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) admin = confab_test_add_user (ws->db, "admin");
  g_autoptr (ConfabTeam) team = add_team (ws->db, "Desk");
  g_autoptr (ConfabAgent) a = add_agent (ws->db, "A");
  g_autoptr (ConfabTeam) loaded = NULL;
  g_autoptr (GError) error = NULL;
  const char *ids[] = { ID (a), NULL };
  const char *id = ID (team);

  confab_team_set_name (team, "Help desk");
  confab_team_set_description (team, "Now sequential");
  confab_team_set_mode (team, "sequential");
  confab_team_set_max_turns (team, 3);
  confab_team_set_owner_id (team, ID (admin));
  g_assert_true (confab_repository_update (ws->db, CONFAB_ENTITY (team), ID (admin), &error));
  g_assert_no_error (error);

  loaded = confab_repository_get (ws->db, CONFAB_TYPE_TEAM, id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_team_get_name (loaded), ==, "Help desk");
  g_assert_cmpstr (confab_team_get_description (loaded), ==, "Now sequential");
  g_assert_cmpstr (confab_team_get_mode (loaded), ==, "sequential");
  g_assert_cmpint (confab_team_get_max_turns (loaded), ==, 3);
  g_assert_cmpstr (confab_team_get_owner_id (loaded), ==, ID (admin));
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity = 'team' "
                                        "AND entity_id = '%s' AND action = 'update' AND actor_id = '%s' "
                                        "AND json_extract (details, '$.changed.mode.from') = 'router' "
                                        "AND json_extract (details, '$.changed.mode.to') = 'sequential' "
                                        "AND json_extract (details, '$.changed.max_turns.to') = 3 "
                                        "AND json_extract (details, '$.changed.name.from') = 'Desk'",
                                id, ID (admin)), ==, 1);

  confab_team_set_max_turns (loaded, 500);
  g_assert_false (confab_repository_update (ws->db, CONFAB_ENTITY (loaded), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "500"));
  g_clear_error (&error);
  g_assert_cmpint (count_where (ws->db, "SELECT max_turns FROM teams WHERE id = '%s'", id), ==, 3);

  /* Deleting the team takes its member rows with it, not the agents. */
  g_assert_true (confab_team_set_members (ws->db, id, ids, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_TEAM, id, ID (admin), &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM team_members WHERE team_id = '%s'", id), ==, 0);
  g_assert_cmpint (confab_test_count_rows (ws->db, "SELECT count(*) FROM agents"), ==, 1);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity = 'team' "
                                        "AND entity_id = '%s' AND action = 'delete' "
                                        "AND json_extract (details, '$.fields.name') = 'Help desk'", id), ==, 1);

  g_assert_null (confab_team_list_members (ws->db, id, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, id));
}

static void
on_changed (ConfabDatabase *db,
            const char     *table,
            const char     *id,
            const char     *action,
            gpointer        data)
{
  guint *count = data;

  g_assert_cmpstr (table, ==, "team_members");
  (*count)++;
}

static void
test_members (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) admin = confab_test_add_user (ws->db, "admin");
  g_autoptr (ConfabTeam) team = add_team (ws->db, "Desk");
  g_autoptr (ConfabTeam) other = add_team (ws->db, "Other");
  g_autoptr (ConfabAgent) a = add_agent (ws->db, "A");
  g_autoptr (ConfabAgent) b = add_agent (ws->db, "B");
  g_autoptr (ConfabAgent) c = add_agent (ws->db, "C");
  g_autoptr (GPtrArray) members = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *list = NULL;
  g_autofree char *expected = NULL;
  const char *first[] = { ID (c), ID (a), ID (b), NULL };
  const char *first_roles[] = { "router", "", "billing", NULL };
  const char *second[] = { ID (b), ID (c), NULL };
  const char *dup[] = { ID (a), ID (b), ID (a), NULL };
  const char *ghost[] = { ID (a), "ghost-agent", NULL };
  const char *in_other[] = { ID (a), NULL };
  const char *id = ID (team);
  guint changes = 0;

  members = confab_team_list_members (ws->db, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (members->len, ==, 0);
  g_clear_pointer (&members, g_ptr_array_unref);

  g_signal_connect (ws->db, "changed::team_members", G_CALLBACK (on_changed), &changes);
  g_assert_true (confab_team_set_members (ws->db, id, first, first_roles, ID (admin), &error));
  g_assert_no_error (error);
  g_assert_cmpuint (changes, ==, 1);

  members = confab_team_list_members (ws->db, id, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (members->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      ConfabTeamMember *member = g_ptr_array_index (members, i);

      g_assert_cmpstr (confab_team_member_get_agent_id (member), ==, first[i]);
      g_assert_cmpint (confab_team_member_get_position (member), ==, i);
    }
  g_assert_cmpstr (confab_team_member_get_role (g_ptr_array_index (members, 0)), ==, "router");
  g_assert_null (confab_team_member_get_role (g_ptr_array_index (members, 1)));
  g_assert_cmpstr (confab_team_member_get_role (g_ptr_array_index (members, 2)), ==, "billing");
  g_clear_pointer (&members, g_ptr_array_unref);

  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity = 'team' "
                                        "AND entity_id = '%s' AND action = 'update' AND actor_id = '%s' "
                                        "AND json_extract (details, '$.members') = json_array ('%s', '%s', '%s')",
                                id, ID (admin), ID (c), ID (a), ID (b)), ==, 1);

  /* Replacing the list drops members not named and reorders the rest. */
  g_assert_true (confab_team_set_members (ws->db, id, second, NULL, NULL, &error));
  g_assert_no_error (error);
  list = member_list (ws->db, id);
  expected = g_strjoinv (",", (char **) second);
  g_assert_cmpstr (list, ==, expected);
  g_clear_pointer (&list, g_free);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM team_members WHERE team_id = '%s' "
                                        "AND role IS NULL", id), ==, 2);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity = 'team' "
                                        "AND entity_id = '%s' AND json_array_length (details, '$.members') = 2",
                                id), ==, 1);

  /* Refused lists change nothing and announce nothing. */
  g_assert_false (confab_team_set_members (ws->db, id, dup, NULL, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, ID (a)));
  g_clear_error (&error);
  g_assert_false (confab_team_set_members (ws->db, id, ghost, NULL, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "ghost-agent"));
  g_clear_error (&error);
  g_assert_false (confab_team_set_members (ws->db, "ghost-team", second, NULL, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "ghost-team"));
  g_clear_error (&error);
  list = member_list (ws->db, id);
  g_assert_cmpstr (list, ==, expected);
  g_clear_pointer (&list, g_free);
  g_assert_cmpuint (changes, ==, 2);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity = 'team' "
                                        "AND action = 'update'"), ==, 2);

  /* An agent can be in many teams. */
  g_assert_true (confab_team_set_members (ws->db, ID (other), in_other, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (confab_team_set_members (ws->db, id, first, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM team_members WHERE agent_id = '%s'", ID (a)), ==, 2);

  /* Deleting an agent removes it from its teams; the others keep their order. */
  g_assert_true (confab_repository_delete (ws->db, CONFAB_TYPE_AGENT, ID (a), NULL, &error));
  g_assert_no_error (error);
  list = member_list (ws->db, id);
  g_clear_pointer (&expected, g_free);
  expected = g_strdup_printf ("%s,%s", ID (c), ID (b));
  g_assert_cmpstr (list, ==, expected);
  g_clear_pointer (&list, g_free);
  list = member_list (ws->db, ID (other));
  g_assert_cmpstr (list, ==, "");
  g_clear_pointer (&list, g_free);

  /* An empty list clears the team. */
  g_assert_true (confab_team_set_members (ws->db, id, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  list = member_list (ws->db, id);
  g_assert_cmpstr (list, ==, "");
  g_assert_cmpint (count_where (ws->db, "SELECT count(*) FROM audit_log WHERE entity = 'team' "
                                        "AND entity_id = '%s' AND json_array_length (details, '$.members') = 0",
                                id), ==, 1);
}

static void
test_roles_shorter (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabTeam) team = add_team (ws->db, "Desk");
  g_autoptr (ConfabAgent) a = add_agent (ws->db, "A");
  g_autoptr (ConfabAgent) b = add_agent (ws->db, "B");
  g_autoptr (GPtrArray) members = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *long_role = g_strnfill (101, 'r');
  const char *ids[] = { ID (a), ID (b), NULL };
  const char *roles[] = { "lead", NULL };
  const char *bad_roles[] = { long_role, NULL };

  /* A roles vector that ends early gives the remaining members no role. */
  g_assert_true (confab_team_set_members (ws->db, ID (team), ids, roles, NULL, &error));
  g_assert_no_error (error);
  members = confab_team_list_members (ws->db, ID (team), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (members->len, ==, 2);
  g_assert_cmpstr (confab_team_member_get_role (g_ptr_array_index (members, 0)), ==, "lead");
  g_assert_null (confab_team_member_get_role (g_ptr_array_index (members, 1)));

  g_assert_false (confab_team_set_members (ws->db, ID (team), ids, bad_roles, NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "role"));
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           gpointer    data)
{
  g_ptr_array_add (data, g_strdup (pspec->name));
}

static void
test_member_object (void)
{
  g_autoptr (ConfabTeamMember) member = confab_team_member_new ("team-1", "agent-1", 2, "lead");
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *team_id = NULL;
  g_autofree char *role = NULL;
  int position = -1;
  GParamSpec *pspec;

  g_assert_cmpstr (confab_team_member_get_team_id (member), ==, "team-1");
  g_assert_cmpstr (confab_team_member_get_agent_id (member), ==, "agent-1");
  g_assert_cmpint (confab_team_member_get_position (member), ==, 2);
  g_assert_cmpstr (confab_team_member_get_role (member), ==, "lead");

  g_signal_connect (member, "notify", G_CALLBACK (on_notify), names);
  confab_team_member_set_position (member, 2); /* same value: no notify */
  confab_team_member_set_role (member, "lead");
  confab_team_member_set_position (member, 0);
  confab_team_member_set_role (member, NULL);
  g_object_set (member, "role", "backup", NULL);
  g_assert_cmpuint (names->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (names, 0), ==, "position");
  g_assert_cmpstr (g_ptr_array_index (names, 1), ==, "role");
  g_assert_cmpstr (g_ptr_array_index (names, 2), ==, "role");

  g_object_get (member, "team-id", &team_id, "role", &role, "position", &position, NULL);
  g_assert_cmpstr (team_id, ==, "team-1");
  g_assert_cmpstr (role, ==, "backup");
  g_assert_cmpint (position, ==, 0);

  /* Which team and agent a member is cannot change after construction. */
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (member), "agent-id");
  g_assert_nonnull (pspec);
  g_assert_true ((pspec->flags & G_PARAM_CONSTRUCT_ONLY) != 0);
  g_assert_true ((g_object_class_find_property (G_OBJECT_GET_CLASS (member), "position")->flags &
                  G_PARAM_EXPLICIT_NOTIFY) != 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/teams/create-get", test_create_get);
  g_test_add_func ("/confab/teams/validation", test_validation);
  g_test_add_func ("/confab/teams/update-delete", test_update_and_delete);
  g_test_add_func ("/confab/teams/members", test_members);
  g_test_add_func ("/confab/teams/roles-shorter", test_roles_shorter);
  g_test_add_func ("/confab/teams/member-object", test_member_object);
  return g_test_run ();
}
