/* test-chat-view.c: the conversation view, driven as a person would.
 *
 * Copyright 2026 The Confab Developers
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sending through the composer to a rule-based agent, streaming from an LLM
 * agent on the mock server and stopping it, a failed reply and "Retry", a
 * 50 MB paste, an escalated conversation (the client locked out, an
 * operator answering), branches (edit, regenerate, the switcher) and a
 * 100,000-message conversation opened at its end.
 *
 * Run through tools/run-tests (Xvfb, a session bus and a throwaway keyring:
 * the runtime looks provider keys up there; the mock needs none). */

#include "config.h"

#include <adwaita.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-agent-runtime.h"
#include "confab-branch.h"
#include "confab-chat-view.h"
#include "confab-markdown-view.h"
#include "confab-message-row.h"
#include "confab-mock-llm-server.h"
#include "confab-test-util.h"

#define ID(entity)  confab_entity_get_id (CONFAB_ENTITY (entity))
#define AGENT_MODEL "mock-model"
/* Generous: CI machines can be slow, and ASan slower. */
#define WAIT_MS 30000

#define OPENING_HOURS "We are open Tuesday to Sunday, 7am to 6pm, and closed on Mondays."
#define GLUTEN_FREE   "Our buckwheat loaf and almond cakes are gluten free."

static const char bakery_rules[] =
    "{\"rules\": ["
    " {\"name\": \"Opening hours\", \"match\": \"keywords_any\","
    "  \"patterns\": [\"open\", \"hours\"], \"responses\": [\"" OPENING_HOURS "\"]},"
    " {\"name\": \"Gluten free\", \"match\": \"keywords_any\","
    "  \"patterns\": [\"gluten\"], \"responses\": [\"" GLUTEN_FREE "\"]}"
    "], \"fallback\": [\"Sorry, I did not catch that.\"]}";

typedef struct
{
  ConfabTestWorkspace *ws;
  ConfabUser          *client;
  ConfabAgent         *agent;
  ConfabAgentRuntime  *runtime;
  ConfabConversation  *conversation;
  ConfabMockLlmServer *server;
  GtkWindow           *window;
  ConfabChatView      *view;
} Fixture;

/* ------------------------------------------------------------------------ */
/* Helpers                                                                  */
/* ------------------------------------------------------------------------ */

static void
create (ConfabDatabase *db, gpointer entity)
{
  g_autoptr (GError) error = NULL;

  confab_repository_create (db, CONFAB_ENTITY (entity), NULL, &error);
  g_assert_no_error (error);
}

static ConfabAgent *
add_agent (ConfabDatabase *db,
           const char     *name,
           const char     *type,
           const char     *provider_id,
           const char     *config)
{
  ConfabAgent *agent = confab_agent_new (name);

  confab_agent_set_agent_type (agent, type);
  confab_agent_set_provider_id (agent, provider_id);
  if (provider_id != NULL)
    confab_agent_set_model (agent, AGENT_MODEL);
  if (config != NULL)
    confab_agent_set_config (agent, config);
  create (db, agent);
  return agent;
}

static ConfabConversation *
start_conversation (Fixture *f, ConfabAgent *agent)
{
  g_autoptr (GError) error = NULL;
  ConfabConversation *conversation;

  conversation =
      confab_agent_runtime_start_conversation (f->runtime, ID (f->client), ID (agent), &error);
  g_assert_no_error (error);
  return conversation;
}

static void
show_conversation (Fixture *f, ConfabConversation *conversation)
{
  confab_chat_view_set_conversation_id (f->view, ID (conversation));
  confab_test_drain_main_loop ();
}

static gboolean
wait_cb (gpointer data)
{
  return FALSE;
}

/* Runs the main loop for a while: frames are drawn, idles run. */
static void
spin (guint ms)
{
  confab_mock_wait_until (wait_cb, NULL, ms);
}

typedef gboolean (*Condition) (Fixture *f);

static void
wait_for (Fixture *f, Condition condition, const char *what)
{
  if (!confab_mock_wait_until ((gboolean (*) (gpointer)) condition, f, WAIT_MS))
    g_error ("Timed out waiting for %s", what);
}

static guint
n_shown (Fixture *f)
{
  GListModel *messages = confab_chat_view_get_messages (f->view);

  return messages != NULL ? g_list_model_get_n_items (messages) : 0;
}

static ConfabMessage *
shown_message (Fixture *f, guint position)
{
  return g_list_model_get_item (confab_chat_view_get_messages (f->view), position);
}

static ConfabMessageRow *
row_at (Fixture *f, guint position)
{
  g_autoptr (ConfabMessage) message = shown_message (f, position);

  if (message == NULL)
    return NULL;
  return (ConfabMessageRow *) confab_chat_view_get_row (f->view, ID (message));
}

/* The text the row at position shows, or NULL while it is not on screen. */
static const char *
row_text (Fixture *f, guint position)
{
  ConfabMessageRow *row = row_at (f, position);

  return row != NULL ? confab_message_row_get_shown_text (row) : NULL;
}

static ConfabMessage *
get_message (ConfabDatabase *db, const char *id)
{
  g_autoptr (GError) error = NULL;
  ConfabMessage *message = confab_repository_get (db, CONFAB_TYPE_MESSAGE, id, &error);

  g_assert_no_error (error);
  return message;
}

static void
set_composer_text (Fixture *f, const char *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (confab_chat_view_get_composer (f->view)),
                            text, -1);
}

static char *
composer_text (Fixture *f)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (confab_chat_view_get_composer (f->view));
  GtkTextIter    start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* Clicks the send button, as a person would (it sends, or stops). */
static void
click_send (Fixture *f)
{
  GtkWidget *button = GTK_WIDGET (confab_chat_view_get_send_button (f->view));

  g_assert_true (gtk_widget_is_sensitive (button));
  /* gtk_widget_activate () would click it a quarter of a second later. */
  g_signal_emit_by_name (button, "clicked");
}

