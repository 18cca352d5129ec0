import { id, name, text, timestamp } from './common.js';

export interface HitlTaskDecidedData {
  task_id: string;
  capability: string;
  status: 'approved' | 'rejected' | 'edited';
  decided_by: string;
  decided_at: string;
  call_id?: string;
  comment?: string;
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
  },
} as const;
