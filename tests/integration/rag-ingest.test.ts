import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localSource } from '../../jobs/rag-ingestor/sources/local.js';
import { createLocalHashingEmbedder } from '../../shared/providers/embeddings/local-hashing.js';
import { ProviderError } from '../../shared/providers/errors.js';
import type { EmbeddingProvider } from '../../shared/providers/port.js';
import { mergePendingFullTextEntries } from '../../shared/rag/full-text-index.js';
import { ingest, IngestError, shardOf, type IngestOptions } from '../../shared/rag/ingest.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { copyCorpus, CORPUS_FILES } from '../fixtures/rag/corpus.js';

/** The local hashing embedder, counting the texts it is asked to embed (and able to fail on demand). */
function countingEmbedder(): EmbeddingProvider & { texts: number; calls: number; failWith?: Error } {
  const inner = createLocalHashingEmbedder();
  const counter = {
    name: inner.name,
    model: inner.model,
    dimensions: inner.dimensions,
    texts: 0,
    calls: 0,
    failWith: undefined as Error | undefined,
    async embed(texts: string[], opts?: Parameters<EmbeddingProvider['embed']>[1]) {
      counter.calls++;
      if (counter.failWith) throw counter.failWith;
      counter.texts += texts.length;
      return inner.embed(texts, opts);
    },
  };
  return counter;
}

