import type { Registry } from 'prom-client';
import { AppError } from '../../../shared/errors/app-error.js';
import { sendProblem, type HttpApp } from '../../../shared/http/index.js';
import { runChecks, type ReadinessCheck } from '../readiness.js';

/** /healthz (liveness), /readyz (readiness with per-check detail), /metrics (Prometheus text). */
export function healthRoutes(app: HttpApp, opts: { checks: Record<string, ReadinessCheck>; registry: Registry; draining: () => boolean }): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (request, reply) => {
    const result = await runChecks(opts.checks);
    if (opts.draining()) result.checks.draining = { ok: false, detail: 'shutting down' };
    if (result.ok && !opts.draining()) return { status: 'ready', checks: result.checks };
    const failing = Object.entries(result.checks).filter(([, c]) => !c.ok).map(([name]) => name);
    return sendProblem(
      reply,
      new AppError({
        code: 'not_ready',
        status: 503,
        title: 'Not ready',
        detail: `Failing checks: ${failing.join(', ')}.`,
        extra: { checks: result.checks },
        headers: { 'Retry-After': '1' },
      }),
      request.url,
    );
  });
  app.get('/metrics', async (_request, reply) => reply.type(opts.registry.contentType).send(await opts.registry.metrics()));
}
