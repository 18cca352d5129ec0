import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32c } from '../../../shared/util/crc32c.js';

/**
 * A Cloud Storage JSON API wire fake for @google-cloud/storage (reached with `apiEndpoint`): lists objects
 * by prefix (paged), reads object metadata, downloads media (`alt=media`, with the `x-goog-hash` header the
 * client validates). Enough for the rag-ingestor's source; `failNext` answers the next request with a status.
 */
export interface GcsFake {
  url: string;
  objects: Map<string, Buffer>;
  requests: string[];
  failNext(status: number): void;
  stop(): Promise<void>;
}

export async function startGcsFake(bucket: string, pageSize = 2): Promise<GcsFake> {
  const objects = new Map<string, Buffer>();
  const requests: string[] = [];
  const failures: number[] = [];
  const meta = (name: string, body: Buffer) => ({ kind: 'storage#object', bucket, name, id: `${bucket}/${name}/1`, generation: '1', size: String(body.length), contentType: 'application/octet-stream' });
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const failure = failures.shift();
    if (failure) return json(res, failure, { error: { code: failure, message: `injected ${failure}` } });
    const list = /^\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    const one = /^\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(url.pathname);
    if (list && list[1] === bucket) {
      const prefix = url.searchParams.get('prefix') ?? '';
      const names = [...objects.keys()].filter((n) => n.startsWith(prefix)).sort();
      const start = Number(url.searchParams.get('pageToken') ?? 0);
      const size = Math.min(pageSize, Number(url.searchParams.get('maxResults') ?? pageSize));
      const page = names.slice(start, start + size);
      return json(res, 200, { kind: 'storage#objects', items: page.map((n) => meta(n, objects.get(n)!)), ...(start + size < names.length ? { nextPageToken: String(start + size) } : {}) });
    }
    if (one && one[1] === bucket) {
      const name = decodeURIComponent(one[2]!);
      const body = objects.get(name);
      if (!body) return json(res, 404, { error: { code: 404, message: `No such object: ${bucket}/${name}` } });
      if (url.searchParams.get('alt') !== 'media') return json(res, 200, meta(name, body));
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(crc32c(body));
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': String(body.length),
        'x-goog-hash': `crc32c=${crc.toString('base64')},md5=${createHash('md5').update(body).digest('base64')}`,
      });
      return res.end(body);
    }
    json(res, 404, { error: { code: 404, message: 'not found' } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    objects,
    requests,
    failNext: (status) => failures.push(status),
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
