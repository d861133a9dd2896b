-- Confab workspace schema, version 2: how long a provider may stay silent in
-- the middle of a reply before the request fails (slow local models need more
-- than the 60 s default).
ALTER TABLE providers ADD COLUMN idle_timeout_s INTEGER NOT NULL DEFAULT 60 CHECK (idle_timeout_s BETWEEN 1 AND 3600);