static const char *
send_icon (Fixture *f)
{
  return gtk_button_get_icon_name (confab_chat_view_get_send_button (f->view));
}

/* ------------------------------------------------------------------------ */
/* Scripted OpenAI streams                                                  */
/* ------------------------------------------------------------------------ */

static char *
sse_delta (const char *content)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_VALUE);
  g_autofree char *quoted = NULL;

  json_node_set_string (node, content);
  quoted = json_to_string (node, FALSE);
  return g_strdup_printf ("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
                          "\"model\":\"" AGENT_MODEL "\",\"choices\":[{\"index\":0,"
                          "\"delta\":{\"content\":%s},\"finish_reason\":null}]}\n\n",
                          quoted);
}

static const char sse_end[] =
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"" AGENT_MODEL "\","
    "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"" AGENT_MODEL "\","
    "\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":5,"
    "\"total_tokens\":17}}\n\n"
    "data: [DONE]\n\n";

static ConfabAgent *
add_llm_agent (Fixture *f)
{
  g_autofree char *url = NULL;
  g_autoptr (ConfabProvider) provider = NULL;

  f->server = confab_mock_llm_server_new ();
  url = confab_mock_llm_server_get_url (f->server, "/v1");
  provider = confab_provider_new ("Mock", "openai_compatible", url);
  confab_provider_set_default_model (provider, AGENT_MODEL);
  create (f->ws->db, provider);
  return add_agent (f->ws->db, "Storyteller", "llm", ID (provider), NULL);
}

/* ------------------------------------------------------------------------ */
/* Fixture                                                                  */
/* ------------------------------------------------------------------------ */

static gboolean
view_mapped (Fixture *f)
{
  return gtk_widget_get_mapped (GTK_WIDGET (f->view)) &&
         gtk_widget_get_height (GTK_WIDGET (f->view)) > 0;
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  GtkWidget *overlay = adw_toast_overlay_new ();

  f->ws = confab_test_workspace_new ();
  f->client = confab_test_add_user (f->ws->db, "maria");
  f->agent = add_agent (f->ws->db, "Bakery Concierge", "rule_based", NULL, bakery_rules);
  f->runtime = confab_agent_runtime_new (f->ws->db, NULL);
  f->conversation = start_conversation (f, f->agent);

  f->view = CONFAB_CHAT_VIEW (confab_chat_view_new (f->ws->db, f->runtime));
  f->window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (f->window, 700, 600);
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (f->view));
  gtk_window_set_child (f->window, overlay);
  gtk_window_present (f->window);
  wait_for (f, view_mapped, "the window to show");
  show_conversation (f, f->conversation);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  gtk_window_destroy (f->window);
  confab_test_drain_main_loop ();
  /* A reply still running ends now (the view stopped it): let it. */
  spin (50);
  g_clear_object (&f->conversation);
  g_clear_object (&f->runtime);
  g_clear_object (&f->agent);
  g_clear_object (&f->client);
  g_clear_object (&f->server);
  g_clear_pointer (&f->ws, confab_test_workspace_free);
}

/* ------------------------------------------------------------------------ */
/* A rule-based agent                                                       */
/* ------------------------------------------------------------------------ */

static gboolean
two_rows_bound (Fixture *f)
{
  return n_shown (f) == 2 && row_text (f, 1) != NULL && row_text (f, 0) != NULL;
}

static void
test_rule_reply (Fixture *f, gconstpointer data)
{
  g_autofree char *left = NULL;
  GtkWidget       *content_stack;

  /* An empty chat says hello; nothing can be sent yet. */
  g_assert_cmpuint (n_shown (f), ==, 0);
  content_stack = gtk_widget_get_ancestor (GTK_WIDGET (confab_chat_view_get_list_view (f->view)),
                                           GTK_TYPE_STACK);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (content_stack)), ==, "empty");
  g_assert_false (
      gtk_widget_is_sensitive (GTK_WIDGET (confab_chat_view_get_send_button (f->view))));

  /* Blank text is not a message. */
  set_composer_text (f, "  \n ");
  g_assert_false (
      gtk_widget_is_sensitive (GTK_WIDGET (confab_chat_view_get_send_button (f->view))));

  set_composer_text (f, "Are you open on Sunday?");
  click_send (f);
  left = composer_text (f);
  g_assert_cmpstr (left, ==, "");

  wait_for (f, two_rows_bound, "the question and the rule's answer");
  g_assert_cmpstr (row_text (f, 0), ==, "Are you open on Sunday?");
  g_assert_cmpstr (row_text (f, 1), ==, OPENING_HOURS);
  g_assert_null (confab_message_row_get_live_text (row_at (f, 1)));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (content_stack)), ==, "messages");
  g_assert_false (confab_chat_view_get_replying (f->view));
  g_assert_cmpstr (send_icon (f), !=, "media-playback-stop-symbolic");

  /* What is saved is what is shown. */
  {
    g_autoptr (ConfabMessage) reply = shown_message (f, 1);
    g_autoptr (ConfabMessage) stored = get_message (f->ws->db, ID (reply));

    g_assert_cmpstr (confab_message_get_role (stored), ==, "assistant");
    g_assert_cmpstr (confab_message_get_content (stored), ==, OPENING_HOURS);
    g_assert_cmpstr (confab_message_get_status (stored), ==, "complete");
  }
}

