import { describe, expect, it } from 'vitest';
import { createEvent, fromPubSubMessage, orderingKeyOf, toPubSubAttributes } from '../../shared/events/index.js';

const SOURCE = '//ai-orchestrator.test';

describe('event envelope', () => {
  it('creates a CloudEvents 1.0 envelope with a uuid id and an ISO time', () => {
    const event = createEvent({ type: 'eval.run_completed', tenantId: 't1', source: SOURCE, data: { run_id: 'r1' } });
    expect(event).toMatchObject({ specversion: '1.0', type: 'eval.run_completed', source: SOURCE, tenant_id: 't1', datacontenttype: 'application/json', data: { run_id: 'r1' } });
    expect(event.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Date(event.time).toISOString()).toBe(event.time);
    expect('subject' in event).toBe(false);
    expect(createEvent({ type: 'x', tenantId: 't1', source: SOURCE, data: {} }).id).not.toBe(event.id);
  });

  it('maps to binary-mode Pub/Sub attributes, the data travelling separately', () => {
    const event = createEvent({ type: 'hitl.task_created', tenantId: 'tenant-9', source: SOURCE, subject: 'task/42', data: { task_id: '42' }, time: new Date('2026-01-02T03:04:05.678Z') });
    expect(toPubSubAttributes(event)).toEqual({
      'ce-id': event.id,
      'ce-type': 'hitl.task_created',
      'ce-source': SOURCE,
      'ce-time': '2026-01-02T03:04:05.678Z',
      'ce-specversion': '1.0',
      'ce-subject': 'task/42',
      'ce-tenantid': 'tenant-9',
      'content-type': 'application/json',
    });
    expect(orderingKeyOf(event)).toBe('tenant-9');
  });

  it('leaves ce-subject out when the event has no subject', () => {
    const event = createEvent({ type: 'eval.run_completed', tenantId: 't1', source: SOURCE, data: {} });
    expect(Object.keys(toPubSubAttributes(event)).sort()).toEqual(['ce-id', 'ce-source', 'ce-specversion', 'ce-tenantid', 'ce-time', 'ce-type', 'content-type']);
  });

  it('reads an envelope back from a Pub/Sub message, and refuses one that is not a CloudEvent', () => {
    const event = createEvent({ type: 'inference.failed', tenantId: 't2', source: SOURCE, subject: 's', data: { code: 'x', reason: 'y' } });
    const message = { data: Buffer.from(JSON.stringify(event.data)), attributes: toPubSubAttributes(event) };
    expect(fromPubSubMessage(message)).toEqual(event);
    expect(fromPubSubMessage({ data: Buffer.from('{}'), attributes: { foo: 'bar' } })).toBeUndefined();
    expect(fromPubSubMessage({ data: Buffer.from('not json'), attributes: toPubSubAttributes(event) })).toBeUndefined();
  });
});
