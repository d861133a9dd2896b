#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "confab-chat-request.h"
#include "confab-chat-result.h"
#include "confab-provider.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_LLM_CLIENT (confab_llm_client_get_type ())

/* ConfabLlmClient talks to one provider (a ConfabProvider row) over HTTP.
 *
 * The base class does all the shared work: one SoupSession per client (no
 * session timeout, 8 connections per host, the default proxy resolver), the
 * connect / idle / total timers, cancellation, retries with backoff on
 * 429/502/503/504, reading the body chunk by chunk, mapping HTTP and network
 * errors to CONFAB_ERROR codes with messages people can read, timings, and
 * handing text on as valid UTF-8. A subclass per wire format (OpenAI,
 * Anthropic, Gemini, Ollama) only builds the requests and parses the bodies;
 * see "Writing a subclass" below.
 *
 * A client must be used from the thread that created it; its callbacks and
 * delta functions run on the thread-default main context of the thread that
 * started the call. The API key is write-only: no getter for applications,
 * never logged, never in an error message, wiped from memory in finalize. */
G_DECLARE_DERIVABLE_TYPE (ConfabLlmClient, confab_llm_client, CONFAB, LLM_CLIENT, GObject)

/* Called for each piece of text as it arrives, in order, on the caller's
 * main context. text is valid, non-empty UTF-8 (a character cut between two
 * network chunks is held back until it is whole). */
typedef void (*ConfabLlmDeltaFunc) (const char *text,
                                    gpointer    user_data);

/* The per-call state a subclass parses into; see the stream helpers below. */
typedef struct _ConfabLlmClientStream ConfabLlmClientStream;

#define CONFAB_LLM_CLIENT_DEFAULT_IDLE_TIMEOUT    60  /* seconds */
#define CONFAB_LLM_CLIENT_DEFAULT_CONNECT_TIMEOUT 15  /* seconds */
#define CONFAB_LLM_CLIENT_DEFAULT_TOTAL_TIMEOUT   600 /* seconds */
#define CONFAB_LLM_CLIENT_DEFAULT_MAX_RETRIES     3
#define CONFAB_LLM_CLIENT_DEFAULT_RETRY_DELAY_MS  1000
/* A Retry-After longer than this is not waited for: the call fails at once
 * with RATE_LIMITED naming the wait. */
#define CONFAB_LLM_CLIENT_MAX_RETRY_AFTER         60  /* seconds */

/* ---------------------------------------------------------------------- */
/* Writing a subclass                                                      */
/* ---------------------------------------------------------------------- */
/* A subclass is G_DEFINE_FINAL_TYPE (ConfabXClient, confab_x_client,
 * CONFAB_TYPE_LLM_CLIENT) with the vfuncs below set in class_init, and one
 * line in the client_types[] table at the top of confab-llm-client.c mapping
 * its provider kind to its get_type function (plus its #include there).
 * Properties (provider-name, base-url, timeouts, api-key, ...) are the
 * base's: a subclass needs none of its own. ConfabOpenaiClient is the
 * example to copy; tests/test-llm-openai.c has a 40-line raw-text subclass.
 *
 * Flow of a chat call, all in the base:
 *   build_chat_message () -> send -> status 2xx ?
 *     streaming (supports-streaming and not an application/json reply):
 *       stream_begin () once, parse_stream_chunk () per network chunk (cut
 *       anywhere), parse_stream_end () at the end of the body; the call
 *       succeeds as soon as the subclass calls confab_llm_client_stream_set_done()
 *       (no need to wait for the end of the body), and fails with NETWORK
 *       "closed before the reply was complete" if the body ends without it.
 *     not streaming: the whole body (at most 64 MB) -> parse_response ();
 *       done is implied when it returns TRUE.
 *   status not 2xx: the error body (first 64 KB) -> extract_error_message ()
 *     -> a CONFAB_ERROR code from the status, the code and the message
 *     (401/403 AUTH, 404 or an unknown-model code NOT_FOUND, 429
 *     RATE_LIMITED, a context-length message CONTEXT_TOO_LONG, else PROVIDER),
 *     after retrying 429/502/503/504 as the properties say.
 *
 * Flow of an embeddings call (optional: a client without the two embed
 * vfuncs fails confab_llm_client_embed_async() with PROVIDER "cannot make
 * embeddings"): build_embed_message () -> send -> the whole 2xx body ->
 * parse_embeddings (); retries, timeouts, error mapping and key scrubbing
 * as for a chat. The base checks that there is one vector per text, all of
 * one non-zero length, finite numbers only.
 *
 * The vfuncs get the ConfabLlmClientStream of the call and report through the
 * confab_llm_client_stream_*() helpers; they never emit deltas themselves,
 * touch timers, or see the cancellable. They return FALSE with a GError to
 * fail the call; the text received so far is kept in the result. */
