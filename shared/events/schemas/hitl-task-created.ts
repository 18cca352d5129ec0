import { id, name, text, timestamp } from './common.js';

export interface HitlTaskCreatedData {
  task_id: string;
  capability: string;
  status: 'pending';
  call_id?: string;
  reason?: string;
  expires_at?: string;
  /** The caller's correlation id (an async command's reply_to), so the sender can match the review. */
  correlation_id?: string;
}

export const hitlTaskCreatedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['task_id', 'capability', 'status'],
  properties: {
    task_id: id,
    capability: name,
    status: { type: 'string', const: 'pending' },
    call_id: id,
    reason: text,
    expires_at: timestamp,
    correlation_id: id,
  },
} as const;
