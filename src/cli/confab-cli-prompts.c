#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <gio/gunixinputstream.h>
#include <glib-unix.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "confab-cli-common.h"
#include "confab-prompt-diff.h"
#include "confab-prompt-files.h"
#include "confab-prompt-library.h"
#include "confab-prompt-runner.h"
#include "confab-prompt-test-case.h"
#include "confab-template.h"

/* confab-cli prompts: the prompt library (confab-prompt-library.h) from
 * scripts. A prompt is named by its name (or id); where a version is meant,
 * NAME@VERSION and NAME:LABEL pick one (NAME alone is the newest). */

#define EXIT_INTERRUPTED 130
/* Longest body read from a file or standard input. */
#define MAX_BODY_FILE (8 * 1024 * 1024)

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

/* The workspace, which must exist: these commands never create one by
 * accident. */
static ConfabDatabase *
open_existing (ConfabCli *cli, GError **error)
{
  if (cli->db == NULL && !g_file_test (cli->workspace_path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                   _("The workspace %s does not exist"), cli->workspace_path);
      return NULL;
    }
  return confab_cli_open (cli, error);
}

/* The prompt named (or with the id) name, in a workspace that must exist. */
static ConfabPrompt *
open_prompt (ConfabCli *cli, const char *name, GError **error)
{
  if (open_existing (cli, error) == NULL)
    return NULL;
  return confab_prompt_library_find (cli->db, name, error);
}

/* Options */

static gboolean
parse_temperature (GOptionContext *context, const char *text, double *out, int *status)
{
  char *end = NULL;

  *out = g_ascii_strtod (text, &end);
  if (end == text || *end != '\0' || !isfinite (*out) || *out < 0.0 || *out > 2.0)
    {
      g_autofree char *message =
          g_strdup_printf (_("the temperature must be a number from 0 to 2, not “%s”"), text);

      *status = confab_cli_usage (context, message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_count (
    GOptionContext *context, const char *option, const char *text, gint64 *out, int *status)
{
  if (!g_ascii_string_to_signed (text, 10, 1, G_MAXINT, out, NULL))
    {
      g_autofree char *message =
          g_strdup_printf (_("%s must be a whole number above 0, not “%s”"), option, text);

      *status = confab_cli_usage (context, message);
      return FALSE;
    }
  return TRUE;
}

/* A version number argument. */
static gboolean
parse_version (GOptionContext *context, const char *text, int *out, int *status)
{
  gint64 value;

  if (!g_ascii_string_to_signed (text, 10, 1, G_MAXINT, &value, NULL))
    {
      g_autofree char *message =
          g_strdup_printf (_("“%s” is not a version number (1, 2, 3…)"), text);

      *status = confab_cli_usage (context, message);
      return FALSE;
    }
  *out = (int) value;
  return TRUE;
}

/* --var NAME=VALUE, repeated, into a table. */
static GHashTable *
parse_vars (GOptionContext *context, char **vars, int *status)
{
  g_autoptr (GHashTable) table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  for (guint i = 0; vars != NULL && vars[i] != NULL; i++)
    {
      const char *eq = strchr (vars[i], '=');

      if (eq == NULL || eq == vars[i])
        {
          g_autofree char *message =
              g_strdup_printf (_("--var takes NAME=VALUE, not “%s”"), vars[i]);

          *status = confab_cli_usage (context, message);
          return NULL;
        }
      if (!g_utf8_validate (vars[i], -1, NULL))
        {
          *status = confab_cli_usage (context, _("a --var value is not valid UTF-8 text"));
          return NULL;
        }
      g_hash_table_replace (table, g_strndup (vars[i], eq - vars[i]), g_strdup (eq + 1));
    }
  return g_steal_pointer (&table);
}

/* The whole of a file, or standard input for "-", as the body of a version:
 * byte for byte. */
static char *
read_body_file (const char *path, GError **error)
{
  g_autofree char *contents = NULL;
  gsize            length = 0;
  gboolean         from_stdin = strcmp (path, "-") == 0;

  if (from_stdin)
    {
      g_autoptr (GInputStream) in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
      g_autoptr (GOutputStream) out = g_memory_output_stream_new_resizable ();
      g_autoptr (GError) local_error = NULL;

      /* The text, then a NUL to make it a string. */
      if (g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_NONE, NULL, &local_error) < 0 ||
          !g_output_stream_write_all (out, "", 1, NULL, NULL, &local_error) ||
          !g_output_stream_close (out, NULL, &local_error))
        {
          g_set_error (error, local_error->domain, local_error->code,
                       _("Could not read the text from standard input: %s"), local_error->message);
          return NULL;
        }
      length = g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (out)) - 1;
      contents = g_memory_output_stream_steal_data (G_MEMORY_OUTPUT_STREAM (out));
    }
  else if (!g_file_get_contents (path, &contents, &length, error))
    return NULL;

  if (length > MAX_BODY_FILE)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_LIMIT, _("“%s” is longer than %d MB"),
                   from_stdin ? _("standard input") : path, MAX_BODY_FILE / (1024 * 1024));
      return NULL;
    }
  if (!g_utf8_validate_len (contents, length, NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID, _("“%s” is not UTF-8 text"),
                   from_stdin ? _("standard input") : path);
      return NULL;
    }
  return g_steal_pointer (&contents);
}

/* --body or --body-file, exactly one of them (or neither when optional). */
static char *
read_body_option (GOptionContext *context,
                  const char     *body,
                  const char     *body_file,
                  gboolean        required,
                  int            *status,
                  GError        **error)
{
  if (body != NULL && body_file != NULL)
    {
      *status = confab_cli_usage (context, _("give --body or --body-file, not both"));
      return NULL;
    }
  if (body_file != NULL)
    {
      char *text = read_body_file (body_file, error);

      if (text == NULL)
        *status = confab_cli_fail (*error);
      return text;
    }
  if (body != NULL)
    {
      if (!g_utf8_validate (body, -1, NULL))
        {
          *status = confab_cli_usage (context, _("--body is not valid UTF-8 text"));
          return NULL;
        }
      return g_strdup (body);
    }
  if (required)
    *status = confab_cli_usage (context, _("give the text with --body or --body-file"));
  else
    *status = CONFAB_CLI_OK;
  return NULL;
}

/* Lookups */

static ConfabUser *
find_user (ConfabDatabase *db, const char *id_or_username, GError **error)
{
  ConfabUser *user = confab_repository_get (db, CONFAB_TYPE_USER, id_or_username, NULL);

  if (user == NULL)
    user = confab_repository_find (db, CONFAB_TYPE_USER, "username", id_or_username, NULL);
  if (user == NULL)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _("No user with the id or username “%s” exists in this workspace"),
                 id_or_username);
  return user;
}

static ConfabAgent *
find_agent (ConfabDatabase *db, const char *id_or_name, GError **error)
{
  g_autoptr (GPtrArray) matches = NULL;
  ConfabAgent *agent = confab_repository_get (db, CONFAB_TYPE_AGENT, id_or_name, NULL);

  if (agent != NULL)
    return agent;
  matches = confab_repository_list (db, CONFAB_TYPE_AGENT, "name", id_or_name, error);
  if (matches == NULL)
    return NULL;
  if (matches->len == 1)
    return g_object_ref (g_ptr_array_index (matches, 0));
  if (matches->len == 0)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _("No agent with the id or name “%s” exists in this workspace"), id_or_name);
  else
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                 _("%u agents are called “%s”: name the agent by its id"), matches->len,
                 id_or_name);
  return NULL;
}

static char *
dup_username (ConfabDatabase *db, const char *user_id)
{
  g_autoptr (ConfabUser) user = NULL;

  if (!is_set (user_id))
    return g_strdup ("");
  user = confab_repository_get (db, CONFAB_TYPE_USER, user_id, NULL);
  return g_strdup (user != NULL ? confab_user_get_username (user) : user_id);
}

