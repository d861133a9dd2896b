#pragma once

#include "confab-llm-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_OLLAMA_CLIENT (confab_ollama_client_get_type ())

/* Ollama's native API, with the server root as base URL
 * ("http://127.0.0.1:11434"): POST {base-url}/api/chat, which streams
 * newline-delimited JSON (one object per line, the last with "done": true)
 * or answers with one object when "stream" is false, and
 * GET {base-url}/api/tags for the models. Ollama itself needs no key; one
 * that is set (for an Ollama behind a proxy) goes in "Authorization: Bearer". */
G_DECLARE_FINAL_TYPE (ConfabOllamaClient, confab_ollama_client, CONFAB, OLLAMA_CLIENT, ConfabLlmClient)

ConfabLlmClient *confab_ollama_client_new (const char *provider_name,
                                           const char *base_url,
                                           const char *api_key);

G_END_DECLS
