import { randomUUID } from 'node:crypto';
import { renderPrompt, type Capability, type ChainLink } from '../capabilities/index.js';
import { isAppError } from '../errors/app-error.js';
import { costMicros, worstCaseMicros, type Reservation } from '../budgets/index.js';
import { inferenceCacheKey, type CachedInference } from '../inference-cache/index.js';
import { requestHashOf } from '../idempotency/index.js';
import { estimateTokens } from '../providers/tokens.js';
import type { ProviderName } from '../providers/port.js';
import { canonicalJson, CanonicalJsonText } from '../util/canonical-json.js';
import { sha256Hex } from '../util/sha256.js';
import type { Attempt } from '../routing/index.js';
import { groundingFor, type Grounding } from '../rag/grounding.js';
import type { TenantPolicy } from '../tenants/directory.js';
import { CallVetoedError, type RecordHook } from '../recording/calls.js';
import { completedCall, failedCall, type CallFacts } from './call-record.js';
import { answeredOutcome, answeredResult } from './answered-call.js';
import { runAfterAnswer } from './after-answer.js';
import { settleAndRecord } from './settle-and-record.js';
import { effectiveChain, inputTokenBound } from './reservation-estimate.js';
import { capabilityDisabled, chainFailure } from './errors.js';
import { timed } from './metrics.js';
import type { InferenceDeps, InvokeRequest, InvokeResult } from './types.js';

/**
 * The inference pipeline, step by step:
 * authorize → parse input → rate limit (alongside the cache lookup, and the budget reservation of a call
 * without an idempotency key, when there is no retrieval) → idempotency → cache → reserve budget → run chain
 * (breakers, timeouts, fallback, output validation) → settle and record (one group-committed transaction) →
 * respond.
 * The invoke route, the OpenAI-compatible route and the Pub/Sub push handler all come through here.
 */
export async function invoke(deps: InferenceDeps, req: InvokeRequest): Promise<InvokeResult> {
  const started = performance.now();
  const tenantId = req.principal.tenantId;
  const cap = authorize(deps, req);
  const input = cap.parseInput(req.input);
  // Serialised once: the call's input hash, its cache key and its idempotency hash all contain it.
  const inputJson = new CanonicalJsonText(canonicalJson(input));
  const prompt = renderPrompt(cap.prompt.template, input);
  const inputTokens = estimateTokens(cap.prompt.system) + estimateTokens(prompt);
  const admission = timed(deps.metrics, 'rate_limit', () => deps.rateLimiter.admitRequest(tenantId, inputTokens + cap.maxOutputTokens));
  // Without retrieval, planning the call needs nothing that admission decides, so its cache lookup goes
  // out with the admission's commands, and so does its budget reservation unless the call has an
  // idempotency key (a replay must not reserve): one round trip to the store before the provider instead
  // of two. Their answers are used only once the call is admitted; a call turned away, or answered from
  // the cache, gives its early reservation back. With retrieval, nothing is searched for a call that is
  // not admitted.
  const early = cap.rag ? undefined : planned(deps, req, cap, input, inputJson, prompt, { reserve: !req.idempotencyKey });
  early?.catch(() => undefined); // its failure is thrown below, once admission has answered
  try {
    await admission;
  } catch (err) {
    if (early) void early.then((plan) => plan.giveBack(), () => undefined);
    throw err;
  }
  const plan = await early;
  const adjustTokens = (actual: number) => deps.rateLimiter.adjustTokens(tenantId, inputTokens + cap.maxOutputTokens, actual);

  const run = async () => cachedOrFresh(deps, req, cap, input, inputJson, plan ?? (await planned(deps, req, cap, input, inputJson, prompt, { reserve: false })), started, adjustTokens);
  if (!req.idempotencyKey) return run();
  const outcome = await deps.idempotency.begin({ tenantId, key: req.idempotencyKey, requestHash: requestHashOf({ capability: cap.key, input: inputJson }) });
  if (outcome.kind === 'replay') return outcome.response.body as InvokeResult;
  try {
    const result = await run();
    await outcome.complete({ status: 200, body: result });
    return result;
  } catch (err) {
    await outcome.abandon();
    throw err;
  }
}

/** A call as it can run for this tenant, with its cache lookup under way. */
interface PlannedCall {
  policy: TenantPolicy;
  links: ChainLink[];
  grounding: Grounding;
  cacheKey: string;
  /** The cached answer, or null (a miss, or a capability that is not cached). Never rejects. */
  hit: Promise<CachedInference | null>;
  /** The budget reservation made with the cache lookup, if any (it rejects as `reserve` does). */
  reservation?: Promise<Reservation>;
  /** Releases that early reservation, unspent: for a call turned away or answered from the cache. */
  giveBack(): Promise<void>;
}

