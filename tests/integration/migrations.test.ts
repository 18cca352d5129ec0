import { mkdtempSync, copyFileSync, readdirSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations, pendingMigrations, defaultMigrationsDir, createPool } from '../../shared/db/index.js';
import { emptyDatabase, testDatabase, type TestDatabase } from '../support/db.js';

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await testDatabase();
  });
  afterAll(async () => {
    await db.close();
  });

  it('leaves nothing pending and created the foundation tables with pgvector', async () => {
    expect(await pendingMigrations(db.pool)).toEqual([]);
    const { rows } = await db.pool.query(`SELECT extname FROM pg_extension WHERE extname = 'vector'`);
    expect(rows).toHaveLength(1);
    const dist = await db.pool.query(`SELECT '[1,0]'::vector <=> '[0,1]'::vector AS d`);
    expect(dist.rows[0].d).toBeCloseTo(1);
  });

  it('a second run applies nothing and keeps the checksums', async () => {
    const result = await runMigrations({ url: db.url });
    expect(result.applied).toEqual([]);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM schema_migration_checksums');
    expect(rows[0].n).toBe(readdirSync(defaultMigrationsDir()).filter((f) => f.endsWith('.sql')).length);
  });

  it('refuses an applied migration whose file changed, naming it', async () => {
    const dir = copyMigrations();
    const first = readdirSync(dir).sort()[0] as string;
    appendFileSync(path.join(dir, first), '\n-- edited after it was applied\n');
    await expect(runMigrations({ url: db.url, dir })).rejects.toThrow(new RegExp(`${first.replace('.sql', '')}.sql was changed after it was applied`));
  });

  it('refuses a database whose applied migration file disappeared', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mig-'));
    writeFileSync(path.join(dir, '0001_other.sql'), 'SELECT 1;');
    await expect(runMigrations({ url: db.url, dir })).rejects.toThrow(/file is missing from migrations/);
  });

  it('rejects a badly named migration file', async () => {
    const dir = copyMigrations();
    writeFileSync(path.join(dir, 'add-things.sql'), 'SELECT 1;');
    await expect(runMigrations({ url: db.url, dir })).rejects.toThrow(/must be named NNNN_snake_case.sql/);
  });

  it('two processes migrating one empty database at once: one applies, the other waits and applies nothing', async (ctx) => {
    const empty = await emptyDatabase();
    if (!empty) {
      // Embedded PGlite is one session: concurrency there is guarded by the data-dir lock (embedded tests).
      ctx.annotate('embedded database: covered by the real-Postgres run');
      return;
    }
    try {
      const [a, b] = await Promise.all([runMigrations({ url: empty.url }), runMigrations({ url: empty.url })]);
      const counts = [a.applied.length, b.applied.length].sort();
      expect(counts[0]).toBe(0);
      expect(counts[1]).toBeGreaterThan(0);
      const pool = createPool({ url: empty.url, max: 1 });
      expect(await pendingMigrations(pool)).toEqual([]);
      await pool.end();
    } finally {
      await empty.close();
    }
  });
});

function copyMigrations(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mig-'));
  for (const f of readdirSync(defaultMigrationsDir())) copyFileSync(path.join(defaultMigrationsDir(), f), path.join(dir, f));
  return dir;
}
