import type { Pool, PoolClient } from './pool.js';

/**
 * Runs fn inside BEGIN/COMMIT on one client, rolling back on error.
 * Never await a query on another connection while fn runs: the embedded server (pglite-socket) lets an
 * open transaction hold the only session, so that would deadlock, and in production it wastes a connection.
 */
export async function withTransaction<T>(pool: Pool, fn: (tx: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
