#pragma once

#include "confab-llm-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_OPENAI_CLIENT (confab_openai_client_get_type ())

/* The OpenAI chat completions wire format, which OpenAI, Ollama (/v1),
 * llama.cpp server, LM Studio, vLLM and OpenRouter all speak:
 * POST {base-url}/chat/completions (SSE with stream: true) and
 * GET {base-url}/models. The key goes in "Authorization: Bearer", and only
 * when one is set: local servers need none. */
G_DECLARE_FINAL_TYPE (ConfabOpenaiClient, confab_openai_client, CONFAB, OPENAI_CLIENT, ConfabLlmClient)

ConfabLlmClient *confab_openai_client_new (const char *provider_name,
                                           const char *base_url,
                                           const char *api_key);

G_END_DECLS
