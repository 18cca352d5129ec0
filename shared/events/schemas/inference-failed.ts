import { id, name, text } from './common.js';

export interface InferenceFailedData {
  call_id?: string;
  capability?: string;
  /** The stable error code (the problem+json `code`). */
  code: string;
  reason: string;
  correlation_id?: string;
}

export const inferenceFailedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'reason'],
  properties: {
    call_id: id,
    capability: name,
    code: name,
    reason: text,
    correlation_id: id,
  },
} as const;
