#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "confab-cli-common.h"
#include "confab-secret-store.h"

/* confab-cli providers: the providers table and the keys in the keyring.
 * A key only ever enters through standard input (set-key) and only ever
 * leaves towards the keyring (ConfabSecretStore): it is never an argument,
 * never printed, and never part of a message. */

/* Longest key accepted on standard input. */
#define MAX_KEY_LENGTH (64 * 1024)

/* list */

typedef enum
{
  KEY_UNKNOWN = -1,
  KEY_NO = 0,
  KEY_YES = 1,
} KeyState;

static const char *
yes_no (gboolean value)
{
  return value ? "yes" : "no";
}

static void
add_string_member (JsonBuilder *builder,
                   const char  *name,
                   const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_provider_json (JsonBuilder    *builder,
                   ConfabProvider *provider,
                   KeyState        key)
{
  ConfabEntity *entity = CONFAB_ENTITY (provider);

  json_builder_begin_object (builder);
  add_string_member (builder, "id", confab_entity_get_id (entity));
  add_string_member (builder, "name", confab_provider_get_name (provider));
  add_string_member (builder, "kind", confab_provider_get_kind (provider));
  add_string_member (builder, "base_url", confab_provider_get_base_url (provider));
  add_string_member (builder, "default_model", confab_provider_get_default_model (provider));
  json_builder_set_member_name (builder, "context_window");
  json_builder_add_int_value (builder, confab_provider_get_context_window (provider));
  json_builder_set_member_name (builder, "supports_streaming");
  json_builder_add_boolean_value (builder, confab_provider_get_supports_streaming (provider));
  /* Whether a key is stored, never the key; null when no keyring answered. */
  json_builder_set_member_name (builder, "has_key");
  if (key == KEY_UNKNOWN)
    json_builder_add_null_value (builder);
  else
    json_builder_add_boolean_value (builder, key == KEY_YES);
  add_string_member (builder, "created_at", confab_entity_get_created_at (entity));
  add_string_member (builder, "updated_at", confab_entity_get_updated_at (entity));
  json_builder_end_object (builder);
}

static int
providers_list (ConfabCli  *cli,
                int         argc,
                char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) providers = NULL;
  g_autoptr (ConfabSecretStore) store = NULL;
  g_autofree KeyState *keys = NULL;
  gboolean keyring_ok = TRUE;
  gboolean json = FALSE;
  int status;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON array"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("List the providers of the workspace: id, name, kind, base URL, "
                                  "default model, streaming, and whether an API key is stored in "
                                  "the keyring (the key itself is never shown)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return confab_cli_usage (context, _("providers list takes no arguments"));

  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);
  providers = confab_repository_list (cli->db, CONFAB_TYPE_PROVIDER, NULL, NULL, &error);
  if (providers == NULL)
    return confab_cli_fail (error);

  /* Ask the keyring whether each provider has a key. Without a keyring the
   * list is still printed, with the key state unknown. */
  store = confab_secret_store_new ();
  keys = g_new (KeyState, MAX (providers->len, 1));
  for (guint i = 0; i < providers->len; i++)
    {
      ConfabEntity *entity = g_ptr_array_index (providers, i);
      gboolean has_key = FALSE;

      keys[i] = KEY_UNKNOWN;
      if (!keyring_ok)
        continue;
      if (confab_secret_store_has_key_sync (store, confab_entity_get_id (entity), &has_key,
                                            NULL, &error))
        keys[i] = has_key ? KEY_YES : KEY_NO;
      else
        {
          g_printerr (_("confab-cli: warning: %s\n"), error->message);
          g_clear_error (&error);
          keyring_ok = FALSE;
        }
    }

  if (json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < providers->len; i++)
        add_provider_json (builder, g_ptr_array_index (providers, i), keys[i]);
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      text = json_to_string (root, TRUE);
      g_print ("%s\n", text);
      return CONFAB_CLI_OK;
    }

  for (guint i = 0; i < providers->len; i++)
    {
      ConfabProvider *provider = g_ptr_array_index (providers, i);
      gboolean streams = confab_provider_get_supports_streaming (provider);
      g_autofree char *streaming = g_strdup_printf ("streaming: %s", yes_no (streams));
      g_autofree char *key = g_strdup_printf ("key: %s", keys[i] == KEY_UNKNOWN ?
                                                         "unknown" : yes_no (keys[i] == KEY_YES));

      confab_cli_print_row (confab_entity_get_id (CONFAB_ENTITY (provider)),
                            CONFAB_CLI_STR (confab_provider_get_name (provider)),
                            CONFAB_CLI_STR (confab_provider_get_kind (provider)),
                            CONFAB_CLI_STR (confab_provider_get_base_url (provider)),
                            CONFAB_CLI_STR (confab_provider_get_default_model (provider)),
                            streaming,
                            key,
                            NULL);
    }
  return CONFAB_CLI_OK;
}

