// Background maintenance of the orchestrator's HITL, async and outbox tables, each behind its own lease.
import type { Config } from '../../shared/config/index.js';
import type { Pool } from '../../shared/db/index.js';
import { HitlExpirySweeper } from '../../shared/hitl/index.js';
import { dedupePruner } from '../../shared/async-inference/index.js';
import type { Pruner } from '../../shared/db/pruner.js';
import { outboxPruner } from '../../shared/events/index.js';
import type { Logger } from '../../shared/telemetry/index.js';

/** Starts the leased review-task expiry sweeper of this instance (stop it on shutdown). */
export function startHitlExpiry(opts: { config: Config; pool: Pool; logger: Logger; onExpired?: () => void }): HitlExpirySweeper {
  const { config } = opts;
  const sweeper = new HitlExpirySweeper({
    pool: opts.pool,
    logger: opts.logger,
    topics: config.events.topics,
    source: config.events.source,
    intervalMs: config.hitl.sweepIntervalSeconds * 1000,
    // Held across a couple of rounds, so the leader keeps it while it lives and another takes over when it dies.
    leaseSeconds: Math.max(30, config.hitl.sweepIntervalSeconds * 3),
    ...(opts.onExpired ? { onExpired: opts.onExpired } : {}),
  });
  sweeper.start();
  return sweeper;
}

/** Starts the leased pruning of old async dedupe rows (processed_messages, finished inference_requests). */
export function startDedupePruner(opts: { config: Config; pool: Pool; logger: Logger }): Pruner {
  const { asyncInference } = opts.config;
  const pruner = dedupePruner({ pool: opts.pool, logger: opts.logger, retentionSeconds: asyncInference.dedupeRetentionSeconds, intervalMs: asyncInference.pruneIntervalSeconds * 1000 });
  pruner.start();
  return pruner;
}

/** Starts the leased pruning of published outbox rows past their retention. */
export function startOutboxPruner(opts: { config: Config; pool: Pool; logger: Logger }): Pruner {
  const { outboxRetention } = opts.config.events;
  const pruner = outboxPruner({ pool: opts.pool, logger: opts.logger, retentionSeconds: outboxRetention.retentionSeconds, intervalMs: outboxRetention.pruneIntervalSeconds * 1000 });
  pruner.start();
  return pruner;
}
