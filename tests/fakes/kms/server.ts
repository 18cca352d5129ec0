import { constants, createPublicKey, generateKeyPairSync, privateEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadGoogleService, serveGrpc } from '../grpc-server.js';
import { crc32c } from '../../../shared/util/crc32c.js';
import { sha256 } from '../../../shared/signing/algorithm.js';

/**
 * A wire fake of Cloud KMS (AsymmetricSign, GetPublicKey, ListCryptoKeyVersions): a gRPC server built from
 * the .proto files @google-cloud/kms ships, so the real KeyManagementServiceClient talks to it unchanged
 * (`apiEndpoint: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure()`). Like KMS it checks the
 * request's digest CRC32C and refuses versions that are not enabled. Switches corrupt each integrity field
 * of the AsymmetricSign answer, and the public key's CRC32C.
 */
export interface KmsCorruption {
  /** Answer verified_digest_crc32c = false. */
  verifiedDigestCrc32c?: boolean;
  /** Answer with another version's name. */
  name?: boolean;
  /** Answer a signature_crc32c that does not match the signature. */
  signatureCrc32c?: boolean;
  /** Leave signature_crc32c out. */
  omitSignatureCrc32c?: boolean;
  /** Flip a bit of the signature, with a CRC32C computed over the flipped bytes (only verification catches it). */
  signature?: boolean;
  /** Answer GetPublicKey with a pem_crc32c that does not match the PEM. */
  pemCrc32c?: boolean;
}

export interface FakeKms {
  port: number;
  /** Creates `keyName/cryptoKeyVersions/<version>` with a fresh RSA key (RSA_SIGN_PSS_2048_SHA256 unless told). */
  addVersion(keyName: string, version: number, opts?: { state?: string; algorithm?: string }): string;
  setState(versionName: string, state: string): void;
  /** The PEM of a version's public key. */
  publicKeyPem(versionName: string): string;
  corrupt(switches: KmsCorruption): void;
  /** The next n calls (any method) fail with this gRPC status. */
  failNext(n: number, code?: grpc.status): void;
  /** AsymmetricSign requests received: the version asked for and whether a digest CRC32C came with it. */
  signCalls(): Array<{ name: string; digestCrc32c: string | null }>;
  stop(): Promise<void>;
}

interface FakeVersion {
  name: string;
  state: string;
  algorithm: string;
  privateKey: KeyObject;
  pem: string;
}

