import { periodBounds, periodLabel, type BudgetPeriod, type PeriodBounds } from './periods.js';

// v1: bump when the counter's layout changes, so old and new code never read each other's counters.
const PREFIX = 'budget:v1:';

/**
 * The key of one period's counter. The period start is part of it, so a new period starts from fresh
 * counters without anyone resetting them. The tenant is a Redis Cluster hash tag: every counter a call
 * touches sits in one slot, as a multi-key Lua script requires.
 */
export function counterKey(tenantId: string, scope: string, bounds: Pick<PeriodBounds, 'period' | 'start'>): string {
  return counterKeyOf(tenantId, scope, bounds.period, periodLabel(bounds));
}

/** The same key from the period's label (periodLabel), when the caller has it already (currentPeriods). */
export function counterKeyOf(tenantId: string, scope: string, period: BudgetPeriod, label: string): string {
  return `${PREFIX}{${tenantId}}:${period}:${label}:${scope}`;
}

/** The pattern matching every budget counter (after the store's own key prefix). */
export const COUNTER_KEY_PATTERN = `${PREFIX}*`;

/** The period a counter key belongs to; undefined for a key that is not one. */
export function periodOfCounterKey(key: string): PeriodBounds | undefined {
  const at = key.indexOf(PREFIX);
  if (at < 0) return undefined;
  const match = /^\{[^}]+\}:(daily|monthly):(\d{4}-\d{2}(?:-\d{2})?):/.exec(key.slice(at + PREFIX.length));
  if (!match) return undefined;
  const period = match[1] as BudgetPeriod;
  const start = new Date(`${period === 'daily' ? match[2] : `${match[2]}-01`}T00:00:00.000Z`);
  if (Number.isNaN(start.getTime())) return undefined;
  return periodBounds(period, start);
}
