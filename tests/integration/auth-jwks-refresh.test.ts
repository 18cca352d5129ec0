import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier, JwksLoadError, type JwtVerifier } from '../../shared/auth/index.js';
import { createLogger } from '../../shared/telemetry/index.js';

const logLines: string[] = [];
const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void logLines.push(line) } });
const baseAuth = {
  issuer: 'https://issuer.test',
  audience: 'ai-orchestrator-test',
  // 50 ms: the production floor is 10 s (config schema), far too slow to watch a rotation in a test.
  jwksRefreshSeconds: 0.05,
  clockToleranceSeconds: 30,
};

interface IssuerKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
  jwks: JSONWebKeySet;
}

async function issuerKey(kid: string, alg: 'RS256' | 'ES256'): Promise<IssuerKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }] } };
}

function tokenFor(key: IssuerKey, tenant = 'tenant-a'): Promise<string> {
  return new SignJWT({ tenant_id: tenant, scope: 'ai.invoke' })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setSubject('user-1')
    .setIssuer(baseAuth.issuer)
    .setAudience(baseAuth.audience)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key.privateKey);
}

/** Retries `fn` until it resolves or the deadline passes (then its last error is thrown). */
async function eventually<T>(fn: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** A stand-in for the issuer's JWKS endpoint whose answer the test changes at will. */
const served = { status: 200, body: '' as string, requests: 0 };
let server: Server;
let jwksUrl: string;
let keyA: IssuerKey;
let keyB: IssuerKey;
const verifiers: JwtVerifier[] = [];

beforeAll(async () => {
  keyA = await issuerKey('key-a', 'RS256');
  keyB = await issuerKey('key-b', 'ES256');
  server = createServer((_req, res) => {
    served.requests += 1;
    res.writeHead(served.status, { 'content-type': 'application/json' }).end(served.body);
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
});

afterEach(() => {
  for (const verifier of verifiers.splice(0)) verifier.close();
});

afterAll(() => {
  server?.close();
});

async function verifierFor(auth: Partial<typeof baseAuth> & { jwksUrl?: string; jwksFile?: string }): Promise<JwtVerifier> {
  const verifier = await createJwtVerifier({ auth: { ...baseAuth, ...auth }, dataDir: tmpdir(), appEnv: 'test', logger });
  verifiers.push(verifier);
  return verifier;
}

function serve(status: number, body: string): void {
  served.status = status;
  served.body = body;
}

describe('JWKS loaded from a URL', () => {
  it('verifies with the preloaded keys and picks up rotated keys in the background', async () => {
    serve(200, JSON.stringify(keyA.jwks));
    const verifier = await verifierFor({ jwksUrl });
    expect(verifier.isLoaded()).toBe(true);
    expect((await verifier.verify(await tokenFor(keyA))).tenantId).toBe('tenant-a');
    await expect(verifier.verify(await tokenFor(keyB))).rejects.toMatchObject({ code: 'token_signature_invalid' });

    serve(200, JSON.stringify(keyB.jwks));
    const tokenB = await tokenFor(keyB, 'tenant-b');
    const principal = await eventually(() => verifier.verify(tokenB));
    expect(principal.tenantId).toBe('tenant-b');
    // The old key left the set, so its tokens no longer verify.
    await expect(verifier.verify(await tokenFor(keyA))).rejects.toMatchObject({ code: 'token_signature_invalid', status: 401 });
  });

  it.each([
    ['an HTTP 500', 500, '{"error":"boom"}'],
    ['a body that is not JSON', 200, '<html>maintenance</html>'],
    ['an empty key set', 200, '{"keys":[]}'],
  ])('keeps the last good keys when a refresh gets %s', async (_label, status, body) => {
    serve(200, JSON.stringify(keyA.jwks));
    const verifier = await verifierFor({ jwksUrl });
    const tokenA = await tokenFor(keyA);
    await verifier.verify(tokenA);

    serve(status, body);
    const before = served.requests;
    // Refreshes never overlap, so a second request proves the first failed refresh has completed.
    await eventually(async () => expect(served.requests).toBeGreaterThanOrEqual(before + 2));
    expect((await verifier.verify(tokenA)).tenantId).toBe('tenant-a');
    expect(verifier.isLoaded()).toBe(true);
  });

  it('fails at boot with a clear error when the first load fails', async () => {
    serve(503, 'unavailable');
    const failure = verifierFor({ jwksUrl });
    await expect(failure).rejects.toBeInstanceOf(JwksLoadError);
    await expect(failure).rejects.toThrow(`auth: cannot load the JWKS from ${jwksUrl} (HTTP 503)`);
  });

  it('fails at boot when the JWKS URL is unreachable', async () => {
    const closed = createServer().listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    await expect(verifierFor({ jwksUrl: `http://127.0.0.1:${port}/jwks.json` })).rejects.toThrow(/auth: cannot load the JWKS from/);
  });

  it('reports not loaded once closed', async () => {
    serve(200, JSON.stringify(keyA.jwks));
    const verifier = await verifierFor({ jwksUrl });
    verifier.close();
    expect(verifier.isLoaded()).toBe(false);
  });
});

describe('JWKS loaded from a file', () => {
  it('re-reads the file in the background and keeps the last good keys when it breaks', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'auth-jwks-file-'));
    try {
      const jwksFile = path.join(dir, 'jwks.json');
      await writeFile(jwksFile, JSON.stringify(keyA.jwks));
      const verifier = await verifierFor({ jwksFile });
      await verifier.verify(await tokenFor(keyA));

      await writeFile(jwksFile, JSON.stringify(keyB.jwks));
      const tokenB = await tokenFor(keyB);
      await eventually(() => verifier.verify(tokenB));

      const logged = logLines.length;
      await rm(jwksFile);
      await eventually(async () => expect(logLines.slice(logged).join('')).toContain('JWKS refresh failed'));
      expect((await verifier.verify(tokenB)).tenantId).toBe('tenant-a');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails at boot when the file does not exist', async () => {
    await expect(verifierFor({ jwksFile: '/nonexistent/jwks.json' })).rejects.toThrow(
      /^auth: cannot load the JWKS from file \/nonexistent\/jwks\.json \(ENOENT/,
    );
  });
});
