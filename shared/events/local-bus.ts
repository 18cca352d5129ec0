import { randomUUID } from 'node:crypto';
import type { Logger } from '../telemetry/index.js';
import { toError, type OutboundMessage, type Publisher, type PublishOutcome } from './publisher.js';

export interface DeliveredMessage extends OutboundMessage {
  messageId: string;
  publishTime: Date;
}

/** An in-process consumer. Like a Pub/Sub subscriber it must be idempotent: a message may come again. */
export type LocalHandler = (message: DeliveredMessage) => void | Promise<void>;

/**
 * The embedded stand-in for Pub/Sub: delivers each message to the in-process subscribers of its topic and
 * logs one line per event. A message counts as acknowledged when every subscriber's handler returned; if
 * one throws, the message fails (the relay retries it later, to every subscriber) and, as on Pub/Sub with
 * ordering, the later messages of its ordering key in the same call are not delivered.
 */
export class LocalEventBus implements Publisher {
  private readonly handlers = new Map<string, Set<LocalHandler>>();
  private readonly logger: Logger;
  private closed = false;

  constructor(opts: { logger: Logger }) {
    this.logger = opts.logger;
  }

  /** Registers a handler for a topic; returns the function that removes it. */
  subscribe(topic: string, handler: LocalHandler): () => void {
    const set = this.handlers.get(topic) ?? new Set<LocalHandler>();
    this.handlers.set(topic, set);
    set.add(handler);
    return () => {
      set.delete(handler);
    };
  }

  async publish(messages: OutboundMessage[]): Promise<PublishOutcome[]> {
    const outcomes: PublishOutcome[] = [];
    const failedKeys = new Set<string>();
    for (const message of messages) {
      if (this.closed) {
        outcomes.push({ ok: false, error: new Error('the local event bus is closed') });
      } else if (failedKeys.has(message.orderingKey)) {
        outcomes.push({ ok: false, error: new Error(`not delivered: an earlier message with ordering key ${message.orderingKey} failed`) });
      } else {
        const outcome = await this.deliver(message);
        if (!outcome.ok) failedKeys.add(message.orderingKey);
        outcomes.push(outcome);
      }
    }
    return outcomes;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handlers.clear();
  }

  private async deliver(message: OutboundMessage): Promise<PublishOutcome> {
    const delivered: DeliveredMessage = Object.assign({}, message, { messageId: randomUUID(), publishTime: new Date() });
    const fields = {
      topic: message.topic,
      event_type: message.attributes['ce-type'],
      event_id: message.attributes['ce-id'],
      tenant_id: message.attributes['ce-tenantid'],
      message_id: delivered.messageId,
    };
    try {
      for (const handler of [...(this.handlers.get(message.topic) ?? [])]) await handler(delivered);
    } catch (err) {
      const error = toError(err);
      this.logger.warn(Object.assign({}, fields, { err: error }), 'event delivery failed in process');
      return { ok: false, error };
    }
    this.logger.info(fields, 'event published');
    return { ok: true, messageId: delivered.messageId };
  }
}
