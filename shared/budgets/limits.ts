import type { Config } from '../config/types.js';
import type { Queryable } from '../db/index.js';
import { capabilityToScope, type BudgetPeriod } from './periods.js';

export type TenantBudgetDefaults = Pick<Config['tenantDefaults'], 'budgets'>;

/** A configured limit: `scope` is a capability key or '*' (every capability). */
export interface BudgetLimit {
  scope: string;
  period: BudgetPeriod;
  limitMicros: number;
}

/** The config default for (scope, period), or null when there is none (no limit). */
export function defaultLimit(defaults: TenantBudgetDefaults, scope: string, period: BudgetPeriod): number | null {
  const match = defaults.budgets.find((b) => capabilityToScope(b.capability) === scope && b.period === period);
  return match ? match.limitMicros : null;
}

/**
 * A tenant's limits: its own rows, and the config default for every (scope, period) it has no row for.
 * So a PUT of one period leaves the others on their defaults.
 */
export async function effectiveLimits(db: Queryable, tenantId: string, defaults: TenantBudgetDefaults): Promise<BudgetLimit[]> {
  const { rows } = await db.query<{ capability: string; period: BudgetPeriod; limit_micros: number }>(
    'SELECT capability, period, limit_micros FROM tenant_budget_limits WHERE tenant_id = $1',
    [tenantId],
  );
  const own = rows.map((r) => ({ scope: r.capability, period: r.period, limitMicros: r.limit_micros }));
  const fromDefaults = defaults.budgets
    .map((b) => ({ scope: capabilityToScope(b.capability), period: b.period, limitMicros: b.limitMicros }))
    .filter((d) => !own.some((o) => o.scope === d.scope && o.period === d.period));
  return [...own, ...fromDefaults].sort(byScopeThenPeriod);
}

/** Inserts or replaces the given limits of one tenant; other (scope, period) pairs are untouched. */
export async function upsertLimits(tx: Queryable, tenantId: string, limits: readonly BudgetLimit[], updatedBy: string | null): Promise<void> {
  if (limits.length === 0) return;
  await tx.query(
    `INSERT INTO tenant_budget_limits (tenant_id, capability, period, limit_micros, updated_by, updated_at)
     SELECT $1, l.scope, l.period, l.limit_micros, $3, now()
       FROM unnest($2::text[], $4::text[], $5::bigint[]) AS l(scope, period, limit_micros)
     ON CONFLICT (tenant_id, capability, period)
     DO UPDATE SET limit_micros = EXCLUDED.limit_micros, updated_by = EXCLUDED.updated_by, updated_at = now()`,
    [tenantId, limits.map((l) => l.scope), updatedBy, limits.map((l) => l.period), limits.map((l) => l.limitMicros)],
  );
}

// Tenant-wide first, then capabilities by key; daily before monthly.
export function byScopeThenPeriod(a: { scope: string; period: BudgetPeriod }, b: { scope: string; period: BudgetPeriod }): number {
  if (a.scope !== b.scope) return a.scope === '*' ? -1 : b.scope === '*' ? 1 : a.scope < b.scope ? -1 : 1;
  return a.period === b.period ? 0 : a.period === 'daily' ? -1 : 1;
}
