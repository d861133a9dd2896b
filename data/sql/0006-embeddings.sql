-- Confab workspace schema, version 6: optional embeddings for knowledge retrieval.
--
-- A knowledge base may name a provider and a model that turn text into
-- vectors; its chunks then keep one vector each (chunks.embedding, float32
-- little-endian) with the model that made it. A vector made by another model
-- than the knowledge base's current one is not used (and is replaced by the
-- next embedding run). Deleting the provider keeps the vectors and the model
-- name, so choosing a provider again costs nothing.
ALTER TABLE knowledge_bases ADD COLUMN embedding_provider_id TEXT REFERENCES providers (id) ON DELETE SET NULL;
ALTER TABLE knowledge_bases ADD COLUMN embedding_model TEXT;
CREATE INDEX knowledge_bases_embedding_provider_idx ON knowledge_bases (embedding_provider_id);

ALTER TABLE chunks ADD COLUMN embedding_model TEXT;

-- A vector is of a text: a chunk whose text changes in place loses it (a
-- document indexed again gets new chunks, which have none yet anyway).
CREATE TRIGGER chunks_embedding_stale AFTER UPDATE OF text ON chunks
WHEN old.text IS NOT new.text BEGIN
  UPDATE chunks SET embedding = NULL, embedding_model = NULL WHERE rowid = new.rowid;
END;
