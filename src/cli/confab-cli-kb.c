#define G_LOG_DOMAIN "confab-cli"

#include "config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "confab-cli-common.h"
#include "confab-embedder.h"
#include "confab-knowledge-importer.h"
#include "confab-retriever.h"

#define DEFAULT_SEARCH_LIMIT 5
#define MAX_SEARCH_LIMIT     1000

static const char *
id_of (gpointer entity)
{
  return confab_entity_get_id (CONFAB_ENTITY (entity));
}

static void
print_json (JsonBuilder *builder)
{
  g_autoptr (JsonNode) root = json_builder_get_root (builder);
  g_autofree char *text = json_to_string (root, TRUE);

  g_print ("%s\n", text);
}

/* A knowledge base by id, or by title when exactly one has it. */
static ConfabKnowledgeBase *
lookup_kb (ConfabDatabase  *db,
           const char      *id_or_title,
           GError         **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GPtrArray) named = NULL;
  ConfabKnowledgeBase *kb;

  kb = confab_repository_get (db, CONFAB_TYPE_KNOWLEDGE_BASE, id_or_title, &local_error);
  if (kb != NULL)
    return kb;
  if (!g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }

  named = confab_repository_list (db, CONFAB_TYPE_KNOWLEDGE_BASE, "title", id_or_title, error);
  if (named == NULL)
    return NULL;
  if (named->len == 1)
    return g_object_ref (g_ptr_array_index (named, 0));

  if (named->len == 0)
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
                 _("No knowledge base with the id or title “%s” exists in this workspace"),
                 id_or_title);
  else
    g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                 ngettext ("%u knowledge base is titled “%s”; give its id instead",
                           "%u knowledge bases are titled “%s”; give an id instead",
                           named->len),
                 named->len, id_or_title);
  return NULL;
}

/* A user by id or username. */
static char *
lookup_user_id (ConfabDatabase  *db,
                const char      *id_or_username,
                GError         **error)
{
  g_autoptr (ConfabUser) user = NULL;
  g_autoptr (GError) local_error = NULL;

  if (confab_repository_exists (db, "users", "id", id_or_username, NULL, NULL))
    return g_strdup (id_or_username);
  user = confab_repository_find (db, CONFAB_TYPE_USER, "username", id_or_username, &local_error);
  if (user != NULL)
    return g_strdup (id_of (user));
  if (local_error != NULL && !g_error_matches (local_error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_NOT_FOUND,
               _("No user with the id or username “%s” exists in this workspace"),
               id_or_username);
  return NULL;
}

static void
on_async_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

/* Runs the default main context until an async call gives its result. */
static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *result;
}

/* Sets the knowledge base's embedding provider (by id or name) and model;
 * FALSE with error when the provider does not exist. */
static gboolean
set_embedding (ConfabCli            *cli,
               ConfabKnowledgeBase  *kb,
               const char           *provider_name,
               const char           *model,
               GError              **error)
{
  g_autoptr (ConfabProvider) provider = confab_cli_find_provider (cli, provider_name, error);

  if (provider == NULL)
    return FALSE;
  confab_knowledge_base_set_embedding_provider_id (kb, id_of (provider));
  confab_knowledge_base_set_embedding_model (kb, model);
  return TRUE;
}

static int
kb_create (ConfabCli  *cli,
           int         argc,
           char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabKnowledgeBase) kb = NULL;
  g_autofree char *title = NULL;
  g_autofree char *description = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *owner_id = NULL;
  g_autofree char *embed_provider = NULL;
  g_autofree char *embed_model = NULL;
  int status;
  GOptionEntry entries[] = {
    { "title", 't', 0, G_OPTION_ARG_STRING, &title,
      N_("Title, 1 to 200 characters (required)"), N_("TITLE") },
    { "description", 'd', 0, G_OPTION_ARG_STRING, &description,
      N_("What the knowledge base holds"), N_("TEXT") },
    { "owner", 'o', 0, G_OPTION_ARG_STRING, &owner,
      N_("The user who owns it, by id or username"), N_("ID|USERNAME") },
    { "embed-provider", 0, 0, G_OPTION_ARG_STRING, &embed_provider,
      N_("The provider that makes vectors of its passages, by id or name (optional)"),
      N_("PROVIDER") },
    { "embed-model", 0, 0, G_OPTION_ARG_STRING, &embed_model,
      N_("The embedding model of that provider (with --embed-provider)"), N_("MODEL") },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Create a knowledge base and print its id."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return confab_cli_usage (context, _("unexpected argument; use the options"));
  if (title == NULL)
    return confab_cli_usage (context, _("--title is required"));
  if ((embed_provider == NULL) != (embed_model == NULL))
    return confab_cli_usage (context, _("--embed-provider and --embed-model go together"));

  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);
  if (owner != NULL)
    {
      owner_id = lookup_user_id (cli->db, owner, &error);
      if (owner_id == NULL)
        return confab_cli_fail (error);
    }

  kb = confab_knowledge_base_new (title);
  confab_knowledge_base_set_description (kb, description);
  confab_knowledge_base_set_owner_id (kb, owner_id);
  if (embed_provider != NULL && !set_embedding (cli, kb, embed_provider, embed_model, &error))
    return confab_cli_fail (error);
  if (!confab_repository_create (cli->db, CONFAB_ENTITY (kb), NULL, &error))
    return confab_cli_fail (error);
  g_print ("%s\n", id_of (kb));
  return CONFAB_CLI_OK;
}

