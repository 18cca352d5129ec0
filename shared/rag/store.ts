import { randomUUID } from 'node:crypto';
import { withTransaction, type Pool, type Queryable } from '../db/index.js';
import { ensureTenantPartition } from './partitions.js';
import { toVectorArrayBinary, TS_CONFIG } from './vector.js';

export interface DocumentKey {
  tenantId: string;
  corpus: string;
  sourceUri: string;
}

export interface StoredDocument {
  id: string;
  sourceUri: string;
  contentHash: string;
  pipeline: string;
}

export interface ChunkRow {
  position: number;
  headingPath: string[];
  page?: number;
  text: string;
  tokenCount: number;
  embedding: readonly number[];
  /** Text indexed for full-text search (chunk with its title and headings). */
  searchText: string;
}

// Rows per INSERT … SELECT FROM unnest(…): one round trip, array parameters instead of 11 × N placeholders.
const INSERT_BATCH = 256;

/** Documents of a tenant's corpus under a source (its URI prefix), keyed by source URI. */
export async function storedDocuments(db: Queryable, tenantId: string, corpus: string, uriPrefix: string): Promise<Map<string, StoredDocument>> {
  const { rows } = await db.query<{ id: string; source_uri: string; content_hash: string; pipeline: string }>(
    `SELECT id, source_uri, content_hash, pipeline FROM rag_documents
      WHERE tenant_id = $1 AND corpus = $2 AND starts_with(source_uri, $3)`,
    [tenantId, corpus, uriPrefix],
  );
  return new Map(rows.map((r) => [r.source_uri, { id: r.id, sourceUri: r.source_uri, contentHash: r.content_hash, pipeline: r.pipeline }]));
}

/**
 * Writes a document and all its chunks in one transaction, replacing any previous version: a query sees
 * either the old chunks or the new ones, never a mix. Returns the document id (kept across versions).
 */
export async function replaceDocument(
  pool: Pool,
  key: DocumentKey,
  doc: { title: string; contentHash: string; pipeline: string },
  chunks: readonly ChunkRow[],
): Promise<string> {
  const vectorOid = await vectorTypeOid(pool);
  await ensureTenantPartition(pool, key.tenantId);
  return withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `INSERT INTO rag_documents (id, tenant_id, corpus, source_uri, title, content_hash, pipeline, chunk_count)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (tenant_id, corpus, source_uri) DO UPDATE
         SET title = EXCLUDED.title, content_hash = EXCLUDED.content_hash, pipeline = EXCLUDED.pipeline,
             chunk_count = EXCLUDED.chunk_count, updated_at = now()
       RETURNING id`,
      [randomUUID(), key.tenantId, key.corpus, key.sourceUri, doc.title, doc.contentHash, doc.pipeline, chunks.length],
    );
    const documentId = rows[0]!.id;
    await tx.query('DELETE FROM rag_chunks WHERE tenant_id = $1 AND document_id = $2', [key.tenantId, documentId]);
    await insertChunks(tx, 'rag_chunks', documentId, key, chunks, vectorOid);
    return documentId;
  });
}

/**
 * Inserts a document's chunks into `table` (rag_chunks, or a bulk load's staging table), INSERT_BATCH rows
 * per statement, the embeddings as one binary `vector[]` parameter (vectorOid: vectorTypeOid).
 */
export async function insertChunks(db: Queryable, table: string, documentId: string, key: Pick<DocumentKey, 'tenantId' | 'corpus'>, chunks: readonly ChunkRow[], vectorOid: number): Promise<void> {
  for (let start = 0; start < chunks.length; start += INSERT_BATCH) {
    const batch = chunks.slice(start, start + INSERT_BATCH);
    await db.query(
      `INSERT INTO ${table} (id, document_id, tenant_id, corpus, position, heading_path, page, text, token_count, embedding, tsv)
       SELECT u.id, $1, $2, $3, u.position, ARRAY(SELECT jsonb_array_elements_text(u.heading::jsonb)), u.page, u.text, u.tokens,
              u.embedding, to_tsvector('${TS_CONFIG}', u.search)
         FROM unnest($4::uuid[], $5::int[], $6::text[], $7::int[], $8::text[], $9::int[], $10::vector[], $11::text[])
           AS u(id, position, heading, page, text, tokens, embedding, search)`,
      [
        documentId,
        key.tenantId,
        key.corpus,
        batch.map(() => randomUUID()),
        batch.map((c) => c.position),
        batch.map((c) => JSON.stringify(c.headingPath)),
        batch.map((c) => c.page ?? null),
        batch.map((c) => c.text),
        batch.map((c) => c.tokenCount),
        toVectorArrayBinary(batch.map((c) => c.embedding), vectorOid),
        batch.map((c) => c.searchText),
      ],
    );
  }
}

/** Deletes documents (their chunks go with them, ON DELETE CASCADE) of one tenant's corpus. */
export async function deleteDocuments(db: Queryable, tenantId: string, corpus: string, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const { rowCount } = await db.query('DELETE FROM rag_documents WHERE tenant_id = $1 AND corpus = $2 AND id = ANY($3::uuid[])', [tenantId, corpus, ids]);
  return rowCount ?? 0;
}

// The OID of pgvector's `vector` type, which each database assigns when the extension is created.
const vectorOids = new WeakMap<Pool, Promise<number>>();

/** pgvector's `vector` type OID in the pool's database (looked up once per pool). */
export function vectorTypeOid(pool: Pool): Promise<number> {
  let oid = vectorOids.get(pool);
  if (!oid) {
    oid = pool.query<{ oid: number }>(`SELECT 'vector'::regtype::oid::int AS oid`).then((r) => r.rows[0]!.oid);
    oid.catch(() => vectorOids.delete(pool));
    vectorOids.set(pool, oid);
  }
  return oid;
}
