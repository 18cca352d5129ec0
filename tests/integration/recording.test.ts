import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/index.js';
import { createEvent } from '../../shared/events/index.js';
import { createPool, type Pool } from '../../shared/db/index.js';
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

/** The pool, counting the statements sent on it directly (`query`) and the transactions' clients (`connect`). */
function counting(pool: Pool, opts: { failFirstQuery?: boolean } = {}) {
  const counts = { queries: 0, connects: 0 };
  let fail = opts.failFirstQuery ?? false;
  const proxy = new Proxy(pool, {
    get(target, name) {
      if (name === 'query') {
        return (...args: Parameters<Pool['query']>) => {
          counts.queries++;
          if (fail) {
            fail = false;
            // What a connection dropped before the reply looks like to the caller.
            return Promise.reject(new Error('Connection terminated unexpectedly'));
          }
          return (target.query as (...a: unknown[]) => unknown)(...args);
        };
      }
      if (name === 'connect') {
        return () => {
          counts.connects++;
          return target.connect();
        };
      }
      const value: unknown = Reflect.get(target, name);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { pool: proxy, counts };
}

/** Settlements as a CTE of the one-statement path: each becomes a tenants row; settlement 13 needs the transaction. */
const settlementStatement = (settled: number[], bind: (v: unknown) => string) => ({
  cte: `INSERT INTO tenants (tenant_id) SELECT 't-stmt-' || x FROM unnest(${bind(settled)}::int[]) AS x RETURNING tenant_id`,
  needsTransaction: (rows: string) => `EXISTS (SELECT 1 FROM ${rows} WHERE tenant_id = 't-stmt-13')`,
});

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

  describe('in one statement', () => {
    const rowsOf = async (tenant: string) => {
      const calls = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ai_calls WHERE tenant_id = $1`, [tenant]);
      const events = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox WHERE ordering_key = $1`, [tenant]);
      return { calls: calls.rows[0]?.n, events: events.rows[0]?.n };
    };
    const settledTenants = async (prefix: string) =>
      (await db.pool.query<{ tenant_id: string }>(`SELECT tenant_id FROM tenants WHERE tenant_id LIKE $1 ORDER BY tenant_id`, [`${prefix}%`])).rows.map((r) => r.tenant_id);

    it('writes a batch without hooks with one statement and no transaction: rows, events and settlements', async () => {
      const { pool, counts } = counting(db.pool);
      const applied: number[] = [];
      const recorder = createCallRecorder<number>({ pool, topics: config.events.topics, applySettlements: async (_tx, s) => void applied.push(...s), settlementStatement });
      await Promise.all([1, 2, 3, 4, 5].map((cost) => recorder.record(call('t-stmt-one', cost))));
      expect(counts).toEqual({ queries: 1, connects: 0 });
      expect(await rowsOf('t-stmt-one')).toEqual({ calls: 5, events: 5 });
      expect(await settledTenants('t-stmt-')).toEqual(['t-stmt-1', 't-stmt-2', 't-stmt-3', 't-stmt-4', 't-stmt-5']);
      expect(applied).toEqual([]);
    });

    it('abandons the statement when the settlements need the transaction: the batch is written there, once', async () => {
      const { pool, counts } = counting(db.pool);
      const applied: number[] = [];
      const recorder = createCallRecorder<number>({ pool, topics: config.events.topics, applySettlements: async (_tx, s) => void applied.push(...s), settlementStatement });
      await Promise.all([12, 13, 14].map((cost) => recorder.record(call('t-stmt-abandon', cost))));
      expect(counts).toEqual({ queries: 1, connects: 1 });
      expect(await rowsOf('t-stmt-abandon')).toEqual({ calls: 3, events: 3 });
      // Nothing of the abandoned statement is left: the settlements were applied by the transaction alone.
      expect(await settledTenants('t-stmt-1')).toEqual(['t-stmt-1']);
      expect(applied).toEqual([12, 13, 14]);
    });

    it('prepares the statement on its connection (one name with charges, one without): parsed once, then planned generically', async () => {
      // One connection, so that every batch runs on the session whose prepared statements are read below.
      const pool = createPool({ url: db.url, max: 1 });
      try {
        const recorder = createCallRecorder<number>({ pool, topics: config.events.topics, applySettlements: async () => {}, settlementStatement, preparedStatements: true });
        for (let i = 0; i < 8; i++) {
          await recorder.record(call('t-stmt-prepared', 100 + i));
          await recorder.record({ ...call('t-stmt-prepared', 0), settlement: undefined });
        }
        expect(await rowsOf('t-stmt-prepared')).toEqual({ calls: 16, events: 16 });
        const { rows } = await pool.query<{ name: string; generic_plans: string; custom_plans: string }>(
          `SELECT name, generic_plans, custom_plans FROM pg_prepared_statements WHERE name LIKE 'record_calls%' ORDER BY name`,
        );
        expect(rows.map((r) => [r.name, Number(r.generic_plans) + Number(r.custom_plans)])).toEqual([['record_calls_charged_v1', 8], ['record_calls_v1', 8]]);
        // Postgres tries five custom plans, then keeps the generic one: no more planning per batch. Unless the
        // session forces custom plans: the RAG search sets that for the sessions it runs in (on PGlite, the one
        // session every test file shares), and there each batch is still planned.
        const { rows: mode } = await pool.query<{ mode: string }>(`SELECT current_setting('plan_cache_mode') AS mode`);
        for (const r of rows) {
          if (mode[0]!.mode === 'force_custom_plan') expect(Number(r.custom_plans)).toBe(8);
          else expect(Number(r.generic_plans)).toBeGreaterThan(0);
        }
        // An abandoned run of the prepared statement leaves it usable: the batch goes the transaction's way.
        await recorder.record(call('t-stmt-prepared', 13));
        await recorder.record(call('t-stmt-prepared', 200));
        expect(await rowsOf('t-stmt-prepared')).toEqual({ calls: 18, events: 18 });
      } finally {
        await pool.end();
      }
    });

    it('writes a batch with a hook in a transaction', async () => {
      const { pool, counts } = counting(db.pool);
      const written: string[] = [];
      const recorder = createCallRecorder<number>({ pool, topics: config.events.topics, applySettlements: async () => {}, settlementStatement });
      const hooked = { ...call('t-stmt-hook', 1), hooks: [{ write: async (_tx: unknown, c: CallRecord) => void written.push(c.row.call_id) }] };
      await Promise.all([recorder.record(call('t-stmt-hook', 2)), recorder.record(hooked)]);
      expect(counts).toEqual({ queries: 0, connects: 1 });
      expect(written).toEqual([hooked.row.call_id]);
      expect(await rowsOf('t-stmt-hook')).toEqual({ calls: 2, events: 2 });
    });

    it('a statement that fails (a dropped connection) is retried as a transaction, and the batch is written once', async () => {
      const { pool, counts } = counting(db.pool, { failFirstQuery: true });
      const applied: number[] = [];
      const recorder = createCallRecorder<number>({ pool, topics: config.events.topics, applySettlements: async (_tx, s) => void applied.push(...s), settlementStatement });
      await Promise.all([21, 22].map((cost) => recorder.record(call('t-stmt-retry', cost))));
      expect(counts).toEqual({ queries: 1, connects: 1 });
      expect(await rowsOf('t-stmt-retry')).toEqual({ calls: 2, events: 2 });
      expect(applied).toEqual([21, 22]);
    });
  });
});
