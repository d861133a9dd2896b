/* Bad input, from everywhere it can come: a provider's stream (invalid
 * UTF-8, NUL bytes, a 10 MB line, a line that never ends, a stream that
 * never ends), an imported file (invalid UTF-8 and NULs, HTML nested a
 * million deep, a PDF that is not one), a search box (FTS5 syntax), a rule
 * (a regex that backtracks), a template (sections nested without end, a
 * value that looks like a template) and the composer (a 50 MB paste).
 * Each ends in a clear error or a sane result, never a crash, a hang or
 * text that is not UTF-8 in the workspace. */

#include "config.h"

#include <string.h>

#include "confab-agent-runtime.h"
#include "confab-knowledge-importer.h"
#include "confab-llm-client.h"
#include "confab-ndjson-parser.h"
#include "confab-sse-parser.h"
#include "confab-mock-llm-server.h"
#include "confab-rule-set.h"
#include "confab-template.h"
#include "confab-test-util.h"
#include "confab-text-extract.h"

/* Only reached when something hangs. */
#define WAIT_MS 60000

/* Stored text is valid UTF-8 with no NUL byte hidden inside. */
static void
assert_clean_column (ConfabDatabase *db, const char *sql, const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, sql, &error);
  guint n = 0;

  g_assert_no_error (error);
  if (id != NULL)
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *text = sqlite3_column_blob (stmt, 0);
      int         len = sqlite3_column_bytes (stmt, 0);

      if (len > 0 && memchr (text, '\0', len) != NULL)
        g_error ("%s: a NUL byte was stored", sql);
      if (!g_utf8_validate_len (text, len, NULL))
        g_error ("%s: text that is not UTF-8 was stored", sql);
      n++;
    }
  g_assert_cmpuint (n, >, 0);
}

/* ------------------------------------------------------------------------ */
/* A provider's stream, through the agent runtime into the workspace        */
/* ------------------------------------------------------------------------ */

typedef struct
{
  ConfabMockLlmServer *server;
  ConfabTestWorkspace *ws;
  ConfabAgentRuntime  *runtime;
  ConfabProvider      *provider;
  char                *user_id;
  char                *agent_id;
} Chat;

static void
chat_set_up (Chat *chat, guint idle_timeout_s)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (ConfabAgent) agent = NULL;
  g_autofree char *url = NULL;

  chat->server = confab_mock_llm_server_new ();
  chat->ws = confab_test_workspace_new ();
  user = confab_test_add_user (chat->ws->db, "asker");
  chat->user_id = g_strdup (confab_entity_get_id (CONFAB_ENTITY (user)));

  url = confab_mock_llm_server_get_url (chat->server, "/v1");
  chat->provider = confab_provider_new ("Mock", "openai_compatible", url);
  confab_provider_set_default_model (chat->provider, "mock");
  confab_provider_set_idle_timeout_s (chat->provider, idle_timeout_s);
  confab_repository_create (chat->ws->db, CONFAB_ENTITY (chat->provider), NULL, &error);
  g_assert_no_error (error);

  agent = confab_agent_new ("Talker");
  confab_agent_set_agent_type (agent, "llm");
  confab_agent_set_provider_id (agent, confab_entity_get_id (CONFAB_ENTITY (chat->provider)));
  confab_agent_set_model (agent, "mock");
  confab_repository_create (chat->ws->db, CONFAB_ENTITY (agent), NULL, &error);
  g_assert_no_error (error);
  chat->agent_id = g_strdup (confab_entity_get_id (CONFAB_ENTITY (agent)));
  chat->runtime = confab_agent_runtime_new (chat->ws->db, NULL);
}

static void
chat_tear_down (Chat *chat)
{
  g_clear_object (&chat->runtime);
  g_clear_object (&chat->provider);
  g_clear_object (&chat->server);
  g_clear_pointer (&chat->ws, confab_test_workspace_free);
  g_clear_pointer (&chat->user_id, g_free);
  g_clear_pointer (&chat->agent_id, g_free);
}

typedef struct
{
  gboolean       done;
  ConfabMessage *message;
  GError        *error;
  char          *reply_id;
} Reply;

