#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "confab-document.h"
#include "confab-error.h"
#include "confab-repository.h"
#include "confab-util.h"

struct _ConfabDocument
{
  ConfabEntity parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabDocument, confab_document, CONFAB_TYPE_ENTITY)

enum {
  PROP_0,
  PROP_KNOWLEDGE_BASE_ID,
  PROP_FILENAME,
  PROP_CONTENT_TYPE,
  PROP_STATUS,
  PROP_ERROR,
  PROP_SIZE_BYTES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char * const confab_document_statuses[] = {
  "uploaded", "processing", "indexed", "failed", NULL
};

static const char * const dependent_tables[] = { "chunks", NULL };

/* The stored value of a text column of the row @id, or NULL when the row
 * does not exist (a create) or the value is NULL. */
static char *
dup_stored_text (ConfabDatabase *db,
                 const char     *sql,
                 const char     *id)
{
  g_autoptr (ConfabStmt) stmt = confab_database_prepare (db, sql, NULL);

  if (stmt == NULL || id == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

static gboolean
confab_document_validate (ConfabEntity    *entity,
                          ConfabDatabase  *db,
                          GError         **error)
{
  ConfabDocument *self = CONFAB_DOCUMENT (entity);
  const char *kb_id = confab_document_get_knowledge_base_id (self);
  g_autofree char *stored = NULL;

  if (kb_id == NULL || *kb_id == '\0')
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("A document must belong to a knowledge base"));
      return FALSE;
    }
  if (!confab_repository_exists (db, "knowledge_bases", "id", kb_id, NULL, NULL))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The %s “%s” does not exist"),
                   confab_entity_field_label (properties[PROP_KNOWLEDGE_BASE_ID]), kb_id);
      return FALSE;
    }

  /* Its chunks carry the knowledge base too: a document stays where it was added. */
  stored = dup_stored_text (db, "SELECT knowledge_base_id FROM documents WHERE id = ?",
                            confab_entity_get_id (entity));
  if (stored != NULL && strcmp (stored, kb_id) != 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The document “%s” cannot move to another knowledge base; "
                     "add it there again"),
                   confab_document_get_filename (self) ? confab_document_get_filename (self) : "");
      return FALSE;
    }

  if (!confab_check_text (confab_entity_field_label (properties[PROP_FILENAME]),
                          confab_document_get_filename (self), 1, 255, error) ||
      !confab_check_text (confab_entity_field_label (properties[PROP_CONTENT_TYPE]),
                          confab_document_get_content_type (self), 1, 255, error) ||
      !confab_check_enum (confab_entity_field_label (properties[PROP_STATUS]),
                          confab_document_get_status (self), confab_document_statuses, error))
    return FALSE;

  if (confab_document_get_size_bytes (self) < 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The size %lld of a document cannot be negative"),
                   (long long) confab_document_get_size_bytes (self));
      return FALSE;
    }
  return TRUE;
}

static void
confab_document_class_init (ConfabDocumentClass *klass)
{
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  entity_class->table = "documents";
  entity_class->entity_name = "document";
  entity_class->label = N_("document");
  entity_class->default_order = "filename COLLATE NOCASE, created_at";
  entity_class->dependent_tables = dependent_tables;
  entity_class->validate = confab_document_validate;

  properties[PROP_KNOWLEDGE_BASE_ID] =
    g_param_spec_string ("knowledge-base-id", N_("knowledge base"), NULL, NULL, flags);
  properties[PROP_FILENAME] =
    g_param_spec_string ("filename", N_("file name"), NULL, "", flags);
  properties[PROP_CONTENT_TYPE] =
    g_param_spec_string ("content-type", N_("content type"), NULL, "text/plain", flags);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", N_("status"), NULL, "uploaded", flags);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", N_("error"), NULL, NULL, flags);
  properties[PROP_SIZE_BYTES] =
    g_param_spec_int64 ("size-bytes", N_("size"), NULL, 0, G_MAXINT64, 0, flags);
  confab_entity_class_install_columns (entity_class, N_PROPS, properties);
}

static void
confab_document_init (ConfabDocument *self)
{
}

ConfabDocument *
confab_document_new (const char *knowledge_base_id,
                     const char *filename)
{
  return g_object_new (CONFAB_TYPE_DOCUMENT,
                       "knowledge-base-id", knowledge_base_id,
                       "filename", filename,
                       NULL);
}

CONFAB_DEFINE_STRING_ACCESSORS (confab_document, ConfabDocument, knowledge_base_id,
                                properties[PROP_KNOWLEDGE_BASE_ID])
CONFAB_DEFINE_STRING_ACCESSORS (confab_document, ConfabDocument, filename,
                                properties[PROP_FILENAME])
CONFAB_DEFINE_STRING_ACCESSORS (confab_document, ConfabDocument, content_type,
                                properties[PROP_CONTENT_TYPE])
CONFAB_DEFINE_STRING_ACCESSORS (confab_document, ConfabDocument, status, properties[PROP_STATUS])
CONFAB_DEFINE_STRING_ACCESSORS (confab_document, ConfabDocument, error, properties[PROP_ERROR])
CONFAB_DEFINE_INT_ACCESSORS (confab_document, ConfabDocument, size_bytes, gint64,
                             properties[PROP_SIZE_BYTES])
