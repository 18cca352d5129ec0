import type { DeliveredMessage, LocalEventBus } from '../events/index.js';
import type { PushDelivery } from './envelope.js';
import type { PushOutcome } from './handler.js';

/**
 * Embedded mode: commands published on the in-process bus reach the same handler as Pub/Sub pushes (no
 * OIDC: the bus is in-process). A transient failure makes the delivery fail, as a 5xx nacks a push.
 */
export function subscribeLocalCommands(bus: Pick<LocalEventBus, 'subscribe'>, topic: string, handle: (delivery: PushDelivery) => Promise<PushOutcome>): () => void {
  return bus.subscribe(topic, async (message: DeliveredMessage) => {
    await handle({
      messageId: message.messageId,
      data: message.data.length > 0 ? message.data.toString('base64') : undefined,
      attributes: message.attributes,
      subscription: 'local',
      deliveryAttempt: undefined,
      publishTime: message.publishTime.toISOString(),
    });
  });
}
