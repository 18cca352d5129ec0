/**
 * Budget resetter (Cloud Run Job on a schedule, e.g. a few minutes past every UTC midnight;
 * `npm run job:budget-reset` locally): closes ended budget periods with one `budget.period_closed` event
 * each, opens the current ones, and deletes the counters of ended periods. Idempotent: running it twice
 * or late changes nothing more. Prints one JSON summary line on stdout.
 */
import { createKeyValue, SERVICE_KEY_PREFIX } from '../../shared/cache/index.js';
import { runBudgetReset } from '../../shared/budgets/index.js';
import { loadConfigOrExit } from '../../shared/config/index.js';
import { openDatabase } from '../../shared/db/index.js';
import { createLogger } from '../../shared/telemetry/index.js';


const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, name: 'budget-resetter' });
const started = Date.now();
try {
  const db = await openDatabase(config, { log: (msg) => logger.debug(msg.trim()), applicationName: 'budget-resetter' });
  const kv = createKeyValue({ redisUrl: config.redisUrl, keyPrefix: SERVICE_KEY_PREFIX });
  try {
    const summary = await runBudgetReset({ pool: db.pool, kv, config });
    console.log(JSON.stringify({ job: 'budget-resetter', ...summary, seconds: (Date.now() - started) / 1000 }));
  } finally {
    await kv.close();
    await db.close();
  }
} catch (err) {
  logger.error({ err }, `budget reset failed: ${(err as Error).message}`);
  process.exitCode = 1;
}
