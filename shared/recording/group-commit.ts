import type { Pool, PoolClient } from '../db/index.js';
import { withTransaction } from '../db/index.js';

/**
 * Group commit: callers submit items and wait; items that arrive while a transaction is in flight are
 * written together by the next one. One transaction per batch instead of per call keeps Postgres off
 * the per-request path (the handbook measured ~400 req/s for one row-update per request) while each
 * caller still answers only after its own rows are durable.
 */
export class GroupCommitter<T> {
  private queue: Array<{ item: T; resolve: () => void; reject: (err: unknown) => void }> = [];
  private running = false;
  private readonly pool: Pool;
  private readonly write: (tx: PoolClient, items: T[]) => Promise<void>;
  private readonly writeAlone: ((pool: Pool, items: T[]) => Promise<boolean>) | undefined;
  private readonly maxBatch: number;
  private idle: Array<() => void> = [];

  private readonly observe: ((batchSize: number, seconds: number) => void) | undefined;

  constructor(opts: {
    pool: Pool;
    /** Writes a batch on an open transaction. */
    write: (tx: PoolClient, items: T[]) => Promise<void>;
    /**
     * Optional: writes a batch in a single statement (atomic on its own: one round trip instead of a
     * transaction's several); resolves false, having written nothing, when the batch needs `write`.
     */
    writeAlone?: (pool: Pool, items: T[]) => Promise<boolean>;
    maxBatch?: number;
    observe?: (batchSize: number, seconds: number) => void;
  }) {
    this.pool = opts.pool;
    this.write = opts.write;
    this.writeAlone = opts.writeAlone;
    this.maxBatch = opts.maxBatch ?? 500;
    this.observe = opts.observe;
  }

  /** Resolves once the transaction holding item committed; rejects if it could not be written. */
  submit(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Let the current tick's other submissions join this batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Resolves when nothing is queued or in flight (shutdown). */
  async flush(): Promise<void> {
    if (!this.running && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      const started = performance.now();
      try {
        await this.commitWithOneRetry(batch.map((b) => b.item));
        this.observe?.(batch.length, (performance.now() - started) / 1000);
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.running = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private async commitWithOneRetry(items: T[]): Promise<void> {
    const inTransaction = () => withTransaction(this.pool, (tx) => this.write(tx, items));
    if (this.writeAlone) {
      let written: boolean;
      try {
        written = await this.writeAlone(this.pool, items);
      } catch {
        // The statement wrote nothing (or committed and only its answer was lost: then the retry fails
        // on the calls' primary keys instead of writing them twice). The transaction is the one retry.
        return inTransaction();
      }
      if (written) return;
    }
    try {
      await inTransaction();
    } catch {
      // A serialization hiccup or a dropped connection: the batch rolled back whole, so retrying is safe.
      await inTransaction();
    }
  }
}
