import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/index.js';
import { createEvent } from '../../shared/events/index.js';
import { CallVetoedError, createCallRecorder, type CallRecord, type RecordHook } from '../../shared/recording/calls.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

const config = loadConfig({ env: {} });

function call(tenant: string, hooks?: RecordHook[]): CallRecord<number> {
  const callId = randomUUID();
  return {
    row: {
      call_id: callId, tenant_id: tenant, capability: 'reservation.upsell_offer', channel: 'async', status: 'completed',
      error_code: null, provider: 'openai', model: 'gpt-4.1-mini', degraded: false, cache_hit: false, input_tokens: 1,
      output_tokens: 1, cost_micros: 5, latency_ms: 1, input_hash: 'h', idempotency_key: null, correlation_id: null,
      attempts: [], hitl_status: null, output: null,
    },
    event: createEvent({
      type: 'inference.completed', tenantId: tenant, source: config.events.source,
      data: { call_id: callId, capability: 'reservation.upsell_offer', provider: 'openai', model: 'gpt-4.1-mini', input_tokens: 1, output_tokens: 1, cost_micros: 5, cache_hit: false, degraded: false, latency_ms: 1 },
    }),
    settlement: 5,
    ...(hooks ? { hooks } : {}),
  };
}

/** The record hooks the async handler and review tasks use to commit their rows with a call. */
describe('call recording hooks (async completion, review tasks)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => {
    await db.close();
  });

  it('a refused claim drops only its call (no row, event or settlement); the batch commits the others with their hook rows', async () => {
    const settled: number[] = [];
    const recorder = createCallRecorder<number>({ pool: db.pool, topics: config.events.topics, applySettlements: async (_tx, s) => void settled.push(...s) });
    const tenant = `t-hooks-${randomUUID().slice(0, 8)}`;
    const writes: string[] = [];
    const writer = (name: string): RecordHook => ({
      claim: async () => true,
      write: async (tx, c) => {
        await tx.query(`INSERT INTO processed_messages (message_id, tenant_id, outcome, result_event_id) VALUES ($1, $2, 'completed', $3)`, [name, c.row.tenant_id, c.event.id]);
        writes.push(name);
      },
    });
    const refused: RecordHook = { claim: async () => false, write: async () => void writes.push('refused') };
    const results = await Promise.allSettled([recorder.record(call(tenant, [writer('m-1')])), recorder.record(call(tenant, [refused])), recorder.record(call(tenant, [writer('m-3')]))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(CallVetoedError);
    expect(writes.sort()).toEqual(['m-1', 'm-3']);
    expect(settled).toEqual([5, 5]);
    const rows = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ai_calls WHERE tenant_id = $1`, [tenant]);
    expect(rows.rows[0]!.n).toBe(2);
    const events = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE ordering_key = $1`, [tenant]);
    expect(events.rows[0]!.n).toBe(2);
    const processed = await db.pool.query(`SELECT message_id FROM processed_messages WHERE tenant_id = $1 ORDER BY message_id`, [tenant]);
    expect(processed.rows).toEqual([{ message_id: 'm-1' }, { message_id: 'm-3' }]);
  });

  it('a hook write that fails rolls its whole batch back: no call without its completion', async () => {
    const recorder = createCallRecorder<number>({ pool: db.pool, topics: config.events.topics, applySettlements: async () => {} });
    const tenant = `t-hooks-${randomUUID().slice(0, 8)}`;
    const failing: RecordHook = { write: async () => { throw new Error('disk full'); } };
    await expect(recorder.record(call(tenant, [failing]))).rejects.toThrow('disk full');
    const rows = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ai_calls WHERE tenant_id = $1`, [tenant]);
    expect(rows.rows[0]!.n).toBe(0);
  });
});
