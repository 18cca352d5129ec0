import type { SnapshotRef } from './names.js';

export interface SnapshotUrl {
  url: string;
  expiresAt: Date;
}

/** Hands out short-lived read URLs of a tenant's snapshots: Cloud Storage V4 signed URLs, or local HMAC URLs. */
export interface SnapshotUrlSigner {
  readonly kind: 'gcs' | 'local';
  /** `baseUrl` is where this service is reached (local URLs point back at it). */
  signedUrl(ref: SnapshotRef, ctx: { baseUrl: string }): Promise<SnapshotUrl>;
}