/* The composer's own key handler (capture phase), as a key press reaches it. */
static gboolean
press_key (Fixture *f, guint keyval, GdkModifierType state)
{
  GtkWidget *composer = GTK_WIDGET (confab_chat_view_get_composer (f->view));
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (composer);
  gboolean handled = FALSE;
  guint    n_found = 0;

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GtkEventController) controller = g_list_model_get_item (controllers, i);

      if (GTK_IS_EVENT_CONTROLLER_KEY (controller) &&
          gtk_event_controller_get_propagation_phase (controller) == GTK_PHASE_CAPTURE)
        {
          g_signal_emit_by_name (controller, "key-pressed", keyval, 0, state, &handled);
          n_found++;
        }
    }
  g_assert_cmpuint (n_found, ==, 1);
  return handled;
}

/* Enter sends; Shift+Enter is left to the text view (a new line). */
static void
test_enter_sends (Fixture *f, gconstpointer data)
{
  g_autofree char *kept = NULL;
  g_autofree char *left = NULL;

  set_composer_text (f, "Are you open on Sunday?");
  g_assert_false (press_key (f, GDK_KEY_Return, GDK_SHIFT_MASK));
  kept = composer_text (f);
  g_assert_cmpstr (kept, ==, "Are you open on Sunday?");
  g_assert_cmpuint (n_shown (f), ==, 0);

  g_assert_true (press_key (f, GDK_KEY_Return, 0));
  left = composer_text (f);
  g_assert_cmpstr (left, ==, "");
  wait_for (f, two_rows_bound, "the question and the rule's answer");
  g_assert_cmpstr (row_text (f, 1), ==, OPENING_HOURS);
}

/* A draft stays with its conversation when another one is shown. */
static void
test_drafts (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabConversation) other = start_conversation (f, f->agent);
  g_autofree char *in_other = NULL;
  g_autofree char *back = NULL;

  set_composer_text (f, "half a thought");
  show_conversation (f, other);
  in_other = composer_text (f);
  g_assert_cmpstr (in_other, ==, "");
  show_conversation (f, f->conversation);
  back = composer_text (f);
  g_assert_cmpstr (back, ==, "half a thought");
}

/* ------------------------------------------------------------------------ */
/* Streaming from an LLM agent                                              */
/* ------------------------------------------------------------------------ */

static gboolean
reply_row_live (Fixture *f)
{
  ConfabMessageRow *row = n_shown (f) == 2 ? row_at (f, 1) : NULL;

  return row != NULL && g_strcmp0 (confab_message_row_get_live_text (row), "Once upon a time") == 0;
}

static gboolean
not_replying (Fixture *f)
{
  return !confab_chat_view_get_replying (f->view);
}

static void
test_stream_stop (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabAgent) llm = add_llm_agent (f);
  g_autoptr (ConfabConversation) conversation = start_conversation (f, llm);
  g_autoptr (ConfabMessage) reply = NULL;
  g_autoptr (ConfabMessage) stored = NULL;
  g_autofree char    *first = sse_delta ("Once upon a time");
  ConfabMockResponse *response = confab_mock_response_new (200, "text/event-stream");
  ConfabMessageRow   *row;

  confab_mock_response_add_chunk (response, 0, first, -1);
  confab_mock_response_set_endless_chatty (response, 50, ": keep-alive\n\n");
  confab_mock_llm_server_push (f->server, response);
  show_conversation (f, conversation);

  set_composer_text (f, "Tell me a long story");
  click_send (f);
  g_assert_true (confab_chat_view_get_replying (f->view));
  g_assert_cmpstr (send_icon (f), ==, "media-playback-stop-symbolic");
  g_assert_cmpstr (
      gtk_widget_get_tooltip_text (GTK_WIDGET (confab_chat_view_get_send_button (f->view))), ==,
      "Stop (Escape)");

  wait_for (f, reply_row_live, "the streamed text in the reply's row");
  row = row_at (f, 1);
  reply = g_object_ref (confab_message_row_get_message (row));

  /* The list may hold an older checkpoint of the reply than what streamed
   * (saved at most every 250 ms): the row shows the live text all the same. */
  {
    g_autoptr (ConfabStmt) stmt = NULL;
    g_autoptr (GError) error = NULL;

    stmt = confab_database_prepare (f->ws->db, "UPDATE messages SET content = 'Once' WHERE id = ?",
                                    &error);
    g_assert_no_error (error);
    sqlite3_bind_text (stmt, 1, ID (reply), -1, SQLITE_TRANSIENT);
    g_assert_true (confab_database_step_done (f->ws->db, stmt, &error));
    g_assert_no_error (error);
  }
  confab_database_notify_change (f->ws->db, "messages", ID (reply), "update");
  confab_message_list_refresh (CONFAB_MESSAGE_LIST (confab_chat_view_get_messages (f->view)));
  g_assert_cmpstr (confab_message_get_content (reply), ==, "Once");
  g_assert_cmpstr (confab_message_row_get_shown_text (row), ==, "Once upon a time");

  /* The send button is the stop button now. */
  click_send (f);
  wait_for (f, not_replying, "the reply to stop");
  stored = get_message (f->ws->db, ID (reply));
  g_assert_cmpstr (confab_message_get_status (stored), ==, "cancelled");
  g_assert_cmpstr (confab_message_get_content (stored), ==, "Once upon a time");
  g_assert_cmpstr (send_icon (f), ==, "go-up-symbolic");
  g_assert_cmpstr (
      gtk_widget_get_tooltip_text (GTK_WIDGET (confab_chat_view_get_send_button (f->view))), ==,
      "Send (Enter)");

  /* The row shows the saved, stopped reply. */
  spin (100);
  row = row_at (f, 1);
  g_assert_nonnull (row);
  g_assert_null (confab_message_row_get_live_text (row));
  g_assert_cmpstr (confab_message_row_get_shown_text (row), ==, "Once upon a time");
  g_assert_cmpstr (confab_message_get_status (confab_message_row_get_message (row)), ==,
                   "cancelled");
  g_assert_cmpuint (confab_mock_llm_server_get_n_disconnects (f->server), ==, 1);
}