static void
on_event (ConfabRuntimeEvent event, const char *text, gpointer data)
{
  Reply *reply = data;

  if (event == CONFAB_RUNTIME_EVENT_STARTED)
    {
      g_free (reply->reply_id);
      reply->reply_id = g_strdup (text);
    }
}

static void
on_reply (GObject *source, GAsyncResult *result, gpointer data)
{
  Reply *reply = data;

  reply->message =
      confab_agent_runtime_reply_finish (CONFAB_AGENT_RUNTIME (source), result, &reply->error);
  reply->done = TRUE;
}

static gboolean
reply_done (gpointer data)
{
  return ((Reply *) data)->done;
}

/* Asks the agent once with response scripted; returns the stored reply. */
static ConfabMessage *
ask (Chat *chat, ConfabMockResponse *response, const char *text, GError **error)
{
  g_autoptr (ConfabConversation) conversation = NULL;
  Reply          reply = { 0 };
  ConfabMessage *stored;

  if (response != NULL)
    confab_mock_llm_server_push (chat->server, response);
  conversation =
      confab_agent_runtime_start_conversation (chat->runtime, chat->user_id, chat->agent_id, error);
  g_assert_nonnull (conversation);
  confab_agent_runtime_reply_async (chat->runtime,
                                    confab_entity_get_id (CONFAB_ENTITY (conversation)),
                                    chat->user_id, text, on_event, &reply, NULL, on_reply, &reply);
  if (!confab_mock_wait_until (reply_done, &reply, WAIT_MS))
    g_error ("the reply never finished");
  g_clear_object (&reply.message);
  if (reply.error != NULL)
    g_propagate_error (error, reply.error);
  if (reply.reply_id == NULL)
    return NULL;
  stored = confab_repository_get (chat->ws->db, CONFAB_TYPE_MESSAGE, reply.reply_id, NULL);
  assert_clean_column (chat->ws->db, "SELECT content FROM messages WHERE id = ?", reply.reply_id);
  g_free (reply.reply_id);
  return stored;
}

static char *
sse_json_delta (const char *raw_content_json)
{
  return g_strdup_printf ("data: {\"model\":\"mock\",\"choices\":[{\"index\":0,"
                          "\"delta\":{\"content\":%s}}]}\n\n",
                          raw_content_json);
}

#define SSE_STOP                                                                                   \
  "data: {\"model\":\"mock\",\"choices\":[{\"index\":0,\"delta\":{},"                              \
  "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"

