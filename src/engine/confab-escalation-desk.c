#define G_LOG_DOMAIN "confab-engine"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "confab-conversation.h"
#include "confab-error.h"
#include "confab-escalation-desk.h"
#include "confab-repository.h"
#include "confab-user.h"
#include "confab-util.h"

/* Who may hold, answer and resolve an escalation; the core checks the same
 * when a supporter is stored. */
static const char *const supporter_roles[] = { "operator", "admin", NULL };

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

/* Looks @id up as @type, and NOT_FOUND without touching @error otherwise. */
static gpointer
get_if_exists (ConfabDatabase *db,
               GType           type,
               const char     *column,
               const char     *id,
               gboolean       *missing,
               GError        **error)
{
  g_autoptr (GError) local_error = NULL;
  gpointer entity;

  *missing = FALSE;
  if (column == NULL)
    entity = confab_repository_get (db, type, id, &local_error);
  else
    entity = confab_repository_find (db, type, column, id, &local_error);
  if (entity != NULL)
    return entity;
  if (g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    *missing = TRUE;
  else
    g_propagate_error (error, g_steal_pointer (&local_error));
  return NULL;
}

ConfabEscalation *
confab_escalation_desk_lookup (ConfabDatabase *db, const char *escalation_id, GError **error)
{
  ConfabEscalation *escalation;
  gboolean          missing;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);

  if (escalation_id == NULL || *escalation_id == '\0')
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID, _ ("No escalation was given"));
      return NULL;
    }

  escalation = get_if_exists (db, CONFAB_TYPE_ESCALATION, NULL, escalation_id, &missing, error);
  if (escalation != NULL || !missing)
    return escalation;
  escalation =
      get_if_exists (db, CONFAB_TYPE_ESCALATION, "conversation_id", escalation_id, &missing, error);
  if (escalation != NULL || !missing)
    return escalation;

  g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
               _ ("No escalation with the id “%s” exists in this workspace, "
                  "and no escalated conversation has that id"),
               escalation_id);
  return NULL;
}

static ConfabUser *
get_user (ConfabDatabase *db, const char *user_id, GError **error)
{
  ConfabUser *user;
  gboolean    missing;

  if (user_id == NULL || *user_id == '\0')
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _ ("Only an operator or an admin can do this, and nobody was named"));
      return NULL;
    }
  user = get_if_exists (db, CONFAB_TYPE_USER, NULL, user_id, &missing, error);
  if (user == NULL && missing)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _ ("No user with the id “%s” exists in this workspace"), user_id);
  return user;
}

static gboolean
is_supporter (ConfabUser *user)
{
  return confab_str_in (confab_user_get_role (user), supporter_roles);
}

/* The escalation, refused when it is resolved: whatever one would do with
 * it, its conversation is back with its agent. */
static ConfabEscalation *
lookup_open (ConfabDatabase *db, const char *escalation_id, GError **error)
{
  g_autoptr (ConfabEscalation) escalation =
      confab_escalation_desk_lookup (db, escalation_id, error);

  if (escalation == NULL)
    return NULL;
  if (g_strcmp0 (confab_escalation_get_status (escalation), "resolved") == 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                   _ ("The escalation “%s” is already resolved: its conversation is back with "
                      "its agent"),
                   id_of (escalation));
      return NULL;
    }
  return g_steal_pointer (&escalation);
}

/* The name a message gives for the person holding an escalation. */
static char *
dup_holder_name (ConfabDatabase *db, const char *supporter_id)
{
  g_autoptr (ConfabUser) holder = confab_repository_get (db, CONFAB_TYPE_USER, supporter_id, NULL);

  return g_strdup (holder != NULL ? confab_user_get_username (holder) : supporter_id);
}

static gboolean
assign (ConfabDatabase *db, ConfabEscalation *escalation, const char *operator_id, GError **error)
{
  confab_escalation_set_supporter_id (escalation, operator_id);
  confab_escalation_set_status (escalation, "assigned");
  return confab_repository_update (db, CONFAB_ENTITY (escalation), operator_id, error);
}

