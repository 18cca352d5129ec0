import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import type { AppEnv, Config } from '../config/index.js';
import { AppError } from '../errors/app-error.js';
import type { Logger } from '../telemetry/index.js';
import { tokenError } from './errors.js';

/**
 * Verification of the OIDC token Pub/Sub attaches to push requests (`Authorization: Bearer <Google ID
 * token>`): RS256 signature against Google's certificates (or a configured JWKS), the issuer, audience =
 * the push endpoint's configured audience, and `email` = the push service account with `email_verified`.
 */

/** Google's OAuth2 certificates as a JWKS: the keys that sign Pub/Sub push tokens. */
export const GOOGLE_OAUTH2_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs';
/** Embedded (dev/test without PUSH_AUTH_*): the audience and sender the local push key signs for. */
export const EMBEDDED_PUSH_AUDIENCE = 'ai-orchestrator-push';
export const EMBEDDED_PUSH_EMAIL = 'pubsub-push@embedded.invalid';

export interface PushIdentity {
  email: string;
  subject: string;
}

export interface PushTokenVerifier {
  /** The push sender, or throws 401 (bad token), 403 (another sender), 503 (signing keys unreachable). */
  verify(authorization: string | undefined): Promise<PushIdentity>;
  readonly audience: string;
  readonly email: string;
}

export interface PushTokenVerifierOptions {
  pushAuth: Config['pushAuth'];
  appEnv: AppEnv;
  dataDir: string;
  logger: Pick<Logger, 'info'>;
  clockToleranceSeconds?: number;
}

const ALGORITHMS = ['RS256'];
const MAX_TOKEN_LENGTH = 8192;

