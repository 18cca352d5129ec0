import type { Config } from '../config/index.js';
import { createGcsSnapshotUrls } from './gcs.js';
import { createLocalSnapshotUrls, loadLocalUrlKey } from './local.js';
import type { SnapshotUrlSigner } from './port.js';

/** What the orchestrator's snapshot routes need: the URL signer, and for local URLs the key and folder. */
export interface SnapshotServing {
  urls: SnapshotUrlSigner;
  /** Set when files are served by this process (embedded); the download route checks URLs with this key. */
  local?: { key: Buffer; dataDir: string };
}

/**
 * SNAPSHOTS_BUCKET set: Cloud Storage V4 signed URLs. Unset: files under DATA_DIR/snapshots behind HMAC
 * URLs, in dev and test only (undefined in staging/prod, where the route then answers 503).
 */
export async function createSnapshotUrls(config: Config): Promise<SnapshotServing | undefined> {
  const { bucket, objectPrefix, urlTtlSeconds } = config.snapshots;
  if (bucket) return { urls: await createGcsSnapshotUrls({ bucket, objectPrefix, ttlSeconds: urlTtlSeconds }) };
  if (config.appEnv === 'staging' || config.appEnv === 'prod') return undefined;
  const key = await loadLocalUrlKey(config.dataDir);
  return { urls: createLocalSnapshotUrls({ key, ttlSeconds: urlTtlSeconds }), local: { key, dataDir: config.dataDir } };
}