ConfabEscalation *
confab_escalation_desk_take (ConfabDatabase *db,
                             const char     *escalation_id,
                             const char     *operator_id,
                             GError        **error)
{
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (ConfabUser) operator= NULL;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);

  /* Read and write in one transaction: two operators taking the same
   * escalation, or one resolving it meanwhile, cannot interleave. */
  if (!confab_database_begin (db, error))
    return NULL;
  escalation = lookup_open (db, escalation_id, error);
  if (escalation == NULL)
    goto rollback;
  operator= get_user (db, operator_id, error);
  if (operator== NULL)
    goto rollback;
  if (!is_supporter (operator))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _ ("The user “%s” cannot take escalations: only operators and admins can"),
                   confab_user_get_username (operator));
      goto rollback;
    }

  if ((g_strcmp0 (confab_escalation_get_status (escalation), "assigned") != 0 ||
       g_strcmp0 (confab_escalation_get_supporter_id (escalation), operator_id) != 0) &&
      !assign (db, escalation, operator_id, error))
    goto rollback;
  if (!confab_database_commit (db, error))
    return NULL;
  return g_steal_pointer (&escalation);

rollback:
  confab_database_rollback (db);
  return NULL;
}

ConfabMessage *
confab_escalation_desk_reply (ConfabDatabase *db,
                              const char     *escalation_id,
                              const char     *operator_id,
                              const char     *content,
                              GError        **error)
{
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (ConfabUser) operator= NULL;
  g_autoptr (ConfabMessage) message = NULL;
  const char *supporter_id;
  gboolean    needs_taking;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);

  /* Taking a pending escalation and the reply go together or not at all,
   * and nobody else changes the escalation in between. */
  if (!confab_database_begin (db, error))
    return NULL;
  escalation = lookup_open (db, escalation_id, error);
  if (escalation == NULL)
    goto rollback;
  operator= get_user (db, operator_id, error);
  if (operator== NULL)
    goto rollback;
  /* Whatever the escalation's state, a customer hears why they cannot
   * (taking it would refuse them the same way). */
  if (!is_supporter (operator))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _ ("The user “%s” cannot answer escalations: only operators and admins can"),
                   confab_user_get_username (operator));
      goto rollback;
    }

  supporter_id = confab_escalation_get_supporter_id (escalation);
  /* Nobody holds a pending escalation (or one whose supporter was deleted):
   * the operator who replies takes it. */
  needs_taking =
      g_strcmp0 (confab_escalation_get_status (escalation), "pending") == 0 || supporter_id == NULL;
  if (!needs_taking && g_strcmp0 (supporter_id, operator_id) != 0)
    {
      g_autofree char *holder = dup_holder_name (db, supporter_id);

      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                   _ ("The escalation “%s” is assigned to %s: take it over before answering"),
                   id_of (escalation), holder);
      goto rollback;
    }
  if (needs_taking && !assign (db, escalation, operator_id, error))
    goto rollback;

  /* No parent: the core continues the conversation's active branch. */
  message =
      confab_message_new (confab_escalation_get_conversation_id (escalation), "supporter", content);
  confab_message_set_user_id (message, operator_id);
  if (!confab_repository_create (db, CONFAB_ENTITY (message), operator_id, error))
    goto rollback;
  if (!confab_database_commit (db, error))
    return NULL;
  return g_steal_pointer (&message);

rollback:
  confab_database_rollback (db);
  return NULL;
}

static char *
resolve_details (const char *note, const char *conversation_id, gboolean reopened)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "note");
  if (note != NULL)
    json_builder_add_string_value (builder, note);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "conversation_id");
  json_builder_add_string_value (builder, conversation_id);
  json_builder_set_member_name (builder, "reopened");
  json_builder_add_boolean_value (builder, reopened);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  return json_to_string (root, FALSE);
}

