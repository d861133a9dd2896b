-- Confab workspace schema, version 1.
-- Ids are UUID v4 text; timestamps ISO-8601 UTC text (ordering by text = by time).
-- Booleans are 0/1 integers; JSON columns are checked with json_valid().

CREATE TABLE workspace (
  key   TEXT PRIMARY KEY,
  value TEXT
);

CREATE TABLE users (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL DEFAULT '',
  username    TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 3 AND 30),
  email       TEXT NOT NULL UNIQUE COLLATE NOCASE,
  role        TEXT NOT NULL DEFAULT 'client' CHECK (role IN ('admin', 'operator', 'client')),
  sector      TEXT,
  persona     TEXT,
  is_active   INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX users_role_idx ON users (role);

CREATE TABLE providers (
  id                  TEXT PRIMARY KEY,
  name                TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  kind                TEXT NOT NULL CHECK (kind IN ('openai_compatible', 'openai', 'anthropic', 'gemini', 'ollama')),
  base_url            TEXT NOT NULL,
  default_model       TEXT,
  context_window      INTEGER NOT NULL DEFAULT 8192 CHECK (context_window > 0),
  supports_streaming  INTEGER NOT NULL DEFAULT 1 CHECK (supports_streaming IN (0, 1)),
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL
);

CREATE TABLE prompts (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  description  TEXT,
  tags         TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(tags) AND json_type(tags) = 'array'),
  owner_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);

CREATE TABLE prompt_versions (
  id           TEXT PRIMARY KEY,
  prompt_id    TEXT NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
  version      INTEGER NOT NULL CHECK (version >= 1),
  body         TEXT NOT NULL,
  variables    TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(variables)),
  message      TEXT,
  author_id    TEXT REFERENCES users (id) ON DELETE SET NULL,
  provider_id  TEXT REFERENCES providers (id) ON DELETE SET NULL,
  model        TEXT,
  temperature  REAL CHECK (temperature IS NULL OR temperature BETWEEN 0 AND 2),
  max_tokens   INTEGER CHECK (max_tokens IS NULL OR max_tokens > 0),
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  UNIQUE (prompt_id, version)
);

-- Versions never change once saved; history is only ever appended to.
CREATE TRIGGER prompt_versions_immutable BEFORE UPDATE ON prompt_versions
BEGIN
  SELECT RAISE (ABORT, 'prompt versions are immutable');
END;

CREATE TABLE prompt_labels (
  prompt_id   TEXT NOT NULL REFERENCES prompts (id) ON DELETE CASCADE,
  name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64 AND name <> 'latest'),
  version_id  TEXT NOT NULL REFERENCES prompt_versions (id) ON DELETE CASCADE,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (prompt_id, name)
);

CREATE TABLE agents (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description     TEXT,
  type            TEXT NOT NULL DEFAULT 'rule_based' CHECK (type IN ('rule_based', 'llm', 'hybrid')),
  sector          TEXT,
  provider_id     TEXT REFERENCES providers (id) ON DELETE SET NULL,
  model           TEXT,
  temperature     REAL NOT NULL DEFAULT 0.7 CHECK (temperature BETWEEN 0 AND 2),
  max_tokens      INTEGER NOT NULL DEFAULT 1024 CHECK (max_tokens > 0),
  system_prompt   TEXT,
  prompt_id       TEXT REFERENCES prompts (id) ON DELETE SET NULL,
  prompt_label    TEXT,
  prompt_version  INTEGER NOT NULL DEFAULT 0 CHECK (prompt_version >= 0),
  config          TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(config)),
  owner_id        TEXT REFERENCES users (id) ON DELETE SET NULL,
  is_active       INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  created_at      TEXT NOT NULL,
  updated_at      TEXT NOT NULL
);
CREATE INDEX agents_owner_idx ON agents (owner_id);
CREATE INDEX agents_provider_idx ON agents (provider_id);

CREATE TABLE teams (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  description  TEXT,
  mode         TEXT NOT NULL DEFAULT 'router' CHECK (mode IN ('router', 'sequential', 'round_robin')),
  max_turns    INTEGER NOT NULL DEFAULT 1 CHECK (max_turns BETWEEN 1 AND 100),
  owner_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);

CREATE TABLE team_members (
  team_id   TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
  agent_id  TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  position  INTEGER NOT NULL CHECK (position >= 0),
  role      TEXT,
  PRIMARY KEY (team_id, agent_id)
);
CREATE INDEX team_members_agent_idx ON team_members (agent_id);

CREATE TABLE conversations (
  id          TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  agent_id    TEXT REFERENCES agents (id) ON DELETE SET NULL,
  team_id     TEXT REFERENCES teams (id) ON DELETE SET NULL,
  title       TEXT NOT NULL DEFAULT '' CHECK (length(title) <= 255),
  status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived', 'escalated', 'ended')),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
);
CREATE INDEX conversations_user_idx ON conversations (user_id);
CREATE INDEX conversations_updated_idx ON conversations (updated_at);
CREATE INDEX conversations_agent_idx ON conversations (agent_id);
CREATE INDEX conversations_team_idx ON conversations (team_id);