static int
kb_list (ConfabCli  *cli,
         int         argc,
         char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonBuilder) builder = NULL;
  g_autoptr (GPtrArray) kbs = NULL;
  gboolean json = FALSE;
  int status;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON array"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("List the knowledge bases of the workspace: "
                                  "id, title, documents, chunks."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return confab_cli_usage (context, _("kb list takes no arguments"));

  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);
  kbs = confab_repository_list (cli->db, CONFAB_TYPE_KNOWLEDGE_BASE, NULL, NULL, &error);
  if (kbs == NULL)
    return confab_cli_fail (error);

  if (json)
    {
      builder = json_builder_new ();
      json_builder_begin_array (builder);
    }
  for (guint i = 0; i < kbs->len; i++)
    {
      ConfabKnowledgeBase *kb = g_ptr_array_index (kbs, i);
      gint64 documents, chunks;

      documents = confab_repository_count (cli->db, CONFAB_TYPE_DOCUMENT, "knowledge_base_id",
                                           id_of (kb), &error);
      if (documents < 0)
        return confab_cli_fail (error);
      chunks = confab_repository_count (cli->db, CONFAB_TYPE_CHUNK, "knowledge_base_id",
                                        id_of (kb), &error);
      if (chunks < 0)
        return confab_cli_fail (error);

      if (json)
        {
          const char *description = confab_knowledge_base_get_description (kb);
          const char *owner_id = confab_knowledge_base_get_owner_id (kb);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_string_value (builder, id_of (kb));
          json_builder_set_member_name (builder, "title");
          json_builder_add_string_value (builder, confab_knowledge_base_get_title (kb));
          json_builder_set_member_name (builder, "description");
          if (description != NULL)
            json_builder_add_string_value (builder, description);
          else
            json_builder_add_null_value (builder);
          json_builder_set_member_name (builder, "owner_id");
          if (owner_id != NULL)
            json_builder_add_string_value (builder, owner_id);
          else
            json_builder_add_null_value (builder);
          json_builder_set_member_name (builder, "is_active");
          json_builder_add_boolean_value (builder, confab_knowledge_base_get_is_active (kb));
          json_builder_set_member_name (builder, "embedding_provider_id");
          if (confab_knowledge_base_get_embedding_provider_id (kb) != NULL)
            json_builder_add_string_value (builder,
                                           confab_knowledge_base_get_embedding_provider_id (kb));
          else
            json_builder_add_null_value (builder);
          json_builder_set_member_name (builder, "embedding_model");
          if (confab_knowledge_base_get_embedding_model (kb) != NULL)
            json_builder_add_string_value (builder, confab_knowledge_base_get_embedding_model (kb));
          else
            json_builder_add_null_value (builder);
          json_builder_set_member_name (builder, "documents");
          json_builder_add_int_value (builder, documents);
          json_builder_set_member_name (builder, "chunks");
          json_builder_add_int_value (builder, chunks);
          json_builder_end_object (builder);
        }
      else
        {
          g_autofree char *n_documents = g_strdup_printf ("%" G_GINT64_FORMAT, documents);
          g_autofree char *n_chunks = g_strdup_printf ("%" G_GINT64_FORMAT, chunks);

          confab_cli_print_row (id_of (kb), CONFAB_CLI_STR (confab_knowledge_base_get_title (kb)),
                                n_documents, n_chunks, NULL);
        }
    }
  if (json)
    {
      json_builder_end_array (builder);
      print_json (builder);
    }
  return CONFAB_CLI_OK;
}

