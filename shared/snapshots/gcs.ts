import type { Storage } from '@google-cloud/storage';
import { AppError } from '../errors/app-error.js';
import { checkSnapshotRef, snapshotObjectName } from './names.js';
import type { SnapshotUrlSigner } from './port.js';

export interface GcsSnapshotUrlOptions {
  bucket: string;
  objectPrefix: string;
  ttlSeconds: number;
  /** Default: a client on Application Default Credentials. On Cloud Run there is no private key, so the
   * library signs through the IAM signBlob API (the service account needs roles/iam.serviceAccountTokenCreator on itself). */
  storage?: Storage;
  now?: () => number;
}

/** V4 signed read URLs of `gs://<bucket>/<prefix with tenant><name>`, valid for ttlSeconds (3600 in config). */
export async function createGcsSnapshotUrls(opts: GcsSnapshotUrlOptions): Promise<SnapshotUrlSigner> {
  const storage = opts.storage ?? (await defaultStorage());
  const bucket = storage.bucket(opts.bucket);
  const now = opts.now ?? Date.now;
  return {
    kind: 'gcs',
    async signedUrl(ref) {
      checkSnapshotRef(ref);
      // Whole seconds, and the start given explicitly, so X-Goog-Expires is exactly ttlSeconds.
      const startSeconds = Math.floor(now() / 1000);
      const expiresAt = new Date((startSeconds + opts.ttlSeconds) * 1000);
      let url: string;
      try {
        [url] = await bucket.file(snapshotObjectName(opts.objectPrefix, ref)).getSignedUrl({
          version: 'v4',
          action: 'read',
          accessibleAt: new Date(startSeconds * 1000),
          expires: expiresAt,
        });
      } catch (err) {
        // Signing needs the service account's key or the IAM signBlob API: a fault of ours, not the caller's.
        throw new AppError({
          code: 'snapshot_url_unavailable',
          status: 503,
          title: 'Snapshot URL unavailable',
          detail: 'The snapshot URL could not be signed; retry shortly.',
          headers: { 'Retry-After': '5' },
          cause: err,
        });
      }
      return { url, expiresAt };
    },
  };
}

async function defaultStorage(): Promise<Storage> {
  // Loaded only when a bucket is configured: the client is slow to import.
  const { Storage } = await import('@google-cloud/storage');
  return new Storage();
}
