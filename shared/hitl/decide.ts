import type { CapabilityRegistry } from '../capabilities/index.js';
import { withTransaction, type Pool, type PoolClient } from '../db/index.js';
import { createEvent, enqueue } from '../events/index.js';
import { invalidInput } from '../http/validate.js';
import { changedPaths } from './diff.js';
import { taskAlreadyDecided, taskExpired, taskNotFound } from './errors.js';
import { TASK_COLUMNS, toView, UUID, type TaskRow } from './rows.js';
import type { HitlEventSettings, HitlTaskView } from './types.js';

export type Decision = { kind: 'approve'; output?: unknown } | { kind: 'reject'; reason: string };

export interface DecideDeps extends HitlEventSettings {
  pool: Pool;
  capabilities: CapabilityRegistry;
}

/**
 * Approves (optionally with an edited output, checked against the capability's output schema) or rejects a
 * pending task of the reviewer's tenant. The task row is locked, so of two reviewers racing one wins and the
 * other gets 409. The decision, the call's hitl_status, the audit row and `hitl.task_decided` commit together.
 */
export async function decideTask(deps: DecideDeps, opts: { tenantId: string; taskId: string; actor: string; decision: Decision }): Promise<HitlTaskView> {
  if (!UUID.test(opts.taskId)) throw taskNotFound(opts.taskId);
  return withTransaction(deps.pool, async (tx) => {
    const { rows } = await tx.query<TaskRow & { due: boolean }>(
      `SELECT ${TASK_COLUMNS}, expires_at <= now() AS due FROM hitl_tasks WHERE task_id = $1 AND tenant_id = $2 FOR UPDATE`,
      [opts.taskId, opts.tenantId],
    );
    const task = rows[0];
    if (!task) throw taskNotFound(opts.taskId);
    if (task.status === 'expired' || (task.status === 'pending' && task.due)) throw taskExpired();
    if (task.status !== 'pending') throw taskAlreadyDecided(task.status);

    const approved = opts.decision.kind === 'approve';
    const edit = opts.decision.kind === 'approve' ? opts.decision.output : undefined;
    if (edit !== undefined) checkOutput(deps.capabilities, task.capability, edit);
    const finalOutput = approved ? (edit ?? task.draft) : null;
    const changes = approved ? changedPaths(task.draft, finalOutput) : [];
    const reason = opts.decision.kind === 'reject' ? opts.decision.reason : null;
    return toView(await record(tx, deps, task, opts.tenantId, { status: approved ? 'approved' : 'rejected', actor: opts.actor, finalOutput, edited: changes.length > 0, changes, reason }));
  });
}

function checkOutput(capabilities: CapabilityRegistry, key: string, output: unknown): void {
  const cap = capabilities.get(key);
  // A task of a capability since removed from config cannot be checked: refuse edits rather than release unchecked output.
  const errors = cap ? cap.outputErrors(output) : `the capability ${key} is no longer configured`;
  if (errors) throw invalidInput([{ path: '/output', message: errors }]);
}

async function record(
  tx: PoolClient,
  settings: HitlEventSettings,
  task: TaskRow,
  tenantId: string,
  d: { status: 'approved' | 'rejected'; actor: string; finalOutput: unknown; edited: boolean; changes: string[]; reason: string | null },
): Promise<TaskRow> {
  const { rows } = await tx.query<TaskRow>(
    `UPDATE hitl_tasks SET status = $2, final_output = $3::jsonb, edited = $4, reason = $5, decided_by = $6, decided_at = clock_timestamp()
      WHERE task_id = $1 RETURNING ${TASK_COLUMNS}`,
    [task.task_id, d.status, d.finalOutput === null ? null : JSON.stringify(d.finalOutput), d.edited, d.reason, d.actor],
  );
  const updated = rows[0]!;
  await tx.query(`UPDATE ai_calls SET hitl_status = $3 WHERE call_id = $1 AND tenant_id = $2`, [task.call_id, tenantId, d.status]);
  await tx.query(
    `INSERT INTO hitl_audit (task_id, tenant_id, action, actor, at, draft, final_output, changes, reason)
     SELECT task_id, tenant_id, $2, $3, decided_at, draft, final_output, $4::jsonb, reason FROM hitl_tasks WHERE task_id = $1`,
    [task.task_id, d.status, d.actor, JSON.stringify(d.changes)],
  );
  await enqueue(
    tx,
    createEvent({
      type: 'hitl.task_decided',
      tenantId,
      source: settings.source,
      subject: task.task_id,
      data: {
        task_id: task.task_id,
        capability: task.capability,
        status: d.status,
        decided_by: d.actor,
        decided_at: updated.decided_at!.toISOString(),
        call_id: task.call_id,
        output: d.finalOutput,
        edited: d.edited,
        ...(d.reason !== null ? { reason: d.reason } : {}),
        ...(task.correlation_id ? { correlation_id: task.correlation_id } : {}),
      },
    }),
    settings.topics,
  );
  return updated;
}