/* add */

static int
providers_add (ConfabCli  *cli,
               int         argc,
               char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabProvider) provider = NULL;
  g_autofree char *name = NULL;
  g_autofree char *kind = NULL;
  g_autofree char *base_url = NULL;
  g_autofree char *model = NULL;
  g_autofree char *context_window = NULL;
  g_autofree char *kinds = g_strjoinv (", ", (char **) confab_provider_kinds);
  g_autofree char *kind_help = NULL;
  gint64 context_window_value = 0;
  gboolean no_streaming = FALSE;
  int status;
  GOptionEntry entries[] = {
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name,
      N_("Name, 1 to 100 characters, unique in the workspace (required)"), N_("NAME") },
    { "kind", 'k', 0, G_OPTION_ARG_STRING, &kind,
      NULL /* set below */, N_("KIND") },
    { "base-url", 'u', 0, G_OPTION_ARG_STRING, &base_url,
      N_("The API's base address, such as https://api.openai.com/v1 (required)"), N_("URL") },
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model,
      N_("Model used when an agent names none"), N_("MODEL") },
    { "context-window", 0, 0, G_OPTION_ARG_STRING, &context_window,
      N_("Context window in tokens (default: 8192)"), N_("N") },
    { "no-streaming", 0, 0, G_OPTION_ARG_NONE, &no_streaming,
      N_("The provider cannot stream replies: send one request and wait"), NULL },
    { NULL }
  };

  kind_help = g_strdup_printf (_("One of %s (required)"), kinds);
  entries[1].description = kind_help;

  g_option_context_set_summary (context,
                                _("Add an LLM provider to the workspace and print its id. Its API "
                                  "key is set separately, from standard input, with "
                                  "“confab-cli providers set-key NAME”."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return confab_cli_usage (context, _("unexpected argument; use the options"));
  if (name == NULL || kind == NULL || base_url == NULL)
    return confab_cli_usage (context, _("--name, --kind and --base-url are required"));
  if (!confab_check_enum (_("provider kind"), kind, confab_provider_kinds, &error))
    return confab_cli_usage (context, error->message);
  if (context_window != NULL &&
      !g_ascii_string_to_signed (context_window, 10, G_MININT, G_MAXINT,
                                 &context_window_value, NULL))
    {
      g_autofree char *message =
        g_strdup_printf (_("“%s” is not a whole number (--context-window)"), context_window);
      return confab_cli_usage (context, message);
    }

  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);

  provider = confab_provider_new (name, kind, base_url);
  confab_provider_set_default_model (provider, model);
  if (context_window != NULL)
    confab_provider_set_context_window (provider, (int) context_window_value);
  confab_provider_set_supports_streaming (provider, !no_streaming);

  if (!confab_repository_create (cli->db, CONFAB_ENTITY (provider), NULL, &error))
    return confab_cli_fail (error);
  g_print ("%s\n", confab_entity_get_id (CONFAB_ENTITY (provider)));
  return CONFAB_CLI_OK;
}

/* remove */

