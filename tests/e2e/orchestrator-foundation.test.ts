import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { importJWK, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { mintDevToken } from '../../shared/auth/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { startService, type RunningService } from '../support/service.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

/** The orchestrator as a process, driven over HTTP: probes, problem+json for bad input, auth, shutdown. */
describe('orchestrator service (foundation)', () => {
  let db: TestDatabase;
  let svc: RunningService;
  const config = loadConfig({ env: { APP_ENV: 'test' } });
  const token = (tenant: string, scope: string) =>
    mintDevToken({ dataDir: svc.dataDir, tenant, scope, issuer: config.auth.issuer, audience: config.auth.audience });

  beforeAll(async () => {
    db = await testDatabase();
    svc = await startService({ env: { DATABASE_URL: db.url, REDIS_URL: inject('redisUrl') ?? '' } });
  });
  afterAll(async () => {
    await svc?.stop();
    await db?.close();
  });

  it('/healthz and /readyz answer 200 with every readiness check passing', async () => {
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${svc.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: { ok: true }, migrations: { ok: true }, jwks: { ok: true } } });
  });

  it('/metrics serves Prometheus text with HTTP and outbox series', async () => {
    await fetch(`${svc.url}/healthz`);
    const res = await fetch(`${svc.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(text).toMatch(/outbox_unpublished_events \d+/);
    expect(text).toMatch(/outbox_oldest_unpublished_age_seconds \d+/);
  });

  it('an unknown route is a 404 problem+json', async () => {
    const res = await fetch(`${svc.url}/no/such/route`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await res.json()).toMatchObject({ status: 404, code: 'not_found', title: 'Not found', type: expect.stringMatching(/not_found$/) });
  });

  describe('authentication', () => {
    it.each([
      { name: 'no Authorization header', authorization: undefined, code: 'token_missing' },
      { name: 'a Basic credential', authorization: 'Basic dXNlcjpwYXNz', code: 'token_missing' },
      { name: 'garbage', authorization: 'Bearer not-a-jwt', code: 'token_malformed' },
      { name: 'alg none', authorization: `Bearer ${unsignedToken()}`, code: 'token_algorithm_not_allowed' },
    ])('$name → 401 $code', async ({ authorization, code }) => {
      const res = await fetch(`${svc.url}/admin/flags`, { headers: authorization ? { authorization } : {} });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.json()).toMatchObject({ code });
    });

    it('an expired token → 401 token_expired', async () => {
      // Signed by the service's own dev key, expired 2 minutes ago: beyond the 30 s clock tolerance.
      const jwk = JSON.parse(readFileSync(path.join(svc.dataDir, 'auth', 'dev-signing-key.json'), 'utf8')) as JWK;
      const now = Math.floor(Date.now() / 1000);
      const expired = await new SignJWT({ tenant_id: 't-e2e', scope: 'ai.admin' })
        .setProtectedHeader({ alg: 'ES256', kid: jwk.kid })
        .setSubject('u')
        .setIssuer(config.auth.issuer)
        .setAudience(config.auth.audience)
        .setIssuedAt(now - 3600)
        .setExpirationTime(now - 120)
        .sign(await importJWK(jwk, 'ES256'));
      const res = await fetch(`${svc.url}/admin/flags`, { headers: { authorization: `Bearer ${expired}` } });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'token_expired' });
    });

    it('a valid token without the scope → 403 insufficient_scope', async () => {
      const res = await fetch(`${svc.url}/admin/flags`, { headers: { authorization: `Bearer ${await token('t-e2e', 'ai.invoke')}` } });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ code: 'insufficient_scope' });
    });
  });

  describe('bad input on a JSON route (PUT /admin/flags)', () => {
    const put = async (body: string | Buffer, contentType = 'application/json', tenant = 't-flags', scope = 'ai.admin') =>
      fetch(`${svc.url}/admin/flags`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${await token(tenant, scope)}`, 'content-type': contentType },
        body,
      });

    it('malformed JSON → 400 malformed_json', async () => {
      const res = await put('{"flags": [');
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ code: 'malformed_json' });
    });

    it('wrong content type → 415 unsupported_media_type', async () => {
      const res = await put('flags=1', 'application/x-www-form-urlencoded');
      expect(res.status).toBe(415);
      expect(await res.json()).toMatchObject({ code: 'unsupported_media_type' });
    });

    it('a body over the limit → 413 payload_too_large', async () => {
      const res = await put(JSON.stringify({ flags: [{ key: 'x', enabled: true, value: 'a'.repeat(config.http.bodyLimitBytes) }] }));
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ code: 'payload_too_large' });
    });

    it('schema-invalid JSON → 400 invalid_input naming the field', async () => {
      const res = await put(JSON.stringify({ flags: [{ key: 'Bad Key', enabled: 'yes' }] }));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; errors: Array<{ path: string }> };
      expect(body.code).toBe('invalid_input');
      expect(body.errors.map((e) => e.path)).toEqual(expect.arrayContaining(['/flags/0/key', '/flags/0/enabled']));
    });

    it('a valid change is stored and only the caller tenant sees it; another tenant is refused', async () => {
      const ok = await put(JSON.stringify({ flags: [{ key: 'provider:openai', enabled: false }] }), 'application/json', 't-flags-a');
      expect(ok.status).toBe(200);
      const other = await fetch(`${svc.url}/admin/flags`, { headers: { authorization: `Bearer ${await token('t-flags-b', 'ai.admin')}` } });
      expect(((await other.json()) as { flags: unknown[] }).flags).toEqual([]);
      const { rows } = await db.pool.query(`SELECT tenant_id, enabled FROM feature_flags WHERE flag_key = 'provider:openai'`);
      expect(rows).toEqual([{ tenant_id: 't-flags-a', enabled: false }]);
      const forbidden = await put(JSON.stringify({ flags: [{ key: 'provider:openai', tenant_id: '*', enabled: false }] }), 'application/json', 't-flags-a');
      expect(forbidden.status).toBe(403);
      expect(await forbidden.json()).toMatchObject({ code: 'tenant_forbidden' });
    });
  });
});

