import { randomInt } from 'node:crypto';

/** The body Pub/Sub POSTs to a push endpoint (https://cloud.google.com/pubsub/docs/push#receive_push). */
export interface PushEnvelope {
  message: {
    attributes?: Record<string, string>;
    data?: string;
    messageId: string;
    message_id: string;
    publishTime: string;
    publish_time: string;
  };
  subscription: string;
  deliveryAttempt?: number;
}

export const PUSH_SUBSCRIPTION = 'projects/melmastoon-test/subscriptions/ai-orchestrator-inference-requests-push';

/** A numeric message id, as Pub/Sub assigns them. */
export const newMessageId = (): string => String(randomInt(1_000_000_000, 281_474_976_710_655));

/**
 * A push envelope exactly as Pub/Sub sends it: data base64-encoded (pass `rawData` to send bytes as they
 * are, e.g. an invalid base64 string), both spellings of id and publish time, deliveryAttempt when the
 * subscription has a dead-letter policy.
 */
export function pushEnvelope(opts: { data?: unknown; rawData?: string; attributes?: Record<string, string>; messageId?: string; deliveryAttempt?: number | null }): PushEnvelope {
  const messageId = opts.messageId ?? newMessageId();
  const publishTime = new Date().toISOString();
  const data = opts.rawData ?? (opts.data === undefined ? undefined : Buffer.from(JSON.stringify(opts.data)).toString('base64'));
  return {
    message: {
      ...(opts.attributes ? { attributes: opts.attributes } : {}),
      ...(data !== undefined ? { data } : {}),
      messageId,
      message_id: messageId,
      publishTime,
      publish_time: publishTime,
    },
    subscription: PUSH_SUBSCRIPTION,
    ...(opts.deliveryAttempt === null ? {} : { deliveryAttempt: opts.deliveryAttempt ?? 1 }),
  };
}
