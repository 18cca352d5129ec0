import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import { TENANT_ID_PATTERN } from './principal.js';

/** Where the dev key pair lives; the JWKS file is what the verifier reads when no issuer is configured. */
export interface DevKeys {
  /** `<dataDir>/auth/dev-signing-key.json`: the private JWK (mode 0600). */
  privateKeyPath: string;
  /** `<dataDir>/auth/dev-jwks.json`: the public key as a JWKS. */
  jwksPath: string;
  kid: string;
}

const ALG = 'ES256';

/** Creates the dev ES256 key pair under `<dataDir>/auth` unless it exists; safe to call from several processes at once. */
export async function ensureDevKeys(dataDir: string): Promise<DevKeys> {
  return (await loadOrCreate(dataDir)).keys;
}

export interface MintDevTokenOptions {
  dataDir: string;
  tenant: string;
  /** Space-separated, or a list. */
  scope: string | readonly string[];
  /** Defaults to `dev-user`. */
  subject?: string;
  /** Defaults to one hour. */
  ttlSeconds?: number;
  issuer: string;
  audience: string;
}

/** Signs a JWT with the dev key (creating the key pair on first use). For dev and test only. */
export async function mintDevToken(opts: MintDevTokenOptions): Promise<string> {
  if (!TENANT_ID_PATTERN.test(opts.tenant)) throw new Error(`tenant must match ${TENANT_ID_PATTERN}`);
  const ttl = opts.ttlSeconds ?? 3600;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('ttlSeconds must be a positive integer');
  const scopes = typeof opts.scope === 'string' ? opts.scope.split(/\s+/) : [...opts.scope];

  const { keys, privateJwk } = await loadOrCreate(opts.dataDir);
  const signingKey = await importJWK(privateJwk, ALG);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tenant_id: opts.tenant, scope: scopes.filter(Boolean).join(' ') })
    .setProtectedHeader({ alg: ALG, kid: keys.kid, typ: 'JWT' })
    .setSubject(opts.subject ?? 'dev-user')
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .setJti(randomUUID())
    .sign(signingKey);
}

async function loadOrCreate(dataDir: string): Promise<{ keys: DevKeys; privateJwk: JWK }> {
  const dir = path.resolve(dataDir, 'auth');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const privateKeyPath = path.join(dir, 'dev-signing-key.json');
  const jwksPath = path.join(dir, 'dev-jwks.json');

  const privateJwk = (await readPrivateJwk(privateKeyPath)) ?? (await createPrivateJwk(privateKeyPath));
  const { d: _private, ...publicJwk } = privateJwk;
  const jwksText = `${JSON.stringify({ keys: [publicJwk] }, null, 2)}\n`;
  const existing = await readFile(jwksPath, 'utf8').catch(() => null);
  if (existing !== jwksText) await writeAtomically(jwksPath, jwksText);
  return { keys: { privateKeyPath, jwksPath, kid: privateJwk.kid as string }, privateJwk };
}

async function readPrivateJwk(file: string): Promise<JWK | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let jwk: JWK | undefined;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch {
    jwk = undefined;
  }
  const complete = jwk && jwk.kty === 'EC' && jwk.crv === 'P-256' && [jwk.d, jwk.x, jwk.y, jwk.kid].every((v) => typeof v === 'string');
  if (!complete) throw new Error(`auth: ${file} is not an ES256 private JWK with a kid; delete it to create a new dev key pair`);
  return jwk as JWK;
}

/** Publishes the new key with link(), which fails if another process got there first; theirs then wins. */
async function createPrivateJwk(file: string): Promise<JWK> {
  const { publicKey, privateKey } = await generateKeyPair(ALG, { extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  const jwk: JWK = Object.assign(await exportJWK(privateKey), { kid, alg: ALG, use: 'sig' });
  const temp = tempName(file);
  await writeFile(temp, `${JSON.stringify(jwk, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    await link(temp, file);
    return jwk;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return (await readPrivateJwk(file)) as JWK;
  } finally {
    await unlink(temp);
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = tempName(file);
  await writeFile(temp, text, { mode: 0o644 });
  await rename(temp, file);
}

function tempName(file: string): string {
  return `${file}.${process.pid}.${randomUUID()}.tmp`;
}
