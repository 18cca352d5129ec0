/**
 * Why the key ring could not produce a checked signature:
 * - `integrity`: KMS's answer failed a check (CRC32C, key name, or the signature itself) — never returned;
 * - `key_disabled`: the primary key version is not enabled;
 * - `unavailable`: KMS did not answer (deadline, UNAVAILABLE…);
 * - `misconfigured`: the key does not exist, is not RSA-PSS SHA-256, or we may not use it.
 */
export type SigningFailure = 'integrity' | 'key_disabled' | 'unavailable' | 'misconfigured';

export class SigningError extends Error {
  readonly kind: SigningFailure;

  constructor(kind: SigningFailure, message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'SigningError';
    this.kind = kind;
  }
}

export const isSigningError = (err: unknown): err is SigningError => err instanceof SigningError;

/** Stable reasons a manifest is refused by a client (and by `npm run manifest:verify`). */
export type RejectionCode =
  | 'envelope_malformed'
  | 'payload_invalid'
  | 'unsupported_algorithm'
  | 'unknown_keyid'
  | 'key_disabled'
  | 'signature_invalid'
  | 'channel_mismatch'
  | 'manifest_expired'
  | 'version_rollback';

export class ManifestRejectedError extends Error {
  readonly code: RejectionCode;

  constructor(code: RejectionCode, message: string) {
    super(message);
    this.name = 'ManifestRejectedError';
    this.code = code;
  }
}

export const isManifestRejected = (err: unknown): err is ManifestRejectedError => err instanceof ManifestRejectedError;
