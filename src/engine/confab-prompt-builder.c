#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-error.h"
#include "confab-prompt-builder.h"
#include "confab-prompt-label.h"
#include "confab-template.h"
#include "confab-util.h"

/* See confab-prompt-builder.h for what goes into a request and why. */

#define OPERATOR_PREFIX "(human operator) "

/* For the model, not for people: not translated. */
#define CONTEXT_INSTRUCTIONS                                                              \
  "Use the numbered passages below when they help to answer. They come from the "       \
  "knowledge base; when you use one, cite it by its number in square brackets, like "   \
  "[1]. Do not cite a passage you did not use, and do not invent passages."

static gboolean
is_set (const char *s)
{
  return s != NULL && *s != '\0';
}

guint
confab_prompt_builder_estimate_tokens (const char *text)
{
  glong chars = text != NULL ? g_utf8_strlen (text, -1) : 0;

  return (guint) (chars / CONFAB_PROMPT_CHARS_PER_TOKEN) + CONFAB_PROMPT_TOKENS_PER_MESSAGE;
}

GHashTable *
confab_prompt_builder_new_variables (ConfabAgent *agent,
                                     ConfabUser  *user,
                                     GDateTime   *now)
{
  GHashTable *variables = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr (GDateTime) local = NULL;
  const char *user_name = NULL;

  g_return_val_if_fail (agent == NULL || CONFAB_IS_AGENT (agent), variables);
  g_return_val_if_fail (user == NULL || CONFAB_IS_USER (user), variables);

  if (user != NULL)
    {
      user_name = confab_user_get_name (user);
      if (!is_set (user_name))
        user_name = confab_user_get_username (user);
    }
  local = now != NULL ? g_date_time_to_local (now) : g_date_time_new_now_local ();

  g_hash_table_insert (variables, g_strdup ("user.name"), g_strdup (user_name ? user_name : ""));
  g_hash_table_insert (variables, g_strdup ("agent.name"),
                       g_strdup (agent != NULL && confab_agent_get_name (agent) != NULL
                                   ? confab_agent_get_name (agent) : ""));
  g_hash_table_insert (variables, g_strdup ("date"), g_date_time_format (local, "%Y-%m-%d"));
  g_hash_table_insert (variables, g_strdup ("time"), g_date_time_format (local, "%H:%M"));
  return variables;
}

char *
confab_prompt_builder_resolve_system (ConfabDatabase       *db,
                                      ConfabAgent          *agent,
                                      GHashTable           *variables,
                                      ConfabPromptVersion **out_version,
                                      GError              **error)
{
  g_autoptr (ConfabPromptVersion) version = NULL;
  g_autoptr (GError) local_error = NULL;
  const char *prompt_id;
  const char *source;
  char *text;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);
  g_return_val_if_fail (CONFAB_IS_AGENT (agent), NULL);

  if (out_version != NULL)
    *out_version = NULL;

  prompt_id = confab_agent_get_prompt_id (agent);
  if (is_set (prompt_id))
    {
      version = confab_prompt_resolve (db, prompt_id, confab_agent_get_prompt_label (agent),
                                       confab_agent_get_prompt_version (agent), error);
      if (version == NULL)
        return NULL;
      source = confab_prompt_version_get_body (version);
    }
  else
    source = confab_agent_get_system_prompt (agent);

  if (!is_set (source))
    {
      if (out_version != NULL)
        *out_version = g_steal_pointer (&version);
      return g_strdup ("");
    }

  text = confab_template_render_string (source, variables, &local_error);
  if (text == NULL)
    {
      /* The template engine names the variables; say whose prompt it was. */
      g_set_error (error, local_error->domain, local_error->code,
                   _("The system prompt of the agent “%s” cannot be used: %s"),
                   confab_agent_get_name (agent), local_error->message);
      return NULL;
    }

  if (out_version != NULL)
    *out_version = g_steal_pointer (&version);
  return text;
}

static gboolean
version_names_model (ConfabPromptVersion *version)
{
  return version != NULL && is_set (confab_prompt_version_get_model (version));
}

const char *
confab_prompt_builder_pick_provider_id (ConfabAgent         *agent,
                                        ConfabPromptVersion *version)
{
  g_return_val_if_fail (CONFAB_IS_AGENT (agent), NULL);

  if (version_names_model (version) && is_set (confab_prompt_version_get_provider_id (version)))
    return confab_prompt_version_get_provider_id (version);
  if (is_set (confab_agent_get_provider_id (agent)))
    return confab_agent_get_provider_id (agent);
  return NULL;
}

