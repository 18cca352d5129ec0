/** The share of a period's limit at which `budget.threshold_crossed` is emitted, once each per period. */
export const THRESHOLD_PERCENTS = [50, 80, 100] as const;
export type ThresholdPercent = (typeof THRESHOLD_PERCENTS)[number];

/** budget_periods.thresholds_notified: one bit per threshold already announced. */
export const thresholdBit = (percent: ThresholdPercent): number => 1 << THRESHOLD_PERCENTS.indexOf(percent);

/**
 * Thresholds that `spent` has reached and that were not announced yet. Reached means spent ≥ percent ×
 * limit (exact integer maths); nothing is reached before anything is spent, nor without a limit.
 */
export function newlyReached(spentMicros: number, limitMicros: number | null, notifiedMask: number): ThresholdPercent[] {
  if (limitMicros === null || spentMicros <= 0) return [];
  const spent100 = BigInt(spentMicros) * 100n;
  return THRESHOLD_PERCENTS.filter((p) => (notifiedMask & thresholdBit(p)) === 0 && spent100 >= BigInt(p) * BigInt(limitMicros));
}
