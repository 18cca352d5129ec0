import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drive } from '../../bench/load.js';
import { parseServerMetrics } from '../../bench/server-metrics.js';

// The bench's load generator against a local server that answers every request at once.
describe('bench load generator', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end('{}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const load = { concurrency: 2, seconds: 0.3, warmupSeconds: 0.1, request: () => ({ path: '/', headers: {}, body: '{}' }) };

  it("adds the service's latency breakdown from the metrics read at the window's start and end", async () => {
    const scrapes = ['inference_cache_hits_total{capability="a"} 1', 'inference_cache_hits_total{capability="a"} 4'];
    const r = await drive({ url, ...load, serverMetrics: async () => parseServerMetrics(scrapes.shift() ?? '') });
    expect(r.requests).toBeGreaterThan(0);
    expect(r.errors).toBe(0);
    expect(r.latency_breakdown?.cache_hits).toBe(3);
  });

  it('a failed metrics read leaves the breakdown out, and the load figures stand', async () => {
    const r = await drive({ url, ...load, serverMetrics: () => Promise.reject(new Error('metrics down')) });
    expect(r.requests).toBeGreaterThan(0);
    expect(r.latency_breakdown).toBeUndefined();
  });
});