/* Model settings of add and edit. */
typedef struct
{
  char *provider;
  char *model;
  char *temperature;
  char *max_tokens;
  char *author;
  char *message;
} Settings;

static void
settings_clear (Settings *s)
{
  g_clear_pointer (&s->provider, g_free);
  g_clear_pointer (&s->model, g_free);
  g_clear_pointer (&s->temperature, g_free);
  g_clear_pointer (&s->max_tokens, g_free);
  g_clear_pointer (&s->author, g_free);
  g_clear_pointer (&s->message, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Settings, settings_clear)

static void
add_settings_entries (GOptionContext *context, Settings *s)
{
  GOptionEntry entries[] = { { "message", 0, 0, G_OPTION_ARG_STRING, &s->message,
                               N_("What changed, like a commit message"), N_("TEXT") },
                             { "provider", 'p', 0, G_OPTION_ARG_STRING, &s->provider,
                               N_("The provider to run it with, by id or name (\"\" for none)"),
                               N_("PROVIDER") },
                             { "model", 'm', 0, G_OPTION_ARG_STRING, &s->model,
                               N_("The model to run it with (\"\" for none)"), N_("MODEL") },
                             { "temperature", 0, 0, G_OPTION_ARG_STRING, &s->temperature,
                               N_("Sampling temperature, 0 to 2"), N_("X") },
                             { "max-tokens", 0, 0, G_OPTION_ARG_STRING, &s->max_tokens,
                               N_("Longest reply, in tokens"), N_("N") },
                             { "author", 0, 0, G_OPTION_ARG_STRING, &s->author,
                               N_("Who saves it, by id or username"), N_("USER") },
                             { NULL } };

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
}

/* Applies the settings given on the command line to draft. */
static int
apply_settings (ConfabCli *cli, GOptionContext *context, Settings *s, ConfabPromptVersion *draft)
{
  g_autoptr (GError) error = NULL;
  int status = CONFAB_CLI_OK;

  if (s->temperature != NULL)
    {
      double value;

      if (!parse_temperature (context, s->temperature, &value, &status))
        return status;
      confab_prompt_version_set_temperature (draft, value);
    }
  if (s->max_tokens != NULL)
    {
      gint64 value;

      if (!parse_count (context, "--max-tokens", s->max_tokens, &value, &status))
        return status;
      confab_prompt_version_set_max_tokens (draft, (int) value);
    }
  if (s->provider != NULL)
    {
      g_autoptr (ConfabProvider) provider = NULL;

      if (*s->provider != '\0' &&
          (provider = confab_cli_find_provider (cli, s->provider, &error)) == NULL)
        return confab_cli_fail (error);
      confab_prompt_version_set_provider_id (draft, provider != NULL ? id_of (provider) : NULL);
    }
  if (s->model != NULL)
    confab_prompt_version_set_model (draft, *s->model != '\0' ? s->model : NULL);
  if (s->author != NULL)
    {
      g_autoptr (ConfabUser) user = find_user (cli->db, s->author, &error);

      if (user == NULL)
        return confab_cli_fail (error);
      confab_prompt_version_set_author_id (draft, id_of (user));
    }
  confab_prompt_version_set_message (draft, s->message);
  return CONFAB_CLI_OK;
}

/* list */

static void
add_labels_json (JsonBuilder *builder, GPtrArray *labels)
{
  json_builder_set_member_name (builder, "labels");
  json_builder_begin_object (builder);
  for (guint i = 0; labels != NULL && i < labels->len; i++)
    {
      ConfabPromptLabel *label = g_ptr_array_index (labels, i);

      json_builder_set_member_name (builder, confab_prompt_label_get_name (label));
      json_builder_add_int_value (builder, confab_prompt_label_get_version (label));
    }
  json_builder_end_object (builder);
}

static char *
format_labels (GPtrArray *labels)
{
  g_autoptr (GString) out = g_string_new (NULL);

  for (guint i = 0; labels != NULL && i < labels->len; i++)
    {
      ConfabPromptLabel *label = g_ptr_array_index (labels, i);

      g_string_append_printf (out, "%s%s=%d", out->len > 0 ? "," : "",
                              confab_prompt_label_get_name (label),
                              confab_prompt_label_get_version (label));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static int
prompts_list (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("[FOLDER]"));
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) prompts = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autofree char *prefix = NULL;
  gboolean         json = FALSE;
  int              status;
  GOptionEntry     entries[] = {
        { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON array"), NULL }, { NULL }
  };

  g_option_context_set_summary (context,
                                _("List the prompts (those in FOLDER and below when given): "
                                  "name, newest version, labels (label=version), tags."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc > 2)
    return confab_cli_usage (context, _("prompts list takes at most one folder"));
  if (argc == 2)
    prefix =
        g_str_has_suffix (argv[1], "/") ? g_strdup (argv[1]) : g_strconcat (argv[1], "/", NULL);

  if (open_existing (cli, &error) == NULL)
    return confab_cli_fail (error);
  prompts = confab_repository_list (cli->db, CONFAB_TYPE_PROMPT, NULL, NULL, &error);
  if (prompts == NULL)
    return confab_cli_fail (error);

  if (json)
    {
      builder = json_builder_new ();
      json_builder_begin_array (builder);
    }
  for (guint i = 0; i < prompts->len; i++)
    {
      ConfabPrompt *prompt = g_ptr_array_index (prompts, i);
      g_autoptr (ConfabPromptVersion) latest = NULL;
      g_autoptr (GPtrArray) labels = NULL;
      g_autofree char *label_text = NULL;
      g_autofree char *latest_text = NULL;
      g_auto (GStrv) tags = confab_prompt_dup_tags (prompt);

      if (prefix != NULL && !g_str_has_prefix (confab_prompt_get_name (prompt), prefix))
        continue;
      latest = confab_prompt_get_latest_version (cli->db, id_of (prompt), NULL);
      labels = confab_prompt_list_labels (cli->db, id_of (prompt), &error);
      if (labels == NULL)
        return confab_cli_fail (error);

      if (json)
        {
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_string_value (builder, id_of (prompt));
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, confab_prompt_get_name (prompt));
          json_builder_set_member_name (builder, "description");
          if (is_set (confab_prompt_get_description (prompt)))
            json_builder_add_string_value (builder, confab_prompt_get_description (prompt));
          else
            json_builder_add_null_value (builder);
          json_builder_set_member_name (builder, "latest");
          json_builder_add_int_value (builder,
                                      latest ? confab_prompt_version_get_version (latest) : 0);
          add_labels_json (builder, labels);
          json_builder_set_member_name (builder, "tags");
          json_builder_begin_array (builder);
          for (guint t = 0; tags[t] != NULL; t++)
            json_builder_add_string_value (builder, tags[t]);
          json_builder_end_array (builder);
          json_builder_end_object (builder);
          continue;
        }

      label_text = format_labels (labels);
      latest_text = g_strdup_printf ("%d", latest ? confab_prompt_version_get_version (latest) : 0);
      {
        g_autofree char *tag_text = g_strjoinv (",", tags);

        confab_cli_print_row (confab_prompt_get_name (prompt), latest_text, label_text, tag_text,
                              NULL);
      }
    }

  if (json)
    {
      g_autoptr (JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      text = json_to_string (root, TRUE);
      g_print ("%s\n", text);
    }
  return CONFAB_CLI_OK;
}

/* show */

static char *
describe_variables (const char *body)
{
  g_autoptr (GPtrArray) variables = confab_template_detect_variables (body, NULL);
  g_autoptr (GString) out = g_string_new (NULL);

  for (guint i = 0; variables != NULL && i < variables->len; i++)
    {
      ConfabTemplateVariable *variable = g_ptr_array_index (variables, i);

      if (out->len > 0)
        g_string_append (out, ", ");
      g_string_append (out, variable->name);
      if (variable->default_value != NULL)
        g_string_append_printf (out, _(" (default “%s”)"), variable->default_value);
      else if (variable->section_only)
        g_string_append (out, _(" (section)"));
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static int
prompts_show (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("NAME[@VERSION|:LABEL]"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (ConfabPromptVersion) version = NULL;
  g_autoptr (GPtrArray) labels = NULL;
  g_autofree char *text = NULL;
  g_autofree char *variables = NULL;
  g_autofree char *author = NULL;
  gboolean         body_only = FALSE;
  const char      *header_end;
  int              status;
  GOptionEntry     entries[] = { { "body", 0, 0, G_OPTION_ARG_NONE, &body_only,
                                   N_("Print only the text, exactly as saved"), NULL },
                                 { NULL } };

  g_option_context_set_summary (context,
                                _("Print a version as a .prompt file: its header, a line "
                                  "“---” and its text (the newest version unless @VERSION or "
                                  ":LABEL picks one)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("prompts show takes one prompt"));

  if (open_existing (cli, &error) == NULL)
    return confab_cli_fail (error);
  version = confab_prompt_library_resolve (cli->db, argv[1], &prompt, &error);
  if (version == NULL)
    return confab_cli_fail (error);

  if (body_only)
    {
      fputs (confab_prompt_version_get_body (version), stdout);
      return CONFAB_CLI_OK;
    }

  labels = confab_prompt_list_labels (cli->db, id_of (prompt), &error);
  if (labels == NULL)
    return confab_cli_fail (error);
  text = confab_prompt_file_format (cli->db, prompt, version, labels);
  variables = describe_variables (confab_prompt_version_get_body (version));
  author = dup_username (cli->db, confab_prompt_version_get_author_id (version));

  /* Comments go before the "---": the output still reads as a .prompt file. */
  header_end = strstr (text, "\n---\n");
  g_assert (header_end != NULL);
  fwrite (text, 1, header_end + 1 - text, stdout);
  g_print (_("# saved: %s by %s\n"), confab_entity_get_created_at (CONFAB_ENTITY (version)),
           *author != '\0' ? author : _("(nobody)"));
  if (*variables != '\0')
    g_print (_("# variables: %s\n"), variables);
  fputs (header_end + 1, stdout);
  return CONFAB_CLI_OK;
}

/* add, edit */

static int
prompts_add (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("NAME"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (ConfabPromptVersion) version = NULL;
  g_autofree char *body = NULL;
  g_autofree char *body_file = NULL;
  g_autofree char *description = NULL;
  g_autofree char *text = NULL;
  g_auto (GStrv) tags = NULL;
  g_auto (Settings) settings = { 0 };
  int          status;
  GOptionEntry entries[] = {
    { "body", 'b', 0, G_OPTION_ARG_STRING, &body, N_("The text"), N_("TEXT") },
    { "body-file", 'f', 0, G_OPTION_ARG_FILENAME, &body_file,
      N_("Read the text from FILE, byte for byte (- for standard input)"), N_("FILE") },
    { "description", 'd', 0, G_OPTION_ARG_STRING, &description, N_("What the prompt is for"),
      N_("TEXT") },
    { "tag", 't', 0, G_OPTION_ARG_STRING_ARRAY, &tags, N_("A tag (repeat for more)"), N_("TAG") },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Create a prompt and save its text as version 1. "
                                  "A “/” in NAME puts it in a folder (support/greeting)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  add_settings_entries (context, &settings);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("prompts add takes the name of the new prompt"));

  text = read_body_option (context, body, body_file, TRUE, &status, &error);
  if (text == NULL)
    return status;
  if (open_existing (cli, &error) == NULL)
    return confab_cli_fail (error);

  prompt = confab_prompt_new (argv[1]);
  confab_prompt_set_description (prompt, description);
  confab_prompt_set_tags (prompt, (const char *const *) tags);
  version = confab_prompt_version_new (NULL, text);
  if ((status = apply_settings (cli, context, &settings, version)) != CONFAB_CLI_OK)
    return status;
  if (settings.author != NULL)
    confab_prompt_set_owner_id (prompt, confab_prompt_version_get_author_id (version));

  if (!confab_prompt_library_add (cli->db, prompt, version, &error))
    return confab_cli_fail (error);
  g_print (_("Saved “%s” version %d\n"), confab_prompt_get_name (prompt),
           confab_prompt_version_get_version (version));
  return CONFAB_CLI_OK;
}

static int
prompts_edit (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("NAME"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (ConfabPromptVersion) latest = NULL;
  g_autoptr (ConfabPromptVersion) version = NULL;
  g_autofree char *body = NULL;
  g_autofree char *body_file = NULL;
  g_autofree char *text = NULL;
  g_auto (Settings) settings = { 0 };
  int          status;
  GOptionEntry entries[] = {
    { "body", 'b', 0, G_OPTION_ARG_STRING, &body, N_("The new text"), N_("TEXT") },
    { "body-file", 'f', 0, G_OPTION_ARG_FILENAME, &body_file,
      N_("Read the new text from FILE, byte for byte (- for standard input)"), N_("FILE") },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Save a new version of a prompt. What is not given (the text, "
                                  "the provider, model, temperature, max tokens) stays as in "
                                  "the newest version; --message says what changed."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  add_settings_entries (context, &settings);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("prompts edit takes one prompt"));
  if (!is_set (settings.message))
    return confab_cli_usage (context, _("--message is required: say what changed"));

  text = read_body_option (context, body, body_file, FALSE, &status, &error);
  if (text == NULL && status != CONFAB_CLI_OK)
    return status;
  prompt = open_prompt (cli, argv[1], &error);
  if (prompt == NULL)
    return confab_cli_fail (error);

  version = confab_prompt_version_new (id_of (prompt), text);
  latest = confab_prompt_get_latest_version (cli->db, id_of (prompt), NULL);
  if (latest != NULL)
    {
      if (text == NULL)
        confab_prompt_version_set_body (version, confab_prompt_version_get_body (latest));
      confab_prompt_version_set_provider_id (version,
                                             confab_prompt_version_get_provider_id (latest));
      confab_prompt_version_set_model (version, confab_prompt_version_get_model (latest));
      confab_prompt_version_set_temperature (version,
                                             confab_prompt_version_get_temperature (latest));
      confab_prompt_version_set_max_tokens (version, confab_prompt_version_get_max_tokens (latest));
    }
  else if (text == NULL)
    return confab_cli_usage (context, _("the prompt has no version yet: give its text with "
                                        "--body or --body-file"));
  if ((status = apply_settings (cli, context, &settings, version)) != CONFAB_CLI_OK)
    return status;

  if (!confab_prompt_library_save (cli->db, version, &error))
    return confab_cli_fail (error);
  g_print (_("Saved “%s” version %d\n"), confab_prompt_get_name (prompt),
           confab_prompt_version_get_version (version));
  return CONFAB_CLI_OK;
}

/* label, restore, history */

static int
prompts_label (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("NAME VERSION LABEL"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (ConfabUser) actor = NULL;
  g_autofree char *actor_arg = NULL;
  gboolean         remove = FALSE;
  int              version = 0;
  int              status;
  GOptionEntry     entries[] = { { "remove", 0, 0, G_OPTION_ARG_NONE, &remove,
                                   N_("Remove the label instead (prompts label --remove NAME LABEL)"),
                                   NULL },
                                 { "actor", 0, 0, G_OPTION_ARG_STRING, &actor_arg,
                                   N_("Who moves it, by id or username"), N_("USER") },
                                 { NULL } };

  g_option_context_set_summary (context,
                                _("Put LABEL (production, staging, …) on a version of a prompt, "
                                  "or move it there. Agents that use the label answer with that "
                                  "version from their next reply on."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (remove ? argc != 3 : argc != 4)
    return confab_cli_usage (context, remove ? _("prompts label --remove takes NAME LABEL")
                                             : _("prompts label takes NAME VERSION LABEL"));
  if (!remove && !parse_version (context, argv[2], &version, &status))
    return status;

  prompt = open_prompt (cli, argv[1], &error);
  if (prompt == NULL)
    return confab_cli_fail (error);
  if (actor_arg != NULL && (actor = find_user (cli->db, actor_arg, &error)) == NULL)
    return confab_cli_fail (error);

  if (remove)
    {
      if (!confab_prompt_remove_label (cli->db, id_of (prompt), argv[2],
                                       actor ? id_of (actor) : NULL, &error))
        return confab_cli_fail (error);
      g_print (_("Removed the label “%s” from “%s”\n"), argv[2], confab_prompt_get_name (prompt));
      return CONFAB_CLI_OK;
    }
  if (!confab_prompt_library_move_label (cli->db, id_of (prompt), argv[3], version,
                                         actor ? id_of (actor) : NULL, &error))
    return confab_cli_fail (error);
  g_print (_("The label “%s” of “%s” is on version %d\n"), argv[3],
           confab_prompt_get_name (prompt), version);
  return CONFAB_CLI_OK;
}

static int
prompts_restore (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("NAME VERSION"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (ConfabPromptVersion) restored = NULL;
  g_autoptr (ConfabUser) actor = NULL;
  g_autofree char *actor_arg = NULL;
  int              version = 0;
  int              status;
  GOptionEntry     entries[] = { { "actor", 0, 0, G_OPTION_ARG_STRING, &actor_arg,
                                   N_("Who restores it, by id or username"), N_("USER") },
                                 { NULL } };

  g_option_context_set_summary (context,
                                _("Go back to an old version: its text and model settings are "
                                  "saved as a new version (history is never rewritten)."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 3)
    return confab_cli_usage (context, _("prompts restore takes NAME VERSION"));
  if (!parse_version (context, argv[2], &version, &status))
    return status;

  prompt = open_prompt (cli, argv[1], &error);
  if (prompt == NULL)
    return confab_cli_fail (error);
  if (actor_arg != NULL && (actor = find_user (cli->db, actor_arg, &error)) == NULL)
    return confab_cli_fail (error);
  restored = confab_prompt_restore_version (cli->db, id_of (prompt), version,
                                            actor ? id_of (actor) : NULL, &error);
  if (restored == NULL)
    return confab_cli_fail (error);
  g_print (_("Restored version %d of “%s” as version %d\n"), version,
           confab_prompt_get_name (prompt), confab_prompt_version_get_version (restored));
  return CONFAB_CLI_OK;
}

static int
prompts_history (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("NAME"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  int status;

  g_option_context_set_summary (context,
                                _("What happened to a prompt, newest first: time, who, what "
                                  "(saves, label moves, restores, test cases)."));
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("prompts history takes one prompt"));

  prompt = open_prompt (cli, argv[1], &error);
  if (prompt == NULL)
    return confab_cli_fail (error);
  entries = confab_prompt_library_history (cli->db, id_of (prompt), &error);
  if (entries == NULL)
    return confab_cli_fail (error);

  for (guint i = 0; i < entries->len; i++)
    {
      ConfabAuditEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char  *actor = dup_username (cli->db, confab_audit_entry_get_actor_id (entry));
      g_autofree char  *what = confab_prompt_library_describe_entry (entry);

      confab_cli_print_row (confab_audit_entry_get_at (entry), actor, what, NULL);
    }
  return CONFAB_CLI_OK;
}

/* diff */

/* A version by number, or by label when it is not a number. */
static ConfabPromptVersion *
version_by_arg (ConfabDatabase *db, ConfabPrompt *prompt, const char *arg, GError **error)
{
  gint64 number;

  if (g_ascii_string_to_signed (arg, 10, 1, G_MAXINT, &number, NULL))
    return confab_prompt_get_version (db, id_of (prompt), (int) number, error);
  return confab_prompt_resolve (db, id_of (prompt), arg, 0, error);
}

static int
prompts_diff (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("NAME V1 V2"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (ConfabPromptVersion) old_version = NULL;
  g_autoptr (ConfabPromptVersion) new_version = NULL;
  g_autoptr (ConfabPromptDiff) diff = NULL;
  g_autofree char    *color = NULL;
  g_autofree char    *context_arg = NULL;
  g_autofree char    *old_name = NULL;
  g_autofree char    *new_name = NULL;
  g_autofree char    *text = NULL;
  g_autofree char    *settings = NULL;
  gboolean            words = FALSE;
  ConfabDiffTextFlags flags = CONFAB_DIFF_TEXT_PLAIN;
  gint64              context_lines = 3;
  int                 status;
  GOptionEntry        entries[] = { { "color", 0, 0, G_OPTION_ARG_STRING, &color,
                                      N_("Colour the diff: auto (on a terminal), always or never"),
                                      N_("WHEN") },
                                    { "word-diff", 0, 0, G_OPTION_ARG_NONE, &words,
                                      N_("Mark the changed words as [-old-] and {+new+}"), NULL },
                                    { "context", 'U', 0, G_OPTION_ARG_STRING, &context_arg,
                                      N_("Lines of context around each change (default 3)"), N_("N") },
                                    { NULL } };

  g_option_context_set_summary (context,
                                _("Show what changed between two versions (numbers or labels): "
                                  "the model settings, then the text as a unified diff."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 4)
    return confab_cli_usage (context, _("prompts diff takes NAME V1 V2"));
  if (context_arg != NULL &&
      !g_ascii_string_to_signed (context_arg, 10, 0, 10000, &context_lines, NULL))
    return confab_cli_usage (context, _("--context must be a whole number from 0"));
  if (color == NULL || strcmp (color, "auto") == 0)
    {
      if (isatty (STDOUT_FILENO) && g_getenv ("NO_COLOR") == NULL)
        flags |= CONFAB_DIFF_TEXT_COLOR;
    }
  else if (strcmp (color, "always") == 0)
    flags |= CONFAB_DIFF_TEXT_COLOR;
  else if (strcmp (color, "never") != 0)
    return confab_cli_usage (context, _("--color takes auto, always or never"));
  if (words)
    flags |= CONFAB_DIFF_TEXT_WORDS;

  prompt = open_prompt (cli, argv[1], &error);
  if (prompt == NULL)
    return confab_cli_fail (error);
  old_version = version_by_arg (cli->db, prompt, argv[2], &error);
  if (old_version == NULL)
    return confab_cli_fail (error);
  new_version = version_by_arg (cli->db, prompt, argv[3], &error);
  if (new_version == NULL)
    return confab_cli_fail (error);

  diff = confab_prompt_diff_new_for_versions (cli->db, old_version, new_version);
  old_name = g_strdup_printf ("%s@%d", confab_prompt_get_name (prompt),
                              confab_prompt_version_get_version (old_version));
  new_name = g_strdup_printf ("%s@%d", confab_prompt_get_name (prompt),
                              confab_prompt_version_get_version (new_version));
  settings = confab_prompt_diff_settings_to_text (diff);
  text = confab_prompt_diff_to_text (diff, old_name, new_name, (guint) context_lines, flags);

  if (*settings != '\0')
    g_print ("%s%s", settings, *text != '\0' ? "\n" : "");
  fputs (text, stdout);
  if (confab_prompt_diff_is_empty (diff))
    g_printerr (_("Versions %d and %d are the same\n"),
                confab_prompt_version_get_version (old_version),
                confab_prompt_version_get_version (new_version));
  return CONFAB_CLI_OK;
}

/* render */

static int
prompts_render (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("NAME[@VERSION|:LABEL]"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPromptVersion) version = NULL;
  g_autoptr (GHashTable) variables = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autofree char *agent_arg = NULL;
  g_autofree char *text = NULL;
  g_auto (GStrv) vars = NULL;
  int          status;
  GOptionEntry entries[] = { { "var", 'v', 0, G_OPTION_ARG_STRING_ARRAY, &vars,
                               N_("A variable’s value (repeat for more)"), N_("NAME=VALUE") },
                             { "agent", 'a', 0, G_OPTION_ARG_STRING, &agent_arg,
                               N_("The agent whose name {{agent.name}} is"), N_("AGENT") },
                             { NULL } };

  g_option_context_set_summary (context, _("Print a version’s text with its variables filled in, "
                                           "exactly as a model would get it."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("prompts render takes one prompt"));
  variables = parse_vars (context, vars, &status);
  if (variables == NULL)
    return status;

  if (open_existing (cli, &error) == NULL)
    return confab_cli_fail (error);
  version = confab_prompt_library_resolve (cli->db, argv[1], NULL, &error);
  if (version == NULL)
    return confab_cli_fail (error);
  if (agent_arg != NULL && (agent = find_agent (cli->db, agent_arg, &error)) == NULL)
    return confab_cli_fail (error);
  text = confab_prompt_render (version, variables, agent, &error);
  if (text == NULL)
    return confab_cli_fail (error);
  fputs (text, stdout);
  return CONFAB_CLI_OK;
}

/* run, test */

typedef struct
{
  GCancellable     *cancellable;
  ConfabPromptRun  *run;
  ConfabPromptGrid *grid;
  GError           *error;
  gboolean          done;
  gboolean          interrupted;
  gboolean          ends_in_newline;
  gboolean          printed;
} Call;

static gboolean
on_sigint (gpointer user_data)
{
  Call *call = user_data;

  call->interrupted = TRUE;
  g_cancellable_cancel (call->cancellable);
  return G_SOURCE_REMOVE;
}

static void
on_run_event (ConfabPromptRunEvent event, const char *text, gpointer user_data)
{
  Call *call = user_data;
  gsize len = strlen (text);

  if (event != CONFAB_PROMPT_RUN_EVENT_DELTA || len == 0)
    return;
  fwrite (text, 1, len, stdout);
  fflush (stdout);
  call->printed = TRUE;
  call->ends_in_newline = text[len - 1] == '\n';
}

static void
on_run_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;

  call->run = confab_prompt_runner_run_finish (CONFAB_PROMPT_RUNNER (source), result, &call->error);
  call->done = TRUE;
}

static void
on_grid_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Call *call = user_data;

  call->grid =
      confab_prompt_runner_run_all_finish (CONFAB_PROMPT_RUNNER (source), result, &call->error);
  call->done = TRUE;
}

static void
wait_for (Call *call)
{
  guint sigint_id = g_unix_signal_add (SIGINT, on_sigint, call);

  while (!call->done)
    g_main_context_iteration (NULL, TRUE);
  if (!call->interrupted)
    g_source_remove (sigint_id);
}

/* --provider, --model, --agent into a target. */
static int
resolve_target (ConfabCli          *cli,
                GOptionContext     *context,
                const char         *provider_arg,
                const char         *model_arg,
                const char         *agent_arg,
                ConfabProvider    **out_provider,
                ConfabAgent       **out_agent,
                ConfabPromptTarget *target)
{
  g_autoptr (GError) error = NULL;

  if (agent_arg != NULL && (provider_arg != NULL || model_arg != NULL))
    return confab_cli_usage (context, _("--agent answers without a model: give it alone, "
                                        "without --provider or --model"));
  if (provider_arg != NULL)
    {
      *out_provider = confab_cli_find_provider (cli, provider_arg, &error);
      if (*out_provider == NULL)
        return confab_cli_fail (error);
      target->provider_id = id_of (*out_provider);
    }
  if (agent_arg != NULL)
    {
      *out_agent = find_agent (cli->db, agent_arg, &error);
      if (*out_agent == NULL)
        return confab_cli_fail (error);
      target->agent_id = id_of (*out_agent);
    }
  target->model = model_arg;
  return CONFAB_CLI_OK;
}

static int
prompts_run (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("NAME[@VERSION|:LABEL]"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPromptVersion) version = NULL;
  g_autoptr (GHashTable) variables = NULL;
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (ConfabPromptRunner) runner = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *provider_arg = NULL;
  g_autofree char *model_arg = NULL;
  g_autofree char *agent_arg = NULL;
  g_autofree char *input = NULL;
  g_auto (GStrv) vars = NULL;
  ConfabPromptTarget target = { 0 };
  Call               call = { 0 };
  int                status;
  GOptionEntry       entries[] = {
          { "var", 'v', 0, G_OPTION_ARG_STRING_ARRAY, &vars, N_("A variable’s value (repeat for more)"),
            N_("NAME=VALUE") },
          { "input", 'i', 0, G_OPTION_ARG_STRING, &input,
            N_("The user’s message; the prompt is then the system prompt"), N_("TEXT") },
          { "provider", 'p', 0, G_OPTION_ARG_STRING, &provider_arg,
            N_("Run with this provider instead of the version’s"), N_("PROVIDER") },
          { "model", 'm', 0, G_OPTION_ARG_STRING, &model_arg,
            N_("Run with this model instead of the version’s"), N_("MODEL") },
          { "agent", 'a', 0, G_OPTION_ARG_STRING, &agent_arg,
            N_("Have this rule-based agent answer, offline"), N_("AGENT") },
          { NULL }
  };

  g_option_context_set_summary (context,
                                _("Run a version once and stream the output; the run is kept "
                                  "in the workspace."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("prompts run takes one prompt"));
  variables = parse_vars (context, vars, &status);
  if (variables == NULL)
    return status;
  if (input != NULL && !g_utf8_validate (input, -1, NULL))
    return confab_cli_usage (context, _("--input is not valid UTF-8 text"));

  if (open_existing (cli, &error) == NULL)
    return confab_cli_fail (error);
  version = confab_prompt_library_resolve (cli->db, argv[1], NULL, &error);
  if (version == NULL)
    return confab_cli_fail (error);
  status =
      resolve_target (cli, context, provider_arg, model_arg, agent_arg, &provider, &agent, &target);
  if (status != CONFAB_CLI_OK)
    return status;

  runner = confab_prompt_runner_new (cli->db, NULL);
  call.cancellable = cancellable;
  confab_prompt_runner_run_async (runner, version, variables, input, &target, NULL, on_run_event,
                                  &call, cancellable, on_run_done, &call);
  wait_for (&call);
  if (call.printed && !call.ends_in_newline)
    fputc ('\n', stdout);
  fflush (stdout);

  if (call.error != NULL)
    {
      g_autoptr (GError) run_error = g_steal_pointer (&call.error);

      return confab_cli_fail (run_error);
    }

  {
    g_autoptr (ConfabPromptRun) run = g_steal_pointer (&call.run);
    const char *run_status = confab_prompt_run_get_status (run);

    /* Translators: the model, then tokens in and out, then milliseconds. */
    g_printerr (_("— %s, %d + %d tokens, %lld ms\n"),
                CONFAB_CLI_STR (confab_prompt_run_get_model (run)),
                confab_prompt_run_get_tokens_in (run), confab_prompt_run_get_tokens_out (run),
                (long long) confab_prompt_run_get_latency_ms (run));
    if (g_strcmp0 (run_status, "cancelled") == 0)
      {
        g_printerr ("confab-cli: %s\n", _("cancelled"));
        return EXIT_INTERRUPTED;
      }
    if (g_strcmp0 (run_status, "error") == 0)
      {
        g_printerr ("confab-cli: %s\n", CONFAB_CLI_STR (confab_prompt_run_get_error (run)));
        return CONFAB_CLI_ERROR;
      }
  }
  return CONFAB_CLI_OK;
}

/* "1,2,3" into version numbers. */
static GArray *
parse_version_list (GOptionContext *context, const char *text, int *status)
{
  g_autoptr (GArray) numbers = g_array_new (FALSE, FALSE, sizeof (int));
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);

  for (guint i = 0; parts[i] != NULL; i++)
    {
      int number;

      g_strstrip (parts[i]);
      if (!parse_version (context, parts[i], &number, status))
        return NULL;
      g_array_append_val (numbers, number);
    }
  if (numbers->len == 0)
    {
      *status = confab_cli_usage (context, _("--versions needs at least one version number"));
      return NULL;
    }
  return g_steal_pointer (&numbers);
}

static void
print_grid (ConfabPromptGrid *grid)
{
  guint n_versions = confab_prompt_grid_get_n_versions (grid);
  guint n_cases = confab_prompt_grid_get_n_cases (grid);
  g_autoptr (GString) header = g_string_new (_("CASE"));
  guint passed = 0;

  for (guint i = 0; i < n_versions; i++)
    g_string_append_printf (
        header, "\tv%d",
        confab_prompt_version_get_version (confab_prompt_grid_get_version (grid, i)));
  g_print ("%s\n", header->str);

  for (guint j = 0; j < n_cases; j++)
    {
      ConfabPromptTestCase *test_case = confab_prompt_grid_get_case (grid, j);
      g_autofree char      *name =
          g_strdelimit (g_strdup (confab_prompt_test_case_get_name (test_case)), "\t\n\r", ' ');

      g_print ("%s", name);
      for (guint i = 0; i < n_versions; i++)
        {
          ConfabPromptRun *run = confab_prompt_grid_get_run (grid, i, j);
          gboolean         ok = confab_prompt_grid_get_passed (grid, i, j);

          passed += ok;
          /* Translators: grid cells; keep them short. */
          g_print ("\t%s", ok ? _("pass") : run == NULL ? _("ERROR") : _("FAIL"));
        }
      g_print ("\n");
    }

  /* Why each failing cell failed. */
  for (guint i = 0; i < n_versions; i++)
    for (guint j = 0; j < n_cases; j++)
      {
        ConfabPromptRun *run = confab_prompt_grid_get_run (grid, i, j);
        const GError    *cell_error = confab_prompt_grid_get_error (grid, i, j);
        int number = confab_prompt_version_get_version (confab_prompt_grid_get_version (grid, i));
        const char *case_name =
            confab_prompt_test_case_get_name (confab_prompt_grid_get_case (grid, j));
        g_autoptr (GPtrArray) results = NULL;

        if (confab_prompt_grid_get_passed (grid, i, j))
          continue;
        if (run == NULL)
          {
            g_printerr (_("v%d “%s”: %s\n"), number, case_name,
                        cell_error ? cell_error->message : "");
            continue;
          }
        if (confab_prompt_run_get_error (run) != NULL)
          g_printerr (_("v%d “%s”: %s\n"), number, case_name, confab_prompt_run_get_error (run));
        results =
            confab_prompt_assertion_results_parse (confab_prompt_run_get_assertion_results (run));
        for (guint k = 0; k < results->len; k++)
          {
            ConfabPromptAssertionResult *result = g_ptr_array_index (results, k);

            if (!result->passed)
              g_printerr (_("v%d “%s”: %s\n"), number, case_name, result->message);
          }
      }
  g_printerr (_("%u of %u passed\n"), passed, n_versions * n_cases);
}

static int
prompts_test (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("NAME"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autoptr (ConfabPromptRunner) runner = NULL;
  g_autoptr (ConfabPromptGrid) grid = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GArray) numbers = NULL;
  g_autofree char   *versions_arg = NULL;
  g_autofree char   *provider_arg = NULL;
  g_autofree char   *model_arg = NULL;
  g_autofree char   *agent_arg = NULL;
  ConfabPromptTarget target = { 0 };
  Call               call = { 0 };
  int                status;
  GOptionEntry       entries[] = {
          { "versions", 0, 0, G_OPTION_ARG_STRING, &versions_arg,
            N_("The versions to test, like 1,2 (default: the newest)"), N_("LIST") },
          { "provider", 'p', 0, G_OPTION_ARG_STRING, &provider_arg,
            N_("Run with this provider instead of each version’s"), N_("PROVIDER") },
          { "model", 'm', 0, G_OPTION_ARG_STRING, &model_arg,
            N_("Run with this model instead of each version’s"), N_("MODEL") },
          { "agent", 'a', 0, G_OPTION_ARG_STRING, &agent_arg,
            N_("Have this rule-based agent answer, offline"), N_("AGENT") },
          { NULL }
  };

  g_option_context_set_summary (context,
                                _("Run every test case of a prompt against versions and print "
                                  "the grid (cases × versions); why a cell failed goes to "
                                  "standard error. Exits with 1 when a case failed."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("prompts test takes one prompt"));
  if (versions_arg != NULL &&
      (numbers = parse_version_list (context, versions_arg, &status)) == NULL)
    return status;

  prompt = open_prompt (cli, argv[1], &error);
  if (prompt == NULL)
    return confab_cli_fail (error);
  status =
      resolve_target (cli, context, provider_arg, model_arg, agent_arg, &provider, &agent, &target);
  if (status != CONFAB_CLI_OK)
    return status;

  runner = confab_prompt_runner_new (cli->db, NULL);
  call.cancellable = cancellable;
  confab_prompt_runner_run_all_async (
      runner, id_of (prompt), numbers ? (const int *) numbers->data : NULL,
      numbers ? numbers->len : 0, &target, NULL, NULL, cancellable, on_grid_done, &call);
  wait_for (&call);
  if (call.error != NULL)
    {
      g_autoptr (GError) run_error = g_steal_pointer (&call.error);

      if (call.interrupted && g_error_matches (run_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_printerr ("confab-cli: %s\n", _("cancelled"));
          return EXIT_INTERRUPTED;
        }
      return confab_cli_fail (run_error);
    }
  grid = g_steal_pointer (&call.grid);
  print_grid (grid);
  return confab_prompt_grid_all_passed (grid) ? CONFAB_CLI_OK : CONFAB_CLI_ERROR;
}

/* cases */

static void
add_assertions (JsonBuilder *builder, const char *type, char **values)
{
  for (guint i = 0; values != NULL && values[i] != NULL; i++)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, type);
      json_builder_set_member_name (builder, "value");
      json_builder_add_string_value (builder, values[i]);
      json_builder_end_object (builder);
    }
}

static void
add_number_assertion (JsonBuilder *builder, const char *type, gint64 value)
{
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder, type);
  json_builder_set_member_name (builder, "value");
  json_builder_add_int_value (builder, value);
  json_builder_end_object (builder);
}

static int
cases_add (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("PROMPT"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (ConfabPromptTestCase) test_case = NULL;
  g_autoptr (GHashTable) variables = NULL;
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *name = NULL;
  g_autofree char *input = NULL;
  g_autofree char *max_latency = NULL;
  g_autofree char *max_tokens = NULL;
  g_autofree char *assertions_json = NULL;
  g_autofree char *variables_json = NULL;
  g_autofree char *assertions = NULL;
  g_auto (GStrv) vars = NULL;
  g_auto (GStrv) contains = NULL;
  g_auto (GStrv) not_contains = NULL;
  g_auto (GStrv) regex = NULL;
  g_auto (GStrv) equals = NULL;
  gboolean     valid_json = FALSE;
  int          status;
  GOptionEntry entries[] = {
    { "name", 'n', 0, G_OPTION_ARG_STRING, &name, N_("The case’s name (required)"), N_("NAME") },
    { "var", 'v', 0, G_OPTION_ARG_STRING_ARRAY, &vars, N_("A variable’s value (repeat for more)"),
      N_("NAME=VALUE") },
    { "input", 'i', 0, G_OPTION_ARG_STRING, &input, N_("The user’s message"), N_("TEXT") },
    { "contains", 0, 0, G_OPTION_ARG_STRING_ARRAY, &contains, N_("The output must contain TEXT"),
      N_("TEXT") },
    { "not-contains", 0, 0, G_OPTION_ARG_STRING_ARRAY, &not_contains,
      N_("The output must not contain TEXT"), N_("TEXT") },
    { "regex", 0, 0, G_OPTION_ARG_STRING_ARRAY, &regex,
      N_("The output must match the regular expression"), N_("PATTERN") },
    { "equals", 0, 0, G_OPTION_ARG_STRING_ARRAY, &equals,
      N_("The output must be TEXT (spaces at either end aside)"), N_("TEXT") },
    { "valid-json", 0, 0, G_OPTION_ARG_NONE, &valid_json, N_("The output must be JSON"), NULL },
    { "max-latency-ms", 0, 0, G_OPTION_ARG_STRING, &max_latency,
      N_("The run may take at most N milliseconds"), N_("N") },
    { "max-tokens", 0, 0, G_OPTION_ARG_STRING, &max_tokens,
      N_("The output may be at most N tokens"), N_("N") },
    { "assertions", 0, 0, G_OPTION_ARG_STRING, &assertions,
      N_("More assertions as a JSON array, [{\"type\": …, \"value\": …}]"), N_("JSON") },
    { NULL }
  };

  g_option_context_set_summary (context, _("Save a test case of a prompt: variables, an input and "
                                           "assertions each run of it is judged by."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("prompts cases add takes one prompt"));
  if (!is_set (name))
    return confab_cli_usage (context, _("--name is required"));
  variables = parse_vars (context, vars, &status);
  if (variables == NULL)
    return status;

  json_builder_begin_array (builder);
  add_assertions (builder, "contains", contains);
  add_assertions (builder, "not_contains", not_contains);
  add_assertions (builder, "regex", regex);
  add_assertions (builder, "equals", equals);
  if (valid_json)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "type");
      json_builder_add_string_value (builder, "valid_json");
      json_builder_end_object (builder);
    }
  if (max_latency != NULL)
    {
      gint64 value;

      if (!parse_count (context, "--max-latency-ms", max_latency, &value, &status))
        return status;
      add_number_assertion (builder, "max_latency_ms", value);
    }
  if (max_tokens != NULL)
    {
      gint64 value;

      if (!parse_count (context, "--max-tokens", max_tokens, &value, &status))
        return status;
      add_number_assertion (builder, "max_tokens", value);
    }
  if (assertions != NULL)
    {
      g_autoptr (JsonNode) extra = json_from_string (assertions, NULL);

      if (extra == NULL || !JSON_NODE_HOLDS_ARRAY (extra))
        return confab_cli_usage (context, _("--assertions must be a JSON array"));
      for (guint i = 0; i < json_array_get_length (json_node_get_array (extra)); i++)
        json_builder_add_value (
            builder, json_node_copy (json_array_get_element (json_node_get_array (extra), i)));
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  assertions_json = json_to_string (root, FALSE);
  variables_json = confab_prompt_variables_to_json (variables);

  prompt = open_prompt (cli, argv[1], &error);
  if (prompt == NULL)
    return confab_cli_fail (error);

  test_case = confab_prompt_test_case_new (id_of (prompt), name);
  confab_prompt_test_case_set_variables (test_case, variables_json);
  confab_prompt_test_case_set_input (test_case, input != NULL ? input : "");
  confab_prompt_test_case_set_assertions (test_case, assertions_json);
  if (!confab_repository_create (cli->db, CONFAB_ENTITY (test_case), NULL, &error))
    return confab_cli_fail (error);
  g_print (_("Added the test case “%s” to “%s”\n"), name, confab_prompt_get_name (prompt));
  return CONFAB_CLI_OK;
}

static int
cases_list (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("PROMPT"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (GPtrArray) cases = NULL;
  int status;

  g_option_context_set_summary (context,
                                _("List the test cases of a prompt: name, variables (JSON), "
                                  "input, assertions."));
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("prompts cases list takes one prompt"));

  prompt = open_prompt (cli, argv[1], &error);
  if (prompt == NULL)
    return confab_cli_fail (error);
  cases = confab_repository_list (cli->db, CONFAB_TYPE_PROMPT_TEST_CASE, "prompt_id",
                                  id_of (prompt), &error);
  if (cases == NULL)
    return confab_cli_fail (error);
  for (guint i = 0; i < cases->len; i++)
    {
      ConfabPromptTestCase *test_case = g_ptr_array_index (cases, i);
      g_autoptr (GPtrArray) results = NULL;
      g_autoptr (GString) described = g_string_new (NULL);
      g_autoptr (JsonNode) node =
          json_from_string (confab_prompt_test_case_get_assertions (test_case), NULL);
      JsonArray *array =
          node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;

      for (guint k = 0; array != NULL && k < json_array_get_length (array); k++)
        {
          JsonObject      *object = json_array_get_object_element (array, k);
          JsonNode        *value = object ? json_object_get_member (object, "value") : NULL;
          g_autofree char *value_text = NULL;
          g_autofree char *text = NULL;

          if (object == NULL)
            continue;
          if (value != NULL && JSON_NODE_HOLDS_VALUE (value))
            value_text = json_node_get_value_type (value) == G_TYPE_STRING
                             ? g_strdup (json_node_get_string (value))
                             : g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (value));
          text = confab_prompt_assertion_describe (
              json_object_get_string_member_with_default (object, "type", "?"), value_text);
          g_string_append_printf (described, "%s%s", described->len ? "; " : "", text);
        }
      confab_cli_print_row (confab_prompt_test_case_get_name (test_case),
                            confab_prompt_test_case_get_variables (test_case),
                            CONFAB_CLI_STR (confab_prompt_test_case_get_input (test_case)),
                            described->str, NULL);
    }
  return CONFAB_CLI_OK;
}

static int
cases_remove (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("PROMPT CASE"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabPrompt) prompt = NULL;
  g_autoptr (GPtrArray) cases = NULL;
  int status;

  g_option_context_set_summary (context, _("Delete a test case of a prompt (its runs stay)."));
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 3)
    return confab_cli_usage (context, _("prompts cases remove takes PROMPT CASE"));

  prompt = open_prompt (cli, argv[1], &error);
  if (prompt == NULL)
    return confab_cli_fail (error);
  cases = confab_repository_list (cli->db, CONFAB_TYPE_PROMPT_TEST_CASE, "prompt_id",
                                  id_of (prompt), &error);
  if (cases == NULL)
    return confab_cli_fail (error);
  for (guint i = 0; i < cases->len; i++)
    {
      ConfabPromptTestCase *test_case = g_ptr_array_index (cases, i);

      if (g_strcmp0 (confab_prompt_test_case_get_name (test_case), argv[2]) != 0)
        continue;
      if (!confab_repository_delete (cli->db, CONFAB_TYPE_PROMPT_TEST_CASE, id_of (test_case), NULL,
                                     &error))
        return confab_cli_fail (error);
      g_print (_("Removed the test case “%s” of “%s”\n"), argv[2],
               confab_prompt_get_name (prompt));
      return CONFAB_CLI_OK;
    }
  g_printerr (_("confab-cli: the prompt “%s” has no test case “%s”\n"),
              confab_prompt_get_name (prompt), argv[2]);
  return CONFAB_CLI_ERROR;
}

static int
prompts_cases (ConfabCli *cli, int argc, char **argv)
{
  static const char *const      names[] = { "add", "list", "remove", NULL };
  static const ConfabCliCommand commands[] = { cases_add, cases_list, cases_remove };

  return confab_cli_dispatch (cli, "prompts cases", names, commands,
                              _("Commands:\n"
                                "  add PROMPT --name N [--var K=V…] [--input T] [--contains T…]\n"
                                "      [--not-contains T…] [--regex P…] [--equals T] "
                                "[--valid-json]\n"
                                "      [--max-latency-ms N] [--max-tokens N] [--assertions JSON]\n"
                                "  list PROMPT\n"
                                "  remove PROMPT CASE"),
                              argc, argv);
}

/* export, import */

static int
prompts_export (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("DIR | --json FILE"));
  g_autoptr (GError) error = NULL;
  g_autofree char *json_path = NULL;
  int              status;
  GOptionEntry     entries[] = {
        { "json", 0, 0, G_OPTION_ARG_FILENAME, &json_path,
          N_("Write the whole library (versions, labels, test cases) as one JSON file"), N_("FILE") },
        { NULL }
  };

  g_option_context_set_summary (context,
                                _("Write the prompt library to DIR as .prompt files, one per "
                                  "version (support/greeting.v3.prompt), ready for git; or with "
                                  "--json, as one JSON file."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (json_path != NULL ? argc != 1 : argc != 2)
    return confab_cli_usage (context, _("prompts export takes a folder, or --json FILE"));

  if (open_existing (cli, &error) == NULL)
    return confab_cli_fail (error);
  if (json_path != NULL)
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (json_path);

      if (!confab_prompt_library_export_json (cli->db, file, NULL, &error))
        return confab_cli_fail (error);
      g_print (_("Wrote the prompt library to %s\n"), json_path);
    }
  else
    {
      g_autoptr (GFile) folder = g_file_new_for_commandline_arg (argv[1]);
      guint n_files = 0;

      if (!confab_prompt_files_export (cli->db, folder, &n_files, NULL, &error))
        return confab_cli_fail (error);
      g_print (
          g_dngettext (GETTEXT_PACKAGE, "Wrote %u file to %s\n", "Wrote %u files to %s\n", n_files),
          n_files, argv[1]);
    }
  return CONFAB_CLI_OK;
}

static const char *
action_word (ConfabPromptImportItem *item)
{
  switch (item->action)
    {
    case CONFAB_PROMPT_IMPORT_CREATED:
      /* Translators: the first column of an import report. */
      return _("created");
    case CONFAB_PROMPT_IMPORT_UPDATED:
      return _("updated");
    case CONFAB_PROMPT_IMPORT_SKIPPED:
    default:
      return _("skipped");
    }
}

static int
prompts_import (ConfabCli *cli, int argc, char **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("DIR | FILE.json"));
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GPtrArray) report = NULL;
  g_autoptr (ConfabUser) actor = NULL;
  g_autofree char *actor_arg = NULL;
  gboolean         all = FALSE;
  guint            n_unchanged, n_problems;
  int              status;
  GOptionEntry     entries[] = { { "actor", 0, 0, G_OPTION_ARG_STRING, &actor_arg,
                                   N_("Who imports, by id or username"), N_("USER") },
                                 { "all", 0, 0, G_OPTION_ARG_NONE, &all,
                                   N_("Also list what was already in the workspace"), NULL },
                                 { NULL } };

  g_option_context_set_summary (context,
                                _("Read .prompt files from DIR (or a JSON library export) into "
                                  "the workspace. New prompts, versions, labels and test cases "
                                  "are added; an existing version is never overwritten. Prints "
                                  "what was created, updated or skipped and why; exits with 1 "
                                  "when something could not be imported."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("prompts import takes a folder or a JSON file"));

  if (open_existing (cli, &error) == NULL)
    return confab_cli_fail (error);
  if (actor_arg != NULL && (actor = find_user (cli->db, actor_arg, &error)) == NULL)
    return confab_cli_fail (error);
  file = g_file_new_for_commandline_arg (argv[1]);
  if (g_file_query_file_type (file, G_FILE_QUERY_INFO_NONE, NULL) == G_FILE_TYPE_DIRECTORY)
    report = confab_prompt_files_import (cli->db, file, actor ? id_of (actor) : NULL, NULL, &error);
  else
    report = confab_prompt_library_import_json (cli->db, file, actor ? id_of (actor) : NULL, NULL,
                                                &error);
  if (report == NULL)
    return confab_cli_fail (error);

  for (guint i = 0; i < report->len; i++)
    {
      ConfabPromptImportItem *item = g_ptr_array_index (report, i);
      g_autofree char        *version =
          item->version > 0 ? g_strdup_printf ("v%d", item->version) : g_strdup ("");

      if (item->action == CONFAB_PROMPT_IMPORT_SKIPPED && !item->problem && !all)
        continue;
      confab_cli_print_row (action_word (item), CONFAB_CLI_STR (item->name), version,
                            CONFAB_CLI_STR (item->source), item->detail, NULL);
    }

  n_unchanged = confab_prompt_import_count (report, CONFAB_PROMPT_IMPORT_SKIPPED, FALSE);
  n_problems = confab_prompt_import_count (report, CONFAB_PROMPT_IMPORT_SKIPPED, TRUE);
  /* Translators: the summary of an import. */
  g_printerr (_("%u created, %u updated, %u already there, %u skipped with a problem\n"),
              confab_prompt_import_count (report, CONFAB_PROMPT_IMPORT_CREATED, FALSE),
              confab_prompt_import_count (report, CONFAB_PROMPT_IMPORT_UPDATED, FALSE), n_unchanged,
              n_problems);
  return n_problems > 0 ? CONFAB_CLI_ERROR : CONFAB_CLI_OK;
}

int
confab_cli_prompts (ConfabCli *cli, int argc, char **argv)
{
  static const char *const      names[] = { "list",    "show",    "add",    "edit",   "label",
                                            "restore", "history", "diff",   "render", "run",
                                            "test",    "cases",   "export", "import", NULL };
  static const ConfabCliCommand commands[] = { prompts_list,    prompts_show,  prompts_add,
                                               prompts_edit,    prompts_label, prompts_restore,
                                               prompts_history, prompts_diff,  prompts_render,
                                               prompts_run,     prompts_test,  prompts_cases,
                                               prompts_export,  prompts_import };

  return confab_cli_dispatch (cli, "prompts", names, commands,
                              _("Commands (NAME@VERSION or NAME:LABEL picks a version):\n"
                                "  list [FOLDER] [--json]\n"
                                "  show NAME[@VERSION|:LABEL] [--body]\n"
                                "  add NAME --body TEXT|--body-file FILE [--description D] "
                                "[--tag T…]\n"
                                "  edit NAME --message M [--body TEXT|--body-file FILE] "
                                "[--provider P] [--model M]\n"
                                "      [--temperature X] [--max-tokens N]\n"
                                "  label NAME VERSION LABEL | label --remove NAME LABEL\n"
                                "  restore NAME VERSION\n"
                                "  history NAME\n"
                                "  diff NAME V1 V2 [--word-diff] [--color WHEN]\n"
                                "  render NAME[@VERSION|:LABEL] [--var K=V…]\n"
                                "  run NAME[@VERSION|:LABEL] [--var K=V…] [--input T] "
                                "[--provider P --model M|--agent A]\n"
                                "  test NAME [--versions 1,2] [--provider P --model M|--agent A]\n"
                                "  cases add|list|remove …\n"
                                "  export DIR | export --json FILE\n"
                                "  import DIR|FILE.json"),
                              argc, argv);
}
