import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config, EventTopics } from '../config/index.js';
import { withTransaction, type Pool } from '../db/index.js';
import { enqueue } from '../events/index.js';
import type { InferenceRequestCommand } from '../events/schemas/inference-request-command.js';
import { isAppError } from '../errors/app-error.js';
import { requestHashOf } from '../idempotency/index.js';
import { invoke } from '../inference/invoke.js';
import type { InferenceDeps, InvokeResult } from '../inference/types.js';
import type { RecordHook } from '../recording/calls.js';
import type { Logger } from '../telemetry/index.js';
import type { Counter } from 'prom-client';
import { decodeCommand, type Poison } from './command.js';
import type { PushDelivery } from './envelope.js';
import { isRetryable, requestInProgress, RETRYABLE_CALL_CODES, transientFailure } from './errors.js';
import { claimRequest, finishRequest, markProcessed, messageState, readRequest, releaseClaim, waitState, type ProcessedMessage, type ProcessedOutcome, type RequestKey } from './requests.js';
import { failureEvent, replayEvent } from './result-events.js';

export interface AsyncInferenceDeps {
  pool: Pool;
  inference: InferenceDeps;
  settings: Config['asyncInference'];
  events: { topics: EventTopics; source: string };
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Nudged after a commit that enqueued an event. */
  onRecorded?: () => void;
  pollMs?: number;
  /** async_commands_total{outcome} */
  outcomes?: Pick<Counter<'outcome'>, 'inc'>;
}

/** How a delivery was answered (2xx); transient faults are thrown as 503 AppErrors instead. */
export interface PushOutcome {
  outcome: ProcessedOutcome;
  request_id?: string;
  code?: string;
}

/**
 * Runs one Pub/Sub delivery of an inference command through the synchronous pipeline and answers only once
 * its result event is in the outbox:
 * - a message answered before (processed_messages) is acknowledged at once;
 * - a poison message (bad base64 or JSON, schema-invalid, unknown capability or tenant) is acknowledged with
 *   an `inference.failed` event, so it is not redelivered forever;
 * - a request (tenant, request_id) is claimed for a lease before it runs, so concurrent or later deliveries
 *   of it never run or charge it twice; they wait for the holder, or take over once its lease ended;
 * - the call's record, its result event, the request's completion and the processed_messages row commit in
 *   one transaction (record hooks), so a crash leaves either all of them or a claim a redelivery can retake;
 * - transient faults throw 503 (Pub/Sub redelivers) — except on the subscription's last delivery attempt,
 *   which answers with a failure event instead of letting the command vanish into the dead-letter topic.
 */
export async function handleDelivery(deps: AsyncInferenceDeps, delivery: PushDelivery): Promise<PushOutcome> {
  try {
    const answer = await handle(deps, delivery);
    deps.outcomes?.inc({ outcome: answer.outcome });
    return answer;
  } catch (err) {
    deps.outcomes?.inc({ outcome: 'retry' });
    if (isAppError(err) && err.status === 503) throw err;
    deps.logger.warn({ err, message_id: delivery.messageId }, 'async inference: transient failure; Pub/Sub will redeliver');
    throw transientFailure(err);
  }
}

