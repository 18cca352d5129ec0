import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMemoryKeyValue, createRedisKeyValue, type KeyValueAdapter } from '../../shared/cache/index.js';
import {
  applySettlements,
  budgetCountersFor,
  createBudgetGate,
  counterKey,
  periodBounds,
  type BudgetDeps,
  type BudgetGate,
} from '../../shared/budgets/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { withTransaction } from '../../shared/db/index.js';
import { isAppError, type AppError } from '../../shared/errors/app-error.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

const config = loadConfig({ env: { APP_ENV: 'test' } });
const redisUrl = inject('redisUrl');
const END_OF_TIME = new Date(8.64e15);
const CAPABILITY = 'reservation.upsell_offer';
const ESTIMATE = 1_000;
const LIMIT = 50 * ESTIMATE; // fits about 50 calls at their worst case
const CALLS = 200;

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase({ poolMax: 10 });
});
afterAll(async () => {
  await db?.close();
});

function depsWith(kv: KeyValueAdapter): BudgetDeps {
  return {
    kv,
    pool: db.pool,
    config: {
      prices: config.prices,
      tenantDefaults: { budgets: [{ period: 'daily', capability: null, limitMicros: LIMIT }, { period: 'monthly', capability: null, limitMicros: 100 * LIMIT }] },
    },
  };
}

type Outcome = { admitted: true; succeeded: boolean; actual: number } | { admitted: false; error: AppError };

/** One call as the pipeline runs it: reserve → provider → settle in a transaction → release after commit. */
async function cycle(gate: BudgetGate, tenantId: string, i: number): Promise<Outcome> {
  let reservation;
  try {
    reservation = await gate.reserve({ tenantId, capability: CAPABILITY, estimateMicros: ESTIMATE });
  } catch (err) {
    if (isAppError(err)) return { admitted: false, error: err };
    throw err;
  }
  await new Promise((resolve) => setTimeout(resolve, i % 3)); // the provider call
  if (i % 10 === 9) {
    // the provider failed before reporting usage: nothing to charge
    await gate.release(reservation, 0);
    return { admitted: true, succeeded: false, actual: 0 };
  }
  const actual = ESTIMATE - (i % 7) * 45; // 730..1000: real costs stay within the worst case
  await withTransaction(db.pool, (tx) => applySettlements(tx, [gate.settlementFor(reservation, actual)], config.events.topics, config.events.source));
  await gate.release(reservation, actual);
  return { admitted: true, succeeded: true, actual };
}

async function ledger(tenantId: string, scope: string) {
  const { rows } = await db.pool.query<{ spent_micros: number; calls: number }>(
    `SELECT spent_micros, calls FROM budget_periods WHERE tenant_id = $1 AND capability = $2 AND period = 'daily'`,
    [tenantId, scope],
  );
  return rows[0];
}

function describeConcurrency(name: string, makeKv: () => KeyValueAdapter): void {
  describe(`${CALLS} concurrent reserve → settle cycles (${name})`, () => {
    let kv: KeyValueAdapter;
    beforeAll(() => {
      kv = makeKv();
    });
    afterAll(async () => {
      // Leave nothing behind in a shared Redis: every counter has "ended" by the end of time.
      await budgetCountersFor(kv).deleteEnded(END_OF_TIME);
      await kv?.close();
    });

    it('never spends past the limit, charges exactly the successful calls and refuses the rest with 402', async () => {
      const tenantId = `t-${randomUUID()}`;
      const gate = createBudgetGate(depsWith(kv));
      const outcomes = await Promise.all(Array.from({ length: CALLS }, (_, i) => cycle(gate, tenantId, i)));

      const admitted = outcomes.filter((o) => o.admitted);
      const succeeded = admitted.filter((o) => o.succeeded);
      const rejected = outcomes.filter((o) => !o.admitted);
      const charged = succeeded.reduce((sum, o) => sum + o.actual, 0);

      // At least every call whose worst case fits is admitted; the others are refused, never errored.
      expect(admitted.length).toBeGreaterThanOrEqual(LIMIT / ESTIMATE);
      expect(rejected.length).toBeGreaterThan(0);
      expect(admitted.length + rejected.length).toBe(CALLS);
      for (const { error } of rejected) {
        expect(error).toMatchObject({ status: 402, code: 'budget_exhausted' });
        expect(error.detail).toMatch(/daily budget/);
        expect(Number(error.headers['Retry-After'])).toBeGreaterThan(0);
      }

      // The ledger holds exactly the successful calls, and never more than the limit.
      const tenantWide = await ledger(tenantId, '*');
      expect(tenantWide).toEqual({ spent_micros: charged, calls: succeeded.length });
      expect(charged).toBeLessThanOrEqual(LIMIT);
      // The capability's own period (no limit of its own) records the same spend.
      expect(await ledger(tenantId, CAPABILITY)).toEqual({ spent_micros: charged, calls: succeeded.length });

      // The counters agree with the ledger and hold no reservation once every call is done.
      const [state] = await budgetCountersFor(kv).read([counterKey(tenantId, '*', periodBounds('daily', new Date()))], 0);
      expect(state).toMatchObject({ limitMicros: LIMIT, spentMicros: charged, reservedMicros: 0 });
    });

    it('refuses a call whose worst case alone exceeds the limit, and admits one that exactly fits', async () => {
      const tenantId = `t-${randomUUID()}`;
      const gate = createBudgetGate(depsWith(kv));
      await expect(gate.reserve({ tenantId, capability: CAPABILITY, estimateMicros: LIMIT + 1 })).rejects.toMatchObject({ code: 'budget_exhausted' });
      const exact = await gate.reserve({ tenantId, capability: CAPABILITY, estimateMicros: LIMIT });
      await expect(gate.reserve({ tenantId, capability: CAPABILITY, estimateMicros: 1 })).rejects.toMatchObject({ code: 'budget_exhausted' });
      await gate.release(exact, 0);
      await gate.release(exact, 0); // a second release of the same reservation changes nothing
      const again = await gate.reserve({ tenantId, capability: CAPABILITY, estimateMicros: LIMIT });
      await gate.release(again, 0);
    });

    it('keeps tenants apart: one tenant exhausting its budget does not touch another', async () => {
      const gate = createBudgetGate(depsWith(kv));
      const a = `t-${randomUUID()}`;
      const b = `t-${randomUUID()}`;
      const held = await gate.reserve({ tenantId: a, capability: CAPABILITY, estimateMicros: LIMIT });
      await expect(gate.reserve({ tenantId: a, capability: CAPABILITY, estimateMicros: 1 })).rejects.toMatchObject({ code: 'budget_exhausted' });
      const other = await gate.reserve({ tenantId: b, capability: CAPABILITY, estimateMicros: LIMIT });
      await gate.release(held, 0);
      await gate.release(other, 0);
    });
  });
}

describeConcurrency('memory store', () => createMemoryKeyValue());

if (redisUrl) {
  describeConcurrency('Redis', () => createRedisKeyValue({ url: redisUrl, keyPrefix: `budgettest:${randomUUID()}:` }));
}
