import { readFileSync } from 'node:fs';
import { Http1Pool } from './http1/client.js';
import { machineCpuPerRequest, parseProcStat, type MachineCpu } from './machine-cpu.js';
import { latencyBreakdown, type LatencyBreakdown, type ServerSnapshot } from './server-metrics.js';

export interface LoadResult {
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  rps: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  /** CPU time the measured process spent per request in the window (when `process` was given). */
  cpu_us_per_request?: number;
  /** Read- and write-type system calls of the measured process per request in the window (when `process` was given). */
  syscalls_per_request?: number;
  /** CPU per request of every part of the machine, and how busy its cores were (when `machine` was given). */
  machine_cpu_us_per_request?: ReturnType<typeof machineCpuPerRequest>;
  /** Where the latency went, from the service's own metrics (when `serverMetrics` was given). */
  latency_breakdown?: LatencyBreakdown;
}

/** Cumulative counters of the process under test, read from /proc. */
export interface ProcessCounters {
  cpuSeconds: number;
  /** read-type plus write-type system calls (syscr + syscw of /proc/<pid>/io). */
  syscalls: number;
}

/**
 * A closed-loop load generator: `concurrency` keep-alive connections, each sending its next request as
 * soon as the previous answer arrived, for `seconds` after `warmupSeconds`. Latency per request from
 * performance.now(); only the measured window counts. Requests go through Http1Pool (http1/client.ts), a
 * lean HTTP/1.1 client, so that the generator takes little of the CPU the service under test competes for.
 */
export async function drive(opts: {
  url: string;
  concurrency: number;
  seconds: number;
  warmupSeconds?: number;
  request: (i: number) => { path: string; headers: Record<string, string>; body: string };
  /**
   * Open loop: start `rate` requests per second on schedule whatever the answers do, on at most
   * `concurrency` connections (the rest wait for one, as behind a client's pool). Latency then counts from
   * each request's scheduled start, so a stall is not hidden by fewer requests being sent (coordinated
   * omission). Without it: closed loop, each connection sends its next request when the last answer came.
   */
  rate?: number;
  /**
   * Cumulative counters of the process under test (see processCounters). CPU per request is steadier
   * than requests/s on a shared 2-core machine, where the load generator, the databases and the fake
   * compete for the same cores. System calls per request show how well round trips to the databases and
   * the provider are shared between concurrent calls (pipelining, group commit).
   */
  process?: () => ProcessCounters | undefined;
  /** Cumulative CPU of the machine's parts (see machine-cpu.ts), read at the same moments as `process`. */
  machine?: () => MachineCpu;
  /**
   * The service's metrics (see server-metrics.ts), read at the window's start and end. A failed read only
   * leaves the breakdown out: the load's own figures do not depend on it.
   */
  serverMetrics?: () => Promise<ServerSnapshot>;
}): Promise<LoadResult> {
  const pool = new Http1Pool(opts.url, opts.concurrency);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let counter = 0;
  const warmupEnd = Date.now() + (opts.warmupSeconds ?? 1) * 1000;
  const end = warmupEnd + opts.seconds * 1000;

  const once = async (i: number): Promise<{ status: number; ms: number }> => {
    const { path, headers, body } = opts.request(i);
    const started = performance.now();
    const status = await pool.request({ method: 'POST', path, headers, body });
    return { status, ms: performance.now() - started };
  };

  let atStart: ProcessCounters | undefined;
  let machineAtStart: MachineCpu | undefined;
  let serverAtStart: Promise<ServerSnapshot | undefined> | undefined;
  const readServer = () => opts.serverMetrics?.().catch(() => undefined);
  let measuredFrom = 0;
  const startTimer = setTimeout(() => {
    atStart = opts.process?.();
    machineAtStart = opts.machine?.();
    serverAtStart = readServer();
    measuredFrom = performance.now();
  }, Math.max(0, warmupEnd - Date.now()));
  const record = (status: number, ms: number) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status !== 200) errors++;
    latencies.push(ms);
  };
  const worker = async () => {
    while (Date.now() < end) {
      const { status, ms } = await once(counter++);
      if (Date.now() < warmupEnd) continue;
      record(status, ms);
    }
  };
  const openLoop = async (rate: number) => {
    const interval = 1000 / rate;
    const t0 = performance.now();
    const inFlight = new Set<Promise<void>>();
    let sent = 0;
    // One timer per arrival (not a 1 ms poll: waking this process a thousand times a second would take
    // CPU from the service under test on a small machine).
    await new Promise<void>((resolve) => {
      const due = () => {
        if (Date.now() >= end) return resolve();
        // Every request whose time has come, so a late timer does not lower the rate.
        for (const now = performance.now(); t0 + sent * interval <= now; sent++) {
          const scheduled = t0 + sent * interval;
          const measured = Date.now() >= warmupEnd;
          const p = once(counter++).then(({ status }) => {
            if (measured) record(status, performance.now() - scheduled);
          });
          inFlight.add(p);
          void p.then(() => inFlight.delete(p));
        }
        setTimeout(due, Math.max(0, t0 + sent * interval - performance.now()));
      };
      due();
    });
    await Promise.all(inFlight);
  };
  if (opts.rate) await openLoop(opts.rate);
  else await Promise.all(Array.from({ length: opts.concurrency }, worker));
  clearTimeout(startTimer);
  const atEnd = opts.process?.();
  const machineAtEnd = opts.machine?.();
  const measuredSeconds = (performance.now() - measuredFrom) / 1000;
  const [serverStart, serverEnd] = serverAtStart ? await Promise.all([serverAtStart, readServer()]) : [];
  pool.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN).toFixed(2));
  const perRequest = (delta: number) => delta / latencies.length;
  const cpu =
    atStart && atEnd && latencies.length > 0
      ? { cpu_us_per_request: Math.round(perRequest((atEnd.cpuSeconds - atStart.cpuSeconds) * 1e6)), syscalls_per_request: Number(perRequest(atEnd.syscalls - atStart.syscalls).toFixed(1)) }
      : {};
  const machine =
    machineAtStart && machineAtEnd && latencies.length > 0 ? { machine_cpu_us_per_request: machineCpuPerRequest(machineAtStart, machineAtEnd, latencies.length, measuredSeconds) } : {};
  const breakdown = serverStart && serverEnd ? { latency_breakdown: latencyBreakdown(serverStart, serverEnd, latencies.length) } : {};
  return { requests: latencies.length, errors, statuses, seconds: opts.seconds, rps: Math.round(latencies.length / opts.seconds), p50_ms: pct(50), p90_ms: pct(90), p99_ms: pct(99), ...cpu, ...machine, ...breakdown };
}

/** Cumulative user + system CPU seconds and system calls of a process, from /proc (Linux); undefined elsewhere. */
export function processCounters(pid: number | undefined): ProcessCounters | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    if (!stat) return undefined;
    const io = readFileSync(`/proc/${pid}/io`, 'utf8');
    const counter = (name: string) => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
    return { cpuSeconds: stat.cpuSeconds, syscalls: counter('syscr') + counter('syscw') };
  } catch {
    return undefined;
  }
}
