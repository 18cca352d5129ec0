import { AppError } from '../../shared/errors/app-error.js';
import type { SigningError } from '../../shared/signing/index.js';

/**
 * The one mapping of key-ring failures to problem+json: none is the caller's fault, none returns a
 * signature. `during` says whether a signing request (which then consumed no version) or a key listing failed.
 */
export function signingProblem(err: SigningError, during: 'sign' | 'list-keys' = 'sign'): AppError {
  const retry = during === 'sign' ? ' No signature was returned and no version was consumed; retry the request.' : ' Retry the request.';
  switch (err.kind) {
    case 'integrity':
      return new AppError({
        code: 'kms_integrity_check_failed',
        status: 502,
        title: 'KMS integrity check failed',
        detail: `${err.message}.${retry}`,
        cause: err,
      });
    case 'key_disabled':
      return new AppError({ code: 'signing_key_disabled', status: 503, title: 'Signing key disabled', detail: err.message, cause: err });
    case 'misconfigured':
      return new AppError({ code: 'signing_key_unavailable', status: 503, title: 'Signing key unavailable', detail: err.message, cause: err });
    case 'unavailable':
      return new AppError({
        code: 'kms_unavailable',
        status: 503,
        title: 'KMS unavailable',
        detail: `${err.message}.${retry}`,
        headers: { 'Retry-After': '5' },
        cause: err,
      });
  }
}

export function versionNotIncreasing(channel: string, version: number, lastVersion: number): AppError {
  return new AppError({
    code: 'version_not_increasing',
    status: 409,
    title: 'Version not increasing',
    detail: `channel "${channel}" is at version ${lastVersion}: a manifest must have a version above it (got ${version}).`,
    extra: { channel, last_version: lastVersion },
  });
}

export function expiryOutOfRange(detail: string): AppError {
  return new AppError({ code: 'expiry_out_of_range', status: 422, title: 'Expiry out of range', detail });
}
