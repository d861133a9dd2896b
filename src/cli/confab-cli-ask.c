#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "confab-cli-common.h"
#include "confab-llm-client.h"
#include "confab-secret-store.h"

/* confab-cli ask: one prompt to one provider, the reply streamed to
 * standard output as it arrives. The provider's API key goes from the
 * keyring straight into the client: it is never an argument, never printed
 * and never part of a message. */

/* Exit status after Ctrl+C, as a shell reports a command killed by SIGINT. */
#define EXIT_INTERRUPTED 130

/* Longest prompt read from standard input. */
#define MAX_STDIN_PROMPT (8 * 1024 * 1024)

/* The whole of standard input, or NULL with an error. */
static char *
read_stdin_prompt (GError **error)
{
  g_autoptr (GString) text = g_string_new (NULL);
  char buf[4096];

  for (;;)
    {
      gssize n = read (STDIN_FILENO, buf, sizeof buf);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                       _("Could not read the prompt from standard input: %s"),
                       g_strerror (saved));
          return NULL;
        }
      if (n == 0)
        break;
      if (text->len + (gsize) n > MAX_STDIN_PROMPT)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_LIMIT,
                       _("The prompt on standard input is longer than %d MB"),
                       MAX_STDIN_PROMPT / (1024 * 1024));
          return NULL;
        }
      g_string_append_len (text, buf, n);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Providers */

/* The client for provider, with its key from the keyring when it has one.
 * Local servers need no key, so an unreachable keyring is only a warning:
 * the request goes without a key, and a server that wants one says so. */
static ConfabLlmClient *
new_client (ConfabProvider  *provider,
            GError         **error)
{
  g_autoptr (ConfabSecretStore) store = confab_secret_store_new ();
  g_autoptr (GError) local_error = NULL;
  ConfabLlmClient *client;
  char *key;

  key = confab_secret_store_lookup_sync (store, confab_entity_get_id (CONFAB_ENTITY (provider)),
                                         NULL, &local_error);
  if (local_error != NULL)
    {
      if (!g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_KEYRING))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_printerr (_("confab-cli: warning: %s\n"), local_error->message);
      g_printerr (_("confab-cli: warning: sending the request to “%s” without an API key\n"),
                  confab_provider_get_name (provider));
    }

  client = confab_llm_client_new_for_provider (provider, key, error);
  confab_secret_store_free_key (key);
  return client;
}

/* The call */

typedef struct
{
  ConfabLlmClient  *client;
  GCancellable     *cancellable;
  ConfabChatResult *result;
  GError           *error;
  gboolean          done;
  gboolean          interrupted;
  gboolean          printed;        /* some text went to stdout */
  gboolean          ends_in_newline;
  int               write_errno;    /* stdout failed: errno, else 0 */
} AskCall;

static void
on_delta (const char *text,
          gpointer    user_data)
{
  AskCall *call = user_data;
  gsize len = strlen (text);

  if (call->write_errno != 0 || len == 0)
    return;

  /* stdio, flushed at once, so a pipe sees the reply as it streams. */
  if (fwrite (text, 1, len, stdout) != len || fflush (stdout) != 0)
    {
      call->write_errno = errno != 0 ? errno : EIO;
      g_cancellable_cancel (call->cancellable);
      return;
    }
  call->printed = TRUE;
  call->ends_in_newline = text[len - 1] == '\n';
}

static void
on_chat_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  AskCall *call = user_data;

  confab_llm_client_chat_finish (CONFAB_LLM_CLIENT (source), result, &call->result,
                                 &call->error);
  call->done = TRUE;
}

static gboolean
on_sigint (gpointer user_data)
{
  AskCall *call = user_data;

  call->interrupted = TRUE;
  g_cancellable_cancel (call->cancellable);
  /* The watch goes away, so a second Ctrl+C stops the program at once. */
  return G_SOURCE_REMOVE;
}

