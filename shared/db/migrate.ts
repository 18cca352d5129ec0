import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import type { Queryable } from './pool.js';

/**
 * Forward-only SQL migrations from migrations/NNNN_name.sql, applied by node-pg-migrate.
 * On top of it: a blocking advisory lock (a second process waits, then finds nothing to do, rather than
 * failing as node-pg-migrate's try-lock would) and a sha256 per applied file, so an edited migration is
 * refused instead of silently diverging between environments.
 */
const MIGRATION_LOCK_KEY = 7_241_865_325_823_965; // node-pg-migrate's own key + 1
const MIGRATIONS_TABLE = 'pgmigrations';
const FILE_PATTERN = /^\d{4}_[a-z0-9_]+\.sql$/;

export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

export function defaultMigrationsDir(): string {
  let dir = path.dirname(new URL(import.meta.url).pathname);
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'migrations');
    if (existsSync(candidate) && readdirSync(candidate).some((f) => FILE_PATTERN.test(f))) return candidate;
    dir = path.dirname(dir);
  }
  throw new MigrationError('cannot find the migrations/ folder');
}

interface MigrationFile {
  name: string;
  sha256: string;
}

export function listMigrationFiles(dir: string): MigrationFile[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  return files.map((file) => {
    if (!FILE_PATTERN.test(file)) throw new MigrationError(`migration file ${file} must be named NNNN_snake_case.sql`);
    const sha256 = createHash('sha256').update(readFileSync(path.join(dir, file))).digest('hex');
    return { name: file.replace(/\.sql$/, ''), sha256 };
  });
}

export interface MigrateResult {
  applied: string[];
}

export async function runMigrations(opts: { url: string; dir?: string; log?: (msg: string) => void }): Promise<MigrateResult> {
  const dir = opts.dir ?? defaultMigrationsDir();
  const files = listMigrationFiles(dir);
  const client = new pg.Client({ connectionString: opts.url, application_name: 'migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migration_checksums (
           name text PRIMARY KEY, sha256 text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())`,
      );
      await verifyChecksums(client, files);
      const ran = await runner({
        dbClient: client,
        dir,
        direction: 'up',
        migrationsTable: MIGRATIONS_TABLE,
        noLock: true,
        singleTransaction: true,
        checkOrder: true,
        ignorePattern: '(\\..*)|(.*\\.md)',
        log: (msg: string) => opts.log?.(msg),
      });
      await recordChecksums(client, files);
      return { applied: ran.map((m) => m.name) };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
    }
  } finally {
    await client.end();
  }
}

async function verifyChecksums(client: pg.Client, files: MigrationFile[]): Promise<void> {
  const { rows } = await client.query<{ name: string; sha256: string }>('SELECT name, sha256 FROM schema_migration_checksums ORDER BY name');
  const byName = new Map(files.map((f) => [f.name, f.sha256]));
  for (const row of rows) {
    const current = byName.get(row.name);
    if (current === undefined) {
      throw new MigrationError(`migration ${row.name} was applied to this database but its file is missing from migrations/`);
    }
    if (current !== row.sha256) {
      throw new MigrationError(
        `migration ${row.name}.sql was changed after it was applied (applied sha256 ${row.sha256.slice(0, 12)}…, file now ${current.slice(0, 12)}…); ` +
          'migrations are forward-only: restore the file and add a new numbered migration',
      );
    }
  }
}

/** Records the checksum of every applied file not yet recorded (including after a crash between the two steps). */
async function recordChecksums(client: pg.Client, files: MigrationFile[]): Promise<void> {
  const { rows } = await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`);
  const applied = new Set(rows.map((r) => r.name));
  for (const file of files.filter((f) => applied.has(f.name))) {
    await client.query('INSERT INTO schema_migration_checksums (name, sha256) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [file.name, file.sha256]);
  }
}

/** Names of migration files not yet applied to the database (readiness: the service needs none pending). */
export async function pendingMigrations(db: Queryable, dir: string = defaultMigrationsDir()): Promise<string[]> {
  const files = listMigrationFiles(dir);
  const exists = await db.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [MIGRATIONS_TABLE]);
  if (!exists.rows[0]?.t) return files.map((f) => f.name);
  const { rows } = await db.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`);
  const applied = new Set(rows.map((r) => r.name));
  return files.filter((f) => !applied.has(f.name)).map((f) => f.name);
}
