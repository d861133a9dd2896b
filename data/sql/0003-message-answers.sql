-- Confab workspace schema, version 3: what produced an agent's reply, so a
-- rule-based or hybrid agent can count the fallback answers it gave in a row
-- (after two misses it offers a person) and a conversation can show which
-- rule spoke. answered_by: 'rule' (a rule matched), 'fallback' (no rule
-- matched, or the model failed and the rule set's answer was given instead),
-- 'model' (an LLM wrote it); NULL for people's messages and older rows.
-- rule_name: the rule that matched, for 'rule' answers and handoffs.
ALTER TABLE messages ADD COLUMN answered_by TEXT CHECK (answered_by IS NULL OR answered_by IN ('rule', 'fallback', 'model'));
ALTER TABLE messages ADD COLUMN rule_name TEXT;