/* "tokens in N, out M, first token X ms, total Y ms, model NAME" */
static void
print_usage_line (ConfabChatResult *result)
{
  gint64 first_ms = confab_chat_result_get_first_token_ms (result);
  g_autofree char *in = g_strdup_printf ("%" G_GINT64_FORMAT,
                                         confab_chat_result_get_tokens_in (result));
  g_autofree char *out = g_strdup_printf ("%" G_GINT64_FORMAT,
                                          confab_chat_result_get_tokens_out (result));
  g_autofree char *first = first_ms >= 0 ? g_strdup_printf ("%" G_GINT64_FORMAT, first_ms)
                                         : g_strdup ("-");
  g_autofree char *total = g_strdup_printf ("%" G_GINT64_FORMAT,
                                            confab_chat_result_get_total_ms (result));

  /* Translators: token counts, then times in milliseconds ("-" when no text
   * came), then the model that answered. */
  g_printerr (_("tokens in %s, out %s, first token %s ms, total %s ms, model %s\n"),
              in, out, first, total, CONFAB_CLI_STR (confab_chat_result_get_model (result)));
}

int
confab_cli_ask (ConfabCli  *cli,
                int         argc,
                char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("PROMPT…"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabProvider) provider = NULL;
  g_autoptr (ConfabLlmClient) client = NULL;
  g_autoptr (ConfabChatRequest) request = NULL;
  g_autoptr (GCancellable) cancellable = NULL;
  g_autofree char *provider_arg = NULL;
  g_autofree char *model = NULL;
  g_autofree char *system = NULL;
  g_autofree char *temperature = NULL;
  g_autofree char *max_tokens = NULL;
  g_autofree char *prompt = NULL;
  double temperature_value = CONFAB_CHAT_REQUEST_DEFAULT_TEMPERATURE;
  gint64 max_tokens_value = CONFAB_CHAT_REQUEST_DEFAULT_MAX_TOKENS;
  gboolean no_stream = FALSE;
  gboolean usage = FALSE;
  gboolean from_stdin;
  AskCall call = { 0 };
  guint sigint_id;
  int status;
  GOptionEntry entries[] = {
    { "provider", 'p', 0, G_OPTION_ARG_STRING, &provider_arg,
      N_("The provider to ask, by id or name (required)"), N_("ID|NAME") },
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model,
      N_("The model (default: the provider's default model)"), N_("MODEL") },
    { "system", 's', 0, G_OPTION_ARG_STRING, &system,
      N_("A system prompt"), N_("TEXT") },
    { "temperature", 't', 0, G_OPTION_ARG_STRING, &temperature,
      N_("Sampling temperature, 0 to 2 (default: the provider's)"), N_("X") },
    { "max-tokens", 0, 0, G_OPTION_ARG_STRING, &max_tokens,
      N_("Longest reply in tokens (default: the provider's)"), N_("N") },
    { "no-stream", 0, 0, G_OPTION_ARG_NONE, &no_stream,
      N_("Ask for the whole reply at once instead of a stream"), NULL },
    { "usage", 0, 0, G_OPTION_ARG_NONE, &usage,
      N_("Print token usage and timings on standard error"), NULL },
    { NULL }
  };

  /* Debug messages go to stderr: stdout is the reply, and nothing else. */
  g_log_writer_default_set_use_stderr (TRUE);

  g_option_context_set_summary (context,
                                _("Send one prompt to a provider and print the reply on standard "
                                  "output as it arrives. The prompt is the remaining arguments "
                                  "joined with spaces, or standard input when it is “-”. The "
                                  "provider's API key is taken from the keyring. Ctrl+C stops the "
                                  "reply; what arrived stays printed."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;

  if (provider_arg == NULL || *provider_arg == '\0')
    return confab_cli_usage (context, _("--provider is required"));
  if (argc < 2)
    return confab_cli_usage (context, _("ask needs a prompt"));
  if (temperature != NULL)
    {
      char *end = NULL;

      temperature_value = g_ascii_strtod (temperature, &end);
      if (end == temperature || *end != '\0' || !isfinite (temperature_value) ||
          temperature_value < 0.0 || temperature_value > 2.0)
        {
          g_autofree char *message =
            g_strdup_printf (_("the temperature must be a number from 0 to 2, not “%s”"),
                             temperature);
          return confab_cli_usage (context, message);
        }
    }
  if (max_tokens != NULL &&
      !g_ascii_string_to_signed (max_tokens, 10, 1, G_MAXINT, &max_tokens_value, NULL))
    {
      g_autofree char *message =
        g_strdup_printf (_("--max-tokens must be a whole number above 0, not “%s”"), max_tokens);
      return confab_cli_usage (context, message);
    }
  from_stdin = argc == 2 && g_str_equal (argv[1], "-");

  provider = confab_cli_find_provider (cli, provider_arg, &error);
  if (provider == NULL)
    return confab_cli_fail (error);

  if (model == NULL || *model == '\0')
    {
      g_free (model);
      model = g_strdup (confab_provider_get_default_model (provider));
    }
  if (model == NULL || *model == '\0')
    {
      g_autofree char *message =
        g_strdup_printf (_("“%s” has no default model: choose one with --model"),
                         confab_provider_get_name (provider));
      return confab_cli_usage (context, message);
    }

  if (from_stdin)
    {
      prompt = read_stdin_prompt (&error);
      if (prompt == NULL)
        return confab_cli_fail (error);
      g_strchomp (prompt);
    }
  else
    prompt = g_strjoinv (" ", argv + 1);

  if (!g_utf8_validate (prompt, -1, NULL))
    {
      g_printerr ("confab-cli: %s\n", _("The prompt is not valid UTF-8 text"));
      return CONFAB_CLI_ERROR;
    }
  if (*prompt == '\0')
    return confab_cli_usage (context, _("the prompt is empty"));
  if (system != NULL && !g_utf8_validate (system, -1, NULL))
    {
      g_printerr ("confab-cli: %s\n", _("The system prompt is not valid UTF-8 text"));
      return CONFAB_CLI_ERROR;
    }

  client = new_client (provider, &error);
  if (client == NULL)
    return confab_cli_fail (error);
  if (no_stream)
    confab_llm_client_set_supports_streaming (client, FALSE);

  request = confab_chat_request_new (model);
  if (system != NULL && *system != '\0')
    confab_chat_request_set_system (request, system);
  if (temperature != NULL)
    confab_chat_request_set_temperature (request, temperature_value);
  if (max_tokens != NULL)
    confab_chat_request_set_max_tokens (request, (int) max_tokens_value);
  confab_chat_request_add_message (request, "user", prompt);

  cancellable = g_cancellable_new ();
  call.client = client;
  call.cancellable = cancellable;
  sigint_id = g_unix_signal_add (SIGINT, on_sigint, &call);

  confab_llm_client_chat_async (client, request, on_delta, &call, cancellable,
                                on_chat_done, &call);
  while (!call.done)
    g_main_context_iteration (NULL, TRUE);

  if (!call.interrupted)
    g_source_remove (sigint_id);

  if (call.printed && !call.ends_in_newline && call.write_errno == 0)
    {
      fputc ('\n', stdout);
      fflush (stdout);
    }
  if (usage && call.result != NULL)
    print_usage_line (call.result);
  g_clear_object (&call.result);

  if (call.write_errno != 0)
    {
      g_clear_error (&call.error);
      g_printerr (_("confab-cli: could not write the reply: %s\n"), g_strerror (call.write_errno));
      return CONFAB_CLI_ERROR;
    }
  if (call.error != NULL)
    {
      g_autoptr (GError) call_error = g_steal_pointer (&call.error);

      if (call.interrupted && g_error_matches (call_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_printerr ("confab-cli: %s\n", _("cancelled"));
          return EXIT_INTERRUPTED;
        }
      return confab_cli_fail (call_error);
    }
  return CONFAB_CLI_OK;
}
