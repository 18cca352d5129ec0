/**
 * Where a call's latency goes, from the orchestrator's own Prometheus metrics: the gateway bench reads
 * /metrics before and after a scenario and reports, per pipeline step (`inference_step_seconds{step}`),
 * the mean and a p99 bound; the group commit's batch size and duration; the garbage collector's pauses per
 * request; and the event loop's delay. Histograms give a p99 only to the bucket it falls in, so it is
 * printed as a bound ("≤ 5 ms").
 */

/** One histogram series: cumulative counts by upper bound (seconds, +Inf included), sum and count. */
export interface HistogramSeries {
  buckets: Map<number, number>;
  sum: number;
  count: number;
}

/** The series of the histograms we read, keyed `name` or `name{label=value}` (one label at most). */
export type HistogramSnapshot = Map<string, HistogramSeries>;

export interface ServerSnapshot {
  histograms: HistogramSnapshot;
  /** Gauges by name (e.g. nodejs_eventloop_lag_p99_seconds: since the previous scrape). */
  gauges: Map<string, number>;
  /** Counters by name, summed over their labels. */
  counters: Map<string, number>;
}

const HISTOGRAMS = ['inference_step_seconds', 'call_record_batch_size', 'call_record_commit_seconds', 'nodejs_gc_duration_seconds'];
const GAUGES = ['nodejs_eventloop_lag_p50_seconds', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_eventloop_lag_max_seconds'];
// Cache hits: a scenario meant to miss the cache says so when it did not.
const COUNTERS = ['inference_cache_hits_total'];

/** Parses the Prometheus text format for the histograms and gauges above; other lines are ignored. */
export function parseServerMetrics(text: string): ServerSnapshot {
  const histograms: HistogramSnapshot = new Map();
  const gauges = new Map<string, number>();
  const counters = new Map<string, number>();
  const seriesOf = (key: string) => {
    let s = histograms.get(key);
    if (!s) histograms.set(key, (s = { buckets: new Map(), sum: 0, count: 0 }));
    return s;
  };
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*?)(_bucket|_sum|_count)?(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const [, name, part, labelText, valueText] = m as unknown as [string, string, string | undefined, string | undefined, string];
    const value = Number(valueText);
    if (!part) {
      if (GAUGES.includes(name)) gauges.set(name, value);
      if (COUNTERS.includes(name)) counters.set(name, (counters.get(name) ?? 0) + value);
      continue;
    }
    if (!HISTOGRAMS.includes(name)) continue;
    const labels = new Map([...(labelText ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k!, v!]));
    const le = labels.get('le');
    labels.delete('le');
    const key = labels.size === 0 ? name : `${name}{${[...labels].map(([k, v]) => `${k}=${v}`).join(',')}}`;
    const series = seriesOf(key);
    if (part === '_bucket' && le !== undefined) series.buckets.set(le === '+Inf' ? Infinity : Number(le), value);
    else if (part === '_sum') series.sum = value;
    else if (part === '_count') series.count = value;
  }
  return { histograms, gauges, counters };
}

/** What one series gained between two snapshots (a series absent at the start counts from zero). */
export function histogramDelta(before: HistogramSeries | undefined, after: HistogramSeries): HistogramSeries {
  const buckets = new Map([...after.buckets].map(([le, n]) => [le, n - (before?.buckets.get(le) ?? 0)]));
  return { buckets, sum: after.sum - (before?.sum ?? 0), count: after.count - (before?.count ?? 0) };
}

/** The upper bound of the bucket holding the q-quantile (0 < q ≤ 1); undefined for an empty series. */
export function quantileBound(series: HistogramSeries, q: number): number | undefined {
  if (series.count <= 0) return undefined;
  const rank = q * series.count;
  for (const [le, n] of [...series.buckets].sort((a, b) => a[0] - b[0])) if (n >= rank) return le;
  return Infinity;
}

export interface LatencyBreakdown {
  /** Per pipeline step: calls that ran it, mean ms, and the p99 bucket's upper bound in ms. */
  steps: Record<string, { calls: number; mean_ms: number; p99_le_ms: number | undefined }>;
  /** Group commit: calls per transaction (mean) and the transaction's mean ms. */
  group_commit?: { mean_batch: number; mean_ms: number; p99_le_ms: number | undefined };
  /** Answers served from the inference cache in the window. */
  cache_hits: number;
  /** Garbage-collector pause time per request, in µs, by kind (minor, major, incremental, weakcb). */
  gc_pause_us_per_request: Record<string, number>;
  /**
   * How late the event loop ran a timer in the scenario's window, beyond the timer's own period (prom-client
   * samples with a 10 ms timer whose period its figures include; EVENT_LOOP_MONITOR_PERIOD_S is taken off).
   */
  event_loop_delay_ms?: { p50: number; p99: number; max: number };
}

