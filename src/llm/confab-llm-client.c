#define G_LOG_DOMAIN "confab-llm"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "confab-error.h"
#include "confab-json-util.h"
#include "confab-llm-client.h"
#include "confab-anthropic-client.h"
#include "confab-gemini-client.h"
#include "confab-ollama-client.h"
#include "confab-openai-client.h"

/* Limits on what is read into memory. */
#define MAX_BODY_SIZE       (64 * 1024 * 1024) /* a whole non-streamed reply or model list */
#define MAX_ERROR_BODY_SIZE (64 * 1024)        /* an error body: only its message matters */
#define READ_CHUNK_SIZE     (16 * 1024)
#define MAX_BACKOFF_MS      30000
#define DRAIN_TIMEOUT_MS    5000               /* finishing a body after the reply is done */
#define ERROR_EXCERPT_CHARS 300                /* the server's words in an error message */
#define MALFORMED_EXCERPT_CHARS 80

/* libsoup 3.2 has no SOUP_STATUS_ for it. */
#define HTTP_TOO_MANY_REQUESTS 429
/* Anthropic's "overloaded": a busy server, worth another try like 503. */
#define HTTP_OVERLOADED        529

typedef struct
{
  SoupSession *session;
  char        *provider_name;
  char        *base_url;
  char        *api_key;
  gboolean     supports_streaming;
  guint        idle_timeout;
  guint        connect_timeout;
  guint        total_timeout;
  guint        max_retries;
  guint        retry_delay_ms;
} ConfabLlmClientPrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (ConfabLlmClient, confab_llm_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PROVIDER_NAME,
  PROP_BASE_URL,
  PROP_SUPPORTS_STREAMING,
  PROP_IDLE_TIMEOUT,
  PROP_CONNECT_TIMEOUT,
  PROP_TOTAL_TIMEOUT,
  PROP_MAX_RETRIES,
  PROP_RETRY_DELAY_MS,
  PROP_API_KEY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Provider kinds and the class that speaks each one's wire format. A new
 * wire format adds its line here (and its #include above). */
static const struct
{
  const char *kind;
  GType     (*get_type) (void);
} client_types[] = {
  { "openai_compatible", confab_openai_client_get_type },
  { "openai", confab_openai_client_get_type },
  { "anthropic", confab_anthropic_client_get_type },
  { "gemini", confab_gemini_client_get_type },
  { "ollama", confab_ollama_client_get_type },
};

/* ------------------------------------------------------------------------ */
/* Text helpers                                                             */
/* ------------------------------------------------------------------------ */

/* A short, single-line, valid UTF-8 quote of data: at most max_chars
 * characters, control characters turned into spaces, "…" when cut. */
static char *
make_excerpt (const char *data,
              gssize      len,
              guint       max_chars)
{
  g_autofree char *valid = NULL;
  GString *out;
  const char *p;
  guint n = 0;

  if (data == NULL)
    return g_strdup ("");
  if (len < 0)
    len = strlen (data);
  /* Enough bytes for max_chars characters of up to 4 bytes, plus one. */
  valid = g_utf8_make_valid (data, MIN ((gsize) len, (gsize) max_chars * 4 + 4));
  out = g_string_new (NULL);
  for (p = valid; *p != '\0' && n < max_chars; p = g_utf8_next_char (p), n++)
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        g_string_append_c (out, ' ');
      else
        g_string_append_unichar (out, c);
    }
  if (*p != '\0' || (gsize) len > strlen (valid))
    {
      while (out->len > 0 && out->str[out->len - 1] == ' ')
        g_string_truncate (out, out->len - 1);
      g_string_append (out, "…");
    }
  return g_strstrip (g_string_free (out, FALSE));
}

/* The length of the longest string that a and b both contain. */
static gsize
longest_common_substring (const char *a,
                          const char *b)
{
  gsize la = strlen (a), lb = strlen (b);
  g_autofree gsize *prev = g_new0 (gsize, lb + 1);
  g_autofree gsize *cur = g_new0 (gsize, lb + 1);
  gsize best = 0;

  for (gsize i = 1; i <= la; i++)
    {
      for (gsize j = 1; j <= lb; j++)
        {
          cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : 0;
          best = MAX (best, cur[j]);
        }
      memcpy (prev, cur, (lb + 1) * sizeof (gsize));
    }
  return best;
}

/* Servers quote the key they refused, whole or masked ("sk-abc****wxyz"):
 * a word is hidden when it holds the key, when it is masked and shares six
 * characters with the key, or when it shares half the key. */
static char *
scrub_secret (const char *text,
              const char *key)
{
  g_auto (GStrv) words = NULL;
  GString *out;
  gsize key_len;
  gsize threshold;

  if (text == NULL)
    return NULL;
  if (key == NULL || *key == '\0')
    return g_strdup (text);

  key_len = strlen (key);
  threshold = MAX (MIN (key_len, 8), key_len / 2);
  words = g_strsplit (text, " ", -1);
  out = g_string_new (NULL);
  for (guint i = 0; words[i] != NULL; i++)
    {
      gsize common = longest_common_substring (words[i], key);

      if (i > 0)
        g_string_append_c (out, ' ');

      if (strstr (words[i], key) != NULL || common >= threshold ||
          (common >= MIN (key_len, 6) && strstr (words[i], "**") != NULL))
        g_string_append (out, "[hidden]");
      else
        g_string_append (out, words[i]);
    }
  return g_string_free (out, FALSE);
}

static gboolean
contains_ci (const char *haystack,
             const char *needle)
{
  g_autofree char *folded = NULL;

  if (haystack == NULL)
    return FALSE;
  folded = g_ascii_strdown (haystack, -1);
  return strstr (folded, needle) != NULL;
}

static gboolean
looks_like_context_error (const char *code,
                          const char *message)
{
  static const char * const phrases[] = {
    "context length", "context_length", "context window", "maximum context",
    "context size", "too many tokens", "prompt is too long", "input is too long",
    "exceeds the context", "reduce the length", "input length",
    "exceeds the maximum number of tokens", NULL
  };

  if (contains_ci (code, "context_length") || contains_ci (code, "context_size") ||
      contains_ci (code, "too_long"))
    return TRUE;
  for (guint i = 0; phrases[i] != NULL; i++)
    if (contains_ci (message, phrases[i]))
      return TRUE;
  return FALSE;
}

static gboolean
looks_like_unknown_model (const char *code,
                          const char *message)
{
  if (contains_ci (code, "model_not_found") || g_strcmp0 (code, "not_found_error") == 0 ||
      g_strcmp0 (code, "NOT_FOUND") == 0)
    return TRUE;
  return contains_ci (message, "model") &&
         (contains_ci (message, "not found") || contains_ci (message, "does not exist") ||
          contains_ci (message, "unknown model") || contains_ci (message, "not exist"));
}

/* "127.0.0.1:8080" or "api.openai.com": the host people typed. */
static char *
uri_host_port (GUri *uri)
{
  const char *host = uri ? g_uri_get_host (uri) : NULL;
  int port = uri ? g_uri_get_port (uri) : -1;
  const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;
  gboolean default_port;

  if (host == NULL)
    return g_strdup ("");
  default_port = port == -1 ||
                 (port == 80 && g_strcmp0 (scheme, "http") == 0) ||
                 (port == 443 && g_strcmp0 (scheme, "https") == 0);
  if (default_port)
    return g_strdup (host);
  return g_strdup_printf (strchr (host, ':') ? "[%s]:%d" : "%s:%d", host, port);
}

/* ------------------------------------------------------------------------ */
/* A deadline: a GSource that fires once at a settable monotonic time.       */
/* ------------------------------------------------------------------------ */

static gboolean
deadline_dispatch (GSource     *source,
                   GSourceFunc  callback,
                   gpointer     user_data)
{
  g_source_set_ready_time (source, -1);
  return callback ? callback (user_data) : G_SOURCE_REMOVE;
}

static GSourceFuncs deadline_funcs = { NULL, NULL, deadline_dispatch, NULL, NULL, NULL };

static GSource *
deadline_new (GMainContext *context,
              const char   *name,
              GSourceFunc   func,
              gpointer      data)
{
  GSource *source = g_source_new (&deadline_funcs, sizeof (GSource));

  g_source_set_name (source, name);
  g_source_set_callback (source, func, data, NULL);
  g_source_set_ready_time (source, -1);
  g_source_attach (source, context);
  return source;
}

static void
deadline_arm (GSource *source,
              guint    ms)
{
  if (source != NULL)
    g_source_set_ready_time (source, g_get_monotonic_time () + (gint64) ms * 1000);
}

static void
deadline_disarm (GSource *source)
{
  if (source != NULL)
    g_source_set_ready_time (source, -1);
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* ------------------------------------------------------------------------ */
/* A call: one chat, model-list or embeddings operation, with its retries.   */
/* ------------------------------------------------------------------------ */

typedef enum
{
  OP_CHAT,
  OP_MODELS,
  OP_EMBED,
} CallOp;

typedef enum
{
  ABORT_NONE,
  ABORT_CONNECT_TIMEOUT,
  ABORT_IDLE_TIMEOUT,
  ABORT_TOTAL_TIMEOUT,
} AbortReason;

typedef enum
{
  BODY_STREAM,  /* chunks to parse_stream_chunk () */
  BODY_BUFFER,  /* the whole 2xx body, then parse_response () / _models () / _embeddings () */
  BODY_ERROR,   /* the start of an error body */
} BodyMode;

typedef struct _Call Call;

struct _ConfabLlmClientStream
{
  Call           *call;
  gpointer        state;
  GDestroyNotify  state_destroy;
  GString        *text;     /* valid UTF-8 handed on so far */
  GString        *pending;  /* the start of a character cut by the network */
  gboolean        live;     /* hand text on as it comes (streaming) */
  char           *finish_reason;
  char           *model;
  gint64          tokens_in;
  gint64          tokens_out;
  gint64          first_token_us;
  gboolean        done;
};

struct _Call
{
  GTask                 *task;         /* the call's own reference, dropped on completion */
  ConfabLlmClient       *client;       /* not a reference: the task holds one */
  CallOp                 op;
  ConfabChatRequest     *request;
  ConfabLlmDeltaFunc     delta_func;
  gpointer               delta_data;
  GMainContext          *context;
  GCancellable          *user_cancellable;
  gulong                 cancel_handler;
  GCancellable          *cancellable;  /* ours: cancelled by the user's or by a timer */
  AbortReason            abort_reason;
  gint64                 start_us;

  /* Snapshots of the settings, so changing them mid-call changes nothing. */
  guint                  idle_timeout;
  guint                  connect_timeout;
  guint                  total_timeout;
  guint                  max_retries;
  guint                  retry_delay_ms;
  gboolean               streaming;

  GSource               *total_timer;
  GSource               *connect_timer;
  GSource               *idle_timer;
  GSource               *backoff_timer;
  GSource               *cancel_source; /* wakes the backoff wait up */

  guint                  attempt;       /* retries done so far */
  SoupMessage           *msg;
  GInputStream          *body;
  BodyMode               body_mode;
  gboolean               body_started;  /* a byte reached the parser: no more retries */
  gboolean               at_eof;
  GByteArray            *buffer;
  ConfabLlmClientStream *stream;
  ConfabChatResult      *result;
  char                 **models;
  char                  *embed_model;   /* OP_EMBED */
  char                 **texts;         /* OP_EMBED */
  GPtrArray             *vectors;       /* OP_EMBED: GArray of float, one per text */
  gboolean               completed;
};

static void call_start_attempt (Call *call);
static void call_read_next     (Call *call);

static void
stream_free (ConfabLlmClientStream *stream)
{
  if (stream->state_destroy != NULL && stream->state != NULL)
    stream->state_destroy (stream->state);
  g_string_free (stream->text, TRUE);
  g_string_free (stream->pending, TRUE);
  g_free (stream->finish_reason);
  g_free (stream->model);
  g_free (stream);
}

static void
call_free (gpointer data)
{
  Call *call = data;

  /* Everything that can reach the call is gone by now: call_complete ()
   * destroyed the timers and disconnected the handlers. */
  g_assert (call->total_timer == NULL && call->idle_timer == NULL);
  g_clear_pointer (&call->stream, stream_free);
  g_clear_pointer (&call->buffer, g_byte_array_unref);
  g_clear_pointer (&call->models, g_strfreev);
  g_clear_pointer (&call->embed_model, g_free);
  g_clear_pointer (&call->texts, g_strfreev);
  g_clear_pointer (&call->vectors, g_ptr_array_unref);
  g_clear_object (&call->result);
  g_clear_object (&call->body);
  g_clear_object (&call->msg);
  g_clear_object (&call->cancellable);
  g_clear_object (&call->user_cancellable);
  g_clear_object (&call->request);
  g_clear_pointer (&call->context, g_main_context_unref);
  g_free (call);
}

static ConfabLlmClientPrivate *
call_priv (Call *call)
{
  return confab_llm_client_get_instance_private (call->client);
}

static const char *
call_provider (Call *call)
{
  const char *name = call_priv (call)->provider_name;

  return name != NULL ? name : "";
}

static const char *
call_model (Call *call)
{
  if (call->op == OP_EMBED)
    return call->embed_model;
  return call->request ? confab_chat_request_get_model (call->request) : NULL;
}

/* For the debug log. */
static const char *
call_op_name (Call *call)
{
  switch (call->op)
    {
    case OP_CHAT:
      return "chat";
    case OP_MODELS:
      return "models";
    case OP_EMBED:
      return "embeddings";
    default:
      g_assert_not_reached ();
    }
}

static gint64
elapsed_ms (Call *call)
{
  return (g_get_monotonic_time () - call->start_us) / 1000;
}

/* The server's words, safe to show: truncated, one line, no key. */
static char *
call_server_text (Call       *call,
                  const char *text,
                  guint       max_chars)
{
  g_autofree char *safe = NULL;

  if (text == NULL || *text == '\0')
    return NULL;
  /* Hide the key before cutting: a cut inside it would leave a piece too
   * short to be recognised. */
  safe = scrub_secret (text, call_priv (call)->api_key);
  return make_excerpt (safe, -1, max_chars);
}

static char *
call_host (Call *call)
{
  g_autoptr (GUri) uri = NULL;

  if (call->msg != NULL)
    return uri_host_port (soup_message_get_uri (call->msg));
  uri = g_uri_parse (call_priv (call)->base_url ? call_priv (call)->base_url : "",
                     G_URI_FLAGS_NONE, NULL);
  return uri_host_port (uri);
}

/* ---- errors ------------------------------------------------------------ */

static GError *
call_abort_error (Call *call)
{
  const char *provider = call_provider (call);
  guint n;

  switch (call->abort_reason)
    {
    case ABORT_CONNECT_TIMEOUT:
      n = call->connect_timeout;
      return g_error_new (CONFAB_ERROR, CONFAB_ERROR_TIMEOUT,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "Could not connect to “%s” within %u second (connection timeout)",
                                       "Could not connect to “%s” within %u seconds (connection timeout)",
                                       n),
                          provider, n);
    case ABORT_IDLE_TIMEOUT:
      n = call->idle_timeout;
      return g_error_new (CONFAB_ERROR, CONFAB_ERROR_TIMEOUT,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "“%s” sent nothing for %u second (idle timeout)",
                                       "“%s” sent nothing for %u seconds (idle timeout)",
                                       n),
                          provider, n);
    case ABORT_TOTAL_TIMEOUT:
      n = call->total_timeout;
      return g_error_new (CONFAB_ERROR, CONFAB_ERROR_TIMEOUT,
                          g_dngettext (GETTEXT_PACKAGE,
                                       "“%s” did not finish the reply within %u second (total timeout)",
                                       "“%s” did not finish the reply within %u seconds (total timeout)",
                                       n),
                          provider, n);
    case ABORT_NONE:
    default:
      return g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                          _("The request to “%s” was cancelled"), provider);
    }
}

