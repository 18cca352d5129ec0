import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMemoryKeyValue, createRedisKeyValue, type KeyValueAdapter } from '../../shared/cache/index.js';
import { budgetCountersFor, counterKey, periodBounds, type BudgetCounters } from '../../shared/budgets/index.js';
import type { CounterSlot } from '../../shared/budgets/counters/index.js';

const redisUrl = inject('redisUrl');
const END_OF_TIME = new Date(8.64e15);
const TTL = 60_000;
const buckets = { bucket: 100, oldestLiveBucket: 70 };

/** The semantics both counter adapters share (Redis Lua scripts, memory store). */
function describeCounters(name: string, makeKv: () => KeyValueAdapter): void {
  describe(`budget counters: ${name}`, () => {
    let kv: KeyValueAdapter;
    let counters: BudgetCounters;
    beforeAll(() => {
      kv = makeKv();
      counters = budgetCountersFor(kv);
    });
    afterAll(async () => {
      // Leave nothing behind in a shared Redis: every counter has "ended" by the end of time.
      await counters.deleteEnded(END_OF_TIME);
      await kv.close();
    });

    const day = periodBounds('daily', new Date());
    const key = () => counterKey(`t-${randomUUID()}`, '*', day);
    const built = (k: string, limitMicros: number | null, spentMicros = 0, generation = 'g1'): CounterSlot => ({ key: k, ttlMs: TTL, init: { limitMicros, spentMicros, generation } });

    it('reports missing counters and reserves nothing until they are built', async () => {
      const a = key();
      const b = key();
      expect(await counters.reserve([{ key: a, ttlMs: TTL }, { key: b, ttlMs: TTL }], 10, buckets)).toEqual({ kind: 'missing', indexes: [0, 1] });
      expect(await counters.read([a, b], 0)).toEqual([null, null]);
      const outcome = await counters.reserve([built(a, 100, 20, 'ga'), built(b, null, 5, 'gb')], 10, buckets);
      expect(outcome).toEqual({ kind: 'reserved', held: [{ generation: 'ga', limitMicros: 100 }, { generation: 'gb', limitMicros: null }] });
      expect(await counters.read([a, b], 0)).toEqual([
        { limitMicros: 100, spentMicros: 20, reservedMicros: 10, generation: 'ga' },
        { limitMicros: null, spentMicros: 5, reservedMicros: 10, generation: 'gb' },
      ]);
    });

    it('never overwrites a counter that exists with a baseline (only missing ones are built)', async () => {
      const a = key();
      await counters.reserve([built(a, 100, 0, 'first')], 10, buckets);
      await counters.reserve([built(a, 999, 50, 'second')], 10, buckets);
      expect(await counters.read([a], 0)).toEqual([{ limitMicros: 100, spentMicros: 0, reservedMicros: 20, generation: 'first' }]);
    });

    it('admits up to spent + reserved + estimate = limit, on every counter or none', async () => {
      const tight = key();
      const loose = key();
      await counters.reserve([built(tight, 100, 30), built(loose, 1_000)], 40, buckets);
      // tight: 30 spent + 40 reserved + 30 = 100: fits exactly
      expect((await counters.reserve([built(tight, 0), built(loose, 0)], 30, buckets)).kind).toBe('reserved');
      const refused = await counters.reserve([built(loose, 0), built(tight, 0)], 1, buckets);
      expect(refused).toEqual({ kind: 'exhausted', exhausted: [{ index: 1, limitMicros: 100, spentMicros: 30, reservedMicros: 70 }] });
      // the loose counter was not charged for the refused call
      expect((await counters.read([loose], 0))[0]?.reservedMicros).toBe(70);
    });

    it('releases the estimate and counts the actual cost', async () => {
      const a = key();
      const reserved = await counters.reserve([built(a, 1_000, 100, 'g')], 300, buckets);
      expect(reserved.kind).toBe('reserved');
      await counters.release([{ key: a, generation: 'g' }], 300, 120, buckets.bucket);
      expect(await counters.read([a], 0)).toEqual([{ limitMicros: 1_000, spentMicros: 220, reservedMicros: 0, generation: 'g' }]);
    });

    it('applies releases made in the same tick as separate releases would (they go out summed)', async () => {
      const a = key();
      const b = key();
      for (let i = 0; i < 3; i++) expect((await counters.reserve([built(a, 1_000, 0, 'g')], 100, buckets)).kind).toBe('reserved');
      await counters.reserve([built(b, 1_000, 0, 'g')], 100, buckets);
      // the calls of one group commit: three on counter a, one on b, one releasing into a bucket of its own
      await Promise.all([
        counters.release([{ key: a, generation: 'g' }], 100, 10, buckets.bucket),
        counters.release([{ key: a, generation: 'g' }], 100, 20, buckets.bucket),
        counters.release([{ key: b, generation: 'g' }], 100, 40, buckets.bucket),
        counters.release([{ key: a, generation: 'g' }], 100, 30, buckets.bucket),
        counters.release([{ key: a, generation: 'g' }], 50, 5, buckets.bucket + 1),
      ]);
      expect(await counters.read([a, b], 0)).toEqual([
        { limitMicros: 1_000, spentMicros: 65, reservedMicros: 0, generation: 'g' },
        { limitMicros: 1_000, spentMicros: 40, reservedMicros: 0, generation: 'g' },
      ]);
    });

    it('does not take a reservation back from a rebuilt counter (other generation), but still counts the cost', async () => {
      const a = key();
      await counters.reserve([built(a, 1_000, 0, 'old')], 300, buckets);
      await counters.delete([a]); // "Redis restarted"
      await counters.reserve([built(a, 1_000, 0, 'new')], 200, buckets);
      await counters.release([{ key: a, generation: 'old' }], 300, 250, buckets.bucket);
      expect(await counters.read([a], 0)).toEqual([{ limitMicros: 1_000, spentMicros: 250, reservedMicros: 200, generation: 'new' }]);
    });

    it('leaves a missing counter missing on release (the ledger already has the call)', async () => {
      const a = key();
      await counters.release([{ key: a, generation: 'g' }], 300, 250, buckets.bucket);
      expect(await counters.read([a], 0)).toEqual([null]);
    });

    it('stops counting reservations older than the live buckets (a crashed caller never releases)', async () => {
      const a = key();
      await counters.reserve([built(a, 100)], 90, { bucket: 10, oldestLiveBucket: 0 });
      expect((await counters.reserve([built(a, 100)], 20, { bucket: 11, oldestLiveBucket: 1 })).kind).toBe('exhausted');
      expect((await counters.reserve([built(a, 100)], 20, { bucket: 40, oldestLiveBucket: 11 })).kind).toBe('reserved');
      expect((await counters.read([a], 11))[0]?.reservedMicros).toBe(20);
      // a late release of the expired reservation still records its cost
      await counters.release([{ key: a, generation: 'g1' }], 90, 80, 10);
      expect(await counters.read([a], 11)).toEqual([{ limitMicros: 100, spentMicros: 80, reservedMicros: 20, generation: 'g1' }]);
    });

    it('sets limits and reconciles existing counters only, never lowering spent', async () => {
      const a = key();
      const missing = key();
      await counters.reserve([built(a, 100, 50)], 0, buckets);
      await counters.setLimit(a, 500);
      await counters.setLimit(missing, 500);
      expect((await counters.read([a, missing], 0))[0]?.limitMicros).toBe(500);
      expect((await counters.read([missing], 0))[0]).toBeNull();
      await counters.reconcile(a, 40, 600); // ledger behind the counter (a release in flight): keep 50
      expect((await counters.read([a], 0))[0]).toMatchObject({ limitMicros: 600, spentMicros: 50 });
      await counters.reconcile(a, 75, null); // counter behind the ledger (lost releases): raise to 75
      expect((await counters.read([a], 0))[0]).toMatchObject({ limitMicros: null, spentMicros: 75 });
    });

    it('deletes the counters of ended periods and keeps current ones', async () => {
      const tenant = `t-${randomUUID()}`;
      const old = counterKey(tenant, '*', periodBounds('daily', new Date(Date.now() - 3 * 86_400_000)));
      const current = counterKey(tenant, '*', day);
      await counters.reserve([built(old, 100), built(current, 100)], 1, buckets);
      expect(await counters.deleteEnded(new Date(Date.now() - 86_400_000))).toBeGreaterThanOrEqual(1);
      expect(await counters.read([old, current], 0)).toEqual([null, expect.objectContaining({ reservedMicros: 1 })]);
    });

    it('keeps integer micro-dollars exact up to 2^53', async () => {
      const a = key();
      const big = 2 ** 52;
      await counters.reserve([built(a, Number.MAX_SAFE_INTEGER, big)], big - 2, buckets);
      expect((await counters.read([a], 0))[0]).toMatchObject({ spentMicros: big, reservedMicros: big - 2, limitMicros: Number.MAX_SAFE_INTEGER });
      // 2^52 + (2^52 - 2) + 1 = 2^53 - 1: fits exactly; one more micro-dollar does not
      expect((await counters.reserve([built(a, 0)], 1, buckets)).kind).toBe('reserved');
      expect((await counters.reserve([built(a, 0)], 1, buckets)).kind).toBe('exhausted');
    });
  });
}

