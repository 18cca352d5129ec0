import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBenchFake, type BenchFake } from '../../bench/bench-fake.js';
import { startFloorGateway, type FloorGateway } from '../../bench/floor/drive-floor.js';
import { FLOOR_SCHEMA, floorTables } from '../../bench/floor/tables.js';
import { testDatabase, type TestDatabase } from '../support/db.js';

// The gateway bench's reference (--floor) must do what it claims per call, or its figures mean nothing:
// the floor gateway from source, against the benches' OpenAI-protocol fake and, with stores, real servers.
const fromSource = { nodeArgs: ['--import', 'tsx'], script: 'bench/floor/gateway-process.ts' };
const input = (room: string) => ({ reservation: { room_type: room, nights: 2, guests: 2, arrival_date: '2027-03-14' }, guest: { tier: 'gold' } });

async function invoke(gateway: FloorGateway, authorization: string | undefined, body: string) {
  const res = await fetch(`${gateway.url}/v1/capabilities/reservation.upsell_offer/invoke`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('floor gateway (bench reference)', () => {
  let fake: BenchFake;
  beforeAll(async () => {
    fake = await startBenchFake();
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('relays an invoke to the provider and answers its output; refuses a caller without a valid token or with a malformed body', async () => {
    const gateway = await startFloorGateway({ layer: 'relay', providerUrl: fake.url, ...fromSource });
    try {
      const ok = await invoke(gateway, await gateway.bearer('t1'), JSON.stringify({ input: input('DLX') }));
      expect(ok.status).toBe(200);
      expect(ok.body.output).toMatchObject({ offers: [{ code: 'LATE_CHECKOUT' }] });
      expect((await invoke(gateway, undefined, '{}')).status).toBe(401);
      expect((await invoke(gateway, 'Bearer not-a-token', '{}')).status).toBe(401);
      expect(await invoke(gateway, await gateway.bearer('t1'), '{"input":')).toMatchObject({ status: 400, body: { code: 'invalid_json' } });
    } finally {
      await gateway.stop();
    }
  }, 30_000);

  const redisUrl = inject('redisUrl');
  if (redisUrl) {
    describe('with stores, every layer up to the openai SDK', () => {
      let db: TestDatabase;
      let gateway: FloorGateway;
      const tenant = `floor-${randomUUID()}`;
      beforeAll(async () => {
        db = await testDatabase({ poolMax: 2 });
        gateway = await startFloorGateway({ layer: 'sdk', providerUrl: fake.url, ...fromSource, env: { DATABASE_URL: db.url, REDIS_URL: redisUrl } });
      }, 30_000);
      afterAll(async () => {
        await gateway?.stop();
        await db.pool.query(floorTables.drop);
        await db.close();
        // The tenant's counters, rate window and cache entries (the counters have no TTL).
        const redis = new Redis(redisUrl);
        const keys = await redis.keys(`floor:*:${tenant}:*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      });

      it('records a miss with its event and spend before answering, then serves the same input from the cache', async () => {
        const body = JSON.stringify({ input: input(`ROOM-${randomUUID()}`) });
        const miss = await invoke(gateway, await gateway.bearer(tenant), body);
        expect(miss).toMatchObject({ status: 200, body: { cache_hit: false, output: { offers: [{ code: 'LATE_CHECKOUT' }] } } });
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        try {
          const calls = await client.query(`SELECT call_id FROM ${FLOOR_SCHEMA}.calls WHERE tenant_id = $1`, [tenant]);
          expect(calls.rows).toEqual([{ call_id: miss.body.call_id }]);
          const events = await client.query(`SELECT count(*)::int AS n FROM ${FLOOR_SCHEMA}.events WHERE payload->>'tenant_id' = $1`, [tenant]);
          expect(events.rows[0].n).toBe(1);
          const spend = await client.query(`SELECT spent_micros::int AS spent FROM ${FLOOR_SCHEMA}.spend WHERE tenant_id = $1`, [tenant]);
          expect(spend.rows[0].spent).toBe((miss.body.usage as { cost_micros: number }).cost_micros);
        } finally {
          await client.end();
        }
        // The cache write follows the answer: wait for it rather than race it.
        let hit = await invoke(gateway, await gateway.bearer(tenant), body);
        for (let i = 0; i < 50 && hit.body.cache_hit !== true; i++) {
          await new Promise((r) => setTimeout(r, 20));
          hit = await invoke(gateway, await gateway.bearer(tenant), body);
        }
        expect(hit).toMatchObject({ status: 200, body: { cache_hit: true, output: miss.body.output } });
      }, 30_000);
    });
  }
});
