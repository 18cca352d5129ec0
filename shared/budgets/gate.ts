/**
 * Budget admission: reserve a call's worst case before it runs, release it after.
 *
 * Postgres (budget_periods) is the ledger of record; the key/value store holds fast counters per period
 * (see counters/port.ts). `reserve` checks `spent + reserved + estimate <= limit` on every period that
 * applies to the call — daily and monthly, tenant-wide and the capability's own — and reserves in all of
 * them in one atomic step (one Lua script on Redis, one synchronous run on the memory store), or in none.
 * A counter that is missing (new period, Redis restarted, evicted) is rebuilt from the ledger first:
 * the ledger is read, then the script creates the counter only if it is still missing.
 *
 * Order for a call: reserve → provider → applySettlements in the transaction that records the call →
 * commit → release(actual). Releasing only after the commit keeps the counters' spend a subset of the
 * ledger's, which is what makes a rebuild from the ledger safe.
 *
 * Overspend bound during a Redis failover or restart. While Redis is unreachable, reserve fails with
 * 503 kv_unavailable: admission fails closed, so nothing is spent. When Redis comes back empty, the
 * counters are rebuilt from the ledger, which holds every call settled so far but not the calls in
 * flight: their reservations were lost. So a period can overspend by at most the sum of the worst-case
 * estimates of the calls admitted before the loss and settled after the rebuild — at most (calls in
 * flight for the tenant) × (largest worst-case estimate), and only until those calls finish (the routing
 * deadline). When a replica with asynchronous replication is promoted, the counters also miss the
 * releases of the last replication lag; the periodic reconciler (reconcile.ts) raises spent back to the
 * ledger's value within its interval, so the bound adds the spend settled in (replication lag) and
 * stays until the next reconcile. A reservation lost the other way round (an instance dies after
 * reserving) only rejects early, and stops counting after `reservationTtlMs`.
 */
import { randomUUID } from 'node:crypto';
import { budgetCountersFor, type CounterSlot } from './counters/index.js';
import { clockOf, counterTtlMs, DEFAULT_RESERVATION_TTL_MS, reservationBuckets, type BudgetDeps } from './deps.js';
import { budgetExhausted, budgetUnavailable, type ExhaustedPeriod } from './errors.js';
import { counterKeyOf } from './keys.js';
import { readBaselines, type Baseline, type PeriodRef } from './ledger.js';
import { ALL_CAPABILITIES, currentPeriods, type PeriodBounds } from './periods.js';
import type { SettledPeriod, Settlement } from './settle.js';

export interface ReserveRequest {
  tenantId: string;
  capability: string;
  /** The call's worst case (worstCaseMicros), integer micro-dollars. */
  estimateMicros: number;
}

/** A held reservation: plain data, pass it back to release and settlementFor. */
export interface Reservation {
  readonly id: string;
  readonly tenantId: string;
  readonly capability: string;
  readonly estimateMicros: number;
  /** The time bucket the amount was reserved in. */
  readonly bucket: number;
  readonly periods: readonly ReservedPeriod[];
}

export interface ReservedPeriod extends SettledPeriod {
  key: string;
  generation: string;
}

export interface BudgetGate {
  /** Reserves the estimate on every applicable period; throws AppError 402 `budget_exhausted` otherwise. */
  reserve(request: ReserveRequest): Promise<Reservation>;
  /** After the settlement is committed (or the call failed): frees the estimate and counts the actual cost. */
  release(reservation: Reservation, actualMicros: number): Promise<void>;
  /** What applySettlements needs to charge this call to the ledger. */
  settlementFor(reservation: Reservation, actualMicros: number): Settlement;
}

// A counter rebuilt and then deleted again before the reservation lands: give up after this many tries.
const MAX_BUILD_ATTEMPTS = 3;

