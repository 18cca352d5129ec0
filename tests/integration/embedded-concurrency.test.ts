import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, startEmbeddedServer, type EmbeddedServer, type Pool } from '../../shared/db/index.js';

/**
 * Many connections sending parameterised queries (Parse/Bind/Execute/Sync) at once to the embedded server:
 * pglite-socket queues protocol messages one by one, and without holding a connection's turn until its Sync
 * two sequences interleave and clobber each other's unnamed statement.
 */
describe('embedded server under concurrent extended-protocol queries', () => {
  let server: EmbeddedServer;
  let pool: Pool;
  beforeAll(async () => {
    server = await startEmbeddedServer({ dataDir: '.data/test-concurrency', memory: true });
    pool = createPool({ url: server.url, max: 20 });
  });
  afterAll(async () => {
    await pool.end();
    await server.stop();
  });

  it('500 concurrent parameterised queries on 20 connections all get their own answer', async () => {
    const results = await Promise.all(
      // Each query has its own SQL text, so binding to another connection's statement would show.
      Array.from({ length: 500 }, (_, i) => pool.query<{ v: number; s: string }>(`SELECT $1::int + ${i} AS v, $2::text AS s`, [i, `q${i}`])),
    );
    results.forEach((r, i) => expect(r.rows[0]).toEqual({ v: 2 * i, s: `q${i}` }));
  });

  it('a failing query does not stall the others', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? pool.query('SELECT $1::int / 0', [i]) : pool.query<{ v: number }>('SELECT $1::int AS v', [i]))),
    );
    outcomes.forEach((o, i) => {
      if (i % 5 === 0) expect(o.status).toBe('rejected');
      else expect(o.status === 'fulfilled' && o.value.rows[0]?.v).toBe(i);
    });
    expect((await pool.query<{ ok: number }>('SELECT 1 AS ok')).rows[0]?.ok).toBe(1);
  });

  it('parameterised queries beside a stream of short transactions each get their own answer', async () => {
    // The mix that broke before: a transaction ending hands the session back while another connection
    // is between Parse and Sync, and a third connection's messages slipped in between.
    await pool.query('CREATE TABLE IF NOT EXISTS concurrency_counter (id int PRIMARY KEY, n int NOT NULL)');
    await pool.query('INSERT INTO concurrency_counter VALUES (1, 0) ON CONFLICT (id) DO UPDATE SET n = 0');
    let stop = false;
    let wrong = 0;
    let polls = 0;
    const poll = async (lane: number) => {
      while (!stop) {
        const marker = `lane${lane}-${polls++}`;
        const { rows } = await pool.query<{ marker: string; lane: number }>('SELECT $1::text AS marker, $2::int AS lane', [marker, lane]);
        if (rows[0]?.marker !== marker || rows[0]?.lane !== lane) wrong++;
      }
    };
    const writer = async () => {
      const client = await pool.connect();
      try {
        for (let i = 0; i < 200; i++) {
          await client.query('BEGIN');
          await client.query('UPDATE concurrency_counter SET n = n + $1 WHERE id = $2', [1, 1]);
          await client.query('COMMIT');
        }
      } finally {
        client.release();
        stop = true;
      }
    };
    await Promise.all([poll(1), poll(2), writer()]);
    expect(wrong).toBe(0);
    expect(polls).toBeGreaterThan(0);
    expect((await pool.query<{ n: number }>('SELECT n FROM concurrency_counter WHERE id = 1')).rows[0]?.n).toBe(200);
  });
});
