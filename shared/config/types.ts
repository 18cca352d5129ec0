import type { CapabilityDefinition, ChainLink } from '../capabilities/types.js';
import type { ProviderName } from '../providers/port.js';

export type AppEnv = 'dev' | 'test' | 'staging' | 'prod';

export interface EventTopics {
  inference: string;
  eval: string;
  hitl: string;
  budget: string;
  inferenceRequests: string;
}

export interface RelaySettings {
  batchSize: number;
  idleIntervalMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  publishTimeoutMs: number;
  leaseSeconds: number;
}

export interface Config {
  appEnv: AppEnv;
  port: number;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  dataDir: string;
  gcpProject?: string;
  /** Unset: the embedded PGlite server in dataDir. */
  databaseUrl?: string;
  /** Unset: the in-memory key/value adapter. */
  redisUrl?: string;
  db: { poolMax: number; statementTimeoutMs: number; autoMigrate: boolean };
  auth: {
    issuer: string;
    audience: string;
    jwksUrl?: string;
    jwksFile?: string;
    jwksRefreshSeconds: number;
    clockToleranceSeconds: number;
  };
  http: { bodyLimitBytes: number; shutdownGraceMs: number };
  /** Unset: the in-process event bus. */
  pubsub: { project?: string };
  events: { source: string; topics: EventTopics; relay: RelaySettings };
  /** Keyed by capability key; `key` is filled in by the capability registry. */
  capabilities: Record<string, Omit<CapabilityDefinition, 'key'>>;
  /** `provider:model` → integer micro-dollars per million tokens. */
  prices: Record<string, { inputMicrosPerMTok: number; outputMicrosPerMTok: number }>;
  tenantDefaults: {
    allowedProviders: ProviderName[];
    budgets: Array<{ period: 'daily' | 'monthly'; capability: string | null; limitMicros: number }>;
    rateLimits: { requestsPerMinute: number; tokensPerMinute: number };
  };
  providers: {
    /** Enabled when `project` (VERTEX_PROJECT, else GOOGLE_CLOUD_PROJECT) is set; `location` is pinned. */
    vertex: { project?: string; location: string; baseUrl?: string };
    /** Enabled when ANTHROPIC_API_KEY is set. */
    anthropic: { apiKey?: string; baseUrl?: string };
    /** Enabled when OPENAI_API_KEY is set. */
    openai: { apiKey?: string; baseUrl?: string };
    byok: { secretNamePattern: string; cacheTtlSeconds: number };
    embeddings: { model: string; dimensions: number };
  };
  routing: {
    /** Overall deadline of one request across every link and retry. */
    deadlineMs: number;
    retryJitterMs: number;
    flagsRefreshSeconds: number;
    breaker: { errorThresholdPercentage: number; volumeThreshold: number; resetTimeoutMs: number; rollingCountTimeoutMs: number };
  };
}

export type { ChainLink };
