import { execFile } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintDevToken } from '../../shared/auth/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { fetchRequestCounts, judge, summarize } from '../../scripts/ci/error-rate.js';
import { runSmokeTest } from '../../scripts/smoke-test.js';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { startService, type RunningService } from '../support/service.js';

// The two release gates of cloudbuild.yaml: the smoke test (against the built orchestrator as a process)
// and the error-rate check (against a local stand-in for Cloud Monitoring's timeSeries.list).
const run = promisify(execFile);

async function listen(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('smoke test (scripts/smoke-test.ts)', { timeout: 90_000 }, () => {
  let db: TestDatabase;
  let svc: RunningService;
  let token: string;

  beforeAll(async () => {
    db = await testDatabase();
    svc = await startService({ env: { DATABASE_URL: db.url, REDIS_URL: inject('redisUrl') ?? '' } });
    const config = loadConfig({ env: { APP_ENV: 'test' } });
    token = await mintDevToken({ dataDir: svc.dataDir, tenant: 'smoke', scope: 'ai.invoke', issuer: config.auth.issuer, audience: config.auth.audience });
  });
  afterAll(async () => {
    await svc?.stop();
    await db?.close();
  });

  it('passes every check against a healthy orchestrator', async () => {
    const checks = await runSmokeTest({ url: svc.url, token, readyTimeoutMs: 10_000, requestTimeoutMs: 5_000 });
    expect(checks.map((c) => [c.name, c.ok])).toEqual([['readyz', true], ['healthz', true], ['auth required', true], ['authenticated call', true]]);
    expect(checks[2]!.detail).toBe('401 token_missing');
  });

  it('fails the authenticated call with a token the service does not accept', async () => {
    const checks = await runSmokeTest({ url: svc.url, token: 'not-a-jwt', readyTimeoutMs: 10_000, requestTimeoutMs: 5_000 });
    expect(checks.find((c) => c.name === 'authenticated call')).toMatchObject({ ok: false, detail: expect.stringContaining('expected 200, got 401') });
  });

  it('as a command: exit 0 and one line per check; exit 1 when a check fails; exit 2 without a token', async () => {
    const cli = (env: Record<string, string>) => run(process.execPath, ['--import', 'tsx', 'scripts/smoke-test.ts', '--url', svc.url, '--ready-timeout', '10'], { env: { ...process.env, ...env } });
    const ok = await cli({ SMOKE_TEST_TOKEN: token });
    expect(ok.stdout).toContain('ok   authenticated call: 200');
    expect(ok.stdout).toContain(`smoke test passed (${svc.url})`);
    await expect(cli({ SMOKE_TEST_TOKEN: 'wrong' })).rejects.toMatchObject({ code: 1, stdout: expect.stringContaining('smoke test FAILED: 1 check(s)') });
    await expect(cli({ SMOKE_TEST_TOKEN: '' })).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('SMOKE_TEST_TOKEN is required') });
  });

  it('gives up on a revision that never becomes ready, and skips the other checks', async () => {
    const notReady = await listen((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ status: 503, code: 'not_ready' }));
    });
    try {
      const checks = await runSmokeTest({ url: notReady.url, token, readyTimeoutMs: 300, requestTimeoutMs: 1_000, pollIntervalMs: 50 });
      expect(checks).toHaveLength(1);
      expect(checks[0]).toMatchObject({ name: 'readyz', ok: false, detail: expect.stringContaining('not ready after 300 ms (last: 503') });
    } finally {
      await notReady.close();
    }
  });
});

describe('error-rate gate (scripts/ci/error-rate.ts)', { timeout: 60_000 }, () => {
  const series = (cls: string, ...counts: number[]) => ({ metric: { labels: { response_code_class: cls } }, points: counts.map((n) => ({ value: { int64Value: String(n) } })) });
  let monitoring: { url: string; close: () => Promise<void> };
  const seen: Array<{ url: URL; auth: string | undefined }> = [];
  let mode: 'healthy' | 'failing' | 'forbidden' = 'healthy';

  beforeAll(async () => {
    monitoring = await listen((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({ url, auth: req.headers.authorization });
      if (mode === 'forbidden') return void res.writeHead(403, { 'content-type': 'application/json' }).end('{"error":{"code":403,"message":"Permission monitoring.timeSeries.list denied"}}');
      const pages: Record<string, unknown> = mode === 'healthy'
        ? { '': { timeSeries: [series('2xx', 500, 480)], nextPageToken: 'p2' }, p2: { timeSeries: [series('5xx', 12, 8), series('4xx', 30)] } }
        : { '': { timeSeries: [series('2xx', 100), series('5xx', 25)] } };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(pages[url.searchParams.get('pageToken') ?? '']));
    });
  });
  afterAll(() => monitoring?.close());

  it('sums the revision request counts over every page, grouped by response class', async () => {
    mode = 'healthy';
    seen.length = 0;
    const counts = await fetchRequestCounts({ project: 'p', region: 'europe-west1', service: 'orchestrator', revision: 'orchestrator-00002-new', windowSeconds: 300, baseUrl: monitoring.url, accessToken: 'tok', now: new Date('2026-12-01T12:00:00Z') });
    expect(counts).toEqual({ total: 1030, errors: 20 });
    expect(seen).toHaveLength(2);
    const q = seen[0]!.url;
    expect(q.pathname).toBe('/v3/projects/p/timeSeries');
    expect(seen[0]!.auth).toBe('Bearer tok');
    expect(q.searchParams.get('filter')).toContain('metric.type = "run.googleapis.com/request_count"');
    expect(q.searchParams.get('filter')).toContain('resource.labels.revision_name = "orchestrator-00002-new"');
    expect(q.searchParams.get('interval.startTime')).toBe('2026-12-01T11:55:00.000Z');
    expect(q.searchParams.get('aggregation.groupByFields')).toBe('metric.labels.response_code_class');
    expect(seen[1]!.url.searchParams.get('pageToken')).toBe('p2');
  });

  it('passes at or under the maximum 5xx share, fails above it, and does not judge too little traffic', () => {
    expect(judge({ total: 1000, errors: 20 }, 0.02, 20)).toMatchObject({ ok: true, ratio: 0.02 });
    expect(judge({ total: 1000, errors: 21 }, 0.02, 20)).toMatchObject({ ok: false });
    expect(judge({ total: 10, errors: 10 }, 0.02, 20)).toMatchObject({ ok: true, reason: expect.stringContaining('not enough to judge') });
    expect(summarize([{ points: [] }, {}])).toEqual({ total: 0, errors: 0 });
  });

  it('as a command: exit 0 when healthy, 1 when the error rate is too high, 2 when Monitoring refuses', async () => {
    const cli = () => run(process.execPath, ['--import', 'tsx', 'scripts/ci/error-rate.ts', '--project', 'p', '--revision', 'r1', '--bake-seconds', '0', '--max-ratio', '0.05'], {
      env: { ...process.env, MONITORING_BASE_URL: monitoring.url, MONITORING_ACCESS_TOKEN: 'tok' },
    });
    mode = 'healthy';
    expect((await cli()).stdout).toContain('ok error rate of r1: 20/1030 5xx = 1.94 % (max 5.00 %)');
    mode = 'failing';
    await expect(cli()).rejects.toMatchObject({ code: 1, stdout: expect.stringContaining('FAIL error rate of r1: 25/125 5xx = 20.00 %') });
    mode = 'forbidden';
    await expect(cli()).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('Cloud Monitoring answered 403') });
  });
});
