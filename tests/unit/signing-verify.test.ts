import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  canonicalPayloadBytes,
  checkManifestPayload,
  keyIdOf,
  MANIFEST_ALG,
  ManifestRejectedError,
  parseTrustedKeys,
  publicKeyPem,
  signPss,
  TrustedKeysError,
  verifyManifest,
  type ManifestPayload,
  type SignedManifest,
  type TrustedKey,
} from '../../shared/signing/index.js';

const NOW = new Date('2026-12-01T12:00:00Z');

function keyPair(): { privateKey: KeyObject; publicKey: KeyObject; keyid: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyid: keyIdOf(publicKey) };
}

const primary = keyPair();
const other = keyPair();

function payload(overrides: Partial<ManifestPayload> = {}): ManifestPayload {
  return {
    channel: 'stable',
    version: 42,
    expires_at: '2026-12-31T00:00:00Z',
    min_client_version: '3.2.0',
    artifacts: [
      { name: 'models/upsell.onnx', version: '2026.11.3', sha256: 'a'.repeat(64), size: 18_345_112, uri: 'https://models.melmastoon.example/upsell/2026.11.3.onnx' },
      { name: 'models/tokenizer.json', version: '1.4.0', sha256: 'b'.repeat(64), size: 2_114, uri: 'gs://melmastoon-models/tokenizer/1.4.0.json' },
    ],
    ...overrides,
  };
}

function signed(p: ManifestPayload, key = primary): SignedManifest {
  return { payload: p, signatures: [{ keyid: key.keyid, alg: MANIFEST_ALG, sig: signPss(key.privateKey, canonicalPayloadBytes(p)).toString('base64') }] };
}

const trusted: TrustedKey[] = [{ keyid: primary.keyid, publicKey: primary.publicKey, state: 'ENABLED' }];

function rejection(fn: () => unknown): ManifestRejectedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ManifestRejectedError) return err;
    throw err;
  }
  throw new Error('expected the manifest to be rejected');
}

describe('manifest verification', () => {
  it('accepts a manifest signed by a trusted key, above the last accepted version, before its expiry', () => {
    const result = verifyManifest(signed(payload()), { keys: trusted, lastAcceptedVersion: 41, channel: 'stable', now: NOW });
    expect(result.keyid).toBe(primary.keyid);
    expect(result.payload.version).toBe(42);
  });

  it('verifies whatever order the payload keys arrive in (the signature covers the RFC 8785 form)', () => {
    const doc = signed(payload());
    const reordered = JSON.parse(JSON.stringify({ signatures: doc.signatures, payload: Object.fromEntries(Object.entries(doc.payload).reverse()) }));
    expect(verifyManifest(reordered, { keys: trusted, now: NOW }).keyid).toBe(primary.keyid);
  });

  it.each([
    { name: 'the same version', last: 42 },
    { name: 'a lower version', last: 50 },
  ])('refuses a rollback to $name (version_rollback)', ({ last }) => {
    const err = rejection(() => verifyManifest(signed(payload()), { keys: trusted, lastAcceptedVersion: last, now: NOW }));
    expect(err.code).toBe('version_rollback');
    expect(err.message).toContain(`not above the last accepted version ${last}`);
  });

  it('refuses an expired manifest (manifest_expired), even one correctly signed', () => {
    const err = rejection(() => verifyManifest(signed(payload({ expires_at: '2026-12-01T11:59:59Z' })), { keys: trusted, now: NOW }));
    expect(err.code).toBe('manifest_expired');
    expect(err.message).toContain('2026-12-01T11:59:59Z');
  });

  it.each([
    { name: 'an artifact hash', change: (p: ManifestPayload) => ({ ...p, artifacts: [{ ...p.artifacts[0]!, sha256: 'c'.repeat(64) }, p.artifacts[1]!] }) },
    { name: 'the version', change: (p: ManifestPayload) => ({ ...p, version: 43 }) },
    { name: 'the expiry', change: (p: ManifestPayload) => ({ ...p, expires_at: '2027-12-31T00:00:00Z' }) },
    { name: 'an artifact removed', change: (p: ManifestPayload) => ({ ...p, artifacts: [p.artifacts[0]!] }) },
  ])('refuses a tampered payload: $name (signature_invalid)', ({ change }) => {
    const doc = signed(payload());
    const err = rejection(() => verifyManifest({ ...doc, payload: change(doc.payload) }, { keys: trusted, now: NOW }));
    expect(err.code).toBe('signature_invalid');
    expect(err.message).toContain('does not match the payload');
  });

  it('refuses a signature by a key that is not trusted (unknown_keyid)', () => {
    const err = rejection(() => verifyManifest(signed(payload(), other), { keys: trusted, now: NOW }));
    expect(err.code).toBe('unknown_keyid');
    expect(err.message).toContain(other.keyid);
  });

  it('refuses a signature that borrows a trusted keyid but was made by another key (signature_invalid)', () => {
    const doc = signed(payload(), other);
    doc.signatures[0]!.keyid = primary.keyid;
    expect(rejection(() => verifyManifest(doc, { keys: trusted, now: NOW })).code).toBe('signature_invalid');
  });

  it('refuses a signature by a disabled key (key_disabled)', () => {
    const keys = [{ ...trusted[0]!, state: 'DISABLED' }];
    const err = rejection(() => verifyManifest(signed(payload()), { keys, now: NOW }));
    expect(err.code).toBe('key_disabled');
    expect(err.message).toContain('DISABLED');
  });

  it('accepts during a rotation: one signature by a retired key, one by the new key', () => {
    const doc = signed(payload(), other);
    doc.signatures.push(signed(payload()).signatures[0]!);
    expect(verifyManifest(doc, { keys: trusted, now: NOW }).keyid).toBe(primary.keyid);
  });

  it('refuses another algorithm (unsupported_algorithm), another channel (channel_mismatch)', () => {
    const doc = signed(payload());
    expect(rejection(() => verifyManifest({ ...doc, signatures: [{ ...doc.signatures[0]!, alg: 'RS256' }] }, { keys: trusted, now: NOW })).code).toBe('unsupported_algorithm');
    expect(rejection(() => verifyManifest(doc, { keys: trusted, channel: 'beta', now: NOW })).code).toBe('channel_mismatch');
  });

  it.each([
    { name: 'not an object', doc: 'x' },
    { name: 'no signatures', doc: { payload: payload(), signatures: [] } },
    { name: 'a non-base64 sig', doc: { payload: payload(), signatures: [{ keyid: 'k', alg: MANIFEST_ALG, sig: '***' }] } },
  ])('refuses a malformed envelope: $name (envelope_malformed)', ({ doc }) => {
    expect(rejection(() => verifyManifest(doc, { keys: trusted, now: NOW })).code).toBe('envelope_malformed');
  });

  it('refuses a signed payload that is not a valid manifest (payload_invalid)', () => {
    const bad = { ...payload(), extra: true } as unknown as ManifestPayload;
    expect(rejection(() => verifyManifest(signed(bad), { keys: trusted, now: NOW })).code).toBe('payload_invalid');
  });
});

