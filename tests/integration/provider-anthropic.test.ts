import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAnthropicProvider } from '../../shared/providers/anthropic/index.js';
import { ProviderError } from '../../shared/providers/errors.js';
import type { LlmProvider, LlmRequest, LlmStreamEvent } from '../../shared/providers/port.js';
import { startFakeAnthropic, type FakeAnthropic } from '../fakes/anthropic/server.js';
import { DEFAULT_TEXT, DEFAULT_USAGE } from '../fakes/http-fake.js';

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['answer', 'citations'],
  properties: {
    answer: { type: 'string', minLength: 1, maxLength: 4000 },
    citations: { type: 'array', maxItems: 10, items: { type: 'string' } },
  },
};

const request = (over: Partial<LlmRequest> = {}): LlmRequest => ({
  model: 'claude-sonnet-4-6',
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

let fake: FakeAnthropic;
let provider: LlmProvider;

const anthropic = (over: { timeoutMs?: number; apiKey?: string } = {}) => createAnthropicProvider({ apiKey: 'platform-key', baseUrl: fake.url, ...over });

beforeEach(async () => {
  fake = await startFakeAnthropic();
  provider = anthropic();
});
afterEach(async () => {
  await fake.stop();
});

describe('Anthropic adapter (@anthropic-ai/sdk) against the Messages wire fake', () => {
  it('returns the text, usage, model and finish reason, having asked for structured JSON output with the schema', async () => {
    const result = await provider.generate(request());

    expect(result).toEqual({ text: DEFAULT_TEXT, usage: { inputTokens: DEFAULT_USAGE.input, outputTokens: DEFAULT_USAGE.output }, finishReason: 'stop', model: 'claude-sonnet-4-6' });
    expect(fake.requests).toHaveLength(1);
    const [sent] = fake.requests;
    expect(sent!.path).toBe('/v1/messages');
    expect(sent!.headers.authorization).toBe('Bearer platform-key');
    expect(sent!.headers['x-stainless-retry-count']).toBe('0');
    expect(sent!.body).toMatchObject({
      model: 'claude-sonnet-4-6',
      max_tokens: 256,
      system: 'You answer questions about hotel policies.',
      messages: [{ role: 'user', content: 'When does check-in start?' }],
      output_config: { format: { type: 'json_schema' } },
    });
    // Keywords the constrained decoder does not take move into descriptions; the structure stays.
    const schema = (sent!.body.output_config as { format: { schema: Record<string, unknown> } }).format.schema;
    expect(schema).toMatchObject({ type: 'object', additionalProperties: false, required: ['answer', 'citations'], properties: { answer: { type: 'string' }, citations: { type: 'array', items: { type: 'string' } } } });
    expect(JSON.stringify(schema)).not.toContain('"minLength"');
    // The API version this SDK speaks refuses sampling parameters.
    expect(sent!.body).not.toHaveProperty('temperature');
  });

  it('uses the tenant’s own key when the request carries one (BYOK), the platform key otherwise', async () => {
    await provider.generate(request({ apiKey: 'tenant-key' }));
    await provider.generate(request());
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual(['Bearer tenant-key', 'Bearer platform-key']);
  });

  it('without any key → auth, and nothing is sent', async () => {
    const err = await failure(anthropic({ apiKey: undefined }).generate(request()));
    expect(err).toMatchObject({ kind: 'auth', fallsThrough: true });
    expect(fake.requests).toHaveLength(0);
  });

  it('429 → rate_limited with Retry-After, one attempt', async () => {
    fake.enqueue({ kind: 'status', status: 429, retryAfter: '2' });
    const err = await failure(provider.generate(request()));
    expect(err).toMatchObject({ kind: 'rate_limited', provider: 'anthropic', status: 429, retryAfterMs: 2000, fallsThrough: true, retryable: true });
    expect(fake.requests).toHaveLength(1);
  });

  it.each([500, 529])('%i → unavailable with the status, one attempt', async (status) => {
    fake.enqueue({ kind: 'status', status });
    const err = await failure(provider.generate(request()));
    expect(err).toMatchObject({ kind: 'unavailable', status, fallsThrough: true });
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

  it('a hung call cut by the SDK’s own timeout → timeout, not retried', async () => {
    fake.enqueue({ kind: 'hang' });
    const err = await failure(anthropic({ timeoutMs: 300 }).generate(request()));
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

  it('a message with no text at all → invalid_output', async () => {
    fake.enqueue({ kind: 'empty' });
    expect(await failure(provider.generate(request()))).toMatchObject({ kind: 'invalid_output', fallsThrough: true });
  });

  it('schema-invalid output is returned as text: the pipeline’s ajv check rejects it, not the adapter', async () => {
    const schemaInvalid = '{"answer":42,"unexpected":true}';
    fake.enqueue({ kind: 'ok', text: schemaInvalid });
    expect((await provider.generate(request())).text).toBe(schemaInvalid);
  });

  it('stop_reason refusal → refused, which does not fall through', async () => {
    fake.enqueue({ kind: 'refusal' });
    const err = await failure(provider.generate(request()));
    expect(err).toMatchObject({ kind: 'refused', fallsThrough: false, retryable: false });
  });

  it('streams deltas that concatenate to the text, then one end event with the usage', async () => {
    const { deltas, ends, error } = await drain(provider.stream(request()));

    expect(error).toBeUndefined();
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(DEFAULT_TEXT);
    expect(ends).toEqual([{ type: 'end', usage: { inputTokens: DEFAULT_USAGE.input, outputTokens: DEFAULT_USAGE.output }, finishReason: 'stop', model: 'claude-sonnet-4-6' }]);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.body).toMatchObject({ stream: true, max_tokens: 256, output_config: { format: { type: 'json_schema' } } });
  });

  it('a stream broken after 2 chunks yields those deltas, then throws connection', async () => {
    fake.enqueue({ kind: 'break', chunks: 2 });
    const { deltas, ends, error } = await drain(provider.stream(request()));

    expect(deltas).toHaveLength(2);
    expect(DEFAULT_TEXT.startsWith(deltas.join(''))).toBe(true);
    expect(ends).toEqual([]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'connection' });
    expect(fake.requests).toHaveLength(1);
  });

  it('a stream refused with 529 before the first chunk throws unavailable from the iterator', async () => {
    fake.enqueue({ kind: 'status', status: 529 });
    const { deltas, error } = await drain(provider.stream(request()));
    expect(deltas).toEqual([]);
    expect(error).toMatchObject({ kind: 'unavailable', status: 529 });
  });

  it('a streamed refusal throws refused', async () => {
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
