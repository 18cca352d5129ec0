/**
 * Coalesces writes issued in the same tick into one per group. A group commit hands many calls back to
 * the pipeline at once, and each then releases its budget reservation and corrects its token count: as
 * many store commands as calls, for additive updates that one command can apply as a sum.
 *
 * `add` queues an item under a group key; once the tick's callbacks and promise jobs have run (the batch
 * flushes from `process.nextTick`, which Node runs only after the microtask queue is empty), `flush` gets
 * each group's items once, and every `add` of the group settles with that flush's outcome. Nothing waits
 * for a timer: a write leaves in the tick it was made in, before any later I/O callback (a caller's next
 * request among them) can run.
 */
export interface TickBatcher<T> {
  add(group: string, item: T): Promise<void>;
}

interface PendingGroup<T> {
  items: T[];
  resolves: Array<() => void>;
  rejects: Array<(err: unknown) => void>;
}

export function createTickBatcher<T>(flush: (items: readonly T[]) => Promise<unknown>): TickBatcher<T> {
  let pending = new Map<string, PendingGroup<T>>();

  const flushAll = () => {
    const groups = pending;
    pending = new Map();
    for (const group of groups.values()) {
      let done: Promise<unknown>;
      try {
        done = flush(group.items);
      } catch (err) {
        done = Promise.reject(err);
      }
      done.then(
        () => group.resolves.forEach((resolve) => resolve()),
        (err: unknown) => group.rejects.forEach((reject) => reject(err)),
      );
    }
  };

  return {
    add(key, item) {
      if (pending.size === 0) process.nextTick(flushAll);
      let group = pending.get(key);
      if (!group) {
        group = { items: [], resolves: [], rejects: [] };
        pending.set(key, group);
      }
      const g = group;
      g.items.push(item);
      return new Promise<void>((resolve, reject) => {
        g.resolves.push(resolve);
        g.rejects.push(reject);
      });
    },
  };
}