/* Escape stops too (the view's key binding runs chat.stop). */
static void
test_stream_escape (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabAgent) llm = add_llm_agent (f);
  g_autoptr (ConfabConversation) conversation = start_conversation (f, llm);
  g_autofree char    *first = sse_delta ("Once upon a time");
  ConfabMockResponse *response = confab_mock_response_new (200, "text/event-stream");

  confab_mock_response_add_chunk (response, 0, first, -1);
  confab_mock_response_set_endless_chatty (response, 50, ": keep-alive\n\n");
  confab_mock_llm_server_push (f->server, response);
  show_conversation (f, conversation);

  set_composer_text (f, "Tell me a long story");
  click_send (f);
  wait_for (f, reply_row_live, "the streamed text in the reply's row");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->view), "chat.stop", NULL));
  wait_for (f, not_replying, "the reply to stop");
  g_assert_cmpstr (send_icon (f), ==, "go-up-symbolic");
}

typedef struct
{
  guint n_frames;
  guint n_redraws;
} Counts;

static void
frame_cb (GdkFrameClock *clock, Counts *counts)
{
  counts->n_frames++;
}

static void
live_text_cb (ConfabMessageRow *row, GParamSpec *pspec, Counts *counts)
{
  if (confab_message_row_get_live_text (row) != NULL)
    counts->n_redraws++;
}

static gboolean
row_bound_streaming (Fixture *f)
{
  return n_shown (f) == 2 && row_at (f, 1) != NULL;
}

#define N_PIECES 200

/* Many pieces in one network read: the row is redrawn once a frame, not
 * once a piece, and ends with the whole reply. */
static void
test_stream_frames (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabAgent) llm = add_llm_agent (f);
  g_autoptr (ConfabConversation) conversation = start_conversation (f, llm);
  g_autoptr (GString) burst = g_string_new (NULL);
  g_autoptr (GString) expected = g_string_new ("Hello.");
  g_autofree char    *hello = sse_delta ("Hello.");
  ConfabMockResponse *response = confab_mock_response_new (200, "text/event-stream");
  GdkFrameClock      *clock;
  ConfabMessageRow   *row;
  Counts              counts = { 0 };
  gulong              frame_id, live_id;

  for (guint i = 0; i < N_PIECES; i++)
    {
      g_autofree char *piece = g_strdup_printf (" word%u", i);
      g_autofree char *event = sse_delta (piece);

      g_string_append (burst, event);
      g_string_append (expected, piece);
    }
  confab_mock_response_add_chunk (response, 0, hello, -1);
  /* Time for the row to show up before the burst. */
  confab_mock_response_add_chunk (response, 1500, burst->str, -1);
  confab_mock_response_add_chunk (response, 300, sse_end, -1);
  confab_mock_llm_server_push (f->server, response);
  show_conversation (f, conversation);

  set_composer_text (f, "Say many words");
  click_send (f);
  wait_for (f, row_bound_streaming, "the reply's row");
  row = row_at (f, 1);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (f->view));
  g_assert_nonnull (clock);
  frame_id = g_signal_connect (clock, "update", G_CALLBACK (frame_cb), &counts);
  live_id = g_signal_connect (row, "notify::live-text", G_CALLBACK (live_text_cb), &counts);

  wait_for (f, not_replying, "the reply to end");
  g_signal_handler_disconnect (clock, frame_id);
  g_signal_handler_disconnect (row, live_id);

  /* The burst of 200 pieces came in one read, so one frame or two drew
   * it, however many frames passed meanwhile. */
  g_assert_cmpuint (counts.n_redraws, >=, 1);
  g_assert_cmpuint (counts.n_redraws, <=, counts.n_frames + 1);
  g_assert_cmpuint (counts.n_redraws, <, N_PIECES / 4);

  spin (100);
  row = row_at (f, 1);
  g_assert_null (confab_message_row_get_live_text (row));
  g_assert_cmpstr (confab_message_row_get_shown_text (row), ==, expected->str);
  g_assert_cmpstr (confab_message_get_status (confab_message_row_get_message (row)), ==,
                   "complete");
}

static gboolean
reply_failed (Fixture *f)
{
  ConfabMessageRow *row = n_shown (f) == 2 ? row_at (f, 1) : NULL;

  return !confab_chat_view_get_replying (f->view) && row != NULL &&
         g_strcmp0 (confab_message_get_status (confab_message_row_get_message (row)), "error") == 0;
}

static gboolean
retried (Fixture *f)
{
  ConfabMessageRow *row = n_shown (f) == 2 ? row_at (f, 1) : NULL;

  return !confab_chat_view_get_replying (f->view) && row != NULL &&
         g_strcmp0 (confab_message_row_get_shown_text (row), "Here it is.") == 0;
}

/* A failed reply shows why, with "Retry", which asks again. */
static void
test_error_retry (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabAgent) llm = add_llm_agent (f);
  g_autoptr (ConfabConversation) conversation = start_conversation (f, llm);
  g_autofree char    *good = sse_delta ("Here it is.");
  ConfabMockResponse *response;
  ConfabMessageRow   *row;
  GtkButton          *retry;
  guint               index = 9, n_siblings = 0;
  g_autoptr (GError) error = NULL;

  confab_mock_llm_server_push (f->server,
                               confab_mock_response_new_json (400, "{\"error\":{\"message\":"
                                                                   "\"the oven is on fire\"}}"));
  show_conversation (f, conversation);
  set_composer_text (f, "A story, please");
  click_send (f);
  wait_for (f, reply_failed, "the failed reply");

  row = row_at (f, 1);
  retry = confab_message_row_get_retry_button (row);
  g_assert_true (gtk_widget_is_visible (GTK_WIDGET (retry)));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (retry)));
  g_assert_nonnull (strstr (confab_message_get_error (confab_message_row_get_message (row)),
                            "the oven is on fire"));

  response = confab_mock_response_new (200, "text/event-stream");
  confab_mock_response_add_chunk (response, 0, good, -1);
  confab_mock_response_add_chunk (response, 0, sse_end, -1);
  confab_mock_llm_server_push (f->server, response);
  g_signal_emit_by_name (retry, "clicked");
  wait_for (f, retried, "the retried reply");

  /* The retry is a new version of the reply; the failed one stays. */
  row = row_at (f, 1);
  confab_branch_get_position (f->ws->db, ID (confab_message_row_get_message (row)), &index,
                              &n_siblings, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (index, ==, 1);
  g_assert_cmpuint (n_siblings, ==, 2);
  g_assert_false (gtk_widget_is_visible (GTK_WIDGET (confab_message_row_get_retry_button (row))));
}

