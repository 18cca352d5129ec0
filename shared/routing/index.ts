export { createChainRunner, type ChainRunnerOptions } from './runner.js';
export { AllProvidersFailedError, ChainDeadlineError, StreamInterruptedError } from './errors.js';
export type { BreakerSettings } from './breakers.js';
export type {
  Attempt,
  AttemptOutcome,
  BreakerState,
  ChainOutcome,
  ChainRunOptions,
  ChainRunner,
  ChainStreamEvent,
  ValidationResult,
} from './types.js';
