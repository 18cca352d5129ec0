/**
 * One-shot job (Cloud Run Job before each rollout; `npm run job:migrate` locally): applies pending
 * migrations from migrations/ and exits. Embedded, it migrates the running `npm start` server's database,
 * or opens .data/pg itself when none runs.
 */
import { loadConfigOrExit } from '../../shared/config/index.js';
import { openDatabase } from '../../shared/db/index.js';
import { createLogger } from '../../shared/telemetry/index.js';

const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, name: 'migrate' });
const started = Date.now();
try {
  const db = await openDatabase({ ...config, db: { ...config.db, autoMigrate: true, poolMax: 1 } }, {
    log: (msg) => logger.info(msg.trim()),
    applicationName: 'migrate',
  });
  const { rows } = await db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM pgmigrations');
  logger.info({ applied_total: rows[0]?.n, mode: db.mode, seconds: (Date.now() - started) / 1000 }, 'migrations up to date');
  await db.close();
} catch (err) {
  logger.error({ err }, `migration failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
