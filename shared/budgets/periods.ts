/** Budget periods are UTC calendar days and months: [start, end). */
export type BudgetPeriod = 'daily' | 'monthly';

export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['daily', 'monthly'];

/** The tenant-wide scope: the budget covers every capability (`capability = '*'` in the tables). */
export const ALL_CAPABILITIES = '*';

export interface PeriodBounds {
  period: BudgetPeriod;
  start: Date;
  end: Date;
}

/** The period of the given kind that contains `at`. */
export function periodBounds(period: BudgetPeriod, at: Date): PeriodBounds {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  if (period === 'daily') {
    const d = at.getUTCDate();
    return { period, start: new Date(Date.UTC(y, m, d)), end: new Date(Date.UTC(y, m, d + 1)) };
  }
  return { period, start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
}

/** A period as a reservation needs it: its bounds, their ISO strings and its counter-key label. */
export interface CurrentPeriod {
  readonly bounds: Readonly<PeriodBounds>;
  readonly label: string;
  readonly startIso: string;
  readonly endIso: string;
}

const DAY_MS = 86_400_000;
let today: { day: number; periods: readonly CurrentPeriod[] } | undefined;

/**
 * The daily and the monthly period containing `at` (in BUDGET_PERIODS order), made once per UTC day and
 * shared by every call of that day: a reservation needs four counter keys and eight ISO strings, and
 * Date#toISOString costs ~0.4 µs here. A UTC day is exactly DAY_MS in ECMAScript time (no leap seconds).
 */
export function currentPeriods(at: Date): readonly CurrentPeriod[] {
  const day = Math.floor(at.getTime() / DAY_MS);
  if (today?.day !== day) {
    const periods = BUDGET_PERIODS.map((period): CurrentPeriod => {
      const bounds = periodBounds(period, at);
      return Object.freeze({ bounds: Object.freeze(bounds), label: periodLabel(bounds), startIso: bounds.start.toISOString(), endIso: bounds.end.toISOString() });
    });
    today = { day, periods: Object.freeze(periods) };
  }
  return today.periods;
}

/** `2026-03-07` for a day, `2026-03` for a month: the period's part of a counter key. */
export function periodLabel(bounds: Pick<PeriodBounds, 'period' | 'start'>): string {
  const iso = bounds.start.toISOString();
  return bounds.period === 'daily' ? iso.slice(0, 10) : iso.slice(0, 7);
}

/** The scope as the API and the events spell it: null for tenant-wide. */
export const scopeToCapability = (scope: string): string | null => (scope === ALL_CAPABILITIES ? null : scope);
export const capabilityToScope = (capability: string | null): string => capability ?? ALL_CAPABILITIES;
