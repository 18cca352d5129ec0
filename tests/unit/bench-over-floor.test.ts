import { describe, expect, it } from 'vitest';
import { orchestratorOverFloor } from '../../bench/floor/over-floor.js';

describe('gateway bench: the orchestrator over the floor', () => {
  it('gives CPU per call and req/s as ratios and added p99 as a difference', () => {
    expect(orchestratorOverFloor({ rps: 600, cpu_us_per_request: 1_700, added_p99_ms: 97.5 }, { rps: 1_200, cpu_us_per_request: 800, added_p99_ms: 60 })).toEqual({
      cpu_ratio: 2.13,
      rps_ratio: 0.5,
      added_p99_ms_difference: 37.5,
    });
  });

  it('leaves a ratio it cannot compute as NaN: no CPU reading, or a floor that served nothing', () => {
    const r = orchestratorOverFloor({ rps: 600, added_p99_ms: 10 }, { rps: 0, cpu_us_per_request: 800, added_p99_ms: 12 });
    expect(r.cpu_ratio).toBeNaN();
    expect(r.rps_ratio).toBeNaN();
    expect(r.added_p99_ms_difference).toBe(-2);
  });
});
