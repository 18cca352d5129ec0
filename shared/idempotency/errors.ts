import { AppError } from '../errors/app-error.js';

export function invalidIdempotencyKey(): AppError {
  return new AppError({
    code: 'invalid_idempotency_key',
    status: 400,
    title: 'Invalid Idempotency-Key',
    detail: 'The Idempotency-Key header must be 1 to 255 printable ASCII characters.',
  });
}

export function idempotencyKeyReused(): AppError {
  return new AppError({
    code: 'idempotency_key_reused',
    status: 409,
    title: 'Idempotency-Key reused',
    detail: 'This Idempotency-Key was already used with a different request body; use a new key for a new request.',
  });
}

export function idempotencyInProgress(retryAfterSeconds: number): AppError {
  return new AppError({
    code: 'idempotency_in_progress',
    status: 409,
    title: 'Request with this Idempotency-Key in progress',
    detail: `A request with this Idempotency-Key is still running; retry in ${retryAfterSeconds} s to get its result.`,
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}
