import { id, name, text, timestamp } from './common.js';

export interface HitlTaskDecidedData {
  task_id: string;
  capability: string;
  status: 'approved' | 'rejected' | 'edited';
  decided_by: string;
  decided_at: string;
  call_id?: string;
  comment?: string;
  /** The released output (the draft, or the reviewer's edit); null when rejected. */
  output?: unknown;
  /** True when the reviewer changed the draft before approving it. */
  edited?: boolean;
  /** Why the draft was rejected. */
  reason?: string;
  correlation_id?: string;
}

export const hitlTaskDecidedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['task_id', 'capability', 'status', 'decided_by', 'decided_at'],
  properties: {
    task_id: id,
    capability: name,
    status: { type: 'string', enum: ['approved', 'rejected', 'edited'] },
    decided_by: id,
    decided_at: timestamp,
    call_id: id,
    comment: text,
    output: { type: ['object', 'array', 'string', 'number', 'boolean', 'null'] },
    edited: { type: 'boolean' },
    reason: text,
    correlation_id: id,
  },
} as const;
