import type { ManifestPayload } from './manifest.js';

/** One signature over the canonical payload; `sig` is standard base64. */
export interface ManifestSignature {
  keyid: string;
  alg: string;
  sig: string;
}

/** What the signer answers and a desktop client stores: the payload and its signatures (handbook api.md). */
export interface SignedManifest {
  payload: ManifestPayload;
  signatures: ManifestSignature[];
}

/** One entry of GET /v1/public-keys, and of a client's trusted keys file. */
export interface PublicKeyEntry {
  keyid: string;
  alg: string;
  pem: string;
  /** `ENABLED`; a trusted keys file may mark a withdrawn key `DISABLED` so its signatures are refused. */
  state: string;
  /** The KMS CryptoKeyVersion name (or `local:<n>`), for operators. */
  key_version?: string;
  primary?: boolean;
}
