/**
 * `npm run bench -- profile FILE.cpuprofile [--window S] [--per-call-us N]`: where a process's CPU went,
 * by part of the call (the provider call, the Redis steps, recording, HTTP serving, …), from a V8 CPU
 * profile such as `BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" npm run bench -- gateway` writes for
 * the orchestrator and each floor gateway.
 *
 * A profile covers the whole process, start-up and idle stretches included, so only its busiest window
 * (default 10 s: the gateway bench's measured stretch) is counted. Each sample goes to the nearest frame on
 * its stack that belongs to an npm package or to a folder of this repository; a frame of Node's own library
 * (`node:…`, and undici's WebAssembly parser) counts for whoever called it, so the socket writes ioredis
 * makes are ioredis'. A flat profile (no single function stands out) is read this way: by the libraries
 * and steps that share the time.
 * With `--per-call-us` (the bench's CPU per request) each share is also given in µs per call.
 */
import { readFileSync } from 'node:fs';

export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>;
  startTime: number;
  samples: number[];
  /** µs from the previous sample (the first: from startTime). */
  timeDeltas: number[];
}

/** The parts a call's CPU is reported in, with the packages and repository folders each one covers. */
export const PARTS: ReadonlyArray<{ part: string; packages?: readonly string[]; folders?: readonly string[] }> = [
  { part: 'provider call: openai SDK, undici, our adapters', packages: ['openai', 'undici', '@anthropic-ai/sdk', '@google/genai'], folders: ['shared/providers'] },
  { part: 'Redis steps: ioredis, rate-limiter-flexible, our budget gate, limiter, cache', packages: ['ioredis', 'rate-limiter-flexible', 'redis-parser', 'denque', 'cluster-key-slot', '@ioredis/commands', 'standard-as-callback'], folders: ['shared/budgets', 'shared/rate-limit', 'shared/inference-cache', 'shared/cache', 'shared/idempotency'] },
  { part: 'recording: pg, our recorder and events', packages: ['pg', 'pg-protocol', 'pg-pool', 'pg-types', 'postgres-array', 'postgres-bytea', 'postgres-date', 'postgres-interval'], folders: ['shared/recording', 'shared/events', 'shared/db'] },
  { part: 'HTTP serving: fastify, our routes', packages: ['fastify', 'find-my-way', 'avvio', 'light-my-request', 'fast-json-stringify', 'secure-json-parse', 'fast-querystring', 'toad-cache', '@fastify/error', '@fastify/ajv-compiler'], folders: ['services', 'shared/http'] },
  { part: 'metrics and logs: prom-client, pino', packages: ['prom-client', 'tdigest', 'bintrees', 'pino', 'pino-std-serializers', 'pino-abstract-transport', 'sonic-boom', 'fast-redact', 'thread-stream', 'on-exit-leak-free'], folders: ['shared/telemetry'] },
  { part: 'auth and schemas: jose, ajv, our capabilities', packages: ['jose', 'ajv', 'ajv-formats', 'fast-uri'], folders: ['shared/auth', 'shared/capabilities'] },
  { part: 'the rest of the pipeline: our inference steps, routing (opossum), utilities', packages: ['opossum'], folders: ['shared/inference', 'shared/routing', 'shared/util', 'shared/flags', 'shared/tenants'] },
  { part: 'the floor gateway (bench)', folders: ['bench/floor'] },
];

const GC = 'garbage collector';
const UNATTRIBUTED = 'V8 and native code, no JavaScript on the stack';
const NODE_ONLY = "Node's own library, nothing else on the stack";

/** The npm package or repository folder a script URL belongs to; undefined for Node's own library and wasm. */
export function ownerOf(url: string): string | undefined {
  // wasm: undici's HTTP parser (llhttp), counted for the JavaScript that called it.
  if (url === '' || url.startsWith('node:') || url.startsWith('wasm:')) return undefined;
  // The innermost node_modules: a package nested in another's is itself.
  const pkg = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return pkg[1];
  // Built code (dist/…) or sources run through tsx: the first two folders of the repository path.
  const repo = /(?:^|\/)(?:dist\/)?((?:shared|services|jobs|bench)\/[^/]+)\//.exec(url) ?? /(?:^|\/)(?:dist\/)?((?:shared|services|jobs|bench))\/[^/]+$/.exec(url);
  return repo?.[1] ?? url;
}

