import { PubSub, type ClientConfig, type Topic } from '@google-cloud/pubsub';
import { toError, type OutboundMessage, type Publisher, type PublishOutcome } from './publisher.js';

export interface PubSubPublisherOptions {
  projectId: string;
  /** Bound on one publish() call (config.events.relay.publishTimeoutMs). */
  publishTimeoutMs: number;
  /** Merged into the client's options, e.g. `{ apiEndpoint, emulatorMode: true }` for an emulator or a wire fake. */
  clientOptions?: ClientConfig;
}

/**
 * Publisher over Google Cloud Pub/Sub: one Topic per topic name, with message ordering on. A message is
 * `ok` only once Pub/Sub acknowledged it. The client's own retries are off: its default retries
 * UNAVAILABLE for up to 600 s inside one call, while the relay retries from the outbox with its backoff.
 */
export class PubSubPublisher implements Publisher {
  private readonly client: PubSub;
  private readonly topics = new Map<string, Topic>();
  private readonly timeoutMs: number;

  constructor(opts: PubSubPublisherOptions) {
    this.client = new PubSub(Object.assign({}, opts.clientOptions, { projectId: opts.projectId }));
    this.timeoutMs = opts.publishTimeoutMs;
  }

  async publish(messages: OutboundMessage[]): Promise<PublishOutcome[]> {
    if (messages.length === 0) return [];
    const expiry = expireAfter(this.timeoutMs);
    try {
      const pending = messages.map((m) => this.publishOne(m));
      const outcomes = await Promise.all(pending.map((p) => Promise.race([p, expiry.expired])));
      await this.resumeFailedKeys(messages, outcomes);
      return outcomes;
    } finally {
      expiry.cancel();
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.topics.values()].map((topic) => topic.flush()));
    await this.client.close();
  }

  private async publishOne(m: OutboundMessage): Promise<PublishOutcome> {
    try {
      const messageId = await this.topic(m.topic).publishMessage({ data: m.data, attributes: m.attributes, orderingKey: m.orderingKey });
      return { ok: true, messageId };
    } catch (err) {
      return { ok: false, error: toError(err) };
    }
  }

  private topic(name: string): Topic {
    let topic = this.topics.get(name);
    if (!topic) {
      topic = this.client.topic(name, {
        messageOrdering: true,
        // No client-side retries. The RPC deadline ends a bit before publish()'s own bound, so a slow call
        // normally fails inside the client, which then drops its queue for the key and the next round starts
        // clean; the outer bound only catches a client stuck before the RPC (channel setup, auth).
        gaxOpts: { retry: { retryCodes: [] }, timeout: Math.max(this.timeoutMs / 2, this.timeoutMs - 250) },
      });
      this.topics.set(name, topic);
    }
    return topic;
  }

  /**
   * After a failure the client refuses further messages of that ordering key until resumePublishing.
   * The client records the failure a few ticks after rejecting the message, hence the wait for the
   * next macrotask before resuming.
   */
  private async resumeFailedKeys(messages: OutboundMessage[], outcomes: PublishOutcome[]): Promise<void> {
    const failed = new Map<string, Set<string>>();
    outcomes.forEach((outcome, i) => {
      const m = messages[i];
      if (outcome.ok || !m) return;
      const keys = failed.get(m.topic) ?? new Set<string>();
      failed.set(m.topic, keys.add(m.orderingKey));
    });
    if (failed.size === 0) return;
    await new Promise((resolve) => setImmediate(resolve));
    for (const [topic, keys] of failed) for (const key of keys) this.topics.get(topic)?.resumePublishing(key);
  }
}

function expireAfter(ms: number): { expired: Promise<PublishOutcome>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<PublishOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: new Error(`Pub/Sub did not acknowledge within ${ms} ms`) }), ms);
  });
  return { expired, cancel: () => clearTimeout(timer) };
}
