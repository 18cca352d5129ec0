import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { generateKeyPair, importJWK, SignJWT, base64url, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authenticate,
  createJwtVerifier,
  ensureDevKeys,
  mintDevToken,
  principalOf,
  requireScope,
  SCOPES,
  type JwtVerifier,
} from '../../shared/auth/index.js';
import { isAppError } from '../../shared/errors/app-error.js';
import { createLogger } from '../../shared/telemetry/index.js';

const auth = {
  issuer: 'https://issuer.test',
  audience: 'ai-orchestrator-test',
  jwksRefreshSeconds: 600,
  clockToleranceSeconds: 30,
};

let dataDir: string;
let verifier: JwtVerifier;
let server: Server;
let baseUrl: string;
let devKid: string;
let devKey: CryptoKey;

/** The app's real error handler lives in shared/http; this one keeps only what the assertions read. */
const errorHandler = (err: unknown, _request: FastifyRequest, reply: FastifyReply) => {
  if (!isAppError(err)) return reply.code(500).send({ code: 'internal' });
  return reply.code(err.status).headers(err.headers).send({ code: err.code, detail: err.detail });
};

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'auth-mw-'));
  const keys = await ensureDevKeys(dataDir);
  devKid = keys.kid;
  devKey = (await importJWK(JSON.parse(await readFile(keys.privateKeyPath, 'utf8')), 'ES256')) as CryptoKey;
  verifier = await createJwtVerifier({ auth, dataDir, appEnv: 'test', logger: createLogger({ level: 'silent' }) });

  const app = Fastify();
  app.decorateRequest('principal', null);
  app.post('/whoami', { onRequest: authenticate(verifier), preHandler: requireScope(SCOPES.aiInvoke) }, async (request) => {
    const principal = principalOf(request);
    return { tenant: principal.tenantId, subject: principal.subject, scopes: [...principal.scopes], echo: request.body };
  });
  app.setErrorHandler(errorHandler);
  baseUrl = await app.listen({ port: 0, host: '127.0.0.1' });
  server = app.server;
});

afterAll(async () => {
  server?.close();
  verifier?.close();
  await rm(dataDir, { recursive: true, force: true });
});

function call(authorization?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  return fetch(`${baseUrl}/whoami`, { method: 'POST', headers, body: JSON.stringify({ hello: 'world' }) });
}

const now = () => Math.floor(Date.now() / 1000);

/** A token signed with the dev key (or `key`), with every claim overridable; `undefined` drops a claim. */
function signed(claims: Partial<Record<string, unknown>> = {}, key: CryptoKey | Uint8Array = devKey, alg = 'ES256') {
  const payload: JWTPayload = {
    tenant_id: 'tenant-a',
    scope: 'ai.invoke',
    sub: 'user-1',
    iss: auth.issuer,
    aud: auth.audience,
    iat: now(),
    exp: now() + 300,
    ...claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg, kid: devKid, typ: 'JWT' }).sign(key);
}

async function expectRejected(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(((await res.json()) as { code: string }).code).toBe(code);
}

describe('authenticate + requireScope over HTTP', () => {
  it('accepts a dev token and exposes the principal to the route', async () => {
    const token = await mintDevToken({ dataDir, tenant: 'tenant-a', scope: 'ai.invoke hitl.review', subject: 'alice', ...auth });
    const res = await call(`Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      tenant: 'tenant-a',
      subject: 'alice',
      scopes: ['ai.invoke', 'hitl.review'],
      echo: { hello: 'world' },
    });
  });

  it('reads the Bearer scheme case-insensitively', async () => {
    const res = await call(`bearer ${await signed()}`);
    expect(res.status).toBe(200);
  });

  it('answers 401 token_missing with a bare Bearer challenge when there is no Authorization header', async () => {
    const res = await call();
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    await expectRejected(res, 401, 'token_missing');
  });

  it('answers 401 token_missing for another scheme', async () => {
    await expectRejected(await call(`Basic ${Buffer.from('user:pass').toString('base64')}`), 401, 'token_missing');
  });

  it('answers 401 token_malformed for a Bearer header without exactly one token', async () => {
    await expectRejected(await call('Bearer'), 401, 'token_malformed');
    await expectRejected(await call(`Bearer ${await signed()} extra`), 401, 'token_malformed');
    await expectRejected(await call('Bearer not-a-jwt'), 401, 'token_malformed');
  });

  it('answers 401 token_expired beyond the 30 s clock tolerance, with an invalid_token challenge', async () => {
    const res = await call(`Bearer ${await signed({ iat: now() - 600, exp: now() - 60 })}`);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/);
    await expectRejected(res, 401, 'token_expired');
  });

  it('accepts a token expired 10 s ago (within the clock tolerance)', async () => {
    const res = await call(`Bearer ${await signed({ iat: now() - 600, exp: now() - 10 })}`);
    expect(res.status).toBe(200);
  });

  it('answers 401 token_signature_invalid for a token signed by another key under the same kid', async () => {
    const other = await generateKeyPair('ES256');
    await expectRejected(await call(`Bearer ${await signed({}, other.privateKey)}`), 401, 'token_signature_invalid');
  });

  it('answers 401 token_algorithm_not_allowed for an unsigned alg:none token', async () => {
    const part = (value: object) => base64url.encode(JSON.stringify(value));
    const payload = { tenant_id: 'tenant-a', scope: 'ai.invoke', sub: 'u', iss: auth.issuer, aud: auth.audience, exp: now() + 300 };
    const unsigned = `${part({ alg: 'none', typ: 'JWT' })}.${part(payload)}.`;
    await expectRejected(await call(`Bearer ${unsigned}`), 401, 'token_algorithm_not_allowed');
  });

  it('answers 401 token_algorithm_not_allowed for an HS256 token', async () => {
    const secret = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!');
    await expectRejected(await call(`Bearer ${await signed({}, secret, 'HS256')}`), 401, 'token_algorithm_not_allowed');
  });

  it('answers 401 token_claim_invalid for a wrong issuer, a wrong audience or no tenant_id', async () => {
    await expectRejected(await call(`Bearer ${await signed({ iss: 'https://evil.test' })}`), 401, 'token_claim_invalid');
    await expectRejected(await call(`Bearer ${await signed({ aud: 'another-service' })}`), 401, 'token_claim_invalid');
    await expectRejected(await call(`Bearer ${await signed({ tenant_id: undefined })}`), 401, 'token_claim_invalid');
  });

  it('answers 403 insufficient_scope when the token holds none of the accepted scopes', async () => {
    const res = await call(`Bearer ${await signed({ scope: 'hitl.review ai.admin' })}`);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    await expectRejected(res, 403, 'insufficient_scope');
  });

  it('never echoes the token in the error body or headers', async () => {
    const token = await signed({ iss: 'https://evil.test' });
    const res = await call(`Bearer ${token}`);
    const body = await res.text();
    expect(res.status).toBe(401);
    expect(body).not.toContain(token.split('.')[1]);
    expect(res.headers.get('www-authenticate')).not.toContain(token.split('.')[1]);
  });
});