export function partOf(owner: string): string {
  for (const p of PARTS) {
    if (p.packages?.includes(owner)) return p.part;
    if (p.folders?.some((f) => owner === f || owner.startsWith(`${f}/`))) return p.part;
  }
  return owner;
}

/** Indexes [first, last] of the samples in the window of `windowUs` holding the most non-idle samples. */
export function busiestWindow(profile: CpuProfile, windowUs: number): [number, number] {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === '(idle)').map((n) => n.id));
  const at: number[] = [];
  let t = profile.startTime;
  for (const d of profile.timeDeltas) at.push((t += d));
  let best: [number, number, number] = [-1, 0, -1];
  let busy = 0;
  let first = 0;
  for (let i = 0; i < at.length; i++) {
    if (!idle.has(profile.samples[i]!)) busy++;
    while (at[i]! - at[first]! > windowUs) {
      if (!idle.has(profile.samples[first]!)) busy--;
      first++;
    }
    if (busy > best[0]) best = [busy, first, i];
  }
  return [best[1], best[2]];
}

/** Each part's share of the non-idle CPU time in the busiest window, largest first (shares sum to 1). */
export function sharesByPart(profile: CpuProfile, windowSeconds = 10): Array<{ part: string; share: number }> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parentOf.set(child, n.id);
  const partOfNode = new Map<number, string | null>();
  const classify = (id: number): string | null => {
    const known = partOfNode.get(id);
    if (known !== undefined) return known;
    const name = byId.get(id)?.callFrame.functionName;
    let part: string | null;
    if (name === '(idle)') part = null;
    else if (name === '(garbage collector)') part = GC;
    else if (name === '(program)') part = UNATTRIBUTED;
    else {
      part = NODE_ONLY;
      for (let cur: number | undefined = id; cur !== undefined; cur = parentOf.get(cur)) {
        const owner = ownerOf(byId.get(cur)?.callFrame.url ?? '');
        if (owner !== undefined) {
          part = partOf(owner);
          break;
        }
      }
    }
    partOfNode.set(id, part);
    return part;
  };
  const [first, last] = busiestWindow(profile, windowSeconds * 1e6);
  const time = new Map<string, number>();
  let total = 0;
  for (let i = first; i <= last; i++) {
    const part = classify(profile.samples[i]!);
    // A sample lasts until the next one is taken.
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (part === null || us <= 0) continue;
    time.set(part, (time.get(part) ?? 0) + us);
    total += us;
  }
  if (total === 0) return [];
  return [...time].map(([part, us]) => ({ part, share: us / total })).sort((a, b) => b.share - a.share);
}

/** The command line: the profile file, the window (s) and the optional CPU per call (µs); undefined if unusable. */
export function parseProfileArgs(args: string[]): { file: string; windowSeconds: number; perCallUs?: number } | undefined {
  const valued = new Set(['--window', '--per-call-us']);
  const option = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const file = args.find((a, i) => !a.startsWith('--') && !valued.has(args[i - 1] ?? ''));
  const windowSeconds = option('--window') ?? 10;
  const perCallUs = option('--per-call-us');
  if (!file || !(windowSeconds > 0) || (perCallUs !== undefined && !(perCallUs > 0))) return undefined;
  return perCallUs === undefined ? { file, windowSeconds } : { file, windowSeconds, perCallUs };
}

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const parsed = parseProfileArgs(args);
  if (!parsed) {
    process.stderr.write('usage: npm run bench -- profile FILE.cpuprofile [--window SECONDS] [--per-call-us N] [--json]\n');
    process.exit(2);
  }
  const { file, windowSeconds, perCallUs } = parsed;
  const shares = sharesByPart(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, windowSeconds);
  process.stdout.write(`CPU by part, busiest ${windowSeconds} s of ${file}${perCallUs ? `, at ${perCallUs} µs per call` : ''}\n`);
  for (const { part, share } of shares) {
    if (share < 0.001) continue;
    const us = perCallUs ? `${String(Math.round(share * perCallUs)).padStart(5)} µs  ` : '';
    process.stdout.write(`${(share * 100).toFixed(1).padStart(5)} %  ${us}${part}\n`);
  }
  return { file, window_seconds: windowSeconds, shares: shares.map((s) => ({ part: s.part, share: Number(s.share.toFixed(4)), ...(perCallUs ? { us_per_call: Math.round(s.share * perCallUs) } : {}) })) };
}
