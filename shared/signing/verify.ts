import { MANIFEST_ALG, verifyPss } from './algorithm.js';
import { canonicalPayloadBytes } from './canonical.js';
import { ManifestRejectedError, type RejectionCode } from './errors.js';
import { checkManifestPayload, type ManifestPayload } from './manifest.js';
import type { TrustedKey } from './trusted-keys.js';

export interface VerifyManifestOptions {
  keys: readonly TrustedKey[];
  /** The highest version of this channel the client accepted before; the manifest must be above it. */
  lastAcceptedVersion?: number;
  /** The channel the client follows; a manifest of another channel is refused. */
  channel?: string;
  now?: Date;
}

export interface VerifiedManifest {
  payload: ManifestPayload;
  /** The key whose signature verified. */
  keyid: string;
}

// When no signature verifies, the most telling reason wins: a trusted key that does not verify says
// "tampered", a withdrawn key says "disabled", and only then "unknown key" or "unsupported algorithm".
const REASON_RANK: RejectionCode[] = ['signature_invalid', 'key_disabled', 'unknown_keyid', 'unsupported_algorithm'];
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * Checks a signed manifest the way a desktop client must before trusting any artifact in it: shape, a
 * signature by an enabled trusted key over the canonical payload, channel, expiry, then the version
 * against the last one accepted (rollback). Throws ManifestRejectedError with a stable code.
 */
export function verifyManifest(doc: unknown, opts: VerifyManifestOptions): VerifiedManifest {
  const { payload, signatures } = envelopeOf(doc);
  const checked = checkManifestPayload(payload);
  if (!checked.ok) {
    throw new ManifestRejectedError('payload_invalid', `the payload is not a valid manifest: ${checked.problems.map((p) => `${p.path} ${p.message}`).join('; ')}`);
  }
  const keyid = verifiedKeyId(canonicalPayloadBytes(payload), signatures, opts.keys);
  const manifest = checked.payload;

  if (opts.channel !== undefined && manifest.channel !== opts.channel) {
    throw new ManifestRejectedError('channel_mismatch', `the manifest is for channel "${manifest.channel}", not "${opts.channel}"`);
  }
  const now = opts.now ?? new Date();
  if (Date.parse(manifest.expires_at) <= now.getTime()) {
    throw new ManifestRejectedError('manifest_expired', `the manifest expired at ${manifest.expires_at}`);
  }
  if (opts.lastAcceptedVersion !== undefined && manifest.version <= opts.lastAcceptedVersion) {
    throw new ManifestRejectedError(
      'version_rollback',
      `version ${manifest.version} of channel "${manifest.channel}" is not above the last accepted version ${opts.lastAcceptedVersion}`,
    );
  }
  return { payload: manifest, keyid };
}

function envelopeOf(doc: unknown): { payload: unknown; signatures: Array<{ keyid: string; alg: string; sig: string }> } {
  const envelope = doc as { payload?: unknown; signatures?: unknown } | null;
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    throw new ManifestRejectedError('envelope_malformed', 'a signed manifest is a JSON object { payload, signatures }');
  }
  if (typeof envelope.payload !== 'object' || envelope.payload === null) throw new ManifestRejectedError('envelope_malformed', 'the signed manifest has no payload object');
  const list = envelope.signatures;
  if (!Array.isArray(list) || list.length === 0) throw new ManifestRejectedError('envelope_malformed', 'the signed manifest has no signatures');
  const signatures = list.map((s: unknown, i) => {
    const { keyid, alg, sig } = (s ?? {}) as Record<string, unknown>;
    if (typeof keyid !== 'string' || typeof alg !== 'string' || typeof sig !== 'string' || !BASE64.test(sig)) {
      throw new ManifestRejectedError('envelope_malformed', `signatures[${i}] needs string keyid and alg and a base64 sig`);
    }
    return { keyid, alg, sig };
  });
  return { payload: envelope.payload, signatures };
}

function verifiedKeyId(data: Buffer, signatures: Array<{ keyid: string; alg: string; sig: string }>, keys: readonly TrustedKey[]): string {
  const reasons: Array<{ code: RejectionCode; text: string }> = [];
  for (const s of signatures) {
    if (s.alg !== MANIFEST_ALG) {
      reasons.push({ code: 'unsupported_algorithm', text: `keyid ${s.keyid}: algorithm ${s.alg} is not ${MANIFEST_ALG}` });
      continue;
    }
    const key = keys.find((k) => k.keyid === s.keyid);
    if (!key) {
      reasons.push({ code: 'unknown_keyid', text: `keyid ${s.keyid} is not a trusted key` });
      continue;
    }
    if (key.state !== 'ENABLED') {
      reasons.push({ code: 'key_disabled', text: `keyid ${s.keyid} is ${key.state}: its signatures are no longer trusted` });
      continue;
    }
    if (verifyPss(key.publicKey, data, Buffer.from(s.sig, 'base64'))) return s.keyid;
    reasons.push({ code: 'signature_invalid', text: `the signature of keyid ${s.keyid} does not match the payload` });
  }
  const worst = REASON_RANK.find((code) => reasons.some((r) => r.code === code)) as RejectionCode;
  throw new ManifestRejectedError(worst, reasons.map((r) => r.text).join('; '));
}
