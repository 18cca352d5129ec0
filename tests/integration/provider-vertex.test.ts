import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../shared/providers/errors.js';
import type { LlmProvider, LlmRequest, LlmStreamEvent } from '../../shared/providers/port.js';
import { createVertexProvider } from '../../shared/providers/vertex/index.js';
import { DEFAULT_TEXT, DEFAULT_USAGE } from '../fakes/http-fake.js';
import { fixedTokenAuthClient } from '../fakes/vertex/auth.js';
import { startFakeVertex, type FakeVertex } from '../fakes/vertex/server.js';

// Nothing here may look for Google credentials or the GCE metadata server.
process.env.METADATA_SERVER_DETECTION = 'none';

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['answer', 'citations'],
  properties: {
    answer: { type: 'string', minLength: 1, maxLength: 4000 },
    citations: { type: 'array', maxItems: 10, items: { type: 'string', minLength: 1 } },
  },
};

const request = (over: Partial<LlmRequest> = {}): LlmRequest => ({
  model: 'gemini-2.5-flash',
  system: 'You answer questions about hotel policies.',
  prompt: 'When does check-in start?',
  responseSchema: SCHEMA,
  maxOutputTokens: 256,
  temperature: 0.2,
  capability: 'support.policy_answer',
  input: { question: 'When does check-in start?', language: 'en' },
  ...over,
});

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

/** Drains a stream: the deltas it yielded, the end event, and the error it threw, if any. */
async function drain(events: AsyncIterable<LlmStreamEvent>) {
  const deltas: string[] = [];
  const ends: LlmStreamEvent[] = [];
  let error: unknown;
  try {
    for await (const event of events) {
      if (event.type === 'delta') deltas.push(event.text);
      else ends.push(event);
    }
  } catch (e) {
    error = e;
  }
  return { deltas, ends, error };
}

let fake: FakeVertex;
let provider: LlmProvider;

const vertex = (over: { timeoutMs?: number } = {}) =>
  createVertexProvider({
    project: 'test-project',
    location: 'europe-west1',
    baseUrl: fake.url,
    googleAuthOptions: { authClient: fixedTokenAuthClient('vertex-test-token') },
    ...over,
  });

beforeEach(async () => {
  fake = await startFakeVertex();
  provider = vertex();
});
afterEach(async () => {
  await fake.stop();
});

