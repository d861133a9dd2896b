#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-agent.h"
#include "confab-conversation.h"
#include "confab-conversation-export.h"
#include "confab-error.h"
#include "confab-message.h"
#include "confab-message-list.h"
#include "confab-repository.h"
#include "confab-team.h"
#include "confab-user.h"

/* Both formats read the same things: the conversation, its user, agent or
 * team, and the active branch through ConfabMessageList (a page at a time,
 * so a long chat does not sit in memory twice). Names of the agents and
 * people who wrote messages are looked up once each. */

#define FILE_NAME_CHARS 80

typedef struct
{
  ConfabDatabase     *db;
  ConfabConversation *conversation;
  ConfabUser         *user;
  ConfabAgent        *agent;
  ConfabTeam         *team;
  ConfabMessageList  *messages;
  GHashTable         *agents; /* id -> ConfabAgent, or NULL when deleted */
  GHashTable         *users;  /* id -> ConfabUser, or NULL when deleted */
} Export;

static void
export_clear (Export *ex)
{
  g_clear_object (&ex->conversation);
  g_clear_object (&ex->user);
  g_clear_object (&ex->agent);
  g_clear_object (&ex->team);
  g_clear_object (&ex->messages);
  g_clear_pointer (&ex->agents, g_hash_table_unref);
  g_clear_pointer (&ex->users, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Export, export_clear)

/* A row that may have been deleted since (an agent: the conversation keeps
 * a NULL agent_id then, but a message keeps the id it was written with). */
static gpointer
get_optional (ConfabDatabase *db, GType type, const char *id, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  gpointer entity;

  if (id == NULL || *id == '\0')
    return NULL;
  entity = confab_repository_get (db, type, id, &local_error);
  if (entity == NULL && !g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    g_propagate_error (error, g_steal_pointer (&local_error));
  return entity;
}

static gboolean
export_load (Export *ex, ConfabDatabase *db, const char *conversation_id, GError **error)
{
  GError *local_error = NULL;

  ex->db = db;
  ex->conversation = confab_repository_get (db, CONFAB_TYPE_CONVERSATION, conversation_id, error);
  if (ex->conversation == NULL)
    return FALSE;

  ex->user = get_optional (db, CONFAB_TYPE_USER, confab_conversation_get_user_id (ex->conversation),
                           &local_error);
  if (local_error == NULL)
    ex->agent = get_optional (db, CONFAB_TYPE_AGENT,
                              confab_conversation_get_agent_id (ex->conversation), &local_error);
  if (local_error == NULL)
    ex->team = get_optional (db, CONFAB_TYPE_TEAM,
                             confab_conversation_get_team_id (ex->conversation), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }

  ex->messages = confab_message_list_new (db, conversation_id);
  ex->agents = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  ex->users = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  return TRUE;
}

/* The entity with that id from the cache, loaded on first use; NULL when
 * there is none (never an error: a missing name must not stop an export). */
static gpointer
lookup (Export *ex, GHashTable *cache, GType type, const char *id)
{
  gpointer entity;
  g_autoptr (GError) error = NULL;

  if (id == NULL || *id == '\0')
    return NULL;
  if (g_hash_table_lookup_extended (cache, id, NULL, &entity))
    return entity;

  entity = get_optional (ex->db, type, id, &error);
  if (error != NULL)
    g_debug ("Could not read %s for an export: %s", id, error->message);
  g_hash_table_insert (cache, g_strdup (id), entity);
  return entity;
}

static const char *
user_display_name (ConfabUser *user)
{
  const char *name;

  if (user == NULL)
    return NULL;
  name = confab_user_get_name (user);
  if (name != NULL && *name != '\0')
    return name;
  return confab_user_get_username (user);
}

/* Who wrote message: a person's name, or the agent's. */
static const char *
message_author (Export *ex, ConfabMessage *message)
{
  const char *role = confab_message_get_role (message);

  if (g_strcmp0 (role, "assistant") == 0)
    {
      const char  *agent_id = confab_message_get_agent_id (message);
      ConfabAgent *agent =
          agent_id != NULL ? lookup (ex, ex->agents, CONFAB_TYPE_AGENT, agent_id) : ex->agent;

      return agent != NULL ? confab_agent_get_name (agent) : NULL;
    }
  if (g_strcmp0 (role, "system") == 0)
    return NULL;
  if (confab_message_get_user_id (message) != NULL)
    return user_display_name (
        lookup (ex, ex->users, CONFAB_TYPE_USER, confab_message_get_user_id (message)));
  if (g_strcmp0 (role, "user") == 0)
    return user_display_name (ex->user);
  return NULL;
}

static const char *
role_label (const char *role)
{
  if (g_strcmp0 (role, "user") == 0)
    return _ ("User");
  if (g_strcmp0 (role, "assistant") == 0)
    return _ ("Agent");
  if (g_strcmp0 (role, "supporter") == 0)
    return _ ("Operator");
  return _ ("System");
}

static const char *
status_label (const char *status)
{
  if (g_strcmp0 (status, "archived") == 0)
    return _ ("Archived");
  if (g_strcmp0 (status, "escalated") == 0)
    return _ ("Escalated");
  if (g_strcmp0 (status, "ended") == 0)
    return _ ("Ended");
  return _ ("Active");
}

/* Plain text inside a Markdown line: on one line, and nothing in it read as
 * emphasis, a link, HTML or a heading's end. */
static void
append_md_text (GString *out, const char *text)
{
  for (const char *p = text; p != NULL && *p != '\0'; p++)
    {
      if (strchr ("\\`*_[]<>#|", *p) != NULL)
        g_string_append_c (out, '\\');
      if (*p == '\n' || *p == '\r' || *p == '\t')
        g_string_append_c (out, ' ');
      else
        g_string_append_c (out, *p);
    }
}

static void
append_md_time (GString *out, const char *iso8601, GTimeZone *tz)
{
  g_autoptr (GDateTime) utc = NULL;
  g_autoptr (GDateTime) local = NULL;
  g_autofree char *text = NULL;

  if (iso8601 == NULL)
    return;
  utc = g_date_time_new_from_iso8601 (iso8601, NULL);
  if (utc != NULL)
    local = tz != NULL ? g_date_time_to_timezone (utc, tz) : g_date_time_to_local (utc);
  if (local != NULL)
    text = g_date_time_format (local, "%Y-%m-%d %H:%M");
  append_md_text (out, text != NULL ? text : iso8601);
}

/* "[1] faq.md, [2] hours.md" from source_references; FALSE when it names
 * no source (empty, "[]", or not the array the runtime writes). */
static gboolean
append_md_sources (GString *out, const char *references)
{
  g_autoptr (JsonParser) parser = NULL;
  JsonArray *array;
  guint      n_written = 0;

  if (references == NULL || *references == '\0')
    return FALSE;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, references, -1, NULL) ||
      !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return FALSE;

  array = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode   *node = json_array_get_element (array, i);
      JsonObject *source;
      const char *filename;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      source = json_node_get_object (node);
      filename = json_object_get_string_member_with_default (source, "filename", NULL);
      if (n_written == 0)
        g_string_append_printf (out, "_%s_ ", _ ("Sources:"));
      else
        g_string_append (out, ", ");
      g_string_append_printf (out, "\\[%" G_GINT64_FORMAT "\\] ",
                              json_object_get_int_member_with_default (source, "n", i + 1));
      append_md_text (out, filename != NULL ? filename : _ ("unknown document"));
      n_written++;
    }
  return n_written > 0;
}

