import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../shared/config/index.js';
import { findRunningEmbeddedServer, openDatabase, pendingMigrations, type Database } from '../../shared/db/index.js';
import { testDatabase } from '../support/db.js';

/** The embedded mode `npm start` and the jobs use when DATABASE_URL is unset. */
describe('embedded database (PGlite + pgvector over pglite-socket)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aiorch-embedded-'));
  const config = loadConfig({ env: { DATA_DIR: dataDir, DATABASE_URL: '' } });
  const open: Database[] = [];
  afterAll(async () => {
    for (const db of open.reverse()) await db.close();
  });

  it('the first process owns the data dir, migrates it and records its port for others', async () => {
    const owner = await openDatabase(config);
    open.push(owner);
    expect(owner.mode).toBe('embedded-owner');
    expect(owner.sessionPerConnection).toBe(false);
    expect(await pendingMigrations(owner.pool)).toEqual([]);
    await owner.pool.query(`INSERT INTO tenants (tenant_id) VALUES ('embedded-t1')`);
    expect(await findRunningEmbeddedServer(dataDir)).toBe(owner.url);
  });

  it('a second opener (a job, another npm start) connects to the running server and sees the same data', async () => {
    const client = await openDatabase(config);
    open.push(client);
    expect(client.mode).toBe('embedded-client');
    expect(client.sessionPerConnection).toBe(false);
    // DATABASE_URL may name the embedded server too (tests do): still one session, so nothing is prepared.
    const byUrl = await openDatabase(loadConfig({ env: { DATA_DIR: dataDir, DATABASE_URL: client.url } }));
    expect([byUrl.mode, byUrl.sessionPerConnection]).toEqual(['external', false]);
    await byUrl.close();
    const { rows } = await client.pool.query(`SELECT tenant_id FROM tenants WHERE tenant_id = 'embedded-t1'`);
    expect(rows).toHaveLength(1);
    await client.close();
    open.pop();
  });

  it('data survives a restart, and the port record goes away with the server', async () => {
    const owner = open.pop() as Database;
    await owner.close();
    expect(existsSync(path.join(dataDir, 'pg-server.json'))).toBe(false);
    expect(await findRunningEmbeddedServer(dataDir)).toBeUndefined();
    const again = await openDatabase(config);
    open.push(again);
    expect(again.mode).toBe('embedded-owner');
    const { rows } = await again.pool.query(`SELECT tenant_id FROM tenants WHERE tenant_id = 'embedded-t1'`);
    expect(rows).toHaveLength(1);
  });

  it('a lock left by a dead process is taken over; a port record of a dead process is ignored', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'aiorch-embedded-'));
    const deadPid = 2 ** 22 + 12345; // above pid_max's default: no such process
    writeFileSync(path.join(other, 'pg.lock'), String(deadPid));
    writeFileSync(path.join(other, 'pg-server.json'), JSON.stringify({ pid: deadPid, port: 1 }));
    expect(await findRunningEmbeddedServer(other)).toBeUndefined();
    const db = await openDatabase(loadConfig({ env: { DATA_DIR: other, DATABASE_URL: '' } }));
    expect(db.mode).toBe('embedded-owner');
    await db.close();
  });

  it('refuses to open a data dir a live process holds but does not serve yet', async () => {
    const other = mkdtempSync(path.join(tmpdir(), 'aiorch-embedded-'));
    writeFileSync(path.join(other, 'pg.lock'), String(process.ppid));
    await expect(openDatabase(loadConfig({ env: { DATA_DIR: other, DATABASE_URL: '' } }))).rejects.toThrow(/held by process \d+/);
  });
});

describe('a database named by DATABASE_URL', () => {
  it('is a session per connection on Postgres (statements may be prepared there), one shared session on PGlite', async () => {
    const db = await testDatabase();
    try {
      const opened = await openDatabase(loadConfig({ env: { DATABASE_URL: db.url } }));
      try {
        expect(opened.mode).toBe('external');
        expect(opened.sessionPerConnection).toBe(inject('templateDatabase') !== null);
      } finally {
        await opened.close();
      }
    } finally {
      await db.close();
    }
  });

  it('gives a pool of its own where connections are sessions of their own: its session settings stay off the main pool', async () => {
    const db = await testDatabase();
    try {
      const opened = await openDatabase(loadConfig({ env: { DATABASE_URL: db.url } }));
      const own = opened.poolOfItsOwn({ max: 1, applicationName: 'own-pool-test' });
      try {
        // What the RAG search sets for its session (shared/rag/search.ts).
        await own.pool.query(`SELECT set_config('plan_cache_mode', 'force_custom_plan', false)`);
        const mode = async (pool: typeof own.pool) => (await pool.query<{ m: string }>(`SELECT current_setting('plan_cache_mode') AS m`)).rows[0]!.m;
        if (opened.sessionPerConnection) {
          expect(own.pool).not.toBe(opened.pool);
          expect(await mode(own.pool)).toBe('force_custom_plan');
          expect(await mode(opened.pool)).toBe('auto');
          const { rows } = await own.pool.query<{ name: string }>(`SELECT current_setting('application_name') AS name`);
          expect(rows[0]!.name).toBe('own-pool-test');
        } else {
          // PGlite: one session for every connection, so nothing to keep apart; the main pool is lent.
          expect(own.pool).toBe(opened.pool);
          await own.pool.query(`SELECT set_config('plan_cache_mode', 'auto', false)`);
        }
      } finally {
        await own.close();
        // Closing a lent pool leaves the main pool open.
        expect((await opened.pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
        await opened.close();
      }
    } finally {
      await db.close();
    }
  });
});
