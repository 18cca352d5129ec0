import express, { type Express } from 'express';
import type { Config } from '../../shared/config/index.js';
import type { Pool } from '../../shared/db/index.js';
import type { Logger, Metrics } from '../../shared/telemetry/index.js';
import { errorHandler, jsonBody, notFound, requestLog } from '../../shared/http/index.js';
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

/** The orchestrator's express app: public probes first, then everything behind a verified JWT. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Cloud Run's front end is the one proxy hop; req.ip is then the caller's address.
  app.set('trust proxy', 1);
  app.use(requestLog({ logger: deps.logger, metrics: deps.metrics, gcpProject: deps.config.gcpProject, quietPaths: ['/healthz', '/readyz', '/metrics'] }));
  app.use(healthRoutes({ checks: deps.checks, registry: deps.metrics.registry, draining: deps.draining }));
  if (deps.pushVerifier) {
    const asyncInference = asyncInferenceDeps({ config: deps.config, pool: deps.pool, inference: deps.wiring.inference, logger: deps.logger, registry: deps.metrics.registry });
    app.use(pubsubPushRoutes({ verifier: deps.pushVerifier, asyncInference, bodyLimitBytes: deps.config.http.bodyLimitBytes }));
  }

  // Everything under /v1 and /admin needs a verified token and speaks JSON (unknown paths there: 401, then 404).
  app.use(['/v1', '/admin'], authenticate(deps.verifier), jsonBody(deps.config.http.bodyLimitBytes));
  app.use(adminFlagRoutes({ pool: deps.pool, onChange: () => deps.wiring.flags.refresh() }));
  app.use(adminBudgetRoutes({ budgets: deps.wiring.budgets, capabilities: deps.config.capabilities }));
  app.use(capabilityRoutes({ inference: deps.wiring.inference, capabilities: deps.wiring.capabilities, flags: deps.wiring.flags }));
  app.use(chatCompletionRoutes({ inference: deps.wiring.inference }));
  app.use(embeddingRoutes({ inference: deps.wiring.inference, embedder: deps.wiring.embedder }));
  app.use(snapshotRoutes({ serving: deps.snapshots }));
  app.use(hitlRoutes({ pool: deps.pool, capabilities: deps.wiring.capabilities, topics: deps.config.events.topics, source: deps.config.events.source }));
  if (deps.wiring.inference.retriever) app.use(ragSearchRoutes({ retriever: deps.wiring.inference.retriever, rateLimiter: deps.wiring.inference.rateLimiter, defaultTopK: deps.config.rag.topK }));

  app.use(notFound());
  app.use(errorHandler(deps.logger));
  return app;
}
