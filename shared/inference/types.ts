import type { Config } from '../config/index.js';
import type { Principal } from '../auth/index.js';
import type { CapabilityRegistry } from '../capabilities/index.js';
import type { TenantDirectory } from '../tenants/directory.js';
import type { FlagReader } from '../flags/reader.js';
import type { Logger } from '../telemetry/index.js';
import type { ChainRunner } from '../routing/index.js';
import type { BudgetGate, Settlement } from '../budgets/index.js';
import type { InferenceCache } from '../inference-cache/index.js';
import type { Idempotency } from '../idempotency/index.js';
import type { RateLimiter } from '../rate-limit/index.js';
import type { CallRecorder } from '../recording/calls.js';
import type { InferenceMetrics } from './metrics.js';
import type { ProviderName } from '../providers/port.js';
import type { Retriever } from '../rag/retriever.js';
import type { RecordHook } from '../recording/calls.js';
import type { ReviewQueue } from '../hitl/open-review.js';
import type { AfterAnswer } from './after-answer.js';

/** Everything the pipeline's steps need, wired once by the composition root. */
export interface InferenceDeps {
  config: Pick<Config, 'prices' | 'routing' | 'events'> & { rag?: Pick<Config['rag'], 'topK'> };
  capabilities: CapabilityRegistry;
  tenants: TenantDirectory;
  flags: FlagReader;
  rateLimiter: RateLimiter;
  idempotency: Idempotency;
  cache: InferenceCache;
  budgets: BudgetGate;
  chain: ChainRunner;
  /** Providers with credentials configured: the links that can actually run. */
  configuredProviders: ReadonlySet<ProviderName>;
  recorder: CallRecorder<Settlement>;
  metrics: InferenceMetrics;
  logger: Logger;
  /** BYOK: a tenant's own key for a vendor, when it has one. */
  apiKeyFor?: (tenantId: string, provider: ProviderName) => Promise<string | undefined>;
  /** Nudged after a commit so events leave the outbox promptly. */
  onRecorded?: () => void;
  /** RAG: grounds `rag: true` capabilities in the tenant's top chunks (shared/rag/grounding.ts); unset: ungrounded. */
  retriever?: Retriever;
  /** Opens the review task of a `hitl: true` capability's draft (without it, drafts carry task_id null). */
  reviews?: ReviewQueue;
  /** Runs a committed call's reservation release and cache write after its answer (without it: before). */
  afterAnswer?: AfterAnswer;
}

export type Channel = 'invoke' | 'chat' | 'async';

export interface InvokeRequest {
  principal: Principal;
  capability: string;
  input: unknown;
  channel: Channel;
  idempotencyKey?: string;
  correlationId?: string;
  /** Rows committed with this call's record (the async handler's completion of its command). */
  hooks?: RecordHook[];
}

export interface InvokeResult {
  call_id: string;
  capability: string;
  output: unknown;
  provider: string;
  model: string;
  degraded: boolean;
  cache_hit: boolean;
  usage: { input_tokens: number; output_tokens: number; cost_micros: number };
  hitl: null | { task_id: string | null; status: 'pending' };
  citations: unknown[];
}
