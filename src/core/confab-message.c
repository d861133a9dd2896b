#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-branch.h"
#include "confab-error.h"
#include "confab-message.h"
#include "confab-repository.h"
#include "confab-util.h"

/* One message of a conversation. seq numbers a conversation's messages 0, 1,
 * 2... in the order they were written (see before_insert), so the lazy
 * message list can read any page through the (conversation_id, seq) index. */

struct _ConfabMessage
{
  ConfabEntity parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabMessage, confab_message, CONFAB_TYPE_ENTITY)

enum {
  PROP_0,
  PROP_CONVERSATION_ID,
  PROP_SEQ,
  PROP_PARENT_MESSAGE_ID,
  PROP_ROLE,
  PROP_USER_ID,
  PROP_AGENT_ID,
  PROP_CONTENT,
  PROP_SOURCE_REFERENCES,
  PROP_MODEL,
  PROP_TOKENS_IN,
  PROP_TOKENS_OUT,
  PROP_LATENCY_MS,
  PROP_STATUS,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char * const confab_message_roles[] = {
  "user", "assistant", "system", "supporter", NULL
};

const char * const confab_message_statuses[] = {
  "complete", "streaming", "error", "cancelled", NULL
};

/* At most this many characters of a wrong value are quoted in a message. */
#define QUOTE_CHARS 40

static char *
quote_value (const char *value)
{
  const char *end;

  if (value == NULL)
    return g_strdup ("");
  if (g_utf8_strlen (value, QUOTE_CHARS + 1) <= QUOTE_CHARS)
    return g_strdup (value);
  end = g_utf8_offset_to_pointer (value, QUOTE_CHARS);
  return g_strdup_printf ("%.*s…", (int) (end - value), value);
}

static void
set_step_error (ConfabDatabase  *db,
                GError         **error)
{
  confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)), error);
}

static gboolean
check_parent (ConfabMessage   *self,
              ConfabDatabase  *db,
              GError         **error)
{
  const char *parent_id = confab_message_get_parent_message_id (self);
  const char *label = confab_entity_field_label (properties[PROP_PARENT_MESSAGE_ID]);
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  if (parent_id == NULL || *parent_id == '\0')
    return TRUE;

  if (confab_str_equal0 (parent_id, confab_entity_get_id (CONFAB_ENTITY (self))))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The message “%s” cannot be its own %s"), parent_id, label);
      return FALSE;
    }

  stmt = confab_database_prepare (db, "SELECT conversation_id FROM messages WHERE id = ?", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, parent_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The %s “%s” does not exist in this workspace"), label, parent_id);
      return FALSE;
    }
  if (rc != SQLITE_ROW)
    {
      set_step_error (db, error);
      return FALSE;
    }
  if (!confab_str_equal0 ((const char *) sqlite3_column_text (stmt, 0),
                          confab_message_get_conversation_id (self)))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The %s “%s” belongs to another conversation"), label, parent_id);
      return FALSE;
    }
  return TRUE;
}

/* A stored message keeps its place: moving it would break the numbering the
 * message list pages by, or the branches (confab-branch.h). Nothing to check
 * on create (no row yet). */
