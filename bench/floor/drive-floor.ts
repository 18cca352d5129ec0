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
import { floorTables } from './tables.js';

export type FloorMode = 'relay' | 'stores';

export interface FloorLoad {
  mode: FloorMode;
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

export async function driveFloor(load: FloorLoad): Promise<LoadResult> {
  const secret = randomBytes(32);
  const port = await freePort();
  const env = {
    ...process.env,
    PORT: String(port),
    PROVIDER_URL: load.providerUrl,
    FLOOR_MODE: load.mode,
    FLOOR_SECRET: secret.toString('base64url'),
  };
  const child = spawn(process.execPath, [...load.nodeArgs, 'dist/bench/floor/gateway-process.js'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([waitReady(url), exited.then((code) => Promise.reject(new Error(`floor gateway exited with ${code} before it was ready`)))]);
    const jwt = await new SignJWT({ tenant_id: 'bench-floor-tenant' }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1h').sign(new TextEncoder().encode(env.FLOOR_SECRET));
    const headers = { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' };
    const parts: MachineParts = { ...load.parts, ...(child.pid !== undefined ? { orchestratorPid: child.pid } : {}) };
    return await drive({
      url,
      concurrency: load.concurrency,
      seconds: load.seconds,
      warmupSeconds: load.warmupSeconds,
      ...(load.rate ? { rate: load.rate } : {}),
      process: () => processCounters(child.pid),
      machine: () => readMachineCpu(parts),
      request: (i) => ({ path: '/v1/capabilities/reservation.upsell_offer/invoke', headers, body: JSON.stringify({ input: load.input(i) }) }),
    });
  } finally {
    child.kill('SIGTERM');
    await exited;
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
