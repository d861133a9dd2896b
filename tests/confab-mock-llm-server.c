#include "config.h"

#include <string.h>

#include "confab-mock-llm-server.h"

typedef enum
{
  END_NORMAL,
  END_SILENT,
  END_CHATTY,
} EndMode;

typedef struct
{
  guint   delay_ms;
  GBytes *data;
} Chunk;

struct _ConfabMockResponse
{
  guint      status;
  char      *content_type;
  GPtrArray *headers;     /* name, value, name, value, ... */
  GBytes    *body;        /* when sent whole */
  GPtrArray *chunks;      /* Chunk */
  int        drop_after;  /* -1: never */
  EndMode    end;
  guint      interval_ms;
  GBytes    *keepalive;
  guint      headers_delay_ms;
};

/* A response being sent chunk by chunk. */
typedef struct
{
  ConfabMockLlmServer *server;   /* not a reference: the server owns this */
  SoupServerMessage   *msg;
  ConfabMockResponse  *response;
  guint                next_chunk;
  guint                written;  /* chunks the server has written */
  GSource             *timer;
  gboolean             body_complete;
  gboolean             dropped;
} Active;

struct _ConfabMockLlmServer
{
  GObject     parent_instance;

  SoupServer *server;
  guint       port;
  char       *base_url;
  GQueue      responses;
  GPtrArray  *requests;  /* ConfabMockRequest */
  GPtrArray  *active;    /* Active */
  GSList     *delayed_sources;
  guint       n_disconnects;
};

G_DEFINE_FINAL_TYPE (ConfabMockLlmServer, confab_mock_llm_server, G_TYPE_OBJECT)

static void active_schedule_next (Active *active);

/* ---- responses ---- */

static void
chunk_free (gpointer data)
{
  Chunk *chunk = data;

  g_bytes_unref (chunk->data);
  g_free (chunk);
}

ConfabMockResponse *
confab_mock_response_new (guint       status,
                          const char *content_type)
{
  ConfabMockResponse *response = g_new0 (ConfabMockResponse, 1);

  response->status = status;
  response->content_type = g_strdup (content_type);
  response->headers = g_ptr_array_new_with_free_func (g_free);
  response->chunks = g_ptr_array_new_with_free_func (chunk_free);
  response->drop_after = -1;
  return response;
}

ConfabMockResponse *
confab_mock_response_new_json (guint       status,
                               const char *json)
{
  ConfabMockResponse *response = confab_mock_response_new (status, "application/json");

  confab_mock_response_set_body (response, json, -1);
  return response;
}

void
confab_mock_response_free (ConfabMockResponse *response)
{
  if (response == NULL)
    return;
  g_free (response->content_type);
  g_ptr_array_unref (response->headers);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_ptr_array_unref (response->chunks);
  g_clear_pointer (&response->keepalive, g_bytes_unref);
  g_free (response);
}

void
confab_mock_response_add_header (ConfabMockResponse *response,
                                  const char         *name,
                                  const char         *value)
{
  g_ptr_array_add (response->headers, g_strdup (name));
  g_ptr_array_add (response->headers, g_strdup (value));
}

void
confab_mock_response_set_body (ConfabMockResponse *response,
                               const char         *body,
                               gssize              len)
{
  g_clear_pointer (&response->body, g_bytes_unref);
  response->body = g_bytes_new (body, len < 0 ? strlen (body) : (gsize) len);
}

void
confab_mock_response_add_chunk (ConfabMockResponse *response,
                                guint               delay_ms,
                                const char         *data,
                                gssize              len)
{
  Chunk *chunk = g_new0 (Chunk, 1);

  chunk->delay_ms = delay_ms;
  chunk->data = g_bytes_new (data, len < 0 ? strlen (data) : (gsize) len);
  g_ptr_array_add (response->chunks, chunk);
}

void
confab_mock_response_add_pieces (ConfabMockResponse *response,
                                 const char         *text,
                                 gsize               piece_len,
                                 guint               delay_ms)
{
  gsize len = strlen (text);

  g_assert_cmpuint (piece_len, >, 0);
  for (gsize off = 0; off < len; off += piece_len)
    confab_mock_response_add_chunk (response, delay_ms, text + off, MIN (piece_len, len - off));
}

void
confab_mock_response_set_drop_after (ConfabMockResponse *response,
                                     guint               n_chunks)
{
  response->drop_after = (int) n_chunks;
}

void
confab_mock_response_set_headers_delay (ConfabMockResponse *response,
                                        guint               delay_ms)
{
  response->headers_delay_ms = delay_ms;
}

