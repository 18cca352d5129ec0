import type { Pool } from '../db/index.js';
import { LeasedLoop } from '../db/leased-loop.js';
import type { Logger } from '../telemetry/index.js';

/**
 * Deletes dedupe rows older than the retention: answered messages, and finished requests. Past the
 * retention Pub/Sub can no longer redeliver the message, so its row protects nothing. Running requests are
 * never deleted (their claim is what stops a second run).
 */
export async function pruneDedupeRows(pool: Pool, retentionSeconds: number, batch = 5_000): Promise<number> {
  const messages = await pool.query(
    `DELETE FROM processed_messages WHERE message_id IN (
       SELECT message_id FROM processed_messages WHERE processed_at < now() - $1 * interval '1 second' LIMIT $2)`,
    [retentionSeconds, batch],
  );
  const requests = await pool.query(
    `DELETE FROM inference_requests WHERE (tenant_id, request_id) IN (
       SELECT tenant_id, request_id FROM inference_requests
        WHERE status <> 'running' AND finished_at < now() - $1 * interval '1 second' LIMIT $2)`,
    [retentionSeconds, batch],
  );
  return (messages.rowCount ?? 0) + (requests.rowCount ?? 0);
}

/** Prunes periodically; only the holder of the `async-dedupe-prune` lease does, so instances do not overlap. */
export class DedupePruner {
  private readonly loop: LeasedLoop<void>;

  constructor(private readonly opts: { pool: Pool; retentionSeconds: number; intervalMs: number; logger: Pick<Logger, 'info' | 'warn'> }) {
    // Held for two rounds: the leader keeps it while it lives, another instance takes over when it dies.
    this.loop = new LeasedLoop({
      pool: opts.pool,
      lease: LEASE,
      leaseSeconds: Math.ceil((opts.intervalMs * 2) / 1000),
      intervalMs: opts.intervalMs,
      idle: undefined,
      work: () => this.prune(),
      onLeaseError: (err) => opts.logger.warn({ err }, 'async inference: pruning dedupe rows failed; retrying next round'),
    });
  }

  start(): void {
    this.loop.start();
  }

  runOnce(): Promise<void> {
    return this.loop.runOnce();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async prune(): Promise<void> {
    try {
      const deleted = await pruneDedupeRows(this.opts.pool, this.opts.retentionSeconds);
      if (deleted > 0) this.opts.logger.info({ deleted }, 'async inference: old dedupe rows pruned');
    } catch (err) {
      this.opts.logger.warn({ err }, 'async inference: pruning dedupe rows failed; retrying next round');
    }
  }
}

const LEASE = 'async-dedupe-prune';
