import { Router, type RequestHandler } from 'express';
import type { PushTokenVerifier } from '../../../shared/auth/push-token.js';
import { asyncCommandCounter, handleDelivery, parsePushEnvelope, type AsyncInferenceDeps } from '../../../shared/async-inference/index.js';
import type { Registry } from 'prom-client';
import { jsonBody } from '../../../shared/http/index.js';
import type { Config } from '../../../shared/config/index.js';
import type { Pool } from '../../../shared/db/index.js';
import type { Logger } from '../../../shared/telemetry/index.js';
import type { InferenceDeps } from '../../../shared/inference/types.js';

/**
 * POST /internal/pubsub/inference-requests: the push subscription of the inference command topic. The
 * OIDC token is verified before the body is read; 2xx acknowledges the message (its result event is in
 * the outbox), 5xx makes Pub/Sub deliver it again.
 */
export function pubsubPushRoutes(opts: { verifier: PushTokenVerifier; asyncInference: AsyncInferenceDeps; bodyLimitBytes: number }): Router {
  const router = Router();
  // base64 grows the command by a third; the envelope adds a little.
  const limit = Math.ceil((opts.bodyLimitBytes * 4) / 3) + 16_384;
  router.post('/internal/pubsub/inference-requests', pushAuth(opts.verifier), jsonBody(limit), async (req, res) => {
    const outcome = await handleDelivery(opts.asyncInference, parsePushEnvelope(req.body));
    res.status(200).json(outcome);
  });
  return router;
}

function pushAuth(verifier: PushTokenVerifier): RequestHandler {
  return (req, res, next) => {
    verifier.verify(req.headers.authorization).then((identity) => {
      res.locals.pushIdentity = identity;
      next();
    }, next);
  };
}

/** What the handler needs, from the orchestrator's wiring (the push route and the embedded bus share it). */
export function asyncInferenceDeps(opts: { config: Config; pool: Pool; inference: InferenceDeps; logger: Logger; registry?: Registry }): AsyncInferenceDeps {
  const { config, inference } = opts;
  return {
    ...(opts.registry ? { outcomes: asyncCommandCounter(opts.registry) } : {}),
    pool: opts.pool,
    inference,
    settings: config.asyncInference,
    events: config.events,
    logger: opts.logger,
    ...(inference.onRecorded ? { onRecorded: inference.onRecorded } : {}),
  };
}
