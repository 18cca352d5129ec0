import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { AI_CALLS_FACT_SCHEMA, AI_CALLS_UDF_NAME, AI_CALLS_UDF_SOURCE } from '../../infra/components/ai-calls-transform.js';
import { createEvent, toPubSubAttributes } from '../../shared/events/envelope.js';

// The Pub/Sub UDF of the ai_calls_fact BigQuery subscription, run in a bare V8 context (as Pub/Sub does,
// with no Node globals) on messages built the way the outbox relay publishes them.
type Udf = (message: { data: string; attributes: Record<string, string> }, metadata: Record<string, string>) => { data: string; attributes: Record<string, string> } | null;
const udf = runInNewContext(`${AI_CALLS_UDF_SOURCE}; ${AI_CALLS_UDF_NAME}`) as Udf;

function message(type: string, data: unknown) {
  const event = createEvent({ type, tenantId: 'acme', data, source: '//ai-orchestrator.melmastoon', time: new Date('2026-12-01T10:00:00.250Z') });
  return { event, msg: { data: JSON.stringify(event.data), attributes: toPubSubAttributes(event) } };
}
const metadata = { message_id: '42', publish_time: '2026-12-01T10:00:01Z' };
const columns = new Map<string, string>(AI_CALLS_FACT_SCHEMA.map((c) => [c.name, c.mode]));

describe('ai_calls_fact transform', () => {
  it('turns inference.completed into one row with tenant, capability, usage and cost', () => {
    const { event, msg } = message('inference.completed', {
      call_id: 'c1', capability: 'reservation.upsell_offer', provider: 'vertex', model: 'gemini-2.5-flash',
      input_tokens: 120, output_tokens: 40, cost_micros: 73, cache_hit: false, degraded: false, latency_ms: 812,
    });
    const out = udf(msg, metadata)!;
    expect(out.attributes).toEqual(msg.attributes);
    expect(JSON.parse(out.data)).toEqual({
      event_id: event.id, event_time: Date.parse('2026-12-01T10:00:00.250Z') * 1000, tenant_id: 'acme', outcome: 'completed',
      capability_key: 'reservation.upsell_offer', call_id: 'c1', provider: 'vertex', model: 'gemini-2.5-flash',
      input_tokens: 120, output_tokens: 40, cost_micros: 73, cache_hit: false, degraded: false, latency_ms: 812,
      error_code: null, correlation_id: null, request_id: null, replayed: false, message_id: '42', publish_time: Date.parse('2026-12-01T10:00:01Z') * 1000,
    });
  });

  it('turns inference.failed into a row with its error code and no usage', () => {
    const { msg } = message('inference.failed', { capability: 'support.policy_answer', code: 'providers_unavailable', reason: 'all links failed' });
    const row = JSON.parse(udf(msg, metadata)!.data) as Record<string, unknown>;
    expect(row).toMatchObject({ outcome: 'failed', tenant_id: 'acme', capability_key: 'support.policy_answer', error_code: 'providers_unavailable', cost_micros: null });
  });

  it('keeps the async request id and marks replayed answers, whose cost was charged by the first call', () => {
    const { msg } = message('inference.completed', {
      call_id: 'c2', capability: 'reservation.upsell_offer', provider: 'vertex', model: 'm', input_tokens: 0, output_tokens: 0,
      cost_micros: 0, cache_hit: false, degraded: false, latency_ms: 3, request_id: 'req-9', replayed: true,
    });
    expect(JSON.parse(udf(msg, metadata)!.data)).toMatchObject({ request_id: 'req-9', replayed: true });
  });

  it('writes only table columns, and every REQUIRED column', () => {
    const { msg } = message('inference.failed', { code: 'recording_failed', reason: 'x' });
    const row = JSON.parse(udf(msg, {})!.data) as Record<string, unknown>;
    expect(Object.keys(row).filter((k) => !columns.has(k))).toEqual([]);
    for (const [name, mode] of columns) if (mode === 'REQUIRED') expect(row[name], name).not.toBeNull();
  });

  it('drops other event types (the topic carries only inference events, but a stray one must not become a row)', () => {
    expect(udf(message('budget.threshold_crossed', { x: 1 }).msg, metadata)).toBeNull();
    expect(udf({ data: '{}', attributes: {} }, metadata)).toBeNull();
  });
});
