// Publishes a sample async inference command to a running orchestrator (`npm start`), the way Pub/Sub
// would push it: `npm run inference:publish-sample -- [--url URL] [--tenant T] [--capability KEY]`.
// It posts a push envelope (base64 data, attributes, messageId, publishTime, subscription, deliveryAttempt)
// to POST /internal/pubsub/inference-requests with an OIDC token signed by the embedded push key in
// DATA_DIR/auth, which a dev/test orchestrator without PUSH_AUTH_* trusts. Prints the answer as JSON.
import { randomInt, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { EMBEDDED_PUSH_AUDIENCE, EMBEDDED_PUSH_EMAIL, ensurePushKeys, signPushToken } from '../shared/auth/push-token.js';
import { loadConfig } from '../shared/config/index.js';

const USAGE = 'usage: npm run inference:publish-sample -- [--url http://127.0.0.1:8080] [--tenant demo] [--capability notification.guest_message_draft|reservation.upsell_offer] [--reply-to ID] [--request-id ID]';

const SAMPLE_INPUTS: Record<string, unknown> = {
  'notification.guest_message_draft': { purpose: 'pre_arrival', guest_name: 'Ana', language: 'en', facts: { checkin: '15:00', parking: 'free' } },
  'reservation.upsell_offer': { reservation: { room_type: 'double', nights: 3, guests: 2, arrival_date: '2026-12-24' }, guest: { tier: 'gold' } },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      tenant: { type: 'string', default: 'demo' },
      capability: { type: 'string', default: 'notification.guest_message_draft' },
      'reply-to': { type: 'string' },
      'request-id': { type: 'string' },
    },
    strict: true,
    allowPositionals: false,
  });
  const appEnv = process.env.APP_ENV;
  if (appEnv === 'staging' || appEnv === 'prod') throw new Error(`refusing to sign push tokens when APP_ENV=${appEnv}: real ones come from Pub/Sub`);
  const config = loadConfig();
  if (config.pushAuth.jwksUrl) throw new Error('PUSH_AUTH_JWKS_URL is set: the orchestrator trusts that key set, not the embedded push key');
  const input = SAMPLE_INPUTS[values.capability];
  if (!input) throw new Error(`no sample input for ${values.capability} (known: ${Object.keys(SAMPLE_INPUTS).join(', ')})`);

  const url = values.url ?? `http://127.0.0.1:${config.port || 8080}`;
  const command = { request_id: values['request-id'] ?? randomUUID(), tenant_id: values.tenant, capability: values.capability, input };
  const messageId = String(randomInt(1_000_000_000, 281_474_976_710_655));
  const publishTime = new Date().toISOString();
  const envelope = {
    message: {
      data: Buffer.from(JSON.stringify(command)).toString('base64'),
      attributes: { reply_to: values['reply-to'] ?? `sample-${command.request_id}` },
      messageId,
      message_id: messageId,
      publishTime,
      publish_time: publishTime,
    },
    subscription: 'projects/local/subscriptions/ai-orchestrator-inference-requests-push',
    deliveryAttempt: 1,
  };
  const keys = await ensurePushKeys(config.dataDir);
  const token = await signPushToken(keys.privateJwk, { audience: config.pushAuth.audience ?? EMBEDDED_PUSH_AUDIENCE, email: config.pushAuth.email ?? EMBEDDED_PUSH_EMAIL, issuer: config.pushAuth.issuer });
  const res = await fetch(`${url}/internal/pubsub/inference-requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(envelope),
  });
  const body = (await res.text()) || '{}';
  process.stdout.write(`${JSON.stringify({ status: res.status, message_id: messageId, request_id: command.request_id, reply_to: envelope.message.attributes.reply_to, answer: JSON.parse(body) as unknown })}\n`);
  if (!res.ok) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`inference:publish-sample: ${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
  process.exitCode = 2;
});
