import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { RelaySettings } from '../config/index.js';
import type { Queryable } from '../db/index.js';
import type { Logger } from '../telemetry/index.js';
import { backoffDelayMs } from './backoff.js';
import { releaseLease } from './lease.js';
import type { OutboxMetrics } from './metrics.js';
import { leadAndSelect, markFailed, markPublished, type OutboxRow } from './outbox-rows.js';
import { ScanFloor } from './scan-floor.js';
import { toError, type OutboundMessage, type Publisher, type PublishOutcome } from './publisher.js';
import { settleBatch } from './settle.js';
import { Sleeper } from './sleeper.js';

export interface OutboxRelayOptions {
  /** A pool: the relay runs single statements and never holds a transaction open while it publishes. */
  pool: Queryable;
  publisher: Publisher;
  settings: RelaySettings;
  logger: Logger;
  /** Identifies this instance in the lease; defaults to host, pid and a random suffix. */
  holderId?: string;
  metrics?: OutboxMetrics;
  /** The lease row's name: one active relay per name across instances. */
  leaseName?: string;
  random?: () => number;
  /** Prepare the relay's statements on each connection (only where each is a session of its own, see db/params.ts preparedAs). */
  preparedStatements?: boolean;
}

interface RoundResult {
  leader: boolean;
  selected: number;
  published: number;
  failed: number;
}

const IDLE_ROUND: Omit<RoundResult, 'leader'> = { selected: 0, published: 0, failed: 0 };

/**
 * Publishes outbox rows in id order and marks them published once the broker acknowledged them.
 * Only the instance holding the lease publishes, so each tenant's events keep their order across instances.
 * A failed row is retried after a backoff; until then no later row of its ordering key goes out.
 */
export class OutboxRelay {
  readonly holderId: string;
  private readonly pool: Queryable;
  private readonly publisher: Publisher;
  private readonly settings: RelaySettings;
  private readonly logger: Logger;
  private readonly metrics: OutboxMetrics | undefined;
  private readonly leaseName: string;
  private readonly random: () => number;
  private readonly prepared: boolean;
  private readonly floor: ScanFloor;
  private readonly sleeper = new Sleeper();
  // The minimum pause between rounds (settings.minRoundGapMs): only stop() ends it early.
  private readonly gap = new Sleeper();
  private running = false;
  private loop: Promise<void> | undefined;
  // Rounds run one at a time (loop, runOnce and flush may overlap); this is the tail of that queue.
  private tail: Promise<unknown> = Promise.resolve();
  private leader = false;

