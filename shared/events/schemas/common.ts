/** Building blocks shared by the event data schemas. */
export const id = { type: 'string', minLength: 1, maxLength: 200 } as const;
export const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
export const text = { type: 'string', maxLength: 2000 } as const;
export const count = { type: 'integer', minimum: 0 } as const;
export const micros = { type: 'integer', minimum: 0 } as const;
export const timestamp = { type: 'string', format: 'date-time' } as const;
export const budgetPeriod = { type: 'string', enum: ['daily', 'monthly'] } as const;
/** null: the tenant-wide budget rather than one capability's. */
export const nullableCapability = { type: ['string', 'null'], minLength: 1, maxLength: 200 } as const;

export type BudgetPeriod = 'daily' | 'monthly';
