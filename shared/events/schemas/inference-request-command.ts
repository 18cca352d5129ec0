import { id } from './common.js';

/**
 * The command siblings publish to `melmastoon.ai_orchestrator.commands.inference_request.v1`: the JSON
 * body of the Pub/Sub message. `reply_to` (or the message attribute of the same name) is the correlation
 * id the sender wants on the result event.
 */
export interface InferenceRequestCommand {
  request_id: string;
  tenant_id: string;
  capability: string;
  input: Record<string, unknown>;
  idempotency_key?: string;
  reply_to?: string;
}

export const inferenceRequestCommandSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['request_id', 'tenant_id', 'capability', 'input'],
  properties: {
    request_id: id,
    // The same alphabet as a token's tenant_id claim (shared/auth/principal.ts).
    tenant_id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
    capability: { type: 'string', pattern: '^[a-z][a-z0-9_]*\\.[a-z][a-z0-9_]*$', maxLength: 200 },
    input: { type: 'object' },
    // The Idempotency-Key header's rule (shared/idempotency/key.ts).
    idempotency_key: { type: 'string', pattern: '^[\\x20-\\x7e]{1,255}$' },
    reply_to: id,
  },
} as const;
