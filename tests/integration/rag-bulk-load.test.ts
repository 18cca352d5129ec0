import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localSource } from '../../jobs/rag-ingestor/sources/local.js';
import { loadConfig } from '../../shared/config/index.js';
import { createLocalHashingEmbedder } from '../../shared/providers/embeddings/local-hashing.js';
import { ProviderError } from '../../shared/providers/errors.js';
import type { EmbeddingProvider } from '../../shared/providers/port.js';
import { stagingTableOf } from '../../shared/rag/bulk-load.js';
import { chunkDocument, contextualText } from '../../shared/rag/chunker.js';
import { extractDocument } from '../../shared/rag/extract/index.js';
import { ingest, IngestError, type IngestOptions } from '../../shared/rag/ingest.js';
import { ensureTenantPartition, partitionNameOf } from '../../shared/rag/partitions.js';
import { createRetriever } from '../../shared/rag/retriever.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { copyCorpus, corpusQuestions, CORPUS_FILES } from '../fixtures/rag/corpus.js';

const BULK = { minDocuments: 3, maintenanceWorkMemMb: 64 };

describe('rag ingest: a tenant’s first big ingest is a bulk load (staged, indexed once, attached)', () => {
  let db: TestDatabase;
  const dirs: string[] = [];
  const config = loadConfig({ env: { APP_ENV: 'test' } });
  const embedder = createLocalHashingEmbedder();
  const corpus = () => {
    const dir = copyCorpus();
    dirs.push(dir);
    return dir;
  };
  const run = async (tenantId: string, dir: string, overrides: Partial<IngestOptions> = {}) =>
    ingest({ pool: db.pool, embedder, source: await localSource(dir), tenantId, corpus: 'policies', chunking: config.rag.chunking, embedBatchSize: 16, concurrency: 2, bulkLoad: BULK, ...overrides });
  const tables = async (name: string) => (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_class WHERE relname = $1`, [name])).rows[0]!.n;
  const documentsOf = async (tenantId: string) => (await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM rag_documents WHERE tenant_id = $1', [tenantId])).rows[0]!.n;
  const chunksOf = async (tenantId: string) =>
    (await db.pool.query<{ text: string; position: number; heading_path: string[] }>(
      `SELECT c.text, c.position, c.heading_path FROM rag_chunks c JOIN rag_documents d ON d.id = c.document_id AND d.tenant_id = c.tenant_id
        WHERE c.tenant_id = $1 ORDER BY d.source_uri, c.position`,
      [tenantId],
    )).rows;

  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => {
    await db?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('writes the same chunks as an incremental ingest, into the tenant’s own partition, and searches find them', async () => {
    const dir = corpus();
    const bulk = await run('hotel-bulk', dir);
    expect(bulk.mode).toBe('bulk');
    expect(bulk.documents.added).toBe(CORPUS_FILES);
    const incremental = await run('hotel-incremental', dir, { bulkLoad: undefined });
    expect(incremental.mode).toBe('incremental');
    expect(bulk.chunks).toBe(incremental.chunks);
    expect(await chunksOf('hotel-bulk')).toEqual(await chunksOf('hotel-incremental'));
    expect(await documentsOf('hotel-bulk')).toBe(CORPUS_FILES);

    // Attached as the tenant's partition, with rag_chunks' indexes (HNSW included); no staging table left.
    const { rows } = await db.pool.query<{ bound: string; indexes: string[] }>(
      `SELECT pg_get_expr(c.relpartbound, c.oid) AS bound, ARRAY(SELECT am.amname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam WHERE i.indrelid = c.oid ORDER BY 1)::text[] AS indexes
         FROM pg_class c WHERE c.relname = $1`,
      [partitionNameOf('hotel-bulk')],
    );
    expect(rows[0]!.bound).toBe("FOR VALUES IN ('hotel-bulk')");
    expect(rows[0]!.indexes).toEqual(['btree', 'btree', 'btree', 'gin', 'hnsw']);
    expect(await tables(stagingTableOf('hotel-bulk'))).toBe(0);

    const retriever = createRetriever({ pool: db.pool, embedder, settings: config.rag });
    const q = corpusQuestions()[0]!;
    const hits = await retriever.retrieve({ tenantId: 'hotel-bulk', query: q.question, topK: 5 });
    expect(hits.some((h) => h.text.includes(q.needle))).toBe(true);
    expect(hits.every((h) => h.document.sourceUri.startsWith('file://'))).toBe(true);
  });

  it('embeddings arrive intact (sent as a binary vector[]), by either path', async () => {
    const dir = corpus();
    const file = path.join(dir, 'pets.md');
    const doc = await extractDocument('pets.md', readFileSync(file));
    const texts = chunkDocument(doc, config.rag.chunking).map((c) => contextualText(doc.title, c));
    const expected = (await embedder.embed(texts)).vectors.map((v) => v.map((x) => Math.fround(x)));
    for (const tenantId of ['hotel-bulk', 'hotel-incremental']) {
      const { rows } = await db.pool.query<{ embedding: string }>(
        `SELECT c.embedding::text AS embedding FROM rag_chunks c JOIN rag_documents d ON d.id = c.document_id
          WHERE c.tenant_id = $1 AND d.source_uri LIKE '%/pets.md' ORDER BY c.position`,
        [tenantId],
      );
      expect(rows.map((r) => (JSON.parse(r.embedding) as number[]).map((x) => Math.fround(x)))).toEqual(expected);
    }
  });

  it('the next run of the tenant writes incrementally: a changed document is replaced, the others skipped', async () => {
    const dir = corpus();
    expect((await run('hotel-next', dir)).mode).toBe('bulk');
    appendFileSync(path.join(dir, 'pets.md'), '\n\n## Parrots\n\nParrots stay in their cage in the room.\n');
    const again = await run('hotel-next', dir);
    expect(again.mode).toBe('incremental');
    expect(again.documents).toMatchObject({ updated: 1, unchanged: CORPUS_FILES - 1, added: 0 });
    expect((await chunksOf('hotel-next')).some((c) => c.text.includes('Parrots stay in their cage'))).toBe(true);
  });

  it('fewer documents than the threshold, or a sharded run, write incrementally', async () => {
    expect((await run('hotel-few', corpus(), { bulkLoad: { ...BULK, minDocuments: CORPUS_FILES + 1 } })).mode).toBe('incremental');
    const sharded = await run('hotel-sharded', corpus(), { task: { index: 0, count: 2 } });
    expect(sharded.mode).toBe('incremental');
  });

  it('a bulk load that fails leaves nothing behind: no documents, no partition, no staging table; the next run starts over', async () => {
    let calls = 0;
    const failing: EmbeddingProvider = {
      ...embedder,
      name: embedder.name,
      model: embedder.model,
      dimensions: embedder.dimensions,
      embed: async (texts, opts) => {
        if (++calls > 3) throw new ProviderError({ provider: 'vertex', kind: 'unavailable', message: 'vertex embeddings: 503' });
        return embedder.embed(texts, opts);
      },
    };
    const dir = corpus();
    await expect(run('hotel-failing', dir, { embedder: failing, concurrency: 1 })).rejects.toBeInstanceOf(IngestError);
    expect(await documentsOf('hotel-failing')).toBe(0);
    expect(await tables(partitionNameOf('hotel-failing'))).toBe(0);
    expect(await tables(stagingTableOf('hotel-failing'))).toBe(0);
    const retry = await run('hotel-failing', dir);
    expect(retry.mode).toBe('bulk');
    expect(retry.documents.added).toBe(CORPUS_FILES);
  });

  it('an aborted bulk load drops its staging table and rethrows the abort as it is', async () => {
    const controller = new AbortController();
    const err = await run('hotel-aborted', corpus(), { concurrency: 1, signal: controller.signal, onProgress: ({ done }) => done === 2 && controller.abort() }).catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(IngestError);
    expect((err as Error).name).toBe('AbortError');
    expect(await documentsOf('hotel-aborted')).toBe(0);
    expect(await tables(stagingTableOf('hotel-aborted'))).toBe(0);
    expect(await tables(partitionNameOf('hotel-aborted'))).toBe(0);
  });

  it('a staging table left by a crashed load is dropped when the next load starts', async () => {
    await db.pool.query(`CREATE TABLE ${stagingTableOf('hotel-crashed')} (junk int)`);
    const summary = await run('hotel-crashed', corpus());
    expect(summary.mode).toBe('bulk');
    expect(await documentsOf('hotel-crashed')).toBe(CORPUS_FILES);
  });

  it('when the tenant’s partition appears during the load (a concurrent ingest), the load gives up cleanly and keeps the other run’s writes', async () => {
    const dir = corpus();
    // The other run creates the partition while this one builds its indexes.
    const err = await run('hotel-race', dir, { onBulkIndexing: () => ensureTenantPartition(db.pool, 'hotel-race') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestError);
    expect((err as Error).message).toMatch(/got its chunks partition during the bulk load/);
    expect(await documentsOf('hotel-race')).toBe(0);
    expect(await tables(stagingTableOf('hotel-race'))).toBe(0);
    // The next run fills the partition the other run created.
    const next = await run('hotel-race', dir);
    expect(next.mode).toBe('incremental');
    expect(await documentsOf('hotel-race')).toBe(CORPUS_FILES);
  });

  it('tenant ids that are not SQL identifiers (upper case, dots) still get a partition of their own', async () => {
    const tenant = 'Hotel.Lisboa-2';
    expect(partitionNameOf(tenant)).toMatch(/^rag_chunks_t_[0-9a-f]{16}$/);
    writeFileSync(path.join(corpus(), 'extra.md'), '# Extra\n\nExtra text.\n');
    expect((await run(tenant, dirs.at(-1)!)).mode).toBe('bulk');
    expect(await documentsOf(tenant)).toBe(CORPUS_FILES + 1);
  });
});
