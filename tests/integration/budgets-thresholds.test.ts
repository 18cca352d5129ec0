import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryKeyValue, type MemoryKeyValue } from '../../shared/cache/index.js';
import { applySettlements, chargeInStatement, createBudgetGate, setBudgetLimits, type BudgetDeps, type Settlement } from '../../shared/budgets/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { withTransaction } from '../../shared/db/index.js';
import { createEvent, validateEventData } from '../../shared/events/index.js';
import { createCallRecorder, type CallRecord } from '../../shared/recording/calls.js';
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

describe('budget.threshold_crossed, with calls recorded in one statement', () => {
  // The orchestrator's recorder: calls, events and charges in one statement, unless a threshold is reached.
  const recorder = () => {
    const counts = { transactions: 0 };
    const rec = createCallRecorder<Settlement>({
      pool: db.pool,
      topics: config.events.topics,
      applySettlements: async (tx, settlements) => {
        counts.transactions++;
        await applySettlements(tx, settlements, config.events.topics, config.events.source);
      },
      settlementStatement: chargeInStatement,
    });
    return { record: (s: Settlement) => rec.record(paidCall(s)), counts };
  };

  it('announces each threshold once, from the transaction; the calls in between take no transaction', async () => {
    const tenantId = `t-${randomUUID()}`;
    const tenth = await settlementOf(tenantId, DAILY / 10);
    const { record, counts } = recorder();
    const transactionsAfter: number[] = [];
    for (let i = 1; i <= 12; i++) {
      await record(tenth); // one call per batch: 10 %, 20 %, … of the day
      transactionsAfter.push(counts.transactions);
    }
    // 50 % (call 5), 80 % (call 8), 100 % (call 10) of the day, and 50 % of the month (call 10) with it.
    expect(transactionsAfter).toEqual([0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 3]);
    const events = await crossings(tenantId);
    expect(percents(events, 'daily')).toEqual([50, 80, 100]);
    expect(percents(events, 'monthly')).toEqual([50]);
    const { rows } = await db.pool.query(`SELECT period, spent_micros, calls FROM budget_periods WHERE tenant_id = $1 AND capability = '*' ORDER BY period`, [tenantId]);
    expect(rows).toEqual([
      { period: 'daily', spent_micros: 12 * (DAILY / 10), calls: 12 },
      { period: 'monthly', spent_micros: 12 * (DAILY / 10), calls: 12 },
    ]);
  });

  it('is emitted exactly once per threshold by three recorders (instances) racing, and every call is charged once', async () => {
    const tenantId = `t-${randomUUID()}`;
    const one = await settlementOf(tenantId, 25_000);
    const instances = [recorder(), recorder(), recorder()];
    // 60 × 25,000 = 1,500,000: past 50/80/100 % of the day and 50 % of the month
    await Promise.all(Array.from({ length: 60 }, (_, i) => instances[i % 3]!.record(one)));
    const events = await crossings(tenantId);
    expect(percents(events, 'daily')).toEqual([50, 80, 100]);
    expect(percents(events, 'monthly')).toEqual([50]);
    const { rows } = await db.pool.query(`SELECT period, spent_micros, calls FROM budget_periods WHERE tenant_id = $1 AND capability = '*' ORDER BY period`, [tenantId]);
    expect(rows).toEqual([
      { period: 'daily', spent_micros: 1_500_000, calls: 60 },
      { period: 'monthly', spent_micros: 1_500_000, calls: 60 },
    ]);
    const calls = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ai_calls WHERE tenant_id = $1`, [tenantId]);
    expect(calls.rows[0]?.n).toBe(60);
  });
});

/** A completed, paid call as the inference path records it. */
function paidCall(settlement: Settlement): CallRecord<Settlement> {
  const callId = randomUUID();
  const cost = settlement.amountMicros;
  return {
    row: {
      call_id: callId, tenant_id: settlement.tenantId, capability: CAPABILITY, channel: 'invoke', status: 'completed', error_code: null,
      provider: 'openai', model: 'gpt-4.1-mini', degraded: false, cache_hit: false, input_tokens: 10, output_tokens: 20, cost_micros: cost,
      latency_ms: 5, input_hash: 'h', idempotency_key: null, correlation_id: null, attempts: [], hitl_status: null, output: null,
    },
    event: createEvent({
      type: 'inference.completed', tenantId: settlement.tenantId, source: config.events.source,
      data: { call_id: callId, capability: CAPABILITY, provider: 'openai', model: 'gpt-4.1-mini', input_tokens: 10, output_tokens: 20, cost_micros: cost, cache_hit: false, degraded: false, latency_ms: 5 },
    }),
    settlement,
  };
}