  constructor(opts: OutboxRelayOptions) {
    this.pool = opts.pool;
    this.publisher = opts.publisher;
    this.settings = opts.settings;
    this.logger = opts.logger;
    this.metrics = opts.metrics;
    this.leaseName = opts.leaseName ?? 'outbox';
    this.random = opts.random ?? Math.random;
    this.prepared = opts.preparedStatements ?? false;
    this.floor = new ScanFloor({ settledAfterMs: opts.settings.settledAfterMs ?? 60_000, fullScanIntervalMs: opts.settings.fullScanIntervalMs ?? 300_000 });
    this.holderId = opts.holderId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  /** Starts the background loop (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** The id this relay's rounds read from (shared/events/scan-floor.ts); 0 when it reads from the first row. */
  get scanFloor(): number {
    return this.floor.value;
  }

  /** Ends the idle wait early: call after committing a transaction that enqueued events. */
  wake(): void {
    this.sleeper.wake();
  }

  /** Stops the loop after its current round and gives up the lease. Does not close the publisher. */
  async stop(): Promise<void> {
    if (this.running) {
      this.running = false;
      this.gap.wake();
      this.sleeper.wake();
      await this.loop;
    }
    await this.exclusive(async () => {
      if (!this.leader) return;
      this.leader = false;
      await releaseLease(this.pool, this.leaseName, this.holderId).catch((err: unknown) => {
        this.logger.warn({ err: toError(err) }, 'outbox relay: could not release the lease');
      });
    });
  }

  /**
   * Publishes everything pending now, backoff or not (on shutdown), until nothing is left, a round makes
   * no progress, or timeoutMs has passed. A round already started may overrun by up to publishTimeoutMs.
   */
  async flush(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let published = 0;
    while (Date.now() < deadline) {
      const round = await this.exclusive(() => this.round({ ignoreBackoff: true }));
      published += round.published;
      if (!round.leader || round.selected === 0 || round.published === 0) break;
    }
    this.logger.info({ published }, 'outbox relay: flushed');
  }

  /** One round: takes or renews the lease, publishes one batch, records the outcome. Returns rows published. */
  async runOnce(): Promise<number> {
    return (await this.exclusive(() => this.round({ ignoreBackoff: false }))).published;
  }

  private async run(): Promise<void> {
    let failedRounds = 0;
    while (this.running) {
      let delayMs = this.settings.idleIntervalMs;
      try {
        const round = await this.exclusive(() => this.round({ ignoreBackoff: false }));
        if (round.failed > 0 && round.published === 0) {
          failedRounds++;
          delayMs = this.backoff(failedRounds);
        } else {
          failedRounds = 0;
          if (round.selected >= this.settings.batchSize) delayMs = 0;
        }
      } catch (err) {
        failedRounds++;
        delayMs = this.backoff(failedRounds);
        this.logger.error({ err: toError(err), retry_in_ms: delayMs }, 'outbox relay: round failed');
      }
      if (delayMs > 0 && this.running) {
        // A wake during the gap is kept by the sleeper and ends the rest of the wait.
        const gapMs = Math.min(delayMs, this.settings.minRoundGapMs ?? 0);
        if (gapMs > 0) await this.gap.sleep(gapMs);
        if (this.running) await this.sleeper.sleep(delayMs - gapMs);
      }
    }
  }

  private async round(opts: { ignoreBackoff: boolean }): Promise<RoundResult> {
    const startedAt = performance.now();
    // A flush (shutdown) reads every unpublished row; a round reads from the scan floor up.
    const from = opts.ignoreBackoff ? 0 : this.floor.from(startedAt);
    const { leader, rows, maxId, lowestWaitingId } = await leadAndSelect(
      this.pool,
      { name: this.leaseName, holder: this.holderId, seconds: this.settings.leaseSeconds },
      this.settings.batchSize,
      Object.assign({}, opts, { prepared: this.prepared, fromId: from }),
    );
    const observedAt = performance.now();
    this.noteLeadership(leader);
    if (!leader) {
      // Another instance publishes meanwhile: what this one knew about the table no longer holds.
      this.floor.reset();
      return { leader, ...IDLE_ROUND };
    }

    const outcomes = rows.length > 0 ? await this.publish(rows) : [];
    const { published, failed, heldBack } = settleBatch(rows, outcomes);
    await markPublished(
      this.pool,
      published.map((p) => p.row.id),
      { prepared: this.prepared },
    );
    await markFailed(
      this.pool,
      failed.map(({ row, error }) => ({ id: row.id, error: error.message, delayMs: this.backoff(row.attempts + 1) })),
    );
    // The lowest row this round leaves unpublished: failed or held back, waiting out a backoff, or past a full batch.
    const left = [...failed.map((f) => f.row.id), ...heldBack.map((r) => r.id)];
    if (lowestWaitingId !== null) left.push(lowestWaitingId);
    if (rows.length >= this.settings.batchSize) left.push(rows[rows.length - 1]!.id + 1);
    if (!opts.ignoreBackoff) this.floor.advance({ startedAt, observedAt, from, maxId, lowestUnpublished: left.length > 0 ? Math.min(...left) : null });
    if (rows.length === 0) return { leader, ...IDLE_ROUND };

    for (const { row } of published) this.metrics?.published.inc({ topic: row.topic });
    for (const { row } of failed) this.metrics?.failures.inc({ topic: row.topic });
    if (failed.length > 0) {
      const first = failed[0] as (typeof failed)[number];
      this.logger.warn(
        { failed: failed.length, published: published.length, held_back: heldBack.length, first_event_id: first.row.event_id, err: first.error },
        'outbox relay: publishing failed; the events stay in the outbox and will be retried',
      );
    }
    return { leader, selected: rows.length, published: published.length, failed: failed.length };
  }

  private async publish(rows: OutboxRow[]): Promise<PublishOutcome[]> {
    const messages: OutboundMessage[] = rows.map((row) => ({
      topic: row.topic,
      data: Buffer.from(JSON.stringify(row.payload)),
      attributes: row.attributes,
      orderingKey: row.ordering_key,
    }));
    try {
      return await this.publisher.publish(messages);
    } catch (err) {
      const error = toError(err);
      return messages.map(() => ({ ok: false, error }));
    }
  }

  private noteLeadership(leader: boolean): void {
    if (leader === this.leader) return;
    this.leader = leader;
    this.logger.info({ holder: this.holderId }, leader ? 'outbox relay: holding the lease, publishing' : 'outbox relay: another instance holds the lease');
  }

  private backoff(attempt: number): number {
    return backoffDelayMs(attempt, { baseMs: this.settings.backoffBaseMs, maxMs: this.settings.backoffMaxMs }, this.random);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