describe('manifest payload schema', () => {
  it.each([
    { name: 'a non-integer version', change: { version: 1.5 }, path: '/version' },
    { name: 'a zero version', change: { version: 0 }, path: '/version' },
    { name: 'a bad expiry', change: { expires_at: 'tomorrow' }, path: '/expires_at' },
    { name: 'a bad min_client_version', change: { min_client_version: 'v3' }, path: '/min_client_version' },
    { name: 'no artifacts', change: { artifacts: [] }, path: '/artifacts' },
    { name: 'an uppercase sha256', change: { artifacts: [{ ...payload().artifacts[0]!, sha256: 'A'.repeat(64) }] }, path: '/artifacts/0/sha256' },
    { name: 'an http uri', change: { artifacts: [{ ...payload().artifacts[0]!, uri: 'http://insecure.example/x' }] }, path: '/artifacts/0/uri' },
    { name: 'a non-ASCII name', change: { artifacts: [{ ...payload().artifacts[0]!, name: 'modèle.onnx' }] }, path: '/artifacts/0/name' },
    { name: 'a repeated artifact name', change: { artifacts: [payload().artifacts[0]!, payload().artifacts[0]!] }, path: '/artifacts/1/name' },
  ])('refuses $name', ({ change, path }) => {
    const result = checkManifestPayload({ ...payload(), ...change });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map((p) => p.path)).toContain(path);
  });
});

describe('trusted keys', () => {
  it('reads a bare PEM and the GET /v1/public-keys document, recomputing every keyid', () => {
    const pem = publicKeyPem(primary.publicKey);
    expect(parseTrustedKeys(pem)).toMatchObject([{ keyid: primary.keyid, state: 'ENABLED' }]);
    const doc = { keys: [{ keyid: primary.keyid, alg: MANIFEST_ALG, pem, state: 'ENABLED' }, { keyid: other.keyid, alg: MANIFEST_ALG, pem: publicKeyPem(other.publicKey), state: 'DISABLED' }] };
    expect(parseTrustedKeys(JSON.stringify(doc)).map((k) => [k.keyid, k.state])).toEqual([[primary.keyid, 'ENABLED'], [other.keyid, 'DISABLED']]);
  });

  it('refuses a keyid that is not the id of its PEM, and text that is no key at all', () => {
    const doc = { keys: [{ keyid: other.keyid, pem: publicKeyPem(primary.publicKey) }] };
    expect(() => parseTrustedKeys(JSON.stringify(doc))).toThrow(TrustedKeysError);
    expect(() => parseTrustedKeys(JSON.stringify(doc))).toThrow(/is not the id of its PEM/);
    expect(() => parseTrustedKeys('hello')).toThrow(/neither a PEM public key nor JSON/);
  });
});
