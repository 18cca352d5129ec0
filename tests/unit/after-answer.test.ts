import { describe, expect, it } from 'vitest';
import { AfterAnswer, runAfterAnswer } from '../../shared/inference/after-answer.js';
import { settleAndRecord } from '../../shared/inference/settle-and-record.js';
import { createInferenceMetrics } from '../../shared/inference/metrics.js';
import { createLogger, createMetrics } from '../../shared/telemetry/index.js';
import type { Reservation, Settlement } from '../../shared/budgets/index.js';
import type { CallRecord } from '../../shared/recording/calls.js';

const logger = createLogger({ level: 'silent' });

/** A promise and the function that resolves it. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describe('AfterAnswer', () => {
  it('starts a task at once, and settled() waits for it and for tasks started while it waited', async () => {
    const after = new AfterAnswer(logger);
    const first = latch();
    const second = latch();
    const order: string[] = [];
    after.run(async () => {
      order.push('first started');
      await first.promise;
      // A task that starts another one while settled() is already waiting.
      after.run(async () => {
        await second.promise;
        order.push('second done');
      });
    });
    // Synchronous start: the task's first commands go out before the caller's answer does.
    expect(order).toEqual(['first started']);
    expect(after.pending).toBe(1);
    let settled = false;
    const waiting = after.settled().then(() => (settled = true));
    first.open();
    await new Promise((r) => setTimeout(r, 5));
    expect(settled).toBe(false);
    second.open();
    await waiting;
    expect(order).toEqual(['first started', 'second done']);
    expect(after.pending).toBe(0);
  });

  it('logs a failing task (thrown or rejected) and never throws at the caller', async () => {
    const warned: unknown[] = [];
    const after = new AfterAnswer({ ...logger, warn: (obj: unknown) => warned.push(obj) } as unknown as typeof logger);
    expect(() =>
      after.run(() => {
        throw new Error('sync');
      }),
    ).not.toThrow();
    after.run(async () => Promise.reject(new Error('async')));
    await after.settled();
    expect(warned.map((w) => ((w as { err: Error }).err).message)).toEqual(['sync', 'async']);
  });
});

describe('settleAndRecord', () => {
  const reservation = { id: 'r1' } as unknown as Reservation;
  const call = { row: { call_id: 'c1' } } as unknown as CallRecord<Settlement>;
  const depsWith = (release: () => Promise<void>, afterAnswer?: AfterAnswer) => ({
    recorder: { record: async () => {}, flush: async () => {} },
    budgets: { release },
    logger,
    metrics: createInferenceMetrics(createMetrics({ defaultMetrics: false }).registry),
    ...(afterAnswer ? { afterAnswer } : {}),
  }) as unknown as Parameters<typeof settleAndRecord>[0];

  it('with AfterAnswer: answers once the call is committed, before the release and the cache write finish', async () => {
    const after = new AfterAnswer(logger);
    const release = latch();
    const cacheWrite = latch();
    let released = false;
    await settleAndRecord(
      depsWith(async () => {
        await release.promise;
        released = true;
      }, after),
      call,
      reservation,
      10,
      () => cacheWrite.promise,
    );
    expect(released).toBe(false);
    expect(after.pending).toBe(1);
    release.open();
    cacheWrite.open();
    await after.settled();
    expect(released).toBe(true);
  });

  it('without it: the caller waits for the release', async () => {
    const release = latch();
    let answered = false;
    const settling = settleAndRecord(depsWith(() => release.promise), call, reservation, 10).then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(answered).toBe(false);
    release.open();
    await settling;
    expect(answered).toBe(true);
  });
});

describe('runAfterAnswer', () => {
  const warnings = () => {
    const seen: string[] = [];
    const log = { warn: (_fields: unknown, message: string) => void seen.push(message) } as unknown as typeof logger;
    return { seen, log };
  };

  it('without an AfterAnswer the caller waits for the task, and a failure is logged, not thrown', async () => {
    const { seen, log } = warnings();
    const gate = latch();
    let done = false;
    const waiting = runAfterAnswer(undefined, log, async () => {
      await gate.promise;
      done = true;
    });
    gate.open();
    await waiting;
    expect(done).toBe(true);
    await expect(runAfterAnswer(undefined, log, () => Promise.reject(new Error('store down')))).resolves.toBeUndefined();
    expect(seen).toEqual(['work after an answer failed']);
  });

  it('with an AfterAnswer the caller goes on at once and settled() waits for the task', async () => {
    const after = new AfterAnswer(logger);
    const gate = latch();
    let done = false;
    await runAfterAnswer(after, logger, async () => {
      await gate.promise;
      done = true;
    });
    expect(done).toBe(false);
    expect(after.pending).toBe(1);
    gate.open();
    await after.settled();
    expect(done).toBe(true);
  });
});
