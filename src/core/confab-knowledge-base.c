#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "confab-error.h"
#include "confab-knowledge-base.h"
#include "confab-repository.h"
#include "confab-util.h"

struct _ConfabKnowledgeBase
{
  ConfabEntity parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabKnowledgeBase, confab_knowledge_base, CONFAB_TYPE_ENTITY)

enum {
  PROP_0,
  PROP_OWNER_ID,
  PROP_TITLE,
  PROP_DESCRIPTION,
  PROP_IS_ACTIVE,
  PROP_EMBEDDING_PROVIDER_ID,
  PROP_EMBEDDING_MODEL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const char * const dependent_tables[] = {
  "documents", "chunks", "agent_knowledge", NULL
};

static gboolean
check_owner_limit (ConfabDatabase  *db,
                   const char      *owner_id,
                   const char      *id,
                   GError         **error)
{
  g_autoptr (ConfabStmt) stmt = NULL;
  gint64 count;

  stmt = confab_database_prepare (db,
                                  "SELECT count(*) FROM knowledge_bases "
                                  "WHERE owner_id = ? AND id IS NOT ?",
                                  error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, owner_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    {
      confab_database_set_error (db, sqlite3_extended_errcode (confab_database_get_handle (db)),
                                 error);
      return FALSE;
    }
  count = sqlite3_column_int64 (stmt, 0);
  if (count >= CONFAB_KNOWLEDGE_BASE_MAX_PER_OWNER)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_LIMIT,
                   g_dngettext (GETTEXT_PACKAGE,
                                "A user can own at most %d knowledge base; "
                                "delete one before adding another",
                                "A user can own at most %d knowledge bases; "
                                "delete one before adding another",
                                CONFAB_KNOWLEDGE_BASE_MAX_PER_OWNER),
                   CONFAB_KNOWLEDGE_BASE_MAX_PER_OWNER);
      return FALSE;
    }
  return TRUE;
}

/* Embeddings are optional. A provider needs a model to ask it for; a model
 * without a provider is kept (the provider was deleted: ON DELETE SET NULL),
 * so the knowledge base can still be saved, and its vectors wait for a
 * provider to be chosen again. */
static gboolean
check_embedding (ConfabKnowledgeBase  *self,
                 ConfabDatabase       *db,
                 GError              **error)
{
  const char *provider_id = confab_knowledge_base_get_embedding_provider_id (self);
  const char *model = confab_knowledge_base_get_embedding_model (self);

  if (model != NULL && *model != '\0' &&
      !confab_check_text (confab_entity_field_label (properties[PROP_EMBEDDING_MODEL]), model, 1,
                          CONFAB_KNOWLEDGE_BASE_MAX_MODEL_CHARS, error))
    return FALSE;
  if (provider_id == NULL || *provider_id == '\0')
    return TRUE;
  if (model == NULL || *model == '\0')
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The knowledge base “%s” has an embedding provider but no embedding model; "
                     "choose the model that makes its vectors"),
                   confab_knowledge_base_get_title (self));
      return FALSE;
    }
  return confab_repository_check_reference (db, CONFAB_ENTITY (self),
                                            properties[PROP_EMBEDDING_PROVIDER_ID], "providers",
                                            FALSE, error);
}

static gboolean
confab_knowledge_base_validate (ConfabEntity    *entity,
                                ConfabDatabase  *db,
                                GError         **error)
{
  ConfabKnowledgeBase *self = CONFAB_KNOWLEDGE_BASE (entity);
  const char *owner_id = confab_knowledge_base_get_owner_id (self);

  if (!confab_check_text (confab_entity_field_label (properties[PROP_TITLE]),
                          confab_knowledge_base_get_title (self), 1, 200, error))
    return FALSE;

  if (owner_id != NULL && *owner_id != '\0')
    {
      if (!confab_repository_exists (db, "users", "id", owner_id, NULL, NULL))
        {
          g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                       _("The %s “%s” does not exist"),
                       confab_entity_field_label (properties[PROP_OWNER_ID]), owner_id);
          return FALSE;
        }
      /* Counted inside the write transaction, so the limit holds for
       * concurrent writers too. */
      if (!check_owner_limit (db, owner_id, confab_entity_get_id (entity), error))
        return FALSE;
    }
  return check_embedding (self, db, error);
}

static void
confab_knowledge_base_class_init (ConfabKnowledgeBaseClass *klass)
{
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  entity_class->table = "knowledge_bases";
  entity_class->entity_name = "knowledge_base";
  entity_class->label = N_("knowledge base");
  entity_class->default_order = "title COLLATE NOCASE, created_at";
  entity_class->dependent_tables = dependent_tables;
  entity_class->validate = confab_knowledge_base_validate;

  properties[PROP_OWNER_ID] = g_param_spec_string ("owner-id", N_("owner"), NULL, NULL, flags);
  properties[PROP_TITLE] = g_param_spec_string ("title", N_("title"), NULL, "", flags);
  properties[PROP_DESCRIPTION] =
    g_param_spec_string ("description", N_("description"), NULL, NULL, flags);
  properties[PROP_IS_ACTIVE] = g_param_spec_boolean ("is-active", N_("active"), NULL, TRUE, flags);
  properties[PROP_EMBEDDING_PROVIDER_ID] =
    g_param_spec_string ("embedding-provider-id", N_("embedding provider"), NULL, NULL, flags);
  properties[PROP_EMBEDDING_MODEL] =
    g_param_spec_string ("embedding-model", N_("embedding model"), NULL, NULL, flags);
  confab_entity_class_install_columns (entity_class, N_PROPS, properties);
}

static void
confab_knowledge_base_init (ConfabKnowledgeBase *self)
{
}

ConfabKnowledgeBase *
confab_knowledge_base_new (const char *title)
{
  return g_object_new (CONFAB_TYPE_KNOWLEDGE_BASE, "title", title, NULL);
}

CONFAB_DEFINE_STRING_ACCESSORS (confab_knowledge_base, ConfabKnowledgeBase, owner_id,
                                properties[PROP_OWNER_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_knowledge_base, ConfabKnowledgeBase, title,
                                properties[PROP_TITLE])
CONFAB_DEFINE_STRING_ACCESSORS (confab_knowledge_base, ConfabKnowledgeBase, description,
                                properties[PROP_DESCRIPTION])
CONFAB_DEFINE_BOOLEAN_ACCESSORS (confab_knowledge_base, ConfabKnowledgeBase, is_active,
                                 properties[PROP_IS_ACTIVE])
CONFAB_DEFINE_STRING_ACCESSORS (confab_knowledge_base, ConfabKnowledgeBase, embedding_provider_id,
                                properties[PROP_EMBEDDING_PROVIDER_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_knowledge_base, ConfabKnowledgeBase, embedding_model,
                                properties[PROP_EMBEDDING_MODEL])