char *
confab_prompt_builder_format_context (GPtrArray *sources)
{
  g_autoptr (GString) out = NULL;

  if (sources == NULL || sources->len == 0)
    return g_strdup ("");

  out = g_string_new (CONTEXT_INSTRUCTIONS);
  g_string_append (out, "\n");
  for (guint i = 0; i < sources->len; i++)
    {
      ConfabRetrievedChunk *source = g_ptr_array_index (sources, i);
      g_autofree char *text = g_strdup (source->text ? source->text : "");

      g_strstrip (text);
      g_string_append_printf (out, "\n[%u] %s: %s\n", i + 1,
                              is_set (source->filename) ? source->filename : "?", text);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The text history holds for message, or NULL when it is not history. */
static char *
history_text (ConfabMessage *message,
              const char   **role)
{
  const char *content = confab_message_get_content (message);
  const char *message_role = confab_message_get_role (message);

  if (!confab_str_equal0 (confab_message_get_status (message), "complete") || !is_set (content))
    return NULL;

  if (confab_str_equal0 (message_role, "user") || confab_str_equal0 (message_role, "assistant"))
    {
      *role = message_role;
      return g_strdup (content);
    }
  if (confab_str_equal0 (message_role, "supporter"))
    {
      *role = "assistant";
      return g_strconcat (OPERATOR_PREFIX, content, NULL);
    }
  return NULL;
}

ConfabChatRequest *
confab_prompt_builder_build (ConfabAgent          *agent,
                             ConfabProvider       *provider,
                             ConfabPromptVersion  *version,
                             const char           *system_text,
                             GPtrArray            *history,
                             const char           *user_text,
                             GPtrArray            *sources,
                             guint                *out_dropped,
                             GError              **error)
{
  g_autoptr (ConfabChatRequest) request = NULL;
  g_autoptr (GString) system = NULL;
  g_autofree char *context = NULL;
  g_autoptr (GPtrArray) kept_roles = NULL;
  g_autoptr (GPtrArray) kept_texts = NULL;
  const char *model = NULL;
  double temperature;
  int max_tokens;
  gint64 budget;
  guint n_history = 0;
  guint dropped = 0;
  gboolean full = FALSE;

  g_return_val_if_fail (CONFAB_IS_AGENT (agent), NULL);
  g_return_val_if_fail (CONFAB_IS_PROVIDER (provider), NULL);

  if (out_dropped != NULL)
    *out_dropped = 0;

  if (!is_set (user_text))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("There is no message to answer"));
      return NULL;
    }

  if (version_names_model (version))
    {
      model = confab_prompt_version_get_model (version);
      temperature = confab_prompt_version_get_temperature (version);
      max_tokens = confab_prompt_version_get_max_tokens (version);
    }
  else
    {
      model = confab_agent_get_model (agent);
      if (!is_set (model))
        model = confab_provider_get_default_model (provider);
      temperature = confab_agent_get_temperature (agent);
      max_tokens = confab_agent_get_max_tokens (agent);
    }
  if (!is_set (model))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The agent “%s” names no model, and the provider “%s” has no default "
                     "model"),
                   confab_agent_get_name (agent), confab_provider_get_name (provider));
      return NULL;
    }

  request = confab_chat_request_new (model);
  confab_chat_request_set_temperature (request, temperature);
  if (max_tokens > 0)
    confab_chat_request_set_max_tokens (request, max_tokens);

  /* The system prompt, then the knowledge. */
  system = g_string_new (system_text);
  g_strstrip (system->str);
  g_string_set_size (system, strlen (system->str));
  context = confab_prompt_builder_format_context (sources);
  if (*context != '\0')
    {
      if (system->len > 0)
        g_string_append (system, "\n\n");
      g_string_append (system, context);
    }
  if (system->len > 0)
    confab_chat_request_set_system (request, system->str);

  /* What is left of the window for history. */
  budget = (gint64) confab_provider_get_context_window (provider) - MAX (max_tokens, 0) -
           confab_prompt_builder_estimate_tokens (user_text);
  if (system->len > 0)
    budget -= confab_prompt_builder_estimate_tokens (system->str);
  if (budget < 0)
    g_debug ("The system prompt and the new message alone exceed the context window of “%s” "
             "(%d tokens): no history is sent",
             confab_provider_get_name (provider), confab_provider_get_context_window (provider));

  /* Newest first while it fits; everything older than the first message
   * that does not fit is dropped too, so the history has no holes. */
  kept_roles = g_ptr_array_new ();
  kept_texts = g_ptr_array_new_with_free_func (g_free);
  for (guint i = history != NULL ? history->len : 0; i > 0; i--)
    {
      ConfabMessage *message = g_ptr_array_index (history, i - 1);
      const char *role = NULL;
      g_autofree char *text = history_text (message, &role);
      guint cost;

      if (text == NULL)
        continue;
      n_history++;
      if (full)
        {
          dropped++;
          continue;
        }
      cost = confab_prompt_builder_estimate_tokens (text);
      if ((gint64) cost > budget)
        {
          full = TRUE;
          dropped++;
          continue;
        }
      budget -= cost;
      g_ptr_array_add (kept_roles, (gpointer) role);
      g_ptr_array_add (kept_texts, g_steal_pointer (&text));
    }

  /* kept_* run newest to oldest: the history must open with the user. */
  while (kept_roles->len > 0 &&
         !confab_str_equal0 (g_ptr_array_index (kept_roles, kept_roles->len - 1), "user"))
    {
      g_ptr_array_remove_index (kept_roles, kept_roles->len - 1);
      g_ptr_array_remove_index (kept_texts, kept_texts->len - 1);
      dropped++;
    }

  for (guint i = kept_roles->len; i > 0; i--)
    confab_chat_request_add_message (request, g_ptr_array_index (kept_roles, i - 1),
                                     g_ptr_array_index (kept_texts, i - 1));
  confab_chat_request_add_message (request, "user", user_text);

  if (dropped > 0)
    g_debug ("Left out the %u oldest of %u history messages to fit the context window of %d tokens",
             dropped, n_history, confab_provider_get_context_window (provider));
  if (out_dropped != NULL)
    *out_dropped = dropped;
  return g_steal_pointer (&request);
}

