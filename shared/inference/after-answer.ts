import type { Logger } from '../telemetry/index.js';

/**
 * Work a call still owes once its answer is decided, which the caller need not wait for: releasing the
 * budget reservation of a committed call, writing its cache entry, correcting its token count. The call's
 * row, event and settled cost are already committed by then, and the reservation keeps covering the call's
 * worst case until it is released, so answering first never lets spend pass a limit; it saves the caller
 * one round trip to the key/value store. The task starts at once, so its commands are queued on the store's
 * connection in the tick that decided the answer (the release and the token correction at its end, summed
 * with those of the other calls answered in it: util/tick-batch.ts), before any later I/O callback runs:
 * a caller's next request reaches the store after them (one ordered connection), and sees the released
 * budget and the cached answer as it did when it waited for them. Shutdown waits for what is still
 * running (`settled`).
 */
export class AfterAnswer {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly logger: Logger) {}

  /** Starts `task` now (synchronously) and keeps track of it; a failure is logged, never thrown at anyone. */
  run(task: () => Promise<unknown>): void {
    let started: Promise<unknown>;
    try {
      started = task();
    } catch (err) {
      started = Promise.reject(err);
    }
    const done: Promise<void> = started
      .then(
        () => undefined,
        (err: unknown) => this.logger.warn({ err }, 'work after an answer failed'),
      )
      .finally(() => this.running.delete(done));
    this.running.add(done);
  }

  /** How many tasks are still running. */
  get pending(): number {
    return this.running.size;
  }

  /** Resolves when no task is running, including tasks started while it waited. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}

/**
 * Runs `task` after the answer when the service answers first (`afterAnswer` given), else before it: the
 * returned promise then waits for the task. Either way a failure is logged, never thrown.
 */
export function runAfterAnswer(afterAnswer: AfterAnswer | undefined, logger: Logger, task: () => Promise<unknown>): Promise<void> {
  if (afterAnswer) {
    afterAnswer.run(task);
    return Promise.resolve();
  }
  return task().then(
    () => undefined,
    (err: unknown) => logger.warn({ err }, 'work after an answer failed'),
  );
}
