import type { JwtVerifier } from '../../shared/auth/index.js';
import type { Config } from '../../shared/config/index.js';
import type { Pool } from '../../shared/db/index.js';
import { createHttpApp, type HttpApp } from '../../shared/http/index.js';
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
export function createSignerApp(deps: SignerAppDeps): HttpApp {
  const app = createHttpApp({ logger: deps.logger, metrics: deps.metrics, gcpProject: deps.config.gcpProject, quietPaths: ['/healthz'], bodyLimitBytes: deps.config.http.bodyLimitBytes });
  // Liveness only: 200 whenever the process serves (handbook api.md), draining included.
  app.get('/healthz', async () => ({ status: 'ok' }));
  publicKeyRoutes(app, { keyRing: deps.keyRing, cacheSeconds: deps.config.signer.publicKeysCacheSeconds });
  manifestRoutes(app, {
      pool: deps.pool,
      keyRing: deps.keyRing,
      maxValiditySeconds: deps.config.signer.maxValiditySeconds,
      now: deps.now,
      verifier: deps.verifier,
      bodyLimitBytes: deps.config.http.bodyLimitBytes,
      logger: deps.logger,
  });
  return app;
}
