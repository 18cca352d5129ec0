import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, type JSONWebKeySet, type LocalJWKSet } from 'jose';
import type { Logger } from '../telemetry/index.js';

/** Where the issuer's public keys come from. */
export type JwksOrigin = { url: string } | { file: string };

/** The issuer's public keys, loaded before the first request and kept fresh in the background. */
export interface JwksSource {
  /** Key resolver over the last good key set, in the shape jose's jwtVerify takes. */
  readonly getKey: LocalJWKSet;
  /** True while a key set is held (for /readyz). */
  isLoaded(): boolean;
  /** Stops the background refresh. */
  close(): void;
}

export interface JwksSourceOptions {
  origin: JwksOrigin;
  refreshSeconds: number;
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Upper bound of one fetch of a JWKS URL. */
  fetchTimeoutMs?: number;
  /** Called after a refresh that changed the key set (tokens verified with a removed key must be re-checked). */
  onKeysChanged?: () => void;
}

/** The initial load failed: the process must not start serving with no keys. */
export class JwksLoadError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JwksLoadError';
  }
}

const DEFAULT_FETCH_TIMEOUT_MS = 5_000;

/**
 * Loads the key set now (throwing JwksLoadError when that fails) and re-reads it every `refreshSeconds`.
 * A failed refresh keeps the last good set: a flaky issuer endpoint must not lock every caller out.
 * We preload rather than use jose's createRemoteJWKSet, which fetches lazily on the first request.
 */
export async function loadJwksSource(opts: JwksSourceOptions): Promise<JwksSource> {
  const { origin, logger } = opts;
  const timeoutMs = opts.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const where = describeOrigin(origin);

  let current: LocalJWKSet;
  let currentJson = '';
  try {
    const set = await readKeySet(origin, timeoutMs);
    currentJson = JSON.stringify(set);
    current = createLocalJWKSet(set);
  } catch (err) {
    throw new JwksLoadError(`auth: cannot load the JWKS from ${where} (${errorText(err)})`, { cause: err });
  }
  let kids = keyIds(current);
  logger.info({ jwks: where, kids }, 'auth: JWKS loaded');

  let closed = false;
  let refreshing = false;
  const refresh = async (): Promise<void> => {
    if (closed || refreshing) return;
    refreshing = true;
    try {
      const set = await readKeySet(origin, timeoutMs);
      const next = createLocalJWKSet(set);
      if (closed) return;
      current = next;
      const json = JSON.stringify(set);
      if (json !== currentJson) {
        currentJson = json;
        opts.onKeysChanged?.();
      }
      const nextKids = keyIds(next);
      if (nextKids.join(' ') !== kids.join(' ')) logger.info({ jwks: where, kids: nextKids }, 'auth: JWKS keys changed');
      kids = nextKids;
    } catch (err) {
      logger.warn({ jwks: where, error: errorText(err) }, 'auth: JWKS refresh failed; keeping the last good key set');
    } finally {
      refreshing = false;
    }
  };
  const timer = setInterval(() => void refresh(), opts.refreshSeconds * 1000);
  timer.unref();

  const getKey = Object.assign((...args: Parameters<LocalJWKSet>) => current(...args), {
    jwks: () => current.jwks(),
  });
  return {
    getKey,
    isLoaded: () => !closed,
    close: () => {
      closed = true;
      clearInterval(timer);
    },
  };
}

async function readKeySet(origin: JwksOrigin, timeoutMs: number): Promise<JSONWebKeySet> {
  const text = 'url' in origin ? await fetchText(origin.url, timeoutMs) : await readFile(origin.file, 'utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('the body is not JSON');
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error('expected an object with a non-empty "keys" array');
  return parsed as JSONWebKeySet;
}

async function fetchText(url: string, timeoutMs: number): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`HTTP ${res.status}`);
  }
  return res.text();
}

function keyIds(set: LocalJWKSet): string[] {
  return set
    .jwks()
    .keys.map((k) => k.kid ?? '(no kid)')
    .sort();
}

function describeOrigin(origin: JwksOrigin): string {
  return 'url' in origin ? origin.url : `file ${origin.file}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