static GError *
call_network_error (Call         *call,
                    const GError *error)
{
  g_autofree char *host = call_host (call);
  const char *provider = call_provider (call);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    return g_error_new (CONFAB_ERROR, CONFAB_ERROR_NETWORK,
                        _("Could not connect to “%s” for “%s”: the connection was refused; "
                          "is the server running?"),
                        host, provider);
  if (error->domain == G_RESOLVER_ERROR)
    return g_error_new (CONFAB_ERROR, CONFAB_ERROR_NETWORK,
                        _("Could not find the server “%s” for “%s”: %s"),
                        host, provider, error->message);
  if (error->domain == G_TLS_ERROR)
    return g_error_new (CONFAB_ERROR, CONFAB_ERROR_NETWORK,
                        _("The secure connection to “%s” for “%s” failed: %s"),
                        host, provider, error->message);
  return g_error_new (CONFAB_ERROR, CONFAB_ERROR_NETWORK,
                      _("Could not reach “%s” for “%s”: %s"),
                      host, provider, error->message);
}

/* A subclass's parser returned FALSE: the call fails even if it forgot to
 * say why (a programming error, so also a warning). */
static void
call_ensure_error (Call    *call,
                   GError **error)
{
  if (*error != NULL)
    return;
  g_warning ("%s failed to parse a reply without setting an error",
             G_OBJECT_TYPE_NAME (call->client));
  *error = g_error_new (CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                        _("“%s” sent a reply that could not be read"), call_provider (call));
}

static GError *
call_closed_early_error (Call *call)
{
  return g_error_new (CONFAB_ERROR, CONFAB_ERROR_NETWORK,
                      _("The connection to “%s” closed before the reply was complete"),
                      call_provider (call));
}

/* "try again in 12 seconds" / "in 3 minutes" */
static char *
format_wait (gint64 seconds)
{
  if (seconds < 120)
    {
      guint n = (guint) MAX (seconds, 1);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u second", "%u seconds", n), n);
    }
  else
    {
      guint n = (guint) ((seconds + 59) / 60);
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u minute", "%u minutes", n), n);
    }
}

