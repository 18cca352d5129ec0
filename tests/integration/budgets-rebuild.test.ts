import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMemoryKeyValue, createRedisKeyValue, type KeyValueAdapter } from '../../shared/cache/index.js';
import {
  applySettlements,
  budgetCountersFor,
  counterKey,
  createBudgetGate,
  periodBounds,
  reconcile,
  type BudgetDeps,
  type BudgetGate,
} from '../../shared/budgets/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { withTransaction } from '../../shared/db/index.js';
import { isAppError } from '../../shared/errors/app-error.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

const config = loadConfig({ env: { APP_ENV: 'test' } });
const redisUrl = inject('redisUrl');
const END_OF_TIME = new Date(8.64e15);
const CAPABILITY = 'notification.guest_message_draft';
const ESTIMATE = 1_000;
const LIMIT = 50_000;

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase({ poolMax: 10 });
});
afterAll(async () => {
  await db?.close();
});

const depsWith = (kv: KeyValueAdapter): BudgetDeps => ({
  kv,
  pool: db.pool,
  config: { prices: config.prices, tenantDefaults: { budgets: [{ period: 'daily', capability: null, limitMicros: LIMIT }] } },
});

/** reserve → settle → release; returns what was charged, or 0 when refused. */
async function call(gate: BudgetGate, tenantId: string, actual: number): Promise<number> {
  try {
    const reservation = await gate.reserve({ tenantId, capability: CAPABILITY, estimateMicros: ESTIMATE });
    await withTransaction(db.pool, (tx) => applySettlements(tx, [gate.settlementFor(reservation, actual)], config.events.topics, config.events.source));
    await gate.release(reservation, actual);
    return actual;
  } catch (err) {
    if (isAppError(err) && err.code === 'budget_exhausted') return 0;
    throw err;
  }
}

async function ledgerSpent(tenantId: string): Promise<number> {
  const { rows } = await db.pool.query<{ spent_micros: number }>(
    `SELECT spent_micros FROM budget_periods WHERE tenant_id = $1 AND capability = '*' AND period = 'daily'`,
    [tenantId],
  );
  return rows[0]?.spent_micros ?? 0;
}

/** `fresh()` returns an empty store standing for the same one after a restart. */
function describeRebuild(name: string, fresh: () => KeyValueAdapter): void {
  describe(`counters rebuilt from the ledger (${name})`, () => {
    const stores: KeyValueAdapter[] = [];
    const store = () => {
      const kv = fresh();
      stores.push(kv);
      return kv;
    };
    afterAll(async () => {
      // Leave nothing behind in a shared Redis: every counter has "ended" by the end of time.
      await Promise.all(stores.map(async (kv) => {
        await budgetCountersFor(kv).deleteEnded(END_OF_TIME);
        await kv.close();
      }));
    });

    it('does not overspend after the key/value store comes back empty', async () => {
      const tenantId = `t-${randomUUID()}`;
      const before = createBudgetGate(depsWith(store()));
      for (let i = 0; i < 30; i++) await call(before, tenantId, 900);
      expect(await ledgerSpent(tenantId)).toBe(27_000);

      // "Redis restarted": same ledger, no counters. 100 concurrent calls may only use what is left.
      const kv = store();
      const after = createBudgetGate(depsWith(kv));
      const charged = await Promise.all(Array.from({ length: 100 }, () => call(after, tenantId, 900)));
      const admitted = charged.filter((c) => c > 0).length;
      expect(admitted).toBeGreaterThanOrEqual(Math.floor((LIMIT - 27_000) / ESTIMATE));
      expect(await ledgerSpent(tenantId)).toBe(27_000 + admitted * 900);
      expect(await ledgerSpent(tenantId)).toBeLessThanOrEqual(LIMIT);

      const [state] = await budgetCountersFor(kv).read([counterKey(tenantId, '*', periodBounds('daily', new Date()))], 0);
      expect(state).toMatchObject({ spentMicros: await ledgerSpent(tenantId), reservedMicros: 0, limitMicros: LIMIT });
    });

    it('reconcile raises counters that missed settled calls back to the ledger', async () => {
      const tenantId = `t-${randomUUID()}`;
      const kv = store();
      const deps = depsWith(kv);
      const gate = createBudgetGate(deps);
      await call(gate, tenantId, 1_000);
      // A call settled in the ledger whose release never reached the counters (e.g. a failover lost it).
      const lost = await gate.reserve({ tenantId, capability: CAPABILITY, estimateMicros: ESTIMATE });
      await withTransaction(db.pool, (tx) => applySettlements(tx, [gate.settlementFor(lost, 40_000)], config.events.topics, config.events.source));
      const key = counterKey(tenantId, '*', periodBounds('daily', new Date()));
      expect((await budgetCountersFor(kv).read([key], 0))[0]?.spentMicros).toBe(1_000);

      await reconcile(deps, { tenantId });
      expect((await budgetCountersFor(kv).read([key], 0))[0]?.spentMicros).toBe(41_000);
      // 41,000 spent + 1,000 still reserved by `lost`: 8 more calls fit, not 9
      const more = await Promise.all(Array.from({ length: 20 }, () => call(gate, tenantId, 1_000)));
      expect(more.filter((c) => c > 0)).toHaveLength(8);
    });
  });
}

describeRebuild('memory store', () => createMemoryKeyValue());

if (redisUrl) {
  // A new key prefix is an empty Redis as far as the budget counters can tell.
  describeRebuild('Redis', () => createRedisKeyValue({ url: redisUrl, keyPrefix: `budgettest:${randomUUID()}:` }));
}
