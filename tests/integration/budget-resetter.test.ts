import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createMemoryKeyValue, createRedisKeyValue, type KeyValueAdapter } from '../../shared/cache/index.js';
import {
  applicablePeriods,
  applySettlements,
  budgetCountersFor,
  createBudgetGate,
  runBudgetReset,
  setBudgetLimits,
  type BudgetDeps,
  type BudgetGate,
  type BudgetResetSummary,
} from '../../shared/budgets/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { withTransaction } from '../../shared/db/index.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

const run = promisify(execFile);
const config = loadConfig({ env: { APP_ENV: 'test' } });
const redisUrl = inject('redisUrl');
const CAPABILITY = 'reservation.upsell_offer';
const DAILY = 100_000;

let db: TestDatabase;
let dataDir: string;
beforeAll(async () => {
  db = await testDatabase({ poolMax: 5 });
  dataDir = await mkdtemp(path.join(tmpdir(), 'budget-resetter-'));
});
afterAll(async () => {
  await db?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function depsWith(kv: KeyValueAdapter, clock: () => Date): BudgetDeps {
  return { kv, pool: db.pool, config: { prices: config.prices, tenantDefaults: config.tenantDefaults }, clock };
}

async function spend(gate: BudgetGate, tenantId: string, micros: number): Promise<void> {
  const reservation = await gate.reserve({ tenantId, capability: CAPABILITY, estimateMicros: micros });
  await withTransaction(db.pool, (tx) => applySettlements(tx, [gate.settlementFor(reservation, micros)], config.events.topics, config.events.source));
  await gate.release(reservation, micros);
}

interface ClosedEvent {
  period: string;
  capability: string | null;
  period_start: string;
  period_end: string;
  limit_micros: number;
  spent_micros: number;
  calls: number;
}

async function closedEvents(tenantId: string): Promise<ClosedEvent[]> {
  const { rows } = await db.pool.query<{ payload: ClosedEvent }>(
    `SELECT payload FROM outbox WHERE ordering_key = $1 AND event_type = 'budget.period_closed' ORDER BY id`,
    [tenantId],
  );
  return rows.map((r) => r.payload);
}

async function periodRow(tenantId: string, scope: string, period: string, start: Date) {
  const { rows } = await db.pool.query<{ spent_micros: number; limit_micros: number | null; closed_at: Date | null }>(
    `SELECT spent_micros, limit_micros, closed_at FROM budget_periods WHERE tenant_id = $1 AND capability = $2 AND period = $3 AND period_start = $4`,
    [tenantId, scope, period, start],
  );
  return rows[0];
}

/** The job as Cloud Run runs it: its own process, configured by the environment. */
async function runJob(): Promise<BudgetResetSummary> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    APP_ENV: 'test',
    DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    LOG_LEVEL: 'warn',
  };
  if (redisUrl) env.REDIS_URL = redisUrl;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'jobs/budget-resetter/main.ts'], { env, timeout: 60_000 });
  const last = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as BudgetResetSummary;
}

