/**
 * Where the relay's scan of unpublished outbox rows starts: the lowest id that can still be unpublished.
 *
 * Why: the relay finds unpublished rows through a partial index (`published_at IS NULL`) that keeps the
 * entries of published rows until the table's next vacuum. A scan from the start of the index steps over
 * (and, read with a bitmap scan, visits) every row published since then: 5–17 ms per round at 100,000 such
 * rows. Starting at the floor skips them, whatever plan Postgres picks.
 *
 * The invariant: every row below the floor is published, and every transaction that wrote one has ended.
 * Ids come from a sequence, so a row with an id at most M, the highest id a round saw at time t, was written
 * before t; its transaction has ended by t + `settledAfterMs` (longer than any transaction that writes
 * events). A round that started after that and read from the floor up saw every unpublished row up to M,
 * so the floor may rise to the lowest row it left unpublished (failed, held back, waiting out a backoff, or
 * beyond its batch), and at most to M + 1. Every `fullScanIntervalMs` a round reads from 0 anyway: a safety
 * net should a transaction outlive `settledAfterMs`.
 */
export class ScanFloor {
  private floor = 0;
  private lastFullScanAt = Number.NEGATIVE_INFINITY;
  // The highest id seen by recent rounds, oldest first; only those still young enough to matter are kept.
  private readonly seen: Array<{ at: number; maxId: number }> = [];
  // The highest id seen at least settledAfterMs ago: every transaction that wrote a row up to it has ended.
  private settledMaxId: number | undefined;

  constructor(private readonly opts: { settledAfterMs: number; fullScanIntervalMs: number }) {}

  /** The id this round reads from: 0 for a periodic full scan, else the floor. */
  from(startedAt: number): number {
    if (startedAt - this.lastFullScanAt >= this.opts.fullScanIntervalMs) {
      this.lastFullScanAt = startedAt;
      return 0;
    }
    return this.floor;
  }

  /**
   * After a round that started at `startedAt` (before its statement) and read from `from`: its statement
   * returned by `observedAt` and saw `maxId` as the table's highest id (null: empty), and the round left
   * `lowestUnpublished` as the lowest unpublished id at or above `from` (null: none).
   */
  advance(round: { startedAt: number; observedAt: number; from: number; maxId: number | null; lowestUnpublished: number | null }): void {
    // Every id the statement saw was written before it returned: observedAt bounds when.
    if (round.maxId !== null) this.seen.push({ at: round.observedAt, maxId: round.maxId });
    while (this.seen.length > 0 && this.seen[0]!.at <= round.startedAt - this.opts.settledAfterMs) this.settledMaxId = this.seen.shift()!.maxId;
    const lowest = round.lowestUnpublished ?? Number.POSITIVE_INFINITY;
    // Below `from` nothing is unpublished (the invariant); a full scan may have found rows below the floor
    // (a transaction that outlived settledAfterMs), and the floor comes down to them.
    let floor = round.from === 0 ? Math.min(this.floor, lowest) : this.floor;
    if (this.settledMaxId !== undefined) floor = Math.max(floor, Math.min(lowest, this.settledMaxId + 1));
    this.floor = floor;
  }

  /** Forget everything (the lease was lost: another instance published meanwhile). */
  reset(): void {
    this.floor = 0;
    this.lastFullScanAt = Number.NEGATIVE_INFINITY;
    this.seen.length = 0;
    this.settledMaxId = undefined;
  }

  /** The current floor (for tests and logs). */
  get value(): number {
    return this.floor;
  }
}
