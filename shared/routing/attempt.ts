import type { ChainLink } from '../capabilities/types.js';
import { ProviderError, isProviderError } from '../providers/errors.js';
import type { LlmProvider, LlmRequest, LlmResult, LlmUsage } from '../providers/port.js';
import { AttemptTimer, untilAborted } from './attempt-timer.js';
import type { LinkBreakers } from './breakers.js';
import type { Execute } from './execute.js';
import type { AttemptOutcome, ValidationResult } from './types.js';

export type AttemptResult =
  | { ok: true; result: LlmResult; value: unknown }
  | { ok: false; breakerOpen: true }
  /** `emitted`: characters already yielded to the caller; `usage`: known when the vendor's end arrived. */
  | { ok: false; breakerOpen: false; error: ProviderError; emitted: number; usage: LlmUsage | undefined };

export interface AttemptContext {
  breakers: LinkBreakers;
  execute: Execute;
  validate: (text: string) => ValidationResult;
  record: (link: ChainLink, outcome: AttemptOutcome, ms: number) => void;
}

/**
 * One try of one link, inside its breaker and its time budget: yields the provider's deltas as they come,
 * returns the validated result or the failure. Never throws for a provider's failure.
 */
export async function* attemptLink(
  ctx: AttemptContext,
  link: ChainLink,
  provider: LlmProvider,
  request: Omit<LlmRequest, 'model' | 'signal'>,
  budgetMs: number,
): AsyncGenerator<string, AttemptResult> {
  const admission = ctx.breakers.admit(link.provider, link.model);
  if (!admission) {
    ctx.record(link, 'breaker_open', 0);
    return { ok: false, breakerOpen: true };
  }
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const timer = new AttemptTimer(link.provider, Math.max(1, budgetMs));
  const calls = ctx.execute(provider, Object.assign({}, request, { model: link.model, signal: timer.signal }));
  let finished = false;
  let emitted = 0;
  let usage: LlmUsage | undefined;
  try {
    for (;;) {
      const step = await untilAborted(calls.next(), timer.signal);
      if (step.done) {
        finished = true;
        usage = step.value.usage;
        const value = check(link, step.value, ctx.validate);
        admission.settle();
        ctx.record(link, 'ok', elapsed());
        return { ok: true, result: step.value, value };
      }
      if (step.value) {
        emitted += step.value.length;
        yield step.value;
      }
    }
  } catch (err) {
    finished = true;
    const error = asProviderError(err, link, timer.expired);
    admission.settle(error);
    ctx.record(link, error.kind, elapsed());
    return { ok: false, breakerOpen: false, error, emitted, usage };
  } finally {
    // Reached without a verdict only when the caller stopped reading: no fault of the provider.
    admission.settle();
    timer.dispose(!finished);
    if (!finished) calls.return(undefined as never).catch(() => {});
  }
}

function check(link: ChainLink, result: LlmResult, validate: (text: string) => ValidationResult): unknown {
  // A safety stop is a refusal even when the adapter did not say so: never route it to another vendor.
  if (result.finishReason === 'safety') {
    throw new ProviderError({ kind: 'refused', provider: link.provider, message: 'the model stopped for safety reasons' });
  }
  const checked = validate(result.text);
  if (!checked.ok) throw new ProviderError({ kind: 'invalid_output', provider: link.provider, message: checked.reason });
  return checked.value;
}

/** Our own timeout wins over whatever the adapter made of the abort; anything unexpected is the provider's fault. */
function asProviderError(err: unknown, link: ChainLink, timedOut: boolean): ProviderError {
  if (timedOut) {
    if (isProviderError(err) && err.kind === 'timeout') return err;
    return new ProviderError({ kind: 'timeout', provider: link.provider, message: `${link.provider}:${link.model} ran out of time`, cause: err });
  }
  if (isProviderError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError({ kind: 'unavailable', provider: link.provider, message: `unexpected failure: ${message}`, cause: err });
}
