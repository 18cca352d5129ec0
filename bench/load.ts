import http from 'node:http';

export interface LoadResult {
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  rps: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
}

/**
 * A closed-loop load generator: `concurrency` keep-alive connections, each sending its next request as
 * soon as the previous answer arrived, for `seconds` after `warmupSeconds`. Latency per request from
 * hrtime; only the measured window counts.
 */
export async function drive(opts: {
  url: string;
  concurrency: number;
  seconds: number;
  warmupSeconds?: number;
  request: (i: number) => { path: string; headers: Record<string, string>; body: string };
}): Promise<LoadResult> {
  const target = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let counter = 0;
  const warmupEnd = Date.now() + (opts.warmupSeconds ?? 1) * 1000;
  const end = warmupEnd + opts.seconds * 1000;

  const once = (i: number): Promise<{ status: number; ms: number }> =>
    new Promise((resolve) => {
      const { path, headers, body } = opts.request(i);
      const started = process.hrtime.bigint();
      const req = http.request(
        { host: target.hostname, port: target.port, method: 'POST', path, agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
        },
      );
      req.on('error', () => resolve({ status: 0, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
      req.end(body);
    });

  const worker = async () => {
    while (Date.now() < end) {
      const { status, ms } = await once(counter++);
      if (Date.now() < warmupEnd) continue;
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status !== 200) errors++;
      latencies.push(ms);
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Number((latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN).toFixed(2));
  return { requests: latencies.length, errors, statuses, seconds: opts.seconds, rps: Math.round(latencies.length / opts.seconds), p50_ms: pct(50), p90_ms: pct(90), p99_ms: pct(99) };
}
