import { renderPrompt, type CapabilityRegistry } from '../capabilities/index.js';
import { costMicros, type PriceTable } from '../budgets/cost.js';
import type { ProviderName } from '../providers/port.js';
import { groundingFor } from '../rag/grounding.js';
import type { Retriever } from '../rag/retriever.js';
import type { ChainRunner } from '../routing/index.js';
import { percentile } from '../util/percentile.js';
import type { EvalCase } from './dataset.js';
import { unmetExpectations } from './expectations.js';

export interface EvalRunnerDeps {
  capabilities: CapabilityRegistry;
  chain: ChainRunner;
  prices: PriceTable;
  /** Every configured provider may run: an eval measures the chain as deployed, not a tenant's policy. */
  providers: ReadonlySet<ProviderName>;
  deadlineMs: number;
  /** Grounds `rag: true` capabilities in this tenant's corpora, exactly as a call of that tenant would be. */
  grounding?: { retriever: Retriever; tenantId: string; topK: number };
}

export interface CaseResult {
  caseId: string;
  capability: string;
  passed: boolean;
  provider: ProviderName | null;
  model: string | null;
  degraded: boolean;
  latencyMs: number;
  costMicros: number;
  failures: string[];
  output: unknown;
}

export interface EvalSummary {
  passed: number;
  failed: number;
  degraded: number;
  /** Share of cases passed, 0..1. */
  score: number;
  p50Ms: number;
  p95Ms: number;
  costMicros: number;
}

/**
 * Runs every case through its capability's model chain (breakers, fallback, output schema) and checks the
 * answer against the case's expectations. The inference cache, budgets and rate limits are bypassed on
 * purpose: an eval measures the models, and must not spend a tenant's budget. A degraded (deterministic)
 * answer fails its case unless `allowDegraded`, since it says nothing about the models.
 */
export async function runEvalCases(
  deps: EvalRunnerDeps,
  cases: readonly EvalCase[],
  opts: { concurrency: number; allowDegraded: boolean; onCaseDone?: (result: CaseResult, done: number) => void },
): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array<CaseResult>(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const index = next++;
      const result = await runCase(deps, cases[index]!, opts.allowDegraded);
      results[index] = result;
      opts.onCaseDone?.(result, ++done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, cases.length)) }, worker));
  return results;
}

async function runCase(deps: EvalRunnerDeps, c: EvalCase, allowDegraded: boolean): Promise<CaseResult> {
  const cap = deps.capabilities.require(c.capability);
  const started = performance.now();
  try {
    const g = deps.grounding;
    const grounding = await groundingFor(g?.retriever, cap, c.input, renderPrompt(cap.prompt.template, c.input), { tenantId: g?.tenantId ?? '', topK: g?.topK ?? 0 });
    const outcome = await deps.chain.run({
      capability: cap,
      request: { system: cap.prompt.system, prompt: grounding.prompt, responseSchema: cap.outputSchema, maxOutputTokens: cap.maxOutputTokens, temperature: cap.temperature, capability: cap.key, input: c.input },
      deadlineMs: deps.deadlineMs,
      allowedProviders: deps.providers,
      validate: (text) => grounding.validate(text),
    });
    const failures = unmetExpectations(outcome.value, c.expect);
    if (outcome.degraded && !allowDegraded) failures.unshift('degraded: answered by the deterministic provider (no model answered)');
    return {
      caseId: c.id,
      capability: c.capability,
      passed: failures.length === 0,
      provider: outcome.provider,
      model: outcome.model,
      degraded: outcome.degraded,
      latencyMs: Math.round(performance.now() - started),
      costMicros: costMicros(deps.prices, outcome.provider, outcome.model, outcome.usage),
      failures,
      output: outcome.value,
    };
  } catch (err) {
    return {
      caseId: c.id,
      capability: c.capability,
      passed: false,
      provider: null,
      model: null,
      degraded: false,
      latencyMs: Math.round(performance.now() - started),
      costMicros: 0,
      failures: [`chain failed: ${(err as Error).message}`],
      output: null,
    };
  }
}

export function summarize(results: readonly CaseResult[]): EvalSummary {
  const passed = results.filter((r) => r.passed).length;
  const latencies = results.map((r) => r.latencyMs);
  return {
    passed,
    failed: results.length - passed,
    degraded: results.filter((r) => r.degraded).length,
    score: results.length === 0 ? 0 : passed / results.length,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    costMicros: results.reduce((sum, r) => sum + r.costMicros, 0),
  };
}