static gboolean
check_place (ConfabMessage   *self,
             ConfabDatabase  *db,
             GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  int rc;

  stmt = confab_database_prepare (db,
                                  "SELECT conversation_id, seq, parent_message_id "
                                  "FROM messages WHERE id = ?",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, confab_entity_get_id (CONFAB_ENTITY (self)), -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return TRUE;
  if (rc != SQLITE_ROW)
    {
      set_step_error (db, error);
      return FALSE;
    }
  if (!confab_str_equal0 ((const char *) sqlite3_column_text (stmt, 0),
                          confab_message_get_conversation_id (self)) ||
      sqlite3_column_int64 (stmt, 1) != confab_message_get_seq (self) ||
      !confab_str_equal0 ((const char *) sqlite3_column_text (stmt, 2),
                          confab_message_get_parent_message_id (self)))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The message “%s” cannot move to another conversation or place"),
                   confab_entity_get_id (CONFAB_ENTITY (self)));
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_content (ConfabMessage  *self,
               GError        **error)
{
  const char *label = confab_entity_field_label (properties[PROP_CONTENT]);
  const char *content = confab_message_get_content (self);
  const char *status = confab_message_get_status (self);

  /* People write 1..10,000 characters. A model's reply is empty until its
   * first token arrives, and stays empty if it fails or is stopped before. */
  if (confab_str_equal0 (confab_message_get_role (self), "assistant"))
    {
      gboolean may_be_empty = confab_str_equal0 (status, "streaming") ||
                              confab_str_equal0 (status, "error") ||
                              confab_str_equal0 (status, "cancelled");

      return confab_check_text (label, content, may_be_empty ? 0 : 1,
                                CONFAB_MESSAGE_MAX_REPLY, error);
    }
  return confab_check_text (label, content, 1, CONFAB_MESSAGE_MAX_CONTENT, error);
}

static gboolean
check_source_references (ConfabMessage  *self,
                         GError        **error)
{
  const char *label = confab_entity_field_label (properties[PROP_SOURCE_REFERENCES]);
  const char *refs = confab_message_get_source_references (self);
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autofree char *quoted = NULL;
  JsonNode *root;

  if (confab_str_equal0 (refs, "[]"))
    return TRUE;

  quoted = quote_value (refs);
  parser = json_parser_new ();
  if (refs == NULL || !json_parser_load_from_data (parser, refs, -1, &local_error))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The %s “%s” are not valid JSON: %s"), label, quoted,
                   local_error ? local_error->message : _("no value"));
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The %s “%s” must be a JSON array"), label, quoted);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_count (GParamSpec  *pspec,
             gint64       value,
             GError     **error)
{
  if (value >= 0)
    return TRUE;
  g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
               _("The %s cannot be negative (%lld)"),
               confab_entity_field_label (pspec), (long long) value);
  return FALSE;
}

static gboolean
confab_message_validate (ConfabEntity    *entity,
                         ConfabDatabase  *db,
                         GError         **error)
{
  ConfabMessage *self = CONFAB_MESSAGE (entity);

  return confab_repository_check_reference (db, entity, properties[PROP_CONVERSATION_ID], "conversations",
                                            TRUE, error) &&
         check_place (self, db, error) &&
         check_parent (self, db, error) &&
         confab_check_enum (confab_entity_field_label (properties[PROP_ROLE]),
                            confab_message_get_role (self), confab_message_roles, error) &&
         confab_check_enum (confab_entity_field_label (properties[PROP_STATUS]),
                            confab_message_get_status (self), confab_message_statuses, error) &&
         confab_repository_check_reference (db, entity, properties[PROP_USER_ID], "users",
                                            FALSE, error) &&
         confab_repository_check_reference (db, entity, properties[PROP_AGENT_ID], "agents",
                                            FALSE, error) &&
         check_content (self, error) &&
         check_source_references (self, error) &&
         check_count (properties[PROP_SEQ], confab_message_get_seq (self), error) &&
         check_count (properties[PROP_TOKENS_IN], confab_message_get_tokens_in (self), error) &&
         check_count (properties[PROP_TOKENS_OUT], confab_message_get_tokens_out (self), error) &&
         check_count (properties[PROP_LATENCY_MS], confab_message_get_latency_ms (self), error);
}

/* The next number in the conversation: one lookup at the end of the
 * (conversation_id, seq) index. Runs inside the write transaction, so two
 * writers cannot take the same number (the UNIQUE index guards it too). */
static gboolean
confab_message_before_insert (ConfabEntity    *entity,
                              ConfabDatabase  *db,
                              GError         **error)
{
  ConfabMessage *self = CONFAB_MESSAGE (entity);
  gint64 seq;

  if (confab_message_get_content (self) == NULL)
    confab_message_set_content (self, "");
  if (confab_message_get_source_references (self) == NULL)
    confab_message_set_source_references (self, "[]");
  if (!confab_branch_before_insert (db, self, error))
    return FALSE;

  seq = confab_database_query_int (db,
                                   "SELECT COALESCE (MAX (seq) + 1, 0) FROM messages "
                                   "WHERE conversation_id = ?",
                                   confab_message_get_conversation_id (self), error);
  if (seq < 0)
    return FALSE;
  confab_message_set_seq (self, seq);
  return TRUE;
}