export async function createPushTokenVerifier(opts: PushTokenVerifierOptions): Promise<PushTokenVerifier> {
  const { pushAuth, appEnv } = opts;
  const devOrTest = appEnv === 'dev' || appEnv === 'test';
  const embedded = devOrTest && !pushAuth.jwksUrl;
  const audience = pushAuth.audience ?? (devOrTest ? EMBEDDED_PUSH_AUDIENCE : undefined);
  const email = pushAuth.email ?? (devOrTest ? EMBEDDED_PUSH_EMAIL : undefined);
  // Checked here rather than in loadConfig: only the orchestrator serves the push endpoint (jobs and the signer share the config).
  if (!audience || !email) throw new Error(`push auth: PUSH_AUTH_AUDIENCE and PUSH_AUTH_EMAIL are required when APP_ENV=${appEnv}; they name who may push async commands`);

  let getKey: JWTVerifyGetKey;
  if (embedded) {
    const keys = await ensurePushKeys(opts.dataDir);
    getKey = createLocalJWKSet(keys.jwks);
    opts.logger.info({ jwks: keys.jwksPath, audience, email }, 'push auth: trusting the embedded push key');
  } else {
    const url = pushAuth.jwksUrl ?? GOOGLE_OAUTH2_JWKS_URL;
    // Fetched on first use and when a token names an unknown kid (Google rotates its keys), cached 10 min.
    getKey = createRemoteJWKSet(new URL(url), { timeoutDuration: 5_000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
    opts.logger.info({ jwks: url, audience, email }, 'push auth: verifying push tokens against the JWKS');
  }
  const options = { issuer: pushAuth.issuer, audience, algorithms: ALGORITHMS, clockTolerance: opts.clockToleranceSeconds ?? 30, requiredClaims: ['exp', 'iat', 'email'] };

  return {
    audience,
    email,
    async verify(authorization) {
      const token = bearerToken(authorization);
      let payload: JWTPayload;
      try {
        payload = (await jwtVerify(token, getKey, options)).payload;
      } catch (err) {
        throw toPushAuthError(err);
      }
      // The push subscription's service account, and only once Google verified the address.
      if (payload.email !== email || payload.email_verified !== true) throw senderForbidden();
      return { email, subject: typeof payload.sub === 'string' ? payload.sub : '' };
    },
  };
}

function bearerToken(header: string | undefined): string {
  const value = header?.trim();
  if (!value) throw tokenError('token_missing', 'the push request has no Authorization header');
  const [scheme = '', token, ...rest] = value.split(/\s+/);
  if (scheme.toLowerCase() !== 'bearer' || !token || rest.length > 0) throw tokenError('token_malformed', 'the Authorization header must be Bearer followed by one token');
  if (token.length > MAX_TOKEN_LENGTH) throw tokenError('token_malformed', 'the token is too long');
  return token;
}

function senderForbidden(): AppError {
  return new AppError({
    code: 'push_sender_forbidden',
    status: 403,
    title: 'Forbidden',
    detail: 'The push token was not issued to the configured push service account (or its email is not verified).',
  });
}

/** jose's failures → 401 codes; a key set that could not be fetched → 503, so Pub/Sub delivers again. */
function toPushAuthError(err: unknown): unknown {
  if (!(err instanceof errors.JOSEError)) {
    // fetch failed (DNS, refused connection) while fetching the JWKS.
    return new AppError({ code: 'push_auth_unavailable', status: 503, title: 'Push authentication unavailable', detail: 'The push token signing keys could not be fetched.', headers: { 'Retry-After': '10' }, cause: err });
  }
  switch (err.code) {
    case errors.JWTExpired.code:
      return tokenError('token_expired', 'the push token has expired', err);
    case errors.JOSEAlgNotAllowed.code:
      return tokenError('token_algorithm_not_allowed', 'push tokens must be RS256', err);
    case errors.JWSSignatureVerificationFailed.code:
    case errors.JWKSNoMatchingKey.code:
    case errors.JWKSMultipleMatchingKeys.code:
      return tokenError('token_signature_invalid', 'the push token signature does not verify against the trusted keys', err);
    case errors.JWTClaimValidationFailed.code: {
      const claim = (err as errors.JWTClaimValidationFailed).claim;
      const what = claim === 'aud' ? 'is not meant for this push endpoint (aud)' : claim === 'iss' ? 'was not issued by the trusted issuer (iss)' : `has an invalid or missing ${claim} claim`;
      return tokenError('token_claim_invalid', `the push token ${what}`, err);
    }
    case errors.JWSInvalid.code:
    case errors.JWTInvalid.code:
    case errors.JOSENotSupported.code:
      return tokenError('token_malformed', 'the push token could not be parsed as a signed JWT', err);
    default:
      // JWKSTimeout, JWKSInvalid, a non-200 from the JWKS URL.
      return new AppError({ code: 'push_auth_unavailable', status: 503, title: 'Push authentication unavailable', detail: 'The push token signing keys could not be fetched.', headers: { 'Retry-After': '10' }, cause: err });
  }
}

// ---- The embedded push key: stands in for Google's signing keys in dev/test (npm run inference:publish-sample).

export interface PushKeys {
  privateKeyPath: string;
  jwksPath: string;
  jwks: JSONWebKeySet;
  privateJwk: JWK;
}

/** Creates the RS256 push key pair under `<dataDir>/auth` unless it exists; safe from several processes at once. */
export async function ensurePushKeys(dataDir: string): Promise<PushKeys> {
  const dir = path.resolve(dataDir, 'auth');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const privateKeyPath = path.join(dir, 'push-signing-key.json');
  const jwksPath = path.join(dir, 'push-jwks.json');
  const privateJwk = (await readJwk(privateKeyPath)) ?? (await createJwk(privateKeyPath));
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
  const jwks = { keys: [publicJwk] };
  await writeFile(jwksPath, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o644 });
  return { privateKeyPath, jwksPath, jwks, privateJwk };
}

async function readJwk(file: string): Promise<JWK | undefined> {
  try {
    const jwk = JSON.parse(await readFile(file, 'utf8')) as JWK;
    if (jwk.kty !== 'RSA' || typeof jwk.d !== 'string' || typeof jwk.kid !== 'string') throw new Error(`push auth: ${file} is not an RS256 private JWK; delete it to create a new one`);
    return jwk;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** link() fails if another process published its key first; theirs then wins. */
async function createJwk(file: string): Promise<JWK> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  const jwk: JWK = Object.assign(await exportJWK(privateKey), { kid, alg: 'RS256', use: 'sig' });
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temp, `${JSON.stringify(jwk)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
    return jwk;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return (await readJwk(file))!;
  } finally {
    await unlink(temp);
  }
}

/**
 * Signs a token shaped like the Google ID token Pub/Sub sends (iss, aud, azp, sub, email, email_verified,
 * iat, exp; RS256 with a kid). For the embedded key and tests only.
 */
export async function signPushToken(privateJwk: JWK, claims: { audience: string; email: string; issuer?: string; emailVerified?: boolean; ttlSeconds?: number; issuedAt?: number }): Promise<string> {
  const key = await importJWK(privateJwk, 'RS256');
  const iat = claims.issuedAt ?? Math.floor(Date.now() / 1000);
  const subject = '1' + String(Math.abs(hashCode(claims.email))).padStart(20, '0');
  return new SignJWT({ email: claims.email, email_verified: claims.emailVerified ?? true, azp: subject })
    .setProtectedHeader({ alg: 'RS256', kid: privateJwk.kid!, typ: 'JWT' })
    .setIssuer(claims.issuer ?? 'https://accounts.google.com')
    .setAudience(claims.audience)
    .setSubject(subject)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (claims.ttlSeconds ?? 3600))
    .sign(key);
}

function hashCode(text: string): number {
  let h = 0;
  for (const ch of text) h = (Math.imul(31, h) + ch.charCodeAt(0)) | 0;
  return h;
}