async function handle(deps: AsyncInferenceDeps, delivery: PushDelivery): Promise<PushOutcome> {
  const decoded = decodeCommand(delivery, deps.inference.capabilities);
  // One round trip: was this message answered already, and is its tenant known?
  const first = await messageState(deps.pool, delivery.messageId, decoded.ok ? decoded.command.tenant_id : undefined);
  if (first.answered) return { outcome: 'duplicate' };
  if (!decoded.ok) return acknowledgePoison(deps, delivery, decoded.poison);
  const { command, correlationId } = decoded;
  const known = { tenantId: command.tenant_id, requestId: command.request_id, capability: command.capability, correlationId };
  if (!first.tenantKnown) {
    return acknowledgePoison(deps, delivery, Object.assign({}, known, { code: 'unknown_tenant' as const, reason: `no tenant "${command.tenant_id}"` }));
  }

  const key: RequestKey = { tenantId: command.tenant_id, requestId: command.request_id };
  const requestHash = requestHashOf({ capability: command.capability, input: command.input });
  const token = randomUUID();
  const deadline = performance.now() + deps.settings.waitTimeoutMs;
  const claim = { token, leaseSeconds: deps.settings.claimLeaseSeconds, requestHash, capability: command.capability, messageId: delivery.messageId, correlationId };
  for (;;) {
    if (await claimRequest(deps.pool, key, claim)) return run(deps, delivery, command, correlationId, key, token);
    // Someone holds or finished it: wait, one query per poll, until it is answered or its lease ends.
    for (;;) {
      const { row, answered } = await waitState(deps.pool, key, delivery.messageId);
      if (answered) return { outcome: 'duplicate', request_id: command.request_id };
      if (row && row.request_hash !== requestHash) {
        return acknowledgePoison(deps, delivery, Object.assign({}, known, { code: 'request_id_reused' as const, reason: `request_id "${command.request_id}" was already used with another capability or input` }));
      }
      // Finished through another message (the sender published it twice): its result event is out already.
      if (row && row.status !== 'running') return acknowledgeDuplicate(deps, delivery, key);
      if (!row || row.lease_over) break;
      if (performance.now() >= deadline) throw requestInProgress();
      await sleep(deps.pollMs ?? 100);
    }
  }
}

async function run(deps: AsyncInferenceDeps, delivery: PushDelivery, command: InferenceRequestCommand, correlationId: string | undefined, key: RequestKey, token: string): Promise<PushOutcome> {
  const started = performance.now();
  const lastAttempt = delivery.deliveryAttempt !== undefined && delivery.deliveryAttempt >= deps.settings.maxDeliveryAttempts;
  let result: InvokeResult | undefined;
  let error: unknown;
  const completion = completionHook(key, token, delivery, lastAttempt);
  try {
    result = await invoke(deps.inference, {
      principal: { tenantId: command.tenant_id, subject: `pubsub:${(delivery.subscription ?? 'local').slice(0, 180)}`, scopes: new Set(['ai.invoke']) },
      capability: command.capability,
      input: command.input,
      channel: 'async',
      ...(command.idempotency_key !== undefined ? { idempotencyKey: command.idempotency_key } : {}),
      ...(correlationId !== undefined ? { correlationId } : {}),
      hooks: [completion.hook],
    });
  } catch (err) {
    error = err;
  }

  // A call recorded with our completion and answered: its commit carried the result event.
  if (error === undefined && completion.written()) return settled(deps, delivery, command, 'completed');
  // Otherwise ask the database whether it did (a failure may have been recorded, or not).
  const row = await readRequest(deps.pool, key);
  if (row && row.status !== 'running') return settled(deps, delivery, command, row.status);
  if (!row || row.claim_token !== token) throw requestInProgress(); // our lease ended and another delivery took over

  if (error !== undefined && isRetryable(error) && !lastAttempt) {
    await releaseClaim(deps.pool, key, token).catch(() => {});
    throw transientFailure(error);
  }
  // Nothing was recorded with our completion: an Idempotency-Key replay, or a failure before the call ran.
  const event =
    error === undefined
      ? replayEvent({ source: deps.events.source, tenantId: key.tenantId, result: result!, requestId: key.requestId, correlationId, latencyMs: performance.now() - started })
      : failureEvent({
          source: deps.events.source,
          tenantId: key.tenantId,
          code: isAppError(error) ? error.code : 'internal_error',
          reason: isAppError(error) ? error.detail : 'the command failed unexpectedly',
          capability: command.capability,
          requestId: key.requestId,
          correlationId,
        });
  const status = error === undefined ? 'completed' : 'failed';
  await withTransaction(deps.pool, async (tx) => {
    if (!(await finishRequest(tx, key, token, { status, callId: result?.call_id }))) throw requestInProgress();
    await enqueue(tx, event, deps.events.topics);
    await markProcessed(tx, processedMessage(delivery, key, status, event.id));
  });
  deps.onRecorded?.();
  return settled(deps, delivery, command, status, isAppError(error) ? error.code : error === undefined ? undefined : 'internal_error');
}

