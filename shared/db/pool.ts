import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;
/** What a query needs: a pool, or the client of an open transaction (pass it down; see transaction.ts). */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>;

// int8 (bigint) columns hold micro-dollars and counters; they fit a JS number well below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export function createPool(opts: { url: string; max: number; statementTimeoutMs?: number; applicationName?: string }): Pool {
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max,
    statement_timeout: opts.statementTimeoutMs,
    application_name: opts.applicationName ?? 'ai-orchestrator',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}
