import { budgetPeriod, count, micros, nullableCapability, timestamp, type BudgetPeriod } from './common.js';

export interface BudgetPeriodClosedData {
  period: BudgetPeriod;
  capability: string | null;
  period_start: string;
  period_end: string;
  limit_micros: number;
  spent_micros: number;
  calls: number;
}

export const budgetPeriodClosedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['period', 'capability', 'period_start', 'period_end', 'limit_micros', 'spent_micros', 'calls'],
  properties: {
    period: budgetPeriod,
    capability: nullableCapability,
    period_start: timestamp,
    period_end: timestamp,
    limit_micros: micros,
    spent_micros: micros,
    calls: count,
  },
} as const;
