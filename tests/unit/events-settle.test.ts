import { describe, expect, it } from 'vitest';
import { settleBatch } from '../../shared/events/settle.js';
import type { PublishOutcome } from '../../shared/events/index.js';

const ok = (messageId: string): PublishOutcome => ({ ok: true, messageId });
const fail = (message: string): PublishOutcome => ({ ok: false, error: new Error(message) });
const row = (id: number, key: string) => ({ id, ordering_key: key });

describe('settleBatch', () => {
  it('marks acknowledged rows published and failed rows failed', () => {
    const rows = [row(1, 'a'), row(2, 'b'), row(3, 'a')];
    const s = settleBatch(rows, [ok('m1'), fail('boom'), ok('m3')]);
    expect(s.published.map((p) => [p.row.id, p.messageId])).toEqual([[1, 'm1'], [3, 'm3']]);
    expect(s.failed.map((f) => [f.row.id, f.error.message])).toEqual([[2, 'boom']]);
    expect(s.heldBack).toEqual([]);
  });

  it('never lets a row overtake an earlier failed row of its ordering key', () => {
    const rows = [row(1, 'a'), row(2, 'a'), row(3, 'b'), row(4, 'a'), row(5, 'b')];
    const s = settleBatch(rows, [ok('m1'), fail('unavailable'), ok('m3'), ok('m4'), ok('m5')]);
    expect(s.published.map((p) => p.row.id)).toEqual([1, 3, 5]);
    expect(s.failed.map((f) => f.row.id)).toEqual([2]);
    expect(s.heldBack.map((r) => r.id)).toEqual([4]);
  });

  it('treats a missing outcome as a failure', () => {
    const s = settleBatch([row(1, 'a'), row(2, 'a')], [ok('m1')]);
    expect(s.published.map((p) => p.row.id)).toEqual([1]);
    expect(s.failed.map((f) => [f.row.id, f.error.message])).toEqual([[2, 'the publisher returned no outcome for this message']]);
  });
});
