import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { configSchema } from './schema.js';
import type { Config } from './types.js';

/** Raised when configuration is missing or invalid; its message is the one line the process prints. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Where each environment variable lands in the config object, and how to read it. */
const ENV_FIELDS: Array<{ env: string; path: string[]; kind: 'string' | 'integer' | 'boolean' }> = [
  { env: 'APP_ENV', path: ['appEnv'], kind: 'string' },
  { env: 'PORT', path: ['port'], kind: 'integer' },
  { env: 'LOG_LEVEL', path: ['logLevel'], kind: 'string' },
  { env: 'DATA_DIR', path: ['dataDir'], kind: 'string' },
  { env: 'GOOGLE_CLOUD_PROJECT', path: ['gcpProject'], kind: 'string' },
  { env: 'DATABASE_URL', path: ['databaseUrl'], kind: 'string' },
  { env: 'DB_POOL_MAX', path: ['db', 'poolMax'], kind: 'integer' },
  { env: 'DB_AUTO_MIGRATE', path: ['db', 'autoMigrate'], kind: 'boolean' },
  { env: 'REDIS_URL', path: ['redisUrl'], kind: 'string' },
  { env: 'PUBSUB_PROJECT', path: ['pubsub', 'project'], kind: 'string' },
  { env: 'AUTH_ISSUER', path: ['auth', 'issuer'], kind: 'string' },
  { env: 'AUTH_AUDIENCE', path: ['auth', 'audience'], kind: 'string' },
  { env: 'AUTH_JWKS_URL', path: ['auth', 'jwksUrl'], kind: 'string' },
  { env: 'AUTH_JWKS_FILE', path: ['auth', 'jwksFile'], kind: 'string' },
  { env: 'HTTP_BODY_LIMIT_BYTES', path: ['http', 'bodyLimitBytes'], kind: 'integer' },
  { env: 'VERTEX_PROJECT', path: ['providers', 'vertex', 'project'], kind: 'string' },
  { env: 'VERTEX_LOCATION', path: ['providers', 'vertex', 'location'], kind: 'string' },
  { env: 'VERTEX_BASE_URL', path: ['providers', 'vertex', 'baseUrl'], kind: 'string' },
  { env: 'ANTHROPIC_API_KEY', path: ['providers', 'anthropic', 'apiKey'], kind: 'string' },
  { env: 'ANTHROPIC_BASE_URL', path: ['providers', 'anthropic', 'baseUrl'], kind: 'string' },
  { env: 'OPENAI_API_KEY', path: ['providers', 'openai', 'apiKey'], kind: 'string' },
  { env: 'OPENAI_BASE_URL', path: ['providers', 'openai', 'baseUrl'], kind: 'string' },
  { env: 'ROUTING_DEADLINE_MS', path: ['routing', 'deadlineMs'], kind: 'integer' },
  { env: 'PUSH_AUTH_JWKS_URL', path: ['pushAuth', 'jwksUrl'], kind: 'string' },
  { env: 'PUSH_AUTH_ISSUER', path: ['pushAuth', 'issuer'], kind: 'string' },
  { env: 'PUSH_AUTH_AUDIENCE', path: ['pushAuth', 'audience'], kind: 'string' },
  { env: 'PUSH_AUTH_EMAIL', path: ['pushAuth', 'email'], kind: 'string' },
  { env: 'HITL_TASK_TTL_SECONDS', path: ['hitl', 'taskTtlSeconds'], kind: 'integer' },
  { env: 'RAG_EF_SEARCH', path: ['rag', 'efSearch'], kind: 'integer' },
  { env: 'RAG_SEARCH_POOL_MAX', path: ['rag', 'searchPoolMax'], kind: 'integer' },
  { env: 'SIGNER_KMS_KEY', path: ['signer', 'kmsKeyName'], kind: 'string' },
  { env: 'SIGNER_KMS_PRIMARY_VERSION', path: ['signer', 'kmsPrimaryVersion'], kind: 'integer' },
  { env: 'SIGNER_MAX_VALIDITY_SECONDS', path: ['signer', 'maxValiditySeconds'], kind: 'integer' },
  { env: 'SNAPSHOTS_BUCKET', path: ['snapshots', 'bucket'], kind: 'string' },
];

/** Every environment variable the config reads, for the README's table and for tests. */
export const CONFIG_ENV_VARS = ENV_FIELDS.map((f) => f.env);

const ajv = new Ajv({ allErrors: false, strict: true });
const validate = ajv.compile<Config>(configSchema);

export interface LoadOptions {
  env?: Env;
  /** Folder holding <APP_ENV>.json; defaults to the repository's config/. */
  configDir?: string;
  /** Values that win over both the file and the environment (tests, one-off jobs). */
  overrides?: Record<string, unknown>;
}

