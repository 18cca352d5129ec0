import { AppError, isAppError } from '../errors/app-error.js';

/** Codes of recorded calls that a later attempt may well not get (the chain's 5xx/timeouts). */
export const RETRYABLE_CALL_CODES: ReadonlySet<string> = new Set(['providers_unavailable', 'deadline_exceeded', 'stream_interrupted']);

/** Whether Pub/Sub should deliver the command again: 5xx, timeouts, rate limits, a duplicate still running, anything unexpected. */
export function isRetryable(err: unknown): boolean {
  if (!isAppError(err)) return true;
  return err.status >= 500 || err.status === 408 || err.status === 429 || err.code === 'idempotency_in_progress';
}

/** 503: Pub/Sub treats any non-2xx as a nack and redelivers with its backoff. */
export function transientFailure(cause: unknown): AppError {
  const code = isAppError(cause) ? cause.code : 'internal_error';
  return new AppError({
    code: 'transient_failure',
    status: 503,
    title: 'Try again later',
    detail: `The command could not be completed now (${code}); deliver it again.`,
    extra: { cause_code: code },
    headers: { 'Retry-After': '10' },
    cause,
  });
}

export function requestInProgress(): AppError {
  return new AppError({
    code: 'request_in_progress',
    status: 503,
    title: 'Request in progress',
    detail: 'Another delivery of this request is still running; deliver it again later.',
    headers: { 'Retry-After': '10' },
  });
}

export function pushAuthUnavailable(cause: unknown): AppError {
  return new AppError({
    code: 'push_auth_unavailable',
    status: 503,
    title: 'Push authentication unavailable',
    detail: 'The OIDC signing keys could not be fetched; deliver the message again.',
    headers: { 'Retry-After': '10' },
    cause,
  });
}