describeCounters('memory', () => createMemoryKeyValue());

if (redisUrl) {
  describeCounters('redis', () => createRedisKeyValue({ url: redisUrl, keyPrefix: `budgettest:${randomUUID()}:` }));
}

if (redisUrl) {
  describe('budget counters on a Redis client shared with other commands (auto-pipelining)', () => {
    // ioredis gives an auto-pipeline the commands its client had when the pipeline was created: the first
    // reservation of a process, issued in the same tick as a rate-limit check or a cache read, must work.
    it('fails every release of a tick with kv_unavailable when the store cannot take them', async () => {
      const kv = createRedisKeyValue({ url: redisUrl, keyPrefix: `budgettest:${randomUUID()}:` });
      const counters = budgetCountersFor(kv);
      await kv.close();
      const k = counterKey(`t-${randomUUID()}`, '*', periodBounds('daily', new Date()));
      const results = await Promise.allSettled([
        counters.release([{ key: k, generation: 'g' }], 10, 5, buckets.bucket),
        counters.release([{ key: k, generation: 'g' }], 20, 5, buckets.bucket),
      ]);
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      for (const r of results) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'kv_unavailable' });
    });

    it('makes the first reservation in the same tick as another command on the client', async () => {
      const kv = createRedisKeyValue({ url: redisUrl, keyPrefix: `budgettest:${randomUUID()}:` });
      try {
        const counters = budgetCountersFor(kv); // as the budget gate does when it is made
        await kv.ping();
        const k = counterKey(`t-${randomUUID()}`, '*', periodBounds('daily', new Date()));
        const read = kv.get('some-cache-key'); // opens this tick's auto-pipeline
        const [, outcome] = await Promise.all([read, counters.reserve([{ key: k, ttlMs: TTL, init: { limitMicros: 100, spentMicros: 0, generation: 'g' } }], 10, buckets)]);
        expect(outcome).toEqual({ kind: 'reserved', held: [{ generation: 'g', limitMicros: 100 }] });
        await counters.deleteEnded(END_OF_TIME);
      } finally {
        await kv.close();
      }
    });
  });
}