/* A new message moves its conversation to the top of the list and, when it
 * is the first thing the user wrote in an untitled one, names it. */
static gboolean
confab_message_after_insert (ConfabEntity    *entity,
                             ConfabDatabase  *db,
                             GError         **error)
{
  ConfabMessage *self = CONFAB_MESSAGE (entity);
  const char *conversation_id = confab_message_get_conversation_id (self);
  g_autofree char *title = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;

  if (!confab_branch_after_insert (db, self, error))
    return FALSE;

  if (confab_str_equal0 (confab_message_get_role (self), "user"))
    title = confab_message_make_title (confab_message_get_content (self));

  stmt = confab_database_prepare (db,
                                  "UPDATE conversations SET updated_at = ?1, "
                                  "title = CASE WHEN title = '' AND ?3 IS NOT NULL THEN ?3 "
                                  "ELSE title END "
                                  "WHERE id = ?2",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, confab_entity_get_created_at (entity), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, conversation_id, -1, SQLITE_TRANSIENT);
  if (title != NULL && *title != '\0')
    sqlite3_bind_text (stmt, 3, title, -1, SQLITE_TRANSIENT);
  if (!confab_database_step_done (db, stmt, error))
    return FALSE;

  confab_database_notify_change (db, "conversations", conversation_id, "update");
  return TRUE;
}

static void
confab_message_class_init (ConfabMessageClass *klass)
{
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  entity_class->table = "messages";
  entity_class->entity_name = "message";
  entity_class->label = N_("message");
  entity_class->default_order = "conversation_id, seq";
  /* Replies to a deleted message lose their parent (SET NULL), but they are
   * in the same conversation and its list reloads for the delete itself. */
  entity_class->dependent_tables = NULL;
  entity_class->validate = confab_message_validate;
  entity_class->before_insert = confab_message_before_insert;
  entity_class->after_insert = confab_message_after_insert;

  properties[PROP_CONVERSATION_ID] =
    g_param_spec_string ("conversation-id", N_("conversation"), NULL, NULL, flags);
  properties[PROP_SEQ] =
    g_param_spec_int64 ("seq", N_("position"), NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_PARENT_MESSAGE_ID] =
    g_param_spec_string ("parent-message-id", N_("parent message"), NULL, NULL, flags);
  properties[PROP_ROLE] =
    g_param_spec_string ("role", N_("role"), NULL, "user", flags);
  properties[PROP_USER_ID] =
    g_param_spec_string ("user-id", N_("user"), NULL, NULL, flags);
  properties[PROP_AGENT_ID] =
    g_param_spec_string ("agent-id", N_("agent"), NULL, NULL, flags);
  properties[PROP_CONTENT] =
    g_param_spec_string ("content", N_("message text"), NULL, "",
                         flags | CONFAB_PARAM_NO_AUDIT);
  properties[PROP_SOURCE_REFERENCES] =
    g_param_spec_string ("source-references", N_("source references"), NULL, "[]", flags);
  properties[PROP_MODEL] =
    g_param_spec_string ("model", N_("model"), NULL, NULL, flags);
  properties[PROP_TOKENS_IN] =
    g_param_spec_int ("tokens-in", N_("input tokens"), NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_TOKENS_OUT] =
    g_param_spec_int ("tokens-out", N_("output tokens"), NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_LATENCY_MS] =
    g_param_spec_int ("latency-ms", N_("latency"), NULL, 0, G_MAXINT, 0, flags);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", N_("status"), NULL, "complete", flags);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", N_("error"), NULL, NULL, flags);
  confab_entity_class_install_columns (entity_class, N_PROPS, properties);
}

static void
confab_message_init (ConfabMessage *self)
{
}

ConfabMessage *
confab_message_new (const char *conversation_id,
                    const char *role,
                    const char *content)
{
  return g_object_new (CONFAB_TYPE_MESSAGE,
                       "conversation-id", conversation_id,
                       "role", role,
                       "content", content,
                       NULL);
}

