import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../shared/events/index.js';

const opts = { baseMs: 200, maxMs: 30_000 };

describe('backoffDelayMs', () => {
  it('doubles the ceiling per attempt, jitter taking the upper half', () => {
    expect(backoffDelayMs(1, opts, () => 1)).toBe(200);
    expect(backoffDelayMs(2, opts, () => 1)).toBe(400);
    expect(backoffDelayMs(3, opts, () => 1)).toBe(800);
    expect(backoffDelayMs(3, opts, () => 0)).toBe(400);
    expect(backoffDelayMs(3, opts, () => 0.5)).toBe(600);
  });

  it('never goes below the base nor above the cap', () => {
    for (let attempt = 0; attempt <= 200; attempt++) {
      for (const r of [0, 0.3, 0.999999, 1]) {
        const delay = backoffDelayMs(attempt, opts, () => r);
        expect(delay).toBeGreaterThanOrEqual(opts.baseMs);
        expect(delay).toBeLessThanOrEqual(opts.maxMs);
      }
    }
    expect(backoffDelayMs(1, opts, () => 0)).toBe(200);
    expect(backoffDelayMs(50, opts, () => 1)).toBe(30_000);
    expect(backoffDelayMs(50, opts, () => 0)).toBe(15_000);
  });
});
