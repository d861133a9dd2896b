-- Confab workspace schema, version 4: conversation branches, and team settings.
--
-- Messages form a tree through parent_message_id (siblings share a parent:
-- an edited user message, a regenerated reply). Of each set of siblings one
-- is `selected` (the one last shown); the active branch is the path from a
-- first message down through selected messages. `depth` is a message's
-- distance from the first message and `on_path` marks the active branch, so
-- the message list reads a page of the active branch as one range of
-- messages_path_idx, however long the chat and however many branches.
ALTER TABLE messages ADD COLUMN depth INTEGER NOT NULL DEFAULT 0 CHECK (depth >= 0);
ALTER TABLE messages ADD COLUMN selected INTEGER NOT NULL DEFAULT 1 CHECK (selected IN (0, 1));
ALTER TABLE messages ADD COLUMN on_path INTEGER NOT NULL DEFAULT 1 CHECK (on_path IN (0, 1));

-- Until now every message continued the newest one: the newest of each set
-- of siblings is the one that was being shown.
UPDATE messages SET selected = (seq = (
  SELECT MAX (s.seq) FROM messages AS s
  WHERE s.conversation_id = messages.conversation_id
    AND s.parent_message_id IS messages.parent_message_id));

UPDATE messages SET on_path = 0;
WITH RECURSIVE tree (id, depth, on_path) AS (
  SELECT id, 0, selected FROM messages WHERE parent_message_id IS NULL
  UNION ALL
  SELECT m.id, tree.depth + 1, tree.on_path AND m.selected
  FROM messages AS m JOIN tree ON m.parent_message_id = tree.id
)
UPDATE messages SET depth = tree.depth, on_path = tree.on_path
FROM tree WHERE messages.id = tree.id;

CREATE INDEX messages_path_idx ON messages (conversation_id, depth) WHERE on_path = 1;

-- Team settings by mode (JSON object): router "selector" ("rules" or "llm")
-- with "selector_agent_id" (an LLM agent that names the member), round robin
-- "stop_phrase" (a member's reply containing it ends the run).
ALTER TABLE teams ADD COLUMN config TEXT NOT NULL DEFAULT '{}' CHECK (json_valid (config) AND json_type (config) = 'object');
