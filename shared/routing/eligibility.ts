import type { ChainLink } from '../capabilities/types.js';
import type { LlmProvider, ProviderName } from '../providers/port.js';
import type { AttemptOutcome, ChainRunOptions } from './types.js';

/** Why a link cannot be tried for this call, before any provider is asked; undefined when it can. */
export function skipReason(
  link: ChainLink,
  providers: Partial<Record<ProviderName, LlmProvider>>,
  opts: Pick<ChainRunOptions, 'allowedProviders' | 'isProviderEnabled'>,
): AttemptOutcome | undefined {
  if (!providers[link.provider]) return 'skipped_unconfigured';
  if (!opts.allowedProviders.has(link.provider)) return 'skipped_residency';
  if (opts.isProviderEnabled?.(link.provider) === false) return 'skipped_disabled';
  return undefined;
}
