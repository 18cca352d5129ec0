import type { KeyValueAdapter } from '../cache/index.js';
import type { Pool } from '../db/index.js';
import type { ReservationBuckets } from './counters/index.js';
import type { PriceTable } from './cost.js';
import type { TenantBudgetDefaults } from './limits.js';
import type { PeriodBounds } from './periods.js';

/** What the budget functions need; the app builds it once and passes the same object everywhere. */
export interface BudgetDeps {
  kv: KeyValueAdapter;
  pool: Pool;
  /** A slice of Config: `tenantDefaults.budgets` are the limits of a tenant that set none. */
  config: { tenantDefaults: TenantBudgetDefaults; prices?: PriceTable };
  /** Wall clock deciding the current period (tests move it). Default: now. */
  clock?: () => Date;
  /**
   * A reservation not released after this long stops counting (its instance crashed, or its release was
   * lost). Must exceed the longest call, routing deadline included. Default 5 minutes.
   */
  reservationTtlMs?: number;
}

export const DEFAULT_RESERVATION_TTL_MS = 5 * 60_000;

// Reservations are grouped in 10 s buckets so expiring them costs one field per bucket, not per call.
const RESERVATION_BUCKET_MS = 10_000;

// Counters outlive their period a little: calls admitted just before the end still release into them.
const COUNTER_GRACE_MS = 60 * 60_000;

export const clockOf = (deps: Pick<BudgetDeps, 'clock'>): (() => Date) => deps.clock ?? (() => new Date());

export function reservationBuckets(now: Date, ttlMs: number): ReservationBuckets {
  const ms = now.getTime();
  return { bucket: Math.floor(ms / RESERVATION_BUCKET_MS), oldestLiveBucket: Math.floor((ms - ttlMs) / RESERVATION_BUCKET_MS) };
}

export const counterTtlMs = (bounds: PeriodBounds, now: Date): number => Math.max(1, bounds.end.getTime() - now.getTime()) + COUNTER_GRACE_MS;
