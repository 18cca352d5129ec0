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
  /**
   * A wake (a commit that enqueued events) starts the next round no sooner than this after the last one
   * ended, so that under steady traffic one round publishes the events of many calls. 0 (the default):
   * at once.
   */
  minRoundGapMs?: number;
  /**
   * How long after a row was written every transaction that wrote an outbox row has surely ended (longer
   * than any such transaction; default 60 s): the relay's scan floor rises only over rows that old (see
   * shared/events/scan-floor.ts).
   */
  settledAfterMs?: number;
  /** Every so often a relay round reads from the first row anyway, a safety net under the floor (default 300 s). */
  fullScanIntervalMs?: number;
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
  /**
   * The OIDC token Pub/Sub push requests carry. jwksUrl unset: Google's certificates in staging/prod, the
   * embedded push key in dataDir/auth in dev/test. audience/email are required in staging/prod.
   */
  pushAuth: { issuer: string; jwksUrl?: string; audience?: string; email?: string };
  /** Async inference commands pushed by Pub/Sub. */
  asyncInference: {
    /** The subscription's dead-letter policy: the delivery that finds a transient fault on this attempt answers with a failure event instead of 5xx. */
    maxDeliveryAttempts: number;
    /** How long a delivery holds a command before a redelivery may take it over (above the routing deadline). */
    claimLeaseSeconds: number;
    /** How long a duplicate delivery waits for the one running the command before answering 503. */
    waitTimeoutMs: number;
    /** How long answered messages and finished requests are remembered (above Pub/Sub's 7-day redelivery window). */
    dedupeRetentionSeconds: number;
    pruneIntervalSeconds: number;
  };
  /** Human review tasks. */
  hitl: { taskTtlSeconds: number; sweepIntervalSeconds: number };
  events: {
    source: string;
    topics: EventTopics;
    relay: RelaySettings;
    /** Published outbox rows are kept this long after they were written, then pruned every `pruneIntervalSeconds`. */
    outboxRetention: { retentionSeconds: number; pruneIntervalSeconds: number };
  };
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
  /** RAG: hybrid retrieval (orchestrator) and chunking/embedding (rag-ingestor job). */
  rag: {
    /** Corpora searched when a request names none (and by RAG capabilities). */
    corpora: string[];
    /** Chunks put into a RAG capability's prompt. */
    topK: number;
    /** Candidates taken from each of vector and full-text search before rank fusion. */
    candidates: number;
    /** hnsw.ef_search (RAG_EF_SEARCH). */
    efSearch: number;
    /**
     * Connections of the orchestrator's pool for retrieval searches (RAG_SEARCH_POOL_MAX), apart from its
     * main pool so that the search's session settings stay off the connections that record calls. Fewer
     * than the retrieval calls in flight queues them (infra/settings.ts says what that cost).
     */
    searchPoolMax: number;
    chunking: { maxTokens: number; overlapTokens: number };
    ingest: {
      embedBatchSize: number;
      concurrency: number;
      /**
       * A tenant's first ingest of at least `minDocuments` documents loads its chunks without indexes and builds
       * them once, with `maintenanceWorkMemMb` of memory for the build (shared/rag/bulk-load.ts).
       */
      bulkLoad: { minDocuments: number; maintenanceWorkMemMb: number };
    };
  };
  /** The manifest-signer service (services/manifest-signer). */
  signer: {
    /** Set: sign with Cloud KMS (this crypto key; kmsPrimaryVersion signs). Unset: the local key ring in dataDir. */
    kmsKeyName?: string;
    kmsPrimaryVersion?: number;
    /** Largest accepted `expires_at - now` of a manifest. */
    maxValiditySeconds: number;
    kmsTimeoutMs: number;
    /** How long GET /v1/public-keys reuses KMS's list of enabled versions. */
    publicKeysCacheSeconds: number;
  };
  /** Tenant snapshots for desktop clients. */
  snapshots: {
    /** Set: V4 signed URLs of this Cloud Storage bucket. Unset: files in dataDir behind HMAC-signed URLs. */
    bucket?: string;
    /** Object name prefix of a tenant's snapshots; `{tenant}` is replaced. */
    objectPrefix: string;
    urlTtlSeconds: number;
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
