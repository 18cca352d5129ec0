import { Counter, Gauge, type Registry } from 'prom-client';
import type { ProviderName } from '../providers/port.js';
import type { Attempt, BreakerState } from './types.js';

export interface RoutingMetrics {
  attempt(a: Attempt): void;
  breakerState(provider: ProviderName, model: string, state: BreakerState): void;
}

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, open: 1, halfOpen: 2 };

export const noRoutingMetrics: RoutingMetrics = { attempt: () => {}, breakerState: () => {} };

/** Registers (or reuses, when several runners share a registry) the routing series. */
export function createRoutingMetrics(registry: Registry): RoutingMetrics {
  const attempts = reuse<Counter<'provider' | 'model' | 'outcome'>>(registry, 'llm_attempts_total') ??
    new Counter({
      name: 'llm_attempts_total',
      help: 'Links of model chains tried or skipped, by provider, model and outcome',
      labelNames: ['provider', 'model', 'outcome'] as const,
      registers: [registry],
    });
  const breakers = reuse<Gauge<'provider' | 'model'>>(registry, 'llm_breaker_state') ??
    new Gauge({
      name: 'llm_breaker_state',
      help: 'Circuit breaker state per provider and model: 0 closed, 1 open, 2 half-open',
      labelNames: ['provider', 'model'] as const,
      registers: [registry],
    });
  return {
    attempt: (a) => attempts.inc({ provider: a.provider, model: a.model, outcome: a.outcome }),
    breakerState: (provider, model, state) => breakers.set({ provider, model }, STATE_VALUE[state]),
  };
}

function reuse<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined;
}
