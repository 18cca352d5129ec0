import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger, Metrics } from '../telemetry/index.js';
import { parseTraceHeaders, traceLogFields } from '../telemetry/index.js';
import { pathOf } from './problem.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** When the request arrived (process.hrtime.bigint()). */
    startedAt: bigint;
    /** Cloud Trace fields of the request's log lines. */
    traceFields: Record<string, unknown> | null;
    /** The app's logger with this request's trace fields (requestLogOf reads it). */
    traceLog: Logger | null;
  }
}

/**
 * One log line per request with Cloud Logging's `httpRequest` and trace fields, and the HTTP metrics.
 * Paths are logged without their query string; bodies are never logged (they may hold PII).
 */
export function registerRequestLog(app: FastifyInstance, opts: { logger: Logger; metrics: Metrics; gcpProject?: string; quietPaths?: string[] }): void {
  const quiet = new Set(opts.quietPaths ?? []);
  app.decorateRequest('startedAt', 0n);
  app.decorateRequest('traceFields', null);
  app.decorateRequest('traceLog', null);
  app.addHook('onRequest', (request, _reply, done) => {
    request.startedAt = process.hrtime.bigint();
    const trace = traceLogFields(parseTraceHeaders(request.headers), opts.gcpProject);
    request.traceFields = trace;
    request.traceLog = Object.keys(trace).length ? opts.logger.child(trace) : opts.logger;
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const seconds = Number(process.hrtime.bigint() - request.startedAt) / 1e9;
    const route = routeTemplate(request);
    const status = reply.statusCode;
    const labels = { method: request.method, route, status: String(status) };
    opts.metrics.httpRequests.inc(labels);
    opts.metrics.httpDuration.observe(labels, seconds);
    const path = pathOf(request.url);
    if (quiet.has(path) && status < 400) return done();
    const line = {
      httpRequest: {
        requestMethod: request.method,
        requestUrl: path,
        status,
        responseSize: String(reply.getHeader('content-length') ?? ''),
        userAgent: request.headers['user-agent'],
        remoteIp: request.ip,
        latency: `${seconds.toFixed(6)}s`,
        protocol: `HTTP/${request.raw.httpVersion}`,
      },
      ...request.traceFields,
    };
    const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
    opts.logger[level](line, `${request.method} ${route} ${status}`);
    done();
  });
}

/** The request's logger, with its trace fields. */
export function requestLogOf(request: FastifyRequest, fallback: Logger): Logger {
  return request.traceLog ?? fallback;
}

/** The route template (`/v1/capabilities/:key/invoke`), never the raw path, so metric labels stay bounded. */
function routeTemplate(request: FastifyRequest): string {
  const url = request.routeOptions.url;
  if (typeof url !== 'string' || request.is404) return 'unmatched';
  // A literal colon is written `::` in a fastify path.
  return url.replaceAll('::', ':') || '/';
}
