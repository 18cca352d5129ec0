import { kvUnavailable } from './errors.js';
import { MemoryStore } from './memory-store.js';
import type { KeyValue, KeyValueOptions } from './port.js';

export interface MemoryKeyValueOptions extends KeyValueOptions {
  /** How often expired keys nobody reads again are dropped. Default 60 s. */
  sweepIntervalMs?: number;
  /** Monotonic clock in ms (tests may pass their own). */
  now?: () => number;
}

/** The embedded key/value adapter: one process, one private store, the same semantics as Redis. */
export class MemoryKeyValue implements KeyValue {
  readonly #store: MemoryStore;
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(opts: MemoryKeyValueOptions = {}) {
    this.#store = new MemoryStore(opts.now);
    this.#sweeper = setInterval(() => this.#store.sweep(), opts.sweepIntervalMs ?? 60_000);
    // The sweep must never be what keeps a process (or a test worker) alive.
    this.#sweeper.unref();
  }

  /** The synchronous store, for sibling modules that need several steps to run atomically. */
  get store(): MemoryStore {
    return this.#store;
  }

  async get(key: string): Promise<string | null> {
    this.#assertOpen();
    return this.#store.get(key);
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#assertOpen();
    this.#store.set(key, value, ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs?: number): Promise<boolean> {
    this.#assertOpen();
    return this.#store.setIfAbsent(key, value, ttlMs);
  }

  async delete(key: string): Promise<boolean> {
    this.#assertOpen();
    return this.#store.delete(key);
  }

  async increment(key: string, by: number, ttlMs?: number): Promise<number> {
    this.#assertOpen();
    return this.#store.increment(key, by, ttlMs);
  }

  async ttlMs(key: string): Promise<number | null> {
    this.#assertOpen();
    return this.#store.ttlMs(key);
  }

  async ping(): Promise<void> {
    this.#assertOpen();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
  }

  #assertOpen(): void {
    if (this.#closed) throw kvUnavailable('the in-memory key/value store is closed');
  }
}

export function createMemoryKeyValue(opts: MemoryKeyValueOptions = {}): MemoryKeyValue {
  return new MemoryKeyValue(opts);
}