/* ------------------------------------------------------------------------ */
/* Citations                                                                */
/* ------------------------------------------------------------------------ */

#define HOURS_CHUNK "**Opening hours**: Tuesday to Sunday, 7am to 6pm."

static gboolean
cited_row_bound (Fixture *f)
{
  return n_shown (f) == 2 && row_at (f, 1) != NULL;
}

static void
collect_widgets (GtkWidget *widget, GType type, GPtrArray *found)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    g_ptr_array_add (found, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_widgets (child, type, found);
}

/* A reply's citations are chips naming the document; one opens on the
 * passage cited. */
static void
test_citations (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabKnowledgeBase) kb = confab_knowledge_base_new ("Bakery FAQ");
  g_autoptr (ConfabDocument) document = NULL;
  g_autoptr (ConfabMessage) question = NULL;
  g_autoptr (ConfabMessage) answer = NULL;
  g_autoptr (GPtrArray) buttons = g_ptr_array_new ();
  g_autoptr (GPtrArray) labels = g_ptr_array_new ();
  g_autoptr (GPtrArray) views = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char  *references = NULL;
  const char *const texts[] = { HOURS_CHUNK, NULL };
  GtkPopover       *popover;
  gboolean          named = FALSE;

  create (f->ws->db, kb);
  document = confab_document_new (ID (kb), "faq.md");
  create (f->ws->db, document);
  confab_document_replace_chunks (f->ws->db, ID (document), texts, NULL, &error);
  g_assert_no_error (error);
  stmt = confab_database_prepare (f->ws->db, "SELECT id FROM chunks WHERE document_id = ?", &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, ID (document), -1, SQLITE_TRANSIENT);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  references = g_strdup_printf ("[{\"chunk_id\": \"%s\", \"rank\": 1}]",
                                (const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (g_steal_pointer (&stmt));

  question = confab_message_new (ID (f->conversation), "user", "When are you open?");
  create (f->ws->db, question);
  answer = confab_message_new (ID (f->conversation), "assistant", "From 7am [1].");
  confab_message_set_source_references (answer, references);
  create (f->ws->db, answer);
  wait_for (f, cited_row_bound, "the cited reply");

  collect_widgets (confab_message_row_get_citations (row_at (f, 1)), GTK_TYPE_MENU_BUTTON, buttons);
  g_assert_cmpuint (buttons->len, ==, 1);
  g_assert_true (gtk_widget_is_visible (g_ptr_array_index (buttons, 0)));
  collect_widgets (g_ptr_array_index (buttons, 0), GTK_TYPE_LABEL, labels);
  for (guint i = 0; i < labels->len; i++)
    named |= g_strcmp0 (gtk_label_get_label (g_ptr_array_index (labels, i)), "faq.md") == 0;
  g_assert_true (named);

  gtk_menu_button_popup (g_ptr_array_index (buttons, 0));
  popover = gtk_menu_button_get_popover (g_ptr_array_index (buttons, 0));
  g_assert_nonnull (popover);
  collect_widgets (GTK_WIDGET (popover), CONFAB_TYPE_MARKDOWN_VIEW, views);
  g_assert_cmpuint (views->len, ==, 1);
  g_assert_cmpstr (confab_markdown_view_get_text (g_ptr_array_index (views, 0)), ==, HOURS_CHUNK);
  gtk_popover_popdown (popover);
}

/* ------------------------------------------------------------------------ */
/* The composer's limit                                                     */
/* ------------------------------------------------------------------------ */

#define HUGE_BYTES (50 * 1024 * 1024)

static gboolean
refused (Fixture *f)
{
  GtkLabel *label = confab_chat_view_get_limit_label (f->view);

  return gtk_widget_get_visible (GTK_WIDGET (label)) &&
         gtk_widget_has_css_class (GTK_WIDGET (label), "error");
}

static gboolean
pasted_small (Fixture *f)
{
  g_autofree char *text = composer_text (f);

  return g_strcmp0 (text, "keep me, and more") == 0;
}

static void
test_huge_paste (Fixture *f, gconstpointer data)
{
  GtkTextView     *composer = confab_chat_view_get_composer (f->view);
  GdkClipboard    *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (composer));
  GtkLabel        *label = confab_chat_view_get_limit_label (f->view);
  g_autofree char *huge = g_malloc (HUGE_BYTES + 1);
  g_autofree char *limit = g_strdup_printf ("%'d", CONFAB_MESSAGE_MAX_CONTENT);
  g_autofree char *after = NULL;
  g_autofree char *full = NULL;
  GtkTextIter      end;

  memset (huge, 'a', HUGE_BYTES);
  huge[HUGE_BYTES] = '\0';
  set_composer_text (f, "keep me");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (label)));

  gdk_clipboard_set_text (clipboard, huge);
  g_signal_emit_by_name (composer, "paste-clipboard");
  wait_for (f, refused, "the paste to be refused");

  /* Refused with the limit stated; the composer holds what it held. */
  g_assert_nonnull (strstr (gtk_label_get_label (label), limit));
  after = composer_text (f);
  g_assert_cmpstr (after, ==, "keep me");
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (confab_chat_view_get_send_button (f->view))));

  /* A paste that fits goes in at the cursor. */
  gtk_text_buffer_get_end_iter (gtk_text_view_get_buffer (composer), &end);
  gtk_text_buffer_place_cursor (gtk_text_view_get_buffer (composer), &end);
  gdk_clipboard_set_text (clipboard, ", and more");
  g_signal_emit_by_name (composer, "paste-clipboard");
  wait_for (f, pasted_small, "the small paste");
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (label)));

  /* Near the limit a counter shows; at the limit, one more character is
   * refused, however it comes. */
  full = g_strnfill (CONFAB_MESSAGE_MAX_CONTENT - 10, 'b');
  set_composer_text (f, full);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (label)));
  g_assert_false (gtk_widget_has_css_class (GTK_WIDGET (label), "error"));
  g_assert_nonnull (strstr (gtk_label_get_label (label), limit));
  gtk_text_buffer_insert_at_cursor (gtk_text_view_get_buffer (composer), "0123456789", -1);
  g_assert_cmpint (gtk_text_buffer_get_char_count (gtk_text_view_get_buffer (composer)), ==,
                   CONFAB_MESSAGE_MAX_CONTENT);
  gtk_text_buffer_insert_at_cursor (gtk_text_view_get_buffer (composer), "!", -1);
  g_assert_cmpint (gtk_text_buffer_get_char_count (gtk_text_view_get_buffer (composer)), ==,
                   CONFAB_MESSAGE_MAX_CONTENT);
  g_assert_true (refused (f));
}

