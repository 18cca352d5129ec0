import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, topicFor, validateEventData, type EventDataByType, type EventType } from '../../shared/events/index.js';
import type { EventTopics } from '../../shared/config/index.js';

const VALID: { [K in EventType]: EventDataByType[K] } = {
  'inference.completed': {
    call_id: 'c1', capability: 'review.summarize', provider: 'vertex', model: 'gemini-2.5-flash',
    input_tokens: 120, output_tokens: 40, cost_micros: 310, cache_hit: false, degraded: true, latency_ms: 850, correlation_id: 'req-1',
  },
  'inference.failed': { code: 'budget_exhausted', reason: 'monthly budget exhausted' },
  'budget.threshold_crossed': { period: 'monthly', capability: null, threshold_percent: 80, limit_micros: 1_000_000, spent_micros: 800_001, period_start: '2026-01-01T00:00:00.000Z' },
  'budget.period_closed': {
    period: 'daily', capability: 'review.summarize', period_start: '2026-01-01T00:00:00Z', period_end: '2026-01-02T00:00:00Z', limit_micros: 5000, spent_micros: 4000, calls: 17,
  },
  'hitl.task_created': { task_id: 'h1', capability: 'listing.rewrite', status: 'pending', expires_at: '2026-01-03T00:00:00Z' },
  'hitl.task_decided': { task_id: 'h1', capability: 'listing.rewrite', status: 'approved', decided_by: 'user-7', decided_at: '2026-01-02T10:00:00Z' },
  'hitl.task_expired': { task_id: 'h1', capability: 'listing.rewrite', status: 'expired', expired_at: '2026-01-03T00:00:00Z' },
  'eval.run_completed': { run_id: 'e1', suite: 'summaries', passed: 9, failed: 1, score: 0.9 },
};

const TOPICS: EventTopics = { inference: 'inf', eval: 'ev', hitl: 'hi', budget: 'bu', inferenceRequests: 'req' };

describe('event data schemas', () => {
  it.each(EVENT_TYPES)('%s accepts a well-formed payload', (type) => {
    expect(() => validateEventData(type, VALID[type])).not.toThrow();
  });

  it('names the type and the missing field', () => {
    const { cost_micros: _omitted, ...data } = VALID['inference.completed'];
    expect(() => validateEventData('inference.completed', data)).toThrow(
      expect.objectContaining({ code: 'invalid_event', message: 'event inference.completed: data.cost_micros is required' }),
    );
  });

  it('names the first violation: a wrong value, a wrong type, an unknown field, a bad timestamp', () => {
    expect(() => validateEventData('budget.threshold_crossed', { ...VALID['budget.threshold_crossed'], threshold_percent: 70 })).toThrow(
      'event budget.threshold_crossed: data.threshold_percent must be one of 50, 80, 100',
    );
    expect(() => validateEventData('inference.completed', { ...VALID['inference.completed'], input_tokens: -1 })).toThrow(
      'event inference.completed: data.input_tokens must be >= 0',
    );
    expect(() => validateEventData('eval.run_completed', { ...VALID['eval.run_completed'], extra: 1 })).toThrow(
      'event eval.run_completed: data.extra is not allowed',
    );
    expect(() => validateEventData('hitl.task_decided', { ...VALID['hitl.task_decided'], decided_at: 'yesterday' })).toThrow(
      'event hitl.task_decided: data.decided_at must match format "date-time"',
    );
    expect(() => validateEventData('inference.failed', 'oops')).toThrow('event inference.failed: data must be object');
  });

  it('refuses an unknown event type, naming it', () => {
    expect(() => validateEventData('inference.exploded', {})).toThrow(/^event inference\.exploded: unknown event type/);
  });
});

describe('topicFor', () => {
  it('maps each type to the topic of its prefix', () => {
    expect(topicFor('inference.completed', TOPICS)).toBe('inf');
    expect(topicFor('inference.failed', TOPICS)).toBe('inf');
    expect(topicFor('budget.period_closed', TOPICS)).toBe('bu');
    expect(topicFor('hitl.task_expired', TOPICS)).toBe('hi');
    expect(topicFor('eval.run_completed', TOPICS)).toBe('ev');
  });

  it('refuses a type with no topic', () => {
    expect(() => topicFor('billing.charged', TOPICS)).toThrow('event billing.charged: no topic for this type');
  });
});
