import { AppError } from '../errors/app-error.js';
import { scopeToCapability, type BudgetPeriod } from './periods.js';

export const BUDGET_EXHAUSTED = 'budget_exhausted';

export interface ExhaustedPeriod {
  scope: string;
  period: BudgetPeriod;
  periodEnd: Date;
  limitMicros: number;
  spentMicros: number;
  reservedMicros: number;
}

/** 402: the call's worst case does not fit in `exhausted`; Retry-After points at the period's end. */
export function budgetExhausted(exhausted: ExhaustedPeriod, estimateMicros: number, now: Date): AppError {
  const capability = scopeToCapability(exhausted.scope);
  const which = capability === null ? `The ${exhausted.period} budget` : `The ${exhausted.period} budget of capability ${capability}`;
  const retryAfterSeconds = Math.max(1, Math.ceil((exhausted.periodEnd.getTime() - now.getTime()) / 1000));
  return new AppError({
    code: BUDGET_EXHAUSTED,
    status: 402,
    title: 'Budget exhausted',
    detail:
      `${which} is exhausted: ${exhausted.spentMicros} spent and ${exhausted.reservedMicros} reserved of ` +
      `${exhausted.limitMicros} micro-dollars leave too little for this call's worst case of ${estimateMicros}. ` +
      `The period renews at ${exhausted.periodEnd.toISOString()}.`,
    extra: {
      period: exhausted.period,
      capability,
      limit_micros: exhausted.limitMicros,
      spent_micros: exhausted.spentMicros,
      reserved_micros: exhausted.reservedMicros,
      estimate_micros: estimateMicros,
      period_end: exhausted.periodEnd.toISOString(),
    },
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

/** The counters kept vanishing while being rebuilt: the key/value store is not behaving; try again. */
export function budgetUnavailable(tenantId: string): AppError {
  return new AppError({
    code: 'budget_unavailable',
    status: 503,
    title: 'Budget unavailable',
    detail: `The budget counters of tenant ${tenantId} could not be rebuilt; retry shortly.`,
    headers: { 'Retry-After': '1' },
  });
}
