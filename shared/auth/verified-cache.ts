import type { Principal } from './principal.js';

/**
 * Tokens already verified, so a sibling service reusing its token for many calls pays the signature check
 * once per `ttlMs` rather than per request (an ES256 check is the largest CPU cost of a cheap request).
 * An entry never outlives its token's `exp`; a key removed from the JWKS stops being trusted within ttlMs.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { principal: Principal; until: number }>();

  constructor(
    private readonly opts: { ttlMs: number; maxEntries: number; now?: () => number },
  ) {}

  get(token: string): Principal | undefined {
    const hit = this.entries.get(token);
    if (!hit) return undefined;
    if (hit.until <= this.now()) {
      this.entries.delete(token);
      return undefined;
    }
    return hit.principal;
  }

  set(token: string, principal: Principal, expiresAtSeconds: number | undefined): void {
    if (this.opts.ttlMs <= 0) return;
    const until = Math.min(this.now() + this.opts.ttlMs, expiresAtSeconds === undefined ? Infinity : expiresAtSeconds * 1000);
    if (until <= this.now()) return;
    // Maps iterate in insertion order: dropping the first entry drops the oldest.
    if (this.entries.size >= this.opts.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, { principal, until });
  }

  clear(): void {
    this.entries.clear();
  }

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }
}
