import type { ProviderError } from '../providers/errors.js';

export interface RetryPolicy {
  /** Random delay added to every retry, so that callers rejected together do not come back together. */
  jitterMs: number;
  /** Longest Retry-After worth waiting for; a vendor asking for more is left for the next link. */
  maxRetryAfterMs: number;
  random: () => number;
}

/** Delay before the one retry of a link, or undefined when the chain should move on instead. */
export function retryDelayMs(err: ProviderError, policy: RetryPolicy, remainingMs: number): number | undefined {
  if (!err.retryable) return undefined;
  const asked = err.retryAfterMs ?? 0;
  // Retrying sooner than the vendor asked would only earn another 429.
  if (asked > policy.maxRetryAfterMs) return undefined;
  const delay = asked + Math.floor(policy.random() * policy.jitterMs);
  return delay < remainingMs ? delay : undefined;
}
