import { describe, expect, it } from 'vitest';
import { counterKey, periodBounds } from '../../shared/budgets/index.js';
import { counterKeyOf, periodOfCounterKey } from '../../shared/budgets/keys.js';
import { applicablePeriods } from '../../shared/budgets/gate.js';
import { currentPeriods, periodLabel } from '../../shared/budgets/periods.js';
import { newlyReached, thresholdBit } from '../../shared/budgets/thresholds.js';

const at = (iso: string) => new Date(iso);

describe('currentPeriods (made once per UTC day)', () => {
  it.each([
    '2026-03-07T00:00:00.000Z',
    '2026-03-07T12:34:56.789Z',
    '2026-03-31T23:59:59.999Z', // the last instant of a month
    '2026-04-01T00:00:00.000Z', // the first of the next: a new day and a new month
    '2028-02-29T10:00:00.000Z',
    '2026-03-07T23:59:59.999Z', // back to an earlier day: made again, not served from the later one
  ])('at %s: the daily and the monthly period, as periodBounds makes them', (iso) => {
    const periods = currentPeriods(at(iso));
    expect(periods.map((p) => p.bounds)).toEqual([periodBounds('daily', at(iso)), periodBounds('monthly', at(iso))]);
    for (const p of periods) {
      expect(p.startIso).toBe(p.bounds.start.toISOString());
      expect(p.endIso).toBe(p.bounds.end.toISOString());
      expect(p.label).toBe(periodLabel(p.bounds));
    }
  });

  it('gives the calls of one day the same periods, and keys equal to counterKey', () => {
    expect(currentPeriods(at('2026-03-07T01:00:00Z'))).toBe(currentPeriods(at('2026-03-07T22:00:00Z')));
    const periods = applicablePeriods('hotel-a', 'reservation.upsell_offer', at('2026-03-07T08:00:00Z'));
    expect(periods.map((p) => p.key)).toEqual([
      counterKey('hotel-a', '*', periodBounds('daily', at('2026-03-07T08:00:00Z'))),
      counterKey('hotel-a', '*', periodBounds('monthly', at('2026-03-07T08:00:00Z'))),
      counterKey('hotel-a', 'reservation.upsell_offer', periodBounds('daily', at('2026-03-07T08:00:00Z'))),
      counterKey('hotel-a', 'reservation.upsell_offer', periodBounds('monthly', at('2026-03-07T08:00:00Z'))),
    ]);
    expect(counterKeyOf('hotel-a', '*', 'daily', '2026-03-07')).toBe(periods[0]?.key);
  });

  it('hands out periods that cannot be changed by one call for the others', () => {
    const [daily] = currentPeriods(at('2026-03-07T08:00:00Z'));
    expect(Object.isFrozen(daily)).toBe(true);
    expect(Object.isFrozen(daily?.bounds)).toBe(true);
  });
});

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
