import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedServer, runMigrations } from '../../shared/db/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Embedded: the one migrated PGlite URL. Real Postgres: the admin URL (DATABASE_URL). */
    databaseUrl: string;
    /** Real Postgres only: a migrated template every test file clones into its own database. */
    templateDatabase: string | null;
    redisUrl: string | null;
  }
}

/**
 * Once per `npm test`: a migrated database. Embedded PGlite takes ~1-6 s and ~100 MB to start, so it is
 * booted here once rather than per file. With CI=true the real servers are mandatory: a missing
 * DATABASE_URL or REDIS_URL fails the run instead of quietly testing less.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const adminUrl = process.env.DATABASE_URL;
  const redisUrl = process.env.REDIS_URL ?? null;
  if (process.env.CI === 'true' && (!adminUrl || !redisUrl)) {
    throw new Error('CI=true but DATABASE_URL or REDIS_URL is not set: CI must test against real Postgres and Redis (.ci/run provides them)');
  }
  project.provide('redisUrl', redisUrl);

  if (!adminUrl) {
    const server = await startEmbeddedServer({ dataDir: '.data/test', memory: true });
    await runMigrations({ url: server.url });
    project.provide('databaseUrl', server.url);
    project.provide('templateDatabase', null);
    return () => server.stop();
  }

  const template = `aiorch_tmpl_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  await runMigrations({ url: withDatabase(adminUrl, template) });
  project.provide('databaseUrl', adminUrl);
  project.provide('templateDatabase', template);
  return async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
    await c.end();
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
