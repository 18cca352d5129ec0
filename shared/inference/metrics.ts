import { Counter, Histogram, type Registry } from 'prom-client';

/** Inference metrics: requests and latency by capability and provider, tokens, cost, cache hits, budget rejections. */
export interface InferenceMetrics {
  requests: Counter<'capability' | 'provider' | 'outcome'>;
  latency: Histogram<'capability' | 'provider'>;
  tokens: Counter<'provider' | 'model' | 'direction'>;
  costMicros: Counter<'provider' | 'model'>;
  cacheHits: Counter<'capability'>;
  budgetRejections: Counter<'capability'>;
  /** Where a call's time goes, step by step (rate_limit, cache, reserve, chain, record, release). */
  steps: Histogram<'step'>;
  /** Calls per group-commit transaction, and how long each took. */
  commitBatch: Histogram<never>;
  commitSeconds: Histogram<never>;
}

/** Times one pipeline step into `inference_step_seconds{step}`. */
export async function timed<T>(metrics: InferenceMetrics, step: PipelineStep, fn: () => Promise<T>): Promise<T> {
  // Not prom-client's startTimer: it allocates an hrtime pair, a closure and a labels copy per step (six steps a call).
  const started = performance.now();
  try {
    return await fn();
  } finally {
    metrics.steps.observe(stepLabels(step), (performance.now() - started) / 1000);
  }
}

/** The pipeline's steps: a closed set, so the labels below are made once each. */
export type PipelineStep = 'rate_limit' | 'cache' | 'retrieve' | 'reserve' | 'chain' | 'record' | 'release';

const STEP_LABELS = new Map<PipelineStep, { step: PipelineStep }>();

function stepLabels(step: PipelineStep): { step: PipelineStep } {
  let labels = STEP_LABELS.get(step);
  if (!labels) {
    labels = { step };
    STEP_LABELS.set(step, labels);
  }
  return labels;
}

export function createInferenceMetrics(registry: Registry): InferenceMetrics {
  return {
    requests: new Counter({ name: 'inference_requests_total', help: 'Inference calls by capability, provider and outcome', labelNames: ['capability', 'provider', 'outcome'] as const, registers: [registry] }),
    latency: new Histogram({
      name: 'inference_latency_seconds',
      help: 'Inference latency by capability and provider (cache hits: provider="cache")',
      labelNames: ['capability', 'provider'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    tokens: new Counter({ name: 'llm_tokens_total', help: 'Tokens by provider, model and direction (input|output)', labelNames: ['provider', 'model', 'direction'] as const, registers: [registry] }),
    costMicros: new Counter({ name: 'llm_cost_micros_total', help: 'Settled cost in micro-dollars by provider and model', labelNames: ['provider', 'model'] as const, registers: [registry] }),
    cacheHits: new Counter({ name: 'inference_cache_hits_total', help: 'Inference cache hits by capability', labelNames: ['capability'] as const, registers: [registry] }),
    budgetRejections: new Counter({ name: 'budget_rejections_total', help: 'Calls refused with 402 budget_exhausted, by capability', labelNames: ['capability'] as const, registers: [registry] }),
    steps: new Histogram({
      name: 'inference_step_seconds',
      help: 'Time spent in each step of the inference pipeline',
      labelNames: ['step'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers: [registry],
    }),
    commitBatch: new Histogram({ name: 'call_record_batch_size', help: 'Calls written per group-commit transaction', buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500], registers: [registry] }),
    commitSeconds: new Histogram({ name: 'call_record_commit_seconds', help: 'Duration of one group-commit transaction', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: [registry] }),
  };
}