/* Adds to cited (a set of 1-based numbers, as a bit per source) every [n],
 * [n, m] and [n][m] in reply that names one of n_sources sources. */
static void
scan_citations (const char *reply,
                guint       n_sources,
                gboolean   *cited)
{
  const char *p = reply;

  while ((p = strchr (p, '[')) != NULL)
    {
      const char *q = p + 1;
      g_autoptr (GArray) numbers = g_array_new (FALSE, FALSE, sizeof (guint));

      for (;;)
        {
          guint n = 0;
          const char *start;

          while (*q == ' ')
            q++;
          start = q;
          while (g_ascii_isdigit (*q) && q - start < 4)
            n = n * 10 + (guint) (*q++ - '0');
          if (q == start || g_ascii_isdigit (*q))
            break;
          g_array_append_val (numbers, n);
          while (*q == ' ')
            q++;
          if (*q == ',')
            {
              q++;
              continue;
            }
          if (*q == ']')
            {
              for (guint i = 0; i < numbers->len; i++)
                {
                  guint number = g_array_index (numbers, guint, i);

                  if (number >= 1 && number <= n_sources)
                    cited[number - 1] = TRUE;
                }
            }
          break;
        }
      p++;
    }
}

char *
confab_prompt_builder_cited_sources (GPtrArray  *sources,
                                     const char *reply)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree gboolean *cited = NULL;
  guint n = sources != NULL ? sources->len : 0;

  cited = g_new0 (gboolean, MAX (n, 1));
  if (reply != NULL && n > 0)
    scan_citations (reply, n, cited);

  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      ConfabRetrievedChunk *source = g_ptr_array_index (sources, i);

      if (!cited[i])
        continue;
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "n");
      json_builder_add_int_value (builder, i + 1);
      json_builder_set_member_name (builder, "chunk_id");
      json_builder_add_string_value (builder, source->chunk_id);
      json_builder_set_member_name (builder, "document_id");
      json_builder_add_string_value (builder, source->document_id);
      json_builder_set_member_name (builder, "knowledge_base_id");
      json_builder_add_string_value (builder, source->knowledge_base_id);
      json_builder_set_member_name (builder, "ordinal");
      json_builder_add_int_value (builder, source->ordinal);
      json_builder_set_member_name (builder, "filename");
      if (source->filename != NULL)
        json_builder_add_string_value (builder, source->filename);
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}
