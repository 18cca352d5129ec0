import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { retryAfterMsFromHeaders, statusError, transportError } from '../classify-error.js';
import { ProviderError } from '../errors.js';

/** An error event inside a stream has no HTTP status: its `error.type` says which one it stands for. */
const STATUS_OF_TYPE: Record<string, number> = {
  overloaded_error: 529,
  api_error: 500,
  rate_limit_error: 429,
  timeout_error: 504,
  authentication_error: 401,
  permission_error: 403,
  invalid_request_error: 400,
  not_found_error: 404,
  request_too_large: 413,
};

export function toAnthropicError(err: unknown, signal: AbortSignal | undefined): ProviderError {
  if (err instanceof APIUserAbortError || err instanceof APIConnectionTimeoutError) {
    return new ProviderError({ kind: 'timeout', provider: 'anthropic', message: 'anthropic: timed out or aborted', cause: err });
  }
  if (err instanceof APIConnectionError) {
    return new ProviderError({ kind: 'connection', provider: 'anthropic', message: 'anthropic: connection failed', cause: err });
  }
  if (err instanceof APIError) {
    const status = err.status ?? (err.type ? STATUS_OF_TYPE[err.type] : undefined) ?? 500;
    return statusError('anthropic', status, { retryAfterMs: retryAfterMsFromHeaders(err.headers), code: err.type, cause: err });
  }
  return transportError('anthropic', err, signal);
}
