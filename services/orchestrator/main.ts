/**
 * Composition root of the orchestrator (Cloud Run service; `npm start` locally). Picks adapters from the
 * config — DATABASE_URL / REDIS_URL / PUBSUB_PROJECT / AUTH_JWKS_* set: production ones; unset: the
 * embedded defaults (PGlite, in-memory key/value, in-process bus, dev key pair) — and serves the app.
 */
import { listenHttp } from '../../shared/http/index.js';
import { loadConfigOrExit, type Config } from '../../shared/config/index.js';
import { openDatabase } from '../../shared/db/index.js';
import { createKeyValue, SERVICE_KEY_PREFIX } from '../../shared/cache/index.js';
import { createJwtVerifier } from '../../shared/auth/index.js';
import { LocalEventBus, OutboxRelay, registerOutboxMetrics, type Publisher } from '../../shared/events/index.js';
import { createLogger, createMetrics, type Logger } from '../../shared/telemetry/index.js';
import { createApp } from './app.js';
import { readinessChecks } from './readiness.js';
import { installGracefulShutdown } from './shutdown.js';
import { wireInference } from './inference-deps.js';
import { createSnapshotUrls } from '../../shared/snapshots/index.js';
import { createPushTokenVerifier } from '../../shared/auth/push-token.js';
import { handleDelivery, subscribeLocalCommands } from '../../shared/async-inference/index.js';
import { asyncInferenceDeps } from './routes/pubsub-push.js';
import { startDedupePruner, startHitlExpiry, startOutboxPruner } from './maintenance.js';

const config = loadConfigOrExit();
const logger = createLogger({ level: config.logLevel, name: 'orchestrator' });
process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));

try {
  await main(config, logger);
} catch (err) {
  logger.fatal({ err }, `start-up failed: ${(err as Error).message}`);
  process.exit(1);
}

async function main(config: Config, logger: Logger): Promise<void> {
  const metrics = createMetrics();
  const db = await openDatabase(config, { log: (msg) => logger.debug(msg.trim()), applicationName: 'orchestrator' });
  const kv = createKeyValue({ redisUrl: config.redisUrl, keyPrefix: SERVICE_KEY_PREFIX });
  const verifier = await createJwtVerifier({ auth: config.auth, dataDir: config.dataDir, appEnv: config.appEnv, logger });
  const publisher = await createPublisher(config, logger);
  const outboxMetrics = registerOutboxMetrics(metrics.registry, db.pool);
  const relay = new OutboxRelay({ pool: db.pool, publisher, settings: config.events.relay, logger, metrics: outboxMetrics, preparedStatements: db.sessionPerConnection });
  relay.start();
  // Retrieval searches set their own session settings (shared/rag/search.ts): they get connections of their own.
  const search = db.poolOfItsOwn({ max: config.rag.searchPoolMax, applicationName: 'orchestrator-search' });
  const wiring = await wireInference({ config, pool: db.pool, searchPool: search.pool, kv, logger, metrics, preparedStatements: db.sessionPerConnection, onRecorded: () => relay.wake() });
  const snapshots = await createSnapshotUrls(config);
  const pushVerifier = await createPushTokenVerifier({ pushAuth: config.pushAuth, appEnv: config.appEnv, dataDir: config.dataDir, logger });
  const hitlExpiry = startHitlExpiry({ config, pool: db.pool, logger, onExpired: () => relay.wake() });
  const dedupePruner = startDedupePruner({ config, pool: db.pool, logger });
  const outboxRetention = startOutboxPruner({ config, pool: db.pool, logger });
  // Embedded: commands published on the in-process bus reach the same handler as Pub/Sub pushes.
  if (publisher instanceof LocalEventBus) {
    const asyncDeps = asyncInferenceDeps({ config, pool: db.pool, inference: wiring.inference, logger, registry: metrics.registry });
    subscribeLocalCommands(publisher, config.events.topics.inferenceRequests, (delivery) => handleDelivery(asyncDeps, delivery));
  }

  let draining = false;
  const app = createApp({
    config,
    logger,
    metrics,
    pool: db.pool,
    verifier,
    checks: readinessChecks({ pool: db.pool, jwksLoaded: () => verifier.isLoaded() }),
    draining: () => draining,
    snapshots,
    wiring,
    pushVerifier,
  });
  const { server, port } = await listenHttp(app, config.port);
  const url = `http://127.0.0.1:${port}`;

  installGracefulShutdown({
    server,
    logger,
    graceMs: config.http.shutdownGraceMs,
    onDrain: () => {
      draining = true;
    },
    steps: [
      { name: 'hitl-expiry', run: () => hitlExpiry.stop() },
      { name: 'dedupe-pruner', run: () => dedupePruner.stop() },
      { name: 'outbox-pruner', run: () => outboxRetention.stop() },
      { name: 'inference', run: () => wiring.close() },
      { name: 'relay', run: async (ms) => { await relay.flush(ms); await relay.stop(); } },
      { name: 'publisher', run: () => publisher.close() },
      { name: 'verifier', run: async () => verifier.close() },
      { name: 'key-value', run: () => kv.close() },
      { name: 'search-pool', run: () => search.close() },
      { name: 'database', run: () => db.close() },
    ],
  });

  logger.info(
    {
      url,
      port,
      ready_ms: Math.round(process.uptime() * 1000),
      database: db.mode,
      key_value: config.redisUrl ? 'redis' : 'memory',
      events: config.pubsub.project ? 'pubsub' : 'in-process',
      providers: wiring.providers,
      embeddings: `${wiring.embedder.name}:${wiring.embedder.model}`,
      auth: config.auth.jwksUrl ? 'jwks-url' : config.auth.jwksFile ? 'jwks-file' : 'dev-key-pair',
    },
    'listening',
  );
  if (!config.auth.jwksUrl && !config.auth.jwksFile) {
    logger.info(`get a token: TOKEN=$(npm run --silent token -- --tenant demo --scope "ai.invoke ai.admin")  then  curl -H "Authorization: Bearer $TOKEN" ${url}/v1/capabilities`);
  }
}

async function createPublisher(config: Config, logger: Logger): Promise<Publisher> {
  if (!config.pubsub.project) return new LocalEventBus({ logger });
  // Loaded only when used: @google-cloud/pubsub takes ~0.5 s to import.
  const { PubSubPublisher } = await import('../../shared/events/pubsub-publisher.js');
  return new PubSubPublisher({ projectId: config.pubsub.project, publishTimeoutMs: config.events.relay.publishTimeoutMs });
}
