import type { EventTopics } from '../config/types.js';
import type { Queryable } from '../db/index.js';
import { statementParams, type Bind } from '../db/params.js';
import type { SettlementStatement } from '../recording/calls.js';
import { createEvent, enqueueMany, type BudgetThresholdCrossedData, type EventEnvelope } from '../events/index.js';
import { scopeToCapability, type BudgetPeriod } from './periods.js';
import { newlyReached, THRESHOLD_PERCENTS, thresholdBit, type ThresholdPercent } from './thresholds.js';

/** One budget period a call is charged to. */
export interface SettledPeriod {
  /** A capability key, or '*' for the tenant-wide budget. */
  scope: string;
  period: BudgetPeriod;
  /** ISO timestamps (a settlement is plain JSON, so it can wait in a batch or a queue). */
  periodStart: string;
  periodEnd: string;
  /** The limit when reserved; used only when this settlement creates the period's ledger row. */
  limitMicros: number | null;
}

/** What one call costs, on every period its reservation was checked against (from BudgetGate.settlementFor). */
export interface Settlement {
  tenantId: string;
  capability: string;
  amountMicros: number;
  periods: SettledPeriod[];
}

export interface ThresholdCrossing {
  tenantId: string;
  scope: string;
  period: BudgetPeriod;
  periodStart: string;
  percent: ThresholdPercent;
  limitMicros: number;
  spentMicros: number;
}

interface Charge {
  tenantId: string;
  scope: string;
  period: BudgetPeriod;
  start: string;
  end: string;
  limitMicros: number | null;
  amountMicros: number;
  calls: number;
}

interface ChargedRow {
  id: number;
  tenant_id: string;
  capability: string;
  period: BudgetPeriod;
  period_start: Date;
  limit_micros: number | null;
  spent_micros: number;
  thresholds_notified: number;
}

/**
 * Charges settled calls to the ledger on the caller's transaction (the one that records the calls), and
 * enqueues `budget.threshold_crossed` for each 50/80/100 % threshold a period reaches.
 *
 * Calls are summed per period first, so a batch of any size updates each period row once, in a fixed
 * order (no deadlock between concurrent batches). Period rows are created on demand. The upsert locks
 * each row until commit; the thresholds_notified bits are read and set under that lock, so each
 * threshold is announced exactly once per period however many transactions race.
 */
export async function applySettlements(tx: Queryable, settlements: readonly Settlement[], topics: EventTopics, source: string): Promise<ThresholdCrossing[]> {
  const charges = aggregate(settlements);
  if (charges.length === 0) return [];
  const { params, bind } = statementParams();
  const { rows } = await tx.query<ChargedRow>(upsertCharges(charges, bind), params);

  const crossings: ThresholdCrossing[] = [];
  const marks: Array<{ id: number; mask: number }> = [];
  for (const row of rows) {
    const reached = newlyReached(row.spent_micros, row.limit_micros, row.thresholds_notified);
    if (reached.length === 0) continue;
    marks.push({ id: row.id, mask: reached.reduce((m, p) => m | thresholdBit(p), 0) });
    for (const percent of reached) {
      crossings.push({
        tenantId: row.tenant_id,
        scope: row.capability,
        period: row.period,
        periodStart: row.period_start.toISOString(),
        percent,
        limitMicros: row.limit_micros as number,
        spentMicros: row.spent_micros,
      });
    }
  }
  if (marks.length === 0) return [];
  await tx.query(
    `UPDATE budget_periods b SET thresholds_notified = b.thresholds_notified | m.mask::smallint
       FROM unnest($1::bigint[], $2::int[]) AS m(id, mask) WHERE b.id = m.id`,
    [marks.map((m) => m.id), marks.map((m) => m.mask)],
  );
  await enqueueMany(tx, crossings.map((c) => thresholdEvent(c, source)), topics);
  return crossings;
}

/**
 * The charges of a batch for the call recorder's one-statement path: the ledger upsert as a CTE, and, as
 * needsTransaction, "a period reached a threshold not announced yet". That path has no room to announce
 * one: such a batch abandons the statement and is recorded in a transaction, where applySettlements
 * announces it. The condition is newlyReached's, in SQL, on the same locked row versions, with the
 * percents and bits bound from THRESHOLD_PERCENTS.
 */
