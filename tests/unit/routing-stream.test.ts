import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../shared/providers/errors.js';
import { AllProvidersFailedError, StreamInterruptedError, type Attempt, type ChainRunner, type ChainRunOptions, type ChainStreamEvent } from '../../shared/routing/index.js';
import { answerFrom, link, routingHarness, testCapability, type RoutingHarness } from '../support/fake-llm.js';

const runners: ChainRunner[] = [];
afterEach(() => {
  for (const r of runners.splice(0)) r.close();
});
function harness(): RoutingHarness {
  const h = routingHarness();
  runners.push(h.runner);
  return h;
}
const outcomes = (attempts: Attempt[]) => attempts.map((a) => `${a.provider}:${a.outcome}`);

/** Reads the whole stream; `error` is what the iterator threw after `events`. */
async function drain(runner: ChainRunner, opts: ChainRunOptions): Promise<{ events: ChainStreamEvent[]; error?: unknown }> {
  const events: ChainStreamEvent[] = [];
  try {
    for await (const event of runner.stream(opts)) events.push(event);
    return { events };
  } catch (error) {
    return { events, error };
  }
}
const deltas = (events: ChainStreamEvent[]) => events.flatMap((e) => (e.type === 'delta' ? [e.text] : []));

describe('chain runner: streaming', () => {
  it('streams the deltas then one end with the vendor usage and the validated value', async () => {
    const h = harness();
    h.fakes.vertex.script({ text: answerFrom('vertex'), chunks: ['{"answer":', '"from ', 'vertex"}'], usage: { inputTokens: 40, outputTokens: 9 } });
    const { events, error } = await drain(h.runner, h.options());
    expect(error).toBeUndefined();
    expect(deltas(events)).toEqual(['{"answer":', '"from ', 'vertex"}']);
    const end = events.at(-1);
    expect(end).toMatchObject({ type: 'end', provider: 'vertex', degraded: false, usage: { inputTokens: 40, outputTokens: 9 }, value: { answer: 'from vertex' } });
    expect(end?.type === 'end' && end.text).toBe(answerFrom('vertex'));
    expect(events.filter((e) => e.type === 'end')).toHaveLength(1);
  });

  it('falls back to the next link when a link fails before its first delta', async () => {
    const h = harness();
    h.fakes.vertex.script({ fail: 'unavailable' });
    h.fakes.anthropic.script({ fail: 'rate_limited' }, { fail: 'rate_limited' });
    const { events, error } = await drain(h.runner, h.options());
    expect(error).toBeUndefined();
    expect(deltas(events).join('')).toBe(answerFrom('openai'));
    const end = events.at(-1);
    expect(end?.type).toBe('end');
    if (end?.type !== 'end') return;
    expect(end.provider).toBe('openai');
    expect(outcomes(end.attempts)).toEqual(['vertex:unavailable', 'anthropic:rate_limited', 'anthropic:rate_limited', 'openai:ok']);
  });

  it('falls back when a link hangs before its first delta', async () => {
    const h = harness();
    h.fakes.vertex.script({ hang: true, ignoreSignal: true });
    const chain = [link('vertex', 50), link('anthropic')];
    const { events, error } = await drain(h.runner, h.options({ capability: testCapability(chain) }));
    expect(error).toBeUndefined();
    expect(events.at(-1)).toMatchObject({ type: 'end', provider: 'anthropic' });
  });

  it('falls back when a stream ends with output that fails validation and no delta had any text', async () => {
    const h = harness();
    h.fakes.vertex.script({ text: '', chunks: [] });
    const { events } = await drain(h.runner, h.options());
    expect(events.at(-1)).toMatchObject({ type: 'end', provider: 'anthropic' });
  });

  it('throws from the iterator, after the deltas, when a link breaks after its first delta: no fallback, no clean end', async () => {
    const h = harness();
    h.fakes.vertex.script({ fail: 'connection', afterChunks: ['{"answer":', '"par'] });
    const { events, error } = await drain(h.runner, h.options());
    expect(deltas(events)).toEqual(['{"answer":', '"par']);
    expect(events.some((e) => e.type === 'end')).toBe(false);
    expect(error).toBeInstanceOf(StreamInterruptedError);
    const interrupted = error as StreamInterruptedError;
    expect(interrupted).toMatchObject({ kind: 'connection', provider: 'vertex', model: 'vertex-model', emittedChars: 14, usage: undefined });
    expect(interrupted.cause).toBeInstanceOf(ProviderError);
    expect(outcomes(interrupted.attempts)).toEqual(['vertex:connection']);
    expect(h.fakes.anthropic.calls).toHaveLength(0);
  });

  it('throws after the deltas when the streamed text is invalid, with the usage the vendor reported', async () => {
    const h = harness();
    h.fakes.vertex.script({ text: '{"answer": 42}', usage: { inputTokens: 5, outputTokens: 6 } });
    const { events, error } = await drain(h.runner, h.options());
    expect(deltas(events).join('')).toBe('{"answer": 42}');
    expect(error).toBeInstanceOf(StreamInterruptedError);
    expect(error).toMatchObject({ kind: 'invalid_output', usage: { inputTokens: 5, outputTokens: 6 } });
    expect(h.fakes.anthropic.calls).toHaveLength(0);
  });

  it('throws a refusal before the first delta as such', async () => {
    const h = harness();
    h.fakes.vertex.script({ fail: 'refused' });
    const { events, error } = await drain(h.runner, h.options());
    expect(events).toEqual([]);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ kind: 'refused' });
    expect(h.fakes.anthropic.calls).toHaveLength(0);
  });

  it('answers degraded from the deterministic provider when every other link fails, and throws when it is not allowed', async () => {
    const h = harness();
    for (const p of ['vertex', 'anthropic', 'openai'] as const) h.fakes[p].always({ fail: 'unavailable' });
    const degraded = await drain(h.runner, h.options());
    expect(degraded.events.at(-1)).toMatchObject({ type: 'end', provider: 'deterministic', degraded: true });

    const failed = await drain(h.runner, h.options({ allowedProviders: new Set(['vertex', 'anthropic', 'openai'] as const) }));
    expect(failed.events).toEqual([]);
    expect(failed.error).toBeInstanceOf(AllProvidersFailedError);
  });

  it('closes the provider stream when the caller stops reading, without counting it against the breaker', async () => {
    const h = harness();
    h.fakes.vertex.script({ text: answerFrom('vertex'), chunks: ['a', 'b', 'c'] });
    for await (const event of h.runner.stream(h.options())) {
      expect(event).toEqual({ type: 'delta', text: 'a' });
      break;
    }
    expect(h.fakes.vertex.streamsClosedEarly).toBe(1);
    expect(h.fakes.vertex.calls[0]?.signal?.aborted).toBe(true);
    expect(h.runner.breakerStates()).toEqual({ 'vertex:vertex-model': 'closed' });
  });
});
