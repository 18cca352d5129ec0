import type { PublicKeyEntry } from './envelope.js';

export interface KeyRingSignature {
  keyid: string;
  /** The KMS CryptoKeyVersion name, or `local:<n>`. */
  keyVersion: string;
  signature: Buffer;
}

/**
 * Where manifest signatures come from: Cloud KMS in production, a local key ring embedded. `sign` answers
 * only with a signature it has checked (integrity fields, and the signature against the public key).
 */
export interface ManifestKeyRing {
  readonly kind: 'kms' | 'local';
  /** The key version that signs, known from start-up (no KMS call). */
  readonly primary: { keyid: string; keyVersion: string };
  /** Signs `data` (the canonical payload bytes) with the primary key version. */
  sign(data: Buffer): Promise<KeyRingSignature>;
  /** Every enabled key version, the primary marked. */
  publicKeys(): Promise<PublicKeyEntry[]>;
  close(): Promise<void>;
}
