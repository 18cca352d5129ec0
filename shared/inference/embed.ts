import { randomUUID } from 'node:crypto';
import type { Principal } from '../auth/index.js';
import { costMicros } from '../budgets/index.js';
import { AppError, isAppError } from '../errors/app-error.js';
import { isProviderError } from '../providers/errors.js';
import type { EmbeddingProvider } from '../providers/port.js';
import { estimateTokens } from '../providers/tokens.js';
import { sha256Hex } from '../util/sha256.js';
import { completedCall, failedCall, type CallFacts } from './call-record.js';
import { settleAndRecord } from './settle-and-record.js';
import type { InferenceDeps } from './types.js';

/** Calls to /v1/embeddings are recorded under this pseudo-capability (budgets, ai_calls, events). */
export const EMBEDDINGS_CAPABILITY = 'embeddings';

export interface EmbedResult {
  callId: string;
  vectors: number[][];
  model: string;
  inputTokens: number;
  costMicros: number;
}

/** rate limit → reserve budget → embed → settle and record → respond; the same steps as an invoke. */
export async function embed(deps: InferenceDeps & { embedder: EmbeddingProvider }, req: { principal: Principal; texts: string[] }): Promise<EmbedResult> {
  const started = performance.now();
  const tenantId = req.principal.tenantId;
  const { embedder } = deps;
  const priceKey = `${embedder.name}:${embedder.model}`;
  const estimate = req.texts.reduce((n, t) => n + estimateTokens(t), 0);
  await deps.rateLimiter.admitRequest(tenantId, estimate);
  const price = deps.config.prices[priceKey];
  const estimateMicros = price ? Math.ceil((estimate * price.inputMicrosPerMTok) / 1e6) : 0;
  let reservation;
  try {
    reservation = await deps.budgets.reserve({ tenantId, capability: EMBEDDINGS_CAPABILITY, estimateMicros });
  } catch (err) {
    if (isAppError(err) && err.code === 'budget_exhausted') deps.metrics.budgetRejections.inc({ capability: EMBEDDINGS_CAPABILITY });
    throw err;
  }
  const callId = randomUUID();
  const facts = (): CallFacts => ({
    callId,
    tenantId,
    capability: EMBEDDINGS_CAPABILITY,
    channel: 'embeddings',
    inputHash: sha256Hex(JSON.stringify(req.texts)),
    latencyMs: performance.now() - started,
    source: deps.config.events.source,
  });
  let result;
  try {
    result = await embedder.embed(req.texts, { taskType: 'RETRIEVAL_QUERY' });
  } catch (err) {
    await deps.budgets.release(reservation, 0);
    const failure = new AppError({
      code: 'providers_unavailable',
      status: 503,
      title: 'Embedding provider unavailable',
      detail: isProviderError(err) ? `${err.provider}: ${err.message}` : 'The embedding provider failed.',
      headers: { 'Retry-After': '5' },
      cause: err,
    });
    await deps.recorder.record(failedCall(facts(), { code: failure.code, reason: failure.detail, attempts: [] })).catch(() => {});
    throw failure;
  }
  const cost = costMicros(deps.config.prices, embedder.name, embedder.model, { inputTokens: result.inputTokens, outputTokens: 0 });
  await settleAndRecord(
    deps,
    completedCall(
      facts(),
      { provider: embedder.name, model: embedder.model, degraded: false, cacheHit: false, inputTokens: result.inputTokens, outputTokens: 0, costMicros: cost, attempts: [], hitlStatus: null, output: null },
      deps.budgets.settlementFor(reservation, cost),
    ),
    reservation,
    cost,
  );
  return { callId, vectors: result.vectors, model: embedder.model, inputTokens: result.inputTokens, costMicros: cost };
}
