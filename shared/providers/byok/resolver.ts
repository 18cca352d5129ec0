import { SecretManagerServiceClient } from '@google-cloud/secret-manager';
import { crc32c } from '../../util/crc32c.js';
import { ProviderError } from '../errors.js';
import { byokSecretName, type ByokProvider } from './secret-name.js';

/** The part of the Secret Manager client the resolver uses (the real client, or a double). */
export type SecretAccessClient = Pick<SecretManagerServiceClient, 'accessSecretVersion' | 'close'>;

export interface ByokKeyResolverOptions {
  /** e.g. `projects/{project}/secrets/tenant-{tenant}-{provider}-api-key/versions/latest`. */
  secretNamePattern: string;
  project: string;
  /** How long a key, or the answer that a tenant has none, is reused. */
  cacheTtlMs: number;
  /** Default: a client on Application Default Credentials, closed by `close()`. An injected client is the caller's to close. */
  client?: SecretAccessClient;
  now?: () => number;
  /** Deadline of one lookup. */
  timeoutMs?: number;
}

export interface ByokKeyResolver {
  /** The tenant's own key for the vendor, or undefined when it has none (the platform key applies). */
  keyFor(tenantId: string, provider: ByokProvider): Promise<string | undefined>;
  close(): Promise<void>;
}

// gRPC status codes (google.rpc.Code), as the client reports them in `err.code`.
const NOT_FOUND = 5;
const PERMISSION_DENIED = 7;
const FAILED_PRECONDITION = 9;
const UNAUTHENTICATED = 16;

/** Above this many entries, expired ones are swept on the next insert. */
const SWEEP_THRESHOLD = 10_000;

interface CacheEntry {
  key: string | undefined;
  expiresAt: number;
}

/**
 * BYOK: reads a tenant's own vendor key from Secret Manager. Keys and "no key" answers are cached for
 * `cacheTtlMs`; concurrent lookups of one secret share one RPC; the payload's CRC32C is verified when
 * Secret Manager sends one. Failures are ProviderErrors of the vendor asked for, so the router skips
 * that link rather than silently using the platform key. Nothing here logs, and no error carries a key.
 */
export function createByokKeyResolver(opts: ByokKeyResolverOptions): ByokKeyResolver {
  const ownsClient = opts.client === undefined;
  const client: SecretAccessClient = opts.client ?? new SecretManagerServiceClient();
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const cache = new Map<string, CacheEntry>();
  const inFlight = new Map<string, Promise<string | undefined>>();

  function remember(name: string, key: string | undefined): void {
    const at = now();
    if (cache.size >= SWEEP_THRESHOLD) for (const [n, e] of cache) if (e.expiresAt <= at) cache.delete(n);
    cache.set(name, { key, expiresAt: at + opts.cacheTtlMs });
  }

  async function access(name: string, provider: ByokProvider): Promise<string | undefined> {
    let response;
    try {
      // No client-side retries: an unavailable Secret Manager makes the router move to the next link.
      [response] = await client.accessSecretVersion({ name }, { retry: null, timeout: timeoutMs });
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      // A missing secret, or one whose latest version is disabled: the tenant has no usable key of its own.
      if (code === NOT_FOUND || code === FAILED_PRECONDITION) return undefined;
      throw failure(provider, name, code, err);
    }
    const data = response.payload?.data;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'base64') : Buffer.from(data ?? new Uint8Array());
    const expected = response.payload?.dataCrc32c;
    if (expected !== null && expected !== undefined && Number(String(expected)) !== crc32c(bytes)) {
      throw new ProviderError({ kind: 'unavailable', provider, message: `byok: ${name}: payload failed its CRC32C check` });
    }
    const key = bytes.toString('utf8').trim();
    return key === '' ? undefined : key;
  }

  return {
    async keyFor(tenantId, provider) {
      const name = byokSecretName(opts.secretNamePattern, { project: opts.project, tenantId, provider });
      const cached = cache.get(name);
      if (cached && cached.expiresAt > now()) return cached.key;
      const pending = inFlight.get(name);
      if (pending) return pending;
      const lookup = access(name, provider)
        .then((key) => {
          remember(name, key);
          return key;
        })
        .finally(() => inFlight.delete(name));
      inFlight.set(name, lookup);
      return lookup;
    },
    async close() {
      cache.clear();
      if (ownsClient) await client.close();
    },
  };
}

function failure(provider: ByokProvider, name: string, code: unknown, cause: unknown): ProviderError {
  const what = `byok: reading ${name} failed with gRPC code ${String(code)}`;
  if (code === PERMISSION_DENIED || code === UNAUTHENTICATED) return new ProviderError({ kind: 'auth', provider, message: what, cause });
  // UNAVAILABLE, DEADLINE_EXCEEDED and anything unexpected: Secret Manager cannot answer now.
  return new ProviderError({ kind: 'unavailable', provider, message: what, cause });
}
