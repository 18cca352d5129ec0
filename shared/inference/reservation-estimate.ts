import type { Capability, ChainLink } from '../capabilities/index.js';
import { upperBoundTokens } from '../budgets/index.js';
import type { ProviderName } from '../providers/port.js';

// Per-request framing tokens vendors add around messages and the JSON-mode instructions.
const FRAMING_TOKENS = 64;

/**
 * The input tokens to reserve for: a bound no tokenizer exceeds (one token per UTF-8 byte at most) over
 * everything sent — system prompt, prompt, and the response schema vendors put into the prompt too —
 * so a settled cost never outgrows its reservation.
 */
export function inputTokenBound(cap: Capability, prompt: string): number {
  return fixedTokenBound(cap) + upperBoundTokens(prompt);
}

// The part that is the same for every call of a capability: measured once per capability object, not per
// call (serialising the response schema each time cost ~6 µs of every invoke).
const fixedBounds = new WeakMap<Capability, number>();

function fixedTokenBound(cap: Capability): number {
  let bound = fixedBounds.get(cap);
  if (bound === undefined) {
    bound = upperBoundTokens(cap.prompt.system) + upperBoundTokens(JSON.stringify(cap.outputSchema)) + FRAMING_TOKENS;
    fixedBounds.set(cap, bound);
  }
  return bound;
}

/** The links that can run for this tenant: allowed by its residency policy and configured here. */
export function effectiveChain(cap: Capability, allowed: ReadonlySet<ProviderName>, configured: ReadonlySet<ProviderName>): ChainLink[] {
  return cap.chain.filter((link) => allowed.has(link.provider) && configured.has(link.provider));
}