struct _ConfabLlmClientClass
{
  GObjectClass parent_class;

  /* Required. A new POST message for request, asking for a streamed reply
   * when stream is TRUE, with its JSON body and the auth headers (only when
   * confab_llm_client_get_api_key() is not NULL). The request's model is
   * never NULL or empty here. confab_llm_client_new_json_message() does the
   * plumbing. The base disables the content decoder on streamed messages. */
  SoupMessage *(*build_chat_message)    (ConfabLlmClient        *self,
                                         ConfabChatRequest      *request,
                                         gboolean                stream,
                                         GError                **error);

  /* Optional. Called once when a 2xx streamed reply starts, before the first
   * chunk: create the per-call parser (ConfabSseParser, ConfabNdjsonParser)
   * and keep it with confab_llm_client_stream_set_state(); the base frees it
   * with the GDestroyNotify when the call ends. */
  void         (*stream_begin)          (ConfabLlmClient        *self,
                                         ConfabLlmClientStream  *stream);

  /* Required when streaming is supported (without it, every chat is sent
   * non-streamed). Raw bytes of the body as they
   * arrive, cut anywhere (mid-line, mid-character): feed them to the parser
   * and report with the stream helpers. Return FALSE and set error for an
   * error event (confab_llm_client_stream_error_event()) or bytes that cannot
   * be read (confab_llm_client_stream_error_malformed()). */
  gboolean     (*parse_stream_chunk)    (ConfabLlmClient        *self,
                                         ConfabLlmClientStream  *stream,
                                         const char             *data,
                                         gsize                   len,
                                         GError                **error);

  /* Optional. The body ended (only called if set_done was not called yet):
   * flush the parser (an NDJSON last line without its newline) and report
   * as above. If done is still not set afterwards, the base fails the call
   * with NETWORK "closed before the reply was complete". */
  gboolean     (*parse_stream_end)      (ConfabLlmClient        *self,
                                         ConfabLlmClientStream  *stream,
                                         GError                **error);

  /* Required. A whole non-streamed 2xx reply body (also used when a server
   * answered a streamed request with application/json): report text, usage,
   * finish reason and model with the stream helpers. The base hands the text
   * on as one delta afterwards. */
  gboolean     (*parse_response)        (ConfabLlmClient        *self,
                                         ConfabLlmClientStream  *stream,
                                         GBytes                 *body,
                                         GError                **error);

  /* Required. A new GET (or whatever the API wants) message listing models. */
  SoupMessage *(*build_models_message)  (ConfabLlmClient        *self,
                                         GError                **error);

  /* Required. The model names in a 2xx models body, in any order (the base
   * sorts them and drops duplicates). Return NULL and set error when the body
   * is not what the API returns; an empty list is not an error. */
  char       **(*parse_models)          (ConfabLlmClient        *self,
                                         GBytes                 *body,
                                         GError                **error);

