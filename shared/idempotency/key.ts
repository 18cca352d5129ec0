import { TENANT_ID_PATTERN } from '../auth/principal.js';
import { canonicalJson } from '../util/canonical-json.js';
import { sha256Hex } from '../util/sha256.js';
import { invalidIdempotencyKey } from './errors.js';

const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,255}$/;

/** The header value when it is 1–255 printable ASCII characters; otherwise 400 `invalid_idempotency_key`. */
export function validateIdempotencyKey(key: string): string {
  if (!IDEMPOTENCY_KEY.test(key)) throw invalidIdempotencyKey();
  return key;
}

/** `idem:{tenant}:{key}`: the same header value of two tenants names two entries. */
export function idempotencyStoreKey(tenantId: string, key: string): string {
  // Tenant ids cannot hold `:` (validated at authentication; checked again here), so the key cannot forge one.
  if (!TENANT_ID_PATTERN.test(tenantId)) throw new RangeError(`invalid tenant id for an idempotency key: ${JSON.stringify(tenantId)}`);
  return `idem:${tenantId}:${validateIdempotencyKey(key)}`;
}

/**
 * sha256 hex of the canonical JSON of what identifies the request (e.g. `{ capability, input }`): two
 * bodies that differ only in key order or whitespace are the same request.
 */
export function requestHashOf(body: unknown): string {
  return sha256Hex(canonicalJson(body));
}
