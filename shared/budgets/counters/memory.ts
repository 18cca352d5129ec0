import type { MemoryStore } from '../../cache/index.js';
import { periodOfCounterKey } from '../keys.js';
import {
  decodeLimit,
  encodeLimit,
  type BudgetCounters,
  type CounterSlot,
  type CounterState,
  type HeldCounter,
  type ReservationBuckets,
  type ReserveOutcome,
} from './port.js';

/** A counter as stored on the memory store: the JSON twin of the Redis hash. */
interface Stored {
  l: number;
  s: number;
  g: string;
  /** bucket → reserved micro-dollars */
  r: Record<string, number>;
}

/**
 * Budget counters on the in-process store. Each method reads, checks and writes without an `await`, so it
 * is atomic with respect to every other call in the process, as the Redis scripts are on the server.
 */
export class MemoryBudgetCounters implements BudgetCounters {
  readonly #store: MemoryStore;
  // The store cannot list its keys; deleteEnded needs them.
  readonly #keys = new Set<string>();

  constructor(store: MemoryStore) {
    this.#store = store;
  }

  async reserve(slots: readonly CounterSlot[], estimateMicros: number, buckets: ReservationBuckets): Promise<ReserveOutcome> {
    const missing: number[] = [];
    slots.forEach((slot, index) => {
      if (this.#store.get(slot.key) !== null) return;
      if (!slot.init) {
        missing.push(index);
        return;
      }
      const { limitMicros, spentMicros, generation } = slot.init;
      this.#store.set(slot.key, JSON.stringify({ l: encodeLimit(limitMicros), s: spentMicros, g: generation, r: {} } satisfies Stored), slot.ttlMs);
      this.#keys.add(slot.key);
    });
    if (missing.length > 0) return { kind: 'missing', indexes: missing };

    const counters = slots.map((slot) => this.#load(slot.key) as Stored);
    const exhausted: Extract<ReserveOutcome, { kind: 'exhausted' }>['exhausted'] = [];
    counters.forEach((c, index) => {
      dropExpired(c, buckets.oldestLiveBucket);
      const reserved = sum(c);
      if (c.l >= 0 && c.s + reserved + estimateMicros > c.l) exhausted.push({ index, limitMicros: c.l, spentMicros: c.s, reservedMicros: reserved });
    });
    if (exhausted.length > 0) return { kind: 'exhausted', exhausted };

    const bucket = String(buckets.bucket);
    slots.forEach((slot, index) => {
      const c = counters[index] as Stored;
      c.r[bucket] = (c.r[bucket] ?? 0) + estimateMicros;
      this.#save(slot.key, c);
    });
    return { kind: 'reserved', held: counters.map((c) => ({ generation: c.g, limitMicros: decodeLimit(c.l) })) };
  }

  async release(held: readonly HeldCounter[], estimateMicros: number, actualMicros: number, bucket: number): Promise<void> {
    const field = String(bucket);
    for (const { key, generation } of held) {
      const c = this.#load(key);
      if (!c) continue;
      const reserved = c.r[field];
      if (c.g === generation && reserved !== undefined) {
        const left = reserved - estimateMicros;
        if (left > 0) c.r[field] = left;
        else delete c.r[field];
      }
      c.s += actualMicros;
      this.#save(key, c);
    }
  }

  async read(keys: readonly string[], oldestLiveBucket: number): Promise<Array<CounterState | null>> {
    return keys.map((key) => {
      const c = this.#load(key);
      if (!c) return null;
      dropExpired(c, oldestLiveBucket);
      return { limitMicros: decodeLimit(c.l), spentMicros: c.s, reservedMicros: sum(c), generation: c.g };
    });
  }

  async setLimit(key: string, limitMicros: number | null): Promise<void> {
    const c = this.#load(key);
    if (!c) return;
    c.l = encodeLimit(limitMicros);
    this.#save(key, c);
  }

  async reconcile(key: string, ledgerSpentMicros: number, limitMicros: number | null): Promise<void> {
    const c = this.#load(key);
    if (!c) return;
    c.l = encodeLimit(limitMicros);
    c.s = Math.max(c.s, ledgerSpentMicros);
    this.#save(key, c);
  }

  async delete(keys: readonly string[]): Promise<number> {
    let deleted = 0;
    for (const key of keys) {
      if (this.#store.delete(key)) deleted++;
      this.#keys.delete(key);
    }
    return deleted;
  }

  async deleteEnded(endedBy: Date): Promise<number> {
    const ended = [...this.#keys].filter((key) => {
      const bounds = periodOfCounterKey(key);
      return bounds !== undefined && bounds.end.getTime() <= endedBy.getTime();
    });
    return this.delete(ended);
  }

  #load(key: string): Stored | undefined {
    const raw = this.#store.get(key);
    if (raw === null) {
      this.#keys.delete(key);
      return undefined;
    }
    return JSON.parse(raw) as Stored;
  }

  // Keeps the expiry the counter was created with.
  #save(key: string, c: Stored): void {
    this.#store.set(key, JSON.stringify(c), this.#store.ttlMs(key) ?? undefined);
  }
}

function dropExpired(c: Stored, oldestLiveBucket: number): void {
  for (const bucket of Object.keys(c.r)) if (Number(bucket) < oldestLiveBucket) delete c.r[bucket];
}

const sum = (c: Stored): number => Object.values(c.r).reduce((a, b) => a + b, 0);
