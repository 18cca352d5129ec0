import { ProviderError } from '../providers/errors.js';
import type { ProviderName } from '../providers/port.js';

/** The budget of one attempt: an AbortController that fires after `ms`, passed to the provider as `signal`. */
export class AttemptTimer {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private fired = false;

  constructor(provider: ProviderName, ms: number) {
    this.timer = setTimeout(() => {
      this.fired = true;
      this.controller.abort(new ProviderError({ kind: 'timeout', provider, message: `no answer within ${ms} ms` }));
    }, ms);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The attempt ran out of time (as opposed to being stopped by its caller). */
  get expired(): boolean {
    return this.fired;
  }

  /** Ends the budget; `abandon` also aborts the call, for an attempt left before it finished. */
  dispose(abandon: boolean): void {
    clearTimeout(this.timer);
    if (abandon && !this.controller.signal.aborted) this.controller.abort(new Error('attempt abandoned'));
  }
}

/**
 * Settles with `p`, or rejects with the signal's reason as soon as it aborts: an adapter that ignores its
 * signal still cannot hold the chain past the attempt's budget.
 */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
