import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { signPushToken } from '../../../shared/auth/push-token.js';

/**
 * A stand-in for Google's OAuth2 certificate endpoint (`GET /oauth2/v3/certs`, a JWKS) with the RS256 key
 * that signs the Google-shaped ID tokens tests put on push requests. A second key, never published, forges.
 */
export interface FakeGoogleOidc {
  /** The JWKS URL (PUSH_AUTH_JWKS_URL). */
  jwksUrl: string;
  /** Requests the JWKS endpoint answered. */
  fetches: number;
  /** A token signed by the published key; claims default to a valid push token for audience/email. */
  token(claims?: Partial<{ audience: string; email: string; issuer: string; emailVerified: boolean; ttlSeconds: number; issuedAt: number }>): Promise<string>;
  /** Same claims, signed by an unpublished key carrying the published key's kid. */
  forged(): Promise<string>;
  /** While true, the endpoint answers 503. */
  failing: boolean;
  stop(): Promise<void>;
}

export async function startFakeGoogleOidc(opts: { audience: string; email: string }): Promise<FakeGoogleOidc> {
  const real = await rsaJwk();
  const forger = { ...(await rsaJwk()), kid: real.kid };
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = real;
  const state = { fetches: 0 };
  const server = http.createServer((req, res) => {
    if (req.url !== '/oauth2/v3/certs') {
      res.writeHead(404).end();
      return;
    }
    state.fetches++;
    if (fake.failing) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=20000' });
    res.end(JSON.stringify({ keys: [publicJwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const defaults = { audience: opts.audience, email: opts.email };
  const fake: FakeGoogleOidc = {
    jwksUrl: `http://127.0.0.1:${port}/oauth2/v3/certs`,
    get fetches() {
      return state.fetches;
    },
    failing: false,
    token: (claims = {}) => signPushToken(real, { ...defaults, ...claims }),
    forged: () => signPushToken(forger, defaults),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return fake;
}

async function rsaJwk(): Promise<JWK> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid: await calculateJwkThumbprint(await exportJWK(publicKey)), alg: 'RS256', use: 'sig' };
}
