import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { acquireLease, releaseLease } from '../events/lease.js';
import type { Pool } from './pool.js';

/**
 * Periodic background work that one instance at a time does: every `intervalMs` a round takes (or renews)
 * the named lease and runs `work` only when it holds it; rounds never overlap. `stop()` waits for a
 * running round and gives the lease up, so another instance takes over at once instead of after expiry.
 */
export class LeasedLoop<T> {
  readonly holderId: string;
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<T> | undefined;

  constructor(
    private readonly opts: {
      pool: Pool;
      lease: string;
      leaseSeconds: number;
      intervalMs: number;
      /** What a round that does not hold the lease resolves with. */
      idle: T;
      /** Does the round's work; it handles its own errors. */
      work: () => Promise<T>;
      /** A round that could not take the lease (database down): it resolves with `idle` and says why here. */
      onLeaseError: (err: unknown) => void;
      holderId?: string;
    },
  ) {
    this.holderId = opts.holderId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** One round now (joins the running one if any). */
  runOnce(): Promise<T> {
    this.round ??= this.leasedRound().finally(() => {
      this.round = undefined;
    });
    return this.round;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
    await releaseLease(this.opts.pool, this.opts.lease, this.holderId).catch(() => {});
  }

  private async leasedRound(): Promise<T> {
    let held: boolean;
    try {
      held = await acquireLease(this.opts.pool, this.opts.lease, this.holderId, this.opts.leaseSeconds);
    } catch (err) {
      this.opts.onLeaseError(err);
      return this.opts.idle;
    }
    return held ? this.opts.work() : this.opts.idle;
  }
}
