import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVendorFetch } from '../../shared/providers/vendor-fetch.js';

// The vendor SDKs' transport against a real HTTP server on loopback: what the SDKs rely on from fetch.
describe('vendor fetch (undici request behind the SDKs)', () => {
  let server: http.Server;
  let base: string;
  const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  let releaseStream: (() => void) | undefined;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (req.url === '/json') {
          res.writeHead(201, [['content-type', 'application/json'], ['x-request-id', 'r-1'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']]);
          res.end(JSON.stringify({ ok: true }));
        } else if (req.url === '/empty') {
          res.writeHead(204).end();
        } else if (req.url === '/events') {
          // The first event goes out at once; the rest only when the test says so.
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: one\n\n');
          releaseStream = () => res.end('data: two\n\n');
        } else if (req.url === '/stall') {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
          res.write('{"partial":');
        } else {
          res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const vendorFetch = createVendorFetch();

  it('sends method, headers (any HeadersInit form) and body, and returns status, headers and the JSON body', async () => {
    for (const headers of [new Headers({ 'x-api-key': 'k1' }), [['x-api-key', 'k1']] as [string, string][], { 'x-api-key': 'k1' }]) {
      const res = await vendorFetch(`${base}/json`, { method: 'post', headers, body: '{"q":1}' });
      expect(res.status).toBe(201);
      expect(res.ok).toBe(true);
      expect(res.headers.get('x-request-id')).toBe('r-1');
      expect(res.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
      expect(await res.json()).toEqual({ ok: true });
      const last = seen.at(-1)!;
      expect(last).toMatchObject({ method: 'POST', url: '/json', body: '{"q":1}' });
      expect(last.headers['x-api-key']).toBe('k1');
    }
  });

  it('hands an error status to the caller as a Response, as fetch does', async () => {
    const res = await vendorFetch(`${base}/fail`, { method: 'GET' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'boom' });
  });

  it('answers text, json and arrayBuffer from the body read whole, and lets it be read only once, as fetch does', async () => {
    const asText = await vendorFetch(`${base}/json`, { method: 'POST', body: '{}' });
    expect(asText.bodyUsed).toBe(false);
    expect(await asText.text()).toBe('{"ok":true}');
    expect(asText.bodyUsed).toBe(true);
    await expect(asText.json()).rejects.toThrow(TypeError);
    const asBytes = await vendorFetch(`${base}/json`, { method: 'POST', body: '{}' });
    expect(new TextDecoder().decode(await asBytes.arrayBuffer())).toBe('{"ok":true}');
    await expect(asBytes.text()).rejects.toThrow(/already been read/);
  });

  it('gives a 204 a null body', async () => {
    const res = await vendorFetch(`${base}/empty`);
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
  });

  it('streams an event stream: the first event is readable before the server has finished', async () => {
    const res = await vendorFetch(`${base}/events`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('data: one\n\n');
    releaseStream!();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe('data: two\n\n');
  });

  it('rejects with an AbortError when the signal fires while the body is still arriving', async () => {
    const controller = new AbortController();
    const pending = vendorFetch(`${base}/stall`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects (never resolves an empty answer) when nothing listens', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(vendorFetch(`http://127.0.0.1:${port}/json`)).rejects.toThrow();
  });

  it('leaves a body it cannot express (FormData) to the built-in fetch', async () => {
    const form = new FormData();
    form.set('purpose', 'batch');
    const res = await vendorFetch(`${base}/json`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    expect(seen.at(-1)!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen.at(-1)!.body).toContain('name="purpose"');
  });
});
