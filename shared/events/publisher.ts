/** One message for the broker: what the relay reads back from an outbox row. */
export interface OutboundMessage {
  topic: string;
  data: Buffer;
  attributes: Record<string, string>;
  orderingKey: string;
}

export type PublishOutcome = { ok: true; messageId: string } | { ok: false; error: Error };

/**
 * The port the relay publishes through (Pub/Sub in production, the in-process bus embedded).
 * publish() answers one outcome per message, in the same order, and never rejects for a single message's
 * failure. `ok` means the broker acknowledged the message. Within one ordering key, outcomes are in order:
 * once a message of a key failed, the later messages of that key in the same call are not delivered.
 */
export interface Publisher {
  publish(messages: OutboundMessage[]): Promise<PublishOutcome[]>;
  close(): Promise<void>;
}

export const toError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));
