import { spawn, spawnSync } from 'node:child_process';
import { createPublicKey, verify, constants } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { mintDevToken } from '../../shared/auth/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { canonicalPayloadBytes } from '../../shared/signing/index.js';
import { startService, type RunningService } from '../support/service.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

const config = loadConfig({ env: { APP_ENV: 'test' } });
const hasTool = (name: string) => spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0;

interface Signed {
  payload: { channel: string; version: number };
  signatures: Array<{ keyid: string; alg: string; sig: string }>;
}

/** The manifest signer as a process (embedded local key ring), and a client verifying what it signs. */
describe('manifest signer service and manifest:verify', () => {
  let db: TestDatabase;
  let svc: RunningService;
  let work: string;
  let signed: Signed;
  const w = (file: string) => path.join(work, file);

  const manifest = (version: number) => ({
    channel: 'stable',
    version,
    expires_at: new Date(Date.now() + 7 * 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    min_client_version: '3.0.0',
    artifacts: [{ name: 'models/upsell.onnx', version: '2026.11.3', sha256: 'a'.repeat(64), size: 18_345_112, uri: 'https://models.example/upsell.onnx' }],
  });

  async function sign(body: unknown) {
    const token = await mintDevToken({ dataDir: svc.dataDir, tenant: 'platform', scope: 'manifest.sign', subject: 'release-pipeline', issuer: config.auth.issuer, audience: config.auth.audience });
    const res = await fetch(`${svc.url}/v1/manifests:sign`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as unknown };
  }

  function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      // From the repository (where tsx resolves); files are given as absolute paths.
      const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/manifest-verify.ts', ...args]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  beforeAll(async () => {
    db = await testDatabase();
    svc = await startService({ entry: 'dist/services/manifest-signer/main.js', env: { DATABASE_URL: db.url, REDIS_URL: '' } });
    work = await mkdtemp(path.join(tmpdir(), 'manifest-verify-'));
    const res = await sign(manifest(1));
    expect(res.status).toBe(200);
    signed = res.body as Signed;
    await writeFile(path.join(work, 'signed.json'), JSON.stringify(signed, null, 2));
    await writeFile(path.join(work, 'public-keys.json'), await (await fetch(`${svc.url}/v1/public-keys`)).text());
  });

  afterAll(async () => {
    await svc?.stop();
    await db?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('starts on the local key ring and names its primary key', () => {
    const listening = svc.logs.find((l) => l.message === 'listening');
    expect(listening).toMatchObject({ key_ring: 'local', primary_keyid: signed.signatures[0]!.keyid, primary_key_version: 'local:1' });
  });

  it('the CLI accepts the manifest with keys fetched from the signer, records it in the state file, then refuses a replay', async () => {
    const keysUrl = `${svc.url}/v1/public-keys`;
    const ok = await cli([w('signed.json'), '--keys', keysUrl, '--state', w('state.json'), '--channel', 'stable']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ ok: true, channel: 'stable', version: 1, keyid: signed.signatures[0]!.keyid, expires_at: (signed.payload as { expires_at?: string }).expires_at, artifacts: 1 });
    expect(JSON.parse(await readFile(path.join(work, 'state.json'), 'utf8'))).toEqual({ channels: { stable: 1 } });

    const replay = await cli([w('signed.json'), '--keys', w('public-keys.json'), '--state', w('state.json')]);
    expect(replay.code).toBe(1);
    expect(replay.stderr).toContain('manifest rejected: version_rollback: version 1 of channel "stable" is not above the last accepted version 1');
  });

  it('the CLI refuses a tampered manifest (exit 1, signature_invalid) and bad arguments (exit 2)', async () => {
    await writeFile(path.join(work, 'tampered.json'), JSON.stringify({ ...signed, payload: { ...signed.payload, version: 99 } }));
    const tampered = await cli([w('tampered.json'), '--keys', w('public-keys.json')]);
    expect(tampered.code).toBe(1);
    expect(JSON.parse(tampered.stdout)).toMatchObject({ ok: false, code: 'signature_invalid' });

    const usage = await cli([w('signed.json')]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--keys is required');
  });

  it("verifies with plain openssl, running the README's recipe", async () => {
    const readme = await readFile('README.md', 'utf8');
    const recipe = /<!-- openssl-recipe[^>]*-->\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(recipe).toBeDefined();
    const keyid = signed.signatures[0]!.keyid;
    const run = (script: string) => spawnSync('sh', ['-e', '-c', script], { cwd: work, encoding: 'utf8' });

    if (!hasTool('openssl')) {
      // No openssl here: check the same bytes the recipe hands to openssl with node's own RSA-PSS.
      const pem = (JSON.parse(await readFile(path.join(work, 'public-keys.json'), 'utf8')) as { keys: Array<{ pem: string }> }).keys[0]!.pem;
      const ok = verify('sha256', canonicalPayloadBytes(signed.payload), { key: createPublicKey(pem), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(signed.signatures[0]!.sig, 'base64'));
      expect(ok).toBe(true);
      return;
    }
    let script = recipe!;
    if (!hasTool('jq')) {
      // Without jq, write the files the jq lines would produce, and run the recipe's openssl lines.
      const keys = JSON.parse(await readFile(path.join(work, 'public-keys.json'), 'utf8')) as { keys: Array<{ keyid: string; pem: string }> };
      await writeFile(path.join(work, 'pub.pem'), keys.keys.find((k) => k.keyid === keyid)!.pem);
      await writeFile(path.join(work, 'sig.bin'), Buffer.from(signed.signatures[0]!.sig, 'base64'));
      await writeFile(path.join(work, 'payload.json'), canonicalPayloadBytes(signed.payload));
      script = recipe!.split('\n').filter((line) => line.startsWith('openssl') && !line.includes('| cut')).join('\n');
    } else {
      expect(run("jq -cjS '.payload' signed.json").stdout).toBe(canonicalPayloadBytes(signed.payload).toString('utf8'));
    }
    const good = run(script);
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('Verified OK');
    if (hasTool('jq')) expect(good.stdout.split('\n')).toContain(keyid);

    // The same recipe over a tampered payload fails.
    const tamperedPayload = Buffer.from(canonicalPayloadBytes({ ...signed.payload, version: 2 }));
    if (hasTool('jq')) await writeFile(path.join(work, 'signed.json'), JSON.stringify({ ...signed, payload: { ...signed.payload, version: 2 } }));
    else await writeFile(path.join(work, 'payload.json'), tamperedPayload);
    const bad = run(script);
    expect(bad.status).not.toBe(0);
    expect(`${bad.stdout}${bad.stderr}`).toContain('Verification failure');
    await writeFile(path.join(work, 'signed.json'), JSON.stringify(signed, null, 2));
  });

  it('the stored manifest names who asked and the key version; a replayed version is 409', async () => {
    const { rows } = await db.pool.query('SELECT channel, version, requested_by, key_version FROM manifests');
    expect(rows).toEqual([{ channel: 'stable', version: 1, requested_by: 'release-pipeline', key_version: 'local:1' }]);
    expect(await sign(manifest(1))).toMatchObject({ status: 409, body: { code: 'version_not_increasing' } });
  });

  it('SIGTERM ends the process cleanly', async () => {
    expect(await svc.stop()).toBe(0);
  });
});

it('refuses to start with SIGNER_KMS_KEY but no primary version (exit 78, one line)', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'signer-config-'));
  try {
    const run = spawnSync(process.execPath, ['dist/services/manifest-signer/main.js'], {
      env: { ...process.env, APP_ENV: 'test', DATA_DIR: dataDir, DATABASE_URL: inject('databaseUrl'), SIGNER_KMS_KEY: 'projects/p/locations/l/keyRings/r/cryptoKeys/k' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(78);
    expect(run.stderr.trim()).toBe('config: SIGNER_KMS_PRIMARY_VERSION is required with SIGNER_KMS_KEY (the key version that signs)');
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