  /* Optional. The server's own explanation in an error body (status is the
   * HTTP status), or NULL; *out_code (may be NULL) gets a machine-readable
   * code or type ("context_length_exceeded", "model_not_found",
   * "not_found_error") when there is one. The default reads JSON
   * {"error": {"message", "code", "type"}}, {"error": "text"} and
   * {"message": "text"}, which covers OpenAI, Anthropic, Gemini and Ollama.
   * The base truncates the text and scrubs anything like the key from it. */
  char        *(*extract_error_message) (ConfabLlmClient        *self,
                                         guint                   status,
                                         GBytes                 *body,
                                         char                  **out_code);

  /* Set in class_init. TRUE when the API streams with Content-Type
   * application/json; by default such a reply to a streamed request is taken
   * as a whole non-streamed body (servers that ignore "stream": true). */
  gboolean json_is_streamed;

  /* Optional, with parse_embeddings. A new POST message asking for one
   * vector per text of texts (at least one, NULL-terminated) from model
   * (never NULL or empty), with its JSON body and the auth headers. */
  SoupMessage *(*build_embed_message)   (ConfabLlmClient        *self,
                                         const char             *model,
                                         const char * const     *texts,
                                         GError                **error);

  /* Optional, with build_embed_message. The vectors of a 2xx embeddings
   * body, as a GPtrArray of GArray of float (element-type float), one per
   * text in the order of the texts (n_texts of them). Return NULL and set
   * error when the body is not what the API returns (not JSON, a value that
   * is not a number, a vector missing); the base checks the count again. */
  GPtrArray   *(*parse_embeddings)      (ConfabLlmClient        *self,
                                         GBytes                 *body,
                                         guint                   n_texts,
                                         GError                **error);

  gpointer padding[6];
};

/* ConfabLlmClientStream pointers are valid during a vfunc call only; state
 * set with confab_llm_client_stream_set_state() lives as long as the call. */

/* ---------------------------------------------------------------------- */
/* Public API                                                              */
/* ---------------------------------------------------------------------- */

/* The client for provider's kind: openai_compatible and openai ->
 * ConfabOpenaiClient, anthropic -> ConfabAnthropicClient, gemini ->
 * ConfabGeminiClient, ollama -> ConfabOllamaClient. Takes the provider's
 * name, base URL, streaming flag and idle timeout; api_key (nullable) comes
 * from the keyring. Fails with CONFAB_ERROR_PROVIDER for a kind that has no
 * client yet. */
ConfabLlmClient *confab_llm_client_new_for_provider     (ConfabProvider        *provider,
                                                         const char            *api_key,
                                                         GError               **error);

const char      *confab_llm_client_get_provider_name    (ConfabLlmClient       *self);
const char      *confab_llm_client_get_base_url         (ConfabLlmClient       *self);
gboolean         confab_llm_client_get_supports_streaming (ConfabLlmClient     *self);
void             confab_llm_client_set_supports_streaming (ConfabLlmClient     *self,
                                                           gboolean             supports_streaming);
guint            confab_llm_client_get_idle_timeout     (ConfabLlmClient       *self);
void             confab_llm_client_set_idle_timeout     (ConfabLlmClient       *self,
                                                         guint                  seconds);
guint            confab_llm_client_get_connect_timeout  (ConfabLlmClient       *self);
void             confab_llm_client_set_connect_timeout  (ConfabLlmClient       *self,
                                                         guint                  seconds);
guint            confab_llm_client_get_total_timeout    (ConfabLlmClient       *self);
void             confab_llm_client_set_total_timeout    (ConfabLlmClient       *self,
                                                         guint                  seconds);
guint            confab_llm_client_get_max_retries      (ConfabLlmClient       *self);
void             confab_llm_client_set_max_retries      (ConfabLlmClient       *self,
                                                         guint                  max_retries);
/* Replaces the key (NULL for none); the old one is wiped. */
void             confab_llm_client_set_api_key          (ConfabLlmClient       *self,
                                                         const char            *api_key);

