import { parseIngestArgs } from '../jobs/rag-ingestor/args.js';

/**
 * Stack settings: what differs between staging and prod (project, regions, image, sizes, edge policy).
 * Read from the stack file (Pulumi.<stack>.yaml, keys `ai-orchestrator:<name>`) and checked here, so a
 * typo fails `pulumi preview` with one line naming the key instead of surfacing as a cloud API error.
 */
export type Environment = 'staging' | 'prod';

export interface OrchestratorSizing {
  cpu: string;
  memory: string;
  concurrency: number;
  minInstances: number;
  maxInstances: number;
  timeoutSeconds: number;
}

export interface DatabaseSizing {
  tier: string;
  diskSizeGb: number;
  /** REGIONAL availability (a standby in another zone, automatic failover). */
  highAvailability: boolean;
  /** A cross-region read replica in the failover region (promoted by the region-failover runbook). */
  readReplica: boolean;
  deletionProtection: boolean;
  /** Postgres `max_connections` (database flag); the orchestrator's pool size is derived from it. */
  maxConnections: number;
}

export interface StackSettings {
  environment: Environment;
  project: string;
  region: string;
  failoverRegion: string;
  /** Artifact Registry repository id (in `region`) holding the one image. */
  artifactRepository: string;
  /** Image tag the stack creates workloads with; later rollouts change images through cloudbuild.yaml. */
  imageTag: string;
  /** Public host of the HTTPS load balancer; `canary.<domain>` reaches the no-traffic revision. */
  domain: string;
  orchestrator: OrchestratorSizing;
  database: DatabaseSizing;
  redis: { memorySizeGb: number };
  network: { subnetCidr: string; serviceRangePrefixLength: number };
  auth: { issuer: string; audience: string; jwksUrl: string };
  edge: {
    /** ISO 3166-1 alpha-2 codes allowed through Cloud Armor; empty = no geo restriction. */
    allowedRegionCodes: string[];
    /** Requests per minute one client IP may send to /admin/*. */
    adminRequestsPerMinute: number;
  };
  /** First automatic rotation of the provider-key secrets (RFC 3339); then every 60 days. */
  secretsFirstRotation: string;
  /** Tenant corpora the rag-ingestor job re-syncs every 6 hours, each from a gs:// prefix. */
  ragSyncs: RagSync[];
  /** The manifest-signing key version that signs (docs/runbooks/signing-key-rotation.md); 1 after creation. */
  signerKeyVersion: number;
  logLevel: string;
}

export interface RagSync {
  tenant: string;
  corpus: string;
  source: string;
}

/** Connections kept out of the orchestrator's share: jobs, the signer, migrations, an operator's psql. */
export const RESERVED_CONNECTIONS = 50;
const MIN_POOL = 2;
const MAX_POOL = 20;
const MAX_SEARCH_POOL = 10;

/**
 * DB_POOL_MAX and RAG_SEARCH_POOL_MAX of one orchestrator instance (its main pool, and the pool its
 * retrieval searches run on), so that every instance at full scale-out still gets both:
 * maxInstances × (main + search) ≤ maxConnections − RESERVED_CONNECTIONS. The search pool takes half of
 * an instance's share (at least 1, at most 10, the config default), the main pool the rest (at most 20, the
 * prod default). A search pool much smaller than the calls in flight queues them in front of it: at 4
 * connections and 40 concurrent retrieval calls the orchestrator spent 1,398 against 1,101 µs per call
 * (smaller group commits behind the queue) for the same throughput (gateway bench, 2026-12-02).
 */