static GError *
call_http_error (Call       *call,
                 guint       status,
                 const char *server_message,
                 const char *code,
                 gint64      wait_s)
{
  ConfabLlmClientPrivate *priv = call_priv (call);
  const char *provider = call_provider (call);
  const char *model = call_model (call);
  g_autofree char *detail = call_server_text (call, server_message, ERROR_EXCERPT_CHARS);
  g_autofree char *primary = NULL;
  g_autofree char *target = NULL;
  ConfabError error_code;

  if (model != NULL)
    target = g_strdup_printf (_("“%s” (model “%s”)"), provider, model);
  else
    target = g_strdup_printf ("“%s”", provider);

  if (status == SOUP_STATUS_UNAUTHORIZED || status == SOUP_STATUS_FORBIDDEN ||
      (status == SOUP_STATUS_BAD_REQUEST &&
       (contains_ci (code, "api_key_invalid") || contains_ci (server_message, "api key not valid"))))
    {
      error_code = CONFAB_ERROR_AUTH;
      if (priv->api_key == NULL)
        primary = g_strdup_printf (_("“%s” needs an API key, and none is set"), provider);
      else
        primary = g_strdup_printf (_("The API key for “%s” was rejected"), provider);
    }
  else if (status == HTTP_TOO_MANY_REQUESTS)
    {
      g_autofree char *wait = format_wait (wait_s);

      error_code = CONFAB_ERROR_RATE_LIMITED;
      /* Translators: the first %s is a provider (and model), the second a wait
       * such as "5 seconds". */
      primary = g_strdup_printf (_("%s is limiting requests; try again in %s"), target, wait);
    }
  else if (status >= 400 && status < 500 && looks_like_context_error (code, server_message))
    {
      error_code = CONFAB_ERROR_CONTEXT_TOO_LONG;
      if (call->op == OP_EMBED)
        primary = g_strdup_printf (_("A text is too long for the embedding model of %s"), target);
      else
        primary = g_strdup_printf (_("The conversation is too long for the context window of %s"),
                                   target);
    }
  else if (status == SOUP_STATUS_NOT_FOUND ||
           ((status == 400 || status == 422) && looks_like_unknown_model (code, server_message)))
    {
      error_code = CONFAB_ERROR_NOT_FOUND;
      if ((call->op == OP_CHAT || call->op == OP_EMBED) && model != NULL)
        primary = g_strdup_printf (_("The model “%s” was not found at “%s”"), model, provider);
      else
        primary = g_strdup_printf (_("“%s” has no model list at %s; check the base URL"),
                                   provider, priv->base_url);
    }
  else
    {
      const char *phrase = soup_status_get_phrase (status);

      error_code = CONFAB_ERROR_PROVIDER;
      if (phrase != NULL)
        /* Translators: %s is a provider (and model), %u an HTTP status code,
         * the last %s its English name ("Internal Server Error"). */
        primary = g_strdup_printf (_("%s answered with an error (HTTP %u %s)"),
                                   target, status, phrase);
      else
        primary = g_strdup_printf (_("%s answered with an error (HTTP %u)"), target, status);
    }

  if (detail != NULL)
    /* Translators: a sentence, then what the server said. */
    return g_error_new (CONFAB_ERROR, error_code, _("%s: %s"), primary, detail);
  return g_error_new_literal (CONFAB_ERROR, error_code, primary);
}

/* ---- the stream ---------------------------------------------------------- */

static gboolean
call_is_aborted (Call *call)
{
  return g_cancellable_is_cancelled (call->cancellable);
}

static void
stream_emit (ConfabLlmClientStream *stream,
             const char            *text,
             gsize                  len)
{
  Call *call = stream->call;
  g_autofree char *copy = NULL;

  if (len == 0)
    return;
  g_string_append_len (stream->text, text, len);
  if (!stream->live)
    return;
  if (stream->first_token_us == 0)
    stream->first_token_us = g_get_monotonic_time ();
  if (call->delta_func != NULL)
    {
      copy = g_strndup (text, len);
      call->delta_func (copy, call->delta_data);
    }
}

/* Whether p[0..len) is the start of a UTF-8 character that more bytes may
 * complete. */
static gboolean
utf8_incomplete (const char *p,
                 gsize       len)
{
  guchar lead = (guchar) p[0];
  gsize need;

  if (lead >= 0xC2 && lead <= 0xDF)
    need = 2;
  else if (lead >= 0xE0 && lead <= 0xEF)
    need = 3;
  else if (lead >= 0xF0 && lead <= 0xF4)
    need = 4;
  else
    return FALSE;
  if (len >= need)
    return FALSE;
  for (gsize i = 1; i < len; i++)
    if (((guchar) p[i] & 0xC0) != 0x80)
      return FALSE;
  return TRUE;
}

static void
stream_flush_pending (ConfabLlmClientStream *stream)
{
  g_autofree char *valid = NULL;

  if (stream->pending->len == 0)
    return;
  /* A character cut short is one U+FFFD, as decoders do. */
  if (utf8_incomplete (stream->pending->str, stream->pending->len))
    valid = g_strdup ("\xEF\xBF\xBD");
  else
    valid = g_utf8_make_valid (stream->pending->str, stream->pending->len);
  g_string_truncate (stream->pending, 0);
  stream_emit (stream, valid, strlen (valid));
}

/* ---- completion ---------------------------------------------------------- */

typedef struct
{
  GCancellable *cancellable;
  GSource      *timer;
} Drain;

static void
drain_done (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  Drain *drain = user_data;

  g_input_stream_close_finish (G_INPUT_STREAM (object), result, NULL);
  clear_source (&drain->timer);
  g_object_unref (drain->cancellable);
  g_free (drain);
}

static gboolean
drain_timeout (gpointer user_data)
{
  Drain *drain = user_data;

  g_cancellable_cancel (drain->cancellable);
  return G_SOURCE_REMOVE;
}

/* Lets libsoup finish reading the body so the connection can be reused,
 * without waiting more than a few seconds for a server that keeps it open. */
static void
body_drain_and_close (GInputStream *body,
                      GMainContext *context)
{
  Drain *drain = g_new0 (Drain, 1);

  drain->cancellable = g_cancellable_new ();
  drain->timer = g_timeout_source_new (DRAIN_TIMEOUT_MS);
  g_source_set_callback (drain->timer, drain_timeout, drain, NULL);
  g_source_attach (drain->timer, context);
  g_input_stream_close_async (body, G_PRIORITY_DEFAULT, drain->cancellable, drain_done, drain);
}

/* Drops the connection at once: closing libsoup's body stream with a
 * cancelled cancellable ends the message without reading the rest. */
static void
body_abort_and_close (GInputStream *body)
{
  g_autoptr (GCancellable) cancelled = g_cancellable_new ();

  g_cancellable_cancel (cancelled);
  g_input_stream_close (body, cancelled, NULL);
}

static void
call_release_body (Call     *call,
                   gboolean  keep_connection)
{
  if (call->body == NULL)
    return;
  if (keep_connection)
    body_drain_and_close (call->body, call->context);
  else
    body_abort_and_close (call->body);
  g_clear_object (&call->body);
}

static void
call_release_message (Call *call)
{
  if (call->msg == NULL)
    return;
  g_signal_handlers_disconnect_by_data (call->msg, call);
  g_clear_object (&call->msg);
}

static void
call_fill_result (Call *call)
{
  ConfabLlmClientStream *stream = call->stream;
  gint64 first_ms = -1;

  if (call->result == NULL || stream == NULL)
    return;
  if (stream->first_token_us != 0)
    first_ms = (stream->first_token_us - call->start_us) / 1000;
  confab_chat_result_set_text (call->result, stream->text->str);
  confab_chat_result_set_finish_reason (call->result, stream->finish_reason);
  confab_chat_result_set_model (call->result, stream->model ? stream->model : call_model (call));
  confab_chat_result_set_usage (call->result, stream->tokens_in, stream->tokens_out);
  confab_chat_result_set_timings (call->result, first_ms, elapsed_ms (call));
}

/* Ends the call with error (taken) or with success when error is NULL. */
static void
call_complete (Call   *call,
               GError *error)
{
  GTask *task = call->task;

  g_assert (!call->completed);
  call->completed = TRUE;

  clear_source (&call->total_timer);
  clear_source (&call->connect_timer);
  clear_source (&call->idle_timer);
  clear_source (&call->backoff_timer);
  clear_source (&call->cancel_source);
  if (call->cancel_handler != 0)
    g_cancellable_disconnect (call->user_cancellable, call->cancel_handler);
  call->cancel_handler = 0;

  call_release_body (call, error == NULL);
  call_release_message (call);

  if (call->stream != NULL)
    {
      /* An incomplete character left at the very end becomes U+FFFD. */
      if (error == NULL)
        stream_flush_pending (call->stream);
      if (call->stream->state_destroy != NULL && call->stream->state != NULL)
        call->stream->state_destroy (call->stream->state);
      call->stream->state = NULL;
      call->stream->state_destroy = NULL;
    }
  call_fill_result (call);

  if (error != NULL)
    {
      g_debug ("“%s”: %s call failed after %lld ms: %s", call_provider (call),
               call_op_name (call), (long long) elapsed_ms (call), error->message);
      g_task_return_error (task, error);
    }
  else
    {
      g_debug ("“%s”: %s call done in %lld ms", call_provider (call), call_op_name (call),
               (long long) elapsed_ms (call));
      g_task_return_boolean (task, TRUE);
    }
  g_object_unref (task);
}

