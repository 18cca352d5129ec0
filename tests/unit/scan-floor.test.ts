import { describe, expect, it } from 'vitest';
import { ScanFloor } from '../../shared/events/scan-floor.js';

// The relay's scan floor: every row below it is published and settled (see shared/events/scan-floor.ts).
describe('outbox relay scan floor', () => {
  const floor = () => new ScanFloor({ settledAfterMs: 60, fullScanIntervalMs: 1000 });

  it('reads from 0 at the first round and every fullScanIntervalMs, from the floor in between', () => {
    const f = floor();
    expect(f.from(0)).toBe(0);
    f.advance({ startedAt: 0, observedAt: 1, from: 0, maxId: 100, lowestUnpublished: null });
    f.advance({ startedAt: 70, observedAt: 71, from: f.from(70), maxId: 100, lowestUnpublished: null });
    expect(f.from(500)).toBe(101);
    expect(f.from(1000)).toBe(0);
    expect(f.from(1001)).toBe(101);
  });

  it('rises only over ids seen at least settledAfterMs before the round started', () => {
    const f = floor();
    f.advance({ startedAt: 0, observedAt: 5, from: f.from(0), maxId: 100, lowestUnpublished: null });
    // 64 ms after the observation: a transaction that wrote id 100 may still be open.
    f.advance({ startedAt: 64, observedAt: 66, from: f.from(64), maxId: 120, lowestUnpublished: null });
    expect(f.value).toBe(0);
    f.advance({ startedAt: 65, observedAt: 67, from: f.from(65), maxId: 120, lowestUnpublished: null });
    expect(f.value).toBe(101);
    // The next observation settles in turn.
    f.advance({ startedAt: 200, observedAt: 201, from: f.from(200), maxId: 130, lowestUnpublished: null });
    expect(f.value).toBe(121);
  });

  it('stops at the lowest row a round left unpublished, and never goes below where the round read from', () => {
    const f = floor();
    f.advance({ startedAt: 0, observedAt: 1, from: f.from(0), maxId: 100, lowestUnpublished: null });
    f.advance({ startedAt: 70, observedAt: 71, from: f.from(70), maxId: 150, lowestUnpublished: 42 });
    expect(f.value).toBe(42);
    f.advance({ startedAt: 80, observedAt: 81, from: f.from(80), maxId: 150, lowestUnpublished: null });
    expect(f.value).toBe(101);
  });

  it('comes down to an unpublished row a full scan finds below it (a transaction that outlived settledAfterMs)', () => {
    const f = floor();
    f.advance({ startedAt: 0, observedAt: 1, from: f.from(0), maxId: 100, lowestUnpublished: null });
    f.advance({ startedAt: 70, observedAt: 71, from: f.from(70), maxId: 100, lowestUnpublished: null });
    expect(f.value).toBe(101);
    expect(f.from(1100)).toBe(0);
    f.advance({ startedAt: 1100, observedAt: 1101, from: 0, maxId: 140, lowestUnpublished: 7 });
    expect(f.value).toBe(7);
  });

  it('forgets everything when the lease is lost', () => {
    const f = floor();
    f.advance({ startedAt: 0, observedAt: 1, from: f.from(0), maxId: 100, lowestUnpublished: null });
    f.advance({ startedAt: 70, observedAt: 71, from: f.from(70), maxId: 100, lowestUnpublished: null });
    f.reset();
    expect(f.value).toBe(0);
    expect(f.from(80)).toBe(0);
  });
});
