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
});
