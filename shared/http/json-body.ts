import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';
import { payloadTooLarge, unsupportedMediaType } from './problem.js';

/** application/json and any application/*+json, with or without parameters. */
const JSON_MEDIA_TYPE = /^application\/([\w!#$&^.-]+\+)?json\s*(;|$)/i;

/**
 * The app's only body parser: JSON up to the route's body limit (the app's `bodyLimit` unless the route sets
 * its own). Fastify refuses any other media type with 415 before reading the body, and an oversized body
 * with 413 as soon as it passes the limit, so a huge body is never buffered. An empty body parses to
 * `undefined`; gzip, deflate and br bodies are inflated (to at most the limit); a charset other than UTF-8
 * is a 415.
 */
export function registerJsonBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_MEDIA_TYPE, { parseAs: 'buffer' }, (request, raw, done) => {
    try {
      done(null, parseJson(decoded(request, raw as Buffer, request.routeOptions.bodyLimit)));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

function decoded(request: FastifyRequest, raw: Buffer, limit: number): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') throw unsupportedMediaType(`Unsupported charset "${charset}"; send UTF-8 JSON.`);
  const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
  return inflate(encoding, raw, limit).toString('utf8');
}

function inflate(encoding: string, raw: Buffer, limit: number): Buffer {
  const options = { maxOutputLength: limit };
  try {
    switch (encoding) {
      case 'identity':
        return raw;
      case 'gzip':
        return gunzipSync(raw, options);
      case 'deflate':
        return inflateSync(raw, options);
      case 'br':
        return brotliDecompressSync(raw, options);
    }
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw payloadTooLarge(limit);
    throw malformedJson();
  }
  throw unsupportedMediaType(`Unsupported content encoding "${encoding}".`);
}

/** Strict, as body-parser's was: the top-level value is an object or an array. */
function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  const first = /\S/.exec(text)?.[0];
  if (first !== '{' && first !== '[') throw malformedJson();
  try {
    return JSON.parse(text);
  } catch {
    throw malformedJson();
  }
}

function malformedJson(): AppError {
  return new AppError({ code: 'malformed_json', status: 400, title: 'Malformed JSON', detail: 'The request body is not valid JSON.' });
}