/* ---- timers -------------------------------------------------------------- */

static gboolean
call_on_timer (Call        *call,
               AbortReason  reason)
{
  if (call->completed || call_is_aborted (call))
    return G_SOURCE_CONTINUE;
  g_debug ("“%s”: %s timeout", call_provider (call),
           reason == ABORT_CONNECT_TIMEOUT ? "connect" :
           reason == ABORT_IDLE_TIMEOUT ? "idle" : "total");
  call->abort_reason = reason;
  /* Whatever is pending (send, read, backoff) returns with CANCELLED and
   * completes the call with call_abort_error (). */
  g_cancellable_cancel (call->cancellable);
  return G_SOURCE_CONTINUE;
}

static gboolean
on_total_timeout (gpointer data)
{
  return call_on_timer (data, ABORT_TOTAL_TIMEOUT);
}

static gboolean
on_connect_timeout (gpointer data)
{
  return call_on_timer (data, ABORT_CONNECT_TIMEOUT);
}

static gboolean
on_idle_timeout (gpointer data)
{
  return call_on_timer (data, ABORT_IDLE_TIMEOUT);
}

static void
call_touch (Call *call)
{
  deadline_arm (call->idle_timer, call->idle_timeout * 1000);
}

static void
call_connected (Call *call)
{
  deadline_disarm (call->connect_timer);
  call_touch (call);
}

static void
on_wrote_headers (SoupMessage *msg,
                  gpointer     user_data)
{
  call_connected (user_data);
}

static void
on_wrote_body_data (SoupMessage *msg,
                    guint        chunk_size,
                    gpointer     user_data)
{
  call_touch (user_data);
}

static void
on_network_event (SoupMessage        *msg,
                  GSocketClientEvent  event,
                  GIOStream          *connection,
                  gpointer            user_data)
{
  if (event == G_SOCKET_CLIENT_COMPLETE)
    call_connected (user_data);
}

static void
on_user_cancelled (GCancellable *user_cancellable,
                   gpointer      data)
{
  /* May run in another thread: only hand the news on. */
  g_cancellable_cancel (G_CANCELLABLE (data));
}

/* ---- retries ------------------------------------------------------------- */

/* Retry-After in seconds (either form), or -1. */
static gint64
parse_retry_after (SoupMessage *msg)
{
  const char *header = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                     "Retry-After");
  g_autofree char *value = NULL;
  guint64 seconds;

  if (header == NULL)
    return -1;
  value = g_strstrip (g_strdup (header));
  if (g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT32, &seconds, NULL))
    return (gint64) seconds;
  else
    {
      g_autoptr (GDateTime) when = soup_date_time_new_from_http_string (value);
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();

      if (when == NULL)
        return -1;
      return MAX (g_date_time_difference (when, now) / G_TIME_SPAN_SECOND, 0);
    }
}

static guint
backoff_ms (Call  *call,
            guint  attempt)
{
  guint64 delay = call->retry_delay_ms;

  for (guint i = 0; i < attempt && delay < MAX_BACKOFF_MS; i++)
    delay *= 2;
  return (guint) MIN (delay, MAX_BACKOFF_MS);
}

static gboolean
on_backoff_done (gpointer data)
{
  Call *call = data;

  clear_source (&call->backoff_timer);
  clear_source (&call->cancel_source);
  call->attempt++;
  call_start_attempt (call);
  return G_SOURCE_REMOVE;
}

static gboolean
on_backoff_cancelled (GCancellable *cancellable,
                      gpointer      data)
{
  Call *call = data;

  clear_source (&call->backoff_timer);
  clear_source (&call->cancel_source);
  call_complete (call, call_abort_error (call));
  return G_SOURCE_REMOVE;
}

static void
call_wait_and_retry (Call  *call,
                     guint  delay_ms)
{
  /* Only the total timeout runs while waiting. */
  deadline_disarm (call->connect_timer);
  deadline_disarm (call->idle_timer);
  call->backoff_timer = g_timeout_source_new (delay_ms);
  g_source_set_name (call->backoff_timer, "[confab] retry backoff");
  g_source_set_callback (call->backoff_timer, on_backoff_done, call, NULL);
  g_source_attach (call->backoff_timer, call->context);

  call->cancel_source = g_cancellable_source_new (call->cancellable);
  g_source_set_callback (call->cancel_source, (GSourceFunc) G_CALLBACK (on_backoff_cancelled),
                         call, NULL);
  g_source_attach (call->cancel_source, call->context);
}

/* ---- responses ----------------------------------------------------------- */

static void
call_handle_http_error (Call *call)
{
  ConfabLlmClientClass *klass = CONFAB_LLM_CLIENT_GET_CLASS (call->client);
  guint status = soup_message_get_status (call->msg);
  g_autoptr (GBytes) body = g_byte_array_free_to_bytes (g_steal_pointer (&call->buffer));
  g_autofree char *message = NULL;
  g_autofree char *code = NULL;
  gint64 retry_after = parse_retry_after (call->msg);
  gboolean retryable;
  gint64 wait_s;

  if (klass->extract_error_message != NULL)
    message = klass->extract_error_message (call->client, status, body, &code);

  retryable = (status == HTTP_TOO_MANY_REQUESTS ||
               status == SOUP_STATUS_BAD_GATEWAY ||
               status == SOUP_STATUS_SERVICE_UNAVAILABLE ||
               status == SOUP_STATUS_GATEWAY_TIMEOUT ||
               status == HTTP_OVERLOADED) &&
              !call->body_started &&
              g_strcmp0 (code, "insufficient_quota") != 0;

  if (retry_after >= 0)
    wait_s = retry_after;
  else
    wait_s = (backoff_ms (call, call->attempt) + 999) / 1000;

  if (retryable && call->attempt < call->max_retries)
    {
      guint delay_ms;

      if (retry_after >= 0)
        delay_ms = (guint) MIN (retry_after, CONFAB_LLM_CLIENT_MAX_RETRY_AFTER + 1) * 1000;
      else
        {
          delay_ms = backoff_ms (call, call->attempt);
          delay_ms += g_random_int_range (0, delay_ms / 2 + 1); /* jitter */
        }

      if (retry_after > CONFAB_LLM_CLIENT_MAX_RETRY_AFTER)
        g_debug ("“%s”: HTTP %u with Retry-After %lld s: not waiting that long",
                 call_provider (call), status, (long long) retry_after);
      else if (elapsed_ms (call) + delay_ms >= (gint64) call->total_timeout * 1000)
        g_debug ("“%s”: HTTP %u: a retry in %u ms would pass the total timeout",
                 call_provider (call), status, delay_ms);
      else
        {
          g_debug ("“%s”: HTTP %u, retry %u of %u in %u ms", call_provider (call), status,
                   call->attempt + 1, call->max_retries, delay_ms);
          call_release_body (call, call->at_eof);
          call_release_message (call);
          call_wait_and_retry (call, delay_ms);
          return;
        }
    }

  call_complete (call, call_http_error (call, status, message, code, wait_s));
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The vectors a subclass parsed: one per text, all of one non-zero length,
 * finite numbers. Takes vectors; FALSE with error otherwise. */
static gboolean
call_take_vectors (Call       *call,
                   GPtrArray  *vectors,
                   GError    **error)
{
  g_autoptr (GPtrArray) owned = vectors;
  guint n_texts = g_strv_length (call->texts);
  guint dimension = 0;

  if (owned->len != n_texts)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                   g_dngettext (GETTEXT_PACKAGE,
                                "“%s” sent %u embedding for %u texts",
                                "“%s” sent %u embeddings for %u texts", owned->len),
                   call_provider (call), owned->len, n_texts);
      return FALSE;
    }
  for (guint i = 0; i < owned->len; i++)
    {
      GArray *vector = g_ptr_array_index (owned, i);

      if (vector == NULL || vector->len == 0)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                       _("“%s” sent an empty embedding"), call_provider (call));
          return FALSE;
        }
      if (i == 0)
        dimension = vector->len;
      else if (vector->len != dimension)
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                       _("“%s” sent embeddings of different lengths (%u and %u numbers)"),
                       call_provider (call), dimension, vector->len);
          return FALSE;
        }
      for (guint j = 0; j < vector->len; j++)
        if (!isfinite (g_array_index (vector, float, j)))
          {
            g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                         _("“%s” sent an embedding with a value that is not a number"),
                         call_provider (call));
            return FALSE;
          }
    }
  call->vectors = g_steal_pointer (&owned);
  return TRUE;
}