describe('rag ingest: sync a corpus from a local directory', () => {
  let db: TestDatabase;
  let dir: string;
  const embedder = countingEmbedder();
  const run = async (overrides: Partial<IngestOptions> = {}) =>
    ingest({ pool: db.pool, embedder, source: await localSource(dir), tenantId: 'hotel-a', corpus: 'policies', chunking: { maxTokens: 256, overlapTokens: 32 }, embedBatchSize: 16, concurrency: 3, ...overrides });
  const chunksOf = async (file: string) =>
    (await db.pool.query<{ id: string; text: string; heading_path: string[]; position: number; page: number | null; document_id: string }>(
      `SELECT c.id, c.text, c.heading_path, c.position, c.page, c.document_id FROM rag_chunks c JOIN rag_documents d ON d.id = c.document_id
        WHERE d.tenant_id = 'hotel-a' AND d.source_uri LIKE '%/' || $1 ORDER BY c.position`,
      [file],
    )).rows;

  // Merges what is left in the tenant partition's GIN pending list and says how many pages that was.
  const pendingFullTextPages = (tenantId: string) => mergePendingFullTextEntries(db.pool, tenantId);

  beforeAll(async () => {
    db = await testDatabase();
    dir = copyCorpus({ corruptPdf: true });
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('first run: adds every document, reports and skips the corrupt PDF, chunks keep heading path, position and page', async () => {
    const summary = await run();
    expect(summary.documents).toEqual({ added: CORPUS_FILES, updated: 0, unchanged: 0, deleted: 0, failed: 1, ignored: 0 });
    expect(summary.failures).toEqual([{ uri: expect.stringMatching(/^file:\/\/.*\/corrupt\.pdf$/), reason: expect.stringMatching(/unreadable PDF/) }]);
    expect(summary.embedded).toBe(summary.chunks);
    expect(embedder.texts).toBe(summary.chunks);
    const { rows } = await db.pool.query<{ n: number; docs: number }>(`SELECT count(*)::int AS n, count(DISTINCT document_id)::int AS docs FROM rag_chunks WHERE tenant_id = 'hotel-a' AND corpus = 'policies'`);
    expect(rows[0]).toEqual({ n: summary.chunks, docs: CORPUS_FILES });
    const pets = await chunksOf('pets.md');
    expect(pets.map((c) => [c.position, c.heading_path])).toEqual([[0, ['Pet policy']], [1, ['Pet policy', 'Dogs']], [2, ['Pet policy', 'Other animals']], [3, ['Pet policy', 'Assistance animals']], [4, ['Pet policy', 'Damage caused by pets']]]);
    const rules = await chunksOf('house-rules.pdf');
    expect(rules.find((c) => c.text.startsWith('Visitors'))).toMatchObject({ heading_path: ['House rules', 'Visitors'], page: 2 });
    const doc = await db.pool.query(`SELECT title, chunk_count, content_hash FROM rag_documents WHERE source_uri LIKE '%/pets.md'`);
    expect(doc.rows[0]).toMatchObject({ title: 'Pet policy', chunk_count: 5, content_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('an incremental run leaves no pending entries in the full-text index: searches do not read them', async () => {
    // The first run wrote document by document into the tenant's live partition. A new document now goes
    // through the GIN index's pending list, which the run merges before it ends.
    writeFileSync(path.join(dir, 'late-arrivals.md'), '# Late arrivals\n\nReception is staffed all night; the night porter hands out keys after midnight.\n');
    try {
      const summary = await run();
      expect(summary.documents).toMatchObject({ added: 1 });
      expect(summary.fullTextIndex).toEqual({ pendingPagesMerged: expect.any(Number) });
      expect((summary.fullTextIndex as { pendingPagesMerged: number }).pendingPagesMerged).toBeGreaterThan(0);
      expect(await pendingFullTextPages('hotel-a')).toBe(0);
    } finally {
      rmSync(path.join(dir, 'late-arrivals.md'));
      await run();
    }
  });

  it('a full-text merge that fails is reported; the run and its chunks stand', async () => {
    writeFileSync(path.join(dir, 'quiet-hours.md'), '# Quiet hours\n\nFrom 22:00 to 07:00 guests keep noise down in rooms and corridors.\n');
    // The database refuses the merge as it does for a role that does not own the index.
    const pool = new Proxy(db.pool, {
      get(target, prop, receiver) {
        if (prop !== 'query') return Reflect.get(target, prop, receiver) as unknown;
        return (text: unknown, ...rest: unknown[]) =>
          typeof text === 'string' && text.includes('gin_clean_pending_list')
            ? Promise.reject(new Error('must be owner of index rag_chunks_t_tsv_idx'))
            : (target.query as (...a: unknown[]) => unknown)(text, ...rest);
      },
    });
    try {
      const summary = await run({ pool });
      expect(summary.documents).toMatchObject({ added: 1, failed: 1 });
      expect(summary.fullTextIndex).toEqual({ notMerged: 'must be owner of index rag_chunks_t_tsv_idx' });
      expect(await chunksOf('quiet-hours.md')).toHaveLength(1);
    } finally {
      rmSync(path.join(dir, 'quiet-hours.md'));
      await run();
    }
  });

  it('second run over the same source: every document unchanged, no embedding work', async () => {
    const before = embedder.calls;
    const summary = await run();
    expect(summary.documents).toEqual({ added: 0, updated: 0, unchanged: CORPUS_FILES, deleted: 0, failed: 1, ignored: 0 });
    expect(summary.chunks).toBe(0);
    expect(summary.fullTextIndex).toEqual({ pendingPagesMerged: 0 });
    expect(embedder.calls).toBe(before);
  });

  it('a changed file is re-embedded alone and replaced atomically (readers see the old chunks or the new, never a mix)', async () => {
    const old = await chunksOf('pets.md');
    const file = path.join(dir, 'pets.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('EUR 20 per dog and night', 'EUR 25 per dog and night').replace('## Damage caused by pets', '## Pet sitting\n\nA pet sitter can be booked at reception.\n\n## Damage caused by pets'));
    const oldTexts = old.map((c) => c.text).join('|');
    const observed = new Set<string>();
    let reading = true;
    const reader = (async () => {
      while (reading) {
        const { rows } = await db.pool.query<{ texts: string | null }>(
          `SELECT string_agg(c.text, '|' ORDER BY c.position) AS texts FROM rag_chunks c JOIN rag_documents d ON d.id = c.document_id WHERE d.source_uri LIKE '%/pets.md'`,
        );
        observed.add(rows[0]?.texts ?? '');
      }
    })();
    const textsBefore = embedder.texts;
    const summary = await run();
    reading = false;
    await reader;
    expect(summary.documents).toMatchObject({ added: 0, updated: 1, unchanged: CORPUS_FILES - 1, deleted: 0 });
    expect(embedder.texts - textsBefore).toBe(6);
    const now = await chunksOf('pets.md');
    expect(now).toHaveLength(6);
    expect(now[1]!.text).toContain('EUR 25 per dog and night');
    expect(now[4]!.heading_path).toEqual(['Pet policy', 'Pet sitting']);
    // The document keeps its id; its chunks are new rows.
    expect(now[0]!.document_id).toBe(old[0]!.document_id);
    expect(now.some((c) => old.some((o) => o.id === c.id))).toBe(false);
    const newTexts = now.map((c) => c.text).join('|');
    for (const seen of observed) expect([oldTexts, newTexts]).toContain(seen);
  });

  it('a file removed from the source is deleted with its chunks', async () => {
    rmSync(path.join(dir, 'wellness.txt'));
    const summary = await run();
    expect(summary.documents).toMatchObject({ added: 0, updated: 0, unchanged: CORPUS_FILES - 1, deleted: 1 });
    expect(await chunksOf('wellness.txt')).toEqual([]);
    const { rows } = await db.pool.query(`SELECT 1 FROM rag_documents WHERE source_uri LIKE '%/wellness.txt'`);
    expect(rows).toEqual([]);
  });

  it('files of other types are ignored, not failed; a single file as the source touches only that document', async () => {
    writeFileSync(path.join(dir, 'photo.jpg'), Buffer.from([0xff, 0xd8, 0xff]));
    const summary = await run();
    expect(summary.documents).toMatchObject({ ignored: 1, failed: 1, deleted: 0 });
    const single = await ingest({ pool: db.pool, embedder, source: await localSource(path.join(dir, 'payment.txt')), tenantId: 'hotel-a', corpus: 'policies', chunking: { maxTokens: 256, overlapTokens: 32 }, embedBatchSize: 16, concurrency: 1 });
    expect(single.documents).toEqual({ added: 0, updated: 0, unchanged: 1, deleted: 0, failed: 0, ignored: 0 });
  });

  it('an empty listing does not wipe the corpus unless allowed', async () => {
    const corpus = copyCorpus();
    const options = { pool: db.pool, embedder, tenantId: 'hotel-z', corpus: 'policies', chunking: { maxTokens: 256, overlapTokens: 32 }, embedBatchSize: 16, concurrency: 1 };
    await ingest({ ...options, source: await localSource(corpus) });
    // The same scope listing nothing (a bucket prefix with a typo looks like this).
    const { scope, read } = await localSource(corpus);
    const empty = { scope, read, list: async () => [] };
    await expect(ingest({ ...options, source: empty })).rejects.toThrow(/lists no documents but 9 are stored; pass --allow-empty/);
    const wiped = await ingest({ ...options, allowEmpty: true, source: empty });
    expect(wiped.documents.deleted).toBe(CORPUS_FILES);
    const { rows } = await db.pool.query(`SELECT 1 FROM rag_documents WHERE tenant_id = 'hotel-z'`);
    expect(rows).toEqual([]);
    rmSync(corpus, { recursive: true, force: true });
  });

  it('an embedder failure stops the run with an IngestError; documents written before it stay, nothing half-written', async () => {
    const fresh = copyCorpus();
    const failing = countingEmbedder();
    failing.failWith = new ProviderError({ kind: 'unavailable', provider: 'vertex', message: 'vertex embeddings: 503' });
    const err = await ingest({ pool: db.pool, embedder: failing, source: await localSource(fresh), tenantId: 'hotel-f', corpus: 'policies', chunking: { maxTokens: 256, overlapTokens: 32 }, embedBatchSize: 16, concurrency: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestError);
    expect((err as Error).message).toMatch(/embedding failed: vertex embeddings: 503/);
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM rag_documents WHERE tenant_id = 'hotel-f'`);
    expect(rows[0]!.n).toBe(0);
    rmSync(fresh, { recursive: true, force: true });
  });

  it('Cloud Run tasks: each takes its share; together they ingest every document once, and never delete the other share', async () => {
    const shared = copyCorpus();
    const opts = async (index: number) => ({ pool: db.pool, embedder, source: await localSource(shared), tenantId: 'hotel-t', corpus: 'policies', chunking: { maxTokens: 256, overlapTokens: 32 }, embedBatchSize: 16, concurrency: 2, task: { index, count: 2 } });
    const first = await ingest(await opts(0));
    const second = await ingest(await opts(1));
    expect(first.documents.added + second.documents.added).toBe(CORPUS_FILES);
    expect(first.documents.added).toBeGreaterThan(0);
    expect(second.documents.added).toBeGreaterThan(0);
    expect(first.documents.deleted + second.documents.deleted).toBe(0);
    const again = await ingest(await opts(0));
    expect(again.documents).toMatchObject({ unchanged: first.documents.added, deleted: 0, added: 0 });
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM rag_documents WHERE tenant_id = 'hotel-t'`);
    expect(rows[0]!.n).toBe(CORPUS_FILES);
    expect(shardOf('gs://b/x.md', 1)).toBe(0);
    rmSync(shared, { recursive: true, force: true });
  });
});
