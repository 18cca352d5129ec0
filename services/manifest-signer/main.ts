/**
 * Composition root of the manifest signer (private Cloud Run service; `npm run start:signer` locally, on
 * PORT, default 8081). SIGNER_KMS_KEY set: Cloud KMS signs; unset: the local key ring in DATA_DIR/signing.
 */
import { createJwtVerifier } from '../../shared/auth/index.js';
import { ConfigError, loadConfigOrExit, type Config } from '../../shared/config/index.js';
import { openDatabase } from '../../shared/db/index.js';
import { installGracefulShutdown, listenHttp } from '../../shared/http/index.js';
import { createLogger, createMetrics, type Logger } from '../../shared/telemetry/index.js';
import { createSignerApp } from './app.js';
import { checkSignerConfig, openKeyRing } from './key-ring.js';

const config = loadConfigOrExit({ env: Object.assign({}, process.env, { PORT: process.env.PORT || '8081' }) });
try {
  checkSignerConfig(config);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(78);
}
const logger = createLogger({ level: config.logLevel, name: 'manifest-signer' });
process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));

try {
  await main(config, logger);
} catch (err) {
  logger.fatal({ err }, `start-up failed: ${(err as Error).message}`);
  process.exit(1);
}

async function main(config: Config, logger: Logger): Promise<void> {
  const metrics = createMetrics();
  const keyRing = await openKeyRing(config);
  const db = await openDatabase(config, { log: (msg) => logger.debug(msg.trim()), applicationName: 'manifest-signer' });
  const verifier = await createJwtVerifier({ auth: config.auth, dataDir: config.dataDir, appEnv: config.appEnv, logger });

  const app = createSignerApp({ config, logger, metrics, pool: db.pool, verifier, keyRing });
  const { server, port } = await listenHttp(app, config.port);

  installGracefulShutdown({
    server,
    logger,
    graceMs: config.http.shutdownGraceMs,
    onDrain: () => {},
    steps: [
      { name: 'key-ring', run: () => keyRing.close() },
      { name: 'verifier', run: async () => verifier.close() },
      { name: 'database', run: () => db.close() },
    ],
  });

  logger.info(
    { url: `http://127.0.0.1:${port}`, port, database: db.mode, key_ring: keyRing.kind, primary_keyid: keyRing.primary.keyid, primary_key_version: keyRing.primary.keyVersion },
    'listening',
  );
}