void
confab_mock_response_set_endless_silent (ConfabMockResponse *response)
{
  response->end = END_SILENT;
}

void
confab_mock_response_set_endless_chatty (ConfabMockResponse *response,
                                         guint               interval_ms,
                                         const char         *chunk)
{
  response->end = END_CHATTY;
  response->interval_ms = MAX (interval_ms, 1);
  g_clear_pointer (&response->keepalive, g_bytes_unref);
  response->keepalive = g_bytes_new (chunk, strlen (chunk));
}

/* ---- requests ---- */

static void
request_free (gpointer data)
{
  ConfabMockRequest *request = data;

  g_free (request->method);
  g_free (request->path);
  soup_message_headers_unref (request->headers);
  g_bytes_unref (request->body);
  g_free (request);
}

static void
copy_header (const char *name,
             const char *value,
             gpointer    user_data)
{
  soup_message_headers_append (user_data, name, value);
}

static ConfabMockRequest *
request_new (SoupServerMessage *msg)
{
  ConfabMockRequest *request = g_new0 (ConfabMockRequest, 1);
  GUri *uri = soup_server_message_get_uri (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  const char *query = g_uri_get_query (uri);

  request->method = g_strdup (soup_server_message_get_method (msg));
  request->path = query ? g_strconcat (g_uri_get_path (uri), "?", query, NULL)
                        : g_strdup (g_uri_get_path (uri));
  request->headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  soup_message_headers_foreach (soup_server_message_get_request_headers (msg), copy_header,
                                request->headers);
  request->body = soup_message_body_flatten (body);
  return request;
}

const char *
confab_mock_request_get_header (const ConfabMockRequest *request,
                                const char              *name)
{
  return soup_message_headers_get_one (request->headers, name);
}

JsonNode *
confab_mock_request_get_json (const ConfabMockRequest *request)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize len;
  const char *data = g_bytes_get_data (request->body, &len);

  json_parser_load_from_data (parser, data ? data : "", len, &error);
  g_assert_no_error (error);
  return json_node_ref (json_parser_get_root (parser));
}

/* ---- sending ---- */

static void
active_free (gpointer data)
{
  Active *active = data;

  if (active->timer != NULL)
    {
      g_source_destroy (active->timer);
      g_source_unref (active->timer);
    }
  g_signal_handlers_disconnect_by_data (active->msg, active);
  g_object_unref (active->msg);
  confab_mock_response_free (active->response);
  g_free (active);
}

static void
active_remove (Active *active)
{
  g_ptr_array_remove (active->server->active, active);
}

static void
on_finished (SoupServerMessage *msg,
             gpointer           user_data)
{
  Active *active = user_data;

  if (!active->body_complete && !active->dropped)
    active->server->n_disconnects++;
  active_remove (active);
}

static gboolean
drop_connection (gpointer user_data)
{
  Active *active = user_data;
  GSocket *socket = soup_server_message_get_socket (active->msg);

  g_clear_pointer (&active->timer, g_source_unref);
  active->dropped = TRUE;
  /* Both ways: the client reads EOF in the middle of the chunked body, and
   * the server's own I/O fails and finishes the message. */
  if (socket != NULL)
    g_socket_shutdown (socket, TRUE, TRUE, NULL);
  return G_SOURCE_REMOVE;
}

static void
on_wrote_chunk (SoupServerMessage *msg,
                gpointer           user_data)
{
  Active *active = user_data;

  active->written++;
  if (active->response->drop_after >= 0 &&
      active->written == (guint) active->response->drop_after &&
      active->timer == NULL)
    {
      /* Not from inside libsoup's write: from the main loop, soon after. */
      active->timer = g_timeout_source_new (20);
      g_source_set_callback (active->timer, drop_connection, active, NULL);
      g_source_attach (active->timer, NULL);
    }
}

static gboolean
send_next (gpointer user_data)
{
  Active *active = user_data;
  ConfabMockResponse *response = active->response;
  SoupMessageBody *body = soup_server_message_get_response_body (active->msg);

  g_clear_pointer (&active->timer, g_source_unref);

  if (active->next_chunk < response->chunks->len)
    {
      Chunk *chunk = g_ptr_array_index (response->chunks, active->next_chunk++);

      soup_message_body_append_bytes (body, chunk->data);
      soup_server_message_unpause (active->msg);
    }
  else if (response->end == END_CHATTY)
    {
      soup_message_body_append_bytes (body, response->keepalive);
      soup_server_message_unpause (active->msg);
    }
  active_schedule_next (active);
  return G_SOURCE_REMOVE;
}

