import { withTransaction } from '../db/index.js';
import { budgetCountersFor } from './counters/index.js';
import { clockOf, DEFAULT_RESERVATION_TTL_MS, reservationBuckets, type BudgetDeps } from './deps.js';
import { counterKey } from './keys.js';
import { effectiveLimits, upsertLimits, type BudgetLimit } from './limits.js';
import { lockOrderKey } from './settle.js';
import { capabilityToScope, periodBounds, scopeToCapability, type BudgetPeriod } from './periods.js';

/** One budget as the admin API shows it (handbook api.md). */
export interface BudgetView {
  period: BudgetPeriod;
  /** null: the tenant-wide budget. */
  capability: string | null;
  limit_micros: number;
  /** Settled in the current period (ledger). */
  spent_micros: number;
  /** Held by calls in flight (counters). */
  reserved_micros: number;
  period_start: string;
  period_end: string;
}

export interface BudgetLimitChange {
  period: BudgetPeriod;
  capability: string | null;
  limit_micros: number;
}

/** The tenant's budgets (its own limits, config defaults for the rest) with the current period's figures. */
export async function listBudgets(deps: BudgetDeps, tenantId: string): Promise<BudgetView[]> {
  const now = clockOf(deps)();
  const limits = await effectiveLimits(deps.pool, tenantId, deps.config.tenantDefaults);
  if (limits.length === 0) return [];
  const current = limits.map((l) => Object.assign({}, l, { bounds: periodBounds(l.period, now) }));
  const { rows } = await deps.pool.query<{ capability: string; period: BudgetPeriod; spent_micros: number }>(
    `SELECT p.capability, p.period, p.spent_micros
       FROM budget_periods p
       JOIN unnest($2::text[], $3::text[], $4::timestamptz[]) AS c(scope, period, period_start)
         ON p.capability = c.scope AND p.period = c.period AND p.period_start = c.period_start
      WHERE p.tenant_id = $1`,
    [tenantId, current.map((c) => c.scope), current.map((c) => c.period), current.map((c) => c.bounds.start)],
  );
  const { oldestLiveBucket } = reservationBuckets(now, deps.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS);
  const states = await budgetCountersFor(deps.kv).read(
    current.map((c) => counterKey(tenantId, c.scope, c.bounds)),
    oldestLiveBucket,
  );
  return current.map((c, i) => ({
    period: c.period,
    capability: scopeToCapability(c.scope),
    limit_micros: c.limitMicros,
    spent_micros: rows.find((r) => r.capability === c.scope && r.period === c.period)?.spent_micros ?? 0,
    reserved_micros: states[i]?.reservedMicros ?? 0,
    period_start: c.bounds.start.toISOString(),
    period_end: c.bounds.end.toISOString(),
  }));
}

/**
 * Sets some of a tenant's limits (others untouched) and applies them at once: to the current periods'
 * ledger rows (thresholds use them) and to the live counters (admission uses them).
 */
export async function setBudgetLimits(deps: BudgetDeps, tenantId: string, changes: readonly BudgetLimitChange[], updatedBy: string | null = null): Promise<BudgetView[]> {
  const now = clockOf(deps)();
  const limits: BudgetLimit[] = changes.map((c) => ({ scope: capabilityToScope(c.capability), period: c.period, limitMicros: c.limit_micros }));
  const current = limits
    .map((l) => Object.assign({}, l, { bounds: periodBounds(l.period, now) }))
    .sort((a, b) => compare(lockOrderKey(tenantId, a.scope, a.period, a.bounds.start.toISOString()), lockOrderKey(tenantId, b.scope, b.period, b.bounds.start.toISOString())));
  await withTransaction(deps.pool, async (tx) => {
    await upsertLimits(tx, tenantId, current, updatedBy);
    await tx.query(
      `INSERT INTO budget_periods (tenant_id, capability, period, period_start, period_end, limit_micros)
       SELECT $1, c.scope, c.period, c.period_start, c.period_end, c.limit_micros
         FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::bigint[]) AS c(scope, period, period_start, period_end, limit_micros)
       ON CONFLICT (tenant_id, capability, period, period_start)
       DO UPDATE SET limit_micros = EXCLUDED.limit_micros, updated_at = now()`,
      [
        tenantId,
        current.map((c) => c.scope),
        current.map((c) => c.period),
        current.map((c) => c.bounds.start),
        current.map((c) => c.bounds.end),
        current.map((c) => c.limitMicros),
      ],
    );
  });
  const counters = budgetCountersFor(deps.kv);
  await Promise.all(current.map((c) => counters.setLimit(counterKey(tenantId, c.scope, c.bounds), c.limitMicros)));
  return listBudgets(deps, tenantId);
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
