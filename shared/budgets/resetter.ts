import type { KeyValueAdapter } from '../cache/index.js';
import type { EventTopics } from '../config/types.js';
import { withTransaction, type Pool } from '../db/index.js';
import { createEvent, enqueueMany, type BudgetPeriodClosedData } from '../events/index.js';
import { budgetCountersFor } from './counters/index.js';
import { counterKey } from './keys.js';
import type { TenantBudgetDefaults } from './limits.js';
import { capabilityToScope, periodBounds, scopeToCapability, type BudgetPeriod } from './periods.js';

export interface BudgetResetDeps {
  pool: Pool;
  kv: KeyValueAdapter;
  config: { tenantDefaults: TenantBudgetDefaults; events: { topics: EventTopics; source: string } };
  clock?: () => Date;
  /**
   * A period closes this long after its end, so calls admitted just before the end have settled into
   * it (longer than the routing deadline). Default 5 minutes.
   */
  closeGraceMs?: number;
  /** Periods closed per transaction. Default 500. */
  batchSize?: number;
}

export interface BudgetResetSummary {
  /** Period rows closed by this run (each emitted `budget.period_closed` when it had a limit). */
  closed: number;
  period_closed_events: number;
  /** Current period rows created for tenants that had none yet. */
  opened: number;
  counters_deleted: number;
}

interface ClosedRow {
  tenant_id: string;
  capability: string;
  period: BudgetPeriod;
  period_start: Date;
  period_end: Date;
  limit_micros: number | null;
  spent_micros: number;
  calls: number;
}

/**
 * Closes ended periods (one event each, once: closed_at is set in the transaction that enqueues it),
 * opens the current ones for every known tenant, and deletes the counters of ended periods. Safe to run
 * twice, concurrently, or days late.
 */
export async function runBudgetReset(deps: BudgetResetDeps): Promise<BudgetResetSummary> {
  const now = (deps.clock ?? (() => new Date()))();
  const endedBy = new Date(now.getTime() - (deps.closeGraceMs ?? 5 * 60_000));
  const batchSize = deps.batchSize ?? 500;
  const summary: BudgetResetSummary = { closed: 0, period_closed_events: 0, opened: 0, counters_deleted: 0 };
  const counters = budgetCountersFor(deps.kv);

  for (;;) {
    const closed = await withTransaction(deps.pool, async (tx) => {
      // SKIP LOCKED: a row being settled or closed by another run right now is left for later.
      const { rows } = await tx.query<ClosedRow>(
        `WITH due AS (
           SELECT id FROM budget_periods WHERE closed_at IS NULL AND period_end <= $1
            ORDER BY period_end, id LIMIT $2 FOR UPDATE SKIP LOCKED)
         UPDATE budget_periods b SET closed_at = $3, updated_at = now() FROM due WHERE b.id = due.id
         RETURNING b.tenant_id, b.capability, b.period, b.period_start, b.period_end, b.limit_micros, b.spent_micros, b.calls`,
        [endedBy, batchSize, now],
      );
      const events = rows.filter((r) => r.limit_micros !== null).map((r) => closedEvent(r, deps.config.events.source, now));
      await enqueueMany(tx, events, deps.config.events.topics);
      summary.period_closed_events += events.length;
      return rows;
    });
    summary.closed += closed.length;
    summary.counters_deleted += await counters.delete(closed.map((r) => counterKey(r.tenant_id, r.capability, { period: r.period, start: r.period_start })));
    if (closed.length < batchSize) break;
  }

  summary.counters_deleted += await counters.deleteEnded(endedBy);
  summary.opened = await openCurrentPeriods(deps, now);
  return summary;
}

/** Every known tenant gets its current period rows (own limits, else defaults), so the ledger shows them from the start. */
async function openCurrentPeriods(deps: BudgetResetDeps, now: Date): Promise<number> {
  const day = periodBounds('daily', now);
  const month = periodBounds('monthly', now);
  const defaults = deps.config.tenantDefaults.budgets;
  const { rowCount } = await deps.pool.query(
    `WITH known AS (SELECT tenant_id FROM tenants UNION SELECT tenant_id FROM tenant_budget_limits),
          defaults AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS d(capability, period, limit_micros)),
          effective AS (
            SELECT tenant_id, capability, period, limit_micros FROM tenant_budget_limits
            UNION ALL
            SELECT k.tenant_id, d.capability, d.period, d.limit_micros FROM known k CROSS JOIN defaults d
             WHERE NOT EXISTS (SELECT 1 FROM tenant_budget_limits l
                                WHERE l.tenant_id = k.tenant_id AND l.capability = d.capability AND l.period = d.period))
     INSERT INTO budget_periods (tenant_id, capability, period, period_start, period_end, limit_micros)
     SELECT tenant_id, capability, period,
            CASE period WHEN 'daily' THEN $4::timestamptz ELSE $6::timestamptz END,
            CASE period WHEN 'daily' THEN $5::timestamptz ELSE $7::timestamptz END,
            limit_micros
       FROM effective
     ON CONFLICT (tenant_id, capability, period, period_start) DO NOTHING`,
    [
      defaults.map((d) => capabilityToScope(d.capability)),
      defaults.map((d) => d.period),
      defaults.map((d) => d.limitMicros),
      day.start,
      day.end,
      month.start,
      month.end,
    ],
  );
  return rowCount ?? 0;
}

function closedEvent(r: ClosedRow, source: string, now: Date) {
  return createEvent<BudgetPeriodClosedData>({
    type: 'budget.period_closed',
    tenantId: r.tenant_id,
    source,
    subject: `budgets/${r.period}/${r.capability}`,
    time: now,
    data: {
      period: r.period,
      capability: scopeToCapability(r.capability),
      period_start: r.period_start.toISOString(),
      period_end: r.period_end.toISOString(),
      limit_micros: r.limit_micros as number,
      spent_micros: r.spent_micros,
      calls: r.calls,
    },
  });
}