static int
kb_import (ConfabCli  *cli,
           int         argc,
           char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("KB FILE…"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabKnowledgeBase) kb = NULL;
  int status;
  int result = CONFAB_CLI_OK;

  g_option_context_set_summary (context,
                                _("Add .txt, .md, .html and .pdf files to a knowledge base, "
                                  "given by id or title, and index them. Prints one line per "
                                  "file; exits with 1 when any file failed. With an embedding "
                                  "provider, the passages' vectors are made too; a file whose "
                                  "vectors could not be made is still indexed (and searched by "
                                  "its words): a warning says so."));
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc < 3)
    return confab_cli_usage (context, _("kb import needs a knowledge base and at least one file"));

  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);
  kb = lookup_kb (cli->db, argv[1], &error);
  if (kb == NULL)
    return confab_cli_fail (error);

  for (int i = 2; i < argc; i++)
    {
      g_autoptr (GFile) file = g_file_new_for_commandline_arg (argv[i]);
      g_autoptr (ConfabDocument) document = NULL;
      g_autoptr (GError) import_error = NULL;
      g_autoptr (GError) embed_warning = NULL;
      gint64 chunks;

      document = confab_knowledge_import_file_sync_with_warning (cli->db, id_of (kb), file, NULL,
                                                                 &embed_warning, &import_error);
      if (embed_warning != NULL)
        /* Translators: a file name, then a warning. */
        g_printerr (_("%s: warning: %s\n"), argv[i], embed_warning->message);
      if (document == NULL)
        {
          g_printerr ("%s: %s\n", argv[i], import_error->message);
          result = CONFAB_CLI_ERROR;
          continue;
        }
      chunks = confab_repository_count (cli->db, CONFAB_TYPE_CHUNK, "document_id",
                                        id_of (document), &import_error);
      if (chunks < 0)
        {
          g_printerr ("%s: %s\n", argv[i], import_error->message);
          result = CONFAB_CLI_ERROR;
          continue;
        }
      g_print (ngettext ("%s: indexed %u chunk\n", "%s: indexed %u chunks\n", (gulong) chunks),
               argv[i], (guint) chunks);
    }
  return result;
}

