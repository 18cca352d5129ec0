import type { Queryable } from '../db/index.js';
import { defaultLimit, type TenantBudgetDefaults } from './limits.js';
import type { BudgetPeriod } from './periods.js';

export interface PeriodRef {
  scope: string;
  period: BudgetPeriod;
  start: Date;
}

export interface Baseline {
  /** null: no limit for this scope and period (spend is still tracked). */
  limitMicros: number | null;
  /** What the ledger holds as settled for the period (0 when it has no row yet). */
  spentMicros: number;
}

/**
 * The ledger's view of some periods of one tenant, in the order asked: the configured limit (tenant row,
 * else config default) and the settled spend. Counters are built and reconciled from this.
 */
export async function readBaselines(db: Queryable, tenantId: string, defaults: TenantBudgetDefaults, refs: readonly PeriodRef[]): Promise<Baseline[]> {
  if (refs.length === 0) return [];
  const { rows } = await db.query<{ i: string; limit_micros: number | null; spent_micros: number | null }>(
    `SELECT r.i, l.limit_micros, p.spent_micros
       FROM unnest($2::text[], $3::text[], $4::timestamptz[]) WITH ORDINALITY AS r(scope, period, period_start, i)
       LEFT JOIN tenant_budget_limits l ON l.tenant_id = $1 AND l.capability = r.scope AND l.period = r.period
       LEFT JOIN budget_periods p
              ON p.tenant_id = $1 AND p.capability = r.scope AND p.period = r.period AND p.period_start = r.period_start
      ORDER BY r.i`,
    [tenantId, refs.map((r) => r.scope), refs.map((r) => r.period), refs.map((r) => r.start)],
  );
  return refs.map((ref, index) => {
    const row = rows[index];
    return {
      limitMicros: row?.limit_micros ?? defaultLimit(defaults, ref.scope, ref.period),
      spentMicros: row?.spent_micros ?? 0,
    };
  });
}
