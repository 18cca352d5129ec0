import { randomUUID } from 'node:crypto';
import { createEvent, enqueue } from '../events/index.js';
import type { RecordHook } from '../recording/calls.js';
import type { HitlEventSettings } from './types.js';

export interface ReviewQueue {
  /**
   * A new review task for a draft: its id now, its row and `hitl.task_created` event written by the returned
   * hook in the transaction that records the call, so a task exists exactly when its call does.
   */
  open(draft: { tenantId: string; capability: string; callId: string; output: unknown; correlationId?: string }): { taskId: string; hook: RecordHook };
}

export function createReviewQueue(opts: HitlEventSettings & { taskTtlSeconds: number }): ReviewQueue {
  return {
    open(draft) {
      const taskId = randomUUID();
      const hook: RecordHook = {
        async write(tx) {
          const { rows } = await tx.query<{ expires_at: Date }>(
            `INSERT INTO hitl_tasks (task_id, tenant_id, capability, call_id, status, draft, correlation_id, expires_at)
             VALUES ($1, $2, $3, $4, 'pending', $5::jsonb, $6, clock_timestamp() + $7 * interval '1 second')
             RETURNING expires_at`,
            [taskId, draft.tenantId, draft.capability, draft.callId, JSON.stringify(draft.output), draft.correlationId ?? null, opts.taskTtlSeconds],
          );
          const event = createEvent({
            type: 'hitl.task_created',
            tenantId: draft.tenantId,
            source: opts.source,
            subject: taskId,
            data: {
              task_id: taskId,
              capability: draft.capability,
              status: 'pending' as const,
              call_id: draft.callId,
              expires_at: rows[0]!.expires_at.toISOString(),
              ...(draft.correlationId ? { correlation_id: draft.correlationId } : {}),
            },
          });
          await enqueue(tx, event, opts.topics);
        },
      };
      return { taskId, hook };
    },
  };
}
