import { notAnInteger } from './errors.js';
import { assertIncrement, assertTtlMs } from './validate.js';

interface Entry {
  value: string;
  /** On the `now()` clock; null = never expires. */
  expiresAt: number | null;
}

// What Redis accepts as an integer value: no sign on zero, no leading zeros, no spaces.
const INTEGER = /^(0|-?[1-9][0-9]*)$/;

/**
 * The synchronous store behind the memory adapter, with the port's semantics. Each method runs to
 * completion without yielding, so a function that calls several of them without an `await` in between is
 * atomic: the in-process counterpart of a Redis Lua script (sibling modules use it that way).
 */
export class MemoryStore {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;

  // A monotonic clock: wall-clock jumps must not expire or revive keys.
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  get(key: string): string | null {
    return this.#live(key)?.value ?? null;
  }

  set(key: string, value: string, ttlMs?: number): void {
    assertTtlMs(ttlMs);
    this.#entries.set(key, { value, expiresAt: this.#expiry(ttlMs) });
  }

  setIfAbsent(key: string, value: string, ttlMs?: number): boolean {
    assertTtlMs(ttlMs);
    if (this.#live(key)) return false;
    this.#entries.set(key, { value, expiresAt: this.#expiry(ttlMs) });
    return true;
  }

  delete(key: string): boolean {
    return this.#live(key) !== undefined && this.#entries.delete(key);
  }

  increment(key: string, by: number, ttlMs?: number): number {
    assertIncrement(by);
    assertTtlMs(ttlMs);
    const entry = this.#live(key);
    if (!entry) {
      this.#entries.set(key, { value: String(by), expiresAt: this.#expiry(ttlMs) });
      return by;
    }
    const current = INTEGER.test(entry.value) ? Number(entry.value) : NaN;
    const next = current + by;
    if (!Number.isSafeInteger(current) || !Number.isSafeInteger(next)) throw notAnInteger(key);
    entry.value = String(next);
    return next;
  }

  ttlMs(key: string): number | null {
    const entry = this.#live(key);
    if (!entry || entry.expiresAt === null) return null;
    return Math.ceil(entry.expiresAt - this.#now());
  }

  /** Drops expired entries; returns how many. Reads already ignore them: this only frees memory. */
  sweep(): number {
    const now = this.#now();
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt !== null && entry.expiresAt <= now) {
        this.#entries.delete(key);
        removed++;
      }
    }
    return removed;
  }

  #live(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #expiry(ttlMs: number | undefined): number | null {
    return ttlMs === undefined ? null : this.#now() + ttlMs;
  }
}
