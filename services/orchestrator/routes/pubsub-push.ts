import type { FastifyRequest } from 'fastify';
import type { PushTokenVerifier } from '../../../shared/auth/push-token.js';
import { asyncCommandCounter, handleDelivery, parsePushEnvelope, type AsyncInferenceDeps } from '../../../shared/async-inference/index.js';
import type { Registry } from 'prom-client';
import type { HttpApp } from '../../../shared/http/index.js';
import type { Config } from '../../../shared/config/index.js';
import type { Pool } from '../../../shared/db/index.js';
import type { Logger } from '../../../shared/telemetry/index.js';
import type { InferenceDeps } from '../../../shared/inference/types.js';

/**
 * POST /internal/pubsub/inference-requests: the push subscription of the inference command topic. The
 * OIDC token is verified (onRequest) before the body is read; 2xx acknowledges the message (its result event is in
 * the outbox), 5xx makes Pub/Sub deliver it again.
 */
export function pubsubPushRoutes(app: HttpApp, opts: { verifier: PushTokenVerifier; asyncInference: AsyncInferenceDeps; bodyLimitBytes: number }): void {
  // base64 grows the command by a third; the envelope adds a little.
  const limit = Math.ceil((opts.bodyLimitBytes * 4) / 3) + 16_384;
  app.post('/internal/pubsub/inference-requests', { onRequest: pushAuth(opts.verifier), bodyLimit: limit }, async (request) => handleDelivery(opts.asyncInference, parsePushEnvelope(request.body)));
}

function pushAuth(verifier: PushTokenVerifier): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    await verifier.verify(request.headers.authorization);
  };
}

/** What the handler needs, from the orchestrator's wiring (the push route and the embedded bus share it). */
export function asyncInferenceDeps(opts: { config: Config; pool: Pool; inference: InferenceDeps; logger: Logger; registry?: Registry }): AsyncInferenceDeps {
  const { config, inference } = opts;
  return {
    pool: opts.pool,
    inference,
    settings: config.asyncInference,
    events: config.events,
    logger: opts.logger,
    ...(opts.registry ? { outcomes: asyncCommandCounter(opts.registry) } : {}),
    ...(inference.onRecorded ? { onRecorded: inference.onRecorded } : {}),
  };
}
