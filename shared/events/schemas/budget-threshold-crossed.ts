import { budgetPeriod, micros, nullableCapability, timestamp, type BudgetPeriod } from './common.js';

export interface BudgetThresholdCrossedData {
  period: BudgetPeriod;
  capability: string | null;
  threshold_percent: 50 | 80 | 100;
  limit_micros: number;
  spent_micros: number;
  period_start: string;
}

export const budgetThresholdCrossedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['period', 'capability', 'threshold_percent', 'limit_micros', 'spent_micros', 'period_start'],
  properties: {
    period: budgetPeriod,
    capability: nullableCapability,
    threshold_percent: { type: 'integer', enum: [50, 80, 100] },
    limit_micros: micros,
    spent_micros: micros,
    period_start: timestamp,
  },
} as const;
