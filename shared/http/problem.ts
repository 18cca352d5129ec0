import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
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
  return Object.assign({}, err.extra, {
    type: PROBLEM_TYPE_BASE + err.code,
    title: err.title,
    status: err.status,
    detail: err.detail,
    code: err.code,
    ...(instance ? { instance } : {}),
  });
}

export function sendProblem(reply: FastifyReply, err: AppError, instance?: string): FastifyReply {
  return reply.code(err.status).headers(err.headers).type('application/problem+json').send(JSON.stringify(problemBody(err, instance)));
}

/** Fastify signals its own request failures (media type, size, URL) by `code`; each becomes a stable problem code, never a 500. */
function fromFramework(err: Partial<FastifyError>, request: FastifyRequest): AppError | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return unsupportedMediaType(`Send the body as application/json (got ${request.headers['content-type'] ?? 'none'}).`);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return payloadTooLarge(request.routeOptions.bodyLimit);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError({ code: 'malformed_request', status: 400, title: 'Malformed request', detail: 'The body length does not match Content-Length.' });
    case 'FST_ERR_BAD_URL':
      return new AppError({ code: 'malformed_request', status: 400, title: 'Malformed request', detail: 'The request URL cannot be decoded.' });
    default:
      // A client that hung up mid-body: nobody reads the answer, but it is a 4xx, not our failure.
      if (request.raw.aborted || err.code === 'ECONNRESET') {
        return new AppError({ code: 'request_aborted', status: 400, title: 'Request aborted', detail: 'The client closed the request before its body arrived.' });
      }
      return undefined;
  }
}

export function unsupportedMediaType(detail: string): AppError {
  return new AppError({ code: 'unsupported_media_type', status: 415, title: 'Unsupported media type', detail });
}

export function payloadTooLarge(limit: number): AppError {
  return new AppError({ code: 'payload_too_large', status: 413, title: 'Payload too large', detail: `The request body exceeds the limit of ${limit} bytes.` });
}

export function notFoundError(request: FastifyRequest): AppError {
  return new AppError({ code: 'not_found', status: 404, title: 'Not found', detail: `No route for ${request.method} ${pathOf(request.url)}.` });
}

/** The one place errors become HTTP responses. Anything that is not an AppError is logged and answered 500. */
export function errorHandler(logger: Logger): (err: unknown, request: FastifyRequest, reply: FastifyReply) => void {
  return (err, request, reply) => {
    const known = isAppError(err) ? err : fromFramework(err as Partial<FastifyError>, request);
    if (reply.sent || reply.raw.headersSent) {
      logger.error({ err, path: pathOf(request.url) }, 'error after the response started');
      reply.raw.end();
      return;
    }
    if (known) {
      sendProblem(reply, known, request.url);
      return;
    }
    logger.error({ err, path: pathOf(request.url) }, 'unhandled error');
    sendProblem(
      reply,
      new AppError({ code: 'internal_error', status: 500, title: 'Internal error', detail: 'An unexpected error occurred; it has been logged.' }),
      request.url,
    );
  };
}

/** The path of a request URL, without its query string. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
