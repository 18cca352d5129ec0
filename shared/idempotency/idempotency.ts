import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KeyValueAdapter } from '../cache/index.js';
import type { Logger } from '../telemetry/index.js';
import { idempotencyInProgress, idempotencyKeyReused } from './errors.js';
import { idempotencyStoreKey } from './key.js';
import { swapIfUnchanged } from './owned-value.js';

/** What a replay answers with: the first request's response, as it was sent. */
export interface StoredResponse {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type IdempotencyOutcome =
  | {
      kind: 'first';
      /**
       * Stores the response for replays (24 h) when it is storable (`isStorableStatus`); any other status
       * releases the key like `abandon`. Never rejects: the caller has its answer either way.
       */
      complete(response: StoredResponse): Promise<void>;
      /** Releases the key so a retry runs again (5xx, unexpected errors). Never rejects. */
      abandon(): Promise<void>;
    }
  | { kind: 'replay'; response: StoredResponse };

export interface Idempotency {
  /**
   * Claims `key` for this request, or returns the stored response of the first request with the same body.
   * Waits while the first is still running. Throws AppError 400 `invalid_idempotency_key`, 409
   * `idempotency_key_reused` (another body), 409 `idempotency_in_progress` with Retry-After (the first
   * neither finished nor gave up within `waitTimeoutMs`), 503 `kv_unavailable` (the store is down: running
   * without the key's protection could run the request twice).
   */
  begin(request: { tenantId: string; key: string; requestHash: string }): Promise<IdempotencyOutcome>;
}

export interface IdempotencyOptions {
  kv: KeyValueAdapter;
  /** How long a final response is replayed. Default 24 h. */
  ttlSeconds?: number;
  /** How long a duplicate waits for the first request before 409 `idempotency_in_progress`. Default 30 s. */
  waitTimeoutMs?: number;
  pollMs?: number;
  /**
   * How long an unfinished claim holds the key: a holder that crashed blocks it at most this long. Keep it
   * above the request deadline (30 s), or a slow first request could be run a second time.
   */
  leaseSeconds?: number;
  logger?: Pick<Logger, 'warn'>;
}

type Entry =
  | { state: 'in_progress'; request_hash: string; token: string }
  | { state: 'done'; request_hash: string; response: StoredResponse };

/**
 * 2xx, and client errors that the same body would get again. Not 401/403/402/408/409/429: credentials,
 * budgets and load change, so a retry with the same key must run again.
 */
export function isStorableStatus(status: number): boolean {
  return (status >= 200 && status < 300) || [400, 404, 405, 410, 413, 415, 422].includes(status);
}

export function createIdempotency(opts: IdempotencyOptions): Idempotency {
  const { kv, ttlSeconds = 86_400, waitTimeoutMs = 30_000, pollMs = 25, leaseSeconds = 60, logger } = opts;
  const ttlMs = Math.floor(ttlSeconds * 1000);
  const leaseMs = Math.floor(leaseSeconds * 1000);
  const swap = swapIfUnchanged(kv);

  function claimOf(storeKey: string, requestHash: string, marker: string): IdempotencyOutcome {
    const release = async (reason: string): Promise<void> => {
      try {
        if (!(await swap(storeKey, marker, null))) logger?.warn({ storeKey }, `idempotency: lease lost before ${reason}`);
      } catch (err) {
        logger?.warn({ storeKey, error: errorText(err) }, `idempotency: could not release the key (${reason}); it frees itself when the lease expires`);
      }
    };
    return {
      kind: 'first',
      async complete(response) {
        if (!isStorableStatus(response.status)) return release(`a ${response.status} response`);
        const done: Entry = { state: 'done', request_hash: requestHash, response };
        try {
          const stored = await swap(storeKey, marker, { value: JSON.stringify(done), ttlMs });
          // Our lease expired and another request took the key: its result wins, ours is not replayed.
          if (!stored) logger?.warn({ storeKey }, 'idempotency: lease lost before the response was stored');
        } catch (err) {
          logger?.warn({ storeKey, error: errorText(err) }, 'idempotency: could not store the response; a retry will run again');
        }
      },
      abandon: () => release('abandon'),
    };
  }

  return {
    async begin({ tenantId, key, requestHash }) {
      const storeKey = idempotencyStoreKey(tenantId, key);
      const deadline = performance.now() + waitTimeoutMs;
      for (;;) {
        const marker = JSON.stringify({ state: 'in_progress', request_hash: requestHash, token: randomUUID() } satisfies Entry);
        if (await kv.setIfAbsent(storeKey, marker, leaseMs)) return claimOf(storeKey, requestHash, marker);

        const raw = await kv.get(storeKey);
        if (raw === null) continue; // released or expired in between: claim again
        const entry = parseEntry(raw);
        if (!entry) {
          logger?.warn({ storeKey }, 'idempotency: corrupt entry; deleting it');
          await swap(storeKey, raw, null);
          continue;
        }
        if (entry.request_hash !== requestHash) throw idempotencyKeyReused();
        if (entry.state === 'done') return { kind: 'replay', response: entry.response };

        const remaining = deadline - performance.now();
        if (remaining <= 0) {
          const leaseLeftMs = (await kv.ttlMs(storeKey)) ?? 1_000;
          throw idempotencyInProgress(Math.max(1, Math.ceil(leaseLeftMs / 1000)));
        }
        await sleep(Math.min(pollMs, remaining));
      }
    },
  };
}

function parseEntry(raw: string): Entry | undefined {
  try {
    const entry = JSON.parse(raw) as Partial<Entry> | null;
    if (typeof entry?.request_hash !== 'string') return undefined;
    if (entry.state === 'in_progress' && typeof entry.token === 'string') return entry as Entry;
    if (entry.state === 'done' && typeof entry.response?.status === 'number') return entry as Entry;
  } catch {
    // fall through
  }
  return undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
