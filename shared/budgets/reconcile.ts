import { budgetCountersFor } from './counters/index.js';
import { clockOf, type BudgetDeps } from './deps.js';
import { counterKey } from './keys.js';
import { defaultLimit } from './limits.js';
import { periodBounds, type BudgetPeriod } from './periods.js';

export interface ReconcileResult {
  /** Counters compared with the ledger (missing ones are skipped: they are rebuilt when next used). */
  counters: number;
}

/**
 * Aligns the current periods' counters with the ledger: limits from the configuration, spent raised to
 * the ledger's where the counters fell behind (a failover to a replica that missed some releases). One
 * tenant, or every tenant with a current ledger row or a configured limit.
 */
export async function reconcile(deps: BudgetDeps, opts: { tenantId?: string } = {}): Promise<ReconcileResult> {
  const now = clockOf(deps)();
  const day = periodBounds('daily', now);
  const month = periodBounds('monthly', now);
  const { rows } = await deps.pool.query<{ tenant_id: string; capability: string; period: BudgetPeriod; limit_micros: number | null; spent_micros: number | null }>(
    `WITH k AS (
       -- closed_at IS NULL AND period_end > now: the partial index on open periods, not a scan of history
       SELECT tenant_id, capability, period FROM budget_periods
        WHERE closed_at IS NULL AND period_end > $4
          AND period_start = CASE period WHEN 'daily' THEN $1::timestamptz ELSE $2::timestamptz END
          AND ($3::text IS NULL OR tenant_id = $3)
       UNION
       SELECT tenant_id, capability, period FROM tenant_budget_limits WHERE ($3::text IS NULL OR tenant_id = $3)
     )
     SELECT k.tenant_id, k.capability, k.period, l.limit_micros, p.spent_micros
       FROM k
       LEFT JOIN tenant_budget_limits l ON l.tenant_id = k.tenant_id AND l.capability = k.capability AND l.period = k.period
       LEFT JOIN budget_periods p ON p.tenant_id = k.tenant_id AND p.capability = k.capability AND p.period = k.period
             AND p.period_start = CASE k.period WHEN 'daily' THEN $1::timestamptz ELSE $2::timestamptz END`,
    [day.start, month.start, opts.tenantId ?? null, now],
  );
  const counters = budgetCountersFor(deps.kv);
  // A few at a time: enough to hide round trips, few enough not to flood the store.
  for (let i = 0; i < rows.length; i += 50) {
    await Promise.all(
      rows.slice(i, i + 50).map((r) => {
        const bounds = r.period === 'daily' ? day : month;
        const limit = r.limit_micros ?? defaultLimit(deps.config.tenantDefaults, r.capability, r.period);
        return counters.reconcile(counterKey(r.tenant_id, r.capability, bounds), r.spent_micros ?? 0, limit);
      }),
    );
  }
  return { counters: rows.length };
}

export interface BudgetReconciler {
  stop(): Promise<void>;
}

/** Runs reconcile() for every tenant every `intervalMs` (default 15 s); errors go to onError and the next round retries. */
export function startBudgetReconciler(deps: BudgetDeps, opts: { intervalMs?: number; onError?: (err: unknown) => void } = {}): BudgetReconciler {
  let round: Promise<void> | undefined;
  const timer = setInterval(() => {
    if (round) return; // the previous round is still going: skip rather than pile up
    round = reconcile(deps)
      .then(() => undefined, (err: unknown) => opts.onError?.(err))
      .finally(() => {
        round = undefined;
      });
  }, opts.intervalMs ?? 15_000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await round;
    },
  };
}