export function chargeInStatement(settlements: readonly Settlement[], bind: Bind): SettlementStatement | undefined {
  const charges = aggregate(settlements);
  if (charges.length === 0) return undefined;
  const cte = upsertCharges(charges, bind);
  const percents = bind(THRESHOLD_PERCENTS);
  const bits = bind(THRESHOLD_PERCENTS.map(thresholdBit));
  return {
    cte,
    needsTransaction: (rows) =>
      `EXISTS (SELECT 1 FROM ${rows} c, unnest(${percents}::int[], ${bits}::int[]) AS t(percent, bit)
                WHERE c.limit_micros IS NOT NULL AND c.spent_micros > 0
                  AND c.spent_micros::numeric * 100 >= t.percent::numeric * c.limit_micros
                  AND c.thresholds_notified & t.bit = 0)`,
  };
}

/** Adds each charge to its period row (created on demand), in the charges' order; returns the rows as charged. */
function upsertCharges(charges: readonly Charge[], bind: Bind): string {
  const column = <T>(of: (c: Charge) => T) => bind(charges.map(of));
  return `INSERT INTO budget_periods AS b (tenant_id, capability, period, period_start, period_end, limit_micros, spent_micros, calls)
     SELECT * FROM unnest(${column((c) => c.tenantId)}::text[], ${column((c) => c.scope)}::text[], ${column((c) => c.period)}::text[],
                          ${column((c) => c.start)}::timestamptz[], ${column((c) => c.end)}::timestamptz[], ${column((c) => c.limitMicros)}::bigint[],
                          ${column((c) => c.amountMicros)}::bigint[], ${column((c) => c.calls)}::bigint[])
     ON CONFLICT (tenant_id, capability, period, period_start)
     DO UPDATE SET spent_micros = b.spent_micros + EXCLUDED.spent_micros, calls = b.calls + EXCLUDED.calls, updated_at = now()
     RETURNING b.id, b.tenant_id, b.capability, b.period, b.period_start, b.limit_micros, b.spent_micros, b.thresholds_notified`;
}

/**
 * Period rows are always locked in this key's order (settlements here, limit changes in admin.ts), so
 * two transactions touching the same rows cannot deadlock.
 */
export const lockOrderKey = (tenantId: string, scope: string, period: BudgetPeriod, startIso: string): string =>
  JSON.stringify([tenantId, scope, period, startIso]);

// A period start as the ledger's lock order spells it (Date#toISOString). Settlements of a day carry the
// same few starts, so each is normalised once, not for every period of every call (~0.7 µs each here).
const startIsoOf = new Map<string, string>();

function periodStartIso(periodStart: string): string {
  let iso = startIsoOf.get(periodStart);
  if (iso === undefined) {
    iso = new Date(periodStart).toISOString(); // throws on an invalid date, as before: never remembered
    if (startIsoOf.size >= 64) startIsoOf.clear();
    startIsoOf.set(periodStart, iso);
  }
  return iso;
}

function aggregate(settlements: readonly Settlement[]): Charge[] {
  const byPeriod = new Map<string, Charge>();
  for (const s of settlements) {
    if (!Number.isSafeInteger(s.amountMicros) || s.amountMicros < 0) throw new RangeError(`amountMicros must be a non-negative integer, got ${String(s.amountMicros)}`);
    for (const p of s.periods) {
      const start = periodStartIso(p.periodStart);
      const key = lockOrderKey(s.tenantId, p.scope, p.period, start);
      const charge = byPeriod.get(key);
      if (charge) {
        charge.amountMicros += s.amountMicros;
        charge.calls += 1;
      } else {
        byPeriod.set(key, { tenantId: s.tenantId, scope: p.scope, period: p.period, start, end: p.periodEnd, limitMicros: p.limitMicros, amountMicros: s.amountMicros, calls: 1 });
      }
    }
  }
  // One order for every transaction: rows are locked in it, so concurrent batches cannot deadlock.
  return [...byPeriod.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, charge]) => charge);
}

function thresholdEvent(c: ThresholdCrossing, source: string): EventEnvelope<BudgetThresholdCrossedData> {
  return createEvent<BudgetThresholdCrossedData>({
    type: 'budget.threshold_crossed',
    tenantId: c.tenantId,
    source,
    subject: `budgets/${c.period}/${c.scope}`,
    data: {
      period: c.period,
      capability: scopeToCapability(c.scope),
      threshold_percent: c.percent,
      limit_micros: c.limitMicros,
      spent_micros: c.spentMicros,
      period_start: c.periodStart,
    },
  });
}
