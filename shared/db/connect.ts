import type { Config } from '../config/index.js';
import { createPool, type Pool } from './pool.js';
import { findRunningEmbeddedServer, startEmbeddedServer } from './embedded.js';
import { runMigrations } from './migrate.js';

export interface Database {
  pool: Pool;
  url: string;
  /** 'external': DATABASE_URL; 'embedded-owner': this process serves PGlite; 'embedded-client': another process does. */
  mode: 'external' | 'embedded-owner' | 'embedded-client';
  /**
   * Whether each pooled connection is a session of its own, so statements may be prepared on it under a
   * fixed name. Not on the embedded database (PGlite), whose connections share one session, also when
   * DATABASE_URL points at it.
   */
  sessionPerConnection: boolean;
  /**
   * A pool of its own on the same database, for statements that change their session's settings (the RAG
   * search), so that the main pool's sessions keep theirs. Where connections share one session (PGlite)
   * there is nothing to keep apart: the main pool, and closing it is left to `close`.
   */
  poolOfItsOwn(opts: { max: number; applicationName: string }): { pool: Pool; close(): Promise<void> };
  close(): Promise<void>;
}

/**
 * Opens the database the config names: DATABASE_URL, else the embedded server another process already
 * serves from dataDir, else a new embedded server owned by this process. With db.autoMigrate, migrations
 * run before the pool is handed out (and, embedded, before other processes can find the server).
 */
export async function openDatabase(config: Config, opts: { log?: (msg: string) => void; applicationName?: string } = {}): Promise<Database> {
  const poolOpts = { max: config.db.poolMax, statementTimeoutMs: config.db.statementTimeoutMs, applicationName: opts.applicationName };
  if (config.databaseUrl) {
    if (config.db.autoMigrate) await runMigrations({ url: config.databaseUrl, log: opts.log });
    const url = config.databaseUrl;
    const pool = createPool({ url, ...poolOpts });
    const { rows } = await pool.query<{ server: string }>('SELECT version() AS server');
    const sessionPerConnection = !rows[0]?.server.includes('PGlite');
    const poolOfItsOwn = (own: { max: number; applicationName: string }) => {
      if (!sessionPerConnection) return sharedSession(pool);
      const separate = createPool(Object.assign({ url }, poolOpts, own));
      return { pool: separate, close: () => separate.end() };
    };
    return { pool, url, mode: 'external', sessionPerConnection, poolOfItsOwn, close: () => pool.end() };
  }
  const running = await findRunningEmbeddedServer(config.dataDir);
  if (running) {
    opts.log?.(`using the embedded database already served at ${running}`);
    if (config.db.autoMigrate) await runMigrations({ url: running, log: opts.log });
    const pool = createPool({ url: running, ...poolOpts });
    return { pool, url: running, mode: 'embedded-client', sessionPerConnection: false, poolOfItsOwn: () => sharedSession(pool), close: () => pool.end() };
  }
  const server = await startEmbeddedServer({ dataDir: config.dataDir });
  try {
    if (config.db.autoMigrate) await runMigrations({ url: server.url, log: opts.log });
  } catch (err) {
    await server.stop();
    throw err;
  }
  server.publish();
  const pool = createPool({ url: server.url, ...poolOpts });
  return {
    pool,
    url: server.url,
    mode: 'embedded-owner',
    sessionPerConnection: false,
    poolOfItsOwn: () => sharedSession(pool),
    async close() {
      await pool.end();
      await server.stop();
    },
  };
}

/** The main pool, lent: its owner closes it. */
function sharedSession(pool: Pool): { pool: Pool; close(): Promise<void> } {
  return { pool, close: async () => {} };
}
