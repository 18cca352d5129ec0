import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { createJwtVerifier, mintDevToken } from '../../shared/auth/index.js';
import { createPushTokenVerifier } from '../../shared/auth/push-token.js';
import { createKeyValue, type KeyValueAdapter } from '../../shared/cache/index.js';
import { loadConfig, type Config } from '../../shared/config/index.js';
import type { Pool } from '../../shared/db/index.js';
import { listenHttp } from '../../shared/http/index.js';
import { createLogger, createMetrics } from '../../shared/telemetry/index.js';
import { createApp } from '../../services/orchestrator/app.js';
import { wireInference, type InferenceWiring } from '../../services/orchestrator/inference-deps.js';

export interface OrchestratorHarness {
  url: string;
  config: Config;
  wiring: InferenceWiring;
  kv: KeyValueAdapter;
  dataDir: string;
  /** A dev JWT of the harness's key pair. */
  token(tenant: string, scope: string, subject?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The orchestrator's HTTP app in this process (app.ts + inference-deps.ts, as main.ts wires them) on a
 * free port, over the given pool: real Postgres/PGlite, Redis when REDIS_URL is set (keys under a prefix
 * unique to the harness), the real vendor SDKs against whatever fakes `env` points them at.
 */
export async function startOrchestratorHarness(opts: { pool: Pool; env?: Record<string, string>; overrides?: Record<string, unknown> }): Promise<OrchestratorHarness> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aiorch-harness-'));
  const config = loadConfig({ env: { APP_ENV: 'test', DATA_DIR: dataDir, ...opts.env }, ...(opts.overrides ? { overrides: opts.overrides } : {}) });
  const logger = createLogger({ level: 'silent' });
  const metrics = createMetrics({ defaultMetrics: false });
  const kv = createKeyValue({ redisUrl: inject('redisUrl') ?? undefined, keyPrefix: `aiorch-h-${randomBytes(4).toString('hex')}:` });
  const verifier = await createJwtVerifier({ auth: config.auth, dataDir, appEnv: config.appEnv, logger });
  const wiring = await wireInference({ config, pool: opts.pool, kv, logger, metrics });
  const pushVerifier = await createPushTokenVerifier({ pushAuth: config.pushAuth, appEnv: config.appEnv, dataDir, logger });
  const app = createApp({ config, logger, metrics, pool: opts.pool, verifier, checks: {}, draining: () => false, wiring, pushVerifier });
  const { server, port } = await listenHttp(app, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    wiring,
    kv,
    dataDir,
    token: (tenant, scope, subject) => mintDevToken({ dataDir, tenant, scope, issuer: config.auth.issuer, audience: config.auth.audience, ...(subject ? { subject } : {}) }),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await wiring.close();
      verifier.close();
      await kv.close();
    },
  };
}
