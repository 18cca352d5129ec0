import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from '../../shared/auth/verified-cache.js';
import type { Principal } from '../../shared/auth/index.js';

const principal = (tenantId: string): Principal => ({ tenantId, subject: 's', scopes: new Set(['ai.invoke']) });

describe('verified token cache', () => {
  it('serves a verified token until its ttl, never past the token exp', () => {
    let now = 1_000_000;
    const cache = new VerifiedTokenCache({ ttlMs: 60_000, maxEntries: 10, now: () => now });
    cache.set('a', principal('t1'), now / 1000 + 3600);
    cache.set('b', principal('t2'), now / 1000 + 10);
    expect(cache.get('a')?.tenantId).toBe('t1');
    now += 10_000;
    expect(cache.get('b')).toBeUndefined(); // its exp came first
    expect(cache.get('a')?.tenantId).toBe('t1');
    now += 50_000;
    expect(cache.get('a')).toBeUndefined(); // the cache ttl
  });

  it('drops the oldest entry when full, and stores nothing with ttl 0 or an exp already past', () => {
    const now = 1_000_000;
    const cache = new VerifiedTokenCache({ ttlMs: 60_000, maxEntries: 2, now: () => now });
    cache.set('a', principal('t1'), undefined);
    cache.set('b', principal('t2'), undefined);
    cache.set('c', principal('t3'), undefined);
    expect([cache.get('a'), cache.get('b')?.tenantId, cache.get('c')?.tenantId]).toEqual([undefined, 't2', 't3']);
    cache.set('d', principal('t4'), now / 1000 - 1);
    expect(cache.get('d')).toBeUndefined();
    const off = new VerifiedTokenCache({ ttlMs: 0, maxEntries: 2, now: () => now });
    off.set('a', principal('t1'), undefined);
    expect(off.get('a')).toBeUndefined();
  });
});
