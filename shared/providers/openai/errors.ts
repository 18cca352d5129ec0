import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { retryAfterMsFromHeaders, statusError, transportError } from '../classify-error.js';
import { ProviderError } from '../errors.js';

/** An error object inside a stream has no HTTP status; OpenAI sends these for server-side failures. */
const STREAM_ERROR_STATUS = 500;

export function toOpenAiError(err: unknown, signal: AbortSignal | undefined): ProviderError {
  if (err instanceof APIUserAbortError || err instanceof APIConnectionTimeoutError) {
    return new ProviderError({ kind: 'timeout', provider: 'openai', message: 'openai: timed out or aborted', cause: err });
  }
  if (err instanceof APIConnectionError) {
    return new ProviderError({ kind: 'connection', provider: 'openai', message: 'openai: connection failed', cause: err });
  }
  if (err instanceof APIError) {
    return statusError('openai', err.status ?? STREAM_ERROR_STATUS, { retryAfterMs: retryAfterMsFromHeaders(err.headers), code: err.code ?? err.type, cause: err });
  }
  return transportError('openai', err, signal);
}