static int
providers_remove (ConfabCli  *cli,
                  int         argc,
                  char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("ID|NAME"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (ConfabSecretStore) store = NULL;
  g_autofree char *id = NULL;
  gboolean force = FALSE;
  int status;
  GOptionEntry entries[] = {
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
      N_("Remove the provider even when no keyring is reachable; a key it may have stays "
         "in the keyring"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Remove a provider, given by id or name, and its API key. Agents "
                                  "that used it keep their settings but lose the provider."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("providers remove needs one provider id or name"));

  provider = confab_cli_find_provider (cli, argv[1], &error);
  if (provider == NULL)
    return confab_cli_fail (error);
  id = g_strdup (confab_entity_get_id (CONFAB_ENTITY (provider)));

  store = confab_secret_store_new ();
  if (!confab_provider_delete_with_key (cli->db, store, id, NULL, &error))
    {
      if (!g_error_matches (error, CONFAB_ERROR, CONFAB_ERROR_KEYRING))
        return confab_cli_fail (error);
      if (!force)
        {
          confab_cli_fail (error);
          g_printerr (_("confab-cli: to remove the provider anyway, leaving any key it has in "
                        "the keyring, add --force\n"));
          return CONFAB_CLI_ERROR;
        }

      /* Asked for: remove the row and say what may be left behind. */
      g_clear_error (&error);
      if (!confab_repository_delete (cli->db, CONFAB_TYPE_PROVIDER, id, NULL, &error))
        return confab_cli_fail (error);
      g_printerr (_("confab-cli: warning: the keyring could not be used, so an API key that the "
                    "provider “%s” had may still be in it; the provider was removed anyway "
                    "(--force). Remove the key with Passwords and Keys once the keyring is "
                    "available.\n"),
                  confab_provider_get_name (provider));
      return CONFAB_CLI_OK;
    }

  g_print (_("Removed the provider “%s” and its API key\n"), confab_provider_get_name (provider));
  return CONFAB_CLI_OK;
}

/* set-key */

static void
wipe (char   *data,
      gsize   len)
{
  volatile char *p = data;

  while (len-- > 0)
    *p++ = '\0';
}

/* The terminal's settings while echo is off, restored on a signal too. */
static struct termios saved_termios;
static volatile sig_atomic_t termios_saved;

static void
restore_echo (void)
{
  if (termios_saved)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved_termios);
      termios_saved = 0;
    }
}

static void
restore_echo_and_die (int signum)
{
  restore_echo ();
  signal (signum, SIG_DFL);
  raise (signum);
}

static void
disable_echo (void)
{
  struct termios noecho;

  if (tcgetattr (STDIN_FILENO, &saved_termios) != 0)
    return;
  termios_saved = 1;
  signal (SIGINT, restore_echo_and_die);
  signal (SIGTERM, restore_echo_and_die);
  signal (SIGHUP, restore_echo_and_die);
  signal (SIGQUIT, restore_echo_and_die);

  noecho = saved_termios;
  noecho.c_lflag &= ~(ECHO | ECHONL);
  noecho.c_lflag |= ICANON;
  if (tcsetattr (STDIN_FILENO, TCSAFLUSH, &noecho) != 0)
    termios_saved = 0;
}

/* Reads the first line of standard input into a buffer that is wiped when
 * it grows and when the caller is done with it (wipe + g_free). The
 * trailing "\n" or "\r\n" is not part of the key. */
static char *
read_key (GError **error)
{
  gsize capacity = 128;
  gsize len = 0;
  char *key = g_malloc (capacity);
  gboolean done = FALSE;

  while (!done)
    {
      char c;
      gssize n = read (STDIN_FILENO, &c, 1);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          wipe (key, capacity);
          g_free (key);
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Could not read the API key from standard input: %s"),
                       g_strerror (saved));
          return NULL;
        }
      if (n == 0 || c == '\n')
        break;

      if (len + 2 > capacity)
        {
          char *bigger;

          if (capacity >= MAX_KEY_LENGTH)
            {
              wipe (key, capacity);
              g_free (key);
              g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                           _("The API key on standard input is longer than %d bytes"),
                           MAX_KEY_LENGTH);
              return NULL;
            }
          bigger = g_malloc (capacity * 2);
          memcpy (bigger, key, len);
          wipe (key, capacity);
          g_free (key);
          key = bigger;
          capacity *= 2;
        }
      key[len++] = c;
    }

  if (len > 0 && key[len - 1] == '\r')
    len--;
  key[len] = '\0';

  if (memchr (key, '\0', len) != NULL)
    {
      wipe (key, capacity);
      g_free (key);
      g_set_error_literal (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                           _("The API key on standard input contains a NUL byte"));
      return NULL;
    }
  return key;
}

static void
free_key (char *key)
{
  if (key != NULL)
    {
      wipe (key, strlen (key));
      g_free (key);
    }
}

