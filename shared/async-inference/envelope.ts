import { bodyValidator } from '../http/validate.js';

/** One Pub/Sub message as the push handler sees it, whichever way it arrived (HTTP push, in-process bus). */
export interface PushDelivery {
  messageId: string;
  /** base64, as Pub/Sub sends it; undefined when the message had no data. */
  data: string | undefined;
  attributes: Record<string, string>;
  subscription: string | undefined;
  /** Present when the subscription has a dead-letter policy: 1 on the first delivery. */
  deliveryAttempt: number | undefined;
  publishTime: string | undefined;
}

interface PushBody {
  message: {
    data?: string;
    attributes?: Record<string, string>;
    messageId?: string;
    message_id?: string;
    publishTime?: string;
    publish_time?: string;
  };
  subscription?: string;
  deliveryAttempt?: number;
}

// Pub/Sub's push body (https://cloud.google.com/pubsub/docs/push): it sends both the camelCase and the
// snake_case spelling of the message id and publish time.
const parsePushBody = bodyValidator<PushBody>({
  type: 'object',
  required: ['message'],
  properties: {
    message: {
      type: 'object',
      properties: {
        data: { type: 'string' },
        attributes: { type: 'object', additionalProperties: { type: 'string' } },
        messageId: { type: 'string', minLength: 1, maxLength: 200 },
        message_id: { type: 'string', minLength: 1, maxLength: 200 },
        publishTime: { type: 'string' },
        publish_time: { type: 'string' },
      },
      anyOf: [
        { properties: { messageId: { type: 'string' } }, required: ['messageId'] },
        { properties: { message_id: { type: 'string' } }, required: ['message_id'] },
      ],
    },
    subscription: { type: 'string', maxLength: 500 },
    deliveryAttempt: { type: 'integer', minimum: 1 },
  },
});

/**
 * Reads a push request body; throws 400 `invalid_input` when it is not a push envelope at all (no message
 * id to dedupe on). What the message carries is judged later: a bad command is acknowledged, not refused.
 */
export function parsePushEnvelope(body: unknown): PushDelivery {
  const { message, subscription, deliveryAttempt } = parsePushBody(body);
  return {
    messageId: (message.messageId ?? message.message_id)!,
    data: message.data,
    attributes: message.attributes ?? {},
    subscription,
    deliveryAttempt,
    publishTime: message.publishTime ?? message.publish_time,
  };
}
