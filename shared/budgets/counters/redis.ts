import type { Redis } from 'ioredis';
import type { RedisKeyValue } from '../../cache/index.js';
import { COUNTER_KEY_PATTERN, periodOfCounterKey } from '../keys.js';
import {
  decodeLimit,
  encodeLimit,
  type BudgetCounters,
  type CounterSlot,
  type CounterState,
  type HeldCounter,
  type ReservationBuckets,
  type ReserveOutcome,
} from './port.js';
import { ALIGN_LUA, READ_LUA, RELEASE_LUA, RESERVE_LUA } from './redis-scripts.js';
import { createTickBatcher, type TickBatcher } from '../../util/tick-batch.js';

// Defined without numberOfKeys: the key count is the first argument, and ioredis still applies the
// client's key prefix to exactly those keys.
interface BudgetScripts {
  budgetReserve(numKeys: number, ...args: Array<string | number>): Promise<string[]>;
  budgetRelease(numKeys: number, ...args: Array<string | number>): Promise<number>;
  budgetRead(numKeys: number, ...args: Array<string | number>): Promise<string[]>;
  budgetAlign(numKeys: number, ...args: Array<string | number>): Promise<number>;
}

const defined = new WeakSet<Redis>();

function scripts(client: Redis): BudgetScripts {
  if (!defined.has(client)) {
    client.defineCommand('budgetReserve', { lua: RESERVE_LUA });
    client.defineCommand('budgetRelease', { lua: RELEASE_LUA });
    client.defineCommand('budgetRead', { lua: READ_LUA });
    client.defineCommand('budgetAlign', { lua: ALIGN_LUA });
    defined.add(client);
  }
  return client as unknown as BudgetScripts;
}

interface HeldRelease {
  held: readonly HeldCounter[];
  bucket: number;
  estimateMicros: number;
  actualMicros: number;
}

/** Budget counters as Redis hashes, each multi-counter step one Lua script (atomic on the server). */
export class RedisBudgetCounters implements BudgetCounters {
  readonly #kv: RedisKeyValue;
  // Releases of one tick on the same counters, generations and bucket go out as one script with the sums:
  // both of its updates add up (reserved -= estimate, spent += actual), and a field it deletes at zero or
  // below would be deleted by the last of the separate releases as well.
  readonly #releases: TickBatcher<HeldRelease>;

  constructor(kv: RedisKeyValue) {
    this.#kv = kv;
    this.#releases = createTickBatcher((releases) => {
      const { held, bucket } = releases[0] as HeldRelease;
      let estimate = 0;
      let actual = 0;
      for (const r of releases) {
        estimate += r.estimateMicros;
        actual += r.actualMicros;
      }
      return this.#run((s) => s.budgetRelease(held.length, ...held.map((h) => h.key), estimate, actual, bucket, ...held.map((h) => h.generation)));
    });
    // Defined now, not at first use: ioredis gives an auto-pipeline the commands its client had when the
    // pipeline was created, so a script defined while a pipeline of the same tick is open (a rate-limit
    // check or cache read issued just before the first reservation) is missing from it and the call fails.
    scripts(kv.redisClient);
  }

  async reserve(slots: readonly CounterSlot[], estimateMicros: number, buckets: ReservationBuckets): Promise<ReserveOutcome> {
    const args: Array<string | number> = [estimateMicros, buckets.bucket, buckets.oldestLiveBucket];
    for (const slot of slots) {
      const init = slot.init;
      args.push(slot.ttlMs, init ? encodeLimit(init.limitMicros) : '', init?.spentMicros ?? '', init?.generation ?? '');
    }
    const reply = await this.#run((s) => s.budgetReserve(slots.length, ...slots.map((slot) => slot.key), ...args));
    const [kind, ...rest] = reply;
    if (kind === 'reserved') {
      const held = [];
      for (let i = 0; i < rest.length; i += 2) held.push({ generation: rest[i] as string, limitMicros: decodeLimit(Number(rest[i + 1])) });
      return { kind, held };
    }
    if (kind === 'missing') return { kind, indexes: rest.map(Number) };
    const exhausted = [];
    for (let i = 0; i < rest.length; i += 4) {
      exhausted.push({ index: Number(rest[i]), limitMicros: Number(rest[i + 1]), spentMicros: Number(rest[i + 2]), reservedMicros: Number(rest[i + 3]) });
    }
    return { kind: 'exhausted', exhausted };
  }

  release(held: readonly HeldCounter[], estimateMicros: number, actualMicros: number, bucket: number): Promise<void> {
    let group = String(bucket);
    for (const h of held) group += `\n${h.key}\n${h.generation}`;
    return this.#releases.add(group, { held, bucket, estimateMicros, actualMicros });
  }

  async read(keys: readonly string[], oldestLiveBucket: number): Promise<Array<CounterState | null>> {
    const replies = await this.#run((s) => Promise.all(keys.map((key) => s.budgetRead(1, key, oldestLiveBucket))));
    return replies.map((r) =>
      r.length === 0 ? null : { limitMicros: decodeLimit(Number(r[0])), spentMicros: Number(r[1]), reservedMicros: Number(r[2]), generation: r[3] ?? '' },
    );
  }

  async setLimit(key: string, limitMicros: number | null): Promise<void> {
    await this.#run((s) => s.budgetAlign(1, key, encodeLimit(limitMicros), ''));
  }

  async reconcile(key: string, ledgerSpentMicros: number, limitMicros: number | null): Promise<void> {
    await this.#run((s) => s.budgetAlign(1, key, encodeLimit(limitMicros), ledgerSpentMicros));
  }

  async delete(keys: readonly string[]): Promise<number> {
    // One DEL per key: in a cluster, counters of different tenants live in different slots.
    const counts = await this.#kv.withClient((c) => Promise.all(keys.map((key) => c.del(key))));
    return counts.reduce((a, b) => a + b, 0);
  }

  async deleteEnded(endedBy: Date): Promise<number> {
    const prefix = this.#kv.redisClient.options.keyPrefix ?? '';
    const ended: string[] = [];
    await this.#kv.withClient(async (client) => {
      // SCAN patterns and results carry the raw key: the client's prefix is not applied to them.
      let cursor = '0';
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}${COUNTER_KEY_PATTERN}`, 'COUNT', 500);
        cursor = next;
        for (const raw of keys) {
          const bounds = periodOfCounterKey(raw);
          if (bounds && bounds.end.getTime() <= endedBy.getTime()) ended.push(raw.slice(prefix.length));
        }
      } while (cursor !== '0');
    });
    return ended.length === 0 ? 0 : this.delete(ended);
  }

  #run<T>(command: (s: BudgetScripts) => Promise<T>): Promise<T> {
    return this.#kv.withClient((client) => command(scripts(client)));
  }
}