/* ------------------------------------------------------------------------ */
/* Escalated conversations                                                  */
/* ------------------------------------------------------------------------ */

static ConfabUser *
add_operator (ConfabDatabase *db)
{
  g_autoptr (GError) error = NULL;
  ConfabUser *user = confab_user_new ("tomas", "tomas@example.com");

  confab_user_set_name (user, "Tomás Reyes");
  confab_user_set_role (user, "operator");
  confab_repository_create (db, CONFAB_ENTITY (user), NULL, &error);
  g_assert_no_error (error);
  return user;
}

static gboolean
three_rows (Fixture *f)
{
  return n_shown (f) == 3 && row_at (f, 2) != NULL;
}

static void
test_escalated (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabUser) operator= add_operator (f->ws->db);
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (ConfabMessage) answer = NULL;
  g_autoptr (GError) error = NULL;
  GtkTextView     *composer = confab_chat_view_get_composer (f->view);
  GtkRevealer     *banner = confab_chat_view_get_banner (f->view);
  g_autofree char *left = NULL;

  set_composer_text (f, "Are you open today?");
  click_send (f);
  wait_for (f, two_rows_bound, "the rule's answer");
  g_assert_false (gtk_revealer_get_reveal_child (banner));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (composer)));

  /* The conversation is handed to a person while it is shown. */
  confab_agent_runtime_escalate (f->runtime, ID (f->conversation), ID (f->client), NULL, &error);
  g_assert_no_error (error);
  confab_test_drain_main_loop ();

  g_assert_true (gtk_revealer_get_reveal_child (banner));
  g_assert_cmpstr (gtk_label_get_label (confab_chat_view_get_banner_label (f->view)), ==,
                   "A person from the team is handling this conversation");
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (composer)));
  g_assert_false (gtk_text_view_get_editable (composer));
  set_composer_text (f, "Hello?");
  g_assert_false (
      gtk_widget_is_sensitive (GTK_WIDGET (confab_chat_view_get_send_button (f->view))));
  confab_chat_view_send (f->view);
  confab_test_drain_main_loop ();
  g_assert_cmpuint (n_shown (f), ==, 2);
  /* Nothing that would have an agent answer is offered either. */
  g_assert_false (confab_message_row_get_can_reply (row_at (f, 1)));

  /* An operator viewing it answers as a team member, and takes it. */
  confab_chat_view_set_operator_id (f->view, ID (operator));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (composer)));
  g_assert_true (gtk_revealer_get_reveal_child (banner));
  set_composer_text (f, "Hi Maria, Tomás here: we open at 7.");
  click_send (f);
  left = composer_text (f);
  g_assert_cmpstr (left, ==, "");
  wait_for (f, three_rows, "the team member's message");

  answer = shown_message (f, 2);
  g_assert_cmpstr (confab_message_get_role (answer), ==, "supporter");
  g_assert_cmpstr (confab_message_get_user_id (answer), ==, ID (operator));
  g_assert_cmpstr (confab_message_get_content (answer), ==, "Hi Maria, Tomás here: we open at 7.");
  g_assert_cmpstr (confab_message_row_get_author (row_at (f, 2)), ==, "Tomás Reyes");

  escalation = confab_repository_find (f->ws->db, CONFAB_TYPE_ESCALATION, "conversation_id",
                                       ID (f->conversation), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (confab_escalation_get_status (escalation), ==, "assigned");
  g_assert_cmpstr (confab_escalation_get_supporter_id (escalation), ==, ID (operator));
}

/* A client cannot write as a team member: the operator must be one. */
static void
test_escalated_not_operator (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *left = NULL;

  confab_agent_runtime_escalate (f->runtime, ID (f->conversation), ID (f->client), NULL, &error);
  g_assert_no_error (error);
  confab_test_drain_main_loop ();

  confab_chat_view_set_operator_id (f->view, ID (f->client));
  set_composer_text (f, "I am not staff");
  click_send (f);
  confab_test_drain_main_loop ();
  /* Refused (a toast says why) and the text is kept. */
  left = composer_text (f);
  g_assert_cmpstr (left, ==, "I am not staff");
  g_assert_cmpint (
      confab_test_count_rows (f->ws->db, "SELECT count(*) FROM messages WHERE role = 'supporter'"),
      ==, 0);
}