static void
append_md_field (GString *out, const char *label, const char *value)
{
  g_string_append_printf (out, "- **%s** ", label);
  append_md_text (out, value);
  g_string_append_c (out, '\n');
}

static char *
export_markdown (Export *ex, GTimeZone *tz)
{
  GString    *out = g_string_new (NULL);
  const char *title = confab_conversation_get_title (ex->conversation);
  guint       n_messages = g_list_model_get_n_items (G_LIST_MODEL (ex->messages));

  g_string_append (out, "# ");
  append_md_text (out, title != NULL && *title != '\0' ? title : _ ("New Chat"));
  g_string_append (out, "\n\n");

  if (ex->user != NULL)
    append_md_field (out, _ ("User:"), user_display_name (ex->user));
  if (ex->agent != NULL)
    append_md_field (out, _ ("Agent:"), confab_agent_get_name (ex->agent));
  if (ex->team != NULL)
    append_md_field (out, _ ("Team:"), confab_team_get_name (ex->team));
  append_md_field (out, _ ("Status:"),
                   status_label (confab_conversation_get_status (ex->conversation)));
  g_string_append_printf (out, "- **%s** ", _ ("Started:"));
  append_md_time (out, confab_entity_get_created_at (CONFAB_ENTITY (ex->conversation)), tz);
  g_string_append_printf (out, "\n- **%s** ", _ ("Last activity:"));
  append_md_time (out, confab_entity_get_updated_at (CONFAB_ENTITY (ex->conversation)), tz);
  g_string_append (out, "\n\n---\n");

  if (n_messages == 0)
    g_string_append_printf (out, "\n_%s_\n", _ ("No messages yet."));

  for (guint i = 0; i < n_messages; i++)
    {
      g_autoptr (ConfabMessage) message = g_list_model_get_item (G_LIST_MODEL (ex->messages), i);
      const char *role, *author, *content, *status, *error;
      gsize       len;

      if (message == NULL)
        break;
      role = confab_message_get_role (message);
      author = message_author (ex, message);
      content = confab_message_get_content (message);
      status = confab_message_get_status (message);
      error = confab_message_get_error (message);

      g_string_append (out, i == 0 ? "\n### " : "### ");
      if (author != NULL && *author != '\0')
        {
          append_md_text (out, author);
          g_string_append_printf (out, " (%s)", role_label (role));
        }
      else
        g_string_append (out, role_label (role));
      g_string_append (out, " · ");
      append_md_time (out, confab_entity_get_created_at (CONFAB_ENTITY (message)), tz);
      g_string_append (out, "\n\n");

      /* The content is Markdown already: it goes in as written. */
      len = content != NULL ? strlen (content) : 0;
      while (len > 0 && (content[len - 1] == '\n' || content[len - 1] == '\r'))
        len--;
      if (len > 0)
        {
          g_string_append_len (out, content, len);
          g_string_append (out, "\n\n");
        }

      /* Notes after the content, each a paragraph of its own. */
      if (g_strcmp0 (status, "cancelled") == 0)
        g_string_append_printf (out, "_%s_\n\n", _ ("This reply was stopped."));
      else if (g_strcmp0 (status, "streaming") == 0)
        g_string_append_printf (out, "_%s_\n\n", _ ("This reply was still being written."));
      else if (g_strcmp0 (status, "error") == 0)
        {
          g_string_append_printf (out, "_%s_", _ ("This reply failed:"));
          if (error != NULL && *error != '\0')
            {
              g_string_append_c (out, ' ');
              append_md_text (out, error);
            }
          g_string_append (out, "\n\n");
        }

      if (append_md_sources (out, confab_message_get_source_references (message)))
        g_string_append (out, "\n\n");
    }

  /* One line break at the end, not a paragraph's two. */
  while (out->len > 1 && out->str[out->len - 1] == '\n' && out->str[out->len - 2] == '\n')
    g_string_truncate (out, out->len - 1);

  return g_string_free (out, FALSE);
}

