import { MemoryKeyValue, RedisKeyValue, type KeyValueAdapter } from '../../cache/index.js';
import { MemoryBudgetCounters } from './memory.js';
import type { BudgetCounters } from './port.js';
import { RedisBudgetCounters } from './redis.js';

export type { BudgetCounters, CounterSlot, CounterState, HeldCounter, ReservationBuckets, ReserveOutcome } from './port.js';
export { MemoryBudgetCounters } from './memory.js';
export { RedisBudgetCounters } from './redis.js';

// One per store: the memory adapter remembers its keys, so every user of a store must share it.
const byStore = new WeakMap<KeyValueAdapter, BudgetCounters>();

/** The budget counters living in this key/value store. */
export function budgetCountersFor(kv: KeyValueAdapter): BudgetCounters {
  let counters = byStore.get(kv);
  if (!counters) {
    if (kv instanceof RedisKeyValue) counters = new RedisBudgetCounters(kv);
    else if (kv instanceof MemoryKeyValue) counters = new MemoryBudgetCounters(kv.store);
    else throw new TypeError('budget counters need a RedisKeyValue or a MemoryKeyValue');
    byStore.set(kv, counters);
  }
  return counters;
}