static void
call_body_complete (Call *call)
{
  ConfabLlmClientClass *klass = CONFAB_LLM_CLIENT_GET_CLASS (call->client);
  GError *error = NULL;

  call->at_eof = TRUE;
  switch (call->body_mode)
    {
    case BODY_ERROR:
      call_handle_http_error (call);
      return;

    case BODY_STREAM:
      if (!call->stream->done && klass->parse_stream_end != NULL &&
          !klass->parse_stream_end (call->client, call->stream, &error))
        {
          call_ensure_error (call, &error);
          break;
        }
      if (!call->stream->done)
        error = call_closed_early_error (call);
      break;

    case BODY_BUFFER:
      {
        g_autoptr (GBytes) body = g_byte_array_free_to_bytes (g_steal_pointer (&call->buffer));

        call->body_started = TRUE;
        if (call->op == OP_EMBED)
          {
            GPtrArray *vectors = klass->parse_embeddings (call->client, body,
                                                          g_strv_length (call->texts), &error);

            if (vectors == NULL)
              call_ensure_error (call, &error);
            else
              call_take_vectors (call, vectors, &error);
          }
        else if (call->op == OP_MODELS)
          {
            g_auto (GStrv) models = klass->parse_models (call->client, body, &error);

            if (models == NULL)
              call_ensure_error (call, &error);
            else
              {
                g_autoptr (GPtrArray) sorted = g_ptr_array_new ();

                for (guint i = 0; models[i] != NULL; i++)
                  g_ptr_array_add (sorted, models[i]);
                g_ptr_array_sort (sorted, compare_strings);
                call->models = g_new0 (char *, sorted->len + 1);
                for (guint i = 0, n = 0; i < sorted->len; i++)
                  {
                    const char *name = g_ptr_array_index (sorted, i);
                    if (n == 0 || g_strcmp0 (call->models[n - 1], name) != 0)
                      call->models[n++] = g_strdup (name);
                  }
              }
          }
        else if (klass->parse_response (call->client, call->stream, body, &error))
          {
            /* The whole text, as one delta. */
            g_autofree char *text = NULL;

            stream_flush_pending (call->stream);
            call->stream->done = TRUE;
            call->stream->live = TRUE;
            text = g_string_free (g_steal_pointer (&call->stream->text), FALSE);
            call->stream->text = g_string_new (NULL);
            if (!call_is_aborted (call))
              stream_emit (call->stream, text, strlen (text));
            else
              g_string_append (call->stream->text, text);
          }
        else
          call_ensure_error (call, &error);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  if (error == NULL && call_is_aborted (call))
    error = call_abort_error (call);
  call_complete (call, error);
}

static void
on_read (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  ConfabLlmClientClass *klass = CONFAB_LLM_CLIENT_GET_CLASS (call->client);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  const char *data;
  gsize len;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);

  if (call_is_aborted (call))
    {
      call_complete (call, call_abort_error (call));
      return;
    }
  if (bytes == NULL)
    {
      g_debug ("“%s”: reading the reply failed: %s", call_provider (call), error->message);
      if (call->body_mode == BODY_ERROR)
        call_handle_http_error (call); /* with what came */
      else
        call_complete (call, call_closed_early_error (call));
      return;
    }

  call_touch (call);
  data = g_bytes_get_data (bytes, &len);
  if (len == 0)
    {
      call_body_complete (call);
      return;
    }

  switch (call->body_mode)
    {
    case BODY_STREAM:
      call->body_started = TRUE;
      if (!klass->parse_stream_chunk (call->client, call->stream, data, len, &error))
        {
          call_ensure_error (call, &error);
          call_complete (call, g_steal_pointer (&error));
          return;
        }
      if (call_is_aborted (call))
        {
          call_complete (call, call_abort_error (call));
          return;
        }
      if (call->stream->done)
        {
          call_complete (call, NULL);
          return;
        }
      break;

    case BODY_BUFFER:
      if (call->buffer->len + len > MAX_BODY_SIZE)
        {
          call_complete (call, g_error_new (CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                                            _("The reply from “%s” is larger than %u MB"),
                                            call_provider (call),
                                            (guint) (MAX_BODY_SIZE / (1024 * 1024))));
          return;
        }
      g_byte_array_append (call->buffer, (const guint8 *) data, len);
      break;

    case BODY_ERROR:
      g_byte_array_append (call->buffer, (const guint8 *) data,
                           MIN (len, MAX_ERROR_BODY_SIZE - call->buffer->len));
      if (call->buffer->len >= MAX_ERROR_BODY_SIZE)
        {
          call_handle_http_error (call); /* the rest does not matter */
          return;
        }
      break;

    default:
      g_assert_not_reached ();
    }

  call_read_next (call);
}

static void
call_read_next (Call *call)
{
  g_input_stream_read_bytes_async (call->body, READ_CHUNK_SIZE, G_PRIORITY_DEFAULT,
                                   call->cancellable, on_read, g_object_ref (call->task));
}

static gboolean
is_json_content_type (SoupMessage *msg)
{
  const char *type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg),
                                                            NULL);

  return type != NULL && g_ascii_strcasecmp (type, "application/json") == 0;
}

static void
on_sent (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  ConfabLlmClientClass *klass = CONFAB_LLM_CLIENT_GET_CLASS (call->client);
  g_autoptr (GError) error = NULL;
  guint status;

  call->body = soup_session_send_finish (SOUP_SESSION (object), result, &error);

  if (call_is_aborted (call))
    {
      call_complete (call, call_abort_error (call));
      return;
    }
  if (call->body == NULL)
    {
      g_debug ("“%s”: sending failed: %s", call_provider (call), error->message);
      call_complete (call, call_network_error (call, error));
      return;
    }

  call_connected (call);
  status = soup_message_get_status (call->msg);
  g_debug ("“%s”: HTTP %u after %lld ms", call_provider (call), status,
           (long long) elapsed_ms (call));

  call->at_eof = FALSE;
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      call->body_mode = BODY_ERROR;
      call->buffer = g_byte_array_new ();
    }
  else if (call->op == OP_CHAT && call->streaming &&
           (klass->json_is_streamed || !is_json_content_type (call->msg)))
    {
      call->body_mode = BODY_STREAM;
      if (klass->stream_begin != NULL)
        klass->stream_begin (call->client, call->stream);
    }
  else
    {
      call->body_mode = BODY_BUFFER;
      call->buffer = g_byte_array_new ();
      if (call->stream != NULL)
        call->stream->live = FALSE;
    }
  call_read_next (call);
}

static void
call_start_attempt (Call *call)
{
  ConfabLlmClientClass *klass = CONFAB_LLM_CLIENT_GET_CLASS (call->client);
  ConfabLlmClientPrivate *priv = call_priv (call);
  GError *error = NULL;

  g_assert (call->msg == NULL && call->body == NULL);

  if (call->op == OP_CHAT)
    call->msg = klass->build_chat_message (call->client, call->request, call->streaming, &error);
  else if (call->op == OP_EMBED)
    call->msg = klass->build_embed_message (call->client, call->embed_model,
                                            (const char * const *) call->texts, &error);
  else if (klass->build_models_message != NULL && klass->parse_models != NULL)
    call->msg = klass->build_models_message (call->client, &error);
  else
    error = g_error_new (CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                         _("“%s” cannot list its models"), call_provider (call));
  if (call->msg == NULL)
    {
      call_complete (call, error);
      return;
    }

  if (call->op == OP_CHAT && call->streaming)
    soup_message_disable_feature (call->msg, SOUP_TYPE_CONTENT_DECODER);

  g_signal_connect (call->msg, "wrote-headers", G_CALLBACK (on_wrote_headers), call);
  g_signal_connect (call->msg, "wrote-body-data", G_CALLBACK (on_wrote_body_data), call);
  g_signal_connect (call->msg, "network-event", G_CALLBACK (on_network_event), call);

  deadline_disarm (call->idle_timer);
  deadline_arm (call->connect_timer, call->connect_timeout * 1000);

  {
    g_autofree char *shown = g_uri_to_string_partial (soup_message_get_uri (call->msg),
                                                      G_URI_HIDE_USERINFO | G_URI_HIDE_QUERY |
                                                      G_URI_HIDE_FRAGMENT | G_URI_HIDE_AUTH_PARAMS);
    g_debug ("“%s”: %s %s%s (attempt %u)", call_provider (call),
             soup_message_get_method (call->msg), shown,
             call->op == OP_CHAT && call->streaming ? " streamed" : "", call->attempt + 1);
  }

  soup_session_send_async (priv->session, call->msg, G_PRIORITY_DEFAULT, call->cancellable,
                           on_sent, g_object_ref (call->task));
}

static Call *
call_new (ConfabLlmClient     *self,
          CallOp               op,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data,
          gpointer             source_tag)
{
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);
  Call *call = g_new0 (Call, 1);

  call->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (call->task, source_tag);
  /* The call reports cancellation itself, with the partial result. */
  g_task_set_check_cancellable (call->task, FALSE);
  g_task_set_task_data (call->task, call, call_free);

  call->client = self;
  call->op = op;
  call->context = g_main_context_ref_thread_default ();
  call->cancellable = g_cancellable_new ();
  call->user_cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  call->start_us = g_get_monotonic_time ();
  call->idle_timeout = priv->idle_timeout;
  call->connect_timeout = priv->connect_timeout;
  call->total_timeout = priv->total_timeout;
  call->max_retries = priv->max_retries;
  call->retry_delay_ms = priv->retry_delay_ms;
  call->streaming = priv->supports_streaming &&
                    CONFAB_LLM_CLIENT_GET_CLASS (self)->parse_stream_chunk != NULL;
  return call;
}