export async function startFakeKms(): Promise<FakeKms> {
  const versions = new Map<string, FakeVersion>();
  const calls: Array<{ name: string; digestCrc32c: string | null }> = [];
  let corruption: KmsCorruption = {};
  let pendingFaults: grpc.status[] = [];

  const fault = (code: grpc.status, details: string): grpc.ServiceError => Object.assign(new Error(details), { code, details, metadata: new grpc.Metadata() });
  const usable = (name: string): FakeVersion | grpc.ServiceError => {
    const injected = pendingFaults.shift();
    if (injected !== undefined) return fault(injected, `fake kms: injected ${grpc.status[injected]}`);
    const version = versions.get(name);
    if (!version) return fault(grpc.status.NOT_FOUND, `${name} not found.`);
    if (version.state !== 'ENABLED') return fault(grpc.status.FAILED_PRECONDITION, `${name} is not enabled, current state is: ${version.state}.`);
    return version;
  };

  const handlers: grpc.UntypedServiceImplementation = {
    AsymmetricSign(call: grpc.ServerUnaryCall<{ name: string; digest?: { sha256?: Buffer }; digestCrc32c?: { value: string } | null }, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const { name, digest, digestCrc32c } = call.request;
      calls.push({ name, digestCrc32c: digestCrc32c?.value ?? null });
      const version = usable(name);
      if (version instanceof Error) return callback(version);
      const hash = digest?.sha256;
      if (!hash || hash.length !== 32) return callback(fault(grpc.status.INVALID_ARGUMENT, 'digest.sha256 must be 32 bytes'));
      // KMS refuses a digest that does not match the CRC32C sent with it.
      if (digestCrc32c && digestCrc32c.value !== String(crc32c(hash))) {
        return callback(fault(grpc.status.INVALID_ARGUMENT, 'The checksum in field digest_crc32c did not match the data in field digest.'));
      }
      let signature = pssSignDigest(version.privateKey, hash);
      if (corruption.signature) {
        signature = Buffer.from(signature);
        signature[signature.length - 1] = (signature[signature.length - 1] as number) ^ 0x01;
      }
      const otherName = name.replace(/\d+$/, (n) => String(Number(n) + 100));
      callback(null, {
        signature,
        signatureCrc32c: corruption.omitSignatureCrc32c ? null : { value: String(corruption.signatureCrc32c ? (crc32c(signature) + 1) >>> 0 : crc32c(signature)) },
        verifiedDigestCrc32c: digestCrc32c ? !corruption.verifiedDigestCrc32c : false,
        name: corruption.name ? otherName : name,
        verifiedDataCrc32c: false,
        protectionLevel: 'SOFTWARE',
      });
    },
    GetPublicKey(call: grpc.ServerUnaryCall<{ name: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const version = usable(call.request.name);
      if (version instanceof Error) return callback(version);
      const crc = crc32c(version.pem);
      callback(null, {
        pem: version.pem,
        pemCrc32c: { value: String(corruption.pemCrc32c ? (crc + 1) >>> 0 : crc) },
        algorithm: version.algorithm,
        name: version.name,
        protectionLevel: 'SOFTWARE',
      });
    },
    ListCryptoKeyVersions(call: grpc.ServerUnaryCall<{ parent: string; filter: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
      const injected = pendingFaults.shift();
      if (injected !== undefined) return callback(fault(injected, `fake kms: injected ${grpc.status[injected]}`));
      const { parent, filter } = call.request;
      const wanted = /^state\s*=\s*(\w+)$/.exec(filter ?? '')?.[1];
      const list = [...versions.values()]
        .filter((v) => v.name.startsWith(`${parent}/cryptoKeyVersions/`))
        .filter((v) => !wanted || v.state === wanted)
        .map((v) => ({ name: v.name, state: v.state, algorithm: v.algorithm, protectionLevel: 'SOFTWARE' }));
      callback(null, { cryptoKeyVersions: list, nextPageToken: '', totalSize: list.length });
    },
  };

  const { port, stop } = await serveGrpc(loadGoogleService('@google-cloud/kms', 'google/cloud/kms/v1/service.proto', 'google.cloud.kms.v1.KeyManagementService'), handlers);

  return {
    port,
    addVersion(keyName, version, opts = {}) {
      const name = `${keyName}/cryptoKeyVersions/${version}`;
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const pem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
      versions.set(name, { name, state: opts.state ?? 'ENABLED', algorithm: opts.algorithm ?? 'RSA_SIGN_PSS_2048_SHA256', privateKey, pem });
      return name;
    },
    setState(versionName, state) {
      const version = versions.get(versionName);
      if (!version) throw new Error(`fake kms: no version ${versionName}`);
      version.state = state;
    },
    publicKeyPem(versionName) {
      const version = versions.get(versionName);
      if (!version) throw new Error(`fake kms: no version ${versionName}`);
      return version.pem;
    },
    corrupt(switches) {
      corruption = { ...switches };
    },
    failNext(n, code = grpc.status.UNAVAILABLE) {
      pendingFaults = Array.from({ length: n }, () => code);
    },
    signCalls: () => [...calls],
    stop,
  };
}

/**
 * RSASSA-PSS over a digest KMS received (RFC 8017 §9.1.1, MGF1-SHA-256, 32-byte salt): node's crypto.sign
 * hashes its input itself, so the encoding is done here and the raw RSA operation by privateEncrypt.
 */
function pssSignDigest(privateKey: KeyObject, digest: Buffer): Buffer {
  const modBits = privateKey.asymmetricKeyDetails?.modulusLength as number;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const salt = randomBytes(32);
  const h = sha256(Buffer.concat([Buffer.alloc(8), digest, salt]));
  const db = Buffer.concat([Buffer.alloc(emLen - salt.length - h.length - 2), Buffer.from([0x01]), salt]);
  const mask = mgf1(h, db.length);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] as number) ^ (mask[i] as number);
  db[0] = (db[0] as number) & (0xff >> (8 * emLen - emBits));
  const em = Buffer.concat([db, h, Buffer.from([0xbc])]);
  const k = Math.ceil(modBits / 8);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, Buffer.concat([Buffer.alloc(k - em.length), em]));
}

function mgf1(seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  for (let counter = 0; blocks.length * 32 < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    blocks.push(sha256(Buffer.concat([seed, c])));
  }
  return Buffer.concat(blocks).subarray(0, length);
}
