import { TENANT_ID_PATTERN } from '../auth/principal.js';
import type { ChainLink } from '../capabilities/types.js';
import { canonicalJson } from '../util/canonical-json.js';
import { sha256Hex } from '../util/sha256.js';

export interface InferenceCacheKeyParts {
  tenantId: string;
  capability: string;
  /** `prompt.version` of the capability: a new prompt never reads answers of the old one. */
  promptVersion: string;
  /**
   * The links the router will try for this tenant (after its residency policy), in order. Only provider and
   * model count: a link's timeout does not change the answer.
   */
  chain: ReadonlyArray<Pick<ChainLink, 'provider' | 'model'>>;
  /** The validated capability input (or its canonical JSON, when the caller has it already). */
  input: unknown;
  /** Anything else the answer depends on, e.g. the ids of the RAG chunks put into the prompt. */
  context?: unknown;
}

/**
 * `inf:{tenant}:{sha256 hex}` over the canonical JSON of every part. The tenant is in the hash and also a
 * readable key segment, so one tenant's entries can never be read under another tenant's key (and can be
 * found or purged by prefix).
 */
export function inferenceCacheKey(parts: InferenceCacheKeyParts): string {
  const { tenantId, capability, promptVersion, chain, input, context } = parts;
  // Tenant ids are validated at authentication; checking again keeps a `:` from ever forging a segment.
  if (!TENANT_ID_PATTERN.test(tenantId)) throw new RangeError(`invalid tenant id for a cache key: ${JSON.stringify(tenantId)}`);
  const material = canonicalJson({
    tenantId,
    capability,
    promptVersion,
    chain: chain.map((link) => `${link.provider}:${link.model}`),
    input,
    context: context ?? null,
  });
  return `inf:${tenantId}:${sha256Hex(material)}`;
}