static void
call_run (Call *call)
{
  call->total_timer = deadline_new (call->context, "[confab] total timeout",
                                    on_total_timeout, call);
  call->connect_timer = deadline_new (call->context, "[confab] connect timeout",
                                      on_connect_timeout, call);
  call->idle_timer = deadline_new (call->context, "[confab] idle timeout", on_idle_timeout, call);
  deadline_arm (call->total_timer, call->total_timeout * 1000);

  if (call->user_cancellable != NULL)
    call->cancel_handler = g_cancellable_connect (call->user_cancellable,
                                                  G_CALLBACK (on_user_cancelled),
                                                  g_object_ref (call->cancellable),
                                                  g_object_unref);
  call_start_attempt (call);
}

/* ------------------------------------------------------------------------ */
/* GObject                                                                  */
/* ------------------------------------------------------------------------ */

static void
wipe_key (ConfabLlmClientPrivate *priv)
{
  if (priv->api_key != NULL)
    {
      explicit_bzero (priv->api_key, strlen (priv->api_key));
      g_clear_pointer (&priv->api_key, g_free);
    }
}

static void
confab_llm_client_dispose (GObject *object)
{
  ConfabLlmClient *self = CONFAB_LLM_CLIENT (object);
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);

  g_clear_object (&priv->session);

  G_OBJECT_CLASS (confab_llm_client_parent_class)->dispose (object);
}

static void
confab_llm_client_finalize (GObject *object)
{
  ConfabLlmClient *self = CONFAB_LLM_CLIENT (object);
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);

  wipe_key (priv);
  g_clear_pointer (&priv->provider_name, g_free);
  g_clear_pointer (&priv->base_url, g_free);

  G_OBJECT_CLASS (confab_llm_client_parent_class)->finalize (object);
}

static void
confab_llm_client_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  ConfabLlmClient *self = CONFAB_LLM_CLIENT (object);
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_PROVIDER_NAME:
      g_value_set_string (value, priv->provider_name);
      break;
    case PROP_BASE_URL:
      g_value_set_string (value, priv->base_url);
      break;
    case PROP_SUPPORTS_STREAMING:
      g_value_set_boolean (value, priv->supports_streaming);
      break;
    case PROP_IDLE_TIMEOUT:
      g_value_set_uint (value, priv->idle_timeout);
      break;
    case PROP_CONNECT_TIMEOUT:
      g_value_set_uint (value, priv->connect_timeout);
      break;
    case PROP_TOTAL_TIMEOUT:
      g_value_set_uint (value, priv->total_timeout);
      break;
    case PROP_MAX_RETRIES:
      g_value_set_uint (value, priv->max_retries);
      break;
    case PROP_RETRY_DELAY_MS:
      g_value_set_uint (value, priv->retry_delay_ms);
      break;
    /* PROP_API_KEY is write-only. */
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_uint (ConfabLlmClient *self,
          guint           *field,
          guint            value,
          GParamSpec      *pspec)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), pspec);
}

static void
confab_llm_client_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  ConfabLlmClient *self = CONFAB_LLM_CLIENT (object);
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_PROVIDER_NAME:
      priv->provider_name = g_value_dup_string (value);
      break;
    case PROP_BASE_URL:
      priv->base_url = g_value_dup_string (value);
      break;
    case PROP_SUPPORTS_STREAMING:
      confab_llm_client_set_supports_streaming (self, g_value_get_boolean (value));
      break;
    case PROP_IDLE_TIMEOUT:
      set_uint (self, &priv->idle_timeout, g_value_get_uint (value), pspec);
      break;
    case PROP_CONNECT_TIMEOUT:
      set_uint (self, &priv->connect_timeout, g_value_get_uint (value), pspec);
      break;
    case PROP_TOTAL_TIMEOUT:
      set_uint (self, &priv->total_timeout, g_value_get_uint (value), pspec);
      break;
    case PROP_MAX_RETRIES:
      set_uint (self, &priv->max_retries, g_value_get_uint (value), pspec);
      break;
    case PROP_RETRY_DELAY_MS:
      set_uint (self, &priv->retry_delay_ms, g_value_get_uint (value), pspec);
      break;
    case PROP_API_KEY:
      confab_llm_client_set_api_key (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static char *
default_extract_error_message (ConfabLlmClient  *self,
                               guint             status,
                               GBytes           *body,
                               char            **out_code)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize len;
  const char *data = g_bytes_get_data (body, &len);
  JsonNode *root;
  JsonObject *object;
  JsonNode *error_node;

  if (data == NULL || len == 0 || !json_parser_load_from_data (parser, data, len, NULL))
    {
      /* Not JSON: a short plain-text body is still worth showing. */
      if (data != NULL && len > 0 && len < 1024 && g_utf8_validate_len (data, len, NULL) &&
          memchr (data, '<', len) == NULL)
        return g_strndup (data, len);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root != NULL && JSON_NODE_HOLDS_ARRAY (root) &&
      json_array_get_length (json_node_get_array (root)) > 0)
    root = json_array_get_element (json_node_get_array (root), 0); /* Gemini wraps it */
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  object = json_node_get_object (root);

  error_node = json_object_get_member (object, "error");
  if (error_node != NULL && JSON_NODE_HOLDS_OBJECT (error_node))
    {
      JsonObject *error_object = json_node_get_object (error_node);
      const char *message = json_object_get_string_member_with_default (error_object, "message",
                                                                        NULL);

      if (out_code != NULL)
        {
          JsonNode *code = json_object_get_member (error_object, "code");
          const char *type = json_object_get_string_member_with_default (error_object, "type",
                                                                         NULL);
          const char *state = json_object_get_string_member_with_default (error_object, "status",
                                                                          NULL);

          if (code != NULL && JSON_NODE_HOLDS_VALUE (code) &&
              json_node_get_value_type (code) == G_TYPE_STRING)
            *out_code = g_strdup (json_node_get_string (code));
          else if (type != NULL)
            *out_code = g_strdup (type);
          else if (state != NULL)
            *out_code = g_strdup (state);
        }
      return g_strdup (message);
    }
  if (error_node != NULL && JSON_NODE_HOLDS_VALUE (error_node) &&
      json_node_get_value_type (error_node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (error_node));
  return g_strdup (json_object_get_string_member_with_default (object, "message", NULL));
}

static void
confab_llm_client_class_init (ConfabLlmClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = confab_llm_client_dispose;
  object_class->finalize = confab_llm_client_finalize;
  object_class->get_property = confab_llm_client_get_property;
  object_class->set_property = confab_llm_client_set_property;

  klass->extract_error_message = default_extract_error_message;

  /* The provider's name, as shown in messages ("OpenAI", "Local llama"). */
  properties[PROP_PROVIDER_NAME] =
    g_param_spec_string ("provider-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* Where the API lives, used as given ("https://api.openai.com/v1"). */
  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /* FALSE: one plain request per chat, the text in one delta. */
  properties[PROP_SUPPORTS_STREAMING] =
    g_param_spec_boolean ("supports-streaming", NULL, NULL, TRUE, flags);
  /* Seconds without a byte (before the reply starts or between chunks). */
  properties[PROP_IDLE_TIMEOUT] =
    g_param_spec_uint ("idle-timeout", NULL, NULL, 1, 86400,
                       CONFAB_LLM_CLIENT_DEFAULT_IDLE_TIMEOUT, flags);
  /* Seconds to resolve, connect and hand the request over. */
  properties[PROP_CONNECT_TIMEOUT] =
    g_param_spec_uint ("connect-timeout", NULL, NULL, 1, 3600,
                       CONFAB_LLM_CLIENT_DEFAULT_CONNECT_TIMEOUT, flags);
  /* Seconds for the whole call, retries included. */
  properties[PROP_TOTAL_TIMEOUT] =
    g_param_spec_uint ("total-timeout", NULL, NULL, 1, 86400,
                       CONFAB_LLM_CLIENT_DEFAULT_TOTAL_TIMEOUT, flags);
  /* Retries of 429/502/503/504 before the reply starts. */
  properties[PROP_MAX_RETRIES] =
    g_param_spec_uint ("max-retries", NULL, NULL, 0, 10,
                       CONFAB_LLM_CLIENT_DEFAULT_MAX_RETRIES, flags);
  /* The first backoff without Retry-After; it doubles (with up to 50 %
   * jitter) per retry, up to 30 s. Tests make it short. */
  properties[PROP_RETRY_DELAY_MS] =
    g_param_spec_uint ("retry-delay-ms", NULL, NULL, 1, 60000,
                       CONFAB_LLM_CLIENT_DEFAULT_RETRY_DELAY_MS, flags);
  /* Write-only: there is no way to read the key back. */
  properties[PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
confab_llm_client_init (ConfabLlmClient *self)
{
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);

  priv->supports_streaming = TRUE;
  priv->idle_timeout = CONFAB_LLM_CLIENT_DEFAULT_IDLE_TIMEOUT;
  priv->connect_timeout = CONFAB_LLM_CLIENT_DEFAULT_CONNECT_TIMEOUT;
  priv->total_timeout = CONFAB_LLM_CLIENT_DEFAULT_TOTAL_TIMEOUT;
  priv->max_retries = CONFAB_LLM_CLIENT_DEFAULT_MAX_RETRIES;
  priv->retry_delay_ms = CONFAB_LLM_CLIENT_DEFAULT_RETRY_DELAY_MS;
  /* Timeouts are ours (libsoup's default of 60 s would cut a slow local
   * model off), and parallel streams must not queue behind two connections. */
  priv->session = soup_session_new_with_options ("timeout", 0,
                                                 "max-conns-per-host", 8,
                                                 "user-agent", "Confab/" PACKAGE_VERSION,
                                                 "proxy-resolver", g_proxy_resolver_get_default (),
                                                 NULL);
}

/* ------------------------------------------------------------------------ */
/* Public API                                                               */
/* ------------------------------------------------------------------------ */

ConfabLlmClient *
confab_llm_client_new_for_provider (ConfabProvider  *provider,
                                    const char      *api_key,
                                    GError         **error)
{
  const char *kind;
  GType type = G_TYPE_INVALID;
  int idle;

  g_return_val_if_fail (CONFAB_IS_PROVIDER (provider), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  kind = confab_provider_get_kind (provider);
  for (guint i = 0; i < G_N_ELEMENTS (client_types); i++)
    if (g_strcmp0 (kind, client_types[i].kind) == 0)
      type = client_types[i].get_type ();

  if (type == G_TYPE_INVALID)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                   _("“%s” uses the provider kind “%s”, which is not supported yet"),
                   confab_provider_get_name (provider), kind ? kind : "");
      return NULL;
    }

  idle = confab_provider_get_idle_timeout_s (provider);
  return g_object_new (type,
                       "provider-name", confab_provider_get_name (provider),
                       "base-url", confab_provider_get_base_url (provider),
                       "supports-streaming", confab_provider_get_supports_streaming (provider),
                       "idle-timeout", (guint) CLAMP (idle, 1, 86400),
                       "api-key", api_key && *api_key ? api_key : NULL,
                       NULL);
}

const char *
confab_llm_client_get_provider_name (ConfabLlmClient *self)
{
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);

  g_return_val_if_fail (CONFAB_IS_LLM_CLIENT (self), NULL);
  return priv->provider_name;
}

const char *
confab_llm_client_get_base_url (ConfabLlmClient *self)
{
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);

  g_return_val_if_fail (CONFAB_IS_LLM_CLIENT (self), NULL);
  return priv->base_url;
}