static void
test_stream_bad_bytes (void)
{
  Chat                chat = { 0 };
  ConfabMockResponse *response;
  g_autoptr (ConfabMessage) stored = NULL;
  g_autoptr (GError) error = NULL;
  /* Raw invalid bytes inside a JSON string (one cut short at the end), an
   * escaped NUL, an escaped lone surrogate. */
  const char *deltas[] = {
    "\"caf\xC3\xA9 \xFF\xFE bad \xC3\"",
    "\" before\\u0000after\"",
    "\" lone \\ud800 surrogate\"",
    "\" end\"",
  };
  static const char raw_nul[] = "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\0\n\n";

  chat_set_up (&chat, 60);
  response = confab_mock_response_new (200, "text/event-stream");
  for (guint i = 0; i < G_N_ELEMENTS (deltas); i++)
    {
      g_autofree char *chunk = sse_json_delta (deltas[i]);

      /* Cut in two, so a character may be split between reads. */
      confab_mock_response_add_pieces (response, chunk, strlen (chunk) / 2 + 1, 5);
    }
  confab_mock_response_add_chunk (response, 5, SSE_STOP, -1);

  /* Bytes that are not UTF-8 become U+FFFD; the reply goes through. */
  stored = ask (&chat, response, "Say something strange", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_message_get_status (stored), ==, "complete");
  g_assert_true (g_str_has_prefix (confab_message_get_content (stored), "café \xEF\xBF\xBD"));
  g_assert_nonnull (strstr (confab_message_get_content (stored), " before"));
  g_assert_true (g_str_has_suffix (confab_message_get_content (stored), " end"));
  g_test_message ("bad bytes stored as “%s”", confab_message_get_content (stored));
  g_clear_object (&stored);

  /* A raw NUL after the JSON: the event cannot be read, the reply fails
   * clearly, and what is stored is still clean (checked in ask()). */
  response = confab_mock_response_new (200, "text/event-stream");
  confab_mock_response_add_chunk (response, 5, raw_nul, sizeof raw_nul - 1);
  confab_mock_response_add_chunk (response, 5, SSE_STOP, -1);
  stored = ask (&chat, response, "Say a NUL", &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  g_assert_nonnull (strstr (error->message, "could not be read"));
  g_assert_cmpstr (confab_message_get_status (stored), ==, "error");
  chat_tear_down (&chat);
}

/* One SSE line of 10 MB: a delta that big is handled (the reply is capped
 * at what a message may hold), a line that is not JSON is refused, and an
 * event whose data lines never end is refused before memory runs out. */
static void
test_stream_huge_line (void)
{
  Chat                chat = { 0 };
  ConfabMockResponse *response;
  g_autoptr (ConfabMessage) stored = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) line = g_string_sized_new (10 * 1024 * 1024 + 100);
  guint n_chunks;

  chat_set_up (&chat, 60);

  g_string_append (line,
                   "data: {\"model\":\"mock\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"");
  while (line->len < 10 * 1024 * 1024)
    g_string_append (line, "ten megabytes of one line ");
  g_string_append (line, "\"}}]}\n\n" SSE_STOP);
  response = confab_mock_response_new (200, "text/event-stream");
  confab_mock_response_add_pieces (response, line->str, 1024 * 1024, 1);
  stored = ask (&chat, response, "Say a lot", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_message_get_status (stored), ==, "complete");
  g_assert_cmpint (g_utf8_strlen (confab_message_get_content (stored), -1), ==,
                   CONFAB_MESSAGE_MAX_REPLY);
  g_clear_object (&stored);

  /* 10 MB of a line that is no JSON at all. */
  g_string_truncate (line, 0);
  g_string_append (line, "data: ");
  while (line->len < 10 * 1024 * 1024)
    g_string_append (line, "garbage garbage garbage ");
  g_string_append (line, "\n\n");
  response = confab_mock_response_new (200, "text/event-stream");
  confab_mock_response_add_pieces (response, line->str, 1024 * 1024, 1);
  stored = ask (&chat, response, "Say garbage", &error);
  g_assert_nonnull (error);
  g_assert_true (error->domain == CONFAB_ERROR);
  g_test_message ("10 MB of garbage: %s", error->message);
  g_assert_cmpstr (confab_message_get_status (stored), ==, "error");
  g_clear_error (&error);
  g_clear_object (&stored);

  /* An event that never ends: one data line after another, 64 MB, with no
   * blank line. The client gives up on it at its limit. */
  response = confab_mock_response_new (200, "text/event-stream");
  g_string_truncate (line, 0);
  while (line->len < 1024 * 1024)
    g_string_append (line, "data: more and more and more\n");
  for (n_chunks = 0; n_chunks < 64; n_chunks++)
    confab_mock_response_add_chunk (response, 1, line->str, line->len);
  stored = ask (&chat, response, "Never stop", &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
  g_test_message ("endless event: %s", error->message);
  g_clear_error (&error);
  g_clear_object (&stored);

  chat_tear_down (&chat);
}

/* The parsers themselves: what they hand on is UTF-8, whatever came in,
 * and an event that never ends is refused at the line limit. */
static gboolean
on_sse_event (const char *event, const char *data, const char *id, gpointer user_data)
{
  g_ptr_array_add (user_data, g_strdup (data));
  return TRUE;
}

static gboolean
on_ndjson_line (const char *line, gsize len, gpointer user_data)
{
  g_ptr_array_add (user_data, g_strndup (line, len));
  return TRUE;
}

static void
test_parsers_bad_bytes (void)
{
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  ConfabSseParser    *sse = confab_sse_parser_new (on_sse_event, seen);
  ConfabNdjsonParser *ndjson = NULL;
  static const char   stream[] = "data: caf\xC3\xA9 \xFF \0 end\n\ndata: ok\n\n";
  static const char   lines[] = "{\"a\":\"\xFE\xC3\"}\n{\"b\":\"\0\"}\n";

  g_assert_true (confab_sse_parser_feed (sse, stream, sizeof stream - 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seen->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (seen, 0), ==, "café \xEF\xBF\xBD \xEF\xBF\xBD end");
  g_assert_cmpstr (g_ptr_array_index (seen, 1), ==, "ok");

  /* 20 data lines of 1 MB without the blank line: refused at 16 MB. */
  confab_sse_parser_set_max_line (sse, 16 * 1024 * 1024);
  {
    g_autofree char *line = g_strnfill (1024 * 1024, 'x');
    gboolean         ok = TRUE;

    memcpy (line, "data:", 5);
    line[1024 * 1024 - 1] = '\n';
    for (guint i = 0; i < 20 && ok; i++)
      ok = confab_sse_parser_feed (sse, line, 1024 * 1024, &error);
    g_assert_false (ok);
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_PROVIDER);
    g_assert_nonnull (strstr (error->message, "event longer than"));
    g_clear_error (&error);
  }
  confab_sse_parser_free (sse);

  g_ptr_array_set_size (seen, 0);
  ndjson = confab_ndjson_parser_new (on_ndjson_line, seen);
  g_assert_true (confab_ndjson_parser_feed (ndjson, lines, sizeof lines - 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (seen->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (seen, 0), ==, "{\"a\":\"\xEF\xBF\xBD\xEF\xBF\xBD\"}");
  g_assert_cmpstr (g_ptr_array_index (seen, 1), ==, "{\"b\":\"\xEF\xBF\xBD\"}");
  confab_ndjson_parser_free (ndjson);
}

/* A provider that never closes the stream: the provider's idle timeout
 * ends the reply with an error, the text so far kept. */
static void
test_stream_never_ends (void)
{
  Chat                chat = { 0 };
  ConfabMockResponse *response;
  g_autoptr (ConfabMessage) stored = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *hello = sse_json_delta ("\"Hello\"");

  chat_set_up (&chat, 1);
  response = confab_mock_response_new (200, "text/event-stream");
  confab_mock_response_add_chunk (response, 10, hello, -1);
  confab_mock_response_set_endless_silent (response);
  stored = ask (&chat, response, "Hang", &error);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (error->message, "idle timeout"));
  g_assert_cmpstr (confab_message_get_status (stored), ==, "error");
  g_assert_cmpstr (confab_message_get_content (stored), ==, "Hello");
  chat_tear_down (&chat);
}

static void
on_chat_finished (GObject *source, GAsyncResult *result, gpointer data)
{
  Reply *reply = data;

  confab_llm_client_chat_finish (CONFAB_LLM_CLIENT (source), result, NULL, &reply->error);
  reply->done = TRUE;
}

/* Keep-alive comments forever: the idle timer is fed, the total one ends it. */
static void
test_stream_chatty_forever (void)
{
  g_autoptr (ConfabMockLlmServer) server = confab_mock_llm_server_new ();
  g_autofree char *url = confab_mock_llm_server_get_url (server, "/v1");
  g_autoptr (ConfabProvider) provider = confab_provider_new ("Chatty", "openai_compatible", url);
  g_autoptr (ConfabLlmClient) client = NULL;
  g_autoptr (ConfabChatRequest) request = confab_chat_request_new ("mock");
  g_autoptr (GError) error = NULL;
  ConfabMockResponse *response = confab_mock_response_new (200, "text/event-stream");
  Reply               reply = { 0 };

  confab_provider_set_idle_timeout_s (provider, 1);
  client = confab_llm_client_new_for_provider (provider, NULL, &error);
  g_assert_no_error (error);
  confab_llm_client_set_total_timeout (client, 2);
  confab_mock_response_set_endless_chatty (response, 100, ": keep-alive\n\n");
  confab_mock_llm_server_push (server, response);
  confab_chat_request_add_message (request, "user", "Hi");

  confab_llm_client_chat_async (client, request, NULL, NULL, NULL, on_chat_finished, &reply);
  if (!confab_mock_wait_until (reply_done, &reply, WAIT_MS))
    g_error ("the endless stream never ended");
  g_assert_error (reply.error, CONFAB_ERROR, CONFAB_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (reply.error->message, "total timeout"));
  g_clear_error (&reply.error);
}

/* The composer: a 50 MB paste is refused at once, saying the limit. */
static void
test_huge_message (void)
{
  Chat chat = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabMessage) stored = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autoptr (ConfabMessage) direct = NULL;
  gsize            size = 50 * 1024 * 1024;
  g_autofree char *paste = g_malloc (size + 1);
  g_autofree char *limit = g_strdup_printf ("%d", CONFAB_MESSAGE_MAX_CONTENT);

  for (gsize i = 0; i < size; i++)
    paste[i] = "lorem ipsum "[i % 12];
  paste[size] = '\0';

  /* The check the composer runs before sending. */
  g_assert_false (confab_check_text ("message", paste, 1, CONFAB_MESSAGE_MAX_CONTENT, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, limit));
  g_clear_error (&error);

  /* Saving it directly, and sending it to an agent. */
  chat_set_up (&chat, 60);
  conversation =
      confab_agent_runtime_start_conversation (chat.runtime, chat.user_id, chat.agent_id, &error);
  g_assert_no_error (error);
  direct = confab_message_new (confab_entity_get_id (CONFAB_ENTITY (conversation)), "user", paste);
  g_assert_false (confab_repository_create (chat.ws->db, CONFAB_ENTITY (direct), NULL, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, limit));
  g_clear_error (&error);

  stored = ask (&chat, NULL, paste, &error);
  g_assert_null (stored);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, limit));
  g_assert_cmpuint (confab_mock_llm_server_get_n_requests (chat.server), ==, 0);
  g_assert_cmpint (confab_test_count_rows (chat.ws->db, "SELECT count(*) FROM messages"), ==, 0);
  chat_tear_down (&chat);
}

