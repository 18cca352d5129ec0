import type { RequestHandler } from 'express';
import type { Logger, Metrics } from '../telemetry/index.js';
import { parseTraceHeaders, traceLogFields } from '../telemetry/index.js';

/**
 * One log line per request with Cloud Logging's `httpRequest` and trace fields, and the HTTP metrics.
 * Paths are logged without their query string; bodies are never logged (they may hold PII).
 */
export function requestLog(opts: { logger: Logger; metrics: Metrics; gcpProject?: string; quietPaths?: string[] }): RequestHandler {
  const quiet = new Set(opts.quietPaths ?? []);
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const trace = traceLogFields(parseTraceHeaders(req.headers), opts.gcpProject);
    res.locals.log = Object.keys(trace).length ? opts.logger.child(trace) : opts.logger;
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeTemplate(req.baseUrl, req.route?.path);
      const labels = { method: req.method, route, status: String(res.statusCode) };
      opts.metrics.httpRequests.inc(labels);
      opts.metrics.httpDuration.observe(labels, seconds);
      if (quiet.has(req.path) && res.statusCode < 400) return;
      const line = {
        httpRequest: {
          requestMethod: req.method,
          requestUrl: req.path,
          status: res.statusCode,
          responseSize: String(res.getHeader('content-length') ?? ''),
          userAgent: req.headers['user-agent'],
          remoteIp: req.ip,
          latency: `${seconds.toFixed(6)}s`,
          protocol: `HTTP/${req.httpVersion}`,
        },
        ...trace,
      };
      const level = res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info';
      opts.logger[level](line, `${req.method} ${route} ${res.statusCode}`);
    });
    next();
  };
}

/** The route template (`/v1/capabilities/:key/invoke`), never the raw path, so metric labels stay bounded. */
function routeTemplate(baseUrl: string, routePath: unknown): string {
  if (typeof routePath !== 'string') return 'unmatched';
  return `${baseUrl}${routePath}` || '/';
}