async function planned(deps: InferenceDeps, req: InvokeRequest, cap: Capability, input: unknown, inputJson: CanonicalJsonText, prompt: string, opts: { reserve: boolean }): Promise<PlannedCall> {
  const tenantId = req.principal.tenantId;
  const policy = await deps.tenants.policyFor(tenantId);
  // The chain as it can run for this tenant: a residency change must not serve answers cached before it.
  const links = effectiveChain(cap, policy.allowedProviders, deps.configuredProviders);
  // RAG (rag: true): the top chunks go into the prompt and the cache key; citations must name one of them.
  const ground = () => groundingFor(deps.retriever, cap, input, prompt, { tenantId, topK: deps.config.rag?.topK ?? 5 });
  const grounding = cap.rag ? await timed(deps.metrics, 'retrieve', ground) : await ground();
  const cacheKey = inferenceCacheKey({ tenantId, capability: cap.key, promptVersion: cap.prompt.version, chain: links, input: inputJson, context: grounding.cacheContext });
  // cache: a hit costs nothing and is recorded as a call; an early reservation is given back.
  const hit = cap.cacheTtlSeconds > 0 ? timed(deps.metrics, 'cache', () => deps.cache.get(cacheKey)) : Promise.resolve(null);
  if (!opts.reserve) return { policy, links, grounding, cacheKey, hit, giveBack: () => Promise.resolve() };
  const reservation = reserveFor(deps, tenantId, cap, links, grounding);
  // Until the call knows it needs it, a failed reservation (an exhausted budget) is nobody's error yet.
  reservation.catch(() => undefined);
  const giveBack = () => runAfterAnswer(deps.afterAnswer, deps.logger, () => reservation.then((r) => deps.budgets.release(r, 0), () => undefined));
  return { policy, links, grounding, cacheKey, hit, reservation, giveBack };
}

/** Reserves the worst case of the chain (input estimate + max output), atomically. */
function reserveFor(deps: InferenceDeps, tenantId: string, cap: Capability, links: ChainLink[], grounding: Grounding): Promise<Reservation> {
  const estimateMicros = worstCaseMicros(deps.config.prices, links, inputTokenBound(cap, grounding.prompt), cap.maxOutputTokens);
  return timed(deps.metrics, 'reserve', () => deps.budgets.reserve({ tenantId, capability: cap.key, estimateMicros }));
}

function authorize(deps: InferenceDeps, req: InvokeRequest): Capability {
  const cap = deps.capabilities.require(req.capability);
  if (!deps.flags.isEnabled(`capability:${cap.key}`, req.principal.tenantId)) throw capabilityDisabled(cap.key);
  return cap;
}

