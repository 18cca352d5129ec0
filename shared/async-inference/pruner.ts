import type { Pool } from '../db/index.js';
import { Pruner } from '../db/pruner.js';
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
export function dedupePruner(opts: { pool: Pool; retentionSeconds: number; intervalMs: number; logger: Pick<Logger, 'info' | 'warn'> }): Pruner {
  return new Pruner({
    pool: opts.pool,
    lease: 'async-dedupe-prune',
    intervalMs: opts.intervalMs,
    what: 'async inference dedupe rows',
    prune: (pool) => pruneDedupeRows(pool, opts.retentionSeconds),
    logger: opts.logger,
  });
}
