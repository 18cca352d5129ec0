import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../shared/providers/errors.js';
import { MIN_ATTEMPT_MS } from '../../shared/routing/chain.js';
import { retryDelayMs } from '../../shared/routing/retry.js';
import type { Attempt, ChainRunner } from '../../shared/routing/index.js';
import { routingHarness, type RoutingHarness } from '../support/fake-llm.js';

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

describe('chain runner: one retry of the same link', () => {
  it('retries a 429 once after its Retry-After plus jitter, then answers from the same link', async () => {
    const h = harness({ retryJitterMs: 100 });
    h.fakes.vertex.script({ fail: 'rate_limited', retryAfterMs: 300 });
    const out = await h.runner.run(h.options());
    expect(out.provider).toBe('vertex');
    expect(outcomes(out.attempts)).toEqual(['vertex:rate_limited', 'vertex:ok']);
    expect(h.fakes.vertex.calls).toHaveLength(2);
    // random() is 0.5 in the harness: 300 ms asked + 50 ms of the 100 ms jitter.
    expect(h.sleeps).toEqual([350]);
  });

  it('retries a 503 once, but not a 500', async () => {
    const h = harness();
    h.fakes.vertex.script({ fail: 'unavailable', status: 503 });
    const first = await h.runner.run(h.options());
    expect(outcomes(first.attempts)).toEqual(['vertex:unavailable', 'vertex:ok']);

    h.fakes.vertex.script({ fail: 'unavailable', status: 500 });
    const second = await h.runner.run(h.options());
    expect(outcomes(second.attempts)).toEqual(['vertex:unavailable', 'anthropic:ok']);
  });

  it('never retries a link twice', async () => {
    const h = harness();
    h.fakes.vertex.always({ fail: 'rate_limited' });
    const out = await h.runner.run(h.options());
    expect(out.provider).toBe('anthropic');
    expect(h.fakes.vertex.calls).toHaveLength(2);
    expect(h.sleeps).toHaveLength(1);
  });

  it('moves on instead of waiting when the vendor asks for longer than the router waits', async () => {
    const h = harness();
    h.fakes.vertex.script({ fail: 'rate_limited', retryAfterMs: 60_000 });
    const out = await h.runner.run(h.options());
    expect(outcomes(out.attempts)).toEqual(['vertex:rate_limited', 'anthropic:ok']);
    expect(h.sleeps).toEqual([]);
  });

  it('does not retry when the delay would not fit within the deadline', async () => {
    const h = harness();
    h.fakes.vertex.script({ fail: 'rate_limited', retryAfterMs: 1_500 });
    const out = await h.runner.run(h.options({ deadlineMs: 1_000 }));
    expect(outcomes(out.attempts)).toEqual(['vertex:rate_limited', 'anthropic:ok']);
    expect(h.sleeps).toEqual([]);
  });

  it('does not retry when the delay would leave less than MIN_ATTEMPT_MS of the deadline', async () => {
    const h = harness();
    // 945 ms asked + 50 ms of jitter = 995 ms: it fits in the ~998 ms left, but leaves a few ms to try in.
    h.fakes.vertex.script({ fail: 'rate_limited', retryAfterMs: 945 });
    const out = await h.runner.run(h.options({ deadlineMs: 1_000 }));
    expect(outcomes(out.attempts)).toEqual(['vertex:rate_limited', 'anthropic:ok']);
    expect(h.sleeps).toEqual([]);
    expect(MIN_ATTEMPT_MS).toBeGreaterThan(5);
  });
});

describe('retryDelayMs', () => {
  const policy = { jitterMs: 250, maxRetryAfterMs: 2_000, random: () => 0.999 };
  const err = (kind: 'rate_limited' | 'unavailable' | 'timeout', status?: number, retryAfterMs?: number) =>
    new ProviderError({ kind, provider: 'openai', message: kind, status, retryAfterMs });

  it('adds up to retryJitterMs to the Retry-After the vendor asked for', () => {
    expect(retryDelayMs(err('rate_limited', 429, 1_000), policy, 30_000)).toBe(1_249);
    expect(retryDelayMs(err('rate_limited', 429), { ...policy, random: () => 0 }, 30_000)).toBe(0);
  });

  it('only retries what the provider error marks retryable', () => {
    expect(retryDelayMs(err('unavailable', 503), policy, 30_000)).toBeDefined();
    expect(retryDelayMs(err('unavailable', 500), policy, 30_000)).toBeUndefined();
    expect(retryDelayMs(err('timeout'), policy, 30_000)).toBeUndefined();
  });

  it('gives up when the delay does not fit in the time left', () => {
    expect(retryDelayMs(err('rate_limited', 429, 500), policy, 600)).toBeUndefined();
  });
});