export function createBudgetGate(deps: BudgetDeps): BudgetGate {
  const clock = clockOf(deps);
  const ttlMs = deps.reservationTtlMs ?? DEFAULT_RESERVATION_TTL_MS;
  const released = new WeakSet<Reservation>();
  // Made with the gate, not at the first reservation: the Redis counters define their scripts on the
  // client when made, which must happen before any pipeline a reservation could join (counters/redis.ts).
  const counters = budgetCountersFor(deps.kv);
  // After a restart every request of a tenant finds its counters missing at once: one ledger read serves them all.
  const baselinesInFlight = new Map<string, Promise<Baseline[]>>();
  const readBaselinesOnce = (tenantId: string, refs: PeriodRef[]): Promise<Baseline[]> => {
    const id = JSON.stringify([tenantId, refs]);
    let pending = baselinesInFlight.get(id);
    if (!pending) {
      pending = readBaselines(deps.pool, tenantId, deps.config.tenantDefaults, refs).finally(() => baselinesInFlight.delete(id));
      baselinesInFlight.set(id, pending);
    }
    return pending;
  };

  return {
    async reserve({ tenantId, capability, estimateMicros }) {
      assertMicros(estimateMicros, 'estimateMicros');
      if (capability === ALL_CAPABILITIES) throw new RangeError(`"${ALL_CAPABILITIES}" is not a capability`);
      const now = clock();
      const buckets = reservationBuckets(now, ttlMs);
      const periods = applicablePeriods(tenantId, capability, now);
      const slots: CounterSlot[] = periods.map((p) => ({ key: p.key, ttlMs: counterTtlMs(p.bounds, now) }));

      for (let attempt = 0; attempt < MAX_BUILD_ATTEMPTS; attempt++) {
        const outcome = await counters.reserve(slots, estimateMicros, buckets);
        if (outcome.kind === 'reserved') {
          return {
            id: randomUUID(),
            tenantId,
            capability,
            estimateMicros,
            bucket: buckets.bucket,
            periods: periods.map((p, i) => ({
              scope: p.scope,
              period: p.bounds.period,
              periodStart: p.startIso,
              periodEnd: p.endIso,
              limitMicros: outcome.held[i]?.limitMicros ?? null,
              key: p.key,
              generation: outcome.held[i]?.generation ?? '',
            })),
          };
        }
        if (outcome.kind === 'exhausted') {
          const exhausted: ExhaustedPeriod[] = outcome.exhausted.map((e) => {
            const p = periods[e.index] as ApplicablePeriod;
            return { scope: p.scope, period: p.bounds.period, periodEnd: p.bounds.end, limitMicros: e.limitMicros, spentMicros: e.spentMicros, reservedMicros: e.reservedMicros };
          });
          // The period that frees up last is the one worth waiting for.
          const blocking = exhausted.reduce((a, b) => (b.periodEnd > a.periodEnd ? b : a));
          throw budgetExhausted(blocking, estimateMicros, now);
        }
        const missing = outcome.indexes.map((i) => periods[i] as ApplicablePeriod);
        const baselines = await readBaselinesOnce(
          tenantId,
          missing.map((p) => ({ scope: p.scope, period: p.bounds.period, start: p.bounds.start })),
        );
        outcome.indexes.forEach((slotIndex, i) => {
          const baseline = baselines[i] as (typeof baselines)[number];
          (slots[slotIndex] as CounterSlot).init = Object.assign({}, baseline, { generation: randomUUID() });
        });
      }
      throw budgetUnavailable(tenantId);
    },

    async release(reservation, actualMicros) {
      assertMicros(actualMicros, 'actualMicros');
      if (released.has(reservation)) return;
      released.add(reservation);
      try {
        const held = reservation.periods.map((p) => ({ key: p.key, generation: p.generation }));
        await counters.release(held, reservation.estimateMicros, actualMicros, reservation.bucket);
      } catch (err) {
        released.delete(reservation); // may be retried
        throw err;
      }
    },

    settlementFor(reservation, actualMicros) {
      assertMicros(actualMicros, 'actualMicros');
      return {
        tenantId: reservation.tenantId,
        capability: reservation.capability,
        amountMicros: actualMicros,
        periods: reservation.periods.map(({ scope, period, periodStart, periodEnd, limitMicros }) => ({ scope, period, periodStart, periodEnd, limitMicros })),
      };
    },
  };
}

interface ApplicablePeriod {
  scope: string;
  bounds: Readonly<PeriodBounds>;
  startIso: string;
  endIso: string;
  key: string;
}

/** Every period a call of `capability` counts against: the tenant-wide and the capability's, daily and monthly. */
export function applicablePeriods(tenantId: string, capability: string, now: Date): ApplicablePeriod[] {
  const periods = currentPeriods(now);
  const out: ApplicablePeriod[] = [];
  for (const scope of [ALL_CAPABILITIES, capability]) {
    for (const p of periods) out.push({ scope, bounds: p.bounds, startIso: p.startIso, endIso: p.endIso, key: counterKeyOf(tenantId, scope, p.bounds.period, p.label) });
  }
  return out;
}

function assertMicros(n: number, name: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer of micro-dollars, got ${String(n)}`);
}
