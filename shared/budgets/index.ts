/**
 * Budgets: integer micro-dollar limits per tenant (optionally per capability), daily and monthly.
 * Admission runs on fast counters in the key/value store, Postgres is the ledger of record. The design,
 * the call order and the bound on overspend during a Redis failover are described in gate.ts.
 */
export { createBudgetGate, applicablePeriods, type BudgetGate, type Reservation, type ReservedPeriod, type ReserveRequest } from './gate.js';
export { applySettlements, chargeInStatement, type Settlement, type SettledPeriod, type ThresholdCrossing } from './settle.js';
export { costMicros, worstCaseMicros, upperBoundTokens, type PriceTable, type TokenUsage } from './cost.js';
export { reconcile, startBudgetReconciler, type BudgetReconciler, type ReconcileResult } from './reconcile.js';
export { listBudgets, setBudgetLimits, type BudgetView, type BudgetLimitChange } from './admin.js';
export { runBudgetReset, type BudgetResetDeps, type BudgetResetSummary } from './resetter.js';
export { BUDGET_EXHAUSTED } from './errors.js';
export { DEFAULT_RESERVATION_TTL_MS, type BudgetDeps } from './deps.js';
export { ALL_CAPABILITIES, BUDGET_PERIODS, periodBounds, type BudgetPeriod, type PeriodBounds } from './periods.js';
export { THRESHOLD_PERCENTS, type ThresholdPercent } from './thresholds.js';
export { budgetCountersFor, type BudgetCounters } from './counters/index.js';
export { counterKey } from './keys.js';
