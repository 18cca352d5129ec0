import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { ProviderErrorKind } from '../../shared/providers/errors.js';
import type { Attempt, BreakerState, ChainRunner } from '../../shared/routing/index.js';
import { eventually } from '../support/service.js';
import { routingHarness, type RoutingHarness } from '../support/fake-llm.js';

const runners: ChainRunner[] = [];
afterEach(() => {
  for (const r of runners.splice(0)) r.close();
});
// Opens once 3 calls in the window have failed more than half the time; half-opens 200 ms later.
const BREAKER = { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 200 };
function harness(opts: Parameters<typeof routingHarness>[0] = {}): RoutingHarness {
  const h = routingHarness({ breaker: BREAKER, ...opts });
  runners.push(h.runner);
  return h;
}
const outcomes = (attempts: Attempt[]) => attempts.map((a) => `${a.provider}:${a.outcome}`);
const vertexState = (h: RoutingHarness): BreakerState | undefined => h.runner.breakerStates()['vertex:vertex-model'];

describe('chain runner: circuit breaker per provider and model', () => {
  it('opens after repeated failures, skips the link, half-opens after resetTimeout and closes on a success', async () => {
    const registry = new Registry();
    const h = harness({ registry });
    h.fakes.vertex.always({ fail: 'unavailable', status: 500 });
    for (let i = 0; i < 3; i++) await h.runner.run(h.options());
    expect(vertexState(h)).toBe('open');
    const gauge = async () => (await registry.getSingleMetric('llm_breaker_state')!.get()).values.find((v) => v.labels.provider === 'vertex')?.value;
    expect(await gauge()).toBe(1);

    const skipped = await h.runner.run(h.options());
    expect(outcomes(skipped.attempts)).toEqual(['vertex:breaker_open', 'anthropic:ok']);
    expect(h.fakes.vertex.calls).toHaveLength(3);

    await eventually(async () => vertexState(h) === 'halfOpen', 5_000, 20);
    expect(await gauge()).toBe(2);
    h.fakes.vertex.always({ text: JSON.stringify({ answer: 'back' }) });
    const trial = await h.runner.run(h.options());
    expect(outcomes(trial.attempts)).toEqual(['vertex:ok']);
    expect(vertexState(h)).toBe('closed');
    expect(await gauge()).toBe(0);
  });

  it('opens again when the half-open trial fails', async () => {
    const h = harness();
    h.fakes.vertex.always({ fail: 'timeout' });
    for (let i = 0; i < 3; i++) await h.runner.run(h.options());
    await eventually(async () => vertexState(h) === 'halfOpen', 5_000, 20);
    const trial = await h.runner.run(h.options());
    expect(outcomes(trial.attempts)).toEqual(['vertex:timeout', 'anthropic:ok']);
    expect(vertexState(h)).toBe('open');
  });

  it('counts invalid output against the breaker', async () => {
    const h = harness();
    h.fakes.vertex.always({ text: 'not json' });
    for (let i = 0; i < 3; i++) await h.runner.run(h.options());
    expect(vertexState(h)).toBe('open');
  });

  it('keeps one breaker per provider+model: another model of the same provider still runs', async () => {
    const h = harness();
    const chain = [
      { provider: 'vertex' as const, model: 'vertex-model', timeoutMs: 1_000 },
      { provider: 'vertex' as const, model: 'vertex-pro', timeoutMs: 1_000 },
    ];
    h.fakes.vertex.always({ fail: 'unavailable' });
    const capability = { ...h.options().capability, chain: [chain[0]!] };
    for (let i = 0; i < 3; i++) await h.runner.run(h.options({ capability })).catch(() => undefined);
    h.fakes.vertex.always({ text: JSON.stringify({ answer: 'pro' }) });
    const out = await h.runner.run(h.options({ capability: { ...capability, chain } }));
    expect(outcomes(out.attempts)).toEqual(['vertex:breaker_open', 'vertex:ok']);
    expect(out.model).toBe('vertex-pro');
    expect(h.runner.breakerStates()).toEqual({ 'vertex:vertex-model': 'open', 'vertex:vertex-pro': 'closed' });
  });

  const notTheProvidersFault: ProviderErrorKind[] = ['bad_request', 'refused', 'auth'];
  it.each(notTheProvidersFault)('is not opened by %s', async (kind) => {
    const h = harness();
    h.fakes.vertex.always({ fail: kind });
    for (let i = 0; i < 6; i++) await h.runner.run(h.options()).catch(() => undefined);
    expect(h.fakes.vertex.calls).toHaveLength(6);
    expect(vertexState(h)).toBe('closed');
  });
});