static int
kb_search (ConfabCli  *cli,
           int         argc,
           char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("KB|--all QUERY…"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabKnowledgeBase) kb = NULL;
  g_autoptr (GPtrArray) hits = NULL;
  g_autofree char *limit_text = NULL;
  g_autofree char *query = NULL;
  gint64 limit = DEFAULT_SEARCH_LIMIT;
  gboolean all = FALSE;
  gboolean json = FALSE;
  int status;
  GOptionEntry entries[] = {
    { "all", 'a', 0, G_OPTION_ARG_NONE, &all,
      N_("Search every knowledge base instead of one"), NULL },
    { "limit", 'n', 0, G_OPTION_ARG_STRING, &limit_text,
      N_("The most passages to print (default: 5)"), N_("N") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print a JSON array, with the whole text of each passage"), NULL },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Search a knowledge base, given by id or title, and print "
                                  "the best passages: rank, file name, snippet."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc < (all ? 2 : 3))
    return confab_cli_usage (context,
                             all ? _("kb search --all needs a query")
                                 : _("kb search needs a knowledge base and a query"));
  if (limit_text != NULL &&
      !g_ascii_string_to_signed (limit_text, 10, 1, MAX_SEARCH_LIMIT, &limit, NULL))
    {
      g_autofree char *message =
        g_strdup_printf (_("“%s” is not a number from 1 to %d (--limit)"), limit_text,
                         MAX_SEARCH_LIMIT);
      return confab_cli_usage (context, message);
    }
  /* Words after the knowledge base are one query, quoted or not. */
  query = g_strjoinv (" ", argv + (all ? 1 : 2));

  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);
  {
    const char *ids[2] = { NULL, NULL };
    g_autoptr (GAsyncResult) result = NULL;
    g_autoptr (GError) vector_warning = NULL;
    gboolean used_vectors = FALSE;

    if (!all)
      {
        kb = lookup_kb (cli->db, argv[1], &error);
        if (kb == NULL)
          return confab_cli_fail (error);
        ids[0] = id_of (kb);
      }
    confab_knowledge_retrieve_async (cli->db, NULL, all ? NULL : ids, query, (guint) limit, NULL,
                                     on_async_done, &result);
    hits = confab_knowledge_retrieve_finish (wait_for (&result), &used_vectors, &vector_warning,
                                             &error);
    if (hits == NULL)
      return confab_cli_fail (error);

    /* On standard error, so the passages on standard output stay as they are. */
    if (used_vectors)
      g_printerr ("%s\n", _("Ranked by words and by meaning (embeddings)"));
    else
      g_printerr ("%s\n", _("Ranked by words only (no embeddings used)"));
    if (vector_warning != NULL)
      g_printerr (_("Note: %s\n"), vector_warning->message);
  }

  if (json)
    {
      g_autoptr (JsonBuilder) builder = json_builder_new ();

      json_builder_begin_array (builder);
      for (guint i = 0; i < hits->len; i++)
        {
          ConfabRetrievedChunk *hit = g_ptr_array_index (hits, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "rank");
          json_builder_add_int_value (builder, hit->rank);
          json_builder_set_member_name (builder, "chunk_id");
          json_builder_add_string_value (builder, hit->chunk_id);
          json_builder_set_member_name (builder, "document_id");
          json_builder_add_string_value (builder, hit->document_id);
          json_builder_set_member_name (builder, "knowledge_base_id");
          json_builder_add_string_value (builder, hit->knowledge_base_id);
          json_builder_set_member_name (builder, "filename");
          json_builder_add_string_value (builder, hit->filename);
          json_builder_set_member_name (builder, "ordinal");
          json_builder_add_int_value (builder, hit->ordinal);
          json_builder_set_member_name (builder, "snippet");
          json_builder_add_string_value (builder, hit->snippet);
          json_builder_set_member_name (builder, "text");
          json_builder_add_string_value (builder, hit->text);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      print_json (builder);
      return CONFAB_CLI_OK;
    }

  for (guint i = 0; i < hits->len; i++)
    {
      ConfabRetrievedChunk *hit = g_ptr_array_index (hits, i);
      g_autofree char *rank = g_strdup_printf ("%u", hit->rank);

      confab_cli_print_row (rank, hit->filename, hit->snippet, NULL);
    }
  return CONFAB_CLI_OK;
}

static void
on_embed_progress (guint    n_done,
                   guint    n_total,
                   gpointer user_data)
{
  g_printerr (ngettext ("Embedded %u of %u passage\n", "Embedded %u of %u passages\n", n_total),
              n_done, n_total);
}

static int
kb_embed (ConfabCli  *cli,
          int         argc,
          char      **argv)
{
  g_autoptr (GOptionContext) context = g_option_context_new (_("KB"));
  g_autoptr (GError) error = NULL;
  g_autoptr (ConfabKnowledgeBase) kb = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autofree char *provider = NULL;
  g_autofree char *model = NULL;
  guint n = 0;
  int status;
  GOptionEntry entries[] = {
    { "provider", 'p', 0, G_OPTION_ARG_STRING, &provider,
      N_("First set the embedding provider, by id or name (with --model)"), N_("PROVIDER") },
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model,
      N_("First set the embedding model; passages with another model's vector are "
         "embedded again"), N_("MODEL") },
    { NULL }
  };

  g_option_context_set_summary (context,
                                _("Make the vectors a knowledge base, given by id or title, is "
                                  "missing for its embedding model: passages without one, or with "
                                  "another model's. Progress goes to standard error; what was "
                                  "made before a failure is kept."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!confab_cli_parse_strict (context, &argc, &argv, &status))
    return status;
  if (argc != 2)
    return confab_cli_usage (context, _("kb embed needs one knowledge base"));
  if (provider != NULL && model == NULL)
    return confab_cli_usage (context, _("--provider needs --model"));

  if (confab_cli_open (cli, &error) == NULL)
    return confab_cli_fail (error);
  kb = lookup_kb (cli->db, argv[1], &error);
  if (kb == NULL)
    return confab_cli_fail (error);

  if (provider != NULL || model != NULL)
    {
      if (provider != NULL && !set_embedding (cli, kb, provider, model, &error))
        return confab_cli_fail (error);
      if (provider == NULL)
        confab_knowledge_base_set_embedding_model (kb, model);
      if (!confab_repository_update (cli->db, CONFAB_ENTITY (kb), NULL, &error))
        return confab_cli_fail (error);
    }

  confab_knowledge_embed_async (cli->db, NULL, id_of (kb), NULL, on_embed_progress, NULL,
                                on_async_done, &result);
  if (!confab_knowledge_embed_finish (wait_for (&result), &n, &error))
    {
      if (n > 0)
        g_printerr (ngettext ("%u passage got its vector before the error; the next kb embed "
                              "goes on from there\n",
                              "%u passages got their vectors before the error; the next kb "
                              "embed goes on from there\n",
                              n),
                    n);
      return confab_cli_fail (error);
    }
  g_print (ngettext ("%s: embedded %u passage with %s\n", "%s: embedded %u passages with %s\n", n),
           confab_knowledge_base_get_title (kb), n, confab_knowledge_base_get_embedding_model (kb));
  return CONFAB_CLI_OK;
}

int
confab_cli_kb (ConfabCli  *cli,
               int         argc,
               char      **argv)
{
  static const char * const names[] = { "create", "list", "import", "search", "embed", NULL };
  static const ConfabCliCommand commands[] = { kb_create, kb_list, kb_import, kb_search,
                                               kb_embed };

  return confab_cli_dispatch (cli, "kb", names, commands,
                              _("Commands:\n"
                                "  create   Create a knowledge base\n"
                                "  list     List the knowledge bases\n"
                                "  import   Add files to a knowledge base and index them\n"
                                "  search   Search one or every knowledge base\n"
                                "  embed    Make the passages' missing vectors"),
                              argc, argv);
}
