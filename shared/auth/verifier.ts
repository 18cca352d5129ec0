import { errors, jwtVerify, type JWTPayload, type JWTVerifyOptions, type LocalJWKSet } from 'jose';
import type { AppEnv, Config } from '../config/index.js';
import type { Logger } from '../telemetry/index.js';
import { ensureDevKeys } from './dev-keys.js';
import { tokenError } from './errors.js';
import { loadJwksSource, type JwksOrigin } from './jwks.js';
import { TENANT_ID_PATTERN, type Principal } from './principal.js';
import { VerifiedTokenCache } from './verified-cache.js';

/** Turns a bearer token into a Principal, or throws a 401 AppError with a stable code. */
export interface JwtVerifier {
  verify(token: string): Promise<Principal>;
  /** True while the issuer's key set is held (for /readyz). */
  isLoaded(): boolean;
  /** Stops the background JWKS refresh. */
  close(): void;
}

export interface JwtVerifierOptions {
  auth: Config['auth'];
  dataDir: string;
  appEnv: AppEnv;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** How long a verified token is trusted without checking its signature again (default 60 s; 0 = never cached). */
  verifiedCacheMs?: number;
}

const ALGORITHMS = ['RS256', 'ES256'];
// Far above any real access token; stops us from base64-decoding megabytes sent by a stranger.
const MAX_TOKEN_LENGTH = 8192;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Loads the issuer's JWKS (URL or file; with neither, the dev key pair in dataDir) before returning,
 * so a process that cannot verify tokens fails at boot rather than on its first request.
 */
export async function createJwtVerifier(opts: JwtVerifierOptions): Promise<JwtVerifier> {
  const { auth, logger } = opts;
  const verified = new VerifiedTokenCache({ ttlMs: opts.verifiedCacheMs ?? 60_000, maxEntries: 10_000 });
  const source = await loadJwksSource({
    onKeysChanged: () => verified.clear(),
    origin: await resolveOrigin(opts),
    refreshSeconds: auth.jwksRefreshSeconds,
    logger,
  });
  const options: JWTVerifyOptions = {
    issuer: auth.issuer,
    audience: auth.audience,
    algorithms: ALGORITHMS,
    clockTolerance: auth.clockToleranceSeconds,
    requiredClaims: ['exp', 'sub', 'tenant_id'],
  };

  return {
    async verify(token) {
      if (typeof token !== 'string' || token === '') throw tokenError('token_missing', 'no bearer token was sent');
      if (token.length > MAX_TOKEN_LENGTH) throw tokenError('token_malformed', 'the token is too long');
      if (!COMPACT_JWS.test(token)) throw tokenError('token_malformed', 'the token is not a compact JWS (three base64url parts)');
      let payload: JWTPayload;
      const cached = verified.get(token);
      if (cached) return cached;
      try {
        payload = (await verifyWithKeySet(token, source.getKey, options)).payload;
      } catch (err) {
        throw toTokenError(err);
      }
      const principal = principalFromClaims(payload);
      verified.set(token, principal, payload.exp);
      return principal;
    },
    isLoaded: () => source.isLoaded(),
    close: () => {
      verified.clear();
      source.close();
    },
  };
}

async function resolveOrigin(opts: JwtVerifierOptions): Promise<JwksOrigin> {
  const { auth, appEnv, dataDir, logger } = opts;
  if (auth.jwksUrl) return { url: auth.jwksUrl };
  if (auth.jwksFile) return { file: auth.jwksFile };
  // Config already refuses this; checked again because a forged dev key must never be trusted in production.
  if (appEnv === 'staging' || appEnv === 'prod') {
    throw new Error(`auth: AUTH_JWKS_URL (or AUTH_JWKS_FILE) is required when APP_ENV=${appEnv}`);
  }
  const dev = await ensureDevKeys(dataDir);
  logger.info({ jwks: dev.jwksPath, kid: dev.kid }, 'auth: no issuer JWKS configured; trusting the dev key pair (npm run token)');
  return { file: dev.jwksPath };
}

async function verifyWithKeySet(token: string, getKey: LocalJWKSet, options: JWTVerifyOptions) {
  try {
    return await jwtVerify(token, getKey, options);
  } catch (err) {
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    // A token without a kid can match several keys of the set: try each, as jose's documentation advises.
    for await (const key of err) {
      try {
        return await jwtVerify(token, key, options);
      } catch (inner) {
        if (!(inner instanceof errors.JWSSignatureVerificationFailed)) throw inner;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/** Maps jose's failures to our codes; anything else (a broken key in the issuer's set…) is ours to fix: rethrown. */
function toTokenError(err: unknown): unknown {
  if (!(err instanceof errors.JOSEError)) return err;
  switch (err.code) {
    case errors.JWTExpired.code:
      return tokenError('token_expired', 'the token has expired', err);
    case errors.JOSEAlgNotAllowed.code:
      return tokenError('token_algorithm_not_allowed', `the token's alg is not one of ${ALGORITHMS.join(', ')}`, err);
    case errors.JWSSignatureVerificationFailed.code:
      return tokenError('token_signature_invalid', 'the token signature does not verify', err);
    case errors.JWKSNoMatchingKey.code:
      return tokenError('token_signature_invalid', "no key of the issuer's key set matches the token's kid and alg", err);
    case errors.JWTClaimValidationFailed.code:
      return tokenError('token_claim_invalid', describeClaimFailure(err as errors.JWTClaimValidationFailed), err);
    case errors.JWSInvalid.code:
    case errors.JWTInvalid.code:
    case errors.JOSENotSupported.code:
      return tokenError('token_malformed', 'the token could not be parsed as a signed JWT', err);
    default:
      return err;
  }
}

function describeClaimFailure(err: errors.JWTClaimValidationFailed): string {
  if (err.reason === 'missing') return `the token has no ${err.claim} claim`;
  switch (err.claim) {
    case 'iss':
      return 'the token was not issued by the trusted issuer (iss)';
    case 'aud':
      return 'the token is not meant for this service (aud)';
    case 'nbf':
      return 'the token is not valid yet (nbf)';
    default:
      return `the token's ${err.claim} claim is invalid`;
  }
}

function principalFromClaims(claims: JWTPayload): Principal {
  const { tenant_id: tenantId, sub, scope, jti } = claims;
  if (typeof tenantId !== 'string' || !TENANT_ID_PATTERN.test(tenantId)) {
    throw tokenError('token_claim_invalid', 'the tenant_id claim is not a valid tenant id (1-64 of A-Z a-z 0-9 . _ -)');
  }
  if (typeof sub !== 'string' || sub === '') throw tokenError('token_claim_invalid', 'the sub claim must be a non-empty string');
  if (scope !== undefined && typeof scope !== 'string') {
    throw tokenError('token_claim_invalid', 'the scope claim must be a space-separated string');
  }
  const scopes = new Set((scope ?? '').split(' ').filter(Boolean));
  return { tenantId, subject: sub, scopes, ...(typeof jti === 'string' ? { tokenId: jti } : {}) };
}
