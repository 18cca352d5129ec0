import { Router } from 'express';
import type { Registry } from 'prom-client';
import { AppError } from '../../../shared/errors/app-error.js';
import { sendProblem } from '../../../shared/http/index.js';
import { runChecks, type ReadinessCheck } from '../readiness.js';

/** /healthz (liveness), /readyz (readiness with per-check detail), /metrics (Prometheus text). */
export function healthRoutes(opts: { checks: Record<string, ReadinessCheck>; registry: Registry; draining: () => boolean }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const result = await runChecks(opts.checks);
    if (opts.draining()) result.checks.draining = { ok: false, detail: 'shutting down' };
    if (result.ok && !opts.draining()) {
      res.json({ status: 'ready', checks: result.checks });
      return;
    }
    const failing = Object.entries(result.checks).filter(([, c]) => !c.ok).map(([name]) => name);
    sendProblem(
      res,
      new AppError({
        code: 'not_ready',
        status: 503,
        title: 'Not ready',
        detail: `Failing checks: ${failing.join(', ')}.`,
        extra: { checks: result.checks },
        headers: { 'Retry-After': '1' },
      }),
      req.originalUrl,
    );
  });
  router.get('/metrics', async (_req, res) => {
    res.type(opts.registry.contentType).send(await opts.registry.metrics());
  });
  return router;
}
