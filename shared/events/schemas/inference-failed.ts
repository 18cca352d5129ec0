import { id, name, text } from './common.js';

export interface InferenceFailedData {
  call_id?: string;
  capability?: string;
  /** The stable error code (the problem+json `code`). */
  code: string;
  reason: string;
  correlation_id?: string;
  /** The async command's request_id, when it could be read. */
  request_id?: string;
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
    request_id: id,
  },
} as const;
