import { ApiError } from '@google/genai';
import { statusError, transportError } from '../classify-error.js';
import type { ProviderError } from '../errors.js';

interface GoogleErrorBody {
  error?: { status?: string; details?: Array<{ '@type'?: string; retryDelay?: string }> };
}

/**
 * The SDK's ApiError keeps only the status and the body (a google.rpc.Status as JSON in `message`,
 * after a prefix for errors sent inside a stream); response headers are not kept, so the retry hint is
 * google.rpc.RetryInfo's `retryDelay` ("2s", "0.5s"), as Google APIs send it.
 */
function parseBody(message: string): GoogleErrorBody {
  const start = message.indexOf('{');
  if (start < 0) return {};
  try {
    return JSON.parse(message.slice(start)) as GoogleErrorBody;
  } catch {
    return {};
  }
}

function retryDelayMs(body: GoogleErrorBody): number | undefined {
  const info = body.error?.details?.find((d) => d['@type']?.endsWith('google.rpc.RetryInfo'));
  const seconds = Number.parseFloat(info?.retryDelay ?? '');
  return Number.isFinite(seconds) && seconds >= 0 ? Math.round(seconds * 1000) : undefined;
}

export function toVertexError(err: unknown, signal: AbortSignal | undefined): ProviderError {
  if (err instanceof ApiError) {
    const body = parseBody(err.message);
    return statusError('vertex', err.status, { retryAfterMs: retryDelayMs(body), code: body.error?.status, cause: err });
  }
  return transportError('vertex', err, signal);
}