const ms = (seconds: number) => Number((seconds * 1000).toFixed(2));

/** prom-client's default eventLoopMonitoringPrecision (the services do not change it). */
export const EVENT_LOOP_MONITOR_PERIOD_S = 0.01;
const lateMs = (seconds: number) => ms(Math.max(0, seconds - EVENT_LOOP_MONITOR_PERIOD_S));
const boundMs = (seconds: number | undefined) => (seconds === undefined ? undefined : seconds === Infinity ? Infinity : ms(seconds));

/** The breakdown of a scenario's window: `requests` is how many requests the window held. */
export function latencyBreakdown(before: ServerSnapshot, after: ServerSnapshot, requests: number): LatencyBreakdown {
  const delta = (key: string) => {
    const end = after.histograms.get(key);
    return end ? histogramDelta(before.histograms.get(key), end) : undefined;
  };
  const steps: LatencyBreakdown['steps'] = {};
  const gc: Record<string, number> = {};
  for (const key of after.histograms.keys()) {
    const step = /^inference_step_seconds\{step=(\w+)\}$/.exec(key)?.[1];
    const kind = /^nodejs_gc_duration_seconds\{kind=(\w+)\}$/.exec(key)?.[1];
    const d = delta(key)!;
    if (step && d.count > 0) steps[step] = { calls: d.count, mean_ms: ms(d.sum / d.count), p99_le_ms: boundMs(quantileBound(d, 0.99)) };
    if (kind && d.count > 0 && requests > 0) gc[kind] = Math.round((d.sum * 1e6) / requests);
  }
  const batch = delta('call_record_batch_size');
  const commit = delta('call_record_commit_seconds');
  const lag = (name: string) => after.gauges.get(name);
  const [p50, p99, max] = [lag('nodejs_eventloop_lag_p50_seconds'), lag('nodejs_eventloop_lag_p99_seconds'), lag('nodejs_eventloop_lag_max_seconds')];
  const hits = (after.counters.get('inference_cache_hits_total') ?? 0) - (before.counters.get('inference_cache_hits_total') ?? 0);
  return {
    steps,
    cache_hits: hits,
    ...(batch && commit && batch.count > 0 && commit.count > 0
      ? { group_commit: { mean_batch: Number((batch.sum / batch.count).toFixed(1)), mean_ms: ms(commit.sum / commit.count), p99_le_ms: boundMs(quantileBound(commit, 0.99)) } }
      : {}),
    gc_pause_us_per_request: gc,
    ...(p50 !== undefined && p99 !== undefined && max !== undefined ? { event_loop_delay_ms: { p50: lateMs(p50), p99: lateMs(p99), max: lateMs(max) } } : {}),
  };
}

/** One line for the bench's report, e.g. "steps (mean, p99 ≤): rate_limit 0.31 ms (≤ 1), chain 0.9 ms (≤ 2.5) …". */
export function breakdownLine(b: LatencyBreakdown): string {
  const bound = (v: number | undefined) => (v === undefined ? '?' : v === Infinity ? '∞' : String(v));
  const steps = Object.entries(b.steps)
    .map(([step, s]) => `${step} ${s.mean_ms} (≤ ${bound(s.p99_le_ms)})`)
    .join(', ');
  const commit = b.group_commit ? `; group commit ${b.group_commit.mean_batch} calls in ${b.group_commit.mean_ms} ms (≤ ${bound(b.group_commit.p99_le_ms)})` : '';
  const gcTotal = Object.values(b.gc_pause_us_per_request).reduce((a, n) => a + n, 0);
  const gc = `; GC pauses ${gcTotal} µs/request (${Object.entries(b.gc_pause_us_per_request).map(([k, v]) => `${k} ${v}`).join(', ')})`;
  const loop = b.event_loop_delay_ms ? `; event loop delay p50 ${b.event_loop_delay_ms.p50} ms, p99 ${b.event_loop_delay_ms.p99} ms, max ${b.event_loop_delay_ms.max} ms` : '';
  return `steps in ms, mean (p99 ≤): ${steps || 'none'}; cache hits ${b.cache_hits}${commit}${gc}${loop}`;
}