/* Who may resolve: an operator or an admin, and of the operators only the
 * one holding it (or anyone, when nobody does). */
static gboolean
check_resolver (ConfabDatabase   *db,
                ConfabEscalation *escalation,
                const char       *actor_id,
                GError          **error)
{
  g_autoptr (ConfabUser) actor = get_user (db, actor_id, error);
  const char *supporter_id = confab_escalation_get_supporter_id (escalation);

  if (actor == NULL)
    return FALSE;
  if (!is_supporter (actor))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _ ("The user “%s” cannot resolve escalations: only operators and admins can"),
                   confab_user_get_username (actor));
      return FALSE;
    }
  if (g_strcmp0 (confab_escalation_get_status (escalation), "assigned") == 0 &&
      supporter_id != NULL && g_strcmp0 (supporter_id, actor_id) != 0 &&
      g_strcmp0 (confab_user_get_role (actor), "admin") != 0)
    {
      g_autofree char *holder = dup_holder_name (db, supporter_id);

      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                   _ ("The escalation “%s” is assigned to %s: only they or an admin can "
                      "resolve it"),
                   id_of (escalation), holder);
      return FALSE;
    }
  return TRUE;
}

ConfabEscalation *
confab_escalation_desk_resolve (ConfabDatabase *db,
                                const char     *escalation_id,
                                const char     *actor_id,
                                const char     *note,
                                gboolean       *out_reopened,
                                GError        **error)
{
  g_autoptr (ConfabEscalation) escalation = NULL;
  g_autoptr (ConfabConversation) conversation = NULL;
  g_autofree char *clean_note = NULL;
  g_autofree char *details = NULL;
  g_autofree char *actor = NULL;
  gboolean         reopened = FALSE;

  g_return_val_if_fail (CONFAB_IS_DATABASE (db), NULL);

  if (out_reopened != NULL)
    *out_reopened = FALSE;
  if (note != NULL)
    {
      clean_note = g_strstrip (g_strdup (note));
      if (*clean_note == '\0')
        g_clear_pointer (&clean_note, g_free);
      else if (!confab_check_text (_ ("note"), clean_note, 1, CONFAB_ESCALATION_DESK_MAX_NOTE,
                                   error))
        return NULL;
    }

  /* The escalation and its conversation change together. */
  if (!confab_database_begin (db, error))
    return NULL;
  escalation = lookup_open (db, escalation_id, error);
  if (escalation == NULL)
    goto rollback;
  if (actor_id != NULL && !check_resolver (db, escalation, actor_id, error))
    goto rollback;
  /* Without a resolver, the trail names the supporter who held it. */
  actor = g_strdup (actor_id != NULL ? actor_id : confab_escalation_get_supporter_id (escalation));

  /* resolved_at is stamped by the escalation itself. */
  confab_escalation_set_status (escalation, "resolved");
  if (!confab_repository_update (db, CONFAB_ENTITY (escalation), actor, error))
    goto rollback;

  conversation = confab_repository_get (db, CONFAB_TYPE_CONVERSATION,
                                        confab_escalation_get_conversation_id (escalation), error);
  if (conversation == NULL)
    goto rollback;
  if (g_strcmp0 (confab_conversation_get_status (conversation), "escalated") == 0)
    {
      confab_conversation_set_status (conversation, "active");
      if (!confab_repository_update (db, CONFAB_ENTITY (conversation), actor, error))
        goto rollback;
      reopened = TRUE;
    }

  details = resolve_details (clean_note, id_of (conversation), reopened);
  if (!confab_database_audit (db, actor, "escalation", id_of (escalation), "resolve", details,
                              error))
    goto rollback;
  if (!confab_database_commit (db, error))
    return NULL;

  if (out_reopened != NULL)
    *out_reopened = reopened;
  return g_steal_pointer (&escalation);

rollback:
  confab_database_rollback (db);
  return NULL;
}
