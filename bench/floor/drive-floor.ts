/**
 * The gateway bench's floor rows (`--floor`): the floor gateway (gateway-process.ts) started as a process of
 * its own with the image's node flags, driven with the same load as the orchestrator, against the same
 * fake, with the same figures. The orchestrator's row over the floor's says what the service's own code
 * costs beyond the I/O that any implementation of a cache-miss invoke must do.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import pg from 'pg';
import { Redis } from 'ioredis';
import { freePort } from '../free-port.js';
import { drive, processCounters, type LoadResult } from '../load.js';
import { readMachineCpu, type MachineParts } from '../machine-cpu.js';
import { waitReady } from '../wait-ready.js';
import type { FloorLayer } from './layers.js';
import { floorTables } from './tables.js';

export interface FloorLoad {
  layer: FloorLayer;
  providerUrl: string;
  nodeArgs: string[];
  /** Postgres, Redis: the same parts as the orchestrator's rows (the gateway's own pid is added here). */
  parts: MachineParts;
  concurrency: number;
  seconds: number;
  warmupSeconds: number;
  rate?: number;
  /** The invoke body's input for request i (distinct per request: every call a cache miss). */
  input: (i: number) => unknown;
}

/** A running floor gateway. */
export interface FloorGateway {
  url: string;
  pid: number | undefined;
  /** An Authorization header value it accepts, for `tenant`. */
  bearer(tenant: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the floor gateway at `layer` and waits until it is ready. `script` defaults to the built one (the
 * bench runs built code); a test passes the source with `--import tsx` among `nodeArgs`. `env` adds
 * DATABASE_URL and REDIS_URL for the layers with stores (default: this process's).
 */
export async function startFloorGateway(opts: { layer: FloorLayer; providerUrl: string; nodeArgs: string[]; script?: string; env?: Record<string, string> }): Promise<FloorGateway> {
  const secret = randomBytes(32).toString('base64url');
  const port = await freePort();
  const env = { ...process.env, ...opts.env, PORT: String(port), PROVIDER_URL: opts.providerUrl, FLOOR_LAYER: opts.layer, FLOOR_SECRET: secret };
  const child = spawn(process.execPath, [...opts.nodeArgs, opts.script ?? 'dist/bench/floor/gateway-process.js'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([waitReady(url), exited.then((code) => Promise.reject(new Error(`floor gateway exited with ${code} before it was ready`)))]);
  } catch (err) {
    await stop();
    throw err;
  }
  const key = new TextEncoder().encode(secret);
  const bearer = async (tenant: string) => `Bearer ${await new SignJWT({ tenant_id: tenant }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(key)}`;
  return { url, pid: child.pid, bearer, stop };
}

export async function driveFloor(load: FloorLoad): Promise<LoadResult> {
  const gateway = await startFloorGateway({ layer: load.layer, providerUrl: load.providerUrl, nodeArgs: load.nodeArgs });
  try {
    const headers = { authorization: await gateway.bearer('bench-floor-tenant'), 'content-type': 'application/json' };
    const parts: MachineParts = { ...load.parts, ...(gateway.pid !== undefined ? { orchestratorPid: gateway.pid } : {}) };
    return await drive({
      url: gateway.url,
      concurrency: load.concurrency,
      seconds: load.seconds,
      warmupSeconds: load.warmupSeconds,
      ...(load.rate ? { rate: load.rate } : {}),
      process: () => processCounters(gateway.pid),
      machine: () => readMachineCpu(parts),
      request: (i) => ({ path: '/v1/capabilities/reservation.upsell_offer/invoke', headers, body: JSON.stringify({ input: load.input(i) }) }),
    });
  } finally {
    await gateway.stop();
  }
}

/** Drops what the floor gateway wrote: its schema, and its keys (one cache entry per call). */
export async function dropFloorData(databaseUrl: string, redisUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(floorTables.drop);
  } finally {
    await client.end();
  }
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', 'floor:*', 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
