import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJwtVerifier } from '../../shared/auth/index.js';
import { loadConfig } from '../../shared/config/index.js';
import { createLogger } from '../../shared/telemetry/index.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'auth-token-cli-'));
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** The environment `npm run token` sees, minus anything of ours that would change its config. */
function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, APP_ENV: 'test', DATA_DIR: dataDir };
  return { ...env, ...extra };
}

function runTokenCli(args: string[], extraEnv: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/token.ts', ...args], { cwd: repoRoot, env: cliEnv(extraEnv) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run token', () => {
  it('prints exactly one JWT line that the verifier accepts', async () => {
    const { code, stdout, stderr } = await runTokenCli(['--tenant', 't1', '--scope', 'ai.invoke']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);

    const config = loadConfig({ env: { APP_ENV: 'test', DATA_DIR: dataDir } });
    const verifier = await createJwtVerifier({ auth: config.auth, dataDir, appEnv: 'test', logger: createLogger({ level: 'silent' }) });
    try {
      const principal = await verifier.verify(stdout.trim());
      expect(principal.tenantId).toBe('t1');
      expect([...principal.scopes]).toEqual(['ai.invoke']);
    } finally {
      verifier.close();
    }
  });

  it('exits 2 with a usage line on stderr when --tenant is missing', async () => {
    const { code, stdout, stderr } = await runTokenCli(['--scope', 'ai.invoke']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('--tenant is required');
    expect(stderr).toMatch(/^usage: npm run token -- --tenant/m);
  });

  it('refuses to mint in prod', async () => {
    const { code, stdout, stderr } = await runTokenCli(['--tenant', 't1', '--scope', 'ai.invoke'], { APP_ENV: 'prod' });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('refusing to mint a dev token when APP_ENV=prod');
  });
});
