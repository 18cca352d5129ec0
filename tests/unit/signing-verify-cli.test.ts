import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalPayloadBytes, keyIdOf, MANIFEST_ALG, publicKeyPem, runManifestVerify, signPss } from '../../shared/signing/index.js';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const publicKey = createPublicKey(privateKey);
const keyid = keyIdOf(publicKey);
const NOW = new Date('2026-12-01T12:00:00Z');

let dir: string;
let server: Server;
let keysUrl: string;
const file = (name: string) => path.join(dir, name);

function signedManifest(version: number, channel = 'stable', expires = '2026-12-31T00:00:00Z') {
  const payload = {
    channel,
    version,
    expires_at: expires,
    min_client_version: '3.0.0',
    artifacts: [{ name: 'models/a.onnx', version: '1.0.0', sha256: 'f'.repeat(64), size: 10, uri: 'https://models.example/a.onnx' }],
  };
  return { payload, signatures: [{ keyid, alg: MANIFEST_ALG, sig: signPss(privateKey, canonicalPayloadBytes(payload)).toString('base64') }] };
}

async function run(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runManifestVerify(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), now: () => NOW });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'verify-cli-'));
  const keysDoc = JSON.stringify({ keys: [{ keyid, alg: MANIFEST_ALG, pem: publicKeyPem(publicKey), state: 'ENABLED' }] });
  await writeFile(file('keys.json'), keysDoc);
  await writeFile(file('key.pem'), publicKeyPem(publicKey));
  await writeFile(file('v5.json'), JSON.stringify(signedManifest(5)));
  await writeFile(file('v4.json'), JSON.stringify(signedManifest(4)));
  await writeFile(file('v6.json'), JSON.stringify(signedManifest(6)));
  server = createServer((req, res) => {
    if (req.url === '/v1/public-keys') res.writeHead(200, { 'content-type': 'application/json' }).end(keysDoc);
    else res.writeHead(404).end();
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  keysUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('npm run manifest:verify', () => {
  it('accepts with a keys file, a bare PEM or a keys URL, and prints one JSON line', async () => {
    for (const keys of [file('keys.json'), file('key.pem'), `${keysUrl}/v1/public-keys`]) {
      const result = await run(file('v5.json'), '--keys', keys);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(result.stdout)).toEqual({ ok: true, channel: 'stable', version: 5, keyid, expires_at: '2026-12-31T00:00:00Z', artifacts: 1 });
    }
  });

  it('with --state: accepts a higher version, records it, refuses the same and a lower one, accepts the next', async () => {
    const state = file('state.json');
    expect((await run(file('v5.json'), '--keys', file('keys.json'), '--state', state)).code).toBe(0);
    expect(JSON.parse(await readFile(state, 'utf8'))).toEqual({ channels: { stable: 5 } });
    for (const stale of ['v5.json', 'v4.json']) {
      const refused = await run(file(stale), '--keys', file('keys.json'), '--state', state);
      expect(refused.code).toBe(1);
      expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, code: 'version_rollback' });
    }
    expect(JSON.parse(await readFile(state, 'utf8'))).toEqual({ channels: { stable: 5 } });
    expect((await run(file('v6.json'), '--keys', file('keys.json'), '--state', state)).code).toBe(0);
    expect(JSON.parse(await readFile(state, 'utf8'))).toEqual({ channels: { stable: 6 } });
  });

  it('with --last-version and --channel', async () => {
    expect((await run(file('v5.json'), '--keys', file('keys.json'), '--last-version', '5')).stderr).toContain('manifest rejected: version_rollback');
    expect((await run(file('v5.json'), '--keys', file('keys.json'), '--channel', 'beta')).stderr).toContain('manifest rejected: channel_mismatch');
  });

  it('refuses an expired manifest and a file that is not JSON (exit 1)', async () => {
    await writeFile(file('expired.json'), JSON.stringify(signedManifest(9, 'stable', '2026-11-30T00:00:00Z')));
    expect(await run(file('expired.json'), '--keys', file('keys.json'))).toMatchObject({ code: 1, stderr: expect.stringContaining('manifest_expired') });
    await writeFile(file('garbage.json'), '{"payload":');
    expect(await run(file('garbage.json'), '--keys', file('keys.json'))).toMatchObject({ code: 1, stderr: expect.stringContaining('envelope_malformed') });
  });

  it.each([
    { name: 'no FILE', argv: ['--keys', 'k'], message: 'give exactly one manifest FILE' },
    { name: 'no --keys', argv: ['m.json'], message: '--keys is required' },
    { name: 'an unknown option', argv: ['m.json', '--keys', 'k', '--force'], message: "Unknown option '--force'" },
    { name: 'both --last-version and --state', argv: ['m.json', '--keys', 'k', '--last-version', '1', '--state', 's'], message: 'not both' },
    { name: 'a non-numeric --last-version', argv: ['m.json', '--keys', 'k', '--last-version', 'abc'], message: '--last-version must be a non-negative integer' },
  ])('exits 2 with the usage for $name', async ({ argv, message }) => {
    const result = await run(...argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('usage: npm run manifest:verify');
  });

  it('exits 2 on a missing file, unusable keys, a keys URL that fails, or a broken state file', async () => {
    expect((await run(file('nope.json'), '--keys', file('keys.json'))).stderr).toContain('cannot read');
    await writeFile(file('bad-keys.json'), JSON.stringify({ keys: [{ keyid: 'a'.repeat(64), pem: publicKeyPem(publicKey) }] }));
    const badKeys = await run(file('v5.json'), '--keys', file('bad-keys.json'));
    expect(badKeys).toMatchObject({ code: 2, stderr: expect.stringContaining('is not the id of its PEM') });
    expect(await run(file('v5.json'), '--keys', `${keysUrl}/missing`)).toMatchObject({ code: 2, stderr: expect.stringContaining('answered 404') });
    await writeFile(file('bad-state.json'), JSON.stringify({ channels: { stable: 'five' } }));
    expect(await run(file('v5.json'), '--keys', file('keys.json'), '--state', file('bad-state.json'))).toMatchObject({ code: 2, stderr: expect.stringContaining('is not a client state') });
  });
});