/* ------------------------------------------------------------------------ */
/* Branches                                                                 */
/* ------------------------------------------------------------------------ */

static gboolean
edited_answered (Fixture *f)
{
  return n_shown (f) == 2 && g_strcmp0 (row_text (f, 1), GLUTEN_FREE) == 0 &&
         !confab_chat_view_get_replying (f->view);
}

static gboolean
first_branch_shown (Fixture *f)
{
  return n_shown (f) == 2 && g_strcmp0 (row_text (f, 0), "Are you open on Sunday?") == 0 &&
         g_strcmp0 (row_text (f, 1), OPENING_HOURS) == 0;
}

static gboolean
second_branch_shown (Fixture *f)
{
  return n_shown (f) == 2 && g_strcmp0 (row_text (f, 0), "Anything gluten free?") == 0 &&
         g_strcmp0 (row_text (f, 1), GLUTEN_FREE) == 0;
}

static void
test_branches (Fixture *f, gconstpointer data)
{
  ConfabMessageRow *row;
  GtkTextView      *editor;

  set_composer_text (f, "Are you open on Sunday?");
  click_send (f);
  wait_for (f, two_rows_bound, "the rule's answer");
  row = row_at (f, 0);
  g_assert_false (gtk_widget_is_visible (
      gtk_widget_get_parent (GTK_WIDGET (confab_message_row_get_branch_label (row)))));

  /* Edit the question: a new branch, answered. */
  confab_message_row_start_editing (row);
  editor = confab_message_row_get_editor (row);
  g_assert_true (gtk_widget_is_visible (GTK_WIDGET (editor)));
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (editor), "Anything gluten free?", -1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "message.save-edit", NULL));
  wait_for (f, edited_answered, "the edited question's answer");
  g_assert_true (second_branch_shown (f));

  row = row_at (f, 0);
  g_assert_true (gtk_widget_is_visible (GTK_WIDGET (confab_message_row_get_branch_label (row))));
  g_assert_cmpstr (gtk_label_get_label (confab_message_row_get_branch_label (row)), ==, "2/2");
  g_assert_false (gtk_widget_is_sensitive (GTK_WIDGET (confab_message_row_get_next_button (row))));

  /* ‹ : back to the first question and its answer. */
  g_signal_emit_by_name (confab_message_row_get_previous_button (row), "clicked");
  wait_for (f, first_branch_shown, "the first branch");
  row = row_at (f, 0);
  g_assert_cmpstr (gtk_label_get_label (confab_message_row_get_branch_label (row)), ==, "1/2");

  /* › : and forth. */
  g_signal_emit_by_name (confab_message_row_get_next_button (row), "clicked");
  wait_for (f, second_branch_shown, "the second branch");
  g_assert_cmpstr (gtk_label_get_label (confab_message_row_get_branch_label (row_at (f, 0))), ==,
                   "2/2");
}

static gboolean
regenerated (Fixture *f)
{
  ConfabMessageRow *row = n_shown (f) == 2 ? row_at (f, 1) : NULL;

  return row != NULL && !confab_chat_view_get_replying (f->view) &&
         g_strcmp0 (gtk_label_get_label (confab_message_row_get_branch_label (row)), "2/2") == 0;
}

static void
test_regenerate (Fixture *f, gconstpointer data)
{
  ConfabMessageRow *row;

  set_composer_text (f, "Are you open on Sunday?");
  click_send (f);
  wait_for (f, two_rows_bound, "the rule's answer");

  row = row_at (f, 1);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "message.regenerate", NULL));
  wait_for (f, regenerated, "the regenerated answer");
  g_assert_cmpstr (row_text (f, 1), ==, OPENING_HOURS);
  g_assert_cmpint (confab_test_count_rows (f->ws->db, "SELECT count(*) FROM messages "
                                                      "WHERE role = 'assistant'"),
                   ==, 2);
}

/* ------------------------------------------------------------------------ */
/* A long conversation                                                      */
/* ------------------------------------------------------------------------ */

#define N_BIG 100000

typedef struct
{
  guint n_pages; /* page queries of ConfabMessageList */
  guint n_all;
} Trace;

static int
trace_cb (unsigned type, void *ctx, void *p, void *x)
{
  Trace      *trace = ctx;
  const char *sql = x;

  if (type == SQLITE_TRACE_STMT && !g_str_has_prefix (sql, "--"))
    {
      trace->n_all++;
      if (strstr (sql, "ORDER BY depth LIMIT 64") != NULL)
        trace->n_pages++;
    }
  return 0;
}

/* One statement: SQLite makes the rows itself (the FTS trigger runs for
 * each as it would for the app), each message answering the one before;
 * every tenth message is long, so rows of very different heights mix.
 * Ids are "big-000000" and so on. */
static void
insert_raw (ConfabDatabase *db, const char *conversation_id, guint n)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autoptr (GError) error = NULL;

  stmt = confab_database_prepare (db,
                                  "WITH RECURSIVE n (i) AS (SELECT 0 UNION ALL "
                                  "  SELECT i + 1 FROM n WHERE i + 1 < ?2) "
                                  "INSERT INTO messages (id, conversation_id, seq, depth, role, "
                                  "  content, parent_message_id, created_at, updated_at) "
                                  "SELECT printf ('big-%06d', i), ?1, i, i, "
                                  "  CASE i % 2 WHEN 0 THEN 'user' ELSE 'assistant' END, "
                                  "  CASE i % 10 WHEN 9 THEN replace (hex (zeroblob (40)), '00', "
                                  "    'A long line of text that wraps across the row. ') "
                                  "  ELSE 'message ' || i END, "
                                  "  CASE WHEN i > 0 THEN printf ('big-%06d', i - 1) END, "
                                  "  '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00.000Z' FROM n",
                                  &error);
  g_assert_no_error (error);
  sqlite3_bind_text (stmt, 1, conversation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, n);
  g_assert_true (confab_database_begin (db, &error));
  g_assert_no_error (error);
  g_assert_true (confab_database_step_done (db, stmt, &error));
  g_assert_no_error (error);
  g_assert_true (confab_database_commit (db, &error));
  g_assert_no_error (error);
}