/* ------------------------------------------------------------------------ */
/* Imported files                                                           */
/* ------------------------------------------------------------------------ */

static void
assert_clean_text (const char *text)
{
  g_assert_nonnull (text);
  g_assert_true (g_utf8_validate (text, -1, NULL));
}

static char *
extract (const void *data, gsize len, const char *name, GError **error)
{
  g_autoptr (GBytes) bytes = g_bytes_new (data, len);

  return confab_text_extract (bytes, name, error);
}

static void
test_file_bad_bytes (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabKnowledgeBase) kb = confab_knowledge_base_new ("Odd files");
  g_autoptr (GError) error = NULL;
  static const char body[] = "Caf\xC3\xA9 \xFF\xFE opening hours\0 with NUL\0\0 bytes \xE2\x82 cut";
  const char       *names[] = { "odd.txt", "odd.md", "odd.html" };

  confab_repository_create (ws->db, CONFAB_ENTITY (kb), NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *text = extract (body, sizeof body - 1, names[i], &error);
      g_autofree char *path = g_build_filename (ws->dir, names[i], NULL);
      g_autoptr (GFile) file = g_file_new_for_path (path);
      g_autoptr (ConfabDocument) document = NULL;
      g_autoptr (GPtrArray) hits = NULL;

      g_assert_no_error (error);
      assert_clean_text (text);
      g_assert_nonnull (strstr (text, "Café"));
      g_assert_nonnull (strstr (text, "opening hours"));
      g_assert_nonnull (strstr (text, "bytes"));

      /* And imported into a knowledge base, end to end. */
      g_file_set_contents (path, body, sizeof body - 1, &error);
      g_assert_no_error (error);
      document = confab_knowledge_import_file_sync (
          ws->db, confab_entity_get_id (CONFAB_ENTITY (kb)), file, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (confab_document_get_status (document), ==, "indexed");
      hits = confab_knowledge_search (ws->db, NULL, "opening hours", 0, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (hits->len, ==, i + 1);
    }
  assert_clean_column (ws->db, "SELECT text FROM chunks", NULL);
}

static void
test_html_nesting_bomb (void)
{
  g_autoptr (GString) html = g_string_new ("<html><body>");
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  const guint      depth = 1000000;

  /* A million open elements, a few close ones, comments and attributes
   * that never end: one pass, no stack. */
  for (guint i = 0; i < depth; i++)
    g_string_append (html, i % 3 == 0 ? "<div>" : i % 3 == 1 ? "<b>" : "<table><tr><td>");
  g_string_append (html, "Deep secret text");
  for (guint i = 0; i < 1000; i++)
    g_string_append (html, "</div>");
  g_string_append (html, "<p>after</p><!-- never closed <div x=\"");
  for (guint i = 0; i < 100000; i++)
    g_string_append (html, "<!--");
  g_assert_cmpuint (html->len, <, CONFAB_TEXT_EXTRACT_MAX_BYTES);

  text = extract (html->str, html->len, "bomb.html", &error);
  g_assert_no_error (error);
  assert_clean_text (text);
  g_assert_nonnull (strstr (text, "Deep secret text"));
  g_assert_nonnull (strstr (text, "after"));
  /* Block elements make line breaks, but runs of them collapse. */
  g_assert_cmpuint (strlen (text), <, 1000);

  /* Too big a file is refused, saying the limit. */
  {
    gsize            size = CONFAB_TEXT_EXTRACT_MAX_BYTES + 1;
    g_autofree char *big = g_malloc0 (size);
    g_autofree char *none = NULL;

    memset (big, 'a', size);
    none = extract (big, size, "huge.html", &error);
    g_assert_null (none);
    g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_LIMIT);
    g_assert_nonnull (strstr (error->message, "50 MB"));
  }
}