CONFAB_DEFINE_STRING_ACCESSORS (confab_message, ConfabMessage, conversation_id,
                                properties[PROP_CONVERSATION_ID])
CONFAB_DEFINE_INT_ACCESSORS (confab_message, ConfabMessage, seq, gint64, properties[PROP_SEQ])
CONFAB_DEFINE_STRING_ACCESSORS (confab_message, ConfabMessage, parent_message_id,
                                properties[PROP_PARENT_MESSAGE_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_message, ConfabMessage, role, properties[PROP_ROLE])
CONFAB_DEFINE_STRING_ACCESSORS (confab_message, ConfabMessage, user_id, properties[PROP_USER_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_message, ConfabMessage, agent_id, properties[PROP_AGENT_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_message, ConfabMessage, content, properties[PROP_CONTENT])
CONFAB_DEFINE_STRING_ACCESSORS (confab_message, ConfabMessage, source_references,
                                properties[PROP_SOURCE_REFERENCES])
CONFAB_DEFINE_STRING_ACCESSORS (confab_message, ConfabMessage, model, properties[PROP_MODEL])
CONFAB_DEFINE_INT_ACCESSORS (confab_message, ConfabMessage, tokens_in, int,
                             properties[PROP_TOKENS_IN])
CONFAB_DEFINE_INT_ACCESSORS (confab_message, ConfabMessage, tokens_out, int,
                             properties[PROP_TOKENS_OUT])
CONFAB_DEFINE_INT_ACCESSORS (confab_message, ConfabMessage, latency_ms, int,
                             properties[PROP_LATENCY_MS])
CONFAB_DEFINE_STRING_ACCESSORS (confab_message, ConfabMessage, status, properties[PROP_STATUS])
CONFAB_DEFINE_STRING_ACCESSORS (confab_message, ConfabMessage, error, properties[PROP_ERROR])

/**
 * confab_message_make_title:
 * @content: what the user wrote
 *
 * Makes a conversation title from a message: its first non-blank line with
 * runs of white space collapsed to one space. A line longer than
 * %CONFAB_MESSAGE_TITLE_CHARS characters is cut at the last word boundary
 * that fits and ends with “…” (a single word that long is cut inside).
 *
 * Returns: (transfer full): the title, "" when the message has no text
 */
char *
confab_message_make_title (const char *content)
{
  g_autofree char *valid = g_utf8_make_valid (content ? content : "", -1);
  g_autoptr (GString) line = g_string_new (NULL);
  gboolean pending_space = FALSE;
  glong n_chars = 0;
  glong last_space = -1;   /* character index of the last space that allows a cut */
  gsize last_space_byte = 0;

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (c == '\n' || c == '\r' || c == 0x2028 || c == 0x2029)
        {
          if (n_chars > 0)
            break;
          continue;
        }
      if (g_unichar_isspace (c) || g_unichar_iscntrl (c))
        {
          pending_space = n_chars > 0;
          continue;
        }
      if (pending_space)
        {
          /* Cutting at a space at index i keeps i characters, plus “…”. */
          if (n_chars <= CONFAB_MESSAGE_TITLE_CHARS - 1)
            {
              last_space = n_chars;
              last_space_byte = line->len;
            }
          g_string_append_c (line, ' ');
          n_chars++;
          pending_space = FALSE;
        }
      g_string_append_unichar (line, c);
      /* One character past the limit is enough to know it must be cut. */
      if (++n_chars > CONFAB_MESSAGE_TITLE_CHARS)
        break;
    }

  if (n_chars <= CONFAB_MESSAGE_TITLE_CHARS)
    return g_string_free (g_steal_pointer (&line), FALSE);

  if (last_space > 0)
    g_string_truncate (line, last_space_byte);
  else
    g_string_truncate (line, g_utf8_offset_to_pointer (line->str, CONFAB_MESSAGE_TITLE_CHARS - 1) -
                             line->str);
  g_string_append (line, "…");
  return g_string_free (g_steal_pointer (&line), FALSE);
}

static gboolean
is_word_char (gunichar c)
{
  return g_unichar_isalnum (c) || g_unichar_ismark (c);
}

/* Turns what a person typed into an FTS5 query that cannot be a syntax
 * error: each word becomes a quoted phrase (a '"' inside is doubled), so
 * AND, OR, NOT, NEAR, parentheses and column filters are plain words. A word
 * ending in '*' stays a prefix search. Words without a letter or digit
 * would be empty phrases and are left out. */
static char *
build_fts_query (const char *query)
{
  g_autoptr (GString) out = g_string_new (NULL);
  const char *p = query;

  while (*p != '\0')
    {
      const char *start, *end;
      gboolean has_word_char = FALSE;
      gboolean prefix = FALSE;

      while (*p != '\0' && g_unichar_isspace (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      start = p;
      while (*p != '\0' && !g_unichar_isspace (g_utf8_get_char (p)))
        {
          has_word_char |= is_word_char (g_utf8_get_char (p));
          p = g_utf8_next_char (p);
        }
      end = p;
      if (!has_word_char)
        continue;

      while (end > start && end[-1] == '*')
        {
          end--;
          prefix = TRUE;
        }

      if (out->len > 0)
        g_string_append_c (out, ' ');
      g_string_append_c (out, '"');
      for (const char *q = start; q < end; q++)
        {
          if (*q == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *q);
        }
      g_string_append_c (out, '"');
      if (prefix)
        g_string_append_c (out, '*');
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * confab_message_search:
 * @db: a workspace
 * @conversation_id: (nullable): search only this conversation
 * @query: the words to look for, as a person typed them
 * @limit: the most messages to return, 0 for all
 * @error: return location for a #GError
 *
 * Finds messages holding all the words of @query (a word ending in “*” is a
 * prefix), best match first (BM25).
 *
 * Returns: (transfer container) (element-type ConfabMessage): the messages,
 *   or %NULL with @error set
 */
GPtrArray *
confab_message_search (ConfabDatabase  *db,
                       const char      *conversation_id,
                       const char      *query,
                       guint            limit,
                       GError         **error)
{
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *match = NULL;
  sqlite3 *handle;
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  if (!g_utf8_validate (query, -1, NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The search is not valid UTF-8 text"));
      return NULL;
    }

  results = g_ptr_array_new_with_free_func (g_object_unref);
  match = build_fts_query (query);
  if (*match == '\0')
    return g_steal_pointer (&results);

  stmt = confab_database_prepare (db,
                                  "SELECT messages.* FROM messages_fts "
                                  "JOIN messages ON messages.rowid = messages_fts.rowid "
                                  "WHERE messages_fts MATCH ?1 "
                                  "AND (?2 IS NULL OR messages.conversation_id = ?2) "
                                  "ORDER BY bm25 (messages_fts), messages.created_at DESC "
                                  "LIMIT ?3",
                                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, match, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, conversation_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, limit > 0 ? (gint64) limit : -1);

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (results, confab_entity_new_from_stmt (CONFAB_TYPE_MESSAGE, stmt));
  if (rc == SQLITE_DONE)
    return g_steal_pointer (&results);

  handle = confab_database_get_handle (db);
  rc = sqlite3_extended_errcode (handle);
  if (rc == SQLITE_ERROR)
    {
      /* Quoting should leave nothing FTS5 can refuse; should it still, the
       * person sees their words, not SQLite's grammar. */
      g_debug ("FTS5 refused “%s”: %s", match, sqlite3_errmsg (handle));
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The search “%s” could not be understood"), query);
      return NULL;
    }
  confab_database_set_error (db, rc, error);
  return NULL;
}

/* A progress handler: a non-zero return interrupts the running statement. */
static int
search_cancelled (void *data)
{
  return g_cancellable_is_cancelled (data);
}

/**
 * confab_message_search_hits:
 * @db: a workspace
 * @query: the words to look for, as a person typed them
 * @limit: the most hits to return, 0 for all
 * @cancellable: (nullable): stops the query, even halfway through
 * @error: return location for a #GError
 *
 * Finds messages in all conversations holding all the words of @query, as
 * confab_message_search() does, with what a result list shows: the
 * conversation's title, the author and a snippet. Whatever was typed is
 * searched as words, so there is no syntax to get wrong; a @query that has
 * characters but no word at all (only quotes, stars, brackets...) fails with
 * %CONFAB_ERROR_INVALID, while a @query of spaces finds nothing. Cancelled,
 * it fails with %G_IO_ERROR_CANCELLED.
 *
 * @db may be a connection of its own, used only by the thread calling this.
 *
 * Returns: (transfer container) (element-type ConfabMessageHit): the hits,
 *   best match first, or %NULL with @error set
 */
GPtrArray *
confab_message_search_hits (ConfabDatabase  *db,
                            const char      *query,
                            guint            limit,
                            GCancellable    *cancellable,
                            GError         **error)
{
  g_autoptr (GPtrArray) results = NULL;
  g_autoptr (ConfabStmt) stmt = NULL;
  g_autofree char *match = NULL;
  g_autofree char *stripped = NULL;
  sqlite3 *handle;
  int rc;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (query != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  if (!g_utf8_validate (query, -1, NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The search is not valid UTF-8 text"));
      return NULL;
    }
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;

  results = g_ptr_array_new_with_free_func (g_object_unref);
  match = build_fts_query (query);
  if (*match == '\0')
    {
      stripped = g_strstrip (g_strdup (query));
      if (*stripped == '\0')
        return g_steal_pointer (&results);
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The search “%s” has no words to look for"), stripped);
      return NULL;
    }

  stmt = confab_database_prepare (db,
                                  "SELECT messages.id, messages.conversation_id, "
                                  "  conversations.title, messages.role, "
                                  "  CASE messages.role "
                                  "    WHEN 'assistant' THEN agents.name "
                                  "    WHEN 'user' THEN coalesce (writers.name, clients.name) "
                                  "    WHEN 'supporter' THEN writers.name "
                                  "  END, "
                                  "  messages.created_at, "
                                  "  snippet (messages_fts, 0, ?2, ?3, '…', 16) "
                                  "FROM messages_fts "
                                  "JOIN messages ON messages.rowid = messages_fts.rowid "
                                  "JOIN conversations ON conversations.id = messages.conversation_id "
                                  "LEFT JOIN agents ON agents.id = messages.agent_id "
                                  "LEFT JOIN users AS writers ON writers.id = messages.user_id "
                                  "LEFT JOIN users AS clients ON clients.id = conversations.user_id "
                                  "WHERE messages_fts MATCH ?1 "
                                  "ORDER BY bm25 (messages_fts), messages.created_at DESC "
                                  "LIMIT ?4",
                                  error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, match, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, CONFAB_MESSAGE_HIT_MATCH_START, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, CONFAB_MESSAGE_HIT_MATCH_END, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, limit > 0 ? (gint64) limit : -1);

  handle = confab_database_get_handle (db);
  if (cancellable != NULL)
    sqlite3_progress_handler (handle, 1000, search_cancelled, cancellable);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (results,
                     g_object_new (CONFAB_TYPE_MESSAGE_HIT,
                                   "message-id", sqlite3_column_text (stmt, 0),
                                   "conversation-id", sqlite3_column_text (stmt, 1),
                                   "conversation-title", sqlite3_column_text (stmt, 2),
                                   "role", sqlite3_column_text (stmt, 3),
                                   "author", sqlite3_column_text (stmt, 4),
                                   "created-at", sqlite3_column_text (stmt, 5),
                                   "snippet", sqlite3_column_text (stmt, 6),
                                   NULL));
  if (cancellable != NULL)
    sqlite3_progress_handler (handle, 0, NULL, NULL);
  if (rc == SQLITE_DONE)
    return g_steal_pointer (&results);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  rc = sqlite3_extended_errcode (handle);
  if (rc == SQLITE_ERROR)
    {
      /* As in confab_message_search(): never SQLite's grammar. */
      g_debug ("FTS5 refused “%s”: %s", match, sqlite3_errmsg (handle));
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The search “%s” could not be understood"), query);
      return NULL;
    }
  confab_database_set_error (db, rc, error);
  return NULL;
}
