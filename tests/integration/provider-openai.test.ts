import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../shared/providers/errors.js';
import { createOpenAiProvider } from '../../shared/providers/openai/index.js';
import type { LlmProvider, LlmRequest, LlmStreamEvent } from '../../shared/providers/port.js';
import { DEFAULT_TEXT, DEFAULT_USAGE } from '../fakes/http-fake.js';
import { startFakeOpenAi, type FakeOpenAi } from '../fakes/openai-vendor/server.js';

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
  model: 'gpt-4.1-mini',
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

let fake: FakeOpenAi;
let provider: LlmProvider;

const openai = (over: { timeoutMs?: number; apiKey?: string } = {}) => createOpenAiProvider({ apiKey: 'platform-key', baseUrl: `${fake.url}/v1`, ...over });

beforeEach(async () => {
  fake = await startFakeOpenAi();
  provider = openai();
});
afterEach(async () => {
  await fake.stop();
});

describe('OpenAI adapter (openai) against the Chat Completions wire fake', () => {
  it('returns the text, usage, model and finish reason, having asked for json_schema output with the schema', async () => {
    const result = await provider.generate(request());

    expect(result).toEqual({ text: DEFAULT_TEXT, usage: { inputTokens: DEFAULT_USAGE.input, outputTokens: DEFAULT_USAGE.output }, finishReason: 'stop', model: 'gpt-4.1-mini' });
    expect(fake.requests).toHaveLength(1);
    const [sent] = fake.requests;
    expect(sent!.path).toBe('/v1/chat/completions');
    expect(sent!.headers.authorization).toBe('Bearer platform-key');
    expect(sent!.headers['x-stainless-retry-count']).toBe('0');
    expect(sent!.body).toEqual({
      model: 'gpt-4.1-mini',
      messages: [
        { role: 'system', content: 'You answer questions about hotel policies.' },
        { role: 'user', content: 'When does check-in start?' },
      ],
      max_completion_tokens: 256,
      temperature: 0.2,
      response_format: { type: 'json_schema', json_schema: { name: 'support_policy_answer', schema: SCHEMA, strict: false } },
    });
  });

  it('a completion whose message carries a refusal → refused', async () => {
    fake.enqueue({
      kind: 'json',
      body: {
        id: 'c',
        object: 'chat.completion',
        model: 'gpt-4.1-mini',
        choices: [{ index: 0, message: { role: 'assistant', content: DEFAULT_TEXT }, finish_reason: 'content_filter' }],
        usage: { prompt_tokens: 3, completion_tokens: 0, total_tokens: 3 },
      },
    });
    expect(await failure(provider.generate(request()))).toMatchObject({ kind: 'refused', fallsThrough: false });
  });

  it('uses the tenant’s own key when the request carries one (BYOK), the platform key otherwise', async () => {
    await provider.generate(request({ apiKey: 'tenant-key' }));
    await provider.generate(request());
    expect(fake.requests.map((r) => r.headers.authorization)).toEqual(['Bearer tenant-key', 'Bearer platform-key']);
  });

  it('without any key → auth, and nothing is sent', async () => {
    const err = await failure(openai({ apiKey: undefined }).generate(request()));
    expect(err).toMatchObject({ kind: 'auth', fallsThrough: true });
    expect(fake.requests).toHaveLength(0);
  });

  it('429 → rate_limited with Retry-After, one attempt', async () => {
    fake.enqueue({ kind: 'status', status: 429, retryAfter: '2' });
    const err = await failure(provider.generate(request()));
    expect(err).toMatchObject({ kind: 'rate_limited', provider: 'openai', status: 429, retryAfterMs: 2000, fallsThrough: true, retryable: true });
    expect(fake.requests).toHaveLength(1);
  });

  it.each([500, 502, 503])('%i → unavailable with the status, one attempt', async (status) => {
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

  it('a hung call cut by the SDK’s own timeout → timeout, not retried', async () => {
    fake.enqueue({ kind: 'hang' });
    const err = await failure(openai({ timeoutMs: 300 }).generate(request()));
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

  it('a refusal in the message → refused, which does not fall through', async () => {
    fake.enqueue({ kind: 'refusal' });
    const err = await failure(provider.generate(request()));
    expect(err).toMatchObject({ kind: 'refused', fallsThrough: false, retryable: false });
  });

  it('streams deltas that concatenate to the text, then one end event with the usage', async () => {
    const { deltas, ends, error } = await drain(provider.stream(request()));

    expect(error).toBeUndefined();
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe(DEFAULT_TEXT);
    expect(ends).toEqual([{ type: 'end', usage: { inputTokens: DEFAULT_USAGE.input, outputTokens: DEFAULT_USAGE.output }, finishReason: 'stop', model: 'gpt-4.1-mini' }]);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true }, max_completion_tokens: 256, response_format: { type: 'json_schema' } });
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

  it('a stream refused with 429 before the first chunk throws rate_limited from the iterator', async () => {
    fake.enqueue({ kind: 'status', status: 429, retryAfter: '1' });
    const { deltas, error } = await drain(provider.stream(request()));
    expect(deltas).toEqual([]);
    expect(error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 1000 });
  });

  it('a streamed refusal delta throws refused', async () => {
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