static void
test_pdf_not_pdf (void)
{
  g_autoptr (GError) error = NULL;
  const struct
  {
    const char *data;
    gsize       len;
  } cases[] = {
    { "This is a letter, not a PDF at all.\n", 36 },
    { "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer garbage", 73 },
    { "%PDF-", 5 },
    { "", 0 },
    { "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = extract (cases[i].data, cases[i].len, "scan.pdf", &error);

      g_assert_null (text);
      g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "scan.pdf"));
      g_clear_error (&error);
    }
}

/* ------------------------------------------------------------------------ */
/* Search boxes                                                             */
/* ------------------------------------------------------------------------ */

static const char *const fts_queries[] = {
  "\"unbalanced",
  "a\"b\"c\"",
  "\"",
  "\"\"\"\"",
  "AND",
  "OR OR",
  "NOT",
  "a AND",
  "AND b",
  "NEAR(",
  "NEAR(a b",
  "NEAR(a b, -1)",
  "(((",
  ")",
  "a OR (b",
  "*",
  "a*",
  "**",
  "^start",
  "-minus",
  "+plus",
  "col:value",
  "content:secret",
  "{a b}:c",
  ":",
  "a:",
  "'single",
  "bread -gluten",
  "\\",
  "%",
  "_",
  "a\tb\nc",
  "🍞 bread",
  "ünïcödé",
  "\u00a0",
  "",
  "   ",
  "a b c d e f g h i j k l m n o p q r s t u v w x y z",
  "0",
  "1e9",
  "NULL",
  "'); DROP TABLE messages; --",
};