typedef struct
{
  Fixture    *f;
  const char *id;
} RowWait;

static gboolean
row_shown (gpointer data)
{
  RowWait *wait = data;

  return confab_chat_view_get_row (wait->f->view, wait->id) != NULL;
}

static GtkAdjustment *
list_adjustment (Fixture *f)
{
  GtkWidget *scroller =
      gtk_widget_get_parent (GTK_WIDGET (confab_chat_view_get_list_view (f->view)));

  return gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));
}

/* The end of the list in view (the list measures rows over a few frames). */
static gboolean
at_bottom (Fixture *f)
{
  GtkAdjustment *adj = list_adjustment (f);

  return gtk_adjustment_get_page_size (adj) > 0 &&
         gtk_adjustment_get_value (adj) + gtk_adjustment_get_page_size (adj) >=
             gtk_adjustment_get_upper (adj) - 1;
}

static gboolean
big_answered (Fixture *f)
{
  return n_shown (f) == N_BIG + 2 && g_strcmp0 (row_text (f, N_BIG + 1), OPENING_HOURS) == 0;
}

/* What a reader scrolling up does: back to the top, again and again. */
static gboolean
scroll_up_until_shown (gpointer data)
{
  RowWait *wait = data;

  gtk_adjustment_set_value (list_adjustment (wait->f), 0);
  return row_shown (wait);
}

static void
test_long_conversation (Fixture *f, gconstpointer data)
{
  g_autoptr (ConfabConversation) big = start_conversation (f, f->agent);
  g_autofree char *last_id = g_strdup_printf ("big-%06d", N_BIG - 1);
  const char      *first_id = "big-000000";
  Trace            trace = { 0 };
  RowWait          wait = { f, NULL };

  insert_raw (f->ws->db, ID (big), N_BIG);

  sqlite3_trace_v2 (confab_database_get_handle (f->ws->db), SQLITE_TRACE_STMT, trace_cb, &trace);
  confab_chat_view_set_conversation_id (f->view, ID (big));
  wait.id = last_id;
  if (!confab_mock_wait_until (row_shown, &wait, WAIT_MS))
    g_error ("The last message was not shown");
  wait_for (f, at_bottom, "the view to settle at the end");
  sqlite3_trace_v2 (confab_database_get_handle (f->ws->db), 0, NULL, NULL);

  /* It opens at the end, having read a few pages of 64 rows, not 1,563. */
  g_assert_cmpuint (n_shown (f), ==, N_BIG);
  g_assert_nonnull (confab_chat_view_get_row (f->view, last_id));
  g_assert_null (confab_chat_view_get_row (f->view, first_id));
  g_test_message ("%u page queries, %u statements", trace.n_pages, trace.n_all);
  g_assert_cmpuint (trace.n_pages, <=, 4);
  g_assert_cmpuint (trace.n_all, <, 200);

  /* Scrolling up brings older messages in. */
  {
    g_autoptr (ConfabMessage) older = shown_message (f, N_BIG - 100);

    wait.id = ID (older);
    if (!confab_mock_wait_until (scroll_up_until_shown, &wait, WAIT_MS))
      g_error ("Older messages did not come in");
  }

  /* A new message at the end shows, and takes the view down to it. */
  set_composer_text (f, "Are you open?");
  click_send (f);
  wait_for (f, big_answered, "the answer at the end");
  wait_for (f, at_bottom, "the view to follow the new message");
  g_assert_cmpstr (row_text (f, N_BIG), ==, "Are you open?");
  g_assert_cmpuint (n_shown (f), ==, N_BIG + 2);
}

static void
use_uninstalled_schema (const char *argv0)
{
  const char      *builddir = g_getenv ("G_TEST_BUILDDIR");
  g_autofree char *testdir = builddir ? g_strdup (builddir) : g_path_get_dirname (argv0);
  g_autofree char *dir = g_build_filename (testdir, "..", "data", NULL);
  g_autofree char *compiled = g_build_filename (dir, "gschemas.compiled", NULL);

  if (g_file_test (compiled, G_FILE_TEST_EXISTS))
    g_setenv ("GSETTINGS_SCHEMA_DIR", dir, FALSE);
  g_setenv ("GSETTINGS_BACKEND", "memory", FALSE);
}

int
main (int argc, char **argv)
{
  use_uninstalled_schema (argv[0]);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

#define ADD(path, func)                                                                            \
  g_test_add ("/confab/chat-view/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("rule-reply", test_rule_reply);
  ADD ("enter-sends", test_enter_sends);
  ADD ("drafts", test_drafts);
  ADD ("stream-stop", test_stream_stop);
  ADD ("stream-escape", test_stream_escape);
  ADD ("stream-frames", test_stream_frames);
  ADD ("error-retry", test_error_retry);
  ADD ("citations", test_citations);
  ADD ("huge-paste", test_huge_paste);
  ADD ("escalated", test_escalated);
  ADD ("escalated-not-operator", test_escalated_not_operator);
  ADD ("branches", test_branches);
  ADD ("regenerate", test_regenerate);
  ADD ("long-conversation", test_long_conversation);
#undef ADD

  return g_test_run ();
}