/* Sends request and hands text to delta_func as it arrives. Without
 * supports-streaming, one plain request is made and the whole text comes
 * through one delta_func call. Cancelling cancellable stops the transfer at
 * once; the call then fails with G_IO_ERROR_CANCELLED. Other failures are
 * CONFAB_ERROR codes: AUTH, NOT_FOUND, RATE_LIMITED, CONTEXT_TOO_LONG,
 * PROVIDER, NETWORK, TIMEOUT, INVALID (a request without a model). */
void             confab_llm_client_chat_async           (ConfabLlmClient       *self,
                                                         ConfabChatRequest     *request,
                                                         ConfabLlmDeltaFunc     delta_func,
                                                         gpointer               delta_data,
                                                         GCancellable          *cancellable,
                                                         GAsyncReadyCallback    callback,
                                                         gpointer               user_data);
/* *out_result (if out_result is not NULL) is always set, also on failure,
 * when it holds the text received before the error. */
gboolean         confab_llm_client_chat_finish          (ConfabLlmClient       *self,
                                                         GAsyncResult          *result,
                                                         ConfabChatResult     **out_result,
                                                         GError               **error);

/* The provider's model names, sorted, without duplicates. */
void             confab_llm_client_list_models_async    (ConfabLlmClient       *self,
                                                         GCancellable          *cancellable,
                                                         GAsyncReadyCallback    callback,
                                                         gpointer               user_data);
char           **confab_llm_client_list_models_finish   (ConfabLlmClient       *self,
                                                         GAsyncResult          *result,
                                                         GError               **error);

/* One vector per text from model, in the order of texts (at least one
 * text). Returns a GPtrArray of GArray of float (element-type float), all
 * of one length. Errors as for a chat (AUTH, NOT_FOUND for an unknown
 * model, RATE_LIMITED after the retries, NETWORK, TIMEOUT, PROVIDER for a
 * body that cannot be read or holds another number of vectors; INVALID
 * without a model or texts) and PROVIDER "The provider “X” cannot make
 * embeddings" for a client whose wire format has none. */
void             confab_llm_client_embed_async          (ConfabLlmClient       *self,
                                                         const char            *model,
                                                         const char * const    *texts,
                                                         GCancellable          *cancellable,
                                                         GAsyncReadyCallback    callback,
                                                         gpointer               user_data);
GPtrArray       *confab_llm_client_embed_finish         (ConfabLlmClient       *self,
                                                         GAsyncResult          *result,
                                                         GError               **error);
/* Whether the client's wire format can make embeddings at all. */
gboolean         confab_llm_client_can_embed            (ConfabLlmClient       *self);

/* Checks the base URL, the network and the key by listing the models.
 * Succeeds, or fails with an error a user understands (wrong URL, server
 * down, key rejected, ...). */
