import type { Logger } from '../telemetry/index.js';
import { LeasedLoop } from './leased-loop.js';
import type { Pool } from './pool.js';

/**
 * Periodic deletion of rows past their retention, by one instance at a time (a LeasedLoop): every
 * `intervalMs` the lease holder runs `prune`, which returns the rows it deleted. A failed round is logged
 * and retried at the next one; rows past retention wait a round longer, nothing else happens.
 */
export class Pruner {
  private readonly loop: LeasedLoop<void>;

  constructor(
    private readonly opts: {
      pool: Pool;
      lease: string;
      intervalMs: number;
      /** What the rows are, for the log: e.g. "published outbox rows". */
      what: string;
      prune: (pool: Pool) => Promise<number>;
      logger: Pick<Logger, 'info' | 'warn'>;
    },
  ) {
    // Held for two rounds: the leader keeps it while it lives, another instance takes over when it dies.
    this.loop = new LeasedLoop({
      pool: opts.pool,
      lease: opts.lease,
      leaseSeconds: Math.ceil((opts.intervalMs * 2) / 1000),
      intervalMs: opts.intervalMs,
      idle: undefined,
      work: () => this.prune(),
      onLeaseError: (err) => opts.logger.warn({ err }, `pruning ${opts.what} failed; retrying next round`),
    });
  }

  start(): void {
    this.loop.start();
  }

  /** One round now (joins the running one if any); only the lease holder prunes. */
  runOnce(): Promise<void> {
    return this.loop.runOnce();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async prune(): Promise<void> {
    try {
      const deleted = await this.opts.prune(this.opts.pool);
      if (deleted > 0) this.opts.logger.info({ deleted }, `${this.opts.what} past retention pruned`);
    } catch (err) {
      this.opts.logger.warn({ err }, `pruning ${this.opts.what} failed; retrying next round`);
    }
  }
}
