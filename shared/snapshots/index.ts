export { SNAPSHOT_NAME_PATTERN, checkSnapshotRef, snapshotObjectName, type SnapshotRef } from './names.js';
export type { SnapshotUrl, SnapshotUrlSigner } from './port.js';
export { signPath, checkSignedPath, type SignedPathCheck } from './hmac-url.js';
export { LOCAL_DOWNLOAD_PREFIX, localDownloadPath, localSnapshotFile, localSnapshotExists, loadLocalUrlKey, createLocalSnapshotUrls } from './local.js';
export { createGcsSnapshotUrls, type GcsSnapshotUrlOptions } from './gcs.js';
export { createSnapshotUrls, type SnapshotServing } from './create.js';
