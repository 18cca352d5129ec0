import type { Reservation, Settlement } from '../budgets/index.js';
import type { CallRecord } from '../recording/calls.js';
import { runAfterAnswer } from './after-answer.js';
import { recordingFailed } from './errors.js';
import { timed } from './metrics.js';
import type { InferenceDeps } from './types.js';

type Deps = Pick<InferenceDeps, 'recorder' | 'budgets' | 'logger' | 'metrics' | 'onRecorded' | 'afterAnswer'>;

/**
 * The "settle and record" step of every paid call: its row, its event and its settled cost are committed
 * together (group commit), then its reservation is released. An answer whose call could not be recorded
 * is withheld (503 recording_failed). With `deps.afterAnswer`, the release (and `alongsideRelease`) runs
 * after the caller has its answer (after-answer.ts); without it, the caller waits for them.
 */
export async function settleAndRecord(
  deps: Deps,
  call: CallRecord<Settlement>,
  reservation: Reservation,
  costMicros: number,
  // Key/value writes that follow the commit too (token usage, cache entry): they go out with the release,
  // one round trip of waiting instead of one each. They must not throw.
  alongsideRelease?: () => Promise<unknown>,
): Promise<void> {
  try {
    await timed(deps.metrics, 'record', () => deps.recorder.record(call));
  } catch (err) {
    // Keep the fast counter conservative: the vendor was paid even though the ledger did not get it.
    await deps.budgets.release(reservation, costMicros).catch(() => {});
    deps.logger.error({ err, call_id: call.row.call_id }, 'could not record a call; its answer is withheld');
    throw recordingFailed(err);
  }
  deps.onRecorded?.();
  await runAfterAnswer(deps.afterAnswer, deps.logger, () => Promise.all([timed(deps.metrics, 'release', () => releaseAfterCommit(deps, reservation, costMicros)), alongsideRelease?.()]));
}

/**
 * Releases a reservation once its call is committed. A failure here must not fail the caller: the call
 * is recorded and charged, and a retry would charge it twice. The reservation stops counting after its
 * TTL and the reconciler corrects the counter from the ledger.
 */
async function releaseAfterCommit(deps: Deps, reservation: Reservation, actualMicros: number): Promise<void> {
  try {
    await deps.budgets.release(reservation, actualMicros);
  } catch (err) {
    deps.logger.warn({ err, reservation_id: reservation.id }, 'budget release failed after commit; the reservation will expire');
  }
}
