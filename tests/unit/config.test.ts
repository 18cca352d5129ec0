import { mkdtempSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig, ConfigError, defaultConfigDir } from '../../shared/config/index.js';

const load = (env: Record<string, string>) => loadConfig({ env });

describe('config', () => {
  it('loads config/dev.json by default with embedded defaults', () => {
    const config = load({});
    expect(config.appEnv).toBe('dev');
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.events.topics.inference).toBe('melmastoon.ai_orchestrator.inference.events.v1');
    expect(config.events.topics.inferenceRequests).toBe('melmastoon.ai_orchestrator.commands.inference_request.v1');
    expect(config.auth.clockToleranceSeconds).toBe(30);
  });

  it('environment files override base.json; prod keeps the shared capabilities', () => {
    const prod = loadConfig({ env: { APP_ENV: 'prod', DATABASE_URL: 'postgres://h/db', AUTH_JWKS_URL: 'https://i/jwks' } });
    expect(prod.db.poolMax).toBe(20);
    expect(prod.db.autoMigrate).toBe(false);
    expect(prod.db.statementTimeoutMs).toBe(15000);
    expect(Object.keys(prod.capabilities)).toEqual(['reservation.upsell_offer', 'notification.guest_message_draft', 'support.policy_answer']);
    expect(load({ GOOGLE_CLOUD_PROJECT: 'p1' }).providers.vertex.project).toBe('p1');
    expect(load({ GOOGLE_CLOUD_PROJECT: 'p1', VERTEX_PROJECT: 'p2' }).providers.vertex.project).toBe('p2');
  });

  it('environment variables win over the file, typed', () => {
    const config = load({ PORT: '9090', DATABASE_URL: 'postgres://u@h:5432/db', REDIS_URL: 'redis://h:6379', DB_POOL_MAX: '4', DB_AUTO_MIGRATE: 'false' });
    expect(config.port).toBe(9090);
    expect(config.databaseUrl).toBe('postgres://u@h:5432/db');
    expect(config.redisUrl).toBe('redis://h:6379');
    expect(config.db.poolMax).toBe(4);
    expect(config.db.autoMigrate).toBe(false);
  });

  it.each([
    [{ PORT: 'eighty' }, 'config: PORT must be an integer (got "eighty")'],
    [{ PORT: '70000' }, 'config: PORT (port) must be <= 65535'],
    [{ DB_POOL_MAX: '0' }, 'config: DB_POOL_MAX (db.poolMax) must be >= 1'],
    [{ DATABASE_URL: 'mysql://x' }, 'config: DATABASE_URL (databaseUrl) must be a postgres:// URL'],
    [{ REDIS_URL: 'localhost:6379' }, 'config: REDIS_URL (redisUrl) must be a redis:// or rediss:// URL'],
    [{ LOG_LEVEL: 'loud' }, 'config: LOG_LEVEL (logLevel) must be one of trace, debug, info, warn, error, fatal, silent'],
    [{ DB_AUTO_MIGRATE: 'yes' }, 'config: DB_AUTO_MIGRATE must be true or false (got "yes")'],
    [{ APP_ENV: 'qa' }, 'config: APP_ENV=qa but config/qa.json does not exist'],
    [{ APP_ENV: 'prod', DATABASE_URL: 'postgres://h/db' }, 'config: AUTH_JWKS_URL (or AUTH_JWKS_FILE) is required when APP_ENV=prod'],
    [{ APP_ENV: 'prod', AUTH_JWKS_URL: 'https://issuer/jwks' }, 'config: DATABASE_URL is required when APP_ENV=prod'],
  ])('refuses %j with one line naming the field', (env, message) => {
    expect(() => load(env as Record<string, string>)).toThrow(ConfigError);
    expect(() => load(env as Record<string, string>)).toThrow(message);
  });

  it('names a missing or unknown setting of the files', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
    const base = readBase() as { auth: Record<string, unknown> };
    delete base.auth.audience;
    writeFileSync(path.join(dir, 'base.json'), JSON.stringify(base));
    writeFileSync(path.join(dir, 'dev.json'), '{}');
    expect(() => loadConfig({ env: {}, configDir: dir })).toThrow('config: AUTH_AUDIENCE (auth.audience) is required');
    writeFileSync(path.join(dir, 'dev.json'), JSON.stringify({ auth: { audience: 'a', colour: 'blue' } }));
    expect(() => loadConfig({ env: {}, configDir: dir })).toThrow('config: auth.colour is not a known setting');
    writeFileSync(path.join(dir, 'dev.json'), JSON.stringify({ auth: { audience: 'a' }, capabilities: { 'bad key': {} } }));
    expect(() => loadConfig({ env: {}, configDir: dir })).toThrow(/config: capabilities/);
    writeFileSync(path.join(dir, 'dev.json'), '{ not json');
    expect(() => loadConfig({ env: {}, configDir: dir })).toThrow(/config: dev.json is not valid JSON/);
  });

  it('every shipped environment file is valid', () => {
    for (const appEnv of ['dev', 'test', 'staging', 'prod']) {
      const dir = mkdtempSync(path.join(tmpdir(), 'cfg-'));
      copyFileSync(path.join(defaultConfigDir(), `${appEnv}.json`), path.join(dir, `${appEnv}.json`));
      copyFileSync(path.join(defaultConfigDir(), 'base.json'), path.join(dir, 'base.json'));
      const config = loadConfig({ env: { APP_ENV: appEnv, DATABASE_URL: 'postgres://h/db', AUTH_JWKS_URL: 'https://i/jwks' }, configDir: dir });
      expect(config.appEnv).toBe(appEnv);
    }
  });

  it('a process started with a bad value exits 78 printing only that line', () => {
    let status = 0;
    let stderr = '';
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'jobs/migrate/main.ts'], { env: { ...process.env, PORT: 'x', DATABASE_URL: '' }, stdio: 'pipe' });
    } catch (err) {
      const e = err as { status: number; stderr: Buffer };
      status = e.status;
      stderr = e.stderr.toString();
    }
    expect(status).toBe(78);
    expect(stderr.trim()).toBe('config: PORT must be an integer (got "x")');
  });
});

function readBase(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(defaultConfigDir(), 'base.json'), 'utf8')) as Record<string, unknown>;
}
