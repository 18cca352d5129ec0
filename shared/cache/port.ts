/**
 * The key/value port: string values with optional expiry and atomic integer counters. Callers JSON-encode
 * structured values. Every implementation gives the same semantics (tests/integration/kv-contract.test.ts):
 *
 * - TTLs are positive integer milliseconds; a key past its TTL reads as missing.
 * - Failures to reach the store reject with an AppError of code `kv_unavailable` (see errors.ts);
 *   invalid arguments reject with a RangeError.
 * - After `close()`, every call rejects with `kv_unavailable`.
 */
export interface KeyValue {
  /** The value, or null when the key is missing or expired. */
  get(key: string): Promise<string | null>;

  /** Stores the value. Without `ttlMs` the key never expires (an earlier TTL is dropped). */
  set(key: string, value: string, ttlMs?: number): Promise<void>;

  /** Stores the value only when the key is missing; true when this call stored it. */
  setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean>;

  /** Removes the key; true when it existed. */
  delete(key: string): Promise<boolean>;

  /**
   * Atomically adds `by` (a safe integer, may be negative or 0) and returns the new value. A missing key
   * counts as 0 and, when `ttlMs` is given, is created with that TTL; an existing key keeps its TTL.
   * Rejects when the stored value is not an integer.
   */
  increment(key: string, by: number, ttlMs?: number): Promise<number>;

  /** Remaining time to live in ms; null when the key is missing or never expires. */
  ttlMs(key: string): Promise<number | null>;

  /** Resolves when the store answers. */
  ping(): Promise<void>;

  /** Releases connections and timers. Safe to call more than once. */
  close(): Promise<void>;
}

export interface KeyValueOptions {
  /**
   * Prepended to every key, so tests, tenants or environments sharing one Redis stay apart
   * (e.g. `aiorch:prod:`). A memory store is private to its instance, so there it changes nothing.
   */
  keyPrefix?: string;
}
