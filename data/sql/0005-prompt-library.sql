-- Confab workspace schema, version 5: the prompt library's test cases and runs.
--
-- A test case is a saved set of variables (a JSON object of text values), an
-- input and assertions (a JSON array of {"type", "value"} objects, checked by
-- confab-prompt-test-case.c) that every run of the case is judged by.
CREATE TABLE prompt_test_cases (
  id          TEXT PRIMARY KEY,
  prompt_id   TEXT NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
  name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  variables   TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(variables) AND json_type(variables) = 'object'),
  input       TEXT NOT NULL DEFAULT '',
  assertions  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(assertions) AND json_type(assertions) = 'array'),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  UNIQUE (prompt_id, name)
);

-- One run of a prompt version: by a model (provider_id, model) or, offline,
-- by a rule-based agent (agent_id, model 'rules'). Saved once it is over.
-- passed is NULL for a run that no test case judged, else 0 or 1; the
-- judgement of each assertion is in assertion_results (a JSON array).
CREATE TABLE prompt_runs (
  id                 TEXT PRIMARY KEY,
  prompt_id          TEXT NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
  version_id         TEXT NOT NULL REFERENCES prompt_versions (id) ON DELETE CASCADE,
  provider_id        TEXT REFERENCES providers (id) ON DELETE SET NULL,
  agent_id           TEXT REFERENCES agents (id) ON DELETE SET NULL,
  model              TEXT,
  variables          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(variables) AND json_type(variables) = 'object'),
  input              TEXT NOT NULL DEFAULT '',
  output             TEXT NOT NULL DEFAULT '',
  status             TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'error', 'cancelled')),
  error              TEXT,
  tokens_in          INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
  tokens_out         INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
  latency_ms         INTEGER NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
  test_case_id       TEXT REFERENCES prompt_test_cases (id) ON DELETE SET NULL,
  passed             INTEGER CHECK (passed IS NULL OR passed IN (0, 1)),
  assertion_results  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(assertion_results) AND json_type(assertion_results) = 'array'),
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL
);
CREATE INDEX prompt_runs_prompt_idx ON prompt_runs (prompt_id, created_at);
CREATE INDEX prompt_runs_version_idx ON prompt_runs (version_id);
CREATE INDEX prompt_runs_test_case_idx ON prompt_runs (test_case_id);
CREATE INDEX prompt_runs_agent_idx ON prompt_runs (agent_id);
