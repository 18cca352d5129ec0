import type { Storage, StorageOptions } from '@google-cloud/storage';
import type { DocumentSource, SourceObject } from '../../../shared/rag/ingest.js';

/** Splits `gs://bucket/some/prefix` into bucket and object name (or prefix). */
export function parseGsUri(uri: string): { bucket: string; name: string } {
  const match = /^gs:\/\/([a-z0-9][a-z0-9._-]{1,220}[a-z0-9])(?:\/(.*))?$/.exec(uri);
  if (!match) throw new Error(`not a gs://bucket/path URI: ${uri}`);
  return { bucket: match[1]!, name: match[2] ?? '' };
}

/**
 * Cloud Storage through @google-cloud/storage (credentials from ADC; `apiEndpoint` or STORAGE_EMULATOR_HOST
 * for a fake). `gs://bucket/name` naming an existing object is that one object (a Cloud Storage notification
 * for one object); naming one that no longer exists, the same scope with nothing listed (its document is
 * deleted); otherwise it is a prefix (a trailing `/` is implied) and every object under it is the source.
 */
export async function gcsSource(uri: string, options: StorageOptions = {}): Promise<DocumentSource> {
  const { Storage } = await import('@google-cloud/storage');
  const storage: Storage = new Storage(options);
  const { bucket: bucketName, name } = parseGsUri(uri);
  const bucket = storage.bucket(bucketName);
  const read = async (o: SourceObject) => {
    const [bytes] = await bucket.file(parseGsUri(o.uri).name).download();
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
  if (name && !name.endsWith('/')) {
    const [exists] = await bucket.file(name).exists();
    const [under] = exists ? [[]] : await bucket.getFiles({ prefix: `${name}/`, maxResults: 1, autoPaginate: false });
    if (exists || under.length === 0) {
      const single = `gs://${bucketName}/${name}`;
      return { scope: { prefix: single, exact: true }, list: async () => (exists ? [{ uri: single, name }] : []), read };
    }
  }
  const prefix = name && !name.endsWith('/') ? `${name}/` : name;
  return {
    scope: { prefix: `gs://${bucketName}/${prefix}`, exact: false },
    async list() {
      const [files] = await bucket.getFiles({ prefix, autoPaginate: true });
      return files
        .filter((f) => !f.name.endsWith('/'))
        .map((f) => ({ uri: `gs://${bucketName}/${f.name}`, name: f.name }))
        .sort((a, b) => (a.uri < b.uri ? -1 : 1));
    },
    read,
  };
}
