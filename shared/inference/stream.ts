import { randomUUID } from 'node:crypto';
import { renderPrompt } from '../capabilities/index.js';
import { groundingFor } from '../rag/grounding.js';
import { isAppError } from '../errors/app-error.js';
import { costMicros, worstCaseMicros } from '../budgets/index.js';
import { estimateTokens } from '../providers/tokens.js';
import type { ProviderName } from '../providers/port.js';
import { canonicalJson } from '../util/canonical-json.js';
import { sha256Hex } from '../util/sha256.js';
import { StreamInterruptedError, type Attempt } from '../routing/index.js';
import { completedCall, failedCall, type CallFacts } from './call-record.js';
import { answeredOutcome, answeredResult } from './answered-call.js';
import { settleAndRecord } from './settle-and-record.js';
import { effectiveChain, inputTokenBound } from './reservation-estimate.js';
import { capabilityDisabled, chainFailure } from './errors.js';
import type { InferenceDeps, InvokeRequest, InvokeResult } from './types.js';

export type StreamPiece = { type: 'delta'; text: string } | { type: 'done'; result: InvokeResult };

/**
 * The streaming variant of the pipeline (chat completions with `stream: true`). Errors before the first
 * delta are thrown by the first `next()` (the route can still answer with a problem+json); after it,
 * the iterator throws and the route ends the stream with an error event — never a clean, truncated end.
 * A stream that breaks is still charged for what it consumed (never recorded at zero cost).
 */
export async function* invokeStream(deps: InferenceDeps, req: InvokeRequest): AsyncGenerator<StreamPiece> {
  const started = performance.now();
  const tenantId = req.principal.tenantId;
  const cap = deps.capabilities.require(req.capability);
  if (!deps.flags.isEnabled(`capability:${cap.key}`, tenantId)) throw capabilityDisabled(cap.key);
  const input = cap.parseInput(req.input);
  const prompt = renderPrompt(cap.prompt.template, input);
  const inputTokens = estimateTokens(cap.prompt.system) + estimateTokens(prompt);
  await deps.rateLimiter.admitRequest(tenantId, inputTokens + cap.maxOutputTokens);
  const callId = randomUUID();
  const facts = (): CallFacts => ({
    callId,
    tenantId,
    capability: cap.key,
    channel: req.channel,
    inputHash: sha256Hex(canonicalJson(input)),
    correlationId: req.correlationId,
    latencyMs: performance.now() - started,
    source: deps.config.events.source,
  });

  const policy = await deps.tenants.policyFor(tenantId);
  // RAG (rag: true): the same grounding as invoke (shared/rag/grounding.ts); streams are never cached.
  const grounding = await groundingFor(deps.retriever, cap, input, prompt, { tenantId, topK: deps.config.rag?.topK ?? 5 });
  let reservation;
  try {
    reservation = await deps.budgets.reserve({ tenantId, capability: cap.key, estimateMicros: worstCaseMicros(deps.config.prices, effectiveChain(cap, policy.allowedProviders, deps.configuredProviders), inputTokenBound(cap, grounding.prompt), cap.maxOutputTokens) });
  } catch (err) {
    if (isAppError(err) && err.code === 'budget_exhausted') deps.metrics.budgetRejections.inc({ capability: cap.key });
    throw err;
  }
  let sent = '';
  const attempts: Attempt[] = [];
  try {
    const stream = deps.chain.stream({
      capability: cap,
      request: { system: cap.prompt.system, prompt: grounding.prompt, responseSchema: cap.outputSchema, maxOutputTokens: cap.maxOutputTokens, temperature: cap.temperature, capability: cap.key, input },
      deadlineMs: deps.config.routing.deadlineMs,
      allowedProviders: policy.allowedProviders,
      isProviderEnabled: (p: ProviderName) => deps.flags.isEnabled(`provider:${p}`, tenantId),
      apiKeyFor: deps.apiKeyFor ? (p: ProviderName) => deps.apiKeyFor!(tenantId, p) : undefined,
      validate: (text: string) => grounding.validate(text),
      onAttempt: (a) => attempts.push(a),
    });
    for await (const piece of stream) {
      if (piece.type === 'delta') {
        sent += piece.text;
        yield { type: 'delta', text: piece.text };
        continue;
      }
      const cost = costMicros(deps.config.prices, piece.provider, piece.model, piece.usage);
      const hitlStatus = cap.hitl ? ('pending' as const) : null;
      // As in invoke.ts: a draft's review task is written with the call.
      const review = cap.hitl ? deps.reviews?.open({ tenantId, capability: cap.key, callId, output: piece.value, correlationId: req.correlationId }) : undefined;
      await settleAndRecord(
        deps,
        completedCall(
          review ? Object.assign(facts(), { hooks: [review.hook] }) : facts(),
          answeredOutcome(piece, cost, hitlStatus),
          deps.budgets.settlementFor(reservation, cost),
        ),
        reservation,
        cost,
        () => deps.rateLimiter.adjustTokens(tenantId, inputTokens + cap.maxOutputTokens, piece.usage.inputTokens + piece.usage.outputTokens),
      );
      deps.metrics.requests.inc({ capability: cap.key, provider: piece.provider, outcome: piece.degraded ? 'degraded' : 'ok' });
      deps.metrics.latency.observe({ capability: cap.key, provider: piece.provider }, (performance.now() - started) / 1000);
      yield {
        type: 'done',
        result: answeredResult({ callId, capability: cap.key, costMicros: cost, hitl: hitlStatus ? { task_id: review?.taskId ?? null, status: hitlStatus } : null, citations: [] }, piece),
      };
      return;
    }
    throw new Error('the model stream ended without its final event');
  } catch (err) {
    if (isAppError(err) && err.code === 'recording_failed') throw err;
    const failure = chainFailure(err);
    // A stream that broke after tokens reached the caller was produced, and billed by the vendor: charge
    // the vendor-reported usage when it arrived, else an estimate of what was sent (never zero).
    const interrupted = err instanceof StreamInterruptedError ? err : undefined;
    const usage = interrupted?.usage ?? { inputTokens: sent ? inputTokens : 0, outputTokens: estimateTokens(sent) };
    const cost = interrupted ? costMicros(deps.config.prices, interrupted.provider, interrupted.model, usage) : 0;
    await deps.recorder
      .record(
        failedCall(
          facts(),
          { code: failure.code, reason: failure.detail, attempts, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, costMicros: cost, provider: interrupted?.provider, model: interrupted?.model },
          cost > 0 ? deps.budgets.settlementFor(reservation, cost) : undefined,
        ),
      )
      .catch((recErr: unknown) => deps.logger.error({ err: recErr, call_id: callId }, 'could not record a failed stream'));
    await deps.budgets.release(reservation, cost).catch(() => {});
    deps.metrics.requests.inc({ capability: cap.key, provider: interrupted?.provider ?? 'none', outcome: failure.code });
    throw failure;
  }
}
