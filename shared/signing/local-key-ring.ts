import { createPrivateKey, createPublicKey, generateKeyPair, randomUUID, type KeyObject } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { keyIdOf, MANIFEST_ALG, publicKeyPem, signPss, verifyPss } from './algorithm.js';
import type { PublicKeyEntry } from './envelope.js';
import { SigningError } from './errors.js';
import type { ManifestKeyRing } from './port.js';

/**
 * The embedded key ring: RSA-PSS keys in `<dataDir>/signing/`, described by `keyring.json`
 * (`{ "primary": 1, "versions": [{ "version": 1, "state": "ENABLED" }] }`). A listed version without its
 * `key-<n>.pem` is generated on open, so rotating is: add a version, make it primary, restart; and
 * withdrawing a key is: set its state to `DISABLED`. Production uses Cloud KMS instead (kms-key-ring.ts).
 */
export interface LocalKeyRingOptions {
  dataDir: string;
  /** 3072 like the KMS key; tests may use 2048 to save time. */
  modulusLength?: number;
}

interface KeyRingFile {
  primary: number;
  versions: Array<{ version: number; state: string }>;
}

interface LocalVersion {
  version: number;
  state: string;
  privateKey?: KeyObject;
  publicKey?: KeyObject;
  keyid?: string;
}

const generate = promisify(generateKeyPair);

export async function openLocalKeyRing(opts: LocalKeyRingOptions): Promise<ManifestKeyRing> {
  const dir = path.resolve(opts.dataDir, 'signing');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ring = await readOrCreateRingFile(path.join(dir, 'keyring.json'));
  const versions: LocalVersion[] = [];
  for (const v of ring.versions) {
    if (v.state !== 'ENABLED') {
      versions.push({ version: v.version, state: v.state });
      continue;
    }
    const privateKey = await readOrCreateKey(path.join(dir, `key-${v.version}.pem`), opts.modulusLength ?? 3072);
    const publicKey = createPublicKey(privateKey);
    versions.push({ version: v.version, state: v.state, privateKey, publicKey, keyid: keyIdOf(publicKey) });
  }
  const primary = versions.find((v) => v.version === ring.primary);
  if (!primary) throw new SigningError('misconfigured', `signing: keyring.json names primary version ${ring.primary}, which it does not list`);
  if (primary.state !== 'ENABLED') {
    throw new SigningError('key_disabled', `signing: the primary key version local:${primary.version} is ${primary.state}; make an enabled version primary`);
  }

  return {
    kind: 'local',
    primary: { keyid: primary.keyid as string, keyVersion: `local:${primary.version}` },
    async sign(data) {
      const signature = signPss(primary.privateKey as KeyObject, data);
      if (!verifyPss(primary.publicKey as KeyObject, data, signature)) {
        throw new SigningError('integrity', `signing: the signature of local:${primary.version} does not verify`);
      }
      return { keyid: primary.keyid as string, keyVersion: `local:${primary.version}`, signature };
    },
    async publicKeys(): Promise<PublicKeyEntry[]> {
      return versions
        .filter((v) => v.state === 'ENABLED')
        .map((v) => ({
          keyid: v.keyid as string,
          alg: MANIFEST_ALG,
          pem: publicKeyPem(v.publicKey as KeyObject),
          state: 'ENABLED',
          key_version: `local:${v.version}`,
          primary: v === primary,
        }));
    },
    async close() {},
  };
}

async function readOrCreateRingFile(file: string): Promise<KeyRingFile> {
  const initial: KeyRingFile = { primary: 1, versions: [{ version: 1, state: 'ENABLED' }] };
  const text = await readOrCreate(file, `${JSON.stringify(initial, null, 2)}\n`, 0o600);
  let ring: KeyRingFile;
  try {
    ring = JSON.parse(text) as KeyRingFile;
  } catch {
    throw new SigningError('misconfigured', `signing: ${file} is not valid JSON`);
  }
  const valid =
    Number.isInteger(ring.primary) &&
    Array.isArray(ring.versions) &&
    ring.versions.every((v) => Number.isInteger(v?.version) && v.version > 0 && typeof v.state === 'string');
  if (!valid) throw new SigningError('misconfigured', `signing: ${file} must be { primary: n, versions: [{ version: n, state: "ENABLED" | "DISABLED" }] }`);
  return ring;
}

async function readOrCreateKey(file: string, modulusLength: number): Promise<KeyObject> {
  const existing = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing !== undefined) return createPrivateKey(existing);
  const { privateKey } = await generate('rsa', { modulusLength });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return createPrivateKey(await readOrCreate(file, pem, 0o600));
}

/**
 * Publishes `content` at `file` unless it exists, and returns what the file holds. The content is written
 * to a temporary file and linked into place, so a racing process never reads a half-written key: the
 * first link wins and the other process reads the winner's.
 */
async function readOrCreate(file: string, content: string, mode: number): Promise<string> {
  const temp = `${file}.${process.pid}.${randomUUID()}.tmp`;
  await writeFile(temp, content, { flag: 'wx', mode });
  try {
    await link(temp, file);
    return content;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readFile(file, 'utf8');
  } finally {
    await unlink(temp);
  }
}
