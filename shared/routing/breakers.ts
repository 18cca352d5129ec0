import CircuitBreaker from 'opossum';
import { isProviderError, type ProviderError, type ProviderErrorKind } from '../providers/errors.js';
import type { ProviderName } from '../providers/port.js';
import type { BreakerState } from './types.js';

export interface BreakerSettings {
  errorThresholdPercentage: number;
  volumeThreshold: number;
  resetTimeoutMs: number;
  rollingCountTimeoutMs: number;
}

/** Failures that are the provider's fault. A request it rejects, a refusal or a tenant's bad BYOK key are not. */
const COUNTS_AGAINST_PROVIDER: ReadonlySet<ProviderErrorKind> = new Set(['rate_limited', 'unavailable', 'timeout', 'connection', 'invalid_output']);

export const countsAgainstBreaker = (err: unknown): boolean => !isProviderError(err) || COUNTS_AGAINST_PROVIDER.has(err.kind);

/** A call the breaker let through: settle it exactly once with its outcome (later calls are ignored). */
export interface Admission {
  settle(error?: ProviderError): void;
}

type Thunk = () => Promise<void>;

/**
 * One opossum breaker per provider+model, created on first use and kept for the runner's life. The breaker
 * only keeps the books: the attempt runs outside it and reports its outcome through an Admission, which lets
 * a stream be judged on its whole life, not on its first byte. Timeouts are ours (AbortController per
 * attempt), so opossum's own is off.
 */
export class LinkBreakers {
  private readonly breakers = new Map<string, CircuitBreaker<[Thunk], void>>();

  constructor(
    private readonly settings: BreakerSettings,
    private readonly onStateChange: (provider: ProviderName, model: string, state: BreakerState) => void = () => {},
  ) {}

  /** Undefined when the breaker is open (or half-open with its one trial already under way). */
  admit(provider: ProviderName, model: string): Admission | undefined {
    const breaker = this.breaker(provider, model);
    let admitted = false;
    let finish: (error?: ProviderError) => void = () => {};
    // opossum runs the action synchronously inside fire() when it lets the call through.
    const outcome = breaker.fire(() => {
      admitted = true;
      return new Promise<void>((resolve, reject) => {
        finish = (error) => (error ? reject(error) : resolve());
      });
    });
    outcome.catch(() => {}); // the rejection only feeds the breaker's statistics
    if (!admitted) return undefined;
    let settled = false;
    return {
      settle(error) {
        if (settled) return;
        settled = true;
        finish(error);
      },
    };
  }

  states(): Record<string, BreakerState> {
    const out: Record<string, BreakerState> = {};
    for (const [key, breaker] of this.breakers) out[key] = stateOf(breaker);
    return out;
  }

  close(): void {
    for (const breaker of this.breakers.values()) breaker.shutdown();
    this.breakers.clear();
  }

  private breaker(provider: ProviderName, model: string): CircuitBreaker<[Thunk], void> {
    const key = `${provider}:${model}`;
    let breaker = this.breakers.get(key);
    if (breaker) return breaker;
    breaker = new CircuitBreaker<[Thunk], void>((thunk) => thunk(), {
      name: key,
      timeout: false,
      errorThresholdPercentage: this.settings.errorThresholdPercentage,
      volumeThreshold: this.settings.volumeThreshold,
      resetTimeout: this.settings.resetTimeoutMs,
      rollingCountTimeout: this.settings.rollingCountTimeoutMs,
      // A filtered error counts as a success: the provider did its job.
      errorFilter: (err: unknown) => !countsAgainstBreaker(err),
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    breaker.on('open', () => this.onStateChange(provider, model, 'open'));
    breaker.on('halfOpen', () => this.onStateChange(provider, model, 'halfOpen'));
    breaker.on('close', () => this.onStateChange(provider, model, 'closed'));
    this.breakers.set(key, breaker);
    this.onStateChange(provider, model, 'closed');
    return breaker;
  }
}

function stateOf(breaker: CircuitBreaker<[Thunk], void>): BreakerState {
  if (breaker.opened) return 'open';
  if (breaker.halfOpen) return 'halfOpen';
  return 'closed';
}
