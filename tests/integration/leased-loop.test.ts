import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../shared/db/index.js';
import { LeasedLoop } from '../../shared/db/leased-loop.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase({ poolMax: 4 });
});
afterAll(async () => {
  await db?.close();
});

const loop = (holderId: string, work: () => Promise<string>, onLeaseError: (err: unknown) => void = () => {}) =>
  new LeasedLoop({ pool: db.pool, lease: 'test-loop', leaseSeconds: 30, intervalMs: 60_000, idle: 'idle', work, onLeaseError, holderId });

describe('leased background loop', () => {
  it('runs the work only on the instance holding the lease; stop hands the lease over at once', async () => {
    const a = loop('a', async () => 'a worked');
    const b = loop('b', async () => 'b worked');
    expect(await a.runOnce()).toBe('a worked');
    expect(await b.runOnce()).toBe('idle');
    expect(await a.runOnce()).toBe('a worked');
    await a.stop();
    expect(await b.runOnce()).toBe('b worked');
    await b.stop();
  });

  it('never overlaps rounds: a second call joins the running one', async () => {
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const l = loop('c', async () => {
      runs++;
      await gate;
      return 'done';
    });
    const first = l.runOnce();
    const second = l.runOnce();
    release();
    expect(await Promise.all([first, second])).toEqual(['done', 'done']);
    expect(runs).toBe(1);
    await l.stop();
  });

  it('a round that cannot reach the database resolves idle and reports why', async () => {
    const unreachable = createPool({ url: 'postgres://postgres@127.0.0.1:1/none', max: 1 });
    const errors: unknown[] = [];
    const l = new LeasedLoop({ pool: unreachable, lease: 'test-loop', leaseSeconds: 30, intervalMs: 60_000, idle: 'idle', work: async () => 'worked', onLeaseError: (err) => errors.push(err) });
    expect(await l.runOnce()).toBe('idle');
    expect(errors).toHaveLength(1);
    await l.stop();
    await unreachable.end();
  });
});
