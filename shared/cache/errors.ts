import { AppError } from '../errors/app-error.js';

export const KV_UNAVAILABLE = 'kv_unavailable';

/** The store could not be reached (down, timed out, or closed): the request cannot be served right now. */
export function kvUnavailable(detail: string, cause?: unknown): AppError {
  return new AppError({
    code: KV_UNAVAILABLE,
    status: 503,
    title: 'Key/value store unavailable',
    detail,
    cause,
  });
}

/** `increment` on a key whose value is not an integer: a caller bug (the key holds something else). */
export function notAnInteger(key: string, cause?: unknown): RangeError {
  return new RangeError(`value at "${key}" is not an integer or out of range`, { cause });
}