static int
providers_set_key (ConfabCli  *cli,
                   int         argc,
                   char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("ID|NAME"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (ConfabSecretStore) store = NULL;
  const char *name;
  gboolean interactive;
  gboolean ok;
  char *key;
  int status;

  g_option_context_set_summary (context,
                                _("Store the API key of a provider, given by id or name, in the "
                                  "keyring, replacing any key it had. The key is read from the "
                                  "first line of standard input, never from the command line; "
                                  "on a terminal it is asked for without being shown."));
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  /* The extra argument may well be the key: it is not repeated. */
  if (argc > 2)
    return confab_cli_usage (context, _("providers set-key takes only the provider; the key is "
                                        "read from standard input, never from the command line"));
  if (argc != 2)
    return confab_cli_usage (context, _("providers set-key needs one provider id or name"));

  provider = confab_cli_find_provider (cli, argv[1], &error);
  if (provider == NULL)
    return confab_cli_fail (error);
  name = confab_provider_get_name (provider);

  interactive = isatty (STDIN_FILENO);
  if (interactive)
    {
      /* Echo goes off before the prompt, so nothing typed after it shows. */
      disable_echo ();
      g_printerr (_("API key for “%s”: "), name);
    }
  key = read_key (&error);
  if (interactive)
    {
      restore_echo ();
      g_printerr ("\n");
    }
  if (key == NULL)
    return confab_cli_fail (error);
  if (*key == '\0')
    {
      free_key (key);
      g_printerr (_("confab-cli: no API key was given on standard input for “%s”\n"), name);
      return CONFAB_CLI_ERROR;
    }

  store = confab_secret_store_new ();
  ok = confab_secret_store_store_sync (store, confab_entity_get_id (CONFAB_ENTITY (provider)),
                                       name, key, NULL, &error);
  free_key (key);
  if (!ok)
    return confab_cli_fail (error);

  g_print (_("Stored the API key for “%s” in the keyring\n"), name);
  return CONFAB_CLI_OK;
}

/* remove-key */

static int
providers_remove_key (ConfabCli  *cli,
                      int         argc,
                      char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("ID|NAME"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (ConfabSecretStore) store = NULL;
  const char *id;
  const char *name;
  gboolean has_key = FALSE;
  int status;

  g_option_context_set_summary (context,
                                _("Remove the API key of a provider, given by id or name, from "
                                  "the keyring. The provider stays."));
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("providers remove-key needs one provider id or name"));

  provider = confab_cli_find_provider (cli, argv[1], &error);
  if (provider == NULL)
    return confab_cli_fail (error);
  id = confab_entity_get_id (CONFAB_ENTITY (provider));
  name = confab_provider_get_name (provider);

  store = confab_secret_store_new ();
  if (!confab_secret_store_has_key_sync (store, id, &has_key, NULL, &error) ||
      (has_key && !confab_secret_store_delete_sync (store, id, NULL, &error)))
    return confab_cli_fail (error);

  if (has_key)
    g_print (_("Removed the API key for “%s” from the keyring\n"), name);
  else
    g_print (_("“%s” has no API key in the keyring\n"), name);
  return CONFAB_CLI_OK;
}

/* Dispatch */

/* One row per command: adding a command ("test", "models") is one entry. */
static const struct
{
  const char       *name;
  ConfabCliCommand  run;
  const char       *summary;
} provider_commands[] = {
  { "list", providers_list, N_("List the providers and whether each has a key") },
  { "add", providers_add, N_("Add a provider") },
  { "remove", providers_remove, N_("Remove a provider and its key") },
  { "set-key", providers_set_key, N_("Store a provider's API key, read from standard input") },
  { "remove-key", providers_remove_key, N_("Remove a provider's API key from the keyring") },
  { "test", confab_cli_providers_test, N_("Check that a provider answers and accepts its key") },
  { "models", confab_cli_providers_models, N_("List the models a provider offers") },
};

int
confab_cli_providers (ConfabCli  *cli,
                      int         argc,
                      char      **argv)
{
  const char *names[G_N_ELEMENTS (provider_commands) + 1];
  ConfabCliCommand commands[G_N_ELEMENTS (provider_commands)];
  g_autoptr (GString) summary = g_string_new (_("Commands:"));
  int width = 0;

  for (guint i = 0; i < G_N_ELEMENTS (provider_commands); i++)
    width = MAX (width, (int) strlen (provider_commands[i].name));
  for (guint i = 0; i < G_N_ELEMENTS (provider_commands); i++)
    {
      names[i] = provider_commands[i].name;
      commands[i] = provider_commands[i].run;
      g_string_append_printf (summary, "\n  %-*s  %s", width, provider_commands[i].name,
                              _(provider_commands[i].summary));
    }
  names[G_N_ELEMENTS (provider_commands)] = NULL;

  return confab_cli_dispatch (cli, "providers", names, commands, summary->str, argc, argv);
}
