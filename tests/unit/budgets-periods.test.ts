import { describe, expect, it } from 'vitest';
import { counterKey, periodBounds } from '../../shared/budgets/index.js';
import { periodOfCounterKey } from '../../shared/budgets/keys.js';
import { newlyReached, thresholdBit } from '../../shared/budgets/thresholds.js';

const at = (iso: string) => new Date(iso);

describe('periodBounds', () => {
  it('is the UTC calendar day containing the instant, end exclusive', () => {
    expect(periodBounds('daily', at('2026-03-07T23:59:59.999Z'))).toEqual({ period: 'daily', start: at('2026-03-07T00:00:00Z'), end: at('2026-03-08T00:00:00Z') });
    expect(periodBounds('daily', at('2026-03-08T00:00:00.000Z')).start).toEqual(at('2026-03-08T00:00:00Z'));
  });

  it('ignores the local time zone: an instant late on the 7th in UTC-5 is on the 8th in UTC', () => {
    expect(periodBounds('daily', at('2026-03-07T22:30:00-05:00')).start).toEqual(at('2026-03-08T00:00:00Z'));
  });

  it('is the UTC calendar month, across year ends and leap days', () => {
    expect(periodBounds('monthly', at('2026-12-31T23:00:00Z'))).toEqual({ period: 'monthly', start: at('2026-12-01T00:00:00Z'), end: at('2027-01-01T00:00:00Z') });
    expect(periodBounds('daily', at('2028-02-29T12:00:00Z')).end).toEqual(at('2028-03-01T00:00:00Z'));
    expect(periodBounds('monthly', at('2028-02-10T00:00:00Z')).end).toEqual(at('2028-03-01T00:00:00Z'));
  });
});

describe('counter keys', () => {
  it('carry the tenant (as a hash tag), the period start and the scope', () => {
    const day = periodBounds('daily', at('2026-03-07T10:00:00Z'));
    const month = periodBounds('monthly', at('2026-03-07T10:00:00Z'));
    expect(counterKey('t-1', '*', day)).toBe('budget:v1:{t-1}:daily:2026-03-07:*');
    expect(counterKey('t-1', 'support.policy_answer', month)).toBe('budget:v1:{t-1}:monthly:2026-03:support.policy_answer');
  });

  it('give back their period, behind any store prefix', () => {
    const day = periodBounds('daily', at('2026-03-07T10:00:00Z'));
    const month = periodBounds('monthly', at('2026-03-07T10:00:00Z'));
    expect(periodOfCounterKey(`aiorch:${counterKey('t', '*', day)}`)).toEqual(day);
    expect(periodOfCounterKey(counterKey('t', 'a.b', month))).toEqual(month);
    expect(periodOfCounterKey('aiorch:idem:xyz')).toBeUndefined();
  });

  it('differ between consecutive periods, so a new period starts from fresh counters', () => {
    const today = periodBounds('daily', at('2026-03-07T23:59:59Z'));
    const tomorrow = periodBounds('daily', at('2026-03-08T00:00:00Z'));
    expect(counterKey('t', '*', today)).not.toBe(counterKey('t', '*', tomorrow));
  });
});

describe('newlyReached', () => {
  it('reports each threshold at or past its share of the limit', () => {
    expect(newlyReached(499, 1_000, 0)).toEqual([]);
    expect(newlyReached(500, 1_000, 0)).toEqual([50]);
    expect(newlyReached(800, 1_000, 0)).toEqual([50, 80]);
    expect(newlyReached(1_200, 1_000, 0)).toEqual([50, 80, 100]);
  });

  it('skips thresholds already announced', () => {
    expect(newlyReached(900, 1_000, thresholdBit(50))).toEqual([80]);
    expect(newlyReached(2_000, 1_000, thresholdBit(50) | thresholdBit(80) | thresholdBit(100))).toEqual([]);
  });

  it('uses exact integer shares (no float rounding at the boundary)', () => {
    // 80 % of 3 = 2.4: 2 has not reached it, 3 has
    expect(newlyReached(2, 3, thresholdBit(50))).toEqual([]);
    expect(newlyReached(3, 3, thresholdBit(50))).toEqual([80, 100]);
  });

  it('announces nothing without a limit or before anything is spent', () => {
    expect(newlyReached(10_000, null, 0)).toEqual([]);
    expect(newlyReached(0, 0, 0)).toEqual([]);
  });
});