static void
add_string_member (JsonBuilder *builder, const char *name, const char *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int_member (JsonBuilder *builder, const char *name, gint64 value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

/* {"id": …, "name": …} for a participant, or null. */
static void
add_party (JsonBuilder *builder,
           const char  *member,
           const char  *id,
           const char  *name,
           const char  *username)
{
  json_builder_set_member_name (builder, member);
  if (id == NULL)
    {
      json_builder_add_null_value (builder);
      return;
    }
  json_builder_begin_object (builder);
  add_string_member (builder, "id", id);
  add_string_member (builder, "name", name);
  if (username != NULL)
    add_string_member (builder, "username", username);
  json_builder_end_object (builder);
}

/* source_references as JSON, not as a string holding JSON. */
static void
add_references (JsonBuilder *builder, const char *references)
{
  g_autoptr (JsonParser) parser = json_parser_new ();

  json_builder_set_member_name (builder, "source_references");
  if (references != NULL && *references != '\0' &&
      json_parser_load_from_data (parser, references, -1, NULL) &&
      JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    json_builder_add_value (builder, json_node_copy (json_parser_get_root (parser)));
  else
    {
      json_builder_begin_array (builder);
      json_builder_end_array (builder);
    }
}

static char *
export_json (Export *ex)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  ConfabConversation *conversation = ex->conversation;
  guint               n_messages = g_list_model_get_n_items (G_LIST_MODEL (ex->messages));
  GString            *out;

  json_builder_begin_object (builder);
  add_string_member (builder, "format", CONFAB_CONVERSATION_EXPORT_JSON_FORMAT);
  add_int_member (builder, "format_version", CONFAB_CONVERSATION_EXPORT_JSON_VERSION);

  json_builder_set_member_name (builder, "conversation");
  json_builder_begin_object (builder);
  add_string_member (builder, "id", confab_entity_get_id (CONFAB_ENTITY (conversation)));
  add_string_member (builder, "title", confab_conversation_get_title (conversation));
  add_string_member (builder, "status", confab_conversation_get_status (conversation));
  add_string_member (builder, "created_at",
                     confab_entity_get_created_at (CONFAB_ENTITY (conversation)));
  add_string_member (builder, "updated_at",
                     confab_entity_get_updated_at (CONFAB_ENTITY (conversation)));
  add_party (builder, "user", confab_conversation_get_user_id (conversation),
             ex->user != NULL ? confab_user_get_name (ex->user) : NULL,
             ex->user != NULL ? confab_user_get_username (ex->user) : NULL);
  add_party (builder, "agent",
             ex->agent != NULL ? confab_entity_get_id (CONFAB_ENTITY (ex->agent)) : NULL,
             ex->agent != NULL ? confab_agent_get_name (ex->agent) : NULL, NULL);
  add_party (builder, "team",
             ex->team != NULL ? confab_entity_get_id (CONFAB_ENTITY (ex->team)) : NULL,
             ex->team != NULL ? confab_team_get_name (ex->team) : NULL, NULL);
  json_builder_end_object (builder);

  json_builder_set_member_name (builder, "messages");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_messages; i++)
    {
      g_autoptr (ConfabMessage) message = g_list_model_get_item (G_LIST_MODEL (ex->messages), i);

      if (message == NULL)
        break;
      json_builder_begin_object (builder);
      add_string_member (builder, "id", confab_entity_get_id (CONFAB_ENTITY (message)));
      add_string_member (builder, "parent_message_id",
                         confab_message_get_parent_message_id (message));
      add_string_member (builder, "role", confab_message_get_role (message));
      add_string_member (builder, "author", message_author (ex, message));
      add_string_member (builder, "user_id", confab_message_get_user_id (message));
      add_string_member (builder, "agent_id", confab_message_get_agent_id (message));
      add_string_member (builder, "content", confab_message_get_content (message));
      add_string_member (builder, "status", confab_message_get_status (message));
      add_string_member (builder, "error", confab_message_get_error (message));
      add_string_member (builder, "model", confab_message_get_model (message));
      add_int_member (builder, "tokens_in", confab_message_get_tokens_in (message));
      add_int_member (builder, "tokens_out", confab_message_get_tokens_out (message));
      add_int_member (builder, "latency_ms", confab_message_get_latency_ms (message));
      add_references (builder, confab_message_get_source_references (message));
      add_string_member (builder, "created_at",
                         confab_entity_get_created_at (CONFAB_ENTITY (message)));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  out = g_string_new (NULL);
  json_generator_to_gstring (generator, out);
  g_string_append_c (out, '\n');
  return g_string_free (out, FALSE);
}

/**
 * confab_conversation_export_to_string:
 * @db: a workspace
 * @conversation_id: the conversation
 * @format: Markdown or JSON
 * @tz: (nullable): the time zone of the times in Markdown; %NULL for local time
 * @error: return location for a #GError
 *
 * Writes the conversation and the messages of its active branch as text.
 *
 * Returns: (transfer full): the export, or %NULL with @error set
 */
char *
confab_conversation_export_to_string (ConfabDatabase                *db,
                                      const char                    *conversation_id,
                                      ConfabConversationExportFormat format,
                                      GTimeZone                     *tz,
                                      GError                       **error)
{
  g_auto (Export) ex = { 0 };

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (conversation_id != NULL, NULL);
  g_return_val_if_fail (format == CONFAB_CONVERSATION_EXPORT_MARKDOWN ||
                            format == CONFAB_CONVERSATION_EXPORT_JSON,
                        NULL);

  if (!export_load (&ex, db, conversation_id, error))
    return NULL;

  if (format == CONFAB_CONVERSATION_EXPORT_MARKDOWN)
    return export_markdown (&ex, tz);
  return export_json (&ex);
}

const char *
confab_conversation_export_extension (ConfabConversationExportFormat format)
{
  return format == CONFAB_CONVERSATION_EXPORT_JSON ? "json" : "md";
}

char *
confab_conversation_export_file_name (const char *title, ConfabConversationExportFormat format)
{
  g_autoptr (GString) name = g_string_new (NULL);
  gboolean space = FALSE;
  guint    n_chars = 0;

  for (const char *p = title; p != NULL && *p != '\0' && n_chars < FILE_NAME_CHARS;
       p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        break;
      /* Characters that some file system or the shell's habits refuse. */
      if (g_unichar_isspace (c) || g_unichar_iscntrl (c) ||
          (c < 128 && strchr ("/\\:*?\"<>|", (int) c) != NULL))
        {
          space = name->len > 0;
          continue;
        }
      if (space)
        {
          g_string_append_c (name, ' ');
          n_chars++;
          space = FALSE;
        }
      g_string_append_unichar (name, c);
      n_chars++;
    }

  /* A name that would be hidden, or that is nothing but dots. */
  while (name->len > 0 && name->str[0] == '.')
    g_string_erase (name, 0, 1);
  if (name->len == 0)
    g_string_assign (name, _ ("Chat"));

  g_string_append_printf (name, ".%s", confab_conversation_export_extension (format));
  return g_string_free (g_steal_pointer (&name), FALSE);
}
