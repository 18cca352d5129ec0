import type { KeyObject } from 'node:crypto';
import type { KeyManagementServiceClient } from '@google-cloud/kms';
import { crc32c } from '../util/crc32c.js';
import { keyIdOf, MANIFEST_ALG, rsaPublicKey, sha256, verifyPss } from './algorithm.js';
import type { PublicKeyEntry } from './envelope.js';
import { SigningError } from './errors.js';
import type { ManifestKeyRing } from './port.js';

/** The part of the KMS client the key ring uses: the real client, pointed at KMS or at a wire fake. */
export type KmsClient = Pick<KeyManagementServiceClient, 'asymmetricSign' | 'getPublicKey' | 'listCryptoKeyVersions' | 'close'>;

export interface KmsKeyRingOptions {
  /** `projects/P/locations/L/keyRings/R/cryptoKeys/K`. */
  keyName: string;
  /** The version that signs (asymmetric keys have no primary in KMS: we name it). */
  primaryVersion: number;
  /** Default: a client on Application Default Credentials, closed by close(). An injected client is the caller's. */
  client?: KmsClient;
  timeoutMs: number;
  /** How long the list of enabled versions is reused. */
  publicKeysCacheMs: number;
  now?: () => number;
}

// The versions whose signatures our verifier (and openssl with -sigopt rsa_padding_mode:pss) can check.
const PSS_SHA256 = new Set(['RSA_SIGN_PSS_2048_SHA256', 'RSA_SIGN_PSS_3072_SHA256', 'RSA_SIGN_PSS_4096_SHA256']);
const PSS_SHA256_NUMBERS = new Map([[2, 'RSA_SIGN_PSS_2048_SHA256'], [3, 'RSA_SIGN_PSS_3072_SHA256'], [4, 'RSA_SIGN_PSS_4096_SHA256']]);

// google.rpc.Code values, as the client reports them in `err.code`.
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const FAILED_PRECONDITION = 9;
const UNAUTHENTICATED = 16;

interface VersionKey {
  name: string;
  keyid: string;
  pem: string;
  publicKey: KeyObject;
}

/**
 * Cloud KMS adapter. Each signature: SHA-256 digest of the canonical payload sent with its CRC32C; the
 * answer is used only when KMS confirms it verified that CRC32C, names the version we asked for, the
 * signature matches its CRC32C, and the signature verifies against the version's public key (itself read
 * with its CRC32C checked). Any mismatch is a SigningError('integrity'): the request fails, nothing is
 * returned or recorded. No client-side retries: the caller (a release pipeline) retries the request.
 */