gboolean
confab_llm_client_get_supports_streaming (ConfabLlmClient *self)
{
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);

  g_return_val_if_fail (CONFAB_IS_LLM_CLIENT (self), FALSE);
  return priv->supports_streaming;
}

void
confab_llm_client_set_supports_streaming (ConfabLlmClient *self,
                                          gboolean         supports_streaming)
{
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);

  g_return_if_fail (CONFAB_IS_LLM_CLIENT (self));
  supports_streaming = !!supports_streaming;
  if (priv->supports_streaming == supports_streaming)
    return;
  priv->supports_streaming = supports_streaming;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUPPORTS_STREAMING]);
}

#define DEFINE_UINT_ACCESSORS(field, PROP)                                          \
  guint                                                                             \
  confab_llm_client_get_##field (ConfabLlmClient *self)                             \
  {                                                                                 \
    ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);   \
    g_return_val_if_fail (CONFAB_IS_LLM_CLIENT (self), 0);                          \
    return priv->field;                                                             \
  }                                                                                 \
  void                                                                              \
  confab_llm_client_set_##field (ConfabLlmClient *self, guint value)                \
  {                                                                                 \
    g_return_if_fail (CONFAB_IS_LLM_CLIENT (self));                                 \
    g_object_set (self, g_param_spec_get_name (properties[PROP]), value, NULL);     \
  }

DEFINE_UINT_ACCESSORS (idle_timeout, PROP_IDLE_TIMEOUT)
DEFINE_UINT_ACCESSORS (connect_timeout, PROP_CONNECT_TIMEOUT)
DEFINE_UINT_ACCESSORS (total_timeout, PROP_TOTAL_TIMEOUT)
DEFINE_UINT_ACCESSORS (max_retries, PROP_MAX_RETRIES)

void
confab_llm_client_set_api_key (ConfabLlmClient *self,
                               const char      *api_key)
{
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);

  g_return_if_fail (CONFAB_IS_LLM_CLIENT (self));
  wipe_key (priv);
  if (api_key != NULL && *api_key != '\0')
    priv->api_key = g_strdup (api_key);
}

const char *
confab_llm_client_get_api_key (ConfabLlmClient *self)
{
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);

  g_return_val_if_fail (CONFAB_IS_LLM_CLIENT (self), NULL);
  return priv->api_key;
}

void
confab_llm_client_chat_async (ConfabLlmClient     *self,
                              ConfabChatRequest   *request,
                              ConfabLlmDeltaFunc   delta_func,
                              gpointer             delta_data,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  Call *call;
  const char *model;

  g_return_if_fail (CONFAB_IS_LLM_CLIENT (self));
  g_return_if_fail (CONFAB_IS_CHAT_REQUEST (request));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  call = call_new (self, OP_CHAT, cancellable, callback, user_data, confab_llm_client_chat_async);
  g_task_set_name (call->task, "[confab] chat");
  call->request = g_object_ref (request);
  call->delta_func = delta_func;
  call->delta_data = delta_data;
  call->result = confab_chat_result_new ();
  call->stream = g_new0 (ConfabLlmClientStream, 1);
  call->stream->call = call;
  call->stream->text = g_string_new (NULL);
  call->stream->pending = g_string_new (NULL);
  call->stream->live = TRUE;

  model = confab_chat_request_get_model (request);
  if (model == NULL || *model == '\0')
    {
      /* Nothing started yet: complete without timers. */
      call->completed = TRUE;
      call_fill_result (call);
      g_task_return_new_error (call->task, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                               _("No model was chosen for “%s”"), call_provider (call));
      g_object_unref (call->task);
      return;
    }

  call_run (call);
}

