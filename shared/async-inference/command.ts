import { Ajv } from 'ajv';
import type { CapabilityRegistry } from '../capabilities/index.js';
import { inferenceRequestCommandSchema, type InferenceRequestCommand } from '../events/schemas/inference-request-command.js';
import type { PushDelivery } from './envelope.js';

/** Why a message can never succeed: acknowledged with a failure event, never redelivered. */
export interface Poison {
  code: 'invalid_base64' | 'malformed_json' | 'invalid_command' | 'unknown_capability' | 'unknown_tenant' | 'request_id_reused';
  reason: string;
  /** What could be read, for the failure event. */
  tenantId?: string;
  requestId?: string;
  capability?: string;
  correlationId?: string;
}

export type Decoded = { ok: true; command: InferenceRequestCommand; correlationId: string | undefined } | { ok: false; poison: Poison };

const ajv = new Ajv({ allErrors: false, strict: true });
const validateCommand = ajv.compile<InferenceRequestCommand>(inferenceRequestCommandSchema);
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const TENANT = new RegExp(inferenceRequestCommandSchema.properties.tenant_id.pattern);

/** base64 → JSON → the command's schema → a configured capability. Tenancy is checked by the caller (it needs the database). */
export function decodeCommand(delivery: PushDelivery, capabilities: CapabilityRegistry): Decoded {
  const attrCorrelation = validId(delivery.attributes.reply_to);
  const poison = (p: Poison): Decoded => ({ ok: false, poison: Object.assign({}, p, { correlationId: p.correlationId ?? attrCorrelation }) });
  if (!delivery.data) return poison({ code: 'malformed_json', reason: 'the message has no data' });
  if (!BASE64.test(delivery.data)) return poison({ code: 'invalid_base64', reason: 'message.data is not base64' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(delivery.data, 'base64').toString('utf8'));
  } catch {
    return poison({ code: 'malformed_json', reason: 'message.data is not JSON' });
  }
  const readable = readableFields(parsed);
  if (!validateCommand(parsed)) {
    const e = validateCommand.errors?.[0];
    const where = e ? `${e.instancePath || '/'}${e.keyword === 'required' ? String(e.params.missingProperty) : ''}` : '/';
    return poison(Object.assign({}, readable, { code: 'invalid_command' as const, reason: `the command does not match its schema: ${where} ${e?.message ?? 'is invalid'}` }));
  }
  const correlationId = parsed.reply_to ?? attrCorrelation;
  if (!capabilities.get(parsed.capability)) {
    return poison(Object.assign({}, readable, { correlationId, code: 'unknown_capability' as const, reason: `no capability named "${parsed.capability}"` }));
  }
  return { ok: true, command: parsed, correlationId };
}

/** The ids a malformed command still carries, so its failure event reaches the right tenant and sender. */
function readableFields(value: unknown): Pick<Poison, 'tenantId' | 'requestId' | 'capability' | 'correlationId'> {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const out: Pick<Poison, 'tenantId' | 'requestId' | 'capability' | 'correlationId'> = {};
  if (typeof v.tenant_id === 'string' && TENANT.test(v.tenant_id)) out.tenantId = v.tenant_id;
  const requestId = validId(v.request_id);
  if (requestId) out.requestId = requestId;
  const correlationId = validId(v.reply_to);
  if (correlationId) out.correlationId = correlationId;
  return out;
}

function validId(value: unknown): string | undefined {
  return typeof value === 'string' && value.length >= 1 && value.length <= 200 ? value : undefined;
}
