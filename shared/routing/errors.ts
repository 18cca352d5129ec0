import { AppError } from '../errors/app-error.js';
import type { ProviderError } from '../providers/errors.js';
import type { LlmUsage, ProviderName } from '../providers/port.js';
import type { Attempt } from './types.js';

/** Every link of the chain failed or was skipped, and no deterministic answer was possible. */
export class AllProvidersFailedError extends AppError {
  readonly attempts: Attempt[];

  constructor(attempts: Attempt[], opts: { code?: string; status?: number; title?: string; detail?: string } = {}) {
    super({
      code: opts.code ?? 'providers_unavailable',
      status: opts.status ?? 503,
      title: opts.title ?? 'Providers unavailable',
      detail: opts.detail ?? 'No model provider of this capability could answer; try again later.',
    });
    this.name = 'AllProvidersFailedError';
    this.attempts = attempts;
  }
}

/** The overall deadline passed before any link answered (the deterministic link, if any, failed too). */
export class ChainDeadlineError extends AllProvidersFailedError {
  constructor(attempts: Attempt[], deadlineMs: number) {
    super(attempts, {
      code: 'deadline_exceeded',
      status: 504,
      title: 'Deadline exceeded',
      detail: `No model provider answered within ${deadlineMs} ms.`,
    });
    this.name = 'ChainDeadlineError';
  }
}

/**
 * A stream failed after deltas reached the caller, so it could not fall back. `usage` is the vendor's when
 * its end event arrived (the text then failed validation), undefined when the stream broke before it.
 */
export class StreamInterruptedError extends AppError {
  readonly attempts: Attempt[];
  readonly provider: ProviderName;
  readonly model: string;
  readonly kind: ProviderError['kind'];
  readonly emittedChars: number;
  readonly usage: LlmUsage | undefined;

  constructor(opts: { cause: ProviderError; attempts: Attempt[]; model: string; emittedChars: number; usage: LlmUsage | undefined }) {
    super({
      code: 'stream_interrupted',
      status: 502,
      title: 'Stream interrupted',
      detail: `The ${opts.cause.provider} stream failed after it started (${opts.cause.kind}).`,
      cause: opts.cause,
    });
    this.name = 'StreamInterruptedError';
    this.attempts = opts.attempts;
    this.provider = opts.cause.provider;
    this.model = opts.model;
    this.kind = opts.cause.kind;
    this.emittedChars = opts.emittedChars;
    this.usage = opts.usage;
  }
}
