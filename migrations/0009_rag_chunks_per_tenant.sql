-- Up Migration
-- rag_chunks becomes a table partitioned by tenant: one partition per tenant, created on the tenant's
-- first ingest (shared/rag/partitions.ts), each with its own HNSW graph, GIN and b-tree indexes.
--  * A tenant's first big ingest loads its chunks into a table without indexes, builds them once (the HNSW
--    build is several times cheaper than as many inserts into a live graph) and attaches the table as the
--    tenant's partition, with its documents, in one transaction (shared/rag/bulk-load.ts).
--  * A search names its tenant, so the planner reads that tenant's partition only: the HNSW scan no
--    longer walks other tenants' chunks and filters them out.
-- Partition names are derived from the tenant id (rag_chunks_t_ + 16 hex digits of its sha256), never
-- from its text, so any valid tenant id makes a valid, fixed-length name.
ALTER TABLE rag_chunks RENAME TO rag_chunks_before_0009;
ALTER INDEX rag_chunks_pkey RENAME TO rag_chunks_before_0009_pkey;
ALTER INDEX rag_chunks_document_idx RENAME TO rag_chunks_before_0009_document_idx;
ALTER INDEX rag_chunks_tenant_corpus_idx RENAME TO rag_chunks_before_0009_tenant_corpus_idx;
ALTER INDEX rag_chunks_embedding_hnsw RENAME TO rag_chunks_before_0009_embedding_hnsw;
ALTER INDEX rag_chunks_tsv_gin RENAME TO rag_chunks_before_0009_tsv_gin;
ALTER TABLE rag_chunks_before_0009 RENAME CONSTRAINT rag_chunks_document_id_fkey TO rag_chunks_before_0009_document_id_fkey;

CREATE TABLE rag_chunks (
  id            uuid NOT NULL,
  document_id   uuid NOT NULL REFERENCES rag_documents (id) ON DELETE CASCADE,
  -- Denormalised from the document so every search filters without a join; the partition key.
  tenant_id     text NOT NULL,
  corpus        text NOT NULL,
  -- Order of the chunk in its document, and the headings above it: what a citation points at.
  position      integer NOT NULL,
  heading_path  text[] NOT NULL DEFAULT '{}',
  page          integer,
  text          text NOT NULL,
  token_count   integer NOT NULL,
  embedding     vector(768) NOT NULL,
  tsv           tsvector NOT NULL,
  PRIMARY KEY (tenant_id, id)
) PARTITION BY LIST (tenant_id);
-- Partitions are created WITH (toast_tuple_target = 8160): a chunk row (3 KB vector + text + tsvector)
-- stays inline, since searches read the vector and the tsvector of many rows (a partitioned table itself
-- takes no storage parameters).
CREATE INDEX rag_chunks_document_idx ON rag_chunks (document_id, position);
CREATE INDEX rag_chunks_tenant_corpus_idx ON rag_chunks (tenant_id, corpus);
-- As migration 0008: HNSW over the embeddings as halfvec; pgvector's defaults (m = 16, ef_construction = 64).
CREATE INDEX rag_chunks_embedding_hnsw ON rag_chunks USING hnsw ((embedding::halfvec(768)) halfvec_cosine_ops);
CREATE INDEX rag_chunks_tsv_gin ON rag_chunks USING gin (tsv);

DO $$
DECLARE t text;
BEGIN
  FOR t IN SELECT DISTINCT tenant_id FROM rag_chunks_before_0009 LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF rag_chunks FOR VALUES IN (%L) WITH (toast_tuple_target = 8160)',
                   'rag_chunks_t_' || left(encode(sha256(convert_to(t, 'UTF8')), 'hex'), 16), t);
  END LOOP;
END $$;
INSERT INTO rag_chunks (id, document_id, tenant_id, corpus, position, heading_path, page, text, token_count, embedding, tsv)
SELECT id, document_id, tenant_id, corpus, position, heading_path, page, text, token_count, embedding, tsv FROM rag_chunks_before_0009;
DROP TABLE rag_chunks_before_0009;