describe('jobs/budget-resetter', () => {
  it('closes yesterday once, opens today with the full budget, and leaves no stale counter', async () => {
    // Redis is shared with the job (same key prefix as the service); the memory store is private to this process.
    const kv: KeyValueAdapter = redisUrl ? createRedisKeyValue({ url: redisUrl, keyPrefix: 'aiorch:' }) : createMemoryKeyValue();
    const tenantId = `t-${randomUUID()}`;
    const yesterday = new Date(Date.now() - 36 * 3_600_000); // its day ended at least 12 h ago
    try {
      const yesterdayDeps = depsWith(kv, () => yesterday);
      await setBudgetLimits(yesterdayDeps, tenantId, [{ period: 'daily', capability: null, limit_micros: DAILY }]);
      const gate = createBudgetGate(yesterdayDeps);
      for (let i = 0; i < 3; i++) await spend(gate, tenantId, 30_000);
      const [yesterdayDay] = applicablePeriods(tenantId, CAPABILITY, yesterday);

      const first = await runJob();
      expect(first.closed).toBeGreaterThanOrEqual(2); // the tenant-wide and the capability's day, at least
      const events = await closedEvents(tenantId);
      const daily = events.filter((e) => e.period === 'daily');
      // One event for the budget with a limit; the capability's own day (no limit) closes silently.
      expect(daily).toEqual([
        {
          period: 'daily',
          capability: null,
          period_start: yesterdayDay?.bounds.start.toISOString(),
          period_end: yesterdayDay?.bounds.end.toISOString(),
          limit_micros: DAILY,
          spent_micros: 90_000,
          calls: 3,
        },
      ]);
      expect((await periodRow(tenantId, '*', 'daily', yesterdayDay!.bounds.start))?.closed_at).toBeInstanceOf(Date);
      expect((await periodRow(tenantId, CAPABILITY, 'daily', yesterdayDay!.bounds.start))?.closed_at).toBeInstanceOf(Date);

      // Today's period was opened for the tenant, with its own limit and nothing spent.
      const [today] = applicablePeriods(tenantId, CAPABILITY, new Date());
      expect(await periodRow(tenantId, '*', 'daily', today!.bounds.start)).toEqual({ spent_micros: 0, limit_micros: DAILY, closed_at: null });

      // A second (or late) run changes nothing.
      await runJob();
      expect(await closedEvents(tenantId)).toEqual(events);

      if (redisUrl) {
        // The job deleted yesterday's counters from the shared Redis.
        const states = await budgetCountersFor(kv).read(applicablePeriods(tenantId, CAPABILITY, yesterday).filter((p) => p.bounds.period === 'daily').map((p) => p.key), 0);
        expect(states).toEqual([null, null]);
      }

      // The first call of the new period sees the whole daily budget.
      const todayGate = createBudgetGate(depsWith(kv, () => new Date()));
      const full = await todayGate.reserve({ tenantId, capability: CAPABILITY, estimateMicros: DAILY });
      await todayGate.release(full, 0);
    } finally {
      // Only this tenant's counters: the Redis (and its aiorch: prefix) may be shared.
      const mine = [yesterday, new Date()].flatMap((at) => applicablePeriods(tenantId, CAPABILITY, at).map((p) => p.key));
      await budgetCountersFor(kv).delete(mine).catch(() => {});
      await kv.close();
    }
  });
});

describe('runBudgetReset', () => {
  // The last day of a month, so the day and the month end together.
  const lastDay = new Date('2025-01-31T15:00:00Z');
  const nextDay = new Date('2025-02-01T00:10:00Z');

  it('closes the ended day and month once even when two runs race, and deletes their counters', async () => {
    const kv = createMemoryKeyValue();
    try {
      const tenantId = `t-${randomUUID()}`;
      const gate = createBudgetGate(depsWith(kv, () => lastDay));
      await spend(gate, tenantId, 12_000);
      await spend(gate, tenantId, 8_000);
      const old = applicablePeriods(tenantId, CAPABILITY, lastDay);
      expect((await budgetCountersFor(kv).read(old.map((p) => p.key), 0)).every((s) => s !== null)).toBe(true);

      const reset = () => runBudgetReset({ pool: db.pool, kv, config, clock: () => nextDay });
      const [a, b] = await Promise.all([reset(), reset()]);
      expect(a.period_closed_events + b.period_closed_events).toBeGreaterThanOrEqual(2);
      const events = await closedEvents(tenantId);
      expect(events.map((e) => [e.period, e.capability, e.spent_micros, e.calls]).sort()).toEqual([
        ['daily', null, 20_000, 2],
        ['monthly', null, 20_000, 2],
      ]);
      expect(await budgetCountersFor(kv).read(old.map((p) => p.key), 0)).toEqual([null, null, null, null]);

      await reset();
      expect(await closedEvents(tenantId)).toHaveLength(2);

      // The next day starts from fresh counters: the full daily budget of the defaults.
      const next = createBudgetGate(depsWith(kv, () => nextDay));
      const dailyDefault = config.tenantDefaults.budgets.find((x) => x.period === 'daily' && x.capability === null)!.limitMicros;
      const full = await next.reserve({ tenantId, capability: CAPABILITY, estimateMicros: dailyDefault });
      await expect(next.reserve({ tenantId, capability: CAPABILITY, estimateMicros: 1 })).rejects.toMatchObject({ code: 'budget_exhausted' });
      await next.release(full, 0);
    } finally {
      await kv.close();
    }
  });

  it('does not close a period before its grace has passed (late settlements still land in it)', async () => {
    const kv = createMemoryKeyValue();
    try {
      const tenantId = `t-${randomUUID()}`;
      const day = new Date('2025-03-10T23:59:00Z');
      await spend(createBudgetGate(depsWith(kv, () => day)), tenantId, 5_000);
      await runBudgetReset({ pool: db.pool, kv, config, clock: () => new Date('2025-03-11T00:01:00Z') });
      expect(await closedEvents(tenantId)).toEqual([]);
      await runBudgetReset({ pool: db.pool, kv, config, clock: () => new Date('2025-03-11T00:06:00Z') });
      expect((await closedEvents(tenantId)).map((e) => e.period)).toEqual(['daily']);
    } finally {
      await kv.close();
    }
  });
});
