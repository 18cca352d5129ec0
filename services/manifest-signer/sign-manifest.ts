import type { Principal } from '../../shared/auth/index.js';
import type { Pool } from '../../shared/db/index.js';
import { invalidInput } from '../../shared/http/index.js';
import {
  canonicalPayloadBytes,
  checkManifestPayload,
  isSigningError,
  MANIFEST_ALG,
  sha256,
  type ManifestKeyRing,
  type SignedManifest,
} from '../../shared/signing/index.js';
import { expiryOutOfRange, signingProblem, versionNotIncreasing } from './errors.js';
import { lastSignedVersion, recordSignedManifest } from './manifest-store.js';

export interface SignManifestDeps {
  pool: Pool;
  keyRing: ManifestKeyRing;
  maxValiditySeconds: number;
  now?: () => number;
}

/**
 * POST /v1/manifests:sign, step by step: validate the payload → bound its expiry → refuse a version not
 * above the channel's last (early, so a stale request costs no KMS call) → sign the canonical bytes →
 * record, re-checking the version atomically. Signing comes before recording, so a failed KMS call never
 * consumes a version; a signature that loses the race to a concurrent request is discarded, never returned.
 */
export async function signManifest(deps: SignManifestDeps, body: unknown, caller: Principal): Promise<SignedManifest> {
  const checked = checkManifestPayload(body);
  if (!checked.ok) throw invalidInput(checked.problems);
  const payload = checked.payload;

  const now = (deps.now ?? Date.now)();
  const expiresAt = Date.parse(payload.expires_at);
  if (expiresAt <= now) throw expiryOutOfRange(`expires_at ${payload.expires_at} has already passed.`);
  if (expiresAt - now > deps.maxValiditySeconds * 1000) {
    throw expiryOutOfRange(`expires_at ${payload.expires_at} is more than ${deps.maxValiditySeconds} s ahead (the configured maximum).`);
  }

  const last = await lastSignedVersion(deps.pool, payload.channel);
  if (payload.version <= last) throw versionNotIncreasing(payload.channel, payload.version, last);

  const bytes = canonicalPayloadBytes(payload);
  let signed;
  try {
    signed = await deps.keyRing.sign(bytes);
  } catch (err) {
    throw isSigningError(err) ? signingProblem(err) : err;
  }
  const signatures = [{ keyid: signed.keyid, alg: MANIFEST_ALG, sig: signed.signature.toString('base64') }];

  const outcome = await recordSignedManifest(deps.pool, {
    payload,
    payloadSha256: sha256(bytes).toString('hex'),
    signatures,
    keyid: signed.keyid,
    keyVersion: signed.keyVersion,
    requestedBy: caller.subject,
    requestedByTenant: caller.tenantId,
    requestTokenId: caller.tokenId,
  });
  if (!outcome.recorded) throw versionNotIncreasing(payload.channel, payload.version, outcome.lastVersion);
  return { payload, signatures };
}
