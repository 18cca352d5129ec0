/**
 * Names shared by the program, the pipeline (cloudbuild.yaml) and the runbooks: workloads and the file
 * each one runs in the image, topic names (from the service's own config/base.json, so they cannot drift).
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface WorkloadSpec {
  /** Cloud Run service or job name. */
  name: string;
  kind: 'service' | 'job';
  /** Compiled entry point inside the image (WORKDIR /app), built by `npm run build` from the .ts of the same path. */
  entry: string;
  /** Service account id (6–30 characters). */
  accountId: string;
}

export const WORKLOADS = {
  orchestrator: { name: 'orchestrator', kind: 'service', entry: 'dist/services/orchestrator/main.js', accountId: 'orchestrator' },
  signer: { name: 'manifest-signer', kind: 'service', entry: 'dist/services/manifest-signer/main.js', accountId: 'manifest-signer' },
  migrate: { name: 'migrate', kind: 'job', entry: 'dist/jobs/migrate/main.js', accountId: 'job-migrate' },
  budgetResetter: { name: 'budget-resetter', kind: 'job', entry: 'dist/jobs/budget-resetter/main.js', accountId: 'job-budget-resetter' },
  ragIngestor: { name: 'rag-ingestor', kind: 'job', entry: 'dist/jobs/rag-ingestor/main.js', accountId: 'job-rag-ingestor' },
  evalRunner: { name: 'eval-runner', kind: 'job', entry: 'dist/jobs/eval-runner/main.js', accountId: 'job-eval-runner' },
} as const satisfies Record<string, WorkloadSpec>;

/**
 * The node flags the image gives every process (Dockerfile: NODE_OPTIONS); `npm start` and the gateway
 * bench run the orchestrator with them too. Why this young-generation size: see the Dockerfile.
 */
export const IMAGE_NODE_OPTIONS = ['--max-semi-space-size=32'];

/** Identities that run no code of ours. */
export const SERVICE_IDENTITIES = {
  pushInvoker: 'pubsub-push-invoker',
  scheduler: 'scheduler-invoker',
  bigqueryWriter: 'bigquery-writer',
  deployer: 'deployer',
} as const;

/** The orchestrator's Pub/Sub push route (services/orchestrator). */
export const PUSH_PATH = '/internal/pubsub/inference-requests';
/** Cloud Run revision tag the pipeline deploys to before shifting traffic; reachable at canary.<domain>. */
export const CANARY_TAG = 'canary';
export const ARTIFACT_IMAGE = 'ai-orchestrator';
/** Secret holding the smoke-test tenant's token, read by the pipeline (cloudbuild.yaml availableSecrets). */
export const SMOKE_TEST_SECRET_ID = 'smoke-test-token';

export interface EventTopicNames {
  inference: string;
  eval: string;
  hitl: string;
  budget: string;
  inferenceRequests: string;
}

/** Topic names as the service publishes to them (config/base.json → events.topics). */
export function readTopicNames(): EventTopicNames {
  const base = JSON.parse(readFileSync(new URL('../config/base.json', import.meta.url), 'utf8')) as { events: { topics: EventTopicNames } };
  return base.events.topics;
}

/** The eval datasets the image ships (`COPY evals`), as paths relative to its WORKDIR: `evals/<name>.jsonl`. */
export function readEvalDatasets(): string[] {
  return readdirSync(new URL('../evals/', import.meta.url)).filter((f) => f.endsWith('.jsonl')).sort().map((f) => `evals/${f}`);
}
