import { describe, expect, it } from 'vitest';
import { chargeInStatement, type Settlement } from '../../shared/budgets/settle.js';
import { statementParams } from '../../shared/db/params.js';

const settlement = (amountMicros: number, periodStart: string): Settlement => ({
  tenantId: 'hotel-a',
  capability: 'reservation.upsell_offer',
  amountMicros,
  periods: [{ scope: '*', period: 'daily', periodStart, periodEnd: '2026-12-03T00:00:00.000Z', limitMicros: 1_000_000 }],
});

/** The charges' columns as bound: tenant, scope, period, start, end, limit, amount, calls. */
function chargesOf(settlements: Settlement[]): unknown[][] {
  const { params, bind } = statementParams();
  expect(chargeInStatement(settlements, bind)).toBeDefined();
  return params.slice(0, 8) as unknown[][];
}

describe('chargeInStatement: one charge per period row', () => {
  it('adds up the calls of one period however its start is spelled, keyed by the ISO start', () => {
    const columns = chargesOf([settlement(100, '2026-12-02T00:00:00.000Z'), settlement(20, '2026-12-02T00:00:00Z'), settlement(3, '2026-12-02T01:00:00+01:00')]);
    expect(columns[3]).toEqual(['2026-12-02T00:00:00.000Z']);
    expect(columns[6]).toEqual([123]);
    expect(columns[7]).toEqual([3]);
  });

  it('keeps different periods apart, in lock order', () => {
    const columns = chargesOf([settlement(5, '2026-12-02T00:00:00.000Z'), settlement(7, '2026-12-01T00:00:00.000Z'), settlement(1, '2026-12-02T00:00:00Z')]);
    expect(columns[3]).toEqual(['2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z']);
    expect(columns[6]).toEqual([7, 6]);
  });

  it('refuses a start that is not a date, every time (an invalid start is never remembered)', () => {
    for (let i = 0; i < 2; i++) expect(() => chargesOf([settlement(1, 'not a date')])).toThrow(RangeError);
  });
});
