#pragma once

#include "confab-llm-client.h"

G_BEGIN_DECLS

#define CONFAB_TYPE_GEMINI_CLIENT (confab_gemini_client_get_type ())

/* The Google Gemini API, with a base URL such as
 * "https://generativelanguage.googleapis.com/v1beta":
 * POST {base-url}/models/{model}:streamGenerateContent?alt=sse (SSE, one
 * GenerateContentResponse per event, no terminator: the reply is complete
 * with the event that carries a finishReason),
 * POST {base-url}/models/{model}:generateContent when not streaming, and
 * GET {base-url}/models. The key goes in the "x-goog-api-key" header, only
 * when one is set, and never in the URL. A model may be given as "gemini-x",
 * "models/gemini-x" or "tunedModels/x". */
G_DECLARE_FINAL_TYPE (ConfabGeminiClient, confab_gemini_client, CONFAB, GEMINI_CLIENT, ConfabLlmClient)

ConfabLlmClient *confab_gemini_client_new (const char *provider_name,
                                           const char *base_url,
                                           const char *api_key);

G_END_DECLS
