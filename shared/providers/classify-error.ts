import { ProviderError, type ProviderErrorKind } from './errors.js';
import type { ProviderName } from './port.js';

/**
 * What every vendor adapter shares when it turns a failed call into a ProviderError: HTTP status → kind,
 * Retry-After parsing, and recognising aborts and broken connections under the SDKs' wrappers.
 * Messages carry the provider, the status and a vendor error code, never the prompt, the vendor's
 * free-text message (it may quote the request) or a key.
 */

/** 529 is Anthropic's "overloaded"; 408 is the server giving up on the request, not the request being wrong. */
export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 429) return 'rate_limited';
  if (status === 401 || status === 403) return 'auth';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'unavailable';
  return 'bad_request';
}

interface HeaderSource {
  get(name: string): string | null;
}

/** `retry-after-ms` (OpenAI, Anthropic) or `retry-after` in seconds or as an HTTP date. */
export function retryAfterMsFromHeaders(headers: HeaderSource | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return Math.round(ms);
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function statusError(
  provider: ProviderName,
  status: number,
  opts: { retryAfterMs?: number; code?: string | null; cause?: unknown } = {},
): ProviderError {
  const kind = kindForStatus(status);
  const code = opts.code ? ` ${opts.code}` : '';
  return new ProviderError({ kind, provider, status, retryAfterMs: opts.retryAfterMs, message: `${provider}: HTTP ${status}${code}`, cause: opts.cause });
}

export function invalidOutput(provider: ProviderName, why: string, cause?: unknown): ProviderError {
  return new ProviderError({ kind: 'invalid_output', provider, message: `${provider}: ${why}`, cause });
}

export function refused(provider: ProviderName, why: string): ProviderError {
  return new ProviderError({ kind: 'refused', provider, message: `${provider}: refused (${why})` });
}

const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
// undici reports a body cut short as "terminated" and a refused/reset connect as "fetch failed".
const CONNECTION_MESSAGE = /socket hang up|other side closed|\bterminated\b|fetch failed|premature close/i;

/** The error and its `cause` chain (SDKs wrap undici's errors, which wrap the socket's). */
function* causeChain(err: unknown): Generator<{ name?: unknown; code?: unknown; message?: unknown }> {
  let current: unknown = err;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth += 1) {
    yield current as { name?: unknown; code?: unknown; message?: unknown };
    current = (current as { cause?: unknown }).cause;
  }
}

export function isAbortError(err: unknown): boolean {
  for (const e of causeChain(err)) {
    if (e.name === 'AbortError' || e.name === 'TimeoutError' || (typeof e.code === 'string' && TIMEOUT_CODES.has(e.code))) return true;
  }
  return false;
}

export function isConnectionFailure(err: unknown): boolean {
  for (const e of causeChain(err)) {
    if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && CONNECTION_MESSAGE.test(e.message)) return true;
  }
  return false;
}

/**
 * A failure that carries no HTTP status: the caller's signal or an SDK timeout (timeout), a broken socket
 * (connection), a 200 whose body is not JSON (invalid_output). Anything else is reported as the vendor
 * being unavailable, so the router moves on instead of failing the request on an unknown error.
 */
export function transportError(provider: ProviderName, err: unknown, signal: AbortSignal | undefined): ProviderError {
  if (err instanceof ProviderError) return err;
  if (signal?.aborted || isAbortError(err)) return new ProviderError({ kind: 'timeout', provider, message: `${provider}: timed out or aborted`, cause: err });
  if (isConnectionFailure(err)) return new ProviderError({ kind: 'connection', provider, message: `${provider}: connection failed`, cause: err });
  if (err instanceof SyntaxError) return invalidOutput(provider, 'response body is not valid JSON', err);
  return new ProviderError({ kind: 'unavailable', provider, message: `${provider}: unexpected failure`, cause: err });
}

/**
 * Checks at the end of a stream that the vendor finished it: a stream the caller aborted, or one that stopped
 * without the vendor's finish marker (the SDKs end some of those silently), is a failure, never a short answer.
 */
export function unfinishedStreamError(provider: ProviderName, signal: AbortSignal | undefined): ProviderError {
  if (signal?.aborted) return new ProviderError({ kind: 'timeout', provider, message: `${provider}: stream aborted` });
  return new ProviderError({ kind: 'connection', provider, message: `${provider}: stream ended before the vendor finished it` });
}
