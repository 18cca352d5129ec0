import { id, name, timestamp } from './common.js';

export interface HitlTaskExpiredData {
  task_id: string;
  capability: string;
  status: 'expired';
  expired_at: string;
  call_id?: string;
  correlation_id?: string;
}

export const hitlTaskExpiredSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['task_id', 'capability', 'status', 'expired_at'],
  properties: {
    task_id: id,
    capability: name,
    status: { type: 'string', const: 'expired' },
    expired_at: timestamp,
    call_id: id,
    correlation_id: id,
  },
} as const;