static void
test_fts_queries (void)
{
  g_autoptr (ConfabTestWorkspace) ws = confab_test_workspace_new ();
  g_autoptr (ConfabUser) user = confab_test_add_user (ws->db, "searcher");
  g_autoptr (ConfabConversation) conversation =
      confab_conversation_new (confab_entity_get_id (CONFAB_ENTITY (user)));
  g_autoptr (ConfabMessage) message = NULL;
  g_autoptr (ConfabKnowledgeBase) kb = confab_knowledge_base_new ("FAQ");
  g_autoptr (ConfabDocument) document = NULL;
  g_autoptr (GError) error = NULL;
  const char *const chunks[] = { "Fresh bread every day, gluten free on Tuesdays", NULL };

  confab_repository_create (ws->db, CONFAB_ENTITY (conversation), NULL, &error);
  g_assert_no_error (error);
  message = confab_message_new (confab_entity_get_id (CONFAB_ENTITY (conversation)), "user",
                                "Do you have bread? content:secret \"quoted\" AND NEAR(x)");
  confab_repository_create (ws->db, CONFAB_ENTITY (message), NULL, &error);
  g_assert_no_error (error);
  confab_repository_create (ws->db, CONFAB_ENTITY (kb), NULL, &error);
  g_assert_no_error (error);
  document = confab_document_new (confab_entity_get_id (CONFAB_ENTITY (kb)), "faq.md");
  confab_repository_create (ws->db, CONFAB_ENTITY (document), NULL, &error);
  g_assert_no_error (error);
  confab_document_replace_chunks (ws->db, confab_entity_get_id (CONFAB_ENTITY (document)), chunks,
                                  NULL, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (fts_queries); i++)
    {
      const char *query = fts_queries[i];
      g_autoptr (GPtrArray) messages = confab_message_search (ws->db, NULL, query, 10, &error);
      g_autoptr (GPtrArray) hits = NULL;
      g_autoptr (GPtrArray) passages = NULL;

      /* Never SQLite's words, never a crash: results, or a clear error. */
      if (messages == NULL)
        {
          g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
          g_assert_null (strstr (error->message, "fts5"));
          g_clear_error (&error);
        }
      hits = confab_message_search_hits (ws->db, query, 10, NULL, &error);
      if (hits == NULL)
        {
          g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
          g_assert_null (strstr (error->message, "fts5"));
          g_clear_error (&error);
        }
      passages = confab_knowledge_search (ws->db, NULL, query, 10, &error);
      if (passages == NULL)
        {
          g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
          g_assert_null (strstr (error->message, "fts5"));
          g_clear_error (&error);
        }
    }

  /* Operators are words: searching for them finds the text that has them. */
  {
    g_autoptr (GPtrArray) found =
        confab_message_search (ws->db, NULL, "content:secret", 10, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (found->len, ==, 1);
  }

  /* Text that is not UTF-8 is refused, not searched. */
  g_assert_null (confab_message_search (ws->db, NULL,
                                        "bre\xFF"
                                        "ad",
                                        10, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (confab_knowledge_search (ws->db, NULL, "bre\xC3", 10, &error));
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
}

/* ------------------------------------------------------------------------ */
/* Rules and templates                                                      */
/* ------------------------------------------------------------------------ */

static char *
regex_rule (const char *name, const char *pattern)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "rules");
  json_builder_begin_array (builder);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "name");
  json_builder_add_string_value (builder, name);
  json_builder_set_member_name (builder, "match");
  json_builder_add_string_value (builder, "regex");
  json_builder_set_member_name (builder, "patterns");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, pattern);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "responses");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "matched");
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "fallback");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "no match");
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

