/** What the gateway bench compares of two rows driven with the same load in the same run. */
export interface ComparedRow {
  rps: number;
  cpu_us_per_request?: number;
  added_p99_ms: number;
}

/**
 * The orchestrator's row over the floor's (floor/layers.ts; the bench compares the last layer, the one
 * with the same libraries): CPU per call and req/s as ratios, added p99 as a difference in ms. A ratio
 * without both figures (no CPU reading off /proc, or a floor that served nothing) is NaN, never a number
 * made up.
 */
export function orchestratorOverFloor(orchestrator: ComparedRow, floor: ComparedRow) {
  const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || !(b > 0) ? NaN : Number((a / b).toFixed(2)));
  return {
    cpu_ratio: ratio(orchestrator.cpu_us_per_request, floor.cpu_us_per_request),
    rps_ratio: ratio(orchestrator.rps, floor.rps),
    added_p99_ms_difference: Number((orchestrator.added_p99_ms - floor.added_p99_ms).toFixed(2)),
  };
}
