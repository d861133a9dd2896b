#define G_LOG_DOMAIN "confab-core"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "confab-error.h"
#include "confab-provider.h"
#include "confab-repository.h"
#include "confab-util.h"

struct _ConfabProvider
{
  ConfabEntity parent_instance;
};

G_DEFINE_FINAL_TYPE (ConfabProvider, confab_provider, CONFAB_TYPE_ENTITY)

enum {
  PROP_0,
  PROP_NAME,
  PROP_KIND,
  PROP_BASE_URL,
  PROP_DEFAULT_MODEL,
  PROP_CONTEXT_WINDOW,
  PROP_SUPPORTS_STREAMING,
  PROP_IDLE_TIMEOUT_S,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

const char * const confab_provider_kinds[] = {
  "openai_compatible", "openai", "anthropic", "gemini", "ollama", NULL
};

/* Deleting a provider sets these rows' provider_id to NULL. */
static const char * const dependent_tables[] = { "agents", "prompt_versions", NULL };

static gboolean
check_base_url (const char  *base_url,
                GError     **error)
{
  g_autoptr (GUri) uri = NULL;
  const char *scheme;
  const char *host;

  if (base_url != NULL && *base_url != '\0')
    uri = g_uri_parse (base_url, G_URI_FLAGS_NONE, NULL);
  if (uri != NULL)
    {
      scheme = g_uri_get_scheme (uri);
      host = g_uri_get_host (uri);
      if ((g_ascii_strcasecmp (scheme, "http") == 0 || g_ascii_strcasecmp (scheme, "https") == 0) &&
          host != NULL && *host != '\0')
        return TRUE;
    }

  g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
               _("“%s” is not a valid base URL: it must be an absolute http:// or "
                 "https:// address"),
               base_url ? base_url : "");
  return FALSE;
}

static gboolean
confab_provider_validate (ConfabEntity    *entity,
                          ConfabDatabase  *db,
                          GError         **error)
{
  ConfabProvider *self = CONFAB_PROVIDER (entity);
  const char *name = confab_provider_get_name (self);
  int context_window = confab_provider_get_context_window (self);
  int idle_timeout_s = confab_provider_get_idle_timeout_s (self);
  g_autoptr (GError) local_error = NULL;

  if (!confab_check_text (_("name"), name, 1, 100, error) ||
      !confab_check_enum (_("provider kind"), confab_provider_get_kind (self),
                          confab_provider_kinds, error) ||
      !check_base_url (confab_provider_get_base_url (self), error) ||
      !confab_check_text (_("default model"), confab_provider_get_default_model (self),
                          0, 200, error))
    return FALSE;

  if (context_window <= 0)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The context window must be a positive number of tokens, not %d"),
                   context_window);
      return FALSE;
    }

  if (idle_timeout_s < CONFAB_PROVIDER_MIN_IDLE_TIMEOUT_S ||
      idle_timeout_s > CONFAB_PROVIDER_MAX_IDLE_TIMEOUT_S)
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_INVALID,
                   _("The idle timeout must be between %d and %d seconds, not %d"),
                   CONFAB_PROVIDER_MIN_IDLE_TIMEOUT_S, CONFAB_PROVIDER_MAX_IDLE_TIMEOUT_S,
                   idle_timeout_s);
      return FALSE;
    }

  /* Checked here so a duplicate is a CONFLICT naming the value; the UNIQUE
   * index still guards concurrent writers. */
  if (confab_repository_exists (db, "providers", "name", name,
                                confab_entity_get_id (entity), &local_error))
    {
      g_set_error (error, CONFAB_ERROR, CONFAB_ERROR_CONFLICT,
                   _("The name “%s” is already used by another provider"), name);
      return FALSE;
    }
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

static void
confab_provider_class_init (ConfabProviderClass *klass)
{
  ConfabEntityClass *entity_class = CONFAB_ENTITY_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY |
                            G_PARAM_STATIC_STRINGS | CONFAB_PARAM_COLUMN;

  entity_class->table = "providers";
  entity_class->entity_name = "provider";
  entity_class->label = N_("provider");
  entity_class->default_order = "name COLLATE NOCASE, id";
  entity_class->dependent_tables = dependent_tables;
  entity_class->validate = confab_provider_validate;

  properties[PROP_NAME] =
    g_param_spec_string ("name", N_("name"), NULL, NULL, flags);
  properties[PROP_KIND] =
    g_param_spec_string ("kind", N_("provider kind"), NULL, "openai_compatible", flags);
  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", N_("base URL"), NULL, NULL, flags);
  properties[PROP_DEFAULT_MODEL] =
    g_param_spec_string ("default-model", N_("default model"), NULL, NULL, flags);
  /* The range is left wide on purpose: validate() refuses bad values with a
   * message people can read, where a pspec range would only warn. */
  properties[PROP_CONTEXT_WINDOW] =
    g_param_spec_int ("context-window", N_("context window"), NULL,
                      G_MININT, G_MAXINT, 8192, flags);
  properties[PROP_SUPPORTS_STREAMING] =
    g_param_spec_boolean ("supports-streaming", N_("streaming"), NULL, TRUE, flags);
  /* Seconds a reply may stay silent (before its first byte or between two
   * chunks) before the request fails; slow local models need more. */
  properties[PROP_IDLE_TIMEOUT_S] =
    g_param_spec_int ("idle-timeout-s", N_("idle timeout"), NULL,
                      G_MININT, G_MAXINT, CONFAB_PROVIDER_DEFAULT_IDLE_TIMEOUT_S, flags);
  confab_entity_class_install_columns (entity_class, N_PROPS, properties);
}

static void
confab_provider_init (ConfabProvider *self)
{
}

ConfabProvider *
confab_provider_new (const char *name,
                     const char *kind,
                     const char *base_url)
{
  return g_object_new (CONFAB_TYPE_PROVIDER,
                       "name", name,
                       "kind", kind ? kind : "openai_compatible",
                       "base-url", base_url,
                       NULL);
}

CONFAB_DEFINE_STRING_ACCESSORS (confab_provider, ConfabProvider, name, properties[PROP_NAME])
CONFAB_DEFINE_STRING_ACCESSORS (confab_provider, ConfabProvider, kind, properties[PROP_KIND])
CONFAB_DEFINE_STRING_ACCESSORS (confab_provider, ConfabProvider, base_url,
                                properties[PROP_BASE_URL])
CONFAB_DEFINE_STRING_ACCESSORS (confab_provider, ConfabProvider, default_model,
                                properties[PROP_DEFAULT_MODEL])
CONFAB_DEFINE_INT_ACCESSORS (confab_provider, ConfabProvider, context_window, int,
                             properties[PROP_CONTEXT_WINDOW])
CONFAB_DEFINE_BOOLEAN_ACCESSORS (confab_provider, ConfabProvider, supports_streaming,
                                 properties[PROP_SUPPORTS_STREAMING])
CONFAB_DEFINE_INT_ACCESSORS (confab_provider, ConfabProvider, idle_timeout_s, int,
                             properties[PROP_IDLE_TIMEOUT_S])

/**
 * confab_provider_check_base_url:
 * @base_url: (nullable): what a person typed
 * @error: return location for a #GError
 *
 * The check a provider's base URL gets when it is saved, for editors that
 * validate as people type: an absolute http:// or https:// address.
 *
 * Returns: %TRUE when @base_url would be accepted
 */
gboolean
confab_provider_check_base_url (const char  *base_url,
                                GError     **error)
{
  return check_base_url (base_url, error);
}