static void
test_regex_backtracking (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *almost = NULL;
  g_autofree char *config = NULL;
  g_autoptr (GString) message = g_string_new (NULL);
  /* Refused when saved: on a message that almost matches they take
   * exponential time, or polynomial time the match limit does not count
   * (minutes on a 10,000-character message). */
  const char *refused[] = { "(a+)+$",
                            "(a*)*b",
                            "(a|aa)+$",
                            "(\\w+\\s?)*$",
                            "^(a+)+$",
                            "(.*a){12}$",
                            "a+a+b",
                            "a{1,100}a{1,100}a{1,100}b",
                            "(a{1,100})(a{1,100})b",
                            ".*\\d+x",
                            "\\w+\\d+x" };
  /* Not caught by reading the pattern, slow on a near-miss: the match
   * limit stops them at once, and they count as not matching. */
  const char *accepted[] = { "(?:a|b)+(?:a|c)+(?:a|d)+z", "(?:a|b)+(?:a|c)+z" };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *name = g_strdup_printf ("Greedy %u", i);
      g_autofree char *json = regex_rule (name, refused[i]);
      ConfabRuleSet   *rules = confab_rule_set_parse (json, &error);

      g_assert_null (rules);
      g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, name));
      g_assert_nonnull (strstr (error->message, "too long"));
      g_clear_error (&error);
    }

  while (message->len < CONFAB_RULE_MAX_MESSAGE_CHARS - 10)
    g_string_append_c (message, 'a');
  g_string_append (message, "!z");
  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autofree char *json = regex_rule ("Slow but allowed", accepted[i]);
      ConfabRuleSet   *rules = confab_rule_set_parse (json, &error);
      ConfabRuleMatch *match;

      g_assert_no_error (error);
      g_test_expect_message ("confab-engine", G_LOG_LEVEL_WARNING, "*Slow but allowed*");
      match = confab_rule_set_match (rules, message->str, 0, 0, NULL, &error);
      g_test_assert_expected_messages ();
      g_assert_no_error (error);
      g_assert_cmpint (match->rule_index, ==, -1);
      g_assert_cmpstr (match->response, ==, "no match");
      confab_rule_match_free (match);
      confab_rule_set_free (rules);
    }
}

