import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gcsSource, parseGsUri } from '../../jobs/rag-ingestor/sources/gcs.js';
import { createLocalHashingEmbedder } from '../../shared/providers/embeddings/local-hashing.js';
import { ingest, IngestError } from '../../shared/rag/ingest.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startGcsFake, type GcsFake } from '../fakes/gcs/server.js';
import { corruptPdf, houseRulesPdf } from '../fixtures/rag/make-pdf.js';

/** The Cloud Storage source through the real @google-cloud/storage client against a JSON API wire fake. */
describe('rag ingest from Cloud Storage (gs://bucket/prefix and single objects)', () => {
  let gcs: GcsFake;
  let db: TestDatabase;
  const options = { apiEndpoint: '', projectId: 'test-project', retryOptions: { autoRetry: false } };
  const sync = async (uri: string, allowEmpty = false) =>
    ingest({ pool: db.pool, embedder: createLocalHashingEmbedder(), source: await gcsSource(uri, options), tenantId: 'hotel-g', corpus: 'policies', chunking: { maxTokens: 256, overlapTokens: 32 }, embedBatchSize: 16, concurrency: 2, allowEmpty });
  const stored = async () => (await db.pool.query<{ source_uri: string }>(`SELECT source_uri FROM rag_documents WHERE tenant_id = 'hotel-g' ORDER BY source_uri`)).rows.map((r) => r.source_uri);

  beforeAll(async () => {
    db = await testDatabase();
    gcs = await startGcsFake('hotel-docs');
    options.apiEndpoint = gcs.url;
    gcs.objects.set('policies/pets.md', Buffer.from('# Pets\n\nDogs welcome, EUR 20 per night.\n'));
    gcs.objects.set('policies/rules.pdf', houseRulesPdf());
    gcs.objects.set('policies/sub/faq.txt', Buffer.from('FAQ\n\nWifi is free.\n'));
    gcs.objects.set('policies/broken.pdf', corruptPdf());
    gcs.objects.set('policies-old/stale.md', Buffer.from('# Old\n\nnot under the prefix'));
  });
  afterAll(async () => {
    await gcs?.stop();
    await db?.close();
  });

  it('lists a prefix across pages, downloads each object, skips the corrupt one; a trailing slash is implied', async () => {
    const summary = await sync('gs://hotel-docs/policies');
    expect(summary.documents).toMatchObject({ added: 3, failed: 1 });
    expect(summary.failures).toEqual([{ uri: 'gs://hotel-docs/policies/broken.pdf', reason: expect.stringMatching(/unreadable PDF/) }]);
    expect(await stored()).toEqual(['gs://hotel-docs/policies/pets.md', 'gs://hotel-docs/policies/rules.pdf', 'gs://hotel-docs/policies/sub/faq.txt']);
    expect(gcs.requests.filter((r) => r.startsWith('GET /storage/v1/b/hotel-docs/o?')).length).toBeGreaterThan(1);
    expect(gcs.requests.some((r) => r.includes('alt=media'))).toBe(true);
  });

  it('a notification for one object: changed → that document alone is replaced; deleted → that document alone goes', async () => {
    gcs.objects.set('policies/pets.md', Buffer.from('# Pets\n\nDogs welcome, EUR 25 per night.\n'));
    const changed = await sync('gs://hotel-docs/policies/pets.md');
    expect(changed.documents).toEqual({ added: 0, updated: 1, unchanged: 0, deleted: 0, failed: 0, ignored: 0 });
    gcs.objects.delete('policies/sub/faq.txt');
    const removed = await sync('gs://hotel-docs/policies/sub/faq.txt');
    expect(removed.documents).toEqual({ added: 0, updated: 0, unchanged: 0, deleted: 1, failed: 0, ignored: 0 });
    expect(await stored()).toEqual(['gs://hotel-docs/policies/pets.md', 'gs://hotel-docs/policies/rules.pdf']);
  });

  it('a listing that fails stops the run (IngestError) without deleting anything', async () => {
    gcs.failNext(503);
    const err = await sync('gs://hotel-docs/policies/').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IngestError);
    expect((err as Error).message).toMatch(/cannot list the source gs:\/\/hotel-docs\/policies\/: .*503/);
    expect(await stored()).toHaveLength(2);
  });

  it('parses gs:// URIs and refuses others', () => {
    expect(parseGsUri('gs://hotel-docs/a/b.md')).toEqual({ bucket: 'hotel-docs', name: 'a/b.md' });
    expect(parseGsUri('gs://hotel-docs')).toEqual({ bucket: 'hotel-docs', name: '' });
    expect(() => parseGsUri('s3://x/y')).toThrow(/not a gs:\/\/bucket\/path URI/);
  });
});
