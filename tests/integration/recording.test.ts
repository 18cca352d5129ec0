import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/index.js';
import { createEvent } from '../../shared/events/index.js';
import { createCallRecorder, type CallRecord } from '../../shared/recording/calls.js';
import { GroupCommitter } from '../../shared/recording/group-commit.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

const config = loadConfig({ env: {} });

function call(tenant: string, cost: number): CallRecord<number> {
  const callId = randomUUID();
  return {
    row: {
      call_id: callId, tenant_id: tenant, capability: 'reservation.upsell_offer', channel: 'invoke', status: 'completed',
      error_code: null, provider: 'openai', model: 'gpt-4.1-mini', degraded: false, cache_hit: false, input_tokens: 10,
      output_tokens: 20, cost_micros: cost, latency_ms: 5, input_hash: 'h', idempotency_key: null, correlation_id: null,
      attempts: [], hitl_status: null, output: null,
    },
    event: createEvent({
      type: 'inference.completed', tenantId: tenant, source: config.events.source,
      data: { call_id: callId, capability: 'reservation.upsell_offer', provider: 'openai', model: 'gpt-4.1-mini', input_tokens: 10, output_tokens: 20, cost_micros: cost, cache_hit: false, degraded: false, latency_ms: 5 },
    }),
    settlement: cost,
  };
}

describe('call recording (group commit)', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => {
    await db.close();
  });

  it('300 concurrent calls: every row, event and settlement committed, in far fewer transactions than calls', async () => {
    let transactions = 0;
    const settled: number[] = [];
    const recorder = createCallRecorder<number>({
      pool: db.pool,
      topics: config.events.topics,
      applySettlements: async (_tx, s) => {
        transactions++;
        settled.push(...s);
      },
    });
    await Promise.all(Array.from({ length: 300 }, (_, i) => recorder.record(call(`t-rec-${i % 3}`, i))));
    const rows = await db.pool.query<{ n: number; cost: number }>(`SELECT count(*)::int AS n, sum(cost_micros)::bigint AS cost FROM ai_calls WHERE tenant_id LIKE 't-rec-%'`);
    expect(rows.rows[0]).toEqual({ n: 300, cost: (299 * 300) / 2 });
    const events = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE event_type = 'inference.completed' AND ordering_key LIKE 't-rec-%'`);
    expect(events.rows[0]?.n).toBe(300);
    expect(settled).toHaveLength(300);
    expect(transactions).toBeLessThan(300);
  });

  it('a batch that fails twice rejects every caller in it and writes nothing of it', async () => {
    const recorder = createCallRecorder<number>({
      pool: db.pool,
      topics: config.events.topics,
      applySettlements: async () => {
        throw new Error('ledger unavailable');
      },
    });
    const results = await Promise.allSettled([recorder.record(call('t-rec-fail', 1)), recorder.record(call('t-rec-fail', 2))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const rows = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ai_calls WHERE tenant_id = 't-rec-fail'`);
    expect(rows.rows[0]?.n).toBe(0);
    const events = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE ordering_key = 't-rec-fail'`);
    expect(events.rows[0]?.n).toBe(0);
  });

  it('a call with an invalid event is refused alone; the calls batched with it are committed', async () => {
    const recorder = createCallRecorder<number>({ pool: db.pool, topics: config.events.topics, applySettlements: async () => {} });
    const bad = call('t-rec-mixed', 1);
    (bad.event.data as Record<string, unknown>).latency_ms = 1.5;
    const results = await Promise.allSettled([recorder.record(call('t-rec-mixed', 2)), Promise.resolve().then(() => recorder.record(bad)), recorder.record(call('t-rec-mixed', 3))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ai_calls WHERE tenant_id = 't-rec-mixed'`);
    expect(rows[0]?.n).toBe(2);
  });

  it('a batch that fails once is retried whole and then committed', async () => {
    let failures = 1;
    const committer = new GroupCommitter<number>({
      pool: db.pool,
      write: async (tx, items) => {
        await tx.query(`INSERT INTO tenants (tenant_id) SELECT 't-gc-' || x FROM unnest($1::int[]) AS x`, [items]);
        if (failures-- > 0) throw new Error('transient');
      },
    });
    await Promise.all([1, 2, 3].map((i) => committer.submit(i)));
    const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM tenants WHERE tenant_id LIKE 't-gc-%'`);
    expect(rows[0]?.n).toBe(3);
    await committer.flush();
  });
});