void             confab_llm_client_test_connection_async  (ConfabLlmClient     *self,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
gboolean         confab_llm_client_test_connection_finish (ConfabLlmClient     *self,
                                                           GAsyncResult        *result,
                                                           GError             **error);

/* ---------------------------------------------------------------------- */
/* For subclasses                                                          */
/* ---------------------------------------------------------------------- */

/* The key, or NULL when none is set. Put it in a header, never in a URL,
 * never in a log or an error. */
const char      *confab_llm_client_get_api_key          (ConfabLlmClient       *self);

/* base-url (without trailing '/') + path (which starts with '/'): the base
 * URL is used as given, e.g. "http://127.0.0.1:11434/v1" + "/models". */
char            *confab_llm_client_build_url            (ConfabLlmClient       *self,
                                                         const char            *path);

/* A new message for base-url + path with "Accept: application/json" and,
 * when body is not NULL, body serialised as its application/json request
 * body. Sets error (CONFAB_ERROR_INVALID) when the URL is not valid. */
SoupMessage     *confab_llm_client_new_json_message     (ConfabLlmClient       *self,
                                                         const char            *method,
                                                         const char            *path,
                                                         JsonNode              *body,
                                                         GError               **error);

/* A PROVIDER error naming the provider and quoting at most ~80 characters
 * of data (valid UTF-8, one line, scrubbed of the key): for a body that is
 * not what the API returns. Returns FALSE. */
gboolean         confab_llm_client_error_malformed      (ConfabLlmClient       *self,
                                                         const char            *data,
                                                         gssize                 len,
                                                         GError               **error);

/* Parses a JSON body to its root node; NULL with the error above when it is
 * not JSON. */
JsonNode        *confab_llm_client_parse_json           (ConfabLlmClient       *self,
                                                         const char            *data,
                                                         gssize                 len,
                                                         GError               **error);

/* The stream helpers: all the results of a call go through these. */
ConfabLlmClient   *confab_llm_client_stream_get_client  (ConfabLlmClientStream *stream);
ConfabChatRequest *confab_llm_client_stream_get_request (ConfabLlmClientStream *stream);
/* The message of the current attempt (response headers, status). */
SoupMessage       *confab_llm_client_stream_get_message (ConfabLlmClientStream *stream);
/* The subclass's per-call state (its parser); destroy is called when the
 * call ends or when another state replaces it. */
void               confab_llm_client_stream_set_state   (ConfabLlmClientStream *stream,
                                                         gpointer               state,
                                                         GDestroyNotify         destroy);
gpointer           confab_llm_client_stream_get_state   (ConfabLlmClientStream *stream);

/* Text of the reply, in order. Bytes may end mid-character: the incomplete
 * tail is held until the next call completes it; invalid bytes become
 * U+FFFD. Empty text is ignored. */
void               confab_llm_client_stream_add_text    (ConfabLlmClientStream *stream,
                                                         const char            *text);
void               confab_llm_client_stream_add_text_len (ConfabLlmClientStream *stream,
                                                          const char            *text,
                                                          gssize                 len);
/* Token usage; a negative value leaves that count as it was (Anthropic
 * reports input and output tokens in different events). */
void               confab_llm_client_stream_set_usage   (ConfabLlmClientStream *stream,
                                                         gint64                 tokens_in,
                                                         gint64                 tokens_out);
void               confab_llm_client_stream_set_finish_reason (ConfabLlmClientStream *stream,
                                                               const char            *reason);
/* The model the server says answered. */
void               confab_llm_client_stream_set_model   (ConfabLlmClientStream *stream,
                                                         const char            *model);
/* The reply is complete (OpenAI's [DONE], Anthropic's message_stop, Ollama's
 * "done": true). Nothing after it is parsed. */
void               confab_llm_client_stream_set_done    (ConfabLlmClientStream *stream);
gboolean           confab_llm_client_stream_is_done     (ConfabLlmClientStream *stream);

/* Error helpers for the parse vfuncs; both return FALSE so a vfunc can
 * `return confab_llm_client_stream_error_...;`.
 * An error the server sent inside the stream: PROVIDER, naming the provider
 * and the model and quoting message (truncated; code may be NULL). */
gboolean           confab_llm_client_stream_error_event (ConfabLlmClientStream *stream,
                                                         const char            *message,
                                                         const char            *code,
                                                         GError               **error);
/* An object holding {"error": {"message", "code"|"type"}} or {"error": "text"}
 * (OpenAI-style servers, Ollama): FALSE with the error event above when it is
 * one, TRUE otherwise. */
gboolean           confab_llm_client_stream_check_error (ConfabLlmClientStream *stream,
                                                         JsonObject            *object,
                                                         GError               **error);
/* Bytes that are not what the format says (bad JSON in an event): PROVIDER,
 * quoting at most ~80 characters of data as valid UTF-8. */
gboolean           confab_llm_client_stream_error_malformed (ConfabLlmClientStream *stream,
                                                             const char            *data,
                                                             gssize                 len,
                                                             GError               **error);

G_END_DECLS
