import type { HitlStatus, HitlTaskView } from './types.js';

/** The columns every task query selects, with created_at also as exact microseconds (for the cursor). */
export const TASK_COLUMNS = `task_id, capability, call_id, status, draft, final_output, edited, reason, correlation_id,
  created_at, expires_at, decided_by, decided_at,
  (extract(epoch FROM created_at) * 1000000)::bigint::text AS created_at_micros`;

export interface TaskRow {
  task_id: string;
  capability: string;
  call_id: string;
  status: HitlStatus;
  draft: unknown;
  final_output: unknown;
  edited: boolean;
  reason: string | null;
  correlation_id: string | null;
  created_at: Date;
  expires_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  created_at_micros: string;
}

export function toView(row: TaskRow): HitlTaskView {
  return {
    task_id: row.task_id,
    capability: row.capability,
    call_id: row.call_id,
    status: row.status,
    draft: row.draft,
    output: row.final_output ?? null,
    edited: row.edited,
    reason: row.reason,
    correlation_id: row.correlation_id,
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at.toISOString(),
    decided_by: row.decided_by,
    decided_at: row.decided_at ? row.decided_at.toISOString() : null,
  };
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
