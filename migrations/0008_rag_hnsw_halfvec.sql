-- Up Migration
-- The HNSW index on chunk embeddings is rebuilt over the embeddings cast to halfvec (half precision); the
-- column keeps full precision, and searches rank their candidates by the full-precision distance.
-- Maintaining HNSW is nearly all of an ingest's database work, and half-size vectors make it cheaper.
-- The rebuild holds a write lock on rag_chunks while it runs (migrations run in one transaction); searches
-- go on. At the time of writing no environment holds more than test data.
DROP INDEX rag_chunks_embedding_hnsw;
CREATE INDEX rag_chunks_embedding_hnsw ON rag_chunks USING hnsw ((embedding::halfvec(768)) halfvec_cosine_ops);
