import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CompactSign, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier, type JwtVerifier } from '../../shared/auth/index.js';
import { AppError } from '../../shared/errors/app-error.js';
import { createLogger } from '../../shared/telemetry/index.js';

const logger = createLogger({ level: 'silent' });
const auth = { issuer: 'https://issuer.test', audience: 'ai-orchestrator-test', jwksRefreshSeconds: 600, clockToleranceSeconds: 30 };
const now = () => Math.floor(Date.now() / 1000);

let dir: string;
let verifier: JwtVerifier;
let key1: CryptoKey;
let key2: CryptoKey;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'auth-verifier-'));
  const pair1 = await generateKeyPair('ES256');
  const pair2 = await generateKeyPair('ES256');
  key1 = pair1.privateKey;
  key2 = pair2.privateKey;
  const jwksFile = path.join(dir, 'jwks.json');
  const keys = [
    { ...(await exportJWK(pair1.publicKey)), kid: 'k1' },
    { ...(await exportJWK(pair2.publicKey)), kid: 'k2' },
  ];
  await writeFile(jwksFile, JSON.stringify({ keys }));
  verifier = await createJwtVerifier({ auth: { ...auth, jwksFile }, dataDir: dir, appEnv: 'test', logger });
});

afterAll(async () => {
  verifier?.close();
  await rm(dir, { recursive: true, force: true });
});

function token(claims: Record<string, unknown> = {}, header: { kid?: string } = { kid: 'k1' }, key = key1): Promise<string> {
  const payload: JWTPayload = {
    tenant_id: 'tenant-a',
    scope: 'ai.invoke',
    sub: 'user-1',
    iss: auth.issuer,
    aud: auth.audience,
    exp: now() + 300,
    ...claims,
  };
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', ...header }).sign(key);
}

async function rejection(tokenText: string): Promise<AppError> {
  const err = await verifier.verify(tokenText).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

describe('createJwtVerifier().verify', () => {
  it('returns the principal: tenant, subject, scopes and token id', async () => {
    const principal = await verifier.verify(await token({ scope: 'ai.invoke hitl.review', jti: 'tok-1' }));
    expect(principal.tenantId).toBe('tenant-a');
    expect(principal.subject).toBe('user-1');
    expect([...principal.scopes].sort()).toEqual(['ai.invoke', 'hitl.review']);
    expect(principal.tokenId).toBe('tok-1');
  });

  it('treats a token without a scope claim as holding no scopes', async () => {
    const principal = await verifier.verify(await token({ scope: undefined }));
    expect(principal.scopes.size).toBe(0);
    expect(principal.tokenId).toBeUndefined();
  });

  it('verifies a token without a kid against each key that could have signed it', async () => {
    expect((await verifier.verify(await token({}, {}, key2))).tenantId).toBe('tenant-a');
  });

  it('rejects with status 401, a stable code and an invalid_token challenge that never quotes the token', async () => {
    const text = await token({ aud: 'someone-else' });
    const err = await rejection(text);
    expect(err).toMatchObject({ status: 401, code: 'token_claim_invalid' });
    expect(err.headers['WWW-Authenticate']).toMatch(/^Bearer error="invalid_token", error_description="[^"\\]+"$/);
    const [, payload, signature] = text.split('.');
    for (const shown of [err.detail, err.message, err.headers['WWW-Authenticate'], JSON.stringify(err.extra)]) {
      expect(shown).not.toContain(payload);
      expect(shown).not.toContain(signature);
    }
  });

  it.each([
    ['empty', '', 'token_missing'],
    ['not three parts', 'abc.def', 'token_malformed'],
    ['not base64url', 'a$b.c.d', 'token_malformed'],
    ['a header that is not JSON', 'bm90LWpzb24.e30.c2ln', 'token_malformed'],
    ['longer than 8 KiB', `${'a'.repeat(9000)}.b.c`, 'token_malformed'],
  ])('rejects a token that is %s', async (_label, text, code) => {
    expect((await rejection(text)).code).toBe(code);
  });

  it('rejects a signed payload that is not a JSON claims set as malformed', async () => {
    const jws = await new CompactSign(new TextEncoder().encode('not json')).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(key1);
    expect((await rejection(jws)).code).toBe('token_malformed');
  });

  it('rejects a kid that is not in the key set as token_signature_invalid', async () => {
    expect((await rejection(await token({}, { kid: 'unknown' }))).code).toBe('token_signature_invalid');
  });

  it('rejects a token signed by another key of the set under the wrong kid', async () => {
    expect((await rejection(await token({}, { kid: 'k1' }, key2))).code).toBe('token_signature_invalid');
  });

  it.each([
    ['no exp', { exp: undefined }],
    ['no sub', { sub: undefined }],
    ['an empty sub', { sub: '' }],
    ['no tenant_id', { tenant_id: undefined }],
    ['an empty tenant_id', { tenant_id: '' }],
    ['a tenant_id outside the alphabet', { tenant_id: 'tenant a/../b' }],
    ['a numeric tenant_id', { tenant_id: 42 }],
    ['a tenant_id over 64 characters', { tenant_id: 't'.repeat(65) }],
    ['a scope that is a list', { scope: ['ai.invoke'] }],
    ['an nbf beyond the clock tolerance', { nbf: now() + 120 }],
    ['a wrong issuer', { iss: 'https://elsewhere.test' }],
  ])('rejects a token with %s as token_claim_invalid', async (_label, claims) => {
    expect((await rejection(await token(claims))).code).toBe('token_claim_invalid');
  });
});

describe('createJwtVerifier without an issuer JWKS', () => {
  it('refuses the dev key pair in staging and prod', async () => {
    for (const appEnv of ['staging', 'prod'] as const) {
      await expect(createJwtVerifier({ auth, dataDir: dir, appEnv, logger })).rejects.toThrow(/AUTH_JWKS_URL/);
    }
  });
});
