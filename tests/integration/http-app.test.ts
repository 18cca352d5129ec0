import type { Server } from 'node:http';
import { connect } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpApp, listenHttp } from '../../shared/http/index.js';
import { createLogger, createMetrics, type Metrics } from '../../shared/telemetry/index.js';

// The HTTP layer every service is built on (shared/http): JSON bodies, framework errors as problem+json,
// unknown paths, and the route label of the HTTP metrics.
const LIMIT = 1024;
let server: Server;
let url: string;
let metrics: Metrics;

beforeAll(async () => {
  metrics = createMetrics({ defaultMetrics: false });
  const app = createHttpApp({ logger: createLogger({ level: 'silent' }), metrics, bodyLimitBytes: LIMIT });
  app.post<{ Params: { id: string } }>('/echo/:id', async (request) => ({ id: request.params.id, body: request.body ?? null }));
  app.post('/v1/manifests::sign', async () => ({ ok: true }));
  app.post('/roomy', { bodyLimit: LIMIT * 4 }, async (request) => ({ size: JSON.stringify(request.body).length }));
  const listening = await listenHttp(app, 0, '127.0.0.1');
  server = listening.server;
  url = `http://127.0.0.1:${listening.port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (path: string, body: string | Uint8Array | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }) => fetch(`${url}${path}`, { method: 'POST', headers, ...(body === undefined ? {} : { body }) });

async function expectProblem(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(await res.json()).toMatchObject({ status, code, type: expect.stringMatching(new RegExp(`/${code}$`)) });
}

describe('JSON bodies', () => {
  it('parses application/json and application/*+json, with a UTF-8 charset or none', async () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/merge-patch+json', 'Application/JSON;charset="UTF-8"']) {
      const res = await post('/echo/a', '{"x":"ü"}', { 'content-type': type });
      expect(res.status, type).toBe(200);
      expect(await res.json()).toEqual({ id: 'a', body: { x: 'ü' } });
    }
  });

  it('inflates gzip and br bodies', async () => {
    for (const [encoding, bytes] of [['gzip', gzipSync('{"z":1}')], ['br', brotliCompressSync('{"z":2}')]] as const) {
      const res = await post('/echo/z', bytes, { 'content-type': 'application/json', 'content-encoding': encoding });
      expect(res.status, encoding).toBe(200);
      expect(((await res.json()) as { body: unknown }).body).toEqual({ z: encoding === 'gzip' ? 1 : 2 });
    }
  });

  it('reads an empty body as no body, and a whitespace-only or scalar one as malformed (400 malformed_json)', async () => {
    expect(await (await post('/echo/e', '')).json()).toEqual({ id: 'e', body: null });
    await expectProblem(await post('/echo/e', '   '), 400, 'malformed_json');
    await expectProblem(await post('/echo/e', '"just a string"'), 400, 'malformed_json');
    await expectProblem(await post('/echo/e', '{"a":'), 400, 'malformed_json');
  });

  it('refuses other media types, a missing one, other charsets and unknown encodings (415 unsupported_media_type)', async () => {
    await expectProblem(await post('/echo/m', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    await expectProblem(await post('/echo/m', new Uint8Array([123, 125]), {}), 415, 'unsupported_media_type');
    await expectProblem(await post('/echo/m', '{}', { 'content-type': 'application/json; charset=latin1' }), 415, 'unsupported_media_type');
    await expectProblem(await post('/echo/m', '{}', { 'content-type': 'application/json', 'content-encoding': 'compress' }), 415, 'unsupported_media_type');
  });

  it('refuses a body over the limit, sent as is or inflating past it (413 payload_too_large), and a corrupt gzip body (400)', async () => {
    const big = JSON.stringify({ pad: 'x'.repeat(LIMIT) });
    await expectProblem(await post('/echo/b', big), 413, 'payload_too_large');
    // Compresses to a few dozen bytes, inflates past the limit.
    await expectProblem(await post('/echo/b', gzipSync(big), { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 413, 'payload_too_large');
    await expectProblem(await post('/echo/b', new Uint8Array([31, 139, 8, 0, 1, 2]), { 'content-type': 'application/json', 'content-encoding': 'gzip' }), 400, 'malformed_json');
  });
});

describe('a route with its own body limit', () => {
  it('takes bodies up to its limit, sent as is or inflating to it, and refuses larger ones', async () => {
    const body = (n: number) => JSON.stringify({ pad: 'x'.repeat(n) });
    expect((await post('/roomy', body(LIMIT * 2))).status).toBe(200);
    expect((await post('/roomy', gzipSync(body(LIMIT * 2)), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(200);
    const over = await post('/roomy', gzipSync(body(LIMIT * 5)), { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(over.status).toBe(413);
    expect(await over.json()).toMatchObject({ code: 'payload_too_large', detail: `The request body exceeds the limit of ${LIMIT * 4} bytes.` });
  });
});

describe('a caller that hangs up mid-body', () => {
  it('is not logged as an unhandled error (it is the caller\'s 400, which nobody reads)', async () => {
    const lines: string[] = [];
    const app = createHttpApp({ logger: createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } }), metrics: createMetrics({ defaultMetrics: false }), bodyLimitBytes: LIMIT });
    let failed: unknown;
    app.addHook('onError', async (_request, _reply, err) => {
      failed = err;
    });
    app.post('/echo/:id', async (request) => ({ body: request.body }));
    const { server: own, port } = await listenHttp(app, 0, '127.0.0.1');
    try {
      const socket = connect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('POST /echo/gone HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"a":');
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
      for (let i = 0; i < 40 && failed === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(failed).toMatchObject({ code: 'ECONNRESET' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(lines.filter((l) => l.includes('unhandled error'))).toEqual([]);
    } finally {
      own.close();
    }
  });
});

describe('routing', () => {
  it('answers an unknown path with 404 not_found as problem+json', async () => {
    await expectProblem(await post('/nowhere', '{}'), 404, 'not_found');
  });

  it('refuses a path parameter that is not valid percent-encoding (400 malformed_request)', async () => {
    await expectProblem(await post('/echo/%E0%A4%A', '{}'), 400, 'malformed_request');
  });

  it('matches a route with a trailing slash, and a literal colon in a path', async () => {
    expect((await post('/echo/t/', '{}')).status).toBe(200);
    expect((await post('/v1/manifests:sign', '{}')).status).toBe(200);
  });

  it('labels the HTTP metrics with the route template, and unknown paths as unmatched', async () => {
    await post('/echo/label-me', '{}');
    await post('/v1/manifests:sign', '{}');
    await post('/not/a/route', '{}');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/route="\/echo\/:id",status="200"/);
    expect(text).toMatch(/route="\/v1\/manifests:sign",status="200"/);
    expect(text).toMatch(/route="unmatched",status="404"/);
    expect(text).not.toContain('label-me');
  });
});
