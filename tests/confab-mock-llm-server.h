#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A scriptable HTTP server for the LLM client tests, on a real SoupServer
 * listening on 127.0.0.1 (a free port), in the test's own main context. It
 * knows no wire format: each test pushes the exact responses the server
 * should give, in order, and reads back the requests it received.
 *
 *   g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
 *   ConfabMockResponse *r = confab_mock_response_new (200, "text/event-stream");
 *
 *   confab_mock_response_add_chunk (r, 0, "data: {\"choices\":[...]}\n\n", -1);
 *   confab_mock_response_add_chunk (r, 50, "data: [DONE]\n\n", -1);   // 50 ms later
 *   confab_mock_llm_server_push (server, r);                          // takes r
 *
 *   url = confab_mock_llm_server_get_url (server, "/v1");   // "http://127.0.0.1:PORT/v1"
 *   client = confab_openai_client_new ("Mock", url, NULL);
 *   ... run the call on the main loop ...
 *   req = confab_mock_llm_server_get_request (server, 0);
 *   g_assert_cmpstr (req->path, ==, "/v1/chat/completions");
 *
 * Responses are served first in, first out, whatever the path; a request
 * that finds the queue empty gets a 500 with {"error":{"message":"mock: no
 * scripted response"}} (and is recorded like any other).
 *
 * A response with no chunks is sent whole with a Content-Length. A response
 * with chunks is sent with chunked encoding: before each chunk the server
 * waits that chunk's delay (a timeout on the main context, the message
 * paused meanwhile), so a client sees them arrive as separate network
 * reads. Options:
 *   - drop after N chunks: once N chunks are written, the server closes the
 *     socket without the final zero-length chunk (a connection lost
 *     mid-stream);
 *   - endless silent: after the chunks, send nothing and keep the response
 *     open until the client goes away (idle-timeout tests);
 *   - endless chatty: after the chunks, send a keep-alive chunk every
 *     interval until the client goes away (cancellation tests);
 *   - headers delay: wait before even the status line (a slow model).
 * The server counts responses that ended because the client went away
 * (confab_mock_llm_server_get_n_disconnects()), so a test can check that a
 * cancelled call really closed its connection.
 */

#define CONFAB_TYPE_MOCK_LLM_SERVER (confab_mock_llm_server_get_type ())

G_DECLARE_FINAL_TYPE (ConfabMockLlmServer, confab_mock_llm_server, CONFAB, MOCK_LLM_SERVER, GObject)

typedef struct _ConfabMockResponse ConfabMockResponse;

/* One request as received. */
typedef struct
{
  char               *method;   /* "POST" */
  char               *path;     /* path and query as sent: "/v1/chat/completions?x=1" */
  SoupMessageHeaders *headers;  /* request headers */
  GBytes             *body;     /* request body, maybe empty */
} ConfabMockRequest;

/* ---- responses ---- */

/* content_type may be NULL (no Content-Type header). */
ConfabMockResponse *confab_mock_response_new            (guint               status,
                                                         const char         *content_type);
/* A response sent whole: status, application/json, the given text. */
ConfabMockResponse *confab_mock_response_new_json       (guint               status,
                                                         const char         *json);
void                confab_mock_response_free           (ConfabMockResponse *response);
/* An extra response header, e.g. ("Retry-After", "1"). */
void                confab_mock_response_add_header     (ConfabMockResponse *response,
                                                         const char         *name,
                                                         const char         *value);
/* Without chunks, the whole body (sent with a Content-Length). */
void                confab_mock_response_set_body       (ConfabMockResponse *response,
                                                         const char         *body,
                                                         gssize              len);
/* One chunk, sent delay_ms after the previous one (or after the headers).
 * len -1 for a NUL-terminated string. */
void                confab_mock_response_add_chunk      (ConfabMockResponse *response,
                                                         guint               delay_ms,
                                                         const char         *data,
                                                         gssize              len);
/* text cut into chunks of piece_len bytes (the last one shorter), each sent
 * delay_ms after the previous: cuts land mid-line and mid-character. */
void                confab_mock_response_add_pieces     (ConfabMockResponse *response,
                                                         const char         *text,
                                                         gsize               piece_len,
                                                         guint               delay_ms);
/* Close the socket once n_chunks chunks are written, without ending the
 * chunked body properly. */
void                confab_mock_response_set_drop_after (ConfabMockResponse *response,
                                                         guint               n_chunks);
/* Wait delay_ms before sending the status and headers (a model that takes
 * its time before answering at all). */
void                confab_mock_response_set_headers_delay (ConfabMockResponse *response,
                                                            guint               delay_ms);
/* After the chunks, keep the response open and send nothing. */
void                confab_mock_response_set_endless_silent (ConfabMockResponse *response);
/* After the chunks, send chunk every interval_ms until the client goes away. */
void                confab_mock_response_set_endless_chatty (ConfabMockResponse *response,
                                                             guint               interval_ms,
                                                             const char         *chunk);

/* ---- the server ---- */

ConfabMockLlmServer     *confab_mock_llm_server_new              (void);
/* "http://127.0.0.1:PORT", without a trailing '/': append the prefix the
 * wire format's base URLs have (get_url (server, "/v1") for OpenAI). */
const char              *confab_mock_llm_server_get_base_url     (ConfabMockLlmServer *self);
/* "http://127.0.0.1:PORT" + path. */
char                    *confab_mock_llm_server_get_url          (ConfabMockLlmServer *self,
                                                                  const char          *path);
guint                    confab_mock_llm_server_get_port         (ConfabMockLlmServer *self);
/* Queues response (taken) for the next request. */
void                     confab_mock_llm_server_push             (ConfabMockLlmServer *self,
                                                                  ConfabMockResponse  *response);
guint                    confab_mock_llm_server_get_n_pending    (ConfabMockLlmServer *self);
guint                    confab_mock_llm_server_get_n_requests   (ConfabMockLlmServer *self);
const ConfabMockRequest *confab_mock_llm_server_get_request      (ConfabMockLlmServer *self,
                                                                  guint                i);
/* Responses that ended because the client went away before the end. */
guint                    confab_mock_llm_server_get_n_disconnects (ConfabMockLlmServer *self);
/* Responses currently being sent (chunks or endless). */
guint                    confab_mock_llm_server_get_n_active     (ConfabMockLlmServer *self);

/* Helpers on a received request. */
const char              *confab_mock_request_get_header          (const ConfabMockRequest *request,
                                                                  const char              *name);
/* The body parsed as JSON (aborts the test when it is not JSON). */
JsonNode                *confab_mock_request_get_json            (const ConfabMockRequest *request);

/* Runs the default main context until func (data) returns TRUE or timeout_ms
 * passes; returns what func returned last. */
gboolean                 confab_mock_wait_until                  (gboolean          (*func) (gpointer),
                                                                  gpointer            data,
                                                                  guint               timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ConfabMockResponse, confab_mock_response_free)

G_END_DECLS
