import express, { type Express } from 'express';
import type { JwtVerifier } from '../../shared/auth/index.js';
import type { Config } from '../../shared/config/index.js';
import type { Pool } from '../../shared/db/index.js';
import { errorHandler, notFound, requestLog } from '../../shared/http/index.js';
import type { ManifestKeyRing } from '../../shared/signing/index.js';
import type { Logger, Metrics } from '../../shared/telemetry/index.js';
import { manifestRoutes } from './routes/manifests.js';
import { publicKeyRoutes } from './routes/public-keys.js';

export interface SignerAppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  pool: Pool;
  verifier: Pick<JwtVerifier, 'verify'>;
  keyRing: ManifestKeyRing;
  now?: () => number;
}

/**
 * The manifest signer's app (private ingress: Cloud Run IAM admits only the release pipeline's service
 * account; in the app, a JWT with the `manifest.sign` scope names who asked).
 */
export function createSignerApp(deps: SignerAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 1);
  app.use(requestLog({ logger: deps.logger, metrics: deps.metrics, gcpProject: deps.config.gcpProject, quietPaths: ['/healthz'] }));
  // Liveness only: 200 whenever the process serves (handbook api.md), draining included.
  app.get('/healthz', (_req, res) => {
    res.status(200).json({ status: 'ok' });
  });
  app.use(publicKeyRoutes({ keyRing: deps.keyRing, cacheSeconds: deps.config.signer.publicKeysCacheSeconds }));
  app.use(
    manifestRoutes({
      pool: deps.pool,
      keyRing: deps.keyRing,
      maxValiditySeconds: deps.config.signer.maxValiditySeconds,
      now: deps.now,
      verifier: deps.verifier,
      bodyLimitBytes: deps.config.http.bodyLimitBytes,
      logger: deps.logger,
    }),
  );
  app.use(notFound());
  app.use(errorHandler(deps.logger));
  return app;
}