export function defaultConfigDir(): string {
  // Works from both the sources (shared/config) and the build (dist/shared/config).
  let dir = path.dirname(new URL(import.meta.url).pathname);
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'config');
    if (existsSync(path.join(candidate, 'dev.json'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new ConfigError('config: cannot find the config/ folder with dev.json');
}

/** Reads env + config/<APP_ENV>.json, validates the result and returns it; throws ConfigError with one line. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const appEnv = env.APP_ENV && env.APP_ENV !== '' ? env.APP_ENV : 'dev';
  if (!/^[a-z]+$/.test(appEnv)) throw new ConfigError(`config: APP_ENV must be one of dev, test, staging, prod (got "${appEnv}")`);
  const dir = opts.configDir ?? defaultConfigDir();
  const file = path.join(dir, `${appEnv}.json`);
  if (!existsSync(file)) throw new ConfigError(`config: APP_ENV=${appEnv} but ${path.relative(process.cwd(), file)} does not exist`);

  // base.json holds what every environment shares (capabilities, prices, defaults); <APP_ENV>.json overrides it.
  const basePath = path.join(dir, 'base.json');
  const base = existsSync(basePath) ? readJson(basePath) : {};
  const merged: Record<string, unknown> = Object.assign({}, deepMerge(base, readJson(file)), { appEnv });
  for (const field of ENV_FIELDS) {
    const raw = env[field.env];
    if (raw === undefined || raw === '') continue;
    setPath(merged, field.path, parseEnvValue(field.env, raw, field.kind));
  }
  for (const [key, value] of Object.entries(opts.overrides ?? {})) setPath(merged, key.split('.'), value);

  // Vertex's project falls back to the runtime's project (Cloud Run sets GOOGLE_CLOUD_PROJECT).
  const vertex = (merged.providers as { vertex?: Record<string, unknown> } | undefined)?.vertex;
  if (vertex && vertex.project === undefined && typeof merged.gcpProject === 'string') vertex.project = merged.gcpProject;
  if (!validate(merged)) throw new ConfigError(describe(validate.errors?.[0]));
  const config = merged as unknown as Config;
  checkCrossFieldRules(config);
  return config;
}

function readJson(file: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`config: ${path.basename(file)} is not valid JSON (${(err as Error).message})`);
  }
}

/** Objects merge key by key; arrays and scalars of the override replace the base's. */
function deepMerge(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? deepMerge(prev, value) : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseEnvValue(name: string, raw: string, kind: 'string' | 'integer' | 'boolean'): unknown {
  if (kind === 'string') return raw;
  if (kind === 'boolean') {
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new ConfigError(`config: ${name} must be true or false (got "${raw}")`);
  }
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`config: ${name} must be an integer (got "${raw}")`);
  return Number(raw);
}

function checkCrossFieldRules(config: Config): void {
  const production = config.appEnv === 'staging' || config.appEnv === 'prod';
  if (production && !config.auth.jwksUrl && !config.auth.jwksFile) {
    throw new ConfigError(`config: AUTH_JWKS_URL (or AUTH_JWKS_FILE) is required when APP_ENV=${config.appEnv}; the dev key pair is for dev and test only`);
  }
  if (production && !config.databaseUrl) {
    throw new ConfigError(`config: DATABASE_URL is required when APP_ENV=${config.appEnv}; the embedded database is for dev and test only`);
  }
  if (config.events.relay.backoffMaxMs < config.events.relay.backoffBaseMs) {
    throw new ConfigError('config: events.relay.backoffMaxMs must be at least events.relay.backoffBaseMs');
  }
}

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  keys.slice(0, -1).forEach((key) => {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  });
  node[keys[keys.length - 1] as string] = value;
}

/** One line naming the field (as env var where one sets it) and what was expected. */
function describe(error: ErrorObject | undefined): string {
  if (!error) return 'config: invalid configuration';
  const segments = error.instancePath.split('/').filter(Boolean);
  if (error.keyword === 'required') segments.push(String(error.params.missingProperty));
  if (error.keyword === 'additionalProperties') segments.push(String(error.params.additionalProperty));
  const dotted = segments.join('.');
  const envField = ENV_FIELDS.find((f) => f.path.join('.') === dotted);
  const name = envField ? `${envField.env} (${dotted})` : dotted || '(root)';
  let expected = error.message ?? 'is invalid';
  if (error.keyword === 'enum') expected = `must be one of ${(error.params.allowedValues as unknown[]).join(', ')}`;
  if (error.keyword === 'additionalProperties') expected = 'is not a known setting';
  if (error.keyword === 'required') expected = 'is required';
  if (error.keyword === 'pattern' && dotted === 'databaseUrl') expected = 'must be a postgres:// URL';
  if (error.keyword === 'pattern' && dotted === 'redisUrl') expected = 'must be a redis:// or rediss:// URL';
  return `config: ${name} ${expected}`;
}

/** For entry points: load the config or print its one-line error and exit 78 (EX_CONFIG). */
export function loadConfigOrExit(opts: LoadOptions = {}): Config {
  try {
    return loadConfig(opts);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
}
