import type { ChainLink } from '../capabilities/types.js';
import type { LlmProvider, ProviderName } from '../providers/port.js';
import type { Logger } from '../telemetry/index.js';
import { attemptLink, type AttemptContext } from './attempt.js';
import type { LinkBreakers } from './breakers.js';
import { skipReason } from './eligibility.js';
import { AllProvidersFailedError, ChainDeadlineError, StreamInterruptedError } from './errors.js';
import type { Execute } from './execute.js';
import type { RoutingMetrics } from './metrics.js';
import { retryDelayMs, type RetryPolicy } from './retry.js';
import type { Attempt, AttemptOutcome, ChainOutcome, ChainRunOptions } from './types.js';

export interface ChainDeps {
  providers: Partial<Record<ProviderName, LlmProvider>>;
  breakers: LinkBreakers;
  retry: RetryPolicy;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
  metrics: RoutingMetrics;
}

/** The deterministic provider answers instantly, so it is tried even after the deadline, on its own budget. */
const exemptFromDeadline = (link: ChainLink): boolean => link.provider === 'deterministic';

/**
 * A vendor link is tried only with at least this much of the deadline left. Less cannot bring back an
 * answer, and a timer may fire a few ms before Date.now() reaches the deadline (libuv schedules it from
 * a cached loop time), which would otherwise start a next link (or a retry) with ~1 ms to live.
 */
export const MIN_ATTEMPT_MS = 10;

/**
 * Walks the capability's chain in order until a link answers with valid output. Yields the answering
 * link's deltas (only `execute = streamDeltas` produces any) and returns the outcome; throws the
 * ProviderError of a request the vendors would all refuse (bad_request, refused), a StreamInterruptedError
 * when a link fails after its first delta, or AllProvidersFailedError / ChainDeadlineError.
 */
export async function* walkChain(deps: ChainDeps, opts: ChainRunOptions, execute: Execute): AsyncGenerator<string, ChainOutcome> {
  const deadline = Date.now() + opts.deadlineMs;
  const attempts: Attempt[] = [];
  const record = (link: ChainLink, outcome: AttemptOutcome, ms: number): void => {
    const attempt: Attempt = { provider: link.provider, model: link.model, outcome, ms };
    attempts.push(attempt);
    deps.metrics.attempt(attempt);
    opts.onAttempt?.(attempt);
    const fields = { capability: opts.capability.key, ...attempt };
    if (outcome === 'ok' || outcome.startsWith('skipped_')) deps.logger.debug(fields, 'llm link');
    else deps.logger.warn(fields, 'llm link failed');
  };
  const ctx: AttemptContext = { breakers: deps.breakers, execute, validate: opts.validate, record };
  let pastDeadline = false;

  for (const link of opts.capability.chain) {
    const skip = skipReason(link, deps.providers, opts);
    if (skip) {
      record(link, skip, 0);
      continue;
    }
    const exempt = exemptFromDeadline(link);
    if (!exempt && deadline - Date.now() < MIN_ATTEMPT_MS) {
      pastDeadline = true;
      record(link, 'skipped_deadline', 0);
      continue;
    }
    const provider = deps.providers[link.provider] as LlmProvider;
    let apiKey: string | undefined;
    try {
      apiKey = await opts.apiKeyFor?.(link.provider);
    } catch (err) {
      deps.logger.warn({ capability: opts.capability.key, provider: link.provider, err }, 'tenant key unavailable');
      record(link, 'auth', 0);
      continue;
    }
    const request = apiKey === undefined ? opts.request : Object.assign({}, opts.request, { apiKey });

    for (let retried = false; ; retried = true) {
      const budget = exempt ? link.timeoutMs : Math.min(link.timeoutMs, deadline - Date.now());
      const attempt = yield* attemptLink(ctx, link, provider, request, budget);
      if (attempt.ok) {
        const { result, value } = attempt;
        return {
          value,
          text: result.text,
          provider: link.provider,
          model: link.model,
          usage: result.usage,
          finishReason: result.finishReason,
          degraded: link.provider === 'deterministic',
          attempts,
        };
      }
      if (attempt.breakerOpen) break;
      const { error } = attempt;
      if (attempt.emitted > 0) {
        throw new StreamInterruptedError({ cause: error, attempts, model: link.model, emittedChars: attempt.emitted, usage: attempt.usage });
      }
      if (!error.fallsThrough) throw error;
      const remaining = deadline - Date.now();
      if (!exempt && remaining <= 0) pastDeadline = true;
      // A retry, too, must leave a usable attempt after its delay.
      const delay = retried ? undefined : retryDelayMs(error, deps.retry, remaining - MIN_ATTEMPT_MS);
      if (delay === undefined) break;
      await deps.sleep(delay);
    }
  }
  if (pastDeadline) throw new ChainDeadlineError(attempts, opts.deadlineMs);
  throw new AllProvidersFailedError(attempts);
}
