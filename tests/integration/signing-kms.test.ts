import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { KeyManagementServiceClient } from '@google-cloud/kms';
import {
  canonicalPayloadBytes,
  isSigningError,
  keyIdOf,
  MANIFEST_ALG,
  openKmsKeyRing,
  parseTrustedKeys,
  verifyManifest,
  type KmsKeyRingOptions,
  type ManifestPayload,
  type SigningError,
} from '../../shared/signing/index.js';
import { crc32c } from '../../shared/util/crc32c.js';
import { sha256 } from '../../shared/signing/algorithm.js';
import { startFakeKms, type FakeKms, type KmsCorruption } from '../fakes/kms/server.js';

// Nothing here may look for Google credentials or the GCE metadata server.
process.env.METADATA_SERVER_DETECTION = 'none';

const KEY = 'projects/test-project/locations/europe-west1/keyRings/edge/cryptoKeys/manifests';
const payload: ManifestPayload = {
  channel: 'stable',
  version: 7,
  expires_at: '2099-01-01T00:00:00Z',
  min_client_version: '3.0.0',
  artifacts: [{ name: 'models/upsell.onnx', version: '1.0.0', sha256: 'e'.repeat(64), size: 1024, uri: 'https://models.example/upsell.onnx' }],
};

let fake: FakeKms;
let client: KeyManagementServiceClient;

beforeEach(async () => {
  fake = await startFakeKms();
  client = new KeyManagementServiceClient({ apiEndpoint: '127.0.0.1', port: fake.port, sslCreds: grpc.credentials.createInsecure() });
});
afterEach(async () => {
  await client.close();
  await fake.stop();
});

const open = (overrides: Partial<KmsKeyRingOptions> = {}) =>
  openKmsKeyRing({ keyName: KEY, primaryVersion: 2, client, timeoutMs: 5000, publicKeysCacheMs: 0, ...overrides });

async function signingFailure(promise: Promise<unknown>): Promise<SigningError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isSigningError(error)) throw new Error(`expected a SigningError, got ${String(error)}`);
  return error;
}

describe('KMS key ring: the real @google-cloud/kms client against the gRPC fake', () => {
  it('signs with the primary version; the signature verifies against the published key', async () => {
    fake.addVersion(KEY, 1);
    const primary = fake.addVersion(KEY, 2);
    const ring = await open();
    const bytes = canonicalPayloadBytes(payload);
    const signed = await ring.sign(bytes);

    expect(signed.keyVersion).toBe(primary);
    expect(signed.keyid).toBe(keyIdOf(fake.publicKeyPem(primary)));
    expect(ring.primary).toEqual({ keyid: signed.keyid, keyVersion: primary });
    // The digest went out with its CRC32C.
    const digest = sha256(bytes);
    expect(fake.signCalls()).toEqual([{ name: primary, digestCrc32c: String(crc32c(digest)) }]);

    const keys = await ring.publicKeys();
    const doc = { payload, signatures: [{ keyid: signed.keyid, alg: MANIFEST_ALG, sig: signed.signature.toString('base64') }] };
    expect(verifyManifest(doc, { keys: parseTrustedKeys(JSON.stringify({ keys })) }).keyid).toBe(signed.keyid);
    await ring.close();
  });

  it.each<{ name: string; corruption: KmsCorruption; message: RegExp }>([
    { name: 'verified_digest_crc32c false', corruption: { verifiedDigestCrc32c: true }, message: /did not confirm the digest CRC32C/ },
    { name: 'another key version name', corruption: { name: true }, message: /signed with .*cryptoKeyVersions\/102, not .*cryptoKeyVersions\/2/ },
    { name: 'a wrong signature_crc32c', corruption: { signatureCrc32c: true }, message: /signature failed its CRC32C check/ },
    { name: 'no signature_crc32c', corruption: { omitSignatureCrc32c: true }, message: /signature failed its CRC32C check/ },
    { name: 'a corrupted signature with a matching CRC32C', corruption: { signature: true }, message: /does not verify against the public key/ },
  ])('refuses an answer with $name (integrity), and signs again once KMS answers correctly', async ({ corruption, message }) => {
    fake.addVersion(KEY, 2);
    const ring = await open();
    fake.corrupt(corruption);
    const err = await signingFailure(ring.sign(Buffer.from('payload')));
    expect(err.kind).toBe('integrity');
    expect(err.message).toMatch(message);
    fake.corrupt({});
    await expect(ring.sign(Buffer.from('payload'))).resolves.toMatchObject({ keyVersion: `${KEY}/cryptoKeyVersions/2` });
  });

  it('refuses to start when the public key of the primary fails its CRC32C check', async () => {
    fake.addVersion(KEY, 2);
    fake.corrupt({ pemCrc32c: true });
    const err = await signingFailure(open());
    expect(err.kind).toBe('integrity');
    expect(err.message).toMatch(/public key of .*\/2 failed its CRC32C check/);
  });

  it('a disabled primary version: refused at start, and refused at signing when disabled later (key_disabled)', async () => {
    const primary = fake.addVersion(KEY, 2, { state: 'DISABLED' });
    const atStart = await signingFailure(open());
    expect(atStart.kind).toBe('key_disabled');
    expect(atStart.message).toContain('is not enabled, current state is: DISABLED');

    fake.setState(primary, 'ENABLED');
    const ring = await open();
    fake.setState(primary, 'DISABLED');
    const atSign = await signingFailure(ring.sign(Buffer.from('payload')));
    expect(atSign.kind).toBe('key_disabled');
  });

  it('publishes every enabled PSS SHA-256 version and marks the primary; disabled and other algorithms are left out', async () => {
    const v1 = fake.addVersion(KEY, 1);
    const v2 = fake.addVersion(KEY, 2);
    fake.addVersion(KEY, 3, { state: 'DISABLED' });
    fake.addVersion(KEY, 4, { algorithm: 'RSA_SIGN_PKCS1_2048_SHA256' });
    fake.addVersion('projects/test-project/locations/europe-west1/keyRings/edge/cryptoKeys/other', 1);
    const ring = await open();
    const keys = await ring.publicKeys();
    expect(keys.map((k) => [k.key_version, k.primary, k.state, k.alg])).toEqual([
      [v1, false, 'ENABLED', MANIFEST_ALG],
      [v2, true, 'ENABLED', MANIFEST_ALG],
    ]);
    expect(keys.map((k) => k.keyid)).toEqual([keyIdOf(fake.publicKeyPem(v1)), keyIdOf(fake.publicKeyPem(v2))]);
  });

  it('refuses a primary of another algorithm at start (misconfigured)', async () => {
    fake.addVersion(KEY, 2, { algorithm: 'EC_SIGN_P256_SHA256' });
    expect((await signingFailure(open())).kind).toBe('misconfigured');
  });

  it('a KMS that does not answer is unavailable, not an integrity failure; a missing key is misconfigured', async () => {
    fake.addVersion(KEY, 2);
    const ring = await open();
    fake.failNext(1, grpc.status.UNAVAILABLE);
    expect((await signingFailure(ring.sign(Buffer.from('x')))).kind).toBe('unavailable');
    expect((await signingFailure(open({ primaryVersion: 9 }))).kind).toBe('misconfigured');
  });
});
