import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStore, createMemoryKeyValue } from '../../shared/cache/index.js';

function storeWithClock(): { store: MemoryStore; advance(ms: number): void } {
  let now = 1_000;
  return { store: new MemoryStore(() => now), advance: (ms) => (now += ms) };
}

describe('MemoryStore', () => {
  it('expires a key exactly when its TTL has elapsed', () => {
    const { store, advance } = storeWithClock();
    store.set('k', 'v', 100);
    advance(99);
    expect(store.get('k')).toBe('v');
    expect(store.ttlMs('k')).toBe(1);
    advance(1);
    expect(store.get('k')).toBeNull();
    expect(store.setIfAbsent('k', 'again')).toBe(true);
  });

  it('sweep frees expired keys only', () => {
    const { store, advance } = storeWithClock();
    store.set('short', 'v', 10);
    store.increment('counter', 1, 10);
    store.set('long', 'v', 1_000);
    store.set('forever', 'v');
    advance(10);
    expect(store.sweep()).toBe(2);
    expect(store.sweep()).toBe(0);
    expect(store.get('long')).toBe('v');
    expect(store.get('forever')).toBe('v');
  });
});

describe('MemoryKeyValue sweep timer', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sweeps on its interval and stops when closed', async () => {
    vi.useFakeTimers();
    const kv = createMemoryKeyValue({ sweepIntervalMs: 1_000, now: () => Date.now() });
    const sweep = vi.spyOn(kv.store, 'sweep');
    vi.advanceTimersByTime(2_000);
    expect(sweep).toHaveBeenCalledTimes(2);
    await kv.close();
    vi.advanceTimersByTime(5_000);
    expect(sweep).toHaveBeenCalledTimes(2);
  });
});