-- seq orders a conversation's messages (0, 1, 2...) so a page of the lazy
-- message list is one index range, whatever the conversation's length.
CREATE TABLE messages (
  id                 TEXT PRIMARY KEY,
  conversation_id    TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  seq                INTEGER NOT NULL CHECK (seq >= 0),
  parent_message_id  TEXT REFERENCES messages (id) ON DELETE SET NULL,
  role               TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'supporter')),
  user_id            TEXT REFERENCES users (id) ON DELETE SET NULL,
  agent_id           TEXT REFERENCES agents (id) ON DELETE SET NULL,
  content            TEXT NOT NULL DEFAULT '',
  source_references  TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(source_references)),
  model              TEXT,
  tokens_in          INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
  tokens_out         INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
  latency_ms         INTEGER NOT NULL DEFAULT 0 CHECK (latency_ms >= 0),
  status             TEXT NOT NULL DEFAULT 'complete' CHECK (status IN ('complete', 'streaming', 'error', 'cancelled')),
  error              TEXT,
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  -- What people write is 1..10,000 characters; model replies may be empty while streaming.
  CHECK (role = 'assistant' OR length(content) BETWEEN 1 AND 10000)
);
CREATE UNIQUE INDEX messages_conversation_seq_idx ON messages (conversation_id, seq);
CREATE INDEX messages_created_idx ON messages (created_at);
CREATE INDEX messages_parent_idx ON messages (parent_message_id);
CREATE INDEX messages_status_idx ON messages (status) WHERE status = 'streaming';

CREATE VIRTUAL TABLE messages_fts USING fts5 (
  content,
  content = 'messages',
  content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
  INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
  INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
  INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
END;

CREATE TABLE knowledge_bases (
  id           TEXT PRIMARY KEY,
  owner_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
  title        TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  description  TEXT,
  is_active    INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL
);
CREATE INDEX knowledge_bases_owner_idx ON knowledge_bases (owner_id);

CREATE TABLE documents (
  id                 TEXT PRIMARY KEY,
  knowledge_base_id  TEXT NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
  filename           TEXT NOT NULL CHECK (length(filename) BETWEEN 1 AND 255),
  content_type       TEXT NOT NULL DEFAULT 'text/plain',
  status             TEXT NOT NULL DEFAULT 'uploaded' CHECK (status IN ('uploaded', 'processing', 'indexed', 'failed')),
  error              TEXT,
  size_bytes         INTEGER NOT NULL DEFAULT 0 CHECK (size_bytes >= 0),
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL
);
CREATE INDEX documents_kb_idx ON documents (knowledge_base_id);

CREATE TABLE chunks (
  id                 TEXT PRIMARY KEY,
  document_id        TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
  knowledge_base_id  TEXT NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
  ordinal            INTEGER NOT NULL CHECK (ordinal >= 0),
  text               TEXT NOT NULL,
  embedding          BLOB,
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL,
  UNIQUE (document_id, ordinal)
);
CREATE INDEX chunks_kb_idx ON chunks (knowledge_base_id);

CREATE VIRTUAL TABLE chunks_fts USING fts5 (
  text,
  content = 'chunks',
  content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER chunks_fts_insert AFTER INSERT ON chunks BEGIN
  INSERT INTO chunks_fts (rowid, text) VALUES (new.rowid, new.text);
END;
CREATE TRIGGER chunks_fts_delete AFTER DELETE ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
END;
CREATE TRIGGER chunks_fts_update AFTER UPDATE OF text ON chunks BEGIN
  INSERT INTO chunks_fts (chunks_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
  INSERT INTO chunks_fts (rowid, text) VALUES (new.rowid, new.text);
END;

CREATE TABLE agent_knowledge (
  agent_id           TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
  knowledge_base_id  TEXT NOT NULL REFERENCES knowledge_bases (id) ON DELETE CASCADE,
  PRIMARY KEY (agent_id, knowledge_base_id)
);
CREATE INDEX agent_knowledge_kb_idx ON agent_knowledge (knowledge_base_id);

CREATE TABLE escalations (
  id               TEXT PRIMARY KEY,
  conversation_id  TEXT NOT NULL UNIQUE REFERENCES conversations (id) ON DELETE CASCADE,
  supporter_id     TEXT REFERENCES users (id) ON DELETE SET NULL,
  reason           TEXT,
  status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'assigned', 'resolved')),
  resolved_at      TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL
);
CREATE INDEX escalations_status_idx ON escalations (status);

-- No foreign keys: the trail outlives the rows it describes.
CREATE TABLE audit_log (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  at         TEXT NOT NULL,
  actor_id   TEXT,
  entity     TEXT NOT NULL,
  entity_id  TEXT,
  action     TEXT NOT NULL,
  details    TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(details))
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);
