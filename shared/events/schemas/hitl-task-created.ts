import { id, name, text, timestamp } from './common.js';

export interface HitlTaskCreatedData {
  task_id: string;
  capability: string;
  status: 'pending';
  call_id?: string;
  reason?: string;
  expires_at?: string;
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
  },
} as const;
