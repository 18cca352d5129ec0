import { withTransaction, type Pool } from '../db/index.js';
import { createEvent, enqueue } from '../events/index.js';
import { LeasedLoop } from '../db/leased-loop.js';
import type { Logger } from '../telemetry/index.js';
import type { HitlEventSettings } from './types.js';

/** Who expiries are attributed to in the audit trail. */
export const EXPIRY_ACTOR = 'system:hitl-expiry';

/**
 * Expires one due pending task, if any, in one transaction with its audit row and `hitl.task_expired`
 * event. SKIP LOCKED: a task a reviewer is deciding right now is left to that decision.
 */
export async function expireOneDueTask(pool: Pool, settings: HitlEventSettings): Promise<boolean> {
  return withTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{ task_id: string; tenant_id: string; capability: string; call_id: string; correlation_id: string | null; expired_at: Date }>(
      `UPDATE hitl_tasks SET status = 'expired', decided_by = $1, decided_at = clock_timestamp()
        WHERE task_id = (SELECT task_id FROM hitl_tasks WHERE status = 'pending' AND expires_at <= now()
                          ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING task_id, tenant_id, capability, call_id, correlation_id, decided_at AS expired_at`,
      [EXPIRY_ACTOR],
    );
    const task = rows[0];
    if (!task) return false;
    await tx.query(`UPDATE ai_calls SET hitl_status = 'expired' WHERE call_id = $1 AND tenant_id = $2`, [task.call_id, task.tenant_id]);
    await tx.query(
      `INSERT INTO hitl_audit (task_id, tenant_id, action, actor, at, draft)
       SELECT task_id, tenant_id, 'expired', decided_by, decided_at, draft FROM hitl_tasks WHERE task_id = $1`,
      [task.task_id],
    );
    await enqueue(
      tx,
      createEvent({
        type: 'hitl.task_expired',
        tenantId: task.tenant_id,
        source: settings.source,
        subject: task.task_id,
        data: {
          task_id: task.task_id,
          capability: task.capability,
          status: 'expired' as const,
          expired_at: task.expired_at.toISOString(),
          call_id: task.call_id,
          ...(task.correlation_id ? { correlation_id: task.correlation_id } : {}),
        },
      }),
      settings.topics,
    );
    return true;
  });
}

export interface HitlExpirySweeperOptions extends HitlEventSettings {
  pool: Pool;
  logger: Pick<Logger, 'info' | 'warn'>;
  intervalMs: number;
  /** Most tasks expired per round, so one round never runs unbounded. */
  batchSize?: number;
  leaseSeconds?: number;
  holderId?: string;
  /** Nudged after expiries so their events leave the outbox promptly. */
  onExpired?: () => void;
}

/**
 * Periodically expires due tasks. Only the instance holding the `hitl-expiry` lease sweeps (the same lease
 * table as the outbox relay), so several instances do not race over the same tasks.
 */
export class HitlExpirySweeper {
  private readonly loop: LeasedLoop<number>;

  constructor(private readonly opts: HitlExpirySweeperOptions) {
    this.loop = new LeasedLoop({
      pool: opts.pool,
      lease: LEASE_NAME,
      leaseSeconds: opts.leaseSeconds ?? 30,
      intervalMs: opts.intervalMs,
      idle: 0,
      work: () => this.sweep(),
      onLeaseError: (err) => opts.logger.warn({ err, expired: 0 }, 'hitl: expiry sweep failed; retrying next round'),
      ...(opts.holderId ? { holderId: opts.holderId } : {}),
    });
  }

  get holderId(): string {
    return this.loop.holderId;
  }

  start(): void {
    this.loop.start();
  }

  /** One sweep (rounds never overlap); resolves with the number of tasks expired, 0 when not the leader. */
  runOnce(): Promise<number> {
    return this.loop.runOnce();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  private async sweep(): Promise<number> {
    const { pool, batchSize = 100 } = this.opts;
    let expired = 0;
    try {
      while (expired < batchSize && (await expireOneDueTask(pool, this.opts))) expired++;
    } catch (err) {
      this.opts.logger.warn({ err, expired }, 'hitl: expiry sweep failed; retrying next round');
    }
    if (expired > 0) {
      this.opts.logger.info({ expired }, 'hitl: review tasks expired');
      this.opts.onExpired?.();
    }
    return expired;
  }
}

const LEASE_NAME = 'hitl-expiry';
