/**
 * Seconds from process start to the first 200 from /readyz, for the built orchestrator (`npm run build`
 * first): cold (empty data dir: PGlite initdb + migrations) and warm (existing data dir), embedded mode;
 * plus against DATABASE_URL when it is set. Each figure is the median of --runs (default 5) starts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';

export async function run(args: string[]): Promise<Record<string, unknown>> {
  const runs = Number(args[args.indexOf('--runs') + 1]) || 5;
  const quiet = args.includes('--json');
  const say = (s: string) => !quiet && process.stdout.write(`${s}\n`);
  const figures: Record<string, unknown> = { bench: 'startup', runs, node: process.version };

  const cold: number[] = [];
  const warm: number[] = [];
  for (let i = 0; i < runs; i++) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'aiorch-bench-'));
    cold.push(await timeToReady({ DATA_DIR: dataDir, DATABASE_URL: '' }));
    warm.push(await timeToReady({ DATA_DIR: dataDir, DATABASE_URL: '' }));
    rmSync(dataDir, { recursive: true, force: true });
  }
  figures.embedded_cold_s = median(cold);
  figures.embedded_warm_s = median(warm);
  say(`embedded, empty data dir (initdb + migrations): median ${median(cold).toFixed(2)} s  [${cold.map((s) => s.toFixed(2)).join(', ')}]`);
  say(`embedded, existing data dir:                    median ${median(warm).toFixed(2)} s  [${warm.map((s) => s.toFixed(2)).join(', ')}]`);

  if (process.env.DATABASE_URL) {
    const ext: number[] = [];
    for (let i = 0; i < runs; i++) ext.push(await timeToReady({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'aiorch-bench-')) }));
    figures.external_postgres_s = median(ext);
    say(`DATABASE_URL (real Postgres):                    median ${median(ext).toFixed(2)} s  [${ext.map((s) => s.toFixed(2)).join(', ')}]`);
  }
  return figures;
}

async function timeToReady(env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, ['dist/services/orchestrator/main.js'], {
    env: { ...process.env, APP_ENV: 'dev', LOG_LEVEL: 'warn', PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`orchestrator exited with ${child.exitCode}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/readyz`);
        if (res.status === 200) return Number(process.hrtime.bigint() - started) / 1e9;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('not ready within 60 s');
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Number((s[Math.floor(s.length / 2)] ?? NaN).toFixed(3));
}
