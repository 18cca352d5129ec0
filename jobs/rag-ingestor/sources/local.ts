import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DocumentSource, SourceObject } from '../../../shared/rag/ingest.js';

/** A local directory (every file below it, dot-files excepted) or a single file; URIs are `file://` URLs. */
export async function localSource(location: string): Promise<DocumentSource> {
  const absolute = path.resolve(location);
  const info = await stat(absolute).catch(() => undefined);
  if (!info) throw new Error(`no such file or directory: ${location}`);
  if (info.isFile()) {
    const uri = pathToFileURL(absolute).href;
    return { scope: { prefix: uri, exact: true }, list: async () => [{ uri, name: absolute }], read: (o) => readFile(fileURLToPath(o.uri)) };
  }
  const prefix = pathToFileURL(absolute + path.sep).href;
  return {
    scope: { prefix, exact: false },
    async list(): Promise<SourceObject[]> {
      const entries = await readdir(absolute, { recursive: true, withFileTypes: true });
      return entries
        .filter((e) => e.isFile() && !path.relative(absolute, path.join(e.parentPath, e.name)).split(path.sep).some((part) => part.startsWith('.')))
        .map((e) => path.join(e.parentPath, e.name))
        .sort()
        .map((file) => ({ uri: pathToFileURL(file).href, name: file }));
    },
    read: (o) => readFile(fileURLToPath(o.uri)),
  };
}