export function orchestratorPoolSizes(maxInstances: number, maxConnections: number): { main: number; search: number } {
  const share = Math.floor((maxConnections - RESERVED_CONNECTIONS) / maxInstances);
  const search = Math.max(1, Math.min(MAX_SEARCH_POOL, Math.floor(share / 2)));
  return { main: Math.min(MAX_POOL, share - search), search };
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

type Raw = Record<string, unknown>;

const REGION = /^[a-z]+-[a-z]+\d+$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/**
 * Builds the settings from raw stack values (key without the `ai-orchestrator:` prefix → value, objects
 * as parsed from YAML). Throws SettingsError naming the first bad key.
 */
export function parseSettings(raw: Raw): StackSettings {
  const environment = str(raw, 'environment');
  if (environment !== 'staging' && environment !== 'prod') fail('environment', 'must be staging or prod');
  const region = str(raw, 'region');
  const failoverRegion = str(raw, 'failoverRegion');
  if (!REGION.test(region)) fail('region', `is not a region name (got "${region}")`);
  if (!REGION.test(failoverRegion)) fail('failoverRegion', `is not a region name (got "${failoverRegion}")`);
  if (region === failoverRegion) fail('failoverRegion', 'must differ from region');

  const orch = obj(raw, 'orchestrator');
  const orchestrator: OrchestratorSizing = {
    cpu: str(orch, 'cpu', 'orchestrator.cpu'),
    memory: str(orch, 'memory', 'orchestrator.memory'),
    concurrency: int(orch, 'concurrency', 'orchestrator.concurrency', 1, 1000),
    minInstances: int(orch, 'minInstances', 'orchestrator.minInstances', 0, 1000),
    maxInstances: int(orch, 'maxInstances', 'orchestrator.maxInstances', 1, 1000),
    timeoutSeconds: int(orch, 'timeoutSeconds', 'orchestrator.timeoutSeconds', 1, 3600),
  };
  if (orchestrator.minInstances > orchestrator.maxInstances) fail('orchestrator.minInstances', 'must not exceed maxInstances');

  const db = obj(raw, 'database');
  const database: DatabaseSizing = {
    tier: str(db, 'tier', 'database.tier'),
    diskSizeGb: int(db, 'diskSizeGb', 'database.diskSizeGb', 10, 65536),
    highAvailability: bool(db, 'highAvailability', 'database.highAvailability'),
    readReplica: bool(db, 'readReplica', 'database.readReplica'),
    deletionProtection: bool(db, 'deletionProtection', 'database.deletionProtection'),
    maxConnections: int(db, 'maxConnections', 'database.maxConnections', 50, 262143),
  };

  if (orchestratorPoolSizes(orchestrator.maxInstances, database.maxConnections).main < MIN_POOL) {
    fail('database.maxConnections', `leaves fewer than ${MIN_POOL + 1} connections (${MIN_POOL} for calls, 1 for retrieval) per orchestrator instance at ${orchestrator.maxInstances} instances; raise it or lower orchestrator.maxInstances`);
  }
  const redis = obj(raw, 'redis');
  const network = obj(raw, 'network');
  const auth = obj(raw, 'auth');
  const edge = obj(raw, 'edge');
  const codes = edge.allowedRegionCodes ?? [];
  if (!Array.isArray(codes) || !codes.every((c) => typeof c === 'string' && /^[A-Z]{2}$/.test(c))) {
    fail('edge.allowedRegionCodes', 'must be a list of two-letter upper-case country codes');
  }
  const ragSyncs = (raw.ragSyncs ?? []) as unknown;
  if (!Array.isArray(ragSyncs)) fail('ragSyncs', 'must be a list of { tenant, corpus, source }');
  const syncs = ragSyncs.map((entry: unknown, i) => {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as Raw;
    const sync = { tenant: str(e, 'tenant', `ragSyncs[${i}].tenant`), corpus: str(e, 'corpus', `ragSyncs[${i}].corpus`), source: str(e, 'source', `ragSyncs[${i}].source`) };
    if (!/^gs:\/\/[a-z0-9][a-z0-9._-]{1,221}[a-z0-9](\/.*)?$/.test(sync.source)) fail(`ragSyncs[${i}].source`, `must be a gs://bucket/prefix URI (got "${sync.source}")`);
    // Checked exactly as the job will check its arguments, so a scheduled run cannot fail on them.
    try {
      parseIngestArgs(['--tenant', sync.tenant, '--corpus', sync.corpus, '--source', sync.source]);
    } catch (err) {
      fail(`ragSyncs[${i}]`, (err as Error).message.split('\n')[0]!);
    }
    return sync;
  });
  const secretsFirstRotation = str(raw, 'secretsFirstRotation');
  if (!RFC3339.test(secretsFirstRotation)) fail('secretsFirstRotation', 'must be an RFC 3339 UTC timestamp like 2027-02-01T00:00:00Z');

  return {
    environment,
    project: str(raw, 'project'),
    region,
    failoverRegion,
    artifactRepository: str(raw, 'artifactRepository'),
    imageTag: str(raw, 'imageTag'),
    domain: str(raw, 'domain'),
    orchestrator,
    database,
    redis: { memorySizeGb: int(redis, 'memorySizeGb', 'redis.memorySizeGb', 1, 300) },
    network: {
      subnetCidr: str(network, 'subnetCidr', 'network.subnetCidr'),
      serviceRangePrefixLength: int(network, 'serviceRangePrefixLength', 'network.serviceRangePrefixLength', 8, 24),
    },
    auth: {
      issuer: str(auth, 'issuer', 'auth.issuer'),
      audience: str(auth, 'audience', 'auth.audience'),
      jwksUrl: str(auth, 'jwksUrl', 'auth.jwksUrl'),
    },
    edge: {
      allowedRegionCodes: codes as string[],
      adminRequestsPerMinute: int(edge, 'adminRequestsPerMinute', 'edge.adminRequestsPerMinute', 1, 100000),
    },
    secretsFirstRotation,
    ragSyncs: syncs,
    signerKeyVersion: raw.signerKeyVersion === undefined ? 1 : int(raw, 'signerKeyVersion', 'signerKeyVersion', 1, 1000000),
    logLevel: typeof raw.logLevel === 'string' ? raw.logLevel : 'info',
  };
}

function fail(key: string, message: string): never {
  throw new SettingsError(`stack setting ai-orchestrator:${key} ${message}`);
}

function str(source: Raw, key: string, label = key): string {
  const value = source[key];
  if (typeof value !== 'string' || value === '') fail(label, 'is required (a non-empty string)');
  return value;
}

function int(source: Raw, key: string, label: string, min: number, max: number): number {
  const value = source[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(label, `must be an integer in ${min}..${max}`);
  return value;
}

function bool(source: Raw, key: string, label: string): boolean {
  const value = source[key];
  if (typeof value !== 'boolean') fail(label, 'must be true or false');
  return value;
}

function obj(source: Raw, key: string): Raw {
  const value = source[key];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(key, 'is required (an object)');
  return value as Raw;
}