gboolean
confab_llm_client_chat_finish (ConfabLlmClient   *self,
                               GAsyncResult      *result,
                               ConfabChatResult **out_result,
                               GError           **error)
{
  Call *call;

  g_return_val_if_fail (CONFAB_IS_LLM_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == confab_llm_client_chat_async,
                        FALSE);

  call = g_task_get_task_data (G_TASK (result));
  if (out_result != NULL)
    *out_result = g_object_ref (call->result);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
confab_llm_client_list_models_async (ConfabLlmClient     *self,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  Call *call;

  g_return_if_fail (CONFAB_IS_LLM_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  call = call_new (self, OP_MODELS, cancellable, callback, user_data,
                   confab_llm_client_list_models_async);
  g_task_set_name (call->task, "[confab] list models");
  call_run (call);
}

char **
confab_llm_client_list_models_finish (ConfabLlmClient  *self,
                                      GAsyncResult     *result,
                                      GError          **error)
{
  Call *call;

  g_return_val_if_fail (CONFAB_IS_LLM_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_llm_client_list_models_async, NULL);

  call = g_task_get_task_data (G_TASK (result));
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  return g_steal_pointer (&call->models);
}

gboolean
confab_llm_client_can_embed (ConfabLlmClient *self)
{
  ConfabLlmClientClass *klass;

  g_return_val_if_fail (CONFAB_IS_LLM_CLIENT (self), FALSE);

  klass = CONFAB_LLM_CLIENT_GET_CLASS (self);
  return klass->build_embed_message != NULL && klass->parse_embeddings != NULL;
}

/* Ends a call that never started (no timers, no message). */
static void
call_return_early (Call   *call,
                   GError *error)
{
  call->completed = TRUE;
  g_task_return_error (call->task, error);
  g_object_unref (call->task);
}

void
confab_llm_client_embed_async (ConfabLlmClient     *self,
                               const char          *model,
                               const char * const  *texts,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  Call *call;

  g_return_if_fail (CONFAB_IS_LLM_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  call = call_new (self, OP_EMBED, cancellable, callback, user_data,
                   confab_llm_client_embed_async);
  g_task_set_name (call->task, "[confab] embeddings");
  call->embed_model = g_strdup (model);
  call->texts = g_strdupv ((char **) texts);

  if (!confab_llm_client_can_embed (self))
    {
      call_return_early (call, g_error_new (CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                                            _("The provider “%s” cannot make embeddings"),
                                            call_provider (call)));
      return;
    }
  if (model == NULL || *model == '\0')
    {
      call_return_early (call, g_error_new (CONFAB_ERROR, CONFAB_ERROR_INVALID,
                                            _("No embedding model was chosen for “%s”"),
                                            call_provider (call)));
      return;
    }
  if (texts == NULL || texts[0] == NULL)
    {
      call_return_early (call, g_error_new (CONFAB_ERROR, CONFAB_ERROR_INVALID,
                                            _("There is no text to make embeddings of for “%s”"),
                                            call_provider (call)));
      return;
    }

  call_run (call);
}

/**
 * confab_llm_client_embed_finish:
 *
 * Returns: (transfer full) (element-type GArray): one GArray of float per
 *   text, in the order of the texts, or %NULL with @error set
 */
GPtrArray *
confab_llm_client_embed_finish (ConfabLlmClient  *self,
                                GAsyncResult     *result,
                                GError          **error)
{
  Call *call;

  g_return_val_if_fail (CONFAB_IS_LLM_CLIENT (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        confab_llm_client_embed_async, NULL);

  call = g_task_get_task_data (G_TASK (result));
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  return g_steal_pointer (&call->vectors);
}

static void
test_connection_done (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) models = NULL;

  models = confab_llm_client_list_models_finish (CONFAB_LLM_CLIENT (object), result, &error);
  if (models == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
confab_llm_client_test_connection_async (ConfabLlmClient     *self,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (CONFAB_IS_LLM_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, confab_llm_client_test_connection_async);
  g_task_set_check_cancellable (task, FALSE);
  confab_llm_client_list_models_async (self, cancellable, test_connection_done, task);
}

gboolean
confab_llm_client_test_connection_finish (ConfabLlmClient  *self,
                                          GAsyncResult     *result,
                                          GError          **error)
{
  g_return_val_if_fail (CONFAB_IS_LLM_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ------------------------------------------------------------------------ */
/* For subclasses                                                           */
/* ------------------------------------------------------------------------ */

char *
confab_llm_client_build_url (ConfabLlmClient *self,
                             const char      *path)
{
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);
  const char *base;
  gsize len;

  g_return_val_if_fail (CONFAB_IS_LLM_CLIENT (self), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  base = priv->base_url ? priv->base_url : "";
  len = strlen (base);
  while (len > 0 && base[len - 1] == '/')
    len--;
  if (*path != '/' && *path != '\0')
    return g_strdup_printf ("%.*s/%s", (int) len, base, path);
  return g_strdup_printf ("%.*s%s", (int) len, base, path);
}

SoupMessage *
confab_llm_client_new_json_message (ConfabLlmClient  *self,
                                    const char       *method,
                                    const char       *path,
                                    JsonNode         *body,
                                    GError          **error)
{
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);
  g_autofree char *url = NULL;
  g_autoptr (GUri) uri = NULL;
  SoupMessage *msg;

  g_return_val_if_fail (CONFAB_IS_LLM_CLIENT (self), NULL);

  url = confab_llm_client_build_url (self, path);
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("“%s” is not a valid base URL for “%s”"),
                   priv->base_url ? priv->base_url : "", priv->provider_name);
      return NULL;
    }

  msg = soup_message_new_from_uri (method, uri);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Accept",
                                "application/json");
  if (body != NULL)
    {
      g_autofree char *json = json_to_string (body, FALSE);
      gsize len = strlen (json);
      g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&json), len);

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  return msg;
}

gboolean
confab_llm_client_error_malformed (ConfabLlmClient  *self,
                                   const char       *data,
                                   gssize            len,
                                   GError          **error)
{
  ConfabLlmClientPrivate *priv = confab_llm_client_get_instance_private (self);
  g_autofree char *excerpt = NULL;
  g_autofree char *safe = NULL;

  g_return_val_if_fail (CONFAB_IS_LLM_CLIENT (self), FALSE);

  /* Hide the key before cutting, as call_server_text() does. */
  {
    g_autofree char *whole = g_strndup (data ? data : "", len < 0 ? strlen (data ? data : "") : (gsize) len);

    safe = scrub_secret (whole, priv->api_key);
  }
  excerpt = make_excerpt (safe, -1, MALFORMED_EXCERPT_CHARS);
  g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
               _("“%s” sent a reply that could not be read: “%s”"),
               priv->provider_name ? priv->provider_name : "", excerpt);
  return FALSE;
}

JsonNode *
confab_llm_client_parse_json (ConfabLlmClient  *self,
                              const char       *data,
                              gssize            len,
                              GError          **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();

  g_return_val_if_fail (CONFAB_IS_LLM_CLIENT (self), NULL);

  if (data == NULL)
    data = "";
  if (len < 0)
    len = strlen (data);
  if (json_parser_load_from_data (parser, data, len, NULL) &&
      json_parser_get_root (parser) != NULL)
    return json_node_ref (json_parser_get_root (parser));

  confab_llm_client_error_malformed (self, data, len, error);
  return NULL;
}

ConfabLlmClient *
confab_llm_client_stream_get_client (ConfabLlmClientStream *stream)
{
  return stream->call->client;
}

ConfabChatRequest *
confab_llm_client_stream_get_request (ConfabLlmClientStream *stream)
{
  return stream->call->request;
}

SoupMessage *
confab_llm_client_stream_get_message (ConfabLlmClientStream *stream)
{
  return stream->call->msg;
}

void
confab_llm_client_stream_set_state (ConfabLlmClientStream *stream,
                                    gpointer               state,
                                    GDestroyNotify         destroy)
{
  if (stream->state_destroy != NULL && stream->state != NULL)
    stream->state_destroy (stream->state);
  stream->state = state;
  stream->state_destroy = destroy;
}

gpointer
confab_llm_client_stream_get_state (ConfabLlmClientStream *stream)
{
  return stream->state;
}

void
confab_llm_client_stream_add_text_len (ConfabLlmClientStream *stream,
                                       const char            *text,
                                       gssize                 len)
{
  GString *out;
  const char *p;
  const char *end;
  gsize remaining;

  g_return_if_fail (stream != NULL);

  if (text == NULL || stream->done || call_is_aborted (stream->call))
    return;
  if (len < 0)
    len = strlen (text);
  if (len == 0)
    return;

  g_string_append_len (stream->pending, text, len);
  out = g_string_new (NULL);
  p = stream->pending->str;
  remaining = stream->pending->len;
  while (remaining > 0)
    {
      if (g_utf8_validate_len (p, remaining, &end))
        {
          g_string_append_len (out, p, remaining);
          p += remaining;
          remaining = 0;
          break;
        }
      g_string_append_len (out, p, end - p);
      remaining -= end - p;
      p = end;
      if (utf8_incomplete (p, remaining))
        break; /* wait for the rest of the character */
      g_string_append (out, "\xEF\xBF\xBD"); /* U+FFFD for a byte that is not UTF-8 */
      p++;
      remaining--;
    }
  g_string_erase (stream->pending, 0, p - stream->pending->str);
  stream_emit (stream, out->str, out->len);
  g_string_free (out, TRUE);
}

void
confab_llm_client_stream_add_text (ConfabLlmClientStream *stream,
                                   const char            *text)
{
  confab_llm_client_stream_add_text_len (stream, text, -1);
}

void
confab_llm_client_stream_set_usage (ConfabLlmClientStream *stream,
                                    gint64                 tokens_in,
                                    gint64                 tokens_out)
{
  g_return_if_fail (stream != NULL);
  if (tokens_in >= 0)
    stream->tokens_in = tokens_in;
  if (tokens_out >= 0)
    stream->tokens_out = tokens_out;
}

void
confab_llm_client_stream_set_finish_reason (ConfabLlmClientStream *stream,
                                            const char            *reason)
{
  g_return_if_fail (stream != NULL);
  if (reason == NULL || *reason == '\0')
    return;
  g_free (stream->finish_reason);
  stream->finish_reason = g_strdup (reason);
}

void
confab_llm_client_stream_set_model (ConfabLlmClientStream *stream,
                                    const char            *model)
{
  g_return_if_fail (stream != NULL);
  if (model == NULL || *model == '\0')
    return;
  g_free (stream->model);
  stream->model = g_strdup (model);
}

void
confab_llm_client_stream_set_done (ConfabLlmClientStream *stream)
{
  g_return_if_fail (stream != NULL);
  stream->done = TRUE;
}

gboolean
confab_llm_client_stream_is_done (ConfabLlmClientStream *stream)
{
  g_return_val_if_fail (stream != NULL, FALSE);
  return stream->done;
}

gboolean
confab_llm_client_stream_error_event (ConfabLlmClientStream  *stream,
                                      const char             *message,
                                      const char             *code,
                                      GError                **error)
{
  Call *call = stream->call;
  g_autofree char *detail = call_server_text (call, message ? message : code,
                                              ERROR_EXCERPT_CHARS);
  const char *model = call_model (call) ? call_model (call) : "";

  if (detail != NULL)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                 _("“%s” reported an error during the reply of “%s”: %s"),
                 call_provider (call), model, detail);
  else
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER,
                 _("“%s” reported an error during the reply of “%s”"),
                 call_provider (call), model);
  return FALSE;
}

gboolean
confab_llm_client_stream_error_malformed (ConfabLlmClientStream  *stream,
                                          const char             *data,
                                          gssize                  len,
                                          GError                **error)
{
  return confab_llm_client_error_malformed (stream->call->client, data, len, error);
}

/* An object carrying {"error": {"message", "code"|"type"}} or {"error": "text"}
 * (OpenAI-style servers, Ollama and proxies in front of them): FALSE with
 * the error event when it is one, TRUE otherwise. */
gboolean
confab_llm_client_stream_check_error (ConfabLlmClientStream  *stream,
                                      JsonObject             *object,
                                      GError                **error)
{
  JsonNode *node = json_object_get_member (object, "error");

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *error_object = json_node_get_object (node);
      const char *code = confab_json_get_string (error_object, "code");

      return confab_llm_client_stream_error_event (stream, confab_json_get_string (error_object, "message"),
                                                   code ? code : confab_json_get_string (error_object, "type"),
                                                   error);
    }
  return confab_llm_client_stream_error_event (stream, confab_json_get_string (object, "error"), NULL, error);
}

