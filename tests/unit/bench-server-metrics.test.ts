import { describe, expect, it } from 'vitest';
import { breakdownLine, latencyBreakdown, parseServerMetrics, quantileBound } from '../../bench/server-metrics.js';

// The gateway bench's latency breakdown: read from the orchestrator's /metrics before and after a scenario.
const scrape = (steps: { cache: [number, number, number, number]; chain: [number, number, number, number] }, gc: [number, number], lagP99: number, hits = 0) => `
# HELP inference_step_seconds Time spent in each step of the inference pipeline
# TYPE inference_step_seconds histogram
inference_step_seconds_bucket{le="0.001",step="cache"} ${steps.cache[0]}
inference_step_seconds_bucket{le="0.005",step="cache"} ${steps.cache[1]}
inference_step_seconds_bucket{le="+Inf",step="cache"} ${steps.cache[2]}
inference_step_seconds_sum{step="cache"} ${steps.cache[3]}
inference_step_seconds_count{step="cache"} ${steps.cache[2]}
inference_step_seconds_bucket{le="0.001",step="chain"} ${steps.chain[0]}
inference_step_seconds_bucket{le="0.005",step="chain"} ${steps.chain[1]}
inference_step_seconds_bucket{le="+Inf",step="chain"} ${steps.chain[2]}
inference_step_seconds_sum{step="chain"} ${steps.chain[3]}
inference_step_seconds_count{step="chain"} ${steps.chain[2]}
call_record_batch_size_bucket{le="10"} 4
call_record_batch_size_bucket{le="+Inf"} 4
call_record_batch_size_sum 20
call_record_batch_size_count 4
call_record_commit_seconds_bucket{le="0.001"} 4
call_record_commit_seconds_bucket{le="+Inf"} 4
call_record_commit_seconds_sum 0.002
call_record_commit_seconds_count 4
nodejs_gc_duration_seconds_bucket{le="0.01",kind="minor"} ${gc[0]}
nodejs_gc_duration_seconds_bucket{le="+Inf",kind="minor"} ${gc[0]}
nodejs_gc_duration_seconds_sum{kind="minor"} ${gc[1]}
nodejs_gc_duration_seconds_count{kind="minor"} ${gc[0]}
nodejs_eventloop_lag_p50_seconds 0.0101
nodejs_eventloop_lag_p99_seconds ${lagP99}
nodejs_eventloop_lag_max_seconds 0.03
process_cpu_seconds_total 12.5
inference_cache_hits_total{capability="a"} ${hits}
inference_cache_hits_total{capability="b"} 1
`;

describe('bench server metrics', () => {
  it('reads the step histograms by label, the group commit, the GC and the event-loop gauges; ignores the rest', () => {
    const s = parseServerMetrics(scrape({ cache: [5, 9, 10, 0.02], chain: [0, 2, 10, 0.06] }, [3, 0.003], 0.012));
    expect(s.histograms.get('inference_step_seconds{step=cache}')).toEqual({ buckets: new Map([[0.001, 5], [0.005, 9], [Infinity, 10]]), sum: 0.02, count: 10 });
    expect(s.histograms.get('call_record_batch_size')?.count).toBe(4);
    expect(s.histograms.get('nodejs_gc_duration_seconds{kind=minor}')?.sum).toBe(0.003);
    expect(s.gauges.get('nodejs_eventloop_lag_p99_seconds')).toBe(0.012);
    expect(s.histograms.has('process_cpu_seconds_total')).toBe(false);
    expect(s.counters.get('inference_cache_hits_total')).toBe(1);
  });

  it('bounds a quantile by the bucket it falls in, and says when it is beyond the last finite bound', () => {
    const series = { buckets: new Map([[0.001, 98], [0.005, 99], [Infinity, 100]]), sum: 0, count: 100 };
    expect(quantileBound(series, 0.5)).toBe(0.001);
    expect(quantileBound(series, 0.99)).toBe(0.005);
    expect(quantileBound(series, 1)).toBe(Infinity);
    expect(quantileBound({ buckets: new Map(), sum: 0, count: 0 }, 0.99)).toBeUndefined();
  });

  it('breaks a window down from the difference of two scrapes, per request for the GC', () => {
    const before = parseServerMetrics(scrape({ cache: [5, 9, 10, 0.02], chain: [0, 2, 10, 0.06] }, [3, 0.003], 0.05));
    // 100 more cache lookups (all under 1 ms, 50 ms in all), 100 more chains (all under 5 ms), 2 ms more minor GC.
    const after = parseServerMetrics(scrape({ cache: [105, 109, 110, 0.07], chain: [0, 102, 110, 0.36] }, [5, 0.005], 0.012, 7));
    const b = latencyBreakdown(before, after, 100);
    expect(b.steps).toEqual({ cache: { calls: 100, mean_ms: 0.5, p99_le_ms: 1 }, chain: { calls: 100, mean_ms: 3, p99_le_ms: 5 } });
    // Unchanged series do not count; the gauges are the end scrape's (they cover the time since the previous scrape).
    expect(b.group_commit).toBeUndefined();
    expect(b.gc_pause_us_per_request).toEqual({ minor: 20 });
    expect(b.cache_hits).toBe(7);
    // The monitor's 10 ms period is taken off its figures.
    expect(b.event_loop_delay_ms).toEqual({ p50: 0.1, p99: 2, max: 20 });
    expect(breakdownLine(b)).toBe(
      'steps in ms, mean (p99 ≤): cache 0.5 (≤ 1), chain 3 (≤ 5); cache hits 7; GC pauses 20 µs/request (minor 20); event loop delay p50 0.1 ms, p99 2 ms, max 20 ms',
    );
  });
});