static void
active_schedule_next (Active *active)
{
  ConfabMockResponse *response = active->response;
  guint delay_ms;

  if (active->response->drop_after >= 0 && active->next_chunk >= (guint) response->drop_after)
    return; /* on_wrote_chunk () drops the connection */

  if (active->next_chunk < response->chunks->len)
    delay_ms = ((Chunk *) g_ptr_array_index (response->chunks, active->next_chunk))->delay_ms;
  else if (response->end == END_CHATTY)
    delay_ms = response->interval_ms;
  else if (response->end == END_SILENT)
    return; /* until the client goes away */
  else
    {
      active->body_complete = TRUE;
      soup_message_body_complete (soup_server_message_get_response_body (active->msg));
      soup_server_message_unpause (active->msg);
      return;
    }

  active->timer = g_timeout_source_new (delay_ms);
  g_source_set_callback (active->timer, send_next, active, NULL);
  g_source_attach (active->timer, NULL);
}

static void
respond (ConfabMockLlmServer *self,
         SoupServerMessage   *msg,
         ConfabMockResponse  *response)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  Active *active;

  /* libsoup 3.2 has no phrase for 429. */
  soup_server_message_set_status (msg, response->status,
                                  response->status == 429 ? "Too Many Requests" : NULL);
  for (guint i = 0; i + 1 < response->headers->len; i += 2)
    soup_message_headers_append (headers, g_ptr_array_index (response->headers, i),
                                 g_ptr_array_index (response->headers, i + 1));

  if (response->chunks->len == 0 && response->end == END_NORMAL && response->drop_after < 0)
    {
      gsize len = 0;
      const char *data = response->body ? g_bytes_get_data (response->body, &len) : NULL;

      soup_server_message_set_response (msg, response->content_type, SOUP_MEMORY_COPY,
                                        data, len);
      confab_mock_response_free (response);
      return;
    }

  soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
  if (response->content_type != NULL)
    soup_message_headers_set_content_type (headers, response->content_type, NULL);
  soup_server_message_pause (msg);

  active = g_new0 (Active, 1);
  active->server = self;
  active->msg = g_object_ref (msg);
  active->response = response;
  g_ptr_array_add (self->active, active);
  g_signal_connect (msg, "finished", G_CALLBACK (on_finished), active);
  g_signal_connect (msg, "wrote-chunk", G_CALLBACK (on_wrote_chunk), active);
  if (response->drop_after == 0)
    {
      active->timer = g_timeout_source_new (20);
      g_source_set_callback (active->timer, drop_connection, active, NULL);
      g_source_attach (active->timer, NULL);
      soup_server_message_unpause (msg); /* the headers */
      return;
    }
  active_schedule_next (active);
}

/* A response whose headers wait: the message is paused meanwhile. */
typedef struct
{
  ConfabMockLlmServer *server;
  SoupServerMessage   *msg;
  ConfabMockResponse  *response;
  GSource             *source;
} Delayed;

static void
delayed_free (gpointer data)
{
  Delayed *delayed = data;

  g_signal_handlers_disconnect_by_data (delayed->msg, delayed);
  g_clear_pointer (&delayed->response, confab_mock_response_free);
  g_object_unref (delayed->msg);
  g_free (delayed);
}

static void
delayed_forget (Delayed *delayed)
{
  GSource *source = delayed->source;
  ConfabMockLlmServer *self = delayed->server;

  self->delayed_sources = g_slist_remove (self->delayed_sources, source);
  g_source_destroy (source); /* frees delayed */
  g_source_unref (source);
}

static void
on_delayed_finished (SoupServerMessage *msg,
                     gpointer           data)
{
  Delayed *delayed = data;

  /* The client went away before the headers. */
  delayed->server->n_disconnects++;
  delayed_forget (delayed);
}

static gboolean
send_delayed_headers (gpointer data)
{
  Delayed *delayed = data;

  g_signal_handlers_disconnect_by_data (delayed->msg, delayed);
  respond (delayed->server, delayed->msg, g_steal_pointer (&delayed->response));
  soup_server_message_unpause (delayed->msg);
  delayed_forget (delayed);
  return G_SOURCE_REMOVE;
}