export async function openKmsKeyRing(opts: KmsKeyRingOptions): Promise<ManifestKeyRing> {
  const ownsClient = opts.client === undefined;
  const client: KmsClient = opts.client ?? (await defaultClient());
  const now = opts.now ?? Date.now;
  const callOptions = { timeout: opts.timeoutMs, retry: null };
  const primaryName = `${opts.keyName}/cryptoKeyVersions/${opts.primaryVersion}`;

  async function readVersionKey(name: string): Promise<VersionKey | undefined> {
    let answer;
    try {
      [answer] = await client.getPublicKey({ name }, callOptions);
    } catch (err) {
      throw failure(err, `reading the public key of ${name}`);
    }
    const pem = answer.pem ?? '';
    if (answer.name !== name) throw new SigningError('integrity', `signing: KMS answered the public key of ${String(answer.name)} when asked for ${name}`);
    if (!int64Equals(answer.pemCrc32c?.value, crc32c(pem))) throw new SigningError('integrity', `signing: the public key of ${name} failed its CRC32C check`);
    if (!isPssSha256(answer.algorithm)) return undefined;
    const publicKey = rsaPublicKey(pem);
    return { name, pem, publicKey, keyid: keyIdOf(publicKey) };
  }

  // A process that cannot sign fails at boot: the primary must exist, be enabled and be RSA-PSS SHA-256.
  const primary = await readVersionKey(primaryName);
  if (!primary) throw new SigningError('misconfigured', `signing: ${primaryName} is not an RSA_SIGN_PSS_*_SHA256 key version`);

  let cached: { at: number; keys: PublicKeyEntry[] } | undefined;
  let listing: Promise<PublicKeyEntry[]> | undefined;

  async function listEnabled(): Promise<PublicKeyEntry[]> {
    let versions;
    try {
      [versions] = await client.listCryptoKeyVersions({ parent: opts.keyName, filter: 'state=ENABLED' }, callOptions);
    } catch (err) {
      throw failure(err, `listing the versions of ${opts.keyName}`);
    }
    const entries: PublicKeyEntry[] = [];
    for (const version of versions) {
      if (!version.name || stateName(version.state) !== 'ENABLED') continue;
      const key = version.name === primaryName ? primary : await readVersionKey(version.name);
      if (!key) continue; // another algorithm: no manifest can carry its signature
      entries.push({ keyid: key.keyid, alg: MANIFEST_ALG, pem: key.pem, state: 'ENABLED', key_version: key.name, primary: key.name === primaryName });
    }
    return entries;
  }

  return {
    kind: 'kms',
    primary: { keyid: primary.keyid, keyVersion: primaryName },
    async sign(data) {
      const digest = sha256(data);
      let answer;
      try {
        [answer] = await client.asymmetricSign({ name: primaryName, digest: { sha256: digest }, digestCrc32c: { value: crc32c(digest) } }, callOptions);
      } catch (err) {
        throw failure(err, `signing with ${primaryName}`);
      }
      if (answer.verifiedDigestCrc32c !== true) throw new SigningError('integrity', 'signing: KMS did not confirm the digest CRC32C (verified_digest_crc32c is false)');
      if (answer.name !== primaryName) throw new SigningError('integrity', `signing: KMS signed with ${String(answer.name)}, not ${primaryName}`);
      const signature = toBuffer(answer.signature);
      if (!int64Equals(answer.signatureCrc32c?.value, crc32c(signature))) throw new SigningError('integrity', 'signing: the signature failed its CRC32C check');
      if (!verifyPss(primary.publicKey, data, signature)) throw new SigningError('integrity', `signing: the signature does not verify against the public key of ${primaryName}`);
      return { keyid: primary.keyid, keyVersion: primaryName, signature };
    },
    async publicKeys() {
      if (cached && now() - cached.at < opts.publicKeysCacheMs) return cached.keys;
      listing ??= listEnabled()
        .then((keys) => {
          cached = { at: now(), keys };
          return keys;
        })
        .finally(() => {
          listing = undefined;
        });
      return listing;
    },
    async close() {
      if (ownsClient) await client.close();
    },
  };
}

async function defaultClient(): Promise<KmsClient> {
  // Loaded only in production: the client takes ~0.5 s to import.
  const { KeyManagementServiceClient } = await import('@google-cloud/kms');
  return new KeyManagementServiceClient();
}

function failure(err: unknown, what: string): SigningError {
  const code = (err as { code?: unknown }).code;
  const detail = (err as { details?: unknown }).details ?? (err as Error).message;
  const message = `signing: ${what} failed (gRPC ${String(code)}: ${String(detail)})`;
  // KMS answers FAILED_PRECONDITION for a version that is disabled, destroyed or scheduled for destruction.
  if (code === FAILED_PRECONDITION) return new SigningError('key_disabled', message, err);
  if (code === NOT_FOUND || code === PERMISSION_DENIED || code === UNAUTHENTICATED) return new SigningError('misconfigured', message, err);
  return new SigningError('unavailable', message, err);
}

/** Int64Value.value arrives as a number, a decimal string or a Long, depending on the client's decoding. */
function int64Equals(value: unknown, expected: number): boolean {
  if (value === null || value === undefined) return false;
  return String(value) === String(expected);
}

function toBuffer(value: Uint8Array | string | null | undefined): Buffer {
  if (value === null || value === undefined) return Buffer.alloc(0);
  return typeof value === 'string' ? Buffer.from(value, 'base64') : Buffer.from(value);
}

function isPssSha256(algorithm: unknown): boolean {
  if (typeof algorithm === 'number') return PSS_SHA256_NUMBERS.has(algorithm);
  return typeof algorithm === 'string' && PSS_SHA256.has(algorithm);
}

function stateName(state: unknown): string {
  if (state === 1 || state === 'ENABLED') return 'ENABLED';
  return String(state);
}
