import type { PublishOutcome } from './publisher.js';

export interface BatchSettlement<R> {
  /** Acknowledged, and no earlier row of the same key failed: mark published. */
  published: Array<{ row: R; messageId: string }>;
  failed: Array<{ row: R; error: Error }>;
  /**
   * Acknowledged although an earlier row of the same key failed. Left unpublished so it goes out again
   * after that row: a duplicate is acceptable (delivery is at-least-once), a reordering is not.
   */
  heldBack: R[];
}

/** Sorts a published batch's rows by outcome, keeping each ordering key's rows in order. */
export function settleBatch<R extends { ordering_key: string }>(rows: R[], outcomes: PublishOutcome[]): BatchSettlement<R> {
  const settlement: BatchSettlement<R> = { published: [], failed: [], heldBack: [] };
  const failedKeys = new Set<string>();
  rows.forEach((row, i) => {
    const outcome: PublishOutcome = outcomes[i] ?? { ok: false, error: new Error('the publisher returned no outcome for this message') };
    if (!outcome.ok) {
      failedKeys.add(row.ordering_key);
      settlement.failed.push({ row, error: outcome.error });
    } else if (failedKeys.has(row.ordering_key)) {
      settlement.heldBack.push(row);
    } else {
      settlement.published.push({ row, messageId: outcome.messageId });
    }
  });
  return settlement;
}