static void
test_template_recursion (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) variables = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GString) deep = g_string_new (NULL);
  g_autoptr (GString) wide = g_string_new (NULL);
  g_autofree char *out = NULL;
  g_autofree char *big = g_strnfill (64 * 1024, 'x');

  /* Sections nested far deeper than allowed. */
  for (guint i = 0; i < 100000; i++)
    g_string_append (deep, "{{#a}}");
  g_string_append (deep, "core");
  for (guint i = 0; i < 100000; i++)
    g_string_append (deep, "{{/a}}");
  g_hash_table_insert (variables, (char *) "a", (char *) "yes");
  out = confab_template_render_string (deep->str, variables, &error);
  g_assert_null (out);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);

  /* A value that is itself a template, even naming itself, stays text. */
  g_hash_table_insert (variables, (char *) "self", (char *) "{{self}}{{#self}}{{self}}{{/self}}");
  out = confab_template_render_string ("<{{self}}>", variables, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (out, ==, "<{{self}}{{#self}}{{self}}{{/self}}>");
  g_clear_pointer (&out, g_free);

  /* Many uses of a big value: the result is capped, with an error. */
  g_hash_table_insert (variables, (char *) "big", big);
  for (guint i = 0; i < 100; i++)
    g_string_append (wide, "{{big}}");
  out = confab_template_render_string (wide->str, variables, &error);
  g_assert_null (out);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_LIMIT);
  g_clear_error (&error);

  /* An unclosed section and a stray end are errors, not loops. */
  out = confab_template_render_string ("{{#a}}{{#a}}open", variables, &error);
  g_assert_null (out);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
  g_clear_error (&error);
  out = confab_template_render_string ("{{/a}}", variables, &error);
  g_assert_null (out);
  g_assert_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/confab/bad-input/parsers-bad-bytes", test_parsers_bad_bytes);
  g_test_add_func ("/confab/bad-input/stream-bad-bytes", test_stream_bad_bytes);
  g_test_add_func ("/confab/bad-input/stream-huge-line", test_stream_huge_line);
  g_test_add_func ("/confab/bad-input/stream-never-ends", test_stream_never_ends);
  g_test_add_func ("/confab/bad-input/stream-chatty-forever", test_stream_chatty_forever);
  g_test_add_func ("/confab/bad-input/huge-message", test_huge_message);
  g_test_add_func ("/confab/bad-input/file-bad-bytes", test_file_bad_bytes);
  g_test_add_func ("/confab/bad-input/html-nesting-bomb", test_html_nesting_bomb);
  g_test_add_func ("/confab/bad-input/pdf-not-pdf", test_pdf_not_pdf);
  g_test_add_func ("/confab/bad-input/fts-queries", test_fts_queries);
  g_test_add_func ("/confab/bad-input/regex-backtracking", test_regex_backtracking);
  g_test_add_func ("/confab/bad-input/template-recursion", test_template_recursion);
  return g_test_run ();
}