/** Joins the call's recording transaction: finishes the request (only while our claim holds) and marks the message answered. */
function completionHook(key: RequestKey, token: string, delivery: PushDelivery, lastAttempt: boolean): { hook: RecordHook; written: () => boolean } {
  // Set inside the transaction; it means "committed" only once record() resolved, i.e. invoke returned a result.
  let written = false;
  const hook: RecordHook = {
    async claim(tx, call) {
      // A failure worth retrying is not the command's result: leave no trace, let Pub/Sub deliver it again.
      if (call.row.status === 'failed' && !lastAttempt && RETRYABLE_CALL_CODES.has(call.row.error_code ?? '')) return false;
      return finishRequest(tx, key, token, { status: call.row.status, callId: call.row.call_id });
    },
    async write(tx, call) {
      await markProcessed(tx, processedMessage(delivery, key, call.row.status, call.event.id));
      written = call.row.status === 'completed';
    },
  };
  return { hook, written: () => written };
}

async function acknowledgePoison(deps: AsyncInferenceDeps, delivery: PushDelivery, poison: Poison): Promise<PushOutcome> {
  const event = failureEvent({ source: deps.events.source, ...poison });
  await withTransaction(deps.pool, async (tx) => {
    // A concurrent delivery of the same poison message may have answered it: one failure event, not two.
    const first = await markProcessed(tx, {
      messageId: delivery.messageId,
      subscription: delivery.subscription,
      tenantId: poison.tenantId,
      requestId: poison.requestId,
      outcome: 'poison',
      resultEventId: event.id,
      deliveryAttempt: delivery.deliveryAttempt,
    });
    if (first) await enqueue(tx, event, deps.events.topics);
  });
  deps.onRecorded?.();
  deps.logger.warn({ message_id: delivery.messageId, tenant_id: poison.tenantId, request_id: poison.requestId, code: poison.code }, 'async inference: poison message acknowledged');
  return { outcome: 'poison', code: poison.code, ...(poison.requestId ? { request_id: poison.requestId } : {}) };
}

async function acknowledgeDuplicate(deps: AsyncInferenceDeps, delivery: PushDelivery, key: RequestKey): Promise<PushOutcome> {
  await markProcessed(deps.pool, processedMessage(delivery, key, 'duplicate', undefined));
  deps.logger.info({ message_id: delivery.messageId, tenant_id: key.tenantId, request_id: key.requestId }, 'async inference: request already answered');
  return { outcome: 'duplicate', request_id: key.requestId };
}

function settled(deps: AsyncInferenceDeps, delivery: PushDelivery, command: InferenceRequestCommand, outcome: 'completed' | 'failed', code?: string): PushOutcome {
  deps.logger.info(
    { message_id: delivery.messageId, tenant_id: command.tenant_id, request_id: command.request_id, capability: command.capability, outcome, delivery_attempt: delivery.deliveryAttempt, ...(code ? { code } : {}) },
    'async inference: command answered',
  );
  return { outcome, request_id: command.request_id, ...(code ? { code } : {}) };
}

function processedMessage(delivery: PushDelivery, key: RequestKey, outcome: ProcessedMessage['outcome'], resultEventId: string | undefined): ProcessedMessage {
  return { messageId: delivery.messageId, subscription: delivery.subscription, tenantId: key.tenantId, requestId: key.requestId, deliveryAttempt: delivery.deliveryAttempt, outcome, resultEventId };
}
