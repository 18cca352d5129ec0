import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { ProviderError, type ProviderErrorKind } from '../../shared/providers/errors.js';
import type { ProviderName } from '../../shared/providers/port.js';
import { AllProvidersFailedError, ChainDeadlineError, type Attempt, type ChainRunner } from '../../shared/routing/index.js';
import { MIN_ATTEMPT_MS } from '../../shared/routing/chain.js';
import { answerFrom, link, routingHarness, testCapability, type FakeStep, type RoutingHarness } from '../support/fake-llm.js';

const runners: ChainRunner[] = [];
afterEach(() => {
  for (const r of runners.splice(0)) r.close();
});
function harness(opts: Parameters<typeof routingHarness>[0] = {}): RoutingHarness {
  const h = routingHarness(opts);
  runners.push(h.runner);
  return h;
}
const outcomes = (attempts: Attempt[]) => attempts.map((a) => `${a.provider}:${a.outcome}`);

describe('chain runner: fallback', () => {
  it('answers from the first link when it succeeds', async () => {
    const h = harness();
    const out = await h.runner.run(h.options());
    expect(out).toMatchObject({ provider: 'vertex', model: 'vertex-model', value: { answer: 'from vertex' }, degraded: false, finishReason: 'stop' });
    expect(out.text).toBe(answerFrom('vertex'));
    expect(out.usage).toEqual({ inputTokens: 11, outputTokens: 7 });
    expect(outcomes(out.attempts)).toEqual(['vertex:ok']);
    expect(h.fakes.vertex.calls[0]).toMatchObject({ model: 'vertex-model', prompt: '{}', capability: 'test.answer' });
    expect(h.fakes.anthropic.calls).toHaveLength(0);
  });

  const fallsThrough: Array<[string, FakeStep, ProviderErrorKind]> = [
    ['500', { fail: 'unavailable', status: 500 }, 'unavailable'],
    ['a connection error', { fail: 'connection' }, 'connection'],
    ['a timeout reported by the adapter', { fail: 'timeout' }, 'timeout'],
    ['rejected credentials', { fail: 'auth' }, 'auth'],
    ['schema-invalid output', { text: '{"answer": 42}' }, 'invalid_output'],
    ['output that is not JSON', { text: 'Sure! Here is' }, 'invalid_output'],
    ['a malformed body reported by the adapter', { fail: 'invalid_output' }, 'invalid_output'],
  ];
  it.each(fallsThrough)('moves to the next link on %s', async (_name, step, kind) => {
    const h = harness();
    h.fakes.vertex.script(step);
    const out = await h.runner.run(h.options());
    expect(out.provider).toBe('anthropic');
    expect(out.value).toEqual({ answer: 'from anthropic' });
    expect(outcomes(out.attempts)).toEqual([`vertex:${kind}`, 'anthropic:ok']);
    expect(h.fakes.vertex.calls).toHaveLength(1);
  });

  it('moves on after a 429 that is still refused on its one retry', async () => {
    const h = harness();
    h.fakes.vertex.script({ fail: 'rate_limited' }, { fail: 'rate_limited' });
    const out = await h.runner.run(h.options());
    expect(outcomes(out.attempts)).toEqual(['vertex:rate_limited', 'vertex:rate_limited', 'anthropic:ok']);
  });

  it('moves to the next link when a link times out, even if its adapter ignores the abort signal', async () => {
    const h = harness();
    const chain = [link('vertex', 50), link('anthropic', 50), link('openai'), link('deterministic')];
    h.fakes.vertex.script({ hang: true });
    h.fakes.anthropic.script({ hang: true, ignoreSignal: true });
    const out = await h.runner.run(h.options({ capability: testCapability(chain) }));
    expect(out.provider).toBe('openai');
    expect(outcomes(out.attempts)).toEqual(['vertex:timeout', 'anthropic:timeout', 'openai:ok']);
    expect(h.fakes.vertex.calls[0]?.signal?.aborted).toBe(true);
  });

  it('tries the links in chain order until one answers', async () => {
    const h = harness();
    h.fakes.vertex.script({ fail: 'unavailable', status: 502 });
    h.fakes.anthropic.script({ fail: 'connection' });
    h.fakes.openai.script({ text: 'not json' });
    const out = await h.runner.run(h.options());
    expect(out).toMatchObject({ provider: 'deterministic', degraded: true, value: { answer: 'from deterministic' } });
    expect(outcomes(out.attempts)).toEqual(['vertex:unavailable', 'anthropic:connection', 'openai:invalid_output', 'deterministic:ok']);
  });

  it('stops at a bad request and throws it: another vendor would refuse it too', async () => {
    const h = harness();
    h.fakes.vertex.script({ fail: 'bad_request' });
    const seen: Attempt[] = [];
    const err = await h.runner.run(h.options({ onAttempt: (a) => seen.push(a) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe('bad_request');
    expect(h.fakes.anthropic.calls).toHaveLength(0);
    expect(h.fakes.deterministic.calls).toHaveLength(0);
    expect(outcomes(seen)).toEqual(['vertex:bad_request']);
  });

  it('returns a refusal as such and never routes it to another provider', async () => {
    const h = harness();
    h.fakes.vertex.script({ fail: 'refused' });
    const err = await h.runner.run(h.options()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'refused', provider: 'vertex' });
    expect(h.fakes.anthropic.calls).toHaveLength(0);
    expect(h.fakes.deterministic.calls).toHaveLength(0);
  });

  it('treats a safety stop as a refusal even when the adapter returned text', async () => {
    const h = harness();
    h.fakes.vertex.script({ text: 'I cannot', finishReason: 'safety' });
    await expect(h.runner.run(h.options())).rejects.toMatchObject({ kind: 'refused' });
    expect(h.fakes.anthropic.calls).toHaveLength(0);
  });
});

describe('chain runner: which links may run', () => {
  it('skips every link the tenant residency policy forbids', async () => {
    const h = harness();
    const out = await h.runner.run(h.options({ allowedProviders: new Set<ProviderName>(['deterministic']) }));
    expect(out).toMatchObject({ provider: 'deterministic', degraded: true });
    expect(outcomes(out.attempts)).toEqual(['vertex:skipped_residency', 'anthropic:skipped_residency', 'openai:skipped_residency', 'deterministic:ok']);
    expect(h.fakes.vertex.calls.length + h.fakes.anthropic.calls.length + h.fakes.openai.calls.length).toBe(0);
  });

  it('skips a provider a feature flag disables', async () => {
    const h = harness();
    const out = await h.runner.run(h.options({ isProviderEnabled: (p) => p !== 'vertex' }));
    expect(out.provider).toBe('anthropic');
    expect(outcomes(out.attempts)).toEqual(['vertex:skipped_disabled', 'anthropic:ok']);
    expect(h.fakes.vertex.calls).toHaveLength(0);
  });

  it('skips a provider that is not configured', async () => {
    const h = harness({ providers: ['openai', 'deterministic'] });
    const out = await h.runner.run(h.options());
    expect(out.provider).toBe('openai');
    expect(outcomes(out.attempts)).toEqual(['vertex:skipped_unconfigured', 'anthropic:skipped_unconfigured', 'openai:ok']);
  });

  it('passes the tenant key (BYOK) to the provider, and moves on when it cannot be read', async () => {
    const h = harness();
    h.fakes.vertex.script({ fail: 'unavailable' });
    const apiKeyFor = async (p: ProviderName) => {
      if (p === 'anthropic') throw new Error('secret manager down');
      return p === 'openai' ? 'sk-tenant' : undefined;
    };
    const out = await h.runner.run(h.options({ apiKeyFor }));
    expect(out.provider).toBe('openai');
    expect(outcomes(out.attempts)).toEqual(['vertex:unavailable', 'anthropic:auth', 'openai:ok']);
    expect(h.fakes.openai.calls[0]?.apiKey).toBe('sk-tenant');
    expect(h.fakes.vertex.calls[0]).not.toHaveProperty('apiKey');
    expect(h.fakes.anthropic.calls).toHaveLength(0);
  });
});

describe('chain runner: when every provider fails', () => {
  it('answers from the deterministic provider, marked degraded', async () => {
    const h = harness();
    for (const p of ['vertex', 'anthropic', 'openai'] as const) h.fakes[p].always({ fail: 'unavailable', status: 500 });
    const out = await h.runner.run(h.options());
    expect(out).toMatchObject({ provider: 'deterministic', model: 'deterministic-model', degraded: true, value: { answer: 'from deterministic' } });
    expect(outcomes(out.attempts)).toEqual(['vertex:unavailable', 'anthropic:unavailable', 'openai:unavailable', 'deterministic:ok']);
  });

  it('throws AllProvidersFailedError with the attempts when the deterministic link is not allowed', async () => {
    const h = harness();
    for (const p of ['vertex', 'anthropic', 'openai'] as const) h.fakes[p].always({ fail: 'connection' });
    const err = await h.runner.run(h.options({ allowedProviders: new Set<ProviderName>(['vertex', 'anthropic', 'openai']) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllProvidersFailedError);
    const failed = err as AllProvidersFailedError;
    expect(failed).toMatchObject({ code: 'providers_unavailable', status: 503 });
    expect(outcomes(failed.attempts)).toEqual(['vertex:connection', 'anthropic:connection', 'openai:connection', 'deterministic:skipped_residency']);
  });

  it('respects the overall deadline and still lets the deterministic link answer', async () => {
    const h = harness();
    const chain = [link('vertex', 60_000), link('anthropic'), link('openai'), link('deterministic', 500)];
    h.fakes.vertex.script({ hang: true, ignoreSignal: true });
    const out = await h.runner.run(h.options({ capability: testCapability(chain), deadlineMs: 100 }));
    expect(out).toMatchObject({ provider: 'deterministic', degraded: true });
    expect(outcomes(out.attempts)).toEqual(['vertex:timeout', 'anthropic:skipped_deadline', 'openai:skipped_deadline', 'deterministic:ok']);
    expect(h.fakes.anthropic.calls).toHaveLength(0);
  });

  it('throws ChainDeadlineError when the deadline passes and no deterministic link can answer', async () => {
    const h = harness();
    const chain = [link('vertex', 60_000), link('anthropic')];
    h.fakes.vertex.script({ hang: true });
    const err = await h.runner.run(h.options({ capability: testCapability(chain), deadlineMs: 100 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChainDeadlineError);
    expect(err).toBeInstanceOf(AllProvidersFailedError);
    expect(err).toMatchObject({ code: 'deadline_exceeded', status: 504 });
    expect(outcomes((err as ChainDeadlineError).attempts)).toEqual(['vertex:timeout', 'anthropic:skipped_deadline']);
  });

  it('does not start a vendor link with less than MIN_ATTEMPT_MS of the deadline left', async () => {
    const h = harness();
    // Vertex runs out of its own time 5 ms before the deadline: too little for Anthropic, which would answer.
    const chain = [link('vertex', 95), link('anthropic')];
    h.fakes.vertex.script({ hang: true });
    const err = await h.runner.run(h.options({ capability: testCapability(chain), deadlineMs: 100 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChainDeadlineError);
    expect(outcomes((err as ChainDeadlineError).attempts)).toEqual(['vertex:timeout', 'anthropic:skipped_deadline']);
    expect(h.fakes.anthropic.calls).toHaveLength(0);
    expect(MIN_ATTEMPT_MS).toBeGreaterThan(5);
  });

  it('counts every attempt in llm_attempts_total', async () => {
    const registry = new Registry();
    const h = harness({ registry });
    h.fakes.vertex.script({ fail: 'unavailable' });
    await h.runner.run(h.options({ isProviderEnabled: (p) => p !== 'anthropic' }));
    const series = (await registry.getSingleMetric('llm_attempts_total')!.get()).values.map((v) => [v.labels.provider, v.labels.outcome, v.value]);
    expect(series).toEqual(
      expect.arrayContaining([
        ['vertex', 'unavailable', 1],
        ['anthropic', 'skipped_disabled', 1],
        ['openai', 'ok', 1],
      ]),
    );
  });
});
