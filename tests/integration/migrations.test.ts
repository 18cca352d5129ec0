import { mkdtempSync, copyFileSync, readdirSync, appendFileSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMigrations, pendingMigrations, defaultMigrationsDir, createPool } from '../../shared/db/index.js';
import { partitionNameOf } from '../../shared/rag/partitions.js';
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

  it('0009 moves existing chunks into one partition per tenant, keeping every row', async (ctx) => {
    const empty = await emptyDatabase();
    if (!empty) {
      ctx.annotate('embedded database: migrations run on an empty one there; covered by the real-Postgres run');
      return;
    }
    try {
      const dir = mkdtempSync(path.join(tmpdir(), 'mig-'));
      const files = readdirSync(defaultMigrationsDir()).filter((f) => f.endsWith('.sql')).sort();
      for (const f of files.filter((f) => f < '0009')) copyFileSync(path.join(defaultMigrationsDir(), f), path.join(dir, f));
      await runMigrations({ url: empty.url, dir });
      const pool = createPool({ url: empty.url, max: 1 });
      try {
        for (const tenant of ['hotel-a', 'Hotel.B']) {
          const doc = randomUUID();
          await pool.query(`INSERT INTO rag_documents (id, tenant_id, corpus, source_uri, title, content_hash, pipeline, chunk_count) VALUES ($1, $2, 'policies', 'file:///a.md', 'A', 'h', 'p', 2)`, [doc, tenant]);
          await pool.query(
            `INSERT INTO rag_chunks (id, document_id, tenant_id, corpus, position, text, token_count, embedding, tsv)
             SELECT gen_random_uuid(), $1, $2, 'policies', p, 'text ' || p, 2, array_fill(0.1, ARRAY[768])::vector, to_tsvector('english', 'text')
               FROM generate_series(0, 1) AS p`,
            [doc, tenant],
          );
        }
        for (const f of files.filter((f) => f >= '0009')) copyFileSync(path.join(defaultMigrationsDir(), f), path.join(dir, f));
        await runMigrations({ url: empty.url, dir });
        const { rows } = await pool.query<{ partition: string; tenant_id: string; n: number }>(
          `SELECT tableoid::regclass::text AS partition, tenant_id, count(*)::int AS n FROM rag_chunks GROUP BY 1, 2 ORDER BY 2`,
        );
        expect(rows).toEqual([
          { partition: partitionNameOf('Hotel.B'), tenant_id: 'Hotel.B', n: 2 },
          { partition: partitionNameOf('hotel-a'), tenant_id: 'hotel-a', n: 2 },
        ]);
        expect((await pool.query(`SELECT to_regclass('rag_chunks_before_0009') AS t`)).rows[0].t).toBeNull();
        // The documents' cascade still reaches the chunks through the partitioned table.
        await pool.query(`DELETE FROM rag_documents WHERE tenant_id = 'hotel-a'`);
        expect((await pool.query(`SELECT count(*)::int AS n FROM rag_chunks WHERE tenant_id = 'hotel-a'`)).rows[0].n).toBe(0);
      } finally {
        await pool.end();
      }
    } finally {
      await empty.close();
    }
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