async function cachedOrFresh(
  deps: InferenceDeps,
  req: InvokeRequest,
  cap: Capability,
  input: unknown,
  inputJson: CanonicalJsonText,
  plan: PlannedCall,
  started: number,
  adjustTokens: (actualTokens: number) => Promise<void>,
): Promise<InvokeResult> {
  const tenantId = req.principal.tenantId;
  const { policy, links, grounding, cacheKey } = plan;
  const facts = (extraHooks: RecordHook[] = []): CallFacts => ({
    callId,
    tenantId,
    capability: cap.key,
    channel: req.channel,
    inputHash,
    idempotencyKey: req.idempotencyKey,
    correlationId: req.correlationId,
    latencyMs: performance.now() - started,
    source: deps.config.events.source,
    hooks: [...(req.hooks ?? []), ...extraHooks],
  });
  const callId = randomUUID();
  const inputHash = sha256Hex(inputJson.text);

  const hit = await plan.hit;
  if (hit) {
    await plan.giveBack();
    const result: InvokeResult = {
      call_id: callId,
      capability: cap.key,
      output: hit.output,
      provider: hit.provider,
      model: hit.model,
      degraded: hit.degraded,
      cache_hit: true,
      usage: { input_tokens: 0, output_tokens: 0, cost_micros: 0 },
      hitl: null,
      citations: hit.citations,
    };
    await record(deps, completedCall(facts(), { provider: hit.provider, model: hit.model, degraded: hit.degraded, cacheHit: true, inputTokens: 0, outputTokens: 0, costMicros: 0, attempts: [], hitlStatus: null, output: hit.output }));
    deps.metrics.cacheHits.inc({ capability: cap.key });
    observe(deps, cap.key, 'cache', 'ok', started);
    return result;
  }

  // reserve budget: the worst case of the chain, atomically (made with the cache lookup when it could be).
  let reservation: Reservation;
  try {
    reservation = await (plan.reservation ?? reserveFor(deps, tenantId, cap, links, grounding));
  } catch (err) {
    if (isAppError(err) && err.code === 'budget_exhausted') deps.metrics.budgetRejections.inc({ capability: cap.key });
    throw err;
  }

  // run the chain: breakers, timeouts, retries, fallback; output validated against the capability's schema.
  const attempts: Attempt[] = [];
  let outcome;
  try {
    outcome = await timed(deps.metrics, 'chain', () => deps.chain.run({
      capability: cap,
      request: { system: cap.prompt.system, prompt: grounding.prompt, responseSchema: cap.outputSchema, maxOutputTokens: cap.maxOutputTokens, temperature: cap.temperature, capability: cap.key, input },
      deadlineMs: deps.config.routing.deadlineMs,
      allowedProviders: policy.allowedProviders,
      isProviderEnabled: (p: ProviderName) => deps.flags.isEnabled(`provider:${p}`, tenantId),
      apiKeyFor: deps.apiKeyFor ? (p: ProviderName) => deps.apiKeyFor!(tenantId, p) : undefined,
      validate: (text: string) => grounding.validate(text),
      onAttempt: (a) => attempts.push(a),
    }));
  } catch (err) {
    const failure = chainFailure(err);
    await deps.budgets.release(reservation, 0);
    await record(deps, failedCall(facts(), { code: failure.code, reason: failure.detail, attempts })).catch((recErr: unknown) => {
      // A hook may decline to record a failure (an async attempt that Pub/Sub will redeliver): not an error.
      if (!(recErr instanceof CallVetoedError)) deps.logger.error({ err: recErr, call_id: callId }, 'could not record a failed call');
    });
    observe(deps, cap.key, 'none', failure.code, started);
    throw failure;
  }

  // settle and record: the ai_calls row, its event and the real cost reach Postgres in one transaction.
  const cost = costMicros(deps.config.prices, outcome.provider, outcome.model, outcome.usage);
  const hitlStatus = cap.hitl ? ('pending' as const) : null;
  // A draft for review: its task is written in the same transaction as the call (shared/hitl).
  const review = cap.hitl ? deps.reviews?.open({ tenantId, capability: cap.key, callId, output: outcome.value, correlationId: req.correlationId }) : undefined;
  const hitl = hitlStatus ? { task_id: review?.taskId ?? null, status: hitlStatus } : null;
  const result = answeredResult({ callId, capability: cap.key, costMicros: cost, hitl, citations: citationsOf(outcome.value) }, outcome);
  // After the commit (never before: an answer is cached only once its call is recorded), alongside the release.
  const afterCommit = () =>
    Promise.all([
      adjustTokens(outcome.usage.inputTokens + outcome.usage.outputTokens),
      // Degraded answers are not cached, so the real answer is served once providers recover; drafts awaiting review neither.
      cap.cacheTtlSeconds > 0 && !outcome.degraded && !cap.hitl
        ? deps.cache.set(cacheKey, { output: result.output, provider: result.provider, model: result.model, degraded: false, usage: { input_tokens: result.usage.input_tokens, output_tokens: result.usage.output_tokens }, citations: result.citations, created_at: new Date().toISOString() }, cap.cacheTtlSeconds)
        : undefined,
    ]);
  await settleAndRecord(
    deps,
    completedCall(
      facts(review ? [review.hook] : []),
      answeredOutcome(outcome, cost, hitlStatus),
      deps.budgets.settlementFor(reservation, cost),
    ),
    reservation,
    cost,
    afterCommit,
  );
  deps.metrics.tokens.inc({ provider: outcome.provider, model: outcome.model, direction: 'input' }, outcome.usage.inputTokens);
  deps.metrics.tokens.inc({ provider: outcome.provider, model: outcome.model, direction: 'output' }, outcome.usage.outputTokens);
  deps.metrics.costMicros.inc({ provider: outcome.provider, model: outcome.model }, cost);
  observe(deps, cap.key, outcome.provider, outcome.degraded ? 'degraded' : 'ok', started);
  return result;
}

async function record(deps: InferenceDeps, call: Parameters<InferenceDeps['recorder']['record']>[0]): Promise<void> {
  await deps.recorder.record(call);
  deps.onRecorded?.();
}

function observe(deps: InferenceDeps, capability: string, provider: string, outcome: string, started: number): void {
  deps.metrics.requests.inc({ capability, provider, outcome });
  deps.metrics.latency.observe({ capability, provider }, (performance.now() - started) / 1000);
}

function citationsOf(output: unknown): unknown[] {
  const citations = (output as { citations?: unknown } | null)?.citations;
  return Array.isArray(citations) ? citations : [];
}
