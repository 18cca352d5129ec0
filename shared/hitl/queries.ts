import type { Queryable } from '../db/index.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { taskNotFound } from './errors.js';
import { TASK_COLUMNS, toView, UUID, type TaskRow } from './rows.js';
import type { HitlStatus, HitlTaskView } from './types.js';

export interface TaskPage {
  tasks: HitlTaskView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  next_cursor: string | null;
}

/** One page of a tenant's tasks, newest first, in a stable order (created_at, task_id). */
export async function listTasks(db: Queryable, opts: { tenantId: string; status?: HitlStatus; limit: number; cursor?: string }): Promise<TaskPage> {
  const after = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor);
  const params: unknown[] = [opts.tenantId, opts.limit + 1];
  const where = ['tenant_id = $1'];
  if (opts.status) {
    params.push(opts.status);
    where.push(`status = $${params.length}`);
  }
  if (after) {
    params.push(after.createdAtMicros, after.taskId);
    where.push(`(created_at, task_id) < (timestamptz 'epoch' + $${params.length - 1}::bigint * interval '1 microsecond', $${params.length}::uuid)`);
  }
  const { rows } = await db.query<TaskRow>(
    `SELECT ${TASK_COLUMNS} FROM hitl_tasks WHERE ${where.join(' AND ')} ORDER BY created_at DESC, task_id DESC LIMIT $2`,
    params,
  );
  const page = rows.slice(0, opts.limit);
  const last = page.at(-1);
  return {
    tasks: page.map(toView),
    next_cursor: rows.length > opts.limit && last ? encodeCursor({ createdAtMicros: last.created_at_micros, taskId: last.task_id }) : null,
  };
}

/** A task of this tenant; another tenant's task is reported as missing (404), never as forbidden. */
export async function getTask(db: Queryable, tenantId: string, taskId: string): Promise<HitlTaskView> {
  if (!UUID.test(taskId)) throw taskNotFound(taskId);
  const { rows } = await db.query<TaskRow>(`SELECT ${TASK_COLUMNS} FROM hitl_tasks WHERE task_id = $1 AND tenant_id = $2`, [taskId, tenantId]);
  if (!rows[0]) throw taskNotFound(taskId);
  return toView(rows[0]);
}
