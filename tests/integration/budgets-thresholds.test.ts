import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryKeyValue, type MemoryKeyValue } from '../../shared/cache/index.js';
import { applySettlements, createBudgetGate, setBudgetLimits, type BudgetDeps, type Settlement } from '../../shared/budgets/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { withTransaction } from '../../shared/db/index.js';
import { validateEventData } from '../../shared/events/index.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

const config = loadConfig({ env: { APP_ENV: 'test' } });
const CAPABILITY = 'support.policy_answer';
const DAILY = 1_000_000;
const MONTHLY = 2_000_000;

let db: TestDatabase;
let kv: MemoryKeyValue;
let deps: BudgetDeps;
beforeAll(async () => {
  db = await testDatabase({ poolMax: 10 });
  kv = createMemoryKeyValue();
  deps = {
    kv,
    pool: db.pool,
    config: {
      prices: config.prices,
      tenantDefaults: { budgets: [{ period: 'daily', capability: null, limitMicros: DAILY }, { period: 'monthly', capability: null, limitMicros: MONTHLY }] },
    },
  };
});
afterAll(async () => {
  await kv?.close();
  await db?.close();
});

/** A settlement of `micros` on the tenant's current periods, as the gate makes it for an admitted call. */
async function settlementOf(tenantId: string, micros: number): Promise<Settlement> {
  const gate = createBudgetGate(deps);
  const reservation = await gate.reserve({ tenantId, capability: CAPABILITY, estimateMicros: 0 });
  await gate.release(reservation, 0);
  return gate.settlementFor(reservation, micros);
}

async function settle(settlements: Settlement[]): Promise<void> {
  await withTransaction(db.pool, (tx) => applySettlements(tx, settlements, config.events.topics, config.events.source));
}

interface Crossing {
  period: string;
  capability: string | null;
  threshold_percent: number;
  limit_micros: number;
  spent_micros: number;
}

async function crossings(tenantId: string): Promise<Crossing[]> {
  const { rows } = await db.pool.query<{ event_type: string; topic: string; payload: Crossing }>(
    `SELECT event_type, topic, payload FROM outbox WHERE ordering_key = $1 AND event_type = 'budget.threshold_crossed' ORDER BY id`,
    [tenantId],
  );
  for (const row of rows) {
    validateEventData(row.event_type, row.payload);
    expect(row.topic).toBe(config.events.topics.budget);
  }
  return rows.map((r) => r.payload);
}

const percents = (list: Crossing[], period: string) =>
  list.filter((c) => c.period === period).map((c) => c.threshold_percent).sort((a, b) => a - b);

describe('budget.threshold_crossed', () => {
  it('is emitted exactly once per threshold per period by concurrent settlements in separate transactions', async () => {
    const tenantId = `t-${randomUUID()}`;
    const one = await settlementOf(tenantId, 25_000);
    // 60 × 25,000 = 1,500,000: past 50/80/100 % of the daily budget, past 50 % of the monthly one
    await Promise.all(Array.from({ length: 60 }, () => settle([one])));

    const events = await crossings(tenantId);
    expect(percents(events, 'daily')).toEqual([50, 80, 100]);
    expect(percents(events, 'monthly')).toEqual([50]);
    // the capability has no limit of its own: nothing to announce for it
    expect(events.every((e) => e.capability === null)).toBe(true);
    for (const e of events) {
      expect(e.limit_micros).toBe(e.period === 'daily' ? DAILY : MONTHLY);
      // announced by the settlement that reached it: at most one call (25,000) past the threshold
      const threshold = (e.threshold_percent * e.limit_micros) / 100;
      expect(e.spent_micros).toBeGreaterThanOrEqual(threshold);
      expect(e.spent_micros).toBeLessThan(threshold + 25_000);
    }

    // 70 × 25,000 = 1,750,000: nothing new for the day, 80 % of the month
    await Promise.all(Array.from({ length: 10 }, () => settle([one])));
    const later = await crossings(tenantId);
    expect(percents(later, 'daily')).toEqual([50, 80, 100]);
    expect(percents(later, 'monthly')).toEqual([50, 80]);
  });

  it('announces every threshold a grouped commit jumps over, each once', async () => {
    const tenantId = `t-${randomUUID()}`;
    const small = await settlementOf(tenantId, 100_000);
    await settle([small, small, small, small]); // 40 %
    expect(await crossings(tenantId)).toEqual([]);
    await settle([small, small, small, small, small]); // 90 %: 50 and 80 in one batch
    expect(percents(await crossings(tenantId), 'daily')).toEqual([50, 80]);
    await settle([small, small]); // 110 %
    expect(percents(await crossings(tenantId), 'daily')).toEqual([50, 80, 100]);
  });

  it('is not announced again after the limit is raised past the spend', async () => {
    const tenantId = `t-${randomUUID()}`;
    const half = await settlementOf(tenantId, DAILY / 2);
    await settle([half]);
    expect(percents(await crossings(tenantId), 'daily')).toEqual([50]);
    await setBudgetLimits(deps, tenantId, [{ period: 'daily', capability: null, limit_micros: 4 * DAILY }]);
    await settle([half, half]); // 1,500,000 of 4,000,000: under 50 % now, and 50 % was announced already
    await settle([half, half, half]); // 3,000,000 = 75 %
    expect(percents(await crossings(tenantId), 'daily')).toEqual([50]);
    await settle([half, half]); // 4,000,000 = 100 %: 80 and 100 are new
    expect(percents(await crossings(tenantId), 'daily')).toEqual([50, 80, 100]);
  });

  it('charges a free call without announcing anything', async () => {
    const tenantId = `t-${randomUUID()}`;
    await settle([await settlementOf(tenantId, 0)]);
    expect(await crossings(tenantId)).toEqual([]);
    const { rows } = await db.pool.query(`SELECT spent_micros, calls FROM budget_periods WHERE tenant_id = $1 AND capability = '*' AND period = 'daily'`, [tenantId]);
    expect(rows).toEqual([{ spent_micros: 0, calls: 1 }]);
  });
});
