import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OAuth2Client } from 'google-auth-library';
import { createVertexEmbedder, type VertexEmbedderOptions } from '../../shared/providers/embeddings/index.js';
import { isProviderError, type ProviderError } from '../../shared/providers/errors.js';
import { startFakeVertexEmbeddings, type Fault, type FakeVertexEmbeddings } from '../fakes/vertex-embeddings/server.js';

// Nothing here may look for Google credentials or the GCE metadata server.
process.env.METADATA_SERVER_DETECTION = 'none';

let fake: FakeVertexEmbeddings;

beforeEach(async () => {
  fake = await startFakeVertexEmbeddings();
});
afterEach(async () => {
  await fake.stop();
});

function fixedTokenClient(): OAuth2Client {
  const client = new OAuth2Client();
  client.setCredentials({ access_token: 'fixed-test-token', expiry_date: Date.now() + 3_600_000 });
  return client;
}

function embedder(overrides: Partial<VertexEmbedderOptions> = {}) {
  return createVertexEmbedder({
    project: 'test-project',
    location: 'europe-west1',
    model: 'text-embedding-005',
    dimensions: 768,
    baseUrl: fake.url,
    authClient: fixedTokenClient(),
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isProviderError(error)) throw new Error(`expected a ProviderError, got ${String(error)}`);
  return error;
}

const texts = (n: number) => Array.from({ length: n }, (_, i) => `policy passage number ${i}`);

describe('Vertex embedder through @google/genai against the Vertex wire fake', () => {
  it('embeds texts in order with the requested dimension, task type and a bearer token, in the pinned region', async () => {
    const input = ['Pets are welcome.', 'Breakfast is served from 7 am.', 'Late checkout on request.'];
    const result = await embedder().embed(input, { taskType: 'RETRIEVAL_QUERY' });

    expect(result.vectors).toEqual(input.map((t) => fake.vectorFor(t, 768)));
    expect(result.inputTokens).toBe(3 + 6 + 4);
    const [call] = fake.calls();
    expect(call).toMatchObject({
      path: '/v1beta1/projects/test-project/locations/europe-west1/publishers/google/models/text-embedding-005:predict',
      authorization: 'Bearer fixed-test-token',
      parameters: { outputDimensionality: 768 },
    });
    expect(call!.instances).toEqual(input.map((content) => ({ content, task_type: 'RETRIEVAL_QUERY' })));
  });

  it('asks for a smaller dimension when configured', async () => {
    const result = await embedder({ dimensions: 256 }).embed(['one text'], { taskType: 'RETRIEVAL_DOCUMENT' });
    expect(result.vectors[0]).toHaveLength(256);
    expect(fake.calls()[0]).toMatchObject({ parameters: { outputDimensionality: 256 }, instances: [{ task_type: 'RETRIEVAL_DOCUMENT' }] });
  });

  it('splits 600 texts into three requests of at most 250 and keeps the order', async () => {
    const input = texts(600);
    const result = await embedder().embed(input);
    expect(fake.calls().map((c) => c.instances.length).sort((a, b) => b - a)).toEqual([250, 250, 100]);
    expect(result.vectors).toHaveLength(600);
    // Compared as JSON: a deep equality over 460,800 numbers is needlessly slow.
    expect(JSON.stringify(result.vectors) === JSON.stringify(input.map((t) => fake.vectorFor(t, 768)))).toBe(true);
  });

  it('keeps each request under the token limit', async () => {
    const long = Array.from({ length: 10 }, (_, i) => `${i} ${'word '.repeat(2_000)}`);
    await embedder({ maxBatchTokens: 6_000 }).embed(long);
    expect(fake.calls().map((c) => c.instances.length)).toEqual([2, 2, 2, 2, 2]);
  });

  it('sends Gemini embedding models one text per request', async () => {
    await embedder({ model: 'gemini-embedding-001' }).embed(texts(3));
    expect(fake.calls().map((c) => [c.path.split('/').at(-1), c.instances.length])).toEqual([
      ['gemini-embedding-001:predict', 1],
      ['gemini-embedding-001:predict', 1],
      ['gemini-embedding-001:predict', 1],
    ]);
  });

  it('embeds an empty list without a request', async () => {
    expect(await embedder().embed([])).toEqual({ vectors: [], inputTokens: 0 });
    expect(fake.calls()).toEqual([]);
  });

  const faults: Array<[string, Fault, Partial<ProviderError>]> = [
    ['429', { kind: 'status', status: 429 }, { kind: 'rate_limited', status: 429, retryable: true, fallsThrough: true }],
    ['500', { kind: 'status', status: 500 }, { kind: 'unavailable', status: 500, retryable: false, fallsThrough: true }],
    ['503', { kind: 'status', status: 503 }, { kind: 'unavailable', status: 503, retryable: true }],
    ['400', { kind: 'status', status: 400 }, { kind: 'bad_request', status: 400, fallsThrough: false }],
    ['403', { kind: 'status', status: 403 }, { kind: 'auth', status: 403, fallsThrough: true }],
    ['a dropped connection', { kind: 'drop' }, { kind: 'connection' }],
    ['a malformed body', { kind: 'malformed' }, { kind: 'invalid_output' }],
    ['vectors of the wrong dimension', { kind: 'wrong_dimension' }, { kind: 'invalid_output' }],
    ['a body without predictions', { kind: 'missing_predictions' }, { kind: 'invalid_output' }],
  ];
  for (const [name, fault, expected] of faults) {
    it(`maps ${name} to a ProviderError, with one request (no SDK retry)`, async () => {
      fake.failNext(fault);
      const error = await failure(embedder().embed(['a text']));
      expect(error).toMatchObject({ provider: 'vertex', ...expected });
      expect(fake.calls()).toHaveLength(1);
    });
  }

  it('fails a request that outlives its timeout', async () => {
    fake.setLatency(1_000);
    expect(await failure(embedder({ timeoutMs: 100 }).embed(['a text']))).toMatchObject({ kind: 'timeout' });
  });

  it("stops when the caller's signal aborts", async () => {
    fake.setLatency(1_000);
    const error = await failure(embedder().embed(['a text'], { signal: AbortSignal.timeout(100) }));
    expect(error).toMatchObject({ kind: 'timeout' });
  });

  it('fails the whole call when one batch fails', async () => {
    fake.failNext({ kind: 'status', status: 500 });
    expect(await failure(embedder({ concurrency: 1 }).embed(texts(600)))).toMatchObject({ kind: 'unavailable' });
    expect(fake.calls()).toHaveLength(1);
  });
});
