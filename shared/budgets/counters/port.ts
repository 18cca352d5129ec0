/**
 * The fast admission counters of budget periods, kept in the key/value store. One counter per
 * (tenant, scope, period start) holds the limit, the settled spend, a generation id, and the amounts
 * reserved by calls in flight, bucketed by the time they were reserved so that a reservation nobody
 * releases (a crashed instance) stops counting once its bucket is older than the reservation TTL.
 *
 * Counters are a cache of the Postgres ledger (budget_periods): a missing counter is rebuilt from it.
 * Every method that changes several counters does so atomically (one Lua script on Redis, one
 * synchronous run on the memory store).
 */
export interface BudgetCounters {
  /**
   * Checks `spent + reserved + estimate <= limit` on every counter (a null limit always passes) and,
   * only when all pass, adds `estimate` to each counter's reserved amount in `bucket`.
   * Missing counters with an `init` are created first; missing ones without it are reported and
   * nothing is reserved.
   */
  reserve(slots: readonly CounterSlot[], estimateMicros: number, buckets: ReservationBuckets): Promise<ReserveOutcome>;

  /**
   * Takes back a reservation and records what the call cost: reserved -= estimate (in the reservation's
   * bucket, on counters of the same generation only), spent += actual. Missing counters are left missing:
   * their next build reads the ledger, which already holds this call.
   */
  release(held: readonly HeldCounter[], estimateMicros: number, actualMicros: number, bucket: number): Promise<void>;

  /** Current state of each counter (null when missing), counting reservations from `oldestLiveBucket` on. */
  read(keys: readonly string[], oldestLiveBucket: number): Promise<Array<CounterState | null>>;

  /** Sets the limit of an existing counter (a missing one gets it from the ledger when built). */
  setLimit(key: string, limitMicros: number | null): Promise<void>;

  /**
   * Aligns an existing counter with the ledger: limit := ledger limit, spent := max(spent, ledger spent).
   * Never lowers spent: a release may land between the ledger read and this call, and losing it would
   * let a later call overspend; over-counting only rejects a little early until the period ends.
   */
  reconcile(key: string, ledgerSpentMicros: number, limitMicros: number | null): Promise<void>;

  delete(keys: readonly string[]): Promise<number>;

  /** Deletes every counter whose period ended at or before `endedBy`; returns how many. */
  deleteEnded(endedBy: Date): Promise<number>;
}

export interface CounterSlot {
  key: string;
  /** Expiry of a counter created by this call: the period's end plus a grace. */
  ttlMs: number;
  /** Present when the caller read the ledger because the counter was missing. */
  init?: { limitMicros: number | null; spentMicros: number; generation: string };
}

export interface ReservationBuckets {
  /** The bucket this reservation goes into. */
  bucket: number;
  /** Reservations in older buckets have expired: they no longer count (and are dropped). */
  oldestLiveBucket: number;
}

export interface HeldCounter {
  key: string;
  /** The counter's generation when reserved: a rebuilt counter no longer holds this reservation. */
  generation: string;
}

export interface CounterState {
  limitMicros: number | null;
  spentMicros: number;
  reservedMicros: number;
  generation: string;
}

export type ReserveOutcome =
  /** Per slot: the counter's generation and the limit the reservation was checked against. */
  | { kind: 'reserved'; held: Array<{ generation: string; limitMicros: number | null }> }
  | { kind: 'missing'; indexes: number[] }
  | { kind: 'exhausted'; exhausted: Array<{ index: number; limitMicros: number; spentMicros: number; reservedMicros: number }> };

/** How a null (unlimited) limit is stored. */
export const NO_LIMIT = -1;

export const encodeLimit = (limit: number | null): number => (limit === null ? NO_LIMIT : limit);
export const decodeLimit = (stored: number): number | null => (stored < 0 ? null : stored);
