/**
 * `npm run bench -- gateway [--seconds N] [--warmup N] [--concurrency N] [--rate N] [--only <scenario>] [--cost-model] [--rag-chunks N] [--floor] [--json]` (build first: `npm run build`).
 * The orchestrator (built, one process) against DATABASE_URL / REDIS_URL (real servers; embedded defaults
 * when unset, reported as such) with a zero-latency OpenAI-protocol fake as its only vendor. Drives, at
 * `concurrency` connections: cache-miss invokes of a capability without retrieval (reservation.upsell_offer)
 * and the same calls as non-streaming chat completions; then cache-miss invokes of a capability with
 * retrieval (support.policy_answer, over a synthetic policy corpus of `--rag-chunks` chunks for the tenant,
 * see policy-corpus.ts) and the same as chat completions; then the fake directly with the same load. Prints
 * requests/s, p50/p99, the latency the gateway adds, the orchestrator's CPU time and system calls per
 * request, every part of the machine's CPU per request (machine-cpu.ts) and where the latency went
 * (server-metrics.ts). --cost-model first drives cheaper requests
 * (an unknown path, an invalid input, a cache hit) so that each layer's share of a call's CPU shows.
 * --floor then drives the floor gateway (floor/gateway-process.ts: the least any implementation of a
 * cache-miss invoke must do) with the same load, layer by layer (floor/layers.ts), as a reference
 * measured on the same machine in the same run (needs DATABASE_URL and REDIS_URL).
 * BENCH_STDOUT=1 shows the orchestrator's log lines (they go to /dev/null otherwise, as cheap as they get).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';
import { IMAGE_NODE_OPTIONS } from '../infra/names.js';
import { mintDevToken } from '../shared/auth/index.js';
import { loadConfig } from '../shared/config/index.js';
import { startBenchFake } from './bench-fake.js';
import { drive, processCounters, type LoadResult } from './load.js';
import { ingestPolicyCorpus, policyQuestions } from './policy-corpus.js';
import { localPostgresPid, localRedisPid, readMachineCpu, type MachineParts } from './machine-cpu.js';
import { breakdownLine, parseServerMetrics, type ServerSnapshot } from './server-metrics.js';
import { waitReady } from './wait-ready.js';
import { driveFloor, dropFloorData } from './floor/drive-floor.js';
import { FLOOR_LAYER_NAMES, FLOOR_LAYERS, type FloorLayer } from './floor/layers.js';
import { orchestratorOverFloor } from './floor/over-floor.js';

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const arg = (name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
  const seconds = arg('--seconds', 10);
  const warmup = arg('--warmup', 10);
  const concurrency = arg('--concurrency', 40);
  // --rate N: open loop, N requests per second on up to --concurrency connections (latency from each
  // request's scheduled start); without it, closed loop on --concurrency connections.
  const rate = args.includes('--rate') ? arg('--rate', 0) : undefined;
  if (rate !== undefined && !(rate > 0)) throw new Error('--rate: give a positive number of requests per second');
  const quiet = args.includes('--json');
  // --only <scenario key, e.g. invoke_upsell>: one scenario (and the fake directly), for comparing a change quickly.
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
  const costModel = args.includes('--cost-model');
  const floor = args.includes('--floor');
  if (floor && !(process.env.DATABASE_URL && process.env.REDIS_URL)) throw new Error('--floor: the floor gateway writes to real stores; set DATABASE_URL and REDIS_URL');
  const ragChunks = arg('--rag-chunks', 2000);
  const say = (s: string) => !quiet && process.stdout.write(`${s}\n`);

  const fake = await startBenchFake();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'aiorch-bench-'));
  const port = await freePort();
  const env = { ...process.env, APP_ENV: 'dev', PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', OPENAI_API_KEY: 'sk-bench', OPENAI_BASE_URL: `${fake.url}/v1` };
  // The orchestrator runs with the image's node flags (IMAGE_NODE_OPTIONS). BENCH_NODE_ARGS adds more,
  // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
  const nodeArgs = [...IMAGE_NODE_OPTIONS, ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const child = spawn(process.execPath, [...nodeArgs, 'dist/services/orchestrator/main.js'], { env, stdio: ['ignore', process.env.BENCH_STDOUT ? 'inherit' : 'ignore', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([waitReady(url), exited.then((code) => Promise.reject(new Error(`orchestrator exited with ${code} before it was ready (run it alone to see why, e.g. a database migrated by another branch)`)))]);
    const config = loadConfig({ env: { APP_ENV: 'dev', DATA_DIR: dataDir } });
    const mint = (tenant: string, scope: string) => mintDevToken({ dataDir, tenant, scope, issuer: config.auth.issuer, audience: config.auth.audience, ttlSeconds: 3600 });
    const tenant = 'bench-tenant';
    // The tenant's policy corpus (--rag-chunks, default 2,000; 0: none), so that retrieval searches real
    // chunks. Only on a real database: the embedded one belongs to the orchestrator's process.
    const corpusChunks = process.env.DATABASE_URL && ragChunks > 0 ? await ingestPolicyCorpus(process.env.DATABASE_URL, config, tenant, ragChunks) : 0;
    const admin = await mint('platform', 'platform.admin');
    // The bench measures the gateway, not the default quotas: lift the tenant's rate limits and budget.
    await put(`${url}/admin/flags`, admin, { flags: [{ key: 'rate_limits', tenant_id: tenant, enabled: true, value: { requestsPerMinute: 10_000_000, tokensPerMinute: 2_000_000_000 } }] });
    await put(`${url}/admin/tenants/${tenant}/budgets`, admin, { budgets: [{ period: 'daily', capability: null, limit_micros: 1e12 }, { period: 'monthly', capability: null, limit_micros: 1e13 }] });
    const jwt = await mint(tenant, 'ai.invoke');
    const headers = { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' };

    const run = Date.now().toString(36);
    const orchestrator = () => processCounters(child.pid);
    // Every part sharing the machine, so that a scenario's figures say where all of its CPU went.
    const parts: MachineParts = {
      ...(child.pid !== undefined ? { orchestratorPid: child.pid } : {}),
      ...(await localPidOf('postgresPid', process.env.DATABASE_URL, localPostgresPid)),
      ...(await localPidOf('redisPid', process.env.REDIS_URL, localRedisPid)),
    };
    const machine = () => readMachineCpu(parts);
    // The orchestrator's own metrics: where a call's latency went, step by step (server-metrics.ts).
    const serverMetrics = async (): Promise<ServerSnapshot> => parseServerMetrics(await (await fetch(`${url}/metrics`)).text());
    // The gateway path alone: a capability without retrieval (rag: false), every request a cache miss.
    const upsellInput = (roomType: string, i: number) => ({ reservation: { room_type: roomType, nights: 1 + (i % 14), guests: 2, arrival_date: '2027-03-14' }, guest: { tier: 'gold' } });
    const upsellOf = (roomType: string, i: number) => ({ path: '/v1/capabilities/reservation.upsell_offer/invoke', headers, body: JSON.stringify({ input: upsellInput(roomType, i) }) });
    const upsell = (i: number) => upsellOf(`DLX-${run}-${i}`, i);
    // With retrieval (rag: true): query embedding + hybrid search on every call, before the provider.
    // Questions of words of the tenant's corpus, new to this run (every one a cache miss).
    const question = policyQuestions(Date.now() % 2 ** 31);
    const rag = () => ({ path: '/v1/capabilities/support.policy_answer/invoke', headers, body: JSON.stringify({ input: { question: question(), language: 'en' } }) });
    const chat = () => ({ path: '/v1/chat/completions', headers, body: JSON.stringify({ model: 'support.policy_answer', messages: [{ role: 'user', content: JSON.stringify({ question: question(), language: 'en' }) }] }) });
    // The OpenAI-compatible path without retrieval: calls like invoke_upsell's, as chat completions (inputs of
    // their own: the same input would be a cache hit after invoke_upsell, whatever the route).
    const chatUpsell = (i: number) => ({
      path: '/v1/chat/completions',
      headers,
      body: JSON.stringify({ model: 'reservation.upsell_offer', messages: [{ role: 'user', content: JSON.stringify(upsellInput(`CHAT-${run}-${i}`, i)) }] }),
    });
    // The cost model (--cost-model): what each layer of a call adds in orchestrator CPU, cheapest first.
    const notFound = () => ({ path: '/v1/no-such-route', headers, body: '{}' });
    const invalidInput = () => ({ path: '/v1/capabilities/reservation.upsell_offer/invoke', headers, body: JSON.stringify({ input: { reservation: {} } }) });
    // 200 distinct inputs, answered by the provider during the warm-up second and from the cache after it.
    const cacheHit = (i: number) => upsellOf(`HIT-${run}-${i % 200}`, i % 200);
    const scenarios = [
      ['not_found', '404, unknown path', notFound, 'cost-model'],
      ['invalid_input', '400, invalid input', invalidInput, 'cost-model'],
      ['cache_hit', 'invoke, cache hit', cacheHit, 'cost-model'],
      ['invoke_upsell', 'invoke, no RAG', upsell, 'default'],
      ['chat_upsell', 'chat, no RAG', chatUpsell, 'default'],
      ['invoke', 'invoke with RAG', rag, 'default'],
      ['chat', 'chat with RAG', chat, 'default'],
    ] as const;
    if (only && !scenarios.some(([key]) => key === only)) throw new Error(`--only: no scenario ${only} (one of ${scenarios.map(([key]) => key).join(', ')})`);
    const selected = (key: string, group: string) => (only ? only === key : group === 'default' || costModel);
    const results: Record<string, LoadResult> = {};
    // The first scenario also warms the process up: its first seconds run at ~2x the CPU per request of
    // a warm process (JIT, heap sizing), which is not what a serving instance costs.
    let warmupSeconds = warmup;
    for (const [key, , request, group] of scenarios) {
      if (!selected(key, group)) continue;
      results[key] = await drive({ url, concurrency, seconds, warmupSeconds, process: orchestrator, machine, serverMetrics, request, ...(rate ? { rate } : {}) });
      // The retrieval scenarios' random questions repeat now and then (1–2 in 3,500): more than 1 % is a bench fault.
      const hits = results[key].latency_breakdown?.cache_hits ?? 0;
      if (key !== 'cache_hit' && hits > results[key].requests / 100) process.stderr.write(`warning: ${hits} cache hits in ${key}, a scenario meant to miss the cache: its figures are not a cache miss's\n`);
      warmupSeconds = 1;
    }
    // The floor (--floor): each layer in a cold process of its own, so with the full warm-up.
    const floorResults: Array<[string, LoadResult]> = [];
    try {
      for (const layer of floor ? FLOOR_LAYERS : []) {
        const { orchestratorPid: _, ...stores } = parts;
        const input = (i: number) => upsellInput(`FLOOR-${layer}-${run}-${i}`, i);
        floorResults.push([layer, await driveFloor({ layer, providerUrl: fake.url, nodeArgs, parts: stores, concurrency, seconds, warmupSeconds: warmup, input, ...(rate ? { rate } : {}) })]);
      }
    } finally {
      if (floor) await dropFloorData(process.env.DATABASE_URL!, process.env.REDIS_URL!);
    }
    const direct = await drive({
      url: fake.url,
      concurrency,
      seconds,
      machine,
      ...(rate ? { rate } : {}),
      request: (i) => ({ path: '/v1/chat/completions', headers: { authorization: 'Bearer sk-bench', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: `q${i}` }] }) }),
    });
    // The orchestrator against the floor's last layer (the same libraries, nothing else), as ratios of one run:
    // steadier across machines than either figure alone.
    const floorSdk = floorResults.find(([layer]) => layer === 'sdk')?.[1];
    const overFloor = floorSdk && results.invoke_upsell ? orchestratorOverFloor(withAdded(results.invoke_upsell, direct), withAdded(floorSdk, direct)) : undefined;
    const figures: Record<string, unknown> = {
      bench: 'gateway',
      database: process.env.DATABASE_URL ? 'postgres' : 'embedded-pglite',
      key_value: process.env.REDIS_URL ? 'redis' : 'memory',
      concurrency,
      ...(rate ? { rate } : {}),
      seconds,
      rag_corpus_chunks: corpusChunks,
      warmup_seconds: warmup,
      ...Object.fromEntries(Object.entries(results).map(([key, r]) => [key, withAdded(r, direct)])),
      ...(floor ? { floor: Object.fromEntries(floorResults.map(([layer, r]) => [layer, withAdded(r, direct)])) } : {}),
      ...(overFloor ? { invoke_upsell_over_floor_sdk: overFloor } : {}),
      direct_fake: direct,
    };
    const load = rate ? `open loop at ${rate} req/s on up to ${concurrency} connections` : `${concurrency} connections`;
    say(`gateway bench: ${figures.database} + ${figures.key_value}, ${load}, ${seconds} s per scenario after ${warmup} s of warm-up, one orchestrator process; the tenant's RAG corpus holds ${corpusChunks} chunks`);
    const rows = [
      ...scenarios.filter(([key]) => results[key]).map(([key, name]) => [name, withAdded(results[key]!, direct), 'orchestrator'] as const),
      ...floorResults.map(([layer, r]) => [`floor: ${FLOOR_LAYER_NAMES[layer as FloorLayer]}`, withAdded(r, direct), 'floor gateway'] as const),
      ['fake directly', direct, 'orchestrator'] as const,
    ];
    for (const [name, r, gateway] of rows) {
      const added = 'added_p50_ms' in r ? `  added p50 ${r.added_p50_ms} ms, p99 ${r.added_p99_ms} ms` : '';
      const cpu = r.cpu_us_per_request !== undefined ? `  ${gateway} CPU ${r.cpu_us_per_request} µs/request, ${r.syscalls_per_request} syscalls/request` : '';
      say(`${name.padEnd(18)} ${String(r.rps).padStart(6)} req/s  p50 ${r.p50_ms} ms  p99 ${r.p99_ms} ms  errors ${r.errors} ${JSON.stringify(r.statuses)}${added}${cpu}`);
      if (r.machine_cpu_us_per_request) say(`${''.padEnd(18)} ${machineLine(r.machine_cpu_us_per_request, gateway)}`);
      if (r.latency_breakdown) say(`${''.padEnd(18)} ${breakdownLine(r.latency_breakdown)}`);
    }
    if (overFloor) {
      say(
        `invoke, no RAG, over the floor with the openai SDK (same run): CPU per call ×${overFloor.cpu_ratio}, req/s ×${overFloor.rps_ratio}, added p99 ${overFloor.added_p99_ms_difference >= 0 ? '+' : ''}${overFloor.added_p99_ms_difference} ms`,
      );
    }
    return figures;
  } finally {
    child.kill('SIGTERM');
    await exited;
    await fake.stop();
  }
}

/** The machine's CPU per request by part, e.g. "machine CPU 2,431 µs/request (88 % of 2 cores busy, steal 0 %): orchestrator 1,731, …". */
function machineLine(m: NonNullable<LoadResult['machine_cpu_us_per_request']>, gateway: string): string {
  const n = (v: number) => v.toLocaleString('en-US');
  const named: Array<[string, number | undefined]> = [
    [gateway, m.orchestrator],
    ['postgres', m.postgres],
    ['redis', m.redis],
    ['load generator + fake', m.load_generator_and_fake],
    ['other', m.other],
  ];
  const parts = named.flatMap(([name, v]) => (v === undefined ? [] : [`${name} ${n(v)}`])).join(', ');
  const head = m.total !== undefined ? `machine CPU ${n(m.total)} µs/request (${m.busy_percent} % of ${os.availableParallelism()} cores busy, steal ${m.steal_percent} %): ` : 'CPU µs/request: ';
  return head + parts;
}

/** A server's pid when it runs on this machine, under `key`; nothing when it is not configured or not local. */
async function localPidOf(key: keyof MachineParts, url: string | undefined, find: (url: string) => Promise<number | undefined>): Promise<Partial<MachineParts>> {
  if (!url) return {};
  const pid = await find(url).catch(() => undefined);
  return pid === undefined ? {} : { [key]: pid };
}

function withAdded(r: LoadResult, direct: LoadResult) {
  return { ...r, added_p50_ms: Number((r.p50_ms - direct.p50_ms).toFixed(2)), added_p99_ms: Number((r.p99_ms - direct.p99_ms).toFixed(2)) };
}

async function put(url: string, jwt: string, body: unknown): Promise<void> {
  const res = await fetch(url, { method: 'PUT', headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`PUT ${url} → ${res.status} ${await res.text()}`);
}
