import type { CapabilityDefinition } from '../capabilities/types.js';
import type { ProviderErrorKind } from '../providers/errors.js';
import type { LlmRequest, LlmResult, LlmUsage, ProviderName } from '../providers/port.js';

export type AttemptOutcome =
  | 'ok'
  | ProviderErrorKind
  | 'breaker_open'
  | 'skipped_residency'
  | 'skipped_disabled'
  | 'skipped_unconfigured'
  /** A provider link not tried because the overall deadline had already passed. */
  | 'skipped_deadline';

/** One link tried (or skipped) while running a chain; `ms` is 0 for a skipped link. */
export interface Attempt {
  provider: ProviderName;
  model: string;
  outcome: AttemptOutcome;
  ms: number;
}

export type ValidationResult = { ok: true; value: unknown } | { ok: false; reason: string };

export interface ChainRunOptions {
  capability: CapabilityDefinition;
  request: Omit<LlmRequest, 'model' | 'signal' | 'apiKey'>;
  /** Overall budget of the call across every link and retry, from now. */
  deadlineMs: number;
  /** The tenant's residency policy. */
  allowedProviders: ReadonlySet<ProviderName>;
  /** Feature flags: `false` disables the provider for this call. */
  isProviderEnabled?: (provider: ProviderName) => boolean;
  /** BYOK: the tenant's own key for the provider, passed to it as `request.apiKey`. */
  apiKeyFor?: (provider: ProviderName) => Promise<string | undefined>;
  /** Parses and checks the model's text against the capability's output schema. */
  validate: (text: string) => ValidationResult;
  /** Called for every attempt as it is recorded, including those of a call that ends in an error. */
  onAttempt?: (attempt: Attempt) => void;
}

export interface ChainOutcome {
  value: unknown;
  text: string;
  provider: ProviderName;
  model: string;
  usage: LlmUsage;
  finishReason: LlmResult['finishReason'];
  /** Answered by the deterministic provider. */
  degraded: boolean;
  attempts: Attempt[];
}

export type ChainStreamEvent = { type: 'delta'; text: string } | ({ type: 'end' } & ChainOutcome);

export type BreakerState = 'closed' | 'open' | 'halfOpen';

export interface ChainRunner {
  /** Runs the capability's chain to one validated answer, or throws (see shared/routing/errors.ts). */
  run(opts: ChainRunOptions): Promise<ChainOutcome>;
  /**
   * Streams deltas then one `end`. Falls back to the next link only before the first delta; a failure after
   * it is thrown from the iterator as a StreamInterruptedError, never a clean end.
   */
  stream(opts: ChainRunOptions): AsyncIterable<ChainStreamEvent>;
  /** State of every breaker created so far, keyed `provider:model`. */
  breakerStates(): Record<string, BreakerState>;
  /** Stops the breakers' timers (process shutdown, tests). */
  close(): void;
}
