import { randomBytes, randomUUID } from 'node:crypto';
import { access, link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { signPath } from './hmac-url.js';
import { checkSnapshotRef, type SnapshotRef } from './names.js';
import type { SnapshotUrlSigner } from './port.js';

/** Where the orchestrator serves embedded snapshot files (outside /v1: the signed URL is the credential). */
export const LOCAL_DOWNLOAD_PREFIX = '/snapshot-files';

export function localDownloadPath(ref: SnapshotRef): string {
  return `${LOCAL_DOWNLOAD_PREFIX}/${encodeURIComponent(ref.tenantId)}/${encodeURIComponent(ref.name)}`;
}

/** `<dataDir>/snapshots/<tenant>/<name>`; the ref must have passed checkSnapshotRef. */
export function localSnapshotFile(dataDir: string, ref: SnapshotRef): string {
  const root = path.resolve(dataDir, 'snapshots');
  const file = path.resolve(root, ref.tenantId, ref.name);
  // checkSnapshotRef already rules out `..`; this keeps the promise even if that check changes.
  if (!file.startsWith(root + path.sep)) throw new Error('snapshot path escapes the snapshots folder');
  return file;
}

export async function localSnapshotExists(dataDir: string, ref: SnapshotRef): Promise<boolean> {
  return access(localSnapshotFile(dataDir, ref)).then(
    () => true,
    () => false,
  );
}

/** The HMAC key of local snapshot URLs, in `<dataDir>/snapshot-url-key` (created once, shared by processes). */
export async function loadLocalUrlKey(dataDir: string): Promise<Buffer> {
  await mkdir(dataDir, { recursive: true });
  const file = path.resolve(dataDir, 'snapshot-url-key');
  const existing = await readFile(file).catch(() => undefined);
  if (existing?.length === 32) return existing;
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temp, randomBytes(32), { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    await unlink(temp);
  }
  return readFile(file);
}

export function createLocalSnapshotUrls(opts: { key: Buffer; ttlSeconds: number; now?: () => number }): SnapshotUrlSigner {
  const now = opts.now ?? Date.now;
  return {
    kind: 'local',
    async signedUrl(ref, ctx) {
      checkSnapshotRef(ref);
      const expiresUnix = Math.floor(now() / 1000) + opts.ttlSeconds;
      const pathname = localDownloadPath(ref);
      const query = new URLSearchParams({ expires: String(expiresUnix), signature: signPath(opts.key, pathname, expiresUnix) });
      return { url: `${ctx.baseUrl}${pathname}?${query.toString()}`, expiresAt: new Date(expiresUnix * 1000) };
    },
  };
}
