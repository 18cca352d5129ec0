-- Up Migration
-- RAG: documents ingested by the rag-ingestor job and their chunks, searched by the orchestrator with
-- pgvector (HNSW, cosine) and Postgres full-text search (GIN), always within one tenant and corpus.
CREATE TABLE rag_documents (
  id              uuid PRIMARY KEY,
  tenant_id       text NOT NULL,
  -- A named collection of the tenant: 'policies', 'faq', …
  corpus          text NOT NULL,
  -- Where the document came from (file:///…, gs://bucket/object); its identity within the corpus.
  source_uri      text NOT NULL,
  title           text NOT NULL,
  -- sha256 of the source bytes: an unchanged document is skipped on the next run.
  content_hash    text NOT NULL,
  -- Chunker version + embedding model: a change re-embeds even an unchanged document.
  pipeline        text NOT NULL,
  chunk_count     integer NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, corpus, source_uri)
);

CREATE TABLE rag_chunks (
  id            uuid PRIMARY KEY,
  document_id   uuid NOT NULL REFERENCES rag_documents (id) ON DELETE CASCADE,
  -- Denormalised from the document so every search filters without a join.
  tenant_id     text NOT NULL,
  corpus        text NOT NULL,
  -- Order of the chunk in its document, and the headings above it: what a citation points at.
  position      integer NOT NULL,
  heading_path  text[] NOT NULL DEFAULT '{}',
  page          integer,
  text          text NOT NULL,
  token_count   integer NOT NULL,
  embedding     vector(768) NOT NULL,
  tsv           tsvector NOT NULL
)
-- A chunk row (3 KB vector + text + tsvector) stays inline: searches read the vector and the tsvector of
-- many rows, and compressing or moving them out of line (TOAST, from 2 KB by default) costs a detoast each.
WITH (toast_tuple_target = 8160);
CREATE INDEX rag_chunks_document_idx ON rag_chunks (document_id, position);
CREATE INDEX rag_chunks_tenant_corpus_idx ON rag_chunks (tenant_id, corpus);
-- pgvector's defaults (m = 16, ef_construction = 64); ef_search is set per query.
CREATE INDEX rag_chunks_embedding_hnsw ON rag_chunks USING hnsw (embedding vector_cosine_ops);
CREATE INDEX rag_chunks_tsv_gin ON rag_chunks USING gin (tsv);
