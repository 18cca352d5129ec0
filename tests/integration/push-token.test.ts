import { createPublicKey, type JsonWebKey as CryptoJwk } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OAuth2Client } from 'google-auth-library';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPushTokenVerifier, EMBEDDED_PUSH_AUDIENCE, EMBEDDED_PUSH_EMAIL, ensurePushKeys, signPushToken, type PushTokenVerifier } from '../../shared/auth/push-token.js';
import { isAppError } from '../../shared/errors/app-error.js';
import { startFakeGoogleOidc, type FakeGoogleOidc } from '../fakes/google-oidc/server.js';

const AUDIENCE = 'https://ai-orchestrator.example.run.app/internal/pubsub/inference-requests';
const EMAIL = 'pubsub-push@melmastoon-test.iam.gserviceaccount.com';
const silent = { info: () => {} };

async function failureOf(p: Promise<unknown>): Promise<{ status: number; code: string }> {
  try {
    await p;
  } catch (err) {
    if (isAppError(err)) return { status: err.status, code: err.code };
    throw err;
  }
  throw new Error('expected a failure');
}

describe('Pub/Sub push OIDC tokens', () => {
  let google: FakeGoogleOidc;
  let verifier: PushTokenVerifier;
  beforeAll(async () => {
    google = await startFakeGoogleOidc({ audience: AUDIENCE, email: EMAIL });
    verifier = await createPushTokenVerifier({ pushAuth: { issuer: 'https://accounts.google.com', jwksUrl: google.jwksUrl, audience: AUDIENCE, email: EMAIL }, appEnv: 'test', dataDir: '.data/unused', logger: silent });
  });
  afterAll(async () => {
    await google?.stop();
  });

  it('a valid token (fetched keys from the JWKS URL) names the push service account', async () => {
    expect(await verifier.verify(`Bearer ${await google.token()}`)).toMatchObject({ email: EMAIL });
    expect(google.fetches).toBeGreaterThanOrEqual(1);
  });

  it('the tokens the tests sign are Google ID tokens as google-auth-library verifies them', async () => {
    const jwks = (await (await fetch(google.jwksUrl)).json()) as { keys: Array<JWK & { kid: string }> };
    // As Google's v1 certificates endpoint serves them: PEM public keys by kid.
    const pem = createPublicKey({ key: jwks.keys[0]! as CryptoJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
    const ticket = await new OAuth2Client().verifySignedJwtWithCertsAsync(await google.token(), { [jwks.keys[0]!.kid]: pem }, AUDIENCE, ['https://accounts.google.com']);
    expect(ticket.getPayload()).toMatchObject({ email: EMAIL, email_verified: true, aud: AUDIENCE, iss: 'https://accounts.google.com' });
  });

  it('forged (unpublished key), expired, wrong audience, wrong issuer → 401 with a stable code', async () => {
    expect(await failureOf(verifier.verify(`Bearer ${await google.forged()}`))).toEqual({ status: 401, code: 'token_signature_invalid' });
    const past = Math.floor(Date.now() / 1000) - 7200;
    expect(await failureOf(verifier.verify(`Bearer ${await google.token({ issuedAt: past, ttlSeconds: 3600 })}`))).toEqual({ status: 401, code: 'token_expired' });
    expect(await failureOf(verifier.verify(`Bearer ${await google.token({ audience: 'https://elsewhere.example/push' })}`))).toEqual({ status: 401, code: 'token_claim_invalid' });
    expect(await failureOf(verifier.verify(`Bearer ${await google.token({ issuer: 'https://issuer.example' })}`))).toEqual({ status: 401, code: 'token_claim_invalid' });
  });

  it('another service account, or an unverified email → 403 push_sender_forbidden', async () => {
    expect(await failureOf(verifier.verify(`Bearer ${await google.token({ email: 'intruder@other.iam.gserviceaccount.com' })}`))).toEqual({ status: 403, code: 'push_sender_forbidden' });
    expect(await failureOf(verifier.verify(`Bearer ${await google.token({ emailVerified: false })}`))).toEqual({ status: 403, code: 'push_sender_forbidden' });
  });

  it('no header, another scheme, or garbage → 401', async () => {
    expect(await failureOf(verifier.verify(undefined))).toEqual({ status: 401, code: 'token_missing' });
    expect(await failureOf(verifier.verify('Basic dXNlcjpwYXNz'))).toEqual({ status: 401, code: 'token_malformed' });
    expect(await failureOf(verifier.verify('Bearer not.a.jwt'))).toEqual({ status: 401, code: 'token_malformed' });
  });

  it('signing keys unreachable → 503 push_auth_unavailable (Pub/Sub delivers again)', async () => {
    const other = await startFakeGoogleOidc({ audience: AUDIENCE, email: EMAIL });
    other.failing = true;
    const cold = await createPushTokenVerifier({ pushAuth: { issuer: 'https://accounts.google.com', jwksUrl: other.jwksUrl, audience: AUDIENCE, email: EMAIL }, appEnv: 'test', dataDir: '.data/unused', logger: silent });
    expect(await failureOf(cold.verify(`Bearer ${await other.token()}`))).toEqual({ status: 503, code: 'push_auth_unavailable' });
    await other.stop();
    expect(await failureOf(cold.verify(`Bearer ${await other.token()}`))).toEqual({ status: 503, code: 'push_auth_unavailable' });
  });

  it('embedded (dev/test, no PUSH_AUTH_*): the local push key in dataDir, its audience and email', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aiorch-push-'));
    const local = await createPushTokenVerifier({ pushAuth: { issuer: 'https://accounts.google.com' }, appEnv: 'dev', dataDir, logger: silent });
    expect({ audience: local.audience, email: local.email }).toEqual({ audience: EMBEDDED_PUSH_AUDIENCE, email: EMBEDDED_PUSH_EMAIL });
    const keys = await ensurePushKeys(dataDir);
    expect(await local.verify(`Bearer ${await signPushToken(keys.privateJwk, { audience: EMBEDDED_PUSH_AUDIENCE, email: EMBEDDED_PUSH_EMAIL })}`)).toMatchObject({ email: EMBEDDED_PUSH_EMAIL });
    // The key is created once; a second call (another process) finds the same one.
    expect((await ensurePushKeys(dataDir)).privateJwk.kid).toBe(keys.privateJwk.kid);
    await expect(createPushTokenVerifier({ pushAuth: { issuer: 'https://accounts.google.com' }, appEnv: 'prod', dataDir, logger: silent })).rejects.toThrow(/PUSH_AUTH_AUDIENCE/);
  });
});
