import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureDevKeys, mintDevToken } from '../../shared/auth/index.js';

let dataDir: string;

beforeEach(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'auth-dev-keys-'));
});

afterEach(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const issuer = 'https://issuer.test';
const audience = 'ai-orchestrator-test';

describe('ensureDevKeys', () => {
  it('creates a private ES256 JWK readable only by the owner and a public JWKS beside it', async () => {
    const keys = await ensureDevKeys(dataDir);
    expect(keys.privateKeyPath).toBe(path.join(dataDir, 'auth', 'dev-signing-key.json'));
    expect(keys.jwksPath).toBe(path.join(dataDir, 'auth', 'dev-jwks.json'));
    expect((await stat(keys.privateKeyPath)).mode & 0o777).toBe(0o600);

    const privateJwk = JSON.parse(await readFile(keys.privateKeyPath, 'utf8'));
    expect(privateJwk).toMatchObject({ kty: 'EC', crv: 'P-256', kid: keys.kid, alg: 'ES256' });
    expect(typeof privateJwk.d).toBe('string');

    const jwks = JSON.parse(await readFile(keys.jwksPath, 'utf8'));
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', kid: keys.kid, x: privateJwk.x, y: privateJwk.y });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('creates the pair once: later and concurrent calls return the same key', async () => {
    const concurrent = await Promise.all([ensureDevKeys(dataDir), ensureDevKeys(dataDir), ensureDevKeys(dataDir)]);
    const later = await ensureDevKeys(dataDir);
    expect(new Set([...concurrent, later].map((k) => k.kid)).size).toBe(1);
    const jwks = JSON.parse(await readFile(later.jwksPath, 'utf8'));
    expect(jwks.keys[0].kid).toBe(later.kid);
  });

  it('restores a deleted public JWKS from the private key', async () => {
    const first = await ensureDevKeys(dataDir);
    await rm(first.jwksPath);
    const again = await ensureDevKeys(dataDir);
    expect(again.kid).toBe(first.kid);
    expect(JSON.parse(await readFile(again.jwksPath, 'utf8')).keys[0].kid).toBe(first.kid);
  });
});

describe('mintDevToken', () => {
  it('signs the claims the verifier expects', async () => {
    const before = Math.floor(Date.now() / 1000);
    const token = await mintDevToken({ dataDir, tenant: 'acme', scope: 'ai.invoke  ai.admin', subject: 'bob', ttlSeconds: 120, issuer, audience });
    const { kid } = await ensureDevKeys(dataDir);
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ tenant_id: 'acme', scope: 'ai.invoke ai.admin', sub: 'bob', iss: issuer, aud: audience });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect((claims.exp as number) - (claims.iat as number)).toBe(120);
  });

  it('joins a list of scopes and defaults the subject', async () => {
    const claims = decodeJwt(await mintDevToken({ dataDir, tenant: 'acme', scope: ['hitl.review', 'ai.invoke'], issuer, audience }));
    expect(claims).toMatchObject({ scope: 'hitl.review ai.invoke', sub: 'dev-user' });
  });

  it('refuses a tenant id outside the allowed alphabet and a non-positive ttl', async () => {
    await expect(mintDevToken({ dataDir, tenant: 'a b', scope: 'ai.invoke', issuer, audience })).rejects.toThrow(/tenant/);
    await expect(mintDevToken({ dataDir, tenant: 'acme', scope: 'ai.invoke', ttlSeconds: 0, issuer, audience })).rejects.toThrow(/ttl/);
  });
});