describe('orchestrator graceful shutdown', () => {
  it('on SIGTERM it turns not-ready, finishes the in-flight request, then exits 0 within the grace period', async () => {
    const db = await testDatabase();
    const svc = await startService({ env: { DATABASE_URL: db.url } });
    try {
      const config = loadConfig({ env: { APP_ENV: 'test' } });
      const jwt = await mintDevToken({ dataDir: svc.dataDir, tenant: 't-shutdown', scope: 'ai.admin', issuer: config.auth.issuer, audience: config.auth.audience });
      const body = JSON.stringify({ flags: [{ key: 'capability:support.policy_answer', enabled: true }] });
      // Send the headers and half the body, then SIGTERM, then the rest: the request is in flight across the signal.
      const { port } = new URL(svc.url);
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/admin/flags', headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
      const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
        req.on('response', (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
      });
      req.write(body.slice(0, 10));
      await new Promise((r) => setTimeout(r, 100)); // let the server start reading the request before the signal
      const started = Date.now();
      svc.process.kill('SIGTERM');
      await waitForLog(svc, 'shutting down: finishing in-flight requests');
      req.end(body.slice(10));
      const res = await response;
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body).flags[0].key).toBe('capability:support.policy_answer');
      expect(await svc.exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(svc.logs.some((l) => l.message === 'shutdown complete' && l.clean === true)).toBe(true);
    } finally {
      await svc.stop();
      await db.close();
    }
  });
});

async function waitForLog(svc: RunningService, message: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!svc.logs.some((l) => l.message === message)) {
    if (Date.now() > deadline) throw new Error(`no "${message}" log line`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function unsignedToken(): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', tenant_id: 't', scope: 'ai.admin', iss: 'https://auth.melmastoon.example', aud: 'ai-orchestrator', exp: now + 600 })}.`;
}
