import express, { type RequestHandler } from 'express';
import { unsupportedMediaType } from './problem.js';

/**
 * Parses JSON bodies up to limitBytes. A body in any other media type is refused with 415 before it is
 * read; an oversized one with 413 (body-parser stops at the limit, so a huge body is never buffered).
 */
export function jsonBody(limitBytes: number): RequestHandler {
  const parse = express.json({ limit: limitBytes, strict: true, type: () => true });
  return (req, res, next) => {
    if (!hasBody(req.headers)) return next();
    if (!req.is(['application/json', 'application/*+json'])) {
      const got = req.headers['content-type'] ?? 'none';
      return next(unsupportedMediaType(`Send the body as application/json (got ${got}).`));
    }
    return parse(req, res, next);
  };
}

function hasBody(headers: Record<string, string | string[] | undefined>): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}
