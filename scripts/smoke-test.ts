// Smoke test of a deployed orchestrator (the pipeline runs it against the no-traffic `canary` revision
// before shifting traffic; anyone can run it against an environment):
//   node --import tsx scripts/smoke-test.ts --url https://canary.ai.staging.melmastoon.example
// The bearer token of a smoke-test tenant with scope ai.invoke comes from SMOKE_TEST_TOKEN (Secret Manager
// `smoke-test-token` in the pipeline). Prints one line per check; exit code 0 only if all pass.
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

export interface SmokeCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface SmokeOptions {
  url: string;
  token: string;
  /** How long /readyz may keep answering non-200 (a fresh revision warming up) before the run fails. */
  readyTimeoutMs: number;
  /** Bound on each request. */
  requestTimeoutMs: number;
  pollIntervalMs?: number;
}

export async function runSmokeTest(opts: SmokeOptions): Promise<SmokeCheck[]> {
  const base = opts.url.replace(/\/+$/, '');
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(opts.requestTimeoutMs) });
  const checks: SmokeCheck[] = [];
  const check = async (name: string, fn: () => Promise<string>) => {
    try {
      checks.push({ name, ok: true, detail: await fn() });
    } catch (err) {
      checks.push({ name, ok: false, detail: (err as Error).message });
    }
  };

  await check('readyz', async () => {
    const deadline = Date.now() + opts.readyTimeoutMs;
    let last = '';
    for (;;) {
      try {
        const res = await get('/readyz');
        const body = (await res.json().catch(() => ({}))) as { status?: string };
        if (res.status === 200 && body.status === 'ready') return '200 ready';
        last = `${res.status} ${JSON.stringify(body)}`;
      } catch (err) {
        last = (err as Error).message;
      }
      if (Date.now() >= deadline) throw new Error(`not ready after ${opts.readyTimeoutMs} ms (last: ${last})`);
      await new Promise((resolve) => setTimeout(resolve, opts.pollIntervalMs ?? 2000));
    }
  });
  if (!checks[0]?.ok) return checks;

  await check('healthz', async () => {
    const res = await get('/healthz');
    if (res.status !== 200) throw new Error(`expected 200, got ${res.status}`);
    return '200';
  });
  await check('auth required', async () => {
    const res = await get('/v1/capabilities');
    const body = (await res.json().catch(() => ({}))) as { code?: string };
    if (res.status !== 401 || !res.headers.get('content-type')?.startsWith('application/problem+json')) {
      throw new Error(`expected 401 problem+json without a token, got ${res.status} ${res.headers.get('content-type')}`);
    }
    return `401 ${body.code}`;
  });
  await check('authenticated call', async () => {
    const res = await get('/v1/capabilities', { authorization: `Bearer ${opts.token}` });
    const body = (await res.json().catch(() => ({}))) as { capabilities?: unknown[] };
    if (res.status !== 200) throw new Error(`GET /v1/capabilities with the smoke token: expected 200, got ${res.status} ${JSON.stringify(body)}`);
    if (!Array.isArray(body.capabilities) || body.capabilities.length === 0) throw new Error('GET /v1/capabilities returned no capabilities');
    return `200, ${body.capabilities.length} capabilities`;
  });
  return checks;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      'ready-timeout': { type: 'string', default: '180' },
      'request-timeout': { type: 'string', default: '20' },
    },
    strict: true,
  });
  const url = values.url ?? process.env.SMOKE_URL;
  const token = process.env.SMOKE_TEST_TOKEN;
  if (!url) throw new Error('--url (or SMOKE_URL) is required');
  if (!token) throw new Error('SMOKE_TEST_TOKEN is required (a token of the smoke-test tenant with scope ai.invoke)');
  const checks = await runSmokeTest({
    url,
    token,
    readyTimeoutMs: Number(values['ready-timeout']) * 1000,
    requestTimeoutMs: Number(values['request-timeout']) * 1000,
  });
  for (const c of checks) console.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
  const failed = checks.filter((c) => !c.ok).length;
  console.log(failed === 0 ? `smoke test passed (${url})` : `smoke test FAILED: ${failed} check(s) (${url})`);
  process.exitCode = failed === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error) => {
    console.error(`smoke test: ${err.message}`);
    process.exitCode = 2;
  });
}
