import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { PubSubPublisher } from '../../shared/events/pubsub-publisher.js';
import type { OutboundMessage } from '../../shared/events/index.js';
import { startFakePubSub, type FakePubSub } from '../fakes/pubsub/server.js';

// Nothing here may look for Google credentials or the GCE metadata server.
process.env.METADATA_SERVER_DETECTION = 'none';

let fake: FakePubSub;
const publishers: PubSubPublisher[] = [];

function publisher(publishTimeoutMs = 3000): PubSubPublisher {
  const p = new PubSubPublisher({
    projectId: 'test-project',
    publishTimeoutMs,
    clientOptions: { apiEndpoint: fake.host, emulatorMode: true, universeDomain: 'googleapis.com' },
  });
  publishers.push(p);
  return p;
}

const message = (id: string, key: string, topic = 'orders'): OutboundMessage => ({
  topic,
  data: Buffer.from(JSON.stringify({ id })),
  attributes: { 'ce-id': id, 'content-type': 'application/json' },
  orderingKey: key,
});

beforeEach(async () => {
  fake = await startFakePubSub();
});
afterEach(async () => {
  await Promise.all(publishers.splice(0).map((p) => p.close()));
  await fake.stop();
});

describe('PubSubPublisher against the Pub/Sub wire fake', () => {
  it('returns the message ids Pub/Sub assigned, one outcome per message in order', async () => {
    const outcomes = await publisher().publish([message('a1', 't1'), message('b1', 't2', 'other'), message('a2', 't1')]);
    const stored = [...fake.messages('orders'), ...fake.messages('other')];
    expect(outcomes).toEqual(['a1', 'b1', 'a2'].map((id) => ({ ok: true, messageId: stored.find((m) => m.attributes['ce-id'] === id)?.messageId })));
    expect(fake.messages('projects/test-project/topics/orders').map((m) => [m.attributes['ce-id'], m.orderingKey, m.data.toString()])).toEqual([
      ['a1', 't1', '{"id":"a1"}'],
      ['a2', 't1', '{"id":"a2"}'],
    ]);
  });

  it('does not retry inside the client: one refused Publish call is one failed outcome', async () => {
    const p = publisher();
    fake.setUnavailable(true);
    const [outcome] = await p.publish([message('a1', 't1')]);
    expect(outcome).toMatchObject({ ok: false, error: { code: status.UNAVAILABLE } });
    expect(fake.publishCalls()).toBe(1);
    expect(fake.allMessages()).toEqual([]);
  });

  it('publishes again on an ordering key after a failure on it', async () => {
    const p = publisher();
    fake.failNext(1, status.INTERNAL);
    const first = await p.publish([message('a1', 't1'), message('a2', 't1')]);
    expect(first.map((o) => o.ok)).toEqual([false, false]);
    const second = await p.publish([message('a1', 't1'), message('a2', 't1')]);
    expect(second.map((o) => o.ok)).toEqual([true, true]);
    expect(fake.messages('orders').map((m) => m.attributes['ce-id'])).toEqual(['a1', 'a2']);
  });

  it('fails a publish Pub/Sub does not acknowledge within the timeout', async () => {
    const p = publisher(150);
    fake.setLatency(500);
    const [outcome] = await p.publish([message('a1', 't1')]);
    expect(outcome?.ok).toBe(false);
    fake.setLatency(0);
    const [retry] = await p.publish([message('a1', 't1')]);
    expect(retry).toMatchObject({ ok: true });
  });
});
