import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { AppError, isAppError } from '../errors/app-error.js';
import type { Logger } from '../telemetry/index.js';

/** Base of every problem `type` URI; the last segment is the stable `code`. */
export const PROBLEM_TYPE_BASE = 'https://problems.melmastoon.com/ai-orchestrator/';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  [extra: string]: unknown;
}

export function problemBody(err: AppError, instance?: string): ProblemBody {
  return {
    ...err.extra,
    type: PROBLEM_TYPE_BASE + err.code,
    title: err.title,
    status: err.status,
    detail: err.detail,
    code: err.code,
    ...(instance ? { instance } : {}),
  };
}

export function sendProblem(res: Response, err: AppError, instance?: string): void {
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  res.status(err.status).type('application/problem+json').send(JSON.stringify(problemBody(err, instance)));
}

/** body-parser signals its failures through `type`; each becomes a stable problem code, never a 500. */
function fromBodyParser(err: { type?: string; limit?: number; charset?: string; encoding?: string }): AppError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError({ code: 'malformed_json', status: 400, title: 'Malformed JSON', detail: 'The request body is not valid JSON.' });
    case 'entity.too.large':
      return new AppError({
        code: 'payload_too_large',
        status: 413,
        title: 'Payload too large',
        detail: `The request body exceeds the limit of ${err.limit ?? 'the configured'} bytes.`,
      });
    case 'charset.unsupported':
      return unsupportedMediaType(`Unsupported charset "${err.charset}"; send UTF-8 JSON.`);
    case 'encoding.unsupported':
      return unsupportedMediaType(`Unsupported content encoding "${err.encoding}".`);
    case 'request.aborted':
      return new AppError({ code: 'request_aborted', status: 400, title: 'Request aborted', detail: 'The client closed the request before its body arrived.' });
    case 'request.size.invalid':
      return new AppError({ code: 'malformed_request', status: 400, title: 'Malformed request', detail: 'The body length does not match Content-Length.' });
    default:
      return undefined;
  }
}

export function unsupportedMediaType(detail: string): AppError {
  return new AppError({ code: 'unsupported_media_type', status: 415, title: 'Unsupported media type', detail });
}

export function notFound(): RequestHandler {
  return (req, _res, next) => {
    next(new AppError({ code: 'not_found', status: 404, title: 'Not found', detail: `No route for ${req.method} ${req.path}.` }));
  };
}

/** The one place errors become HTTP responses. Anything that is not an AppError is logged and answered 500. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known = isAppError(err) ? err : fromBodyParser(err as { type?: string });
    if (res.headersSent) {
      logger.error({ err, path: req.path }, 'error after the response started');
      res.end();
      return;
    }
    if (known) {
      sendProblem(res, known, req.originalUrl);
      return;
    }
    logger.error({ err, path: req.path }, 'unhandled error');
    sendProblem(
      res,
      new AppError({ code: 'internal_error', status: 500, title: 'Internal error', detail: 'An unexpected error occurred; it has been logged.' }),
      req.originalUrl,
    );
  };
}
