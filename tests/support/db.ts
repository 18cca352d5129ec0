import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { createPool, type Pool } from '../../shared/db/index.js';

export interface TestDatabase {
  pool: Pool;
  url: string;
  close(): Promise<void>;
}

/**
 * A migrated database this test file may use freely.
 * Real Postgres: a fresh database cloned from the migrated template, dropped on close.
 * Embedded: the shared PGlite database with every application table truncated (files run one at a time).
 */
export async function testDatabase(opts: { poolMax?: number } = {}): Promise<TestDatabase> {
  const baseUrl = inject('databaseUrl');
  const template = inject('templateDatabase');
  const max = opts.poolMax ?? 10;
  if (!template) {
    const pool = createPool({ url: baseUrl, max });
    await truncateAll(pool);
    return { pool, url: baseUrl, close: () => pool.end() };
  }
  const name = `aiorch_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(baseUrl, `CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = withDatabase(baseUrl, name);
  const pool = createPool({ url, max });
  return {
    pool,
    url,
    async close() {
      await pool.end();
      await adminQuery(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** An empty database with no migrations applied (for migration tests). */
export async function emptyDatabase(): Promise<{ url: string; close(): Promise<void> } | undefined> {
  const template = inject('templateDatabase');
  if (!template) return undefined;
  const baseUrl = inject('databaseUrl');
  const name = `aiorch_e_${randomBytes(6).toString('hex')}`;
  await adminQuery(baseUrl, `CREATE DATABASE ${name}`);
  return { url: withDatabase(baseUrl, name), close: () => adminQuery(baseUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

async function truncateAll(pool: Pool): Promise<void> {
  const { rows } = await pool.query<{ tablename: string }>(
    `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('pgmigrations', 'schema_migration_checksums')`,
  );
  if (rows.length > 0) await pool.query(`TRUNCATE ${rows.map((r) => `"${r.tablename}"`).join(', ')} RESTART IDENTITY CASCADE`);
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
