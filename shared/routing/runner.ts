import type { Registry } from 'prom-client';
import type { LlmProvider, ProviderName } from '../providers/port.js';
import type { Logger } from '../telemetry/index.js';
import { LinkBreakers, type BreakerSettings } from './breakers.js';
import { walkChain, type ChainDeps } from './chain.js';
import { generateOnce, streamDeltas } from './execute.js';
import { createRoutingMetrics, noRoutingMetrics } from './metrics.js';
import type { ChainOutcome, ChainRunOptions, ChainRunner, ChainStreamEvent } from './types.js';

export interface ChainRunnerOptions {
  /** The configured providers; a chain link whose provider is missing here is skipped. */
  providers: Partial<Record<ProviderName, LlmProvider>>;
  /** `config.routing.breaker`. */
  breaker: BreakerSettings;
  /** `config.routing.retryJitterMs`. */
  retryJitterMs: number;
  /** Longest vendor Retry-After the router waits for before its one retry; longer moves on. Default 2 s. */
  maxRetryAfterMs?: number;
  logger: Logger;
  metrics?: { registry: Registry };
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const DEFAULT_MAX_RETRY_AFTER_MS = 2_000;

const sleepFor = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createChainRunner(options: ChainRunnerOptions): ChainRunner {
  const metrics = options.metrics ? createRoutingMetrics(options.metrics.registry) : noRoutingMetrics;
  const breakers = new LinkBreakers(options.breaker, metrics.breakerState);
  const deps: ChainDeps = {
    providers: options.providers,
    breakers,
    retry: {
      jitterMs: options.retryJitterMs,
      maxRetryAfterMs: options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
      random: options.random ?? Math.random,
    },
    sleep: options.sleep ?? sleepFor,
    logger: options.logger,
    metrics,
  };

  return {
    async run(opts: ChainRunOptions): Promise<ChainOutcome> {
      const walk = walkChain(deps, opts, generateOnce);
      for (;;) {
        const step = await walk.next();
        if (step.done) return step.value;
      }
    },

    async *stream(opts: ChainRunOptions): AsyncGenerator<ChainStreamEvent, void, undefined> {
      const walk = walkChain(deps, opts, streamDeltas);
      try {
        for (;;) {
          const step = await walk.next();
          if (step.done) {
            yield { type: 'end', ...step.value };
            return;
          }
          yield { type: 'delta', text: step.value };
        }
      } finally {
        // The caller stopped reading: close the provider's stream (no-op once the walk has ended).
        await walk.return(undefined as never);
      }
    },

    breakerStates: () => breakers.states(),
    close: () => breakers.close(),
  };
}
