import type { Config } from '../../shared/config/index.js';
import type { Pool } from '../../shared/db/index.js';
import type { KeyValueAdapter } from '../../shared/cache/index.js';
import type { Logger, Metrics } from '../../shared/telemetry/index.js';
import { createCapabilityRegistry, type CapabilityRegistry } from '../../shared/capabilities/index.js';
import { createTenantDirectory } from '../../shared/tenants/directory.js';
import { createFlagReader, type FlagReader } from '../../shared/flags/reader.js';
import { createRateLimiter, type RateLimitOverrides } from '../../shared/rate-limit/index.js';
import { createIdempotency } from '../../shared/idempotency/index.js';
import { createInferenceCache } from '../../shared/inference-cache/index.js';
import { applySettlements, chargeInStatement, createBudgetGate, startBudgetReconciler, type BudgetDeps, type BudgetReconciler, type Settlement } from '../../shared/budgets/index.js';
import { createChainRunner, type ChainRunner } from '../../shared/routing/index.js';
import { createCallRecorder } from '../../shared/recording/calls.js';
import { createInferenceMetrics } from '../../shared/inference/metrics.js';
import type { InferenceDeps } from '../../shared/inference/types.js';
import { AfterAnswer } from '../../shared/inference/after-answer.js';
import { createReviewQueue } from '../../shared/hitl/index.js';
import type { EmbeddingProvider, ProviderName } from '../../shared/providers/port.js';
import { configuredEmbedder, configuredLlmProviders } from '../../shared/providers/configured.js';
import { createRetriever } from '../../shared/rag/retriever.js';

export interface InferenceWiring {
  inference: InferenceDeps;
  capabilities: CapabilityRegistry;
  flags: FlagReader;
  budgets: BudgetDeps;
  embedder: EmbeddingProvider;
  chain: ChainRunner;
  reconciler: BudgetReconciler;
  /** Which links can run (for the start-up log line). */
  providers: ProviderName[];
  close(): Promise<void>;
}

/**
 * Builds the inference pipeline's steps from the config; which providers run is decided by
 * shared/providers/configured.ts (credentials configured → enabled).
 */
export async function wireInference(opts: {
  config: Config;
  pool: Pool;
  kv: KeyValueAdapter;
  logger: Logger;
  metrics: Metrics;
  /** Prepare the recording statement on each connection: only where each is a session of its own (Database.sessionPerConnection). */
  preparedStatements?: boolean;
  /** Retrieval searches' pool (Database.poolOfItsOwn); default: `pool`. */
  searchPool?: Pool;
  onRecorded?: () => void;
}): Promise<InferenceWiring> {
  const { config, pool, kv, logger } = opts;
  const capabilities = createCapabilityRegistry(config.capabilities);
  const flags = createFlagReader({ db: pool, refreshMs: config.routing.flagsRefreshSeconds * 1000, logger });
  await flags.refresh();
  flags.start();

  const providers = await configuredLlmProviders(config);
  const chain = createChainRunner({ providers, breaker: config.routing.breaker, retryJitterMs: config.routing.retryJitterMs, logger, metrics: { registry: opts.metrics.registry } });
  const budgets: BudgetDeps = { kv, pool, config: { tenantDefaults: config.tenantDefaults, prices: config.prices } };
  const reconciler = startBudgetReconciler(budgets, { onError: (err) => logger.warn({ err }, 'budget reconciliation failed') });
  const metrics = createInferenceMetrics(opts.metrics.registry);
  const recorder = createCallRecorder<Settlement>({
    pool,
    observe: (size, seconds) => {
      metrics.commitBatch.observe(size);
      metrics.commitSeconds.observe(seconds);
    },
    topics: config.events.topics,
    applySettlements: async (tx, settlements) => {
      await applySettlements(tx, settlements, config.events.topics, config.events.source);
    },
    // A batch reaching a budget threshold is recorded in a transaction, where applySettlements announces it.
    settlementStatement: chargeInStatement,
    preparedStatements: opts.preparedStatements ?? false,
  });
  const apiKeyFor = await byokResolver(config, logger);
  const embedder = await configuredEmbedder(config);
  const afterAnswer = new AfterAnswer(logger);

  const inference: InferenceDeps = {
    config,
    capabilities,
    tenants: createTenantDirectory({ db: pool, defaultAllowedProviders: config.tenantDefaults.allowedProviders }),
    flags,
    rateLimiter: createRateLimiter({
      kv,
      defaults: config.tenantDefaults.rateLimits,
      limitsFor: async (tenantId) => flags.valueOf('rate_limits', tenantId) as RateLimitOverrides | undefined,
      logger,
    }),
    idempotency: createIdempotency({ kv, logger }),
    cache: createInferenceCache({ kv, logger }),
    budgets: createBudgetGate(budgets),
    chain,
    configuredProviders: new Set(Object.keys(providers) as ProviderName[]),
    recorder,
    metrics,
    logger,
    ...(apiKeyFor ? { apiKeyFor } : {}),
    ...(opts.onRecorded ? { onRecorded: opts.onRecorded } : {}),
    reviews: createReviewQueue({ topics: config.events.topics, source: config.events.source, taskTtlSeconds: config.hitl.taskTtlSeconds }),
    // The same embedder as the rag-ingestor job, so questions and chunks share one vector space.
    retriever: createRetriever({ pool: opts.searchPool ?? pool, embedder, settings: config.rag, logger }),
    afterAnswer,
  };
  return {
    inference,
    capabilities,
    flags,
    budgets,
    embedder,
    chain,
    reconciler,
    providers: Object.keys(providers) as ProviderName[],
    async close() {
      flags.stop();
      reconciler.stop();
      await recorder.flush();
      // Releases and cache writes of answered calls, before the key/value store closes.
      await afterAnswer.settled();
      chain.close();
    },
  };
}

/** BYOK needs Secret Manager, hence a Google project; without one every call uses the platform keys. */
async function byokResolver(config: Config, logger: Logger): Promise<InferenceDeps['apiKeyFor']> {
  const project = config.gcpProject ?? config.providers.vertex.project;
  if (!project) return undefined;
  const { createByokKeyResolver } = await import('../../shared/providers/byok/index.js');
  const resolver = createByokKeyResolver({ secretNamePattern: config.providers.byok.secretNamePattern, project, cacheTtlMs: config.providers.byok.cacheTtlSeconds * 1000 });
  return async (tenantId, provider) => {
    if (provider !== 'anthropic' && provider !== 'openai') return undefined;
    try {
      return await resolver.keyFor(tenantId, provider);
    } catch (err) {
      logger.warn({ err: (err as Error).message, tenant_id: tenantId, provider }, 'BYOK lookup failed');
      throw err;
    }
  };
}
