import type { Config } from '../../shared/config/index.js';
import type { Pool } from '../../shared/db/index.js';
import type { Logger, Metrics } from '../../shared/telemetry/index.js';
import { createHttpApp, pathOf, type HttpApp } from '../../shared/http/index.js';
import { authenticate, type JwtVerifier } from '../../shared/auth/index.js';
import { healthRoutes } from './routes/health.js';
import { adminFlagRoutes } from './routes/admin-flags.js';
import type { ReadinessCheck } from './readiness.js';
import type { InferenceWiring } from './inference-deps.js';
import { capabilityRoutes } from './routes/capabilities.js';
import { chatCompletionRoutes } from './routes/chat-completions.js';
import { embeddingRoutes } from './routes/embeddings.js';
import { ragSearchRoutes } from './routes/rag-search.js';
import { adminBudgetRoutes } from './routes/admin-budgets.js';
import { snapshotRoutes } from './routes/snapshots.js';
import type { SnapshotServing } from '../../shared/snapshots/index.js';
import type { PushTokenVerifier } from '../../shared/auth/push-token.js';
import { asyncInferenceDeps, pubsubPushRoutes } from './routes/pubsub-push.js';
import { hitlRoutes } from './routes/hitl.js';

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  pool: Pool;
  verifier: JwtVerifier;
  checks: Record<string, ReadinessCheck>;
  draining: () => boolean;
  wiring: InferenceWiring;
  /** Desktop snapshot URLs; undefined in staging/prod without SNAPSHOTS_BUCKET (the route then answers 503). */
  snapshots?: SnapshotServing;
  /** Verifies Pub/Sub push tokens; without it the push endpoint is not served. */
  pushVerifier?: PushTokenVerifier;
}

/** Paths that need a verified JWT, unknown ones included (401 before 404). */
const PROTECTED_PREFIXES = ['/v1', '/admin'];

/** The orchestrator's HTTP app: public probes, the Pub/Sub push endpoint, everything else behind a verified JWT. */
export function createApp(deps: AppDeps): HttpApp {
  const app = createHttpApp({
    logger: deps.logger,
    metrics: deps.metrics,
    gcpProject: deps.config.gcpProject,
    quietPaths: ['/healthz', '/readyz', '/metrics'],
    bodyLimitBytes: deps.config.http.bodyLimitBytes,
  });
  const verify = authenticate(deps.verifier);
  // Runs before the body is read, and for unknown paths too.
  app.addHook('onRequest', async (request) => {
    if (isProtected(pathOf(request.url))) await verify(request);
  });

  healthRoutes(app, { checks: deps.checks, registry: deps.metrics.registry, draining: deps.draining });
  if (deps.pushVerifier) {
    const asyncInference = asyncInferenceDeps({ config: deps.config, pool: deps.pool, inference: deps.wiring.inference, logger: deps.logger, registry: deps.metrics.registry });
    pubsubPushRoutes(app, { verifier: deps.pushVerifier, asyncInference, bodyLimitBytes: deps.config.http.bodyLimitBytes });
  }
  capabilityRoutes(app, { inference: deps.wiring.inference, capabilities: deps.wiring.capabilities, flags: deps.wiring.flags });
  chatCompletionRoutes(app, { inference: deps.wiring.inference });
  embeddingRoutes(app, { inference: deps.wiring.inference, embedder: deps.wiring.embedder });
  snapshotRoutes(app, { serving: deps.snapshots });
  hitlRoutes(app, { pool: deps.pool, capabilities: deps.wiring.capabilities, topics: deps.config.events.topics, source: deps.config.events.source });
  if (deps.wiring.inference.retriever) ragSearchRoutes(app, { retriever: deps.wiring.inference.retriever, rateLimiter: deps.wiring.inference.rateLimiter, defaultTopK: deps.config.rag.topK });
  adminFlagRoutes(app, { pool: deps.pool, onChange: () => deps.wiring.flags.refresh() });
  adminBudgetRoutes(app, { budgets: deps.wiring.budgets, capabilities: deps.config.capabilities });
  return app;
}

/** `/v1`, `/v1/…`, `/admin`, `/admin/…` (whole segments, as express's mount paths matched). */
function isProtected(path: string): boolean {
  return PROTECTED_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}
