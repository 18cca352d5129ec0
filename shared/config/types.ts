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
}
