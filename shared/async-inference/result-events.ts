import { createEvent, type EventEnvelope } from '../events/index.js';
import type { InvokeResult } from '../inference/types.js';

/** reason is free text of at most 2000 characters in the event schema. */
const clip = (text: string): string => (text.length > 2000 ? `${text.slice(0, 1997)}...` : text);

// Failure events of commands whose tenant could not be read need some ordering key: this one names no tenant.
export const UNATTRIBUTED_TENANT = '_unattributed';

export function failureEvent(opts: {
  source: string;
  tenantId?: string;
  code: string;
  reason: string;
  capability?: string;
  requestId?: string;
  correlationId?: string;
}): EventEnvelope {
  return createEvent({
    type: 'inference.failed',
    tenantId: opts.tenantId ?? UNATTRIBUTED_TENANT,
    source: opts.source,
    ...(opts.requestId ? { subject: opts.requestId } : {}),
    data: {
      code: opts.code,
      reason: clip(opts.reason),
      ...(opts.capability ? { capability: opts.capability } : {}),
      ...(opts.requestId ? { request_id: opts.requestId } : {}),
      ...(opts.correlationId ? { correlation_id: opts.correlationId } : {}),
    },
  });
}

/**
 * The result of a command answered from an earlier call's Idempotency-Key result: that call was recorded
 * and charged when it ran, so this event reports it without tokens or cost (`replayed: true`).
 */
export function replayEvent(opts: { source: string; tenantId: string; result: InvokeResult; requestId: string; correlationId?: string; latencyMs: number }): EventEnvelope {
  const r = opts.result;
  return createEvent({
    type: 'inference.completed',
    tenantId: opts.tenantId,
    source: opts.source,
    subject: r.call_id,
    data: {
      call_id: r.call_id,
      capability: r.capability,
      provider: r.provider,
      model: r.model,
      input_tokens: 0,
      output_tokens: 0,
      cost_micros: 0,
      cache_hit: r.cache_hit,
      degraded: r.degraded,
      latency_ms: Math.round(opts.latencyMs),
      request_id: opts.requestId,
      replayed: true,
      ...(opts.correlationId ? { correlation_id: opts.correlationId } : {}),
    },
  });
}
