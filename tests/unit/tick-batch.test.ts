import { describe, expect, it } from 'vitest';
import { createTickBatcher } from '../../shared/util/tick-batch.js';

describe('createTickBatcher', () => {
  it('hands each group the items added in one tick, once, after the promise jobs of that tick', async () => {
    const flushed: Array<readonly number[]> = [];
    const batcher = createTickBatcher<number>(async (items) => {
      flushed.push(items);
    });
    // The second add comes from a promise job of the same tick, as a call continuing after a group commit does.
    const adds = [batcher.add('a', 1), Promise.resolve().then(() => batcher.add('a', 2)), batcher.add('b', 3)];
    expect(flushed).toEqual([]);
    await Promise.all(adds);
    expect(flushed).toEqual([[1, 2], [3]]);

    await batcher.add('a', 4);
    expect(flushed).toEqual([[1, 2], [3], [4]]);
  });

  it("rejects every add of a group whose flush fails, and only that group's", async () => {
    const batcher = createTickBatcher<string>(async (items) => {
      if (items.includes('bad')) throw new Error('store down');
    });
    const results = await Promise.allSettled([batcher.add('x', 'bad'), batcher.add('x', 'ok'), batcher.add('y', 'ok')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ message: 'store down' });
  });

  it('rejects the adds of a group whose flush throws before returning a promise', async () => {
    const batcher = createTickBatcher<number>(() => {
      throw new Error('bad arguments');
    });
    await expect(batcher.add('z', 1)).rejects.toThrow('bad arguments');
  });
});