describe('Vertex adapter (@google/genai) against the Vertex wire fake', () => {
  it('returns the text, usage, model and finish reason, having asked the pinned region for JSON with the schema', async () => {
    const result = await provider.generate(request());

    expect(result).toEqual({ text: DEFAULT_TEXT, usage: { inputTokens: DEFAULT_USAGE.input, outputTokens: DEFAULT_USAGE.output }, finishReason: 'stop', model: 'gemini-2.5-flash' });
    expect(fake.requests).toHaveLength(1);
    const [sent] = fake.requests;
    expect(sent!.path).toBe('/v1beta1/projects/test-project/locations/europe-west1/publishers/google/models/gemini-2.5-flash:generateContent');
    expect(sent!.headers.authorization).toBe('Bearer vertex-test-token');
    expect(sent!.body).toMatchObject({
      contents: [{ role: 'user', parts: [{ text: 'When does check-in start?' }] }],
      systemInstruction: { parts: [{ text: 'You answer questions about hotel policies.' }] },
      generationConfig: { responseMimeType: 'application/json', maxOutputTokens: 256, temperature: 0.2 },
    });
    // The schema goes as responseJsonSchema, without the keywords Gemini does not take (ajv checks those later).
    expect((sent!.body.generationConfig as Record<string, unknown>).responseJsonSchema).toEqual({
      type: 'object',
      additionalProperties: false,
      required: ['answer', 'citations'],
      properties: { answer: { type: 'string' }, citations: { type: 'array', maxItems: 10, items: { type: 'string' } } },
    });
  });

  it('counts thinking tokens as output tokens (Gemini bills them as output)', async () => {
    fake.enqueue({
      kind: 'json',
      body: {
        candidates: [{ content: { role: 'model', parts: [{ text: DEFAULT_TEXT }] }, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 30, totalTokenCount: 45 },
        modelVersion: 'gemini-2.5-flash-001',
      },
    });
    const result = await provider.generate(request());
    expect(result.usage).toEqual({ inputTokens: 10, outputTokens: 35 });
    expect(result.model).toBe('gemini-2.5-flash-001');
  });

  it('refuses a location that is not one pinned region', () => {
    expect(() => createVertexProvider({ project: 'p', location: 'global', baseUrl: fake.url })).toThrow(/pinned region/);
    expect(() => createVertexProvider({ project: 'p', location: '', baseUrl: fake.url })).toThrow(/pinned region/);
  });

  it('429 → rate_limited with the RetryInfo delay, one attempt', async () => {
    fake.enqueue({ kind: 'status', status: 429, retryAfter: '2' });
    const err = await failure(provider.generate(request()));
    expect(err).toMatchObject({ kind: 'rate_limited', provider: 'vertex', status: 429, retryAfterMs: 2000, fallsThrough: true, retryable: true });
    expect(fake.requests).toHaveLength(1);
  });

  it.each([500, 503, 504])('%i → unavailable with the status, one attempt', async (status) => {
    fake.enqueue({ kind: 'status', status });
    const err = await failure(provider.generate(request()));
    expect(err).toMatchObject({ kind: 'unavailable', status, fallsThrough: true, retryable: status === 503 });
    expect(fake.requests).toHaveLength(1);
  });

  it('401 → auth (falls through), 400 → bad_request (stops the chain)', async () => {
    fake.enqueue({ kind: 'status', status: 401 }, { kind: 'status', status: 400 });
    expect(await failure(provider.generate(request()))).toMatchObject({ kind: 'auth', fallsThrough: true });
    expect(await failure(provider.generate(request()))).toMatchObject({ kind: 'bad_request', status: 400, fallsThrough: false });
    expect(fake.requests).toHaveLength(2);
  });

  it('a hung call aborted by the caller’s signal → timeout, one attempt', async () => {
    fake.enqueue({ kind: 'hang' });
    const err = await failure(provider.generate(request({ signal: AbortSignal.timeout(300) })));
    expect(err).toMatchObject({ kind: 'timeout', fallsThrough: true });
    expect(fake.requests).toHaveLength(1);
  });

  it('a hung call cut by the SDK’s own timeout → timeout', async () => {
    fake.enqueue({ kind: 'hang' });
    const err = await failure(vertex({ timeoutMs: 300 }).generate(request()));
    expect(err.kind).toBe('timeout');
    expect(fake.requests).toHaveLength(1);
  });

  it.each(['before-headers', 'mid-body'] as const)('a connection dropped %s → connection, one attempt', async (when) => {
    fake.enqueue({ kind: 'drop', when });
    const err = await failure(provider.generate(request()));
    expect(err).toMatchObject({ kind: 'connection', fallsThrough: true });
    expect(fake.requests).toHaveLength(1);
  });

  it('a 200 whose body is not JSON → invalid_output (falls through)', async () => {
    fake.enqueue({ kind: 'malformed' });
    const err = await failure(provider.generate(request()));
    expect(err).toMatchObject({ kind: 'invalid_output', fallsThrough: true });
    expect(fake.requests).toHaveLength(1);
  });

  it('a 200 with no text at all → invalid_output', async () => {
    fake.enqueue({ kind: 'empty' });
    expect(await failure(provider.generate(request()))).toMatchObject({ kind: 'invalid_output', fallsThrough: true });
  });

  it('schema-invalid output is returned as text: the pipeline’s ajv check rejects it, not the adapter', async () => {
    const schemaInvalid = '{"answer":42,"unexpected":true}';
    fake.enqueue({ kind: 'ok', text: schemaInvalid });
    const result = await provider.generate(request());
    expect(result.text).toBe(schemaInvalid);
  });

  it('a safety-stopped candidate → refused, which does not fall through', async () => {
    fake.enqueue({ kind: 'refusal' });
    const err = await failure(provider.generate(request()));
    expect(err).toMatchObject({ kind: 'refused', fallsThrough: false, retryable: false });
  });

  it('a blocked prompt (promptFeedback.blockReason) → refused', async () => {
    fake.enqueue({ kind: 'json', body: { promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } } });
    expect(await failure(provider.generate(request()))).toMatchObject({ kind: 'refused', fallsThrough: false });
  });

  it('streams deltas that concatenate to the text, then one end event with the usage', async () => {
    const { deltas, ends, error } = await drain(provider.stream(request()));

    expect(error).toBeUndefined();
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(DEFAULT_TEXT);
    expect(ends).toEqual([{ type: 'end', usage: { inputTokens: DEFAULT_USAGE.input, outputTokens: DEFAULT_USAGE.output }, finishReason: 'stop', model: 'gemini-2.5-flash' }]);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.path).toBe('/v1beta1/projects/test-project/locations/europe-west1/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(fake.requests[0]!.body).toMatchObject({ generationConfig: { responseMimeType: 'application/json', maxOutputTokens: 256 } });
  });

  it('a stream broken after 2 chunks yields those deltas, then throws connection — no silent end, no reconnect', async () => {
    fake.enqueue({ kind: 'break', chunks: 2 });
    const { deltas, ends, error } = await drain(provider.stream(request()));

    expect(deltas).toHaveLength(2);
    expect(DEFAULT_TEXT.startsWith(deltas.join(''))).toBe(true);
    expect(ends).toEqual([]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'connection' });
    expect(fake.requests).toHaveLength(1);
  });

  it('a stream refused with 429 before the first chunk throws rate_limited from the iterator', async () => {
    fake.enqueue({ kind: 'status', status: 429 });
    const { deltas, error } = await drain(provider.stream(request()));
    expect(deltas).toEqual([]);
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429 });
  });

  it('a stream stopped by the safety filters throws refused', async () => {
    fake.enqueue({ kind: 'refusal' });
    const { ends, error } = await drain(provider.stream(request()));
    expect(ends).toEqual([]);
    expect(error).toMatchObject({ kind: 'refused', fallsThrough: false });
  });

  it('a hung stream aborted by the caller’s signal → timeout', async () => {
    fake.enqueue({ kind: 'hang' });
    const { error } = await drain(provider.stream(request({ signal: AbortSignal.timeout(300) })));
    expect(error).toMatchObject({ kind: 'timeout' });
  });

  it('a stream that stalls after a delta and is aborted by the caller’s signal → timeout, never a short success', async () => {
    fake.enqueue({ kind: 'stall', chunks: 1 });
    const { deltas, ends, error } = await drain(provider.stream(request({ signal: AbortSignal.timeout(500) })));
    expect(deltas).toHaveLength(1);
    expect(ends).toEqual([]);
    expect(error).toMatchObject({ kind: 'timeout' });
  });
});
