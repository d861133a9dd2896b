#pragma once

#include "confab-llm-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_ANTHROPIC_CLIENT (confab_anthropic_client_get_type ())

/* The Anthropic Messages API: POST {base-url}/messages (SSE with
 * stream: true) and GET {base-url}/models, with a base URL such as
 * "https://api.anthropic.com/v1". The key goes in "x-api-key", and only when
 * one is set; every request carries "anthropic-version". The system prompt
 * is the body's own "system" field, and "max_tokens", which the API
 * requires, is the request's or CONFAB_ANTHROPIC_CLIENT_DEFAULT_MAX_TOKENS. */
G_DECLARE_FINAL_TYPE (ConfabAnthropicClient, confab_anthropic_client, CONFAB, ANTHROPIC_CLIENT, ConfabLlmClient)

#define CONFAB_ANTHROPIC_CLIENT_API_VERSION        "2023-06-01"
#define CONFAB_ANTHROPIC_CLIENT_DEFAULT_MAX_TOKENS 1024

ConfabLlmClient *confab_anthropic_client_new (const char *provider_name,
                                              const char *base_url,
                                              const char *api_key);

G_END_DECLS