static void
handle_request (SoupServer        *soup_server,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  ConfabMockLlmServer *self = user_data;
  ConfabMockResponse *response = g_queue_pop_head (&self->responses);

  g_ptr_array_add (self->requests, request_new (msg));

  if (response == NULL)
    {
      static const char body[] = "{\"error\":{\"message\":\"mock: no scripted response\"}}";

      g_test_message ("mock server: no scripted response for %s %s",
                      soup_server_message_get_method (msg), path);
      soup_server_message_set_status (msg, 500, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        body, strlen (body));
      return;
    }

  if (response->headers_delay_ms > 0)
    {
      Delayed *delayed = g_new0 (Delayed, 1);
      GSource *source = g_timeout_source_new (response->headers_delay_ms);

      delayed->server = self;
      delayed->msg = g_object_ref (msg);
      delayed->response = response;
      delayed->source = source;
      soup_server_message_pause (msg);
      g_signal_connect (msg, "finished", G_CALLBACK (on_delayed_finished), delayed);
      g_source_set_callback (source, send_delayed_headers, delayed, delayed_free);
      g_source_attach (source, NULL);
      self->delayed_sources = g_slist_prepend (self->delayed_sources, source);
      return;
    }

  respond (self, msg, response);
}

/* ---- the server ---- */

static void
confab_mock_llm_server_dispose (GObject *object)
{
  ConfabMockLlmServer *self = CONFAB_MOCK_LLM_SERVER (object);

  /* Stop the timers and forget the messages before the connections go. */
  for (GSList *l = self->delayed_sources; l != NULL; l = l->next)
    {
      g_source_destroy (l->data);
      g_source_unref (l->data);
    }
  g_clear_pointer (&self->delayed_sources, g_slist_free);
  g_clear_pointer (&self->active, g_ptr_array_unref);
  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_queue_clear_full (&self->responses, (GDestroyNotify) confab_mock_response_free);

  G_OBJECT_CLASS (confab_mock_llm_server_parent_class)->dispose (object);
}

static void
confab_mock_llm_server_finalize (GObject *object)
{
  ConfabMockLlmServer *self = CONFAB_MOCK_LLM_SERVER (object);

  g_clear_pointer (&self->requests, g_ptr_array_unref);
  g_clear_pointer (&self->base_url, g_free);

  G_OBJECT_CLASS (confab_mock_llm_server_parent_class)->finalize (object);
}

static void
confab_mock_llm_server_class_init (ConfabMockLlmServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = confab_mock_llm_server_dispose;
  object_class->finalize = confab_mock_llm_server_finalize;
}

static void
confab_mock_llm_server_init (ConfabMockLlmServer *self)
{
  g_queue_init (&self->responses);
  self->requests = g_ptr_array_new_with_free_func (request_free);
  self->active = g_ptr_array_new_with_free_func (active_free);
}

ConfabMockLlmServer *
confab_mock_llm_server_new (void)
{
  ConfabMockLlmServer *self = g_object_new (CONFAB_TYPE_MOCK_LLM_SERVER, NULL);
  g_autoptr (GError) error = NULL;
  GSList *uris;

  self->server = soup_server_new ("server-header", "confab-mock ", NULL);
  soup_server_add_handler (self->server, NULL, handle_request, self, NULL);
  soup_server_listen_local (self->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (self->server);
  g_assert_nonnull (uris);
  self->port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  self->base_url = g_strdup_printf ("http://127.0.0.1:%u", self->port);
  return self;
}

const char *
confab_mock_llm_server_get_base_url (ConfabMockLlmServer *self)
{
  return self->base_url;
}

char *
confab_mock_llm_server_get_url (ConfabMockLlmServer *self,
                                const char          *path)
{
  return g_strconcat (self->base_url, path, NULL);
}

guint
confab_mock_llm_server_get_port (ConfabMockLlmServer *self)
{
  return self->port;
}

void
confab_mock_llm_server_push (ConfabMockLlmServer *self,
                             ConfabMockResponse  *response)
{
  g_queue_push_tail (&self->responses, response);
}

guint
confab_mock_llm_server_get_n_pending (ConfabMockLlmServer *self)
{
  return g_queue_get_length (&self->responses);
}

guint
confab_mock_llm_server_get_n_requests (ConfabMockLlmServer *self)
{
  return self->requests->len;
}

const ConfabMockRequest *
confab_mock_llm_server_get_request (ConfabMockLlmServer *self,
                                    guint                i)
{
  g_assert_cmpuint (i, <, self->requests->len);
  return g_ptr_array_index (self->requests, i);
}

guint
confab_mock_llm_server_get_n_disconnects (ConfabMockLlmServer *self)
{
  return self->n_disconnects;
}

guint
confab_mock_llm_server_get_n_active (ConfabMockLlmServer *self)
{
  return self->active->len;
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
confab_mock_wait_until (gboolean (*func) (gpointer),
                        gpointer   data,
                        guint      timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, on_wait_timeout, &timed_out);
  gboolean ok;

  while (!(ok = func (data)) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return ok;
}
