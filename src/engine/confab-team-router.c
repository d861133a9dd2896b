#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <string.h>

#include "confab-team-router.h"

/* Long enough for a name, short enough that a chatty model is cut off. */
#define SELECTOR_MAX_TOKENS 24

ConfabChatRequest *
confab_team_router_build_request (ConfabAgent *selector,
                                  GPtrArray   *members,
                                  const char  *text)
{
  g_autoptr (GString) system = g_string_new (NULL);
  ConfabChatRequest *request;

  g_return_val_if_fail (CONFAB_IS_AGENT (selector), NULL);
  g_return_val_if_fail (members != NULL, NULL);

  /* The instructions stay in English: they are for the model, not shown. */
  g_string_append (system,
                   "You route a customer's message to the assistant best placed to answer it.\n"
                   "The assistants are:\n");
  for (guint i = 0; i < members->len; i++)
    {
      ConfabAgent *agent = g_ptr_array_index (members, i);
      const char *description = confab_agent_get_description (agent);
      const char *sector = confab_agent_get_sector (agent);

      g_string_append_printf (system, "- %s", confab_agent_get_name (agent));
      if (sector != NULL && *sector != '\0')
        g_string_append_printf (system, " (%s)", sector);
      if (description != NULL && *description != '\0')
        g_string_append_printf (system, ": %s", description);
      g_string_append_c (system, '\n');
    }
  g_string_append (system, "Answer with the name of exactly one assistant and nothing else.");

  request = confab_chat_request_new (confab_agent_get_model (selector));
  confab_chat_request_set_system (request, system->str);
  confab_chat_request_set_temperature (request, 0.0);
  confab_chat_request_set_max_tokens (request, SELECTOR_MAX_TOKENS);
  confab_chat_request_add_message (request, "user", text);
  return request;
}

/* Lower case, letters and digits only, runs of anything else one space. */
static char *
normalize (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  g_autofree char *folded = g_utf8_casefold (valid, -1);
  GString *out = g_string_new (" ");

  for (const char *p = folded; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isalnum (c))
        g_string_append_unichar (out, c);
      else if (out->str[out->len - 1] != ' ')
        g_string_append_c (out, ' ');
    }
  if (out->str[out->len - 1] != ' ')
    g_string_append_c (out, ' ');
  return g_string_free (out, FALSE);
}

int
confab_team_router_match_answer (GPtrArray  *members,
                                 const char *answer)
{
  g_autofree char *said = NULL;
  int found = -1;

  g_return_val_if_fail (members != NULL, -1);

  if (answer == NULL)
    return -1;
  said = normalize (answer);

  /* The whole answer is a name. */
  for (guint i = 0; i < members->len; i++)
    {
      g_autofree char *name = normalize (confab_agent_get_name (g_ptr_array_index (members, i)));

      if (strcmp (name, said) == 0)
        return (int) i;
    }

  /* Or a sentence naming one member, as whole words. */
  for (guint i = 0; i < members->len; i++)
    {
      g_autofree char *name = normalize (confab_agent_get_name (g_ptr_array_index (members, i)));

      if (strlen (name) > 2 && strstr (said, name) != NULL)
        {
          if (found >= 0)
            return -1;
          found = (int) i;
        }
    }
  return found;
}
